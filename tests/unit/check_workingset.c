/*
 * check_workingset - spec 14: the shadow entry's round trip through workingset_eviction and
 * workingset_refault_distance, the refault distance against the active file list, the
 * workingset_refault/activate/restore counters and the workingset_refault_detection tunable.
 */
#include <errno.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"
#include "memcontrol.h"
#include "vmscan.h"

static void lock(struct rcl_engine *e) { mm_lock(e); }
static void unlock(struct rcl_engine *e) { mm_unlock(e); }

static struct address_space *file_mapping(struct rcl_engine *e, const char *path)
{
	struct address_space *m;

	for (m = e->files; m; m = m->next)
		if (!strcmp(m->path, path))
			return m;
	return NULL;
}

/* Read page @idx of @path through the page cache (a buffered read); the file is made at
 * least 4 pages long first (a shared file region sizes it). */
static void read_page(struct rcl_engine *e, const char *path, uint64_t idx)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = 4, .path = path,
					.flags = RCL_REGION_SHARED };
	char buf[64];
	size_t got = 0;
	uint32_t rid;

	ck_assert_int_eq(rcl_region_create(e, &spec, &rid), 0);
	ck_assert_int_eq(rcl_region_free(e, rid), 0);
	ck_assert_int_eq(rcl_file_read(e, path, idx * 4096, buf, sizeof(buf), &got), 0);
	ck_assert_uint_eq(got, sizeof(buf));
}

/* The cached page at @idx (no reference kept: mm_lock held by the caller). */
static struct page *cached_page(struct address_space *m, unsigned long idx)
{
	struct page *page = find_get_page(m, idx);

	ck_assert_ptr_nonnull(page);
	put_page(page);
	return page;
}

/* Evict the clean, unmapped cached page at @idx the way reclaim does: isolate it, run
 * shrink_page_list on it; it must be freed and leave a shadow. Returns the shadow. */
static uint64_t evict(struct rcl_engine *e, struct address_space *m, unsigned long idx)
{
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX, .gfp_mask = GFP_HIGHUSER_MOVABLE,
		.reclaim_idx = ZONE_NORMAL, .priority = DEF_PRIORITY, .may_writepage = 1,
		.may_unmap = 1, .may_swap = 1,
	};
	struct reclaim_stat stat;
	struct page_list list;
	struct page *page;

	lru_add_drain(e);
	page = cached_page(m, idx);
	ClearPageReferenced(page);
	page_list_init(&list, e->mem_map);
	ck_assert_int_eq(isolate_lru_page(page), 0);
	ClearPageActive(page);
	page_list_add(&list, page);
	ck_assert_uint_eq(shrink_page_list(&list, page_pgdat(page), &sc, 0, &stat, false), 1);
	ck_assert(page_list_empty(&list));
	ck_assert(slot_is_shadow(page_cache_slot(m, idx)));
	return slot_shadow(page_cache_slot(m, idx));
}

/* Make the lruvec's active file list exactly @n pages long (counter only) and return the
 * delta to undo it with. */
/*
 * @n active file pages of another file, made as a reader makes them: each page read twice
 * (mark_page_accessed activates on the second access). Real pages, so that the engine's
 * invariants (checked after every call in --enable-debug builds) hold throughout.
 */
static void make_active_file(struct rcl_engine *e, struct lruvec *lruvec, unsigned long n)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = n ? n : 1,
					.path = "act", .flags = RCL_REGION_SHARED };
	char buf[64];
	size_t got;
	uint32_t rid;
	unsigned long i;
	int pass;

	ck_assert_int_eq(rcl_region_create(e, &spec, &rid), 0);
	ck_assert_int_eq(rcl_region_free(e, rid), 0);
	for (i = 0; i < n; i++)
		for (pass = 0; pass < 2; pass++)
			ck_assert_int_eq(rcl_file_read(e, "act", i * 4096, buf, sizeof(buf), &got),
					 0);
	lock(e);
	lru_add_drain(e);
	ck_assert_uint_eq(lruvec_lru_size(lruvec, LRU_ACTIVE_FILE, MAX_NR_ZONES), n);
	unlock(e);
}

START_TEST(test_shadow_round_trip)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = 4, .path = "rt" };
	uint32_t g, rid;
	struct mem_cgroup *memcg;
	struct lruvec *lruvec, *got;
	struct region *region;
	struct page *page;
	uint64_t shadow, distance;
	bool ws = false;

	fixture_setup(&f, 16, 0, 1);
	fixture_file(&f, "rt", 4 * 4096);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "g", &g), 0);
	spec.memcg_id = g;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &rid), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, rid, 0, 1, false), 0);
	lock(f.e);
	memcg = mem_cgroup_from_id(f.e, g);
	region = region_lookup(f.e, rid);
	page = pfn_to_page(f.e, pte_pfn(pte_get(region, 0)));
	ck_assert_uint_eq(page->mem_cgroup, g);
	lruvec = mem_cgroup_lruvec(NODE_DATA(f.e, 0), memcg);

	/* Eviction stamps ++inactive_age: 1000 -> 1001; refault at once: distance 0. */
	lruvec->inactive_age = 1000;
	SetPageWorkingset(page);
	shadow = workingset_eviction(region->file, page);
	ck_assert_int_eq(lruvec->inactive_age, 1001);
	distance = workingset_refault_distance(f.e, shadow, &got, &ws);
	ck_assert_ptr_eq(got, lruvec);
	ck_assert(ws);
	ck_assert_uint_eq(distance, 0);
	/* 37 evictions/activations later: distance 1001 + 37 - 1001 = 37. */
	lruvec->inactive_age += 37;
	distance = workingset_refault_distance(f.e, shadow, &got, &ws);
	ck_assert_uint_eq(distance, 37);

	/* Without PG_workingset the bit comes back clear; the stamp is 1038 + 1 = 1039. */
	ClearPageWorkingset(page);
	shadow = workingset_eviction(region->file, page);
	lruvec->inactive_age += 5;
	distance = workingset_refault_distance(f.e, shadow, &got, &ws);
	ck_assert(!ws);
	ck_assert_ptr_eq(got, lruvec);
	ck_assert_uint_eq(distance, 5);

	/* A root-charged page packs the root's id. */
	page->mem_cgroup = 0;
	shadow = workingset_eviction(region->file, page);
	distance = workingset_refault_distance(f.e, shadow, &got, &ws);
	ck_assert_ptr_eq(got, mem_cgroup_lruvec(NODE_DATA(f.e, 0), f.e->root_mem_cgroup));
	ck_assert_uint_eq(distance, 0);
	page->mem_cgroup = (uint16_t)g;
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_shadow_of_deleted_memcg)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = 1, .path = "dm" };
	uint32_t g, rid;
	struct lruvec *got = (struct lruvec *)1;
	struct page *page;
	uint64_t shadow;
	bool ws;

	fixture_setup(&f, 16, 0, 1);
	fixture_file(&f, "dm", 4096);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "g", &g), 0);
	spec.memcg_id = g;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &rid), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, rid, 0, 1, false), 0);
	lock(f.e);
	page = pfn_to_page(f.e, pte_pfn(pte_get(region_lookup(f.e, rid), 0)));
	shadow = workingset_eviction(region_lookup(f.e, rid)->file, page);
	unlock(f.e);
	ck_assert_int_eq(rcl_region_free(f.e, rid), 0);
	ck_assert_int_eq(rcl_memcg_delete(f.e, g), 0);
	/* The group is gone: the refault has nothing to compare with. */
	lock(f.e);
	workingset_refault_distance(f.e, shadow, &got, &ws);
	unlock(f.e);
	ck_assert_ptr_null(got);
	fixture_teardown(&f);
}
END_TEST

struct refault_case {
	unsigned long advance;		/* evictions/activations after the eviction */
	unsigned long active_file;	/* active file pages at the refault */
	bool workingset;		/* PG_workingset at eviction */
	int detection;			/* workingset_refault_detection */
	bool activated;
};

/*
 * Evict page 0 of a file, advance the lruvec clock, size the active file list, read the page
 * back: it starts active iff distance <= active file pages (and detection is on).
 */
static void run_refault(const struct refault_case *c)
{
	struct fixture f;
	struct address_space *m;
	struct lruvec *lruvec;
	struct mem_cgroup *root;
	struct page *page;
	long refault0, activate0, restore0, node_activate0, age;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_tunable_set(f.e, RCL_TUNABLE_WORKINGSET, (uint64_t)c->detection), 0);
	root = f.e->root_mem_cgroup;
	lruvec = mem_cgroup_lruvec(NODE_DATA(f.e, 0), root);
	make_active_file(f.e, lruvec, c->active_file);
	read_page(f.e, "wf", 0);
	lock(f.e);
	m = file_mapping(f.e, "wf");
	ck_assert_ptr_nonnull(m);
	lru_add_drain(f.e);
	page = cached_page(m, 0);
	if (c->workingset)
		SetPageWorkingset(page);
	else
		ClearPageWorkingset(page);
	evict(f.e, m, 0);
	ck_assert_uint_eq(m->nrexceptional, 1);
	lruvec->inactive_age += (long)c->advance;	/* distance = advance */
	age = lruvec->inactive_age;
	refault0 = root->node_stat[WORKINGSET_REFAULT];
	activate0 = root->node_stat[WORKINGSET_ACTIVATE];
	restore0 = root->node_stat[WORKINGSET_RESTORE];
	node_activate0 = (long)node_page_state(NODE_DATA(f.e, 0), WORKINGSET_ACTIVATE);
	unlock(f.e);

	read_page(f.e, "wf", 0);	/* the refault */

	lock(f.e);
	lru_add_drain(f.e);
	page = cached_page(m, 0);
	ck_assert_uint_eq(m->nrexceptional, 0);
	ck_assert_int_eq(root->node_stat[WORKINGSET_REFAULT], refault0 + 1);
	ck_assert_int_eq(PageActive(page), c->activated);
	ck_assert_int_eq(root->node_stat[WORKINGSET_ACTIVATE], activate0 + c->activated);
	ck_assert_int_eq((long)node_page_state(NODE_DATA(f.e, 0), WORKINGSET_ACTIVATE),
			 node_activate0 + c->activated);
	/* An activation on refault ticks the clock once. */
	ck_assert_int_eq(lruvec->inactive_age, age + c->activated);
	ck_assert_int_eq(root->node_stat[WORKINGSET_RESTORE],
			 restore0 + (c->activated && c->workingset));
	if (c->activated && c->workingset)
		ck_assert(PageWorkingset(page));
	unlock(f.e);
	fixture_teardown(&f);
}

START_TEST(test_refault_distance_equal_active_activates)
{
	/* distance 10 <= 10 active file pages: activate, count workingset_activate. */
	struct refault_case c = { .advance = 10, .active_file = 10, .detection = 1,
				  .activated = true };

	run_refault(&c);
}
END_TEST

START_TEST(test_refault_distance_larger_stays_inactive)
{
	/* distance 10 > 9 active file pages: inactive, only workingset_refault counts. */
	struct refault_case c = { .advance = 10, .active_file = 9, .detection = 1,
				  .activated = false };

	run_refault(&c);
}
END_TEST

START_TEST(test_refault_restore)
{
	/* distance 0 <= 0 and the shadow carried PG_workingset: activate and restore. */
	struct refault_case c = { .advance = 0, .active_file = 0, .workingset = true,
				  .detection = 1, .activated = true };

	run_refault(&c);
}
END_TEST

START_TEST(test_refault_restore_needs_activation)
{
	/* The workingset bit alone restores nothing when the distance is too large (5 > 4). */
	struct refault_case c = { .advance = 5, .active_file = 4, .workingset = true,
				  .detection = 1, .activated = false };

	run_refault(&c);
}
END_TEST

START_TEST(test_refault_detection_off)
{
	/* workingset_refault_detection = 0: distance 0 <= 100 but never activated; the refault
	 * itself is still counted. */
	struct refault_case c = { .advance = 0, .active_file = 100, .workingset = true,
				  .detection = 0, .activated = false };

	run_refault(&c);
}
END_TEST

START_TEST(test_activation_ticks_clock)
{
	struct fixture f;
	struct lruvec *lruvec;
	long age;

	fixture_setup(&f, 16, 0, 1);
	read_page(f.e, "ac", 0);	/* PG_referenced */
	lock(f.e);
	lru_add_drain(f.e);
	lruvec = mem_cgroup_lruvec(NODE_DATA(f.e, 0), f.e->root_mem_cgroup);
	age = lruvec->inactive_age;
	unlock(f.e);
	read_page(f.e, "ac", 0);	/* second access: activated, workingset_activation */
	lock(f.e);
	ck_assert_int_eq(lruvec->inactive_age, age + 1);
	ck_assert(PageActive(cached_page(file_mapping(f.e, "ac"), 0)));
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("workingset");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_shadow_round_trip);
	tcase_add_test(tc, test_shadow_of_deleted_memcg);
	tcase_add_test(tc, test_refault_distance_equal_active_activates);
	tcase_add_test(tc, test_refault_distance_larger_stays_inactive);
	tcase_add_test(tc, test_refault_restore);
	tcase_add_test(tc, test_refault_restore_needs_activation);
	tcase_add_test(tc, test_refault_detection_off);
	tcase_add_test(tc, test_activation_ticks_clock);
	suite_add_tcase(s, tc);
	return s;
}
