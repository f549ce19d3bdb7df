// SPDX-License-Identifier: GPL-2.0-or-later
/* web_metrics: Prometheus text format (see metrics.h). */
#include "metrics.h"

#include "../common/clock.h"

#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* seconds; a 1 MiB nRF52840 job at 1 MHz SWCLK takes about 30 s */
static const double dur_buckets[] = { 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600 };
#define N_BUCKETS (sizeof(dur_buckets) / sizeof(dur_buckets[0]))

/* label values come from job_kind_name, job_state_name, job_phase_name */
static const enum job_kind kinds[] = { JOB_FLASH, JOB_RECOVER, JOB_ERASE, JOB_RESET };
#define N_KINDS 4
static const enum job_state results[] = { JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED,
					  JOB_INTERRUPTED };
#define N_RESULTS 4
/* in the order they are exposed */
static const enum nrf52_phase phases[] = { NRF52_PHASE_CONNECT, NRF52_PHASE_RECOVER,
	NRF52_PHASE_ERASE, NRF52_PHASE_PROGRAM, NRF52_PHASE_VERIFY, NRF52_PHASE_RESET,
	NRF52_PHASE_READ };
#define N_PHASES 7

struct web_metrics {
	struct job_mgr *jobs;
	struct web_events *events;
	int listening;
	char version[64];
	char station[128];
	double start_time;

	pthread_mutex_t lock;
	uint64_t jobs_total[N_KINDS][N_RESULTS];
	uint64_t bytes_programmed, bytes_verified, pages_erased, pages_skipped, pages_written;
	uint64_t dur_bucket[N_KINDS][N_BUCKETS]; /* not cumulative: summed at render */
	uint64_t dur_count[N_KINDS];
	double dur_sum[N_KINDS];
	double phase_sum[N_PHASES];
	uint64_t phase_count[N_PHASES];
	/* the phase of the running job */
	uint64_t cur_job;
	int cur_phase;             /* index into phases, -1 none */
	double cur_phase_start;
};

static double mono_s(void)
{
	return (double)clock_mono_ns() / 1e9;
}

static int kind_index(enum job_kind k)
{
	for (int i = 0; i < N_KINDS; i++)
		if (kinds[i] == k)
			return i;
	return -1;
}

static int result_index(enum job_state s)
{
	for (int i = 0; i < N_RESULTS; i++)
		if (results[i] == s)
			return i;
	return -1;
}

static int phase_index(const struct job_event *ev)
{
	for (int i = 0; ev->has_phase && i < N_PHASES; i++)
		if (phases[i] == ev->phase)
			return i;
	return -1;
}

struct web_metrics *web_metrics_new(struct job_mgr *jobs, const struct web_metrics_config *cfg)
{
	struct web_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->jobs = jobs;
	m->events = cfg ? cfg->events : NULL;
	snprintf(m->version, sizeof(m->version), "%s", cfg && cfg->version ? cfg->version : "");
	snprintf(m->station, sizeof(m->station), "%s", cfg && cfg->station ? cfg->station : "");
	m->start_time = (double)time(NULL);
	m->cur_phase = -1;
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void web_metrics_free(struct web_metrics *m)
{
	if (!m)
		return;
	if (m->listening && m->jobs)
		job_mgr_unlisten(m->jobs, web_metrics_on_job_event, m);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Close the running phase (lock held). */
static void end_phase_locked(struct web_metrics *m, double now)
{
	if (m->cur_phase >= 0) {
		m->phase_sum[m->cur_phase] += now - m->cur_phase_start;
		m->phase_count[m->cur_phase]++;
	}
	m->cur_phase = -1;
}

void web_metrics_on_job_event(void *user, const struct job_event *ev)
{
	struct web_metrics *m = user;
	double now = mono_s();

	if (ev->kind == JOB_EVENT_TARGET)
		return;
	int ph = phase_index(ev);

	pthread_mutex_lock(&m->lock);
	if (ev->state == JOB_RUNNING) {
		if (m->cur_job != ev->id) {
			end_phase_locked(m, now);
			m->cur_job = ev->id;
		}
		if (ph != m->cur_phase) {
			end_phase_locked(m, now);
			m->cur_phase = ph;
			m->cur_phase_start = now;
		}
	}
	int res = ev->kind == JOB_EVENT_STATE ? result_index(ev->state) : -1;
	int k = kind_index(ev->job_kind);
	if (res >= 0 && k >= 0) {
		if (m->cur_job == ev->id) {
			end_phase_locked(m, now);
			m->cur_job = 0;
		}
		m->jobs_total[k][res]++;
		if (ev->has_stats) {
			m->bytes_programmed += ev->stats.bytes_written;
			m->bytes_verified += ev->stats.bytes_verified;
			m->pages_erased += ev->stats.pages_erased;
			m->pages_skipped += ev->stats.pages_skipped;
			m->pages_written += ev->stats.pages_written;
		}
		if (ev->duration_ms >= 0) {
			double s = (double)ev->duration_ms / 1000.0;
			size_t b = 0;
			while (b < N_BUCKETS && s > dur_buckets[b])
				b++;
			if (b < N_BUCKETS)
				m->dur_bucket[k][b]++;
			m->dur_count[k]++;
			m->dur_sum[k] += s;
		}
	}
	pthread_mutex_unlock(&m->lock);
}

/* Label values: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *web_metrics_render(struct web_metrics *m, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	struct web_metrics snap;
	struct swd_probe_stats ds;
	struct job_target t;
	unsigned queued = 0;
	uint64_t running = 0;

	if (!f)
		return NULL;
	memset(&ds, 0, sizeof(ds));
	memset(&t, 0, sizeof(t));
	if (m->jobs) {
		job_mgr_probe_stats(m->jobs, &ds);
		job_mgr_target(m->jobs, &t);
		job_mgr_counts(m->jobs, &queued, &running);
	}
	pthread_mutex_lock(&m->lock);
	memcpy(&snap, m, sizeof(snap));
	double now = mono_s();
	if (snap.cur_phase >= 0) {
		/* the phase running now counts up to this scrape */
		snap.phase_sum[snap.cur_phase] += now - snap.cur_phase_start;
	}
	pthread_mutex_unlock(&m->lock);

	head(f, "swdflashd_build_info", "gauge", "Build information; the value is always 1.");
	fputs("swdflashd_build_info{version=\"", f);
	put_label(f, snap.version);
	fputs("\",libmicrohttpd=\"", f);
	put_label(f, MHD_get_version());
	fputs("\",jansson=\"" JANSSON_VERSION "\",compiler=\"", f);
#ifdef __VERSION__
	put_label(f, __VERSION__);
#endif
	fputs("\",station=\"", f);
	put_label(f, snap.station);
	fputs("\"} 1\n", f);

	head(f, "swdflashd_start_time_seconds", "gauge",
	     "Unix time when the daemon started.");
	fprintf(f, "swdflashd_start_time_seconds %.0f\n", snap.start_time);

	head(f, "swdflashd_jobs_total", "counter",
	     "Jobs that ended since the daemon started, by kind and result.");
	for (int k = 0; k < N_KINDS; k++)
		for (int r = 0; r < N_RESULTS; r++)
			fprintf(f, "swdflashd_jobs_total{kind=\"%s\",result=\"%s\"} %" PRIu64 "\n",
				job_kind_name(kinds[k]), job_state_name(results[r]),
				snap.jobs_total[k][r]);

	head(f, "swdflashd_programmed_bytes_total", "counter",
	     "Bytes written into flash and UICR by flash jobs.");
	fprintf(f, "swdflashd_programmed_bytes_total %" PRIu64 "\n", snap.bytes_programmed);
	head(f, "swdflashd_verified_bytes_total", "counter", "Bytes read back and compared.");
	fprintf(f, "swdflashd_verified_bytes_total %" PRIu64 "\n", snap.bytes_verified);
	head(f, "swdflashd_pages_total", "counter",
	     "Flash pages handled by flash jobs: erased, written, or skipped because unchanged.");
	fprintf(f, "swdflashd_pages_total{op=\"erased\"} %" PRIu64 "\n", snap.pages_erased);
	fprintf(f, "swdflashd_pages_total{op=\"written\"} %" PRIu64 "\n", snap.pages_written);
	fprintf(f, "swdflashd_pages_total{op=\"skipped\"} %" PRIu64 "\n", snap.pages_skipped);

	head(f, "swdflashd_job_duration_seconds", "histogram",
	     "Wall time from start to end of jobs, by kind.");
	for (int k = 0; k < N_KINDS; k++) {
		uint64_t cum = 0;
		for (size_t b = 0; b < N_BUCKETS; b++) {
			cum += snap.dur_bucket[k][b];
			fprintf(f, "swdflashd_job_duration_seconds_bucket{kind=\"%s\",le=\"%g\"} %"
				PRIu64 "\n", job_kind_name(kinds[k]), dur_buckets[b], cum);
		}
		fprintf(f, "swdflashd_job_duration_seconds_bucket{kind=\"%s\",le=\"+Inf\"} %" PRIu64
			"\n", job_kind_name(kinds[k]), snap.dur_count[k]);
		fprintf(f, "swdflashd_job_duration_seconds_sum{kind=\"%s\"} %.6f\n",
			job_kind_name(kinds[k]),
			snap.dur_sum[k]);
		fprintf(f, "swdflashd_job_duration_seconds_count{kind=\"%s\"} %" PRIu64 "\n",
			job_kind_name(kinds[k]), snap.dur_count[k]);
	}

	head(f, "swdflashd_phase_duration_seconds", "summary",
	     "Wall time spent in each job phase (the running phase counts up to now).");
	for (int p = 0; p < N_PHASES; p++) {
		fprintf(f, "swdflashd_phase_duration_seconds_sum{phase=\"%s\"} %.6f\n",
			job_phase_name(phases[p]),
			snap.phase_sum[p]);
		fprintf(f, "swdflashd_phase_duration_seconds_count{phase=\"%s\"} %" PRIu64 "\n",
			job_phase_name(phases[p]), snap.phase_count[p]);
	}

	/* Only what this probe kind measures: a USB probe cannot see wire
	 * WAITs or line resets, and an absent series is not a zero. */
	if (ds.valid & (SWD_STAT_WAITS | SWD_STAT_FAULTS | SWD_STAT_PROTOCOL_ERRORS))
		head(f, "swdflashd_swd_errors_total", "counter",
		     "SWD errors seen by the probe: WAIT and FAULT acknowledges, protocol errors "
		     "(no or bad acknowledge, parity).");
	if (ds.valid & SWD_STAT_WAITS)
		fprintf(f, "swdflashd_swd_errors_total{kind=\"wait\"} %" PRIu64 "\n", ds.waits);
	if (ds.valid & SWD_STAT_FAULTS)
		fprintf(f, "swdflashd_swd_errors_total{kind=\"fault\"} %" PRIu64 "\n", ds.faults);
	if (ds.valid & SWD_STAT_PROTOCOL_ERRORS)
		fprintf(f, "swdflashd_swd_errors_total{kind=\"protocol\"} %" PRIu64 "\n",
			ds.protocol_errors);
	if (ds.valid & SWD_STAT_TRANSFERS) {
		head(f, "swdflashd_swd_transfers_total", "counter",
		     "SWD transfers issued by the probe.");
		fprintf(f, "swdflashd_swd_transfers_total %" PRIu64 "\n", ds.transfers);
	}
	if (ds.valid & SWD_STAT_LINE_RESETS) {
		head(f, "swdflashd_swd_line_resets_total", "counter", "SWD line resets.");
		fprintf(f, "swdflashd_swd_line_resets_total %" PRIu64 "\n", ds.line_resets);
	}
	if (ds.valid & SWD_STAT_COMMANDS) {
		head(f, "swdflashd_probe_commands_total", "counter",
		     "Commands sent to the probe over its transport (USB).");
		fprintf(f, "swdflashd_probe_commands_total %" PRIu64 "\n", ds.commands);
	}
	if (ds.valid & SWD_STAT_RETRIES) {
		head(f, "swdflashd_probe_retries_total", "counter",
		     "Transport commands the probe driver had to repeat.");
		fprintf(f, "swdflashd_probe_retries_total %" PRIu64 "\n", ds.retries);
	}

	head(f, "swdflashd_probe_open", "gauge", "1 when the probe could be opened.");
	fprintf(f, "swdflashd_probe_open{probe=\"");
	put_label(f, t.probe_kind);
	fprintf(f, "\"} %d\n", t.probe_open ? 1 : 0);
	if (t.usb.present && t.usb.voltage_mv >= 0) {
		head(f, "swdflashd_probe_target_voltage_volts", "gauge",
		     "Target voltage the USB probe (ST-Link) measured when it was opened.");
		fprintf(f, "swdflashd_probe_target_voltage_volts %.3f\n", t.usb.voltage_mv / 1000.0);
	}
	head(f, "swdflashd_target_connected", "gauge", "1 when the target answers on SWD.");
	fprintf(f, "swdflashd_target_connected %d\n", t.connected ? 1 : 0);
	head(f, "swdflashd_target_locked", "gauge", "1 when the target is locked (APPROTECT).");
	fprintf(f, "swdflashd_target_locked %d\n", t.connected && t.locked ? 1 : 0);
	head(f, "swdflashd_queue_length", "gauge", "Jobs waiting in the queue (not the running one).");
	fprintf(f, "swdflashd_queue_length %u\n", queued);
	head(f, "swdflashd_job_running", "gauge", "1 while a job runs.");
	fprintf(f, "swdflashd_job_running %d\n", running ? 1 : 0);

	if (snap.events) {
		struct web_events_stats es;
		web_events_get_stats(snap.events, &es);
		head(f, "swdflashd_event_clients", "gauge", "Open /api/v1/events streams.");
		fprintf(f, "swdflashd_event_clients %u\n", es.clients);
		head(f, "swdflashd_events_total", "counter", "Events published to the streams.");
		fprintf(f, "swdflashd_events_total %" PRIu64 "\n", es.published);
		head(f, "swdflashd_event_clients_dropped_total", "counter",
		     "Event stream clients dropped because they did not keep up.");
		fprintf(f, "swdflashd_event_clients_dropped_total %" PRIu64 "\n", es.dropped_slow);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}

static enum MHD_Result on_metrics(void *user, struct web_request *req)
{
	static const char *const allowed[] = { NULL };
	size_t len = 0;
	enum MHD_Result ret;

	if (web_req_args_refused(req, allowed, &ret))
		return ret;
	char *text = web_metrics_render(user, &len);

	if (!text)
		return web_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out_of_memory",
				       "cannot render the metrics");
	return web_reply_buffer(req, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
				text, len, 1);
}

int web_metrics_register(struct web_metrics *m, struct web_server *s)
{
	if (web_route_add(s, "GET", "/metrics", WEB_READ, WEB_BODY_NONE, on_metrics, m))
		return -1;
	if (m->jobs && !m->listening) {
		if (job_mgr_listen(m->jobs, web_metrics_on_job_event, m))
			return -1;
		m->listening = 1;
	}
	return 0;
}
