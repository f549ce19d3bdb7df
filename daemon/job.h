// SPDX-License-Identifier: GPL-2.0-or-later
/* job: the job queue and the worker thread of one probe.
 *
 * The worker is the only thread that touches the probe (SWD). It runs
 * queued jobs in FIFO order, serves memory reads, and when idle identifies
 * the target every refresh_ms so that HTTP threads can answer from a
 * cached copy (job_mgr_target()). Every job state change is appended to the
 * history (fsync) before anyone can observe it.
 *
 * Job state is protected by the manager's lock; callers get JSON snapshots
 * (new references they must json_decref).
 *
 * Listeners (job_mgr_listen) receive a typed struct job_event from any
 * thread, outside the lock: a job's state change, its progress (at most
 * every JOB_PROGRESS_INTERVAL_MS, plus phase changes), and target changes
 * (connected, disconnected, locked, unlocked, part changed), each with the
 * JSON snapshot the API shows alongside for those who send JSON. The event
 * and its snapshot are borrowed for the duration of the call. Listeners
 * read the typed fields (never parse the snapshot to learn state) and must
 * return quickly (queue the event; never block on a client).
 *
 * Files: job.c the queue and public API, job_worker.c the worker thread
 * (probe ownership, memory reads, stop), job_json.c snapshots and history
 * records, job_internal.h what they share. */
#ifndef DAEMON_JOB_H
#define DAEMON_JOB_H

#include <jansson.h>
#include <stdint.h>

#include "../nrf52/image.h"
#include "../nrf52/nrf52.h"
#include "../common/err.h"
#include "../swd/probe.h"
#include "history.h"
#include "recipe.h"

#define JOB_PROGRESS_INTERVAL_MS 200
/* job_mgr_stop: how long after the grace period the worker may take to
 * reach a safe point; the longest engine step is a CTRL-AP ERASEALL, which
 * is given 15 s (NRF52_ERASEALL_TIMEOUT_US). */
#define JOB_STOP_HARD_MS_DEFAULT 20000U

/* JOB_BOARD: a production board through a recipe (job_board.c) */
enum job_kind { JOB_FLASH, JOB_RECOVER, JOB_ERASE, JOB_RESET, JOB_BOARD };
enum job_state {
	JOB_QUEUED, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED, JOB_INTERRUPTED,
};
const char *job_state_name(enum job_state s);
const char *job_kind_name(enum job_kind k);
/* The engine's name for a phase ("program"), for those above the daemon. */
const char *job_phase_name(enum nrf52_phase p);

struct job_options {
	enum img_format format;   /* as requested (IMG_AUTO = detect) */
	uint32_t base;            /* bin only */
	enum nrf52_erase_mode erase;
	int verify;
	enum nrf52_verify_mode verify_mode; /* verify=read: read back, no on-target CRC */
	int reset;
	int recover;              /* recover a locked chip first */
	int full_write;           /* write pages even when unchanged */
	int erase_uicr;           /* JOB_ERASE: 1 = UICR, 0 = chip */
	int halt;                 /* JOB_RESET: stay halted */
	const struct recipe *recipe; /* JOB_BOARD: copied at submission */
	int handsfree;            /* JOB_BOARD: started by hands-free mode */
};
void job_options_default(struct job_options *o);

/* What a flash job writes. */
struct job_image {
	char sha256[65];
	char name[128];
	char format[8];
	char path[600];  /* the stored file; flash jobs parse it again when they start */
};

/* The target as the worker last saw it. */
struct job_target {
	int probe_open;            /* the probe itself could be opened */
	int connected;             /* the chip answered */
	int locked;
	struct nrf52_info info;    /* valid when connected (FICR only when !locked) */
	char probe_kind[16];
	char probe_desc[192];
	struct swd_probe_usb usb;  /* a USB probe (ST-Link): model, firmware, ... */
	int probe_gone;            /* the probe went away (unplugged); re-opened later */
	char error[320];           /* why not connected */
	int64_t updated_ms;
};

enum job_event_kind { JOB_EVENT_STATE, JOB_EVENT_PROGRESS, JOB_EVENT_TARGET };

/* What changed about the target, as the worker saw it. The first event
 * after start says connected, locked or disconnected. */
enum job_target_change {
	JOB_TARGET_CONNECTED,      /* it answers now (and is not locked) */
	JOB_TARGET_DISCONNECTED,
	JOB_TARGET_LOCKED,         /* it answers and is locked, or became locked */
	JOB_TARGET_UNLOCKED,
	JOB_TARGET_PART_CHANGED,   /* another part or device id, or the probe opened/closed */
};
/* "connected", "disconnected", "locked", "unlocked", "changed" */
const char *job_target_change_name(enum job_target_change c);

struct job_event {
	enum job_event_kind kind;
	/* JOB_EVENT_STATE and JOB_EVENT_PROGRESS: the job */
	uint64_t id;
	enum job_kind job_kind;
	enum job_state state;
	int has_phase;
	enum nrf52_phase phase;
	uint64_t bytes_done, bytes_total;
	char image_name[128];      /* "" when the job has no image */
	int64_t duration_ms;       /* -1 until it started */
	int has_stats;             /* a flash job that ran: what it did */
	struct nrf52_stats stats;
	int err_code;              /* 0, or why it failed / was cancelled */
	/* JOB_EVENT_TARGET */
	enum job_target_change change;
	char part[16];             /* "nRF52840"; "" when not identified */
	struct job_target target;  /* the target now */
	/* every kind: the job object or the target object of the API */
	json_t *snapshot;
};
typedef void (*job_listener_fn)(void *user, const struct job_event *ev);

struct job_mgr_config {
	const char *probe_spec;
	unsigned queue_length;
	unsigned history_max;
	unsigned refresh_ms;
	/* where flash jobs keep the bytes outside their image across an
	 * erase (daemon/pagekeep.h); borrowed, may be NULL */
	struct pagekeep *keep;
};

struct job_mgr;

/* Opens the probe (a spec with bad syntax is an error; a probe that cannot
 * be reached now is retried by the worker) and loads the history records. */
struct job_mgr *job_mgr_new(const struct job_mgr_config *cfg, struct history *h,
			    json_t *records, struct sf_err *err);
int job_mgr_start(struct job_mgr *m, struct sf_err *err);
/* Stop: no new jobs, queued ones cancelled, the running one may finish for
 * grace_ms, then it is cancelled at the engine's next safe point; the
 * worker exits and the probe is closed. When the worker has not reached a
 * safe point hard_ms after the grace period, stop logs it and returns
 * SF_E_TIMEOUT without waiting any longer: the worker is abandoned with
 * everything it uses (this manager, its history, its listeners), which the
 * caller must then not free; job_mgr_free() leaves such a manager alone.
 * Waiters (job_wait) and memory reads return at once from then on. */
int job_mgr_stop(struct job_mgr *m, unsigned grace_ms, unsigned hard_ms);
void job_mgr_free(struct job_mgr *m);
/* SIGHUP: limits that may change at run time. */
void job_mgr_set_limits(struct job_mgr *m, unsigned queue_length, unsigned history_max,
			unsigned refresh_ms);

int job_mgr_listen(struct job_mgr *m, job_listener_fn fn, void *user);
void job_mgr_unlisten(struct job_mgr *m, job_listener_fn fn, void *user);

/* Queue a job. For JOB_FLASH img is the image as checked at submission:
 * only its format, size and SHA-256 are kept (the job re-reads image->path
 * when it starts, so queued jobs hold no image in memory); the caller still
 * frees img. Errors: SF_E_BUSY with *retry_after set when the queue is
 * full, SF_E_BUSY with *retry_after 0 when a target operation finds the
 * probe busy, SF_E_IO when the history cannot be written, SF_E_NOTARGET
 * while stopping. *snapshot (may be NULL) receives the queued job. */
int job_submit(struct job_mgr *m, enum job_kind kind, const struct job_options *opts,
	       struct img *img, const struct job_image *image, uint64_t *id,
	       json_t **snapshot, unsigned *retry_after, struct sf_err *err);

/* Snapshot of one job, NULL if unknown. */
json_t *job_get(struct job_mgr *m, uint64_t id);
/* Newest first, at most limit (0 = all). */
json_t *job_list(struct job_mgr *m, unsigned limit);

enum job_cancel_result { JOB_CANCEL_DONE, JOB_CANCEL_REQUESTED, JOB_CANCEL_NOT_FOUND,
			 JOB_CANCEL_FINISHED };
enum job_cancel_result job_cancel(struct job_mgr *m, uint64_t id, json_t **snapshot);

/* Block until job id has ended or timeout_ms (at least 1) passed.
 * Returns 0 when it ended (*result: 0 when it succeeded, else the reason
 * it failed or was cancelled), SF_E_TIMEOUT while it is still active,
 * SF_E_NOTARGET when the manager gave up on its worker (job_mgr_stop),
 * SF_E_ARG for an unknown id. *snapshot (NULL for an unknown id) is the job
 * now. Callers wait in slices and check between them whether anyone still
 * wants the answer. */
int job_wait(struct job_mgr *m, uint64_t id, unsigned timeout_ms, json_t **snapshot,
	     int *result);

void job_mgr_target(struct job_mgr *m, struct job_target *out);
json_t *job_target_json(const struct job_target *t);

/* Read target memory through the worker. SF_E_BUSY while a job runs or
 * is queued. *buf is malloc'ed (len bytes) on success. */
int job_read_memory(struct job_mgr *m, uint32_t addr, uint32_t len, uint8_t **buf,
		    struct sf_err *err);

/* Counts for status/metrics: queued jobs and the id of the running one. */
void job_mgr_counts(struct job_mgr *m, unsigned *queued, uint64_t *running_id);

/* The probe's counters (swd/probe.h; only those in .valid were measured),
 * cumulative since job_mgr_new over every probe the worker opened. The
 * worker samples them; callers never touch SWD. */
void job_mgr_probe_stats(struct job_mgr *m, struct swd_probe_stats *out);

/* ---- the production bench (job_board.c) ---- */

struct units;
struct devices;
struct recipes;

/* What board jobs use; set once before job_mgr_start (borrowed). */
struct job_bench {
	struct store *store;
	struct recipes *recipes;
	struct units *units;
	struct devices *devices;
	const char *station;
	unsigned poll_ms;          /* hands-free: how often an idle armed station looks */
};
void job_mgr_set_bench(struct job_mgr *m, const struct job_bench *b);

/* Hands-free mode. Armed and idle, the worker looks for a board every
 * poll_ms; "auto": a board that appears gets the active recipe; "button":
 * it waits for job_handsfree_start() (the START button or the API). After
 * a board's job it waits for the board to be removed. A board whose device
 * ID already has a PASS record is not programmed again unless
 * job_handsfree_again() is called while it is on the wire. */
enum job_hf_mode { JOB_HF_AUTO, JOB_HF_BUTTON };
int job_handsfree_arm(struct job_mgr *m, int armed, enum job_hf_mode mode, struct sf_err *err);
/* START: run the active recipe on the board there now (button mode, or
 * the board waiting to be removed / already programmed when again). */
int job_handsfree_start(struct job_mgr *m, struct sf_err *err);
void job_handsfree_again(struct job_mgr *m);
/* {"armed","mode","state","device_id","current_job","last":{...}} */
json_t *job_handsfree_json(struct job_mgr *m);
/* Called when a board job starts (busy) and ends (its verdict), from the
 * worker with the manager's lock held: it must be quick and must not call
 * back into the manager. Replacing it waits for a call in progress. */
typedef void (*job_board_fn)(void *user, int busy, int verdict_pass, int has_verdict);
void job_mgr_on_board(struct job_mgr *m, job_board_fn fn, void *user);

#endif
