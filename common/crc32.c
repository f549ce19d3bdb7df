// SPDX-License-Identifier: GPL-2.0-or-later
/* crc32: a byte-wise table, built on first use. The on-target routine
 * (nrf52/target/crc32.S) uses the same table, built in the target's RAM. */
#include "crc32.h"

#include <pthread.h>

#define CRC32_POLY 0xEDB88320U  /* 0x04C11DB7 bit-reversed (IEEE 802.3 clause 3.2.9) */

static uint32_t crc32_table[256];
static pthread_once_t crc32_once = PTHREAD_ONCE_INIT;

static void crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (c & 1U ? CRC32_POLY : 0);
		crc32_table[i] = c;
	}
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	pthread_once(&crc32_once, crc32_init);
	crc = ~crc;
	while (len--)
		crc = crc32_table[(crc ^ *p++) & 0xFFU] ^ (crc >> 8);
	return ~crc;
}
