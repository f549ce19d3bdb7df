// SPDX-License-Identifier: GPL-2.0-or-later
/* benchio: the bench's buttons and lamps on GPIO lines (libgpiod).
 *
 * Spec ([bench] gpio): "chip=gpiochip0,start=17,pass=22,fail=23,busy=27,
 * buzzer=5", every line optional (BCM numbers, offsets of the chip). START
 * is an input with a pull-up, active low (a button to ground); pressed
 * once its level stayed low for debounce_ms (sampled every 5 ms), which
 * is job_handsfree_start() (with the board put back and already
 * programmed, press it twice: START then again is the API's). PASS, FAIL
 * and BUSY are outputs, active high: BUSY while a board job runs, then
 * PASS or FAIL until the next board; the buzzer sounds buzzer_ms on FAIL.
 *
 * The button is sampled, not taken from edge events, so the same code
 * works on every libgpiod and on the emulated chip. */
#ifndef DAEMON_BENCHIO_H
#define DAEMON_BENCHIO_H

#include "../common/err.h"
#include "job.h"

struct benchio;

struct benchio *benchio_open(const char *spec, unsigned debounce_ms, unsigned buzzer_ms,
			     struct job_mgr *m, struct sf_err *err);
void benchio_close(struct benchio *b);

#endif
