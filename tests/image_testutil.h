// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers for the image parser suites (tests/check_image*.c): Intel HEX
 * text built record by record with correct checksums, assertions on the
 * error code, message and segments, little-endian words, temporary files. */
#ifndef TESTS_IMAGE_TESTUTIL_H
#define TESTS_IMAGE_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nrf52/image.h"

/* ---- helpers ---------------------------------------------------------- */

struct text {
	char s[16384];
};

/* Append one HEX record with a correct checksum (and LF). */
static inline void rec(struct text *t, unsigned type, unsigned off, const uint8_t *d, unsigned n)
{
	unsigned sum = n + (off >> 8) + (off & 0xFF) + type, i;
	size_t l = strlen(t->s);

	l += (size_t)sprintf(t->s + l, ":%02X%04X%02X", n, off & 0xFFFF, type);
	for (i = 0; i < n; i++) {
		sum += d[i];
		l += (size_t)sprintf(t->s + l, "%02X", d[i]);
	}
	sprintf(t->s + l, "%02X\n", -sum & 0xFF);
}

static inline void raw(struct text *t, const char *line)
{
	strcat(t->s, line);
}

static inline void rec_data(struct text *t, unsigned off, unsigned n, uint8_t first)
{
	uint8_t d[255];
	unsigned i;

	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(first + i);
	rec(t, 0x00, off, d, n);
}

static inline void rec_ela(struct text *t, unsigned upper)
{
	uint8_t d[2] = { (uint8_t)(upper >> 8), (uint8_t)upper };
	rec(t, 0x04, 0, d, 2);
}

static inline void rec_eof(struct text *t)
{
	raw(t, ":00000001FF\n");
}

static inline int parse_text(const char *s, enum img_format f, struct img *img, struct sf_err *err)
{
	sf_err_clear(err);
	return img_parse((const uint8_t *)s, strlen(s), f, 0, img, err);
}

#define ck_ok(rc, err) ck_assert_msg((rc) == 0, "unexpected error %d: %s", (rc), (err).msg)

/* The error code and a distinctive part of the message; the image stays empty. */
#define ck_fail_msg(rc, err, img, code, needle) do {                                     \
	ck_assert_msg((rc) == (code), "rc %d (want %d), message: %s", (rc), (code), (err).msg); \
	ck_assert_msg(strstr((err).msg, (needle)) != NULL, "message '%s' lacks '%s'",          \
		      (err).msg, (needle));                                                      \
	ck_assert_ptr_null((img).seg);                                                           \
	ck_assert_uint_eq((img).nseg, 0);                                                        \
} while (0)

static inline void ck_seg(const struct img *img, size_t i, uint32_t addr, uint32_t len)
{
	ck_assert_uint_gt(img->nseg, i);
	ck_assert_msg(img->seg[i].addr == addr && img->seg[i].len == len,
		      "segment %zu is 0x%08X+0x%X, want 0x%08X+0x%X", i,
		      (unsigned)img->seg[i].addr, (unsigned)img->seg[i].len,
		      (unsigned)addr, (unsigned)len);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void write_tmp(char *path, const void *d, size_t n)
{
	int fd;

	strcpy(path, "/tmp/check_image_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, d, n), (ssize_t)n);
	close(fd);
}

#endif
