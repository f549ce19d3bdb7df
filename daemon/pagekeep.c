// SPDX-License-Identifier: GPL-2.0-or-later
#include "pagekeep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/dlog.h"
#include "../common/fsutil.h"
#include "../common/sha256.h"

#define PK_MAGIC "SWDFKEEP"
#define PK_VERSION 1U
#define PK_HEAD 32U             /* magic 8, version 4, size 4, device 8, addr 4, 0 4 */
#define PK_MAX_SIZE 65536U      /* a code page or the UICR is at most 4 KiB today */

struct pagekeep {
	char dir[600];
	struct nrf52_keeper keeper;
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void page_path(const struct pagekeep *k, uint64_t dev, uint32_t addr, char *out, size_t n)
{
	snprintf(out, n, "%s/%016" PRIx64 "-%08" PRIx32 ".page", k->dir, dev, addr);
}

/* mkdir -p, mode 0700: the directory appears with its first kept page. */
static int make_dirs(const char *dir, struct sf_err *err)
{
	char p[600];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) && errno != EEXIST)
			return sf_err_set(err, sf_err_io_code(errno), "creating %s: %s", p,
					  strerror(errno));
		*s = c;
		if (!c)
			return 0;
	}
}

static int pk_save(void *user, uint64_t dev, const struct nrf52_kept_page *pg, struct sf_err *err)
{
	struct pagekeep *k = user;
	size_t len = PK_HEAD + 2 * (size_t)pg->size + 32;
	char path[700], tmp[720];
	uint8_t *buf;
	int fd;

	if (pg->size > PK_MAX_SIZE)
		return sf_err_set(err, SF_E_ARG, "a page of %u bytes is too large to keep", pg->size);
	if (make_dirs(k->dir, err))
		return err ? err->code : SF_E_IO;
	buf = calloc(1, len);
	if (!buf)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	memcpy(buf, PK_MAGIC, 8);
	put32(buf + 8, PK_VERSION);
	put32(buf + 12, pg->size);
	put32(buf + 16, (uint32_t)dev);
	put32(buf + 20, (uint32_t)(dev >> 32));
	put32(buf + 24, pg->addr);
	memcpy(buf + PK_HEAD, pg->data, pg->size);
	memcpy(buf + PK_HEAD + pg->size, pg->keep, pg->size);
	sha256_buf(buf, len - 32, buf + len - 32, NULL);
	page_path(k, dev, pg->addr, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		free(buf);
		return sf_err_set(err, sf_err_io_code(e), "%s: %s", tmp, strerror(e));
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			unlink(tmp);
			free(buf);
			return sf_err_set(err, sf_err_io_code(e), "writing %s: %s", tmp, strerror(e));
		}
		off += (size_t)w;
	}
	free(buf);
	if (fsutil_commit(fd, tmp, path, err))
		return err ? err->code : SF_E_IO;
	dlog(DLOG_INFO, "keep: the page at 0x%08" PRIx32 " of chip %016" PRIx64 " is kept in %s "
	     "until it is written back", pg->addr, dev, path);
	return 0;
}

/* One kept file into pg; -1 with err naming it when it is not whole. */
static int read_page(const char *path, uint64_t want_dev, struct nrf52_kept_page *pg,
		     struct sf_err *err)
{
	uint8_t sum[32], *buf = NULL;
	struct stat st;
	uint32_t size;
	uint64_t dev;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

	if (fd < 0)
		return sf_err_set(err, SF_E_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || st.st_size < (off_t)(PK_HEAD + 32) ||
	    st.st_size > (off_t)(PK_HEAD + 2 * PK_MAX_SIZE + 32))
		goto bad;
	buf = malloc((size_t)st.st_size);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size)
		goto bad;
	size = get32(buf + 12);
	dev = (uint64_t)get32(buf + 16) | (uint64_t)get32(buf + 20) << 32;
	if (memcmp(buf, PK_MAGIC, 8) || get32(buf + 8) != PK_VERSION || size > PK_MAX_SIZE ||
	    (off_t)(PK_HEAD + 2 * (size_t)size + 32) != st.st_size || dev != want_dev)
		goto bad;
	sha256_buf(buf, (size_t)st.st_size - 32, sum, NULL);
	if (memcmp(sum, buf + st.st_size - 32, 32))
		goto bad;
	pg->addr = get32(buf + 24);
	pg->size = size;
	pg->data = malloc(size);
	pg->keep = malloc(size);
	if (!pg->data || !pg->keep) {
		free(pg->data);
		free(pg->keep);
		rc = sf_err_set(err, SF_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(pg->data, buf + PK_HEAD, size);
	memcpy(pg->keep, buf + PK_HEAD + size, size);
	rc = 0;
	goto out;
bad:
	rc = sf_err_set(err, SF_E_IO, "%s is damaged (its checksum or header is wrong): the bytes "
			"it kept cannot be restored; move it away to flash this chip anyway", path);
out:
	free(buf);
	close(fd);
	return rc;
}

static int pk_load(void *user, uint64_t dev, struct nrf52_kept_page **pages, size_t *n,
		   struct sf_err *err)
{
	struct pagekeep *k = user;
	char prefix[32], path[900];
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int rc = 0;

	*pages = NULL;
	*n = 0;
	d = opendir(k->dir);
	if (!d && errno == ENOENT)
		return 0;  /* nothing was ever kept here */
	if (!d)
		return sf_err_set(err, SF_E_IO, "%s: %s", k->dir, strerror(errno));
	snprintf(prefix, sizeof(prefix), "%016" PRIx64 "-", dev);
	while (!rc && (de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (strncmp(de->d_name, prefix, 17) || nl != 17 + 8 + 5 ||
		    strcmp(de->d_name + nl - 5, ".page"))
			continue;
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 4;
			struct nrf52_kept_page *np = realloc(*pages, nc * sizeof(*np));
			if (!np) {
				rc = sf_err_set(err, SF_E_NOMEM, "out of memory");
				break;
			}
			*pages = np;
			cap = nc;
		}
		snprintf(path, sizeof(path), "%s/%s", k->dir, de->d_name);
		rc = read_page(path, dev, &(*pages)[*n], err);
		if (!rc)
			(*n)++;
	}
	closedir(d);
	if (rc) {
		nrf52_kept_pages_free(*pages, *n);
		*pages = NULL;
		*n = 0;
	}
	return rc;
}

static void pk_drop(void *user, uint64_t dev, uint32_t addr)
{
	struct pagekeep *k = user;
	char path[700];

	page_path(k, dev, addr, path, sizeof(path));
	if (unlink(path) == 0) {
		fsutil_fsync_dir(k->dir, NULL);
		dlog(DLOG_DEBUG, "keep: %s removed (the page at 0x%08" PRIx32 " of chip %016" PRIx64
		     ")", path, addr, dev);
	} else if (errno != ENOENT) {
		dlog(DLOG_WARNING, "keep: cannot remove %s: %s (it would be restored again by the "
		     "next flash of this chip)", path, strerror(errno));
	}
}

struct pagekeep *pagekeep_open(const char *dir, struct sf_err *err)
{
	struct pagekeep *k;

	if (!dir[0] || strlen(dir) >= sizeof(k->dir)) {
		sf_err_set(err, SF_E_ARG, "keep directory path empty or too long: %s", dir);
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	snprintf(k->dir, sizeof(k->dir), "%s", dir);
	k->keeper = (struct nrf52_keeper){ pk_save, pk_load, pk_drop, k };
	return k;
}

void pagekeep_free(struct pagekeep *k)
{
	free(k);
}

const struct nrf52_keeper *pagekeep_keeper(struct pagekeep *k)
{
	return &k->keeper;
}

unsigned pagekeep_forget_chip(struct pagekeep *k, uint64_t device_id)
{
	struct nrf52_kept_page *pages = NULL;
	struct sf_err err = { 0 };
	size_t n = 0;

	if (pk_load(k, device_id, &pages, &n, &err)) {
		dlog(DLOG_WARNING, "keep: %s", err.msg);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		pk_drop(k, device_id, pages[i].addr);
	nrf52_kept_pages_free(pages, n);
	return (unsigned)n;
}

unsigned pagekeep_count(struct pagekeep *k)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(k->dir);

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		n += nl > 5 && !strcmp(de->d_name + nl - 5, ".page");
	}
	closedir(d);
	return n;
}
