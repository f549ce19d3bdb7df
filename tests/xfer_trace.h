// SPDX-License-Identifier: GPL-2.0-or-later
/* xfer_trace: a swd_link trace hook that writes each wire transfer in the
 * words sigrok's SWD decoder uses ("R AP4 OK 0x12345678"), so a test can
 * compare what the link issued with what tests/sigrok_swd.py decoded. */
#ifndef TESTS_XFER_TRACE_H
#define TESTS_XFER_TRACE_H

#include <stdint.h>
#include <stdio.h>

/* user is the FILE * to write to. */
static inline void xt_xfer(void *user, int ap, int rnw, unsigned addr, unsigned ack,
			   uint32_t data)
{
	static const char *const dp_r[] = { "IDCODE", "R CTRL/STAT", "RESEND", "RDBUFF" };
	static const char *const dp_w[] = { "W ABORT", "W CTRL/STAT", "W SELECT", "W RESERVED" };
	FILE *f = user;

	if (ap)
		fprintf(f, "%c AP%x", rnw ? 'R' : 'W', addr & 0xCU);
	else
		fprintf(f, "%s", (rnw ? dp_r : dp_w)[(addr >> 2) & 3U]);
	fprintf(f, " %s", ack == 1 ? "OK" : ack == 2 ? "WAIT" : ack == 4 ? "FAULT" : "NOREPLY");
	if (ack == 1)
		fprintf(f, " 0x%08x", data);
	fputc('\n', f);
}

#endif
