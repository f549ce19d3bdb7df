// SPDX-License-Identifier: GPL-2.0-or-later
/* The GPIO register model behind tests/gm_model.h. */
#include "gm_model.h"

#include <stdlib.h>
#include <string.h>

#include "swd/dap_swd.h"
#include "swd/link.h"

#define GM_WORDS (0xF4U / 4U)

struct gm_model {
	struct sim_chip *chip;
	enum swd_gpiomem_soc soc;
	uint32_t clk, dio, rst;
	uint32_t reg[GM_WORDS];   /* GPFSEL, GPPUD, PUP_PDN: stored words */
	uint64_t latch;           /* output latches, GPIO0-63 */
	uint8_t pull[64];         /* 0 none, 1 up, 2 down */
	uint32_t gppud;           /* BCM2835: the control word GPPUDCLK applies */
	uint64_t gppud_ns;        /* when GPPUD was written (simulated ns) */
	uint32_t read_ns, write_ns;
	uint64_t reads, writes;
	int w_clk, w_dio, w_drv, w_rst; /* what the chip was last told */
	FILE *vcd;
	uint64_t tick;
	int v_clk, v_dio;
	/* RP1: bank 0 only */
	uint32_t ctrl[SWD_GM_RP1_NPINS], pads[SWD_GM_RP1_NPINS];
	uint32_t rio_out, rio_oe;
};

static uint32_t fsel(const struct gm_model *m, uint32_t pin)
{
	return (m->reg[pin / 10U] >> (3U * (pin % 10U))) & 7U;
}

/* Is the pin driven by its output latch? BCM: GPFSEL 001. RP1: function
 * SYS_RIO, output enable set, pad output not disabled. */
static int is_output(const struct gm_model *m, uint32_t pin)
{
	if (m->soc != SWD_GPIOMEM_RP1)
		return fsel(m, pin) == SWD_GM_FSEL_OUTPUT;
	return pin < SWD_GM_RP1_NPINS &&
	       (m->ctrl[pin] & SWD_GM_RP1_FSEL_MASK) == SWD_GM_RP1_FSEL_SYS_RIO &&
	       ((m->rio_oe >> pin) & 1U) && !(m->pads[pin] & SWD_GM_RP1_PADS_OD);
}

static int latch(const struct gm_model *m, uint32_t pin)
{
	return m->soc == SWD_GPIOMEM_RP1 ? (int)((m->rio_out >> pin) & 1U)
					 : (int)((m->latch >> pin) & 1U);
}

/* Level on a pin as the GPIO block sees it. */
static int level(const struct gm_model *m, uint32_t pin)
{
	if (is_output(m, pin))
		return latch(m, pin);
	if (pin == m->dio)
		return sim_swdio(m->chip); /* the target's, or its pull-up */
	if (pin == m->rst || pin == m->clk)
		return m->pull[pin] == 2 ? 0 : 1;
	return m->pull[pin] == 2 ? 0 : 1;
}

static void vcd_sample(struct gm_model *m, int target_moved)
{
	int c, d;

	if (!m->vcd)
		return;
	c = level(m, m->clk);
	d = level(m, m->dio);
	if (c != m->v_clk) {
		fprintf(m->vcd, "#%llu\n%dc\n", (unsigned long long)m->tick, c);
		m->v_clk = c;
	}
	if (d != m->v_dio) {
		/* The target moves SWDIO just after the rising edge (sim/sim.h). */
		fprintf(m->vcd, "#%llu\n%dd\n",
			(unsigned long long)(m->tick + (target_moved ? 50U : 0U)), d);
		m->v_dio = d;
	}
}

/* Tell the chip what the pins now are. */
static void wire(struct gm_model *m)
{
	int clk = is_output(m, m->clk) ? latch(m, m->clk) : (m->pull[m->clk] == 1);
	int drv = is_output(m, m->dio);
	int dio = latch(m, m->dio);
	int moved = 0;

	if (clk != m->w_clk || drv != m->w_drv || (drv && dio != m->w_dio)) {
		sim_wire(m->chip, clk, dio, drv);
		moved = clk && !m->w_clk && !drv;
		m->w_clk = clk;
		m->w_drv = drv;
		m->w_dio = dio;
	}
	if (m->rst != SWD_GM_NONE) {
		int r = level(m, m->rst);

		if (r != m->w_rst) {
			sim_nreset(m->chip, r);
			m->w_rst = r;
		}
	}
	m->tick += 100U;
	vcd_sample(m, moved);
}

/* RP1: the register a (non-alias) offset names, NULL for none. */
static uint32_t *rp1_reg(struct gm_model *m, uint32_t off)
{
	if (off < SWD_GM_RP1_NPINS * 8U)
		return (off / 4U) & 1U ? &m->ctrl[off / 8U] : NULL; /* STATUS reads 0 */
	if (off == SWD_GM_RP1_RIO_OUT)
		return &m->rio_out;
	if (off == SWD_GM_RP1_RIO_OE)
		return &m->rio_oe;
	if (off >= SWD_GM_RP1_PADS(0) && off < SWD_GM_RP1_PADS(SWD_GM_RP1_NPINS))
		return &m->pads[(off - SWD_GM_RP1_PADS(0)) / 4U];
	return NULL;
}

static void rp1_pulls(struct gm_model *m)
{
	for (uint32_t i = 0; i < SWD_GM_RP1_NPINS; i++)
		m->pull[i] = m->pads[i] & SWD_GM_RP1_PADS_PUE ? 1
			     : m->pads[i] & SWD_GM_RP1_PADS_PDE ? 2
								: 0;
}

static uint32_t rp1_rd(struct gm_model *m, uint32_t off)
{
	uint32_t *r = rp1_reg(m, off & ~0x3000U), v = 0;

	if ((off & ~0x3000U) == SWD_GM_RP1_RIO_SYNC_IN) {
		/* a pad with its input disabled reads 0 */
		for (uint32_t i = 0; i < SWD_GM_RP1_NPINS; i++)
			if (m->pads[i] & SWD_GM_RP1_PADS_IE)
				v |= (uint32_t)level(m, i) << i;
		return v;
	}
	return r ? *r : 0;
}

static void rp1_wr(struct gm_model *m, uint32_t off, uint32_t v)
{
	uint32_t *r = rp1_reg(m, off & ~0x3000U);

	if (!r)
		return;
	switch ((off >> 12) & 3U) {
	case 0: *r = v; break;
	case 1: *r ^= v; break;
	case 2: *r |= v; break;
	default: *r &= ~v; break;
	}
	rp1_pulls(m);
}

static uint32_t rd(void *ctx, uint32_t off)
{
	struct gm_model *m = ctx;
	uint32_t v = 0;

	m->reads++;
	if (m->read_ns)
		sim_delay_ns(m->chip, m->read_ns);
	if (m->soc == SWD_GPIOMEM_RP1)
		return rp1_rd(m, off);
	if (off == SWD_GM_GPLEV0 || off == SWD_GM_GPLEV0 + 4U) {
		uint32_t base = off == SWD_GM_GPLEV0 ? 0U : 32U;

		for (uint32_t i = 0; i < 32U; i++)
			v |= (uint32_t)level(m, base + i) << i;
		return v;
	}
	if (off == SWD_GM_GPSET0 || off == SWD_GM_GPCLR0 || off == SWD_GM_GPSET0 + 4U ||
	    off == SWD_GM_GPCLR0 + 4U)
		return 0; /* write-only */
	if (m->soc == SWD_GPIOMEM_BCM2835 && off >= SWD_GM_PUP_PDN0)
		return 0; /* no such register on the BCM2835 */
	return off / 4U < GM_WORDS ? m->reg[off / 4U] : 0;
}

static void wr(void *ctx, uint32_t off, uint32_t v)
{
	struct gm_model *m = ctx;

	m->writes++;
	if (m->write_ns)
		sim_delay_ns(m->chip, m->write_ns);
	if (m->soc == SWD_GPIOMEM_RP1) {
		rp1_wr(m, off, v);
	} else if (off <= SWD_GM_GPFSEL0 + 20U) {
		m->reg[off / 4U] = v;
	} else if (off == SWD_GM_GPSET0 || off == SWD_GM_GPSET0 + 4U) {
		m->latch |= (uint64_t)v << (off == SWD_GM_GPSET0 ? 0 : 32);
	} else if (off == SWD_GM_GPCLR0 || off == SWD_GM_GPCLR0 + 4U) {
		m->latch &= ~((uint64_t)v << (off == SWD_GM_GPCLR0 ? 0 : 32));
	} else if (m->soc == SWD_GPIOMEM_BCM2835 && off == SWD_GM_GPPUD) {
		m->gppud = v & 3U;
		m->gppud_ns = sim_time_ns(m->chip);
	} else if (m->soc == SWD_GPIOMEM_BCM2835 &&
		   (off == SWD_GM_GPPUDCLK0 || off == SWD_GM_GPPUDCLK0 + 4U)) {
		/* 150 core cycles of setup after GPPUD (BCM2835 ARM Peripherals p.101). */
		if (v && sim_time_ns(m->chip) - m->gppud_ns >= 600U) {
			uint32_t base = off == SWD_GM_GPPUDCLK0 ? 0U : 32U;

			for (uint32_t i = 0; i < 32U; i++)
				if (v & (1U << i))
					m->pull[base + i] = m->gppud == 2 ? 1 : m->gppud == 1 ? 2 : 0;
		}
	} else if (m->soc == SWD_GPIOMEM_BCM2711 && off >= SWD_GM_PUP_PDN0 &&
		   off < SWD_GM_PUP_PDN0 + 16U) {
		uint32_t base = (off - SWD_GM_PUP_PDN0) / 4U * 16U;

		m->reg[off / 4U] = v;
		for (uint32_t i = 0; i < 16U && base + i < 58U; i++) {
			uint32_t p = (v >> (2U * i)) & 3U;

			m->pull[base + i] = p == 1 ? 1 : p == 2 ? 2 : 0;
		}
	}
	wire(m);
}

static uint64_t now_ns(void *ctx)
{
	return sim_time_ns(((struct gm_model *)ctx)->chip);
}

static void delay_ns(void *ctx, uint64_t ns)
{
	sim_delay_ns(((struct gm_model *)ctx)->chip, ns);
}

static void model_free(void *ctx)
{
	struct gm_model *m = ctx;

	if (m->vcd)
		fclose(m->vcd);
	free(m);
}

const struct swd_gpiomem_regs gm_model_regs = {
	.read32 = rd,
	.write32 = wr,
	.now_ns = now_ns,
	.delay_ns = delay_ns,
	.free = model_free,
};

struct gm_model *gm_model_new(struct sim_chip *chip, enum swd_gpiomem_soc soc, uint32_t clk,
			      uint32_t dio, uint32_t rst)
{
	struct gm_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->chip = chip;
	m->soc = soc;
	m->clk = clk;
	m->dio = dio;
	m->rst = rst;
	/* After reset every pin is an input; pulls as the SoC's defaults for
	 * GPIO9-27 are pull-down (BCM2835 ARM Peripherals p.102-103; BCM2711 5.3). */
	for (uint32_t i = 9; i <= 27; i++) {
		m->pull[i] = 2;
		if (soc == SWD_GPIOMEM_BCM2711)
			m->reg[SWD_GM_PUP_PDN0 / 4U + i / 16U] |= 2U << (2U * (i % 16U));
	}
	/* RP1 (a model choice, not the datasheet's reset values): every pin
	 * without a function (FSEL 0x1f) and its pad as pinctrl leaves such a
	 * pin, output disabled and input off (gpiochip_rp1.c), pull-down on
	 * 9-27; so the driver must set up function, pad and enable itself. */
	for (uint32_t i = 0; i < SWD_GM_RP1_NPINS; i++) {
		m->ctrl[i] = 0x1FU;
		m->pads[i] = SWD_GM_RP1_PADS_OD | (i >= 9 ? SWD_GM_RP1_PADS_PDE : 0U);
	}
	if (soc == SWD_GPIOMEM_RP1)
		rp1_pulls(m);
	m->w_clk = -1;
	m->w_dio = -1;
	m->w_drv = -1;
	m->w_rst = -1;
	return m;
}

void gm_model_set_costs(struct gm_model *m, uint32_t read_ns, uint32_t write_ns)
{
	m->read_ns = read_ns;
	m->write_ns = write_ns;
}

void gm_model_vcd(struct gm_model *m, FILE *f)
{
	m->vcd = f;
	fprintf(f, "$timescale 1ns $end\n$scope module swd $end\n"
		   "$var wire 1 c swclk $end\n$var wire 1 d swdio $end\n"
		   "$upscope $end\n$enddefinitions $end\n");
	m->v_clk = level(m, m->clk);
	m->v_dio = level(m, m->dio);
	fprintf(f, "#0\n%dc\n%dd\n", m->v_clk, m->v_dio);
}

uint32_t gm_model_peek(const struct gm_model *m, uint32_t off)
{
	if (m->soc == SWD_GPIOMEM_RP1)
		return rp1_rd((struct gm_model *)m, off);
	return off / 4U < GM_WORDS ? m->reg[off / 4U] : 0;
}

void gm_model_poke(struct gm_model *m, uint32_t off, uint32_t v)
{
	if (m->soc == SWD_GPIOMEM_RP1)
		rp1_wr(m, off, v);
	else if (off / 4U < GM_WORDS)
		m->reg[off / 4U] = v;
}

int gm_model_pull(const struct gm_model *m, uint32_t pin)
{
	return pin < 64U ? m->pull[pin] : 0;
}

uint64_t gm_model_reads(const struct gm_model *m)
{
	return m->reads;
}

uint64_t gm_model_writes(const struct gm_model *m)
{
	return m->writes;
}

static uint64_t rig_now_us(void *ctx)
{
	return swd_link_now_us(ctx);
}

static void rig_sleep_us(void *ctx, uint32_t us)
{
	swd_link_delay_us(ctx, us);
}

static const struct swd_clock_ops rig_clock_ops = { .now_us = rig_now_us, .sleep_us = rig_sleep_us };

int gm_rig_open(struct gm_rig *r, enum swd_gpiomem_soc soc, const char *simspec,
		uint32_t max_hz, FILE *vcd, char *msg, size_t msglen)
{
	struct sim_config cfg;
	char buf[512];
	struct swd_gpiomem_cfg gc = { .soc = soc, .clk = 25, .dio = 24, .rst = 18,
				      .max_hz = max_hz, .where = "register model" };
	struct swd_pins pins;
	struct sf_err err = { 0 };

	memset(r, 0, sizeof(*r));
	if (sim_config_parse(&cfg, simspec, buf, sizeof(buf), msg, msglen))
		return -1;
	r->chip = sim_chip_new(&cfg, msg, msglen);
	if (!r->chip)
		return -1;
	r->m = gm_model_new(r->chip, soc, 25, 24, 18);
	if (vcd)
		gm_model_vcd(r->m, vcd);
	if (swd_pins_gpiomem_new(&gc, &gm_model_regs, r->m, &pins, &err)) {
		snprintf(msg, msglen, "%s", err.msg);
		r->m = NULL;
		return -1;
	}
	r->pins = pins.ctx;
	r->ops = pins.ops;
	r->link = swd_link_new(pins.ops, pins.ctx);
	r->clock.ops = &rig_clock_ops;
	r->clock.ctx = r->link;
	if (dap_swd_new(r->link, &r->dap, &err)) {
		snprintf(msg, msglen, "%s", err.msg);
		return -1;
	}
	return 0;
}

void gm_rig_close(struct gm_rig *r)
{
	if (r->dap.ops && r->dap.ops->free)
		r->dap.ops->free(r->dap.ctx);
	if (r->link)
		swd_link_free(r->link); /* frees the pins driver and so the model */
	else if (r->ops)
		r->ops->free(r->pins);
	if (r->chip)
		sim_chip_free(r->chip);
	memset(r, 0, sizeof(*r));
}
