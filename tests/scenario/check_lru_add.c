/*
 * check_lru_add - the per-thread LRU-add vectors (lru_cache_add's batches) drained from
 * another thread with neither holding mm_lock: only the vector's own lock and lru_lock.
 *
 * One attached thread queues pages while another drains every thread's vectors in a loop
 * (lru_add_drain_all, as a charge at its limit or reclaim does). Every page must land on its
 * list exactly once: each is PageLRU with only its own reference left (the vector's was
 * dropped), and the node's LRU sizes grew by exactly the number of pages. A page lost from a
 * vector taken over under the adder, or added twice by both threads, breaks one of these.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "memcontrol.h"
#include "mm.h"

#define NR_PAGES	240		/* 16 vectors of 15 per round */
#define NR_ROUNDS	10
#define DRAIN_EVERY	7		/* pages added between two waits for a drain */
#define MAX_DRAINS	10000000UL
#define TIME_LIMIT_S	30.0

struct lru_add_race {
	struct fixture *f;
	struct page *pages[NR_PAGES];
	atomic_bool done;
	int attach_err;
	atomic_ulong drains;		/* by the drainer while the adder ran */
	double deadline;
};

/* Until the drainer has drained once more (bounded): its next drain overlaps our adds. */
static void wait_for_a_drain(struct lru_add_race *r)
{
	unsigned long seen = atomic_load(&r->drains);
	unsigned long spins;

	for (spins = 0; atomic_load(&r->drains) == seen && spins < MAX_DRAINS; spins++) {
		if ((spins & 255) == 0 && now_s() > r->deadline)
			break;
		sched_yield();	/* the drainer may share this core */
	}
}

/*
 * The adder: its own vector, filled a page at a time, the rest drained by itself at the end.
 * Every DRAIN_EVERY pages (a vector holds 15) it waits for a drain to have happened, so that
 * the drainer's drains keep falling while it adds, whatever the scheduler does.
 */
static void *adder(void *arg)
{
	struct lru_add_race *r = arg;
	int i;

	r->attach_err = rcl_thread_attach(r->f->e);
	if (!r->attach_err) {
		for (i = 0; i < NR_PAGES; i++) {
			lru_cache_add(r->pages[i]);
			if (i % DRAIN_EVERY == 0)
				wait_for_a_drain(r);
		}
		lru_add_drain(r->f->e);
		rcl_thread_detach(r->f->e);
	}
	atomic_store(&r->done, true);
	return NULL;
}

/* The drainer: every thread's vectors, again and again, until the adder is done. */
static void *drainer(void *arg)
{
	struct lru_add_race *r = arg;
	unsigned long n;

	for (n = 0; !atomic_load(&r->done) && n < MAX_DRAINS; n++) {
		if ((n & 255) == 0 && now_s() > r->deadline)
			break;
		lru_add_drain_all(r->f->e);
		atomic_fetch_add(&r->drains, 1);
	}
	return NULL;
}

/* Pages on the root group's lists of node 0 (the pages here are charged to nobody). */
static unsigned long lru_pages(struct fixture *f)
{
	struct lruvec *lruvec = mem_cgroup_lruvec(NODE_DATA(f->e, 0), f->e->root_mem_cgroup);
	unsigned long nr = 0;
	int lru;

	for (lru = 0; lru < NR_LRU_LISTS; lru++)
		nr += lruvec_lru_size(lruvec, (enum lru_list)lru, MAX_NR_ZONES - 1);
	return nr;
}

START_TEST(test_drain_all_races_lru_cache_add)
{
	static struct lru_add_race r;
	struct fixture f;
	unsigned long before, drains = 0;
	pthread_t t_add, t_drain;
	int round, i;

	fixture_setup(&f, 16, 0, 1);
	for (round = 0; round < NR_ROUNDS; round++) {
		memset(&r, 0, sizeof(r));
		r.f = &f;
		r.deadline = now_s() + TIME_LIMIT_S;
		mm_lock(f.e);
		for (i = 0; i < NR_PAGES; i++) {
			r.pages[i] = alloc_pages_node(f.e, 0, GFP_NOWAIT, 0);
			ck_assert_ptr_nonnull(r.pages[i]);
		}
		before = lru_pages(&f);
		mm_unlock(f.e);

		/* Neither thread takes mm_lock. */
		ck_assert_int_eq(pthread_create(&t_drain, NULL, drainer, &r), 0);
		ck_assert_int_eq(pthread_create(&t_add, NULL, adder, &r), 0);
		ck_assert_int_eq(pthread_join(t_add, NULL), 0);
		ck_assert_int_eq(pthread_join(t_drain, NULL), 0);
		ck_assert_int_eq(r.attach_err, 0);
		drains += atomic_load(&r.drains);

		mm_lock(f.e);
		for (i = 0; i < NR_PAGES; i++) {
			ck_assert_msg(PageLRU(r.pages[i]),
				      "round %d: page %d never reached its list", round, i);
			ck_assert_int_eq(page_ref_count(r.pages[i]), 1);
		}
		ck_assert_uint_eq(lru_pages(&f), before + NR_PAGES);
		/* The last reference takes each off its list and frees it. */
		for (i = 0; i < NR_PAGES; i++)
			put_page(r.pages[i]);
		ck_assert_uint_eq(lru_pages(&f), before);
		mm_unlock(f.e);
	}
	/* The drainer ran while pages were being added (else this tested nothing). */
	ck_assert_uint_ge(drains, NR_ROUNDS * (NR_PAGES / DRAIN_EVERY));
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("lru_add");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_drain_all_races_lru_cache_add);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
