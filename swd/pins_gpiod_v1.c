// SPDX-License-Identifier: GPL-2.0-or-later
/* The libgpiod 1.6 back end of the gpiod pins driver (Debian 12 /
 * Raspberry Pi OS bookworm).
 *
 * The v1 uAPI applies GPIOHANDLE_SET_CONFIG_IOCTL to every line of a
 * handle, so SWCLK (always an output) and SWDIO (direction switched by
 * gpiod_line_set_config) are two handles: a host bit is SWCLK low, SWDIO
 * only when it changes, SWCLK high (2 or 3 calls); a target bit is SWCLK
 * low, one get-value, SWCLK high. nRESET is a third, open-drain handle
 * (the nRF52 pin has a pull-up). */
#include "pins_gpiod_be.h"

#if SWD_GPIOD_VERSION_MAJOR != 1
#error "swd/pins_gpiod_v1.c needs libgpiod 1.x (the Makefile picks the back end)"
#endif

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct swd_gpiod_be {
	struct gpiod_chip *chip;
	struct gpiod_line *lclk, *ldio, *lrst;
};

const char *swd_gpiod_be_lib_version(void)
{
	return gpiod_version_string();
}

struct swd_gpiod_be *swd_gpiod_be_open(const char *path, char *name, size_t nlen, char *label,
				       size_t llen, unsigned *nlines)
{
	struct swd_gpiod_be *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->chip = gpiod_chip_open(path);
	if (!b->chip) {
		int e = errno;

		free(b);
		errno = e;
		return NULL;
	}
	snprintf(name, nlen, "%s", gpiod_chip_name(b->chip));
	snprintf(label, llen, "%s", gpiod_chip_label(b->chip));
	*nlines = gpiod_chip_num_lines(b->chip);
	return b;
}

void swd_gpiod_be_close(struct swd_gpiod_be *b)
{
	if (!b)
		return;
	/* gpiod_chip_close releases every line requested through the chip. */
	if (b->chip)
		gpiod_chip_close(b->chip);
	free(b);
}

int swd_gpiod_be_line_check(struct swd_gpiod *p, unsigned off, const char *role,
			    struct sf_err *err)
{
	struct gpiod_line *l = gpiod_chip_get_line(p->be->chip, off);

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

int swd_gpiod_be_request(struct swd_gpiod *p, struct sf_err *err)
{
	struct swd_gpiod_be *b = p->be;

	b->lclk = gpiod_chip_get_line(b->chip, p->o.clk);
	b->ldio = gpiod_chip_get_line(b->chip, p->o.dio);
	if (!b->lclk || !b->ldio)
		return sf_err_set(err, SF_E_IO, "probe gpiod: lines %u/%u of %s: %s", p->o.clk,
				   p->o.dio, p->path, strerror(errno));
	if (gpiod_line_request_output(b->lclk, SWD_GPIOD_CONSUMER, 0) < 0 ||
	    gpiod_line_request_output(b->ldio, SWD_GPIOD_CONSUMER, 1) < 0)
		return sf_err_set(err, errno == EBUSY ? SF_E_BUSY : SF_E_IO,
				   "probe gpiod: requesting lines %u (SWCLK) and %u (SWDIO) of %s: %s",
				   p->o.clk, p->o.dio, p->path, strerror(errno));
	p->swclk = 0;
	p->swdio = 1;
	p->out = 1;
	if (p->have_rst) {
		b->lrst = gpiod_chip_get_line(b->chip, p->o.rst);
		if (!b->lrst || gpiod_line_request_output_flags(b->lrst, SWD_GPIOD_CONSUMER,
								GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN,
								1) < 0) {
			b->lrst = NULL;
			return sf_err_set(err, errno == EBUSY ? SF_E_BUSY : SF_E_IO,
					   "probe gpiod: requesting line %u (nRESET) of %s: %s",
					   p->o.rst, p->path, strerror(errno));
		}
	}
	return 0;
}

void swd_gpiod_be_put_clk(struct swd_gpiod *p, int clk)
{
	if (gpiod_line_set_value(p->be->lclk, clk) < 0)
		swd_gpiod_fail(p, "GPIOHANDLE_SET_LINE_VALUES_IOCTL", "setting SWCLK (line %u)",
			       p->o.clk);
	p->swclk = clk;
}

/* Two handles: SWCLK first (so data never changes with SWCLK high), SWDIO
 * only when its level changes. */
void swd_gpiod_be_put2(struct swd_gpiod *p, int clk, int dio)
{
	if (clk != p->swclk)
		swd_gpiod_be_put_clk(p, clk);
	if (dio != p->swdio && gpiod_line_set_value(p->be->ldio, dio) < 0)
		swd_gpiod_fail(p, "GPIOHANDLE_SET_LINE_VALUES_IOCTL", "setting SWDIO (line %u)",
			       p->o.dio);
	p->swdio = dio;
}

int swd_gpiod_be_get_dio(struct swd_gpiod *p)
{
	int v = gpiod_line_get_value(p->be->ldio);

	if (v < 0) {
		swd_gpiod_fail(p, "GPIOHANDLE_GET_LINE_VALUES_IOCTL", "reading SWDIO (line %u)",
			       p->o.dio);
		return 1;
	}
	return v;
}

void swd_gpiod_be_set_dir(struct swd_gpiod *p, int output)
{
	struct gpiod_line *l = p->be->ldio;
	int rc = output ? gpiod_line_set_config(l, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, 0,
						p->swdio)
			: gpiod_line_set_config(l, GPIOD_LINE_REQUEST_DIRECTION_INPUT, 0, 0);

	if (rc < 0)
		swd_gpiod_fail(p, "GPIOHANDLE_SET_CONFIG_IOCTL", "making SWDIO (line %u) an %s",
			       p->o.dio, output ? "output" : "input");
}

int swd_gpiod_be_put_rst(struct swd_gpiod *p, int level)
{
	if (gpiod_line_set_value(p->be->lrst, level) < 0) {
		swd_gpiod_fail(p, "GPIOHANDLE_SET_LINE_VALUES_IOCTL", "setting nRESET (line %u)",
			       p->o.rst);
		return p->err;
	}
	return 0;
}
