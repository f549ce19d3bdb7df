// SPDX-License-Identifier: GPL-2.0-or-later
/* image_internal: what the format parsers share (not part of the API).
 *
 * A parser adds "pieces" (address, bytes, where they came from) to an
 * img_build; img_build_finish() sorts them, checks overlaps (identical bytes
 * are fine, different bytes are an error naming the address and both
 * origins) and merges touching pieces into the segments of a struct img. */
#ifndef NRF52_IMAGE_INTERNAL_H
#define NRF52_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "image.h"

/* What "origin" counts in messages: "line 12", "block 3", "program header 2". */
enum img_origin_kind { IMG_ORIGIN_LINE, IMG_ORIGIN_BLOCK, IMG_ORIGIN_PHDR, IMG_ORIGIN_FILE };

struct img_piece {
	uint32_t addr;
	uint32_t len;
	size_t off;       /* into the builder's arena */
	size_t seq;       /* insertion order: keeps the sort stable */
	uint32_t origin;  /* line, block or program header number */
};

struct img_build {
	enum img_origin_kind kind;
	struct img_piece *p;
	size_t n, cap;
	uint8_t *arena;
	size_t alen, acap;
};

void img_build_init(struct img_build *b, enum img_origin_kind kind);
/* Copy len bytes for addr. The caller has checked addr + len <= 4 GiB. */
int img_build_add(struct img_build *b, uint32_t addr, const uint8_t *data, size_t len,
		  uint32_t origin, struct sf_err *err);
/* Sort, check overlaps, merge into out->seg/nseg/total. */
int img_build_finish(struct img_build *b, struct img *out, struct sf_err *err);
void img_build_free(struct img_build *b);

/* Format parsers: add pieces to b, set out->has_entry/entry. */
int img_parse_hex(const uint8_t *buf, size_t len, struct img_build *b, struct img *out,
		  struct sf_err *err);
int img_parse_uf2(const uint8_t *buf, size_t len, struct img_build *b, struct img *out,
		  struct sf_err *err);
int img_parse_elf(const uint8_t *buf, size_t len, struct img_build *b, struct img *out,
		  struct sf_err *err);

/* Little-endian loads (the formats are all little-endian). */
static inline uint32_t img_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t img_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* UF2 magic words (github.com/microsoft/uf2 README, "File format") */
#define UF2_MAGIC0 0x0A324655u
#define UF2_MAGIC1 0x9E5D5157u
#define UF2_MAGIC_END 0x0AB16F30u

#define IMG_ADDR_LIMIT 0x100000000ULL /* first address past the 32-bit space */

#endif
