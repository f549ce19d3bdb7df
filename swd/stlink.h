// SPDX-License-Identifier: GPL-2.0-or-later
/* stlink: the ST-Link V2 / V2-1 / V3 command protocol, implementing the DAP
 * seam (dap.h) directly: the dongle's own microcontroller does the SWD bits.
 *
 * Facts: ../shared/STLINK.md section 2 (opcodes, replies, firmware
 * thresholds, as OpenOCD 0.12 stlink_usb.c, stlink-tools 1.7.0 and pyOCD
 * use them). What the firmware cannot do is not in dap.caps, and dap.note
 * says which firmware version adds it. */
#ifndef SWD_STLINK_H
#define SWD_STLINK_H

#include "dap.h"
#include "stlink_usb.h"

/* What the dongle told us at open. */
struct stlink_info {
	const char *model;     /* "ST-Link/V2" */
	uint16_t pid;
	char firmware[32];     /* "V2J37S7", "V3J7M3B5S1" (OpenOCD's spelling) */
	unsigned hw, jtag, swim, msd, bridge; /* version fields */
	char serial[64];
	int serial_raw;        /* old firmware: 12 raw bytes, shown hexed */
	unsigned khz;          /* the SWD clock actually set */
	int khz_fixed;         /* firmware too old to set it (V2 < J22): its default */
	int voltage_mv;        /* measured target voltage, -1 when not measurable */
	char warning[320];     /* what the user should know (0 V, speed rounded), or "" */
};

/* Open the protocol on a transport (which it then owns, also on failure):
 * version, leave DFU/SWIM/debug modes, voltage, SWD clock (speed_khz 0 =
 * the fastest the dongle offers, at most 4000), enter SWD. Fills *dap
 * (ops, ctx, caps, note) and *info. model may be NULL (from GET_VERSION's
 * PID). */
int stlink_open(struct stlink_xport *xp, const struct stlink_model *model, const char *serial,
		int serial_raw, unsigned speed_khz, struct dap *dap, struct stlink_info *info,
		struct sf_err *err);

/* The version only (GET_VERSION, GET_VERSION_EX), for a listing: nothing
 * is entered or reset. Frees the transport. */
int stlink_query(struct stlink_xport *xp, struct stlink_info *info, struct sf_err *err);

/* Monotonic clock for the probe (the dongle keeps its own SWD clock). */
extern const struct swd_clock_ops stlink_clock_ops;

#endif
