// SPDX-License-Identifier: GPL-2.0-or-later
/* check_nrf52: the flash engine against the simulated chip, over the real
 * SWD link and DAP (sim probe). The simulator's back doors (sim_peek,
 * counters, fault injection) are used only to look and to break things. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_run.h"
#include "../nrf52/nrf52.h"
#include "../nrf52/nrf52_priv.h"
#include "../sim/sim.h"
#include "../swd/probe.h"

struct fx {
	struct swd_probe *p;
	struct nrf52 *n;
	struct sf_err err;
	char log[8192];
	int cancel_after;   /* progress calls in PROGRAM before cancelling; 0 = never */
	int program_calls;
};

static void fx_log(void *user, const char *line)
{
	struct fx *f = user;
	size_t l = strlen(f->log);

	snprintf(f->log + l, sizeof(f->log) - l, "%s\n", line);
}

static int fx_progress(void *user, enum nrf52_phase phase, uint64_t done, uint64_t total)
{
	struct fx *f = user;

	ck_assert_uint_le(done, total);
	if (phase == NRF52_PHASE_PROGRAM && f->cancel_after &&
	    ++f->program_calls >= f->cancel_after)
		return 1;
	return 0;
}

static void fx_open(struct fx *f, const char *spec)
{
	memset(f, 0, sizeof(*f));
	ck_assert_msg(swd_probe_open(spec, &f->p, &f->err) == 0, "%s: %s", spec, f->err.msg);
	ck_assert_ptr_nonnull(swd_probe_sim(f->p));
	f->n = nrf52_new(swd_probe_dap(f->p), swd_probe_clock(f->p), fx_log, f);
	ck_assert_ptr_nonnull(f->n);
	nrf52_set_progress(f->n, fx_progress, f);
}

/* A new engine on the same wire, as a second swdflash run would have. */
static void fx_new_engine(struct fx *f)
{
	nrf52_free(f->n);
	f->n = nrf52_new(swd_probe_dap(f->p), swd_probe_clock(f->p), fx_log, f);
	nrf52_set_progress(f->n, fx_progress, f);
}

static void fx_close(struct fx *f)
{
	nrf52_free(f->n);
	swd_probe_close(f->p);
}

static const struct sim_counters *fx_cnt(struct fx *f)
{
	return sim_counters(swd_probe_sim(f->p));
}

static uint32_t fx_peek32(struct fx *f, uint32_t addr)
{
	uint32_t v;

	ck_assert_int_eq(sim_peek(swd_probe_sim(f->p), addr, &v, 4), 0);
	return v;
}

/* ---- images built by hand (the parsers have their own suite) ---- */

static void img_add(struct img *img, uint32_t addr, const void *data, uint32_t len)
{
	struct img_segment *s;

	img->seg = realloc(img->seg, (img->nseg + 1) * sizeof(*img->seg));
	ck_assert_ptr_nonnull(img->seg);
	s = &img->seg[img->nseg++];
	s->addr = addr;
	s->len = len;
	s->data = malloc(len);
	ck_assert_ptr_nonnull(s->data);
	memcpy(s->data, data, len);
	img->total += len;
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

static void assert_chip_equals(struct fx *f, uint32_t addr, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len);

	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(sim_peek(swd_probe_sim(f->p), addr, got, len), 0);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(got[i] == want[i], "chip 0x%08zx: 0x%02x, expected 0x%02x",
			      addr + i, got[i], want[i]);
	free(got);
}

static const struct nrf52_flash_opts opts_auto = { .erase = NRF52_ERASE_AUTO, .verify = 1 };
/* The wire path only: for the tests that count what crosses the wire. */
static const struct nrf52_flash_opts opts_wire = { .erase = NRF52_ERASE_AUTO, .verify = 1,
						   .no_target_code = 1 };

static void flash_ok(struct fx *f, const struct img *img, const struct nrf52_flash_opts *o,
		     struct nrf52_stats *st)
{
	int rc = nrf52_flash(f->n, img, o, st, &f->err);

	ck_assert_msg(rc == 0, "flash: %d %s", rc, f->err.msg);
}

/* ---- a DAP that advertises less: the seam as another probe kind ----
 *
 * Wraps the sim probe's DAP, hides capabilities (an ST-Link without the
 * CTRL-AP, a probe without nRESET, a USB probe whose writes are not paced
 * by WAIT) and records what the engine does through the seam: calls, flash
 * word writes since their page was last erased, NVMC READY polls. */
#define SPY_WORDS (1024U * 1024U / 4U)

struct spy {
	struct dap dap;     /* what the engine gets */
	struct dap *inner;  /* the sim probe's */
	uint64_t calls, ap_calls;
	uint8_t *writes;    /* per flash word, since the last erase of its page */
	unsigned max_writes;
	uint64_t flash_words, ready_reads, ready_busy;
	uint64_t fail_write_at; /* the nth flash word write reports failure (after
				   it reached the chip, like a USB probe); 0 = off */
};

static int spy_connect(void *ctx, uint32_t *dpidr, struct sf_err *err)
{
	struct spy *s = ctx;

	s->calls++;
	return s->inner->ops->connect(s->inner->ctx, dpidr, err);
}

static int spy_dp_read(void *ctx, unsigned reg, uint32_t *v, struct sf_err *err)
{
	struct spy *s = ctx;

	s->calls++;
	return s->inner->ops->dp_read(s->inner->ctx, reg, v, err);
}

static int spy_dp_write(void *ctx, unsigned reg, uint32_t v, struct sf_err *err)
{
	struct spy *s = ctx;

	s->calls++;
	return s->inner->ops->dp_write(s->inner->ctx, reg, v, err);
}

static int spy_ap_read(void *ctx, unsigned ap, unsigned reg, uint32_t *v, struct sf_err *err)
{
	struct spy *s = ctx;

	s->calls++;
	s->ap_calls++;
	if (!(s->dap.caps & DAP_CAP_ANY_AP))
		return sf_err_set(err, SF_E_UNSUPPORTED, "spy: no AP access");
	return s->inner->ops->ap_read(s->inner->ctx, ap, reg, v, err);
}

static int spy_ap_write(void *ctx, unsigned ap, unsigned reg, uint32_t v, struct sf_err *err)
{
	struct spy *s = ctx;

	s->calls++;
	s->ap_calls++;
	if (!(s->dap.caps & DAP_CAP_ANY_AP))
		return sf_err_set(err, SF_E_UNSUPPORTED, "spy: no AP access");
	return s->inner->ops->ap_write(s->inner->ctx, ap, reg, v, err);
}

static int spy_mem_read(void *ctx, uint32_t addr, void *buf, size_t len, unsigned size,
			struct sf_err *err)
{
	struct spy *s = ctx;
	int rc;

	s->calls++;
	rc = s->inner->ops->mem_read(s->inner->ctx, addr, buf, len, size, err);
	if (!rc && addr == NRF52_NVMC_READY && len == 4) {
		uint32_t v;
		memcpy(&v, buf, 4);
		s->ready_reads++;
		s->ready_busy += !(v & 1U);
	}
	return rc;
}

static int spy_mem_write(void *ctx, uint32_t addr, const void *buf, size_t len, unsigned size,
			 struct sf_err *err)
{
	struct spy *s = ctx;
	uint32_t v = 0;
	int rc;

	s->calls++;
	if (len == 4)
		memcpy(&v, buf, 4);
	rc = s->inner->ops->mem_write(s->inner->ctx, addr, buf, len, size, err);
	if (rc)
		return rc;
	if (addr == NRF52_NVMC_ERASEPAGE && len == 4 && v < 1024U * 1024U)
		memset(s->writes + v / 4, 0, 4096 / 4);
	if (addr == NRF52_NVMC_ERASEALL && len == 4 && (v & 1U))
		memset(s->writes, 0, SPY_WORDS);
	for (size_t i = 0; addr < 1024U * 1024U && i < len / 4; i++) {
		uint8_t *w = &s->writes[addr / 4 + i];
		if (++*w > s->max_writes)
			s->max_writes = *w;
		if (++s->flash_words == s->fail_write_at)
			return sf_err_set(err, SF_E_PROTOCOL, "spy: no answer to the command");
	}
	return 0;
}

static int spy_reset_pin(void *ctx, int level, struct sf_err *err)
{
	struct spy *s = ctx;

	s->calls++;
	if (!(s->dap.caps & DAP_CAP_RESET_PIN))
		return sf_err_set(err, SF_E_UNSUPPORTED, "spy: no nRESET");
	return s->inner->ops->reset_pin(s->inner->ctx, level, err);
}

static void spy_flush(void *ctx)
{
	struct spy *s = ctx;

	s->inner->ops->flush(s->inner->ctx);
}

static void spy_get_stats(void *ctx, struct dap_stats *st)
{
	struct spy *s = ctx;

	s->inner->ops->get_stats(s->inner->ctx, st);
}

static void spy_target_reset(void *ctx)
{
	struct spy *s = ctx;

	s->inner->ops->target_reset(s->inner->ctx);
}

static const struct dap_ops spy_ops = {
	.connect = spy_connect, .dp_read = spy_dp_read, .dp_write = spy_dp_write,
	.ap_read = spy_ap_read, .ap_write = spy_ap_write, .mem_read = spy_mem_read,
	.mem_write = spy_mem_write, .reset_pin = spy_reset_pin, .flush = spy_flush,
	.get_stats = spy_get_stats, .target_reset = spy_target_reset,
};

/* Open spec with an engine on a spy that hides the capabilities in hide. */
static void fx_open_spy(struct fx *f, struct spy *s, const char *spec, unsigned hide)
{
	fx_open(f, spec);
	memset(s, 0, sizeof(*s));
	s->inner = swd_probe_dap(f->p);
	s->dap.ops = &spy_ops;
	s->dap.ctx = s;
	s->dap.caps = s->inner->caps & ~hide;
	s->writes = calloc(SPY_WORDS, 1);
	ck_assert_ptr_nonnull(s->writes);
	nrf52_free(f->n);
	f->n = nrf52_new(&s->dap, swd_probe_clock(f->p), fx_log, f);
	ck_assert_ptr_nonnull(f->n);
	nrf52_set_progress(f->n, fx_progress, f);
}

static void fx_close_spy(struct fx *f, struct spy *s)
{
	fx_close(f);
	free(s->writes);
}

/* ---- identify ---- */

START_TEST(test_identify_parts)
{
	static const struct {
		const char *spec, *name;
		uint32_t part, flash, ram;
		int readynext;
	} t[] = {
		{ "sim:part=nrf52832", "nRF52832", 0x52832, 512 * 1024, 64 * 1024, 0 },
		{ "sim:part=nrf52833", "nRF52833", 0x52833, 512 * 1024, 128 * 1024, 1 },
		{ "sim:part=nrf52840", "nRF52840", 0x52840, 1024 * 1024, 256 * 1024, 1 },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct nrf52_info in;
		struct fx f;

		fx_open(&f, t[i].spec);
		ck_assert_msg(nrf52_identify(f.n, &in, &f.err) == 0, "%s", f.err.msg);
		ck_assert_str_eq(in.name, t[i].name);
		ck_assert_uint_eq(in.part, t[i].part);
		ck_assert_uint_eq(in.flash_size, t[i].flash);
		ck_assert_uint_eq(in.ram_size, t[i].ram);
		ck_assert_uint_eq(in.page_size, 4096);
		ck_assert_int_eq(in.has_readynext, t[i].readynext);
		ck_assert_uint_eq(in.dpidr, 0x2BA01477);
		ck_assert_uint_eq(in.ctrl_ap_idr, 0x02880000);
		ck_assert_uint_eq(in.ahb_ap_idr, 0x24770011);
		ck_assert_int_eq(in.identified, 1);
		ck_assert_int_eq(in.locked, 0);
		ck_assert_int_eq(in.hardened, 0);
		ck_assert_int_eq(strlen(in.variant), 4);
		/* FICR DEVICEID as the bus reads it */
		ck_assert_uint_eq(in.device_id, ((uint64_t)fx_peek32(&f, 0x10000064) << 32) |
						fx_peek32(&f, 0x10000060));
		fx_close(&f);
	}
}
END_TEST

START_TEST(test_part_table)
{
	const struct nrf52_part *p;

	p = nrf52_part_lookup(0x52832, "ABB0");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->flash_kib, 256);
	p = nrf52_part_lookup(0x52832, "AAE0");
	ck_assert_uint_eq(p->flash_kib, 512);
	p = nrf52_part_lookup(0x52810, "AAC0");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->supported, 0);
	ck_assert_ptr_null(nrf52_part_lookup(0x52999, "AAA0"));
	/* nrfx configuration 249: var1 must be the part's, var2 at or above the
	 * first hardened build; unknown newer var2 values are hardened too */
	p = nrf52_part_lookup(0x52840, "AAD0");
	ck_assert_int_eq(nrf52_part_is_hardened(p, 0x08, 0x04), 0);
	ck_assert_int_eq(nrf52_part_is_hardened(p, 0x08, 0x05), 1);
	ck_assert_int_eq(nrf52_part_is_hardened(p, 0x08, 0x77), 1);
	ck_assert_int_eq(nrf52_part_is_hardened(p, 0xFFFFFFFF, 0xFFFFFFFF), 0);
}
END_TEST

START_TEST(test_check_image_range)
{
	struct nrf52_info in;
	struct img img = { 0 };
	uint8_t b[16] = { 0 };
	struct fx f;

	fx_open(&f, "sim:part=nrf52832");
	ck_assert_int_eq(nrf52_identify(f.n, &in, &f.err), 0);
	img_add(&img, 0x7FFF8, b, 16);  /* crosses the end of 512 KiB */
	ck_assert_int_eq(nrf52_check_image(&in, &img, &f.err), SF_E_RANGE);
	ck_assert_ptr_nonnull(strstr(f.err.msg, "0x0007fff8-0x00080007"));
	ck_assert_ptr_nonnull(strstr(f.err.msg, "nRF52832"));
	ck_assert_ptr_nonnull(strstr(f.err.msg, "0x0007ffff"));
	/* nothing was written by a refused flash */
	sim_counters_reset(swd_probe_sim(f.p));
	ck_assert_int_eq(nrf52_flash(f.n, &img, &opts_auto, NULL, &f.err), SF_E_RANGE);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, 0);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 0);
	img_free(&img);
	img_add(&img, 0x10001080, b, 8);  /* UICR CUSTOMER: fine */
	ck_assert_int_eq(nrf52_check_image(&in, &img, &f.err), 0);
	img_free(&img);
	img_add(&img, 0x20000000, b, 8);  /* RAM: refused */
	ck_assert_int_eq(nrf52_check_image(&in, &img, &f.err), SF_E_RANGE);
	img_free(&img);
	fx_close(&f);
}
END_TEST

/* ---- program ---- */

START_TEST(test_program_and_skip_unchanged)
{
	uint8_t data[3 * 4096 + 100];
	struct nrf52_stats st;
	struct img img = { 0 };
	struct fx f;

	fill_random(data, sizeof(data), 1);
	fx_open(&f, "sim:part=nrf52840");
	img_add(&img, 0x1000, data, sizeof(data));
	flash_ok(&f, &img, &opts_auto, &st);
	assert_chip_equals(&f, 0x1000, data, sizeof(data));
	ck_assert_uint_eq(st.pages_written, 4);
	ck_assert_uint_eq(st.pages_erased, 0);          /* blank chip: no erase needed */
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 0);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, sizeof(data) / 4);
	ck_assert_uint_eq(st.bytes_verified, sizeof(data));
	/* the core was halted before the NVMC was touched and stays halted */
	ck_assert_int_eq(sim_core_halted(swd_probe_sim(f.p)), 1);

	/* same image again, from a fresh engine: nothing is written */
	fx_new_engine(&f);
	sim_counters_reset(swd_probe_sim(f.p));
	flash_ok(&f, &img, &opts_auto, &st);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, 0);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 0);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_erase_alls, 0);
	ck_assert_uint_eq(st.pages_skipped, 4);
	ck_assert_uint_eq(st.pages_written, 0);

	/* unless a full write is asked for */
	{
		struct nrf52_flash_opts o = opts_auto;
		o.full_write = 1;
		sim_counters_reset(swd_probe_sim(f.p));
		flash_ok(&f, &img, &o, &st);
		ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 4);
		ck_assert_uint_ge(fx_cnt(&f)->nvmc_writes, sizeof(data) / 4 - 8);
		assert_chip_equals(&f, 0x1000, data, sizeof(data));
	}
	img_free(&img);
	fx_close(&f);
}
END_TEST

/* One page on a blank chip: the wire carries one DRW write per word plus a
 * handful of TAR/CSW/NVMC accesses, no per-word READY poll, and the bus
 * stall (WAIT) paces the stream. */
START_TEST(test_transfer_economy)
{
	uint8_t data[4096];
	struct nrf52_stats st;
	struct img img = { 0 };
	/* the wire path: the compare pass reads (no on-target CRC) */
	struct nrf52_flash_opts o = { .erase = NRF52_ERASE_AUTO, .verify = 0,
				      .verify_mode = NRF52_VERIFY_READ };
	struct fx f;
	const struct sim_counters *c;

	fill_random(data, sizeof(data), 2);
	/* 4 MHz: a DRW write (46 cycles) is shorter than t_WRITE, so the
	 * stream outruns the NVMC and the bus must stall it */
	fx_open(&f, "sim:part=nrf52840,period_ns=250");
	ck_assert_int_eq(nrf52_identify(f.n, NULL, &f.err), 0);
	img_add(&img, 0x3000, data, sizeof(data));
	sim_counters_reset(swd_probe_sim(f.p));
	flash_ok(&f, &img, &o, &st);
	c = fx_cnt(&f);
	ck_assert_uint_eq(c->nvmc_writes, 1024);
	/* writes: 1024 DRW; TAR: 4 for the compare, 4 for the stream, 2 for the
	 * halt, 2 READY and 2 CONFIG; DRW: halt and 2 CONFIG: 1041 */
	ck_assert_msg(c->ap_writes <= 1024 + 20, "ap_writes %llu", (unsigned long long)c->ap_writes);
	/* reads: the compare pass (1024) + DHCSR + 2 READY polls, not one per word */
	ck_assert_msg(c->ap_reads <= 1024 + 8, "ap_reads %llu", (unsigned long long)c->ap_reads);
	ck_assert_msg(c->acks_wait > 0, "the NVMC never stalled the bus");
	img_free(&img);
	fx_close(&f);
}
END_TEST

START_TEST(test_partial_words_preserved)
{
	uint8_t a[8192], b[3], c1[1], want[8192];
	struct nrf52_stats st;
	struct img ia = { 0 }, ib = { 0 }, ic = { 0 };
	struct fx f;

	fill_random(a, sizeof(a), 3);
	a[0x1001] = 0x00;  /* so that b needs a 0->1 bit */
	fx_open(&f, "sim:part=nrf52833");
	img_add(&ia, 0x2000, a, sizeof(a));
	flash_ok(&f, &ia, &opts_auto, &st);

	/* 3 bytes at an odd address, needing an erase of their page: every
	 * other byte of that page survives */
	b[0] = 0xFF;
	b[1] = 0x5A;
	b[2] = 0xA5;
	img_add(&ib, 0x3001, b, 3);
	sim_counters_reset(swd_probe_sim(f.p));
	flash_ok(&f, &ib, &opts_auto, &st);
	memcpy(want, a, sizeof(a));
	memcpy(want + 0x1001, b, 3);
	assert_chip_equals(&f, 0x2000, want, sizeof(want));
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 1);
	ck_assert_uint_eq(st.pages_erased, 1);
	ck_assert_msg(strstr(f.log, "UICR") == NULL, "%s", f.log);

	/* one byte that only clears bits: no erase, one word written */
	c1[0] = want[0x10] & 0x0F;
	if (c1[0] == want[0x10])
		c1[0] = 0;
	img_add(&ic, 0x2010, c1, 1);
	sim_counters_reset(swd_probe_sim(f.p));
	flash_ok(&f, &ic, &opts_auto, &st);
	want[0x10] = c1[0];
	assert_chip_equals(&f, 0x2000, want, sizeof(want));
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 0);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, 1);
	img_free(&ia);
	img_free(&ib);
	img_free(&ic);
	fx_close(&f);
}
END_TEST

/* A page that must be erased is recognised from its first words: the rest
 * of what the image covers is not read before the erase, while a gap
 * inside the page is read and survives. */
START_TEST(test_compare_stops_early)
{
	uint8_t a[4096], b[4096], want[4096];
	struct nrf52_stats st;
	struct img ia = { 0 }, ib = { 0 };
	struct fx f;

	fill_random(a, sizeof(a), 11);
	fill_random(b, sizeof(b), 12);
	a[0] = 0x00;
	b[0] = 0xFF; /* the first word needs a 0->1 bit */
	fx_open(&f, "sim:part=nrf52840");
	img_add(&ia, 0x5000, a, sizeof(a));
	flash_ok(&f, &ia, &opts_wire, &st);

	img_add(&ib, 0x5000, b, 0x800);
	img_add(&ib, 0x5900, b + 0x900, 0x700);
	sim_counters_reset(swd_probe_sim(f.p));
	flash_ok(&f, &ib, &opts_wire, &st);
	memcpy(want, b, sizeof(want));
	memcpy(want + 0x800, a + 0x800, 0x100);
	assert_chip_equals(&f, 0x5000, want, sizeof(want));
	ck_assert_uint_eq(st.pages_erased, 1);
	/* compare: a first run of 1 word + the 64-word gap; verify: 1024 */
	const struct sim_counters *c = fx_cnt(&f);
	ck_assert_msg(c->ap_reads <= 1 + 64 + 1024 + 8, "ap_reads %llu",
		      (unsigned long long)c->ap_reads);
	img_free(&ia);
	img_free(&ib);
	fx_close(&f);
}
END_TEST

/* One wire glitch (a target-driven bit inverted) at positions spread over
 * a whole flash job - compare, erase, program, verify, reset: the job
 * still succeeds and the chip holds exactly the image. */
START_TEST(test_flash_survives_a_glitch)
{
	uint8_t old[8192], data[8192];
	struct nrf52_stats st;
	struct img ia = { 0 }, ib = { 0 };
	struct fx f;
	uint64_t job_cycles;

	fill_random(old, sizeof(old), 21);
	fill_random(data, sizeof(data), 22);
	fx_open(&f, "sim:part=nrf52840");
	img_add(&ia, 0x8000, old, sizeof(old));
	img_add(&ib, 0x8000, data, sizeof(data));
	/* measure the job once, then glitch it at 40 points along the way */
	flash_ok(&f, &ia, &opts_wire, &st);
	uint64_t c0 = fx_cnt(&f)->cycles;
	flash_ok(&f, &ib, &opts_wire, &st);
	job_cycles = fx_cnt(&f)->cycles - c0;
	struct dap_stats s0, s1;
	swd_probe_dap(f.p)->ops->get_stats(swd_probe_dap(f.p)->ctx, &s0);
	for (unsigned k = 0; k < 40; k++) {
		const struct img *next = k % 2 ? &ib : &ia;
		fx_new_engine(&f);
		sim_fault_flip_cycle(swd_probe_sim(f.p), 1 + job_cycles * k / 40 + k);
		flash_ok(&f, next, &opts_wire, &st);
		assert_chip_equals(&f, 0x8000, k % 2 ? data : old, sizeof(data));
	}
	/* most glitches land on bits the host reads (the job is mostly reads) */
	swd_probe_dap(f.p)->ops->get_stats(swd_probe_dap(f.p)->ctx, &s1);
	ck_assert_msg(s1.protocol_errors - s0.protocol_errors >= 20, "only %llu glitches seen",
		      (unsigned long long)(s1.protocol_errors - s0.protocol_errors));
	img_free(&ia);
	img_free(&ib);
	fx_close(&f);
}
END_TEST

START_TEST(test_erase_none_refuses)
{
	uint8_t a[256], b[256];
	struct nrf52_flash_opts o = opts_auto;
	struct img ia = { 0 }, ib = { 0 };
	struct fx f;

	memset(a, 0x00, sizeof(a));
	memset(b, 0xF0, sizeof(b));
	fx_open(&f, "sim:part=nrf52840");
	img_add(&ia, 0x5000, a, sizeof(a));
	img_add(&ib, 0x5000, b, sizeof(b));
	flash_ok(&f, &ia, &opts_auto, NULL);
	o.erase = NRF52_ERASE_NONE;
	sim_counters_reset(swd_probe_sim(f.p));
	ck_assert_int_eq(nrf52_flash(f.n, &ib, &o, NULL, &f.err), SF_E_PRECONDITION);
	ck_assert_ptr_nonnull(strstr(f.err.msg, "0x00005000"));
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, 0);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 0);
	assert_chip_equals(&f, 0x5000, a, sizeof(a));
	img_free(&ia);
	img_free(&ib);
	fx_close(&f);
}
END_TEST

START_TEST(test_erase_chip_mode)
{
	uint8_t data[6000], ff[64];
	struct nrf52_flash_opts o = opts_auto;
	struct nrf52_stats st;
	struct img img = { 0 }, old = { 0 };
	struct fx f;

	fill_random(data, sizeof(data), 4);
	memset(data + 1024, 0xFF, 2048);  /* erased words are not written */
	memset(ff, 0x11, sizeof(ff));
	fx_open(&f, "sim:part=nrf52840");
	img_add(&old, 0x80000, ff, sizeof(ff));  /* something ERASEALL must remove */
	flash_ok(&f, &old, &opts_auto, NULL);
	img_add(&img, 0x0, data, sizeof(data));
	o.erase = NRF52_ERASE_CHIP;
	sim_counters_reset(swd_probe_sim(f.p));
	flash_ok(&f, &img, &o, &st);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_erase_alls, 1);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 0);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, (sizeof(data) - 2048) / 4);
	assert_chip_equals(&f, 0, data, sizeof(data));
	memset(ff, 0xFF, sizeof(ff));
	assert_chip_equals(&f, 0x80000, ff, sizeof(ff));
	ck_assert_uint_eq(fx_peek32(&f, 0x10001208), 0xFFFFFFFF);
	img_free(&img);
	img_free(&old);
	fx_close(&f);
}
END_TEST

/* UICR: NRFFW and CUSTOMER words; a change that needs an erase reads,
 * erases and writes back merged, and says so. */
START_TEST(test_uicr_merge)
{
	uint32_t nrffw[2] = { 0x000F4000, 0x000FE000 }, cust0 = 0x11223344;
	uint32_t cust_new[2] = { 0xFFFF0000, 0xAABBCCDD };
	struct nrf52_stats st;
	struct img i1 = { 0 }, i2 = { 0 };
	struct fx f;

	fx_open(&f, "sim:part=nrf52840");
	img_add(&i1, 0x10001014, nrffw, sizeof(nrffw));
	img_add(&i1, 0x10001080, &cust0, 4);
	flash_ok(&f, &i1, &opts_auto, &st);
	ck_assert_uint_eq(fx_peek32(&f, 0x10001014), 0x000F4000);
	ck_assert_uint_eq(fx_peek32(&f, 0x10001018), 0x000FE000);
	ck_assert_uint_eq(fx_peek32(&f, 0x10001080), 0x11223344);
	ck_assert_int_eq(st.uicr_erased, 0);  /* blank UICR: written, not erased */

	img_add(&i2, 0x10001080, cust_new, sizeof(cust_new));
	sim_counters_reset(swd_probe_sim(f.p));
	f.log[0] = '\0';
	flash_ok(&f, &i2, &opts_auto, &st);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_uicr_erases, 1);
	ck_assert_int_eq(st.uicr_erased, 1);
	ck_assert_int_eq(st.uicr_merged, 1);
	ck_assert_msg(strstr(f.log, "UICR") && strstr(f.log, "merged"), "log: %s", f.log);
	ck_assert_uint_eq(fx_peek32(&f, 0x10001014), 0x000F4000);  /* kept */
	ck_assert_uint_eq(fx_peek32(&f, 0x10001018), 0x000FE000);
	ck_assert_uint_eq(fx_peek32(&f, 0x10001080), 0xFFFF0000);
	ck_assert_uint_eq(fx_peek32(&f, 0x10001084), 0xAABBCCDD);
	ck_assert_uint_eq(fx_peek32(&f, 0x10001208), 0xFFFFFFFF);  /* still open */
	ck_assert_int_eq(nrf52_verify(f.n, &i2, &f.err), 0);
	img_free(&i1);
	img_free(&i2);
	fx_close(&f);
}
END_TEST

/* ---- verify ---- */

START_TEST(test_verify_catches_corruption)
{
	uint8_t data[2048];
	struct img img = { 0 };
	struct fx f;

	fill_random(data, sizeof(data), 5);
	data[0x234] = 0x00;
	fx_open(&f, "sim:part=nrf52832");
	img_add(&img, 0x1000, data, sizeof(data));
	flash_ok(&f, &img, &opts_auto, NULL);
	ck_assert_int_eq(nrf52_verify(f.n, &img, &f.err), 0);
	sim_fault_corrupt(swd_probe_sim(f.p), 0x1234, 0x10);
	ck_assert_int_eq(nrf52_verify(f.n, &img, &f.err), SF_E_VERIFY);
	ck_assert_msg(strstr(f.err.msg, "0x00001234") && strstr(f.err.msg, "expected 0x00") &&
		      strstr(f.err.msg, "read 0x10"), "%s", f.err.msg);
	img_free(&img);
	fx_close(&f);
}
END_TEST

/* ---- faults ---- */

START_TEST(test_target_lost_mid_program)
{
	uint8_t data[16384];
	/* the wire path (the routines have their own fault tests) */
	struct nrf52_flash_opts o = { .erase = NRF52_ERASE_CHIP, .verify = 1,
				      .no_target_code = 1 };
	struct img img = { 0 };
	uint64_t cycles;
	struct fx f;
	int rc;

	fill_random(data, sizeof(data), 6);
	img_add(&img, 0x8000, data, sizeof(data));
	/* how many cycles the whole job takes ... */
	fx_open(&f, "sim:part=nrf52840");
	flash_ok(&f, &img, &o, NULL);
	cycles = fx_cnt(&f)->cycles;
	fx_close(&f);
	/* ... and lose the target at 40 % of it: inside the program phase */
	fx_open(&f, "sim:part=nrf52840");
	sim_fault_lose_after(swd_probe_sim(f.p), cycles * 4 / 10);
	rc = nrf52_flash(f.n, &img, &o, NULL, &f.err);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(rc == SF_E_NOTARGET || rc == SF_E_PROTOCOL || rc == SF_E_FAULT,
		      "rc %d: %s", rc, f.err.msg);
	ck_assert_msg(strstr(f.err.msg, "programming flash") && strstr(f.err.msg, "writing 0x0000"),
		      "%s", f.err.msg);
	img_free(&img);
	fx_close(&f);
}
END_TEST

START_TEST(test_power_loss_then_reflash)
{
	uint8_t data[3 * 4096];
	struct nrf52_stats st;
	struct img img = { 0 };
	struct fx f;
	int rc;

	fill_random(data, sizeof(data), 7);
	fx_open(&f, "sim:part=nrf52840");
	img_add(&img, 0x10000, data, sizeof(data));
	sim_fault_power_loss_at_write(swd_probe_sim(f.p), 1500);  /* in the middle of page 2 */
	rc = nrf52_flash(f.n, &img, &opts_auto, NULL, &f.err);
	ck_assert_int_ne(rc, 0);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, 1500);
	sim_power_cycle(swd_probe_sim(f.p));
	fx_new_engine(&f);
	sim_counters_reset(swd_probe_sim(f.p));
	flash_ok(&f, &img, &opts_auto, &st);
	assert_chip_equals(&f, 0x10000, data, sizeof(data));
	/* page 1 survived whole and is skipped. The torn word holds a subset
	 * of its zero bits, so it is completed in place (no erase needed);
	 * the rest of page 2 and page 3 are written. */
	ck_assert_uint_eq(st.pages_skipped, 1);
	ck_assert_uint_eq(st.pages_written, 2);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, 3 * 1024 - 1500 + 1);
	ck_assert_int_eq(nrf52_verify(f.n, &img, &f.err), 0);
	img_free(&img);
	fx_close(&f);
}
END_TEST

START_TEST(test_cancel_at_safe_point)
{
	uint8_t data[4 * 4096];
	struct img img = { 0 };
	struct fx f;

	fill_random(data, sizeof(data), 8);
	fx_open(&f, "sim:part=nrf52840");
	img_add(&img, 0x20000, data, sizeof(data));
	f.cancel_after = 2;  /* after the first page */
	ck_assert_int_eq(nrf52_flash(f.n, &img, &opts_auto, NULL, &f.err), SF_E_CANCELLED);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, 1024);  /* exactly one page */
	f.cancel_after = 0;
	flash_ok(&f, &img, &opts_auto, NULL);
	assert_chip_equals(&f, 0x20000, data, sizeof(data));
	img_free(&img);
	fx_close(&f);
}
END_TEST

/* ---- APPROTECT ---- */

START_TEST(test_legacy_locked_recover_flash)
{
	uint8_t data[1000];
	struct nrf52_info in;
	struct nrf52_flash_opts o = opts_auto;
	struct img img = { 0 };
	struct fx f;

	fill_random(data, sizeof(data), 9);
	img_add(&img, 0x0, data, sizeof(data));
	fx_open(&f, "sim:part=nrf52832,rev=legacy,locked=1");
	ck_assert_int_eq(nrf52_identify(f.n, &in, &f.err), 0);
	ck_assert_int_eq(in.locked, 1);
	ck_assert_int_eq(in.identified, 0);
	ck_assert_int_eq(nrf52_flash(f.n, &img, &o, NULL, &f.err), SF_E_LOCKED);
	ck_assert_uint_eq(fx_cnt(&f)->ctrlap_erase_alls, 0);
	o.recover = 1;
	{
		/* an image no nRF52 can hold is refused before the recover erases */
		struct img far = { 0 };
		img_add(&far, 0x200000, data, 16);
		ck_assert_int_eq(nrf52_flash(f.n, &far, &o, NULL, &f.err), SF_E_RANGE);
		ck_assert_uint_eq(fx_cnt(&f)->ctrlap_erase_alls, 0);
		img_free(&far);
	}
	o.reset = 1;
	flash_ok(&f, &img, &o, NULL);
	ck_assert_uint_eq(fx_cnt(&f)->ctrlap_erase_alls, 1);
	ck_assert_ptr_nonnull(strstr(f.log, "legacy"));
	/* never 0x5A on a legacy part: that value would lock it */
	ck_assert_uint_eq(fx_peek32(&f, 0x10001208), 0xFFFFFFFF);
	/* after the reset (flash reset=1) the chip is open and verifies */
	ck_assert_int_eq(sim_is_locked(swd_probe_sim(f.p)), 0);
	fx_new_engine(&f);
	ck_assert_int_eq(nrf52_verify(f.n, &img, &f.err), 0);
	assert_chip_equals(&f, 0, data, sizeof(data));
	img_free(&img);
	fx_close(&f);
}
END_TEST

/* The test programs of tests/fw/ (tests/fw/build.sh): approtect is a
 * flash image that writes APPROTECT.DISABLE = UICR.APPROTECT at boot. */
struct fw {
	const char *name;
	uint32_t addr;
	const uint8_t *bytes;
	size_t len;
};

#include "fw/fw_all.inc"

static void hardened_case(int fw_disables)
{
	struct nrf52_info in;
	struct fx f;

	fx_open(&f, "sim:part=nrf52840,rev=hardened,locked=1");
	ck_assert_msg(sim_core_can_execute(swd_probe_sim(f.p)), "the simulated core cannot "
		      "execute: libunicorn.so.2 missing (Debian libunicorn2)");
	ck_assert_int_eq(nrf52_identify(f.n, &in, &f.err), 0);
	ck_assert_int_eq(in.locked, 1);
	ck_assert_msg(nrf52_recover(f.n, &f.err) == 0, "%s", f.err.msg);
	in = *nrf52_get_info(f.n);
	ck_assert_int_eq(in.locked, 0);
	ck_assert_int_eq(in.hardened, 1);
	ck_assert_uint_eq(fx_peek32(&f, 0x10001208) & 0xFF, 0x5A);
	ck_assert_msg(strstr(f.log, "APPROTECT.DISABLE"), "%s", f.log);
	if (fw_disables) {
		/* the recovered (erased) chip gets firmware that writes it */
		struct img img = { 0 };
		img_add(&img, 0x0, fw_approtect, sizeof fw_approtect);
		flash_ok(&f, &img, &opts_auto, NULL);
		img_free(&img);
	}
	/* a system reset: open only if the firmware writes APPROTECT.DISABLE */
	ck_assert_msg(nrf52_reset(f.n, NRF52_RESET_SYSRESETREQ, 0, &f.err) == 0, "%s",
		      f.err.msg);
	ck_assert_int_eq(nrf52_get_info(f.n)->locked, !fw_disables);
	ck_assert_int_eq(sim_is_locked(swd_probe_sim(f.p)), !fw_disables);
	fx_new_engine(&f);
	ck_assert_int_eq(nrf52_identify(f.n, &in, &f.err), 0);
	ck_assert_int_eq(in.locked, !fw_disables);
	if (!fw_disables)
		ck_assert_ptr_nonnull(strstr(f.log, "locked again"));
	fx_close(&f);
}

START_TEST(test_hardened_recover_reset_open)
{
	hardened_case(1);
}
END_TEST

START_TEST(test_hardened_recover_reset_locks_without_fw)
{
	hardened_case(0);
}
END_TEST

/* ---- reset, halt, read ---- */

START_TEST(test_reset_kinds)
{
	struct fx f;
	uint64_t resets;

	fx_open(&f, "sim:part=nrf52840");
	ck_assert_int_eq(nrf52_halt(f.n, &f.err), 0);
	ck_assert_int_eq(sim_core_halted(swd_probe_sim(f.p)), 1);
	ck_assert_int_eq(nrf52_resume(f.n, &f.err), 0);
	ck_assert_int_eq(sim_core_halted(swd_probe_sim(f.p)), 0);

	resets = fx_cnt(&f)->resets;
	ck_assert_msg(nrf52_reset(f.n, NRF52_RESET_SYSRESETREQ, 1, &f.err) == 0, "%s", f.err.msg);
	ck_assert_int_eq(sim_core_halted(swd_probe_sim(f.p)), 1);
	ck_assert_uint_eq(fx_cnt(&f)->resets, resets + 1);
	ck_assert_msg(nrf52_reset(f.n, NRF52_RESET_SYSRESETREQ, 0, &f.err) == 0, "%s", f.err.msg);
	ck_assert_int_eq(sim_core_halted(swd_probe_sim(f.p)), 0);
	ck_assert_msg(nrf52_reset(f.n, NRF52_RESET_CTRLAP, 1, &f.err) == 0, "%s", f.err.msg);
	ck_assert_int_eq(sim_core_halted(swd_probe_sim(f.p)), 1);
	ck_assert_uint_eq(fx_cnt(&f)->resets, resets + 3);
	/* blank UICR: P0.18 is a GPIO, so a pin reset is refused by name */
	ck_assert_int_eq(nrf52_reset(f.n, NRF52_RESET_PIN, 0, &f.err), SF_E_UNSUPPORTED);
	ck_assert_msg(strstr(f.err.msg, "PSELRESET"), "%s", f.err.msg);
	{
		uint32_t psel[2] = { 18, 18 };  /* P0.18, CONNECT = 0 */
		struct img img = { 0 };
		img_add(&img, 0x10001200, psel, sizeof(psel));
		flash_ok(&f, &img, &opts_auto, NULL);
		img_free(&img);
	}
	resets = fx_cnt(&f)->resets;
	ck_assert_msg(nrf52_reset(f.n, NRF52_RESET_PIN, 1, &f.err) == 0, "%s", f.err.msg);
	ck_assert_int_eq(sim_core_halted(swd_probe_sim(f.p)), 1);
	ck_assert_uint_eq(fx_cnt(&f)->resets, resets + 1);
	fx_close(&f);
}
END_TEST

START_TEST(test_read_unaligned)
{
	uint8_t data[64], got[64];
	struct img img = { 0 };
	struct fx f;

	fill_random(data, sizeof(data), 10);
	fx_open(&f, "sim:part=nrf52833");
	img_add(&img, 0x4000, data, sizeof(data));
	flash_ok(&f, &img, &opts_auto, NULL);
	for (unsigned off = 0; off < 4; off++) {
		for (unsigned len = 1; len < 12; len++) {
			memset(got, 0, sizeof(got));
			ck_assert_int_eq(nrf52_read(f.n, 0x4001 + off, got, len, &f.err), 0);
			ck_assert_mem_eq(got, data + 1 + off, len);
		}
	}
	/* a read past the end of flash is a bus error, reported as such */
	ck_assert_int_ne(nrf52_read(f.n, 0x7FFFC, got, 8, &f.err), 0);
	img_free(&img);
	fx_close(&f);
}
END_TEST

START_TEST(test_erase_range_and_uicr)
{
	uint8_t data[3 * 4096], ff[3 * 4096];
	uint32_t cust = 0x12345678;
	struct img img = { 0 };
	struct fx f;

	fill_random(data, sizeof(data), 11);
	memset(ff, 0xFF, sizeof(ff));
	fx_open(&f, "sim:part=nrf52840");
	img_add(&img, 0x6000, data, sizeof(data));
	img_add(&img, 0x10001080, &cust, 4);
	flash_ok(&f, &img, &opts_auto, NULL);
	sim_counters_reset(swd_probe_sim(f.p));
	ck_assert_int_eq(nrf52_erase_range(f.n, 0x7000, 0x7001, &f.err), 0);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 1);
	assert_chip_equals(&f, 0x6000, data, 4096);
	assert_chip_equals(&f, 0x7000, ff, 4096);
	assert_chip_equals(&f, 0x8000, data + 8192, 4096);
	ck_assert_int_eq(nrf52_erase_range(f.n, 0x100000, 0x101000, &f.err), SF_E_RANGE);
	ck_assert_int_eq(nrf52_erase_uicr(f.n, &f.err), 0);
	ck_assert_uint_eq(fx_peek32(&f, 0x10001080), 0xFFFFFFFF);
	ck_assert_int_eq(nrf52_erase_chip(f.n, &f.err), 0);
	assert_chip_equals(&f, 0x6000, ff, sizeof(ff));
	img_free(&img);
	fx_close(&f);
}
END_TEST

START_TEST(test_no_target)
{
	struct fx f;

	fx_open(&f, "sim:part=nrf52840");
	sim_fault_absent(swd_probe_sim(f.p), 1);
	ck_assert_int_eq(nrf52_identify(f.n, NULL, &f.err), SF_E_NOTARGET);
	fx_close(&f);
}
END_TEST

/* ---- probes that cannot do everything ---- */

/* The sim probe advertises everything the engine may ask for. */
START_TEST(test_sim_probe_caps)
{
	struct fx f;

	fx_open(&f, "sim:part=nrf52840");
	ck_assert_uint_eq(swd_probe_dap(f.p)->caps, DAP_CAP_ALL);
	fx_close(&f);
}
END_TEST

/* Without WAIT-paced writes (a USB probe): one word, then NVMC READY;
 * no word written twice in a job (none repeated), and the bus stall is
 * not relied on. Checked on a blank chip and on one that needs a page erase,
 * at 10 MHz so that READY is still 0 when it is first polled. */
START_TEST(test_program_without_wait_paced_writes)
{
	uint8_t a[2 * 4096 + 100], b[2 * 4096 + 100], want[sizeof(b)];
	struct nrf52_stats st;
	struct img ia = { 0 }, ib = { 0 };
	struct spy s;
	struct fx f;
	uint64_t words_b;

	fill_random(a, sizeof(a), 31);
	memcpy(b, a, sizeof(b));
	fill_random(b, 256, 32);   /* page 0x3000 changes: erase and rewrite */
	b[4096 + 8] &= 0x0F;       /* page 0x4000: one word only clears bits */
	b[4096 + 8] ^= b[4096 + 8] == a[4096 + 8] ? 0x01 : 0;
	b[4096 + 8] &= a[4096 + 8];
	fx_open_spy(&f, &s, "sim:part=nrf52840,period_ns=100", DAP_CAP_WAIT_PACED);
	img_add(&ia, 0x3000, a, sizeof(a));
	img_add(&ib, 0x3000, b, sizeof(b));

	sim_counters_reset(swd_probe_sim(f.p));
	flash_ok(&f, &ia, &opts_wire, &st);
	assert_chip_equals(&f, 0x3000, a, sizeof(a));
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, sizeof(a) / 4);
	ck_assert_uint_eq(s.flash_words, sizeof(a) / 4);
	ck_assert_uint_eq(s.max_writes, 1);
	/* READY after every word (and a few more around CONFIG changes) */
	ck_assert_uint_ge(s.ready_reads, sizeof(a) / 4);
	ck_assert_msg(s.ready_busy > 0, "READY was never seen busy");
	ck_assert_uint_eq(fx_cnt(&f)->acks_wait, 0);

	fx_new_engine(&f);  /* on the sim DAP again ... */
	nrf52_free(f.n);    /* ... then back on the spy */
	f.n = nrf52_new(&s.dap, swd_probe_clock(f.p), fx_log, &f);
	nrf52_set_progress(f.n, fx_progress, &f);
	sim_counters_reset(swd_probe_sim(f.p));
	/* count this job's writes (page 0x4000's word is programmed again,
	 * 1->0 bits only, as erase=auto does: once in this job) */
	s.flash_words = s.ready_reads = 0;
	s.max_writes = 0;
	memset(s.writes, 0, SPY_WORDS);
	flash_ok(&f, &ib, &opts_wire, &st);
	memcpy(want, b, sizeof(want));
	assert_chip_equals(&f, 0x3000, want, sizeof(want));
	ck_assert_uint_eq(st.pages_erased, 1);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_page_erases, 1);
	/* page 0x3000 whole (it was erased), one word of page 0x4000 */
	words_b = 4096 / 4 + 1;
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, words_b);
	ck_assert_uint_eq(s.flash_words, words_b);
	ck_assert_uint_eq(s.max_writes, 1);
	ck_assert_uint_ge(s.ready_reads, words_b);
	ck_assert_uint_eq(fx_cnt(&f)->acks_wait, 0);
	img_free(&ia);
	img_free(&ib);
	fx_close_spy(&f, &s);
}
END_TEST

/* A word write that fails with unknown progress (it did reach the chip)
 * is not written again: the job stops and names the word. */
START_TEST(test_unpaced_write_failure_not_repeated)
{
	uint8_t data[4096];
	struct img img = { 0 };
	struct spy s;
	struct fx f;

	fill_random(data, sizeof(data), 33);
	fx_open_spy(&f, &s, "sim:part=nrf52840", DAP_CAP_WAIT_PACED);
	img_add(&img, 0x6000, data, sizeof(data));
	s.fail_write_at = 100;
	ck_assert_int_eq(nrf52_flash(f.n, &img, &opts_wire, NULL, &f.err), SF_E_PROTOCOL);
	ck_assert_msg(strstr(f.err.msg, "0x0000618c") && strstr(f.err.msg, "not repeated"),
		      "%s", f.err.msg);
	ck_assert_uint_eq(s.flash_words, 100);
	ck_assert_uint_eq(s.max_writes, 1);
	ck_assert_uint_eq(fx_cnt(&f)->nvmc_writes, 100);
	img_free(&img);
	fx_close_spy(&f, &s);
}
END_TEST

/* Without AP access (an ST-Link that cannot reach the CTRL-AP): recover
 * and the ctrlap reset are refused by name before anything is sent;
 * identify and SYSRESETREQ still work, telling a locked chip from the
 * MEM-AP. */
START_TEST(test_refused_without_ap_access)
{
	struct nrf52_info in;
	struct spy s;
	struct fx f;
	uint64_t resets;

	fx_open_spy(&f, &s, "sim:part=nrf52832,rev=legacy,locked=1", DAP_CAP_ANY_AP);
	ck_assert_int_eq(nrf52_recover(f.n, &f.err), SF_E_UNSUPPORTED);
	ck_assert_msg(strstr(f.err.msg, "recover needs access to any AP") &&
		      strstr(f.err.msg, "AP 1"), "%s", f.err.msg);
	ck_assert_uint_eq(s.calls, 0);
	ck_assert_int_eq(nrf52_reset(f.n, NRF52_RESET_CTRLAP, 0, &f.err), SF_E_UNSUPPORTED);
	ck_assert_msg(strstr(f.err.msg, "ctrlap reset needs access to any AP"), "%s", f.err.msg);
	ck_assert_uint_eq(s.calls, 0);
	/* a locked chip is recognised through the MEM-AP alone */
	ck_assert_msg(nrf52_identify(f.n, &in, &f.err) == 0, "%s", f.err.msg);
	ck_assert_int_eq(in.locked, 1);
	ck_assert_msg(strstr(f.log, "cannot reach the CTRL-AP"), "%s", f.log);
	/* flash with recover=1 refuses before erasing anything */
	{
		struct nrf52_flash_opts o = opts_auto;
		uint8_t b[16] = { 0 };
		struct img img = { 0 };
		img_add(&img, 0, b, sizeof(b));
		o.recover = 1;
		ck_assert_int_eq(nrf52_flash(f.n, &img, &o, NULL, &f.err), SF_E_UNSUPPORTED);
		img_free(&img);
	}
	ck_assert_uint_eq(s.ap_calls, 0);
	ck_assert_uint_eq(fx_cnt(&f)->ctrlap_erase_alls, 0);
	ck_assert_int_eq(sim_is_locked(swd_probe_sim(f.p)), 1);
	fx_close_spy(&f, &s);

	fx_open_spy(&f, &s, "sim:part=nrf52840", DAP_CAP_ANY_AP);
	ck_assert_msg(nrf52_identify(f.n, &in, &f.err) == 0, "%s", f.err.msg);
	ck_assert_int_eq(in.locked, 0);
	ck_assert_str_eq(in.name, "nRF52840");
	ck_assert_uint_eq(in.ctrl_ap_idr, 0);  /* not read */
	resets = fx_cnt(&f)->resets;
	ck_assert_msg(nrf52_reset(f.n, NRF52_RESET_SYSRESETREQ, 1, &f.err) == 0, "%s", f.err.msg);
	ck_assert_uint_eq(fx_cnt(&f)->resets, resets + 1);
	ck_assert_int_eq(sim_core_halted(swd_probe_sim(f.p)), 1);
	ck_assert_int_eq(nrf52_get_info(f.n)->locked, 0);
	ck_assert_uint_eq(s.ap_calls, 0);
	fx_close_spy(&f, &s);
}
END_TEST

/* Without an nRESET line the pin reset is refused by name, untried. */
START_TEST(test_pin_reset_refused_without_reset_line)
{
	struct spy s;
	struct fx f;
	uint64_t resets;

	fx_open_spy(&f, &s, "sim:part=nrf52840", DAP_CAP_RESET_PIN);
	resets = fx_cnt(&f)->resets;
	ck_assert_int_eq(nrf52_reset(f.n, NRF52_RESET_PIN, 0, &f.err), SF_E_UNSUPPORTED);
	ck_assert_msg(strstr(f.err.msg, "pin reset needs an nRESET line"), "%s", f.err.msg);
	ck_assert_uint_eq(s.calls, 0);
	ck_assert_uint_eq(fx_cnt(&f)->resets, resets);
	fx_close_spy(&f, &s);
}
END_TEST

static Suite *nrf52_suite(void)
{
	Suite *s = suite_create("nrf52");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_identify_parts);
	tcase_add_test(tc, test_part_table);
	tcase_add_test(tc, test_check_image_range);
	tcase_add_test(tc, test_program_and_skip_unchanged);
	tcase_add_test(tc, test_transfer_economy);
	tcase_add_test(tc, test_partial_words_preserved);
	tcase_add_test(tc, test_compare_stops_early);
	tcase_add_test(tc, test_flash_survives_a_glitch);
	tcase_add_test(tc, test_erase_none_refuses);
	tcase_add_test(tc, test_erase_chip_mode);
	tcase_add_test(tc, test_uicr_merge);
	tcase_add_test(tc, test_verify_catches_corruption);
	tcase_add_test(tc, test_target_lost_mid_program);
	tcase_add_test(tc, test_power_loss_then_reflash);
	tcase_add_test(tc, test_cancel_at_safe_point);
	tcase_add_test(tc, test_legacy_locked_recover_flash);
	tcase_add_test(tc, test_hardened_recover_reset_open);
	tcase_add_test(tc, test_hardened_recover_reset_locks_without_fw);
	tcase_add_test(tc, test_reset_kinds);
	tcase_add_test(tc, test_read_unaligned);
	tcase_add_test(tc, test_erase_range_and_uicr);
	tcase_add_test(tc, test_no_target);
	tcase_add_test(tc, test_sim_probe_caps);
	tcase_add_test(tc, test_program_without_wait_paced_writes);
	tcase_add_test(tc, test_unpaced_write_failure_not_repeated);
	tcase_add_test(tc, test_refused_without_ap_access);
	tcase_add_test(tc, test_pin_reset_refused_without_reset_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(nrf52_suite());
}
