/*
 * check-main.h - the main() of every Check program: run the suite, report each test as TAP on
 * stdout (so the harness counts test cases, not programs), exit non-zero on any failure.
 *
 * A test that cannot run here (a kernel feature this machine lacks) calls rcl_skip(reason):
 * Check has no skip of its own, so the test ends as a failure whose message starts with a tag
 * made afresh for each run (no failure message can carry it by chance), and main() reports
 * that one result to the harness as TAP's "ok N # SKIP reason" instead, counted as skipped,
 * never as passed. Every other failure stays a failure, and the results are counted against
 * Check's own.
 */
#ifndef RCL_CHECK_MAIN_H
#define RCL_CHECK_MAIN_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "rcl-skip-<nonce>: ", set by main() before any test runs (forked tests inherit it). */
static char rcl_skip_tag[64];

/* End the running test as skipped, saying why (a string literal, printf-style arguments). */
#define rcl_skip(fmt, ...) ck_abort_msg("%s" fmt, rcl_skip_tag, ##__VA_ARGS__)

/*
 * A test of a program with threads elsewhere that drives a deterministic engine from its one
 * thread (fixture_setup, no rcl_engine_start_threads, no thread of its own): under
 * ThreadSanitizer it has no race to find, only seconds to cost, and is skipped; the plain and
 * ASan builds run it (RCL_CHECK_ONE_THREAD does the same for a whole program).
 */
#ifdef __SANITIZE_THREAD__
#define rcl_skip_one_thread() rcl_skip("one thread: nothing for ThreadSanitizer to check")
#else
#define rcl_skip_one_thread() do { } while (0)
#endif

static Suite *make_suite(void);

static void rcl_skip_tag_init(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(rcl_skip_tag, sizeof(rcl_skip_tag), "rcl-skip-%lx%lx%x: ",
		 (unsigned long)ts.tv_sec, (unsigned long)ts.tv_nsec, (unsigned int)getpid());
}

/*
 * Copy Check's TAP from @in to stdout, turning each "not ok N - WHERE: TAG WHY" into
 * "ok N - WHERE # SKIP WHY", counted in @skipped; @results counts the result lines. Returns
 * the failures left, or -1 when the TAP cannot be read.
 */
static int rcl_tap_filter(FILE *in, int *results, int *skipped)
{
	char *line = NULL, *tag;
	size_t cap = 0;
	int failed = 0;

	*results = *skipped = 0;
	while (getline(&line, &cap, in) > 0) {
		bool not_ok = strncmp(line, "not ok ", 7) == 0;

		if (not_ok || strncmp(line, "ok ", 3) == 0)
			(*results)++;
		tag = not_ok ? strstr(line, rcl_skip_tag) : NULL;
		/* Check writes "WHERE: MESSAGE": the tag must open the message. */
		if (tag && tag - line >= 9 && tag[-2] == ':' && tag[-1] == ' ') {
			char *why = tag + strlen(rcl_skip_tag);

			why[strcspn(why, "\n")] = '\0';
			printf("ok %.*s # SKIP %s\n", (int)(tag - 2 - (line + 7)), line + 7, why);
			(*skipped)++;
			continue;
		}
		if (not_ok)
			failed++;
		fputs(line, stdout);
	}
	free(line);
	fflush(stdout);
	return ferror(in) ? -1 : failed;
}

int main(void)
{
	const char *dir = getenv("TMPDIR");
	int fd, failed, checked_failed, checked_run, results, skipped;
	char path[4096];
	SRunner *sr;
	FILE *tap;

#if defined(RCL_CHECK_ONE_THREAD) && defined(__SANITIZE_THREAD__)
	/*
	 * A program that defines RCL_CHECK_ONE_THREAD drives a deterministic engine from its one
	 * thread (no rcl_engine_start, no threads of its own): ThreadSanitizer has no race to
	 * find there, and the plain and ASan builds run it. Skipped, not passed, under TSan.
	 */
	printf("1..0 # SKIP one thread: nothing for ThreadSanitizer to check\n");
	return EXIT_SUCCESS;
#endif
	rcl_skip_tag_init();
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
	checked_run = srunner_ntests_run(sr);
	srunner_free(sr);		/* closes the TAP file, with every line written */

	tap = fdopen(fd, "r");
	if (!tap || fseek(tap, 0, SEEK_SET) != 0) {
		perror(path);
		unlink(path);
		return EXIT_FAILURE;
	}
	failed = rcl_tap_filter(tap, &results, &skipped);
	fclose(tap);
	unlink(path);
	/* Check's own counts as well: a result the TAP lost or garbled fails the program. */
	if (results != checked_run) {
		printf("# %d TAP results for %d tests run\n", results, checked_run);
		return EXIT_FAILURE;
	}
	return failed || checked_failed != skipped ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
