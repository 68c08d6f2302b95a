/*
 * check-main.h - the main() of every Check program: run the suite, report each test as TAP on
 * stdout (so the harness counts test cases, not programs), exit non-zero on any failure.
 *
 * A test that cannot run here (a kernel feature this machine lacks) calls rcl_skip(reason):
 * Check has no skip of its own, so the test ends as a failure whose message carries
 * RCL_SKIP_TAG, and main() reports that one line to the harness as TAP's "ok N # SKIP reason"
 * instead, counted as skipped, never as passed. Every other failure stays a failure.
 */
#ifndef RCL_CHECK_MAIN_H
#define RCL_CHECK_MAIN_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RCL_SKIP_TAG "rcl-skip: "

/* End the running test as skipped, saying why (a string literal, printf-style arguments). */
#define rcl_skip(...) ck_abort_msg(RCL_SKIP_TAG __VA_ARGS__)

static Suite *make_suite(void);

/*
 * Copy Check's TAP from @in to stdout, turning each "not ok N - WHERE: rcl-skip: WHY" into
 * "ok N - WHERE # SKIP WHY", counted in @skipped. Returns the failures left, or -1 when the
 * TAP cannot be read.
 */
static int rcl_tap_filter(FILE *in, int *skipped)
{
	char line[4096];
	int failed = 0;

	*skipped = 0;
	while (fgets(line, sizeof(line), in)) {
		char *tag = strstr(line, RCL_SKIP_TAG);

		if (strncmp(line, "not ok ", 7) == 0 && tag) {
			char *why = tag + strlen(RCL_SKIP_TAG);
			char *where_end = tag;

			why[strcspn(why, "\n")] = '\0';
			/* Check writes "WHERE: MESSAGE": drop the ": " before the tag. */
			if (where_end - line >= 9 && where_end[-2] == ':' && where_end[-1] == ' ')
				where_end -= 2;
			printf("ok %.*s # SKIP %s\n", (int)(where_end - (line + 7)), line + 7, why);
			(*skipped)++;
			continue;
		}
		if (strncmp(line, "not ok ", 7) == 0)
			failed++;
		fputs(line, stdout);
	}
	fflush(stdout);
	return ferror(in) ? -1 : failed;
}

int main(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	SRunner *sr;
	FILE *tap;
	int fd, failed, checked_failed, skipped;

	snprintf(path, sizeof(path), "%s/check-tap-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror(path);
		return EXIT_FAILURE;
	}
	sr = srunner_create(make_suite());
	srunner_set_tap(sr, path);
	srunner_run_all(sr, CK_SILENT);
	checked_failed = srunner_ntests_failed(sr);
	srunner_free(sr);		/* closes the TAP file, with every line written */

	tap = fdopen(fd, "r");
	if (!tap || fseek(tap, 0, SEEK_SET) != 0) {
		perror(path);
		unlink(path);
		return EXIT_FAILURE;
	}
	failed = rcl_tap_filter(tap, &skipped);
	fclose(tap);
	unlink(path);
	/* Check's own count as well: a failure the TAP lost still fails the program. */
	return failed || checked_failed > skipped ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
