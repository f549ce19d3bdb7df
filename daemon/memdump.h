// SPDX-License-Identifier: GPL-2.0-or-later
/* memdump: target memory in the form a caller asked for (raw bytes or
 * Intel HEX), so web/ hands out dumps without knowing image formats. A
 * dump is produced a piece at a time: a client that reads slowly (or not
 * at all) holds the bytes read from the chip, never their text as well
 * (Intel HEX is 2.75 times larger). */
#ifndef DAEMON_MEMDUMP_H
#define DAEMON_MEMDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

enum memdump_format { MEMDUMP_BIN, MEMDUMP_HEX };

/* "bin" or "hex"; -1 for anything else. */
int memdump_format_from_name(const char *name);
const char *memdump_content_type(enum memdump_format f);

struct memdump;

/* What a dump holds besides the bytes read (its state), at most. */
#define MEMDUMP_OVERHEAD 8192u

/* A dump of len bytes read at addr. Takes ownership of buf (malloc'ed),
 * also on failure. */
int memdump_open(enum memdump_format f, uint32_t addr, uint8_t *buf, size_t len,
		 struct memdump **out, struct sf_err *err);
/* The whole dump's length in bytes. */
uint64_t memdump_size(const struct memdump *d);
/* The next bytes of the dump (at most max, max > 0) into out; 0 at its
 * end. Each byte is given once, in order. */
size_t memdump_read(struct memdump *d, char *out, size_t max);
void memdump_free(struct memdump *d);

#endif
