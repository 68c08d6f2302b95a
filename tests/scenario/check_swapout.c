/*
 * check_swapout - swap-out as a daemon runs it (threads running, swap writes through
 * io_uring): what reclaim waits for, and what its batches do, counted, never timed.
 *
 * Direct reclaim submits its swap writes and returns, as the kernel's does (and as kswapd
 * and the charge's reclaim here do): the pages are freed by a later pass once
 * end_page_writeback has rotated them to the inactive tail. Nothing is lost meanwhile.
 *
 * Without io_uring every write completes inside its submission and nothing here can be in
 * flight: the program then reports itself skipped (TAP "1..0 # SKIP").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fixture.h"
#include "mm.h"

#define PAGE 4096ULL

/* ---- direct reclaim does not wait for its own writes ---------------------------------- */

#define MAX_WRITTEN	4096	/* writes of one touch remembered */
#define TOUCH		64	/* pages a touch */

/* The writes the writer thread's own (direct) reclaim started during one touch. */
struct own_writes {
	struct rcl_engine *e;
	unsigned int nr;
	unsigned long pfn[MAX_WRITTEN];
	uint64_t slot[MAX_WRITTEN];
};

static __thread bool is_writer;		/* set in the test's thread only: not kswapd's */

/* Called with mm_lock held (pageout): the page is under writeback, its slot in ->private. */
static void note_own_write(void *arg, const struct rcl_trace_event *ev)
{
	struct own_writes *w = arg;

	if (!is_writer || ev->type != RCL_TRACE_WRITEPAGE || ev->file || w->nr == MAX_WRITTEN)
		return;
	w->pfn[w->nr] = ev->pfn;
	w->slot[w->nr] = pfn_to_page(w->e, ev->pfn)->private;
	w->nr++;
}

/* How many of the remembered writes are still in flight: the same page, the same slot. */
static unsigned int own_writes_in_flight(struct own_writes *w)
{
	unsigned int i, n = 0;

	mm_lock(w->e);
	for (i = 0; i < w->nr; i++) {
		struct page *page = pfn_to_page(w->e, w->pfn[i]);

		n += PageWriteback(page) && PageSwapCache(page) && page->private == w->slot[i];
	}
	mm_unlock(w->e);
	return n;
}

/*
 * A writer streaming through a region up to 16 times the arena, 64 pages a touch, until 8
 * touches are counted: those whose own direct reclaim wrote pages and returned with some of
 * those writes still in flight. A write is told apart from a later one of the
 * same frame by its slot (a swapped-out page keeps its slot), so the count is exact: before,
 * direct reclaim waited for every write in flight (writeback_wait_all) and it was 0. Every
 * page then reads back as written, and nothing was OOM-killed.
 */
START_TEST(test_direct_reclaim_does_not_wait_for_its_writes)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 16384 };
	struct own_writes *w = calloc(1, sizeof(*w));
	unsigned int writing = 0, in_flight = 0;
	char *buf = malloc(TOUCH * PAGE);
	struct fixture f;
	uint64_t p, i;
	uint32_t id;

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(buf);
	fixture_setup_io(&f, 4, 80, 1, true);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	ck_assert_int_eq(rcl_thread_attach(f.e), 0);
	w->e = f.e;
	is_writer = true;
	rcl_trace_set(f.e, note_own_write, w);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	for (p = 0; p < spec.nr_pages && in_flight < 8; p += TOUCH) {
		for (i = 0; i < TOUCH; i++)
			fill_pattern(buf + i * PAGE, PAGE, 5, (p + i) * PAGE);
		w->nr = 0;
		ck_assert_int_eq(rcl_region_write(f.e, id, p * PAGE, buf, TOUCH * PAGE), 0);
		if (!w->nr)
			continue;
		writing++;
		in_flight += own_writes_in_flight(w) > 0;
	}
	rcl_trace_set(f.e, NULL, NULL);
	is_writer = false;
	printf("# %u touches wrote pages in direct reclaim, %u returned with writes in flight\n",
	       writing, in_flight);
	ck_assert_uint_gt(writing, 0);
	ck_assert_uint_gt(in_flight, 0);
	fixture_verify(&f, id, p, 5);
	ck_assert_uint_eq(fixture_vmstat(f.e, "oom_kill"), 0);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	rcl_thread_detach(f.e);
	rcl_engine_stop_threads(f.e);
	fixture_teardown(&f);
	free(buf);
	free(w);
}
END_TEST

/* ---- no swap write is submitted with mm_lock held ------------------------------------- */

/*
 * A writer streaming through a region 16 times the arena, as a daemon swaps (kswapd and the
 * writer's direct reclaim, io_uring swap): every swap write goes out without mm_lock
 * (pswpout_locked stays 0), since reclaim flushes its plug between batches and never lets it
 * fill inside one. Before, a plug that filled at 512 pages inside shrink_page_list was
 * submitted there, CRCs and ring waits included, with the whole model stopped behind it.
 * Every page then reads back as written.
 */
START_TEST(test_swap_writes_go_out_unlocked)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 32768 };
	char *buf = malloc(TOUCH * PAGE);
	uint64_t out0, locked0, out, locked, p, i;
	struct fixture f;
	uint32_t id;

	ck_assert_ptr_nonnull(buf);
	fixture_setup_io(&f, 8, 160, 1, true);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	ck_assert_int_eq(rcl_thread_attach(f.e), 0);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	out0 = fixture_vmstat(f.e, "pswpout");
	locked0 = fixture_vmstat(f.e, "pswpout_locked");
	for (p = 0; p < spec.nr_pages; p += TOUCH) {
		for (i = 0; i < TOUCH; i++)
			fill_pattern(buf + i * PAGE, PAGE, 7, (p + i) * PAGE);
		ck_assert_int_eq(rcl_region_write(f.e, id, p * PAGE, buf, TOUCH * PAGE), 0);
	}
	out = fixture_vmstat(f.e, "pswpout") - out0;
	locked = fixture_vmstat(f.e, "pswpout_locked") - locked0;
	printf("# %llu pages swapped out, %llu of them submitted with mm_lock held\n",
	       (unsigned long long)out, (unsigned long long)locked);
	/* At least what does not fit in the arena went to swap. */
	ck_assert_uint_ge(out, spec.nr_pages - 8 * 256);
	ck_assert_uint_eq(locked, 0);
	fixture_verify(&f, id, spec.nr_pages, 7);
	ck_assert_uint_eq(fixture_vmstat(f.e, "oom_kill"), 0);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	rcl_thread_detach(f.e);
	rcl_engine_stop_threads(f.e);
	fixture_teardown(&f);
	free(buf);
}
END_TEST

/*
 * MADV_PAGEOUT of a range of dirty pages twice the plug (1,024 pages) in a daemon: every swap
 * write goes out without mm_lock, as reclaim's do (madvise_pageout works in batches and
 * flushes the plug between them). Before, it isolated the whole range and the plug filled
 * inside shrink_page_list at 512 pages: half the range was submitted under the lock. Every
 * page then reads back as written.
 */
START_TEST(test_pageout_writes_go_out_unlocked)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 1024 };
	char *buf = malloc(TOUCH * PAGE);
	uint64_t out0, locked0, out, locked, p, i;
	struct fixture f;
	uint32_t id;

	ck_assert_ptr_nonnull(buf);
	fixture_setup_io(&f, 8, 160, 1, true);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	ck_assert_int_eq(rcl_thread_attach(f.e), 0);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	for (p = 0; p < spec.nr_pages; p += TOUCH) {
		for (i = 0; i < TOUCH; i++)
			fill_pattern(buf + i * PAGE, PAGE, 9, (p + i) * PAGE);
		ck_assert_int_eq(rcl_region_write(f.e, id, p * PAGE, buf, TOUCH * PAGE), 0);
	}
	out0 = fixture_vmstat(f.e, "pswpout");
	locked0 = fixture_vmstat(f.e, "pswpout_locked");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, spec.nr_pages, RCL_MADV_PAGEOUT), 0);
	out = fixture_vmstat(f.e, "pswpout") - out0;
	locked = fixture_vmstat(f.e, "pswpout_locked") - locked0;
	printf("# pageout: %llu pages swapped out, %llu of them submitted with mm_lock held\n",
	       (unsigned long long)out, (unsigned long long)locked);
	ck_assert_uint_eq(out, spec.nr_pages);
	ck_assert_uint_eq(locked, 0);
	fixture_verify(&f, id, spec.nr_pages, 9);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	rcl_thread_detach(f.e);
	rcl_engine_stop_threads(f.e);
	fixture_teardown(&f);
	free(buf);
}
END_TEST

/*
 * msync of pages dirtied again while their last write is in flight. The flusher writes a
 * shared file region's pages (pattern 1) and their writes are kept in flight (the file
 * ring's completions held until someone waits: io_hold_completions); the client then writes
 * pattern 2 into them and calls msync. The walk skips them (dirty and under writeback), and
 * the write in flight has pattern 1: msync must write them again once it is done, or it
 * returns with pattern 1 on disk. Before, it did (every page the flusher had taken).
 */
START_TEST(test_msync_writes_pages_rewritten_in_flight)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = 256, .path = "again",
					.flags = RCL_REGION_SHARED };
	char path[sizeof(((struct fixture *)0)->data) + 8], *buf = malloc(256 * PAGE);
	uint64_t p, in_flight = 0, stale = 0;
	struct fixture f;
	double deadline;
	uint32_t id;
	int fd;

	ck_assert_ptr_nonnull(buf);
	fixture_setup_io(&f, 16, 64, 1, true);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	ck_assert_int_eq(rcl_thread_attach(f.e), 0);
	ck_assert_int_eq(rcl_tunable_set(f.e, RCL_TUNABLE_DIRTY_BACKGROUND_RATIO, 1), 0);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	io_hold_completions(f.e->file_io, true);
	fixture_fill(&f, id, 0, spec.nr_pages, 1);	/* over 1 %: the flusher writes */
	/* Until the flusher has writes in flight (bounded). */
	for (deadline = now_s() + 10; now_s() < deadline; sched_yield()) {
		in_flight = fixture_vmstat(f.e, "nr_writeback");
		if (in_flight)
			break;
	}
	ck_assert_uint_gt(in_flight, 0);
	fixture_fill(&f, id, 0, spec.nr_pages, 2);
	ck_assert_int_eq(rcl_region_msync(f.e, id), 0);
	io_hold_completions(f.e->file_io, false);
	snprintf(path, sizeof(path), "%s/again", f.data);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, spec.nr_pages * PAGE, 0), (ssize_t)(spec.nr_pages * PAGE));
	for (p = 0; p < spec.nr_pages; p++)
		stale += !check_pattern(buf + p * PAGE, PAGE, 2, p * PAGE);
	close(fd);
	printf("# msync after a rewrite: %llu pages were in flight, %llu stale on disk\n",
	       (unsigned long long)in_flight, (unsigned long long)stale);
	ck_assert_uint_eq(stale, 0);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	rcl_thread_detach(f.e);
	rcl_engine_stop_threads(f.e);
	fixture_teardown(&f);
	free(buf);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("swapout");
	TCase *tc = tcase_create("swapout");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_direct_reclaim_does_not_wait_for_its_writes);
	tcase_add_test(tc, test_swap_writes_go_out_unlocked);
	tcase_add_test(tc, test_pageout_writes_go_out_unlocked);
	tcase_add_test(tc, test_msync_writes_pages_rewritten_in_flight);
	suite_add_tcase(s, tc);
	return s;
}

/* check-main.h's main, after a look at whether io_uring can be set up here at all. */
int main(void)
{
	struct io_engine *io;
	SRunner *sr;
	int failed;

	if (io_engine_new(IO_BACKEND_URING, 8, &io) == -ENOSYS) {
		printf("1..0 # SKIP io_uring unavailable: every write completes at submission\n");
		return 0;
	}
	io_engine_free(io);
	sr = srunner_create(make_suite());
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
