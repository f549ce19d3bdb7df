// SPDX-License-Identifier: GPL-2.0-or-later
/* mem: what the AHB-AP reaches on the nRF52 bus.
 *
 * Map: code flash 0..size, FICR 0x10000000 (4 KiB), UICR 0x10001000
 * (1 KiB), RAM 0x20000000, peripherals 0x40000000-0x4003FFFF (read 0 and
 * ignore writes except APPROTECT and NVMC), GPIO 0x50000000-0x50000FFF
 * (same), and in the PPB the Cortex-M4 components ITM, DWT, FPB, SCS,
 * TPIU, ETM and the ROM table. Anything else is a bus error.
 *
 * NVMC (nRF52832 PS v1.4 / nRF52840 PS v1.1 NVMC chapter; facts collected
 * in ../shared/NRF52.md sections 4 and 5): CONFIG.WEN gates writes (Wen)
 * and erases (Een); a write with the wrong CONFIG is ignored; flash and
 * UICR take 32-bit aligned writes only (a byte or halfword write is a bus
 * error); a write ANDs into the word; erase sets 0xFF. READY is 0 while an
 * operation runs; READYNEXT (52833/52840 only; absent on the 52832, so a
 * bus error there) is 1 while one more word write can be buffered.
 *
 * Bus stall: while the NVMC works, an access to flash or UICR stalls the
 * AHB, so the AHB-AP answers WAIT (Black Magic Probe streams nRF52 writes
 * through the MEM-AP and polls READY only after the block, which works only
 * if the bus stalls). On 52833/52840 one word write issued while another
 * is in progress goes into the READYNEXT buffer without stalling. Writes to
 * NVMC CONFIG and ERASE* registers also stall while it is busy. Other
 * accesses (NVMC READY, RAM, the PPB) go through, so polling READY works
 * as Nordic's production programming guide describes. */
#include <string.h>

#include "sim_internal.h"

/* Timing, per part (ns):
 * - tWRITE 41 us on 52833/52840: Nordic EMDS Kconfig default
 *   (sdk-nrf PR 15448); BabbleSim's 52833 model uses 42 us. 67.5 us on
 *   the 52832: Nordic's nRF52832 flash white paper, typical.
 * - tERASEPAGE 85 ms on the 52840 (nrf-hal PR 385), 87.5 ms on 52832/52833
 *   (BabbleSim NHW_config.52833.h; nRF5340 PS).
 * - tERASEALL 173 ms (BabbleSim 52833; nRF5340 PS). UICR erase takes a
 *   page erase time (BabbleSim NHW_NVMC.c). CTRL-AP ERASEALL takes
 *   tERASEALL.
 * FICR variant words 0x10000130/0x10000134: nrfx nrf52_erratas.h
 * nrf52_configuration_249() (hardened if var2 >= 0x07 / 0x01 / 0x05 for
 * 52832 / 52833 / 52840); the legacy var2 values below are chosen under
 * those thresholds. Reset pin: nrfx system_nrf52.c RESET_PIN. */
static const struct sim_part_info parts[] = {
	{ SIM_NRF52832, "nrf52832", 0x52832, 512u * 1024, 64u * 1024, 0x2000,
	  0x06, 0x03, 0x07, 0x41414530 /* AAE0 */, 0x41414730 /* AAG0 */,
	  0, 0, 21, 67500, 87500000, 173000000 },
	{ SIM_NRF52833, "nrf52833", 0x52833, 512u * 1024, 128u * 1024, 0x2004,
	  0x0D, 0x00, 0x01, 0x41414130 /* AAA0 */, 0x41414230 /* AAB0 */,
	  1, 0, 18, 41000, 87500000, 173000000 },
	{ SIM_NRF52840, "nrf52840", 0x52840, 1024u * 1024, 256u * 1024, 0x2004,
	  0x08, 0x03, 0x05, 0x41414430 /* AAD0 */, 0x41414630 /* AAF0 */,
	  1, 1, 18, 41000, 85000000, 173000000 },
};

const struct sim_part_info *sim_part_lookup(enum sim_part p)
{
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (parts[i].part == p)
			return &parts[i];
	return NULL;
}

const struct sim_part_info *sim_part_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (!strcmp(parts[i].name, name) || !strcmp(parts[i].name + 3, name))
			return &parts[i];
	return NULL;
}

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Flash or UICR byte storage behind addr, or NULL. */
static uint8_t *nv_ptr(struct sim_chip *c, uint32_t addr)
{
	if (addr < c->pi->flash_size)
		return c->flash + addr;
	if (addr >= SIM_UICR_BASE && addr - SIM_UICR_BASE < SIM_UICR_SIZE)
		return c->uicr + (addr - SIM_UICR_BASE);
	return NULL;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* ---------------- FICR ---------------- */

void sim_ficr_init(struct sim_chip *c)
{
	const struct sim_part_info *pi = c->pi;
	uint64_t id = c->cfg.device_id;
	if (!id) {
		/* FNV-1a over the state path (or "volatile") and the part:
		 * stable across runs of the same simulated chip. */
		const char *s = c->state_path ? c->state_path : "volatile";
		id = 0xCBF29CE484222325ull;
		for (; *s; s++)
			id = (id ^ (uint8_t)*s) * 0x100000001B3ull;
		for (const char *n = pi->name; *n; n++)
			id = (id ^ (uint8_t)*n) * 0x100000001B3ull;
	}
	uint64_t seed = id;
	for (size_t i = 0; i < SIM_FICR_SIZE / 4; i++)
		c->ficr[i] = 0xFFFFFFFFu;
	int hard = c->cfg.rev == SIM_REV_HARDENED;
	c->ficr[0x010 / 4] = SIM_PAGE_SIZE;                 /* CODEPAGESIZE */
	c->ficr[0x014 / 4] = pi->flash_size / SIM_PAGE_SIZE; /* CODESIZE, pages */
	c->ficr[0x060 / 4] = (uint32_t)id;                   /* DEVICEID[0] */
	c->ficr[0x064 / 4] = (uint32_t)(id >> 32);           /* DEVICEID[1] */
	for (unsigned i = 0; i < 8; i++)                     /* ER[4], IR[4] */
		c->ficr[0x080 / 4 + i] = (uint32_t)splitmix(&seed);
	uint64_t a = splitmix(&seed);
	c->ficr[0x0A0 / 4] = 0xFFFFFFFFu;                    /* DEVICEADDRTYPE: random */
	c->ficr[0x0A4 / 4] = (uint32_t)a;                    /* DEVICEADDR[0] */
	/* a static random address has its two top bits set */
	c->ficr[0x0A8 / 4] = 0xFFFF0000u | 0xC000u | (uint32_t)((a >> 32) & 0x3FFFu);
	c->ficr[0x100 / 4] = pi->info_part;
	c->ficr[0x104 / 4] = hard ? pi->variant_hardened : pi->variant_legacy;
	c->ficr[0x108 / 4] = pi->package;
	c->ficr[0x10C / 4] = pi->ram_size / 1024;
	c->ficr[0x110 / 4] = pi->flash_size / 1024;
	c->ficr[0x130 / 4] = pi->var1;
	c->ficr[0x134 / 4] = hard ? pi->var2_hardened : pi->var2_legacy;
}

/* ---------------- NVMC ---------------- */

static void start_write(struct sim_chip *c, uint32_t addr, uint32_t val, uint64_t t0)
{
	uint8_t *p = nv_ptr(c, addr);
	uint32_t old = ld32(p);
	c->cnt.nvmc_writes++;
	c->nvmc_wtotal++;
	if (c->power_loss_at_write && c->nvmc_wtotal == c->power_loss_at_write) {
		/* Power fails mid-write: a random proper subset of the bits to be
		 * cleared made it; the chip is dead until a power cycle. */
		uint32_t clear = old & ~val;
		uint32_t m = clear & (uint32_t)splitmix(&c->rng);
		if (m == clear && clear)
			m &= ~(1u << (31 - __builtin_clz(clear)));
		st32(p, old & ~m);
		c->power_loss_at_write = 0;
		c->dead = 1;
		c->tdrive = 0;
		c->nvmc_op = SIM_NVMC_IDLE;
		c->nvmc_buffered = 0;
		return;
	}
	st32(p, old & val);
	sim_core_code_changed(c, addr, 4);
	c->nvmc_op = SIM_NVMC_WRITE;
	c->nvmc_until = t0 + c->pi->t_write_ns;
}

static void start_erase(struct sim_chip *c, uint64_t dur)
{
	c->nvmc_op = SIM_NVMC_ERASE;
	c->nvmc_until = c->t_ns + dur;
}

void sim_nvmc_update(struct sim_chip *c)
{
	uint64_t now = c->t_ns;
	while (c->nvmc_op != SIM_NVMC_IDLE && now >= c->nvmc_until) {
		if (c->nvmc_buffered) {
			c->nvmc_buffered = 0;
			start_write(c, c->nvmc_buf_addr, c->nvmc_buf_val, c->nvmc_until);
		} else {
			c->nvmc_op = SIM_NVMC_IDLE;
		}
	}
	if (c->ctrl_erasing && now >= c->ctrl_erase_until) {
		c->ctrl_erasing = 0;
		c->erase_unlocked = 1;
		sim_eval_approtect(c);
	}
}

int sim_eraseall_busy(struct sim_chip *c)
{
	sim_nvmc_update(c);
	return c->ctrl_erasing;
}

void sim_ctrlap_eraseall(struct sim_chip *c)
{
	sim_nvmc_update(c);
	if (c->ctrl_erasing)
		return;
	memset(c->flash, 0xFF, c->pi->flash_size);
	memset(c->uicr, 0xFF, SIM_UICR_SIZE);
	memset(c->ram, 0, c->pi->ram_size);
	sim_core_code_changed(c, 0, c->pi->flash_size);
	sim_core_code_changed(c, SIM_RAM_BASE, c->pi->ram_size);
	c->cnt.ctrlap_erase_alls++;
	c->ctrl_erasing = 1;
	c->ctrl_erase_until = c->t_ns + c->pi->t_eraseall_ns;
	c->nvmc_buffered = 0;
	if (c->nvmc_op == SIM_NVMC_IDLE || c->nvmc_until < c->ctrl_erase_until) {
		c->nvmc_op = SIM_NVMC_ERASE;
		c->nvmc_until = c->ctrl_erase_until;
	}
}

/* UICR.APPROTECT protects the part (for the 52840's ERASEUICR rule). */
static int uicr_protects(const struct sim_chip *c)
{
	uint32_t pall = ld32(c->uicr + SIM_UICR_APPROTECT) & 0xFFu;
	if (c->cfg.rev == SIM_REV_HARDENED)
		return pall != 0x5A;
	return pall != 0xFF;
}

static int in_nv(const struct sim_chip *c, uint32_t addr)
{
	return addr < c->pi->flash_size ||
		(addr >= SIM_UICR_BASE && addr - SIM_UICR_BASE < SIM_UICR_SIZE);
}

int sim_bus_stalls(struct sim_chip *c, uint32_t addr, int write)
{
	sim_nvmc_update(c);
	if (c->nvmc_op == SIM_NVMC_IDLE)
		return 0;
	if (in_nv(c, addr)) {
		if (write && c->nvmc_op == SIM_NVMC_WRITE && c->pi->has_readynext &&
		    !c->nvmc_buffered && !c->ctrl_erasing)
			return 0;
		return 1;
	}
	if (write && addr >= SIM_NVMC_BASE + 0x504 && addr <= SIM_NVMC_BASE + 0x51C)
		return 1;
	return 0;
}

static void nv_write(struct sim_chip *c, uint32_t addr, uint32_t v)
{
	if ((c->nvmc_config & 3u) != 1u)
		return;  /* not in write mode: ignored */
	sim_nvmc_update(c);
	if (c->nvmc_op == SIM_NVMC_WRITE && !c->nvmc_buffered && c->pi->has_readynext) {
		c->nvmc_buffered = 1;
		c->nvmc_buf_addr = addr;
		c->nvmc_buf_val = v;
		return;
	}
	if (c->nvmc_op != SIM_NVMC_IDLE)
		return;  /* only reachable from back doors: the bus stalls first */
	start_write(c, addr, v, c->t_ns);
}

static int nvmc_read(struct sim_chip *c, uint32_t off, uint32_t *v)
{
	sim_nvmc_update(c);
	switch (off) {
	case 0x400: /* READY */
		*v = c->nvmc_op == SIM_NVMC_IDLE;
		return 0;
	case 0x408: /* READYNEXT */
		if (!c->pi->has_readynext)
			return -1;
		*v = c->nvmc_op == SIM_NVMC_IDLE ||
			(c->nvmc_op == SIM_NVMC_WRITE && !c->nvmc_buffered && !c->ctrl_erasing);
		return 0;
	case 0x504:
		*v = c->nvmc_config;
		return 0;
	case 0x518: case 0x51C: /* ERASEPAGEPARTIAL(CFG): not on the 52832 */
		if (!c->pi->has_readynext)
			return -1;
		*v = 0;
		return 0;
	default:
		*v = 0;
		return 0;
	}
}

static int nvmc_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	sim_nvmc_update(c);
	int een = (c->nvmc_config & 3u) == 2u;
	switch (off) {
	case 0x408:
		return c->pi->has_readynext ? 0 : -1;
	case 0x504:
		c->nvmc_config = v & 3u;
		return 0;
	case 0x508: /* ERASEPAGE = ERASEPCR1 */
	case 0x510: /* ERASEPCR0 (deprecated) */
		if (een && c->nvmc_op == SIM_NVMC_IDLE && v < c->pi->flash_size) {
			memset(c->flash + (v & ~(SIM_PAGE_SIZE - 1)), 0xFF, SIM_PAGE_SIZE);
			sim_core_code_changed(c, v & ~(SIM_PAGE_SIZE - 1), SIM_PAGE_SIZE);
			c->cnt.nvmc_page_erases++;
			start_erase(c, c->pi->t_erasepage_ns);
		}
		return 0;
	case 0x50C: /* ERASEALL */
		if (een && (v & 1u) && c->nvmc_op == SIM_NVMC_IDLE) {
			memset(c->flash, 0xFF, c->pi->flash_size);
			memset(c->uicr, 0xFF, SIM_UICR_SIZE);
			sim_core_code_changed(c, 0, c->pi->flash_size);
			c->cnt.nvmc_erase_alls++;
			start_erase(c, c->pi->t_eraseall_ns);
		}
		return 0;
	case 0x514: /* ERASEUICR; the 52840 refuses it while APPROTECT is set */
		if (een && (v & 1u) && c->nvmc_op == SIM_NVMC_IDLE &&
		    !(c->pi->eraseuicr_needs_unprotected && uicr_protects(c))) {
			memset(c->uicr, 0xFF, SIM_UICR_SIZE);
			c->cnt.nvmc_uicr_erases++;
			start_erase(c, c->pi->t_erasepage_ns);
		}
		return 0;
	case 0x518: case 0x51C:
		return c->pi->has_readynext ? 0 : -1;
	default:
		return 0;
	}
}

/* ---------------- APPROTECT and resets ---------------- */

void sim_eval_approtect(struct sim_chip *c)
{
	c->locked = c->force_protect || (!c->erase_unlocked && c->reset_locked);
}

/* What a reset reads: legacy parts lock when UICR.APPROTECT.PALL != 0xFF;
 * hardened parts stay locked unless PALL = HwDisabled (0x5A) and the
 * firmware writes APPROTECT.DISABLE = SwDisabled after reset (MDK
 * system_nrf52_approtect.h copies UICR.APPROTECT into it). */
static void hardened_eval(struct sim_chip *c)
{
	uint32_t pall = ld32(c->uicr + SIM_UICR_APPROTECT) & 0xFFu;
	c->reset_locked = !(pall == 0x5A && (c->approtect_disable & 0xFFu) == 0x5A);
}

static void sample_approtect(struct sim_chip *c)
{
	uint32_t pall = ld32(c->uicr + SIM_UICR_APPROTECT) & 0xFFu;
	if (c->cfg.rev == SIM_REV_LEGACY) {
		c->reset_locked = pall != 0xFF;
		return;
	}
	hardened_eval(c);
}

static void scs_reset(struct sim_chip *c);

#define DHCSR_C_DEBUGEN (1u << 0)
#define DHCSR_C_HALT (1u << 1)
#define DHCSR_C_STEP (1u << 2)
#define DHCSR_S_REGRDY (1u << 16)
#define DHCSR_S_HALT (1u << 17)
#define DHCSR_S_RETIRE_ST (1u << 24)
#define DHCSR_S_RESET_ST (1u << 25)
#define DFSR_HALTED (1u << 0)
#define DFSR_VCATCH (1u << 3)
#define DEMCR_VC_CORERESET (1u << 0)

/* ARMv7-M B1.5.5 TakeReset: MSP and PC from the vector table at 0 (an
 * erased chip gives 0xFFFFFFFC and 0xFFFFFFFE: its first fetch faults,
 * the HardFault cannot be stacked, and the core locks up, as silicon
 * does), LR 0xFFFFFFFF, EPSR.T from bit 0 of the vector. */
static void core_reset(struct sim_chip *c)
{
	uint32_t pc = ld32(c->flash + 4);
	memset(c->regs, 0, sizeof c->regs);
	c->regs[17] = ld32(c->flash) & ~3u;     /* MSP from the vector table */
	c->regs[15] = pc & ~1u;                 /* PC = reset vector */
	c->regs[14] = 0xFFFFFFFFu;              /* LR */
	c->regs[16] = (pc & 1u) << 24;          /* xPSR: Thumb from the vector */
	sim_core_on_reset(c);
	c->dhcsr |= DHCSR_S_RESET_ST;
	c->dhcsr &= ~DHCSR_C_STEP;
	if ((c->demcr & DEMCR_VC_CORERESET) && (c->dhcsr & DHCSR_C_DEBUGEN)) {
		c->halted = 1;
		c->dhcsr |= DHCSR_C_HALT;
		c->dfsr |= DFSR_VCATCH;
	} else {
		c->halted = 0;
		c->dhcsr &= ~DHCSR_C_HALT;
	}
}

void sim_system_reset(struct sim_chip *c, enum sim_reset_kind kind)
{
	c->cnt.resets++;
	if (kind == SIM_RST_POWER) {
		memset(c->ram, 0, c->pi->ram_size);
		sim_core_code_changed(c, SIM_RAM_BASE, c->pi->ram_size);
		sim_dp_reset(c);
		sim_ap_reset(c);
		c->dhcsr = 0;
		c->demcr = 0;
		c->dfsr = 0;
		c->dcrdr = 0;
		sim_ppb_init(c);
		c->dead = 0;
		c->nvmc_op = SIM_NVMC_IDLE;
		c->nvmc_buffered = 0;
		c->ctrl_reset = 0;
		c->ctrl_eraseall = 0;
		c->ctrl_erasing = 0;
		c->in_reset = c->nreset_low;
	}
	/* A CTRL-AP reset keeps an ERASEALL unlock: probe-rs resets through the
	 * CTRL-AP after ERASEALL and then requires APPROTECTSTATUS != 0. */
	if (kind != SIM_RST_CTRLAP)
		c->erase_unlocked = 0;
	c->nvmc_config = 0;
	c->clk_hf_run = c->clk_lf_run = c->clk_hf_started = c->clk_lf_started = 0;
	c->clk_lfsrc = 0;
	c->force_protect = 0;
	c->approtect_disable = 0;
	c->aircr_prigroup = 0;
	scs_reset(c);
	sample_approtect(c);
	sim_eval_approtect(c);
	core_reset(c);
}

void sim_power_cycle(struct sim_chip *c)
{
	sim_system_reset(c, SIM_RST_POWER);
}

/* Pin reset works only when UICR.PSELRESET[0] and [1] both connect the
 * part's reset pin (nRF52 PS, UICR.PSELRESET; the MDK writes both). */
static int pin_reset_connected(const struct sim_chip *c)
{
	for (unsigned i = 0; i < 2; i++) {
		uint32_t v = ld32(c->uicr + SIM_UICR_PSELRESET0 + 4 * i);
		if ((v & 0x80000000u) || (v & 0x3Fu) != c->pi->reset_pin)
			return 0;
	}
	return 1;
}

void sim_nreset(struct sim_chip *c, int level)
{
	if (!pin_reset_connected(c)) {
		c->nreset_low = 0;
		return;
	}
	if (!level) {
		c->nreset_low = 1;
		c->in_reset = 1;
	} else if (c->nreset_low) {
		c->nreset_low = 0;
		c->in_reset = c->ctrl_reset;
		sim_system_reset(c, SIM_RST_PIN);
	}
}

/* ---------------- PPB: Cortex-M4 components ---------------- */

struct comp_id {
	uint32_t base;
	uint8_t pidr4, pidr0, pidr1, pidr2, pidr3, cls;
};

/* Cortex-M4 TRM r0p1, tables "ROM table identification values" and the
 * component PID/CID tables; CoreSight CIDR = 0xB105_X00D with X the class. */
static const struct comp_id comp_ids[SIM_NCOMP] = {
	[SIM_ITM] = { 0xE0000000u, 0x04, 0x01, 0xB0, 0x3B, 0x00, 0xE },
	[SIM_DWT] = { 0xE0001000u, 0x04, 0x02, 0xB0, 0x3B, 0x00, 0xE },
	[SIM_FPB] = { 0xE0002000u, 0x04, 0x03, 0xB0, 0x2B, 0x00, 0xE },
	[SIM_SCS] = { 0xE000E000u, 0x04, 0x0C, 0xB0, 0x0B, 0x00, 0xE },
	[SIM_TPIU] = { 0xE0040000u, 0x04, 0xA1, 0xB9, 0x0B, 0x00, 0x9 },
	[SIM_ETM] = { 0xE0041000u, 0x04, 0x25, 0xB9, 0x4B, 0x00, 0x9 },
	[SIM_ROM] = { 0xE00FF000u, 0x04, 0xC4, 0xB4, 0x0B, 0x00, 0x1 },
};

#define ROM_BASE 0xE00FF000u

static void scs_reset(struct sim_chip *c)
{
	uint32_t *r = c->comp[SIM_SCS].regs;
	/* keep the identification block at 0xFD0.. */
	memset(r, 0, 0xFD0);
	r[0x004 / 4] = 1;            /* ICTR: 33..64 interrupt lines */
	r[0xD14 / 4] = 0x200;        /* CCR: STKALIGN */
	r[0xF34 / 4] = 0xC0000000u;  /* FPCCR: ASPEN, LSPEN */
}

void sim_ppb_init(struct sim_chip *c)
{
	for (unsigned i = 0; i < SIM_NCOMP; i++) {
		struct sim_comp *k = &c->comp[i];
		const struct comp_id *id = &comp_ids[i];
		memset(k->regs, 0, sizeof k->regs);
		k->base = id->base;
		k->regs[0xFD0 / 4] = id->pidr4;
		k->regs[0xFE0 / 4] = id->pidr0;
		k->regs[0xFE4 / 4] = id->pidr1;
		k->regs[0xFE8 / 4] = id->pidr2;
		k->regs[0xFEC / 4] = id->pidr3;
		k->regs[0xFF0 / 4] = 0x0D;
		k->regs[0xFF4 / 4] = (uint32_t)id->cls << 4;
		k->regs[0xFF8 / 4] = 0x05;
		k->regs[0xFFC / 4] = 0xB1;
	}
	uint32_t *rom = c->comp[SIM_ROM].regs;
	/* ROM table entries: signed offsets from the table, present | 32-bit
	 * format (ADIv5.2 D3.4.4), in the Cortex-M4 order. */
	static const enum sim_comp_idx order[] = { SIM_SCS, SIM_DWT, SIM_FPB, SIM_ITM, SIM_TPIU, SIM_ETM };
	for (unsigned i = 0; i < 6; i++)
		rom[i] = (comp_ids[order[i]].base - ROM_BASE) | 3u;
	rom[6] = 0;                        /* end of table */
	rom[0xFCC / 4] = 1;                /* MEMTYPE: system memory present */
	/* DWT: 4 comparators, no trace/profiling counters missing */
	c->comp[SIM_DWT].regs[0] = 0x40000000u;
	/* FPB: REV 0 (v1), NUM_CODE 6, NUM_LIT 2 */
	c->comp[SIM_FPB].regs[0] = (2u << 8) | (6u << 4);
	/* TPIU: supported port sizes 1..4, current 1, SPPR SWO Manchester,
	 * FFCR TrigIn, TYPE, DEVTYPE (trace sink, port) */
	uint32_t *tp = c->comp[SIM_TPIU].regs;
	tp[0x000 / 4] = 0xF;
	tp[0x004 / 4] = 1;
	tp[0x0F0 / 4] = 1;
	tp[0x304 / 4] = 0x102;
	tp[0xFC8 / 4] = 0xCA1;
	tp[0xFCC / 4] = 0x11;
	/* ETM: programming bit set out of reset, ETMIDR for the ETM-M4,
	 * DEVTYPE trace source, processor */
	uint32_t *etm = c->comp[SIM_ETM].regs;
	etm[0x000 / 4] = 0x411;
	etm[0x1E4 / 4] = 0x4114F250u;
	etm[0xFCC / 4] = 0x13;
	scs_reset(c);
}

static struct sim_comp *comp_at(struct sim_chip *c, uint32_t addr, unsigned *idx)
{
	for (unsigned i = 0; i < SIM_NCOMP; i++) {
		if ((addr & ~0xFFFu) == c->comp[i].base) {
			*idx = i;
			return &c->comp[i];
		}
	}
	return NULL;
}

static uint32_t dhcsr_read(struct sim_chip *c, int side_effects)
{
	uint32_t v = c->dhcsr & 0x2Fu;
	v |= DHCSR_S_REGRDY;
	if (c->halted)
		v |= DHCSR_S_HALT;
	else if (!c->in_reset && !sim_core_executes(c))
		v |= DHCSR_S_RETIRE_ST;  /* no engine: pretend instructions retire */
	v |= sim_core_dhcsr_bits(c);
	v |= c->dhcsr & (DHCSR_S_RETIRE_ST | DHCSR_S_RESET_ST);
	if (c->in_reset)
		v |= DHCSR_S_RESET_ST;
	if (side_effects)
		c->dhcsr &= ~(DHCSR_S_RETIRE_ST | DHCSR_S_RESET_ST);
	return v;
}

static void dhcsr_write(struct sim_chip *c, uint32_t v)
{
	if ((v >> 16) != 0xA05Fu)
		return;  /* no debug key: ignored */
	uint32_t cbits = v & 0x2Fu;
	if (!(cbits & DHCSR_C_DEBUGEN)) {
		c->dhcsr &= ~0x2Fu;
		c->halted = 0;
		return;
	}
	c->dhcsr = (c->dhcsr & ~0x2Fu) | cbits;
	if (cbits & DHCSR_C_HALT) {
		if (!c->halted) {
			c->halted = 1;
			c->dfsr |= DFSR_HALTED;
			sim_core_halted_now(c);
		}
	} else if (c->halted) {
		if (cbits & DHCSR_C_STEP) {
			if (sim_core_step(c) < 0) {
				/* no engine: pretend a 16-bit instruction */
				c->regs[15] += 2;
				c->dhcsr |= DHCSR_S_RETIRE_ST;
			}
			c->dfsr |= DFSR_HALTED;
		} else {
			c->halted = 0;
		}
	}
}

/* DCRSR REGSEL (ARMv7-M C1.6.3): 0-12 R0-R12, 13 SP (the current one: MSP
 * here, CONTROL.SPSEL is not modelled), 14 LR, 15 DebugReturnAddress, 16
 * xPSR, 17 MSP, 18 PSP, 20 CONTROL/FAULTMASK/BASEPRI/PRIMASK, 33 FPSCR,
 * 64-95 S0-S31. */
static int regsel_ok(unsigned sel)
{
	return sel <= 18 || sel == 20 || sel == 33 || (sel >= 64 && sel <= 95);
}

static void dcrsr_write(struct sim_chip *c, uint32_t v)
{
	unsigned sel = v & 0x7Fu;
	if (!regsel_ok(sel))
		return;
	if (sel == 13)  /* the SP in use: PSP in thread mode with CONTROL.SPSEL */
		sel = !(c->regs[16] & 0x1FFu) && (c->regs[20] & (2u << 24)) ? 18 : 17;
	if (v & (1u << 16))
		c->regs[sel] = c->dcrdr;
	else
		c->dcrdr = c->regs[sel];
}

static int scs_read(struct sim_chip *c, uint32_t off, uint32_t *v, int side_effects)
{
	static const uint32_t id_regs[] = { /* 0xD40..0xD70, Cortex-M4 TRM */
		0x00000030, 0x00000200, 0x00100000, 0x00000000, 0x00100030,
		0x00000000, 0x01000000, 0x00000000, 0x01101110, 0x02111000,
		0x21112231, 0x01111110, 0x01310132,
	};
	if (sim_core_scs_read(c, off, v))
		return 0;
	switch (off) {
	case 0xD00: *v = 0x410FC241u; return 0;  /* CPUID: Cortex-M4 r0p1 */
	case 0xD0C: *v = 0xFA050000u | (c->aircr_prigroup << 8); return 0;
	case 0xD30: *v = c->dfsr; return 0;
	case 0xDF0: *v = dhcsr_read(c, side_effects); return 0;
	case 0xDF4: *v = 0; return 0;
	case 0xDF8: *v = c->dcrdr; return 0;
	case 0xDFC: *v = c->demcr; return 0;
	case 0xF40: *v = 0x10110021u; return 0;  /* MVFR0: FPv4-SP */
	case 0xF44: *v = 0x11000011u; return 0;  /* MVFR1 */
	default: break;
	}
	if (off >= 0xD40 && off <= 0xD70) {
		*v = id_regs[(off - 0xD40) / 4];
		return 0;
	}
	*v = c->comp[SIM_SCS].regs[off / 4];
	return 0;
}

static void scs_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	if (sim_core_scs_write(c, off, v))
		return;
	if (c->cpu_access && off >= 0xDF0 && off <= 0xDF8)
		return;  /* DHCSR, DCRSR, DCRDR: the debugger's */
	switch (off) {
	case 0xD00: case 0xD04: case 0xF40: case 0xF44: case 0x004:
		return;  /* RO */
	case 0xD0C: /* AIRCR */
		if ((v >> 16) != 0x05FAu)
			return;
		c->aircr_prigroup = (v >> 8) & 7u;
		if (c->cpu_access) {
			/* from firmware: after the instruction that asked */
			if (v & (1u << 2))
				sim_core_request_reset(c);
		} else if (v & (1u << 2)) {
			sim_system_reset(c, SIM_RST_SYSRESETREQ);
		} else if (v & 1u) {  /* VECTRESET: the core only */
			core_reset(c);
		}
		return;
	case 0xD30: c->dfsr &= ~(v & 0x1Fu); return;
	case 0xDF0: dhcsr_write(c, v); return;
	case 0xDF4: dcrsr_write(c, v); return;
	case 0xDF8: c->dcrdr = v; return;
	case 0xDFC: c->demcr = v & 0x010F07F1u; return;
	default: break;
	}
	if ((off >= 0xD40 && off <= 0xD7C) || off >= 0xFC0)
		return;
	c->comp[SIM_SCS].regs[off / 4] = v;
}

static int ppb_read(struct sim_chip *c, uint32_t addr, uint32_t *v, int side_effects)
{
	unsigned idx;
	struct sim_comp *k = comp_at(c, addr, &idx);
	if (!k)
		return -1;
	uint32_t off = addr & 0xFFCu;
	if (idx == SIM_SCS)
		return scs_read(c, off, v, side_effects);
	if (idx == SIM_DWT && off == 0x004) {
		*v = sim_core_cyccnt(c);
		return 0;
	}
	*v = k->regs[off / 4];
	return 0;
}

static int ppb_write(struct sim_chip *c, uint32_t addr, uint32_t v)
{
	unsigned idx;
	struct sim_comp *k = comp_at(c, addr, &idx);
	if (!k)
		return -1;
	uint32_t off = addr & 0xFFCu;
	if (idx == SIM_SCS) {
		scs_write(c, off, v);
		return 0;
	}
	if (off >= 0xFC0 || idx == SIM_ROM)
		return 0;  /* identification / ROM table: read-only */
	if (idx == SIM_FPB && off == 0) {
		if (v & 2u)  /* KEY */
			k->regs[0] = (k->regs[0] & ~1u) | (v & 1u);
		return 0;
	}
	if (idx == SIM_DWT && off == 0) {
		sim_core_cyccnt_set(c, sim_core_cyccnt(c));  /* freeze or start at its value */
		k->regs[0] = (k->regs[0] & 0xFF000000u) | (v & 0x00FFFFFFu);
		return 0;
	}
	if (idx == SIM_DWT && off == 0x004) {
		sim_core_cyccnt_set(c, v);
		return 0;
	}
	k->regs[off / 4] = v;
	return 0;
}

/* ---------------- bus ---------------- */

/* CLOCK (nRF52 PS, CLOCK chapter): the oscillators start at once, so
 * start-up code that waits for EVENTS_HFCLKSTARTED/LFCLKSTARTED goes on. */
#define CLOCK_BASE 0x40000000u

static int clock_read(struct sim_chip *c, uint32_t off, uint32_t *v)
{
	switch (off) {
	case 0x100: *v = c->clk_hf_started; return 1;   /* EVENTS_HFCLKSTARTED */
	case 0x104: *v = c->clk_lf_started; return 1;   /* EVENTS_LFCLKSTARTED */
	case 0x408: *v = c->clk_hf_run; return 1;       /* HFCLKRUN */
	case 0x40C: *v = c->clk_hf_run ? 0x10001u : 0; return 1;  /* HFCLKSTAT: Xtal, running */
	case 0x414: *v = c->clk_lf_run; return 1;       /* LFCLKRUN */
	case 0x418: *v = c->clk_lf_run ? 0x10000u | (c->clk_lfsrc & 3u) : 0; return 1;
	case 0x518: *v = c->clk_lfsrc; return 1;        /* LFCLKSRC */
	default: return 0;
	}
}

static int clock_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	switch (off) {
	case 0x000: if (v & 1u) { c->clk_hf_run = 1; c->clk_hf_started = 1; } return 1;
	case 0x004: if (v & 1u) c->clk_hf_run = 0; return 1;
	case 0x008: if (v & 1u) { c->clk_lf_run = 1; c->clk_lf_started = 1; } return 1;
	case 0x00C: if (v & 1u) c->clk_lf_run = 0; return 1;
	case 0x100: c->clk_hf_started = v & 1u; return 1;
	case 0x104: c->clk_lf_started = v & 1u; return 1;
	case 0x518: c->clk_lfsrc = v & 0x30003u; return 1;
	default: return 0;
	}
}

static int periph_read(struct sim_chip *c, uint32_t addr, uint32_t *v)
{
	if ((addr & ~0xFFFu) == SIM_NVMC_BASE)
		return nvmc_read(c, addr & 0xFFCu, v);
	if ((addr & ~0xFFFu) == CLOCK_BASE && clock_read(c, addr & 0xFFCu, v))
		return 0;
	if (addr == 0x40000558u && c->cfg.rev == SIM_REV_HARDENED) {
		*v = c->approtect_disable;
		return 0;
	}
	if (c->cpu_access)
		c->cnt.periph_unimpl_reads++;
	*v = 0;
	return 0;
}

static int periph_write(struct sim_chip *c, uint32_t addr, uint32_t v)
{
	if ((addr & ~0xFFFu) == SIM_NVMC_BASE)
		return nvmc_write(c, addr & 0xFFCu, v);
	if ((addr & ~0xFFFu) == CLOCK_BASE && clock_write(c, addr & 0xFFCu, v))
		return 0;
	if (c->cpu_access && !(c->cfg.rev == SIM_REV_HARDENED &&
			       (addr == 0x40000550u || addr == 0x40000558u))) {
		c->cnt.periph_unimpl_writes++;
		c->last_unimpl = addr;
	}
	if (c->cfg.rev == SIM_REV_HARDENED) {
		if (addr == 0x40000550u && (v & 0xFFu) == 0) {  /* FORCEPROTECT = Force */
			c->force_protect = 1;
			sim_eval_approtect(c);
		} else if (addr == 0x40000558u) {               /* DISABLE */
			/* firmware opens the software half: debug access from now
			 * until the next reset (MDK system_nrf52_approtect.h) */
			c->approtect_disable = v;
			hardened_eval(c);
			sim_eval_approtect(c);
		}
	}
	return 0;
}

static int bus_read_fx(struct sim_chip *c, uint32_t addr, uint32_t *v, int side_effects)
{
	addr &= ~3u;
	uint8_t *p = nv_ptr(c, addr);
	if (p) {
		*v = ld32(p);
		return 0;
	}
	if (addr - SIM_FICR_BASE < SIM_FICR_SIZE) {
		*v = c->ficr[(addr - SIM_FICR_BASE) / 4];
		return 0;
	}
	if (addr - SIM_RAM_BASE < c->pi->ram_size) {
		*v = ld32(c->ram + (addr - SIM_RAM_BASE));
		return 0;
	}
	if (addr - 0x40000000u < 0x40000u)
		return periph_read(c, addr, v);
	if (addr - 0x50000000u < 0x1000u) {
		*v = 0;
		return 0;
	}
	if (addr >= 0xE0000000u && addr < 0xE0100000u)
		return ppb_read(c, addr, v, side_effects);
	return -1;
}

int sim_bus_read(struct sim_chip *c, uint32_t addr, uint32_t *v)
{
	return bus_read_fx(c, addr, v, 1);
}

int sim_bus_write(struct sim_chip *c, uint32_t addr, uint32_t data, unsigned size)
{
	uint32_t lane = addr & 3u;
	uint32_t mask = size == 4 ? 0xFFFFFFFFu : ((size == 2 ? 0xFFFFu : 0xFFu) << (8 * lane));
	uint32_t wa = addr & ~3u;

	if (in_nv(c, wa)) {
		if (size != 4)
			return -1;  /* flash takes words only */
		nv_write(c, wa, data);
		return 0;
	}
	if (wa - SIM_FICR_BASE < SIM_FICR_SIZE)
		return -1;
	if (wa - SIM_RAM_BASE < c->pi->ram_size) {
		uint8_t *p = c->ram + (wa - SIM_RAM_BASE);
		st32(p, (ld32(p) & ~mask) | (data & mask));
		sim_core_code_changed(c, wa, 4);  /* code the debugger loads (trap 2) */
		return 0;
	}
	int periph = wa - 0x40000000u < 0x40000u;
	int ppb = wa >= 0xE0000000u && wa < 0xE0100000u;
	if (!periph && !ppb)
		return wa - 0x50000000u < 0x1000u ? 0 : -1;
	if (size != 4) {
		uint32_t old;
		if (bus_read_fx(c, wa, &old, 0) < 0)
			return -1;
		data = (old & ~mask) | (data & mask);
	}
	return periph ? periph_write(c, wa, data) : ppb_write(c, wa, data);
}

/* ---------------- back doors ---------------- */

int sim_peek(const struct sim_chip *cc, uint32_t addr, void *buf, size_t len)
{
	struct sim_chip *c = (struct sim_chip *)cc;  /* reads only */
	uint8_t *out = buf;
	for (size_t i = 0; i < len; i++) {
		uint32_t a = addr + (uint32_t)i;
		const uint8_t *p = nv_ptr(c, a);
		if (p) {
			out[i] = *p;
		} else if (a - SIM_FICR_BASE < SIM_FICR_SIZE) {
			uint32_t w = c->ficr[(a - SIM_FICR_BASE) / 4];
			out[i] = (uint8_t)(w >> (8 * (a & 3u)));
		} else if (a - SIM_RAM_BASE < c->pi->ram_size) {
			out[i] = c->ram[a - SIM_RAM_BASE];
		} else {
			return -1;
		}
	}
	return 0;
}

void sim_fault_corrupt(struct sim_chip *c, uint32_t addr, uint8_t xor_mask)
{
	uint8_t *p = nv_ptr(c, addr);
	if (p)
		*p ^= xor_mask;
	else if (addr - SIM_RAM_BASE < c->pi->ram_size)
		c->ram[addr - SIM_RAM_BASE] ^= xor_mask;
	sim_core_code_changed(c, addr & ~3u, 4);
}

void sim_fault_power_loss_at_write(struct sim_chip *c, uint64_t nth)
{
	c->power_loss_at_write = nth ? c->nvmc_wtotal + nth : 0;
}

int sim_is_locked(const struct sim_chip *cc)
{
	struct sim_chip *c = (struct sim_chip *)cc;
	sim_now(c);
	sim_nvmc_update(c);
	return c->locked;
}

enum sim_part sim_part(const struct sim_chip *c)
{
	return c->pi->part;
}

uint32_t sim_flash_size(const struct sim_chip *c)
{
	return c->pi->flash_size;
}

int sim_core_halted(const struct sim_chip *c)
{
	return c->halted;
}

int sim_core_can_execute(struct sim_chip *c)
{
	return sim_core_active(c);
}

uint32_t sim_last_unimpl_write(const struct sim_chip *c)
{
	return c->last_unimpl;
}
