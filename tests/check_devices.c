// SPDX-License-Identifier: GPL-2.0-or-later
/* check_devices: the board records (daemon/devices.c): appended durably,
 * a write cut short (RLIMIT_FSIZE here, a full disk in the field) leaves
 * the file as it was and the next record whole; queries filter by
 * verdict, recipe, device ID and time and render JSON, JSON lines and
 * CSV; the PASS set and today's counts survive a reopen. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../daemon/devices.h"
#include "../daemon/store.h"
#include "ck_run.h"

static json_t *rec(const char *id, const char *verdict, const char *recipe, const char *serial,
		   int64_t t)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:[{s:s}], s:[{s:s, s:s, s:i}], "
			 "s:b, s:s?}", "device_id", id, "time_ms", (json_int_t)t, "time", "x",
			 "verdict", verdict, "recipe", recipe, "serial", serial, "serial_state",
			 "written", "recipe_version", 3, "images", "sha256", "ab,cd", "steps", "step",
			 "program", "result", "ok", "ms", 12, "locked", 1, "reason",
			 strcmp(verdict, "PASS") ? "part failed: wrong part, \"nRF52832\"" : NULL);
}

static char *query(struct devices *d, const struct devices_filter *f, enum devices_format fmt)
{
	char *out;
	size_t len;
	struct sf_err err = { 0 };

	ck_assert_int_eq(devices_query(d, f, fmt, &out, &len, &err), 0);
	ck_assert_uint_eq(strlen(out), len);
	return out;
}

START_TEST(devices_records)
{
	char dir[] = "/tmp/check_devices.XXXXXX", path[200];
	struct sf_err err = { 0 };
	struct devices_filter f;
	int64_t now = store_now_ms();

	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct devices *d = devices_open(dir, &err);
	ck_assert_ptr_nonnull(d);
	json_t *a = rec("00000000000000A1", "PASS", "r1", "SN1", now - 1000);
	json_t *b = rec("00000000000000B2", "FAIL", "r2", "SN2", now);
	ck_assert_int_eq(devices_append(d, a, &err), 0);
	ck_assert_int_eq(devices_append(d, b, &err), 0);
	ck_assert_int_eq(devices_passed(d, 0xA1), 1);
	ck_assert_int_eq(devices_passed(d, 0xB2), 0);

	/* a write cut short: the file is as it was */
	struct stat st;
	snprintf(path, sizeof(path), "%s/devices.jsonl", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	off_t before = st.st_size;
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 20;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	json_t *c = rec("00000000000000C3", "PASS", "r1", "SN3", now);
	ck_assert_int_ne(devices_append(d, c, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "appending the board record"));
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, before);
	ck_assert_int_eq(devices_passed(d, 0xC3), 0);  /* not PASS without its record */
	ck_assert_int_eq(devices_append(d, c, &err), 0);
	devices_close(d);

	/* reopened: three whole records, the PASS set and today's counts */
	d = devices_open(dir, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(devices_passed(d, 0xC3), 1);
	json_t *sum = devices_summary(d);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(sum, "today"), "passed")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(sum, "today"), "failed")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(sum, "last")), 3);
	json_decref(sum);

	memset(&f, 0, sizeof(f));
	char *s = query(d, &f, DEVICES_JSONL);
	int lines = 0;
	for (char *p = s; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 3);
	free(s);
	snprintf(f.verdict, sizeof(f.verdict), "FAIL");
	s = query(d, &f, DEVICES_CSV);
	/* RFC 4180: a header, the row, the reason quoted with its quotes doubled */
	ck_assert_ptr_nonnull(strstr(s, "time,station,device_id,"));
	ck_assert_ptr_nonnull(strstr(s, "\"part failed: wrong part, \"\"nRF52832\"\"\""));
	ck_assert_ptr_nonnull(strstr(s, "\"ab,cd\""));
	ck_assert_ptr_null(strstr(s, "SN1"));
	free(s);
	memset(&f, 0, sizeof(f));
	snprintf(f.recipe, sizeof(f.recipe), "r1");
	f.since_ms = now - 500;
	s = query(d, &f, DEVICES_JSON);
	json_t *j = json_loads(s, 0, NULL);
	free(s);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "devices")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "devices"), 0), "serial")), "SN3");
	json_decref(j);
	memset(&f, 0, sizeof(f));
	f.has_device_id = 1;
	f.device_id = 0xB2;
	s = query(d, &f, DEVICES_JSON);
	ck_assert_ptr_nonnull(strstr(s, "SN2"));
	ck_assert_ptr_null(strstr(s, "SN1"));
	free(s);
	devices_close(d);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("devices");
	TCase *tc = tcase_create("devices");
	tcase_add_test(tc, devices_records);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
