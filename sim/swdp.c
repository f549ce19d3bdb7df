// SPDX-License-Identifier: GPL-2.0-or-later
/* swdp: the wire and the SW-DP of the simulated nRF52.
 *
 * Framing (ADIv5.2 B4.2; cycle counts as OpenOCD's bitbang.c and sigrok's
 * SWD decoder expect). Rising edges are numbered from the start bit (1):
 *   1..8    request, sampled by the target (start, APnDP, RnW, A2, A3,
 *           even parity over those four, stop 0, park 1)
 *   9       turnaround; the target drives ACK bit 0 right after this edge
 *   10, 11  ACK bits 1 and 2 driven after these edges
 *   read OK:  data bit i driven after edge 12+i, parity after 44, the
 *             target releases after 45, edge 46 is the turnaround back
 *   write OK: released after 12, 13 is the turnaround, the target samples
 *             data on 14..45 and parity on 46
 *   WAIT/FAULT: released after 12, 13 is the turnaround, no data phase
 *             (ORUNDETECT=0); with ORUNDETECT=1 a 33-cycle data phase
 *             follows and is ignored.
 * The host samples a target bit after the falling edge that follows the
 * rising edge that put it on the line.
 *
 * Two tolerances keep hosts that clock a data phase after WAIT/FAULT even
 * though ORUNDETECT is 0 in step (OpenOCD's bitbang driver clocks the full
 * 38 input cycles of a read and the 33 data bits of a write whatever the
 * ACK, see bitbang_swd_read_reg/write_reg): a start bit is a 1 the host
 * drives (an undriven, pulled-up line never starts a request), and after a
 * WAIT/FAULT to a write, the first header that fails to parse inside the
 * following 33 cycles is taken for such a data phase and skipped silently.
 *
 * A request with a bad start/parity/stop/park bit gets no answer (the line
 * floats high) and the state machine waits for the next start bit. Fifty
 * or more 1s reset it from any state (line reset); after a line reset the
 * DP answers FAULT to everything but a DPIDR read until it gets one (as
 * ST's Cortex-M4 SW-DP documents, RM0090 38.8.3). The all-ones "requests"
 * inside a line reset and the JTAG-to-SWD select sequence between two line
 * resets are not counted as protocol errors. After a line reset followed
 * by the SWD-to-JTAG sequence 0xE73C (OpenOCD sends it when it quits) the
 * DP ignores the wire until the next line reset, as an SWJ-DP does. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "sim_internal.h"

enum { ST_IDLE, ST_HDR, ST_READ, ST_WRITE, ST_WF, ST_SKIP, ST_DESEL };

#define DPIDR_VALUE 0x2BA01477u
#define LINE_RESET_ONES 50u
#define JTS_OFF 1000u

static unsigned parity32(uint32_t v)
{
	return (unsigned)__builtin_parity(v);
}

/* How far simulated time may run ahead of the wall clock with realtime=1
 * before the chip sleeps: coarse enough that sleeps are few. */
#define SIM_REALTIME_SLACK_NS 2000000u

uint64_t sim_now(struct sim_chip *c)
{
	if (c->cfg.wallclock || c->cfg.realtime) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t w = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - c->wall0_ns;
		/* realtime implies wallclock: time passes while nobody clocks */
		if (w > c->t_ns)
			c->t_ns = w;
		if (c->cfg.realtime && c->t_ns > w + SIM_REALTIME_SLACK_NS) {
			uint64_t ahead = c->t_ns - w;
			struct timespec d = { (time_t)(ahead / 1000000000u),
					      (long)(ahead % 1000000000u) };
			while (nanosleep(&d, &d) && errno == EINTR)
				;
		}
	}
	return c->t_ns;
}

void sim_dp_reset(struct sim_chip *c)
{
	c->st = ST_IDLE;
	c->tdrive = 0;
	c->postw = 0;
	c->need_idr = 1;
	c->ctrlstat = 0;
	c->select = 0;
	c->dlcr = 0;
	c->rdbuff = 0;
	c->last_read = 0;
	c->ones = 0;
	c->perr_ff = 0;
	c->jts_bits = JTS_OFF;
}

static void recompute_next_event(struct sim_chip *c)
{
	uint64_t n = UINT64_MAX;
	if (c->flip_at && c->flip_at < n)
		n = c->flip_at;
	if (c->lose_at && c->lose_at < n)
		n = c->lose_at;
	c->next_event = n;
}

/* Rare things due on this rising edge; returns the (maybe flipped) level
 * the target samples. */
static unsigned on_event(struct sim_chip *c, unsigned lvl, unsigned hd)
{
	if (c->flip_at && c->cnt.cycles >= c->flip_at) {
		if (c->cnt.cycles == c->flip_at && hd)
			lvl ^= 1u;
		c->flip_at = 0;
	}
	if (c->lose_at && c->cnt.cycles >= c->lose_at) {
		c->lost = 1;
		c->lose_at = 0;
		c->tdrive = 0;
		c->st = ST_IDLE;
	}
	recompute_next_event(c);
	return lvl;
}

static void line_reset(struct sim_chip *c)
{
	c->cnt.line_resets++;
	/* JTAG-to-SWD: line reset, 0xE79E, line reset; the 16 bits in the
	 * middle are a select sequence, not requests. */
	if (c->jts_bits <= 16u + LINE_RESET_ONES + 1u && (c->jts_val & 0xFFFFu) == 0xE79Eu)
		c->cnt.protocol_errors = c->jts_perr;
	c->perr_ff = 0;
	c->st = ST_IDLE;
	c->tdrive = 0;
	c->postw = 0;
	c->need_idr = 1;
	c->jts_bits = JTS_OFF;
	if (c->cfg.bench_dir)
		sim_bench_poll(c);
}

static uint32_t dp_read(struct sim_chip *c, unsigned a)
{
	switch (a) {
	case 0:
		c->need_idr = 0;
		return DPIDR_VALUE;
	case 1:
		if ((c->select & 0xFu) == 0)
			return c->ctrlstat;
		if ((c->select & 0xFu) == 1)
			return c->dlcr;
		return 0;
	case 2:
		return c->last_read;  /* RESEND */
	default:
		c->ctrlstat |= SIM_CS_READOK;
		return c->rdbuff;     /* RDBUFF */
	}
}

static void dp_write(struct sim_chip *c, unsigned a, uint32_t v)
{
	switch (a) {
	case 0: /* ABORT: DAPABORT b0 (nothing is ever pending here), STKCMPCLR b1,
		 * STKERRCLR b2, WDERRCLR b3, ORUNERRCLR b4 */
		if (v & (1u << 1))
			c->ctrlstat &= ~SIM_CS_STICKYCMP;
		if (v & (1u << 2))
			c->ctrlstat &= ~SIM_CS_STICKYERR;
		if (v & (1u << 3))
			c->ctrlstat &= ~SIM_CS_WDATAERR;
		if (v & (1u << 4))
			c->ctrlstat &= ~SIM_CS_STICKYORUN;
		break;
	case 1:
		if ((c->select & 0xFu) == 0) {
			/* Writable: ORUNDETECT, TRNMODE, MASKLANE, TRNCNT and the three
			 * requests; sticky bits are cleared through ABORT only (SW-DP).
			 * The power and reset acknowledges follow their requests at once. */
			const uint32_t wmask = 0x1u | 0xCu | 0xF00u | 0x00FFF000u |
				SIM_CS_CDBGRSTREQ | SIM_CS_CDBGPWRUPREQ | SIM_CS_CSYSPWRUPREQ;
			uint32_t cs = (c->ctrlstat & ~wmask & ~(SIM_CS_CDBGRSTACK |
				SIM_CS_CDBGPWRUPACK | SIM_CS_CSYSPWRUPACK)) | (v & wmask);
			if (cs & SIM_CS_CDBGRSTREQ)
				cs |= SIM_CS_CDBGRSTACK;
			if (cs & SIM_CS_CDBGPWRUPREQ)
				cs |= SIM_CS_CDBGPWRUPACK;
			if (cs & SIM_CS_CSYSPWRUPREQ)
				cs |= SIM_CS_CSYSPWRUPACK;
			c->ctrlstat = cs;
		} else if ((c->select & 0xFu) == 1) {
			c->dlcr = v & 0x300u; /* TURNROUND; only 1 cycle is modelled */
		}
		break;
	case 2:
		c->select = v & 0xFF0000FFu;
		break;
	default: /* TARGETSEL exists on DPv2 only */
		break;
	}
}

static unsigned decide_ack(struct sim_chip *c, unsigned apndp, unsigned rnw, unsigned a)
{
	if (c->fault_at_xfer && c->xfers == c->fault_at_xfer) {
		c->fault_at_xfer = 0;
		c->ctrlstat |= SIM_CS_STICKYERR;
		return SIM_ACK_FAULT;
	}
	int dpidr_read = !apndp && rnw && a == 0;
	if (c->need_idr && !dpidr_read)
		return SIM_ACK_FAULT;
	/* DPIDR read, CTRL/STAT read and ABORT write never WAIT or FAULT. */
	int exempt = !apndp && (a == 0 || (rnw && a == 1));
	if (exempt)
		return SIM_ACK_OK;
	if (c->ctrlstat & SIM_CS_STICKY)
		return SIM_ACK_FAULT;
	if ((apndp || (rnw && a == 3)) && c->fault_wait) {
		c->fault_wait--;
		return SIM_ACK_WAIT;
	}
	if (apndp) {
		/* The debug power domain must be up for any AP access. */
		if (!(c->ctrlstat & SIM_CS_CDBGPWRUPACK))
			return SIM_ACK_FAULT;
		return sim_ap_check(c, c->select >> 24, (c->select & 0xF0u) | (a << 2), rnw);
	}
	return SIM_ACK_OK;
}

static void header_done(struct sim_chip *c)
{
	uint32_t h = c->sh;
	unsigned apndp = (h >> 1) & 1u, rnw = (h >> 2) & 1u, a = (h >> 3) & 3u;
	int valid = !(h & 0x40u) && (h & 0x80u) && parity32((h >> 1) & 0xFu) == ((h >> 5) & 1u);

	if (!valid) {
		if (c->postw) {
			/* A data phase after WAIT/FAULT (see the top of the file). */
			c->st = ST_SKIP;
			return;
		}
		if (h == 0xFFu)
			c->perr_ff++;  /* maybe part of a line reset: decided later */
		else
			c->cnt.protocol_errors++;
		c->st = ST_IDLE;
		return;
	}
	c->postw = 0;
	if (c->cfg.bench_dir && c->xfers - c->bench_xfers >= 4096u)
		sim_bench_poll(c);
	if (c->absent || c->lost || c->dead) {
		c->st = ST_IDLE;
		return;
	}
	c->req = (uint8_t)h;
	c->xfers++;
	sim_now(c);
	sim_core_catch_up(c);  /* the core runs up to now before the access */
	unsigned ack = decide_ack(c, apndp, rnw, a);
	c->ack = (uint8_t)ack;
	if (ack == SIM_ACK_OK) {
		if (rnw) {
			uint32_t d;
			if (!apndp) {
				d = dp_read(c, a);
				c->cnt.dp_reads++;
			} else {
				d = c->rdbuff;
				c->rdbuff = sim_ap_read(c, c->select >> 24, (c->select & 0xF0u) | (a << 2));
				c->ctrlstat |= SIM_CS_READOK;
				c->cnt.ap_reads++;
			}
			c->last_read = d;
			c->out = d | ((uint64_t)parity32(d) << 32);
			c->st = ST_READ;
		} else {
			c->st = ST_WRITE;
		}
	} else {
		if (ack == SIM_ACK_WAIT) {
			c->cnt.acks_wait++;
			if (c->ctrlstat & SIM_CS_ORUNDETECT)
				c->ctrlstat |= SIM_CS_STICKYORUN;
		} else {
			c->cnt.acks_fault++;
		}
		if (rnw && (ack == SIM_ACK_WAIT || ack == SIM_ACK_FAULT))
			c->ctrlstat &= ~SIM_CS_READOK;
		c->st = ST_WF;
	}
}

static void write_done(struct sim_chip *c, unsigned par)
{
	uint32_t v = c->sh;
	unsigned apndp = (c->req >> 1) & 1u, a = (c->req >> 3) & 3u;

	if (parity32(v) != par) {
		c->ctrlstat |= SIM_CS_WDATAERR;
		c->cnt.wdata_errors++;
		return;
	}
	sim_now(c);
	sim_core_catch_up(c);
	if (!apndp) {
		dp_write(c, a, v);
		c->cnt.dp_writes++;
	} else {
		sim_ap_write(c, c->select >> 24, (c->select & 0xF0u) | (a << 2), v);
		c->cnt.ap_writes++;
	}
}

/* One rising edge of SWCLK. lvl is the level the target samples, hd
 * whether the host drives it. The per-edge work is a switch on a small
 * state; everything heavier happens once per transaction. */
static inline void rise(struct sim_chip *c, unsigned lvl, unsigned hd)
{
	c->cnt.cycles++;
	c->t_ns += c->period_ns;
	if (__builtin_expect(c->cnt.cycles >= c->next_event, 0))
		lvl = on_event(c, lvl, hd);
	if (!c->tdrive) {
		if (lvl) {
			if (++c->ones == LINE_RESET_ONES) {
				line_reset(c);
				return;
			}
		} else {
			if (c->ones >= LINE_RESET_ONES) {
				/* end of a line reset: watch for JTAG-to-SWD */
				c->jts_bits = 0;
				c->jts_val = 0;
				c->jts_perr = c->cnt.protocol_errors;
			} else if (c->perr_ff) {
				c->cnt.protocol_errors += c->perr_ff;
				c->perr_ff = 0;
			}
			c->ones = 0;
		}
	}
	if (c->jts_bits < JTS_OFF) {
		if (c->jts_bits < 16)
			c->jts_val |= lvl << c->jts_bits;
		if (++c->jts_bits == 16 && c->jts_val == 0xE73Cu) {
			/* SWD-to-JTAG: the DP leaves SWD until the next line reset */
			c->cnt.protocol_errors = c->jts_perr;
			c->perr_ff = 0;
			c->st = ST_DESEL;
			c->tdrive = 0;
		}
	}
	c->pos++;
	switch (c->st) {
	case ST_IDLE:
		if (hd && lvl && c->ones < LINE_RESET_ONES) {
			c->st = ST_HDR;
			c->pos = 1;
			c->sh = 1;
		}
		if (c->postw)
			c->postw--;
		break;
	case ST_HDR:
		c->sh |= lvl << (c->pos - 1);
		if (c->postw)
			c->postw--;
		if (c->pos == 8)
			header_done(c);
		break;
	case ST_READ:
		if (c->pos <= 11) {
			c->tdrive = 1;
			c->tlevel = (uint8_t)((SIM_ACK_OK >> (c->pos - 9)) & 1u);
		} else if (c->pos <= 44) {
			c->tlevel = (uint8_t)((c->out >> (c->pos - 12)) & 1u);
		} else if (c->pos == 45) {
			c->tdrive = 0;
		} else {
			c->st = ST_IDLE;
		}
		break;
	case ST_WRITE:
		if (c->pos <= 11) {
			c->tdrive = 1;
			c->tlevel = (uint8_t)((SIM_ACK_OK >> (c->pos - 9)) & 1u);
		} else if (c->pos == 12) {
			c->tdrive = 0;
		} else if (c->pos == 13) {
			c->sh = 0;
		} else if (c->pos <= 45) {
			c->sh |= lvl << (c->pos - 14);
		} else {
			c->st = ST_IDLE;
			write_done(c, lvl);
		}
		break;
	case ST_WF:
		if (c->pos <= 11) {
			c->tdrive = 1;
			c->tlevel = (uint8_t)((c->ack >> (c->pos - 9)) & 1u);
		} else if (c->pos == 12) {
			c->tdrive = 0;
		} else {
			/* pos 13: turnaround done */
			if (c->ctrlstat & SIM_CS_ORUNDETECT) {
				c->st = ST_SKIP;
				c->postw = 33;
			} else {
				c->st = ST_IDLE;
				c->postw = (c->req & 4u) ? 0 : 33;
			}
		}
		break;
	case ST_DESEL:
		break;
	default: /* ST_SKIP */
		if (c->postw)
			c->postw--;
		if (!c->postw)
			c->st = ST_IDLE;
		break;
	}
}

static inline unsigned host_view(const struct sim_chip *c)
{
	unsigned l = c->tdrive ? c->tlevel : 1u;
	if (__builtin_expect(c->flip_at == c->cnt.cycles + 1, 0))
		l ^= 1u;
	return l;
}

/* On a rising edge the target samples the level SWDIO had before the edge
 * (setup time): a call that raises SWCLK and changes SWDIO at once clocks
 * the old level in, and the new one is on the line for the next cycle. */
void sim_wire(struct sim_chip *c, int swclk, int swdio, int host_drives)
{
	if (swclk && !c->clk) {
		unsigned lvl = c->hdrive ? c->hlevel : (c->tdrive ? c->tlevel : 1u);
		rise(c, lvl, c->hdrive);
	}
	c->hdrive = (uint8_t)(host_drives != 0);
	c->hlevel = (uint8_t)(swdio != 0);
	c->clk = (uint8_t)(swclk != 0);
}

int sim_swdio(const struct sim_chip *c)
{
	if (c->hdrive)
		return c->hlevel;
	return (int)host_view(c);
}

void sim_seq_out(struct sim_chip *c, uint32_t bits, unsigned n)
{
	if (n > 32)
		n = 32;
	for (unsigned i = 0; i < n; i++)
		rise(c, (bits >> i) & 1u, 1);
	c->hdrive = 1;
	c->hlevel = n ? (uint8_t)((bits >> (n - 1)) & 1u) : c->hlevel;
	c->clk = 1;
}

uint32_t sim_seq_in(struct sim_chip *c, unsigned n)
{
	uint32_t v = 0;
	if (n > 32)
		n = 32;
	c->hdrive = 0;
	for (unsigned i = 0; i < n; i++) {
		v |= host_view(c) << i;
		rise(c, c->tdrive ? c->tlevel : 1u, 0);
	}
	c->clk = 1;
	return v;
}

/* ---- counters and fault injection ---- */

const struct sim_counters *sim_counters(const struct sim_chip *c)
{
	return &c->cnt;
}

void sim_counters_reset(struct sim_chip *c)
{
	/* flip/lose events are kept as absolute cycle numbers: rebase them */
	uint64_t cy = c->cnt.cycles;
	if (c->flip_at)
		c->flip_at = c->flip_at > cy ? c->flip_at - cy : 1;
	if (c->lose_at)
		c->lose_at = c->lose_at > cy ? c->lose_at - cy : 1;
	memset(&c->cnt, 0, sizeof c->cnt);
	recompute_next_event(c);
	c->jts_perr = 0;
	c->perr_ff = 0;
}

void sim_fault_wait(struct sim_chip *c, unsigned n)
{
	c->fault_wait = n;
}

/* Counts requests that get an ACK (any), so DPIDR reads count too. */
void sim_fault_fault_at(struct sim_chip *c, uint64_t nth)
{
	c->fault_at_xfer = nth ? c->xfers + nth : 0;
}

/* Cycle n from now is the one whose rising edge is the nth from now. On a
 * target-driven or undriven cycle the host samples the inverted level; on a
 * host-driven cycle the target samples the inverted level (a glitch on the
 * wire in either direction). */
void sim_fault_flip_cycle(struct sim_chip *c, uint64_t nth)
{
	c->flip_at = nth ? c->cnt.cycles + nth : 0;
	recompute_next_event(c);
}

void sim_fault_absent(struct sim_chip *c, int absent)
{
	c->absent = absent != 0;
	if (c->absent) {
		c->tdrive = 0;
		if (c->st != ST_HDR)
			c->st = ST_IDLE;
	}
}

void sim_fault_lose_after(struct sim_chip *c, uint64_t cycles)
{
	c->lose_at = cycles ? c->cnt.cycles + cycles : 0;
	if (!cycles)
		c->lost = 0;
	recompute_next_event(c);
}
