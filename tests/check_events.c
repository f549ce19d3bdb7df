// SPDX-License-Identifier: GPL-2.0-or-later
/* web_events: the event ring, Last-Event-ID resume, slow clients, progress
 * throttling, target changes, heartbeats; and web_metrics fed by the same
 * job events, rendered and read back. No HTTP: the stream reader is driven
 * directly (the HTTP side is tests/t_sse.sh and tests/t_metrics.sh). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "web/events.h"
#include "web/metrics.h"

static json_t *job_snap(int id, const char *state, const char *phase, long done, long total)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:I}", "id", id, "kind", "flash", "state", state,
			      "bytes_done", (json_int_t)done, "bytes_total", (json_int_t)total);
	json_object_set_new(o, "phase", phase ? json_string(phase) : json_null());
	return o;
}

static enum job_state state_of(const char *s)
{
	for (int i = JOB_QUEUED; i <= JOB_INTERRUPTED; i++)
		if (!strcmp(s, job_state_name((enum job_state)i)))
			return (enum job_state)i;
	ck_abort_msg("state %s", s);
	return JOB_FAILED;
}

static int phase_of(const char *s)
{
	for (int i = NRF52_PHASE_CONNECT; s && i <= NRF52_PHASE_READ; i++)
		if (!strcmp(s, job_phase_name((enum nrf52_phase)i)))
			return i;
	return -1;
}

/* The typed event the job manager would send for job_snap(...), with the
 * snapshot alongside (o, taken over). */
static struct job_event job_ev(enum job_event_kind k, json_t *o)
{
	struct job_event e;
	int ph = phase_of(json_string_value(json_object_get(o, "phase")));

	memset(&e, 0, sizeof(e));
	e.kind = k;
	e.id = (uint64_t)json_integer_value(json_object_get(o, "id"));
	e.job_kind = JOB_FLASH;
	e.state = state_of(json_string_value(json_object_get(o, "state")));
	e.has_phase = ph >= 0;
	e.phase = ph >= 0 ? (enum nrf52_phase)ph : NRF52_PHASE_CONNECT;
	e.bytes_done = (uint64_t)json_integer_value(json_object_get(o, "bytes_done"));
	e.bytes_total = (uint64_t)json_integer_value(json_object_get(o, "bytes_total"));
	e.duration_ms = -1;
	e.snapshot = o;
	return e;
}

static void emit(struct web_events *ev, enum job_event_kind k, json_t *o)
{
	struct job_event e = job_ev(k, o);

	web_events_on_job_event(ev, &e);
	json_decref(o);
}

/* A target event: what the worker says changed, and the target object. */
static void emit_target(struct web_events *ev, enum job_target_change c, json_t *o)
{
	struct job_event e;

	memset(&e, 0, sizeof(e));
	e.kind = JOB_EVENT_TARGET;
	e.change = c;
	e.duration_ms = -1;
	e.snapshot = o;
	web_events_on_job_event(ev, &e);
	json_decref(o);
}

/* Read what is there now (up to the first wait) into out. */
static size_t drain(struct web_events_client *c, char *out, size_t cap, int *ended)
{
	size_t n = 0;
	ssize_t r = 0;

	*ended = 0;
	while (n + 1 < cap && (r = web_events_client_read(c, out + n, cap - 1 - n, 0)) > 0)
		n += (size_t)r;
	if (r < 0)
		*ended = 1;
	out[n] = '\0';
	return n;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The boot id from a hello event. */
static void boot_of(const char *text, char *boot, size_t len)
{
	const char *p = strstr(text, "\"boot\":\"");
	ck_assert_ptr_nonnull(p);
	p += 8;
	size_t n = strcspn(p, "\"");
	ck_assert_uint_lt(n, len);
	memcpy(boot, p, n);
	boot[n] = '\0';
}

START_TEST(order_and_ids)
{
	struct web_events_config cfg = { .station = "bench \"7\"", .version = "9.9" };
	struct web_events *ev = web_events_new(NULL, &cfg);
	struct web_events_client *c = web_events_client_new(ev, NULL);
	char buf[8192], boot[32], want[64];
	int ended;

	emit(ev, JOB_EVENT_STATE, job_snap(1, "queued", NULL, 0, 10));
	emit(ev, JOB_EVENT_STATE, job_snap(1, "running", NULL, 0, 10));
	emit(ev, JOB_EVENT_STATE, job_snap(1, "succeeded", "reset", 10, 10));
	drain(c, buf, sizeof(buf), &ended);
	ck_assert(!ended);
	ck_assert_msg(!strncmp(buf, "retry: ", 7), "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "event: hello\ndata: {\"name\":\"bench \\\"7\\\"\""));
	boot_of(buf, boot, sizeof(boot));
	for (int i = 1; i <= 3; i++) {
		snprintf(want, sizeof(want), "id: %s-%d\nevent: job\n", boot, i);
		ck_assert_msg(strstr(buf, want), "missing %s in %s", want, buf);
	}
	const char *q = strstr(buf, "\"queued\""), *r = strstr(buf, "\"running\""),
		   *s = strstr(buf, "\"succeeded\"");
	ck_assert(q && r && s && q < r && r < s);
	web_events_client_free(c);
	web_events_free(ev);
}
END_TEST

START_TEST(resume_and_resync)
{
	struct web_events_config cfg = { .ring_size = 8 };
	struct web_events *ev = web_events_new(NULL, &cfg);
	struct web_events_client *c = web_events_client_new(ev, NULL);
	char buf[16384], boot[32], id[64];
	int ended;

	drain(c, buf, sizeof(buf), &ended);
	boot_of(buf, boot, sizeof(boot));
	web_events_client_free(c);
	for (int i = 1; i <= 6; i++)
		emit(ev, JOB_EVENT_STATE, job_snap(i, "queued", NULL, 0, 1));

	/* resume after 4: exactly 5 and 6 */
	snprintf(id, sizeof(id), "%s-4", boot);
	c = web_events_client_new(ev, id);
	drain(c, buf, sizeof(buf), &ended);
	ck_assert_uint_eq(count(buf, "id: "), 2);
	ck_assert_ptr_nonnull(strstr(buf, "-5\n"));
	ck_assert_ptr_nonnull(strstr(buf, "-6\n"));
	ck_assert_ptr_null(strstr(buf, "event: resync"));
	web_events_client_free(c);

	/* the ring (8) has moved past 2: resync, then everything it holds */
	for (int i = 7; i <= 12; i++)
		emit(ev, JOB_EVENT_STATE, job_snap(i, "queued", NULL, 0, 1));
	snprintf(id, sizeof(id), "%s-2", boot);
	c = web_events_client_new(ev, id);
	drain(c, buf, sizeof(buf), &ended);
	ck_assert_ptr_nonnull(strstr(buf, "event: resync"));
	ck_assert_uint_eq(count(buf, "id: "), 8);
	snprintf(id, sizeof(id), "id: %s-5\n", boot);
	ck_assert_ptr_nonnull(strstr(buf, id));
	web_events_client_free(c);

	/* an id from another run of the daemon: resync and replay */
	c = web_events_client_new(ev, "123abc-99");
	drain(c, buf, sizeof(buf), &ended);
	ck_assert_ptr_nonnull(strstr(buf, "event: resync"));
	ck_assert_uint_eq(count(buf, "id: "), 8);
	web_events_client_free(c);

	/* garbage: only new events */
	c = web_events_client_new(ev, "nonsense");
	drain(c, buf, sizeof(buf), &ended);
	ck_assert_uint_eq(count(buf, "id: "), 0);
	web_events_client_free(c);
	web_events_free(ev);
}
END_TEST

START_TEST(slow_client_dropped_publisher_never_waits)
{
	struct web_events_config cfg = { .ring_size = 16 };
	struct web_events *ev = web_events_new(NULL, &cfg);
	struct web_events_client *slow = web_events_client_new(ev, NULL);
	struct web_events_client *fast = web_events_client_new(ev, NULL);
	struct web_events_stats st;
	char buf[65536];
	int ended;
	struct timespec t0, t1;

	drain(fast, buf, sizeof(buf), &ended);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 1; i <= 10000; i++) {
		emit(ev, JOB_EVENT_STATE, job_snap(i, "queued", NULL, 0, 1));
		if (i % 8 == 0) {
			drain(fast, buf, sizeof(buf), &ended);
			ck_assert(!ended);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(s < 5.0, "10000 events took %.2f s", s);
	/* the slow one gets its hello, then is dropped */
	drain(slow, buf, sizeof(buf), &ended);
	ck_assert_ptr_nonnull(strstr(buf, "event: hello"));
	ck_assert_int_eq(ended, 1);
	ck_assert_int_lt(web_events_client_read(slow, buf, sizeof(buf), 0), 0);
	web_events_get_stats(ev, &st);
	ck_assert_uint_eq(st.dropped_slow, 1);
	ck_assert_uint_eq(st.clients, 2);
	ck_assert_uint_eq(st.published, 10000);
	web_events_client_free(slow);
	web_events_client_free(fast);
	web_events_get_stats(ev, &st);
	ck_assert_uint_eq(st.clients, 0);
	web_events_free(ev);
}
END_TEST

START_TEST(progress_throttled)
{
	struct web_events_config cfg = { .progress_ms = 200 };
	struct web_events *ev = web_events_new(NULL, &cfg);
	struct web_events_client *c = web_events_client_new(ev, NULL);
	struct web_events_stats st;
	char buf[65536];
	int ended;

	drain(c, buf, sizeof(buf), &ended);
	for (int i = 0; i < 50; i++)
		emit(ev, JOB_EVENT_PROGRESS, job_snap(1, "running", "program", i, 100));
	emit(ev, JOB_EVENT_PROGRESS, job_snap(1, "running", "program", 100, 100)); /* the end */
	emit(ev, JOB_EVENT_PROGRESS, job_snap(1, "running", "verify", 0, 100));    /* new phase */
	emit(ev, JOB_EVENT_PROGRESS, job_snap(2, "running", "program", 1, 100));   /* other job */
	drain(c, buf, sizeof(buf), &ended);
	ck_assert_uint_eq(count(buf, "event: progress"), 4);
	web_events_get_stats(ev, &st);
	ck_assert_uint_eq(st.progress_skipped, 49);
	/* after the interval the next one goes out */
	struct timespec d = { 0, 220 * 1000000L };
	nanosleep(&d, NULL);
	emit(ev, JOB_EVENT_PROGRESS, job_snap(1, "running", "verify", 50, 100));
	drain(c, buf, sizeof(buf), &ended);
	ck_assert_uint_eq(count(buf, "event: progress"), 1);
	web_events_client_free(c);
	web_events_free(ev);
}
END_TEST

START_TEST(target_changes)
{
	struct web_events *ev = web_events_new(NULL, NULL);
	struct web_events_client *c = web_events_client_new(ev, NULL);
	char buf[16384];
	int ended;

	drain(c, buf, sizeof(buf), &ended);
	/* the change is the worker's (typed), never recomputed from the object:
	 * the objects here all say the same */
	static const enum job_target_change chg[] = { JOB_TARGET_LOCKED, JOB_TARGET_UNLOCKED,
		JOB_TARGET_DISCONNECTED, JOB_TARGET_CONNECTED, JOB_TARGET_PART_CHANGED };
	for (size_t i = 0; i < 5; i++)
		emit_target(ev, chg[i], json_pack("{s:b, s:b, s:s}", "connected", 1, "locked", 0,
						  "device_id", "0123"));
	drain(c, buf, sizeof(buf), &ended);
	const char *want[] = { "\"change\":\"locked\"", "\"change\":\"unlocked\"",
			       "\"change\":\"disconnected\"", "\"change\":\"connected\"",
			       "\"change\":\"changed\"" };
	const char *p = buf;
	for (size_t i = 0; i < 5; i++) {
		p = strstr(p, want[i]);
		ck_assert_msg(p, "missing %s in order in %s", want[i], buf);
	}
	ck_assert_uint_eq(count(buf, "event: target"), 5);
	ck_assert_uint_eq(count(buf, "\"device_id\":\"0123\""), 5);
	web_events_client_free(c);
	web_events_free(ev);
}
END_TEST

START_TEST(heartbeat_stop_and_limit)
{
	struct web_events_config cfg = { .heartbeat_ms = 100, .max_clients = 2 };
	struct web_events *ev = web_events_new(NULL, &cfg);
	struct web_events_client *a = web_events_client_new(ev, NULL);
	struct web_events_client *b = web_events_client_new(ev, NULL);
	char buf[4096];
	int ended;
	ssize_t n;

	ck_assert_ptr_null(web_events_client_new(ev, NULL)); /* a third: refused */
	drain(a, buf, sizeof(buf), &ended);
	n = web_events_client_read(a, buf, sizeof(buf) - 1, 400);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(!strncmp(buf, ": heartbeat\n", 12), "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "event: heartbeat\n"));
	/* a reader blocked in read returns at stop */
	drain(b, buf, sizeof(buf), &ended);
	web_events_stop(ev);
	ck_assert_int_lt(web_events_client_read(b, buf, sizeof(buf), 1000), 0);
	web_events_client_free(a);
	web_events_client_free(b);
	web_events_free(ev);
}
END_TEST

static void metrics_emit(struct web_metrics *m, enum job_event_kind k, json_t *o,
			 int64_t duration_ms, const struct nrf52_stats *st)
{
	struct job_event e = job_ev(k, o);

	e.duration_ms = duration_ms;
	if (st) {
		e.has_stats = 1;
		e.stats = *st;
	}
	web_metrics_on_job_event(m, &e);
	json_decref(o);
}

START_TEST(metrics_from_events)
{
	struct web_metrics_config cfg = { .version = "1.2", .station = "st\"a" };
	struct web_metrics *m = web_metrics_new(NULL, &cfg);
	struct nrf52_stats st = { .bytes_written = 4096, .pages_written = 1 };
	size_t len;
	char *t;

	metrics_emit(m, JOB_EVENT_STATE, job_snap(1, "running", NULL, 0, 1), 0, NULL);
	metrics_emit(m, JOB_EVENT_PROGRESS, job_snap(1, "running", "program", 0, 1), 0, NULL);
	metrics_emit(m, JOB_EVENT_STATE, job_snap(1, "succeeded", "reset", 1, 1), 1500, &st);
	metrics_emit(m, JOB_EVENT_STATE, job_snap(2, "failed", "connect", 0, 1), 30, NULL);
	/* cancelled before it started: counted, but no duration */
	metrics_emit(m, JOB_EVENT_STATE, job_snap(3, "cancelled", NULL, 0, 1), -1, NULL);

	t = web_metrics_render(m, &len);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(strlen(t), len);
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_jobs_total{kind=\"flash\",result=\"succeeded\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_jobs_total{kind=\"flash\",result=\"failed\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_jobs_total{kind=\"flash\",result=\"cancelled\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_programmed_bytes_total 4096\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_pages_total{op=\"written\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_job_duration_seconds_bucket{kind=\"flash\",le=\"1\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_job_duration_seconds_bucket{kind=\"flash\",le=\"2\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_job_duration_seconds_count{kind=\"flash\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_phase_duration_seconds_count{phase=\"program\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "station=\"st\\\"a\"")); /* label escaped */
	free(t);
	web_metrics_free(m);
}
END_TEST

/* The listeners read the typed fields only: an event whose snapshot says
 * nothing (or something else) is counted by what the event says. */
START_TEST(listeners_read_typed_fields)
{
	struct web_metrics *m = web_metrics_new(NULL, NULL);
	struct web_events_config cfg = { .progress_ms = 60000 };
	struct web_events *ev = web_events_new(NULL, &cfg);
	struct web_events_client *c = web_events_client_new(ev, NULL);
	struct nrf52_stats st = { .bytes_written = 8192, .bytes_verified = 8192 };
	struct job_event e;
	char buf[16384], *t;
	int ended;

	drain(c, buf, sizeof(buf), &ended);
	memset(&e, 0, sizeof(e));
	e.kind = JOB_EVENT_STATE;
	e.id = 7;
	e.job_kind = JOB_ERASE;
	e.state = JOB_SUCCEEDED;
	e.duration_ms = 250;
	e.has_stats = 1;
	e.stats = st;
	e.snapshot = json_pack("{s:s}", "state", "failed");  /* not what metrics reads */
	web_metrics_on_job_event(m, &e);
	json_decref(e.snapshot);
	t = web_metrics_render(m, NULL);
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_jobs_total{kind=\"erase\",result=\"succeeded\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_jobs_total{kind=\"erase\",result=\"failed\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_verified_bytes_total 8192\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_job_duration_seconds_count{kind=\"erase\"} 1\n"));
	free(t);

	/* progress throttling keys on the typed id and phase: a snapshot without
	 * them still throttles per job, and a new phase goes out at once */
	e.kind = JOB_EVENT_PROGRESS;
	e.state = JOB_RUNNING;
	e.has_phase = 1;
	e.phase = NRF52_PHASE_PROGRAM;
	e.bytes_total = 100;
	for (int i = 0; i < 3; i++) {
		e.bytes_done = (uint64_t)i;
		e.snapshot = json_object();
		web_events_on_job_event(ev, &e);
		json_decref(e.snapshot);
	}
	e.phase = NRF52_PHASE_VERIFY;
	e.snapshot = json_object();
	web_events_on_job_event(ev, &e);
	json_decref(e.snapshot);
	drain(c, buf, sizeof(buf), &ended);
	ck_assert_uint_eq(count(buf, "event: progress"), 2);
	web_events_client_free(c);
	web_events_free(ev);
	web_metrics_free(m);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, order_and_ids);
	tcase_add_test(tc, resume_and_resync);
	tcase_add_test(tc, slow_client_dropped_publisher_never_waits);
	tcase_add_test(tc, progress_throttled);
	tcase_add_test(tc, target_changes);
	tcase_add_test(tc, heartbeat_stop_and_limit);
	tcase_add_test(tc, metrics_from_events);
	tcase_add_test(tc, listeners_read_typed_fields);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(events_suite());
}
