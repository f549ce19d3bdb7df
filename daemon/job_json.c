// SPDX-License-Identifier: GPL-2.0-or-later
/* job_json: job snapshots for the API and the history file, records read
 * back from it, and the target object (see job.h, job_internal.h). */
#include "job_internal.h"
#include "target_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "../common/utf8.h"

/* " [nRF52840 6C63EEEFF21167FE, image b7666763e1b9 app.hex]": which board
 * got which firmware, in the journal line that ends the job (production
 * traceability without reading the history file). */
void job_trace(const struct job *j, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	if (!j->has_target && !j->has_image && !j->has_recipe)
		return;
	n = snprintf(buf, len, " [");
	if (j->has_target && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "%s %016" PRIX64 "%s", j->part, j->device_id,
			      j->has_image ? ", " : "");
	if (j->has_image && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "image %.12s %.60s", j->image.sha256,
			      j->image.name);
	if (j->has_recipe && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ", recipe %s v%u, serial %s", j->recipe_name,
			      j->recipe_version, j->serial[0] ? j->serial : "none");
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "]");
}

/* The internal code of a finished job read back from the history: from
 * the error's name (job_wait maps it to the HTTP status). */
static int err_code_from_name(const char *name, enum job_state state)
{
	if (state == JOB_SUCCEEDED || state == JOB_QUEUED || state == JOB_RUNNING)
		return 0;
	for (int c = -1; c >= -64; c--)
		if (name[0] && !strcmp(name, sf_err_name(c)))
			return c;
	return state == JOB_CANCELLED ? SF_E_CANCELLED : SF_E_IO;
}

static void put_time(json_t *o, const char *key_iso, const char *key_ms, int64_t ms)
{
	char buf[40];

	if (!ms) {
		json_object_set_new(o, key_iso, json_null());
		return;
	}
	store_iso_time(ms, buf, sizeof(buf));
	json_object_set_new(o, key_iso, json_string(buf));
	json_object_set_new(o, key_ms, json_integer(ms));
}

json_t *job_json_locked(const struct job *j)
{
	json_t *o = json_object(), *opt;
	char dev[24];

	json_object_set_new(o, "id", json_integer((json_int_t)j->id));
	json_object_set_new(o, "kind", json_string(job_kind_name(j->kind)));
	json_object_set_new(o, "state", json_string(job_state_name(j->state)));
	json_object_set_new(o, "phase", j->has_phase ? json_string(nrf52_phase_name(j->phase))
						     : json_null());
	json_object_set_new(o, "bytes_done", json_integer((json_int_t)j->bytes_done));
	json_object_set_new(o, "bytes_total", json_integer((json_int_t)j->bytes_total));
	if (j->has_image)
		json_object_set_new(o, "image", json_pack("{s:s, s:s, s:s}", "sha256",
			j->image.sha256, "name", j->image.name, "format", j->image.format));
	else
		json_object_set_new(o, "image", json_null());
	opt = json_object();
	switch (j->kind) {
	case JOB_FLASH:
		json_object_set_new(opt, "format", json_string(j->opts.format == IMG_AUTO ? "auto"
					: img_format_name(j->opts.format)));
		if (j->opts.format == IMG_BIN || j->opts.base) {
			char b[16];
			snprintf(b, sizeof(b), "0x%08" PRIX32, j->opts.base);
			json_object_set_new(opt, "base", json_string(b));
		}
		json_object_set_new(opt, "erase", json_string(nrf52_erase_mode_name(j->opts.erase)));
		json_object_set_new(opt, "verify", json_boolean(j->opts.verify));
		json_object_set_new(opt, "verify_mode",
				    json_string(nrf52_verify_mode_name(j->opts.verify_mode)));
		json_object_set_new(opt, "reset", json_boolean(j->opts.reset));
		json_object_set_new(opt, "recover", json_boolean(j->opts.recover));
		json_object_set_new(opt, "full", json_boolean(j->opts.full_write));
		break;
	case JOB_ERASE:
		json_object_set_new(opt, "scope", json_string(j->opts.erase_uicr ? "uicr" : "chip"));
		break;
	case JOB_RESET:
		json_object_set_new(opt, "halt", json_boolean(j->opts.halt));
		break;
	case JOB_RECOVER:
		break;
	case JOB_BOARD:
		json_object_set_new(opt, "handsfree", json_boolean(j->handsfree));
		break;
	}
	json_object_set_new(o, "options", opt);
	if (j->has_recipe) {
		json_object_set_new(o, "recipe", json_pack("{s:s, s:i}", "name", j->recipe_name,
							   "version", (int)j->recipe_version));
		json_object_set_new(o, "serial", j->serial[0] ? json_string(j->serial) : json_null());
		json_object_set_new(o, "serial_state", json_string(j->serial_state[0] ? j->serial_state
										       : "none"));
		json_object_set_new(o, "verdict", j->verdict[0] ? json_string(j->verdict) : json_null());
		json_object_set_new(o, "step", j->step[0] ? json_string(j->step) : json_null());
	}
	if (j->has_target) {
		snprintf(dev, sizeof(dev), "%016" PRIX64, j->device_id);
		json_object_set_new(o, "target", json_pack("{s:s, s:s}", "part", j->part,
							   "device_id", dev));
	} else {
		json_object_set_new(o, "target", json_null());
	}
	put_time(o, "created_at", "created_ms", j->created_ms);
	put_time(o, "started_at", "started_ms", j->started_ms);
	put_time(o, "finished_at", "finished_ms", j->finished_ms);
	if (j->started_ms)
		json_object_set_new(o, "duration_ms", json_integer(
			(j->finished_ms ? j->finished_ms : store_now_ms()) - j->started_ms));
	else
		json_object_set_new(o, "duration_ms", json_null());
	if (j->state == JOB_FAILED || j->state == JOB_CANCELLED || j->state == JOB_INTERRUPTED)
		json_object_set_new(o, "error", json_pack("{s:s, s:s}", "code", j->err_name,
							  "message", j->err_msg));
	if (j->nmsgs) {
		json_t *a = json_array();
		for (unsigned i = 0; i < j->nmsgs; i++)
			json_array_append_new(a, json_string(j->msgs[i]));
		json_object_set_new(o, "messages", a);
	}
	if (j->has_stats) {
		const struct nrf52_stats *s = &j->stats;
		json_object_set_new(o, "stats", json_pack(
			"{s:i, s:i, s:i, s:i, s:I, s:I, s:b, s:b}",
			"pages_erased", (int)s->pages_erased, "pages_skipped", (int)s->pages_skipped,
			"pages_restored", (int)s->pages_restored,
			"pages_written", (int)s->pages_written,
			"bytes_written", (json_int_t)s->bytes_written,
			"bytes_verified", (json_int_t)s->bytes_verified,
			"uicr_erased", s->uicr_erased, "uicr_merged", s->uicr_merged));
	}
	return o;
}

static enum job_state state_from_name(const char *s)
{
	for (int i = JOB_QUEUED; i <= JOB_INTERRUPTED; i++)
		if (s && !strcmp(s, job_state_name((enum job_state)i)))
			return (enum job_state)i;
	return JOB_INTERRUPTED;
}

static void copy_s(char *dst, size_t n, json_t *v)
{
	const char *s = json_string_value(v);

	snprintf(dst, n, "%s", s ? s : "");
}

/* A record read back from the history file. */
struct job *job_from_json(json_t *o)
{
	struct job *j = calloc(1, sizeof(*j));
	json_t *v, *opt;

	if (!j)
		return NULL;
	j->refs = 1;
	j->id = (uint64_t)json_integer_value(json_object_get(o, "id"));
	const char *kind = json_string_value(json_object_get(o, "kind"));
	for (int k = JOB_FLASH; k <= JOB_BOARD; k++)
		if (kind && !strcmp(kind, job_kind_name((enum job_kind)k)))
			j->kind = (enum job_kind)k;
	j->state = state_from_name(json_string_value(json_object_get(o, "state")));
	const char *ph = json_string_value(json_object_get(o, "phase"));
	for (int p = NRF52_PHASE_CONNECT; ph && p <= NRF52_PHASE_READ; p++)
		if (!strcmp(ph, nrf52_phase_name((enum nrf52_phase)p))) {
			j->has_phase = 1;
			j->phase = (enum nrf52_phase)p;
		}
	j->bytes_done = (uint64_t)json_integer_value(json_object_get(o, "bytes_done"));
	j->bytes_total = (uint64_t)json_integer_value(json_object_get(o, "bytes_total"));
	v = json_object_get(o, "image");
	if (json_is_object(v)) {
		j->has_image = 1;
		copy_s(j->image.sha256, sizeof(j->image.sha256), json_object_get(v, "sha256"));
		copy_s(j->image.name, sizeof(j->image.name), json_object_get(v, "name"));
		copy_s(j->image.format, sizeof(j->image.format), json_object_get(v, "format"));
	}
	v = json_object_get(o, "recipe");
	if (json_is_object(v)) {
		j->has_recipe = 1;
		copy_s(j->recipe_name, sizeof(j->recipe_name), json_object_get(v, "name"));
		j->recipe_version = (unsigned)json_integer_value(json_object_get(v, "version"));
		copy_s(j->serial, sizeof(j->serial), json_object_get(o, "serial"));
		copy_s(j->serial_state, sizeof(j->serial_state), json_object_get(o, "serial_state"));
		copy_s(j->verdict, sizeof(j->verdict), json_object_get(o, "verdict"));
	}
	job_options_default(&j->opts);
	opt = json_object_get(o, "options");
	if (json_is_object(opt)) {
		const char *f = json_string_value(json_object_get(opt, "format"));
		int fi = f ? img_format_from_name(f) : -1;
		j->opts.format = fi < 0 ? IMG_AUTO : (enum img_format)fi;
		const char *b = json_string_value(json_object_get(opt, "base"));
		if (b)
			j->opts.base = (uint32_t)strtoul(b, NULL, 0);
		int e = nrf52_erase_mode_from_name(json_string_value(json_object_get(opt, "erase")));
		j->opts.erase = e < 0 ? NRF52_ERASE_AUTO : (enum nrf52_erase_mode)e;
		j->opts.verify = json_is_true(json_object_get(opt, "verify"));
		int vm = nrf52_verify_mode_from_name(json_string_value(json_object_get(opt,
										"verify_mode")));
		j->opts.verify_mode = vm < 0 ? NRF52_VERIFY_AUTO : (enum nrf52_verify_mode)vm;
		j->opts.reset = json_is_true(json_object_get(opt, "reset"));
		j->opts.recover = json_is_true(json_object_get(opt, "recover"));
		j->opts.full_write = json_is_true(json_object_get(opt, "full"));
		j->handsfree = json_is_true(json_object_get(opt, "handsfree"));
		const char *sc = json_string_value(json_object_get(opt, "scope"));
		j->opts.erase_uicr = sc && !strcmp(sc, "uicr");
		j->opts.halt = json_is_true(json_object_get(opt, "halt"));
	}
	v = json_object_get(o, "target");
	if (json_is_object(v)) {
		j->has_target = 1;
		copy_s(j->part, sizeof(j->part), json_object_get(v, "part"));
		const char *d = json_string_value(json_object_get(v, "device_id"));
		j->device_id = d ? strtoull(d, NULL, 16) : 0;
	}
	j->created_ms = json_integer_value(json_object_get(o, "created_ms"));
	j->started_ms = json_integer_value(json_object_get(o, "started_ms"));
	j->finished_ms = json_integer_value(json_object_get(o, "finished_ms"));
	v = json_object_get(o, "error");
	if (json_is_object(v)) {
		copy_s(j->err_name, sizeof(j->err_name), json_object_get(v, "code"));
		copy_s(j->err_msg, sizeof(j->err_msg), json_object_get(v, "message"));
	}
	/* records of earlier versions also carry "error_status_code" (the internal
	 * code, never part of the API): ignored; the code comes from the name */
	j->err_code = err_code_from_name(j->err_name, j->state);
	v = json_object_get(o, "messages");
	for (size_t i = 0; json_is_array(v) && i < json_array_size(v) && j->nmsgs < JOB_MSG_MAX; i++) {
		const char *s = json_string_value(json_array_get(v, i));
		if (s)
			j->msgs[j->nmsgs++] = strdup(s);
	}
	v = json_object_get(o, "stats");
	if (json_is_object(v)) {
		j->has_stats = 1;
		j->stats.pages_erased = (uint32_t)json_integer_value(json_object_get(v, "pages_erased"));
		j->stats.pages_skipped = (uint32_t)json_integer_value(json_object_get(v, "pages_skipped"));
		j->stats.pages_written = (uint32_t)json_integer_value(json_object_get(v, "pages_written"));
		j->stats.pages_restored = (uint32_t)json_integer_value(json_object_get(v, "pages_restored"));
		j->stats.bytes_written = (uint64_t)json_integer_value(json_object_get(v, "bytes_written"));
		j->stats.bytes_verified = (uint64_t)json_integer_value(json_object_get(v, "bytes_verified"));
		j->stats.uicr_erased = json_is_true(json_object_get(v, "uicr_erased"));
		j->stats.uicr_merged = json_is_true(json_object_get(v, "uicr_merged"));
	}
	return j;
}

/* The public view never shows file system paths (a simulator's state
 * file, a GPIO chip's device node, a missing file in an error): each
 * absolute path becomes "<path>". The journal keeps them. */
static void redact_paths(char *dst, size_t n, const char *src)
{
	char tmp[512];
	size_t w = 0;

	for (size_t i = 0; src[i] && w + 8 < sizeof(tmp); i++) {
		if (src[i] == '/' && (i == 0 || strchr(" =,:(\t'\"", src[i - 1]))) {
			memcpy(tmp + w, "<path>", 6);
			w += 6;
			while (src[i + 1] && !strchr(", )\t'\"", src[i + 1]))
				i++;
			continue;
		}
		tmp[w++] = src[i];
	}
	tmp[w] = '\0';
	utf8_clean(dst, n, tmp, UTF8_ESCAPE, 1);
}

json_t *job_target_json(const struct job_target *t)
{
	json_t *o = json_object();
	char buf[40], desc[256], error[512];

	redact_paths(desc, sizeof(desc), t->probe_desc);
	json_object_set_new(o, "probe", json_pack("{s:s, s:s, s:b, s:b}", "kind", t->probe_kind,
		"description", desc, "open", t->probe_open, "disconnected", t->probe_gone));
	if (t->usb.present) {
		json_t *p = json_object_get(o, "probe");

		json_object_set_new(p, "model", json_string(t->usb.model));
		json_object_set_new(p, "firmware", json_string(t->usb.firmware));
		json_object_set_new(p, "serial", json_string(t->usb.serial));
		json_object_set_new(p, "swd_khz", json_integer(t->usb.khz));
		json_object_set_new(p, "voltage_mv", t->usb.voltage_mv >= 0 ?
				    json_integer(t->usb.voltage_mv) : json_null());
		if (t->usb.warning[0])
			json_object_set_new(p, "warning", json_string(t->usb.warning));
	}
	json_object_set_new(o, "connected", json_boolean(t->connected));
	if (t->connected) {
		json_t *info = target_json_info(&t->info);
		json_object_update(o, info);
		json_decref(info);
		json_object_set_new(o, "locked", json_boolean(t->locked));
	} else {
		static const char *const unknown[] = { "locked", "part", "variant", "flash_size",
						       "ram_size", "device_id" };
		for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++)
			json_object_set_new(o, unknown[k], json_null());
	}
	if (t->error[0]) {
		redact_paths(error, sizeof(error), t->error);
		json_object_set_new(o, "error", json_string(error));
	}
	if (t->updated_ms) {
		store_iso_time(t->updated_ms, buf, sizeof(buf));
		json_object_set_new(o, "updated_at", json_string(buf));
	}
	return o;
}

