// SPDX-License-Identifier: GPL-2.0-or-later
/* check_preserve: a failed job never destroys the bytes outside the image
 * (nrf52/nrf52_preserve.h). The chip holds old contents; an image covers
 * pages only in part and needs them erased; the job fails after the erase
 * (power lost at an NVMC write, a FAULT, the target lost), and the next
 * attempt, with a new engine as a new process would have, leaves every
 * byte outside the image as it was before the first attempt. The keeper
 * here keeps pages in memory (the daemon's keeps them in files: its own
 * test is tests/t_daemon_keep.sh). Without a keeper the same sequence
 * loses them, which is what the engine did before. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_run.h"
#include "../nrf52/nrf52.h"
#include "../nrf52/nrf52_preserve.h"
#include "../sim/sim.h"
#include "../swd/probe.h"

#define PAGE 4096U
#define MAXKEPT 8

/* ---- a keeper in memory ---- */

struct mem_keeper {
	struct nrf52_kept_page pg[MAXKEPT];
	uint64_t dev[MAXKEPT];
	size_t n;
	unsigned saves, drops, loads;
	int fail_save;
};

static int mk_save(void *user, uint64_t device_id, const struct nrf52_kept_page *pg,
		   struct sf_err *err)
{
	struct mem_keeper *k = user;
	size_t i;

	if (k->fail_save)
		return sf_err_set(err, SF_E_NOSPACE, "no space left on device");
	for (i = 0; i < k->n; i++)
		if (k->dev[i] == device_id && k->pg[i].addr == pg->addr)
			break;
	ck_assert_uint_lt(i, MAXKEPT);
	if (i == k->n) {
		k->n++;
		k->pg[i].data = malloc(pg->size);
		k->pg[i].keep = malloc(pg->size);
	}
	k->dev[i] = device_id;
	k->pg[i].addr = pg->addr;
	k->pg[i].size = pg->size;
	memcpy(k->pg[i].data, pg->data, pg->size);
	memcpy(k->pg[i].keep, pg->keep, pg->size);
	k->saves++;
	return 0;
}

static int mk_load(void *user, uint64_t device_id, struct nrf52_kept_page **pages, size_t *n,
		   struct sf_err *err)
{
	struct mem_keeper *k = user;

	(void)err;
	k->loads++;
	*n = 0;
	*pages = calloc(MAXKEPT, sizeof(**pages));
	ck_assert_ptr_nonnull(*pages);
	for (size_t i = 0; i < k->n; i++) {
		struct nrf52_kept_page *p = &(*pages)[*n];
		if (k->dev[i] != device_id)
			continue;
		*p = k->pg[i];
		p->data = malloc(p->size);
		p->keep = malloc(p->size);
		memcpy(p->data, k->pg[i].data, p->size);
		memcpy(p->keep, k->pg[i].keep, p->size);
		(*n)++;
	}
	return 0;
}

static void mk_drop(void *user, uint64_t device_id, uint32_t addr)
{
	struct mem_keeper *k = user;

	for (size_t i = 0; i < k->n; i++) {
		if (k->dev[i] != device_id || k->pg[i].addr != addr)
			continue;
		free(k->pg[i].data);
		free(k->pg[i].keep);
		k->pg[i] = k->pg[k->n - 1];
		k->dev[i] = k->dev[k->n - 1];
		k->n--;
		k->drops++;
		return;
	}
}

static void mk_free(struct mem_keeper *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->pg[i].data);
		free(k->pg[i].keep);
	}
}

/* ---- the chip and the engine ---- */

struct fx {
	struct swd_probe *p;
	struct nrf52 *n;
	struct sf_err err;
	struct mem_keeper mk;
	struct nrf52_keeper keeper;
	int use_keeper;
	char log[8192];
};

static void fx_log(void *user, const char *line)
{
	struct fx *f = user;
	size_t l = strlen(f->log);

	snprintf(f->log + l, sizeof(f->log) - l, "%s\n", line);
}

static void fx_engine(struct fx *f)
{
	nrf52_free(f->n);
	f->n = nrf52_new(swd_probe_dap(f->p), swd_probe_clock(f->p), fx_log, f);
	ck_assert_ptr_nonnull(f->n);
	if (f->use_keeper)
		nrf52_set_keeper(f->n, &f->keeper);
}

static void fx_open(struct fx *f, int use_keeper)
{
	memset(f, 0, sizeof(*f));
	ck_assert_msg(swd_probe_open("sim:part=nrf52840", &f->p, &f->err) == 0, "%s", f->err.msg);
	f->keeper = (struct nrf52_keeper){ mk_save, mk_load, mk_drop, &f->mk };
	f->use_keeper = use_keeper;
	fx_engine(f);
}

static void fx_close(struct fx *f)
{
	nrf52_free(f->n);
	swd_probe_close(f->p);
	mk_free(&f->mk);
}

static void img_add(struct img *img, uint32_t addr, const void *data, uint32_t len)
{
	struct img_segment *s;

	img->seg = realloc(img->seg, (img->nseg + 1) * sizeof(*img->seg));
	ck_assert_ptr_nonnull(img->seg);
	s = &img->seg[img->nseg++];
	s->addr = addr;
	s->len = len;
	s->data = malloc(len);
	ck_assert_ptr_nonnull(s->data);
	memcpy(s->data, data, len);
	img->total += len;
}

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761U + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
}

static const struct nrf52_flash_opts opts = { .erase = NRF52_ERASE_AUTO, .verify = 1 };

/* The chip before: pages 0x10000..0x14000 hold old random data. The image
 * covers 0x10800..0x13800: the first and last pages only in part, and its
 * bytes need 0->1 bits, so every page is erased. */
#define OLD_LO 0x10000U
#define OLD_LEN (4 * PAGE)
#define IMG_LO 0x10800U
#define IMG_LEN (3 * PAGE)

static void setup_chip(struct fx *f, uint8_t *old, struct img *img)
{
	struct img first = { 0 };
	uint8_t *data = malloc(IMG_LEN);

	fill(old, OLD_LEN, 11);
	img_add(&first, OLD_LO, old, OLD_LEN);
	/* the old contents, written without a keeper: whole pages */
	nrf52_set_keeper(f->n, NULL);
	ck_assert_msg(nrf52_flash(f->n, &first, &opts, NULL, &f->err) == 0, "%s", f->err.msg);
	img_free(&first);
	fx_engine(f);
	fill(data, IMG_LEN, 12);
	img_add(img, IMG_LO, data, IMG_LEN);
	free(data);
}

/* Every byte of the old pages outside the image is as it was. */
static int outside_intact(struct fx *f, const uint8_t *old, uint32_t *first_bad)
{
	uint8_t got[OLD_LEN];

	ck_assert_int_eq(sim_peek(swd_probe_sim(f->p), OLD_LO, got, OLD_LEN), 0);
	for (uint32_t i = 0; i < OLD_LEN; i++) {
		uint32_t a = OLD_LO + i;
		if ((a < IMG_LO || a >= IMG_LO + IMG_LEN) && got[i] != old[i]) {
			*first_bad = a;
			return 0;
		}
	}
	return 1;
}

static void image_on_chip(struct fx *f, const struct img *img)
{
	ck_assert_msg(nrf52_verify(f->n, img, &f->err) == 0, "%s", f->err.msg);
}

enum fault { POWER_LOSS, FAULT_AT, LOSE_AFTER };

/* First attempt fails by fault after the erase; the second (a new engine,
 * as a new process) finishes. Returns whether the bytes outside survived. */
static int fail_then_retry(int use_keeper, enum fault how, uint64_t at, unsigned *restored)
{
	uint8_t old[OLD_LEN];
	struct img img = { 0 };
	struct nrf52_stats st = { 0 };
	struct fx f;
	uint32_t bad = 0;
	int ok, rc;

	fx_open(&f, use_keeper);
	setup_chip(&f, old, &img);
	sim_counters_reset(swd_probe_sim(f.p));
	switch (how) {
	case POWER_LOSS:
		sim_fault_power_loss_at_write(swd_probe_sim(f.p), at);
		break;
	case FAULT_AT:
		sim_fault_fault_at(swd_probe_sim(f.p), at);
		break;
	case LOSE_AFTER:
		sim_fault_lose_after(swd_probe_sim(f.p), at);
		break;
	}
	rc = nrf52_flash(f.n, &img, &opts, NULL, &f.err);
	ck_assert_msg(rc != 0, "the first attempt should fail (fault %d at %llu)", how,
		      (unsigned long long)at);
	sim_fault_lose_after(swd_probe_sim(f.p), 0);
	sim_power_cycle(swd_probe_sim(f.p));
	fx_engine(&f);
	rc = nrf52_flash(f.n, &img, &opts, &st, &f.err);
	ck_assert_msg(rc == 0, "retry: %s", f.err.msg);
	image_on_chip(&f, &img);
	ok = outside_intact(&f, old, &bad);
	if (!ok)
		fprintf(stderr, "fault %d at %llu, keeper %d: 0x%08x lost\n", how,
			(unsigned long long)at, use_keeper, bad);
	if (use_keeper) {
		ck_assert_msg(f.mk.n == 0, "%zu kept pages left after a good retry", f.mk.n);
		if (st.pages_restored)
			ck_assert_msg(strstr(f.log, "restoring "), "%s", f.log);
	}
	*restored = st.pages_restored;
	img_free(&img);
	fx_close(&f);
	return ok;
}

/* Power lost at the first word written after the erases: both partly
 * covered pages are erased and not rewritten. */
START_TEST(power_loss)
{
	unsigned restored;
	/* the program phase writes page 0x10000 first: word 1 is inside its
	 * kept half, word 700 in its image half, word 3000 past it */
	static const uint64_t at[] = { 1, 700, 3000, 4 * 1024 - 10 };

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		ck_assert_msg(fail_then_retry(1, POWER_LOSS, at[i], &restored),
			      "power loss at write %llu: bytes outside the image lost",
			      (unsigned long long)at[i]);
		ck_assert_uint_ge(restored, 1);
	}
}
END_TEST

/* What the engine did without a keeper: the same failure loses them. */
START_TEST(without_keeper_they_are_lost)
{
	unsigned restored;

	ck_assert_msg(!fail_then_retry(0, POWER_LOSS, 1, &restored),
		      "without a keeper the bytes outside should be lost (the case this fixes)");
}
END_TEST

/* A FAULT on an SWD transfer, and the target gone, in the program phase. */
START_TEST(fault_and_lost_target)
{
	uint8_t old[OLD_LEN];
	struct img img = { 0 };
	struct fx f;
	uint64_t xfers, cycles;
	unsigned restored;

	/* how long a whole job takes, to aim inside its program phase */
	fx_open(&f, 1);
	setup_chip(&f, old, &img);
	sim_counters_reset(swd_probe_sim(f.p));
	ck_assert_int_eq(nrf52_flash(f.n, &img, &opts, NULL, &f.err), 0);
	const struct sim_counters *c = sim_counters(swd_probe_sim(f.p));
	xfers = c->dp_reads + c->dp_writes + c->ap_reads + c->ap_writes;
	cycles = c->cycles;
	img_free(&img);
	fx_close(&f);

	ck_assert(fail_then_retry(1, FAULT_AT, xfers / 2, &restored));
	ck_assert(fail_then_retry(1, LOSE_AFTER, cycles / 2, &restored));
	ck_assert(fail_then_retry(1, LOSE_AFTER, cycles * 3 / 10, &restored));
}
END_TEST

/* A keeper that cannot keep: the page is not erased, the job fails and
 * says why, and the chip is as it was. */
START_TEST(save_fails_nothing_erased)
{
	uint8_t old[OLD_LEN], got[OLD_LEN];
	struct img img = { 0 };
	struct fx f;
	int rc;

	fx_open(&f, 1);
	setup_chip(&f, old, &img);
	f.mk.fail_save = 1;
	rc = nrf52_flash(f.n, &img, &opts, NULL, &f.err);
	ck_assert_int_eq(rc, SF_E_NOSPACE);
	ck_assert_msg(strstr(f.err.msg, "(not erased)") && strstr(f.err.msg, "0x00010000"), "%s",
		      f.err.msg);
	ck_assert_int_eq(sim_peek(swd_probe_sim(f.p), OLD_LO, got, OLD_LEN), 0);
	ck_assert_mem_eq(got, old, OLD_LEN);
	img_free(&img);
	fx_close(&f);
}
END_TEST

/* Kept pages are restored on the next flash of the chip whatever its image
 * (here one elsewhere), and only on that chip. */
START_TEST(restored_by_any_image_on_that_chip)
{
	uint8_t old[OLD_LEN], other[256];
	struct img img = { 0 }, img2 = { 0 };
	struct nrf52_stats st = { 0 };
	struct fx f;
	uint32_t bad;

	fx_open(&f, 1);
	setup_chip(&f, old, &img);
	sim_fault_power_loss_at_write(swd_probe_sim(f.p), 1);
	ck_assert_int_ne(nrf52_flash(f.n, &img, &opts, NULL, &f.err), 0);
	sim_power_cycle(swd_probe_sim(f.p));
	ck_assert_uint_eq(f.mk.n, 2);  /* the first and the last page */
	/* another chip: nothing of this one's */
	f.mk.dev[0] ^= 1;
	f.mk.dev[1] ^= 1;
	fx_engine(&f);
	fill(other, sizeof(other), 13);
	img_add(&img2, 0x40000, other, sizeof(other));
	ck_assert_int_eq(nrf52_flash(f.n, &img2, &opts, &st, &f.err), 0);
	ck_assert_uint_eq(st.pages_restored, 0);
	ck_assert_uint_eq(f.mk.n, 2);
	f.mk.dev[0] ^= 1;
	f.mk.dev[1] ^= 1;
	fx_engine(&f);
	ck_assert_int_eq(nrf52_flash(f.n, &img2, &opts, &st, &f.err), 0);
	ck_assert_uint_eq(st.pages_restored, 2);
	ck_assert_uint_eq(f.mk.n, 0);
	ck_assert_msg(outside_intact(&f, old, &bad), "0x%08x lost", bad);
	img_free(&img);
	img_free(&img2);
	fx_close(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("preserve");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, power_loss);
	tcase_add_test(tc, without_keeper_they_are_lost);
	tcase_add_test(tc, fault_and_lost_target);
	tcase_add_test(tc, save_fails_nothing_erased);
	tcase_add_test(tc, restored_by_any_image_on_that_chip);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
