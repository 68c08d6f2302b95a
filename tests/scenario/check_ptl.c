/*
 * check_ptl - the page-table lock (region->ptl) and the event loop's resident copies.
 *
 * The loop answers reads and writes of resident anonymous pages under the region's page-table
 * lock alone, so it goes on while another thread holds mm_lock (reclaim, a fault): the copy
 * succeeds instead of punting. Resident writes racing MADV_PAGEOUT and the faults that bring
 * the pages back lose nothing: each page reads back the last number written to it. The lock
 * order is mm_lock, then ptl: taking them that way works, and in --enable-debug builds taking
 * mm_lock, sleeping, or changing an entry against it aborts.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "memcontrol.h"
#include "mm.h"

#define PAGE 4096ULL

/* An anonymous region of @pages pages, each written with the pattern of seed 5. */
static uint32_t written_region(struct fixture *f, uint64_t pages)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = pages };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	fixture_fill(f, id, 0, pages, 5);
	return id;
}

/* ---- a thread that holds mm_lock until told to let go --------------------------------- */

struct holder {
	struct rcl_engine *e;
	atomic_bool held, release;
};

static void *hold_mm_lock_thread(void *arg)
{
	struct holder *h = arg;
	double deadline = now_s() + 30;

	mm_lock(h->e);
	atomic_store(&h->held, true);
	while (!atomic_load(&h->release) && now_s() < deadline)
		sched_yield();
	mm_unlock(h->e);
	return NULL;
}

static void holder_start(struct holder *h, struct rcl_engine *e, pthread_t *t)
{
	double deadline = now_s() + 10;

	h->e = e;
	atomic_init(&h->held, false);
	atomic_init(&h->release, false);
	ck_assert_int_eq(pthread_create(t, NULL, hold_mm_lock_thread, h), 0);
	while (!atomic_load(&h->held) && now_s() < deadline)
		sched_yield();
	ck_assert_msg(atomic_load(&h->held), "the holder never took mm_lock");
}

static void holder_stop(struct holder *h, pthread_t t)
{
	atomic_store(&h->release, true);
	pthread_join(t, NULL);
}

/* Entry @idx of @region old and clean, and its page clean (as MADV_FREE leaves them). */
static void clean_and_old(struct rcl_engine *e, struct region *region, unsigned long idx)
{
	pte_t *pte = pte_offset(region, idx);

	pte_lock(region);
	pte_clear_flags(region, pte, PTE_YOUNG | PTE_DIRTY);
	ClearPageDirty(pfn_to_page(e, pte_pfn(ptep_get(pte))));
	pte_unlock(region);
}

static bool young_and_dirty(struct rcl_engine *e, struct region *region, unsigned long idx)
{
	pte_t pte = pte_get(region, idx);

	return (pte & PTE_YOUNG) && (pte & PTE_DIRTY) && PageDirty(pfn_to_page(e, pte_pfn(pte)));
}

/*
 * Resident copies and touches while another thread holds mm_lock (as reclaim or a fault
 * would): they go on under the ptl and land, where they used to punt with -EAGAIN. A page
 * that is not resident still punts, and changes nothing; so does a touch of a file region,
 * whose dirtying is accounted under mm_lock.
 */
START_TEST(test_resident_copy_while_mm_lock_held)
{
	static const char zeros[PAGE];
	struct rcl_region_spec fspec = { .type = RCL_REGION_FILE, .nr_pages = 2,
					 .flags = RCL_REGION_SHARED, .path = "f" };
	struct fixture f;
	struct holder h;
	pthread_t t;
	char *buf = malloc(PAGE), *back = malloc(PAGE);
	uint64_t faults;
	uint32_t id, file;

	fixture_setup(&f, 16, 32, 1);
	fixture_file(&f, "f", 2 * PAGE);
	ck_assert_int_eq(rcl_region_create(f.e, &fspec, &file), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, file, 0, 2, false), 0);
	id = written_region(&f, 8);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 7, 1, RCL_MADV_PAGEOUT), 0);
	ck_assert(is_swap_pte(pte_get(region_lookup(f.e, id), 7)));
	faults = fixture_vmstat(f.e, "pgfault");
	/* Pages 2 and 5 clean and old, so that the accesses below show. */
	mm_lock(f.e);
	clean_and_old(f.e, region_lookup(f.e, id), 2);
	clean_and_old(f.e, region_lookup(f.e, id), 5);
	mm_unlock(f.e);

	holder_start(&h, f.e, &t);
	fill_pattern(buf, PAGE, 9, 2 * PAGE);
	ck_assert_int_eq(rcl_region_write_resident(f.e, id, 2 * PAGE, buf, PAGE), 0);
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, 2 * PAGE, back, PAGE), 0);
	ck_assert(check_pattern(back, PAGE, 9, 2 * PAGE));
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, 3 * PAGE, back, PAGE), 0);
	ck_assert(check_pattern(back, PAGE, 5, 3 * PAGE));
	/* Swapped out: the worker's fault path must bring it in. */
	ck_assert_int_eq(rcl_region_write_resident(f.e, id, 7 * PAGE, buf, PAGE), -EAGAIN);
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, 6 * PAGE, back, 2 * PAGE), -EAGAIN);
	ck_assert_int_eq(rcl_region_touch_resident(f.e, id, 4, 2, true), 0);
	ck_assert_int_eq(rcl_region_touch_resident(f.e, id, 6, 2, true), -EAGAIN);
	ck_assert_int_eq(rcl_region_touch_resident(f.e, file, 0, 2, true), -EAGAIN);
	/* A read of a file region's resident page takes no mm_lock either. */
	memset(back, 0xee, PAGE);
	ck_assert_int_eq(rcl_region_read_resident(f.e, file, PAGE, back, PAGE), 0);
	ck_assert(!memcmp(back, zeros, PAGE));
	holder_stop(&h, t);

	/* Each resident access counted as the fault it stands for: six pages. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgfault") - faults, 6);
	mm_lock(f.e);
	ck_assert(young_and_dirty(f.e, region_lookup(f.e, id), 2));
	ck_assert(young_and_dirty(f.e, region_lookup(f.e, id), 5));
	ck_assert(!(pte_get(region_lookup(f.e, file), 0) & PTE_DIRTY));
	ck_assert(is_swap_pte(pte_get(region_lookup(f.e, id), 7)));
	mm_unlock(f.e);
	ck_assert_int_eq(rcl_region_read(f.e, id, 7 * PAGE, back, PAGE), 0);
	ck_assert(check_pattern(back, PAGE, 5, 7 * PAGE));
	ck_assert_int_eq(rcl_region_read(f.e, id, 2 * PAGE, back, PAGE), 0);
	ck_assert(check_pattern(back, PAGE, 9, 2 * PAGE));
	free(buf);
	free(back);
	fixture_teardown(&f);
}
END_TEST

/* An unknown or freed id is -ENOENT, a range past the end -EINVAL, as on the worker path. */
START_TEST(test_resident_copy_bad_input)
{
	struct fixture f;
	char buf[64] = { 0 };
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = written_region(&f, 2);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_int_eq(rcl_region_write_resident(f.e, id, 0, buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(rcl_region_read_resident(f.e, id + 1, 0, buf, sizeof(buf)), -ENOENT);
	id = written_region(&f, 2);
	ck_assert_int_eq(rcl_region_read_resident(f.e, id, PAGE, buf, PAGE + 1), -EINVAL);
	ck_assert_int_eq(rcl_region_write_resident(f.e, id, UINT64_MAX, buf, 2), -EINVAL);
	fixture_teardown(&f);
}
END_TEST

/*
 * A region freed while a caller without mm_lock holds a reference (the resident copy): its
 * last put cannot free it (that needs mm_lock), so the holder of mm_lock frees it as it lets
 * go. The region's page tables are charged to its memcg until then.
 */
START_TEST(test_last_reference_without_mm_lock)
{
	struct fixture f;
	struct region *region;
	struct holder h;
	pthread_t t;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = written_region(&f, 2);
	region = region_lookup_get(f.e, id);
	ck_assert_ptr_nonnull(region);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_ptr_null(region_lookup_get(f.e, id));
	ck_assert_uint_gt(fixture_memcg_value(f.e, RCL_MEMCG_ROOT, false, "pagetables"), 0);
	holder_start(&h, f.e, &t);
	region_put_unlocked(f.e, region);	/* the last reference */
	ck_assert_uint_eq(atomic_load(&f.e->nr_deferred), 1);
	holder_stop(&h, t);
	ck_assert_uint_eq(atomic_load(&f.e->nr_deferred), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, RCL_MEMCG_ROOT, false, "pagetables"), 0);
	fixture_teardown(&f);
}
END_TEST

/*
 * A region pins its memcg: the loop may hold the last reference to a freed region while the
 * group is deleted, and the region's deferred free then accounts into the group (pagetables),
 * which must still be there. It goes with the last reference (found by the next call that
 * reaps deleted groups). Under ASan the old code read freed memory here.
 */
START_TEST(test_region_pins_its_memcg)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 2 };
	struct region *region;
	struct fixture f;
	uint64_t dropped;
	uint32_t id, mid;

	fixture_setup(&f, 16, 32, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "victim", &mid), 0);
	spec.memcg_id = mid;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, 2, 5);
	region = region_lookup_get(f.e, id);
	ck_assert_ptr_nonnull(region);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_int_eq(rcl_memcg_delete(f.e, mid), 0);
	ck_assert_ptr_eq(f.e->memcgs[mid], region->memcg);	/* offline, not freed */
	ck_assert(!region->memcg->online);
	region_put_unlocked(f.e, region);
	ck_assert_int_eq(rcl_drop_caches(f.e, &dropped), 0);	/* reaps deleted groups */
	ck_assert_ptr_null(f.e->memcgs[mid]);
	fixture_teardown(&f);
}
END_TEST

/* ---- resident writes racing page-out ---------------------------------------------------- */

#define RACE_PAGES	32
#define RACE_WRITERS	2
#define RACE_PAGEOUTS	100	/* rounds of page-out and fault-back */
#define RACE_ROUNDS	1000000	/* writes per page per writer at most */
#define RACE_SECONDS	20	/* and at most this long */

struct race {
	struct fixture *f;
	uint32_t id;
	atomic_bool stop;		/* the pager is done */
	atomic_ulong resident, punted, pageouts;
	uint64_t last[RACE_PAGES];	/* each written by its one writer, read after the join */
	int err;
};

struct race_writer {
	struct race *r;
	int nr;
};

/* Page @p holds @n at its start and at its end: a torn or lost write shows either way. */
static void number_page(char *buf, uint64_t n)
{
	memset(buf, 0, PAGE);
	memcpy(buf, &n, sizeof(n));
	memcpy(buf + PAGE - sizeof(n), &n, sizeof(n));
}

/*
 * Write 1, 2, 3... into the writer's pages (p % RACE_WRITERS == nr) as the daemon would: on
 * the loop's resident path, and when that punts, on the worker's faulting path.
 */
static void *race_writer_thread(void *arg)
{
	struct race_writer *w = arg;
	struct race *r = w->r;
	char *buf = malloc(PAGE);
	double deadline = now_s() + RACE_SECONDS;
	uint64_t n, p;
	int err = 0;

	ck_assert_int_eq(rcl_thread_attach(r->f->e), 0);
	for (n = 1; n <= RACE_ROUNDS && !atomic_load(&r->stop) && !err && now_s() < deadline;
	     n++) {
		for (p = (uint64_t)w->nr; p < RACE_PAGES && !err; p += RACE_WRITERS) {
			number_page(buf, n);
			err = rcl_region_write_resident(r->f->e, r->id, p * PAGE, buf, PAGE);
			if (err == -EAGAIN) {
				atomic_fetch_add(&r->punted, 1);
				err = rcl_region_write(r->f->e, r->id, p * PAGE, buf, PAGE);
			} else if (!err) {
				atomic_fetch_add(&r->resident, 1);
			}
			if (!err)
				r->last[p] = n;
		}
	}
	if (err)
		r->err = err;
	rcl_thread_detach(r->f->e);
	free(buf);
	return NULL;
}

/* Page the region out and fault half of it back, RACE_PAGEOUTS times; then stop the writers. */
static void *race_pager_thread(void *arg)
{
	struct race *r = arg;
	double deadline = now_s() + RACE_SECONDS;
	int err = 0, i;

	ck_assert_int_eq(rcl_thread_attach(r->f->e), 0);
	for (i = 0; i < RACE_PAGEOUTS && !err && now_s() < deadline; i++) {
		err = rcl_region_madvise(r->f->e, r->id, 0, RACE_PAGES, RCL_MADV_PAGEOUT);
		if (!err)
			err = rcl_region_touch(r->f->e, r->id, 0, RACE_PAGES / 2, false);
		atomic_fetch_add(&r->pageouts, 1);
	}
	if (err)
		r->err = err;
	atomic_store(&r->stop, true);
	rcl_thread_detach(r->f->e);
	return NULL;
}

START_TEST(test_resident_writes_race_pageout)
{
	struct race_writer w[RACE_WRITERS];
	struct fixture f;
	struct race *r = calloc(1, sizeof(*r));
	pthread_t tw[RACE_WRITERS], tp;
	char *buf = malloc(PAGE), *want = malloc(PAGE);
	uint64_t pswpout, p;
	int i;

	fixture_setup(&f, 16, 32, 1);
	r->f = &f;
	r->id = written_region(&f, RACE_PAGES);
	pswpout = fixture_vmstat(f.e, "pswpout");
	for (i = 0; i < RACE_WRITERS; i++) {
		w[i] = (struct race_writer){ .r = r, .nr = i };
		ck_assert_int_eq(pthread_create(&tw[i], NULL, race_writer_thread, &w[i]), 0);
	}
	ck_assert_int_eq(pthread_create(&tp, NULL, race_pager_thread, r), 0);
	pthread_join(tp, NULL);
	for (i = 0; i < RACE_WRITERS; i++)
		pthread_join(tw[i], NULL);
	ck_assert_int_eq(r->err, 0);

	/* Both paths ran, and pages really went to swap meanwhile. */
	ck_assert_uint_gt(atomic_load(&r->resident), 0);
	ck_assert_uint_gt(atomic_load(&r->punted), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpout") - pswpout, 0);
	for (p = 0; p < RACE_PAGES; p++) {
		ck_assert_uint_gt(r->last[p], 0);
		number_page(want, r->last[p]);
		ck_assert_int_eq(rcl_region_read(f.e, r->id, p * PAGE, buf, PAGE), 0);
		ck_assert_msg(!memcmp(buf, want, PAGE), "page %llu lost its write of %llu",
			      (unsigned long long)p, (unsigned long long)r->last[p]);
	}
	free(buf);
	free(want);
	free(r);
	fixture_teardown(&f);
}
END_TEST

/* ---- lock order ----------------------------------------------------------------------- */

/* mm_lock, then a region's ptl: the order every entry change takes them in. */
START_TEST(test_mm_lock_then_ptl)
{
	struct fixture f;
	struct region *region;
	pte_t *pte;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = written_region(&f, 1);
	mm_lock(f.e);
	region = region_lookup(f.e, id);
	pte_lock(region);
	ck_assert_int_eq(pte_locks_held, 1);
	ck_assert_int_eq(model_locks_held, 2);
	pte = pte_offset(region, 0);
	pte_clear_flags(region, pte, PTE_YOUNG);
	ck_assert(!pte_young(ptep_get(pte)));
	pte_unlock(region);
	ck_assert_int_eq(pte_locks_held, 0);
	mm_unlock(f.e);
	ck_assert_int_eq(model_locks_held, 0);
	fixture_teardown(&f);
}
END_TEST

#ifdef RCL_DEBUG
static struct region *locked_region(struct fixture *f)
{
	uint32_t id;

	fixture_setup(f, 16, 32, 1);
	id = written_region(f, 1);
	return region_lookup(f->e, id);
}

/* --enable-debug: ptl, then mm_lock, is the inversion; caught when it happens. */
START_TEST(test_ptl_then_mm_lock_aborts)
{
	struct fixture f;
	struct region *region = locked_region(&f);

	pte_lock(region);
	mm_lock(f.e);		/* aborts */
}
END_TEST

/* Nor a trylock: nothing under a ptl takes mm_lock. */
START_TEST(test_ptl_then_mm_trylock_aborts)
{
	struct fixture f;
	struct region *region = locked_region(&f);

	pte_lock(region);
	(void)mm_trylock(f.e);	/* aborts */
}
END_TEST

/* Nothing that may block runs under a ptl. */
START_TEST(test_sleep_under_ptl_aborts)
{
	struct fixture f;
	struct region *region = locked_region(&f);

	pte_lock(region);
	might_sleep();		/* aborts */
}
END_TEST

/* An entry changed without its region's ptl. */
START_TEST(test_pte_change_without_ptl_aborts)
{
	struct fixture f;
	struct region *region = locked_region(&f);

	mm_lock(f.e);
	pte_clear_flags(region, pte_offset(region, 0), PTE_YOUNG);	/* aborts */
}
END_TEST
#endif

static Suite *make_suite(void)
{
	Suite *s = suite_create("ptl");
	TCase *tc = tcase_create("ptl");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_resident_copy_while_mm_lock_held);
	tcase_add_test(tc, test_resident_copy_bad_input);
	tcase_add_test(tc, test_region_pins_its_memcg);
	tcase_add_test(tc, test_last_reference_without_mm_lock);
	tcase_add_test(tc, test_resident_writes_race_pageout);
	tcase_add_test(tc, test_mm_lock_then_ptl);
#ifdef RCL_DEBUG
	tcase_add_test_raise_signal(tc, test_ptl_then_mm_lock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_ptl_then_mm_trylock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_sleep_under_ptl_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_pte_change_without_ptl_aborts, SIGABRT);
#endif
	suite_add_tcase(s, tc);
	return s;
}
