// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"
#include "../common/parse.h"
#include "memdump.h"

#include <errno.h>
#include <inttypes.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void dcfg_defaults(struct dcfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
	snprintf(c->name, sizeof(c->name), "swdflashd");
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/swdflashd");
	snprintf(c->probe, sizeof(c->probe), "gpiod");
	c->max_connections = 512;
	c->max_connections_per_address = 128;
	c->max_header_bytes = 32 * 1024;
	c->max_body_bytes = 4 * 1024 * 1024;
	c->connection_timeout = 60;
	c->max_client_memory = 16 * 1024 * 1024;
	c->request_timeout = 120;
	c->refresh_ms = 2000;
	c->queue_length = 8;
	c->history_max = 1000;
	c->stop_timeout = 10;
	c->stop_hard_timeout = 20;  /* longer than the engine's longest step (ERASEALL, 15 s) */
	c->max_read_bytes = 4 * 1024 * 1024;
	c->protect_memory = 1;  /* chip flash holds firmware and keys */
	c->bench_debounce_ms = 30;
	c->bench_buzzer_ms = 500;
	c->bench_poll_ms = 300;
	snprintf(c->bench_handsfree, sizeof(c->bench_handsfree), "off");
}


enum key_kind {
	KEY_STR,      /* any string that fits */
	KEY_NONEMPTY, /* a string that fits and is not empty */
	KEY_UINT,     /* unsigned field, lo..hi, K/M suffix allowed */
	KEY_U64,      /* uint64_t field, lo..hi, K/M suffix allowed */
	KEY_BOOL,     /* 1/0, yes/no, true/false, on/off */
};

/* One row per key: the single list of what the file may hold. */
static const struct key_def {
	const char *section, *name;
	enum key_kind kind;
	size_t off, len;
	uint64_t lo, hi;
} keys[] = {
#define STR(sec, k, kind) { sec, #k, kind, offsetof(struct dcfg, k), sizeof(((struct dcfg *)0)->k), 0, 0 }
#define NUM(sec, k, kind, lo, hi) { sec, #k, kind, offsetof(struct dcfg, k), 0, lo, hi }
	STR("server", listen, KEY_NONEMPTY),
	STR("server", name, KEY_STR),
	STR("server", state_dir, KEY_NONEMPTY),
	NUM("server", max_connections, KEY_UINT, 1, 10000),
	NUM("server", max_connections_per_address, KEY_UINT, 1, 10000),
	STR("server", allowed_hosts, KEY_STR),
	NUM("server", max_header_bytes, KEY_UINT, 4096, 16 * 1024 * 1024),
	NUM("server", max_body_bytes, KEY_U64, 1024, UINT64_MAX),
	NUM("server", connection_timeout, KEY_UINT, 1, 86400),
	NUM("server", max_client_memory, KEY_U64, 64 * 1024, UINT64_MAX),
	NUM("server", request_timeout, KEY_UINT, 1, 86400),
	{ "probe", "spec", KEY_NONEMPTY, offsetof(struct dcfg, probe), sizeof(((struct dcfg *)0)->probe), 0, 0 },
	NUM("probe", refresh_ms, KEY_UINT, 100, 3600 * 1000),
	NUM("jobs", queue_length, KEY_UINT, 1, 10000),
	NUM("jobs", history_max, KEY_UINT, 1, 1000000),
	NUM("jobs", stop_timeout, KEY_UINT, 0, 3600),
	NUM("jobs", stop_hard_timeout, KEY_UINT, 1, 3600),
	NUM("jobs", max_read_bytes, KEY_U64, 4, 64 * 1024 * 1024),
	STR("auth", token_file, KEY_STR),
	STR("auth", token, KEY_STR),
	NUM("auth", protect_reads, KEY_BOOL, 0, 1),
	NUM("auth", protect_memory, KEY_BOOL, 0, 1),
	{ "bench", "gpio", KEY_STR, offsetof(struct dcfg, bench_gpio), sizeof(((struct dcfg *)0)->bench_gpio), 0, 0 },
	{ "bench", "debounce_ms", KEY_UINT, offsetof(struct dcfg, bench_debounce_ms), 0, 1, 2000 },
	{ "bench", "buzzer_ms", KEY_UINT, offsetof(struct dcfg, bench_buzzer_ms), 0, 1, 10000 },
	{ "bench", "poll_ms", KEY_UINT, offsetof(struct dcfg, bench_poll_ms), 0, 50, 10000 },
	{ "bench", "handsfree", KEY_NONEMPTY, offsetof(struct dcfg, bench_handsfree), sizeof(((struct dcfg *)0)->bench_handsfree), 0, 0 },
#undef STR
#undef NUM
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "on"))
		*out = 1;
	else if (!strcmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

struct load_ctx {
	struct dcfg *c;
	FILE *f;
	unsigned lineno;    /* physical lines handed to libinih */
	unsigned long_line; /* first line longer than MAX_LINE_CHARS, 0: none */
	unsigned char seen[NKEYS];
	unsigned msg_line;  /* the line msg is about */
	char msg[200];
	char raw[INI_MAX_LINE]; /* the line libinih is parsing, as read */
};

/* The value of the line as written: after the first '=' or ':', blanks
 * around it dropped. libinih ends a value at a ';' after a blank (an
 * inline comment), so a value it hands over that is shorter was cut. */
static int value_was_cut(const char *raw, const char *value)
{
	const char *v = raw + strcspn(raw, "=:");
	size_t n;

	if (!*v)
		return 0;
	v++;
	v += strspn(v, " \t");
	n = strlen(v);
	while (n && strchr(" \t\r\n", v[n - 1]))
		n--;
	return n != strlen(value) || strncmp(v, value, n);
}

/* Store value into the field k describes; why (for the message) on error. */
static int set_key(struct dcfg *c, const struct key_def *k, const char *value, char *why,
		   size_t whylen)
{
	char *field = (char *)c + k->off;
	uint64_t v;

	switch (k->kind) {
	case KEY_STR:
	case KEY_NONEMPTY:
		if (k->kind == KEY_NONEMPTY && !*value) {
			snprintf(why, whylen, "must not be empty");
			return -1;
		}
		if (strlen(value) >= k->len) {
			snprintf(why, whylen, "longer than %zu bytes", k->len - 1);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case KEY_UINT:
	case KEY_U64:
		if (parse_size(value, &v) || v < k->lo || v > k->hi) {
			if (k->hi == UINT64_MAX)
				snprintf(why, whylen, "want a number of at least %" PRIu64
					 " (K and M suffixes allowed)", k->lo);
			else
				snprintf(why, whylen, "want a number from %" PRIu64 " to %" PRIu64
					 " (K and M suffixes allowed)", k->lo, k->hi);
			return -1;
		}
		if (k->kind == KEY_UINT)
			*(unsigned *)(void *)field = (unsigned)v;
		else
			*(uint64_t *)(void *)field = v;
		return 0;
	case KEY_BOOL:
		if (parse_bool(value, (int *)(void *)field)) {
			snprintf(why, whylen, "want 1 or 0 (yes/no, true/false, on/off)");
			return -1;
		}
		return 0;
	}
	return -1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	char why[96];
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(section, keys[i].section) && !strcmp(name, keys[i].name))
			break;
	if (lc->msg[0])
		return 0; /* only the first problem is reported */
	lc->msg_line = lc->lineno;
	if (i == NKEYS) {
		if (!*section)
			snprintf(lc->msg, sizeof(lc->msg), "key '%.60s' outside any [section]", name);
		else
			snprintf(lc->msg, sizeof(lc->msg), "unknown key [%.40s] %.60s", section, name);
		return 0;
	}
	/* the same key twice is a mistake whichever one was meant (an indented
	 * line also lands here: libinih reads it as a continuation) */
	if (lc->seen[i]) {
		snprintf(lc->msg, sizeof(lc->msg), "[%s] %s is set twice", section, name);
		return 0;
	}
	lc->seen[i] = 1;
	/* a secret is never cut: a comment after it is no use, and a token
	 * that holds " ;" would silently become its first half */
	if (!strcmp(section, "auth") && !strcmp(name, "token") && value_was_cut(lc->raw, value)) {
		snprintf(lc->msg, sizeof(lc->msg), "[auth] token: a ';' after a blank starts a "
			 "comment in this file, so the token would be cut to its first %zu "
			 "characters: put it in token_file (read as it is) or leave ' ;' out",
			 strlen(value));
		return 0;
	}
	if (set_key(lc->c, &keys[i], value, why, sizeof(why))) {
		snprintf(lc->msg, sizeof(lc->msg), "bad value for [%s] %s: '%.40s%s': %s", section, name,
			 value, strlen(value) > 40 ? "..." : "", why);
		return 0;
	}
	return 1;
}

/* fgets for libinih that notices lines it would split: libinih reads at
 * most INI_MAX_LINE - 1 bytes and parses the rest of a longer line as a line
 * of its own (up to r55, Debian 12), so a long value would be cut (or its
 * tail taken for a key). From r56 on (r59 in Debian 13) it instead skips
 * the rest of any line that filled its buffer before a newline, taking the
 * next line with it when the newline was all that was left, and reports a
 * syntax error: so a line of INI_MAX_LINE - 1 characters before its newline
 * is refused too, and the limit is the same with both. */
#define MAX_LINE_CHARS (INI_MAX_LINE - 2)
static char *reader(char *str, int num, void *user)
{
	struct load_ctx *lc = user;
	size_t n;

	if (lc->long_line || !fgets(str, num, lc->f))
		return NULL;
	lc->lineno++;
	n = strlen(str);
	memcpy(lc->raw, str, n + 1 <= sizeof(lc->raw) ? n + 1 : sizeof(lc->raw));
	lc->raw[sizeof(lc->raw) - 1] = '\0';
	/* a full buffer without its newline: fine only at the end of the file */
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(lc->f)) {
		int ch = fgetc(lc->f);
		if (ch != EOF) {
			lc->long_line = lc->lineno;
			return NULL;
		}
	}
	return str;
}

int dcfg_load(struct dcfg *c, const char *path, int must_exist, struct sf_err *err)
{
	struct load_ctx lc = { .c = c };
	int rc;

	lc.f = fopen(path, "r");
	if (!lc.f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return sf_err_set(err, SF_E_IO, "config %s: %s", path, strerror(errno));
	}
	rc = ini_parse_stream(reader, &lc, on_key, &lc);
	if (rc >= 0 && ferror(lc.f)) {
		int e = errno;
		fclose(lc.f);
		return sf_err_set(err, SF_E_IO, "config %s: %s", path, strerror(e));
	}
	fclose(lc.f);
	if (rc > 0)
		return sf_err_set(err, SF_E_ARG, "config %s line %d: %s", path, rc,
				  lc.msg[0] && lc.msg_line == (unsigned)rc ? lc.msg
					    : "syntax error (want [section], key = value or a comment)");
	if (rc < 0)
		return sf_err_set(err, SF_E_NOMEM, "config %s: out of memory", path);
	if (lc.long_line)
		return sf_err_set(err, SF_E_ARG, "config %s line %u: longer than %d characters", path,
				  lc.long_line, MAX_LINE_CHARS);
	/* a memory read is held whole until its client has it */
	if (c->max_client_memory < c->max_read_bytes + MEMDUMP_OVERHEAD)
		return sf_err_set(err, SF_E_ARG, "config %s: [server] max_client_memory (%" PRIu64
				  ") must be at least [jobs] max_read_bytes (%" PRIu64 ") + %u, or "
				  "the largest read could never be answered", path,
				  c->max_client_memory, c->max_read_bytes, MEMDUMP_OVERHEAD);
	return 0;
}

/* A flag's value into a config field; a value that does not fit is refused
 * rather than cut (a cut path or probe spec would name something else). */
static int apply_flag(char *dst, size_t n, const char *flag, const char *v, int nonempty,
		      struct sf_err *err)
{
	size_t len;

	if (!v)
		return 0;
	len = strlen(v);
	if (len >= n)
		return sf_err_set(err, SF_E_ARG, "%s: value of %zu characters is too long (at most %zu)",
				  flag, len, n - 1);
	if (nonempty && !len)
		return sf_err_set(err, SF_E_ARG, "%s: value is empty", flag);
	memcpy(dst, v, len + 1);
	return 0;
}

int dcfg_apply_flags(struct dcfg *c, const struct dcfg_flags *f, struct sf_err *err)
{
	int rc = apply_flag(c->listen, sizeof(c->listen), "--listen", f->listen, 1, err);

	if (!rc)
		rc = apply_flag(c->probe, sizeof(c->probe), "--probe", f->probe, 1, err);
	if (!rc)
		rc = apply_flag(c->state_dir, sizeof(c->state_dir), "--state-dir", f->state_dir, 1,
				err);
	if (!rc)
		rc = apply_flag(c->token_file, sizeof(c->token_file), "--token-file", f->token_file,
				1, err);
	return rc;
}
