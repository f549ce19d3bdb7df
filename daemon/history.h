// SPDX-License-Identifier: GPL-2.0-or-later
/* history: the durable job history, an append-only JSON-lines file
 * STATE_DIR/history.jsonl. Every state change of a job appends the whole
 * job object as one line and fsyncs it; the last line of a job id wins.
 *
 * history_open() reads the file back. Records of jobs that were queued or
 * running when the process died are returned with state "interrupted" (and
 * that is appended), so no job is lost or shown as running. A line that
 * is not a job object (a write cut short by a crash) is skipped with a
 * warning, and a file whose last line has no line end is rewritten before
 * anything is appended to it. The file is bounded: when it holds more than
 * 2 x max + 16 lines it is rewritten (common/fsutil.h: temporary file,
 * fsync, rename, directory fsync) with the last record of the newest max
 * jobs; it is also rewritten at every start that changed anything.
 *
 * A full disk: an append that fails (a short write, ENOSPC) is cut back to
 * the file's old size, so the file is as it was and no partial line is
 * left for the next record to be glued onto; the error is SF_E_NOSPACE.
 * A rewrite that fails (no room for the new file) leaves the old one in
 * use and is tried again at the next append: neither an append that
 * succeeded nor a start fails for it. */
#ifndef DAEMON_HISTORY_H
#define DAEMON_HISTORY_H

#include <jansson.h>

#include "../common/err.h"

struct history;

/* *records: array of the newest max job objects, oldest first.
 * *interrupted: how many were marked interrupted now. */
struct history *history_open(const char *state_dir, unsigned max, json_t **records,
			     unsigned *interrupted, struct sf_err *err);
void history_close(struct history *h);
void history_set_max(struct history *h, unsigned max);

/* Append one job object, fsync: 0 once the record is durable, else the
 * file is unchanged (SF_E_NOSPACE on a full disk, SF_E_IO). Thread-safe.
 * Compacts when needed using the records it has seen (it keeps the newest
 * max itself). */
int history_append(struct history *h, json_t *job, struct sf_err *err);

#endif
