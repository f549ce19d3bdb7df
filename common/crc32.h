// SPDX-License-Identifier: GPL-2.0-or-later
/* crc32: CRC-32 as IEEE 802.3, zlib and PNG define it (reflected
 * polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF; the
 * check value of "123456789" is 0xCBF43926). The nRF52 engine's on-target
 * CRC routine (nrf52/target/crc32.S) computes the same function, so the
 * host compares a page without reading it back. A CRC detects errors, not
 * tampering: two different blocks match with probability 2^-32. */
#ifndef COMMON_CRC32_H
#define COMMON_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of data[0..len) continued from crc, the CRC of what came
 * before (0 to start): crc32_update(crc32_update(0, a), b) is the CRC of
 * a followed by b. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
