// SPDX-License-Identifier: GPL-2.0-or-later
/* check_nrf52_target: the engine's on-target routines (CRC-32 compare and
 * verify, RAM-buffered writer) on the simulated chip's executing core, and
 * every fault knob of the simulator against them: no job may report
 * success with the wrong contents. Skips the routine checks when the
 * simulator's core cannot execute (no libunicorn). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_run.h"
#include "../nrf52/nrf52.h"
#include "../sim/sim.h"
#include "../swd/probe.h"

struct fx {
	struct swd_probe *p;
	struct nrf52 *n;
	struct dap unpaced;   /* the probe's DAP without DAP_CAP_WAIT_PACED */
	struct sf_err err;
	char debug[4096];
};

static void fx_debug(void *user, const char *line)
{
	struct fx *f = user;
	size_t l = strlen(f->debug);

	snprintf(f->debug + l, sizeof(f->debug) - l, "%s\n", line);
}

static void fx_engine(struct fx *f, int unpaced)
{
	struct dap *d = swd_probe_dap(f->p);

	nrf52_free(f->n);
	f->unpaced = *d;
	f->unpaced.caps &= ~(unsigned)DAP_CAP_WAIT_PACED;
	f->n = nrf52_new(unpaced ? &f->unpaced : d, swd_probe_clock(f->p), NULL, NULL);
	ck_assert_ptr_nonnull(f->n);
	f->debug[0] = 0;
	nrf52_set_debug(f->n, fx_debug, f);
}

static void fx_open(struct fx *f, const char *spec, int unpaced)
{
	memset(f, 0, sizeof(*f));
	ck_assert_msg(swd_probe_open(spec, &f->p, &f->err) == 0, "%s: %s", spec, f->err.msg);
	fx_engine(f, unpaced);
}

static void fx_close(struct fx *f)
{
	nrf52_free(f->n);
	swd_probe_close(f->p);
}

static struct sim_chip *fx_sim(struct fx *f)
{
	return swd_probe_sim(f->p);
}

static void fill_random(uint8_t *b, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761U + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
}

static void img_one(struct img *img, struct img_segment *s, uint32_t addr, uint8_t *data,
		    uint32_t len)
{
	memset(img, 0, sizeof(*img));
	s->addr = addr;
	s->len = len;
	s->data = data;
	img->seg = s;
	img->nseg = 1;
	img->total = len;
}

static int chip_equals(struct fx *f, uint32_t addr, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len);
	int eq;

	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(sim_peek(fx_sim(f), addr, got, len), 0);
	eq = memcmp(got, want, len) == 0;
	free(got);
	return eq;
}

static int core_runs(struct fx *f)
{
	return sim_core_can_execute(fx_sim(f));
}

#define BASE 0x8000U
#define LEN (3 * 4096U)
static const struct nrf52_flash_opts opts = { .erase = NRF52_ERASE_AUTO, .verify = 1,
					      .reset = 1 };

/* compare and verify by CRC: a blank chip is neither read nor erased, an
 * unchanged image is skipped without a readback, one changed page is the
 * only one written and verified */
START_TEST(test_crc_compare_and_verify)
{
	static uint8_t data[LEN];
	struct img_segment sg;
	struct img img;
	struct nrf52_stats st;
	struct fx f;
	uint64_t reads;

	fx_open(&f, "sim:part=nrf52840", 0);
	if (!core_runs(&f)) {
		fx_close(&f);
		return;
	}
	fill_random(data, LEN, 1);
	img_one(&img, &sg, BASE, data, LEN);
	ck_assert_msg(nrf52_flash(f.n, &img, &opts, &st, &f.err) == 0, "%s", f.err.msg);
	ck_assert(chip_equals(&f, BASE, data, LEN));
	ck_assert_uint_eq(st.pages_crc, LEN / 4096);
	ck_assert_uint_eq(st.bytes_crc_verified, LEN);
	ck_assert_int_eq(st.target_fallback, 0);
	ck_assert_ptr_nonnull(strstr(f.debug, "on-target CRC routine runs"));

	fx_engine(&f, 0);
	sim_counters_reset(fx_sim(&f));
	ck_assert_msg(nrf52_flash(f.n, &img, &opts, &st, &f.err) == 0, "%s", f.err.msg);
	ck_assert_uint_eq(st.pages_skipped, LEN / 4096);
	reads = sim_counters(fx_sim(&f))->ap_reads;
	ck_assert_msg(reads < LEN / 4 / 8, "%llu AP reads to find nothing changed",
		      (unsigned long long)reads);

	data[4096 + 17] ^= 0x40;
	fx_engine(&f, 0);
	sim_counters_reset(fx_sim(&f));
	ck_assert_msg(nrf52_flash(f.n, &img, &opts, &st, &f.err) == 0, "%s", f.err.msg);
	ck_assert(chip_equals(&f, BASE, data, LEN));
	ck_assert_uint_eq(st.pages_written, 1);
	ck_assert_uint_eq(st.pages_skipped, LEN / 4096 - 1);

	/* a flipped bit in flash is found by the CRC verify, named by readback */
	sim_fault_corrupt(fx_sim(&f), BASE + 9000, 0x08);
	fx_engine(&f, 0);
	ck_assert_int_eq(nrf52_verify(f.n, &img, &f.err), SF_E_VERIFY);
	ck_assert_msg(strstr(f.err.msg, "0x0000a328"), "%s", f.err.msg);
	/* and a re-flash repairs it (the CRC compare sees that page differ) */
	ck_assert_msg(nrf52_flash(f.n, &img, &opts, &st, &f.err) == 0, "%s", f.err.msg);
	ck_assert(chip_equals(&f, BASE, data, LEN));
	ck_assert_uint_eq(st.pages_written, 1);
	fx_close(&f);
}
END_TEST

/* Without a reset afterwards (flash with reset=0, and verify) the RAM the
 * routines use and the core registers are put back, and a core found
 * running runs again. */
START_TEST(test_ram_and_registers_kept)
{
	static uint8_t data[LEN], ram[0x3100], got[0x3100];
	struct img_segment sg;
	struct img img;
	struct nrf52_stats st;
	struct nrf52_flash_opts o = opts;
	struct dap *d;
	struct fx f;
	uint32_t r0 = 0;

	fx_open(&f, "sim:part=nrf52840", 0);
	if (!core_runs(&f)) {
		fx_close(&f);
		return;
	}
	d = swd_probe_dap(f.p);
	fill_random(data, LEN, 5);
	fill_random(ram, sizeof(ram), 6);
	img_one(&img, &sg, BASE, data, LEN);
	ck_assert_int_eq(nrf52_halt(f.n, &f.err), 0);
	ck_assert_int_eq(d->ops->mem_write(d->ctx, 0x20000000, ram, sizeof(ram), 4, &f.err), 0);
	/* r0 = 0x1234abcd through DCRDR/DCRSR */
	ck_assert_int_eq(d->ops->mem_write(d->ctx, 0xE000EDF8, &(uint32_t){ 0x1234ABCDU }, 4, 4,
					   &f.err), 0);
	ck_assert_int_eq(d->ops->mem_write(d->ctx, 0xE000EDF4, &(uint32_t){ 0x10000U }, 4, 4,
					   &f.err), 0);
	o.reset = 0;
	ck_assert_msg(nrf52_flash(f.n, &img, &o, &st, &f.err) == 0, "%s", f.err.msg);
	ck_assert_uint_eq(st.bytes_crc_verified, LEN);   /* the routines did run */
	ck_assert_int_eq(sim_peek(fx_sim(&f), 0x20000000, got, sizeof(got)), 0);
	ck_assert_msg(memcmp(got, ram, sizeof(ram)) == 0, "RAM not put back");
	ck_assert_int_eq(d->ops->mem_write(d->ctx, 0xE000EDF4, &(uint32_t){ 0 }, 4, 4, &f.err), 0);
	ck_assert_int_eq(d->ops->mem_read(d->ctx, 0xE000EDF8, &r0, 4, 4, &f.err), 0);
	ck_assert_uint_eq(r0, 0x1234ABCDU);
	ck_assert_int_eq(sim_core_halted(fx_sim(&f)), 1);
	/* verify on a core that the engine did not halt: halted, then resumed */
	ck_assert_int_eq(nrf52_resume(f.n, &f.err), 0);
	fx_engine(&f, 0);
	ck_assert_msg(nrf52_verify(f.n, &img, &f.err) == 0, "%s", f.err.msg);
	ck_assert_ptr_nonnull(strstr(f.debug, "on-target CRC routine runs"));
	ck_assert_int_eq(sim_core_halted(fx_sim(&f)), 0);
	ck_assert_int_eq(nrf52_halt(f.n, &f.err), 0);
	ck_assert_int_eq(sim_peek(fx_sim(&f), 0x20000000, got, sizeof(got)), 0);
	ck_assert_msg(memcmp(got, ram, sizeof(ram)) == 0, "RAM not put back after verify");
	fx_close(&f);
}
END_TEST

/* The RAM-buffered writer on a probe without WAIT-paced writes (at 1 and
 * 4 MHz, and on the 52832); verify=read reads it all back. */
START_TEST(test_writer)
{
	static uint8_t data[LEN + 100];
	static const char *const specs[] = { "sim:part=nrf52840", "sim:part=nrf52840,period_ns=250",
					     "sim:part=nrf52832" };
	struct img_segment sg;
	struct img img;
	struct nrf52_stats st;
	struct nrf52_flash_opts o = opts;
	struct fx f;

	o.verify_mode = NRF52_VERIFY_READ;
	for (int k = 0; k < 3; k++) {
		fx_open(&f, specs[k], 1);
		if (!core_runs(&f)) {
			fx_close(&f);
			return;
		}
		fill_random(data, sizeof(data), 2 + (uint32_t)k);
		img_one(&img, &sg, BASE + 4, data, sizeof(data));
		ck_assert_msg(nrf52_flash(f.n, &img, &o, &st, &f.err) == 0, "%s", f.err.msg);
		ck_assert(chip_equals(&f, BASE + 4, data, sizeof(data)));
		ck_assert_msg(st.words_ram_writer == (sizeof(data) + 3) / 4, "%s: %llu words, %s",
			      specs[k], (unsigned long long)st.words_ram_writer, f.debug);
		ck_assert_uint_eq(st.bytes_crc_verified, 0);
		ck_assert_uint_eq(sim_counters(fx_sim(&f))->nvmc_writes, (sizeof(data) + 3) / 4);
		fx_close(&f);
	}
}
END_TEST

/* Which path programs flash on a WAIT-paced probe: the writer on the
 * nRF52832 (no READYNEXT: a paced stream would wait for each word and
 * then its transfer), straight WAIT-paced writes on the nRF52840. */
START_TEST(test_writer_by_part)
{
	static uint8_t data[2 * 4096];
	static const char *const specs[] = { "sim:part=nrf52832", "sim:part=nrf52840" };
	struct img_segment sg;
	struct img img;
	struct nrf52_stats st;
	struct fx f;

	for (int k = 0; k < 2; k++) {
		fx_open(&f, specs[k], 0);
		if (!core_runs(&f)) {
			fx_close(&f);
			return;
		}
		fill_random(data, sizeof(data), 30 + (uint32_t)k);
		img_one(&img, &sg, BASE, data, sizeof(data));
		ck_assert_msg(nrf52_flash(f.n, &img, &opts, &st, &f.err) == 0, "%s", f.err.msg);
		ck_assert(chip_equals(&f, BASE, data, sizeof(data)));
		ck_assert_uint_eq(sim_counters(fx_sim(&f))->nvmc_writes, sizeof(data) / 4);
		ck_assert_msg(st.words_ram_writer == (k ? 0 : sizeof(data) / 4), "%s: %llu words",
			      specs[k], (unsigned long long)st.words_ram_writer);
		fx_close(&f);
	}
}
END_TEST

static int cancel_mid_program(void *user, enum nrf52_phase p, uint64_t done, uint64_t total)
{
	uint64_t *at = user;

	(void)total;
	return p == NRF52_PHASE_PROGRAM && done >= *at;
}

/* A cancel while the writer runs (its progress reports come from inside
 * the run): the job says cancelled, part of the image is written, nothing
 * claims success; the next job writes the image and the writer still
 * runs. */
START_TEST(test_writer_cancel)
{
	static uint8_t data[8 * 4096];
	struct img_segment sg;
	struct img img;
	struct nrf52_stats st;
	uint64_t at = sizeof(data) / 3, writes;
	struct fx f;

	fx_open(&f, "sim:part=nrf52840", 1);
	if (!core_runs(&f)) {
		fx_close(&f);
		return;
	}
	fill_random(data, sizeof(data), 21);
	img_one(&img, &sg, BASE, data, sizeof(data));
	nrf52_set_progress(f.n, cancel_mid_program, &at);
	ck_assert_int_eq(nrf52_flash(f.n, &img, &opts, &st, &f.err), SF_E_CANCELLED);
	ck_assert_msg(strstr(f.err.msg, "cancelled during program"), "%s", f.err.msg);
	writes = sim_counters(fx_sim(&f))->nvmc_writes;
	ck_assert_msg(writes > 0 && writes < sizeof(data) / 4, "%llu words written",
		      (unsigned long long)writes);
	ck_assert(!chip_equals(&f, BASE, data, sizeof(data)));
	nrf52_set_progress(f.n, NULL, NULL);
	ck_assert_msg(nrf52_flash(f.n, &img, &opts, &st, &f.err) == 0, "%s", f.err.msg);
	ck_assert(chip_equals(&f, BASE, data, sizeof(data)));
	ck_assert_uint_gt(st.words_ram_writer, 0);
	ck_assert_uint_eq(st.target_fallback, 0);
	fx_close(&f);
}
END_TEST

/* A core that hangs: the routines are dropped for the wire path, the job
 * succeeds with the right contents, and the debug log says so. A core
 * whose first instruction faults (the simulator's core=fault, which the
 * core may spend before the engine halts it): the job succeeds with the
 * right contents either way. */
START_TEST(test_core_hang_and_fault)
{
	static uint8_t data[LEN];
	static const char *const specs[] = { "sim:part=nrf52840,core=hang",
					     "sim:part=nrf52840,core=fault" };
	struct img_segment sg;
	struct img img;
	struct nrf52_stats st;
	struct fx f;

	for (int k = 0; k < 4; k++) {
		fx_open(&f, specs[k % 2], k >= 2);
		fill_random(data, LEN, 3);
		img_one(&img, &sg, BASE, data, LEN);
		ck_assert_msg(nrf52_flash(f.n, &img, &opts, &st, &f.err) == 0, "%s: %s",
			      specs[k % 2], f.err.msg);
		ck_assert(chip_equals(&f, BASE, data, LEN));
		ck_assert_uint_eq(st.bytes_verified, LEN);
		if (k % 2)
			goto next;  /* a fault knob the core may spend before the job */
		ck_assert_msg(st.target_fallback == 1, "%s %d: %s", specs[k % 2], k, f.debug);
		ck_assert_uint_eq(st.bytes_crc_verified, 0);
		ck_assert_uint_eq(st.words_ram_writer, 0);
		ck_assert_msg(strstr(f.debug, "on-target routines off, using the wire path"), "%s",
			      f.debug);
next:
		fx_close(&f);
	}
}
END_TEST

/* Every wire and power fault knob, at points spread over a whole job
 * (compare, erase, program by the routines or the wire, CRC verify):
 * a job that reports success has left exactly the image on the chip. A
 * power loss is followed by a power cycle and a re-flash, which must
 * succeed with the image. */
enum knob { K_WAIT, K_FAULT, K_FLIP, K_LOSE, K_POWER, K_COUNT };

static void run_knob(enum knob kb, int unpaced, const char *spec)
{
	static uint8_t old[LEN], data[LEN];
	struct img_segment so, sd;
	struct img io, id;
	struct nrf52_stats st;
	struct fx f;
	uint64_t cycles, transfers, writes;
	int ok = 0, failed = 0;

	fill_random(old, LEN, 10);
	fill_random(data, LEN, 11);
	memcpy(data + 4096, old + 4096, 4096);   /* one page unchanged */
	img_one(&io, &so, BASE, old, LEN);
	img_one(&id, &sd, BASE, data, LEN);
	/* measure the job once */
	fx_open(&f, spec, unpaced);
	ck_assert_int_eq(nrf52_flash(f.n, &io, &opts, NULL, &f.err), 0);
	fx_engine(&f, unpaced);
	sim_counters_reset(fx_sim(&f));
	ck_assert_msg(nrf52_flash(f.n, &id, &opts, NULL, &f.err) == 0, "%s", f.err.msg);
	cycles = sim_counters(fx_sim(&f))->cycles;
	transfers = sim_counters(fx_sim(&f))->dp_reads + sim_counters(fx_sim(&f))->dp_writes +
		    sim_counters(fx_sim(&f))->ap_reads + sim_counters(fx_sim(&f))->ap_writes;
	writes = sim_counters(fx_sim(&f))->nvmc_writes;
	fx_close(&f);
	for (unsigned k = 0; k < 6; k++) {
		int rc;

		fx_open(&f, spec, unpaced);
		ck_assert_int_eq(nrf52_flash(f.n, &io, &opts, NULL, &f.err), 0);
		fx_engine(&f, unpaced);
		switch (kb) {
		case K_WAIT: sim_fault_wait(fx_sim(&f), 1 + k * 97); break;
		case K_FAULT: sim_fault_fault_at(fx_sim(&f), 1 + transfers * k / 6); break;
		case K_FLIP: sim_fault_flip_cycle(fx_sim(&f), 1 + cycles * k / 6 + k); break;
		case K_LOSE: sim_fault_lose_after(fx_sim(&f), 1 + cycles * k / 6); break;
		case K_POWER: sim_fault_power_loss_at_write(fx_sim(&f), 1 + writes * k / 6); break;
		case K_COUNT: break;
		}
		rc = nrf52_flash(f.n, &id, &opts, &st, &f.err);
		if (rc == 0) {
			ok++;
			ck_assert_msg(chip_equals(&f, BASE, data, LEN),
				      "knob %d point %u: success reported, wrong contents", kb, k);
		} else {
			failed++;
		}
		if (kb == K_POWER || kb == K_LOSE) {
			sim_fault_lose_after(fx_sim(&f), 0);
			sim_power_cycle(fx_sim(&f));
			fx_engine(&f, unpaced);
			ck_assert_msg(nrf52_flash(f.n, &id, &opts, NULL, &f.err) == 0,
				      "knob %d point %u: re-flash: %s", kb, k, f.err.msg);
			ck_assert(chip_equals(&f, BASE, data, LEN));
		}
		fx_close(&f);
	}
	/* the knobs did something: not every point can have passed unharmed */
	if (kb == K_LOSE || kb == K_POWER)
		ck_assert_msg(failed > 0, "knob %d never failed a job", kb);
	ck_assert_int_eq(ok + failed, 6);
}

START_TEST(test_fault_knobs)
{
	/* _i: the knob; paced probe at 1 MHz (CRC, wire writes), unpaced
	 * probe (CRC, RAM writer) on the 52840 and the 52832 */
	run_knob((enum knob)_i, 0, "sim:part=nrf52840");
	run_knob((enum knob)_i, 1, "sim:part=nrf52840");
	run_knob((enum knob)_i, 1, "sim:part=nrf52832");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nrf52_target");
	TCase *tc = tcase_create("target");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crc_compare_and_verify);
	tcase_add_test(tc, test_writer);
	tcase_add_test(tc, test_writer_cancel);
	tcase_add_test(tc, test_writer_by_part);
	tcase_add_test(tc, test_ram_and_registers_kept);
	tcase_add_test(tc, test_core_hang_and_fault);
	tcase_add_loop_test(tc, test_fault_knobs, 0, K_COUNT);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
