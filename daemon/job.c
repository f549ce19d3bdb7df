// SPDX-License-Identifier: GPL-2.0-or-later
/* job: the queue, the listeners and the public API of the job manager
 * (see job.h). The worker thread is job_worker.c, the JSON job_json.c. */
#include "job_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/clock.h"
#include "../common/dlog.h"
#include "../common/utf8.h"
#include "store.h"

const char *job_state_name(enum job_state s)
{
	switch (s) {
	case JOB_QUEUED: return "queued";
	case JOB_RUNNING: return "running";
	case JOB_SUCCEEDED: return "succeeded";
	case JOB_FAILED: return "failed";
	case JOB_CANCELLED: return "cancelled";
	case JOB_INTERRUPTED: return "interrupted";
	}
	return "unknown";
}

const char *job_kind_name(enum job_kind k)
{
	switch (k) {
	case JOB_FLASH: return "flash";
	case JOB_RECOVER: return "recover";
	case JOB_ERASE: return "erase";
	case JOB_RESET: return "reset";
	case JOB_BOARD: return "board";
	}
	return "unknown";
}

const char *job_phase_name(enum nrf52_phase p)
{
	return nrf52_phase_name(p);
}

const char *job_target_change_name(enum job_target_change c)
{
	switch (c) {
	case JOB_TARGET_CONNECTED: return "connected";
	case JOB_TARGET_DISCONNECTED: return "disconnected";
	case JOB_TARGET_LOCKED: return "locked";
	case JOB_TARGET_UNLOCKED: return "unlocked";
	case JOB_TARGET_PART_CHANGED: return "changed";
	}
	return "changed";
}

void job_options_default(struct job_options *o)
{
	memset(o, 0, sizeof(*o));
	o->format = IMG_AUTO;
	o->erase = NRF52_ERASE_AUTO;
	o->verify = 1;
	o->reset = 1;
}

void job_unref(struct job *j)
{
	if (!j || --j->refs)
		return;
	img_free(&j->img);
	for (unsigned i = 0; i < j->nmsgs; i++)
		free(j->msgs[i]);
	json_decref(j->ended_json);
	free(j->recipe);
	free(j);
}

int job_is_active(const struct job *j)
{
	return j->state == JOB_QUEUED || j->state == JOB_RUNNING;
}

void job_set_error(struct job *j, int code, const char *msg)
{
	j->err_code = code;
	snprintf(j->err_name, sizeof(j->err_name), "%s", sf_err_name(code));
	/* valid UTF-8 whatever the message quotes: the job is JSON */
	utf8_clean(j->err_msg, sizeof(j->err_msg), msg, UTF8_ESCAPE, 0);
}

void job_signal_ended_locked(struct job_mgr *m)
{
	pthread_cond_broadcast(&m->ended);
}

/* ---- list ---- */

static struct job *find_locked(struct job_mgr *m, uint64_t id)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->jobs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->jobs[lo]->id == id ? m->jobs[lo] : NULL;
}

int job_append_locked(struct job_mgr *m, struct job *j)
{
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 64;
		struct job **nj = realloc(m->jobs, nc * sizeof(*nj));
		if (!nj)
			return -1;
		m->jobs = nj;
		m->cap = nc;
	}
	m->jobs[m->n++] = j;
	return 0;
}

/* Keep at most history_max finished jobs (the newest). */
void job_trim_locked(struct job_mgr *m)
{
	size_t fin = 0, drop, w = 0;

	for (size_t i = 0; i < m->n; i++)
		fin += !job_is_active(m->jobs[i]);
	if (fin <= m->history_max)
		return;
	drop = fin - m->history_max;
	for (size_t i = 0; i < m->n; i++) {
		if (drop && !job_is_active(m->jobs[i])) {
			job_unref(m->jobs[i]);
			drop--;
		} else {
			m->jobs[w++] = m->jobs[i];
		}
	}
	m->n = w;
}

unsigned job_queued_locked(struct job_mgr *m)
{
	unsigned q = 0;

	for (size_t i = 0; i < m->n; i++)
		q += m->jobs[i]->state == JOB_QUEUED;
	return q;
}

/* The first queued job, once its "queued" event is out: started before,
 * its "running" event could reach listeners first (the submitting thread
 * runs at a lower priority than the worker). NULL until then: the queue's
 * order holds. */
struct job *job_next_queued_locked(struct job_mgr *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->jobs[i]->state == JOB_QUEUED)
			return m->jobs[i]->announced ? m->jobs[i] : NULL;
	return NULL;
}

/* ---- events ---- */

void job_event_of_locked(const struct job *j, enum job_event_kind kind, struct job_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->id = j->id;
	ev->job_kind = j->kind;
	ev->state = j->state;
	ev->has_phase = j->has_phase;
	ev->phase = j->phase;
	ev->bytes_done = j->bytes_done;
	ev->bytes_total = j->bytes_total;
	if (j->has_image)
		snprintf(ev->image_name, sizeof(ev->image_name), "%s", j->image.name);
	ev->duration_ms = !j->started_ms ? -1
		: (j->finished_ms ? j->finished_ms : store_now_ms()) - j->started_ms;
	ev->has_stats = j->has_stats;
	ev->stats = j->stats;
	ev->err_code = j->err_code;
	ev->snapshot = job_json_locked(j);
}

void job_emit(struct job_mgr *m, const struct job_event *ev)
{
	pthread_mutex_lock(&m->llock);
	for (size_t i = 0; i < m->nlst; i++)
		m->lst[i].fn(m->lst[i].user, ev);
	pthread_mutex_unlock(&m->llock);
}

int job_mgr_listen(struct job_mgr *m, job_listener_fn fn, void *user)
{
	int rc = 0;

	pthread_mutex_lock(&m->llock);
	struct job_listener *nl = realloc(m->lst, (m->nlst + 1) * sizeof(*nl));
	if (nl) {
		m->lst = nl;
		m->lst[m->nlst].fn = fn;
		m->lst[m->nlst].user = user;
		m->nlst++;
	} else {
		rc = SF_E_NOMEM;
	}
	pthread_mutex_unlock(&m->llock);
	return rc;
}

void job_mgr_unlisten(struct job_mgr *m, job_listener_fn fn, void *user)
{
	pthread_mutex_lock(&m->llock);
	for (size_t i = 0; i < m->nlst; i++) {
		if (m->lst[i].fn == fn && m->lst[i].user == user) {
			memmove(m->lst + i, m->lst + i + 1, (m->nlst - i - 1) * sizeof(*m->lst));
			m->nlst--;
			break;
		}
	}
	pthread_mutex_unlock(&m->llock);
}

int job_publish_state(struct job_mgr *m, struct job_event *ev, struct sf_err *err)
{
	struct sf_err e = { 0 };
	int rc;

	if (!ev->snapshot)
		return 0;
	rc = history_append(m->hist, ev->snapshot, &e);
	if (rc)
		dlog(DLOG_ERR, "job history: %s", e.msg);
	if (rc && err)
		*err = e;
	job_emit(m, ev);
	json_decref(ev->snapshot);
	ev->snapshot = NULL;
	return rc;
}

/* ---- public queries ---- */

json_t *job_get(struct job_mgr *m, uint64_t id)
{
	json_t *o = NULL;

	pthread_mutex_lock(&m->lock);
	struct job *j = find_locked(m, id);
	if (j)
		o = job_json_locked(j);
	pthread_mutex_unlock(&m->lock);
	return o;
}

/* A new reference to j's snapshot: the shared one of an ended job (built
 * at its first listing), a fresh one of a queued or running job. */
static json_t *job_json_shared_locked(struct job_mgr *m, struct job *j)
{
	if (job_is_active(j) || !j->finished_ms || j == m->running)
		return job_json_locked(j);
	if (!j->ended_json)
		j->ended_json = job_json_locked(j);
	return json_incref(j->ended_json);
}

json_t *job_list(struct job_mgr *m, unsigned limit)
{
	json_t *a = json_array(), **v;
	size_t n = 0, cap;

	/* references under the lock; the array is built after it */
	pthread_mutex_lock(&m->lock);
	cap = limit && limit < m->n ? limit : m->n;
	v = malloc((cap ? cap : 1) * sizeof(*v));
	for (size_t i = m->n; v && i-- > 0 && n < cap;)
		v[n++] = job_json_shared_locked(m, m->jobs[i]);
	pthread_mutex_unlock(&m->lock);
	for (size_t k = 0; k < n; k++)
		json_array_append_new(a, v[k]);
	free(v);
	return a;
}

void job_mgr_counts(struct job_mgr *m, unsigned *queued, uint64_t *running_id)
{
	pthread_mutex_lock(&m->lock);
	if (queued)
		*queued = job_queued_locked(m);
	if (running_id)
		*running_id = m->running ? m->running->id : 0;
	pthread_mutex_unlock(&m->lock);
}

void job_mgr_target(struct job_mgr *m, struct job_target *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->target;
	pthread_mutex_unlock(&m->lock);
}

/* ---- submit / cancel / wait ---- */

int job_submit(struct job_mgr *m, enum job_kind kind, const struct job_options *opts,
	       struct img *img, const struct job_image *image, uint64_t *id,
	       json_t **snapshot, unsigned *retry_after, struct sf_err *err)
{
	struct job *j;
	struct job_event ev;
	unsigned q;

	if (retry_after)
		*retry_after = 0;
	if (snapshot)
		*snapshot = NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	j->refs = 1;
	j->kind = kind;
	j->state = JOB_QUEUED;
	j->opts = *opts;
	if (image) {
		j->has_image = 1;
		j->image = *image;
	}
	if (kind == JOB_FLASH && img)
		j->bytes_total = img->total;
	if (kind == JOB_BOARD) {
		if (!opts->recipe || !(j->recipe = malloc(sizeof(*j->recipe)))) {
			free(j);
			return sf_err_set(err, opts->recipe ? SF_E_NOMEM : SF_E_ARG,
					  opts->recipe ? "out of memory" : "a board job needs a recipe");
		}
		*j->recipe = *opts->recipe;
		j->opts.recipe = NULL;
		j->has_recipe = 1;
		snprintf(j->recipe_name, sizeof(j->recipe_name), "%s", opts->recipe->name);
		j->recipe_version = opts->recipe->version;
		j->handsfree = opts->handsfree;
		snprintf(j->serial_state, sizeof(j->serial_state), "none");
	}

	pthread_mutex_lock(&m->lock);
	if (m->stopping) {
		pthread_mutex_unlock(&m->lock);
		free(j->recipe);
		free(j);
		return sf_err_set(err, SF_E_NOTARGET, "the daemon is shutting down");
	}
	q = job_queued_locked(m) + m->reserved;
	if (kind != JOB_FLASH && kind != JOB_BOARD && (q || job_busy_locked(m))) {
		uint64_t rid = job_busy_locked(m) ? m->running->id : 0;
		pthread_mutex_unlock(&m->lock);
		free(j->recipe);
		free(j);
		if (rid)
			return sf_err_set(err, SF_E_BUSY, "probe busy: job %" PRIu64 " is running", rid);
		return sf_err_set(err, SF_E_BUSY, "probe busy: %u job(s) queued", q);
	}
	if (q >= m->queue_length) {
		pthread_mutex_unlock(&m->lock);
		free(j->recipe);
		free(j);
		if (retry_after)
			*retry_after = 5;
		return sf_err_set(err, SF_E_BUSY, "job queue full (%u queued)", q);
	}
	m->reserved++;
	j->id = m->next_id++;
	j->created_ms = store_now_ms();
	job_event_of_locked(j, JOB_EVENT_STATE, &ev);
	pthread_mutex_unlock(&m->lock);

	/* durable before anyone can see or run it */
	if (history_append(m->hist, ev.snapshot, err)) {
		json_decref(ev.snapshot);
		pthread_mutex_lock(&m->lock);
		m->reserved--;
		pthread_mutex_unlock(&m->lock);
		free(j->recipe);
		free(j);
		return err ? err->code : SF_E_IO;
	}
	pthread_mutex_lock(&m->lock);
	m->reserved--;
	if (job_append_locked(m, j)) {
		pthread_mutex_unlock(&m->lock);
		json_decref(ev.snapshot);
		free(j->recipe);
		free(j);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	if (kind == JOB_FLASH && img)
		j->img_format = img->format;
	*id = j->id;
	pthread_mutex_unlock(&m->lock);
	dlog(DLOG_INFO, "job %" PRIu64 ": %s queued%s%s", *id, job_kind_name(kind),
	     image ? " image " : "", image ? image->name : "");
	job_emit(m, &ev);
	/* by id: a cancel may have ended it (and the history let it go) since */
	pthread_mutex_lock(&m->lock);
	j = find_locked(m, *id);
	if (j)
		j->announced = 1;
	pthread_cond_broadcast(&m->work);
	pthread_mutex_unlock(&m->lock);
	if (snapshot)
		*snapshot = ev.snapshot;
	else
		json_decref(ev.snapshot);
	return 0;
}

enum job_cancel_result job_cancel(struct job_mgr *m, uint64_t id, json_t **snapshot)
{
	enum job_cancel_result r;
	struct job_event ev = { .snapshot = NULL };

	*snapshot = NULL;
	pthread_mutex_lock(&m->lock);
	struct job *j = find_locked(m, id);
	if (!j) {
		r = JOB_CANCEL_NOT_FOUND;
	} else if (j->state == JOB_QUEUED) {
		j->state = JOB_CANCELLED;
		j->finished_ms = store_now_ms();
		job_set_error(j, SF_E_CANCELLED, "cancelled before it started");
		img_free(&j->img);
		job_event_of_locked(j, JOB_EVENT_STATE, &ev);
		r = JOB_CANCEL_DONE;
		job_signal_ended_locked(m);
	} else if (j->state == JOB_RUNNING) {
		j->cancel = 1;
		r = JOB_CANCEL_REQUESTED;
	} else {
		r = JOB_CANCEL_FINISHED;
	}
	if (j)
		*snapshot = job_json_locked(j);
	pthread_mutex_unlock(&m->lock);
	if (ev.snapshot) {
		dlog(DLOG_INFO, "job %" PRIu64 ": cancelled while queued", id);
		job_publish_state(m, &ev, NULL);
	}
	if (r == JOB_CANCEL_REQUESTED)
		dlog(DLOG_INFO, "job %" PRIu64 ": cancel requested; stops at the next safe point", id);
	return r;
}

int job_wait(struct job_mgr *m, uint64_t id, unsigned timeout_ms, json_t **snapshot,
	     int *result)
{
	struct timespec dl;
	int rc;

	clock_deadline_after_ms(&dl, timeout_ms ? timeout_ms : 1);
	*snapshot = NULL;
	*result = 0;
	pthread_mutex_lock(&m->lock);
	struct job *j = find_locked(m, id);
	if (!j) {
		pthread_mutex_unlock(&m->lock);
		return SF_E_ARG;
	}
	j->refs++;
	while (job_is_active(j) && !m->abandoned) {
		if (pthread_cond_timedwait(&m->ended, &m->lock, &dl) == ETIMEDOUT)
			break;
	}
	*snapshot = job_json_locked(j);
	if (!job_is_active(j)) {
		rc = 0;
		*result = j->state == JOB_SUCCEEDED ? 0 : (j->err_code ? j->err_code : SF_E_IO);
	} else {
		rc = m->abandoned ? SF_E_NOTARGET : SF_E_TIMEOUT;
	}
	job_unref(j);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* ---- life cycle ---- */

static void cond_init_mono(pthread_cond_t *c)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
}

struct job_mgr *job_mgr_new(const struct job_mgr_config *cfg, struct history *h,
			    json_t *records, struct sf_err *err)
{
	struct job_mgr *m = calloc(1, sizeof(*m));
	struct sf_err perr = { 0 };

	if (!m) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->llock, NULL);
	cond_init_mono(&m->work);
	cond_init_mono(&m->ended);
	cond_init_mono(&m->read_done);
	snprintf(m->spec, sizeof(m->spec), "%s", cfg->probe_spec);
	m->keep = cfg->keep;
	m->queue_length = cfg->queue_length ? cfg->queue_length : 1;
	m->history_max = cfg->history_max ? cfg->history_max : 1;
	m->refresh_ms = cfg->refresh_ms ? cfg->refresh_ms : 2000;
	m->hist = h;
	m->next_id = 1;
	for (size_t i = 0; records && i < json_array_size(records); i++) {
		struct job *j = job_from_json(json_array_get(records, i));
		if (!j || !j->id || job_append_locked(m, j)) {
			job_unref(j);
			continue;
		}
		if (j->id >= m->next_id)
			m->next_id = j->id + 1;
	}
	/* bad spec syntax is fatal, and so is a probe another process holds
	 * (a simulator's state file, GPIO lines): one daemon per probe; an
	 * unreachable probe is retried later */
	if (job_worker_open_probe(m, &perr)) {
		if (perr.code == SF_E_ARG || perr.code == SF_E_BUSY) {
			sf_err_set(err, perr.code, "probe %s: %s", m->spec, perr.msg);
			job_mgr_free(m);
			return NULL;
		}
		dlog(DLOG_WARNING, "probe %s: %s (retrying every %u ms)", m->spec, perr.msg,
		     m->refresh_ms);
	}
	return m;
}

void job_mgr_free(struct job_mgr *m)
{
	if (!m || m->abandoned)
		return;  /* an abandoned worker still uses all of it */
	if (m->started && job_mgr_stop(m, 0, JOB_STOP_HARD_MS_DEFAULT))
		return;  /* the worker still uses all of it */
	job_worker_close_probe(m);
	for (size_t i = 0; i < m->n; i++)
		job_unref(m->jobs[i]);
	free(m->jobs);
	free(m->lst);
	json_decref(m->hf.last);
	pthread_cond_destroy(&m->work);
	pthread_cond_destroy(&m->ended);
	pthread_cond_destroy(&m->read_done);
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->llock);
	free(m);
}

void job_mgr_set_limits(struct job_mgr *m, unsigned queue_length, unsigned history_max,
			unsigned refresh_ms)
{
	pthread_mutex_lock(&m->lock);
	if (queue_length)
		m->queue_length = queue_length;
	if (history_max)
		m->history_max = history_max;
	if (refresh_ms)
		m->refresh_ms = refresh_ms;
	job_trim_locked(m);
	pthread_cond_broadcast(&m->work);
	pthread_mutex_unlock(&m->lock);
	history_set_max(m->hist, history_max);
}
