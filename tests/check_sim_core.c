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
#include "../nrf52/target/flash_writer.h"

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
static void flash(struct sim_chip *c, uint32_t addr, const uint8_t *b, size_t n)
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

/* Halts at the reset vector (VC_CORERESET + SYSRESETREQ, as OpenOCD's
 * reset init does): no exception active, whatever the chip did before. */
static void reset_halt(struct sim_chip *c)
{
	mem_wr(c, DHCSR, KEY | C_DEBUGEN);
	mem_wr(c, DEMCR, 1);
	sysresetreq(c);
	ck_assert(mem_rd(c, DHCSR) & S_HALT);
	mem_wr(c, DEMCR, 0);
}

/* Stops the core at its reset vector, loads a RAM program, sets PC, xPSR
 * and SP (top of the first 16 KiB of RAM). */
static void setup_ram(struct sim_chip *c, const struct fw *f, uint32_t entry)
{
	reset_halt(c);
	load(c, f->addr, f->bytes, f->len);
	reg_wr(c, 15, entry);
	reg_wr(c, 16, 0x01000000u);
	reg_wr(c, 13, 0x20004000u);
}

/* Runs a RAM program from its start; returns DHCSR once it halts. */
static uint32_t run_ram(struct sim_chip *c, const struct fw *f, uint64_t max_ns)
{
	reset_halt(c);
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
	setup_ram(c, f, f->addr);
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

START_TEST(t_step_registers)
{
	struct sim_chip *c = chip("");
	const struct fw *f = fw_get("count");
	setup_ram(c, f, f->addr);
	for (unsigned i = 3; i <= 12; i++)
		reg_wr(c, i, 0x1000u * i);
	/* movs r0,#0 / ldr r2,=100000 / adds / mov / cmp / bne: 2 bytes each */
	static const uint32_t pcs[] = { 2, 4, 6, 8, 10, 4, 6, 8, 10 };
	for (unsigned i = 0; i < sizeof pcs / sizeof pcs[0]; i++) {
		mem_wr(c, DHCSR, KEY | C_DEBUGEN | C_STEP | C_MASKINTS);
		uint32_t d = mem_rd(c, DHCSR);
		ck_assert(d & S_HALT);
		ck_assert(d & S_RETIRE);
		ck_assert_uint_eq(reg_rd(c, 15), f->addr + pcs[i]);
	}
	ck_assert_uint_eq(reg_rd(c, 0), 2u);
	ck_assert_uint_eq(reg_rd(c, 1), 2u);
	ck_assert_uint_eq(reg_rd(c, 2), 100000u);
	for (unsigned i = 3; i <= 12; i++)
		ck_assert_uint_eq(reg_rd(c, i), 0x1000u * i);
	ck_assert_uint_eq(reg_rd(c, 13), 0x20004000u);
	ck_assert_uint_eq(reg_rd(c, 17), 0x20004000u);    /* SP is MSP */
	ck_assert_uint_eq(reg_rd(c, 16) & 0xF0000000u, 0x80000000u);  /* cmp 2, 100000: N */
	/* PSP and CONTROL.SPSEL: register 13 follows the stack in use */
	reg_wr(c, 18, 0x20002000u);
	reg_wr(c, 20, 2u << 24);
	ck_assert_uint_eq(reg_rd(c, 13), 0x20002000u);
	reg_wr(c, 20, 0);
	ck_assert_uint_eq(reg_rd(c, 13), 0x20004000u);
	sim_chip_free(c);
}
END_TEST

/* Puts count into flash at 0x1000 (the FPB reaches the code region only). */
START_TEST(t_fpb_breakpoint)
{
	struct sim_chip *c = chip("");
	const struct fw *f = fw_get("count");
	reset_halt(c);
	flash(c, 0x1000, f->bytes, f->len);
	reg_wr(c, 15, 0x1000);
	reg_wr(c, 16, 0x01000000u);
	reg_wr(c, 13, 0x20004000u);
	mem_wr(c, FP_CTRL, 3);                              /* KEY | ENABLE */
	mem_wr(c, FP_COMP0, 0x1004u | 1u << 30 | 1u);       /* lower halfword of 0x1004: adds */
	for (unsigned i = 1; i <= 3; i++) {
		resume(c);
		uint32_t d = wait_halt(c, 10000000u);
		ck_assert(d & S_HALT);
		ck_assert(mem_rd(c, DFSR) & 2u);            /* BKPT: FPB match */
		mem_wr(c, DFSR, 0x1F);
		ck_assert_uint_eq(reg_rd(c, 15), 0x1006u - 2);
		ck_assert_uint_eq(reg_rd(c, 0), i - 1);     /* the adds has not run yet */
		/* step over it as a debugger does: disable, step, enable */
		mem_wr(c, FP_CTRL, 2);
		mem_wr(c, DHCSR, KEY | C_DEBUGEN | C_STEP | C_MASKINTS);
		ck_assert_uint_eq(reg_rd(c, 0), i);
		mem_wr(c, FP_CTRL, 3);
	}
	/* the upper halfword selects 0x1006 (mov r1, r0) */
	mem_wr(c, FP_COMP0, 0x1004u | 2u << 30 | 1u);
	resume(c);
	wait_halt(c, 10000000u);
	ck_assert_uint_eq(reg_rd(c, 15), 0x1006u);
	/* disabled: runs to the BKPT */
	mem_wr(c, FP_CTRL, 2);
	resume(c);
	wait_halt(c, 100000000u);
	ck_assert_uint_eq(reg_rd(c, 0), 100000u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_exceptions_systick)
{
	struct sim_chip *c = chip("");
	const struct fw *f = fw_get("exceptions");
	setup_ram(c, f, f->addr + 64);                      /* start, after the vectors */
	resume(c);
	uint64_t t0 = sim_time_ns(c);                       /* it runs from here ... */
	sim_delay_ns(c, 1000000);                           /* 1 ms = 100 SysTick periods */
	mem_wr(c, DHCSR, KEY | C_DEBUGEN | C_HALT);
	uint64_t periods = (sim_time_ns(c) - t0) / 10000;   /* ... to here; 640 cycles = 10 us */
	ck_assert(mem_rd(c, DHCSR) & S_HALT);
	ck_assert_uint_eq(peek32(c, 0x20001000u), 1u);      /* SVCall */
	ck_assert_uint_eq(peek32(c, 0x20001004u), 1u);      /* PendSV */
	uint32_t ticks = peek32(c, 0x20001008u);
	ck_assert_msg(ticks + 3 >= periods && ticks <= periods + 1, "%u SysTick exceptions in %u "
		      "periods of 640 cycles", ticks, (unsigned)periods);
	ck_assert_uint_eq(peek32(c, 0x2000100Cu), 15u);     /* IPSR in the handler */
	ck_assert_uint_eq(peek32(c, 0x20001010u), 0xFFFFFFF9u); /* EXC_RETURN: thread, MSP */
	/* thread mode is back with its registers (the handlers clobber r0/r1) */
	uint32_t r0 = reg_rd(c, 0), r1 = reg_rd(c, 1);
	ck_assert_msg(r1 == r0 || r1 + 1 == r0, "r0 %u r1 %u", r0, r1);
	ck_assert_uint_gt(r0, 1000u);
	ck_assert_uint_eq(reg_rd(c, 16) & 0x1FFu, 0);       /* halted in thread mode or ... */
	ck_assert_uint_eq(reg_rd(c, 17), 0x20004000u);      /* ... the stack is balanced */
	/* SysTick's counter reads back through the debugger and runs */
	uint32_t csr = mem_rd(c, 0xE000E010u);
	ck_assert_uint_eq(csr & 7u, 7u);
	ck_assert_uint_eq(mem_rd(c, 0xE000E014u), 639u);
	ck_assert_uint_le(mem_rd(c, 0xE000E018u), 639u);
	/* SysTick does not count in Debug state */
	uint32_t cvr = mem_rd(c, 0xE000E018u);
	sim_delay_ns(c, 100000);
	ck_assert_uint_eq(mem_rd(c, 0xE000E018u), cvr);
	/* pended by the debugger (ICSR.PENDSTSET): a masked step takes no
	 * interrupt, an unmasked one enters the handler */
	mem_wr(c, 0xE000ED04u, 1u << 26);
	ck_assert(mem_rd(c, 0xE000ED04u) & (1u << 26));
	mem_wr(c, DHCSR, KEY | C_DEBUGEN | C_STEP | C_MASKINTS);
	ck_assert_uint_eq(reg_rd(c, 16) & 0x1FFu, 0);
	mem_wr(c, DHCSR, KEY | C_DEBUGEN | C_STEP);
	ck_assert_uint_eq(reg_rd(c, 16) & 0x1FFu, 15u);
	ck_assert_uint_eq(reg_rd(c, 14), 0xFFFFFFF9u);      /* EXC_RETURN */
	sim_chip_free(c);
}
END_TEST

START_TEST(t_cpu_flash_write)
{
	struct sim_chip *c = chip("part=nrf52833");
	const struct fw *f = fw_get("flashwrite");
	uint64_t w0 = sim_counters(c)->nvmc_writes;
	uint32_t d = run_ram(c, f, 100000000u);
	ck_assert(d & S_HALT);
	ck_assert_uint_eq(peek32(c, 0x10000), 0x12340000u); /* AND of the two stores */
	ck_assert_uint_eq(peek32(c, 0x10004), 0xFFFFFFFFu); /* CONFIG = Ren: ignored */
	ck_assert_uint_eq(sim_counters(c)->nvmc_writes - w0, 2u);
	/* the CPU stalled for both writes: 2 x 41 us at 64 MHz */
	uint32_t r7 = reg_rd(c, 7);
	ck_assert_msg(r7 >= 2 * 41 * 64 && r7 < 2 * 41 * 64 + 200, "%u cycles for two writes", r7);
	ck_assert_uint_eq(mem_rd(c, NVMC_CONFIG), 0);
	/* UART0 ENABLE is not modelled: counted, ignored */
	ck_assert_uint_eq(sim_counters(c)->periph_unimpl_writes, 1u);
	ck_assert_uint_eq(sim_last_unimpl_write(c), 0x40002500u);
	sim_chip_free(c);
}
END_TEST

/* A core stalled on NVMC writes while the debugger looks away for longer
 * than the catch-up cap (50 ms of executed cycles): the stalls cost the
 * host nothing, so none of the interval is slipped. The engine's flash
 * writer with 4000 words already in its ring (164 ms of t_WRITE), one
 * debugger access after 200 ms: it has written them all and stopped. A
 * cap on simulated time would have run only the last 50 ms (~1200 words). */
START_TEST(t_stalled_core_not_slipped)
{
	enum { N = 4000, BUF = 0x20002000u, CTL = 0x20001F00u, CODE = 0x20000080u };
	struct sim_chip *c = chip("part=nrf52840");
	uint64_t w0;
	uint32_t d;

	reset_halt(c);
	load(c, CODE, nrf52_target_flash_writer, sizeof(nrf52_target_flash_writer));
	mem_wr(c, BUF, N);
	mem_wr(c, BUF + 4, 0x10000u);
	for (uint32_t i = 0; i < N; i++)
		mem_wr(c, BUF + 8 + 4 * i, 0x5A5A0000u | i);
	mem_wr(c, BUF + 8 + 4 * N, 0);             /* end of the stream */
	mem_wr(c, CTL, BUF + 4 * (N + 3));        /* wp: everything is there */
	mem_wr(c, CTL + 4, BUF);                  /* rp */
	reg_wr(c, 2, BUF);
	reg_wr(c, 3, BUF + 4 * (N + 4));
	reg_wr(c, 4, CTL);
	reg_wr(c, 15, CODE + NRF52_TARGET_FLASH_WRITER_ENTRY);
	reg_wr(c, 16, 0x01000000u);
	mem_wr(c, NVMC_CONFIG, 1);
	w0 = sim_counters(c)->nvmc_writes;
	resume(c);
	sim_delay_ns(c, 200000000u);
	d = mem_rd(c, DHCSR);
	ck_assert_msg(d & S_HALT, "still running after 200 ms: %llu words written",
		      (unsigned long long)(sim_counters(c)->nvmc_writes - w0));
	ck_assert_uint_eq(sim_counters(c)->nvmc_writes - w0, N);
	ck_assert_uint_eq(reg_rd(c, 15), CODE + NRF52_TARGET_FLASH_WRITER_EXIT);
	ck_assert_uint_eq(peek32(c, 0x10000u + 4 * (N - 1)), 0x5A5A0000u | (N - 1));
	sim_chip_free(c);
}
END_TEST

START_TEST(t_fault_handler_lockup)
{
	struct sim_chip *c = chip("");
	const struct fw *f = fw_get("lockup");
	/* a BusFault in thread mode: the HardFault handler runs */
	setup_ram(c, f, f->addr + 16);
	reg_wr(c, 5, 0);
	resume(c);
	uint32_t d = wait_halt(c, 10000000u);
	ck_assert(d & S_HALT);
	ck_assert_uint_eq(peek32(c, 0x20001000u), 0x2000001Cu);  /* stacked PC: the ldr */
	ck_assert_uint_eq(reg_rd(c, 16) & 0x1FFu, 3u);
	ck_assert(mem_rd(c, 0xE000ED28u) & (1u << 9));      /* CFSR.PRECISERR */
	ck_assert(mem_rd(c, 0xE000ED2Cu) & (1u << 30));     /* HFSR.FORCED */
	/* DEMCR.VC_HARDERR: the core halts on HardFault entry (DFSR.VCATCH),
	 * the frame stacked, PC at the handler (vector 3 of the RAM table) */
	setup_ram(c, f, f->addr + 16);
	reg_wr(c, 5, 0);
	mem_wr(c, DFSR, 0x1F);
	mem_wr(c, DEMCR, 1u << 10);
	resume(c);
	d = wait_halt(c, 10000000u);
	ck_assert(mem_rd(c, DFSR) & 8u);
	ck_assert_uint_eq(reg_rd(c, 15), peek32(c, f->addr + 12) & ~1u);
	ck_assert_uint_eq(reg_rd(c, 16) & 0x1FFu, 3u);
	ck_assert_uint_eq(peek32(c, reg_rd(c, 17) + 24), 0x2000001Cu);  /* stacked PC */
	mem_wr(c, DEMCR, 0);
	/* a fault inside the HardFault handler locks up */
	setup_ram(c, f, f->addr + 16);
	reg_wr(c, 5, 1);
	resume(c);
	sim_delay_ns(c, 100000);
	d = mem_rd(c, DHCSR);
	ck_assert_uint_eq(d & S_HALT, 0);
	ck_assert(d & S_LOCKUP);
	d = mem_rd(c, DHCSR);
	ck_assert_uint_eq(d & S_RETIRE, 0);                 /* nothing retires in lockup */
	halt(c);                                            /* a halt leaves lockup */
	ck_assert_uint_eq(mem_rd(c, DHCSR) & S_LOCKUP, 0);
	ck_assert_uint_eq(reg_rd(c, 15), 0xFFFFFFFEu);
	ck_assert_uint_eq(reg_rd(c, 16) & 0x1FFu, 3u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_erased_lockup)
{
	struct sim_chip *c = chip("part=nrf52832");
	uint32_t d = mem_rd(c, DHCSR);
	ck_assert(d & S_LOCKUP);
	ck_assert_uint_eq(d & S_HALT, 0);
	halt(c);
	/* what OpenOCD shows on an erased nRF52: pc 0xfffffffe, msp 0xffffffd8 */
	ck_assert_uint_eq(reg_rd(c, 15), 0xFFFFFFFEu);
	ck_assert_uint_eq(reg_rd(c, 17), 0xFFFFFFD8u);
	ck_assert_uint_eq(reg_rd(c, 16), 0x01000003u);
	/* a RAM program still runs once the debugger takes over */
	uint32_t dd = run_ram(c, fw_get("count"), 100000000u);
	ck_assert(dd & S_HALT);
	ck_assert_uint_eq(reg_rd(c, 0), 100000u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_reset_vector_and_sysresetreq)
{
	struct sim_chip *c = chip("");
	const struct fw *f = fw_get("boot");
	reset_halt(c);
	flash(c, 0, f->bytes, f->len);
	/* reset catch: halted at the reset vector with MSP from the table */
	mem_wr(c, DEMCR, 1);
	sysresetreq(c);
	uint32_t d = mem_rd(c, DHCSR);
	ck_assert(d & S_HALT);
	ck_assert(d & S_RESET);
	ck_assert(mem_rd(c, DFSR) & 8u);                   /* VCATCH */
	ck_assert_uint_eq(reg_rd(c, 15), 0x10u);
	ck_assert_uint_eq(reg_rd(c, 17), 0x20008000u);
	ck_assert_uint_eq(reg_rd(c, 16), 0x01000000u);
	ck_assert_uint_eq(reg_rd(c, 14), 0xFFFFFFFFu);
	/* without the catch, firmware resets itself twice through AIRCR */
	mem_wr(c, DEMCR, 0);
	uint64_t r0 = sim_counters(c)->resets;
	resume(c);
	d = wait_halt(c, 10000000u);
	ck_assert(mem_rd(c, DFSR) & 2u);
	ck_assert_uint_eq(reg_rd(c, 0), 0xB007u);
	ck_assert_uint_eq(peek32(c, 0x20001000u), 3u);
	ck_assert_uint_eq(sim_counters(c)->resets - r0, 2u);
	sim_chip_free(c);
}
END_TEST

/* Hardened APPROTECT: the debug port opens only when firmware writes
 * APPROTECT.DISABLE after reset (and UICR.APPROTECT = HwDisabled). */
static void hardened_after_reset(const char *prog, int want_locked)
{
	struct sim_chip *c = mk("part=nrf52833,rev=hardened");
	ck_assert(sim_core_can_execute(c));
	connect(c);
	ck_assert(sim_is_locked(c));
	ctrl_wr(c, 0x004, 1);                               /* CTRL-AP ERASEALL */
	while (ctrl_rd(c, 0x008))
		sim_delay_ns(c, 1000000);
	ck_assert(!sim_is_locked(c));
	halt(c);
	const struct fw *f = fw_get(prog);
	flash(c, 0, f->bytes, f->len);
	static const uint8_t hwdis[4] = { 0x5A, 0xFF, 0xFF, 0xFF };
	flash(c, UICR_APPROTECT, hwdis, 4);
	resume(c);
	sysresetreq(c);
	sim_delay_ns(c, 100000);
	(void)mem_rd_ack(c, 0x0, &(uint32_t){ 0 });
	ck_assert_int_eq(sim_is_locked(c), want_locked);
	ck_assert_uint_eq(ahb_idr(c) != 0, !want_locked);
	sim_chip_free(c);
}

START_TEST(t_approtect_firmware)
{
	hardened_after_reset("approtect", 0);   /* firmware writes DISABLE */
	hardened_after_reset("spin", 1);        /* flash holds no such firmware */
}
END_TEST

START_TEST(t_knobs)
{
	/* core=hang: nothing retires, a halt still works */
	struct sim_chip *c = chip("core=hang");
	const struct fw *f = fw_get("count");
	setup_ram(c, f, f->addr);
	reg_wr(c, 0, 7);
	resume(c);
	sim_delay_ns(c, 1000000);
	ck_assert_uint_eq(mem_rd(c, DHCSR) & S_HALT, 0);
	ck_assert_uint_eq(mem_rd(c, DHCSR) & S_RETIRE, 0);
	halt(c);
	ck_assert_uint_eq(reg_rd(c, 0), 7u);
	ck_assert_uint_eq(reg_rd(c, 15), f->addr);
	sim_chip_free(c);
	/* core=fault: every instruction bus-faults (erased vectors: lockup) */
	c = chip("core=fault");
	setup_ram(c, f, f->addr);
	resume(c);
	sim_delay_ns(c, 100000);
	ck_assert(mem_rd(c, DHCSR) & S_LOCKUP);
	ck_assert(mem_rd(c, 0xE000ED28u) & (1u << 9));
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
	tcase_add_test(tc, t_step_registers);
	tcase_add_test(tc, t_fpb_breakpoint);
	tcase_add_test(tc, t_reset_vector_and_sysresetreq);
	suite_add_tcase(s, tc);
	tc = tcase_create("exceptions");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_exceptions_systick);
	tcase_add_test(tc, t_fault_handler_lockup);
	tcase_add_test(tc, t_erased_lockup);
	suite_add_tcase(s, tc);
	tc = tcase_create("chip");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_cpu_flash_write);
	tcase_add_test(tc, t_stalled_core_not_slipped);
	tcase_add_test(tc, t_approtect_firmware);
	tcase_add_test(tc, t_knobs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
