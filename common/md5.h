// SPDX-License-Identifier: GPL-2.0-or-later
/* md5: the MD5 message digest (RFC 1321), only for what a file format
 * demands (the UF2 MD5 checksum, flag 0x4000); never for security. */
#ifndef COMMON_MD5_H
#define COMMON_MD5_H

#include <stddef.h>
#include <stdint.h>

struct md5 {
	uint32_t h[4];
	uint64_t len;        /* bytes so far */
	uint8_t buf[64];
	size_t nbuf;
};

void md5_init(struct md5 *m);
void md5_update(struct md5 *m, const void *data, size_t len);
void md5_final(struct md5 *m, uint8_t out[16]);

#endif
