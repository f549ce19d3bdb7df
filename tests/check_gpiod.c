// SPDX-License-Identifier: GPL-2.0-or-later
/* The libgpiod pins driver through the real libgpiod (v1 or v2, whichever
 * this binary was built against) on the emulated Raspberry Pi GPIO chip
 * (build/gpiochip_emu.so, LD_PRELOAD), wired to the simulated nRF52.
 *
 * main() first checks the "no GPIO chip" message on this machine (only
 * when it really has no /dev/gpiochip*), then re-executes itself with the
 * emulator preloaded for everything else. GPIOCHIP_EMU_SO overrides the
 * library path. */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../swd/dap.h"
#include "../swd/pins_gpiod.h"
#include "../swd/probe.h"

static uint64_t (*emu_count)(const char *kind);
static void (*emu_wire)(int *, int *, int *, int *, uint64_t *);
static int (*emu_take)(unsigned, const char *);
static int (*emu_consumer)(unsigned, char *, size_t);
static void (*emu_fail)(uint64_t, int);

static void hooks(void)
{
	*(void **)&emu_count = dlsym(RTLD_DEFAULT, "gpiochip_emu_count");
	*(void **)&emu_wire = dlsym(RTLD_DEFAULT, "gpiochip_emu_wire");
	*(void **)&emu_take = dlsym(RTLD_DEFAULT, "gpiochip_emu_take");
	*(void **)&emu_consumer = dlsym(RTLD_DEFAULT, "gpiochip_emu_consumer");
	*(void **)&emu_fail = dlsym(RTLD_DEFAULT, "gpiochip_emu_fail");
	ck_assert_msg(emu_count && emu_wire && emu_take && emu_consumer && emu_fail,
		      "gpiochip_emu.so is not preloaded");
}

static int open_pins(const char *args, struct swd_pins *p, char *desc, size_t dl,
		     struct sf_err *err)
{
	sf_err_clear(err);
	return swd_pins_gpiod_open(args, p, desc, dl, err);
}

static void close_pins(struct swd_pins *p)
{
	p->ops->free(p->ctx);
}

static int has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* ---- without the emulator ---- */

START_TEST(no_chip_message)
{
	struct swd_pins p;
	struct sf_err err;
	char desc[256];
	int rc = open_pins("", &p, desc, sizeof(desc), &err);

	ck_assert_int_eq(rc, SF_E_IO);
	ck_assert_msg(has(err.msg, "no GPIO chip"), "message: %s", err.msg);
	ck_assert_msg(has(err.msg, "Raspberry Pi"), "message: %s", err.msg);
}
END_TEST

/* ---- under the emulator ---- */

START_TEST(bad_specs)
{
	static const char *const bad[] = { "bogus=1", "swclk=abc", "swclk=25,swdio=25",
					   "max_hz=", "nreset=24", "chip", "swclk=60" };
	struct swd_pins p;
	struct sf_err err;
	char desc[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = open_pins(bad[i], &p, desc, sizeof(desc), &err);

		ck_assert_msg(rc == SF_E_ARG, "'%s' gave %d: %s", bad[i], rc, err.msg);
	}
	open_pins("swclk=60", &p, desc, sizeof(desc), &err);
	ck_assert_msg(has(err.msg, "lines 0..57"), "%s", err.msg);
}
END_TEST

START_TEST(open_auto_and_release)
{
	struct swd_pins p;
	struct sf_err err;
	char desc[512], who[64];

	hooks();
	ck_assert_int_eq(open_pins("", &p, desc, sizeof(desc), &err), 0);
	printf("gpiod: %s\n", desc);
	ck_assert_msg(has(desc, "/dev/gpiochip0 [pinctrl-bcm2711]"), "%s", desc);
	ck_assert_msg(has(desc, "SWCLK=GPIO25 SWDIO=GPIO24 nRESET=GPIO18"), "%s", desc);
	ck_assert_msg(has(desc, SWD_GPIOD_VERSION_MAJOR == 2 ? "gpiod v2 (libgpiod 2."
							     : "gpiod v1 (libgpiod 1."),
		      "%s", desc);
	for (unsigned off = 24; off <= 25; off++) {
		ck_assert_int_eq(emu_consumer(off, who, sizeof(who)), 1);
		ck_assert_str_eq(who, "swdflashd");
	}
	ck_assert_int_eq(emu_consumer(18, who, sizeof(who)), 1);
	ck_assert_str_eq(who, "swdflashd");
	ck_assert_ptr_nonnull(p.ops->nreset);
	close_pins(&p);
	ck_assert_int_eq(emu_consumer(25, who, sizeof(who)), 0);
	ck_assert_int_eq(emu_consumer(24, who, sizeof(who)), 0);
	ck_assert_int_eq(emu_consumer(18, who, sizeof(who)), 0);
}
END_TEST

START_TEST(chip_by_path_name_number_label)
{
	static const char *const ok[] = { "chip=/dev/gpiochip0", "chip=gpiochip0", "chip=0",
					  "chip=pinctrl-bcm2711", "chip=auto" };
	struct swd_pins p;
	struct sf_err err;
	char desc[512];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(open_pins(ok[i], &p, desc, sizeof(desc), &err) == 0, "%s: %s",
			      ok[i], err.msg);
		close_pins(&p);
	}
	ck_assert_int_eq(open_pins("chip=pinctrl-rp1", &p, desc, sizeof(desc), &err), SF_E_IO);
	ck_assert_msg(has(err.msg, "pinctrl-rp1") && has(err.msg, "gpiochip0 [pinctrl-bcm2711]"),
		      "%s", err.msg);
	ck_assert_int_eq(open_pins("chip=gpiochip7", &p, desc, sizeof(desc), &err), SF_E_IO);
	ck_assert_msg(has(err.msg, "/dev/gpiochip7"), "%s", err.msg);
}
END_TEST

START_TEST(busy_lines_name_their_consumer)
{
	struct swd_pins a, b;
	struct sf_err err;
	char desc[512];

	hooks();
	ck_assert_int_eq(open_pins("", &a, desc, sizeof(desc), &err), 0);
	ck_assert_int_eq(open_pins("", &b, desc, sizeof(desc), &err), SF_E_BUSY);
	ck_assert_msg(has(err.msg, "SWCLK line 25 (\"GPIO25\")") &&
		      has(err.msg, "in use by \"swdflashd\""), "%s", err.msg);
	close_pins(&a);

	ck_assert_int_eq(emu_take(24, "w1-gpio"), 0);
	ck_assert_int_eq(open_pins("", &b, desc, sizeof(desc), &err), SF_E_BUSY);
	ck_assert_msg(has(err.msg, "SWDIO line 24") && has(err.msg, "\"w1-gpio\""), "%s",
		      err.msg);
	ck_assert_int_eq(emu_take(24, NULL), 0);
	ck_assert_int_eq(open_pins("", &b, desc, sizeof(desc), &err), 0);
	close_pins(&b);
}
END_TEST

START_TEST(nreset_is_optional)
{
	struct swd_pins p;
	struct sf_err err;
	char desc[512];

	hooks();
	ck_assert_int_eq(emu_take(18, "pwm"), 0);
	/* The default nRESET line is taken: carry on without it, and say so. */
	ck_assert_int_eq(open_pins("", &p, desc, sizeof(desc), &err), 0);
	ck_assert_ptr_null(p.ops->nreset);
	ck_assert_msg(has(desc, "no nRESET") && has(desc, "GPIO18 is in use"), "%s", desc);
	close_pins(&p);
	/* Asked for explicitly, it must be there. */
	ck_assert_int_eq(open_pins("nreset=18", &p, desc, sizeof(desc), &err), SF_E_BUSY);
	ck_assert_msg(has(err.msg, "nRESET line 18") && has(err.msg, "\"pwm\""), "%s", err.msg);
	ck_assert_int_eq(emu_take(18, NULL), 0);
	ck_assert_int_eq(open_pins("nreset=none", &p, desc, sizeof(desc), &err), 0);
	ck_assert_ptr_null(p.ops->nreset);
	close_pins(&p);
	ck_assert_int_eq(open_pins("swclk=11,swdio=10,nreset=9", &p, desc, sizeof(desc), &err), 0);
	ck_assert_msg(has(desc, "SWCLK=GPIO11 SWDIO=GPIO10 nRESET=GPIO9"), "%s", desc);
	close_pins(&p);
}
END_TEST

START_TEST(nreset_drives_the_pin)
{
	struct swd_pins p;
	struct sf_err err;
	char desc[512];
	int c, d, drv, r;
	uint64_t e;

	hooks();
	ck_assert_int_eq(open_pins("", &p, desc, sizeof(desc), &err), 0);
	emu_wire(&c, &d, &drv, &r, &e);
	ck_assert_int_eq(r, 1);
	ck_assert_int_eq(p.ops->nreset(p.ctx, 0), 0);
	emu_wire(&c, &d, &drv, &r, &e);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(p.ops->nreset(p.ctx, 1), 0);
	emu_wire(&c, &d, &drv, &r, &e);
	ck_assert_int_eq(r, 1);
	close_pins(&p);
}
END_TEST

/* The budget: <= 2 GPIO calls per host-driven SWCLK cycle and <= 3
 * per target-driven one (v1 needs SWCLK and SWDIO in two handles: up to 3
 * on host bits, see swd/pins_gpiod_v1.c). Each cycle is one rising edge, and
 * direction changes never release and re-request lines. */
START_TEST(gpio_calls_per_cycle)
{
	struct swd_pins p;
	struct sf_err err;
	char desc[512];
	const unsigned words = 256;
	uint64_t i0, i1, i2, i3, e0, e1, e2, req0, req1;
	int c, d, drv, r;
	uint32_t x = 0x12345678U;
	double host, target, turn;

	hooks();
	ck_assert_int_eq(open_pins("", &p, desc, sizeof(desc), &err), 0);
	swd_pins_dir(&p, 1);
	req0 = emu_count("linehandle_v1") + emu_count("line_request_v2");
	emu_wire(&c, &d, &drv, &r, &e0);
	i0 = emu_count("total");
	for (unsigned w = 0; w < words; w++) {
		x = x * 1103515245U + 12345U;
		swd_pins_seq_out(&p, x, 32);
	}
	emu_wire(&c, &d, &drv, &r, &e1);
	i1 = emu_count("total");
	ck_assert_int_eq(drv, 1);
	ck_assert_int_eq(c, 1);
	swd_pins_dir(&p, 0);
	i2 = emu_count("total");
	for (unsigned w = 0; w < words; w++)
		(void)swd_pins_seq_in(&p, 32);
	emu_wire(&c, &d, &drv, &r, &e2);
	i3 = emu_count("total");
	ck_assert_int_eq(drv, 0);
	for (int k = 0; k < 50; k++) {
		/* output only takes effect with a level driven */
		swd_pins_dir(&p, 1);
		swd_pins_seq_out(&p, (uint32_t)k & 1U, 1);
		swd_pins_dir(&p, 0);
	}
	/* less the two SWCLK edges of each driven cycle */
	turn = (double)(emu_count("total") - i3 - 100) / 100.0;
	req1 = emu_count("linehandle_v1") + emu_count("line_request_v2");
	ck_assert_uint_eq(e1 - e0, words * 32);
	ck_assert_uint_eq(e2 - e1, words * 32);
	host = (double)(i1 - i0) / (words * 32);
	target = (double)(i3 - i2) / (words * 32);
	printf("gpiod v%d: %.3f GPIO ioctls per host-driven cycle (random data), %.3f per "
	       "target-driven cycle, %.1f per SWDIO direction change\n", SWD_GPIOD_VERSION_MAJOR,
	       host, target, turn);
	ck_assert_msg(host <= (SWD_GPIOD_VERSION_MAJOR == 2 ? 2.0 : 3.0), "host %.3f", host);
	ck_assert_msg(target <= 3.0, "target %.3f", target);
	ck_assert_msg(turn <= 2.0, "direction change %.1f", turn);
	ck_assert_uint_eq(req1, req0);
	close_pins(&p);
}
END_TEST

/* Back to driving SWDIO after the target drove it (the turnaround before
 * a write's data): the first bit's level is driven by the direction call
 * itself, so a first bit that differs from the level SWDIO last had costs
 * no extra call: SWCLK low, output with the level, SWCLK high (v1: 4
 * ioctls, libgpiod 1.6 reads the line's info back after its set-config;
 * the old order, output with the old level then the new level, took 5;
 * v2: 3 either way). A switch that drives nothing costs nothing and
 * leaves SWDIO an input. */
START_TEST(output_switch_drives_the_first_level)
{
	struct swd_pins p;
	struct sf_err err;
	char desc[512];
	uint64_t i0, e0, e1;
	int c, d, drv, r;

	hooks();
	ck_assert_int_eq(open_pins("", &p, desc, sizeof(desc), &err), 0);
	swd_pins_dir(&p, 1);
	swd_pins_seq_out(&p, 1, 1);  /* the park bit: 1 */
	swd_pins_dir(&p, 0);
	(void)swd_pins_seq_in(&p, 1);
	i0 = emu_count("total");
	swd_pins_dir(&p, 1);
	swd_pins_dir(&p, 0);
	ck_assert_uint_eq(emu_count("total"), i0);
	emu_wire(&c, &d, &drv, &r, &e0);
	ck_assert_int_eq(drv, 0);
	swd_pins_dir(&p, 1);
	swd_pins_seq_out(&p, 0, 1);
	emu_wire(&c, &d, &drv, &r, &e1);
	ck_assert_uint_eq(emu_count("total") - i0, SWD_GPIOD_VERSION_MAJOR == 2 ? 3 : 4);
	ck_assert_uint_eq(e1 - e0, 1);
	ck_assert_int_eq(drv, 1);
	ck_assert_int_eq(d, 0);
	ck_assert_int_eq(c, 1);
	close_pins(&p);
}
END_TEST

/* SWD through the real library to the simulated nRF52840. */
START_TEST(swd_to_the_simulated_chip)
{
	struct swd_probe *pr;
	struct sf_err err;
	uint32_t dpidr = 0, part = 0;
	uint8_t out[1024], in[1024];
	uint64_t i0, e0, e1;
	int c, d, drv, r;

	hooks();
	sf_err_clear(&err);
	ck_assert_msg(swd_probe_open("gpiod:chip=auto", &pr, &err) == 0, "%s", err.msg);
	printf("probe: %s\n", swd_probe_desc(pr));
	ck_assert_msg(swd_probe_dap(pr)->ops->connect(swd_probe_dap(pr)->ctx, &dpidr, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(dpidr, 0x2BA01477U);
	ck_assert_msg(dap_read32(swd_probe_dap(pr), 0x10000100U, &part, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(part, 0x52840U);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 3);
	emu_wire(&c, &d, &drv, &r, &e0);
	i0 = emu_count("total");
	ck_assert_msg(swd_probe_dap(pr)->ops->mem_write(swd_probe_dap(pr)->ctx, 0x20000000U, out, sizeof(out), 4,
					     &err) == 0, "%s", err.msg);
	ck_assert_msg(swd_probe_dap(pr)->ops->mem_read(swd_probe_dap(pr)->ctx, 0x20000000U, in, sizeof(in), 4,
					    &err) == 0, "%s", err.msg);
	emu_wire(&c, &d, &drv, &r, &e1);
	ck_assert_mem_eq(in, out, sizeof(out));
	printf("1 KiB RAM write+read: %llu cycles, %llu ioctls, %.3f ioctls/cycle\n",
	       (unsigned long long)(e1 - e0), (unsigned long long)(emu_count("total") - i0),
	       (double)(emu_count("total") - i0) / (double)(e1 - e0));
	swd_probe_close(pr);
}
END_TEST

/* A GPIO ioctl that fails (here: from the nth line ioctl of a 1 KiB read
 * on, for each n over the first transfers, so every kind of call fails
 * once) is the driver's error: SF_E_IO naming the ioctl, the line, the
 * chip and errno, never "no target". nRESET then fails the same way. */
START_TEST(gpio_failure_names_the_ioctl)
{
	static const char *const calls_v1[] = { "GPIOHANDLE_SET_LINE_VALUES_IOCTL",
						"GPIOHANDLE_GET_LINE_VALUES_IOCTL",
						"GPIOHANDLE_SET_CONFIG_IOCTL" };
	static const char *const calls_v2[] = { "GPIO_V2_LINE_SET_VALUES_IOCTL",
						"GPIO_V2_LINE_GET_VALUES_IOCTL",
						"GPIO_V2_LINE_SET_CONFIG_IOCTL" };
	const char *const *calls = SWD_GPIOD_VERSION_MAJOR == 2 ? calls_v2 : calls_v1;
	unsigned seen[3] = { 0, 0, 0 };
	static uint8_t buf[1024];
	char want[300];

	hooks();
	snprintf(want, sizeof(want), "of /dev/gpiochip0 failed (");
	for (uint64_t n = 0; n < 240; n++) {
		struct swd_probe *pr;
		struct sf_err err;
		struct dap *dap;
		int rc;

		sf_err_clear(&err);
		ck_assert_msg(swd_probe_open("gpiod", &pr, &err) == 0, "%s", err.msg);
		dap = swd_probe_dap(pr);
		ck_assert_msg(dap->ops->connect(dap->ctx, NULL, &err) == 0, "%s", err.msg);
		emu_fail(n, n % 2 ? EIO : ENODEV);
		rc = dap->ops->mem_read(dap->ctx, 0x20000000U, buf, sizeof(buf), 4, &err);
		ck_assert_msg(rc == SF_E_IO, "failure after %llu ioctls: %s (%d): %s",
			      (unsigned long long)n, sf_err_name(rc), rc, err.msg);
		ck_assert_msg(has(err.msg, "gpiod: ") && has(err.msg, want) &&
			      has(err.msg, strerror(n % 2 ? EIO : ENODEV)) &&
			      (has(err.msg, "(line 25)") || has(err.msg, "(line 24)")) &&
			      !has(err.msg, "no response"),
			      "failure after %llu ioctls: %s", (unsigned long long)n, err.msg);
		for (int k = 0; k < 3; k++)
			seen[k] += has(err.msg, calls[k]);
		if (n == 0) {
			printf("a failed GPIO call: %s\n", err.msg);
			rc = dap->ops->reset_pin(dap->ctx, 0, &err);
			ck_assert_msg(rc == SF_E_IO && has(err.msg, "setting nRESET: gpiod: "),
				      "nRESET after it: %d %s", rc, err.msg);
		}
		emu_fail(0, 0);
		swd_probe_close(pr);
	}
	/* Failures of the nRESET line itself name it. */
	{
		struct swd_probe *pr;
		struct sf_err err;
		struct dap *dap;

		sf_err_clear(&err);
		ck_assert_msg(swd_probe_open("gpiod", &pr, &err) == 0, "%s", err.msg);
		dap = swd_probe_dap(pr);
		emu_fail(0, EIO);
		ck_assert_int_eq(dap->ops->reset_pin(dap->ctx, 0, &err), SF_E_IO);
		ck_assert_msg(has(err.msg, "setting nRESET (line 18) of /dev/gpiochip0 failed") &&
			      has(err.msg, calls[0]) && has(err.msg, strerror(EIO)), "%s", err.msg);
		emu_fail(0, 0);
		swd_probe_close(pr);
	}
	for (int k = 0; k < 3; k++)
		ck_assert_msg(seen[k] > 0, "no failure of %s among the first 240 ioctls", calls[k]);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

START_TEST(max_hz_paces_the_clock)
{
	struct swd_pins p;
	struct sf_err err;
	char desc[512];
	const char *m;
	double t0, dt, khz;

	ck_assert_int_eq(open_pins("max_hz=20k", &p, desc, sizeof(desc), &err), 0);
	ck_assert_msg(has(desc, "max 20000 Hz"), "%s", desc);
	swd_pins_dir(&p, 1);
	t0 = now_s();
	for (int i = 0; i < 20; i++)
		swd_pins_seq_out(&p, 0xFFFFFFFFU, 32); /* 640 cycles: >= 32 ms at 20 kHz */
	dt = now_s() - t0;
	ck_assert_msg(dt >= 0.0315, "640 cycles took %.4f s", dt);
	m = strstr(p.ops->describe(p.ctx), "measured ");
	ck_assert_ptr_nonnull(m);
	khz = strtod(m + 9, NULL);
	printf("max_hz=20k: %s\n", p.ops->describe(p.ctx));
	ck_assert_msg(khz <= 20.05 && khz > 1.0, "%s", p.ops->describe(p.ctx));
	close_pins(&p);
}
END_TEST

static int run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;
	glob_t g;
	int failed = 0;

	(void)argc;
	if (!getenv("GPIOCHIP_EMU_CHILD")) {
		const char *so = getenv("GPIOCHIP_EMU_SO");
		char abs[4096];

		/* Only meaningful where the machine has no GPIO chip of its own. */
		if (glob("/dev/gpiochip*", 0, NULL, &g) != 0) {
			s = suite_create("gpiod (no chip)");
			tc = tcase_create("nochip");
			tcase_add_test(tc, no_chip_message);
			suite_add_tcase(s, tc);
			failed = run(s);
		} else {
			globfree(&g);
			printf("this machine has /dev/gpiochip*: no-chip test not run\n");
		}
		if (!so)
			so = "build/gpiochip_emu.so";
		if (!realpath(so, abs)) {
			fprintf(stderr, "%s missing (make tests-extra)\n", so);
			return 1;
		}
		fflush(stdout);
		setenv("LD_PRELOAD", abs, 1);
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1", 1);
		setenv("GPIOCHIP_EMU_SIM", "part=nrf52840", 1);
		setenv("GPIOCHIP_EMU_CHILD", failed ? "1" : "0", 1);
		execv("/proc/self/exe", argv);
		perror("execv");
		return 1;
	}
	failed = !strcmp(getenv("GPIOCHIP_EMU_CHILD"), "1");
	s = suite_create("gpiod (emulated Pi 4 chip)");
	tc = tcase_create("driver");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bad_specs);
	tcase_add_test(tc, open_auto_and_release);
	tcase_add_test(tc, chip_by_path_name_number_label);
	tcase_add_test(tc, busy_lines_name_their_consumer);
	tcase_add_test(tc, nreset_is_optional);
	tcase_add_test(tc, nreset_drives_the_pin);
	tcase_add_test(tc, gpio_calls_per_cycle);
	tcase_add_test(tc, output_switch_drives_the_first_level);
	tcase_add_test(tc, swd_to_the_simulated_chip);
	tcase_add_test(tc, gpio_failure_names_the_ioctl);
	tcase_add_test(tc, max_hz_paces_the_clock);
	suite_add_tcase(s, tc);
	failed += run(s);
	return failed ? 1 : 0;
}
