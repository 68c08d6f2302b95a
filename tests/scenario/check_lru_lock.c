/*
 * check_lru_lock - the per-node LRU lock (pgdat->lru_lock).
 *
 * It guards the LRU lists of every lruvec on its node: a thread holding it keeps another from
 * changing them, even one that holds mm_lock. The order is mm_lock, then a region's ptl, then
 * lru_lock, then the allocator's per-thread lists and zone locks: taking them that way works,
 * and in --enable-debug builds taking mm_lock or a ptl under it, sleeping under it, taking two
 * nodes' at once, or changing a list without it aborts.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "mm.h"

/* An anonymous region of @pages written pages, all on the LRU lists (the vectors drained). */
static uint32_t lru_region(struct fixture *f, uint64_t pages)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = pages };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	fixture_fill(f, id, 0, pages, 3);
	mm_lock(f->e);
	lru_add_drain_all(f->e);
	mm_unlock(f->e);
	return id;
}

/* The page behind entry @idx of region @id; the caller holds mm_lock. */
static struct page *region_page(struct fixture *f, uint32_t id, unsigned long idx)
{
	pte_t pte = pte_get(region_lookup(f->e, id), idx);

	ck_assert(pte_present(pte));
	return pfn_to_page(f->e, pte_pfn(pte));
}

/* ---- what it excludes ------------------------------------------------------------------ */

struct isolator {
	struct fixture *f;
	struct page *page;
	atomic_bool started, done;
	int ret;
};

/* As reclaim or munlock would: mm_lock, then isolate the page (which takes lru_lock). */
static void *isolate_thread(void *arg)
{
	struct isolator *iso = arg;

	mm_lock(iso->f->e);
	atomic_store(&iso->started, true);
	iso->ret = isolate_lru_page(iso->page);
	atomic_store(&iso->done, true);
	if (!iso->ret)
		putback_lru_page(iso->page);
	mm_unlock(iso->f->e);
	return NULL;
}

/*
 * While this thread holds the node's lru_lock, another that holds mm_lock cannot take a page
 * off its list: its isolate_lru_page waits, the page stays on the list, and it completes once
 * the lock is let go.
 */
START_TEST(test_lru_lock_excludes_isolation)
{
	struct fixture f;
	struct isolator iso = { 0 };
	struct pglist_data *pgdat;
	pthread_t t;
	double deadline;
	uint32_t id;
	bool on_lru = true;

	fixture_setup(&f, 16, 32, 1);
	id = lru_region(&f, 4);
	mm_lock(f.e);
	iso.f = &f;
	iso.page = region_page(&f, id, 1);
	ck_assert(PageLRU(iso.page));
	pgdat = page_pgdat(iso.page);
	mm_unlock(f.e);

	lru_lock(pgdat);
	ck_assert_int_eq(pthread_create(&t, NULL, isolate_thread, &iso), 0);
	deadline = now_s() + 10;
	while (!atomic_load(&iso.started) && now_s() < deadline)
		sched_yield();
	ck_assert_msg(atomic_load(&iso.started), "the isolator never took mm_lock");
	/* A tenth of a second in which it would have finished, had the lock not held it. */
	deadline = now_s() + 0.1;
	while (now_s() < deadline && !atomic_load(&iso.done))
		on_lru = on_lru && PageLRU(iso.page);
	ck_assert_msg(!atomic_load(&iso.done), "a page was isolated under another's lru_lock");
	ck_assert(on_lru && PageLRU(iso.page));
	lru_unlock(pgdat);
	pthread_join(t, NULL);
	ck_assert(atomic_load(&iso.done));
	ck_assert_int_eq(iso.ret, 0);
	fixture_teardown(&f);
}
END_TEST

/* ---- lock order ------------------------------------------------------------------------ */

/* mm_lock, a region's ptl, then lru_lock: the order a fault that puts its page on a list
 * takes them in. Each is counted as a model lock while held. */
START_TEST(test_mm_lock_ptl_then_lru_lock)
{
	struct fixture f;
	struct region *region;
	struct page *page;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = lru_region(&f, 2);
	mm_lock(f.e);
	region = region_lookup(f.e, id);
	page = region_page(&f, id, 0);
	pte_lock(region);
	lru_lock(page_pgdat(page));
	ck_assert_ptr_eq(lru_lock_pgdat, page_pgdat(page));
	ck_assert_int_eq(model_locks_held, 3);
	/* What the lock guards may change under it: the page off its list and back. */
	del_page_from_lru_list(page, mem_cgroup_page_lruvec(page), page_lru(page));
	add_page_to_lru_list(page, mem_cgroup_page_lruvec(page), page_lru(page));
	lru_unlock(page_pgdat(page));
	ck_assert_ptr_null(lru_lock_pgdat);
	pte_unlock(region);
	mm_unlock(f.e);
	ck_assert_int_eq(model_locks_held, 0);
	fixture_teardown(&f);
}
END_TEST

/* lru_lock, then the allocator's locks: a page freed from under it (its per-thread list, then
 * the zone's free lists) is what putback does with a page whose last reference it dropped. */
START_TEST(test_lru_lock_then_pcp_and_zone)
{
	struct fixture f;
	struct pglist_data *pgdat;
	struct page *pages[64];
	unsigned long before;
	int i;

	fixture_setup(&f, 16, 32, 1);
	pgdat = NODE_DATA(f.e, 0);
	mm_lock(f.e);
	for (i = 0; i < 64; i++) {
		pages[i] = alloc_pages_node(f.e, 0, GFP_NOWAIT, 0);
		ck_assert_ptr_nonnull(pages[i]);
	}
	before = global_zone_page_state(f.e, NR_FREE_PAGES);
	lru_lock(pgdat);
	for (i = 0; i < 64; i++)	/* enough to spill the per-thread lists to the buddy */
		put_page(pages[i]);
	lru_unlock(pgdat);
	mm_unlock(f.e);
	drain_all_pages(f.e, NULL);
	ck_assert_uint_ge(global_zone_page_state(f.e, NR_FREE_PAGES), before + 64);
	fixture_teardown(&f);
}
END_TEST

#ifdef RCL_DEBUG
static struct page *lru_page(struct fixture *f)
{
	uint32_t id;

	fixture_setup(f, 16, 32, 2);
	id = lru_region(f, 1);
	mm_lock(f->e);
	return region_page(f, id, 0);
}

/* --enable-debug: lru_lock, then mm_lock, is the inversion; caught when it happens. */
START_TEST(test_lru_lock_then_mm_lock_aborts)
{
	struct fixture f;
	struct page *page = lru_page(&f);

	mm_unlock(f.e);
	lru_lock(page_pgdat(page));
	mm_lock(f.e);		/* aborts */
}
END_TEST

/* Nor a trylock: nothing under lru_lock takes mm_lock. */
START_TEST(test_lru_lock_then_mm_trylock_aborts)
{
	struct fixture f;
	struct page *page = lru_page(&f);

	mm_unlock(f.e);
	lru_lock(page_pgdat(page));
	(void)mm_trylock(f.e);	/* aborts */
}
END_TEST

/* A ptl ranks above lru_lock: nothing under lru_lock walks page tables (page_referenced). */
START_TEST(test_ptl_under_lru_lock_aborts)
{
	struct fixture f;
	struct page *page;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = lru_region(&f, 1);
	mm_lock(f.e);
	page = region_page(&f, id, 0);
	lru_lock(page_pgdat(page));
	pte_lock(region_lookup(f.e, id));	/* aborts */
}
END_TEST

/* Nothing that may block runs under lru_lock (I/O, a page lock, shrink_page_list). */
START_TEST(test_sleep_under_lru_lock_aborts)
{
	struct fixture f;
	struct page *page = lru_page(&f);

	lru_lock(page_pgdat(page));
	might_sleep();		/* aborts */
}
END_TEST

/* One node's at a time. */
START_TEST(test_two_nodes_lru_locks_abort)
{
	struct fixture f;

	(void)lru_page(&f);
	lru_lock(NODE_DATA(f.e, 0));
	lru_lock(NODE_DATA(f.e, 1));	/* aborts */
}
END_TEST

/* A list changed without its node's lru_lock (under mm_lock alone, as before the split). */
START_TEST(test_lru_change_without_lru_lock_aborts)
{
	struct fixture f;
	struct page *page = lru_page(&f);

	del_page_from_lru_list(page, mem_cgroup_page_lruvec(page), page_lru(page));	/* aborts */
}
END_TEST

/* Another node's lock does not do. */
START_TEST(test_lru_change_under_other_node_aborts)
{
	struct fixture f;
	struct page *page = lru_page(&f);
	struct pglist_data *other = NODE_DATA(f.e, page_pgdat(page)->node_id ? 0 : 1);

	lru_lock(other);
	del_page_from_lru_list(page, mem_cgroup_page_lruvec(page), page_lru(page));	/* aborts */
}
END_TEST
#endif

static Suite *make_suite(void)
{
	Suite *s = suite_create("lru_lock");
	TCase *tc = tcase_create("lru_lock");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lru_lock_excludes_isolation);
	tcase_add_test(tc, test_mm_lock_ptl_then_lru_lock);
	tcase_add_test(tc, test_lru_lock_then_pcp_and_zone);
#ifdef RCL_DEBUG
	tcase_add_test_raise_signal(tc, test_lru_lock_then_mm_lock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_lru_lock_then_mm_trylock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_ptl_under_lru_lock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_sleep_under_lru_lock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_two_nodes_lru_locks_abort, SIGABRT);
	tcase_add_test_raise_signal(tc, test_lru_change_without_lru_lock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_lru_change_under_other_node_aborts, SIGABRT);
#endif
	suite_add_tcase(s, tc);
	return s;
}
