// SPDX-License-Identifier: GPL-2.0-or-later
/* reqbody: the JSON request bodies of the API, parsed without a server
 * (web/api.c calls these; tests/fuzz/fuzz_body.c feeds them hostile bytes).
 *
 * Every function returns 0 or SF_E_ARG (SF_E_NOTFOUND where noted) with a
 * message that is valid UTF-8 and says what was wrong. */
#ifndef WEB_REQBODY_H
#define WEB_REQBODY_H

#include <jansson.h>
#include <stddef.h>

#include "../common/err.h"

/* POST /api/v1/flash with a JSON body: exactly {"image": "sha256:<hex>"}
 * (the "sha256:" prefix is optional). sha receives the 64 lower-case hex
 * digits. A body of another shape is SF_E_ARG; an image string that is not
 * a SHA-256 name is SF_E_NOTFOUND ("no uploaded image ..."), as an unknown
 * one is for the caller. */
int web_body_image_ref(const char *body, size_t len, char sha[65], struct sf_err *err);

/* The small body of the target operations: empty (*out = NULL) or a JSON
 * object whose keys are all in allowed (NULL-terminated). *out is the
 * object on success (json_decref it), NULL on error. */
int web_body_object(const char *body, size_t len, const char *const *allowed, json_t **out,
		    struct sf_err *err);

/* Erase scope from the body object (may be NULL) or, when the body has
 * none, from the query value (may be NULL: the default "chip"). */
int web_body_erase_scope(const json_t *body, const char *query_scope, int *erase_uicr,
			 struct sf_err *err);

/* Reset "halt" from the body object (may be NULL): true or false only;
 * *halt is left alone when the body has none. */
int web_body_halt(const json_t *body, int *halt, struct sf_err *err);

#endif
