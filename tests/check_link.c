// SPDX-License-Identifier: GPL-2.0-or-later
/* SWD link layer against the simulated chip: every ACK case, parity errors
 * both ways, WAIT storms, FAULT recovery, no target, and GPIO failures on
 * any cycle (reported as the driver's error, never as "no target"). */
#include <errno.h>
#include <string.h>

#include "swd/dap_swd.h"
#include "swd/link.h"
#include "swd/pins_sim.h"
#include "swd/pins_vcd.h"
#include "testutil.h"

/* Request bytes as listed in shared/NRF52.md section 1. */
START_TEST(request_bytes)
{
	ck_assert_uint_eq(swd_link_request(0, 0, 0x0), 0x81);
	ck_assert_uint_eq(swd_link_request(0, 1, 0x0), 0xA5);
	ck_assert_uint_eq(swd_link_request(0, 0, 0x4), 0xA9);
	ck_assert_uint_eq(swd_link_request(0, 1, 0x4), 0x8D);
	ck_assert_uint_eq(swd_link_request(0, 0, 0x8), 0xB1);
	ck_assert_uint_eq(swd_link_request(0, 1, 0xC), 0xBD);
	ck_assert_uint_eq(swd_link_request(1, 0, 0x0), 0xA3);
	ck_assert_uint_eq(swd_link_request(1, 0, 0x4), 0x8B);
	ck_assert_uint_eq(swd_link_request(1, 0, 0xC), 0xBB);
	ck_assert_uint_eq(swd_link_request(1, 1, 0x0), 0x87);
	ck_assert_uint_eq(swd_link_request(1, 1, 0x4), 0xAF);
	ck_assert_uint_eq(swd_link_request(1, 1, 0xC), 0x9F);
}
END_TEST

struct fixture {
	struct sim_chip *chip;
	struct swd_link *link;
	struct tu_pins *tp; /* the scripted driver, when open_scripted() made it */
};

static struct fixture open_link(const char *spec)
{
	struct sim_config cfg;
	char buf[256], msg[200];
	struct fixture f;

	ck_assert_int_eq(sim_config_parse(&cfg, spec, buf, sizeof(buf), msg, sizeof(msg)), 0);
	f.chip = sim_chip_new(&cfg, msg, sizeof(msg));
	ck_assert_msg(f.chip != NULL, "%s", msg);
	f.link = swd_link_new(&swd_pins_sim_ops, swd_pins_sim_new(f.chip));
	ck_assert_ptr_nonnull(f.link);
	f.tp = NULL;
	return f;
}

/* The same over the scripted pins driver (tests/testutil.h). */
static struct fixture open_scripted(const char *spec)
{
	struct fixture f = open_link(spec);

	swd_link_free(f.link);
	f.tp = tu_pins_new(f.chip);
	f.link = swd_link_new(tu_pins_ops(), f.tp);
	ck_assert_ptr_nonnull(f.link);
	return f;
}

static void close_link(struct fixture *f)
{
	swd_link_free(f->link);
	sim_chip_free(f->chip);
}

/* Line reset, DPIDR, power-up: the minimum a debugger does. */
static void bring_up(struct fixture *f)
{
	struct sf_err err = { 0 };
	uint32_t v = 0;

	swd_link_jtag_to_swd(f->link);
	ck_assert_int_eq(swd_link_xfer(f->link, 0, 1, DAP_DP_DPIDR, &v, &err), 0);
	ck_assert_uint_eq(v, 0x2BA01477);
	v = DAP_ABORT_CLEAR_ALL;
	ck_assert_int_eq(swd_link_xfer(f->link, 0, 0, DAP_DP_ABORT, &v, &err), 0);
	v = DAP_CTRL_CDBGPWRUPREQ | DAP_CTRL_CSYSPWRUPREQ;
	ck_assert_int_eq(swd_link_xfer(f->link, 0, 0, DAP_DP_CTRLSTAT, &v, &err), 0);
	for (int i = 0; i < 100; i++) {
		ck_assert_int_eq(swd_link_xfer(f->link, 0, 1, DAP_DP_CTRLSTAT, &v, &err), 0);
		if ((v & 0xA0000000U) == 0xA0000000U)
			return;
	}
	ck_abort_msg("power-up not acknowledged: CTRL/STAT 0x%08X", v);
}

/* AP 0 IDR through SELECT + posted read + RDBUFF. */
static int read_ap0_idr(struct fixture *f, uint32_t *v, struct sf_err *err)
{
	uint32_t sel = 0xF0;
	int rc = swd_link_xfer(f->link, 0, 0, DAP_DP_SELECT, &sel, err);

	if (!rc)
		rc = swd_link_xfer(f->link, 1, 1, 0xC, NULL, err);
	if (!rc)
		rc = swd_link_xfer(f->link, 0, 1, DAP_DP_RDBUFF, v, err);
	return rc;
}

START_TEST(ack_ok_read_write)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	uint32_t v = 0;

	bring_up(&f);
	ck_assert_int_eq(read_ap0_idr(&f, &v, &err), 0);
	ck_assert_uint_eq(v, 0x24770011);
	const struct sim_counters *c = sim_counters(f.chip);
	ck_assert_uint_eq(c->acks_wait, 0);
	ck_assert_uint_eq(c->acks_fault, 0);
	close_link(&f);
}
END_TEST

START_TEST(wait_then_ok)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	struct swd_link_stats st;
	uint32_t v = 0;

	bring_up(&f);
	sim_fault_wait(f.chip, 7);
	ck_assert_int_eq(read_ap0_idr(&f, &v, &err), 0);
	ck_assert_uint_eq(v, 0x24770011);
	swd_link_stats(f.link, &st);
	ck_assert_uint_eq(st.waits, 7);
	ck_assert_uint_eq(sim_counters(f.chip)->acks_wait, 7);
	close_link(&f);
}
END_TEST

START_TEST(wait_storm_times_out)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	uint32_t v = 0;

	bring_up(&f);
	swd_link_set_wait_timeout(f.link, 20000);
	uint64_t t0 = sim_time_ns(f.chip);
	sim_fault_wait(f.chip, 1000000);
	ck_assert_int_eq(read_ap0_idr(&f, &v, &err), SF_E_WAIT);
	ck_assert_msg(strstr(err.msg, "WAIT") && strstr(err.msg, "aborted"), "%s", err.msg);
	/* It gave up after the time limit, not before, and not much after. */
	uint64_t spent = sim_time_ns(f.chip) - t0;
	ck_assert_uint_ge(spent, 20000ULL * 1000);
	ck_assert_uint_lt(spent, 40000ULL * 1000);
	/* DAPABORT cleared the stall: the next access works. */
	sim_fault_wait(f.chip, 0);
	ck_assert_int_eq(read_ap0_idr(&f, &v, &err), 0);
	ck_assert_uint_eq(v, 0x24770011);
	close_link(&f);
}
END_TEST

START_TEST(fault_is_named_and_cleared)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	uint32_t v = 0, sel = 0xF0;

	bring_up(&f);
	ck_assert_int_eq(swd_link_xfer(f.link, 0, 0, DAP_DP_SELECT, &sel, &err), 0);
	sim_fault_fault_at(f.chip, 1);
	ck_assert_int_eq(swd_link_xfer(f.link, 1, 1, 0xC, NULL, &err), SF_E_FAULT);
	ck_assert_msg(strstr(err.msg, "STICKYERR") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "reading AP 0xC") != NULL, "%s", err.msg);
	/* The link cleared the flag: the DP answers OK again. */
	ck_assert_int_eq(read_ap0_idr(&f, &v, &err), 0);
	ck_assert_uint_eq(v, 0x24770011);
	ck_assert_uint_eq(sim_counters(f.chip)->acks_fault, 1);
	close_link(&f);
}
END_TEST

/* A target-to-host parity error: the link re-fetches the value via RESEND. */
START_TEST(read_parity_error_recovered)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	struct swd_link_stats st;
	uint32_t v = 0;

	bring_up(&f);
	/* DPIDR read: 8 request + 1 turnaround + 3 ACK, then data bit 0 is
	 * sampled on cycle 13. */
	sim_fault_flip_cycle(f.chip, 13);
	ck_assert_int_eq(swd_link_xfer(f.link, 0, 1, DAP_DP_DPIDR, &v, &err), 0);
	ck_assert_uint_eq(v, 0x2BA01477);
	swd_link_stats(f.link, &st);
	ck_assert_uint_eq(st.protocol_errors, 1);

	/* Same on a posted AP read: RESEND returns the lost value. */
	uint32_t sel = 0xF0;
	ck_assert_int_eq(swd_link_xfer(f.link, 0, 0, DAP_DP_SELECT, &sel, &err), 0);
	ck_assert_int_eq(swd_link_xfer(f.link, 1, 1, 0xC, NULL, &err), 0);
	sim_fault_flip_cycle(f.chip, 20);
	ck_assert_int_eq(swd_link_xfer(f.link, 0, 1, DAP_DP_RDBUFF, &v, &err), 0);
	ck_assert_uint_eq(v, 0x24770011);
	swd_link_stats(f.link, &st);
	ck_assert_uint_eq(st.protocol_errors, 2);
	close_link(&f);
}
END_TEST

/* A host-to-target parity error (a flipped data bit): the target flags
 * WDATAERR, discards the write and FAULTs the next request; the link
 * names the flag, clears it, and calls it a protocol error (the write can
 * be repeated), not a bus fault. */
START_TEST(write_parity_error_reported)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	uint32_t v = 0;

	swd_link_free(f.link);
	struct tu_pins *fp = calloc(1, sizeof(*fp));
	fp->inner = swd_pins_sim_new(f.chip);
	f.link = swd_link_new(tu_pins_ops(), fp);
	bring_up(&f);
	/* SELECT write: 8 + 1 + 3 + 1 cycles, then data bit 0 on cycle 14. */
	tu_pins_flip_at(fp, 14);
	v = 0;
	ck_assert_int_eq(swd_link_xfer(f.link, 0, 0, DAP_DP_SELECT, &v, &err), 0);
	ck_assert_uint_eq(sim_counters(f.chip)->wdata_errors, 1);
	ck_assert_int_eq(read_ap0_idr(&f, &v, &err), SF_E_PROTOCOL);
	ck_assert_msg(strstr(err.msg, "WDATAERR") != NULL, "%s", err.msg);
	ck_assert_int_eq(read_ap0_idr(&f, &v, &err), 0);
	ck_assert_uint_eq(v, 0x24770011);
	close_link(&f);
}
END_TEST

START_TEST(no_target)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	uint32_t v = 0;

	sim_fault_absent(f.chip, 1);
	swd_link_jtag_to_swd(f.link);
	ck_assert_int_eq(swd_link_xfer(f.link, 0, 1, DAP_DP_DPIDR, &v, &err), SF_E_NOTARGET);
	ck_assert_msg(strstr(err.msg, "no response") != NULL, "%s", err.msg);
	ck_assert_uint_eq(swd_link_xfer_raw(f.link, 0, 1, DAP_DP_DPIDR, &v, NULL), 0x7);
	close_link(&f);
}
END_TEST

/* A corrupted ACK: the link resynchronises with a line reset and retries. */
START_TEST(protocol_error_recovered)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	struct swd_link_stats st;
	uint32_t v = 0;

	bring_up(&f);
	sim_fault_flip_cycle(f.chip, 10); /* first ACK bit of the next read */
	ck_assert_int_eq(swd_link_xfer(f.link, 0, 1, DAP_DP_CTRLSTAT, &v, &err), 0);
	ck_assert_uint_eq(v & 0xF0000000U, 0xF0000000U);
	swd_link_stats(f.link, &st);
	ck_assert_uint_eq(st.protocol_errors, 1);
	ck_assert_uint_ge(st.line_resets, 2);
	close_link(&f);
}
END_TEST

/* A target that goes away mid-session: errors, never a hang. */
START_TEST(target_lost)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	uint32_t v = 0;

	bring_up(&f);
	sim_fault_lose_after(f.chip, 100);
	int rc = 0;
	for (int i = 0; i < 10 && !rc; i++)
		rc = swd_link_xfer(f.link, 0, 1, DAP_DP_CTRLSTAT, &v, &err);
	ck_assert_int_eq(rc, SF_E_NOTARGET);
	close_link(&f);
}
END_TEST

/* ---- GPIO failures: the driver's error, whatever the wire then shows ---- */

/* What a scenario does once the link is up: arm its target-side fault
 * (WAIT, FAULT, a corrupted ACK), then run the transfers under test. */
typedef int (*scenario_fn)(struct fixture *f, struct sf_err *err);

/* The driver failed: SF_E_IO with its message, not "no target" (which the
 * all-ones a failed GPIO read returns would look like). */
static void expect_driver_error(int rc, const struct sf_err *err, int e, const char *what,
				uint64_t cycle)
{
	char want[64];

	snprintf(want, sizeof(want), "on cycle %llu failed: ", (unsigned long long)cycle);
	ck_assert_msg(rc == SF_E_IO, "%s, GPIO failure on cycle %llu: %s (%d): %s", what,
		      (unsigned long long)cycle, sf_err_name(rc), rc, err->msg);
	ck_assert_msg(strstr(err->msg, "tu_pins: set-values") && strstr(err->msg, want) &&
		      strstr(err->msg, strerror(e)),
		      "%s, GPIO failure on cycle %llu: %s", what, (unsigned long long)cycle,
		      err->msg);
}

/* Run the scenario once without a failure to count its cycles (want_rc
 * is what it returns then), then again on a fresh chip for a GPIO failure
 * on each of those cycles. Returns the number of cycles. */
static uint64_t fail_on_every_cycle(scenario_fn run, int want_rc, int e, const char *what)
{
	struct sf_err err = { 0 };
	struct fixture f = open_scripted("");
	uint64_t c0, n;

	bring_up(&f);
	c0 = f.tp->cycle;
	ck_assert_msg(run(&f, &err) == want_rc, "%s without a GPIO failure: %s", what, err.msg);
	n = f.tp->cycle - c0;
	close_link(&f);
	ck_assert_uint_gt(n, 0);
	for (uint64_t c = 1; c <= n; c++) {
		f = open_scripted("");
		bring_up(&f);
		tu_pins_fail_at(f.tp, c, e);
		sf_err_clear(&err);
		expect_driver_error(run(&f, &err), &err, e, what, f.tp->fail_at);
		close_link(&f);
	}
	return n;
}

static int sc_read(struct fixture *f, struct sf_err *err)
{
	uint32_t v = 0;

	/* SELECT (a write), then the posted AP read and RDBUFF. */
	return read_ap0_idr(f, &v, err);
}

static int sc_write(struct fixture *f, struct sf_err *err)
{
	uint32_t sel = 0, tar = 0x20000000;
	int rc = swd_link_xfer(f->link, 0, 0, DAP_DP_SELECT, &sel, err);

	if (!rc)
		rc = swd_link_xfer(f->link, 1, 0, DAP_AP_TAR, &tar, err);
	return rc;
}

static int sc_wait(struct fixture *f, struct sf_err *err)
{
	uint32_t sel = 0xF0;
	int rc = swd_link_xfer(f->link, 0, 0, DAP_DP_SELECT, &sel, err);

	if (rc)
		return rc;
	sim_fault_wait(f->chip, 6);
	rc = swd_link_xfer(f->link, 1, 1, 0xC, NULL, err);
	if (!rc && sim_counters(f->chip)->acks_wait != 6)
		return sf_err_set(err, SF_E_ARG, "expected 6 WAITs");
	return rc;
}

static int sc_protocol(struct fixture *f, struct sf_err *err)
{
	struct swd_link_stats st;
	uint32_t v = 0;
	int rc;

	sim_fault_flip_cycle(f->chip, 10); /* the first ACK bit: line reset, DPIDR, again */
	rc = swd_link_xfer(f->link, 0, 1, DAP_DP_CTRLSTAT, &v, err);
	swd_link_stats(f->link, &st);
	if (!rc && st.protocol_errors != 1)
		return sf_err_set(err, SF_E_ARG, "expected a protocol error");
	return rc;
}

static int sc_fault(struct fixture *f, struct sf_err *err)
{
	uint32_t sel = 0xF0;
	int rc = swd_link_xfer(f->link, 0, 0, DAP_DP_SELECT, &sel, err);

	if (rc)
		return rc;
	sim_fault_fault_at(f->chip, 1); /* then CTRL/STAT read, ABORT write */
	return swd_link_xfer(f->link, 1, 1, 0xC, NULL, err);
}

START_TEST(gpio_failure_mid_read)
{
	ck_assert_uint_eq(fail_on_every_cycle(sc_read, 0, EIO, "read"), 3 * 46);
}
END_TEST

START_TEST(gpio_failure_mid_write)
{
	ck_assert_uint_eq(fail_on_every_cycle(sc_write, 0, ENODEV, "write"), 2 * 46);
}
END_TEST

START_TEST(gpio_failure_during_wait_retry)
{
	/* Six WAIT answers (13 cycles each), then the read. */
	ck_assert_uint_eq(fail_on_every_cycle(sc_wait, 0, EIO, "WAIT retry"), 46 + 6 * 13 + 46);
}
END_TEST

START_TEST(gpio_failure_during_protocol_recovery)
{
	/* The read with the bad ACK, the line reset, DPIDR, the read again. */
	ck_assert_uint_eq(fail_on_every_cycle(sc_protocol, 0, EPERM, "protocol recovery"),
			  13 + 64 + 46 + 46);
}
END_TEST

START_TEST(gpio_failure_during_fault_recovery)
{
	/* The FAULTed read, CTRL/STAT, ABORT. */
	ck_assert_uint_eq(fail_on_every_cycle(sc_fault, SF_E_FAULT, EIO, "FAULT recovery"),
			  46 + 13 + 46 + 46);
}
END_TEST

/* Through the bit-bang DAP: a block read whose GPIO fails part way says
 * which block and why, and the nRESET pin reports the same driver error. */
START_TEST(gpio_failure_mid_block_read)
{
	static uint8_t buf[1024];
	struct sf_err err = { 0 };
	uint64_t n = 0;

	for (unsigned k = 0; k <= 40; k++) {
		struct fixture f = open_scripted("part=nrf52840");
		struct dap dap;
		uint64_t c0;

		ck_assert_int_eq(dap_swd_new(f.link, &dap, &err), 0);
		ck_assert_msg(dap.ops->connect(dap.ctx, NULL, &err) == 0, "%s", err.msg);
		c0 = f.tp->cycle;
		if (k == 0) {
			/* Count the cycles of the whole read first. */
			ck_assert_msg(dap.ops->mem_read(dap.ctx, 0x20000000, buf, sizeof(buf), 4,
							&err) == 0, "%s", err.msg);
			n = f.tp->cycle - c0;
			ck_assert_uint_gt(n, 256 * 46);
		} else {
			uint64_t c = 1 + (n - 1) * (k - 1) / 39;

			tu_pins_fail_at(f.tp, c, EIO);
			sf_err_clear(&err);
			int rc = dap.ops->mem_read(dap.ctx, 0x20000000, buf, sizeof(buf), 4, &err);
			expect_driver_error(rc, &err, EIO, "block read", f.tp->fail_at);
			ck_assert_msg(strstr(err.msg, "reading 0x20000000..0x200003FF"), "%s", err.msg);
			rc = dap.ops->reset_pin(dap.ctx, 0, &err);
			expect_driver_error(rc, &err, EIO, "nRESET after it", f.tp->fail_at);
		}
		dap.ops->free(dap.ctx);
		close_link(&f);
	}
}
END_TEST

/* The VCD recorder wrapping a failing driver passes its error on. */
START_TEST(gpio_failure_through_the_vcd_recorder)
{
	struct fixture f = open_link("");
	struct sf_err err = { 0 };
	struct tu_pins *tp;
	FILE *vcd = fopen("/dev/null", "w");
	uint32_t v = 0;

	ck_assert_ptr_nonnull(vcd);
	swd_link_free(f.link);
	tp = tu_pins_new(f.chip);
	f.link = swd_link_new(&swd_pins_vcd_ops, swd_pins_vcd_new(tu_pins_ops(), tp, vcd, 1000));
	bring_up(&f);
	tu_pins_fail_at(tp, 5, EIO);
	ck_assert_int_eq(swd_link_xfer(f.link, 0, 1, DAP_DP_CTRLSTAT, &v, &err), SF_E_IO);
	expect_driver_error(SF_E_IO, &err, EIO, "under the VCD recorder", tp->fail_at);
	close_link(&f); /* closes the VCD file; the inner driver is borrowed */
	tu_pins_free(tp);
}
END_TEST

static Suite *link_suite(void)
{
	Suite *s = suite_create("link");
	TCase *tc = tcase_create("link");

	tcase_add_test(tc, request_bytes);
	tcase_add_test(tc, ack_ok_read_write);
	tcase_add_test(tc, wait_then_ok);
	tcase_add_test(tc, wait_storm_times_out);
	tcase_add_test(tc, fault_is_named_and_cleared);
	tcase_add_test(tc, read_parity_error_recovered);
	tcase_add_test(tc, write_parity_error_reported);
	tcase_add_test(tc, no_target);
	tcase_add_test(tc, protocol_error_recovered);
	tcase_add_test(tc, target_lost);
	tcase_add_test(tc, gpio_failure_mid_read);
	tcase_add_test(tc, gpio_failure_mid_write);
	tcase_add_test(tc, gpio_failure_during_wait_retry);
	tcase_add_test(tc, gpio_failure_during_protocol_recovery);
	tcase_add_test(tc, gpio_failure_during_fault_recovery);
	tcase_add_test(tc, gpio_failure_mid_block_read);
	tcase_add_test(tc, gpio_failure_through_the_vcd_recorder);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(link_suite());
}
