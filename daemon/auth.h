// SPDX-License-Identifier: GPL-2.0-or-later
/* auth: the bearer token that guards every request that changes anything
 * (and reads too, when protect_reads is set).
 *
 * The token comes from, in this order: token_file (the --token-file flag or
 * the config key), the config key `token`, or the systemd credential
 * $CREDENTIALS_DIRECTORY/token. Comparison is constant-time (both sides are
 * hashed with SHA-256 first, so neither content nor length leaks). The
 * token can be replaced at run time (SIGHUP); access is thread-safe. */
#ifndef DAEMON_AUTH_H
#define DAEMON_AUTH_H

#include <stddef.h>

#include "../common/err.h"
#include "config.h"

struct auth;

struct auth *auth_new(void);
void auth_free(struct auth *a);

/* Find the token as described above. *out is set to "" when there is none.
 * source (may be NULL) receives where it came from. The token is the first
 * line of the file, spaces and tabs around it dropped. A token file that
 * cannot be read, is empty, holds only blanks, has a blank first line, a
 * first line longer than outlen - 1 bytes, or NUL/control bytes in the
 * token is an error naming the file (SF_E_IO when it cannot be read,
 * SF_E_ARG otherwise): it never silently means "no token". */
int auth_load_token(const struct dcfg *c, char *out, size_t outlen, char *source,
		    size_t srclen, struct sf_err *err);

/* The longest token any source may hold (longer ones are refused, never
 * cut), and the shortest one a non-loopback listen accepts. */
#define AUTH_TOKEN_MAX 256
#define AUTH_TOKEN_MIN_REMOTE 16

/* The token rules that do not depend on its source: at most
 * AUTH_TOKEN_MAX bytes, text (no control bytes), and on a listen address
 * that is not loopback, present and at least AUTH_TOKEN_MIN_REMOTE bytes.
 * 0, or SF_E_ARG with a message naming the rule and listen. */
int auth_check_rules(const char *token, int loopback, const char *listen, struct sf_err *err);

/* Set (or clear with NULL / "") the token, whether reads need it, and
 * whether memory reads (chip flash, keys) need it. */
void auth_configure(struct auth *a, const char *token, int protect_reads, int protect_memory);

enum auth_level {
	AUTH_LEVEL_READ,   /* needs the token when reads are protected */
	AUTH_LEVEL_MEMORY, /* ... or when memory reads are (the default) */
	AUTH_LEVEL_WRITE,  /* needs it whenever a token is configured */
};

enum auth_result {
	AUTH_OK,
	AUTH_MISSING,      /* needed, and no Authorization header */
	AUTH_WRONG,        /* a wrong token (or not a Bearer one) */
	AUTH_LIMITED,      /* too many wrong tokens from this client: not checked */
};

/* Whether a request with this Authorization header value may proceed.
 * Blanks after "Bearer" and at the end of the value are ignored. client
 * (may be NULL: no rate limit) names where the request came from; wrong
 * tokens are logged with it, and after AUTH_FAIL_BURST of them a client
 * gets AUTH_LIMITED, without the token being looked at, until its bucket
 * refills (one attempt per AUTH_FAIL_REFILL_MS); *retry_s (may be NULL)
 * then says when. Nothing sleeps: other clients are never held up. A
 * right token forgets the client's failures. */
#define AUTH_FAIL_BURST 5
#define AUTH_FAIL_REFILL_MS 1000
#define AUTH_FAIL_SLOTS 64
enum auth_result auth_check(struct auth *a, const char *authorization, enum auth_level level,
			    const char *client, unsigned *retry_s);

/* auth_check without a client: 1 when the request may proceed.
 * write: the request changes something. */
int auth_allow(struct auth *a, const char *authorization, int write);

#endif
