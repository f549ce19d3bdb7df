// SPDX-License-Identifier: GPL-2.0-or-later
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/sha256.h"

struct auth {
	pthread_mutex_t lock;
	int has_token;
	int protect_reads;
	uint8_t digest[32]; /* SHA-256 of the token */
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
		if (strlen(c->token) >= outlen)
			return sf_err_set(err, SF_E_ARG, "config key [auth] token is longer than %zu bytes",
					  outlen - 1);
		memcpy(out, c->token, strlen(c->token) + 1);
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

void auth_configure(struct auth *a, const char *token, int protect_reads)
{
	pthread_mutex_lock(&a->lock);
	a->has_token = token && *token;
	if (a->has_token)
		sha256_buf((const uint8_t *)token, strlen(token), a->digest, NULL);
	else
		memset(a->digest, 0, sizeof(a->digest));
	a->protect_reads = protect_reads;
	pthread_mutex_unlock(&a->lock);
}

int auth_allow(struct auth *a, const char *authorization, int write)
{
	uint8_t want[32], got[32];
	unsigned diff = 0;
	int has, protect;
	const char *tok;

	pthread_mutex_lock(&a->lock);
	has = a->has_token;
	protect = a->protect_reads;
	memcpy(want, a->digest, sizeof(want));
	pthread_mutex_unlock(&a->lock);

	if (!has)
		return 1; /* no token configured (only allowed on loopback) */
	if (!write && !protect)
		return 1;
	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return 0;
	tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	sha256_buf((const uint8_t *)tok, strlen(tok), got, NULL);
	for (size_t i = 0; i < sizeof(want); i++)
		diff |= (unsigned)(want[i] ^ got[i]);
	return diff == 0;
}
