// SPDX-License-Identifier: GPL-2.0-or-later
/* The libgpiod pins driver inside: what swd/pins_gpiod.c (spec parsing,
 * chip=auto by label, max_hz pacing, the ops, describe) shares with its
 * back end, one per libgpiod API: swd/pins_gpiod_v1.c (libgpiod 1.6) or
 * swd/pins_gpiod_v2.c (2.x). The Makefile builds the one that pkg-config's
 * libgpiod version names (SWD_GPIOD_VERSION_MAJOR). Not for use outside
 * the driver.
 *
 * Framing (sim/sim.h): the host changes SWDIO while SWCLK is low; the
 * target is sampled after the falling edge; every cycle ends with SWCLK
 * high. Each back-end call below that moves or reads a line is one ioctl. */
#ifndef SWD_PINS_GPIOD_BE_H
#define SWD_PINS_GPIOD_BE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define SWD_GPIOD_CONSUMER "swdflashd"
#define SWD_GPIOD_NONE UINT32_MAX /* no nRESET line */

struct swd_gpiod_opts {
	char chip[128];
	uint32_t clk, dio, rst;
	int rst_explicit;
	uint32_t max_hz;
	int max_hz_set;
};

/* The back end's chip and line handles. */
struct swd_gpiod_be;

struct swd_gpiod {
	struct swd_gpiod_opts o;
	char path[300], name[64], label[64];
	unsigned nlines;
	int have_rst;
	char rst_note[160];

	int swclk, swdio, out; /* levels last driven, SWDIO direction */
	int out_pending;       /* out, but SWDIO is still an input: the direction
	                          call waits for the first level to drive */
	uint64_t half_ns;      /* pacing: minimum time between edges, 0 = off */
	uint64_t next_edge_ns;
	uint64_t cycles, busy_ns; /* bulk-op cycles and the time they took */

	int err;               /* sticky: first failed GPIO call */
	char errmsg[640];     /* what status() reports (sf_err cuts it to fit) */
	char desc[800];

	struct swd_gpiod_be *be;
};

/* Record the first failed GPIO call for status(): the call (the ioctl it
 * makes), what it was doing on which line (printf-style), and errno, read
 * here, so call it straight after the failing call. The first error
 * sticks: after it the ops drive nothing and read 1s. */
void swd_gpiod_fail(struct swd_gpiod *p, const char *call, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- implemented by the back end ---- */

/* libgpiod's own version string. */
const char *swd_gpiod_be_lib_version(void);
/* Open the chip at path and read its name, label and line count; NULL
 * with errno set when it is no usable chip. */
struct swd_gpiod_be *swd_gpiod_be_open(const char *path, char *name, size_t nlen, char *label,
				       size_t llen, unsigned *nlines);
/* Release what was requested and close the chip (b may be NULL). */
void swd_gpiod_be_close(struct swd_gpiod_be *b);
/* 0 when line off is free; SF_E_BUSY naming its consumer otherwise. */
int swd_gpiod_be_line_check(struct swd_gpiod *p, unsigned off, const char *role,
			    struct sf_err *err);
/* Request SWCLK (output, low), SWDIO (output, high) and, when p->have_rst,
 * nRESET (open drain, released); sets p->swclk, p->swdio, p->out. */
int swd_gpiod_be_request(struct swd_gpiod *p, struct sf_err *err);
/* SWCLK and SWDIO (an output) to these levels; updates p->swclk/swdio. */
void swd_gpiod_be_put2(struct swd_gpiod *p, int clk, int dio);
/* SWCLK alone; updates p->swclk. */
void swd_gpiod_be_put_clk(struct swd_gpiod *p, int clk);
/* Sample SWDIO (an input); 1 when the call fails. */
int swd_gpiod_be_get_dio(struct swd_gpiod *p);
/* SWDIO direction, keeping SWCLK and the last driven SWDIO level. */
void swd_gpiod_be_set_dir(struct swd_gpiod *p, int output);
/* nRESET level; 0 or p->err. */
int swd_gpiod_be_put_rst(struct swd_gpiod *p, int level);

#endif
