// SPDX-License-Identifier: GPL-2.0-or-later
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/dlog.h"
#include "../common/fsutil.h"
#include "../common/parse.h"

struct store {
	pthread_mutex_t lock;
	char images[600];
	char tmp[600];
	struct store_meta *m;
	size_t n, cap;
};

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_iso_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char tmp[32];

	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", tmp, (int)(ms % 1000));
}

static int mkdir_p(const char *path)
{
	char buf[600];
	size_t len = strlen(path);

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0750) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(buf, 0750) && errno != EEXIST)
		return -1;
	return 0;
}


static int meta_from_json(json_t *o, struct store_meta *m)
{
	const char *sha = json_string_value(json_object_get(o, "sha256"));
	const char *fmt = json_string_value(json_object_get(o, "format"));
	const char *name = json_string_value(json_object_get(o, "name"));

	if (!sha || !parse_is_sha256_hex(sha) || !fmt)
		return -1;
	memset(m, 0, sizeof(*m));
	snprintf(m->sha256, sizeof(m->sha256), "%s", sha);
	snprintf(m->format, sizeof(m->format), "%s", fmt);
	snprintf(m->name, sizeof(m->name), "%s", name ? name : "");
	m->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
	m->first = (uint32_t)json_integer_value(json_object_get(o, "first_address_n"));
	m->last = (uint32_t)json_integer_value(json_object_get(o, "end_address_n"));
	m->uploaded_ms = json_integer_value(json_object_get(o, "uploaded_ms"));
	if (json_is_integer(json_object_get(o, "base_n"))) {
		m->has_base = 1;
		m->base = (uint32_t)json_integer_value(json_object_get(o, "base_n"));
	} else if (!strcmp(m->format, "bin")) {
		/* stored before the base was recorded: a raw binary is one
		 * segment, so its first address is its base */
		m->has_base = 1;
		m->base = m->first;
	}
	return 0;
}

json_t *store_meta_json(const struct store_meta *m)
{
	char first[16], last[16], when[40];

	snprintf(first, sizeof(first), "0x%08X", m->first);
	snprintf(last, sizeof(last), "0x%08X", m->last ? m->last - 1 : 0);
	json_t *o;

	store_iso_time(m->uploaded_ms, when, sizeof(when));
	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
		      "sha256", m->sha256, "size", (json_int_t)m->size, "format", m->format,
		      "name", m->name, "first_address", first, "last_address", last,
		      "uploaded_at", when, "uploaded_ms", (json_int_t)m->uploaded_ms,
		      "first_address_n", (json_int_t)m->first, "end_address_n", (json_int_t)m->last);
	if (o && m->has_base) {
		char base[16];
		snprintf(base, sizeof(base), "0x%08X", m->base);
		json_object_set_new(o, "base", json_string(base));
		json_object_set_new(o, "base_n", json_integer((json_int_t)m->base));
	}
	return o;
}

static int add_meta(struct store *s, const struct store_meta *m)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct store_meta *nm = realloc(s->m, nc * sizeof(*nm));
		if (!nm)
			return -1;
		s->m = nm;
		s->cap = nc;
	}
	s->m[s->n++] = *m;
	return 0;
}

static void clean_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[900];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}

static void load_index(struct store *s)
{
	DIR *d = opendir(s->images);
	struct dirent *e;
	char p[900], name[80];
	struct stat st;

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len != 69 || strcmp(e->d_name + 64, ".json"))
			continue;
		memcpy(name, e->d_name, 64);
		name[64] = '\0';
		if (!parse_is_sha256_hex(name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", s->images, name);
		if (stat(p, &st)) {
			dlog(DLOG_WARNING, "image store: %s.json has no image file; ignored", name);
			continue;
		}
		snprintf(p, sizeof(p), "%s/%s", s->images, e->d_name);
		json_error_t je;
		json_t *o = json_load_file(p, 0, &je);
		struct store_meta m;
		if (!o)
			dlog(DLOG_WARNING, "image store: %s is not JSON (%s); ignored", p, je.text);
		else if (meta_from_json(o, &m))
			dlog(DLOG_WARNING, "image store: %s lacks sha256 or format; ignored", p);
		else if (strcmp(m.sha256, name))
			dlog(DLOG_WARNING, "image store: %s describes image %.16s...; ignored", p,
			     m.sha256);
		else if (add_meta(s, &m)) {
			dlog(DLOG_ERR, "image store: out of memory");
		}
		json_decref(o);
	}
	closedir(d);
}

struct store *store_open(const char *state_dir, struct sf_err *err)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->images, sizeof(s->images), "%s/images", state_dir);
	snprintf(s->tmp, sizeof(s->tmp), "%s/tmp", state_dir);
	if (mkdir_p(s->images) || mkdir_p(s->tmp)) {
		sf_err_set(err, SF_E_IO, "state directory %s: %s", state_dir, strerror(errno));
		store_close(s);
		return NULL;
	}
	clean_tmp(s->tmp);
	load_index(s);
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->m);
	free(s);
}

void store_path(struct store *s, const char *sha256, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", s->images, sha256);
}

static int find_locked(struct store *s, const char *sha)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->m[i].sha256, sha))
			return (int)i;
	return -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* images/<sha256>.json, replaced durably (common/fsutil.h). */
static int write_meta(struct store *s, const struct store_meta *m, struct sf_err *err)
{
	char tmp[900], dst[900];
	json_t *o = store_meta_json(m);
	char *text;
	int fd;

	if (!o)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	snprintf(tmp, sizeof(tmp), "%s/meta-XXXXXX", s->tmp);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		free(text);
		return sf_err_set(err, sf_err_io_code(errno), "temporary file in %s: %s", s->tmp,
				  strerror(errno));
	}
	if (write_all(fd, text, strlen(text)) || write_all(fd, "\n", 1)) {
		int e = errno;
		free(text);
		close(fd);
		unlink(tmp);
		return sf_err_set(err, sf_err_io_code(e), "writing %s: %s", tmp, strerror(e));
	}
	free(text);
	snprintf(dst, sizeof(dst), "%s/%s.json", s->images, m->sha256);
	return fsutil_commit(fd, tmp, dst, err);
}

int store_commit(struct store *s, int fd, const char *tmp_path, const struct store_meta *m,
		 struct sf_err *err)
{
	char dst[900];
	struct stat st;
	int rc = 0;

	if (!parse_is_sha256_hex(m->sha256)) {
		close(fd);
		unlink(tmp_path);
		return sf_err_set(err, SF_E_ARG,
				  "image name '%.70s' is not a SHA-256 (64 lower-case hex digits)",
				  m->sha256);
	}
	pthread_mutex_lock(&s->lock);
	store_path(s, m->sha256, dst, sizeof(dst));
	int have = find_locked(s, m->sha256);
	if (have >= 0 && stat(dst, &st) == 0 && (uint64_t)st.st_size == m->size) {
		close(fd);
		unlink(tmp_path);
		/* the same bytes uploaded as another format or at another base:
		 * the latest upload says how to flash them again */
		if (strcmp(s->m[have].format, m->format) || s->m[have].has_base != m->has_base ||
		    s->m[have].base != m->base) {
			struct store_meta nm = s->m[have];
			snprintf(nm.format, sizeof(nm.format), "%s", m->format);
			nm.has_base = m->has_base;
			nm.base = m->base;
			nm.first = m->first;
			nm.last = m->last;
			rc = write_meta(s, &nm, err);
			if (!rc)
				s->m[have] = nm;
		}
		pthread_mutex_unlock(&s->lock);
		return rc;
	}
	/* the image first, then its metadata: a listed image is complete */
	rc = fsutil_commit(fd, tmp_path, dst, err);
	if (rc)
		goto out;
	rc = write_meta(s, m, err);
	if (rc) {
		/* no metadata (a full disk): an image nobody lists would only
		 * hold the space that is missing */
		if (have < 0) {
			unlink(dst);
			fsutil_fsync_dir(dst, NULL);
		}
		goto out;
	}
	int i = find_locked(s, m->sha256);
	if (i >= 0)
		s->m[i] = *m;
	else if (add_meta(s, m))
		rc = sf_err_set(err, SF_E_NOMEM, "out of memory");
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int store_remove(struct store *s, const char *sha256)
{
	char p[900];
	int i, rc = SF_E_ARG;

	if (!parse_is_sha256_hex(sha256))
		return SF_E_ARG;
	pthread_mutex_lock(&s->lock);
	i = find_locked(s, sha256);
	if (i >= 0) {
		/* the metadata first: an image without it is ignored at start */
		snprintf(p, sizeof(p), "%s/%s.json", s->images, sha256);
		unlink(p);
		store_path(s, sha256, p, sizeof(p));
		unlink(p);
		s->m[i] = s->m[--s->n];
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int store_lookup(struct store *s, const char *sha256, struct store_meta *out)
{
	int i, rc = SF_E_ARG;

	pthread_mutex_lock(&s->lock);
	i = find_locked(s, sha256);
	if (i >= 0) {
		*out = s->m[i];
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int by_time_desc(const void *a, const void *b)
{
	const struct store_meta *x = a, *y = b;

	if (x->uploaded_ms != y->uploaded_ms)
		return x->uploaded_ms < y->uploaded_ms ? 1 : -1;
	return strcmp(x->sha256, y->sha256);
}

json_t *store_list_json(struct store *s)
{
	json_t *arr = json_array();
	struct store_meta *copy;
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n;
	copy = malloc((n ? n : 1) * sizeof(*copy));
	if (copy && n) /* s->m is NULL while the store is empty */
		memcpy(copy, s->m, n * sizeof(*copy));
	pthread_mutex_unlock(&s->lock);
	if (!copy || !arr) {
		free(copy);
		json_decref(arr);
		return NULL;
	}
	qsort(copy, n, sizeof(*copy), by_time_desc);
	for (size_t i = 0; i < n; i++) {
		json_t *o = store_meta_json(&copy[i]);
		json_object_del(o, "uploaded_ms");
		json_object_del(o, "first_address_n");
		json_object_del(o, "end_address_n");
		json_object_del(o, "base_n");
		json_array_append_new(arr, o);
	}
	free(copy);
	return arr;
}

static const uint8_t empty_map[1];

int store_map_file(const char *path, const uint8_t **data, size_t *len, struct sf_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p;

	if (fd < 0)
		return sf_err_set(err, SF_E_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		close(fd);
		return sf_err_set(err, SF_E_IO, "%s: %s", path, strerror(errno));
	}
	if (st.st_size == 0) {
		close(fd);
		*data = empty_map;
		*len = 0;
		return 0;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return sf_err_set(err, SF_E_IO, "mmap %s: %s", path, strerror(errno));
	*data = p;
	*len = (size_t)st.st_size;
	return 0;
}

void store_unmap(const uint8_t *data, size_t len)
{
	if (len && data != empty_map)
		munmap((void *)data, len);
}
