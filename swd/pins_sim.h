// SPDX-License-Identifier: GPL-2.0-or-later
/* swd_pins_sim: the pins driver for the in-process simulated nRF52. */
#ifndef SWD_PINS_SIM_H
#define SWD_PINS_SIM_H

#include "pins.h"

struct sim_chip;

extern const struct swd_pins_ops swd_pins_sim_ops;

/* A driver context for chip; ops->free frees the context, not the chip. */
void *swd_pins_sim_new(struct sim_chip *chip);

#endif
