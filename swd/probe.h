// SPDX-License-Identifier: GPL-2.0-or-later
/* swd_probe: turn a probe spec into a DAP.
 *
 *   sim[:part=nrf52840,rev=legacy|hardened,locked=0|1,state=PATH,period_ns=N]
 *   gpiod[:chip=auto,swclk=25,swdio=24,nreset=18,max_hz=N]
 *   stlink[:serial=HEX,speed_khz=N]   (no serial: the only one attached)
 *
 * A bit-bang probe is pins driver -> SWD link -> DAP; an ST-Link implements
 * the DAP directly. The probe owns the DAP (with its capabilities) and the
 * clock. */
#ifndef SWD_PROBE_H
#define SWD_PROBE_H

#include "dap.h"
#include "../common/err.h"

struct sim_chip;
struct swd_link;
struct swd_probe;

/* "sim", "gpiod", "stlink". */
const char *swd_probe_kind(const struct swd_probe *probe);
/* Human-readable: what and where ("gpiod v1 /dev/gpiochip0 SWCLK=25 ..."). */
const char *swd_probe_desc(const struct swd_probe *probe);
/* The DAP seam; valid until swd_probe_close(). Its caps say what this
 * probe can do; a test or benchmark may clear bits to play a lesser probe
 * (never set them). */
struct dap *swd_probe_dap(struct swd_probe *probe);

/* The probe's clock (simulated time for "sim", the pins' monotonic clock
 * for bit-bang probes); valid until swd_probe_close(). The engine measures
 * its deadlines and sleeps with it. */
const struct swd_clock *swd_probe_clock(struct swd_probe *probe);

/* Counters of a probe, whatever its kind, as its DAP reports them. A
 * counter is published only when its bit is set in valid: a USB probe
 * cannot count wire WAITs or line resets, and a zero it never measured
 * must not look like a measurement. */
enum swd_probe_stat {
	SWD_STAT_TRANSFERS = DAP_STAT_TRANSFERS,             /* SWD transfers on the wire */
	SWD_STAT_WAITS = DAP_STAT_WAITS,                     /* WAIT acknowledges */
	SWD_STAT_FAULTS = DAP_STAT_FAULTS,                   /* FAULT acknowledges */
	SWD_STAT_PROTOCOL_ERRORS = DAP_STAT_PROTOCOL_ERRORS, /* no/bad ACK, parity */
	SWD_STAT_LINE_RESETS = DAP_STAT_LINE_RESETS,
	SWD_STAT_COMMANDS = DAP_STAT_COMMANDS,               /* transport commands (USB) */
	SWD_STAT_RETRIES = DAP_STAT_RETRIES,                 /* transport commands repeated */
};

struct swd_probe_stats {
	unsigned valid; /* enum swd_probe_stat bits */
	uint64_t transfers, waits, faults, protocol_errors, line_resets;
	uint64_t commands, retries;
};

/* Cumulative since the probe was opened. */
void swd_probe_stats(const struct swd_probe *probe, struct swd_probe_stats *st);

/* What this machine offers, one row a probe kind (for `swdflash probes`):
 * available or the reason it is not, without opening anything for good. */
struct swd_probe_avail {
	const char *kind;     /* "sim", "gpiod", "gpiomem", "stlink" */
	const char *spec;     /* the spec with its defaults */
	int available;
	char detail[320];     /* where (available) or why not */
};
#define SWD_PROBE_KINDS 4
void swd_probe_list(struct swd_probe_avail out[SWD_PROBE_KINDS]);

int swd_probe_open(const char *spec, struct swd_probe **out, struct sf_err *err);
void swd_probe_close(struct swd_probe *probe);

/* What a USB probe (an ST-Link) told us when it was opened; NULL for any
 * other kind. */
struct swd_probe_usb {
	int present;
	char model[40];      /* "ST-Link/V2" */
	char firmware[32];   /* "V2J37S7" */
	char serial[64];
	unsigned khz;        /* SWD clock actually set */
	int voltage_mv;      /* measured target voltage, -1 when the firmware cannot */
	char warning[320];   /* 0 V, speed rounded, ...: "" when nothing */
};
const struct swd_probe_usb *swd_probe_usb(const struct swd_probe *probe);

/* The attached ST-Links, one "model firmware serial" entry each, for
 * listings; *available = at least one. */
void swd_probe_list_stlinks(char *out, size_t outsz, int *available);

/* Hot-plug: fn(user), on another thread, whenever a probe this spec could
 * open may have come or gone (an ST-Link on USB, through libusb hot-plug).
 * NULL when the kind has no such events or the platform cannot tell: then
 * open again on the next refresh or job. */
struct swd_probe_watch;
struct swd_probe_watch *swd_probe_watch_new(const char *spec, void (*fn)(void *user),
					    void *user);
void swd_probe_watch_free(struct swd_probe_watch *w);

/* Test and benchmark accessors: the simulated chip of a "sim" probe and the
 * SWD link of a bit-bang probe (NULL otherwise). Product code never uses
 * them. */
struct sim_chip *swd_probe_sim(struct swd_probe *probe);
struct swd_link *swd_probe_link(struct swd_probe *probe);

#endif
