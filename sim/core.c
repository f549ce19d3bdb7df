// SPDX-License-Identifier: GPL-2.0-or-later
/* core: the Cortex-M4 of the simulated nRF52 executes code.
 *
 * Engine: Unicorn 2 (Debian libunicorn2), loaded with dlopen on the first
 * run of a core, so nothing that never runs one depends on it. Without the
 * library the core behaves as before (never executes; C_STEP pretends a
 * 16-bit instruction) and says so once on stderr. The traps of Unicorn
 * 2.0.1 avoided here are measured in ../shared/SIM-CORE.md: the CPU model
 * is set without UC_MODE_MCLASS (trap 1); host writes into code invalidate
 * Unicorn's translations (trap 2); callbacks never stop the engine, they
 * set a flag that the per-instruction hook honours before the next
 * instruction (trap 3), which also makes PCs precise (trap 4); no
 * instruction counts or timeouts of Unicorn's own (traps 5, 6).
 *
 * Memory: RAM and code flash are the simulator's own arrays mapped into
 * the engine (flash read/execute only: a CPU store to flash is caught,
 * undone and replayed through the simulator's bus, so the NVMC rules and
 * timing live in mem.c alone); FICR/UICR, the peripherals, GPIO and the
 * PPB are MMIO onto sim_bus_read/sim_bus_write. Everything else is a hole:
 * an access there is a BusFault (taken as a HardFault).
 *
 * Time: 64 MHz core clock, one instruction per cycle (IPC = 1: the
 * Cortex-M4 retires most data-processing instructions in one cycle; loads,
 * multi-cycle multiplies, divides and branches take more on silicon, so
 * simulated code runs somewhat faster than real code). The core has its
 * own cycle count and is run up to the simulator's time before every
 * debugger access (lazy temporal decoupling), executing at most
 * CORE_CATCHUP_MAX_CYC cycles at once (cycles stalled on the NVMC or
 * asleep in WFI are skipped for free and do not count): beyond that its
 * clock slips, so a chip left running for an hour costs nothing until
 * someone looks at it. When
 * the wall clock drives simulated time (wallclock=1, realtime=1), a
 * catch-up also spends at most as much host time as passed since the
 * previous one (at most 50 % of a host CPU, and 20 ms at once), slipping
 * the rest: on a loaded host the simulated core then runs slower than
 * 64 MHz instead of starving the debugger. A CPU
 * store to flash stalls the core until the NVMC is done (the nRF52832 PS
 * says the CPU halts while the NVMC writes). WFI/WFE sleep until an
 * exception is pending, skipping the cycles.
 *
 * Exceptions (ARMv7-M B1.5): Unicorn vectors none, so entry (8-word frame,
 * or 26 words with the FP context when CONTROL.FPCA, stacked eagerly),
 * tail-chaining, preemption by priority and return (EXC_RETURN reaches
 * here as a fetch from 0xFFFFFFxx) are done by hand for NMI, HardFault,
 * SVCall, PendSV, SysTick and the NVIC's external lines. Configurable
 * faults are not enabled separately: every fault is a HardFault with
 * HFSR.FORCED and the CFSR bit; a fault at HardFault priority locks up
 * (DHCSR.S_LOCKUP, PC 0xFFFFFFFE), as an erased chip does at reset. A halt
 * request leaves lockup (entry to Debug state), which is how a debugger
 * runs its algorithms on an erased chip.
 *
 * Debug: C_HALT, C_STEP (one instruction, or the entry to a pending
 * exception unless C_MASKINTS), BKPT (DFSR.BKPT; a HardFault when halting
 * debug is off), FPB v1 breakpoints in the code region (DFSR.BKPT), vector
 * catch on reset (mem.c) and on HardFault (DEMCR.VC_HARDERR, DFSR.VCATCH).
 *
 * Fault knobs: core=hang makes every instruction take forever (the core
 * never retires one: a halt still works), core=fault makes every
 * instruction a bus fault (HardFault, then lockup). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include "sim_internal.h"

#define CORE_NS_NUM 125u   /* 1 cycle = 125/8 ns = 15.625 ns (64 MHz) */
#define CORE_NS_DEN 8u
#define CORE_CATCHUP_MAX_CYC (50u * 64000u)   /* 50 ms */
#define CORE_HOST_MAX_NS 20000000u            /* 20 ms of host time per catch-up */
#define CORE_HOST_MIN_NS 200000u
#define CORE_SLICE_MAX 65536u
#define CORE_NEXC 80u     /* exceptions 0..15 and 64 external lines */
#define NEVER UINT64_MAX

#define XPSR_T (1u << 24)
#define EXC_NMI 2u
#define EXC_HARDFAULT 3u
#define EXC_SVCALL 11u
#define EXC_PENDSV 14u
#define EXC_SYSTICK 15u

/* DHCSR/DFSR/DEMCR bits (ARMv7-M C1.6) */
#define C_DEBUGEN (1u << 0)
#define C_MASKINTS (1u << 3)
#define S_RETIRE_ST (1u << 24)
#define DFSR_HALTED (1u << 0)
#define DFSR_BKPT (1u << 1)
#define DFSR_VCATCH (1u << 3)
#define DEMCR_VC_HARDERR (1u << 10)

/* CFSR bits (ARMv7-M B3.2.15) */
#define CFSR_IACCVIOL (1u << 0)
#define CFSR_PRECISERR (1u << 9)
#define CFSR_IMPRECISERR (1u << 10)
#define CFSR_STKERR (1u << 12)
#define CFSR_UNDEFINSTR (1u << 16)
#define CFSR_INVSTATE (1u << 17)
#define CFSR_INVPC (1u << 18)
#define CFSR_NOCP (1u << 19)
#define HFSR_FORCED (1u << 30)

#define CORE_UC_CTL_TLB_FLUSH 11 /* enum uc_control_type, unicorn.h of Unicorn 2.1 */

enum stop { STOP_NONE, STOP_INTR, STOP_FPB, STOP_FLUSH, STOP_BUSERR };

struct uc_api {
	uc_err (*open)(uc_arch, uc_mode, uc_engine **);
	uc_err (*close)(uc_engine *);
	uc_err (*ctl)(uc_engine *, uc_control_type, ...);
	uc_err (*mem_map_ptr)(uc_engine *, uint64_t, size_t, uint32_t, void *);
	uc_err (*mmio_map)(uc_engine *, uint64_t, size_t, uc_cb_mmio_read_t, void *,
			   uc_cb_mmio_write_t, void *);
	uc_err (*hook_add)(uc_engine *, uc_hook *, int, void *, void *, uint64_t, uint64_t, ...);
	uc_err (*emu_start)(uc_engine *, uint64_t, uint64_t, uint64_t, size_t);
	uc_err (*emu_stop)(uc_engine *);
	uc_err (*reg_read_batch)(uc_engine *, int *, void **, int);
	uc_err (*reg_write_batch)(uc_engine *, int *, void *const *, int);
	uc_err (*reg_write)(uc_engine *, int, const void *);
	uc_err (*reg_read)(uc_engine *, int, void *);
	const char *(*strerror)(uc_err);
};

static struct uc_api api;
static int api_ok;
static pthread_once_t api_once = PTHREAD_ONCE_INIT;

static void api_load(void)
{
	void *h = dlopen("libunicorn.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();

		fprintf(stderr, "sim: %s: the simulated Cortex-M4 does not execute code "
			"(install Debian's libunicorn2)\n", why ? why : "libunicorn.so.2 not loaded");
		return;
	}
#define SYM(f, n) (*(void **)&api.f = dlsym(h, n)) == NULL
	if (SYM(open, "uc_open") || SYM(close, "uc_close") || SYM(ctl, "uc_ctl") ||
	    SYM(mem_map_ptr, "uc_mem_map_ptr") || SYM(mmio_map, "uc_mmio_map") ||
	    SYM(hook_add, "uc_hook_add") || SYM(emu_start, "uc_emu_start") ||
	    SYM(emu_stop, "uc_emu_stop") || SYM(reg_read_batch, "uc_reg_read_batch") ||
	    SYM(reg_write_batch, "uc_reg_write_batch") || SYM(reg_write, "uc_reg_write") ||
	    SYM(reg_read, "uc_reg_read") || SYM(strerror, "uc_strerror")) {
		fprintf(stderr, "sim: libunicorn.so.2 lacks %s: the simulated Cortex-M4 does "
			"not execute code\n", "a function of Unicorn 2");
		dlclose(h);
		return;
	}
#undef SYM
	api_ok = 1;  /* the library stays loaded for the life of the process */
}

#ifdef __SANITIZE_ADDRESS__
/* Unicorn 2.1.1 (Debian 13) loses 32 bytes in uc_close after any
 * uc_mem_map_ptr (a five-line program of open, map_ptr, close shows it;
 * 2.0.1 does not): LeakSanitizer is told to pass over leaks whose stack
 * holds the library, which would also hide a leak of ours made in one of
 * our callbacks (they allocate nothing). The sanitizer runtime calls this. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libunicorn.so.2\n";
}
#endif

struct mmio_region {
	struct sim_chip *c;
	uint32_t base;
};

struct flash_fix {
	uint32_t addr, val, old;
	unsigned size;
};

struct sim_core {
	uc_engine *uc;
	int broken;          /* engine failed: behave as without one */
	struct mmio_region rg[4];
	uint64_t cyc;        /* core clock cycles since the chip was made */
	uint64_t host_end;   /* host time the last catch-up ended (wall clock mode) */
	uint64_t run_cyc;    /* cycles the core spent not halted (DWT_CYCCNT) */
	uint64_t exec_cyc;   /* cycles spent executing (not stalled, asleep, locked up) */
	uint64_t cyccnt_at;  /* run_cyc when CYCCNT held cyccnt_val */
	uint32_t cyccnt_val;
	uint64_t stall_cyc;  /* stalled (NVMC write) until this cycle */
	/* the slice in progress */
	uint64_t budget, ran;
	uint32_t last_pc;
	enum stop stop;
	uint32_t intno;
	int buserr;          /* a data bus error in a callback (imprecise) */
	uint64_t unmapped_addr;
	int unmapped_type;
	struct flash_fix fix[16];
	unsigned nfix;
	uint32_t inval_lo, inval_hi; /* host changed code while the engine ran */
	int reset_req;
	/* FPB, cached per slice */
	int fpb_on;
	uint32_t fpb_addr[6];
	unsigned fpb_n;
	/* state */
	int lockup, sleeping;
	uint8_t pend[CORE_NEXC], act[CORE_NEXC];
	uint64_t irq_en;
	/* SysTick (ARMv7-M B3.3) */
	uint32_t st_csr, st_rvr, st_cvr;
	uint64_t st_zero;    /* cycle at which the counter reaches 0, NEVER when stopped */
	int st_countflag;
	/* knobs */
	int hang, fault;
};

static uint64_t cyc_of_ns(uint64_t ns)
{
	return ns / CORE_NS_NUM * CORE_NS_DEN + (ns % CORE_NS_NUM) * CORE_NS_DEN / CORE_NS_NUM;
}

static uint64_t ns_of_cyc(uint64_t cyc)
{
	return cyc / CORE_NS_DEN * CORE_NS_NUM + (cyc % CORE_NS_DEN) * CORE_NS_NUM / CORE_NS_DEN;
}

static struct sim_core *core_of(struct sim_chip *c)
{
	if (!c->core) {
		c->core = calloc(1, sizeof *c->core);
		if (c->core) {
			c->core->st_zero = NEVER;
			c->core->cyc = cyc_of_ns(c->t_ns);
			c->core->hang = c->cfg.core_hang;
			c->core->fault = c->cfg.core_fault;
		}
	}
	return c->core;
}

/* ---------------- memory as the core sees it ---------------- */

static uint64_t now_cyc(struct sim_core *k)
{
	return k->cyc + k->ran;
}

/* While the core runs, the simulator's clock is the core's (catch-up
 * puts it back afterwards), so the NVMC times CPU stores correctly. */
static void set_time(struct sim_chip *c, struct sim_core *k)
{
	c->t_ns = ns_of_cyc(now_cyc(k));
}

/* After a CPU write that started an NVMC operation: the CPU stalls until
 * it is done, the slice ends before the next instruction. */
static void nvmc_stall(struct sim_chip *c, struct sim_core *k)
{
	if (c->nvmc_op == SIM_NVMC_IDLE)
		return;
	uint64_t until = cyc_of_ns(c->nvmc_until) + 1;
	if (until > k->stall_cyc)
		k->stall_cyc = until;
	if (k->stop == STOP_NONE)
		k->stop = STOP_FLUSH;
}

static uint64_t mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
	struct mmio_region *rg = ud;
	struct sim_chip *c = rg->c;
	uint32_t addr = rg->base + (uint32_t)off, v = 0, v2 = 0;
	set_time(c, c->core);
	if (sim_bus_read(c, addr & ~3u, &v) < 0) {
		c->core->buserr = 1;
		c->core->stop = STOP_BUSERR;
		return 0;
	}
	unsigned sh = 8 * (addr & 3u);
	uint64_t r = v >> sh;
	if ((addr & 3u) + size > 4) {  /* unaligned across a word */
		if (sim_bus_read(c, (addr & ~3u) + 4, &v2) == 0)
			r |= (uint64_t)v2 << (32 - sh);
	}
	if (size < 4)
		r &= (1ull << (8 * size)) - 1;
	return r & 0xFFFFFFFFu;
}

static void mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t value, void *ud)
{
	struct mmio_region *rg = ud;
	struct sim_chip *c = rg->c;
	uint32_t addr = rg->base + (uint32_t)off;
	set_time(c, c->core);
	if ((addr & 3u) + size > 4 || sim_bus_write(c, addr, (uint32_t)value << (8 * (addr & 3u)),
						    size) < 0) {
		c->core->buserr = 1;
		c->core->stop = STOP_BUSERR;
	}
	if ((addr & ~0xFFFu) == SIM_NVMC_BASE)
		nvmc_stall(c, c->core);
}

/* A CPU store into the flash mapping: the engine writes the raw value into
 * the array after this returns; flush_fixes() puts the old bytes back and
 * replays the store through the bus before the next instruction. */
static bool hook_flash_write(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
			     int64_t value, void *ud)
{
	struct sim_chip *c = ud;
	struct sim_core *k = c->core;
	if (k->nfix == sizeof k->fix / sizeof k->fix[0] || addr + (uint64_t)size > c->pi->flash_size) {
		k->buserr = 1;
		k->stop = STOP_BUSERR;
		return false;
	}
	struct flash_fix *f = &k->fix[k->nfix++];
	f->addr = (uint32_t)addr;
	f->size = (unsigned)size;
	f->val = (uint32_t)value;
	memcpy(&f->old, c->flash + addr, (size_t)size);
	if (k->stop == STOP_NONE)
		k->stop = STOP_FLUSH;
	return true;
}

static bool hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
			  int64_t value, void *ud)
{
	struct sim_chip *c = ud;
	c->core->unmapped_addr = addr;
	c->core->unmapped_type = type;
	return false;
}

static void fpb_load(struct sim_chip *c, struct sim_core *k)
{
	const uint32_t *r = c->comp[SIM_FPB].regs;
	k->fpb_n = 0;
	if (!(r[0] & 1u))
		return;
	for (unsigned i = 0; i < 6; i++) {
		uint32_t v = r[2 + i];
		unsigned rep = v >> 30;
		if (!(v & 1u) || rep == 0)
			continue;  /* disabled, or a remap comparator */
		uint32_t a = v & 0x1FFFFFFCu;
		if (rep == 1 || rep == 3)
			k->fpb_addr[k->fpb_n++] = a;
		if (rep == 2 || rep == 3)
			k->fpb_addr[k->fpb_n++] = a | 2u;
		if (k->fpb_n >= 5)
			break;
	}
}

/* Runs before every instruction: kept out of the sanitizers' reach so a
 * check build's core runs at the release speed. */
__attribute__((no_sanitize("address", "undefined")))
static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct sim_chip *c = ud;
	struct sim_core *k = c->core;
	if (k->ran >= k->budget || k->stop != STOP_NONE) {
		api.emu_stop(uc);
		return;
	}
	for (unsigned i = 0; i < k->fpb_n; i++) {
		if (k->fpb_addr[i] == (uint32_t)addr) {
			k->stop = STOP_FPB;
			k->last_pc = (uint32_t)addr;
			api.emu_stop(uc);
			return;
		}
	}
	k->last_pc = (uint32_t)addr;
	k->ran++;
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
	struct sim_chip *c = ud;
	if (c->core->stop == STOP_NONE || c->core->stop == STOP_FLUSH) {
		c->core->stop = STOP_INTR;
		c->core->intno = intno;
	}
	api.emu_stop(uc);
}

static void engine_free(struct sim_core *k)
{
	if (k->uc)
		api.close(k->uc);
	k->uc = NULL;
}

static int engine_new(struct sim_chip *c, struct sim_core *k)
{
	uc_hook h;
	uc_err e;
	if (k->uc || k->broken)
		return k->uc ? 0 : -1;
	pthread_once(&api_once, api_load);
	if (!api_ok) {
		k->broken = 1;
		return -1;
	}
	e = api.open(UC_ARCH_ARM, UC_MODE_THUMB, &k->uc);
	if (e)
		goto fail;
	/* before any map or hook: the CPU is created lazily (trap 1) */
	e = api.ctl(k->uc, UC_CTL_WRITE(UC_CTL_CPU_MODEL, 1), UC_CPU_ARM_CORTEX_M4);
	if (e)
		goto fail;
	static const struct { uint32_t base, size; } mm[4] = {
		{ SIM_FICR_BASE, 0x2000u },         /* FICR, UICR */
		{ 0x40000000u, 0x40000u },          /* APB/AHB peripherals */
		{ 0x50000000u, 0x1000u },           /* GPIO P0/P1 */
		{ 0xE0000000u, 0x100000u },         /* PPB */
	};
	e = api.mem_map_ptr(k->uc, 0, c->pi->flash_size, UC_PROT_READ | UC_PROT_EXEC, c->flash);
	if (!e)
		e = api.mem_map_ptr(k->uc, SIM_RAM_BASE, c->pi->ram_size, UC_PROT_ALL, c->ram);
	for (unsigned i = 0; !e && i < 4; i++) {
		k->rg[i].c = c;
		k->rg[i].base = mm[i].base;
		e = api.mmio_map(k->uc, mm[i].base, mm[i].size, mmio_read, &k->rg[i],
				 mmio_write, &k->rg[i]);
	}
	if (!e)
		e = api.hook_add(k->uc, &h, UC_HOOK_CODE, (void *)hook_code, c, 1, 0);
	if (!e)
		e = api.hook_add(k->uc, &h, UC_HOOK_INTR, (void *)hook_intr, c, 1, 0);
	if (!e)
		e = api.hook_add(k->uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)hook_unmapped, c, 1, 0);
	if (!e)
		e = api.hook_add(k->uc, &h, UC_HOOK_MEM_WRITE_PROT, (void *)hook_flash_write, c,
				 0, (uint64_t)c->pi->flash_size - 1);
	if (e)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "sim: Unicorn: %s: the simulated Cortex-M4 does not execute code\n",
		api.strerror(e));
	engine_free(k);
	k->broken = 1;
	return -1;
}

/* ---------------- registers ---------------- */

/* c->regs (DCRSR numbering) is the truth while the engine is not running;
 * it is loaded before every slice and stored after it. Unprivileged
 * thread mode cannot write (or read) MSP/PSP/masks in the engine, so both
 * directions pass through handler mode (IPSR 3) on the way. */
enum { R_XPSR_W = 0, R_CONTROL, R_MSP, R_PSP, R_PRIMASK, R_BASEPRI, R_FAULTMASK, R_NSPECIAL };

static int ucr(unsigned i)
{
	return i <= 12 ? UC_ARM_REG_R0 + (int)i : (i == 14 ? UC_ARM_REG_LR : UC_ARM_REG_PC);
}

static void wr1(uc_engine *uc, int reg, uint32_t v)
{
	api.reg_write(uc, reg, &v);
}

static uint32_t rd1(uc_engine *uc, int reg)
{
	uint32_t v = 0;
	api.reg_read(uc, reg, &v);
	return v;
}

static int in_handler(const struct sim_chip *c)
{
	return (c->regs[16] & 0x1FFu) != 0;
}

static void load_regs(struct sim_chip *c, struct sim_core *k)
{
	uc_engine *uc = k->uc;
	const uint32_t *r = c->regs;
	int ids[14];
	void *vals[14];
	uint32_t gp[14];
	for (unsigned i = 0; i < 13; i++) {
		ids[i] = ucr(i);
		gp[i] = r[i];
		vals[i] = &gp[i];
	}
	ids[13] = UC_ARM_REG_LR;
	gp[13] = r[14];
	vals[13] = &gp[13];
	api.reg_write_batch(uc, ids, vals, 14);

	uint32_t sp = r[20];
	uint32_t control = sp >> 24, faultmask = (sp >> 16) & 1u, basepri = (sp >> 8) & 0xFFu;
	uint32_t primask = sp & 1u;
	wr1(uc, UC_ARM_REG_XPSR_NZCVQG, 0x01000003u);   /* handler: privileged */
	wr1(uc, UC_ARM_REG_CONTROL, 0);                 /* nPRIV = 0 */
	wr1(uc, UC_ARM_REG_XPSR_NZCVQG, 0x01000000u);   /* privileged thread */
	wr1(uc, UC_ARM_REG_CONTROL, in_handler(c) ? 0 : (control & 2u));  /* SPSEL */
	wr1(uc, UC_ARM_REG_MSP, r[17]);
	wr1(uc, UC_ARM_REG_PSP, r[18]);
	wr1(uc, UC_ARM_REG_PRIMASK, primask);
	wr1(uc, UC_ARM_REG_BASEPRI, basepri);
	wr1(uc, UC_ARM_REG_FAULTMASK, faultmask);
	uint64_t d[16];
	for (unsigned i = 0; i < 16; i++) {
		d[i] = (uint64_t)r[64 + 2 * i] | (uint64_t)r[65 + 2 * i] << 32;
		ids[i & 7] = UC_ARM_REG_D0 + (int)i;
		vals[i & 7] = &d[i];
		if ((i & 7) == 7)
			api.reg_write_batch(uc, ids, vals, 8);
	}
	wr1(uc, UC_ARM_REG_FPSCR, r[33]);
	wr1(uc, UC_ARM_REG_XPSR_NZCVQG, r[16] | XPSR_T);
	wr1(uc, UC_ARM_REG_CONTROL, control & (in_handler(c) ? ~2u : ~0u));
}

static void store_regs(struct sim_chip *c, struct sim_core *k, uint32_t pc)
{
	uc_engine *uc = k->uc;
	uint32_t *r = c->regs;
	int ids[14];
	void *vals[14];
	for (unsigned i = 0; i < 13; i++) {
		ids[i] = ucr(i);
		vals[i] = &r[i];
	}
	ids[13] = UC_ARM_REG_LR;
	vals[13] = &r[14];
	api.reg_read_batch(uc, ids, vals, 14);
	r[15] = pc;
	uint32_t xpsr = rd1(uc, UC_ARM_REG_XPSR);
	uint32_t control = rd1(uc, UC_ARM_REG_CONTROL);
	uint32_t cur = rd1(uc, UC_ARM_REG_SP);
	int psp = !(xpsr & 0x1FFu) && (control & 2u);
	wr1(uc, UC_ARM_REG_XPSR_NZCVQG, 0x01000003u);   /* privileged reads */
	uint32_t other = rd1(uc, UC_ARM_REG_PSP);       /* the banked-out SP */
	r[17] = psp ? other : cur;
	r[18] = psp ? cur : other;
	uint32_t primask = rd1(uc, UC_ARM_REG_PRIMASK) & 1u;
	uint32_t basepri = rd1(uc, UC_ARM_REG_BASEPRI) & 0xFFu;
	uint32_t faultmask = rd1(uc, UC_ARM_REG_FAULTMASK) & 1u;
	r[20] = (control & 7u) << 24 | faultmask << 16 | basepri << 8 | primask;
	r[16] = xpsr;
	uint64_t d[16];
	for (unsigned i = 0; i < 16; i++) {
		ids[i & 7] = UC_ARM_REG_D0 + (int)i;
		vals[i & 7] = &d[i];
		if ((i & 7) == 7)
			api.reg_read_batch(uc, ids, vals, 8);
	}
	for (unsigned i = 0; i < 16; i++) {
		r[64 + 2 * i] = (uint32_t)d[i];
		r[65 + 2 * i] = (uint32_t)(d[i] >> 32);
	}
	r[33] = rd1(uc, UC_ARM_REG_FPSCR);
}

/* ---------------- memory helpers for stacking ---------------- */

static int rd32(struct sim_chip *c, uint32_t a, uint32_t *v)
{
	if (a & 3u)
		return -1;
	return sim_bus_read(c, a, v);
}

static int wr32(struct sim_chip *c, uint32_t a, uint32_t v)
{
	if ((a & 3u) || a - SIM_RAM_BASE >= c->pi->ram_size)
		return sim_bus_write(c, a, v, 4) < 0 || (a & 3u) ? -1 : 0;
	uint8_t *p = c->ram + (a - SIM_RAM_BASE);
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return 0;
}

/* ---------------- exceptions ---------------- */

static uint32_t *scs(struct sim_chip *c)
{
	return c->comp[SIM_SCS].regs;
}

/* Priority of exception n (nRF52: 3 priority bits, 7:5). */
static int prio(struct sim_chip *c, unsigned n)
{
	if (n == 1)
		return -3;
	if (n == EXC_NMI)
		return -2;
	if (n == EXC_HARDFAULT)
		return -1;
	const uint8_t *b;
	if (n < 16)
		b = (const uint8_t *)&scs(c)[0xD18 / 4] + (n - 4);
	else
		b = (const uint8_t *)&scs(c)[0x400 / 4] + (n - 16);
	return *b & 0xE0;
}

static int exec_prio(struct sim_chip *c, struct sim_core *k)
{
	int p = 256;
	for (unsigned n = 1; n < CORE_NEXC; n++)
		if (k->act[n] && prio(c, n) < p)
			p = prio(c, n);
	uint32_t sp = c->regs[20];
	if ((sp >> 8) & 0xE0u && (int)((sp >> 8) & 0xE0u) < p)
		p = (int)((sp >> 8) & 0xE0u);
	if ((sp & 1u) && p > 0)
		p = 0;
	if (((sp >> 16) & 1u) && p > -1)
		p = -1;
	return p;
}

static int pending_ok(struct sim_core *k, unsigned n)
{
	if (!k->pend[n])
		return 0;
	if (n >= 16)
		return (k->irq_en >> (n - 16)) & 1u;
	return 1;
}

/* The pending exception that would be taken now, or 0. */
static unsigned next_exception(struct sim_chip *c, struct sim_core *k)
{
	int masked = (c->dhcsr & C_MASKINTS) != 0;
	int ep = exec_prio(c, k), best = 256;
	unsigned bn = 0;
	for (unsigned n = 2; n < CORE_NEXC; n++) {
		if (!pending_ok(k, n) || (masked && n > EXC_HARDFAULT))
			continue;
		int p = prio(c, n);
		if (p < ep && p < best) {
			best = p;
			bn = n;
		}
	}
	return bn;
}

static int any_pending(struct sim_core *k)
{
	for (unsigned n = 2; n < CORE_NEXC; n++)
		if (pending_ok(k, n))
			return 1;
	return 0;
}

/* A debug event halts the core: DHCSR.C_HALT reads 1 until the debugger
 * clears it to resume. */
static void halt(struct sim_chip *c, uint32_t dfsr)
{
	c->halted = 1;
	c->dhcsr |= 1u << 1;
	c->dfsr |= dfsr;
}

static void lockup(struct sim_chip *c, struct sim_core *k)
{
	k->lockup = 1;
	k->sleeping = 0;
	c->regs[15] = 0xFFFFFFFEu;
}

static void take(struct sim_chip *c, struct sim_core *k, unsigned n, uint32_t ret_addr);

/* A fault: HardFault (or lockup at HardFault priority, or a halt on
 * DEMCR.VC_HARDERR), with ret_addr the faulting instruction. */
static void fault(struct sim_chip *c, struct sim_core *k, uint32_t cfsr, uint32_t ret_addr)
{
	scs(c)[0xD28 / 4] |= cfsr;
	scs(c)[0xD2C / 4] |= HFSR_FORCED;
	if (exec_prio(c, k) <= -1) {
		lockup(c, k);
		return;
	}
	take(c, k, EXC_HARDFAULT, ret_addr);
}

/* Exception entry (ARMv7-M B1.5.6 PushStack/ExceptionTaken). */
static void take(struct sim_chip *c, struct sim_core *k, unsigned n, uint32_t ret_addr)
{
	uint32_t *r = c->regs;
	uint32_t control = r[20] >> 24;
	int handler = in_handler(c);
	int use_psp = !handler && (control & 2u);
	int fpca = (control & 4u) && (scs(c)[0xF34 / 4] & 0x80000000u);
	uint32_t sp = use_psp ? r[18] : r[17];
	uint32_t fsz = fpca ? 0x68u : 0x20u;
	uint32_t align = (scs(c)[0xD14 / 4] & 0x200u) ? (sp >> 2) & 1u : 0;
	uint32_t nsp = (sp - fsz) & ~(align << 2);
	uint32_t xpsr = (r[16] & ~(1u << 9)) | (align << 9);
	uint32_t frame[8] = { r[0], r[1], r[2], r[3], r[12], r[14], ret_addr & ~1u, xpsr };
	int bad = 0;
	for (unsigned i = 0; i < 8; i++)
		bad |= wr32(c, nsp + 4 * i, frame[i]);
	if (fpca) {
		for (unsigned i = 0; i < 16; i++)
			bad |= wr32(c, nsp + 0x20 + 4 * i, r[64 + i]);
		bad |= wr32(c, nsp + 0x60, r[33]);
	}
	if (use_psp)
		r[18] = nsp;
	else
		r[17] = nsp;
	k->pend[n] = 0;
	k->sleeping = 0;
	if (bad) {
		/* a stacking fault while taking a HardFault (or worse) locks up */
		scs(c)[0xD28 / 4] |= CFSR_STKERR;
		if (n <= EXC_HARDFAULT || exec_prio(c, k) <= -1) {
			r[16] = (r[16] & ~0x1FFu) | EXC_HARDFAULT;
			k->act[EXC_HARDFAULT] = 1;
			lockup(c, k);
			return;
		}
		n = EXC_HARDFAULT;
		scs(c)[0xD2C / 4] |= HFSR_FORCED;
	}
	uint32_t exc_ret = handler ? 0xFFFFFFF1u : (use_psp ? 0xFFFFFFFDu : 0xFFFFFFF9u);
	if (fpca)
		exc_ret &= ~0x10u;
	r[14] = exc_ret;
	r[20] &= ~((2u | 4u) << 24);   /* SPSEL = 0, FPCA = 0 */
	k->act[n] = 1;
	uint32_t vtor = scs(c)[0xD08 / 4] & 0xFFFFFF80u, vec;
	r[16] = (r[16] & 0xF80F0000u) | XPSR_T | n;  /* NZCVQ, GE kept; IT cleared */
	if (rd32(c, vtor + 4 * n, &vec) < 0) {
		if (n == EXC_HARDFAULT) {
			lockup(c, k);
			return;
		}
		fault(c, k, CFSR_PRECISERR, ret_addr);
		return;
	}
	r[15] = vec & ~1u;
	if (!(vec & 1u)) {
		r[16] &= ~XPSR_T;  /* faults on its first instruction (INVSTATE) */
	}
	if (n == EXC_HARDFAULT && (c->demcr & DEMCR_VC_HARDERR) && (c->dhcsr & C_DEBUGEN)) {
		halt(c, DFSR_VCATCH);
	}
}

/* Exception return (B1.5.8). exc is the EXC_RETURN value. */
static void exc_return(struct sim_chip *c, struct sim_core *k, uint32_t exc)
{
	uint32_t *r = c->regs;
	unsigned n = r[16] & 0x1FFu;
	if (!in_handler(c) || (exc & 0x0FFFFFE0u) != 0x0FFFFFE0u || (exc & 3u) != 1u ||
	    ((exc & 0xFu) != 1u && (exc & 0xFu) != 9u && (exc & 0xFu) != 0xDu)) {
		fault(c, k, CFSR_INVPC, exc);
		return;
	}
	k->act[n] = 0;
	int to_psp = (exc & 0xFu) == 0xDu;
	int ext = !(exc & 0x10u);
	uint32_t sp = to_psp ? r[18] : r[17];
	uint32_t f[8];
	for (unsigned i = 0; i < 8; i++) {
		if (rd32(c, sp + 4 * i, &f[i]) < 0) {
			fault(c, k, CFSR_STKERR, exc);
			return;
		}
	}
	if (ext) {
		for (unsigned i = 0; i < 16; i++)
			(void)rd32(c, sp + 0x20 + 4 * i, &r[64 + i]);
		(void)rd32(c, sp + 0x60, &r[33]);
	}
	r[0] = f[0];
	r[1] = f[1];
	r[2] = f[2];
	r[3] = f[3];
	r[12] = f[4];
	r[14] = f[5];
	r[15] = f[6] & ~1u;
	sp += ext ? 0x68u : 0x20u;
	if (f[7] & (1u << 9))
		sp += 4;
	if (to_psp)
		r[18] = sp;
	else
		r[17] = sp;
	r[16] = f[7] & ~(1u << 9);
	uint32_t control = r[20] >> 24;
	control = (control & ~6u) | (to_psp ? 2u : 0u) | (ext ? 4u : 0u);
	r[20] = (r[20] & 0x00FFFFFFu) | control << 24;
}

/* ---------------- SysTick ---------------- */

static void systick_update(struct sim_chip *c, struct sim_core *k, uint64_t now)
{
	while (k->st_zero != NEVER && k->st_zero <= now) {
		k->st_countflag = 1;
		if (k->st_csr & 2u)
			k->pend[EXC_SYSTICK] = 1;
		k->st_zero = k->st_rvr ? k->st_zero + k->st_rvr + 1 : NEVER;
	}
}

static uint32_t systick_cvr(struct sim_core *k, uint64_t now)
{
	if (!(k->st_csr & 1u))
		return k->st_cvr;
	if (k->st_zero == NEVER)
		return 0;
	uint64_t v = k->st_zero - now;
	return v > k->st_rvr ? k->st_rvr : (uint32_t)v;
}

static void systick_start(struct sim_core *k, uint64_t now, uint32_t cvr)
{
	if (cvr)
		k->st_zero = now + cvr;
	else
		k->st_zero = k->st_rvr ? now + 1 + k->st_rvr : NEVER;
}

/* ---------------- the scheduler ---------------- */

static void inval(struct sim_core *k, uint32_t lo, uint32_t hi)
{
	if (k->uc && hi > lo)
		api.ctl(k->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)lo, (uint64_t)hi);
}

void sim_core_code_changed(struct sim_chip *c, uint32_t addr, uint32_t len)
{
	struct sim_core *k = c->core;
	if (!k || !k->uc || !len)
		return;
	if (c->cpu_access) {
		/* inside the engine: after the slice */
		if (k->inval_hi <= k->inval_lo) {
			k->inval_lo = addr;
			k->inval_hi = addr + len;
		} else {
			if (addr < k->inval_lo)
				k->inval_lo = addr;
			if (addr + len > k->inval_hi)
				k->inval_hi = addr + len;
		}
		return;
	}
	inval(k, addr, addr + len);
}

/* Replays CPU stores to flash through the bus (NVMC rules, timing). */
static void flush_fixes(struct sim_chip *c, struct sim_core *k)
{
	/* Unicorn 2.1.1 lets further stores into the page through without the
	 * write-protect hook once it returned true: drop its TLB so the next
	 * one is caught too (UC_CTL_TLB_FLUSH, unicorn.h of 2.1; 2.0.1 has no
	 * such control, refuses it with UC_ERR_ARG and needs none) */
	if (k->nfix)
		api.ctl(k->uc, UC_CTL_WRITE(CORE_UC_CTL_TLB_FLUSH, 0));
	for (unsigned i = 0; i < k->nfix; i++) {
		struct flash_fix *f = &k->fix[i];
		memcpy(c->flash + f->addr, &f->old, f->size);
		set_time(c, k);
		if (sim_bus_write(c, f->addr, f->val << (8 * (f->addr & 3u)), f->size) < 0)
			k->buserr = 1;  /* byte/halfword store to flash: a bus error */
		else
			nvmc_stall(c, k);
		sim_core_code_changed(c, f->addr & ~3u, 8);
	}
	k->nfix = 0;
}

static int is_wfx(struct sim_chip *c, uint32_t pc)
{
	uint32_t w;
	if (sim_bus_read(c, pc & ~3u, &w) < 0)
		return 0;
	uint32_t hw = (pc & 2u) ? w >> 16 : w & 0xFFFFu;
	return hw == 0xBF30u || hw == 0xBF20u;
}

/* Runs at most budget instructions from c->regs; returns how many ran.
 * Afterwards c->regs hold the state and the outcome (halt, exception,
 * fault, sleep) has been applied. */
static uint64_t run_slice(struct sim_chip *c, struct sim_core *k, uint64_t budget)
{
	uint32_t pc = c->regs[15] & ~1u;
	if (!(c->regs[16] & XPSR_T)) {
		fault(c, k, CFSR_INVSTATE, pc);
		return 0;
	}
	if (k->fault) {  /* knob: every instruction bus-faults */
		fault(c, k, CFSR_PRECISERR, pc);
		return 0;
	}
	fpb_load(c, k);
	load_regs(c, k);
	k->budget = budget;
	k->ran = 0;
	k->stop = STOP_NONE;
	k->buserr = 0;
	k->unmapped_type = 0;
	c->cpu_access = 1;
	/* until = 1: no Thumb PC is odd, so never reached */
	uc_err e = api.emu_start(k->uc, pc | 1u, 1, 0, 0);
	c->cpu_access = 0;
	uint32_t upc = rd1(k->uc, UC_ARM_REG_PC);
	uint64_t ran = k->ran;
	flush_fixes(c, k);
	if (k->inval_hi > k->inval_lo) {
		inval(k, k->inval_lo, k->inval_hi);
		k->inval_lo = k->inval_hi = 0;
	}
	if (e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED || e == UC_ERR_FETCH_UNMAPPED ||
	    e == UC_ERR_FETCH_PROT || e == UC_ERR_WRITE_PROT || e == UC_ERR_READ_PROT) {
		/* the faulting instruction did not complete (precise, trap 4) */
		int fetch = e == UC_ERR_FETCH_UNMAPPED || e == UC_ERR_FETCH_PROT;
		uint32_t at = fetch ? upc : k->last_pc;
		store_regs(c, k, at);
		if (fetch && k->unmapped_addr >= 0xF0000000u)
			at = (uint32_t)k->unmapped_addr;
		if (fetch && at >= 0xF0000000u && in_handler(c)) {
			exc_return(c, k, at | 1u);
			return ran;
		}
		if (!fetch && ran)
			ran--;
		fault(c, k, fetch ? CFSR_IACCVIOL : CFSR_PRECISERR, at);
		return ran;
	}
	if (e == UC_ERR_INSN_INVALID) {
		store_regs(c, k, upc);
		fault(c, k, CFSR_UNDEFINSTR, upc);
		return ran;
	}
	if (e == UC_ERR_EXCEPTION) {
		store_regs(c, k, upc);
		fault(c, k, CFSR_INVSTATE, upc);
		return ran;
	}
	if (e != UC_ERR_OK) {
		store_regs(c, k, upc);
		fault(c, k, CFSR_UNDEFINSTR, upc);
		return ran;
	}
	store_regs(c, k, upc);
	if (k->stop == STOP_INTR) {
		switch (k->intno) {
		case 7: /* EXCP_BKPT: PC at the bkpt */
			if (ran)
				ran--;
			c->regs[15] = upc;
			if (c->dhcsr & C_DEBUGEN) {
				halt(c, DFSR_BKPT);
			} else {
				fault(c, k, 0, upc);
			}
			break;
		case 2: /* EXCP_SWI: PC after the svc */
			if (exec_prio(c, k) <= prio(c, EXC_SVCALL))
				fault(c, k, 0, upc);
			else
				take(c, k, EXC_SVCALL, upc);
			break;
		case 8: /* EXCP_EXCEPTION_EXIT */
			exc_return(c, k, upc | 1u);
			break;
		case 3: /* EXCP_PREFETCH_ABORT: a branch to EXC_RETURN */
			if (upc >= 0xF0000000u && in_handler(c))
				exc_return(c, k, upc | 1u);
			else
				fault(c, k, CFSR_IACCVIOL, upc);
			break;
		case 1: /* EXCP_UDEF */
			if (ran)
				ran--;
			fault(c, k, CFSR_UNDEFINSTR, upc);
			break;
		case 17: /* EXCP_NOCP */
			if (ran)
				ran--;
			fault(c, k, CFSR_NOCP, upc);
			break;
		default:
			if (ran)
				ran--;
			fault(c, k, CFSR_INVSTATE, upc);
			break;
		}
		return ran;
	}
	if (k->stop == STOP_FPB) {
		c->regs[15] = k->last_pc;
		halt(c, DFSR_BKPT);
		return ran;
	}
	if (k->buserr) {
		/* imprecise: after the instruction that did it */
		fault(c, k, CFSR_IMPRECISERR, upc);
		return ran;
	}
	if (ran < budget && k->stop == STOP_NONE && ran && is_wfx(c, k->last_pc) &&
	    upc == k->last_pc + 2)
		k->sleeping = 1;
	return ran;
}

static void retire(struct sim_chip *c, uint64_t n)
{
	if (n)
		c->dhcsr |= S_RETIRE_ST;
}

/* One pass: exceptions, then a slice of at most max cycles. Returns the
 * cycles consumed. */
static uint64_t step_core(struct sim_chip *c, struct sim_core *k, uint64_t max)
{
	systick_update(c, k, k->cyc);
	unsigned n = next_exception(c, k);
	if (n && !k->lockup) {
		take(c, k, n, c->regs[15]);
		return 0;
	}
	if (k->lockup)
		return max;
	if (k->sleeping) {
		if (any_pending(k)) {
			k->sleeping = 0;
			return 0;
		}
		uint64_t until = k->st_zero == NEVER ? k->cyc + max : k->st_zero;
		return until - k->cyc < max ? until - k->cyc : max;
	}
	if (k->stall_cyc > k->cyc)
		return k->stall_cyc - k->cyc < max ? k->stall_cyc - k->cyc : max;
	if (k->hang)
		return max;  /* an instruction that never completes */
	uint64_t b = max;
	if (k->st_zero != NEVER && k->st_zero - k->cyc < b)
		b = k->st_zero - k->cyc;
	if (b == 0)
		b = 1;
	uint64_t ran = run_slice(c, k, b);
	k->exec_cyc += ran;
	retire(c, ran);
	if (k->reset_req) {
		k->reset_req = 0;
		k->cyc += ran;
		sim_system_reset(c, SIM_RST_SYSRESETREQ);
		return 0;
	}
	return ran;
}

int sim_core_active(struct sim_chip *c)
{
	struct sim_core *k = core_of(c);
	if (!k)
		return 0;
	if (!k->uc && !k->broken)
		engine_new(c, k);
	return k->uc != NULL;
}

static uint64_t host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The core's clock skips n cycles (it fell too far behind): SysTick (the
 * core's clock) with it, nothing executes. An NVMC stall keeps its end:
 * the flash is not in the core's clock domain. */
static void slip(struct sim_core *k, uint64_t n)
{
	k->cyc += n;
	if (k->st_zero != NEVER)
		k->st_zero += n;
}

void sim_core_catch_up(struct sim_chip *c)
{
	if (c->cpu_access)
		return;
	struct sim_core *k = core_of(c);
	if (!k)
		return;
	uint64_t now = c->t_ns;
	uint64_t target = cyc_of_ns(now);
	if (k->cyc >= target)
		return;
	if (c->halted || c->in_reset || c->dead || k->broken) {
		/* SysTick does not count in Debug state (ARMv7-M B3.3) */
		slip(k, target - k->cyc);
		return;
	}
	if (!k->uc && engine_new(c, k) < 0) {
		k->cyc = target;
		return;
	}
	/* The cap is on cycles executed, not on time: stalled (an NVMC
	 * write) or asleep (WFI), the core costs the host nothing, and a
	 * routine writing flash while the debugger sleeps for 80 ms must not
	 * lose the first 30 of them. */
	uint64_t exec0 = k->exec_cyc;
	/* With the wall clock driving time, the core may spend at most as much
	 * host time as passed since its last run (and CORE_HOST_MAX_NS):
	 * a busy-waiting core on a loaded host must not starve the debugger
	 * whose waits make it fall behind (it slips instead). */
	int wall = c->cfg.wallclock || c->cfg.realtime;
	uint64_t h0 = wall ? host_ns() : 0, hmax = 0;
	if (wall) {
		hmax = h0 - k->host_end;
		if (hmax > CORE_HOST_MAX_NS)
			hmax = CORE_HOST_MAX_NS;
		if (hmax < CORE_HOST_MIN_NS)
			hmax = CORE_HOST_MIN_NS;
	}
	unsigned guard = 0;
	while (k->cyc < target && !c->halted && !c->in_reset && !c->dead) {
		if (k->exec_cyc - exec0 >= CORE_CATCHUP_MAX_CYC ||
		    (wall && host_ns() - h0 > hmax)) {
			slip(k, target - k->cyc);
			break;
		}
		c->t_ns = ns_of_cyc(k->cyc);
		uint64_t used = step_core(c, k, target - k->cyc < CORE_SLICE_MAX ?
					  target - k->cyc : CORE_SLICE_MAX);
		if (used == 0 && ++guard > 64) {
			/* exception storms without progress: let time pass */
			used = 1;
		} else if (used) {
			guard = 0;
		}
		k->cyc += used;
		k->run_cyc += used;
	}
	if (k->cyc < target)
		slip(k, target - k->cyc);  /* halted on the way */
	c->t_ns = now;
	if (wall)
		k->host_end = host_ns();
}

/* C_STEP: one instruction, or the entry into a pending exception. */
int sim_core_step(struct sim_chip *c)
{
	struct sim_core *k = core_of(c);
	if (!k || !sim_core_active(c))
		return -1;
	systick_update(c, k, k->cyc);
	k->lockup = 0;
	k->sleeping = 0;
	unsigned n = next_exception(c, k);
	if (n) {
		take(c, k, n, c->regs[15]);
	} else {
		uint64_t ran = run_slice(c, k, 1);
		retire(c, ran);
		k->cyc += ran;
		k->run_cyc += ran;
		if (k->reset_req) {
			k->reset_req = 0;
			sim_system_reset(c, SIM_RST_SYSRESETREQ);
		}
	}
	return 0;
}

void sim_core_halted_now(struct sim_chip *c)
{
	struct sim_core *k = c->core;
	if (!k)
		return;
	k->lockup = 0;   /* entry to Debug state leaves lockup */
	k->sleeping = 0;
}

void sim_core_on_reset(struct sim_chip *c)
{
	struct sim_core *k = core_of(c);
	if (!k)
		return;
	k->lockup = 0;
	k->sleeping = 0;
	k->stall_cyc = 0;
	k->reset_req = 0;
	memset(k->pend, 0, sizeof k->pend);
	memset(k->act, 0, sizeof k->act);
	k->irq_en = 0;
	k->st_csr = 0;
	k->st_rvr = 0;
	k->st_cvr = 0;
	k->st_zero = NEVER;
	k->st_countflag = 0;
	if (k->uc)
		inval(k, 0, 0xFFFFFFFFu);
}

uint32_t sim_core_dhcsr_bits(struct sim_chip *c)
{
	struct sim_core *k = c->core;
	uint32_t v = 0;
	if (!k)
		return 0;
	if (k->lockup && !c->halted)
		v |= 1u << 19;   /* S_LOCKUP */
	if (k->sleeping && !c->halted)
		v |= 1u << 18;   /* S_SLEEP */
	return v;
}

int sim_core_executes(const struct sim_chip *c)
{
	return c->core && c->core->uc;
}

void sim_core_request_reset(struct sim_chip *c)
{
	struct sim_core *k = core_of(c);
	if (!k)
		return;
	k->reset_req = 1;
	if (k->stop == STOP_NONE)
		k->stop = STOP_FLUSH;
}

/* SCS registers owned by the core: SysTick, NVIC set/clear, ICSR, STIR.
 * 1 if handled. */
int sim_core_scs_read(struct sim_chip *c, uint32_t off, uint32_t *v)
{
	struct sim_core *k = core_of(c);
	if (!k)
		return 0;
	uint64_t now = c->cpu_access ? now_cyc(k) : k->cyc;
	switch (off) {
	case 0x010:
		systick_update(c, k, now);
		*v = k->st_csr | (k->st_countflag ? 1u << 16 : 0);
		k->st_countflag = 0;  /* reading clears COUNTFLAG */
		return 1;
	case 0x014: *v = k->st_rvr; return 1;
	case 0x018: systick_update(c, k, now); *v = systick_cvr(k, now); return 1;
	case 0x01C: *v = 0xC0000000u; return 1;  /* CALIB: NOREF, SKEW, no TENMS */
	case 0xD04: {
		unsigned act = c->regs[16] & 0x1FFu, pn = 0;
		int best = 1000;
		for (unsigned n = 2; n < CORE_NEXC; n++) {
			if (pending_ok(k, n) && prio(c, n) < best) {
				best = prio(c, n);
				pn = n;
			}
		}
		unsigned nact = 0;
		for (unsigned n = 1; n < CORE_NEXC; n++)
			nact += k->act[n];
		*v = act | (nact <= 1 ? 1u << 11 : 0) | pn << 12 |
			(pn >= 16 ? 1u << 22 : 0) | (k->pend[EXC_SYSTICK] ? 1u << 26 : 0) |
			(k->pend[EXC_PENDSV] ? 1u << 28 : 0) | (k->pend[EXC_NMI] ? 1u << 31 : 0);
		return 1;
	}
	default: break;
	}
	if (off >= 0x100 && off < 0x108) { *v = (uint32_t)(k->irq_en >> (8 * (off - 0x100))); return 1; }
	if (off >= 0x180 && off < 0x188) { *v = (uint32_t)(k->irq_en >> (8 * (off - 0x180))); return 1; }
	if ((off >= 0x200 && off < 0x208) || (off >= 0x280 && off < 0x288) ||
	    (off >= 0x300 && off < 0x308)) {
		const uint8_t *b = off >= 0x300 ? k->act : k->pend;
		unsigned base = 16 + 32 * ((off & 0x7Fu) / 4);
		uint32_t w = 0;
		for (unsigned i = 0; i < 32 && base + i < CORE_NEXC; i++)
			w |= (uint32_t)(b[base + i] != 0) << i;
		*v = w;
		return 1;
	}
	return 0;
}

int sim_core_scs_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	struct sim_core *k = core_of(c);
	if (!k)
		return 0;
	uint64_t now = c->cpu_access ? now_cyc(k) : k->cyc;
	/* firmware changed what is pending or when SysTick fires: end the
	 * slice after this instruction so the scheduler sees it at once */
	if (c->cpu_access && k->stop == STOP_NONE &&
	    ((off >= 0x010 && off <= 0x018) || off == 0xD04 || off == 0xF00 ||
	     (off >= 0x100 && off < 0x300) || (off >= 0x400 && off < 0x500) ||
	     (off >= 0xD18 && off <= 0xD20)))
		k->stop = STOP_FLUSH;
	switch (off) {
	case 0x010: {
		systick_update(c, k, now);
		uint32_t cvr = systick_cvr(k, now);
		int was = k->st_csr & 1u;
		k->st_csr = v & 7u;
		if (!was && (v & 1u))
			systick_start(k, now, cvr);
		else if (was && !(v & 1u)) {
			k->st_cvr = cvr;
			k->st_zero = NEVER;
		}
		return 1;
	}
	case 0x014: k->st_rvr = v & 0xFFFFFFu; return 1;
	case 0x018:
		k->st_countflag = 0;
		k->st_cvr = 0;
		if (k->st_csr & 1u)
			systick_start(k, now, 0);
		return 1;
	case 0x01C: return 1;
	case 0xD04:
		if (v & (1u << 31)) k->pend[EXC_NMI] = 1;
		if (v & (1u << 28)) k->pend[EXC_PENDSV] = 1;
		if (v & (1u << 27)) k->pend[EXC_PENDSV] = 0;
		if (v & (1u << 26)) k->pend[EXC_SYSTICK] = 1;
		if (v & (1u << 25)) k->pend[EXC_SYSTICK] = 0;
		return 1;
	case 0xF00:
		if ((v & 0x1FFu) + 16 < CORE_NEXC)
			k->pend[16 + (v & 0x1FFu)] = 1;
		return 1;
	default: break;
	}
	if (off >= 0x100 && off < 0x108) { k->irq_en |= (uint64_t)v << (8 * (off - 0x100)); return 1; }
	if (off >= 0x180 && off < 0x188) { k->irq_en &= ~((uint64_t)v << (8 * (off - 0x180))); return 1; }
	if ((off >= 0x200 && off < 0x208) || (off >= 0x280 && off < 0x288)) {
		unsigned base = 16 + 32 * ((off & 0x7Fu) / 4);
		for (unsigned i = 0; i < 32 && base + i < CORE_NEXC; i++)
			if (v & (1u << i))
				k->pend[base + i] = off < 0x280;
		return 1;
	}
	if (off >= 0x300 && off < 0x308)
		return 1;  /* IABR: read-only */
	return 0;
}

static int cyccnt_on(struct sim_chip *c)
{
	return (c->comp[SIM_DWT].regs[0] & 1u) && (c->demcr & (1u << 24));
}

uint32_t sim_core_cyccnt(struct sim_chip *c)
{
	struct sim_core *k = core_of(c);
	if (!k)
		return 0;
	uint64_t run = k->run_cyc + (c->cpu_access ? k->ran : 0);
	return k->cyccnt_val + (cyccnt_on(c) ? (uint32_t)(run - k->cyccnt_at) : 0);
}

void sim_core_cyccnt_set(struct sim_chip *c, uint32_t v)
{
	struct sim_core *k = core_of(c);
	if (!k)
		return;
	k->cyccnt_val = v;
	k->cyccnt_at = k->run_cyc + (c->cpu_access ? k->ran : 0);
}

void sim_core_free(struct sim_chip *c)
{
	if (!c->core)
		return;
	engine_free(c->core);
	free(c->core);
	c->core = NULL;
}
