// SPDX-License-Identifier: GPL-2.0-or-later
/* sha256: FIPS 180-4 SHA-256 of a whole buffer, the identity of every
 * firmware image and of the daemon's bearer token. */
#ifndef COMMON_SHA256_H
#define COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* out receives the 32-byte digest; hex (may be NULL) 64 lower-case hex
 * digits and a NUL. */
void sha256_buf(const uint8_t *buf, size_t len, uint8_t out[32], char *hex);

#endif
