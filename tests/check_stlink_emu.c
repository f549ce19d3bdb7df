// SPDX-License-Identifier: GPL-2.0-or-later
/* check_stlink_emu: the emulated ST-Link (tests/stlink_emu/) through its
 * C API: identity and descriptors, the commands and replies each firmware
 * gives (and the ones it refuses), its SWD engine against the simulated
 * chip (memory, WAIT retried then reported, FAULT with its address and
 * the sticky flag left for the host), the locked chip's 0x05, RST wired
 * or not, the serial forms, faults (unplug, stalled endpoint) and the
 * counters and time model. */
#include <check.h>
#include <errno.h>
#include <string.h>

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

static Suite *suite(void)
{
	Suite *s = suite_create("stlink_emu");
	TCase *tc = tcase_create("commands");

	tcase_add_test(tc, t_version_mode_voltage_idcodes);
	tcase_add_test(tc, t_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
