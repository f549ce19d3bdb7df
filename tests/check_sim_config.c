// SPDX-License-Identifier: GPL-2.0-or-later
/* check_sim_config: the simulated chip's configuration and life cycle
 * (sim/config.c): the spec string and its error messages, the state file
 * (flash and UICR kept, RAM not, the part checked, no temporary left, a
 * lock and a later recover kept across starts), simulated time
 * (period_ns, sim_delay_ns, wallclock=1). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ck_run.h"
#include "tests/sim_host.h"

START_TEST(t_persist)
{
	char dir[] = "/tmp/check_sim.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[300], spec[400];
	snprintf(path, sizeof path, "%s/chip.bin", dir);
	snprintf(spec, sizeof spec, "part=nrf52833,state=%s,period_ns=10", path);
	struct sim_chip *c = mk(spec);
	ck_assert_uint_eq(peek32(c, 0x5000), 0xFFFFFFFFu);   /* new path: blank */
	uint32_t id0 = peek32(c, 0x10000060u);
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x5000, 0xA5A5A5A5u);
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x10001084u, 0x12345678u);
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x20000000u, 0x1);
	sim_chip_free(c);
	ck_assert_int_eq(access(path, R_OK), 0);

	c = mk(spec);
	ck_assert_uint_eq(peek32(c, 0x5000), 0xA5A5A5A5u);
	ck_assert_uint_eq(peek32(c, 0x10001084u), 0x12345678u);
	ck_assert_uint_eq(peek32(c, 0x20000000u), 0);        /* RAM is not kept */
	ck_assert_uint_eq(peek32(c, 0x10000060u), id0);      /* same chip, same id */
	ck_assert_int_eq(sim_chip_save(c), 0);
	sim_chip_free(c);

	/* a different part on the same file is an error */
	struct sim_config cfg;
	char sb[300], err[256];
	snprintf(spec, sizeof spec, "part=nrf52840,state=%s", path);
	ck_assert_int_eq(sim_config_parse(&cfg, spec, sb, sizeof sb, err, sizeof err), 0);
	ck_assert_ptr_null(sim_chip_new(&cfg, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "52833"));
	/* a state path that cannot be created is refused up front */
	ck_assert_int_eq(sim_config_parse(&cfg, "part=nrf52840,state=/nonexistent-dir/chip.bin", sb,
					  sizeof sb, err, sizeof err), 0);
	ck_assert_ptr_null(sim_chip_new(&cfg, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "cannot create the state file"));
	/* no temporary file left behind */
	char tmpf[400];
	snprintf(tmpf, sizeof tmpf, "%s.tmp.%ld", path, (long)getpid());
	ck_assert_int_ne(access(tmpf, F_OK), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* locked=1 describes a new chip: with a state file, the lock and a later
 * recover are both kept across starts. */
START_TEST(t_locked_state_persists)
{
	char dir[] = "/tmp/check_sim.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[300], spec[400];
	snprintf(path, sizeof path, "%s/chip.bin", dir);
	snprintf(spec, sizeof spec, "part=nrf52832,locked=1,state=%s", path);
	struct sim_chip *c = mk(spec);
	ck_assert(sim_is_locked(c));
	sim_chip_free(c);
	c = mk(spec);
	ck_assert(sim_is_locked(c));                   /* the lock is in UICR */
	connect(c);
	ctrl_wr(c, 0x004, 1);                          /* CTRL-AP ERASEALL */
	sim_delay_ns(c, 200000000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 0);
	sim_chip_free(c);
	c = mk(spec);
	ck_assert(!sim_is_locked(c));                  /* recovered stays open */
	ck_assert_uint_eq(peek32(c, UICR_APPROTECT), 0xFFFFFFFFu);
	sim_chip_free(c);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(t_config_parse)
{
	struct sim_config cfg;
	char sb[64], err[256];
	ck_assert_int_eq(sim_config_parse(&cfg, "", sb, sizeof sb, err, sizeof err), 0);
	ck_assert_int_eq(cfg.part, SIM_NRF52840);
	ck_assert_uint_eq(cfg.swclk_period_ns, 1000);
	ck_assert_int_eq(sim_config_parse(&cfg, "part=nrf52832,rev=hardened,locked=1,state=/x/y,period_ns=250",
					  sb, sizeof sb, err, sizeof err), 0);
	ck_assert_int_eq(cfg.part, SIM_NRF52832);
	ck_assert_int_eq(cfg.rev, SIM_REV_HARDENED);
	ck_assert_int_eq(cfg.locked, 1);
	ck_assert_str_eq(cfg.state_path, "/x/y");
	ck_assert_uint_eq(cfg.swclk_period_ns, 250);
	ck_assert_int_eq(sim_config_parse(&cfg, "device_id=0x1234,wallclock=1",
					  sb, sizeof sb, err, sizeof err), 0);
	ck_assert_uint_eq(cfg.device_id, 0x1234);
	ck_assert_int_eq(cfg.wallclock, 1);
	static const struct { const char *spec, *msg; } bad[] = {
		{ "colour=red", "unknown key 'colour'" },
		/* gone: only firmware that writes APPROTECT.DISABLE opens a
		 * hardened chip after reset */
		{ "fw_approtect=1", "unknown key 'fw_approtect'" },
		{ "part=nrf51822", "unknown part 'nrf51822'" },
		{ "rev=new", "unknown rev 'new'" },
		{ "locked=yes", "locked must be 0 or 1" },
		{ "period_ns=0", "period_ns" },
		{ "period_ns=abc", "period_ns" },
		{ "part", "not key=value" },
		{ "state=", "needs a path" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		ck_assert_int_eq(sim_config_parse(&cfg, bad[i].spec, sb, sizeof sb, err, sizeof err), -1);
		ck_assert_msg(strstr(err, bad[i].msg), "%s -> %s", bad[i].spec, err);
	}
}
END_TEST

START_TEST(t_wallclock)
{
	struct sim_chip *c = mk("wallclock=1");
	uint64_t t0 = sim_time_ns(c);
	usleep(20000);
	ck_assert_uint_ge(sim_time_ns(c) - t0, 20000000u);
	sim_chip_free(c);
	c = mk("period_ns=500");
	t0 = sim_time_ns(c);
	sim_seq_out(c, 0, 10);
	ck_assert_uint_eq(sim_time_ns(c) - t0, 5000);
	sim_set_period_ns(c, 100);
	sim_seq_out(c, 0, 10);
	sim_delay_ns(c, 7);
	ck_assert_uint_eq(sim_time_ns(c) - t0, 6007);
	ck_assert_uint_eq(sim_counters(c)->cycles, 20);
	sim_counters_reset(c);
	ck_assert_uint_eq(sim_counters(c)->cycles, 0);
	sim_chip_free(c);
}
END_TEST

/* Word at addr (flash, or UICR at 0x10001000) read from the state file
 * itself, not through a chip. */
static uint32_t file_word(const char *path, uint32_t addr)
{
	FILE *f = fopen(path, "rb");
	uint8_t b[4];
	long off = addr >= 0x10001000u ? 24 + 512 * 1024 + (long)(addr - 0x10001000u)
				       : 24 + (long)addr;  /* nrf52833: 512 KiB */

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
	ck_assert_uint_eq(fread(b, 1, 4, f), 4);
	fclose(f);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Flash is non-volatile: a process killed with SIGKILL (no exit, no
 * save) leaves every word its NVMC finished, and every erase, in the
 * state file. */
START_TEST(t_kill9_keeps_writes)
{
	char dir[] = "/tmp/check_sim.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[300], spec[400];
	snprintf(path, sizeof path, "%s/chip.bin", dir);
	snprintf(spec, sizeof spec, "part=nrf52833,state=%s,period_ns=10", path);
	struct sim_chip *c = mk(spec);       /* an earlier life: one word */
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x3000, 0x11111111u);
	sim_delay_ns(c, 50000);
	sim_chip_free(c);

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		c = mk(spec);
		connect(c);
		mem_wr(c, NVMC_CONFIG, 2);
		mem_wr(c, NVMC_ERASEPAGE, 0x3000);   /* erase the earlier word */
		sim_delay_ns(c, 100000000);
		mem_wr(c, NVMC_CONFIG, 1);
		for (uint32_t i = 0; i < 64; i++) {
			mem_wr(c, 0x5000 + 4 * i, 0xA5000000u | i);
			sim_delay_ns(c, 50000);
		}
		mem_wr(c, 0x10001080u, 0x12345678u);  /* UICR.CUSTOMER[0] */
		sim_delay_ns(c, 50000);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_uint_eq(file_word(path, 0x3000), 0xFFFFFFFFu);
	for (uint32_t i = 0; i < 64; i++)
		ck_assert_uint_eq(file_word(path, 0x5000 + 4 * i), 0xA5000000u | i);
	ck_assert_uint_eq(file_word(path, 0x10001080u), 0x12345678u);
	c = mk(spec);  /* the killed holder's lock went with it */
	ck_assert_uint_eq(peek32(c, 0x5000 + 4 * 63), 0xA500003Fu);
	ck_assert_uint_eq(peek32(c, 0x10001080u), 0x12345678u);
	sim_chip_free(c);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* One chip per state file: a second one is refused while the first
 * lives, naming its process; once it is freed the file is free. */
START_TEST(t_one_holder)
{
	char dir[] = "/tmp/check_sim.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[300], spec[400], sb[300], err[256], want[400];
	struct sim_config cfg;
	snprintf(path, sizeof path, "%s/chip.bin", dir);
	snprintf(spec, sizeof spec, "part=nrf52840,state=%s", path);
	struct sim_chip *c = mk(spec);
	ck_assert_int_eq(sim_config_parse(&cfg, spec, sb, sizeof sb, err, sizeof err), 0);
	ck_assert_ptr_null(sim_chip_new(&cfg, err, sizeof err));
	snprintf(want, sizeof want, "sim: %s is in use by process %ld (one process per "
		 "simulated chip)", path, (long)getpid());
	ck_assert_str_eq(err, want);
	sim_chip_free(c);
	c = sim_chip_new(&cfg, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	sim_chip_free(c);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sim_config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, t_persist);
	tcase_add_test(tc, t_kill9_keeps_writes);
	tcase_add_test(tc, t_one_holder);
	tcase_add_test(tc, t_locked_state_persists);
	tcase_add_test(tc, t_config_parse);
	tcase_add_test(tc, t_wallclock);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
