// SPDX-License-Identifier: GPL-2.0-or-later
/* image_uf2: UF2 (Microsoft's USB Flashing Format, github.com/microsoft/uf2,
 * README "File format"). 512-byte blocks:
 *
 *   0 magicStart0 0x0A324655    16 payloadSize     32 data[476]
 *   4 magicStart1 0x9E5D5157    20 blockNo        508 magicEnd 0x0AB16F30
 *   8 flags                     24 numBlocks
 *  12 targetAddr                28 fileSize or familyID
 *
 * Flags: 0x00000001 not main flash (the block is skipped, but keeps its
 * number), 0x00001000 file container (refused: not firmware), 0x00002000
 * familyID present, 0x00004000 MD5 checksum in the last 24 bytes of data[]
 * (verified: see uf2_check_md5),
 * 0x00008000 extension tags after the payload. Family IDs accepted (from
 * utils/uf2families.json): 0x1B57745F NRF52 (nRF52832 boards), 0xADA52840
 * NRF52840, 0x621E937A NRF52833; any other family is refused here, and the
 * engine (nrf52_check_image) refuses a family that is not the attached
 * part's. A family-less file (uf2conv.py without -f) is accepted: nothing
 * in it says which chip it is for, and the address check still applies.
 *
 * Block numbering: every block carries the same numBlocks, blockNo is below
 * it, and each number from 0 to numBlocks - 1 appears exactly once.
 *
 * Padding. UF2 has no way to mark padding: the reference converter
 * (uf2conv.py) always emits 256-byte payloads and fills the part of a
 * 256-byte block that the HEX or binary does not cover with 0x00; other
 * tools pad with 0xFF, the erased value. Our S140 6.1.1 fixture shows it:
 * the HEX ends at 0x25DE8, the UF2's last block runs to 0x25E00 and carries
 * 24 zero bytes beyond the HEX's data. Taken at face value those bytes
 * would be written over whatever the flash holds there (and 0xFF padding
 * would make the engine erase a page the image does not really use). So:
 *
 *   In the block that ends a run of contiguous blocks, trailing whole
 *   32-bit words (aligned to the absolute address) that consist only of
 *   the payload's last byte value, when that value is 0x00 or 0xFF, are
 *   dropped; the block's first word is always kept.
 *
 * Word granularity keeps real data that merely ends in a zero byte (the
 * S140 image ends in "... C0 00" at 0x25DE7), and the result is that the
 * S140 UF2 and HEX give the same segments, byte for byte. The price: a
 * firmware whose last real word is all 0x00 or all 0xFF, in the last block
 * of a run, loses that word; the flash there keeps what it had (0xFFFFFFFF
 * after an erase). Padding at the start of a run or in gaps inside a block
 * cannot be told from data and is kept. */
#include <stdlib.h>
#include <string.h>

#include "../common/md5.h"
#include "image_internal.h"

#define UF2_BLOCK 512u
#define UF2_MAX_PAYLOAD 476u
#define UF2_FLAG_NOT_MAIN_FLASH 0x00000001u
#define UF2_FLAG_FILE_CONTAINER 0x00001000u
#define UF2_FLAG_FAMILY 0x00002000u
#define UF2_FLAG_MD5 0x00004000u
#define UF2_MD5_AREA 24u          /* start, length, MD5 at the end of data[] */

static const struct {
	uint32_t id;
	const char *name;
} uf2_nrf52_families[] = {
	{ 0x1B57745Fu, "nRF52" },
	{ 0xADA52840u, "nRF52840" },
	{ 0x621E937Au, "nRF52833" },
};

struct uf2_blk {
	uint32_t addr, size, index;
	const uint8_t *data;
	const uint8_t *md5;     /* flag 0x4000: region start, length, MD5; else NULL */
};

static const char *family_name(uint32_t id)
{
	size_t i;

	for (i = 0; i < sizeof(uf2_nrf52_families) / sizeof(uf2_nrf52_families[0]); i++)
		if (uf2_nrf52_families[i].id == id)
			return uf2_nrf52_families[i].name;
	return NULL;
}

static int blk_cmp(const void *a, const void *b)
{
	const struct uf2_blk *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Bytes of the block that remain after dropping trailing padding words. */
static uint32_t uf2_trimmed_size(const struct uf2_blk *k)
{
	uint64_t start = k->addr, end = start + k->size;
	uint8_t v;
	uint64_t e, i;

	if (k->size == 0)
		return 0;
	v = k->data[k->size - 1];
	if (v != 0x00 && v != 0xFF)
		return k->size;
	e = end;
	/* An unaligned tail first, then whole words; never below the first
	 * aligned word boundary past start. */
	if (e % 4) {
		uint64_t w = e & ~3ull;
		if (w <= start)
			return k->size;
		for (i = w; i < e; i++)
			if (k->data[i - start] != v)
				return k->size;
		e = w;
	}
	while (e >= start + 8) {
		for (i = e - 4; i < e; i++)
			if (k->data[i - start] != v)
				return (uint32_t)(e - start);
		e -= 4;
	}
	return (uint32_t)(e - start);
}

/* The MD5 checksum (README "MD5 checksum"): the region's contents as the
 * file writes them (the payloads as they are, before padding is trimmed)
 * must have that MD5. A region the file's blocks do not wholly cover
 * cannot be checked and is refused, like a mismatch, before anything is
 * written. keep[] is sorted by address. */
static int uf2_check_md5(const struct uf2_blk *keep, size_t n, struct sf_err *err)
{
	const uint8_t *last = NULL;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *m = keep[i].md5;
		uint32_t start, len;
		uint64_t pos, end;
		uint8_t got[16];
		struct md5 ctx;

		if (!m || (last && !memcmp(last, m, UF2_MD5_AREA)))
			continue; /* consecutive blocks usually name the same region */
		start = img_le32(m);
		len = img_le32(m + 4);
		pos = start;
		end = (uint64_t)start + len;
		md5_init(&ctx);
		for (size_t k = 0; k < n && pos < end; k++) {
			uint64_t a = keep[k].addr, e = a + keep[k].size, to;
			if (e <= pos)
				continue;
			if (a > pos)
				break; /* a gap */
			to = e < end ? e : end;
			md5_update(&ctx, keep[k].data + (pos - a), (size_t)(to - pos));
			pos = to;
		}
		if (pos < end)
			return sf_err_set(err, SF_E_IMAGE,
					   "block %u: MD5 region 0x%08X + %u bytes is not covered by "
					   "the file's blocks (nothing at 0x%08llX): it cannot be checked",
					   (unsigned)keep[i].index, (unsigned)start, (unsigned)len,
					   (unsigned long long)pos);
		md5_final(&ctx, got);
		if (memcmp(got, m + 8, 16))
			return sf_err_set(err, SF_E_IMAGE,
					   "block %u: MD5 of 0x%08X + %u bytes does not match the "
					   "checksum in the block (damaged file)",
					   (unsigned)keep[i].index, (unsigned)start, (unsigned)len);
		last = m;
	}
	return 0;
}

int img_parse_uf2(const uint8_t *buf, size_t len, struct img_build *b, struct img *out,
		  struct sf_err *err)
{
	size_t nblk = len / UF2_BLOCK, i, nkeep = 0;
	uint32_t num_blocks = 0, family = 0, family_blk = 0;
	int have_family = 0, rc = 0;
	uint32_t *seen = NULL;          /* file index + 1 per blockNo, 0 = missing */
	struct uf2_blk *keep = NULL;

	if (len % UF2_BLOCK)
		return sf_err_set(err, SF_E_IMAGE,
				   "truncated UF2: %zu bytes is not a whole number of 512-byte "
				   "blocks (block %zu has only %zu bytes)",
				   len, nblk, len % UF2_BLOCK);
	/* seen[] is sized by the file, not by numBlocks (which the file
	 * claims and could be 0xFFFFFFFF). A blockNo at or past nblk means
	 * numBlocks > nblk: the file then lacks blocks and is refused below. */
	keep = calloc(nblk, sizeof(*keep));
	seen = calloc(nblk, sizeof(*seen));
	if (!keep || !seen) {
		free(keep);
		free(seen);
		return sf_err_set(err, SF_E_NOMEM, "out of memory (%zu UF2 blocks)", nblk);
	}

	for (i = 0; i < nblk; i++) {
		const uint8_t *p = buf + i * UF2_BLOCK;
		uint32_t m0 = img_le32(p), m1 = img_le32(p + 4), flags = img_le32(p + 8);
		uint32_t addr = img_le32(p + 12), size = img_le32(p + 16);
		uint32_t bno = img_le32(p + 20), nb = img_le32(p + 24), fam = img_le32(p + 28);
		uint32_t mend = img_le32(p + 508), room = UF2_MAX_PAYLOAD;

		if (m0 != UF2_MAGIC0 || m1 != UF2_MAGIC1) {
			rc = sf_err_set(err, SF_E_IMAGE,
					 "block %zu: bad magic (start words 0x%08X 0x%08X, expected "
					 "0x%08X 0x%08X)", i, (unsigned)m0, (unsigned)m1,
					 UF2_MAGIC0, UF2_MAGIC1);
			goto out;
		}
		if (mend != UF2_MAGIC_END) {
			rc = sf_err_set(err, SF_E_IMAGE,
					 "block %zu: bad magic (end word 0x%08X, expected 0x%08X)",
					 i, (unsigned)mend, UF2_MAGIC_END);
			goto out;
		}
		if (i == 0) {
			num_blocks = nb;
			if (nb == 0) {
				rc = sf_err_set(err, SF_E_IMAGE, "block 0: numBlocks is 0");
				goto out;
			}
		} else if (nb != num_blocks) {
			rc = sf_err_set(err, SF_E_IMAGE,
					 "block %zu: numBlocks %u differs from %u in block 0",
					 i, (unsigned)nb, (unsigned)num_blocks);
			goto out;
		}
		if (bno >= num_blocks) {
			rc = sf_err_set(err, SF_E_IMAGE,
					 "block %zu: blockNo %u out of range (numBlocks %u)",
					 i, (unsigned)bno, (unsigned)num_blocks);
			goto out;
		}
		if (bno < nblk) {
			if (seen[bno]) {
				rc = sf_err_set(err, SF_E_IMAGE,
						 "block %zu: duplicate blockNo %u (also block %u)",
						 i, (unsigned)bno, (unsigned)(seen[bno] - 1));
				goto out;
			}
			seen[bno] = (uint32_t)i + 1;
		}
		if (flags & UF2_FLAG_FILE_CONTAINER) {
			rc = sf_err_set(err, SF_E_IMAGE,
					 "block %zu: file container block (flag 0x00001000), not "
					 "firmware for flash", i);
			goto out;
		}
		if (flags & UF2_FLAG_MD5)
			room -= UF2_MD5_AREA;
		if (size > room) {
			rc = sf_err_set(err, SF_E_IMAGE,
					 "block %zu: payload size %u exceeds %u bytes", i,
					 (unsigned)size, (unsigned)room);
			goto out;
		}
		if (flags & UF2_FLAG_NOT_MAIN_FLASH)
			continue;
		if (flags & UF2_FLAG_FAMILY) {
			if (!family_name(fam)) {
				rc = sf_err_set(err, SF_E_IMAGE,
						 "block %zu: family ID 0x%08X is not an nRF52 family "
						 "(expected 0xADA52840 nRF52840, 0x621E937A nRF52833 "
						 "or 0x1B57745F nRF52)", i, (unsigned)fam);
				goto out;
			}
			if (have_family && fam != family) {
				rc = sf_err_set(err, SF_E_IMAGE,
						 "block %zu: family ID 0x%08X (%s) differs from 0x%08X "
						 "(%s) in block %u", i, (unsigned)fam, family_name(fam),
						 (unsigned)family, family_name(family),
						 (unsigned)family_blk);
				goto out;
			}
			if (!have_family) {
				have_family = 1;
				family = fam;
				family_blk = (uint32_t)i;
			}
		}
		if ((uint64_t)addr + size > IMG_ADDR_LIMIT) {
			rc = sf_err_set(err, SF_E_IMAGE,
					 "block %zu: address wrap past 4 GiB (0x%08X + %u bytes)",
					 i, (unsigned)addr, (unsigned)size);
			goto out;
		}
		if (size)
			keep[nkeep++] = (struct uf2_blk){ .addr = addr, .size = size,
							  .index = (uint32_t)i, .data = p + 32,
							  .md5 = flags & UF2_FLAG_MD5
								 ? p + 32 + UF2_MAX_PAYLOAD - UF2_MD5_AREA
								 : NULL };
	}
	if (nblk != num_blocks) {
		/* Fewer numbers than blocks would have been a duplicate, so
		 * numBlocks > nblk and some blockNo below nblk, or nblk itself,
		 * is missing. */
		size_t missing = 0;
		while (missing < nblk && seen[missing])
			missing++;
		rc = sf_err_set(err, SF_E_IMAGE,
				 "blockNo %zu missing (the file has %zu of %u blocks)",
				 missing, nblk, (unsigned)num_blocks);
		goto out;
	}
	if (nkeep == 0) {
		rc = sf_err_set(err, SF_E_IMAGE,
				 "no main-flash data: all %zu blocks are marked not-main-flash or empty",
				 nblk);
		goto out;
	}

	/* Runs of contiguous (or overlapping) blocks; the block reaching the
	 * run's end gets its trailing padding trimmed (see the top comment). */
	qsort(keep, nkeep, sizeof(keep[0]), blk_cmp);
	rc = uf2_check_md5(keep, nkeep, err);
	if (rc)
		goto out;
	for (i = 0; i < nkeep;) {
		uint64_t end = (uint64_t)keep[i].addr + keep[i].size;
		size_t j = i + 1, last = i, k;

		while (j < nkeep && keep[j].addr <= end) {
			uint64_t e = (uint64_t)keep[j].addr + keep[j].size;
			if (e >= end) {
				end = e;
				last = j;
			}
			j++;
		}
		for (k = i; k < j; k++) {
			uint32_t n = k == last ? uf2_trimmed_size(&keep[k]) : keep[k].size;
			rc = img_build_add(b, keep[k].addr, keep[k].data, n, keep[k].index, err);
			if (rc)
				goto out;
		}
		i = j;
	}
	/* UF2 carries no entry point; the family is checked against the
	 * attached part by the engine (nrf52_check_image) */
	out->has_family = have_family;
	out->family = family;
out:
	free(seen);
	free(keep);
	return rc;
}
