/*
 * check_psi - pressure stall information: the averaging arithmetic against hand-computed
 * values, period folding, and stall time charged where reclaim really happened.
 */
#include <check.h>
#include <errno.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "memcontrol.h"

START_TEST(test_calc_avg)
{
	/* One fully stalled period from zero: 100% = 204800; 204800 * (2048 - 1677) = 75980800,
	 * rounded / 2048 = 37100, i.e. 18.11%: 1 - e^(-2/10) = 18.13% in exact terms. */
	ck_assert_uint_eq(psi_calc_avg(0, PSI_EXP_10S, 100 * PSI_FIXED_1), 37100);
	/* avg60: 204800 * 67 / 2048 = 6700 (3.27%). avg300: 204800 * 14 / 2048 = 1400. */
	ck_assert_uint_eq(psi_calc_avg(0, PSI_EXP_60S, 100 * PSI_FIXED_1), 6700);
	ck_assert_uint_eq(psi_calc_avg(0, PSI_EXP_300S, 100 * PSI_FIXED_1), 1400);
	/* An idle period decays: 37100 * 1677 = 62216700, / 2048 = 30379.25 -> 30379. */
	ck_assert_uint_eq(psi_calc_avg(37100, PSI_EXP_10S, 0), 30379);
	/* Steady 50% converges to 50%. */
	{
		unsigned long avg = 0;
		int i;

		for (i = 0; i < 200; i++)
			avg = psi_calc_avg(avg, PSI_EXP_10S, 50 * PSI_FIXED_1);
		ck_assert_uint_eq((avg + PSI_FIXED_1 / 2) / PSI_FIXED_1, 50);
	}
}
END_TEST

START_TEST(test_group_update_periods)
{
	struct psi_group g = { 0 };
	uint64_t t = 1000 * PSI_FREQ_NS;

	psi_group_update(&g, t);			/* starts the first period */
	g.period_ns[PSI_SOME] = PSI_FREQ_NS / 2;	/* half of it stalled */
	psi_group_update(&g, t + PSI_FREQ_NS);		/* one period ends */
	/* pct = 50% = 102400; 102400 * 371 / 2048 = 18550. */
	ck_assert_uint_eq(g.avg[PSI_SOME][0], 18550);
	ck_assert_uint_eq(g.period_ns[PSI_SOME], 0);
	ck_assert_uint_eq(g.avg[PSI_FULL][0], 0);
	/* Two more idle periods decay it twice. */
	psi_group_update(&g, t + 3 * PSI_FREQ_NS);
	ck_assert_uint_eq(g.avg[PSI_SOME][0], psi_calc_avg(psi_calc_avg(18550, PSI_EXP_10S, 0),
							   PSI_EXP_10S, 0));
	/* Reading again within the same period changes nothing. */
	psi_group_update(&g, t + 3 * PSI_FREQ_NS + 1);
	ck_assert_uint_eq(g.avg[PSI_SOME][0], psi_calc_avg(psi_calc_avg(18550, PSI_EXP_10S, 0),
							   PSI_EXP_10S, 0));
}
END_TEST

START_TEST(test_stalls_are_charged)
{
	struct fixture f;
	struct rcl_psi root, group, before;
	const uint64_t arena_pages = 16 * MiB / 4096;
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = arena_pages / 2 };
	uint32_t cg, id, hog;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_psi_read(f.e, RCL_MEMCG_ROOT, &before), 0);
	ck_assert_uint_eq(before.some.total_usec, 0);
	/* A group over its max reclaims on its own charge: its stall, and its parents'. */
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "capped", &cg), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, cg, RCL_MEMCG_MAX, 2 * MiB), 0);
	spec.memcg_id = cg;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, spec.nr_pages, 1);
	ck_assert_int_eq(rcl_psi_read(f.e, cg, &group), 0);
	ck_assert_int_eq(rcl_psi_read(f.e, RCL_MEMCG_ROOT, &root), 0);
	ck_assert_uint_gt(group.some.total_usec, 0);
	ck_assert_uint_ge(root.some.total_usec, group.some.total_usec);
	ck_assert_uint_eq(group.full.total_usec, group.some.total_usec);
	/* Global pressure from the root group: direct reclaim stalls the root only. */
	spec.memcg_id = 0;
	spec.nr_pages = 2 * arena_pages;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &hog), 0);
	fixture_fill(&f, hog, 0, spec.nr_pages, 2);
	ck_assert_int_eq(rcl_psi_read(f.e, RCL_MEMCG_ROOT, &before), 0);
	ck_assert_uint_gt(before.some.total_usec, root.some.total_usec);
	ck_assert_int_eq(rcl_psi_read(f.e, 999, &root), -ENOENT);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("psi");
	TCase *tc = tcase_create("psi");

	tcase_add_test(tc, test_calc_avg);
	tcase_add_test(tc, test_group_update_periods);
	tcase_add_test(tc, test_stalls_are_charged);
	suite_add_tcase(s, tc);
	return s;
}
