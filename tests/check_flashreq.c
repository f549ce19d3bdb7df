// SPDX-License-Identifier: GPL-2.0-or-later
/* check_flashreq: the one check a flash request passes (daemon/flashreq.h)
 * in the order both front ends rely on (a bad image is refused whatever the
 * target; then no target, locked, the part's limits), its messages, and
 * the option name tables (erase modes from nrf52/nrf52.h, image formats). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_run.h"
#include "../daemon/flashreq.h"

/* One data record at 0x0000 and EOF: a valid 4-byte Intel HEX image. */
static const char hex_ok[] = ":0400000001020304F2\n:00000001FF\n";
/* The same at 0x00200000 (outside every nRF52's flash). */
static const char hex_far[] = ":020000040020DA\n:0400000001020304F2\n:00000001FF\n";
/* A checksum error on line 1 (F2 is right). */
static const char hex_bad[] = ":0400000001020304F0\n:00000001FF\n";

static struct nrf52_info open_840(void)
{
	struct nrf52_info in;

	memset(&in, 0, sizeof(in));
	snprintf(in.name, sizeof(in.name), "nRF52840");
	in.flash_size = 1024 * 1024;
	in.page_size = 4096;
	in.identified = 1;
	return in;
}

static struct nrf52_info locked_chip(void)
{
	struct nrf52_info in;

	memset(&in, 0, sizeof(in));
	in.locked = 1;
	return in;
}

static int check(const char *text, const struct flashreq *rq, const struct flashreq_target *t,
		 struct img *img, struct sf_err *err)
{
	memset(err, 0, sizeof(*err));
	return flashreq_check((const uint8_t *)text, strlen(text), rq, t, img, err);
}

START_TEST(test_good_image_open_target)
{
	struct nrf52_info in = open_840();
	struct flashreq rq = { .format = IMG_AUTO };
	struct flashreq_target t = { .connected = 1, .info = &in };
	struct img img;
	struct sf_err err;

	ck_assert_int_eq(check(hex_ok, &rq, &t, &img, &err), 0);
	ck_assert_int_eq(img.format, IMG_HEX);
	ck_assert_uint_eq(img.nseg, 1);
	ck_assert_uint_eq(img.total, 4);
	ck_assert_str_eq(flashreq_format_name(img.format), "hex");
	flashreq_image_free(&img);
}
END_TEST

/* The parser's error comes first: no target and a lock do not hide it. */
START_TEST(test_bad_image_first)
{
	struct nrf52_info in = locked_chip();
	struct flashreq rq = { .format = IMG_AUTO };
	struct flashreq_target none = { .connected = 0, .error = "no response" };
	struct flashreq_target locked = { .connected = 1, .info = &in };
	struct img img;
	struct sf_err err;

	ck_assert_int_eq(check(hex_bad, &rq, &none, &img, &err), SF_E_IMAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "checksum"));
	ck_assert_uint_eq(img.nseg, 0);
	ck_assert_int_eq(check(hex_bad, &rq, &locked, &img, &err), SF_E_IMAGE);
	/* a format that does not match the content is the parser's too */
	rq.format = IMG_ELF;
	ck_assert_int_eq(check(hex_ok, &rq, &locked, &img, &err), SF_E_IMAGE);
	ck_assert_uint_eq(img.nseg, 0);
}
END_TEST

START_TEST(test_no_target)
{
	struct flashreq rq = { .format = IMG_AUTO };
	struct flashreq_target t = { .connected = 0, .error = "no response from the target" };
	struct img img;
	struct sf_err err;

	ck_assert_int_eq(check(hex_ok, &rq, &t, &img, &err), SF_E_NOTARGET);
	ck_assert_str_eq(err.msg, "no target: no response from the target");
	ck_assert_uint_eq(img.nseg, 0);
	ck_assert_ptr_null(img.seg);
	t.error = "";
	ck_assert_int_eq(check(hex_ok, &rq, &t, &img, &err), SF_E_NOTARGET);
	ck_assert_str_eq(err.msg, "no target: probe not ready");
	t.error = NULL;
	ck_assert_int_eq(check(hex_ok, &rq, &t, &img, &err), SF_E_NOTARGET);
	ck_assert_str_eq(err.msg, "no target: probe not ready");
	/* no target is checked before the part's limits */
	ck_assert_int_eq(check(hex_far, &rq, &t, &img, &err), SF_E_NOTARGET);
}
END_TEST

START_TEST(test_locked)
{
	struct nrf52_info in = locked_chip();
	struct flashreq rq = { .format = IMG_AUTO, .recover_hint = "add recover=1" };
	struct flashreq_target t = { .connected = 1, .info = &in };
	struct img img;
	struct sf_err err;

	ck_assert_int_eq(check(hex_ok, &rq, &t, &img, &err), SF_E_LOCKED);
	/* the API's wording, unchanged by the move out of web/api.c */
	ck_assert_str_eq(err.msg, "target is locked (APPROTECT): add recover=1 to erase and "
			 "unlock it first (destroys its contents)");
	ck_assert_uint_eq(img.nseg, 0);
	rq.recover_hint = NULL;
	ck_assert_int_eq(check(hex_ok, &rq, &t, &img, &err), SF_E_LOCKED);
	ck_assert_ptr_nonnull(strstr(err.msg, "recover it to erase"));
	/* recover requested: allowed, and the part's limits wait for the
	 * engine (FICR is unreadable until recover) */
	rq.recover = 1;
	ck_assert_int_eq(check(hex_far, &rq, &t, &img, &err), 0);
	flashreq_image_free(&img);
	/* the policy alone (no image), as swdflash read/erase use it */
	rq.recover = 0;
	ck_assert_int_eq(flashreq_check_target(&rq, &t, NULL, &err), SF_E_LOCKED);
}
END_TEST

START_TEST(test_outside_the_part)
{
	struct nrf52_info in = open_840();
	struct flashreq rq = { .format = IMG_AUTO, .recover = 1 };
	struct flashreq_target t = { .connected = 1, .info = &in };
	struct img img;
	struct sf_err err;

	ck_assert_int_eq(check(hex_far, &rq, &t, &img, &err), SF_E_RANGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "0x00200000-0x00200003"));
	ck_assert_ptr_nonnull(strstr(err.msg, "nRF52840"));
	ck_assert_uint_eq(img.nseg, 0);
	ck_assert_ptr_null(img.seg);
	/* the same image without a part to check against: no verdict */
	t.info = NULL;
	ck_assert_int_eq(check(hex_far, &rq, &t, &img, &err), 0);
	flashreq_image_free(&img);
}
END_TEST

/* A stored image's recorded format replaces "auto", never an explicit one. */
START_TEST(test_stored_format)
{
	struct nrf52_info in = open_840();
	struct flashreq rq = { .format = IMG_AUTO, .stored_format = "bin", .base = 0x8000 };
	struct flashreq_target t = { .connected = 1, .info = &in };
	struct img img;
	struct sf_err err;

	ck_assert_int_eq(flashreq_format(&rq), IMG_BIN);
	ck_assert_int_eq(check(hex_ok, &rq, &t, &img, &err), 0);
	ck_assert_int_eq(img.format, IMG_BIN);
	ck_assert_uint_eq(img.seg[0].addr, 0x8000);
	ck_assert_uint_eq(img.total, strlen(hex_ok));
	flashreq_image_free(&img);
	rq.format = IMG_HEX;
	ck_assert_int_eq(flashreq_format(&rq), IMG_HEX);
	rq.format = IMG_AUTO;
	rq.stored_format = "nonsense";
	ck_assert_int_eq(flashreq_format(&rq), IMG_AUTO);
}
END_TEST

/* Raw binary only when asked for: format bin, or NAME.bin with a base
 * (issue 10, item 1); a base with a format that carries its own addresses
 * is refused, not ignored. */
START_TEST(test_raw_binary_only_when_asked)
{
	static const uint8_t bin[8] = { 0x00, 0x00, 0x04, 0x20, 0xC1, 0x00, 0x00, 0x00 };
	struct nrf52_info in = open_840();
	struct flashreq_target t = { .connected = 1, .info = &in };
	struct flashreq rq = { .format = IMG_AUTO };
	struct img img;
	struct sf_err err = { 0 };

	ck_assert_int_eq(flashreq_check(bin, sizeof(bin), &rq, &t, &img, &err), SF_E_FORMAT);
	ck_assert_ptr_nonnull(strstr(err.msg, "only when asked for"));
	rq.name = "app.bin";   /* a name alone is not enough */
	ck_assert_int_eq(flashreq_check(bin, sizeof(bin), &rq, &t, &img, &err), SF_E_FORMAT);
	rq.base_set = 1;
	rq.base = 0x27000;
	rq.name = "build/APP.BIN";
	ck_assert_int_eq(flashreq_check(bin, sizeof(bin), &rq, &t, &img, &err), 0);
	ck_assert_int_eq(img.format, IMG_BIN);
	ck_assert_uint_eq(img.seg[0].addr, 0x27000);
	flashreq_image_free(&img);
	rq.name = "app.dat";   /* a base alone is not enough either */
	ck_assert_int_eq(flashreq_check(bin, sizeof(bin), &rq, &t, &img, &err), SF_E_FORMAT);
	rq.name = "app.bin";   /* NAME.bin with a base: raw, as asked */
	ck_assert_int_eq(flashreq_format(&rq), IMG_BIN);
	rq.name = "app.hex";
	ck_assert_int_eq(check(hex_ok, &rq, &t, &img, &err), SF_E_ARG);
	ck_assert_ptr_nonnull(strstr(err.msg, "base applies to raw binary images only"));
	ck_assert_ptr_null(img.seg);
	rq.format = IMG_BIN;
	rq.base_set = 0;
	rq.base = 0;
	ck_assert_int_eq(flashreq_check(bin, sizeof(bin), &rq, &t, &img, &err), 0);
	ck_assert_uint_eq(img.seg[0].addr, 0);
	flashreq_image_free(&img);
}
END_TEST

/* A stored raw binary is flashed at the base it was uploaded with; a
 * request for another base or format is refused (issue 10, item 2). */
START_TEST(test_stored_raw_binary_keeps_its_base)
{
	static const uint8_t bin[4] = { 1, 2, 3, 4 };
	struct nrf52_info in = open_840();
	struct flashreq_target t = { .connected = 1, .info = &in };
	struct flashreq rq = { .format = IMG_AUTO, .stored_format = "bin", .stored_has_base = 1,
			       .stored_base = 0x27000 };
	struct img img;
	struct sf_err err = { 0 };

	ck_assert_uint_eq(flashreq_base(&rq), 0x27000);
	ck_assert_int_eq(flashreq_check(bin, sizeof(bin), &rq, &t, &img, &err), 0);
	ck_assert_uint_eq(img.seg[0].addr, 0x27000);
	flashreq_image_free(&img);
	rq.base_set = 1;
	rq.base = 0x27000;   /* the same base again: fine */
	ck_assert_int_eq(flashreq_check(bin, sizeof(bin), &rq, &t, &img, &err), 0);
	ck_assert_uint_eq(img.seg[0].addr, 0x27000);
	flashreq_image_free(&img);
	rq.base = 0x30000;
	ck_assert_int_eq(flashreq_check(bin, sizeof(bin), &rq, &t, &img, &err), SF_E_ARG);
	ck_assert_ptr_nonnull(strstr(err.msg, "uploaded for base 0x00027000"));
	rq.base_set = 0;
	rq.format = IMG_HEX;
	ck_assert_int_eq(flashreq_check(bin, sizeof(bin), &rq, &t, &img, &err), SF_E_ARG);
	ck_assert_ptr_nonnull(strstr(err.msg, "the stored image is bin"));
}
END_TEST

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A one-block UF2 at 0x1000; family 0 = no family flag. */
static void uf2_one(uint8_t b[512], uint32_t family)
{
	memset(b, 0, 512);
	le32(b, 0x0A324655u);
	le32(b + 4, 0x9E5D5157u);
	le32(b + 8, family ? 0x2000u : 0);
	le32(b + 12, 0x1000);
	le32(b + 16, 256);
	le32(b + 24, 1);
	le32(b + 28, family);
	memset(b + 32, 0x5A, 256);
	le32(b + 508, 0x0AB16F30u);
}

/* UF2 family IDs against the attached part (issue 10, item 5). */
START_TEST(test_uf2_family_vs_part)
{
	static const struct { uint32_t part, ok_family, other; } parts[] = {
		{ 0x52840, 0xADA52840u, 0x1B57745Fu },
		{ 0x52833, 0x621E937Au, 0xADA52840u },
		{ 0x52832, 0x1B57745Fu, 0xADA52840u },
	};
	uint8_t b[512];
	struct flashreq rq = { .format = IMG_AUTO };
	struct img img;
	struct sf_err err = { 0 };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct nrf52_info in = open_840();
		struct flashreq_target t = { .connected = 1, .info = &in };
		in.part = parts[i].part;
		snprintf(in.name, sizeof(in.name), "nRF%X", (unsigned)parts[i].part);
		in.flash_size = 512 * 1024;
		uf2_one(b, parts[i].ok_family);
		ck_assert_int_eq(flashreq_check(b, sizeof(b), &rq, &t, &img, &err), 0);
		flashreq_image_free(&img);
		uf2_one(b, 0);  /* no family: accepted (nothing says which chip) */
		ck_assert_int_eq(flashreq_check(b, sizeof(b), &rq, &t, &img, &err), 0);
		flashreq_image_free(&img);
		uf2_one(b, parts[i].other);
		ck_assert_int_eq(flashreq_check(b, sizeof(b), &rq, &t, &img, &err), SF_E_RANGE);
		ck_assert_msg(strstr(err.msg, "UF2 family ID") && strstr(err.msg, in.name),
			      "message: %s", err.msg);
		ck_assert_ptr_null(img.seg);
	}
}
END_TEST

START_TEST(test_parse_file)
{
	char path[] = "/tmp/check_flashreq_XXXXXX";
	struct flashreq rq = { .format = IMG_AUTO };
	struct img img;
	struct sf_err err = { 0 };
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, hex_bad, strlen(hex_bad)), (int)strlen(hex_bad));
	close(fd);
	ck_assert_int_eq(flashreq_parse_file(path, &rq, &img, &err), SF_E_IMAGE);
	ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
	unlink(path);
	ck_assert_int_eq(flashreq_parse_file(path, &rq, &img, &err), SF_E_IO);
}
END_TEST

START_TEST(test_erase_mode_names)
{
	static const char *const want[] = { "auto", "chip", "none" };
	static const enum nrf52_erase_mode modes[] = { NRF52_ERASE_AUTO, NRF52_ERASE_CHIP,
						       NRF52_ERASE_NONE };
	char list[64];

	for (int i = 0; i < 3; i++) {
		ck_assert_str_eq(nrf52_erase_mode_name(modes[i]), want[i]);
		ck_assert_int_eq(nrf52_erase_mode_from_name(want[i]), (int)modes[i]);
		ck_assert_str_eq(flashreq_erase_name(modes[i]), want[i]);
		ck_assert_int_eq(flashreq_erase_from_name(want[i]), (int)modes[i]);
	}
	ck_assert_ptr_null(nrf52_erase_mode_name((enum nrf52_erase_mode)3));
	ck_assert_ptr_null(nrf52_erase_mode_name((enum nrf52_erase_mode)-1));
	ck_assert_int_eq(nrf52_erase_mode_from_name("sometimes"), -1);
	ck_assert_int_eq(nrf52_erase_mode_from_name("CHIP"), -1);
	ck_assert_int_eq(nrf52_erase_mode_from_name(""), -1);
	ck_assert_int_eq(nrf52_erase_mode_from_name(NULL), -1);
	flashreq_erase_list(list, sizeof(list));
	ck_assert_str_eq(list, "auto, chip or none");
}
END_TEST

START_TEST(test_format_names)
{
	char list[64];

	ck_assert_int_eq(flashreq_format_from_name("auto"), IMG_AUTO);
	ck_assert_int_eq(flashreq_format_from_name("uf2"), IMG_UF2);
	ck_assert_int_eq(flashreq_format_from_name("srec"), -1);
	ck_assert_str_eq(flashreq_format_name(IMG_ELF), "elf");
	flashreq_format_list(list, sizeof(list));
	ck_assert_str_eq(list, "auto, hex, uf2, elf or bin");
	/* a short buffer is cut, never overrun */
	memset(list, 'x', sizeof(list));
	flashreq_format_list(list, 8);
	ck_assert_str_eq(list, "auto, h");
	ck_assert_int_eq(list[8], 'x');
}
END_TEST

static Suite *flashreq_suite(void)
{
	Suite *s = suite_create("flashreq");
	TCase *tc = tcase_create("check");

	tcase_add_test(tc, test_good_image_open_target);
	tcase_add_test(tc, test_bad_image_first);
	tcase_add_test(tc, test_no_target);
	tcase_add_test(tc, test_locked);
	tcase_add_test(tc, test_outside_the_part);
	tcase_add_test(tc, test_stored_format);
	tcase_add_test(tc, test_parse_file);
	tcase_add_test(tc, test_raw_binary_only_when_asked);
	tcase_add_test(tc, test_stored_raw_binary_keeps_its_base);
	tcase_add_test(tc, test_uf2_family_vs_part);
	tcase_add_test(tc, test_erase_mode_names);
	tcase_add_test(tc, test_format_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(flashreq_suite());
}
