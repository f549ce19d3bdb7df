// SPDX-License-Identifier: GPL-2.0-or-later
/* job_worker: the worker thread of the job manager (see job.h). It owns
 * the probe and the engine, runs the queued jobs, serves memory reads and
 * identifies the target when idle; job_mgr_start/stop are its life cycle. */
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
#include "../swd/probe.h"
#include "pagekeep.h"
#include "store.h"

/* A memory-read waiter checks this often whether the worker was abandoned. */
#define JOB_READ_SLICE_MS 1000U

/* Which path the engine took (on-target routines or the wire): debug
 * priority, so journalctl -p debug shows it. */
static void engine_debug(void *user, const char *line)
{
	(void)user;
	dlog(DLOG_DEBUG, "engine: %s", line);
}

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

/* An erase or recover asked for destroys the chip's contents on purpose:
 * what an unfinished flash kept for it must not come back. */
static void forget_kept(struct job_mgr *m, uint64_t device_id)
{
	unsigned n = m->keep ? pagekeep_forget_chip(m->keep, device_id) : 0;
	char line[160];

	if (!n)
		return;
	snprintf(line, sizeof(line), "dropped %u page(s) an unfinished flash had kept to restore "
		 "(the chip's contents were erased on purpose)", n);
	engine_log(m, line);
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

/* What is true of the chip when a job stops early, from the phase it had
 * reached (the engine's order: connect, recover, erase, program, verify,
 * reset). */
static const char *job_cancel_state(const struct job *j)
{
	if (!j->has_phase)
		return "the chip was not touched";
	switch (j->phase) {
	case NRF52_PHASE_CONNECT:
		return "the chip was not changed";
	case NRF52_PHASE_RECOVER:
		return "the chip may be partly erased by the recover";
	case NRF52_PHASE_ERASE:
		return j->kind == JOB_FLASH ? "the chip may be partly erased; nothing was programmed"
					    : "the chip may be partly erased";
	case NRF52_PHASE_PROGRAM:
		return "the chip may be partly programmed";
	case NRF52_PHASE_VERIFY:
		return "the image was fully programmed; the verify did not complete";
	case NRF52_PHASE_RESET:
		if (j->kind != JOB_FLASH)
			return "the reset did not complete";
		return j->opts.verify ? "the image was programmed and verified; the reset was not done"
				      : "the image was programmed; the reset was not done";
	case NRF52_PHASE_READ:
		return "the chip was not changed";
	}
	return "the chip's state is unknown";
}

/* The engine's safe point: progress, and whether to stop here. */
int job_worker_progress(void *user, enum nrf52_phase phase, uint64_t done, uint64_t total)
{
	struct job_mgr *m = user;
	struct job *j = m->cur;
	struct job_event ev = { .snapshot = NULL };
	int cancel;
	int64_t now = clock_mono_ms();

	if (!j) {
		/* a memory read: a stopping daemon ends it at its next chunk */
		pthread_mutex_lock(&m->lock);
		cancel = m->stopping;
		pthread_mutex_unlock(&m->lock);
		return cancel;
	}
	pthread_mutex_lock(&m->lock);
	int changed = !j->has_phase || j->phase != phase;
	j->has_phase = 1;
	j->phase = phase;
	j->bytes_done = done;
	j->bytes_total = total;
	cancel = j->cancel;
	if (changed || now - j->last_event_ms >= JOB_PROGRESS_INTERVAL_MS || done == total) {
		j->last_event_ms = now;
		job_event_of_locked(j, JOB_EVENT_PROGRESS, &ev);
	}
	pthread_mutex_unlock(&m->lock);
	if (ev.snapshot) {
		sample_dap_stats(m);
		job_emit(m, &ev);
		json_decref(ev.snapshot);
	}
	return cancel;
}

void job_worker_close_probe(struct job_mgr *m)
{
	sample_dap_stats(m);
	memset(&m->dap_last, 0, sizeof(m->dap_last));
	nrf52_free(m->eng);
	m->eng = NULL;
	swd_probe_close(m->probe);
	m->probe = NULL;
}

int job_worker_open_probe(struct job_mgr *m, struct sf_err *err)
{
	if (m->probe)
		return 0;
	int rc = swd_probe_open(m->spec, &m->probe, err);
	if (rc)
		return rc;
	m->eng = nrf52_new(swd_probe_dap(m->probe), swd_probe_clock(m->probe), engine_log, m);
	if (!m->eng) {
		job_worker_close_probe(m);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	nrf52_set_progress(m->eng, job_worker_progress, m);
	if (m->keep)
		nrf52_set_keeper(m->eng, pagekeep_keeper(m->keep));
	nrf52_set_debug(m->eng, engine_debug, m);
	return 0;
}

/* What a user is told changed; old is what the last event said (or
 * nothing yet: old->updated_ms 0). */
static enum job_target_change target_change(const struct job_target *old,
					    const struct job_target *t)
{
	if (!old->updated_ms || old->connected != t->connected)
		return t->connected ? (t->locked ? JOB_TARGET_LOCKED : JOB_TARGET_CONNECTED)
				    : JOB_TARGET_DISCONNECTED;
	if (old->locked != t->locked)
		return t->locked ? JOB_TARGET_LOCKED : JOB_TARGET_UNLOCKED;
	return JOB_TARGET_PART_CHANGED;
}

/* Identify the target and update the cache; emits a target event when
 * something a user cares about changed. Worker only. */
static int refresh_target(struct job_mgr *m, struct nrf52_info *info_out)
{
	struct job_target t;
	struct sf_err err = { 0 };
	int rc;

	memset(&t, 0, sizeof(t));
	rc = job_worker_open_probe(m, &err);
	if (!rc) {
		t.probe_open = 1;
		snprintf(t.probe_kind, sizeof(t.probe_kind), "%s", swd_probe_kind(m->probe));
		snprintf(t.probe_desc, sizeof(t.probe_desc), "%s", swd_probe_desc(m->probe));
		if (swd_probe_usb(m->probe))
			t.usb = *swd_probe_usb(m->probe);
		rc = nrf52_identify(m->eng, &t.info, &err);
		if (!rc) {
			t.connected = 1;
			t.locked = t.info.locked;
		} else if (rc == SF_E_DISCONNECTED) {
			/* unplugged: drop it; the next refresh or job opens it again
			 * (and finds it once it is plugged back in) */
			job_worker_close_probe(m);
			t.probe_open = 0;
			t.probe_gone = 1;
		}
	} else {
		snprintf(t.probe_kind, sizeof(t.probe_kind), "%.*s", (int)strcspn(m->spec, ":"),
			 m->spec);
		snprintf(t.probe_desc, sizeof(t.probe_desc), "%.190s", m->spec);
		/* still unplugged: it stays "disconnected" (with what it was)
		 * until it opens again, not a probe that was never there */
		pthread_mutex_lock(&m->lock);
		if (m->target.probe_gone) {
			t.probe_gone = 1;
			t.usb = m->target.usb;
			t.usb.voltage_mv = -1; /* nothing measures it now */
		}
		pthread_mutex_unlock(&m->lock);
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
	    old.probe_open != t.probe_open || old.probe_gone != t.probe_gone || !old.updated_ms) {
		struct job_event ev;

		if (t.connected)
			dlog(DLOG_INFO, "target: %s %s%s, device id %016" PRIX64, t.probe_desc,
			     t.info.identified ? t.info.name : "nRF52", t.locked ? " (locked)" : "",
			     t.info.device_id);
		else
			dlog(old.connected || !old.updated_ms ? DLOG_WARNING : DLOG_INFO,
			     "target: not connected: %s", t.error);
		memset(&ev, 0, sizeof(ev));
		ev.kind = JOB_EVENT_TARGET;
		ev.change = target_change(&old, &t);
		if (t.connected && t.info.identified)
			snprintf(ev.part, sizeof(ev.part), "%s", t.info.name);
		ev.target = t;
		ev.duration_ms = -1;
		ev.snapshot = job_target_json(&t);
		job_emit(m, &ev);
		json_decref(ev.snapshot);
	}
	return rc;
}

void job_worker_add_target(struct job_mgr *m, struct job *j, const struct nrf52_info *info)
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

	job_worker_progress(m, NRF52_PHASE_CONNECT, 0, 1);
	rc = job_worker_open_probe(m, err);
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
		job_worker_progress(m, NRF52_PHASE_RECOVER, 0, 1);
		rc = nrf52_recover(m->eng, err);
		if (rc)
			return rc;
		rc = nrf52_identify(m->eng, info, err);
		if (rc)
			return rc;
		if (info->locked)
			return sf_err_set(err, SF_E_LOCKED, "target still locked after recover");
	}
	job_worker_add_target(m, j, info);
	return 0;
}

static int run_job(struct job_mgr *m, struct job *j, struct sf_err *err)
{
	struct nrf52_info info;
	int rc;

	switch (j->kind) {
	case JOB_FLASH: {
		struct nrf52_flash_opts fo = {
			.erase = j->opts.erase, .verify = j->opts.verify,
			.verify_mode = j->opts.verify_mode, .reset = j->opts.reset,
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
		rc = job_worker_open_probe(m, err);
		if (rc)
			return rc;
		job_worker_progress(m, NRF52_PHASE_RECOVER, 0, 1);
		rc = nrf52_recover(m->eng, err);
		if (!rc && !nrf52_identify(m->eng, &info, NULL)) {
			job_worker_add_target(m, j, &info);
			forget_kept(m, info.device_id);
		}
		return rc;
	case JOB_ERASE:
		rc = job_connect(m, j, &info, 1, err);
		if (rc)
			return rc;
		job_worker_progress(m, NRF52_PHASE_ERASE, 0, 1);
		rc = j->opts.erase_uicr ? nrf52_erase_uicr(m->eng, err) : nrf52_erase_chip(m->eng, err);
		if (!rc)
			forget_kept(m, info.device_id);
		return rc;
	case JOB_RESET:
		rc = job_connect(m, j, &info, 0, err);
		if (rc)
			return rc;
		job_worker_progress(m, NRF52_PHASE_RESET, 0, 1);
		return nrf52_reset(m->eng, NRF52_RESET_SYSRESETREQ, j->opts.halt, err);
	case JOB_BOARD:
		return job_board_run(m, j, err);
	}
	return sf_err_set(err, SF_E_ARG, "unknown job kind");
}

/* ---- memory reads ---- */

static void req_unref_locked(struct job_mem_req *r)
{
	if (r && !--r->refs) {
		free(r->buf);
		free(r);
	}
}

static void serve_read(struct job_mgr *m, struct job_mem_req *r)
{
	int rc = job_worker_open_probe(m, &r->err);

	if (!rc && !m->target.connected) {
		struct nrf52_info info;
		rc = nrf52_identify(m->eng, &info, &r->err);
	}
	if (!rc) {
		rc = nrf52_read(m->eng, r->addr, r->buf, r->len, &r->err);
		if (rc && rc != SF_E_LOCKED && rc != SF_E_FAULT && rc != SF_E_CANCELLED) {
			/* the link may have dropped since the last refresh: reconnect once */
			struct nrf52_info info;
			struct sf_err e2 = { 0 };
			if (!nrf52_identify(m->eng, &info, &e2))
				rc = nrf52_read(m->eng, r->addr, r->buf, r->len, &r->err);
		}
	}
	r->rc = rc;
}

int job_read_memory(struct job_mgr *m, uint32_t addr, uint32_t len, uint8_t **buf,
		    struct sf_err *err)
{
	struct job_mem_req *r = calloc(1, sizeof(*r));
	struct timespec dl;
	int rc;

	*buf = NULL;
	if (!r || !(r->buf = malloc(len ? len : 1))) {
		free(r);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	r->refs = 1;
	r->addr = addr;
	r->len = len;
	pthread_mutex_lock(&m->lock);
	for (;;) {
		if (m->stopping || m->abandoned) {
			req_unref_locked(r);
			pthread_mutex_unlock(&m->lock);
			return sf_err_set(err, SF_E_NOTARGET, "the daemon is shutting down");
		}
		if (!job_busy_locked(m) && m->running && !job_queued_locked(m) && !m->reserved) {
			/* the job ended for every reader; the worker finishes its tail */
			clock_deadline_after_ms(&dl, JOB_READ_SLICE_MS);
			pthread_cond_timedwait(&m->ended, &m->lock, &dl);
			continue;
		}
		if (m->running || job_queued_locked(m) || m->reserved) {
			uint64_t rid = m->running ? m->running->id : 0;
			req_unref_locked(r);
			pthread_mutex_unlock(&m->lock);
			if (rid)
				return sf_err_set(err, SF_E_BUSY, "probe busy: job %" PRIu64 " is running", rid);
			return sf_err_set(err, SF_E_BUSY, "probe busy: jobs are queued");
		}
		if (!m->req)
			break;
		/* another read first */
		clock_deadline_after_ms(&dl, JOB_READ_SLICE_MS);
		pthread_cond_timedwait(&m->read_done, &m->lock, &dl);
	}
	r->refs++;  /* the slot's: the worker drops it */
	m->req = r;
	pthread_cond_broadcast(&m->work);
	while (!r->done && !m->abandoned) {
		/* the engine's polls all have deadlines; the slice only notices an
		 * abandoned worker */
		clock_deadline_after_ms(&dl, JOB_READ_SLICE_MS);
		pthread_cond_timedwait(&m->read_done, &m->lock, &dl);
	}
	if (!r->done) {
		req_unref_locked(r);
		pthread_mutex_unlock(&m->lock);
		return sf_err_set(err, SF_E_NOTARGET, "the daemon is shutting down");
	}
	rc = r->rc;
	if (rc) {
		if (err)
			*err = r->err;
	} else {
		*buf = r->buf;
		r->buf = NULL;
	}
	req_unref_locked(r);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* ---- the thread ---- */

/* Run j (queued, lock held on entry and on return).
 *
 * Durable first: a job's end is visible (job_get, job_wait, events) only
 * once its record is in the history. If that append fails (a full disk),
 * a job that succeeded is reported failed with the append's error
 * (no_space, 507), never succeeded: a restart would otherwise show it
 * interrupted. A job whose "running" record cannot be written is not run
 * at all (the chip is not touched). */
static void worker_run(struct job_mgr *m, struct job *j)
{
	struct sf_err err = { 0 }, rerr = { 0 };
	struct job_event ev;
	enum job_state final;
	int64_t finished;
	int rc, rec, not_started = 0;

	j->refs++;
	j->state = JOB_RUNNING;
	j->started_ms = store_now_ms();
	m->running = j;
	m->cur = j;
	job_event_of_locked(j, JOB_EVENT_STATE, &ev);
	pthread_mutex_unlock(&m->lock);
	if (job_publish_state(m, &ev, &rerr)) {
		not_started = 1;
		rc = sf_err_set(&err, rerr.code, "the job was not started (the chip was not "
				"touched): its record could not be written: %s", rerr.msg);
	} else {
		dlog(DLOG_INFO, "job %" PRIu64 ": %s started", j->id, job_kind_name(j->kind));
		rc = run_job(m, j, &err);
	}
	sample_dap_stats(m);

	pthread_mutex_lock(&m->lock);
	if (rc == SF_E_CANCELLED || (rc && j->cancel)) {
		char why[200];
		j->state = JOB_CANCELLED;
		snprintf(why, sizeof(why), "%s at a safe point %s; %s",
			 m->stopping ? "aborted" : "cancelled",
			 m->stopping ? "because the daemon is stopping" : "while running",
			 job_cancel_state(j));
		job_set_error(j, SF_E_CANCELLED, why);
	} else if (rc) {
		j->state = JOB_FAILED;
		job_set_error(j, rc, err.msg[0] ? err.msg : sf_err_name(rc));
	} else {
		j->state = JOB_SUCCEEDED;
		if (j->kind == JOB_FLASH && j->img.nseg)
			j->bytes_done = j->bytes_total = j->img.total;
	}
	j->finished_ms = store_now_ms();
	img_free(&j->img);
	job_event_of_locked(j, JOB_EVENT_STATE, &ev);
	/* still running for every reader until the record is durable */
	final = j->state;
	finished = j->finished_ms;
	j->state = JOB_RUNNING;
	j->finished_ms = 0;
	m->cur = NULL;
	pthread_mutex_unlock(&m->lock);
	rec = history_append(m->hist, ev.snapshot, &rerr);
	pthread_mutex_lock(&m->lock);
	j->state = final;
	j->finished_ms = finished;
	if (rec) {
		char msg[sizeof(j->err_msg)];
		dlog(DLOG_ERR, "job history: %s", rerr.msg);
		if (final == JOB_SUCCEEDED) {
			snprintf(msg, sizeof(msg), "the %s job finished, but its record could not be "
				 "written (%.180s): not reported as succeeded; free space in the state "
				 "directory and run it again", job_kind_name(j->kind), rerr.msg);
			j->state = JOB_FAILED;
			job_set_error(j, rerr.code, msg);
		} else if (!not_started) {
			snprintf(msg, sizeof(msg), "%.180s (its record could not be written: %.100s)",
				 j->err_msg, rerr.msg);
			job_set_error(j, j->err_code, msg);
		}
		json_decref(ev.snapshot);
		job_event_of_locked(j, JOB_EVENT_STATE, &ev);
	}
	pthread_mutex_unlock(&m->lock);
	/* the failure's record, if there is space for it by now */
	if (rec && history_append(m->hist, ev.snapshot, NULL) == 0)
		dlog(DLOG_INFO, "job %" PRIu64 ": its failure was recorded", j->id);
	job_emit(m, &ev);
	json_decref(ev.snapshot);
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
	if (j->kind == JOB_BOARD)
		job_board_ended(m, j);
	pthread_mutex_lock(&m->lock);
	m->running = NULL;
	job_trim_locked(m);
	job_unref(j);
	job_signal_ended_locked(m);
}

/* libusb's hot-plug thread: an ST-Link came or went. */
static void probe_hotplug(void *user)
{
	struct job_mgr *m = user;

	pthread_mutex_lock(&m->lock);
	m->hotplug = 1;
	pthread_cond_broadcast(&m->work);
	pthread_mutex_unlock(&m->lock);
}

static void *worker(void *arg)
{
	struct job_mgr *m = arg;
	int64_t next_refresh = 0;
	/* a USB probe plugged back in is picked up at once, not at the next
	 * refresh (NULL without hot-plug events: the refresh does it) */
	struct swd_probe_watch *watch = swd_probe_watch_new(m->spec, probe_hotplug, m);

	pthread_mutex_lock(&m->lock);
	for (;;) {
		if (m->req && !m->req->done) {
			struct job_mem_req *r = m->req;
			pthread_mutex_unlock(&m->lock);
			serve_read(m, r);
			pthread_mutex_lock(&m->lock);
			r->done = 1;
			m->req = NULL;
			req_unref_locked(r);
			pthread_cond_broadcast(&m->read_done);
			continue;
		}
		struct job *j = m->exit ? NULL : job_next_queued_locked(m);
		if (j) {
			worker_run(m, j);
			next_refresh = clock_mono_ms() + m->refresh_ms;
			continue;
		}
		if (m->exit)
			break;
		int64_t now = clock_mono_ms();
		if (m->hf.start_req || m->hf.again)
			next_refresh = now;
		if (now >= next_refresh || m->hotplug) {
			unsigned period = job_board_poll_ms(m, m->refresh_ms);

			m->hotplug = 0;
			pthread_mutex_unlock(&m->lock);
			refresh_target(m, NULL);
			job_board_idle(m);
			pthread_mutex_lock(&m->lock);
			next_refresh = clock_mono_ms() + period;
			continue;
		}
		struct timespec dl;
		clock_deadline_after_ms(&dl, (unsigned)(next_refresh - now));
		pthread_cond_timedwait(&m->work, &m->lock, &dl);
	}
	pthread_mutex_unlock(&m->lock);
	swd_probe_watch_free(watch);
	job_worker_close_probe(m);
	pthread_mutex_lock(&m->lock);
	m->exit = 2;  /* the thread is about to return: join it */
	job_signal_ended_locked(m);
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int job_mgr_start(struct job_mgr *m, struct sf_err *err)
{
	int rc = pthread_create(&m->thread, NULL, worker, m);

	if (rc)
		return sf_err_set(err, SF_E_IO, "worker thread: %s", strerror(rc));
	m->started = 1;
	return 0;
}

/* Wait on m->ended until cond(m) holds or the deadline passed (lock held). */
static int wait_ended_until(struct job_mgr *m, int (*cond)(struct job_mgr *),
			    const struct timespec *dl)
{
	while (!cond(m))
		if (pthread_cond_timedwait(&m->ended, &m->lock, dl) == ETIMEDOUT)
			return cond(m);
	return 1;
}

static int nothing_running(struct job_mgr *m)
{
	return !m->running;
}

static int worker_gone(struct job_mgr *m)
{
	return m->exit == 2;
}

int job_mgr_stop(struct job_mgr *m, unsigned grace_ms, unsigned hard_ms)
{
	struct job_event *evs = NULL;
	size_t ns = 0;
	struct timespec dl;

	pthread_mutex_lock(&m->lock);
	if (m->abandoned) {
		pthread_mutex_unlock(&m->lock);
		return SF_E_TIMEOUT;
	}
	m->stopping = 1;
	evs = calloc(m->n ? m->n : 1, sizeof(*evs));
	for (size_t i = 0; i < m->n; i++) {
		struct job *j = m->jobs[i];
		if (j->state != JOB_QUEUED)
			continue;
		j->state = JOB_CANCELLED;
		j->finished_ms = store_now_ms();
		job_set_error(j, SF_E_CANCELLED, "cancelled before it started: the daemon is stopping");
		img_free(&j->img);
		if (evs)
			job_event_of_locked(j, JOB_EVENT_STATE, &evs[ns++]);
	}
	job_signal_ended_locked(m);
	pthread_cond_broadcast(&m->work);
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < ns; i++)
		job_publish_state(m, &evs[i], NULL);
	free(evs);
	if (!m->started)
		return 0;

	clock_deadline_after_ms(&dl, grace_ms);
	pthread_mutex_lock(&m->lock);
	if (m->running)
		dlog(DLOG_INFO, "stopping: job %" PRIu64 " may run for %u ms more", m->running->id,
		     grace_ms);
	if (!wait_ended_until(m, nothing_running, &dl)) {
		dlog(DLOG_WARNING, "stopping: aborting job %" PRIu64 " at the next safe point",
		     m->running->id);
		m->running->cancel = 1;
	}
	m->exit = m->exit ? m->exit : 1;
	pthread_cond_broadcast(&m->work);
	/* the next safe point, then the probe's close, within hard_ms */
	clock_deadline_after_ms(&dl, hard_ms);
	if (!wait_ended_until(m, worker_gone, &dl)) {
		uint64_t id = m->running ? m->running->id : 0;
		m->abandoned = 1;
		pthread_cond_broadcast(&m->ended);
		pthread_cond_broadcast(&m->read_done);
		pthread_mutex_unlock(&m->lock);
		if (id)
			dlog(DLOG_ERR, "stopping: the worker did not reach a safe point within %u ms; "
			     "job %" PRIu64 " is left running (it reads as interrupted after a "
			     "restart), the probe is not closed; shutting down without it",
			     hard_ms, id);
		else
			dlog(DLOG_ERR, "stopping: the worker did not stop within %u ms; the probe is "
			     "not closed; shutting down without it", hard_ms);
		return SF_E_TIMEOUT;
	}
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	m->started = 0;
	return 0;
}
