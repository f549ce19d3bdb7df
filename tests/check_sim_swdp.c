// SPDX-License-Identifier: GPL-2.0-or-later
/* check_sim_swdp: the simulated SW-DP (sim/swdp.c), driven bit by bit
 * through its pins: framing and turnaround seen with single sim_wire()
 * edges, ACKs, protocol errors and resynchronisation, JTAG-to-SWD, the DP
 * registers (CTRL/STAT power-up, WDATAERR, RDBUFF and posted reads), the
 * wire faults (WAIT, FAULT, flipped bits, no target, target lost) and the
 * real-time pacing. */
#include <check.h>
#include <time.h>

#include "ck_run.h"
#include "tests/sim_host.h"

START_TEST(t_dpidr)
{
	struct sim_chip *c = mk("");
	line_reset(c);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	const struct sim_counters *n = sim_counters(c);
	ck_assert_uint_eq(n->line_resets, 1);
	ck_assert_uint_eq(n->protocol_errors, 0);
	ck_assert_uint_eq(n->dp_reads, 1);
	/* a read is 8+1+3+32+1+1 cycles, plus our 2 idle */
	uint64_t cy = n->cycles;
	rd(c, DP, DP_IDR);
	ck_assert_uint_eq(n->cycles - cy, 46 + 2);
	sim_chip_free(c);
}
END_TEST

/* Clock one cycle with sim_wire: fall, host sets SWDIO, rise. Returns the
 * level sampled after the falling edge (before the rise). */
static int edge_cycle(struct sim_chip *c, int drive, int lvl)
{
	sim_wire(c, 0, lvl, drive);
	int s = sim_swdio(c);
	sim_wire(c, 1, lvl, drive);
	return s;
}

START_TEST(t_framing_read)
{
	struct sim_chip *c = mk("");
	connect(c);
	uint32_t cs = rd(c, DP, DP_CS);
	uint8_t r = req(DP, RD, DP_CS);
	for (int i = 0; i < 8; i++)
		edge_cycle(c, 1, (r >> i) & 1);
	int s[47];
	int after_rise[47];
	for (int k = 9; k <= 46; k++) {
		s[k] = edge_cycle(c, 0, 1);
		after_rise[k] = sim_swdio(c);
	}
	/* cycle 9 is the turnaround: nobody drives, the line reads 1 */
	ck_assert_int_eq(s[9], 1);
	/* ACK OK = 1,0,0 sampled in cycles 10..12, driven after rises 9..11 */
	ck_assert_int_eq(s[10], 1);
	ck_assert_int_eq(s[11], 0);
	ck_assert_int_eq(s[12], 0);
	ck_assert_int_eq(after_rise[9], 1);
	ck_assert_int_eq(after_rise[10], 0);
	ck_assert_int_eq(after_rise[11], 0);
	uint32_t d = 0;
	for (int i = 0; i < 32; i++)
		d |= (uint32_t)s[13 + i] << i;
	ck_assert_uint_eq(d, cs);
	ck_assert_int_eq(s[45], (int)par(cs));
	ck_assert_int_eq(s[46], 1);   /* released after rise 45 */
	ck_assert_int_eq(after_rise[45], 1);
	/* and the DP is idle again: another read works */
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_framing_ack_wait_fault)
{
	struct sim_chip *c = mk("");
	connect(c);
	sel(c, 0, 0);
	sim_fault_wait(c, 1);
	uint8_t r = req(AP, RD, AP_CSW);
	for (int i = 0; i < 8; i++)
		edge_cycle(c, 1, (r >> i) & 1);
	int ar[14];
	for (int k = 9; k <= 13; k++) {
		edge_cycle(c, 0, 1);
		ar[k] = sim_swdio(c);
	}
	/* WAIT = 0,1,0 on the line right after rises 9, 10, 11, then released */
	ck_assert_int_eq(ar[9], 0);
	ck_assert_int_eq(ar[10], 1);
	ck_assert_int_eq(ar[11], 0);
	ck_assert_int_eq(ar[12], 1);
	ck_assert_uint_eq(sim_counters(c)->acks_wait, 1);
	/* the host drives right after the turnaround: no data phase */
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	/* FAULT = 0,0,1 */
	sim_fault_fault_at(c, 1);
	for (int i = 0; i < 8; i++)
		edge_cycle(c, 1, (r >> i) & 1);
	for (int k = 9; k <= 13; k++) {
		edge_cycle(c, 0, 1);
		ar[k] = sim_swdio(c);
	}
	ck_assert_int_eq(ar[9], 0);
	ck_assert_int_eq(ar[10], 0);
	ck_assert_int_eq(ar[11], 1);
	ck_assert_int_eq(ar[12], 1);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x20u, 0x20u);  /* STICKYERR */
	sim_chip_free(c);
}
END_TEST

START_TEST(t_framing_write)
{
	struct sim_chip *c = mk("");
	connect(c);
	wr(c, DP, DP_CS, 0);
	uint32_t v = 0x50000000u;
	uint8_t r = req(DP, WR, DP_CS);
	for (int i = 0; i < 8; i++)
		edge_cycle(c, 1, (r >> i) & 1);
	int ar[14];
	for (int k = 9; k <= 13; k++) {
		edge_cycle(c, 0, 1);
		ar[k] = sim_swdio(c);
	}
	ck_assert_int_eq(ar[9], 1);
	ck_assert_int_eq(ar[10], 0);
	ck_assert_int_eq(ar[11], 0);
	for (int i = 0; i < 32; i++)       /* rises 14..45 */
		edge_cycle(c, 1, (v >> i) & 1);
	edge_cycle(c, 1, (int)par(v));     /* rise 46 */
	edge_cycle(c, 1, 0);
	ck_assert_uint_eq(rd(c, DP, DP_CS), 0xF0000000u);
	ck_assert_uint_eq(sim_counters(c)->wdata_errors, 0);
	/* the same write one cycle late is a data parity error */
	r = req(DP, WR, DP_CS);
	for (int i = 0; i < 8; i++)
		edge_cycle(c, 1, (r >> i) & 1);
	for (int k = 9; k <= 14; k++)
		edge_cycle(c, 0, 1);
	/* sampled: 1 from the undriven cycle 14, then v shifted; parity bit
	 * sampled is v bit 31: a mismatch for this v */
	v = 0x50000000u;
	for (int i = 0; i < 32; i++)
		edge_cycle(c, 1, (v >> i) & 1);
	edge_cycle(c, 1, (int)par(v));
	edge_cycle(c, 1, 0);
	ck_assert_uint_eq(sim_counters(c)->wdata_errors, 1);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_protocol_error_resync)
{
	struct sim_chip *c = mk("");
	connect(c);
	const struct sim_counters *n = sim_counters(c);
	uint64_t pe = n->protocol_errors;
	uint8_t good = req(DP, RD, DP_IDR);
	uint8_t bad[3] = { (uint8_t)(good ^ 0x20), (uint8_t)(good | 0x40), (uint8_t)(good & 0x7F) };
	for (int i = 0; i < 3; i++) {
		sim_seq_out(c, bad[i], 8);
		ck_assert_uint_eq(sim_seq_in(c, 4) >> 1, NOACK);  /* nobody drives */
		sim_seq_in(c, 34);
		sim_seq_out(c, 0, 8);
		ck_assert_uint_eq(n->protocol_errors, pe + (uint64_t)i + 1);
		/* resynchronised on the next start bit, no line reset */
		ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	}
	sim_chip_free(c);
}
END_TEST

START_TEST(t_jtag_to_swd)
{
	struct sim_chip *c = mk("");
	/* OpenOCD's swd_seq_jtag_to_swd: 56 ones, 0xE79E, 56 ones, 8 zeros */
	sim_seq_out(c, 0xFFFFFFFFu, 32);
	sim_seq_out(c, 0xFFFFFFu, 24);
	sim_seq_out(c, 0xE79E, 16);
	sim_seq_out(c, 0xFFFFFFFFu, 32);
	sim_seq_out(c, 0xFFFFFFu, 24);
	sim_seq_out(c, 0, 8);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	ck_assert_uint_eq(sim_counters(c)->protocol_errors, 0);
	ck_assert_uint_eq(sim_counters(c)->line_resets, 2);
	/* SWD-to-JTAG (OpenOCD at exit): the DP ignores the wire afterwards */
	sim_seq_out(c, 0xFFFFFFFFu, 32);
	sim_seq_out(c, 0xFFFFFFu, 24);
	sim_seq_out(c, 0xE73C, 16);
	uint32_t v;
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), NOACK);
	sim_seq_out(c, 0x5A5A3C3Cu, 32);
	ck_assert_uint_eq(sim_counters(c)->protocol_errors, 0);
	line_reset(c);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_need_dpidr)
{
	struct sim_chip *c = mk("");
	line_reset(c);
	uint32_t v = 0;
	ck_assert_uint_eq(xfer(c, DP, WR, DP_SELECT, &v), FAULT);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	ck_assert_uint_eq(xfer(c, DP, WR, DP_SELECT, &v), OK);
	/* a line reset in the middle of anything resets the state machine */
	sim_seq_out(c, req(DP, RD, DP_IDR), 8);
	sim_seq_in(c, 5);
	line_reset(c);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_wdataerr)
{
	struct sim_chip *c = mk("");
	connect(c);
	uint32_t v = 0x50000000u;
	ck_assert_uint_eq(xfer_raw(c, req(DP, WR, DP_CS), &v, 1), OK);
	ck_assert_uint_eq(sim_counters(c)->wdata_errors, 1);
	v = 0;
	ck_assert_uint_eq(xfer(c, DP, WR, DP_SELECT, &v), FAULT);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), FAULT);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_RDBUFF, &v), FAULT);
	/* exempt: DPIDR read, CTRL/STAT read, ABORT write */
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x80u, 0x80u);
	wr(c, DP, DP_ABORT, 0x08);  /* WDERRCLR */
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x80u, 0);
	ck_assert_uint_eq(xfer(c, DP, WR, DP_SELECT, &v), OK);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_powerup)
{
	struct sim_chip *c = mk("");
	line_reset(c);
	rd(c, DP, DP_IDR);
	ck_assert_uint_eq(rd(c, DP, DP_CS), 0);
	uint32_t v = 0;
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), FAULT);  /* debug domain off */
	wr(c, DP, DP_CS, 0x50000000u);
	ck_assert_uint_eq(rd(c, DP, DP_CS), 0xF0000000u);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), OK);
	wr(c, DP, DP_CS, 0);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0xF0000000u, 0);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_posted_reads)
{
	struct sim_chip *c = mk("");
	connect(c);
	for (uint32_t i = 0; i < 4; i++)
		mem_wr(c, 0x20000000u + 4 * i, 0xA0000000u + i);
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000012u);   /* 32-bit, auto-increment */
	wr(c, AP, AP_TAR, 0x20000000u);
	uint32_t first = rd(c, AP, AP_DRW);  /* stale: result of the previous AP read */
	(void)first;
	ck_assert_uint_eq(rd(c, AP, AP_DRW), 0xA0000000u);
	ck_assert_uint_eq(rd(c, AP, AP_DRW), 0xA0000001u);
	ck_assert_uint_eq(rd(c, AP, AP_DRW), 0xA0000002u);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0xA0000003u);
	ck_assert_uint_eq(rd(c, DP, DP_RESEND), 0xA0000003u);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0xA0000003u); /* no new AP read */
	ck_assert_uint_eq(rd(c, AP, AP_TAR), 0xA0000003u);    /* posted again */
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20000010u);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x40u, 0x40u);   /* READOK */
	sim_chip_free(c);
}
END_TEST

START_TEST(t_fault_wait_fault)
{
	struct sim_chip *c = mk("");
	connect(c);
	sel(c, 0, 0);
	uint32_t v;
	sim_fault_wait(c, 3);
	ck_assert_uint_eq(rd(c, DP, DP_CS) >> 28, 0xF);        /* DP: not affected */
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), WAIT);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), OK);
	sim_fault_wait(c, 1);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_RDBUFF, &v), WAIT);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_RDBUFF, &v), OK);
	ck_assert_uint_eq(sim_counters(c)->acks_wait, 4);
	/* FAULT on the 2nd transfer from now */
	sim_fault_fault_at(c, 2);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), OK);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), FAULT);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x20u, 0x20u);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), FAULT);
	wr(c, DP, DP_ABORT, 0x1E);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), OK);
	ck_assert_uint_ge(sim_counters(c)->acks_fault, 2);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_fault_flip)
{
	struct sim_chip *c = mk("");
	connect(c);
	/* flip data bit 0 of a DPIDR read: cycles 1-8 request, 9 turnaround,
	 * 10-12 ACK, 13 data bit 0 */
	sim_fault_flip_cycle(c, 13);
	sim_seq_out(c, req(DP, RD, DP_IDR), 8);
	sim_seq_in(c, 1);
	ck_assert_uint_eq(sim_seq_in(c, 3), OK);
	uint32_t d = sim_seq_in(c, 32);
	unsigned p = sim_seq_in(c, 1);
	sim_seq_in(c, 1);
	sim_seq_out(c, 0, 2);
	ck_assert_uint_eq(d, 0x2BA01477u ^ 1u);
	ck_assert_uint_ne(p, par(d));   /* the host sees a parity error */
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);  /* one cycle only */
	/* a flipped host bit: request parity error, no answer */
	uint64_t pe = sim_counters(c)->protocol_errors;
	sim_fault_flip_cycle(c, 2);
	sim_seq_out(c, req(DP, RD, DP_IDR), 8);
	ck_assert_uint_eq(sim_seq_in(c, 4) >> 1, NOACK);
	sim_seq_in(c, 34);
	sim_seq_out(c, 0, 2);
	ck_assert_uint_eq(sim_counters(c)->protocol_errors, pe + 1);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_fault_absent_lost)
{
	struct sim_chip *c = mk("");
	sim_fault_absent(c, 1);
	line_reset(c);
	uint32_t v;
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), NOACK);
	sim_fault_absent(c, 0);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), OK);
	connect(c);
	sim_fault_lose_after(c, 200);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), NOACK);  /* 5th starts past 200 */
	line_reset(c);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), NOACK);
	sim_fault_lose_after(c, 0);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), OK);
	sim_chip_free(c);
}
END_TEST

/* OpenOCD's bitbang driver clocks the whole data phase after WAIT: 38
 * input cycles for a read, 33 driven bits for a write, then ABORT. */
START_TEST(t_openocd_wait_dataphase)
{
	struct sim_chip *c = mk("");
	connect(c);
	sel(c, 0, 0);
	uint64_t pe = sim_counters(c)->protocol_errors;
	sim_fault_wait(c, 2);
	sim_seq_out(c, req(AP, RD, AP_CSW), 8);
	uint32_t in = sim_seq_in(c, 32);
	sim_seq_in(c, 6);
	ck_assert_uint_eq((in >> 1) & 7u, WAIT);
	wr(c, DP, DP_ABORT, 0x1E);
	sim_seq_out(c, req(AP, WR, AP_TAR), 8);
	in = sim_seq_in(c, 5);
	ck_assert_uint_eq((in >> 1) & 7u, WAIT);
	sim_seq_out(c, 0x2000AAF5u, 32);   /* data ones and zeros */
	sim_seq_out(c, 1, 1);
	wr(c, DP, DP_ABORT, 0x1E);
	wr(c, AP, AP_TAR, 0x20000010u);
	rd(c, AP, AP_TAR);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20000010u);
	ck_assert_uint_eq(sim_counters(c)->protocol_errors, pe);
	sim_chip_free(c);
}
END_TEST

/* realtime=1: the chip never runs ahead of the wall clock, so a 50 ms
 * simulated wait lasts (at least nearly) 50 ms of real time. */
START_TEST(t_realtime)
{
	struct sim_chip *c = mk("part=nrf52840,realtime=1");
	struct timespec a, b;

	connect(c);
	clock_gettime(CLOCK_MONOTONIC, &a);
	sim_delay_ns(c, 50000000u);
	ck_assert_uint_eq(rd(c, 0, 0x0), 0x2BA01477u);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	ck_assert_msg(ms >= 45.0, "a 50 ms simulated wait took %.1f ms of wall time", ms);
	sim_chip_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sim_swdp");
	TCase *tc = tcase_create("wire");
	tcase_add_test(tc, t_dpidr);
	tcase_add_test(tc, t_framing_read);
	tcase_add_test(tc, t_framing_ack_wait_fault);
	tcase_add_test(tc, t_framing_write);
	tcase_add_test(tc, t_protocol_error_resync);
	tcase_add_test(tc, t_jtag_to_swd);
	tcase_add_test(tc, t_need_dpidr);
	tcase_add_test(tc, t_wdataerr);
	tcase_add_test(tc, t_powerup);
	tcase_add_test(tc, t_posted_reads);
	tcase_add_test(tc, t_openocd_wait_dataphase);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_add_test(tc, t_fault_wait_fault);
	tcase_add_test(tc, t_fault_flip);
	tcase_add_test(tc, t_fault_absent_lost);
	suite_add_tcase(s, tc);
	tc = tcase_create("time");
	tcase_add_test(tc, t_realtime);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
