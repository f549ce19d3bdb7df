// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz.h: what the libFuzzer harnesses (tests/fuzz/fuzz_*.c) share: a
 * contract check that aborts with a message (libFuzzer then keeps the
 * input as a crash), and the image contract of nrf52/image.h. */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../common/err.h"
#include "../../common/sha256.h"
#include "../../nrf52/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ASSERT(cond, ...)                                                               \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "contract broken: %s: ", #cond);                   \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* A failure: the code is the one returned, the message is set, non-empty
 * and terminated inside its buffer. */
static inline void fz_check_err(int rc, const struct sf_err *err)
{
	FZ_ASSERT(rc < 0 && rc >= SF_E_LAST, "rc %d is not an error code", rc);
	FZ_ASSERT(err->code == rc, "err.code %d, rc %d", err->code, rc);
	FZ_ASSERT(memchr(err->msg, 0, sizeof(err->msg)) != NULL, "message not terminated");
	FZ_ASSERT(err->msg[0] != '\0', "empty message for rc %d", rc);
}

/* The image contract: on success segments are non-empty, sorted,
 * non-overlapping and not adjacent (merged), within 32 bits, total is
 * their sum and the SHA-256 is the input's; on failure the code is
 * SF_E_IMAGE or SF_E_FORMAT with a message, and nothing is returned. */
static inline void fz_check_img(int rc, const struct img *img, const struct sf_err *err,
				const uint8_t *buf, size_t len)
{
	if (rc) {
		fz_check_err(rc, err);
		FZ_ASSERT(rc == SF_E_IMAGE || rc == SF_E_FORMAT || rc == SF_E_NOMEM,
			  "code %d (%s)", rc, err->msg);
		FZ_ASSERT(img->nseg == 0 && img->seg == NULL, "%zu segments left on error",
			  img->nseg);
		return;
	}
	uint64_t total = 0;
	for (size_t i = 0; i < img->nseg; i++) {
		const struct img_segment *s = &img->seg[i];
		FZ_ASSERT(s->len > 0 && s->data, "segment %zu empty", i);
		FZ_ASSERT((uint64_t)s->addr + s->len <= 0x100000000ULL,
			  "segment %zu 0x%x+%u past 4 GiB", i, s->addr, s->len);
		if (i)
			FZ_ASSERT((uint64_t)img->seg[i - 1].addr + img->seg[i - 1].len < s->addr,
				  "segment %zu at 0x%x overlaps or touches the one before", i, s->addr);
		total += s->len;
	}
	FZ_ASSERT(total == img->total, "total %llu, segments hold %llu",
		  (unsigned long long)img->total, (unsigned long long)total);
	FZ_ASSERT(img->format != IMG_AUTO, "success without a format");
	uint8_t d[32];
	sha256_buf(buf, len, d, NULL);
	FZ_ASSERT(!memcmp(d, img->sha256, 32), "sha256 is not the input's");
	FZ_ASSERT(strlen(img->sha256_hex) == 64, "sha256_hex '%s'", img->sha256_hex);
}

/* 1 when both images hold the same bytes at the same addresses. */
static inline int fz_img_equal(const struct img *a, const struct img *b)
{
	if (a->nseg != b->nseg || a->total != b->total)
		return 0;
	for (size_t i = 0; i < a->nseg; i++)
		if (a->seg[i].addr != b->seg[i].addr || a->seg[i].len != b->seg[i].len ||
		    memcmp(a->seg[i].data, b->seg[i].data, a->seg[i].len))
			return 0;
	return 1;
}

/* The input as a file, for parsers that take a path: an anonymous memory
 * file, reused between runs. Writes path (/proc/self/fd/N). */
static inline void fz_memfile(const uint8_t *data, size_t size, char *path, size_t n)
{
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz", 0);
		FZ_ASSERT(fd >= 0, "memfd_create failed");
	}
	FZ_ASSERT(ftruncate(fd, 0) == 0, "ftruncate");
	FZ_ASSERT(pwrite(fd, data, size, 0) == (ssize_t)size, "pwrite");
	snprintf(path, n, "/proc/self/fd/%d", fd);
}

#endif
