// SPDX-License-Identifier: GPL-2.0-or-later
/* check_sim_ap: the simulated access ports (sim/ap.c): AP selection and
 * identification, the AHB-AP's CSW sizes, TAR increment and 4 KiB wrap,
 * banked data registers, bus errors as STICKYERR, and the CTRL-AP
 * (ERASEALL, its status and timing, RESET, APPROTECTSTATUS) on a locked
 * legacy part. */
#include <check.h>

#include "ck_run.h"
#include "tests/sim_host.h"

START_TEST(t_select_aps)
{
	struct sim_chip *c = mk("");
	connect(c);
	sel(c, 1, 0xF);
	rd(c, AP, 3);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x02880000u);
	sel(c, 0, 0xF);
	rd(c, AP, 3);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x24770011u);
	rd(c, AP, 2);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0xE00FF003u);   /* BASE */
	rd(c, AP, 1);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0);             /* CFG */
	sel(c, 7, 0xF);                                         /* no such AP */
	rd(c, AP, 3);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0);
	wr(c, AP, 0, 0x12345678u);
	rd(c, AP, 0);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0);
	/* DPBANKSEL 1: DLCR at 0x4 */
	wr(c, DP, DP_SELECT, 1);
	ck_assert_uint_eq(rd(c, DP, DP_CS), 0);
	wr(c, DP, DP_SELECT, 0);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0xF0000000u, 0xF0000000u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_csw_sizes_tar_wrap)
{
	struct sim_chip *c = mk("");
	connect(c);
	mem_wr(c, 0x20000040u, 0x11223344u);
	sel(c, 0, 0);
	/* 8-bit write into byte lane 1 */
	wr(c, AP, AP_CSW, 0x23000010u);
	wr(c, AP, AP_TAR, 0x20000041u);
	wr(c, AP, AP_DRW, 0x0000AA00u);
	rd(c, AP, AP_TAR);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20000042u);  /* +1 */
	ck_assert_uint_eq(peek32(c, 0x20000040u), 0x1122AA44u);
	/* 16-bit write into the upper halfword */
	wr(c, AP, AP_CSW, 0x23000011u);
	wr(c, AP, AP_TAR, 0x20000042u);
	wr(c, AP, AP_DRW, 0xBEEF0000u);
	ck_assert_uint_eq(peek32(c, 0x20000040u), 0xBEEFAA44u);
	wr(c, AP, AP_TAR, 0x20000042u);
	rd(c, AP, AP_DRW);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF) >> 16, 0xBEEFu);
	rd(c, AP, AP_TAR);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20000044u);  /* +2 */
	rd(c, AP, AP_CSW);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF) & 0x7Fu, 0x51u); /* DeviceEn, inc, 16 bit */
	/* 32-bit: carries across 1 KiB, wraps inside the 4 KiB block
	 * (Cortex-M4 AHB-AP, see sim/ap.c) */
	wr(c, AP, AP_CSW, 0x23000012u);
	wr(c, AP, AP_TAR, 0x200003FCu);
	wr(c, AP, AP_DRW, 0x03030303u);
	wr(c, AP, AP_DRW, 0x04040404u);
	ck_assert_uint_eq(peek32(c, 0x200003FCu), 0x03030303u);
	ck_assert_uint_eq(peek32(c, 0x20000400u), 0x04040404u);
	wr(c, AP, AP_TAR, 0x20001FFCu);
	wr(c, AP, AP_DRW, 0x01010101u);
	wr(c, AP, AP_DRW, 0x02020202u);
	ck_assert_uint_eq(peek32(c, 0x20001FFCu), 0x01010101u);
	ck_assert_uint_eq(peek32(c, 0x20001000u), 0x02020202u);
	ck_assert_uint_eq(peek32(c, 0x20002000u), 0);
	rd(c, AP, AP_TAR);
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20001004u);
	/* BD0..3: TAR[31:4] + 4n, no increment */
	wr(c, AP, AP_TAR, 0x20000100u);
	sel(c, 0, 1);
	wr(c, AP, 2, 0xB2B2B2B2u);   /* BD2 */
	sel(c, 0, 0);
	ck_assert_uint_eq(peek32(c, 0x20000108u), 0xB2B2B2B2u);
	ck_assert_uint_eq(rd(c, AP, AP_TAR), 0x20001004u); /* posted value */
	ck_assert_uint_eq(rd(c, DP, DP_RDBUFF), 0x20000100u);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_bus_error)
{
	struct sim_chip *c = mk("");
	connect(c);
	uint32_t v;
	sel(c, 0, 0);
	wr(c, AP, AP_CSW, 0x23000002u);
	wr(c, AP, AP_TAR, 0x30000000u);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_DRW, &v), OK);   /* the access completes */
	ck_assert_uint_eq(xfer(c, DP, RD, DP_RDBUFF, &v), FAULT);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), FAULT);
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x20u, 0x20u);
	wr(c, DP, DP_ABORT, 0x04);   /* STKERRCLR */
	ck_assert_uint_eq(rd(c, DP, DP_CS) & 0x20u, 0);
	ck_assert_uint_eq(mem_wr_ack(c, 0x60000000u, 1), OK);
	ck_assert_uint_eq(xfer(c, AP, RD, AP_CSW, &v), FAULT);
	wr(c, DP, DP_ABORT, 0x1E);
	/* peripherals and the PPB components read without error */
	mem_rd(c, 0x40000400u);
	mem_rd(c, 0x50000504u);
	mem_rd(c, 0xE000E010u);
	ck_assert_uint_eq(mem_rd_ack(c, 0xE0003000u, &v), FAULT);
	sim_chip_free(c);
}
END_TEST

START_TEST(t_ctrlap_eraseall_legacy)
{
	struct sim_chip *c = mk("part=nrf52832,locked=1");
	ck_assert(sim_is_locked(c));
	connect(c);
	ck_assert_uint_eq(ahb_idr(c), 0);             /* AHB-AP looks absent */
	ck_assert_uint_eq(ctrl_rd(c, 0x0FC), 0x02880000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 0);      /* APPROTECTSTATUS: locked */
	uint32_t v;
	ck_assert_uint_eq(mem_rd_ack(c, 0x20000000u, &v), OK);
	ck_assert_uint_eq(v, 0);
	ctrl_wr(c, 0x004, 1);                          /* ERASEALL */
	uint64_t t0 = sim_time_ns(c);
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 1);
	sim_delay_ns(c, 172000000u - (sim_time_ns(c) - t0));
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 1);      /* still busy at 172 ms */
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 0);
	sim_delay_ns(c, 1000000u);
	ck_assert_uint_eq(ctrl_rd(c, 0x008), 0);
	ck_assert_uint_eq(ctrl_rd(c, 0x00C), 1);
	ck_assert_uint_eq(sim_counters(c)->ctrlap_erase_alls, 1);
	ctrl_wr(c, 0x000, 1);
	ctrl_wr(c, 0x000, 0);
	ctrl_wr(c, 0x004, 0);
	ck_assert_uint_eq(ahb_idr(c), 0x24770011u);
	ck_assert_uint_eq(peek32(c, UICR_APPROTECT), 0xFFFFFFFFu);
	/* legacy: UICR is now 0xFF, so it stays open across resets */
	sysresetreq(c);
	ck_assert(!sim_is_locked(c));
	sim_power_cycle(c);
	ck_assert(!sim_is_locked(c));
	/* and programming APPROTECT locks it at the next reset only */
	connect(c);
	mem_wr(c, NVMC_CONFIG, 1);
	mem_wr(c, UICR_APPROTECT, 0xFFFFFF00u);
	sim_delay_ns(c, 100000);
	mem_wr(c, NVMC_CONFIG, 0);
	ck_assert(!sim_is_locked(c));
	sysresetreq(c);
	ck_assert(sim_is_locked(c));
	sim_chip_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sim_ap");
	TCase *tc = tcase_create("ahb-ap");
	tcase_add_test(tc, t_select_aps);
	tcase_add_test(tc, t_csw_sizes_tar_wrap);
	tcase_add_test(tc, t_bus_error);
	suite_add_tcase(s, tc);
	tc = tcase_create("ctrl-ap");
	tcase_add_test(tc, t_ctrlap_eraseall_legacy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
