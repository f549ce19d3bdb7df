// SPDX-License-Identifier: GPL-2.0-or-later
/* web_metrics: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4).
 *
 * Counters are for the life of this process and are fed by the job
 * listener: jobs by kind and result, bytes programmed and verified, pages
 * erased/skipped, a job duration histogram, phase durations (summary, from
 * the phase changes the worker reports), and the SWD error counters that
 * the job worker samples from the probe (job_mgr_probe_stats(); HTTP threads
 * never touch the probe). Gauges are read at scrape time: target
 * connected/locked, queue length, running job, event stream clients, and
 * build information. */
#ifndef WEB_METRICS_H
#define WEB_METRICS_H

#include <stddef.h>

#include "../daemon/job.h"
#include "events.h"
#include "http.h"

struct web_metrics_config {
	const char *version;
	const char *station;
	struct web_events *events;   /* optional: stream client counts */
};

struct web_metrics;

/* jobs may be NULL (tests feed events with web_metrics_on_job_event). */
struct web_metrics *web_metrics_new(struct job_mgr *jobs, const struct web_metrics_config *cfg);
/* Adds GET /metrics and starts listening to the job manager. */
int web_metrics_register(struct web_metrics *m, struct web_server *s);
void web_metrics_free(struct web_metrics *m);

/* The job listener (exposed for tests): reads only the typed fields. */
void web_metrics_on_job_event(void *user, const struct job_event *ev);
/* The exposition text (malloc'ed, *len bytes), or NULL. */
char *web_metrics_render(struct web_metrics *m, size_t *len);

#endif
