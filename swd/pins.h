// SPDX-License-Identifier: GPL-2.0-or-later
/* swd_pins: how SWCLK, SWDIO and nRESET move. Knows nothing of packets.
 *
 * A driver fills struct swd_pins_ops. set/get/dir are mandatory; a fast
 * driver also provides seq_out/seq_in (BMP-style bulk bit sequences), which
 * the link layer prefers. swd_pins_seq_out()/swd_pins_seq_in() dispatch to
 * the driver's bulk op or fall back to the bit ops with the framing
 * described in sim/sim.h. */
#ifndef SWD_PINS_H
#define SWD_PINS_H

#include <stdint.h>

#include "../common/err.h"

struct swd_pins_ops {
	/* Drive SWCLK and, when SWDIO is an output, SWDIO in one operation. */
	void (*set)(void *ctx, int swclk, int swdio);
	/* Sample SWDIO. */
	int (*get)(void *ctx);
	/* SWDIO direction: 1 = host drives, 0 = input. */
	void (*dir)(void *ctx, int output);
	/* nRESET level (0 = asserted); NULL when no reset line is wired. */
	int (*nreset)(void *ctx, int level);
	/* Let time pass: real drivers sleep, the simulator advances its clock. */
	void (*delay_us)(void *ctx, uint32_t us);
	/* Monotonic microseconds in the driver's time base (simulated or real). */
	uint64_t (*now_us)(void *ctx);
	/* Optional bulk ops: n <= 32 bits, LSB first. */
	void (*seq_out)(void *ctx, uint32_t bits, unsigned n);
	uint32_t (*seq_in)(void *ctx, unsigned n);
	/* Optional: a sticky driver error (ioctl failed); 0 when fine. */
	int (*status)(void *ctx, struct sf_err *err);
	/* Optional: one line describing the driver ("gpiod v2 /dev/gpiochip0 ..."). */
	const char *(*describe)(void *ctx);
	void (*free)(void *ctx);
};

struct swd_pins {
	const struct swd_pins_ops *ops;
	void *ctx;
	int out;  /* current SWDIO direction, cached so dir() is called on change only */
};

void swd_pins_dir(struct swd_pins *p, int output);
void swd_pins_seq_out(struct swd_pins *p, uint32_t bits, unsigned n);
uint32_t swd_pins_seq_in(struct swd_pins *p, unsigned n);
/* n cycles with SWDIO released and not sampled (host must not drive). */
void swd_pins_turnaround(struct swd_pins *p, unsigned n);

#endif
