// SPDX-License-Identifier: GPL-2.0-or-later
#include "reqbody.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/parse.h"
#include "../common/utf8.h"

/* The messages quote client text (a key, a scope, a cut JSON error):
 * store them as valid UTF-8 so that every reply built from them is JSON. */
static int body_err(struct sf_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int body_err(struct sf_err *err, int code, const char *fmt, ...)
{
	char raw[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (err) {
		err->code = code;
		utf8_clean(err->msg, sizeof(err->msg), raw, UTF8_ESCAPE, 0);
	}
	return code;
}

int web_body_image_ref(const char *body, size_t len, char sha[65], struct sf_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, 0, &je);
	const char *ref = json_string_value(json_object_get(j, "image"));
	int rc = 0;

	if (!ref || json_object_size(j) != 1) {
		rc = body_err(err, SF_E_ARG,
			      "JSON body must be exactly {\"image\": \"sha256:<64 hex digits>\"}%s%s",
			      j ? "" : ": ", j ? "" : je.text);
	} else {
		if (!strncmp(ref, "sha256:", 7))
			ref += 7;
		if (!parse_is_sha256_hex(ref))
			rc = body_err(err, SF_E_NOTFOUND, "no uploaded image sha256:%.64s", ref);
		else
			memcpy(sha, ref, 65);
	}
	json_decref(j);
	return rc;
}

int web_body_object(const char *body, size_t len, const char *const *allowed, json_t **out,
		    struct sf_err *err)
{
	json_error_t je;
	const char *key;
	json_t *v;

	*out = NULL;
	if (!len)
		return 0;
	*out = json_loadb(body, len, 0, &je);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return body_err(err, SF_E_ARG, "body is not a JSON object%s%s",
				je.text[0] ? ": " : "", je.text);
	}
	json_object_foreach(*out, key, v) {
		size_t k;
		for (k = 0; allowed[k] && strcmp(allowed[k], key); k++)
			;
		if (!allowed[k]) {
			body_err(err, SF_E_ARG, "unknown key '%.60s' in the JSON body (%s%s)", key,
				 allowed[0] ? "allowed: " : "it takes none",
				 allowed[0] ? allowed[0] : "");
			json_decref(*out);
			*out = NULL;
			return SF_E_ARG;
		}
	}
	return 0;
}

int web_body_erase_scope(const json_t *body, const char *query_scope, int *erase_uicr,
			 struct sf_err *err)
{
	const json_t *js = json_object_get(body, "scope");
	const char *scope;

	if (js && !json_is_string(js)) {
		const char *what = json_is_null(js) ? "null" : json_is_array(js) ? "array"
				   : json_is_object(js) ? "object" : json_is_number(js) ? "number"
				   : "boolean";
		return body_err(err, SF_E_ARG,
				"scope must be the string \"chip\" or \"uicr\" (got a JSON %s)", what);
	}
	scope = js ? json_string_value(js) : query_scope;
	if (!scope)
		scope = "chip"; /* no scope at all: the documented default */
	if (!strcmp(scope, "chip"))
		*erase_uicr = 0;
	else if (!strcmp(scope, "uicr"))
		*erase_uicr = 1;
	else
		return body_err(err, SF_E_ARG, "scope '%.60s': use \"chip\" or \"uicr\"", scope);
	return 0;
}

int web_body_halt(const json_t *body, int *halt, struct sf_err *err)
{
	const json_t *jh = json_object_get(body, "halt");

	if (!jh)
		return 0;
	if (!json_is_boolean(jh))
		return body_err(err, SF_E_ARG, "halt must be true or false in the JSON body");
	*halt = json_is_true(jh);
	return 0;
}
