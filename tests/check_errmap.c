// SPDX-License-Identifier: GPL-2.0-or-later
/* common/errmap: the one table of error codes. Every SF_E_ code has a
 * distinct name, an exit code and an HTTP status; the names clients see
 * are pinned; and the sources spell no code the table does not know (they
 * are read from the top of the tree, where tests/run.sh runs this). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_run.h"
#include "common/err.h"
#include "common/errmap.h"

START_TEST(every_code_has_a_row)
{
	int n = 0;

	ck_assert_int_lt(SF_E_LAST, SF_OK);
	for (int c = SF_OK; c >= SF_E_LAST; c--) {
		const struct errmap_entry *e = errmap_lookup(c);
		regex_t re;

		ck_assert_msg(e != NULL, "code %d has no row in common/errmap.c", c);
		ck_assert_int_eq(e->code, c);
		ck_assert_ptr_nonnull(e->name);
		ck_assert_str_eq(sf_err_name(c), e->name);
		ck_assert_int_eq(regcomp(&re, "^[a-z][a-z0-9_]*[a-z0-9]$", REG_EXTENDED | REG_NOSUB), 0);
		ck_assert_msg(regexec(&re, e->name, 0, NULL, 0) == 0, "code %d: name '%s'", c, e->name);
		regfree(&re);
		ck_assert_str_ne(e->name, "unknown_error");
		if (c == SF_OK) {
			ck_assert_int_eq(errmap_exit_code(c), ERRMAP_EXIT_OK);
			ck_assert_int_eq(errmap_http_status(c), 200);
		} else {
			ck_assert_int_ge(errmap_exit_code(c), ERRMAP_EXIT_FAILURE);
			ck_assert_int_le(errmap_exit_code(c), ERRMAP_EXIT_PRECONDITION);
			ck_assert_int_ge(errmap_http_status(c), 400);
			ck_assert_int_le(errmap_http_status(c), 599);
		}
		ck_assert_int_eq(errmap_exit_code(c), e->exit_code);
		ck_assert_int_eq(errmap_http_status(c), e->http_status);
		for (int d = c - 1; d >= SF_E_LAST; d--)
			ck_assert_msg(strcmp(sf_err_name(c), sf_err_name(d)) != 0,
				      "codes %d and %d are both '%s'", c, d, sf_err_name(c));
		n++;
	}
	ck_assert_int_eq(n, 1 - SF_E_LAST);
}
END_TEST

START_TEST(not_a_code)
{
	static const int bad[] = { 1, 2, SF_E_LAST - 1, -100, 0x7fffffff, -0x7fffffff - 1 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_null(errmap_lookup(bad[i]));
		ck_assert_str_eq(sf_err_name(bad[i]), "unknown_error");
		ck_assert_int_eq(errmap_exit_code(bad[i]), ERRMAP_EXIT_FAILURE);
		ck_assert_int_eq(errmap_http_status(bad[i]), 500);
	}
}
END_TEST

/* What clients see: a rename here breaks scripts in the field. One
 * spelling per meaning: bad_argument (never bad_request), out_of_memory
 * (never no_memory). */
START_TEST(names_pinned)
{
	static const struct { int code; const char *name; int exit_code, http; } want[] = {
		{ SF_OK, "ok", 0, 200 },
		{ SF_E_ARG, "bad_argument", 2, 400 },
		{ SF_E_NOMEM, "out_of_memory", 1, 500 },
		{ SF_E_IO, "io_error", 1, 500 },
		{ SF_E_NOTARGET, "no_target", 4, 503 },
		{ SF_E_PROTOCOL, "swd_protocol_error", 7, 502 },
		{ SF_E_WAIT, "swd_wait_timeout", 7, 502 },
		{ SF_E_FAULT, "swd_fault", 7, 502 },
		{ SF_E_TIMEOUT, "timeout", 7, 504 },
		{ SF_E_LOCKED, "target_locked", 5, 409 },
		{ SF_E_UNSUPPORTED, "unsupported", 8, 501 },
		{ SF_E_IMAGE, "bad_image", 3, 422 },
		{ SF_E_RANGE, "out_of_range", 3, 422 },
		{ SF_E_VERIFY, "verify_mismatch", 6, 502 },
		{ SF_E_CANCELLED, "cancelled", 1, 409 },
		{ SF_E_BUSY, "busy", 1, 409 },
		{ SF_E_FORMAT, "unknown_format", 3, 415 },
		{ SF_E_NOTFOUND, "not_found", 1, 404 },
		{ SF_E_AUTH, "unauthorized", 1, 401 },
		{ SF_E_METHOD, "method_not_allowed", 1, 405 },
		{ SF_E_TOOLARGE, "too_large", 1, 413 },
		{ SF_E_QUEUEFULL, "queue_full", 1, 429 },
		{ SF_E_UNAVAILABLE, "unavailable", 1, 503 },
		{ SF_E_ENDED, "job_finished", 1, 409 },
		{ SF_E_INTERRUPTED, "interrupted", 1, 500 },
		{ SF_E_PRECONDITION, "precondition_failed", 9, 409 },
		{ SF_E_NOSPACE, "no_space", 1, 507 },
		{ SF_E_FORBIDDEN, "forbidden", 1, 403 },
		{ SF_E_MISDIRECTED, "misdirected_request", 1, 421 },
		{ SF_E_RATELIMITED, "rate_limited", 1, 429 },
		{ SF_E_DISCONNECTED, "probe_disconnected", 4, 503 },
		{ SF_E_REQTIMEOUT, "request_timeout", 1, 408 },
	};

	ck_assert_int_eq(sizeof(want) / sizeof(want[0]), 1 - SF_E_LAST);
	/* a full file system or quota is no_space (507), other errors io_error */
	ck_assert_int_eq(sf_err_io_code(ENOSPC), SF_E_NOSPACE);
	ck_assert_int_eq(sf_err_io_code(EDQUOT), SF_E_NOSPACE);
	ck_assert_int_eq(sf_err_io_code(EIO), SF_E_IO);
	ck_assert_int_eq(sf_err_io_code(EACCES), SF_E_IO);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_str_eq(sf_err_name(want[i].code), want[i].name);
		ck_assert_int_eq(errmap_exit_code(want[i].code), want[i].exit_code);
		ck_assert_int_eq(errmap_http_status(want[i].code), want[i].http);
	}
}
END_TEST

/* ---- the sources spell only codes from the table ---- */

static int code_of_name(const char *name)
{
	for (int c = SF_OK; c >= SF_E_LAST; c--)
		if (!strcmp(sf_err_name(c), name))
			return c;
	return 1;
}

static int status_of_token(const char *tok)
{
	static const struct { const char *name; int status; } mhd[] = {
#define S(x) { #x, x }
		S(MHD_HTTP_BAD_REQUEST), S(MHD_HTTP_UNAUTHORIZED), S(MHD_HTTP_NOT_FOUND),
		S(MHD_HTTP_METHOD_NOT_ALLOWED), S(MHD_HTTP_CONFLICT), S(MHD_HTTP_CONTENT_TOO_LARGE),
		S(MHD_HTTP_UNSUPPORTED_MEDIA_TYPE), S(MHD_HTTP_UNPROCESSABLE_CONTENT),
		S(MHD_HTTP_TOO_MANY_REQUESTS), S(MHD_HTTP_INTERNAL_SERVER_ERROR),
		S(MHD_HTTP_NOT_IMPLEMENTED), S(MHD_HTTP_BAD_GATEWAY), S(MHD_HTTP_SERVICE_UNAVAILABLE),
		S(MHD_HTTP_GATEWAY_TIMEOUT), S(MHD_HTTP_INSUFFICIENT_STORAGE),
#undef S
	};
	char *end;
	long v = strtol(tok, &end, 10);

	if (end != tok && !*end)
		return (int)v;
	for (size_t i = 0; i < sizeof(mhd) / sizeof(mhd[0]); i++)
		if (!strcmp(tok, mhd[i].name))
			return mhd[i].status;
	return -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "%s: run from the top of the tree", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static unsigned line_of(const char *text, const char *p)
{
	unsigned n = 1;

	for (; text < p; text++)
		n += *text == '\n';
	return n;
}

/* Copy the token at *p up to the next ',' (white space dropped). */
static void arg(const char **p, char *out, size_t len)
{
	size_t n = 0;

	while (**p && **p != ',') {
		if (**p != ' ' && **p != '\t' && **p != '\n' && n + 1 < len)
			out[n++] = **p;
		(*p)++;
	}
	if (**p == ',')
		(*p)++;
	out[n] = '\0';
}

/* One mistake found in the sources; the first is kept for the message. */
struct scan {
	unsigned checked, bad;
	char first[400];
};

static void mistake(struct scan *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mistake(struct scan *sc, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", msg);
	if (!sc->bad++)
		snprintf(sc->first, sizeof(sc->first), "%s", msg);
}

/* web_reply_error(r, STATUS, "name", ...): the name is in the table and
 * STATUS is its status. "code", "name" in a JSON pack: the name is known. */
static void scan_file(const char *path, struct scan *sc)
{
	char *text = slurp(path);

	for (const char *p = text; (p = strstr(p, "web_reply_error(")); ) {
		char req[64], status[96], code[96];
		unsigned line = line_of(text, p);

		p += strlen("web_reply_error(");
		arg(&p, req, sizeof(req));
		if (!strcmp(req, "structweb_request*r"))
			continue; /* the definition */
		arg(&p, status, sizeof(status));
		arg(&p, code, sizeof(code));
		sc->checked++;
		if (!strncmp(code, "sf_err_name(", 12))
			continue; /* names and statuses from the table already */
		size_t n = strlen(code);
		if (n < 2 || code[0] != '"' || code[n - 1] != '"') {
			mistake(sc, "%s:%u: code is not a literal: %s", path, line, code);
			continue;
		}
		code[n - 1] = '\0';
		int c = code_of_name(code + 1);
		if (c > 0)
			mistake(sc, "%s:%u: '%s' is not a code in common/errmap.c", path, line, code + 1);
		else if (status_of_token(status) != errmap_http_status(c))
			mistake(sc, "%s:%u: '%s' with status %s, the table says %d (use web_reply_code)",
				path, line, code + 1, status, errmap_http_status(c));
	}
	for (const char *p = text; (p = strstr(p, "\"code\", \"")); ) {
		char name[64];
		size_t n = 0;

		p += strlen("\"code\", \"");
		while (p[n] && p[n] != '"' && n + 1 < sizeof(name)) {
			name[n] = p[n];
			n++;
		}
		name[n] = '\0';
		sc->checked++;
		if (code_of_name(name) > 0)
			mistake(sc, "%s:%u: '%s' is not a code in common/errmap.c", path,
				line_of(text, p), name);
	}
	free(text);
}

static void scan_dir(const char *dir, struct scan *sc)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	ck_assert_msg(d != NULL, "%s: run from the top of the tree", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char path[512];

		if (len < 3 || strcmp(e->d_name + len - 2, ".c"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		scan_file(path, sc);
	}
	closedir(d);
}

START_TEST(sources_spell_only_table_codes)
{
	struct scan sc = { 0 };

	scan_dir("web", &sc);
	scan_dir("daemon", &sc);
	scan_dir("cli", &sc);
	scan_dir("app", &sc);
	ck_assert_msg(sc.bad == 0, "%u mistakes, the first: %s", sc.bad, sc.first);
	ck_assert_uint_gt(sc.checked, 5); /* the scan found the calls it checks */
}
END_TEST

static struct scan scan_text(const char *text)
{
	char path[] = "/tmp/check_errmap.XXXXXX";
	int fd = mkstemp(path);
	struct scan sc = { 0 };
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	scan_file(path, &sc);
	unlink(path);
	return sc;
}

/* The scanner itself: it catches what it is there to catch. */
START_TEST(scanner)
{
	struct scan sc;

	sc = scan_text("x = web_reply_error(r, 500, \"no_memory\", \"out of memory\");\n");
	ck_assert_uint_eq(sc.bad, 1);
	ck_assert_ptr_nonnull(strstr(sc.first, ":1: 'no_memory' is not a code in common/errmap.c"));
	sc = scan_text("\n\tx = web_reply_error(r, MHD_HTTP_BAD_REQUEST, \"bad_request\",\n\t\t\"x\");\n");
	ck_assert_uint_eq(sc.bad, 1);
	ck_assert_ptr_nonnull(strstr(sc.first, ":2: 'bad_request' is not a code"));
	sc = scan_text("x = web_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, \"busy\", \"x\");\n");
	ck_assert_uint_eq(sc.bad, 1);
	ck_assert_ptr_nonnull(strstr(sc.first, "'busy' with status MHD_HTTP_SERVICE_UNAVAILABLE, "
					       "the table says 409 (use web_reply_code)"));
	sc = scan_text("x = web_reply_error(r, errno == ENOENT ? 404 : 500, \"not_found\", \"x\");\n");
	ck_assert_uint_eq(sc.bad, 1);
	sc = scan_text("x = web_reply_error(r, 400, code, \"x\");\n");
	ck_assert_uint_eq(sc.bad, 1);
	ck_assert_ptr_nonnull(strstr(sc.first, "code is not a literal: code"));
	sc = scan_text("json_pack(\"{s:s}\", \"code\", \"no_memory\");\n");
	ck_assert_uint_eq(sc.bad, 1);
	sc = scan_text("x = web_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, \"unavailable\",\n"
		       "\t\t\"x\");\ny = web_reply_error(r, 400, \"bad_argument\", \"y\");\n"
		       "json_pack(\"{s:s}\", \"code\", \"interrupted\");\n"
		       "z = web_reply_error(r, (unsigned)errmap_http_status(c), sf_err_name(c), \"\");\n");
	ck_assert_msg(sc.bad == 0, "%s", sc.first);
	ck_assert_uint_eq(sc.checked, 4);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("errmap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, every_code_has_a_row);
	tcase_add_test(tc, not_a_code);
	tcase_add_test(tc, names_pinned);
	tcase_add_test(tc, sources_spell_only_table_codes);
	tcase_add_test(tc, scanner);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
