/*
 * check_file_cached - buffered reads of cached pages without the engine's lock
 * (rcl_file_pread_cached, what the daemon's event loop answers FileRead hits with).
 *
 * It does what rcl_file_pread does on a range whose pages are all cached and up to date (the
 * bytes, the pages' aging, the readahead state) and goes on while another thread holds
 * mm_lock; whatever needs more (a missing page, readahead, a page its access would move
 * between the lists, a range over 64 pages) it refuses with -EAGAIN and changes nothing.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "beside-lock.h"
#include "check-main.h"
#include "engine-fixture.h"
#include "mm.h"

#define PAGE 4096

/* The page flags an access changes or depends on, under either policy. */
#define AGE_FLAGS	((1u << PG_referenced) | (1u << PG_active) | (1u << PG_lru) | \
			 (1u << PG_unevictable) | (1u << PG_readahead) | (1u << PG_hot) | \
			 (1u << PG_test) | (1u << PG_clock))

/* A file of @pages pages in the data directory, the first @cached of them written through
 * the cache (so cached), with bytes of pattern @seed. */
static struct rcl_file *partly_cached_file(struct fixture *f, const char *name, uint64_t pages,
					   uint64_t cached, uint64_t seed)
{
	char *buf = malloc(cached * PAGE);
	struct rcl_file *file;

	ck_assert_ptr_nonnull(buf);
	fixture_file(f, name, pages * PAGE);
	ck_assert_int_eq(rcl_file_open(f->e, name, 0, &file), 0);
	fill_pattern(buf, cached * PAGE, seed, 0);
	ck_assert_int_eq(rcl_file_pwrite(file, 0, buf, cached * PAGE), 0);
	free(buf);
	return file;
}

static struct rcl_file *cached_file(struct fixture *f, const char *name, uint64_t pages,
				    uint64_t seed)
{
	return partly_cached_file(f, name, pages, pages, seed);
}

/* The page cached at @index of @file, or NULL. */
static struct page *cached_page(struct rcl_file *file, unsigned long index)
{
	struct address_space *mapping = file->mapping;
	struct page *page = NULL;
	pgcache_slot_t s;

	i_pages_lock(mapping);
	s = page_cache_slot(mapping, index);
	if (slot_is_page(s))
		page = pfn_to_page(file->engine, slot_pfn(s));
	i_pages_unlock(mapping);
	return page;
}

static uint32_t age_of(struct rcl_file *file, unsigned long index)
{
	struct page *page = cached_page(file, index);

	return page ? page_flags(page) & AGE_FLAGS : UINT32_MAX;
}

/* Read every page once through the full path: each is then active or in its clock. */
static void read_all(struct rcl_file *file, uint64_t pages)
{
	char *buf = malloc(pages * PAGE);
	size_t got;

	ck_assert_int_eq(rcl_file_pread(file, 0, buf, pages * PAGE, &got), 0);
	ck_assert_uint_eq(got, pages * PAGE);
	free(buf);
}

/* ---- beside a held mm_lock -------------------------------------------------------------- */

struct cached_reader {
	struct rcl_file *file;
	char *buf;
	size_t got;
	int ret;
};

static void lock_engine(void *e) { mm_lock(e); }
static void unlock_engine(void *e) { mm_unlock(e); }

static void *read_cached(void *arg)
{
	struct cached_reader *r = arg;

	r->ret = rcl_file_pread_cached(r->file, PAGE / 2, r->buf, 6 * PAGE, &r->got);
	return NULL;
}

/* The hit is read while another thread holds mm_lock (with it, it waited: the bound fails it). */
START_TEST(test_cached_read_beside_mm_lock)
{
	struct cached_reader r = { .buf = malloc(6 * PAGE) };
	struct fixture f;

	fixture_setup(&f, 16, 0, 1);
	r.file = cached_file(&f, "hits", 8, 41);
	read_all(r.file, 8);
	ck_assert_msg(run_beside_lock(lock_engine, unlock_engine, f.e, read_cached, &r),
		      "a read of cached pages waited for mm_lock");
	ck_assert_int_eq(r.ret, 0);
	ck_assert_uint_eq(r.got, 6 * PAGE);
	ck_assert(check_pattern(r.buf, 6 * PAGE, 41, PAGE / 2));
	rcl_file_close(r.file);
	free(r.buf);
	fixture_teardown(&f);
}
END_TEST

/* ---- what it refuses --------------------------------------------------------------------- */

/* -EAGAIN, and nothing changed: the pages' age, the readahead state, the caller's buffer. */
static void refused(struct rcl_file *file, uint64_t offset, size_t len, unsigned long pages)
{
	uint32_t *before = calloc(pages, sizeof(*before));
	int64_t prev_pos = file->f_ra.prev_pos;
	char *buf = malloc(len);
	unsigned long i;
	size_t got = 7;

	memset(buf, 0x5a, len);
	for (i = 0; i < pages; i++)
		before[i] = age_of(file, i);
	ck_assert_int_eq(rcl_file_pread_cached(file, offset, buf, len, &got), -EAGAIN);
	ck_assert_uint_eq(got, 7);
	ck_assert_int_eq(file->f_ra.prev_pos, prev_pos);
	for (i = 0; i < pages; i++)
		ck_assert_msg(age_of(file, i) == before[i], "page %lu aged by a refused read", i);
	for (i = 0; i < len; i++)
		ck_assert_int_eq(buf[i], 0x5a);
	free(buf);
	free(before);
}

START_TEST(test_cached_read_refuses_a_missing_page)
{
	struct fixture f;
	struct rcl_file *file;

	fixture_setup(&f, 16, 0, 1);
	file = partly_cached_file(&f, "holes", 6, 4, 42);
	read_all(file, 4);
	/* Pages 0-3 cached and read once; a range that reaches page 4 is not all there. */
	ck_assert_ptr_null(cached_page(file, 4));
	refused(file, 3 * PAGE, 3 * PAGE, 6);
	rcl_file_close(file);
	fixture_teardown(&f);
}
END_TEST

/*
 * A page this access would move on the lists under lru_lock. Two-list: an inactive page seen
 * once already (written), which it would activate. CLOCK-Pro: a page on the lists that no
 * access has reached yet (brought by readahead), which it would make join its clock.
 */
START_TEST(test_cached_read_refuses_a_page_it_would_move)
{
	struct fixture f;
	bool clock_pro;
	struct rcl_file *file;
	unsigned long p;
	char buf[PAGE];
	size_t got;

	fixture_setup(&f, 16, 0, 1);
	clock_pro = f.e->config.reclaim_policy == RCL_RECLAIM_CLOCK_PRO;
	file = partly_cached_file(&f, "moves", 8, clock_pro ? 0 : 4, 43);
	if (clock_pro)
		ck_assert_int_eq(rcl_file_pread(file, 0, buf, PAGE, &got), 0);
	lru_add_drain_all(f.e);
	/* Not the page readahead marked: that is refused for starting readahead. */
	for (p = 1; p < 8; p++)
		if (cached_page(file, p) && !PageReadahead(cached_page(file, p)))
			break;
	ck_assert_uint_lt(p, 8);
	ck_assert(PageLRU(cached_page(file, p)));
	refused(file, p * PAGE, PAGE, 8);
	rcl_file_close(file);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_cached_read_refuses_readahead_and_long_ranges)
{
	struct fixture f;
	struct rcl_file *file;
	unsigned long i, marked = ULONG_MAX;
	char *buf = malloc(80 * PAGE);
	size_t got;

	fixture_setup(&f, 16, 0, 1);
	file = cached_file(&f, "long", 80, 44);
	read_all(file, 80);
	refused(file, 0, 65 * PAGE, 80);
	ck_assert_int_eq(rcl_file_pread_cached(file, 0, buf, 64 * PAGE, &got), 0);
	ck_assert_uint_eq(got, 64 * PAGE);
	ck_assert(check_pattern(buf, 64 * PAGE, 44, 0));
	rcl_file_close(file);

	/* A file read from disk: readahead marks a page of its window to start the next one. */
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_int_eq(rcl_drop_caches(f.e, &(uint64_t){ 0 }), 0);
	ck_assert_int_eq(rcl_file_open(f.e, "long", 0, &file), 0);
	ck_assert_int_eq(rcl_file_pread(file, 0, buf, PAGE, &got), 0);
	for (i = 1; i < 80 && marked == ULONG_MAX; i++)
		if (cached_page(file, i) && PageReadahead(cached_page(file, i)))
			marked = i;
	ck_assert_msg(marked != ULONG_MAX, "no page marked for readahead");
	refused(file, marked * PAGE, PAGE, 80);
	free(buf);
	rcl_file_close(file);
	fixture_teardown(&f);
}
END_TEST

/* ---- the same as the full read ------------------------------------------------------------ */

/*
 * Two files with the same bytes and history: every read of one goes through
 * rcl_file_pread_cached first (rcl_file_pread when refused), of the other through
 * rcl_file_pread alone. The bytes, the pages' age and the readahead state come out the same,
 * through re-reads of one page at one offset (marked once), partial pages, reads that reach
 * pages not cached yet, a read across the end of the file and one past it.
 */
START_TEST(test_cached_read_does_what_the_full_read_does)
{
	static const struct { uint64_t offset; size_t len; } ops[] = {
		{ 0, PAGE }, { 0, PAGE }, { 100, 200 }, { 300, 5000 }, { 5300, 10 },
		{ 5310, 3 * PAGE }, { 2 * PAGE, PAGE }, { 2 * PAGE, PAGE }, { 3 * PAGE, 2 * PAGE },
		{ 7 * PAGE + 10, 2 * PAGE }, { 9 * PAGE, PAGE }, { PAGE, 6 * PAGE }, { 0, 8 * PAGE },
		{ 4 * PAGE + 1, 1 }, { 4 * PAGE + 1, 1 }, { 6 * PAGE, 100 }, { 8 * PAGE, 2 * PAGE },
		{ 9 * PAGE + 100, 2 * PAGE }, { 12 * PAGE, 10 },
	};
	struct fixture f;
	struct rcl_file *a, *b;
	char *x = malloc(8 * PAGE), *y = malloc(8 * PAGE);
	unsigned int fast = 0, slow = 0;
	size_t i, got_a, got_b;
	unsigned long p;
	int ret;

	fixture_setup(&f, 16, 0, 1);
	/* 10 pages, 8 cached: the reads that reach the other two are refused. */
	a = partly_cached_file(&f, "a", 10, 8, 45);
	b = partly_cached_file(&f, "b", 10, 8, 45);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		memset(x, 0, 8 * PAGE);
		memset(y, 0, 8 * PAGE);
		ret = rcl_file_pread_cached(a, ops[i].offset, x, ops[i].len, &got_a);
		if (ret == -EAGAIN) {
			slow++;
			ret = rcl_file_pread(a, ops[i].offset, x, ops[i].len, &got_a);
		} else {
			fast++;
		}
		ck_assert_int_eq(ret, 0);
		ck_assert_int_eq(rcl_file_pread(b, ops[i].offset, y, ops[i].len, &got_b), 0);
		ck_assert_uint_eq(got_a, got_b);
		ck_assert_msg(!memcmp(x, y, got_a), "read %zu: other bytes", i);
		ck_assert_msg(a->f_ra.prev_pos == b->f_ra.prev_pos, "read %zu: prev_pos %lld, not %lld",
			      i, (long long)a->f_ra.prev_pos, (long long)b->f_ra.prev_pos);
		lru_add_drain_all(f.e);
		for (p = 0; p < 10; p++)
			ck_assert_msg(age_of(a, p) == age_of(b, p),
				      "read %zu: page %lu flags %#x, not %#x", i, p, age_of(a, p),
				      age_of(b, p));
	}
	ck_assert_uint_gt(fast, 0);
	ck_assert_uint_gt(slow, 0);
	rcl_file_close(a);
	rcl_file_close(b);
	free(x);
	free(y);
	fixture_teardown(&f);
}
END_TEST

/* ---- many ranges in one call ---------------------------------------------------------- */

#define VEC_MAX	6

/*
 * rcl_file_preadv_cached against rcl_file_pread of each range in turn, on two files with the
 * same bytes and history (8 of 10 pages cached and read once: active, or in their clock):
 * runs of ranges, hits and misses, adjacent and overlapping ranges, an empty one, one across
 * the end of the file and one past it. Bytes, counts, pages' age and prev_pos come out the
 * same whichever path took the run, and each run takes the path worked out for it here, by
 * policy (a run refused in error would pass the rest of the test on the full path).
 */
START_TEST(test_vectored_read_does_what_the_reads_in_turn_do)
{
	static const struct {
		unsigned int n;
		struct { uint64_t offset; size_t len; } r[VEC_MAX];
		bool fast[2];		/* two-list, CLOCK-Pro */
	} runs[] = {
		/* Pages 0-2 once each: marks that move nothing. */
		{ 3, { { 0, PAGE }, { PAGE, PAGE }, { 2 * PAGE, 100 } }, { true, true } },
		/* Page 0 at 0, then at 0 again after the first range ended at 100: two marks
		 * of one page, refused (the second finds it referenced). */
		{ 2, { { 0, 100 }, { 0, 100 } }, { false, false } },
		/* Page 0 from where the last run left it (prev_pos 100): not marked again. */
		{ 1, { { 100, 200 } }, { true, true } },
		/* Each range goes on where the one before stopped, within a page: pages 1, 2
		 * and 3 marked once each, only if prev_pos is carried from range to range. */
		{ 3, { { PAGE + 7, PAGE }, { 2 * PAGE + 7, PAGE }, { 3 * PAGE + 7, 3 } },
		  { true, true } },
		/* An empty range, then one reaching page 8 (not cached): the full read's, which
		 * brings 8 and 9 in by readahead. */
		{ 3, { { 3 * PAGE, 0 }, { 7 * PAGE, 2 * PAGE }, { 0, 3 * PAGE } }, { false, false } },
		/* Page 9 (readahead brought it, no access yet) and past the end of the file:
		 * two-list only sets its PG_referenced; CLOCK-Pro would have it join its clock. */
		{ 2, { { 9 * PAGE + 100, 2 * PAGE }, { 12 * PAGE, 10 } }, { true, false } },
		{ 4, { { 4 * PAGE, PAGE }, { 6 * PAGE, 2 * PAGE }, { PAGE, PAGE }, { 0, 1 } },
		  { true, true } },
	};
	struct rcl_file_iov va[VEC_MAX], vb[VEC_MAX];
	unsigned int fast = 0, slow = 0;
	struct rcl_file *a, *b;
	struct fixture f;
	bool clock_pro;
	size_t i, k, n;
	unsigned long p;
	int ret;

	fixture_setup(&f, 16, 0, 1);
	clock_pro = f.e->config.reclaim_policy == RCL_RECLAIM_CLOCK_PRO;
	a = partly_cached_file(&f, "a", 10, 8, 46);
	b = partly_cached_file(&f, "b", 10, 8, 46);
	read_all(a, 8);
	lru_add_drain_all(f.e);		/* a's pages join their lists before b's are read */
	read_all(b, 8);
	lru_add_drain_all(f.e);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		for (n = 0; n < runs[i].n; n++) {
			va[n] = (struct rcl_file_iov){ .offset = runs[i].r[n].offset,
						       .len = runs[i].r[n].len };
			va[n].buf = calloc(1, va[n].len + 1);
			vb[n] = va[n];
			vb[n].buf = calloc(1, va[n].len + 1);
		}
		ret = rcl_file_preadv_cached(a, va, n);
		ck_assert_msg((ret == 0) == runs[i].fast[clock_pro], "run %zu: %s, not %s", i,
			      ret ? "refused" : "a hit", ret ? "a hit" : "refused");
		if (ret == -EAGAIN) {
			slow++;
			for (k = 0; k < n; k++)
				ck_assert_int_eq(rcl_file_pread(a, va[k].offset, va[k].buf, va[k].len,
								&va[k].read), 0);
		} else {
			ck_assert_int_eq(ret, 0);
			fast++;
		}
		for (k = 0; k < n; k++) {
			ck_assert_int_eq(rcl_file_pread(b, vb[k].offset, vb[k].buf, vb[k].len,
							&vb[k].read), 0);
			ck_assert_msg(va[k].read == vb[k].read, "run %zu range %zu: %zu bytes, not %zu",
				      i, k, va[k].read, vb[k].read);
			ck_assert_msg(!memcmp(va[k].buf, vb[k].buf, va[k].read),
				      "run %zu range %zu: other bytes", i, k);
			free(va[k].buf);
			free(vb[k].buf);
		}
		ck_assert_msg(a->f_ra.prev_pos == b->f_ra.prev_pos, "run %zu: prev_pos %lld, not %lld",
			      i, (long long)a->f_ra.prev_pos, (long long)b->f_ra.prev_pos);
		lru_add_drain_all(f.e);
		for (p = 0; p < 10; p++)
			ck_assert_msg(age_of(a, p) == age_of(b, p), "run %zu: page %lu flags %#x, not %#x",
				      i, p, age_of(a, p), age_of(b, p));
	}
	ck_assert_uint_gt(fast, 0);
	ck_assert_uint_gt(slow, 0);
	rcl_file_close(a);
	rcl_file_close(b);
	fixture_teardown(&f);
}
END_TEST

/*
 * A page a run would mark twice. Two-list: a page readahead brought and no access has reached
 * (inactive, unreferenced) is a hit alone, its mark setting PG_referenced; marked twice, as
 * two ranges at two offsets of it would, the second mark activates it, so that run is refused.
 * CLOCK-Pro: such a page would join its clock at the first mark, so either run is refused.
 */
START_TEST(test_vectored_read_refuses_a_second_mark)
{
	struct rcl_file_iov v[2];
	struct rcl_file *file;
	struct fixture f;
	char a[10], b[10];
	unsigned long p;
	bool clock_pro;
	size_t got;

	fixture_setup(&f, 16, 0, 1);
	clock_pro = f.e->config.reclaim_policy == RCL_RECLAIM_CLOCK_PRO;
	file = cached_file(&f, "ra", 32, 48);
	rcl_file_close(file);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_int_eq(rcl_drop_caches(f.e, &(uint64_t){ 0 }), 0);
	ck_assert_int_eq(rcl_file_open(f.e, "ra", 0, &file), 0);
	ck_assert_int_eq(rcl_file_pread(file, 0, a, 1, &got), 0);	/* readahead brings more */
	lru_add_drain_all(f.e);
	for (p = 1; p < 32; p++) {
		struct page *page = cached_page(file, p);

		if (page && !PageReadahead(page) && !PageReferenced(page) && !PageActive(page))
			break;
	}
	ck_assert_msg(p < 32, "readahead brought no page that no access has reached");
	v[0] = (struct rcl_file_iov){ .offset = p * PAGE, .buf = a, .len = sizeof(a) };
	v[1] = (struct rcl_file_iov){ .offset = p * PAGE + 200, .buf = b, .len = sizeof(b) };
	ck_assert_int_eq(rcl_file_preadv_cached(file, v, 2), -EAGAIN);
	ck_assert(!PageReferenced(cached_page(file, p)));
	if (clock_pro) {
		ck_assert_int_eq(rcl_file_preadv_cached(file, v, 1), -EAGAIN);
	} else {
		ck_assert_int_eq(rcl_file_preadv_cached(file, v, 1), 0);
		ck_assert(PageReferenced(cached_page(file, p)));
		ck_assert(!PageActive(cached_page(file, p)));
		ck_assert(check_pattern(a, sizeof(a), 48, p * PAGE));
	}
	rcl_file_close(file);
	fixture_teardown(&f);
}
END_TEST

/*
 * All or nothing: a run whose last range is refused (a page not cached, or one page too many
 * in all) copies nothing and ages nothing, not even its first ranges' pages.
 */
START_TEST(test_vectored_read_refused_changes_nothing)
{
	struct rcl_file_iov v[3];
	uint32_t before[70];
	struct rcl_file *file;
	struct fixture f;
	int64_t prev_pos;
	unsigned long p;
	int round;

	fixture_setup(&f, 16, 0, 1);
	file = partly_cached_file(&f, "some", 70, 68, 47);
	read_all(file, 68);	/* every cached page read once: active, or in its clock */
	for (round = 0; round < 2; round++) {
		/* Round 0: 3 pages then page 68, not cached. Round 1: 2 + 32 + 31 = 65 pages. */
		v[0] = (struct rcl_file_iov){ .offset = round ? 0 : 10 * PAGE, .len = 3 * PAGE };
		v[1] = (struct rcl_file_iov){ .offset = round ? 3 * PAGE : 68 * PAGE, .len = PAGE };
		v[2] = (struct rcl_file_iov){ .offset = 35 * PAGE, .len = 31 * PAGE };
		if (round)
			v[1].len = 32 * PAGE, v[0].len = 2 * PAGE;
		v[0].buf = malloc(v[0].len);
		v[1].buf = malloc(v[1].len);
		v[2].buf = malloc(v[2].len);
		memset(v[0].buf, 0x5a, v[0].len);
		for (p = 0; p < 70; p++)
			before[p] = age_of(file, p);
		prev_pos = file->f_ra.prev_pos;
		v[0].read = 7;
		ck_assert_int_eq(rcl_file_preadv_cached(file, v, round ? 3 : 2), -EAGAIN);
		ck_assert_uint_eq(v[0].read, 7);
		ck_assert_int_eq(((unsigned char *)v[0].buf)[0], 0x5a);
		ck_assert_int_eq(file->f_ra.prev_pos, prev_pos);
		for (p = 0; p < 70; p++)
			ck_assert_msg(age_of(file, p) == before[p], "round %d: page %lu aged", round,
				      p);
		/* Without the range that was too much, the same run is a hit. */
		if (round) {
			v[2].len = 30 * PAGE;
			ck_assert_int_eq(rcl_file_preadv_cached(file, v, 3), 0);
			ck_assert_uint_eq(v[2].read, 30 * PAGE);
			ck_assert(check_pattern(v[2].buf, 30 * PAGE, 47, 35 * PAGE));
		}
		free(v[0].buf);
		free(v[1].buf);
		free(v[2].buf);
	}
	rcl_file_close(file);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("file_cached");
	TCase *tc = tcase_create("file_cached");

	tcase_set_timeout(tc, BESIDE_LOCK_SECONDS + 10);
	tcase_add_test(tc, test_cached_read_beside_mm_lock);
	tcase_add_test(tc, test_cached_read_refuses_a_missing_page);
	tcase_add_test(tc, test_cached_read_refuses_a_page_it_would_move);
	tcase_add_test(tc, test_cached_read_refuses_readahead_and_long_ranges);
	tcase_add_test(tc, test_cached_read_does_what_the_full_read_does);
	tcase_add_test(tc, test_vectored_read_does_what_the_reads_in_turn_do);
	tcase_add_test(tc, test_vectored_read_refused_changes_nothing);
	tcase_add_test(tc, test_vectored_read_refuses_a_second_mark);
	suite_add_tcase(s, tc);
	return s;
}
