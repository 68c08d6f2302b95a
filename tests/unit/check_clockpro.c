/*
 * check_clockpro - the rules of the CLOCK-Pro policy (lib/clockpro.c) on hand-worked traces,
 * through the real engine in-process: page cache reads in a memcg, with readahead off
 * (FADV_RANDOM) so that each miss is one page read.
 *
 * A memory of M pages, as in the paper's model: on a miss with M pages resident, the policy
 * frees exactly one page first (shrink_list with nr_to_reclaim 1, the switch reclaim takes),
 * then the page is read. The memcg has no limit, so no other reclaim runs.
 *
 * Notation of the hand traces: the clock from hand_hot (the tail) to the head; "3T" cold in
 * its test period, "0H" hot, "r" reference bit set, "n2" non-resident test page, "@7" its
 * position; m = M (the clock's size), m_c the cold target, starting at 1. A read sets the
 * page's bit; a new page enters cold without test period, a refaulting non-resident test page
 * enters cold in its test period (m_c + 1); hand_cold's first look at either consumes the
 * bit of the read that brought it in (test period starts / page turns hot).
 */
#include <errno.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"
#include "memcontrol.h"
#include "vmscan.h"

#define PAGE	4096ULL
#define M	4UL		/* the memory, in pages */

struct cp_fixture {
	struct fixture f;
	uint32_t memcg;
	enum rcl_reclaim_policy policy;
};

static void cp_setup(struct cp_fixture *t, enum rcl_reclaim_policy policy)
{
	struct rcl_config c;

	strcpy(t->f.dir, "/tmp/rcl-clockpro-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->f.dir));
	snprintf(t->f.data, sizeof(t->f.data), "%s/data", t->f.dir);
	ck_assert_int_eq(mkdir(t->f.data, 0700), 0);
	rcl_config_defaults(&c);
	c.arena_bytes = 16 * MiB;
	c.data_dir = t->f.data;
	c.reclaim_policy = policy;
	t->policy = policy;
	ck_assert_int_eq(rcl_engine_new(&c, &t->f.e), 0);
	ck_assert_int_eq(rcl_memcg_create(t->f.e, RCL_MEMCG_ROOT, "m", &t->memcg), 0);
	ck_assert_int_eq(rcl_file_create(t->f.e, "f", 64 * PAGE), 0);
	ck_assert_int_eq(rcl_file_fadvise(t->f.e, "f", 0, 0, RCL_FADV_RANDOM), 0);
}

static void cp_teardown(struct cp_fixture *t)
{
	fixture_teardown(&t->f);
}

/* The file lruvec of the test's memcg; caller holds mm_lock. */
static struct lruvec *cp_lruvec(struct cp_fixture *t)
{
	return mem_cgroup_lruvec(NODE_DATA(t->f.e, 0), mem_cgroup_from_id(t->f.e, t->memcg));
}

static bool cp_resident(struct cp_fixture *t, uint64_t p)
{
	struct address_space *mapping;
	struct page *page = NULL;
	int err = 0;

	mapping = file_open(t->f.e, "f", 0, false, &err);
	ck_assert_ptr_nonnull(mapping);
	page = find_get_page(mapping, (unsigned long)p);
	if (page)
		put_page(page);
	file_put(t->f.e, mapping);
	return page != NULL;
}

/* Free exactly one page of the memcg's file pages through the policy's switch. */
static void cp_evict_one(struct cp_fixture *t)
{
	struct lruvec *lruvec = cp_lruvec(t);
	struct mem_cgroup *memcg = mem_cgroup_from_id(t->f.e, t->memcg);
	struct scan_control sc = {
		.nr_to_reclaim = 1, .gfp_mask = GFP_KERNEL, .reclaim_idx = ZONE_NORMAL,
		.priority = 0, .may_writepage = 1, .may_unmap = 1, .may_swap = 1,
		.target_mem_cgroup = memcg,
	};
	unsigned long reclaimed = 0;
	int tries;

	/* Two-list takes one page per call from the inactive tail; CLOCK-Pro's hands find
	 * one within two laps. Either way a few calls are plenty. */
	for (tries = 0; tries < 16 && !reclaimed; tries++)
		reclaimed = shrink_list(LRU_INACTIVE_FILE, t->policy == RCL_RECLAIM_CLOCK_PRO ?
					4 * M + 4 : 1, lruvec, memcg, &sc);
	ck_assert_uint_eq(reclaimed, 1);
}

/* Access page @p: 1 for a miss, 0 for a hit. */
static int cp_access(struct cp_fixture *t, uint64_t p)
{
	char buf[PAGE];
	size_t got;
	bool resident;

	mm_lock(t->f.e);
	lru_add_drain(t->f.e);
	resident = cp_resident(t, p);
	if (!resident && lruvec_lru_size(cp_lruvec(t), LRU_INACTIVE_FILE, MAX_NR_ZONES) +
			 lruvec_lru_size(cp_lruvec(t), LRU_ACTIVE_FILE, MAX_NR_ZONES) >= M)
		cp_evict_one(t);
	mm_unlock(t->f.e);
	ck_assert_int_eq(rcl_file_read_memcg(t->f.e, "f", t->memcg, p * PAGE, buf, PAGE, &got), 0);
	ck_assert_uint_eq(got, PAGE);
	return resident ? 0 : 1;
}

static unsigned long cp_cold_target(struct cp_fixture *t)
{
	unsigned long mc;

	mm_lock(t->f.e);
	mc = cp_lruvec(t)->clockpro[1].cold_target;
	mm_unlock(t->f.e);
	return mc;
}

static unsigned long cp_nr_hot(struct cp_fixture *t)
{
	unsigned long hot;

	mm_lock(t->f.e);
	hot = cp_lruvec(t)->clockpro[1].nr_hot;
	mm_unlock(t->f.e);
	return hot;
}

/* Passes over pages [0, @n): each pass's misses into @misses. */
static void cp_loop(struct cp_fixture *t, uint64_t n, int passes, int *misses)
{
	uint64_t p;
	int i;

	for (i = 0; i < passes; i++) {
		misses[i] = 0;
		for (p = 0; p < n; p++)
			misses[i] += cp_access(t, p);
	}
}

/*
 * A loop over M + 1 = 5 pages, five passes.
 *
 * Exact LRU: each access is to the page used longest ago, the one evicted last: all miss,
 * 5 a pass. The two-list policy without refault detection is exact LRU here (no page is read
 * twice while resident, so none is ever activated).
 *
 * CLOCK-Pro, by hand ("evicts" is hand_cold freeing the one page before the read):
 * pass 0: 0 1 2 3 fill. 4: hand_cold meets 0r 1r 2r 3r, starts their test periods, each to
 *   the head; meets 0T unreferenced and evicts it: n0@5. 5 misses.
 * pass 1: 0: evicts 1T (n1); the read finds n0 in test: m_c 2, 0 enters T. 1: evicts 2T
 *   (n2), n1 hit, m_c 3. 2: evicts 3T (n3), n2 hit, m_c 4. 3: clock 4r 0Tr 1Tr 2Tr [n3]:
 *   4r starts its test; 0Tr turns hot, hand_hot (1 hot > m - m_c = 0) expires n3, m_c 3;
 *   1Tr turns hot, hand_hot (2 > 1) passes 2Tr, which ends its test, m_c 2; hand_cold
 *   evicts 4T (n4); 3 had expired, it enters new. 4: hand_cold passes 0H 1H, starts 2's and
 *   3's tests, evicts 2T (n2@18); n4 hit, m_c 3. 5 misses; m_c 3, 2 hot.
 * pass 2: clock 0H 1H 3T 4Tr, n2@18. 0 1 hit. 2: hand_hot (2 > 4 - 3) keeps 0 and 1 hot
 *   (referenced), expires n2 (m_c 2); hand_cold evicts 3T (n3); 2 enters new. 3: hand_cold
 *   makes 4Tr hot, hand_hot (3 > 2) expires n3 (m_c 1); hand_cold passes 0H 1H, starts 2's
 *   test, passes 4H, evicts 2T (n2). 4 hits. 2 misses; m_c 1, 3 hot.
 * pass 3: 0 1 hit. 2: hand_cold starts 3's test and evicts it (n3); n2 hit, m_c 2.
 *   3: hand_hot (3 > 2) keeps 0 1 4 (referenced), expires n3 (m_c 1); hand_cold makes 2Tr
 *   hot, hand_hot (4 > 3) demotes 0 (not referenced since its last pass); hand_cold passes
 *   1H 4H 2H and evicts 0 (cold, out of test: no test page left). 4 hits. 2 misses; m_c 1,
 *   3 hot.
 * pass 4: 0: hand_cold starts 3's test and evicts it (n3); 0 enters new. 1 2 hit. 3:
 *   hand_cold starts 0's test and evicts it (n0); n3 hit, m_c 2. 4 hits. 2 misses; m_c 2,
 *   3 hot.
 * Misses 5 5 2 2 2 (CLOCK-Pro keeps 3 of the 5 pages), LRU 5 5 5 5 5. m_c grew on the test
 * hits of pass 1 and 4 and shrank as hand_hot ended test periods in passes 1 to 3.
 */
START_TEST(test_loop_one_page_longer_than_memory)
{
	static const int lru_expect[5] = { 5, 5, 5, 5, 5 };
	static const int cp_expect[5] = { 5, 5, 2, 2, 2 };
	static const unsigned long mc_expect[5] = { 1, 3, 1, 1, 2 };
	static const unsigned long hot_expect[5] = { 0, 2, 3, 3, 3 };
	struct cp_fixture lru, cp;
	int misses[5], i;

	cp_setup(&lru, RCL_RECLAIM_TWO_LIST);
	ck_assert_int_eq(rcl_tunable_set(lru.f.e, RCL_TUNABLE_WORKINGSET, 0), 0);
	cp_loop(&lru, M + 1, 5, misses);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(misses[i], lru_expect[i]);
	cp_teardown(&lru);

	cp_setup(&cp, RCL_RECLAIM_CLOCK_PRO);
	for (i = 0; i < 5; i++) {
		cp_loop(&cp, M + 1, 1, &misses[i]);
		printf("# pass %d: %d misses, m_c %lu, %lu hot\n", i, misses[i],
		       cp_cold_target(&cp), cp_nr_hot(&cp));
		ck_assert_int_eq(misses[i], cp_expect[i]);
		ck_assert_uint_eq(cp_cold_target(&cp), mc_expect[i]);
		ck_assert_uint_eq(cp_nr_hot(&cp), hot_expect[i]);
	}
	cp_teardown(&cp);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("clockpro");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_loop_one_page_longer_than_memory);
	suite_add_tcase(s, tc);
	return s;
}
