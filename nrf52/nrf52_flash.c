// SPDX-License-Identifier: GPL-2.0-or-later
/* nrf52_flash: program and verify an image.
 *
 * The image is cut into units the NVMC erases as a whole: code pages
 * (FICR CODEPAGESIZE) and the UICR. For each unit we know what the chip
 * must hold afterwards ("want"): the image bytes over what the chip holds
 * now, so bytes outside the image survive even when the unit is erased.
 *
 *   compare  (erase=auto/none) block reads of the words the image covers,
 *            stopping early on a page that must be erased; the rest of
 *            such a page is read so that bytes outside the image survive
 *   erase    a unit only when some bit must go 0->1 (or everything with
 *            NVMC ERASEALL for erase=chip); UICR with contents is read,
 *            erased and written back merged, and the log says so
 *   program  through the on-target writer when the core runs code and the
 *            probe lacks WAIT pacing or pays a USB round trip per call:
 *            every code page in one routine run fed through a RAM ring
 *            (nrf52_target.c), the wire and the NVMC working at once.
 *            Otherwise CONFIG=Wen once, then one auto-increment block write
 *            per run of words that change, straight into flash: the AHB stalls
 *            (SWD WAIT) while the NVMC writes a word, which paces the
 *            stream; READY is polled only before CONFIG changes and at
 *            the end (../shared/NRF52.md section 5, Black Magic Probe's
 *            evidence). A probe without DAP_CAP_WAIT_PACED (a USB probe
 *            fails a whole command, progress unknown) gets Nordic's
 *            debugger flow instead: one word, then poll READY, never
 *            repeating a write, so no word is written twice between
 *            erases
 *   verify   one block read per written unit, compared with "want"
 *
 * Cancellation is honoured between units (never inside an erase). */
#include "nrf52_preserve.h"
#include "nrf52_priv.h"

#include "../common/crc32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nrf52_unit {
	uint32_t addr, size;       /* base address and bytes */
	int uicr;
	uint8_t *want, *cur, *mask; /* size bytes each; mask: 1 = image byte */
	uint32_t lo, hi;           /* word indices covered by the image: [lo, hi) */
	uint32_t img_bytes;
	int erase;                 /* erase before writing */
	int skip;                  /* contents already equal: nothing to do */
	uint32_t nwrite;           /* words to write */
	uint32_t vlo, vhi;         /* word range to verify */
	int crc_differs;           /* the on-target CRC said the chip differs */
	int crc_blank;             /* ... and that [lo, hi) is erased */
	int written;               /* programmed by the flash writer */
};

struct nrf52_plan {
	struct nrf52_unit *u;
	size_t n, cap;
	uint64_t img_bytes;
};

static void nrf52_plan_free(struct nrf52_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->u[i].want);
		free(p->u[i].cur);
		free(p->u[i].mask);
	}
	free(p->u);
	memset(p, 0, sizeof(*p));
}

static struct nrf52_unit *nrf52_plan_unit(struct nrf52_plan *p, uint32_t addr, uint32_t size,
					  int uicr)
{
	struct nrf52_unit *u;

	if (p->n && p->u[p->n - 1].addr == addr)
		return &p->u[p->n - 1];
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct nrf52_unit *nu = realloc(p->u, cap * sizeof(*nu));
		if (!nu)
			return NULL;
		p->u = nu;
		p->cap = cap;
	}
	u = &p->u[p->n];
	memset(u, 0, sizeof(*u));
	u->addr = addr;
	u->size = size;
	u->uicr = uicr;
	u->lo = size / 4;
	u->want = malloc(size);
	u->cur = malloc(size);
	u->mask = calloc(1, size);
	if (!u->want || !u->cur || !u->mask) {
		free(u->want);
		free(u->cur);
		free(u->mask);
		return NULL;
	}
	memset(u->want, 0xFF, size);
	memset(u->cur, 0xFF, size);
	p->n++;
	return u;
}

/* Cut the (already range-checked) image into units. */
static int nrf52_plan_build(struct nrf52 *n, const struct img *img, struct nrf52_plan *p,
			    struct sf_err *err)
{
	uint32_t ps = n->info.page_size;

	for (size_t i = 0; i < img->nseg; i++) {
		const struct img_segment *s = &img->seg[i];
		uint64_t a = s->addr, e = a + s->len;

		while (a < e) {
			int uicr = a >= NRF52_UICR_BASE;
			uint32_t base = uicr ? NRF52_UICR_BASE : (uint32_t)a & ~(ps - 1);
			uint32_t size = uicr ? NRF52_UICR_SIZE : ps;
			uint64_t stop = e < (uint64_t)base + size ? e : (uint64_t)base + size;
			uint32_t off = (uint32_t)(a - base), len = (uint32_t)(stop - a);
			struct nrf52_unit *u = nrf52_plan_unit(p, base, size, uicr);

			if (!u)
				return sf_err_set(err, SF_E_NOMEM, "out of memory planning the flash");
			memcpy(u->want + off, s->data + (a - s->addr), len);
			memset(u->mask + off, 1, len);
			if (off / 4 < u->lo)
				u->lo = off / 4;
			if ((off + len + 3) / 4 > u->hi)
				u->hi = (off + len + 3) / 4;
			u->img_bytes += len;
			p->img_bytes += len;
			a = stop;
		}
	}
	return 0;
}

/* The kept pages of an earlier attempt: their kept bytes become part of
 * what the chip must hold wherever the image does not supply them
 * (nrf52_preserve.h); run->restored records which. */
static int nrf52_plan_restore(struct nrf52 *n, struct nrf52_plan *p, struct nrf52_keep_run *run,
			      struct nrf52_stats *st, struct sf_err *err)
{
	for (size_t i = 0; i < run->nloaded; i++) {
		const struct nrf52_kept_page *pg = &run->loaded[i];
		int uicr = pg->addr == NRF52_UICR_BASE;
		uint32_t size = uicr ? NRF52_UICR_SIZE : n->info.page_size, nb = 0;
		struct nrf52_unit *u = NULL;

		if (pg->size != size || (!uicr && (pg->addr % size || pg->addr >= n->info.flash_size)))
			return sf_err_set(err, SF_E_ARG, "a page kept by an earlier attempt "
					  "(0x%08x, %u bytes) is not a page of this %s", pg->addr,
					  pg->size, n->info.name);
		for (size_t k = 0; k < p->n && !u; k++)
			if (p->u[k].addr == pg->addr)
				u = &p->u[k];
		if (!u && !(u = nrf52_plan_unit(p, pg->addr, size, uicr)))
			return sf_err_set(err, SF_E_NOMEM, "out of memory planning the flash");
		if (!(run->restored[i] = calloc(1, size)))
			return sf_err_set(err, SF_E_NOMEM, "out of memory planning the flash");
		for (uint32_t b = 0; b < size; b++) {
			if (!pg->keep[b] || u->mask[b])
				continue;
			u->want[b] = pg->data[b];
			u->mask[b] = 1;
			run->restored[i][b] = 1;
			if (b / 4 < u->lo)
				u->lo = b / 4;
			if (b / 4 + 1 > u->hi)
				u->hi = b / 4 + 1;
			u->img_bytes++;
			p->img_bytes++;
			nb++;
		}
		if (!nb)
			continue;  /* the new image supplies them all */
		st->pages_restored++;
		nrf52_logf(n, "restoring %u bytes outside the image in the %s at 0x%08x: an earlier "
			   "attempt on this chip kept them before erasing it and did not finish",
			   nb, uicr ? "UICR" : "page", pg->addr);
	}
	return 0;
}

static uint32_t nrf52_word(const uint8_t *b, uint32_t i)
{
	uint32_t w;

	memcpy(&w, b + 4 * i, 4);
	return w;
}

/* want := image bytes over cur, for word indices [lo, hi). */
static void nrf52_merge(struct nrf52_unit *u, uint32_t lo, uint32_t hi)
{
	for (uint32_t b = lo * 4; b < hi * 4; b++)
		if (!u->mask[b])
			u->want[b] = u->cur[b];
}

/* Does some bit have to go from 0 to 1 in [lo, hi)? Returns the first such
 * word index, or -1. */
static long nrf52_needs_erase(const struct nrf52_unit *u, uint32_t lo, uint32_t hi)
{
	for (uint32_t i = lo; i < hi; i++)
		if (nrf52_word(u->want, i) & ~nrf52_word(u->cur, i))
			return (long)i;
	return -1;
}

/* Compare in runs of one word, then NRF52_COMPARE_RUN words, doubling
 * from there: once a run shows that a page must be erased, the image's
 * remaining words of that page need not be read, and a page that matches
 * costs only a few extra transfers (one posted-read completion per run;
 * on a USB probe one command: the 1-word run adds one to the 7 runs of a
 * 4 KiB page). One word settles most pages that differ (a word of other
 * data needs a 0->1 bit with odds 1 - (3/4)^32 when its bits are random),
 * and on a GPIO probe every word read costs ~46 SWCLK cycles, ~130 ioctls
 * (make bench, gpiod_vs_openocd: 16-word first runs were 1.9% of the S140
 * job). */
#define NRF52_COMPARE_FIRST_RUN 1U
/* Once the erase is certain, the words to keep are looked for in runs of
 * this many words. */
#define NRF52_COMPARE_RUN 16U

/* 1 when the image supplies every byte of words [lo, hi). */
static int nrf52_covered(const struct nrf52_unit *u, uint32_t lo, uint32_t hi)
{
	return memchr(u->mask + 4 * lo, 0, 4 * (hi - lo)) == NULL;
}

/* Read words [lo, hi) of the unit into cur and merge them into want. */
static int nrf52_read_cur(struct nrf52 *n, struct nrf52_unit *u, uint32_t lo, uint32_t hi,
			  struct sf_err *err)
{
	int rc = nrf52_read_words(n, u->addr + 4 * lo, (uint32_t *)(void *)(u->cur + 4 * lo),
				  hi - lo, err);

	if (!rc)
		nrf52_merge(u, lo, hi);
	return rc;
}

/* The CRC-32 of nwords erased words (0xFFFFFFFF). */
static uint32_t nrf52_crc_erased(uint32_t nwords)
{
	uint32_t ff[64], crc = 0;

	memset(ff, 0xFF, sizeof(ff));
	for (uint32_t i = 0; i < nwords; i += 64)
		crc = crc32_update(crc, ff, 4 * (nwords - i < 64 ? nwords - i : 64));
	return crc;
}

/* The on-target CRC of every page the image covers whole (nothing of the
 * chip's old contents is needed to know what it must hold): a page whose
 * CRC matches the image's is skipped without being read; the others are
 * read as before. UICR is always read (its old contents are merged and
 * reported). Returns 1 when the CRCs were used, 0 when the wire path must
 * do everything (the routines are then off, and the reason in the debug
 * log), or SF_E_NOMEM. */
static int nrf52_plan_compare_crc(struct nrf52 *n, struct nrf52_plan *p,
				  const struct nrf52_flash_opts *o, struct nrf52_stats *st,
				  struct sf_err *err)
{
	struct nrf52_crc_range *r;
	uint32_t *want, *got;
	size_t *idx, k = 0;
	struct sf_err terr = { 0 };
	int rc = 0;

	if (o->full_write || !nrf52_tgt_usable(n))
		return 0;
	r = calloc(p->n, sizeof(*r));
	want = calloc(p->n, sizeof(*want));
	got = calloc(p->n, sizeof(*got));
	idx = calloc(p->n, sizeof(*idx));
	if (!r || !want || !got || !idx) {
		rc = sf_err_set(err, SF_E_NOMEM, "out of memory planning the flash");
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct nrf52_unit *u = &p->u[i];

		if (u->uicr || u->hi <= u->lo || !nrf52_covered(u, u->lo, u->hi))
			continue;
		r[k].addr = u->addr + 4 * u->lo;
		r[k].nwords = u->hi - u->lo;
		want[k] = crc32_update(0, u->want + 4 * u->lo, 4 * (u->hi - u->lo));
		idx[k++] = i;
	}
	if (!k)
		goto out;
	if (nrf52_tgt_crc(n, r, k, got, &terr)) {
		nrf52_tgt_disable(n, terr.msg);
		st->target_fallback = 1;
		goto out;
	}
	for (size_t j = 0; j < k; j++) {
		struct nrf52_unit *u = &p->u[idx[j]];

		st->pages_crc++;
		if (got[j] == want[j]) {
			memcpy(u->cur + 4 * u->lo, u->want + 4 * u->lo, 4 * (u->hi - u->lo));
			u->skip = 1;
			st->pages_skipped++;
		} else if (got[j] == nrf52_crc_erased(r[j].nwords)) {
			/* erased (cur already reads 0xFF): nothing to read, no erase */
			u->crc_blank = 1;
		} else {
			u->crc_differs = 1;
		}
	}
	rc = 1;
out:
	free(r);
	free(want);
	free(got);
	free(idx);
	return rc;
}

/* erase=auto/none: read what the image covers and decide. A page that
 * must be erased has the rest of it read too, so that bytes outside the
 * image survive; words the image covers completely are not read once the
 * erase is certain (they are erased and rewritten from the image). UICR
 * is always read whole: its old contents are reported when merged. */
/* One pass over the units the CRC did not settle: 0, a negative code, or
 * 1 when a readback contradicted the on-target CRC (start again on the
 * wire). */
static int nrf52_plan_compare_pass(struct nrf52 *n, struct nrf52_plan *p,
				   const struct nrf52_flash_opts *o, struct nrf52_stats *st,
				   struct sf_err *err)
{
	uint64_t done = 0;
	int rc;

	for (size_t i = 0; i < p->n; i++) {
		struct nrf52_unit *u = &p->u[i];
		uint32_t words = u->size / 4;
		int certain = o->full_write && o->erase == NRF52_ERASE_AUTO && !u->uicr;

		if (u->skip) {
			done += u->img_bytes;
			continue;
		}
		if (u->crc_blank) {
			/* cur is 0xFF already and want is the image: programming
			 * only clears bits, so neither erase nor a read is needed */
			done += u->img_bytes;
			continue;
		}
		uint32_t run = NRF52_COMPARE_FIRST_RUN;
		long bad = -1;

		if ((rc = nrf52_report(n, NRF52_PHASE_ERASE, done, p->img_bytes, err)))
			return rc;
		for (uint32_t lo = u->lo, hi; lo < u->hi; lo = hi) {
			/* once the erase is certain, look for words to keep in small
			 * runs aligned to NRF52_COMPARE_RUN words (so a gap is read
			 * in as few words as it spans) */
			uint32_t len = certain ? NRF52_COMPARE_RUN - lo % NRF52_COMPARE_RUN : run;

			hi = lo + len < u->hi ? lo + len : u->hi;
			run = run < NRF52_COMPARE_RUN ? NRF52_COMPARE_RUN : run * 2;
			if (certain && nrf52_covered(u, lo, hi))
				continue;
			if ((rc = nrf52_read_cur(n, u, lo, hi, err)))
				return rc;
			if (bad < 0 && (bad = nrf52_needs_erase(u, lo, hi)) >= 0 && !u->uicr)
				certain = 1;
			if (bad >= 0 && o->erase == NRF52_ERASE_NONE)
				return sf_err_set(err, SF_E_PRECONDITION,
						   "0x%08x holds 0x%08x where the image needs 0x%08x: "
						   "a 0->1 bit needs an erase, but erase=none (nothing "
						   "was written)",
						   u->addr + 4 * (uint32_t)bad,
						   nrf52_word(u->cur, (uint32_t)bad),
						   nrf52_word(u->want, (uint32_t)bad));
		}
		u->erase = bad >= 0 || (o->full_write && o->erase == NRF52_ERASE_AUTO);
		if (u->erase) {
			/* keep what lies outside the image */
			if (u->lo > 0 && (rc = nrf52_read_cur(n, u, 0, u->lo, err)))
				return rc;
			if (u->hi < words && (rc = nrf52_read_cur(n, u, u->hi, words, err)))
				return rc;
		} else if (!o->full_write && memcmp(u->want + 4 * u->lo, u->cur + 4 * u->lo,
						    4 * (u->hi - u->lo)) == 0) {
			if (u->crc_differs) {
				/* the target's CRC said this page differs, the wire says it
				 * does not: its other answers cannot be trusted either */
				nrf52_tgt_disable(n, "the on-target CRC disagreed with a readback");
				st->target_fallback = 1;
				return 1;
			}
			u->skip = 1;
			st->pages_skipped += !u->uicr;
		}
		done += u->img_bytes;
	}
	return nrf52_report(n, NRF52_PHASE_ERASE, done, p->img_bytes, err);
}

static int nrf52_plan_compare(struct nrf52 *n, struct nrf52_plan *p,
			      const struct nrf52_flash_opts *o, struct nrf52_stats *st,
			      struct sf_err *err)
{
	int rc;

	if (o->verify_mode == NRF52_VERIFY_AUTO &&
	    (rc = nrf52_plan_compare_crc(n, p, o, st, err)) < 0)
		return rc;
	rc = nrf52_plan_compare_pass(n, p, o, st, err);
	if (rc != 1)
		return rc;
	/* forget everything the CRC decided and compare on the wire */
	st->pages_skipped = 0;
	st->pages_crc = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct nrf52_unit *u = &p->u[i];

		u->skip = u->erase = u->crc_differs = u->crc_blank = 0;
		memset(u->cur, 0xFF, u->size);
		for (uint32_t b = 0; b < u->size; b++)
			if (!u->mask[b])
				u->want[b] = 0xFF;
	}
	return nrf52_plan_compare_pass(n, p, o, st, err);
}

/* Does word w get written? After an erase every word that is not 0xFF;
 * otherwise the image's words that differ from the chip (or all of the
 * image's programmed words for a full write). */
static int nrf52_word_writes(const struct nrf52_unit *u, uint32_t w, int full_write)
{
	uint32_t want = nrf52_word(u->want, w);

	if (u->erase)
		return want != 0xFFFFFFFFU;
	if (w < u->lo || w >= u->hi)
		return 0;
	return want != nrf52_word(u->cur, w) || (full_write && want != 0xFFFFFFFFU);
}

/* Which words get written, and which are verified afterwards. */
static void nrf52_plan_writes(struct nrf52_plan *p, const struct nrf52_flash_opts *o)
{
	for (size_t i = 0; i < p->n; i++) {
		struct nrf52_unit *u = &p->u[i];
		uint32_t words = u->size / 4, first = words, last = 0;

		u->nwrite = 0;
		if (u->skip)
			continue;
		for (uint32_t w = 0; w < words; w++) {
			if (!nrf52_word_writes(u, w, o->full_write))
				continue;
			u->nwrite++;
			if (w < first)
				first = w;
			last = w;
		}
		u->vlo = u->lo;
		u->vhi = u->hi;
		if (u->nwrite) {
			if (first < u->vlo)
				u->vlo = first;
			if (last + 1 > u->vhi)
				u->vhi = last + 1;
		}
	}
}

/* Words [w, end) one at a time, each followed by a wait for READY
 * (nRF52832 Production Programming: write a word, poll READY until 1). A
 * failed write is not repeated: how much of the word was programmed is
 * unknown, and a second write of a flash word before an erase is exactly
 * what this path exists to avoid. */
static int nrf52_program_words_ready(struct nrf52 *n, uint32_t addr, const uint8_t *want,
				     uint32_t nwords, struct sf_err *err)
{
	for (uint32_t i = 0; i < nwords; i++) {
		uint32_t a = addr + 4 * i, v;
		int rc;

		memcpy(&v, want + 4 * i, 4);
		rc = dap_write32(n->dap, a, v, err);
		if (rc)
			return sf_err_prefix(err, "writing 0x%08x without WAIT-paced writes (not "
					      "repeated: the word may be partly programmed)", a);
		rc = nrf52_nvmc_wait_word(n, err);
		if (rc)
			return sf_err_prefix(err, "after writing 0x%08x", a);
	}
	return 0;
}

/* Write words [w, end) of the unit on the wire. */
static int nrf52_unit_write_wire(struct nrf52 *n, struct nrf52_unit *u, uint32_t w, uint32_t end,
				 struct sf_err *err)
{
	if (n->dap->caps & DAP_CAP_WAIT_PACED)
		return nrf52_write_words(n, u->addr + 4 * w, (const uint32_t *)(const void *)
					 (u->want + 4 * w), end - w, err);
	return nrf52_program_words_ready(n, u->addr + 4 * w, u->want + 4 * w, end - w, err);
}

/* The flash writer failed somewhere in this unit: what it wrote is
 * unknown. Read the unit back; if some word now needs a 0->1 bit (a word
 * half programmed), erase the unit and write it all on the wire, else
 * write on the wire only the words that differ (programming ANDs, so a
 * word that holds more 1s than wanted becomes what is wanted). */
static int nrf52_unit_rescue(struct nrf52 *n, struct nrf52_unit *u, int full_write,
			     struct sf_err *err)
{
	uint32_t words = u->size / 4;
	uint8_t *chip = malloc(u->size);
	int rc, erase = 0;

	if (!chip)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_WEN, err);
	if (!rc)
		rc = nrf52_read_words(n, u->addr, (uint32_t *)(void *)chip, words, err);
	if (rc)
		goto out;
	for (uint32_t w = 0; w < words && !erase; w++)
		erase = nrf52_word_writes(u, w, full_write) &&
			(nrf52_word(u->want, w) & ~nrf52_word(chip, w)) != 0;
	if (erase) {
		nrf52_debugf(n, "0x%08x: the flash writer left a word half written: erasing "
			     "the %s again", u->addr, u->uicr ? "UICR" : "page");
		rc = u->uicr ? nrf52_nvmc_erase_uicr(n, err) : nrf52_nvmc_erase_page(n, u->addr, err);
		if (!rc)
			rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_WEN, err);
		memset(chip, 0xFF, u->size);
		u->erase = 1;
	}
	for (uint32_t w = 0; w < words && !rc;) {
		uint32_t end;

		while (w < words && (!nrf52_word_writes(u, w, full_write) ||
				     nrf52_word(u->want, w) == nrf52_word(chip, w)))
			w++;
		end = w;
		while (end < words && nrf52_word_writes(u, end, full_write) &&
		       nrf52_word(u->want, end) != nrf52_word(chip, end))
			end++;
		if (end > w)
			rc = nrf52_unit_write_wire(n, u, w, end, err);
		w = end;
	}
out:
	free(chip);
	return rc;
}

/* The next run of words the unit writes at or after *w: [*w, *end).
 * 0 when there is none. */
static int nrf52_unit_next_run(const struct nrf52_unit *u, int full_write, uint32_t *w,
			       uint32_t *end)
{
	uint32_t nw = u->size / 4, a = *w, b;

	while (a < nw && !nrf52_word_writes(u, a, full_write))
		a++;
	for (b = a; b < nw && nrf52_word_writes(u, b, full_write); b++)
		;
	*w = a;
	*end = b;
	return b > a;
}

/* Program the unit's words on the wire. */
static int nrf52_unit_program(struct nrf52 *n, struct nrf52_unit *u, int full_write,
			      struct sf_err *err)
{
	for (uint32_t w = 0, end; nrf52_unit_next_run(u, full_write, &w, &end); w = end) {
		int rc = nrf52_unit_write_wire(n, u, w, end, err);

		if (rc)
			return sf_err_prefix(err, "programming %s", u->uicr ? "UICR" : "flash");
	}
	return 0;
}

/* The runs of words the unit writes, into r when r is not NULL; returns
 * how many. */
static size_t nrf52_unit_runs(const struct nrf52_unit *u, int full_write, struct nrf52_tgt_run *r)
{
	size_t k = 0;

	for (uint32_t w = 0, end; nrf52_unit_next_run(u, full_write, &w, &end); w = end, k++)
		if (r) {
			r[k].addr = u->addr + 4 * w;
			r[k].nwords = end - w;
			r[k].data = (const uint32_t *)(const void *)(u->want + 4 * w);
		}
	return k;
}

/* Does the writer take this unit? Code pages with words to write. */
static int nrf52_writer_takes(const struct nrf52_unit *u)
{
	return !u->uicr && u->nwrite;
}

/* Every code page of the plan in one run of the RAM-ring writer (UICR, at
 * most 256 words, stays on the wire). Sets u->written for what it
 * programmed. 0 (also when it had nothing to do, or the routines are
 * off: the wire path does the rest), SF_E_CANCELLED, or a wire error
 * from rescuing after a failed run: then every page of the run is read
 * back and finished on the wire (nrf52_unit_rescue). */
static int nrf52_plan_program_writer(struct nrf52 *n, struct nrf52_plan *p, int full_write,
				     struct nrf52_stats *st, struct sf_err *err)
{
	struct nrf52_tgt_progress pr = { 0, 0, p->img_bytes };
	struct nrf52_tgt_run *r = NULL;
	struct sf_err terr = { 0 };
	size_t nr = 0;
	uint64_t words = 0;
	int rc = 0;

	if (!nrf52_tgt_prefer_writer(n))
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (nrf52_writer_takes(&p->u[i]))
			nr += nrf52_unit_runs(&p->u[i], full_write, NULL);
	if (!nr)
		return 0;
	if (!(r = calloc(nr, sizeof(*r))))
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	nr = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct nrf52_unit *u = &p->u[i];

		if (!nrf52_writer_takes(u))
			continue;
		nr += nrf52_unit_runs(u, full_write, r + nr);
		words += u->nwrite;
		pr.span += u->img_bytes;
	}
	if ((rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_WEN, err)))
		goto out;
	rc = nrf52_tgt_write(n, r, nr, &pr, &terr);
	if (rc == SF_E_CANCELLED || rc == SF_E_DISCONNECTED) {
		*err = terr;  /* nothing to rescue with: cancelled, or the probe is gone */
		goto out;
	}
	if (!rc) {
		st->words_ram_writer += words;
		for (size_t i = 0; i < p->n; i++)
			p->u[i].written = nrf52_writer_takes(&p->u[i]);
		goto out;
	}
	/* what the routine wrote is unknown: finish every page it had */
	nrf52_tgt_disable(n, terr.msg);
	st->target_fallback = 1;
	rc = 0;
	for (size_t i = 0; i < p->n && !rc; i++) {
		struct nrf52_unit *u = &p->u[i];

		if (!nrf52_writer_takes(u))
			continue;
		rc = nrf52_unit_rescue(n, u, full_write, err);
		if (rc)
			rc = sf_err_prefix(err, "programming flash on the wire after the flash "
					   "writer failed (%s)", terr.msg);
		else
			u->written = 1;
	}
out:
	free(r);
	return rc;
}

static int nrf52_unit_verify(struct nrf52 *n, const struct nrf52_unit *u, uint32_t *buf,
			     struct sf_err *err)
{
	uint32_t nw = u->vhi - u->vlo;
	const uint8_t *got = (const uint8_t *)buf, *want = u->want + 4 * u->vlo;
	int rc;

	if (!nw)
		return 0;
	rc = nrf52_read_words(n, u->addr + 4 * u->vlo, buf, nw, err);
	if (rc)
		return sf_err_prefix(err, "verifying");
	for (uint32_t b = 0; b < nw * 4; b++) {
		if (got[b] != want[b]) {
			uint32_t a = u->addr + 4 * u->vlo + b, wi = b & ~3U;
			uint32_t ew, gw;
			memcpy(&ew, want + wi, 4);
			memcpy(&gw, got + wi, 4);
			return sf_err_set(err, SF_E_VERIFY,
					   "verify failed at 0x%08x: expected 0x%02x, read 0x%02x "
					   "(word 0x%08x: expected 0x%08x, read 0x%08x)",
					   a, want[b], got[b], a & ~3U, ew, gw);
		}
	}
	return 0;
}

/* The on-target CRC of every unit to verify: vcrc[i] = 1 when it matches
 * the image, 2 when it differs (the caller reads that unit back to name
 * the address). On a routine failure nothing is marked and the routines
 * are off: the caller reads everything back. 0 or SF_E_NOMEM. */
static int nrf52_plan_verify_crc(struct nrf52 *n, struct nrf52_plan *p, int *vcrc,
				 struct nrf52_stats *st)
{
	struct nrf52_crc_range *r;
	uint32_t *want, *got;
	size_t *idx, k = 0;
	struct sf_err terr = { 0 };

	if (!nrf52_tgt_usable(n))
		return 0;
	r = calloc(p->n, sizeof(*r));
	want = calloc(p->n, sizeof(*want));
	got = calloc(p->n, sizeof(*got));
	idx = calloc(p->n, sizeof(*idx));
	if (!r || !want || !got || !idx) {
		free(r);
		free(want);
		free(got);
		free(idx);
		return SF_E_NOMEM;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct nrf52_unit *u = &p->u[i];

		if (u->skip || u->vhi <= u->vlo)
			continue;
		r[k].addr = u->addr + 4 * u->vlo;
		r[k].nwords = u->vhi - u->vlo;
		want[k] = crc32_update(0, u->want + 4 * u->vlo, 4 * (u->vhi - u->vlo));
		idx[k++] = i;
	}
	if (k && nrf52_tgt_crc(n, r, k, got, &terr)) {
		nrf52_tgt_disable(n, terr.msg);
		st->target_fallback = 1;
		k = 0;
	}
	for (size_t j = 0; j < k; j++) {
		vcrc[idx[j]] = got[j] == want[j] ? 1 : 2;
		if (got[j] == want[j])
			st->bytes_crc_verified += 4ULL * r[j].nwords;
	}
	free(r);
	free(want);
	free(got);
	free(idx);
	return 0;
}

static int nrf52_plan_has_uicr_word(const struct nrf52_unit *u, uint32_t off)
{
	return u->mask[off] || u->mask[off + 1] || u->mask[off + 2] || u->mask[off + 3];
}

/* erase=chip on a hardened part: keep UICR.APPROTECT=HwDisabled unless
 * the image sets APPROTECT itself. */
static int nrf52_plan_keep_approtect(struct nrf52 *n, struct nrf52_plan *p, uint32_t saved,
				     struct sf_err *err)
{
	uint32_t off = NRF52_UICR_APPROTECT - NRF52_UICR_BASE;
	struct nrf52_unit *u;

	if (saved == 0xFFFFFFFFU)
		return 0;
	u = nrf52_plan_unit(p, NRF52_UICR_BASE, NRF52_UICR_SIZE, 1);
	if (!u)
		return sf_err_set(err, SF_E_NOMEM, "out of memory planning the flash");
	if (nrf52_plan_has_uicr_word(u, off)) {
		nrf52_logf(n, "the image sets UICR.APPROTECT itself: not keeping 0x%02X",
			   saved & 0xFFU);
		return 0;
	}
	memcpy(u->want + off, &saved, 4);
	if (off / 4 < u->lo)
		u->lo = off / 4;
	if (off / 4 + 1 > u->hi)
		u->hi = off / 4 + 1;
	nrf52_logf(n, "keeping UICR.APPROTECT=0x%02X (HwDisabled) through the chip erase so this "
		   "hardened %s stays debuggable", saved & 0xFFU, n->info.name);
	return 0;
}

static uint32_t nrf52_count_words(const uint8_t *b, uint32_t lo, uint32_t hi)
{
	uint32_t c = 0;

	for (uint32_t i = lo; i < hi; i++)
		c += nrf52_word(b, i) != 0xFFFFFFFFU;
	return c;
}

/* Best effort after a failure: leave the NVMC read-only. */
static void nrf52_nvmc_cleanup(struct nrf52 *n, int rc)
{
	struct sf_err tmp;

	if (rc == SF_E_NOTARGET || n->nvmc_config == NRF52_NVMC_CONFIG_REN ||
	    n->nvmc_config == ~0U)
		return;
	nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_REN, &tmp);
}

static int nrf52_flash_open(struct nrf52 *n, const struct img *img,
			    const struct nrf52_flash_opts *o, struct sf_err *err)
{
	struct nrf52_info any = { .identified = 1, .flash_size = 1024U * 1024U };
	int rc = 0;

	if (!n->connected) {
		rc = nrf52_identify(n, NULL, err);
		if (rc)
			return rc;
	}
	if (n->info.locked) {
		if (!o->recover)
			return sf_err_set(err, SF_E_LOCKED,
					   "the chip is locked (APPROTECT): flashing it needs a "
					   "recover first, which erases flash, UICR and RAM");
		/* The part is unknown until the recover, which destroys the
		 * contents: refuse what fits no nRF52 before erasing anything. */
		snprintf(any.name, sizeof(any.name), "largest nRF52");
		rc = nrf52_check_image(&any, img, err);
		if (!rc)
			rc = nrf52_recover(n, err);
	}
	return rc;
}

int nrf52_flash(struct nrf52 *n, const struct img *img, const struct nrf52_flash_opts *o,
		struct nrf52_stats *stats, struct sf_err *err)
{
	struct nrf52_plan plan = { 0 };
	struct nrf52_keep_run keep = { 0 };
	struct nrf52_stats st = { 0 };
	uint64_t t = nrf52_now_us(n), done;
	uint32_t saved = 0xFFFFFFFFU, *vbuf = NULL;
	int rc, *vcrc = NULL;

	if (o->erase != NRF52_ERASE_AUTO && o->erase != NRF52_ERASE_CHIP &&
	    o->erase != NRF52_ERASE_NONE)
		return sf_err_set(err, SF_E_ARG, "unknown erase mode %d", (int)o->erase);
	nrf52_report(n, NRF52_PHASE_CONNECT, 0, 1, NULL);
	rc = nrf52_flash_open(n, img, o, err);
	if (!rc)
		rc = nrf52_check_image(&n->info, img, err);
	if (!rc)
		rc = nrf52_prepare(n, err);
	if (rc)
		goto out;
	if (!o->no_target_code)
		nrf52_tgt_begin(n, o->reset);  /* the reset that follows makes RAM scratch */
	rc = nrf52_plan_build(n, img, &plan, err);
	if (!rc)
		rc = nrf52_keep_begin(n, o->erase == NRF52_ERASE_CHIP, &keep, err);
	if (!rc)
		rc = nrf52_plan_restore(n, &plan, &keep, &st, err);
	if (rc)
		goto out;
	st.us_connect = nrf52_now_us(n) - t;

	/* compare (auto/none) */
	t = nrf52_now_us(n);
	if (o->erase != NRF52_ERASE_CHIP) {
		rc = nrf52_plan_compare(n, &plan, o, &st, err);
		if (rc)
			goto out;
	} else {
		rc = nrf52_save_approtect(n, &saved, err);
		if (!rc)
			rc = nrf52_plan_keep_approtect(n, &plan, saved, err);
		if (rc)
			goto out;
		for (size_t i = 0; i < plan.n; i++)
			plan.u[i].erase = 1;  /* ERASEALL below: everything reads 0xFF */
	}
	nrf52_plan_writes(&plan, o);
	st.us_compare = nrf52_now_us(n) - t;

	/* erase */
	t = nrf52_now_us(n);
	if (o->erase == NRF52_ERASE_CHIP) {
		if ((rc = nrf52_report(n, NRF52_PHASE_ERASE, 0, n->info.flash_size, err)))
			goto out;
		rc = nrf52_nvmc_erase_all(n, err);
		if (rc)
			goto out;
		st.pages_erased = n->info.flash_size / n->info.page_size;
		st.uicr_erased = 1;
		nrf52_logf(n, "erased the whole chip (NVMC ERASEALL: flash and UICR)");
		nrf52_report(n, NRF52_PHASE_ERASE, n->info.flash_size, n->info.flash_size, NULL);
	} else {
		uint64_t total = 0;

		done = 0;
		for (size_t i = 0; i < plan.n; i++)
			total += plan.u[i].erase ? plan.u[i].size : 0;
		for (size_t i = 0; i < plan.n && total; i++) {
			struct nrf52_unit *u = &plan.u[i];

			if (!u->erase)
				continue;
			if ((rc = nrf52_report(n, NRF52_PHASE_ERASE, done, total, err)))
				goto out;
			rc = nrf52_keep_save(n, &keep, u->addr, u->size, u->want, u->mask, err);
			if (rc)
				goto out;
			if (u->uicr) {
				uint32_t had = nrf52_count_words(u->cur, 0, u->size / 4);
				rc = nrf52_nvmc_erase_uicr(n, err);
				if (rc)
					goto out;
				st.uicr_erased = 1;
				if (had) {
					st.uicr_merged = 1;
					nrf52_logf(n, "UICR already held %u programmed words and the image "
						   "changes it: read it, erased UICR, writing back %u "
						   "words merged with the image's",
						   had, nrf52_count_words(u->want, 0, u->size / 4));
				}
			} else {
				rc = nrf52_nvmc_erase_page(n, u->addr, err);
				if (rc)
					goto out;
				st.pages_erased++;
			}
			done += u->size;
		}
		if (total)
			nrf52_report(n, NRF52_PHASE_ERASE, total, total, NULL);
	}
	st.us_erase = nrf52_now_us(n) - t;

	/* program: the code pages through the writer where it pays, the rest
	 * on the wire */
	t = nrf52_now_us(n);
	if ((rc = nrf52_plan_program_writer(n, &plan, o->full_write, &st, err)))
		goto out;
	done = 0;
	for (size_t i = 0; i < plan.n; i++) {
		struct nrf52_unit *u = &plan.u[i];
		uint64_t next = done + u->img_bytes;

		/* a unit the writer programmed counts as done already */
		if ((rc = nrf52_report(n, NRF52_PHASE_PROGRAM, u->written ? next : done,
				       plan.img_bytes, err)))
			goto out;
		if (u->nwrite && !u->written) {
			rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_WEN, err);
			if (!rc)
				rc = nrf52_unit_program(n, u, o->full_write, err);
			if (rc)
				goto out;
		}
		if (u->nwrite) {
			st.bytes_written += 4ULL * u->nwrite;
			st.pages_written += !u->uicr;
		}
		done = next;
	}
	/* READY at the end: CONFIG back to read-only waits for the last word */
	rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_REN, err);
	if (rc)
		goto out;
	nrf52_report(n, NRF52_PHASE_PROGRAM, plan.img_bytes, plan.img_bytes, NULL);
	st.us_program = nrf52_now_us(n) - t;

	/* verify what was written; skipped units were compared just before */
	if (o->verify) {
		uint64_t total = 0;

		t = nrf52_now_us(n);
		vbuf = malloc(NRF52_UICR_SIZE > n->info.page_size ? NRF52_UICR_SIZE
								  : n->info.page_size);
		if (!vbuf) {
			rc = sf_err_set(err, SF_E_NOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < plan.n; i++)
			total += plan.u[i].skip ? 0 : 4ULL * (plan.u[i].vhi - plan.u[i].vlo);
		vcrc = calloc(plan.n ? plan.n : 1, sizeof(*vcrc));
		if (!vcrc) {
			rc = sf_err_set(err, SF_E_NOMEM, "out of memory");
			goto out;
		}
		/* the CRC run is part of verify, in progress and in us_verify */
		if ((rc = nrf52_report(n, NRF52_PHASE_VERIFY, 0, total, err)))
			goto out;
		if (o->verify_mode == NRF52_VERIFY_AUTO &&
		    (rc = nrf52_plan_verify_crc(n, &plan, vcrc, &st)))
			goto out;
again:
		done = 0;
		for (size_t i = 0; i < plan.n; i++) {
			struct nrf52_unit *u = &plan.u[i];

			if (u->skip)
				continue;
			if ((rc = nrf52_report(n, NRF52_PHASE_VERIFY, done, total, err)))
				goto out;
			if (vcrc[i] == 1) {
				done += 4ULL * (u->vhi - u->vlo);
				continue;
			}
			/* a CRC that differs is read back: it names the address */
			rc = nrf52_unit_verify(n, u, vbuf, err);
			if (rc)
				goto out;
			if (vcrc[i] == 2) {
				/* the target's CRC said it differs, the wire says it does
				 * not: none of its answers count */
				nrf52_tgt_disable(n, "the on-target CRC disagreed with a readback");
				st.target_fallback = 1;
				st.bytes_crc_verified = 0;
				memset(vcrc, 0, plan.n * sizeof(*vcrc));
				goto again;
			}
			done += 4ULL * (u->vhi - u->vlo);
		}
		st.bytes_verified = done;
		nrf52_report(n, NRF52_PHASE_VERIFY, total, total, NULL);
		st.us_verify = nrf52_now_us(n) - t;
	}
	/* everything is written (and verified): the kept copies may go */
	nrf52_keep_end(n, &keep, o->erase == NRF52_ERASE_CHIP);
	if (n->tgt.owned && (rc = nrf52_tgt_end(n, err)))
		goto out;

	if (o->reset) {
		t = nrf52_now_us(n);
		nrf52_report(n, NRF52_PHASE_RESET, 0, 1, NULL);
		rc = nrf52_reset(n, NRF52_RESET_SYSRESETREQ, 0, err);
		if (rc)
			goto out;
		nrf52_report(n, NRF52_PHASE_RESET, 1, 1, NULL);
		st.us_reset = nrf52_now_us(n) - t;
	}
out:
	if (rc)
		nrf52_nvmc_cleanup(n, rc);
	if (n->tgt.owned) {
		struct sf_err tmp;
		nrf52_tgt_end(n, &tmp);
	}
	free(vbuf);
	nrf52_keep_run_free(&keep);
	free(vcrc);
	nrf52_plan_free(&plan);
	if (stats)
		*stats = st;
	return rc;
}

/* Read [addr, addr + len) back and compare with data. */
static int nrf52_verify_read(struct nrf52 *n, uint64_t addr, const uint8_t *data, uint64_t len,
			     uint64_t *done, uint64_t total, struct sf_err *err)
{
	uint32_t words[1024];
	uint64_t a = addr, e = addr + len;
	int rc;

	while (a < e) {
		uint64_t a0 = a & ~3ULL, stop = a0 + sizeof(words);
		size_t nw;
		const uint8_t *got = (const uint8_t *)words;

		if (stop > e)
			stop = e;
		nw = (size_t)((stop - a0 + 3) / 4);
		if ((rc = nrf52_report(n, NRF52_PHASE_VERIFY, *done, total, err)))
			return rc;
		rc = nrf52_read_words(n, (uint32_t)a0, words, nw, err);
		if (rc)
			return sf_err_prefix(err, "verifying");
		for (uint64_t b = a; b < stop; b++) {
			uint8_t want = data[b - addr], have = got[b - a0];
			if (want != have)
				return sf_err_set(err, SF_E_VERIFY,
						   "verify failed at 0x%08llx: expected 0x%02x, "
						   "read 0x%02x", (unsigned long long)b, want, have);
		}
		*done += stop - a;
		a = stop;
	}
	return 0;
}

/* Cut the image into pieces of at most 4 KiB that stop at 4 KiB
 * boundaries; a piece of whole words is checked by CRC. */
struct nrf52_vpiece {
	uint32_t addr, len;
	const uint8_t *data;
	int crc;  /* 0 not checked, 1 matched, 2 differed */
};

static int nrf52_verify_crc_pieces(struct nrf52 *n, struct nrf52_vpiece *v, size_t nv)
{
	struct nrf52_crc_range *r = calloc(nv ? nv : 1, sizeof(*r));
	uint32_t *got = calloc(nv ? nv : 1, sizeof(*got));
	size_t *idx = calloc(nv ? nv : 1, sizeof(*idx)), k = 0;
	struct sf_err terr = { 0 };
	int rc = 0;

	if (!r || !got || !idx) {
		rc = SF_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < nv; i++) {
		if ((v[i].addr | v[i].len) & 3U)
			continue;
		r[k].addr = v[i].addr;
		r[k].nwords = v[i].len / 4;
		idx[k++] = i;
	}
	if (k && nrf52_tgt_crc(n, r, k, got, &terr)) {
		nrf52_tgt_disable(n, terr.msg);
		goto out;
	}
	for (size_t j = 0; j < k; j++) {
		struct nrf52_vpiece *p = &v[idx[j]];
		p->crc = got[j] == crc32_update(0, p->data, p->len) ? 1 : 2;
	}
out:
	free(r);
	free(got);
	free(idx);
	return rc;
}

int nrf52_verify_mode(struct nrf52 *n, const struct img *img, enum nrf52_verify_mode mode,
		      struct sf_err *err)
{
	struct nrf52_vpiece *v = NULL;
	size_t nv = 0, cap = 0;
	uint64_t done = 0;
	int rc = nrf52_ensure_open(n, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < img->nseg; i++) {
		const struct img_segment *s = &img->seg[i];
		uint64_t a = s->addr, e = a + s->len;

		while (a < e) {
			uint64_t stop = (a | 0xFFFULL) + 1;

			if (stop > e)
				stop = e;
			if (nv == cap) {
				size_t nc = cap ? 2 * cap : 64;
				struct nrf52_vpiece *nvp = realloc(v, nc * sizeof(*nvp));
				if (!nvp) {
					free(v);
					return sf_err_set(err, SF_E_NOMEM, "out of memory");
				}
				v = nvp;
				cap = nc;
			}
			v[nv].addr = (uint32_t)a;
			v[nv].len = (uint32_t)(stop - a);
			v[nv].data = s->data + (a - s->addr);
			v[nv++].crc = 0;
			a = stop;
		}
	}
	if (mode == NRF52_VERIFY_AUTO) {
		nrf52_tgt_begin(n, 0);  /* RAM and registers put back, resumed if it ran */
		if (nrf52_tgt_usable(n) && (rc = nrf52_verify_crc_pieces(n, v, nv)))
			rc = sf_err_set(err, rc, "out of memory");
	}
again:
	done = 0;
	for (size_t i = 0; i < nv && !rc; i++) {
		if (v[i].crc == 1) {
			done += v[i].len;
			continue;
		}
		rc = nrf52_verify_read(n, v[i].addr, v[i].data, v[i].len, &done, img->total, err);
		if (!rc && v[i].crc == 2) {
			nrf52_tgt_disable(n, "the on-target CRC disagreed with a readback");
			for (size_t j = 0; j < nv; j++)
				v[j].crc = 0;
			goto again;
		}
	}
	if (n->tgt.owned) {
		struct sf_err tmp = { 0 };
		int erc = nrf52_tgt_end(n, rc ? &tmp : err);
		if (!rc)
			rc = erc;
	}
	free(v);
	if (!rc)
		nrf52_report(n, NRF52_PHASE_VERIFY, img->total, img->total, NULL);
	return rc;
}

int nrf52_verify(struct nrf52 *n, const struct img *img, struct sf_err *err)
{
	return nrf52_verify_mode(n, img, NRF52_VERIFY_AUTO, err);
}
