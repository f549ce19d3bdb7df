// SPDX-License-Identifier: GPL-2.0-or-later
/* daemon/config: the INI file and the flags. Odd files are refused with a
 * message that names the file, the line and the key; asserted whole. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_run.h"
#include "common/err.h"
#include "daemon/config.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/swdflashd.conf", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int load_text(const char *text, struct dcfg *c, struct sf_err *err)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	dcfg_defaults(c);
	memset(err, 0, sizeof(*err));
	return dcfg_load(c, path, 1, err);
}

/* text must be refused with "config PATH line N: " + want. */
static void refused(const char *text, int line, const char *want)
{
	struct dcfg c;
	struct sf_err err;
	char full[512];
	int rc = load_text(text, &c, &err);

	snprintf(full, sizeof(full), "config %s line %d: %s", path, line, want);
	ck_assert_msg(rc == SF_E_ARG, "accepted: %s", text);
	ck_assert_int_eq(err.code, SF_E_ARG);
	ck_assert_str_eq(err.msg, full);
}

START_TEST(defaults)
{
	struct dcfg c;

	dcfg_defaults(&c);
	ck_assert_str_eq(c.listen, "127.0.0.1:8080");
	ck_assert_str_eq(c.name, "swdflashd");
	ck_assert_str_eq(c.state_dir, "/var/lib/swdflashd");
	ck_assert_str_eq(c.probe, "gpiod");
	ck_assert_uint_eq(c.max_connections, 512);
	ck_assert_uint_eq(c.max_connections_per_address, 128);
	ck_assert_str_eq(c.allowed_hosts, "");
	ck_assert_uint_eq(c.max_header_bytes, 32 * 1024);
	ck_assert_uint_eq(c.max_body_bytes, 4 * 1024 * 1024);
	ck_assert_uint_eq(c.history_max, 1000);
	ck_assert_str_eq(c.token_file, "");
	ck_assert_int_eq(c.protect_reads, 0);
	ck_assert_int_eq(c.protect_memory, 1); /* chip memory needs the token */
}
END_TEST

START_TEST(every_key)
{
	struct dcfg c;
	struct sf_err err;
	int rc = load_text("; comment\n# comment too\n"
			   "[server]\nlisten = 0.0.0.0:9000\nname = bench 7\nstate_dir = /srv/x\n"
			   "max_connections = 010\nmax_header_bytes = 64K\nmax_body_bytes = 16MiB\n"
			   "connection_timeout = 0x10\nmax_connections_per_address = 7\n"
			   "allowed_hosts = station7.lan, 10.0.0.7\n"
			   "[probe]\nspec = sim:part=nrf52832\nrefresh_ms = 500 ; inline comment\n"
			   "[jobs]\nqueue_length = 3\nhistory_max = 1K\nstop_timeout = 0\n"
			   "max_read_bytes = 4\n"
			   "[auth]\ntoken_file = /etc/t\ntoken = abc\nprotect_reads = yes\n"
			   "protect_memory = no\n",
			   &c, &err);

	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(c.listen, "0.0.0.0:9000");
	ck_assert_str_eq(c.name, "bench 7");
	ck_assert_str_eq(c.state_dir, "/srv/x");
	ck_assert_uint_eq(c.max_connections, 10); /* decimal, not octal 8 */
	ck_assert_uint_eq(c.max_header_bytes, 65536);
	ck_assert_uint_eq(c.max_body_bytes, 16u << 20);
	ck_assert_uint_eq(c.connection_timeout, 16);
	ck_assert_str_eq(c.probe, "sim:part=nrf52832");
	ck_assert_uint_eq(c.refresh_ms, 500);
	ck_assert_uint_eq(c.queue_length, 3);
	ck_assert_uint_eq(c.history_max, 1024);
	ck_assert_uint_eq(c.stop_timeout, 0);
	ck_assert_uint_eq(c.max_read_bytes, 4);
	ck_assert_str_eq(c.token_file, "/etc/t");
	ck_assert_str_eq(c.token, "abc");
	ck_assert_int_eq(c.protect_reads, 1);
	ck_assert_uint_eq(c.max_connections_per_address, 7);
	ck_assert_str_eq(c.allowed_hosts, "station7.lan, 10.0.0.7");
	ck_assert_int_eq(c.protect_memory, 0);
}
END_TEST

START_TEST(unknown_keys)
{
	refused("[server]\nlisten = 127.0.0.1:1\nport = 80\n", 3, "unknown key [server] port");
	refused("[jobs]\nlisten = 127.0.0.1:1\n", 2, "unknown key [jobs] listen");
	refused("[serverx]\nlisten = 1\n", 2, "unknown key [serverx] listen");
	refused("listen = 127.0.0.1:1\n", 1, "key 'listen' outside any [section]");
	refused("[Server]\nlisten = 1\n", 2, "unknown key [Server] listen");
	/* the first problem is the one reported */
	refused("[server]\nfoo = 1\nbar = 2\n", 2, "unknown key [server] foo");
}
END_TEST

START_TEST(syntax)
{
	refused("[server]\nlisten\n", 2, "syntax error (want [section], key = value or a comment)");
	refused("[server\nlisten = 1\n", 1, "syntax error (want [section], key = value or a comment)");
}
END_TEST

START_TEST(bad_numbers)
{
	refused("[server]\nmax_connections = 0\n", 2,
		"bad value for [server] max_connections: '0': want a number from 1 to 10000 "
		"(K and M suffixes allowed)");
	refused("[server]\nmax_connections = 10001\n", 2,
		"bad value for [server] max_connections: '10001': want a number from 1 to 10000 "
		"(K and M suffixes allowed)");
	refused("[server]\nmax_connections = -1\n", 2,
		"bad value for [server] max_connections: '-1': want a number from 1 to 10000 "
		"(K and M suffixes allowed)");
	refused("[server]\nmax_connections = 12abc\n", 2,
		"bad value for [server] max_connections: '12abc': want a number from 1 to 10000 "
		"(K and M suffixes allowed)");
	refused("[server]\nmax_connections = 0x\n", 2,
		"bad value for [server] max_connections: '0x': want a number from 1 to 10000 "
		"(K and M suffixes allowed)");
	refused("[server]\nmax_connections =\n", 2,
		"bad value for [server] max_connections: '': want a number from 1 to 10000 "
		"(K and M suffixes allowed)");
	refused("[server]\nmax_connections = 1 2\n", 2,
		"bad value for [server] max_connections: '1 2': want a number from 1 to 10000 "
		"(K and M suffixes allowed)");
	/* 2^32 + 64 must not wrap into range in an unsigned field */
	refused("[server]\nmax_connections = 4294967360\n", 2,
		"bad value for [server] max_connections: '4294967360': want a number from 1 to "
		"10000 (K and M suffixes allowed)");
	refused("[server]\nmax_body_bytes = 1000\n", 2,
		"bad value for [server] max_body_bytes: '1000': want a number of at least 1024 "
		"(K and M suffixes allowed)");
	refused("[server]\nmax_body_bytes = 18446744073709551616\n", 2,
		"bad value for [server] max_body_bytes: '18446744073709551616': want a number of "
		"at least 1024 (K and M suffixes allowed)");
	refused("[server]\nmax_body_bytes = 17592186044416M\n", 2,
		"bad value for [server] max_body_bytes: '17592186044416M': want a number of at "
		"least 1024 (K and M suffixes allowed)");
	refused("[jobs]\nmax_read_bytes = 65M\n", 2,
		"bad value for [jobs] max_read_bytes: '65M': want a number from 4 to 67108864 "
		"(K and M suffixes allowed)");
	refused("[jobs]\nstop_timeout = 5s\n", 2,
		"bad value for [jobs] stop_timeout: '5s': want a number from 0 to 3600 "
		"(K and M suffixes allowed)");
	refused("[auth]\nprotect_reads = maybe\n", 2,
		"bad value for [auth] protect_reads: 'maybe': want 1 or 0 (yes/no, true/false, "
		"on/off)");
}
END_TEST

START_TEST(bad_strings)
{
	char text[400], want[400], v[200];

	refused("[server]\nlisten =\n", 2, "bad value for [server] listen: '': must not be empty");
	refused("[server]\nstate_dir =\n", 2,
		"bad value for [server] state_dir: '': must not be empty");
	refused("[probe]\nspec =\n", 2, "bad value for [probe] spec: '': must not be empty");
	/* name is char[64]: 64 characters do not fit */
	memset(v, 'n', 64);
	v[64] = '\0';
	snprintf(text, sizeof(text), "[server]\nname = %s\n", v);
	snprintf(want, sizeof(want), "bad value for [server] name: '%.40s...': longer than 63 bytes",
		 v);
	refused(text, 2, want);
	v[63] = '\0';
	snprintf(text, sizeof(text), "[server]\nname = %s\n", v);
	struct dcfg c;
	struct sf_err err;
	ck_assert_int_eq(load_text(text, &c, &err), 0);
	ck_assert_str_eq(c.name, v);
}
END_TEST

/* libinih ends a value at " ;" (an inline comment): a token with one is
 * refused, never cut; a tab before the ';' too. Elsewhere a comment after
 * a value is still one. */
START_TEST(token_not_cut)
{
	struct dcfg c;
	struct sf_err err;
	const char *want = "[auth] token: a ';' after a blank starts a comment in this file, so "
			   "the token would be cut to its first 8 characters: put it in token_file "
			   "(read as it is) or leave ' ;' out";

	refused("[auth]\ntoken = abcd1234 ;efgh5678ijkl\n", 2, want);
	refused("[auth]\ntoken = abcd1234\t;efgh5678ijkl\n", 2, want);
	refused("[auth]\ntoken = abcd1234 ; a comment\n", 2, want);
	ck_assert_int_eq(load_text("[auth]\ntoken = abcd1234;efgh5678 \r\n", &c, &err), 0);
	ck_assert_str_eq(c.token, "abcd1234;efgh5678");
	ck_assert_int_eq(load_text("[server]\nname = bench 3 ; the one by the door\n", &c, &err), 0);
	ck_assert_str_eq(c.name, "bench 3");
}
END_TEST

/* A memory read is held whole until its client has it: a budget below the
 * largest read is refused. */
START_TEST(client_memory_budget)
{
	struct dcfg c;
	struct sf_err err;

	ck_assert_int_eq(load_text("[server]\nmax_client_memory = 1M\n[jobs]\nmax_read_bytes = 4M\n",
				   &c, &err), SF_E_ARG);
	ck_assert_ptr_nonnull(strstr(err.msg, "max_client_memory (1048576) must be at least "
					      "[jobs] max_read_bytes (4194304) + 8192"));
	ck_assert_int_eq(load_text("[server]\nmax_client_memory = 2M\nrequest_timeout = 5\n"
				   "[jobs]\nmax_read_bytes = 1M\n", &c, &err), 0);
	ck_assert_uint_eq(c.max_client_memory, 2u << 20);
	ck_assert_uint_eq(c.request_timeout, 5);
}
END_TEST

/* libinih reads 199 characters of a line and parses the rest as a line of
 * its own (r55): a long value was cut, or its tail ignored when it began
 * with a comment character. libinih r59 (Debian 13) skips the rest of such a
 * line instead, and also the next line when a 199-character line's newline
 * was all that was left: lines longer than 198 characters are refused. */
START_TEST(huge_values)
{
	char text[1200], v[1000];
	struct dcfg c;
	struct sf_err err;
	char want[400];

	/* a token of 300 characters whose tail (after 199 bytes of line) looks
	 * like a comment: it was silently cut to 191 characters */
	memset(v, 't', 300);
	v[199 - strlen("token = ")] = ';';
	v[300] = '\0';
	snprintf(text, sizeof(text), "[auth]\ntoken = %s\n[server]\nname = x\n", v);
	ck_assert_int_eq(load_text(text, &c, &err), SF_E_ARG);
	snprintf(want, sizeof(want), "config %s line 2: longer than 198 characters", path);
	ck_assert_str_eq(err.msg, want);
	/* a long path, its tail a second key = value: the path was cut and the
	 * tail set the station name */
	memset(v, 'p', sizeof(v));
	memcpy(v, "/srv/", 5);
	memcpy(v + 199 - strlen("state_dir = "), "name = tail", 11);
	v[199 - strlen("state_dir = ") + 11] = '\0';
	snprintf(text, sizeof(text), "[server]\n\nstate_dir = %s\n", v);
	ck_assert_int_eq(load_text(text, &c, &err), SF_E_ARG);
	snprintf(want, sizeof(want), "config %s line 3: longer than 198 characters", path);
	ck_assert_str_eq(err.msg, want);
	/* 199 characters before a newline: r59 took the next line for the
	 * rest of this one and said "syntax error" */
	memset(v, 'a', 199);
	memcpy(v, "token=", 6);
	v[199] = '\0';
	snprintf(text, sizeof(text), "[auth]\n%s\n[server]\nname = ok\n", v);
	ck_assert_int_eq(load_text(text, &c, &err), SF_E_ARG);
	snprintf(want, sizeof(want), "config %s line 2: longer than 198 characters", path);
	ck_assert_str_eq(err.msg, want);
	/* 198 characters are fine before a newline; 199 at the very end */
	v[198] = '\0';
	snprintf(text, sizeof(text), "[auth]\n%s\n[server]\nname = ok\n", v);
	ck_assert_msg(load_text(text, &c, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(strlen(c.token), 192);
	ck_assert_str_eq(c.name, "ok");
	memset(v, 'a', 199);
	memcpy(v, "name=", 5);
	v[199] = '\0';
	snprintf(text, sizeof(text), "[server]\n%s", v);
	ck_assert_msg(load_text(text, &c, &err) == SF_E_ARG, "63 bytes fit in name");
	snprintf(want, sizeof(want), "config %s line 2: bad value for [server] name: "
		 "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...': longer than 63 bytes", path);
	ck_assert_str_eq(err.msg, want);
	/* an earlier error is still the one reported */
	memset(v, 'a', 300);
	v[300] = '\0';
	snprintf(text, sizeof(text), "[server]\nbogus = 1\ntoken = %s\n", v);
	refused(text, 2, "unknown key [server] bogus");
}
END_TEST

START_TEST(duplicates)
{
	struct dcfg c;
	struct sf_err err;

	/* a section may come back; its keys merge */
	ck_assert_int_eq(load_text("[server]\nname = a\n[jobs]\nqueue_length = 2\n"
				   "[server]\nlisten = 127.0.0.1:9\n", &c, &err), 0);
	ck_assert_str_eq(c.name, "a");
	ck_assert_str_eq(c.listen, "127.0.0.1:9");
	ck_assert_uint_eq(c.queue_length, 2);
	/* a key may not: which one did the author mean? */
	refused("[server]\nname = a\nname = b\n", 3, "[server] name is set twice");
	refused("[server]\nname = a\n[jobs]\n[server]\nname = b\n", 5, "[server] name is set twice");
	/* an indented line continues the key above (libinih multi-line values) */
	refused("[server]\nlisten = 127.0.0.1:9\n  name = b\n", 3, "[server] listen is set twice");
}
END_TEST

START_TEST(missing_files)
{
	struct dcfg c;
	struct sf_err err = { 0 };
	char p[160], want[256];

	dcfg_defaults(&c);
	snprintf(p, sizeof(p), "%s/none.conf", dir);
	/* the default path may be missing: defaults stay */
	ck_assert_int_eq(dcfg_load(&c, p, 0, &err), 0);
	ck_assert_str_eq(c.listen, "127.0.0.1:8080");
	/* a file named on the command line must exist */
	ck_assert_int_eq(dcfg_load(&c, p, 1, &err), SF_E_IO);
	snprintf(want, sizeof(want), "config %s: No such file or directory", p);
	ck_assert_str_eq(err.msg, want);
	/* a directory is not a missing file, even when optional */
	ck_assert_int_eq(dcfg_load(&c, dir, 0, &err), SF_E_IO);
	snprintf(want, sizeof(want), "config %s: Is a directory", dir);
	ck_assert_str_eq(err.msg, want);
	/* an empty file is all defaults */
	ck_assert_int_eq(load_text("", &c, &err), 0);
	ck_assert_str_eq(c.listen, "127.0.0.1:8080");
}
END_TEST

START_TEST(flags_win)
{
	struct dcfg c;
	struct sf_err err;
	struct dcfg_flags f = { .listen = "127.0.0.1:1", .probe = "sim", .state_dir = "/s",
				.token_file = "/t" };

	ck_assert_int_eq(load_text("[server]\nlisten = 0.0.0.0:2\nstate_dir = /x\n"
				   "[auth]\ntoken_file = /y\n", &c, &err), 0);
	ck_assert_int_eq(dcfg_apply_flags(&c, &f, &err), 0);
	ck_assert_str_eq(c.listen, "127.0.0.1:1");
	ck_assert_str_eq(c.probe, "sim");
	ck_assert_str_eq(c.state_dir, "/s");
	ck_assert_str_eq(c.token_file, "/t");
}
END_TEST

/* A flag value that does not fit its field is refused, never cut: a cut
 * --state-dir or --probe would name another directory or probe. */
START_TEST(flags_too_long_or_empty)
{
	static char longpath[5000];
	struct dcfg c;
	struct sf_err err = { 0 };
	struct dcfg_flags f = { 0 };
	char want[128];

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	dcfg_defaults(&c);
	f.state_dir = longpath;
	ck_assert_int_eq(dcfg_apply_flags(&c, &f, &err), SF_E_ARG);
	snprintf(want, sizeof(want), "--state-dir: value of %zu characters is too long (at most %zu)",
		 sizeof(longpath) - 1, sizeof(c.state_dir) - 1);
	ck_assert_str_eq(err.msg, want);
	f.state_dir = NULL;
	f.probe = "";
	ck_assert_int_eq(dcfg_apply_flags(&c, &f, &err), SF_E_ARG);
	ck_assert_str_eq(err.msg, "--probe: value is empty");
}
END_TEST

/* The shipped example must load as it is. */
START_TEST(example_loads)
{
	struct dcfg c;
	struct sf_err err = { 0 };

	dcfg_defaults(&c);
	ck_assert_msg(dcfg_load(&c, "systemd/swdflashd.conf.example", 1, &err) == 0, "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, unknown_keys);
	tcase_add_test(tc, syntax);
	tcase_add_test(tc, bad_numbers);
	tcase_add_test(tc, bad_strings);
	tcase_add_test(tc, huge_values);
	tcase_add_test(tc, duplicates);
	tcase_add_test(tc, missing_files);
	tcase_add_test(tc, flags_win);
	tcase_add_test(tc, flags_too_long_or_empty);
	tcase_add_test(tc, example_loads);
	tcase_add_test(tc, token_not_cut);
	tcase_add_test(tc, client_memory_budget);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
