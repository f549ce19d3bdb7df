/* SWD link layer against the simulated chip: every ACK case, parity errors
 * both ways, WAIT storms, FAULT recovery, no target. */
#include <string.h>

#include "swd/dap_swd.h"
#include "swd/link.h"
#include "swd/pins_sim.h"
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
	struct tu_flip *fp = calloc(1, sizeof(*fp));
	fp->inner = swd_pins_sim_new(f.chip);
	f.link = swd_link_new(tu_flip_ops(), fp);
	bring_up(&f);
	/* SELECT write: 8 + 1 + 3 + 1 cycles, then data bit 0 on cycle 14. */
	tu_flip_arm(fp, 14);
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(link_suite());
}
