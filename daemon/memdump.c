// SPDX-License-Identifier: GPL-2.0-or-later
#include "memdump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nrf52/image.h"

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

int memdump_render(enum memdump_format f, uint32_t addr, uint8_t *buf, size_t len,
		   uint8_t **out, size_t *out_len, struct sf_err *err)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *m;
	int rc;

	if (f == MEMDUMP_BIN) {
		*out = buf;
		*out_len = len;
		return 0;
	}
	m = open_memstream(&text, &tlen);
	if (!m) {
		free(buf);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	rc = img_write_ihex(m, addr, buf, len);
	if (fclose(m))
		rc = -1;
	free(buf);
	if (rc) {
		free(text);
		return sf_err_set(err, SF_E_IO, "cannot format %zu bytes at 0x%08X as Intel HEX",
				  len, (unsigned)addr);
	}
	*out = (uint8_t *)text;
	*out_len = tlen;
	return 0;
}
