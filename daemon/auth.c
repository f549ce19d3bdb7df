// SPDX-License-Identifier: GPL-2.0-or-later
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/clock.h"
#include "../common/dlog.h"
#include "../common/sha256.h"

/* A client that sent wrong tokens: a token bucket in thousandths of an
 * attempt, full at AUTH_FAIL_BURST attempts. */
struct fail_slot {
	char client[64];
	int64_t tokens_m;
	int64_t at_ms;       /* when tokens_m was last brought up to date */
	unsigned refused;    /* requests refused unchecked since the last log line */
};

struct auth {
	pthread_mutex_t lock;
	int has_token;
	int protect_reads;
	int protect_memory;
	uint8_t digest[32]; /* SHA-256 of the token */
	struct fail_slot fails[AUTH_FAIL_SLOTS];
};

struct auth *auth_new(void)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (a)
		pthread_mutex_init(&a->lock, NULL);
	return a;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	memset(a->digest, 0, sizeof(a->digest));
	free(a);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The token is the first line of f (ended by LF, CR LF or CR), blanks
 * (spaces, tabs) around it dropped. Works on indices into out only, so a
 * line of nothing but blanks can never move a cursor before the buffer.
 * Refused, each with its own message naming path: an empty file, a file
 * of blanks, a blank first line, a first line too long for out, and NUL
 * or control bytes in the token (a raw binary token would otherwise be
 * cut at its first NUL and silently become a shorter one). */
static int read_token(FILE *f, const char *path, char *out, size_t outlen, struct sf_err *err)
{
	size_t n, end, lo, hi;
	int next, more;

	if (outlen < 2) {
		fclose(f);
		return sf_err_set(err, SF_E_ARG, "token file %s: no room for a token", path);
	}
	n = fread(out, 1, outlen - 1, f);
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		out[0] = '\0';
		return sf_err_set(err, SF_E_IO, "token file %s: %s", path, strerror(e));
	}
	next = n == outlen - 1 ? fgetc(f) : EOF;
	more = next != EOF;
	fclose(f);
	for (end = 0; end < n && out[end] != '\n' && out[end] != '\r'; end++)
		;
	if (end == n && more && next != '\n' && next != '\r') {
		out[0] = '\0';
		return sf_err_set(err, SF_E_ARG, "token file %s: the first line is longer than %zu bytes",
				  path, outlen - 1);
	}
	for (lo = 0; lo < end && is_blank(out[lo]); lo++)
		;
	for (hi = end; hi > lo && is_blank(out[hi - 1]); hi--)
		;
	if (lo == hi) {
		size_t i;

		for (i = 0; i < n && (is_blank(out[i]) || out[i] == '\n' || out[i] == '\r'); i++)
			;
		out[0] = '\0';
		if (n == 0)
			return sf_err_set(err, SF_E_ARG, "token file %s is empty", path);
		if (i == n && !more)
			return sf_err_set(err, SF_E_ARG,
					  "token file %s holds only blanks (spaces, tabs, empty lines): "
					  "no token", path);
		return sf_err_set(err, SF_E_ARG,
				  "token file %s: the first line is blank (the token must be on the "
				  "first line)", path);
	}
	for (size_t i = lo; i < hi; i++) {
		unsigned char ch = (unsigned char)out[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			out[0] = '\0';
			return sf_err_set(err, SF_E_ARG,
					  "token file %s: byte 0x%02x at offset %zu is not text (store "
					  "the token encoded, e.g. with base64)", path, ch, i);
		}
	}
	if (hi - lo > AUTH_TOKEN_MAX) {
		out[0] = '\0';
		return sf_err_set(err, SF_E_ARG, "token file %s: the token is %zu bytes long, more "
				  "than the %d allowed (refused, not cut)", path, hi - lo,
				  AUTH_TOKEN_MAX);
	}
	memmove(out, out + lo, hi - lo);
	out[hi - lo] = '\0';
	return 0;
}

static int read_token_file(const char *path, char *out, size_t outlen, struct sf_err *err)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return sf_err_set(err, SF_E_IO, "token file %s: %s", path, strerror(errno));
	return read_token(f, path, out, outlen, err);
}

int auth_load_token(const struct dcfg *c, char *out, size_t outlen, char *source,
		    size_t srclen, struct sf_err *err)
{
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char path[600];
	int rc;

	if (!outlen)
		return sf_err_set(err, SF_E_ARG, "no room for a token");
	out[0] = '\0';
	if (source && srclen)
		source[0] = '\0';
	if (c->token_file[0]) {
		rc = read_token_file(c->token_file, out, outlen, err);
		if (!rc && source)
			snprintf(source, srclen, "token file %s", c->token_file);
		return rc;
	}
	if (c->token[0]) {
		/* the same rules as a token file: blanks around it dropped
		 * (libinih drops them too), text only, never cut */
		size_t lo = 0, hi = strlen(c->token);

		while (lo < hi && is_blank(c->token[lo]))
			lo++;
		while (hi > lo && is_blank(c->token[hi - 1]))
			hi--;
		if (lo == hi)
			return sf_err_set(err, SF_E_ARG, "config key [auth] token holds only blanks: "
					  "no token");
		for (size_t i = lo; i < hi; i++) {
			unsigned char ch = (unsigned char)c->token[i];
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return sf_err_set(err, SF_E_ARG, "config key [auth] token: byte 0x%02x "
						  "is not text", ch);
		}
		if (hi - lo > AUTH_TOKEN_MAX)
			return sf_err_set(err, SF_E_ARG, "config key [auth] token is %zu bytes long, "
					  "more than the %d allowed (refused, not cut)", hi - lo,
					  AUTH_TOKEN_MAX);
		if (hi - lo >= outlen)
			return sf_err_set(err, SF_E_ARG, "config key [auth] token is longer than %zu bytes",
					  outlen - 1);
		memcpy(out, c->token + lo, hi - lo);
		out[hi - lo] = '\0';
		if (source)
			snprintf(source, srclen, "config key [auth] token");
		return 0;
	}
	if (cred && *cred) {
		if ((size_t)snprintf(path, sizeof(path), "%s/token", cred) >= sizeof(path))
			return sf_err_set(err, SF_E_ARG, "CREDENTIALS_DIRECTORY is too long (%zu bytes)",
					  strlen(cred));
		FILE *f = fopen(path, "rb");
		if (!f) {
			if (errno == ENOENT)
				return 0; /* no credential named token: fine */
			return sf_err_set(err, SF_E_IO, "token file %s: %s", path, strerror(errno));
		}
		rc = read_token(f, path, out, outlen, err);
		if (!rc && source)
			snprintf(source, srclen, "systemd credential %s", path);
		return rc;
	}
	return 0;
}

int auth_check_rules(const char *token, int loopback, const char *listen, struct sf_err *err)
{
	size_t n = token ? strlen(token) : 0;

	if (n > AUTH_TOKEN_MAX)
		return sf_err_set(err, SF_E_ARG, "the token is %zu bytes long, more than the %d "
				  "allowed", n, AUTH_TOKEN_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)token[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return sf_err_set(err, SF_E_ARG, "the token holds byte 0x%02x, which is not "
					  "text", ch);
	}
	if (loopback || n == 0 || n >= AUTH_TOKEN_MIN_REMOTE)
		return 0; /* no token at all on a public address: the caller's message */
	return sf_err_set(err, SF_E_ARG, "refusing to listen on %s with a token of %zu "
			  "characters: a listen address that is not loopback needs a token of at "
			  "least %d characters (make one with head -c 32 /dev/urandom | base64)",
			  listen, n, AUTH_TOKEN_MIN_REMOTE);
}

void auth_configure(struct auth *a, const char *token, int protect_reads, int protect_memory)
{
	pthread_mutex_lock(&a->lock);
	a->has_token = token && *token;
	if (a->has_token)
		sha256_buf((const uint8_t *)token, strlen(token), a->digest, NULL);
	else
		memset(a->digest, 0, sizeof(a->digest));
	a->protect_reads = protect_reads;
	a->protect_memory = protect_memory;
	memset(a->fails, 0, sizeof(a->fails));
	pthread_mutex_unlock(&a->lock);
}

/* The client's slot, brought up to date; with create, a new one (taking
 * the slot that has recovered most, so the table stays bounded). Called
 * with the lock held. */
static struct fail_slot *fail_slot(struct auth *a, const char *client, int64_t now, int create)
{
	struct fail_slot *f = NULL, *spare = NULL;
	const int64_t full = (int64_t)AUTH_FAIL_BURST * 1000;

	for (size_t i = 0; i < AUTH_FAIL_SLOTS; i++) {
		struct fail_slot *s = &a->fails[i];
		if (s->client[0]) {
			s->tokens_m += (now - s->at_ms) * 1000 / AUTH_FAIL_REFILL_MS;
			s->at_ms = now;
			if (s->tokens_m >= full) { /* recovered: forget it */
				s->tokens_m = full;
				if (!s->refused)
					s->client[0] = '\0';
			}
		}
		if (s->client[0] && !strcmp(s->client, client))
			f = s;
		else if (!spare || !s->client[0] || (spare->client[0] && s->tokens_m > spare->tokens_m))
			spare = s;
	}
	if (f || !create || !spare)
		return f;
	memset(spare, 0, sizeof(*spare));
	snprintf(spare->client, sizeof(spare->client), "%s", client);
	spare->tokens_m = full;
	spare->at_ms = now;
	return spare;
}

enum auth_result auth_check(struct auth *a, const char *authorization, enum auth_level level,
			    const char *client, unsigned *retry_s)
{
	uint8_t want[32], got[32];
	unsigned diff = 0;
	int has, needed;
	const char *tok;
	size_t len;
	int64_t now = clock_mono_ms();
	struct fail_slot *f;

	if (retry_s)
		*retry_s = 0;
	pthread_mutex_lock(&a->lock);
	has = a->has_token;
	needed = level == AUTH_LEVEL_WRITE || a->protect_reads ||
		 (level == AUTH_LEVEL_MEMORY && a->protect_memory);
	memcpy(want, a->digest, sizeof(want));
	f = has && needed && client ? fail_slot(a, client, now, 0) : NULL;
	if (f && f->tokens_m < 1000) {
		/* out of attempts: refused without looking at the token */
		unsigned wait = (unsigned)((1000 - f->tokens_m) * AUTH_FAIL_REFILL_MS / 1000000 + 1);
		if (f->refused++ == 0)
			dlog(DLOG_WARNING, "auth: %s sent %d wrong tokens in a row; refusing its "
			     "requests unchecked for %u s", client, AUTH_FAIL_BURST, wait);
		pthread_mutex_unlock(&a->lock);
		if (retry_s)
			*retry_s = wait;
		return AUTH_LIMITED;
	}
	pthread_mutex_unlock(&a->lock);

	if (!has || !needed)
		return AUTH_OK; /* no token configured (only allowed on loopback) */
	if (!authorization)
		return AUTH_MISSING;
	if (strncasecmp(authorization, "Bearer ", 7) == 0) {
		tok = authorization + 7;
		while (is_blank(*tok))
			tok++;
		len = strlen(tok);
		while (len && is_blank(tok[len - 1]))
			len--; /* a trailing blank is not part of the token */
		sha256_buf((const uint8_t *)tok, len, got, NULL);
		for (size_t i = 0; i < sizeof(want); i++)
			diff |= (unsigned)(want[i] ^ got[i]);
		if (len && diff == 0) {
			if (client) {
				pthread_mutex_lock(&a->lock);
				f = fail_slot(a, client, now, 0);
				if (f)
					memset(f, 0, sizeof(*f));
				pthread_mutex_unlock(&a->lock);
			}
			return AUTH_OK;
		}
	}
	if (client) {
		pthread_mutex_lock(&a->lock);
		f = fail_slot(a, client, now, 1);
		if (f) {
			unsigned refused = f->refused;
			f->tokens_m -= 1000;
			f->refused = 0;
			dlog(DLOG_WARNING, "auth: wrong token from %s (%lld more tries before it is "
			     "slowed down%s)", client, (long long)(f->tokens_m / 1000),
			     refused ? ", after requests refused unchecked" : "");
		}
		pthread_mutex_unlock(&a->lock);
	}
	return AUTH_WRONG;
}

int auth_allow(struct auth *a, const char *authorization, int write)
{
	return auth_check(a, authorization, write ? AUTH_LEVEL_WRITE : AUTH_LEVEL_READ, NULL,
			  NULL) == AUTH_OK;
}
