/*
 * check_i_pages - a mapping's page cache lock (mapping->i_pages_lock, the kernel's xa_lock on
 * mapping->i_pages).
 *
 * It guards the slots of one file's page cache and its shadow entries: while a thread holds
 * it, another cannot insert a page there, even one that holds mm_lock. The order is mm_lock,
 * a region's ptl, the page cache lock, then lru_lock: taking them that way works, and in
 * --enable-debug builds taking it under lru_lock, taking mm_lock or a ptl under it, sleeping
 * under it, holding two mappings' at once, or changing a slot without it aborts.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "mm.h"

#define PAGE 4096

static struct rcl_file *open_file(struct fixture *f, const char *name, uint64_t pages)
{
	struct rcl_file *file;

	fixture_file(f, name, pages * PAGE);
	ck_assert_int_eq(rcl_file_open(f->e, name, 0, &file), 0);
	return file;
}

/* ---- what it excludes ------------------------------------------------------------------ */

struct reader {
	struct rcl_file *file;
	atomic_bool started, done;
	int ret;
};

/* A buffered read of a page not cached yet: it inserts the page into the cache. */
static void *read_thread(void *arg)
{
	struct reader *r = arg;
	char buf[PAGE];
	size_t got;

	atomic_store(&r->started, true);
	r->ret = rcl_file_pread(r->file, 5 * PAGE, buf, PAGE, &got);
	atomic_store(&r->done, true);
	return NULL;
}

/*
 * While this thread holds the file's page cache lock (and no mm_lock, as a lockless reader
 * would), a read that must insert the page cannot: no page enters the cache until the lock is
 * let go, and the read then completes with the page cached.
 */
START_TEST(test_i_pages_lock_excludes_insertion)
{
	struct fixture f;
	struct rcl_file *file;
	struct address_space *mapping;
	struct reader r = { 0 };
	bool empty = true;
	pthread_t t;
	double deadline;

	fixture_setup(&f, 16, 0, 1);
	file = open_file(&f, "held", 16);
	mapping = file->mapping;
	r.file = file;

	i_pages_lock(mapping);
	ck_assert_int_eq(pthread_create(&t, NULL, read_thread, &r), 0);
	deadline = now_s() + 10;
	while (!atomic_load(&r.started) && now_s() < deadline)
		sched_yield();
	ck_assert_msg(atomic_load(&r.started), "the reader never started");
	/* A tenth of a second in which the read would have finished, had the lock not held it. */
	deadline = now_s() + 0.1;
	while (now_s() < deadline && !atomic_load(&r.done))
		empty = empty && !__atomic_load_n(&mapping->nrpages, __ATOMIC_RELAXED);
	ck_assert_msg(!atomic_load(&r.done), "a page entered a cache whose lock another held");
	ck_assert(empty && !mapping->nrpages);
	i_pages_unlock(mapping);
	pthread_join(t, NULL);
	ck_assert(atomic_load(&r.done));
	ck_assert_int_eq(r.ret, 0);
	mm_lock(f.e);
	ck_assert(slot_is_page(page_cache_slot(mapping, 5)));
	mm_unlock(f.e);
	rcl_file_close(file);
	fixture_teardown(&f);
}
END_TEST

/* ---- lock order ------------------------------------------------------------------------ */

/* The page cached at @index of @file, read in first; the caller then holds mm_lock. */
static struct page *cached_page(struct fixture *f, struct rcl_file *file, unsigned long index)
{
	char buf[PAGE];
	size_t got;
	pgcache_slot_t s;

	ck_assert_int_eq(rcl_file_pread(file, index * PAGE, buf, PAGE, &got), 0);
	mm_lock(f->e);
	lru_add_drain_all(f->e);
	s = page_cache_slot(file->mapping, index);
	ck_assert(slot_is_page(s));
	return pfn_to_page(f->e, slot_pfn(s));
}

/*
 * mm_lock, a region's ptl, the page cache lock, then lru_lock: the order in which reclaim
 * evicts a file page (__remove_mapping's workingset_eviction may take lru_lock under the page
 * cache lock). Each is counted as a model lock while held.
 */
START_TEST(test_ptl_then_i_pages_then_lru_lock)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 4 };
	struct fixture f;
	struct rcl_file *file;
	struct region *region;
	struct page *page;
	uint32_t id;

	fixture_setup(&f, 16, 0, 1);
	file = open_file(&f, "order", 4);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	page = cached_page(&f, file, 1);
	region = region_lookup(f.e, id);
	pte_lock(region);
	i_pages_lock(file->mapping);
	lru_lock(page_pgdat(page));
	ck_assert_int_eq(model_locks_held, 4);
	/* What the lock guards may change under it (the slot stored again, as it was). */
	page_cache_set_slot(file->mapping, 1, mk_page_slot(page_to_pfn(page)));
	ck_assert(slot_is_page(page_cache_slot(file->mapping, 1)));
	lru_unlock(page_pgdat(page));
	i_pages_unlock(file->mapping);
	pte_unlock(region);
	ck_assert_int_eq(model_locks_held, 1);
	mm_unlock(f.e);
	ck_assert_int_eq(model_locks_held, 0);
	rcl_file_close(file);
	fixture_teardown(&f);
}
END_TEST

#ifdef RCL_DEBUG
/* A cached page of a fresh file "dbg"; the caller holds mm_lock (the fixture is leaked: the
 * test ends in abort). */
static struct rcl_file *debug_file(struct fixture *f, struct page **page)
{
	struct rcl_file *file;

	fixture_setup(f, 16, 0, 1);
	file = open_file(f, "dbg", 4);
	*page = cached_page(f, file, 0);
	return file;
}

/* lru_lock, then the page cache lock, is the inversion. */
START_TEST(test_i_pages_under_lru_lock_aborts)
{
	struct fixture f;
	struct page *page;
	struct rcl_file *file = debug_file(&f, &page);

	lru_lock(page_pgdat(page));
	i_pages_lock(file->mapping);
}
END_TEST

/* The shadow node list lock is below the page cache lock: the shrinker only tries for it. */
START_TEST(test_i_pages_under_shadow_lru_aborts)
{
	struct fixture f;
	struct page *page;
	struct rcl_file *file = debug_file(&f, &page);

	shadow_lru_lock(f.e);
	i_pages_lock(file->mapping);
}
END_TEST

START_TEST(test_mm_lock_under_i_pages_aborts)
{
	struct fixture f;
	struct page *page;
	struct rcl_file *file = debug_file(&f, &page);

	mm_unlock(f.e);
	i_pages_lock(file->mapping);
	mm_lock(f.e);
}
END_TEST

START_TEST(test_ptl_under_i_pages_aborts)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 4 };
	struct fixture f;
	struct page *page;
	struct rcl_file *file;
	uint32_t id;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	file = open_file(&f, "dbg", 4);
	page = cached_page(&f, file, 0);
	(void)page;
	i_pages_lock(file->mapping);
	pte_lock(region_lookup(f.e, id));
}
END_TEST

START_TEST(test_sleep_under_i_pages_aborts)
{
	struct fixture f;
	struct page *page;
	struct rcl_file *file = debug_file(&f, &page);

	mm_unlock(f.e);
	i_pages_lock(file->mapping);
	might_sleep();
}
END_TEST

START_TEST(test_slot_change_without_i_pages_aborts)
{
	struct fixture f;
	struct page *page;
	struct rcl_file *file = debug_file(&f, &page);

	page_cache_set_slot(file->mapping, 0, 0);
}
END_TEST

START_TEST(test_two_mappings_i_pages_abort)
{
	struct fixture f;
	struct page *page;
	struct rcl_file *file = debug_file(&f, &page), *other;

	mm_unlock(f.e);
	other = open_file(&f, "other", 1);
	i_pages_lock(file->mapping);
	i_pages_lock(other->mapping);
}
END_TEST
#endif

static Suite *make_suite(void)
{
	Suite *s = suite_create("i_pages");
	TCase *tc = tcase_create("lock");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_i_pages_lock_excludes_insertion);
	tcase_add_test(tc, test_ptl_then_i_pages_then_lru_lock);
#ifdef RCL_DEBUG
	tcase_add_test_raise_signal(tc, test_i_pages_under_lru_lock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_i_pages_under_shadow_lru_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_mm_lock_under_i_pages_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_ptl_under_i_pages_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_sleep_under_i_pages_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_slot_change_without_i_pages_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_two_mappings_i_pages_abort, SIGABRT);
#endif
	suite_add_tcase(s, tc);
	return s;
}
