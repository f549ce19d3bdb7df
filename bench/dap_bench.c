// SPDX-License-Identifier: GPL-2.0-or-later
/* DAP throughput through the in-process simulator: a 64 KiB MEM-AP block
 * write and read into RAM. Prints a table and writes a JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"
#include "swd/probe.h"

#define BENCH_BYTES (64U * 1024U)
#define BENCH_ADDR 0x20000000U
#define BENCH_REPEAT 20

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct result {
	double cycles_per_word, cycles_per_kib, cpu_us_per_kib, cycles_per_cpu_second;
};

static int run(struct swd_probe *p, int write, uint8_t *buf, struct result *r)
{
	struct sf_err err = { 0 };
	const struct sim_counters *c = sim_counters(swd_probe_sim(p));
	uint64_t c0 = c->cycles;
	double t0 = cpu_seconds();

	for (int i = 0; i < BENCH_REPEAT; i++) {
		int rc = write ? swd_probe_dap(p)->ops->mem_write(swd_probe_dap(p)->ctx, BENCH_ADDR, buf, BENCH_BYTES, 4, &err)
			       : swd_probe_dap(p)->ops->mem_read(swd_probe_dap(p)->ctx, BENCH_ADDR, buf, BENCH_BYTES, 4, &err);
		if (rc) {
			fprintf(stderr, "dap_bench: %s\n", err.msg);
			return -1;
		}
	}
	double cpu = cpu_seconds() - t0;
	double cycles = (double)(c->cycles - c0) / BENCH_REPEAT;
	double kib = BENCH_BYTES / 1024.0;
	r->cycles_per_word = cycles / (BENCH_BYTES / 4);
	r->cycles_per_kib = cycles / kib;
	r->cpu_us_per_kib = cpu * 1e6 / BENCH_REPEAT / kib;
	r->cycles_per_cpu_second = cycles * BENCH_REPEAT / cpu;
	return 0;
}

int main(int argc, char **argv)
{
	struct swd_probe *p = NULL;
	struct sf_err err = { 0 };
	struct result w, rd;
	uint8_t *buf = malloc(BENCH_BYTES);

	if (!buf || swd_probe_open("sim:part=nrf52840", &p, &err) ||
	    swd_probe_dap(p)->ops->connect(swd_probe_dap(p)->ctx, NULL, &err)) {
		fprintf(stderr, "dap_bench: %s\n", err.msg);
		return 1;
	}
	for (unsigned i = 0; i < BENCH_BYTES; i++)
		buf[i] = (uint8_t)(i * 2654435761U >> 24);
	if (run(p, 1, buf, &w) || run(p, 0, buf, &rd))
		return 1;

	printf("%-28s %12s %12s\n", "64 KiB RAM block (sim)", "write", "read");
	printf("%-28s %12.2f %12.2f\n", "SWCLK cycles / 32-bit word", w.cycles_per_word,
	       rd.cycles_per_word);
	printf("%-28s %12.1f %12.1f\n", "SWCLK cycles / KiB", w.cycles_per_kib, rd.cycles_per_kib);
	printf("%-28s %12.1f %12.1f\n", "host CPU us / KiB", w.cpu_us_per_kib, rd.cpu_us_per_kib);
	printf("%-28s %12.3g %12.3g\n", "sim cycles / CPU second", w.cycles_per_cpu_second,
	       rd.cycles_per_cpu_second);

	FILE *f = argc > 1 ? fopen(argv[1], "w") : stdout;
	if (!f)
		return 1;
	fprintf(f,
		"{\"block_write\": {\"cycles_per_word\": %.3f, \"cycles_per_kib\": %.1f, "
		"\"host_cpu_us_per_kib\": %.2f},\n"
		" \"block_read\": {\"cycles_per_word\": %.3f, \"cycles_per_kib\": %.1f, "
		"\"host_cpu_us_per_kib\": %.2f},\n"
		" \"sim\": {\"cycles_per_cpu_second\": %.0f}}\n",
		w.cycles_per_word, w.cycles_per_kib, w.cpu_us_per_kib, rd.cycles_per_word,
		rd.cycles_per_kib, rd.cpu_us_per_kib,
		(w.cycles_per_cpu_second + rd.cycles_per_cpu_second) / 2);
	if (f != stdout)
		fclose(f);
	swd_probe_close(p);
	free(buf);
	return 0;
}
