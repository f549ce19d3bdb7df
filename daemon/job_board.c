// SPDX-License-Identifier: GPL-2.0-or-later
/* job_board: a production board through a recipe, and hands-free mode
 * (see job.h). Runs in the worker thread, which owns the probe.
 *
 * Steps, each timed on the probe's clock (simulated time on the
 * simulator): connect, recover (a locked board, when the recipe allows
 * it), part (the expected part, else FAIL naming both), program (the
 * recipe's images merged, erase/verify as the recipe says), fields (the
 * serial number is handed out here, durably, before a word of it is
 * written: unit.h), selftest (SEGGER RTT), lock (UICR.APPROTECT = 0x00
 * "Enabled", which protects legacy and hardened revisions alike, then a
 * system reset and CTRL-AP APPROTECTSTATUS must say protected), reset.
 * The board's record goes to devices.jsonl (devices.h) before the job's
 * end is published; a board is never PASS without it. */
#include "job_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dlog.h"
#include "devices.h"
#include "rtt.h"
#include "store.h"
#include "unit.h"

/* hands-free states */
enum { HF_IDLE, HF_WAIT_BOARD, HF_READY, HF_RUNNING, HF_REMOVE, HF_SAME_BOARD };
static const char *const hf_names[] = { "disarmed", "waiting_for_board", "ready", "running",
					"remove_board", "already_programmed" };

#define BOARD_MAX_STEPS 10

struct board_run {
	struct job_mgr *m;
	struct job *j;
	json_t *steps;
	uint64_t t0_us, step_us;
	char step[16];
};

static uint64_t now_us(struct job_mgr *m)
{
	const struct swd_clock *c = m->probe ? swd_probe_clock(m->probe) : NULL;

	return c && c->ops ? c->ops->now_us(c->ctx) : (uint64_t)store_now_ms() * 1000U;
}

static void step_begin(struct board_run *b, const char *name)
{
	snprintf(b->step, sizeof(b->step), "%s", name);
	pthread_mutex_lock(&b->m->lock);
	snprintf(b->j->step, sizeof(b->j->step), "%s", name);
	pthread_mutex_unlock(&b->m->lock);
	b->step_us = now_us(b->m);
}

static int step_end(struct board_run *b, int rc)
{
	uint64_t t = now_us(b->m);

	json_array_append_new(b->steps, json_pack("{s:s, s:s, s:I}", "step", b->step, "result",
						  rc ? "fail" : "ok", "ms",
						  (json_int_t)((t - b->step_us) / 1000U)));
	return rc;
}

/* Write per-unit bytes (fields, the APPROTECT word) through the engine:
 * one image of the given segments, erase only where a bit must go 0->1. */
static int write_segments(struct job_mgr *m, struct img_segment *seg, size_t n, int verify,
			  struct sf_err *err)
{
	struct img img;
	struct nrf52_flash_opts fo = { .erase = NRF52_ERASE_AUTO, .verify = verify };
	struct nrf52_stats st;

	/* sorted, adjacent ones merged (struct img's rule) */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && seg[k - 1].addr > seg[k].addr; k--) {
			struct img_segment t = seg[k];
			seg[k] = seg[k - 1];
			seg[k - 1] = t;
		}
	memset(&img, 0, sizeof(img));
	img.format = IMG_BIN;
	img.seg = seg;
	img.nseg = n;
	for (size_t i = 0; i < n; i++)
		img.total += seg[i].len;
	memset(&st, 0, sizeof(st));
	return nrf52_flash(m->eng, &img, &fo, &st, err);
}

static int board_fields(struct board_run *b, const struct nrf52_info *info, json_t *values,
			struct sf_err *err)
{
	struct job *j = b->j;
	const struct recipe *r = j->recipe;
	struct img_segment seg[RECIPE_MAX_FIELDS];
	uint8_t data[RECIPE_MAX_FIELDS][256];
	uint64_t serial = 0;
	int has_serial = 0, rc = 0;
	char text[300];
	int64_t now = store_now_ms();

	for (unsigned i = 0; i < r->nfields; i++)
		has_serial |= r->fields[i].kind == RECIPE_FIELD_SERIAL;
	if (has_serial) {
		/* durable before a word of it reaches the chip: a gap, never a duplicate */
		rc = unit_reserve(b->m->bench.units, r->name, r->serial_start, &serial, err);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < r->nfields && !rc; i++) {
		rc = unit_field_value(&r->fields[i], serial, info, now, data[i], text, sizeof(text), err);
		if (!rc && r->fields[i].kind == RECIPE_FIELD_SERIAL) {
			pthread_mutex_lock(&b->m->lock);
			snprintf(j->serial, sizeof(j->serial), "%.47s", text);
			/* burned from here unless the write completes */
			snprintf(j->serial_state, sizeof(j->serial_state), "burned");
			pthread_mutex_unlock(&b->m->lock);
		}
		if (!rc)
			json_object_set_new(values, recipe_field_kind_name(r->fields[i].kind),
					    json_string(text));
		seg[i].addr = r->fields[i].addr;
		seg[i].len = r->fields[i].size;
		seg[i].data = data[i];
	}
	if (!rc)
		rc = write_segments(b->m, seg, r->nfields, 1, err);
	if (!rc && has_serial) {
		pthread_mutex_lock(&b->m->lock);
		snprintf(j->serial_state, sizeof(j->serial_state), "written");
		pthread_mutex_unlock(&b->m->lock);
	}
	return rc;
}

/* UICR.APPROTECT PALL = 0x00 (Enabled): on legacy parts any value but 0xFF
 * locks; on hardened parts 0x00 keeps the firmware's SystemInit from
 * opening it (it copies UICR.APPROTECT into APPROTECT.DISABLE), where
 * 0x5A (HwDisabled) would leave it open (nrfx nrf52840_bitfields.h,
 * system_nrf52_approtect.h). Then a system reset (SYSRESETREQ: a CTRL-AP
 * reset keeps the unlock of an ERASEALL, so after a recover it would not
 * show the lock), and CTRL-AP APPROTECTSTATUS must say protected. */
static int board_lock(struct board_run *b, struct sf_err *err)
{
	uint8_t word[4] = { 0x00, 0xFF, 0xFF, 0xFF };
	struct img_segment seg = { .addr = NRF52_UICR_APPROTECT, .len = 4, .data = word };
	struct nrf52_info after;
	int rc = write_segments(b->m, &seg, 1, 1, err);

	if (rc)
		return sf_err_prefix(err, "writing UICR.APPROTECT");
	rc = nrf52_reset(b->m->eng, NRF52_RESET_SYSRESETREQ, 0, err);
	if (rc)
		return sf_err_prefix(err, "resetting after the lock");
	rc = nrf52_identify(b->m->eng, &after, err);
	if (rc)
		return sf_err_prefix(err, "reading the lock state after the reset");
	if (!after.locked)
		return sf_err_set(err, SF_E_VERIFY, "UICR.APPROTECT was written but the CTRL-AP says "
				  "the chip is still open after a reset: not locked");
	return 0;
}

static const char *plain_reason(int rc)
{
	switch (rc) {
	case SF_E_NOTARGET: return "the board stopped answering (contact lost or power gone)";
	case SF_E_LOCKED: return "the board is locked";
	case SF_E_VERIFY: return "what was read back is not what was written";
	case SF_E_TIMEOUT: return "the board did not finish in time";
	case SF_E_CANCELLED: return "stopped by the operator or the daemon";
	case SF_E_NOSPACE: return "the station's disk is full";
	default: return NULL;
	}
}

static int board_steps(struct board_run *b, struct nrf52_info *info, json_t *values,
		       int *locked, struct sf_err *err)
{
	struct job_mgr *m = b->m;
	struct job *j = b->j;
	const struct recipe *r = j->recipe;
	struct img img;
	int rc;

	step_begin(b, "connect");
	job_worker_progress(m, NRF52_PHASE_CONNECT, 0, 1);
	rc = job_worker_open_probe(m, err);
	if (!rc)
		rc = nrf52_identify(m->eng, info, err);
	if (step_end(b, rc))
		return rc;
	if (info->locked) {
		step_begin(b, "recover");
		if (!r->recover)
			return step_end(b, sf_err_set(err, SF_E_LOCKED, "the board is locked (APPROTECT) "
						      "and recipe %s does not recover locked boards",
						      r->name));
		job_worker_progress(m, NRF52_PHASE_RECOVER, 0, 1);
		rc = nrf52_recover(m->eng, err);
		if (!rc)
			rc = nrf52_identify(m->eng, info, err);
		if (!rc && info->locked)
			rc = sf_err_set(err, SF_E_LOCKED, "the board is still locked after the recover");
		if (step_end(b, rc))
			return rc;
	}
	job_worker_add_target(m, j, info);
	step_begin(b, "part");
	if (info->part != r->part)
		return step_end(b, sf_err_set(err, SF_E_PRECONDITION, "wrong part: this board is an "
					      "%s (%s), recipe %s is for the %s", info->name,
					      info->variant, r->name, r->part_name));
	step_end(b, 0);

	step_begin(b, "program");
	rc = recipe_load_images(r, m->bench.store, &img, err);
	if (!rc) {
		struct nrf52_flash_opts fo = { .erase = r->erase, .verify = r->verify };
		struct nrf52_stats st;
		memset(&st, 0, sizeof(st));
		rc = nrf52_check_image(info, &img, err);
		if (!rc)
			rc = nrf52_flash(m->eng, &img, &fo, &st, err);
		pthread_mutex_lock(&m->lock);
		j->has_stats = 1;
		j->stats = st;
		pthread_mutex_unlock(&m->lock);
		img_free(&img);
	}
	if (step_end(b, rc))
		return rc;

	if (r->nfields) {
		step_begin(b, "fields");
		if (step_end(b, board_fields(b, info, values, err)))
			return err->code;
	}
	if (r->selftest.enabled) {
		char line[160];
		step_begin(b, "selftest");
		rc = nrf52_reset(m->eng, NRF52_RESET_SYSRESETREQ, 0, err);
		if (!rc)
			rc = rtt_selftest(m->eng, swd_probe_clock(m->probe), &r->selftest, line,
					  sizeof(line), err);
		if (!rc)
			json_object_set_new(values, "selftest", json_string(line));
		if (step_end(b, rc))
			return rc;
	}
	if (r->lock) {
		step_begin(b, "lock");
		rc = board_lock(b, err);
		if (step_end(b, rc))
			return rc;
		*locked = 1;
	} else if (r->reset) {
		step_begin(b, "reset");
		job_worker_progress(m, NRF52_PHASE_RESET, 0, 1);
		if (step_end(b, nrf52_reset(m->eng, NRF52_RESET_SYSRESETREQ, 0, err)))
			return err->code;
	}
	return 0;
}

int job_board_run(struct job_mgr *m, struct job *j, struct sf_err *err)
{
	struct board_run b = { .m = m, .j = j, .steps = json_array() };
	struct nrf52_info info;
	json_t *values = json_object();
	int locked = 0, rc;
	char buf[40], reason[420] = "";
	const struct recipe *r = j->recipe;

	memset(&info, 0, sizeof(info));
	b.t0_us = now_us(m);
	if (!m->bench.units || !m->bench.devices || !m->bench.store)
		rc = sf_err_set(err, SF_E_UNSUPPORTED, "this station has no bench configured");
	else
		rc = board_steps(&b, &info, values, &locked, err);
	pthread_mutex_lock(&m->lock);
	int cancelled = j->cancel;
	pthread_mutex_unlock(&m->lock);
	if (rc) {
		const char *plain = plain_reason(rc);
		snprintf(reason, sizeof(reason), "%.15s failed: %.300s%s%.60s", b.step, err->msg,
			 plain && !strstr(err->msg, plain) ? " (" : "",
			 plain && !strstr(err->msg, plain) ? plain : "");
		if (plain && !strstr(err->msg, plain))
			strncat(reason, ")", sizeof(reason) - strlen(reason) - 1);
	}
	json_t *rec = json_object();
	int64_t now = store_now_ms();
	store_iso_time(now, buf, sizeof(buf));
	json_object_set_new(rec, "time", json_string(buf));
	json_object_set_new(rec, "time_ms", json_integer(now));
	json_object_set_new(rec, "station", json_string(m->bench.station ? m->bench.station : ""));
	if (info.identified) {
		snprintf(buf, sizeof(buf), "%016" PRIX64, info.device_id);
		json_object_set_new(rec, "device_id", json_string(buf));
		json_object_set_new(rec, "part", json_string(info.name));
		json_object_set_new(rec, "variant", json_string(info.variant));
	}
	pthread_mutex_lock(&m->lock);
	/* a board that fails after its number was handed out burns it, written
	 * or not: the number is never used again */
	if (rc && j->serial[0])
		snprintf(j->serial_state, sizeof(j->serial_state), "burned");
	json_object_set_new(rec, "serial", j->serial[0] ? json_string(j->serial) : json_null());
	json_object_set_new(rec, "serial_state", json_string(j->serial_state));
	pthread_mutex_unlock(&m->lock);
	json_object_set_new(rec, "recipe", json_string(r->name));
	json_object_set_new(rec, "recipe_version", json_integer(r->version));
	json_t *imgs = json_array();
	for (unsigned i = 0; i < r->nimages; i++) {
		struct store_meta sm;
		json_t *o = json_pack("{s:s}", "sha256", r->images[i]);
		if (m->bench.store && !store_lookup(m->bench.store, r->images[i], &sm))
			json_object_set_new(o, "name", json_string(sm.name));
		json_array_append_new(imgs, o);
	}
	json_object_set_new(rec, "images", imgs);
	json_object_set_new(rec, "steps", b.steps);
	json_object_set_new(rec, "fields", values);
	json_object_set_new(rec, "verdict", json_string(rc ? "FAIL" : "PASS"));
	json_object_set_new(rec, "reason", rc ? json_string(reason) : json_null());
	json_object_set_new(rec, "locked", json_boolean(locked));
	json_object_set_new(rec, "lock_requested", json_boolean(r->lock));
	json_object_set_new(rec, "duration_ms", json_integer((json_int_t)((now_us(m) - b.t0_us) / 1000U)));
	json_object_set_new(rec, "job", json_integer((json_int_t)j->id));
	json_object_set_new(rec, "handsfree", json_boolean(j->handsfree));
	if (cancelled)
		json_object_set_new(rec, "cancelled", json_true());
	struct sf_err derr = { 0 };
	int drc = m->bench.devices ? devices_append(m->bench.devices, rec, &derr) : 0;
	if (drc) {
		dlog(DLOG_ERR, "job %" PRIu64 ": board record: %s", j->id, derr.msg);
		if (!rc)
			rc = sf_err_set(err, drc, "the board passed but its record could not be written "
					"(%.200s): not reported as PASS", derr.msg);
		json_object_set_new(rec, "verdict", json_string("FAIL"));
	}
	devices_journal(rec);
	pthread_mutex_lock(&m->lock);
	snprintf(j->verdict, sizeof(j->verdict), "%s", rc ? "FAIL" : "PASS");
	j->step[0] = 0;
	json_decref(m->hf.last);
	m->hf.last = rec;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* ---- hands-free ---- */

void job_mgr_set_bench(struct job_mgr *m, const struct job_bench *b)
{
	m->bench = *b;
	if (!m->bench.poll_ms)
		m->bench.poll_ms = 300;
}

void job_mgr_on_board(struct job_mgr *m, job_board_fn fn, void *user)
{
	pthread_mutex_lock(&m->lock);
	m->on_board = fn;
	m->on_board_user = user;
	pthread_mutex_unlock(&m->lock);
}

unsigned job_board_poll_ms(struct job_mgr *m, unsigned refresh_ms)
{
	return m->hf.armed && m->bench.poll_ms < refresh_ms ? m->bench.poll_ms : refresh_ms;
}

int job_handsfree_arm(struct job_mgr *m, int armed, enum job_hf_mode mode, struct sf_err *err)
{
	struct recipe r;

	if (armed) {
		if (!m->bench.recipes)
			return sf_err_set(err, SF_E_UNSUPPORTED, "this station has no bench configured");
		if (recipes_active(m->bench.recipes, &r, err))
			return err->code;
	}
	pthread_mutex_lock(&m->lock);
	m->hf.armed = armed;
	m->hf.mode = mode;
	m->hf.start_req = m->hf.again = 0;
	if (!armed)
		m->hf.state = HF_IDLE;
	else if (m->hf.state == HF_IDLE)
		m->hf.state = HF_WAIT_BOARD;
	pthread_cond_broadcast(&m->work);
	pthread_mutex_unlock(&m->lock);
	dlog(DLOG_INFO, "hands-free: %s%s", armed ? "armed, " : "disarmed",
	     armed ? (mode == JOB_HF_AUTO ? "runs each board that appears" : "waits for START") : "");
	return 0;
}

int job_handsfree_start(struct job_mgr *m, struct sf_err *err)
{
	pthread_mutex_lock(&m->lock);
	if (!m->hf.armed) {
		pthread_mutex_unlock(&m->lock);
		return sf_err_set(err, SF_E_PRECONDITION, "hands-free mode is not armed");
	}
	if (m->hf.state == HF_RUNNING) {
		pthread_mutex_unlock(&m->lock);
		return sf_err_set(err, SF_E_BUSY, "a board is being programmed");
	}
	m->hf.start_req = 1;
	pthread_cond_broadcast(&m->work);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void job_handsfree_again(struct job_mgr *m)
{
	pthread_mutex_lock(&m->lock);
	m->hf.again = 1;
	pthread_cond_broadcast(&m->work);
	pthread_mutex_unlock(&m->lock);
}

json_t *job_handsfree_json(struct job_mgr *m)
{
	char id[24];

	pthread_mutex_lock(&m->lock);
	snprintf(id, sizeof(id), "%016" PRIX64, m->hf.device_id);
	json_t *o = json_pack("{s:b, s:s, s:s, s:o, s:o, s:O}", "armed", m->hf.armed, "mode",
			      m->hf.mode == JOB_HF_AUTO ? "auto" : "button", "state",
			      hf_names[m->hf.state], "device_id",
			      m->hf.device_id ? json_string(id) : json_null(), "current_job",
			      m->hf.state == HF_RUNNING && m->hf.job ? json_integer((json_int_t)m->hf.job)
								     : json_null(),
			      "last", m->hf.last ? m->hf.last : json_null());
	if (m->running && m->running->kind == JOB_BOARD)
		json_object_set_new(o, "step", json_string(m->running->step));
	pthread_mutex_unlock(&m->lock);
	return o;
}

/* Under the lock, so that job_mgr_on_board(m, NULL, NULL) returning means
 * no call is in progress (the listener may be freed then). */
static void tell_board(struct job_mgr *m, int busy, int pass, int has)
{
	pthread_mutex_lock(&m->lock);
	if (m->on_board)
		m->on_board(m->on_board_user, busy, pass, has);
	pthread_mutex_unlock(&m->lock);
}

static void hf_submit(struct job_mgr *m)
{
	struct recipe r;
	struct job_options o;
	struct sf_err err = { 0 };
	uint64_t id = 0;

	if (recipes_active(m->bench.recipes, &r, &err)) {
		dlog(DLOG_WARNING, "hands-free: %s; disarming", err.msg);
		job_handsfree_arm(m, 0, m->hf.mode, NULL);
		return;
	}
	job_options_default(&o);
	o.recipe = &r;
	o.handsfree = 1;
	if (job_submit(m, JOB_BOARD, &o, NULL, NULL, &id, NULL, NULL, &err)) {
		dlog(DLOG_WARNING, "hands-free: cannot queue the board: %s", err.msg);
		return;
	}
	pthread_mutex_lock(&m->lock);
	m->hf.state = HF_RUNNING;
	m->hf.job = id;
	pthread_mutex_unlock(&m->lock);
	tell_board(m, 1, 0, 0);
}

void job_board_idle(struct job_mgr *m)
{
	pthread_mutex_lock(&m->lock);
	int armed = m->hf.armed, st = m->hf.state, start = m->hf.start_req, again = m->hf.again;
	int connected = m->target.connected;
	uint64_t id = m->target.connected && m->target.info.identified ? m->target.info.device_id : 0;
	int busy = m->running || job_queued_locked(m);
	int locked = connected && m->target.locked;
	/* another board in its place without a look at an empty fixture: its
	 * device ID, or its lock state, differs from the one the job left
	 * (two locked boards look alike: then only an empty fixture tells) */
	int swapped = connected && m->hf.seen &&
		      (id != m->hf.device_id || locked != m->hf.locked) && (id || !locked);
	m->hf.start_req = 0;
	pthread_mutex_unlock(&m->lock);
	if (!armed || busy || st == HF_RUNNING)
		return;
	int next = st, run = 0;
	if (swapped && (st == HF_REMOVE || st == HF_SAME_BOARD || st == HF_READY))
		st = HF_WAIT_BOARD;
	if (!connected) {
		next = HF_WAIT_BOARD;
	} else if (st == HF_WAIT_BOARD) {
		if (id && devices_passed(m->bench.devices, id) && !again) {
			next = HF_SAME_BOARD;
			dlog(DLOG_INFO, "hands-free: board %016" PRIX64 " already passed: not programmed "
			     "again (remove it, or ask for it again)", id);
		} else {
			next = m->hf.mode == JOB_HF_AUTO ? HF_WAIT_BOARD : HF_READY;
			run = m->hf.mode == JOB_HF_AUTO || start;
		}
	} else if (st == HF_READY) {
		run = start;
	} else if (st == HF_REMOVE || st == HF_SAME_BOARD) {
		/* START on a board that failed tries it again; one that passed
		 * needs "again" */
		run = again || (start && st == HF_REMOVE &&
				!(id && devices_passed(m->bench.devices, id)));
	}
	pthread_mutex_lock(&m->lock);
	if (run || !connected)
		m->hf.again = 0;  /* "again" is for the board on the wire then */
	m->hf.state = next;
	m->hf.device_id = connected ? id : 0;
	m->hf.locked = locked;
	m->hf.seen = connected;
	pthread_mutex_unlock(&m->lock);
	if (run)
		hf_submit(m);
}

void job_board_ended(struct job_mgr *m, struct job *j)
{
	pthread_mutex_lock(&m->lock);
	int pass = !strcmp(j->verdict, "PASS");
	int has = j->verdict[0] != 0;
	if (m->hf.armed && m->hf.state == HF_RUNNING && m->hf.job == j->id) {
		/* the board as the job left it (refreshed just before) */
		m->hf.state = HF_REMOVE;
		m->hf.seen = m->target.connected;
		m->hf.locked = m->target.connected && m->target.locked;
		m->hf.device_id = m->target.connected && m->target.info.identified
			? m->target.info.device_id : 0;
	}
	pthread_mutex_unlock(&m->lock);
	tell_board(m, 0, pass, has);
}
