// SPDX-License-Identifier: GPL-2.0-or-later
/* store: the image store, STATE_DIR/images/<sha256> with a metadata file
 * <sha256>.json beside it (size, format, name, first and last address,
 * upload time, and for a raw binary its base: everything needed to flash
 * it again). Files are written as a temporary file in STATE_DIR/tmp,
 * fsynced, renamed into place, and the directory fsynced, so an image
 * that is listed is complete on disk.
 *
 * Thread-safe. Names come from the SHA-256 only, never from a request. */
#ifndef DAEMON_STORE_H
#define DAEMON_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

struct store_meta {
	char sha256[65];
	uint64_t size;
	char format[8];
	char name[128];
	uint32_t first, last;   /* first address, last address + 1 */
	int has_base;           /* a raw binary: the base it was uploaded with */
	uint32_t base;
	int64_t uploaded_ms;    /* Unix epoch, milliseconds */
};

struct store;

/* Creates STATE_DIR/images and STATE_DIR/tmp (emptying tmp) and reads the
 * metadata of every stored image. */
struct store *store_open(const char *state_dir, struct sf_err *err);
void store_close(struct store *s);

/* fsync the temporary file fd/tmp_path and move it to images/<sha256>,
 * then write the metadata (common/fsutil.h's fsutil_commit for both). When
 * the image is already stored the temporary file is removed and the
 * metadata kept (name/time of the first upload; format and base become
 * those of this upload). fd is closed and tmp_path
 * gone in every case. SF_E_ARG when m->sha256 is not a SHA-256 name;
 * SF_E_NOSPACE on a full disk, and then a new image leaves no file behind
 * (an image without its metadata is removed again). */
int store_commit(struct store *s, int fd, const char *tmp_path, const struct store_meta *m,
		 struct sf_err *err);

/* Forget a stored image and delete its files (an upload that was refused
 * after it was stored). SF_E_ARG when there is no such image. */
int store_remove(struct store *s, const char *sha256);
/* 0 and *out filled, or SF_E_ARG when no such image (any name that is not
 * a stored SHA-256, "../x" included). */
int store_lookup(struct store *s, const char *sha256, struct store_meta *out);
/* Path of a stored image file. */
void store_path(struct store *s, const char *sha256, char *buf, size_t len);
/* Array of image objects, newest upload first. */
json_t *store_list_json(struct store *s);
json_t *store_meta_json(const struct store_meta *m);

/* Map a whole file read-only (len 0 gives a non-NULL dummy). */
int store_map_file(const char *path, const uint8_t **data, size_t *len, struct sf_err *err);
void store_unmap(const uint8_t *data, size_t len);

/* Milliseconds since the epoch and an ISO 8601 UTC rendering of it. */
int64_t store_now_ms(void);
void store_iso_time(int64_t ms, char *buf, size_t len);

#endif
