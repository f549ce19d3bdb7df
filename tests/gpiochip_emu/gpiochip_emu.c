// SPDX-License-Identifier: GPL-2.0-or-later
/* gpiochip_emu: an emulated Raspberry Pi 4 GPIO controller for unmodified
 * programs (LD_PRELOAD), wired to the simulated nRF52 from sim/.
 *
 * The kernel here has no GPIO support. This library interposes the libc
 * calls that libgpiod 1.6 and 2.x (and the tools and OpenOCD built on them)
 * make for a GPIO character device, and answers them the way the kernel
 * does:
 *   - /dev/gpiochip0 exists as a character device (stat/lstat/fstat, open,
 *     scandir of /dev), label "pinctrl-bcm2711", 58 lines named as in the
 *     Pi 4 device tree (bcm2711-rpi-4-b.dts gpio-line-names);
 *   - the sysfs checks: libgpiod 1.6 reads /sys/bus/gpio/devices/gpiochip0/dev
 *     ("MAJOR:MINOR") and compares it with st_rdev; libgpiod 2.x resolves
 *     /sys/dev/char/MAJOR:MINOR/subsystem to /sys/bus/gpio;
 *   - GPIO uAPI v1 ioctls (chip info, line info, line handle requests,
 *     get/set values, set config) and v2 ioctls (line info, line requests,
 *     get/set values, set config). A line request returns a new fd; closing
 *     it releases the lines, as in the kernel.
 *   - edge events: v1 event requests (GPIO_GET_LINEEVENT_IOCTL, struct
 *     gpioevent_data) and v2 requests with edge flags (struct
 *     gpio_v2_line_event, seqno and line_seqno) on the lines that
 *     GPIOCHIP_EMU_PINS feeds. The request fd is a pipe: poll() and read()
 *     work unchanged, an event is one atomic write. Edges follow the
 *     logical level (active-low swaps rising and falling, as in
 *     gpiolib-cdev.c), time-stamped with CLOCK_MONOTONIC (the kernel's
 *     default); a full pipe drops events, as the kernel's kfifo does.
 * Line-info watches and the v2 debounce attribute are not emulated
 * (EOPNOTSUPP).
 *
 * The SWCLK, SWDIO and nRESET offsets (GPIOCHIP_EMU_SWCLK/_SWDIO/_NRESET,
 * default 25/24/18) drive a sim_chip through sim_wire()/sim_nreset(); an
 * input SWDIO reads sim_swdio(). Pins keep their direction and level after
 * release, as the BCM2711 does.
 *
 * Environment:
 *   GPIOCHIP_EMU_SIM     sim spec for sim_config_parse ("part=nrf52840,
 *                        state=PATH,..."), plus "wallclock=1" (simulated time
 *                        follows the wall clock, for programs that sleep);
 *                        "none" = nothing attached (SWDIO floats high)
 *   GPIOCHIP_EMU_STATS   write ioctl counts by kind, edge events sent and
 *                        dropped, and the simulator's counters as JSON to
 *                        this file at exit
 *   GPIOCHIP_EMU_VCD     record SWCLK/SWDIO/nRESET as VCD, simulated time
 *   GPIOCHIP_EMU_TAKEN   lines held by another consumer: "24=other,18=foo"
 *   GPIOCHIP_EMU_CHIP    device name (default gpiochip0; Pi 5 tests: gpiochip4)
 *   GPIOCHIP_EMU_LABEL   chip label (default pinctrl-bcm2711)
 *   GPIOCHIP_EMU_PINS    PATH: bench buttons and lamps. An input line that is
 *                        not an SWD line reads its level from the lines
 *                        "OFFSET=LEVEL" of PATH (a test presses a button by
 *                        rewriting it); after every change of an output
 *                        that is not an SWD line the levels of those outputs
 *                        are written to PATH.out the same way (renamed over).
 *                        A level may be a waveform, "OFFSET=L/MS,L/MS,...,L":
 *                        each level for MS milliseconds from when the file
 *                        is seen to change, the last one from then on (a
 *                        bouncing button: "17=0/3,1/2,0/4,1"). Edge events
 *                        carry the times of the waveform's steps, so a
 *                        loaded machine delays them but does not change
 *                        them; a watcher thread (inotify on PATH's folder)
 *                        produces them while an edge request exists
 *   GPIOCHIP_EMU_EVENT_DELAY_MS  N: edge events reach the program N ms after
 *                        their time stamps (while reads show the new level
 *                        at once), as on a busy machine
 *   GPIOCHIP_EMU_FAIL    "N[:ERRNO]": after N ioctls on line handles/requests,
 *                        fail every later one with ERRNO (default EIO), as
 *                        when the chip goes away (gpiochip_emu_fail())
 *
 * This is a test tool: its state is process-global because the libc calls
 * it stands in for are. Only a process that opens the emulated chip
 * creates a simulated chip or writes files. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/gpio.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "../../sim/sim.h"

/* Built with -fvisibility=hidden: only the interposed libc calls and the
 * test hooks are exported, so the sim/ copy inside never clashes with a
 * program that links its own. */
#define EMU_API __attribute__((visibility("default")))

#define EMU_NLINES 58
#define EMU_MAJOR 254
#define EMU_MINOR 0
#define EMU_MAXFD 4096
#define EMU_PIN_STEPS 32

/* The Pi 4 header controller's line names (bcm2711-rpi-4-b.dts). */
static const char *const emu_names[EMU_NLINES] = {
	"ID_SDA", "ID_SCL", "SDA1", "SCL1", "GPIO_GCLK", "GPIO5", "GPIO6", "SPI_CE1_N",
	"SPI_CE0_N", "SPI_MISO", "SPI_MOSI", "SPI_SCLK", "GPIO12", "GPIO13", "TXD1", "RXD1",
	"GPIO16", "GPIO17", "GPIO18", "GPIO19", "GPIO20", "GPIO21", "GPIO22", "GPIO23",
	"GPIO24", "GPIO25", "GPIO26", "GPIO27", "RGMII_MDIO", "RGMIO_MDC", "CTS0", "RTS0",
	"TXD0", "RXD0", "SD1_CLK", "SD1_CMD", "SD1_DATA0", "SD1_DATA1", "SD1_DATA2",
	"SD1_DATA3", "PWM0_MISO", "PWM1_MOSI", "STATUS_LED_G_CLK", "SPIFLASH_CE_N", "SDA0",
	"SCL0", "RGMII_RXCLK", "RGMII_RXCTL", "RGMII_RXD0", "RGMII_RXD1", "RGMII_RXD2",
	"RGMII_RXD3", "RGMII_TXCLK", "RGMII_TXCTL", "RGMII_TXD0", "RGMII_TXD1", "RGMII_TXD2",
	"RGMII_TXD3",
};

/* Flags are kept in the v2 encoding (GPIO_V2_LINE_FLAG_*). */
#define F_USED GPIO_V2_LINE_FLAG_USED
#define F_ALOW GPIO_V2_LINE_FLAG_ACTIVE_LOW
#define F_IN GPIO_V2_LINE_FLAG_INPUT
#define F_OUT GPIO_V2_LINE_FLAG_OUTPUT
#define F_EDGES (GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING)
#define F_OD GPIO_V2_LINE_FLAG_OPEN_DRAIN
#define F_OS GPIO_V2_LINE_FLAG_OPEN_SOURCE
#define F_PU GPIO_V2_LINE_FLAG_BIAS_PULL_UP
#define F_PD GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN
#define F_BD GPIO_V2_LINE_FLAG_BIAS_DISABLED
#define F_BIAS (F_PU | F_PD | F_BD)

struct emu_line {
	int used;            /* requested through a handle, or held by someone else */
	int req_fd;          /* the handle holding it, -1 when someone else does */
	char consumer[GPIO_MAX_NAME_SIZE];
	uint64_t flags;      /* as requested: active-low, drive, bias */
	int is_out;          /* hardware direction (kept after release) */
	int level;           /* physical output level */

	/* GPIOCHIP_EMU_PINS: the input's waveform (pin_n 0: not in the file),
	 * from pin_t0 (CLOCK_MONOTONIC ns); pin_cur: the level last seen. */
	unsigned pin_n;
	uint8_t pin_lv[EMU_PIN_STEPS];
	uint32_t pin_ms[EMU_PIN_STEPS];
	int64_t pin_t0;
	int pin_cur;
};

enum emu_fd_kind { EMU_FD_CHIP = 1, EMU_FD_HANDLE_V1, EMU_FD_REQ_V2, EMU_FD_EVENT_V1 };

#define EMU_QMAX 256

struct emu_queued {
	int fd;
	uint64_t id;
	int64_t due;
	size_t len;
	unsigned char ev[sizeof(struct gpio_v2_line_event)];
};

struct emu_fd {
	enum emu_fd_kind kind;
	unsigned n;
	unsigned off[GPIO_V2_LINES_MAX];
	int wfd;             /* events and v2 requests: the pipe's write end, else -1 */
	uint64_t id;         /* unique per request: a delayed event finds its own */
	int fd;              /* requests: the fd the program holds */
	uint32_t seqno, line_seqno[GPIO_V2_LINES_MAX];
};

enum emu_kind {
	K_CHIPINFO, K_LINEINFO_V1, K_LINEINFO_V2, K_WATCH, K_UNWATCH, K_LINEHANDLE_V1,
	K_LINEEVENT_V1, K_GET_V1, K_SET_V1, K_SETCFG_V1, K_LINE_V2, K_GET_V2, K_SET_V2,
	K_SETCFG_V2, K_OTHER, K_NKINDS
};

static const char *const emu_kind_names[K_NKINDS] = {
	"chipinfo", "lineinfo_v1", "lineinfo_v2", "lineinfo_watch", "lineinfo_unwatch",
	"linehandle_v1", "lineevent_v1", "get_values_v1", "set_values_v1", "set_config_v1",
	"line_request_v2", "get_values_v2", "set_values_v2", "set_config_v2", "other",
};

/* The mutex is recursive: the simulated chip opens and closes its state
 * file through the interposed open()/close() while the lock is held. */
static struct {
	pthread_mutex_t mu;
	int inited, touched;
	char chip[32], label[GPIO_MAX_NAME_SIZE], devpath[64], syspath[128], subsys[96];
	unsigned clk, dio, rst;
	struct emu_line lines[EMU_NLINES];
	struct emu_fd *fds[EMU_MAXFD];

	struct sim_chip *sim;
	int sim_tried;
	int w_clk, w_dio, w_drv, w_rst; /* what the simulated chip sees */
	uint64_t rising_edges;

	FILE *vcd;
	uint64_t vcd_t;
	int v_clk, v_dio, v_rst;

	uint64_t counts[K_NKINDS];
	uint64_t edge_events, edge_dropped;
	int pins_known;      /* GPIOCHIP_EMU_PINS as last parsed: */
	struct stat pins_st;
	char pins_text[8192];
	int64_t pins_done;   /* waveform steps up to here are handled */
	int64_t ev_delay_ns; /* GPIOCHIP_EMU_EVENT_DELAY_MS */
	struct emu_queued q[EMU_QMAX];
	unsigned nq;
	uint64_t next_id;
	int watcher;         /* the edge watcher thread runs */
	uint64_t fail_after; /* gpiochip_emu_fail(): line ioctls still to succeed */
	int fail_errno;      /* then fail with this (0 = never) */
} emu = { .mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP };

/* ---- the real libc, resolved on first use ---- */

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
REAL(openat, int, (int, const char *, int, ...))
REAL(__open_2, int, (const char *, int))
REAL(close, int, (int))
REAL(ioctl, int, (int, unsigned long, ...))
REAL(stat, int, (const char *, struct stat *))
REAL(lstat, int, (const char *, struct stat *))
REAL(fstat, int, (int, struct stat *))
REAL(access, int, (const char *, int))
REAL(realpath, char *, (const char *, char *))
REAL(scandir, int, (const char *, struct dirent ***, int (*)(const struct dirent *),
		    int (*)(const struct dirent **, const struct dirent **)))

/* ---- set-up and tear-down ---- */

static unsigned emu_env_u(const char *name, unsigned def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long x;

	if (!v || !*v)
		return def;
	x = strtoul(v, &end, 10);
	return *end || x >= EMU_NLINES ? def : (unsigned)x;
}

static void emu_take(unsigned off, const char *consumer)
{
	if (off >= EMU_NLINES)
		return;
	emu.lines[off].used = 1;
	emu.lines[off].req_fd = -1;
	snprintf(emu.lines[off].consumer, sizeof(emu.lines[off].consumer), "%s", consumer);
}

static void emu_init_locked(void)
{
	const char *v;

	if (emu.inited)
		return;
	emu.inited = 1;
	v = getenv("GPIOCHIP_EMU_CHIP");
	snprintf(emu.chip, sizeof(emu.chip), "%s", v && *v ? v : "gpiochip0");
	v = getenv("GPIOCHIP_EMU_LABEL");
	snprintf(emu.label, sizeof(emu.label), "%s", v && *v ? v : "pinctrl-bcm2711");
	snprintf(emu.devpath, sizeof(emu.devpath), "/dev/%s", emu.chip);
	snprintf(emu.syspath, sizeof(emu.syspath), "/sys/bus/gpio/devices/%s/dev", emu.chip);
	snprintf(emu.subsys, sizeof(emu.subsys), "/sys/dev/char/%u:%u/subsystem", EMU_MAJOR,
		 EMU_MINOR);
	emu.clk = emu_env_u("GPIOCHIP_EMU_SWCLK", 25);
	emu.dio = emu_env_u("GPIOCHIP_EMU_SWDIO", 24);
	emu.rst = emu_env_u("GPIOCHIP_EMU_NRESET", 18);
	for (unsigned i = 0; i < EMU_NLINES; i++) {
		emu.lines[i].req_fd = -1;
		emu.lines[i].flags = F_IN;
	}
	/* Raspberry Pi OS drives the green activity LED from the kernel. */
	emu_take(42, "ACT");
	emu.lines[42].is_out = 1;
	emu.lines[42].flags = F_OUT;
	v = getenv("GPIOCHIP_EMU_TAKEN");
	if (v && *v) {
		char buf[256], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", v);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(t, '=');

			if (eq)
				*eq++ = '\0';
			emu_take((unsigned)strtoul(t, NULL, 10), eq ? eq : "someone-else");
		}
	}
	v = getenv("GPIOCHIP_EMU_EVENT_DELAY_MS");
	if (v && *v)
		emu.ev_delay_ns = (int64_t)strtoul(v, NULL, 10) * 1000000;
	v = getenv("GPIOCHIP_EMU_FAIL");
	if (v && *v) {
		char *end;

		emu.fail_after = strtoull(v, &end, 10);
		emu.fail_errno = *end == ':' ? (int)strtol(end + 1, NULL, 10) : EIO;
	}
	emu.w_clk = 0;
	emu.w_dio = 1;
	emu.w_drv = 0;
	emu.w_rst = 1;
	emu.v_clk = emu.v_dio = emu.v_rst = -1;
}

static void emu_lock(void)
{
	pthread_mutex_lock(&emu.mu);
	emu_init_locked();
}

static void emu_unlock(void)
{
	pthread_mutex_unlock(&emu.mu);
}

static void emu_sim_open_locked(void)
{
	struct sim_config cfg;
	char spec[512], strbuf[512], msg[256];
	const char *env = getenv("GPIOCHIP_EMU_SIM");
	int wallclock = 0;
	size_t n = 0;

	if (emu.sim_tried)
		return;
	emu.sim_tried = 1;
	emu.touched = 1;
	if (env && !strcmp(env, "none"))
		return;
	/* Take "wallclock=N" out of the spec; the rest is sim_config_parse's. */
	spec[0] = '\0';
	if (env && strlen(env) < sizeof(spec)) {
		char buf[512], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", env);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (!strncmp(t, "wallclock=", 10)) {
				wallclock = atoi(t + 10);
				continue;
			}
			n += (size_t)snprintf(spec + n, sizeof(spec) - n, "%s%s", n ? "," : "", t);
		}
	}
	if (sim_config_parse(&cfg, spec, strbuf, sizeof(strbuf), msg, sizeof(msg))) {
		fprintf(stderr, "gpiochip_emu: GPIOCHIP_EMU_SIM: %s\n", msg);
		return;
	}
	cfg.wallclock = wallclock;
	emu.sim = sim_chip_new(&cfg, msg, sizeof(msg));
	if (!emu.sim)
		fprintf(stderr, "gpiochip_emu: simulated chip: %s\n", msg);
}

/* ---- VCD trace in simulated time ---- */

static void emu_vcd_emit(char id, int level, int *last)
{
	uint64_t t;

	if (!emu.vcd || level == *last)
		return;
	t = emu.sim ? sim_time_ns(emu.sim) : emu.vcd_t;
	/* Strictly increasing times keep the order of changes that happened
	 * within one simulated instant (edge first, then the data). */
	if (t <= emu.vcd_t && *last >= 0)
		t = emu.vcd_t + 1;
	fprintf(emu.vcd, "#%llu\n%d%c\n", (unsigned long long)t, level, id);
	emu.vcd_t = t;
	*last = level;
}

static void emu_vcd_open_locked(void)
{
	const char *path = getenv("GPIOCHIP_EMU_VCD");

	if (!path || !*path)
		return;
	emu.vcd = fopen(path, "w");
	if (!emu.vcd) {
		fprintf(stderr, "gpiochip_emu: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(emu.vcd, "$timescale 1ns $end\n$scope module %s $end\n"
			 "$var wire 1 c swclk $end\n$var wire 1 d swdio $end\n"
			 "$var wire 1 r nreset $end\n$upscope $end\n$enddefinitions $end\n",
		emu.chip);
	emu.vcd_t = emu.sim ? sim_time_ns(emu.sim) : 0;
	fprintf(emu.vcd, "#%llu\n", (unsigned long long)emu.vcd_t);
}

/* ---- the wire ---- */

/* Recompute the pin levels the target sees and feed changes to the sim. */
static void emu_wire_locked(void)
{
	const struct emu_line *c = &emu.lines[emu.clk];
	const struct emu_line *d = &emu.lines[emu.dio];
	const struct emu_line *r = &emu.lines[emu.rst];
	/* SWDCLK has a pull-down in the nRF52, nRESET a pull-up; an open-drain
	 * output at 1 (or open-source at 0) does not drive. */
	int clk = c->is_out ? c->level : 0;
	int drv = d->is_out && !((d->flags & F_OD) && d->level) && !((d->flags & F_OS) && !d->level);
	int dio = drv ? d->level : 1;
	int rst = (r->is_out && !((r->flags & F_OD) && r->level) &&
		   !((r->flags & F_OS) && !r->level)) ? r->level : 1;

	if (!emu.sim_tried) {
		emu_sim_open_locked();
		emu_vcd_open_locked();
	}
	if (rst != emu.w_rst) {
		emu.w_rst = rst;
		if (emu.sim)
			sim_nreset(emu.sim, rst);
		emu_vcd_emit('r', rst, &emu.v_rst);
	}
	if (clk != emu.w_clk || dio != emu.w_dio || drv != emu.w_drv) {
		int rising = clk && !emu.w_clk;

		emu.w_clk = clk;
		emu.w_dio = dio;
		emu.w_drv = drv;
		if (rising)
			emu.rising_edges++;
		if (emu.sim)
			sim_wire(emu.sim, clk, dio, drv);
		/* The clock edge first, then SWDIO as the wire now shows it
		 * (the target may have started driving after a rising edge). */
		emu_vcd_emit('c', clk, &emu.v_clk);
		emu_vcd_emit('d', emu.sim ? sim_swdio(emu.sim) : dio, &emu.v_dio);
	}
}

/* GPIOCHIP_EMU_PINS: the outputs that are not SWD lines, to PATH.out. */
static void emu_pin_file_outputs_locked(void)
{
	const char *path = getenv("GPIOCHIP_EMU_PINS");
	char tmp[4200], dst[4200];
	FILE *f;

	if (!path)
		return;
	snprintf(dst, sizeof(dst), "%s.out", path);
	snprintf(tmp, sizeof(tmp), "%s.out.tmp", path);
	if (!(f = fopen(tmp, "we")))
		return;
	for (unsigned i = 0; i < EMU_NLINES; i++)
		if (emu.lines[i].is_out && i != emu.clk && i != emu.dio && i != emu.rst)
			fprintf(f, "%u=%d\n", i, emu.lines[i].level);
	fclose(f);
	rename(tmp, dst);
}

/* ---- GPIOCHIP_EMU_PINS inputs and their edge events ---- */

static int64_t emu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int emu_is_swd(unsigned off)
{
	return off == emu.clk || off == emu.dio || off == emu.rst;
}

/* An input's physical level at time t: its waveform, else its bias (a
 * floating BCM2711 input reads 0). */
static int emu_pin_level_at(const struct emu_line *l, int64_t t)
{
	int64_t el = t - l->pin_t0;

	if (!l->pin_n)
		return (l->flags & F_PU) ? 1 : 0;
	for (unsigned i = 0; i + 1 < l->pin_n; i++) {
		int64_t d = (int64_t)l->pin_ms[i] * 1000000;

		if (el < d)
			return l->pin_lv[i];
		el -= d;
	}
	return l->pin_lv[l->pin_n - 1];
}

static void emu_event_write_locked(const struct emu_fd *e, const void *ev, size_t len)
{
	if (write(e->wfd, ev, len) == (ssize_t)len)
		emu.edge_events++;
	else
		emu.edge_dropped++; /* a full pipe, as the kernel's full kfifo */
}

/* GPIOCHIP_EMU_EVENT_DELAY_MS: hand the due events to their requests
 * (those still open: the same fd and request id). */
static void emu_event_flush_locked(int64_t now)
{
	unsigned k = 0;

	for (unsigned i = 0; i < emu.nq; i++) {
		struct emu_queued *q = &emu.q[i];
		const struct emu_fd *e = emu.fds[q->fd];

		if (q->due > now) {
			emu.q[k++] = *q;
			continue;
		}
		if (e && e->id == q->id)
			emu_event_write_locked(e, q->ev, q->len);
	}
	emu.nq = k;
}

/* An event at time t: now, or GPIOCHIP_EMU_EVENT_DELAY_MS later (a busy
 * machine: the level has changed, its event comes late). */
static void emu_event_send_locked(const struct emu_fd *e, const void *ev, size_t len, int64_t t)
{
	struct emu_queued *q;

	if (!emu.ev_delay_ns) {
		emu_event_write_locked(e, ev, len);
		return;
	}
	if (emu.nq == EMU_QMAX) {
		emu.edge_dropped++;
		return;
	}
	q = &emu.q[emu.nq++];
	q->fd = e->fd;
	q->id = e->id;
	q->due = t + emu.ev_delay_ns;
	q->len = len;
	memcpy(q->ev, ev, len);
}

/* Input off is now at physical level `level` since time t: one edge event
 * to its request if that asks for this edge (logical: gpiolib-cdev.c
 * swaps the edges of an active-low line). */
static void emu_edge_locked(unsigned off, int level, int64_t t)
{
	struct emu_line *l = &emu.lines[off];
	struct emu_fd *e;
	unsigned i;
	int up;

	if (level == l->pin_cur)
		return;
	l->pin_cur = level;
	if (l->is_out || l->req_fd < 0 || !(e = emu.fds[l->req_fd]) || e->wfd < 0)
		return;
	up = level ^ !!(l->flags & F_ALOW);
	if (!(l->flags & (up ? GPIO_V2_LINE_FLAG_EDGE_RISING : GPIO_V2_LINE_FLAG_EDGE_FALLING)))
		return;
	for (i = 0; i < e->n && e->off[i] != off; i++)
		;
	if (e->kind == EMU_FD_EVENT_V1) {
		struct gpioevent_data ev;

		memset(&ev, 0, sizeof(ev));
		ev.timestamp = (uint64_t)t;
		ev.id = up ? GPIOEVENT_EVENT_RISING_EDGE : GPIOEVENT_EVENT_FALLING_EDGE;
		emu_event_send_locked(e, &ev, sizeof(ev), t);
	} else {
		struct gpio_v2_line_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.timestamp_ns = (uint64_t)t;
		ev.id = up ? GPIO_V2_LINE_EVENT_RISING_EDGE : GPIO_V2_LINE_EVENT_FALLING_EDGE;
		ev.offset = off;
		/* Counted also when dropped, so a reader sees the gap. */
		ev.seqno = ++e->seqno;
		ev.line_seqno = ++e->line_seqno[i];
		emu_event_send_locked(e, &ev, sizeof(ev), t);
	}
}

/* Parse GPIOCHIP_EMU_PINS's text into per-line waveforms (n[off] 0: not
 * named); a later line for the same offset wins, a malformed line is
 * ignored. */
static void emu_pins_parse(char *text, unsigned *n, uint8_t (*lv)[EMU_PIN_STEPS],
			   uint32_t (*ms)[EMU_PIN_STEPS])
{
	char *save = NULL;

	memset(n, 0, sizeof(*n) * EMU_NLINES);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *end;
		unsigned long off = strtoul(p, &end, 10);
		uint8_t tl[EMU_PIN_STEPS];
		uint32_t tm[EMU_PIN_STEPS];
		unsigned k = 0;
		int bad = end == p || *end != '=' || off >= EMU_NLINES;

		for (p = end + 1; !bad; p = end + 1) {
			unsigned long v = strtoul(p, &end, 10), d = 0;

			if (end == p || k == EMU_PIN_STEPS) {
				bad = 1;
				break;
			}
			tl[k] = v != 0;
			if (*end == '/') {
				p = end + 1;
				d = strtoul(p, &end, 10);
				bad = end == p || d > 3600000;
			}
			tm[k++] = (uint32_t)d;
			if (*end != ',')
				break;
		}
		if (bad || end[strspn(end, " \t\r")])
			continue;
		n[off] = k;
		memcpy(lv[off], tl, k);
		memcpy(ms[off], tm, sizeof(tm[0]) * k);
	}
}

/* Bring the inputs up to time now: the steps of the running waveforms
 * (events at their own times), then the file if it changed (a changed
 * line's waveform starts now). */
static void emu_pins_refresh_locked(int64_t now)
{
	const char *path = getenv("GPIOCHIP_EMU_PINS");
	static unsigned n[EMU_NLINES];
	static uint8_t lv[EMU_NLINES][EMU_PIN_STEPS];
	static uint32_t ms[EMU_NLINES][EMU_PIN_STEPS];
	static char text[sizeof(emu.pins_text)];
	struct stat st;
	size_t len = 0;
	FILE *f;

	if (!path)
		return;
	emu_event_flush_locked(now);
	if (now < emu.pins_done)
		now = emu.pins_done; /* another thread took the lock with a later time */
	for (unsigned off = 0; off < EMU_NLINES; off++) {
		struct emu_line *l = &emu.lines[off];
		int64_t b = l->pin_t0;

		for (unsigned i = 0; i + 1 < l->pin_n; i++) {
			b += (int64_t)l->pin_ms[i] * 1000000;
			if (b > now)
				break;
			if (b > emu.pins_done)
				emu_edge_locked(off, l->pin_lv[i + 1], b);
		}
	}
	emu.pins_done = now;
	emu_event_flush_locked(now); /* with no delay: nothing queued */
	/* Changed: other bytes, or the same ones written again (a new file
	 * renamed over, or a new time stamp). */
	if (get_stat()(path, &st))
		memset(&st, 0, sizeof(st));
	if ((f = fopen(path, "re"))) {
		len = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[len] = '\0';
	if (emu.pins_known && !strcmp(text, emu.pins_text) && st.st_ino == emu.pins_st.st_ino &&
	    st.st_mtim.tv_sec == emu.pins_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == emu.pins_st.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == emu.pins_st.st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == emu.pins_st.st_ctim.tv_nsec)
		return;
	emu.pins_known = 1;
	emu.pins_st = st;
	memcpy(emu.pins_text, text, len + 1);
	emu_pins_parse(text, n, lv, ms);
	for (unsigned off = 0; off < EMU_NLINES; off++) {
		struct emu_line *l = &emu.lines[off];

		if (emu_is_swd(off) || (n[off] == l->pin_n && !memcmp(lv[off], l->pin_lv, n[off]) &&
					!memcmp(ms[off], l->pin_ms, sizeof(ms[0][0]) * n[off])))
			continue;
		l->pin_n = n[off];
		memcpy(l->pin_lv, lv[off], n[off]);
		memcpy(l->pin_ms, ms[off], sizeof(ms[0][0]) * n[off]);
		l->pin_t0 = now;
		emu_edge_locked(off, emu_pin_level_at(l, now), now);
	}
}

/* The next waveform step after now on a line that reports edges, or -1. */
static int64_t emu_pins_next_locked(int64_t now)
{
	int64_t next = -1;

	for (unsigned i = 0; i < emu.nq; i++)
		if (next < 0 || emu.q[i].due < next)
			next = emu.q[i].due;
	for (unsigned off = 0; off < EMU_NLINES; off++) {
		const struct emu_line *l = &emu.lines[off];
		int64_t b = l->pin_t0;

		if (!(l->flags & F_EDGES) || l->req_fd < 0)
			continue;
		for (unsigned i = 0; i + 1 < l->pin_n; i++) {
			b += (int64_t)l->pin_ms[i] * 1000000;
			if (b > now) {
				if (next < 0 || b < next)
					next = b;
				break;
			}
		}
	}
	return next;
}

/* Produces the events of changes nobody reads the line for: wakes on the
 * pins file's folder changing and on the next waveform step. */
static void *emu_watch_thread(void *arg)
{
	const char *path = getenv("GPIOCHIP_EMU_PINS");
	char dir[4096];
	char *slash;
	int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	(void)arg;
	snprintf(dir, sizeof(dir), "%s", path ? path : ".");
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (ifd >= 0 && inotify_add_watch(ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
					  IN_DELETE | IN_MOVED_FROM) < 0) {
		get_close()(ifd);
		ifd = -1;
	}
	for (;;) {
		int64_t now = emu_now_ns(), next;
		/* Without inotify, look at the file every 2 ms. */
		int timeout = ifd < 0 ? 2 : 200;
		struct pollfd pfd = { .fd = ifd, .events = POLLIN };

		pthread_mutex_lock(&emu.mu);
		emu_pins_refresh_locked(now);
		next = emu_pins_next_locked(now);
		pthread_mutex_unlock(&emu.mu);
		if (next >= 0 && (next - now + 999999) / 1000000 < timeout)
			timeout = (int)((next - now + 999999) / 1000000);
		if (poll(ifd < 0 ? NULL : &pfd, ifd < 0 ? 0 : 1, timeout) > 0) {
			char buf[4096];

			while (read(ifd, buf, sizeof(buf)) > 0)
				;
		}
	}
	return NULL;
}

/* A request may now report edges: the level it starts from (no event for
 * it, as in the kernel; the caller brought the inputs up to date before it
 * changed the flags) and the watcher. */
static void emu_edges_start_locked(const struct emu_fd *e)
{
	int any = 0;

	for (unsigned i = 0; i < e->n; i++) {
		struct emu_line *l = &emu.lines[e->off[i]];

		/* As of the last refresh: later steps are events. */
		l->pin_cur = emu_pin_level_at(l, emu.pins_done);
		any |= !!(l->flags & F_EDGES);
	}
	if (any && !emu.watcher && getenv("GPIOCHIP_EMU_PINS")) {
		pthread_attr_t a;
		pthread_t t;

		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		emu.watcher = !pthread_create(&t, &a, emu_watch_thread, NULL);
		pthread_attr_destroy(&a);
	}
}

/* Physical level of a line as a get-values call reads it. */
static int emu_read_locked(unsigned off)
{
	const struct emu_line *l = &emu.lines[off];
	int64_t now;

	if (l->is_out)
		return l->level;
	if (off == emu.dio)
		return emu.sim ? sim_swdio(emu.sim) : 1;
	if (off == emu.rst)
		return emu.w_rst;
	if (off == emu.clk)
		return emu.w_clk;
	now = emu_now_ns();
	emu_pins_refresh_locked(now);
	return emu_pin_level_at(l, now);
}

/* ---- stats at exit ---- */

__attribute__((destructor)) static void emu_fini(void)
{
	const char *path;
	FILE *f;
	uint64_t total = 0;

	pthread_mutex_lock(&emu.mu);
	if (!emu.touched) {
		pthread_mutex_unlock(&emu.mu);
		return;
	}
	path = getenv("GPIOCHIP_EMU_STATS");
	if (path && *path && (f = fopen(path, "w"))) {
		for (int k = 0; k < K_NKINDS; k++)
			total += emu.counts[k];
		fprintf(f, "{\n  \"ioctls_total\": %llu,\n  \"ioctls\": {",
			(unsigned long long)total);
		for (int k = 0; k < K_NKINDS; k++)
			fprintf(f, "%s\"%s\": %llu", k ? ", " : "", emu_kind_names[k],
				(unsigned long long)emu.counts[k]);
		fprintf(f, "},\n  \"swclk_rising_edges\": %llu", (unsigned long long)emu.rising_edges);
		fprintf(f, ",\n  \"edge_events\": %llu, \"edge_events_dropped\": %llu",
			(unsigned long long)emu.edge_events, (unsigned long long)emu.edge_dropped);
		if (emu.sim) {
			const struct sim_counters *sc = sim_counters(emu.sim);

			fprintf(f, ",\n  \"sim\": {\"cycles\": %llu, \"time_ns\": %llu, "
				   "\"line_resets\": %llu, \"dp_reads\": %llu, \"dp_writes\": %llu, "
				   "\"ap_reads\": %llu, \"ap_writes\": %llu, \"acks_wait\": %llu, "
				   "\"acks_fault\": %llu, \"protocol_errors\": %llu, "
				   "\"nvmc_writes\": %llu, \"nvmc_page_erases\": %llu, "
				   "\"nvmc_erase_alls\": %llu, \"ctrlap_erase_alls\": %llu}",
				(unsigned long long)sc->cycles,
				(unsigned long long)sim_time_ns(emu.sim),
				(unsigned long long)sc->line_resets, (unsigned long long)sc->dp_reads,
				(unsigned long long)sc->dp_writes, (unsigned long long)sc->ap_reads,
				(unsigned long long)sc->ap_writes, (unsigned long long)sc->acks_wait,
				(unsigned long long)sc->acks_fault,
				(unsigned long long)sc->protocol_errors,
				(unsigned long long)sc->nvmc_writes,
				(unsigned long long)sc->nvmc_page_erases,
				(unsigned long long)sc->nvmc_erase_alls,
				(unsigned long long)sc->ctrlap_erase_alls);
		}
		fprintf(f, "\n}\n");
		fclose(f);
	}
	if (emu.vcd) {
		fprintf(emu.vcd, "#%llu\n", (unsigned long long)emu.vcd_t + 1000);
		fclose(emu.vcd);
		emu.vcd = NULL;
	}
	if (emu.sim) {
		sim_chip_free(emu.sim); /* saves the state file */
		emu.sim = NULL;
	}
	pthread_mutex_unlock(&emu.mu);
}

/* ---- file descriptors ---- */

static int emu_memfd(const char *name, int cloexec)
{
	return memfd_create(name, cloexec ? MFD_CLOEXEC : 0);
}

static struct emu_fd *emu_fd_get(int fd)
{
	return fd >= 0 && fd < EMU_MAXFD ? emu.fds[fd] : NULL;
}

static int emu_is_chip_path(const char *path)
{
	return path && !strcmp(path, emu.devpath);
}

static int emu_open_common(const char *path, int flags, int *handled)
{
	int fd;

	*handled = 0;
	if (!path)
		return -1;
	emu_lock();
	if (emu_is_chip_path(path)) {
		struct emu_fd *e;

		*handled = 1;
		fd = emu_memfd(emu.chip, flags & O_CLOEXEC);
		if (fd < 0 || fd >= EMU_MAXFD || !(e = calloc(1, sizeof(*e)))) {
			if (fd >= 0)
				get_close()(fd);
			emu_unlock();
			errno = EMFILE;
			return -1;
		}
		e->kind = EMU_FD_CHIP;
		e->wfd = -1;
		emu.fds[fd] = e;
		emu.touched = 1;
		emu_unlock();
		return fd;
	}
	if (!strcmp(path, emu.syspath)) {
		char txt[32];
		int n = snprintf(txt, sizeof(txt), "%u:%u\n", EMU_MAJOR, EMU_MINOR);

		*handled = 1;
		fd = emu_memfd("gpiochip-dev", flags & O_CLOEXEC);
		if (fd >= 0 && (write(fd, txt, (size_t)n) != n || lseek(fd, 0, SEEK_SET) != 0)) {
			get_close()(fd);
			fd = -1;
			errno = EIO;
		}
		emu_unlock();
		return fd;
	}
	emu_unlock();
	return -1;
}

EMU_API int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int handled, fd;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	fd = emu_open_common(path, flags, &handled);
	if (handled)
		return fd;
	return get_open()(path, flags, mode);
}

EMU_API int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int handled, fd;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	fd = emu_open_common(path, flags, &handled);
	if (handled)
		return fd;
	return get_open64()(path, flags, mode);
}

EMU_API int __open_2(const char *path, int flags);
EMU_API int __open_2(const char *path, int flags)
{
	int handled, fd = emu_open_common(path, flags, &handled);

	return handled ? fd : get___open_2()(path, flags);
}

EMU_API int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	int handled, fd;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (path[0] == '/') {
		fd = emu_open_common(path, flags, &handled);
		if (handled)
			return fd;
	}
	return get_openat()(dirfd, path, flags, mode);
}

static void emu_release_locked(int fd, struct emu_fd *e)
{
	if (e->kind != EMU_FD_CHIP) {
		for (unsigned i = 0; i < e->n; i++) {
			struct emu_line *l = &emu.lines[e->off[i]];

			if (l->req_fd == fd) {
				l->used = 0;
				l->req_fd = -1;
				l->consumer[0] = '\0';
				/* The pin keeps its direction and level. */
				l->flags &= F_IN | F_OUT | F_OD | F_OS;
			}
		}
		emu_wire_locked();
	}
	if (e->wfd >= 0)
		get_close()(e->wfd);
	free(e);
	emu.fds[fd] = NULL;
}

EMU_API int close(int fd)
{
	struct emu_fd *e;

	pthread_mutex_lock(&emu.mu);
	e = emu_fd_get(fd);
	if (e)
		emu_release_locked(fd, e);
	pthread_mutex_unlock(&emu.mu);
	return get_close()(fd);
}

/* ---- stat and friends ---- */

static void emu_fill_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR | 0660;
	st->st_rdev = makedev(EMU_MAJOR, EMU_MINOR);
	st->st_nlink = 1;
	st->st_blksize = 4096;
}

EMU_API int stat(const char *restrict path, struct stat *restrict st)
{
	int mine;

	emu_lock();
	mine = emu_is_chip_path(path);
	emu_unlock();
	if (mine) {
		emu_fill_stat(st);
		return 0;
	}
	return get_stat()(path, st);
}

EMU_API int lstat(const char *restrict path, struct stat *restrict st)
{
	int mine;

	emu_lock();
	mine = emu_is_chip_path(path);
	emu_unlock();
	if (mine) {
		emu_fill_stat(st);
		return 0;
	}
	return get_lstat()(path, st);
}

EMU_API int fstat(int fd, struct stat *st)
{
	int mine;

	pthread_mutex_lock(&emu.mu);
	mine = emu_fd_get(fd) && emu_fd_get(fd)->kind == EMU_FD_CHIP;
	pthread_mutex_unlock(&emu.mu);
	if (mine) {
		emu_fill_stat(st);
		return 0;
	}
	return get_fstat()(fd, st);
}

EMU_API int access(const char *path, int mode)
{
	int mine;

	emu_lock();
	mine = emu_is_chip_path(path) || !strcmp(path, emu.syspath);
	emu_unlock();
	if (mine)
		return (mode & X_OK) ? (errno = EACCES, -1) : 0;
	return get_access()(path, mode);
}

EMU_API char *realpath(const char *restrict path, char *restrict resolved)
{
	const char *answer = NULL;

	emu_lock();
	if (emu_is_chip_path(path))
		answer = emu.devpath;
	else if (path && !strcmp(path, emu.subsys))
		answer = "/sys/bus/gpio";
	emu_unlock();
	if (!answer)
		return get_realpath()(path, resolved);
	if (resolved) {
		snprintf(resolved, PATH_MAX, "%s", answer);
		return resolved;
	}
	return strdup(answer);
}

/* /dev listings include the emulated chip. */
EMU_API int scandir(const char *dir, struct dirent ***list, int (*filter)(const struct dirent *),
	    int (*compar)(const struct dirent **, const struct dirent **))
{
	int n = get_scandir()(dir, list, filter, compar);
	struct dirent *d, **grown;
	char name[32];

	if (n < 0 || (strcmp(dir, "/dev") && strcmp(dir, "/dev/")))
		return n;
	emu_lock();
	snprintf(name, sizeof(name), "%s", emu.chip);
	emu_unlock();
	for (int i = 0; i < n; i++)
		if (!strcmp((*list)[i]->d_name, name))
			return n;
	d = calloc(1, sizeof(*d));
	if (!d)
		return n;
	d->d_type = DT_CHR;
	d->d_reclen = sizeof(*d);
	snprintf(d->d_name, sizeof(d->d_name), "%s", name);
	if (filter && !filter(d)) {
		free(d);
		return n;
	}
	grown = realloc(*list, sizeof(*grown) * (size_t)(n + 1));
	if (!grown) {
		free(d);
		return n;
	}
	grown[n++] = d;
	*list = grown;
	if (compar)
		qsort(grown, (size_t)n, sizeof(*grown),
		      (int (*)(const void *, const void *))compar);
	return n;
}

/* Programs built with _FILE_OFFSET_BITS=64 call scandir64; on 64-bit
 * glibc struct dirent64 has the layout of struct dirent. */
_Static_assert(sizeof(struct dirent64) == sizeof(struct dirent), "dirent64 layout");
EMU_API int scandir64(const char *restrict dir, struct dirent64 ***restrict list,
	      int (*filter)(const struct dirent64 *),
	      int (*compar)(const struct dirent64 **, const struct dirent64 **))
{
	return scandir(dir, (struct dirent ***)list, (int (*)(const struct dirent *))filter,
		       (int (*)(const struct dirent **, const struct dirent **))compar);
}

/* ---- ioctl: uAPI v1 ---- */

static uint64_t emu_flags_v1_to_v2(uint32_t f)
{
	uint64_t o = 0;

	if (f & GPIOHANDLE_REQUEST_INPUT)
		o |= F_IN;
	if (f & GPIOHANDLE_REQUEST_OUTPUT)
		o |= F_OUT;
	if (f & GPIOHANDLE_REQUEST_ACTIVE_LOW)
		o |= F_ALOW;
	if (f & GPIOHANDLE_REQUEST_OPEN_DRAIN)
		o |= F_OD;
	if (f & GPIOHANDLE_REQUEST_OPEN_SOURCE)
		o |= F_OS;
	if (f & GPIOHANDLE_REQUEST_BIAS_PULL_UP)
		o |= F_PU;
	if (f & GPIOHANDLE_REQUEST_BIAS_PULL_DOWN)
		o |= F_PD;
	if (f & GPIOHANDLE_REQUEST_BIAS_DISABLE)
		o |= F_BD;
	return o;
}

/* The kernel's rules (gpiolib-cdev.c): one direction, drive only with
 * output, one bias, no edges on outputs. */
static int emu_flags_valid(uint64_t f)
{
	if ((f & F_IN) && (f & F_OUT))
		return 0;
	if ((f & (F_OD | F_OS)) && !(f & F_OUT))
		return 0;
	if ((f & F_OD) && (f & F_OS))
		return 0;
	if (__builtin_popcountll(f & F_BIAS) > 1)
		return 0;
	if ((f & F_EDGES) && !(f & F_IN))
		return 0;
	return 1;
}

/* Apply flags (and an output value, logical) to one line. */
static void emu_apply_locked(unsigned off, uint64_t f, int value)
{
	struct emu_line *l = &emu.lines[off];

	l->flags = f;
	if (f & F_OUT) {
		l->is_out = 1;
		l->level = (!!value) ^ !!(f & F_ALOW);
	} else if (f & F_IN) {
		l->is_out = 0;
	}
	if (off != emu.clk && off != emu.dio && off != emu.rst)
		emu_pin_file_outputs_locked();
}

static int emu_logical_locked(unsigned off)
{
	return emu_read_locked(off) ^ !!(emu.lines[off].flags & F_ALOW);
}

static uint32_t emu_info_v1_flags(const struct emu_line *l)
{
	uint32_t f = 0;

	if (l->used)
		f |= GPIOLINE_FLAG_KERNEL;
	if (l->is_out)
		f |= GPIOLINE_FLAG_IS_OUT;
	if (l->flags & F_ALOW)
		f |= GPIOLINE_FLAG_ACTIVE_LOW;
	if (l->flags & F_OD)
		f |= GPIOLINE_FLAG_OPEN_DRAIN;
	if (l->flags & F_OS)
		f |= GPIOLINE_FLAG_OPEN_SOURCE;
	if (l->flags & F_PU)
		f |= GPIOLINE_FLAG_BIAS_PULL_UP;
	if (l->flags & F_PD)
		f |= GPIOLINE_FLAG_BIAS_PULL_DOWN;
	if (l->flags & F_BD)
		f |= GPIOLINE_FLAG_BIAS_DISABLE;
	return f;
}

static int emu_new_request_locked(enum emu_fd_kind kind, const uint32_t *offs, unsigned n,
				  const char *consumer, int cloexec, struct emu_fd **out)
{
	struct emu_fd *e;
	int fd, wfd;

	if (n == 0 || n > GPIO_V2_LINES_MAX)
		return -EINVAL;
	emu_pins_refresh_locked(emu_now_ns()); /* changes before the request: no events */
	for (unsigned i = 0; i < n; i++) {
		if (offs[i] >= EMU_NLINES)
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (offs[j] == offs[i])
				return -EBUSY;
		if (emu.lines[offs[i]].used)
			return -EBUSY;
	}
	/* A handle is a memfd; what may carry events is a pipe (events are
	 * written to its other end, poll and read need no interposing). */
	if (kind == EMU_FD_HANDLE_V1) {
		fd = emu_memfd("gpio-line", cloexec);
		wfd = -1;
	} else {
		int p[2];

		if (pipe2(p, cloexec ? O_CLOEXEC : 0))
			return -errno;
		fd = p[0];
		wfd = p[1];
		fcntl(wfd, F_SETFL, O_NONBLOCK);
		fcntl(wfd, F_SETFD, FD_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	if (fd >= EMU_MAXFD || !(e = calloc(1, sizeof(*e)))) {
		get_close()(fd);
		if (wfd >= 0)
			get_close()(wfd);
		return -EMFILE;
	}
	e->kind = kind;
	e->wfd = wfd;
	e->id = ++emu.next_id;
	e->fd = fd;
	e->n = n;
	for (unsigned i = 0; i < n; i++) {
		struct emu_line *l = &emu.lines[offs[i]];

		e->off[i] = offs[i];
		l->used = 1;
		l->req_fd = fd;
		snprintf(l->consumer, sizeof(l->consumer), "%.*s", GPIO_MAX_NAME_SIZE - 1,
			 consumer && *consumer ? consumer : "?");
	}
	emu.fds[fd] = e;
	*out = e;
	return fd;
}

static int emu_ioctl_chip_locked(unsigned long req, void *arg)
{
	switch (req) {
	case GPIO_GET_CHIPINFO_IOCTL: {
		struct gpiochip_info *ci = arg;

		emu.counts[K_CHIPINFO]++;
		memset(ci, 0, sizeof(*ci));
		snprintf(ci->name, sizeof(ci->name), "%s", emu.chip);
		snprintf(ci->label, sizeof(ci->label), "%s", emu.label);
		ci->lines = EMU_NLINES;
		return 0;
	}
	case GPIO_GET_LINEINFO_IOCTL: {
		struct gpioline_info *li = arg;
		const struct emu_line *l;

		emu.counts[K_LINEINFO_V1]++;
		if (li->line_offset >= EMU_NLINES)
			return -EINVAL;
		l = &emu.lines[li->line_offset];
		li->flags = emu_info_v1_flags(l);
		snprintf(li->name, sizeof(li->name), "%s", emu_names[li->line_offset]);
		snprintf(li->consumer, sizeof(li->consumer), "%s", l->consumer);
		return 0;
	}
	case GPIO_V2_GET_LINEINFO_IOCTL: {
		struct gpio_v2_line_info *li = arg;
		const struct emu_line *l;
		uint32_t off = li->offset;

		emu.counts[K_LINEINFO_V2]++;
		if (off >= EMU_NLINES)
			return -EINVAL;
		l = &emu.lines[off];
		memset(li, 0, sizeof(*li));
		li->offset = off;
		snprintf(li->name, sizeof(li->name), "%s", emu_names[off]);
		snprintf(li->consumer, sizeof(li->consumer), "%s", l->consumer);
		li->flags = (l->flags & (F_ALOW | F_OD | F_OS | F_BIAS | F_EDGES)) |
			    (l->is_out ? F_OUT : F_IN) | (l->used ? F_USED : 0);
		return 0;
	}
	case GPIO_GET_LINEINFO_WATCH_IOCTL:
	case GPIO_V2_GET_LINEINFO_WATCH_IOCTL:
		emu.counts[K_WATCH]++;
		return -EOPNOTSUPP;
	case GPIO_GET_LINEINFO_UNWATCH_IOCTL:
		emu.counts[K_UNWATCH]++;
		return -EOPNOTSUPP;
	case GPIO_GET_LINEEVENT_IOCTL: {
		struct gpioevent_request *er = arg;
		const uint32_t bad = GPIOHANDLE_REQUEST_OUTPUT | GPIOHANDLE_REQUEST_OPEN_DRAIN |
				     GPIOHANDLE_REQUEST_OPEN_SOURCE;
		uint64_t f;
		struct emu_fd *e;
		int fd;

		emu.counts[K_LINEEVENT_V1]++;
		/* lineevent_create(): an input, no drive flags, known edges. */
		if ((er->handleflags & bad) || (er->eventflags & ~GPIOEVENT_REQUEST_BOTH_EDGES))
			return -EINVAL;
		f = emu_flags_v1_to_v2(er->handleflags) | F_IN |
		    ((er->eventflags & GPIOEVENT_REQUEST_RISING_EDGE) ? GPIO_V2_LINE_FLAG_EDGE_RISING : 0) |
		    ((er->eventflags & GPIOEVENT_REQUEST_FALLING_EDGE) ? GPIO_V2_LINE_FLAG_EDGE_FALLING : 0);
		if (!emu_flags_valid(f))
			return -EINVAL;
		fd = emu_new_request_locked(EMU_FD_EVENT_V1, &er->lineoffset, 1,
					    er->consumer_label, 1, &e);
		if (fd < 0)
			return fd;
		emu_apply_locked(e->off[0], f, 0);
		emu_wire_locked();
		emu_edges_start_locked(e);
		er->fd = fd;
		return 0;
	}
	case GPIO_GET_LINEHANDLE_IOCTL: {
		struct gpiohandle_request *hr = arg;
		uint64_t f = emu_flags_v1_to_v2(hr->flags);
		struct emu_fd *e;
		int fd;

		emu.counts[K_LINEHANDLE_V1]++;
		if (!emu_flags_valid(f) || hr->lines > GPIOHANDLES_MAX)
			return -EINVAL;
		fd = emu_new_request_locked(EMU_FD_HANDLE_V1, hr->lineoffsets, hr->lines,
					    hr->consumer_label, 1, &e);
		if (fd < 0)
			return fd;
		for (unsigned i = 0; i < e->n; i++)
			emu_apply_locked(e->off[i], f, hr->default_values[i]);
		emu_wire_locked();
		hr->fd = fd;
		return 0;
	}
	case GPIO_V2_GET_LINE_IOCTL: {
		struct gpio_v2_line_request *lr = arg;
		const struct gpio_v2_line_config *lc = &lr->config;
		struct emu_fd *e;
		int fd;

		emu.counts[K_LINE_V2]++;
		if (lc->num_attrs > GPIO_V2_LINE_NUM_ATTRS_MAX || lr->num_lines > GPIO_V2_LINES_MAX)
			return -EINVAL;
		for (unsigned i = 0; i < lr->num_lines; i++) {
			uint64_t f = lc->flags;

			for (unsigned a = 0; a < lc->num_attrs; a++)
				if (lc->attrs[a].attr.id == GPIO_V2_LINE_ATTR_ID_FLAGS &&
				    (lc->attrs[a].mask >> i & 1))
					f = lc->attrs[a].attr.flags;
			if (!emu_flags_valid(f))
				return -EINVAL;
		}
		for (unsigned a = 0; a < lc->num_attrs; a++)
			if (lc->attrs[a].attr.id == GPIO_V2_LINE_ATTR_ID_DEBOUNCE)
				return -EOPNOTSUPP; /* not emulated */
		fd = emu_new_request_locked(EMU_FD_REQ_V2, lr->offsets, lr->num_lines,
					    lr->consumer, 1, &e);
		if (fd < 0)
			return fd;
		for (unsigned i = 0; i < e->n; i++) {
			uint64_t f = lc->flags;
			int val = 0;

			for (unsigned a = 0; a < lc->num_attrs; a++) {
				const struct gpio_v2_line_config_attribute *ca = &lc->attrs[a];

				if (!(ca->mask >> i & 1))
					continue;
				if (ca->attr.id == GPIO_V2_LINE_ATTR_ID_FLAGS)
					f = ca->attr.flags;
				else if (ca->attr.id == GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES)
					val = (int)(ca->attr.values >> i & 1);
			}
			emu_apply_locked(e->off[i], f, val);
		}
		emu_wire_locked();
		emu_edges_start_locked(e);
		lr->fd = fd;
		return 0;
	}
	default:
		emu.counts[K_OTHER]++;
		if (getenv("GPIOCHIP_EMU_DEBUG"))
			fprintf(stderr, "gpiochip_emu: unknown chip ioctl 0x%lx\n", req);
		return -ENOTTY;
	}
}

static int emu_ioctl_handle_locked(struct emu_fd *e, unsigned long req, void *arg)
{
	switch (req) {
	case GPIOHANDLE_GET_LINE_VALUES_IOCTL: {
		struct gpiohandle_data *hd = arg;

		emu.counts[K_GET_V1]++;
		if (e->kind != EMU_FD_HANDLE_V1 && e->kind != EMU_FD_EVENT_V1)
			return -ENOTTY;
		memset(hd, 0, sizeof(*hd));
		for (unsigned i = 0; i < e->n; i++)
			hd->values[i] = (uint8_t)emu_logical_locked(e->off[i]);
		return 0;
	}
	case GPIOHANDLE_SET_LINE_VALUES_IOCTL: {
		struct gpiohandle_data *hd = arg;

		emu.counts[K_SET_V1]++;
		if (e->kind != EMU_FD_HANDLE_V1)
			return -ENOTTY;
		for (unsigned i = 0; i < e->n; i++)
			if (!emu.lines[e->off[i]].is_out)
				return -EPERM;
		for (unsigned i = 0; i < e->n; i++) {
			struct emu_line *l = &emu.lines[e->off[i]];

			l->level = (!!hd->values[i]) ^ !!(l->flags & F_ALOW);
		}
		emu_wire_locked();
		emu_pin_file_outputs_locked();
		return 0;
	}
	case GPIOHANDLE_SET_CONFIG_IOCTL: {
		struct gpiohandle_config *hc = arg;
		uint64_t f = emu_flags_v1_to_v2(hc->flags);

		emu.counts[K_SETCFG_V1]++;
		if (e->kind != EMU_FD_HANDLE_V1)
			return -ENOTTY;
		if (!emu_flags_valid(f))
			return -EINVAL;
		/* v1 applies one configuration to every line of the handle. */
		for (unsigned i = 0; i < e->n; i++)
			emu_apply_locked(e->off[i], f, hc->default_values[i]);
		emu_wire_locked();
		return 0;
	}
	case GPIO_V2_LINE_GET_VALUES_IOCTL: {
		struct gpio_v2_line_values *lv = arg;
		uint64_t bits = 0;

		emu.counts[K_GET_V2]++;
		if (e->kind != EMU_FD_REQ_V2)
			return -ENOTTY;
		if (!lv->mask)
			return -EINVAL;
		for (unsigned i = 0; i < e->n; i++)
			if (lv->mask >> i & 1)
				bits |= (uint64_t)emu_logical_locked(e->off[i]) << i;
		lv->bits = bits;
		return 0;
	}
	case GPIO_V2_LINE_SET_VALUES_IOCTL: {
		struct gpio_v2_line_values *lv = arg;

		emu.counts[K_SET_V2]++;
		if (e->kind != EMU_FD_REQ_V2)
			return -ENOTTY;
		if (!lv->mask)
			return -EINVAL;
		for (unsigned i = 0; i < e->n; i++)
			if ((lv->mask >> i & 1) && !emu.lines[e->off[i]].is_out)
				return -EPERM;
		int bench = 0; /* a line that is not SWD's: PATH.out */

		for (unsigned i = 0; i < e->n; i++) {
			struct emu_line *l = &emu.lines[e->off[i]];

			if (lv->mask >> i & 1) {
				l->level = (int)(lv->bits >> i & 1) ^ !!(l->flags & F_ALOW);
				bench |= !emu_is_swd(e->off[i]);
			}
		}
		emu_wire_locked();
		if (bench)
			emu_pin_file_outputs_locked();
		return 0;
	}
	case GPIO_V2_LINE_SET_CONFIG_IOCTL: {
		struct gpio_v2_line_config *lc = arg;

		emu.counts[K_SETCFG_V2]++;
		if (e->kind != EMU_FD_REQ_V2)
			return -ENOTTY;
		if (lc->num_attrs > GPIO_V2_LINE_NUM_ATTRS_MAX)
			return -EINVAL;
		for (unsigned a = 0; a < lc->num_attrs; a++)
			if (lc->attrs[a].attr.id == GPIO_V2_LINE_ATTR_ID_DEBOUNCE)
				return -EOPNOTSUPP; /* not emulated */
		emu_pins_refresh_locked(emu_now_ns());
		for (int pass = 0; pass < 2; pass++) {
			for (unsigned i = 0; i < e->n; i++) {
				uint64_t f = lc->flags;
				int val = 0;

				for (unsigned a = 0; a < lc->num_attrs; a++) {
					const struct gpio_v2_line_config_attribute *ca = &lc->attrs[a];

					if (!(ca->mask >> i & 1))
						continue;
					if (ca->attr.id == GPIO_V2_LINE_ATTR_ID_FLAGS)
						f = ca->attr.flags;
					else if (ca->attr.id == GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES)
						val = (int)(ca->attr.values >> i & 1);
				}
				if (pass == 0 && !emu_flags_valid(f))
					return -EINVAL;
				if (pass == 1)
					emu_apply_locked(e->off[i], f, val);
			}
		}
		emu_wire_locked();
		emu_edges_start_locked(e);
		return 0;
	}
	default:
		emu.counts[K_OTHER]++;
		return -ENOTTY;
	}
}

EMU_API int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	struct emu_fd *e;
	int rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&emu.mu);
	e = emu_fd_get(fd);
	if (!e) {
		pthread_mutex_unlock(&emu.mu);
		return get_ioctl()(fd, req, arg);
	}
	/* The kernel takes the command as 32 bits; callers passing an int
	 * constant (libgpiod 2.x) sign-extend it. */
	if (!arg)
		rc = -EFAULT;
	else if (e->kind == EMU_FD_CHIP)
		rc = emu_ioctl_chip_locked((uint32_t)req, arg);
	else if (emu.fail_errno && !emu.fail_after)
		rc = -emu.fail_errno; /* a line ioctl failing, as on a vanished chip */
	else {
		if (emu.fail_errno)
			emu.fail_after--;
		rc = emu_ioctl_handle_locked(e, (uint32_t)req, arg);
	}
	pthread_mutex_unlock(&emu.mu);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

/* ---- test hooks (dlsym(RTLD_DEFAULT, ...) from tests/check_gpiod.c) ---- */

EMU_API uint64_t gpiochip_emu_count(const char *kind);
EMU_API void gpiochip_emu_wire(int *swclk, int *swdio, int *host_drives, int *nreset,
			       uint64_t *rising_edges);
EMU_API int gpiochip_emu_take(unsigned off, const char *consumer);
EMU_API int gpiochip_emu_consumer(unsigned off, char *buf, size_t len);
EMU_API void gpiochip_emu_fail(uint64_t after, int err);

/* ioctls of one kind (a name from emu_kind_names), or all for "total". */
uint64_t gpiochip_emu_count(const char *kind)
{
	uint64_t n = 0;

	emu_lock();
	for (int k = 0; k < K_NKINDS; k++)
		if (!strcmp(kind, "total") || !strcmp(kind, emu_kind_names[k]))
			n += emu.counts[k];
	emu_unlock();
	return n;
}

/* What the simulated chip sees on its pins. */
void gpiochip_emu_wire(int *swclk, int *swdio, int *host_drives, int *nreset,
		       uint64_t *rising_edges)
{
	emu_lock();
	*swclk = emu.w_clk;
	*swdio = emu.sim ? sim_swdio(emu.sim) : emu.w_dio;
	*host_drives = emu.w_drv;
	*nreset = emu.w_rst;
	*rising_edges = emu.rising_edges;
	emu_unlock();
}

/* Another program takes (consumer != NULL) or frees a line. -1 if the line
 * is requested through this emulator. */
int gpiochip_emu_take(unsigned off, const char *consumer)
{
	int rc = 0;

	emu_lock();
	if (off >= EMU_NLINES || emu.lines[off].req_fd >= 0) {
		rc = -1;
	} else if (consumer) {
		emu_take(off, consumer);
	} else {
		emu.lines[off].used = 0;
		emu.lines[off].consumer[0] = '\0';
	}
	emu_unlock();
	return rc;
}

/* The consumer holding a line ("" when free); 1 if used, 0 if free. */
int gpiochip_emu_consumer(unsigned off, char *buf, size_t len)
{
	int used;

	emu_lock();
	used = off < EMU_NLINES && emu.lines[off].used;
	snprintf(buf, len, "%s", off < EMU_NLINES ? emu.lines[off].consumer : "");
	emu_unlock();
	return used;
}

/* After `after` more ioctls on line handles/requests succeed, fail every
 * later one with errno err (err 0: never fail again). */
void gpiochip_emu_fail(uint64_t after, int err)
{
	emu_lock();
	emu.fail_after = after;
	emu.fail_errno = err;
	emu_unlock();
}
