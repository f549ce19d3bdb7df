// SPDX-License-Identifier: GPL-2.0-or-later
/* The libgpiod 2.x back end of the gpiod pins driver (Debian 13 / trixie).
 *
 * SWCLK and SWDIO are one line request: a host bit is two set-values
 * calls (SWCLK low + data, SWCLK high), a target bit is SWCLK low, one
 * get-values, SWCLK high. SWDIO direction changes reconfigure the request
 * (GPIO_V2_LINE_SET_CONFIG_IOCTL) with one of two prepared line configs,
 * never release and re-request. nRESET is a separate open-drain request
 * (the nRF52 pin has a pull-up). */
#include "pins_gpiod_be.h"

#if SWD_GPIOD_VERSION_MAJOR != 2
#error "swd/pins_gpiod_v2.c needs libgpiod 2.x (the Makefile picks the back end)"
#endif

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct swd_gpiod_be {
	struct gpiod_chip *chip;
	struct gpiod_line_request *req, *rst_req;
	struct gpiod_line_config *cfg_out, *cfg_in;
	unsigned idx_clk, idx_dio; /* positions in the request's offset order */
};

const char *swd_gpiod_be_lib_version(void)
{
	return gpiod_api_version();
}

struct swd_gpiod_be *swd_gpiod_be_open(const char *path, char *name, size_t nlen, char *label,
				       size_t llen, unsigned *nlines)
{
	struct swd_gpiod_be *b = calloc(1, sizeof(*b));
	struct gpiod_chip_info *info;
	int e;

	if (!b)
		return NULL;
	b->chip = gpiod_chip_open(path);
	if (!b->chip)
		goto fail;
	info = gpiod_chip_get_info(b->chip);
	if (!info)
		goto fail;
	snprintf(name, nlen, "%s", gpiod_chip_info_get_name(info));
	snprintf(label, llen, "%s", gpiod_chip_info_get_label(info));
	*nlines = (unsigned)gpiod_chip_info_get_num_lines(info);
	gpiod_chip_info_free(info);
	return b;
fail:
	e = errno;
	swd_gpiod_be_close(b);
	errno = e;
	return NULL;
}

void swd_gpiod_be_close(struct swd_gpiod_be *b)
{
	if (!b)
		return;
	if (b->req)
		gpiod_line_request_release(b->req);
	if (b->rst_req)
		gpiod_line_request_release(b->rst_req);
	gpiod_line_config_free(b->cfg_out);
	gpiod_line_config_free(b->cfg_in);
	if (b->chip)
		gpiod_chip_close(b->chip);
	free(b);
}

int swd_gpiod_be_line_check(struct swd_gpiod *p, unsigned off, const char *role,
			    struct sf_err *err)
{
	struct gpiod_line_info *li = gpiod_chip_get_line_info(p->be->chip, off);
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

int swd_gpiod_be_request(struct swd_gpiod *p, struct sf_err *err)
{
	struct swd_gpiod_be *b = p->be;
	struct gpiod_line_settings *s = gpiod_line_settings_new();
	struct gpiod_request_config *rc = gpiod_request_config_new();
	int ret = 0;

	b->cfg_out = gpiod_line_config_new();
	b->cfg_in = gpiod_line_config_new();
	if (!s || !rc || !b->cfg_out || !b->cfg_in) {
		ret = sf_err_set(err, SF_E_NOMEM, "probe gpiod: out of memory");
		goto out;
	}
	gpiod_request_config_set_consumer(rc, SWD_GPIOD_CONSUMER);

	/* Output configuration: SWCLK low, SWDIO high (both driven). */
	gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT);
	gpiod_line_settings_set_output_value(s, GPIOD_LINE_VALUE_INACTIVE);
	if (gpiod_line_config_add_line_settings(b->cfg_out, &p->o.clk, 1, s) ||
	    gpiod_line_config_add_line_settings(b->cfg_in, &p->o.clk, 1, s))
		goto nomem;
	gpiod_line_settings_set_output_value(s, GPIOD_LINE_VALUE_ACTIVE);
	if (gpiod_line_config_add_line_settings(b->cfg_out, &p->o.dio, 1, s))
		goto nomem;
	/* Input configuration: SWCLK stays an output, SWDIO an input. */
	gpiod_line_settings_reset(s);
	gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT);
	if (gpiod_line_config_add_line_settings(b->cfg_in, &p->o.dio, 1, s))
		goto nomem;

	b->req = gpiod_chip_request_lines(b->chip, rc, b->cfg_out);
	if (!b->req) {
		ret = sf_err_set(err, errno == EBUSY ? SF_E_BUSY : SF_E_IO,
				  "probe gpiod: requesting lines %u (SWCLK) and %u (SWDIO) of %s: %s",
				  p->o.clk, p->o.dio, p->path, strerror(errno));
		goto out;
	}
	{
		unsigned offs[2];

		if (gpiod_line_request_get_requested_offsets(b->req, offs, 2) != 2) {
			ret = sf_err_set(err, SF_E_IO, "probe gpiod: line request has %zu lines",
					  gpiod_line_request_get_num_requested_lines(b->req));
			goto out;
		}
		b->idx_clk = offs[0] == p->o.clk ? 0 : 1;
		b->idx_dio = 1 - b->idx_clk;
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
		b->rst_req = gpiod_chip_request_lines(b->chip, rc, lc);
		gpiod_line_config_free(lc);
		if (!b->rst_req)
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

static inline enum gpiod_line_value gpv2_value(int x)
{
	return x ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
}

/* SWCLK and SWDIO in one call (SWDIO must be an output). */
void swd_gpiod_be_put2(struct swd_gpiod *p, int clk, int dio)
{
	struct swd_gpiod_be *b = p->be;
	enum gpiod_line_value v[2];

	v[b->idx_clk] = gpv2_value(clk);
	v[b->idx_dio] = gpv2_value(dio);
	if (gpiod_line_request_set_values(b->req, v) < 0)
		swd_gpiod_fail(p, "GPIO_V2_LINE_SET_VALUES_IOCTL",
			       "setting SWCLK (line %u) and SWDIO (line %u)", p->o.clk, p->o.dio);
	p->swclk = clk;
	p->swdio = dio;
}

void swd_gpiod_be_put_clk(struct swd_gpiod *p, int clk)
{
	if (gpiod_line_request_set_value(p->be->req, p->o.clk, gpv2_value(clk)) < 0)
		swd_gpiod_fail(p, "GPIO_V2_LINE_SET_VALUES_IOCTL", "setting SWCLK (line %u)",
			       p->o.clk);
	p->swclk = clk;
}

int swd_gpiod_be_get_dio(struct swd_gpiod *p)
{
	int v = gpiod_line_request_get_value(p->be->req, p->o.dio);

	if (v < 0) {
		swd_gpiod_fail(p, "GPIO_V2_LINE_GET_VALUES_IOCTL", "reading SWDIO (line %u)",
			       p->o.dio);
		return 1;
	}
	return v == GPIOD_LINE_VALUE_ACTIVE;
}

void swd_gpiod_be_set_dir(struct swd_gpiod *p, int output)
{
	struct swd_gpiod_be *b = p->be;
	struct gpiod_line_config *lc = output ? b->cfg_out : b->cfg_in;
	enum gpiod_line_value v[2];

	/* Keep the levels: SWCLK as it is, SWDIO as last driven. */
	v[b->idx_clk] = gpv2_value(p->swclk);
	v[b->idx_dio] = gpv2_value(p->swdio);
	if (gpiod_line_config_set_output_values(lc, v, 2) < 0)
		swd_gpiod_fail(p, "gpiod_line_config_set_output_values",
			       "making SWDIO (line %u) an %s", p->o.dio, output ? "output" : "input");
	else if (gpiod_line_request_reconfigure_lines(b->req, lc) < 0)
		swd_gpiod_fail(p, "GPIO_V2_LINE_SET_CONFIG_IOCTL",
			       "making SWDIO (line %u) an %s", p->o.dio, output ? "output" : "input");
}

int swd_gpiod_be_put_rst(struct swd_gpiod *p, int level)
{
	if (gpiod_line_request_set_value(p->be->rst_req, p->o.rst, gpv2_value(level)) < 0) {
		swd_gpiod_fail(p, "GPIO_V2_LINE_SET_VALUES_IOCTL", "setting nRESET (line %u)",
			       p->o.rst);
		return p->err;
	}
	return 0;
}
