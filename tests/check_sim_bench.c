// SPDX-License-Identifier: GPL-2.0-or-later
/* check_sim_bench: the simulated bench (sim bench=DIR): boards plugged in
 * and pulled out through the slot file while the chip's holder runs,
 * each with its own spec and state file; what the wire shows follows at
 * the next line reset. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../nrf52/nrf52.h"
#include "../sim/sim.h"
#include "../swd/probe.h"
#include "ck_run.h"

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[128], tmp[140];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(rename(tmp, path), 0);
}

START_TEST(bench_plug_and_pull)
{
	char spec[128];
	struct swd_probe *p;
	struct sf_err err = { 0 };
	struct nrf52_info info;

	snprintf(dir, sizeof(dir), "/tmp/check_sim_bench.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	put("a.board", "part=nrf52840,device_id=0xA1\n");
	put("b.board", "part=nrf52832,device_id=0xB2,locked=1\n");
	put("bad.board", "part=nrf52999\n");
	snprintf(spec, sizeof(spec), "sim:bench=%s", dir);
	ck_assert_int_eq(swd_probe_open(spec, &p, &err), 0);
	struct nrf52 *n = nrf52_new(swd_probe_dap(p), swd_probe_clock(p), NULL, NULL);
	struct sim_chip *c = swd_probe_sim(p);

	/* no slot file: nothing on the wire */
	ck_assert_int_eq(nrf52_identify(n, &info, &err), SF_E_NOTARGET);
	ck_assert_str_eq(sim_bench_board(c), "");
	put("slot", "a\n");
	ck_assert_int_eq(nrf52_identify(n, &info, &err), 0);
	ck_assert_str_eq(sim_bench_board(c), "a");
	ck_assert_uint_eq(info.part, 0x52840);
	ck_assert_uint_eq(info.device_id, 0xA1);
	/* swapped for a locked nRF52832 without an empty slot in between */
	put("slot", "b\n");
	ck_assert_int_eq(nrf52_identify(n, &info, &err), 0);
	ck_assert_int_eq(info.locked, 1);
	ck_assert_str_eq(sim_bench_board(c), "b");
	/* each board kept its own state file */
	char path[128];
	snprintf(path, sizeof(path), "%s/a.chip", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	/* a board whose spec is bad is not on the wire (and says so on stderr) */
	put("slot", "bad\n");
	ck_assert_int_eq(nrf52_identify(n, &info, &err), SF_E_NOTARGET);
	/* a name that is not a board name is refused the same way */
	put("slot", "../a\n");
	ck_assert_int_eq(nrf52_identify(n, &info, &err), SF_E_NOTARGET);
	put("slot", "");
	ck_assert_int_eq(nrf52_identify(n, &info, &err), SF_E_NOTARGET);
	nrf52_free(n);
	swd_probe_close(p);
	for (const char *f = "a.board\0b.board\0bad.board\0a.chip\0b.chip\0slot\0"; *f; f += strlen(f) + 1) {
		snprintf(path, sizeof(path), "%s/%s", dir, f);
		unlink(path);
	}
	rmdir(dir);
}
END_TEST

START_TEST(bench_spec)
{
	struct sim_config cfg;
	char buf[256], err[200];

	ck_assert_int_eq(sim_config_parse(&cfg, "bench=/x,state=/y", buf, sizeof(buf), err,
					  sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "exclude each other"));
	ck_assert_int_eq(sim_config_parse(&cfg, "power_loss_at_write=x", buf, sizeof(buf), err,
					  sizeof(err)), -1);
	ck_assert_int_eq(sim_config_parse(&cfg, "bench=/x,power_loss_at_write=9", buf, sizeof(buf),
					  err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.bench_dir, "/x");
	ck_assert_uint_eq(cfg.power_loss_at_write, 9);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sim_bench");
	TCase *tc = tcase_create("sim_bench");
	tcase_add_test(tc, bench_plug_and_pull);
	tcase_add_test(tc, bench_spec);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
