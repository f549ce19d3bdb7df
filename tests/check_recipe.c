// SPDX-License-Identifier: GPL-2.0-or-later
/* check_recipe: recipe parsing and the checks made when a recipe is saved
 * (daemon/recipe.c), the serial counter (daemon/unit.c: handed out numbers
 * are durable before they are used, never handed out twice, a damaged
 * counter is an error) and per-unit field values. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../daemon/recipe.h"
#include "../daemon/unit.h"
#include "ck_run.h"

static int parse(const char *text, struct recipe *r, struct sf_err *err)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);
	ck_assert_msg(o != NULL, "test JSON: %s", je.text);
	int rc = recipe_from_json(o, r, err);
	json_decref(o);
	return rc;
}

#define IMG "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""

START_TEST(recipe_good)
{
	struct recipe r;
	struct sf_err err = { 0 };

	ck_assert_int_eq(parse("{\"name\":\"a.b-c_1\",\"part\":\"NRF52833\",\"images\":[\"sha256:"
			       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"],"
			       "\"lock\":true,\"erase\":\"chip\",\"serial_start\":1000,"
			       "\"fields\":[{\"kind\":\"serial\",\"format\":\"hex\",\"width\":8,"
			       "\"prefix\":\"X\"},{\"kind\":\"date\",\"address\":\"0x100010C0\"}]}",
			       &r, &err), 0);
	ck_assert_str_eq(r.part_name, "nRF52833");
	ck_assert_uint_eq(r.flash_size, 512u * 1024u);
	ck_assert_int_eq(r.erase, NRF52_ERASE_CHIP);
	ck_assert_int_eq(r.lock, 1);
	ck_assert_uint_eq(r.serial_start, 1000);
	ck_assert_uint_eq(r.nfields, 2);
	ck_assert_uint_eq(r.fields[0].addr, RECIPE_UICR_CUSTOMER);
	ck_assert_int_eq(r.fields[0].hex, 1);
	/* it comes back as it went in */
	json_t *j = recipe_to_json(&r);
	struct recipe r2;
	ck_assert_int_eq(recipe_from_json(j, &r2, &err), 0);
	json_decref(j);
	ck_assert_mem_eq(&r.fields, &r2.fields, sizeof(r.fields));
	ck_assert_str_eq(r2.images[0], r.images[0]);
}
END_TEST

START_TEST(recipe_refused)
{
	static const struct { const char *json, *msg; } bad[] = {
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[" IMG "]}", "'lock' must be given" },
		{ "{\"name\":\"../x\",\"part\":\"nrf52840\",\"images\":[" IMG "],\"lock\":false}", "name '../x'" },
		{ "{\"name\":\"x\",\"part\":\"nrf51822\",\"images\":[" IMG "],\"lock\":false}", "part 'nrf51822'" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[],\"lock\":false}", "images must be a list of 1" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[\"abc\"],\"lock\":false}", "images[0] is not a SHA-256" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[" IMG "],\"lock\":false,\"erase\":\"none\"}", "erase 'none'" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[" IMG "],\"lock\":false,\"colour\":1}", "unknown key 'colour'" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[" IMG "],\"lock\":false,"
		  "\"fields\":[{\"kind\":\"serial\",\"address\":\"0x10001082\"}]}", "word-aligned" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[" IMG "],\"lock\":false,"
		  "\"fields\":[{\"kind\":\"serial\",\"width\":12,\"prefix\":\"ABCDE\"}]}", "does not fit in 16 bytes" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[" IMG "],\"lock\":false,"
		  "\"fields\":[{\"kind\":\"device_id\",\"size\":16}]}", "device_id does not fit" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[" IMG "],\"lock\":false,"
		  "\"fields\":[{\"kind\":\"serial\"},{\"kind\":\"date\",\"address\":\"0x1000108C\"}]}", "overlaps fields[0]" },
		{ "{\"name\":\"x\",\"part\":\"nrf52832\",\"images\":[" IMG "],\"lock\":false,"
		  "\"fields\":[{\"kind\":\"serial\",\"address\":\"0x80000\"}]}", "neither in UICR CUSTOMER" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[" IMG "],\"lock\":false,"
		  "\"fields\":[{\"kind\":\"date\",\"prefix\":\"D\"}]}", "for serial fields" },
		{ "{\"name\":\"x\",\"part\":\"nrf52840\",\"images\":[" IMG "],\"lock\":false,"
		  "\"selftest\":{\"fail\":\"F\"}}", "selftest.pass" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct recipe r;
		struct sf_err err = { 0 };
		ck_assert_msg(parse(bad[i].json, &r, &err) != 0, "accepted: %s", bad[i].json);
		ck_assert_msg(strstr(err.msg, bad[i].msg) != NULL, "%s: message '%s' lacks '%s'",
			      bad[i].json, err.msg, bad[i].msg);
	}
}
END_TEST

START_TEST(serial_counter)
{
	char dir[] = "/tmp/check_recipe.XXXXXX", path[200];
	struct sf_err err = { 0 };
	uint64_t s, next;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct units *u = units_open(dir, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(unit_reserve(u, "r", 7, &s, &err), 0);
	ck_assert_uint_eq(s, 7);
	/* on disk before it was handed out: a new instance goes on from 8 */
	units_close(u);
	u = units_open(dir, &err);
	ck_assert_int_eq(unit_peek(u, "r", 7, &next, &err), 0);
	ck_assert_uint_eq(next, 8);
	ck_assert_int_eq(unit_reserve(u, "r", 7, &s, &err), 0);
	ck_assert_uint_eq(s, 8);
	/* a raised start jumps ahead, a lower one never goes back */
	ck_assert_int_eq(unit_reserve(u, "r", 100, &s, &err), 0);
	ck_assert_uint_eq(s, 100);
	ck_assert_int_eq(unit_reserve(u, "r", 1, &s, &err), 0);
	ck_assert_uint_eq(s, 101);
	/* a damaged counter is an error, never a restart at the start */
	snprintf(path, sizeof(path), "%s/serials/r", dir);
	FILE *f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	ck_assert_int_eq(unit_reserve(u, "r", 1, &s, &err), SF_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "damaged"));
	units_close(u);
	unlink(path);
	snprintf(path, sizeof(path), "%s/serials", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

START_TEST(field_values)
{
	struct recipe_field f = { .kind = RECIPE_FIELD_SERIAL, .size = 12, .width = 6, .hex = 0 };
	struct nrf52_info info = { .device_id = 0x0123456789ABCDEFull, .device_addr = 0x1122334455AAull };
	uint8_t out[20];
	char text[40];
	struct sf_err err = { 0 };

	snprintf(f.prefix, sizeof(f.prefix), "SN");
	ck_assert_int_eq(unit_field_value(&f, 42, &info, 0, out, text, sizeof(text), &err), 0);
	ck_assert_str_eq(text, "SN000042");
	ck_assert_mem_eq(out, "SN000042\0\0\0\0", 12);
	f.hex = 1;
	ck_assert_int_eq(unit_field_value(&f, 0xBEEF, &info, 0, out, text, sizeof(text), &err), 0);
	ck_assert_str_eq(text, "SN00BEEF");
	/* a number past its field: refused, not cut */
	ck_assert_int_eq(unit_field_value(&f, 0xFFFFFFFFFFull, &info, 0, out, text, sizeof(text), &err),
			 SF_E_RANGE);
	struct recipe_field d = { .kind = RECIPE_FIELD_DEVICE_ID, .size = 20 };
	ck_assert_int_eq(unit_field_value(&d, 0, &info, 0, out, text, sizeof(text), &err), 0);
	ck_assert_str_eq(text, "0123456789ABCDEF");
	struct recipe_field b = { .kind = RECIPE_FIELD_BLE_ADDR, .size = 20 };
	ck_assert_int_eq(unit_field_value(&b, 0, &info, 0, out, text, sizeof(text), &err), 0);
	ck_assert_str_eq(text, "D1:22:33:44:55:AA");  /* static random: top two bits set */
	struct recipe_field t = { .kind = RECIPE_FIELD_DATE, .size = 12 };
	ck_assert_int_eq(unit_field_value(&t, 0, &info, 1796169600000LL, out, text, sizeof(text), &err), 0);
	ck_assert_str_eq(text, "2026-12-02");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("recipe");
	TCase *tc = tcase_create("recipe");
	tcase_add_test(tc, recipe_good);
	tcase_add_test(tc, recipe_refused);
	tcase_add_test(tc, serial_counter);
	tcase_add_test(tc, field_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
