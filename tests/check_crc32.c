// SPDX-License-Identifier: GPL-2.0-or-later
/* crc32 (common/crc32.c): the standard check value, chaining, and random
 * buffers of many lengths against Python's zlib.crc32 (an independent
 * implementation of the same function). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_run.h"
#include "common/crc32.h"

START_TEST(crc32_check_values)
{
	/* the CRC catalogue's "check" value for CRC-32/ISO-HDLC */
	ck_assert_uint_eq(crc32_update(0, "123456789", 9), 0xCBF43926U);
	ck_assert_uint_eq(crc32_update(0, "", 0), 0);
	ck_assert_uint_eq(crc32_update(0, "a", 1), 0xE8B7BE43U);
	/* an erased nRF52 page of 4 KiB */
	{
		static uint8_t ff[4096];
		memset(ff, 0xFF, sizeof(ff));
		ck_assert_uint_ne(crc32_update(0, ff, sizeof(ff)), 0xFFFFFFFFU);
	}
}
END_TEST

START_TEST(crc32_chains)
{
	const char *s = "The quick brown fox jumps over the lazy dog";
	size_t n = strlen(s);

	ck_assert_uint_eq(crc32_update(0, s, n), 0x414FA339U);
	for (size_t cut = 0; cut <= n; cut++)
		ck_assert_uint_eq(crc32_update(crc32_update(0, s, cut), s + cut, n - cut),
				  0x414FA339U);
}
END_TEST

/* 40 random buffers against python3 -c zlib.crc32 */
START_TEST(crc32_matches_zlib)
{
	static const size_t lens[] = { 1, 2, 3, 4, 5, 7, 8, 255, 256, 1023, 1024, 4096, 65537 };
	uint8_t *buf = malloc(65537);
	uint32_t x = 0x9E3779B9U;
	char path[] = "/tmp/check_crc32_XXXXXX", cmd[256], line[64];

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		int fd = mkstemp(path);
		FILE *p;
		unsigned long want;

		ck_assert_int_ge(fd, 0);
		for (size_t k = 0; k < lens[i]; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[k] = (uint8_t)x;
		}
		ck_assert_int_eq(write(fd, buf, lens[i]), (ssize_t)lens[i]);
		close(fd);
		snprintf(cmd, sizeof(cmd), "python3 -c 'import sys,zlib; "
			 "print(zlib.crc32(open(sys.argv[1],\"rb\").read()))' %s", path);
		p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
		ck_assert_int_eq(pclose(p), 0);
		unlink(path);
		strcpy(path, "/tmp/check_crc32_XXXXXX");
		want = strtoul(line, NULL, 10);
		ck_assert_msg(crc32_update(0, buf, lens[i]) == want, "length %zu: 0x%08x, zlib 0x%08lx",
			      lens[i], crc32_update(0, buf, lens[i]), want);
	}
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crc32");
	TCase *tc = tcase_create("crc32");

	tcase_add_test(tc, crc32_check_values);
	tcase_add_test(tc, crc32_chains);
	tcase_add_test(tc, crc32_matches_zlib);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
