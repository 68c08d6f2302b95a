/*
 * check_regions - a region costs what it touches, not its size: a 1 TiB region with a few
 * pages touched at both ends holds a few page-table nodes, charged to its memcg as
 * memory.stat "pagetables", and gives every byte of them back when it is freed.
 */
#include "check-main.h"
#include "engine-fixture.h"

#define TiB_PAGES	(1ULL << 28)

START_TEST(test_huge_region_costs_what_it_touches)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = TiB_PAGES };
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
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, g, false, "pagetables"), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, RCL_MEMCG_ROOT, false, "pagetables"), 0);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("regions");
	TCase *tc = tcase_create("regions");

	tcase_add_test(tc, test_huge_region_costs_what_it_touches);
	suite_add_tcase(s, tc);
	return s;
}
