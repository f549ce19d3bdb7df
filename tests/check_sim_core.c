// SPDX-License-Identifier: GPL-2.0-or-later
/* check_sim_core: the simulated Cortex-M4 executes code (sim/core.c),
 * driven through SWD only (tests/sim_host.h): halt, resume, BKPT, step,
 * core registers, FPB breakpoints, SysTick exceptions, CPU flash writes
 * through the NVMC, faults and lockup, reset from the vector table,
 * APPROTECT.DISABLE written by firmware. The programs are the .S files
 * in tests/fw/, assembled into tests/fw/fw_all.inc (tests/t_fw_rebuild.sh
 * checks that the committed bytes are what the sources assemble to). */
#include <check.h>
#include <string.h>

#include "ck_run.h"
#include "sim_host.h"

#define DFSR 0xE000ED30u
#define FP_CTRL 0xE0002000u
#define FP_COMP0 0xE0002008u
#define S_REGRDY (1u << 16)
#define S_HALT (1u << 17)
#define S_SLEEP (1u << 18)
#define S_LOCKUP (1u << 19)
#define S_RETIRE (1u << 24)
#define S_RESET (1u << 25)
#define KEY 0xA05F0000u
#define C_DEBUGEN 1u
#define C_HALT 2u
#define C_STEP 4u
#define C_MASKINTS 8u

/* One test program (tests/fw/NAME.S): load address and bytes. */
struct fw {
	const char *name;
	uint32_t addr;
	const uint8_t *bytes;
	size_t len;
};

#include "fw/fw_all.inc"

static const struct fw *fw_get(const char *name)
{
	for (size_t i = 0; i < sizeof fw_all / sizeof fw_all[0]; i++)
		if (!strcmp(fw_all[i].name, name))
			return &fw_all[i];
	ck_abort_msg("no test program %s", name);
	return NULL;
}

/* A chip whose core executes: Unicorn is a check dependency
 * (libunicorn-dev in the Makefile's package lists). */
static struct sim_chip *chip(const char *spec)
{
	struct sim_chip *c = mk(spec);
	ck_assert_msg(sim_core_can_execute(c), "the simulated core cannot execute: "
		      "libunicorn.so.2 missing (Debian libunicorn2)");
	connect(c);
	return c;
}

static uint32_t reg_rd(struct sim_chip *c, unsigned sel_)
{
	mem_wr(c, DCRSR, sel_);
	ck_assert(mem_rd(c, DHCSR) & S_REGRDY);
	return mem_rd(c, DCRDR);
}

static void reg_wr(struct sim_chip *c, unsigned sel_, uint32_t v)
{
	mem_wr(c, DCRDR, v);
	mem_wr(c, DCRSR, (1u << 16) | sel_);
}

static void halt(struct sim_chip *c)
{
	mem_wr(c, DHCSR, KEY | C_DEBUGEN | C_HALT);
	ck_assert(mem_rd(c, DHCSR) & S_HALT);
}

static void resume(struct sim_chip *c)
{
	mem_wr(c, DHCSR, KEY | C_DEBUGEN);
}

/* Waits (simulated time, deadline) for S_HALT. */
static uint32_t wait_halt(struct sim_chip *c, uint64_t max_ns)
{
	uint64_t t0 = sim_time_ns(c);
	for (;;) {
		uint32_t d = mem_rd(c, DHCSR);
		if (d & S_HALT)
			return d;
		ck_assert_msg(sim_time_ns(c) - t0 < max_ns, "core did not halt (DHCSR %08x, PC?)", d);
		sim_delay_ns(c, 10000);
	}
}

/* Writes words through the MEM-AP with auto-increment. */
static void load(struct sim_chip *c, uint32_t addr, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i += 4) {
		uint32_t w = 0;
		memcpy(&w, b + i, n - i < 4 ? n - i : 4);
		mem_wr(c, addr + (uint32_t)i, w);
	}
}

/* Programs b at addr through the NVMC from the debugger. */
static __attribute__((unused)) void flash(struct sim_chip *c, uint32_t addr, const uint8_t *b, size_t n)
{
	mem_wr(c, NVMC_CONFIG, 1);
	for (size_t i = 0; i < n; i += 4) {
		uint32_t w = 0xFFFFFFFFu;
		memcpy(&w, b + i, n - i < 4 ? n - i : 4);
		while (mem_rd(c, NVMC_READY) == 0)
			sim_delay_ns(c, 1000);
		mem_wr(c, addr + (uint32_t)i, w);
	}
	while (mem_rd(c, NVMC_READY) == 0)
		sim_delay_ns(c, 1000);
	mem_wr(c, NVMC_CONFIG, 0);
}

/* Halts, loads a RAM program, runs it from its start with SP at the top
 * of the first 16 KiB of RAM; returns DHCSR once it halts. */
static uint32_t run_ram(struct sim_chip *c, const struct fw *f, uint64_t max_ns)
{
	halt(c);
	load(c, f->addr, f->bytes, f->len);
	reg_wr(c, 15, f->addr);
	reg_wr(c, 16, 0x01000000u);
	reg_wr(c, 13, 0x20004000u);
	resume(c);
	return wait_halt(c, max_ns);
}

START_TEST(t_halt_resume_bkpt)
{
	struct sim_chip *c = chip("");
	const struct fw *f = fw_get("count");
	/* count: r0 = 0; loop: r0++, r1 = r0; cmp r0, #100000; bne loop; bkpt */
	uint32_t d = run_ram(c, f, 100000000u);
	ck_assert(d & S_HALT);
	ck_assert(mem_rd(c, DFSR) & 2u);                   /* DFSR.BKPT */
	ck_assert_uint_eq(reg_rd(c, 0), 100000u);
	uint32_t pc = reg_rd(c, 15);
	uint16_t hw;
	ck_assert_int_eq(sim_peek(c, pc, &hw, 2), 0);
	ck_assert_uint_eq(hw & 0xFF00u, 0xBE00u);          /* PC at the bkpt */
	ck_assert_uint_eq(pc, f->addr + 12);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_halt_request_running)
{
	struct sim_chip *c = chip("");
	const struct fw *f = fw_get("spin");
	halt(c);
	load(c, f->addr, f->bytes, f->len);
	reg_wr(c, 15, f->addr);
	reg_wr(c, 16, 0x01000000u);
	reg_wr(c, 13, 0x20004000u);
	reg_wr(c, 0, 0);
	resume(c);
	ck_assert_uint_eq(mem_rd(c, DHCSR) & S_HALT, 0);
	sim_delay_ns(c, 1000000);                          /* 1 ms: ~64 000 instructions */
	uint32_t d = mem_rd(c, DHCSR);
	ck_assert(d & S_RETIRE);
	ck_assert_uint_eq(d & S_HALT, 0);
	halt(c);
	uint32_t n1 = reg_rd(c, 0);
	ck_assert_uint_gt(n1, 10000u);                     /* spin counts in r0 */
	/* halted: time passes, nothing runs */
	sim_delay_ns(c, 1000000);
	ck_assert_uint_eq(reg_rd(c, 0), n1);
	ck_assert_uint_eq(mem_rd(c, DHCSR) & S_RETIRE, 0); /* read cleared it, none since */
	/* registers written while halted are used */
	reg_wr(c, 0, 5);
	resume(c);
	sim_delay_ns(c, 10000);
	halt(c);
	uint32_t n2 = reg_rd(c, 0);
	ck_assert_uint_gt(n2, 5u);
	ck_assert_uint_lt(n2, 5u + 10000u);
	sim_chip_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sim_core");
	TCase *tc = tcase_create("debug");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_halt_resume_bkpt);
	tcase_add_test(tc, t_halt_request_running);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
