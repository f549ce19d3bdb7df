/* check_sim: the simulated nRF52, driven bit by bit through its pins.
 *
 * The helpers below are a tiny independent SWD host (not swd/): raw
 * request bytes, sim_seq_out/sim_seq_in, and for the framing tests single
 * sim_wire() edges. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/sim.h"

#define OK 1u
#define WAIT 2u
#define FAULT 4u
#define NOACK 7u

#define DP 0
#define AP 1
#define RD 1
#define WR 0

/* DP */
#define DP_ABORT 0
#define DP_IDR 0
#define DP_CS 1
#define DP_SELECT 2
#define DP_RESEND 2
#define DP_RDBUFF 3
/* AHB-AP (bank 0 / bank 0xF) */
#define AP_CSW 0
#define AP_TAR 1
#define AP_DRW 3

#define NVMC 0x4001E000u
#define NVMC_READY (NVMC + 0x400)
#define NVMC_READYNEXT (NVMC + 0x408)
#define NVMC_CONFIG (NVMC + 0x504)
#define NVMC_ERASEPAGE (NVMC + 0x508)
#define NVMC_ERASEALL (NVMC + 0x50C)
#define NVMC_ERASEUICR (NVMC + 0x514)
#define UICR_APPROTECT 0x10001208u
#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DEMCR 0xE000EDFCu
#define AIRCR 0xE000ED0Cu

static unsigned par(uint32_t v)
{
	return (unsigned)__builtin_parity(v);
}

static uint8_t req(int apndp, int rnw, unsigned a)
{
	unsigned b = (unsigned)apndp | (unsigned)rnw << 1 | (a & 3u) << 2;
	return (uint8_t)(1u | b << 1 | par(b) << 5 | 1u << 7);
}

static struct sim_chip *mk(const char *spec)
{
	struct sim_config cfg;
	char sb[256], err[256];
	ck_assert_msg(sim_config_parse(&cfg, spec, sb, sizeof sb, err, sizeof err) == 0, "%s", err);
	struct sim_chip *c = sim_chip_new(&cfg, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	return c;
}

static void line_reset(struct sim_chip *c)
{
	sim_seq_out(c, 0xFFFFFFFFu, 32);
	sim_seq_out(c, 0xFFFFFFFFu, 24);
	sim_seq_out(c, 0, 8);
}

/* One transfer; returns the ACK. Data parity errors on reads fail. */
static unsigned xfer_raw(struct sim_chip *c, uint8_t r, uint32_t *data, int bad_wparity)
{
	int rnw = (r >> 2) & 1;
	sim_seq_out(c, r, 8);
	sim_seq_in(c, 1);
	unsigned ack = sim_seq_in(c, 3);
	if (ack == OK && rnw) {
		uint32_t d = sim_seq_in(c, 32);
		unsigned p = sim_seq_in(c, 1);
		sim_seq_in(c, 1);
		ck_assert_uint_eq(p, par(d));
		if (data)
			*data = d;
	} else if (ack == OK) {
		sim_seq_in(c, 1);
		sim_seq_out(c, *data, 32);
		sim_seq_out(c, par(*data) ^ (unsigned)(bad_wparity != 0), 1);
	} else {
		sim_seq_in(c, 1);
	}
	sim_seq_out(c, 0, 2);
	return ack;
}

static unsigned xfer(struct sim_chip *c, int apndp, int rnw, unsigned a, uint32_t *data)
{
	return xfer_raw(c, req(apndp, rnw, a), data, 0);
}

static uint32_t rd(struct sim_chip *c, int apndp, unsigned a)
{
	uint32_t v = 0xDEADBEEF;
	ck_assert_uint_eq(xfer(c, apndp, RD, a, &v), OK);
	return v;
}

static void wr(struct sim_chip *c, int apndp, unsigned a, uint32_t v)
{
	ck_assert_uint_eq(xfer(c, apndp, WR, a, &v), OK);
}

static void connect(struct sim_chip *c)
{
	line_reset(c);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	wr(c, DP, DP_ABORT, 0x1E);
	wr(c, DP, DP_CS, 0x50000000u);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0xF0000000u, 0xF0000000u);
}

static void sel(struct sim_chip *c, unsigned ap, unsigned bank)
{
	wr(c, DP, DP_SELECT, ap << 24 | bank << 4);
}

/* MEM-AP word access through AP 0 with posted reads. */
static unsigned mem_rd_ack(struct sim_chip *c, uint32_t addr, uint32_t *v)
{
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, addr);
	unsigned a = xfer(c, AP, RD, AP_DRW, v);
	if (a != OK)
		return a;
	return xfer(c, DP, RD, DP_RDBUFF, v);
}

static uint32_t mem_rd(struct sim_chip *c, uint32_t addr)
{
	uint32_t v = 0;
	ck_assert_uint_eq(mem_rd_ack(c, addr, &v), OK);
	return v;
}

static unsigned mem_wr_ack(struct sim_chip *c, uint32_t addr, uint32_t v)
{
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, addr);
	return xfer(c, AP, WR, AP_DRW, &v);
}

static void mem_wr(struct sim_chip *c, uint32_t addr, uint32_t v)
{
	ck_assert_uint_eq(mem_wr_ack(c, addr, v), OK);
}

static uint32_t peek32(struct sim_chip *c, uint32_t addr)
{
	uint32_t v;
	ck_assert_int_eq(sim_peek(c, addr, &v, 4), 0);
	return v;
}

/* ------------------------------------------------------------------ */

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

START_TEST(t_ram_rw)
{
	struct sim_chip *c = mk("part=nrf52832");
	connect(c);
	sel(c, 0, 0xF);
	ck_assert_uint_eq(rd(c, AP, 3), 0);              /* IDR (posted) */
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x24770011u);
	mem_wr(c, 0x20000100, 0x12345678u);
	ck_assert_uint_eq(mem_rd(c, 0x20000100), 0x12345678u);
	ck_assert_uint_eq(peek32(c, 0x20000100), 0x12345678u);
	ck_assert_uint_eq(mem_rd(c, 0x10000100), 0x52832u);
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

START_TEST(t_select_aps)
{
	struct sim_chip *c = mk("");
	connect(c);
	sel(c, 1, 0xF);
	rd(c, AP, 3);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x02880000u);
	sel(c, 0, 0xF);
	rd(c, AP, 3);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x24770011u);
	rd(c, AP, 2);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0xE00FF003u);   /* BASE */
	rd(c, AP, 1);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0);             /* CFG */
	sel(c, 7, 0xF);                                         /* no such AP */
	rd(c, AP, 3);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0);
	wr(c, AP, 0, 0x12345678u);
	rd(c, AP, 0);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0);
	/* DPBANKSEL 1: DLCR at 0x4 */
	wr(c, DP, DP_SELECT, 1);
	ck_assert_uint_eq(rd(c, DP, DP_CS), 0);
	wr(c, DP, DP_SELECT, 0);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0xF0000000u, 0xF0000000u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_csw_sizes_tar_wrap)
{
	struct sim_chip *c = mk("");
	connect(c);
	mem_wr(c, 0x20000040u, 0x11223344u);
	sel(c, 0, 0);
	/* 8-bit write into byte lane 1 */
	wr(c, AP, AP_CSW, 0x23000010u);
	wr(c, AP, AP_TAR, 0x20000041u);
	wr(c, AP, AP_DRW, 0x0000AA00u);
	rd(c, AP, AP_TAR);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20000042u);  /* +1 */
	ck_assert_uint_eq(peek32(c, 0x20000040u), 0x1122AA44u);
	/* 16-bit write into the upper halfword */
	wr(c, AP, AP_CSW, 0x23000011u);
	wr(c, AP, AP_TAR, 0x20000042u);
	wr(c, AP, AP_DRW, 0xBEEF0000u);
	ck_assert_uint_eq(peek32(c, 0x20000040u), 0xBEEFAA44u);
	wr(c, AP, AP_TAR, 0x20000042u);
	rd(c, AP, AP_DRW);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF) >> 16, 0xBEEFu);
	rd(c, AP, AP_TAR);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20000044u);  /* +2 */
	rd(c, AP, AP_CSW);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF) & 0x7Fu, 0x51u); /* DeviceEn, inc, 16 bit */
	/* 32-bit: carries across 1 KiB, wraps inside the 4 KiB block
	 * (Cortex-M4 AHB-AP, see sim/ap.c) */
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, 0x200003FCu);
	wr(c, AP, AP_DRW, 0x03030303u);
	wr(c, AP, AP_DRW, 0x04040404u);
	ck_assert_uint_eq(peek32(c, 0x200003FCu), 0x03030303u);
	ck_assert_uint_eq(peek32(c, 0x20000400u), 0x04040404u);
	wr(c, AP, AP_TAR, 0x20001FFCu);
	wr(c, AP, AP_DRW, 0x01010101u);
	wr(c, AP, AP_DRW, 0x02020202u);
	ck_assert_uint_eq(peek32(c, 0x20001FFCu), 0x01010101u);
	ck_assert_uint_eq(peek32(c, 0x20001000u), 0x02020202u);
	ck_assert_uint_eq(peek32(c, 0x20002000u), 0);
	rd(c, AP, AP_TAR);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20001004u);
	/* BD0..3: TAR[31:4] + 4n, no increment */
	wr(c, AP, AP_TAR, 0x20000100u);
	sel(c, 0, 1);
	wr(c, AP, 2, 0xB2B2B2B2u);   /* BD2 */
	sel(c, 0, 0);
	ck_assert_uint_eq(peek32(c, 0x20000108u), 0xB2B2B2B2u);
	ck_assert_uint_eq(rd(c, AP, AP_TAR), 0x20001004u); /* posted value */
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20000100u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_bus_error)
{
	struct sim_chip *c = mk("");
	connect(c);
	uint32_t v;
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000002u);
	wr(c, AP, AP_TAR, 0x30000000u);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_DRW, &v), OK);   /* the access completes */
	ck_assert_uint_eq(xfer(c, DP, RD, DP_RDBUFF, &v), FAULT);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), FAULT);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x20u, 0x20u);
	wr(c, DP, DP_ABORT, 0x04);   /* STKERRCLR */
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x20u, 0);
	ck_assert_uint_eq(mem_wr_ack(c, 0x60000000u, 1), OK);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), FAULT);
	wr(c, DP, DP_ABORT, 0x1E);
	/* peripherals and the PPB components read without error */
	mem_rd(c, 0x40000400u);
	mem_rd(c, 0x50000504u);
	mem_rd(c, 0xE000E010u);
	ck_assert_uint_eq(mem_rd_ack(c, 0xE0003000u, &v), FAULT);
	sim_chip_free(c);
}
END_TEST

/* ---------------- NVMC ---------------- */

static uint32_t nvmc_ready(struct sim_chip *c)
{
	return mem_rd(c, NVMC_READY);
}

static void nvmc_wait(struct sim_chip *c)
{
	for (int i = 0; i < 100000 && !nvmc_ready(c); i++)
		sim_delay_ns(c, 10000);
	ck_assert_uint_eq(nvmc_ready(c), 1);
}

START_TEST(t_nvmc_rules)
{
	struct sim_chip *c = mk("part=nrf52833,period_ns=10");
	connect(c);
	/* read mode: a write is ignored, no bus error */
	mem_wr(c, 0x1000, 0x12345678u);
	ck_assert_uint_eq(peek32(c, 0x1000), 0xFFFFFFFFu);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x20u, 0);
	mem_wr(c, NVMC_CONFIG, 1);
	ck_assert_uint_eq(mem_rd(c, NVMC_CONFIG), 1);
	mem_wr(c, 0x1000, 0x12345678u);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x1000), 0x12345678u);
	mem_wr(c, 0x1000, 0xFFFF00FFu);  /* only clears bits */
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x1000), 0x12340078u);
	ck_assert_uint_eq(sim_counters(c)->nvmc_writes, 2);
	/* byte write into flash: bus error */
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000000u);
	wr(c, AP, AP_TAR, 0x2000);
	wr(c, AP, AP_DRW, 0);
	uint32_t v;
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), FAULT);
	wr(c, DP, DP_ABORT, 0x1E);
	ck_assert_uint_eq(peek32(c, 0x2000), 0xFFFFFFFFu);
	/* erase needs Een */
	mem_wr(c, NVMC_ERASEPAGE, 0x1000);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x1000), 0x12340078u);
	mem_wr(c, NVMC_CONFIG, 2);
	mem_wr(c, NVMC_ERASEPAGE, 0x1000);
	ck_assert_uint_eq(nvmc_ready(c), 0);
	ck_assert_uint_eq(peek32(c, 0x1000), 0xFFFFFFFFu);
	nvmc_wait(c);
	ck_assert_uint_eq(sim_counters(c)->nvmc_page_erases, 1);
	/* write with Een: ignored */
	mem_wr(c, 0x1000, 0);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x1000), 0xFFFFFFFFu);
	/* UICR write and erase */
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x10001080u, 0xCAFEF00Du);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x10001080u), 0xCAFEF00Du);
	mem_wr(c, NVMC_CONFIG, 2);
	mem_wr(c, NVMC_ERASEUICR, 1);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x10001080u), 0xFFFFFFFFu);
	ck_assert_uint_eq(sim_counters(c)->nvmc_uicr_erases, 1);
	/* ERASEALL */
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x3000, 0);
	nvmc_wait(c);
	mem_wr(c, NVMC_CONFIG, 2);
	mem_wr(c, NVMC_ERASEALL, 1);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x3000), 0xFFFFFFFFu);
	ck_assert_uint_eq(sim_counters(c)->nvmc_erase_alls, 1);
	sim_chip_free(c);
}
END_TEST

/* Time from a flash word write until READY reads 1, polling READY. */
static uint64_t write_time(struct sim_chip *c, uint32_t addr)
{
	mem_wr(c, addr, 0x0);
	uint64_t t0 = sim_time_ns(c);
	int saw_busy = 0;
	while (!nvmc_ready(c))
		saw_busy = 1;
	ck_assert(saw_busy);
	return sim_time_ns(c) - t0;
}

START_TEST(t_nvmc_timing)
{
	static const struct { const char *spec; uint64_t t_write; } p[] = {
		{ "part=nrf52832,period_ns=10", 67500 },
		{ "part=nrf52833,period_ns=10", 41000 },
		{ "part=nrf52840,period_ns=10", 41000 },
	};
	for (int i = 0; i < 3; i++) {
		struct sim_chip *c = mk(p[i].spec);
		connect(c);
		mem_wr(c, NVMC_CONFIG, 1);
		nvmc_wait(c);
		uint64_t t = write_time(c, 0x100);
		/* one READY poll is ~4 transfers of 48 cycles at 10 ns */
		ck_assert_uint_ge(t, p[i].t_write - 500);
		ck_assert_uint_le(t, p[i].t_write + 3000);
		/* a flash access while the NVMC writes answers WAIT */
		mem_wr(c, 0x104, 0);
		uint32_t v;
		ck_assert_uint_eq(mem_rd_ack(c, 0x104, &v), WAIT);
		ck_assert_uint_eq(mem_rd(c, 0x20000000u), 0);       /* RAM is not stalled */
		sim_delay_ns(c, p[i].t_write);
		ck_assert_uint_eq(mem_rd(c, 0x104), 0);
		/* page erase time */
		mem_wr(c, NVMC_CONFIG, 2);
		mem_wr(c, NVMC_ERASEPAGE, 0);
		uint64_t t0 = sim_time_ns(c);
		ck_assert_uint_eq(mem_rd_ack(c, 0x0, &v), WAIT);
		while (!nvmc_ready(c))
			sim_delay_ns(c, 100000);
		uint64_t te = sim_time_ns(c) - t0;
		uint64_t want = i == 2 ? 85000000u : 87500000u;
		ck_assert_uint_ge(te, want);
		ck_assert_uint_le(te, want + 200000);
		sim_chip_free(c);
	}
}
END_TEST

START_TEST(t_readynext)
{
	struct sim_chip *c = mk("part=nrf52840,period_ns=10");
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	nvmc_wait(c);
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, 0x8000);
	uint32_t v = 0x11111111u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), OK);   /* starts */
	v = 0x22222222u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), OK);   /* buffered */
	v = 0x33333333u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), WAIT); /* buffer full */
	ck_assert_uint_eq(mem_rd(c, NVMC_READYNEXT), 0);
	ck_assert_uint_eq(mem_rd(c, NVMC_READY), 0);
	sim_delay_ns(c, 41000);
	ck_assert_uint_eq(mem_rd(c, NVMC_READYNEXT), 1);      /* second one running */
	ck_assert_uint_eq(mem_rd(c, NVMC_READY), 0);
	sim_delay_ns(c, 41000);
	ck_assert_uint_eq(mem_rd(c, NVMC_READY), 1);
	ck_assert_uint_eq(peek32(c, 0x8000), 0x11111111u);
	ck_assert_uint_eq(peek32(c, 0x8004), 0x22222222u);
	ck_assert_uint_eq(sim_counters(c)->nvmc_writes, 2);
	sim_chip_free(c);

	c = mk("part=nrf52832,period_ns=10");
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	nvmc_wait(c);
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, 0x8000);
	v = 0x11111111u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), OK);
	v = 0x22222222u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), WAIT); /* no buffer on the 52832 */
	/* WAIT paces a streamed write: retry until accepted */
	int waits = 0;
	while (xfer(c, AP, WR, AP_DRW, &v) == WAIT)
		waits++;
	ck_assert_int_gt(waits, 0);
	ck_assert_uint_eq(peek32(c, 0x8004), 0x22222222u);
	/* READYNEXT does not exist on the 52832: bus error */
	ck_assert_uint_eq(mem_rd_ack(c, NVMC_READYNEXT, &v), FAULT);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_eraseuicr_52840)
{
	/* UICR.APPROTECT set (the part is still open until the next reset):
	 * the 52840 refuses ERASEUICR, the 52833 does not. */
	const char *specs[2] = { "part=nrf52840,period_ns=10", "part=nrf52833,period_ns=10" };
	for (int i = 0; i < 2; i++) {
		struct sim_chip *c = mk(specs[i]);
		connect(c);
		mem_wr(c, NVMC_CONFIG, 1);
		mem_wr(c, UICR_APPROTECT, 0xFFFFFF00u);
		nvmc_wait(c);
		mem_wr(c, NVMC_CONFIG, 2);
		mem_wr(c, NVMC_ERASEUICR, 1);
		nvmc_wait(c);
		ck_assert_uint_eq(peek32(c, UICR_APPROTECT), i == 0 ? 0xFFFFFF00u : 0xFFFFFFFFu);
		/* ERASEALL is allowed */
		mem_wr(c, NVMC_ERASEALL, 1);
		nvmc_wait(c);
		ck_assert_uint_eq(peek32(c, UICR_APPROTECT), 0xFFFFFFFFu);
		sim_chip_free(c);
	}
}
END_TEST

/* ---------------- APPROTECT, CTRL-AP ---------------- */

static uint32_t ctrl_rd(struct sim_chip *c, unsigned reg)
{
	sel(c, 1, reg >> 4);
	rd(c, AP, (reg >> 2) & 3u);
	return rd(c, DP, DP_RDBUFF);
}

static void ctrl_wr(struct sim_chip *c, unsigned reg, uint32_t v)
{
	sel(c, 1, reg >> 4);
	wr(c, AP, (reg >> 2) & 3u, v);
}

static uint32_t ahb_idr(struct sim_chip *c)
{
	sel(c, 0, 0xF);
	rd(c, AP, 3);
	return rd(c, DP, DP_RDBUFF);
}

static void sysresetreq(struct sim_chip *c)
{
	mem_wr(c, AIRCR, 0x05FA0004u);
}

START_TEST(t_ctrlap_eraseall_legacy)
{
	struct sim_chip *c = mk("part=nrf52832,locked=1");
	ck_assert(sim_is_locked(c));
	connect(c);
	ck_assert_uint_eq(ahb_idr(c), 0);             /* AHB-AP looks absent */
	ck_assert_uint_eq(ctrl_rd(c, 0x0FC), 0x02880000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 0);      /* APPROTECTSTATUS: locked */
	uint32_t v;
	ck_assert_uint_eq(mem_rd_ack(c, 0x20000000u, &v), OK);
	ck_assert_uint_eq(v, 0);
	ctrl_wr(c, 0x004, 1);                          /* ERASEALL */
	uint64_t t0 = sim_time_ns(c);
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 1);
	sim_delay_ns(c, 172000000u - (sim_time_ns(c) - t0));
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 1);      /* still busy at 172 ms */
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 0);
	sim_delay_ns(c, 1000000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 0);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 1);
	ck_assert_uint_eq(sim_counters(c)->ctrlap_erase_alls, 1);
	ctrl_wr(c, 0x000, 1);
	ctrl_wr(c, 0x000, 0);
	ctrl_wr(c, 0x004, 0);
	ck_assert_uint_eq(ahb_idr(c), 0x24770011u);
	ck_assert_uint_eq(peek32(c, UICR_APPROTECT), 0xFFFFFFFFu);
	/* legacy: UICR is now 0xFF, so it stays open across resets */
	sysresetreq(c);
	ck_assert(!sim_is_locked(c));
	sim_power_cycle(c);
	ck_assert(!sim_is_locked(c));
	/* and programming APPROTECT locks it at the next reset only */
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, UICR_APPROTECT, 0xFFFFFF00u);
	sim_delay_ns(c, 100000);
	mem_wr(c, NVMC_CONFIG, 0);
	ck_assert(!sim_is_locked(c));
	sysresetreq(c);
	ck_assert(sim_is_locked(c));
	sim_chip_free(c);
}
END_TEST

START_TEST(t_eraseall_wipes)
{
	struct sim_chip *c = mk("part=nrf52840,period_ns=10");
	connect(c);
	mem_wr(c, 0x20000010u, 0x55AA55AAu);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x4000, 0x0);
	mem_wr(c, 0x10001080u, 0x0);
	nvmc_wait(c);
	ctrl_wr(c, 0x004, 1);
	ck_assert_uint_eq(peek32(c, 0x4000), 0xFFFFFFFFu);
	ck_assert_uint_eq(peek32(c, 0x10001080u), 0xFFFFFFFFu);
	ck_assert_uint_eq(peek32(c, 0x20000010u), 0);
	uint32_t v;
	ck_assert_uint_eq(mem_rd_ack(c, 0x4000, &v), WAIT);  /* flash busy erasing */
	sim_delay_ns(c, 173000000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 0);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_approtect_hardened)
{
	/* blank hardened part: locked after every reset */
	struct sim_chip *c = mk("part=nrf52840,rev=hardened");
	ck_assert(sim_is_locked(c));
	connect(c);
	ck_assert_uint_eq(ahb_idr(c), 0);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 0);
	ctrl_wr(c, 0x004, 1);
	while (ctrl_rd(c, 0x008))
		sim_delay_ns(c, 10000000u);
	/* probe-rs: RESET 1/0 after ERASEALL, then APPROTECTSTATUS must be 1 */
	ctrl_wr(c, 0x000, 1);
	ctrl_wr(c, 0x000, 0);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 1);
	ck_assert_uint_eq(ahb_idr(c), 0x24770011u);
	/* FICR variant words tell it is hardened (nrfx: var1 8, var2 >= 5) */
	ck_assert_uint_eq(mem_rd(c, 0x10000130u), 0x08);
	ck_assert_uint_ge(mem_rd(c, 0x10000134u), 0x05);
	/* HwDisabled in UICR is not enough without the firmware */
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, UICR_APPROTECT, 0x5A);
	sim_delay_ns(c, 100000);
	mem_wr(c, NVMC_CONFIG, 0);
	sysresetreq(c);
	ck_assert(sim_is_locked(c));
	ck_assert_uint_eq(ahb_idr(c), 0);
	sim_chip_free(c);

	/* with firmware that writes APPROTECT.DISABLE */
	c = mk("part=nrf52833,rev=hardened,fw_approtect=1");
	ck_assert(sim_is_locked(c));
	connect(c);
	ctrl_wr(c, 0x004, 1);
	sim_delay_ns(c, 200000000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 1);
	ck_assert_uint_eq(mem_rd(c, 0x10000130u), 0x0D);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, UICR_APPROTECT, 0x5A);
	sim_delay_ns(c, 100000);
	mem_wr(c, NVMC_CONFIG, 0);
	sysresetreq(c);
	ck_assert(!sim_is_locked(c));
	sim_power_cycle(c);
	ck_assert(!sim_is_locked(c));
	/* FORCEPROTECT locks until the next reset */
	connect(c);
	mem_wr(c, 0x40000550u, 0);
	ck_assert(sim_is_locked(c));
	ck_assert_uint_eq(ahb_idr(c), 0);
	ctrl_wr(c, 0x000, 1);
	ctrl_wr(c, 0x000, 0);
	ck_assert(!sim_is_locked(c));
	sim_chip_free(c);

	/* legacy part with HwDisabled = 0x5A is locked (any value but 0xFF) */
	c = mk("part=nrf52832,rev=legacy");
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, UICR_APPROTECT, 0x5A);
	sim_delay_ns(c, 100000);
	sysresetreq(c);
	ck_assert(sim_is_locked(c));
	ck_assert_uint_eq(peek32(c, 0x10000130u), 0x06);
	ck_assert_uint_lt(peek32(c, 0x10000134u), 0x07);   /* below nrfx's hardened threshold */
	sim_chip_free(c);
}
END_TEST

/* ---------------- Cortex-M4 debug ---------------- */

static uint32_t core_reg(struct sim_chip *c, unsigned sel_)
{
	mem_wr(c, DCRSR, sel_);
	ck_assert(mem_rd(c, DHCSR) & (1u << 16));
	return mem_rd(c, DCRDR);
}

START_TEST(t_core_debug)
{
	struct sim_chip *c = mk("");
	connect(c);
	ck_assert_uint_eq(mem_rd(c, 0xE000ED00u), 0x410FC241u);
	uint32_t d = mem_rd(c, DHCSR);
	ck_assert_uint_eq(d & (1u << 17), 0);          /* running */
	ck_assert(d & (1u << 24));                     /* S_RETIRE_ST */
	mem_wr(c, DHCSR, 0x00000003u);                 /* no key: ignored */
	ck_assert(!sim_core_halted(c));
	mem_wr(c, DHCSR, 0xA05F0003u);
	ck_assert(sim_core_halted(c));
	d = mem_rd(c, DHCSR);
	ck_assert(d & (1u << 17));
	ck_assert_uint_eq(d & 3u, 3u);
	ck_assert_uint_eq(mem_rd(c, 0xE000ED30u) & 1u, 1u);   /* DFSR.HALTED */
	/* register file */
	mem_wr(c, DCRDR, 0xC0FFEE00u);
	mem_wr(c, DCRSR, (1u << 16) | 3u);
	mem_wr(c, DCRDR, 0x20001000u);
	mem_wr(c, DCRSR, (1u << 16) | 13u);
	ck_assert_uint_eq(core_reg(c, 3), 0xC0FFEE00u);
	ck_assert_uint_eq(core_reg(c, 17), 0x20001000u);     /* SP is MSP */
	mem_wr(c, DCRDR, 0x3F800000u);
	mem_wr(c, DCRSR, (1u << 16) | 64u);
	ck_assert_uint_eq(core_reg(c, 64), 0x3F800000u);     /* S0 */
	/* step: stays halted, PC moves */
	uint32_t pc = core_reg(c, 15);
	mem_wr(c, DHCSR, 0xA05F0005u);
	ck_assert(sim_core_halted(c));
	ck_assert_uint_ne(core_reg(c, 15), pc);
	/* resume */
	mem_wr(c, DHCSR, 0xA05F0001u);
	ck_assert(!sim_core_halted(c));
	ck_assert_uint_eq(mem_rd(c, DHCSR) & (1u << 17), 0);
	/* DEMCR */
	mem_wr(c, DEMCR, 0x01000001u);
	ck_assert_uint_eq(mem_rd(c, DEMCR), 0x01000001u);
	/* FPB and DWT identification */
	ck_assert_uint_eq(mem_rd(c, 0xE0002000u), 0x260u);
	mem_wr(c, 0xE0002000u, 3);                            /* KEY | ENABLE */
	ck_assert_uint_eq(mem_rd(c, 0xE0002000u), 0x261u);
	ck_assert_uint_eq(mem_rd(c, 0xE0001000u) >> 28, 4u);
	mem_wr(c, 0xE0001020u, 0x20000000u);                  /* DWT_COMP0 */
	ck_assert_uint_eq(mem_rd(c, 0xE0001020u), 0x20000000u);
	/* MVFR0: FPv4-SP */
	ck_assert_uint_eq(mem_rd(c, 0xE000EF40u), 0x10110021u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_rom_table)
{
	struct sim_chip *c = mk("");
	connect(c);
	static const uint32_t comps[] = {
		0xE000E000u, 0xE0001000u, 0xE0002000u, 0xE0000000u, 0xE0040000u, 0xE0041000u,
	};
	uint32_t rom = 0xE00FF000u;
	for (unsigned i = 0; i < 6; i++) {
		uint32_t e = mem_rd(c, rom + 4 * i);
		ck_assert_uint_eq(e & 3u, 3u);
		ck_assert_uint_eq(rom + (e & ~0xFFFu), comps[i]);
	}
	ck_assert_uint_eq(mem_rd(c, rom + 24), 0);
	/* CIDR: 0xB105_100D for the ROM table, class 0xE for SCS/DWT/FPB/ITM,
	 * class 9 for TPIU/ETM */
	uint32_t cid = 0;
	for (unsigned i = 0; i < 4; i++)
		cid |= (mem_rd(c, rom + 0xFF0 + 4 * i) & 0xFFu) << (8 * i);
	ck_assert_uint_eq(cid, 0xB105100Du);
	for (unsigned k = 0; k < 6; k++) {
		cid = 0;
		for (unsigned i = 0; i < 4; i++)
			cid |= (mem_rd(c, comps[k] + 0xFF0 + 4 * i) & 0xFFu) << (8 * i);
		ck_assert_uint_eq(cid, k < 4 ? 0xB105E00Du : 0xB105900Du);
	}
	/* PIDR of the SCS: ARM (JEP106 0x3B), part 0x00C */
	uint32_t pid0 = mem_rd(c, 0xE000EFE0u), pid1 = mem_rd(c, 0xE000EFE4u), pid2 = mem_rd(c, 0xE000EFE8u);
	ck_assert_uint_eq(pid0 | (pid1 & 0xF) << 8, 0x00C);
	ck_assert_uint_eq((pid1 >> 4) | (pid2 & 7) << 4, 0x3B);
	ck_assert_uint_eq(mem_rd(c, rom + 0xFCC) & 1u, 1u);   /* MEMTYPE.SYSMEM */
	sim_chip_free(c);
}
END_TEST

START_TEST(t_sysresetreq)
{
	struct sim_chip *c = mk("period_ns=10");
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x0, 0x20040000u);      /* initial SP */
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x4, 0x00000401u);      /* reset vector (Thumb) */
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x20000000u, 0x12345678u);
	mem_wr(c, DHCSR, 0xA05F0003u);
	mem_wr(c, DEMCR, 0x01000001u);    /* VC_CORERESET */
	mem_rd(c, DHCSR);                 /* clears S_RESET_ST */
	uint64_t resets = sim_counters(c)->resets;
	uint64_t lr = sim_counters(c)->line_resets;
	sysresetreq(c);
	ck_assert_uint_eq(sim_counters(c)->resets, resets + 1);
	/* the DP was not reset: still powered, no line reset needed */
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0xF0000000u, 0xF0000000u);
	ck_assert_uint_eq(sim_counters(c)->line_resets, lr);
	uint32_t d = mem_rd(c, DHCSR);
	ck_assert(d & (1u << 25));                          /* S_RESET_ST */
	ck_assert(d & (1u << 17));                          /* halted by VC_CORERESET */
	ck_assert_uint_eq(mem_rd(c, DHCSR) & (1u << 25), 0);/* sticky, cleared by read */
	ck_assert_uint_eq(mem_rd(c, 0xE000ED30u) & 8u, 8u); /* DFSR.VCATCH */
	ck_assert_uint_eq(core_reg(c, 15), 0x400u);
	ck_assert_uint_eq(core_reg(c, 13), 0x20040000u);
	ck_assert_uint_eq(mem_rd(c, NVMC_CONFIG), 0);      /* peripherals reset */
	ck_assert_uint_eq(mem_rd(c, 0x20000000u), 0x12345678u);  /* RAM kept */
	/* without reset catch the core runs after the reset */
	mem_wr(c, DEMCR, 0);
	sysresetreq(c);
	ck_assert(!sim_core_halted(c));
	/* wrong key: nothing */
	resets = sim_counters(c)->resets;
	mem_wr(c, AIRCR, 0x00000004u);
	ck_assert_uint_eq(sim_counters(c)->resets, resets);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_pin_reset)
{
	struct sim_chip *c = mk("part=nrf52840,period_ns=10");
	connect(c);
	uint64_t r0 = sim_counters(c)->resets;
	sim_nreset(c, 0);
	sim_nreset(c, 1);
	ck_assert_uint_eq(sim_counters(c)->resets, r0);     /* PSELRESET not set */
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x10001200u, 18);
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x10001204u, 18);
	sim_delay_ns(c, 50000);
	sim_nreset(c, 0);
	ck_assert(mem_rd(c, DHCSR) & (1u << 25));
	sim_nreset(c, 1);
	ck_assert_uint_eq(sim_counters(c)->resets, r0 + 1);
	ck_assert_uint_eq(mem_rd(c, NVMC_CONFIG), 0);
	sim_chip_free(c);
}
END_TEST

/* ---------------- persistence, config ---------------- */

START_TEST(t_persist)
{
	char dir[] = "/tmp/check_sim.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[300], spec[400];
	snprintf(path, sizeof path, "%s/chip.bin", dir);
	snprintf(spec, sizeof spec, "part=nrf52833,state=%s,period_ns=10", path);
	struct sim_chip *c = mk(spec);
	ck_assert_uint_eq(peek32(c, 0x5000), 0xFFFFFFFFu);   /* new path: blank */
	uint32_t id0 = peek32(c, 0x10000060u);
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x5000, 0xA5A5A5A5u);
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x10001084u, 0x12345678u);
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x20000000u, 0x1);
	sim_chip_free(c);
	ck_assert_int_eq(access(path, R_OK), 0);

	c = mk(spec);
	ck_assert_uint_eq(peek32(c, 0x5000), 0xA5A5A5A5u);
	ck_assert_uint_eq(peek32(c, 0x10001084u), 0x12345678u);
	ck_assert_uint_eq(peek32(c, 0x20000000u), 0);        /* RAM is not kept */
	ck_assert_uint_eq(peek32(c, 0x10000060u), id0);      /* same chip, same id */
	ck_assert_int_eq(sim_chip_save(c), 0);
	sim_chip_free(c);

	/* a different part on the same file is an error */
	struct sim_config cfg;
	char sb[300], err[256];
	snprintf(spec, sizeof spec, "part=nrf52840,state=%s", path);
	ck_assert_int_eq(sim_config_parse(&cfg, spec, sb, sizeof sb, err, sizeof err), 0);
	ck_assert_ptr_null(sim_chip_new(&cfg, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "52833"));
	/* a state path that cannot be created is refused up front */
	ck_assert_int_eq(sim_config_parse(&cfg, "part=nrf52840,state=/nonexistent-dir/chip.bin", sb,
					  sizeof sb, err, sizeof err), 0);
	ck_assert_ptr_null(sim_chip_new(&cfg, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "cannot create the state file"));
	/* no temporary file left behind */
	char tmpf[400];
	snprintf(tmpf, sizeof tmpf, "%s.tmp.%ld", path, (long)getpid());
	ck_assert_int_ne(access(tmpf, F_OK), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* locked=1 describes a new chip: with a state file, the lock and a later
 * recover are both kept across starts. */
START_TEST(t_locked_state_persists)
{
	char dir[] = "/tmp/check_sim.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[300], spec[400];
	snprintf(path, sizeof path, "%s/chip.bin", dir);
	snprintf(spec, sizeof spec, "part=nrf52832,locked=1,state=%s", path);
	struct sim_chip *c = mk(spec);
	ck_assert(sim_is_locked(c));
	sim_chip_free(c);
	c = mk(spec);
	ck_assert(sim_is_locked(c));                   /* the lock is in UICR */
	connect(c);
	ctrl_wr(c, 0x004, 1);                          /* CTRL-AP ERASEALL */
	sim_delay_ns(c, 200000000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 0);
	sim_chip_free(c);
	c = mk(spec);
	ck_assert(!sim_is_locked(c));                  /* recovered stays open */
	ck_assert_uint_eq(peek32(c, UICR_APPROTECT), 0xFFFFFFFFu);
	sim_chip_free(c);
	unlink(path);
	rmdir(dir);
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

START_TEST(t_config_parse)
{
	struct sim_config cfg;
	char sb[64], err[256];
	ck_assert_int_eq(sim_config_parse(&cfg, "", sb, sizeof sb, err, sizeof err), 0);
	ck_assert_int_eq(cfg.part, SIM_NRF52840);
	ck_assert_uint_eq(cfg.swclk_period_ns, 1000);
	ck_assert_int_eq(sim_config_parse(&cfg, "part=nrf52832,rev=hardened,locked=1,state=/x/y,period_ns=250",
					  sb, sizeof sb, err, sizeof err), 0);
	ck_assert_int_eq(cfg.part, SIM_NRF52832);
	ck_assert_int_eq(cfg.rev, SIM_REV_HARDENED);
	ck_assert_int_eq(cfg.locked, 1);
	ck_assert_str_eq(cfg.state_path, "/x/y");
	ck_assert_uint_eq(cfg.swclk_period_ns, 250);
	ck_assert_int_eq(sim_config_parse(&cfg, "device_id=0x1234,wallclock=1,fw_approtect=1",
					  sb, sizeof sb, err, sizeof err), 0);
	ck_assert_uint_eq(cfg.device_id, 0x1234);
	ck_assert_int_eq(cfg.wallclock, 1);
	ck_assert_int_eq(cfg.fw_disables_approtect, 1);
	static const struct { const char *spec, *msg; } bad[] = {
		{ "colour=red", "unknown key 'colour'" },
		{ "part=nrf51822", "unknown part 'nrf51822'" },
		{ "rev=new", "unknown rev 'new'" },
		{ "locked=yes", "locked must be 0 or 1" },
		{ "period_ns=0", "period_ns" },
		{ "period_ns=abc", "period_ns" },
		{ "part", "not key=value" },
		{ "state=", "needs a path" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		ck_assert_int_eq(sim_config_parse(&cfg, bad[i].spec, sb, sizeof sb, err, sizeof err), -1);
		ck_assert_msg(strstr(err, bad[i].msg), "%s -> %s", bad[i].spec, err);
	}
}
END_TEST

START_TEST(t_ficr)
{
	static const struct { const char *spec; uint32_t part, ram, flash, pages; } p[] = {
		{ "part=nrf52832", 0x52832, 64, 512, 128 },
		{ "part=nrf52833", 0x52833, 128, 512, 128 },
		{ "part=nrf52840", 0x52840, 256, 1024, 256 },
	};
	uint32_t ids[3];
	for (int i = 0; i < 3; i++) {
		struct sim_chip *c = mk(p[i].spec);
		connect(c);
		ck_assert_uint_eq(mem_rd(c, 0x10000100u), p[i].part);
		ck_assert_uint_eq(mem_rd(c, 0x1000010Cu), p[i].ram);
		ck_assert_uint_eq(mem_rd(c, 0x10000110u), p[i].flash);
		ck_assert_uint_eq(mem_rd(c, 0x10000010u), 4096);
		ck_assert_uint_eq(mem_rd(c, 0x10000014u), p[i].pages);
		ck_assert_uint_eq(sim_flash_size(c), p[i].flash * 1024);
		ck_assert_uint_eq(mem_rd(c, 0x10000104u) >> 16, 0x4141);   /* "AA.." */
		ids[i] = mem_rd(c, 0x10000060u);
		/* the last RAM word exists, the next one does not */
		mem_rd(c, 0x20000000u + p[i].ram * 1024 - 4);
		uint32_t v;
		ck_assert_uint_eq(mem_rd_ack(c, 0x20000000u + p[i].ram * 1024, &v), FAULT);
		sim_chip_free(c);
	}
	ck_assert_uint_ne(ids[0], ids[1]);
	struct sim_chip *c = mk("device_id=0x1122334455667788");
	ck_assert_uint_eq(peek32(c, 0x10000060u), 0x55667788u);
	ck_assert_uint_eq(peek32(c, 0x10000064u), 0x11223344u);
	sim_chip_free(c);
}
END_TEST

/* ---------------- fault injection ---------------- */

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

START_TEST(t_fault_power_loss)
{
	struct sim_chip *c = mk("part=nrf52840,period_ns=10");
	connect(c);
	mem_wr(c, 0x20000000u, 0x77);
	mem_wr(c, NVMC_CONFIG, 1);
	nvmc_wait(c);
	sim_fault_power_loss_at_write(c, 2);
	mem_wr(c, 0x1000, 0x00000000u);
	nvmc_wait(c);
	mem_wr(c, 0x1004, 0x00000000u);     /* power fails here */
	uint32_t w = peek32(c, 0x1004);
	ck_assert_uint_ne(w, 0x00000000u);  /* not fully programmed */
	uint32_t v;
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), NOACK);
	line_reset(c);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), NOACK);
	sim_power_cycle(c);
	connect(c);
	ck_assert_uint_eq(peek32(c, 0x1004), w);        /* flash keeps the partial word */
	ck_assert_uint_eq(peek32(c, 0x1000), 0);
	ck_assert_uint_eq(mem_rd(c, 0x20000000u), 0);   /* RAM lost */
	ck_assert_uint_eq(mem_rd(c, NVMC_CONFIG), 0);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_fault_corrupt)
{
	struct sim_chip *c = mk("");
	sim_fault_corrupt(c, 0x100, 0x10);
	ck_assert_uint_eq(peek32(c, 0x100), 0xFFFFFFEFu);
	sim_fault_corrupt(c, 0x20000003u, 0x80);
	ck_assert_uint_eq(peek32(c, 0x20000000u), 0x80000000u);
	sim_fault_corrupt(c, 0x10001000u, 0x01);
	ck_assert_uint_eq(peek32(c, 0x10001000u), 0xFFFFFFFEu);
	uint8_t b;
	ck_assert_int_eq(sim_peek(c, 0x30000000u, &b, 1), -1);
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

START_TEST(t_wallclock)
{
	struct sim_chip *c = mk("wallclock=1");
	uint64_t t0 = sim_time_ns(c);
	usleep(20000);
	ck_assert_uint_ge(sim_time_ns(c) - t0, 20000000u);
	sim_chip_free(c);
	c = mk("period_ns=500");
	t0 = sim_time_ns(c);
	sim_seq_out(c, 0, 10);
	ck_assert_uint_eq(sim_time_ns(c) - t0, 5000);
	sim_set_period_ns(c, 100);
	sim_seq_out(c, 0, 10);
	sim_delay_ns(c, 7);
	ck_assert_uint_eq(sim_time_ns(c) - t0, 6007);
	ck_assert_uint_eq(sim_counters(c)->cycles, 20);
	sim_counters_reset(c);
	ck_assert_uint_eq(sim_counters(c)->cycles, 0);
	sim_chip_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("wire");
	tcase_add_test(tc, t_dpidr);
	tcase_add_test(tc, t_ram_rw);
	tcase_add_test(tc, t_framing_read);
	tcase_add_test(tc, t_framing_ack_wait_fault);
	tcase_add_test(tc, t_framing_write);
	tcase_add_test(tc, t_protocol_error_resync);
	tcase_add_test(tc, t_jtag_to_swd);
	tcase_add_test(tc, t_need_dpidr);
	tcase_add_test(tc, t_wdataerr);
	tcase_add_test(tc, t_powerup);
	tcase_add_test(tc, t_posted_reads);
	tcase_add_test(tc, t_select_aps);
	tcase_add_test(tc, t_csw_sizes_tar_wrap);
	tcase_add_test(tc, t_bus_error);
	tcase_add_test(tc, t_openocd_wait_dataphase);
	suite_add_tcase(s, tc);
	tc = tcase_create("nvmc");
	tcase_add_test(tc, t_nvmc_rules);
	tcase_add_test(tc, t_nvmc_timing);
	tcase_add_test(tc, t_readynext);
	tcase_add_test(tc, t_eraseuicr_52840);
	suite_add_tcase(s, tc);
	tc = tcase_create("approtect");
	tcase_add_test(tc, t_ctrlap_eraseall_legacy);
	tcase_add_test(tc, t_eraseall_wipes);
	tcase_add_test(tc, t_approtect_hardened);
	suite_add_tcase(s, tc);
	tc = tcase_create("core");
	tcase_add_test(tc, t_core_debug);
	tcase_add_test(tc, t_rom_table);
	tcase_add_test(tc, t_sysresetreq);
	tcase_add_test(tc, t_pin_reset);
	suite_add_tcase(s, tc);
	tc = tcase_create("config");
	tcase_add_test(tc, t_persist);
	tcase_add_test(tc, t_locked_state_persists);
	tcase_add_test(tc, t_realtime);
	tcase_add_test(tc, t_config_parse);
	tcase_add_test(tc, t_ficr);
	tcase_add_test(tc, t_wallclock);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_add_test(tc, t_fault_wait_fault);
	tcase_add_test(tc, t_fault_flip);
	tcase_add_test(tc, t_fault_absent_lost);
	tcase_add_test(tc, t_fault_power_loss);
	tcase_add_test(tc, t_fault_corrupt);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
