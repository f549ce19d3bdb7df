// SPDX-License-Identifier: GPL-2.0-or-later
/* web_bench: the production bench routes.
 *
 *   GET    /api/v1/recipes                 {"active", "recipes": [...]}
 *   POST   /api/v1/recipes                 save (JSON recipe): the next version
 *   GET    /api/v1/recipes/{name}[?version=N]
 *   DELETE /api/v1/recipes/{name}
 *   POST   /api/v1/recipes/{name}/activate  ("none" deactivates)
 *   GET    /api/v1/bench                   hands-free state, active recipe,
 *                                          today's counts and yield, last boards
 *   POST   /api/v1/bench/arm[?mode=auto|button] | disarm | start | again
 *   GET    /api/v1/devices?since=&until=&verdict=&recipe=&device_id=&limit=
 *                          &format=json|jsonl|csv
 */
#ifndef WEB_BENCH_API_H
#define WEB_BENCH_API_H

#include "../daemon/devices.h"
#include "../daemon/job.h"
#include "../daemon/recipe.h"
#include "../daemon/unit.h"
#include "http.h"

struct web_bench {
	struct job_mgr *jobs;
	struct recipes *recipes;
	struct devices *devices;
	struct units *units;
};

int web_bench_register(struct web_server *s, struct web_bench *b);

#endif
