// SPDX-License-Identifier: GPL-2.0-or-later
#include "nrf52_preserve.h"
#include "nrf52_priv.h"

#include <stdlib.h>
#include <string.h>

void nrf52_set_keeper(struct nrf52 *n, const struct nrf52_keeper *k)
{
	n->keeper = k;
}

void nrf52_kept_pages_free(struct nrf52_kept_page *pages, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pages[i].data);
		free(pages[i].keep);
	}
	free(pages);
}

int nrf52_keep_begin(struct nrf52 *n, int chip_erase, struct nrf52_keep_run *run,
		     struct sf_err *err)
{
	const struct nrf52_keeper *k = n->keeper;
	int rc;

	memset(run, 0, sizeof(*run));
	run->device_id = n->info.device_id;
	if (!k || chip_erase)
		return 0;
	rc = k->load(k->user, run->device_id, &run->loaded, &run->nloaded, err);
	if (rc)
		return sf_err_prefix(err, "pages kept by an earlier attempt on this chip");
	if (run->nloaded && !(run->restored = calloc(run->nloaded, sizeof(*run->restored))))
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	return 0;
}

static int keep_add_saved(struct nrf52_keep_run *run, uint32_t addr)
{
	for (size_t i = 0; i < run->nsaved; i++)
		if (run->saved[i] == addr)
			return 0;
	if (run->nsaved == run->capsaved) {
		size_t cap = run->capsaved ? 2 * run->capsaved : 8;
		uint32_t *ns = realloc(run->saved, cap * sizeof(*ns));
		if (!ns)
			return -1;
		run->saved = ns;
		run->capsaved = cap;
	}
	run->saved[run->nsaved++] = addr;
	return 0;
}

int nrf52_keep_save(struct nrf52 *n, struct nrf52_keep_run *run, uint32_t addr, uint32_t size,
		    const uint8_t *want, const uint8_t *mask, struct sf_err *err)
{
	const struct nrf52_keeper *k = n->keeper;
	const uint8_t *restored = NULL;
	struct nrf52_kept_page pg = { .addr = addr, .size = size, .data = (uint8_t *)want };
	uint32_t kept = 0;
	int rc;

	if (!k)
		return 0;
	for (size_t i = 0; i < run->nloaded; i++)
		if (run->loaded[i].addr == addr)
			restored = run->restored[i];
	pg.keep = malloc(size);
	if (!pg.keep)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	/* restored bytes count as the image's in the plan, but are still the
	 * chip's own: kept again */
	for (uint32_t b = 0; b < size; b++) {
		pg.keep[b] = !mask[b] || (restored && restored[b]);
		kept += pg.keep[b] && want[b] != 0xFF;
	}
	rc = 0;
	if (kept) {
		rc = k->save(k->user, run->device_id, &pg, err);
		if (rc)
			sf_err_prefix(err, "keeping the %u programmed bytes outside the image at "
				      "0x%08x before erasing it (not erased)", kept, addr);
		else if (keep_add_saved(run, addr))
			rc = sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	free(pg.keep);
	return rc;
}

void nrf52_keep_end(struct nrf52 *n, struct nrf52_keep_run *run, int chip_erase)
{
	const struct nrf52_keeper *k = n->keeper;

	if (!k)
		return;
	if (chip_erase) {
		struct nrf52_kept_page *pages = NULL;
		size_t np = 0;
		struct sf_err tmp;

		if (!k->load(k->user, run->device_id, &pages, &np, &tmp)) {
			for (size_t i = 0; i < np; i++)
				k->drop(k->user, run->device_id, pages[i].addr);
			if (np)
				nrf52_logf(n, "the chip erase made %zu kept page(s) of an earlier "
					   "attempt obsolete: dropped", np);
			nrf52_kept_pages_free(pages, np);
		}
		return;
	}
	for (size_t i = 0; i < run->nsaved; i++)
		k->drop(k->user, run->device_id, run->saved[i]);
	for (size_t i = 0; i < run->nloaded; i++)
		k->drop(k->user, run->device_id, run->loaded[i].addr);
}

void nrf52_keep_run_free(struct nrf52_keep_run *run)
{
	for (size_t i = 0; i < run->nloaded; i++)
		free(run->restored ? run->restored[i] : NULL);
	free(run->restored);
	nrf52_kept_pages_free(run->loaded, run->nloaded);
	free(run->saved);
	memset(run, 0, sizeof(*run));
}
