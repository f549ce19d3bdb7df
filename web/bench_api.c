// SPDX-License-Identifier: GPL-2.0-or-later
/* web_bench: recipes, hands-free mode and board records over HTTP
 * (bench_api.h). */
#include "bench_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../common/parse.h"

static int args_ok(struct web_request *r, const char *const *allowed, enum MHD_Result *ret)
{
	char why[320];

	if (!web_req_check_args(r, allowed, why, sizeof(why)))
		return 0;
	*ret = web_reply_code(r, SF_E_ARG, "%s", why);
	return 1;
}

static enum MHD_Result reply_err(struct web_request *r, const struct sf_err *e)
{
	return web_reply_code(r, e->code ? e->code : SF_E_IO, "%s", e->msg);
}

static enum MHD_Result h_recipes(void *user, struct web_request *r)
{
	static const char *const allowed[] = { NULL };
	struct web_bench *b = user;
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;
	return web_reply_json(r, 200, recipes_list_json(b->recipes));
}

static enum MHD_Result h_recipe_save(void *user, struct web_request *r)
{
	static const char *const allowed[] = { NULL };
	struct web_bench *b = user;
	struct sf_err err = { 0 };
	struct recipe rec;
	json_error_t je;
	enum MHD_Result ret;
	size_t len;
	const char *body = web_req_body(r, &len);

	if (args_ok(r, allowed, &ret))
		return ret;
	json_t *o = body ? json_loadb(body, len, 0, &je) : NULL;
	if (!o)
		return web_reply_code(r, SF_E_ARG, "the body must be a JSON recipe: %s",
				      body ? je.text : "empty body");
	int rc = recipes_save(b->recipes, o, &rec, &err);
	json_decref(o);
	if (rc)
		return reply_err(r, &err);
	return web_reply_json(r, 201, recipe_to_json(&rec));
}

static enum MHD_Result h_recipe(void *user, struct web_request *r)
{
	static const char *const allowed[] = { "version", NULL };
	struct web_bench *b = user;
	struct sf_err err = { 0 };
	struct recipe rec;
	enum MHD_Result ret;
	uint32_t v = 0;
	const char *vs = web_req_query(r, "version");

	if (args_ok(r, allowed, &ret))
		return ret;
	if (vs && (parse_u32(vs, &v) || !v))
		return web_reply_code(r, SF_E_ARG, "version '%.30s' is not a number >= 1", vs);
	if (recipes_get(b->recipes, web_req_param(r, 0), v, &rec, &err))
		return reply_err(r, &err);
	return web_reply_json(r, 200, recipe_to_json(&rec));
}

static enum MHD_Result h_recipe_delete(void *user, struct web_request *r)
{
	static const char *const allowed[] = { NULL };
	struct web_bench *b = user;
	struct sf_err err = { 0 };
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;
	if (recipes_delete(b->recipes, web_req_param(r, 0), &err))
		return reply_err(r, &err);
	return web_reply_json(r, 200, json_pack("{s:s}", "deleted", web_req_param(r, 0)));
}

static enum MHD_Result h_recipe_activate(void *user, struct web_request *r)
{
	static const char *const allowed[] = { NULL };
	struct web_bench *b = user;
	struct sf_err err = { 0 };
	enum MHD_Result ret;
	const char *name = web_req_param(r, 0);

	if (args_ok(r, allowed, &ret))
		return ret;
	if (recipes_activate(b->recipes, strcmp(name, "none") ? name : "", &err))
		return reply_err(r, &err);
	return web_reply_json(r, 200, recipes_list_json(b->recipes));
}

static enum MHD_Result h_bench(void *user, struct web_request *r)
{
	static const char *const allowed[] = { NULL };
	struct web_bench *b = user;
	struct recipe rec;
	enum MHD_Result ret;

	if (args_ok(r, allowed, &ret))
		return ret;
	json_t *o = devices_summary(b->devices);
	json_object_set_new(o, "handsfree", job_handsfree_json(b->jobs));
	if (!recipes_active(b->recipes, &rec, NULL)) {
		json_t *a = json_pack("{s:s, s:i, s:s, s:b}", "name", rec.name, "version",
				      (int)rec.version, "part", rec.part_name, "lock", rec.lock);
		uint64_t next;
		if (!unit_peek(b->units, rec.name, rec.serial_start, &next, NULL))
			json_object_set_new(a, "next_serial", json_integer((json_int_t)next));
		json_object_set_new(o, "recipe", a);
	} else {
		json_object_set_new(o, "recipe", json_null());
	}
	struct job_target t;
	job_mgr_target(b->jobs, &t);
	json_object_set_new(o, "target", job_target_json(&t));
	return web_reply_json(r, 200, o);
}

static enum MHD_Result h_bench_op(void *user, struct web_request *r)
{
	static const char *const allowed[] = { "mode", NULL };
	struct web_bench *b = user;
	struct sf_err err = { 0 };
	enum MHD_Result ret;
	const char *path = web_req_path(r), *op = strrchr(path, '/') + 1;
	const char *mode = web_req_query(r, "mode");
	int rc = 0;

	if (args_ok(r, allowed, &ret))
		return ret;
	if (mode && strcmp(op, "arm"))
		return web_reply_code(r, SF_E_ARG, "mode is for arm only");
	if (!strcmp(op, "arm")) {
		if (mode && strcmp(mode, "auto") && strcmp(mode, "button"))
			return web_reply_code(r, SF_E_ARG, "mode '%.30s': use auto or button", mode);
		rc = job_handsfree_arm(b->jobs, 1, mode && !strcmp(mode, "button") ? JOB_HF_BUTTON
										 : JOB_HF_AUTO, &err);
	} else if (!strcmp(op, "disarm")) {
		rc = job_handsfree_arm(b->jobs, 0, JOB_HF_AUTO, &err);
	} else if (!strcmp(op, "start")) {
		rc = job_handsfree_start(b->jobs, &err);
	} else {
		job_handsfree_again(b->jobs);
	}
	if (rc)
		return reply_err(r, &err);
	return web_reply_json(r, 200, job_handsfree_json(b->jobs));
}

/* ISO 8601 UTC ("2026-12-02", "2026-12-02T01:00:00Z") or epoch ms. */
static int parse_time(const char *s, int64_t *ms)
{
	struct tm tm;
	char *end;

	if (*s >= '0' && *s <= '9' && strlen(s) >= 11 && !strchr(s, '-')) {
		unsigned long long v = strtoull(s, &end, 10);
		if (*end)
			return -1;
		*ms = (int64_t)v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || (*end && strcmp(end, "Z")))
		return -1;
	*ms = (int64_t)timegm(&tm) * 1000;
	return 0;
}

static enum MHD_Result h_devices(void *user, struct web_request *r)
{
	static const char *const allowed[] = { "since", "until", "verdict", "recipe", "device_id",
					       "limit", "format", NULL };
	struct web_bench *b = user;
	struct devices_filter f;
	struct sf_err err = { 0 };
	enum MHD_Result ret;
	const char *v;
	enum devices_format fmt = DEVICES_JSON;
	char *out;
	size_t len;

	if (args_ok(r, allowed, &ret))
		return ret;
	memset(&f, 0, sizeof(f));
	if ((v = web_req_query(r, "since")) && parse_time(v, &f.since_ms))
		return web_reply_code(r, SF_E_ARG, "since '%.40s': an ISO 8601 UTC time "
				      "(2026-12-02T08:00:00Z, 2026-12-02) or epoch milliseconds", v);
	if ((v = web_req_query(r, "until")) && parse_time(v, &f.until_ms))
		return web_reply_code(r, SF_E_ARG, "until '%.40s': an ISO 8601 UTC time or epoch "
				      "milliseconds", v);
	if ((v = web_req_query(r, "verdict"))) {
		if (strcasecmp(v, "pass") && strcasecmp(v, "fail"))
			return web_reply_code(r, SF_E_ARG, "verdict '%.20s': use pass or fail", v);
		snprintf(f.verdict, sizeof(f.verdict), "%s", strcasecmp(v, "pass") ? "FAIL" : "PASS");
	}
	if ((v = web_req_query(r, "recipe"))) {
		if (!recipe_name_ok(v))
			return web_reply_code(r, SF_E_ARG, "recipe '%.70s' is not a recipe name", v);
		snprintf(f.recipe, sizeof(f.recipe), "%s", v);
	}
	if ((v = web_req_query(r, "device_id"))) {
		char *end;
		f.device_id = strtoull(v, &end, 16);
		if (!*v || *end || strlen(v) > 16)
			return web_reply_code(r, SF_E_ARG, "device_id '%.30s': 16 hex digits", v);
		f.has_device_id = 1;
	}
	if ((v = web_req_query(r, "limit")) && (parse_u32(v, &f.limit) || !f.limit))
		return web_reply_code(r, SF_E_ARG, "limit '%.30s' is not a number >= 1", v);
	if ((v = web_req_query(r, "format"))) {
		if (!strcmp(v, "csv"))
			fmt = DEVICES_CSV;
		else if (!strcmp(v, "jsonl"))
			fmt = DEVICES_JSONL;
		else if (strcmp(v, "json"))
			return web_reply_code(r, SF_E_ARG, "format '%.20s': use json, jsonl or csv", v);
	}
	if (devices_query(b->devices, &f, fmt, &out, &len, &err))
		return reply_err(r, &err);
	if (fmt == DEVICES_CSV)
		web_req_add_header(r, "Content-Disposition", "attachment; filename=\"devices.csv\"");
	return web_reply_buffer(r, 200, fmt == DEVICES_CSV ? "text/csv; charset=utf-8"
			       : fmt == DEVICES_JSONL ? "application/x-ndjson" : "application/json",
			       out, len, 1);
}

int web_bench_register(struct web_server *s, struct web_bench *b)
{
	static const struct web_route_spec routes[] = {
		{ "GET", "/api/v1/recipes", WEB_READ, WEB_BODY_NONE, h_recipes },
		{ "POST", "/api/v1/recipes", WEB_WRITE, WEB_BODY_SMALL, h_recipe_save },
		{ "GET", "/api/v1/recipes/{}", WEB_READ, WEB_BODY_NONE, h_recipe },
		{ "DELETE", "/api/v1/recipes/{}", WEB_WRITE, WEB_BODY_NONE, h_recipe_delete },
		{ "POST", "/api/v1/recipes/{}/activate", WEB_WRITE, WEB_BODY_SMALL, h_recipe_activate },
		{ "GET", "/api/v1/bench", WEB_READ, WEB_BODY_NONE, h_bench },
		{ "POST", "/api/v1/bench/arm", WEB_WRITE, WEB_BODY_SMALL, h_bench_op },
		{ "POST", "/api/v1/bench/disarm", WEB_WRITE, WEB_BODY_SMALL, h_bench_op },
		{ "POST", "/api/v1/bench/start", WEB_WRITE, WEB_BODY_SMALL, h_bench_op },
		{ "POST", "/api/v1/bench/again", WEB_WRITE, WEB_BODY_SMALL, h_bench_op },
		{ "GET", "/api/v1/devices", WEB_READ, WEB_BODY_NONE, h_devices },
	};

	return web_routes_add(s, routes, sizeof(routes) / sizeof(routes[0]), b);
}
