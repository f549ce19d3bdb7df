// SPDX-License-Identifier: GPL-2.0-or-later
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/dlog.h"
#include "../common/fsutil.h"
#include "store.h"

/* Last record per job id, kept sorted by id (ids only grow). */
struct history {
	pthread_mutex_t lock;
	char path[700];
	int fd;
	unsigned max;
	unsigned long lines;
	int torn;          /* the file does not end with a line end */
	int need_rewrite;  /* a rewrite failed (no space): try again at the next append */
	json_t **rec;      /* owned references, ascending id */
	size_t n, cap;
};

static json_int_t rec_id(json_t *o)
{
	return json_integer_value(json_object_get(o, "id"));
}

static int is_terminal(const char *state)
{
	return state && (!strcmp(state, "succeeded") || !strcmp(state, "failed") ||
			 !strcmp(state, "cancelled") || !strcmp(state, "interrupted"));
}

/* Insert or replace; takes a reference. */
static int remember(struct history *h, json_t *o)
{
	json_int_t id = rec_id(o);
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (rec_id(h->rec[mid]) < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	json_incref(o);
	if (lo < h->n && rec_id(h->rec[lo]) == id) {
		json_decref(h->rec[lo]);
		h->rec[lo] = o;
		return 0;
	}
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		json_t **nr = realloc(h->rec, nc * sizeof(*nr));
		if (!nr) {
			json_decref(o);
			return -1;
		}
		h->rec = nr;
		h->cap = nc;
	}
	memmove(h->rec + lo + 1, h->rec + lo, (h->n - lo) * sizeof(*h->rec));
	h->rec[lo] = o;
	h->n++;
	return 0;
}

/* Drop the oldest terminal records beyond max. */
static void trim(struct history *h)
{
	size_t keep = h->max, drop, w = 0;

	if (h->n <= keep)
		return;
	drop = h->n - keep;
	for (size_t i = 0; i < h->n; i++) {
		const char *st = json_string_value(json_object_get(h->rec[i], "state"));
		if (drop && is_terminal(st)) {
			json_decref(h->rec[i]);
			drop--;
		} else {
			h->rec[w++] = h->rec[i];
		}
	}
	h->n = w;
}

/* One record as one buffer: "\n" first when the file does not end with a
 * line end (a cut that could not be undone), then the JSON, then "\n". */
static char *record_line(json_t *o, int lead_nl, size_t *len)
{
	char *text = json_dumps(o, JSON_COMPACT);
	char *line;
	size_t n;

	if (!text)
		return NULL;
	n = strlen(text);
	line = malloc(n + 3);
	if (line) {
		size_t off = 0;
		if (lead_nl)
			line[off++] = '\n';
		memcpy(line + off, text, n);
		off += n;
		line[off++] = '\n';
		*len = off;
	}
	free(text);
	return line;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static int write_line(int fd, json_t *o)
{
	size_t len;
	char *line = record_line(o, 0, &len);
	int rc;

	if (!line) {
		errno = ENOMEM;
		return -1;
	}
	rc = write_all(fd, line, len);
	free(line);
	return rc;
}

/* Append one record durably, or leave the file as it was: a short write
 * (a full disk) is cut back to the old size, so no partial line is ever
 * left for the next record to be glued onto. */
static int append_record(struct history *h, json_t *o, struct sf_err *err)
{
	struct stat st;
	size_t len;
	char *line;
	int e;

	if (fstat(h->fd, &st))
		return sf_err_set(err, SF_E_IO, "%s: %s", h->path, strerror(errno));
	line = record_line(o, h->torn, &len);
	if (!line)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	if (!write_all(h->fd, line, len) && !fdatasync(h->fd)) {
		free(line);
		h->torn = 0;
		return 0;
	}
	e = errno;
	free(line);
	if (ftruncate(h->fd, st.st_size) || fdatasync(h->fd)) {
		/* cannot cut it back: the next record starts on a new line */
		h->torn = 1;
		dlog(DLOG_ERR, "history %s: cannot remove a partly written record: %s", h->path,
		     strerror(errno));
	}
	return sf_err_set(err, sf_err_io_code(e), "appending to %s: %s", h->path, strerror(e));
}

/* Replace the file with the records kept (common/fsutil.h: temporary
 * file, fsync, rename, directory fsync) and append to the new one. */
static int rewrite(struct history *h, struct sf_err *err)
{
	char tmp[720];
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", h->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return sf_err_set(err, sf_err_io_code(errno), "%s: %s", tmp, strerror(errno));
	for (size_t i = 0; i < h->n; i++) {
		if (write_line(fd, h->rec[i])) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return sf_err_set(err, sf_err_io_code(e), "writing %s: %s", tmp,
					  strerror(e));
		}
	}
	rc = fsutil_commit(fd, tmp, h->path, err);
	if (rc) {
		sf_err_prefix(err, "replacing %s", h->path);
		return rc;
	}
	if (h->fd >= 0)
		close(h->fd);
	h->lines = h->n;
	h->torn = 0;
	h->need_rewrite = 0;
	h->fd = open(h->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (h->fd < 0)
		return sf_err_set(err, sf_err_io_code(errno), "%s: %s", h->path, strerror(errno));
	return 0;
}

static int open_append(struct history *h, struct sf_err *err)
{
	h->fd = open(h->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (h->fd < 0)
		return sf_err_set(err, sf_err_io_code(errno), "%s: %s", h->path, strerror(errno));
	return 0;
}

static int load(struct history *h, struct sf_err *err)
{
	FILE *f = fopen(h->path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0, bad = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		return sf_err_set(err, SF_E_IO, "%s: %s", h->path, strerror(errno));
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t je;
		json_t *o;

		lineno++;
		/* A write cut by a crash can end in the middle of a line; the
		 * next append would glue its record onto it and lose both, so
		 * such a file is always rewritten. */
		h->torn = line[len - 1] != '\n';
		o = json_loadb(line, (size_t)len, 0, &je);
		if (!o || !json_is_object(o) || !json_is_integer(json_object_get(o, "id"))) {
			/* a torn last line after a crash: skip it, say so */
			bad++;
			dlog(DLOG_WARNING, "history %s line %lu unreadable (%s); skipped", h->path,
			     lineno, o ? "no job id" : je.text);
			json_decref(o);
			continue;
		}
		if (remember(h, o)) {
			json_decref(o);
			free(line);
			fclose(f);
			return sf_err_set(err, SF_E_NOMEM, "out of memory");
		}
		json_decref(o);
	}
	free(line);
	/* a read error is not the end of the file: rewriting now would drop
	 * every record after it */
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		return sf_err_set(err, SF_E_IO, "reading %s: %s", h->path, strerror(e));
	}
	fclose(f);
	if (h->torn)
		dlog(DLOG_WARNING, "history %s line %lu has no line end (a write cut short); "
		     "rewriting the file", h->path, lineno);
	h->lines = lineno;
	(void)bad;
	return 0;
}

struct history *history_open(const char *state_dir, unsigned max, json_t **records,
			     unsigned *interrupted, struct sf_err *err)
{
	struct history *h = calloc(1, sizeof(*h));
	unsigned nint = 0;
	int64_t now = store_now_ms();
	char when[40];

	*records = NULL;
	if (interrupted)
		*interrupted = 0;
	if (!h) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	h->fd = -1;
	h->max = max ? max : 1;
	snprintf(h->path, sizeof(h->path), "%s/history.jsonl", state_dir);
	if (load(h, err))
		goto fail;
	store_iso_time(now, when, sizeof(when));
	for (size_t i = 0; i < h->n; i++) {
		json_t *o = h->rec[i];
		const char *st = json_string_value(json_object_get(o, "state"));
		if (is_terminal(st))
			continue;
		/* it was queued or running when the daemon died */
		json_t *c = json_deep_copy(o);
		if (!c)
			continue;
		int was_running = st && !strcmp(st, "running");
		json_object_set_new(c, "state", json_string("interrupted"));
		json_object_set_new(c, "finished_at", json_string(when));
		json_object_set_new(c, "finished_ms", json_integer(now));
		json_t *started = json_object_get(c, "started_ms");
		if (json_is_integer(started))
			json_object_set_new(c, "duration_ms",
					    json_integer(now - json_integer_value(started)));
		json_object_set_new(c, "error",
			json_pack("{s:s, s:s}", "code", sf_err_name(SF_E_INTERRUPTED), "message",
				  was_running ? "the daemon stopped while this job was running; "
						"the chip may be partly programmed"
					      : "the daemon stopped before this job ran"));
		json_decref(h->rec[i]);
		h->rec[i] = c;
		nint++;
	}
	trim(h);
	/* rewrite at start when anything changed, the file grew too long or
	 * its last line was cut short */
	if (nint || h->torn || h->lines > (unsigned long)h->n) {
		struct sf_err rerr = { 0 };
		if (rewrite(h, &rerr)) {
			/* a full disk must not keep the station down: carry on
			 * appending (a torn end gets a line end first) and try
			 * the rewrite again at the next append; the marks made
			 * here are made again at the next start if lost */
			dlog(DLOG_WARNING, "history: %s; appending to the old file until it can be "
			     "rewritten", rerr.msg);
			h->need_rewrite = 1;
			if (h->fd < 0 && open_append(h, err))
				goto fail;
		}
	} else {
		if (open_append(h, err))
			goto fail;
		/* the file may be new: make its name durable too */
		if (fsutil_fsync_dir(h->path, err))
			goto fail;
	}
	*records = json_array();
	for (size_t i = 0; i < h->n; i++)
		json_array_append(*records, h->rec[i]);
	if (interrupted)
		*interrupted = nint;
	return h;
fail:
	history_close(h);
	return NULL;
}

void history_close(struct history *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	for (size_t i = 0; i < h->n; i++)
		json_decref(h->rec[i]);
	free(h->rec);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void history_set_max(struct history *h, unsigned max)
{
	pthread_mutex_lock(&h->lock);
	h->max = max ? max : 1;
	pthread_mutex_unlock(&h->lock);
}

int history_append(struct history *h, json_t *job, struct sf_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	/* closed by a rewrite that could not reopen it: try again */
	if (h->fd < 0 && (rc = open_append(h, err)))
		goto out;
	rc = append_record(h, job, err);
	if (rc)
		goto out;
	h->lines++;
	if (remember(h, job)) {
		rc = sf_err_set(err, SF_E_NOMEM, "out of memory");
		goto out;
	}
	trim(h);
	if (h->need_rewrite || h->lines > 2UL * h->max + 16) {
		/* the record is durable already; a compaction that fails (no
		 * space for the new file) is tried again at the next append */
		struct sf_err rerr = { 0 };
		if (rewrite(h, &rerr)) {
			if (!h->need_rewrite)
				dlog(DLOG_WARNING, "history: %s; the file is rewritten once there "
				     "is space", rerr.msg);
			h->need_rewrite = 1;
		}
	}
out:
	pthread_mutex_unlock(&h->lock);
	return rc;
}
