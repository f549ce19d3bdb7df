/* swd_pins_gpiod: SWCLK/SWDIO/nRESET on a Linux GPIO chip through libgpiod.
 *
 * Built against libgpiod v1 (1.6, Debian 12 / Raspberry Pi OS bookworm) or
 * v2 (2.x, Debian 13 / trixie), chosen at compile time by
 * SWD_GPIOD_VERSION_MAJOR (the Makefile takes it from pkg-config).
 *
 * System calls per SWCLK cycle (each libgpiod call below is one ioctl):
 *   v2: SWCLK and SWDIO are one line request; a host bit is two set-values
 *       calls (SWCLK low + data, SWCLK high), a target bit is SWCLK low,
 *       one get-values, SWCLK high. SWDIO direction changes reconfigure the
 *       request (GPIO_V2_LINE_SET_CONFIG), never release and re-request.
 *   v1: the v1 uAPI applies GPIOHANDLE_SET_CONFIG to every line of a
 *       handle, so SWCLK (always output) and SWDIO (direction switched by
 *       gpiod_line_set_config) are two handles: a host bit is SWCLK low,
 *       SWDIO only when it changes, SWCLK high (2 or 3 calls).
 * nRESET is a separate open-drain request (the nRF52 pin has a pull-up).
 *
 * Framing (sim/sim.h): the host changes SWDIO while SWCLK is low; the target
 * is sampled after the falling edge; every cycle ends with SWCLK high. */
#include "pins_gpiod.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/err.h"

#ifndef SWD_GPIOD_VERSION_MAJOR
#define SWD_GPIOD_VERSION_MAJOR 0
#endif

#if SWD_GPIOD_VERSION_MAJOR != 1 && SWD_GPIOD_VERSION_MAJOR != 2
/* No libgpiod at build time. */

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

#else

#include <gpiod.h>

#define GPIOD_CONSUMER "swdflashd"
#define GPIOD_NONE UINT32_MAX

/* Labels of the controller behind the Pi's 40-pin header: Pi 0-3, Pi 4, Pi 5. */
static const char *const gpiod_pi_labels[] = { "pinctrl-bcm2835", "pinctrl-bcm2711",
					       "pinctrl-rp1" };

struct gpiod_opts {
	char chip[128];
	uint32_t clk, dio, rst;
	int rst_explicit;
	uint32_t max_hz;
};

struct gpiod_pins {
	struct gpiod_opts o;
	char path[300], name[64], label[64];
	unsigned nlines;
	int have_rst;
	char rst_note[160];

	int swclk, swdio, out; /* levels last driven, SWDIO direction */
	uint64_t half_ns;      /* pacing: minimum time between edges, 0 = off */
	uint64_t next_edge_ns;
	uint64_t cycles, busy_ns; /* bulk-op cycles and the time they took */

	int err;               /* sticky: first failed GPIO call */
	char errmsg[400];
	char desc[800];

#if SWD_GPIOD_VERSION_MAJOR == 2
	struct gpiod_chip *chip;
	struct gpiod_line_request *req, *rst_req;
	struct gpiod_line_config *cfg_out, *cfg_in;
	unsigned idx_clk, idx_dio; /* positions in the request's offset order */
#elif SWD_GPIOD_VERSION_MAJOR == 1
	struct gpiod_chip *chip;
	struct gpiod_line *lclk, *ldio, *lrst;
#endif
};

static uint64_t gpiod_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

/* ---- spec parsing ---- */

static int gpiod_parse_u32(const char *key, const char *v, uint32_t *out, int allow_suffix,
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

static int gpiod_parse_opts(const char *args, struct gpiod_opts *o, struct sf_err *err)
{
	char buf[256];
	char *save = NULL;

	snprintf(o->chip, sizeof(o->chip), "auto");
	o->clk = 25;
	o->dio = 24;
	o->rst = 18;
	o->rst_explicit = 0;
	o->max_hz = 0;
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
			rc = gpiod_parse_u32("swclk", v, &o->clk, 0, err);
		} else if (!strcmp(tok, "swdio")) {
			rc = gpiod_parse_u32("swdio", v, &o->dio, 0, err);
		} else if (!strcmp(tok, "nreset")) {
			o->rst_explicit = 1;
			if (!strcmp(v, "none") || !strcmp(v, "off") || !strcmp(v, "-1"))
				o->rst = GPIOD_NONE;
			else
				rc = gpiod_parse_u32("nreset", v, &o->rst, 0, err);
		} else if (!strcmp(tok, "max_hz")) {
			rc = gpiod_parse_u32("max_hz", v, &o->max_hz, 1, err);
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

/* ---- the library behind one API ---- */

static void gpiod_fail(struct gpiod_pins *p, const char *what)
{
	if (p->err)
		return;
	p->err = SF_E_IO;
	snprintf(p->errmsg, sizeof(p->errmsg), "gpiod: %s on %s failed: %s", what, p->path,
		 strerror(errno));
}

#if SWD_GPIOD_VERSION_MAJOR == 2

static const char *gpiod_lib_version(void)
{
	return gpiod_api_version();
}

/* Open path and read name, label and line count. NULL when it is no chip. */
static struct gpiod_chip *gpiod_chip_identify(const char *path, char *name, size_t nlen,
					      char *label, size_t llen, unsigned *nlines)
{
	struct gpiod_chip *chip = gpiod_chip_open(path);
	struct gpiod_chip_info *info;

	if (!chip)
		return NULL;
	info = gpiod_chip_get_info(chip);
	if (!info) {
		int e = errno;

		gpiod_chip_close(chip);
		errno = e;
		return NULL;
	}
	snprintf(name, nlen, "%s", gpiod_chip_info_get_name(info));
	snprintf(label, llen, "%s", gpiod_chip_info_get_label(info));
	*nlines = (unsigned)gpiod_chip_info_get_num_lines(info);
	gpiod_chip_info_free(info);
	return chip;
}

static void gpiod_chip_done(struct gpiod_chip *chip)
{
	gpiod_chip_close(chip);
}

/* 0 when the line is free; SF_E_BUSY naming the consumer otherwise. */
static int gpiod_line_check(struct gpiod_pins *p, unsigned off, const char *role,
			    struct sf_err *err)
{
	struct gpiod_line_info *li = gpiod_chip_get_line_info(p->chip, off);
	int rc = 0;

	if (!li)
		return sf_err_set(err, SF_E_IO, "probe gpiod: reading line %u of %s: %s", off,
				   p->path, strerror(errno));
	if (gpiod_line_info_is_used(li)) {
		const char *c = gpiod_line_info_get_consumer(li);
		const char *n = gpiod_line_info_get_name(li);

		rc = sf_err_set(err, SF_E_BUSY,
				 "probe gpiod: %s line %u (\"%s\") of %s is in use by \"%s\"", role,
				 off, n ? n : "", p->path, c && *c ? c : "kernel");
	}
	gpiod_line_info_free(li);
	return rc;
}

static int gpiod_request(struct gpiod_pins *p, struct sf_err *err)
{
	struct gpiod_line_settings *s = gpiod_line_settings_new();
	struct gpiod_request_config *rc = gpiod_request_config_new();
	int ret = 0;

	p->cfg_out = gpiod_line_config_new();
	p->cfg_in = gpiod_line_config_new();
	if (!s || !rc || !p->cfg_out || !p->cfg_in) {
		ret = sf_err_set(err, SF_E_NOMEM, "probe gpiod: out of memory");
		goto out;
	}
	gpiod_request_config_set_consumer(rc, GPIOD_CONSUMER);

	/* Output configuration: SWCLK low, SWDIO high (both driven). */
	gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT);
	gpiod_line_settings_set_output_value(s, GPIOD_LINE_VALUE_INACTIVE);
	if (gpiod_line_config_add_line_settings(p->cfg_out, &p->o.clk, 1, s) ||
	    gpiod_line_config_add_line_settings(p->cfg_in, &p->o.clk, 1, s))
		goto nomem;
	gpiod_line_settings_set_output_value(s, GPIOD_LINE_VALUE_ACTIVE);
	if (gpiod_line_config_add_line_settings(p->cfg_out, &p->o.dio, 1, s))
		goto nomem;
	/* Input configuration: SWCLK stays an output, SWDIO an input. */
	gpiod_line_settings_reset(s);
	gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT);
	if (gpiod_line_config_add_line_settings(p->cfg_in, &p->o.dio, 1, s))
		goto nomem;

	p->req = gpiod_chip_request_lines(p->chip, rc, p->cfg_out);
	if (!p->req) {
		ret = sf_err_set(err, errno == EBUSY ? SF_E_BUSY : SF_E_IO,
				  "probe gpiod: requesting lines %u (SWCLK) and %u (SWDIO) of %s: %s",
				  p->o.clk, p->o.dio, p->path, strerror(errno));
		goto out;
	}
	{
		unsigned offs[2];

		if (gpiod_line_request_get_requested_offsets(p->req, offs, 2) != 2) {
			ret = sf_err_set(err, SF_E_IO, "probe gpiod: line request has %zu lines",
					  gpiod_line_request_get_num_requested_lines(p->req));
			goto out;
		}
		p->idx_clk = offs[0] == p->o.clk ? 0 : 1;
		p->idx_dio = 1 - p->idx_clk;
	}
	p->swclk = 0;
	p->swdio = 1;
	p->out = 1;

	if (p->have_rst) {
		struct gpiod_line_config *lc = gpiod_line_config_new();

		gpiod_line_settings_reset(s);
		gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT);
		gpiod_line_settings_set_drive(s, GPIOD_LINE_DRIVE_OPEN_DRAIN);
		gpiod_line_settings_set_output_value(s, GPIOD_LINE_VALUE_ACTIVE);
		if (!lc || gpiod_line_config_add_line_settings(lc, &p->o.rst, 1, s)) {
			gpiod_line_config_free(lc);
			goto nomem;
		}
		p->rst_req = gpiod_chip_request_lines(p->chip, rc, lc);
		gpiod_line_config_free(lc);
		if (!p->rst_req)
			ret = sf_err_set(err, errno == EBUSY ? SF_E_BUSY : SF_E_IO,
					  "probe gpiod: requesting line %u (nRESET) of %s: %s",
					  p->o.rst, p->path, strerror(errno));
	}
	goto out;
nomem:
	ret = sf_err_set(err, SF_E_NOMEM, "probe gpiod: out of memory");
out:
	gpiod_line_settings_free(s);
	gpiod_request_config_free(rc);
	return ret;
}

static void gpiod_release(struct gpiod_pins *p)
{
	if (p->req)
		gpiod_line_request_release(p->req);
	if (p->rst_req)
		gpiod_line_request_release(p->rst_req);
	gpiod_line_config_free(p->cfg_out);
	gpiod_line_config_free(p->cfg_in);
	if (p->chip)
		gpiod_chip_close(p->chip);
}

static inline enum gpiod_line_value gpiod_v(int x)
{
	return x ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
}

/* SWCLK and SWDIO in one call (SWDIO must be an output). */
static inline void gpiod_put2(struct gpiod_pins *p, int clk, int dio)
{
	enum gpiod_line_value v[2];

	v[p->idx_clk] = gpiod_v(clk);
	v[p->idx_dio] = gpiod_v(dio);
	if (gpiod_line_request_set_values(p->req, v) < 0)
		gpiod_fail(p, "set-values");
	p->swclk = clk;
	p->swdio = dio;
}

static inline void gpiod_put_clk(struct gpiod_pins *p, int clk)
{
	if (gpiod_line_request_set_value(p->req, p->o.clk, gpiod_v(clk)) < 0)
		gpiod_fail(p, "set-value SWCLK");
	p->swclk = clk;
}

static inline int gpiod_get_dio(struct gpiod_pins *p)
{
	int v = gpiod_line_request_get_value(p->req, p->o.dio);

	if (v < 0) {
		gpiod_fail(p, "get-value SWDIO");
		return 1;
	}
	return v == GPIOD_LINE_VALUE_ACTIVE;
}

static void gpiod_set_dir(struct gpiod_pins *p, int output)
{
	struct gpiod_line_config *lc = output ? p->cfg_out : p->cfg_in;
	enum gpiod_line_value v[2];

	/* Keep the levels: SWCLK as it is, SWDIO as last driven. */
	v[p->idx_clk] = gpiod_v(p->swclk);
	v[p->idx_dio] = gpiod_v(p->swdio);
	if (gpiod_line_config_set_output_values(lc, v, 2) < 0 ||
	    gpiod_line_request_reconfigure_lines(p->req, lc) < 0)
		gpiod_fail(p, "reconfigure SWDIO direction");
}

static int gpiod_put_rst(struct gpiod_pins *p, int level)
{
	if (gpiod_line_request_set_value(p->rst_req, p->o.rst, gpiod_v(level)) < 0) {
		gpiod_fail(p, "set-value nRESET");
		return p->err;
	}
	return 0;
}

#elif SWD_GPIOD_VERSION_MAJOR == 1

static const char *gpiod_lib_version(void)
{
	return gpiod_version_string();
}

static struct gpiod_chip *gpiod_chip_identify(const char *path, char *name, size_t nlen,
					      char *label, size_t llen, unsigned *nlines)
{
	struct gpiod_chip *chip = gpiod_chip_open(path);

	if (!chip)
		return NULL;
	snprintf(name, nlen, "%s", gpiod_chip_name(chip));
	snprintf(label, llen, "%s", gpiod_chip_label(chip));
	*nlines = gpiod_chip_num_lines(chip);
	return chip;
}

static void gpiod_chip_done(struct gpiod_chip *chip)
{
	gpiod_chip_close(chip);
}

static int gpiod_line_check(struct gpiod_pins *p, unsigned off, const char *role,
			    struct sf_err *err)
{
	struct gpiod_line *l = gpiod_chip_get_line(p->chip, off);

	if (!l)
		return sf_err_set(err, SF_E_IO, "probe gpiod: reading line %u of %s: %s", off,
				   p->path, strerror(errno));
	if (gpiod_line_is_used(l)) {
		const char *c = gpiod_line_consumer(l);
		const char *n = gpiod_line_name(l);

		return sf_err_set(err, SF_E_BUSY,
				   "probe gpiod: %s line %u (\"%s\") of %s is in use by \"%s\"",
				   role, off, n ? n : "", p->path, c && *c ? c : "kernel");
	}
	return 0;
}

static int gpiod_request(struct gpiod_pins *p, struct sf_err *err)
{
	p->lclk = gpiod_chip_get_line(p->chip, p->o.clk);
	p->ldio = gpiod_chip_get_line(p->chip, p->o.dio);
	if (!p->lclk || !p->ldio)
		return sf_err_set(err, SF_E_IO, "probe gpiod: lines %u/%u of %s: %s", p->o.clk,
				   p->o.dio, p->path, strerror(errno));
	if (gpiod_line_request_output(p->lclk, GPIOD_CONSUMER, 0) < 0 ||
	    gpiod_line_request_output(p->ldio, GPIOD_CONSUMER, 1) < 0)
		return sf_err_set(err, errno == EBUSY ? SF_E_BUSY : SF_E_IO,
				   "probe gpiod: requesting lines %u (SWCLK) and %u (SWDIO) of %s: %s",
				   p->o.clk, p->o.dio, p->path, strerror(errno));
	p->swclk = 0;
	p->swdio = 1;
	p->out = 1;
	if (p->have_rst) {
		p->lrst = gpiod_chip_get_line(p->chip, p->o.rst);
		if (!p->lrst || gpiod_line_request_output_flags(p->lrst, GPIOD_CONSUMER,
								GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN,
								1) < 0) {
			p->lrst = NULL;
			return sf_err_set(err, errno == EBUSY ? SF_E_BUSY : SF_E_IO,
					   "probe gpiod: requesting line %u (nRESET) of %s: %s",
					   p->o.rst, p->path, strerror(errno));
		}
	}
	return 0;
}

static void gpiod_release(struct gpiod_pins *p)
{
	/* gpiod_chip_close releases every line requested through the chip. */
	if (p->chip)
		gpiod_chip_close(p->chip);
}

static inline void gpiod_put_clk(struct gpiod_pins *p, int clk)
{
	if (gpiod_line_set_value(p->lclk, clk) < 0)
		gpiod_fail(p, "set-value SWCLK");
	p->swclk = clk;
}

/* Two handles in v1: SWCLK first (so data never changes with SWCLK high),
 * SWDIO only when its level changes. */
static inline void gpiod_put2(struct gpiod_pins *p, int clk, int dio)
{
	if (clk != p->swclk)
		gpiod_put_clk(p, clk);
	if (dio != p->swdio && gpiod_line_set_value(p->ldio, dio) < 0)
		gpiod_fail(p, "set-value SWDIO");
	p->swdio = dio;
}

static inline int gpiod_get_dio(struct gpiod_pins *p)
{
	int v = gpiod_line_get_value(p->ldio);

	if (v < 0) {
		gpiod_fail(p, "get-value SWDIO");
		return 1;
	}
	return v;
}

static void gpiod_set_dir(struct gpiod_pins *p, int output)
{
	int rc = output ? gpiod_line_set_config(p->ldio, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, 0,
						p->swdio)
			: gpiod_line_set_config(p->ldio, GPIOD_LINE_REQUEST_DIRECTION_INPUT, 0, 0);

	if (rc < 0)
		gpiod_fail(p, "set-config SWDIO direction");
}

static int gpiod_put_rst(struct gpiod_pins *p, int level)
{
	if (gpiod_line_set_value(p->lrst, level) < 0) {
		gpiod_fail(p, "set-value nRESET");
		return p->err;
	}
	return 0;
}

#endif

/* ---- finding the chip ---- */

static int gpiod_dev_filter(const struct dirent *d)
{
	return !strncmp(d->d_name, "gpiochip", 8);
}

static int gpiod_is_pi_label(const char *label)
{
	for (size_t i = 0; i < sizeof(gpiod_pi_labels) / sizeof(gpiod_pi_labels[0]); i++)
		if (!strcmp(label, gpiod_pi_labels[i]))
			return 1;
	return 0;
}

/* Open p->path; fill name, label, nlines. */
static int gpiod_open_path(struct gpiod_pins *p, struct sf_err *err)
{
	p->chip = gpiod_chip_identify(p->path, p->name, sizeof(p->name), p->label,
				      sizeof(p->label), &p->nlines);
	if (p->chip)
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
static int gpiod_find_by_label(struct gpiod_pins *p, const char *want, struct sf_err *err)
{
	struct dirent **ents = NULL;
	char seen[200] = "";
	size_t seen_len = 0;
	int n = scandir("/dev", &ents, gpiod_dev_filter, versionsort);
	int found = 0, denied = 0;

	for (int i = 0; i < n; i++) {
		char path[280], name[64], label[64];
		unsigned nl;
		struct gpiod_chip *c;

		snprintf(path, sizeof(path), "/dev/%s", ents[i]->d_name);
		c = found ? NULL : gpiod_chip_identify(path, name, sizeof(name), label,
							sizeof(label), &nl);
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
		if (want ? !strcmp(label, want) : gpiod_is_pi_label(label)) {
			/* Keep the /dev name the kernel gave it (Pi 5: gpiochip0 or 4). */
			snprintf(p->path, sizeof(p->path), "%s", path);
			snprintf(p->name, sizeof(p->name), "%s", name);
			snprintf(p->label, sizeof(p->label), "%s", label);
			p->nlines = nl;
			p->chip = c;
			found = 1;
		} else {
			gpiod_chip_done(c);
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

static int gpiod_find_chip(struct gpiod_pins *p, struct sf_err *err)
{
	const char *c = p->o.chip;

	if (!strcmp(c, "auto"))
		return gpiod_find_by_label(p, NULL, err);
	if (c[0] == '/') {
		snprintf(p->path, sizeof(p->path), "%s", c);
		return gpiod_open_path(p, err);
	}
	if (strspn(c, "0123456789") == strlen(c)) {
		snprintf(p->path, sizeof(p->path), "/dev/gpiochip%s", c);
		return gpiod_open_path(p, err);
	}
	if (!strncmp(c, "gpiochip", 8) && !strchr(c, '/')) {
		snprintf(p->path, sizeof(p->path), "/dev/%s", c);
		return gpiod_open_path(p, err);
	}
	return gpiod_find_by_label(p, c, err);
}

/* ---- pacing and the ops ---- */

static inline void gpiod_pace(struct gpiod_pins *p)
{
	uint64_t now;

	if (!p->half_ns)
		return;
	do
		now = gpiod_mono_ns();
	while (now < p->next_edge_ns);
	p->next_edge_ns = now + p->half_ns;
}

static void gp_set(void *ctx, int swclk, int swdio)
{
	struct gpiod_pins *p = ctx;

	swclk = !!swclk;
	swdio = !!swdio;
	if (p->err)
		return;
	gpiod_pace(p);
	if (p->out) {
		if (swclk != p->swclk || swdio != p->swdio)
			gpiod_put2(p, swclk, swdio);
	} else if (swclk != p->swclk) {
		gpiod_put_clk(p, swclk);
	}
}

static int gp_get(void *ctx)
{
	struct gpiod_pins *p = ctx;

	return p->err ? 1 : gpiod_get_dio(p);
}

static void gp_dir(void *ctx, int output)
{
	struct gpiod_pins *p = ctx;

	output = !!output;
	if (p->err || output == p->out)
		return;
	gpiod_set_dir(p, output);
	p->out = output;
}

static int gp_nreset(void *ctx, int level)
{
	struct gpiod_pins *p = ctx;

	return p->err ? p->err : gpiod_put_rst(p, !!level);
}

static void gp_delay_us(void *ctx, uint32_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000U, .tv_nsec = (long)(us % 1000000U) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t gp_now_us(void *ctx)
{
	return gpiod_mono_ns() / 1000U;
}

/* Host-driven cycles: SWCLK low with the data, SWCLK high. */
static void gp_seq_out(void *ctx, uint32_t bits, unsigned n)
{
	struct gpiod_pins *p = ctx;
	uint64_t t0;

	if (p->err || !n)
		return;
	t0 = gpiod_mono_ns();
	if (!p->out) {
		/* Nobody drives SWDIO: clock only. */
		for (unsigned i = 0; i < n && !p->err; i++) {
			gpiod_pace(p);
			gpiod_put_clk(p, 0);
			gpiod_pace(p);
			gpiod_put_clk(p, 1);
		}
	} else {
		for (unsigned i = 0; i < n && !p->err; i++, bits >>= 1) {
			int b = bits & 1;

			gpiod_pace(p);
			gpiod_put2(p, 0, b);
			gpiod_pace(p);
#if SWD_GPIOD_VERSION_MAJOR == 2
			gpiod_put2(p, 1, b);
#else
			gpiod_put_clk(p, 1);
#endif
		}
	}
	p->cycles += n;
	p->busy_ns += gpiod_mono_ns() - t0;
}

/* Target-driven cycles: SWCLK low, sample, SWCLK high. */
static uint32_t gp_seq_in(void *ctx, unsigned n)
{
	struct gpiod_pins *p = ctx;
	uint32_t v = 0;
	uint64_t t0;

	if (p->err)
		return n >= 32 ? UINT32_MAX : ((1U << n) - 1U);
	t0 = gpiod_mono_ns();
	for (unsigned i = 0; i < n; i++) {
		int b;

		gpiod_pace(p);
		gpiod_put_clk(p, 0);
		b = p->err ? 1 : gpiod_get_dio(p);
		v |= (uint32_t)b << i;
		gpiod_pace(p);
		gpiod_put_clk(p, 1);
	}
	p->cycles += n;
	p->busy_ns += gpiod_mono_ns() - t0;
	return v;
}

static int gp_status(void *ctx, struct sf_err *err)
{
	struct gpiod_pins *p = ctx;

	if (!p->err)
		return 0;
	return sf_err_set(err, p->err, "%s", p->errmsg);
}

static const char *gp_describe(void *ctx)
{
	struct gpiod_pins *p = ctx;
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
		 SWD_GPIOD_VERSION_MAJOR, gpiod_lib_version(), p->path, p->label, p->o.clk,
		 p->o.dio, rst, p->rst_note[0] ? " " : "", p->rst_note, speed);
	return p->desc;
}

static void gp_free(void *ctx)
{
	struct gpiod_pins *p = ctx;

	if (!p)
		return;
	gpiod_release(p);
	free(p);
}

static const struct swd_pins_ops gpiod_ops_rst = {
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

static const struct swd_pins_ops gpiod_ops_norst = {
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

int swd_pins_gpiod_open(const char *args, struct swd_pins *out, char *desc, size_t desclen,
			struct sf_err *err)
{
	struct gpiod_pins *p = calloc(1, sizeof(*p));
	int rc;

	memset(out, 0, sizeof(*out));
	if (!p)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	rc = gpiod_parse_opts(args, &p->o, err);
	if (rc)
		goto fail;
	rc = gpiod_find_chip(p, err);
	if (rc)
		goto fail;
	if (p->o.clk >= p->nlines || p->o.dio >= p->nlines ||
	    (p->o.rst != GPIOD_NONE && p->o.rst >= p->nlines)) {
		rc = sf_err_set(err, SF_E_ARG, "probe gpiod: %s [%s] has lines 0..%u only",
				 p->path, p->label, p->nlines ? p->nlines - 1 : 0);
		goto fail;
	}
	rc = gpiod_line_check(p, p->o.clk, "SWCLK", err);
	if (!rc)
		rc = gpiod_line_check(p, p->o.dio, "SWDIO", err);
	if (rc)
		goto fail;
	p->have_rst = p->o.rst != GPIOD_NONE;
	if (p->have_rst) {
		struct sf_err e2;

		sf_err_clear(&e2);
		if (gpiod_line_check(p, p->o.rst, "nRESET", &e2)) {
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
	rc = gpiod_request(p, err);
	if (rc)
		goto fail;
	if (p->o.max_hz)
		p->half_ns = 500000000U / p->o.max_hz;
	out->ops = p->have_rst ? &gpiod_ops_rst : &gpiod_ops_norst;
	out->ctx = p;
	out->out = 1;
	if (desc && desclen)
		snprintf(desc, desclen, "%s", gp_describe(p));
	return 0;
fail:
	gp_free(p);
	return rc;
}

#endif
