/* Shared helpers for the Check suites: a simulated chip behind a real
 * probe stack (sim pins -> SWD link -> DAP). */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/sim.h"
#include "swd/probe.h"

/* Open "sim:<spec>" or fail the test with the message. */
static inline struct swd_probe *tu_probe(const char *spec)
{
	struct swd_probe *p = NULL;
	struct swd_err err = { 0 };
	char full[256];

	snprintf(full, sizeof(full), "sim:%s", spec);
	int rc = swd_probe_open(full, &p, &err);
	ck_assert_msg(rc == 0, "probe %s: %s", full, err.msg);
	return p;
}

/* Run one suite; exit status is the number of failures (0 = pass). */
static inline int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
