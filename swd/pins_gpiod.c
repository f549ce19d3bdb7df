// SPDX-License-Identifier: GPL-2.0-or-later
/* swd_pins_gpiod: SWCLK/SWDIO/nRESET on a Linux GPIO chip through libgpiod.
 *
 * This file is the part both libgpiod APIs share: the probe spec, finding
 * the chip (chip=auto by label), max_hz pacing, the pins ops and the
 * description. The lines themselves are moved by a back end, one per API
 * (swd/pins_gpiod_be.h): swd/pins_gpiod_v1.c for libgpiod 1.6 (Debian 12 /
 * Raspberry Pi OS bookworm), swd/pins_gpiod_v2.c for 2.x (Debian 13 /
 * trixie); the Makefile builds the one pkg-config finds. Each back end
 * says how many ioctls an SWCLK cycle costs it. */
#include "pins_gpiod.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/clock.h"
#include "../common/err.h"

#ifndef SWD_GPIOD_VERSION_MAJOR
#define SWD_GPIOD_VERSION_MAJOR 0
#endif

#if SWD_GPIOD_VERSION_MAJOR == 0
/* No libgpiod at build time (and no back end built). */

int swd_pins_gpiod_open(const char *args, struct swd_pins *out, char *desc, size_t desclen,
			struct sf_err *err)
{
	(void)args;
	(void)out;
	(void)desc;
	(void)desclen;
	return sf_err_set(err, SF_E_UNSUPPORTED,
			   "probe gpiod: this build has no libgpiod (install libgpiod-dev and "
			   "rebuild)");
}

int swd_gpiod_hold_lines(const char *args, struct swd_gpiod_hold *h, struct sf_err *err)
{
	(void)args;
	memset(h, 0, sizeof(*h));
	return sf_err_set(err, SF_E_UNSUPPORTED,
			   "this build has no libgpiod, which holds the lines (install "
			   "libgpiod-dev and rebuild)");
}

void swd_gpiod_hold_release(struct swd_gpiod_hold *h)
{
	(void)h;
}

int swd_gpiod_find_header(char *path, size_t pathlen, char *label, size_t labellen,
			  struct sf_err *err)
{
	(void)path;
	(void)pathlen;
	(void)label;
	(void)labellen;
	return sf_err_set(err, SF_E_UNSUPPORTED,
			   "probe gpiod: this build has no libgpiod (install libgpiod-dev and "
			   "rebuild)");
}

#else

#include "pins_gpiod_be.h"

/* Labels of the controller behind the Pi's 40-pin header: Pi 0-3, Pi 4, Pi 5. */
static const char *const gp_pi_labels[] = { "pinctrl-bcm2835", "pinctrl-bcm2711",
					    "pinctrl-rp1" };

static inline uint64_t gp_mono_ns(void)
{
	return (uint64_t)clock_mono_ns();
}

/* ---- spec parsing ---- */

static int gp_parse_u32(const char *key, const char *v, uint32_t *out, int allow_suffix,
			struct sf_err *err)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (end == v || errno)
		goto bad;
	if (allow_suffix && (*end == 'k' || *end == 'K')) {
		x *= 1000U;
		end++;
	} else if (allow_suffix && *end == 'M') {
		x *= 1000000U;
		end++;
	}
	if (*end || x > UINT32_MAX)
		goto bad;
	*out = (uint32_t)x;
	return 0;
bad:
	return sf_err_set(err, SF_E_ARG, "probe gpiod: bad value '%s' for %s", v, key);
}

static int gp_parse_opts(const char *args, struct swd_gpiod_opts *o, struct sf_err *err)
{
	char buf[256];
	char *save = NULL;

	snprintf(o->chip, sizeof(o->chip), "auto");
	o->clk = 25;
	o->dio = 24;
	o->rst = 18;
	o->rst_explicit = 0;
	o->max_hz = 0;
	o->max_hz_set = 0;
	if (!args)
		return 0;
	if (strlen(args) >= sizeof(buf))
		return sf_err_set(err, SF_E_ARG, "probe gpiod: option string too long");
	snprintf(buf, sizeof(buf), "%s", args);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int rc = 0;

		if (!eq)
			return sf_err_set(err, SF_E_ARG,
					   "probe gpiod: '%s' is not key=value (keys: chip, swclk, "
					   "swdio, nreset, max_hz)", tok);
		*eq = '\0';
		const char *v = eq + 1;

		if (!strcmp(tok, "chip")) {
			if (!*v || strlen(v) >= sizeof(o->chip))
				return sf_err_set(err, SF_E_ARG, "probe gpiod: bad chip '%s'", v);
			snprintf(o->chip, sizeof(o->chip), "%s", v);
		} else if (!strcmp(tok, "swclk")) {
			rc = gp_parse_u32("swclk", v, &o->clk, 0, err);
		} else if (!strcmp(tok, "swdio")) {
			rc = gp_parse_u32("swdio", v, &o->dio, 0, err);
		} else if (!strcmp(tok, "nreset")) {
			o->rst_explicit = 1;
			if (!strcmp(v, "none") || !strcmp(v, "off") || !strcmp(v, "-1"))
				o->rst = SWD_GPIOD_NONE;
			else
				rc = gp_parse_u32("nreset", v, &o->rst, 0, err);
		} else if (!strcmp(tok, "max_hz")) {
			rc = gp_parse_u32("max_hz", v, &o->max_hz, 1, err);
			o->max_hz_set = 1;
		} else {
			return sf_err_set(err, SF_E_ARG,
					   "probe gpiod: unknown option '%s' (keys: chip, swclk, "
					   "swdio, nreset, max_hz)", tok);
		}
		if (rc)
			return rc;
	}
	if (o->clk == o->dio || o->rst == o->clk || o->rst == o->dio)
		return sf_err_set(err, SF_E_ARG,
				   "probe gpiod: swclk, swdio and nreset must be different lines");
	return 0;
}

/* ---- errors ---- */

void swd_gpiod_fail(struct swd_gpiod *p, const char *call, const char *fmt, ...)
{
	int e = errno;
	char what[160];
	va_list ap;

	if (p->err)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	p->err = SF_E_IO;
	snprintf(p->errmsg, sizeof(p->errmsg), "gpiod: %s of %s failed (%s): %s", what, p->path,
		 call, strerror(e));
}

/* ---- finding the chip ---- */

static int gp_dev_filter(const struct dirent *d)
{
	return !strncmp(d->d_name, "gpiochip", 8);
}

static int gp_is_pi_label(const char *label)
{
	for (size_t i = 0; i < sizeof(gp_pi_labels) / sizeof(gp_pi_labels[0]); i++)
		if (!strcmp(label, gp_pi_labels[i]))
			return 1;
	return 0;
}

/* Open p->path; fill name, label, nlines. */
static int gp_open_path(struct swd_gpiod *p, struct sf_err *err)
{
	p->be = swd_gpiod_be_open(p->path, p->name, sizeof(p->name), p->label, sizeof(p->label),
				  &p->nlines);
	if (p->be)
		return 0;
	if (errno == EACCES || errno == EPERM)
		return sf_err_set(err, SF_E_IO,
				   "probe gpiod: %s: permission denied; add the user to the 'gpio' "
				   "group (sudo adduser $USER gpio, then log in again) or run as root",
				   p->path);
	if (errno == ENOENT)
		return sf_err_set(err, SF_E_IO, "probe gpiod: %s does not exist", p->path);
	return sf_err_set(err, SF_E_IO, "probe gpiod: %s is not a usable GPIO chip: %s",
			   p->path, strerror(errno));
}

/* Scan /dev/gpiochip* for a label (want) or for any Pi header controller
 * (want == NULL). Sets p->path, opens the chip. */
static int gp_find_by_label(struct swd_gpiod *p, const char *want, struct sf_err *err)
{
	struct dirent **ents = NULL;
	char seen[200] = "";
	size_t seen_len = 0;
	int n = scandir("/dev", &ents, gp_dev_filter, versionsort);
	int found = 0, denied = 0;

	for (int i = 0; i < n; i++) {
		char path[280], name[64], label[64];
		unsigned nl;
		struct swd_gpiod_be *c;

		snprintf(path, sizeof(path), "/dev/%s", ents[i]->d_name);
		c = found ? NULL
			  : swd_gpiod_be_open(path, name, sizeof(name), label, sizeof(label), &nl);
		if (!c) {
			if (!found && (errno == EACCES || errno == EPERM))
				denied = 1;
			free(ents[i]);
			continue;
		}
		if (seen_len < sizeof(seen))
			seen_len += (size_t)snprintf(seen + seen_len, sizeof(seen) - seen_len,
						     "%s%s [%s]", seen_len ? ", " : "", name,
						     label);
		if (want ? !strcmp(label, want) : gp_is_pi_label(label)) {
			/* Keep the /dev name the kernel gave it (Pi 5: gpiochip0 or 4). */
			snprintf(p->path, sizeof(p->path), "%s", path);
			snprintf(p->name, sizeof(p->name), "%s", name);
			snprintf(p->label, sizeof(p->label), "%s", label);
			p->nlines = nl;
			p->be = c;
			found = 1;
		} else {
			swd_gpiod_be_close(c);
		}
		free(ents[i]);
	}
	free(ents);
	if (found)
		return 0;
	if (n <= 0)
		return sf_err_set(err, SF_E_IO,
				   "probe gpiod: no GPIO chip found (no /dev/gpiochip*); is this a "
				   "Raspberry Pi with the GPIO character device? Use --probe sim "
				   "to try without hardware");
	if (denied && !seen_len)
		return sf_err_set(err, SF_E_IO,
				   "probe gpiod: permission denied opening /dev/gpiochip*; add the "
				   "user to the 'gpio' group or run as root");
	if (want)
		return sf_err_set(err, SF_E_IO,
				   "probe gpiod: no GPIO chip with label '%s' (found: %s)", want,
				   seen_len ? seen : "none usable");
	return sf_err_set(err, SF_E_IO,
			   "probe gpiod: no GPIO chip with label pinctrl-bcm2835/2711/rp1 found "
			   "(found: %s); is this a Raspberry Pi? Name the chip with "
			   "gpiod:chip=PATH|NAME|LABEL", seen_len ? seen : "none usable");
}

int swd_gpiod_find_header(char *path, size_t pathlen, char *label, size_t labellen,
			  struct sf_err *err)
{
	struct swd_gpiod p;
	int rc;

	memset(&p, 0, sizeof(p));
	rc = gp_find_by_label(&p, NULL, err);
	if (rc)
		return rc;
	snprintf(path, pathlen, "%s", p.path);
	snprintf(label, labellen, "%s", p.label);
	swd_gpiod_be_close(p.be);
	return 0;
}

static int gp_find_chip(struct swd_gpiod *p, struct sf_err *err)
{
	const char *c = p->o.chip;

	if (!strcmp(c, "auto"))
		return gp_find_by_label(p, NULL, err);
	if (c[0] == '/') {
		snprintf(p->path, sizeof(p->path), "%s", c);
		return gp_open_path(p, err);
	}
	if (strspn(c, "0123456789") == strlen(c)) {
		snprintf(p->path, sizeof(p->path), "/dev/gpiochip%s", c);
		return gp_open_path(p, err);
	}
	if (!strncmp(c, "gpiochip", 8) && !strchr(c, '/')) {
		snprintf(p->path, sizeof(p->path), "/dev/%s", c);
		return gp_open_path(p, err);
	}
	return gp_find_by_label(p, c, err);
}

/* ---- pacing and the ops ---- */

static inline void gp_pace(struct swd_gpiod *p)
{
	uint64_t now;

	if (!p->half_ns)
		return;
	do
		now = gp_mono_ns();
	while (now < p->next_edge_ns);
	p->next_edge_ns = now + p->half_ns;
}

/* SWCLK, then SWDIO (an output). A pending switch to output is made
 * here, driving the first level at once: the v1 back end sets a line's
 * direction and its level in one call, so the level costs no second call
 * (one ioctl fewer per turnaround, ~0.4% of a flash job, make bench). The
 * line starts being driven after SWCLK went low, where a host changes
 * SWDIO anyway; the target samples it at the rising edge. */
static void gp_put2(struct swd_gpiod *p, int clk, int dio)
{
	if (!p->out_pending) {
		swd_gpiod_be_put2(p, clk, dio);
		return;
	}
	if (clk != p->swclk)
		swd_gpiod_be_put_clk(p, clk);
	if (p->err)
		return;
	p->swdio = dio;
	swd_gpiod_be_set_dir(p, 1);
	p->out_pending = 0;
}

static void gp_set(void *ctx, int swclk, int swdio)
{
	struct swd_gpiod *p = ctx;

	swclk = !!swclk;
	swdio = !!swdio;
	if (p->err)
		return;
	gp_pace(p);
	if (p->out) {
		if (p->out_pending || swclk != p->swclk || swdio != p->swdio)
			gp_put2(p, swclk, swdio);
	} else if (swclk != p->swclk) {
		swd_gpiod_be_put_clk(p, swclk);
	}
}

static int gp_get(void *ctx)
{
	struct swd_gpiod *p = ctx;

	return p->err ? 1 : swd_gpiod_be_get_dio(p);
}

static void gp_dir(void *ctx, int output)
{
	struct swd_gpiod *p = ctx;

	output = !!output;
	if (p->err || output == p->out)
		return;
	p->out = output;
	if (output) {
		p->out_pending = 1;  /* made by the first level driven (gp_put2) */
	} else if (p->out_pending) {
		p->out_pending = 0;  /* it never stopped being an input */
	} else {
		swd_gpiod_be_set_dir(p, 0);
	}
}

static int gp_nreset(void *ctx, int level)
{
	struct swd_gpiod *p = ctx;

	return p->err ? p->err : swd_gpiod_be_put_rst(p, !!level);
}

static void gp_delay_us(void *ctx, uint32_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000U, .tv_nsec = (long)(us % 1000000U) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t gp_now_us(void *ctx)
{
	return gp_mono_ns() / 1000U;
}

/* Host-driven cycles: SWCLK low with the data, SWCLK high. */
static void gp_seq_out(void *ctx, uint32_t bits, unsigned n)
{
	struct swd_gpiod *p = ctx;
	uint64_t t0;

	if (p->err || !n)
		return;
	t0 = gp_mono_ns();
	if (!p->out) {
		/* Nobody drives SWDIO: clock only. */
		for (unsigned i = 0; i < n && !p->err; i++) {
			gp_pace(p);
			swd_gpiod_be_put_clk(p, 0);
			gp_pace(p);
			swd_gpiod_be_put_clk(p, 1);
		}
	} else {
		for (unsigned i = 0; i < n && !p->err; i++, bits >>= 1) {
			int b = bits & 1;

			gp_pace(p);
			gp_put2(p, 0, b);
			gp_pace(p);
			/* Same data: one call in v2; in v1 (two handles) only
			 * SWCLK moves. */
			gp_put2(p, 1, b);
		}
	}
	p->cycles += n;
	p->busy_ns += gp_mono_ns() - t0;
}

/* Target-driven cycles: SWCLK low, sample, SWCLK high. */
static uint32_t gp_seq_in(void *ctx, unsigned n)
{
	struct swd_gpiod *p = ctx;
	uint32_t v = 0;
	uint64_t t0;

	if (p->err)
		return n >= 32 ? UINT32_MAX : ((1U << n) - 1U);
	t0 = gp_mono_ns();
	for (unsigned i = 0; i < n; i++) {
		int b;

		gp_pace(p);
		swd_gpiod_be_put_clk(p, 0);
		b = p->err ? 1 : swd_gpiod_be_get_dio(p);
		v |= (uint32_t)b << i;
		gp_pace(p);
		swd_gpiod_be_put_clk(p, 1);
	}
	p->cycles += n;
	p->busy_ns += gp_mono_ns() - t0;
	return v;
}

static int gp_status(void *ctx, struct sf_err *err)
{
	struct swd_gpiod *p = ctx;

	if (!p->err)
		return 0;
	return sf_err_set(err, p->err, "%s", p->errmsg);
}

static const char *gp_describe(void *ctx)
{
	struct swd_gpiod *p = ctx;
	char rst[48], speed[96];

	if (p->have_rst)
		snprintf(rst, sizeof(rst), "nRESET=GPIO%u", p->o.rst);
	else
		snprintf(rst, sizeof(rst), "no nRESET");
	if (p->cycles && p->busy_ns)
		snprintf(speed, sizeof(speed), "%s, measured %.0f kHz over %llu cycles",
			 p->o.max_hz ? "paced" : "unpaced",
			 (double)p->cycles * 1e6 / (double)p->busy_ns,
			 (unsigned long long)p->cycles);
	else if (p->o.max_hz)
		snprintf(speed, sizeof(speed), "max %u Hz", p->o.max_hz);
	else
		snprintf(speed, sizeof(speed), "unpaced");
	snprintf(p->desc, sizeof(p->desc),
		 "gpiod v%d (libgpiod %s) %s [%s]: SWCLK=GPIO%u SWDIO=GPIO%u %s%s%s, %s",
		 SWD_GPIOD_VERSION_MAJOR, swd_gpiod_be_lib_version(), p->path, p->label, p->o.clk,
		 p->o.dio, rst, p->rst_note[0] ? " " : "", p->rst_note, speed);
	return p->desc;
}

static void gp_free(void *ctx)
{
	struct swd_gpiod *p = ctx;

	if (!p)
		return;
	swd_gpiod_be_close(p->be);
	free(p);
}

static const struct swd_pins_ops gp_ops_rst = {
	.set = gp_set,
	.get = gp_get,
	.dir = gp_dir,
	.nreset = gp_nreset,
	.delay_us = gp_delay_us,
	.now_us = gp_now_us,
	.seq_out = gp_seq_out,
	.seq_in = gp_seq_in,
	.status = gp_status,
	.describe = gp_describe,
	.free = gp_free,
};

static const struct swd_pins_ops gp_ops_norst = {
	.set = gp_set,
	.get = gp_get,
	.dir = gp_dir,
	.nreset = NULL,
	.delay_us = gp_delay_us,
	.now_us = gp_now_us,
	.seq_out = gp_seq_out,
	.seq_in = gp_seq_in,
	.status = gp_status,
	.describe = gp_describe,
	.free = gp_free,
};

/* Parse, find the chip, check and request the lines: *pp on success. */
static int gp_open(const char *args, struct swd_gpiod **pp, struct sf_err *err)
{
	struct swd_gpiod *p = calloc(1, sizeof(*p));
	int rc;

	*pp = NULL;
	if (!p)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	rc = gp_parse_opts(args, &p->o, err);
	if (rc)
		goto fail;
	rc = gp_find_chip(p, err);
	if (rc)
		goto fail;
	if (p->o.clk >= p->nlines || p->o.dio >= p->nlines ||
	    (p->o.rst != SWD_GPIOD_NONE && p->o.rst >= p->nlines)) {
		rc = sf_err_set(err, SF_E_ARG, "probe gpiod: %s [%s] has lines 0..%u only",
				 p->path, p->label, p->nlines ? p->nlines - 1 : 0);
		goto fail;
	}
	rc = swd_gpiod_be_line_check(p, p->o.clk, "SWCLK", err);
	if (!rc)
		rc = swd_gpiod_be_line_check(p, p->o.dio, "SWDIO", err);
	if (rc)
		goto fail;
	p->have_rst = p->o.rst != SWD_GPIOD_NONE;
	if (p->have_rst) {
		struct sf_err e2;

		sf_err_clear(&e2);
		if (swd_gpiod_be_line_check(p, p->o.rst, "nRESET", &e2)) {
			if (p->o.rst_explicit) {
				rc = sf_err_set(err, e2.code, "%s", e2.msg);
				goto fail;
			}
			/* The default nRESET line is optional: do without it. */
			p->have_rst = 0;
			snprintf(p->rst_note, sizeof(p->rst_note),
				 "(default nRESET GPIO%u is in use, not used)", p->o.rst);
		}
	}
	rc = swd_gpiod_be_request(p, err);
	if (rc)
		goto fail;
	*pp = p;
	return 0;
fail:
	gp_free(p);
	return rc;
}

int swd_pins_gpiod_open(const char *args, struct swd_pins *out, char *desc, size_t desclen,
			struct sf_err *err)
{
	struct swd_gpiod *p;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = gp_open(args, &p, err);
	if (rc)
		return rc;
	if (p->o.max_hz)
		p->half_ns = 500000000U / p->o.max_hz;
	out->ops = p->have_rst ? &gp_ops_rst : &gp_ops_norst;
	out->ctx = p;
	out->out = 1;
	if (desc && desclen)
		snprintf(desc, desclen, "%s", gp_describe(p));
	return 0;
}

int swd_gpiod_hold_lines(const char *args, struct swd_gpiod_hold *h, struct sf_err *err)
{
	struct swd_gpiod *p;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = gp_open(args, &p, err);
	if (rc)
		return rc;
	h->clk = p->o.clk;
	h->dio = p->o.dio;
	h->rst = p->have_rst ? p->o.rst : UINT32_MAX;
	h->max_hz = p->o.max_hz;
	h->max_hz_set = p->o.max_hz_set;
	snprintf(h->path, sizeof(h->path), "%s", p->path);
	snprintf(h->label, sizeof(h->label), "%s", p->label);
	snprintf(h->rst_note, sizeof(h->rst_note), "%s", p->rst_note);
	h->priv = p;
	return 0;
}

void swd_gpiod_hold_release(struct swd_gpiod_hold *h)
{
	if (h && h->priv) {
		gp_free(h->priv);
		h->priv = NULL;
	}
}

#endif
