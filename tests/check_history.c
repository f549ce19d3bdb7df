// SPDX-License-Identifier: GPL-2.0-or-later
/* daemon/history: the JSON-lines job history. Last line of a job wins,
 * jobs cut off by a crash become "interrupted", a torn last line is
 * skipped (and never glued to the next record), the file stays bounded. */
#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_run.h"
#include "common/err.h"
#include "daemon/history.h"

static char dir[64];
static char path[128];
static char logpath[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_history.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history.jsonl", dir);
	snprintf(logpath, sizeof(logpath), "%s/stderr.log", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static unsigned lines_of(const char *p)
{
	char *t = slurp(p);
	unsigned n = 0;

	for (char *c = t; *c; c++)
		n += *c == '\n';
	free(t);
	return n;
}

/* history_open with stderr (the daemon log) captured into logpath. */
static struct history *open_logged(unsigned max, json_t **recs, unsigned *nint, struct sf_err *err)
{
	int saved = dup(2), fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct history *h;

	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 2);
	close(fd);
	h = history_open(dir, max, recs, nint, err);
	dup2(saved, 2);
	close(saved);
	return h;
}

static json_t *job(int id, const char *state)
{
	return json_pack("{s:i, s:s, s:s, s:I}", "id", id, "kind", "flash", "state", state,
			 "started_ms", (json_int_t)1000);
}

static void append(struct history *h, int id, const char *state)
{
	struct sf_err err = { 0 };
	json_t *o = job(id, state);

	ck_assert_msg(history_append(h, o, &err) == 0, "%s", err.msg);
	json_decref(o);
}

static int id_at(json_t *recs, size_t i)
{
	return (int)json_integer_value(json_object_get(json_array_get(recs, i), "id"));
}

static const char *state_at(json_t *recs, size_t i)
{
	return json_string_value(json_object_get(json_array_get(recs, i), "state"));
}

START_TEST(empty_start_and_last_line_wins)
{
	struct sf_err err = { 0 };
	json_t *recs;
	unsigned nint = 99;
	struct history *h = history_open(dir, 10, &recs, &nint, &err);

	ck_assert_msg(h != NULL, "%s", err.msg);
	ck_assert_uint_eq(json_array_size(recs), 0);
	ck_assert_uint_eq(nint, 0);
	json_decref(recs);
	for (int id = 1; id <= 3; id++) {
		append(h, id, "queued");
		append(h, id, "running");
		append(h, id, id == 2 ? "failed" : "succeeded");
	}
	history_close(h);
	ck_assert_uint_eq(lines_of(path), 9);

	h = history_open(dir, 10, &recs, &nint, &err);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(json_array_size(recs), 3);
	ck_assert_int_eq(id_at(recs, 0), 1);
	ck_assert_str_eq(state_at(recs, 1), "failed");
	ck_assert_str_eq(state_at(recs, 2), "succeeded");
	ck_assert_uint_eq(nint, 0);
	json_decref(recs);
	history_close(h);
	ck_assert_uint_eq(lines_of(path), 3); /* compacted at start */
}
END_TEST

START_TEST(interrupted_jobs)
{
	struct sf_err err = { 0 };
	json_t *recs, *e;
	unsigned nint;
	struct history *h;

	put("{\"id\":1,\"state\":\"succeeded\"}\n"
	    "{\"id\":2,\"state\":\"running\",\"started_ms\":1000}\n"
	    "{\"id\":3,\"state\":\"queued\"}\n");
	h = history_open(dir, 10, &recs, &nint, &err);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(nint, 2);
	ck_assert_str_eq(state_at(recs, 0), "succeeded");
	ck_assert_str_eq(state_at(recs, 1), "interrupted");
	ck_assert_str_eq(state_at(recs, 2), "interrupted");
	e = json_object_get(json_array_get(recs, 1), "error");
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "interrupted");
	ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
			 "the daemon stopped while this job was running; the chip may be partly "
			 "programmed");
	ck_assert(json_integer_value(json_object_get(json_array_get(recs, 1), "duration_ms")) > 0);
	e = json_object_get(json_array_get(recs, 2), "error");
	ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
			 "the daemon stopped before this job ran");
	json_decref(recs);
	history_close(h);
	/* recorded: the next start finds nothing to interrupt */
	h = history_open(dir, 10, &recs, &nint, &err);
	ck_assert_uint_eq(nint, 0);
	ck_assert_str_eq(state_at(recs, 2), "interrupted");
	json_decref(recs);
	history_close(h);
}
END_TEST

/* A crash in the middle of an append leaves half a line: skipped, said
 * so, and the file is clean before the next record goes in. */
START_TEST(torn_last_line)
{
	struct sf_err err = { 0 };
	json_t *recs;
	unsigned nint;
	struct history *h;
	char *log, *text, want[256];

	put("{\"id\":1,\"state\":\"succeeded\"}\n"
	    "{\"id\":2,\"state\":\"succeeded\"}\n"
	    "{\"id\":3,\"state\":\"succ");
	h = open_logged(10, &recs, &nint, &err);
	ck_assert_msg(h != NULL, "%s", err.msg);
	ck_assert_uint_eq(json_array_size(recs), 2);
	ck_assert_uint_eq(nint, 0);
	log = slurp(logpath);
	snprintf(want, sizeof(want), "<4>history %s line 3 unreadable (", path);
	ck_assert_msg(strstr(log, want) != NULL, "%s", log);
	ck_assert_ptr_nonnull(strstr(log, "); skipped\n"));
	free(log);
	json_decref(recs);
	append(h, 4, "succeeded");
	history_close(h);
	text = slurp(path);
	ck_assert_ptr_null(strstr(text, "succ\""));
	ck_assert_ptr_null(strstr(text, "succ{"));
	free(text);
	h = history_open(dir, 10, &recs, &nint, &err);
	ck_assert_uint_eq(json_array_size(recs), 3);
	ck_assert_int_eq(id_at(recs, 2), 4);
	json_decref(recs);
	history_close(h);
}
END_TEST

/* The write was cut just before its line end: the record is whole, but
 * the next append went onto the same line and both were lost. */
START_TEST(last_line_without_line_end)
{
	struct sf_err err = { 0 };
	json_t *recs;
	unsigned nint;
	struct history *h;
	char *log, want[256];

	put("{\"id\":1,\"state\":\"succeeded\"}\n"
	    "{\"id\":2,\"state\":\"succeeded\"}");
	h = open_logged(10, &recs, &nint, &err);
	ck_assert_msg(h != NULL, "%s", err.msg);
	ck_assert_uint_eq(json_array_size(recs), 2);
	json_decref(recs);
	log = slurp(logpath);
	append(h, 3, "succeeded");
	history_close(h);
	ck_assert_uint_eq(lines_of(path), 3);
	h = history_open(dir, 10, &recs, &nint, &err);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(json_array_size(recs), 3);
	ck_assert_int_eq(id_at(recs, 1), 2);
	ck_assert_int_eq(id_at(recs, 2), 3);
	json_decref(recs);
	history_close(h);
	snprintf(want, sizeof(want), "<4>history %s line 2 has no line end (a write cut short); "
		 "rewriting the file\n", path);
	ck_assert_str_eq(log, want);
	free(log);
}
END_TEST

START_TEST(lines_that_are_not_jobs)
{
	struct sf_err err = { 0 };
	json_t *recs;
	unsigned nint;
	struct history *h;
	char *log;

	put("\n[1,2]\n\"text\"\n{\"state\":\"succeeded\"}\n{\"id\":\"7\"}\n"
	    "{\"id\":5,\"state\":\"succeeded\"}\nnot json\n");
	h = open_logged(10, &recs, &nint, &err);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(json_array_size(recs), 1);
	ck_assert_int_eq(id_at(recs, 0), 5);
	log = slurp(logpath);
	ck_assert_msg(strstr(log, "line 4 unreadable (no job id); skipped") != NULL, "%s", log);
	ck_assert_msg(strstr(log, "line 7 unreadable (") != NULL, "%s", log);
	free(log);
	json_decref(recs);
	history_close(h);
	ck_assert_uint_eq(lines_of(path), 1);
}
END_TEST

START_TEST(bounded)
{
	struct sf_err err = { 0 };
	json_t *recs;
	unsigned nint, most = 0;
	struct history *h = history_open(dir, 3, &recs, &nint, &err);

	json_decref(recs);
	for (int id = 1; id <= 40; id++) {
		append(h, id, "queued");
		append(h, id, "running");
		append(h, id, "succeeded");
		unsigned n = lines_of(path);
		if (n > most)
			most = n;
	}
	ck_assert_uint_le(most, 2 * 3 + 16 + 1);
	history_close(h);
	h = history_open(dir, 3, &recs, &nint, &err);
	ck_assert_uint_eq(json_array_size(recs), 3);
	ck_assert_int_eq(id_at(recs, 0), 38);
	ck_assert_int_eq(id_at(recs, 2), 40);
	json_decref(recs);
	/* a smaller max applies from the next append */
	history_set_max(h, 1);
	append(h, 41, "succeeded");
	history_close(h);
	h = history_open(dir, 1, &recs, &nint, &err);
	ck_assert_uint_eq(json_array_size(recs), 1);
	ck_assert_int_eq(id_at(recs, 0), 41);
	json_decref(recs);
	history_close(h);
	ck_assert_uint_eq(lines_of(path), 1);
	/* a job still running is never dropped to make room, not even when
	 * the file is compacted around it */
	h = history_open(dir, 2, &recs, &nint, &err);
	json_decref(recs);
	append(h, 42, "running");
	for (int id = 43; id <= 80; id++)
		append(h, id, "succeeded");
	history_close(h);
	ck_assert_uint_le(lines_of(path), 2 * 2 + 16 + 1);
	h = history_open(dir, 2, &recs, &nint, &err);
	ck_assert_uint_eq(nint, 1);
	ck_assert_uint_eq(json_array_size(recs), 2);
	ck_assert_int_eq(id_at(recs, 0), 42);
	ck_assert_str_eq(state_at(recs, 0), "interrupted");
	ck_assert_int_eq(id_at(recs, 1), 80);
	json_decref(recs);
	history_close(h);
}
END_TEST

START_TEST(unreadable_file)
{
	struct sf_err err = { 0 };
	json_t *recs = NULL;
	unsigned nint;
	char want[256];

	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_ptr_null(history_open(dir, 10, &recs, &nint, &err));
	ck_assert_ptr_null(recs);
	ck_assert_int_eq(err.code, SF_E_IO);
	snprintf(want, sizeof(want), "reading %s: Is a directory", path);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

/* A full disk (here: the file size limit, RLIMIT_FSIZE, which cuts a
 * write short exactly as a full file system does) leaves the file as it
 * was: no partial record for the next append to be glued onto. */
START_TEST(failed_append_leaves_the_file_as_it_was)
{
	struct sf_err err = { 0 };
	json_t *recs = NULL, *o;
	unsigned nint;
	struct history *h;
	struct rlimit rl, was;
	struct stat st;
	char *before, *after;

	signal(SIGXFSZ, SIG_IGN);  /* a write past the limit fails with EFBIG */
	h = history_open(dir, 10, &recs, &nint, &err);
	ck_assert_msg(h != NULL, "%s", err.msg);
	json_decref(recs);
	append(h, 1, "queued");
	append(h, 1, "running");
	ck_assert_int_eq(stat(path, &st), 0);
	before = slurp(path);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	rl = was;
	rl.rlim_cur = (rlim_t)st.st_size + 20;  /* room for a part of a record */
	/* no assertion while the limit holds: Check's own files obey it too */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	o = job(1, "succeeded");
	int rc1 = history_append(h, o, &err);
	int rc2 = history_append(h, o, NULL);  /* still full */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
	json_decref(o);
	ck_assert_int_ne(rc1, 0);
	ck_assert_int_ne(rc2, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "appending to"));
	after = slurp(path);
	ck_assert_str_eq(after, before);  /* no partial record */
	free(after);
	/* space again: the next record is whole, on its own line */
	append(h, 1, "failed");
	append(h, 2, "queued");
	history_close(h);
	ck_assert_uint_eq(lines_of(path), 4);
	h = open_logged(10, &recs, &nint, &err);
	ck_assert_msg(h != NULL, "%s", err.msg);
	after = slurp(logpath);
	ck_assert_msg(strstr(after, "unreadable") == NULL, "%s", after);
	free(after);
	ck_assert_uint_eq(json_array_size(recs), 2);
	ck_assert_str_eq(state_at(recs, 0), "failed");
	ck_assert_str_eq(state_at(recs, 1), "interrupted");
	json_decref(recs);
	history_close(h);
	free(before);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, empty_start_and_last_line_wins);
	tcase_add_test(tc, interrupted_jobs);
	tcase_add_test(tc, torn_last_line);
	tcase_add_test(tc, last_line_without_line_end);
	tcase_add_test(tc, lines_that_are_not_jobs);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, unreadable_file);
	tcase_add_test(tc, failed_append_leaves_the_file_as_it_was);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
