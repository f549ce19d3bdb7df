// SPDX-License-Identifier: GPL-2.0-or-later
/* Pins driver for the simulated chip: every operation is a pin change on
 * sim/, and time passes in simulated nanoseconds instead of sleeping. */
#include "pins_sim.h"

#include <stdlib.h>

#include "../sim/sim.h"

struct pins_sim {
	struct sim_chip *chip;
	int swclk, swdio, out;
};

static void ps_set(void *ctx, int swclk, int swdio)
{
	struct pins_sim *p = ctx;

	p->swclk = swclk;
	p->swdio = swdio;
	sim_wire(p->chip, swclk, swdio, p->out);
}

static int ps_get(void *ctx)
{
	return sim_swdio(((struct pins_sim *)ctx)->chip);
}

static void ps_dir(void *ctx, int output)
{
	struct pins_sim *p = ctx;

	p->out = output;
	sim_wire(p->chip, p->swclk, p->swdio, output);
}

static int ps_nreset(void *ctx, int level)
{
	sim_nreset(((struct pins_sim *)ctx)->chip, level);
	return 0;
}

static void ps_delay_us(void *ctx, uint32_t us)
{
	sim_delay_ns(((struct pins_sim *)ctx)->chip, (uint64_t)us * 1000U);
}

static uint64_t ps_now_us(void *ctx)
{
	return sim_time_ns(((struct pins_sim *)ctx)->chip) / 1000U;
}

/* The bulk ops end with SWCLK high, like the bit-op framing. */
static void ps_seq_out(void *ctx, uint32_t bits, unsigned n)
{
	struct pins_sim *p = ctx;

	sim_seq_out(p->chip, bits, n);
	p->swclk = 1;
	p->swdio = (bits >> (n - 1)) & 1;
}

static uint32_t ps_seq_in(void *ctx, unsigned n)
{
	struct pins_sim *p = ctx;

	p->swclk = 1;
	return sim_seq_in(p->chip, n);
}

static void ps_free(void *ctx)
{
	free(ctx);
}

const struct swd_pins_ops swd_pins_sim_ops = {
	.set = ps_set,
	.get = ps_get,
	.dir = ps_dir,
	.nreset = ps_nreset,
	.delay_us = ps_delay_us,
	.now_us = ps_now_us,
	.seq_out = ps_seq_out,
	.seq_in = ps_seq_in,
	.free = ps_free,
};

void *swd_pins_sim_new(struct sim_chip *chip)
{
	struct pins_sim *p = calloc(1, sizeof(*p));

	if (p) {
		p->chip = chip;
		p->out = 1;
	}
	return p;
}
