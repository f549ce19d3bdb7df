// SPDX-License-Identifier: GPL-2.0-or-later
/* station: swdflash commands that manage a running swdflashd over its
 * HTTP API (recipes, hands-free mode, board records), with the token. */
#ifndef CLI_STATION_H
#define CLI_STATION_H

#include <stdio.h>

/* 1 when argv[0] is one of them ("recipe", "bench", "devices"). */
int cli_station_is_cmd(const char *name);
/* Run it; returns the exit status. */
int cli_station_main(int argc, char **argv);
void cli_station_usage(FILE *f);

#endif
