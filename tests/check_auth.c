// SPDX-License-Identifier: GPL-2.0-or-later
/* daemon/auth: where the token comes from (token file, config key, systemd
 * credential), what odd token files mean, and the bearer check. Every
 * refusal is asserted by its code and its whole message. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_run.h"
#include "common/err.h"
#include "daemon/auth.h"
#include "daemon/config.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_auth.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *p, const void *data, size_t len)
{
	FILE *f = fopen(p, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Load the token from a file holding len bytes of data, into a heap
 * buffer of exactly outlen bytes (so ASan sees any access outside it). */
static int load(const void *data, size_t len, size_t outlen, char *tok, size_t toklen,
		struct sf_err *err)
{
	struct dcfg c;
	char *out = malloc(outlen);
	char src[256];
	int rc;

	ck_assert_ptr_nonnull(out);
	put(path, data, len);
	dcfg_defaults(&c);
	snprintf(c.token_file, sizeof(c.token_file), "%s", path);
	memset(err, 0, sizeof(*err));
	rc = auth_load_token(&c, out, outlen, src, sizeof(src), err);
	snprintf(tok, toklen, "%s", out);
	if (!rc) {
		char want[256];
		snprintf(want, sizeof(want), "token file %s", path);
		ck_assert_str_eq(src, want);
	}
	free(out);
	return rc;
}

static void want_err(int rc, const struct sf_err *err, int code, const char *fmt_after_path)
{
	char want[512];

	snprintf(want, sizeof(want), fmt_after_path, path);
	ck_assert_int_eq(rc, code);
	ck_assert_int_eq(err->code, code);
	ck_assert_str_eq(err->msg, want);
}

#define BLANKS "token file %s holds only blanks (spaces, tabs, empty lines): no token"

/* The bug: a token file of blanks read (and could write) before the buffer. */
START_TEST(blank_files_are_errors)
{
	static const char *const blanks[] = {
		" ", "   ", "\t", " \t \t", "\n", "\r\n", "\r", "\n\n\n", "  \n", "\t\r\n",
		"  \n  \n\t\n", "\r\n\r\n", " \r \n",
	};
	struct sf_err err;
	char tok[64];

	for (size_t i = 0; i < sizeof(blanks) / sizeof(blanks[0]); i++) {
		int rc = load(blanks[i], strlen(blanks[i]), 512, tok, sizeof(tok), &err);
		want_err(rc, &err, SF_E_ARG, BLANKS);
		ck_assert_str_eq(tok, "");
	}
}
END_TEST

START_TEST(empty_file)
{
	struct sf_err err;
	char tok[64];
	int rc = load("", 0, 512, tok, sizeof(tok), &err);

	want_err(rc, &err, SF_E_ARG, "token file %s is empty");
	ck_assert_str_eq(tok, "");
}
END_TEST

START_TEST(blank_first_line_then_token)
{
	static const char *const files[] = { "\nabc\n", "   \nabc", "\r\nabc\r\n", "\t\n\nabc\n" };
	struct sf_err err;
	char tok[64];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int rc = load(files[i], strlen(files[i]), 512, tok, sizeof(tok), &err);
		want_err(rc, &err, SF_E_ARG,
			 "token file %s: the first line is blank (the token must be on the first line)");
	}
}
END_TEST

START_TEST(good_shapes)
{
	static const struct { const char *file, *token; } cases[] = {
		{ "abc\n", "abc" },
		{ "abc", "abc" },                 /* no newline */
		{ "abc\r\n", "abc" },             /* CRLF */
		{ "abc\r", "abc" },
		{ "  abc \t\r\n", "abc" },        /* blanks around it */
		{ "\tabc", "abc" },
		{ "abc\nsecond line\n", "abc" },  /* only the first line */
		{ "abc\n\0\0\0", "abc" },         /* NULs after the first line do not matter */
		{ "a b\tc\n", "a b\tc" },         /* blanks inside stay */
		{ "x", "x" },
		{ "dGhpcyBpcyBhIHRva2Vu+/==\n", "dGhpcyBpcyBhIHRva2Vu+/==" },
	};
	struct sf_err err;
	char tok[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].file);
		if (i == 7)
			len += 3;
		int rc = load(cases[i].file, len, 512, tok, sizeof(tok), &err);
		ck_assert_msg(rc == 0, "case %zu: %s", i, err.msg);
		ck_assert_str_eq(tok, cases[i].token);
	}
}
END_TEST

START_TEST(nul_and_control_bytes)
{
	struct sf_err err;
	char tok[64];
	int rc;

	rc = load("ab\0cd\n", 6, 512, tok, sizeof(tok), &err);
	want_err(rc, &err, SF_E_ARG, "token file %s: byte 0x00 at offset 2 is not text (store the "
		 "token encoded, e.g. with base64)");
	ck_assert_str_eq(tok, "");
	rc = load("\0abc", 4, 512, tok, sizeof(tok), &err);
	want_err(rc, &err, SF_E_ARG, "token file %s: byte 0x00 at offset 0 is not text (store the "
		 "token encoded, e.g. with base64)");
	rc = load(" ab\033c", 5, 512, tok, sizeof(tok), &err);
	want_err(rc, &err, SF_E_ARG, "token file %s: byte 0x1b at offset 3 is not text (store the "
		 "token encoded, e.g. with base64)");
	rc = load("abc\x7f", 4, 512, tok, sizeof(tok), &err);
	want_err(rc, &err, SF_E_ARG, "token file %s: byte 0x7f at offset 3 is not text (store the "
		 "token encoded, e.g. with base64)");
}
END_TEST

START_TEST(very_long)
{
	enum { OUT = 64 };
	char data[4096], tok[OUT + 8], want[OUT];
	struct sf_err err;
	int rc;

	/* exactly OUT - 1 bytes fit, with or without a line end after them */
	memset(data, 'a', sizeof(data));
	memset(want, 'a', OUT - 1);
	want[OUT - 1] = '\0';
	rc = load(data, OUT - 1, OUT, tok, sizeof(tok), &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(tok, want);
	data[OUT - 1] = '\n';
	rc = load(data, OUT + 10, OUT, tok, sizeof(tok), &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(tok, want);
	data[OUT - 1] = '\r';
	rc = load(data, OUT, OUT, tok, sizeof(tok), &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(tok, want);

	/* one more is refused, never cut to fit */
	memset(data, 'a', sizeof(data));
	rc = load(data, OUT, OUT, tok, sizeof(tok), &err);
	want_err(rc, &err, SF_E_ARG, "token file %s: the first line is longer than 63 bytes");
	ck_assert_str_eq(tok, "");
	rc = load(data, sizeof(data), OUT, tok, sizeof(tok), &err);
	want_err(rc, &err, SF_E_ARG, "token file %s: the first line is longer than 63 bytes");
	/* leading blanks count against the buffer, but a long tail does not */
	memset(data, ' ', 10);
	memcpy(data + 10, "tok\n", 4);
	rc = load(data, sizeof(data), OUT, tok, sizeof(tok), &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(tok, "tok");
}
END_TEST

START_TEST(unreadable)
{
	struct dcfg c;
	struct sf_err err = { 0 };
	char out[512], want[512];
	int rc;

	dcfg_defaults(&c);
	/* missing */
	snprintf(c.token_file, sizeof(c.token_file), "%s/nope", dir);
	rc = auth_load_token(&c, out, sizeof(out), NULL, 0, &err);
	snprintf(want, sizeof(want), "token file %s/nope: No such file or directory", dir);
	ck_assert_int_eq(rc, SF_E_IO);
	ck_assert_str_eq(err.msg, want);
	/* a directory opens but cannot be read */
	snprintf(c.token_file, sizeof(c.token_file), "%s", dir);
	rc = auth_load_token(&c, out, sizeof(out), NULL, 0, &err);
	snprintf(want, sizeof(want), "token file %s: Is a directory", dir);
	ck_assert_int_eq(rc, SF_E_IO);
	ck_assert_str_eq(err.msg, want);
	ck_assert_str_eq(out, "");
	/* no read permission (root reads anyway) */
	if (geteuid() != 0) {
		put(path, "abc\n", 4);
		ck_assert_int_eq(chmod(path, 0), 0);
		snprintf(c.token_file, sizeof(c.token_file), "%s", path);
		rc = auth_load_token(&c, out, sizeof(out), NULL, 0, &err);
		snprintf(want, sizeof(want), "token file %s: Permission denied", path);
		ck_assert_int_eq(rc, SF_E_IO);
		ck_assert_str_eq(err.msg, want);
	}
}
END_TEST

START_TEST(sources_in_order)
{
	struct dcfg c;
	struct sf_err err = { 0 };
	char out[512], src[256], want[256];

	dcfg_defaults(&c);
	/* nothing anywhere: no token, not an error */
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), 0);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(src, "");
	/* the config key */
	snprintf(c.token, sizeof(c.token), "fromconfig");
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), 0);
	ck_assert_str_eq(out, "fromconfig");
	ck_assert_str_eq(src, "config key [auth] token");
	/* ... too long for the caller's buffer is refused, not cut */
	ck_assert_int_eq(auth_load_token(&c, out, 5, src, sizeof(src), &err), SF_E_ARG);
	ck_assert_str_eq(err.msg, "config key [auth] token is longer than 4 bytes");
	/* the token file wins over the key */
	put(path, "fromfile\n", 9);
	snprintf(c.token_file, sizeof(c.token_file), "%s", path);
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), 0);
	ck_assert_str_eq(out, "fromfile");
	snprintf(want, sizeof(want), "token file %s", path);
	ck_assert_str_eq(src, want);
	/* a blank token file is an error, never a fall back to the key */
	put(path, " \n", 2);
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), SF_E_ARG);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(systemd_credential)
{
	struct dcfg c;
	struct sf_err err = { 0 };
	char out[512], src[256], want[256];

	dcfg_defaults(&c);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	/* no credential named token: no token, fine */
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), 0);
	ck_assert_str_eq(out, "");
	put(path, "cred\r\n", 6);
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), 0);
	ck_assert_str_eq(out, "cred");
	snprintf(want, sizeof(want), "systemd credential %s", path);
	ck_assert_str_eq(src, want);
	/* the config key comes first */
	snprintf(c.token, sizeof(c.token), "key");
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), 0);
	ck_assert_str_eq(out, "key");
	c.token[0] = '\0';
	/* a blank credential is an error naming it */
	put(path, "\t\n", 2);
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), SF_E_ARG);
	snprintf(want, sizeof(want), BLANKS, path);
	ck_assert_str_eq(err.msg, want);
	/* a credential that exists but cannot be read is an error too */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), SF_E_IO);
	snprintf(want, sizeof(want), "token file %s: Is a directory", path);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(rmdir(path), 0);
	unsetenv("CREDENTIALS_DIRECTORY");
}
END_TEST

START_TEST(bearer_check)
{
	struct auth *a = auth_new();

	ck_assert_ptr_nonnull(a);
	/* no token: everything passes (the daemon allows that on loopback only) */
	ck_assert_int_eq(auth_allow(a, NULL, 1), 1);
	auth_configure(a, "s3cret", 0);
	ck_assert_int_eq(auth_allow(a, "Bearer s3cret", 1), 1);
	ck_assert_int_eq(auth_allow(a, "bearer s3cret", 1), 1);
	ck_assert_int_eq(auth_allow(a, "Bearer   s3cret", 1), 1);
	ck_assert_int_eq(auth_allow(a, "Bearer s3cre", 1), 0);
	ck_assert_int_eq(auth_allow(a, "Bearer s3cret2", 1), 0);
	ck_assert_int_eq(auth_allow(a, "Bearer ", 1), 0);
	ck_assert_int_eq(auth_allow(a, "Basic s3cret", 1), 0);
	ck_assert_int_eq(auth_allow(a, "s3cret", 1), 0);
	ck_assert_int_eq(auth_allow(a, "", 1), 0);
	ck_assert_int_eq(auth_allow(a, NULL, 1), 0);
	/* reads are open unless protect_reads */
	ck_assert_int_eq(auth_allow(a, NULL, 0), 1);
	auth_configure(a, "s3cret", 1);
	ck_assert_int_eq(auth_allow(a, NULL, 0), 0);
	ck_assert_int_eq(auth_allow(a, "Bearer s3cret", 0), 1);
	/* cleared */
	auth_configure(a, "", 1);
	ck_assert_int_eq(auth_allow(a, NULL, 1), 1);
	ck_assert_int_eq(auth_allow(a, NULL, 0), 1);
	auth_configure(a, "s3cret", 1);
	auth_configure(a, NULL, 1);
	ck_assert_int_eq(auth_allow(a, NULL, 1), 1);
	auth_free(a);
	auth_free(NULL);
}
END_TEST

/* A token file with blanks around the token matches the header a client
 * sends with the bare token. */
START_TEST(file_token_matches_header)
{
	struct auth *a = auth_new();
	struct sf_err err;
	char tok[64];

	ck_assert_int_eq(load("  tok3n \r\n", 10, 512, tok, sizeof(tok), &err), 0);
	auth_configure(a, tok, 0);
	ck_assert_int_eq(auth_allow(a, "Bearer tok3n", 1), 1);
	auth_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, blank_files_are_errors);
	tcase_add_test(tc, empty_file);
	tcase_add_test(tc, blank_first_line_then_token);
	tcase_add_test(tc, good_shapes);
	tcase_add_test(tc, nul_and_control_bytes);
	tcase_add_test(tc, very_long);
	tcase_add_test(tc, unreadable);
	tcase_add_test(tc, sources_in_order);
	tcase_add_test(tc, systemd_credential);
	tcase_add_test(tc, bearer_check);
	tcase_add_test(tc, file_token_matches_header);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
