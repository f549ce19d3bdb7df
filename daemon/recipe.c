// SPDX-License-Identifier: GPL-2.0-or-later
/* recipe: parsing, checking and durable storage of recipes (recipe.h). */
#include "recipe.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/parse.h"

/* The parts a recipe may name (nrfx *_xxaa.ld; FICR INFO.PART). */
static const struct {
	const char *name;
	uint32_t part, flash;
} recipe_parts[] = {
	{ "nRF52832", 0x52832, 512u * 1024u },
	{ "nRF52833", 0x52833, 512u * 1024u },
	{ "nRF52840", 0x52840, 1024u * 1024u },
};

static const char *const field_names[] = { "serial", "device_id", "ble_addr", "date" };

const char *recipe_field_kind_name(enum recipe_field_kind k)
{
	return (unsigned)k < 4 ? field_names[k] : "?";
}

int recipe_name_ok(const char *n)
{
	size_t len = n ? strlen(n) : 0;

	if (!len || len > RECIPE_NAME_MAX || n[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || strchr("._-", n[i])))
			return 0;
	return 1;
}

/* A number given as JSON integer or as a string ("0x10001080"). */
static int get_u32(json_t *v, const char *what, uint32_t *out, struct sf_err *err)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= 0xFFFFFFFFLL) {
		*out = (uint32_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && !parse_u32(json_string_value(v), out))
		return 0;
	return sf_err_set(err, SF_E_ARG, "%s: a 32-bit number (or a string like \"0x10001080\")",
			  what);
}

static int get_bool(json_t *o, const char *key, int *out, struct sf_err *err)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return sf_err_set(err, SF_E_ARG, "recipe: '%s' must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int get_str(json_t *o, const char *key, char *buf, size_t len, struct sf_err *err)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) >= len)
		return sf_err_set(err, SF_E_ARG, "recipe: '%s' must be a string of at most %zu "
				  "characters", key, len - 1);
	snprintf(buf, len, "%s", json_string_value(v));
	return 0;
}

/* Only these keys in o. */
static int keys_ok(json_t *o, const char *where, const char *const *allowed, struct sf_err *err)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		size_t i;
		for (i = 0; allowed[i] && strcmp(allowed[i], k); i++)
			;
		if (!allowed[i])
			return sf_err_set(err, SF_E_ARG, "%s: unknown key '%.60s'", where, k);
	}
	return 0;
}

static int parse_field(json_t *f, unsigned idx, struct recipe_field *rf, struct sf_err *err)
{
	static const char *const keys[] = { "kind", "address", "size", "format", "width",
					    "prefix", NULL };
	char where[40], kind[16] = "", fmt[8] = "dec";
	json_t *v;

	snprintf(where, sizeof(where), "recipe: fields[%u]", idx);
	if (!json_is_object(f))
		return sf_err_set(err, SF_E_ARG, "%s: must be an object", where);
	if (keys_ok(f, where, keys, err) || get_str(f, "kind", kind, sizeof(kind), err))
		return SF_E_ARG;
	memset(rf, 0, sizeof(*rf));
	size_t k;
	for (k = 0; k < 4 && strcmp(kind, field_names[k]); k++)
		;
	if (k == 4)
		return sf_err_set(err, SF_E_ARG, "%s: kind '%s': use serial, device_id, ble_addr "
				  "or date", where, kind);
	rf->kind = (enum recipe_field_kind)k;
	rf->addr = RECIPE_UICR_CUSTOMER;
	if ((v = json_object_get(f, "address")) && get_u32(v, where, &rf->addr, err))
		return SF_E_ARG;
	static const uint32_t natural[] = { 16, 20, 20, 12 };
	rf->size = natural[k];
	if ((v = json_object_get(f, "size")) && get_u32(v, where, &rf->size, err))
		return SF_E_ARG;
	if (rf->addr % 4 || rf->size % 4 || !rf->size || rf->size > 256)
		return sf_err_set(err, SF_E_ARG, "%s: address 0x%08" PRIX32 " and size %" PRIu32
				  " must be word-aligned (multiples of 4; size 4..256): the NVMC "
				  "writes whole words", where, rf->addr, rf->size);
	if (rf->kind != RECIPE_FIELD_SERIAL &&
	    (json_object_get(f, "format") || json_object_get(f, "width") ||
	     json_object_get(f, "prefix")))
		return sf_err_set(err, SF_E_ARG, "%s: format, width and prefix are for serial fields",
				  where);
	if (get_str(f, "format", fmt, sizeof(fmt), err) ||
	    get_str(f, "prefix", rf->prefix, sizeof(rf->prefix), err))
		return SF_E_ARG;
	if (strcmp(fmt, "dec") && strcmp(fmt, "hex"))
		return sf_err_set(err, SF_E_ARG, "%s: format '%s': use dec or hex", where, fmt);
	rf->hex = !strcmp(fmt, "hex");
	rf->width = 1;
	if ((v = json_object_get(f, "width"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 20)
			return sf_err_set(err, SF_E_ARG, "%s: width must be 1..20", where);
		rf->width = (unsigned)json_integer_value(v);
	}
	for (const char *p = rf->prefix; *p; p++)
		if (*p < 0x20 || *p > 0x7E)
			return sf_err_set(err, SF_E_ARG, "%s: prefix must be printable ASCII", where);
	/* serial: prefix, width digits and a NUL must fit (a number with more
	 * digits than width is checked when it is made) */
	size_t longest = strlen(rf->prefix) + rf->width;
	if (longest + (rf->kind == RECIPE_FIELD_SERIAL ? 1 : 0) > rf->size ||
	    (rf->kind == RECIPE_FIELD_DEVICE_ID && rf->size < 20) ||
	    (rf->kind == RECIPE_FIELD_BLE_ADDR && rf->size < 20) ||
	    (rf->kind == RECIPE_FIELD_DATE && rf->size < 12))
		return sf_err_set(err, SF_E_ARG, "%s: %s does not fit in %" PRIu32 " bytes "
				  "(device_id needs 20, ble_addr 20, date 12, serial prefix + width "
				  "+ 1)", where, field_names[k], rf->size);
	return 0;
}

int recipe_from_json(json_t *o, struct recipe *r, struct sf_err *err)
{
	static const char *const keys[] = { "name", "part", "images", "erase", "recover",
					    "verify", "reset", "lock", "serial_start", "fields",
					    "selftest", "version", "saved_at", "saved_ms", NULL };
	char part[16] = "", erase[8] = "auto";
	json_t *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return sf_err_set(err, SF_E_ARG, "recipe: must be a JSON object");
	if (keys_ok(o, "recipe", keys, err))
		return SF_E_ARG;
	if (get_str(o, "name", r->name, sizeof(r->name), err))
		return SF_E_ARG;
	if (!recipe_name_ok(r->name))
		return sf_err_set(err, SF_E_ARG, "recipe: name '%s' must be 1-64 of A-Z a-z 0-9 . _ - "
				  "(not starting with '.')", r->name);
	if (get_str(o, "part", part, sizeof(part), err))
		return SF_E_ARG;
	for (i = 0; i < sizeof(recipe_parts) / sizeof(recipe_parts[0]); i++)
		if (!strcasecmp(part, recipe_parts[i].name))
			break;
	if (i == sizeof(recipe_parts) / sizeof(recipe_parts[0]))
		return sf_err_set(err, SF_E_ARG, "recipe %s: part '%s': use nrf52832, nrf52833 or "
				  "nrf52840", r->name, part);
	snprintf(r->part_name, sizeof(r->part_name), "%s", recipe_parts[i].name);
	r->part = recipe_parts[i].part;
	r->flash_size = recipe_parts[i].flash;
	v = json_object_get(o, "images");
	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > RECIPE_MAX_IMAGES)
		return sf_err_set(err, SF_E_ARG, "recipe %s: images must be a list of 1 to %d "
				  "stored images (their SHA-256)", r->name, RECIPE_MAX_IMAGES);
	for (i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		const char *s = json_is_string(e) ? json_string_value(e) : "";
		if (!strncmp(s, "sha256:", 7))
			s += 7;
		size_t n = strlen(s);
		int hex = n == 64;
		for (size_t k = 0; hex && k < n; k++)
			hex = (s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f');
		if (!hex)
			return sf_err_set(err, SF_E_ARG, "recipe %s: images[%zu] is not a SHA-256 (64 "
					  "lower-case hex digits) of a stored image", r->name, i);
		memcpy(r->images[r->nimages++], s, 65);
	}
	if (get_str(o, "erase", erase, sizeof(erase), err))
		return SF_E_ARG;
	int em = nrf52_erase_mode_from_name(erase);
	if (em != NRF52_ERASE_AUTO && em != NRF52_ERASE_CHIP)
		return sf_err_set(err, SF_E_ARG, "recipe %s: erase '%s': use auto or chip", r->name,
				  erase);
	r->erase = (enum nrf52_erase_mode)em;
	r->verify = 1;
	r->reset = 1;
	if (get_bool(o, "recover", &r->recover, err) || get_bool(o, "verify", &r->verify, err) ||
	    get_bool(o, "reset", &r->reset, err))
		return SF_E_ARG;
	/* irreversible except by erase-all: never a default */
	if (!json_is_boolean(json_object_get(o, "lock")))
		return sf_err_set(err, SF_E_ARG, "recipe %s: 'lock' must be given, true or false "
				  "(APPROTECT can only be undone by erasing the chip)", r->name);
	r->lock = json_is_true(json_object_get(o, "lock"));
	r->serial_start = 1;
	if ((v = json_object_get(o, "serial_start"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return sf_err_set(err, SF_E_ARG, "recipe %s: serial_start must be a number >= 0",
					  r->name);
		r->serial_start = (uint64_t)json_integer_value(v);
	}
	v = json_object_get(o, "fields");
	if (v && (!json_is_array(v) || json_array_size(v) > RECIPE_MAX_FIELDS))
		return sf_err_set(err, SF_E_ARG, "recipe %s: fields must be a list of at most %d",
				  r->name, RECIPE_MAX_FIELDS);
	for (i = 0; v && i < json_array_size(v); i++) {
		if (parse_field(json_array_get(v, i), (unsigned)i, &r->fields[i], err))
			return sf_err_prefix(err, "recipe %s", r->name);
		r->nfields++;
	}
	v = json_object_get(o, "selftest");
	if (v && !json_is_null(v)) {
		static const char *const sk[] = { "pass", "fail", "timeout_ms", NULL };
		if (!json_is_object(v) || keys_ok(v, "recipe: selftest", sk, err))
			return sf_err_set(err, SF_E_ARG, "recipe %s: selftest must be an object with "
					  "pass, fail and timeout_ms", r->name);
		r->selftest.enabled = 1;
		r->selftest.timeout_ms = 3000;
		if (get_str(v, "pass", r->selftest.pass, sizeof(r->selftest.pass), err) ||
		    get_str(v, "fail", r->selftest.fail, sizeof(r->selftest.fail), err))
			return SF_E_ARG;
		if (!r->selftest.pass[0])
			return sf_err_set(err, SF_E_ARG, "recipe %s: selftest.pass (the line that means "
					  "PASS) is required", r->name);
		json_t *t = json_object_get(v, "timeout_ms");
		if (t && (!json_is_integer(t) || json_integer_value(t) < 1 ||
			  json_integer_value(t) > 600000))
			return sf_err_set(err, SF_E_ARG, "recipe %s: selftest.timeout_ms: 1..600000",
					  r->name);
		if (t)
			r->selftest.timeout_ms = (unsigned)json_integer_value(t);
	}
	if ((v = json_object_get(o, "version")) && json_is_integer(v))
		r->version = (unsigned)json_integer_value(v);
	if ((v = json_object_get(o, "saved_ms")) && json_is_integer(v))
		r->saved_ms = json_integer_value(v);
	/* fields: inside UICR customer registers or the part's flash, apart */
	for (i = 0; i < r->nfields; i++) {
		const struct recipe_field *f = &r->fields[i];
		uint64_t s = f->addr, e = s + f->size;
		int uicr = s >= RECIPE_UICR_CUSTOMER && e <= RECIPE_UICR_CUSTOMER_END;
		if (!uicr && e > r->flash_size)
			return sf_err_set(err, SF_E_RANGE, "recipe %s: fields[%zu] (%s) at 0x%08" PRIX64
					  "-0x%08" PRIX64 " is neither in UICR CUSTOMER (0x10001080-"
					  "0x100010FF) nor in the %s's flash (0x0-0x%" PRIX32 ")",
					  r->name, i, field_names[f->kind], s, e - 1, r->part_name,
					  r->flash_size - 1);
		for (size_t k = 0; k < i; k++) {
			uint64_t s2 = r->fields[k].addr, e2 = s2 + r->fields[k].size;
			if (s < e2 && s2 < e)
				return sf_err_set(err, SF_E_RANGE, "recipe %s: fields[%zu] (%s, 0x%08"
						  PRIX64 "-0x%08" PRIX64 ") overlaps fields[%zu] (%s)",
						  r->name, i, field_names[f->kind], s, e - 1, k,
						  field_names[r->fields[k].kind]);
		}
	}
	return 0;
}

json_t *recipe_to_json(const struct recipe *r)
{
	json_t *imgs = json_array(), *fields = json_array();
	char buf[40];

	for (unsigned i = 0; i < r->nimages; i++)
		json_array_append_new(imgs, json_string(r->images[i]));
	for (unsigned i = 0; i < r->nfields; i++) {
		const struct recipe_field *f = &r->fields[i];
		snprintf(buf, sizeof(buf), "0x%08" PRIX32, f->addr);
		json_t *o = json_pack("{s:s, s:s, s:I}", "kind", field_names[f->kind], "address", buf,
				      "size", (json_int_t)f->size);
		if (f->kind == RECIPE_FIELD_SERIAL) {
			json_object_set_new(o, "format", json_string(f->hex ? "hex" : "dec"));
			json_object_set_new(o, "width", json_integer(f->width));
			json_object_set_new(o, "prefix", json_string(f->prefix));
		}
		json_array_append_new(fields, o);
	}
	json_t *o = json_pack("{s:s, s:I, s:s, s:o, s:s, s:b, s:b, s:b, s:b, s:I, s:o}",
			      "name", r->name, "version", (json_int_t)r->version,
			      "part", r->part_name, "images", imgs,
			      "erase", nrf52_erase_mode_name(r->erase), "recover", r->recover,
			      "verify", r->verify, "reset", r->reset, "lock", r->lock,
			      "serial_start", (json_int_t)r->serial_start, "fields", fields);
	if (r->selftest.enabled)
		json_object_set_new(o, "selftest", json_pack("{s:s, s:s, s:I}", "pass",
			r->selftest.pass, "fail", r->selftest.fail, "timeout_ms",
			(json_int_t)r->selftest.timeout_ms));
	if (r->saved_ms) {
		store_iso_time(r->saved_ms, buf, sizeof(buf));
		json_object_set_new(o, "saved_at", json_string(buf));
		json_object_set_new(o, "saved_ms", json_integer(r->saved_ms));
	}
	return o;
}

static int load_one(const struct recipe *r, unsigned i, struct store *s, struct img *out,
		    struct sf_err *err)
{
	struct store_meta m;
	char path[700];
	const uint8_t *data;
	size_t len;
	int rc;

	if (store_lookup(s, r->images[i], &m))
		return sf_err_set(err, SF_E_NOTFOUND, "recipe %s: images[%u] %.12s... is not a stored "
				  "image (upload it first; GET /api/v1/images lists them)", r->name, i,
				  r->images[i]);
	store_path(s, r->images[i], path, sizeof(path));
	rc = store_map_file(path, &data, &len, err);
	if (rc)
		return rc;
	int f = img_format_from_name(m.format);
	rc = img_parse(data, len, f < 0 ? IMG_AUTO : (enum img_format)f, m.base, out, err);
	store_unmap(data, len);
	if (rc)
		return sf_err_prefix(err, "recipe %s: images[%u] %s", r->name, i, m.name);
	return 0;
}

int recipe_load_images(const struct recipe *r, struct store *s, struct img *out,
		       struct sf_err *err)
{
	struct img parts[RECIPE_MAX_IMAGES];
	size_t nseg = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(parts, 0, sizeof(parts));
	for (unsigned i = 0; i < r->nimages && !rc; i++)
		rc = load_one(r, i, s, &parts[i], err);
	for (unsigned i = 0; i < r->nimages && !rc; i++) {
		struct nrf52_info info = { .identified = 1, .part = r->part, .flash_size = r->flash_size };
		snprintf(info.name, sizeof(info.name), "%s", r->part_name);
		if ((rc = nrf52_check_image(&info, &parts[i], err)))
			sf_err_prefix(err, "recipe %s: images[%u] is outside the part", r->name, i);
		nseg += parts[i].nseg;
	}
	/* overlaps between images: refused (an image must own its bytes) */
	for (unsigned i = 0; i < r->nimages && !rc; i++)
		for (unsigned k = 0; k < i && !rc; k++)
			for (size_t a = 0; a < parts[i].nseg && !rc; a++)
				for (size_t b = 0; b < parts[k].nseg && !rc; b++) {
					const struct img_segment *x = &parts[i].seg[a], *y = &parts[k].seg[b];
					uint64_t xe = (uint64_t)x->addr + x->len, ye = (uint64_t)y->addr + y->len;
					if (x->addr < ye && y->addr < xe)
						rc = sf_err_set(err, SF_E_RANGE, "recipe %s: images[%u] "
							"(0x%08" PRIX32 "-0x%08" PRIX64 ") overlaps images[%u] "
							"(0x%08" PRIX32 "-0x%08" PRIX64 ")", r->name, i, x->addr,
							xe - 1, k, y->addr, ye - 1);
				}
	if (!rc) {
		out->seg = calloc(nseg ? nseg : 1, sizeof(*out->seg));
		if (!out->seg)
			rc = sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	/* merge: move every segment over, sorted by address */
	for (unsigned i = 0; i < r->nimages && !rc; i++) {
		for (size_t a = 0; a < parts[i].nseg; a++) {
			size_t at = out->nseg;
			while (at && out->seg[at - 1].addr > parts[i].seg[a].addr) {
				out->seg[at] = out->seg[at - 1];
				at--;
			}
			out->seg[at] = parts[i].seg[a];
			out->total += parts[i].seg[a].len;
			out->nseg++;
			parts[i].seg[a].data = NULL;
		}
		parts[i].nseg = 0;
	}
	if (!rc) {
		out->format = parts[0].format;
		/* the record names each image's SHA-256; this is the first's */
		memcpy(out->sha256, parts[0].sha256, sizeof(out->sha256));
		memcpy(out->sha256_hex, parts[0].sha256_hex, sizeof(out->sha256_hex));
	} else {
		img_free(out);
	}
	for (unsigned i = 0; i < r->nimages; i++)
		img_free(&parts[i]);
	return rc;
}

int recipe_check(const struct recipe *r, struct store *s, struct sf_err *err)
{
	struct img img;
	int rc = recipe_load_images(r, s, &img, err);

	if (rc)
		return rc;
	for (unsigned i = 0; i < r->nfields && !rc; i++) {
		const struct recipe_field *f = &r->fields[i];
		uint64_t fe = (uint64_t)f->addr + f->size;
		for (size_t k = 0; k < img.nseg; k++) {
			uint64_t ss = img.seg[k].addr, se = ss + img.seg[k].len;
			if (f->addr < se && ss < fe) {
				rc = sf_err_set(err, SF_E_RANGE, "recipe %s: fields[%u] (%s at 0x%08" PRIX32
						"-0x%08" PRIX64 ") overlaps image data at 0x%08" PRIX64
						"-0x%08" PRIX64 ": a per-unit field must be where no image "
						"writes", r->name, i, recipe_field_kind_name(f->kind), f->addr,
						fe - 1, ss, se - 1);
				break;
			}
		}
	}
	if (!rc && r->lock) {
		for (size_t k = 0; k < img.nseg; k++)
			if (img.seg[k].addr <= NRF52_UICR_APPROTECT &&
			    (uint64_t)img.seg[k].addr + img.seg[k].len > NRF52_UICR_APPROTECT) {
				rc = sf_err_set(err, SF_E_RANGE, "recipe %s: an image sets UICR.APPROTECT "
						"(0x10001208) and the recipe locks: leave APPROTECT to "
						"the lock step", r->name);
				break;
			}
	}
	img_free(&img);
	return rc;
}

/* ---- storage ---- */

struct recipes {
	pthread_mutex_t lock;
	char dir[600];
	struct store *store;
};

struct recipes *recipes_open(const char *state_dir, struct store *s, struct sf_err *err)
{
	struct recipes *rs = calloc(1, sizeof(*rs));

	if (!rs) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	snprintf(rs->dir, sizeof(rs->dir), "%s/recipes", state_dir);
	if (mkdir(rs->dir, 0750) && errno != EEXIST) {
		sf_err_set(err, sf_err_io_code(errno), "creating %s: %s", rs->dir, strerror(errno));
		free(rs);
		return NULL;
	}
	pthread_mutex_init(&rs->lock, NULL);
	rs->store = s;
	return rs;
}

void recipes_close(struct recipes *rs)
{
	if (!rs)
		return;
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}

static int read_recipe_file(const char *path, struct recipe *out, struct sf_err *err)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);

	if (!o)
		return sf_err_set(err, errno == ENOENT ? SF_E_NOTFOUND : SF_E_IO, "%s: %s", path,
				  je.text);
	int rc = recipe_from_json(o, out, err);
	json_decref(o);
	return rc;
}

static int write_json_file(const char *path, json_t *o, struct sf_err *err)
{
	char *s = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);

	if (!s)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	size_t n = strlen(s);
	s[n] = '\n';  /* over the NUL: the file ends with a line end */
	int rc = fsutil_write_file(path, s, n + 1, err);
	free(s);
	return rc;
}

int recipes_save(struct recipes *rs, json_t *o, struct recipe *out, struct sf_err *err)
{
	struct recipe r, old;
	char path[800];
	int rc;

	if ((rc = recipe_from_json(o, &r, err)) || (rc = recipe_check(&r, rs->store, err)))
		return rc;
	pthread_mutex_lock(&rs->lock);
	snprintf(path, sizeof(path), "%s/%s.json", rs->dir, r.name);
	r.version = 1;
	if (!read_recipe_file(path, &old, NULL))
		r.version = old.version + 1;
	r.saved_ms = store_now_ms();
	json_t *j = recipe_to_json(&r);
	/* the version file first: the current one never names a version that
	 * is not kept */
	snprintf(path, sizeof(path), "%s/%s.v%u.json", rs->dir, r.name, r.version);
	rc = write_json_file(path, j, err);
	snprintf(path, sizeof(path), "%s/%s.json", rs->dir, r.name);
	if (!rc)
		rc = write_json_file(path, j, err);
	json_decref(j);
	pthread_mutex_unlock(&rs->lock);
	if (!rc && out)
		*out = r;
	return rc;
}

int recipes_get(struct recipes *rs, const char *name, unsigned version, struct recipe *out,
		struct sf_err *err)
{
	char path[800];
	int rc;

	if (!recipe_name_ok(name))
		return sf_err_set(err, SF_E_NOTFOUND, "no recipe '%.70s'", name);
	if (version)
		snprintf(path, sizeof(path), "%s/%s.v%u.json", rs->dir, name, version);
	else
		snprintf(path, sizeof(path), "%s/%s.json", rs->dir, name);
	pthread_mutex_lock(&rs->lock);
	rc = read_recipe_file(path, out, NULL);
	pthread_mutex_unlock(&rs->lock);
	if (rc == SF_E_NOTFOUND || (rc && access(path, F_OK)))
		return sf_err_set(err, SF_E_NOTFOUND, "no recipe '%s'%s", name,
				  version ? " in that version" : "");
	if (rc)
		return sf_err_set(err, rc, "recipe %s: its file cannot be read", name);
	return 0;
}

static int read_active(struct recipes *rs, char *name, size_t len)
{
	char path[800];
	FILE *f;

	name[0] = 0;
	snprintf(path, sizeof(path), "%s/active", rs->dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(name, (int)len, f))
		name[strcspn(name, "\r\n")] = 0;
	fclose(f);
	return 0;
}

int recipes_delete(struct recipes *rs, const char *name, struct sf_err *err)
{
	char path[800], active[RECIPE_NAME_MAX + 2];

	if (!recipe_name_ok(name))
		return sf_err_set(err, SF_E_NOTFOUND, "no recipe '%.70s'", name);
	pthread_mutex_lock(&rs->lock);
	read_active(rs, active, sizeof(active));
	if (!strcmp(active, name)) {
		pthread_mutex_unlock(&rs->lock);
		return sf_err_set(err, SF_E_BUSY, "recipe %s is the active one: activate another (or "
				  "none) first", name);
	}
	snprintf(path, sizeof(path), "%s/%s.json", rs->dir, name);
	/* the versions stay: board records name them */
	int rc = unlink(path) ? (errno == ENOENT ? sf_err_set(err, SF_E_NOTFOUND, "no recipe '%s'",
							      name)
				 : sf_err_set(err, SF_E_IO, "removing %s: %s", path, strerror(errno)))
			      : fsutil_fsync_dir(path, err);
	pthread_mutex_unlock(&rs->lock);
	return rc;
}

int recipes_activate(struct recipes *rs, const char *name, struct sf_err *err)
{
	char path[800];
	struct recipe r;
	int rc;

	if (name && *name && (rc = recipes_get(rs, name, 0, &r, err)))
		return rc;
	pthread_mutex_lock(&rs->lock);
	snprintf(path, sizeof(path), "%s/active", rs->dir);
	char line[RECIPE_NAME_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", name ? name : "");
	rc = fsutil_write_file(path, line, name && *name ? (size_t)n : 0, err);
	pthread_mutex_unlock(&rs->lock);
	return rc;
}

int recipes_active(struct recipes *rs, struct recipe *out, struct sf_err *err)
{
	char name[RECIPE_NAME_MAX + 2];

	pthread_mutex_lock(&rs->lock);
	read_active(rs, name, sizeof(name));
	pthread_mutex_unlock(&rs->lock);
	if (!name[0])
		return sf_err_set(err, SF_E_NOTFOUND, "no recipe is active (POST "
				  "/api/v1/recipes/NAME/activate)");
	return recipes_get(rs, name, 0, out, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *recipes_list_json(struct recipes *rs)
{
	char active[RECIPE_NAME_MAX + 2], *names[1024];
	size_t n = 0;
	json_t *list = json_array();
	DIR *d;

	pthread_mutex_lock(&rs->lock);
	read_active(rs, active, sizeof(active));
	d = opendir(rs->dir);
	for (struct dirent *e; d && (e = readdir(d)) && n < 1024;) {
		size_t len = strlen(e->d_name);
		size_t k = len > 5 ? len - 5 : 0;  /* NAME.vN.json is a version */
		while (k > 0 && e->d_name[k - 1] >= '0' && e->d_name[k - 1] <= '9')
			k--;
		int version = k >= 2 && k < len - 5 && e->d_name[k - 1] == 'v' && e->d_name[k - 2] == '.';
		if (len > 5 && !strcmp(e->d_name + len - 5, ".json") && !version &&
		    e->d_name[0] != '.')
			names[n++] = strndup(e->d_name, len - 5);
	}
	if (d)
		closedir(d);
	pthread_mutex_unlock(&rs->lock);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct recipe r;
		if (names[i] && !recipes_get(rs, names[i], 0, &r, NULL))
			json_array_append_new(list, recipe_to_json(&r));
		free(names[i]);
	}
	return json_pack("{s:o, s:o}", "active", active[0] ? json_string(active) : json_null(),
			 "recipes", list);
}
