/*
 * check_advice - scenarios for madvise, proactive reclaim, kswapd on request, the OOM kill
 * policy and the reclaim trace points.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "mm.h"
#include "internal.h"

#define PAGE 4096ULL

static uint32_t anon_region(struct fixture *f, uint64_t pages, uint32_t memcg)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = pages,
					.memcg_id = memcg };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	return id;
}

static uint32_t file_region_of(struct fixture *f, const char *path, uint64_t pages)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = pages,
					.path = path };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	return id;
}

static bool page_is(struct fixture *f, uint32_t id, uint64_t p, uint64_t seed)
{
	static const char zeros[PAGE];
	char *buf = malloc(PAGE);
	bool ok;

	ck_assert_int_eq(rcl_region_read(f->e, id, p * PAGE, buf, PAGE), 0);
	ok = seed ? check_pattern(buf, PAGE, seed, p * PAGE) : !memcmp(buf, zeros, PAGE);
	free(buf);
	return ok;
}

static struct rcl_region_info info(struct fixture *f, uint32_t id)
{
	struct rcl_region_info i;

	ck_assert_int_eq(rcl_region_info(f->e, id, &i), 0);
	return i;
}

START_TEST(test_madvise_dontneed_zeroes_and_frees)
{
	struct fixture f;
	uint32_t id;
	uint64_t free_before;

	fixture_setup(&f, 16, 32, 1);
	id = anon_region(&f, 256, 0);
	fixture_fill(&f, id, 0, 256, 1);
	free_before = fixture_vmstat(f.e, "nr_free_pages");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 128, RCL_MADV_DONTNEED), 0);
	ck_assert_uint_eq(info(&f, id).resident, 128);
	ck_assert_uint_ge(fixture_vmstat(f.e, "nr_free_pages"), free_before + 128 - 16);
	ck_assert(page_is(&f, id, 5, 0));		/* reads back as zeros */
	ck_assert(page_is(&f, id, 200, 1));		/* untouched half intact */
	/* Bad ranges change nothing. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 250, 10, RCL_MADV_DONTNEED), -EINVAL);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 1, (enum rcl_madvise)42), -EINVAL);
	ck_assert_int_eq(rcl_region_madvise(f.e, 999, 0, 1, RCL_MADV_DONTNEED), -ENOENT);
	ck_assert(page_is(&f, id, 250, 1));
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_madvise_free_drops_clean_keeps_rewritten)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE;
	uint32_t id, hog;

	fixture_setup(&f, 16, 64, 1);
	id = anon_region(&f, 512, 0);
	fixture_fill(&f, id, 0, 512, 2);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 512, RCL_MADV_FREE), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pglazyfree"), 512);
	fixture_fill(&f, id, 0, 16, 3);			/* written again: must survive */
	hog = anon_region(&f, 2 * arena_pages, 0);
	fixture_fill(&f, hog, 0, 2 * arena_pages, 4);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pglazyfreed"), 0);
	ck_assert(page_is(&f, id, 3, 3));		/* rewritten page kept its new data */
	ck_assert(page_is(&f, id, 400, 0) || page_is(&f, id, 400, 2));	/* dropped or kept */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 1, RCL_MADV_FREE), 0);
	fixture_teardown(&f);
}
END_TEST

/*
 * A list of spans is checked whole before any is acted on: FREE over an anonymous region and
 * a file region (FREE is for anonymous memory) is refused naming the file region's span, and
 * the anonymous one was not made lazy-free: a later pageout swaps its bytes, not drops them.
 */
START_TEST(test_madvise_list_refused_whole)
{
	struct rcl_page_span spans[2];
	struct fixture f;
	uint32_t anon, file;
	size_t bad = 0;

	fixture_setup(&f, 16, 64, 1);
	fixture_file(&f, "f", 4 * PAGE);
	anon = anon_region(&f, 64, 0);
	file = file_region_of(&f, "f", 4);
	fixture_fill(&f, anon, 0, 64, 5);
	spans[0] = (struct rcl_page_span){ anon, 0, 64 };
	spans[1] = (struct rcl_page_span){ file, 0, 4 };
	ck_assert_int_eq(rcl_region_madvisev(f.e, spans, 2, RCL_MADV_FREE, &bad), -EINVAL);
	ck_assert_uint_eq(bad, 1);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pglazyfree"), 0);
	ck_assert_int_eq(rcl_region_madvise(f.e, anon, 0, 64, RCL_MADV_PAGEOUT), 0);
	fixture_verify(&f, anon, 64, 5);
	spans[1] = (struct rcl_page_span){ anon + 12345, 0, 4 };	/* no such region */
	ck_assert_int_eq(rcl_region_madvisev(f.e, spans, 2, RCL_MADV_DONTNEED, &bad), -ENOENT);
	ck_assert_uint_eq(bad, 1);
	fixture_verify(&f, anon, 64, 5);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_madvise_pageout_cold_willneed)
{
	struct fixture f;
	uint32_t id;
	uint64_t p;

	fixture_setup(&f, 16, 64, 1);
	id = anon_region(&f, 256, 0);
	fixture_fill(&f, id, 0, 256, 5);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 128, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_ge(fixture_vmstat(f.e, "pswpout"), 128);
	/* Written and rotated: the next reclaim frees them without writing again. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 128, 128, RCL_MADV_COLD), 0);
	ck_assert_uint_ge(fixture_vmstat(f.e, "pgdeactivate"), 128);
	ck_assert_uint_eq(info(&f, id).swapped, 128);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 128, RCL_MADV_WILLNEED), 0);
	ck_assert_uint_eq(info(&f, id).swapped, 0);
	for (p = 0; p < 256; p++)
		ck_assert(page_is(&f, id, p, 5));
	fixture_teardown(&f);
}
END_TEST

/* The runs of consecutive swap slots that pages [0, @n) of region @id lie in (all swapped
 * out, none of them left in the swap cache). */
static uint64_t slot_runs(struct fixture *f, uint32_t id, uint64_t n)
{
	uint64_t p, runs = 0, prev = 0;
	struct region *region;

	mm_lock(f->e);
	region = region_lookup(f->e, id);
	for (p = 0; p < n; p++) {
		swp_entry_t entry = pte_to_swp_entry(pte_get(region, p));
		struct page *cached = lookup_swap_cache(f->e, entry);

		if (cached)
			put_page(cached);
		ck_assert_msg(!cached, "page %llu is still in the swap cache",
			      (unsigned long long)p);
		runs += p == 0 || swp_offset(entry) != prev + 1;
		prev = swp_offset(entry);
	}
	mm_unlock(f->e);
	return runs;
}

/* Read pages [0, @n) of region @id in one call and check them against pattern @seed: the
 * read requests it took. */
static uint64_t read_back(struct fixture *f, uint32_t id, uint64_t n, int seed)
{
	struct io_stats before, after;
	char *buf = malloc(n * PAGE);
	uint64_t p;

	io_engine_stats(f->e->swap->io, &before);
	ck_assert_int_eq(rcl_region_read(f->e, id, 0, buf, n * PAGE), 0);
	io_engine_stats(f->e->swap->io, &after);
	for (p = 0; p < n; p++)
		ck_assert_msg(check_pattern(buf + p * PAGE, PAGE, seed, p * PAGE),
			      "page %llu differs", (unsigned long long)p);
	free(buf);
	return after.reads - before.reads;
}

/*
 * Reclaim swaps pages out oldest first, as the kernel's shrink_page_list takes them from the
 * tail of the isolated list: a region written in order and reclaimed through the LRU (not
 * MADV_PAGEOUT's walk of the region) lies in ascending runs of slots, so reading it back is a
 * few reads. Taking the youngest isolated page first gave every batch descending slots: one
 * read per page.
 */
START_TEST(test_reclaim_keeps_age_order_in_slots)
{
	const uint64_t n = 64;
	const char *policy = getenv("RCL_RECLAIM_POLICY");
	bool clock_pro = policy && !strcmp(policy, "clock-pro");
	uint64_t runs, reads, reclaimed, tries;
	struct fixture f;
	uint32_t id, root;

	fixture_setup(&f, 16, 64, 1);
	id = anon_region(&f, n, 0);
	fixture_fill(&f, id, 0, n, 21);
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "/", &root), 0);
	for (tries = 0; tries < 64 && info(&f, id).swapped < n; tries++)
		rcl_memcg_reclaim(f.e, root, n, &reclaimed);
	ck_assert_uint_eq(info(&f, id).swapped, n);
	rcl_memcg_reclaim(f.e, root, 4 * n, &reclaimed);	/* out of the swap cache too */
	runs = slot_runs(&f, id, n);
	/* CLOCK-Pro's hand_cold passes the pages it finds referenced and takes them on a later
	 * lap: each leaves a gap, and the runs between stay in order. Two-list's batches taken
	 * youngest first gave one page a run. */
	ck_assert_msg(runs <= (clock_pro ? n / 4 : 4),
		      "%llu pages written in order lie in %llu runs of slots",
		      (unsigned long long)n, (unsigned long long)runs);
	reads = read_back(&f, id, n, 21);
	ck_assert_uint_gt(reads, 0);		/* from swap, not the swap cache */
	ck_assert_uint_le(reads, runs);
	fixture_teardown(&f);
}
END_TEST

/* A region of @n pages written with @seed, paged out and out of the swap cache: its slots'
 * runs (slot_runs). */
static uint32_t swapped_out_region(struct fixture *f, uint64_t n, int seed, uint64_t *ret_runs)
{
	uint64_t unused;
	uint32_t id, root;

	id = anon_region(f, n, 0);
	fixture_fill(f, id, 0, n, seed);
	ck_assert_int_eq(rcl_region_madvise(f->e, id, 0, n, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(info(f, id).swapped, n);
	/* Written and rotated, still in the swap cache: the next reclaim frees them. */
	ck_assert_int_eq(rcl_memcg_lookup(f->e, "/", &root), 0);
	rcl_memcg_reclaim(f->e, root, 4 * n, &unused);
	*ret_runs = slot_runs(f, id, n);
	return id;
}

/*
 * A read of many swapped-out pages swaps them in as madvise(WILLNEED) does: one request per
 * run of consecutive slots and one wait (one major fault) for the lot, where faulting page by
 * page reads one readahead window (8 pages at page-cluster 3) at a time: 8 requests here.
 */
START_TEST(test_range_read_swaps_in_one_batch)
{
	const uint64_t n = 64;
	uint64_t maj, runs, reads;
	struct fixture f;
	uint32_t id;

	fixture_setup(&f, 16, 64, 1);
	id = swapped_out_region(&f, n, 9, &runs);
	maj = fixture_vmstat(f.e, "pgmajfault");
	reads = read_back(&f, id, n, 9);
	fprintf(stderr, "# %llu pages in %llu runs of slots: %llu read requests\n",
		(unsigned long long)n, (unsigned long long)runs, (unsigned long long)reads);
	ck_assert_uint_eq(reads, runs);
	ck_assert_uint_lt(runs, n / 8);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgmajfault") - maj, 1);
	fixture_teardown(&f);
}
END_TEST

/*
 * A touch of many swapped-out pages (reclaimctl touch, the mapped hot-set's batches) reads
 * them as one batch too: it waited for 8 readahead windows one after the other, each a read
 * at queue depth 1, and a client touching pages in batches swapped in at the speed of one.
 */
START_TEST(test_range_touch_swaps_in_one_batch)
{
	const uint64_t n = 64;
	struct io_stats before, after;
	uint64_t maj, runs;
	struct fixture f;
	uint32_t id;

	fixture_setup(&f, 16, 64, 1);
	id = swapped_out_region(&f, n, 10, &runs);
	maj = fixture_vmstat(f.e, "pgmajfault");
	io_engine_stats(f.e->swap->io, &before);
	ck_assert_int_eq(rcl_region_touch(f.e, id, 0, n, false), 0);
	io_engine_stats(f.e->swap->io, &after);
	ck_assert_uint_eq(info(&f, id).swapped, 0);
	ck_assert_uint_eq(after.reads - before.reads, runs);
	ck_assert_uint_lt(runs, n / 8);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgmajfault") - maj, 1);
	fixture_verify(&f, id, n, 10);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_proactive_reclaim_of_a_memcg)
{
	struct fixture f;
	uint32_t cg, other, a, b;
	uint64_t reclaimed = 0;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "job", &cg), 0);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "other", &other), 0);
	a = anon_region(&f, 1024, cg);
	b = anon_region(&f, 1024, other);
	fixture_fill(&f, a, 0, 1024, 6);
	fixture_fill(&f, b, 0, 1024, 7);
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, cg, 512, &reclaimed), 0);
	ck_assert_uint_ge(reclaimed, 512);
	ck_assert_uint_ge(info(&f, a).swapped, 512);
	ck_assert_uint_eq(info(&f, b).swapped, 0);	/* only the target group */
	/* More than the group has: retries run out with -EAGAIN, and say how much came. */
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, cg, 100000, &reclaimed), -EAGAIN);
	ck_assert_uint_le(reclaimed, 1024);
	ck_assert(page_is(&f, a, 17, 6));
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_kswapd_balances_to_high_watermark)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE;
	uint64_t reclaimed, free_pages;
	uint32_t id;
	char *zi = NULL;
	size_t len;
	FILE *out;
	unsigned long high = 0;

	fixture_setup(&f, 16, 64, 1);
	id = anon_region(&f, arena_pages, 0);
	fixture_fill(&f, id, 0, arena_pages - 140, 8);	/* below low (160), above min (128) */
	out = open_memstream(&zi, &len);
	rcl_engine_show(f.e, RCL_VIEW_ZONEINFO, out);
	fclose(out);
	ck_assert_int_eq(sscanf(strstr(strstr(zi, "zone   Normal"), "        high     "),
				"        high     %lu", &high), 1);
	free(zi);
	/* Below low, above min: kswapd was woken, no direct reclaim happened. */
	ck_assert_uint_lt(fixture_vmstat(f.e, "nr_free_pages"), high);
	ck_assert_uint_eq(fixture_vmstat(f.e, "allocstall_normal"), 0);
	ck_assert_int_eq(rcl_kswapd_run(f.e, &reclaimed), 0);
	ck_assert_uint_gt(reclaimed, 0);
	free_pages = fixture_vmstat(f.e, "nr_free_pages");
	ck_assert_uint_gt(free_pages, high);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pgscan_kswapd"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgsteal_kswapd"), reclaimed);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pageoutrun"), 0);
	/* Balanced: a second run has nothing to do. */
	ck_assert_int_eq(rcl_kswapd_run(f.e, &reclaimed), 0);
	ck_assert_uint_eq(reclaimed, 0);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_oom_policy_fail_then_kill)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE;
	uint32_t small_cg, big_cg, small, big, victim2, probe;
	struct rcl_region_info i;
	uint64_t p;
	int err = 0;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "small", &small_cg), 0);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "big", &big_cg), 0);
	small = anon_region(&f, arena_pages / 8, small_cg);
	big = anon_region(&f, arena_pages / 2, big_cg);
	victim2 = anon_region(&f, arena_pages / 8, big_cg);
	ck_assert_int_eq(rcl_region_touch(f.e, small, 0, arena_pages / 8, true), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, big, 0, arena_pages / 2, true), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, victim2, 0, arena_pages / 8, true), 0);
	probe = anon_region(&f, arena_pages, small_cg);
	/* Default policy: the allocation fails, nobody is killed. */
	for (p = 0; p < arena_pages && !err; p++)
		err = rcl_region_touch(f.e, probe, p, 1, true);
	ck_assert_int_eq(err, -ENOMEM);
	ck_assert_uint_eq(fixture_vmstat(f.e, "oom_kill"), 0);
	/* Kill policy: the largest region of the heaviest group goes, and the touch succeeds. */
	ck_assert_int_eq(rcl_tunable_set(f.e, RCL_TUNABLE_OOM_POLICY, RCL_OOM_KILL), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, probe, p, 1, true), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "oom_kill"), 1);
	ck_assert_int_eq(rcl_region_info(f.e, big, &i), -ENOENT);
	ck_assert_int_eq(rcl_region_info(f.e, victim2, &i), 0);
	ck_assert_int_eq(rcl_region_info(f.e, small, &i), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, big_cg, true, "oom_kill"), 1);
	fixture_teardown(&f);
}
END_TEST

static enum rcl_reclaim_policy policy_of(struct fixture *f)
{
	struct rcl_engine_info info;

	rcl_engine_info(f->e, &info);
	return info.reclaim_policy;
}

struct trace_log {
	unsigned int count[RCL_TRACE_NR_TYPES];
	unsigned long isolated, reclaimed_end;
	int last_priority;
};

static void on_trace(void *arg, const struct rcl_trace_event *ev)
{
	struct trace_log *log = arg;

	log->count[ev->type]++;
	if (ev->type == RCL_TRACE_LRU_ISOLATE)
		log->isolated += ev->nr_taken;
	if (ev->type == RCL_TRACE_DIRECT_RECLAIM_END)
		log->reclaimed_end += ev->nr_reclaimed;
	if (ev->type == RCL_TRACE_LRU_SHRINK_INACTIVE)
		log->last_priority = ev->priority;
}

START_TEST(test_trace_points_fire_with_fields)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE;
	struct trace_log log = { .last_priority = -1 };
	uint32_t id;

	fixture_setup(&f, 16, 64, 1);
	rcl_trace_set(f.e, on_trace, &log);
	id = anon_region(&f, 2 * arena_pages, 0);
	fixture_fill(&f, id, 0, 2 * arena_pages, 9);
	ck_assert_uint_gt(log.count[RCL_TRACE_DIRECT_RECLAIM_BEGIN], 0);
	ck_assert_uint_eq(log.count[RCL_TRACE_DIRECT_RECLAIM_BEGIN],
			  log.count[RCL_TRACE_DIRECT_RECLAIM_END]);
	ck_assert_uint_eq(log.count[RCL_TRACE_DIRECT_RECLAIM_BEGIN],
			  fixture_vmstat(f.e, "allocstall_normal"));
	ck_assert_uint_gt(log.count[RCL_TRACE_LRU_ISOLATE], 0);
	ck_assert_uint_gt(log.count[RCL_TRACE_LRU_SHRINK_INACTIVE], 0);
	if (policy_of(&f) == RCL_RECLAIM_CLOCK_PRO)
		/* No active list: CLOCK-Pro's hand_hot ages hot pages, and none became hot. */
		ck_assert_uint_eq(log.count[RCL_TRACE_LRU_SHRINK_ACTIVE], 0);
	else
		ck_assert_uint_gt(log.count[RCL_TRACE_LRU_SHRINK_ACTIVE], 0);
	ck_assert_uint_gt(log.count[RCL_TRACE_WRITEPAGE], 0);
	ck_assert_uint_eq(log.reclaimed_end, fixture_vmstat(f.e, "pgsteal_direct"));
	ck_assert_int_ge(log.last_priority, 0);
	ck_assert_int_le(log.last_priority, 12);
	/* Off again: nothing more arrives. */
	rcl_trace_set(f.e, NULL, NULL);
	memset(&log, 0, sizeof(log));
	fixture_fill(&f, id, 0, arena_pages, 10);
	ck_assert_uint_eq(log.count[RCL_TRACE_DIRECT_RECLAIM_BEGIN], 0);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_memcg_walk_and_paths)
{
	struct fixture f;
	uint32_t a, b, c, id, seen[8];
	char path[64];
	int n = 0;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "a", &a), 0);
	ck_assert_int_eq(rcl_memcg_create(f.e, a, "b", &b), 0);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "c", &c), 0);
	n = rcl_memcg_list(f.e, RCL_MEMCG_ROOT, seen, 8);
	ck_assert_int_eq(n, 4);			/* pre-order: the root, then every group once */
	ck_assert_uint_eq(seen[0], RCL_MEMCG_ROOT);
	ck_assert_uint_eq(seen[1], a);
	ck_assert_uint_eq(seen[2], b);
	ck_assert_uint_eq(seen[3], c);
	ck_assert_int_eq(rcl_memcg_list(f.e, RCL_MEMCG_ROOT, seen, 2), 4);	/* room for 2 */
	ck_assert_uint_eq(seen[1], a);
	ck_assert_int_eq(rcl_memcg_path(f.e, b, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/a/b");
	ck_assert_int_eq(rcl_memcg_path(f.e, RCL_MEMCG_ROOT, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/");
	ck_assert_int_eq(rcl_memcg_path(f.e, b, path, 3), -ENAMETOOLONG);
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "/a/b", &id), 0);
	ck_assert_uint_eq(id, b);
	ck_assert_int_eq(rcl_memcg_list(f.e, 999, seen, 8), -ENOENT);
	fixture_teardown(&f);
}
END_TEST

struct kswapd_sync {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wakes;
	int sleeps;		/* after a wake: kswapd went back to sleep balanced */
};

/* Only a sleep after a wake counts: a kswapd started on an empty arena goes to sleep once
 * before the first allocation ever wakes it (slow machines take 100 ms to fill). */
static void on_kswapd_trace(void *arg, const struct rcl_trace_event *ev)
{
	struct kswapd_sync *s = arg;

	pthread_mutex_lock(&s->lock);
	if (ev->type == RCL_TRACE_KSWAPD_WAKE)
		s->wakes++;
	else if (ev->type == RCL_TRACE_KSWAPD_SLEEP && s->wakes)
		s->sleeps++;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* With service threads, an allocation below low wakes kswapd, which balances the node. */
START_TEST(test_kswapd_thread_wakes_and_balances)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE;
	struct kswapd_sync s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	struct timespec deadline;
	uint32_t id;
	int err = 0;

	fixture_setup(&f, 16, 64, 1);
	rcl_trace_set(f.e, on_kswapd_trace, &s);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), -EALREADY);
	id = anon_region(&f, arena_pages, 0);
	fixture_fill(&f, id, 0, arena_pages - 140, 12);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	pthread_mutex_lock(&s.lock);
	while (!s.sleeps && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&s.cond, &s.lock, &deadline);
	pthread_mutex_unlock(&s.lock);
	ck_assert_int_gt(s.sleeps, 0);
	rcl_engine_stop_threads(f.e);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pgsteal_kswapd"), 0);
	rcl_trace_set(f.e, NULL, NULL);
	ck_assert(page_is(&f, id, 3, 12));
	fixture_teardown(&f);
}
END_TEST

/* The loop's fast path: all resident pages or nothing, never blocking. */
START_TEST(test_touch_resident_all_or_nothing)
{
	struct fixture f;
	uint32_t id;
	struct rcl_region_info i;

	fixture_setup(&f, 16, 32, 1);
	id = anon_region(&f, 64, 0);
	fixture_fill(&f, id, 0, 32, 14);
	ck_assert_int_eq(rcl_region_touch_resident(f.e, id, 0, 32, true), 0);
	/* Page 40 was never touched: nothing of the range is done, nothing faulted in. */
	ck_assert_int_eq(rcl_region_touch_resident(f.e, id, 30, 20, false), -EAGAIN);
	ck_assert_int_eq(rcl_region_info(f.e, id, &i), 0);
	ck_assert_uint_eq(i.resident, 32);
	ck_assert_int_eq(rcl_region_touch_resident(f.e, id, 60, 10, false), -EINVAL);
	ck_assert_int_eq(rcl_region_touch_resident(f.e, 77, 0, 1, false), -ENOENT);
	/* A busy engine does not stop it: an anonymous region's entries are marked under the
	 * region's page-table lock alone (check_ptl: and a file region's wait for no one). */
	mm_lock(f.e);
	ck_assert_int_eq(rcl_region_touch_resident(f.e, id, 0, 1, false), 0);
	mm_unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

/*
 * The loop's fast copies: the bytes of resident pages (never-written ones read as zeros), all
 * or nothing, a write dirtying its pages as a write fault does; anything that would fault or
 * a write to a file region gets -EAGAIN with nothing copied.
 */
START_TEST(test_copy_resident_all_or_nothing)
{
	static const char zeros[PAGE];
	char *buf = malloc(4 * PAGE), *mine = malloc(2 * PAGE);
	struct fixture f;
	uint32_t id, file;
	uint64_t faults;

	fixture_setup(&f, 16, 32, 1);
	fixture_file(&f, "f", 4 * PAGE);
	id = anon_region(&f, 64, 0);
	fixture_fill(&f, id, 0, 32, 14);
	ck_assert(page_is(&f, id, 50, 0));		/* read once: the zero page */

	faults = fixture_vmstat(f.e, "pgfault");
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, 3 * PAGE, buf, 4 * PAGE), 0);
	ck_assert(check_pattern(buf, 4 * PAGE, 14, 3 * PAGE));
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgfault") - faults, 4);
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, 50 * PAGE, buf, PAGE), 0);
	ck_assert(!memcmp(buf, zeros, PAGE));

	/* Page 40 was never touched: nothing is copied. */
	memset(buf, 0xee, 4 * PAGE);
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, 38 * PAGE, buf, 4 * PAGE), -EAGAIN);
	ck_assert_uint_eq((unsigned char)buf[0], 0xee);
	memset(mine, 0x5d, 2 * PAGE);
	ck_assert_int_eq(rcl_region_write_resident(f.e, id, 31 * PAGE, mine, 2 * PAGE), -EAGAIN);
	ck_assert(page_is(&f, id, 31, 14));		/* all or nothing */
	/* A write finds no zero page to write into: that is a fault. */
	ck_assert_int_eq(rcl_region_write_resident(f.e, id, 50 * PAGE, mine, PAGE), -EAGAIN);

	/* A write copies in and dirties, unaligned too. */
	ck_assert_int_eq(rcl_region_write_resident(f.e, id, 10 * PAGE + 100, mine, PAGE), 0);
	ck_assert_int_eq(rcl_region_read(f.e, id, 10 * PAGE + 100, buf, PAGE), 0);
	ck_assert(!memcmp(buf, mine, PAGE));
	ck_assert_int_eq(rcl_region_read(f.e, id, 10 * PAGE, buf, 100), 0);
	ck_assert(check_pattern(buf, 100, 14, 10 * PAGE));
	mm_lock(f.e);
	{
		struct region *r = region_lookup(f.e, id);
		pte_t pte = pte_get(r, 11);

		ck_assert(pte & PTE_DIRTY);
		ck_assert(PageDirty(pfn_to_page(f.e, pte_pfn(pte))));
	}
	mm_unlock(f.e);

	/* Swapped out: a fault. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 5, 1, RCL_MADV_PAGEOUT), 0);
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, 5 * PAGE, buf, PAGE), -EAGAIN);
	/* File regions: a read of resident pages is copied, a write (which must dirty a file
	 * page, and may be throttled) and a read of a page not yet read in fault. */
	file = file_region_of(&f, "f", 4);
	fill_pattern(mine, 2 * PAGE, 21, PAGE);
	ck_assert_int_eq(rcl_region_write(f.e, file, PAGE, mine, 2 * PAGE), 0);
	ck_assert_int_eq(rcl_region_read_resident(f.e, file, 3 * PAGE, buf, PAGE), -EAGAIN);
	memset(buf, 0xee, 4 * PAGE);
	ck_assert_int_eq(rcl_region_read_resident(f.e, file, PAGE + 10, buf, 2 * PAGE - 10), 0);
	ck_assert(check_pattern(buf, 2 * PAGE - 10, 21, PAGE + 10));
	ck_assert_int_eq(rcl_region_write_resident(f.e, file, PAGE, mine, PAGE), -EAGAIN);
	/* A page-cache page mapped by a read fault, not a private copy: the file's zeros. */
	ck_assert_int_eq(rcl_region_read(f.e, file, 0, buf, PAGE), 0);
	memset(buf, 0xee, PAGE);
	ck_assert_int_eq(rcl_region_read_resident(f.e, file, 0, buf, PAGE), 0);
	ck_assert(!memcmp(buf, zeros, PAGE));
	/* Bad ranges, unknown regions. */
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, 63 * PAGE, buf, 2 * PAGE), -EINVAL);
	ck_assert_int_eq(rcl_region_read_resident(f.e, 77, 0, buf, PAGE), -ENOENT);
	/* A busy engine no longer stops it: it takes the region's page-table lock alone
	 * (check_ptl has it race reclaim from other threads). */
	mm_lock(f.e);
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, 0, buf, PAGE), 0);
	ck_assert(check_pattern(buf, PAGE, 14, 0));
	mm_unlock(f.e);
	free(buf);
	free(mine);
	fixture_teardown(&f);
}
END_TEST

/*
 * The same over scattered ranges in one call: every range copied, or none when any page of
 * any range would fault (nothing copied, no fault counted, so the worker that takes it over
 * counts each once); a range outside the region is -EINVAL.
 */
START_TEST(test_readv_resident_all_or_nothing)
{
	char *buf = malloc(8 * PAGE);
	struct rcl_region_iov v[4] = {
		{ .offset = 40 * PAGE + 7, .len = PAGE, .buf = buf },
		{ .offset = 2 * PAGE, .len = 2 * PAGE, .buf = buf + PAGE },
		{ .offset = 17 * PAGE + 100, .len = 300, .buf = buf + 3 * PAGE },
		{ .offset = 2 * PAGE, .len = PAGE, .buf = buf + 4 * PAGE },	/* overlaps */
	};
	struct fixture f;
	uint64_t faults;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = anon_region(&f, 64, 0);
	fixture_fill(&f, id, 0, 48, 31);
	faults = fixture_vmstat(f.e, "pgfault");
	ck_assert_int_eq(rcl_region_readv_resident(f.e, id, v, 4), 0);
	ck_assert(check_pattern(buf, PAGE, 31, 40 * PAGE + 7));
	ck_assert(check_pattern(buf + PAGE, 2 * PAGE, 31, 2 * PAGE));
	ck_assert(check_pattern(buf + 3 * PAGE, 300, 31, 17 * PAGE + 100));
	ck_assert(check_pattern(buf + 4 * PAGE, PAGE, 31, 2 * PAGE));
	/* 2 + 2 + 1 + 1 pages, each counted as the fault it stands for. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgfault") - faults, 6);

	/* One page of the third range swapped out: nothing at all is copied or counted. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 17, 1, RCL_MADV_PAGEOUT), 0);
	memset(buf, 0xee, 8 * PAGE);
	faults = fixture_vmstat(f.e, "pgfault");
	ck_assert_int_eq(rcl_region_readv_resident(f.e, id, v, 4), -EAGAIN);
	ck_assert_uint_eq((unsigned char)buf[0], 0xee);
	ck_assert_uint_eq((unsigned char)buf[PAGE], 0xee);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgfault"), faults);
	/* Without it, the others are copied. */
	ck_assert_int_eq(rcl_region_readv_resident(f.e, id, v, 2), 0);
	ck_assert(check_pattern(buf + PAGE, 2 * PAGE, 31, 2 * PAGE));

	v[1].offset = 63 * PAGE + 1;		/* runs past the end */
	ck_assert_int_eq(rcl_region_readv_resident(f.e, id, v, 2), -EINVAL);
	ck_assert_int_eq(rcl_region_readv_resident(f.e, id + 1, v, 1), -ENOENT);
	free(buf);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("advice");
	TCase *tc = tcase_create("advice");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_madvise_dontneed_zeroes_and_frees);
	tcase_add_test(tc, test_madvise_free_drops_clean_keeps_rewritten);
	tcase_add_test(tc, test_madvise_list_refused_whole);
	tcase_add_test(tc, test_madvise_pageout_cold_willneed);
	tcase_add_test(tc, test_range_read_swaps_in_one_batch);
	tcase_add_test(tc, test_range_touch_swaps_in_one_batch);
	tcase_add_test(tc, test_reclaim_keeps_age_order_in_slots);
	tcase_add_test(tc, test_proactive_reclaim_of_a_memcg);
	tcase_add_test(tc, test_kswapd_balances_to_high_watermark);
	tcase_add_test(tc, test_oom_policy_fail_then_kill);
	tcase_add_test(tc, test_trace_points_fire_with_fields);
	tcase_add_test(tc, test_memcg_walk_and_paths);
	tcase_add_test(tc, test_touch_resident_all_or_nothing);
	tcase_add_test(tc, test_copy_resident_all_or_nothing);
	tcase_add_test(tc, test_readv_resident_all_or_nothing);
	tcase_add_test(tc, test_kswapd_thread_wakes_and_balances);
	suite_add_tcase(s, tc);
	return s;
}
