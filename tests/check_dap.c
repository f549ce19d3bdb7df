// SPDX-License-Identifier: GPL-2.0-or-later
/* DAP layer over the simulated chip: power-up, AP switching, block
 * transfers across 1 KiB boundaries and odd sizes, posted reads; the
 * seam's capabilities, statistics mask, the probe's clock and flush. */
#include <string.h>

#include "swd/dap_swd.h"
#include "swd/link.h"
#include "testutil.h"

static struct swd_probe *connected(void)
{
	struct swd_probe *p = tu_probe("part=nrf52840");
	struct sf_err err = { 0 };
	uint32_t id = 0;

	ck_assert_msg(swd_probe_dap(p)->ops->connect(swd_probe_dap(p)->ctx, &id, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(id, 0x2BA01477);
	return p;
}

START_TEST(power_up)
{
	struct swd_probe *p = connected();
	struct sf_err err = { 0 };
	uint32_t cs = 0;

	ck_assert_int_eq(swd_probe_dap(p)->ops->dp_read(swd_probe_dap(p)->ctx, DAP_DP_CTRLSTAT, &cs, &err), 0);
	ck_assert_uint_eq(cs & 0xF0000000U, 0xF0000000U);
	ck_assert_uint_eq(cs & (DAP_CTRL_STICKYERR | DAP_CTRL_WDATAERR), 0);
	swd_probe_close(p);
}
END_TEST

START_TEST(ap_switching)
{
	struct swd_probe *p = connected();
	struct sf_err err = { 0 };
	uint32_t v = 0;

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(swd_probe_dap(p)->ops->ap_read(swd_probe_dap(p)->ctx, 0, DAP_AP_IDR, &v, &err), 0);
		ck_assert_uint_eq(v, 0x24770011);
		ck_assert_int_eq(swd_probe_dap(p)->ops->ap_read(swd_probe_dap(p)->ctx, 1, DAP_AP_IDR, &v, &err), 0);
		ck_assert_uint_eq(v, 0x02880000);
		/* CTRL-AP APPROTECTSTATUS: 1 = not protected (a blank chip) */
		ck_assert_int_eq(swd_probe_dap(p)->ops->ap_read(swd_probe_dap(p)->ctx, 1, 0x00C, &v, &err), 0);
		ck_assert_uint_eq(v, 1);
		ck_assert_int_eq(swd_probe_dap(p)->ops->ap_read(swd_probe_dap(p)->ctx, 0, DAP_AP_BASE, &v, &err), 0);
		ck_assert_uint_eq(v & 0xFFFFF000U, 0xE00FF000U);
	}
	swd_probe_close(p);
}
END_TEST

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* 32-bit blocks that start and end off 1 KiB boundaries. */
START_TEST(block_across_1k)
{
	struct swd_probe *p = connected();
	struct sf_err err = { 0 };
	static uint8_t out[0x2830], in[0x2830], peek[0x2830];
	const uint32_t addr = 0x200003F0;

	fill(out, sizeof(out), 1);
	ck_assert_msg(swd_probe_dap(p)->ops->mem_write(swd_probe_dap(p)->ctx, addr, out, sizeof(out), 4, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(sim_peek(swd_probe_sim(p), addr, peek, sizeof(peek)), 0);
	ck_assert_mem_eq(peek, out, sizeof(out));
	ck_assert_msg(swd_probe_dap(p)->ops->mem_read(swd_probe_dap(p)->ctx, addr, in, sizeof(in), 4, &err) == 0, "%s",
		      err.msg);
	ck_assert_mem_eq(in, out, sizeof(out));
	swd_probe_close(p);
}
END_TEST

/* One DRW access per word and one TAR write per 1 KiB: the cost the
 * benchmark reports, counted here by the chip. */
START_TEST(block_transfer_count)
{
	struct swd_probe *p = connected();
	struct sf_err err = { 0 };
	static uint8_t buf[4096];

	fill(buf, sizeof(buf), 2);
	/* warm CSW */
	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_write(swd_probe_dap(p)->ctx, 0x20000000, buf, 4, 4, &err), 0);
	const struct sim_counters *c = sim_counters(swd_probe_sim(p));
	uint64_t apw = c->ap_writes, apr = c->ap_reads;
	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_write(swd_probe_dap(p)->ctx, 0x20001000, buf, sizeof(buf), 4, &err), 0);
	ck_assert_uint_eq(c->ap_writes - apw, 1024 + 4); /* 1024 DRW + 4 TAR */
	ck_assert_uint_eq(c->ap_reads - apr, 0);
	apw = c->ap_writes;
	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_read(swd_probe_dap(p)->ctx, 0x20001000, buf, sizeof(buf), 4, &err), 0);
	ck_assert_uint_eq(c->ap_writes - apw, 4);            /* TAR per KiB */
	ck_assert_uint_eq(c->ap_reads - apr, 1024);          /* DRW reads */
	swd_probe_close(p);
}
END_TEST

/* 8- and 16-bit accesses at every alignment, odd lengths. */
START_TEST(byte_and_halfword)
{
	struct swd_probe *p = connected();
	struct sf_err err = { 0 };
	uint8_t out[37], in[37], peek[64];
	uint8_t zero[64] = { 0 };

	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_write(swd_probe_dap(p)->ctx, 0x20002000, zero, 64, 4, &err), 0);
	fill(out, sizeof(out), 3);
	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_write(swd_probe_dap(p)->ctx, 0x20002003, out, 37, 1, &err), 0);
	ck_assert_int_eq(sim_peek(swd_probe_sim(p), 0x20002000, peek, 64), 0);
	ck_assert_uint_eq(peek[2], 0);
	ck_assert_mem_eq(peek + 3, out, 37);
	ck_assert_uint_eq(peek[40], 0);
	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_read(swd_probe_dap(p)->ctx, 0x20002003, in, 37, 1, &err), 0);
	ck_assert_mem_eq(in, out, 37);

	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_write(swd_probe_dap(p)->ctx, 0x20002102, out, 18, 2, &err), 0);
	ck_assert_int_eq(sim_peek(swd_probe_sim(p), 0x20002102, peek, 18), 0);
	ck_assert_mem_eq(peek, out, 18);
	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_read(swd_probe_dap(p)->ctx, 0x20002102, in, 18, 2, &err), 0);
	ck_assert_mem_eq(in, out, 18);

	/* Misaligned requests are refused, not silently rounded. */
	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_read(swd_probe_dap(p)->ctx, 0x20002001, in, 4, 4, &err), SF_E_ARG);
	swd_probe_close(p);
}
END_TEST

/* Posted reads: scattered single reads each return their own word (FICR
 * values the product specification gives). */
START_TEST(posted_reads)
{
	struct swd_probe *p = connected();
	struct sf_err err = { 0 };
	uint32_t part = 0, flash = 0, pagesize = 0, cpuid = 0;

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(dap_read32(swd_probe_dap(p), 0x10000100, &part, &err), 0);
		ck_assert_int_eq(dap_read32(swd_probe_dap(p), 0x10000110, &flash, &err), 0);
		ck_assert_int_eq(dap_read32(swd_probe_dap(p), 0x10000010, &pagesize, &err), 0);
		ck_assert_int_eq(dap_read32(swd_probe_dap(p), 0xE000ED00, &cpuid, &err), 0);
		ck_assert_uint_eq(part, 0x52840);
		ck_assert_uint_eq(flash, 1024);
		ck_assert_uint_eq(pagesize, 4096);
		ck_assert_uint_eq(cpuid, 0x410FC241);
	}
	swd_probe_close(p);
}
END_TEST

/* A bus error (unmapped address) comes back as a FAULT naming the range,
 * and the DAP keeps working. */
START_TEST(bus_error)
{
	struct swd_probe *p = connected();
	struct sf_err err = { 0 };
	uint32_t v[4];

	int rc = swd_probe_dap(p)->ops->mem_read(swd_probe_dap(p)->ctx, 0x30000000, v, sizeof(v), 4, &err);
	ck_assert_int_eq(rc, SF_E_FAULT);
	ck_assert_msg(strstr(err.msg, "STICKYERR") && strstr(err.msg, "0x30000000"), "%s", err.msg);
	ck_assert_int_eq(dap_read32(swd_probe_dap(p), 0x10000100, v, &err), 0);
	ck_assert_uint_eq(v[0], 0x52840);
	swd_probe_close(p);
}
END_TEST

/* A wire glitch (one bit inverted) anywhere in the first transfers of a
 * block read, target to host: the read still returns exactly the memory,
 * never data shifted by a repeated auto-increment. */
START_TEST(read_survives_any_single_glitch)
{
	struct swd_probe *p = connected();
	struct sf_err err = { 0 };
	uint8_t want[256], got[256];

	fill(want, sizeof(want), 9);
	ck_assert_int_eq(swd_probe_dap(p)->ops->mem_write(swd_probe_dap(p)->ctx, 0x20003000, want, sizeof(want), 4, &err), 0);
	for (unsigned c = 1; c <= 240; c++) {
		memset(got, 0, sizeof(got));
		swd_probe_dap(p)->ops->target_reset(swd_probe_dap(p)->ctx); /* CSW and TAR writes are in the window too */
		sim_fault_flip_cycle(swd_probe_sim(p), c);
		int rc = swd_probe_dap(p)->ops->mem_read(swd_probe_dap(p)->ctx, 0x20003000, got, sizeof(got), 4, &err);
		ck_assert_msg(rc == 0, "glitch on cycle %u: %s", c, err.msg);
		ck_assert_msg(memcmp(got, want, sizeof(want)) == 0, "glitch on cycle %u: wrong data", c);
	}
	struct dap_stats st;
	swd_probe_dap(p)->ops->get_stats(swd_probe_dap(p)->ctx, &st);
	ck_assert_msg(st.protocol_errors >= 100, "only %llu glitches were seen",
		      (unsigned long long)st.protocol_errors);
	swd_probe_close(p);
}
END_TEST

/* A connected DAP over a simulated nRF52840 whose host-driven bits can be
 * glitched (tu_pins_flip_at). */
struct glitch_rig {
	struct sim_chip *chip;
	struct tu_pins *fl;
	struct swd_link *link;
	struct dap dap;
};

static void rig_open(struct glitch_rig *r)
{
	struct sim_config cfg;
	char sb[128], msg[200];
	struct sf_err err = { 0 };

	ck_assert_int_eq(sim_config_parse(&cfg, "part=nrf52840", sb, sizeof(sb), msg, sizeof(msg)), 0);
	r->chip = sim_chip_new(&cfg, msg, sizeof(msg));
	ck_assert_ptr_nonnull(r->chip);
	r->fl = calloc(1, sizeof(*r->fl));
	ck_assert_ptr_nonnull(r->fl);
	r->fl->inner = swd_pins_sim_new(r->chip);
	r->link = swd_link_new(tu_pins_ops(), r->fl);
	ck_assert_int_eq(dap_swd_new(r->link, &r->dap, &err), 0);
	ck_assert_msg(r->dap.ops->connect(r->dap.ctx, NULL, &err) == 0, "%s", err.msg);
}

static void rig_close(struct glitch_rig *r)
{
	r->dap.ops->free(r->dap.ctx);
	swd_link_free(r->link);
	sim_chip_free(r->chip);
}

/* The same host to target, in a block write: a corrupted request, data or
 * parity bit is repeated where needed and memory ends up exactly right. */
START_TEST(write_survives_any_single_glitch)
{
	struct glitch_rig r;
	struct sf_err err = { 0 };
	uint8_t want[256], got[256];

	rig_open(&r);
	struct sim_chip *chip = r.chip;
	struct tu_pins *fl = r.fl;
	struct dap dap = r.dap;
	for (unsigned c = 1; c <= 240; c++) {
		fill(want, sizeof(want), 100 + c);
		dap.ops->target_reset(dap.ctx);
		tu_pins_flip_at(fl, c);
		int rc = dap.ops->mem_write(dap.ctx, 0x20004000, want, sizeof(want), 4, &err);
		ck_assert_msg(rc == 0, "glitch on cycle %u: %s", c, err.msg);
		ck_assert_int_eq(sim_peek(chip, 0x20004000, got, sizeof(got)), 0);
		ck_assert_msg(memcmp(got, want, sizeof(want)) == 0, "glitch on cycle %u: wrong memory", c);
	}
	ck_assert_uint_gt(sim_counters(chip)->wdata_errors, 0);
	rig_close(&r);
}
END_TEST

/* Single register accesses (CTRL-AP, TAR) survive a glitch too: reads
 * are repeated, and a write whose data was corrupted is caught by the
 * RDBUFF that ends it and written again. */
START_TEST(register_access_survives_any_single_glitch)
{
	struct glitch_rig r;
	struct sf_err err = { 0 };
	uint32_t v;

	rig_open(&r);
	struct sim_chip *chip = r.chip;
	struct tu_pins *fl = r.fl;
	struct dap dap = r.dap;
	for (unsigned c = 1; c <= 140; c++) {
		dap.ops->target_reset(dap.ctx);
		sim_fault_flip_cycle(chip, c);           /* target to host */
		ck_assert_msg(dap.ops->ap_read(dap.ctx, 1, DAP_AP_IDR, &v, &err) == 0,
			      "read, glitch on cycle %u: %s", c, err.msg);
		ck_assert_uint_eq(v, 0x02880000);
		uint32_t tar = 0x20000000u + 4 * c;
		dap.ops->target_reset(dap.ctx);
		tu_pins_flip_at(fl, c);                      /* host to target */
		ck_assert_msg(dap.ops->ap_write(dap.ctx, 0, DAP_AP_TAR, tar, &err) == 0,
			      "write, glitch on cycle %u: %s", c, err.msg);
		ck_assert_int_eq(dap.ops->ap_read(dap.ctx, 0, DAP_AP_TAR, &v, &err), 0);
		ck_assert_msg(v == tar, "write, glitch on cycle %u: TAR 0x%08X", c, v);
	}
	ck_assert_uint_gt(sim_counters(chip)->wdata_errors, 0);
	rig_close(&r);
}
END_TEST

/* What the bit-bang DAP says it can do: everything, with nRESET only when
 * the pins driver has the line. */
START_TEST(capabilities)
{
	static struct swd_pins_ops no_reset;
	struct swd_probe *p = connected();
	struct sim_config cfg;
	char sb[128], msg[200];
	struct sf_err err = { 0 };
	struct dap dap;

	ck_assert_uint_eq(swd_probe_dap(p)->caps, DAP_CAP_ANY_AP | DAP_CAP_RESET_PIN | DAP_CAP_MEM8 |
							  DAP_CAP_MEM16 | DAP_CAP_WAIT_PACED);
	swd_probe_close(p);

	no_reset = *tu_pins_ops();
	no_reset.nreset = NULL;
	ck_assert_int_eq(sim_config_parse(&cfg, "part=nrf52840", sb, sizeof(sb), msg, sizeof(msg)), 0);
	struct sim_chip *chip = sim_chip_new(&cfg, msg, sizeof(msg));
	ck_assert_ptr_nonnull(chip);
	struct swd_link *link = swd_link_new(&no_reset, tu_pins_new(chip));
	ck_assert_int_eq(dap_swd_new(link, &dap, &err), 0);
	ck_assert_uint_eq(dap.caps & DAP_CAP_RESET_PIN, 0);
	ck_assert_uint_eq(dap.caps & DAP_CAP_WAIT_PACED, DAP_CAP_WAIT_PACED);
	ck_assert_int_eq(dap.ops->reset_pin(dap.ctx, 0, &err), SF_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(dap_cap_name(DAP_CAP_RESET_PIN), "nRESET"));
	dap.ops->free(dap.ctx);
	swd_link_free(link);
	sim_chip_free(chip);
}
END_TEST

/* The bit-bang DAP measures wire counters and no transport counters, and
 * the probe publishes exactly what the DAP says it measured. */
START_TEST(statistics_valid_mask)
{
	struct swd_probe *p = connected();
	struct dap_stats ds;
	struct swd_probe_stats ps;
	uint32_t v;
	struct sf_err err = { 0 };

	ck_assert_int_eq(dap_read32(swd_probe_dap(p), 0x10000100, &v, &err), 0);
	swd_probe_dap(p)->ops->get_stats(swd_probe_dap(p)->ctx, &ds);
	ck_assert_uint_eq(ds.valid, DAP_STAT_WIRE);
	ck_assert_uint_eq(ds.valid & DAP_STAT_TRANSPORT, 0);
	swd_probe_stats(p, &ps);
	ck_assert_uint_eq(ps.valid, ds.valid);
	ck_assert_uint_eq(ps.valid & (SWD_STAT_COMMANDS | SWD_STAT_RETRIES), 0);
	ck_assert_uint_gt(ps.transfers, 0);
	ck_assert_uint_eq(ps.transfers, ds.transfers);
	ck_assert_uint_eq(ps.line_resets, ds.line_resets);
	ck_assert_uint_eq(ps.commands, 0);
	swd_probe_close(p);
}
END_TEST

/* The probe's clock is simulated time and sleeping does not clock the
 * wire; the flush before a sleep is 8 idle cycles (ADIv5). */
START_TEST(clock_and_flush)
{
	struct swd_probe *p = connected();
	const struct swd_clock *ck = swd_probe_clock(p);
	struct sim_chip *chip = swd_probe_sim(p);
	uint64_t t0 = ck->ops->now_us(ck->ctx), ns0 = sim_time_ns(chip);
	uint64_t cyc0 = sim_counters(chip)->cycles;

	ck->ops->sleep_us(ck->ctx, 2500);
	ck_assert_uint_eq(sim_time_ns(chip) - ns0, 2500000);
	ck_assert_uint_eq(ck->ops->now_us(ck->ctx) - t0, 2500);
	ck_assert_uint_eq(sim_counters(chip)->cycles, cyc0);
	swd_probe_dap(p)->ops->flush(swd_probe_dap(p)->ctx);
	ck_assert_uint_eq(sim_counters(chip)->cycles, cyc0 + 8);
	swd_probe_close(p);
}
END_TEST

/* target_reset forgets the cached SELECT, CSW and TAR: the next access
 * writes them again (a reset may have changed them). */
START_TEST(target_reset_forgets_caches)
{
	struct swd_probe *p = connected();
	struct sim_chip *chip = swd_probe_sim(p);
	struct sf_err err = { 0 };
	uint32_t v;
	uint64_t dpw, apw;

	ck_assert_int_eq(dap_read32(swd_probe_dap(p), 0x10000100, &v, &err), 0);
	dpw = sim_counters(chip)->dp_writes;
	apw = sim_counters(chip)->ap_writes;
	ck_assert_int_eq(dap_read32(swd_probe_dap(p), 0x10000100, &v, &err), 0);
	ck_assert_uint_eq(sim_counters(chip)->dp_writes, dpw);          /* SELECT cached */
	ck_assert_uint_eq(sim_counters(chip)->ap_writes, apw + 1);      /* TAR only */
	swd_probe_dap(p)->ops->target_reset(swd_probe_dap(p)->ctx);
	dpw = sim_counters(chip)->dp_writes;
	apw = sim_counters(chip)->ap_writes;
	ck_assert_int_eq(dap_read32(swd_probe_dap(p), 0x10000100, &v, &err), 0);
	ck_assert_uint_eq(sim_counters(chip)->dp_writes, dpw + 1);      /* SELECT */
	ck_assert_uint_eq(sim_counters(chip)->ap_writes, apw + 2);      /* CSW, TAR */
	ck_assert_uint_eq(v, 0x52840);
	swd_probe_close(p);
}
END_TEST

static Suite *dap_suite(void)
{
	Suite *s = suite_create("dap");
	TCase *tc = tcase_create("dap");

	tcase_add_test(tc, power_up);
	tcase_add_test(tc, ap_switching);
	tcase_add_test(tc, block_across_1k);
	tcase_add_test(tc, block_transfer_count);
	tcase_add_test(tc, byte_and_halfword);
	tcase_add_test(tc, posted_reads);
	tcase_add_test(tc, bus_error);
	tcase_add_test(tc, read_survives_any_single_glitch);
	tcase_add_test(tc, write_survives_any_single_glitch);
	tcase_add_test(tc, register_access_survives_any_single_glitch);
	tcase_add_test(tc, capabilities);
	tcase_add_test(tc, statistics_valid_mask);
	tcase_add_test(tc, clock_and_flush);
	tcase_add_test(tc, target_reset_forgets_caches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(dap_suite());
}
