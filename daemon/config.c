#include "config.h"
#include "../common/parse.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dcfg_defaults(struct dcfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
	snprintf(c->name, sizeof(c->name), "swdflashd");
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/swdflashd");
	snprintf(c->probe, sizeof(c->probe), "gpiod");
	c->max_connections = 64;
	c->max_header_bytes = 32 * 1024;
	c->max_body_bytes = 4 * 1024 * 1024;
	c->connection_timeout = 60;
	c->refresh_ms = 2000;
	c->queue_length = 8;
	c->history_max = 1000;
	c->stop_timeout = 10;
	c->stop_hard_timeout = 20;  /* longer than the engine's longest step (ERASEALL, 15 s) */
	c->max_read_bytes = 4 * 1024 * 1024;
}


static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;

	if (parse_size(s, &v) || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

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

static int copy_str(char *dst, size_t n, const char *s)
{
	if (strlen(s) >= n)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

struct load_ctx {
	struct dcfg *c;
	char msg[200];
};

#define KEY(sec, k) (!strcmp(section, sec) && !strcmp(name, k))

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	struct dcfg *c = lc->c;
	uint64_t sz;
	int bad = 0;

	if (KEY("server", "listen"))
		bad = copy_str(c->listen, sizeof(c->listen), value);
	else if (KEY("server", "name"))
		bad = copy_str(c->name, sizeof(c->name), value);
	else if (KEY("server", "state_dir"))
		bad = copy_str(c->state_dir, sizeof(c->state_dir), value) || !*value;
	else if (KEY("server", "max_connections"))
		bad = parse_uint(value, 1, 10000, &c->max_connections);
	else if (KEY("server", "max_header_bytes"))
		bad = parse_uint(value, 4096, 16 * 1024 * 1024, &c->max_header_bytes);
	else if (KEY("server", "max_body_bytes")) {
		bad = parse_size(value, &sz) || sz < 1024;
		if (!bad)
			c->max_body_bytes = sz;
	} else if (KEY("server", "connection_timeout"))
		bad = parse_uint(value, 1, 86400, &c->connection_timeout);
	else if (KEY("probe", "spec"))
		bad = copy_str(c->probe, sizeof(c->probe), value) || !*value;
	else if (KEY("probe", "refresh_ms"))
		bad = parse_uint(value, 100, 3600 * 1000, &c->refresh_ms);
	else if (KEY("jobs", "queue_length"))
		bad = parse_uint(value, 1, 10000, &c->queue_length);
	else if (KEY("jobs", "history_max"))
		bad = parse_uint(value, 1, 1000000, &c->history_max);
	else if (KEY("jobs", "stop_timeout"))
		bad = parse_uint(value, 0, 3600, &c->stop_timeout);
	else if (KEY("jobs", "stop_hard_timeout"))
		bad = parse_uint(value, 1, 3600, &c->stop_hard_timeout);
	else if (KEY("jobs", "max_read_bytes")) {
		bad = parse_size(value, &sz) || sz < 4 || sz > 64 * 1024 * 1024;
		if (!bad)
			c->max_read_bytes = sz;
	} else if (KEY("auth", "token_file"))
		bad = copy_str(c->token_file, sizeof(c->token_file), value);
	else if (KEY("auth", "token"))
		bad = copy_str(c->token, sizeof(c->token), value);
	else if (KEY("auth", "protect_reads"))
		bad = parse_bool(value, &c->protect_reads);
	else {
		if (!lc->msg[0])
			snprintf(lc->msg, sizeof(lc->msg), "unknown key [%s] %s", section, name);
		return 0;
	}
	if (bad && !lc->msg[0]) {
		snprintf(lc->msg, sizeof(lc->msg), "bad value for [%s] %s: '%.80s'", section, name, value);
	}
	if (bad)
		return 0;
	return 1;
}

int dcfg_load(struct dcfg *c, const char *path, int must_exist, struct sf_err *err)
{
	struct load_ctx lc = { .c = c };
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return sf_err_set(err, SF_E_IO, "config %s: %s", path, strerror(errno));
	}
	rc = ini_parse_file(f, on_key, &lc);
	fclose(f);
	if (rc > 0)
		return sf_err_set(err, SF_E_ARG, "config %s line %d: %s", path, rc,
				   lc.msg[0] ? lc.msg : "syntax error");
	if (rc < 0)
		return sf_err_set(err, SF_E_IO, "config %s: cannot read", path);
	return 0;
}

void dcfg_apply_flags(struct dcfg *c, const struct dcfg_flags *f)
{
	if (f->listen)
		snprintf(c->listen, sizeof(c->listen), "%s", f->listen);
	if (f->probe)
		snprintf(c->probe, sizeof(c->probe), "%s", f->probe);
	if (f->state_dir)
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", f->state_dir);
	if (f->token_file)
		snprintf(c->token_file, sizeof(c->token_file), "%s", f->token_file);
}
