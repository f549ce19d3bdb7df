// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared helpers for the Check suites: a simulated chip behind a real
 * probe stack (sim pins -> SWD link -> DAP). */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ck_run.h"
#include "sim/sim.h"
#include "swd/pins_sim.h"
#include "swd/probe.h"

/* Open "sim:<spec>" or fail the test with the message. */
static inline struct swd_probe *tu_probe(const char *spec)
{
	struct swd_probe *p = NULL;
	struct sf_err err = { 0 };
	char full[256];

	snprintf(full, sizeof(full), "sim:%s", spec);
	int rc = swd_probe_open(full, &p, &err);
	ck_assert_msg(rc == 0, "probe %s: %s", full, err.msg);
	return p;
}


/* A scripted pins driver over the simulated chip (a fake at the pins seam,
 * as probe-rs tests its wire layer with a scripted probe). It counts clock
 * cycles (one per SWCLK-low phase; it has no bulk ops, so the link's bit
 * framing gives every cycle one) and, on cycles set by the test:
 *  - inverts the host's SWDIO level (tu_pins_flip_at): a wire glitch in the
 *    host-to-target direction (sim_fault_flip_cycle() is the other one);
 *  - starts failing with an errno (tu_pins_fail_at), as swd/pins_gpiod.c
 *    does after a failed ioctl: from that cycle on nothing reaches the
 *    pins, get() reads 1 (a floating line, as a failed read returns),
 *    nreset() fails and status() reports SF_E_IO with a message that
 *    names the cycle and strerror(errno).
 * Zeroed memory with inner set is a valid driver (calloc, then
 * inner = swd_pins_sim_new(chip)); ops->free frees both. */
struct tu_pins {
	void *inner;                 /* the swd_pins_sim context */
	uint64_t cycle;              /* cycles clocked so far */
	uint64_t flip_at, fail_at;   /* absolute cycle numbers, 0 = never */
	int fail_errno;
	int failed;
	char msg[160];
};

static inline void tu_pins_set(void *ctx, int clk, int dio)
{
	struct tu_pins *f = ctx;

	if (f->failed)
		return;
	if (!clk) {
		++f->cycle;
		if (f->cycle == f->fail_at) {
			f->failed = 1;
			snprintf(f->msg, sizeof(f->msg), "tu_pins: set-values on cycle %llu failed: %s",
				 (unsigned long long)f->cycle, strerror(f->fail_errno));
			return;
		}
		if (f->cycle == f->flip_at)
			dio = !dio;
	}
	swd_pins_sim_ops.set(f->inner, clk, dio);
}
static inline int tu_pins_get(void *ctx)
{
	struct tu_pins *f = ctx;

	return f->failed ? 1 : swd_pins_sim_ops.get(f->inner);
}
static inline void tu_pins_dir(void *ctx, int o)
{
	struct tu_pins *f = ctx;

	if (!f->failed)
		swd_pins_sim_ops.dir(f->inner, o);
}
static inline int tu_pins_nreset(void *ctx, int level)
{
	struct tu_pins *f = ctx;

	return f->failed ? SF_E_IO : swd_pins_sim_ops.nreset(f->inner, level);
}
static inline void tu_pins_delay(void *ctx, uint32_t us)
{
	swd_pins_sim_ops.delay_us(((struct tu_pins *)ctx)->inner, us);
}
static inline uint64_t tu_pins_now(void *ctx)
{
	return swd_pins_sim_ops.now_us(((struct tu_pins *)ctx)->inner);
}
static inline int tu_pins_status(void *ctx, struct sf_err *err)
{
	struct tu_pins *f = ctx;

	return f->failed ? sf_err_set(err, SF_E_IO, "%s", f->msg) : 0;
}
static inline void tu_pins_free(void *ctx)
{
	struct tu_pins *f = ctx;

	swd_pins_sim_ops.free(f->inner);
	free(f);
}
static inline const struct swd_pins_ops *tu_pins_ops(void)
{
	static const struct swd_pins_ops ops = {
		.set = tu_pins_set, .get = tu_pins_get, .dir = tu_pins_dir,
		.nreset = tu_pins_nreset, .delay_us = tu_pins_delay, .now_us = tu_pins_now,
		.status = tu_pins_status, .free = tu_pins_free,
	};
	return &ops;
}

/* A new scripted driver over chip (freed by ops->free, the chip is not). */
static inline struct tu_pins *tu_pins_new(struct sim_chip *chip)
{
	struct tu_pins *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->inner = swd_pins_sim_new(chip);
	ck_assert_ptr_nonnull(f->inner);
	return f;
}

/* Invert the host's SWDIO on the nth cycle from now (1 = the next). */
static inline void tu_pins_flip_at(struct tu_pins *f, uint64_t nth)
{
	f->flip_at = f->cycle + nth;
}

/* Fail every GPIO operation from the nth cycle from now on, with errno e. */
static inline void tu_pins_fail_at(struct tu_pins *f, uint64_t nth, int e)
{
	f->fail_at = f->cycle + nth;
	f->fail_errno = e;
}

#endif
