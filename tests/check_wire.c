// SPDX-License-Identifier: GPL-2.0-or-later
/* The waveform our SWD link puts on the wire, read back by a decoder
 * nobody here wrote: sigrok's SWD decoder (sigrok-cli) decodes a VCD
 * recorded at the pins, and every decoded transaction (direction, DP/AP,
 * register, ACK, data) must equal what the link issued, including WAIT
 * and FAULT answers. */
#include <string.h>
#include <unistd.h>

#include "swd/dap_swd.h"
#include "swd/link.h"
#include "swd/pins_sim.h"
#include "swd/pins_vcd.h"
#include "testutil.h"

#define MAX_XFERS 256

struct xfer {
	char req[16];
	char ack[8];
	char data[16];
};

struct trace {
	struct xfer x[MAX_XFERS];
	int n;
};

static void describe(struct xfer *x, int ap, int rnw, unsigned addr, unsigned ack, uint32_t data)
{
	static const char *const dp_r[] = { "IDCODE", "R CTRL/STAT", "RESEND", "RDBUFF" };
	static const char *const dp_w[] = { "W ABORT", "W CTRL/STAT", "W SELECT", "W RESERVED" };

	if (ap)
		snprintf(x->req, sizeof(x->req), "%c AP%x", rnw ? 'R' : 'W', addr & 0xC);
	else
		snprintf(x->req, sizeof(x->req), "%s", (rnw ? dp_r : dp_w)[(addr >> 2) & 3]);
	snprintf(x->ack, sizeof(x->ack), "%s",
		 ack == 1 ? "OK" : ack == 2 ? "WAIT" : ack == 4 ? "FAULT" : "NOREPLY");
	if (ack == 1)
		snprintf(x->data, sizeof(x->data), "0x%08x", data);
	else
		x->data[0] = '\0';
}

static void on_xfer(void *user, int ap, int rnw, unsigned addr, unsigned ack, uint32_t data)
{
	struct trace *t = user;

	ck_assert_int_lt(t->n, MAX_XFERS);
	describe(&t->x[t->n++], ap, rnw, addr, ack, data);
}

/* Parse `sigrok-cli -A swd` lines ("swd-1: R CTRL/STAT", "swd-1: OK",
 * "swd-1: 0x2ba01477") into transactions. */
static int decode(const char *vcd, struct trace *t, char *why, size_t whylen)
{
	char cmd[512], line[160];

	snprintf(cmd, sizeof(cmd),
		 "sigrok-cli -I vcd -i '%s' -P swd:swclk=swclk:swdio=swdio -A swd 2>&1", vcd);
	FILE *f = popen(cmd, "r");
	if (!f) {
		snprintf(why, whylen, "cannot run sigrok-cli");
		return -1;
	}
	t->n = 0;
	struct xfer *cur = NULL;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		const char *v = strstr(line, ": ");
		if (strncmp(line, "swd-1", 5) || !v) {
			snprintf(why, whylen, "unexpected sigrok output: %.120s", line);
			pclose(f);
			return -1;
		}
		v += 2;
		if (!strcmp(v, "OK") || !strcmp(v, "WAIT") || !strcmp(v, "FAULT") ||
		    !strcmp(v, "NOREPLY") || !strcmp(v, "ERROR")) {
			if (cur)
				snprintf(cur->ack, sizeof(cur->ack), "%s", v);
		} else if (!strncmp(v, "0x", 2)) {
			if (cur)
				snprintf(cur->data, sizeof(cur->data), "%s", v);
		} else if (!strncmp(v, "R ", 2) || !strncmp(v, "W ", 2) || !strcmp(v, "IDCODE") ||
			   !strcmp(v, "RESEND") || !strcmp(v, "RDBUFF")) {
			if (t->n >= MAX_XFERS)
				break;
			cur = &t->x[t->n++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->req, sizeof(cur->req), "%s", v);
		} else if (strlen(v) == 2 && strspn(v, "01") == 2) {
			snprintf(why, whylen, "decoder reports a parity error after %d transfers", t->n);
			pclose(f);
			return -1;
		}
		/* LINE RESET / ENABLE (JTAG-to-SWD) and similar: not transfers */
	}
	int rc = pclose(f);
	if (rc != 0) {
		snprintf(why, whylen, "sigrok-cli exited with status %d", rc);
		return -1;
	}
	return 0;
}

START_TEST(sigrok_decodes_what_we_sent)
{
	struct sim_config cfg;
	char buf[128], msg[200], vcd[] = "/tmp/swdflash-wire-XXXXXX.vcd";
	struct sf_err err = { 0 };
	static struct trace sent, seen;

	if (system("command -v sigrok-cli >/dev/null 2>&1") != 0)
		ck_abort_msg("sigrok-cli is not installed (Debian package sigrok-cli)");
	int fd = mkstemps(vcd, 4);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");

	ck_assert_int_eq(sim_config_parse(&cfg, "part=nrf52840", buf, sizeof(buf), msg, sizeof(msg)), 0);
	struct sim_chip *chip = sim_chip_new(&cfg, msg, sizeof(msg));
	ck_assert_ptr_nonnull(chip);
	void *inner = swd_pins_sim_new(chip);
	void *rec = swd_pins_vcd_new(&swd_pins_sim_ops, inner, f, 1000);
	struct swd_link *link = swd_link_new(&swd_pins_vcd_ops, rec);
	struct dap dap;
	ck_assert_int_eq(dap_swd_new(link, &dap, &err), 0);
	swd_link_set_trace(link, on_xfer, &sent);

	uint32_t v, words[8] = { 0x11111111, 0x22222222, 0x80000001, 0, 0xFFFFFFFF, 5, 6, 7 };
	ck_assert_msg(dap.ops->connect(dap.ctx, &v, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(dap.ops->ap_read(dap.ctx, 0, DAP_AP_IDR, &v, &err), 0);
	ck_assert_int_eq(dap.ops->ap_read(dap.ctx, 1, DAP_AP_IDR, &v, &err), 0);
	ck_assert_int_eq(dap.ops->mem_write(dap.ctx, 0x20000000, words, sizeof(words), 4, &err), 0);
	sim_fault_wait(chip, 3);
	ck_assert_int_eq(dap.ops->mem_read(dap.ctx, 0x20000000, words, sizeof(words), 4, &err), 0);
	sim_fault_fault_at(chip, 2);
	ck_assert_int_eq(dap.ops->mem_read(dap.ctx, 0x20000000, words, 8, 4, &err), SF_E_FAULT);
	ck_assert_int_eq(dap_read32(&dap, 0x10000100, &v, &err), 0);
	ck_assert_uint_eq(v, 0x52840);

	dap.ops->free(dap.ctx);
	swd_link_free(link); /* closes the VCD */
	swd_pins_sim_ops.free(inner);
	sim_chip_free(chip);

	ck_assert_int_gt(sent.n, 20);
	ck_assert_msg(decode(vcd, &seen, msg, sizeof(msg)) == 0, "%s", msg);
	int waits = 0, faults = 0;
	for (int i = 0; i < sent.n && i < seen.n; i++) {
		ck_assert_msg(!strcmp(sent.x[i].req, seen.x[i].req) &&
				      !strcmp(sent.x[i].ack, seen.x[i].ack) &&
				      !strcmp(sent.x[i].data, seen.x[i].data),
			      "transfer %d: sent %s %s %s, sigrok decoded %s %s %s", i, sent.x[i].req,
			      sent.x[i].ack, sent.x[i].data, seen.x[i].req, seen.x[i].ack,
			      seen.x[i].data);
		waits += !strcmp(seen.x[i].ack, "WAIT");
		faults += !strcmp(seen.x[i].ack, "FAULT");
	}
	ck_assert_int_eq(seen.n, sent.n);
	ck_assert_int_eq(waits, 3);
	ck_assert_int_eq(faults, 1);
	unlink(vcd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("sigrok");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sigrok_decodes_what_we_sent);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
