// SPDX-License-Identifier: GPL-2.0-or-later
/* swd_pins_gpiod: SWD pins on a Linux GPIO chip through libgpiod (v1 or v2). */
#ifndef SWD_PINS_GPIOD_H
#define SWD_PINS_GPIOD_H

#include <stddef.h>

#include "pins.h"
#include "../common/err.h"

/* args: "chip=auto,swclk=25,swdio=24,nreset=18,max_hz=N" (all optional).
 * Fills out->ops/ctx and a one-line description of what was opened. */
int swd_pins_gpiod_open(const char *args, struct swd_pins *out, char *desc, size_t desclen,
			struct sf_err *err);

/* Lines held for another pins driver (swd/pins_gpiomem.c): the same spec,
 * chip search, busy-line checks and requests as swd_pins_gpiod_open(), so
 * gpioinfo shows consumer "swdflashd" while that driver writes the
 * registers. The holder moves no line after the request. */
struct swd_gpiod_hold {
	uint32_t clk, dio, rst;   /* rst: UINT32_MAX when not used */
	uint32_t max_hz;
	int max_hz_set;           /* max_hz= was given */
	char path[300], label[64];
	char rst_note[160];       /* why the default nRESET is not used, or "" */
	void *priv;
};
/* Which GPIO chip chip=auto picks (the Raspberry Pi header's controller,
 * by label), without requesting a line: its path and label, or the error
 * --probe gpiod would report. */
int swd_gpiod_find_header(char *path, size_t pathlen, char *label, size_t labellen,
			  struct sf_err *err);
int swd_gpiod_hold_lines(const char *args, struct swd_gpiod_hold *h, struct sf_err *err);
void swd_gpiod_hold_release(struct swd_gpiod_hold *h);

#endif
