// SPDX-License-Identifier: GPL-2.0-or-later
/* job_internal: what the job manager's files share (see job.h): job.c the
 * queue and public API, job_worker.c the worker thread, job_json.c the
 * snapshots and history records. Nothing outside daemon/job*.c includes it.
 *
 * Locking: m->lock protects the job list, every job's fields, the cached
 * target, the memory-read slot and the counters; m->llock the listener
 * list. Conditions, each with its own variable, all on CLOCK_MONOTONIC:
 *   work       the worker has something to do: a job queued, a memory
 *              read asked, exit, new limits
 *   ended      a job reached a final state, or the running one was let go
 *              (m->running cleared), or the worker was abandoned
 *   read_done  the memory read in the slot ended (the slot is free again) */
#ifndef DAEMON_JOB_INTERNAL_H
#define DAEMON_JOB_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "job.h"

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
	int err_code;              /* internal only: never in the JSON */
	char err_name[32];
	char err_msg[320];
	char *msgs[JOB_MSG_MAX];   /* engine notes ("UICR merged ...") */
	unsigned nmsgs;
	int has_stats;
	struct nrf52_stats stats;
	struct img img;            /* flash jobs while they run */
	enum img_format img_format; /* as detected at submission */
	int cancel;
	int announced;             /* its "queued" event is out (the worker waits for it) */
	int64_t last_event_ms;
	/* JOB_BOARD */
	struct recipe *recipe;     /* while queued or running */
	int has_recipe;
	char recipe_name[RECIPE_NAME_MAX + 1];
	unsigned recipe_version;
	int handsfree;
	char serial[48];           /* "" when none was handed out */
	char serial_state[8];      /* "none", "written", "burned" */
	char verdict[8];           /* "PASS", "FAIL", "" before the end */
	char step[16];             /* the recipe step running */
	/* An ended job no longer changes: its snapshot is built once and
	 * shared (jansson's reference counts are atomic, and a value nobody
	 * modifies may be dumped by several threads), so that listing jobs
	 * holds the lock the worker takes for each progress report only for a
	 * few increments, not for building a hundred objects. */
	json_t *ended_json;
};

struct job_listener {
	job_listener_fn fn;
	void *user;
};

/* A memory read handed to the worker. Two owners (the asking thread and
 * the worker): whoever drops the last reference frees it, so the asker
 * may give up when the worker is abandoned. */
struct job_mem_req {
	unsigned refs;
	uint32_t addr, len;
	uint8_t *buf;
	int rc;
	struct sf_err err;
	int done;
};

struct job_mgr {
	pthread_mutex_t lock;
	pthread_cond_t work, ended, read_done;   /* see above */
	pthread_t thread;
	int started;               /* the thread exists and was not joined */
	int stopping, exit;
	int abandoned;             /* job_mgr_stop gave up waiting for the worker */

	char spec[512];
	struct pagekeep *keep;     /* borrowed: job_mgr_config.keep */
	unsigned queue_length, history_max, refresh_ms;
	struct history *hist;

	struct job **jobs;         /* ascending id */
	size_t n, cap;
	uint64_t next_id;
	unsigned reserved;         /* queue slots taken by submits in progress */
	struct job *running;

	struct job_target target;
	struct job_mem_req *req;   /* the memory read in the slot */

	/* the worker's own (never touched by other threads) */
	struct swd_probe *probe;
	struct nrf52 *eng;
	struct job *cur;

	pthread_mutex_t llock;
	struct job_listener *lst;
	size_t nlst;

	int hotplug;               /* a probe came or went: refresh now (under lock) */
	/* the bench (job_board.c); hf under lock */
	struct job_bench bench;
	struct {
		int armed;
		enum job_hf_mode mode;
		int state;             /* enum in job_board.c */
		int start_req, again;
		uint64_t device_id;    /* the board on the wire (0: unknown or none) */
		int locked, seen;      /* ... locked; a board was seen at the last look */
		uint64_t job;          /* its job */
		json_t *last;          /* the last board's record */
	} hf;
	job_board_fn on_board;
	void *on_board_user;

	/* SWD counters: dap_total under lock; dap_last is the worker's own */
	struct swd_probe_stats dap_total, dap_last;
};

/* ---- job.c ---- */
void job_unref(struct job *j);
int job_is_active(const struct job *j);
void job_set_error(struct job *j, int code, const char *msg);
unsigned job_queued_locked(struct job_mgr *m);
/* A job holds the probe and has not published its end. A job that has (its
 * state is final) still holds the probe for its tail (the target refresh),
 * but a client already told it ended must not be refused as "busy": its
 * next request waits for the tail instead. */
static inline int job_busy_locked(const struct job_mgr *m)
{
	return m->running && m->running->state == JOB_RUNNING;
}
struct job *job_next_queued_locked(struct job_mgr *m);
void job_trim_locked(struct job_mgr *m);
int job_append_locked(struct job_mgr *m, struct job *j);
/* The typed event for j (lock held), without a snapshot. */
void job_event_of_locked(const struct job *j, enum job_event_kind kind, struct job_event *ev);
/* Tell every listener (no lock held). */
void job_emit(struct job_mgr *m, const struct job_event *ev);
/* A state change: append ev->snapshot to the history, then tell the
 * listeners; consumes the snapshot. No lock held. The append's error
 * (SF_E_NOSPACE on a full disk) is returned, logged and put in err. */
int job_publish_state(struct job_mgr *m, struct job_event *ev, struct sf_err *err);
/* Broadcast m->ended (lock held): a job ended or the running one was let go. */
void job_signal_ended_locked(struct job_mgr *m);

/* ---- job_json.c ---- */
json_t *job_json_locked(const struct job *j);
/* A record read back from the history file; NULL without memory. */
struct job *job_from_json(json_t *o);
/* " [nRF52840 6C63EEEFF21167FE, image b7666763e1b9 app.hex]" */
void job_trace(const struct job *j, char *buf, size_t len);

/* ---- job_worker.c ---- */
int job_worker_open_probe(struct job_mgr *m, struct sf_err *err);
void job_worker_add_target(struct job_mgr *m, struct job *j, const struct nrf52_info *info);
/* The engine's progress hook (phase changes and the cancel flag). */
int job_worker_progress(void *user, enum nrf52_phase phase, uint64_t done, uint64_t total);

/* ---- job_board.c ---- */
int job_board_run(struct job_mgr *m, struct job *j, struct sf_err *err);
/* Worker, idle, no lock: hands-free decisions after a target refresh. */
void job_board_idle(struct job_mgr *m);
/* Worker, no lock: a board job ended. */
void job_board_ended(struct job_mgr *m, struct job *j);
/* How long the idle worker waits before it looks again (ms). */
unsigned job_board_poll_ms(struct job_mgr *m, unsigned refresh_ms);
void job_worker_close_probe(struct job_mgr *m);

#endif
