/* swdflash: the nRF52 flash engine as a command-line tool.
 *
 *   swdflash [--probe SPEC] [--json] COMMAND [ARGS]
 *
 * Commands and option names are a stable interface (scripts use them).
 * Exit codes come from common/errmap.h. Results go to stdout (text, or one
 * JSON object with --json); progress, notes and errors go to stderr. */
#include <errno.h>
#include <signal.h>
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
#include "progress.h"
#include "../daemon/target_json.h"

#define CLI_DEFAULT_PROBE "gpiod"

/* Set by SIGINT; the engine stops at its next safe point. */
static volatile sig_atomic_t cli_interrupted;

static void cli_on_sigint(int sig)
{
	(void)sig;
	cli_interrupted = 1;
}

struct cli_opts {
	const char *probe;
	int json;
	const char *cmd;
	const char *pos[3];
	int npos;
	/* flash / verify / read */
	const char *format;
	const char *base;
	const char *erase;
	int no_verify, no_reset, full, recover;
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
	json_t *result;      /* the JSON object printed at the end */
	json_t *notes;       /* log lines from the engine */
	struct progress *prog;
	struct swd_probe *probe;
	struct nrf52 *eng;
	int tty;
};

static void cli_usage(FILE *f)
{
	fprintf(f,
		"usage: swdflash [--probe SPEC] [--json] COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  info                               identify the target\n"
		"  flash FILE [--format auto|hex|uf2|elf|bin] [--base ADDR]\n"
		"             [--erase auto|chip|none] [--no-verify] [--no-reset] [--full]\n"
		"             [--recover]             program an image (erase=auto erases only\n"
		"                                     pages that need it and skips equal ones)\n"
		"  verify FILE [--format F] [--base ADDR]\n"
		"                                     compare the target with an image\n"
		"  erase [--chip | --uicr | --range START:END]\n"
		"                                     erase everything (default), UICR, or\n"
		"                                     the pages covering [START, END)\n"
		"  recover                            CTRL-AP ERASEALL: unlock a locked chip\n"
		"                                     (erases flash, UICR and RAM)\n"
		"  reset [--halt] [--kind sysresetreq|ctrlap|pin]\n"
		"  read ADDRESS LENGTH -o FILE [--format bin|hex]\n"
		"                                     dump memory (Intel HEX when FILE ends\n"
		"                                     in .hex); FILE - is stdout\n"
		"\n"
		"probes (default: $SWDFLASH_PROBE, else %s):\n"
		"  sim[:part=nrf52832|nrf52833|nrf52840,rev=legacy|hardened,locked=0|1,\n"
		"       state=PATH,period_ns=N]       the simulated chip (state persists\n"
		"                                     flash and UICR in PATH)\n"
		"  gpiod[:chip=auto,swclk=25,swdio=24,nreset=18]\n"
		"\n"
		"exit codes: 0 ok, 1 other failure, 2 usage, 3 bad image, 4 target not found,\n"
		"            5 target locked, 6 verify mismatch, 7 SWD failure,\n"
		"            8 unsupported part, 9 precondition failed (erase=none needs an erase)\n",
		CLI_DEFAULT_PROBE);
}

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

static int cli_usage_error(struct cli *c, const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	fprintf(stderr, "swdflash: %s (see swdflash --help)\n", msg);
	if (c->o.json) {
		json_object_set_new(c->result, "ok", json_false());
		json_object_set_new(c->result, "error",
				    json_pack("{s:s, s:s, s:i}", "code", "usage", "message", msg,
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

static int cli_progress(void *user, enum nrf52_phase phase, uint64_t done, uint64_t total)
{
	struct cli *c = user;

	/* connect and reset are instants, not worth a bar */
	if (c->prog && phase != NRF52_PHASE_CONNECT && phase != NRF52_PHASE_RESET)
		progress_update(c->prog, nrf52_phase_name(phase), done, total);
	return cli_interrupted != 0;
}

/* ---- argument parsing ---- */


struct cli_flag {
	const char *name;
	int takes_value;
	const char *cmds;  /* commands that accept it, space separated; NULL = all */
};

static const struct cli_flag cli_flags[] = {
	{ "--probe", 1, NULL },
	{ "--json", 0, NULL },
	{ "--format", 1, "flash verify read" },
	{ "--base", 1, "flash verify" },
	{ "--erase", 1, "flash" },
	{ "--no-verify", 0, "flash" },
	{ "--no-reset", 0, "flash" },
	{ "--full", 0, "flash" },
	{ "--recover", 0, "flash" },
	{ "--chip", 0, "erase" },
	{ "--uicr", 0, "erase" },
	{ "--range", 1, "erase" },
	{ "--halt", 0, "reset" },
	{ "--kind", 1, "reset" },
	{ "-o", 1, "read" },
	{ "--output", 1, "read" },
};

static int cli_cmd_has(const char *cmds, const char *cmd)
{
	size_t n = strlen(cmd);

	if (!cmds)
		return 1;
	for (const char *p = cmds; (p = strstr(p, cmd)) != NULL; p += n)
		if ((p == cmds || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static void cli_set(struct cli_opts *o, const char *name, const char *val)
{
	if (!strcmp(name, "--probe")) o->probe = val;
	else if (!strcmp(name, "--json")) o->json = 1;
	else if (!strcmp(name, "--format")) o->format = val;
	else if (!strcmp(name, "--base")) o->base = val;
	else if (!strcmp(name, "--erase")) o->erase = val;
	else if (!strcmp(name, "--no-verify")) o->no_verify = 1;
	else if (!strcmp(name, "--no-reset")) o->no_reset = 1;
	else if (!strcmp(name, "--full")) o->full = 1;
	else if (!strcmp(name, "--recover")) o->recover = 1;
	else if (!strcmp(name, "--chip")) o->chip = 1;
	else if (!strcmp(name, "--uicr")) o->uicr = 1;
	else if (!strcmp(name, "--range")) o->range = val;
	else if (!strcmp(name, "--halt")) o->halt = 1;
	else if (!strcmp(name, "--kind")) o->kind = val;
	else if (!strcmp(name, "-o") || !strcmp(name, "--output")) o->out = val;
}

/* Returns -1 for help, 0 ok, or an exit code after printing the error. */
static int cli_parse(struct cli *c, int argc, char **argv)
{
	struct cli_opts *o = &c->o;
	const char *seen[64];
	int nseen = 0;

	/* --json must be known before the first error is printed */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			o->json = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct cli_flag *f = NULL;
		char name[32];

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return -1;
		if (a[0] != '-' || !strcmp(a, "-")) {
			if (!o->cmd)
				o->cmd = a;
			else if (o->npos < 3)
				o->pos[o->npos++] = a;
			else
				return cli_usage_error(c, "too many arguments: '%s'", a);
			continue;
		}
		if (!strcmp(a, "--")) {
			return cli_usage_error(c, "'--' is not supported%s", NULL);
		}
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
		for (size_t k = 0; k < sizeof(cli_flags) / sizeof(cli_flags[0]); k++)
			if (!strcmp(cli_flags[k].name, name))
				f = &cli_flags[k];
		if (!f)
			return cli_usage_error(c, "unknown option '%s'", a);
		if (f->takes_value) {
			if (a[strlen(name)] == '=')
				val = a + strlen(name) + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return cli_usage_error(c, "option %s needs a value", name);
		} else if (a[strlen(name)] == '=') {
			return cli_usage_error(c, "option %s takes no value", name);
		}
		if (nseen == (int)(sizeof(seen) / sizeof(seen[0])))
			return cli_usage_error(c, "too many options%s", NULL);
		seen[nseen++] = f->name;
		cli_set(o, f->name, val);
	}
	if (!o->cmd)
		return cli_usage_error(c, "no command given%s", NULL);
	if (strcmp(o->cmd, "info") && strcmp(o->cmd, "flash") && strcmp(o->cmd, "verify") &&
	    strcmp(o->cmd, "erase") && strcmp(o->cmd, "recover") && strcmp(o->cmd, "reset") &&
	    strcmp(o->cmd, "read"))
		return cli_usage_error(c, "unknown command '%s'", o->cmd);
	for (int k = 0; k < nseen; k++)
		for (size_t j = 0; j < sizeof(cli_flags) / sizeof(cli_flags[0]); j++)
			if (!strcmp(cli_flags[j].name, seen[k]) &&
			    !cli_cmd_has(cli_flags[j].cmds, o->cmd)) {
				char msg[96];
				snprintf(msg, sizeof(msg), "option %s does not apply to '%%s'",
					 seen[k]);
				return cli_usage_error(c, msg, o->cmd);
			}
	return 0;
}

static int cli_npos(struct cli *c, int want, const char *what)
{
	if (c->o.npos == want)
		return 0;
	return cli_usage_error(c, c->o.npos < want ? "missing argument: %s" : "too many arguments "
		"(expected %s)", what);
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
	c->eng = nrf52_new(swd_probe_dap(c->probe), cli_log, c);
	if (!c->eng)
		return cli_fail(c, SF_E_NOMEM, "out of memory");
	nrf52_set_progress(c->eng, cli_progress, c);
	return 0;
}

static int cli_identify(struct cli *c, struct nrf52_info *info, int need_open)
{
	struct sf_err err = { 0 };
	int rc = nrf52_identify(c->eng, info, &err);

	if (rc)
		return cli_fail(c, rc, err.msg);
	json_object_set_new(c->result, "target", target_json_info(info));
	if (need_open && info->locked)
		return cli_fail(c, SF_E_LOCKED,
				"the chip is locked (APPROTECT); 'swdflash recover' (or flash "
				"--recover) erases it to unlock it");
	return 0;
}

static int cli_load_image(struct cli *c, struct img *img)
{
	struct sf_err err = { 0 };
	int fmt = IMG_AUTO;
	uint32_t base = 0;
	int rc;

	if (c->o.format && (fmt = img_format_from_name(c->o.format)) < 0)
		return cli_usage_error(c, "unknown image format '%s' (auto, hex, uf2, elf, bin)",
				       c->o.format);
	if (c->o.base && parse_u32(c->o.base, &base))
		return cli_usage_error(c, "bad --base '%s'", c->o.base);
	if (c->o.base && fmt != IMG_BIN && fmt != IMG_AUTO)
		return cli_usage_error(c, "--base applies to raw binary images only%s", NULL);
	rc = img_load_file(c->o.pos[0], (enum img_format)fmt, base, img, &err);
	if (rc)
		return cli_fail(c, rc, err.msg);
	json_object_set_new(c->result, "image",
			    json_pack("{s:s, s:s, s:s, s:I, s:I}", "file", c->o.pos[0], "format",
				      img_format_name(img->format), "sha256", img->sha256_hex,
				      "bytes", (json_int_t)img->total, "segments",
				      (json_int_t)img->nseg));
	return 0;
}

/* ---- commands ---- */

static int cmd_info(struct cli *c)
{
	struct nrf52_info in;
	int rc;

	if ((rc = cli_npos(c, 0, "none")) || (rc = cli_open(c)))
		return rc;
	if ((rc = cli_identify(c, &in, 0)))
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
	return json_pack("{s:i, s:i, s:i, s:I, s:I, s:b, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			 "pages_erased", st->pages_erased, "pages_skipped", st->pages_skipped,
			 "pages_written", st->pages_written, "bytes_written",
			 (json_int_t)st->bytes_written, "bytes_verified",
			 (json_int_t)st->bytes_verified, "uicr_erased", st->uicr_erased,
			 "uicr_merged", st->uicr_merged, "probe_time_us", "connect",
			 (json_int_t)st->us_connect, "compare", (json_int_t)st->us_compare,
			 "erase", (json_int_t)st->us_erase, "program", (json_int_t)st->us_program,
			 "verify", (json_int_t)st->us_verify, "reset", (json_int_t)st->us_reset);
}

static int cmd_flash(struct cli *c)
{
	struct nrf52_flash_opts fo = { .erase = NRF52_ERASE_AUTO, .verify = 1, .reset = 1 };
	struct nrf52_stats st;
	struct nrf52_info in;
	struct sf_err err = { 0 };
	struct img img = { 0 };
	int rc;

	if ((rc = cli_npos(c, 1, "FILE")))
		return rc;
	if (c->o.erase) {
		if (!strcmp(c->o.erase, "auto"))
			fo.erase = NRF52_ERASE_AUTO;
		else if (!strcmp(c->o.erase, "chip"))
			fo.erase = NRF52_ERASE_CHIP;
		else if (!strcmp(c->o.erase, "none"))
			fo.erase = NRF52_ERASE_NONE;
		else
			return cli_usage_error(c, "bad --erase '%s' (auto, chip or none)", c->o.erase);
	}
	fo.verify = !c->o.no_verify;
	fo.reset = !c->o.no_reset;
	fo.full_write = c->o.full;
	fo.recover = c->o.recover;
	/* parse first: a bad image never touches the chip */
	if ((rc = cli_load_image(c, &img)))
		return rc;
	if ((rc = cli_open(c)) || (rc = cli_identify(c, &in, !fo.recover)))
		goto out;
	if (in.identified && (rc = nrf52_check_image(&in, &img, &err))) {
		rc = cli_fail(c, rc, err.msg);
		goto out;
	}
	if (!c->o.json && in.identified)
		fprintf(stderr, "swdflash: %s: %s, %llu bytes in %zu segments, sha256 %.12s -> %s %s "
			"device %016llX\n", c->o.pos[0], img_format_name(img.format),
			(unsigned long long)img.total, img.nseg, img.sha256_hex, in.name, in.variant,
			(unsigned long long)in.device_id);
	else if (!c->o.json)
		fprintf(stderr, "swdflash: %s: %s, %llu bytes in %zu segments, sha256 %.12s -> "
			"locked chip\n", c->o.pos[0], img_format_name(img.format),
			(unsigned long long)img.total, img.nseg, img.sha256_hex);
	rc = nrf52_flash(c->eng, &img, &fo, &st, &err);
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
	img_free(&img);
	return rc;
}

static int cmd_verify(struct cli *c)
{
	struct nrf52_info in;
	struct sf_err err = { 0 };
	struct img img = { 0 };
	int rc;

	if ((rc = cli_npos(c, 1, "FILE")) || (rc = cli_load_image(c, &img)))
		return rc;
	if ((rc = cli_open(c)) || (rc = cli_identify(c, &in, 1)))
		goto out;
	rc = nrf52_check_image(&in, &img, &err);
	if (!rc)
		rc = nrf52_verify(c->eng, &img, &err);
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
	img_free(&img);
	return rc;
}

static int cmd_erase(struct cli *c)
{
	struct sf_err err = { 0 };
	struct nrf52_info in;
	uint32_t start = 0, end = 0;
	const char *what;
	int rc;

	if ((rc = cli_npos(c, 0, "none")))
		return rc;
	if (c->o.chip + c->o.uicr + (c->o.range != NULL) > 1)
		return cli_usage_error(c, "use one of --chip, --uicr, --range%s", NULL);
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
	if ((rc = cli_open(c)) || (rc = cli_identify(c, &in, 1)))
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

	if ((rc = cli_npos(c, 0, "none")) || (rc = cli_open(c)))
		return rc;
	rc = nrf52_recover(c->eng, &err);
	if (c->prog)
		progress_end(c->prog);
	if (rc)
		return cli_fail(c, rc, err.msg);
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

	if ((rc = cli_npos(c, 0, "none")))
		return rc;
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
	struct nrf52_info in;
	uint32_t addr, len;
	uint8_t *buf;
	char msg[320];
	size_t pl;
	int rc, hex;

	if ((rc = cli_npos(c, 2, "ADDRESS LENGTH")))
		return rc;
	if (parse_u32(c->o.pos[0], &addr))
		return cli_usage_error(c, "bad ADDRESS '%s'", c->o.pos[0]);
	if (parse_u32(c->o.pos[1], &len) || len == 0)
		return cli_usage_error(c, "bad LENGTH '%s'", c->o.pos[1]);
	if ((uint64_t)addr + len > 0x100000000ULL)
		return cli_usage_error(c, "ADDRESS + LENGTH is past 4 GiB%s", NULL);
	if (!c->o.out)
		return cli_usage_error(c, "read needs -o FILE%s", NULL);
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
		return cli_usage_error(c, "-o - and --json both want stdout%s", NULL);
	buf = malloc(len);
	if (!buf)
		return cli_fail(c, SF_E_NOMEM, "out of memory");
	if ((rc = cli_open(c)) || (rc = cli_identify(c, &in, 1)))
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

int main(int argc, char **argv)
{
	struct cli c;
	struct sigaction sa;
	int rc;

	memset(&c, 0, sizeof(c));
	c.result = json_object();
	c.notes = json_array();
	if (!c.result || !c.notes)
		return ERRMAP_EXIT_FAILURE;
	rc = cli_parse(&c, argc, argv);
	if (rc) {
		if (rc < 0) {
			cli_usage(stdout);
			rc = 0;
		}
		goto done;
	}
	json_object_set_new(c.result, "command", json_string(c.o.cmd));
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

	if (!strcmp(c.o.cmd, "info"))
		rc = cmd_info(&c);
	else if (!strcmp(c.o.cmd, "flash"))
		rc = cmd_flash(&c);
	else if (!strcmp(c.o.cmd, "verify"))
		rc = cmd_verify(&c);
	else if (!strcmp(c.o.cmd, "erase"))
		rc = cmd_erase(&c);
	else if (!strcmp(c.o.cmd, "recover"))
		rc = cmd_recover(&c);
	else if (!strcmp(c.o.cmd, "reset"))
		rc = cmd_reset(&c);
	else
		rc = cmd_read(&c);
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
