// SPDX-License-Identifier: GPL-2.0-or-later
/* recipe: what a production board gets, named and versioned.
 *
 * A recipe names the expected part, one or more stored images (by
 * SHA-256; bootloader + SoftDevice + application, no two overlapping),
 * the erase mode, whether a locked board is recovered, per-unit fields
 * (serial number, device ID, BLE address, date) written to UICR customer
 * registers or a flash address, an optional self-test (SEGGER RTT) and
 * whether APPROTECT is enabled as the last step.
 *
 * Stored in STATE_DIR/recipes: NAME.json is the current version, NAME.vN.json
 * every version ever saved (a board's record names the version it got),
 * and `active` the name of the active one. Every file is written durably
 * (common/fsutil.h). A recipe is checked when it is saved (recipes_save):
 * images that are not stored, regions outside the part, images that
 * overlap each other, per-unit fields overlapping image data, each other
 * or outside UICR/flash are refused with a message naming them.
 *
 * Thread-safe. */
#ifndef DAEMON_RECIPE_H
#define DAEMON_RECIPE_H

#include <jansson.h>
#include <stdint.h>

#include "../common/err.h"
#include "../nrf52/image.h"
#include "../nrf52/nrf52.h"
#include "store.h"

#define RECIPE_MAX_IMAGES 4
#define RECIPE_MAX_FIELDS 8
#define RECIPE_NAME_MAX 64
/* UICR CUSTOMER[0..31] (nRF52 PS, UICR): where per-unit fields go by default */
#define RECIPE_UICR_CUSTOMER 0x10001080U
#define RECIPE_UICR_CUSTOMER_END 0x10001100U

enum recipe_field_kind { RECIPE_FIELD_SERIAL, RECIPE_FIELD_DEVICE_ID, RECIPE_FIELD_BLE_ADDR,
			 RECIPE_FIELD_DATE };
const char *recipe_field_kind_name(enum recipe_field_kind k); /* "serial", ... */

/* One per-unit field: ASCII text, NUL padded to size bytes (a multiple of
 * 4 at a word-aligned address: the NVMC writes words), with at least one
 * NUL. serial: prefix then
 * the number in decimal or upper-case hex, zero-padded to width; device_id:
 * 16 hex digits (FICR DEVICEID[1]:[0]); ble_addr: "AA:BB:CC:DD:EE:FF" (FICR
 * DEVICEADDR, top two bits set: a static random address); date:
 * "YYYY-MM-DD" (UTC). */
struct recipe_field {
	enum recipe_field_kind kind;
	uint32_t addr, size;
	int hex;              /* serial: hex digits instead of decimal */
	unsigned width;       /* serial: minimum digits (zero padded) */
	char prefix[24];      /* serial */
};

struct recipe_selftest {
	int enabled;
	char pass[80];        /* the RTT line that means PASS ("SELFTEST PASS") */
	char fail[80];        /* a line that means FAIL ("" = none) */
	unsigned timeout_ms;  /* target time */
};

struct recipe {
	char name[RECIPE_NAME_MAX + 1];
	unsigned version;     /* 1, 2, ... per name; set by recipes_save */
	int64_t saved_ms;
	char part_name[16];   /* "nRF52840" */
	uint32_t part;        /* 0x52840 */
	uint32_t flash_size;
	char images[RECIPE_MAX_IMAGES][65];
	unsigned nimages;
	enum nrf52_erase_mode erase;
	int recover;          /* a locked board is recovered (erase-all) first */
	int verify;
	int reset;            /* reset into the firmware at the end (unless locked) */
	int lock;             /* enable APPROTECT as the last step (irreversible but by erase-all) */
	uint64_t serial_start; /* the first serial number of a new counter */
	struct recipe_field fields[RECIPE_MAX_FIELDS];
	unsigned nfields;
	struct recipe_selftest selftest;
};

/* Parse a recipe object (the API's and the files' format; see README).
 * Checks the syntax and everything that needs no stored image. */
int recipe_from_json(json_t *o, struct recipe *r, struct sf_err *err);
json_t *recipe_to_json(const struct recipe *r);
/* The stored images of r merged into one image (they do not overlap). */
int recipe_load_images(const struct recipe *r, struct store *s, struct img *out,
		       struct sf_err *err);
/* Everything recipes_save checks, against the store. */
int recipe_check(const struct recipe *r, struct store *s, struct sf_err *err);
/* 1 when name is a valid recipe name ([A-Za-z0-9._-], 1..64, not starting with '.'). */
int recipe_name_ok(const char *name);

struct recipes;

struct recipes *recipes_open(const char *state_dir, struct store *s, struct sf_err *err);
void recipes_close(struct recipes *rs);
/* Check and store o as the next version of its name; *out (may be NULL)
 * gets what was stored. SF_E_ARG/SF_E_RANGE/SF_E_NOTFOUND naming the
 * problem; SF_E_NOSPACE when it cannot be written. */
int recipes_save(struct recipes *rs, json_t *o, struct recipe *out, struct sf_err *err);
/* The current version of name (version 0), or that version. SF_E_NOTFOUND. */
int recipes_get(struct recipes *rs, const char *name, unsigned version, struct recipe *out,
		struct sf_err *err);
int recipes_delete(struct recipes *rs, const char *name, struct sf_err *err);
/* Make name the active recipe ("" or NULL: none). */
int recipes_activate(struct recipes *rs, const char *name, struct sf_err *err);
/* The active recipe: 0, or SF_E_NOTFOUND when none is active. */
int recipes_active(struct recipes *rs, struct recipe *out, struct sf_err *err);
/* {"active": NAME|null, "recipes": [current versions, by name]} */
json_t *recipes_list_json(struct recipes *rs);

#endif
