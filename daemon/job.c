#include "job.h"
#include "target_json.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../swd/probe.h"
#include "../common/dlog.h"
#include "store.h"

#define JOB_MSG_MAX 8

struct job {
	unsigned refs;
	uint64_t id;
	enum job_kind kind;
	enum job_state state;
	int has_phase;
	enum nrf52_phase phase;
	uint64_t bytes_done, bytes_total;
	int has_image;
	struct job_image image;
	struct job_options opts;
	int has_target;
	char part[16];
	uint64_t device_id;
	int64_t created_ms, started_ms, finished_ms;
	int err_code;
	char err_name[32];
	char err_msg[320];
	char *msgs[JOB_MSG_MAX];   /* engine notes ("UICR merged ...") */
	unsigned nmsgs;
	int has_stats;
	struct nrf52_stats stats;
	struct img img;            /* flash jobs while they run */
	enum img_format img_format; /* as detected at submission */
	int cancel;
	int64_t last_event_ms;
};

struct listener {
	job_listener_fn fn;
	void *user;
};

struct mem_req {
	uint32_t addr, len;
	uint8_t *buf;
	int rc;
	struct sf_err err;
	int done;
};

struct job_mgr {
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* worker wake-up and job/request completion */
	pthread_t thread;
	int started;
	int stopping, exit;

	char spec[512];
	unsigned queue_length, history_max, refresh_ms;
	struct history *hist;

	struct job **jobs;         /* ascending id */
	size_t n, cap;
	uint64_t next_id;
	unsigned reserved;         /* queue slots taken by submits in progress */
	struct job *running;

	struct job_target target;
	struct mem_req *req;       /* pending memory read */
	int req_busy;

	/* the worker's own (never touched by other threads) */
	struct swd_probe *probe;
	struct nrf52 *eng;
	struct job *cur;

	pthread_mutex_t llock;
	struct listener *lst;
	size_t nlst;

	/* SWD counters: dap_total under lock; dap_last is the worker's own */
	struct swd_probe_stats dap_total, dap_last;
};

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
	}
	return "unknown";
}

void job_options_default(struct job_options *o)
{
	memset(o, 0, sizeof(*o));
	o->format = IMG_AUTO;
	o->erase = NRF52_ERASE_AUTO;
	o->verify = 1;
	o->reset = 1;
}

/* " [nRF52840 6C63EEEFF21167FE, image b7666763e1b9 app.hex]": which board
 * got which firmware, in the journal line that ends the job (production
 * traceability without reading the history file). */
static void job_trace(const struct job *j, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	if (!j->has_target && !j->has_image)
		return;
	n = snprintf(buf, len, " [");
	if (j->has_target && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "%s %016" PRIX64 "%s", j->part, j->device_id,
			      j->has_image ? ", " : "");
	if (j->has_image && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "image %.12s %.60s", j->image.sha256,
			      j->image.name);
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "]");
}

/* CLOCK_MONOTONIC deadline for pthread_cond_timedwait (the conditions
 * are created with that clock). */
static void deadline_after_ms(struct timespec *dl, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += ms / 1000;
	dl->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void job_unref(struct job *j)
{
	if (!j || --j->refs)
		return;
	img_free(&j->img);
	for (unsigned i = 0; i < j->nmsgs; i++)
		free(j->msgs[i]);
	free(j);
}

static int is_active(const struct job *j)
{
	return j->state == JOB_QUEUED || j->state == JOB_RUNNING;
}

/* ---- JSON ---- */

static void put_time(json_t *o, const char *key_iso, const char *key_ms, int64_t ms)
{
	char buf[40];

	if (!ms) {
		json_object_set_new(o, key_iso, json_null());
		return;
	}
	store_iso_time(ms, buf, sizeof(buf));
	json_object_set_new(o, key_iso, json_string(buf));
	json_object_set_new(o, key_ms, json_integer(ms));
}

static json_t *job_json_locked(const struct job *j)
{
	json_t *o = json_object(), *opt;
	char dev[24];

	json_object_set_new(o, "id", json_integer((json_int_t)j->id));
	json_object_set_new(o, "kind", json_string(job_kind_name(j->kind)));
	json_object_set_new(o, "state", json_string(job_state_name(j->state)));
	json_object_set_new(o, "phase", j->has_phase ? json_string(nrf52_phase_name(j->phase))
						     : json_null());
	json_object_set_new(o, "bytes_done", json_integer((json_int_t)j->bytes_done));
	json_object_set_new(o, "bytes_total", json_integer((json_int_t)j->bytes_total));
	if (j->has_image)
		json_object_set_new(o, "image", json_pack("{s:s, s:s, s:s}", "sha256",
			j->image.sha256, "name", j->image.name, "format", j->image.format));
	else
		json_object_set_new(o, "image", json_null());
	opt = json_object();
	switch (j->kind) {
	case JOB_FLASH:
		json_object_set_new(opt, "format", json_string(j->opts.format == IMG_AUTO ? "auto"
					: img_format_name(j->opts.format)));
		if (j->opts.format == IMG_BIN || j->opts.base) {
			char b[16];
			snprintf(b, sizeof(b), "0x%08" PRIX32, j->opts.base);
			json_object_set_new(opt, "base", json_string(b));
		}
		json_object_set_new(opt, "erase", json_string(nrf52_erase_mode_name(j->opts.erase)));
		json_object_set_new(opt, "verify", json_boolean(j->opts.verify));
		json_object_set_new(opt, "reset", json_boolean(j->opts.reset));
		json_object_set_new(opt, "recover", json_boolean(j->opts.recover));
		json_object_set_new(opt, "full", json_boolean(j->opts.full_write));
		break;
	case JOB_ERASE:
		json_object_set_new(opt, "scope", json_string(j->opts.erase_uicr ? "uicr" : "chip"));
		break;
	case JOB_RESET:
		json_object_set_new(opt, "halt", json_boolean(j->opts.halt));
		break;
	case JOB_RECOVER:
		break;
	}
	json_object_set_new(o, "options", opt);
	if (j->has_target) {
		snprintf(dev, sizeof(dev), "%016" PRIX64, j->device_id);
		json_object_set_new(o, "target", json_pack("{s:s, s:s}", "part", j->part,
							   "device_id", dev));
	} else {
		json_object_set_new(o, "target", json_null());
	}
	put_time(o, "created_at", "created_ms", j->created_ms);
	put_time(o, "started_at", "started_ms", j->started_ms);
	put_time(o, "finished_at", "finished_ms", j->finished_ms);
	if (j->started_ms)
		json_object_set_new(o, "duration_ms", json_integer(
			(j->finished_ms ? j->finished_ms : store_now_ms()) - j->started_ms));
	else
		json_object_set_new(o, "duration_ms", json_null());
	if (j->state == JOB_FAILED || j->state == JOB_CANCELLED || j->state == JOB_INTERRUPTED)
		json_object_set_new(o, "error", json_pack("{s:s, s:s}", "code", j->err_name,
							  "message", j->err_msg));
	if (j->nmsgs) {
		json_t *a = json_array();
		for (unsigned i = 0; i < j->nmsgs; i++)
			json_array_append_new(a, json_string(j->msgs[i]));
		json_object_set_new(o, "messages", a);
	}
	if (j->has_stats) {
		const struct nrf52_stats *s = &j->stats;
		json_object_set_new(o, "stats", json_pack(
			"{s:i, s:i, s:i, s:I, s:I, s:b, s:b}",
			"pages_erased", (int)s->pages_erased, "pages_skipped", (int)s->pages_skipped,
			"pages_written", (int)s->pages_written,
			"bytes_written", (json_int_t)s->bytes_written,
			"bytes_verified", (json_int_t)s->bytes_verified,
			"uicr_erased", s->uicr_erased, "uicr_merged", s->uicr_merged));
	}
	if (j->err_code)
		json_object_set_new(o, "error_status_code", json_integer(j->err_code));
	return o;
}

static enum job_state state_from_name(const char *s)
{
	for (int i = JOB_QUEUED; i <= JOB_INTERRUPTED; i++)
		if (s && !strcmp(s, job_state_name((enum job_state)i)))
			return (enum job_state)i;
	return JOB_INTERRUPTED;
}

static void copy_s(char *dst, size_t n, json_t *v)
{
	const char *s = json_string_value(v);

	snprintf(dst, n, "%s", s ? s : "");
}

/* A record read back from the history file. */
static struct job *job_from_json(json_t *o)
{
	struct job *j = calloc(1, sizeof(*j));
	json_t *v, *opt;

	if (!j)
		return NULL;
	j->refs = 1;
	j->id = (uint64_t)json_integer_value(json_object_get(o, "id"));
	const char *kind = json_string_value(json_object_get(o, "kind"));
	for (int k = JOB_FLASH; k <= JOB_RESET; k++)
		if (kind && !strcmp(kind, job_kind_name((enum job_kind)k)))
			j->kind = (enum job_kind)k;
	j->state = state_from_name(json_string_value(json_object_get(o, "state")));
	const char *ph = json_string_value(json_object_get(o, "phase"));
	for (int p = NRF52_PHASE_CONNECT; ph && p <= NRF52_PHASE_READ; p++)
		if (!strcmp(ph, nrf52_phase_name((enum nrf52_phase)p))) {
			j->has_phase = 1;
			j->phase = (enum nrf52_phase)p;
		}
	j->bytes_done = (uint64_t)json_integer_value(json_object_get(o, "bytes_done"));
	j->bytes_total = (uint64_t)json_integer_value(json_object_get(o, "bytes_total"));
	v = json_object_get(o, "image");
	if (json_is_object(v)) {
		j->has_image = 1;
		copy_s(j->image.sha256, sizeof(j->image.sha256), json_object_get(v, "sha256"));
		copy_s(j->image.name, sizeof(j->image.name), json_object_get(v, "name"));
		copy_s(j->image.format, sizeof(j->image.format), json_object_get(v, "format"));
	}
	job_options_default(&j->opts);
	opt = json_object_get(o, "options");
	if (json_is_object(opt)) {
		const char *f = json_string_value(json_object_get(opt, "format"));
		int fi = f ? img_format_from_name(f) : -1;
		j->opts.format = fi < 0 ? IMG_AUTO : (enum img_format)fi;
		const char *b = json_string_value(json_object_get(opt, "base"));
		if (b)
			j->opts.base = (uint32_t)strtoul(b, NULL, 0);
		int e = nrf52_erase_mode_from_name(json_string_value(json_object_get(opt, "erase")));
		j->opts.erase = e < 0 ? NRF52_ERASE_AUTO : (enum nrf52_erase_mode)e;
		j->opts.verify = json_is_true(json_object_get(opt, "verify"));
		j->opts.reset = json_is_true(json_object_get(opt, "reset"));
		j->opts.recover = json_is_true(json_object_get(opt, "recover"));
		j->opts.full_write = json_is_true(json_object_get(opt, "full"));
		const char *sc = json_string_value(json_object_get(opt, "scope"));
		j->opts.erase_uicr = sc && !strcmp(sc, "uicr");
		j->opts.halt = json_is_true(json_object_get(opt, "halt"));
	}
	v = json_object_get(o, "target");
	if (json_is_object(v)) {
		j->has_target = 1;
		copy_s(j->part, sizeof(j->part), json_object_get(v, "part"));
		const char *d = json_string_value(json_object_get(v, "device_id"));
		j->device_id = d ? strtoull(d, NULL, 16) : 0;
	}
	j->created_ms = json_integer_value(json_object_get(o, "created_ms"));
	j->started_ms = json_integer_value(json_object_get(o, "started_ms"));
	j->finished_ms = json_integer_value(json_object_get(o, "finished_ms"));
	v = json_object_get(o, "error");
	if (json_is_object(v)) {
		copy_s(j->err_name, sizeof(j->err_name), json_object_get(v, "code"));
		copy_s(j->err_msg, sizeof(j->err_msg), json_object_get(v, "message"));
	}
	j->err_code = (int)json_integer_value(json_object_get(o, "error_status_code"));
	v = json_object_get(o, "messages");
	for (size_t i = 0; json_is_array(v) && i < json_array_size(v) && j->nmsgs < JOB_MSG_MAX; i++) {
		const char *s = json_string_value(json_array_get(v, i));
		if (s)
			j->msgs[j->nmsgs++] = strdup(s);
	}
	v = json_object_get(o, "stats");
	if (json_is_object(v)) {
		j->has_stats = 1;
		j->stats.pages_erased = (uint32_t)json_integer_value(json_object_get(v, "pages_erased"));
		j->stats.pages_skipped = (uint32_t)json_integer_value(json_object_get(v, "pages_skipped"));
		j->stats.pages_written = (uint32_t)json_integer_value(json_object_get(v, "pages_written"));
		j->stats.bytes_written = (uint64_t)json_integer_value(json_object_get(v, "bytes_written"));
		j->stats.bytes_verified = (uint64_t)json_integer_value(json_object_get(v, "bytes_verified"));
		j->stats.uicr_erased = json_is_true(json_object_get(v, "uicr_erased"));
		j->stats.uicr_merged = json_is_true(json_object_get(v, "uicr_merged"));
	}
	return j;
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

static int append_locked(struct job_mgr *m, struct job *j)
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
static void trim_locked(struct job_mgr *m)
{
	size_t fin = 0, drop, w = 0;

	for (size_t i = 0; i < m->n; i++)
		fin += !is_active(m->jobs[i]);
	if (fin <= m->history_max)
		return;
	drop = fin - m->history_max;
	for (size_t i = 0; i < m->n; i++) {
		if (drop && !is_active(m->jobs[i])) {
			job_unref(m->jobs[i]);
			drop--;
		} else {
			m->jobs[w++] = m->jobs[i];
		}
	}
	m->n = w;
}

static unsigned queued_locked(struct job_mgr *m)
{
	unsigned q = 0;

	for (size_t i = 0; i < m->n; i++)
		q += m->jobs[i]->state == JOB_QUEUED;
	return q;
}

/* ---- events ---- */

static void emit(struct job_mgr *m, enum job_event_kind kind, json_t *snap)
{
	pthread_mutex_lock(&m->llock);
	for (size_t i = 0; i < m->nlst; i++)
		m->lst[i].fn(m->lst[i].user, kind, snap);
	pthread_mutex_unlock(&m->llock);
}

int job_mgr_listen(struct job_mgr *m, job_listener_fn fn, void *user)
{
	int rc = 0;

	pthread_mutex_lock(&m->llock);
	struct listener *nl = realloc(m->lst, (m->nlst + 1) * sizeof(*nl));
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

/* Persist a state change and tell listeners. Called without the lock;
 * snap is consumed. */
static void publish_state(struct job_mgr *m, json_t *snap)
{
	struct sf_err err = { 0 };

	if (!snap)
		return;
	if (history_append(m->hist, snap, &err))
		dlog(DLOG_ERR, "job history: %s", err.msg);
	emit(m, JOB_EVENT_STATE, snap);
	json_decref(snap);
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

json_t *job_list(struct job_mgr *m, unsigned limit)
{
	json_t *a = json_array();

	pthread_mutex_lock(&m->lock);
	for (size_t i = m->n; i-- > 0;) {
		if (limit && json_array_size(a) >= limit)
			break;
		json_array_append_new(a, job_json_locked(m->jobs[i]));
	}
	pthread_mutex_unlock(&m->lock);
	return a;
}

void job_mgr_counts(struct job_mgr *m, unsigned *queued, uint64_t *running_id)
{
	pthread_mutex_lock(&m->lock);
	if (queued)
		*queued = queued_locked(m);
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

json_t *job_target_json(const struct job_target *t)
{
	json_t *o = json_object();
	char buf[40];

	json_object_set_new(o, "probe", json_pack("{s:s, s:s, s:b}", "kind", t->probe_kind,
		"description", t->probe_desc, "open", t->probe_open));
	json_object_set_new(o, "connected", json_boolean(t->connected));
	if (t->connected) {
		json_t *info = target_json_info(&t->info);
		json_object_update(o, info);
		json_decref(info);
		json_object_set_new(o, "locked", json_boolean(t->locked));
	} else {
		static const char *const unknown[] = { "locked", "part", "variant", "flash_size",
						       "ram_size", "device_id" };
		for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++)
			json_object_set_new(o, unknown[k], json_null());
	}
	if (t->error[0])
		json_object_set_new(o, "error", json_string(t->error));
	if (t->updated_ms) {
		store_iso_time(t->updated_ms, buf, sizeof(buf));
		json_object_set_new(o, "updated_at", json_string(buf));
	}
	return o;
}

/* ---- submit / cancel / wait ---- */

int job_submit(struct job_mgr *m, enum job_kind kind, const struct job_options *opts,
	       struct img *img, const struct job_image *image, uint64_t *id,
	       json_t **snapshot, unsigned *retry_after, struct sf_err *err)
{
	struct job *j;
	json_t *snap;
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

	pthread_mutex_lock(&m->lock);
	if (m->stopping) {
		pthread_mutex_unlock(&m->lock);
		free(j);
		return sf_err_set(err, SF_E_NOTARGET, "the daemon is shutting down");
	}
	q = queued_locked(m) + m->reserved;
	if (kind != JOB_FLASH && (q || m->running)) {
		uint64_t rid = m->running ? m->running->id : 0;
		pthread_mutex_unlock(&m->lock);
		free(j);
		if (rid)
			return sf_err_set(err, SF_E_BUSY, "probe busy: job %" PRIu64 " is running", rid);
		return sf_err_set(err, SF_E_BUSY, "probe busy: %u job(s) queued", q);
	}
	if (q >= m->queue_length) {
		pthread_mutex_unlock(&m->lock);
		free(j);
		if (retry_after)
			*retry_after = 5;
		return sf_err_set(err, SF_E_BUSY, "job queue full (%u queued)", q);
	}
	m->reserved++;
	j->id = m->next_id++;
	j->created_ms = store_now_ms();
	snap = job_json_locked(j);
	pthread_mutex_unlock(&m->lock);

	/* durable before anyone can see or run it */
	if (history_append(m->hist, snap, err)) {
		json_decref(snap);
		pthread_mutex_lock(&m->lock);
		m->reserved--;
		pthread_mutex_unlock(&m->lock);
		free(j);
		return err ? err->code : SF_E_IO;
	}
	pthread_mutex_lock(&m->lock);
	m->reserved--;
	if (append_locked(m, j)) {
		pthread_mutex_unlock(&m->lock);
		json_decref(snap);
		free(j);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	if (kind == JOB_FLASH && img)
		j->img_format = img->format;
	*id = j->id;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	dlog(DLOG_INFO, "job %" PRIu64 ": %s queued%s%s", *id, job_kind_name(kind),
	     image ? " image " : "", image ? image->name : "");
	emit(m, JOB_EVENT_STATE, snap);
	if (snapshot)
		*snapshot = snap;
	else
		json_decref(snap);
	return 0;
}

static void set_error(struct job *j, int code, const char *msg)
{
	j->err_code = code;
	snprintf(j->err_name, sizeof(j->err_name), "%s", sf_err_name(code));
	snprintf(j->err_msg, sizeof(j->err_msg), "%s", msg);
}

enum job_cancel_result job_cancel(struct job_mgr *m, uint64_t id, json_t **snapshot)
{
	enum job_cancel_result r;
	json_t *snap = NULL;

	*snapshot = NULL;
	pthread_mutex_lock(&m->lock);
	struct job *j = find_locked(m, id);
	if (!j) {
		r = JOB_CANCEL_NOT_FOUND;
	} else if (j->state == JOB_QUEUED) {
		j->state = JOB_CANCELLED;
		j->finished_ms = store_now_ms();
		set_error(j, SF_E_CANCELLED, "cancelled before it started");
		img_free(&j->img);
		snap = job_json_locked(j);
		r = JOB_CANCEL_DONE;
		pthread_cond_broadcast(&m->cond);
	} else if (j->state == JOB_RUNNING) {
		j->cancel = 1;
		r = JOB_CANCEL_REQUESTED;
	} else {
		r = JOB_CANCEL_FINISHED;
	}
	if (j)
		*snapshot = job_json_locked(j);
	pthread_mutex_unlock(&m->lock);
	if (snap) {
		dlog(DLOG_INFO, "job %" PRIu64 ": cancelled while queued", id);
		publish_state(m, snap);
	}
	if (r == JOB_CANCEL_REQUESTED)
		dlog(DLOG_INFO, "job %" PRIu64 ": cancel requested; stops at the next safe point", id);
	return r;
}

json_t *job_wait(struct job_mgr *m, uint64_t id, unsigned timeout_ms, int *err_code)
{
	struct timespec dl;
	json_t *o = NULL;

	deadline_after_ms(&dl, timeout_ms);
	*err_code = 0;
	pthread_mutex_lock(&m->lock);
	struct job *j = find_locked(m, id);
	if (!j) {
		pthread_mutex_unlock(&m->lock);
		return NULL;
	}
	j->refs++;
	while (is_active(j)) {
		int rc = timeout_ms ? pthread_cond_timedwait(&m->cond, &m->lock, &dl)
				    : pthread_cond_wait(&m->cond, &m->lock);
		if (rc == ETIMEDOUT)
			break;
	}
	o = job_json_locked(j);
	if (!is_active(j))
		*err_code = j->state == JOB_SUCCEEDED ? 0 : (j->err_code ? j->err_code : SF_E_IO);
	else
		*err_code = SF_E_TIMEOUT;
	job_unref(j);
	pthread_mutex_unlock(&m->lock);
	return o;
}

/* ---- the worker ---- */

static void engine_log(void *user, const char *line)
{
	struct job_mgr *m = user;

	/* only the worker runs the engine, so m->cur is stable here */
	if (m->cur) {
		dlog(DLOG_INFO, "job %" PRIu64 ": %s", m->cur->id, line);
		pthread_mutex_lock(&m->lock);
		if (m->cur->nmsgs < JOB_MSG_MAX)
			m->cur->msgs[m->cur->nmsgs++] = strdup(line);
		pthread_mutex_unlock(&m->lock);
	} else {
		dlog(DLOG_INFO, "target: %s", line);
	}
}

static void sample_dap_stats(struct job_mgr *m);

static int engine_progress(void *user, enum nrf52_phase phase, uint64_t done, uint64_t total)
{
	struct job_mgr *m = user;
	struct job *j = m->cur;
	json_t *snap = NULL;
	int cancel;
	int64_t now = mono_ms();

	if (!j)
		return 0;
	pthread_mutex_lock(&m->lock);
	int changed = !j->has_phase || j->phase != phase;
	j->has_phase = 1;
	j->phase = phase;
	j->bytes_done = done;
	j->bytes_total = total;
	cancel = j->cancel;
	if (changed || now - j->last_event_ms >= JOB_PROGRESS_INTERVAL_MS || done == total) {
		j->last_event_ms = now;
		snap = job_json_locked(j);
	}
	pthread_mutex_unlock(&m->lock);
	if (snap) {
		sample_dap_stats(m);
		emit(m, JOB_EVENT_PROGRESS, snap);
		json_decref(snap);
	}
	return cancel;
}

/* Worker only: add what the probe counted since the last sample. */
static void sample_dap_stats(struct job_mgr *m)
{
	struct swd_probe_stats cur, *l = &m->dap_last, *t = &m->dap_total;

	if (!m->probe)
		return;
	swd_probe_stats(m->probe, &cur);
#define DAP_DELTA(f) (cur.f >= l->f ? cur.f - l->f : cur.f)
	pthread_mutex_lock(&m->lock);
	t->valid |= cur.valid;
	t->commands += DAP_DELTA(commands);
	t->retries += DAP_DELTA(retries);
	t->transfers += DAP_DELTA(transfers);
	t->waits += DAP_DELTA(waits);
	t->faults += DAP_DELTA(faults);
	t->protocol_errors += DAP_DELTA(protocol_errors);
	t->line_resets += DAP_DELTA(line_resets);
	pthread_mutex_unlock(&m->lock);
#undef DAP_DELTA
	*l = cur;
}

void job_mgr_probe_stats(struct job_mgr *m, struct swd_probe_stats *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->dap_total;
	pthread_mutex_unlock(&m->lock);
}

static void close_probe(struct job_mgr *m)
{
	sample_dap_stats(m);
	memset(&m->dap_last, 0, sizeof(m->dap_last));
	nrf52_free(m->eng);
	m->eng = NULL;
	swd_probe_close(m->probe);
	m->probe = NULL;
}

static int open_probe(struct job_mgr *m, struct sf_err *err)
{
	if (m->probe)
		return 0;
	int rc = swd_probe_open(m->spec, &m->probe, err);
	if (rc)
		return rc;
	m->eng = nrf52_new(swd_probe_dap(m->probe), swd_probe_clock(m->probe), engine_log, m);
	if (!m->eng) {
		close_probe(m);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	nrf52_set_progress(m->eng, engine_progress, m);
	return 0;
}

/* Identify the target and update the cache; emits a target event when
 * something a user cares about changed. Worker only. */
static int refresh_target(struct job_mgr *m, struct nrf52_info *info_out)
{
	struct job_target t;
	struct sf_err err = { 0 };
	int rc;

	memset(&t, 0, sizeof(t));
	rc = open_probe(m, &err);
	if (!rc) {
		t.probe_open = 1;
		snprintf(t.probe_kind, sizeof(t.probe_kind), "%s", swd_probe_kind(m->probe));
		snprintf(t.probe_desc, sizeof(t.probe_desc), "%s", swd_probe_desc(m->probe));
		rc = nrf52_identify(m->eng, &t.info, &err);
		if (!rc) {
			t.connected = 1;
			t.locked = t.info.locked;
		}
	} else {
		snprintf(t.probe_kind, sizeof(t.probe_kind), "%.*s", (int)strcspn(m->spec, ":"),
			 m->spec);
		snprintf(t.probe_desc, sizeof(t.probe_desc), "%.190s", m->spec);
	}
	if (rc)
		snprintf(t.error, sizeof(t.error), "%s", err.msg);
	t.updated_ms = store_now_ms();
	sample_dap_stats(m);
	if (info_out)
		*info_out = t.info;

	pthread_mutex_lock(&m->lock);
	struct job_target old = m->target;
	m->target = t;
	pthread_mutex_unlock(&m->lock);
	if (old.connected != t.connected || old.locked != t.locked ||
	    old.info.device_id != t.info.device_id || old.info.part != t.info.part ||
	    old.probe_open != t.probe_open || !old.updated_ms) {
		if (t.connected)
			dlog(DLOG_INFO, "target: %s %s%s, device id %016" PRIX64, t.probe_desc,
			     t.info.identified ? t.info.name : "nRF52", t.locked ? " (locked)" : "",
			     t.info.device_id);
		else
			dlog(old.connected || !old.updated_ms ? DLOG_WARNING : DLOG_INFO,
			     "target: not connected: %s", t.error);
		json_t *snap = job_target_json(&t);
		emit(m, JOB_EVENT_TARGET, snap);
		json_decref(snap);
	}
	return rc;
}

static void add_target(struct job_mgr *m, struct job *j, const struct nrf52_info *info)
{
	pthread_mutex_lock(&m->lock);
	if (info->identified) {
		j->has_target = 1;
		snprintf(j->part, sizeof(j->part), "%s", info->name);
		j->device_id = info->device_id;
	}
	pthread_mutex_unlock(&m->lock);
}

/* Connect and identify for a job: recover when asked. */
static int job_connect(struct job_mgr *m, struct job *j, struct nrf52_info *info,
		       int need_open, struct sf_err *err)
{
	int rc;

	engine_progress(m, NRF52_PHASE_CONNECT, 0, 1);
	rc = open_probe(m, err);
	if (rc)
		return rc;
	rc = nrf52_identify(m->eng, info, err);
	if (rc)
		return rc;
	if (info->locked && need_open) {
		if (!j->opts.recover)
			return sf_err_set(err, SF_E_LOCKED,
				"target is locked (APPROTECT); flash with recover=1 or POST "
				"/api/v1/target/recover to erase and unlock it (destroys its contents)");
		engine_progress(m, NRF52_PHASE_RECOVER, 0, 1);
		rc = nrf52_recover(m->eng, err);
		if (rc)
			return rc;
		rc = nrf52_identify(m->eng, info, err);
		if (rc)
			return rc;
		if (info->locked)
			return sf_err_set(err, SF_E_LOCKED, "target still locked after recover");
	}
	add_target(m, j, info);
	return 0;
}

static int run_job(struct job_mgr *m, struct job *j, struct sf_err *err)
{
	struct nrf52_info info;
	int rc;

	switch (j->kind) {
	case JOB_FLASH: {
		struct nrf52_flash_opts fo = {
			.erase = j->opts.erase, .verify = j->opts.verify, .reset = j->opts.reset,
			.full_write = j->opts.full_write, .recover = 0,
		};
		struct nrf52_stats st;
		const uint8_t *data;
		size_t len;
		rc = store_map_file(j->image.path, &data, &len, err);
		if (rc)
			return rc;
		rc = img_parse(data, len, j->img_format, j->opts.base, &j->img, err);
		store_unmap(data, len);
		if (rc)
			return rc;
		if (strcmp(j->img.sha256_hex, j->image.sha256))
			return sf_err_set(err, SF_E_IO, "stored image %s changed on disk", j->image.path);
		rc = job_connect(m, j, &info, 1, err);
		if (rc)
			return rc;
		rc = nrf52_check_image(&info, &j->img, err);
		if (rc)
			return rc;
		memset(&st, 0, sizeof(st));
		rc = nrf52_flash(m->eng, &j->img, &fo, &st, err);
		pthread_mutex_lock(&m->lock);
		j->has_stats = 1;
		j->stats = st;
		pthread_mutex_unlock(&m->lock);
		return rc;
	}
	case JOB_RECOVER:
		rc = open_probe(m, err);
		if (rc)
			return rc;
		engine_progress(m, NRF52_PHASE_RECOVER, 0, 1);
		rc = nrf52_recover(m->eng, err);
		if (!rc && !nrf52_identify(m->eng, &info, NULL))
			add_target(m, j, &info);
		return rc;
	case JOB_ERASE:
		rc = job_connect(m, j, &info, 1, err);
		if (rc)
			return rc;
		engine_progress(m, NRF52_PHASE_ERASE, 0, 1);
		rc = j->opts.erase_uicr ? nrf52_erase_uicr(m->eng, err) : nrf52_erase_chip(m->eng, err);
		return rc;
	case JOB_RESET:
		rc = job_connect(m, j, &info, 0, err);
		if (rc)
			return rc;
		engine_progress(m, NRF52_PHASE_RESET, 0, 1);
		return nrf52_reset(m->eng, NRF52_RESET_SYSRESETREQ, j->opts.halt, err);
	}
	return sf_err_set(err, SF_E_ARG, "unknown job kind");
}

static void serve_read(struct job_mgr *m, struct mem_req *r)
{
	int rc = open_probe(m, &r->err);

	if (!rc && !m->target.connected) {
		struct nrf52_info info;
		rc = nrf52_identify(m->eng, &info, &r->err);
	}
	if (!rc) {
		rc = nrf52_read(m->eng, r->addr, r->buf, r->len, &r->err);
		if (rc && rc != SF_E_LOCKED && rc != SF_E_FAULT) {
			/* the link may have dropped since the last refresh: reconnect once */
			struct nrf52_info info;
			struct sf_err e2 = { 0 };
			if (!nrf52_identify(m->eng, &info, &e2))
				rc = nrf52_read(m->eng, r->addr, r->buf, r->len, &r->err);
		}
	}
	r->rc = rc;
}

static struct job *next_queued_locked(struct job_mgr *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->jobs[i]->state == JOB_QUEUED)
			return m->jobs[i];
	return NULL;
}

static void *worker(void *arg)
{
	struct job_mgr *m = arg;
	int64_t next_refresh = 0;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		if (m->req && !m->req->done) {
			struct mem_req *r = m->req;
			pthread_mutex_unlock(&m->lock);
			serve_read(m, r);
			pthread_mutex_lock(&m->lock);
			r->done = 1;
			pthread_cond_broadcast(&m->cond);
			continue;
		}
		struct job *j = m->exit ? NULL : next_queued_locked(m);
		if (j) {
			struct sf_err err = { 0 };
			json_t *snap;
			int rc;

			j->refs++;
			j->state = JOB_RUNNING;
			j->started_ms = store_now_ms();
			m->running = j;
			m->cur = j;
			snap = job_json_locked(j);
			pthread_mutex_unlock(&m->lock);
			publish_state(m, snap);
			dlog(DLOG_INFO, "job %" PRIu64 ": %s started", j->id, job_kind_name(j->kind));

			rc = run_job(m, j, &err);
			sample_dap_stats(m);

			pthread_mutex_lock(&m->lock);
			if (rc == SF_E_CANCELLED || (rc && j->cancel)) {
				j->state = JOB_CANCELLED;
				set_error(j, SF_E_CANCELLED, m->stopping
					  ? "aborted at a safe point: the daemon is stopping"
					  : "cancelled at a safe point while running; the chip may be partly programmed");
			} else if (rc) {
				j->state = JOB_FAILED;
				set_error(j, rc, err.msg[0] ? err.msg : sf_err_name(rc));
			} else {
				j->state = JOB_SUCCEEDED;
				if (j->kind == JOB_FLASH && j->img.nseg)
					j->bytes_done = j->bytes_total = j->img.total;
			}
			j->finished_ms = store_now_ms();
			img_free(&j->img);
			snap = job_json_locked(j);
			m->cur = NULL;
			pthread_mutex_unlock(&m->lock);
			/* durable before waiters see the end */
			publish_state(m, snap);
			char trace[200];
			job_trace(j, trace, sizeof(trace));
			if (j->state == JOB_SUCCEEDED)
				dlog(DLOG_INFO, "job %" PRIu64 ": succeeded in %" PRId64 " ms%s", j->id,
				     j->finished_ms - j->started_ms, trace);
			else
				dlog(j->state == JOB_FAILED ? DLOG_ERR : DLOG_WARNING,
				     "job %" PRIu64 ": %s: %s%s", j->id, job_state_name(j->state),
				     j->err_msg, trace);
			if (!m->exit)
				refresh_target(m, NULL);
			next_refresh = mono_ms() + m->refresh_ms;
			pthread_mutex_lock(&m->lock);
			m->running = NULL;
			trim_locked(m);
			job_unref(j);
			pthread_cond_broadcast(&m->cond);
			continue;
		}
		if (m->exit)
			break;
		int64_t now = mono_ms();
		if (now >= next_refresh) {
			pthread_mutex_unlock(&m->lock);
			refresh_target(m, NULL);
			pthread_mutex_lock(&m->lock);
			next_refresh = mono_ms() + m->refresh_ms;
			continue;
		}
		struct timespec dl;
		deadline_after_ms(&dl, (unsigned)(next_refresh - now));
		pthread_cond_timedwait(&m->cond, &m->lock, &dl);
	}
	pthread_mutex_unlock(&m->lock);
	close_probe(m);
	return NULL;
}

/* ---- memory read ---- */

int job_read_memory(struct job_mgr *m, uint32_t addr, uint32_t len, uint8_t **buf,
		    struct sf_err *err)
{
	struct mem_req r = { .addr = addr, .len = len };

	*buf = NULL;
	r.buf = malloc(len ? len : 1);
	if (!r.buf)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	pthread_mutex_lock(&m->lock);
	for (;;) {
		if (m->stopping) {
			pthread_mutex_unlock(&m->lock);
			free(r.buf);
			return sf_err_set(err, SF_E_NOTARGET, "the daemon is shutting down");
		}
		if (m->running || queued_locked(m) || m->reserved) {
			uint64_t rid = m->running ? m->running->id : 0;
			pthread_mutex_unlock(&m->lock);
			free(r.buf);
			if (rid)
				return sf_err_set(err, SF_E_BUSY, "probe busy: job %" PRIu64 " is running", rid);
			return sf_err_set(err, SF_E_BUSY, "probe busy: jobs are queued");
		}
		if (!m->req)
			break;
		pthread_cond_wait(&m->cond, &m->lock); /* another read first */
	}
	m->req = &r;
	pthread_cond_broadcast(&m->cond);
	while (!r.done)
		pthread_cond_wait(&m->cond, &m->lock);
	m->req = NULL;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	if (r.rc) {
		free(r.buf);
		if (err)
			*err = r.err;
		return r.rc;
	}
	*buf = r.buf;
	return 0;
}

/* ---- life cycle ---- */

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
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(m->spec, sizeof(m->spec), "%s", cfg->probe_spec);
	m->queue_length = cfg->queue_length ? cfg->queue_length : 1;
	m->history_max = cfg->history_max ? cfg->history_max : 1;
	m->refresh_ms = cfg->refresh_ms ? cfg->refresh_ms : 2000;
	m->hist = h;
	m->next_id = 1;
	for (size_t i = 0; records && i < json_array_size(records); i++) {
		struct job *j = job_from_json(json_array_get(records, i));
		if (!j || !j->id || append_locked(m, j)) {
			job_unref(j);
			continue;
		}
		if (j->id >= m->next_id)
			m->next_id = j->id + 1;
	}
	/* bad spec syntax is fatal; an unreachable probe is retried later */
	if (open_probe(m, &perr)) {
		if (perr.code == SF_E_ARG) {
			sf_err_set(err, SF_E_ARG, "probe %s: %s", m->spec, perr.msg);
			job_mgr_free(m);
			return NULL;
		}
		dlog(DLOG_WARNING, "probe %s: %s (retrying every %u ms)", m->spec, perr.msg,
		     m->refresh_ms);
	}
	return m;
}

int job_mgr_start(struct job_mgr *m, struct sf_err *err)
{
	int rc = pthread_create(&m->thread, NULL, worker, m);

	if (rc)
		return sf_err_set(err, SF_E_IO, "worker thread: %s", strerror(rc));
	m->started = 1;
	return 0;
}

void job_mgr_stop(struct job_mgr *m, unsigned grace_ms)
{
	json_t **snaps = NULL;
	size_t ns = 0;
	struct timespec dl;

	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	snaps = calloc(m->n ? m->n : 1, sizeof(*snaps));
	for (size_t i = 0; i < m->n; i++) {
		struct job *j = m->jobs[i];
		if (j->state != JOB_QUEUED)
			continue;
		j->state = JOB_CANCELLED;
		j->finished_ms = store_now_ms();
		set_error(j, SF_E_CANCELLED, "cancelled before it started: the daemon is stopping");
		img_free(&j->img);
		if (snaps)
			snaps[ns++] = job_json_locked(j);
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < ns; i++)
		publish_state(m, snaps[i]);
	free(snaps);

	deadline_after_ms(&dl, grace_ms);
	pthread_mutex_lock(&m->lock);
	if (m->running)
		dlog(DLOG_INFO, "stopping: job %" PRIu64 " may run for %u ms more", m->running->id,
		     grace_ms);
	while (m->running) {
		if (pthread_cond_timedwait(&m->cond, &m->lock, &dl) == ETIMEDOUT)
			break;
	}
	if (m->running) {
		dlog(DLOG_WARNING, "stopping: aborting job %" PRIu64 " at the next safe point",
		     m->running->id);
		m->running->cancel = 1;
		while (m->running)
			pthread_cond_wait(&m->cond, &m->lock);
	}
	m->exit = 1;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	if (m->started) {
		pthread_join(m->thread, NULL);
		m->started = 0;
	}
}

void job_mgr_free(struct job_mgr *m)
{
	if (!m)
		return;
	if (m->started)
		job_mgr_stop(m, 0);
	close_probe(m);
	for (size_t i = 0; i < m->n; i++)
		job_unref(m->jobs[i]);
	free(m->jobs);
	free(m->lst);
	pthread_cond_destroy(&m->cond);
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
	trim_locked(m);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	history_set_max(m->hist, history_max);
}
