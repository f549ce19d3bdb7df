// SPDX-License-Identifier: GPL-2.0-or-later
#include "memdump.h"

#include <stdlib.h>
#include <string.h>

#include "../nrf52/image.h"

struct memdump {
	enum memdump_format fmt;
	uint8_t *buf;
	size_t len, pos;         /* MEMDUMP_BIN: bytes given */
	struct img_ihex_writer w;
	uint64_t size;
	char stage[4096];        /* MEMDUMP_HEX: whole records not yet given */
	size_t stage_len, stage_off;
};

_Static_assert(sizeof(struct memdump) <= MEMDUMP_OVERHEAD, "MEMDUMP_OVERHEAD too small");

int memdump_format_from_name(const char *name)
{
	if (!strcmp(name, "bin"))
		return MEMDUMP_BIN;
	if (!strcmp(name, "hex"))
		return MEMDUMP_HEX;
	return -1;
}

const char *memdump_content_type(enum memdump_format f)
{
	return f == MEMDUMP_HEX ? "text/plain" : "application/octet-stream";
}

int memdump_open(enum memdump_format f, uint32_t addr, uint8_t *buf, size_t len,
		 struct memdump **out, struct sf_err *err)
{
	struct memdump *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d) {
		free(buf);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	d->fmt = f;
	d->buf = buf;
	d->len = len;
	d->size = len;
	if (f == MEMDUMP_HEX) {
		if (img_ihex_writer_init(&d->w, addr, buf, len)) {
			memdump_free(d);
			return sf_err_set(err, SF_E_ARG, "%zu bytes at 0x%08X pass the end of the "
					  "32-bit address space", len, (unsigned)addr);
		}
		d->size = img_ihex_size(addr, len);
	}
	*out = d;
	return 0;
}

uint64_t memdump_size(const struct memdump *d)
{
	return d->size;
}

size_t memdump_read(struct memdump *d, char *out, size_t max)
{
	size_t n;

	if (d->fmt == MEMDUMP_BIN) {
		n = d->len - d->pos < max ? d->len - d->pos : max;
		memcpy(out, d->buf + d->pos, n);
		d->pos += n;
		return n;
	}
	if (d->stage_off == d->stage_len) {
		d->stage_off = 0;
		d->stage_len = img_ihex_writer_next(&d->w, d->stage, sizeof(d->stage));
	}
	n = d->stage_len - d->stage_off < max ? d->stage_len - d->stage_off : max;
	memcpy(out, d->stage + d->stage_off, n);
	d->stage_off += n;
	return n;
}

void memdump_free(struct memdump *d)
{
	if (!d)
		return;
	free(d->buf);
	free(d);
}
