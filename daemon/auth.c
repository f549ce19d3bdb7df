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

static int read_token_file(const char *path, char *out, size_t outlen, struct sf_err *err)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return sf_err_set(err, SF_E_IO, "token file %s: %s", path, strerror(errno));
	n = fread(out, 1, outlen - 1, f);
	fclose(f);
	out[n] = '\0';
	/* the token is the first line, surrounding white space dropped */
	out[strcspn(out, "\r\n")] = '\0';
	while (n && (out[strlen(out) - 1] == ' ' || out[strlen(out) - 1] == '\t'))
		out[strlen(out) - 1] = '\0', n--;
	if (!out[0])
		return sf_err_set(err, SF_E_ARG, "token file %s is empty", path);
	return 0;
}

int auth_load_token(const struct dcfg *c, char *out, size_t outlen, char *source,
		    size_t srclen, struct sf_err *err)
{
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char path[600];
	int rc;

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
		snprintf(out, outlen, "%s", c->token);
		if (source)
			snprintf(source, srclen, "config key [auth] token");
		return 0;
	}
	if (cred && *cred) {
		snprintf(path, sizeof(path), "%s/token", cred);
		FILE *f = fopen(path, "r");
		if (!f)
			return 0; /* no credential named token: fine */
		fclose(f);
		rc = read_token_file(path, out, outlen, err);
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

int auth_has_token(struct auth *a)
{
	int r;

	pthread_mutex_lock(&a->lock);
	r = a->has_token;
	pthread_mutex_unlock(&a->lock);
	return r;
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
