// SPDX-License-Identifier: GPL-2.0-or-later
/* stlink_usb: ST-Link USB transport over libusb-1.0 (see stlink_usb.h).
 *
 * Identity and endpoints: ../shared/STLINK.md 1.1-1.3 (OpenOCD 0.12
 * stlink_usb.c, stlink-tools 1.7.0 usb.c, pyOCD USB_PID_EP_MAP). Each
 * open device has its own libusb context: no global state, and a probe
 * that is closed takes everything with it. */
#include "stlink_usb.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libusb.h>

/* The debug interface is always interface 0 (STLINK.md 1.2). */
#define STLINK_USB_IFACE 0
/* A batch may hold this many transfers (a 1 KiB write with its status is 4). */
#define STLINK_USB_MAX_IO 64
/* After a cancel, how long libusb may take to hand the transfers back. */
#define STLINK_USB_CANCEL_MS 1000U

static const struct stlink_model models[] = {
	{ 0x3748, STLINK_HW_V2, "ST-Link/V2", 0x02, 0x81 },
	{ 0x374A, STLINK_HW_V21, "ST-Link/V2-1 (32L audio)", 0x01, 0x81 },
	{ 0x374B, STLINK_HW_V21, "ST-Link/V2-1", 0x01, 0x81 },
	{ 0x3752, STLINK_HW_V21, "ST-Link/V2-1 (no MSD)", 0x01, 0x81 },
	{ 0x374E, STLINK_HW_V3, "STLINK-V3E", 0x01, 0x81 },
	{ 0x374F, STLINK_HW_V3, "STLINK-V3S", 0x01, 0x81 },
	{ 0x3753, STLINK_HW_V3, "STLINK-V3 (2 VCP)", 0x01, 0x81 },
	{ 0x3754, STLINK_HW_V3, "STLINK-V3E (no MSD)", 0x01, 0x81 },
};

const struct stlink_model *stlink_model_of(uint16_t pid)
{
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (models[i].pid == pid)
			return &models[i];
	return NULL;
}

struct stlink_usb {
	libusb_context *usb;
	libusb_device_handle *h;
	uint8_t ep_out, ep_in;
	int gone; /* the device went away: every later call says so at once */
};

static int usb_code(int r)
{
	return r == LIBUSB_ERROR_NO_DEVICE ? SF_E_DISCONNECTED :
	       r == LIBUSB_ERROR_TIMEOUT ? SF_E_TIMEOUT :
	       r == LIBUSB_ERROR_BUSY ? SF_E_BUSY : SF_E_IO;
}

/* ---- the serial number (STLINK.md 1.3) ---- */

/* Old V2 firmware puts the 12 raw UID bytes in the descriptor, one per
 * UTF-16 unit (bLength 26); OpenOCD and stlink-tools print them as 24 hex
 * digits, and so do we. Normal firmware: 24 characters (bLength 50). */
static int read_serial(libusb_device_handle *h, uint8_t index, char *out, size_t outsz,
		       int *raw)
{
	unsigned char buf[256];
	int r, langid;

	out[0] = '\0';
	*raw = 0;
	if (!index)
		return 0;
	r = libusb_get_string_descriptor(h, 0, 0, buf, sizeof(buf));
	if (r < 4)
		return r < 0 ? r : LIBUSB_ERROR_IO;
	langid = buf[2] | buf[3] << 8;
	r = libusb_get_string_descriptor(h, index, (uint16_t)langid, buf, sizeof(buf));
	if (r < 2)
		return r < 0 ? r : LIBUSB_ERROR_IO;
	if (buf[0] < r)
		r = buf[0];
	size_t units = (size_t)(r - 2) / 2, o = 0;
	if (r == 26) {
		*raw = 1;
		for (size_t i = 0; i < units && o + 3 <= outsz; i++, o += 2)
			snprintf(out + o, 3, "%02X", buf[2 + 2 * i]);
		return 0;
	}
	for (size_t i = 0; i < units && o + 1 < outsz; i++) {
		unsigned c = buf[2 + 2 * i] | buf[3 + 2 * i] << 8;
		out[o++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
	}
	out[o] = '\0';
	return 0;
}

static void describe(libusb_device *dev, const struct libusb_device_descriptor *dd,
		     const struct stlink_model *m, struct stlink_found *f)
{
	libusb_device_handle *h = NULL;
	int r;

	memset(f, 0, sizeof(*f));
	f->model = m;
	f->bus = libusb_get_bus_number(dev);
	f->addr = libusb_get_device_address(dev);
	r = libusb_open(dev, &h);
	if (r) {
		snprintf(f->why, sizeof(f->why), "cannot open %03u/%03u: %s%s", f->bus, f->addr,
			 libusb_strerror(r),
			 r == LIBUSB_ERROR_ACCESS ? " (install the udev rule "
			 "60-swdflashd-stlink.rules and join group plugdev)" : "");
		return;
	}
	r = read_serial(h, dd->iSerialNumber, f->serial, sizeof(f->serial), &f->serial_raw);
	if (r)
		snprintf(f->why, sizeof(f->why), "reading the serial number: %s",
			 libusb_strerror(r));
	else
		f->open_ok = 1;
	libusb_close(h);
}

/* Walk the bus; call back for each ST-Link (stop when it returns non-zero). */
static int walk(libusb_context *usb, int (*fn)(void *u, libusb_device *dev,
					       const struct libusb_device_descriptor *dd,
					       const struct stlink_model *m), void *u)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(usb, &list);
	int stop = 0;

	if (n < 0)
		return (int)n;
	for (ssize_t i = 0; i < n && !stop; i++) {
		struct libusb_device_descriptor dd;
		const struct stlink_model *m;

		if (libusb_get_device_descriptor(list[i], &dd) || dd.idVendor != STLINK_VID)
			continue;
		m = stlink_model_of(dd.idProduct);
		if (m)
			stop = fn(u, list[i], &dd, m);
	}
	libusb_free_device_list(list, 1);
	return 0;
}

struct list_ctx {
	struct stlink_found *out;
	int max, n;
};

static int list_one(void *u, libusb_device *dev, const struct libusb_device_descriptor *dd,
		    const struct stlink_model *m)
{
	struct list_ctx *c = u;

	if (c->n < c->max)
		describe(dev, dd, m, &c->out[c->n]);
	c->n++;
	return 0;
}

int stlink_usb_list(struct stlink_found *out, int max, struct sf_err *err)
{
	libusb_context *usb = NULL;
	struct list_ctx c = { out, max, 0 };
	int r = libusb_init(&usb);

	if (r)
		return sf_err_set(err, SF_E_IO, "libusb_init: %s", libusb_strerror(r));
	r = walk(usb, list_one, &c);
	libusb_exit(usb);
	if (r)
		return sf_err_set(err, SF_E_IO, "listing USB devices: %s", libusb_strerror(r));
	return c.n < max ? c.n : max;
}

/* ---- transfers ---- */

struct batch {
	int pending;
	int status; /* the first failure (libusb_transfer_status), 0 for none */
};

static void LIBUSB_CALL done_cb(struct libusb_transfer *t)
{
	struct batch *b = t->user_data;

	if (t->status != LIBUSB_TRANSFER_COMPLETED && !b->status) {
		b->status = (int)t->status;
	}
	b->pending--;
}

static int xfer_code(int status)
{
	switch (status) {
	case LIBUSB_TRANSFER_NO_DEVICE: return SF_E_DISCONNECTED;
	case LIBUSB_TRANSFER_TIMED_OUT: return SF_E_TIMEOUT;
	default: return SF_E_IO;
	}
}

static const char *xfer_name(int status)
{
	switch (status) {
	case LIBUSB_TRANSFER_ERROR: return "transfer error";
	case LIBUSB_TRANSFER_TIMED_OUT: return "timed out";
	case LIBUSB_TRANSFER_CANCELLED: return "cancelled";
	case LIBUSB_TRANSFER_STALL: return "endpoint stalled";
	case LIBUSB_TRANSFER_NO_DEVICE: return "device unplugged";
	case LIBUSB_TRANSFER_OVERFLOW: return "the device sent more than asked";
	}
	return "unknown transfer status";
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static int usb_run(void *ctx, struct stlink_io *io, size_t n, unsigned timeout_ms,
		   struct sf_err *err)
{
	struct stlink_usb *u = ctx;
	struct libusb_transfer *t[STLINK_USB_MAX_IO];
	struct batch b = { 0, 0 };
	size_t made = 0;
	int rc = 0;

	if (u->gone)
		return sf_err_set(err, SF_E_DISCONNECTED, "the ST-Link was unplugged");
	if (n > STLINK_USB_MAX_IO)
		return sf_err_set(err, SF_E_ARG, "batch of %zu USB transfers (at most %d)", n,
				   STLINK_USB_MAX_IO);
	for (; made < n; made++) {
		struct stlink_io *x = &io[made];

		t[made] = libusb_alloc_transfer(0);
		if (!t[made]) {
			rc = sf_err_set(err, SF_E_NOMEM, "out of memory");
			break;
		}
		x->got = 0;
		libusb_fill_bulk_transfer(t[made], u->h, x->out ? u->ep_out : u->ep_in,
					  x->out ? (unsigned char *)(uintptr_t)x->out : x->in,
					  (int)x->len, done_cb, &b, timeout_ms);
		int r = libusb_submit_transfer(t[made]);
		if (r) {
			libusb_free_transfer(t[made]);
			rc = sf_err_set(err, usb_code(r), "submitting a USB transfer: %s",
					 libusb_strerror(r));
			break;
		}
		b.pending++;
	}
	/* libusb times each transfer out itself; the outer deadline only
	 * guards against a transfer that never comes back. */
	uint64_t deadline = mono_ms() + timeout_ms + STLINK_USB_CANCEL_MS, cancelled = 0;
	while (b.pending > 0) {
		struct timeval tv = { 0, 100000 };
		int r = libusb_handle_events_timeout_completed(u->usb, &tv, NULL);

		if ((r && r != LIBUSB_ERROR_INTERRUPTED) || rc || b.status || mono_ms() > deadline) {
			if (!cancelled) {
				for (size_t i = 0; i < made; i++)
					libusb_cancel_transfer(t[i]);
				cancelled = mono_ms();
				if (r == LIBUSB_ERROR_NO_DEVICE && !b.status)
					b.status = LIBUSB_TRANSFER_NO_DEVICE;
			} else if (mono_ms() > cancelled + STLINK_USB_CANCEL_MS) {
				/* libusb still owns them: leak rather than free in use */
				u->gone = 1;
				return sf_err_set(err, SF_E_IO, "USB transfers not returned after "
						   "cancel; the ST-Link is given up");
			}
		}
	}
	for (size_t i = 0; i < made; i++) {
		if (io[i].in)
			io[i].got = (size_t)t[i]->actual_length;
		else if (!b.status && (size_t)t[i]->actual_length != io[i].len && !rc)
			rc = sf_err_set(err, SF_E_IO, "USB OUT transfer sent %d of %zu bytes",
					 t[i]->actual_length, io[i].len);
		libusb_free_transfer(t[i]);
	}
	if (!rc && b.status) {
		if (b.status == LIBUSB_TRANSFER_NO_DEVICE)
			u->gone = 1;
		rc = sf_err_set(err, xfer_code(b.status), "USB bulk transfer: %s",
				 xfer_name(b.status));
		if (rc == SF_E_DISCONNECTED)
			sf_err_set(err, rc, "the ST-Link was unplugged (USB: device gone)");
	}
	return rc;
}

static void usb_free(void *ctx)
{
	struct stlink_usb *u = ctx;

	if (u->h) {
		if (!u->gone)
			libusb_release_interface(u->h, STLINK_USB_IFACE);
		libusb_close(u->h);
	}
	if (u->usb)
		libusb_exit(u->usb);
	free(u);
}

static const struct stlink_xport_ops usb_ops = {
	.run = usb_run,
	.free = usb_free,
};

struct pick_ctx {
	const char *serial;
	libusb_device *dev;
	struct stlink_found f;
	int n;
	char names[256];
};

static int pick_one(void *u, libusb_device *dev, const struct libusb_device_descriptor *dd,
		    const struct stlink_model *m)
{
	struct pick_ctx *c = u;
	struct stlink_found f;
	size_t l = strlen(c->names);

	describe(dev, dd, m, &f);
	if (c->serial && c->serial[0] && strcasecmp(f.serial, c->serial))
		return 0;
	c->n++;
	snprintf(c->names + l, sizeof(c->names) - l, "%s%s %s", l ? ", " : "", m->name,
		 f.open_ok ? f.serial : f.why);
	if (c->n == 1) {
		c->f = f;
		c->dev = libusb_ref_device(dev);
	}
	return 0;
}

int stlink_usb_open(const char *serial, struct stlink_xport *xp, struct stlink_found *found,
		    struct sf_err *err)
{
	struct stlink_usb *u = calloc(1, sizeof(*u));
	struct pick_ctx c;
	int r, rc = 0;

	if (!u)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	memset(&c, 0, sizeof(c));
	c.serial = serial;
	r = libusb_init(&u->usb);
	if (r) {
		free(u);
		return sf_err_set(err, SF_E_IO, "libusb_init: %s", libusb_strerror(r));
	}
	r = walk(u->usb, pick_one, &c);
	if (r)
		rc = sf_err_set(err, SF_E_IO, "listing USB devices: %s", libusb_strerror(r));
	else if (c.n == 0 && serial && serial[0])
		rc = sf_err_set(err, SF_E_NOTARGET, "no ST-Link with serial %s is attached "
				 "(`swdflash probes` lists what is)", serial);
	else if (c.n == 0)
		rc = sf_err_set(err, SF_E_NOTARGET, "no ST-Link is attached (looked for USB "
				 "0483:3748/374a/374b/3752/374e/374f/3753/3754)");
	else if (c.n > 1)
		rc = sf_err_set(err, SF_E_ARG, "%d ST-Links are attached (%s): choose one with "
				 "stlink:serial=...", c.n, c.names);
	else if (!c.f.open_ok)
		rc = sf_err_set(err, SF_E_IO, "%s: %s", c.f.model->name, c.f.why);
	if (!rc) {
		r = libusb_open(c.dev, &u->h);
		if (!r)
			r = libusb_claim_interface(u->h, STLINK_USB_IFACE);
		if (r)
			rc = sf_err_set(err, usb_code(r), "%s %s: claiming interface 0: %s%s",
					 c.f.model->name, c.f.serial, libusb_strerror(r),
					 r == LIBUSB_ERROR_BUSY ? " (another program, e.g. OpenOCD, "
					 "holds it)" : "");
	}
	if (c.dev)
		libusb_unref_device(c.dev);
	if (rc) {
		if (u->h)
			libusb_close(u->h);
		u->h = NULL;
		usb_free(u);
		return rc;
	}
	u->ep_out = c.f.model->ep_out;
	u->ep_in = c.f.model->ep_in;
	*found = c.f;
	xp->ops = &usb_ops;
	xp->ctx = u;
	return 0;
}

/* ---- hot-plug ---- */

struct stlink_usb_watch {
	libusb_context *usb;
	libusb_hotplug_callback_handle handle;
	pthread_t thread;
	int stop;
	void (*fn)(void *user);
	void *user;
};

static int LIBUSB_CALL watch_cb(libusb_context *ctx, libusb_device *dev,
				libusb_hotplug_event ev, void *arg)
{
	struct stlink_usb_watch *w = arg;
	struct libusb_device_descriptor dd;

	(void)ctx;
	(void)ev;
	if (!libusb_get_device_descriptor(dev, &dd) && stlink_model_of(dd.idProduct))
		w->fn(w->user);
	return 0; /* stay registered */
}

static void *watch_thread(void *arg)
{
	struct stlink_usb_watch *w = arg;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		struct timeval tv = { 0, 200000 }; /* bounds how long a stop waits */

		libusb_handle_events_timeout_completed(w->usb, &tv, &w->stop);
	}
	return NULL;
}

struct stlink_usb_watch *stlink_usb_watch_new(void (*fn)(void *user), void *user,
					      struct sf_err *err)
{
	struct stlink_usb_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	w->fn = fn;
	w->user = user;
	r = libusb_init(&w->usb);
	if (r) {
		sf_err_set(err, SF_E_IO, "libusb_init: %s", libusb_strerror(r));
		free(w);
		return NULL;
	}
	if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
		sf_err_set(err, SF_E_UNSUPPORTED, "this libusb has no hot-plug events");
		goto fail;
	}
	r = libusb_hotplug_register_callback(w->usb, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
					     LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0, STLINK_VID,
					     LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
					     watch_cb, w, &w->handle);
	if (r) {
		sf_err_set(err, SF_E_IO, "libusb hot-plug: %s", libusb_strerror(r));
		goto fail;
	}
	r = pthread_create(&w->thread, NULL, watch_thread, w);
	if (r) {
		sf_err_set(err, SF_E_IO, "hot-plug thread: %s", strerror(r));
		libusb_hotplug_deregister_callback(w->usb, w->handle);
		goto fail;
	}
	return w;
fail:
	libusb_exit(w->usb);
	free(w);
	return NULL;
}

void stlink_usb_watch_free(struct stlink_usb_watch *w)
{
	if (!w)
		return;
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	/* deregistering wakes the event loop */
	libusb_hotplug_deregister_callback(w->usb, w->handle);
	pthread_join(w->thread, NULL);
	libusb_exit(w->usb);
	free(w);
}
