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
 * source (may be NULL) receives where it came from. A token file that
 * exists but cannot be read or is empty is an error. */
int auth_load_token(const struct dcfg *c, char *out, size_t outlen, char *source,
		    size_t srclen, struct sf_err *err);

/* Set (or clear with NULL / "") the token and whether reads need it. */
void auth_configure(struct auth *a, const char *token, int protect_reads);
int auth_has_token(struct auth *a);

/* 1 when a request with this Authorization header value may proceed.
 * write: the request changes something. */
int auth_allow(struct auth *a, const char *authorization, int write);

#endif
