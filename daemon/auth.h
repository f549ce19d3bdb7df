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

/* Set (or clear with NULL / "") the token and whether reads need it. */
void auth_configure(struct auth *a, const char *token, int protect_reads);

/* 1 when a request with this Authorization header value may proceed.
 * write: the request changes something. */
int auth_allow(struct auth *a, const char *authorization, int write);

#endif
