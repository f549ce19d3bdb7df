// SPDX-License-Identifier: GPL-2.0-or-later
/* A tiny independent SWD host for the sim suites (tests/check_sim_*.c):
 * raw request bytes, sim_seq_out/sim_seq_in, and on top of them DP/AP
 * transfers, MEM-AP word access through AP 0 and the CTRL-AP. It does not
 * use swd/: the simulator is checked against the specification, not
 * against our own host. */
#ifndef TESTS_SIM_HOST_H
#define TESTS_SIM_HOST_H

#include <check.h>
#include <stdint.h>

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

static inline unsigned par(uint32_t v)
{
	return (unsigned)__builtin_parity(v);
}

static inline uint8_t req(int apndp, int rnw, unsigned a)
{
	unsigned b = (unsigned)apndp | (unsigned)rnw << 1 | (a & 3u) << 2;
	return (uint8_t)(1u | b << 1 | par(b) << 5 | 1u << 7);
}

static inline struct sim_chip *mk(const char *spec)
{
	struct sim_config cfg;
	char sb[256], err[256];
	ck_assert_msg(sim_config_parse(&cfg, spec, sb, sizeof sb, err, sizeof err) == 0, "%s", err);
	struct sim_chip *c = sim_chip_new(&cfg, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	return c;
}

static inline void line_reset(struct sim_chip *c)
{
	sim_seq_out(c, 0xFFFFFFFFu, 32);
	sim_seq_out(c, 0xFFFFFFFFu, 24);
	sim_seq_out(c, 0, 8);
}

/* One transfer; returns the ACK. Data parity errors on reads fail. */
static inline unsigned xfer_raw(struct sim_chip *c, uint8_t r, uint32_t *data, int bad_wparity)
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

static inline unsigned xfer(struct sim_chip *c, int apndp, int rnw, unsigned a, uint32_t *data)
{
	return xfer_raw(c, req(apndp, rnw, a), data, 0);
}

static inline uint32_t rd(struct sim_chip *c, int apndp, unsigned a)
{
	uint32_t v = 0xDEADBEEF;
	ck_assert_uint_eq(xfer(c, apndp, RD, a, &v), OK);
	return v;
}

static inline void wr(struct sim_chip *c, int apndp, unsigned a, uint32_t v)
{
	ck_assert_uint_eq(xfer(c, apndp, WR, a, &v), OK);
}

static inline void connect(struct sim_chip *c)
{
	line_reset(c);
	ck_assert_uint_eq(rd(c, DP, DP_IDR), 0x2BA01477u);
	wr(c, DP, DP_ABORT, 0x1E);
	wr(c, DP, DP_CS, 0x50000000u);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0xF0000000u, 0xF0000000u);
}

static inline void sel(struct sim_chip *c, unsigned ap, unsigned bank)
{
	wr(c, DP, DP_SELECT, ap << 24 | bank << 4);
}

/* MEM-AP word access through AP 0 with posted reads. */
static inline unsigned mem_rd_ack(struct sim_chip *c, uint32_t addr, uint32_t *v)
{
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, addr);
	unsigned a = xfer(c, AP, RD, AP_DRW, v);
	if (a != OK)
		return a;
	return xfer(c, DP, RD, DP_RDBUFF, v);
}

static inline uint32_t mem_rd(struct sim_chip *c, uint32_t addr)
{
	uint32_t v = 0;
	ck_assert_uint_eq(mem_rd_ack(c, addr, &v), OK);
	return v;
}

static inline unsigned mem_wr_ack(struct sim_chip *c, uint32_t addr, uint32_t v)
{
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, addr);
	return xfer(c, AP, WR, AP_DRW, &v);
}

static inline void mem_wr(struct sim_chip *c, uint32_t addr, uint32_t v)
{
	ck_assert_uint_eq(mem_wr_ack(c, addr, v), OK);
}

static inline uint32_t peek32(struct sim_chip *c, uint32_t addr)
{
	uint32_t v;
	ck_assert_int_eq(sim_peek(c, addr, &v, 4), 0);
	return v;
}

/* CTRL-AP registers (AP 1), the AHB-AP IDR, a system reset. */
static inline uint32_t ctrl_rd(struct sim_chip *c, unsigned reg)
{
	sel(c, 1, reg >> 4);
	rd(c, AP, (reg >> 2) & 3u);
	return rd(c, DP, DP_RDBUFF);
}

static inline void ctrl_wr(struct sim_chip *c, unsigned reg, uint32_t v)
{
	sel(c, 1, reg >> 4);
	wr(c, AP, (reg >> 2) & 3u, v);
}

static inline uint32_t ahb_idr(struct sim_chip *c)
{
	sel(c, 0, 0xF);
	rd(c, AP, 3);
	return rd(c, DP, DP_RDBUFF);
}

static inline void sysresetreq(struct sim_chip *c)
{
	mem_wr(c, AIRCR, 0x05FA0004u);
}

#endif
