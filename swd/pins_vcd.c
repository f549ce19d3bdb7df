// SPDX-License-Identifier: GPL-2.0-or-later
#include "pins_vcd.h"

#include <stdlib.h>

struct pins_vcd {
	const struct swd_pins_ops *ops;
	void *ctx;
	FILE *f;
	unsigned period;
	uint64_t t;          /* time of the last falling edge */
	int clk, dio, out;
	int fall_pending;    /* a falling edge at t not yet written */
	int host_dio_pending;
};

static void emit(struct pins_vcd *v, uint64_t t, char id, int level)
{
	fprintf(v->f, "#%llu\n%d%c\n", (unsigned long long)t, level, id);
}

static void flush_fall(struct pins_vcd *v)
{
	if (!v->fall_pending)
		return;
	emit(v, v->t, 'c', 0);
	if (v->host_dio_pending >= 0 && v->host_dio_pending != v->dio) {
		v->dio = v->host_dio_pending;
		emit(v, v->t + 100, 'd', v->dio);
	}
	v->fall_pending = 0;
	v->host_dio_pending = -1;
}

static void vcd_set(void *ctx, int swclk, int swdio)
{
	struct pins_vcd *v = ctx;

	v->ops->set(v->ctx, swclk, swdio);
	if (swclk == v->clk)
		return;
	if (!swclk) {
		flush_fall(v);
		v->t += v->period;
		v->fall_pending = 1;
		v->host_dio_pending = v->out ? swdio : -1;
	} else {
		flush_fall(v);
		emit(v, v->t + v->period / 2, 'c', 1);
	}
	v->clk = swclk;
}

static int vcd_get(void *ctx)
{
	struct pins_vcd *v = ctx;
	int level = v->ops->get(v->ctx);

	/* The target changed SWDIO after the previous rising edge. */
	if (v->fall_pending && level != v->dio) {
		emit(v, v->t - v->period / 4, 'd', level);
		v->dio = level;
	}
	flush_fall(v);
	return level;
}

static void vcd_dir(void *ctx, int output)
{
	struct pins_vcd *v = ctx;

	v->ops->dir(v->ctx, output);
	v->out = output;
}

static int vcd_nreset(void *ctx, int level)
{
	struct pins_vcd *v = ctx;

	return v->ops->nreset ? v->ops->nreset(v->ctx, level) : -1;
}

static void vcd_delay_us(void *ctx, uint32_t us)
{
	struct pins_vcd *v = ctx;

	flush_fall(v);
	v->ops->delay_us(v->ctx, us);
	v->t += (uint64_t)us * 1000U;
}

static uint64_t vcd_now_us(void *ctx)
{
	struct pins_vcd *v = ctx;

	return v->ops->now_us(v->ctx);
}

/* The inner driver's sticky error is the wrapper's: without it a failed
 * GPIO call under the recorder would look like a silent target. */
static int vcd_status(void *ctx, struct sf_err *err)
{
	struct pins_vcd *v = ctx;

	return v->ops->status ? v->ops->status(v->ctx, err) : 0;
}

static const char *vcd_describe(void *ctx)
{
	struct pins_vcd *v = ctx;

	return v->ops->describe ? v->ops->describe(v->ctx) : "VCD recorder";
}

static void vcd_free(void *ctx)
{
	struct pins_vcd *v = ctx;

	flush_fall(v);
	fprintf(v->f, "#%llu\n", (unsigned long long)(v->t + v->period));
	fclose(v->f);
	free(v);
}

const struct swd_pins_ops swd_pins_vcd_ops = {
	.set = vcd_set,
	.get = vcd_get,
	.dir = vcd_dir,
	.nreset = vcd_nreset,
	.delay_us = vcd_delay_us,
	.now_us = vcd_now_us,
	.status = vcd_status,
	.describe = vcd_describe,
	.free = vcd_free,
};

void *swd_pins_vcd_new(const struct swd_pins_ops *inner_ops, void *inner_ctx, FILE *out,
		       unsigned period_ns)
{
	struct pins_vcd *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->ops = inner_ops;
	v->ctx = inner_ctx;
	v->f = out;
	v->period = period_ns ? period_ns : 1000;
	v->clk = 1;
	v->dio = 1;
	v->out = 1;
	v->host_dio_pending = -1;
	fprintf(out, "$timescale 1ns $end\n$scope module swd $end\n"
		     "$var wire 1 c swclk $end\n$var wire 1 d swdio $end\n"
		     "$upscope $end\n$enddefinitions $end\n#0\n1c\n1d\n");
	return v;
}
