// SPDX-License-Identifier: GPL-2.0-or-later
#include "api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/dlog.h"
#include "../common/errmap.h"
#include "../common/parse.h"
#include "../common/utf8.h"
#include "../daemon/flashreq.h"
#include "../daemon/memdump.h"
#include "reqbody.h"

#define API_DEFAULT_LIST 100

/* ---- option parsing ----
 *
 * Every endpoint names the options it takes; anything else in the query
 * (or in a multipart form beside 'firmware') is a 400 naming it, and so is
 * an option given twice or a value outside its allowed set: nothing falls
 * back to a default. Numbers go through common/parse.c (decimal, or hex
 * with 0x; "010" is ten). */

/* 0 when the query holds only allowed options; else replies 400 and
 * returns 1 with *ret set. */
static int args_ok(struct web_request *r, const char *const *allowed, enum MHD_Result *ret)
{
	return web_req_args_refused(r, allowed, ret);
}

static int parse_bool_opt(struct web_request *r, const char *key, int *out)
{
	const char *v = web_req_query(r, key);

	if (!v)
		return 0;
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !*v)
		*out = 1;
	else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* A boolean option that is wrong: 400 naming it and the value. */
static enum MHD_Result bad_bool(struct web_request *r, const char *key)
{
	return web_reply_code(r, SF_E_ARG, "%s '%.60s': use 1 or 0 (true/false, yes/no)", key,
			      web_req_query(r, key));
}


/* Fills opts from the query (or small form fields). On error replies and
 * returns 1 with *ret set. */
static int flash_options(struct web_request *r, struct job_options *o, int *wait,
			 int *base_set, enum MHD_Result *ret)
{
	const char *v;
	char names[64];

	static const char *const allowed[] = { "format", "base", "erase", "verify", "reset",
					       "recover", "full", "name", "wait", NULL };

	job_options_default(o);
	*wait = 0;
	if (args_ok(r, allowed, ret))
		return 1;
	v = web_req_query(r, "format");
	if (v) {
		int f = flashreq_format_from_name(v);
		if (f < 0) {
			flashreq_format_list(names, sizeof(names));
			*ret = web_reply_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unknown_format",
					       "unknown format '%s' (use %s)", v, names);
			return 1;
		}
		o->format = (enum img_format)f;
	}
	v = web_req_query(r, "base");
	if (v && parse_u32(v, &o->base)) {
		*ret = web_reply_error(r, 400, "bad_argument",
				       "base '%.60s' is not a 32-bit number (decimal, or hex with 0x)",
				       v);
		return 1;
	}
	*base_set = v != NULL;
	v = web_req_query(r, "erase");
	if (v) {
		int e = flashreq_erase_from_name(v);
		if (e < 0) {
			flashreq_erase_list(names, sizeof(names));
			*ret = web_reply_error(r, 400, "bad_argument", "erase '%s': use %s", v, names);
			return 1;
		}
		o->erase = (enum nrf52_erase_mode)e;
	}
	/* verify=read: verify by reading back (no on-target CRC); verify=auto:
	 * the default; else a boolean */
	v = web_req_query(r, "verify");
	if (v && (!strcmp(v, "read") || !strcmp(v, "auto"))) {
		o->verify = 1;
		o->verify_mode = !strcmp(v, "read") ? NRF52_VERIFY_READ : NRF52_VERIFY_AUTO;
	} else if (parse_bool_opt(r, "verify", &o->verify)) {
		*ret = web_reply_code(r, SF_E_ARG, "verify '%.60s': use 1 or 0 (true/false, "
				      "yes/no), read or auto", v);
		return 1;
	}
	static const char *const keys[] = { "reset", "wait", "recover", "full" };
	int *dst[] = { &o->reset, wait, &o->recover, &o->full_write };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (parse_bool_opt(r, keys[i], dst[i])) {
			*ret = bad_bool(r, keys[i]);
			return 1;
		}
	}
	return 0;
}

static enum MHD_Result reply_swd(struct web_request *r, const struct sf_err *e)
{
	int code = e->code ? e->code : SF_E_IO;

	return web_reply_error(r, (unsigned)errmap_http_status(code), sf_err_name(code), "%s",
			       e->msg[0] ? e->msg : sf_err_name(code));
}

/* How often a ?wait=1 handler looks whether its client is still there. */
#define API_WAIT_SLICE_MS 200U

/* 1 when the client of this connection has gone (closed or reset its
 * socket). Pipelined bytes are left where they are (MSG_PEEK). With one
 * thread per connection nobody else reads the socket meanwhile. */
static int client_gone(struct web_request *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(web_req_connection(r),
		MHD_CONNECTION_INFO_CONNECTION_FD);
	char c;
	ssize_t n;

	if (!ci)
		return 0;
	n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return 1;
	return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

/* Answer for a queued job: 202 + Location, or wait for its end. The wait
 * is in slices: a client that went away frees its thread (the job goes on). */
static enum MHD_Result reply_job(struct web_api *api, struct web_request *r, uint64_t id,
				 json_t *snap, int wait)
{
	char loc[64];
	int code = 0;

	snprintf(loc, sizeof(loc), "/api/v1/jobs/%" PRIu64, id);
	web_req_add_header(r, "Location", loc);
	if (!wait)
		return web_reply_json(r, MHD_HTTP_ACCEPTED, snap);
	json_decref(snap);
	/* the connection idles while the job runs: no inactivity timeout */
	MHD_set_connection_option(web_req_connection(r), MHD_CONNECTION_OPTION_TIMEOUT, 0U);
	for (;;) {
		int rc = job_wait(api->jobs, id, API_WAIT_SLICE_MS, &snap, &code);
		if (!snap)
			return web_reply_error(r, 500, "io_error", "job %" PRIu64 " vanished", id);
		if (rc == SF_E_NOTARGET)  /* the daemon stopped without its worker */
			return web_reply_json(r, (unsigned)errmap_http_status(rc), snap);
		if (rc != SF_E_TIMEOUT)
			break;
		json_decref(snap);
		if (client_gone(r)) {
			dlog(DLOG_INFO, "job %" PRIu64 ": the client waiting for it went away; "
			     "the job goes on", id);
			return MHD_NO;  /* closes the connection, ends its thread */
		}
	}
	return web_reply_json(r, code ? (unsigned)errmap_http_status(code) : MHD_HTTP_OK, snap);
}

/* A display name from the client: the last path component, as valid
 * UTF-8 (bytes that are not become U+FFFD), no control characters, cut
 * only between characters. */
static void sanitize_name(char *dst, size_t n, const char *src)
{
	const char *slash = strrchr(src, '/'), *bs;

	if (slash)
		src = slash + 1;
	bs = strrchr(src, '\\');
	if (bs)
		src = bs + 1;
	utf8_clean(dst, n, src, UTF8_REPLACE, 1);
}

/* ---- POST /api/v1/flash ---- */

static enum MHD_Result h_flash(void *user, struct web_request *r)
{
	struct web_api *api = user;
	struct job_options o;
	struct job_image ji;
	struct store_meta meta;
	struct img img;
	struct sf_err err = { 0 };
	struct job_target t;
	struct flashreq rq = { .recover_hint = "add recover=1" };
	struct flashreq_target ft;
	const uint8_t *data = NULL;
	size_t len = 0;
	int wait, base_set = 0, fd = -1, rc, stored_before = 1;
	const char *tmp_path = NULL, *filename = NULL;
	uint64_t size = 0, id = 0;
	enum MHD_Result ret;
	unsigned retry = 0;
	json_t *snap = NULL;
	char path[700];

	memset(&img, 0, sizeof(img));
	memset(&ji, 0, sizeof(ji));
	memset(&meta, 0, sizeof(meta));
	if (flash_options(r, &o, &wait, &base_set, &ret))
		return ret;

	if (web_req_upload_kind(r) == WEB_UPLOAD_JSON) {
		size_t blen;
		const char *body = web_req_body(r, &blen);
		char sha[65];

		rc = web_body_image_ref(body, blen, sha, &err);
		if (rc)
			return reply_swd(r, &err);
		if (store_lookup(api->store, sha, &meta))
			return web_reply_error(r, 404, "not_found", "no uploaded image sha256:%s", sha);
		rq.stored_format = meta.format;
		rq.stored_has_base = meta.has_base;
		rq.stored_base = meta.base;
		store_path(api->store, meta.sha256, path, sizeof(path));
		snprintf(ji.name, sizeof(ji.name), "%s", meta.name);
		tmp_path = NULL;
	} else {
		if (web_req_upload(r, &fd, &tmp_path, &size, &filename))
			return web_reply_error(r, 400, "bad_argument", "no firmware in the request");
		snprintf(path, sizeof(path), "%s", tmp_path);
		const char *qn = web_req_query(r, "name");
		sanitize_name(ji.name, sizeof(ji.name), qn ? qn : filename && *filename ? filename
										: "upload");
	}

	/* parse and check (flashreq.h) before anything is queued */
	rq.format = o.format;
	rq.base = o.base;
	rq.base_set = base_set;
	rq.name = ji.name;
	rq.recover = o.recover;
	o.format = flashreq_format(&rq);
	o.base = flashreq_base(&rq);
	rc = store_map_file(path, &data, &len, &err);
	if (rc)
		return reply_swd(r, &err);
	job_mgr_target(api->jobs, &t);
	ft = (struct flashreq_target){ .connected = t.connected, .error = t.error,
				       .info = &t.info };
	rc = flashreq_check(data, len, &rq, &ft, &img, &err);
	store_unmap(data, len);
	if (rc) {
		dlog(DLOG_INFO, "flash request rejected: %s: %s", ji.name, err.msg);
		return reply_swd(r, &err);
	}
	snprintf(ji.sha256, sizeof(ji.sha256), "%s", img.sha256_hex);
	snprintf(ji.format, sizeof(ji.format), "%s", flashreq_format_name(img.format));
	if (fd >= 0) {
		snprintf(meta.sha256, sizeof(meta.sha256), "%s", img.sha256_hex);
		meta.size = size;
		snprintf(meta.format, sizeof(meta.format), "%s", ji.format);
		snprintf(meta.name, sizeof(meta.name), "%s", ji.name);
		if (img.nseg) {
			meta.first = img.seg[0].addr;
			meta.last = img.seg[img.nseg - 1].addr + img.seg[img.nseg - 1].len;
		}
		meta.uploaded_ms = store_now_ms();
		if (img.format == IMG_BIN) {
			meta.has_base = 1;
			meta.base = o.base;
		}
		struct store_meta had;
		stored_before = store_lookup(api->store, meta.sha256, &had) == 0;
		web_req_upload_release(r); /* store_commit owns fd and the file now */
		rc = store_commit(api->store, fd, tmp_path, &meta, &err);
		if (rc) {
			flashreq_image_free(&img);
			dlog(DLOG_ERR, "image store: %s", err.msg);
			return reply_swd(r, &err);
		}
	}
	store_path(api->store, ji.sha256, ji.path, sizeof(ji.path));
	rc = job_submit(api->jobs, JOB_FLASH, &o, &img, &ji, &id, &snap, &retry, &err);
	flashreq_image_free(&img);
	if (rc && !stored_before)
		store_remove(api->store, ji.sha256); /* a refused upload leaves nothing */
	if (rc) {
		if (rc == SF_E_BUSY && retry) {
			char ra[16];
			snprintf(ra, sizeof(ra), "%u", retry);
			web_req_add_header(r, "Retry-After", ra);
			return web_reply_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "queue_full", "%s", err.msg);
		}
		if (rc == SF_E_NOTARGET)
			return web_reply_error(r, 503, "unavailable", "%s", err.msg);
		return reply_swd(r, &err);
	}
	return reply_job(api, r, id, snap, wait);
}

/* ---- jobs ---- */

static int parse_id(struct web_request *r, uint64_t *id)
{
	const char *s = web_req_param(r, 0);
	uint64_t v;

	/* job ids are decimal: digits only, through common/parse.c */
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || parse_size(s, &v) || !v)
		return -1;
	*id = v;
	return 0;
}

static enum MHD_Result h_jobs(void *user, struct web_request *r)
{
	struct web_api *api = user;
	static const char *const allowed[] = { "limit", NULL };
	const char *l = web_req_query(r, "limit");
	uint32_t limit = API_DEFAULT_LIST;
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;
	if (l && (parse_u32(l, &limit) || !limit))
		return web_reply_code(r, SF_E_ARG, "limit must be a positive number");
	return web_reply_json(r, 200, json_pack("{s:o}", "jobs", job_list(api->jobs, limit)));
}

static enum MHD_Result h_job(void *user, struct web_request *r)
{
	struct web_api *api = user;
	static const char *const allowed[] = { NULL };
	uint64_t id;
	json_t *o;
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;
	if (parse_id(r, &id))
		return web_reply_code(r, SF_E_NOTFOUND, "no job '%s'", web_req_param(r, 0));
	o = job_get(api->jobs, id);
	if (!o)
		return web_reply_code(r, SF_E_NOTFOUND, "no job %" PRIu64, id);
	return web_reply_json(r, 200, o);
}

static enum MHD_Result h_job_delete(void *user, struct web_request *r)
{
	struct web_api *api = user;
	static const char *const allowed[] = { NULL };
	uint64_t id;
	json_t *snap = NULL;
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;
	if (parse_id(r, &id))
		return web_reply_code(r, SF_E_NOTFOUND, "no job '%s'", web_req_param(r, 0));
	switch (job_cancel(api->jobs, id, &snap)) {
	case JOB_CANCEL_DONE:
		return web_reply_json(r, 200, snap);
	case JOB_CANCEL_REQUESTED:
		return web_reply_json(r, 202, snap);
	case JOB_CANCEL_FINISHED: {
		const char *st = json_string_value(json_object_get(snap, "state"));
		enum MHD_Result r2 = web_reply_code(r, SF_E_ENDED,
			"job %" PRIu64 " already ended (%s)", id, st ? st : "?");
		json_decref(snap);
		return r2;
	}
	case JOB_CANCEL_NOT_FOUND:
		break;
	}
	json_decref(snap);
	return web_reply_code(r, SF_E_NOTFOUND, "no job %" PRIu64, id);
}

/* ---- target ---- */

static enum MHD_Result h_target(void *user, struct web_request *r)
{
	struct web_api *api = user;
	struct job_target t;
	static const char *const allowed[] = { NULL };
	unsigned queued;
	uint64_t running;
	json_t *o;
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;
	job_mgr_target(api->jobs, &t);
	job_mgr_counts(api->jobs, &queued, &running);
	o = job_target_json(&t);
	json_object_set_new(o, "station", json_string(api->station));
	json_object_set_new(o, "queued_jobs", json_integer(queued));
	json_object_set_new(o, "running_job", running ? json_integer((json_int_t)running)
						      : json_null());
	return web_reply_json(r, 200, o);
}

/* recover / erase / reset: jobs too (history), waited for unless wait=0 */
static enum MHD_Result target_op(struct web_api *api, struct web_request *r, enum job_kind kind,
				 struct job_options *o)
{
	struct sf_err err = { 0 };
	uint64_t id;
	json_t *snap = NULL;
	unsigned retry = 0;
	int wait = 1;

	if (parse_bool_opt(r, "wait", &wait))
		return bad_bool(r, "wait");
	if (job_submit(api->jobs, kind, o, NULL, NULL, &id, &snap, &retry, &err)) {
		if (err.code == SF_E_NOTARGET)
			return web_reply_error(r, 503, "unavailable", "%s", err.msg);
		return reply_swd(r, &err);
	}
	return reply_job(api, r, id, snap, wait);
}

/* Small JSON body for target operations; NULL (no error) when empty. An
 * object whose keys are all in allowed (NULL-terminated), and the query
 * holds only allowed_query. */
static int small_json(struct web_request *r, const char *const *allowed,
		      const char *const *allowed_query, json_t **out, enum MHD_Result *ret)
{
	struct sf_err err = { 0 };
	size_t len;
	const char *b = web_req_body(r, &len);
	const char *key;
	json_t *v;

	*out = NULL;
	if (args_ok(r, allowed_query, ret))
		return 1;
	if (web_body_object(b, len, allowed, out, &err)) {
		*ret = web_reply_code(r, err.code, "%s", err.msg);
		return 1;
	}
	json_object_foreach(*out, key, v) {
		if (web_req_query(r, key)) {
			*ret = web_reply_code(r, SF_E_ARG,
					      "'%.60s' given both in the query and in the JSON body", key);
			json_decref(*out);
			*out = NULL;
			return 1;
		}
	}
	return 0;
}

static enum MHD_Result h_recover(void *user, struct web_request *r)
{
	static const char *const keys[] = { NULL }, *const query[] = { "wait", NULL };
	struct job_options o;
	json_t *body;
	enum MHD_Result ret;

	job_options_default(&o);
	if (small_json(r, keys, query, &body, &ret))
		return ret;
	json_decref(body);
	return target_op(user, r, JOB_RECOVER, &o);
}

static enum MHD_Result h_erase(void *user, struct web_request *r)
{
	static const char *const keys[] = { "scope", NULL };
	static const char *const query[] = { "scope", "wait", NULL };
	struct sf_err err = { 0 };
	struct job_options o;
	json_t *body;
	enum MHD_Result ret;
	int rc;

	job_options_default(&o);
	if (small_json(r, keys, query, &body, &ret))
		return ret;
	rc = web_body_erase_scope(body, web_req_query(r, "scope"), &o.erase_uicr, &err);
	json_decref(body);
	if (rc)
		return web_reply_code(r, err.code, "%s", err.msg);
	return target_op(user, r, JOB_ERASE, &o);
}

static enum MHD_Result h_reset(void *user, struct web_request *r)
{
	static const char *const keys[] = { "halt", NULL };
	static const char *const query[] = { "halt", "wait", NULL };
	struct sf_err err = { 0 };
	struct job_options o;
	json_t *body;
	enum MHD_Result ret;
	int rc;

	job_options_default(&o);
	o.halt = 0;
	if (small_json(r, keys, query, &body, &ret))
		return ret;
	rc = web_body_halt(body, &o.halt, &err);
	json_decref(body);
	if (rc)
		return web_reply_code(r, err.code, "%s", err.msg);
	if (parse_bool_opt(r, "halt", &o.halt))
		return bad_bool(r, "halt");
	return target_op(user, r, JOB_RESET, &o);
}

static size_t stream_read(void *cls, char *out, size_t max)
{
	return memdump_read(cls, out, max);
}

static void stream_free(void *cls)
{
	memdump_free(cls);
}

static enum MHD_Result h_memory(void *user, struct web_request *r)
{
	struct web_api *api = user;
	const char *a = web_req_query(r, "address"), *l = web_req_query(r, "length");
	const char *fmt = web_req_query(r, "format");
	static const char *const allowed[] = { "address", "length", "format", NULL };
	uint32_t addr, len;
	uint8_t *buf = NULL;
	struct sf_err err = { 0 };
	int fmtc = MEMDUMP_BIN;
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;
	if (!a || !l || parse_u32(a, &addr) || parse_u32(l, &len) || !len)
		return web_reply_code(r, SF_E_ARG,
				      "address and length are required numbers (e.g. address=0x1000&length=256)");
	if (fmt && (fmtc = memdump_format_from_name(fmt)) < 0)
		return web_reply_code(r, SF_E_ARG, "format '%.60s': use bin or hex", fmt);
	if (len > api->max_read_bytes)
		return web_reply_code(r, SF_E_ARG,
				      "length %" PRIu32 " exceeds max_read_bytes (%" PRIu64 ")", len,
				      api->max_read_bytes);
	if ((uint64_t)addr + len > 0x100000000ULL)
		return web_reply_code(r, SF_E_ARG, "range wraps past 4 GiB");
	/* the bytes read stay in memory until the client has read the reply
	 * (its text is made as it goes): reserved before the chip is read */
	if (web_req_hold(r, (uint64_t)len + MEMDUMP_OVERHEAD, &ret))
		return ret;
	if (job_read_memory(api->jobs, addr, len, &buf, &err))
		return reply_swd(r, &err);
	struct memdump *d;
	if (memdump_open((enum memdump_format)fmtc, addr, buf, len, &d, &err))
		return reply_swd(r, &err);
	return web_reply_stream(r, 200, memdump_content_type((enum memdump_format)fmtc),
				memdump_size(d), stream_read, stream_free, d);
}

static enum MHD_Result h_images(void *user, struct web_request *r)
{
	static const char *const allowed[] = { NULL };
	struct web_api *api = user;
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;
	json_t *a = store_list_json(api->store);

	if (!a)
		return web_reply_code(r, SF_E_NOMEM, "out of memory");
	return web_reply_json(r, 200, json_pack("{s:o}", "images", a));
}

static enum MHD_Result h_healthz(void *user, struct web_request *r)
{
	static const char *const allowed[] = { NULL };
	struct web_api *api = user;
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;

	if (api->stopping)
		return web_reply_json(r, 503, json_pack("{s:s}", "status", "stopping"));
	return web_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

int web_api_register(struct web_server *s, struct web_api *api)
{
	static const struct web_route_spec routes[] = {
		{ "GET", "/healthz", WEB_OPEN, WEB_BODY_NONE, h_healthz },
		{ "POST", "/api/v1/flash", WEB_WRITE, WEB_BODY_UPLOAD, h_flash },
		{ "GET", "/api/v1/jobs", WEB_READ, WEB_BODY_NONE, h_jobs },
		{ "GET", "/api/v1/jobs/{}", WEB_READ, WEB_BODY_NONE, h_job },
		{ "DELETE", "/api/v1/jobs/{}", WEB_WRITE, WEB_BODY_NONE, h_job_delete },
		{ "GET", "/api/v1/target", WEB_READ, WEB_BODY_NONE, h_target },
		{ "POST", "/api/v1/target/recover", WEB_WRITE, WEB_BODY_SMALL, h_recover },
		{ "POST", "/api/v1/target/erase", WEB_WRITE, WEB_BODY_SMALL, h_erase },
		{ "POST", "/api/v1/target/reset", WEB_WRITE, WEB_BODY_SMALL, h_reset },
		{ "GET", "/api/v1/target/memory", WEB_MEMORY, WEB_BODY_NONE, h_memory },
		{ "GET", "/api/v1/images", WEB_READ, WEB_BODY_NONE, h_images },
	};

	return web_routes_add(s, routes, sizeof(routes) / sizeof(routes[0]), api);
}
