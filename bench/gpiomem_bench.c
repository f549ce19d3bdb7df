// SPDX-License-Identifier: GPL-2.0-or-later
/* gpiomem_bench: the gpiomem pins driver (swd/pins_gpiomem.c) on the GPIO
 * register model (tests/gm_model.c) with a simulated nRF52840, flashing the
 * S140 6.1.1 SoftDevice and a 1 MiB pseudo-random image (erase=chip,
 * verify), to predict a Pi 4 and a Pi 5 from per-access costs.
 *
 *   build/rel/bench/gpiomem_bench OUT.json
 *
 * Simulated time is the model's: each register read or write costs its
 * stated time, the driver paces SWCLK to its default 4 MHz, the NVMC takes
 * its datasheet times. So the phase times below are predictions of the
 * same job on the Pi whose costs are used, and the program phase is
 * compared with the NVMC floor (words x 41 us). The Pi 4 rows run the
 * driver on the BCM2711 model, the Pi 5 rows on the RP1 model. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nrf52/image.h"
#include "../nrf52/nrf52.h"
#include "../tests/gm_model.h"

struct cost {
	const char *name;
	uint32_t read_ns, write_ns;
	const char *source;
};

/* Per-access costs and where they come from. */
static const struct cost costs[] = {
	{ "pi4", 100, 16,
	  "write: 15.7 ns, from Roy Longbottom's Pi 400 (BCM2711, 1.8 GHz) C bit-banging "
	  "benchmark, 63.65 Mbit/s = one GPSET/GPCLR store per bit (roylongbottom.org.uk, "
	  "'Pi 4 and Pi 400 ... Bit Banging Benchmarks'); read: 100 ns, an ASSUMPTION "
	  "(no published GPLEV read latency found), chosen high" },
	{ "pi5", 1000, 20,
	  "read: about 1 us for an RP1 register read across PCIe (issue 13; no Raspberry Pi "
	  "figure found), write: 20 ns, an ASSUMPTION (posted PCIe writes); both unverified" },
};

#define T_WRITE_US 41.0 /* nRF52840 t_WRITE (PS v1.7, NVMC electrical specification) */

static json_t *run(const struct cost *c, const struct img *img, const char *label,
		   enum swd_gpiomem_soc soc)
{
	struct gm_rig r;
	struct sf_err err = { 0 };
	struct nrf52_info info;
	struct nrf52_flash_opts fo = { .erase = NRF52_ERASE_CHIP, .verify = 1 };
	struct nrf52_stats st;
	char msg[300];
	uint64_t rd, wr, cyc;
	struct nrf52 *n;
	int rc;

	if (gm_rig_open(&r, soc, "part=nrf52840,period_ns=1", SWD_GM_DEFAULT_HZ,
			NULL, msg, sizeof(msg)))
		return json_pack("{s:s}", "error", msg);
	gm_model_set_costs(r.m, c->read_ns, c->write_ns);
	n = nrf52_new(&r.dap, &r.clock, NULL, NULL);
	memset(&st, 0, sizeof(st));
	rc = nrf52_identify(n, &info, &err);
	if (!rc)
		rc = nrf52_flash(n, img, &fo, &st, &err);
	swd_gpiomem_counts(r.pins, &rd, &wr, &cyc);
	uint64_t words = sim_counters(r.chip)->nvmc_writes;
	double floor_s = (double)words * T_WRITE_US / 1e6;
	double prog_s = (double)st.us_program / 1e6;
	double total_s = (double)(st.us_connect + st.us_erase + st.us_program + st.us_verify +
				  st.us_compare) / 1e6;
	double apc = cyc ? (double)(rd + wr) / (double)cyc : 0;
	json_t *j = rc ? json_pack("{s:s}", "error", err.msg)
		       : json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:s}",
				   "predicted_s", total_s, "program_s", prog_s,
				   "program_floor_s", floor_s,
				   "program_floor_ratio", floor_s > 0 ? prog_s / floor_s : 0,
				   "accesses_per_cycle", apc, "swclk_cycles", (json_int_t)cyc,
				   "register_reads", (json_int_t)rd, "register_writes",
				   (json_int_t)wr, "driver",
				   r.ops->describe(r.pins));

	printf("%-4s %-9s %10llu %8.3f %10.2f %10.2f %8.3f\n", c->name, label,
	       (unsigned long long)cyc, apc, total_s, prog_s, floor_s > 0 ? prog_s / floor_s : 0);
	nrf52_free(n);
	gm_rig_close(&r);
	return j;
}

int main(int argc, char **argv)
{
	const char *out = argc > 1 ? argv[1] : "bench/gpiomem_bench.json";
	const char *fix = getenv("SWDFLASH_FIXTURES");
	char path[1024];
	struct img s140, rnd;
	struct sf_err err = { 0 };
	static uint8_t buf[1024 * 1024];
	json_t *g = json_object(), *model = json_object();
	int have_s140;

	snprintf(path, sizeof(path), "%s/s140_nrf52_6.1.1_softdevice.hex",
		 fix ? fix : "../shared/fixtures");
	have_s140 = img_load_file(path, IMG_AUTO, 0, &s140, &err) == 0;
	srand(20240904);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	if (img_parse(buf, sizeof(buf), IMG_BIN, 0, &rnd, &err)) {
		fprintf(stderr, "gpiomem_bench: %s\n", err.msg);
		return 1;
	}
	printf("%-4s %-9s %10s %8s %10s %10s %8s\n", "Pi", "image", "cycles", "acc/cyc",
	       "total s", "program s", "/floor");
	for (size_t k = 0; k < sizeof(costs) / sizeof(costs[0]); k++) {
		const struct cost *c = &costs[k];
		enum swd_gpiomem_soc soc = k == 0 ? SWD_GPIOMEM_BCM2711 : SWD_GPIOMEM_RP1;
		json_t *a = have_s140 ? run(c, &s140, "s140", soc)
				      : json_pack("{s:s}", "error", "no fixture");
		json_t *b = run(c, &rnd, "1mib", soc);
		char key[64];

#define PUT(nm_, obj, field)                                                        \
	do {                                                                         \
		json_t *v_ = json_object_get(obj, field);                            \
		snprintf(key, sizeof(key), "%s_%s", c->name, nm_);                   \
		if (v_)                                                              \
			json_object_set(g, key, v_);                                 \
	} while (0)
		PUT("predicted_s_s140", a, "predicted_s");
		PUT("predicted_s_1mib", b, "predicted_s");
		PUT("program_floor_ratio", a, "program_floor_ratio");
		PUT("program_floor_ratio_1mib", b, "program_floor_ratio");
		PUT("accesses_per_cycle", a, "accesses_per_cycle");
#undef PUT
		snprintf(key, sizeof(key), "%s_s140", c->name);
		json_object_set_new(g, key, a);
		snprintf(key, sizeof(key), "%s_1mib", c->name);
		json_object_set_new(g, key, b);
		json_object_set_new(model, c->name,
				    json_pack("{s:I, s:I, s:s}", "read_ns", (json_int_t)c->read_ns,
					      "write_ns", (json_int_t)c->write_ns, "source",
					      c->source));
	}
	json_object_set_new(model, "formula",
			    json_string("simulated time of the job with each register access "
					"costing its time, SWCLK paced to 4 MHz, NVMC at datasheet "
					"times; beside: the libgpiod and OpenOCD linuxgpiod Pi 4 "
					"predictions of bench/gpiod_vs_openocd.sh for the same S140 "
					"job (copied in by bench/run.sh)"));
	json_object_set_new(model, "pi4_program_floor_ratio_goal", json_real(1.1));
	json_object_set_new(g, "cost_model", model);
	json_object_set_new(g, "setup", json_string("gpiomem driver on the BCM2711 (pi4) and RP1 "
						    "(pi5) register models + simulated nRF52840, "
						    "erase=chip, verify"));
	json_t *root = json_pack("{s:o}", "gpiomem", g);
	if (json_dump_file(root, out, JSON_INDENT(2) | JSON_SORT_KEYS)) {
		fprintf(stderr, "gpiomem_bench: cannot write %s\n", out);
		return 1;
	}
	json_decref(root);
	if (have_s140)
		img_free(&s140);
	img_free(&rnd);
	return 0;
}
