// SPDX-License-Identifier: GPL-2.0-or-later
/* make bench, part "stlink_phases": the ST-Link driver's program phase
 * against the NVMC floor at the dongle's top SWD clock (4000 kHz on a V2),
 * on the emulated V2 (tests/stlink_emu/, through its C API: the same
 * model bench/stlink_vs_openocd.sh drives through libusb) and the
 * simulated nRF52840 and nRF52832, a 256 KiB pseudo-random image on an
 * erased chip. Per phase: USB commands, bulk transfers and modelled time:
 * the chip's simulated time, which every command advances by its USB cost
 * (160 us a command, 52.6 us a further 64-byte packet; stlink_emu.h says
 * where the figures come from) and its SWD cycles at the clock set, and
 * which the host's sleeps advance too (the engine's clock here is the
 * chip's: a host that waits for the NVMC or for its on-target writer
 * spends that time, as on hardware). The NVMC floor is words x t_WRITE (41 us on the
 * 52840, 67.5 us on the 52832, nrf52_priv.h).
 *
 *   build/rel/bench/stlink_phases OUT.json */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrf52/nrf52.h"
#include "sim/sim.h"
#include "swd/stlink.h"
#include "tests/stlink_emu/stlink_emu.h"

#define IMAGE_BYTES (256U * 1024U)
#define TOP_KHZ 4000U

static struct stlink_emu *emu;

static int emu_run(void *ctx, struct stlink_io *io, size_t n, unsigned timeout_ms,
		   struct sf_err *err)
{
	(void)ctx;
	(void)timeout_ms;
	for (size_t i = 0; i < n; i++) {
		int r = io[i].out ? stlink_emu_bulk_out(emu, stlink_emu_ep_out(emu), io[i].out,
							io[i].len)
				  : stlink_emu_bulk_in(emu, stlink_emu_ep_in(emu), io[i].in, io[i].len);
		if (r < 0)
			return sf_err_set(err, r == -ENODEV ? SF_E_DISCONNECTED : SF_E_IO,
					  "emulator: %s", strerror(-r));
		io[i].got = (size_t)r;
	}
	return 0;
}

static const struct stlink_xport_ops emu_ops = { .run = emu_run, .free = NULL };

/* The engine's clock is the chip's: sleeping advances simulated time. */
static uint64_t chip_now_us(void *ctx)
{
	(void)ctx;
	return sim_time_ns(stlink_emu_chip(emu)) / 1000;
}

static void chip_sleep_us(void *ctx, uint32_t us)
{
	(void)ctx;
	sim_delay_ns(stlink_emu_chip(emu), 1000ULL * us);
}

static const struct swd_clock_ops chip_clock_ops = { chip_now_us, chip_sleep_us };

struct phase {
	uint64_t ns, commands, transfers;
};

static struct phase ph[NRF52_PHASE_READ + 1];
static int cur = -1;
static struct phase at;

static void sample(struct phase *p)
{
	const struct stlink_emu_counters *c = stlink_emu_counters(emu);

	p->ns = sim_time_ns(stlink_emu_chip(emu));
	p->commands = c->commands;
	p->transfers = c->bulk_out + c->bulk_in;
}

static void close_phase(void)
{
	struct phase now;

	if (cur < 0)
		return;
	sample(&now);
	ph[cur].ns += now.ns - at.ns;
	ph[cur].commands += now.commands - at.commands;
	ph[cur].transfers += now.transfers - at.transfers;
}

static int progress(void *user, enum nrf52_phase p, uint64_t done, uint64_t total)
{
	(void)user;
	(void)done;
	(void)total;
	if ((int)p != cur) {
		close_phase();
		cur = (int)p;
		sample(&at);
	}
	return 0;
}

static int one(FILE *out, const char *part, double t_write_us, int last)
{
	static struct swd_clock chip_clock = { &chip_clock_ops, NULL };
	char e[256], sim[64];
	struct sf_err err = { 0 };
	struct stlink_xport xp = { &emu_ops, NULL };
	struct stlink_info info;
	struct nrf52_flash_opts o = { .erase = NRF52_ERASE_AUTO, .verify = 1, .reset = 1 };
	struct nrf52_stats st;
	struct dap dap;
	struct img img;
	struct nrf52 *n;
	uint8_t *data = malloc(IMAGE_BYTES);
	uint32_t seed = 20240904;

	memset(ph, 0, sizeof(ph));
	cur = -1;
	snprintf(sim, sizeof(sim), "part=%s", part);
	emu = stlink_emu_new_spec("model=v2,fw=J37,ap_check=none", sim, e, sizeof(e));
	if (!emu || !data) {
		fprintf(stderr, "stlink_phases: %s\n", emu ? "out of memory" : e);
		return 1;
	}
	for (size_t i = 0; i < IMAGE_BYTES; i++) {
		seed = seed * 1103515245U + 12345U;
		data[i] = (uint8_t)(seed >> 16);
	}
	if (img_parse(data, IMAGE_BYTES, IMG_BIN, 0, &img, &err) ||
	    stlink_open(&xp, NULL, "BENCH", 0, TOP_KHZ, &dap, &info, &err)) {
		fprintf(stderr, "stlink_phases: %s\n", err.msg);
		return 1;
	}
	n = nrf52_new(&dap, &chip_clock, NULL, NULL);
	nrf52_set_progress(n, progress, NULL);
	if (nrf52_identify(n, NULL, &err) || nrf52_flash(n, &img, &o, &st, &err)) {
		fprintf(stderr, "stlink_phases: %s: %s\n", part, err.msg);
		return 1;
	}
	close_phase();
	double floor_s = IMAGE_BYTES / 4 * t_write_us / 1e6, kib = IMAGE_BYTES / 1024.0;
	const struct phase *p = &ph[NRF52_PHASE_PROGRAM], *v = &ph[NRF52_PHASE_VERIFY];
	double prog_s = p->ns / 1e9;
	const struct stlink_emu_counters *c = stlink_emu_counters(emu);

	printf("%-9s %5u kHz  program %6.3f s  floor %6.3f s  x floor %5.3f  cmds/KiB %5.2f  "
	       "xfers/KiB %5.2f  verify %6.3f s  whole %6.3f s\n", part, info.khz, prog_s, floor_s,
	       prog_s / floor_s, p->commands / kib, p->transfers / kib, v->ns / 1e9,
	       sim_time_ns(stlink_emu_chip(emu)) / 1e9);
	fprintf(out, "    \"%s\": {\"swd_khz\": %u, \"image_kib\": %.0f, \"program_s\": %.4f, "
		"\"nvmc_floor_s\": %.4f, \"program_over_floor\": %.4f, "
		"\"program_commands_per_kib\": %.2f, \"program_transfers_per_kib\": %.2f, "
		"\"verify_s\": %.4f, \"whole_s\": %.4f, \"waits_reported\": %llu}%s\n", part,
		info.khz, kib, prog_s, floor_s, prog_s / floor_s, p->commands / kib,
		p->transfers / kib, v->ns / 1e9, sim_time_ns(stlink_emu_chip(emu)) / 1e9,
		(unsigned long long)c->swd_waits_reported, last ? "" : ",");
	nrf52_free(n);
	dap.ops->free(dap.ctx);
	stlink_emu_free(emu);
	img_free(&img);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	FILE *out;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: stlink_phases OUT.json\n");
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	printf("ST-Link V2 (emulated), 256 KiB random image on an erased chip, erase auto, "
	       "verify; modelled time (USB + SWD + the host's sleeps)\n");
	fprintf(out, "{\"stlink_phases\": {\n  \"model\": \"emulated V2J37S7 at its top SWD clock; "
		"modelled = simulated time: 160 us per command + 52.6 us per further 64-byte packet + SWD cycles + the host's sleeps\",\n"
		"  \"parts\": {\n");
	rc = one(out, "nrf52840", 41.0, 0) || one(out, "nrf52832", 67.5, 1);
	fprintf(out, "  }\n}}\n");
	if (fclose(out))
		rc = 1;
	return rc;
}
