/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * runner.h - the main() of every Check suite: run it and speak TAP on stdout,
 * so automake's TAP driver counts each test case.
 */
#ifndef TESTS_RUNNER_H
#define TESTS_RUNNER_H

#include <check.h>
#include <stdlib.h>

static inline int check_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
