// SPDX-License-Identifier: GPL-2.0-or-later
/* parse: the number and name syntax shared by the CLI, the config file and
 * the HTTP query strings, so that "0x27000", "4M" and a SHA-256 name mean
 * the same thing everywhere. */
#ifndef COMMON_PARSE_H
#define COMMON_PARSE_H

#include <stdint.h>

/* Unsigned integer, decimal or 0x-hex, with an optional K or M suffix
 * (KiB, MiB; "KiB"/"MiB" also accepted). Leading zeros are decimal
 * ("010" is 10, never octal 8). Nothing else is accepted: no sign, no white
 * space anywhere, no "0x" without digits. 0, or -1 on junk or when the
 * value (after the suffix) does not fit in 64 bits; *out is untouched on
 * failure. */
int parse_size(const char *s, uint64_t *out);
/* The same, limited to 32 bits (addresses, lengths). */
int parse_u32(const char *s, uint32_t *out);
/* 1 when s is 64 lower-case hex digits (a stored image's name); 0 for
 * anything else, NULL included. */
int parse_is_sha256_hex(const char *s);

#endif
