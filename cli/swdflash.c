// SPDX-License-Identifier: GPL-2.0-or-later
/* swdflash: the nRF52 flash engine as a command-line tool.
 *
 *   swdflash [--probe SPEC] [--json] COMMAND [ARGS]
 *
 * Commands and option names are a stable interface (scripts use them).
 * One table (cli_cmds) says which commands exist, what they take and how
 * their usage reads; one table (cli_optdefs) spells every option; both the
 * help text and getopt_long's option list are made from them.
 * Exit codes come from common/errmap.h. Results go to stdout (text, or one
 * JSON object with --json); progress, notes and errors go to stderr. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "../nrf52/image.h"
#include "../nrf52/nrf52.h"
#include "../swd/probe.h"
#include "../common/errmap.h"
#include "../common/parse.h"
#include "../common/version.h"
#include "progress.h"
#include "station.h"
#include "../daemon/flashreq.h"
#include "../daemon/pagekeep.h"
#include "../daemon/target_json.h"

#define CLI_DEFAULT_PROBE "gpiod"
#define CLI_MAX_POS 2        /* most positional arguments a command takes */
#define CLI_HELP_WIDTH 79

/* Set by SIGINT; the engine stops at its next safe point. */
static volatile sig_atomic_t cli_interrupted;

static void cli_on_sigint(int sig)
{
	(void)sig;
	cli_interrupted = 1;
}

/* Every option, global or a command's. CLI_O(id) is its bit in a mask. */
enum cli_opt_id {
	CLI_O_PROBE, CLI_O_JSON, CLI_O_HELP, CLI_O_VERSION,
	CLI_O_FORMAT, CLI_O_BASE, CLI_O_ERASE, CLI_O_NO_VERIFY, CLI_O_NO_RESET, CLI_O_FULL,
	CLI_O_RECOVER, CLI_O_CHIP, CLI_O_UICR, CLI_O_RANGE, CLI_O_HALT, CLI_O_KIND,
	CLI_O_OUTPUT, CLI_O_VERIFY, CLI_O_DEBUG,
	CLI_O_COUNT
};
#define CLI_O(id) (1u << (id))
#define CLI_O_GLOBAL (CLI_O(CLI_O_PROBE) | CLI_O(CLI_O_JSON) | CLI_O(CLI_O_HELP) | \
		      CLI_O(CLI_O_VERSION) | CLI_O(CLI_O_DEBUG))
/* getopt_long returns this plus the id for a long option */
#define CLI_O_VAL 0x100

struct cli_optdef {
	const char *name;      /* the long spelling, without "--" */
	char short_name;       /* 0 or the one-letter spelling */
	const char *arg;       /* NULL: takes no value; else its name in help */
	const char *help;
	void (*values)(char *buf, size_t n);  /* NULL, or the accepted values for help */
};

static const struct cli_optdef cli_optdefs[CLI_O_COUNT] = {
	[CLI_O_PROBE] = { "probe", 0, "SPEC", "the probe (default $SWDFLASH_PROBE, else "
			  CLI_DEFAULT_PROBE ")", NULL },
	[CLI_O_JSON] = { "json", 0, NULL, "print one JSON object on stdout", NULL },
	[CLI_O_HELP] = { "help", 'h', NULL, "print this help and exit", NULL },
	[CLI_O_VERSION] = { "version", 0, NULL, "print the version and exit", NULL },
	[CLI_O_FORMAT] = { "format", 0, "F", "image format", flashreq_format_list },
	[CLI_O_BASE] = { "base", 0, "ADDR", "load address of a raw binary", NULL },
	[CLI_O_ERASE] = { "erase", 0, "MODE", "what to erase first", flashreq_erase_list },
	[CLI_O_NO_VERIFY] = { "no-verify", 0, NULL, "do not read back what was written", NULL },
	[CLI_O_NO_RESET] = { "no-reset", 0, NULL, "do not reset into the new firmware", NULL },
	[CLI_O_FULL] = { "full", 0, NULL, "write pages even when they already match", NULL },
	[CLI_O_RECOVER] = { "recover", 0, NULL, "recover a locked chip first (erases flash, "
			    "UICR and RAM)", NULL },
	[CLI_O_CHIP] = { "chip", 0, NULL, "erase flash and UICR (the default)", NULL },
	[CLI_O_UICR] = { "uicr", 0, NULL, "erase UICR only", NULL },
	[CLI_O_RANGE] = { "range", 0, "START:END", "erase the pages covering [START, END)", NULL },
	[CLI_O_HALT] = { "halt", 0, NULL, "stay halted at the reset vector", NULL },
	[CLI_O_KIND] = { "kind", 0, "KIND", "sysresetreq (default), ctrlap or pin (needs "
			 "UICR.PSELRESET)", NULL },
	[CLI_O_OUTPUT] = { "output", 'o', "FILE", "where to write (- is stdout)", NULL },
	[CLI_O_VERIFY] = { "verify", 0, "MODE", "auto (CRC-32 on the target when it runs "
			   "code) or read (read back)", NULL },
	[CLI_O_DEBUG] = { "debug", 0, NULL, "print the engine's debug lines (which path "
			  "it took)", NULL },
};

struct cli_opts {
	const char *probe;
	int json;
	const char *cmd;
	const char *pos[CLI_MAX_POS];
	int npos;
	/* flash / verify / read */
	const char *format;
	const char *base;
	const char *erase;
	int no_verify, no_reset, full, recover;
	const char *verify;
	int debug;
	/* erase */
	int chip, uicr;
	const char *range;
	/* reset */
	int halt;
	const char *kind;
	/* read */
	const char *out;
};

struct cli {
	struct cli_opts o;
	const struct cli_cmd *cmd;
	json_t *result;      /* the JSON object printed at the end */
	json_t *notes;       /* log lines from the engine */
	struct progress *prog;
	struct swd_probe *probe;
	struct nrf52 *eng;
	int tty;
};

/* One row per command: everything the help, the parser and main need. */
struct cli_cmd {
	const char *name;
	int (*run)(struct cli *c);
	const char *args;      /* positional arguments as the usage line shows them */
	int npos;              /* how many */
	unsigned opts;         /* CLI_O() of the options it takes besides the global ones */
	unsigned required;     /* ... of those, the ones it cannot do without */
	unsigned one_of;       /* ... of those, the ones that exclude each other */
	const char *help;      /* what it does (lines of at most 70 characters) */
};

/* ---- output ---- */

static void cli_print_json(json_t *obj)
{
	char *s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
}

static int cli_fail(struct cli *c, int code, const char *msg)
{
	int ex = errmap_exit_code(code);

	if (c->prog)
		progress_end(c->prog);
	fprintf(stderr, "swdflash: %s\n", msg);
	if (c->o.json) {
		json_t *e = json_pack("{s:s, s:s, s:i}", "code", sf_err_name(code), "message", msg,
				      "exit_code", ex);
		json_object_set_new(c->result, "ok", json_false());
		json_object_set_new(c->result, "error", e);
		json_object_set_new(c->result, "notes", json_incref(c->notes));
		cli_print_json(c->result);
	}
	return ex;
}

__attribute__((format(printf, 2, 3)))
static int cli_usage_error(struct cli *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "swdflash: %s (see swdflash --help)\n", msg);
	if (c->o.json) {
		json_object_set_new(c->result, "ok", json_false());
		json_object_set_new(c->result, "error",
				    json_pack("{s:s, s:s, s:i}", "code", "bad_argument", "message", msg,
					      "exit_code", ERRMAP_EXIT_USAGE));
		cli_print_json(c->result);
	}
	return ERRMAP_EXIT_USAGE;
}

static void cli_log(void *user, const char *line)
{
	struct cli *c = user;

	json_array_append_new(c->notes, json_string(line));
	if (!c->o.json) {
		if (c->prog)
			progress_end(c->prog);
		fprintf(stderr, "swdflash: %s\n", line);
	}
}

static void cli_debug(void *user, const char *line)
{
	struct cli *c = user;

	if (c->prog)
		progress_end(c->prog);
	fprintf(stderr, "swdflash: debug: %s\n", line);
}

/* --verify MODE, or a usage error. */
static int cli_verify_mode(struct cli *c, enum nrf52_verify_mode *m)
{
	int v;

	*m = NRF52_VERIFY_AUTO;
	if (!c->o.verify)
		return 0;
	v = nrf52_verify_mode_from_name(c->o.verify);
	if (v < 0)
		return cli_usage_error(c, "bad --verify '%s' (auto, read)", c->o.verify);
	*m = (enum nrf52_verify_mode)v;
	return 0;
}

static int cli_progress(void *user, enum nrf52_phase phase, uint64_t done, uint64_t total)
{
	struct cli *c = user;

	/* connect and reset are instants, not worth a bar */
	if (c->prog && phase != NRF52_PHASE_CONNECT && phase != NRF52_PHASE_RESET)
		progress_update(c->prog, nrf52_phase_name(phase), done, total);
	return cli_interrupted != 0;
}

/* ---- probe and engine ---- */

static int cli_open(struct cli *c)
{
	struct sf_err err = { 0 };
	const char *spec = c->o.probe;
	int rc;

	if (!spec)
		spec = getenv("SWDFLASH_PROBE");
	if (!spec || !*spec)
		spec = CLI_DEFAULT_PROBE;
	rc = swd_probe_open(spec, &c->probe, &err);
	if (rc) {
		int ex = errmap_exit_code(rc);
		c->probe = NULL;
		/* a bad spec is a usage error, not a target error */
		if (rc == SF_E_ARG)
			return cli_usage_error(c, "%s", err.msg);
		cli_fail(c, rc, err.msg);
		return ex;
	}
	json_object_set_new(c->result, "probe", json_pack("{s:s, s:s}", "kind", swd_probe_kind(c->probe),
							   "description", swd_probe_desc(c->probe)));
	const struct swd_probe_usb *usb = swd_probe_usb(c->probe);
	if (usb) {
		json_t *pj = json_object_get(c->result, "probe");

		json_object_set_new(pj, "model", json_string(usb->model));
		json_object_set_new(pj, "firmware", json_string(usb->firmware));
		json_object_set_new(pj, "serial", json_string(usb->serial));
		json_object_set_new(pj, "swd_khz", json_integer(usb->khz));
		json_object_set_new(pj, "voltage_mv", usb->voltage_mv >= 0 ?
				    json_integer(usb->voltage_mv) : json_null());
		if (usb->warning[0]) {
			json_object_set_new(pj, "warning", json_string(usb->warning));
			fprintf(stderr, "swdflash: warning: %s\n", usb->warning);
		}
	}
	c->eng = nrf52_new(swd_probe_dap(c->probe), swd_probe_clock(c->probe), cli_log, c);
	if (!c->eng)
		return cli_fail(c, SF_E_NOMEM, "out of memory");
	nrf52_set_progress(c->eng, cli_progress, c);
	if (c->o.debug)
		nrf52_set_debug(c->eng, cli_debug, c);
	return 0;
}

static int cli_identify(struct cli *c, struct nrf52_info *info)
{
	struct sf_err err = { 0 };
	int rc = nrf52_identify(c->eng, info, &err);

	if (rc)
		return cli_fail(c, rc, err.msg);
	json_object_set_new(c->result, "target", target_json_info(info));
	return 0;
}

/* The daemon's check (daemon/flashreq.h) on the target identified here:
 * a locked chip is refused unless rq->recover, and img (unless NULL) must
 * fit the part. */
static int cli_check_target(struct cli *c, struct flashreq *rq, const struct nrf52_info *info,
			    const struct img *img)
{
	struct flashreq_target t = { .connected = 1, .info = info };
	struct sf_err err = { 0 };
	int rc;

	rq->recover_hint = c->cmd->opts & CLI_O(CLI_O_RECOVER)
		? "add --recover (or run 'swdflash recover')" : "run 'swdflash recover'";
	rc = flashreq_check_target(rq, &t, img, &err);
	return rc ? cli_fail(c, rc, err.msg) : 0;
}

/* Parse FILE before the probe is opened: a bad image never touches the chip. */
static int cli_load_image(struct cli *c, struct flashreq *rq, struct img *img)
{
	struct sf_err err = { 0 };
	char names[64];
	int fmt = IMG_AUTO;
	int rc;

	memset(rq, 0, sizeof(*rq));
	if (c->o.format && (fmt = flashreq_format_from_name(c->o.format)) < 0) {
		flashreq_format_list(names, sizeof(names));
		return cli_usage_error(c, "unknown image format '%s' (%s)", c->o.format, names);
	}
	rq->format = (enum img_format)fmt;
	if (c->o.base && parse_u32(c->o.base, &rq->base))
		return cli_usage_error(c, "bad --base '%s' (decimal, or hex with 0x)", c->o.base);
	rq->base_set = c->o.base != NULL;
	rq->name = c->o.pos[0];  /* NAME.bin with --base: a raw binary */
	if (c->o.base && fmt != IMG_BIN && fmt != IMG_AUTO)
		return cli_usage_error(c, "--base applies to raw binary images only");
	rc = flashreq_parse_file(c->o.pos[0], rq, img, &err);
	if (rc)
		return cli_fail(c, rc, err.msg);
	json_object_set_new(c->result, "image",
			    json_pack("{s:s, s:s, s:s, s:I, s:I}", "file", c->o.pos[0], "format",
				      flashreq_format_name(img->format), "sha256", img->sha256_hex,
				      "bytes", (json_int_t)img->total, "segments",
				      (json_int_t)img->nseg));
	return 0;
}

/* ---- commands ---- */

/* probes: what this machine offers; opens nothing, so it works without a
 * target (and tells a new user which --probe to try). */
static int cmd_probes(struct cli *c)
{
	struct swd_probe_avail pa[SWD_PROBE_KINDS];
	json_t *arr = json_array();

	swd_probe_list(pa);
	for (int i = 0; i < SWD_PROBE_KINDS; i++) {
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:s}", "kind", pa[i].kind,
						     "spec", pa[i].spec, "available",
						     pa[i].available, "detail", pa[i].detail));
		if (!c->o.json)
			printf("%-8s %-3s %s\n         %s\n", pa[i].kind,
			       pa[i].available ? "yes" : "no", pa[i].detail, pa[i].spec);
	}
	json_object_set_new(c->result, "probes", arr);
	return 0;
}

static int cmd_info(struct cli *c)
{
	struct nrf52_info in;
	int rc;

	if ((rc = cli_open(c)) || (rc = cli_identify(c, &in)))
		return rc;
	if (c->o.json) {
		/* info: the target's fields at the top level (part, flash_size, ...) */
		json_object_update(c->result, json_object_get(c->result, "target"));
		json_object_del(c->result, "target");
		return 0;
	}
	printf("probe       %s\n", swd_probe_desc(c->probe));
	printf("dp          DPIDR 0x%08x, AHB-AP IDR 0x%08x, CTRL-AP IDR 0x%08x\n", in.dpidr,
	       in.ahb_ap_idr, in.ctrl_ap_idr);
	if (!in.identified) {
		printf("approtect   LOCKED: FICR unreadable; 'swdflash recover' erases the chip "
		       "to unlock it\n");
		return 0;
	}
	printf("part        %s, variant %s, package %s%s\n", in.name, in.variant,
	       in.package_name, in.hardened ? ", hardened APPROTECT" : "");
	printf("flash       %u KiB (%u pages of %u bytes)\n", in.flash_size / 1024,
	       in.flash_size / in.page_size, in.page_size);
	printf("ram         %u KiB\n", in.ram_size / 1024);
	printf("device id   %016llX\n", (unsigned long long)in.device_id);
	printf("device addr %012llX\n", (unsigned long long)in.device_addr);
	printf("approtect   open\n");
	return 0;
}

static json_t *cli_stats_json(const struct nrf52_stats *st)
{
	json_t *o = json_pack("{s:i, s:i, s:i, s:i, s:I, s:I, s:b, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			 "pages_erased", st->pages_erased, "pages_skipped", st->pages_skipped,
			 "pages_restored", st->pages_restored,
			 "pages_written", st->pages_written, "bytes_written",
			 (json_int_t)st->bytes_written, "bytes_verified",
			 (json_int_t)st->bytes_verified, "uicr_erased", st->uicr_erased,
			 "uicr_merged", st->uicr_merged, "probe_time_us", "connect",
			 (json_int_t)st->us_connect, "compare", (json_int_t)st->us_compare,
			 "erase", (json_int_t)st->us_erase, "program", (json_int_t)st->us_program,
			 "verify", (json_int_t)st->us_verify, "reset", (json_int_t)st->us_reset);

	if (o)
		json_object_set_new(o, "target_code", json_pack("{s:i, s:I, s:I, s:b}",
				    "pages_crc", st->pages_crc, "bytes_crc_verified",
				    (json_int_t)st->bytes_crc_verified, "words_ram_writer",
				    (json_int_t)st->words_ram_writer, "fallback",
				    st->target_fallback));
	return o;
}

/* Where the bytes outside an image are kept across a failed run:
 * $SWDFLASH_KEEP_DIR, else $XDG_STATE_HOME/swdflash/keep, else
 * ~/.local/state/swdflash/keep. */
static struct pagekeep *cli_keep_open(struct sf_err *err)
{
	char kdir[600];
	const char *kenv = getenv("SWDFLASH_KEEP_DIR"), *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (kenv && *kenv)
		snprintf(kdir, sizeof(kdir), "%s", kenv);
	else if (xdg && *xdg)
		snprintf(kdir, sizeof(kdir), "%s/swdflash/keep", xdg);
	else
		snprintf(kdir, sizeof(kdir), "%s/.local/state/swdflash/keep", home && *home ? home : ".");
	return pagekeep_open(kdir, err);
}

/* An erase or recover asked for: what an unfinished run kept for this chip
 * must not come back. */
static void cli_forget_kept(struct cli *c, uint64_t device_id)
{
	struct sf_err err = { 0 };
	struct pagekeep *keep = cli_keep_open(&err);
	unsigned n = keep ? pagekeep_forget_chip(keep, device_id) : 0;

	pagekeep_free(keep);
	if (n && !c->o.json)
		fprintf(stderr, "swdflash: dropped %u page(s) an unfinished run had kept to restore "
			"(the chip was erased on purpose)\n", n);
}

static int cmd_flash(struct cli *c)
{
	struct nrf52_flash_opts fo = { .erase = NRF52_ERASE_AUTO, .verify = 1, .reset = 1 };
	struct nrf52_stats st;
	struct nrf52_info in;
	struct sf_err err = { 0 };
	struct flashreq rq;
	struct img img = { 0 };
	struct pagekeep *keep = NULL;
	int rc;

	if (c->o.erase) {
		int e = flashreq_erase_from_name(c->o.erase);
		char names[64];

		if (e < 0) {
			flashreq_erase_list(names, sizeof(names));
			return cli_usage_error(c, "bad --erase '%s' (%s)", c->o.erase, names);
		}
		fo.erase = (enum nrf52_erase_mode)e;
	}
	fo.verify = !c->o.no_verify;
	if ((rc = cli_verify_mode(c, &fo.verify_mode)))
		return rc;
	fo.reset = !c->o.no_reset;
	fo.full_write = c->o.full;
	fo.recover = c->o.recover;
	if ((rc = cli_load_image(c, &rq, &img)))
		return rc;
	rq.recover = fo.recover;
	if ((rc = cli_open(c)) || (rc = cli_identify(c, &in)) ||
	    (rc = cli_check_target(c, &rq, &in, &img)))
		goto out;
	if (!c->o.json && in.identified)
		fprintf(stderr, "swdflash: %s: %s, %llu bytes in %zu segments, sha256 %.12s -> %s %s "
			"device %016llX\n", c->o.pos[0], flashreq_format_name(img.format),
			(unsigned long long)img.total, img.nseg, img.sha256_hex, in.name, in.variant,
			(unsigned long long)in.device_id);
	else if (!c->o.json)
		fprintf(stderr, "swdflash: %s: %s, %llu bytes in %zu segments, sha256 %.12s -> "
			"locked chip\n", c->o.pos[0], flashreq_format_name(img.format),
			(unsigned long long)img.total, img.nseg, img.sha256_hex);
	/* the bytes outside the image survive a failed run (daemon/pagekeep.h) */
	if (!(keep = cli_keep_open(&err))) {
		rc = cli_fail(c, err.code, err.msg);
		goto out;
	}
	nrf52_set_keeper(c->eng, pagekeep_keeper(keep));
	rc = nrf52_flash(c->eng, &img, &fo, &st, &err);
	nrf52_set_keeper(c->eng, NULL);
	if (c->prog)
		progress_end(c->prog);
	json_object_set_new(c->result, "stats", cli_stats_json(&st));
	if (rc) {
		rc = cli_fail(c, rc, err.msg);
		goto out;
	}
	json_object_set_new(c->result, "target", target_json_info(nrf52_get_info(c->eng)));
	if (!c->o.json) {
		printf("flashed %llu bytes: %u pages written, %u unchanged, %u erased%s%s\n",
		       (unsigned long long)img.total, st.pages_written, st.pages_skipped,
		       st.pages_erased, st.uicr_erased ? ", UICR erased" : "",
		       st.uicr_merged ? " and merged" : "");
		if (st.pages_restored)
			printf("restored the bytes outside the image in %u page(s) that an earlier "
			       "run kept before erasing them\n", st.pages_restored);
		if (fo.verify && st.bytes_written)
			printf("verified %llu bytes\n", (unsigned long long)st.bytes_verified);
		else if (fo.verify)
			printf("nothing written: the target already held the image (compared)\n");
		printf("probe time: connect %.3f s, compare %.3f s, erase %.3f s, program %.3f s, "
		       "verify %.3f s, reset %.3f s\n", st.us_connect / 1e6, st.us_compare / 1e6,
		       st.us_erase / 1e6, st.us_program / 1e6, st.us_verify / 1e6,
		       st.us_reset / 1e6);
		if (fo.reset)
			printf("reset: running\n");
	}
out:
	pagekeep_free(keep);
	flashreq_image_free(&img);
	return rc;
}

static int cmd_verify(struct cli *c)
{
	struct nrf52_info in;
	struct sf_err err = { 0 };
	struct flashreq rq;
	struct img img = { 0 };
	enum nrf52_verify_mode mode;
	int rc;

	if ((rc = cli_verify_mode(c, &mode)))
		return rc;
	if ((rc = cli_load_image(c, &rq, &img)))
		return rc;
	if ((rc = cli_open(c)) || (rc = cli_identify(c, &in)) ||
	    (rc = cli_check_target(c, &rq, &in, &img)))
		goto out;
	rc = nrf52_verify_mode(c->eng, &img, mode, &err);
	if (c->prog)
		progress_end(c->prog);
	if (rc) {
		rc = cli_fail(c, rc, err.msg);
		goto out;
	}
	json_object_set_new(c->result, "bytes_verified", json_integer((json_int_t)img.total));
	if (!c->o.json)
		printf("verified %llu bytes: the target matches %s\n",
		       (unsigned long long)img.total, c->o.pos[0]);
out:
	flashreq_image_free(&img);
	return rc;
}

static int cmd_erase(struct cli *c)
{
	struct sf_err err = { 0 };
	struct flashreq rq = { 0 };
	struct nrf52_info in;
	uint32_t start = 0, end = 0;
	const char *what;
	int rc;

	if (c->o.range) {
		char buf[64], *colon;

		snprintf(buf, sizeof(buf), "%s", c->o.range);
		colon = strchr(buf, ':');
		if (!colon)
			return cli_usage_error(c, "bad --range '%s' (START:END)", c->o.range);
		*colon = '\0';
		if (parse_u32(buf, &start) || parse_u32(colon + 1, &end) || end <= start)
			return cli_usage_error(c, "bad --range '%s' (START:END, END > START)",
					       c->o.range);
	}
	if ((rc = cli_open(c)) || (rc = cli_identify(c, &in)) ||
	    (rc = cli_check_target(c, &rq, &in, NULL)))
		return rc;
	if (c->o.uicr) {
		what = "uicr";
		rc = nrf52_erase_uicr(c->eng, &err);
	} else if (c->o.range) {
		what = "range";
		rc = nrf52_erase_range(c->eng, start, end, &err);
	} else {
		what = "chip";
		rc = nrf52_erase_chip(c->eng, &err);
	}
	if (c->prog)
		progress_end(c->prog);
	if (rc)
		return cli_fail(c, rc, err.msg);
	cli_forget_kept(c, in.device_id);
	json_object_set_new(c->result, "erased", json_string(what));
	if (!c->o.json) {
		if (c->o.range && start >= NRF52_UICR_BASE)
			printf("erased UICR (it is erased as a whole)\n");
		else if (c->o.range)
			printf("erased the pages 0x%08x-0x%08x\n", start & ~(in.page_size - 1),
			       ((end - 1) | (in.page_size - 1)));
		else
			printf("erased %s\n", c->o.uicr ? "UICR" : "the whole chip (flash and UICR)");
	}
	return 0;
}

static int cmd_recover(struct cli *c)
{
	struct sf_err err = { 0 };
	int rc;

	if ((rc = cli_open(c)))
		return rc;
	rc = nrf52_recover(c->eng, &err);
	if (c->prog)
		progress_end(c->prog);
	if (rc)
		return cli_fail(c, rc, err.msg);
	if (nrf52_get_info(c->eng)->identified)
		cli_forget_kept(c, nrf52_get_info(c->eng)->device_id);
	json_object_set_new(c->result, "target", target_json_info(nrf52_get_info(c->eng)));
	if (!c->o.json)
		printf("recovered: the chip is erased and open\n");
	return 0;
}

static int cmd_reset(struct cli *c)
{
	enum nrf52_reset_kind kind = NRF52_RESET_SYSRESETREQ;
	struct sf_err err = { 0 };
	const struct nrf52_info *in;
	int rc;

	if (c->o.kind) {
		if (!strcmp(c->o.kind, "sysresetreq"))
			kind = NRF52_RESET_SYSRESETREQ;
		else if (!strcmp(c->o.kind, "ctrlap"))
			kind = NRF52_RESET_CTRLAP;
		else if (!strcmp(c->o.kind, "pin"))
			kind = NRF52_RESET_PIN;
		else
			return cli_usage_error(c, "bad --kind '%s' (sysresetreq, ctrlap or pin)",
					       c->o.kind);
	}
	if ((rc = cli_open(c)))
		return rc;
	rc = nrf52_reset(c->eng, kind, c->o.halt, &err);
	if (rc)
		return cli_fail(c, rc, err.msg);
	in = nrf52_get_info(c->eng);
	json_object_set_new(c->result, "halted", json_boolean(c->o.halt));
	json_object_set_new(c->result, "locked", json_boolean(in->locked));
	if (!c->o.json)
		printf("reset (%s): %s%s\n", c->o.kind ? c->o.kind : "sysresetreq",
		       c->o.halt ? "halted at the reset vector" : "running",
		       in->locked ? "; the chip is LOCKED now" : "");
	return 0;
}

static int cli_write_file(const char *path, int hex, uint32_t addr, const uint8_t *buf,
			  size_t len, char *msg, size_t msglen)
{
	int to_stdout = !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "wb");
	int bad;

	if (!f) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (hex)
		bad = img_write_ihex(f, addr, buf, len) != 0;
	else
		bad = fwrite(buf, 1, len, f) != len;
	bad |= fflush(f) != 0;
	if (!to_stdout)
		bad |= fclose(f) != 0;
	if (bad) {
		snprintf(msg, msglen, "%s: write failed: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_read(struct cli *c)
{
	struct sf_err err = { 0 };
	struct flashreq rq = { 0 };
	struct nrf52_info in;
	uint32_t addr, len;
	uint8_t *buf;
	char msg[320];
	size_t pl;
	int rc, hex;

	if (parse_u32(c->o.pos[0], &addr))
		return cli_usage_error(c, "bad ADDRESS '%s'", c->o.pos[0]);
	if (parse_u32(c->o.pos[1], &len) || len == 0)
		return cli_usage_error(c, "bad LENGTH '%s'", c->o.pos[1]);
	if ((uint64_t)addr + len > 0x100000000ULL)
		return cli_usage_error(c, "ADDRESS + LENGTH is past 4 GiB");
	pl = strlen(c->o.out);
	hex = pl > 4 && !strcasecmp(c->o.out + pl - 4, ".hex");
	if (c->o.format) {
		if (!strcmp(c->o.format, "hex"))
			hex = 1;
		else if (!strcmp(c->o.format, "bin"))
			hex = 0;
		else
			return cli_usage_error(c, "bad --format '%s' for read (bin or hex)",
					       c->o.format);
	}
	if (c->o.json && !strcmp(c->o.out, "-"))
		return cli_usage_error(c, "-o - and --json both want stdout");
	buf = malloc(len);
	if (!buf)
		return cli_fail(c, SF_E_NOMEM, "out of memory");
	if ((rc = cli_open(c)) || (rc = cli_identify(c, &in)) ||
	    (rc = cli_check_target(c, &rq, &in, NULL)))
		goto out;
	rc = nrf52_read(c->eng, addr, buf, len, &err);
	if (c->prog)
		progress_end(c->prog);
	if (rc) {
		rc = cli_fail(c, rc, err.msg);
		goto out;
	}
	if (cli_write_file(c->o.out, hex, addr, buf, len, msg, sizeof(msg))) {
		rc = cli_fail(c, SF_E_IO, msg);
		goto out;
	}
	json_object_set_new(c->result, "read",
			    json_pack("{s:I, s:I, s:s, s:s}", "address", (json_int_t)addr, "length",
				      (json_int_t)len, "file", c->o.out, "format",
				      hex ? "hex" : "bin"));
	if (!c->o.json && strcmp(c->o.out, "-"))
		printf("read %u bytes at 0x%08x into %s (%s)\n", len, addr, c->o.out,
		       hex ? "Intel HEX" : "binary");
out:
	free(buf);
	return rc;
}

/* ---- the command table ---- */

#define CLI_O_IMAGE (CLI_O(CLI_O_FORMAT) | CLI_O(CLI_O_BASE) | CLI_O(CLI_O_VERIFY))
#define CLI_O_ERASE_SCOPE (CLI_O(CLI_O_CHIP) | CLI_O(CLI_O_UICR) | CLI_O(CLI_O_RANGE))

static const struct cli_cmd cli_cmds[] = {
	{ .name = "probes", .run = cmd_probes, .args = "",
	  .help = "list the probe kinds (sim, gpiod, gpiomem, stlink): which this machine\n"
		  "can use, and why not the others" },
	{ .name = "info", .run = cmd_info, .args = "",
	  .help = "identify the target: part, variant, package, memory sizes, device ID,\n"
		  "lock state" },
	{ .name = "flash", .run = cmd_flash, .args = "FILE", .npos = 1,
	  .opts = CLI_O_IMAGE | CLI_O(CLI_O_ERASE) | CLI_O(CLI_O_NO_VERIFY) |
		  CLI_O(CLI_O_NO_RESET) | CLI_O(CLI_O_FULL) | CLI_O(CLI_O_RECOVER),
	  .help = "program an image: Intel HEX, UF2 or ELF detected from the content;\n"
		  "a raw binary only with --format bin, or a FILE.bin with --base;\n"
		  "anything else is refused, naming what it looks like. --erase auto erases only the pages where a bit must go 0->1 and skips\n"
		  "pages that already match; then verify and reset into the new firmware" },
	{ .name = "verify", .run = cmd_verify, .args = "FILE", .npos = 1, .opts = CLI_O_IMAGE,
	  .help = "compare the target with an image; names the first differing address" },
	{ .name = "erase", .run = cmd_erase, .args = "",
	  .opts = CLI_O_ERASE_SCOPE, .one_of = CLI_O_ERASE_SCOPE,
	  .help = "erase everything (default), UICR, or the pages covering [START, END)" },
	{ .name = "recover", .run = cmd_recover, .args = "",
	  .help = "CTRL-AP ERASEALL: unlock a locked chip (erases flash, UICR and RAM)" },
	{ .name = "reset", .run = cmd_reset, .args = "",
	  .opts = CLI_O(CLI_O_HALT) | CLI_O(CLI_O_KIND),
	  .help = "reset the target (and halt at the reset vector)" },
	{ .name = "read", .run = cmd_read, .args = "ADDRESS LENGTH", .npos = 2,
	  .opts = CLI_O(CLI_O_OUTPUT) | CLI_O(CLI_O_FORMAT), .required = CLI_O(CLI_O_OUTPUT),
	  .help = "dump memory into FILE: Intel HEX when FILE ends in .hex or with\n"
		  "--format hex, else binary (--format bin); -o - is stdout" },
};
#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static const struct cli_cmd *cli_cmd_find(const char *name)
{
	for (size_t i = 0; name && i < CLI_NCMDS; i++)
		if (!strcmp(cli_cmds[i].name, name))
			return &cli_cmds[i];
	return NULL;
}

/* ---- help ---- */

/* "--format F", "-o FILE" (short) or "-o, --output FILE" (both) */
enum cli_spell { CLI_SPELL_LONG, CLI_SPELL_SHORT, CLI_SPELL_BOTH };

static void cli_opt_spell(char *buf, size_t n, enum cli_opt_id id, enum cli_spell how)
{
	const struct cli_optdef *d = &cli_optdefs[id];
	const char *arg = d->arg ? d->arg : "";
	const char *sp = d->arg ? " " : "";

	if (!d->short_name || how == CLI_SPELL_LONG)
		snprintf(buf, n, "--%s%s%s", d->name, sp, arg);
	else if (how == CLI_SPELL_SHORT)
		snprintf(buf, n, "-%c%s%s", d->short_name, sp, arg);
	else
		snprintf(buf, n, "-%c, --%s%s%s", d->short_name, d->name, sp, arg);
}

/* The synopsis word of option id in cmd: "[--full]", "-o FILE" (required),
 * "[--chip | --uicr | --range START:END]" (one of; "" after its first). */
static void cli_opt_word(char *buf, size_t n, const struct cli_cmd *cmd, int id)
{
	size_t w;

	if (cmd->required & CLI_O(id)) {
		cli_opt_spell(buf, n, (enum cli_opt_id)id, CLI_SPELL_SHORT);
		return;
	}
	if ((cmd->one_of & CLI_O(id)) && (cmd->one_of & (CLI_O(id) - 1))) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, n, "[");
	for (int k = id; k < CLI_O_COUNT; k++) {
		if (k != id && !(cmd->one_of & CLI_O(id) && cmd->one_of & CLI_O(k)))
			continue;
		w = strlen(buf);
		if (k != id)
			w += (size_t)snprintf(buf + w, n - w, " | ");
		if (w < n)
			cli_opt_spell(buf + w, n - w, (enum cli_opt_id)k, CLI_SPELL_LONG);
	}
	w = strlen(buf);
	snprintf(buf + w, n - w, "]");
}

/* "flash FILE [--format F] [--base ADDR] ...", wrapped at CLI_HELP_WIDTH
 * with later lines indented to indent; col is where the text starts. */
static void cli_print_synopsis(FILE *f, const struct cli_cmd *cmd, int col, int indent)
{
	char tok[96];

	col += fprintf(f, "%s%s%s", cmd->name, cmd->args[0] ? " " : "", cmd->args);
	for (int id = 0; id < CLI_O_COUNT; id++) {
		if (!(cmd->opts & CLI_O(id)))
			continue;
		cli_opt_word(tok, sizeof(tok), cmd, id);
		if (!tok[0])
			continue;
		if (col + 1 + (int)strlen(tok) > CLI_HELP_WIDTH) {
			col = fprintf(f, "\n%*s", indent, "") - 1;
		} else {
			fputc(' ', f);
			col++;
		}
		col += fprintf(f, "%s", tok);
	}
	fputc('\n', f);
}

/* text, each line indented */
static void cli_print_indented(FILE *f, const char *text, int indent)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		fprintf(f, "%*s%.*s\n", indent, "", (int)n, text);
		text += n;
		if (*text)
			text++;
	}
}

static void cli_print_options(FILE *f, unsigned mask)
{
	for (int id = 0; id < CLI_O_COUNT; id++) {
		const struct cli_optdef *d = &cli_optdefs[id];
		char spell[64], values[96] = "";

		if (!(mask & CLI_O(id)))
			continue;
		cli_opt_spell(spell, sizeof(spell), (enum cli_opt_id)id, CLI_SPELL_BOTH);
		if (d->values)
			d->values(values, sizeof(values));
		fprintf(f, "  %-20s %s%s%s%s\n", spell, d->help, values[0] ? " (" : "", values,
			values[0] ? ")" : "");
	}
}

static void cli_usage(FILE *f)
{
	fprintf(f, "usage: swdflash [--probe SPEC] [--json] COMMAND [ARGS]\n"
		   "       swdflash COMMAND --help | --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < CLI_NCMDS; i++) {
		fputs("  ", f);
		cli_print_synopsis(f, &cli_cmds[i], 2, 6 + (int)strlen(cli_cmds[i].name));
		cli_print_indented(f, cli_cmds[i].help, 6);
	}
	fprintf(f, "\noptions of every command:\n");
	cli_print_options(f, CLI_O_GLOBAL);
	fprintf(f,
		"\n"
		"probes (default: $SWDFLASH_PROBE, else %s):\n"
		"  sim[:part=nrf52832|nrf52833|nrf52840,rev=legacy|hardened,locked=0|1,\n"
		"       state=PATH,period_ns=N]       the simulated chip (state persists\n"
		"                                     flash and UICR in PATH)\n"
		"  gpiod[:chip=auto,swclk=25,swdio=24,nreset=18]\n"
		"  gpiomem[:swclk=25,swdio=24,nreset=18,max_hz=4M]\n"
		"                                     GPIO registers through /dev/gpiomem\n"
		"                                     (/dev/gpiomem0 on a Pi 5; lines held\n"
		"                                     through libgpiod)\n"
		"  stlink[:serial=HEX,speed_khz=N]    an ST-Link V2/V2-1/V3 on USB (no serial:\n"
		"                                     the only one attached; speed_khz default\n"
		"                                     4000, rounded down to what it offers)\n"		"\n"
		"exit codes: 0 ok, 1 other failure, 2 usage, 3 bad image, 4 target not found,\n"
		"            5 target locked, 6 verify mismatch, 7 SWD failure,\n"
		"            8 unsupported part, 9 precondition failed (erase=none needs an erase)\n",
		CLI_DEFAULT_PROBE);
	cli_station_usage(f);
}

static void cli_cmd_usage(FILE *f, const struct cli_cmd *cmd)
{
	fputs("usage: swdflash [--probe SPEC] [--json] ", f);
	cli_print_synopsis(f, cmd, 40, 8);
	fputc('\n', f);
	cli_print_indented(f, cmd->help, 0);
	if (cmd->opts) {
		fputs("\noptions:\n", f);
		cli_print_options(f, cmd->opts);
	}
	fputs("\noptions of every command:\n", f);
	cli_print_options(f, CLI_O_GLOBAL);
	fputs("\nexit codes: see swdflash --help\n", f);
}

/* ---- argument parsing ---- */

static void cli_set(struct cli_opts *o, enum cli_opt_id id, const char *val)
{
	switch (id) {
	case CLI_O_PROBE: o->probe = val; break;
	case CLI_O_JSON: o->json = 1; break;
	case CLI_O_FORMAT: o->format = val; break;
	case CLI_O_BASE: o->base = val; break;
	case CLI_O_ERASE: o->erase = val; break;
	case CLI_O_NO_VERIFY: o->no_verify = 1; break;
	case CLI_O_NO_RESET: o->no_reset = 1; break;
	case CLI_O_FULL: o->full = 1; break;
	case CLI_O_RECOVER: o->recover = 1; break;
	case CLI_O_CHIP: o->chip = 1; break;
	case CLI_O_UICR: o->uicr = 1; break;
	case CLI_O_RANGE: o->range = val; break;
	case CLI_O_HALT: o->halt = 1; break;
	case CLI_O_KIND: o->kind = val; break;
	case CLI_O_OUTPUT: o->out = val; break;
	case CLI_O_VERIFY: o->verify = val; break;
	case CLI_O_DEBUG: o->debug = 1; break;
	case CLI_O_HELP: case CLI_O_VERSION: case CLI_O_COUNT: break;
	}
}

/* getopt_long's return value -> option id, -1 if none */
static int cli_opt_of(int ch)
{
	if (ch >= CLI_O_VAL && ch < CLI_O_VAL + CLI_O_COUNT)
		return ch - CLI_O_VAL;
	for (int id = 0; ch > 0 && ch < CLI_O_VAL && id < CLI_O_COUNT; id++)
		if (cli_optdefs[id].short_name == ch)
			return id;
	return -1;
}

/* How the user spelled option id: "-o" for a short option, else "--output". */
static void cli_opt_as_typed(char *buf, size_t n, int ch)
{
	int id = cli_opt_of(ch);

	if (id < 0)
		snprintf(buf, n, "-%c", ch);
	else if (ch < CLI_O_VAL)
		snprintf(buf, n, "-%c", cli_optdefs[id].short_name);
	else
		snprintf(buf, n, "--%s", cli_optdefs[id].name);
}

/* The message for getopt_long's '?' or ':' (opterr is 0: we word them). */
static void cli_opt_error(char *msg, size_t n, int ch, const char *arg)
{
	char name[40], word[40];
	int matches = 0;

	if (ch == ':') {
		cli_opt_as_typed(name, sizeof(name), optopt);
		snprintf(msg, n, "option %s needs a value", name);
		return;
	}
	if (optopt && cli_opt_of(optopt) >= 0) {
		/* a known option: only "--json=1" gets here */
		cli_opt_as_typed(name, sizeof(name), optopt);
		snprintf(msg, n, "option %s takes no value", name);
		return;
	}
	if (optopt) {
		snprintf(msg, n, "unknown option '-%c'", optopt);
		return;
	}
	/* a long option getopt did not take: unknown or an ambiguous prefix */
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg, "="), arg);
	for (int id = 0; id < CLI_O_COUNT && !strncmp(word, "--", 2); id++)
		matches += !strncmp(cli_optdefs[id].name, word + 2, strlen(word + 2));
	if (matches > 1)
		snprintf(msg, n, "ambiguous option '%s'", word);
	else
		snprintf(msg, n, "unknown option '%s'", word);
}

/* The command's required and mutually exclusive options. */
static int cli_check_opts(struct cli *c, unsigned seen)
{
	const struct cli_cmd *cmd = c->cmd;
	char list[128] = "", spell[48];
	size_t w = 0;

	for (int id = 0; id < CLI_O_COUNT; id++) {
		if (!(cmd->required & CLI_O(id)) || (seen & CLI_O(id)))
			continue;
		cli_opt_spell(spell, sizeof(spell), (enum cli_opt_id)id, CLI_SPELL_SHORT);
		return cli_usage_error(c, "%s needs %s", cmd->name, spell);
	}
	if (__builtin_popcount(seen & cmd->one_of) <= 1)
		return 0;
	for (int id = 0; id < CLI_O_COUNT && w < sizeof(list); id++)
		if (cmd->one_of & CLI_O(id))
			w += (size_t)snprintf(list + w, sizeof(list) - w, "%s--%s", w ? ", " : "",
					      cli_optdefs[id].name);
	return cli_usage_error(c, "use one of %s", list);
}

/* 0 to run c->cmd, -1 when help or the version was printed (exit 0), or
 * the exit code of a usage error. */
static int cli_parse(struct cli *c, int argc, char **argv)
{
	struct cli_opts *o = &c->o;
	struct option lo[CLI_O_COUNT + 1];
	char so[3 + 2 * CLI_O_COUNT], msg[200] = "", typed[CLI_O_COUNT][40];
	const char *extra = NULL;
	unsigned seen = 0;
	size_t k = 0;
	int ch, want_help = 0, want_version = 0;

	/* '-': non-options come back in order as 1 (whatever POSIXLY_CORRECT
	 * says), so options may stand before or after the command; ':': a
	 * missing value is ':', not '?' */
	so[k++] = '-';
	so[k++] = ':';
	for (int id = 0; id < CLI_O_COUNT; id++) {
		const struct cli_optdef *d = &cli_optdefs[id];

		lo[id] = (struct option){ d->name, d->arg ? required_argument : no_argument, NULL,
					  CLI_O_VAL + id };
		if (d->short_name) {
			so[k++] = d->short_name;
			if (d->arg)
				so[k++] = ':';
		}
	}
	lo[CLI_O_COUNT] = (struct option){ NULL, 0, NULL, 0 };
	so[k] = '\0';
	opterr = 0;
	optind = 1;
	/* read everything first: --json anywhere decides how the first error
	 * is printed */
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		int id;

		if (ch == 1 || ch == '?' || ch == ':') {
			if (ch == 1 && !o->cmd)
				o->cmd = optarg;
			else if (ch == 1 && o->npos < CLI_MAX_POS)
				o->pos[o->npos++] = optarg;
			else if (ch == 1 && !extra)
				extra = optarg;
			else if (ch != 1 && !msg[0])
				cli_opt_error(msg, sizeof(msg), ch, argv[optind - 1]);
			continue;
		}
		id = cli_opt_of(ch);
		if (id < 0)
			continue;  /* getopt_long returns only what lo and so hold */
		if (!(seen & CLI_O(id)))
			cli_opt_as_typed(typed[id], sizeof(typed[id]), ch);
		seen |= CLI_O(id);
		want_help |= id == CLI_O_HELP;
		want_version |= id == CLI_O_VERSION;
		cli_set(o, (enum cli_opt_id)id, optarg);
	}
	/* after "--" everything is an argument */
	for (; optind < argc; optind++) {
		if (!o->cmd)
			o->cmd = argv[optind];
		else if (o->npos < CLI_MAX_POS)
			o->pos[o->npos++] = argv[optind];
		else if (!extra)
			extra = argv[optind];
	}
	c->cmd = cli_cmd_find(o->cmd);
	if (want_help) {
		if (c->cmd)
			cli_cmd_usage(stdout, c->cmd);
		else
			cli_usage(stdout);
		return -1;
	}
	if (want_version) {
		printf("swdflash %s\n", SF_VERSION);
		return -1;
	}
	if (msg[0])
		return cli_usage_error(c, "%s", msg);
	if (!o->cmd)
		return cli_usage_error(c, "no command given");
	if (!c->cmd)
		return cli_usage_error(c, "unknown command '%s'", o->cmd);
	for (int id = 0; id < CLI_O_COUNT; id++)
		if ((seen & CLI_O(id)) && !((c->cmd->opts | CLI_O_GLOBAL) & CLI_O(id)))
			return cli_usage_error(c, "option %s does not apply to '%s'", typed[id],
					       c->cmd->name);
	if (o->npos < c->cmd->npos)
		return cli_usage_error(c, "missing argument: %s", c->cmd->args);
	if (o->npos > c->cmd->npos || extra)
		return cli_usage_error(c, "too many arguments: '%s' (%s takes %s)",
				       extra ? extra : o->pos[c->cmd->npos], c->cmd->name,
				       c->cmd->npos ? c->cmd->args : "none");
	return cli_check_opts(c, seen);
}

int main(int argc, char **argv)
{
	struct cli c;
	struct sigaction sa;
	int rc;

	/* recipe, bench, devices: a running daemon, through its API */
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-') {
			if (cli_station_is_cmd(argv[i]))
				return cli_station_main(argc - 1, argv + 1);
			break;
		}
		if (!strcmp(argv[i], "--station") || !strcmp(argv[i], "--token-file"))
			return cli_station_main(argc - 1, argv + 1);
	}
	memset(&c, 0, sizeof(c));
	c.result = json_object();
	c.notes = json_array();
	if (!c.result || !c.notes)
		return ERRMAP_EXIT_FAILURE;
	rc = cli_parse(&c, argc, argv);
	if (rc) {
		rc = rc < 0 ? ERRMAP_EXIT_OK : rc;
		goto done;
	}
	json_object_set_new(c.result, "command", json_string(c.cmd->name));
	c.tty = isatty(STDERR_FILENO);
	/* --json keeps stderr quiet unless someone is watching it */
	if (!c.o.json || c.tty)
		c.prog = progress_new(stderr, c.tty);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_on_sigint;
	sa.sa_flags = SA_RESETHAND;  /* a second Ctrl-C kills at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = c.cmd->run(&c);
	if (rc == 0 && c.o.json) {
		json_object_set_new(c.result, "ok", json_true());
		json_object_set_new(c.result, "notes", json_incref(c.notes));
		cli_print_json(c.result);
	}
done:
	progress_free(c.prog);
	nrf52_free(c.eng);
	swd_probe_close(c.probe);  /* a sim probe saves its state here */
	json_decref(c.notes);
	json_decref(c.result);
	return rc;
}
