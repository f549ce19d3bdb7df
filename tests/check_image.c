/* Image parsers (nrf52/image.h): Intel HEX, UF2, ELF32, raw binary, the
 * segment model (sort, merge, overlaps), detection, SHA-256 (FIPS vectors
 * and coreutils sha256sum) and the Intel HEX writer. Every malformed case
 * checks the error code and a distinctive part of the message. The real
 * fixtures are compared with srec_cat/objcopy in tests/t_image_fixtures.sh. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sha256.h"
#include "nrf52/image.h"

/* ---- helpers ---------------------------------------------------------- */

struct text {
	char s[16384];
};

/* Append one HEX record with a correct checksum (and LF). */
static void rec(struct text *t, unsigned type, unsigned off, const uint8_t *d, unsigned n)
{
	unsigned sum = n + (off >> 8) + (off & 0xFF) + type, i;
	size_t l = strlen(t->s);

	l += (size_t)sprintf(t->s + l, ":%02X%04X%02X", n, off & 0xFFFF, type);
	for (i = 0; i < n; i++) {
		sum += d[i];
		l += (size_t)sprintf(t->s + l, "%02X", d[i]);
	}
	sprintf(t->s + l, "%02X\n", -sum & 0xFF);
}

static void raw(struct text *t, const char *line)
{
	strcat(t->s, line);
}

static void rec_data(struct text *t, unsigned off, unsigned n, uint8_t first)
{
	uint8_t d[255];
	unsigned i;

	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(first + i);
	rec(t, 0x00, off, d, n);
}

static void rec_ela(struct text *t, unsigned upper)
{
	uint8_t d[2] = { (uint8_t)(upper >> 8), (uint8_t)upper };
	rec(t, 0x04, 0, d, 2);
}

static void rec_eof(struct text *t)
{
	raw(t, ":00000001FF\n");
}

static int parse_text(const char *s, enum img_format f, struct img *img, struct sf_err *err)
{
	sf_err_clear(err);
	return img_parse((const uint8_t *)s, strlen(s), f, 0, img, err);
}

#define ck_ok(rc, err) ck_assert_msg((rc) == 0, "unexpected error %d: %s", (rc), (err).msg)

/* The error code and a distinctive part of the message; the image stays empty. */
#define ck_fail_msg(rc, err, img, code, needle) do {                                     \
	ck_assert_msg((rc) == (code), "rc %d (want %d), message: %s", (rc), (code), (err).msg); \
	ck_assert_msg(strstr((err).msg, (needle)) != NULL, "message '%s' lacks '%s'",          \
		      (err).msg, (needle));                                                      \
	ck_assert_ptr_null((img).seg);                                                           \
	ck_assert_uint_eq((img).nseg, 0);                                                        \
} while (0)

static void ck_seg(const struct img *img, size_t i, uint32_t addr, uint32_t len)
{
	ck_assert_uint_gt(img->nseg, i);
	ck_assert_msg(img->seg[i].addr == addr && img->seg[i].len == len,
		      "segment %zu is 0x%08X+0x%X, want 0x%08X+0x%X", i,
		      (unsigned)img->seg[i].addr, (unsigned)img->seg[i].len,
		      (unsigned)addr, (unsigned)len);
}

/* ---- Intel HEX: positive -------------------------------------------- */

START_TEST(hex_basic_lf_merges_adjacent)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	unsigned i;

	rec_data(&t, 0x0000, 16, 0x00);
	rec_data(&t, 0x0010, 16, 0x10);
	rec_eof(&t);
	ck_ok(parse_text(t.s, IMG_AUTO, &img, &err), err);
	ck_assert_int_eq(img.format, IMG_HEX);
	ck_assert_uint_eq(img.nseg, 1);
	ck_seg(&img, 0, 0, 32);
	ck_assert_uint_eq(img.total, 32);
	for (i = 0; i < 32; i++)
		ck_assert_uint_eq(img.seg[0].data[i], i);
	ck_assert_int_eq(img.has_entry, 0);
	img_free(&img);
}
END_TEST

START_TEST(hex_crlf_cr_and_blank_lines)
{
	struct text lf = { "" }, crlf = { "" }, cr = { "" };
	struct img a, b, c;
	struct sf_err err;
	char *p, *q;

	rec_ela(&lf, 0x0001);
	rec_data(&lf, 0x0100, 8, 0xA0);
	rec_eof(&lf);
	/* CRLF copy with trailing blank lines, and a lone-CR copy */
	for (p = lf.s, q = crlf.s; *p; p++) {
		if (*p == '\n')
			*q++ = '\r';
		*q++ = *p;
	}
	strcpy(q, "\r\n\r\n  \r\n");
	strcpy(cr.s, lf.s);
	for (p = cr.s; *p; p++)
		if (*p == '\n')
			*p = '\r';
	strcat(lf.s, "\n\n\t\n");

	ck_ok(parse_text(lf.s, IMG_AUTO, &a, &err), err);
	ck_ok(parse_text(crlf.s, IMG_AUTO, &b, &err), err);
	ck_ok(parse_text(cr.s, IMG_AUTO, &c, &err), err);
	ck_seg(&a, 0, 0x10100, 8);
	ck_seg(&b, 0, 0x10100, 8);
	ck_seg(&c, 0, 0x10100, 8);
	ck_assert_mem_eq(a.seg[0].data, b.seg[0].data, 8);
	ck_assert_mem_eq(a.seg[0].data, c.seg[0].data, 8);
	ck_assert_uint_eq(b.seg[0].data[7], 0xA7);
	/* different files, different identities */
	ck_assert_str_ne(a.sha256_hex, b.sha256_hex);
	img_free(&a);
	img_free(&b);
	img_free(&c);
}
END_TEST

START_TEST(hex_extended_linear_uicr)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	uint8_t w[8] = { 0x00, 0x40, 0x0F, 0x00, 0x00, 0xE0, 0x0F, 0x00 };

	rec_data(&t, 0x0000, 4, 0x11);
	rec_ela(&t, 0x1000);
	rec(&t, 0x00, 0x1014, w, 8);
	rec_eof(&t);
	ck_ok(parse_text(t.s, IMG_AUTO, &img, &err), err);
	ck_assert_uint_eq(img.nseg, 2);
	ck_seg(&img, 0, 0, 4);
	ck_seg(&img, 1, 0x10001014, 8);
	ck_assert_mem_eq(img.seg[1].data, w, 8);
	img_free(&img);
}
END_TEST

START_TEST(hex_extended_segment)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	uint8_t usba[2] = { 0x12, 0x34 };

	rec(&t, 0x02, 0, usba, 2);
	rec_data(&t, 0x0010, 4, 0x55);
	rec_eof(&t);
	ck_ok(parse_text(t.s, IMG_AUTO, &img, &err), err);
	ck_seg(&img, 0, 0x12340 + 0x10, 4);
	img_free(&img);
}
END_TEST

START_TEST(hex_linear_record_crosses_64k)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;

	rec_ela(&t, 0x0002);
	rec_data(&t, 0xFFF8, 16, 0x00);
	rec_eof(&t);
	ck_ok(parse_text(t.s, IMG_AUTO, &img, &err), err);
	ck_assert_uint_eq(img.nseg, 1);
	ck_seg(&img, 0, 0x2FFF8, 16);
	ck_assert_uint_eq(img.seg[0].data[15], 15);
	img_free(&img);
}
END_TEST

START_TEST(hex_start_addresses)
{
	struct text t = { "" }, u = { "" };
	struct img img;
	struct sf_err err;
	uint8_t sla[4] = { 0x00, 0x00, 0x0A, 0x81 }, ssa[4] = { 0x12, 0x34, 0x00, 0x05 };

	rec_data(&t, 0, 4, 1);
	rec(&t, 0x05, 0, sla, 4);
	rec_eof(&t);
	ck_ok(parse_text(t.s, IMG_AUTO, &img, &err), err);
	ck_assert_int_eq(img.has_entry, 1);
	ck_assert_uint_eq(img.entry, 0xA81);
	img_free(&img);

	rec_data(&u, 0, 4, 1);
	rec(&u, 0x03, 0, ssa, 4);
	rec_eof(&u);
	ck_ok(parse_text(u.s, IMG_AUTO, &img, &err), err);
	ck_assert_int_eq(img.has_entry, 1);
	ck_assert_uint_eq(img.entry, 0x12340 + 5);
	img_free(&img);
}
END_TEST

START_TEST(hex_lowercase_unsorted_gaps)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	char *p;

	rec_data(&t, 0x0200, 4, 0xAB);
	rec_data(&t, 0x0000, 4, 0xCD);
	rec_data(&t, 0x0100, 4, 0xEF);
	rec_eof(&t);
	for (p = t.s; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	ck_ok(parse_text(t.s, IMG_AUTO, &img, &err), err);
	ck_assert_uint_eq(img.nseg, 3);
	ck_seg(&img, 0, 0x000, 4);
	ck_seg(&img, 1, 0x100, 4);
	ck_seg(&img, 2, 0x200, 4);
	ck_assert_uint_eq(img.seg[0].data[0], 0xCD);
	ck_assert_uint_eq(img.seg[2].data[3], 0xAE);
	ck_assert_uint_eq(img.total, 12);
	img_free(&img);
}
END_TEST

START_TEST(hex_overlap_identical_accepted)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;

	rec_data(&t, 0x0000, 16, 0x00);
	rec_data(&t, 0x0008, 16, 0x08); /* same values over 0x08..0x0F */
	rec_data(&t, 0x0000, 16, 0x00); /* the same record again */
	rec_eof(&t);
	ck_ok(parse_text(t.s, IMG_AUTO, &img, &err), err);
	ck_assert_uint_eq(img.nseg, 1);
	ck_seg(&img, 0, 0, 24);
	ck_assert_uint_eq(img.seg[0].data[23], 23);
	img_free(&img);
}
END_TEST

START_TEST(hex_only_eof_is_no_data)
{
	struct img img;
	struct sf_err err;
	int rc = parse_text(":00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "image contains no data");
}
END_TEST

/* ---- Intel HEX: malformed --------------------------------------------- */

START_TEST(hex_overlap_different)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	int rc;

	rec_data(&t, 0x0000, 16, 0x00);
	rec_data(&t, 0x0010, 4, 0x10);
	rec_data(&t, 0x0005, 4, 0x05);   /* same */
	rec_data(&t, 0x0009, 2, 0x77);   /* 0x09 differs */
	rec_eof(&t);
	rc = parse_text(t.s, IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "overlapping data with different values at 0x00000009: 0x09 from line 1, "
		    "0x77 from line 4");
}
END_TEST

START_TEST(hex_bad_checksum)
{
	struct img img;
	struct sf_err err;
	/* :0400000001020304F2 is right; make line 2 say 0xF3 */
	int rc = parse_text(":0400000011121314B2\n:0400040001020304F3\n:00000001FF\n",
			    IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "line 2: checksum mismatch (record says 0xF3, computed 0xEE)");
}
END_TEST

START_TEST(hex_odd_length)
{
	struct img img;
	struct sf_err err;
	int rc = parse_text(":0400000001020304F\n:00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 1: odd number of hex digits (17)");
}
END_TEST

START_TEST(hex_truncated_record)
{
	struct img img;
	struct sf_err err;
	int rc = parse_text(":10000000\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 1: truncated record (8 hex digits");
	rc = parse_text(":0400000011121314B2\n:\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 2: truncated record (0 hex digits");
}
END_TEST

START_TEST(hex_non_hex_character)
{
	struct img img;
	struct sf_err err;
	int rc = parse_text(":0400000001G20304F2\n:00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 1, column 12: non-hex character 'G'");
	/* a trailing blank after the checksum is not tolerated either */
	rc = parse_text(":0400000001020304F2 \n:00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 1, column 20: non-hex character ' '");
	rc = parse_text(":0400000001020304F2\n:00000001F\x01\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 2, column 11: non-hex character \\x01");
}
END_TEST

START_TEST(hex_length_mismatch)
{
	struct img img;
	struct sf_err err;
	/* says 16 bytes, carries 4 (checksum would be right for 4) */
	int rc = parse_text(":1000000001020304E6\n:00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "line 1: record length mismatch (length field says 16 data bytes, "
		    "the line holds 4), truncated?");
	rc = parse_text(":020000000102030400\n:00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "record length mismatch (length field says 2 data bytes, the line holds 4)");
}
END_TEST

START_TEST(hex_unknown_type)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	uint8_t d[2] = { 1, 2 };
	int rc;

	rec_data(&t, 0, 4, 0);
	rec(&t, 0x06, 0, d, 2);
	rec_eof(&t);
	rc = parse_text(t.s, IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 2: unknown record type 0x06");
}
END_TEST

START_TEST(hex_missing_eof)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	int rc;

	rec_data(&t, 0, 16, 0);
	rec_data(&t, 16, 16, 16);
	rc = parse_text(t.s, IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "missing end-of-file record (type 01) after line 2");
}
END_TEST

START_TEST(hex_data_after_eof)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	int rc;

	rec_data(&t, 0, 4, 0);
	rec_eof(&t);
	raw(&t, "\n");
	rec_data(&t, 4, 4, 4);
	rc = parse_text(t.s, IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "line 4: data after the end-of-file record on line 2");
}
END_TEST

START_TEST(hex_address_wrap)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	int rc;

	rec_ela(&t, 0xFFFF);
	rec_data(&t, 0xFFF0, 16, 0); /* ends exactly at 4 GiB: fine */
	rec_eof(&t);
	ck_ok(parse_text(t.s, IMG_AUTO, &img, &err), err);
	ck_seg(&img, 0, 0xFFFFFFF0u, 16);
	img_free(&img);

	t.s[0] = '\0';
	rec_ela(&t, 0xFFFF);
	rec_data(&t, 0xFFF8, 16, 0);
	rec_eof(&t);
	rc = parse_text(t.s, IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "line 2: address wrap past 4 GiB (record at 0xFFFFFFF8 with 16 bytes)");
}
END_TEST

START_TEST(hex_segment_record_crosses_64k)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	uint8_t usba[2] = { 0x10, 0x00 };
	int rc;

	rec(&t, 0x02, 0, usba, 2);
	rec_data(&t, 0xFFF8, 16, 0);
	rec_eof(&t);
	rc = parse_text(t.s, IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "line 2: record at offset 0xFFF8 with 16 bytes crosses the end of its 64 KiB segment");
}
END_TEST

START_TEST(hex_bad_line_start_and_record_sizes)
{
	struct img img;
	struct sf_err err;
	int rc;

	rc = parse_text(":0400000011121314B2\nS1130000\n:00000001FF\n", IMG_HEX, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 2: record does not start with ':' (found 'S')");
	rc = parse_text(":0100000400FB\n:00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "line 1: extended linear address record with 1 data bytes (needs 2)");
	rc = parse_text(":0400000011121314B2\n:01000001AA54\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 2: end-of-file record with 1 data bytes");
	rc = parse_text(":0400000011121314B2\n:03000005000A816D\n:00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "line 2: start linear address record with 3 data bytes (needs 4)");
}
END_TEST

START_TEST(hex_conflicting_start_addresses)
{
	struct text t = { "" };
	struct img img;
	struct sf_err err;
	uint8_t a[4] = { 0, 0, 0x01, 0x01 }, b[4] = { 0, 0, 0x02, 0x01 };
	int rc;

	rec_data(&t, 0, 4, 0);
	rec(&t, 0x05, 0, a, 4);
	rec(&t, 0x05, 0, b, 4);
	rec_eof(&t);
	rc = parse_text(t.s, IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "line 3: start address 0x00000201 differs from 0x00000101 given on line 2");
}
END_TEST

START_TEST(hex_forced_on_binary)
{
	struct img img;
	struct sf_err err;
	const uint8_t bin[4] = { 0x00, 0x04, 0x00, 0x20 };
	int rc;

	sf_err_clear(&err);
	rc = img_parse(bin, sizeof(bin), IMG_HEX, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 1: record does not start with ':' (found \\x00)");
}
END_TEST

/* ---- UF2 ---------------------------------------------------------------- */

#define UF2_NRF52840 0xADA52840u

struct uf2_blk_spec {
	uint32_t flags, addr, size, bno, nb, fam;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

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

/* ---- ELF ------------------------------------------------------------- */

struct phdr_spec {
	uint32_t type, offset, vaddr, paddr, filesz, memsz;
};

/* ELF32 LE ARM EXEC: header, program headers at 52, file bytes from 0x100
 * are (offset * 3) & 0xFF so they can be checked. */
static size_t make_elf(uint8_t *f, size_t cap, const struct phdr_spec *ph, unsigned n)
{
	unsigned i;

	memset(f, 0, cap);
	memcpy(f, "\x7f" "ELF\x01\x01\x01", 7);
	f[16] = 2;          /* ET_EXEC */
	f[18] = 40;         /* EM_ARM */
	put32(f + 20, 1);
	put32(f + 24, 0x101); /* e_entry */
	put32(f + 28, 52);    /* e_phoff */
	f[40] = 52;           /* e_ehsize */
	f[42] = 32;           /* e_phentsize */
	f[44] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		uint8_t *p = f + 52 + 32 * i;
		put32(p, ph[i].type);
		put32(p + 4, ph[i].offset);
		put32(p + 8, ph[i].vaddr);
		put32(p + 12, ph[i].paddr);
		put32(p + 16, ph[i].filesz);
		put32(p + 20, ph[i].memsz);
		put32(p + 24, 5);
		put32(p + 28, 4);
	}
	for (i = 0x100; i < cap; i++)
		f[i] = (uint8_t)(i * 3);
	return cap;
}

START_TEST(elf_load_at_paddr)
{
	static const struct phdr_spec ph[] = {
		{ 1, 0x100, 0x0, 0x0, 0x40, 0x40 },                /* text */
		{ 4, 0x140, 0x0, 0x0, 0x10, 0x10 },                /* PT_NOTE: not loaded */
		{ 1, 0x180, 0x20000000, 0x44, 0x18, 0x30 },        /* .data: runs in RAM */
		{ 1, 0x198, 0x20000030, 0x20000030, 0, 0x100 },    /* .bss: NOBITS */
	};
	uint8_t f[0x200];
	struct img img;
	struct sf_err err;
	size_t len = make_elf(f, sizeof(f), ph, 4), i;

	ck_ok(img_parse(f, len, IMG_AUTO, 0, &img, &err), err);
	ck_assert_int_eq(img.format, IMG_ELF);
	ck_assert_uint_eq(img.nseg, 2);
	ck_seg(&img, 0, 0x0, 0x40);
	ck_seg(&img, 1, 0x44, 0x18);     /* at the load address, p_filesz only */
	for (i = 0; i < 0x18; i++)
		ck_assert_uint_eq(img.seg[1].data[i], (uint8_t)((0x180 + i) * 3));
	ck_assert_uint_eq(img.seg[0].data[5], (uint8_t)((0x105) * 3));
	ck_assert_int_eq(img.has_entry, 1);
	ck_assert_uint_eq(img.entry, 0x101);
	ck_assert_uint_eq(img.total, 0x58);
	img_free(&img);
}
END_TEST

START_TEST(elf_malformed)
{
	static const struct phdr_spec ph[] = { { 1, 0x100, 0, 0, 0x40, 0x40 } };
	uint8_t f[0x200], g[0x200];
	struct img img;
	struct sf_err err;
	size_t len = make_elf(f, sizeof(f), ph, 1);
	int rc;

#define RETRY(mutate, needle) do {                                    \
	memcpy(g, f, len);                                            \
	mutate;                                                       \
	rc = img_parse(g, len, IMG_AUTO, 0, &img, &err);              \
	ck_fail_msg(rc, err, img, SF_E_IMAGE, needle);               \
} while (0)

	rc = img_parse(f, 30, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "truncated ELF: 30 bytes, the ELF32 header alone is 52");
	rc = img_parse(f, 10, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "truncated ELF: 10 bytes");
	RETRY(g[4] = 2, "64-bit ELF (ELFCLASS64) is not supported");
	RETRY(g[4] = 7, "unknown ELF class 7");
	RETRY(g[5] = 2, "big-endian ELF (ELFDATA2MSB) is not supported");
	RETRY(g[18] = 62, "not an ARM ELF (e_machine 62, ARM is 40)");
	RETRY(g[16] = 1, "not an executable ELF (e_type 1: relocatable object)");
	RETRY(g[16] = 3, "not an executable ELF (e_type 3: shared object)");
	RETRY(put32(g + 28, 0x1F0), "truncated ELF: program headers out of the file");
	RETRY(g[44] = 0, "ELF has no program headers");
	RETRY(put32(g + 52 + 4, 0x1F0), "truncated ELF: program header 0 data out of the file "
					"(offset 0x1F0 + 0x40 bytes, the file has 0x200)");
	RETRY(put32(g + 52 + 20, 0x20), "program header 0: p_filesz 0x40 larger than p_memsz 0x20");
	RETRY(put32(g + 52 + 12, 0xFFFFFFE0u),
	      "program header 0: address wrap past 4 GiB (load address 0xFFFFFFE0 + 0x40 bytes)");
	RETRY(put32(g + 52, 6), "ELF has no loadable data");
	RETRY(put32(g + 52 + 16, 0), "ELF has no loadable data");
#undef RETRY
}
END_TEST

START_TEST(elf_overlapping_loads)
{
	static const struct phdr_spec ph[] = {
		{ 1, 0x100, 0x0, 0x0, 0x40, 0x40 },
		{ 1, 0x100, 0x0, 0x20, 0x10, 0x10 },   /* other bytes over 0x20.. */
	};
	uint8_t f[0x200];
	struct img img;
	struct sf_err err;
	size_t len = make_elf(f, sizeof(f), ph, 2);
	int rc = img_parse(f, len, IMG_AUTO, 0, &img, &err);

	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "overlapping data with different values at 0x00000020: 0x60 from program "
		    "header 0, 0x00 from program header 1");
}
END_TEST

/* ---- raw binary, detection, names, files ------------------------------ */

START_TEST(bin_with_base)
{
	const uint8_t d[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct img img;
	struct sf_err err;
	int rc;

	ck_ok(img_parse(d, sizeof(d), IMG_BIN, 0x26000, &img, &err), err);
	ck_assert_int_eq(img.format, IMG_BIN);
	ck_seg(&img, 0, 0x26000, 10);
	ck_assert_mem_eq(img.seg[0].data, d, 10);
	img_free(&img);
	/* auto-detected as binary */
	ck_ok(img_parse(d, sizeof(d), IMG_AUTO, 0x1000, &img, &err), err);
	ck_assert_int_eq(img.format, IMG_BIN);
	ck_seg(&img, 0, 0x1000, 10);
	img_free(&img);
	rc = img_parse(d, sizeof(d), IMG_BIN, 0xFFFFFFF8u, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "address wrap past 4 GiB: 10 bytes at base 0xFFFFFFF8");
}
END_TEST

START_TEST(empty_and_unknown_format)
{
	struct img img;
	struct sf_err err;
	const uint8_t one = 0;
	int rc;

	rc = img_parse(&one, 0, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "empty file");
	rc = img_parse(&one, 0, IMG_BIN, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "empty file");
	rc = img_parse(&one, 1, (enum img_format)42, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_FORMAT, "unknown image format 42");
}
END_TEST

START_TEST(detection_and_names)
{
	uint8_t uf2[8];

	put32(uf2, 0x0A324655u);
	put32(uf2 + 4, 0x9E5D5157u);
	ck_assert_int_eq(img_detect((const uint8_t *)":100000", 7), IMG_HEX);
	ck_assert_int_eq(img_detect((const uint8_t *)":zz", 3), IMG_BIN);
	ck_assert_int_eq(img_detect((const uint8_t *)":", 1), IMG_BIN);
	ck_assert_int_eq(img_detect((const uint8_t *)"\x7f" "ELF", 4), IMG_ELF);
	ck_assert_int_eq(img_detect(uf2, 8), IMG_UF2);
	ck_assert_int_eq(img_detect(uf2, 7), IMG_BIN);
	ck_assert_int_eq(img_detect((const uint8_t *)"\x00\x04\x00\x20", 4), IMG_BIN);
	ck_assert_int_eq(img_detect((const uint8_t *)"", 0), IMG_BIN);

	ck_assert_str_eq(img_format_name(IMG_AUTO), "auto");
	ck_assert_str_eq(img_format_name(IMG_HEX), "hex");
	ck_assert_str_eq(img_format_name(IMG_UF2), "uf2");
	ck_assert_str_eq(img_format_name(IMG_ELF), "elf");
	ck_assert_str_eq(img_format_name(IMG_BIN), "bin");
	ck_assert_int_eq(img_format_from_name("auto"), IMG_AUTO);
	ck_assert_int_eq(img_format_from_name("hex"), IMG_HEX);
	ck_assert_int_eq(img_format_from_name("uf2"), IMG_UF2);
	ck_assert_int_eq(img_format_from_name("elf"), IMG_ELF);
	ck_assert_int_eq(img_format_from_name("bin"), IMG_BIN);
	ck_assert_int_eq(img_format_from_name("srec"), -1);
	ck_assert_int_eq(img_format_from_name(NULL), -1);
}
END_TEST

static void write_tmp(char *path, const void *d, size_t n)
{
	int fd;

	strcpy(path, "/tmp/check_image_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, d, n), (ssize_t)n);
	close(fd);
}

START_TEST(load_file_prefixes_path)
{
	char path[64], want[128];
	struct img img;
	struct sf_err err;
	const char *good = ":0400000011121314B2\n:00000001FF\n";
	const char *bad = ":0400000011121314B3\n:00000001FF\n";
	int rc;

	write_tmp(path, good, strlen(good));
	ck_ok(img_load_file(path, IMG_AUTO, 0, &img, &err), err);
	ck_seg(&img, 0, 0, 4);
	img_free(&img);
	unlink(path);

	write_tmp(path, bad, strlen(bad));
	rc = img_load_file(path, IMG_AUTO, 0, &img, &err);
	snprintf(want, sizeof(want), "%s: line 1: checksum mismatch (record says 0xB3, computed 0xB2)",
		 path);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, want);
	unlink(path);

	write_tmp(path, "", 0);
	rc = img_load_file(path, IMG_AUTO, 0, &img, &err);
	snprintf(want, sizeof(want), "%s: empty file", path);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, want);
	unlink(path);

	rc = img_load_file("/nonexistent/fw.hex", IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IO, "/nonexistent/fw.hex: No such file or directory");
	rc = img_load_file("/tmp", IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IO, "/tmp: not a regular file");
}
END_TEST

/* ---- SHA-256 ---------------------------------------------------------- */

START_TEST(sha256_fips_vectors)
{
	static const char abc448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[32];
	char hex[65];
	uint8_t *m;

	sha256_buf((const uint8_t *)"", 0, out, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_buf((const uint8_t *)"abc", 3, out, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_uint_eq(out[0], 0xBA);
	ck_assert_uint_eq(out[31], 0xAD);
	sha256_buf((const uint8_t *)abc448, strlen(abc448), out, hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	m = malloc(1000000);
	ck_assert_ptr_nonnull(m);
	memset(m, 'a', 1000000);
	sha256_buf(m, 1000000, out, NULL);
	sha256_buf(m, 1000000, out, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(m);
}
END_TEST

/* Every length around the 55/56/64-byte padding boundaries and a few long
 * ones, against coreutils sha256sum. */
START_TEST(sha256_matches_sha256sum)
{
	static const size_t lens[] = { 0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128,
				       129, 1000, 4096, 65537 };
	uint8_t buf[65537], out[32];
	char hex[65], path[64], cmd[128], line[160];
	uint32_t x = 0x12345678u;
	size_t i;

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		FILE *p;
		write_tmp(path, buf, lens[i]);
		snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
		p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
		ck_assert_int_eq(pclose(p), 0);
		unlink(path);
		sha256_buf(buf, lens[i], out, hex);
		ck_assert_msg(strncmp(line, hex, 64) == 0, "length %zu: sha256sum %.64s, ours %s",
			      lens[i], line, hex);
	}
}
END_TEST

START_TEST(image_sha256_is_of_the_file)
{
	const char *t = ":0400000011121314B2\n:00000001FF\n";
	struct img img;
	struct sf_err err;
	char hex[65];
	uint8_t out[32];

	ck_ok(parse_text(t, IMG_AUTO, &img, &err), err);
	sha256_buf((const uint8_t *)t, strlen(t), out, hex);
	ck_assert_str_eq(img.sha256_hex, hex);
	ck_assert_mem_eq(img.sha256, out, 32);
	img_free(&img);
}
END_TEST

/* ---- Intel HEX writer -------------------------------------------------- */

START_TEST(ihex_writer_roundtrip)
{
	uint8_t d[100];
	char *text = NULL;
	size_t tlen = 0, i;
	FILE *f;
	struct img img;
	struct sf_err err;

	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 13 + 7);
	f = open_memstream(&text, &tlen);
	ck_assert_ptr_nonnull(f);
	/* 0x1FFE0..0x20044 crosses a 64 KiB boundary */
	ck_assert_int_eq(img_write_ihex(f, 0x1FFE0, d, sizeof(d)), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, ":020000040001F9\n"));
	ck_assert_ptr_nonnull(strstr(text, ":020000040002F8\n"));
	ck_assert_int_eq(strcmp(text + tlen - 12, ":00000001FF\n"), 0);
	ck_ok(parse_text(text, IMG_AUTO, &img, &err), err);
	ck_assert_uint_eq(img.nseg, 1);
	ck_seg(&img, 0, 0x1FFE0, sizeof(d));
	ck_assert_mem_eq(img.seg[0].data, d, sizeof(d));
	img_free(&img);
	free(text);

	f = open_memstream(&text, &tlen);
	ck_assert_int_eq(img_write_ihex(f, 0xFFFFFFF0u, d, 17), SF_E_ARG);
	fclose(f);
	free(text);
}
END_TEST

static Suite *image_suite(void)
{
	Suite *s = suite_create("image");
	TCase *hex = tcase_create("hex"), *uf2 = tcase_create("uf2"), *elf = tcase_create("elf");
	TCase *misc = tcase_create("misc");

	tcase_add_test(hex, hex_basic_lf_merges_adjacent);
	tcase_add_test(hex, hex_crlf_cr_and_blank_lines);
	tcase_add_test(hex, hex_extended_linear_uicr);
	tcase_add_test(hex, hex_extended_segment);
	tcase_add_test(hex, hex_linear_record_crosses_64k);
	tcase_add_test(hex, hex_start_addresses);
	tcase_add_test(hex, hex_lowercase_unsorted_gaps);
	tcase_add_test(hex, hex_overlap_identical_accepted);
	tcase_add_test(hex, hex_only_eof_is_no_data);
	tcase_add_test(hex, hex_overlap_different);
	tcase_add_test(hex, hex_bad_checksum);
	tcase_add_test(hex, hex_odd_length);
	tcase_add_test(hex, hex_truncated_record);
	tcase_add_test(hex, hex_non_hex_character);
	tcase_add_test(hex, hex_length_mismatch);
	tcase_add_test(hex, hex_unknown_type);
	tcase_add_test(hex, hex_missing_eof);
	tcase_add_test(hex, hex_data_after_eof);
	tcase_add_test(hex, hex_address_wrap);
	tcase_add_test(hex, hex_segment_record_crosses_64k);
	tcase_add_test(hex, hex_bad_line_start_and_record_sizes);
	tcase_add_test(hex, hex_conflicting_start_addresses);
	tcase_add_test(hex, hex_forced_on_binary);
	suite_add_tcase(s, hex);

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

	tcase_add_test(elf, elf_load_at_paddr);
	tcase_add_test(elf, elf_malformed);
	tcase_add_test(elf, elf_overlapping_loads);
	suite_add_tcase(s, elf);

	tcase_add_test(misc, bin_with_base);
	tcase_add_test(misc, empty_and_unknown_format);
	tcase_add_test(misc, detection_and_names);
	tcase_add_test(misc, load_file_prefixes_path);
	tcase_add_test(misc, sha256_fips_vectors);
	tcase_add_test(misc, sha256_matches_sha256sum);
	tcase_add_test(misc, image_sha256_is_of_the_file);
	tcase_add_test(misc, ihex_writer_roundtrip);
	suite_add_tcase(s, misc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(image_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
