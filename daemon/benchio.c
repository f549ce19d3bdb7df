// SPDX-License-Identifier: GPL-2.0-or-later
/* benchio: START button, PASS/FAIL/BUSY lamps and buzzer (benchio.h). */
#include "benchio.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/clock.h"
#include "../common/dlog.h"
#include "benchio_be.h"

/* The longest wait for START's events: how late close() and the end of
 * the buzzer are seen. */
#define BENCHIO_TICK_MS 50U
/* How long a press whose line reads released waits for its release event
 * before it is taken as lost (the kernel's queue was full): far above the
 * lag of an event on a busy machine. */
#define BENCHIO_LOST_NS 1000000000LL

static const char *const io_names[IO_N] = { "start", "pass", "fail", "busy", "buzzer" };

struct benchio {
	struct job_mgr *jobs;
	unsigned debounce_ms, buzzer_ms;
	char chip_name[64];
	int off[IO_N];             /* -1: not wired */
	int start_high;            /* START active high (pull-down) */
	struct benchio_be *be;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int started, stop;
	int64_t buzz_until;        /* monotonic ms; 0 = off */
};

static int parse_spec(struct benchio *b, const char *spec, struct sf_err *err)
{
	char buf[256];

	snprintf(b->chip_name, sizeof(b->chip_name), "gpiochip0");
	for (int i = 0; i < IO_N; i++)
		b->off[i] = -1;
	if (strlen(spec) >= sizeof(buf))
		return sf_err_set(err, SF_E_ARG, "bench gpio: spec too long");
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq)
			return sf_err_set(err, SF_E_ARG, "bench gpio: '%s' is not key=value", kv);
		*eq = 0;
		const char *v = eq + 1;
		if (!strcmp(kv, "chip")) {
			snprintf(b->chip_name, sizeof(b->chip_name), "%s", v);
			continue;
		}
		if (!strcmp(kv, "start_active")) {
			if (strcmp(v, "low") && strcmp(v, "high"))
				return sf_err_set(err, SF_E_ARG, "bench gpio: start_active=%s (low or high)", v);
			b->start_high = !strcmp(v, "high");
			continue;
		}
		int k;
		for (k = 0; k < IO_N && strcmp(kv, io_names[k]); k++)
			;
		char *end;
		long n = strtol(v, &end, 10);
		if (k == IO_N)
			return sf_err_set(err, SF_E_ARG, "bench gpio: unknown key '%s' (chip, start, "
					  "start_active, pass, fail, busy, buzzer)", kv);
		if (!*v || *end || n < 0 || n > 511)
			return sf_err_set(err, SF_E_ARG, "bench gpio: %s=%s is not a line number", kv, v);
		for (int o = 0; o < IO_N; o++)
			if (b->off[o] == (int)n)
				return sf_err_set(err, SF_E_ARG, "bench gpio: line %ld is both %s and %s", n,
						  io_names[o], kv);
		b->off[k] = (int)n;
	}
	return 0;
}

static void io_set(struct benchio *b, int i, int v)
{
	if (b->off[i] >= 0 && benchio_be_set(b->be, i, v))
		dlog(DLOG_WARNING, "bench gpio: setting %s: %s", io_names[i], strerror(errno));
}

static void on_board(void *user, int busy, int pass, int has)
{
	struct benchio *b = user;

	pthread_mutex_lock(&b->lock);
	io_set(b, IO_BUSY, busy);
	io_set(b, IO_PASS, !busy && has && pass);
	io_set(b, IO_FAIL, !busy && has && !pass);
	if (!busy && has && !pass && b->off[IO_BUZZER] >= 0) {
		io_set(b, IO_BUZZER, 1);
		b->buzz_until = clock_mono_ms() + b->buzzer_ms;
		pthread_cond_broadcast(&b->cond);
	}
	pthread_mutex_unlock(&b->lock);
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void start_pressed(struct benchio *b)
{
	struct sf_err err = { 0 };

	if (job_handsfree_start(b->jobs, &err))
		dlog(DLOG_WARNING, "START button: %s", err.msg);
	else
		dlog(DLOG_INFO, "START button pressed");
}

/* START by edge events, debounced by their time stamps: an edge to the
 * pressed level is a press if the next release edge is debounce_ms or more
 * after it, or none came by then and the line still reads pressed (if it
 * reads released, the release's event is on its way and decides: a busy
 * machine delays a press, it does not lose it); a press held down counts
 * once, until it is released. */
static void *io_thread(void *arg)
{
	struct benchio *b = arg;
	const int64_t deb = (int64_t)b->debounce_ms * 1000000;
	struct benchio_edge ev[16];
	int64_t cand = -1;   /* the unconfirmed press's time stamp, -1: none */
	int held = 0;        /* this press was counted */
	int clk_known = 0, failing = 0, warned = 0;
	int64_t stale = -1;  /* since when the line reads released, no event yet */
	clockid_t clk = CLOCK_MONOTONIC;

	for (;;) {
		int64_t wait = (int64_t)BENCHIO_TICK_MS * 1000000;

		pthread_mutex_lock(&b->lock);
		int64_t now_ms = clock_mono_ms();
		if (b->buzz_until && now_ms >= b->buzz_until) {
			io_set(b, IO_BUZZER, 0);
			b->buzz_until = 0;
		}
		if (b->buzz_until && (b->buzz_until - now_ms) * 1000000 < wait)
			wait = (b->buzz_until - now_ms) * 1000000;
		if (b->stop) {
			pthread_mutex_unlock(&b->lock);
			break;
		}
		if (b->off[IO_START] < 0 || failing) {
			/* Only the buzzer to time, or START failed: no busy loop. */
			struct timespec dl;
			clock_deadline_after_ms(&dl, (unsigned)(wait / 1000000) + 1);
			pthread_cond_timedwait(&b->cond, &b->lock, &dl);
			failing = 0;
			pthread_mutex_unlock(&b->lock);
			continue;
		}
		pthread_mutex_unlock(&b->lock);

		if (cand >= 0 && !held) {
			int64_t left = cand + deb - clock_ns(clk);
			if (left <= 0 && benchio_be_wait(b->be, 0) == 0) {
				int lv = benchio_be_pressed(b->be);
				if (lv == 1) {
					held = 1;
					stale = -1;
					start_pressed(b);
					continue;
				}
				if (lv < 0) {
					failing = 1;
					continue;
				}
				int64_t now = clock_ns(CLOCK_MONOTONIC);
				if (stale < 0) {
					stale = now;
				} else if (now - stale >= BENCHIO_LOST_NS) {
					dlog(DLOG_DEBUG, "START: released, its edge event lost");
					cand = -1;
					stale = -1;
				}
			} else if (left > 0 && left < wait) {
				wait = left;
			}
		}
		int rc = benchio_be_wait(b->be, wait);
		if (rc == 0 && held && benchio_be_pressed(b->be) == 0)
			held = 0; /* a release whose event was lost (full queue) */
		if (rc > 0)
			rc = benchio_be_read(b->be, ev, 16);
		if (rc < 0) {
			if (!warned++)
				dlog(DLOG_WARNING, "bench gpio: START events: %s", strerror(errno));
			failing = 1;
			continue;
		}
		warned = 0;
		for (int i = 0; i < rc; i++) {
			if (!clk_known) {
				/* Kernels before 5.7 stamp v1 events with CLOCK_REALTIME. */
				int64_t m = ev[i].ts_ns - clock_ns(CLOCK_MONOTONIC);
				int64_t r = ev[i].ts_ns - clock_ns(CLOCK_REALTIME);
				clk = llabs(r) < llabs(m) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
				clk_known = 1;
			}
			if (ev[i].pressed) {
				if (!held)
					cand = ev[i].ts_ns;
			} else {
				if (cand >= 0 && !held && ev[i].ts_ns - cand >= deb)
					start_pressed(b); /* long enough, seen late */
				else if (cand >= 0 && !held)
					dlog(DLOG_DEBUG, "START: %.1f ms pressed, under debounce_ms %u: "
					     "not a press", (double)(ev[i].ts_ns - cand) / 1e6, b->debounce_ms);
				cand = -1;
				held = 0;
			}
			stale = -1;
		}
	}
	return NULL;
}

struct benchio *benchio_open(const char *spec, unsigned debounce_ms, unsigned buzzer_ms,
			     struct job_mgr *m, struct sf_err *err)
{
	struct benchio *b = calloc(1, sizeof(*b));

	if (!b) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	b->jobs = m;
	b->debounce_ms = debounce_ms;
	b->buzzer_ms = buzzer_ms;
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (parse_spec(b, spec, err) ||
	    benchio_be_open(&b->be, b->chip_name, b->off, b->start_high, err)) {
		benchio_close(b);
		return NULL;
	}
	job_mgr_on_board(m, on_board, b);
	if (b->off[IO_START] >= 0 || b->off[IO_BUZZER] >= 0) {
		if (pthread_create(&b->thread, NULL, io_thread, b)) {
			sf_err_set(err, SF_E_IO, "bench gpio: no thread");
			benchio_close(b);
			return NULL;
		}
		b->started = 1;
	}
	dlog(DLOG_INFO, "bench gpio on %s (%s): start %d (active %s, edge events, debounce %u ms), "
	     "pass %d, fail %d, busy %d, buzzer %d (-1: none)", b->chip_name, benchio_be_version(),
	     b->off[IO_START], b->start_high ? "high" : "low", b->debounce_ms, b->off[IO_PASS],
	     b->off[IO_FAIL], b->off[IO_BUSY], b->off[IO_BUZZER]);
	return b;
}

void benchio_close(struct benchio *b)
{
	if (!b)
		return;
	if (b->jobs)
		job_mgr_on_board(b->jobs, NULL, NULL);
	pthread_mutex_lock(&b->lock);
	b->stop = 1;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	if (b->started)
		pthread_join(b->thread, NULL);
	benchio_be_close(b->be);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
