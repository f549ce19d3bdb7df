// SPDX-License-Identifier: GPL-2.0-or-later
/* utf8: see utf8.h. */
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		need = 2;
		cp = p[0] & 0x1Fu;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		need = 3;
		cp = p[0] & 0x0Fu;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		need = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3Fu);
	}
	/* overlong three-byte forms, UTF-16 surrogates, past U+10FFFF */
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

int utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n) {
		size_t k = utf8_seq_len(p, n);
		if (!k)
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

int utf8_clean(char *dst, size_t dn, const char *src, enum utf8_mode mode, int drop_controls)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n = strlen(src), w = 0;
	int changed = 0;

	if (dn == 0)
		return 0;
	while (n) {
		size_t k = utf8_seq_len(p, n);
		char rep[8];
		const char *out = (const char *)p;
		size_t olen = k;

		if (k == 1 && drop_controls && (p[0] < 0x20 || p[0] == 0x7F)) {
			changed = 1;
			p++;
			n--;
			continue;
		}
		if (!k) {
			changed = 1;
			if (mode == UTF8_ESCAPE)
				snprintf(rep, sizeof(rep), "\\x%02X", p[0]);
			else
				memcpy(rep, "\xEF\xBF\xBD", 4);
			out = rep;
			olen = strlen(rep);
			k = 1;
		}
		if (w + olen + 1 > dn)
			break; /* cut between characters */
		memcpy(dst + w, out, olen);
		w += olen;
		p += k;
		n -= k;
	}
	dst[w] = '\0';
	return changed;
}
