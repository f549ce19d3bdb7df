// SPDX-License-Identifier: GPL-2.0-or-later
/* benchio: the bench's buttons and lamps on GPIO lines (libgpiod).
 *
 * Spec ([bench] gpio): "chip=gpiochip0,start=17,pass=22,fail=23,busy=27,
 * buzzer=5,start_active=low", every line optional (BCM numbers, offsets
 * of the chip). START is an input with edge events: active low with a
 * pull-up (a button to ground, the default) or start_active=high with a
 * pull-down. Debounced by the events' time stamps: pressed once it stayed
 * at the pressed level for debounce_ms, which is job_handsfree_start()
 * (with the board put back and already programmed, press it twice: START
 * then again is the API's); held down it counts once. PASS, FAIL and BUSY
 * are outputs, active high: BUSY while a board job runs, then PASS or
 * FAIL until the next board; the buzzer sounds buzzer_ms on FAIL.
 *
 * libgpiod 1.x and 2.x: daemon/benchio_be.h, one back end each. */
#ifndef DAEMON_BENCHIO_H
#define DAEMON_BENCHIO_H

#include "../common/err.h"
#include "job.h"

struct benchio;

struct benchio *benchio_open(const char *spec, unsigned debounce_ms, unsigned buzzer_ms,
			     struct job_mgr *m, struct sf_err *err);
void benchio_close(struct benchio *b);

#endif
