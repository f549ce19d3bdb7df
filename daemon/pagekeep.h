// SPDX-License-Identifier: GPL-2.0-or-later
/* pagekeep: the engine's keeper (nrf52/nrf52_preserve.h) in files. A page
 * the engine is about to erase with bytes outside the image is written to
 * DIR/<DEVICEID 16 hex>-<ADDR 8 hex>.page before the erase: a header
 * (magic, version, device ID, address, size), the page's bytes, the mask
 * of bytes to restore, and the SHA-256 of all that; written as a
 * temporary file, fsync'ed, renamed, directory fsync'ed (common/fsutil.h),
 * so a kill -9 or a power loss leaves it whole or absent, never torn.
 * The daemon keeps them in STATE_DIR/keep, the CLI beside the image
 * (IMAGE.keep/). A file that fails its checksum is an error naming it:
 * the job does not go on as if nothing was kept. */
#ifndef DAEMON_PAGEKEEP_H
#define DAEMON_PAGEKEEP_H

#include "../common/err.h"
#include "../nrf52/nrf52_preserve.h"

struct pagekeep;

/* dir (and its parents, mode 0700) is created with the first kept page. */
struct pagekeep *pagekeep_open(const char *dir, struct sf_err *err);
void pagekeep_free(struct pagekeep *k);
/* The keeper to hand to nrf52_set_keeper(); it lives as long as k. */
const struct nrf52_keeper *pagekeep_keeper(struct pagekeep *k);
/* An explicit erase or recover of the chip destroyed its contents on
 * purpose: drop its kept pages, so no later flash writes them back.
 * Returns how many were dropped. */
unsigned pagekeep_forget_chip(struct pagekeep *k, uint64_t device_id);
/* How many pages are kept now (for any chip; tests, the log). */
unsigned pagekeep_count(struct pagekeep *k);

#endif
