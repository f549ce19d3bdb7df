// SPDX-License-Identifier: GPL-2.0-or-later
/* ADIv5 DP/AP access and MEM-AP transfers over the SWD link.
 * Keeps the mem_read/mem_write contract of dap.h: blocks are cut at 1 KiB
 * TAR boundaries, a wire glitch resumes at the last certainly good word
 * with TAR written again, and a failure names "at or before" the address
 * it got to. */
#include "dap_swd.h"

#include <stdlib.h>
#include <string.h>

#define DAP_POWERUP_TIMEOUT_US 100000U
#define DAP_TAR_BLOCK 1024U /* ADIv5 guarantees TAR auto-increment within 1 KiB */
#define DAP_PROTOCOL_RETRIES 8U /* wire glitches one transfer call survives */

struct dap_swd {
	struct swd_link *link;
	int select_valid;
	uint32_t select;
	int csw_valid;
	uint32_t csw;
	int tar_valid;
	uint32_t tar;
};

static void forget_caches(void *ctx)
{
	struct dap_swd *d = ctx;

	d->select_valid = d->csw_valid = d->tar_valid = 0;
}

static int dp_write(void *ctx, unsigned reg, uint32_t val, struct sf_err *err)
{
	struct dap_swd *d = ctx;
	int rc = swd_link_xfer(d->link, 0, 0, reg, &val, err);

	if (rc) {
		forget_caches(d);
		return rc;
	}
	if (reg == DAP_DP_SELECT) {
		d->select = val;
		d->select_valid = 1;
	}
	return 0;
}

static int dp_read(void *ctx, unsigned reg, uint32_t *val, struct sf_err *err)
{
	struct dap_swd *d = ctx;
	int rc = swd_link_xfer(d->link, 0, 1, reg, val, err);

	if (rc)
		forget_caches(d);
	return rc;
}

/* SELECT: APSEL [31:24], APBANKSEL [7:4], DPBANKSEL [3:0] (kept 0 so that
 * DP 0x4 is CTRL/STAT, which FAULT recovery relies on). */
static int select_ap(struct dap_swd *d, unsigned ap, unsigned reg, struct sf_err *err)
{
	uint32_t sel = (ap << 24) | (reg & 0xF0U);

	if (d->select_valid && d->select == sel)
		return 0;
	if (ap != 0) /* CSW/TAR caches describe AP 0 only */
		d->csw_valid = d->tar_valid = 0;
	return dp_write(d, DAP_DP_SELECT, sel, err);
}

/* A MEM-AP data register access moves memory (and TAR); everything else
 * (CSW, TAR, IDR, the CTRL-AP registers) can be repeated after a glitch. */
static int ap_repeatable(unsigned ap, unsigned reg)
{
	return !(ap == 0 && (reg == DAP_AP_DRW || (reg & 0xF0) == DAP_AP_BD0));
}

/* One AP write as it goes on the wire; a corrupted data phase shows up
 * on the next transfer. */
static int ap_write_raw(struct dap_swd *d, unsigned ap, unsigned reg, uint32_t val,
			struct sf_err *err)
{
	int rc = select_ap(d, ap, reg, err);

	if (!rc)
		rc = swd_link_xfer(d->link, 1, 0, reg & 0xC, &val, err);
	if (rc) {
		forget_caches(d);
		return sf_err_prefix(err, "AP%u register 0x%02X", ap, reg);
	}
	if (ap == 0 && reg == DAP_AP_CSW) {
		d->csw = val;
		d->csw_valid = 1;
	} else if (ap == 0 && reg == DAP_AP_TAR) {
		d->tar = val;
		d->tar_valid = 1;
	} else if (!ap_repeatable(ap, reg)) {
		d->tar_valid = 0;
	}
	return 0;
}

/* A single register write: RDBUFF afterwards makes a discarded write
 * (WDATAERR) show up here, and a glitch is repeated where that is safe. */
static int ap_write(void *ctx, unsigned ap, unsigned reg, uint32_t val, struct sf_err *err)
{
	struct dap_swd *d = ctx;
	uint32_t v;
	int rc;

	for (unsigned glitches = 0;; glitches++) {
		rc = ap_write_raw(d, ap, reg, val, err);
		if (!rc && (rc = swd_link_xfer(d->link, 0, 1, DAP_DP_RDBUFF, &v, err)))
			forget_caches(d);
		if (rc != SF_E_PROTOCOL || !ap_repeatable(ap, reg) ||
		    glitches >= DAP_PROTOCOL_RETRIES)
			return rc;
	}
}

/* AP reads are posted: the AP read returns the previous result and RDBUFF
 * collects this one. */
static int ap_read(void *ctx, unsigned ap, unsigned reg, uint32_t *val, struct sf_err *err)
{
	struct dap_swd *d = ctx;

	for (unsigned glitches = 0;; glitches++) {
		int rc = select_ap(d, ap, reg, err);

		if (!rc)
			rc = swd_link_xfer(d->link, 1, 1, reg & 0xC, NULL, err);
		if (!rc)
			rc = swd_link_xfer(d->link, 0, 1, DAP_DP_RDBUFF, val, err);
		if (!rc) {
			if (!ap_repeatable(ap, reg))
				d->tar_valid = 0;
			return 0;
		}
		forget_caches(d);
		if (rc != SF_E_PROTOCOL || !ap_repeatable(ap, reg) ||
		    glitches >= DAP_PROTOCOL_RETRIES)
			return sf_err_prefix(err, "AP%u register 0x%02X", ap, reg);
	}
}

static int connect(void *ctx, uint32_t *dpidr, struct sf_err *err)
{
	struct dap_swd *d = ctx;
	uint32_t id = 0, cs = 0;
	uint32_t want = DAP_CTRL_CDBGPWRUPACK | DAP_CTRL_CSYSPWRUPACK;
	int rc;

	forget_caches(d);
	swd_link_jtag_to_swd(d->link);
	/* After a line reset the DP accepts only a DPIDR read. */
	rc = dp_read(d, DAP_DP_DPIDR, &id, err);
	if (rc)
		return sf_err_prefix(err, "connect");
	if (dpidr)
		*dpidr = id;
	/* Clear sticky flags left by an earlier session before powering up
	 * (probe-rs: without it, the nRF52840 faults the next access). */
	rc = dp_write(d, DAP_DP_ABORT, DAP_ABORT_CLEAR_ALL, err);
	if (!rc)
		rc = dp_write(d, DAP_DP_SELECT, 0, err);
	if (!rc)
		rc = dp_write(d, DAP_DP_CTRLSTAT, DAP_CTRL_CDBGPWRUPREQ | DAP_CTRL_CSYSPWRUPREQ, err);
	if (rc)
		return sf_err_prefix(err, "power-up request");
	uint64_t deadline = swd_link_now_us(d->link) + DAP_POWERUP_TIMEOUT_US;
	for (;;) {
		rc = dp_read(d, DAP_DP_CTRLSTAT, &cs, err);
		if (rc)
			return sf_err_prefix(err, "power-up");
		if ((cs & want) == want)
			return 0;
		if (swd_link_now_us(d->link) > deadline)
			return sf_err_set(err, SF_E_TIMEOUT,
					   "debug power-up not acknowledged (CTRL/STAT 0x%08X)", cs);
		swd_link_delay_us(d->link, 100);
	}
}

static uint32_t csw_for(unsigned size)
{
	uint32_t sz = size == 1 ? DAP_CSW_SIZE8 : size == 2 ? DAP_CSW_SIZE16 : DAP_CSW_SIZE32;

	return DAP_CSW_DBGSWENABLE | DAP_CSW_MASTER_DEBUG | DAP_CSW_HPROT1 |
	       DAP_CSW_ADDRINC_SINGLE | sz;
}

/* Set CSW and TAR for a run starting at addr, skipping what is cached. */
static int setup_run(struct dap_swd *d, uint32_t addr, unsigned size, struct sf_err *err)
{
	uint32_t csw = csw_for(size);
	int rc = select_ap(d, 0, DAP_AP_CSW, err);

	if (rc)
		return rc;
	if (!d->csw_valid || d->csw != csw) {
		rc = ap_write_raw(d, 0, DAP_AP_CSW, csw, err);
		if (rc)
			return rc;
	}
	if (!d->tar_valid || d->tar != addr)
		rc = ap_write_raw(d, 0, DAP_AP_TAR, addr, err);
	return rc;
}

/* After a run of n accesses TAR has moved on, unless it wrapped at the
 * 1 KiB boundary (TAR[9:0] only is guaranteed to increment). */
static void advance_tar(struct dap_swd *d, uint32_t start, uint32_t bytes)
{
	uint32_t end = start + bytes;

	d->tar = end;
	d->tar_valid = (end & (DAP_TAR_BLOCK - 1)) != 0;
}

static int fail_run(struct dap_swd *d, struct sf_err *err, const char *op, uint32_t start,
		    uint32_t done, uint32_t bytes)
{
	forget_caches(d);
	return sf_err_prefix(err, "%s 0x%08X..0x%08X (at or before 0x%08X)", op, start,
			      start + bytes - 1, start + done);
}

static int check_args(uint32_t addr, size_t len, unsigned size, struct sf_err *err)
{
	if ((size != 1 && size != 2 && size != 4) || (addr % size) || (len % size))
		return sf_err_set(err, SF_E_ARG,
				   "unaligned memory access: %zu bytes at 0x%08X in %u-byte units",
				   len, addr, size);
	if (len && (uint64_t)addr + len - 1 > 0xFFFFFFFFULL)
		return sf_err_set(err, SF_E_ARG, "memory access wraps past 4 GiB");
	return 0;
}

/* One run inside a 1 KiB TAR block. On failure *done is how many bytes
 * are certainly complete: the caller resumes there with a fresh TAR. */
static int read_run(struct dap_swd *d, uint32_t addr, uint8_t *out, uint32_t bytes,
		    unsigned size, uint32_t *done, struct sf_err *err)
{
	uint32_t n = bytes / size, v;
	int rc = setup_run(d, addr, size, err);

	*done = 0;
	if (rc)
		return rc;
	/* Posted: read i returns word i-1; RDBUFF returns the last. */
	for (uint32_t i = 0; i <= n; i++) {
		if (i < n)
			rc = swd_link_xfer(d->link, 1, 1, DAP_AP_DRW, &v, err);
		else
			rc = swd_link_xfer(d->link, 0, 1, DAP_DP_RDBUFF, &v, err);
		if (rc)
			return rc;
		if (i == 0)
			continue;
		uint32_t a = addr + (i - 1) * size;
		uint8_t *o = out + (i - 1) * size;
		if (size == 4) {
			memcpy(o, &v, 4);
		} else {
			v >>= 8 * (a & 3); /* byte lanes follow the address */
			o[0] = (uint8_t)v;
			if (size == 2)
				o[1] = (uint8_t)(v >> 8);
		}
		*done = i * size;
	}
	*done = bytes;
	advance_tar(d, addr, bytes);
	return 0;
}

static int write_run(struct dap_swd *d, uint32_t addr, const uint8_t *in, uint32_t bytes,
		     unsigned size, uint32_t *done, struct sf_err *err)
{
	uint32_t n = bytes / size, v;
	int rc = setup_run(d, addr, size, err);

	*done = 0;
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = addr + i * size;
		const uint8_t *p = in + i * size;
		if (size == 4) {
			memcpy(&v, p, 4);
		} else {
			v = size == 2 ? (uint32_t)(p[0] | p[1] << 8) : p[0];
			v <<= 8 * (a & 3);
		}
		rc = swd_link_xfer(d->link, 1, 0, DAP_AP_DRW, &v, err);
		if (rc)
			return rc;
		/* A write whose data was corrupted shows up (WDATAERR) on the
		 * next transfer: word i is sure only once write i+1 got OK. */
		*done = i * size;
	}
	/* End the run with RDBUFF (ADIv5: completes the last write, and a
	 * sticky error from it surfaces inside this run). */
	rc = swd_link_xfer(d->link, 0, 1, DAP_DP_RDBUFF, &v, err);
	if (rc) {
		*done = (n - 1) * size;
		return rc;
	}
	*done = bytes;
	advance_tar(d, addr, bytes);
	return 0;
}

/* Split at 1 KiB TAR blocks; survive wire glitches (SF_E_PROTOCOL) by
 * resuming where the data is certainly good, with TAR written again. */
static int mem_xfer(struct dap_swd *d, int write, uint32_t addr, uint8_t *rbuf,
		    const uint8_t *wbuf, size_t len, unsigned size, struct sf_err *err)
{
	unsigned glitches = 0;
	int rc = check_args(addr, len, size, err);

	while (!rc && len) {
		uint32_t room = DAP_TAR_BLOCK - (addr & (DAP_TAR_BLOCK - 1));
		uint32_t bytes = len < room ? (uint32_t)len : room, done = 0;

		rc = write ? write_run(d, addr, wbuf, bytes, size, &done, err)
			   : read_run(d, addr, rbuf, bytes, size, &done, err);
		if (rc == SF_E_PROTOCOL && glitches++ < DAP_PROTOCOL_RETRIES) {
			forget_caches(d);
			rc = 0;
		} else if (rc) {
			return fail_run(d, err, write ? "writing" : "reading", addr, done, bytes);
		}
		addr += done;
		if (write)
			wbuf += done;
		else
			rbuf += done;
		len -= done;
	}
	return rc;
}

static int mem_read(void *ctx, uint32_t addr, void *buf, size_t len, unsigned size,
		    struct sf_err *err)
{
	return mem_xfer(ctx, 0, addr, buf, NULL, len, size, err);
}

static int mem_write(void *ctx, uint32_t addr, const void *buf, size_t len, unsigned size,
		     struct sf_err *err)
{
	return mem_xfer(ctx, 1, addr, NULL, buf, len, size, err);
}

/* ADIv5: at least 8 idle cycles before the clock stops, so that the last
 * write completes. */
static void flush(void *ctx)
{
	swd_link_idle(((struct dap_swd *)ctx)->link, 8);
}

static int reset_pin(void *ctx, int level, struct sf_err *err)
{
	struct dap_swd *d = ctx;
	struct swd_pins *p = swd_link_pins(d->link);

	if (!p->ops->nreset)
		return sf_err_set(err, SF_E_UNSUPPORTED, "no nRESET line is wired to this probe");
	if (p->ops->nreset(p->ctx, level)) {
		/* The driver's own message names the call and errno. */
		int rc = swd_link_status(d->link, err);

		if (!rc)
			return sf_err_set(err, SF_E_IO, "setting nRESET failed");
		sf_err_prefix(err, "setting nRESET");
		return rc;
	}
	return 0;
}

static void get_stats(void *ctx, struct dap_stats *st)
{
	struct swd_link_stats ls;

	swd_link_stats(((struct dap_swd *)ctx)->link, &ls);
	memset(st, 0, sizeof(*st));
	st->valid = DAP_STAT_WIRE; /* nothing here goes over USB */
	st->transfers = ls.transfers;
	st->waits = ls.waits;
	st->faults = ls.faults;
	st->protocol_errors = ls.protocol_errors;
	st->line_resets = ls.line_resets;
}

static void dap_free(void *ctx)
{
	free(ctx);
}

static const struct dap_ops dap_swd_ops = {
	.connect = connect,
	.dp_read = dp_read,
	.dp_write = dp_write,
	.ap_read = ap_read,
	.ap_write = ap_write,
	.mem_read = mem_read,
	.mem_write = mem_write,
	.reset_pin = reset_pin,
	.flush = flush,
	.get_stats = get_stats,
	.target_reset = forget_caches,
	.free = dap_free,
};

int dap_swd_new(struct swd_link *link, struct dap *out, struct sf_err *err)
{
	struct dap_swd *d = calloc(1, sizeof(*d));

	if (!d)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	d->link = link;
	out->ops = &dap_swd_ops;
	out->ctx = d;
	/* The link reaches any AP, does 8/16-bit MEM-AP access, retries WAIT
	 * and resumes a block at the last good word. */
	out->caps = DAP_CAP_ANY_AP | DAP_CAP_MEM8 | DAP_CAP_MEM16 | DAP_CAP_WAIT_PACED;
	out->call_us = 0;  /* every call is wire cycles only */
	out->note = NULL;
	if (swd_link_pins(link)->ops->nreset)
		out->caps |= DAP_CAP_RESET_PIN;
	return 0;
}
