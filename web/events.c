// SPDX-License-Identifier: GPL-2.0-or-later
/* web_events: Server-Sent Events from a ring buffer (see events.h). */
#include "events.h"

#include "../common/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EV_RING_DEFAULT 256U
#define EV_CLIENTS_DEFAULT 32U
#define EV_HEARTBEAT_DEFAULT 15000U
#define EV_PROGRESS_DEFAULT 200U
#define EV_THROTTLE_SLOTS 8U
#define EV_RETRY_MS 2000U

struct ev_slot {
	uint64_t seq;
	char *text;
	size_t len;
};

struct ev_throttle {
	uint64_t job;
	int phase;                 /* enum nrf52_phase, -1 none */
	int64_t last_ms;
};

struct web_events {
	struct job_mgr *jobs;
	int listening;
	char station[128];
	char version[64];
	char boot[24];             /* this process's id prefix: restarts change it */
	unsigned ring_size, max_clients, heartbeat_ms, progress_ms;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ev_slot *ring;
	uint64_t next_seq;         /* the seq the next event gets (first is 1) */
	int stopping;
	struct ev_throttle thr[EV_THROTTLE_SLOTS];
	unsigned thr_next;
	struct web_events_stats st;
};

struct web_events_client {
	struct web_events *ev;
	uint64_t next;
	char *pend;
	size_t off, len;
	int64_t last_send_ms;
	int dropped;
};

struct web_events *web_events_new(struct job_mgr *jobs, const struct web_events_config *cfg)
{
	struct web_events *ev = calloc(1, sizeof(*ev));
	pthread_condattr_t ca;
	struct timespec now;

	if (!ev)
		return NULL;
	ev->jobs = jobs;
	snprintf(ev->station, sizeof(ev->station), "%s", cfg && cfg->station ? cfg->station : "");
	snprintf(ev->version, sizeof(ev->version), "%s", cfg && cfg->version ? cfg->version : "");
	ev->ring_size = cfg && cfg->ring_size ? cfg->ring_size : EV_RING_DEFAULT;
	ev->max_clients = cfg && cfg->max_clients ? cfg->max_clients : EV_CLIENTS_DEFAULT;
	ev->heartbeat_ms = cfg && cfg->heartbeat_ms ? cfg->heartbeat_ms : EV_HEARTBEAT_DEFAULT;
	ev->progress_ms = cfg && cfg->progress_ms ? cfg->progress_ms : EV_PROGRESS_DEFAULT;
	ev->ring = calloc(ev->ring_size, sizeof(*ev->ring));
	if (!ev->ring) {
		free(ev);
		return NULL;
	}
	/* the boot id: wall-clock milliseconds at start, so ids from an earlier
	 * run of the daemon are recognised as such */
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(ev->boot, sizeof(ev->boot), "%" PRIx64,
		 (uint64_t)now.tv_sec * 1000U + (uint64_t)now.tv_nsec / 1000000U);
	ev->next_seq = 1;
	pthread_mutex_init(&ev->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->cond, &ca);
	pthread_condattr_destroy(&ca);
	return ev;
}

void web_events_stop(struct web_events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->stopping = 1;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
}

void web_events_free(struct web_events *ev)
{
	if (!ev)
		return;
	if (ev->listening && ev->jobs)
		job_mgr_unlisten(ev->jobs, web_events_on_job_event, ev);
	for (unsigned i = 0; i < ev->ring_size; i++)
		free(ev->ring[i].text);
	free(ev->ring);
	pthread_cond_destroy(&ev->cond);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

void web_events_get_stats(struct web_events *ev, struct web_events_stats *st)
{
	pthread_mutex_lock(&ev->lock);
	*st = ev->st;
	pthread_mutex_unlock(&ev->lock);
}

static uint64_t oldest_locked(const struct web_events *ev)
{
	return ev->next_seq > ev->ring_size ? ev->next_seq - ev->ring_size : 1;
}

/* Append one event (data: compact JSON on one line). */
static void publish(struct web_events *ev, const char *name, json_t *data)
{
	char *js = json_dumps(data, JSON_COMPACT);
	char *text = NULL;
	int n;

	if (!js)
		return;
	pthread_mutex_lock(&ev->lock);
	uint64_t seq = ev->next_seq;
	n = asprintf(&text, "id: %s-%" PRIu64 "\nevent: %s\ndata: %s\n\n", ev->boot, seq, name, js);
	if (n > 0) {
		struct ev_slot *s = &ev->ring[seq % ev->ring_size];
		free(s->text);
		s->seq = seq;
		s->text = text;
		s->len = (size_t)n;
		ev->next_seq++;
		ev->st.published++;
		pthread_cond_broadcast(&ev->cond);
	}
	pthread_mutex_unlock(&ev->lock);
	free(js);
}

/* Throttle: 1 = send this progress event. Called with the lock held. */
static int progress_due_locked(struct web_events *ev, const struct job_event *e)
{
	int phase = e->has_phase ? (int)e->phase : -1;
	int64_t now = clock_mono_ms();
	struct ev_throttle *t = NULL;

	for (unsigned i = 0; i < EV_THROTTLE_SLOTS; i++)
		if (ev->thr[i].job == e->id)
			t = &ev->thr[i];
	if (!t) {
		t = &ev->thr[ev->thr_next++ % EV_THROTTLE_SLOTS];
		memset(t, 0, sizeof(*t));
		t->job = e->id;
		t->phase = phase;
		t->last_ms = now;
		return 1;
	}
	if (t->phase != phase || e->bytes_done == e->bytes_total ||
	    now - t->last_ms >= (int64_t)ev->progress_ms) {
		t->phase = phase;
		t->last_ms = now;
		return 1;
	}
	ev->st.progress_skipped++;
	return 0;
}

void web_events_on_job_event(void *user, const struct job_event *e)
{
	struct web_events *ev = user;

	if (!e->snapshot)
		return;
	switch (e->kind) {
	case JOB_EVENT_STATE:
		publish(ev, "job", e->snapshot);
		break;
	case JOB_EVENT_PROGRESS: {
		pthread_mutex_lock(&ev->lock);
		int due = progress_due_locked(ev, e);
		pthread_mutex_unlock(&ev->lock);
		if (due)
			publish(ev, "progress", e->snapshot);
		break;
	}
	case JOB_EVENT_TARGET: {
		/* the target object plus what changed, as the worker saw it */
		json_t *t = json_copy(e->snapshot);
		if (!t)
			return;
		json_object_set_new(t, "change", json_string(job_target_change_name(e->change)));
		publish(ev, "target", t);
		json_decref(t);
		break;
	}
	}
}

/* ---- clients ---- */

static char *hello_text(struct web_events *ev, int resync)
{
	json_t *o = json_object();
	char *js, *text = NULL;

	json_object_set_new(o, "name", json_string(ev->station));
	json_object_set_new(o, "version", json_string(ev->version));
	json_object_set_new(o, "boot", json_string(ev->boot));
	if (ev->jobs) {
		struct job_target t;
		unsigned queued = 0;
		uint64_t running = 0;

		job_mgr_target(ev->jobs, &t);
		json_object_set_new(o, "target", job_target_json(&t));
		job_mgr_counts(ev->jobs, &queued, &running);
		json_object_set_new(o, "queued", json_integer(queued));
		json_object_set_new(o, "running", running ? json_integer((json_int_t)running)
							  : json_null());
	}
	js = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!js)
		return NULL;
	if (asprintf(&text, "retry: %u\n\nevent: hello\ndata: %s\n\n%s", EV_RETRY_MS, js,
		     resync ? "event: resync\ndata: {}\n\n" : "") < 0)
		text = NULL;
	free(js);
	return text;
}

/* "BOOT-SEQ" -> boot matches?, seq. 0 when it does not parse. */
static int parse_id(const char *id, char *boot, size_t boot_len, uint64_t *seq)
{
	const char *dash;
	char *end;

	if (!id || !(dash = strrchr(id, '-')) || dash == id || (size_t)(dash - id) >= boot_len)
		return 0;
	memcpy(boot, id, (size_t)(dash - id));
	boot[dash - id] = '\0';
	errno = 0;
	*seq = strtoull(dash + 1, &end, 10);
	return !errno && end != dash + 1 && !*end;
}

struct web_events_client *web_events_client_new(struct web_events *ev, const char *last_event_id)
{
	struct web_events_client *c = calloc(1, sizeof(*c));
	char boot[24];
	uint64_t seq = 0;
	int resync = 0;

	if (!c)
		return NULL;
	c->ev = ev;
	pthread_mutex_lock(&ev->lock);
	if (ev->st.clients >= ev->max_clients || ev->stopping) {
		pthread_mutex_unlock(&ev->lock);
		free(c);
		return NULL;
	}
	ev->st.clients++;
	uint64_t oldest = oldest_locked(ev);
	if (parse_id(last_event_id, boot, sizeof(boot), &seq)) {
		if (!strcmp(boot, ev->boot)) {
			/* same run: resume after seq, if the ring still has it */
			if (seq + 1 < oldest) {
				resync = 1;
				c->next = oldest;
			} else {
				c->next = seq + 1 < ev->next_seq ? seq + 1 : ev->next_seq;
			}
		} else {
			/* an earlier run of the daemon: everything of this run is new */
			resync = oldest > 1;
			c->next = oldest;
		}
	} else {
		c->next = ev->next_seq;
	}
	pthread_mutex_unlock(&ev->lock);
	c->pend = hello_text(ev, resync);
	c->len = c->pend ? strlen(c->pend) : 0;
	c->last_send_ms = clock_mono_ms();
	return c;
}

void web_events_client_free(struct web_events_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->ev->lock);
	c->ev->st.clients--;
	pthread_mutex_unlock(&c->ev->lock);
	free(c->pend);
	free(c);
}

static void deadline_ts(int64_t ms, struct timespec *ts)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

ssize_t web_events_client_read(struct web_events_client *c, char *buf, size_t max,
			       unsigned wait_ms)
{
	struct web_events *ev = c->ev;
	int64_t start = clock_mono_ms();
	ssize_t ret = 0;

	if (!max)
		return 0;
	pthread_mutex_lock(&ev->lock);
	for (;;) {
		if (c->pend && c->off < c->len) {
			size_t n = c->len - c->off < max ? c->len - c->off : max;
			memcpy(buf, c->pend + c->off, n);
			c->off += n;
			if (c->off == c->len) {
				free(c->pend);
				c->pend = NULL;
				c->off = c->len = 0;
			}
			c->last_send_ms = clock_mono_ms();
			ret = (ssize_t)n;
			break;
		}
		if (ev->stopping || c->dropped) {
			ret = -1;
			break;
		}
		if (c->next < oldest_locked(ev)) {
			/* the ring overwrote what this client has not read yet */
			c->dropped = 1;
			ev->st.dropped_slow++;
			ret = -1;
			break;
		}
		if (c->next < ev->next_seq) {
			const struct ev_slot *s = &ev->ring[c->next % ev->ring_size];
			c->pend = malloc(s->len);
			if (!c->pend) {
				ret = -1;
				break;
			}
			memcpy(c->pend, s->text, s->len);
			c->len = s->len;
			c->off = 0;
			c->next++;
			continue;
		}
		int64_t now = clock_mono_ms();
		int64_t hb = c->last_send_ms + ev->heartbeat_ms;
		if (now >= hb) {
			char tmp[96];
			int n = snprintf(tmp, sizeof(tmp), ": heartbeat\nevent: heartbeat\ndata: {}\n\n");
			c->pend = strdup(tmp);
			if (!c->pend) {
				ret = -1;
				break;
			}
			c->len = (size_t)n;
			c->off = 0;
			continue;
		}
		int64_t until = start + wait_ms;
		if (now >= until) {
			ret = 0;
			break;
		}
		struct timespec ts;
		deadline_ts(until < hb ? until : hb, &ts);
		pthread_cond_timedwait(&ev->cond, &ev->lock, &ts);
	}
	pthread_mutex_unlock(&ev->lock);
	return ret;
}

/* ---- HTTP ---- */

static ssize_t mhd_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct web_events_client *c = cls;
	ssize_t n;

	(void)pos;
	/* one thread per connection: waiting here delays nobody else */
	do
		n = web_events_client_read(c, buf, max, 1000);
	while (n == 0);
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void mhd_free(void *cls)
{
	web_events_client_free(cls);
}

static enum MHD_Result on_events(void *user, struct web_request *req)
{
	static const char *const allowed[] = { NULL };
	struct web_events *ev = user;
	struct web_events_client *c;
	struct MHD_Response *resp;
	char why[320];

	/* it takes no options (resume is the Last-Event-ID header) */
	if (web_req_check_args(req, allowed, why, sizeof(why)))
		return web_reply_code(req, SF_E_ARG, "%s", why);
	c = web_events_client_new(ev, web_req_header(req, "Last-Event-ID"));
	if (!c)
		return web_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
				       "too many event streams open (at most %u)", ev->max_clients);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, mhd_reader, c, mhd_free);
	if (!resp) {
		web_events_client_free(c);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return web_reply_mhd(req, MHD_HTTP_OK, resp);
}

int web_events_register(struct web_events *ev, struct web_server *s)
{
	if (web_route_add(s, "GET", "/api/v1/events", WEB_READ, WEB_BODY_NONE, on_events, ev))
		return -1;
	if (ev->jobs && !ev->listening) {
		if (job_mgr_listen(ev->jobs, web_events_on_job_event, ev))
			return -1;
		ev->listening = 1;
	}
	return 0;
}
