// SPDX-License-Identifier: GPL-2.0-or-later
/* The simulated Cortex-M4 (sim/core.c): instructions executed per host
 * CPU second for a loop in RAM (tests/fw/spin.S: adds + b) and the same
 * loop in flash, the core running while the debugger waits (simulated
 * delays of 10 ms between DHCSR reads, through the in-process simulator).
 * Prints a table and writes a JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"
#include "swd/probe.h"

#define KEY 0xA05F0000u
#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DEMCR 0xE000EDFCu
#define AIRCR 0xE000ED0Cu
#define SIM_SECONDS 1.0    /* simulated time the core runs per case */
#define STEP_NS 10000000u

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct dap *d;
static struct sf_err err;

static int w32(uint32_t a, uint32_t v)
{
	return dap_write32(d, a, v, &err);
}

static int reg_w(unsigned sel, uint32_t v)
{
	return w32(DCRDR, v) || w32(DCRSR, (1u << 16) | sel);
}

static int reg_r(unsigned sel, uint32_t *v)
{
	return w32(DCRSR, sel) || dap_read32(d, DCRDR, v, &err);
}

/* spin at addr; returns instructions per host CPU second (r0 counts
 * loop iterations, two instructions each). */
static int run(struct sim_chip *c, uint32_t addr, double *ips, double *sim_mips)
{
	uint32_t v, r0;
	if (w32(DHCSR, KEY | 1) || w32(DEMCR, 1) || w32(AIRCR, 0x05FA0004u) || w32(DEMCR, 0) ||
	    reg_w(15, addr) || reg_w(16, 0x01000000u) || reg_w(0, 0))
		return -1;
	double t0 = cpu_seconds();
	if (w32(DHCSR, KEY | 1))
		return -1;
	for (double s = 0; s < SIM_SECONDS; s += STEP_NS / 1e9) {
		sim_delay_ns(c, STEP_NS);
		if (dap_read32(d, DHCSR, &v, &err))
			return -1;
	}
	if (w32(DHCSR, KEY | 3) || reg_r(0, &r0))
		return -1;
	double cpu = cpu_seconds() - t0;
	*ips = 2.0 * r0 / cpu;
	*sim_mips = 2.0 * r0 / SIM_SECONDS / 1e6;
	return 0;
}

int main(int argc, char **argv)
{
	static const uint8_t spin[4] = { 0x01, 0x30, 0xfd, 0xe7 };  /* tests/fw/spin.S */
	struct swd_probe *p = NULL;
	double ram_ips, ram_sim, fl_ips, fl_sim;
	uint32_t w;

	memcpy(&w, spin, 4);
	if (swd_probe_open("sim:part=nrf52840", &p, &err) ||
	    (d = swd_probe_dap(p), d->ops->connect(d->ctx, NULL, &err))) {
		fprintf(stderr, "sim_core_bench: %s\n", err.msg);
		return 1;
	}
	struct sim_chip *c = swd_probe_sim(p);
	if (!sim_core_can_execute(c)) {
		fprintf(stderr, "sim_core_bench: the simulated core cannot execute (libunicorn2)\n");
		return 1;
	}
	if (w32(0x20000000u, w) || run(c, 0x20000000u, &ram_ips, &ram_sim) ||
	    w32(0x4001E504u, 1) || w32(0x1000u, w) || w32(0x4001E504u, 0) ||
	    run(c, 0x1000u, &fl_ips, &fl_sim)) {
		fprintf(stderr, "sim_core_bench: %s\n", err.msg);
		return 1;
	}
	printf("%-40s %12s %12s\n", "simulated Cortex-M4, spin loop", "RAM", "flash");
	printf("%-40s %12.3g %12.3g\n", "instructions / host CPU second", ram_ips, fl_ips);
	printf("%-40s %12.1f %12.1f\n", "M instructions / simulated second", ram_sim, fl_sim);
	printf("(64 MHz at one instruction per cycle = 64 M instructions per simulated second)\n");
	FILE *f = argc > 1 ? fopen(argv[1], "w") : stdout;
	if (!f)
		return 1;
	fprintf(f, "{\"sim_core\": {\"ipc_model\": 1, \"clock_hz\": 64000000,\n"
		"  \"ram_insn_per_cpu_s\": %.0f, \"flash_insn_per_cpu_s\": %.0f,\n"
		"  \"ram_minsn_per_sim_s\": %.1f, \"flash_minsn_per_sim_s\": %.1f}}\n",
		ram_ips, fl_ips, ram_sim, fl_sim);
	if (f != stdout)
		fclose(f);
	swd_probe_close(p);
	return 0;
}
