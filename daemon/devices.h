// SPDX-License-Identifier: GPL-2.0-or-later
/* devices: traceability, one record per board that went through a recipe.
 *
 * STATE_DIR/devices.jsonl, one JSON object a line, appended and
 * fdatasynced before the board's job is reported ended (as the job
 * history: a failed append on a full disk is cut back to the old size, so
 * no torn record is left for the next one to be glued onto, and a board is
 * never reported PASS without its record). A record: time, station,
 * device_id, part, variant, serial (and serial_state: "written",
 * "burned" when the board failed after its number was handed out, "none"),
 * recipe and recipe_version, images (SHA-256 and name), steps (name,
 * result, ms of the probe's clock), verdict PASS/FAIL, reason, locked,
 * job id, fields (per-unit values written). devices_journal() logs the
 * end-of-board line with journald fields DEVICE_ID=, SERIAL=,
 * IMAGE_SHA256=, RECIPE=, VERDICT= (journalctl DEVICE_ID=... finds it).
 *
 * Queries read the file (no limit on the number of records kept);
 * today's counts, the last boards and the set of device IDs that passed
 * are kept in memory. Thread-safe. */
#ifndef DAEMON_DEVICES_H
#define DAEMON_DEVICES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define DEVICES_LAST 12

struct devices;

struct devices_filter {
	int64_t since_ms, until_ms;  /* 0 = open */
	char verdict[8];             /* "", "PASS", "FAIL" */
	char recipe[72];
	uint64_t device_id;          /* 0 = any */
	int has_device_id;
	unsigned limit;              /* newest N (0 = all) */
};

enum devices_format { DEVICES_JSON, DEVICES_JSONL, DEVICES_CSV };

struct devices *devices_open(const char *state_dir, struct sf_err *err);
void devices_close(struct devices *d);
/* Append rec (durable when 0 is returned). */
int devices_append(struct devices *d, json_t *rec, struct sf_err *err);
/* The matching records, oldest first, rendered: JSON {"devices":[...]},
 * JSON lines, or CSV with a header line. *out is malloc'ed. */
int devices_query(struct devices *d, const struct devices_filter *f, enum devices_format fmt,
		  char **out, size_t *len, struct sf_err *err);
/* 1 when a record with this device ID and verdict PASS exists. */
int devices_passed(struct devices *d, uint64_t device_id);
/* {"today": {"date","passed","failed","yield"}, "last": [newest first]} */
json_t *devices_summary(struct devices *d);
/* The journal line of a board record (also to stderr through dlog). */
void devices_journal(const json_t *rec);

#endif
