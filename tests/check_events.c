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

static void emit(struct web_events *ev, enum job_event_kind k, json_t *o)
{
	web_events_on_job_event(ev, k, o);
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
	emit(ev, JOB_EVENT_TARGET, json_pack("{s:b, s:b}", "connected", 1, "locked", 1));
	emit(ev, JOB_EVENT_TARGET, json_pack("{s:b, s:b}", "connected", 1, "locked", 0));
	emit(ev, JOB_EVENT_TARGET, json_pack("{s:b, s:n}", "connected", 0, "locked"));
	emit(ev, JOB_EVENT_TARGET, json_pack("{s:b, s:b}", "connected", 1, "locked", 0));
	emit(ev, JOB_EVENT_TARGET, json_pack("{s:b, s:b, s:s}", "connected", 1, "locked", 0,
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

START_TEST(metrics_from_events)
{
	struct web_metrics_config cfg = { .version = "1.2", .station = "st\"a" };
	struct web_metrics *m = web_metrics_new(NULL, &cfg);
	size_t len;
	char *t;
	json_t *o;

	web_metrics_on_job_event(m, JOB_EVENT_STATE, o = job_snap(1, "running", NULL, 0, 1));
	json_decref(o);
	web_metrics_on_job_event(m, JOB_EVENT_PROGRESS, o = job_snap(1, "running", "program", 0, 1));
	json_decref(o);
	o = job_snap(1, "succeeded", "reset", 1, 1);
	json_object_set_new(o, "duration_ms", json_integer(1500));
	json_object_set_new(o, "started_ms", json_integer(1));
	json_object_set_new(o, "stats", json_pack("{s:i, s:i}", "bytes_written", 4096, "pages_written", 1));
	web_metrics_on_job_event(m, JOB_EVENT_STATE, o);
	json_decref(o);
	o = job_snap(2, "failed", "connect", 0, 1);
	json_object_set_new(o, "duration_ms", json_integer(30));
	json_object_set_new(o, "started_ms", json_integer(1));
	web_metrics_on_job_event(m, JOB_EVENT_STATE, o);
	json_decref(o);

	t = web_metrics_render(m, &len);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(strlen(t), len);
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_jobs_total{kind=\"flash\",result=\"succeeded\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_jobs_total{kind=\"flash\",result=\"failed\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_programmed_bytes_total 4096\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_job_duration_seconds_bucket{kind=\"flash\",le=\"1\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_job_duration_seconds_bucket{kind=\"flash\",le=\"2\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_job_duration_seconds_count{kind=\"flash\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "swdflashd_phase_duration_seconds_count{phase=\"program\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "station=\"st\\\"a\"")); /* label escaped */
	free(t);
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(events_suite());
}
