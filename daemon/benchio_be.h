// SPDX-License-Identifier: GPL-2.0-or-later
/* benchio's GPIO back end, one per libgpiod API: daemon/benchio_gpiod_v1.c
 * (libgpiod 1.6) and daemon/benchio_gpiod_v2.c (2.x). Each file compiles
 * to nothing unless SWD_GPIOD_VERSION_MAJOR (from pkg-config, as for
 * swd/pins_gpiod_v*.c) names its API. Not for use outside benchio.
 *
 * START is requested as an input with edge events on both edges, active
 * low with a pull-up (a button to ground) or active high with a
 * pull-down, so that a rising edge of the logical value is a press. */
#ifndef DAEMON_BENCHIO_BE_H
#define DAEMON_BENCHIO_BE_H

#include <stdint.h>

#include "../common/err.h"

#define BENCHIO_CONSUMER "swdflashd-bench"

enum { IO_START, IO_PASS, IO_FAIL, IO_BUSY, IO_BUZZER, IO_N };

struct benchio_be;

struct benchio_edge {
	int64_t ts_ns; /* the event's time stamp (the kernel's clock) */
	int pressed;   /* 1: to the pressed level, 0: released */
};

/* off[i] < 0: line i not wired. */
int benchio_be_open(struct benchio_be **out, const char *chip, const int off[IO_N],
		    int start_active_high, struct sf_err *err);
void benchio_be_close(struct benchio_be *be);
/* An output on (1) or off (0); -1 with errno on failure. */
int benchio_be_set(struct benchio_be *be, int io, int on);
/* START's level now: 1 pressed, 0 released, -1 with errno. */
int benchio_be_pressed(struct benchio_be *be);
/* Wait up to timeout_ns for START's edge events: 1 some are pending, 0
 * none, -1 with errno. */
int benchio_be_wait(struct benchio_be *be, int64_t timeout_ns);
/* Read up to max pending events, oldest first: how many, -1 with errno. */
int benchio_be_read(struct benchio_be *be, struct benchio_edge *ev, int max);
/* "libgpiod 1.6.3" or the like, for the log. */
const char *benchio_be_version(void);

#endif
