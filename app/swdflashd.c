// SPDX-License-Identifier: GPL-2.0-or-later
/* swdflashd: the networked nRF52 flashing station daemon.
 *
 * main: options, configuration, signals, start-up and shutdown. The work
 * happens in the job worker (daemon/job.c) and the HTTP server (web/). */
#include <errno.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../web/api.h"
#include "../web/bench_api.h"
#include "../web/events.h"
#include "../web/http.h"
#include "../web/metrics.h"
#include "../web/page.h"
#include "../daemon/auth.h"
#include "../daemon/benchio.h"
#include "../daemon/config.h"
#include "../daemon/devices.h"
#include "../daemon/recipe.h"
#include "../daemon/unit.h"
#include "../common/dlog.h"
#include "../common/instance.h"
#include "../daemon/history.h"
#include "../daemon/job.h"
#include "../daemon/notify.h"
#include "../daemon/pagekeep.h"
#include "../daemon/store.h"
#include "../common/version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: swdflashd [--config FILE] [--listen ADDR:PORT] [--probe SPEC]\n"
		"                 [--state-dir DIR] [--token-file FILE] [--foreground]\n"
		"\n"
		"  --config FILE      INI configuration (default " DCFG_DEFAULT_PATH ")\n"
		"  --listen ADDR:PORT HTTP address (default 127.0.0.1:8080; port 0 = any free port)\n"
		"  --probe SPEC       sim[:part=nrf52840,...] | gpiod[:chip=auto,...] | stlink\n"
		"  --state-dir DIR    images, job history (default /var/lib/swdflashd)\n"
		"  --token-file FILE  bearer token for POST/DELETE (also [auth] token_file,\n"
		"                     or $CREDENTIALS_DIRECTORY/token)\n"
		"  --foreground       do not fork (use this under systemd)\n"
		"  --web-root DIR     serve the status page from DIR (e.g. web/static) instead\n"
		"                     of the copy built into the binary\n"
		"  --version          print the version and exit (the same as swdflash's)\n"
		"  --help             print this help and exit\n"
		"Flags override the configuration file. SIGHUP reloads it; SIGTERM stops.\n");
}

static int parse_args(int argc, char **argv, struct dcfg_flags *f)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "probe", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "web-root", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(f, 0, sizeof(*f));
	opterr = 0;  /* the messages below name the option as typed */
	while ((c = getopt_long(argc, argv, ":c:l:p:s:t:fhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': f->config = optarg; break;
		case 'l': f->listen = optarg; break;
		case 'p': f->probe = optarg; break;
		case 's': f->state_dir = optarg; break;
		case 't': f->token_file = optarg; break;
		case 'f': f->foreground = 1; break;
		case 'w': f->web_root = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("swdflashd %s\n", SF_VERSION); exit(0);
		case ':':
			fprintf(stderr, "swdflashd: option %s needs a value (see swdflashd --help)\n",
				argv[optind - 1]);
			return -1;
		default:
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "swdflashd: unknown option '-%c'", optopt);
			else if (optopt)  /* a known long option given a value */
				fprintf(stderr, "swdflashd: option %.*s takes no value",
					(int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
			else
				fprintf(stderr, "swdflashd: unknown option '%.*s'",
					(int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
			fprintf(stderr, " (see swdflashd --help)\n");
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "swdflashd: unexpected argument '%s' (see swdflashd --help)\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

/* Read the configuration: defaults, file, flags. -1 when the file is
 * wrong, -2 when a flag's value is (a usage error: exit 2). */
static int load_config(const struct dcfg_flags *f, struct dcfg *c, struct sf_err *err)
{
	dcfg_defaults(c);
	if (dcfg_load(c, f->config ? f->config : DCFG_DEFAULT_PATH, f->config != NULL, err))
		return -1;
	return dcfg_apply_flags(c, f, err) ? -2 : 0;
}

static int mkdirs(const char *path)
{
	char buf[600];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0750) && errno != EEXIST ? -1 : 0;
}

/* Fork into the background; the parent exits when the child says it is
 * listening (a byte on the pipe) or failed. Returns the write end in the
 * child. */
static int daemonize(void)
{
	int p[2];
	pid_t pid;
	char ok = 0;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &ok, 1) != 1)
			ok = 0;
		_exit(ok == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout))
		return -1;
	return p[1];
}

/* SIGHUP: re-read the file and apply what can change while running. */
static void reload(const struct dcfg_flags *f, struct dcfg *cur, struct auth *auth,
		   struct web_server *web, struct job_mgr *jobs)
{
	struct dcfg n;
	struct sf_err err = { 0 };
	char token[512], src[640];

	if (load_config(f, &n, &err)) {
		dlog(DLOG_ERR, "reload: %s; keeping the running configuration", err.msg);
		return;
	}
	if (auth_load_token(&n, token, sizeof(token), src, sizeof(src), &err)) {
		dlog(DLOG_ERR, "reload: %s; keeping the running configuration", err.msg);
		return;
	}
	if (!token[0] && !web_listen_is_loopback(cur->listen)) {
		dlog(DLOG_ERR, "reload: no token any more but listening on %s; keeping the old token",
		     cur->listen);
	} else if (auth_check_rules(token, web_listen_is_loopback(cur->listen), cur->listen,
				    &err)) {
		dlog(DLOG_ERR, "reload: %s (%s); keeping the old token", err.msg, src);
	} else {
		auth_configure(auth, token, n.protect_reads, n.protect_memory);
		cur->protect_reads = n.protect_reads;
		cur->protect_memory = n.protect_memory;
		dlog(DLOG_INFO, "reload: token %s%s, reads %s, memory reads %s",
		     token[0] ? "from " : "none", token[0] ? src : "",
		     n.protect_reads ? "need the token" : "open",
		     n.protect_reads || n.protect_memory ? "need the token" : "open");
	}
	memset(token, 0, sizeof(token));
	web_server_set_max_body(web, n.max_body_bytes);
	job_mgr_set_limits(jobs, n.queue_length, n.history_max, n.refresh_ms);
	cur->max_body_bytes = n.max_body_bytes;
	cur->queue_length = n.queue_length;
	cur->history_max = n.history_max;
	cur->refresh_ms = n.refresh_ms;
	cur->stop_timeout = n.stop_timeout;
	cur->stop_hard_timeout = n.stop_hard_timeout;
	dlog(DLOG_INFO, "reload: max_body_bytes %llu, queue_length %u, history_max %u, "
	     "refresh_ms %u, stop_timeout %u s, stop_hard_timeout %u s",
	     (unsigned long long)n.max_body_bytes, n.queue_length, n.history_max, n.refresh_ms,
	     n.stop_timeout, n.stop_hard_timeout);
	if (strcmp(n.listen, cur->listen) || strcmp(n.probe, cur->probe) ||
	    strcmp(n.state_dir, cur->state_dir) || strcmp(n.name, cur->name) ||
	    n.max_connections != cur->max_connections ||
	    n.max_connections_per_address != cur->max_connections_per_address ||
	    strcmp(n.allowed_hosts, cur->allowed_hosts) ||
	    n.max_header_bytes != cur->max_header_bytes ||
	    n.connection_timeout != cur->connection_timeout || n.max_read_bytes != cur->max_read_bytes ||
	    n.max_client_memory != cur->max_client_memory || n.request_timeout != cur->request_timeout)
		dlog(DLOG_WARNING, "reload: listen, probe, state_dir, name, max_connections, "
		     "max_connections_per_address, allowed_hosts, max_header_bytes, "
		     "connection_timeout, max_client_memory, request_timeout and max_read_bytes "
		     "change only on restart");
}

int main(int argc, char **argv)
{
	struct dcfg_flags flags;
	struct dcfg cfg;
	struct sf_err err = { 0 };
	char token[512], src[640], tmpdir[600];
	struct auth *auth = NULL;
	struct store *store = NULL;
	struct pagekeep *keep = NULL;
	struct history *hist = NULL;
	struct job_mgr *jobs = NULL;
	struct web_server *web = NULL;
	struct web_api api;
	struct web_bench bench;
	struct recipes *recipes = NULL;
	struct units *units = NULL;
	struct devices *devices = NULL;
	struct benchio *bio = NULL;
	json_t *records = NULL;
	unsigned interrupted = 0, port = 0;
	int ready_fd = -1, rc = 1, listen_fd = -1, notify_on = 0, abandoned = 0, lock_fd = -1;
	sigset_t sigs;
	struct notify notify;
	struct web_page *page = NULL;
	struct web_events *events = NULL;
	struct web_metrics *metrics = NULL;

#ifdef __GLIBC__
	/* A large buffer (a memory read, an upload's image) gets pages of its
	 * own that go back to the system when it is freed. By default glibc
	 * raises this threshold after the first such free and then keeps large
	 * buffers in each client thread's arena, where they stay resident: a
	 * burst of slow clients would leave the daemon tens of MiB larger. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	if (parse_args(argc, argv, &flags))
		return 2;
	int cfg_rc = load_config(&flags, &cfg, &err);
	if (cfg_rc) {
		dlog(DLOG_ERR, "%s", err.msg);
		return cfg_rc == -2 ? 2 : 1;
	}
	/* systemd socket activation: the passed socket replaces --listen */
	listen_fd = notify_listen_fd(cfg.listen, sizeof(cfg.listen), &err);
	if (listen_fd < -1) {
		dlog(DLOG_ERR, "%s", err.msg);
		return 1;
	}
	if (auth_load_token(&cfg, token, sizeof(token), src, sizeof(src), &err)) {
		dlog(DLOG_ERR, "%s", err.msg);
		return 1;
	}
	if (!token[0] && !web_listen_is_loopback(cfg.listen)) {
		dlog(DLOG_ERR, "refusing to listen on %s without a token: anyone on the network "
		     "could flash or erase the target. Make one with\n"
		     "  head -c 32 /dev/urandom | base64 > " SWDFLASHD_SYSCONFDIR "/swdflashd/token && "
		     "chmod 600 " SWDFLASHD_SYSCONFDIR "/swdflashd/token\n"
		     "and start with --token-file " SWDFLASHD_SYSCONFDIR "/swdflashd/token (or [auth] token_file, "
		     "or systemd LoadCredential=token:...), or listen on 127.0.0.1", cfg.listen);
		return 1;
	}
	if (auth_check_rules(token, web_listen_is_loopback(cfg.listen), cfg.listen, &err)) {
		dlog(DLOG_ERR, "%s (token from %s)", err.msg, src);
		memset(token, 0, sizeof(token));
		return 1;
	}
	if (mkdirs(cfg.state_dir)) {
		dlog(DLOG_ERR, "state directory %s: %s", cfg.state_dir, strerror(errno));
		return 1;
	}
	if (!flags.foreground) {
		ready_fd = daemonize();
		if (ready_fd < 0) {
			dlog(DLOG_ERR, "cannot fork into the background: %s", strerror(errno));
			return 1;
		}
	}

	/* one daemon per state directory, before anything in it is read or
	 * cleaned (the lock names this process, so after the fork) */
	if (instance_lock(cfg.state_dir, "swdflashd", &lock_fd, &err))
		goto fail;

	/* signals are taken synchronously by this thread; every other thread
	 * inherits the mask */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	notify_init(&notify, cfg.name);
	notify_on = 1;

	auth = auth_new();
	if (!auth)
		goto out;
	auth_configure(auth, token, cfg.protect_reads, cfg.protect_memory);
	if (token[0])
		dlog(DLOG_INFO, "auth: token from %s; POST and DELETE need it%s", src,
		     cfg.protect_reads ? ", reads too"
		     : cfg.protect_memory ? ", and so do memory reads" : "");
	else
		dlog(DLOG_WARNING, "auth: no token configured: anyone who can reach %s may flash "
		     "(allowed on loopback only)", cfg.listen);
	memset(token, 0, sizeof(token));

	store = store_open(cfg.state_dir, &err);
	if (!store)
		goto fail;
	hist = history_open(cfg.state_dir, cfg.history_max, &records, &interrupted, &err);
	if (!hist)
		goto fail;
	if (interrupted)
		dlog(DLOG_WARNING, "history: %u job(s) were unfinished when the daemon stopped; "
		     "marked interrupted", interrupted);
	snprintf(src, sizeof(src), "%s/keep", cfg.state_dir);
	keep = pagekeep_open(src, &err);
	if (!keep)
		goto fail;
	if (pagekeep_count(keep))
		dlog(DLOG_WARNING, "keep: %u page(s) of bytes outside an image were kept by a job that "
		     "did not finish (%s): the next flash of that chip writes them back",
		     pagekeep_count(keep), src);
	struct job_mgr_config jc = {
		.probe_spec = cfg.probe, .queue_length = cfg.queue_length,
		.history_max = cfg.history_max, .refresh_ms = cfg.refresh_ms, .keep = keep,
	};
	jobs = job_mgr_new(&jc, hist, records, &err);
	json_decref(records);
	records = NULL;
	if (!jobs)
		goto fail;
	recipes = recipes_open(cfg.state_dir, store, &err);
	units = recipes ? units_open(cfg.state_dir, &err) : NULL;
	devices = units ? devices_open(cfg.state_dir, &err) : NULL;
	if (!devices)
		goto fail;
	struct job_bench jb = { .store = store, .recipes = recipes, .units = units,
				.devices = devices, .station = cfg.name, .poll_ms = cfg.bench_poll_ms };
	job_mgr_set_bench(jobs, &jb);
	bench = (struct web_bench){ .jobs = jobs, .recipes = recipes, .devices = devices,
				    .units = units };

	struct web_config wc = {
		.max_connections = cfg.max_connections,
		.max_connections_per_address = cfg.max_connections_per_address,
		.max_header_bytes = cfg.max_header_bytes,
		.max_body_bytes = cfg.max_body_bytes, .connection_timeout = cfg.connection_timeout,
		.max_client_bytes = cfg.max_client_memory, .request_timeout = cfg.request_timeout,
	};
	snprintf(wc.listen, sizeof(wc.listen), "%s", cfg.listen);
	snprintf(wc.allowed_hosts, sizeof(wc.allowed_hosts), "%s", cfg.allowed_hosts);
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", cfg.state_dir);
	snprintf(wc.tmp_dir, sizeof(wc.tmp_dir), "%s", tmpdir);
	web = web_server_new(&wc, auth, &err);
	if (!web)
		goto fail;
	memset(&api, 0, sizeof(api));
	api.jobs = jobs;
	api.store = store;
	api.station = cfg.name;
	api.max_read_bytes = cfg.max_read_bytes;
	if (web_api_register(web, &api) || web_bench_register(web, &bench)) {
		sf_err_set(&err, SF_E_ARG, "route table full");
		goto fail;
	}
	/* the status page, live events, metrics, systemd status */
	struct web_events_config evc = {
		.station = cfg.name, .version = SF_VERSION,
		.max_clients = cfg.max_connections > 8 ? cfg.max_connections / 2 : 4,
	};
	events = web_events_new(jobs, &evc);
	struct web_metrics_config mc = {
		.version = SF_VERSION, .station = cfg.name, .events = events,
	};
	metrics = web_metrics_new(jobs, &mc);
	page = web_page_new(flags.web_root);
	if (!events || !metrics || !page || web_page_register(page, web) ||
	    web_events_register(events, web) || web_metrics_register(metrics, web) ||
	    notify_attach(&notify, jobs)) {
		sf_err_set(&err, SF_E_NOMEM, "cannot add the page, event and metrics routes");
		goto fail;
	}
	/* only now: every listener must see the worker's first target event */
	if (strcmp(cfg.bench_handsfree, "off") && strcmp(cfg.bench_handsfree, "auto") &&
	    strcmp(cfg.bench_handsfree, "button")) {
		sf_err_set(&err, SF_E_ARG, "[bench] handsfree '%s': use off, auto or button",
			   cfg.bench_handsfree);
		goto fail;
	}
	if (cfg.bench_gpio[0] && !(bio = benchio_open(cfg.bench_gpio, cfg.bench_debounce_ms,
						       cfg.bench_buzzer_ms, jobs, &err)))
		goto fail;
	if (strcmp(cfg.bench_handsfree, "off")) {
		struct sf_err herr = { 0 };
		if (job_handsfree_arm(jobs, 1, strcmp(cfg.bench_handsfree, "button") ? JOB_HF_AUTO
			: JOB_HF_BUTTON, &herr))
			dlog(DLOG_WARNING, "hands-free not armed at start: %s", herr.msg);
	}
	if (job_mgr_start(jobs, &err))
		goto fail;
	if (listen_fd >= 0) {
		web_server_set_listen_fd(web, listen_fd);
		dlog(DLOG_INFO, "socket activation: serving on the socket systemd passed (%s)",
		     cfg.listen);
	}
	if (web_server_start(web, &port, &err)) {
		/* one daemon per port: name the one that has it */
		const char *colon = strrchr(cfg.listen, ':');
		char who[128];
		unsigned long lp = colon ? strtoul(colon + 1, NULL, 10) : 0;
		if (listen_fd < 0 && lp && lp < 65536 && !instance_port_holder((unsigned)lp, who,
										 sizeof(who)))
			sf_err_prefix(&err, "port %lu is in use by %s", lp, who);
		goto fail;
	}
	{
		char host[128];
		snprintf(host, sizeof(host), "%.*s", (int)(strrchr(cfg.listen, ':') - cfg.listen),
			 cfg.listen);
		dlog(DLOG_INFO, "swdflashd %s listening on http://%s:%u/ (probe %s, state %s)",
		     SF_VERSION, host, port, cfg.probe, cfg.state_dir);
		snprintf(src, sizeof(src), "http://%s:%u/", host, port);
		notify_ready(&notify, src);
	}
	if (ready_fd >= 0) {
		char ok = 1;
		if (write(ready_fd, &ok, 1) != 1)
			dlog(DLOG_WARNING, "cannot notify the parent process");
		close(ready_fd);
		ready_fd = -1;
	}

	for (;;) {
		int sig = 0;
		if (notify_wait_signal(&notify, &sigs, &sig))
			continue;
		if (sig == SIGHUP) {
			dlog(DLOG_INFO, "SIGHUP: reloading the configuration");
			reload(&flags, &cfg, auth, web, jobs);
			continue;
		}
		dlog(DLOG_INFO, "%s: stopping (a running job may finish for %u s)",
		     sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg.stop_timeout);
		break;
	}
	api.stopping = 1;
	notify_stopping(&notify);
	/* a worker that does not reach a safe point in time is left behind with
	 * what it uses: the job manager, the history, the listeners */
	abandoned = job_mgr_stop(jobs, cfg.stop_timeout * 1000U,
				 cfg.stop_hard_timeout * 1000U) != 0;
	web_events_stop(events);
	web_server_stop(web);
	rc = abandoned;
	dlog(abandoned ? DLOG_ERR : DLOG_INFO, "stopped%s",
	     abandoned ? " without the job worker" : "");
	if (abandoned) {
		web_server_free(web);
		web_page_free(page);
		store_close(store);
		auth_free(auth);
		/* exit() from here keeps this frame (notify is a listener) alive
		 * while the worker may still run */
		exit(rc);
	}
	goto out;
fail:
	dlog(DLOG_ERR, "%s", err.msg[0] ? err.msg : "start-up failed");
	if (ready_fd >= 0)
		close(ready_fd);
out:
	web_events_stop(events);
	web_server_free(web);
	web_events_free(events);
	web_metrics_free(metrics);
	web_page_free(page);
	if (notify_on)
		notify_done(&notify);
	benchio_close(bio);
	job_mgr_free(jobs);
	devices_close(devices);
	units_close(units);
	recipes_close(recipes);
	pagekeep_free(keep);
	json_decref(records);
	history_close(hist);
	store_close(store);
	auth_free(auth);
	instance_unlock(lock_fd);
	return rc;
}
