// SPDX-License-Identifier: GPL-2.0-or-later
/* nrf52_preserve: the bytes outside the image survive a failed job.
 *
 * erase=auto erases a page the image covers only in part; the bytes of it
 * that the image does not supply are read first and written back with
 * the image. Between that erase and that write they live only in the
 * host's memory: a job that fails there (power lost, target lost, the
 * program killed) would destroy them. With a keeper set (nrf52_set_keeper):
 *
 *   - before erasing such a page (or the UICR) the engine hands its
 *     contents to keeper->save(), which must keep them durably; when save
 *     fails the page is not erased and the job fails;
 *   - every flash (erase=auto or none) first asks keeper->load() for the
 *     pages kept on this chip (FICR DEVICEID) by an earlier attempt, and
 *     writes their kept bytes back wherever the new image does not supply
 *     them, saying so in the log and in nrf52_stats.pages_restored;
 *   - once the job has programmed and verified everything, keeper->drop()
 *     is called for every page it kept or restored.
 *
 * erase=chip neither keeps nor restores (ERASEALL is asked to destroy
 * what the image does not hold) and drops the chip's kept pages once it
 * succeeded. Where and how pages are kept is the caller's; the engine does
 * no file I/O. */
#ifndef NRF52_PRESERVE_H
#define NRF52_PRESERVE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

struct nrf52;

struct nrf52_kept_page {
	uint32_t addr, size;   /* a code page or the UICR */
	uint8_t *data;         /* size bytes: the contents to have afterwards */
	uint8_t *keep;         /* size bytes: 1 = a byte of the chip to restore */
};

struct nrf52_keeper {
	/* Keep pg durably (fsync'ed) before the page is erased. */
	int (*save)(void *user, uint64_t device_id, const struct nrf52_kept_page *pg,
		    struct sf_err *err);
	/* Every page kept for device_id: *pages is a malloc'ed array whose
	 * data and keep are malloc'ed too (nrf52_kept_pages_free); none: 0
	 * with *n = 0. A page kept but unreadable is an error. */
	int (*load)(void *user, uint64_t device_id, struct nrf52_kept_page **pages, size_t *n,
		    struct sf_err *err);
	/* The page at addr is safely rewritten: its copy may go. */
	void (*drop)(void *user, uint64_t device_id, uint32_t addr);
	void *user;
};

/* k (NULL: none) is borrowed; it must outlive its use by n. */
void nrf52_set_keeper(struct nrf52 *n, const struct nrf52_keeper *k);
void nrf52_kept_pages_free(struct nrf52_kept_page *pages, size_t n);

/* ---- for the flash engine (nrf52_flash.c) ---- */

/* One flash's kept pages: those loaded at its start (restored) and those
 * it saved. */
struct nrf52_keep_run {
	uint64_t device_id;
	struct nrf52_kept_page *loaded;
	uint8_t **restored;    /* per loaded page: the bytes restored (keep & not the image) */
	size_t nloaded;
	uint32_t *saved;       /* addresses saved by this run */
	size_t nsaved, capsaved;
};

/* Load the chip's kept pages (erase=auto/none); with erase=chip nothing. */
int nrf52_keep_begin(struct nrf52 *n, int chip_erase, struct nrf52_keep_run *run,
		     struct sf_err *err);
/* Before erasing the unit at addr whose contents afterwards are want and
 * whose image bytes are mask (1 = the image's): keep the other bytes when
 * any of them is programmed (not 0xFF). */
int nrf52_keep_save(struct nrf52 *n, struct nrf52_keep_run *run, uint32_t addr, uint32_t size,
		    const uint8_t *want, const uint8_t *mask, struct sf_err *err);
/* The job succeeded: drop what was kept or restored (with erase=chip:
 * every page kept for the chip). */
void nrf52_keep_end(struct nrf52 *n, struct nrf52_keep_run *run, int chip_erase);
void nrf52_keep_run_free(struct nrf52_keep_run *run);

#endif
