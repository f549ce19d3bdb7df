/* Shared helpers for the Check suites: a simulated chip behind a real
 * probe stack (sim pins -> SWD link -> DAP). */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

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


/* A pins driver over the simulated chip that inverts the host's SWDIO
 * level on one cycle (1-based, counted from when flip_at is set): a wire
 * glitch in the host-to-target direction. (sim_fault_flip_cycle() is the
 * other direction.) */
struct tu_flip {
	void *inner;
	uint64_t cycle, flip_at;
};

static inline void tu_flip_set(void *ctx, int clk, int dio)
{
	struct tu_flip *f = ctx;

	if (!clk && ++f->cycle == f->flip_at)
		dio = !dio;
	swd_pins_sim_ops.set(f->inner, clk, dio);
}
static inline int tu_flip_get(void *ctx)
{
	return swd_pins_sim_ops.get(((struct tu_flip *)ctx)->inner);
}
static inline void tu_flip_dir(void *ctx, int o)
{
	swd_pins_sim_ops.dir(((struct tu_flip *)ctx)->inner, o);
}
static inline void tu_flip_delay(void *ctx, uint32_t us)
{
	swd_pins_sim_ops.delay_us(((struct tu_flip *)ctx)->inner, us);
}
static inline uint64_t tu_flip_now(void *ctx)
{
	return swd_pins_sim_ops.now_us(((struct tu_flip *)ctx)->inner);
}
static inline void tu_flip_free(void *ctx)
{
	struct tu_flip *f = ctx;

	swd_pins_sim_ops.free(f->inner);
	free(f);
}
static inline const struct swd_pins_ops *tu_flip_ops(void)
{
	static const struct swd_pins_ops ops = {
		.set = tu_flip_set, .get = tu_flip_get, .dir = tu_flip_dir,
		.delay_us = tu_flip_delay, .now_us = tu_flip_now, .free = tu_flip_free,
	};
	return &ops;
}

/* Arm the glitch: the nth host-driven or clocked cycle from now. */
static inline void tu_flip_arm(struct tu_flip *f, uint64_t nth)
{
	f->cycle = 0;
	f->flip_at = nth;
}

/* Run one suite; exit status is the number of failures (0 = pass). */
static inline int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
