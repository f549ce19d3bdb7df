// SPDX-License-Identifier: GPL-2.0-or-later
/* benchio: START button, PASS/FAIL/BUSY lamps and buzzer (benchio.h). */
#include "benchio.h"

#include <errno.h>
#include <gpiod.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/clock.h"
#include "../common/dlog.h"

#define BENCHIO_SAMPLE_MS 5U

enum { IO_START, IO_PASS, IO_FAIL, IO_BUSY, IO_BUZZER, IO_N };
static const char *const io_names[IO_N] = { "start", "pass", "fail", "busy", "buzzer" };

struct benchio {
	struct job_mgr *jobs;
	unsigned debounce_ms, buzzer_ms;
	char chip_name[64];
	int off[IO_N];             /* -1: not wired */
	struct gpiod_chip *chip;
#if SWD_GPIOD_VERSION_MAJOR < 2
	struct gpiod_line *line[IO_N];
#else
	struct gpiod_line_request *req[IO_N]; /* one request per wired line */
#endif
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
		int k;
		for (k = 0; k < IO_N && strcmp(kv, io_names[k]); k++)
			;
		char *end;
		long n = strtol(v, &end, 10);
		if (k == IO_N)
			return sf_err_set(err, SF_E_ARG, "bench gpio: unknown key '%s' (chip, start, pass, "
					  "fail, busy, buzzer)", kv);
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

#if SWD_GPIOD_VERSION_MAJOR < 2
static int io_open(struct benchio *b, struct sf_err *err)
{
	b->chip = gpiod_chip_open_lookup(b->chip_name);
	if (!b->chip)
		return sf_err_set(err, SF_E_IO, "bench gpio: cannot open %s: %s", b->chip_name,
				  strerror(errno));
	for (int i = 0; i < IO_N; i++) {
		if (b->off[i] < 0)
			continue;
		b->line[i] = gpiod_chip_get_line(b->chip, (unsigned)b->off[i]);
		int rc = !b->line[i] ? -1
			: i == IO_START ? gpiod_line_request_input_flags(b->line[i], "swdflashd-bench",
				GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP)
			: gpiod_line_request_output(b->line[i], "swdflashd-bench", 0);
		if (rc) {
			int e = errno;
			b->line[i] = NULL;
			return sf_err_set(err, e == EBUSY ? SF_E_BUSY : SF_E_IO, "bench gpio: %s line %d "
					  "of %s: %s", io_names[i], b->off[i], b->chip_name, strerror(e));
		}
	}
	return 0;
}

static void io_close(struct benchio *b)
{
	for (int i = 0; i < IO_N; i++)
		if (b->line[i])
			gpiod_line_release(b->line[i]);
	if (b->chip)
		gpiod_chip_close(b->chip);
}

static int io_get(struct benchio *b, int i)
{
	return b->line[i] ? gpiod_line_get_value(b->line[i]) : -1;
}

static void io_set(struct benchio *b, int i, int v)
{
	if (b->line[i] && gpiod_line_set_value(b->line[i], v))
		dlog(DLOG_WARNING, "bench gpio: setting %s: %s", io_names[i], strerror(errno));
}
#else
/* libgpiod 2 (Debian 13): a line is requested with its settings; the chip
 * by its path ("gpiochip0" is /dev/gpiochip0) */
static int io_open(struct benchio *b, struct sf_err *err)
{
	char path[96];

	snprintf(path, sizeof(path), "%s%s", strchr(b->chip_name, '/') ? "" : "/dev/",
		 b->chip_name);
	b->chip = gpiod_chip_open(path);
	if (!b->chip)
		return sf_err_set(err, SF_E_IO, "bench gpio: cannot open %s: %s", path,
				  strerror(errno));
	for (int i = 0; i < IO_N; i++) {
		if (b->off[i] < 0)
			continue;
		unsigned off = (unsigned)b->off[i];
		struct gpiod_line_settings *ls = gpiod_line_settings_new();
		struct gpiod_line_config *lc = gpiod_line_config_new();
		struct gpiod_request_config *rc = gpiod_request_config_new();
		int ok = ls && lc && rc;
		if (ok && i == IO_START)
			ok = !gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_INPUT) &&
			     !gpiod_line_settings_set_bias(ls, GPIOD_LINE_BIAS_PULL_UP);
		else if (ok)
			ok = !gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_OUTPUT) &&
			     !gpiod_line_settings_set_output_value(ls, GPIOD_LINE_VALUE_INACTIVE);
		if (ok) {
			gpiod_request_config_set_consumer(rc, "swdflashd-bench");
			ok = !gpiod_line_config_add_line_settings(lc, &off, 1, ls) &&
			     (b->req[i] = gpiod_chip_request_lines(b->chip, rc, lc)) != NULL;
		}
		int e = errno;
		gpiod_request_config_free(rc);
		gpiod_line_config_free(lc);
		gpiod_line_settings_free(ls);
		if (!ok)
			return sf_err_set(err, e == EBUSY ? SF_E_BUSY : SF_E_IO, "bench gpio: %s line %d "
					  "of %s: %s", io_names[i], b->off[i], path, strerror(e));
	}
	return 0;
}

static void io_close(struct benchio *b)
{
	for (int i = 0; i < IO_N; i++)
		if (b->req[i])
			gpiod_line_request_release(b->req[i]);
	if (b->chip)
		gpiod_chip_close(b->chip);
}

static int io_get(struct benchio *b, int i)
{
	if (!b->req[i])
		return -1;
	enum gpiod_line_value v = gpiod_line_request_get_value(b->req[i], (unsigned)b->off[i]);
	return v == GPIOD_LINE_VALUE_ERROR ? -1 : v == GPIOD_LINE_VALUE_ACTIVE;
}

static void io_set(struct benchio *b, int i, int v)
{
	if (b->req[i] && gpiod_line_request_set_value(b->req[i], (unsigned)b->off[i],
						      v ? GPIOD_LINE_VALUE_ACTIVE
							: GPIOD_LINE_VALUE_INACTIVE))
		dlog(DLOG_WARNING, "bench gpio: setting %s: %s", io_names[i], strerror(errno));
}
#endif

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

static void *io_thread(void *arg)
{
	struct benchio *b = arg;
	int64_t low_since = 0;
	int pressed = 0;

	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		int64_t now = clock_mono_ms();
		if (b->buzz_until && now >= b->buzz_until) {
			io_set(b, IO_BUZZER, 0);
			b->buzz_until = 0;
		}
		int v = io_get(b, IO_START);
		if (v == 0) {
			if (!low_since)
				low_since = now;
			if (!pressed && now - low_since >= (int64_t)b->debounce_ms) {
				struct sf_err err = { 0 };
				pressed = 1;
				pthread_mutex_unlock(&b->lock);
				if (job_handsfree_start(b->jobs, &err))
					dlog(DLOG_WARNING, "START button: %s", err.msg);
				else
					dlog(DLOG_INFO, "START button pressed");
				pthread_mutex_lock(&b->lock);
			}
		} else {
			low_since = 0;
			pressed = 0;  /* released: the next press counts */
		}
		struct timespec dl;
		clock_deadline_after_ms(&dl, BENCHIO_SAMPLE_MS);
		pthread_cond_timedwait(&b->cond, &b->lock, &dl);
	}
	pthread_mutex_unlock(&b->lock);
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
	if (parse_spec(b, spec, err) || io_open(b, err)) {
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
	dlog(DLOG_INFO, "bench gpio on %s: start %d, pass %d, fail %d, busy %d, buzzer %d (-1: none)",
	     b->chip_name, b->off[IO_START], b->off[IO_PASS], b->off[IO_FAIL], b->off[IO_BUSY],
	     b->off[IO_BUZZER]);
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
	io_close(b);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
