// SPDX-License-Identifier: GPL-2.0-or-later
/* clock: the host's monotonic clock and deadlines on it.
 *
 * Hardware polls use the probe's own clock (simulated time for the
 * simulator); this one is for threads, timeouts and rates on the host. */
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds, microseconds, milliseconds. */
int64_t clock_mono_ns(void);
int64_t clock_mono_us(void);
int64_t clock_mono_ms(void);

/* The CLOCK_MONOTONIC time ms from now, for pthread_cond_timedwait on a
 * condition variable created with pthread_condattr_setclock(CLOCK_MONOTONIC). */
void clock_deadline_after_ms(struct timespec *dl, unsigned ms);

#endif
