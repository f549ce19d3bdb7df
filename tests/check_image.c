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
	free(text);

	f = open_memstream(&text, &tlen);
	ck_assert_int_eq(img_write_ihex(f, 0xFFFFFFF0u, d, 17), SF_E_ARG);
	fclose(f);
	free(text);
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
	suite_add_tcase(s, image);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
