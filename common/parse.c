// SPDX-License-Identifier: GPL-2.0-or-later
#include "parse.h"

#include <string.h>

static unsigned digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 99;
}

/* Digits by hand rather than strtoull(s, 0): base 0 reads "010" as octal 8
 * and skips leading white space, and base 16 takes a second "0x" prefix. */
int parse_size(const char *s, uint64_t *out)
{
	unsigned base = 10, d;
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (!s)
		return -1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (digit_value(*p) >= base)
		return -1; /* empty, sign, white space, "0x" alone */
	for (; (d = digit_value(*p)) < base; p++) {
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	if (*p == 'k' || *p == 'K')
		mul = 1024;
	else if (*p == 'm' || *p == 'M')
		mul = 1024 * 1024;
	if (mul > 1) {
		p++;
		if (*p == 'i' && (p[1] == 'B' || p[1] == 'b'))
			p += 2;
	}
	if (*p || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_size(s, &v) || v > 0xFFFFFFFFULL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int parse_is_sha256_hex(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}
