// SPDX-License-Identifier: GPL-2.0-or-later
/* common/parse: the number syntax of the CLI, the config file and the
 * query strings, and the image-name check. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "ck_run.h"
#include "common/parse.h"

#define SENTINEL 0x5a5a5a5a5a5a5a5aULL

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = SENTINEL;

	ck_assert_msg(parse_size(s, &v) == 0, "'%s' refused", s);
	ck_assert_msg(v == want, "'%s' = %llu, want %llu", s, (unsigned long long)v,
		      (unsigned long long)want);
}

static void size_bad(const char *s)
{
	uint64_t v = SENTINEL;

	ck_assert_msg(parse_size(s, &v) == -1, "'%s' accepted as %llu", s, (unsigned long long)v);
	ck_assert_msg(v == SENTINEL, "'%s': *out written on failure", s);
}

START_TEST(decimal_and_hex)
{
	size_ok("0", 0);
	size_ok("7", 7);
	size_ok("4096", 4096);
	size_ok("0x0", 0);
	size_ok("0x27000", 0x27000);
	size_ok("0X27000", 0x27000);
	size_ok("0xdeadBEEF", 0xdeadbeefULL);
	size_ok("18446744073709551615", UINT64_MAX);
	size_ok("0xffffffffffffffff", UINT64_MAX);
	size_ok("0x0000000000000000000000001", 1); /* leading zeros do not overflow */
}
END_TEST

/* "010" is decimal 10: strtoull(s, 0) made it octal 8 */
START_TEST(leading_zero_is_decimal)
{
	size_ok("010", 10);
	size_ok("00", 0);
	size_ok("0009", 9);
	size_ok("08", 8);  /* octal would refuse it */
	size_ok("0777", 777);
	size_ok("010K", 10 * 1024);
}
END_TEST

START_TEST(junk_refused)
{
	size_bad(NULL);
	size_bad("");
	size_bad("0x");      /* no digits after the prefix */
	size_bad("0X");
	size_bad("0xK");
	size_bad("0x0x5");   /* strtoull(s + 2, 16) would take the second prefix */
	size_bad("0xg");
	size_bad("x10");
	size_bad("-1");
	size_bad("-0");
	size_bad("+1");
	size_bad(" 1");
	size_bad("\t1");     /* strtoull skipped it */
	size_bad("\n1");
	size_bad("1 ");
	size_bad("1\n");
	size_bad("1 K");
	size_bad("1.5");
	size_bad("1e3");
	size_bad("12abc");
	size_bad("0b101");
	size_bad("1G");
	size_bad("1KB");
	size_bad("1Ki");
	size_bad("1KiBB");
	size_bad("1KK");
	size_bad("K");
	size_bad("0o10");
}
END_TEST

START_TEST(overflow_refused)
{
	size_bad("18446744073709551616");        /* 2^64 */
	size_bad("99999999999999999999999");
	size_bad("0x10000000000000000");
	size_bad("0x1ffffffffffffffff");
	size_ok("17592186044415M", 17592186044415ULL << 20);
	size_bad("17592186044416M");            /* 2^44 MiB = 2^64 */
	size_ok("18014398509481983K", 18014398509481983ULL << 10);
	size_bad("18014398509481984K");         /* 2^54 KiB = 2^64 */
	size_bad("18446744073709551615K");
}
END_TEST

START_TEST(suffixes)
{
	size_ok("1K", 1024);
	size_ok("1k", 1024);
	size_ok("4M", 4ULL << 20);
	size_ok("4m", 4ULL << 20);
	size_ok("1KiB", 1024);
	size_ok("1Kib", 1024);
	size_ok("32MiB", 32ULL << 20);
	size_ok("0x10K", 16 * 1024);
	size_ok("0K", 0);
	size_ok("0x1B", 0x1b);                  /* B is a hex digit, not bytes */
}
END_TEST

START_TEST(u32)
{
	uint32_t v = 0x5a5a5a5a;

	ck_assert_int_eq(parse_u32("0xFFFFFFFF", &v), 0);
	ck_assert_uint_eq(v, 0xFFFFFFFFu);
	ck_assert_int_eq(parse_u32("4294967295", &v), 0);
	ck_assert_uint_eq(v, 0xFFFFFFFFu);
	ck_assert_int_eq(parse_u32("010", &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(parse_u32("4M", &v), 0);
	ck_assert_uint_eq(v, 4u << 20);
	v = 0x5a5a5a5a;
	ck_assert_int_eq(parse_u32("4294967296", &v), -1);
	ck_assert_int_eq(parse_u32("0x100000000", &v), -1);
	ck_assert_int_eq(parse_u32("4096M", &v), -1);   /* 2^32 */
	ck_assert_int_eq(parse_u32("4194304K", &v), -1); /* 2^32 */
	ck_assert_int_eq(parse_u32("-1", &v), -1);
	ck_assert_int_eq(parse_u32("", &v), -1);
	ck_assert_int_eq(parse_u32("0x", &v), -1);
	ck_assert_int_eq(parse_u32("18446744073709551616", &v), -1);
	ck_assert_uint_eq(v, 0x5a5a5a5a);
}
END_TEST

START_TEST(sha256_names)
{
	const char *good = "b7666763e1b9c2d54e0e9a4a1d3f2c5b6a7980112233445566778899aabb35f0";

	ck_assert_int_eq(parse_is_sha256_hex(good), 1);
	ck_assert_int_eq(parse_is_sha256_hex(NULL), 0);
	ck_assert_int_eq(parse_is_sha256_hex(""), 0);
	ck_assert_int_eq(parse_is_sha256_hex("b7666763"), 0);
	ck_assert_int_eq(parse_is_sha256_hex(
		"B7666763E1B9C2D54E0E9A4A1D3F2C5B6A7980112233445566778899AABB35F0"), 0);
	ck_assert_int_eq(parse_is_sha256_hex(
		"b7666763e1b9c2d54e0e9a4a1d3f2c5b6a7980112233445566778899aabb35f00"), 0);
	ck_assert_int_eq(parse_is_sha256_hex(
		"b7666763e1b9c2d54e0e9a4a1d3f2c5b6a7980112233445566778899aabb35fg"), 0);
	ck_assert_int_eq(parse_is_sha256_hex(
		"../../../../etc/passwd/../../../../../../../../../../../../../x"), 0);
	ck_assert_int_eq(parse_is_sha256_hex(
		"sha256:b7666763e1b9c2d54e0e9a4a1d3f2c5b6a7980112233445566778899aabb"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, decimal_and_hex);
	tcase_add_test(tc, leading_zero_is_decimal);
	tcase_add_test(tc, junk_refused);
	tcase_add_test(tc, overflow_refused);
	tcase_add_test(tc, suffixes);
	tcase_add_test(tc, u32);
	tcase_add_test(tc, sha256_names);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
