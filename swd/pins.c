// SPDX-License-Identifier: GPL-2.0-or-later
#include "pins.h"

void swd_pins_dir(struct swd_pins *p, int output)
{
	if (p->out != output) {
		p->ops->dir(p->ctx, output);
		p->out = output;
	}
}

/* Generic sequences over the bit ops: host bits are set with SWCLK low and
 * sampled by the target on the rising edge; target bits are read after the
 * falling edge, before the next rising edge. */
void swd_pins_seq_out(struct swd_pins *p, uint32_t bits, unsigned n)
{
	if (p->ops->seq_out) {
		p->ops->seq_out(p->ctx, bits, n);
		return;
	}
	for (unsigned i = 0; i < n; i++, bits >>= 1) {
		p->ops->set(p->ctx, 0, bits & 1);
		p->ops->set(p->ctx, 1, bits & 1);
	}
}

uint32_t swd_pins_seq_in(struct swd_pins *p, unsigned n)
{
	uint32_t v = 0;

	if (p->ops->seq_in)
		return p->ops->seq_in(p->ctx, n);
	for (unsigned i = 0; i < n; i++) {
		p->ops->set(p->ctx, 0, 1);
		v |= (uint32_t)(p->ops->get(p->ctx) & 1) << i;
		p->ops->set(p->ctx, 1, 1);
	}
	return v;
}

/* Turnaround: clock with SWDIO released but do not sample it, which saves
 * a read per cycle on drivers where every access is a system call. */
void swd_pins_turnaround(struct swd_pins *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		p->ops->set(p->ctx, 0, 1);
		p->ops->set(p->ctx, 1, 1);
	}
}
