/*
 * check_regions - a region costs what it touches, not its size: a 1 TiB region with a few
 * pages touched at both ends holds a few page-table nodes, charged to its memcg as
 * memory.stat "pagetables", and gives every byte of them back when it is freed. Its info
 * counts what its pages are: resident, swapped, dirty.
 */
#include "check-main.h"
#include "engine-fixture.h"

#define PAGE 4096ULL

#define TiB_PAGES	(1ULL << 28)

START_TEST(test_huge_region_costs_what_it_touches)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = TiB_PAGES };
	struct rcl_region_info info;
	uint64_t tables;
	uint32_t g, id;

	fixture_setup(&f, 16, 32, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "big", &g), 0);
	spec.memcg_id = g;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, g, false, "pagetables"), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, id, 0, 16, true), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, id, TiB_PAGES - 16, 16, true), 0);
	tables = fixture_memcg_value(f.e, g, false, "pagetables");
	/* Two paths of at most five 64-slot nodes: a few KiB, where a flat table is 2 GiB. */
	ck_assert_uint_gt(tables, 0);
	ck_assert_uint_lt(tables, 16 * 1024);
	ck_assert_uint_eq(fixture_memcg_value(f.e, RCL_MEMCG_ROOT, false, "pagetables"), tables);
	ck_assert_int_eq(rcl_region_info(f.e, id, &info), 0);	/* walks what exists only */
	ck_assert_uint_eq(info.resident, 32);
	ck_assert_uint_eq(info.dirty, 32);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, g, false, "pagetables"), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, RCL_MEMCG_ROOT, false, "pagetables"), 0);
	fixture_teardown(&f);
}
END_TEST

static struct rcl_region_info info_of(struct fixture *f, uint32_t id)
{
	struct rcl_region_info i;

	ck_assert_int_eq(rcl_region_info(f->e, id, &i), 0);
	return i;
}

/*
 * Dirty pages: written and not clean since. Written pages are; swapped out they are not
 * resident; read back from swap they are clean (the slot holds them); a file region's are
 * clean again once written back.
 */
START_TEST(test_info_counts_dirty_pages)
{
	struct rcl_region_spec anon = { .type = RCL_REGION_ANON, .nr_pages = 64 };
	struct rcl_region_spec file = { .type = RCL_REGION_FILE, .nr_pages = 16,
					.flags = RCL_REGION_SHARED, .path = "dirty.dat" };
	struct fixture f;
	char buf[PAGE];
	uint32_t a, fr;

	fixture_setup(&f, 16, 32, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &anon, &a), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, a, 0, 20, false), 0);	/* the zero page */
	fixture_fill(&f, a, 0, 10, 61);
	ck_assert_uint_eq(info_of(&f, a).dirty, 10);
	ck_assert_int_eq(rcl_region_madvise(f.e, a, 0, 64, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(info_of(&f, a).swapped, 10);
	ck_assert_uint_eq(info_of(&f, a).dirty, 0);
	ck_assert_int_eq(rcl_region_read(f.e, a, 0, buf, PAGE), 0);
	ck_assert_uint_eq(info_of(&f, a).resident, 1);
	ck_assert_uint_eq(info_of(&f, a).dirty, 0);
	fixture_fill(&f, a, 3, 2, 62);
	ck_assert_uint_eq(info_of(&f, a).dirty, 2);

	ck_assert_int_eq(rcl_region_create(f.e, &file, &fr), 0);
	fixture_fill(&f, fr, 0, 3, 63);
	ck_assert_uint_eq(info_of(&f, fr).dirty, 3);
	ck_assert_int_eq(rcl_region_msync(f.e, fr), 0);
	ck_assert_uint_eq(info_of(&f, fr).dirty, 0);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("regions");
	TCase *tc = tcase_create("regions");

	tcase_add_test(tc, test_huge_region_costs_what_it_touches);
	tcase_add_test(tc, test_info_counts_dirty_pages);
	suite_add_tcase(s, tc);
	return s;
}
