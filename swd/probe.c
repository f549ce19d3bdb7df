// SPDX-License-Identifier: GPL-2.0-or-later
/* Probe specs -> a DAP: "sim:...", "gpiod:...", "gpiomem:...", "stlink:...". */
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/sim.h"
#include "dap_swd.h"
#include "link.h"
#include "pins_gpiod.h"
#include "pins_gpiomem.h"
#include "pins_sim.h"
#include "stlink.h"

struct swd_probe {
	char kind[16];
	char desc[192];
	struct dap dap;
	struct swd_clock clock;
	struct sim_chip *sim;   /* "sim" probes only */
	struct swd_link *link;  /* bit-bang probes only */
	struct swd_probe_usb usb; /* "stlink" probes only (usb.present) */
};

const char *swd_probe_kind(const struct swd_probe *p)
{
	return p->kind;
}

const char *swd_probe_desc(const struct swd_probe *p)
{
	return p->desc;
}

struct dap *swd_probe_dap(struct swd_probe *p)
{
	return &p->dap;
}

const struct swd_clock *swd_probe_clock(struct swd_probe *p)
{
	return &p->clock;
}

struct sim_chip *swd_probe_sim(struct swd_probe *p)
{
	return p ? p->sim : NULL;
}

struct swd_link *swd_probe_link(struct swd_probe *p)
{
	return p ? p->link : NULL;
}

const struct swd_probe_usb *swd_probe_usb(const struct swd_probe *p)
{
	return p && p->usb.present ? &p->usb : NULL;
}

/* A bit-bang probe's time is its pins driver's: simulated for the
 * simulator, CLOCK_MONOTONIC for GPIO chips. */
static uint64_t link_now_us(void *ctx)
{
	return swd_link_now_us(ctx);
}

static void link_sleep_us(void *ctx, uint32_t us)
{
	swd_link_delay_us(ctx, us);
}

static const struct swd_clock_ops link_clock_ops = {
	.now_us = link_now_us,
	.sleep_us = link_sleep_us,
};

static int open_bitbang(struct swd_probe *p, const struct swd_pins_ops *ops, void *ctx,
			struct sf_err *err)
{
	p->link = swd_link_new(ops, ctx);
	if (!p->link) {
		if (ops->free)
			ops->free(ctx);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	p->clock.ops = &link_clock_ops;
	p->clock.ctx = p->link;
	return dap_swd_new(p->link, &p->dap, err);
}

static int open_sim(struct swd_probe *p, const char *args, struct sf_err *err)
{
	struct sim_config cfg;
	char strbuf[512], msg[256];
	static const char *const parts[] = { "nRF52832", "nRF52833", "nRF52840" };

	if (sim_config_parse(&cfg, args, strbuf, sizeof(strbuf), msg, sizeof(msg)))
		return sf_err_set(err, SF_E_ARG, "probe sim: %s", msg);
	errno = 0;
	p->sim = sim_chip_new(&cfg, msg, sizeof(msg));
	if (!p->sim)  /* EBUSY: another process holds the state file */
		return sf_err_set(err, errno == EBUSY ? SF_E_BUSY : SF_E_IO, "probe sim: %s", msg);
	snprintf(p->desc, sizeof(p->desc), cfg.bench_dir ? "SIMULATED bench%.0s%.0s%s%s" : "SIMULATED %s (%s APPROTECT)%s%s",
		 parts[cfg.part], cfg.rev == SIM_REV_HARDENED ? "hardened" : "legacy",
		 cfg.bench_dir ? ", bench " : cfg.state_path ? ", state " : ", volatile",
		 cfg.bench_dir ? cfg.bench_dir : cfg.state_path ? cfg.state_path : "");
	void *ctx = swd_pins_sim_new(p->sim);
	if (!ctx)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	return open_bitbang(p, &swd_pins_sim_ops, ctx, err);
}

static int open_gpiod(struct swd_probe *p, const char *args, struct sf_err *err)
{
	struct swd_pins pins;
	int rc = swd_pins_gpiod_open(args, &pins, p->desc, sizeof(p->desc), err);

	if (rc)
		return rc;
	return open_bitbang(p, pins.ops, pins.ctx, err);
}

static int open_gpiomem(struct swd_probe *p, const char *args, struct sf_err *err)
{
	struct swd_pins pins;
	int rc = swd_pins_gpiomem_open(args, &pins, p->desc, sizeof(p->desc), err);

	if (rc)
		return rc;
	return open_bitbang(p, pins.ops, pins.ctx, err);
}

static int stlink_list_line(char *out, size_t outsz, int where);

/* Which ST-Links are attached, for a refusal: "MODEL FIRMWARE serial S"
 * each, so the user can pick one by serial. */
static void list_refusal(const char *serial, int rc, struct sf_err *err)
{
	char list[sizeof(err->msg)];
	int n = stlink_list_line(list, sizeof(list), 0);

	if (n <= 0)
		return; /* keep stlink_usb_open's message */
	if (rc == SF_E_ARG)
		sf_err_set(err, rc, "%d ST-Links are attached (%s): choose one with "
			   "stlink:serial=SERIAL", n, list);
	else
		sf_err_set(err, rc, "no ST-Link with serial %s is attached; attached: %s", serial,
			   list);
}

/* stlink[:serial=HEX,speed_khz=N] */
static int open_stlink(struct swd_probe *p, const char *args, struct sf_err *err)
{
	char buf[256], serial[64] = "";
	unsigned long khz = 0;
	struct stlink_xport xp;
	struct stlink_found f;
	struct stlink_info in;
	char *save = NULL;
	int rc;

	if (strlen(args) >= sizeof(buf))
		return sf_err_set(err, SF_E_ARG, "probe stlink: options too long");
	strcpy(buf, args);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end = NULL;

		if (!eq)
			return sf_err_set(err, SF_E_ARG, "probe stlink: '%s' is not key=value "
					   "(serial, speed_khz)", tok);
		*eq++ = '\0';
		if (!strcmp(tok, "serial")) {
			size_t n = strlen(eq);
			if (!n || n >= sizeof(serial) || strspn(eq, "0123456789abcdefABCDEF") != n)
				return sf_err_set(err, SF_E_ARG, "probe stlink: serial '%s' is not "
						   "hex digits (as `swdflash probes` shows it)", eq);
			memcpy(serial, eq, n + 1);
		} else if (!strcmp(tok, "speed_khz")) {
			errno = 0;
			khz = strtoul(eq, &end, 10);
			if (errno || !*eq || *end || eq[0] == '-' || khz < 1 || khz > 100000)
				return sf_err_set(err, SF_E_ARG, "probe stlink: speed_khz '%s' is not "
						   "a number of kHz from 1 to 100000", eq);
		} else {
			return sf_err_set(err, SF_E_ARG, "probe stlink: unknown option '%s' "
					   "(serial, speed_khz)", tok);
		}
	}
	rc = stlink_usb_open(serial, &xp, &f, err);
	if (rc == SF_E_ARG || (rc == SF_E_NOTARGET && serial[0]))
		list_refusal(serial, rc, err);
	if (rc)
		return sf_err_prefix(err, "probe stlink");
	rc = stlink_open(&xp, f.model, f.serial, f.serial_raw, (unsigned)khz, &p->dap, &in, err);
	if (rc)
		return sf_err_prefix(err, "probe stlink");
	p->clock.ops = &stlink_clock_ops;
	p->clock.ctx = NULL;
	p->usb.present = 1;
	snprintf(p->usb.model, sizeof(p->usb.model), "%s", in.model);
	snprintf(p->usb.firmware, sizeof(p->usb.firmware), "%s", in.firmware);
	snprintf(p->usb.serial, sizeof(p->usb.serial), "%s", in.serial);
	snprintf(p->usb.warning, sizeof(p->usb.warning), "%s", in.warning);
	p->usb.khz = in.khz;
	p->usb.voltage_mv = in.voltage_mv;
	if (in.voltage_mv >= 0)
		snprintf(p->desc, sizeof(p->desc), "%s %s serial %s, SWD %u kHz, target %d.%02d V",
			 in.model, in.firmware, in.serial, in.khz, in.voltage_mv / 1000,
			 (in.voltage_mv % 1000) / 10);
	else
		snprintf(p->desc, sizeof(p->desc), "%s %s serial %s, SWD %u kHz", in.model,
			 in.firmware, in.serial, in.khz);
	return 0;
}

int swd_probe_open(const char *spec, struct swd_probe **out, struct sf_err *err)
{
	struct swd_probe *p;
	const char *colon = strchr(spec, ':');
	size_t klen = colon ? (size_t)(colon - spec) : strlen(spec);
	const char *args = colon ? colon + 1 : "";
	int rc;

	*out = NULL;
	if (klen == 0 || klen >= sizeof(p->kind))
		return sf_err_set(err, SF_E_ARG, "bad probe spec '%s' (sim, gpiod, gpiomem or stlink)",
				   spec);
	p = calloc(1, sizeof(*p));
	if (!p)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	memcpy(p->kind, spec, klen);
	if (!strcmp(p->kind, "sim"))
		rc = open_sim(p, args, err);
	else if (!strcmp(p->kind, "gpiod"))
		rc = open_gpiod(p, args, err);
	else if (!strcmp(p->kind, "gpiomem"))
		rc = open_gpiomem(p, args, err);
	else if (!strcmp(p->kind, "stlink"))
		rc = open_stlink(p, args, err);
	else
		rc = sf_err_set(err, SF_E_ARG, "unknown probe kind '%s' (sim, gpiod, gpiomem or stlink)",
				 p->kind);
	if (rc) {
		swd_probe_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

void swd_probe_close(struct swd_probe *p)
{
	if (!p)
		return;
	if (p->dap.ops && p->dap.ops->free)
		p->dap.ops->free(p->dap.ctx);
	swd_link_free(p->link);
	if (p->sim)
		sim_chip_free(p->sim);
	free(p);
}

void swd_probe_stats(const struct swd_probe *p, struct swd_probe_stats *st)
{
	struct dap_stats ds;

	memset(st, 0, sizeof(*st));
	memset(&ds, 0, sizeof(ds));
	if (!p || !p->dap.ops || !p->dap.ops->get_stats)
		return;
	p->dap.ops->get_stats(p->dap.ctx, &ds);
	/* publish what the DAP measured, and only that */
	st->valid = ds.valid & (DAP_STAT_WIRE | DAP_STAT_TRANSPORT);
	if (st->valid & SWD_STAT_TRANSFERS)
		st->transfers = ds.transfers;
	if (st->valid & SWD_STAT_WAITS)
		st->waits = ds.waits;
	if (st->valid & SWD_STAT_FAULTS)
		st->faults = ds.faults;
	if (st->valid & SWD_STAT_PROTOCOL_ERRORS)
		st->protocol_errors = ds.protocol_errors;
	if (st->valid & SWD_STAT_LINE_RESETS)
		st->line_resets = ds.line_resets;
	if (st->valid & SWD_STAT_COMMANDS)
		st->commands = ds.commands;
	if (st->valid & SWD_STAT_RETRIES)
		st->retries = ds.retries;
}

void swd_probe_list(struct swd_probe_avail out[SWD_PROBE_KINDS])
{
	struct sf_err err = { 0 };
	char path[300], label[64];

	memset(out, 0, sizeof(out[0]) * SWD_PROBE_KINDS);
	out[0].kind = "sim";
	out[0].spec = "sim:part=nrf52840,rev=legacy";
	out[0].available = 1;
	snprintf(out[0].detail, sizeof(out[0].detail),
		 "the simulated nRF52832/833/840, built in (no hardware)");

	out[1].kind = "gpiod";
	out[1].spec = "gpiod:chip=auto,swclk=25,swdio=24,nreset=18";
	out[1].available = !swd_gpiod_find_header(path, sizeof(path), label, sizeof(label), &err);
	if (out[1].available)
		snprintf(out[1].detail, sizeof(out[1].detail), "%.200s [%.60s] through libgpiod",
			 path, label);
	else
		snprintf(out[1].detail, sizeof(out[1].detail), "%s", err.msg);

	out[2].kind = "gpiomem";
	out[2].spec = "gpiomem:swclk=25,swdio=24,nreset=18,max_hz=4M";
	sf_err_clear(&err);
	out[2].available = !swd_gpiomem_available(out[2].detail, sizeof(out[2].detail), &err);
	if (!out[2].available)
		snprintf(out[2].detail, sizeof(out[2].detail), "%s", err.msg);

	out[3].kind = "stlink";
	out[3].spec = "stlink:serial=...,speed_khz=4000";
	swd_probe_list_stlinks(out[3].detail, sizeof(out[3].detail), &out[3].available);
}

/* One line per attached ST-Link: model, firmware, serial (the firmware
 * version needs the device opened for a moment; nothing is reset). */
void swd_probe_list_stlinks(char *out, size_t outsz, int *available)
{
	int n = stlink_list_line(out, outsz, 1);

	*available = n > 0;
	if (n == 0)
		snprintf(out, outsz, "no ST-Link attached (USB 0483:3748, 374b, 3752, 374e, 374f, "
			 "3753, 3754)");
}

/* The attached ST-Links as one line ("; " between them), with the bus
 * address when where; returns how many (negative: libusb failed, the
 * message in out). The firmware needs each device opened for a moment. */
static int stlink_list_line(char *out, size_t outsz, int where)
{
	struct stlink_found f[8];
	struct sf_err err = { 0 };
	int n = stlink_usb_list(f, 8, &err);
	size_t l = 0;

	out[0] = '\0';
	if (n < 0) {
		snprintf(out, outsz, "%s", err.msg);
		return n;
	}
	for (int i = 0; i < n && l + 1 < outsz; i++) {
		struct stlink_info in;
		struct stlink_xport xp;
		struct stlink_found g;
		char fw[64] = "firmware unknown";

		memset(&in, 0, sizeof(in));
		if (f[i].open_ok && !stlink_usb_open(f[i].serial, &xp, &g, &err) &&
		    !stlink_query(&xp, &in, &err))
			snprintf(fw, sizeof(fw), "%s", in.firmware);
		else if (f[i].open_ok)
			snprintf(fw, sizeof(fw), "firmware unknown: %.30s", err.msg);
		char at[40] = "";
		if (where)
			snprintf(at, sizeof(at), " (bus %03u device %03u)", f[i].bus, f[i].addr);
		int w = snprintf(out + l, outsz - l, "%s%s %s serial %s%s%s%s",
				 i ? "; " : "", f[i].model->name, fw,
				 f[i].open_ok ? f[i].serial : "?", at,
				 f[i].open_ok ? "" : ": ", f[i].open_ok ? "" : f[i].why);
		if (w < 0 || (size_t)w >= outsz - l) {
			l = outsz;
			break;
		}
		l += (size_t)w;
	}
	if (l >= outsz)
		out[outsz - 1] = '\0';
	return n;
}

struct swd_probe_watch {
	struct stlink_usb_watch *usb;
};

struct swd_probe_watch *swd_probe_watch_new(const char *spec, void (*fn)(void *user),
					    void *user)
{
	struct swd_probe_watch *w;

	if (strncmp(spec, "stlink", 6) || (spec[6] && spec[6] != ':'))
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->usb = stlink_usb_watch_new(fn, user, NULL);
	if (!w->usb) {
		free(w);
		return NULL;
	}
	return w;
}

void swd_probe_watch_free(struct swd_probe_watch *w)
{
	if (!w)
		return;
	stlink_usb_watch_free(w->usb);
	free(w);
}
