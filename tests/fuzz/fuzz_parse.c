// SPDX-License-Identifier: GPL-2.0-or-later
/* Numbers and sizes (common/parse.c), as query strings, config values and
 * CLI arguments reach them: the documented syntax only (no sign, no white
 * space, leading zeros decimal), *out untouched on failure, parse_u32 the
 * 32-bit parse_size, and every accepted value prints back (decimal, 0x hex,
 * K/M) to the same value. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>

#include "fuzz.h"
#include "../../common/parse.h"

static void roundtrip(const char *fmt, uint64_t v, uint64_t div)
{
	char s[64];
	uint64_t back = 0;

	snprintf(s, sizeof(s), fmt, v / div);
	FZ_ASSERT(parse_size(s, &back) == 0 && back == v, "'%s' does not parse back to %" PRIu64,
		  s, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[80];
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL;
	uint32_t u = 0x5a5a5a5a;
	int rs, ru;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';

	rs = parse_size(s, &v);
	ru = parse_u32(s, &u);
	FZ_ASSERT(rs == 0 || rs == -1, "parse_size returned %d", rs);
	if (rs) {
		FZ_ASSERT(v == 0x5a5a5a5a5a5a5a5aULL, "parse_size changed *out on failure");
		FZ_ASSERT(ru != 0 && u == 0x5a5a5a5a, "parse_u32 accepted what parse_size refused");
	} else {
		FZ_ASSERT(s[0] != '\0', "the empty string parsed");
		for (const char *p = s; *p; p++)
			FZ_ASSERT(isalnum((unsigned char)*p), "'%s' parsed (byte 0x%02x)", s,
				  (unsigned char)*p);
		FZ_ASSERT((v <= UINT32_MAX) == (ru == 0), "parse_u32 %d for %" PRIu64, ru, v);
		FZ_ASSERT(ru || u == v, "parse_u32 %u, parse_size %" PRIu64, u, v);
		if (strspn(s, "0123456789") == strlen(s)) {
			errno = 0;
			unsigned long long d = strtoull(s, NULL, 10);
			FZ_ASSERT(errno == 0 && d == v, "'%s' is %" PRIu64 ", decimal %llu", s, v, d);
		}
		roundtrip("%" PRIu64, v, 1);
		roundtrip("0x%" PRIx64, v, 1);
		roundtrip("0X%" PRIX64, v, 1);
		if (v % 1024 == 0)
			roundtrip("%" PRIu64 "K", v, 1024);
		if (v % (1024 * 1024) == 0)
			roundtrip("%" PRIu64 "M", v, 1024 * 1024);
	}

	int hex = strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
	FZ_ASSERT(parse_is_sha256_hex(s) == hex, "parse_is_sha256_hex('%s') = %d", s,
		  parse_is_sha256_hex(s));
	return 0;
}
