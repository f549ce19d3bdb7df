// SPDX-License-Identifier: GPL-2.0-or-later
/* notify: systemd integration through libsystemd.
 *
 *   READY=1     after the HTTP socket listens (notify_ready)
 *   STATUS=...  the current job ("flashing app.hex: program 40%"), from the
 *               job listener, at most once a second for progress
 *   WATCHDOG=1  from the main loop (notify_wait_signal) at half of
 *               WATCHDOG_USEC, when the unit sets WatchdogSec=
 *   STOPPING=1  when SIGTERM arrives (notify_stopping)
 *
 * Socket activation: notify_listen_fd() takes the one stream socket that
 * systemd passed (sd_listen_fds) for libmicrohttpd's
 * MHD_OPTION_LISTEN_SOCKET. Without NOTIFY_SOCKET every call is a no-op. */
#ifndef DAEMON_NOTIFY_H
#define DAEMON_NOTIFY_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "job.h"

struct notify {
	int enabled;               /* NOTIFY_SOCKET is set */
	uint64_t watchdog_usec;    /* 0 = no watchdog */
	struct job_mgr *jobs;
	pthread_mutex_t lock;
	int64_t last_status_ms;
	int64_t last_ping_ms;      /* main thread only */
	char station[64];
};

void notify_init(struct notify *n, const char *station);
void notify_done(struct notify *n);

/* The socket systemd passed: returns its fd (and "ADDR:PORT" in listen),
 * -1 when there is none, or a negative sf_errcode-style error (-2) with
 * err set when what was passed is unusable. */
int notify_listen_fd(char *listen, size_t listen_len, struct sf_err *err);

void notify_ready(struct notify *n, const char *listen);
void notify_stopping(struct notify *n);
void notify_status(struct notify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* STATUS= follows the jobs of m. */
int notify_attach(struct notify *n, struct job_mgr *m);

/* sigwait() that sends WATCHDOG=1 every watchdog_usec/2 while waiting.
 * Returns 0 with *sig set. */
int notify_wait_signal(struct notify *n, const sigset_t *set, int *sig);

#endif
