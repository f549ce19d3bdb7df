// SPDX-License-Identifier: GPL-2.0-or-later
/* Intel HEX parser (nrf52/image_hex.c): record types 00-05, CR/LF/CRLF and
 * blank lines, extended linear and segment addresses, records that cross
 * 64 KiB, start addresses, sorting and merging, overlaps, and every
 * malformed case with its error code and a distinctive part of the
 * message (line number, values). */
#include "ck_run.h"
#include "tests/image_testutil.h"

/* ---- positive -------------------------------------------------------- */

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

/* ---- malformed ------------------------------------------------------- */

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

/* A UTF-8 BOM, leading blank lines and blanks before the first record are
 * skipped (issue 10: such files were flashed as raw binaries at 0x0);
 * the line numbers stay those of the file; blanks before a later record
 * are still an error naming the line. */
START_TEST(hex_bom_and_leading_white_space)
{
	static const char *const good[] = {
		"\xEF\xBB\xBF:0400000011121314B2\n:00000001FF\n",
		"\n:0400000011121314B2\n:00000001FF\n",
		"\r\n\r\n:0400000011121314B2\r\n:00000001FF\r\n",
		" :0400000011121314B2\n:00000001FF\n",
		"\t  :0400000011121314B2\n:00000001FF\n",
		"\xEF\xBB\xBF\n \t\n  :0400000011121314B2\n:00000001FF\n",
	};
	struct img img;
	struct sf_err err;
	int rc;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		for (int f = 0; f < 2; f++) {
			rc = parse_text(good[i], f ? IMG_HEX : IMG_AUTO, &img, &err);
			ck_assert_msg(rc == 0, "case %zu: %s", i, err.msg);
			ck_assert_int_eq(img.format, IMG_HEX);
			ck_seg(&img, 0, 0, 4);
			ck_assert_uint_eq(img.seg[0].data[0], 0x11);
			img_free(&img);
		}
	}
	rc = parse_text("\n\n:0400000011121314B3\n:00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 3: checksum mismatch");
	rc = parse_text(":0400000011121314B2\n :00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 2: record does not start with ':' (found ' ')");
	/* a BOM in the middle is not skipped */
	rc = parse_text(":0400000011121314B2\n\xEF\xBB\xBF:00000001FF\n", IMG_AUTO, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "line 2: record does not start with ':' (found \\xEF)");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("image_hex");
	TCase *hex = tcase_create("hex");
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
	tcase_add_test(hex, hex_bom_and_leading_white_space);
	suite_add_tcase(s, hex);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
