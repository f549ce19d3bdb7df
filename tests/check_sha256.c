// SPDX-License-Identifier: GPL-2.0-or-later
/* SHA-256 (common/sha256.c): the FIPS 180-2 example vectors, and every
 * length around the 55/56/64-byte padding boundaries (and a few long ones)
 * against coreutils sha256sum. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_run.h"
#include "common/sha256.h"

/* A temporary file holding d; its name in path (64 bytes). */
static void write_tmp(char *path, const void *d, size_t n)
{
	int fd;

	strcpy(path, "/tmp/check_sha256_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, d, n), (ssize_t)n);
	close(fd);
}

START_TEST(sha256_fips_vectors)
{
	static const char abc448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[32];
	char hex[65];
	uint8_t *m;

	sha256_buf((const uint8_t *)"", 0, out, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_buf((const uint8_t *)"abc", 3, out, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_uint_eq(out[0], 0xBA);
	ck_assert_uint_eq(out[31], 0xAD);
	sha256_buf((const uint8_t *)abc448, strlen(abc448), out, hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	m = malloc(1000000);
	ck_assert_ptr_nonnull(m);
	memset(m, 'a', 1000000);
	sha256_buf(m, 1000000, out, NULL);
	sha256_buf(m, 1000000, out, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(m);
}
END_TEST

/* Every length around the 55/56/64-byte padding boundaries and a few long
 * ones, against coreutils sha256sum. */
START_TEST(sha256_matches_sha256sum)
{
	static const size_t lens[] = { 0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128,
				       129, 1000, 4096, 65537 };
	uint8_t buf[65537], out[32];
	char hex[65], path[64], cmd[128], line[160];
	uint32_t x = 0x12345678u;
	size_t i;

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		FILE *p;
		write_tmp(path, buf, lens[i]);
		snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
		p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
		ck_assert_int_eq(pclose(p), 0);
		unlink(path);
		sha256_buf(buf, lens[i], out, hex);
		ck_assert_msg(strncmp(line, hex, 64) == 0, "length %zu: sha256sum %.64s, ours %s",
			      lens[i], line, hex);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *sha256 = tcase_create("sha256");
	tcase_add_test(sha256, sha256_fips_vectors);
	tcase_add_test(sha256, sha256_matches_sha256sum);
	suite_add_tcase(s, sha256);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
