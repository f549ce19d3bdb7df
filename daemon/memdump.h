// SPDX-License-Identifier: GPL-2.0-or-later
/* memdump: target memory in the form a caller asked for (raw bytes or
 * Intel HEX), so web/ hands out dumps without knowing image formats. */
#ifndef DAEMON_MEMDUMP_H
#define DAEMON_MEMDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

enum memdump_format { MEMDUMP_BIN, MEMDUMP_HEX };

/* "bin" or "hex"; -1 for anything else. */
int memdump_format_from_name(const char *name);
const char *memdump_content_type(enum memdump_format f);

/* Render len bytes read at addr. Takes ownership of buf (malloc'ed): *out
 * is buf itself for MEMDUMP_BIN, a new malloc'ed text for MEMDUMP_HEX (buf
 * is then freed). On failure nothing is left to free. */
int memdump_render(enum memdump_format f, uint32_t addr, uint8_t *buf, size_t len,
		   uint8_t **out, size_t *out_len, struct sf_err *err);

#endif
