// SPDX-License-Identifier: GPL-2.0-or-later
/* notify: sd_notify, the watchdog and socket activation (see notify.h). */
#include "notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "../common/clock.h"
#include "../common/dlog.h"

void notify_init(struct notify *n, const char *station)
{
	uint64_t usec = 0;

	memset(n, 0, sizeof(*n));
	pthread_mutex_init(&n->lock, NULL);
	snprintf(n->station, sizeof(n->station), "%s", station ? station : "");
	n->enabled = getenv("NOTIFY_SOCKET") != NULL;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID is unset or ours */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		n->watchdog_usec = usec;
	if (n->watchdog_usec)
		dlog(DLOG_INFO, "systemd watchdog: %" PRIu64 " ms, pinging every %" PRIu64 " ms",
		     n->watchdog_usec / 1000, n->watchdog_usec / 2000);
}

static void on_job(void *user, const struct job_event *ev);

void notify_done(struct notify *n)
{
	if (n->jobs)
		job_mgr_unlisten(n->jobs, on_job, n);
	n->jobs = NULL;
	pthread_mutex_destroy(&n->lock);
}

int notify_listen_fd(char *listen, size_t listen_len, struct sf_err *err)
{
	int nfds = sd_listen_fds(1);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];
	unsigned port;

	if (nfds <= 0)
		return -1;
	if (nfds > 1) {
		sf_err_set(err, SF_E_ARG, "socket activation passed %d sockets; "
			    "swdflashd takes exactly one (ListenStream= once)", nfds);
		return -2;
	}
	int fd = SD_LISTEN_FDS_START;
	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		sf_err_set(err, SF_E_ARG, "socket activation: fd %d is not a listening "
			    "stream socket", fd);
		return -2;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		port = ntohs(in->sin_port);
		snprintf(listen, listen_len, "%s:%u", addr, port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		port = ntohs(in6->sin6_port);
		/* "::" listens on everything: say so the way --listen does */
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			snprintf(listen, listen_len, "*:%u", port);
		else
			snprintf(listen, listen_len, "[%s]:%u", addr, port);
	} else {
		sf_err_set(err, SF_E_ARG, "socket activation: fd %d is not an IPv4 or IPv6 "
			    "socket", fd);
		return -2;
	}
	return fd;
}

void notify_ready(struct notify *n, const char *listen)
{
	if (!n->enabled)
		return;
	sd_notifyf(0, "READY=1\nSTATUS=%s: idle, listening on %s", n->station, listen);
}

void notify_stopping(struct notify *n)
{
	if (n->enabled)
		sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void notify_status(struct notify *n, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	if (!n->enabled)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* one line: STATUS= ends at a newline */
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	sd_notifyf(0, "STATUS=%s", buf);
}

static void on_job(void *user, const struct job_event *ev)
{
	struct notify *n = user;
	const char *name = ev->image_name[0] ? ev->image_name : job_kind_name(ev->job_kind);
	int64_t now = clock_mono_ms();

	if (ev->kind == JOB_EVENT_TARGET)
		return;
	pthread_mutex_lock(&n->lock);
	if (ev->kind == JOB_EVENT_PROGRESS && now - n->last_status_ms < 1000) {
		pthread_mutex_unlock(&n->lock);
		return;
	}
	n->last_status_ms = now;
	pthread_mutex_unlock(&n->lock);
	if (ev->state == JOB_RUNNING)
		notify_status(n, "job %" PRIu64 " %s: %s %d%%", ev->id, name,
			      ev->has_phase ? nrf52_phase_name(ev->phase) : "start",
			      ev->bytes_total ? (int)(ev->bytes_done * 100 / ev->bytes_total) : 0);
	else if (ev->state == JOB_QUEUED)
		notify_status(n, "job %" PRIu64 " %s: queued", ev->id, name);
	else
		notify_status(n, "idle; last job %" PRIu64 " %s: %s", ev->id, name,
			      job_state_name(ev->state));
}

int notify_attach(struct notify *n, struct job_mgr *m)
{
	if (!n->enabled)
		return 0;
	n->jobs = m;
	return job_mgr_listen(m, on_job, n);
}

int notify_wait_signal(struct notify *n, const sigset_t *set, int *sig)
{
	for (;;) {
		if (!n->watchdog_usec) {
			if (!sigwait(set, sig))
				return 0;
			continue;
		}
		int64_t half_ms = (int64_t)(n->watchdog_usec / 2000U), now = clock_mono_ms();
		if (half_ms < 1)
			half_ms = 1;
		if (now - n->last_ping_ms >= half_ms) {
			/* the main loop is alive */
			if (n->enabled)
				sd_notify(0, "WATCHDOG=1");
			n->last_ping_ms = now;
		}
		int64_t left = n->last_ping_ms + half_ms - now;
		if (left < 1)
			left = 1;
		struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L };
		int s = sigtimedwait(set, NULL, &ts);
		if (s > 0) {
			*sig = s;
			return 0;
		}
		if (s < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
}
