/*
 * check_page_counter - the hierarchical page counter (lib/page_counter.c) alone: a refused
 * charge leaves no level charged and names the level that refused, forced charges, the
 * protected-usage sums against a hand-computed hierarchy, and four threads charging and
 * uncharging one hierarchy with no lock at all, checked between rounds while they wait: no
 * level's watermark above its max, every level's usage the sum of what the threads hold,
 * failcnt the number of refusals, the protected usage that of the usage at the check, and
 * everything back to zero at the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check-main.h"
#include "page_counter.h"

static unsigned long usage_of(struct page_counter *c)
{
	return page_counter_read(c);
}

/* ---- a refused charge ---------------------------------------------------------------- */

START_TEST(test_try_charge_fails_atomically)
{
	struct page_counter root, a, b, *fail = NULL;

	page_counter_init(&root, NULL);
	page_counter_init(&a, &root);
	page_counter_init(&b, &a);
	page_counter_set_max(&a, 10);
	page_counter_set_max(&b, 100);

	ck_assert(page_counter_try_charge(&b, 8, &fail));
	ck_assert_ptr_null(fail);
	ck_assert_uint_eq(usage_of(&b), 8);
	ck_assert_uint_eq(usage_of(&a), 8);
	ck_assert_uint_eq(usage_of(&root), 8);

	/* 8 + 3 > A's 10: refused at A; B (charged first on the way up) is left as it was. */
	ck_assert(!page_counter_try_charge(&b, 3, &fail));
	ck_assert_ptr_eq(fail, &a);
	ck_assert_uint_eq(usage_of(&b), 8);
	ck_assert_uint_eq(usage_of(&a), 8);
	ck_assert_uint_eq(usage_of(&root), 8);
	ck_assert_uint_eq(a.failcnt, 1);
	ck_assert_uint_eq(b.failcnt, 0);
	ck_assert_uint_eq(root.failcnt, 0);
	/* B held the 3 pages on the way up, within its own max; as in the kernel its
	 * watermark keeps that. A's never went above its max. */
	ck_assert_uint_eq(b.watermark, 11);
	ck_assert_uint_eq(a.watermark, 8);

	/* Exactly up to the max is allowed. */
	ck_assert(page_counter_try_charge(&b, 2, &fail));
	ck_assert_uint_eq(usage_of(&a), 10);
	ck_assert_uint_eq(a.watermark, 10);

	/* Refused at the leaf itself: nothing above is touched. */
	page_counter_set_max(&b, 10);
	ck_assert(!page_counter_try_charge(&b, 1, &fail));
	ck_assert_ptr_eq(fail, &b);
	ck_assert_uint_eq(b.failcnt, 1);
	ck_assert_uint_eq(a.failcnt, 1);
	ck_assert_uint_eq(usage_of(&root), 10);

	/* A forced charge goes above the max, and the watermark shows it. */
	page_counter_charge(&b, 5);
	ck_assert_uint_eq(usage_of(&b), 15);
	ck_assert_uint_eq(usage_of(&a), 15);
	ck_assert_uint_eq(a.watermark, 15);

	page_counter_uncharge(&b, 15);
	ck_assert_uint_eq(usage_of(&b), 0);
	ck_assert_uint_eq(usage_of(&a), 0);
	ck_assert_uint_eq(usage_of(&root), 0);
	ck_assert_uint_eq(a.watermark, 15);	/* the highest, not the current */
}
END_TEST

/* ---- protected usage ------------------------------------------------------------------ */

START_TEST(test_protection_hand_computed)
{
	struct page_counter root, a, b, c, d, *fail = NULL;

	page_counter_init(&root, NULL);
	page_counter_init(&a, &root);
	page_counter_init(&b, &a);
	page_counter_init(&c, &a);
	page_counter_init(&d, &a);
	/* A: min 100, low 200. B: min 80, low 200. C: min 100. D: low 100. */
	page_counter_set_min(&a, 100);
	page_counter_set_low(&a, 200);
	page_counter_set_min(&b, 80);
	page_counter_set_low(&b, 200);
	page_counter_set_min(&c, 100);
	page_counter_set_low(&d, 100);
	ck_assert(page_counter_try_charge(&b, 70, &fail));
	ck_assert(page_counter_try_charge(&c, 60, &fail));
	ck_assert(page_counter_try_charge(&d, 30, &fail));

	/*
	 * v4.19 rule: usage if within the setting, else 0.
	 *   min: B 70 <= 80 -> 70; C 60 <= 100 -> 60; D min 0 -> 0: A's sum 130.
	 *   low: B 70 <= 200 -> 70; C low 0 -> 0; D 30 <= 100 -> 30: A's sum 100.
	 *   A (160): min 160 > 100 -> 0; low 160 <= 200 -> 160: the root's sums 0 and 160.
	 */
	ck_assert_uint_eq(b.min_usage, 70);
	ck_assert_uint_eq(c.min_usage, 60);
	ck_assert_uint_eq(d.min_usage, 0);
	ck_assert_uint_eq(a.children_min_usage, 130);
	ck_assert_uint_eq(a.children_low_usage, 100);
	ck_assert_uint_eq(root.children_min_usage, 0);
	ck_assert_uint_eq(root.children_low_usage, 160);

	/* B to 81 > 80: its min protection goes entirely; low (200) still covers it. */
	ck_assert(page_counter_try_charge(&b, 11, &fail));
	ck_assert_uint_eq(b.min_usage, 0);
	ck_assert_uint_eq(a.children_min_usage, 60);
	ck_assert_uint_eq(a.children_low_usage, 111);
	ck_assert_uint_eq(root.children_low_usage, 171);

	/* Raising B's min to 100 brings it back at once. */
	page_counter_set_min(&b, 100);
	ck_assert_uint_eq(a.children_min_usage, 141);

	/* A charge refused at C (max 60, usage 60) leaves the sums as they were. */
	page_counter_set_max(&c, 60);
	ck_assert(!page_counter_try_charge(&c, 1, &fail));
	ck_assert_ptr_eq(fail, &c);
	ck_assert_uint_eq(a.children_min_usage, 141);

	/* A's usage 171 was above its min 100 (protected 0); with min 200 it is within: the
	 * root's min sum becomes 171. */
	page_counter_set_min(&a, 200);
	ck_assert_uint_eq(root.children_min_usage, 171);

	page_counter_uncharge(&b, 81);
	page_counter_uncharge(&c, 60);
	page_counter_uncharge(&d, 30);
	ck_assert_uint_eq(a.children_min_usage, 0);
	ck_assert_uint_eq(a.children_low_usage, 0);
	ck_assert_uint_eq(root.children_min_usage, 0);
	ck_assert_uint_eq(root.children_low_usage, 0);
}
END_TEST

/* ---- four threads, no lock ------------------------------------------------------------ */

#define NR_THREADS	4
#ifdef __SANITIZE_THREAD__
/* A fifth of the steps: TSan reports a race the first time two threads meet on it, and at the
 * full count it runs into the time limit at 274 rounds (20 s of CI). More rounds, more checks. */
#define NR_ROUNDS	300
#define OPS_PER_ROUND	2000
#else
#define NR_ROUNDS	1000
#define OPS_PER_ROUND	10000		/* steps per thread between two checks */
#endif
#define MAX_HELD	32		/* charges a thread holds at most */
#define TIME_LIMIT_S	20.0		/* whatever the machine's load (and TSan) */

/* root -> A -> {B, C}: A's max is below the sum of B's and C's, so both levels refuse. */
enum { L_ROOT, L_A, L_B, L_C, NR_LEVELS };
static const unsigned long level_max[NR_LEVELS] = { PAGE_COUNTER_MAX, 64, 40, 40 };

/* What the checks between rounds found wrong, by kind, and the first of it. */
enum { BAD_WATERMARK, BAD_USAGE, BAD_FAILCNT, BAD_PROTECTED, BAD_SUMS, NR_BAD };

struct worker {
	struct hierarchy *h;
	struct page_counter *leaf;
	int leaf_level;
	unsigned int seed;
	unsigned long held[MAX_HELD];	/* pages of each charge held, a stack */
	int nr_held;
	unsigned long refused[NR_LEVELS];	/* refusals by the level that refused */
	unsigned long charged;			/* charges that went through */
};

struct hierarchy {
	struct page_counter level[NR_LEVELS];
	struct worker worker[NR_THREADS];
	pthread_barrier_t barrier;
	double deadline;
	/* Written by worker 0 between two barriers, read by the others after the second. */
	bool stop;
	unsigned long rounds, bad[NR_BAD];
	char first_bad[160];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned int xorshift(unsigned int *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* One step of a worker: charge 1-4 pages to its leaf, or give back its latest charge. */
static void charger_step(struct worker *w)
{
	unsigned int r = xorshift(&w->seed);
	struct page_counter *fail = NULL;

	if (w->nr_held < MAX_HELD && (w->nr_held == 0 || (r & 1))) {
		unsigned long nr = 1 + (r >> 1) % 4;

		if (page_counter_try_charge(w->leaf, nr, &fail)) {
			w->held[w->nr_held++] = nr;
			w->charged++;
		} else {
			w->refused[fail - w->h->level]++;
		}
	} else {
		page_counter_uncharge(w->leaf, w->held[--w->nr_held]);
	}
}

static unsigned long protected_part(unsigned long usage, unsigned long setting)
{
	return usage <= setting ? usage : 0;
}

static void bad(struct hierarchy *h, int kind, const char *what, int level, unsigned long got,
		unsigned long want)
{
	int i, any = 0;

	for (i = 0; i < NR_BAD; i++)
		any |= h->bad[i] != 0;
	if (!any)
		snprintf(h->first_bad, sizeof(h->first_bad),
			 "round %lu: level %d %s %lu, expected %lu", h->rounds, level, what, got,
			 want);
	h->bad[kind]++;
}

/* With every worker stopped at the barrier: the counters against what the workers hold. */
static void check_quiescent(struct hierarchy *h)
{
	unsigned long held[NR_LEVELS] = { 0 }, refused[NR_LEVELS] = { 0 }, sum;
	struct page_counter *l = h->level;
	int i, j;

	for (i = 0; i < NR_THREADS; i++) {
		struct worker *w = &h->worker[i];

		for (sum = 0, j = 0; j < w->nr_held; j++)
			sum += w->held[j];
		held[w->leaf_level] += sum;
		held[L_A] += sum;
		held[L_ROOT] += sum;
		for (j = 0; j < NR_LEVELS; j++)
			refused[j] += w->refused[j];
	}
	for (i = 0; i < NR_LEVELS; i++) {
		/* No charge ever left a level above its max. */
		if (l[i].watermark > level_max[i])
			bad(h, BAD_WATERMARK, "watermark", i, l[i].watermark, level_max[i]);
		/* Every page counted is a page some worker holds: no update lost, and no refused
		 * charge left anything on the levels below the one that refused. */
		if (page_counter_read(&l[i]) != held[i])
			bad(h, BAD_USAGE, "usage", i, page_counter_read(&l[i]), held[i]);
		if (l[i].failcnt != refused[i])
			bad(h, BAD_FAILCNT, "failcnt", i, l[i].failcnt, refused[i]);
		if (i == L_ROOT)
			continue;
		/* The protected usage follows the usage as it is now. */
		if (l[i].min_usage != protected_part(held[i], l[i].min))
			bad(h, BAD_PROTECTED, "min_usage", i, l[i].min_usage,
			    protected_part(held[i], l[i].min));
		if (l[i].low_usage != protected_part(held[i], l[i].low))
			bad(h, BAD_PROTECTED, "low_usage", i, l[i].low_usage,
			    protected_part(held[i], l[i].low));
	}
	/* The parents' sums are their children's. */
	if (l[L_A].children_min_usage != l[L_B].min_usage + l[L_C].min_usage)
		bad(h, BAD_SUMS, "children_min_usage", L_A, l[L_A].children_min_usage,
		    l[L_B].min_usage + l[L_C].min_usage);
	if (l[L_A].children_low_usage != l[L_B].low_usage + l[L_C].low_usage)
		bad(h, BAD_SUMS, "children_low_usage", L_A, l[L_A].children_low_usage,
		    l[L_B].low_usage + l[L_C].low_usage);
	if (l[L_ROOT].children_min_usage != l[L_A].min_usage)
		bad(h, BAD_SUMS, "children_min_usage", L_ROOT, l[L_ROOT].children_min_usage,
		    l[L_A].min_usage);
	if (l[L_ROOT].children_low_usage != l[L_A].low_usage)
		bad(h, BAD_SUMS, "children_low_usage", L_ROOT, l[L_ROOT].children_low_usage,
		    l[L_A].low_usage);
	h->rounds++;
	h->stop = h->rounds >= NR_ROUNDS || now_s() > h->deadline;
}

/*
 * Rounds: every worker charges and uncharges OPS_PER_ROUND times, all meet at the barrier,
 * worker 0 checks the counters while the others wait at the second one. The barrier also
 * starts every round's charges together, at the limits where the last round left them.
 */
static void *charger(void *arg)
{
	struct worker *w = arg;
	struct hierarchy *h = w->h;
	int op;

	for (;;) {
		for (op = 0; op < OPS_PER_ROUND; op++)
			charger_step(w);
		pthread_barrier_wait(&h->barrier);
		if (w == &h->worker[0])
			check_quiescent(h);
		pthread_barrier_wait(&h->barrier);
		if (h->stop)
			return NULL;
	}
}

START_TEST(test_concurrent_charges)
{
	static struct hierarchy h;
	struct page_counter *l = h.level;
	unsigned long charged = 0, refused_a = 0, refused_leaf = 0;
	pthread_t tid[NR_THREADS];
	int i, kind;

	memset(&h, 0, sizeof(h));
	page_counter_init(&l[L_ROOT], NULL);
	page_counter_init(&l[L_A], &l[L_ROOT]);
	page_counter_init(&l[L_B], &l[L_A]);
	page_counter_init(&l[L_C], &l[L_A]);
	for (i = L_A; i < NR_LEVELS; i++)
		page_counter_set_max(&l[i], level_max[i]);
	/* Protection crossing its threshold all the time: B's usage swings around 20 and 30,
	 * C's around 25, A's around 50. */
	page_counter_set_min(&l[L_A], 50);
	page_counter_set_min(&l[L_B], 20);
	page_counter_set_low(&l[L_B], 30);
	page_counter_set_low(&l[L_C], 25);
	ck_assert_int_eq(pthread_barrier_init(&h.barrier, NULL, NR_THREADS), 0);
	h.deadline = now_s() + TIME_LIMIT_S;

	for (i = 0; i < NR_THREADS; i++) {
		struct worker *w = &h.worker[i];

		w->h = &h;
		w->leaf_level = i % 2 ? L_C : L_B;
		w->leaf = &l[w->leaf_level];
		w->seed = 2463534242u + (unsigned int)i * 7919u;
		ck_assert_int_eq(pthread_create(&tid[i], NULL, charger, w), 0);
	}
	for (i = 0; i < NR_THREADS; i++)
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
	pthread_barrier_destroy(&h.barrier);

	for (kind = 0; kind < NR_BAD; kind++)
		ck_assert_msg(!h.bad[kind], "%lu bad checks of kind %d; first: %s", h.bad[kind],
			      kind, h.first_bad);
	/* The test raced: enough rounds ran, charges went through, both limits refused. */
	for (i = 0; i < NR_THREADS; i++) {
		charged += h.worker[i].charged;
		refused_a += h.worker[i].refused[L_A];
		refused_leaf += h.worker[i].refused[L_B] + h.worker[i].refused[L_C];
	}
	ck_assert_uint_ge(h.rounds, 100);
	ck_assert_uint_gt(charged, h.rounds * NR_THREADS * OPS_PER_ROUND / 4);
	ck_assert_uint_gt(refused_a, 0);
	ck_assert_uint_gt(refused_leaf, 0);

	/* Give everything back: all zero. */
	for (i = 0; i < NR_THREADS; i++) {
		struct worker *w = &h.worker[i];

		while (w->nr_held)
			page_counter_uncharge(w->leaf, w->held[--w->nr_held]);
	}
	for (i = 0; i < NR_LEVELS; i++) {
		ck_assert_int_eq(atomic_load(&l[i].usage), 0);
		ck_assert_uint_eq(l[i].min_usage, 0);
		ck_assert_uint_eq(l[i].low_usage, 0);
		ck_assert_uint_eq(l[i].children_min_usage, 0);
		ck_assert_uint_eq(l[i].children_low_usage, 0);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("page_counter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_try_charge_fails_atomically);
	tcase_add_test(tc, test_protection_hand_computed);
	tcase_add_test(tc, test_concurrent_charges);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
