// SPDX-License-Identifier: GPL-2.0-or-later
/* check_stlink_emu: the emulated ST-Link (tests/stlink_emu/) through its
 * C API: identity and descriptors, the commands and replies each firmware
 * gives (and the ones it refuses), its SWD engine against the simulated
 * chip (memory, WAIT retried then reported, FAULT with its address and
 * the sticky flag left for the host), the locked chip's 0x05, RST wired
 * or not, the serial forms, faults (unplug, stalled endpoint) and the
 * counters and time model. Then, re-executed with build/stlink_emu.so
 * preloaded, the same dongle through the real libusb 1.0.26: enumeration,
 * descriptors, the serial string, sync and OpenOCD-style async transfers
 * (IN submitted first), a timeout (DISCARDURB), a stall and clear_halt,
 * unplug and replug seen by libusb's hotplug. */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <libusb-1.0/libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ck_run.h"
#include "sim/sim.h"
#include "tests/stlink_emu/stlink_emu.h"

static struct stlink_emu *mkemu(const char *emuspec, const char *simspec)
{
	char err[256];
	struct stlink_emu *e = stlink_emu_new_spec(emuspec, simspec, err, sizeof err);

	ck_assert_msg(e != NULL, "%s", err);
	return e;
}

/* One command (and its data phase); the reply's length (-errno), reply in r. */
static int cmdx(struct stlink_emu *e, const uint8_t *c, size_t clen, const void *data,
		size_t dlen, uint8_t *r, size_t rlen)
{
	uint8_t buf[16] = { 0 };
	int n;

	memcpy(buf, c, clen);
	n = stlink_emu_bulk_out(e, stlink_emu_ep_out(e), buf, 16);
	if (n < 0)
		return n;
	if (dlen) {
		n = stlink_emu_bulk_out(e, stlink_emu_ep_out(e), data, dlen);
		if (n < 0)
			return n;
	}
	if (!rlen)
		return 0;
	return stlink_emu_bulk_in(e, stlink_emu_ep_in(e), r, rlen);
}

#define CMD(e, r, rlen, ...)                                                    \
	({                                                                      \
		const uint8_t _c[] = { __VA_ARGS__ };                           \
		cmdx(e, _c, sizeof _c, NULL, 0, r, rlen);                       \
	})

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void enter(struct stlink_emu *e)
{
	uint8_t r[16];

	ck_assert_int_eq(CMD(e, r, 2, 0xF5), 2);
	if (r[0] == 0)
		ck_assert_int_eq(CMD(e, r, 0, 0xF3, 0x07), 0);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x30, 0xA3), 2);
	ck_assert_uint_eq(r[0], 0x80);
}

/* READMEM_32 + GETLASTRWSTATUS2; returns the status. */
static unsigned rd32(struct stlink_emu *e, uint32_t addr, void *out, uint16_t len, uint32_t *fault)
{
	uint8_t c[16] = { 0xF2, 0x07, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
			  (uint8_t)(addr >> 24), (uint8_t)len, (uint8_t)(len >> 8) };
	uint8_t r[12];

	ck_assert_int_eq(cmdx(e, c, 16, NULL, 0, out, len), len);
	ck_assert_int_eq(CMD(e, r, 12, 0xF2, 0x3E), 12);
	if (fault)
		*fault = le32(r + 4);
	return r[0] | r[1] << 8;
}

static unsigned wr32(struct stlink_emu *e, uint32_t addr, const void *in, uint16_t len,
		     uint32_t *fault)
{
	uint8_t c[16] = { 0xF2, 0x08, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
			  (uint8_t)(addr >> 24), (uint8_t)len, (uint8_t)(len >> 8) };
	uint8_t r[12];

	ck_assert_int_eq(cmdx(e, c, 16, in, len, NULL, 0), 0);
	ck_assert_int_eq(CMD(e, r, 12, 0xF2, 0x3E), 12);
	if (fault)
		*fault = le32(r + 4);
	return r[0] | r[1] << 8;
}

START_TEST(t_version_mode_voltage_idcodes)
{
	struct stlink_emu *e = mkemu("", "part=nrf52840");
	uint8_t r[16];

	ck_assert_uint_eq(stlink_emu_pid(e), 0x3748);
	ck_assert_uint_eq(stlink_emu_ep_out(e), 0x02);
	ck_assert_int_eq(CMD(e, r, 6, 0xF1), 6);
	/* V2J37S7 0483:3748: 29 47 83 04 48 37 (STLINK.md §2.2) */
	ck_assert_uint_eq(r[0], 0x29);
	ck_assert_uint_eq(r[1], 0x47);
	ck_assert_uint_eq(r[2] | r[3] << 8, 0x0483);
	ck_assert_uint_eq(r[4] | r[5] << 8, 0x3748);
	ck_assert_int_eq(CMD(e, r, 2, 0xF5), 2);
	ck_assert_uint_eq(r[0], 0); /* DFU */
	ck_assert_int_eq(CMD(e, r, 0, 0xF3, 0x07), 0);
	ck_assert_int_eq(CMD(e, r, 2, 0xF5), 2);
	ck_assert_uint_eq(r[0], 1);
	ck_assert_int_eq(CMD(e, r, 8, 0xF7), 8);
	{
		double v = 2.0 * le32(r + 4) * 1.2 / le32(r);

		ck_assert(v > 3.29 && v < 3.31);
	}
	ck_assert_int_eq(CMD(e, r, 12, 0xF2, 0x31), 12); /* not entered yet */
	ck_assert_uint_ne(r[0], 0x80);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x30, 0xA3), 2);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_int_eq(CMD(e, r, 2, 0xF5), 2);
	ck_assert_uint_eq(r[0], 2);
	ck_assert_int_eq(CMD(e, r, 12, 0xF2, 0x31), 12);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(le32(r + 4), 0x2BA01477u);
	ck_assert_int_eq(CMD(e, r, 0, 0xF2, 0x21), 0);
	ck_assert_int_eq(CMD(e, r, 2, 0xF5), 2);
	ck_assert_uint_eq(r[0], 1);
	stlink_emu_free(e);
}
END_TEST

START_TEST(t_memory)
{
	struct stlink_emu *e = mkemu("", "part=nrf52840");
	uint8_t buf[6144], ref[6144];
	uint32_t fault;

	enter(e);
	/* FICR INFO.PART */
	ck_assert_uint_eq(rd32(e, 0x10000100, buf, 4, NULL), 0x80);
	ck_assert_uint_eq(le32(buf), 0x52840);
	/* RAM across 1 KiB boundaries, 6 KiB in one command */
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	ck_assert_uint_eq(wr32(e, 0x20000200, buf, 6144, NULL), 0x80);
	ck_assert_int_eq(sim_peek(stlink_emu_chip(e), 0x20000200, ref, 6144), 0);
	ck_assert_int_eq(memcmp(buf, ref, 6144), 0);
	memset(ref, 0, sizeof ref);
	ck_assert_uint_eq(rd32(e, 0x20000200, ref, 6144, NULL), 0x80);
	ck_assert_int_eq(memcmp(buf, ref, 6144), 0);
	/* unmapped: FAULT with the address */
	ck_assert_uint_eq(rd32(e, 0x30000000, buf, 8, &fault), 0x11);
	ck_assert_uint_eq(fault, 0x30000000);
	/* the next command works (the firmware clears for HLA hosts) */
	ck_assert_uint_eq(rd32(e, 0x10000100, buf, 4, NULL), 0x80);
	stlink_emu_free(e);
}
END_TEST


static void mem16(uint8_t *c, uint8_t sub, uint32_t addr, uint16_t len, uint8_t ap)
{
	memset(c, 0, 16);
	c[0] = 0xF2;
	c[1] = sub;
	c[2] = (uint8_t)addr;
	c[3] = (uint8_t)(addr >> 8);
	c[4] = (uint8_t)(addr >> 16);
	c[5] = (uint8_t)(addr >> 24);
	c[6] = (uint8_t)len;
	c[7] = (uint8_t)(len >> 8);
	c[8] = ap;
}

static unsigned last_status(struct stlink_emu *e, uint32_t *addr)
{
	uint8_t r[12];

	ck_assert_int_eq(CMD(e, r, 12, 0xF2, 0x3E), 12);
	if (addr)
		*addr = le32(r + 4);
	return r[0] | r[1] << 8;
}

START_TEST(t_models)
{
	struct stlink_emu *e = mkemu("model=v2-1", "");
	uint8_t r[64];

	ck_assert_uint_eq(stlink_emu_pid(e), 0x374B);
	ck_assert_uint_eq(stlink_emu_ep_out(e), 0x01);
	ck_assert_uint_eq(stlink_emu_ep_trace(e), 0x82);
	ck_assert_uint_eq(stlink_emu_max_packet(e), 64);
	ck_assert_int_eq(CMD(e, r, 6, 0xF1), 6);
	/* v=2, J37, M25 */
	ck_assert_uint_eq((unsigned)(r[0] << 8 | r[1]), 2u << 12 | 37u << 6 | 25u);
	ck_assert_uint_eq(r[4] | r[5] << 8, 0x374B);
	ck_assert_int_eq(CMD(e, r, 12, 0xFB), 2); /* not on a V2-1 */
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_UNKNOWN_CMD);
	/* The wrong endpoint for this model. */
	ck_assert_int_eq(stlink_emu_bulk_out(e, 0x02, r, 16), -EINVAL);
	stlink_emu_free(e);

	e = mkemu("model=v3,fw=J7", "");
	ck_assert_uint_eq(stlink_emu_pid(e), 0x374F);
	ck_assert_uint_eq(stlink_emu_max_packet(e), 512);
	ck_assert_uint_eq(stlink_emu_speed_mbps(e), 480);
	ck_assert_int_eq(CMD(e, r, 6, 0xF1), 6);
	ck_assert_uint_eq(r[0], 0x30); /* v=3, x=y=0: ask GET_VERSION_EX */
	ck_assert_uint_eq(r[1], 0x00);
	ck_assert_int_eq(CMD(e, r, 12, 0xFB), 12);
	ck_assert_uint_eq(r[0], 3);
	ck_assert_uint_eq(r[2], 7);
	ck_assert_uint_eq(r[10] | r[11] << 8, 0x374F);
	enter(e);
	/* V3 frequencies: the fastest <= the request */
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x61, 0x00, 0x00, 0xA0, 0x0F, 0, 0), 8); /* 4000 */
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(le32(r + 4), 3300);
	ck_assert_uint_eq(stlink_emu_swd_khz(e), 3300);
	ck_assert_int_eq(CMD(e, r, 52, 0xF2, 0x62, 0x00), 52);
	ck_assert_uint_eq(r[8], 7);
	ck_assert_uint_eq(le32(r + 12), 24000);
	/* V2's divisor command is not a V3 one */
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x43, 0x03, 0x00), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_UNKNOWN_CMD);
	stlink_emu_free(e);
}
END_TEST

START_TEST(t_swd_freq_v2)
{
	struct stlink_emu *e = mkemu("", "");
	uint8_t r[8];

	ck_assert_uint_eq(stlink_emu_swd_khz(e), 1800);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x43, 0x03, 0x00), 2);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(stlink_emu_swd_khz(e), 950);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x43, 0x1E, 0x03), 2); /* 798: 5 kHz */
	ck_assert_uint_eq(stlink_emu_swd_khz(e), 5);
	stlink_emu_free(e);
	e = mkemu("fw=J21", "");
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x43, 0x03, 0x00), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_UNKNOWN_CMD); /* SWD_SET_FREQ is J22+ */
	ck_assert_uint_eq(stlink_emu_swd_khz(e), 1800);
	stlink_emu_free(e);
}
END_TEST

/* The firmware thresholds of STLINK.md §2.5. */
START_TEST(t_firmware_thresholds)
{
	struct stlink_emu *e;
	uint8_t r[16], c[16];

	/* J12: no target voltage, no GETLASTRWSTATUS2, no DAP registers */
	e = mkemu("fw=J12", "");
	enter(e);
	ck_assert_int_eq(CMD(e, r, 8, 0xF7), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_UNKNOWN_CMD);
	ck_assert_int_eq(CMD(e, r, 12, 0xF2, 0x3E), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_UNKNOWN_CMD);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x3B), 2); /* the old one works */
	ck_assert_uint_eq(r[0], 0x80);
	stlink_emu_free(e);

	/* J23: memory only, no DAP registers (recover impossible) */
	e = mkemu("fw=J23", "");
	enter(e);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0xFF, 0xFF, 0x00, 0x00), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_UNKNOWN_CMD);
	ck_assert_uint_gt(stlink_emu_counters(e)->unknown_commands, 0);
	ck_assert_uint_eq(rd32(e, 0x10000100, r, 4, NULL), 0x80);
	ck_assert_uint_eq(le32(r), 0x52840);
	/* no 16-bit memory commands before J26 */
	mem16(c, 0x47, 0x10000100, 2, 0);
	ck_assert_int_eq(cmdx(e, c, 16, NULL, 0, r, 2), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_UNKNOWN_CMD);
	stlink_emu_free(e);

	/* J24: DAP registers, AP 0 only, no INIT_AP */
	e = mkemu("fw=J24", "");
	enter(e);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0xFF, 0xFF, 0x00, 0x00), 8);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(le32(r + 4), 0x2BA01477u);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0x00, 0x00, 0xFC, 0x00), 8);
	ck_assert_uint_eq(le32(r + 4), 0x24770011u);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0x01, 0x00, 0xFC, 0x00), 8);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_BAD_AP);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x4B, 0x00), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_UNKNOWN_CMD);
	stlink_emu_free(e);

	/* J29: INIT_AP, APs 0..3: the CTRL-AP answers */
	e = mkemu("fw=J29", "");
	enter(e);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x4B, 0x01), 2);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0x01, 0x00, 0xFC, 0x00), 8);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(le32(r + 4), 0x02880000u);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0x04, 0x00, 0xFC, 0x00), 8);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_BAD_AP);
	/* before J32 the AP byte of a memory command means nothing: AP 0 */
	mem16(c, 0x07, 0x10000100, 4, 1);
	ck_assert_int_eq(cmdx(e, c, 16, NULL, 0, r, 4), 4);
	ck_assert_uint_eq(last_status(e, NULL), 0x80);
	ck_assert_uint_eq(le32(r), 0x52840);
	stlink_emu_free(e);

	/* J32: APs 0..7, memory commands on AP 1 (the CTRL-AP's APPROTECTSTATUS
	 * as OpenOCD's dapdirect reads it: 8-bit, address 0x0C) */
	e = mkemu("fw=J32", "");
	enter(e);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0x07, 0x00, 0xFC, 0x00), 8);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(le32(r + 4), 0); /* no AP 7 on the nRF52 */
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0x08, 0x00, 0xFC, 0x00), 8);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_BAD_AP);
	stlink_emu_free(e);

	/* J37: refuses the non-ARM CTRL-AP (pyOCD#918), AP 0 still works */
	e = mkemu("fw=J37", "");
	ck_assert_int_eq(stlink_emu_config(e)->ap_check, 1);
	enter(e);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x4B, 0x01), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_BAD_AP);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0x01, 0x00, 0x0C, 0x00), 8);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_BAD_AP);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x4B, 0x00), 2);
	ck_assert_uint_eq(r[0], 0x80);
	stlink_emu_free(e);
	e = mkemu("fw=J37,ap_check=none", "");
	enter(e);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x4B, 0x01), 2);
	ck_assert_uint_eq(r[0], 0x80);
	stlink_emu_free(e);
}
END_TEST

START_TEST(t_narrow_access)
{
	struct stlink_emu *e = mkemu("", "");
	uint8_t r[64], c[16], w[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

	enter(e);
	/* 8-bit write of 3 bytes at an odd address, read back 1 byte (2 come) */
	mem16(c, 0x0D, 0x20000001, 3, 0);
	ck_assert_int_eq(cmdx(e, c, 16, w, 3, NULL, 0), 0);
	ck_assert_uint_eq(last_status(e, NULL), 0x80);
	ck_assert_uint_eq(rd32(e, 0x20000000, r, 4, NULL), 0x80);
	ck_assert_uint_eq(r[1], 0x11);
	ck_assert_uint_eq(r[2], 0x22);
	ck_assert_uint_eq(r[3], 0x33);
	mem16(c, 0x0C, 0x20000002, 1, 0);
	ck_assert_int_eq(cmdx(e, c, 16, NULL, 0, r, 64), 2);
	ck_assert_uint_eq(r[0], 0x22);
	/* 16-bit (J26+) */
	mem16(c, 0x48, 0x20000010, 4, 0);
	ck_assert_int_eq(cmdx(e, c, 16, w + 4, 4, NULL, 0), 0);
	mem16(c, 0x47, 0x20000012, 2, 0);
	ck_assert_int_eq(cmdx(e, c, 16, NULL, 0, r, 2), 2);
	ck_assert_uint_eq(r[0] | r[1] << 8, 0x8877);
	/* over the 8-bit limit of a V2 (64), misaligned 32-bit */
	mem16(c, 0x0C, 0x20000000, 65, 0);
	ck_assert_int_eq(cmdx(e, c, 16, NULL, 0, r, 64), 64);
	ck_assert_uint_ne(last_status(e, NULL), 0x80);
	mem16(c, 0x07, 0x20000002, 4, 0);
	ck_assert_int_eq(cmdx(e, c, 16, NULL, 0, r, 4), 4);
	ck_assert_uint_eq(last_status(e, NULL), 0x0A);
	stlink_emu_free(e);
}
END_TEST

/* WAIT retried 4 times inside, the fifth reported; the host's retry works. */
START_TEST(t_wait_retry_then_report)
{
	struct stlink_emu *e = mkemu("", "");
	uint8_t r[8];

	enter(e);
	stlink_emu_counters_reset(e);
	sim_fault_wait(stlink_emu_chip(e), 4);
	ck_assert_uint_eq(rd32(e, 0x10000100, r, 4, NULL), 0x80);
	ck_assert_uint_eq(le32(r), 0x52840);
	ck_assert_uint_eq(stlink_emu_counters(e)->swd_wait_retries, 4);
	ck_assert_uint_eq(stlink_emu_counters(e)->swd_waits_reported, 0);
	sim_fault_wait(stlink_emu_chip(e), 5);
	ck_assert_uint_eq(rd32(e, 0x10000100, r, 4, NULL), STLINK_EMU_ST_SWD_AP_WAIT);
	ck_assert_uint_eq(stlink_emu_counters(e)->swd_waits_reported, 1);
	ck_assert_uint_eq(rd32(e, 0x10000100, r, 4, NULL), 0x80);
	ck_assert_uint_eq(le32(r), 0x52840);
	stlink_emu_free(e);
}
END_TEST

/* A WAIT the firmware's retries do not cover (a word write into flash on
 * the 52832 while the previous one programs, 4 MHz): status SWD_AP_WAIT,
 * the fault address names the word refused; the one before is written. */
START_TEST(t_wait_fault_address)
{
	struct stlink_emu *e = mkemu("", "part=nrf52832");
	uint8_t r[8], wen[4] = { 1, 0, 0, 0 }, w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint32_t fa, v;

	enter(e);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x43, 0x00, 0x00), 2); /* 4 MHz */
	ck_assert_uint_eq(wr32(e, 0x4001E504, wen, 4, NULL), 0x80);
	ck_assert_uint_eq(wr32(e, 0x1000, w, 8, &fa), STLINK_EMU_ST_SWD_AP_WAIT);
	ck_assert_uint_eq(fa, 0x1004);
	ck_assert_int_eq(sim_peek(stlink_emu_chip(e), 0x1000, &v, 4), 0);
	ck_assert_uint_eq(v, 0x04030201u);
	ck_assert_int_eq(sim_peek(stlink_emu_chip(e), 0x1004, &v, 4), 0);
	ck_assert_uint_eq(v, 0xFFFFFFFFu);
	ck_assert_uint_eq(stlink_emu_counters(e)->swd_wait_retries, 4);
	stlink_emu_free(e);
}
END_TEST

/* A FAULT through the DAP registers leaves STICKYERR for the host. */
START_TEST(t_fault_sticky_left_for_host)
{
	struct stlink_emu *e = mkemu("fw=J32", "");
	uint8_t r[8];

	enter(e);
	/* AP0 CSW word, TAR unmapped, DRW read; then RDBUFF */
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x46, 0, 0, 0x00, 0, 0x12, 0x00, 0x00, 0x23), 2);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x46, 0, 0, 0x04, 0, 0x00, 0x00, 0x00, 0x30), 2);
	ck_assert_uint_eq(r[0], 0x80);
	CMD(e, r, 8, 0xF2, 0x45, 0, 0, 0x0C, 0);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00), 8);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_ne(le32(r + 4) & 0x20, 0); /* STICKYERR */
	/* the next AP access FAULTs until the host writes ABORT */
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0, 0, 0xFC, 0), 8);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_SWD_DP_FAULT); /* its SELECT write */
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x46, 0xFF, 0xFF, 0x00, 0x00, 0x1E, 0, 0, 0), 2);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00), 8);
	ck_assert_uint_eq(le32(r + 4) & 0x20, 0);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0, 0, 0xFC, 0), 8);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(le32(r + 4), 0x24770011u);
	stlink_emu_free(e);
}
END_TEST

START_TEST(t_write_fault_address)
{
	struct stlink_emu *e = mkemu("", "");
	uint8_t w[16] = { 0 };
	uint32_t fa;

	enter(e);
	/* RAM ends at 0x20040000 on the 52840: the third word faults */
	ck_assert_uint_eq(wr32(e, 0x2003FFF8, w, 16, &fa), STLINK_EMU_ST_SWD_AP_FAULT);
	ck_assert_uint_eq(fa, 0x20040000);
	ck_assert_uint_eq(wr32(e, 0x20000000, w, 4, NULL), 0x80);
	stlink_emu_free(e);
}
END_TEST

/* A locked nRF52 through the ST-Link: 0x05 (heystack-nrf5x#9). */
START_TEST(t_locked_chip)
{
	struct stlink_emu *e = mkemu("fw=J32", "part=nrf52840,locked=1");
	uint8_t r[16];

	enter(e);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x4B, 0x00), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_NO_DEVICE);
	ck_assert_uint_eq(rd32(e, 0xE000ED00, r, 4, NULL), STLINK_EMU_ST_NO_DEVICE);
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x36, 0xF0, 0xED, 0x00, 0xE0), 8);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_NO_DEVICE);
	/* the CTRL-AP answers: APPROTECTSTATUS 0 = locked */
	ck_assert_int_eq(CMD(e, r, 8, 0xF2, 0x45, 0x01, 0x00, 0x0C, 0x00), 8);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(le32(r + 4), 0);
	stlink_emu_free(e);
}
END_TEST

START_TEST(t_nrst_wired_or_not)
{
	struct stlink_emu *e = mkemu("", "");
	uint8_t r[8];

	enter(e);
	/* UICR.PSELRESET[0..1] = P0.18, so the pin resets (NVMC CONFIG = WEN) */
	{
		uint8_t w[4] = { 1, 0, 0, 0 }, p[8] = { 18, 0, 0, 0, 18, 0, 0, 0 };

		ck_assert_uint_eq(wr32(e, 0x4001E504, w, 4, NULL), 0x80);
		ck_assert_uint_eq(wr32(e, 0x10001200, p, 8, NULL), 0x80);
		w[0] = 0;
		ck_assert_uint_eq(wr32(e, 0x4001E504, w, 4, NULL), 0x80);
	}
	ck_assert_int_eq(stlink_emu_nreset(e), 1);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x3C, 0x00), 2);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_int_eq(stlink_emu_nreset(e), 0);
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x3C, 0x01), 2);
	ck_assert_int_eq(stlink_emu_nreset(e), 1);
	ck_assert_uint_eq(stlink_emu_counters(e)->nrst_pulses, 1);
	ck_assert_uint_eq(sim_counters(stlink_emu_chip(e))->resets, 1);
	stlink_emu_free(e);

	/* a clone whose RST pin is SWIM_RST: OK, and nothing moves */
	e = mkemu("rst=0", "");
	enter(e);
	{
		uint8_t w[4] = { 1, 0, 0, 0 }, p[8] = { 18, 0, 0, 0, 18, 0, 0, 0 };

		ck_assert_uint_eq(wr32(e, 0x4001E504, w, 4, NULL), 0x80);
		ck_assert_uint_eq(wr32(e, 0x10001200, p, 8, NULL), 0x80);
	}
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x3C, 0x02), 2);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(sim_counters(stlink_emu_chip(e))->resets, 0);
	ck_assert_uint_eq(stlink_emu_counters(e)->nrst_pulses, 0);
	/* RESETSYS still resets (AIRCR) */
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x32), 2);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_uint_eq(sim_counters(stlink_emu_chip(e))->resets, 1);
	stlink_emu_free(e);
}
END_TEST

START_TEST(t_clone_zero_volts_and_no_target)
{
	struct stlink_emu *e = mkemu("vtarget_mv=0", "");
	uint8_t r[16];

	ck_assert_int_eq(CMD(e, r, 8, 0xF7), 8);
	ck_assert_uint_ne(le32(r), 0);
	ck_assert_uint_eq(le32(r + 4), 0);
	stlink_emu_free(e);
	/* nothing on the wire: ENTER fails */
	e = mkemu("", "none");
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x30, 0xA3), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_NO_DEVICE);
	stlink_emu_free(e);
	e = mkemu("", "absent=1");
	ck_assert_int_eq(CMD(e, r, 2, 0xF2, 0x30, 0xA3), 2);
	ck_assert_uint_ne(r[0], 0x80);
	stlink_emu_free(e);
}
END_TEST

static int get_string(struct stlink_emu *e, unsigned idx, uint8_t *buf, uint16_t wlen)
{
	uint8_t setup[8] = { 0x80, 6, (uint8_t)idx, 3, 0x09, 0x04, (uint8_t)wlen, (uint8_t)(wlen >> 8) };

	return stlink_emu_control(e, setup, buf);
}

START_TEST(t_descriptors_and_serials)
{
	struct stlink_emu *e = mkemu("serial=0123456789abcdef01234567", "");
	uint8_t d[255];
	int n = stlink_emu_descriptors(e, d, sizeof d);

	ck_assert_int_eq(n, 18 + 39);
	ck_assert_uint_eq(d[8] | d[9] << 8, 0x0483);
	ck_assert_uint_eq(d[10] | d[11] << 8, 0x3748);
	ck_assert_uint_eq(d[18 + 2], 39); /* wTotalLength */
	ck_assert_uint_eq(d[18 + 9 + 4], 3); /* bNumEndpoints */
	ck_assert_uint_eq(d[18 + 18 + 2], 0x81);
	ck_assert_uint_eq(d[18 + 18 + 7 + 2], 0x02);
	ck_assert_uint_eq(d[18 + 18 + 14 + 2], 0x83);
	ck_assert_int_eq(get_string(e, 0, d, 255), 4);
	ck_assert_int_eq(get_string(e, 3, d, 255), 50);
	ck_assert_uint_eq(d[0], 50);
	ck_assert_uint_eq(d[2], '0');
	ck_assert_uint_eq(d[2 + 2 * 10], 'A'); /* upper case */
	ck_assert_int_eq(get_string(e, 1, d, 255), 2 + 2 * 18);
	ck_assert_int_eq(get_string(e, 9, d, 255), -EPIPE);
	stlink_emu_free(e);
	/* old firmware: 12 raw bytes, bLength 26 */
	e = mkemu("serial=0123456789ABCDEF01234567,serial_form=raw", "");
	ck_assert_int_eq(get_string(e, 3, d, 255), 26);
	ck_assert_uint_eq(d[0], 26);
	ck_assert_uint_eq(d[2], 0x01);
	ck_assert_uint_eq(d[4], 0x23);
	ck_assert_uint_eq(d[2 + 2 * 7], 0xEF);
	stlink_emu_free(e);
}
END_TEST

START_TEST(t_bad_specs)
{
	struct stlink_emu_config cfg;
	char err[256];
	static const char *const bad[] = { "model=v4", "fw=K37", "fw=J99", "serial=123",
					   "serial=0123456789ABCDEF0123456Z", "serial_form=odd",
					   "ap_check=maybe", "rst=x", "nokey", "color=red",
					   "mode=sleep" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(stlink_emu_config_parse(&cfg, bad[i], err, sizeof err) == -1, "%s",
			      bad[i]);
		ck_assert_msg(strstr(err, "stlink_emu:") != NULL, "%s: %s", bad[i], err);
	}
	ck_assert_int_eq(stlink_emu_config_parse(&cfg, "", err, sizeof err), 0);
	ck_assert_uint_eq(cfg.fw_j, 37);
	ck_assert_int_eq(stlink_emu_config_parse(&cfg, "model=v3,pid=0x3754,fw=J10", err, sizeof err), 0);
	ck_assert_uint_eq(cfg.pid, 0x3754);
}
END_TEST

START_TEST(t_faults_unplug_stall)
{
	struct stlink_emu *e = mkemu("unplug_after=2", "");
	uint8_t r[16], c[16] = { 0xF1 };
	uint8_t clr[8] = { 0x02, 1, 0, 0, 0x81, 0, 0, 0 };

	ck_assert_int_eq(CMD(e, r, 6, 0xF1), 6);
	ck_assert_int_eq(CMD(e, r, 2, 0xF5), 2);
	ck_assert_int_eq(stlink_emu_bulk_out(e, 0x02, c, 16), -ENODEV);
	ck_assert_int_eq(stlink_emu_unplugged(e), 1);
	ck_assert_int_eq(stlink_emu_bulk_in(e, 0x81, r, 16), -ENODEV);
	ck_assert_int_eq(get_string(e, 3, r, 16), -ENODEV);
	stlink_emu_replug(e);
	ck_assert_int_eq(CMD(e, r, 6, 0xF1), 6);
	ck_assert_int_eq(CMD(e, r, 2, 0xF5), 2);
	ck_assert_uint_eq(r[0], 0); /* fresh: DFU again */
	stlink_emu_unplug(e);
	ck_assert_int_eq(stlink_emu_bulk_out(e, 0x02, c, 16), -ENODEV);
	stlink_emu_replug(e);
	stlink_emu_unplug_after(e, 1);
	ck_assert_int_eq(CMD(e, r, 6, 0xF1), 6);
	ck_assert_int_eq(CMD(e, r, 6, 0xF1), -ENODEV);
	stlink_emu_free(e);

	e = mkemu("stall=0x81", "");
	ck_assert_int_eq(stlink_emu_stalled(e, 0x81), 1);
	ck_assert_int_eq(stlink_emu_bulk_out(e, 0x02, c, 16), 16);
	ck_assert_int_eq(stlink_emu_bulk_in(e, 0x81, r, 16), -EPIPE);
	/* CLEAR_FEATURE(ENDPOINT_HALT) clears it; the reply waited */
	ck_assert_int_eq(stlink_emu_control(e, clr, r), 0);
	ck_assert_int_eq(stlink_emu_stalled(e, 0x81), 0);
	ck_assert_int_eq(stlink_emu_bulk_in(e, 0x81, r, 16), 6);
	/* nothing to send: the device NAKs */
	ck_assert_int_eq(stlink_emu_bulk_in(e, 0x81, r, 16), -EAGAIN);
	/* a reply longer than a non-packet-multiple buffer overflows */
	ck_assert_int_eq(stlink_emu_bulk_out(e, 0x02, c, 16), 16);
	ck_assert_int_eq(stlink_emu_bulk_in(e, 0x81, r, 3), -EOVERFLOW);
	/* the OUT endpoint halted: commands refused until cleared */
	stlink_emu_stall(e, 0x02, 1);
	ck_assert_int_eq(stlink_emu_bulk_out(e, 0x02, c, 16), -EPIPE);
	stlink_emu_stall(e, 0x02, 0);
	ck_assert_int_eq(stlink_emu_bulk_out(e, 0x02, c, 16), 16);
	ck_assert_int_eq(stlink_emu_bulk_in(e, 0x81, r, 16), 6);
	stlink_emu_free(e);
}
END_TEST

/* The time model: STLINK_EMU_CMD_NS per command, STLINK_EMU_PKT_NS per
 * further 64-byte packet, plus the simulated SWD time. */
START_TEST(t_counters_and_time_model)
{
	struct stlink_emu *e = mkemu("", "");
	const struct stlink_emu_counters *k = stlink_emu_counters(e);
	static uint8_t buf[6144];
	char json[2048];

	ck_assert_int_eq(CMD(e, buf, 6, 0xF1), 6);
	ck_assert_uint_eq(k->commands, 1);
	ck_assert_uint_eq(k->bulk_out, 1);
	ck_assert_uint_eq(k->bulk_in, 1);
	ck_assert_uint_eq(k->usb_ns, STLINK_EMU_CMD_NS);
	ck_assert_uint_eq(k->swd_ns, 0);
	enter(e);
	stlink_emu_counters_reset(e);
	ck_assert_uint_eq(rd32(e, 0x20000000, buf, 6144, NULL), 0x80);
	ck_assert_uint_eq(k->commands, 2);
	ck_assert_uint_eq(k->mem_commands, 1);
	ck_assert_uint_eq(k->bulk_out, 2);
	ck_assert_uint_eq(k->bulk_in, 2);
	ck_assert_uint_eq(k->bytes_in, 6144 + 12);
	ck_assert_uint_eq(k->usb_ns, 2ull * STLINK_EMU_CMD_NS + 95ull * STLINK_EMU_PKT_NS);
	/* 1536 words + TAR re-arms at 1.8 MHz: well over 1536 x 46 cycles */
	ck_assert_uint_gt(k->swd_ns, 1536ull * 46 * 1000000 / 1800);
	ck_assert_uint_eq(k->modelled_ns, k->usb_ns + k->swd_ns);
	ck_assert_uint_eq(k->by_debug[0x07], 1);
	ck_assert_uint_eq(k->by_debug[0x3E], 1);
	ck_assert_int_gt(stlink_emu_counters_json(e, json, sizeof json), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"modelled_ns\": "));
	ck_assert_ptr_nonnull(strstr(json, "\"bulk_transfers\": 4"));
	stlink_emu_free(e);
}
END_TEST

/* RW_MISC (J32+): APNUM, READ at an address, ADDRESS + WRITE; values then
 * statuses come back through RW_MISC_IN (OpenOCD's layout). */
START_TEST(t_rw_misc)
{
	struct stlink_emu *e = mkemu("fw=J32", "");
	uint8_t c[16] = { 0xF2, 0x51, 4, 0, 0, 0 }, d[4 + 16], r[32];

	enter(e);
	memset(d, 0, sizeof d);
	d[0] = 5; /* APNUM 0 */
	d[1] = 3; /* READ INFO.PART */
	d[2] = 1; /* ADDRESS 0x20000000 */
	d[3] = 2; /* WRITE 0xCAFEF00D */
	d[4 + 4] = 0x00; d[4 + 5] = 0x01; d[4 + 6] = 0x00; d[4 + 7] = 0x10;
	d[4 + 8] = 0x00; d[4 + 9] = 0x00; d[4 + 10] = 0x00; d[4 + 11] = 0x20;
	d[4 + 12] = 0x0D; d[4 + 13] = 0xF0; d[4 + 14] = 0xFE; d[4 + 15] = 0xCA;
	ck_assert_int_eq(cmdx(e, c, 16, d, sizeof d, NULL, 0), 0);
	ck_assert_int_eq(CMD(e, r, 32, 0xF2, 0x52), 32);
	ck_assert_uint_eq(le32(r + 4), 0x52840);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(le32(r + 16 + 4 * i), 0x80);
	ck_assert_uint_eq(rd32(e, 0x20000000, r, 4, NULL), 0x80);
	ck_assert_uint_eq(le32(r), 0xCAFEF00Du);
	stlink_emu_free(e);
	/* not before J32 */
	e = mkemu("fw=J29", "");
	enter(e);
	ck_assert_int_eq(cmdx(e, c, 16, NULL, 0, r, 2), 2);
	ck_assert_uint_eq(r[0], STLINK_EMU_ST_UNKNOWN_CMD);
	stlink_emu_free(e);
}
END_TEST

/* ---- through the real libusb (the child, with the shim preloaded) ---- */

static struct stlink_emu *(*shim_emu)(void);
static void (*shim_unplug)(void);
static void (*shim_replug)(void);

static libusb_context *ctx;

static void usb_setup(void)
{
	*(void **)&shim_emu = dlsym(RTLD_DEFAULT, "stlink_shim_emu");
	*(void **)&shim_unplug = dlsym(RTLD_DEFAULT, "stlink_shim_unplug");
	*(void **)&shim_replug = dlsym(RTLD_DEFAULT, "stlink_shim_replug");
	ck_assert_ptr_nonnull(shim_emu);
	ck_assert_int_eq(libusb_init(&ctx), 0);
}

static void usb_teardown(void)
{
	libusb_exit(ctx);
	ctx = NULL;
}

static libusb_device_handle *usb_open(void)
{
	libusb_device_handle *h = libusb_open_device_with_vid_pid(ctx, 0x0483, 0x3748);

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(libusb_claim_interface(h, 0), 0);
	return h;
}

static int xfer(libusb_device_handle *h, const uint8_t *c, size_t clen, uint8_t *r, int rlen)
{
	uint8_t buf[16] = { 0 };
	int n = 0, rc;

	memcpy(buf, c, clen);
	rc = libusb_bulk_transfer(h, 0x02, buf, 16, &n, 1000);
	if (rc)
		return rc;
	if (!rlen)
		return 0;
	rc = libusb_bulk_transfer(h, 0x81, r, rlen, &n, 1000);
	return rc ? rc : n;
}

#define UCMD(h, r, rlen, ...)                                                   \
	({                                                                      \
		const uint8_t _c[] = { __VA_ARGS__ };                           \
		xfer(h, _c, sizeof _c, r, rlen);                                \
	})

static int count_stlinks(void)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(ctx, &list);
	int found = 0;

	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor d;

		if (!libusb_get_device_descriptor(list[i], &d) && d.idVendor == 0x0483 &&
		    d.idProduct == 0x3748)
			found++;
	}
	libusb_free_device_list(list, 1);
	return found;
}

START_TEST(u_enumerate_and_descriptors)
{
	libusb_device **list;
	ssize_t n;
	struct libusb_device_descriptor d;
	struct libusb_config_descriptor *cd;
	libusb_device_handle *h;
	unsigned char serial[64];
	int cfg = -1;

	usb_setup();
	n = libusb_get_device_list(ctx, &list);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(libusb_get_device_descriptor(list[0], &d), 0);
	ck_assert_uint_eq(d.idVendor, 0x0483);
	ck_assert_uint_eq(d.idProduct, 0x3748);
	ck_assert_uint_eq(d.iSerialNumber, 3);
	ck_assert_int_eq(libusb_get_bus_number(list[0]), 1);
	ck_assert_int_eq(libusb_get_device_address(list[0]), 2);
	ck_assert_int_eq(libusb_get_device_speed(list[0]), LIBUSB_SPEED_FULL);
	ck_assert_int_eq(libusb_get_active_config_descriptor(list[0], &cd), 0);
	ck_assert_uint_eq(cd->bNumInterfaces, 1);
	ck_assert_uint_eq(cd->interface[0].altsetting[0].bNumEndpoints, 3);
	ck_assert_uint_eq(cd->interface[0].altsetting[0].endpoint[0].bEndpointAddress, 0x81);
	ck_assert_uint_eq(cd->interface[0].altsetting[0].endpoint[0].wMaxPacketSize, 64);
	ck_assert_uint_eq(cd->interface[0].altsetting[0].endpoint[1].bEndpointAddress, 0x02);
	libusb_free_config_descriptor(cd);
	ck_assert_int_eq(libusb_get_max_packet_size(list[0], 0x81), 64);
	ck_assert_int_eq(libusb_open(list[0], &h), 0);
	libusb_free_device_list(list, 1);
	/* what stlink-tools does first: kernel driver? configuration? */
	ck_assert_int_eq(libusb_kernel_driver_active(h, 0), 0);
	ck_assert_int_eq(libusb_get_configuration(h, &cfg), 0);
	ck_assert_int_eq(cfg, 1);
	ck_assert_int_eq(libusb_get_string_descriptor_ascii(h, 3, serial, sizeof serial), 24);
	ck_assert_str_eq((char *)serial, "066DFF485550755187121030");
	ck_assert_int_eq(libusb_get_string_descriptor_ascii(h, 1, serial, sizeof serial), 18);
	ck_assert_str_eq((char *)serial, "STMicroelectronics");
	ck_assert_int_eq(libusb_claim_interface(h, 0), 0);
	ck_assert_int_eq(libusb_release_interface(h, 0), 0);
	libusb_close(h);
	/* open, close, open again (stlink-tools opens 3 times) */
	h = usb_open();
	libusb_close(h);
	h = usb_open();
	libusb_close(h);
	usb_teardown();
}
END_TEST

START_TEST(u_sync_commands_and_memory)
{
	libusb_device_handle *h;
	uint8_t r[6144], ref[6144];
	uint8_t c[16] = { 0xF2, 0x07, 0x00, 0x00, 0x00, 0x20, 0x00, 0x18 };
	int n;

	usb_setup();
	h = usb_open();
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), 6);
	ck_assert_uint_eq(r[0], 0x29);
	ck_assert_uint_eq(r[1], 0x47);
	ck_assert_int_eq(UCMD(h, r, 2, 0xF5), 2);
	ck_assert_int_eq(UCMD(h, r, 0, 0xF3, 0x07), 0);
	ck_assert_int_eq(UCMD(h, r, 2, 0xF2, 0x30, 0xA3), 2);
	ck_assert_uint_eq(r[0], 0x80);
	ck_assert_int_eq(UCMD(h, r, 12, 0xF2, 0x31), 12);
	ck_assert_uint_eq(le32(r + 4), 0x2BA01477u);
	/* a 6 KiB read in one IN transfer, as the dongle sends it */
	ck_assert_int_eq(xfer(h, c, 16, r, 6144), 6144);
	ck_assert_int_eq(sim_peek(stlink_emu_chip(shim_emu()), 0x20000000, ref, 6144), 0);
	ck_assert_int_eq(memcmp(r, ref, 6144), 0);
	/* a short reply ends the transfer: ask 64, get 12 */
	ck_assert_int_eq(UCMD(h, r, 64, 0xF2, 0x3E), 12);
	ck_assert_uint_eq(r[0], 0x80);
	/* nothing to read: the device NAKs until libusb's timeout */
	ck_assert_int_eq(libusb_bulk_transfer(h, 0x81, r, 64, &n, 100), LIBUSB_ERROR_TIMEOUT);
	/* the dongle still works afterwards */
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), 6);
	ck_assert_uint_eq(stlink_emu_counters(shim_emu())->commands, 8);
	libusb_close(h);
	usb_teardown();
}
END_TEST

static void LIBUSB_CALL on_done(struct libusb_transfer *t)
{
	*(int *)t->user_data = 1;
}

/* OpenOCD's way: the IN transfer is submitted before the command. */
START_TEST(u_async_in_first)
{
	libusb_device_handle *h;
	struct libusb_transfer *in = libusb_alloc_transfer(0), *out = libusb_alloc_transfer(0);
	uint8_t cmd[16] = { 0xF1 }, r[64];
	int din = 0, dout = 0;
	struct timeval tv = { 0, 100000 };
	time_t end = time(NULL) + 10;

	usb_setup();
	h = usb_open();
	libusb_fill_bulk_transfer(in, h, 0x81, r, 6, on_done, &din, 1000);
	libusb_fill_bulk_transfer(out, h, 0x02, cmd, 16, on_done, &dout, 1000);
	ck_assert_int_eq(libusb_submit_transfer(in), 0);
	ck_assert_int_eq(libusb_handle_events_timeout(ctx, &(struct timeval){ 0, 10000 }), 0);
	ck_assert_int_eq(din, 0); /* no reply before the command */
	ck_assert_int_eq(libusb_submit_transfer(out), 0);
	while ((!din || !dout) && time(NULL) < end)
		libusb_handle_events_timeout(ctx, &tv);
	ck_assert_int_eq(din, 1);
	ck_assert_int_eq(dout, 1);
	ck_assert_int_eq(in->status, LIBUSB_TRANSFER_COMPLETED);
	ck_assert_int_eq(in->actual_length, 6);
	ck_assert_uint_eq(r[4] | r[5] << 8, 0x3748);
	libusb_free_transfer(in);
	libusb_free_transfer(out);
	libusb_close(h);
	usb_teardown();
}
END_TEST

START_TEST(u_stall_and_clear_halt)
{
	libusb_device_handle *h;
	uint8_t r[64];

	usb_setup();
	h = usb_open();
	stlink_emu_stall(shim_emu(), 0x81, 1);
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), LIBUSB_ERROR_PIPE);
	ck_assert_int_eq(libusb_clear_halt(h, 0x81), 0);
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), 6);
	libusb_close(h);
	usb_teardown();
}
END_TEST

static int hp_arrived, hp_left;

static int LIBUSB_CALL on_hotplug(libusb_context *c, libusb_device *dev, libusb_hotplug_event ev,
				  void *user)
{
	(void)c;
	(void)dev;
	(void)user;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
		hp_arrived++;
	else
		hp_left++;
	return 0;
}

static int wait_for(int *flag, int want)
{
	struct timeval tv = { 0, 50000 };
	time_t end = time(NULL) + 10;

	while (*flag < want && time(NULL) < end)
		libusb_handle_events_timeout(ctx, &tv);
	return *flag >= want;
}

START_TEST(u_unplug_replug_hotplug)
{
	libusb_device_handle *h;
	libusb_hotplug_callback_handle cb;
	struct libusb_transfer *in = libusb_alloc_transfer(0);
	uint8_t r[64];
	int din = 0;

	usb_setup();
	ck_assert_int_ne(libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG), 0);
	ck_assert_int_eq(libusb_hotplug_register_callback(ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
							   LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0,
							   0x0483, 0x3748, LIBUSB_HOTPLUG_MATCH_ANY,
							   on_hotplug, NULL, &cb), 0);
	h = usb_open();
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), 6);
	/* an IN waits when the dongle goes */
	libusb_fill_bulk_transfer(in, h, 0x81, r, 6, on_done, &din, 5000);
	ck_assert_int_eq(libusb_submit_transfer(in), 0);
	shim_unplug();
	ck_assert(wait_for(&din, 1));
	ck_assert_int_eq(in->status, LIBUSB_TRANSFER_NO_DEVICE);
	ck_assert(wait_for(&hp_left, 1));
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), LIBUSB_ERROR_NO_DEVICE);
	ck_assert_int_eq(count_stlinks(), 0);
	libusb_close(h);
	ck_assert_ptr_null(libusb_open_device_with_vid_pid(ctx, 0x0483, 0x3748));
	/* back: a new address, found by hotplug, works again */
	shim_replug();
	ck_assert(wait_for(&hp_arrived, 1));
	ck_assert_int_eq(count_stlinks(), 1);
	h = usb_open();
	ck_assert_int_eq(libusb_get_device_address(libusb_get_device(h)), 3);
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), 6);
	ck_assert_int_eq(UCMD(h, r, 2, 0xF5), 2);
	ck_assert_uint_eq(r[0], 0); /* freshly powered: DFU */
	libusb_close(h);
	libusb_free_transfer(in);
	libusb_hotplug_deregister_callback(ctx, cb);
	usb_teardown();
}
END_TEST

START_TEST(u_unplug_after_n_commands)
{
	libusb_device_handle *h;
	uint8_t r[64];

	setenv("STLINK_EMU", "unplug_after=2", 1);
	usb_setup();
	h = usb_open();
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), 6);
	ck_assert_int_eq(UCMD(h, r, 2, 0xF5), 2);
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), LIBUSB_ERROR_NO_DEVICE);
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), LIBUSB_ERROR_NO_DEVICE);
	libusb_close(h);
	usb_teardown();
}
END_TEST

START_TEST(u_old_serial_form)
{
	libusb_device_handle *h;
	unsigned char buf[64];

	setenv("STLINK_EMU", "serial=0123456789ABCDEF01234567,serial_form=raw", 1);
	usb_setup();
	h = usb_open();
	/* 26 bytes: 12 raw UID bytes as UTF-16 code units */
	ck_assert_int_eq(libusb_get_string_descriptor(h, 3, 0x0409, buf, sizeof buf), 26);
	ck_assert_uint_eq(buf[2], 0x01);
	ck_assert_uint_eq(buf[24], 0x67);
	libusb_close(h);
	usb_teardown();
}
END_TEST

/* STLINK_EMU_REPLUG_MS: gone after N commands, back by itself later. */
START_TEST(u_replug_by_itself)
{
	libusb_device_handle *h;
	libusb_hotplug_callback_handle cb;
	uint8_t r[64];

	setenv("STLINK_EMU", "unplug_after=1", 1);
	setenv("STLINK_EMU_REPLUG_MS", "200", 1);
	usb_setup();
	hp_arrived = hp_left = 0;
	ck_assert_int_eq(libusb_hotplug_register_callback(ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
							   LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0,
							   0x0483, 0x3748, LIBUSB_HOTPLUG_MATCH_ANY,
							   on_hotplug, NULL, &cb), 0);
	h = usb_open();
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), 6);
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), LIBUSB_ERROR_NO_DEVICE);
	ck_assert(wait_for(&hp_left, 1));
	libusb_close(h);
	ck_assert(wait_for(&hp_arrived, 1));
	h = usb_open();
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), 6);
	ck_assert_int_eq(UCMD(h, r, 6, 0xF1), 6); /* unplug_after is not re-armed */
	libusb_close(h);
	libusb_hotplug_deregister_callback(ctx, cb);
	usb_teardown();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("stlink_emu");
	TCase *tc = tcase_create("commands");

	tcase_add_test(tc, t_version_mode_voltage_idcodes);
	tcase_add_test(tc, t_memory);
	tcase_add_test(tc, t_models);
	tcase_add_test(tc, t_swd_freq_v2);
	tcase_add_test(tc, t_firmware_thresholds);
	tcase_add_test(tc, t_narrow_access);
	tcase_add_test(tc, t_rw_misc);
	tcase_add_test(tc, t_wait_retry_then_report);
	tcase_add_test(tc, t_wait_fault_address);
	tcase_add_test(tc, t_fault_sticky_left_for_host);
	tcase_add_test(tc, t_write_fault_address);
	tcase_add_test(tc, t_locked_chip);
	tcase_add_test(tc, t_nrst_wired_or_not);
	tcase_add_test(tc, t_clone_zero_volts_and_no_target);
	tcase_add_test(tc, t_descriptors_and_serials);
	tcase_add_test(tc, t_bad_specs);
	tcase_add_test(tc, t_faults_unplug_stall);
	tcase_add_test(tc, t_counters_and_time_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	const char *so = getenv("STLINK_EMU_SO");
	char abs[4096];
	Suite *s;
	TCase *tc;
	int failed;

	(void)argc;
	if (!getenv("STLINK_EMU_CHILD")) {
		failed = ck_run(suite());
		if (!so)
			so = "build/stlink_emu.so";
		if (!realpath(so, abs)) {
			fprintf(stderr, "%s missing (make tests-extra)\n", so);
			return 1;
		}
		fflush(stdout);
		setenv("LD_PRELOAD", abs, 1);
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1", 1);
		unsetenv("STLINK_EMU");
		unsetenv("STLINK_EMU_SIM");
		setenv("STLINK_EMU_CHILD", failed ? "1" : "0", 1);
		execv("/proc/self/exe", argv);
		perror("execv");
		return 1;
	}
	failed = !strcmp(getenv("STLINK_EMU_CHILD"), "1");
	s = suite_create("stlink_emu (through libusb)");
	tc = tcase_create("libusb");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, u_enumerate_and_descriptors);
	tcase_add_test(tc, u_sync_commands_and_memory);
	tcase_add_test(tc, u_async_in_first);
	tcase_add_test(tc, u_stall_and_clear_halt);
	tcase_add_test(tc, u_unplug_replug_hotplug);
	tcase_add_test(tc, u_unplug_after_n_commands);
	tcase_add_test(tc, u_old_serial_form);
	tcase_add_test(tc, u_replug_by_itself);
	suite_add_tcase(s, tc);
	return ck_run(s) != EXIT_SUCCESS || failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
