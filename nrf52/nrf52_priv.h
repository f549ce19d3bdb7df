// SPDX-License-Identifier: GPL-2.0-or-later
/* nrf52 internals shared by nrf52.c, nrf52_flash.c and nrf52_parts.c.
 * Not part of the public API. */
#ifndef NRF52_PRIV_H
#define NRF52_PRIV_H

#include <stdint.h>

#include "nrf52.h"

/* CTRL-AP (AP 1), nRF52 PS "CTRL-AP" */
#define NRF52_CTRLAP 1U
#define NRF52_CTRLAP_RESET 0x000U
#define NRF52_CTRLAP_ERASEALL 0x004U
#define NRF52_CTRLAP_ERASEALLSTATUS 0x008U
#define NRF52_CTRLAP_APPROTECTSTATUS 0x00CU
#define NRF52_CTRLAP_IDR_VALUE 0x02880000U  /* compared without the revision nibble */
#define NRF52_AHBAP 0U

/* FICR (base 0x10000000) */
#define NRF52_FICR_CODEPAGESIZE (NRF52_FICR_BASE + 0x010U)
#define NRF52_FICR_DEVICEID0 (NRF52_FICR_BASE + 0x060U)
#define NRF52_FICR_DEVICEADDR0 (NRF52_FICR_BASE + 0x0A4U)
#define NRF52_FICR_INFO_PART (NRF52_FICR_BASE + 0x100U)
#define NRF52_FICR_VAR1 (NRF52_FICR_BASE + 0x130U)
#define NRF52_UICR_PSELRESET0 (NRF52_UICR_BASE + 0x200U)

/* NVMC, nRF52840 PS 4.3 */
#define NRF52_NVMC 0x4001E000U
#define NRF52_NVMC_READY (NRF52_NVMC + 0x400U)
#define NRF52_NVMC_READYNEXT (NRF52_NVMC + 0x408U)
#define NRF52_NVMC_CONFIG (NRF52_NVMC + 0x504U)
#define NRF52_NVMC_ERASEPAGE (NRF52_NVMC + 0x508U)
#define NRF52_NVMC_ERASEALL (NRF52_NVMC + 0x50CU)
#define NRF52_NVMC_ERASEUICR (NRF52_NVMC + 0x514U)
#define NRF52_NVMC_CONFIG_REN 0U
#define NRF52_NVMC_CONFIG_WEN 1U
#define NRF52_NVMC_CONFIG_EEN 2U

/* ---- timing ----
 * Every wait has a deadline in the probe's clock. NVMC figures are typical
 * durations used to pace polls (sleep about that long, then poll); the
 * deadlines are NRF52_NVMC_DEADLINE_FACTOR times longer plus a margin, so
 * an imprecise figure costs speed, never correctness. Sources are the
 * rows of ../shared/NRF52.md section 5; the nRF52832/52840 PS electrical
 * tables (PS v1.x "NVMC" chapter, "Electrical specification" subsection)
 * were not reachable when these were collected: [U] marks such a value. */

/* t_WRITE, one 32-bit word: 41 us on 52833/52840 (Nordic EMDS Kconfig
 * default, sdk-nrf PR 15448; BabbleSim 52833 model 42 us; nRF5340 PS
 * 43 us) [U]; 67.5 us typical on the 52832 (Nordic's nRF52832 flash
 * white paper), rounded up. Per part in nrf52_parts.c. */
#define NRF52_T_WRITE_US 41U
/* t_ERASEPAGE: 85 ms on the 52840 (nrf-hal PR 385), 87.5 ms on the 52833
 * (BabbleSim NHW_config.52833.h, nRF5340 PS); Zephyr's nRF52 soc.h takes
 * 89.7 ms as the maximum of every nRF52. Also used for ERASEUICR
 * (BabbleSim NHW_NVMC.c) [U]. The value for a part not in the table. */
#define NRF52_T_ERASEPAGE_US 85000U
/* t_ERASEALL: 173 ms (BabbleSim 52833; nRF5340 PS) [U for 52832/52840];
 * NVMC ERASEALL and CTRL-AP ERASEALL alike. */
#define NRF52_T_ERASEALL_US 173000U
/* NVMC READY deadline: 4 x the typical time + 200 ms for the probe's
 * latency (USB round trips, a loaded host). OpenOCD's nrf5.c waits up to
 * 340 ms for READY after a CONFIG write; ours is above that for every op. */
#define NRF52_NVMC_DEADLINE_FACTOR 4U
#define NRF52_NVMC_DEADLINE_MARGIN_US 200000U
/* Poll READY every 1/64 of the typical time, never more often than every
 * 20 us (about one READY read at 1 MHz SWCLK): polls cost wire time and,
 * on a GPIO probe, system calls. */
#define NRF52_NVMC_POLL_DIV 64U
#define NRF52_NVMC_POLL_MIN_US 20U

/* CTRL-AP ERASEALL: poll ERASEALLSTATUS from 20 ms on, every 2 ms, for up
 * to 15 s (pyOCD's nRF52 mass-erase timeout; OpenOCD nrf52_recover allows
 * 150 x 100 ms). The erase itself takes t_ERASEALL. */
#define NRF52_CTRLAP_ERASEALL_FIRST_POLL_US 20000U
#define NRF52_CTRLAP_ERASEALL_POLL_US 2000U
#define NRF52_CTRLAP_ERASEALL_TIMEOUT_US 15000000U
/* Nordic PS (quoted on devzone 121029): if APPROTECTSTATUS still reports
 * protection, repeat the ERASEALL. How often is ours. */
#define NRF52_RECOVER_TRIES 3
/* CTRL-AP RESET is held this long before it is released. OpenOCD and
 * pyOCD write 1 then 0 back to back; the pause is ours. */
#define NRF52_CTRLAP_RESET_HOLD_US 100U
/* nRESET is held low this long. Ours, far above the pin reset pulse the PS
 * asks for [U: the nRF52840 PS "RESET" chapter figure was not reached]. */
#define NRF52_PIN_RESET_HOLD_US 1000U

/* Core halt: DHCSR.S_HALT (ARMv7-M ARM, ARM DDI 0403E, C1.6.2) follows
 * C_HALT within a few core cycles; 100 ms is for the probe's round trips. */
#define NRF52_HALT_TIMEOUT_US 100000U
/* After a reset request, DHCSR.S_RESET_ST (sticky, DDI 0403E C1.6.2) must
 * show the reset and, with halt, S_HALT the reset vector catch
 * (DEMCR.VC_CORERESET, C1.6.5); probe-rs cortex_m_reset_system waits
 * 600 ms. */
#define NRF52_RESET_TIMEOUT_US 600000U
/* DHCSR polls (halt and reset) every 100 us. */
#define NRF52_CORE_POLL_US 100U

/* Cortex-M4 debug (ARMv7-M ARM C1.6) */
#define NRF52_DHCSR 0xE000EDF0U
#define NRF52_DEMCR 0xE000EDFCU
#define NRF52_AIRCR 0xE000ED0CU
#define NRF52_DHCSR_DBGKEY 0xA05F0000U
#define NRF52_DHCSR_C_DEBUGEN (1U << 0)
#define NRF52_DHCSR_C_HALT (1U << 1)
#define NRF52_DHCSR_S_HALT (1U << 17)
#define NRF52_DHCSR_S_RESET_ST (1U << 25)
#define NRF52_DEMCR_VC_CORERESET (1U << 0)
#define NRF52_AIRCR_SYSRESETREQ 0x05FA0004U

/* One row of the part table (nrf52_parts.c). */
struct nrf52_part {
	uint32_t part;            /* FICR INFO.PART */
	const char *name;         /* "nRF52840" */
	char variant[3];          /* first two letters of INFO.VARIANT: "AA", "AB" */
	uint32_t flash_kib, ram_kib;
	int has_readynext;
	uint32_t hardened_var1;   /* FICR 0x130 value of this part (nrfx errata 249) */
	uint32_t hardened_var2;   /* first hardened FICR 0x134 value */
	int supported;            /* tested against the simulator */
	/* typical NVMC times used to pace polls (the NRF52_T_* notes above);
	 * deadlines are a multiple of these */
	uint32_t t_write_us, t_erasepage_us, t_eraseall_us;
	unsigned reset_pin;       /* P0.n that UICR.PSELRESET must select (nrfx RESET_PIN) */
};

const struct nrf52_part *nrf52_part_lookup(uint32_t part, const char *variant);
int nrf52_part_is_hardened(const struct nrf52_part *p, uint32_t var1, uint32_t var2);
const char *nrf52_package_name(uint32_t part, uint32_t package);
/* "nRF52832, nRF52833, nRF52840" */
const char *nrf52_supported_list(void);

/* ---- on-target routines (nrf52_target.c, nrf52/target/NAME.S) ----
 * The work area: the first 12 KiB of RAM (every nRF52 has 64 KiB or more).
 * In a flash job that resets the core afterwards it is scratch (as
 * OpenOCD's nrf52.cfg declares its work area, -work-area-backup 0);
 * otherwise the engine reads it and the core registers first and writes
 * them back when done. */
#define NRF52_WA_CRC_CODE (NRF52_RAM_BASE + 0x000U)    /* <= 0x80 bytes */
#define NRF52_WA_WRITER_CODE (NRF52_RAM_BASE + 0x080U) /* <= 0x80 bytes */
#define NRF52_WA_STACK_TOP (NRF52_RAM_BASE + 0x400U)   /* routines use none */
#define NRF52_WA_CRC_TABLE (NRF52_RAM_BASE + 0x400U)   /* 1 KiB */
#define NRF52_WA_CRC_LIST (NRF52_RAM_BASE + 0x800U)    /* 2 KiB: 256 entries */
#define NRF52_WA_CRC_MAX 256U
#define NRF52_WA_WRITER_CTL (NRF52_RAM_BASE + 0x1000U) /* wp, rp */
#define NRF52_WA_WRITER_BUF (NRF52_RAM_BASE + 0x1010U) /* 8 KiB ring */
#define NRF52_WA_WRITER_BUF_SIZE 0x2000U
#define NRF52_WA_SIZE (0x1010U + NRF52_WA_WRITER_BUF_SIZE)
/* A routine that has not stopped this long after it started is taken as
 * hung: 500 ms plus 16x the estimate (at 64 MHz, one instruction per
 * cycle) covers flash wait states, the probe's round trips and a
 * simulated core that slips behind the wall clock on a loaded host
 * (OpenOCD allows its CRC 20 s). Halt polls back off from 100 us to 5 ms. */
#define NRF52_TGT_TIMEOUT_MIN_US 500000U
#define NRF52_TGT_TIMEOUT_FACTOR 16U
#define NRF52_TGT_POLL_MIN_US 100U
#define NRF52_TGT_POLL_MAX_US 5000U
#define NRF52_CORE_HZ 64000000U
/* DCRSR/DCRDR (ARMv7-M ARM C1.6.3) */
#define NRF52_DCRSR 0xE000EDF4U
#define NRF52_DCRDR 0xE000EDF8U
#define NRF52_DCRSR_REGWNR (1U << 16)
#define NRF52_DHCSR_S_REGRDY (1U << 16)
#define NRF52_REG_SP 13U
#define NRF52_REG_LR 14U
#define NRF52_REG_PC 15U
#define NRF52_REG_XPSR 16U
#define NRF52_REG_MSP 17U
#define NRF52_REG_PSP 18U
#define NRF52_REG_SPECIAL 20U  /* CONTROL, FAULTMASK, BASEPRI, PRIMASK */
#define NRF52_TGT_NSAVE 21U

struct nrf52_tgt {
	int state;          /* 0 not tried, 1 ran correctly, -1 unusable (wire path) */
	unsigned loaded;    /* routines in RAM since the last reset: 1 CRC, 2 writer */
	int owned;          /* nrf52_tgt_begin ran: routines may take the core */
	int taken;          /* a routine took it (halted, registers kept) */
	int scratch;        /* the work area and registers need not be kept */
	int was_running;    /* resume the core in nrf52_tgt_end */
	uint8_t *ram_save;  /* NRF52_WA_SIZE bytes */
	uint32_t ram_saved; /* bytes of the work area read so far */
	uint32_t regs[NRF52_TGT_NSAVE];
	int regs_saved;
};

struct nrf52_crc_range {
	uint32_t addr, nwords;
};

/* Routines may run until nrf52_tgt_end. Touches nothing: the first
 * routine halts the core if it runs (end resumes it) and, with scratch=0,
 * keeps the work area and registers for end to put back. */
void nrf52_tgt_begin(struct nrf52 *n, int scratch);
/* Restore what begin kept (RAM, registers) and resume a core that was
 * running. 0 or the wire error. */
int nrf52_tgt_end(struct nrf52 *n, struct sf_err *err);
/* May routines run now? (owned, not found unusable) */
int nrf52_tgt_usable(const struct nrf52 *n);
/* Routines are off for this engine's lifetime; says why at debug level. */
void nrf52_tgt_disable(struct nrf52 *n, const char *why);
/* The CRC-32 (common/crc32.h) of each range, computed by the target. 0
 * with crc[] filled, or a negative code (err says why: hang, fault,
 * nonsense, wire); the caller then disables the routines and takes the
 * wire path. SF_E_CANCELLED is never returned from here. */
int nrf52_tgt_crc(struct nrf52 *n, const struct nrf52_crc_range *r, size_t nr, uint32_t *crc,
		  struct sf_err *err);
/* One run of words for the flash writer: nwords (> 0) at addr. */
struct nrf52_tgt_run {
	uint32_t addr, nwords;
	const uint32_t *data;
};
/* Progress while the writer runs: base + span * (fraction taken), of
 * total (nrf52_report, NRF52_PHASE_PROGRAM). */
struct nrf52_tgt_progress {
	uint64_t base, span, total;
};
/* Program every run (NVMC CONFIG=Wen already) in one run of the RAM-ring
 * writer. 0 when the routine finished correctly; else negative
 * (SF_E_CANCELLED when pr's report was cancelled), the core halted, and
 * the runs may be partly written. */
int nrf52_tgt_write(struct nrf52 *n, const struct nrf52_tgt_run *r, size_t nr,
		    const struct nrf52_tgt_progress *pr, struct sf_err *err);
/* Should program use the writer: a probe without WAIT-paced writes, or
 * one whose every command is a USB round trip (DAP_CAP_USB_LATENCY: the
 * ring hides the round trips behind the NVMC). */
int nrf52_tgt_prefer_writer(struct nrf52 *n);

/* The engine object. */
struct nrf52 {
	struct dap *dap;
	const struct swd_clock *clock;
	void (*log)(void *user, const char *line);
	void *log_user;
	nrf52_progress_fn progress;
	void *progress_user;
	struct nrf52_info info;
	const struct nrf52_part *part;
	int connected;            /* identify ran and the chip was open */
	int halted;               /* we halted the core */
	uint32_t nvmc_config;     /* last CONFIG we wrote, ~0 unknown */
	const struct nrf52_keeper *keeper; /* nrf52_preserve.h; NULL: none */
	void (*debug)(void *user, const char *line);
	void *debug_user;
	struct nrf52_tgt tgt;
};

uint64_t nrf52_now_us(struct nrf52 *n);
/* Flush the DAP (idle cycles), then sleep on the probe's clock. */
void nrf52_sleep(struct nrf52 *n, uint32_t us);
/* 0 when the DAP has cap, else SF_E_UNSUPPORTED: "<what> needs <cap>,
 * which this probe does not offer<why>". */
int nrf52_need_cap(struct nrf52 *n, unsigned cap, const char *what, const char *why,
		   struct sf_err *err);
void nrf52_logf(struct nrf52 *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line for the debug log (nrf52_set_debug), e.g. which path ran. */
void nrf52_debugf(struct nrf52 *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Halt the core and wait for S_HALT (sets halted). */
int nrf52_halt_core(struct nrf52 *n, struct sf_err *err);
/* Report progress; returns SF_E_CANCELLED (with err set) when the caller
 * asked to stop, else 0. */
int nrf52_report(struct nrf52 *n, enum nrf52_phase phase, uint64_t done, uint64_t total,
		 struct sf_err *err);
/* Identify if not done yet; SF_E_LOCKED when the AHB-AP is blocked. */
int nrf52_ensure_open(struct nrf52 *n, struct sf_err *err);
/* ensure_open, then halt the core once (PS: halt the CPU before NVMC
 * operations started from the debugger). */
int nrf52_prepare(struct nrf52 *n, struct sf_err *err);
/* Hardened parts: remember UICR.APPROTECT when it is HwDisabled (else
 * *saved = 0xFFFFFFFF) and write it back after an erase, saying so. */
int nrf52_save_approtect(struct nrf52 *n, uint32_t *saved, struct sf_err *err);
int nrf52_restore_approtect(struct nrf52 *n, uint32_t saved, struct sf_err *err);
/* NVMC helpers (nrf52.c). wait_ready: sleep expect_us (the typical
 * duration of what was just started), then poll READY until the
 * deadline. wait_word: after one word write on a probe without
 * DAP_CAP_WAIT_PACED: poll at once (the write's own round trip usually
 * outlasts t_WRITE), then as wait_ready. */
int nrf52_nvmc_wait_ready(struct nrf52 *n, uint32_t expect_us, struct sf_err *err);
int nrf52_nvmc_wait_word(struct nrf52 *n, struct sf_err *err);
int nrf52_nvmc_config(struct nrf52 *n, uint32_t mode, struct sf_err *err);
int nrf52_nvmc_erase_page(struct nrf52 *n, uint32_t addr, struct sf_err *err);
int nrf52_nvmc_erase_uicr(struct nrf52 *n, struct sf_err *err);
int nrf52_nvmc_erase_all(struct nrf52 *n, struct sf_err *err);
/* Block read/write of whole words, in chunks that stop at 1 KiB
 * boundaries (so an error names an address within 1 KiB). */
int nrf52_read_words(struct nrf52 *n, uint32_t addr, uint32_t *buf, size_t nwords,
		     struct sf_err *err);
int nrf52_write_words(struct nrf52 *n, uint32_t addr, const uint32_t *buf, size_t nwords,
		      struct sf_err *err);

#endif
