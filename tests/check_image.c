// SPDX-License-Identifier: GPL-2.0-or-later
/* The image model (nrf52/image.c): raw binary with a base address, empty
 * and unknown formats, content sniffing and format names, loading a file
 * (the path in front of every message), the image's SHA-256 is the file's,
 * and the Intel HEX writer read back by our parser. The parsers have
 * their own suites (check_image_hex, _uf2, _elf); the real fixtures are
 * compared with srec_cat/objcopy in tests/t_image_fixtures.sh. */
#include "ck_run.h"
#include "common/sha256.h"
#include "tests/image_testutil.h"

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
	/* never detected: a raw binary must be asked for (issue 10) */
	rc = img_parse(d, sizeof(d), IMG_AUTO, 0x1000, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_FORMAT, "raw binary is flashed only when asked for");
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
	/* ':' first means HEX: its parser then names the bad character */
	ck_assert_int_eq(img_detect((const uint8_t *)":zz", 3), IMG_HEX);
	ck_assert_int_eq(img_detect((const uint8_t *)":", 1), IMG_HEX);
	ck_assert_int_eq(img_detect((const uint8_t *)"\xEF\xBB\xBF:10", 6), IMG_HEX);
	ck_assert_int_eq(img_detect((const uint8_t *)"\r\n \t:10", 8), IMG_HEX);
	ck_assert_int_eq(img_detect((const uint8_t *)"\x7f" "ELF", 4), IMG_ELF);
	ck_assert_int_eq(img_detect(uf2, 8), IMG_UF2);
	ck_assert_int_eq(img_detect(uf2, 7), IMG_AUTO);
	ck_assert_int_eq(img_detect((const uint8_t *)"\x00\x04\x00\x20", 4), IMG_AUTO);
	ck_assert_int_eq(img_detect((const uint8_t *)"", 0), IMG_AUTO);

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

	/* streamed a piece at a time (the smallest room, then more): the same
	 * text, of the announced length */
	ck_assert_uint_eq(img_ihex_size(0x1FFE0, sizeof(d)), tlen);
	for (size_t cap = IMG_IHEX_RECORD_MAX; cap < 200; cap += 37) {
		struct img_ihex_writer w;
		char piece[256], all[1024];
		size_t got = 0, n;

		ck_assert_int_eq(img_ihex_writer_init(&w, 0x1FFE0, d, sizeof(d)), 0);
		while ((n = img_ihex_writer_next(&w, piece, cap)) > 0) {
			ck_assert_uint_le(n, cap);
			ck_assert_uint_le(got + n, sizeof(all));
			memcpy(all + got, piece, n);
			got += n;
		}
		ck_assert_uint_eq(got, tlen);
		ck_assert_mem_eq(all, text, tlen);
	}
	free(text);

	f = open_memstream(&text, &tlen);
	ck_assert_int_eq(img_write_ihex(f, 0xFFFFFFF0u, d, 17), SF_E_ARG);
	fclose(f);
	free(text);
}
END_TEST


/* Content that is no firmware format: refused naming what it looks like,
 * never flashed as a raw binary (issue 10, item 1). Variants of each kind. */
START_TEST(unknown_content_refused)
{
	static const struct {
		const char *data;
		size_t len;
		int code;
		const char *needle;
	} cases[] = {
#define C(s, code, needle) { s, sizeof(s) - 1, code, needle }
		C("<!DOCTYPE html>\n<html><head><title>404 Not Found</title>", SF_E_FORMAT,
		  "looks like HTML"),
		C("<html>\r\n<body>Forbidden</body></html>", SF_E_FORMAT, "looks like HTML"),
		C("\xEF\xBB\xBF  <HTML lang=en>", SF_E_FORMAT, "looks like HTML"),
		C("\n\n<HEAD></HEAD>", SF_E_FORMAT, "looks like HTML"),
		C("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code></Error>", SF_E_FORMAT,
		  "looks like XML"),
		C("{\"error\": \"not found\"}", SF_E_FORMAT, "looks like JSON"),
		C("  [\n {\"message\": \"Bad credentials\"}]", SF_E_FORMAT, "looks like JSON"),
		C("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", SF_E_FORMAT,
		  "gzip data: decompress it first"),
		C("PK\x03\x04\x14\x00\x00\x00\x08\x00", SF_E_FORMAT, "zip archive"),
		C("BZh91AY&SY", SF_E_FORMAT, "decompress it first"),
		C("\xFF\xFE:\x00" "1\x00" "0\x00", SF_E_FORMAT, "UTF-16LE text"),
		C("\xFE\xFF\x00:\x00" "1\x00" "0", SF_E_FORMAT, "UTF-16BE text"),
		C(":\x00" "1\x00" "0\x00" "0\x00" "0\x00" "0\x00", SF_E_IMAGE, "line 1"),
		C("1\x00" "0\x00" "0\x00" "0\x00" "0\x00", SF_E_FORMAT, "UTF-16LE"),
		C("OjEwMDAwMDAwMDAwMTAyMDMwNDA1MDYwNzA4MDkwQTBCMEMwRDBFMEY3OAo=\n", SF_E_FORMAT,
		  "base64"),
		C("S00F000068656C6C6F202020202000003C\nS9030000FC\n", SF_E_FORMAT,
		  "Motorola S-record"),
		C("this is not firmware\n", SF_E_FORMAT, "text that is not Intel HEX"),
		C("\x00\x00\x04\x20\xC1\x00\x00\x00", SF_E_FORMAT, "binary data starting 00 00 04 20"),
		C("\xEF\xBB\xBF", SF_E_IMAGE, "empty file"),
		C(" \r\n\t\n", SF_E_IMAGE, "empty file"),
		C("\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", SF_E_IMAGE, "64-bit"),
		C("#!/bin/sh\necho hi\n", SF_E_FORMAT, "script"),
		C("%PDF-1.4\n", SF_E_FORMAT, "PDF"),
#undef C
	};
	struct img img;
	struct sf_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = img_parse((const uint8_t *)cases[i].data, cases[i].len, IMG_AUTO, 0, &img,
				   &err);
		ck_assert_msg(rc == cases[i].code && strstr(err.msg, cases[i].needle),
			      "case %zu: rc %d (want %d), message '%s' (want '%s')", i, rc,
			      cases[i].code, err.msg, cases[i].needle);
		ck_assert_ptr_null(img.seg);
	}
}
END_TEST

/* A UF2 whose magic is damaged is a UF2 (the parser names the block), not
 * a raw binary. */
START_TEST(damaged_uf2_is_uf2)
{
	uint8_t b[1024];
	struct img img;
	struct sf_err err;
	int rc;

	memset(b, 0, sizeof(b));
	for (int k = 0; k < 2; k++) {
		put32(b + k * 512, 0x0A324655u);
		put32(b + k * 512 + 4, 0x9E5D5157u);
		put32(b + k * 512 + 508, 0x0AB16F30u);
	}
	/* first start word damaged */
	b[0] ^= 0x01;
	rc = img_parse(b, sizeof(b), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 0: bad magic");
	/* both start words of block 0 gone, the end word and block 1 remain */
	memset(b, 'X', 8);
	rc = img_parse(b, sizeof(b), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 0: bad magic");
	/* only block 1's magic left */
	memset(b + 508, 0, 4);
	rc = img_parse(b, sizeof(b), IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "block 0: bad magic");
}
END_TEST

/* img_load_file_max bounds memory by the chip: a file larger than its
 * format needs for max_data is refused before parsing; unknown content is
 * refused from its start. */
START_TEST(load_file_bounded_by_chip)
{
	char path[64];
	struct img img;
	struct sf_err err;
	size_t n = 300000;
	uint8_t *big = malloc(n);
	int rc;

	ck_assert_ptr_nonnull(big);
	memset(big, 0xA5, n);
	write_tmp(path, big, n);
	rc = img_load_file_max(path, IMG_BIN, 0, 65536, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "300000 bytes is more than a raw binary");
	rc = img_load_file_max(path, IMG_AUTO, 0, 65536, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_FORMAT, "binary data starting A5 A5 A5 A5");
	ck_ok(img_load_file_max(path, IMG_BIN, 0x1000, 0, &img, &err), err);
	ck_seg(&img, 0, 0x1000, (uint32_t)n);
	img_free(&img);
	unlink(path);
	/* a HEX 4x over the bound: refused by size, not parsed */
	memset(big, '\n', n);
	big[0] = ':';
	write_tmp(path, big, n);
	rc = img_load_file_max(path, IMG_AUTO, 0, 16384, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "more than an Intel HEX image");
	unlink(path);
	free(big);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("image");
	TCase *image = tcase_create("image");
	tcase_add_test(image, bin_with_base);
	tcase_add_test(image, empty_and_unknown_format);
	tcase_add_test(image, detection_and_names);
	tcase_add_test(image, load_file_prefixes_path);
	tcase_add_test(image, image_sha256_is_of_the_file);
	tcase_add_test(image, ihex_writer_roundtrip);
	tcase_add_test(image, unknown_content_refused);
	tcase_add_test(image, damaged_uf2_is_uf2);
	tcase_add_test(image, load_file_bounded_by_chip);
	suite_add_tcase(s, image);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
