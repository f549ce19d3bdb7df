// SPDX-License-Identifier: GPL-2.0-or-later
/* check_sim_mem: the simulated memory map behind the AHB-AP (sim/mem.c):
 * RAM, FICR, the NVMC (write and erase rules, datasheet timing, READYNEXT,
 * ERASEUICR on a protected 52840), ERASEALL wiping, APPROTECT on legacy and
 * hardened parts, the Cortex-M4 debug registers, the ROM table, system and
 * pin reset, power loss in the middle of a write and corrupted cells. */
#include <check.h>
#include <string.h>

#include "ck_run.h"
#include "tests/sim_host.h"

/* The test programs of tests/fw/ (tests/fw/build.sh): approtect is a
 * flash image that writes APPROTECT.DISABLE = UICR.APPROTECT at boot. */
struct fw {
	const char *name;
	uint32_t addr;
	const uint8_t *bytes;
	size_t len;
};

#include "fw/fw_all.inc"

START_TEST(t_ram_rw)
{
	struct sim_chip *c = mk("part=nrf52832");
	connect(c);
	sel(c, 0, 0xF);
	ck_assert_uint_eq(rd(c, AP, 3), 0);              /* IDR (posted) */
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x24770011u);
	mem_wr(c, 0x20000100, 0x12345678u);
	ck_assert_uint_eq(mem_rd(c, 0x20000100), 0x12345678u);
	ck_assert_uint_eq(peek32(c, 0x20000100), 0x12345678u);
	ck_assert_uint_eq(mem_rd(c, 0x10000100), 0x52832u);
	sim_chip_free(c);
}
END_TEST

static uint32_t nvmc_ready(struct sim_chip *c)
{
	return mem_rd(c, NVMC_READY);
}

static void nvmc_wait(struct sim_chip *c)
{
	for (int i = 0; i < 100000 && !nvmc_ready(c); i++)
		sim_delay_ns(c, 10000);
	ck_assert_uint_eq(nvmc_ready(c), 1);
}

START_TEST(t_nvmc_rules)
{
	struct sim_chip *c = mk("part=nrf52833,period_ns=10");
	connect(c);
	/* read mode: a write is ignored, no bus error */
	mem_wr(c, 0x1000, 0x12345678u);
	ck_assert_uint_eq(peek32(c, 0x1000), 0xFFFFFFFFu);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x20u, 0);
	mem_wr(c, NVMC_CONFIG, 1);
	ck_assert_uint_eq(mem_rd(c, NVMC_CONFIG), 1);
	mem_wr(c, 0x1000, 0x12345678u);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x1000), 0x12345678u);
	mem_wr(c, 0x1000, 0xFFFF00FFu);  /* only clears bits */
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x1000), 0x12340078u);
	ck_assert_uint_eq(sim_counters(c)->nvmc_writes, 2);
	/* byte write into flash: bus error */
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000000u);
	wr(c, AP, AP_TAR, 0x2000);
	wr(c, AP, AP_DRW, 0);
	uint32_t v;
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), FAULT);
	wr(c, DP, DP_ABORT, 0x1E);
	ck_assert_uint_eq(peek32(c, 0x2000), 0xFFFFFFFFu);
	/* erase needs Een */
	mem_wr(c, NVMC_ERASEPAGE, 0x1000);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x1000), 0x12340078u);
	mem_wr(c, NVMC_CONFIG, 2);
	mem_wr(c, NVMC_ERASEPAGE, 0x1000);
	ck_assert_uint_eq(nvmc_ready(c), 0);
	ck_assert_uint_eq(peek32(c, 0x1000), 0xFFFFFFFFu);
	nvmc_wait(c);
	ck_assert_uint_eq(sim_counters(c)->nvmc_page_erases, 1);
	/* write with Een: ignored */
	mem_wr(c, 0x1000, 0);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x1000), 0xFFFFFFFFu);
	/* UICR write and erase */
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x10001080u, 0xCAFEF00Du);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x10001080u), 0xCAFEF00Du);
	mem_wr(c, NVMC_CONFIG, 2);
	mem_wr(c, NVMC_ERASEUICR, 1);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x10001080u), 0xFFFFFFFFu);
	ck_assert_uint_eq(sim_counters(c)->nvmc_uicr_erases, 1);
	/* ERASEALL */
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x3000, 0);
	nvmc_wait(c);
	mem_wr(c, NVMC_CONFIG, 2);
	mem_wr(c, NVMC_ERASEALL, 1);
	nvmc_wait(c);
	ck_assert_uint_eq(peek32(c, 0x3000), 0xFFFFFFFFu);
	ck_assert_uint_eq(sim_counters(c)->nvmc_erase_alls, 1);
	sim_chip_free(c);
}
END_TEST

/* Time from a flash word write until READY reads 1, polling READY. */
static uint64_t write_time(struct sim_chip *c, uint32_t addr)
{
	mem_wr(c, addr, 0x0);
	uint64_t t0 = sim_time_ns(c);
	int saw_busy = 0;
	while (!nvmc_ready(c))
		saw_busy = 1;
	ck_assert(saw_busy);
	return sim_time_ns(c) - t0;
}

START_TEST(t_nvmc_timing)
{
	static const struct { const char *spec; uint64_t t_write; } p[] = {
		{ "part=nrf52832,period_ns=10", 67500 },
		{ "part=nrf52833,period_ns=10", 41000 },
		{ "part=nrf52840,period_ns=10", 41000 },
	};
	for (int i = 0; i < 3; i++) {
		struct sim_chip *c = mk(p[i].spec);
		connect(c);
		mem_wr(c, NVMC_CONFIG, 1);
		nvmc_wait(c);
		uint64_t t = write_time(c, 0x100);
		/* one READY poll is ~4 transfers of 48 cycles at 10 ns */
		ck_assert_uint_ge(t, p[i].t_write - 500);
		ck_assert_uint_le(t, p[i].t_write + 3000);
		/* a flash access while the NVMC writes answers WAIT */
		mem_wr(c, 0x104, 0);
		uint32_t v;
		ck_assert_uint_eq(mem_rd_ack(c, 0x104, &v), WAIT);
		ck_assert_uint_eq(mem_rd(c, 0x20000000u), 0);       /* RAM is not stalled */
		sim_delay_ns(c, p[i].t_write);
		ck_assert_uint_eq(mem_rd(c, 0x104), 0);
		/* page erase time */
		mem_wr(c, NVMC_CONFIG, 2);
		mem_wr(c, NVMC_ERASEPAGE, 0);
		uint64_t t0 = sim_time_ns(c);
		ck_assert_uint_eq(mem_rd_ack(c, 0x0, &v), WAIT);
		while (!nvmc_ready(c))
			sim_delay_ns(c, 100000);
		uint64_t te = sim_time_ns(c) - t0;
		uint64_t want = i == 2 ? 85000000u : 87500000u;
		ck_assert_uint_ge(te, want);
		ck_assert_uint_le(te, want + 200000);
		sim_chip_free(c);
	}
}
END_TEST

START_TEST(t_readynext)
{
	struct sim_chip *c = mk("part=nrf52840,period_ns=10");
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	nvmc_wait(c);
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, 0x8000);
	uint32_t v = 0x11111111u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), OK);   /* starts */
	v = 0x22222222u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), OK);   /* buffered */
	v = 0x33333333u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), WAIT); /* buffer full */
	ck_assert_uint_eq(mem_rd(c, NVMC_READYNEXT), 0);
	ck_assert_uint_eq(mem_rd(c, NVMC_READY), 0);
	sim_delay_ns(c, 41000);
	ck_assert_uint_eq(mem_rd(c, NVMC_READYNEXT), 1);      /* second one running */
	ck_assert_uint_eq(mem_rd(c, NVMC_READY), 0);
	sim_delay_ns(c, 41000);
	ck_assert_uint_eq(mem_rd(c, NVMC_READY), 1);
	ck_assert_uint_eq(peek32(c, 0x8000), 0x11111111u);
	ck_assert_uint_eq(peek32(c, 0x8004), 0x22222222u);
	ck_assert_uint_eq(sim_counters(c)->nvmc_writes, 2);
	sim_chip_free(c);

	c = mk("part=nrf52832,period_ns=10");
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	nvmc_wait(c);
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, 0x8000);
	v = 0x11111111u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), OK);
	v = 0x22222222u;
	ck_assert_uint_eq(xfer(c, AP, WR, AP_DRW, &v), WAIT); /* no buffer on the 52832 */
	/* WAIT paces a streamed write: retry until accepted */
	int waits = 0;
	while (xfer(c, AP, WR, AP_DRW, &v) == WAIT)
		waits++;
	ck_assert_int_gt(waits, 0);
	ck_assert_uint_eq(peek32(c, 0x8004), 0x22222222u);
	/* READYNEXT does not exist on the 52832: bus error */
	ck_assert_uint_eq(mem_rd_ack(c, NVMC_READYNEXT, &v), FAULT);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_eraseuicr_52840)
{
	/* UICR.APPROTECT set (the part is still open until the next reset):
	 * the 52840 refuses ERASEUICR, the 52833 does not. */
	const char *specs[2] = { "part=nrf52840,period_ns=10", "part=nrf52833,period_ns=10" };
	for (int i = 0; i < 2; i++) {
		struct sim_chip *c = mk(specs[i]);
		connect(c);
		mem_wr(c, NVMC_CONFIG, 1);
		mem_wr(c, UICR_APPROTECT, 0xFFFFFF00u);
		nvmc_wait(c);
		mem_wr(c, NVMC_CONFIG, 2);
		mem_wr(c, NVMC_ERASEUICR, 1);
		nvmc_wait(c);
		ck_assert_uint_eq(peek32(c, UICR_APPROTECT), i == 0 ? 0xFFFFFF00u : 0xFFFFFFFFu);
		/* ERASEALL is allowed */
		mem_wr(c, NVMC_ERASEALL, 1);
		nvmc_wait(c);
		ck_assert_uint_eq(peek32(c, UICR_APPROTECT), 0xFFFFFFFFu);
		sim_chip_free(c);
	}
}
END_TEST

START_TEST(t_eraseall_wipes)
{
	struct sim_chip *c = mk("part=nrf52840,period_ns=10");
	connect(c);
	mem_wr(c, 0x20000010u, 0x55AA55AAu);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x4000, 0x0);
	mem_wr(c, 0x10001080u, 0x0);
	nvmc_wait(c);
	ctrl_wr(c, 0x004, 1);
	ck_assert_uint_eq(peek32(c, 0x4000), 0xFFFFFFFFu);
	ck_assert_uint_eq(peek32(c, 0x10001080u), 0xFFFFFFFFu);
	ck_assert_uint_eq(peek32(c, 0x20000010u), 0);
	uint32_t v;
	ck_assert_uint_eq(mem_rd_ack(c, 0x4000, &v), WAIT);  /* flash busy erasing */
	sim_delay_ns(c, 173000000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 0);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_approtect_hardened)
{
	/* blank hardened part: locked after every reset */
	struct sim_chip *c = mk("part=nrf52840,rev=hardened");
	ck_assert(sim_is_locked(c));
	connect(c);
	ck_assert_uint_eq(ahb_idr(c), 0);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 0);
	ctrl_wr(c, 0x004, 1);
	while (ctrl_rd(c, 0x008))
		sim_delay_ns(c, 10000000u);
	/* probe-rs: RESET 1/0 after ERASEALL, then APPROTECTSTATUS must be 1 */
	ctrl_wr(c, 0x000, 1);
	ctrl_wr(c, 0x000, 0);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 1);
	ck_assert_uint_eq(ahb_idr(c), 0x24770011u);
	/* FICR variant words tell it is hardened (nrfx: var1 8, var2 >= 5) */
	ck_assert_uint_eq(mem_rd(c, 0x10000130u), 0x08);
	ck_assert_uint_ge(mem_rd(c, 0x10000134u), 0x05);
	/* HwDisabled in UICR is not enough without the firmware */
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, UICR_APPROTECT, 0x5A);
	sim_delay_ns(c, 100000);
	mem_wr(c, NVMC_CONFIG, 0);
	sysresetreq(c);
	ck_assert(sim_is_locked(c));
	ck_assert_uint_eq(ahb_idr(c), 0);
	sim_chip_free(c);

	/* with firmware that writes APPROTECT.DISABLE (tests/fw/approtect.S,
	 * flashed at 0 and run by the simulated core after each reset) */
	c = mk("part=nrf52833,rev=hardened");
	ck_assert_msg(sim_core_can_execute(c), "the simulated core cannot execute: "
		      "libunicorn.so.2 missing (Debian libunicorn2)");
	ck_assert(sim_is_locked(c));
	connect(c);
	ctrl_wr(c, 0x004, 1);
	sim_delay_ns(c, 200000000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 1);
	ck_assert_uint_eq(mem_rd(c, 0x10000130u), 0x0D);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, UICR_APPROTECT, 0x5A);
	nvmc_wait(c);
	for (size_t i = 0; i < sizeof fw_approtect; i += 4) {
		uint32_t w = 0xFFFFFFFFu;
		memcpy(&w, fw_approtect + i, sizeof fw_approtect - i < 4 ? sizeof fw_approtect - i : 4);
		mem_wr(c, (uint32_t)i, w);
		nvmc_wait(c);
	}
	mem_wr(c, NVMC_CONFIG, 0);
	sysresetreq(c);
	/* the core boots and runs up to the next debugger access */
	sim_delay_ns(c, 100000);
	connect(c);
	ck_assert(!sim_is_locked(c));
	ck_assert_uint_eq(mem_rd(c, 0x40000558u), 0x5A);
	sim_power_cycle(c);
	sim_delay_ns(c, 100000);
	connect(c);
	ck_assert(!sim_is_locked(c));
	/* FORCEPROTECT locks until the next reset */
	mem_wr(c, 0x40000550u, 0);
	ck_assert(sim_is_locked(c));
	ck_assert_uint_eq(ahb_idr(c), 0);
	ctrl_wr(c, 0x000, 1);
	ctrl_wr(c, 0x000, 0);
	sim_delay_ns(c, 100000);
	connect(c);
	ck_assert(!sim_is_locked(c));
	sim_chip_free(c);

	/* legacy part with HwDisabled = 0x5A is locked (any value but 0xFF) */
	c = mk("part=nrf52832,rev=legacy");
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, UICR_APPROTECT, 0x5A);
	sim_delay_ns(c, 100000);
	sysresetreq(c);
	ck_assert(sim_is_locked(c));
	ck_assert_uint_eq(peek32(c, 0x10000130u), 0x06);
	ck_assert_uint_lt(peek32(c, 0x10000134u), 0x07);   /* below nrfx's hardened threshold */
	sim_chip_free(c);
}
END_TEST

static uint32_t core_reg(struct sim_chip *c, unsigned sel_)
{
	mem_wr(c, DCRSR, sel_);
	ck_assert(mem_rd(c, DHCSR) & (1u << 16));
	return mem_rd(c, DCRDR);
}

START_TEST(t_core_debug)
{
	struct sim_chip *c = mk("");
	connect(c);
	ck_assert_uint_eq(mem_rd(c, 0xE000ED00u), 0x410FC241u);
	uint32_t d = mem_rd(c, DHCSR);
	ck_assert_uint_eq(d & (1u << 17), 0);          /* not halted */
	if (sim_core_can_execute(c)) {
		/* an erased chip locks up at its first fetch and retires nothing
		 * (tests/check_sim_core.c runs code) */
		ck_assert(d & (1u << 19));             /* S_LOCKUP */
		ck_assert_uint_eq(d & (1u << 24), 0);
	} else {
		ck_assert(d & (1u << 24));             /* S_RETIRE_ST */
	}
	mem_wr(c, DHCSR, 0x00000003u);                 /* no key: ignored */
	ck_assert(!sim_core_halted(c));
	mem_wr(c, DHCSR, 0xA05F0003u);
	ck_assert(sim_core_halted(c));
	d = mem_rd(c, DHCSR);
	ck_assert(d & (1u << 17));
	ck_assert_uint_eq(d & 3u, 3u);
	ck_assert_uint_eq(mem_rd(c, 0xE000ED30u) & 1u, 1u);   /* DFSR.HALTED */
	/* register file */
	mem_wr(c, DCRDR, 0xC0FFEE00u);
	mem_wr(c, DCRSR, (1u << 16) | 3u);
	mem_wr(c, DCRDR, 0x20001000u);
	mem_wr(c, DCRSR, (1u << 16) | 13u);
	ck_assert_uint_eq(core_reg(c, 3), 0xC0FFEE00u);
	ck_assert_uint_eq(core_reg(c, 17), 0x20001000u);     /* SP is MSP */
	mem_wr(c, DCRDR, 0x3F800000u);
	mem_wr(c, DCRSR, (1u << 16) | 64u);
	ck_assert_uint_eq(core_reg(c, 64), 0x3F800000u);     /* S0 */
	/* step: stays halted; without an engine PC moves; with one, the
	 * erased chip is in its HardFault handler at 0xFFFFFFFE (lockup, left
	 * by the halt): the step faults at HardFault priority and locks up
	 * again, as silicon does */
	uint32_t pc = core_reg(c, 15);
	mem_wr(c, DHCSR, 0xA05F0005u);
	ck_assert(sim_core_halted(c));
	if (sim_core_can_execute(c)) {
		ck_assert_uint_eq(pc, 0xFFFFFFFEu);
		ck_assert_uint_eq(core_reg(c, 16) & 0x1FFu, 3u);   /* IPSR: HardFault */
		ck_assert_uint_eq(core_reg(c, 15), 0xFFFFFFFEu);
	} else {
		ck_assert_uint_ne(core_reg(c, 15), pc);
	}
	/* resume */
	mem_wr(c, DHCSR, 0xA05F0001u);
	ck_assert(!sim_core_halted(c));
	ck_assert_uint_eq(mem_rd(c, DHCSR) & (1u << 17), 0);
	/* DEMCR */
	mem_wr(c, DEMCR, 0x01000001u);
	ck_assert_uint_eq(mem_rd(c, DEMCR), 0x01000001u);
	/* FPB and DWT identification */
	ck_assert_uint_eq(mem_rd(c, 0xE0002000u), 0x260u);
	mem_wr(c, 0xE0002000u, 3);                            /* KEY | ENABLE */
	ck_assert_uint_eq(mem_rd(c, 0xE0002000u), 0x261u);
	ck_assert_uint_eq(mem_rd(c, 0xE0001000u) >> 28, 4u);
	mem_wr(c, 0xE0001020u, 0x20000000u);                  /* DWT_COMP0 */
	ck_assert_uint_eq(mem_rd(c, 0xE0001020u), 0x20000000u);
	/* MVFR0: FPv4-SP */
	ck_assert_uint_eq(mem_rd(c, 0xE000EF40u), 0x10110021u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_rom_table)
{
	struct sim_chip *c = mk("");
	connect(c);
	static const uint32_t comps[] = {
		0xE000E000u, 0xE0001000u, 0xE0002000u, 0xE0000000u, 0xE0040000u, 0xE0041000u,
	};
	uint32_t rom = 0xE00FF000u;
	for (unsigned i = 0; i < 6; i++) {
		uint32_t e = mem_rd(c, rom + 4 * i);
		ck_assert_uint_eq(e & 3u, 3u);
		ck_assert_uint_eq(rom + (e & ~0xFFFu), comps[i]);
	}
	ck_assert_uint_eq(mem_rd(c, rom + 24), 0);
	/* CIDR: 0xB105_100D for the ROM table, class 0xE for SCS/DWT/FPB/ITM,
	 * class 9 for TPIU/ETM */
	uint32_t cid = 0;
	for (unsigned i = 0; i < 4; i++)
		cid |= (mem_rd(c, rom + 0xFF0 + 4 * i) & 0xFFu) << (8 * i);
	ck_assert_uint_eq(cid, 0xB105100Du);
	for (unsigned k = 0; k < 6; k++) {
		cid = 0;
		for (unsigned i = 0; i < 4; i++)
			cid |= (mem_rd(c, comps[k] + 0xFF0 + 4 * i) & 0xFFu) << (8 * i);
		ck_assert_uint_eq(cid, k < 4 ? 0xB105E00Du : 0xB105900Du);
	}
	/* PIDR of the SCS: ARM (JEP106 0x3B), part 0x00C */
	uint32_t pid0 = mem_rd(c, 0xE000EFE0u), pid1 = mem_rd(c, 0xE000EFE4u), pid2 = mem_rd(c, 0xE000EFE8u);
	ck_assert_uint_eq(pid0 | (pid1 & 0xF) << 8, 0x00C);
	ck_assert_uint_eq((pid1 >> 4) | (pid2 & 7) << 4, 0x3B);
	ck_assert_uint_eq(mem_rd(c, rom + 0xFCC) & 1u, 1u);   /* MEMTYPE.SYSMEM */
	sim_chip_free(c);
}
END_TEST

START_TEST(t_sysresetreq)
{
	struct sim_chip *c = mk("period_ns=10");
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x0, 0x20040000u);      /* initial SP */
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x4, 0x00000401u);      /* reset vector (Thumb) */
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x20000000u, 0x12345678u);
	mem_wr(c, DHCSR, 0xA05F0003u);
	mem_wr(c, DEMCR, 0x01000001u);    /* VC_CORERESET */
	mem_rd(c, DHCSR);                 /* clears S_RESET_ST */
	uint64_t resets = sim_counters(c)->resets;
	uint64_t lr = sim_counters(c)->line_resets;
	sysresetreq(c);
	ck_assert_uint_eq(sim_counters(c)->resets, resets + 1);
	/* the DP was not reset: still powered, no line reset needed */
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0xF0000000u, 0xF0000000u);
	ck_assert_uint_eq(sim_counters(c)->line_resets, lr);
	uint32_t d = mem_rd(c, DHCSR);
	ck_assert(d & (1u << 25));                          /* S_RESET_ST */
	ck_assert(d & (1u << 17));                          /* halted by VC_CORERESET */
	ck_assert_uint_eq(mem_rd(c, DHCSR) & (1u << 25), 0);/* sticky, cleared by read */
	ck_assert_uint_eq(mem_rd(c, 0xE000ED30u) & 8u, 8u); /* DFSR.VCATCH */
	ck_assert_uint_eq(core_reg(c, 15), 0x400u);
	ck_assert_uint_eq(core_reg(c, 13), 0x20040000u);
	ck_assert_uint_eq(mem_rd(c, NVMC_CONFIG), 0);      /* peripherals reset */
	ck_assert_uint_eq(mem_rd(c, 0x20000000u), 0x12345678u);  /* RAM kept */
	/* without reset catch the core runs after the reset */
	mem_wr(c, DEMCR, 0);
	sysresetreq(c);
	ck_assert(!sim_core_halted(c));
	/* wrong key: nothing */
	resets = sim_counters(c)->resets;
	mem_wr(c, AIRCR, 0x00000004u);
	ck_assert_uint_eq(sim_counters(c)->resets, resets);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_pin_reset)
{
	struct sim_chip *c = mk("part=nrf52840,period_ns=10");
	connect(c);
	uint64_t r0 = sim_counters(c)->resets;
	sim_nreset(c, 0);
	sim_nreset(c, 1);
	ck_assert_uint_eq(sim_counters(c)->resets, r0);     /* PSELRESET not set */
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, 0x10001200u, 18);
	sim_delay_ns(c, 50000);
	mem_wr(c, 0x10001204u, 18);
	sim_delay_ns(c, 50000);
	sim_nreset(c, 0);
	ck_assert(mem_rd(c, DHCSR) & (1u << 25));
	sim_nreset(c, 1);
	ck_assert_uint_eq(sim_counters(c)->resets, r0 + 1);
	ck_assert_uint_eq(mem_rd(c, NVMC_CONFIG), 0);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_ficr)
{
	static const struct { const char *spec; uint32_t part, ram, flash, pages; } p[] = {
		{ "part=nrf52832", 0x52832, 64, 512, 128 },
		{ "part=nrf52833", 0x52833, 128, 512, 128 },
		{ "part=nrf52840", 0x52840, 256, 1024, 256 },
	};
	uint32_t ids[3];
	for (int i = 0; i < 3; i++) {
		struct sim_chip *c = mk(p[i].spec);
		connect(c);
		ck_assert_uint_eq(mem_rd(c, 0x10000100u), p[i].part);
		ck_assert_uint_eq(mem_rd(c, 0x1000010Cu), p[i].ram);
		ck_assert_uint_eq(mem_rd(c, 0x10000110u), p[i].flash);
		ck_assert_uint_eq(mem_rd(c, 0x10000010u), 4096);
		ck_assert_uint_eq(mem_rd(c, 0x10000014u), p[i].pages);
		ck_assert_uint_eq(sim_flash_size(c), p[i].flash * 1024);
		ck_assert_uint_eq(mem_rd(c, 0x10000104u) >> 16, 0x4141);   /* "AA.." */
		ids[i] = mem_rd(c, 0x10000060u);
		/* the last RAM word exists, the next one does not */
		mem_rd(c, 0x20000000u + p[i].ram * 1024 - 4);
		uint32_t v;
		ck_assert_uint_eq(mem_rd_ack(c, 0x20000000u + p[i].ram * 1024, &v), FAULT);
		sim_chip_free(c);
	}
	ck_assert_uint_ne(ids[0], ids[1]);
	struct sim_chip *c = mk("device_id=0x1122334455667788");
	ck_assert_uint_eq(peek32(c, 0x10000060u), 0x55667788u);
	ck_assert_uint_eq(peek32(c, 0x10000064u), 0x11223344u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_fault_power_loss)
{
	struct sim_chip *c = mk("part=nrf52840,period_ns=10");
	connect(c);
	mem_wr(c, 0x20000000u, 0x77);
	mem_wr(c, NVMC_CONFIG, 1);
	nvmc_wait(c);
	sim_fault_power_loss_at_write(c, 2);
	mem_wr(c, 0x1000, 0x00000000u);
	nvmc_wait(c);
	mem_wr(c, 0x1004, 0x00000000u);     /* power fails here */
	uint32_t w = peek32(c, 0x1004);
	ck_assert_uint_ne(w, 0x00000000u);  /* not fully programmed */
	uint32_t v;
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), NOACK);
	line_reset(c);
	ck_assert_uint_eq(xfer(c, DP, RD, DP_IDR, &v), NOACK);
	sim_power_cycle(c);
	connect(c);
	ck_assert_uint_eq(peek32(c, 0x1004), w);        /* flash keeps the partial word */
	ck_assert_uint_eq(peek32(c, 0x1000), 0);
	ck_assert_uint_eq(mem_rd(c, 0x20000000u), 0);   /* RAM lost */
	ck_assert_uint_eq(mem_rd(c, NVMC_CONFIG), 0);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_fault_corrupt)
{
	struct sim_chip *c = mk("");
	sim_fault_corrupt(c, 0x100, 0x10);
	ck_assert_uint_eq(peek32(c, 0x100), 0xFFFFFFEFu);
	sim_fault_corrupt(c, 0x20000003u, 0x80);
	ck_assert_uint_eq(peek32(c, 0x20000000u), 0x80000000u);
	sim_fault_corrupt(c, 0x10001000u, 0x01);
	ck_assert_uint_eq(peek32(c, 0x10001000u), 0xFFFFFFFEu);
	uint8_t b;
	ck_assert_int_eq(sim_peek(c, 0x30000000u, &b, 1), -1);
	sim_chip_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sim_mem");
	TCase *tc = tcase_create("memory");
	tcase_add_test(tc, t_ram_rw);
	tcase_add_test(tc, t_ficr);
	suite_add_tcase(s, tc);
	tc = tcase_create("nvmc");
	tcase_add_test(tc, t_nvmc_rules);
	tcase_add_test(tc, t_nvmc_timing);
	tcase_add_test(tc, t_readynext);
	tcase_add_test(tc, t_eraseuicr_52840);
	suite_add_tcase(s, tc);
	tc = tcase_create("approtect");
	tcase_add_test(tc, t_eraseall_wipes);
	tcase_add_test(tc, t_approtect_hardened);
	suite_add_tcase(s, tc);
	tc = tcase_create("core");
	tcase_add_test(tc, t_core_debug);
	tcase_add_test(tc, t_rom_table);
	tcase_add_test(tc, t_sysresetreq);
	tcase_add_test(tc, t_pin_reset);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_add_test(tc, t_fault_power_loss);
	tcase_add_test(tc, t_fault_corrupt);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
