// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON request bodies of the API (web/reqbody.c): the flash-by-
 * reference body, the small object of erase/reset/recover, erase scope and
 * reset halt. Errors are SF_E_ARG (SF_E_NOTFOUND for a bad image name) with
 * a valid UTF-8 message (it becomes a JSON reply); success gives only the
 * documented values. */
#include "fuzz.h"
#include "../../common/parse.h"
#include "../../common/utf8.h"
#include "../../web/reqbody.h"

static void check_fail(int rc, const struct sf_err *err)
{
	fz_check_err(rc, err);
	FZ_ASSERT(rc == SF_E_ARG || rc == SF_E_NOTFOUND, "code %d", rc);
	FZ_ASSERT(utf8_valid(err->msg), "message is not UTF-8: %s", err->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const erase_keys[] = { "scope", NULL }, *const reset_keys[] = {
		"halt", NULL }, *const none[] = { NULL };
	const char *body = (const char *)data;
	struct sf_err err = { 0 };
	char sha[65] = "";
	json_t *o;
	int rc, v;

	rc = web_body_image_ref(body, size, sha, &err);
	if (rc)
		check_fail(rc, &err);
	else
		FZ_ASSERT(parse_is_sha256_hex(sha), "image ref '%s'", sha);

	memset(&err, 0, sizeof(err));
	rc = web_body_object(body, size, erase_keys, &o, &err);
	if (rc) {
		check_fail(rc, &err);
		FZ_ASSERT(!o, "an object is left after an error");
	} else {
		FZ_ASSERT(!size == !o, "empty body %zu, object %p", size, (void *)o);
		FZ_ASSERT(!o || json_object_size(o) <= 1, "keys beyond scope");
		/* the query is used only when the body has no scope */
		v = -1;
		rc = web_body_erase_scope(o, "uicr", &v, &err);
		if (rc)
			check_fail(rc, &err);
		else
			FZ_ASSERT(v == 0 || v == 1, "erase_uicr %d", v);
		json_decref(o);
	}

	memset(&err, 0, sizeof(err));
	rc = web_body_object(body, size, reset_keys, &o, &err);
	if (rc) {
		check_fail(rc, &err);
	} else {
		v = 7;
		rc = web_body_halt(o, &v, &err);
		if (rc)
			check_fail(rc, &err);
		else
			FZ_ASSERT(v == 0 || v == 1 || (v == 7 && !json_object_get(o, "halt")),
				  "halt %d", v);
		json_decref(o);
	}

	memset(&err, 0, sizeof(err));
	rc = web_body_object(body, size, none, &o, &err);
	if (rc)
		check_fail(rc, &err);
	else
		FZ_ASSERT(!o || json_object_size(o) == 0, "keys accepted where none are allowed");
	json_decref(o);
	return 0;
}
