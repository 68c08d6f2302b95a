/*
 * check_swap_cache - the swap cache under its slots' cluster locks (swap_state.c), as the
 * kernel's swap table is.
 *
 * A page enters and leaves the swap cache under its slot's cluster lock, and lookup_swap_cache
 * takes its reference under it, so reclaim's __remove_mapping counts a swap cache page's
 * references under that lock as it counts a page cache page's under i_pages: a reference a
 * lookup takes, with or without mm_lock, keeps the page in the cache. The cluster lock ranks
 * above lru_lock (workingset_eviction under it); --enable-debug builds abort on the inversion
 * and on a swap cache change without the lock.
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

/*
 * A one-page region whose page was swapped out and read back: mapped, clean, and still in the
 * swap cache at the slot it was written to. Returns the page; *ret_entry its slot.
 */
static struct page *swapped_in_page(struct fixture *f, uint32_t *ret_id, swp_entry_t *ret_entry)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 1 };
	struct region *region;
	struct page *page;
	char buf[PAGE];
	pte_t pte;

	fixture_setup(f, 16, 16, 1);
	ck_assert_int_eq(rcl_region_create(f->e, &spec, ret_id), 0);
	fixture_fill(f, *ret_id, 0, 1, 7);
	ck_assert_int_eq(rcl_region_madvise(f->e, *ret_id, 0, 1, RCL_MADV_PAGEOUT), 0);
	ck_assert_int_eq(rcl_region_read(f->e, *ret_id, 0, buf, PAGE), 0);
	ck_assert(check_pattern(buf, PAGE, 7, 0));
	mm_lock(f->e);
	region = region_lookup(f->e, *ret_id);
	pte = pte_get(region, 0);
	ck_assert_msg(pte_present(pte), "the page read back is not mapped");
	page = pfn_to_page(f->e, pte_pfn(pte));
	ck_assert_msg(PageSwapCache(page), "the page read back left the swap cache");
	*ret_entry = swp_entry(page->private);
	mm_unlock(f->e);
	return page;
}

/* ---- what the lock excludes ------------------------------------------------------------ */

static struct {
	struct rcl_engine *e;
	swp_entry_t entry;
	atomic_bool at_remove, locked, pageout_done, held_through;
	struct page *found;			/* what the lookup under the lock found */
} race;

/* In __remove_mapping, mm_lock held: let the lookup take the cluster lock first. */
static void at_remove(struct rcl_engine *engine)
{
	double deadline = now_s() + 10;

	(void)engine;
	atomic_store(&race.at_remove, true);
	while (!atomic_load(&race.locked) && now_s() < deadline)
		sched_yield();
}

static void *pageout_thread(void *arg)
{
	uint32_t id = *(uint32_t *)arg;

	ck_assert_int_eq(rcl_region_madvise(race.e, id, 0, 1, RCL_MADV_PAGEOUT), 0);
	atomic_store(&race.pageout_done, true);
	return NULL;
}

/*
 * Without mm_lock, as a lockless lookup runs: take the slot's cluster lock while reclaim is
 * about to count the page's references, hold it a quarter of a second in which reclaim would
 * finish had the lock not held it, and take a reference to the cached page as
 * lookup_swap_cache does under it.
 */
static void *lookup_thread(void *arg)
{
	struct swap_cluster_info *ci;
	double deadline = now_s() + 10;
	uint32_t v;

	(void)arg;
	while (!atomic_load(&race.at_remove) && now_s() < deadline)
		sched_yield();
	ck_assert_msg(atomic_load(&race.at_remove), "reclaim never reached __remove_mapping");
	ci = swap_cluster_lock(race.e, race.entry);
	ck_assert_ptr_nonnull(ci);
	atomic_store(&race.locked, true);
	deadline = now_s() + 0.25;
	while (now_s() < deadline && !atomic_load(&race.pageout_done))
		;
	atomic_store(&race.held_through, !atomic_load(&race.pageout_done));
	v = race.e->swap->swap_cache[swp_offset(race.entry)];
	if (v) {
		race.found = pfn_to_page(race.e, v - 1);
		get_page(race.found);
	}
	swap_cluster_unlock(ci);
	return NULL;
}

/*
 * Reclaim of a clean swap cache page (MADV_PAGEOUT) meets a lookup that holds the slot's
 * cluster lock: it waits for the lock to count the page's references, finds the lookup's,
 * and leaves the page in the cache. The page is then found again without mm_lock, and reads
 * back whole.
 */
START_TEST(test_remove_mapping_counts_under_cluster_lock)
{
	struct fixture f;
	struct page *page, *again;
	pthread_t pager, looker;
	char buf[PAGE];
	uint32_t id;

	page = swapped_in_page(&f, &id, &race.entry);
	race.e = f.e;
	atomic_store(&f.e->swap_remove_hook, at_remove);
	ck_assert_int_eq(pthread_create(&looker, NULL, lookup_thread, NULL), 0);
	ck_assert_int_eq(pthread_create(&pager, NULL, pageout_thread, &id), 0);
	pthread_join(looker, NULL);
	pthread_join(pager, NULL);
	atomic_store(&f.e->swap_remove_hook, NULL);

	ck_assert_msg(atomic_load(&race.held_through),
		      "reclaim finished while a lookup held the slot's cluster lock");
	ck_assert_msg(race.found == page, "the lookup under the lock found %p, not the page %p",
		      (void *)race.found, (void *)page);
	mm_lock(f.e);
	ck_assert_msg(PageSwapCache(page) && page->private == race.entry.val,
		      "reclaim removed a page the lookup held from the swap cache");
	ck_assert_msg(is_swap_pte(pte_get(region_lookup(f.e, id), 0)),
		      "the page was not unmapped before its references were counted");
	mm_unlock(f.e);

	/* No mm_lock here: the lookup's reference keeps the page whatever reclaim does. */
	again = lookup_swap_cache(f.e, race.entry);
	ck_assert_ptr_eq(again, page);
	put_page(again);
	put_page(race.found);
	ck_assert_int_eq(rcl_region_read(f.e, id, 0, buf, PAGE), 0);
	ck_assert(check_pattern(buf, PAGE, 7, 0));
	fixture_teardown(&f);
}
END_TEST

/* ---- lock order ------------------------------------------------------------------------ */

/* A slot's cluster lock, then lru_lock: the order of __remove_mapping's workingset_eviction. */
START_TEST(test_cluster_lock_then_lru_lock)
{
	struct fixture f;
	struct swap_cluster_info *ci;
	struct page *page;
	swp_entry_t entry;
	uint32_t id;

	rcl_skip_one_thread();
	page = swapped_in_page(&f, &id, &entry);
	ci = swap_cluster_lock(f.e, entry);
	lru_lock(page_pgdat(page));
	ck_assert_int_eq(model_locks_held, 2);
	ck_assert_uint_eq(f.e->swap->swap_cache[swp_offset(entry)], page_to_pfn(page) + 1);
	lru_unlock(page_pgdat(page));
	swap_cluster_unlock(ci);
	ck_assert_int_eq(model_locks_held, 0);
	fixture_teardown(&f);
}
END_TEST

#ifdef RCL_DEBUG
/* lru_lock, then a cluster lock, is the inversion. */
START_TEST(test_cluster_lock_under_lru_lock_aborts)
{
	struct fixture f;
	struct page *page;
	swp_entry_t entry;
	uint32_t id;

	page = swapped_in_page(&f, &id, &entry);
	lru_lock(page_pgdat(page));
	swap_cluster_lock(f.e, entry);
}
END_TEST

/* A page leaves the swap cache only under its slot's cluster lock. */
START_TEST(test_swap_cache_change_without_cluster_lock_aborts)
{
	struct fixture f;
	struct page *page;
	swp_entry_t entry;
	uint32_t id;

	page = swapped_in_page(&f, &id, &entry);
	mm_lock(f.e);
	lock_page(page);
	__delete_from_swap_cache(page, 0);
}
END_TEST

/* ... the slot's own: another cluster's lock does not do. */
START_TEST(test_swap_cache_change_under_another_cluster_lock_aborts)
{
	struct fixture f;
	struct page *page;
	swp_entry_t entry;
	uint32_t id;

	page = swapped_in_page(&f, &id, &entry);
	mm_lock(f.e);
	lock_page(page);
	ck_assert_ptr_nonnull(swap_cluster_lock(f.e, swp_entry(swp_offset(entry) +
								SWAPFILE_CLUSTER)));
	__delete_from_swap_cache(page, 0);
}
END_TEST
#endif

static Suite *make_suite(void)
{
	Suite *s = suite_create("swap_cache");
	TCase *tc = tcase_create("lock");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_remove_mapping_counts_under_cluster_lock);
	tcase_add_test(tc, test_cluster_lock_then_lru_lock);
#ifdef RCL_DEBUG
	tcase_add_test_raise_signal(tc, test_cluster_lock_under_lru_lock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_swap_cache_change_without_cluster_lock_aborts,
				    SIGABRT);
	tcase_add_test_raise_signal(tc, test_swap_cache_change_under_another_cluster_lock_aborts,
				    SIGABRT);
#endif
	suite_add_tcase(s, tc);
	return s;
}
