// SPDX-License-Identifier: GPL-2.0-or-later
/* The gpiomem pins driver (swd/pins_gpiomem.c), the very code that runs on
 * a Pi, on the register model of tests/gm_model.c wired to the simulated
 * nRF52, at every SoC model (BCM2835, BCM2711, RP1): the SoC from the device
 * tree, a flash and read-back through the nRF52 engine, the function
 * select read-modify-write touching only our pins, pulls per SoC, pacing,
 * and sigrok's SWD decoder reading the model's waveform as the transfers
 * the link issued. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_run.h"
#include "gm_model.h"
#include "nrf52/image.h"
#include "nrf52/nrf52.h"
#include "swd/dap_swd.h"
#include "swd/link.h"

static const enum swd_gpiomem_soc socs[] = { SWD_GPIOMEM_BCM2835, SWD_GPIOMEM_BCM2711,
					     SWD_GPIOMEM_RP1 };

static void rig(struct gm_rig *r, int soc, const char *spec, uint32_t hz, FILE *vcd)
{
	char msg[300];

	ck_assert_msg(gm_rig_open(r, socs[soc], spec, hz, vcd, msg, sizeof(msg)) == 0, "%s", msg);
}

/* ---- SoC detection ---- */

START_TEST(soc_from_device_tree)
{
	static const char pi4[] = "raspberrypi,4-model-b\0brcm,bcm2711";
	static const char pi3[] = "raspberrypi,3-model-b-plus\0brcm,bcm2837";
	static const char pi1[] = "raspberrypi,model-b\0brcm,bcm2835";
	static const char pi5[] = "raspberrypi,5-model-b\0brcm,bcm2712";
	static const char other[] = "pine64,rock64\0rockchip,rk3328";
	enum swd_gpiomem_soc s = SWD_GPIOMEM_BCM2835;
	struct sf_err err = { 0 };

	ck_assert_int_eq(swd_gpiomem_soc_from_compatible(pi4, sizeof(pi4), &s, &err), 0);
	ck_assert_int_eq(s, SWD_GPIOMEM_BCM2711);
	ck_assert_int_eq(swd_gpiomem_soc_from_compatible(pi3, sizeof(pi3), &s, &err), 0);
	ck_assert_int_eq(s, SWD_GPIOMEM_BCM2835);
	s = SWD_GPIOMEM_BCM2711;
	ck_assert_int_eq(swd_gpiomem_soc_from_compatible(pi1, sizeof(pi1), &s, &err), 0);
	ck_assert_int_eq(s, SWD_GPIOMEM_BCM2835);
	ck_assert_int_eq(swd_gpiomem_soc_from_compatible(pi5, sizeof(pi5), &s, &err), 0);
	ck_assert_int_eq(s, SWD_GPIOMEM_RP1);
	ck_assert_int_eq(swd_gpiomem_soc_from_compatible(other, sizeof(other), &s, &err),
			 SF_E_UNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "rockchip,rk3328") && strstr(err.msg, "--probe gpiod"), "%s",
		      err.msg);
	/* a name that only starts like ours is not ours */
	ck_assert_int_eq(swd_gpiomem_soc_from_compatible("brcm,bcm27110", 13, &s, &err),
			 SF_E_UNSUPPORTED);
}
END_TEST

/* ---- the engine through the driver ---- */

START_TEST(flash_and_read_back)
{
	struct gm_rig r;
	struct sf_err err = { 0 };
	struct nrf52_info info;
	struct nrf52_flash_opts fo = { .erase = NRF52_ERASE_AUTO, .verify = 1 };
	struct nrf52_stats st;
	struct img img;
	static uint8_t data[12288], back[sizeof(data)];
	uint64_t rd, wr, cyc;

	srand(1234 + (unsigned)_i);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rand();
	rig(&r, _i, "part=nrf52840,period_ns=1", SWD_GM_DEFAULT_HZ, NULL);
	ck_assert_int_eq(img_parse(data, sizeof(data), IMG_BIN, 0x3000, &img, &err), 0);
	struct nrf52 *n = nrf52_new(&r.dap, &r.clock, NULL, NULL);
	ck_assert_ptr_nonnull(n);
	ck_assert_msg(nrf52_identify(n, &info, &err) == 0, "%s", err.msg);
	ck_assert_msg(nrf52_flash(n, &img, &fo, &st, &err) == 0, "%s", err.msg);
	ck_assert_msg(nrf52_read(n, 0x3000, back, sizeof(back), &err) == 0, "%s", err.msg);
	ck_assert(memcmp(back, data, sizeof(data)) == 0);
	ck_assert_uint_eq(sim_counters(r.chip)->nvmc_writes, sizeof(data) / 4);
	/* The costs the benchmark predicts from: at most 2 writes and 1 read
	 * per SWCLK cycle plus a write per SWDIO change. */
	swd_gpiomem_counts(r.pins, &rd, &wr, &cyc);
	ck_assert_uint_gt(cyc, 100000);
	ck_assert_uint_lt(cyc, 2000000);
	ck_assert_msg((double)(rd + wr) / (double)cyc < 3.5, "%.2f accesses per cycle",
		      (double)(rd + wr) / (double)cyc);
	ck_assert_uint_eq(cyc, sim_counters(r.chip)->cycles);
	ck_assert_msg(strstr(r.ops->describe(r.pins), swd_gpiomem_soc_name(socs[_i])), "%s",
		      r.ops->describe(r.pins));
	nrf52_free(n);
	img_free(&img);
	gm_rig_close(&r);
}
END_TEST

/* ---- function select: only our 3 bits of each shared register ---- */

START_TEST(fsel_touches_only_our_pins)
{
	struct sf_err err = { 0 };
	uint32_t v;
	/* GPFSEL1 (GPIO10-19, nRESET 18 = bits 24-26) and GPFSEL2 (GPIO20-29:
	 * SWDIO 24 = bits 12-14, SWCLK 25 = bits 15-17) with other pins in
	 * alternate functions and outputs, as another program left them. */
	const uint32_t f1 = 04321076543U & 0x3FFFFFFFU, f2 = 07654321234U & 0x3FFFFFFFU;
	const uint32_t ours1 = 7U << 24, ours2 = (7U << 12) | (7U << 15);

	/* Pre-load the registers before the driver opens. */
	char msg[300];
	struct sim_config cfg;
	char buf[128];
	ck_assert_int_eq(sim_config_parse(&cfg, "part=nrf52832,period_ns=1", buf, sizeof(buf), msg,
					  sizeof(msg)), 0);
	struct sim_chip *chip = sim_chip_new(&cfg, msg, sizeof(msg));
	struct gm_model *m = gm_model_new(chip, socs[_i], 25, 24, 18);
	gm_model_poke(m, SWD_GM_GPFSEL0 + 4, f1);
	gm_model_poke(m, SWD_GM_GPFSEL0 + 8, f2);
	struct swd_gpiomem_cfg gc = { .soc = socs[_i], .clk = 25, .dio = 24, .rst = 18 };
	struct swd_pins pins;
	ck_assert_int_eq(swd_pins_gpiomem_new(&gc, &gm_model_regs, m, &pins, &err), 0);
	/* SWCLK and SWDIO outputs, nRESET input; nobody else changed. */
	ck_assert_uint_eq(gm_model_peek(m, 8) & ours2, (1U << 12) | (1U << 15));
	ck_assert_uint_eq(gm_model_peek(m, 8) & ~ours2, f2 & ~ours2);
	ck_assert_uint_eq(gm_model_peek(m, 4) & ours1, 0);
	ck_assert_uint_eq(gm_model_peek(m, 4) & ~ours1, f1 & ~ours1);

	struct swd_link *link = swd_link_new(pins.ops, pins.ctx);
	struct dap dap;
	ck_assert_int_eq(dap_swd_new(link, &dap, &err), 0);
	ck_assert_msg(dap.ops->connect(dap.ctx, &v, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(v, 0x2BA01477);
	/* Another program changes GPIO20 (same register as SWDIO) mid-session:
	 * our next direction change re-reads, so it survives. */
	gm_model_poke(m, 8, (gm_model_peek(m, 8) & ~7U) | 1U);
	ck_assert_int_eq(dap_read32(&dap, 0x10000100, &v, &err), 0);
	ck_assert_uint_eq(gm_model_peek(m, 8) & 7U, 1U);
	ck_assert_uint_eq(gm_model_peek(m, 8) & ~ours2 & ~7U, f2 & ~ours2 & ~7U);
	/* nRESET: output low while asserted, input again when released. */
	ck_assert_int_eq(pins.ops->nreset(pins.ctx, 0), 0);
	ck_assert_uint_eq((gm_model_peek(m, 4) >> 24) & 7U, 1U);
	ck_assert_int_eq(pins.ops->nreset(pins.ctx, 1), 0);
	ck_assert_uint_eq((gm_model_peek(m, 4) >> 24) & 7U, 0U);
	ck_assert_uint_eq(gm_model_peek(m, 4) & ~ours1, f1 & ~ours1);

	dap.ops->free(dap.ctx);
	/* Freed: our pins back to what they were, so is everyone else's. */
	swd_link_free(link); /* frees the driver and the model */
	sim_chip_free(chip);
}
END_TEST

/* The restore on free, seen through a model the driver does not free. */
static void nofree(void *ctx)
{
	(void)ctx;
}

START_TEST(fsel_restored_on_free)
{
	struct sf_err err = { 0 };
	char msg[300], buf[128];
	struct sim_config cfg;
	const uint32_t f2 = 04444444444U & 0x3FFFFFFFU; /* all GPIO20-29 ALT0 */
	struct swd_gpiomem_regs regs = gm_model_regs;

	regs.free = nofree;
	ck_assert_int_eq(sim_config_parse(&cfg, "period_ns=1", buf, sizeof(buf), msg, sizeof(msg)), 0);
	struct sim_chip *chip = sim_chip_new(&cfg, msg, sizeof(msg));
	struct gm_model *m = gm_model_new(chip, socs[_i], 25, 24, 18);
	gm_model_poke(m, 8, f2);
	struct swd_gpiomem_cfg gc = { .soc = socs[_i], .clk = 25, .dio = 24, .rst = SWD_GM_NONE };
	struct swd_pins pins;
	ck_assert_int_eq(swd_pins_gpiomem_new(&gc, &regs, m, &pins, &err), 0);
	ck_assert_ptr_null(pins.ops->nreset); /* no nRESET wired */
	ck_assert_uint_ne(gm_model_peek(m, 8), f2);
	pins.ops->free(pins.ctx);
	ck_assert_uint_eq(gm_model_peek(m, 8), f2);
	gm_model_regs.free(m);
	sim_chip_free(chip);
}
END_TEST

/* RP1: per-pin registers and SET/CLR aliases, so nobody else's pin is
 * ever written; everything put back on free. */
START_TEST(rp1_touches_only_our_pins)
{
	struct sf_err err = { 0 };
	char msg[300], buf[128];
	struct sim_config cfg;
	struct swd_gpiomem_regs regs = gm_model_regs;
	uint32_t v, ctrl23, pads26;

	regs.free = nofree;
	ck_assert_int_eq(sim_config_parse(&cfg, "part=nrf52833,period_ns=1", buf, sizeof(buf), msg,
					  sizeof(msg)), 0);
	struct sim_chip *chip = sim_chip_new(&cfg, msg, sizeof(msg));
	struct gm_model *m = gm_model_new(chip, SWD_GPIOMEM_RP1, 25, 24, 18);
	/* Another program: GPIO23 a SYS_RIO output driven high, GPIO26 UART-ish. */
	gm_model_poke(m, SWD_GM_RP1_CTRL(23), 0x3000U | SWD_GM_RP1_FSEL_SYS_RIO);
	gm_model_poke(m, SWD_GM_RP1_CTRL(26), 2U);
	gm_model_poke(m, SWD_GM_RP1_PADS(26), 0x55U);
	gm_model_poke(m, SWD_GM_RP1_RIO_OE, 1U << 23);
	gm_model_poke(m, SWD_GM_RP1_RIO_OUT, 1U << 23);
	ctrl23 = gm_model_peek(m, SWD_GM_RP1_CTRL(23));
	pads26 = gm_model_peek(m, SWD_GM_RP1_PADS(26));
	struct swd_gpiomem_cfg gc = { .soc = SWD_GPIOMEM_RP1, .clk = 25, .dio = 24, .rst = 18 };
	struct swd_pins pins;
	ck_assert_int_eq(swd_pins_gpiomem_new(&gc, &regs, m, &pins, &err), 0);
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_CTRL(24)) & 0x1FU, SWD_GM_RP1_FSEL_SYS_RIO);
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_RIO_OE), (1U << 23) | (1U << 24) | (1U << 25));

	struct swd_link *link = swd_link_new(pins.ops, pins.ctx);
	struct dap dap;
	ck_assert_int_eq(dap_swd_new(link, &dap, &err), 0);
	ck_assert_msg(dap.ops->connect(dap.ctx, &v, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(dap_read32(&dap, 0x10000100, &v, &err), 0);
	ck_assert_uint_eq(v, 0x52833);
	ck_assert_int_eq(pins.ops->nreset(pins.ctx, 0), 0);
	ck_assert_uint_ne(gm_model_peek(m, SWD_GM_RP1_RIO_OE) & (1U << 18), 0);
	ck_assert_int_eq(pins.ops->nreset(pins.ctx, 1), 0);
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_RIO_OE) & (1U << 18), 0);
	/* GPIO23 and 26 untouched throughout */
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_CTRL(23)), ctrl23);
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_PADS(26)), pads26);
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_RIO_OE) & (1U << 23), 1U << 23);
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_RIO_OUT) & (1U << 23), 1U << 23);
	dap.ops->free(dap.ctx);
	swd_link_free(link);
	/* put back as found */
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_CTRL(24)), 0x1FU);
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_PADS(24)),
			  SWD_GM_RP1_PADS_OD | SWD_GM_RP1_PADS_PDE);
	ck_assert_uint_eq(gm_model_peek(m, SWD_GM_RP1_RIO_OE), 1U << 23);
	gm_model_regs.free(m);
	sim_chip_free(chip);
}
END_TEST

/* ---- pulls per SoC ---- */

START_TEST(pulls_per_soc)
{
	struct gm_rig r;

	rig(&r, _i, "period_ns=1", 0, NULL);
	/* SWDIO and nRESET pulled up (GPIO9-27 reset to pull-down), SWCLK left. */
	ck_assert_int_eq(gm_model_pull(r.m, 24), 1);
	ck_assert_int_eq(gm_model_pull(r.m, 18), 1);
	/* SWCLK: left as it was on the BCM SoCs; on RP1 its pad is set up
	 * (input on, no pull) with the rest. */
	ck_assert_int_eq(gm_model_pull(r.m, 25), socs[_i] == SWD_GPIOMEM_RP1 ? 0 : 2);
	ck_assert_int_eq(gm_model_pull(r.m, 23), 2);
	if (socs[_i] == SWD_GPIOMEM_RP1) {
		uint32_t v = gm_model_peek(r.m, SWD_GM_RP1_PADS(24));
		ck_assert_uint_eq(v & (SWD_GM_RP1_PADS_IE | SWD_GM_RP1_PADS_OD |
				       SWD_GM_RP1_PADS_PUE | SWD_GM_RP1_PADS_PDE),
				  SWD_GM_RP1_PADS_IE | SWD_GM_RP1_PADS_PUE);
	} else if (socs[_i] == SWD_GPIOMEM_BCM2711) {
		/* GPIO_PUP_PDN_CNTRL_REG1 (GPIO16-31): 01 at 24 and 18, others as set */
		uint32_t v = gm_model_peek(r.m, SWD_GM_PUP_PDN0 + 4);
		ck_assert_uint_eq((v >> 16) & 3U, 1U);
		ck_assert_uint_eq((v >> 4) & 3U, 1U);
	} else {
		/* The BCM2835 sequence leaves GPPUD at 0 (off) afterwards. */
		ck_assert_uint_eq(gm_model_peek(r.m, SWD_GM_GPPUD), 0);
	}
	gm_rig_close(&r);
}
END_TEST

/* ---- pacing ---- */

START_TEST(paced_to_max_hz)
{
	struct gm_rig r;
	struct sf_err err = { 0 };
	uint32_t v;
	char want[64];

	rig(&r, _i, "period_ns=1", 1000000, NULL);
	ck_assert_msg(r.dap.ops->connect(r.dap.ctx, &v, &err) == 0, "%s", err.msg);
	for (int k = 0; k < 20; k++)
		ck_assert_int_eq(dap_read32(&r.dap, 0x10000100, &v, &err), 0);
	/* Model time is the chip's: 1 MHz exactly with free register accesses. */
	snprintf(want, sizeof(want), "paced, measured 1000 kHz");
	ck_assert_msg(strstr(r.ops->describe(r.pins), want), "%s", r.ops->describe(r.pins));
	gm_rig_close(&r);
}
END_TEST

/* ---- the wire, read by sigrok ---- */

#define MAXX 512
struct trace {
	char x[MAXX][48];
	int n;
};

static void on_xfer(void *user, int ap, int rnw, unsigned addr, unsigned ack, uint32_t data)
{
	static const char *const dp_r[] = { "IDCODE", "R CTRL/STAT", "RESEND", "RDBUFF" };
	static const char *const dp_w[] = { "W ABORT", "W CTRL/STAT", "W SELECT", "W RESERVED" };
	struct trace *t = user;
	char req[16];

	ck_assert_int_lt(t->n, MAXX);
	if (ap)
		snprintf(req, sizeof(req), "%c AP%x", rnw ? 'R' : 'W', addr & 0xCU);
	else
		snprintf(req, sizeof(req), "%s", (rnw ? dp_r : dp_w)[(addr >> 2) & 3U]);
	if (ack == 1)
		snprintf(t->x[t->n++], sizeof(t->x[0]), "%s OK 0x%08x", req, data);
	else
		snprintf(t->x[t->n++], sizeof(t->x[0]), "%s %s", req,
			 ack == 2 ? "WAIT" : ack == 4 ? "FAULT" : "NOREPLY");
}

/* sigrok-cli's annotations ("swd-1: R AP4", "swd-1: OK", "swd-1: 0x...")
 * joined into one line per transfer, as on_xfer writes them. */
static int decode(const char *vcd, struct trace *t, char *why, size_t whylen)
{
	char cmd[512], line[160];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "sigrok-cli -I vcd -i '%s' -P swd:swclk=swclk:swdio=swdio -A swd 2>&1", vcd);
	f = popen(cmd, "r");
	if (!f)
		return snprintf(why, whylen, "cannot run sigrok-cli"), -1;
	t->n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		const char *v = strncmp(line, "swd-1: ", 7) ? NULL : line + 7;

		if (!v) {
			snprintf(why, whylen, "unexpected sigrok output: %.120s", line);
			pclose(f);
			return -1;
		}
		if (!strncmp(v, "R ", 2) || !strncmp(v, "W ", 2) || !strcmp(v, "IDCODE") ||
		    !strcmp(v, "RESEND") || !strcmp(v, "RDBUFF")) {
			if (t->n >= MAXX)
				break;
			snprintf(t->x[t->n++], sizeof(t->x[0]), "%.40s", v);
		} else if (t->n && (!strcmp(v, "OK") || !strcmp(v, "WAIT") || !strcmp(v, "FAULT") ||
				    !strcmp(v, "NOREPLY") || !strncmp(v, "0x", 2))) {
			size_t l = strlen(t->x[t->n - 1]);
			snprintf(t->x[t->n - 1] + l, sizeof(t->x[0]) - l, " %.12s", v);
		} else if (strlen(v) == 2 && strspn(v, "01") == 2) {
			snprintf(why, whylen, "decoder reports a parity error after %d transfers", t->n);
			pclose(f);
			return -1;
		}
	}
	if (pclose(f) != 0)
		return snprintf(why, whylen, "sigrok-cli failed"), -1;
	return 0;
}

START_TEST(sigrok_reads_the_model_waveform)
{
	static struct trace sent, seen;
	struct gm_rig r;
	struct sf_err err = { 0 };
	char vcd[] = "/tmp/swdflash-gm-XXXXXX.vcd", why[200];
	uint32_t v, words[16];
	int waits = 0;

	if (system("command -v sigrok-cli >/dev/null 2>&1") != 0)
		ck_abort_msg("sigrok-cli is not installed (Debian package sigrok-cli)");
	int fd = mkstemps(vcd, 4);
	ck_assert_int_ge(fd, 0);
	rig(&r, _i, "part=nrf52840,period_ns=1", 0, fdopen(fd, "w"));
	memset(&sent, 0, sizeof(sent));
	swd_link_set_trace(r.link, on_xfer, &sent);
	ck_assert_msg(r.dap.ops->connect(r.dap.ctx, &v, &err) == 0, "%s", err.msg);
	for (unsigned k = 0; k < 16; k++)
		words[k] = 0x01010101U * k ^ 0xA5C3F00FU;
	ck_assert_int_eq(r.dap.ops->mem_write(r.dap.ctx, 0x20000000, words, sizeof(words), 4, &err), 0);
	sim_fault_wait(r.chip, 2);
	ck_assert_int_eq(r.dap.ops->mem_read(r.dap.ctx, 0x20000000, words, sizeof(words), 4, &err), 0);
	ck_assert_int_eq(dap_read32(&r.dap, 0x10000100, &v, &err), 0);
	ck_assert_uint_eq(v, 0x52840);
	gm_rig_close(&r); /* closes the VCD */

	ck_assert_int_gt(sent.n, 20);
	ck_assert_msg(decode(vcd, &seen, why, sizeof(why)) == 0, "%s", why);
	for (int k = 0; k < sent.n && k < seen.n; k++) {
		ck_assert_msg(!strcmp(sent.x[k], seen.x[k]), "transfer %d: sent '%s', sigrok '%s'", k,
			      sent.x[k], seen.x[k]);
		waits += strstr(seen.x[k], "WAIT") != NULL;
	}
	ck_assert_int_eq(seen.n, sent.n);
	ck_assert_int_eq(waits, 2);
	unlink(vcd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gpiomem");
	TCase *tc = tcase_create("model");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, soc_from_device_tree);
	tcase_add_loop_test(tc, flash_and_read_back, 0, 3);
	tcase_add_loop_test(tc, fsel_touches_only_our_pins, 0, 2);
	tcase_add_loop_test(tc, fsel_restored_on_free, 0, 2);
	tcase_add_test(tc, rp1_touches_only_our_pins);
	tcase_add_loop_test(tc, pulls_per_soc, 0, 3);
	tcase_add_loop_test(tc, paced_to_max_hz, 0, 3);
	tcase_add_loop_test(tc, sigrok_reads_the_model_waveform, 0, 3);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
