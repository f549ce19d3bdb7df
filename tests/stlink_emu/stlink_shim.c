// SPDX-License-Identifier: GPL-2.0-or-later
/* stlink_shim: presents the emulated ST-Link (stlink_emu.c) to the real,
 * unmodified libusb 1.0.26 (Debian's udev build) inside unmodified
 * programs, as an LD_PRELOAD library. Facts: ../shared/STLINK.md §5.
 *
 * The kernel here has no USB at all, so this library stands in for what
 * libusb asks of the kernel and of libudev:
 *   - the 21 udev_* functions libusb imports: one context, a monitor whose
 *     fd is an eventfd (semaphore mode: readable once per hotplug event
 *     waiting), an enumerator that lists the dongles plugged in (dongle K,
 *     from 1: syspath /sys/bus/usb/devices/1-K, sysname 1-K, devnode
 *     /dev/bus/usb/001/NNN, each with its own device number);
 *   - open()/__open_2() of the sysfs attributes libusb reads (busnum,
 *     devnum, speed, descriptors, bConfigurationValue): memfds with the
 *     content the kernel would give, ENOENT while unplugged;
 *   - open() of the devnode: an eventfd standing for the usbfs fd, and
 *     ioctl() on it: GET_CAPABILITIES, CLAIM/RELEASEINTERFACE,
 *     SETCONFIGURATION, SETINTERFACE, GETDRIVER (ENODATA: no driver),
 *     CLEAR_HALT, RESET, SUBMITURB (bulk and control), REAPURBNDELAY,
 *     DISCARDURB, CONTROL, GET_SPEED, CONNECTINFO;
 *   - poll readiness: usbfs raises POLLOUT when a completed URB waits. An
 *     eventfd is writable unless its counter is 0xFFFFFFFFFFFFFFFE, so the
 *     fd is made "not ready" by setting that value and "ready" by reading
 *     it back to 0; libusb's own poll() then behaves as with usbfs.
 * OpenOCD submits the IN URB of a command before the command itself (trap
 * 4): IN URBs wait in a queue until the dongle has a reply. A control
 * URB's actual_length excludes the setup packet (trap 2). libusb's hotplug
 * thread and the caller both come in here, so one (recursive) mutex guards
 * everything; recursive because sim/ opens its state file through the
 * interposed open().
 *
 * Environment:
 *   STLINK_EMU        the dongle (stlink_emu.h: "model=v2,fw=J37,..."), or
 *                     up to SHIM_MAX dongles separated by ';' (dongle K > 1
 *                     without serial= gets the default serial with its last
 *                     digit raised by K-1, so each has its own)
 *   STLINK_EMU_SIM    the chip on its wire, a sim spec ("part=nrf52840,
 *                     state=PATH"; default part=nrf52840), "none" = no target;
 *                     with several dongles one spec per dongle separated by
 *                     ';' (a missing one = a blank nRF52840 of its own)
 *   STLINK_EMU_STATS  write the counters as JSON to this file at exit
 *                     (dongle K > 1: to FILE.K)
 *   STLINK_EMU_TRACE  log every command (hex) and its status to this file
 *   STLINK_EMU_REPLUG_MS  after an unplug, plug back in after this long
 * The chip is created when a program first opens the device node, so a
 * process that only enumerates never takes the state file; flash and UICR
 * go from process to process through the state file, the dongle itself
 * starts fresh in every process (as if replugged).
 *
 * Out of reach: statically linked programs, raw syscalls, a libusb built
 * without udev (it would enumerate with opendir on /sys/bus/usb). A
 * program that uses libudev for something else gets only this fake. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/usbdevice_fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../sim/sim.h"
#include "stlink_emu.h"

#define SHIM_API __attribute__((visibility("default")))

#define SYSDIR "/sys/bus/usb/devices/"
#define BUSNUM 1
#define MAXFD 4096
#define NOT_READY 0xFFFFFFFFFFFFFFFEull
#define SHIM_MAX 3   /* dongles at most */
#define MAXEV 16     /* hotplug events queued at most */

struct urb_node {
	struct usbdevfs_urb *urb;
	struct urb_node *next;
};

struct devfd {
	struct urb_node *pending;   /* IN URBs waiting for a reply */
	struct urb_node *done;      /* completed, for REAPURBNDELAY */
	int gen;                    /* the plug generation it was opened in */
	int dg;                     /* which dongle */
};

/* One emulated dongle on the bus, with its own chip. */
struct dongle {
	struct stlink_emu_config cfg;
	int cfg_ok;
	char spec[512];             /* its STLINK_EMU part (serial added) */
	char simspec[512];          /* its STLINK_EMU_SIM part */
	struct stlink_emu *emu;     /* created on the first devnode open */
	int emu_tried;
	int plugged;
	int gen;
	unsigned devnum;
	char devnode[64];
	char sysname[8];            /* "1-K" */
	char syspath[48];
};

struct hp_event {
	char action[8];
	char devnode[64];
	char sysname[8];
};

static struct {
	pthread_mutex_t mu;
	int inited;
	struct dongle dg[SHIM_MAX];
	int n;                      /* dongles configured */
	unsigned next_devnum;       /* a replugged dongle gets a new number */
	struct devfd *fds[MAXFD];
	int fd_hi;                  /* above the highest device fd */
	int monitor_fd;             /* eventfd: hotplug events pending */
	struct hp_event ev[MAXEV];  /* for receive_device, oldest first */
	int nev;
	FILE *trace;
	uint64_t replug_ms;
} S = { .mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP, .monitor_fd = -1 };

#define REAL(name, ret, args)                                                       \
	static ret(*real_##name) args;                                              \
	static ret(*get_##name(void)) args                                          \
	{                                                                           \
		if (!real_##name)                                                   \
			*(void **)&real_##name = dlsym(RTLD_NEXT, #name);           \
		return real_##name;                                                 \
	}

REAL(open, int, (const char *, int, ...))
REAL(open64, int, (const char *, int, ...))
REAL(__open_2, int, (const char *, int))
REAL(__open64_2, int, (const char *, int))
REAL(close, int, (int))
REAL(ioctl, int, (int, unsigned long, ...))

/* ---- set-up ---- */

static int hexval(int c);

/* The k-th ';'-separated field of s (k from 0) into out; "" when missing. */
static void field(const char *s, int k, char *out, size_t outsz)
{
	const char *e;

	out[0] = '\0';
	for (; s && k > 0; k--) {
		s = strchr(s, ';');
		if (s)
			s++;
	}
	if (!s)
		return;
	e = strchr(s, ';');
	snprintf(out, outsz, "%.*s", (int)(e ? (size_t)(e - s) : strlen(s)), s);
}

static void set_devnode(struct dongle *g)
{
	snprintf(g->devnode, sizeof(g->devnode), "/dev/bus/usb/%03u/%03u", BUSNUM, g->devnum);
}

static void shim_init_locked(void)
{
	const char *all = getenv("STLINK_EMU"), *v;
	char err[256];

	if (S.inited)
		return;
	S.inited = 1;
	S.n = 1;
	for (const char *p = all; p && (p = strchr(p, ';')); p++)
		S.n++;
	if (S.n > SHIM_MAX) {
		fprintf(stderr, "stlink_emu: STLINK_EMU: %d dongles (at most %d)\n", S.n, SHIM_MAX);
		S.n = SHIM_MAX;
	}
	S.next_devnum = 2;
	for (int k = 0; k < S.n; k++) {
		struct dongle *g = &S.dg[k];

		field(all, k, g->spec, sizeof(g->spec));
		field(getenv("STLINK_EMU_SIM"), k, g->simspec, sizeof(g->simspec));
		if (stlink_emu_config_parse(&g->cfg, g->spec, err, sizeof(err))) {
			fprintf(stderr, "stlink_emu: STLINK_EMU dongle %d: %s\n", k + 1, err);
		} else {
			g->cfg_ok = 1;
			/* Each dongle its own serial: the default, last digit + k. */
			if (k && !strstr(g->spec, "serial=")) {
				char *c = &g->cfg.serial[23];
				size_t l = strlen(g->spec);

				*c = "0123456789ABCDEF"[(hexval(*c) + k) & 15];
				snprintf(g->spec + l, sizeof(g->spec) - l, "%sserial=%s",
					 l ? "," : "", g->cfg.serial);
			}
		}
		g->plugged = 1;
		g->devnum = S.next_devnum++;
		set_devnode(g);
		snprintf(g->sysname, sizeof(g->sysname), "1-%d", k + 1);
		snprintf(g->syspath, sizeof(g->syspath), SYSDIR "%s", g->sysname);
	}
	v = getenv("STLINK_EMU_REPLUG_MS");
	if (v && *v)
		S.replug_ms = strtoull(v, NULL, 10);
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
}

static void lock(void)
{
	pthread_mutex_lock(&S.mu);
	shim_init_locked();
}

static void unlock(void)
{
	pthread_mutex_unlock(&S.mu);
}

static void emu_open_locked(struct dongle *g)
{
	const char *tr = getenv("STLINK_EMU_TRACE");
	char err[256];

	if (g->emu_tried)
		return;
	g->emu_tried = 1;
	if (!g->cfg_ok)
		return;
	g->emu = stlink_emu_new_spec(g->spec, g->simspec[0] ? g->simspec : "part=nrf52840", err,
				     sizeof(err));
	if (!g->emu) {
		fprintf(stderr, "stlink_emu: %s\n", err);
		return;
	}
	if (tr && *tr && !S.trace) {
		S.trace = fopen(tr, "a");
		if (S.trace)
			setvbuf(S.trace, NULL, _IOLBF, 0);
	}
}

/* ---- the eventfd readiness trick ---- */

static void fd_ready(int fd, int ready)
{
	uint64_t v;

	/* Drain (non-blocking), then park at the not-writable value. */
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (!ready) {
		v = NOT_READY;
		if (write(fd, &v, sizeof(v)) < 0)
			return;
	}
}

static struct devfd *devfd_get(int fd)
{
	return fd >= 0 && fd < MAXFD ? S.fds[fd] : NULL;
}

static void push(struct urb_node **head, struct usbdevfs_urb *urb)
{
	struct urb_node *n = calloc(1, sizeof(*n)), **p = head;

	if (!n)
		return;
	n->urb = urb;
	while (*p)
		p = &(*p)->next;
	*p = n;
}

static struct usbdevfs_urb *pop(struct urb_node **head)
{
	struct urb_node *n = *head;
	struct usbdevfs_urb *u;

	if (!n)
		return NULL;
	*head = n->next;
	u = n->urb;
	free(n);
	return u;
}

static void complete_locked(int fd, struct devfd *d, struct usbdevfs_urb *u, int status, int len)
{
	u->status = status;
	u->actual_length = len;
	push(&d->done, u);
	fd_ready(fd, 1);
}

/* Give queued IN URBs the replies the dongle has now. */
static void serve_in_locked(void)
{
	for (int fd = 0; fd < S.fd_hi; fd++) {
		struct devfd *d = S.fds[fd];
		struct stlink_emu *emu = d ? S.dg[d->dg].emu : NULL;

		while (d && d->pending && emu) {
			struct usbdevfs_urb *u = d->pending->urb;
			int n = stlink_emu_bulk_in(emu, u->endpoint, u->buffer,
						   (size_t)u->buffer_length);

			if (n == -EAGAIN)
				break;
			pop(&d->pending);
			complete_locked(fd, d, u, n < 0 ? n : 0, n < 0 ? 0 : n);
		}
	}
}

/* ---- hotplug ---- */

/* Queue an event for receive_device (the devnode as it is now: a remove
 * names the number the device had). */
static void monitor_signal_locked(const char *action, const struct dongle *g)
{
	uint64_t one = 1;

	if (S.nev == MAXEV)
		return; /* a test that floods the monitor loses events, as netlink does */
	snprintf(S.ev[S.nev].action, sizeof(S.ev[S.nev].action), "%s", action);
	snprintf(S.ev[S.nev].devnode, sizeof(S.ev[S.nev].devnode), "%s", g->devnode);
	snprintf(S.ev[S.nev].sysname, sizeof(S.ev[S.nev].sysname), "%s", g->sysname);
	S.nev++;
	if (S.monitor_fd >= 0 && write(S.monitor_fd, &one, sizeof(one)) < 0)
		return;
}

static void replug_locked(struct dongle *g)
{
	if (g->plugged)
		return;
	g->plugged = 1;
	g->devnum = S.next_devnum++;
	set_devnode(g);
	if (g->emu)
		stlink_emu_replug(g->emu);
	monitor_signal_locked("add", g);
}

static void *replug_thread(void *arg)
{
	struct timespec ts = { (time_t)(S.replug_ms / 1000), (long)(S.replug_ms % 1000) * 1000000L };
	int k = (int)((intptr_t)arg % SHIM_MAX), gen = (int)((intptr_t)arg / SHIM_MAX);

	nanosleep(&ts, NULL);
	lock();
	if (S.dg[k].gen == gen)
		replug_locked(&S.dg[k]);
	unlock();
	return NULL;
}

/* A dongle went away (a fault or the test hook): fail what waits on it,
 * tell the monitor, maybe come back later. */
static void unplugged_locked(int k)
{
	struct dongle *g = &S.dg[k];

	if (!g->plugged)
		return;
	g->plugged = 0;
	g->gen++;
	if (g->emu)
		stlink_emu_unplug(g->emu);
	for (int fd = 0; fd < S.fd_hi; fd++) {
		struct devfd *d = S.fds[fd];
		struct usbdevfs_urb *u;

		if (!d || d->dg != k)
			continue;
		while ((u = pop(&d->pending)))
			complete_locked(fd, d, u, -ESHUTDOWN, 0);
		fd_ready(fd, 1);
	}
	monitor_signal_locked("remove", g);
	if (S.replug_ms) {
		pthread_t t;

		if (!pthread_create(&t, NULL, replug_thread,
				    (void *)(intptr_t)(g->gen * SHIM_MAX + k)))
			pthread_detach(t);
	}
}

static void check_unplug_locked(int k)
{
	struct dongle *g = &S.dg[k];

	if (g->emu && g->plugged && stlink_emu_unplugged(g->emu))
		unplugged_locked(k);
}

/* The dongle whose sysfs directory path is in (NULL: none); *rest = what follows. */
static struct dongle *dongle_of_syspath(const char *path, const char **rest)
{
	for (int k = 0; k < S.n; k++) {
		size_t l = strlen(S.dg[k].syspath);

		if (!strncmp(path, S.dg[k].syspath, l) && (path[l] == '/' || !path[l])) {
			if (rest)
				*rest = path[l] ? path + l + 1 : path + l;
			return &S.dg[k];
		}
	}
	return NULL;
}

/* ---- udev (libudev.so.1, LIBUDEV_183) ---- */

struct udev { int refs; };
struct udev_monitor { int refs; int fd; };
struct udev_list_entry { char name[64]; struct udev_list_entry *next; };
struct udev_enumerate { int refs; int n; struct udev_list_entry e[SHIM_MAX]; };
struct udev_device { int refs; char action[16]; char devnode[64]; char sysname[8]; };

SHIM_API struct udev *udev_new(void);
SHIM_API struct udev *udev_unref(struct udev *u);
SHIM_API struct udev_monitor *udev_monitor_new_from_netlink(struct udev *u, const char *name);
SHIM_API int udev_monitor_filter_add_match_subsystem_devtype(struct udev_monitor *m,
							    const char *subsystem,
							    const char *devtype);
SHIM_API int udev_monitor_enable_receiving(struct udev_monitor *m);
SHIM_API int udev_monitor_get_fd(struct udev_monitor *m);
SHIM_API struct udev_device *udev_monitor_receive_device(struct udev_monitor *m);
SHIM_API struct udev_monitor *udev_monitor_unref(struct udev_monitor *m);
SHIM_API struct udev_enumerate *udev_enumerate_new(struct udev *u);
SHIM_API int udev_enumerate_add_match_subsystem(struct udev_enumerate *e, const char *s);
SHIM_API int udev_enumerate_add_match_property(struct udev_enumerate *e, const char *p,
					       const char *v);
SHIM_API int udev_enumerate_scan_devices(struct udev_enumerate *e);
SHIM_API struct udev_list_entry *udev_enumerate_get_list_entry(struct udev_enumerate *e);
SHIM_API struct udev_enumerate *udev_enumerate_unref(struct udev_enumerate *e);
SHIM_API const char *udev_list_entry_get_name(struct udev_list_entry *l);
SHIM_API struct udev_list_entry *udev_list_entry_get_next(struct udev_list_entry *l);
SHIM_API struct udev_device *udev_device_new_from_syspath(struct udev *u, const char *path);
SHIM_API const char *udev_device_get_devnode(struct udev_device *d);
SHIM_API const char *udev_device_get_sysname(struct udev_device *d);
SHIM_API const char *udev_device_get_action(struct udev_device *d);
SHIM_API struct udev_device *udev_device_unref(struct udev_device *d);

struct udev *udev_new(void)
{
	struct udev *u = calloc(1, sizeof(*u));

	if (u)
		u->refs = 1;
	return u;
}

struct udev *udev_unref(struct udev *u)
{
	free(u);
	return NULL;
}

struct udev_monitor *udev_monitor_new_from_netlink(struct udev *u, const char *name)
{
	struct udev_monitor *m = calloc(1, sizeof(*m));

	(void)u;
	(void)name;
	if (!m)
		return NULL;
	m->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);
	if (m->fd < 0) {
		free(m);
		return NULL;
	}
	lock();
	S.monitor_fd = m->fd;
	unlock();
	return m;
}

int udev_monitor_filter_add_match_subsystem_devtype(struct udev_monitor *m, const char *subsystem,
						     const char *devtype)
{
	(void)m;
	(void)subsystem;
	(void)devtype;
	return 0;
}

int udev_monitor_enable_receiving(struct udev_monitor *m) { (void)m; return 0; }
int udev_monitor_get_fd(struct udev_monitor *m) { return m->fd; }

struct udev_device *udev_monitor_receive_device(struct udev_monitor *m)
{
	struct udev_device *d = NULL;
	uint64_t v;

	lock();
	if (read(m->fd, &v, sizeof(v)) == sizeof(v) && S.nev) {
		d = calloc(1, sizeof(*d));
		if (d) {
			d->refs = 1;
			snprintf(d->action, sizeof(d->action), "%s", S.ev[0].action);
			snprintf(d->devnode, sizeof(d->devnode), "%s", S.ev[0].devnode);
			snprintf(d->sysname, sizeof(d->sysname), "%s", S.ev[0].sysname);
		}
		S.nev--;
		memmove(&S.ev[0], &S.ev[1], (size_t)S.nev * sizeof(S.ev[0]));
	}
	unlock();
	return d;
}

struct udev_monitor *udev_monitor_unref(struct udev_monitor *m)
{
	if (!m)
		return NULL;
	lock();
	if (S.monitor_fd == m->fd)
		S.monitor_fd = -1;
	unlock();
	get_close()(m->fd);
	free(m);
	return NULL;
}

struct udev_enumerate *udev_enumerate_new(struct udev *u)
{
	struct udev_enumerate *e = calloc(1, sizeof(*e));

	(void)u;
	if (e)
		e->refs = 1;
	return e;
}

int udev_enumerate_add_match_subsystem(struct udev_enumerate *e, const char *s)
{
	(void)e;
	(void)s;
	return 0;
}

int udev_enumerate_add_match_property(struct udev_enumerate *e, const char *p, const char *v)
{
	(void)e;
	(void)p;
	(void)v;
	return 0;
}

int udev_enumerate_scan_devices(struct udev_enumerate *e)
{
	lock();
	e->n = 0;
	for (int k = 0; k < S.n; k++) {
		if (!S.dg[k].plugged || !S.dg[k].cfg_ok)
			continue;
		snprintf(e->e[e->n].name, sizeof(e->e[e->n].name), "%s", S.dg[k].syspath);
		e->e[e->n].next = NULL;
		if (e->n)
			e->e[e->n - 1].next = &e->e[e->n];
		e->n++;
	}
	unlock();
	return 0;
}

struct udev_list_entry *udev_enumerate_get_list_entry(struct udev_enumerate *e)
{
	return e->n ? &e->e[0] : NULL;
}

struct udev_enumerate *udev_enumerate_unref(struct udev_enumerate *e)
{
	free(e);
	return NULL;
}

const char *udev_list_entry_get_name(struct udev_list_entry *l) { return l->name; }
struct udev_list_entry *udev_list_entry_get_next(struct udev_list_entry *l) { return l->next; }

struct udev_device *udev_device_new_from_syspath(struct udev *u, const char *path)
{
	struct udev_device *d = NULL;
	struct dongle *g;
	const char *rest;

	(void)u;
	if (!path)
		return NULL;
	lock();
	g = dongle_of_syspath(path, &rest);
	if (g && !*rest && (d = calloc(1, sizeof(*d)))) {
		d->refs = 1;
		snprintf(d->devnode, sizeof(d->devnode), "%s", g->devnode);
		snprintf(d->sysname, sizeof(d->sysname), "%s", g->sysname);
	}
	unlock();
	return d;
}

const char *udev_device_get_devnode(struct udev_device *d) { return d ? d->devnode : NULL; }
const char *udev_device_get_sysname(struct udev_device *d) { return d ? d->sysname : NULL; }
const char *udev_device_get_action(struct udev_device *d)
{
	return d && d->action[0] ? d->action : NULL;
}

struct udev_device *udev_device_unref(struct udev_device *d)
{
	free(d);
	return NULL;
}

/* ---- sysfs and the device node ---- */

static int memfd_with(const void *buf, size_t len)
{
	int fd = memfd_create("stlink-sysfs", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, buf, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
		get_close()(fd);
		return -1;
	}
	return fd;
}

/* 1 = the path is ours (answer in *fd, errno set when -1), 0 = not ours. */
static int shim_open(const char *path, int *fd)
{
	char buf[256];
	int n = -1;

	if (!path)
		return 0;
	if (!strncmp(path, SYSDIR, sizeof(SYSDIR) - 1)) {
		const char *attr = NULL;
		struct stlink_emu *tmp;
		struct dongle *g;

		lock();
		g = dongle_of_syspath(path, &attr);
		if (!g) {
			unlock();
			return 0;
		}
		if (!g->plugged || !g->cfg_ok) {
			unlock();
			*fd = -1;
			errno = ENOENT;
			return 1;
		}
		if (!strcmp(attr, "busnum"))
			n = snprintf(buf, sizeof(buf), "%u\n", BUSNUM);
		else if (!strcmp(attr, "devnum"))
			n = snprintf(buf, sizeof(buf), "%u\n", g->devnum);
		else if (!strcmp(attr, "speed"))
			n = snprintf(buf, sizeof(buf), "%s\n",
				     g->cfg.model == STLINK_EMU_V3 ? "480" : "12");
		else if (!strcmp(attr, "bConfigurationValue"))
			n = snprintf(buf, sizeof(buf), "1\n");
		else if (!strcmp(attr, "descriptors")) {
			tmp = g->emu ? NULL : stlink_emu_new(&g->cfg, NULL, NULL, 0);
			n = stlink_emu_descriptors(g->emu ? g->emu : tmp, (uint8_t *)buf, sizeof(buf));
			stlink_emu_free(tmp);
		}
		unlock();
		if (n < 0) {
			*fd = -1;
			errno = ENOENT;
			return 1;
		}
		*fd = memfd_with(buf, (size_t)n);
		return 1;
	}
	if (!strncmp(path, "/dev/bus/usb/", 13)) {
		struct devfd *d;
		struct dongle *g = NULL;
		int k;

		lock();
		for (k = 0; k < S.n && !g; k++)
			if (S.dg[k].plugged && S.dg[k].cfg_ok && !strcmp(path, S.dg[k].devnode))
				g = &S.dg[k];
		if (!g) {
			unlock();
			*fd = -1;
			errno = ENOENT;
			return 1;
		}
		emu_open_locked(g);
		if (!g->emu) {
			unlock();
			*fd = -1;
			errno = EBUSY; /* e.g. the state file is held by another process */
			return 1;
		}
		*fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (*fd < 0 || *fd >= MAXFD || !(d = calloc(1, sizeof(*d)))) {
			if (*fd >= 0)
				get_close()(*fd);
			unlock();
			*fd = -1;
			errno = EMFILE;
			return 1;
		}
		d->gen = g->gen;
		d->dg = (int)(g - S.dg);
		S.fds[*fd] = d;
		if (*fd >= S.fd_hi)
			S.fd_hi = *fd + 1;
		fd_ready(*fd, 0);
		unlock();
		return 1;
	}
	return 0;
}

SHIM_API int open(const char *path, int flags, ...);
SHIM_API int open64(const char *path, int flags, ...);
SHIM_API int __open_2(const char *path, int flags);
SHIM_API int __open64_2(const char *path, int flags);
SHIM_API int close(int fd);
SHIM_API int ioctl(int fd, unsigned long req, ...);

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (shim_open(path, &fd))
		return fd;
	return get_open()(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (shim_open(path, &fd))
		return fd;
	return get_open64()(path, flags, mode);
}

int __open_2(const char *path, int flags)
{
	int fd;

	if (shim_open(path, &fd))
		return fd;
	return get___open_2()(path, flags);
}

int __open64_2(const char *path, int flags)
{
	int fd;

	if (shim_open(path, &fd))
		return fd;
	return get___open64_2()(path, flags);
}

int close(int fd)
{
	struct devfd *d;

	pthread_mutex_lock(&S.mu);
	d = devfd_get(fd);
	if (d) {
		while (pop(&d->pending))
			;
		while (pop(&d->done))
			;
		free(d);
		S.fds[fd] = NULL;
	}
	pthread_mutex_unlock(&S.mu);
	return get_close()(fd);
}

/* ---- usbfs ---- */

static void trace_cmd(const uint8_t *c, size_t len)
{
	if (!S.trace)
		return;
	fprintf(S.trace, "cmd");
	for (size_t i = 0; i < len && i < 16; i++)
		fprintf(S.trace, " %02X", c[i]);
	fprintf(S.trace, "\n");
}

static int submit_locked(int fd, struct devfd *d, struct usbdevfs_urb *u)
{
	struct dongle *g = &S.dg[d->dg];
	uint8_t *buf = u->buffer;
	int n;

	if (!g->plugged || d->gen != g->gen)
		return -ENODEV;
	if (u->type == USBDEVFS_URB_TYPE_CONTROL) {
		if (u->buffer_length < 8)
			return -EINVAL;
		n = stlink_emu_control(g->emu, buf, buf + 8);
		complete_locked(fd, d, u, n < 0 ? n : 0, n < 0 ? 0 : n);
		return 0;
	}
	if (u->type != USBDEVFS_URB_TYPE_BULK)
		return -EINVAL;
	if (u->endpoint & 0x80) {
		if (u->endpoint != stlink_emu_ep_in(g->emu) && u->endpoint != stlink_emu_ep_trace(g->emu))
			return -ENOENT;
		if (stlink_emu_stalled(g->emu, u->endpoint)) {
			complete_locked(fd, d, u, -EPIPE, 0);
			return 0;
		}
		push(&d->pending, u);
		serve_in_locked();
		return 0;
	}
	if (u->endpoint != stlink_emu_ep_out(g->emu))
		return -ENOENT;
	{
		uint64_t before = stlink_emu_counters(g->emu)->commands;

		n = stlink_emu_bulk_out(g->emu, u->endpoint, buf, (size_t)u->buffer_length);
		if (stlink_emu_counters(g->emu)->commands != before)
			trace_cmd(buf, (size_t)u->buffer_length);
	}
	complete_locked(fd, d, u, n < 0 ? n : 0, n < 0 ? 0 : n);
	serve_in_locked();
	check_unplug_locked(d->dg);
	return 0;
}

static int discard_locked(int fd, struct devfd *d, struct usbdevfs_urb *u)
{
	for (struct urb_node **p = &d->pending; *p; p = &(*p)->next) {
		if ((*p)->urb == u) {
			struct urb_node *n = *p;

			*p = n->next;
			free(n);
			complete_locked(fd, d, u, -ENOENT, 0);
			return 0;
		}
	}
	return -EINVAL; /* already completed */
}

static int usbfs_ioctl_locked(int fd, struct devfd *d, unsigned long req, void *arg)
{
	struct dongle *g = &S.dg[d->dg];

	switch (req) {
	case USBDEVFS_GET_CAPABILITIES:
		*(uint32_t *)arg = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
				   USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
				   USBDEVFS_CAP_BULK_SCATTER_GATHER |
				   USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
		return 0;
	case USBDEVFS_CLAIMINTERFACE:
	case USBDEVFS_RELEASEINTERFACE:
		if (!g->plugged || d->gen != g->gen)
			return -ENODEV;
		return *(unsigned *)arg == 0 ? 0 : -EINVAL;
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_RESET:
	case USBDEVFS_DISCONNECT_CLAIM:
		return !g->plugged || d->gen != g->gen ? -ENODEV : 0;
	case USBDEVFS_GETDRIVER:
		return -ENODATA;
	case USBDEVFS_IOCTL:
		return -ENODATA;
	case USBDEVFS_CLEAR_HALT:
		if (!g->plugged || d->gen != g->gen)
			return -ENODEV;
		stlink_emu_stall(g->emu, (uint8_t)*(unsigned *)arg, 0);
		return 0;
	case USBDEVFS_GET_SPEED:
		return g->cfg.model == STLINK_EMU_V3 ? 3 /* USB_SPEED_HIGH */ : 2 /* FULL */;
	case USBDEVFS_CONNECTINFO: {
		struct usbdevfs_connectinfo *ci = arg;

		ci->devnum = g->devnum;
		ci->slow = 0;
		return 0;
	}
	case USBDEVFS_SUBMITURB:
		return submit_locked(fd, d, arg);
	case USBDEVFS_DISCARDURB:
		return discard_locked(fd, d, arg);
	case USBDEVFS_REAPURBNDELAY: {
		struct usbdevfs_urb *u = pop(&d->done);

		if (!u) {
			if (!g->plugged || d->gen != g->gen)
				return -ENODEV;
			fd_ready(fd, 0);
			return -EAGAIN;
		}
		if (!d->done && g->plugged && d->gen == g->gen)
			fd_ready(fd, 0);
		*(void **)arg = u;
		return 0;
	}
	case USBDEVFS_CONTROL: {
		struct usbdevfs_ctrltransfer *ct = arg;
		uint8_t setup[8] = { ct->bRequestType, ct->bRequest, (uint8_t)ct->wValue,
				     (uint8_t)(ct->wValue >> 8), (uint8_t)ct->wIndex,
				     (uint8_t)(ct->wIndex >> 8), (uint8_t)ct->wLength,
				     (uint8_t)(ct->wLength >> 8) };

		if (!g->plugged || d->gen != g->gen)
			return -ENODEV;
		return stlink_emu_control(g->emu, setup, ct->data);
	}
	default:
		return -ENOTTY;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	struct devfd *d;
	int rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&S.mu);
	d = devfd_get(fd);
	if (!d) {
		pthread_mutex_unlock(&S.mu);
		return get_ioctl()(fd, req, arg);
	}
	rc = usbfs_ioctl_locked(fd, d, (uint32_t)req, arg);
	pthread_mutex_unlock(&S.mu);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

/* ---- stats at exit, test hooks ---- */

static void write_stats(struct stlink_emu *emu, const char *path)
{
	const struct sim_counters *sc = stlink_emu_chip(emu) ? sim_counters(stlink_emu_chip(emu)) :
							       NULL;
	char buf[2048];
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	stlink_emu_counters_json(emu, buf, sizeof(buf));
	fprintf(f, "{\"stlink\": %s", buf);
	if (sc)
		fprintf(f, ",\n \"sim\": {\"cycles\": %llu, \"time_ns\": %llu, "
			   "\"nvmc_writes\": %llu, \"nvmc_page_erases\": %llu, "
			   "\"nvmc_erase_alls\": %llu, \"ctrlap_erase_alls\": %llu, "
			   "\"acks_wait\": %llu, \"acks_fault\": %llu, \"resets\": %llu}",
			(unsigned long long)sc->cycles,
			(unsigned long long)sim_time_ns(stlink_emu_chip(emu)),
			(unsigned long long)sc->nvmc_writes, (unsigned long long)sc->nvmc_page_erases,
			(unsigned long long)sc->nvmc_erase_alls,
			(unsigned long long)sc->ctrlap_erase_alls,
			(unsigned long long)sc->acks_wait, (unsigned long long)sc->acks_fault,
			(unsigned long long)sc->resets);
	fprintf(f, "}\n");
	fclose(f);
}

__attribute__((destructor)) static void shim_fini(void)
{
	const char *path = getenv("STLINK_EMU_STATS");

	pthread_mutex_lock(&S.mu);
	for (int k = 0; k < S.n; k++) {
		struct dongle *g = &S.dg[k];

		if (g->emu && path && *path) {
			char p[4096];

			if (k)
				snprintf(p, sizeof(p), "%s.%d", path, k + 1);
			else
				snprintf(p, sizeof(p), "%s", path);
			write_stats(g->emu, p);
		}
		stlink_emu_free(g->emu);
		g->emu = NULL;
	}
	if (S.trace)
		fclose(S.trace);
	S.trace = NULL;
	pthread_mutex_unlock(&S.mu);
}

SHIM_API struct stlink_emu *stlink_shim_emu(void);
SHIM_API void stlink_shim_unplug(void);
SHIM_API void stlink_shim_replug(void);

/* The (first) dongle of this process (NULL before a program opened it). */
struct stlink_emu *stlink_shim_emu(void)
{
	struct stlink_emu *e;

	lock();
	e = S.dg[0].emu;
	unlock();
	return e;
}

void stlink_shim_unplug(void)
{
	lock();
	unplugged_locked(0);
	unlock();
}

void stlink_shim_replug(void)
{
	lock();
	replug_locked(&S.dg[0]);
	unlock();
}
