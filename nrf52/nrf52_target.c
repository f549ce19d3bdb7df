// SPDX-License-Identifier: GPL-2.0-or-later
/* nrf52_target: run the engine's own routines (nrf52/target/NAME.S) on the
 * nRF52's Cortex-M4: a CRC-32 of a list of ranges and a RAM-buffered flash
 * writer.
 *
 * A routine runs only while the engine owns the core (nrf52_tgt_begin:
 * halted by us, with the work area and registers kept unless they are
 * scratch). Registers go in through DCRSR/DCRDR (ARMv7-M ARM C1.6.3), the
 * core is resumed with PRIMASK set (no firmware interrupt handler runs),
 * and the result counts only if the core stops on the routine's final
 * bkpt, in time, with results that can be right: every CRC list carries
 * the CRC of the routine's own code (known to the host) and each entry
 * {crc, ~crc}; the writer must end with r0 past the last word and r1 = 0.
 * Anything else is an error the caller answers by dropping the routines
 * for the wire path: a routine can make a job faster, never make it
 * pass. */
#include "nrf52_priv.h"

#include <stdlib.h>
#include <string.h>

#include "../common/crc32.h"
#include "target/crc32.h"
#include "target/flash_writer.h"

#define TGT_CRC 1U
#define TGT_WRITER 2U

_Static_assert(sizeof(nrf52_target_crc32) <= NRF52_WA_WRITER_CODE - NRF52_WA_CRC_CODE,
	       "crc32 routine outgrew its slot");
_Static_assert(sizeof(nrf52_target_flash_writer) <= 0x80, "flash writer outgrew its slot");

int nrf52_tgt_usable(const struct nrf52 *n)
{
	return n->tgt.owned && n->tgt.state >= 0;
}

void nrf52_tgt_disable(struct nrf52 *n, const char *why)
{
	if (n->tgt.state >= 0)
		nrf52_debugf(n, "on-target routines off, using the wire path: %s", why);
	n->tgt.state = -1;
}

/* ---- core registers ---- */

static int tgt_regrdy(struct nrf52 *n, struct sf_err *err)
{
	uint64_t deadline = nrf52_now_us(n) + NRF52_HALT_TIMEOUT_US;
	uint32_t v;

	for (;;) {
		int rc = dap_read32(n->dap, NRF52_DHCSR, &v, err);

		if (rc)
			return rc;
		if (v & NRF52_DHCSR_S_REGRDY)
			return 0;
		if (nrf52_now_us(n) > deadline)
			return sf_err_set(err, SF_E_TIMEOUT, "DHCSR.S_REGRDY stayed 0 (0x%08x)", v);
		nrf52_sleep(n, NRF52_CORE_POLL_US);
	}
}

static int tgt_reg_write(struct nrf52 *n, unsigned sel, uint32_t v, struct sf_err *err)
{
	int rc = dap_write32(n->dap, NRF52_DCRDR, v, err);

	if (!rc)
		rc = dap_write32(n->dap, NRF52_DCRSR, NRF52_DCRSR_REGWNR | sel, err);
	if (!rc)
		rc = tgt_regrdy(n, err);
	return rc ? sf_err_prefix(err, "writing core register %u", sel) : 0;
}

static int tgt_reg_read(struct nrf52 *n, unsigned sel, uint32_t *v, struct sf_err *err)
{
	int rc = dap_write32(n->dap, NRF52_DCRSR, sel, err);

	if (!rc)
		rc = tgt_regrdy(n, err);
	if (!rc)
		rc = dap_read32(n->dap, NRF52_DCRDR, v, err);
	return rc ? sf_err_prefix(err, "reading core register %u", sel) : 0;
}

/* Register numbers kept for a core that is not scratch: R0-R12, LR,
 * DebugReturnAddress, xPSR, MSP, PSP, CONTROL/FAULTMASK/BASEPRI/PRIMASK
 * (SP is MSP or PSP). */
static const unsigned tgt_saved_regs[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15,
					   16, 17, 18, 20 };

/* ---- ownership ---- */

/* Keep [0, upto) of the work area (read it once) unless it is scratch. */
static int tgt_keep_ram(struct nrf52 *n, uint32_t upto, struct sf_err *err)
{
	struct nrf52_tgt *t = &n->tgt;
	int rc;

	if (t->scratch || upto <= t->ram_saved)
		return 0;
	if (!t->ram_save && !(t->ram_save = malloc(NRF52_WA_SIZE)))
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	rc = nrf52_read_words(n, NRF52_RAM_BASE + t->ram_saved,
			      (uint32_t *)(void *)(t->ram_save + t->ram_saved),
			      (upto - t->ram_saved) / 4, err);
	if (rc)
		return sf_err_prefix(err, "keeping the RAM the routines use");
	t->ram_saved = upto;
	return 0;
}

void nrf52_tgt_begin(struct nrf52 *n, int scratch)
{
	struct nrf52_tgt *t = &n->tgt;

	t->owned = 1;
	t->taken = 0;
	t->scratch = scratch;
	t->ram_saved = 0;
	t->regs_saved = 0;
	t->was_running = 0;
}

/* The first routine of an operation takes the core: halt it if it runs
 * (and resume it in end), keep its registers unless they are scratch. */
static int tgt_take(struct nrf52 *n, struct sf_err *err)
{
	struct nrf52_tgt *t = &n->tgt;
	uint32_t v;
	int rc;

	if (t->taken)
		return 0;
	if (!n->halted) {
		if ((rc = dap_read32(n->dap, NRF52_DHCSR, &v, err)))
			return rc;
		if ((v & NRF52_DHCSR_C_DEBUGEN) && (v & NRF52_DHCSR_S_HALT)) {
			n->halted = 1;   /* halted by someone else: leave it halted */
		} else {
			if ((rc = nrf52_halt_core(n, err)))
				return rc;
			t->was_running = 1;
		}
	}
	if (!t->scratch) {
		for (size_t i = 0; i < sizeof(tgt_saved_regs) / sizeof(tgt_saved_regs[0]); i++)
			if ((rc = tgt_reg_read(n, tgt_saved_regs[i], &t->regs[i], err)))
				return rc;
		t->regs_saved = 1;
	}
	t->taken = 1;
	return 0;
}

int nrf52_tgt_end(struct nrf52 *n, struct sf_err *err)
{
	struct nrf52_tgt *t = &n->tgt;
	int rc = 0;

	if (t->ram_saved) {
		/* halted, so nothing runs from the work area while it is rewritten */
		if (!n->halted && (rc = nrf52_halt_core(n, err)))
			return rc;
		rc = nrf52_write_words(n, NRF52_RAM_BASE, (const uint32_t *)(const void *)t->ram_save,
				       t->ram_saved / 4, err);
		if (rc)
			return sf_err_prefix(err, "putting back the RAM the routines used");
		t->loaded = 0;
		t->ram_saved = 0;
	}
	if (t->regs_saved) {
		for (size_t i = 0; i < sizeof(tgt_saved_regs) / sizeof(tgt_saved_regs[0]); i++)
			if ((rc = tgt_reg_write(n, tgt_saved_regs[i], t->regs[i], err)))
				return sf_err_prefix(err, "putting back the core registers");
		t->regs_saved = 0;
	}
	t->owned = 0;
	t->taken = 0;
	if (t->was_running) {
		t->was_running = 0;
		rc = dap_write32(n->dap, NRF52_DHCSR, NRF52_DHCSR_DBGKEY | NRF52_DHCSR_C_DEBUGEN, err);
		if (rc)
			return sf_err_prefix(err, "resuming the core (DHCSR)");
		n->halted = 0;
	}
	return 0;
}

/* ---- running a routine ---- */

static int tgt_load(struct nrf52 *n, unsigned which, struct sf_err *err)
{
	const unsigned char *code = which == TGT_CRC ? nrf52_target_crc32 : nrf52_target_flash_writer;
	size_t len = which == TGT_CRC ? sizeof(nrf52_target_crc32) : sizeof(nrf52_target_flash_writer);
	uint32_t addr = which == TGT_CRC ? NRF52_WA_CRC_CODE : NRF52_WA_WRITER_CODE;
	uint32_t words[0x80 / 4];
	int rc;

	if (n->tgt.loaded & which)
		return 0;
	memset(words, 0, sizeof(words));
	memcpy(words, code, len);
	rc = nrf52_write_words(n, addr, words, (len + 3) / 4, err);
	if (rc)
		return sf_err_prefix(err, "loading the on-target routine");
	n->tgt.loaded |= which;
	return 0;
}

/* Start the routine at entry with r[0..nr) (PRIMASK set, MSP in the work
 * area, LR pointing at the exit bkpt as a guard). */
static int tgt_start(struct nrf52 *n, uint32_t entry, uint32_t exit_pc, const uint32_t *r,
		     unsigned nr, struct sf_err *err)
{
	int rc = 0;

	for (unsigned i = 0; i < nr && !rc; i++)
		rc = tgt_reg_write(n, i, r[i], err);
	if (!rc)
		rc = tgt_reg_write(n, NRF52_REG_SPECIAL, 1U, err);  /* PRIMASK=1, CONTROL=0 */
	if (!rc)
		rc = tgt_reg_write(n, NRF52_REG_MSP, NRF52_WA_STACK_TOP, err);
	if (!rc)
		rc = tgt_reg_write(n, NRF52_REG_LR, exit_pc | 1U, err);
	if (!rc)
		rc = tgt_reg_write(n, NRF52_REG_XPSR, 0x01000000U, err);  /* Thumb */
	if (!rc)
		rc = tgt_reg_write(n, NRF52_REG_PC, entry, err);
	if (!rc)
		rc = dap_write32(n->dap, NRF52_DHCSR, NRF52_DHCSR_DBGKEY | NRF52_DHCSR_C_DEBUGEN, err);
	if (rc)
		return sf_err_prefix(err, "starting the on-target routine");
	n->halted = 0;
	return 0;
}

/* Is the core halted? */
static int tgt_is_halted(struct nrf52 *n, int *halted, struct sf_err *err)
{
	uint32_t v;
	int rc = dap_read32(n->dap, NRF52_DHCSR, &v, err);

	if (rc)
		return rc;
	*halted = (v & NRF52_DHCSR_S_HALT) != 0;
	return 0;
}

/* Stop a routine that did not finish: halt, so the core is ours again. */
static void tgt_abort(struct nrf52 *n)
{
	struct sf_err tmp;

	if (!n->halted)
		nrf52_halt_core(n, &tmp);
}

/* Wait for the routine to stop (expect_us: its estimated run time), then
 * check it stopped on its exit bkpt. */
static int tgt_finish(struct nrf52 *n, uint32_t exit_pc, uint64_t expect_us, const char *what,
		      struct sf_err *err)
{
	uint64_t limit = NRF52_TGT_TIMEOUT_MIN_US + NRF52_TGT_TIMEOUT_FACTOR * expect_us;
	uint64_t deadline = nrf52_now_us(n) + limit;
	uint32_t step = NRF52_TGT_POLL_MIN_US, pc;
	int halted = 0, rc;

	if (expect_us)
		nrf52_sleep(n, expect_us > 0xFFFFFFFFU ? 0xFFFFFFFFU : (uint32_t)expect_us);
	for (;;) {
		if ((rc = tgt_is_halted(n, &halted, err)))
			return sf_err_prefix(err, "waiting for the %s routine", what);
		if (halted)
			break;
		if (nrf52_now_us(n) > deadline) {
			tgt_abort(n);
			return sf_err_set(err, SF_E_TIMEOUT, "the %s routine did not stop within "
					   "%llu us (the core does not run code, or hangs)", what,
					   (unsigned long long)limit);
		}
		nrf52_sleep(n, step);
		step = step * 2 > NRF52_TGT_POLL_MAX_US ? NRF52_TGT_POLL_MAX_US : step * 2;
	}
	n->halted = 1;
	if ((rc = tgt_reg_read(n, NRF52_REG_PC, &pc, err)))
		return rc;
	if (pc != exit_pc)
		return sf_err_set(err, SF_E_PROTOCOL, "the %s routine stopped at 0x%08x, not at its "
				   "exit 0x%08x (a fault or a breakpoint)", what, pc, exit_pc);
	return 0;
}

/* ---- CRC ---- */

static uint32_t tgt_code_crc(void)
{
	uint32_t words[0x80 / 4];

	memset(words, 0, sizeof(words));
	memcpy(words, nrf52_target_crc32, sizeof(nrf52_target_crc32));
	return crc32_update(0, words, 4 * ((sizeof(nrf52_target_crc32) + 3) / 4));
}

/* One run over at most NRF52_WA_CRC_MAX - 1 ranges, the routine's own
 * code first. */
static int tgt_crc_batch(struct nrf52 *n, const struct nrf52_crc_range *r, size_t nr,
			 uint32_t *crc, struct sf_err *err)
{
	uint32_t list[2 * NRF52_WA_CRC_MAX], regs[3];
	uint64_t words = 0, expect_us;
	size_t ne = nr + 1;
	int rc;

	list[0] = NRF52_WA_CRC_CODE;
	list[1] = (uint32_t)((sizeof(nrf52_target_crc32) + 3) / 4);
	words += list[1];
	for (size_t i = 0; i < nr; i++) {
		list[2 * i + 2] = r[i].addr;
		list[2 * i + 3] = r[i].nwords;
		words += r[i].nwords;
	}
	if ((rc = nrf52_write_words(n, NRF52_WA_CRC_LIST, list, 2 * ne, err)))
		return sf_err_prefix(err, "writing the CRC list");
	regs[0] = NRF52_WA_CRC_LIST;
	regs[1] = (uint32_t)ne;
	regs[2] = NRF52_WA_CRC_TABLE;
	if ((rc = tgt_start(n, NRF52_WA_CRC_CODE + NRF52_TARGET_CRC32_ENTRY,
			    NRF52_WA_CRC_CODE + NRF52_TARGET_CRC32_EXIT, regs, 3, err)))
		return rc;
	/* ~9.5k instructions for the table, 16 per word */
	expect_us = (9600 + 16 * words) * 1000000ULL / NRF52_CORE_HZ;
	if ((rc = tgt_finish(n, NRF52_WA_CRC_CODE + NRF52_TARGET_CRC32_EXIT, expect_us, "CRC",
			     err)))
		return rc;
	if ((rc = nrf52_read_words(n, NRF52_WA_CRC_LIST, list, 2 * ne, err)))
		return sf_err_prefix(err, "reading the CRC results");
	for (size_t i = 0; i < ne; i++)
		if (list[2 * i + 1] != ~list[2 * i])
			return sf_err_set(err, SF_E_PROTOCOL, "the CRC routine left entry %zu "
					   "unfinished (0x%08x 0x%08x)", i, list[2 * i],
					   list[2 * i + 1]);
	if (list[0] != tgt_code_crc())
		return sf_err_set(err, SF_E_PROTOCOL, "the CRC routine's CRC of its own code is "
				   "0x%08x, not 0x%08x: its code or its arithmetic is wrong",
				   list[0], tgt_code_crc());
	for (size_t i = 0; i < nr; i++)
		crc[i] = list[2 * i + 2];
	return 0;
}

int nrf52_tgt_crc(struct nrf52 *n, const struct nrf52_crc_range *r, size_t nr, uint32_t *crc,
		  struct sf_err *err)
{
	int rc;

	if (!nrf52_tgt_usable(n))
		return sf_err_set(err, SF_E_UNSUPPORTED, "on-target routines are off");
	if ((rc = tgt_take(n, err)))
		return rc;
	if ((rc = tgt_keep_ram(n, NRF52_WA_CRC_LIST + 8 * NRF52_WA_CRC_MAX - NRF52_RAM_BASE, err)))
		return rc;
	if ((rc = tgt_load(n, TGT_CRC, err)))
		return rc;
	for (size_t i = 0; i < nr; i += NRF52_WA_CRC_MAX - 1) {
		size_t k = nr - i < NRF52_WA_CRC_MAX - 1 ? nr - i : NRF52_WA_CRC_MAX - 1;

		if ((rc = tgt_crc_batch(n, r + i, k, crc + i, err))) {
			tgt_abort(n);
			return rc;
		}
	}
	if (n->tgt.state == 0)
		nrf52_debugf(n, "on-target CRC routine runs: compare and verify by CRC");
	n->tgt.state = 1;
	return 0;
}

/* ---- RAM-buffered writer ---- */

int nrf52_tgt_prefer_writer(struct nrf52 *n)
{
	/* WAIT-paced writes keep the NVMC busy on a wire-level link when
	 * the part buffers the next word (READYNEXT: 1.00x the floor at
	 * 4 MHz, make bench). Without that buffer (the nRF52832) each word
	 * waits for the one before and then for its own transfer (1.18x at
	 * 4 MHz, 1.65x at 1 MHz for 256 KiB); through a USB probe every
	 * block ends in a round trip while the NVMC idles (1.13x on the
	 * nRF52840, 1.76x on the 52832: bench/stlink_phases). One writer run
	 * takes the wire off the NVMC's path in both cases. */
	return nrf52_tgt_usable(n) && (!(n->dap->caps & DAP_CAP_WAIT_PACED) || n->dap->call_us ||
				       (n->part && !n->part->has_readynext));
}

/* Feed the stream into the ring while the routine takes it. Progress is
 * reported as pr->base + pr->span * (words taken / nwords); a cancel
 * returns SF_E_CANCELLED with the routine still running (the caller
 * aborts it). *left: words the routine had not taken at the last look. */
static int tgt_stream(struct nrf52 *n, const uint32_t *data, uint32_t nwords,
		      const struct nrf52_tgt_progress *pr, uint32_t *left, struct sf_err *err)
{
	const uint32_t slots = NRF52_WA_WRITER_BUF_SIZE / 4;
	uint32_t tw = n->part ? n->part->t_write_us : NRF52_T_WRITE_US;
	uint64_t stall_limit = (uint64_t)tw * NRF52_NVMC_DEADLINE_FACTOR + NRF52_NVMC_DEADLINE_MARGIN_US;
	uint64_t last_move = nrf52_now_us(n);
	uint32_t sent = 0, wp = 0, rp = 0, rp_addr, consumed = 0, k;
	int rc, halted;

	while (sent < nwords) {
		uint32_t free_slots, chunk;

		if ((rc = dap_read32(n->dap, NRF52_WA_WRITER_CTL + 4, &rp_addr, err)))
			return sf_err_prefix(err, "reading the writer's position");
		if (rp_addr < NRF52_WA_WRITER_BUF || rp_addr >= NRF52_WA_WRITER_BUF +
		    NRF52_WA_WRITER_BUF_SIZE || (rp_addr & 3U))
			return sf_err_set(err, SF_E_PROTOCOL, "the flash writer's read pointer "
					   "0x%08x is outside its buffer", rp_addr);
		k = (rp_addr - NRF52_WA_WRITER_BUF) / 4;
		if (k != rp) {
			consumed += (k - rp + slots) % slots;
			rp = k;
			last_move = nrf52_now_us(n);
		}
		if (consumed > sent)
			return sf_err_set(err, SF_E_PROTOCOL, "the flash writer took %u words of %u "
					   "sent", consumed, sent);
		if (pr && (rc = nrf52_report(n, NRF52_PHASE_PROGRAM, pr->base + pr->span * consumed /
					     nwords, pr->total, err)))
			return rc;
		free_slots = slots - 1 - (sent - consumed);
		if (free_slots < slots / 4 && nwords - sent > free_slots) {
			if (nrf52_now_us(n) - last_move > stall_limit) {
				if (!tgt_is_halted(n, &halted, err) && halted)
					n->halted = 1;
				return sf_err_set(err, SF_E_TIMEOUT, "the flash writer made no "
						   "progress for %llu us%s",
						   (unsigned long long)stall_limit,
						   n->halted ? " (the core stopped)" : "");
			}
			/* nearly full: let a quarter of the ring drain rather than
			 * send a small block per round trip (what stays is enough
			 * NVMC work to cover the refill) */
			nrf52_sleep(n, tw * (slots / 4));
			continue;
		}
		chunk = nwords - sent < free_slots ? nwords - sent : free_slots;
		if (chunk > slots - wp)
			chunk = slots - wp;  /* up to the end of the ring */
		if ((rc = nrf52_write_words(n, NRF52_WA_WRITER_BUF + 4 * wp, data + sent, chunk, err)))
			return sf_err_prefix(err, "filling the writer's buffer");
		wp = (wp + chunk) % slots;
		sent += chunk;
		/* the routine takes the words only once wp says they are there */
		if ((rc = dap_write32(n->dap, NRF52_WA_WRITER_CTL, NRF52_WA_WRITER_BUF + 4 * wp, err)))
			return sf_err_prefix(err, "advancing the writer's buffer");
	}
	/* how much the routine still has to take */
	if ((rc = dap_read32(n->dap, NRF52_WA_WRITER_CTL + 4, &rp_addr, err)))
		return sf_err_prefix(err, "reading the writer's position");
	k = (rp_addr - NRF52_WA_WRITER_BUF) / 4;
	if (rp_addr >= NRF52_WA_WRITER_BUF && k < slots)
		consumed += (k - rp + slots) % slots;
	*left = consumed <= sent ? sent - consumed : 0;
	return 0;
}

/* The stream of nrf52_target/flash_writer.S: {n, address, n words} per
 * run, then 0. */
static uint32_t *tgt_build_stream(const struct nrf52_tgt_run *r, size_t nr, uint32_t *len)
{
	uint64_t total = 1;
	uint32_t *s, *p;

	for (size_t i = 0; i < nr; i++)
		total += 2ULL + r[i].nwords;
	if (total > 0x3FFFFFFFU || !(s = malloc(4 * total)))
		return NULL;
	p = s;
	for (size_t i = 0; i < nr; i++) {
		*p++ = r[i].nwords;
		*p++ = r[i].addr;
		memcpy(p, r[i].data, 4ULL * r[i].nwords);
		p += r[i].nwords;
	}
	*p = 0;
	*len = (uint32_t)total;
	return s;
}

int nrf52_tgt_write(struct nrf52 *n, const struct nrf52_tgt_run *r, size_t nr,
		    const struct nrf52_tgt_progress *pr, struct sf_err *err)
{
	uint32_t tw = n->part ? n->part->t_write_us : NRF52_T_WRITE_US;
	uint32_t regs[5], ctl[2] = { NRF52_WA_WRITER_BUF, NRF52_WA_WRITER_BUF };
	uint32_t r0, r1, r8, left = 0, len = 0, *stream, end_addr;
	int rc;

	if (!nrf52_tgt_usable(n))
		return sf_err_set(err, SF_E_UNSUPPORTED, "on-target routines are off");
	if (!nr)
		return 0;
	for (size_t i = 0; i < nr; i++)
		if (!r[i].nwords || (r[i].addr & 3U))
			return sf_err_set(err, SF_E_ARG, "flash writer run %zu: %u words at 0x%08x",
					  i, r[i].nwords, r[i].addr);
	end_addr = r[nr - 1].addr + 4 * r[nr - 1].nwords;
	if (!(stream = tgt_build_stream(r, nr, &len)))
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	if ((rc = tgt_take(n, err)) || (rc = tgt_keep_ram(n, NRF52_WA_SIZE, err)) ||
	    (rc = tgt_load(n, TGT_WRITER, err)))
		goto out;
	if ((rc = nrf52_write_words(n, NRF52_WA_WRITER_CTL, ctl, 2, err))) {
		rc = sf_err_prefix(err, "setting up the writer's buffer");
		goto out;
	}
	regs[0] = 0;
	regs[1] = 0;
	regs[2] = NRF52_WA_WRITER_BUF;
	regs[3] = NRF52_WA_WRITER_BUF + NRF52_WA_WRITER_BUF_SIZE;
	regs[4] = NRF52_WA_WRITER_CTL;
	rc = tgt_start(n, NRF52_WA_WRITER_CODE + NRF52_TARGET_FLASH_WRITER_ENTRY,
		       NRF52_WA_WRITER_CODE + NRF52_TARGET_FLASH_WRITER_EXIT, regs, 5, err);
	if (!rc)
		rc = tgt_stream(n, stream, len, pr, &left, err);
	/* what was still in the ring at the last look takes t_WRITE a word */
	if (!rc)
		rc = tgt_finish(n, NRF52_WA_WRITER_CODE + NRF52_TARGET_FLASH_WRITER_EXIT,
				(uint64_t)tw * left, "flash writer", err);
	if (!rc && !(rc = tgt_reg_read(n, 0, &r0, err)) && !(rc = tgt_reg_read(n, 1, &r1, err)) &&
	    !(rc = tgt_reg_read(n, 8, &r8, err)) && (r0 != end_addr || r1 != 0 || r8 != nr))
		rc = sf_err_set(err, SF_E_PROTOCOL, "the flash writer stopped with r0=0x%08x r1=%u "
				 "r8=%u, not 0x%08x, 0 and %zu", r0, r1, r8, end_addr, nr);
	if (!rc && n->tgt.state == 0)
		nrf52_debugf(n, "on-target flash writer runs");
	if (!rc)
		n->tgt.state = 1;
out:
	if (rc)
		tgt_abort(n);
	free(stream);
	return rc;
}
