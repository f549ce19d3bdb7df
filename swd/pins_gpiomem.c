// SPDX-License-Identifier: GPL-2.0-or-later
/* swd_pins_gpiomem: SWCLK/SWDIO/nRESET by GPIO register writes.
 *
 * Framing as every pins driver (sim/sim.h): the host changes SWDIO while
 * SWCLK is low, samples target bits after the falling edge, and every
 * cycle ends with SWCLK high. Costs per SWCLK cycle (counted in
 * swd_gpiomem_counts(), figures in make bench): a host bit is two writes
 * (GPCLR with SWCLK, GPSET with SWCLK) plus one when SWDIO changes; a
 * target bit is two writes and one GPLEV read.
 *
 * The hazard: the function of a pin is 3 bits of a GPFSEL register shared
 * with nine other pins. Changing SWDIO's direction is a read-modify-write
 * of that register; if another program changes a pin of the same register
 * between our read and our write, its change is lost. We re-read the
 * register every time (never a cached copy) and touch only our 3 bits,
 * which narrows the window to a few hundred nanoseconds but cannot close
 * it: the hardware has no set/clear alias for GPFSEL. Keep other users
 * off GPIO20-29 (SWDIO 24's register, with the default wiring) while
 * flashing. Pulls on the BCM2835 are write-only (GPPUD/GPPUDCLK): we set
 * pull-ups on SWDIO and nRESET and cannot put back what was there.
 *
 * RP1 (Pi 5) has none of that hazard: every pin has its own CTRL and PADS
 * register, and output value and enable are set and cleared through the
 * atomic SET/CLR aliases of SYS_RIO0, so a direction change is one store.
 * Its cost is elsewhere: RP1 sits behind PCIe, so stores are posted (fast)
 * but every SYNC_IN read is a round trip (make bench models it). */
#include "pins_gpiomem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../common/clock.h"
#include "pins_gpiod.h"

struct gm_pin {
	uint32_t num, bit;             /* GPIO number, 1 << (num % 32) */
	uint32_t set, clr, lev;        /* registers that drive it high, low, read it */
	uint32_t fsel, shift;          /* BCM: its GPFSEL register and bit position */
	uint32_t fsel_orig;            /* BCM: its 3 function bits at open */
	uint32_t ctrl_orig, pads_orig; /* RP1: its CTRL and PADS registers at open */
	int oe_orig;                   /* RP1: output enable at open */
};

struct gm {
	struct swd_pins_ops ops;  /* gm_ops, without nreset when no line is wired */
	struct swd_gpiomem_cfg cfg;
	const struct swd_gpiomem_regs *regs;
	void *rc;
	struct gm_pin clk, dio, rst;
	int have_rst;
	int swclk, swdio, out;         /* levels driven, SWDIO direction */
	uint64_t half_ns, next_edge_ns;
	uint64_t reads, writes, cycles;
	uint64_t busy_cycles, busy_ns; /* inside the bulk ops: the measured frequency */
	char where[600];
	char desc[900];
};

/* ---- register access ---- */

static inline uint32_t gm_rd(struct gm *g, uint32_t off)
{
	g->reads++;
	return g->regs->read32(g->rc, off);
}

static inline void gm_wr(struct gm *g, uint32_t off, uint32_t v)
{
	g->writes++;
	g->regs->write32(g->rc, off, v);
}

/* Between a write and a read that depends on it (SWCLK low, then sample
 * SWDIO). BCM2835 ARM Peripherals section 1.3: accesses to one peripheral
 * arrive in order, but a barrier is required around accesses that
 * depend on each other across the bus; the GPIO block is device memory,
 * so "dmb" orders our store before the load. */
static inline void gm_barrier(void)
{
#if defined(__aarch64__)
	__asm__ __volatile__("dmb sy" ::: "memory");
#elif defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7
	__asm__ __volatile__("dmb" ::: "memory");
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

static uint64_t gm_now_ns(struct gm *g)
{
	if (g->regs->now_ns)
		return g->regs->now_ns(g->rc);
	return (uint64_t)clock_mono_ns();
}

static void gm_sleep_ns(struct gm *g, uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000U),
			       .tv_nsec = (long)(ns % 1000000000U) };

	if (g->regs->delay_ns) {
		g->regs->delay_ns(g->rc, ns);
		return;
	}
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Pacing: an edge no sooner than half a period after the last one. The
 * deadline is read from the clock, so the delay calibrates itself to
 * whatever the stores and the clock read cost on this Pi. */
static inline void gm_pace(struct gm *g)
{
	uint64_t now;

	if (!g->half_ns)
		return;
	now = gm_now_ns(g);
	if (now < g->next_edge_ns) {
		if (g->regs->delay_ns) {
			g->regs->delay_ns(g->rc, g->next_edge_ns - now);
			now = g->next_edge_ns;
		} else {
			do
				now = gm_now_ns(g);
			while (now < g->next_edge_ns);
		}
	}
	g->next_edge_ns = now + g->half_ns;
}

/* Function select of one pin: re-read, change our 3 bits, write (the
 * hazard in the header comment). */
static void gm_fsel(struct gm *g, const struct gm_pin *p, uint32_t f)
{
	uint32_t v = gm_rd(g, p->fsel);

	v = (v & ~(7U << p->shift)) | (f << p->shift);
	gm_wr(g, p->fsel, v);
}

/* A pin an input or an output (of its latch). */
static void gm_setdir(struct gm *g, const struct gm_pin *p, int output)
{
	if (g->cfg.soc == SWD_GPIOMEM_RP1)
		gm_wr(g, SWD_GM_RP1_RIO_OE + (output ? SWD_GM_RP1_SET : SWD_GM_RP1_CLR), p->bit);
	else
		gm_fsel(g, p, output ? SWD_GM_FSEL_OUTPUT : SWD_GM_FSEL_INPUT);
}

/* Pull-up on one pin. BCM2835 ARM Peripherals p.101: write GPPUD, wait
 * 150 cycles, write GPPUDCLK, wait 150 cycles, write GPPUD 0 and
 * GPPUDCLK 0. 150 cycles of the 250 MHz core clock are 0.6 us; we wait
 * 5 us. BCM2711 ARM Peripherals 5.2: 2 bits a pin, 01 = pull-up. */
static void gm_pull_up(struct gm *g, const struct gm_pin *p)
{
	if (g->cfg.soc == SWD_GPIOMEM_RP1) {
		/* PADS: pull-up, input enabled, output not disabled. */
		uint32_t v = gm_rd(g, SWD_GM_RP1_PADS(p->num));

		v &= ~(SWD_GM_RP1_PADS_PDE | SWD_GM_RP1_PADS_OD);
		gm_wr(g, SWD_GM_RP1_PADS(p->num), v | SWD_GM_RP1_PADS_PUE | SWD_GM_RP1_PADS_IE);
	} else if (g->cfg.soc == SWD_GPIOMEM_BCM2835) {
		gm_wr(g, SWD_GM_GPPUD, 2U);
		gm_sleep_ns(g, 5000U);
		gm_wr(g, SWD_GM_GPPUDCLK0 + 4U * (p->num / 32U), p->bit);
		gm_sleep_ns(g, 5000U);
		gm_wr(g, SWD_GM_GPPUD, 0U);
		gm_wr(g, SWD_GM_GPPUDCLK0 + 4U * (p->num / 32U), 0U);
	} else {
		uint32_t off = SWD_GM_PUP_PDN0 + 4U * (p->num / 16U);
		uint32_t sh = 2U * (p->num % 16U);
		uint32_t v = gm_rd(g, off);

		gm_wr(g, off, (v & ~(3U << sh)) | (1U << sh));
	}
}

/* ---- the ops ---- */

static inline void gm_clk(struct gm *g, int level)
{
	gm_wr(g, level ? g->clk.set : g->clk.clr, g->clk.bit);
	g->cycles += level && !g->swclk; /* rising edges, as the target counts them */
	g->swclk = level;
}

static inline void gm_dio(struct gm *g, int level)
{
	gm_wr(g, level ? g->dio.set : g->dio.clr, g->dio.bit);
	g->swdio = level;
}

static void gm_set(void *ctx, int swclk, int swdio)
{
	struct gm *g = ctx;

	swclk = !!swclk;
	swdio = !!swdio;
	gm_pace(g);
	/* SWDIO first while SWCLK is low; on a falling edge, SWCLK first. */
	if (!swclk && g->swclk)
		gm_clk(g, 0);
	if (g->out && swdio != g->swdio)
		gm_dio(g, swdio);
	if (swclk != g->swclk)
		gm_clk(g, swclk);
}

static int gm_get(void *ctx)
{
	struct gm *g = ctx;

	gm_barrier();
	return !!(gm_rd(g, g->dio.lev) & g->dio.bit);
}

static void gm_dir(void *ctx, int output)
{
	struct gm *g = ctx;

	output = !!output;
	if (output == g->out)
		return;
	if (output)
		gm_dio(g, g->swdio); /* the latch first: no glitch when it starts driving */
	gm_setdir(g, &g->dio, output);
	g->out = output;
}

/* nRESET as open drain: low = output driving 0, high = input (released,
 * pulled up here and inside the nRF52). */
static int gm_nreset(void *ctx, int level)
{
	struct gm *g = ctx;

	if (level) {
		gm_setdir(g, &g->rst, 0);
	} else {
		gm_wr(g, g->rst.clr, g->rst.bit);
		gm_setdir(g, &g->rst, 1);
	}
	return 0;
}

static void gm_delay_us(void *ctx, uint32_t us)
{
	gm_sleep_ns(ctx, (uint64_t)us * 1000U);
}

static uint64_t gm_now_us(void *ctx)
{
	return gm_now_ns(ctx) / 1000U;
}

static void gm_seq_out(void *ctx, uint32_t bits, unsigned n)
{
	struct gm *g = ctx;
	uint64_t t0 = gm_now_ns(g), c0 = g->cycles;

	for (unsigned i = 0; i < n; i++, bits >>= 1) {
		gm_pace(g);
		gm_clk(g, 0);
		if (g->out && (int)(bits & 1U) != g->swdio)
			gm_dio(g, (int)(bits & 1U));
		gm_pace(g);
		gm_clk(g, 1);
	}
	g->busy_cycles += g->cycles - c0;
	g->busy_ns += gm_now_ns(g) - t0;
}

static uint32_t gm_seq_in(void *ctx, unsigned n)
{
	struct gm *g = ctx;
	uint32_t v = 0;
	uint64_t t0 = gm_now_ns(g), c0 = g->cycles;

	for (unsigned i = 0; i < n; i++) {
		gm_pace(g);
		gm_clk(g, 0);
		gm_barrier();
		v |= (uint32_t)!!(gm_rd(g, g->dio.lev) & g->dio.bit) << i;
		gm_pace(g);
		gm_clk(g, 1);
	}
	g->busy_cycles += g->cycles - c0;
	g->busy_ns += gm_now_ns(g) - t0;
	return v;
}

static const char *gm_describe(void *ctx)
{
	struct gm *g = ctx;
	char rst[48], speed[160];

	if (g->have_rst)
		snprintf(rst, sizeof(rst), "nRESET=GPIO%u", g->cfg.rst);
	else
		snprintf(rst, sizeof(rst), "no nRESET");
	if (g->busy_cycles && g->busy_ns)
		snprintf(speed, sizeof(speed), "%s, measured %.0f kHz over %llu cycles",
			 g->cfg.max_hz ? "paced" : "unpaced",
			 (double)g->busy_cycles * 1e6 / (double)g->busy_ns,
			 (unsigned long long)g->busy_cycles);
	else if (g->cfg.max_hz)
		snprintf(speed, sizeof(speed), "max %u Hz", g->cfg.max_hz);
	else
		snprintf(speed, sizeof(speed), "unpaced");
	snprintf(g->desc, sizeof(g->desc), "gpiomem %s%s%s: SWCLK=GPIO%u SWDIO=GPIO%u %s, %s",
		 swd_gpiomem_soc_name(g->cfg.soc), g->where[0] ? " " : "", g->where, g->cfg.clk,
		 g->cfg.dio, rst, speed);
	return g->desc;
}

static void gm_restore(struct gm *g, const struct gm_pin *p)
{
	if (g->cfg.soc != SWD_GPIOMEM_RP1) {
		gm_fsel(g, p, p->fsel_orig);
		return;
	}
	gm_setdir(g, p, p->oe_orig);
	gm_wr(g, SWD_GM_RP1_CTRL(p->num), p->ctrl_orig);
	gm_wr(g, SWD_GM_RP1_PADS(p->num), p->pads_orig);
}

static void gm_free(void *ctx)
{
	struct gm *g = ctx;

	if (!g)
		return;
	gm_restore(g, &g->dio);
	gm_restore(g, &g->clk);
	if (g->have_rst)
		gm_restore(g, &g->rst);
	if (g->regs->free)
		g->regs->free(g->rc);
	free(g);
}

static const struct swd_pins_ops gm_ops = {
	.set = gm_set,
	.get = gm_get,
	.dir = gm_dir,
	.nreset = gm_nreset,
	.delay_us = gm_delay_us,
	.now_us = gm_now_us,
	.seq_out = gm_seq_out,
	.seq_in = gm_seq_in,
	.describe = gm_describe,
	.free = gm_free,
};


const char *swd_gpiomem_soc_name(enum swd_gpiomem_soc soc)
{
	return soc == SWD_GPIOMEM_BCM2711 ? "bcm2711" : soc == SWD_GPIOMEM_RP1 ? "rp1" : "bcm2835";
}

void swd_gpiomem_counts(void *ctx, uint64_t *reads, uint64_t *writes, uint64_t *cycles)
{
	const struct gm *g = ctx;

	*reads = g->reads;
	*writes = g->writes;
	*cycles = g->cycles;
}

static void gm_pin_init(struct gm *g, struct gm_pin *p, uint32_t num)
{
	p->num = num;
	if (g->cfg.soc == SWD_GPIOMEM_RP1) {
		p->bit = 1U << num; /* bank 0 only */
		p->set = SWD_GM_RP1_RIO_OUT + SWD_GM_RP1_SET;
		p->clr = SWD_GM_RP1_RIO_OUT + SWD_GM_RP1_CLR;
		p->lev = SWD_GM_RP1_RIO_SYNC_IN;
		p->ctrl_orig = gm_rd(g, SWD_GM_RP1_CTRL(num));
		p->pads_orig = gm_rd(g, SWD_GM_RP1_PADS(num));
		p->oe_orig = !!(gm_rd(g, SWD_GM_RP1_RIO_OE) & p->bit);
		return;
	}
	p->bit = 1U << (num % 32U);
	p->set = SWD_GM_GPSET0 + 4U * (num / 32U);
	p->clr = SWD_GM_GPCLR0 + 4U * (num / 32U);
	p->lev = SWD_GM_GPLEV0 + 4U * (num / 32U);
	p->fsel = SWD_GM_GPFSEL0 + 4U * (num / 10U);
	p->shift = 3U * (num % 10U);
	p->fsel_orig = (gm_rd(g, p->fsel) >> p->shift) & 7U;
}

/* RP1: hand the pin to SYS_RIO (function 5), as the kernel does for a GPIO. */
static void gm_rp1_take(struct gm *g, const struct gm_pin *p)
{
	uint32_t v = gm_rd(g, SWD_GM_RP1_CTRL(p->num));

	gm_wr(g, SWD_GM_RP1_CTRL(p->num), (v & ~SWD_GM_RP1_FSEL_MASK) | SWD_GM_RP1_FSEL_SYS_RIO);
}

/* SWCLK output low, SWDIO output high with a pull-up, nRESET released. */
static void gm_setup(struct gm *g)
{
	if (g->cfg.soc == SWD_GPIOMEM_RP1) {
		uint32_t v = gm_rd(g, SWD_GM_RP1_PADS(g->clk.num));

		/* SWCLK's pad: input enabled (so SYNC_IN shows it), output on, no pull. */
		v &= ~(SWD_GM_RP1_PADS_OD | SWD_GM_RP1_PADS_PUE | SWD_GM_RP1_PADS_PDE);
		gm_wr(g, SWD_GM_RP1_PADS(g->clk.num), v | SWD_GM_RP1_PADS_IE);
	}
	/* Latches first, then outputs (no glitch). */
	gm_wr(g, g->clk.clr, g->clk.bit);
	gm_wr(g, g->dio.set, g->dio.bit);
	gm_pull_up(g, &g->dio);
	if (g->cfg.soc == SWD_GPIOMEM_RP1) {
		gm_rp1_take(g, &g->clk);
		gm_rp1_take(g, &g->dio);
	}
	gm_setdir(g, &g->clk, 1);
	gm_setdir(g, &g->dio, 1);
	if (g->have_rst) {
		gm_pull_up(g, &g->rst);
		gm_setdir(g, &g->rst, 0);
		if (g->cfg.soc == SWD_GPIOMEM_RP1)
			gm_rp1_take(g, &g->rst);
	}
}

int swd_pins_gpiomem_new(const struct swd_gpiomem_cfg *cfg, const struct swd_gpiomem_regs *regs,
			 void *regctx, struct swd_pins *out, struct sf_err *err)
{
	/* GPIO0-53 on the BCM2835 (ARM Peripherals 6.1), 0-57 on the BCM2711
	 * (5.1), the header's bank 0 on RP1. */
	uint32_t npins = cfg->soc == SWD_GPIOMEM_BCM2711 ? 58U
			 : cfg->soc == SWD_GPIOMEM_RP1	 ? SWD_GM_RP1_NPINS
							 : 54U;
	struct gm *g;

	memset(out, 0, sizeof(*out));
	if (cfg->clk >= npins || cfg->dio >= npins ||
	    (cfg->rst != SWD_GM_NONE && cfg->rst >= npins) || cfg->clk == cfg->dio ||
	    cfg->rst == cfg->clk || cfg->rst == cfg->dio) {
		if (regs->free)
			regs->free(regctx);
		return sf_err_set(err, SF_E_ARG,
				   "probe gpiomem: the %s has GPIO0..%u; swclk, swdio and nreset "
				   "must be different lines among them",
				   swd_gpiomem_soc_name(cfg->soc), npins - 1U);
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		if (regs->free)
			regs->free(regctx);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	g->cfg = *cfg;
	g->cfg.where = NULL;
	snprintf(g->where, sizeof(g->where), "%s", cfg->where ? cfg->where : "");
	g->regs = regs;
	g->rc = regctx;
	g->have_rst = cfg->rst != SWD_GM_NONE;
	gm_pin_init(g, &g->clk, cfg->clk);
	gm_pin_init(g, &g->dio, cfg->dio);
	gm_pin_init(g, &g->rst, g->have_rst ? cfg->rst : cfg->clk);
	gm_setup(g);
	g->swclk = 0;
	g->swdio = 1;
	g->out = 1;
	if (cfg->max_hz)
		g->half_ns = 500000000U / cfg->max_hz;
	/* without an nRESET line the op is absent, so the DAP does not
	 * advertise a reset pin */
	g->ops = gm_ops;
	if (!g->have_rst)
		g->ops.nreset = NULL;
	out->ops = &g->ops;
	out->ctx = g;
	out->out = 1;
	return 0;
}

/* ---- SoC detection ---- */

int swd_gpiomem_soc_from_compatible(const char *buf, size_t len, enum swd_gpiomem_soc *soc,
				    struct sf_err *err)
{
	/* Strings of the Raspberry Pi device trees (linux arch/arm/boot/dts/
	 * broadcom: bcm2835/6/7.dtsi, bcm2711.dtsi, bcm2712.dtsi; Raspberry
	 * Pi's downstream trees also name bcm2708/9/10 for 2835/6/7). */
	static const struct {
		const char *compat;
		int soc;
	} known[] = {
		{ "brcm,bcm2711", SWD_GPIOMEM_BCM2711 }, { "brcm,bcm2835", SWD_GPIOMEM_BCM2835 },
		{ "brcm,bcm2836", SWD_GPIOMEM_BCM2835 }, { "brcm,bcm2837", SWD_GPIOMEM_BCM2835 },
		{ "brcm,bcm2708", SWD_GPIOMEM_BCM2835 }, { "brcm,bcm2709", SWD_GPIOMEM_BCM2835 },
		{ "brcm,bcm2710", SWD_GPIOMEM_BCM2835 }, { "brcm,bcm2712", SWD_GPIOMEM_RP1 },
	};
	char seen[160] = "";
	size_t sl = 0;

	for (size_t i = 0; i < len;) {
		const char *s = buf + i;
		size_t n = strnlen(s, len - i);

		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			if (strlen(known[k].compat) != n || memcmp(s, known[k].compat, n))
				continue;
			*soc = (enum swd_gpiomem_soc)known[k].soc;
			return 0;
		}
		if (n && sl < sizeof(seen))
			sl += (size_t)snprintf(seen + sl, sizeof(seen) - sl, "%s%.*s",
					       sl ? ", " : "", (int)n, s);
		i += n + 1;
	}
	return sf_err_set(err, SF_E_UNSUPPORTED,
			   "probe gpiomem: the device tree names no BCM2835/6/7, BCM2711 or "
			   "BCM2712 (%s); use --probe gpiod", sl ? seen : "nothing");
}

/* ---- production: /dev/gpiomem ---- */

struct gm_mmap {
	volatile uint32_t *base;
	size_t len;
	struct swd_gpiod_hold hold;
};

static uint32_t mm_read32(void *ctx, uint32_t off)
{
	return ((struct gm_mmap *)ctx)->base[off / 4U];
}

static void mm_write32(void *ctx, uint32_t off, uint32_t v)
{
	((struct gm_mmap *)ctx)->base[off / 4U] = v;
}

static void mm_free(void *ctx)
{
	struct gm_mmap *m = ctx;

	if (m->base)
		munmap((void *)m->base, m->len);
	swd_gpiod_hold_release(&m->hold); /* after the registers are put back */
	free(m);
}

static const struct swd_gpiomem_regs mm_regs = {
	.read32 = mm_read32,
	.write32 = mm_write32,
	.free = mm_free,
};

/* The GPIO chip label of each SoC's header controller, in enum order. */
static const char *const gm_labels[] = { "pinctrl-bcm2835", "pinctrl-bcm2711", "pinctrl-rp1" };

static int gm_read_compatible(enum swd_gpiomem_soc *soc, const char *label, struct sf_err *err)
{
	char buf[512];
	int fd = open("/proc/device-tree/compatible", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0)
		return swd_gpiomem_soc_from_compatible(buf, (size_t)n, soc, err);
	/* No device tree here: the GPIO chip's label names the controller. */
	for (int k = 0; k < 3; k++) {
		if (!strcmp(label, gm_labels[k])) {
			*soc = (enum swd_gpiomem_soc)k;
			return 0;
		}
	}
	return sf_err_set(err, SF_E_UNSUPPORTED,
			   "probe gpiomem: cannot tell the SoC (no /proc/device-tree/compatible, "
			   "GPIO chip label '%s'); use --probe gpiod", label);
}

int swd_gpiomem_available(char *what, size_t n, struct sf_err *err)
{
	char path[300], label[64];
	enum swd_gpiomem_soc soc;
	const char *dev;
	int rc = swd_gpiod_find_header(path, sizeof(path), label, sizeof(label), err);

	if (rc)
		return rc;
	rc = gm_read_compatible(&soc, label, err);
	if (rc)
		return rc;
	dev = soc == SWD_GPIOMEM_RP1 ? "/dev/gpiomem0" : "/dev/gpiomem";
	if (access(dev, R_OK | W_OK))
		return sf_err_set(err, SF_E_IO, "probe gpiomem: %s: %s%s", dev, strerror(errno),
				  errno == EACCES ? " (add the user to the 'gpio' group)" : "");
	snprintf(what, n, "%s through %s, lines held on %s [%s]", swd_gpiomem_soc_name(soc), dev,
		 path, label);
	return 0;
}

int swd_pins_gpiomem_open(const char *args, struct swd_pins *out, char *desc, size_t desclen,
			  struct sf_err *err)
{
	struct gm_mmap *m = calloc(1, sizeof(*m));
	struct swd_gpiomem_cfg cfg;
	char where[600];
	const char *dev;
	void *p;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if (!m)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	/* The lines first: a busy line is reported as gpiod reports it. */
	rc = swd_gpiod_hold_lines(args, &m->hold, err);
	if (rc) {
		free(m);
		return rc;
	}
	memset(&cfg, 0, sizeof(cfg));
	rc = gm_read_compatible(&cfg.soc, m->hold.label, err);
	if (rc)
		goto fail;
	/* The lines we hold must be the pins whose registers we write: the
	 * chip's label must be this SoC's header controller. */
	if (strcmp(m->hold.label, gm_labels[cfg.soc])) {
		rc = sf_err_set(err, SF_E_UNSUPPORTED,
				 "probe gpiomem: the device tree says %s, whose header GPIO chip is "
				 "'%s', but the lines are on %s '%s'; use --probe gpiod",
				 swd_gpiomem_soc_name(cfg.soc), gm_labels[cfg.soc], m->hold.path,
				 m->hold.label);
		goto fail;
	}
	dev = cfg.soc == SWD_GPIOMEM_RP1 ? "/dev/gpiomem0" : "/dev/gpiomem";
	m->len = cfg.soc == SWD_GPIOMEM_RP1 ? SWD_GM_RP1_MAP_LEN : SWD_GM_MAP_LEN;
	fd = open(dev, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		rc = e == EACCES || e == EPERM
			     ? sf_err_set(err, SF_E_IO,
					  "probe gpiomem: %s: permission denied; add the user to "
					  "the 'gpio' group (sudo adduser $USER gpio, then log in "
					  "again)", dev)
			     : sf_err_set(err, SF_E_IO,
					  "probe gpiomem: %s: %s (is this a Raspberry Pi kernel?); "
					  "use --probe gpiod", dev, strerror(e));
		goto fail;
	}
	p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		rc = sf_err_set(err, SF_E_IO, "probe gpiomem: mmap of %s: %s", dev, strerror(errno));
		goto fail;
	}
	m->base = p;
	cfg.clk = m->hold.clk;
	cfg.dio = m->hold.dio;
	cfg.rst = m->hold.rst == UINT32_MAX ? SWD_GM_NONE : m->hold.rst;
	cfg.max_hz = m->hold.max_hz_set ? m->hold.max_hz : SWD_GM_DEFAULT_HZ;
	snprintf(where, sizeof(where), "%s, lines held on %s [%s]%s%s", dev, m->hold.path,
		 m->hold.label, m->hold.rst_note[0] ? " " : "", m->hold.rst_note);
	cfg.where = where;
	rc = swd_pins_gpiomem_new(&cfg, &mm_regs, m, out, err); /* frees m on failure */
	if (rc)
		return rc;
	if (desc && desclen)
		snprintf(desc, desclen, "%s", gm_describe(out->ctx));
	return 0;
fail:
	mm_free(m);
	return rc;
}
