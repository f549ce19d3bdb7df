// SPDX-License-Identifier: GPL-2.0-or-later
/* config: swdflashd settings from an INI file (libinih) and the command
 * line. Flags override the file. Every key is documented in
 * systemd/swdflashd.conf.example and the README.
 *
 *   [server]  listen, name, state_dir, max_connections,
 *             max_connections_per_address, allowed_hosts, max_header_bytes,
 *             max_body_bytes, connection_timeout, max_client_memory,
 *             request_timeout
 *   [probe]   spec, refresh_ms
 *   [jobs]    queue_length, history_max, stop_timeout, stop_hard_timeout,
 *             max_read_bytes
 *   [auth]    token_file, token, protect_reads, protect_memory
 *
 * Sizes take an optional K or M suffix (KiB, MiB); times are seconds
 * unless the key ends in _ms. Numbers follow common/parse.h. Unknown keys,
 * bad values, a key set twice (a section may come back) and lines longer
 * than libinih reads at once are errors. */
#ifndef DAEMON_CONFIG_H
#define DAEMON_CONFIG_H

#include <stdint.h>

#include "../common/err.h"

/* The Makefile passes SYSCONFDIR (make SYSCONFDIR=/usr/local/etc ...). */
#ifndef SWDFLASHD_SYSCONFDIR
#define SWDFLASHD_SYSCONFDIR "/etc"
#endif
#define DCFG_DEFAULT_PATH SWDFLASHD_SYSCONFDIR "/swdflashd/swdflashd.conf"

struct dcfg {
	char listen[128];          /* "127.0.0.1:8080" */
	char name[64];             /* station name shown to users */
	char state_dir[512];
	unsigned max_connections;
	unsigned max_connections_per_address; /* from one client address */
	char allowed_hosts[256];   /* more Host names/addresses to answer to; "*": any */
	unsigned max_header_bytes; /* per-connection memory for the request head */
	uint64_t max_body_bytes;
	unsigned connection_timeout; /* seconds of inactivity */
	uint64_t max_client_memory; /* replies not yet read by their clients, in all */
	unsigned request_timeout;  /* seconds to send a request's body after its head */
	char probe[512];
	unsigned refresh_ms;       /* identify the target this often when idle */
	unsigned queue_length;     /* queued jobs (the running one not counted) */
	unsigned history_max;      /* job records kept */
	unsigned stop_timeout;     /* SIGTERM: seconds a running job may finish */
	unsigned stop_hard_timeout; /* then seconds to reach a safe point before exiting without the worker */
	uint64_t max_read_bytes;   /* GET /api/v1/target/memory */
	char token_file[512];
	char token[256];
	int protect_reads;         /* GET needs the token too */
	int protect_memory;        /* GET /api/v1/target/memory needs it (default 1) */
	char bench_gpio[256];      /* [bench] gpio: START, lamps, buzzer ("" = none) */
	unsigned bench_debounce_ms, bench_buzzer_ms, bench_poll_ms;
	char bench_handsfree[8];   /* arm at start: "off", "auto", "button" */
};

/* Which fields the command line set (they win over the file). */
struct dcfg_flags {
	const char *config, *listen, *probe, *state_dir, *token_file;
	int foreground;
	const char *web_root;      /* added: serve the page from this directory */
};

void dcfg_defaults(struct dcfg *c);
/* Parse path into c (which holds defaults or earlier values). A missing
 * file is an error only when must_exist; one that cannot be read (a
 * directory, no permission) always is. Errors name the file and the line;
 * on error c may be partly changed. */
int dcfg_load(struct dcfg *c, const char *path, int must_exist, struct sf_err *err);
/* Flags override the file. A value too long for its field, or empty, is
 * SF_E_ARG naming the flag; c may then be partly changed. */
int dcfg_apply_flags(struct dcfg *c, const struct dcfg_flags *f, struct sf_err *err);

#endif
