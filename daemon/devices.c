// SPDX-License-Identifier: GPL-2.0-or-later
/* devices: the traceability log (devices.h). */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "../common/dlog.h"
#include "store.h"

struct devices {
	pthread_mutex_t lock;
	char path[640];
	int fd;
	int torn;                  /* the file does not end with a line end */
	uint64_t *passed;          /* device IDs with a PASS record, unsorted */
	size_t npassed, cappassed;
	char today[12];
	unsigned today_pass, today_fail;
	json_t *last[DEVICES_LAST]; /* newest at index 0 */
	size_t nlast;
};

static void day_of(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static uint64_t rec_device_id(const json_t *r)
{
	const char *s = json_string_value(json_object_get(r, "device_id"));

	return s ? strtoull(s, NULL, 16) : 0;
}

/* Lock held: account for a record (at open and after each append). */
static void take(struct devices *d, json_t *r)
{
	const char *v = json_string_value(json_object_get(r, "verdict"));
	int pass = v && !strcmp(v, "PASS");
	char day[12];

	if (pass && json_object_get(r, "device_id") && d->npassed < (1u << 24)) {
		if (d->npassed == d->cappassed) {
			size_t nc = d->cappassed ? d->cappassed * 2 : 256;
			uint64_t *p = realloc(d->passed, nc * sizeof(*p));
			if (p) {
				d->passed = p;
				d->cappassed = nc;
			}
		}
		if (d->npassed < d->cappassed)
			d->passed[d->npassed++] = rec_device_id(r);
	}
	day_of(json_integer_value(json_object_get(r, "time_ms")), day, sizeof(day));
	if (strcmp(day, d->today)) {
		char now[12];
		day_of(store_now_ms(), now, sizeof(now));
		if (strcmp(day, now))
			goto last;  /* another day's */
		snprintf(d->today, sizeof(d->today), "%s", now);
		d->today_pass = d->today_fail = 0;
	}
	if (pass)
		d->today_pass++;
	else
		d->today_fail++;
last:
	if (d->nlast == DEVICES_LAST)
		json_decref(d->last[--d->nlast]);
	memmove(d->last + 1, d->last, d->nlast * sizeof(d->last[0]));
	d->last[0] = json_incref(r);
	d->nlast++;
}

struct devices *devices_open(const char *state_dir, struct sf_err *err)
{
	struct devices *d = calloc(1, sizeof(*d));
	struct stat st;

	if (!d) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	snprintf(d->path, sizeof(d->path), "%s/devices.jsonl", state_dir);
	day_of(store_now_ms(), d->today, sizeof(d->today));
	d->fd = open(d->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (d->fd < 0) {
		sf_err_set(err, sf_err_io_code(errno), "%s: %s", d->path, strerror(errno));
		devices_close(d);
		return NULL;
	}
	FILE *f = fopen(d->path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned bad = 0;
	while (f && (n = getline(&line, &cap, f)) > 0) {
		json_t *r = json_loads(line, 0, NULL);
		if (json_is_object(r))
			take(d, r);
		else
			bad++;
		json_decref(r);
	}
	free(line);
	if (f)
		fclose(f);
	if (bad)
		dlog(DLOG_WARNING, "devices: %u unreadable line(s) in %s skipped (a write cut short)",
		     bad, d->path);
	if (!fstat(d->fd, &st) && st.st_size > 0) {
		char c = '\n';
		if (pread(d->fd, &c, 1, st.st_size - 1) == 1 && c != '\n')
			d->torn = 1;
	}
	return d;
}

void devices_close(struct devices *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	for (size_t i = 0; i < d->nlast; i++)
		json_decref(d->last[i]);
	free(d->passed);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int devices_append(struct devices *d, json_t *rec, struct sf_err *err)
{
	struct stat st;
	char *s = json_dumps(rec, JSON_COMPACT);
	int rc = 0;

	if (!s)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	size_t n = strlen(s);
	char *line = malloc(n + 2);
	if (!line) {
		free(s);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	pthread_mutex_lock(&d->lock);
	size_t off = 0;
	if (d->torn)
		line[off++] = '\n';
	memcpy(line + off, s, n);
	off += n;
	line[off++] = '\n';
	free(s);
	if (fstat(d->fd, &st)) {
		rc = sf_err_set(err, SF_E_IO, "%s: %s", d->path, strerror(errno));
		goto out;
	}
	size_t done = 0;
	while (done < off) {
		ssize_t w = write(d->fd, line + done, off - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			break;
		}
		done += (size_t)w;
	}
	if (done == off && !fdatasync(d->fd)) {
		d->torn = 0;
		take(d, rec);
		goto out;
	}
	int e = errno;
	if (ftruncate(d->fd, st.st_size) || fdatasync(d->fd)) {
		d->torn = 1;
		dlog(DLOG_ERR, "devices %s: cannot remove a partly written record: %s", d->path,
		     strerror(errno));
	}
	rc = sf_err_set(err, sf_err_io_code(e), "appending the board record to %s: %s", d->path,
			strerror(e));
out:
	pthread_mutex_unlock(&d->lock);
	free(line);
	return rc;
}

int devices_passed(struct devices *d, uint64_t id)
{
	int found = 0;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->npassed && !found; i++)
		found = d->passed[i] == id;
	pthread_mutex_unlock(&d->lock);
	return found;
}

json_t *devices_summary(struct devices *d)
{
	json_t *last = json_array();
	char now[12];

	pthread_mutex_lock(&d->lock);
	day_of(store_now_ms(), now, sizeof(now));
	if (strcmp(now, d->today)) {
		snprintf(d->today, sizeof(d->today), "%s", now);
		d->today_pass = d->today_fail = 0;
	}
	for (size_t i = 0; i < d->nlast; i++)
		json_array_append(last, d->last[i]);
	unsigned p = d->today_pass, f = d->today_fail;
	pthread_mutex_unlock(&d->lock);
	json_t *y = p + f ? json_real((double)p * 100.0 / (double)(p + f)) : json_null();
	return json_pack("{s:{s:s, s:i, s:i, s:o}, s:o}", "today", "date", now, "passed", (int)p,
			 "failed", (int)f, "yield", y, "last", last);
}

/* ---- queries ---- */

static int matches(const json_t *r, const struct devices_filter *f)
{
	int64_t t = json_integer_value(json_object_get(r, "time_ms"));
	const char *s;

	if (f->since_ms && t < f->since_ms)
		return 0;
	if (f->until_ms && t >= f->until_ms)
		return 0;
	if (f->verdict[0] && (!(s = json_string_value(json_object_get(r, "verdict"))) ||
			      strcmp(s, f->verdict)))
		return 0;
	if (f->recipe[0] && (!(s = json_string_value(json_object_get(r, "recipe"))) ||
			     strcmp(s, f->recipe)))
		return 0;
	if (f->has_device_id && (!json_object_get(r, "device_id") ||
				 rec_device_id(r) != f->device_id))
		return 0;
	return 1;
}

struct buf {
	char *p;
	size_t n, cap;
	int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->n + n + 1)
			nc *= 2;
		char *p = realloc(b->p, nc);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* One CSV cell (RFC 4180): quoted when it holds a comma, quote or line end. */
static void cell(struct buf *b, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		puts_(b, "\"");
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				puts_(b, "\"");
			put(b, p, 1);
		}
		puts_(b, "\"");
	} else {
		puts_(b, s);
	}
	puts_(b, last ? "\r\n" : ",");
}

static const char *const csv_cols[] = { "time", "station", "device_id", "part", "variant",
	"serial", "serial_state", "recipe", "recipe_version", "image_sha256", "verdict",
	"reason", "locked", "duration_ms", "job", "steps", NULL };

static void csv_row(struct buf *b, const json_t *r)
{
	char tmp[1024];

	for (size_t i = 0; csv_cols[i]; i++) {
		const char *k = csv_cols[i];
		json_t *v = json_object_get(r, k);
		tmp[0] = 0;
		if (!strcmp(k, "image_sha256")) {
			json_t *e;
			size_t ix, n = 0;
			json_array_foreach(json_object_get(r, "images"), ix, e)
				n += (size_t)snprintf(tmp + n, n < sizeof(tmp) ? sizeof(tmp) - n : 0, "%s%s",
						      ix ? ";" : "",
						      json_string_value(json_object_get(e, "sha256")));
		} else if (!strcmp(k, "steps")) {
			json_t *e;
			size_t ix, n = 0;
			json_array_foreach(v, ix, e)
				n += (size_t)snprintf(tmp + n, n < sizeof(tmp) ? sizeof(tmp) - n : 0,
						      "%s%s:%s:%" PRId64, ix ? ";" : "",
						      json_string_value(json_object_get(e, "step")),
						      json_string_value(json_object_get(e, "result")),
						      (int64_t)json_integer_value(json_object_get(e, "ms")));
		} else if (json_is_string(v)) {
			snprintf(tmp, sizeof(tmp), "%s", json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(tmp, sizeof(tmp), "%" PRId64, (int64_t)json_integer_value(v));
		} else if (json_is_boolean(v)) {
			snprintf(tmp, sizeof(tmp), "%s", json_is_true(v) ? "true" : "false");
		}
		cell(b, tmp, !csv_cols[i + 1]);
	}
}

int devices_query(struct devices *d, const struct devices_filter *f, enum devices_format fmt,
		  char **out, size_t *len, struct sf_err *err)
{
	struct buf b = { 0 };
	json_t *all = json_array();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;

	*out = NULL;
	pthread_mutex_lock(&d->lock);
	fp = fopen(d->path, "re");
	while (fp && (n = getline(&line, &cap, fp)) > 0) {
		json_t *r = json_loads(line, 0, NULL);
		if (json_is_object(r) && matches(r, f))
			json_array_append(all, r);
		json_decref(r);
		/* newest limit only: drop from the front as we go */
		if (f->limit && json_array_size(all) > f->limit)
			json_array_remove(all, 0);
	}
	pthread_mutex_unlock(&d->lock);
	free(line);
	if (fp)
		fclose(fp);
	else if (errno != ENOENT) {
		json_decref(all);
		return sf_err_set(err, SF_E_IO, "%s: %s", d->path, strerror(errno));
	}
	size_t i;
	json_t *r;
	if (fmt == DEVICES_JSON) {
		json_t *w = json_pack("{s:o}", "devices", all);  /* takes all */
		char *s = json_dumps(w, JSON_COMPACT);
		json_decref(w);
		if (!s)
			return sf_err_set(err, SF_E_NOMEM, "out of memory");
		*out = s;
		*len = strlen(s);
		return 0;
	}
	if (fmt == DEVICES_CSV)
		for (i = 0; csv_cols[i]; i++)
			cell(&b, csv_cols[i], !csv_cols[i + 1]);
	json_array_foreach(all, i, r) {
		if (fmt == DEVICES_CSV) {
			csv_row(&b, r);
		} else {
			char *s = json_dumps(r, JSON_COMPACT);
			if (s) {
				puts_(&b, s);
				puts_(&b, "\n");
			}
			free(s);
		}
	}
	json_decref(all);
	if (b.oom || !b.p) {
		if (!b.oom) {
			*out = strdup("");
			*len = 0;
			return *out ? 0 : sf_err_set(err, SF_E_NOMEM, "out of memory");
		}
		free(b.p);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	*out = b.p;
	*len = b.n;
	return 0;
}

void devices_journal(const json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "device_id"));
	const char *serial = json_string_value(json_object_get(rec, "serial"));
	const char *verdict = json_string_value(json_object_get(rec, "verdict"));
	const char *recipe = json_string_value(json_object_get(rec, "recipe"));
	const char *reason = json_string_value(json_object_get(rec, "reason"));
	json_t *imgs = json_object_get(rec, "images"), *e;
	char shas[4 * 65 + 8] = "";
	size_t i, n = 0;
	int64_t job = json_integer_value(json_object_get(rec, "job"));

	json_array_foreach(imgs, i, e)
		n += (size_t)snprintf(shas + n, n < sizeof(shas) ? sizeof(shas) - n : 0, "%s%s",
				      i ? "," : "", json_string_value(json_object_get(e, "sha256")));
	/* under systemd stderr is the journal already (JOURNAL_STREAM): one entry */
	if (!getenv("JOURNAL_STREAM"))
	dlog(verdict && !strcmp(verdict, "PASS") ? DLOG_INFO : DLOG_ERR,
	     "board %s: %s serial %s recipe %s v%d job %" PRId64 "%s%s", id ? id : "unknown",
	     verdict ? verdict : "?", serial ? serial : "none", recipe ? recipe : "?",
	     (int)json_integer_value(json_object_get(rec, "recipe_version")), job,
	     reason ? ": " : "", reason ? reason : "");
	/* structured fields: journalctl DEVICE_ID=... finds the board */
	sd_journal_send("MESSAGE=board %s: %s serial %s recipe %s%s%s", id ? id : "unknown",
			verdict ? verdict : "?", serial ? serial : "none", recipe ? recipe : "?",
			reason ? ": " : "", reason ? reason : "",
			"PRIORITY=%d", verdict && !strcmp(verdict, "PASS") ? 6 : 3,
			"SYSLOG_IDENTIFIER=swdflashd",
			"DEVICE_ID=%s", id ? id : "", "SERIAL=%s", serial ? serial : "",
			"IMAGE_SHA256=%s", shas, "RECIPE=%s", recipe ? recipe : "",
			"VERDICT=%s", verdict ? verdict : "", "JOB_ID=%" PRId64, job, NULL);
}
