/*
 * check_page_alloc - the buddy allocator, watermarks, zonelists and per-thread lists.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "check-main.h"
#include "internal.h"

#define MiB (1ULL << 20)

static struct rcl_engine *make_engine(uint64_t bytes, unsigned int nodes, uint64_t dma32)
{
	struct rcl_config c;
	struct rcl_engine *e = NULL;

	rcl_config_defaults(&c);
	c.arena_bytes = bytes;
	c.nr_nodes = nodes;
	c.dma32_bytes = dma32;
	ck_assert_int_eq(rcl_engine_new(&c, &e), 0);
	return e;
}

static struct zone *normal_zone(struct rcl_engine *e, int nid)
{
	return &NODE_DATA(e, nid)->node_zones[ZONE_NORMAL];
}

static void assert_zone_consistent(struct zone *zone)
{
	char why[160] = "";

	ck_assert_msg(zone_check_consistency(zone, why, sizeof(why)) == 0, "%s", why);
}

/* Every frame free again, and every free block merged back to the largest order. */
static void assert_fully_merged(struct zone *zone)
{
	unsigned int order;

	assert_zone_consistent(zone);
	ck_assert_uint_eq(zone_page_state(zone, NR_FREE_PAGES), zone->managed_pages);
	for (order = 0; order < MAX_ORDER - 1; order++)
		ck_assert_msg(zone->free_area[order].nr_free == 0, "order %u has %lu blocks", order,
			      zone->free_area[order].nr_free);
	ck_assert_uint_eq(zone->free_area[MAX_ORDER - 1].nr_free,
			  zone->managed_pages / MAX_ORDER_NR_PAGES);
}

/* ---- buddy split and merge -------------------------------------------------------------- */

START_TEST(test_buddy_split_one_page)
{
	struct rcl_engine *e = make_engine(16 * MiB, 1, 0);
	struct zone *zone = normal_zone(e, 0);
	struct page *page;
	unsigned int order;

	page = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
	ck_assert_ptr_nonnull(page);
	/* One order-10 block was split: one free block at every order 0..9 remains. */
	for (order = 0; order < MAX_ORDER - 1; order++)
		ck_assert_uint_eq(zone->free_area[order].nr_free, 1);
	ck_assert_uint_eq(zone->free_area[MAX_ORDER - 1].nr_free, 3);
	ck_assert_uint_eq(zone_page_state(zone, NR_FREE_PAGES), 4095);
	/* The lower half is kept: the first frame of the zone. */
	ck_assert_uint_eq(page_to_pfn(page), 0);
	ck_assert_int_eq(page_ref_count(page), 1);
	assert_zone_consistent(zone);

	__free_pages(page, 0);
	assert_fully_merged(zone);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_buddy_merge_needs_both_buddies)
{
	struct rcl_engine *e = make_engine(16 * MiB, 1, 0);
	struct zone *zone = normal_zone(e, 0);
	struct page *a = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 3);
	struct page *b = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 3);

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	/* b is a's buddy: the upper half of the order-4 block a was split from. */
	ck_assert_uint_eq(page_to_pfn(b), page_to_pfn(a) ^ 8);
	__free_pages(a, 3);
	/* a cannot merge while b is allocated: it stays an order-3 block. */
	ck_assert_uint_eq(zone->free_area[3].nr_free, 1);
	ck_assert_ptr_eq(page_list_first(&zone->free_area[3].free_list[MIGRATE_MOVABLE]), a);
	__free_pages(b, 3);
	assert_fully_merged(zone);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_buddy_max_order)
{
	struct rcl_engine *e = make_engine(16 * MiB, 1, 0);
	struct page *p[4];
	int i;

	ck_assert_ptr_null(alloc_pages_node(e, 0, GFP_KERNEL, MAX_ORDER));
	for (i = 0; i < 4; i++) {
		p[i] = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE | __GFP_MEMALLOC, MAX_ORDER - 1);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq(page_to_pfn(p[i]) % MAX_ORDER_NR_PAGES, 0);
	}
	/* 16 MiB is four order-10 blocks: nothing is left, even for the entitled. */
	ck_assert_ptr_null(alloc_pages_node(e, 0, GFP_KERNEL | __GFP_MEMALLOC, 0));
	for (i = 0; i < 4; i++)
		__free_pages(p[i], MAX_ORDER - 1);
	assert_fully_merged(normal_zone(e, 0));
	rcl_engine_free(e);
}
END_TEST

struct held {
	struct page *page;
	unsigned int order;
};

static unsigned int random_order(unsigned int *seed)
{
	unsigned int r = (unsigned int)rand_r(seed) % 100;

	if (r < 70)
		return 0;
	if (r < 90)
		return 1 + (unsigned int)rand_r(seed) % 3;
	return 4 + (unsigned int)rand_r(seed) % (MAX_ORDER - 4);
}

static gfp_t random_gfp(unsigned int *seed)
{
	static const gfp_t gfps[] = {
		GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_KERNEL | __GFP_RECLAIMABLE,
		GFP_ATOMIC, GFP_HIGHUSER_MOVABLE | __GFP_MEMALLOC,
	};

	return gfps[(unsigned int)rand_r(seed) % (sizeof(gfps) / sizeof(gfps[0]))];
}

static unsigned long pcp_pages(struct rcl_engine *e)
{
	struct task_struct *t;
	unsigned long sum = 0;
	size_t i;

	for (t = e->tasks; t; t = t->next)
		for (i = 0; i < MAX_NUMNODES * MAX_NR_ZONES; i++)
			sum += (unsigned long)t->pcp[i].count;
	return sum;
}

/*
 * Long random sequences of allocations and frees of every order and type, on two nodes, with
 * and without per-thread lists: free + allocated + cached always equals the arena, every free
 * list stays consistent, and at the end everything merges back to order 10.
 */
static void random_alloc_free(bool attach, unsigned int seed)
{
	struct rcl_engine *e = make_engine(64 * MiB, 2, 0);
	enum { NR_HELD = 4096, NR_OPS = 150000 };
	struct held *held = calloc(NR_HELD, sizeof(*held));
	unsigned long allocated = 0, failures = 0, successes = 0;
	int nr = 0, op, nid;

	ck_assert_ptr_nonnull(held);
	if (attach)
		ck_assert_int_eq(rcl_thread_attach(e), 0);

	for (op = 0; op < NR_OPS; op++) {
		bool do_alloc = nr == 0 || (nr < NR_HELD && rand_r(&seed) % 100 < 55);

		if (do_alloc) {
			unsigned int order = random_order(&seed);
			int pref = rand_r(&seed) % 2;
			struct page *p = alloc_pages_node(e, pref, random_gfp(&seed), order);

			if (!p) {
				failures++;
				continue;
			}
			successes++;
			held[nr++] = (struct held){ p, order };
			allocated += 1UL << order;
		} else {
			int i = rand_r(&seed) % nr;

			__free_pages(held[i].page, held[i].order);
			allocated -= 1UL << held[i].order;
			held[i] = held[--nr];
		}
		if (op % 5000 == 0) {
			for (nid = 0; nid < 2; nid++)
				assert_zone_consistent(normal_zone(e, nid));
			ck_assert_uint_eq(global_zone_page_state(e, NR_FREE_PAGES) + allocated +
					  pcp_pages(e), e->nr_frames);
		}
	}
	/* The sequence must really have exercised both outcomes. */
	ck_assert_uint_gt(successes, NR_OPS / 4);
	ck_assert_uint_gt(failures, 0);

	while (nr > 0) {
		nr--;
		__free_pages(held[nr].page, held[nr].order);
	}
	drain_all_pages(e, NULL);
	for (nid = 0; nid < 2; nid++)
		assert_fully_merged(normal_zone(e, nid));
	free(held);
	rcl_engine_free(e);
}

START_TEST(test_buddy_random_sequences_buddy_only)
{
	random_alloc_free(false, 12345u + (unsigned int)_i);
}
END_TEST

START_TEST(test_buddy_random_sequences_with_pcp)
{
	random_alloc_free(true, 777u + (unsigned int)_i);
}
END_TEST

/* ---- migratetype fallbacks -------------------------------------------------------------- */

START_TEST(test_fallback_unmovable_claims_pageblock)
{
	struct rcl_engine *e = make_engine(16 * MiB, 1, 0);
	struct zone *zone = normal_zone(e, 0);
	struct page *a, *b;

	/* Every pageblock starts movable: an unmovable request must steal. It takes the largest
	 * block (order 10 = two pageblocks) and relabels both pageblocks for itself. */
	a = alloc_pages_node(e, 0, GFP_KERNEL, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(get_pageblock_migratetype(a), MIGRATE_UNMOVABLE);
	ck_assert_int_eq(get_pageblock_migratetype(a + pageblock_nr_pages), MIGRATE_UNMOVABLE);
	/* The split remainders now sit on the unmovable lists. */
	ck_assert(!page_list_empty(&zone->free_area[9].free_list[MIGRATE_UNMOVABLE]));
	ck_assert_uint_eq(zone->free_area[MAX_ORDER - 1].nr_free, 3);

	/* The next unmovable page comes from the claimed block without another steal. */
	b = alloc_pages_node(e, 0, GFP_KERNEL, 0);
	ck_assert_uint_eq(page_to_pfn(b), page_to_pfn(a) + 1);
	ck_assert_uint_eq(zone->free_area[MAX_ORDER - 1].nr_free, 3);

	/* A movable request is served from movable blocks, not from the claimed one. */
	ck_assert_int_eq(get_pageblock_migratetype(alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0)),
			 MIGRATE_MOVABLE);
	assert_zone_consistent(zone);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_fallback_searches_largest_order_first)
{
	struct rcl_engine *e = make_engine(16 * MiB, 1, 0);
	struct zone *zone = normal_zone(e, 0);
	struct page *r, *u;

	/* Claim pageblocks for reclaimable allocations first. */
	r = alloc_pages_node(e, 0, GFP_KERNEL | __GFP_RECLAIMABLE, 0);
	ck_assert_int_eq(get_pageblock_migratetype(r), MIGRATE_RECLAIMABLE);
	ck_assert(!page_list_empty(&zone->free_area[9].free_list[MIGRATE_RECLAIMABLE]));
	/* Unmovable would prefer reclaimable within one order, but the orders are walked from
	 * the top: the order-10 movable blocks come before the order-9 reclaimable one. */
	u = alloc_pages_node(e, 0, GFP_KERNEL, 0);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(get_pageblock_migratetype(u), MIGRATE_UNMOVABLE);
	ck_assert_uint_eq(page_to_pfn(u) / MAX_ORDER_NR_PAGES, 1);
	ck_assert_int_eq(get_pageblock_migratetype(r), MIGRATE_RECLAIMABLE);
	assert_zone_consistent(zone);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_fallback_movable_claims_large_blocks)
{
	struct rcl_engine *e = make_engine(16 * MiB, 1, 0);
	struct page *all[4], *m;
	int i;

	/* Turn the whole zone unmovable, then free it again as unmovable order-10 blocks. */
	for (i = 0; i < 4; i++) {
		all[i] = alloc_pages_node(e, 0, GFP_KERNEL | __GFP_MEMALLOC, MAX_ORDER - 1);
		ck_assert_ptr_nonnull(all[i]);
	}
	for (i = 0; i < 4; i++)
		__free_pages(all[i], MAX_ORDER - 1);
	ck_assert_uint_eq(normal_zone(e, 0)->free_area[MAX_ORDER - 1].nr_free, 4);
	ck_assert(!page_list_empty(&normal_zone(e, 0)->free_area[MAX_ORDER - 1]
				   .free_list[MIGRATE_UNMOVABLE]));
	/* A block of at least a pageblock may be claimed whole: the movable request relabels. */
	m = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
	ck_assert_int_eq(get_pageblock_migratetype(m), MIGRATE_MOVABLE);
	ck_assert_uint_eq(page_to_pfn(m) % MAX_ORDER_NR_PAGES, 0);
	assert_zone_consistent(normal_zone(e, 0));
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_fallback_movable_takes_smallest_when_it_cannot_claim)
{
	struct rcl_engine *e = make_engine(16 * MiB, 1, 0);
	struct zone *zone = normal_zone(e, 0);
	unsigned long n = zone->managed_pages, i;
	struct page **pages = calloc(n, sizeof(*pages));
	struct page *m;

	/* Fill the zone with unmovable pages: every pageblock is claimed unmovable. */
	for (i = 0; i < n; i++) {
		pages[i] = alloc_pages_node(e, 0, GFP_KERNEL | __GFP_MEMALLOC, 0);
		ck_assert_ptr_nonnull(pages[i]);
	}
	for (i = 0; i < n; i += pageblock_nr_pages)
		ck_assert_int_eq(get_pageblock_migratetype(pfn_to_page(e, i)), MIGRATE_UNMOVABLE);
	/* Free blocks left: frames 0-3 (order 2) and frame 9 (order 0, its buddy 8 is held). */
	for (i = 0; i < 4; i++)
		__free_pages(pfn_to_page(e, i), 0);
	__free_pages(pfn_to_page(e, 9), 0);
	ck_assert_uint_eq(zone->free_area[2].nr_free, 1);
	ck_assert_uint_eq(zone->free_area[0].nr_free, 1);

	/* An order-2 unmovable block is too small to claim for a movable request (below
	 * pageblock_order / 2): rather than splitting it, the smallest fallback is taken. */
	m = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE | __GFP_MEMALLOC, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(page_to_pfn(m), 9);
	ck_assert_int_eq(get_pageblock_migratetype(m), MIGRATE_UNMOVABLE);
	ck_assert_uint_eq(zone->free_area[2].nr_free, 1);
	assert_zone_consistent(zone);
	free(pages);
	rcl_engine_free(e);
}
END_TEST

/* ---- watermarks ------------------------------------------------------------------------- */

START_TEST(test_watermarks_64m_zone)
{
	/* 16384 pages: lowmem 65536 KiB, min_free_kbytes = int_sqrt(65536 * 16) = 1024,
	 * pages_min = 256; gap = max(256 / 4, 16384 * 10 / 10000) = max(64, 16) = 64. */
	struct rcl_engine *e = make_engine(64 * MiB, 1, 0);
	struct zone *z = normal_zone(e, 0);

	ck_assert_int_eq(e->min_free_kbytes, 1024);
	ck_assert_uint_eq(min_wmark_pages(z), 256);
	ck_assert_uint_eq(low_wmark_pages(z), 320);
	ck_assert_uint_eq(high_wmark_pages(z), 384);
	ck_assert_uint_eq(e->totalreserve_pages, 384);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_watermarks_1g_zone)
{
	/* 262144 pages: lowmem 1048576 KiB -> min_free_kbytes 4096 (spec: 1 GiB -> 4096 KiB),
	 * pages_min 1024; gap = max(256, 262144 * 10 / 10000 = 262) = 262. */
	struct rcl_engine *e = make_engine(1024 * MiB, 1, 0);
	struct zone *z = normal_zone(e, 0);

	ck_assert_int_eq(e->min_free_kbytes, 4096);
	ck_assert_uint_eq(min_wmark_pages(z), 1024);
	ck_assert_uint_eq(low_wmark_pages(z), 1286);
	ck_assert_uint_eq(high_wmark_pages(z), 1548);

	/* watermark_scale_factor 1000 (10 %): gap = max(256, 26214). */
	ck_assert_int_eq(rcl_set_watermark_scale_factor(e, 1000), 0);
	ck_assert_uint_eq(min_wmark_pages(z), 1024);
	ck_assert_uint_eq(low_wmark_pages(z), 1024 + 26214);
	ck_assert_uint_eq(high_wmark_pages(z), 1024 + 2 * 26214);
	ck_assert_int_eq(rcl_set_watermark_scale_factor(e, 0), -EINVAL);
	ck_assert_int_eq(rcl_set_watermark_scale_factor(e, 1001), -EINVAL);
	ck_assert_uint_eq(low_wmark_pages(z), 1024 + 26214);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_watermarks_split_by_zone_size)
{
	/* 64 MiB with a 16 MiB DMA32 zone: pages_min 256 split 4096 : 12288.
	 * DMA32: min 64, gap max(16, 4) = 16. Normal: min 192, gap max(48, 12) = 48.
	 * lowmem_reserve: DMA32 keeps 12288 / 256 = 48 pages from Normal-class allocations. */
	struct rcl_engine *e = make_engine(64 * MiB, 1, 16 * MiB);
	struct zone *dma = &NODE_DATA(e, 0)->node_zones[ZONE_DMA32];
	struct zone *z = normal_zone(e, 0);

	ck_assert_uint_eq(dma->managed_pages, 4096);
	ck_assert_uint_eq(z->managed_pages, 12288);
	ck_assert_uint_eq(min_wmark_pages(dma), 64);
	ck_assert_uint_eq(low_wmark_pages(dma), 80);
	ck_assert_uint_eq(high_wmark_pages(dma), 96);
	ck_assert_uint_eq(min_wmark_pages(z), 192);
	ck_assert_uint_eq(low_wmark_pages(z), 240);
	ck_assert_uint_eq(high_wmark_pages(z), 288);
	ck_assert_int_eq(dma->lowmem_reserve[ZONE_DMA32], 0);
	ck_assert_int_eq(dma->lowmem_reserve[ZONE_NORMAL], 48);
	ck_assert_int_eq(z->lowmem_reserve[ZONE_NORMAL], 0);
	/* totalreserve: DMA32 48 + 96, Normal 288. */
	ck_assert_uint_eq(e->totalreserve_pages, 48 + 96 + 288);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_watermarks_admin_min_free_kbytes)
{
	struct rcl_config c;
	struct rcl_engine *e = NULL;
	struct zone *z;

	rcl_config_defaults(&c);
	c.arena_bytes = 64 * MiB;
	c.min_free_kbytes = 8192;	/* larger than the computed 1024: it wins */
	ck_assert_int_eq(rcl_engine_new(&c, &e), 0);
	z = normal_zone(e, 0);
	ck_assert_int_eq(e->min_free_kbytes, 8192);
	ck_assert_uint_eq(min_wmark_pages(z), 2048);
	ck_assert_uint_eq(low_wmark_pages(z), 2048 + 512);
	ck_assert_uint_eq(high_wmark_pages(z), 2048 + 1024);
	/* Run-time change; a min above the arena is refused and changes nothing. */
	ck_assert_int_eq(rcl_set_min_free_kbytes(e, 64 * 1024 * 4), -EINVAL);
	ck_assert_uint_eq(min_wmark_pages(z), 2048);
	ck_assert_int_eq(rcl_set_min_free_kbytes(e, 2048), 0);
	ck_assert_uint_eq(min_wmark_pages(z), 512);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_min_free_kbytes_clamps)
{
	/* 16 MiB: int_sqrt(16384 * 16) = 512 KiB; 4 MiB: int_sqrt(4096 * 16) = 256 KiB. */
	struct rcl_engine *e = make_engine(16 * MiB, 1, 0);

	ck_assert_int_eq(e->min_free_kbytes, 512);
	rcl_engine_free(e);
	e = make_engine(4 * MiB, 1, 0);
	ck_assert_int_eq(e->min_free_kbytes, 256);
	rcl_engine_free(e);
	/* The spec's examples, and both clamps, on the formula itself. */
	ck_assert_int_eq(calculate_min_free_kbytes(1UL << 20, 0), 4096);	/* 1 GiB */
	ck_assert_int_eq(calculate_min_free_kbytes(16UL << 20, 0), 16384);	/* 16 GiB */
	ck_assert_int_eq(calculate_min_free_kbytes(256UL << 20, 0), 65536);	/* 256 GiB */
	ck_assert_int_eq(calculate_min_free_kbytes(1UL << 30, 0), 65536);	/* 1 TiB: clamped */
	ck_assert_int_eq(calculate_min_free_kbytes(512, 0), 128);		/* 90 -> 128 */
	/* An administrator's larger value stands; a smaller one loses to the formula. */
	ck_assert_int_eq(calculate_min_free_kbytes(1UL << 20, 8192), 8192);
	ck_assert_int_eq(calculate_min_free_kbytes(1UL << 20, 1024), 4096);
}
END_TEST

START_TEST(test_int_sqrt)
{
	unsigned long x;

	for (x = 0; x < 200000; x++) {
		unsigned long r = int_sqrt(x);

		ck_assert_msg(r * r <= x && (r + 1) * (r + 1) > x, "int_sqrt(%lu) = %lu", x, r);
	}
	ck_assert_uint_eq(int_sqrt(1UL << 62), 1UL << 31);
	ck_assert_uint_eq(int_sqrt(~0UL), 4294967295UL);
}
END_TEST

START_TEST(test_zone_watermark_ok_arithmetic)
{
	struct rcl_engine *e = make_engine(64 * MiB, 1, 0);
	struct zone *z = normal_zone(e, 0);

	/* Order 0, mark 100: strictly above is required. */
	ck_assert(__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, 0, 101));
	ck_assert(!__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, 0, 100));
	/* ALLOC_HIGH halves the mark. */
	ck_assert(__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_HIGH, 51));
	ck_assert(!__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_HIGH, 50));
	/* GFP_ATOMIC: HIGH then HARDER: 100 - 50 = 50, 50 - 12 = 38. */
	ck_assert(__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_HIGH | ALLOC_HARDER, 39));
	ck_assert(!__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_HIGH | ALLOC_HARDER, 38));
	/* HARDER alone: 100 - 25 = 75. OOM: 100 - 50 = 50. */
	ck_assert(__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_HARDER, 76));
	ck_assert(!__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_HARDER, 75));
	ck_assert(__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_OOM, 51));
	ck_assert(!__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_OOM, 50));
	/* The highatomic reserve does not count for ordinary allocations, does for HARDER. */
	z->nr_reserved_highatomic = 10;
	ck_assert(__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, 0, 111));
	ck_assert(!__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, 0, 110));
	ck_assert(__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_HARDER, 76));
	z->nr_reserved_highatomic = 0;
	/* lowmem_reserve of the class zone adds to the mark. */
	z->lowmem_reserve[ZONE_NORMAL] = 20;
	ck_assert(!__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, 0, 120));
	ck_assert(__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, 0, 121));
	z->lowmem_reserve[ZONE_NORMAL] = 0;
	/* Order 3 first subtracts 2^3 - 1 = 7 pages that the block itself will use. */
	ck_assert(__zone_watermark_ok(z, 3, 100, ZONE_NORMAL, 0, 108));
	ck_assert(!__zone_watermark_ok(z, 3, 100, ZONE_NORMAL, 0, 107));
	rcl_engine_free(e);
}
END_TEST

/*
 * Orders above 0 need a free block of at least that order, however many pages are free:
 * fragment a zone into isolated free pages and watch the order check decide.
 */
START_TEST(test_zone_watermark_ok_orders)
{
	struct rcl_engine *e = make_engine(16 * MiB, 1, 0);
	struct zone *z = normal_zone(e, 0);
	unsigned long n = z->managed_pages, i, mark = min_wmark_pages(z);
	struct page **pages = calloc(n, sizeof(*pages));

	for (i = 0; i < n; i++) {
		pages[i] = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE | __GFP_MEMALLOC, 0);
		ck_assert_ptr_nonnull(pages[i]);
	}
	ck_assert_uint_eq(zone_page_state(z, NR_FREE_PAGES), 0);
	/* Free every other frame: half the zone free, yet no two free frames are buddies. */
	for (i = 0; i < n; i += 2)
		__free_pages(pages[i], 0);
	ck_assert_uint_eq(zone_page_state(z, NR_FREE_PAGES), n / 2);
	ck_assert_uint_gt(n / 2, mark + 8);
	ck_assert(zone_watermark_ok(z, 0, mark, ZONE_NORMAL, 0));
	ck_assert(!zone_watermark_ok(z, 1, mark, ZONE_NORMAL, 0));
	ck_assert(!zone_watermark_ok(z, 3, mark, ZONE_NORMAL, 0));
	ck_assert_ptr_null(alloc_pages_node(e, 0, GFP_KERNEL, 1));

	/* Free frames 1 and 3: 0..3 merge into one order-2 block. */
	__free_pages(pages[1], 0);
	__free_pages(pages[3], 0);
	ck_assert_uint_eq(z->free_area[2].nr_free, 1);
	ck_assert(zone_watermark_ok(z, 1, mark, ZONE_NORMAL, 0));
	ck_assert(zone_watermark_ok(z, 2, mark, ZONE_NORMAL, 0));
	ck_assert(!zone_watermark_ok(z, 3, mark, ZONE_NORMAL, 0));
	/* A mark above the free count fails every order, block or not. */
	ck_assert(!zone_watermark_ok(z, 2, n, ZONE_NORMAL, 0));

	for (i = 5; i < n; i += 2)
		__free_pages(pages[i], 0);
	assert_fully_merged(z);
	free(pages);
	rcl_engine_free(e);
}
END_TEST

/* ---- zonelists -------------------------------------------------------------------------- */

START_TEST(test_zonelist_order)
{
	struct rcl_engine *e = make_engine(48 * MiB, 3, 0);
	struct zonelist *zl = &NODE_DATA(e, 1)->node_zonelists[ZONELIST_FALLBACK];
	struct zonelist *nf = &NODE_DATA(e, 1)->node_zonelists[ZONELIST_NOFALLBACK];

	ck_assert_ptr_eq(zl->_zonerefs[0].zone, normal_zone(e, 1));
	ck_assert_ptr_eq(zl->_zonerefs[1].zone, normal_zone(e, 2));
	ck_assert_ptr_eq(zl->_zonerefs[2].zone, normal_zone(e, 0));
	ck_assert_ptr_null(zl->_zonerefs[3].zone);
	ck_assert_ptr_eq(nf->_zonerefs[0].zone, normal_zone(e, 1));
	ck_assert_ptr_null(nf->_zonerefs[1].zone);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_zonelist_falls_back_to_other_node)
{
	struct rcl_engine *e = make_engine(32 * MiB, 2, 0);
	struct zone *z0 = normal_zone(e, 0), *z1 = normal_zone(e, 1);
	unsigned long i, from0 = 0;
	struct page *p;
	nodemask_t only1 = { 0 };

	/* Node 0 serves node-0 requests until its low watermark, then node 1 takes over. */
	for (i = 0; i < z0->managed_pages; i++) {
		p = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
		ck_assert_ptr_nonnull(p);
		if (page_node_id(p) != 0)
			break;
		from0++;
	}
	ck_assert_int_eq(page_node_id(p), 1);
	ck_assert_uint_eq(from0, z0->managed_pages - low_wmark_pages(z0));
	ck_assert_uint_eq(zone_page_state(z0, NR_FREE_PAGES), low_wmark_pages(z0));

	/* __GFP_THISNODE forbids the fallback: the fast path fails at low, the slow path may
	 * go down to min, and then nothing. */
	for (i = 0; i < low_wmark_pages(z0) - min_wmark_pages(z0); i++) {
		p = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE | __GFP_THISNODE, 0);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(page_node_id(p), 0);
	}
	ck_assert_ptr_null(alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE | __GFP_THISNODE, 0));

	/* A nodemask restricts the walk whatever the preferred node. */
	node_set(1, &only1);
	p = __alloc_pages_nodemask(e, GFP_HIGHUSER_MOVABLE, 0, 0, &only1);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(page_node_id(p), 1);
	ck_assert_uint_lt(zone_page_state(z1, NR_FREE_PAGES), z1->managed_pages);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_zonelist_dma32_class_and_reserve)
{
	struct rcl_engine *e = make_engine(32 * MiB, 1, 8 * MiB);
	struct zone *dma = &NODE_DATA(e, 0)->node_zones[ZONE_DMA32];
	struct zone *z = normal_zone(e, 0);
	unsigned long i, got_dma = 0;
	struct page *p;

	/* A DMA32 request never gets a Normal page. */
	p = alloc_pages_node(e, 0, GFP_KERNEL | __GFP_DMA32, 0);
	ck_assert_int_eq(page_zonenum(p), ZONE_DMA32);
	__free_pages(p, 0);

	/* Normal-class requests spill into DMA32 only down to low + lowmem_reserve[NORMAL]. */
	for (i = 0; i < z->managed_pages + dma->managed_pages; i++) {
		p = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
		if (!p)
			break;
		if (page_zonenum(p) == ZONE_DMA32)
			got_dma++;
	}
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(zone_page_state(z, NR_FREE_PAGES), min_wmark_pages(z));
	ck_assert_uint_gt(got_dma, 0);
	/* The slow path stops DMA32 at min + reserve for a Normal-class request. */
	ck_assert_uint_eq(zone_page_state(dma, NR_FREE_PAGES),
			  min_wmark_pages(dma) + (unsigned long)dma->lowmem_reserve[ZONE_NORMAL]);
	/* ...which a DMA32-class request may still use, down to its own min. */
	p = alloc_pages_node(e, 0, GFP_KERNEL | __GFP_DMA32, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(page_zonenum(p), ZONE_DMA32);
	rcl_engine_free(e);
}
END_TEST

/* ---- per-thread lists ------------------------------------------------------------------- */

START_TEST(test_pcp_batch_sizes)
{
	struct rcl_engine *e;
	static const struct { uint64_t bytes; int batch, high; } cases[] = {
		{ 16 * MiB, 1, 0 },	/* 4096 / 1024 / 4 = 1 -> 2^0 - 1 = 0: stored as 1, high 0 */
		{ 64 * MiB, 3, 18 },	/* 16 / 4 = 4 -> rounddown(6) - 1 = 3 */
		{ 256 * MiB, 15, 90 },	/* 64 / 4 = 16 -> rounddown(24) - 1 = 15 */
		{ 1024 * MiB, 63, 378 },/* 256 / 4 = 64 -> rounddown(96) - 1 = 63 */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = make_engine(cases[i].bytes, 1, 0);
		ck_assert_int_eq(normal_zone(e, 0)->pcp_batch, cases[i].batch);
		ck_assert_int_eq(normal_zone(e, 0)->pcp_high, cases[i].high);
		rcl_engine_free(e);
	}
}
END_TEST

START_TEST(test_pcp_refill_and_high)
{
	struct rcl_engine *e = make_engine(64 * MiB, 1, 0);
	struct zone *z = normal_zone(e, 0);
	struct per_cpu_pages *pcp;
	struct page *p[20];
	int i;

	ck_assert_int_eq(rcl_thread_attach(e), 0);
	pcp = &get_current(e)->pcp[z->global_id];
	/* The first allocation refills a batch (3) from the buddy: two stay cached. */
	p[0] = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
	ck_assert_int_eq(pcp->count, 2);
	ck_assert_uint_eq(zone_page_state(z, NR_FREE_PAGES), z->managed_pages - 3);
	for (i = 1; i < 20; i++)
		p[i] = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
	ck_assert_int_eq(pcp->count, 1);	/* 7 refills of 3 = 21 pages, 20 handed out */
	/* Frees pile up on the list until count reaches high (18), which returns a batch. */
	for (i = 0; i < 17; i++)
		__free_pages(p[i], 0);
	ck_assert_int_eq(pcp->count, 18 - 3);
	ck_assert_uint_eq(zone_page_state(z, NR_FREE_PAGES), z->managed_pages - 21 + 3);
	for (; i < 20; i++)
		__free_pages(p[i], 0);
	drain_local_pages(e, NULL);
	ck_assert_int_eq(pcp->count, 0);
	assert_fully_merged(z);
	rcl_thread_detach(e);
	rcl_engine_free(e);
}
END_TEST

struct drain_peer {
	struct rcl_engine *engine;
	pthread_barrier_t cached;	/* the peer has pages on its lists */
	pthread_barrier_t drained;	/* the main thread has drained them */
	int count_after;
};

static void *drain_peer_main(void *arg)
{
	struct drain_peer *d = arg;
	struct page *p[8];
	int i;

	ck_assert_int_eq(rcl_thread_attach(d->engine), 0);
	for (i = 0; i < 8; i++)
		p[i] = alloc_pages_node(d->engine, 0, GFP_HIGHUSER_MOVABLE, 0);
	for (i = 0; i < 8; i++)
		__free_pages(p[i], 0);
	pthread_barrier_wait(&d->cached);
	/* Blocked here, as a worker blocked in I/O would be, while another thread drains. */
	pthread_barrier_wait(&d->drained);
	d->count_after = get_current(d->engine)->pcp[normal_zone(d->engine, 0)->global_id].count;
	rcl_thread_detach(d->engine);
	return NULL;
}

START_TEST(test_drain_all_pages_reaches_other_threads)
{
	struct rcl_engine *e = make_engine(64 * MiB, 1, 0);
	struct zone *z = normal_zone(e, 0);
	struct drain_peer d = { .engine = e, .count_after = -1 };
	struct page *mine;
	pthread_t peer;

	pthread_barrier_init(&d.cached, NULL, 2);
	pthread_barrier_init(&d.drained, NULL, 2);
	ck_assert_int_eq(rcl_thread_attach(e), 0);
	mine = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
	__free_pages(mine, 0);
	ck_assert_int_gt(get_current(e)->pcp[z->global_id].count, 0);

	pthread_create(&peer, NULL, drain_peer_main, &d);
	pthread_barrier_wait(&d.cached);
	ck_assert_uint_lt(zone_page_state(z, NR_FREE_PAGES), z->managed_pages);
	drain_all_pages(e, NULL);
	/* Both threads' cached pages are back: every page of the zone is free in the buddy. */
	ck_assert_uint_eq(zone_page_state(z, NR_FREE_PAGES), z->managed_pages);
	ck_assert_int_eq(get_current(e)->pcp[z->global_id].count, 0);
	pthread_barrier_wait(&d.drained);
	pthread_join(peer, NULL);
	ck_assert_int_eq(d.count_after, 0);
	assert_fully_merged(z);
	rcl_thread_detach(e);
	pthread_barrier_destroy(&d.cached);
	pthread_barrier_destroy(&d.drained);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_detach_returns_cached_pages)
{
	struct rcl_engine *e = make_engine(64 * MiB, 1, 0);
	struct page *p;

	ck_assert_int_eq(rcl_thread_attach(e), 0);
	ck_assert_int_eq(rcl_thread_attach(e), 0);	/* idempotent */
	p = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
	__free_pages(p, 0);
	rcl_thread_detach(e);
	ck_assert_ptr_null(get_current(e));
	assert_fully_merged(normal_zone(e, 0));
	rcl_engine_free(e);
}
END_TEST

/* ---- highatomic reserve ----------------------------------------------------------------- */

static unsigned long highatomic_free_blocks(struct zone *z)
{
	unsigned long n = 0;
	unsigned int order;
	struct page *p;

	for (order = 0; order < MAX_ORDER; order++)
		page_list_for_each(p, &z->free_area[order].free_list[MIGRATE_HIGHATOMIC])
			n++;
	return n;
}

START_TEST(test_highatomic_reserve_and_unreserve)
{
	struct rcl_engine *e = make_engine(64 * MiB, 1, 0);
	struct zone *z = normal_zone(e, 0);
	unsigned long n = z->managed_pages - low_wmark_pages(z), i;
	struct page **fill = calloc(n, sizeof(*fill));
	struct alloc_context ac;
	struct page *p;

	/* Bring the zone down to its low watermark: the fast path fails from here on. */
	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(fill[i] = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0));
	ck_assert_uint_eq(zone_page_state(z, NR_FREE_PAGES), low_wmark_pages(z));

	/* GFP_ATOMIC order 1 succeeds in the slow path with ALLOC_HARDER, which reserves its
	 * pageblock for the next such allocation. */
	p = alloc_pages_node(e, 0, GFP_ATOMIC, 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(get_pageblock_migratetype(p), MIGRATE_HIGHATOMIC);
	ck_assert_uint_eq(z->nr_reserved_highatomic, pageblock_nr_pages);
	ck_assert_uint_gt(highatomic_free_blocks(z), 0);
	/* Ordinary allocations do not count the reserve as free; HARDER ones do. */
	ck_assert(!__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, 0, 100 + pageblock_nr_pages));
	ck_assert(__zone_watermark_ok(z, 0, 100, ZONE_NORMAL, ALLOC_HARDER,
				      100 + pageblock_nr_pages));

	/* Without force a zone keeps its only reserved pageblock; with force it is returned. */
	ck_assert(prepare_alloc_pages(e, GFP_HIGHUSER_MOVABLE, 0, 0, NULL, &ac));
	ck_assert(!unreserve_highatomic_pageblock(e, &ac, false));
	ck_assert_uint_eq(z->nr_reserved_highatomic, pageblock_nr_pages);
	ck_assert(unreserve_highatomic_pageblock(e, &ac, true));
	ck_assert_uint_eq(z->nr_reserved_highatomic, 0);
	ck_assert_int_eq(get_pageblock_migratetype(p), MIGRATE_MOVABLE);
	ck_assert_uint_eq(highatomic_free_blocks(z), 0);

	__free_pages(p, 1);
	for (i = 0; i < n; i++)
		__free_pages(fill[i], 0);
	assert_fully_merged(z);
	free(fill);
	rcl_engine_free(e);
}
END_TEST

/* ---- configuration ---------------------------------------------------------------------- */

START_TEST(test_engine_rejects_bad_config)
{
	struct rcl_config c;
	struct rcl_engine *e = NULL;

	rcl_config_defaults(&c);
	c.nr_nodes = 0;
	ck_assert_int_eq(rcl_engine_new(&c, &e), -EINVAL);
	c.nr_nodes = 9;
	ck_assert_int_eq(rcl_engine_new(&c, &e), -EINVAL);
	c.nr_nodes = 2;
	c.arena_bytes = 6 * MiB;		/* 3 MiB a node: less than one max-order block */
	ck_assert_int_eq(rcl_engine_new(&c, &e), -EINVAL);
	c.arena_bytes = 16 * MiB;
	c.dma32_bytes = 8 * MiB;		/* all of node 0 */
	ck_assert_int_eq(rcl_engine_new(&c, &e), -EINVAL);
	c.dma32_bytes = 0;
	c.watermark_scale_factor = 0;
	ck_assert_int_eq(rcl_engine_new(&c, &e), -EINVAL);
	ck_assert_ptr_null(e);
}
END_TEST

START_TEST(test_engine_rounds_nodes_to_max_order)
{
	/* 21 MiB on 2 nodes: 10.5 MiB each, rounded down to 8 MiB (two order-10 blocks). */
	struct rcl_engine *e = make_engine(21 * MiB, 2, 0);

	ck_assert_uint_eq(e->nr_frames, 4096);
	ck_assert_uint_eq(normal_zone(e, 1)->zone_start_pfn, 2048);
	ck_assert_ptr_eq(page_engine(pfn_to_page(e, 4095)), e);
	ck_assert_uint_eq(page_to_pfn(pfn_to_page(e, 4095)), 4095);
	ck_assert_ptr_eq(page_zone(pfn_to_page(e, 2048)), normal_zone(e, 1));
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_raw_api_validates_frees)
{
	struct rcl_engine *e = make_engine(16 * MiB, 2, 0);
	struct rcl_engine_info info;
	uint32_t a, b;

	ck_assert_int_eq(rcl_alloc_pages(e, 2, 1, 0, &a), 0);
	ck_assert_int_eq(page_node_id(pfn_to_page(e, a)), 1);
	ck_assert_int_eq(get_pageblock_migratetype(pfn_to_page(e, a)), MIGRATE_UNMOVABLE);
	ck_assert_int_eq(rcl_alloc_pages(e, 0, 0, RCL_ALLOC_ATOMIC | RCL_ALLOC_MOVABLE, &b), 0);
	ck_assert_uint_eq(global_zone_page_state(e, NR_RAW_PAGES), 5);
	/* Bad arguments are refused before anything is touched. */
	ck_assert_int_eq(rcl_alloc_pages(e, MAX_ORDER, 0, 0, &a), -EINVAL);
	ck_assert_int_eq(rcl_alloc_pages(e, 0, 2, 0, &a), -EINVAL);
	ck_assert_int_eq(rcl_alloc_pages(e, 0, 0, 0x100, &a), -EINVAL);
	ck_assert_int_eq(rcl_alloc_pages(e, 0, 0, RCL_ALLOC_ATOMIC | RCL_ALLOC_NOWAIT, &a),
			 -EINVAL);
	/* Only the exact pfn and order handed out can be freed, once. */
	ck_assert_int_eq(rcl_free_pages(e, a, 1), -EINVAL);
	ck_assert_int_eq(rcl_free_pages(e, a + 1, 0), -EINVAL);
	ck_assert_int_eq(rcl_free_pages(e, 100000, 0), -EINVAL);
	ck_assert_int_eq(rcl_free_pages(e, a, 2), 0);
	ck_assert_int_eq(rcl_free_pages(e, a, 2), -EINVAL);
	ck_assert_int_eq(rcl_free_pages(e, b, 0), 0);
	ck_assert_uint_eq(global_zone_page_state(e, NR_RAW_PAGES), 0);
	rcl_engine_info(e, &info);
	ck_assert_uint_eq(info.free_pages, 4096);
	ck_assert_uint_eq(info.nr_nodes, 2);
	assert_fully_merged(normal_zone(e, 0));
	assert_fully_merged(normal_zone(e, 1));
	rcl_engine_free(e);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("page_alloc");
	TCase *tc = tcase_create("buddy");

	tcase_add_test(tc, test_buddy_split_one_page);
	tcase_add_test(tc, test_buddy_merge_needs_both_buddies);
	tcase_add_test(tc, test_buddy_max_order);
	tcase_add_loop_test(tc, test_buddy_random_sequences_buddy_only, 0, 2);
	tcase_add_loop_test(tc, test_buddy_random_sequences_with_pcp, 0, 2);
	tcase_add_test(tc, test_fallback_unmovable_claims_pageblock);
	tcase_add_test(tc, test_fallback_searches_largest_order_first);
	tcase_add_test(tc, test_fallback_movable_claims_large_blocks);
	tcase_add_test(tc, test_fallback_movable_takes_smallest_when_it_cannot_claim);
	suite_add_tcase(s, tc);

	tc = tcase_create("watermarks");
	tcase_add_test(tc, test_watermarks_64m_zone);
	tcase_add_test(tc, test_watermarks_1g_zone);
	tcase_add_test(tc, test_watermarks_split_by_zone_size);
	tcase_add_test(tc, test_watermarks_admin_min_free_kbytes);
	tcase_add_test(tc, test_min_free_kbytes_clamps);
	tcase_add_test(tc, test_int_sqrt);
	tcase_add_test(tc, test_zone_watermark_ok_arithmetic);
	tcase_add_test(tc, test_zone_watermark_ok_orders);
	suite_add_tcase(s, tc);

	tc = tcase_create("zonelists");
	tcase_add_test(tc, test_zonelist_order);
	tcase_add_test(tc, test_zonelist_falls_back_to_other_node);
	tcase_add_test(tc, test_zonelist_dma32_class_and_reserve);
	suite_add_tcase(s, tc);

	tc = tcase_create("pcp");
	tcase_add_test(tc, test_pcp_batch_sizes);
	tcase_add_test(tc, test_pcp_refill_and_high);
	tcase_add_test(tc, test_drain_all_pages_reaches_other_threads);
	tcase_add_test(tc, test_detach_returns_cached_pages);
	tcase_add_test(tc, test_highatomic_reserve_and_unreserve);
	suite_add_tcase(s, tc);

	tc = tcase_create("engine");
	tcase_add_test(tc, test_engine_rejects_bad_config);
	tcase_add_test(tc, test_engine_rounds_nodes_to_max_order);
	tcase_add_test(tc, test_raw_api_validates_frees);
	suite_add_tcase(s, tc);
	return s;
}
