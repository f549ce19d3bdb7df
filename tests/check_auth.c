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
	auth_configure(a, "s3cret", 0, 0);
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
	auth_configure(a, "s3cret", 1, 0);
	ck_assert_int_eq(auth_allow(a, NULL, 0), 0);
	ck_assert_int_eq(auth_allow(a, "Bearer s3cret", 0), 1);
	/* cleared */
	auth_configure(a, "", 1, 0);
	ck_assert_int_eq(auth_allow(a, NULL, 1), 1);
	ck_assert_int_eq(auth_allow(a, NULL, 0), 1);
	auth_configure(a, "s3cret", 1, 0);
	auth_configure(a, NULL, 1, 0);
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
	auth_configure(a, tok, 0, 0);
	ck_assert_int_eq(auth_allow(a, "Bearer tok3n", 1), 1);
	auth_free(a);
}
END_TEST

/* The same blank and length rules for every source: the token file, the
 * config key and the systemd credential. */
START_TEST(same_rules_everywhere)
{
	struct dcfg c;
	struct sf_err err = { 0 };
	char out[512], src[256], want[400], data[400];

	dcfg_defaults(&c);
	/* blanks around the config key's token go, as around a file's */
	snprintf(c.token, sizeof(c.token), " \tkeytok \t");
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), 0);
	ck_assert_str_eq(out, "keytok");
	snprintf(c.token, sizeof(c.token), " \t ");
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), SF_E_ARG);
	ck_assert_str_eq(err.msg, "config key [auth] token holds only blanks: no token");
	snprintf(c.token, sizeof(c.token), "ab\001c");
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), SF_E_ARG);
	ck_assert_str_eq(err.msg, "config key [auth] token: byte 0x01 is not text");
	memset(c.token, 'k', sizeof(c.token) - 1);
	c.token[sizeof(c.token) - 1] = '\0';
	if (sizeof(c.token) - 1 > AUTH_TOKEN_MAX) {
		ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err),
				 SF_E_ARG);
	}
	c.token[0] = '\0';
	/* a token file's token longer than AUTH_TOKEN_MAX is refused, not cut,
	 * even when the caller's buffer would hold it */
	memset(data, 'a', sizeof(data));
	memcpy(data + AUTH_TOKEN_MAX + 1, "\n", 1);
	put(path, data, AUTH_TOKEN_MAX + 2);
	snprintf(c.token_file, sizeof(c.token_file), "%s", path);
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), SF_E_ARG);
	snprintf(want, sizeof(want), "token file %s: the token is %d bytes long, more than the %d "
		 "allowed (refused, not cut)", path, AUTH_TOKEN_MAX + 1, AUTH_TOKEN_MAX);
	ck_assert_str_eq(err.msg, want);
	ck_assert_str_eq(out, "");
	/* exactly AUTH_TOKEN_MAX, blanks around it: fine */
	data[0] = ' ';
	put(path, data, AUTH_TOKEN_MAX + 2);
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), 0);
	ck_assert_uint_eq(strlen(out), AUTH_TOKEN_MAX);
	/* the systemd credential: the same reader, the same rules */
	c.token_file[0] = '\0';
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	put(path, " \tcred \t\n", 9);
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), 0);
	ck_assert_str_eq(out, "cred");
	data[0] = 'a';
	put(path, data, AUTH_TOKEN_MAX + 2);
	ck_assert_int_eq(auth_load_token(&c, out, sizeof(out), src, sizeof(src), &err), SF_E_ARG);
	unsetenv("CREDENTIALS_DIRECTORY");
}
END_TEST

/* A non-loopback listen needs a token of AUTH_TOKEN_MIN_REMOTE characters. */
START_TEST(listen_rules)
{
	struct sf_err err = { 0 };
	char big[AUTH_TOKEN_MAX + 2];

	ck_assert_int_eq(auth_check_rules("x", 1, "127.0.0.1:80", &err), 0);
	ck_assert_int_eq(auth_check_rules("", 1, "127.0.0.1:80", &err), 0);
	ck_assert_int_eq(auth_check_rules("0123456789abcdef", 0, "0.0.0.0:80", &err), 0);
	ck_assert_int_eq(auth_check_rules("0123456789abcde", 0, "0.0.0.0:80", &err), SF_E_ARG);
	ck_assert_str_eq(err.msg, "refusing to listen on 0.0.0.0:80 with a token of 15 characters: "
			 "a listen address that is not loopback needs a token of at least 16 "
			 "characters (make one with head -c 32 /dev/urandom | base64)");
	ck_assert_int_eq(auth_check_rules("x", 0, "[::]:80", &err), SF_E_ARG);
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(auth_check_rules(big, 1, "127.0.0.1:80", &err), SF_E_ARG);
	ck_assert_str_eq(err.msg, "the token is 257 bytes long, more than the 256 allowed");
}
END_TEST

/* Trailing blanks in the header; memory reads need the token by default. */
START_TEST(header_and_levels)
{
	struct auth *a = auth_new();

	auth_configure(a, "s3cret", 0, 1);
	ck_assert_int_eq(auth_check(a, "Bearer s3cret ", AUTH_LEVEL_WRITE, NULL, NULL), AUTH_OK);
	ck_assert_int_eq(auth_check(a, "Bearer s3cret\t \t", AUTH_LEVEL_WRITE, NULL, NULL), AUTH_OK);
	ck_assert_int_eq(auth_check(a, "Bearer \t s3cret  ", AUTH_LEVEL_WRITE, NULL, NULL), AUTH_OK);
	ck_assert_int_eq(auth_check(a, "Bearer s3c ret", AUTH_LEVEL_WRITE, NULL, NULL), AUTH_WRONG);
	ck_assert_int_eq(auth_check(a, "Bearer   ", AUTH_LEVEL_WRITE, NULL, NULL), AUTH_WRONG);
	ck_assert_int_eq(auth_check(a, NULL, AUTH_LEVEL_WRITE, NULL, NULL), AUTH_MISSING);
	ck_assert_int_eq(auth_check(a, NULL, AUTH_LEVEL_READ, NULL, NULL), AUTH_OK);
	ck_assert_int_eq(auth_check(a, NULL, AUTH_LEVEL_MEMORY, NULL, NULL), AUTH_MISSING);
	ck_assert_int_eq(auth_check(a, "Bearer s3cret", AUTH_LEVEL_MEMORY, NULL, NULL), AUTH_OK);
	auth_configure(a, "s3cret", 0, 0);
	ck_assert_int_eq(auth_check(a, NULL, AUTH_LEVEL_MEMORY, NULL, NULL), AUTH_OK);
	auth_configure(a, "s3cret", 1, 0);
	ck_assert_int_eq(auth_check(a, NULL, AUTH_LEVEL_MEMORY, NULL, NULL), AUTH_MISSING);
	auth_configure(a, "", 1, 1);
	ck_assert_int_eq(auth_check(a, NULL, AUTH_LEVEL_MEMORY, NULL, NULL), AUTH_OK);
	auth_free(a);
}
END_TEST

/* Wrong tokens from one client: AUTH_FAIL_BURST are checked, then the
 * client is refused unchecked (even with the right token) while others
 * go on; a missing header does not count; the table stays bounded. */
START_TEST(rate_limit)
{
	struct auth *a = auth_new();
	unsigned retry = 99;
	char name[32];

	auth_configure(a, "s3cret", 0, 1);
	for (int i = 0; i < 3 * AUTH_FAIL_BURST; i++)
		ck_assert_int_eq(auth_check(a, NULL, AUTH_LEVEL_WRITE, "10.0.0.9", &retry),
				 AUTH_MISSING);
	for (int i = 0; i < AUTH_FAIL_BURST; i++) {
		ck_assert_int_eq(auth_check(a, "Bearer nope", AUTH_LEVEL_WRITE, "10.0.0.1", &retry),
				 AUTH_WRONG);
		ck_assert_uint_eq(retry, 0);
	}
	ck_assert_int_eq(auth_check(a, "Bearer nope", AUTH_LEVEL_WRITE, "10.0.0.1", &retry),
			 AUTH_LIMITED);
	ck_assert_uint_ge(retry, 1);
	ck_assert_uint_le(retry, (AUTH_FAIL_REFILL_MS + 999) / 1000 + 1);
	ck_assert_int_eq(auth_check(a, "Bearer s3cret", AUTH_LEVEL_WRITE, "10.0.0.1", &retry),
			 AUTH_LIMITED);
	/* another client is not affected */
	ck_assert_int_eq(auth_check(a, "Bearer s3cret", AUTH_LEVEL_WRITE, "10.0.0.2", &retry),
			 AUTH_OK);
	ck_assert_int_eq(auth_check(a, "Bearer nope", AUTH_LEVEL_WRITE, "10.0.0.2", &retry),
			 AUTH_WRONG);
	/* many clients: bounded table, each still gets its checked attempts */
	for (int i = 0; i < 4 * AUTH_FAIL_SLOTS; i++) {
		snprintf(name, sizeof(name), "10.1.%d.%d", i / 256, i % 256);
		ck_assert_int_eq(auth_check(a, "Bearer nope", AUTH_LEVEL_WRITE, name, &retry),
				 AUTH_WRONG);
	}
	/* a new token forgets every client */
	auth_configure(a, "s3cret", 0, 1);
	ck_assert_int_eq(auth_check(a, "Bearer s3cret", AUTH_LEVEL_WRITE, "10.0.0.1", &retry),
			 AUTH_OK);
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
	tcase_add_test(tc, same_rules_everywhere);
	tcase_add_test(tc, listen_rules);
	tcase_add_test(tc, header_and_levels);
	tcase_add_test(tc, rate_limit);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
