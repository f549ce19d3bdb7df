// SPDX-License-Identifier: GPL-2.0-or-later
/* stlink_usb: the ST-Link's USB transport over libusb-1.0, and the list of
 * ST-Links attached to this machine.
 *
 * The protocol layer (stlink.c) sees only struct stlink_xport: a batch of
 * bulk transfers submitted together (commands pipeline: the dongle works
 * through them in order while later ones are already queued) and waited
 * for with one deadline. A test may put its own transport behind it. */
#ifndef SWD_STLINK_USB_H
#define SWD_STLINK_USB_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* One bulk transfer of a batch: OUT (out/len) or IN (in/len, got = what
 * arrived; a reply shorter than len is not an error here). */
struct stlink_io {
	const void *out;
	void *in;
	size_t len;
	size_t got;
};

struct stlink_xport_ops {
	/* Submit every transfer, in order, and wait for all of them (at most
	 * timeout_ms). SF_E_DISCONNECTED when the device went away,
	 * SF_E_TIMEOUT, SF_E_IO with the libusb message otherwise. */
	int (*run)(void *ctx, struct stlink_io *io, size_t n, unsigned timeout_ms,
		   struct sf_err *err);
	void (*free)(void *ctx);
};

struct stlink_xport {
	const struct stlink_xport_ops *ops;
	void *ctx;
};

/* USB identity (STLINK.md 1.1, 1.2): VID 0x0483. */
#define STLINK_VID 0x0483U

enum stlink_hw {
	STLINK_HW_V2 = 2,   /* 0x3748: OUT 0x02, full speed, 64-byte packets */
	STLINK_HW_V21 = 21, /* 0x374A, 0x374B, 0x3752: OUT 0x01, full speed */
	STLINK_HW_V3 = 3,   /* 0x374E, 0x374F, 0x3753, 0x3754: OUT 0x01, high speed, 512 */
};

struct stlink_model {
	uint16_t pid;
	enum stlink_hw hw;
	const char *name;   /* "ST-Link/V2" */
	uint8_t ep_out, ep_in;
};

/* The model of a PID, NULL when it is not an ST-Link we drive (the V1 and
 * the V3 boot loader are not). */
const struct stlink_model *stlink_model_of(uint16_t pid);

/* An attached ST-Link as the USB descriptors show it. */
struct stlink_found {
	const struct stlink_model *model;
	uint8_t bus, addr;
	char serial[64];  /* 24 hex digits; the old 12-raw-byte form is hexed */
	int serial_raw;   /* the descriptor held 12 raw bytes (old firmware) */
	int open_ok;      /* the serial could be read (the device could be opened) */
	char why[160];    /* when !open_ok: what failed ("permission denied: udev rule?") */
};

/* Every ST-Link on the bus (at most max); returns how many, or a negative
 * SF_E_* when libusb itself cannot start. */
int stlink_usb_list(struct stlink_found *out, int max, struct sf_err *err);

/* Open the ST-Link with this serial (NULL or "": the only one attached;
 * several is SF_E_ARG listing them, none is SF_E_NOTARGET). On success
 * *found describes it and *xp is its transport, interface 0 claimed. */
int stlink_usb_open(const char *serial, struct stlink_xport *xp, struct stlink_found *found,
		    struct sf_err *err);

/* Hot-plug: fn(user) runs (on a thread of its own) whenever an ST-Link
 * arrives or leaves, through libusb's hot-plug events. NULL (SF_E_UNSUPPORTED)
 * where libusb has none: callers then look again on their own schedule. */
struct stlink_usb_watch;
struct stlink_usb_watch *stlink_usb_watch_new(void (*fn)(void *user), void *user,
					      struct sf_err *err);
void stlink_usb_watch_free(struct stlink_usb_watch *w);

#endif
