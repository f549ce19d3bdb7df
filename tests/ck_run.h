// SPDX-License-Identifier: GPL-2.0-or-later
/* ck_run: the one way a Check suite program runs its suite. */
#ifndef TESTS_CK_RUN_H
#define TESTS_CK_RUN_H

#include <check.h>
#include <stdlib.h>

/* Run every test of s (forked, CK_DEFAULT_TIMEOUT applies); the program's
 * exit status: EXIT_SUCCESS when none failed. */
static inline int ck_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
