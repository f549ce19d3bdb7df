// SPDX-License-Identifier: GPL-2.0-or-later
/* unit: serial number counters and per-unit field values (unit.h). */
#include "unit.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../common/fsutil.h"

struct units {
	pthread_mutex_t lock;
	char dir[600];
};

struct units *units_open(const char *state_dir, struct sf_err *err)
{
	struct units *u = calloc(1, sizeof(*u));

	if (!u) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	snprintf(u->dir, sizeof(u->dir), "%s/serials", state_dir);
	if (mkdir(u->dir, 0750) && errno != EEXIST) {
		sf_err_set(err, sf_err_io_code(errno), "creating %s: %s", u->dir, strerror(errno));
		free(u);
		return NULL;
	}
	pthread_mutex_init(&u->lock, NULL);
	return u;
}

void units_close(struct units *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

/* Lock held. A missing file is a new counter; a file that is not ours is
 * an error (never restart numbering silently). */
static int read_next(struct units *u, const char *recipe, uint64_t start, uint64_t *next,
		     struct sf_err *err)
{
	char path[800], line[64];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", u->dir, recipe);
	f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT)
			return sf_err_set(err, SF_E_IO, "serial counter %s: %s", path, strerror(errno));
		*next = start;
		return 0;
	}
	int ok = fgets(line, sizeof(line), f) && sscanf(line, "next %llu", &v) == 1;
	fclose(f);
	if (!ok)
		return sf_err_set(err, SF_E_IO, "serial counter %s is damaged (not \"next N\"): fix it "
				  "by hand, never reset it (numbers must not repeat)", path);
	*next = v < start ? start : v;
	return 0;
}

int unit_peek(struct units *u, const char *recipe, uint64_t start, uint64_t *next,
	      struct sf_err *err)
{
	pthread_mutex_lock(&u->lock);
	int rc = read_next(u, recipe, start, next, err);
	pthread_mutex_unlock(&u->lock);
	return rc;
}

int unit_reserve(struct units *u, const char *recipe, uint64_t start, uint64_t *serial,
		 struct sf_err *err)
{
	char path[800], line[64];
	uint64_t n;
	int rc;

	if (!recipe_name_ok(recipe))
		return sf_err_set(err, SF_E_ARG, "bad recipe name for a serial counter");
	pthread_mutex_lock(&u->lock);
	rc = read_next(u, recipe, start, &n, err);
	if (!rc && n == UINT64_MAX)
		rc = sf_err_set(err, SF_E_RANGE, "serial counter of %s is exhausted", recipe);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/%s", u->dir, recipe);
		int len = snprintf(line, sizeof(line), "next %" PRIu64 "\n", n + 1);
		rc = fsutil_write_file(path, line, (size_t)len, err);
		if (rc)
			sf_err_prefix(err, "serial counter %s not advanced (no number handed out)", recipe);
	}
	pthread_mutex_unlock(&u->lock);
	if (!rc)
		*serial = n;
	return rc;
}

int unit_field_value(const struct recipe_field *f, uint64_t serial,
		     const struct nrf52_info *info, int64_t now_ms, uint8_t *out, char *text,
		     size_t text_len, struct sf_err *err)
{
	char buf[300];
	int n = 0;

	switch (f->kind) {
	case RECIPE_FIELD_SERIAL:
		n = snprintf(buf, sizeof(buf), f->hex ? "%s%0*" PRIX64 : "%s%0*" PRIu64, f->prefix,
			     (int)f->width, serial);
		break;
	case RECIPE_FIELD_DEVICE_ID:
		n = snprintf(buf, sizeof(buf), "%016" PRIX64, info->device_id);
		break;
	case RECIPE_FIELD_BLE_ADDR: {
		/* FICR DEVICEADDR with the two top bits set: a static random address
		 * (Bluetooth Core, Vol 6 Part B 1.3.2.1) */
		uint64_t a = (info->device_addr & 0xFFFFFFFFFFFFULL) | 0xC00000000000ULL;
		n = snprintf(buf, sizeof(buf), "%02X:%02X:%02X:%02X:%02X:%02X",
			     (unsigned)(a >> 40) & 0xFF, (unsigned)(a >> 32) & 0xFF,
			     (unsigned)(a >> 24) & 0xFF, (unsigned)(a >> 16) & 0xFF,
			     (unsigned)(a >> 8) & 0xFF, (unsigned)a & 0xFF);
		break;
	}
	case RECIPE_FIELD_DATE: {
		time_t t = (time_t)(now_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		n = (int)strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
		break;
	}
	}
	if (n < 0 || (size_t)n + 1 > f->size)
		return sf_err_set(err, SF_E_RANGE, "%s value '%s' does not fit its %" PRIu32 "-byte "
				  "field", recipe_field_kind_name(f->kind), buf, f->size);
	memset(out, 0, f->size);
	memcpy(out, buf, (size_t)n);
	snprintf(text, text_len, "%s", buf);
	return 0;
}
