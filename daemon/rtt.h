// SPDX-License-Identifier: GPL-2.0-or-later
/* rtt: the post-flash self-test, read from SEGGER RTT in target RAM.
 *
 * The firmware keeps a control block in RAM: "SEGGER RTT" (16 bytes, NUL
 * padded), MaxNumUpBuffers, MaxNumDownBuffers, then the up buffers, 24
 * bytes each: sName, pBuffer, SizeOfBuffer, WrOff, RdOff, Flags (SEGGER
 * RTT, SEGGER_RTT.h). The host finds the block by its id, reads up buffer
 * 0 from RdOff to WrOff and writes RdOff back, as J-Link does.
 *
 * rtt_selftest() reads lines until one contains st->pass (PASS), one
 * contains st->fail (FAIL: SF_E_VERIFY naming the line) or st->timeout_ms
 * of the probe's clock passed (SF_E_TIMEOUT saying whether a control
 * block was found at all). The firmware must already be running. */
#ifndef DAEMON_RTT_H
#define DAEMON_RTT_H

#include <stddef.h>

#include "../common/err.h"
#include "../nrf52/nrf52.h"
#include "recipe.h"

int rtt_selftest(struct nrf52 *n, const struct swd_clock *clock, const struct recipe_selftest *st,
		 char *line, size_t line_len, struct sf_err *err);

#endif
