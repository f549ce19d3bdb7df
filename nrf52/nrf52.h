// SPDX-License-Identifier: GPL-2.0-or-later
/* nrf52: the flash engine. Uses only the DAP seam and the probe's clock
 * (swd/dap.h), and asks the DAP's capabilities before it relies on one.
 *
 * identify -> (recover) -> erase -> program -> verify -> reset. Every long
 * operation reports progress through one callback shared by the CLI and the
 * daemon; the callback may ask to stop (return non-zero) and the engine
 * stops at the next safe point (between NVMC words, never mid-erase). */
#ifndef NRF52_H
#define NRF52_H

#include <stddef.h>
#include <stdint.h>

#include "../swd/dap.h"
#include "image.h"

#define NRF52_FLASH_BASE 0x00000000U
#define NRF52_RAM_BASE 0x20000000U
#define NRF52_FICR_BASE 0x10000000U
#define NRF52_UICR_BASE 0x10001000U
#define NRF52_UICR_SIZE 0x400U      /* pyOCD's UICR region; covers every register */

/* The largest flash of the parts in the table (bytes): with the UICR, the
 * most data an image for any nRF52 can carry. */
uint32_t nrf52_max_flash_size(void);
#define NRF52_UICR_APPROTECT 0x10001208U
#define NRF52_APPROTECT_HWDISABLED 0x5AU

struct nrf52_info {
	uint32_t dpidr;
	uint32_t ahb_ap_idr, ctrl_ap_idr;
	uint32_t part;          /* FICR INFO.PART, e.g. 0x52840 */
	char name[16];          /* "nRF52840" */
	char variant[5];        /* FICR INFO.VARIANT as text, "AAD0" */
	uint32_t package;
	char package_name[4];   /* "QI", "QF", ... */
	uint32_t flash_size;    /* bytes */
	uint32_t ram_size;      /* bytes */
	uint32_t page_size;     /* bytes */
	uint64_t device_id;     /* FICR DEVICEID[1]:DEVICEID[0] */
	uint64_t device_addr;   /* FICR DEVICEADDR, 48 bits */
	int locked;             /* CTRL-AP APPROTECTSTATUS says protected */
	int hardened;           /* hardware-controlled APPROTECT revision */
	int has_readynext;
	int identified;         /* FICR was readable (not locked) */
};

enum nrf52_phase {
	NRF52_PHASE_CONNECT,
	NRF52_PHASE_ERASE,
	NRF52_PHASE_PROGRAM,
	NRF52_PHASE_VERIFY,
	NRF52_PHASE_RESET,
	NRF52_PHASE_RECOVER,
	NRF52_PHASE_READ,
};
const char *nrf52_phase_name(enum nrf52_phase p); /* "connect", "erase", ... */

/* Return non-zero to cancel. */
typedef int (*nrf52_progress_fn)(void *user, enum nrf52_phase phase,
				 uint64_t done, uint64_t total);

/* With erase=auto/none, nrf52_flash first reads the words the image covers
 * to decide what to erase and what to skip; that compare pass is reported
 * as the erase phase (stats->us_compare has its time). */
enum nrf52_erase_mode {
	NRF52_ERASE_AUTO,  /* erase a page only when the image needs a 0->1 bit */
	NRF52_ERASE_CHIP,  /* NVMC ERASEALL first */
	NRF52_ERASE_NONE,  /* never erase; fail if a 0->1 bit is needed */
};
/* The one spelling of each mode ("auto", "chip", "none"), for options,
 * messages and the job history; NULL for a value outside the enum, so a
 * caller can list them all by counting up from 0. */
const char *nrf52_erase_mode_name(enum nrf52_erase_mode m);
/* The inverse (exact, lower case); -1 for an unknown name. */
int nrf52_erase_mode_from_name(const char *name);

/* How the compare pass and verify check the chip. AUTO: the target
 * computes a CRC-32 of each page (nrf52/target/crc32.S) when the engine
 * owns the core and the core runs code, and only pages whose CRC differs
 * are read; a routine that hangs, faults or answers nonsense is dropped
 * for the wire path (never a false success). READ: every byte is read
 * back over the wire. A CRC-32 match of two different pages has odds of
 * 2^-32 (README). */
enum nrf52_verify_mode {
	NRF52_VERIFY_AUTO,
	NRF52_VERIFY_READ,
};
/* "auto", "read"; NULL outside the enum. */
const char *nrf52_verify_mode_name(enum nrf52_verify_mode m);
/* The inverse (exact, lower case); -1 for an unknown name. */
int nrf52_verify_mode_from_name(const char *name);

struct nrf52_flash_opts {
	enum nrf52_erase_mode erase;
	int verify;      /* check every written byte (verify_mode says how) */
	enum nrf52_verify_mode verify_mode;
	int no_target_code; /* never run code on the target: the wire path only */
	int reset;       /* reset and run afterwards */
	int full_write;  /* write pages even when they already match */
	int recover;     /* recover a locked chip first (destroys contents) */
};

struct nrf52_stats {
	uint32_t pages_erased, pages_skipped, pages_written;
	uint64_t bytes_written, bytes_verified;
	int uicr_erased, uicr_merged;
	/* simulated or real microseconds (the probe's clock) per phase */
	uint64_t us_connect, us_erase, us_program, us_verify, us_reset;
	/* added: time spent reading pages to decide erase/skip (erase=auto/none) */
	uint64_t us_compare;
	/* added: pages whose bytes outside the image an earlier attempt had
	 * kept, written back (nrf52_preserve.h) */
	uint32_t pages_restored;
	/* on-target routines: pages the compare pass settled by CRC, bytes
	 * verified by CRC, words written through the RAM writer; 1 when a
	 * routine failed and the wire path took over */
	uint32_t pages_crc;
	uint64_t bytes_crc_verified, words_ram_writer;
	int target_fallback;
};

enum nrf52_reset_kind {
	NRF52_RESET_SYSRESETREQ,
	NRF52_RESET_CTRLAP,
	NRF52_RESET_PIN,
};

struct nrf52;

/* The engine borrows dap and clock (swd_probe_dap(), swd_probe_clock());
 * it frees neither. log may be NULL: it receives lines worth telling the
 * user ("UICR merged: ..."). NULL when out of memory or without a clock.
 *
 * What needs which DAP capability (SF_E_UNSUPPORTED naming it otherwise,
 * before anything is touched): recover and the ctrlap reset need
 * DAP_CAP_ANY_AP (the CTRL-AP is AP 1); the pin reset needs
 * DAP_CAP_RESET_PIN. Without DAP_CAP_ANY_AP, identify tells a locked chip
 * from the MEM-AP alone. Without DAP_CAP_WAIT_PACED, or on a probe whose
 * calls cost a round trip (dap.call_us), flash is written by the
 * on-target RAM-buffered writer when the core runs code; otherwise
 * WAIT-paced block writes, or without them one word at a time, each
 * followed by a wait for NVMC READY. */
struct nrf52 *nrf52_new(struct dap *dap, const struct swd_clock *clock,
			void (*log)(void *user, const char *line), void *log_user);
void nrf52_free(struct nrf52 *n);
void nrf52_set_progress(struct nrf52 *n, nrf52_progress_fn fn, void *user);
/* Lines for a debug log (NULL: none): which path a job took (on-target
 * routines or the wire) and why. */
void nrf52_set_debug(struct nrf52 *n, void (*debug)(void *user, const char *line), void *user);

/* Connect and read everything in struct nrf52_info. On a locked chip it
 * returns 0 with info->locked set and FICR fields unknown. An unsupported
 * part is SF_E_UNSUPPORTED naming the part. */
int nrf52_identify(struct nrf52 *n, struct nrf52_info *info, struct sf_err *err);

/* Check an image against the part: every segment inside flash or UICR.
 * SF_E_RANGE names the segment and the part's limits. */
int nrf52_check_image(const struct nrf52_info *info, const struct img *img,
		      struct sf_err *err);

int nrf52_recover(struct nrf52 *n, struct sf_err *err);
int nrf52_erase_chip(struct nrf52 *n, struct sf_err *err);
int nrf52_erase_uicr(struct nrf52 *n, struct sf_err *err);
/* Erase the pages covering [start, end). */
int nrf52_erase_range(struct nrf52 *n, uint32_t start, uint32_t end, struct sf_err *err);

int nrf52_flash(struct nrf52 *n, const struct img *img, const struct nrf52_flash_opts *opts,
		struct nrf52_stats *stats, struct sf_err *err);
/* Compare the chip with the image; SF_E_VERIFY names the first mismatch
 * (address, expected, actual). */
int nrf52_verify(struct nrf52 *n, const struct img *img, struct sf_err *err);
/* The same with a mode: AUTO uses the on-target CRC when the core can run
 * it (the core is halted for it, RAM and registers put back, and resumed
 * if it was running); READ reads every byte back. */
int nrf52_verify_mode(struct nrf52 *n, const struct img *img, enum nrf52_verify_mode mode,
		      struct sf_err *err);

int nrf52_reset(struct nrf52 *n, enum nrf52_reset_kind kind, int halt, struct sf_err *err);
int nrf52_halt(struct nrf52 *n, struct sf_err *err);
int nrf52_resume(struct nrf52 *n, struct sf_err *err);

int nrf52_read(struct nrf52 *n, uint32_t addr, void *buf, size_t len, struct sf_err *err);
/* Write whole words into RAM (a debugger talking to running firmware:
 * SEGGER RTT's read offset). SF_E_RANGE outside RAM or unaligned. */
int nrf52_write_ram(struct nrf52 *n, uint32_t addr, const uint32_t *words, size_t nwords,
		    struct sf_err *err);

/* added: what the last identify (or recover/reset) learned; valid for the
 * engine's lifetime. */
const struct nrf52_info *nrf52_get_info(const struct nrf52 *n);

#endif
