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

#endif
