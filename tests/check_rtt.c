// SPDX-License-Identifier: GPL-2.0-or-later
/* check_rtt: the self-test's SEGGER RTT reader against a control block
 * written into the simulated chip's RAM over SWD (the layout of
 * SEGGER_RTT.h: id, MaxNumUpBuffers, MaxNumDownBuffers, then up buffer 0:
 * sName, pBuffer, SizeOfBuffer, WrOff, RdOff, Flags). The firmware is not
 * running; the reader only sees what is in RAM. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/rtt.h"
#include "../swd/probe.h"
#include "ck_run.h"

struct fx {
	struct swd_probe *p;
	struct nrf52 *n;
	struct nrf52_info info;
	struct sf_err err;
};

static void fx_open(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(swd_probe_open("sim:part=nrf52840", &f->p, &f->err), 0);
	f->n = nrf52_new(swd_probe_dap(f->p), swd_probe_clock(f->p), NULL, NULL);
	ck_assert_ptr_nonnull(f->n);
	ck_assert_int_eq(nrf52_identify(f->n, &f->info, &f->err), 0);
}

static void fx_close(struct fx *f)
{
	nrf52_free(f->n);
	swd_probe_close(f->p);
}

/* A control block at cb with text in a 64-byte buffer right after it. */
static void put_rtt(struct fx *f, uint32_t cb, const char *text, uint32_t rd)
{
	uint32_t w[32];
	memset(w, 0, sizeof(w));
	memcpy(w, "SEGGER RTT", 10);
	w[4] = 1;                 /* MaxNumUpBuffers */
	w[5] = 1;                 /* MaxNumDownBuffers */
	w[7] = cb + 64;           /* aUp[0].pBuffer */
	w[8] = 64;                /* SizeOfBuffer */
	w[9] = (uint32_t)strlen(text); /* WrOff */
	w[10] = rd;               /* RdOff */
	memcpy(w + 16, text, strlen(text));
	ck_assert_int_eq(nrf52_write_ram(f->n, cb, w, 32, &f->err), 0);
}

START_TEST(rtt_pass_line)
{
	struct fx f;
	struct recipe_selftest st = { .enabled = 1, .pass = "SELFTEST PASS", .fail = "SELFTEST FAIL",
				      .timeout_ms = 200 };
	char line[100];
	uint32_t rd;

	fx_open(&f);
	put_rtt(&f, 0x20001234 & ~3u, "boot\nSELFTEST PASS v1\n", 0);
	ck_assert_int_eq(rtt_selftest(f.n, swd_probe_clock(f.p), &st, line, sizeof(line), &f.err), 0);
	ck_assert_str_eq(line, "SELFTEST PASS v1");
	/* the host wrote RdOff back, as J-Link does */
	ck_assert_int_eq(nrf52_read(f.n, (0x20001234 & ~3u) + 40, &rd, 4, &f.err), 0);
	ck_assert_uint_eq(rd, strlen("boot\nSELFTEST PASS v1\n"));
	fx_close(&f);
}
END_TEST

START_TEST(rtt_fail_line)
{
	struct fx f;
	struct recipe_selftest st = { .enabled = 1, .pass = "SELFTEST PASS", .fail = "SELFTEST FAIL",
				      .timeout_ms = 200 };
	char line[100];

	fx_open(&f);
	put_rtt(&f, 0x20008000, "SELFTEST FAIL radio\n", 0);
	ck_assert_int_eq(rtt_selftest(f.n, swd_probe_clock(f.p), &st, line, sizeof(line), &f.err),
			 SF_E_VERIFY);
	ck_assert_ptr_nonnull(strstr(f.err.msg, "SELFTEST FAIL radio"));
	fx_close(&f);
}
END_TEST

START_TEST(rtt_timeout)
{
	struct fx f;
	struct recipe_selftest st = { .enabled = 1, .pass = "SELFTEST PASS", .timeout_ms = 50 };
	char line[100];

	fx_open(&f);
	/* no control block at all */
	ck_assert_int_eq(rtt_selftest(f.n, swd_probe_clock(f.p), &st, line, sizeof(line), &f.err),
			 SF_E_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(f.err.msg, "no RTT control block"));
	/* a block whose lines never say PASS */
	put_rtt(&f, 0x20000100, "hello\n", 0);
	ck_assert_int_eq(rtt_selftest(f.n, swd_probe_clock(f.p), &st, line, sizeof(line), &f.err),
			 SF_E_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(f.err.msg, "no PASS line"));
	fx_close(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rtt");
	TCase *tc = tcase_create("rtt");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rtt_pass_line);
	tcase_add_test(tc, rtt_fail_line);
	tcase_add_test(tc, rtt_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
