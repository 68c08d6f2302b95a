/*
 * check_memcontrol - memory cgroups: effective protection in a three-level hierarchy with the
 * spec 6.1 formulas, the protected-usage sums, mem_cgroup_iter's pre-order walk and shared
 * cursor (spec 6 step 2), charging up the hierarchy, memory.max, and the public API's checks.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "beside-lock.h"
#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"
#include "memcontrol.h"
#include "vmscan.h"

#define PG 4096ULL

static void lock(struct rcl_engine *e) { mm_lock(e); }
static void unlock(struct rcl_engine *e) { mm_unlock(e); }
static void lock_arg(void *e) { mm_lock(e); }
static void unlock_arg(void *e) { mm_unlock(e); }

static uint32_t mkcg(struct rcl_engine *e, uint32_t parent, const char *name)
{
	uint32_t id;

	ck_assert_int_eq(rcl_memcg_create(e, parent, name, &id), 0);
	return id;
}

/* An anonymous region of @n pages in @memcg_id, every page touched (charged). */
static uint32_t charge_anon(struct rcl_engine *e, uint32_t memcg_id, uint64_t n)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = n,
					 .memcg_id = memcg_id };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(e, &spec, &id), 0);
	ck_assert_int_eq(rcl_region_touch(e, id, 0, n, true), 0);
	return id;
}

/* Free region @id; the pages its LRU-add vector still holds are released by a drain. */
static void free_region(struct rcl_engine *e, uint32_t id)
{
	ck_assert_int_eq(rcl_region_free(e, id), 0);
	lock(e);
	lru_add_drain(e);
	unlock(e);
}

static struct mem_cgroup *cg(struct rcl_engine *e, uint32_t id)
{
	return mem_cgroup_from_id(e, id);
}

/* ---- effective protection (spec 6.1) --------------------------------------------------- */

START_TEST(test_protection_three_levels)
{
	struct fixture f;
	struct mem_cgroup *root, *a, *b, *c, *d;
	uint32_t A, B, C, D;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	B = mkcg(f.e, A, "B");
	C = mkcg(f.e, A, "C");
	D = mkcg(f.e, A, "D");
	/* A: min 100, low 200 pages. B: min 80, low 200. C: min 100. D: low 100. */
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_MIN, 100 * PG), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_LOW, 200 * PG), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, B, RCL_MEMCG_MIN, 80 * PG), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, B, RCL_MEMCG_LOW, 200 * PG), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, C, RCL_MEMCG_MIN, 100 * PG), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, D, RCL_MEMCG_LOW, 100 * PG), 0);
	/* Usage: B 70, C 60, D 30; A 160. */
	charge_anon(f.e, B, 70);
	charge_anon(f.e, C, 60);
	charge_anon(f.e, D, 30);
	lock(f.e);
	root = f.e->root_mem_cgroup;
	a = cg(f.e, A);
	b = cg(f.e, B);
	c = cg(f.e, C);
	d = cg(f.e, D);
	ck_assert_uint_eq(mem_cgroup_usage(a), 160);

	/*
	 * Protected usage (v4.19: usage if usage <= the setting, else 0):
	 *   min: B 70 <= 80 -> 70; C 60 <= 100 -> 60; D min 0: untracked -> A sum 130.
	 *   low: B 70 <= 200 -> 70; C low 0: untracked; D 30 <= 100 -> 30 -> A sum 100.
	 *   A: min 160 > 100 -> 0; low 160 <= 200 -> 160: root sums 0 and 160.
	 */
	ck_assert_uint_eq(a->memory.children_min_usage, 130);
	ck_assert_uint_eq(a->memory.children_low_usage, 100);
	ck_assert_uint_eq(root->memory.children_min_usage, 0);
	ck_assert_uint_eq(root->memory.children_low_usage, 160);

	/* The root itself: NONE. */
	ck_assert_int_eq(mem_cgroup_protected(root, root), MEMCG_PROT_NONE);
	/* A, child of the reclaim root: its own values: emin 100, elow 200; 160 > 100,
	 * 160 <= 200 -> LOW. */
	ck_assert_int_eq(mem_cgroup_protected(root, a), MEMCG_PROT_LOW);
	ck_assert_uint_eq(a->memory.emin, 100);
	ck_assert_uint_eq(a->memory.elow, 200);
	/* B: emin = min(80, 100) = 80; min_usage = min(70, 80) = 70; 100 * 70 / 130 = 53
	 *    -> emin 53. elow = min(200, 200) = 200; low_usage = 70; 200 * 70 / 100 = 140
	 *    -> elow 140. usage 70 > 53, <= 140 -> LOW. */
	ck_assert_int_eq(mem_cgroup_protected(root, b), MEMCG_PROT_LOW);
	ck_assert_uint_eq(b->memory.emin, 53);
	ck_assert_uint_eq(b->memory.elow, 140);
	/* C: emin = min(100, 100) = 100; min_usage 60; 100 * 60 / 130 = 46 -> 46.
	 *    elow = min(0, 200) = 0. usage 60 > 46, > 0 -> NONE. */
	ck_assert_int_eq(mem_cgroup_protected(root, c), MEMCG_PROT_NONE);
	ck_assert_uint_eq(c->memory.emin, 46);
	ck_assert_uint_eq(c->memory.elow, 0);
	/* D: emin = min(0, 100) = 0. elow = min(100, 200) = 100; low_usage = min(30, 100) =
	 *    30; 200 * 30 / 100 = 60 -> 60. usage 30 <= 60 -> LOW. */
	ck_assert_int_eq(mem_cgroup_protected(root, d), MEMCG_PROT_LOW);
	ck_assert_uint_eq(d->memory.emin, 0);
	ck_assert_uint_eq(d->memory.elow, 60);

	/* Reclaim rooted at A: A is the root (NONE); its children are top-level and keep
	 * their own settings: B emin 80 >= usage 70 -> MIN; C emin 100 >= 60 -> MIN;
	 * D elow 100 >= 30 -> LOW. */
	ck_assert_int_eq(mem_cgroup_protected(a, a), MEMCG_PROT_NONE);
	ck_assert_int_eq(mem_cgroup_protected(a, b), MEMCG_PROT_MIN);
	ck_assert_uint_eq(b->memory.emin, 80);
	ck_assert_uint_eq(b->memory.elow, 200);
	ck_assert_int_eq(mem_cgroup_protected(a, c), MEMCG_PROT_MIN);
	ck_assert_uint_eq(c->memory.emin, 100);
	ck_assert_int_eq(mem_cgroup_protected(a, d), MEMCG_PROT_LOW);
	ck_assert_uint_eq(d->memory.elow, 100);
	unlock(f.e);

	/* Raise A's min to 200: A usage 160 <= 200 -> MIN from the root; root's min sum 160.
	 * B: emin = min(80, 200) = 80; 200 * 70 / 130 = 107 -> 80; 70 <= 80 -> MIN.
	 * C: emin = min(100, 200) = 100; 200 * 60 / 130 = 92 -> 92; 60 <= 92 -> MIN. */
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_MIN, 200 * PG), 0);
	lock(f.e);
	ck_assert_uint_eq(root->memory.children_min_usage, 160);
	ck_assert_int_eq(mem_cgroup_protected(root, a), MEMCG_PROT_MIN);
	ck_assert_int_eq(mem_cgroup_protected(root, b), MEMCG_PROT_MIN);
	ck_assert_uint_eq(b->memory.emin, 80);
	ck_assert_int_eq(mem_cgroup_protected(root, c), MEMCG_PROT_MIN);
	ck_assert_uint_eq(c->memory.emin, 92);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_protection_usage_tracking)
{
	struct fixture f;
	struct mem_cgroup *a, *b;
	uint32_t A, B, r1, r2;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	B = mkcg(f.e, A, "B");
	ck_assert_int_eq(rcl_memcg_set(f.e, B, RCL_MEMCG_MIN, 10 * PG), 0);
	r1 = charge_anon(f.e, B, 10);
	lock(f.e);
	a = cg(f.e, A);
	b = cg(f.e, B);
	/* 10 <= 10: protected 10. */
	ck_assert_uint_eq(a->memory.children_min_usage, 10);
	unlock(f.e);
	/* One more page: 11 > 10, protected usage 0 (not min(usage, min): v4.19). */
	r2 = charge_anon(f.e, B, 1);
	lock(f.e);
	ck_assert_uint_eq(a->memory.children_min_usage, 0);
	ck_assert_uint_eq(b->memory.min_usage, 0);
	unlock(f.e);
	free_region(f.e, r2);
	lock(f.e);
	ck_assert_uint_eq(a->memory.children_min_usage, 10);
	/* A group with usage 0 is not protected: NONE. */
	unlock(f.e);
	free_region(f.e, r1);
	lock(f.e);
	ck_assert_uint_eq(a->memory.children_min_usage, 0);
	ck_assert_int_eq(mem_cgroup_protected(f.e->root_mem_cgroup, b), MEMCG_PROT_NONE);
	unlock(f.e);
	/* Setting min to 0 with stale protected usage clears it. */
	r1 = charge_anon(f.e, B, 5);
	ck_assert_int_eq(rcl_memcg_set(f.e, B, RCL_MEMCG_MIN, 0), 0);
	lock(f.e);
	ck_assert_uint_eq(a->memory.children_min_usage, 0);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

/*
 * mem_cgroup_protected reads only page counters: a reclaim walk may compute effective
 * protection without mm_lock while charges come and go. A (min 100) -> B (min 80, max 60):
 * B's usage never exceeds 60, within both, and B's share of A's 100 is 100 * usage / (the
 * children's sum, at most 60), more than its usage; so every answer for B with pages charged
 * is MIN, however the reads interleave with the charges, and the stored emin never exceeds
 * B's own 80.
 */
struct protected_race {
	struct mem_cgroup *b;
	atomic_bool done;
};

static void *charge_b(void *arg)
{
	struct protected_race *r = arg;
	struct page_counter *fail;
	unsigned int seed = 12345, i;
	unsigned long held[16], nr_held = 0;

	for (i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		if (nr_held < 16 && (nr_held == 0 || (seed >> 16) & 1)) {
			unsigned long nr = 1 + (seed >> 17) % 8;

			if (page_counter_try_charge(&r->b->memory, nr, &fail))
				held[nr_held++] = nr;
		} else {
			page_counter_uncharge(&r->b->memory, held[--nr_held]);
		}
	}
	while (nr_held)
		page_counter_uncharge(&r->b->memory, held[--nr_held]);
	atomic_store(&r->done, true);
	return NULL;
}

START_TEST(test_protected_without_mm_lock)
{
	static struct protected_race r;
	struct fixture f;
	struct mem_cgroup *root, *a;
	unsigned long reads, min_answers = 0;
	double deadline;
	pthread_t tid;
	uint32_t A, B;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	B = mkcg(f.e, A, "B");
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_MIN, 100 * PG), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, B, RCL_MEMCG_MIN, 80 * PG), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, B, RCL_MEMCG_MAX, 60 * PG), 0);
	root = f.e->root_mem_cgroup;
	a = cg(f.e, A);
	r.b = cg(f.e, B);
	atomic_store(&r.done, false);

	ck_assert_int_eq(pthread_create(&tid, NULL, charge_b, &r), 0);
	deadline = now_s() + 30;
	for (reads = 0; !atomic_load(&r.done) && reads < 10000000; reads++) {
		enum mem_cgroup_protection prot;

		if ((reads & 1023) == 0 && now_s() > deadline)
			break;
		/* The walk's order: the parent first, its effective values read by the child. */
		mem_cgroup_protected(root, a);
		prot = mem_cgroup_protected(root, r.b);
		ck_assert_int_ne(prot, MEMCG_PROT_LOW);
		ck_assert_uint_le(page_counter_get(&r.b->memory.emin), 80);
		min_answers += prot == MEMCG_PROT_MIN;
	}
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	ck_assert_uint_gt(min_answers, 0);
	/* Once the charges stopped: nothing charged, nothing protected. */
	ck_assert_uint_eq(mem_cgroup_usage(r.b), 0);
	ck_assert_uint_eq(a->memory.children_min_usage, 0);
	ck_assert_int_eq(mem_cgroup_protected(root, r.b), MEMCG_PROT_NONE);
	fixture_teardown(&f);
}
END_TEST

/* ---- mem_cgroup_iter (spec 6 step 2) --------------------------------------------------- */

START_TEST(test_iter_preorder)
{
	struct fixture f;
	struct mem_cgroup *seq[8], *m = NULL, *root;
	uint32_t A, B, C, X;
	int n = 0, i, j;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	B = mkcg(f.e, A, "B");
	C = mkcg(f.e, A, "C");
	X = mkcg(f.e, RCL_MEMCG_ROOT, "X");
	lock(f.e);
	root = f.e->root_mem_cgroup;
	while ((m = mem_cgroup_iter(root, m, NULL)) && n < 8)
		seq[n++] = m;
	/* Every group once, the root first, a parent before its children, and A's subtree
	 * contiguous: root, {A, B, C}, X or root, X, {A, B, C}. */
	ck_assert_int_eq(n, 5);
	ck_assert_ptr_eq(seq[0], root);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_ptr_ne(seq[i], seq[j]);
	for (i = 0; i < n; i++) {
		if (seq[i] == cg(f.e, A)) {
			ck_assert(seq[i + 1] == cg(f.e, B) || seq[i + 1] == cg(f.e, C));
			ck_assert(seq[i + 2] == cg(f.e, B) || seq[i + 2] == cg(f.e, C));
		}
	}
	/* A subtree walk starts at its root and stays inside. */
	m = NULL;
	n = 0;
	while ((m = mem_cgroup_iter(cg(f.e, A), m, NULL))) {
		ck_assert_ptr_ne(m, cg(f.e, X));
		n++;
	}
	ck_assert_int_eq(n, 3);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_iter_shared_cursor)
{
	struct fixture f;
	struct mem_cgroup *root, *all[4], *m = NULL, *p1, *p2;
	struct mem_cgroup_reclaim_cookie c1, c2, c3;
	int n = 0;

	fixture_setup(&f, 16, 0, 1);
	mkcg(f.e, mkcg(f.e, RCL_MEMCG_ROOT, "A"), "B");
	mkcg(f.e, RCL_MEMCG_ROOT, "X");
	lock(f.e);
	root = f.e->root_mem_cgroup;
	while ((m = mem_cgroup_iter(root, m, NULL)))
		all[n++] = m;
	ck_assert_int_eq(n, 4);		/* the plain order: all[0] = root ... all[3] */
	c1 = (struct mem_cgroup_reclaim_cookie){ .pgdat = NODE_DATA(f.e, 0), .priority = 12 };
	c2 = c1;
	c3 = c1;

	/* Reclaimer 1 takes root and all[1], then reclaimer 2 joins: it resumes after
	 * all[1], not at the root. */
	p1 = mem_cgroup_iter(root, NULL, &c1);
	ck_assert_ptr_eq(p1, all[0]);
	p1 = mem_cgroup_iter(root, p1, &c1);
	ck_assert_ptr_eq(p1, all[1]);
	p2 = mem_cgroup_iter(root, NULL, &c2);
	ck_assert_ptr_eq(p2, all[2]);
	p2 = mem_cgroup_iter(root, p2, &c2);
	ck_assert_ptr_eq(p2, all[3]);
	/* Reclaimer 2 reaches the end: the round is complete. */
	ck_assert_ptr_null(mem_cgroup_iter(root, p2, &c2));
	/* Reclaimer 1's round was completed by another: its walk ends early. */
	ck_assert_ptr_null(mem_cgroup_iter(root, p1, &c1));
	/* A new reclaimer after a completed round starts at the beginning. */
	p2 = mem_cgroup_iter(root, NULL, &c3);
	ck_assert_ptr_eq(p2, all[0]);
	/* Another priority has its own cursor. */
	c2 = (struct mem_cgroup_reclaim_cookie){ .pgdat = NODE_DATA(f.e, 0), .priority = 11 };
	ck_assert_ptr_eq(mem_cgroup_iter(root, NULL, &c2), all[0]);
	/* A walk that stops exactly at the last group (mem_cgroup_iter_break) leaves the
	 * cursor there: the next reclaimer wraps to the beginning once. */
	c1 = (struct mem_cgroup_reclaim_cookie){ .pgdat = NODE_DATA(f.e, 0), .priority = 5 };
	p1 = NULL;
	do
		p1 = mem_cgroup_iter(root, p1, &c1);
	while (p1 != all[3]);
	mem_cgroup_iter_break(root, p1);
	c2 = (struct mem_cgroup_reclaim_cookie){ .pgdat = NODE_DATA(f.e, 0), .priority = 5 };
	ck_assert_ptr_eq(mem_cgroup_iter(root, NULL, &c2), all[0]);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

/* ---- charging -------------------------------------------------------------------------- */

START_TEST(test_charge_up_the_hierarchy)
{
	struct fixture f;
	uint32_t A, B, r;
	uint64_t usage;
	long root0;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	B = mkcg(f.e, A, "B");
	lock(f.e);
	root0 = mem_cgroup_usage(f.e->root_mem_cgroup);
	unlock(f.e);
	r = charge_anon(f.e, B, 12);
	lock(f.e);
	ck_assert_uint_eq(mem_cgroup_usage(cg(f.e, B)), 12);
	ck_assert_uint_eq(mem_cgroup_usage(cg(f.e, A)), 12);
	ck_assert_uint_eq(mem_cgroup_usage(f.e->root_mem_cgroup), root0 + 12);
	ck_assert_int_eq(cg(f.e, B)->stat[MEMCG_RSS], 12);
	ck_assert_int_eq(cg(f.e, A)->stat[MEMCG_RSS], 12);
	unlock(f.e);
	ck_assert_int_eq(rcl_memcg_usage(f.e, B, &usage), 0);
	ck_assert_uint_eq(usage, 12 * PG);
	ck_assert_int_eq(rcl_memcg_usage(f.e, 999, &usage), -ENOENT);
	free_region(f.e, r);
	lock(f.e);
	ck_assert_uint_eq(mem_cgroup_usage(cg(f.e, B)), 0);
	ck_assert_uint_eq(mem_cgroup_usage(cg(f.e, A)), 0);
	ck_assert_uint_eq(mem_cgroup_usage(f.e->root_mem_cgroup), root0);
	ck_assert_int_eq(cg(f.e, A)->stat[MEMCG_RSS], 0);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_max_fails_without_reclaimable)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 16 };
	uint32_t A, r;

	fixture_setup(&f, 16, 0, 1);	/* no swap: anon cannot be reclaimed */
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_MAX, 8 * PG), 0);
	spec.memcg_id = A;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &r), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 8, true), 0);
	/* The 9th page would exceed memory.max = 8: reclaim finds nothing: -ENOMEM, with
	 * max and oom events. */
	ck_assert_int_eq(rcl_region_touch(f.e, r, 8, 1, true), -ENOMEM);
	lock(f.e);
	ck_assert_uint_eq(mem_cgroup_usage(cg(f.e, A)), 8);
	ck_assert_uint_ge(cg(f.e, A)->events[MEMCG_MAX], 1);
	ck_assert_uint_ge(cg(f.e, A)->events[MEMCG_OOM], 1);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_max_reclaims_cache)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = 8, .path = "mx",
					.flags = RCL_REGION_SHARED };
	uint32_t A, r;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_MAX, 8 * PG), 0);
	spec.memcg_id = A;
	/* 8 clean cached file pages charged to A, unmapped. */
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &r), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 8, false), 0);
	free_region(f.e, r);	/* on the LRU now, where limit reclaim can see them */
	/* 4 anonymous pages more: each charge over max reclaims cache inside A. */
	r = charge_anon(f.e, A, 4);
	lock(f.e);
	ck_assert_uint_le(mem_cgroup_usage(cg(f.e, A)), 8);
	ck_assert_int_eq(cg(f.e, A)->stat[MEMCG_RSS], 4);
	ck_assert_uint_ge(cg(f.e, A)->events[MEMCG_MAX], 1);
	ck_assert_uint_eq(cg(f.e, A)->events[MEMCG_OOM], 0);
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

/* ---- the public API -------------------------------------------------------------------- */

START_TEST(test_api_validation)
{
	struct fixture f;
	uint32_t A, B, id, r;
	uint64_t v;
	char longname[80];

	fixture_setup(&f, 16, 0, 1);
	memset(longname, 'a', 64);
	longname[64] = 0;
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "", &id), -EINVAL);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, NULL, &id), -EINVAL);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, ".", &id), -EINVAL);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "..", &id), -EINVAL);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "a/b", &id), -EINVAL);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "sp ace", &id), -EINVAL);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, longname, &id), -EINVAL);
	longname[63] = 0;	/* 63 characters fit */
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, longname, &id), 0);
	ck_assert_int_eq(rcl_memcg_create(f.e, 999, "x", &id), -ENOENT);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "A", &id), -EEXIST);
	B = mkcg(f.e, A, "B.1_x-y");
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "/A/B.1_x-y", &id), 0);
	ck_assert_uint_eq(id, B);
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "/A/nope", &id), -ENOENT);
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "A", &id), -EINVAL);

	ck_assert_int_eq(rcl_memcg_set(f.e, 999, RCL_MEMCG_MIN, 0), -ENOENT);
	ck_assert_int_eq(rcl_memcg_set(f.e, RCL_MEMCG_ROOT, RCL_MEMCG_MIN, 0), -EINVAL);
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_SWAPPINESS, 101), -EINVAL);
	ck_assert_int_eq(rcl_memcg_set(f.e, A, (enum rcl_memcg_knob)99, 0), -EINVAL);
	ck_assert_int_eq(rcl_memcg_get(f.e, 999, RCL_MEMCG_MIN, &v), -ENOENT);
	/* Swappiness is inherited at creation. */
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_SWAPPINESS, 10), 0);
	id = mkcg(f.e, A, "inherit");
	ck_assert_int_eq(rcl_memcg_get(f.e, id, RCL_MEMCG_SWAPPINESS, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(rcl_memcg_get(f.e, A, RCL_MEMCG_MAX, &v), 0);
	ck_assert_uint_eq(v, RCL_MEMCG_UNLIMITED);

	ck_assert_int_eq(rcl_memcg_delete(f.e, 999), -ENOENT);
	ck_assert_int_eq(rcl_memcg_delete(f.e, RCL_MEMCG_ROOT), -EPERM);
	ck_assert_int_eq(rcl_memcg_delete(f.e, A), -EBUSY);	/* has children */
	r = charge_anon(f.e, B, 2);
	ck_assert_int_eq(rcl_memcg_delete(f.e, B), -EBUSY);	/* has a region */
	ck_assert_int_eq(rcl_region_free(f.e, r), 0);
	ck_assert_int_eq(rcl_memcg_delete(f.e, B), 0);
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "/A/B.1_x-y", &id), -ENOENT);
	fixture_teardown(&f);
}
END_TEST

/*
 * v4.19 rmdir: a group whose page cache outlives its regions can be deleted; it goes offline,
 * its pages stay charged to it (not reparented), reclaim scrapes them out first, and the
 * group is freed when the last one goes.
 */
START_TEST(test_delete_offlines_charged_group)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = 5, .path = "rp",
					.flags = RCL_REGION_SHARED };
	struct mem_cgroup *a, *b;
	uint32_t A, B, B2, r, next;
	unsigned long i;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	B = mkcg(f.e, A, "B");
	ck_assert_int_eq(rcl_memcg_set(f.e, B, RCL_MEMCG_LOW, 10 * PG), 0);
	spec.memcg_id = B;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &r), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 5, false), 0);
	ck_assert_int_eq(rcl_memcg_delete(f.e, B), -EBUSY);	/* a region is in it */
	ck_assert_int_eq(rcl_region_free(f.e, r), 0);	/* 5 cached pages stay charged to B */
	lock(f.e);
	ck_assert_uint_eq(mem_cgroup_usage(cg(f.e, B)), 5);
	ck_assert_uint_eq(cg(f.e, A)->memory.children_low_usage, 5);
	unlock(f.e);
	ck_assert_int_eq(rcl_memcg_delete(f.e, B), 0);
	lock(f.e);
	a = cg(f.e, A);
	b = cg(f.e, B);
	ck_assert_ptr_nonnull(b);		/* offline, still holding its pages */
	ck_assert(!b->online);
	ck_assert_uint_eq(mem_cgroup_usage(b), 5);
	ck_assert_uint_eq(mem_cgroup_usage(a), 5);
	ck_assert_uint_eq(a->memory.children_low_usage, 0);	/* its protection is gone */
	for (i = 0; i < 5; i++) {
		struct address_space *m;
		struct page *page;

		for (m = f.e->files; m && strcmp(m->path, "rp"); m = m->next)
			;
		ck_assert_ptr_nonnull(m);
		page = find_get_page(m, i);
		ck_assert_ptr_nonnull(page);
		ck_assert_uint_eq(page->mem_cgroup, B);
		put_page(page);
	}
	unlock(f.e);
	/* Gone for callers: no lookup, no walk, no knobs, no second delete; the name is free. */
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "/A/B", &next), -ENOENT);
	ck_assert_int_eq(rcl_memcg_list(f.e, A, &next, 1), 1);	/* A alone */
	ck_assert_uint_eq(next, A);
	ck_assert_int_eq(rcl_memcg_list(f.e, B, &next, 1), -ENOENT);
	ck_assert_int_eq(rcl_memcg_set(f.e, B, RCL_MEMCG_MAX, PG), -ENOENT);
	ck_assert_int_eq(rcl_memcg_delete(f.e, B), -ENOENT);
	B2 = mkcg(f.e, A, "B");
	ck_assert_uint_ne(B2, B);
	ck_assert_int_eq(rcl_memcg_delete(f.e, B2), 0);	/* empty: freed at once */
	lock(f.e);
	ck_assert_ptr_null(cg(f.e, B2));
	unlock(f.e);
	/* Reclaim of the parent takes the offline group's pages: they were charged to it. */
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, A, 5, &(uint64_t){ 0 }), 0);
	lock(f.e);
	ck_assert_uint_eq(mem_cgroup_usage(b), 0);
	ck_assert_uint_eq(mem_cgroup_usage(a), 0);
	unlock(f.e);
	/* The next change of the hierarchy frees it. */
	ck_assert_int_eq(rcl_drop_caches(f.e, &(uint64_t){ 0 }), 0);
	lock(f.e);
	ck_assert_ptr_null(cg(f.e, B));
	ck_assert_ptr_null(a->first_child);
	unlock(f.e);
	ck_assert_int_eq(rcl_memcg_delete(f.e, A), 0);
	fixture_teardown(&f);
}
END_TEST

/* ---- lookups by path (the tree lock) -------------------------------------------------- */

struct lookup_race {
	struct rcl_engine *e;
	const char *path;
	uint32_t id;
	int err;
	_Atomic bool stop;
	unsigned long found, missing;
	uint64_t usage, max;		/* what lookup_once read of the group */
	char where[64];
	size_t events_len, stat_len;
	struct rcl_psi psi;
	enum rcl_pressure_level level;
	uint32_t walked[4];		/* rcl_memcg_list from the root, as status lists groups */
	int nr_walked;
};

/* Show memory.stat or memory.events of the group into a buffer; its length in *ret_len. */
static int show_group(struct lookup_race *r, bool stat, size_t *ret_len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, ret_len);
	int err;

	if (!out)
		return -ENOMEM;
	err = stat ? rcl_memcg_show_stat(r->e, r->id, out) : rcl_memcg_show_events(r->e, r->id, out);
	fclose(out);
	free(buf);
	return err;
}

/* Every group under the root, as a listing walks them. */
static int walk_groups(struct lookup_race *r)
{
	r->nr_walked = rcl_memcg_list(r->e, RCL_MEMCG_ROOT, r->walked,
				      sizeof(r->walked) / sizeof(r->walked[0]));
	return r->nr_walked < 0 ? r->nr_walked : 0;
}

/* Look the group up, then read it as status, memory.stat and /metrics do. */
static void *lookup_once(void *p)
{
	struct lookup_race *r = p;

	r->err = rcl_memcg_lookup(r->e, r->path, &r->id);
	if (!r->err)
		r->err = rcl_memcg_usage(r->e, r->id, &r->usage);
	if (!r->err)
		r->err = rcl_memcg_get(r->e, r->id, RCL_MEMCG_MAX, &r->max);
	if (!r->err)
		r->err = rcl_memcg_path(r->e, r->id, r->where, sizeof(r->where));
	if (!r->err)
		r->err = show_group(r, false, &r->events_len);
	if (!r->err)
		r->err = show_group(r, true, &r->stat_len);
	if (!r->err)
		r->err = rcl_psi_read(r->e, r->id, &r->psi);
	if (!r->err)
		r->err = rcl_pressure_now(r->e, r->id, &r->level);
	if (!r->err)
		r->err = walk_groups(r);
	return NULL;
}

/*
 * A lookup by path reads only names, and reading a group's usage, knobs, path, events,
 * memory.stat, pressure and PSI reads counters, as does listing the groups: they go on while
 * another thread holds mm_lock, as reclaim does for a while (with mm_lock they waited for ever
 * here; the bound turns that into a failure).
 */
START_TEST(test_lookup_beside_mm_lock)
{
	struct lookup_race r = { .path = "/A/B" };
	struct fixture f;
	uint32_t A, B;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	B = mkcg(f.e, A, "B");
	r.e = f.e;
	ck_assert_msg(run_beside_lock(lock_arg, unlock_arg, f.e, lookup_once, &r),
		      "a lookup or a read of a group waited for mm_lock");
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.id, B);
	ck_assert_uint_eq(r.usage, 0);
	ck_assert_uint_eq(r.max, RCL_MEMCG_UNLIMITED);
	ck_assert_str_eq(r.where, "/A/B");
	ck_assert_uint_gt(r.events_len, 0);
	ck_assert_uint_gt(r.stat_len, 0);
	ck_assert_uint_eq(r.psi.some.total_usec, 0);
	ck_assert_int_eq(r.level, RCL_PRESSURE_NONE);
	ck_assert_int_eq(r.nr_walked, 3);
	ck_assert_uint_eq(r.walked[0], RCL_MEMCG_ROOT);
	ck_assert_uint_eq(r.walked[1], A);
	ck_assert_uint_eq(r.walked[2], B);
	fixture_teardown(&f);
}
END_TEST

/* ---- a listing while groups come and go -------------------------------------------------- */

#define CHURN_ROUNDS	1000
#define CHURN_ENOUGH	50	/* rounds that must have overlapped the listings */

struct churn {
	struct rcl_engine *e;
	uint32_t parent;
	_Atomic bool stop, done;
	int err;
	unsigned int rounds;
};

/* Make and delete /A/x again and again: a group that sits early in the pre-order walk. */
static void *churn_groups(void *p)
{
	struct churn *c = p;
	uint32_t id;

	for (c->rounds = 0; c->rounds < CHURN_ROUNDS && !atomic_load(&c->stop); c->rounds++) {
		c->err = rcl_memcg_create(c->e, c->parent, "x", &id);
		if (!c->err)
			c->err = rcl_memcg_delete(c->e, id);
		if (c->err)
			break;
	}
	atomic_store(&c->done, true);
	return NULL;
}

/*
 * A listing is one moment's: a group deleted while the listing is taken never costs it the
 * groups after it. A walk resumed by the last id it returned lost every later group whenever
 * that id was deleted in between (status, memcg list and /metrics stopped short). Each of
 * the listings here must hold all four groups that live throughout.
 */
START_TEST(test_list_while_groups_churn)
{
	uint32_t stable[4], ids[16];
	struct churn c = { 0 };
	unsigned int listings = 0;
	struct fixture f;
	time_t deadline = time(NULL) + BESIDE_LOCK_SECONDS;	/* within the case's timeout */
	pthread_t tid;
	int n, i, k;

	fixture_setup(&f, 16, 0, 1);
	stable[0] = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	stable[1] = mkcg(f.e, RCL_MEMCG_ROOT, "B");
	stable[2] = mkcg(f.e, stable[1], "C");
	stable[3] = mkcg(f.e, RCL_MEMCG_ROOT, "D");
	c.e = f.e;
	c.parent = stable[0];
	ck_assert_int_eq(pthread_create(&tid, NULL, churn_groups, &c), 0);
	/* Listings for as long as the churn goes on, so that the two overlap. */
	while (!atomic_load(&c.done) && time(NULL) < deadline) {
		n = rcl_memcg_list(f.e, RCL_MEMCG_ROOT, ids, 16);
		ck_assert_int_ge(n, 5);
		ck_assert_int_le(n, 6);
		ck_assert_uint_eq(ids[0], RCL_MEMCG_ROOT);
		for (k = 0; k < 4; k++) {
			for (i = 0; i < n && ids[i] != stable[k]; i++)
				;
			ck_assert_msg(i < n, "listing %u of %d groups lacks group %u", listings, n,
				      stable[k]);
		}
		listings++;
		sched_yield();		/* the churn needs the tree lock too */
	}
	atomic_store(&c.stop, true);
	pthread_join(tid, NULL);
	ck_assert_int_eq(c.err, 0);
	/* Under a sanitizer the churn may not finish in time: what ran beside the listings
	 * must be enough to have caught a walk losing its place. */
	ck_assert_uint_ge(c.rounds, CHURN_ENOUGH);
	ck_assert_uint_gt(listings, 0);
	fixture_teardown(&f);
}
END_TEST


static void *lookup_loop(void *p)
{
	struct lookup_race *r = p;
	uint32_t id;

	while (!atomic_load(&r->stop)) {
		int err = rcl_memcg_lookup(r->e, r->path, &id);
		uint64_t v;
		char where[64];

		size_t len;

		/* The group read by the id just found: it, or gone; never freed under us. */
		r->id = id;
		if (!err && (err = rcl_memcg_usage(r->e, id, &v)) == 0 &&
		    (err = rcl_memcg_path(r->e, id, where, sizeof(where))) == 0 &&
		    strcmp(where, r->path))
			err = -EINVAL;
		if (!err)
			err = show_group(r, true, &len);
		if (!err)
			err = rcl_psi_read(r->e, id, &r->psi);
		if (!err)
			err = rcl_pressure_now(r->e, id, &r->level);
		/* A walk whose last group was deleted under it cannot go on from there. */
		if (!err && (err = walk_groups(r)) == -EINVAL)
			err = 0;
		if (err == 0)
			r->found++;
		else if (err == -ENOENT)
			r->missing++;
		else
			r->err = err;
	}
	return NULL;
}

/* Lookups and reads beside groups created and deleted at the same path find the group or
 * nothing, never a freed one (ASan and TSan run this). */
START_TEST(test_lookup_beside_create_delete)
{
	enum { ROUNDS = 300 };
	struct lookup_race r = { .path = "/A/B" };
	struct fixture f;
	pthread_t tid;
	uint32_t A, B;
	int i;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	r.e = f.e;
	ck_assert_int_eq(pthread_create(&tid, NULL, lookup_loop, &r), 0);
	for (i = 0; i < ROUNDS; i++) {
		B = mkcg(f.e, A, "B");
		ck_assert_int_eq(rcl_memcg_delete(f.e, B), 0);
	}
	atomic_store(&r.stop, true);
	pthread_join(tid, NULL);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_gt(r.found + r.missing, 0);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("memcontrol");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_protection_three_levels);
	tcase_add_test(tc, test_protection_usage_tracking);
	tcase_add_test(tc, test_protected_without_mm_lock);
	tcase_add_test(tc, test_iter_preorder);
	tcase_add_test(tc, test_iter_shared_cursor);
	tcase_add_test(tc, test_charge_up_the_hierarchy);
	tcase_add_test(tc, test_max_fails_without_reclaimable);
	tcase_add_test(tc, test_max_reclaims_cache);
	tcase_add_test(tc, test_api_validation);
	tcase_add_test(tc, test_delete_offlines_charged_group);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_set_timeout(tc, BESIDE_LOCK_SECONDS + 10);
	tcase_add_test(tc, test_lookup_beside_mm_lock);
	tcase_add_test(tc, test_list_while_groups_churn);
	tcase_add_test(tc, test_lookup_beside_create_delete);
	suite_add_tcase(s, tc);
	return s;
}
