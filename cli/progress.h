// SPDX-License-Identifier: GPL-2.0-or-later
/* progress: the terminal side of the engine's progress callback.
 *
 * On a terminal: one redrawn line per phase with a bar, percent, KiB/s and
 * ETA (wall clock). Elsewhere: plain lines at the start of a phase, every
 * 25 percent and at the end, for phases of 64 KiB or more, so logs stay
 * short. */
#ifndef DAEMON_PROGRESS_H
#define DAEMON_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct progress;

/* tty: draw a bar (else plain lines). The caller keeps out open. */
struct progress *progress_new(FILE *out, int tty);
void progress_free(struct progress *p);
void progress_update(struct progress *p, const char *phase, uint64_t done, uint64_t total);
/* Finish the current line (before printing anything else). */
void progress_end(struct progress *p);

#endif
