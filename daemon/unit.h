// SPDX-License-Identifier: GPL-2.0-or-later
/* unit: per-unit data, the serial number counters and the field values.
 *
 * One counter per recipe name, STATE_DIR/serials/NAME, a line "next N".
 * unit_reserve() hands out N and makes "next N+1" durable (temporary
 * file, fsync, rename, directory fsync) BEFORE it returns, so whatever
 * happens after (a crash, kill -9, power loss, a failed write to the
 * chip) can leave a gap in the numbers, never a duplicate. A counter
 * starts at the recipe's serial_start, and jumps to it when a recipe
 * raises it.
 *
 * Thread-safe. */
#ifndef DAEMON_UNIT_H
#define DAEMON_UNIT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../nrf52/nrf52.h"
#include "recipe.h"

struct units;

struct units *units_open(const char *state_dir, struct sf_err *err);
void units_close(struct units *u);
/* The next number for recipe (start when it has no counter yet or a lower
 * one), made durable as used before this returns. */
int unit_reserve(struct units *u, const char *recipe, uint64_t start, uint64_t *serial,
		 struct sf_err *err);
/* What unit_reserve would hand out now. */
int unit_peek(struct units *u, const char *recipe, uint64_t start, uint64_t *next,
	      struct sf_err *err);

/* The value of field f for this board: text (NUL terminated, for the
 * record) and out, f->size bytes (the text, NUL padded) to write.
 * SF_E_RANGE when a serial number does not fit its field. */
int unit_field_value(const struct recipe_field *f, uint64_t serial,
		     const struct nrf52_info *info, int64_t now_ms, uint8_t *out, char *text,
		     size_t text_len, struct sf_err *err);

#endif
