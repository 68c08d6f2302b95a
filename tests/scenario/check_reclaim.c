/*
 * check_reclaim - behaviour scenarios of the reclaim engine on small arenas with real files
 * (issue 4 "Checked by"). Each test builds a workload, applies pressure, and asserts what the
 * kernel's algorithm promises: scan resistance, swappiness 0, mlock, ENOMEM without swap, file
 * writeback left to the flusher, memcg min and low, and refault detection.
 */
#include <errno.h>

#define RCL_CHECK_ONE_THREAD	/* deterministic, never started: see check-main.h */
#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"

#define PAGE 4096ULL

static uint32_t anon_region(struct fixture *f, uint64_t pages, uint32_t memcg, unsigned flags)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = pages,
					.memcg_id = memcg, .flags = flags };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	return id;
}

/* Create a file of @pages under the data directory through the page cache. */
static void make_file(struct fixture *f, const char *name, uint64_t pages, uint64_t seed)
{
	char *buf = malloc(PAGE);
	uint64_t p;

	for (p = 0; p < pages; p++) {
		fill_pattern(buf, PAGE, seed, p * PAGE);
		ck_assert_int_eq(rcl_file_write(f->e, name, p * PAGE, buf, PAGE), 0);
	}
	ck_assert_int_eq(rcl_sync_all(f->e), 0);
	free(buf);
}

/*
 * Read a whole file once through the buffered path; returns the pages it had to read from
 * the file (pgpgin is in KiB). read() takes no major faults: it is not a fault.
 */
static uint64_t read_file(struct fixture *f, const char *name, uint64_t pages, uint64_t seed)
{
	uint64_t before = fixture_vmstat(f->e, "pgpgin"), p;
	char *buf = malloc(PAGE);
	size_t got;

	for (p = 0; p < pages; p++) {
		ck_assert_int_eq(rcl_file_read(f->e, name, p * PAGE, buf, PAGE, &got), 0);
		ck_assert_uint_eq(got, PAGE);
		if (seed)
			ck_assert(check_pattern(buf, PAGE, seed, p * PAGE));
	}
	free(buf);
	return (fixture_vmstat(f->e, "pgpgin") - before) / (PAGE / 1024);
}

static struct rcl_region_info info(struct fixture *f, uint32_t id)
{
	struct rcl_region_info i;

	ck_assert_int_eq(rcl_region_info(f->e, id, &i), 0);
	return i;
}

/* ---- scan resistance ---------------------------------------------------------------- */

/*
 * A working set read twice is active; one pass over a file eight times the arena goes through
 * the inactive list only and must not push the working set out.
 */
START_TEST(test_scan_resistance)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE, ws = arena_pages / 4;
	uint64_t refaults;

	fixture_setup(&f, 16, 64, 1);
	make_file(&f, "ws", ws, 7);
	make_file(&f, "stream", 8 * arena_pages, 0);
	rcl_drop_caches(f.e, &refaults);
	read_file(&f, "ws", ws, 7);
	read_file(&f, "ws", ws, 7);		/* second access: activated */
	read_file(&f, "stream", 8 * arena_pages, 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pgsteal_direct"), 7 * arena_pages);
	/* Re-reading the working set: what still faults was pushed out by the stream. */
	refaults = read_file(&f, "ws", ws, 7);
	ck_assert_msg(refaults * 100 <= ws * 5, "%llu of %llu working-set pages were evicted",
		      (unsigned long long)refaults, (unsigned long long)ws);
	fixture_teardown(&f);
}
END_TEST

/* ---- swappiness 0 ------------------------------------------------------------------- */

START_TEST(test_swappiness_zero_keeps_anon)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE;
	enum rcl_tunable t;
	uint32_t id;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_tunable_lookup("swappiness", &t), 0);
	ck_assert_int_eq(rcl_tunable_set(f.e, t, 0), 0);
	make_file(&f, "cache", 4 * arena_pages, 0);
	id = anon_region(&f, arena_pages / 4, 0, 0);
	fixture_fill(&f, id, 0, arena_pages / 4, 3);
	/* Plenty of clean file cache to reclaim instead. */
	read_file(&f, "cache", 4 * arena_pages, 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pgsteal_direct"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout"), 0);
	ck_assert_uint_eq(info(&f, id).swapped, 0);
	fixture_verify(&f, id, arena_pages / 4, 3);
	fixture_teardown(&f);
}
END_TEST

/* ---- mlock -------------------------------------------------------------------------- */

START_TEST(test_mlock_never_reclaimed_until_munlock)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE, locked = arena_pages / 4;
	uint32_t lid, hog;

	fixture_setup(&f, 16, 128, 1);
	lid = anon_region(&f, locked, 0, RCL_REGION_LOCKED);
	fixture_fill(&f, lid, 0, locked, 11);
	hog = anon_region(&f, 2 * arena_pages, 0, 0);
	fixture_fill(&f, hog, 0, 2 * arena_pages, 12);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpout"), 0);
	ck_assert_uint_eq(info(&f, lid).resident, locked);
	ck_assert_uint_eq(info(&f, lid).swapped, 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), locked);

	ck_assert_int_eq(rcl_region_munlock(f.e, lid), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), 0);
	fixture_fill(&f, hog, 0, 2 * arena_pages, 13);
	ck_assert_uint_gt(info(&f, lid).swapped, 0);
	fixture_verify(&f, lid, locked, 11);
	fixture_verify(&f, hog, 2 * arena_pages, 13);
	fixture_teardown(&f);
}
END_TEST

/* ---- no swap ------------------------------------------------------------------------ */

START_TEST(test_no_swap_enomem_and_recovery)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE;
	uint64_t p, touched = 0;
	uint32_t a, b;
	int err = 0;

	fixture_setup(&f, 16, 0, 1);
	a = anon_region(&f, arena_pages / 2, 0, 0);
	b = anon_region(&f, arena_pages, 0, 0);
	ck_assert_int_eq(rcl_region_touch(f.e, a, 0, arena_pages / 2, true), 0);
	for (p = 0; p < arena_pages && !err; p++) {
		err = rcl_region_touch(f.e, b, p, 1, true);
		if (!err)
			touched++;
	}
	ck_assert_int_eq(err, -ENOMEM);
	ck_assert_uint_gt(touched, 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "allocstall_normal"), 0);
	/* Everything still adds up: each frame is free or resident in a region. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_free_pages") + info(&f, a).resident +
			  info(&f, b).resident, arena_pages);
	/* A failed touch changed nothing; after a free the next one succeeds. */
	ck_assert_uint_eq(info(&f, b).resident, touched);
	ck_assert_int_eq(rcl_region_free(f.e, a), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, b, touched, 1, true), 0);
	fixture_teardown(&f);
}
END_TEST

/* ---- file pages --------------------------------------------------------------------- */

START_TEST(test_clean_file_pages_dropped_without_io)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE;
	uint64_t written;

	fixture_setup(&f, 16, 64, 1);
	make_file(&f, "clean", 3 * arena_pages, 5);
	written = fixture_vmstat(f.e, "nr_written");
	read_file(&f, "clean", 3 * arena_pages, 5);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pgsteal_direct"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_written"), written);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout"), 0);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_direct_reclaim_leaves_dirty_file_pages_to_flusher)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE, pages = 2 * arena_pages;
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = pages,
					.path = "dirty", .flags = RCL_REGION_SHARED };
	char path[160], *buf = malloc(PAGE), *big;
	uint32_t id;
	uint64_t p;
	FILE *fp;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	/* In one write: the dirty limits are balanced on the way out of each call, so within
	 * it reclaim meets the pages it dirtied, as a kernel reclaimer meets those of a writer
	 * that outruns its throttle. */
	big = malloc(pages * PAGE);
	fill_pattern(big, pages * PAGE, 21, 0);
	ck_assert_int_eq(rcl_region_write(f.e, id, 0, big, pages * PAGE), 0);
	free(big);
	/* Direct reclaim marked dirty pages for immediate reclaim and woke the flusher; it never
	 * wrote a file page itself. */
	ck_assert_uint_gt(fixture_vmstat(f.e, "nr_vmscan_immediate_reclaim"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_vmscan_write"), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "nr_written"), 0);
	fixture_verify(&f, id, pages, 21);
	ck_assert_int_eq(rcl_region_msync(f.e, id), 0);
	snprintf(path, sizeof(path), "%s/dirty", f.data);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	for (p = 0; p < pages; p++) {
		ck_assert_uint_eq(fread(buf, 1, PAGE, fp), PAGE);
		ck_assert(check_pattern(buf, PAGE, 21, p * PAGE));
	}
	fclose(fp);
	free(buf);
	fixture_teardown(&f);
}
END_TEST

/* ---- memcg protection --------------------------------------------------------------- */

/* Fill the arena with raw (unreclaimable) allocations until they fail; returns how many. */
static unsigned int raw_fill(struct fixture *f, uint32_t *pfns, unsigned int max)
{
	unsigned int n = 0;

	while (n < max && rcl_alloc_pages(f->e, 0, 0, 0, &pfns[n]) == 0)
		n++;
	return n;
}

START_TEST(test_memcg_min_holds_under_global_pressure)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE, prot = arena_pages / 4;
	uint32_t cg, id, hog, *pfns = calloc(arena_pages, sizeof(*pfns));

	fixture_setup(&f, 16, 128, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "prot", &cg), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, cg, RCL_MEMCG_MIN, prot * PAGE), 0);
	id = anon_region(&f, prot, cg, 0);
	fixture_fill(&f, id, 0, prot, 31);
	hog = anon_region(&f, 2 * arena_pages, 0, 0);
	fixture_fill(&f, hog, 0, 2 * arena_pages, 32);
	ck_assert_uint_eq(info(&f, id).swapped, 0);
	/* Even with nothing else left to reclaim, min holds: the allocation fails instead. */
	ck_assert_int_eq(rcl_region_free(f.e, hog), 0);
	raw_fill(&f, pfns, (unsigned int)arena_pages);
	ck_assert_uint_eq(info(&f, id).swapped, 0);
	ck_assert_uint_eq(info(&f, id).resident, prot);
	fixture_verify(&f, id, prot, 31);
	free(pfns);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_memcg_low_holds_then_gives_way)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE, prot = arena_pages / 4;
	uint32_t cg, id, hog, *pfns = calloc(arena_pages, sizeof(*pfns));
	unsigned int n, nr_raw;

	fixture_setup(&f, 16, 128, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "low", &cg), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, cg, RCL_MEMCG_LOW, prot * PAGE), 0);
	id = anon_region(&f, prot, cg, 0);
	fixture_fill(&f, id, 0, prot, 41);
	/* While unprotected memory remains, low holds. */
	hog = anon_region(&f, 2 * arena_pages, 0, 0);
	fixture_fill(&f, hog, 0, 2 * arena_pages, 42);
	ck_assert_uint_eq(info(&f, id).swapped, 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, cg, true, "low"), 0);
	/* Nothing unprotected left: the second pass reclaims the group, with a low event. */
	ck_assert_int_eq(rcl_region_free(f.e, hog), 0);
	nr_raw = raw_fill(&f, pfns, (unsigned int)arena_pages);
	ck_assert_uint_gt(info(&f, id).swapped, 0);
	ck_assert_uint_gt(fixture_memcg_value(f.e, cg, true, "low"), 0);
	for (n = 0; n < nr_raw; n++)
		ck_assert_int_eq(rcl_free_pages(f.e, pfns[n], 0), 0);
	fixture_verify(&f, id, prot, 41);
	free(pfns);
	fixture_teardown(&f);
}
END_TEST

/* memory.high is not a wall: charges go through, and the group reclaims back on the way out. */
START_TEST(test_memcg_high_reclaims_back)
{
	struct fixture f;
	const uint64_t high = 2 * MiB, pages = 4 * MiB / PAGE;
	uint32_t cg, id;
	uint64_t usage;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "soft", &cg), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, cg, RCL_MEMCG_HIGH, high), 0);
	id = anon_region(&f, pages, cg, 0);
	fixture_fill(&f, id, 0, pages, 51);		/* twice its high, page by page */
	ck_assert_int_eq(rcl_memcg_usage(f.e, cg, &usage), 0);
	ck_assert_uint_le(usage, high);
	ck_assert_uint_gt(fixture_memcg_value(f.e, cg, true, "high"), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, cg, true, "max"), 0);	/* never refused */
	ck_assert_uint_gt(info(&f, id).swapped, 0);
	fixture_verify(&f, id, pages, 51);
	fixture_teardown(&f);
}
END_TEST

/* ---- workingset --------------------------------------------------------------------- */

/* Passes over a new working set until one pass reads nothing from the file (at most @max). */
static int passes_until_resident(bool detection, int max)
{
	struct fixture f;
	const uint64_t arena_pages = 16 * MiB / PAGE;
	const uint64_t old_ws = arena_pages * 45 / 100, new_ws = arena_pages * 55 / 100;
	enum rcl_tunable t;
	uint64_t dropped;
	int pass;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_tunable_lookup("workingset_refault_detection", &t), 0);
	ck_assert_int_eq(rcl_tunable_set(f.e, t, detection), 0);
	make_file(&f, "old", old_ws, 0);
	make_file(&f, "new", new_ws, 0);
	rcl_drop_caches(f.e, &dropped);
	read_file(&f, "old", old_ws, 0);
	read_file(&f, "old", old_ws, 0);	/* the old working set is active */
	for (pass = 1; pass <= max; pass++)
		if (read_file(&f, "new", new_ws, 0) == 0)
			break;
	fixture_teardown(&f);
	return pass;
}

START_TEST(test_workingset_refault_detection_helps)
{
	/* With detection it takes 3 passes; without, the new set never settles (10 is plenty:
	 * each pass reads half the arena from disk). */
	int with = passes_until_resident(true, 10), without = passes_until_resident(false, 10);

	fprintf(stderr, "# workingset: %d passes with refault detection, %d without\n", with,
		without);
	ck_assert_msg(with < without, "refault detection on: %d passes, off: %d", with, without);
}
END_TEST

/* Streaming a big file leaves shadows behind; the shrinker caps them at one group per 8 pages. */
START_TEST(test_shadow_nodes_are_capped)
{
	struct fixture f;
	const uint64_t arena_pages = 8 * MiB / PAGE, file_pages = 16 * arena_pages;

	fixture_setup(&f, 8, 0, 1);
	make_file(&f, "big", file_pages, 0);
	read_file(&f, "big", file_pages, 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "workingset_nodereclaim"), 0);
	ck_assert_uint_le(f.e->nr_shadow_nodes, arena_pages >> 3);
	/* The shrinker takes the oldest leaves first: those of recently evicted pages stay
	 * and still work as refault information. */
	{
		char *buf = malloc(PAGE);
		uint64_t p;
		size_t got;

		for (p = file_pages - 2 * arena_pages; p < file_pages - 2 * arena_pages + 64; p++)
			ck_assert_int_eq(rcl_file_read(f.e, "big", p * PAGE, buf, PAGE, &got), 0);
		free(buf);
	}
	ck_assert_uint_gt(fixture_vmstat(f.e, "workingset_refault"), 0);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("reclaim");
	TCase *tc = tcase_create("reclaim");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_scan_resistance);
	tcase_add_test(tc, test_swappiness_zero_keeps_anon);
	tcase_add_test(tc, test_mlock_never_reclaimed_until_munlock);
	tcase_add_test(tc, test_no_swap_enomem_and_recovery);
	tcase_add_test(tc, test_clean_file_pages_dropped_without_io);
	tcase_add_test(tc, test_direct_reclaim_leaves_dirty_file_pages_to_flusher);
	tcase_add_test(tc, test_memcg_min_holds_under_global_pressure);
	tcase_add_test(tc, test_memcg_low_holds_then_gives_way);
	tcase_add_test(tc, test_memcg_high_reclaims_back);
	tcase_add_test(tc, test_workingset_refault_detection_helps);
	tcase_add_test(tc, test_shadow_nodes_are_capped);
	suite_add_tcase(s, tc);
	return s;
}
