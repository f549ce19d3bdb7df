// SPDX-License-Identifier: GPL-2.0-or-later
/* instance: one daemon per state directory, and who holds a TCP port.
 *
 * instance_lock() takes DIR/swdflashd.lock with flock(2) (exclusive, not
 * waiting) and writes the holder's PID into it. The lock belongs to the
 * open file, so it goes when its holder exits or is killed: a crashed
 * daemon never blocks the next one, and the file is never removed (a
 * removal would race with a new holder). A second daemon on the same
 * directory gets SF_E_BUSY naming the first. */
#ifndef COMMON_INSTANCE_H
#define COMMON_INSTANCE_H

#include <stddef.h>

#include "err.h"

/* 0 and *fd (keep it open for as long as the directory is used), or
 * SF_E_BUSY ("state directory D is in use by process N (swdflashd)") or
 * another code. what names the holder's kind in messages. */
int instance_lock(const char *dir, const char *what, int *fd, struct sf_err *err);
void instance_unlock(int fd);

/* "process 1234 (swdflashd)" for whoever listens on TCP port (IPv4 or
 * IPv6), from /proc/net/tcp{,6} and /proc/PID/fd; 0, or -1 when nobody
 * that this process may see does. */
int instance_port_holder(unsigned port, char *buf, size_t len);

#endif
