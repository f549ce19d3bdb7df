// SPDX-License-Identifier: GPL-2.0-or-later
/* check_stlink: the ST-Link driver's protocol layer (swd/stlink.c) and the
 * engine on top of it, against the emulated ST-Link's C API
 * (tests/stlink_emu/) through a transport that calls it directly: version
 * decoding per model, the SWD clock actually set, voltage, capabilities
 * per firmware, memory blocks, WAIT-stopped flash writes, the firmware
 * realities (no DAP commands, BAD_AP on the CTRL-AP, a locked chip's 0x05,
 * a clone's RST, 0 V) and an unplug. The USB layer itself (libusb) is
 * tested through the shim in tests/t_stlink_swdflash.sh. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ck_run.h"
#include "nrf52/nrf52.h"
#include "sim/sim.h"
#include "swd/stlink.h"
#include "tests/stlink_emu/stlink_emu.h"

/* ---- a transport straight into the emulator ---- */

static int emu_run(void *ctx, struct stlink_io *io, size_t n, unsigned timeout_ms,
		   struct sf_err *err)
{
	struct stlink_emu *e = ctx;

	(void)timeout_ms;
	for (size_t i = 0; i < n; i++) {
		int r = io[i].out ? stlink_emu_bulk_out(e, stlink_emu_ep_out(e), io[i].out, io[i].len)
				  : stlink_emu_bulk_in(e, stlink_emu_ep_in(e), io[i].in, io[i].len);
		if (r == -ENODEV)
			return sf_err_set(err, SF_E_DISCONNECTED, "unplugged");
		if (r == -EAGAIN)
			return sf_err_set(err, SF_E_TIMEOUT, "no reply");
		if (r < 0)
			return sf_err_set(err, SF_E_IO, "emulator: %s", strerror(-r));
		io[i].got = (size_t)r;
	}
	return 0;
}

static const struct stlink_xport_ops emu_ops = { .run = emu_run, .free = NULL };

struct rig {
	struct stlink_emu *emu;
	struct dap dap;
	struct stlink_info info;
	struct nrf52 *eng;
	char log[2048];
};

static void rig_log(void *user, const char *line)
{
	struct rig *r = user;
	size_t l = strlen(r->log);

	snprintf(r->log + l, sizeof(r->log) - l, "%s\n", line);
}

static struct swd_clock mono = { &stlink_clock_ops, NULL };

static int rig_open(struct rig *r, const char *emuspec, const char *simspec, unsigned khz,
		    struct sf_err *err)
{
	char e[256];
	struct stlink_xport xp;

	memset(r, 0, sizeof(*r));
	r->emu = stlink_emu_new_spec(emuspec, simspec, e, sizeof(e));
	ck_assert_msg(r->emu != NULL, "%s", e);
	xp.ops = &emu_ops;
	xp.ctx = r->emu;
	int rc = stlink_open(&xp, NULL, "TESTSERIAL", 0, khz, &r->dap, &r->info, err);
	if (!rc) {
		r->eng = nrf52_new(&r->dap, &mono, rig_log, r);
		ck_assert_ptr_nonnull(r->eng);
	}
	return rc;
}

static void rig_close(struct rig *r)
{
	nrf52_free(r->eng);
	if (r->dap.ops)
		r->dap.ops->free(r->dap.ctx);
	stlink_emu_free(r->emu);
}

#define SIM "part=nrf52840,wallclock=1"

/* ---- identity, clock, voltage, capabilities ---- */

START_TEST(t_v2_identity)
{
	struct rig r;
	struct sf_err err = { 0 };
	struct dap_stats st;

	ck_assert_msg(!rig_open(&r, "model=v2,fw=J37", SIM, 1000, &err), "%s", err.msg);
	ck_assert_str_eq(r.info.firmware, "V2J37S7");
	ck_assert_uint_eq(r.info.pid, 0x3748);
	/* 1000 kHz is not in the divider table: 950, and said so */
	ck_assert_uint_eq(r.info.khz, 950);
	ck_assert_uint_eq(stlink_emu_swd_khz(r.emu), 950);
	ck_assert_ptr_nonnull(strstr(r.info.warning, "950 kHz"));
	ck_assert_int_gt(r.info.voltage_mv, 3200);
	ck_assert_int_lt(r.info.voltage_mv, 3400);
	ck_assert(r.dap.caps & DAP_CAP_ANY_AP);
	ck_assert(r.dap.caps & DAP_CAP_MEM16);
	r.dap.ops->get_stats(r.dap.ctx, &st);
	/* USB counters only: the dongle does the wire */
	ck_assert_uint_eq(st.valid, DAP_STAT_COMMANDS | DAP_STAT_RETRIES);
	ck_assert_uint_eq(st.commands, stlink_emu_counters(r.emu)->commands);
	rig_close(&r);
}
END_TEST

START_TEST(t_v3_identity)
{
	struct rig r;
	struct sf_err err = { 0 };

	ck_assert_msg(!rig_open(&r, "model=v3", SIM, 0, &err), "%s", err.msg);
	ck_assert_uint_eq(r.info.hw, 3);
	ck_assert_ptr_nonnull(strstr(r.info.firmware, "V3J"));
	/* the V3 frequency list: what was set is what the dongle runs */
	ck_assert_uint_eq(r.info.khz, stlink_emu_swd_khz(r.emu));
	ck_assert_uint_le(r.info.khz, 4000);
	rig_close(&r);
}
END_TEST

/* Whatever mode the dongle is in at power-up (DFU, mass storage, SWIM, a
 * debug session someone left open), it ends up in SWD debug mode. */
START_TEST(t_modes)
{
	static const char *const modes[] = { "dfu", "mass", "swim", "debug" };
	/* what leaves each mode (OpenOCD stlink_usb_exit_mode): DFU_EXIT,
	 * nothing, SWIM_EXIT, DEBUG EXIT */
	static const int leave_op[] = { 0xF3, 0, 0xF4, 0xF2 };

	for (size_t i = 0; i < 4; i++) {
		struct rig r;
		struct sf_err err = { 0 };
		char spec[64];

		snprintf(spec, sizeof(spec), "model=v2,fw=J37,mode=%s", modes[i]);
		ck_assert_msg(!rig_open(&r, spec, SIM, 0, &err), "%s: %s", modes[i], err.msg);
		ck_assert_int_eq(stlink_emu_mode(r.emu), 2);
		const struct stlink_emu_counters *c = stlink_emu_counters(r.emu);
		if (leave_op[i] == 0xF2)
			ck_assert_uint_eq(c->by_debug[0x21], 1);
		else if (leave_op[i])
			ck_assert_uint_eq(c->by_op[leave_op[i]], 1);
		else
			ck_assert_uint_eq(c->by_op[0xF3] + c->by_op[0xF4] + c->by_debug[0x21], 0);
		ck_assert_msg(!r.dap.ops->connect(r.dap.ctx, NULL, &err), "%s: %s", modes[i], err.msg);
		rig_close(&r);
	}
}
END_TEST

START_TEST(t_v21_identity)
{
	struct rig r;
	struct sf_err err = { 0 };

	ck_assert_msg(!rig_open(&r, "model=v2-1,fw=J37", SIM, 0, &err), "%s", err.msg);
	ck_assert_uint_eq(r.info.pid, 0x374B);
	ck_assert_uint_eq(r.info.jtag, 37);
	ck_assert_msg(!strncmp(r.info.firmware, "V2J37M", 6), "%s", r.info.firmware);
	ck_assert_str_eq(r.info.model, "ST-Link/V2-1");
	rig_close(&r);
}
END_TEST

START_TEST(t_clone_zero_volt)
{
	struct rig r;
	struct sf_err err = { 0 };

	ck_assert_msg(!rig_open(&r, "model=v2,vtarget_mv=0", SIM, 0, &err), "%s", err.msg);
	ck_assert_int_eq(r.info.voltage_mv, 0);
	ck_assert_ptr_nonnull(strstr(r.info.warning, "0 mV"));
	ck_assert_ptr_nonnull(strstr(r.info.warning, "VAPP"));
	rig_close(&r);
}
END_TEST

/* ---- memory ---- */

START_TEST(t_memory_blocks)
{
	struct rig r;
	struct sf_err err = { 0 };
	static uint8_t w[5000], b[5000];

	ck_assert_msg(!rig_open(&r, "model=v2,fw=J37", SIM, 0, &err), "%s", err.msg);
	ck_assert_msg(!r.dap.ops->connect(r.dap.ctx, NULL, &err), "%s", err.msg);
	for (size_t i = 0; i < sizeof(w); i++)
		w[i] = (uint8_t)(i * 7 + 3);
	/* unaligned to 1 KiB, crossing several TAR blocks */
	ck_assert_msg(!r.dap.ops->mem_write(r.dap.ctx, 0x20000104, w, 4996, 4, &err), "%s", err.msg);
	ck_assert_msg(!r.dap.ops->mem_read(r.dap.ctx, 0x20000104, b, 4996, 4, &err), "%s", err.msg);
	ck_assert_mem_eq(w, b, 4996);
	ck_assert_int_eq(sim_peek(stlink_emu_chip(r.emu), 0x20000104, b, 4996), 0);
	ck_assert_mem_eq(w, b, 4996);
	/* 8 and 16 bit, including a single byte (answered with 2) */
	ck_assert_msg(!r.dap.ops->mem_write(r.dap.ctx, 0x20001001, "\xAB", 1, 1, &err), "%s", err.msg);
	ck_assert_msg(!r.dap.ops->mem_write(r.dap.ctx, 0x20001002, "\xCD\xEF", 2, 2, &err), "%s",
		      err.msg);
	memset(b, 0, 4);
	ck_assert_msg(!r.dap.ops->mem_read(r.dap.ctx, 0x20001001, b, 1, 1, &err), "%s", err.msg);
	ck_assert_uint_eq(b[0], 0xAB);
	ck_assert_msg(!r.dap.ops->mem_read(r.dap.ctx, 0x20001000, b, 100, 1, &err), "%s", err.msg);
	ck_assert_uint_eq(b[1], 0xAB);
	ck_assert_uint_eq(b[2], 0xCD);
	ck_assert_uint_eq(b[3], 0xEF);
	/* a bus fault names the address */
	ck_assert_int_eq(r.dap.ops->mem_read(r.dap.ctx, 0xF0000000, b, 8, 4, &err), SF_E_FAULT);
	ck_assert_ptr_nonnull(strstr(err.msg, "0xF0000000"));
	/* and the next access works (sticky flags cleared) */
	ck_assert_msg(!r.dap.ops->mem_read(r.dap.ctx, 0x20000104, b, 8, 4, &err), "%s", err.msg);
	ck_assert_mem_eq(w, b, 8);
	ck_assert_int_eq(r.dap.ops->mem_read(r.dap.ctx, 0x20000002, b, 4, 4, &err), SF_E_ARG);
	rig_close(&r);
}
END_TEST

/* ---- the engine through the ST-Link ---- */

/* Flash len random bytes through the emulated dongle onto SIM (sim spec)
 * and read them back; *stops: WAITs the dongle reported, *ram: words the
 * on-target writer programmed. wire: on-target code off (the engine writes
 * flash through the MEM-AP, WAIT-paced). */
static void flash_and_check_on(const char *emuspec, const char *sim, unsigned khz, size_t len,
			       int wire, uint64_t *stops, uint64_t *ram, int *core)
{
	struct rig r;
	struct sf_err err = { 0 };
	struct nrf52_info info;
	struct nrf52_flash_opts o = { .erase = NRF52_ERASE_AUTO, .verify = 1,
				      .no_target_code = wire };
	struct nrf52_stats st;
	struct img img;
	uint8_t *data = malloc(len), *back = malloc(len);

	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(rand() >> 7);
	ck_assert_int_eq(img_parse(data, len, IMG_BIN, 0x1000, &img, &err), 0);
	ck_assert_msg(!rig_open(&r, emuspec, sim, khz, &err), "%s", err.msg);
	ck_assert_msg(!nrf52_identify(r.eng, &info, &err), "%s", err.msg);
	ck_assert_str_eq(info.name, strstr(sim, "52832") ? "nRF52832" : "nRF52840");
	ck_assert_msg(!nrf52_flash(r.eng, &img, &o, &st, &err), "%s\n%s", err.msg, r.log);
	ck_assert_int_eq(sim_peek(stlink_emu_chip(r.emu), 0x1000, back, len), 0);
	ck_assert_mem_eq(data, back, len);
	/* every word programmed once: no word is written twice after a WAIT */
	ck_assert_uint_eq(sim_counters(stlink_emu_chip(r.emu))->nvmc_writes, len / 4);
	if (stops)
		*stops = stlink_emu_counters(r.emu)->swd_waits_reported;
	if (ram)
		*ram = st.words_ram_writer;
	if (core)
		*core = sim_core_can_execute(stlink_emu_chip(r.emu));
	img_free(&img);
	free(data);
	free(back);
	rig_close(&r);
}

static void flash_and_check(const char *emuspec, unsigned khz, size_t len, uint64_t *stops)
{
	flash_and_check_on(emuspec, SIM, khz, len, 0, stops, NULL, NULL);
}

START_TEST(t_flash_top_clock)
{
	uint64_t stops = 0, ram = 1;

	/* 4 MHz, writes through the MEM-AP: the dongle's 4 WAIT retries do
	 * not cover a flash word, and no word is written twice */
	flash_and_check_on("model=v2,fw=J37,ap_check=none", SIM, 4000, 8192, 1, &stops, &ram,
			   NULL);
	ck_assert_uint_gt(stops, 0);
	ck_assert_uint_eq(ram, 0);
}
END_TEST

/* With the core running code, flash is programmed by one on-target writer
 * run across the pages: each word crosses USB once into RAM, the dongle
 * never sees a flash WAIT, on the 52840 and on the 52832 (whose every
 * flash write stalls the bus) */
START_TEST(t_flash_writer)
{
	static const char *const sims[] = { SIM, "part=nrf52832,wallclock=1" };

	for (int k = 0; k < 2; k++) {
		uint64_t stops = 1, ram = 0;
		int core = 0;

		flash_and_check_on("model=v2,fw=J37,ap_check=none", sims[k], 4000, 3 * 4096 + 256,
				   0, &stops, &ram, &core);
		if (!core)
			continue;  /* no libunicorn: the wire path, checked above */
		ck_assert_uint_eq(ram, (3 * 4096 + 256) / 4);
		ck_assert_uint_eq(stops, 0);
	}
}
END_TEST

START_TEST(t_flash_v3)
{
	flash_and_check("model=v3", 0, 4096, NULL);
}
END_TEST

START_TEST(t_flash_old_firmware)
{
	/* V2J22: memory commands only (no DAP registers, no fault address) */
	flash_and_check("model=v2,fw=J22", 0, 2048, NULL);
}
END_TEST

/* ---- firmware reality ---- */

START_TEST(t_old_firmware_no_recover)
{
	struct rig r;
	struct sf_err err = { 0 };
	struct nrf52_info info;

	ck_assert_msg(!rig_open(&r, "model=v2,fw=J22", SIM, 0, &err), "%s", err.msg);
	ck_assert(!(r.dap.caps & DAP_CAP_ANY_AP));
	ck_assert(!(r.dap.caps & DAP_CAP_MEM16));
	ck_assert_msg(!nrf52_identify(r.eng, &info, &err), "%s", err.msg);
	ck_assert_int_eq(nrf52_recover(r.eng, &err), SF_E_UNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "V2J22") && strstr(err.msg, "V2J28"), "%s", err.msg);
	ck_assert_int_eq(r.dap.ops->ap_read(r.dap.ctx, 1, 0xFC, &info.dpidr, &err),
			 SF_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "V2J24"));
	rig_close(&r);
}
END_TEST

START_TEST(t_bad_ap)
{
	struct rig r;
	struct sf_err err = { 0 };
	struct nrf52_info info;

	/* V2J37 refuses Nordic's CTRL-AP (pyOCD#918) */
	ck_assert_msg(!rig_open(&r, "model=v2,fw=J37,ap_check=st", SIM, 0, &err), "%s", err.msg);
	ck_assert_msg(!nrf52_identify(r.eng, &info, &err), "%s\n%s", err.msg, r.log);
	ck_assert_str_eq(info.name, "nRF52840");
	ck_assert_msg(strstr(r.log, "BAD_AP"), "%s", r.log);
	ck_assert(!(r.dap.caps & DAP_CAP_ANY_AP));
	ck_assert_int_eq(nrf52_recover(r.eng, &err), SF_E_UNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "BAD_AP") && strstr(err.msg, "V2J34"), "%s", err.msg);
	rig_close(&r);
}
END_TEST

START_TEST(t_locked_recover)
{
	struct rig r;
	struct sf_err err = { 0 };
	struct nrf52_info info;
	uint32_t v;

	ck_assert_msg(!rig_open(&r, "model=v2,fw=J34,ap_check=none", "part=nrf52840,locked=1,"
				"wallclock=1", 0, &err), "%s", err.msg);
	ck_assert_msg(!nrf52_identify(r.eng, &info, &err), "%s", err.msg);
	ck_assert(info.locked);
	/* the MEM-AP answers 0x05 through the dongle: named as APPROTECT */
	ck_assert_int_eq(dap_read32(&r.dap, 0x10000010, &v, &err), SF_E_FAULT);
	ck_assert_msg(strstr(err.msg, "APPROTECT"), "%s", err.msg);
	/* recover through the CTRL-AP, which OpenOCD's HLA driver cannot reach */
	ck_assert_msg(!nrf52_recover(r.eng, &err), "%s\n%s", err.msg, r.log);
	ck_assert(!sim_is_locked(stlink_emu_chip(r.emu)));
	ck_assert_msg(!nrf52_identify(r.eng, &info, &err), "%s", err.msg);
	ck_assert(!info.locked);
	ck_assert_str_eq(info.name, "nRF52840");
	rig_close(&r);
}
END_TEST

START_TEST(t_clone_rst)
{
	struct rig r;
	struct sf_err err = { 0 };
	struct nrf52_info info;
	uint64_t resets;

	ck_assert_msg(!rig_open(&r, "model=v2,fw=J34,ap_check=none,rst=0", SIM, 0, &err), "%s",
		      err.msg);
	ck_assert_msg(!nrf52_identify(r.eng, &info, &err), "%s", err.msg);
	resets = sim_counters(stlink_emu_chip(r.emu))->resets;
	/* the pin reset needs UICR.PSELRESET: the default chip has it erased
	 * (0xFFFFFFFF = not connected), so write it */
	{
		uint32_t psel = 18;
		struct nrf52_flash_opts o = { .erase = NRF52_ERASE_AUTO, .verify = 1 };
		struct nrf52_stats st;
		struct img img;
		uint8_t u[8];

		memcpy(u, &psel, 4);
		memcpy(u + 4, &psel, 4);
		ck_assert_int_eq(img_parse(u, 8, IMG_BIN, 0x10001200, &img, &err), 0);
		ck_assert_msg(!nrf52_flash(r.eng, &img, &o, &st, &err), "%s", err.msg);
		img_free(&img);
	}
	resets = sim_counters(stlink_emu_chip(r.emu))->resets;
	ck_assert_msg(!nrf52_reset(r.eng, NRF52_RESET_PIN, 0, &err), "%s\n%s", err.msg, r.log);
	ck_assert_msg(strstr(r.log, "not wired to nRESET"), "%s", r.log);
	ck_assert_uint_gt(sim_counters(stlink_emu_chip(r.emu))->resets, resets);
	rig_close(&r);
}
END_TEST

START_TEST(t_unplug)
{
	struct rig r;
	struct sf_err err = { 0 };
	struct nrf52_info info;
	static uint8_t b[4096];

	ck_assert_msg(!rig_open(&r, "model=v2,fw=J37,ap_check=none", SIM, 0, &err), "%s", err.msg);
	ck_assert_msg(!nrf52_identify(r.eng, &info, &err), "%s", err.msg);
	stlink_emu_unplug_after(r.emu, 3);
	ck_assert_int_eq(nrf52_read(r.eng, 0, b, sizeof(b), &err), SF_E_DISCONNECTED);
	ck_assert_msg(strstr(err.msg, "unplugged"), "%s", err.msg);
	uint64_t cmds = stlink_emu_counters(r.emu)->commands;
	/* later calls fail at once, without USB traffic */
	ck_assert_int_eq(nrf52_identify(r.eng, &info, &err), SF_E_DISCONNECTED);
	ck_assert_uint_eq(stlink_emu_counters(r.emu)->commands, cmds);
	rig_close(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("stlink");
	TCase *tc = tcase_create("driver");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_v2_identity);
	tcase_add_test(tc, t_v3_identity);
	tcase_add_test(tc, t_modes);
	tcase_add_test(tc, t_v21_identity);
	tcase_add_test(tc, t_clone_zero_volt);
	tcase_add_test(tc, t_memory_blocks);
	tcase_add_test(tc, t_flash_top_clock);
	tcase_add_test(tc, t_flash_writer);
	tcase_add_test(tc, t_flash_v3);
	tcase_add_test(tc, t_flash_old_firmware);
	tcase_add_test(tc, t_old_firmware_no_recover);
	tcase_add_test(tc, t_bad_ap);
	tcase_add_test(tc, t_locked_recover);
	tcase_add_test(tc, t_clone_rst);
	tcase_add_test(tc, t_unplug);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
