// SPDX-License-Identifier: GPL-2.0-or-later
/* web_events: GET /api/v1/events, the Server-Sent Events stream.
 *
 * Events (the "event:" name, JSON in "data:"):
 *   hello     first on every connection (no id): station name, version,
 *             boot id, the cached target
 *   job       a job's state changed (the job object)
 *   progress  a running job's phase and bytes (the job object), at most
 *             one per progress_ms per job, plus phase changes and the end
 *   target    the target changed: the target object plus "change"
 *             (connected, disconnected, locked, unlocked or changed, as
 *             the job worker saw it)
 *   resync    the client's Last-Event-ID is older than the ring: reload
 *   heartbeat every heartbeat_ms when nothing else was sent (plus a ":"
 *             comment line, which keeps proxies from closing the stream)
 *
 * Every job/progress/target event has "id: BOOT-SEQ". Events are kept in
 * a ring of ring_size entries; a reconnecting browser sends Last-Event-ID
 * and gets what it missed. Publishing (from the job listener, on the job
 * worker's thread) only appends to the ring and wakes the clients: it
 * never waits for a client. A client that falls further behind than the
 * ring (it does not read) is dropped; the browser reconnects and resyncs.
 */
#ifndef WEB_EVENTS_H
#define WEB_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../daemon/job.h"
#include "http.h"

struct web_events_config {
	const char *station;       /* [server] name */
	const char *version;
	unsigned ring_size;        /* events kept for Last-Event-ID (0 = 256) */
	unsigned max_clients;      /* concurrent streams (0 = 32); more get 503 */
	unsigned heartbeat_ms;     /* 0 = 15000 */
	unsigned progress_ms;      /* 0 = 200 */
};

struct web_events_stats {
	unsigned clients;          /* streams open now */
	uint64_t published;        /* events put in the ring */
	uint64_t dropped_slow;     /* clients dropped for falling behind */
	uint64_t progress_skipped; /* progress events throttled away */
};

struct web_events;

/* jobs may be NULL (tests publish by hand with web_events_publish_job). */
struct web_events *web_events_new(struct job_mgr *jobs, const struct web_events_config *cfg);
/* Adds GET /api/v1/events and starts listening to the job manager. */
int web_events_register(struct web_events *ev, struct web_server *s);
/* Ends every stream (call before web_server_stop, which waits for them). */
void web_events_stop(struct web_events *ev);
void web_events_free(struct web_events *ev);
void web_events_get_stats(struct web_events *ev, struct web_events_stats *st);

/* The job listener (exposed for tests): queue one event. It reads the
 * typed fields (id, phase, progress, target change) and sends the
 * snapshot as the data. */
void web_events_on_job_event(void *user, const struct job_event *ev);

/* A stream reader without HTTP (for tests and for the MHD callback):
 * last_event_id may be NULL. Read returns bytes written to buf, 0 after
 * waiting wait_ms with nothing to send (heartbeat not due), or -1 at the
 * end of the stream (stopped, or dropped for being slow). */
struct web_events_client;
struct web_events_client *web_events_client_new(struct web_events *ev, const char *last_event_id);
ssize_t web_events_client_read(struct web_events_client *c, char *buf, size_t max,
			       unsigned wait_ms);
void web_events_client_free(struct web_events_client *c);

#endif
