// SPDX-License-Identifier: GPL-2.0-or-later
/* sim_internal: state of the simulated nRF52 shared by the sim/ files.
 *
 *   swdp.c    the wire: per-edge SW-DP state machine, DP registers, faults
 *   ap.c      AHB-AP (AP 0) and CTRL-AP (AP 1)
 *   mem.c     memory map: flash, RAM, FICR, UICR, NVMC, APPROTECT, PPB
 *             (Cortex-M4 debug, ROM table, DWT, FPB, ITM, TPIU, ETM), resets
 *   config.c  spec parsing, chip lifetime, persistence, time
 *
 * Nothing here is visible outside sim/. */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "sim.h"

/* ACK values as they go on the wire, LSB first (ADIv5 B4.2). */
#define SIM_ACK_OK 1u
#define SIM_ACK_WAIT 2u
#define SIM_ACK_FAULT 4u

/* DP CTRL/STAT bits (ADIv5.2 B2.2.2). */
#define SIM_CS_ORUNDETECT (1u << 0)
#define SIM_CS_STICKYORUN (1u << 1)
#define SIM_CS_STICKYCMP (1u << 4)
#define SIM_CS_STICKYERR (1u << 5)
#define SIM_CS_READOK (1u << 6)
#define SIM_CS_WDATAERR (1u << 7)
#define SIM_CS_CDBGRSTREQ (1u << 26)
#define SIM_CS_CDBGRSTACK (1u << 27)
#define SIM_CS_CDBGPWRUPREQ (1u << 28)
#define SIM_CS_CDBGPWRUPACK (1u << 29)
#define SIM_CS_CSYSPWRUPREQ (1u << 30)
#define SIM_CS_CSYSPWRUPACK (1u << 31)
#define SIM_CS_STICKY (SIM_CS_STICKYORUN | SIM_CS_STICKYCMP | SIM_CS_STICKYERR | SIM_CS_WDATAERR)

/* Memory map. */
#define SIM_FICR_BASE 0x10000000u
#define SIM_FICR_SIZE 0x1000u
#define SIM_UICR_BASE 0x10001000u
#define SIM_UICR_SIZE 0x400u
#define SIM_UICR_PSELRESET0 0x200u
#define SIM_UICR_APPROTECT 0x208u
#define SIM_RAM_BASE 0x20000000u
#define SIM_PAGE_SIZE 4096u
#define SIM_NVMC_BASE 0x4001E000u
#define SIM_BENCH_FLASH_MAX (1024u * 1024u)  /* the largest part's flash */

/* Per-part facts (a table, not if chains). */
struct sim_part_info {
	enum sim_part part;
	const char *name;           /* "nrf52840" */
	uint32_t info_part;         /* FICR INFO.PART */
	uint32_t flash_size;
	uint32_t ram_size;
	uint32_t package;           /* FICR INFO.PACKAGE */
	uint32_t var1;              /* FICR 0x10000130 */
	uint32_t var2_legacy, var2_hardened;   /* FICR 0x10000134 */
	uint32_t variant_legacy, variant_hardened; /* FICR INFO.VARIANT, ASCII */
	int has_readynext;
	int eraseuicr_needs_unprotected; /* 52840: ERASEUICR blocked by APPROTECT */
	unsigned reset_pin;         /* P0.n used by PSELRESET */
	uint32_t t_write_ns, t_erasepage_ns, t_eraseall_ns;
};

enum sim_nvmc_op { SIM_NVMC_IDLE, SIM_NVMC_WRITE, SIM_NVMC_ERASE };

/* A CoreSight component in the PPB, backed by 4 KiB of registers. */
struct sim_comp {
	uint32_t base;
	uint32_t regs[1024];
};

enum sim_comp_idx { SIM_ITM, SIM_DWT, SIM_FPB, SIM_SCS, SIM_TPIU, SIM_ETM, SIM_ROM, SIM_NCOMP };

struct sim_chip {
	/* ---- wire, hot ---- */
	uint8_t st;          /* enum in swdp.c */
	uint8_t pos;         /* rising edge number inside the transaction (start bit = 1) */
	uint8_t tdrive;      /* target drives SWDIO now */
	uint8_t tlevel;      /* ... with this level */
	uint8_t clk;         /* last SWCLK level seen by sim_wire */
	uint8_t hdrive, hlevel; /* host side as last given to sim_wire */
	uint8_t ack;         /* ACK of the current transaction */
	uint8_t req;         /* request byte of the current transaction */
	uint8_t postw;       /* inside the window after a WAIT/FAULT write (see swdp.c) */
	uint8_t nbits;       /* bits collected into sh */
	uint32_t sh;         /* shift register: header or write data */
	uint64_t out;        /* read data (bits 0..31) and parity (bit 32) */
	uint32_t ones;       /* consecutive 1s seen (not counting target-driven cycles) */
	uint32_t period_ns;
	uint64_t t_ns;       /* simulated time */
	uint64_t next_event; /* cycle number of the next flip/lose event */

	/* ---- fault injection ---- */
	uint64_t flip_at;    /* 0 = none; cycle number (1-based rising edge) */
	uint64_t lose_at;
	int lost, absent, dead;
	unsigned fault_wait;
	uint64_t fault_at_xfer; /* absolute transfer count that FAULTs; 0 = none */
	uint64_t xfers;         /* requests that got an ACK */
	uint64_t power_loss_at_write; /* absolute nvmc_wtotal count; 0 = none */
	uint64_t nvmc_wtotal;           /* words programmed since creation */
	uint64_t rng;

	/* ---- protocol error bookkeeping (line reset / JTAG-to-SWD junk) ---- */
	uint32_t perr_ff;    /* all-ones headers not yet known to be a line reset */
	uint64_t jts_perr;   /* protocol_errors at the end of the last line reset */
	uint32_t jts_val;    /* first 16 host bits after the last line reset */
	uint32_t jts_bits;

	/* ---- DP ---- */
	int need_idr;        /* after line reset: DPIDR read required */
	uint32_t ctrlstat;
	uint32_t select;
	uint32_t dlcr;
	uint32_t rdbuff;     /* result of the last AP read (posted) */
	uint32_t last_read;  /* for RESEND */

	/* ---- AHB-AP ---- */
	uint32_t csw, tar;
	/* ---- CTRL-AP ---- */
	uint32_t ctrl_reset, ctrl_eraseall;
	int ctrl_erasing;
	uint64_t ctrl_erase_until;

	/* ---- memory ---- */
	const struct sim_part_info *pi;
	uint8_t *flash, *ram;
	uint8_t *uicr;       /* SIM_UICR_SIZE bytes: uicr_mem, or in the state file */
	uint8_t uicr_mem[SIM_UICR_SIZE];
	uint32_t ficr[SIM_FICR_SIZE / 4];

	/* ---- NVMC ---- */
	uint32_t nvmc_config;
	enum sim_nvmc_op nvmc_op;
	uint64_t nvmc_until;
	int nvmc_buffered;
	uint32_t nvmc_buf_addr, nvmc_buf_val;

	/* ---- APPROTECT ---- */
	int locked;
	int reset_locked;    /* what the last reset read from UICR/APPROTECT */
	int erase_unlocked;  /* CTRL-AP ERASEALL opened the AHB-AP until the next reset */
	int force_protect;   /* APPROTECT.FORCEPROTECT written since reset */
	uint32_t approtect_disable;

	/* ---- core ---- */
	int halted, in_reset, nreset_low, retire;
	uint32_t dhcsr;      /* C_* bits and sticky S_RESET_ST */
	uint32_t demcr, dfsr, dcrdr, aircr_prigroup;
	uint32_t regs[128];  /* DCRSR numbering; the truth while the engine is not running */
	struct sim_comp comp[SIM_NCOMP];
	struct sim_core *core; /* core.c: execution (NULL until first needed) */
	int cpu_access;      /* the bus access in progress comes from the CPU */
	uint32_t last_unimpl; /* last unimplemented peripheral register the CPU wrote */
	/* ---- CLOCK ---- */
	uint32_t clk_hf_run, clk_lf_run, clk_hf_started, clk_lf_started, clk_lfsrc;

	/* ---- config, time, counters ---- */
	struct sim_config cfg;
	char *state_path;
	FILE *state_f;       /* open and flock(2)ed while the chip lives */
	uint8_t *state_map;  /* the whole state file, mapped shared */
	size_t state_len;
	int wall_ok;
	/* ---- bench (cfg.bench_dir) ---- */
	char bench_board[64];  /* the board on the wire, "" when none */
	char bench_bad[64];    /* the slot's text last refused (said once) */
	uint8_t *bench_blank;  /* flash stand-in while no board is in */
	uint64_t bench_xfers;  /* transfers at the last look at the slot */
	uint64_t wall0_ns;
	struct sim_counters cnt;
};

/* config.c: bench=DIR, look at the slot and swap boards */
void sim_bench_poll(struct sim_chip *c);

/* swdp.c */
void sim_dp_reset(struct sim_chip *c);
uint64_t sim_now(struct sim_chip *c);  /* simulated time, wall clock applied */

/* ap.c: ack for an AP access about to start (OK or WAIT), then the access. */
unsigned sim_ap_check(struct sim_chip *c, unsigned apsel, unsigned reg, int rnw);
uint32_t sim_ap_read(struct sim_chip *c, unsigned apsel, unsigned reg);
void sim_ap_write(struct sim_chip *c, unsigned apsel, unsigned reg, uint32_t v);
void sim_ap_reset(struct sim_chip *c);

/* core.c: the Cortex-M4 (see there). */
struct sim_core;
void sim_core_catch_up(struct sim_chip *c);       /* run up to c->t_ns */
int sim_core_active(struct sim_chip *c);          /* 1 if it executes (loads the engine) */
int sim_core_executes(const struct sim_chip *c);  /* 1 if the engine is loaded */
int sim_core_step(struct sim_chip *c);            /* C_STEP; -1 without an engine */
void sim_core_halted_now(struct sim_chip *c);     /* a halt request was taken */
void sim_core_on_reset(struct sim_chip *c);
void sim_core_request_reset(struct sim_chip *c);  /* SYSRESETREQ from firmware */
uint32_t sim_core_dhcsr_bits(struct sim_chip *c); /* S_LOCKUP, S_SLEEP */
int sim_core_scs_read(struct sim_chip *c, uint32_t off, uint32_t *v);
int sim_core_scs_write(struct sim_chip *c, uint32_t off, uint32_t v);
/* The host changed memory the core may have translated (trap 2). */
void sim_core_code_changed(struct sim_chip *c, uint32_t addr, uint32_t len);
void sim_core_free(struct sim_chip *c);
/* DWT_CYCCNT: core cycles (IPC = 1) while DWT_CTRL.CYCCNTENA and
 * DEMCR.TRCENA, not while halted. */
uint32_t sim_core_cyccnt(struct sim_chip *c);
void sim_core_cyccnt_set(struct sim_chip *c, uint32_t v);

/* mem.c */
/* 1 if a bus access to addr would stall now (flash busy), else 0. */
int sim_bus_stalls(struct sim_chip *c, uint32_t addr, int write);
/* Aligned word read / lane write (size 1, 2, 4). 0 or -1 = bus error. */
int sim_bus_read(struct sim_chip *c, uint32_t addr, uint32_t *v);
int sim_bus_write(struct sim_chip *c, uint32_t addr, uint32_t data, unsigned size);
void sim_nvmc_update(struct sim_chip *c);
void sim_ctrlap_eraseall(struct sim_chip *c);
int sim_eraseall_busy(struct sim_chip *c);
void sim_ficr_init(struct sim_chip *c);
void sim_ppb_init(struct sim_chip *c);
enum sim_reset_kind { SIM_RST_POWER, SIM_RST_PIN, SIM_RST_SYSRESETREQ, SIM_RST_CTRLAP };
void sim_system_reset(struct sim_chip *c, enum sim_reset_kind kind);
void sim_eval_approtect(struct sim_chip *c);
const struct sim_part_info *sim_part_lookup(enum sim_part p);
const struct sim_part_info *sim_part_by_name(const char *name);

#endif
