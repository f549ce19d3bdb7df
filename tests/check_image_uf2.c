// SPDX-License-Identifier: GPL-2.0-or-later
/* UF2 parser (nrf52/image_uf2.c): nRF52 family IDs and files without one,
 * not-main-flash and file-container blocks, trailing padding trimmed
 * (0x00 and 0xFF), truncation, magic numbers, payload sizes, foreign
 * families, block numbering, overlaps and address wrap. */
#include "ck_run.h"
#include "common/md5.h"
#include "tests/image_testutil.h"

#define UF2_NRF52840 0xADA52840u

struct uf2_blk_spec {
	uint32_t flags, addr, size, bno, nb, fam;
};

/* A block whose payload byte i is (addr + i) * 7 + 1 (never 0x00 / 0xFF at
 * the positions the tests look at unless they set it). */
static void uf2_block(uint8_t *p, struct uf2_blk_spec s)
{
	uint32_t i;

	memset(p, 0, 512);
	put32(p, 0x0A324655u);
	put32(p + 4, 0x9E5D5157u);
	put32(p + 8, s.flags);
	put32(p + 12, s.addr);
	put32(p + 16, s.size);
	put32(p + 20, s.bno);
	put32(p + 24, s.nb);
	put32(p + 28, s.fam);
	for (i = 0; i < s.size && i < 476; i++)
		p[32 + i] = (uint8_t)((s.addr + i) * 7u + 1u);
	put32(p + 508, 0x0AB16F30u);
}

static uint8_t uf2_byte(uint32_t addr)
{
	return (uint8_t)(addr * 7u + 1u);
}

START_TEST(uf2_basic_family_and_merge)
{
	uint8_t f[3 * 512];
	struct img img;
	struct sf_err err;
	uint32_t i;

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 3, UF2_NRF52840 });
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1100, 256, 1, 3, UF2_NRF52840 });
	uf2_block(f + 1024, (struct uf2_blk_spec){ 0x2000, 0x4000, 476, 2, 3, UF2_NRF52840 });
	f[32 + 255] = 0x00; /* not the run's last block: no trimming here */
	f[1024 + 32 + 475] = 0x5A;
	sf_err_clear(&err);
	ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
	ck_assert_int_eq(img.format, IMG_UF2);
	ck_assert_uint_eq(img.nseg, 2);
	ck_seg(&img, 0, 0x1000, 512);
	ck_seg(&img, 1, 0x4000, 476);
	ck_assert_uint_eq(img.seg[0].data[255], 0x00);
	for (i = 256; i < 512; i++)
		ck_assert_uint_eq(img.seg[0].data[i], uf2_byte(0x1000 + i));
	ck_assert_uint_eq(img.has_entry, 0);
	img_free(&img);
}
END_TEST

START_TEST(uf2_other_nrf52_families_and_no_family)
{
	static const uint32_t fams[] = { 0x1B57745Fu, 0x621E937Au, UF2_NRF52840 };
	uint8_t f[512];
	struct img img;
	struct sf_err err;
	size_t i;

	for (i = 0; i < 3; i++) {
		uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x26000, 256, 0, 1, fams[i] });
		ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
		ck_seg(&img, 0, 0x26000, 256);
		img_free(&img);
	}
	/* no family flag: the familyID field means nothing */
	uf2_block(f, (struct uf2_blk_spec){ 0x0000, 0x26000, 256, 0, 1, 0xE48BFF56u });
	ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
	ck_seg(&img, 0, 0x26000, 256);
	img_free(&img);
}
END_TEST

START_TEST(uf2_skip_not_main_flash)
{
	uint8_t f[3 * 512];
	struct img img;
	struct sf_err err;

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 3, UF2_NRF52840 });
	/* not main flash, with a family that would be refused otherwise */
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x0001 | 0x2000, 0x1100, 256, 1, 3, 0x12345678u });
	uf2_block(f + 1024, (struct uf2_blk_spec){ 0x2000, 0x1200, 256, 2, 3, UF2_NRF52840 });
	ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
	ck_assert_uint_eq(img.nseg, 2);
	ck_seg(&img, 0, 0x1000, 256);
	ck_seg(&img, 1, 0x1200, 256);
	img_free(&img);
}
END_TEST

/* The S140 fixture's shape: real data ends in "... F4 10 C0 00" at 0xE8
 * into the last block, 24 bytes of 0x00 follow. */
START_TEST(uf2_trailing_zero_padding_trimmed)
{
	uint8_t f[2 * 512];
	struct img img;
	struct sf_err err;
	uint8_t *last = f + 512 + 32;

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x25C00, 256, 0, 2, UF2_NRF52840 });
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x25D00, 256, 1, 2, UF2_NRF52840 });
	memcpy(last + 0xE4, "\xF4\x10\xC0\x00", 4);
	memset(last + 0xE8, 0x00, 24);
	ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
	ck_assert_uint_eq(img.nseg, 1);
	ck_seg(&img, 0, 0x25C00, 0x1E8);
	ck_assert_uint_eq(img.seg[0].data[0x1E7], 0x00);
	ck_assert_uint_eq(img.seg[0].data[0x1E6], 0xC0);
	img_free(&img);
}
END_TEST

START_TEST(uf2_trailing_ff_padding_trimmed)
{
	uint8_t f[512];
	struct img img;
	struct sf_err err;

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x30000, 256, 0, 1, UF2_NRF52840 });
	memset(f + 32 + 100, 0xFF, 156);
	f[32 + 99] = 0xFF; /* 0x30063 is an unaligned 0xFF byte: kept with its word */
	ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
	ck_seg(&img, 0, 0x30000, 100);
	ck_assert_uint_eq(img.seg[0].data[99], 0xFF);
	img_free(&img);

	/* a block of nothing but padding keeps its first word */
	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x30000, 256, 0, 1, UF2_NRF52840 });
	memset(f + 32, 0xFF, 256);
	ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
	ck_seg(&img, 0, 0x30000, 4);
	img_free(&img);

	/* mixed 0x00/0xFF tail: only the last value's words go */
	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x30000, 256, 0, 1, UF2_NRF52840 });
	memset(f + 32 + 200, 0x00, 28);
	memset(f + 32 + 228, 0xFF, 28);
	ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
	ck_seg(&img, 0, 0x30000, 228);
	img_free(&img);
}
END_TEST

START_TEST(uf2_truncated)
{
	uint8_t f[700];
	struct img img;
	struct sf_err err;
	int rc;

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 2, UF2_NRF52840 });
	memset(f + 512, 0, sizeof(f) - 512);
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "truncated UF2: 700 bytes is not a whole number of 512-byte blocks "
		    "(block 1 has only 188 bytes)");
	/* 8 bytes of magic are enough to be detected (and refused) as UF2 */
	rc = img_parse(f, 8, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "truncated UF2: 8 bytes");
}
END_TEST

START_TEST(uf2_bad_magic)
{
	uint8_t f[2 * 512];
	struct img img;
	struct sf_err err;
	int rc;

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 2, UF2_NRF52840 });
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1100, 256, 1, 2, UF2_NRF52840 });
	put32(f + 512 + 4, 0x9E5D5158u);
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "block 1: bad magic (start words 0x0A324655 0x9E5D5158");
	put32(f + 512 + 4, 0x9E5D5157u);
	put32(f + 508, 0);
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "block 0: bad magic (end word 0x00000000, expected 0x0AB16F30)");
}
END_TEST

START_TEST(uf2_payload_too_big)
{
	uint8_t f[512];
	struct img img;
	struct sf_err err;
	int rc;

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 477, 0, 1, UF2_NRF52840 });
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 0: payload size 477 exceeds 476 bytes");
	/* with the MD5 flag the last 24 bytes of data[] are not payload */
	uf2_block(f, (struct uf2_blk_spec){ 0x6000, 0x1000, 456, 0, 1, UF2_NRF52840 });
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 0: payload size 456 exceeds 452 bytes");
}
END_TEST

/* Flag 0x4000: the MD5 of the region is verified (issue 10, item 5): a
 * right checksum is accepted, a wrong one or a region the file does not
 * cover is refused naming the block. */
START_TEST(uf2_md5_verified)
{
	uint8_t f[2 * 512], want[16];
	struct md5 m;
	struct img img;
	struct sf_err err;
	int rc;

	for (int k = 0; k < 2; k++) {
		uf2_block(f + k * 512, (struct uf2_blk_spec){ 0x6000, 0x1000 + 256 * (uint32_t)k, 256,
							      (uint32_t)k, 2, UF2_NRF52840 });
		put32(f + k * 512 + 32 + 452, 0x1000);
		put32(f + k * 512 + 32 + 456, 512);
	}
	md5_init(&m);
	md5_update(&m, f + 32, 256);
	md5_update(&m, f + 512 + 32, 256);
	md5_final(&m, want);
	memcpy(f + 32 + 460, want, 16);
	memcpy(f + 512 + 32 + 460, want, 16);
	sf_err_clear(&err);
	ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
	ck_seg(&img, 0, 0x1000, 512);
	img_free(&img);
	/* one payload byte changed: the checksum no longer matches */
	f[512 + 32 + 10] ^= 0x01;
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "MD5 of 0x00001000 + 512 bytes does not match");
	f[512 + 32 + 10] ^= 0x01;
	/* a region past the file's data */
	put32(f + 32 + 456, 1024);
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 0: MD5 region 0x00001000 + 1024 bytes is not covered");
}
END_TEST

START_TEST(uf2_foreign_family)
{
	uint8_t f[2 * 512];
	struct img img;
	struct sf_err err;
	int rc;

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 2, UF2_NRF52840 });
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x10000000, 256, 1, 2, 0xE48BFF56u });
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "block 1: family ID 0xE48BFF56 is not an nRF52 family");
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1100, 256, 1, 2, 0x621E937Au });
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "block 1: family ID 0x621E937A (nRF52833) differs from 0xADA52840 (nRF52840) in block 0");
}
END_TEST

START_TEST(uf2_block_numbering)
{
	uint8_t f[2 * 512];
	struct img img;
	struct sf_err err;
	int rc;

	/* blockNo beyond numBlocks */
	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 2, UF2_NRF52840 });
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1100, 256, 5, 2, UF2_NRF52840 });
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 1: blockNo 5 out of range (numBlocks 2)");
	/* numBlocks changes */
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1100, 256, 1, 3, UF2_NRF52840 });
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 1: numBlocks 3 differs from 2 in block 0");
	/* duplicate */
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1100, 256, 0, 2, UF2_NRF52840 });
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 1: duplicate blockNo 0 (also block 0)");
	/* missing: blocks 0 and 2 of 3 */
	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 3, UF2_NRF52840 });
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1200, 256, 2, 3, UF2_NRF52840 });
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "blockNo 1 missing (the file has 2 of 3 blocks)");
	/* a blockNo beyond the file's size, and a huge numBlocks (no huge allocation) */
	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 10, UF2_NRF52840 });
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1200, 256, 7, 10, UF2_NRF52840 });
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "blockNo 1 missing (the file has 2 of 10 blocks)");
	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 0xFFFFFFFFu, UF2_NRF52840 });
	rc = img_parse(f, 512, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "blockNo 1 missing (the file has 1 of 4294967295 blocks)");
	/* numBlocks 0 */
	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 0, UF2_NRF52840 });
	rc = img_parse(f, 512, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 0: numBlocks is 0");
	/* blocks in any file order are fine */
	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1100, 256, 1, 2, UF2_NRF52840 });
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 2, UF2_NRF52840 });
	ck_ok(img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err), err);
	ck_seg(&img, 0, 0x1000, 512);
	img_free(&img);
}
END_TEST

START_TEST(uf2_overlap_wrap_container_and_empty)
{
	uint8_t f[2 * 512];
	struct img img;
	struct sf_err err;
	int rc;

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0x1000, 256, 0, 2, UF2_NRF52840 });
	uf2_block(f + 512, (struct uf2_blk_spec){ 0x2000, 0x1080, 256, 1, 2, UF2_NRF52840 });
	f[512 + 32] ^= 0xFF; /* 0x1080 differs between the two blocks */
	rc = img_parse(f, sizeof(f), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "overlapping data with different values at 0x00001080");
	ck_assert_ptr_nonnull(strstr(err.msg, "from block 0"));
	ck_assert_ptr_nonnull(strstr(err.msg, "from block 1"));

	uf2_block(f, (struct uf2_blk_spec){ 0x2000, 0xFFFFFF80u, 256, 0, 1, UF2_NRF52840 });
	rc = img_parse(f, 512, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "block 0: address wrap past 4 GiB (0xFFFFFF80 + 256 bytes)");

	uf2_block(f, (struct uf2_blk_spec){ 0x1000, 0x0, 256, 0, 1, 1234 });
	rc = img_parse(f, 512, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 0: file container block");

	uf2_block(f, (struct uf2_blk_spec){ 0x2001, 0x1000, 256, 0, 1, UF2_NRF52840 });
	rc = img_parse(f, 512, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "no main-flash data: all 1 blocks are marked not-main-flash or empty");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("image_uf2");
	TCase *uf2 = tcase_create("uf2");
	tcase_add_test(uf2, uf2_md5_verified);
	tcase_add_test(uf2, uf2_basic_family_and_merge);
	tcase_add_test(uf2, uf2_other_nrf52_families_and_no_family);
	tcase_add_test(uf2, uf2_skip_not_main_flash);
	tcase_add_test(uf2, uf2_trailing_zero_padding_trimmed);
	tcase_add_test(uf2, uf2_trailing_ff_padding_trimmed);
	tcase_add_test(uf2, uf2_truncated);
	tcase_add_test(uf2, uf2_bad_magic);
	tcase_add_test(uf2, uf2_payload_too_big);
	tcase_add_test(uf2, uf2_foreign_family);
	tcase_add_test(uf2, uf2_block_numbering);
	tcase_add_test(uf2, uf2_overlap_wrap_container_and_empty);
	suite_add_tcase(s, uf2);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
