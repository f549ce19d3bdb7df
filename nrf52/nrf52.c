// SPDX-License-Identifier: GPL-2.0-or-later
/* nrf52: identify, recover, erase, reset, halt, read (the flash and verify
 * paths are in nrf52_flash.c, the part table in nrf52_parts.c).
 *
 * Register facts: ../shared/NRF52.md (CTRL-AP section 3, FICR/UICR/NVMC
 * section 4, Cortex-M debug section 6). Every poll has a deadline measured
 * with the probe's clock and sleeps on it (after a DAP flush), so on the
 * simulator it runs in simulated time; the timing constants and their
 * sources are in nrf52_priv.h. */
#include "nrf52_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *nrf52_phase_name(enum nrf52_phase p)
{
	switch (p) {
	case NRF52_PHASE_CONNECT: return "connect";
	case NRF52_PHASE_ERASE: return "erase";
	case NRF52_PHASE_PROGRAM: return "program";
	case NRF52_PHASE_VERIFY: return "verify";
	case NRF52_PHASE_RESET: return "reset";
	case NRF52_PHASE_RECOVER: return "recover";
	case NRF52_PHASE_READ: return "read";
	}
	return "unknown";
}

struct nrf52 *nrf52_new(struct dap *dap, const struct swd_clock *clock,
			void (*log)(void *user, const char *line), void *log_user)
{
	struct nrf52 *n;

	if (!dap || !clock)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->dap = dap;
	n->clock = clock;
	n->log = log;
	n->log_user = log_user;
	n->nvmc_config = ~0U;
	return n;
}

void nrf52_free(struct nrf52 *n)
{
	if (n)
		free(n->tgt.ram_save);
	free(n);
}

void nrf52_set_debug(struct nrf52 *n, void (*debug)(void *user, const char *line), void *user)
{
	n->debug = debug;
	n->debug_user = user;
}

void nrf52_debugf(struct nrf52 *n, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!n->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n->debug(n->debug_user, line);
}

void nrf52_set_progress(struct nrf52 *n, nrf52_progress_fn fn, void *user)
{
	n->progress = fn;
	n->progress_user = user;
}

const struct nrf52_info *nrf52_get_info(const struct nrf52 *n)
{
	return &n->info;
}

void nrf52_logf(struct nrf52 *n, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!n->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n->log(n->log_user, line);
}

int nrf52_report(struct nrf52 *n, enum nrf52_phase phase, uint64_t done, uint64_t total,
		 struct sf_err *err)
{
	if (n->progress && n->progress(n->progress_user, phase, done, total))
		return sf_err_set(err, SF_E_CANCELLED, "cancelled during %s at %llu of %llu bytes",
				   nrf52_phase_name(phase), (unsigned long long)done,
				   (unsigned long long)total);
	return 0;
}

uint64_t nrf52_now_us(struct nrf52 *n)
{
	return n->clock->ops->now_us(n->clock->ctx);
}

void nrf52_sleep(struct nrf52 *n, uint32_t us)
{
	if (n->dap->ops->flush)
		n->dap->ops->flush(n->dap->ctx);
	n->clock->ops->sleep_us(n->clock->ctx, us);
}

int nrf52_need_cap(struct nrf52 *n, unsigned cap, const char *what, const char *why,
		   struct sf_err *err)
{
	if (n->dap->caps & cap)
		return 0;
	return sf_err_set(err, SF_E_UNSUPPORTED, "%s needs %s, which this probe does not offer%s%s",
			   what, dap_cap_name(cap), why ? why : "", n->dap->note ? n->dap->note : "");
}

/* The target was (or may have been) reset: the NVMC CONFIG we wrote and
 * whatever the DAP cached are gone. */
static void nrf52_forget(struct nrf52 *n)
{
	n->nvmc_config = ~0U;
	n->tgt.loaded = 0;  /* RAM may have been cleared or reused */
	if (n->dap->ops->target_reset)
		n->dap->ops->target_reset(n->dap->ctx);
}

/* ---- memory blocks ---- */

/* The DAP splits blocks at 1 KiB TAR boundaries and names the failing
 * range in its error, so these are thin typed wrappers. */
int nrf52_read_words(struct nrf52 *n, uint32_t addr, uint32_t *buf, size_t nwords,
		     struct sf_err *err)
{
	return n->dap->ops->mem_read(n->dap->ctx, addr, buf, nwords * 4, 4, err);
}

int nrf52_write_words(struct nrf52 *n, uint32_t addr, const uint32_t *buf, size_t nwords,
		      struct sf_err *err)
{
	return n->dap->ops->mem_write(n->dap->ctx, addr, buf, nwords * 4, 4, err);
}

/* ---- NVMC ---- */

/* Poll NVMC READY until it reads 1 or the deadline passes. expect_us is
 * the typical duration of what was just started (nrf52_parts.c): sleep
 * first_sleep_us (that long, or 0 to poll at once), then poll at 1/64 of
 * it, since polling earlier only costs wire time (on a GPIO probe, system
 * calls). */
static int nrf52_nvmc_poll_ready(struct nrf52 *n, uint32_t expect_us, uint32_t first_sleep_us,
				 struct sf_err *err)
{
	uint32_t step = expect_us / NRF52_NVMC_POLL_DIV;
	uint64_t limit = (uint64_t)expect_us * NRF52_NVMC_DEADLINE_FACTOR +
			 NRF52_NVMC_DEADLINE_MARGIN_US;
	uint64_t deadline;
	uint32_t v = 0;

	if (step < NRF52_NVMC_POLL_MIN_US)
		step = NRF52_NVMC_POLL_MIN_US;
	if (first_sleep_us)
		nrf52_sleep(n, first_sleep_us);
	deadline = nrf52_now_us(n) + limit;
	for (;;) {
		int rc = dap_read32(n->dap, NRF52_NVMC_READY, &v, err);

		if (rc == SF_E_WAIT) {
			/* the bus stayed stalled past the link's WAIT limit */
			nrf52_forget(n);
		} else if (rc) {
			return sf_err_prefix(err, "polling NVMC READY");
		} else if (v & 1U) {
			return 0;
		}
		if (nrf52_now_us(n) > deadline)
			return sf_err_set(err, SF_E_TIMEOUT,
					   "NVMC still busy (READY=0x%08x) %llu us after an operation "
					   "expected to take %u us", v, (unsigned long long)limit,
					   expect_us);
		nrf52_sleep(n, step);
	}
}

int nrf52_nvmc_wait_ready(struct nrf52 *n, uint32_t expect_us, struct sf_err *err)
{
	return nrf52_nvmc_poll_ready(n, expect_us, expect_us, err);
}

int nrf52_nvmc_wait_word(struct nrf52 *n, struct sf_err *err)
{
	return nrf52_nvmc_poll_ready(n, n->part ? n->part->t_write_us : NRF52_T_WRITE_US, 0, err);
}

int nrf52_nvmc_config(struct nrf52 *n, uint32_t mode, struct sf_err *err)
{
	int rc;

	if (n->nvmc_config == mode)
		return 0;
	/* PS: "CONFIG must not be changed while the NVMC is busy" */
	rc = nrf52_nvmc_wait_ready(n, 0, err);
	if (rc)
		return rc;
	rc = dap_write32(n->dap, NRF52_NVMC_CONFIG, mode, err);
	if (rc)
		return sf_err_prefix(err, "writing NVMC CONFIG=%u", mode);
	n->nvmc_config = mode;
	return 0;
}

static uint32_t nrf52_t_page(const struct nrf52 *n)
{
	return n->part ? n->part->t_erasepage_us : NRF52_T_ERASEPAGE_US;
}

int nrf52_nvmc_erase_page(struct nrf52 *n, uint32_t addr, struct sf_err *err)
{
	int rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_EEN, err);

	if (!rc)
		rc = dap_write32(n->dap, NRF52_NVMC_ERASEPAGE, addr, err);
	if (!rc)
		rc = nrf52_nvmc_wait_ready(n, nrf52_t_page(n), err);
	return rc ? sf_err_prefix(err, "erasing page 0x%08x", addr) : 0;
}

int nrf52_nvmc_erase_uicr(struct nrf52 *n, struct sf_err *err)
{
	int rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_EEN, err);

	if (!rc)
		rc = dap_write32(n->dap, NRF52_NVMC_ERASEUICR, 1, err);
	if (!rc)
		rc = nrf52_nvmc_wait_ready(n, nrf52_t_page(n), err);
	return rc ? sf_err_prefix(err, "erasing UICR") : 0;
}

int nrf52_nvmc_erase_all(struct nrf52 *n, struct sf_err *err)
{
	int rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_EEN, err);

	if (!rc)
		rc = dap_write32(n->dap, NRF52_NVMC_ERASEALL, 1, err);
	if (!rc)
		rc = nrf52_nvmc_wait_ready(n, n->part ? n->part->t_eraseall_us : NRF52_T_ERASEALL_US, err);
	return rc ? sf_err_prefix(err, "NVMC ERASEALL") : 0;
}

/* ---- identify ---- */

static void nrf52_variant_text(uint32_t v, char out[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((v >> (24 - 8 * i)) & 0xFFU);
		out[i] = (c >= 0x20 && c < 0x7F) ? c : '?';
	}
	out[4] = '\0';
}

static int nrf52_read_ctrlap(struct nrf52 *n, struct nrf52_info *info, struct sf_err *err)
{
	uint32_t status;
	int rc;

	rc = n->dap->ops->ap_read(n->dap->ctx, NRF52_AHBAP, DAP_AP_IDR, &info->ahb_ap_idr, err);
	if (!rc)
		rc = n->dap->ops->ap_read(n->dap->ctx, NRF52_CTRLAP, DAP_AP_IDR,
					  &info->ctrl_ap_idr, err);
	if (rc)
		return sf_err_prefix(err, "reading AP IDRs");
	/* pyOCD compares without the revision nibble */
	if ((info->ctrl_ap_idr & 0x0FFFFFFFU) != NRF52_CTRLAP_IDR_VALUE)
		return sf_err_set(err, SF_E_UNSUPPORTED,
				   "not an nRF52: AP1 IDR is 0x%08x, expected Nordic's CTRL-AP "
				   "0x%08x (DPIDR 0x%08x)", info->ctrl_ap_idr,
				   NRF52_CTRLAP_IDR_VALUE, info->dpidr);
	rc = n->dap->ops->ap_read(n->dap->ctx, NRF52_CTRLAP, NRF52_CTRLAP_APPROTECTSTATUS,
				  &status, err);
	if (rc)
		return sf_err_prefix(err, "reading CTRL-AP APPROTECTSTATUS");
	info->locked = (status & 1U) == 0;  /* 0 = protection enabled */
	return 0;
}

/* A probe that cannot reach the CTRL-AP tells a locked chip from the
 * MEM-AP: while APPROTECT is in force the AHB-AP reads as zeros (an
 * absent AP: OpenOCD "Could not find MEM-AP", probe-rs#1324; see
 * sim/ap.c) or faults, and FICR CODEPAGESIZE is never 0 on an open chip. */
static int nrf52_memap_locked(struct nrf52 *n, int *locked, struct sf_err *err)
{
	uint32_t v = 0;
	int rc = dap_read32(n->dap, NRF52_FICR_CODEPAGESIZE, &v, err);

	if (rc && rc != SF_E_FAULT)
		return sf_err_prefix(err, "reading FICR CODEPAGESIZE through the MEM-AP");
	*locked = rc == SF_E_FAULT || v == 0;
	if (*locked)
		nrf52_logf(n, "this probe cannot reach the CTRL-AP: the chip is taken as locked "
			   "because the MEM-AP %s FICR", rc ? "faults reading" : "reads zeros from");
	return 0;
}

static int nrf52_read_lock_state(struct nrf52 *n, struct nrf52_info *info, struct sf_err *err)
{
	if (n->dap->caps & DAP_CAP_ANY_AP) {
		int rc = nrf52_read_ctrlap(n, info, err);

		/* A probe that finds out only now that it cannot reach the
		 * CTRL-AP (an ST-Link firmware answering BAD_AP) drops the
		 * capability: say so and tell the lock state from the MEM-AP. */
		if (rc != SF_E_UNSUPPORTED || (n->dap->caps & DAP_CAP_ANY_AP))
			return rc;
		nrf52_logf(n, "%s", err->msg);
		sf_err_clear(err);
	}
	/* AP IDRs unknown (0); FICR INFO.PART names the part below */
	return nrf52_memap_locked(n, &info->locked, err);
}

int nrf52_identify(struct nrf52 *n, struct nrf52_info *out, struct sf_err *err)
{
	struct nrf52_info *info = &n->info;
	uint32_t pg[2], id[2], addr[2], inf[5], var[2];
	const struct nrf52_part *p;
	int rc;

	memset(info, 0, sizeof(*info));
	n->connected = 0;
	n->part = NULL;
	n->halted = 0;
	nrf52_forget(n);
	rc = n->dap->ops->connect(n->dap->ctx, &info->dpidr, err);
	if (rc)
		return rc;
	rc = nrf52_read_lock_state(n, info, err);
	if (rc)
		goto out;
	if (info->locked)
		goto out;

	/* Five short blocks instead of one 0x138-byte read: 13 words. */
	rc = nrf52_read_words(n, NRF52_FICR_CODEPAGESIZE, pg, 2, err);
	if (!rc)
		rc = nrf52_read_words(n, NRF52_FICR_DEVICEID0, id, 2, err);
	if (!rc)
		rc = nrf52_read_words(n, NRF52_FICR_DEVICEADDR0, addr, 2, err);
	if (!rc)
		rc = nrf52_read_words(n, NRF52_FICR_INFO_PART, inf, 5, err);
	if (!rc)
		rc = nrf52_read_words(n, NRF52_FICR_VAR1, var, 2, err);
	if (rc) {
		sf_err_prefix(err, "reading FICR");
		goto out;
	}
	info->identified = 1;
	info->part = inf[0];
	nrf52_variant_text(inf[1], info->variant);
	info->package = inf[2];
	snprintf(info->package_name, sizeof(info->package_name), "%s",
		 nrf52_package_name(inf[0], inf[2]));
	info->page_size = pg[0];
	info->flash_size = pg[0] * pg[1];
	info->ram_size = inf[3] * 1024U;
	info->device_id = (uint64_t)id[1] << 32 | id[0];
	info->device_addr = ((uint64_t)(addr[1] & 0xFFFFU) << 32) | addr[0];

	p = nrf52_part_lookup(inf[0], info->variant);
	if (!p) {
		snprintf(info->name, sizeof(info->name), "0x%05x", inf[0]);
		rc = sf_err_set(err, SF_E_UNSUPPORTED,
				 "unknown part: FICR INFO.PART 0x%08x, variant %s (supported: %s)",
				 inf[0], info->variant, nrf52_supported_list());
		goto out;
	}
	snprintf(info->name, sizeof(info->name), "%s", p->name);
	info->has_readynext = p->has_readynext;
	info->hardened = nrf52_part_is_hardened(p, var[0], var[1]);
	if (!p->supported) {
		rc = sf_err_set(err, SF_E_UNSUPPORTED,
				 "%s (variant %s) is not supported (supported: %s)", p->name,
				 info->variant, nrf52_supported_list());
		goto out;
	}
	if (info->page_size < 1024 || info->page_size > 65536 ||
	    (info->page_size & (info->page_size - 1)) || pg[1] == 0 ||
	    info->flash_size > 16U * 1024 * 1024) {
		rc = sf_err_set(err, SF_E_IO,
				 "%s FICR reads implausible: CODEPAGESIZE 0x%08x, CODESIZE 0x%08x",
				 p->name, pg[0], pg[1]);
		goto out;
	}
	if (info->flash_size != p->flash_kib * 1024U)
		nrf52_logf(n, "note: %s-%s FICR says %u KiB of flash, the part table %u KiB; using FICR",
			   p->name, info->variant, info->flash_size / 1024, p->flash_kib);
	n->part = p;
	n->connected = 1;
out:
	if (out)
		*out = *info;
	return rc;
}

int nrf52_ensure_open(struct nrf52 *n, struct sf_err *err)
{
	int rc;

	if (n->connected)
		return 0;
	rc = nrf52_identify(n, NULL, err);
	if (rc)
		return rc;
	if (n->info.locked)
		return sf_err_set(err, SF_E_LOCKED,
				   "the chip is locked (CTRL-AP APPROTECTSTATUS = protected): "
				   "only a recover, which erases flash, UICR and RAM, can unlock it");
	return 0;
}

int nrf52_check_image(const struct nrf52_info *info, const struct img *img,
		      struct sf_err *err)
{
	const char *name = info->name[0] ? info->name : "part";

	if (!info->identified)
		return sf_err_set(err, SF_E_ARG, "the part is not identified (locked?)");
	/* part 0: "any nRF52" before a recover; the real part is checked after it */
	if (img->has_family && info->part) {
		/* UF2 family IDs (github.com/microsoft/uf2, utils/uf2families.json):
		 * "NRF52" 0x1B57745F is what nRF52832 boards use */
		static const struct { uint32_t part, family; const char *fname; } fam[] = {
			{ 0x52832, 0x1B57745Fu, "nRF52 (nRF52832)" },
			{ 0x52833, 0x621E937Au, "nRF52833" },
			{ 0x52840, 0xADA52840u, "nRF52840" },
		};
		const char *want = NULL, *have = NULL;
		uint32_t want_id = 0;
		for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
			if (fam[i].part == info->part) {
				want = fam[i].fname;
				want_id = fam[i].family;
			}
			if (fam[i].family == img->family)
				have = fam[i].fname;
		}
		if (img->family != want_id)
			return sf_err_set(err, SF_E_RANGE,
					  "UF2 family ID 0x%08X (%s) is not the attached %s's "
					  "(%s%s0x%08X): the image is built for another chip",
					  (unsigned)img->family, have ? have : "not an nRF52", name,
					  want ? want : "", want ? " " : "", (unsigned)want_id);
	}
	for (size_t i = 0; i < img->nseg; i++) {
		uint64_t s = img->seg[i].addr, e = s + img->seg[i].len;

		if (e <= info->flash_size)
			continue;
		if (s >= NRF52_UICR_BASE && e <= (uint64_t)NRF52_UICR_BASE + NRF52_UICR_SIZE)
			continue;
		return sf_err_set(err, SF_E_RANGE,
				   "image data at 0x%08llx-0x%08llx is outside the %s's flash "
				   "(0x00000000-0x%08x) and UICR (0x%08x-0x%08x)",
				   (unsigned long long)s, (unsigned long long)(e - 1), name,
				   info->flash_size - 1, NRF52_UICR_BASE,
				   NRF52_UICR_BASE + NRF52_UICR_SIZE - 1);
	}
	return 0;
}

/* ---- core control ---- */

int nrf52_halt_core(struct nrf52 *n, struct sf_err *err)
{
	uint64_t deadline;
	uint32_t v;
	int rc;

	rc = dap_write32(n->dap, NRF52_DHCSR,
			 NRF52_DHCSR_DBGKEY | NRF52_DHCSR_C_DEBUGEN | NRF52_DHCSR_C_HALT, err);
	if (rc)
		return sf_err_prefix(err, "halting the core (DHCSR)");
	deadline = nrf52_now_us(n) + NRF52_HALT_TIMEOUT_US;
	for (;;) {
		rc = dap_read32(n->dap, NRF52_DHCSR, &v, err);
		if (rc)
			return sf_err_prefix(err, "halting the core (DHCSR)");
		if (v & NRF52_DHCSR_S_HALT)
			break;
		if (nrf52_now_us(n) > deadline)
			return sf_err_set(err, SF_E_TIMEOUT,
					   "the core did not halt within %u ms (DHCSR 0x%08x)",
					   NRF52_HALT_TIMEOUT_US / 1000, v);
		nrf52_sleep(n, NRF52_CORE_POLL_US);
	}
	n->halted = 1;
	return 0;
}

/* Halt once per session; the flash paths call this before any NVMC work
 * (PS: halt the CPU before NVMC operations from the debugger). */
int nrf52_prepare(struct nrf52 *n, struct sf_err *err)
{
	int rc = nrf52_ensure_open(n, err);

	if (rc)
		return rc;
	return n->halted ? 0 : nrf52_halt_core(n, err);
}

int nrf52_halt(struct nrf52 *n, struct sf_err *err)
{
	int rc = nrf52_ensure_open(n, err);

	return rc ? rc : nrf52_halt_core(n, err);
}

int nrf52_resume(struct nrf52 *n, struct sf_err *err)
{
	int rc = nrf52_ensure_open(n, err);

	if (rc)
		return rc;
	rc = dap_write32(n->dap, NRF52_DHCSR, NRF52_DHCSR_DBGKEY | NRF52_DHCSR_C_DEBUGEN, err);
	if (rc)
		return sf_err_prefix(err, "resuming the core (DHCSR)");
	n->halted = 0;
	return 0;
}

static const char *nrf52_reset_name(enum nrf52_reset_kind kind)
{
	switch (kind) {
	case NRF52_RESET_SYSRESETREQ: return "SYSRESETREQ";
	case NRF52_RESET_CTRLAP: return "CTRL-AP RESET";
	case NRF52_RESET_PIN: return "nRESET pin";
	}
	return "?";
}

/* The nRESET pin resets the chip only when both UICR.PSELRESET words
 * connect the part's reset pin (PS "PSELRESET"; the MDK writes both); on a
 * locked chip UICR cannot be read, so we pulse and see. */
static int nrf52_pin_reset_enabled(struct nrf52 *n, struct sf_err *err)
{
	uint32_t v[2];
	int rc;

	if (!n->connected || !n->part)
		return 0;
	rc = nrf52_read_words(n, NRF52_UICR_PSELRESET0, v, 2, err);
	if (rc)
		return sf_err_prefix(err, "reading UICR.PSELRESET");
	for (int i = 0; i < 2; i++)
		if ((v[i] & 0x80000000U) || (v[i] & 0x3FU) != n->part->reset_pin)
			return sf_err_set(err, SF_E_UNSUPPORTED,
					   "the nRESET pin is not enabled: UICR.PSELRESET[0..1] = "
					   "0x%08x, 0x%08x, but both must be 0x%08x (P0.%u connected) "
					   "for a pin reset on the %s", v[0], v[1], n->part->reset_pin,
					   n->part->reset_pin, n->info.name);
	return 0;
}

static int nrf52_do_reset(struct nrf52 *n, enum nrf52_reset_kind kind, struct sf_err *err)
{
	struct sf_err tmp;
	int rc;

	switch (kind) {
	case NRF52_RESET_SYSRESETREQ:
		/* The reset can swallow the answer to its own write; pyOCD
		 * ignores transfer errors here, so do we (but not a dead wire). */
		rc = dap_write32(n->dap, NRF52_AIRCR, NRF52_AIRCR_SYSRESETREQ, &tmp);
		if (rc == SF_E_NOTARGET)
			return sf_err_set(err, rc, "writing AIRCR.SYSRESETREQ: %s", tmp.msg);
		return 0;
	case NRF52_RESET_CTRLAP:
		rc = n->dap->ops->ap_write(n->dap->ctx, NRF52_CTRLAP, NRF52_CTRLAP_RESET, 1, err);
		if (!rc) {
			nrf52_sleep(n, NRF52_CTRLAP_RESET_HOLD_US);
			rc = n->dap->ops->ap_write(n->dap->ctx, NRF52_CTRLAP, NRF52_CTRLAP_RESET,
						   0, err);
		}
		return rc ? sf_err_prefix(err, "CTRL-AP RESET") : 0;
	case NRF52_RESET_PIN:
		rc = nrf52_pin_reset_enabled(n, err);
		if (rc)
			return rc;
		rc = n->dap->ops->reset_pin(n->dap->ctx, 0, err);
		if (!rc) {
			nrf52_sleep(n, NRF52_PIN_RESET_HOLD_US);
			rc = n->dap->ops->reset_pin(n->dap->ctx, 1, err);
		}
		return rc ? sf_err_prefix(err, "nRESET pin") : 0;
	}
	return sf_err_set(err, SF_E_ARG, "unknown reset kind %d", (int)kind);
}

static void nrf52_explain_lock(struct nrf52 *n)
{
	if (n->info.hardened)
		nrf52_logf(n, "the chip is locked again after the reset: this %s revision has "
			   "hardened APPROTECT, which stays open only while UICR.APPROTECT=0x5A "
			   "and the running firmware writes APPROTECT.DISABLE=0x5A (nrfx SystemInit "
			   "does, unless ENABLE_APPROTECT is defined)", n->info.name);
	else
		nrf52_logf(n, "the chip is locked after the reset: UICR.APPROTECT is set "
			   "(a recover erases the chip to unlock it)");
}

int nrf52_reset(struct nrf52 *n, enum nrf52_reset_kind kind, int halt, struct sf_err *err)
{
	uint32_t demcr = 0, v = 0, status = 0;
	int open = 0, seen_reset = 0, rc;
	uint64_t deadline;

	/* What the probe cannot do is refused before anything is touched. */
	if (kind == NRF52_RESET_CTRLAP &&
	    (rc = nrf52_need_cap(n, DAP_CAP_ANY_AP, "the ctrlap reset",
				 " (CTRL-AP RESET is a register of AP 1)", err)))
		return rc;
	if (kind == NRF52_RESET_PIN &&
	    (rc = nrf52_need_cap(n, DAP_CAP_RESET_PIN, "the pin reset", " (none is wired)", err)))
		return rc;
	/* The AHB-AP is needed for halt-after-reset and for SYSRESETREQ;
	 * CTRL-AP and pin resets also work on a locked chip. */
	if (!n->connected) {
		rc = nrf52_identify(n, NULL, err);
		if (rc)
			return rc;
	}
	open = !n->info.locked;
	if (!open && (halt || kind == NRF52_RESET_SYSRESETREQ))
		return sf_err_set(err, SF_E_LOCKED,
				   "the chip is locked: %s%s needs the AHB-AP (use the ctrlap or "
				   "pin reset, or recover)", nrf52_reset_name(kind),
				   halt ? " with halt" : "");
	if (open) {
		rc = dap_read32(n->dap, NRF52_DEMCR, &demcr, err);
		if (!rc)
			rc = dap_write32(n->dap, NRF52_DEMCR,
					 halt ? demcr | NRF52_DEMCR_VC_CORERESET
					      : demcr & ~NRF52_DEMCR_VC_CORERESET, err);
		/* keep debug enabled for the catch, release it to run */
		if (!rc)
			rc = dap_write32(n->dap, NRF52_DHCSR,
					 NRF52_DHCSR_DBGKEY | (halt ? NRF52_DHCSR_C_DEBUGEN : 0), err);
		/* clear a stale S_RESET_ST so that the next read shows this reset */
		if (!rc)
			rc = dap_read32(n->dap, NRF52_DHCSR, &v, err);
		if (rc)
			return sf_err_prefix(err, "preparing the reset");
	}
	rc = nrf52_do_reset(n, kind, err);
	if (rc)
		return rc;
	n->halted = 0;
	nrf52_forget(n);
	/* The DP survives a system reset, but a pin reset or a CTRL-AP reset
	 * may not leave it as it was: reconnect (line reset, DPIDR, power-up). */
	rc = n->dap->ops->connect(n->dap->ctx, NULL, err);
	if (rc)
		return sf_err_prefix(err, "reconnecting after %s", nrf52_reset_name(kind));
	if (n->dap->caps & DAP_CAP_ANY_AP) {
		rc = n->dap->ops->ap_read(n->dap->ctx, NRF52_CTRLAP,
					  NRF52_CTRLAP_APPROTECTSTATUS, &status, err);
		if (rc)
			return sf_err_prefix(err, "reading APPROTECTSTATUS after the reset");
	} else {
		int locked = 0;

		rc = nrf52_memap_locked(n, &locked, err);
		if (rc)
			return sf_err_prefix(err, "after the reset");
		status = !locked;
	}
	if ((status & 1U) == 0) {
		n->info.locked = 1;
		n->connected = 0;
		nrf52_explain_lock(n);
		if (halt)
			return sf_err_set(err, SF_E_LOCKED,
					   "reset done, but the chip is locked now, so it cannot be "
					   "halted");
		return 0;
	}
	n->info.locked = 0;
	if (kind == NRF52_RESET_PIN) {
		/* Many ST-Link clones wire their RST pin to SWIM_RST, not to
		 * nRESET (STLINK.md 6): a pulse that leaves S_RESET_ST clear did
		 * nothing, so say so and reset through the core instead. */
		rc = dap_read32(n->dap, NRF52_DHCSR, &v, err);
		if (rc)
			return sf_err_prefix(err, "reading DHCSR after the nRESET pulse");
		if (!(v & NRF52_DHCSR_S_RESET_ST)) {
			nrf52_logf(n, "the nRESET pulse did not reset the chip (DHCSR.S_RESET_ST "
				   "stayed 0): the probe's RST pin is not wired to nRESET (many "
				   "ST-Link V2 clones wire it to SWIM_RST); falling back to a "
				   "software reset (AIRCR.SYSRESETREQ)");
			kind = NRF52_RESET_SYSRESETREQ;
			rc = nrf52_do_reset(n, kind, err);
			if (rc)
				return rc;
		} else {
			seen_reset = 1;
		}
	}
	deadline = nrf52_now_us(n) + NRF52_RESET_TIMEOUT_US;
	for (;;) {
		rc = dap_read32(n->dap, NRF52_DHCSR, &v, err);
		if (rc)
			return sf_err_prefix(err, "reading DHCSR after %s", nrf52_reset_name(kind));
		if (v & NRF52_DHCSR_S_RESET_ST)
			seen_reset = 1;
		if (seen_reset && (!halt || (v & NRF52_DHCSR_S_HALT)))
			break;
		if (nrf52_now_us(n) > deadline)
			return sf_err_set(err, SF_E_TIMEOUT,
					   "%s: %s within %u ms (DHCSR 0x%08x)", nrf52_reset_name(kind),
					   seen_reset ? "the core did not halt" :
							"the core did not reset (no S_RESET_ST)",
					   NRF52_RESET_TIMEOUT_US / 1000, v);
		nrf52_sleep(n, NRF52_CORE_POLL_US);
	}
	if (halt) {
		n->halted = 1;
		rc = dap_write32(n->dap, NRF52_DEMCR, demcr & ~NRF52_DEMCR_VC_CORERESET, err);
		if (rc)
			return sf_err_prefix(err, "clearing DEMCR.VC_CORERESET");
	}
	return 0;
}

/* ---- recover ---- */

int nrf52_recover(struct nrf52 *n, struct sf_err *err)
{
	struct nrf52_info probe_info;
	uint32_t v = 0;
	int rc, tries;

	/* the whole recover is CTRL-AP work: refuse before touching the chip */
	rc = nrf52_need_cap(n, DAP_CAP_ANY_AP, "recover",
			    " (CTRL-AP ERASEALL is a register of AP 1)", err);
	if (rc)
		return rc;
	memset(&probe_info, 0, sizeof(probe_info));
	n->connected = 0;
	n->halted = 0;
	nrf52_forget(n);
	rc = n->dap->ops->connect(n->dap->ctx, &probe_info.dpidr, err);
	if (rc)
		return rc;
	rc = nrf52_read_ctrlap(n, &probe_info, err);
	if (rc)
		return rc;
	nrf52_logf(n, "recover: CTRL-AP ERASEALL erases flash, UICR and RAM (chip was %s)",
		   probe_info.locked ? "locked" : "open");
	for (tries = 1; tries <= NRF52_RECOVER_TRIES; tries++) {
		uint64_t deadline = nrf52_now_us(n) + NRF52_CTRLAP_ERASEALL_TIMEOUT_US;

		rc = n->dap->ops->ap_write(n->dap->ctx, NRF52_CTRLAP, NRF52_CTRLAP_ERASEALL, 1, err);
		if (rc)
			return sf_err_prefix(err, "CTRL-AP ERASEALL");
		nrf52_sleep(n, NRF52_CTRLAP_ERASEALL_FIRST_POLL_US);
		for (;;) {
			/* progress only: a mass erase is never cancelled halfway */
			nrf52_report(n, NRF52_PHASE_RECOVER, 0, 1, NULL);
			rc = n->dap->ops->ap_read(n->dap->ctx, NRF52_CTRLAP,
						  NRF52_CTRLAP_ERASEALLSTATUS, &v, err);
			if (rc)
				return sf_err_prefix(err, "polling CTRL-AP ERASEALLSTATUS");
			if (v == 0)
				break;
			if (nrf52_now_us(n) > deadline)
				return sf_err_set(err, SF_E_TIMEOUT,
						   "CTRL-AP ERASEALL still busy after %u s",
						   NRF52_CTRLAP_ERASEALL_TIMEOUT_US / 1000000);
			nrf52_sleep(n, NRF52_CTRLAP_ERASEALL_POLL_US);
		}
		/* CTRL-AP soft reset, then clear ERASEALL (OpenOCD, pyOCD order) */
		rc = n->dap->ops->ap_write(n->dap->ctx, NRF52_CTRLAP, NRF52_CTRLAP_RESET, 1, err);
		if (!rc) {
			nrf52_sleep(n, NRF52_CTRLAP_RESET_HOLD_US);
			rc = n->dap->ops->ap_write(n->dap->ctx, NRF52_CTRLAP, NRF52_CTRLAP_RESET,
						   0, err);
		}
		if (!rc)
			rc = n->dap->ops->ap_write(n->dap->ctx, NRF52_CTRLAP,
						   NRF52_CTRLAP_ERASEALL, 0, err);
		if (rc)
			return sf_err_prefix(err, "CTRL-AP RESET after ERASEALL");
		nrf52_forget(n);
		rc = n->dap->ops->connect(n->dap->ctx, NULL, err);
		if (!rc)
			rc = n->dap->ops->ap_read(n->dap->ctx, NRF52_CTRLAP,
						  NRF52_CTRLAP_APPROTECTSTATUS, &v, err);
		if (rc)
			return sf_err_prefix(err, "reconnecting after ERASEALL");
		if (v & 1U)
			break;
		/* Nordic PS: if still protected, repeat the ERASEALL */
		nrf52_logf(n, "recover: still locked after ERASEALL %d, repeating", tries);
	}
	if (!(v & 1U))
		return sf_err_set(err, SF_E_LOCKED,
				   "recover failed: APPROTECTSTATUS still reports protection after "
				   "%d CTRL-AP ERASEALLs", NRF52_RECOVER_TRIES);
	rc = nrf52_identify(n, NULL, err);
	if (rc)
		return rc;
	if (n->info.locked)
		return sf_err_set(err, SF_E_LOCKED, "recover: the chip locked again at once");
	if (!n->info.hardened) {
		nrf52_logf(n, "recover: %s-%s done; legacy APPROTECT, UICR.APPROTECT left erased "
			   "(0xFFFFFFFF = open)", n->info.name, n->info.variant);
		return 0;
	}
	/* Hardened revision: pyOCD persist_unlock / nrfjprog --recover write
	 * HwDisabled so that the debug port can stay open after a reset.
	 * Never on a legacy part, where any value but 0xFF locks it. */
	rc = nrf52_prepare(n, err);
	if (!rc)
		rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_WEN, err);
	if (!rc)
		rc = dap_write32(n->dap, NRF52_UICR_APPROTECT, NRF52_APPROTECT_HWDISABLED, err);
	if (!rc)
		rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_REN, err);
	if (rc)
		return sf_err_prefix(err, "writing UICR.APPROTECT=0x5A after recover");
	nrf52_logf(n, "recover: %s-%s has hardened APPROTECT: wrote UICR.APPROTECT=0x5A "
		   "(HwDisabled). The chip stays open after a reset ONLY if its firmware also "
		   "writes APPROTECT.DISABLE=0x5A (0x40000558) at every boot (nrfx SystemInit "
		   "does unless ENABLE_APPROTECT is defined); otherwise it locks again at the "
		   "next reset", n->info.name, n->info.variant);
	return 0;
}

/* ---- erase ---- */

/* On a hardened part whose UICR.APPROTECT is HwDisabled, erasing UICR would
 * lock the chip at the next reset: remember the word before the erase. */
int nrf52_save_approtect(struct nrf52 *n, uint32_t *saved, struct sf_err *err)
{
	int rc;

	*saved = 0xFFFFFFFFU;
	if (!n->info.hardened)
		return 0;
	rc = dap_read32(n->dap, NRF52_UICR_APPROTECT, saved, err);
	if (rc)
		return sf_err_prefix(err, "reading UICR.APPROTECT");
	if ((*saved & 0xFFU) != NRF52_APPROTECT_HWDISABLED)
		*saved = 0xFFFFFFFFU;
	return 0;
}

int nrf52_restore_approtect(struct nrf52 *n, uint32_t saved, struct sf_err *err)
{
	int rc;

	if (saved == 0xFFFFFFFFU)
		return 0;
	rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_WEN, err);
	if (!rc)
		rc = dap_write32(n->dap, NRF52_UICR_APPROTECT, saved, err);
	if (rc)
		return sf_err_prefix(err, "restoring UICR.APPROTECT");
	nrf52_logf(n, "kept UICR.APPROTECT=0x%02X (HwDisabled) so that this hardened %s stays "
		   "debuggable", saved & 0xFFU, n->info.name);
	return 0;
}

int nrf52_erase_chip(struct nrf52 *n, struct sf_err *err)
{
	uint32_t saved;
	int rc = nrf52_prepare(n, err);

	if (!rc)
		rc = nrf52_save_approtect(n, &saved, err);
	if (rc)
		return rc;
	if ((rc = nrf52_report(n, NRF52_PHASE_ERASE, 0, n->info.flash_size, err)))
		return rc;
	rc = nrf52_nvmc_erase_all(n, err);
	if (!rc)
		rc = nrf52_restore_approtect(n, saved, err);
	if (!rc)
		rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_REN, err);
	if (!rc)
		rc = nrf52_report(n, NRF52_PHASE_ERASE, n->info.flash_size, n->info.flash_size,
				  NULL);
	return rc;
}

int nrf52_erase_uicr(struct nrf52 *n, struct sf_err *err)
{
	uint32_t saved;
	int rc = nrf52_prepare(n, err);

	if (!rc)
		rc = nrf52_save_approtect(n, &saved, err);
	if (!rc)
		rc = nrf52_nvmc_erase_uicr(n, err);
	if (!rc)
		rc = nrf52_restore_approtect(n, saved, err);
	if (!rc)
		rc = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_REN, err);
	return rc;
}

int nrf52_erase_range(struct nrf52 *n, uint32_t start, uint32_t end, struct sf_err *err)
{
	uint32_t ps, first, last;
	int rc = nrf52_prepare(n, err);

	if (rc)
		return rc;
	if (start >= end)
		return sf_err_set(err, SF_E_ARG, "empty erase range 0x%08x-0x%08x", start, end);
	if (start >= NRF52_UICR_BASE && end <= NRF52_UICR_BASE + NRF52_UICR_SIZE) {
		nrf52_logf(n, "UICR can only be erased as a whole: erasing all of UICR");
		return nrf52_erase_uicr(n, err);
	}
	if (end > n->info.flash_size)
		return sf_err_set(err, SF_E_RANGE,
				   "erase range 0x%08x-0x%08x is outside the %s's flash "
				   "(0x00000000-0x%08x)", start, end - 1, n->info.name,
				   n->info.flash_size - 1);
	ps = n->info.page_size;
	first = start & ~(ps - 1);
	last = (end - 1) & ~(ps - 1);
	if (first != start || last + ps != end)
		nrf52_logf(n, "erasing whole pages 0x%08x-0x%08x", first, last + ps - 1);
	for (uint32_t a = first;; a += ps) {
		if ((rc = nrf52_report(n, NRF52_PHASE_ERASE, a - first, last + ps - first, err)))
			break;
		if ((rc = nrf52_nvmc_erase_page(n, a, err)))
			break;
		if (a == last)
			break;
	}
	if (rc == SF_E_CANCELLED || !rc) {
		struct sf_err tmp;
		int rc2 = nrf52_nvmc_config(n, NRF52_NVMC_CONFIG_REN, rc ? &tmp : err);
		if (!rc)
			rc = rc2;
	}
	if (!rc)
		nrf52_report(n, NRF52_PHASE_ERASE, last + ps - first, last + ps - first, NULL);
	return rc;
}

/* ---- read ---- */

int nrf52_read(struct nrf52 *n, uint32_t addr, void *buf, size_t len, struct sf_err *err)
{
	uint32_t words[1024];
	uint8_t *out = buf;
	uint64_t a0 = addr & ~3U, end = (uint64_t)addr + len, done = 0;
	int rc = nrf52_ensure_open(n, err);

	if (rc)
		return rc;
	if (end > 0x100000000ULL)
		return sf_err_set(err, SF_E_RANGE, "read past the end of the address space");
	while (a0 < end) {
		uint64_t chunk_end = a0 + sizeof(words);
		size_t nw, skip, take;

		if (chunk_end > ((end + 3) & ~3ULL))
			chunk_end = (end + 3) & ~3ULL;
		nw = (size_t)((chunk_end - a0) / 4);
		if ((rc = nrf52_report(n, NRF52_PHASE_READ, done, len, err)))
			return rc;
		rc = nrf52_read_words(n, (uint32_t)a0, words, nw, err);
		if (rc)
			return rc;
		skip = a0 < addr ? (size_t)(addr - a0) : 0;
		take = (size_t)((chunk_end < end ? chunk_end : end) - (a0 + skip));
		memcpy(out + done, (uint8_t *)words + skip, take);
		done += take;
		a0 = chunk_end;
	}
	nrf52_report(n, NRF52_PHASE_READ, len, len, NULL);
	return 0;
}

/* ---- names ---- */

static const char *const nrf52_erase_mode_names[] = {
	[NRF52_ERASE_AUTO] = "auto",
	[NRF52_ERASE_CHIP] = "chip",
	[NRF52_ERASE_NONE] = "none",
};

const char *nrf52_verify_mode_name(enum nrf52_verify_mode m)
{
	switch (m) {
	case NRF52_VERIFY_AUTO: return "auto";
	case NRF52_VERIFY_READ: return "read";
	}
	return NULL;
}

int nrf52_verify_mode_from_name(const char *name)
{
	for (int m = 0; nrf52_verify_mode_name((enum nrf52_verify_mode)m); m++)
		if (name && strcmp(name, nrf52_verify_mode_name((enum nrf52_verify_mode)m)) == 0)
			return m;
	return -1;
}

const char *nrf52_erase_mode_name(enum nrf52_erase_mode m)
{
	size_t n = sizeof(nrf52_erase_mode_names) / sizeof(nrf52_erase_mode_names[0]);

	return (unsigned)m < n ? nrf52_erase_mode_names[m] : NULL;
}

int nrf52_erase_mode_from_name(const char *name)
{
	size_t n = sizeof(nrf52_erase_mode_names) / sizeof(nrf52_erase_mode_names[0]);

	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(name, nrf52_erase_mode_names[i]))
			return (int)i;
	return -1;
}

int nrf52_write_ram(struct nrf52 *n, uint32_t addr, const uint32_t *words, size_t nwords,
		    struct sf_err *err)
{
	uint64_t end = (uint64_t)addr + (uint64_t)nwords * 4;
	int rc = nrf52_ensure_open(n, err);

	if (rc)
		return rc;
	if (addr % 4 || addr < NRF52_RAM_BASE || !n->info.ram_size ||
	    end > (uint64_t)NRF52_RAM_BASE + n->info.ram_size)
		return sf_err_set(err, SF_E_RANGE, "RAM write at 0x%08X (%zu words) is not inside "
				  "RAM or not word-aligned", (unsigned)addr, nwords);
	return nrf52_write_words(n, addr, words, nwords, err);
}
