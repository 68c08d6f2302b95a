/*
 * check_vmscan - the decision tables and formulas of the reclaim path, with expectations
 * computed by hand from kernel-reclaim-spec.md: get_scan_count's balance modes and counts
 * (spec 7), scan_adjust (spec 8), the inactive ratio and the refault rule (spec 9),
 * page_check_references (spec 12.1), the exits of shrink_page_list (spec 13) and the exits of
 * do_try_to_free_pages' priority loop (spec 5.4).
 */
#include <errno.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"
#include "memcontrol.h"
#include "vmscan.h"

#define ZN ZONE_NORMAL	/* the only populated zone of these engines */

static void lock(struct rcl_engine *e) { mm_lock(e); }
static void unlock(struct rcl_engine *e) { mm_unlock(e); }

static struct scan_control direct_sc(void)
{
	/* As try_to_free_pages builds it (spec 5.1, direct column). */
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX, .gfp_mask = GFP_HIGHUSER_MOVABLE,
		.reclaim_idx = ZN, .priority = DEF_PRIORITY, .may_writepage = 1,
		.may_unmap = 1, .may_swap = 1,
	};
	return sc;
}

static struct lruvec *root_lruvec(struct rcl_engine *e)
{
	return mem_cgroup_lruvec(NODE_DATA(e, 0), e->root_mem_cgroup);
}

/* One list's size changed by @nr, under the node's lru_lock as every size change is. */
static void fake_lru_size(struct lruvec *lruvec, enum lru_list lru, int zid, long nr)
{
	lru_lock(lruvec->pgdat);
	update_lru_size(lruvec, lru, zid, nr);
	lru_unlock(lruvec->pgdat);
}

/* Fake LRU sizes: counters only (lruvec, node, zone and memcg stay consistent), undone by
 * calling it again with the negated sizes. */
static void add_sizes(struct lruvec *lruvec, long ia, long aa, long inf, long af)
{
	fake_lru_size(lruvec, LRU_INACTIVE_ANON, ZN, ia);
	fake_lru_size(lruvec, LRU_ACTIVE_ANON, ZN, aa);
	fake_lru_size(lruvec, LRU_INACTIVE_FILE, ZN, inf);
	fake_lru_size(lruvec, LRU_ACTIVE_FILE, ZN, af);
}

/* ---- get_scan_count (spec 7) ----------------------------------------------------------- */

START_TEST(test_scan_file_without_swap)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	unsigned long nr[NR_LRU_LISTS] = { 0 }, lru_pages;
	struct lruvec *lruvec;

	fixture_setup(&f, 16, 0, 1);	/* no swap: row 1 */
	lock(f.e);
	lruvec = root_lruvec(f.e);
	add_sizes(lruvec, 40960, 81920, 40960, 81920);
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FILE);
	get_scan_count(lruvec, NULL, &sc, nr, &lru_pages);
	/* Anon lists: size and scan set to 0. File: 40960 >> 12 = 10, 81920 >> 12 = 20. */
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 0);
	ck_assert_uint_eq(nr[LRU_ACTIVE_ANON], 0);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE], 10);
	ck_assert_uint_eq(nr[LRU_ACTIVE_FILE], 20);
	ck_assert_uint_eq(lru_pages, 40960 + 81920);
	/* Even at priority 0 (no SCAN_EQUAL without swap). */
	sc.priority = 0;
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FILE);
	add_sizes(lruvec, -40960, -81920, -40960, -81920);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_scan_file_may_swap_off)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	struct lruvec *lruvec;

	fixture_setup(&f, 16, 16, 1);
	lock(f.e);
	lruvec = root_lruvec(f.e);
	add_sizes(lruvec, 40960, 81920, 40960, 81920);
	/* With swap and the file list low, this would be SCAN_FRACT ... */
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FRACT);
	/* ... but !may_swap is row 1, and beats priority 0's SCAN_EQUAL. */
	sc.may_swap = 0;
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FILE);
	sc.priority = 0;
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FILE);
	add_sizes(lruvec, -40960, -81920, -40960, -81920);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_scan_file_limit_reclaim_swappiness_0)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	unsigned long nr[NR_LRU_LISTS] = { 0 }, lru_pages;
	struct mem_cgroup *memcg;
	struct lruvec *lruvec;
	uint32_t g;

	fixture_setup(&f, 16, 16, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "g", &g), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, g, RCL_MEMCG_SWAPPINESS, 0), 0);
	lock(f.e);
	memcg = mem_cgroup_from_id(f.e, g);
	lruvec = mem_cgroup_lruvec(NODE_DATA(f.e, 0), memcg);
	add_sizes(lruvec, 40960, 81920, 40960, 81920);
	sc.target_mem_cgroup = memcg;
	/* Row 2 precedes row 3: even at priority 0 only file is scanned. */
	sc.priority = 0;
	ck_assert_int_eq(get_scan_balance(lruvec, memcg, &sc), SCAN_FILE);
	get_scan_count(lruvec, memcg, &sc, nr, &lru_pages);
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON], 0);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE], 40960);	/* >> 0 */
	ck_assert_uint_eq(nr[LRU_ACTIVE_FILE], 81920);
	/* Global reclaim of the same lruvec with the same swappiness 0: row 2 does not apply
	 * (and swappiness 0 also rules out row 3): SCAN_FRACT with anon_prio 0. */
	sc.target_mem_cgroup = NULL;
	ck_assert_int_eq(get_scan_balance(lruvec, memcg, &sc), SCAN_FRACT);
	add_sizes(lruvec, -40960, -81920, -40960, -81920);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_scan_file_swap_max_0)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	struct mem_cgroup *memcg;
	struct lruvec *lruvec;
	uint32_t g;

	fixture_setup(&f, 16, 16, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "g", &g), 0);
	lock(f.e);
	memcg = mem_cgroup_from_id(f.e, g);
	lruvec = mem_cgroup_lruvec(NODE_DATA(f.e, 0), memcg);
	add_sizes(lruvec, 40960, 81920, 40960, 81920);
	sc.priority = 0;
	ck_assert_int_eq(get_scan_balance(lruvec, memcg, &sc), SCAN_EQUAL);
	unlock(f.e);
	/* Row 1: the memcg's swap headroom (swap.max 0 - 0 used) is <= 0: SCAN_FILE. */
	ck_assert_int_eq(rcl_memcg_set(f.e, g, RCL_MEMCG_SWAP_MAX, 0), 0);
	lock(f.e);
	ck_assert_int_eq(get_scan_balance(lruvec, memcg, &sc), SCAN_FILE);
	add_sizes(lruvec, -40960, -81920, -40960, -81920);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_scan_equal_priority_0)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	unsigned long nr[NR_LRU_LISTS] = { 0 }, lru_pages;
	struct lruvec *lruvec;

	fixture_setup(&f, 16, 16, 1);
	lock(f.e);
	lruvec = root_lruvec(f.e);
	add_sizes(lruvec, 100, 200, 300, 400);
	sc.priority = 0;
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_EQUAL);
	get_scan_count(lruvec, NULL, &sc, nr, &lru_pages);
	/* size >> 0, unweighted. */
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 100);
	ck_assert_uint_eq(nr[LRU_ACTIVE_ANON], 200);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE], 300);
	ck_assert_uint_eq(nr[LRU_ACTIVE_FILE], 400);
	ck_assert_uint_eq(lru_pages, 1000);
	/* Root swappiness 0 (global vm.swappiness): row 3 needs swappiness != 0. */
	f.e->swappiness = 0;
	ck_assert_int_ne(get_scan_balance(lruvec, NULL, &sc), SCAN_EQUAL);
	f.e->swappiness = 60;
	add_sizes(lruvec, -100, -200, -300, -400);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_scan_anon_file_below_high_wmark)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	unsigned long nr[NR_LRU_LISTS] = { 0 }, lru_pages, free, saved;
	struct lruvec *lruvec;
	struct zone *zone;

	fixture_setup(&f, 16, 16, 1);
	lock(f.e);
	lruvec = root_lruvec(f.e);
	zone = &NODE_DATA(f.e, 0)->node_zones[ZN];
	/* Anon 4096/4096: 4096 * 1 < 4096 is false, not low; 4096 >> 12 = 1 > 0. File 100/100
	 * (not low either, but 100 >> 12 = 0 rules out row 5). */
	add_sizes(lruvec, 4096, 4096, 100, 100);
	free = zone_page_state(zone, NR_FREE_PAGES);
	saved = zone->_watermark[WMARK_HIGH];
	/* file + free = 200 + free <= high: raise the high watermark to exactly that. */
	zone->_watermark[WMARK_HIGH] = free + 200;
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_ANON);
	get_scan_count(lruvec, NULL, &sc, nr, &lru_pages);
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 1);	/* 4096 >> 12 */
	ck_assert_uint_eq(nr[LRU_ACTIVE_ANON], 1);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE], 0);
	ck_assert_uint_eq(lru_pages, 8192);
	/* One page above the watermark: row 4 fails; file 100 >> 12 = 0 fails row 5: FRACT. */
	zone->_watermark[WMARK_HIGH] = free + 199;
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FRACT);
	/* Row 4 also needs the inactive anon list not low: 4096 * 1 < 4097 is low. */
	zone->_watermark[WMARK_HIGH] = free + 200;
	fake_lru_size(lruvec, LRU_ACTIVE_ANON, ZN, 1);
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FRACT);
	fake_lru_size(lruvec, LRU_ACTIVE_ANON, ZN, -1);
	/* ... and inactive anon >> priority > 0: 4095 >> 12 = 0 fails it. */
	fake_lru_size(lruvec, LRU_INACTIVE_ANON, ZN, -1);
	fake_lru_size(lruvec, LRU_ACTIVE_ANON, ZN, -1);	/* 4095/4095: not low */
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FRACT);
	fake_lru_size(lruvec, LRU_INACTIVE_ANON, ZN, 1);
	fake_lru_size(lruvec, LRU_ACTIVE_ANON, ZN, 1);
	/* Limit reclaim never takes row 4. */
	sc.target_mem_cgroup = f.e->root_mem_cgroup;
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FRACT);
	zone->_watermark[WMARK_HIGH] = saved;
	add_sizes(lruvec, -4096, -4096, -100, -100);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_scan_file_inactive_not_low)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	unsigned long nr[NR_LRU_LISTS] = { 0 }, lru_pages;
	struct lruvec *lruvec;

	fixture_setup(&f, 16, 16, 1);
	lock(f.e);
	lruvec = root_lruvec(f.e);
	/* File 81920/40960 (480 MiB, ratio 1): 81920 < 40960 is false, not low, and
	 * 81920 >> 12 = 20 > 0: row 5. */
	add_sizes(lruvec, 40960, 81920, 81920, 40960);
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FILE);
	get_scan_count(lruvec, NULL, &sc, nr, &lru_pages);
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON], 0);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE], 20);
	ck_assert_uint_eq(nr[LRU_ACTIVE_FILE], 10);	/* 40960 >> 12 */
	ck_assert_uint_eq(lru_pages, 81920 + 40960);
	/* Row 5 needs inactive file >> priority > 0: at 4095/4095 (not low), 4095 >> 12 = 0
	 * -> SCAN_FRACT. */
	fake_lru_size(lruvec, LRU_INACTIVE_FILE, ZN, 4095 - 81920);
	fake_lru_size(lruvec, LRU_ACTIVE_FILE, ZN, 4095 - 40960);
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FRACT);
	add_sizes(lruvec, -40960, -81920, -4095, -4095);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_scan_fract_counts_and_ageing)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	unsigned long nr[NR_LRU_LISTS] = { 0 }, lru_pages;
	struct lruvec *lruvec;
	struct zone_reclaim_stat *rs;

	fixture_setup(&f, 16, 16, 1);
	lock(f.e);
	lruvec = root_lruvec(f.e);
	rs = &lruvec->reclaim_stat;
	/* anon 20480 + 40960 = 61440; file 40960 + 81920 = 122880 (< 1 GiB, ratio 1, file
	 * inactive low: 40960 < 81920); node file + free far above the high watermark. */
	add_sizes(lruvec, 20480, 40960, 40960, 81920);
	rs->recent_scanned[0] = 1000;
	rs->recent_rotated[0] = 500;
	rs->recent_scanned[1] = 40000;
	rs->recent_rotated[1] = 10000;
	sc.priority = 4;
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FRACT);
	get_scan_count(lruvec, NULL, &sc, nr, &lru_pages);
	/*
	 * anon_prio = 60, file_prio = 140.
	 * Ageing: anon 1000 > 61440 / 4 = 15360? no: kept. file 40000 > 122880 / 4 = 30720:
	 * halved to scanned 20000, rotated 5000.
	 * ap = 60 * 1001 / 501 = 60060 / 501 = 119
	 * fp = 140 * 20001 / 5001 = 2800140 / 5001 = 559
	 * denominator = 119 + 559 + 1 = 679
	 * inactive anon: 20480 >> 4 = 1280; 1280 * 119 / 679 = 152320 / 679 = 224
	 * active anon:   40960 >> 4 = 2560; 2560 * 119 / 679 = 304640 / 679 = 448
	 * inactive file: 40960 >> 4 = 2560; 2560 * 559 / 679 = 1431040 / 679 = 2107
	 * active file:   81920 >> 4 = 5120; 5120 * 559 / 679 = 2862080 / 679 = 4215
	 */
	ck_assert_uint_eq(rs->recent_scanned[0], 1000);
	ck_assert_uint_eq(rs->recent_rotated[0], 500);
	ck_assert_uint_eq(rs->recent_scanned[1], 20000);
	ck_assert_uint_eq(rs->recent_rotated[1], 5000);
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 224);
	ck_assert_uint_eq(nr[LRU_ACTIVE_ANON], 448);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE], 2107);
	ck_assert_uint_eq(nr[LRU_ACTIVE_FILE], 4215);
	ck_assert_uint_eq(lru_pages, 184320);

	/*
	 * Again, now with anon ageing too: scanned[0] = 20000 > 15360 -> 10000, rotated[0]
	 * 3001 -> 1500. File 20000 <= 30720: kept. Swappiness 100: anon_prio 100, file 100.
	 * ap = 100 * 10001 / 1501 = 1000100 / 1501 = 666
	 * fp = 100 * 20001 / 5001 = 2000100 / 5001 = 399
	 * denominator = 666 + 399 + 1 = 1066
	 * priority 12: 20480 >> 12 = 5 -> 5 * 666 / 1066 = 3330 / 1066 = 3
	 *              40960 >> 12 = 10 -> 6660 / 1066 = 6 (anon), 3990 / 1066 = 3 (file)
	 *              81920 >> 12 = 20 -> 20 * 399 / 1066 = 7980 / 1066 = 7
	 */
	rs->recent_scanned[0] = 20000;
	rs->recent_rotated[0] = 3001;
	f.e->swappiness = 100;
	sc.priority = DEF_PRIORITY;
	ck_assert_int_eq(get_scan_balance(lruvec, NULL, &sc), SCAN_FRACT);
	get_scan_count(lruvec, NULL, &sc, nr, &lru_pages);
	ck_assert_uint_eq(rs->recent_scanned[0], 10000);
	ck_assert_uint_eq(rs->recent_rotated[0], 1500);
	ck_assert_uint_eq(rs->recent_scanned[1], 20000);
	ck_assert_uint_eq(rs->recent_rotated[1], 5000);
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 3);
	ck_assert_uint_eq(nr[LRU_ACTIVE_ANON], 6);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE], 3);
	ck_assert_uint_eq(nr[LRU_ACTIVE_FILE], 7);
	f.e->swappiness = 60;
	rs->recent_scanned[0] = rs->recent_rotated[0] = 0;
	rs->recent_scanned[1] = rs->recent_rotated[1] = 0;
	add_sizes(lruvec, -20480, -40960, -40960, -81920);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_scan_offline_memcg_scraped)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	unsigned long nr[NR_LRU_LISTS] = { 0 }, lru_pages;
	struct mem_cgroup *memcg;
	struct lruvec *lruvec;
	uint32_t g;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "g", &g), 0);
	lock(f.e);
	memcg = mem_cgroup_from_id(f.e, g);
	lruvec = mem_cgroup_lruvec(NODE_DATA(f.e, 0), memcg);
	/* SCAN_FILE (no swap): 100 >> 12 = 0 and 4000 >> 12 = 0 while online. */
	add_sizes(lruvec, 0, 0, 100, 4000);
	get_scan_count(lruvec, memcg, &sc, nr, &lru_pages);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE], 0);
	/* Offline: scan = min(size, 32): 32 and 32. */
	memcg->online = false;
	get_scan_count(lruvec, memcg, &sc, nr, &lru_pages);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE], 32);
	ck_assert_uint_eq(nr[LRU_ACTIVE_FILE], 32);
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 0);	/* SCAN_FILE zeroes anon after */
	memcg->online = true;
	add_sizes(lruvec, 0, 0, -100, -4000);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

/* ---- scan_adjust (spec 8 steps c-g) ---------------------------------------------------- */

START_TEST(test_scan_adjust_anon_smaller)
{
	unsigned long targets[NR_LRU_LISTS] = { 100, 0, 200, 50, 0 };
	unsigned long nr[NR_LRU_LISTS] = { 40, 0, 150, 50, 0 };

	/* nr_file = 200 > nr_anon = 40: anon stops. percentage = 40 * 100 / (100 + 0 + 1) =
	 * 4000 / 101 = 39. Inactive file: done = 200 - 150 = 50; 200 * 61 / 100 = 122;
	 * 122 - 50 = 72. Active file: done = 0; 50 * 61 / 100 = 30. */
	ck_assert(scan_adjust(nr, targets));
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 0);
	ck_assert_uint_eq(nr[LRU_ACTIVE_ANON], 0);
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE], 72);
	ck_assert_uint_eq(nr[LRU_ACTIVE_FILE], 30);
}
END_TEST

START_TEST(test_scan_adjust_file_smaller)
{
	unsigned long targets[NR_LRU_LISTS] = { 300, 100, 60, 0, 0 };
	unsigned long nr[NR_LRU_LISTS] = { 250, 100, 20, 0, 0 };

	/* nr_file = 20, nr_anon = 350: file stops. percentage = 20 * 100 / (60 + 0 + 1) =
	 * 2000 / 61 = 32. Inactive anon: done = 50; 300 * 68 / 100 = 204; 204 - 50 = 154.
	 * Active anon: done = 0; 100 * 68 / 100 = 68. */
	ck_assert(scan_adjust(nr, targets));
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE], 0);
	ck_assert_uint_eq(nr[LRU_ACTIVE_FILE], 0);
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 154);
	ck_assert_uint_eq(nr[LRU_ACTIVE_ANON], 68);
}
END_TEST

START_TEST(test_scan_adjust_equal_and_clamp)
{
	unsigned long targets[NR_LRU_LISTS] = { 100, 0, 100, 100, 0 };
	unsigned long nr[NR_LRU_LISTS] = { 10, 0, 5, 5, 0 };

	/* nr_file = 10 is not > nr_anon = 10: file is the smaller type. percentage = 10 * 100 /
	 * (100 + 100 + 1) = 1000 / 201 = 4. Inactive anon: done = 90; 100 * 96 / 100 = 96;
	 * 96 - min(96, 90) = 6. */
	ck_assert(scan_adjust(nr, targets));
	ck_assert_uint_eq(nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE], 0);
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 6);
	ck_assert_uint_eq(nr[LRU_ACTIVE_ANON], 0);

	/* More cases, the last one clamped (more done than the scaled target: 0, not an
	 * underflow). */
	{
		unsigned long t2[NR_LRU_LISTS] = { 100, 0, 100, 0, 0 };
		unsigned long n2[NR_LRU_LISTS] = { 10, 0, 50, 0, 0 };

		/* nr_file 50 > nr_anon 10: percentage = 10 * 100 / 101 = 9; file: done = 50;
		 * 100 * 91 / 100 = 91; 91 - 50 = 41. */
		ck_assert(scan_adjust(n2, t2));
		ck_assert_uint_eq(n2[LRU_INACTIVE_FILE], 41);
	}
	{
		unsigned long t3[NR_LRU_LISTS] = { 100, 0, 100, 0, 0 };
		unsigned long n3[NR_LRU_LISTS] = { 90, 0, 5, 0, 0 };

		/* nr_file 5 < nr_anon 90: file smaller, percentage = 5 * 100 / 101 = 4; anon:
		 * done = 10; 100 * 96 / 100 = 96; 96 - 10 = 86. */
		ck_assert(scan_adjust(n3, t3));
		ck_assert_uint_eq(n3[LRU_INACTIVE_ANON], 86);
	}
	{
		unsigned long t4[NR_LRU_LISTS] = { 100, 0, 1000, 0, 0 };
		unsigned long n4[NR_LRU_LISTS] = { 99, 0, 1, 0, 0 };

		/* nr_file 1 < nr_anon 99: file smaller, percentage = 1 * 100 / 1001 = 0; anon:
		 * done = 1; 100 * 100 / 100 = 100; 100 - 1 = 99. */
		ck_assert(scan_adjust(n4, t4));
		ck_assert_uint_eq(n4[LRU_INACTIVE_ANON], 99);
	}
	{
		unsigned long t5[NR_LRU_LISTS] = { 100, 0, 10, 0, 0 };
		unsigned long n5[NR_LRU_LISTS] = { 5, 0, 9, 0, 0 };

		/* nr_file 9 > nr_anon 5: anon smaller, percentage = 5 * 100 / 101 = 4; file:
		 * done = 1; 10 * 96 / 100 = 9; 9 - 1 = 8. Anon zeroed although 5 were left. */
		ck_assert(scan_adjust(n5, t5));
		ck_assert_uint_eq(n5[LRU_INACTIVE_FILE], 8);
		ck_assert_uint_eq(n5[LRU_INACTIVE_ANON], 0);
	}
	{
		unsigned long t6[NR_LRU_LISTS] = { 10, 0, 100, 0, 0 };
		unsigned long n6[NR_LRU_LISTS] = { 9, 0, 20, 0, 0 };

		/* nr_file 20 > nr_anon 9: percentage = 9 * 100 / 11 = 81; file: done = 80;
		 * 100 * 19 / 100 = 19; 19 - min(19, 80) = 0 (clamped). */
		ck_assert(scan_adjust(n6, t6));
		ck_assert_uint_eq(n6[LRU_INACTIVE_FILE], 0);
	}
}
END_TEST

START_TEST(test_scan_adjust_stop)
{
	unsigned long targets[NR_LRU_LISTS] = { 100, 100, 100, 100, 0 };
	unsigned long nr[NR_LRU_LISTS] = { 10, 20, 0, 0, 0 };
	unsigned long nr2[NR_LRU_LISTS] = { 0, 0, 7, 3, 0 };

	/* Either type already done: stop scanning, nothing changed. */
	ck_assert(!scan_adjust(nr, targets));
	ck_assert_uint_eq(nr[LRU_INACTIVE_ANON], 10);
	ck_assert_uint_eq(nr[LRU_ACTIVE_ANON], 20);
	ck_assert(!scan_adjust(nr2, targets));
	ck_assert_uint_eq(nr2[LRU_INACTIVE_FILE], 7);
	ck_assert_uint_eq(nr2[LRU_ACTIVE_FILE], 3);
}
END_TEST

/* ---- inactive ratio and inactive_list_is_low (spec 9) ---------------------------------- */

START_TEST(test_inactive_ratio_values)
{
	const unsigned long gib = 1UL << (30 - PAGE_SHIFT);	/* 262144 pages */

	ck_assert_uint_eq(inactive_ratio_for(0), 1);
	ck_assert_uint_eq(inactive_ratio_for(gib - 1), 1);	/* < 1 GiB */
	ck_assert_uint_eq(inactive_ratio_for(gib), 3);		/* int_sqrt(10) */
	ck_assert_uint_eq(inactive_ratio_for(2 * gib - 1), 3);
	ck_assert_uint_eq(inactive_ratio_for(10 * gib), 10);	/* int_sqrt(100) */
	ck_assert_uint_eq(inactive_ratio_for(100 * gib), 31);	/* int_sqrt(1000) = 31.6 */
	ck_assert_uint_eq(inactive_ratio_for(1024 * gib), 101);	/* int_sqrt(10240) = 101.2 */
}
END_TEST

START_TEST(test_inactive_list_is_low)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	struct lruvec *lruvec;
	struct mem_cgroup *root;

	fixture_setup(&f, 16, 16, 1);
	lock(f.e);
	lruvec = root_lruvec(f.e);
	root = f.e->root_mem_cgroup;
	lruvec->refaults = (unsigned long)root->node_stat[WORKINGSET_ACTIVATE];
	/* 1 GiB pair: ratio 3. 65536 * 3 < 196608 is false; 196609 (still 1 GiB) is low. */
	add_sizes(lruvec, 0, 0, 65536, 196608);
	ck_assert(!inactive_list_is_low(lruvec, true, NULL, &sc, true));
	fake_lru_size(lruvec, LRU_ACTIVE_FILE, ZN, 1);
	ck_assert(inactive_list_is_low(lruvec, true, NULL, &sc, true));
	fake_lru_size(lruvec, LRU_ACTIVE_FILE, ZN, -1);
	/* Below 1 GiB ratio 1: 100 < 101 low, 100 < 100 not. */
	add_sizes(lruvec, 100, 101, -65536 + 100, -196608 + 100);
	ck_assert(inactive_list_is_low(lruvec, false, NULL, &sc, false));
	ck_assert(!inactive_list_is_low(lruvec, true, NULL, &sc, false));
	/* Eligible sizes only: the pages are in ZONE_NORMAL; reclaim_idx DMA32 sees none. */
	sc.reclaim_idx = ZONE_DMA32;
	ck_assert(!inactive_list_is_low(lruvec, false, NULL, &sc, false));
	sc.reclaim_idx = ZN;

	/* The refault rule: activations since the last snapshot make the file ratio 0: low
	 * whenever active > 0 (here 100 * 0 < 100) - for file and actual_reclaim only. */
	lruvec->refaults = (unsigned long)root->node_stat[WORKINGSET_ACTIVATE] + 1;
	ck_assert(inactive_list_is_low(lruvec, true, NULL, &sc, true));
	ck_assert(!inactive_list_is_low(lruvec, true, NULL, &sc, false));
	fake_lru_size(lruvec, LRU_ACTIVE_ANON, ZN, -1);	/* anon 100/100 */
	ck_assert(!inactive_list_is_low(lruvec, false, NULL, &sc, true));
	/* Ratio 0 with no active pages: 0 < 0 is false. */
	fake_lru_size(lruvec, LRU_ACTIVE_FILE, ZN, -100);
	ck_assert(!inactive_list_is_low(lruvec, true, NULL, &sc, true));
	fake_lru_size(lruvec, LRU_ACTIVE_FILE, ZN, 100);
	/* snapshot_refaults takes the current count: the rule stops firing. */
	snapshot_refaults(root, NODE_DATA(f.e, 0));
	ck_assert_uint_eq(lruvec->refaults, (unsigned long)root->node_stat[WORKINGSET_ACTIVATE]);
	ck_assert(!inactive_list_is_low(lruvec, true, NULL, &sc, true));
	add_sizes(lruvec, -100, -100, -100, -100);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_inactive_anon_without_swap)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	struct lruvec *lruvec;

	fixture_setup(&f, 16, 0, 1);
	lock(f.e);
	lruvec = root_lruvec(f.e);
	add_sizes(lruvec, 0, 1000, 0, 1000);
	/* No swap: anon is never low (0 < 1000 would be); file is. */
	ck_assert(!inactive_list_is_low(lruvec, false, NULL, &sc, true));
	ck_assert(inactive_list_is_low(lruvec, true, NULL, &sc, true));
	add_sizes(lruvec, 0, -1000, 0, -1000);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

/* ---- pages from regions ---------------------------------------------------------------- */

static uint32_t make_region(struct rcl_engine *e, enum rcl_region_type type, const char *path,
			    unsigned int flags, uint64_t nr_pages, uint32_t memcg_id)
{
	struct rcl_region_spec spec = { .type = type, .nr_pages = nr_pages, .path = path,
					.flags = flags, .memcg_id = memcg_id };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(e, &spec, &id), 0);
	return id;
}

/* The page mapped at @idx of region @id (mm_lock held). */
static struct page *region_page(struct rcl_engine *e, uint32_t id, unsigned long idx)
{
	struct region *r = region_lookup(e, id);

	ck_assert_ptr_nonnull(r);
	ck_assert(pte_present(pte_get(r, idx)));
	return pfn_to_page(e, pte_pfn(pte_get(r, idx)));
}

static void set_young(struct rcl_engine *e, uint32_t id, unsigned long idx, bool young)
{
	struct region *r = region_lookup(e, id);

	if (young)
		*pte_offset(r, idx) |= PTE_YOUNG;
	else
		*pte_offset(r, idx) &= ~PTE_YOUNG;
}

/* ---- page_check_references (spec 12.1) ------------------------------------------------- */

/* The table of spec 12.1, for the combination. */
static enum page_references expected_ref(bool locked, int young_ptes, bool referenced,
					 bool exec, bool anon)
{
	if (locked)
		return PAGEREF_RECLAIM;				/* row 1 */
	if (young_ptes > 0) {
		if (anon)
			return PAGEREF_ACTIVATE;		/* row 2 */
		if (referenced || young_ptes > 1)
			return PAGEREF_ACTIVATE;		/* row 3 */
		if (exec)
			return PAGEREF_ACTIVATE;		/* row 4 */
		return PAGEREF_KEEP;				/* row 5 */
	}
	if (referenced && !anon)
		return PAGEREF_RECLAIM_CLEAN;			/* row 6 */
	return PAGEREF_RECLAIM;					/* row 7 */
}

START_TEST(test_page_check_references_rows)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	uint32_t anon, file1, file2, fexec, lockd;
	struct page *page;

	fixture_setup(&f, 16, 16, 1);
	anon = make_region(f.e, RCL_REGION_ANON, NULL, 0, 4, 0);
	file1 = make_region(f.e, RCL_REGION_FILE, "ref", RCL_REGION_SHARED, 4, 0);
	/* One page only: fault-around would map its neighbours too (spec 25). */
	file2 = make_region(f.e, RCL_REGION_FILE, "ref", RCL_REGION_SHARED, 1, 0);
	fixture_file(&f, "exe", 4 * 4096);
	fexec = make_region(f.e, RCL_REGION_FILE, "exe", RCL_REGION_EXEC, 4, 0);
	lockd = make_region(f.e, RCL_REGION_ANON, NULL, 0, 1, 0);
	ck_assert_int_eq(rcl_region_touch(f.e, anon, 0, 4, true), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, file1, 0, 4, false), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, file2, 0, 1, false), 0);	/* page 0 twice */
	ck_assert_int_eq(rcl_region_touch(f.e, fexec, 0, 4, false), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, lockd, 0, 1, true), 0);	/* not the zero page */
	lock(f.e);
	lru_add_drain(f.e);

	/* Row 1: a VM_LOCKED mapping (mlock racing with reclaim): RECLAIM, young or not. */
	region_lookup(f.e, lockd)->vm_flags |= VM_LOCKED;
	page = region_page(f.e, lockd, 0);
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_RECLAIM);
	region_lookup(f.e, lockd)->vm_flags &= ~VM_LOCKED;

	/* Row 2: anon, young: ACTIVATE; the young bit is consumed. */
	page = region_page(f.e, anon, 0);
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_ACTIVATE);
	ck_assert(!pte_young(pte_get(region_lookup(f.e, anon), 0)));
	/* Row 7: anon, not young, PG_referenced: RECLAIM (row 6 is for file pages). */
	SetPageReferenced(page);
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_RECLAIM);
	ck_assert(!PageReferenced(page));

	/* Row 3: file mapped by two regions, both young: ACTIVATE, PG_referenced set. */
	page = region_page(f.e, file1, 0);
	ck_assert_ptr_eq(page, region_page(f.e, file2, 0));
	ck_assert_int_eq(page_mapcount(page), 2);
	ClearPageReferenced(page);
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_ACTIVATE);
	ck_assert(PageReferenced(page));
	/* Row 3: one young mapping and PG_referenced: ACTIVATE. */
	set_young(f.e, file1, 0, true);
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_ACTIVATE);

	/* Row 5: file page mapped once, young, PG_referenced clear: KEEP, and marked. */
	page = region_page(f.e, file1, 1);
	ClearPageReferenced(page);
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_KEEP);
	ck_assert(PageReferenced(page));
	/* Next trip: young again, the mark activates it (row 3). */
	set_young(f.e, file1, 1, true);
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_ACTIVATE);
	/* Row 6: not young, PG_referenced: RECLAIM_CLEAN, the mark consumed. */
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_RECLAIM_CLEAN);
	ck_assert(!PageReferenced(page));
	/* Row 7: neither: RECLAIM. */
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_RECLAIM);

	/* Row 4: file page in a VM_EXEC region, young once, unmarked: ACTIVATE. */
	page = region_page(f.e, fexec, 0);
	ClearPageReferenced(page);
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_ACTIVATE);
	/* Exec without references: row 7. */
	ClearPageReferenced(page);
	ck_assert_int_eq(page_check_references(page, &sc), PAGEREF_RECLAIM);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_page_check_references_all_combinations)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	int anon, exec, nmap, young, ref, locked, n = 0;

	fixture_setup(&f, 16, 16, 1);
	for (anon = 0; anon <= 1; anon++)
	for (exec = 0; exec <= 1; exec++)
	for (nmap = anon ? 1 : 0; nmap <= (anon ? 1 : 2); nmap++)	/* no fork: anon once */
	for (young = 0; young <= nmap; young++)
	for (ref = 0; ref <= 1; ref++)
	for (locked = 0; locked <= (nmap ? 1 : 0); locked++) {
		char path[32];
		uint32_t ids[2] = { 0, 0 };
		struct page *page;
		enum page_references want, got;
		int i;

		snprintf(path, sizeof(path), "comb-%d", n++);
		if (nmap == 0) {
			/* An unmapped file page: in the cache through a region that is gone. */
			fixture_file(&f, path, 4096);
			ids[0] = make_region(f.e, RCL_REGION_FILE, path,
					     exec ? RCL_REGION_EXEC : 0, 1, 0);
			ck_assert_int_eq(rcl_region_touch(f.e, ids[0], 0, 1, false), 0);
			lock(f.e);
			page = region_page(f.e, ids[0], 0);
			unlock(f.e);
			ck_assert_int_eq(rcl_region_free(f.e, ids[0]), 0);
			ids[0] = 0;
		} else {
			for (i = 0; i < nmap; i++) {
				ids[i] = make_region(f.e, anon ? RCL_REGION_ANON : RCL_REGION_FILE,
						     anon ? NULL : path,
						     (exec ? RCL_REGION_EXEC : 0) |
						     (anon ? 0 : RCL_REGION_SHARED), 1, 0);
				/* anon: written, as a read maps the zero page */
				ck_assert_int_eq(rcl_region_touch(f.e, ids[i], 0, 1, anon), 0);
			}
		}
		lock(f.e);
		lru_add_drain(f.e);
		if (nmap)
			page = region_page(f.e, ids[0], 0);
		for (i = 0; i < nmap; i++)
			set_young(f.e, ids[i], 0, i < young);
		if (locked)
			region_lookup(f.e, ids[0])->vm_flags |= VM_LOCKED;
		if (ref)
			SetPageReferenced(page);
		else
			ClearPageReferenced(page);
		want = expected_ref(locked, young, ref, exec, anon);
		got = page_check_references(page, &sc);
		ck_assert_msg(got == want,
			      "anon %d exec %d mapped %d young %d referenced %d locked %d: %d, "
			      "want %d", anon, exec, nmap, young, ref, locked, got, want);
		if (locked)
			region_lookup(f.e, ids[0])->vm_flags &= ~VM_LOCKED;
		unlock(f.e);
		for (i = 0; i < nmap; i++)
			ck_assert_int_eq(rcl_region_free(f.e, ids[i]), 0);
	}
	fixture_teardown(&f);
}
END_TEST

/* ---- shrink_page_list (spec 13) -------------------------------------------------------- */

/* Isolate @page as shrink_inactive_list would (off the LRU, a reference held, inactive). */
static void isolate(struct page_list *list, struct page *page)
{
	ck_assert_int_eq(isolate_lru_page(page), 0);
	ClearPageActive(page);
	page_list_add_tail(list, page);
}

/* Put back what shrink_page_list left, as putback_inactive_pages does. */
static void putback(struct page_list *list)
{
	struct page *page;

	while ((page = page_list_first(list))) {
		page_list_del(list, page);
		if (!page_evictable(page)) {
			putback_lru_page(page);
			continue;
		}
		lru_lock(page_pgdat(page));
		SetPageLRU(page);
		add_page_to_lru_list(page, mem_cgroup_page_lruvec(page), page_lru(page));
		lru_unlock(page_pgdat(page));
		put_page(page);		/* not under lru_lock: the last one takes it off */
	}
}

struct spl {
	struct fixture f;
	struct page_list list;
	struct reclaim_stat stat;
	struct scan_control sc;
};

static void spl_setup(struct spl *s, uint64_t swap_mib)
{
	fixture_setup(&s->f, 16, swap_mib, 1);
	page_list_init(&s->list, s->f.e->mem_map);
	s->sc = direct_sc();
}

/* Run shrink_page_list on the isolated @page alone (mm_lock held). */
static unsigned long spl_run(struct spl *s, struct page *page)
{
	isolate(&s->list, page);
	return shrink_page_list(&s->list, page_pgdat(page), &s->sc, 0, &s->stat, false);
}

START_TEST(test_spl_activate_referenced)
{
	struct spl s;
	uint32_t id;
	struct page *page;
	unsigned long act = 0;

	spl_setup(&s, 16);
	id = make_region(s.f.e, RCL_REGION_ANON, NULL, 0, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);	/* young */
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = region_page(s.f.e, id, 0);
	act = vm_event_read(s.f.e, PGACTIVATE);
	ck_assert_uint_eq(spl_run(&s, page), 0);
	/* Row 2: activate_locked: PG_active, pgactivate, kept, unlocked, counted once more as
	 * mapped (nr_scanned 2). */
	ck_assert_ptr_eq(page_list_first(&s.list), page);
	ck_assert(PageActive(page));
	ck_assert(!PageLocked(page));
	ck_assert_uint_eq(s.stat.nr_activate, 1);
	ck_assert_uint_eq(vm_event_read(s.f.e, PGACTIVATE), act + 1);
	ck_assert_uint_eq(s.sc.nr_scanned, 2);
	putback(&s.list);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_keep_page_locked)
{
	struct spl s;
	uint32_t id;
	struct page *page;

	spl_setup(&s, 16);
	id = make_region(s.f.e, RCL_REGION_ANON, NULL, 0, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = region_page(s.f.e, id, 0);
	set_young(s.f.e, id, 0, false);
	SetPageLocked(page);
	ck_assert_uint_eq(spl_run(&s, page), 0);
	/* Step 1: keep, before anything is counted or looked at. */
	ck_assert_ptr_eq(page_list_first(&s.list), page);
	ck_assert_uint_eq(s.sc.nr_scanned, 0);
	ck_assert(PageLocked(page));		/* still the other holder's lock */
	ck_assert(!PageSwapCache(page));
	ck_assert_uint_eq(s.stat.nr_activate, 0);
	ClearPageLocked(page);
	putback(&s.list);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_keep_locked_no_unmap)
{
	struct spl s;
	uint32_t id;
	struct page *page;

	spl_setup(&s, 16);
	id = make_region(s.f.e, RCL_REGION_ANON, NULL, 0, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = region_page(s.f.e, id, 0);
	s.sc.may_unmap = 0;
	ck_assert_uint_eq(spl_run(&s, page), 0);
	/* Step 4: keep_locked: counted once, not activated although young, unlocked. */
	ck_assert_ptr_eq(page_list_first(&s.list), page);
	ck_assert_uint_eq(s.sc.nr_scanned, 1);
	ck_assert(!PageActive(page));
	ck_assert(!PageLocked(page));
	ck_assert(pte_young(pte_get(region_lookup(s.f.e, id), 0)));	/* not even looked at */
	putback(&s.list);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_keep_locked_ref_keep)
{
	struct spl s;
	uint32_t id;
	struct page *page;

	spl_setup(&s, 16);
	id = make_region(s.f.e, RCL_REGION_FILE, "keep", RCL_REGION_SHARED, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, false), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = region_page(s.f.e, id, 0);
	ClearPageReferenced(page);
	ck_assert_uint_eq(spl_run(&s, page), 0);
	/* PAGEREF_KEEP (row 5): nr_ref_keep, not activated, PG_referenced set, still mapped. */
	ck_assert_ptr_eq(page_list_first(&s.list), page);
	ck_assert_uint_eq(s.stat.nr_ref_keep, 1);
	ck_assert_uint_eq(s.stat.nr_activate, 0);
	ck_assert(!PageActive(page));
	ck_assert(PageReferenced(page));
	ck_assert(page_mapped(page));
	ck_assert(!PageLocked(page));
	putback(&s.list);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_keep_locked_anon_without_io)
{
	struct spl s;
	uint32_t id;
	struct page *page;

	spl_setup(&s, 16);
	id = make_region(s.f.e, RCL_REGION_ANON, NULL, 0, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = region_page(s.f.e, id, 0);
	set_young(s.f.e, id, 0, false);
	s.sc.gfp_mask = GFP_NOIO;
	ck_assert_uint_eq(spl_run(&s, page), 0);
	/* Step 10: without __GFP_IO no swap slot is allocated: keep_locked. */
	ck_assert_ptr_eq(page_list_first(&s.list), page);
	ck_assert(!PageSwapCache(page));
	ck_assert(!PageActive(page));
	ck_assert(page_mapped(page));
	ck_assert(!PageLocked(page));
	ck_assert_uint_eq(s.stat.nr_activate + s.stat.nr_unmap_fail + s.stat.nr_ref_keep, 0);
	putback(&s.list);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_swap_out_and_free)
{
	struct spl s;
	uint32_t id;
	struct page *page;
	struct region *r;
	unsigned long pswpout, steal_cache;

	spl_setup(&s, 16);
	id = make_region(s.f.e, RCL_REGION_ANON, NULL, 0, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	r = region_lookup(s.f.e, id);
	page = region_page(s.f.e, id, 0);
	set_young(s.f.e, id, 0, false);
	pswpout = vm_event_read(s.f.e, PSWPOUT);
	steal_cache = node_page_state(NODE_DATA(s.f.e, 0), NR_SWAPCACHE);
	ck_assert_uint_eq(spl_run(&s, page), 1);
	/* add_to_swap, try_to_unmap (the PTE becomes the swap entry), pageout (synchronous
	 * without a plug), __remove_mapping, free_it. */
	ck_assert(page_list_empty(&s.list));
	ck_assert_uint_eq(vm_event_read(s.f.e, PSWPOUT), pswpout + 1);
	ck_assert(is_swap_pte(pte_get(r, 0)));
	ck_assert_uint_eq(r->swapents, 1);
	ck_assert_uint_eq(r->rss, 0);
	ck_assert_uint_eq(node_page_state(NODE_DATA(s.f.e, 0), NR_SWAPCACHE), steal_cache);
	ck_assert_uint_eq(s.sc.nr_scanned, 2);	/* mapped: counted twice */
	ck_assert_uint_eq(node_page_state(NODE_DATA(s.f.e, 0), NR_VMSCAN_WRITE), 1);
	unlock(s.f.e);
	/* The contents come back from swap. */
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, false), 0);
	ck_assert_uint_ge(vm_event_read(s.f.e, PSWPIN), 1);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_unmap_fail_mlocked)
{
	struct spl s;
	uint32_t id;
	struct page *page;
	struct region *r;

	spl_setup(&s, 16);
	id = make_region(s.f.e, RCL_REGION_ANON, NULL, 0, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	r = region_lookup(s.f.e, id);
	page = region_page(s.f.e, id, 0);
	set_young(s.f.e, id, 0, false);
	/* mlock raced with reclaim: the region is VM_LOCKED, the page not yet mlocked. */
	r->vm_flags |= VM_LOCKED;
	ck_assert_uint_eq(spl_run(&s, page), 0);
	/* Row 1 RECLAIM -> add_to_swap -> try_to_unmap finds VM_LOCKED: mlocks the page and
	 * fails: nr_unmap_fail, activate_locked drops the slot of an mlocked page and does not
	 * activate it. */
	ck_assert_uint_eq(s.stat.nr_unmap_fail, 1);
	ck_assert(PageMlocked(page));
	ck_assert(!PageSwapCache(page));
	ck_assert(!PageActive(page));
	ck_assert_uint_eq(s.stat.nr_activate, 0);
	ck_assert(pte_present(pte_get(r, 0)));
	ck_assert_ptr_eq(page_list_first(&s.list), page);
	/* Put back: it lands on the unevictable list. */
	putback(&s.list);
	lru_add_drain(s.f.e);
	ck_assert(PageUnevictable(page));
	ck_assert(PageLRU(page));
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_dirty_file_direct_immediate)
{
	struct spl s;
	uint32_t id;
	struct page *page;
	unsigned long imm;

	spl_setup(&s, 0);
	id = make_region(s.f.e, RCL_REGION_FILE, "dirty", RCL_REGION_SHARED, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);	/* dirty */
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = region_page(s.f.e, id, 0);
	set_young(s.f.e, id, 0, false);
	ClearPageReferenced(page);
	ck_assert(PageDirty(page));
	imm = node_page_state(NODE_DATA(s.f.e, 0), NR_VMSCAN_IMMEDIATE);
	ck_assert_uint_eq(spl_run(&s, page), 0);
	/* Step 12a: a dirty file page met by direct reclaim: immediate reclaim, PG_reclaim,
	 * activate_locked; nothing written. */
	ck_assert_uint_eq(node_page_state(NODE_DATA(s.f.e, 0), NR_VMSCAN_IMMEDIATE), imm + 1);
	ck_assert(PageReclaim(page));
	ck_assert(PageActive(page));
	ck_assert(PageDirty(page));
	ck_assert(!PageWriteback(page));
	ck_assert_uint_eq(node_page_state(NODE_DATA(s.f.e, 0), NR_VMSCAN_WRITE), 0);
	ck_assert_uint_eq(s.stat.nr_dirty, 1);
	ck_assert_uint_eq(s.stat.nr_unqueued_dirty, 1);
	ck_assert_uint_eq(s.stat.nr_activate, 1);
	putback(&s.list);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_kswapd_writes_dirty_file)
{
	struct spl s;
	uint32_t id;
	struct page *page;
	struct address_space *m;
	struct task_struct *task;
	struct pglist_data *pgdat;

	spl_setup(&s, 0);
	id = make_region(s.f.e, RCL_REGION_FILE, "kw", RCL_REGION_SHARED, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	m = region_lookup(s.f.e, id)->file;
	page = region_page(s.f.e, id, 0);
	pgdat = page_pgdat(page);
	set_young(s.f.e, id, 0, false);
	ClearPageReferenced(page);
	SetPageReclaim(page);			/* met before */
	task = current_or_default(s.f.e);
	task->flags |= PF_KSWAPD;
	set_bit_pgdat(pgdat, PGDAT_DIRTY);
	s.sc.gfp_mask = GFP_KERNEL;
	ck_assert_uint_eq(spl_run(&s, page), 1);
	/* Step 12c: kswapd, PG_reclaim, PGDAT_DIRTY: pageout writes it (synchronously here),
	 * then it is clean and freed, leaving a shadow in its page cache slot. */
	ck_assert_uint_eq(node_page_state(pgdat, NR_VMSCAN_WRITE), 1);
	ck_assert_uint_eq(node_page_state(pgdat, NR_VMSCAN_IMMEDIATE), 0);
	ck_assert(page_list_empty(&s.list));
	ck_assert(slot_is_shadow(page_cache_slot(m, 0)));
	task->flags &= ~PF_KSWAPD;
	clear_bit_pgdat(pgdat, PGDAT_DIRTY);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_kswapd_first_encounter_not_written)
{
	struct spl s;
	uint32_t id;
	struct page *page;
	struct task_struct *task;

	spl_setup(&s, 0);
	id = make_region(s.f.e, RCL_REGION_FILE, "kw1", RCL_REGION_SHARED, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = region_page(s.f.e, id, 0);
	set_young(s.f.e, id, 0, false);
	ClearPageReferenced(page);
	task = current_or_default(s.f.e);
	task->flags |= PF_KSWAPD;
	set_bit_pgdat(page_pgdat(page), PGDAT_DIRTY);
	/* PG_reclaim clear: kswapd too only marks it (step 12a). */
	ck_assert_uint_eq(spl_run(&s, page), 0);
	ck_assert(PageReclaim(page));
	ck_assert(PageDirty(page));
	ck_assert_uint_eq(node_page_state(page_pgdat(page), NR_VMSCAN_IMMEDIATE), 1);
	ck_assert_uint_eq(node_page_state(page_pgdat(page), NR_VMSCAN_WRITE), 0);
	task->flags &= ~PF_KSWAPD;
	clear_bit_pgdat(page_pgdat(page), PGDAT_DIRTY);
	putback(&s.list);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_writeback_cases)
{
	struct spl s;
	uint32_t id;
	struct page *page;
	struct task_struct *task;

	spl_setup(&s, 0);
	id = make_region(s.f.e, RCL_REGION_FILE, "wb", RCL_REGION_SHARED, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, false), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = region_page(s.f.e, id, 0);
	set_young(s.f.e, id, 0, false);
	/* Case 2: under writeback (flag only): PG_reclaim set, nr_writeback, activated. */
	SetPageWriteback(page);
	ck_assert_uint_eq(spl_run(&s, page), 0);
	ck_assert(PageReclaim(page));
	ck_assert(PageActive(page));
	ck_assert_uint_eq(s.stat.nr_writeback, 1);
	ck_assert_uint_eq(s.stat.nr_dirty, 1);
	ck_assert_uint_eq(s.stat.nr_immediate, 0);
	putback(&s.list);
	/* Case 1: kswapd, PG_reclaim, PGDAT_WRITEBACK: nr_immediate (and congested). */
	task = current_or_default(s.f.e);
	task->flags |= PF_KSWAPD;
	set_bit_pgdat(page_pgdat(page), PGDAT_WRITEBACK);
	ck_assert_uint_eq(spl_run(&s, page), 0);
	ck_assert_uint_eq(s.stat.nr_immediate, 1);
	ck_assert_uint_eq(s.stat.nr_writeback, 0);
	ck_assert_uint_eq(s.stat.nr_congested, 1);
	task->flags &= ~PF_KSWAPD;
	clear_bit_pgdat(page_pgdat(page), PGDAT_WRITEBACK);
	ClearPageWriteback(page);
	ClearPageReclaim(page);
	putback(&s.list);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_lazyfree)
{
	struct spl s;
	uint32_t id;
	struct page *page;
	struct region *r;
	unsigned long freed;

	spl_setup(&s, 16);
	id = make_region(s.f.e, RCL_REGION_ANON, NULL, 0, 1, 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, true), 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	unlock(s.f.e);
	ck_assert_int_eq(rcl_region_madvise(s.f.e, id, 0, 1, RCL_MADV_FREE), 0);
	lock(s.f.e);
	r = region_lookup(s.f.e, id);
	page = region_page(s.f.e, id, 0);
	ck_assert(!PageSwapBacked(page));
	ck_assert(!PageDirty(page));
	freed = vm_event_read(s.f.e, PGLAZYFREED);
	ck_assert_uint_eq(spl_run(&s, page), 1);
	/* Step 11 drops the clean lazyfree PTE; step 14 counts pglazyfreed; no swap used. */
	ck_assert_uint_eq(vm_event_read(s.f.e, PGLAZYFREED), freed + 1);
	ck_assert(pte_none(pte_get(r, 0)));
	ck_assert_uint_eq(r->swapents, 0);
	ck_assert_uint_eq(vm_event_read(s.f.e, PSWPOUT), 0);
	ck_assert_uint_eq(s.sc.nr_scanned, 1);	/* lazyfree: counted once although mapped */
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_clean_file_freed_with_shadow)
{
	struct spl s;
	uint32_t id;
	struct page *page;
	struct address_space *m;

	spl_setup(&s, 0);
	id = make_region(s.f.e, RCL_REGION_FILE, "clean", RCL_REGION_SHARED, 2, 0);
	/* No read-around: the fault brings in page 0 alone. */
	ck_assert_int_eq(rcl_region_madvise(s.f.e, id, 0, 2, RCL_MADV_RANDOM), 0);
	ck_assert_int_eq(rcl_region_touch(s.f.e, id, 0, 1, false), 0);
	lock(s.f.e);
	m = region_lookup(s.f.e, id)->file;
	unlock(s.f.e);
	ck_assert_int_eq(rcl_region_free(s.f.e, id), 0);	/* the page stays cached */
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = find_get_page(m, 0);
	ck_assert_ptr_nonnull(page);
	put_page(page);
	ck_assert(!page_mapped(page));
	/* Row 6 (RECLAIM_CLEAN) on a clean page: reclaimed like RECLAIM. */
	SetPageReferenced(page);
	ck_assert_uint_eq(m->nrpages, 1);
	ck_assert_uint_eq(spl_run(&s, page), 1);
	/* Step 14: __remove_mapping leaves workingset_eviction's shadow in the slot. */
	ck_assert(page_list_empty(&s.list));
	ck_assert(slot_is_shadow(page_cache_slot(m, 0)));
	ck_assert_uint_eq(m->nrpages, 0);
	ck_assert_uint_eq(m->nrexceptional, 1);
	ck_assert_uint_eq(s.sc.nr_scanned, 1);	/* unmapped: counted once */
	ck_assert_int_eq(root_lruvec(s.f.e)->inactive_age, 1);
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_spl_unevictable_activate_path)
{
	struct spl s;
	uint32_t id;
	struct page *page;

	spl_setup(&s, 16);
	id = make_region(s.f.e, RCL_REGION_ANON, NULL, RCL_REGION_LOCKED, 1, 0);
	lock(s.f.e);
	lru_add_drain(s.f.e);
	page = region_page(s.f.e, id, 0);
	ck_assert(PageUnevictable(page));
	ck_assert_uint_eq(spl_run(&s, page), 0);
	/* Step 3: activate_locked; mlocked pages are not activated; kept for putback. */
	ck_assert_ptr_eq(page_list_first(&s.list), page);
	ck_assert(!PageActive(page));
	ck_assert_uint_eq(s.stat.nr_activate, 0);
	ck_assert_uint_eq(s.sc.nr_scanned, 1);
	ck_assert(page_mapped(page));
	putback(&s.list);
	lru_add_drain(s.f.e);
	ck_assert(PageUnevictable(page));
	unlock(s.f.e);
	fixture_teardown(&s.f);
}
END_TEST

/* ---- the priority loop (spec 5.4) ------------------------------------------------------ */

static struct zonelist *zonelist0(struct rcl_engine *e)
{
	return &NODE_DATA(e, 0)->node_zonelists[ZONELIST_FALLBACK];
}

/* @n clean, unmapped, unreferenced file pages in the cache, charged to @memcg_id. */
static void cache_pages(struct rcl_engine *e, const char *path, unsigned long n,
			uint32_t memcg_id)
{
	uint32_t id = make_region(e, RCL_REGION_FILE, path, RCL_REGION_SHARED, n, memcg_id);

	ck_assert_int_eq(rcl_region_touch(e, id, 0, n, false), 0);
	ck_assert_int_eq(rcl_region_free(e, id), 0);
	lock(e);
	lru_add_drain(e);
	unlock(e);
}

START_TEST(test_priority_loop_stops_at_12)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	struct lruvec *lruvec;
	unsigned long real, fake, stall;

	fixture_setup(&f, 16, 0, 1);
	cache_pages(f.e, "p12", 64, 0);
	lock(f.e);
	lruvec = root_lruvec(f.e);
	real = lruvec_lru_size(lruvec, LRU_INACTIVE_FILE, ZN);
	ck_assert_uint_ge(real, 64);
	/* Pad the inactive file count to 32 << 12 so that priority 12 scans exactly 32:
	 * (32 * 4096) >> 12 = 32; the 32 oldest real pages are reclaimable. */
	fake = (32UL << DEF_PRIORITY) - real;
	fake_lru_size(lruvec, LRU_INACTIVE_FILE, ZN, (long)fake);
	stall = vm_event_read(f.e, ALLOCSTALL_NORMAL);
	ck_assert_uint_eq(do_try_to_free_pages(f.e, zonelist0(f.e), &sc), 32);
	/* Step 3c at the first pass: the loop broke before decrementing. */
	ck_assert_int_eq(sc.priority, DEF_PRIORITY);
	ck_assert_uint_eq(vm_event_read(f.e, ALLOCSTALL_NORMAL), stall + 1);
	ck_assert_uint_eq(vm_event_read(f.e, PGSTEAL_DIRECT), 32);
	fake_lru_size(lruvec, LRU_INACTIVE_FILE, ZN, -(long)fake);
	ck_assert_uint_eq(lruvec_lru_size(lruvec, LRU_INACTIVE_FILE, ZN), real - 32);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

struct hits {
	int critical;
};

static void on_pressure(void *arg, uint32_t memcg_id, enum rcl_pressure_level level)
{
	(void)memcg_id;
	if (level == RCL_PRESSURE_CRITICAL)
		((struct hits *)arg)->critical++;
}

START_TEST(test_priority_loop_all_passes)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	struct hits h = { 0 };

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_ge(rcl_pressure_listen(f.e, RCL_MEMCG_ROOT, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_DEFAULT, on_pressure, &h), 1);
	lock(f.e);
	sc.may_writepage = 0;	/* laptop mode */
	/* Nothing on any LRU: 13 passes, 12 down to 0, then the loop ends at -1. */
	ck_assert_uint_eq(do_try_to_free_pages(f.e, zonelist0(f.e), &sc), 0);
	ck_assert_int_eq(sc.priority, -1);
	/* Step 3e: below priority 10 writing is allowed even in laptop mode. */
	ck_assert(sc.may_writepage);
	ck_assert(!sc.memcg_low_reclaim);
	ck_assert_uint_eq(vm_event_read(f.e, ALLOCSTALL_NORMAL), 1);
	unlock(f.e);
	/* vmpressure_prio at priorities 3, 2, 1, 0: four critical windows on the root. */
	ck_assert_int_eq(h.critical, 4);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_priority_loop_low_skipped_retry)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	struct mem_cgroup *memcg;
	struct lruvec *lruvec;
	unsigned long real, fake;
	uint32_t g;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "prot", &g), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, g, RCL_MEMCG_LOW, 1 * MiB), 0);	/* 256 pages */
	cache_pages(f.e, "low", 64, g);
	lock(f.e);
	memcg = mem_cgroup_from_id(f.e, g);
	ck_assert_uint_eq(mem_cgroup_usage(memcg), 64);	/* 64 <= 256: memory.low protects it all */
	lruvec = mem_cgroup_lruvec(NODE_DATA(f.e, 0), memcg);
	real = lruvec_lru_size(lruvec, LRU_INACTIVE_FILE, ZN);
	ck_assert_uint_eq(real, 64);
	fake = (32UL << DEF_PRIORITY) - real;
	fake_lru_size(lruvec, LRU_INACTIVE_FILE, ZN, (long)fake);
	/* First run: the group is skipped at every priority (LOW, not yet low reclaim),
	 * nothing else is reclaimable; step 7 retries from priority 12 with memcg_low_reclaim:
	 * the first pass reclaims 32 and the group gets one MEMCG_LOW event. */
	ck_assert_uint_eq(do_try_to_free_pages(f.e, zonelist0(f.e), &sc), 32);
	ck_assert(sc.memcg_low_reclaim);
	ck_assert(!sc.memcg_low_skipped);
	ck_assert_int_eq(sc.priority, DEF_PRIORITY);
	ck_assert_uint_eq(memcg->events[MEMCG_LOW], 1);
	ck_assert_uint_eq(mem_cgroup_usage(memcg), 32);
	ck_assert_uint_eq(vm_event_read(f.e, ALLOCSTALL_NORMAL), 2);	/* retry: counted again */
	fake_lru_size(lruvec, LRU_INACTIVE_FILE, ZN, -(long)fake);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_priority_loop_min_never_reclaimed)
{
	struct fixture f;
	struct scan_control sc = direct_sc();
	struct mem_cgroup *memcg;
	uint32_t g;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "hard", &g), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, g, RCL_MEMCG_MIN, 1 * MiB), 0);
	cache_pages(f.e, "min", 64, g);
	lock(f.e);
	memcg = mem_cgroup_from_id(f.e, g);
	/* memory.min: skipped on every pass, no low-skipped retry: 0 after 13 passes. */
	ck_assert_uint_eq(do_try_to_free_pages(f.e, zonelist0(f.e), &sc), 0);
	ck_assert_int_eq(sc.priority, -1);
	ck_assert(!sc.memcg_low_reclaim);
	ck_assert_uint_eq(mem_cgroup_usage(memcg), 64);
	ck_assert_uint_eq(memcg->events[MEMCG_LOW], 0);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("vmscan");
	TCase *gsc = tcase_create("get_scan_count");
	TCase *adj = tcase_create("scan_adjust");
	TCase *low = tcase_create("inactive_list_is_low");
	TCase *ref = tcase_create("page_check_references");
	TCase *spl = tcase_create("shrink_page_list");
	TCase *loop = tcase_create("priority_loop");

	tcase_add_test(gsc, test_scan_file_without_swap);
	tcase_add_test(gsc, test_scan_file_may_swap_off);
	tcase_add_test(gsc, test_scan_file_limit_reclaim_swappiness_0);
	tcase_add_test(gsc, test_scan_file_swap_max_0);
	tcase_add_test(gsc, test_scan_equal_priority_0);
	tcase_add_test(gsc, test_scan_anon_file_below_high_wmark);
	tcase_add_test(gsc, test_scan_file_inactive_not_low);
	tcase_add_test(gsc, test_scan_fract_counts_and_ageing);
	tcase_add_test(gsc, test_scan_offline_memcg_scraped);
	suite_add_tcase(s, gsc);
	tcase_add_test(adj, test_scan_adjust_anon_smaller);
	tcase_add_test(adj, test_scan_adjust_file_smaller);
	tcase_add_test(adj, test_scan_adjust_equal_and_clamp);
	tcase_add_test(adj, test_scan_adjust_stop);
	suite_add_tcase(s, adj);
	tcase_add_test(low, test_inactive_ratio_values);
	tcase_add_test(low, test_inactive_list_is_low);
	tcase_add_test(low, test_inactive_anon_without_swap);
	suite_add_tcase(s, low);
	tcase_add_test(ref, test_page_check_references_rows);
	tcase_add_test(ref, test_page_check_references_all_combinations);
	suite_add_tcase(s, ref);
	tcase_add_test(spl, test_spl_activate_referenced);
	tcase_add_test(spl, test_spl_keep_page_locked);
	tcase_add_test(spl, test_spl_keep_locked_no_unmap);
	tcase_add_test(spl, test_spl_keep_locked_ref_keep);
	tcase_add_test(spl, test_spl_keep_locked_anon_without_io);
	tcase_add_test(spl, test_spl_swap_out_and_free);
	tcase_add_test(spl, test_spl_unmap_fail_mlocked);
	tcase_add_test(spl, test_spl_dirty_file_direct_immediate);
	tcase_add_test(spl, test_spl_kswapd_writes_dirty_file);
	tcase_add_test(spl, test_spl_kswapd_first_encounter_not_written);
	tcase_add_test(spl, test_spl_writeback_cases);
	tcase_add_test(spl, test_spl_lazyfree);
	tcase_add_test(spl, test_spl_clean_file_freed_with_shadow);
	tcase_add_test(spl, test_spl_unevictable_activate_path);
	suite_add_tcase(s, spl);
	tcase_add_test(loop, test_priority_loop_stops_at_12);
	tcase_add_test(loop, test_priority_loop_all_passes);
	tcase_add_test(loop, test_priority_loop_low_skipped_retry);
	tcase_add_test(loop, test_priority_loop_min_never_reclaimed);
	suite_add_tcase(s, loop);
	return s;
}
