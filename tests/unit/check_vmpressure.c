/*
 * check_vmpressure - spec 15: the level of a window in the spec's integer arithmetic, the
 * 512-page window, event delivery up a parent/child pair in the three listener modes, and
 * vmpressure_prio's critical verdict at priority <= 3.
 */
#include <errno.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"
#include "memcontrol.h"
#include "vmscan.h"

/* ---- calc_level ------------------------------------------------------------------------ */

START_TEST(test_calc_level_windows)
{
	/* reclaimed >= scanned: pressure 0 -> low. */
	ck_assert_int_eq(vmpressure_calc_level(512, 512), RCL_PRESSURE_LOW);
	ck_assert_int_eq(vmpressure_calc_level(512, 600), RCL_PRESSURE_LOW);
	/* 512/0: scale 512, pressure = 512 - 0*512/512 = 512; 512*100/512 = 100 -> critical. */
	ck_assert_int_eq(vmpressure_calc_level(512, 0), RCL_PRESSURE_CRITICAL);
	/* 512/256: scale 768; 256*768/512 = 384; 768-384 = 384; 38400/768 = 50 -> low. */
	ck_assert_int_eq(vmpressure_calc_level(512, 256), RCL_PRESSURE_LOW);
	/* 512/1: scale 513; 1*513/512 = 1; 513-1 = 512; 51200/513 = 99 -> critical. */
	ck_assert_int_eq(vmpressure_calc_level(512, 1), RCL_PRESSURE_CRITICAL);
}
END_TEST

START_TEST(test_calc_level_boundary_60)
{
	/* 1000/400: scale 1400; 400*1400/1000 = 560; 1400-560 = 840; 84000/1400 = 60 -> medium. */
	ck_assert_int_eq(vmpressure_calc_level(1000, 400), RCL_PRESSURE_MEDIUM);
	/* 1000/401: scale 1401; 401*1401/1000 = 561801/1000 = 561; 1401-561 = 840;
	 * 84000/1401 = 59 (59.96) -> low. */
	ck_assert_int_eq(vmpressure_calc_level(1000, 401), RCL_PRESSURE_LOW);
	/* 512/204: scale 716; 204*716/512 = 146064/512 = 285; 716-285 = 431; 43100/716 = 60
	 * (60.19) -> medium. */
	ck_assert_int_eq(vmpressure_calc_level(512, 204), RCL_PRESSURE_MEDIUM);
	/* 512/205: scale 717; 205*717/512 = 146985/512 = 287; 717-287 = 430; 43000/717 = 59
	 * (59.97) -> low, although 100*(1-205/512) = 59.96 too. */
	ck_assert_int_eq(vmpressure_calc_level(512, 205), RCL_PRESSURE_LOW);
}
END_TEST

START_TEST(test_calc_level_boundary_95)
{
	/* 1000/50: scale 1050; 50*1050/1000 = 52; 1050-52 = 998; 99800/1050 = 95 (95.05) ->
	 * critical. */
	ck_assert_int_eq(vmpressure_calc_level(1000, 50), RCL_PRESSURE_CRITICAL);
	/* 1000/51: scale 1051; 51*1051/1000 = 53601/1000 = 53; 1051-53 = 998;
	 * 99800/1051 = 94 (94.96) -> medium. */
	ck_assert_int_eq(vmpressure_calc_level(1000, 51), RCL_PRESSURE_MEDIUM);
	/* 512/25: scale 537; 25*537/512 = 13425/512 = 26; 537-26 = 511; 51100/537 = 95 (95.16)
	 * -> critical. */
	ck_assert_int_eq(vmpressure_calc_level(512, 25), RCL_PRESSURE_CRITICAL);
	/* 512/26: scale 538; 26*538/512 = 13988/512 = 27; 538-27 = 511; 51100/538 = 94 (94.98)
	 * -> medium. */
	ck_assert_int_eq(vmpressure_calc_level(512, 26), RCL_PRESSURE_MEDIUM);
}
END_TEST

/* ---- listeners ------------------------------------------------------------------------- */

struct hits {
	int n[RCL_PRESSURE_NR_LEVELS];
	int total;
	uint32_t last_memcg;
};

static void on_pressure(void *arg, uint32_t memcg_id, enum rcl_pressure_level level)
{
	struct hits *h = arg;

	h->n[level]++;
	h->total++;
	h->last_memcg = memcg_id;
}

struct pair {
	struct fixture f;
	uint32_t parent, child;
	struct mem_cgroup *p, *c;
};

static void pair_setup(struct pair *s)
{
	fixture_setup(&s->f, 16, 0, 1);
	ck_assert_int_eq(rcl_memcg_create(s->f.e, RCL_MEMCG_ROOT, "P", &s->parent), 0);
	ck_assert_int_eq(rcl_memcg_create(s->f.e, s->parent, "C", &s->child), 0);
	s->p = mem_cgroup_from_id(s->f.e, s->parent);
	s->c = mem_cgroup_from_id(s->f.e, s->child);
}

/* A full tree window of @scanned/@reclaimed charged to @memcg, under the engine's lock. */
static void tree_window(struct rcl_engine *e, struct mem_cgroup *memcg, unsigned long scanned,
			unsigned long reclaimed)
{
	mm_lock(e);
	vmpressure(GFP_KERNEL, memcg, true, scanned, reclaimed);
	mm_unlock(e);
}

START_TEST(test_window_below_512_does_not_signal)
{
	struct pair s;
	struct hits h = { { 0 }, 0, 0 };
	enum rcl_pressure_level now;

	pair_setup(&s);
	ck_assert_int_ge(rcl_pressure_listen(s.f.e, s.child, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_DEFAULT, on_pressure, &h), 1);
	/* 511 scanned: below the window, nothing is signalled, the sums are kept. */
	tree_window(s.f.e, s.c, 511, 0);
	ck_assert_int_eq(h.total, 0);
	ck_assert_uint_eq(s.c->vmpressure.tree_scanned, 511);
	/* One more page fills the window: 512/0 is critical; the sums restart from zero. */
	tree_window(s.f.e, s.c, 1, 0);
	ck_assert_int_eq(h.total, 1);
	ck_assert_int_eq(h.n[RCL_PRESSURE_CRITICAL], 1);
	ck_assert_uint_eq(h.last_memcg, s.child);
	ck_assert_uint_eq(s.c->vmpressure.tree_scanned, 0);
	ck_assert_uint_eq(s.c->vmpressure.tree_reclaimed, 0);
	ck_assert_int_eq(rcl_pressure_now(s.f.e, s.child, &now), 0);
	ck_assert_int_eq(now, RCL_PRESSURE_CRITICAL);
	/* 300/300 then 300/0: one window of 600/300: scale 900; 300*900/600 = 450; 900-450 =
	 * 450; 45000/900 = 50 -> low. */
	tree_window(s.f.e, s.c, 300, 300);
	ck_assert_int_eq(h.total, 1);
	tree_window(s.f.e, s.c, 300, 0);
	ck_assert_int_eq(h.total, 2);
	ck_assert_int_eq(h.n[RCL_PRESSURE_LOW], 1);
	/* Allocations that could not have used reclaimable memory say nothing (no HIGHMEM,
	 * MOVABLE, IO or FS); nor does a window with nothing scanned. */
	mm_lock(s.f.e);
	vmpressure(GFP_NOIO, s.c, true, 1024, 0);
	vmpressure(GFP_KERNEL, s.c, true, 0, 0);
	mm_unlock(s.f.e);
	ck_assert_int_eq(h.total, 2);
	ck_assert_uint_eq(s.c->vmpressure.tree_scanned, 0);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_local_window_sets_socket_pressure_only)
{
	struct pair s;
	struct hits h = { { 0 }, 0, 0 };
	struct mem_cgroup *root;

	pair_setup(&s);
	root = s.f.e->root_mem_cgroup;
	ck_assert_int_ge(rcl_pressure_listen(s.f.e, s.child, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_HIERARCHY, on_pressure, &h), 1);
	mm_lock(s.f.e);
	/* tree = false: the group's own window; 512/0 is critical, above low: socket
	 * pressure, but no event is delivered from this path. */
	ck_assert(!vmpressure_socket_pressure(&s.c->vmpressure));
	vmpressure(GFP_KERNEL, s.c, false, 511, 0);	/* below the window: nothing */
	ck_assert(!vmpressure_socket_pressure(&s.c->vmpressure));
	vmpressure(GFP_KERNEL, s.c, false, 1, 0);
	ck_assert(vmpressure_socket_pressure(&s.c->vmpressure));
	ck_assert_uint_eq(s.c->vmpressure.scanned, 0);
	/* 512/512 -> low: the flag stays for its second (spec 15: "for one second"). */
	vmpressure(GFP_KERNEL, s.c, false, 512, 512);
	ck_assert(vmpressure_socket_pressure(&s.c->vmpressure));
	/* Once the second has passed it is off. */
	s.c->vmpressure.socket_pressure = 1;
	ck_assert(!vmpressure_socket_pressure(&s.c->vmpressure));
	/* The root memcg is skipped on the local path. */
	vmpressure(GFP_KERNEL, root, false, 100, 0);
	ck_assert_uint_eq(root->vmpressure.scanned, 0);
	mm_unlock(s.f.e);
	ck_assert_int_eq(h.total, 0);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_modes_child_event)
{
	struct pair s;
	struct hits c_def = { { 0 }, 0, 0 }, p_def = { { 0 }, 0, 0 }, p_hier = { { 0 }, 0, 0 },
		    p_local = { { 0 }, 0, 0 };
	int id;

	pair_setup(&s);
	id = rcl_pressure_listen(s.f.e, s.child, RCL_PRESSURE_LOW, RCL_PRESSURE_DEFAULT,
				 on_pressure, &c_def);
	ck_assert_int_ge(id, 1);
	ck_assert_int_ge(rcl_pressure_listen(s.f.e, s.parent, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_DEFAULT, on_pressure, &p_def), 1);
	ck_assert_int_ge(rcl_pressure_listen(s.f.e, s.parent, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_HIERARCHY, on_pressure, &p_hier), 1);
	ck_assert_int_ge(rcl_pressure_listen(s.f.e, s.parent, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_LOCAL, on_pressure, &p_local), 1);

	/* The child's window: the child's default listener fires, which marks the walk as
	 * signalled; at the parent (an ancestor) the default listener is then skipped, the
	 * local one never sees descendants, the hierarchy one always receives. */
	tree_window(s.f.e, s.c, 512, 0);
	ck_assert_int_eq(c_def.total, 1);
	ck_assert_int_eq(p_def.total, 0);
	ck_assert_int_eq(p_hier.total, 1);
	ck_assert_int_eq(p_local.total, 0);
	ck_assert_uint_eq(p_hier.last_memcg, s.parent);

	/* Without a listener on the child nothing signalled below: the parent's default
	 * listener now receives the child's event. */
	ck_assert_int_eq(rcl_pressure_unlisten(s.f.e, s.child, id), 0);
	ck_assert_int_eq(rcl_pressure_unlisten(s.f.e, s.child, id), -ENOENT);
	tree_window(s.f.e, s.c, 512, 0);
	ck_assert_int_eq(c_def.total, 1);
	ck_assert_int_eq(p_def.total, 1);
	ck_assert_int_eq(p_hier.total, 2);
	ck_assert_int_eq(p_local.total, 0);

	/* The parent's own window: all three of its listeners receive it. */
	tree_window(s.f.e, s.p, 512, 0);
	ck_assert_int_eq(p_def.total, 2);
	ck_assert_int_eq(p_hier.total, 3);
	ck_assert_int_eq(p_local.total, 1);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_listener_level_filter)
{
	struct pair s;
	struct hits crit = { { 0 }, 0, 0 }, med = { { 0 }, 0, 0 };

	pair_setup(&s);
	ck_assert_int_ge(rcl_pressure_listen(s.f.e, s.child, RCL_PRESSURE_CRITICAL,
					     RCL_PRESSURE_HIERARCHY, on_pressure, &crit), 1);
	ck_assert_int_ge(rcl_pressure_listen(s.f.e, s.child, RCL_PRESSURE_MEDIUM,
					     RCL_PRESSURE_HIERARCHY, on_pressure, &med), 1);
	/* 1000/400 is medium (see the boundary test): only the medium listener. */
	tree_window(s.f.e, s.c, 1000, 400);
	ck_assert_int_eq(crit.total, 0);
	ck_assert_int_eq(med.n[RCL_PRESSURE_MEDIUM], 1);
	/* 512/256 is low: nobody. */
	tree_window(s.f.e, s.c, 512, 256);
	ck_assert_int_eq(crit.total + med.total, 1);
	/* 512/0 is critical: both. */
	tree_window(s.f.e, s.c, 512, 0);
	ck_assert_int_eq(crit.n[RCL_PRESSURE_CRITICAL], 1);
	ck_assert_int_eq(med.n[RCL_PRESSURE_CRITICAL], 1);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_prio_critical)
{
	struct pair s;
	struct hits h = { { 0 }, 0, 0 };
	int prio;

	pair_setup(&s);
	ck_assert_int_ge(rcl_pressure_listen(s.f.e, s.child, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_DEFAULT, on_pressure, &h), 1);
	mm_lock(s.f.e);
	/* critical_prio = ilog2(100 / 10) = 3: priorities 12..4 say nothing. */
	for (prio = DEF_PRIORITY; prio > 3; prio--)
		vmpressure_prio(GFP_KERNEL, s.c, prio);
	mm_unlock(s.f.e);
	ck_assert_int_eq(h.total, 0);
	ck_assert_uint_eq(s.c->vmpressure.tree_scanned, 0);
	mm_lock(s.f.e);
	/* Priority 3, 2, 1, 0: each a whole 512/0 window at once, critical. */
	for (prio = 3; prio >= 0; prio--)
		vmpressure_prio(GFP_KERNEL, s.c, prio);
	mm_unlock(s.f.e);
	ck_assert_int_eq(h.total, 4);
	ck_assert_int_eq(h.n[RCL_PRESSURE_CRITICAL], 4);
	fixture_teardown(&s.f);
}
END_TEST

START_TEST(test_listen_validation)
{
	struct pair s;
	struct hits h = { { 0 }, 0, 0 };
	enum rcl_pressure_level now;

	pair_setup(&s);
	ck_assert_int_eq(rcl_pressure_listen(s.f.e, s.child, RCL_PRESSURE_NR_LEVELS,
					     RCL_PRESSURE_DEFAULT, on_pressure, &h), -EINVAL);
	ck_assert_int_eq(rcl_pressure_listen(s.f.e, s.child, RCL_PRESSURE_LOW,
					     (enum rcl_pressure_mode)3, on_pressure, &h), -EINVAL);
	ck_assert_int_eq(rcl_pressure_listen(s.f.e, s.child, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_DEFAULT, NULL, &h), -EINVAL);
	ck_assert_int_eq(rcl_pressure_listen(s.f.e, 999, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_DEFAULT, on_pressure, &h), -ENOENT);
	ck_assert_int_eq(rcl_pressure_unlisten(s.f.e, 999, 1), -ENOENT);
	ck_assert_int_eq(rcl_pressure_now(s.f.e, 999, &now), -ENOENT);
	/* No window yet: none. */
	ck_assert_int_eq(rcl_pressure_now(s.f.e, s.child, &now), 0);
	ck_assert_int_eq(now, RCL_PRESSURE_NONE);
	fixture_teardown(&s.f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("vmpressure");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_calc_level_windows);
	tcase_add_test(tc, test_calc_level_boundary_60);
	tcase_add_test(tc, test_calc_level_boundary_95);
	tcase_add_test(tc, test_window_below_512_does_not_signal);
	tcase_add_test(tc, test_local_window_sets_socket_pressure_only);
	tcase_add_test(tc, test_modes_child_event);
	tcase_add_test(tc, test_listener_level_filter);
	tcase_add_test(tc, test_prio_critical);
	tcase_add_test(tc, test_listen_validation);
	suite_add_tcase(s, tc);
	return s;
}
