// SPDX-License-Identifier: GPL-2.0-or-later
/* swd_pins_vcd: a pins driver that records SWCLK/SWDIO of another driver
 * as a VCD file, for logic-analyser tools (sigrok's SWD decoder).
 *
 * Each cycle is drawn as: falling edge, host bit 100 ns later, rising edge
 * at half period, target bit at three quarters (target bits are only known
 * once the host samples them after the next falling edge, so the falling
 * edge is written late). The wrapper drives the inner driver bit by bit. */
#ifndef SWD_PINS_VCD_H
#define SWD_PINS_VCD_H

#include <stdio.h>

#include "pins.h"

extern const struct swd_pins_ops swd_pins_vcd_ops;

/* Wraps inner (borrowed: freeing the wrapper closes the file only). */
void *swd_pins_vcd_new(const struct swd_pins_ops *inner_ops, void *inner_ctx, FILE *out,
		       unsigned period_ns);

#endif
