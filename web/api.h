// SPDX-License-Identifier: GPL-2.0-or-later
/* web_api: the /api/v1 routes and /healthz (handlers in api.c).
 *
 *   POST   /api/v1/flash                 upload (raw, multipart `firmware`,
 *                                        or {"image":"sha256:..."}) and queue
 *   GET    /api/v1/jobs[?limit=N]        newest first
 *   GET    /api/v1/jobs/{id}
 *   DELETE /api/v1/jobs/{id}             cancel / abort at a safe point
 *   GET    /api/v1/target                cached identify result (no SWD)
 *   POST   /api/v1/target/recover|erase|reset
 *   GET    /api/v1/target/memory?address=&length=&format=bin|hex
 *   GET    /api/v1/images
 *   GET    /healthz
 *
 * Extension: other modules add their routes to the same server with
 * web_route_add() (see http.h) and reach the job manager through struct
 * web_api (job_mgr_listen() for live events). */
#ifndef WEB_API_H
#define WEB_API_H

#include <stdint.h>

#include "../daemon/job.h"
#include "../daemon/store.h"
#include "http.h"

struct web_api {
	struct job_mgr *jobs;
	struct store *store;
	const char *station;        /* [server] name */
	uint64_t max_read_bytes;
	volatile int stopping;      /* set by main on SIGTERM: /healthz says 503 */
};

int web_api_register(struct web_server *s, struct web_api *api);

#endif
