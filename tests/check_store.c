// SPDX-License-Identifier: GPL-2.0-or-later
/* daemon/store: the image store on disk. Commit, dedupe, reload, names
 * that are not a SHA-256, and what a crash can leave behind. */
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
#include "daemon/store.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "b7666763e1b9c2d54e0e9a4a1d3f2c5b6a7980112233445566778899aabb35f0"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static int exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static unsigned count_files(const char *sub)
{
	char cmd[256], buf[32];
	FILE *f;
	unsigned n = 0;

	snprintf(cmd, sizeof(cmd), "ls -A '%s/%s' | wc -l", dir, sub);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	pclose(f);
	n = (unsigned)atoi(buf);
	return n;
}

/* An upload as web/http.c leaves it: a temporary file in STATE_DIR/tmp. */
static int upload(const char *data, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "%s/tmp/upload-XXXXXX", dir);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	return fd;
}

static struct store_meta meta(const char *sha, const char *name, size_t size, int64_t ms)
{
	struct store_meta m;

	memset(&m, 0, sizeof(m));
	snprintf(m.sha256, sizeof(m.sha256), "%s", sha);
	snprintf(m.format, sizeof(m.format), "hex");
	snprintf(m.name, sizeof(m.name), "%s", name);
	m.size = size;
	m.first = 0x1000;
	m.last = 0x1000 + (uint32_t)size;
	m.uploaded_ms = ms;
	return m;
}

START_TEST(open_makes_dirs_and_empties_tmp)
{
	struct sf_err err = { 0 };
	char p[256];
	struct store *s;

	snprintf(p, sizeof(p), "%s/state/deep", dir);
	s = store_open(p, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	store_close(s);
	snprintf(p, sizeof(p), "%s/state/deep/tmp/upload-leftover", dir);
	put(p, "half an upload");
	snprintf(p, sizeof(p), "%s/state/deep", dir);
	s = store_open(p, &err);
	ck_assert_ptr_nonnull(s);
	snprintf(p, sizeof(p), "%s/state/deep/tmp/upload-leftover", dir);
	ck_assert(!exists(p));
	store_close(s);
	store_close(NULL);
}
END_TEST

START_TEST(open_fails_with_a_message)
{
	struct sf_err err = { 0 };
	char p[256], want[320];

	/* a file where the directory should be */
	snprintf(p, sizeof(p), "%s/file", dir);
	put(p, "x");
	ck_assert_ptr_null(store_open(p, &err));
	ck_assert_int_eq(err.code, SF_E_IO);
	snprintf(want, sizeof(want), "state directory %s: Not a directory", p);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(commit_lookup_list_reload)
{
	struct sf_err err = { 0 };
	struct store *s = store_open(dir, &err);
	struct store_meta m, got;
	char tmp[256], p[256];
	int fd;

	ck_assert_ptr_nonnull(s);
	fd = upload("0123456789", tmp, sizeof(tmp));
	m = meta(SHA_A, "first.hex", 10, 1000);
	ck_assert_int_eq(store_commit(s, fd, tmp, &m, &err), 0);
	ck_assert(!exists(tmp));
	fd = upload("xyz", tmp, sizeof(tmp));
	m = meta(SHA_B, "second.hex", 3, 2000);
	ck_assert_int_eq(store_commit(s, fd, tmp, &m, &err), 0);
	ck_assert_uint_eq(count_files("tmp"), 0);

	ck_assert_int_eq(store_lookup(s, SHA_A, &got), 0);
	ck_assert_str_eq(got.name, "first.hex");
	ck_assert_uint_eq(got.size, 10);
	store_path(s, SHA_A, p, sizeof(p));
	ck_assert(exists(p));
	ck_assert_uint_eq(count_files("images"), 4); /* two images, two .json */

	json_t *l = store_list_json(s);
	ck_assert_uint_eq(json_array_size(l), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(l, 0), "sha256")), SHA_B);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(l, 0), "last_address")),
			 "0x00001002");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(l, 1), "uploaded_at")),
			 "1970-01-01T00:00:01.000Z");
	ck_assert_ptr_null(json_object_get(json_array_get(l, 0), "uploaded_ms"));
	json_decref(l);
	store_close(s);

	/* the index comes back from disk */
	s = store_open(dir, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(store_lookup(s, SHA_B, &got), 0);
	ck_assert_str_eq(got.name, "second.hex");
	ck_assert_uint_eq(got.first, 0x1000);
	ck_assert_uint_eq(got.last, 0x1003);
	ck_assert_int_eq(got.uploaded_ms, 2000);
	l = store_list_json(s);
	ck_assert_uint_eq(json_array_size(l), 2);
	json_decref(l);
	store_close(s);
}
END_TEST

START_TEST(same_image_twice_keeps_the_first)
{
	struct sf_err err = { 0 };
	struct store *s = store_open(dir, &err);
	struct store_meta m, got;
	char tmp[256];
	int fd;

	fd = upload("0123456789", tmp, sizeof(tmp));
	m = meta(SHA_A, "first.hex", 10, 1000);
	ck_assert_int_eq(store_commit(s, fd, tmp, &m, &err), 0);
	fd = upload("0123456789", tmp, sizeof(tmp));
	m = meta(SHA_A, "again.hex", 10, 5000);
	ck_assert_int_eq(store_commit(s, fd, tmp, &m, &err), 0);
	ck_assert(!exists(tmp));
	ck_assert_int_eq(store_lookup(s, SHA_A, &got), 0);
	ck_assert_str_eq(got.name, "first.hex");
	ck_assert_int_eq(got.uploaded_ms, 1000);
	ck_assert_uint_eq(count_files("tmp"), 0);
	store_close(s);
}
END_TEST

/* Names come from the hash only: anything else is refused by commit and
 * never found by lookup, so a request cannot name a path. */
START_TEST(names_that_are_not_sha256)
{
	static const char *const bad[] = {
		"", "abc", "../../../etc/passwd",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaag",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/a",
	};
	struct sf_err err = { 0 };
	struct store *s = store_open(dir, &err);
	struct store_meta m, got;
	char tmp[256], want[320];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = upload("data", tmp, sizeof(tmp));
		m = meta(bad[i], "x", 4, 1);
		ck_assert_int_eq(store_commit(s, fd, tmp, &m, &err), SF_E_ARG);
		snprintf(want, sizeof(want),
			 "image name '%s' is not a SHA-256 (64 lower-case hex digits)", bad[i]);
		ck_assert_str_eq(err.msg, want);
		ck_assert(!exists(tmp));                     /* removed */
		ck_assert_int_eq(fcntl(fd, F_GETFD), -1);    /* and closed */
		ck_assert_int_eq(store_lookup(s, bad[i], &got), SF_E_ARG);
	}
	ck_assert_uint_eq(count_files("images"), 0);
	store_close(s);
}
END_TEST

/* What a crash or a hand can leave in images/: skipped, never listed. */
START_TEST(odd_index_files)
{
	struct sf_err err = { 0 };
	struct store *s;
	struct store_meta got;
	char p[256];
	json_t *l;

	s = store_open(dir, &err);
	store_close(s);
	/* a good one */
	snprintf(p, sizeof(p), "%s/images/" SHA_A, dir);
	put(p, "img");
	snprintf(p, sizeof(p), "%s/images/" SHA_A ".json", dir);
	put(p, "{\"sha256\":\"" SHA_A "\",\"format\":\"bin\",\"name\":\"a\",\"size\":3,"
	       "\"uploaded_ms\":7}\n");
	/* metadata whose image file is gone */
	snprintf(p, sizeof(p), "%s/images/" SHA_B ".json", dir);
	put(p, "{\"sha256\":\"" SHA_B "\",\"format\":\"bin\",\"size\":3}\n");
	/* an image without metadata (crash between the two renames) */
	snprintf(p, sizeof(p), "%s/images/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", dir);
	put(p, "img");
	/* metadata that is not JSON, or names another image */
	snprintf(p, sizeof(p), "%s/images/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", dir);
	put(p, "img");
	snprintf(p, sizeof(p), "%s/images/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.json", dir);
	put(p, "{\"sha256\":\"dddd");
	snprintf(p, sizeof(p), "%s/images/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", dir);
	put(p, "img");
	snprintf(p, sizeof(p), "%s/images/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.json", dir);
	put(p, "{\"sha256\":\"" SHA_A "\",\"format\":\"bin\"}");
	/* names that are not a SHA-256 */
	snprintf(p, sizeof(p), "%s/images/notahash.json", dir);
	put(p, "{}");
	snprintf(p, sizeof(p), "%s/images/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.json", dir);
	put(p, "{\"sha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"format\":\"bin\"}");

	s = store_open(dir, &err);
	ck_assert_ptr_nonnull(s);
	l = store_list_json(s);
	ck_assert_uint_eq(json_array_size(l), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(l, 0), "sha256")), SHA_A);
	json_decref(l);
	ck_assert_int_eq(store_lookup(s, SHA_A, &got), 0);
	ck_assert_int_eq(store_lookup(s, SHA_B, &got), SF_E_ARG);
	store_close(s);
}
END_TEST

START_TEST(map_files)
{
	struct sf_err err = { 0 };
	const uint8_t *data;
	size_t len;
	char p[256], want[320];

	snprintf(p, sizeof(p), "%s/empty", dir);
	put(p, "");
	ck_assert_int_eq(store_map_file(p, &data, &len, &err), 0);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(len, 0);
	store_unmap(data, len);
	snprintf(p, sizeof(p), "%s/some", dir);
	put(p, "hello");
	ck_assert_int_eq(store_map_file(p, &data, &len, &err), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(data, "hello", 5), 0);
	store_unmap(data, len);
	snprintf(p, sizeof(p), "%s/none", dir);
	ck_assert_int_eq(store_map_file(p, &data, &len, &err), SF_E_IO);
	snprintf(want, sizeof(want), "%s: No such file or directory", p);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(iso_time)
{
	char buf[40];

	store_iso_time(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	store_iso_time(1764547200123LL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2025-12-01T00:00:00.123Z");
	ck_assert_int_gt(store_now_ms(), 1700000000000LL);
	/* after 2038-01-19: a 32-bit time_t (armhf without _TIME_BITS=64)
	 * wraps this to 1901 */
	store_iso_time(2200000000000LL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2039-09-18T23:06:40.000Z");
	/* and files are measured in 64 bits (armhf without _FILE_OFFSET_BITS=64:
	 * stat and readdir fail with EOVERFLOW on 64-bit inode numbers) */
	ck_assert_uint_ge(sizeof(off_t), 8);
	ck_assert_uint_ge(sizeof(time_t), 8);
}
END_TEST

/* The metadata cannot be written (the file size limit, RLIMIT_FSIZE, cuts
 * it short as a full disk would): the upload fails and leaves nothing,
 * no image file that nobody lists holding the space that is missing. */
START_TEST(commit_that_cannot_write_its_metadata_leaves_nothing)
{
	struct sf_err err = { 0 };
	struct store *s = store_open(dir, &err);
	struct store_meta m, got;
	struct rlimit rl, was;
	char tmp[256];
	int fd, rc;

	ck_assert_ptr_nonnull(s);
	signal(SIGXFSZ, SIG_IGN);
	fd = upload("0123456789", tmp, sizeof(tmp));
	m = meta(SHA_A, "first.hex", 10, 1000);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	rl = was;
	rl.rlim_cur = 20;  /* the image fits, its metadata does not */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	rc = store_commit(s, fd, tmp, &m, &err);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
	ck_assert_int_eq(rc, SF_E_IO);  /* EFBIG; ENOSPC would be SF_E_NOSPACE */
	ck_assert_ptr_nonnull(strstr(err.msg, "writing"));
	ck_assert_int_ne(store_lookup(s, SHA_A, &got), 0);
	ck_assert_uint_eq(count_files("images"), 0);
	ck_assert_uint_eq(count_files("tmp"), 0);
	/* and the same upload works once there is room */
	fd = upload("0123456789", tmp, sizeof(tmp));
	ck_assert_int_eq(store_commit(s, fd, tmp, &m, &err), 0);
	ck_assert_int_eq(store_lookup(s, SHA_A, &got), 0);
	ck_assert_uint_eq(count_files("images"), 2);
	store_close(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, open_makes_dirs_and_empties_tmp);
	tcase_add_test(tc, open_fails_with_a_message);
	tcase_add_test(tc, commit_lookup_list_reload);
	tcase_add_test(tc, same_image_twice_keeps_the_first);
	tcase_add_test(tc, names_that_are_not_sha256);
	tcase_add_test(tc, odd_index_files);
	tcase_add_test(tc, map_files);
	tcase_add_test(tc, iso_time);
	tcase_add_test(tc, commit_that_cannot_write_its_metadata_leaves_nothing);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
