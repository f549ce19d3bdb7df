// SPDX-License-Identifier: GPL-2.0-or-later
/* SWD wire protocol (ADIv5.2 B4): 8-bit request, turnaround, 3-bit ACK,
 * 32 data bits + even parity, turnaround on direction changes. */
#include "link.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWD_WAIT_TIMEOUT_US_DEFAULT 500000U
#define SWD_PROTOCOL_RETRIES 2

struct swd_link {
	struct swd_pins pins;
	uint32_t wait_timeout_us;
	struct swd_link_stats stats;
	swd_link_trace_fn trace;
	void *trace_user;
};

static unsigned parity32(uint32_t v)
{
	return (unsigned)__builtin_parity(v);
}

uint8_t swd_link_request(int ap, int rnw, unsigned addr)
{
	unsigned a2 = (addr >> 2) & 1, a3 = (addr >> 3) & 1;
	unsigned par = ((unsigned)ap ^ (unsigned)rnw ^ a2 ^ a3) & 1;

	return (uint8_t)(0x81 | (ap ? 0x02 : 0) | (rnw ? 0x04 : 0) | (a2 << 3) | (a3 << 4) |
			 (par << 5));
}

struct swd_link *swd_link_new(const struct swd_pins_ops *ops, void *pins_ctx)
{
	struct swd_link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->pins.ops = ops;
	l->pins.ctx = pins_ctx;
	l->pins.out = -1;
	l->wait_timeout_us = SWD_WAIT_TIMEOUT_US_DEFAULT;
	swd_pins_dir(&l->pins, 1);
	return l;
}

void swd_link_free(struct swd_link *l)
{
	if (!l)
		return;
	if (l->pins.ops->free)
		l->pins.ops->free(l->pins.ctx);
	free(l);
}

struct swd_pins *swd_link_pins(struct swd_link *l)
{
	return &l->pins;
}

void swd_link_set_wait_timeout(struct swd_link *l, uint32_t us)
{
	l->wait_timeout_us = us;
}

void swd_link_set_trace(struct swd_link *l, swd_link_trace_fn fn, void *user)
{
	l->trace = fn;
	l->trace_user = user;
}

void swd_link_delay_us(struct swd_link *l, uint32_t us)
{
	l->pins.ops->delay_us(l->pins.ctx, us);
}

uint64_t swd_link_now_us(struct swd_link *l)
{
	return l->pins.ops->now_us(l->pins.ctx);
}

void swd_link_stats(const struct swd_link *l, struct swd_link_stats *st)
{
	*st = l->stats;
}

void swd_link_idle(struct swd_link *l, unsigned n)
{
	swd_pins_dir(&l->pins, 1);
	while (n) {
		unsigned k = n > 32 ? 32 : n;
		swd_pins_seq_out(&l->pins, 0, k);
		n -= k;
	}
}

/* 56 cycles high then 8 low, as OpenOCD sends: >= 50 high and >= 2 idle. */
void swd_link_line_reset(struct swd_link *l)
{
	swd_pins_dir(&l->pins, 1);
	swd_pins_seq_out(&l->pins, 0xFFFFFFFFU, 32);
	swd_pins_seq_out(&l->pins, 0x00FFFFFFU, 32);
	l->stats.line_resets++;
}

void swd_link_jtag_to_swd(struct swd_link *l)
{
	swd_pins_dir(&l->pins, 1);
	swd_pins_seq_out(&l->pins, 0xFFFFFFFFU, 32);
	swd_pins_seq_out(&l->pins, 0xFFFFFFFFU, 32);
	/* ADIv5.2 B5.2.1: 0xE79E, LSB first */
	swd_pins_seq_out(&l->pins, 0xE79EU, 16);
	swd_link_line_reset(l);
}

unsigned swd_link_xfer_raw(struct swd_link *l, int ap, int rnw, unsigned addr,
			   uint32_t *data, int *parity_ok)
{
	struct swd_pins *p = &l->pins;
	unsigned ack;
	uint32_t v = 0;

	swd_pins_dir(p, 1);
	swd_pins_seq_out(p, swd_link_request(ap, rnw, addr), 8);
	swd_pins_dir(p, 0);
	l->stats.transfers++;
	swd_pins_turnaround(p, 1);
	ack = swd_pins_seq_in(p, 3);
	if (rnw) {
		if (ack == SWD_ACK_OK) {
			v = swd_pins_seq_in(p, 32);
			unsigned par = swd_pins_seq_in(p, 1);
			if (parity_ok)
				*parity_ok = par == parity32(v);
			if (data)
				*data = v;
		}
		swd_pins_turnaround(p, 1); /* before we drive again */
		swd_pins_dir(p, 1);
	} else {
		swd_pins_turnaround(p, 1);
		swd_pins_dir(p, 1);
		if (ack == SWD_ACK_OK) {
			v = data ? *data : 0;
			swd_pins_seq_out(p, v, 32);
			swd_pins_seq_out(p, parity32(v), 1);
		}
	}
	if (l->trace)
		l->trace(l->trace_user, ap, rnw, addr, ack, v);
	return ack;
}

static const char *xfer_name(int ap, int rnw, unsigned addr, char *buf, size_t len)
{
	static const char *const dp_r[] = { "DPIDR", "CTRL/STAT", "RESEND", "RDBUFF" };
	static const char *const dp_w[] = { "ABORT", "CTRL/STAT", "SELECT", "0xC" };

	if (ap)
		snprintf(buf, len, "%s AP 0x%X", rnw ? "reading" : "writing", addr & 0xC);
	else
		snprintf(buf, len, "%s DP %s", rnw ? "reading" : "writing",
			 (rnw ? dp_r : dp_w)[(addr >> 2) & 3]);
	return buf;
}

/* The pins driver's sticky error. After a failed GPIO call the wire is
 * undriven and reads all ones, which looks like "no ACK" or a FAULT: the
 * driver's error (the ioctl and its errno) must win over whatever the link
 * makes of the answer, so it is consulted after every transfer. */
int swd_link_status(struct swd_link *l, struct sf_err *err)
{
	return l->pins.ops->status ? l->pins.ops->status(l->pins.ctx, err) : 0;
}

/* The driver's error, prefixed with what the link was doing (formatted
 * only when there is one); 0 when the driver is fine. */
static int driver_failed(struct swd_link *l, struct sf_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int driver_failed(struct swd_link *l, struct sf_err *err, const char *fmt, ...)
{
	int rc = swd_link_status(l, err);
	char what[160];
	va_list ap;

	if (!rc)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sf_err_prefix(err, "%s", what);
	return rc;
}

/* FAULT: read CTRL/STAT (never answers WAIT or FAULT), clear what is
 * sticky through ABORT, and say which flag it was. */
static int recover_fault(struct swd_link *l, const char *what, struct sf_err *err)
{
	uint32_t cs = 0, abort_bits = 0;
	int par_ok = 1, rc;
	char flags[96] = "";
	unsigned ack = swd_link_xfer_raw(l, 0, 1, DAP_DP_CTRLSTAT, &cs, &par_ok);

	if ((rc = driver_failed(l, err, "ACK FAULT %s, then reading CTRL/STAT", what)))
		return rc;
	if (ack != SWD_ACK_OK || !par_ok) {
		swd_link_line_reset(l);
		return sf_err_set(err, SF_E_FAULT,
				   "ACK FAULT %s, and CTRL/STAT could not be read (ACK %u)", what,
				   ack);
	}
	if (cs & DAP_CTRL_STICKYERR) {
		strcat(flags, " STICKYERR (bus error)");
		abort_bits |= DAP_ABORT_STKERRCLR;
	}
	if (cs & DAP_CTRL_WDATAERR) {
		strcat(flags, " WDATAERR (write parity)");
		abort_bits |= DAP_ABORT_WDERRCLR;
	}
	if (cs & DAP_CTRL_STICKYORUN) {
		strcat(flags, " STICKYORUN");
		abort_bits |= DAP_ABORT_ORUNERRCLR;
	}
	if (cs & DAP_CTRL_STICKYCMP) {
		strcat(flags, " STICKYCMP");
		abort_bits |= DAP_ABORT_STKCMPCLR;
	}
	if (!abort_bits)
		abort_bits = DAP_ABORT_CLEAR_ALL;
	swd_link_xfer_raw(l, 0, 0, DAP_DP_ABORT, &abort_bits, NULL);
	if ((rc = driver_failed(l, err, "ACK FAULT %s, then clearing it through ABORT", what)))
		return rc;
	/* WDATAERR alone means a write's data was corrupted on the wire and
	 * discarded: a protocol error the caller can repeat, not a bus fault. */
	return sf_err_set(err, (cs & (DAP_CTRL_STICKYERR | DAP_CTRL_STICKYORUN |
					DAP_CTRL_STICKYCMP)) || !(cs & DAP_CTRL_WDATAERR)
					? SF_E_FAULT : SF_E_PROTOCOL,
			   "ACK FAULT %s: CTRL/STAT 0x%08X%s", what, cs,
			   flags[0] ? flags : " (no sticky flag)");
}

/* No valid ACK: the line floats high or a bit was lost. A line reset and a
 * DPIDR read bring the DP back (ADIv5.2 B4.3.3); if even that gets no
 * answer, nothing is there, unless the driver itself failed. */
static int recover_protocol(struct swd_link *l, struct sf_err *err)
{
	uint32_t id;
	int par_ok = 0, rc;
	unsigned ack;

	swd_link_line_reset(l);
	ack = swd_link_xfer_raw(l, 0, 1, DAP_DP_DPIDR, &id, &par_ok);
	if ((rc = driver_failed(l, err, "line reset and DPIDR read after a protocol error")))
		return rc;
	if (ack == SWD_ACK_OK && par_ok)
		return 0;
	return sf_err_set(err, SF_E_NOTARGET,
			   "no response from the target (SWDIO stays high): check power, "
			   "wiring and the common ground");
}

int swd_link_xfer(struct swd_link *l, int ap, int rnw, unsigned addr, uint32_t *data,
		  struct sf_err *err)
{
	uint64_t deadline = 0;
	unsigned waits = 0, protocol = 0;
	char what[40];

	for (;;) {
		int par_ok = 1, rc;
		unsigned ack = swd_link_xfer_raw(l, ap, rnw, addr, data, &par_ok);

		/* Whatever the ACK, a failed GPIO call explains it (the name is
		 * formatted only then: this runs on every transfer). */
		if ((rc = swd_link_status(l, err))) {
			sf_err_prefix(err, "%s", xfer_name(ap, rnw, addr, what, sizeof(what)));
			return rc;
		}
		if (ack == SWD_ACK_OK) {
			if (par_ok)
				return 0;
			/* Bad read parity: the value is lost, but RESEND returns the
			 * last AP/RDBUFF read again; a DP register can be re-read. */
			l->stats.protocol_errors++;
			if (++protocol > SWD_PROTOCOL_RETRIES)
				return sf_err_set(err, SF_E_PROTOCOL, "parity error %s",
						   xfer_name(ap, rnw, addr, what, sizeof(what)));
			if (ap || addr == DAP_DP_RDBUFF) {
				ap = 0;
				addr = DAP_DP_RESEND;
			}
			continue;
		}
		if (ack == SWD_ACK_WAIT) {
			uint64_t now = swd_link_now_us(l);
			l->stats.waits++;
			waits++;
			if (!deadline)
				deadline = now + l->wait_timeout_us;
			if (now < deadline)
				continue;
			uint32_t abort_bits = DAP_ABORT_DAPABORT;
			swd_link_xfer_raw(l, 0, 0, DAP_DP_ABORT, &abort_bits, NULL);
			if ((rc = driver_failed(l, err, "%s, then DAPABORT after a WAIT timeout",
						xfer_name(ap, rnw, addr, what, sizeof(what)))))
				return rc;
			return sf_err_set(err, SF_E_WAIT,
					   "target answered WAIT %u times over %u us %s; "
					   "transaction aborted",
					   waits, l->wait_timeout_us,
					   xfer_name(ap, rnw, addr, what, sizeof(what)));
		}
		if (ack == SWD_ACK_FAULT) {
			l->stats.faults++;
			return recover_fault(l, xfer_name(ap, rnw, addr, what, sizeof(what)), err);
		}
		l->stats.protocol_errors++;
		rc = recover_protocol(l, err);
		if (rc) {
			sf_err_prefix(err, "%s", xfer_name(ap, rnw, addr, what, sizeof(what)));
			return rc;
		}
		/* The target may have carried out an AP access whose ACK was lost,
		 * and AP accesses have side effects (TAR auto-increment): only the
		 * caller knows where to resume. DP accesses are repeated. */
		if (ap || ++protocol > SWD_PROTOCOL_RETRIES)
			return sf_err_set(err, SF_E_PROTOCOL, "no valid ACK (0x%X) %s", ack,
					   xfer_name(ap, rnw, addr, what, sizeof(what)));
	}
}
