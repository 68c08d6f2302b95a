/*
 * check-main.h - the main() of every Check program: run the suite, report each test as TAP on
 * stdout (so the harness counts test cases, not programs), exit non-zero on any failure.
 */
#ifndef RCL_CHECK_MAIN_H
#define RCL_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static Suite *make_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(make_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
