// SPDX-License-Identifier: GPL-2.0-or-later
/* station: recipe, bench and devices commands over the daemon's API
 * (station.h). A small HTTP/1.1 client: one request per connection
 * (Connection: close), Content-Length or chunked replies. */
#include "station.h"

#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/clock.h"

#define ST_TIMEOUT_MS 30000
#define ST_MAX_REPLY (64u << 20)

static const char *const cmds[] = { "recipe", "bench", "devices", NULL };

int cli_station_is_cmd(const char *name)
{
	for (size_t i = 0; name && cmds[i]; i++)
		if (!strcmp(name, cmds[i]))
			return 1;
	return 0;
}

void cli_station_usage(FILE *f)
{
	fputs("\nstation commands (a running swdflashd, through its API):\n"
	      "  swdflash [--station URL] [--token-file F] recipe list | show NAME [VERSION]\n"
	      "           | save FILE.json | delete NAME | activate NAME|none\n"
	      "  swdflash [--station URL] [--token-file F] bench [status] | arm [auto|button]\n"
	      "           | disarm | start | again\n"
	      "  swdflash [--station URL] [--token-file F] devices [--format json|jsonl|csv]\n"
	      "           [--since T] [--until T] [--verdict pass|fail] [--recipe R] [--device-id ID]\n"
	      "  URL defaults to $SWDFLASH_STATION, else http://127.0.0.1:8080; the token to\n"
	      "  $SWDFLASH_TOKEN, else the first line of --token-file.\n", f);
}

struct reply {
	int status;
	char *body;
	size_t len;
};

static int st_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "swdflash: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see swdflash --help)\n");
	return 2;
}

/* Wait for fd to be readable/writable until the deadline. */
static int st_wait(int fd, short ev, int64_t deadline)
{
	int64_t left = deadline - clock_mono_ms();
	struct pollfd p = { .fd = fd, .events = ev };

	if (left <= 0)
		return -1;
	return poll(&p, 1, (int)left) == 1 ? 0 : -1;
}

static int st_decode_chunked(struct reply *r)
{
	char *in = r->body, *out = r->body, *end = r->body + r->len;

	while (in < end) {
		char *e;
		unsigned long n = strtoul(in, &e, 16);
		char *nl = strstr(in, "\r\n");
		if (!nl || e == in)
			return -1;
		in = nl + 2;
		if (!n)
			break;
		if ((size_t)(end - in) < n)
			return -1;
		memmove(out, in, n);
		out += n;
		in += n + 2;
	}
	r->len = (size_t)(out - r->body);
	*out = 0;
	return 0;
}

static int st_request(const char *url, const char *token, const char *method, const char *path,
		      const char *body, size_t blen, const char *ctype, struct reply *r)
{
	char host[256], port[16] = "80", head[2048];
	const char *p = url;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int64_t deadline = clock_mono_ms() + ST_TIMEOUT_MS;
	int fd = -1;

	memset(r, 0, sizeof(*r));
	if (strncmp(p, "http://", 7))
		return fprintf(stderr, "swdflash: station '%s': only http://HOST:PORT\n", url), -1;
	p += 7;
	size_t hl = strcspn(p, ":/");
	if (!hl || hl >= sizeof(host))
		return fprintf(stderr, "swdflash: station '%s': no host\n", url), -1;
	memcpy(host, p, hl);
	host[hl] = 0;
	if (p[hl] == ':')
		snprintf(port, sizeof(port), "%.*s", (int)strcspn(p + hl + 1, "/"), p + hl + 1);
	if (getaddrinfo(host, port, &hints, &ai) || !ai)
		return fprintf(stderr, "swdflash: station %s: cannot resolve %s\n", url, host), -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		fprintf(stderr, "swdflash: station %s: %s\n", url, strerror(errno));
		goto fail;
	}
	freeaddrinfo(ai);
	ai = NULL;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (fd < 0 || st_wait(fd, POLLOUT, deadline) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
		fprintf(stderr, "swdflash: station %s: %s\n", url,
			soerr ? strerror(soerr) : "cannot connect");
		goto fail;
	}
	int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n"
			 "%s%s%s%s%s%sContent-Length: %zu\r\n\r\n", method, path, host, port,
			 token && *token ? "Authorization: Bearer " : "", token && *token ? token : "",
			 token && *token ? "\r\n" : "", ctype ? "Content-Type: " : "", ctype ? ctype : "",
			 ctype ? "\r\n" : "", blen);
	if (n < 0 || (size_t)n >= sizeof(head))
		goto fail;
	const char *parts[2] = { head, body };
	size_t lens[2] = { (size_t)n, blen };
	for (int k = 0; k < 2; k++)
		for (size_t off = 0; off < lens[k];) {
			if (st_wait(fd, POLLOUT, deadline))
				goto timeout;
			ssize_t w = send(fd, parts[k] + off, lens[k] - off, MSG_NOSIGNAL);
			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (w <= 0)
				goto ioerr;
			off += (size_t)w;
		}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf)
			goto fail;
		if (st_wait(fd, POLLIN, deadline)) {
			free(buf);
			goto timeout;
		}
		if (len == cap) {
			if (cap >= ST_MAX_REPLY) {
				free(buf);
				goto ioerr;
			}
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t got = recv(fd, buf + len, cap - len, 0);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got < 0) {
			free(buf);
			goto ioerr;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	buf[len] = 0;
	close(fd);
	char *sep = strstr(buf, "\r\n\r\n");
	if (!sep || sscanf(buf, "HTTP/1.%*c %d", &r->status) != 1) {
		free(buf);
		return fprintf(stderr, "swdflash: station %s: not an HTTP reply\n", url), -1;
	}
	*sep = 0;
	int chunked = strcasestr(buf, "\r\ntransfer-encoding: chunked") != NULL;
	r->len = len - (size_t)(sep + 4 - buf);
	memmove(buf, sep + 4, r->len + 1);
	r->body = buf;
	if (chunked && st_decode_chunked(r))
		return fprintf(stderr, "swdflash: station %s: bad chunked reply\n", url), -1;
	return 0;
timeout:
	fprintf(stderr, "swdflash: station %s: no answer within %d s\n", url, ST_TIMEOUT_MS / 1000);
	goto fail;
ioerr:
	fprintf(stderr, "swdflash: station %s: %s\n", url, strerror(errno));
fail:
	if (ai)
		freeaddrinfo(ai);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Print the reply: the body on success, the error's message otherwise. */
static int st_finish(struct reply *r)
{
	int rc = 0;

	if (r->status >= 200 && r->status < 300) {
		fwrite(r->body, 1, r->len, stdout);
		if (r->len && r->body[r->len - 1] != '\n')
			putchar('\n');
	} else {
		json_t *o = json_loadb(r->body, r->len, 0, NULL);
		const char *code = json_string_value(json_object_get(json_object_get(o, "error"), "code"));
		const char *msg = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
		fprintf(stderr, "swdflash: %d %s: %s\n", r->status, code ? code : "error",
			msg ? msg : r->body);
		json_decref(o);
		rc = r->status == 400 ? 2 : r->status == 401 ? 1 : r->status == 422 ? 3 : 1;
	}
	free(r->body);
	return rc;
}

static void st_token(const char *file, char *tok, size_t len)
{
	const char *e = getenv("SWDFLASH_TOKEN");

	tok[0] = 0;
	if (e) {
		snprintf(tok, len, "%s", e);
		return;
	}
	FILE *f = file ? fopen(file, "re") : NULL;
	if (f) {
		if (fgets(tok, (int)len, f))
			tok[strcspn(tok, " \t\r\n")] = 0;
		fclose(f);
	}
}

/* Append v percent-encoded (what the user typed, into a URL). */
static void st_append_escaped(char *q, size_t len, const char *v)
{
	size_t n = strlen(q);

	for (; *v && n + 4 < len; v++) {
		unsigned char c = (unsigned char)*v;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-_.~:", c))
			q[n++] = (char)c;
		else
			n += (size_t)snprintf(q + n, len - n, "%%%02X", c);
	}
	q[n] = 0;
}

static void st_add_query(char *q, size_t len, const char *key, const char *v)
{
	size_t n = strlen(q);

	snprintf(q + n, len - n, "%s%s=", strchr(q, '?') ? "&" : "?", key);
	st_append_escaped(q, len, v);
}

int cli_station_main(int argc, char **argv)
{
	const char *url = getenv("SWDFLASH_STATION"), *tokfile = NULL;
	const char *pos[4] = { 0 };
	const char *qk[8], *qv[8];
	int npos = 0, nq = 0;
	char tok[300], path[1024];
	struct reply r;
	char *body = NULL;
	size_t blen = 0;
	int rc;

	if (!url)
		url = "http://127.0.0.1:8080";
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		static const char *const qopts[] = { "--format", "--since", "--until", "--verdict",
						     "--recipe", "--device-id", "--limit", NULL };
		if ((!strcmp(a, "--station") || !strcmp(a, "--token-file")) && i + 1 < argc) {
			if (a[2] == 's')
				url = argv[++i];
			else
				tokfile = argv[++i];
			continue;
		}
		size_t k;
		for (k = 0; qopts[k] && strcmp(a, qopts[k]); k++)
			;
		if (qopts[k]) {
			if (i + 1 >= argc || nq == 8)
				return st_usage("%s needs a value", a);
			qk[nq] = qopts[k] + 2;
			qv[nq++] = argv[++i];
			continue;
		}
		if (a[0] == '-')
			return st_usage("unknown option '%s'", a);
		if (npos == 4)
			return st_usage("too many arguments: '%s'", a);
		pos[npos++] = a;
	}
	st_token(tokfile, tok, sizeof(tok));
	const char *cmd = pos[0], *sub = pos[1];
	if (nq && strcmp(cmd, "devices"))
		return st_usage("%s takes no query options", cmd);
	if (!strcmp(cmd, "devices")) {
		if (npos > 1)
			return st_usage("devices takes no arguments ('%s')", pos[1]);
		snprintf(path, sizeof(path), "/api/v1/devices");
		for (int i = 0; i < nq; i++)
			st_add_query(path, sizeof(path), strcmp(qk[i], "device-id") ? qk[i] : "device_id",
				     qv[i]);
		rc = st_request(url, tok, "GET", path, NULL, 0, NULL, &r);
	} else if (!strcmp(cmd, "bench")) {
		if (!sub || !strcmp(sub, "status")) {
			rc = st_request(url, tok, "GET", "/api/v1/bench", NULL, 0, NULL, &r);
		} else if (!strcmp(sub, "arm") || !strcmp(sub, "disarm") || !strcmp(sub, "start") ||
			   !strcmp(sub, "again")) {
			snprintf(path, sizeof(path), "/api/v1/bench/%s", sub);
			if (pos[2] && strcmp(sub, "arm"))
				return st_usage("bench %s takes no argument", sub);
			if (pos[2])
				st_add_query(path, sizeof(path), "mode", pos[2]);
			rc = st_request(url, tok, "POST", path, NULL, 0, NULL, &r);
		} else {
			return st_usage("bench '%s': use status, arm, disarm, start or again", sub);
		}
	} else {  /* recipe */
		if (!sub || !strcmp(sub, "list")) {
			rc = st_request(url, tok, "GET", "/api/v1/recipes", NULL, 0, NULL, &r);
		} else if ((!strcmp(sub, "show") || !strcmp(sub, "delete") || !strcmp(sub, "activate")) &&
			   pos[2]) {
			int show = !strcmp(sub, "show");
			if (pos[3] && !show)
				return st_usage("recipe %s takes one NAME", sub);
			snprintf(path, sizeof(path), "/api/v1/recipes/");
			st_append_escaped(path, sizeof(path), pos[2]);
			if (!strcmp(sub, "activate"))
				strncat(path, "/activate", sizeof(path) - strlen(path) - 1);
			if (show && pos[3])
				st_add_query(path, sizeof(path), "version", pos[3]);
			rc = st_request(url, tok, show ? "GET" : !strcmp(sub, "delete") ? "DELETE" : "POST",
					path, NULL, 0, NULL, &r);
		} else if (!strcmp(sub, "save") && pos[2] && !pos[3]) {
			FILE *f = fopen(pos[2], "re");
			if (!f) {
				fprintf(stderr, "swdflash: %s: %s\n", pos[2], strerror(errno));
				return 1;
			}
			body = malloc(65536);
			blen = body ? fread(body, 1, 65536, f) : 0;
			int big = body && blen == 65536 && fgetc(f) != EOF;
			fclose(f);
			if (!body || big) {
				free(body);
				fprintf(stderr, "swdflash: %s: a recipe is at most 64 KiB\n", pos[2]);
				return 1;
			}
			rc = st_request(url, tok, "POST", "/api/v1/recipes", body, blen,
					"application/json", &r);
		} else {
			return st_usage("recipe '%s': use list, show NAME [VERSION], save FILE, delete NAME "
					"or activate NAME|none", sub ? sub : "");
		}
	}
	free(body);
	if (rc)
		return 1;
	return st_finish(&r);
}
