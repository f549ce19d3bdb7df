// SPDX-License-Identifier: GPL-2.0-or-later
/* flash_bench: erase + program + verify on the simulated nRF52840 at SWCLK
 * 1 MHz and 4 MHz of simulated time, against the NVMC floor.
 *
 *   build/rel/bench/flash_bench [OUT.json]
 *
 * Jobs: the S140 6.1.1 SoftDevice HEX (from ${SWDFLASH_FIXTURES:-../shared/
 * fixtures}) and a 1 MiB pseudo-random image, each with erase=chip, verify
 * on, through the real engine, DAP, SWD link and wire-level simulator;
 * then the S140 again with the DAP's WAIT-paced capability hidden (the
 * word-then-READY path a USB probe gets).
 * Phase times are the engine's own (the probe clock = simulated time). The floor
 * is what the NVMC alone needs: words written x t_WRITE + t_ERASEALL, with
 * the simulator's timing for the part. Per-phase wire counters come from
 * snapshots taken in the progress callback at each phase change.
 *
 * Prints a table and writes one JSON object to OUT.json (default
 * bench/flash_bench.json) for bench/run.sh to merge into results.json. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../nrf52/nrf52.h"
#include "../sim/sim.h"
/* the simulator's per-part NVMC timing (t_write_ns, t_eraseall_ns); a
 * benchmark may look inside the simulator, the engine never does */
#include "../sim/sim_internal.h"
#include "../swd/probe.h"

struct snap {
	struct sim_counters c;
	uint64_t t_ns;
	int valid;
};

struct job {
	struct sim_chip *sim;
	enum nrf52_phase phase;
	int started;
	struct snap at[8];   /* counters when each phase started */
	struct snap end;
};

static int bench_progress(void *user, enum nrf52_phase phase, uint64_t done, uint64_t total)
{
	struct job *j = user;

	(void)done;
	(void)total;
	if (!j->started || phase != j->phase) {
		if ((unsigned)phase < 8 && !j->at[phase].valid) {
			j->at[phase].c = *sim_counters(j->sim);
			j->at[phase].t_ns = sim_time_ns(j->sim);
			j->at[phase].valid = 1;
		}
		j->phase = phase;
		j->started = 1;
	}
	return 0;
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct result {
	const char *image;
	unsigned mhz;
	double s_connect, s_erase, s_program, s_verify, s_total;
	double floor_program, floor_erase, ratio_program, ratio_erase, ratio_job;
	uint64_t words, bytes, prog_cycles, prog_waits, prog_ap_writes, prog_ap_reads;
	double cycles_per_word, waits_per_word, us_per_word, t_write_us;
	double cpu_s;
	int ok;
	char err[320];
};

/* unpaced: the probe hides DAP_CAP_WAIT_PACED (a USB probe's path), so
 * the engine programs through its on-target RAM writer, on the same
 * simulated wire. part: the simulated part ("nrf52840"). */
static void run_job(const char *label, const struct img *img, const char *part,
		    uint32_t period_ns, int unpaced, struct result *r)
{
	char spec[96];
	struct swd_probe *p = NULL;
	struct sf_err err = { 0 };
	struct nrf52_flash_opts o = { .erase = NRF52_ERASE_CHIP, .verify = 1, .reset = 0 };
	struct nrf52_stats st;
	struct job j;
	struct nrf52 *n;
	const struct sim_part_info *pi;
	const struct snap *a, *b;
	double cpu0;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&j, 0, sizeof(j));
	r->image = label;
	r->mhz = 1000 / period_ns;
	snprintf(spec, sizeof(spec), "sim:part=%s,period_ns=%u", part, period_ns);
	cpu0 = cpu_seconds();
	rc = swd_probe_open(spec, &p, &err);
	if (rc) {
		snprintf(r->err, sizeof(r->err), "%s", err.msg);
		return;
	}
	if (unpaced)
		swd_probe_dap(p)->caps &= ~DAP_CAP_WAIT_PACED;
	n = nrf52_new(swd_probe_dap(p), swd_probe_clock(p), NULL, NULL);
	j.sim = swd_probe_sim(p);
	nrf52_set_progress(n, bench_progress, &j);
	sim_counters_reset(swd_probe_sim(p));
	rc = nrf52_flash(n, img, &o, &st, &err);
	j.end.c = *sim_counters(swd_probe_sim(p));
	j.end.t_ns = sim_time_ns(swd_probe_sim(p));
	r->cpu_s = cpu_seconds() - cpu0;
	if (rc) {
		snprintf(r->err, sizeof(r->err), "%s", err.msg);
		goto out;
	}
	pi = sim_part_lookup(sim_part(swd_probe_sim(p)));
	r->t_write_us = pi->t_write_ns / 1e3;
	r->s_connect = st.us_connect / 1e6;
	r->s_erase = st.us_erase / 1e6;
	r->s_program = st.us_program / 1e6;
	r->s_verify = st.us_verify / 1e6;
	r->s_total = (st.us_connect + st.us_compare + st.us_erase + st.us_program + st.us_verify) / 1e6;
	r->words = j.end.c.nvmc_writes;
	r->bytes = img->total;
	r->floor_program = (double)r->words * pi->t_write_ns / 1e9;
	r->floor_erase = pi->t_eraseall_ns / 1e9;
	r->ratio_program = r->s_program / r->floor_program;
	r->ratio_erase = r->s_erase / r->floor_erase;
	r->ratio_job = (r->s_erase + r->s_program) / (r->floor_erase + r->floor_program);
	a = &j.at[NRF52_PHASE_PROGRAM];
	b = j.at[NRF52_PHASE_VERIFY].valid ? &j.at[NRF52_PHASE_VERIFY] : &j.end;
	if (a->valid) {
		r->prog_cycles = b->c.cycles - a->c.cycles;
		r->prog_waits = b->c.acks_wait - a->c.acks_wait;
		r->prog_ap_writes = b->c.ap_writes - a->c.ap_writes;
		r->prog_ap_reads = b->c.ap_reads - a->c.ap_reads;
		r->cycles_per_word = (double)r->prog_cycles / (double)r->words;
		r->waits_per_word = (double)r->prog_waits / (double)r->words;
		r->us_per_word = (double)(b->t_ns - a->t_ns) / 1e3 / (double)r->words;
	}
	r->ok = 1;
out:
	nrf52_free(n);
	swd_probe_close(p);
}

static json_t *result_json(const struct result *r, double goal)
{
	if (!r->ok)
		return json_pack("{s:s}", "error", r->err);
	return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:I, s:I,"
			 " s:f, s:f, s:f, s:I, s:I, s:I, s:f}",
			 "connect_s", r->s_connect, "erase_s", r->s_erase, "program_s", r->s_program,
			 "verify_s", r->s_verify, "total_s", r->s_total,
			 "floor_program_s", r->floor_program, "floor_erase_s", r->floor_erase,
			 "program_floor_ratio", r->ratio_program, "erase_floor_ratio", r->ratio_erase,
			 "erase_program_floor_ratio", r->ratio_job, "program_floor_ratio_goal", goal,
			 "program_goal_met", r->ratio_program <= goal,
			 "nvmc_words", (json_int_t)r->words, "image_bytes", (json_int_t)r->bytes,
			 "program_cycles_per_word", r->cycles_per_word,
			 "program_waits_per_word", r->waits_per_word,
			 "program_us_per_word", r->us_per_word,
			 "program_ap_writes", (json_int_t)r->prog_ap_writes,
			 "program_ap_reads", (json_int_t)r->prog_ap_reads,
			 "program_wait_acks", (json_int_t)r->prog_waits,
			 "host_cpu_s", r->cpu_s);
}

/* erase=auto on a blank chip, then the same image again (skip-unchanged):
 * simulated seconds of the whole job and the NVMC words written. */
static json_t *run_auto(const struct img *img, uint32_t period_ns)
{
	char spec[96];
	struct swd_probe *p = NULL;
	struct sf_err err = { 0 };
	struct nrf52_flash_opts o = { .erase = NRF52_ERASE_AUTO, .verify = 1 };
	struct nrf52_stats st[2];
	uint64_t words[2];
	struct nrf52 *n;
	json_t *j = NULL;

	snprintf(spec, sizeof(spec), "sim:part=nrf52840,period_ns=%u", period_ns);
	if (swd_probe_open(spec, &p, &err))
		return json_pack("{s:s}", "error", err.msg);
	n = nrf52_new(swd_probe_dap(p), swd_probe_clock(p), NULL, NULL);
	for (int i = 0; i < 2; i++) {
		sim_counters_reset(swd_probe_sim(p));
		if (nrf52_flash(n, img, &o, &st[i], &err)) {
			j = json_pack("{s:s}", "error", err.msg);
			goto out;
		}
		words[i] = sim_counters(swd_probe_sim(p))->nvmc_writes;
	}
	printf("erase=auto at %u MHz: blank chip %.3f s (compare %.3f, program %.3f, verify %.3f); "
	       "same image again %.3f s, %llu words written\n", 1000 / period_ns,
	       (st[0].us_connect + st[0].us_compare + st[0].us_erase + st[0].us_program +
		st[0].us_verify) / 1e6, st[0].us_compare / 1e6, st[0].us_program / 1e6,
	       st[0].us_verify / 1e6,
	       (st[1].us_connect + st[1].us_compare + st[1].us_erase + st[1].us_program +
		st[1].us_verify) / 1e6, (unsigned long long)words[1]);
	j = json_pack("{s:f, s:f, s:f, s:f, s:I, s:f, s:I, s:I}",
		      "blank_total_s", (st[0].us_connect + st[0].us_compare + st[0].us_erase +
					st[0].us_program + st[0].us_verify) / 1e6,
		      "blank_compare_s", st[0].us_compare / 1e6,
		      "blank_program_s", st[0].us_program / 1e6,
		      "blank_verify_s", st[0].us_verify / 1e6,
		      "blank_nvmc_words", (json_int_t)words[0],
		      "unchanged_total_s", (st[1].us_connect + st[1].us_compare + st[1].us_erase +
					    st[1].us_program + st[1].us_verify) / 1e6,
		      "unchanged_nvmc_words", (json_int_t)words[1],
		      "unchanged_pages_skipped", (json_int_t)st[1].pages_skipped);
out:
	nrf52_free(n);
	swd_probe_close(p);
	return j;
}

int main(int argc, char **argv)
{
	const char *out = argc > 1 ? argv[1] : "bench/flash_bench.json";
	const char *fix = getenv("SWDFLASH_FIXTURES");
	static const uint32_t periods[2] = { 1000, 250 };
	static const double goals[2] = { 1.15, 1.05 };
	struct result res[2][2], unp[2], n832[2];
	struct img imgs[2];
	const char *labels[2] = { "s140_6.1.1", "random_1mib" };
	struct sf_err err = { 0 };
	char path[512];
	json_t *root, *jobs, *auto1, *auto4;
	uint32_t x = 0x12345678;
	int bad = 0;

	memset(imgs, 0, sizeof(imgs));
	snprintf(path, sizeof(path), "%s/s140_nrf52_6.1.1_softdevice.hex",
		 fix && *fix ? fix : "../shared/fixtures");
	if (img_load_file(path, IMG_AUTO, 0, &imgs[0], &err)) {
		fprintf(stderr, "flash_bench: %s\n", err.msg);
		return 1;
	}
	{
		uint8_t *buf = malloc(1u << 20);
		if (!buf)
			return 1;
		for (size_t i = 0; i < (1u << 20); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (uint8_t)x;
		}
		if (img_parse(buf, 1u << 20, IMG_BIN, 0, &imgs[1], &err)) {
			fprintf(stderr, "flash_bench: %s\n", err.msg);
			return 1;
		}
		free(buf);
	}

	printf("nRF52840 (simulated), erase=chip, program, verify; times in simulated seconds\n");
	printf("%-12s %4s %8s %8s %8s %8s %8s %7s %9s %8s %8s %7s\n", "image", "MHz", "erase",
	       "program", "verify", "total", "floor", "ratio", "cyc/word", "WAIT/w", "us/word",
	       "cpu s");
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 2; k++) {
			struct result *r = &res[i][k];

			run_job(labels[i], &imgs[i], "nrf52840", periods[k], 0, r);
			if (!r->ok) {
				printf("%-12s %4u failed: %s\n", labels[i], 1000 / periods[k], r->err);
				bad = 1;
				continue;
			}
			printf("%-12s %4u %8.3f %8.3f %8.3f %8.3f %8.3f %7.3f %9.1f %8.2f %8.2f %7.2f%s\n",
			       labels[i], r->mhz, r->s_erase, r->s_program, r->s_verify, r->s_total,
			       r->floor_program, r->ratio_program, r->cycles_per_word,
			       r->waits_per_word, r->us_per_word, r->cpu_s,
			       r->ratio_program <= goals[k] ? "" : "  (over goal)");
		}
	}
	if (res[0][0].ok)
		printf("floor = NVMC words x t_WRITE (%.1f us); erase floor t_ERASEALL %.3f s; "
		       "goal program/floor <= 1.15 at 1 MHz, <= 1.05 at 4 MHz; host CPU for the "
		       "1 MiB job < 5 s\n", res[0][0].t_write_us, res[0][0].floor_erase);

	for (int k = 0; k < 2; k++) {
		struct result *r = &unp[k];

		run_job(labels[0], &imgs[0], "nrf52840", periods[k], 1, r);
		if (!r->ok) {
			printf("without WAIT-paced writes at %u MHz: failed: %s\n", 1000 / periods[k],
			       r->err);
			bad = 1;
			continue;
		}
		printf("without WAIT-paced writes (on-target RAM writer) at %u MHz: %s program "
		       "%.3f s (%.3f x floor), %.1f cycles/word\n", r->mhz, labels[0],
		       r->s_program, r->ratio_program, r->cycles_per_word);
	}
	/* the nRF52832 has no READYNEXT: a WAIT-paced stream would wait for
	 * each word's write and then its transfer, so the engine takes its
	 * on-target writer there (floor: 67.5 us a word) */
	for (int k = 0; k < 2; k++) {
		struct result *r = &n832[k];

		run_job(labels[0], &imgs[0], "nrf52832", periods[k], 0, r);
		if (!r->ok) {
			printf("nRF52832 at %u MHz: failed: %s\n", 1000 / periods[k], r->err);
			bad = 1;
			continue;
		}
		printf("nRF52832 (no READYNEXT; on-target RAM writer) at %u MHz: %s program %.3f s "
		       "(%.3f x floor %.3f s)\n", r->mhz, labels[0], r->s_program, r->ratio_program,
		       r->floor_program);
	}

	auto4 = run_auto(&imgs[0], 250);
	auto1 = run_auto(&imgs[0], 1000);

	/* one top-level key, "flash", so bench/run.sh can merge the parts */
	root = json_object();
	jobs = json_object();
	for (int i = 0; i < 2; i++) {
		json_t *img = json_object();
		for (int k = 0; k < 2; k++)
			json_object_set_new(img, k ? "swclk_4mhz" : "swclk_1mhz",
					    result_json(&res[i][k], goals[k]));
		json_object_set_new(jobs, labels[i], img);
	}
	json_object_set_new(jobs, "s140_6.1.1_erase_auto",
			    json_pack("{s:o, s:o}", "swclk_1mhz", auto1, "swclk_4mhz", auto4));
	json_object_set_new(jobs, "s140_6.1.1_unpaced",
			    json_pack("{s:o, s:o}", "swclk_1mhz", result_json(&unp[0], 0),
				      "swclk_4mhz", result_json(&unp[1], 0)));
	json_object_set_new(jobs, "s140_6.1.1_nrf52832",
			    json_pack("{s:o, s:o}", "swclk_1mhz", result_json(&n832[0], goals[0]),
				      "swclk_4mhz", result_json(&n832[1], goals[1])));
	json_object_set_new(jobs, "part", json_string("nRF52840 (simulated)"));
	json_object_set_new(jobs, "erase_mode", json_string("chip"));
	json_object_set_new(jobs, "t_write_us", json_real(res[0][0].t_write_us));
	json_object_set_new(jobs, "t_eraseall_s", json_real(res[0][0].floor_erase));
	json_object_set_new(jobs, "host_cpu_s_1mib_4mhz", json_real(res[1][1].cpu_s));
	json_object_set_new(jobs, "host_cpu_s_1mib_1mhz", json_real(res[1][0].cpu_s));
	json_object_set_new(jobs, "host_cpu_goal_s", json_real(5.0));
	json_object_set_new(root, "flash", jobs);
	if (json_dump_file(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
		fprintf(stderr, "flash_bench: cannot write %s\n", out);
		bad = 1;
	} else {
		printf("wrote %s\n", out);
	}
	json_decref(root);
	img_free(&imgs[0]);
	img_free(&imgs[1]);
	return bad;
}
