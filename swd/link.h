// SPDX-License-Identifier: GPL-2.0-or-later
/* swd_link: SWD wire transactions over a pins driver.
 *
 * Knows requests, ACKs, parity, turnaround, line reset and JTAG-to-SWD; retries
 * WAIT until a deadline, recovers from FAULT (reads CTRL/STAT, clears the
 * sticky flags through ABORT and names them), and from protocol errors by a
 * line reset. Knows nothing of what an AP is for. */
#ifndef SWD_LINK_H
#define SWD_LINK_H

#include <stdint.h>

#include "adiv5.h"
#include "pins.h"
#include "../common/err.h"

#define SWD_ACK_OK 0x1U
#define SWD_ACK_WAIT 0x2U
#define SWD_ACK_FAULT 0x4U

struct swd_link;

/* Takes ownership of pins (freed with the link). */
struct swd_link *swd_link_new(const struct swd_pins_ops *ops, void *pins_ctx);
void swd_link_free(struct swd_link *l);
struct swd_pins *swd_link_pins(struct swd_link *l);

/* Give up on WAIT answers after this long in the pins' time base. */
void swd_link_set_wait_timeout(struct swd_link *l, uint32_t us);

/* >= 50 cycles high then idle cycles low. */
void swd_link_line_reset(struct swd_link *l);
/* JTAG-to-SWD select sequence, including the line resets around it. */
void swd_link_jtag_to_swd(struct swd_link *l);
/* Clock n idle (low) cycles: lets the last write complete before the
 * clock stops (ADIv5: at least 8). */
void swd_link_idle(struct swd_link *l, unsigned n);

/* One transfer, with WAIT retries and FAULT/protocol recovery.
 * ap: 0 = DP, 1 = AP; rnw: 1 = read; addr: 0x0/0x4/0x8/0xC. */
int swd_link_xfer(struct swd_link *l, int ap, int rnw, unsigned addr, uint32_t *data,
		  struct sf_err *err);
/* One transfer without any retry or recovery: returns the raw ACK
 * (SWD_ACK_*, or 0x7 when nothing answered) and sets *parity_ok for reads.
 * For tests and for callers that handle WAIT themselves. */
unsigned swd_link_xfer_raw(struct swd_link *l, int ap, int rnw, unsigned addr,
			   uint32_t *data, int *parity_ok);

/* The pins driver's sticky error (a failed GPIO call, with the call and
 * errno in err), 0 when it is fine. swd_link_xfer() checks it after every
 * transfer; callers of swd_link_xfer_raw() and of the pin ops must too. */
int swd_link_status(struct swd_link *l, struct sf_err *err);

/* Called after every wire transfer with what was sent and answered (data
 * is the value read or written; meaningless unless ack is OK). */
typedef void (*swd_link_trace_fn)(void *user, int ap, int rnw, unsigned addr, unsigned ack,
				  uint32_t data);
void swd_link_set_trace(struct swd_link *l, swd_link_trace_fn fn, void *user);

void swd_link_delay_us(struct swd_link *l, uint32_t us);
uint64_t swd_link_now_us(struct swd_link *l);
/* What the link counted on the wire since it was created. */
struct swd_link_stats {
	uint64_t transfers, waits, faults, protocol_errors, line_resets;
};
void swd_link_stats(const struct swd_link *l, struct swd_link_stats *st);

/* Request byte as sent on the wire (LSB first). */
uint8_t swd_link_request(int ap, int rnw, unsigned addr);

#endif
