/*
 * check_locking - nobody waits holding the model lock.
 *
 * A fault that meets a locked page (a read in flight, here a lock the test holds) sleeps on
 * the page's wait queue without mm_lock, so other threads go on meanwhile; it wakes at
 * unlock_page and maps the page. Two threads faulting the same swapped page end with one page
 * mapped and the right bytes. Readers of never-written pages (the zero page) racing writers
 * under memory pressure leave exactly what was written. Page locks need
 * no model lock on either side, and a holder going to sleep runs the completions queued for
 * it first. In --enable-debug builds, blocking on I/O with mm_lock held aborts (might_sleep).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "mm.h"

#define PAGE 4096ULL

struct reader {
	struct fixture *f;
	uint32_t id;
	uint64_t page;
	int err;
	bool good;
};

static void *read_page_thread(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(PAGE);

	ck_assert_int_eq(rcl_thread_attach(r->f->e), 0);
	r->err = rcl_region_read(r->f->e, r->id, r->page * PAGE, buf, PAGE);
	r->good = !r->err && check_pattern(buf, PAGE, 71, r->page * PAGE);
	rcl_thread_detach(r->f->e);
	free(buf);
	return NULL;
}

/* A region of 16 written pages, swapped out but still in the swap cache. */
static uint32_t swapped_region(struct fixture *f)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 16 };
	uint32_t id;

	fixture_setup(f, 16, 32, 1);
	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	fixture_fill(f, id, 0, 16, 71);
	ck_assert_int_eq(rcl_region_madvise(f->e, id, 0, 16, RCL_MADV_PAGEOUT), 0);
	ck_assert(is_swap_pte(pte_get(region_lookup(f->e, id), 3)));
	return id;
}

START_TEST(test_fault_sleeps_on_page_lock_without_mm_lock)
{
	struct fixture f;
	struct reader r = { .f = &f, .page = 3 };
	struct page *page;
	pthread_t t;
	double deadline;

	r.id = swapped_region(&f);
	mm_lock(f.e);
	page = lookup_swap_cache(f.e, pte_to_swp_entry(pte_get(region_lookup(f.e, r.id), 3)));
	ck_assert_ptr_nonnull(page);	/* still cached after writeback */
	ck_assert(trylock_page(page));	/* as a read in flight would hold it */
	put_page(page);
	mm_unlock(f.e);

	ck_assert_int_eq(pthread_create(&t, NULL, read_page_thread, &r), 0);
	/* The reader announces itself on the page's wait queue... */
	deadline = now_s() + 10;
	while (!PageWaiters(page) && now_s() < deadline)
		sched_yield();
	ck_assert_msg(PageWaiters(page), "the reader never waited on the page");
	/* ...and sleeps there without the model lock: this thread can take it. The waiter bit
	 * is set just before the reader lets the lock go inside the wait, so take it as soon as
	 * it is free; a reader that slept holding it would keep it until the deadline. */
	while (!mm_trylock(f.e)) {
		ck_assert_msg(now_s() < deadline, "the reader sleeps holding the model lock");
		sched_yield();
	}
	ck_assert(!pte_present(pte_get(region_lookup(f.e, r.id), 3)));
	unlock_page(page);		/* wakes it */
	mm_unlock(f.e);
	pthread_join(t, NULL);
	ck_assert_int_eq(r.err, 0);
	ck_assert(r.good);
	ck_assert(pte_present(pte_get(region_lookup(f.e, r.id), 3)));
	fixture_teardown(&f);
}
END_TEST

/* ---- a completion queued for the lock's holder, who then sleeps ------------------------ */

struct stranded {
	struct fixture *f;
	struct page *page;
	atomic_bool locked, queued, done;
};

/* The completion that ends a read: unlock_page, run with mm_lock held (model_complete). */
static void unlock_completion(void *arg, long a, long b)
{
	(void)a;
	(void)b;
	unlock_page(arg);
}

/* As a fault does: hold mm_lock, and once the completion is queued, wait for the page. */
static void *page_waiter(void *arg)
{
	struct stranded *s = arg;
	double deadline = now_s() + 10;

	mm_lock(s->f->e);
	atomic_store(&s->locked, true);
	while (!atomic_load(&s->queued) && now_s() < deadline)
		sched_yield();
	wait_on_page_locked(s->page);
	mm_unlock(s->f->e);
	atomic_store(&s->done, true);
	return NULL;
}

/* The reaper of the read: another thread, which finds mm_lock held and queues the unlock. */
static void *reaper(void *arg)
{
	struct stranded *s = arg;

	model_complete(s->f->e, unlock_completion, s->page, 0, 0);
	return NULL;
}

/*
 * The read a waiter sleeps for completes while the waiter holds mm_lock: the reaper queues
 * the unlock for the holder, and its retry finds the lock still held. The waiter then goes to
 * sleep on the page with nobody else to take the lock and run what was queued; it must still
 * wake (within the 10 s this waits, the reclaim daemons' longest nap): letting mm_lock go to
 * sleep runs what was queued for its holder, the unlock included.
 */
START_TEST(test_unlock_queued_for_a_sleeping_holder_runs)
{
	struct stranded s = { 0 };
	struct fixture f;
	pthread_t w, r;
	double deadline;
	bool woke;

	fixture_setup(&f, 16, 0, 1);
	s.f = &f;
	mm_lock(f.e);
	s.page = alloc_pages_node(f.e, 0, GFP_NOWAIT, 0);
	ck_assert_ptr_nonnull(s.page);
	ck_assert(trylock_page(s.page));	/* a read in flight */
	mm_unlock(f.e);
	ck_assert_int_eq(pthread_create(&w, NULL, page_waiter, &s), 0);
	deadline = now_s() + 10;
	while (!atomic_load(&s.locked) && now_s() < deadline)
		sched_yield();
	ck_assert(atomic_load(&s.locked));
	ck_assert_int_eq(pthread_create(&r, NULL, reaper, &s), 0);
	pthread_join(r, NULL);			/* queued: the waiter held the lock */
	ck_assert(PageLocked(s.page));
	atomic_store(&s.queued, true);
	deadline = now_s() + 10;
	while (!atomic_load(&s.done) && now_s() < deadline)
		sched_yield();
	woke = atomic_load(&s.done);
	if (!woke) {
		mm_lock(f.e);			/* runs the queued unlock, so the waiter ends */
		mm_unlock(f.e);
	}
	pthread_join(w, NULL);
	ck_assert_msg(woke, "a waiter slept on a page whose unlock was queued for it");
	ck_assert(!PageLocked(s.page));
	mm_lock(f.e);
	put_page(s.page);
	mm_unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_racing_faults_map_one_page)
{
	struct fixture f;
	struct reader r[4];
	struct rcl_region_info info;
	pthread_t t[4];
	uint32_t id;
	uint64_t reclaimed;
	int i;

	id = swapped_region(&f);
	/* Out of the swap cache too: each racer must read the slot itself or find the other's
	 * page locked in the cache. */
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, RCL_MEMCG_ROOT, 16, &reclaimed), 0);
	for (i = 0; i < 4; i++) {
		r[i] = (struct reader){ .f = &f, .id = id, .page = 5 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, read_page_thread, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(r[i].err, 0);
		ck_assert(r[i].good);
	}
	ck_assert_int_eq(rcl_region_info(f.e, id, &info), 0);
	ck_assert_uint_eq(info.resident + info.swapped, 16);
	fixture_verify(&f, id, 16, 71);
	fixture_teardown(&f);
}
END_TEST

/* ---- the zero page among writers ---------------------------------------------------------- */

struct zero_racer {
	struct fixture *f;
	uint32_t id;
	int writer;		/* -1: reads every page; else writes the pages p % 2 == writer */
	int err;
	bool good;
};

#define ZERO_PAGES 256

static void *zero_racer_thread(void *arg)
{
	struct zero_racer *z = arg;
	char *buf = malloc(PAGE), *zeros = calloc(1, PAGE);
	uint64_t p;
	int pass;

	ck_assert_int_eq(rcl_thread_attach(z->f->e), 0);
	z->good = true;
	for (pass = 0; pass < 2 && !z->err; pass++) {
		for (p = 0; p < ZERO_PAGES && !z->err; p++) {
			if (z->writer < 0) {
				z->err = rcl_region_read(z->f->e, z->id, p * PAGE, buf, PAGE);
				/* Never a torn page: zeros, or all of what the writer wrote. */
				if (!z->err && memcmp(buf, zeros, PAGE) &&
				    !check_pattern(buf, PAGE, 33, p * PAGE))
					z->good = false;
			} else if ((int)(p % 2) == z->writer) {
				fill_pattern(buf, PAGE, 33, p * PAGE);
				z->err = rcl_region_write(z->f->e, z->id, p * PAGE, buf, PAGE);
			}
		}
	}
	rcl_thread_detach(z->f->e);
	free(zeros);
	free(buf);
	return NULL;
}

/*
 * Readers map the zero page into never-written entries while writers replace them, under
 * memory pressure so that the writers' allocations reclaim and wait for swap I/O without
 * mm_lock: every write lands in a page of its own (pte_unchanged catches a zero entry mapped
 * meanwhile), no reader sees a torn page, and what the region holds afterwards is exactly
 * what was written.
 */
START_TEST(test_zero_page_races_writers)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = ZERO_PAGES };
	struct rcl_region_spec fill = { .type = RCL_REGION_ANON, .nr_pages = 4096 };
	struct rcl_region_info info;
	struct zero_racer z[4];
	struct fixture f;
	pthread_t t[4];
	uint32_t id, filler;
	int i;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &fill, &filler), 0);
	fixture_fill(&f, filler, 0, 4096, 7);	/* the arena is full: new pages reclaim */
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	for (i = 0; i < 4; i++) {
		z[i] = (struct zero_racer){ .f = &f, .id = id, .writer = i < 2 ? -1 : i - 2 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, zero_racer_thread, &z[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(z[i].err, 0);
		ck_assert(z[i].good);
	}
	ck_assert_int_eq(rcl_region_info(f.e, id, &info), 0);
	ck_assert_uint_eq(info.resident + info.swapped, ZERO_PAGES);
	fixture_verify(&f, id, ZERO_PAGES, 33);
	fixture_verify(&f, filler, 4096, 7);
	fixture_teardown(&f);
}
END_TEST

/* ---- wait queues of their own ------------------------------------------------------- */

struct bit_waiter {
	struct page *page;
	atomic_bool done;
};

/* Sleeps on the page lock holding no lock at all, as an unlocked path may. */
static void *bit_waiter_thread(void *arg)
{
	struct bit_waiter *w = arg;

	lock_page(w->page);
	atomic_store(&w->done, true);
	return NULL;
}

/* Until PG_waiters shows the waiter marked the page and is about to sleep, or 10 s. */
static bool page_has_waiter(struct page *page)
{
	double deadline = now_s() + 10;

	while (!PageWaiters(page) && now_s() < deadline)
		sched_yield();
	return PageWaiters(page);
}

static bool waiter_done(struct bit_waiter *w)
{
	double deadline = now_s() + 10;

	while (!atomic_load(&w->done) && now_s() < deadline)
		sched_yield();
	return atomic_load(&w->done);
}

/*
 * The page lock is a lock of its own: a thread holding no model lock sleeps on it, and one
 * holding none unlocks it and wakes the sleeper, which then has the lock. (Its wait queue
 * used to be a condition variable of mm_lock's mutex, so both sides needed mm_lock.)
 */
START_TEST(test_page_lock_needs_no_model_lock)
{
	struct bit_waiter w = { 0 };
	struct fixture f;
	pthread_t t;
	bool woke;

	fixture_setup(&f, 16, 0, 1);
	mm_lock(f.e);
	w.page = alloc_pages_node(f.e, 0, GFP_NOWAIT, 0);
	mm_unlock(f.e);
	ck_assert_ptr_nonnull(w.page);
	ck_assert(trylock_page(w.page));
	ck_assert_int_eq(pthread_create(&t, NULL, bit_waiter_thread, &w), 0);
	ck_assert_msg(page_has_waiter(w.page), "lock_page never waited for the locked page");
	ck_assert(!atomic_load(&w.done));
	unlock_page(w.page);
	woke = waiter_done(&w);
	ck_assert_msg(woke, "unlock_page without mm_lock did not wake the page's sleeper");
	pthread_join(t, NULL);
	ck_assert(PageLocked(w.page));		/* the waiter's now */
	ck_assert(!PageWaiters(w.page));	/* cleared by the wake-up, not marked again */
	unlock_page(w.page);
	mm_lock(f.e);
	put_page(w.page);
	mm_unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

struct sleeper {
	struct fixture *f;
	struct wait_queue_head wq;
	atomic_bool locked, queued, ran, done;
	int ret;
};

/* A completion queued for mm_lock's holder: it marks that it ran and wakes the holder. */
static void wake_sleeper(void *arg, long a, long b)
{
	struct sleeper *s = arg;

	(void)a;
	(void)b;
	atomic_store(&s->ran, true);
	wake_up_all(&s->wq);
}

/* As kswapd going to sleep: hold mm_lock, and once the completion is queued, sleep on a
 * queue with mm_lock let go, 20 s at most. */
static void *queue_sleeper(void *arg)
{
	struct sleeper *s = arg;
	double deadline = now_s() + 10;
	struct timespec until;

	mm_lock(s->f->e);
	atomic_store(&s->locked, true);
	while (!atomic_load(&s->queued) && now_s() < deadline)
		sched_yield();
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	s->ret = mm_wait_event(s->f->e, &s->wq, &until);
	mm_unlock(s->f->e);
	atomic_store(&s->done, true);
	return NULL;
}

static void *queue_wake_sleeper(void *arg)
{
	struct sleeper *s = arg;

	model_complete(s->f->e, wake_sleeper, s, 0, 0);
	return NULL;
}

/*
 * A completion that found mm_lock held is queued for its holder. When that holder goes to
 * sleep, it lets the lock go the way mm_unlock does, running what was queued, so the
 * completion runs at once and its wake-up, which came before the sleep, is not lost: the
 * sleeper returns woken, not after its 20 s. (A condition variable's wait on mm_lock's mutex
 * let the lock go without running it, and the completion waited for the next taker.)
 */
START_TEST(test_sleeper_runs_what_was_queued_for_it)
{
	struct sleeper s = { 0 };
	struct fixture f;
	pthread_t a, r;
	double deadline;
	bool ran;

	fixture_setup(&f, 16, 0, 1);
	s.f = &f;
	init_waitqueue_head(&s.wq);
	ck_assert_int_eq(pthread_create(&a, NULL, queue_sleeper, &s), 0);
	deadline = now_s() + 10;
	while (!atomic_load(&s.locked) && now_s() < deadline)
		sched_yield();
	ck_assert(atomic_load(&s.locked));
	ck_assert_int_eq(pthread_create(&r, NULL, queue_wake_sleeper, &s), 0);
	pthread_join(r, NULL);
	ck_assert_msg(!atomic_load(&s.ran), "the completion ran though mm_lock was held");
	atomic_store(&s.queued, true);
	deadline = now_s() + 10;
	while (!atomic_load(&s.ran) && now_s() < deadline)
		sched_yield();
	ran = atomic_load(&s.ran);
	if (!ran) {
		mm_lock(f.e);			/* runs it, so the sleeper ends */
		mm_unlock(f.e);
	}
	pthread_join(a, NULL);
	ck_assert_msg(ran, "a completion queued for a holder that went to sleep did not run");
	ck_assert_int_eq(s.ret, 0);		/* woken, not timed out */
	destroy_waitqueue_head(&s.wq);
	fixture_teardown(&f);
}
END_TEST

/* ---- what the model lock costs -------------------------------------------------------- */

struct lock_waiter {
	struct fixture *f;
	_Atomic pid_t tid;
	int err;
};

static void *create_group(void *arg)
{
	struct lock_waiter *w = arg;
	uint32_t id;

	ck_assert_int_eq(rcl_thread_attach(w->f->e), 0);
	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	w->err = rcl_memcg_create(w->f->e, RCL_MEMCG_ROOT, "waited", &id);
	rcl_thread_detach(w->f->e);
	return NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * rcl_engine_info counts mm_lock: every hold, and a thread that had to wait for it as one
 * contended hold with its wait. The waiter here is seen asleep on the lock before the holder
 * keeps it 20 ms more, so its wait is at least that; an uncontended hold adds none.
 */
START_TEST(test_lock_waits_are_counted)
{
	struct lock_waiter w = { 0 };
	struct rcl_engine_info a, b, c;
	struct fixture f;
	uint64_t held_from, deadline;
	pthread_t tid;
	bool asleep = false;

	fixture_setup(&f, 16, 0, 1);
	w.f = &f;
	rcl_engine_info(f.e, &a);
	mm_lock(f.e);
	mm_unlock(f.e);
	rcl_engine_info(f.e, &b);
	ck_assert_uint_eq(b.lock_acquired, a.lock_acquired + 1);
	ck_assert_uint_eq(b.lock_contended, a.lock_contended);
	ck_assert_uint_eq(b.lock_wait_ns, a.lock_wait_ns);

	mm_lock(f.e);
	ck_assert_int_eq(pthread_create(&tid, NULL, create_group, &w), 0);
	/* Bounded in time, not in turns: on a loaded machine the thread may not run for a
	 * while, and ten thousand yields go by in milliseconds. */
	deadline = mono_ns() + 30000000000ull;
	while (!asleep && mono_ns() < deadline) {
		asleep = atomic_load(&w.tid) && fixture_thread_sleeps(atomic_load(&w.tid));
		if (!asleep)
			sched_yield();
	}
	ck_assert_msg(asleep, "the second thread never blocked on mm_lock");
	held_from = mono_ns();
	while (mono_ns() - held_from < 20000000)	/* hold it 20 ms more */
		;
	mm_unlock(f.e);
	pthread_join(tid, NULL);
	ck_assert_int_eq(w.err, 0);
	rcl_engine_info(f.e, &c);
	ck_assert_uint_ge(c.lock_contended, b.lock_contended + 1);
	ck_assert_uint_ge(c.lock_wait_ns - b.lock_wait_ns, 20000000);
	ck_assert_uint_ge(c.lock_acquired, b.lock_acquired + 2);
	fixture_teardown(&f);
}
END_TEST

/* ---- a request holds its region to its last range ---------------------------------------- */

static struct region *doomed;

/* The resched chance in the middle of a range: the region goes, as a free by another request
 * that took the lock there would take it (the hook runs under mm_lock, as the free does). */
static void destroy_chance(struct rcl_engine *e)
{
	if (doomed) {
		region_destroy(e, doomed, false);
		doomed = NULL;
	}
}

/*
 * rcl_region_readv and _writev hold the region they looked up for every range: one freed
 * half-way ends the call with -ENOENT, what was copied before stays copied, and no later range
 * is done (a lookup by id there could meet the id given to another region). Its first range
 * spans two page tables, so that the chance between them comes in the middle of it.
 */
START_TEST(test_vectored_copy_ends_when_its_region_goes)
{
	enum { PAGES = 1024 };
	static char data[PAGES * 4096], got[PAGES * 4096], second[4096];
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = PAGES };
	struct rcl_region_iov iov[2] = {
		{ .offset = 0, .len = sizeof(got), .buf = got },
		{ .offset = 0, .len = sizeof(second), .buf = second },
	};
	struct fixture f;
	uint32_t id;
	size_t i;

	fixture_setup(&f, 32, 0, 1);
	fixture_threads_start(&f);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i / 4096 + 1);
	ck_assert_int_eq(rcl_region_write(f.e, id, 0, data, sizeof(data)), 0);
	memset(second, 0x55, sizeof(second));
	mm_lock(f.e);
	doomed = region_lookup(f.e, id);
	mm_unlock(f.e);
	ck_assert_ptr_nonnull(doomed);
	f.e->resched_hook = destroy_chance;
	ck_assert_int_eq(rcl_region_readv(f.e, id, iov, 2), -ENOENT);
	f.e->resched_hook = NULL;
	ck_assert_ptr_null(doomed);		/* it went half-way */
	ck_assert_int_eq(memcmp(got, data, 512 * 4096), 0);
	for (i = 0; i < sizeof(second); i++)	/* the second range never ran */
		ck_assert_int_eq(second[i], 0x55);
	ck_assert_int_eq(rcl_region_read(f.e, id, 0, got, 4096), -ENOENT);
	fixture_threads_stop(&f);
	fixture_teardown(&f);
}
END_TEST

/* ---- long jobs let mm_lock go to a waiter ------------------------------------------------ */

/*
 * A long job under mm_lock hands it to a thread waiting for it every page table's worth of
 * work (cond_resched_mm_lock): freeing a region zaps it 512 entries at a time (a 2 GiB free
 * held the lock 55 ms), and a touch of many pages gives it up every 512 faults (a 2 GiB touch
 * held it 0.4 s), each time every other client's fault waiting. The hook, run at each chance,
 * starts a thread that waits for the lock (a memcg create) and counts the chances after which
 * another thread had taken it: the lock's acquisitions moved on by more than the holder's
 * retake.
 */
static struct {
	struct lock_waiter w;
	pthread_t tid;
	unsigned int chances, handovers;
	uint64_t acquired;
} lend;

static void lend_chance(struct rcl_engine *e)
{
	uint64_t now = atomic_load(&e->mm_lock_acquired);

	if (lend.chances++ == 0) {
		uint64_t until = mono_ns() + 30000000000ull;	/* a loaded CI machine: 30 s */

		ck_assert_int_eq(pthread_create(&lend.tid, NULL, create_group, &lend.w), 0);
		while (!(atomic_load(&lend.w.tid) && fixture_thread_sleeps(atomic_load(&lend.w.tid)) &&
			 atomic_load(&e->mm_lock_waiters)) && mono_ns() < until)
			sched_yield();
		ck_assert_msg(mono_ns() < until, "the waiter never blocked on mm_lock");
	} else if (now > lend.acquired + 1) {
		lend.handovers++;
	}
	lend.acquired = atomic_load(&e->mm_lock_acquired);
}

/* A daemon's engine with a region of 4096 pages (8 page tables), the hook set. */
static uint32_t lend_setup(struct fixture *f, bool touched)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 4096 };
	uint32_t id;

	fixture_setup(f, 32, 0, 1);
	fixture_threads_start(f);
	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	if (touched)
		ck_assert_int_eq(rcl_region_touch(f->e, id, 0, spec.nr_pages, true), 0);
	memset(&lend, 0, sizeof(lend));
	lend.w.f = f;
	f->e->resched_hook = lend_chance;
	return id;
}

/* The waiter came in while the job ran: 7 chances (between 8 page tables), one taken. */
static void lend_check(struct fixture *f)
{
	f->e->resched_hook = NULL;
	pthread_join(lend.tid, NULL);
	ck_assert_int_eq(lend.w.err, 0);
	ck_assert_uint_eq(lend.chances, 7);
	ck_assert_uint_ge(lend.handovers, 1);
	fixture_threads_stop(f);
	fixture_teardown(f);
}

START_TEST(test_region_free_lets_waiters_in)
{
	struct fixture f;
	uint32_t id = lend_setup(&f, true);

	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	lend_check(&f);
}
END_TEST

/* A DONTNEED of the whole region drops its pages a page table at a time: the same chances. */
START_TEST(test_long_dontneed_lets_waiters_in)
{
	struct fixture f;
	uint32_t id = lend_setup(&f, true);

	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 4096, RCL_MADV_DONTNEED), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_anon_pages"), 0);
	lend_check(&f);
}
END_TEST

/* mlock populates the region first, a fault a page: the same chances. */
START_TEST(test_mlock_lets_waiters_in)
{
	struct fixture f;
	uint32_t id = lend_setup(&f, false);

	ck_assert_int_eq(rcl_region_mlock(f.e, id), 0);
	lend_check(&f);
}
END_TEST

START_TEST(test_long_touch_lets_waiters_in)
{
	struct fixture f;
	uint32_t id = lend_setup(&f, false);

	ck_assert_int_eq(rcl_region_touch(f.e, id, 0, 4096, true), 0);
	lend_check(&f);
}
END_TEST

/*
 * Two mlocks that each fit alone, not both: the first promises its pages before it
 * populates (mlock_reserve), so the second, let in while the first lets mm_lock go between
 * its faults, is refused up front, before it faults anything in, rather than both passing
 * the check and then reclaiming or killing to lock more than memory has. 32 MiB, no swap:
 * two regions of 4096 pages do not both fit beside the reserves.
 */
static struct {
	struct fixture *f;
	uint32_t other;
	pthread_t tid;
	_Atomic pid_t waiter;
	int err;
	unsigned int chances;
} second_mlock;

static void *mlock_other(void *arg)
{
	(void)arg;
	ck_assert_int_eq(rcl_thread_attach(second_mlock.f->e), 0);
	atomic_store(&second_mlock.waiter, (pid_t)syscall(SYS_gettid));
	second_mlock.err = rcl_region_mlock(second_mlock.f->e, second_mlock.other);
	rcl_thread_detach(second_mlock.f->e);
	return NULL;
}

static void mlock_chance(struct rcl_engine *e)
{
	uint64_t until = mono_ns() + 30000000000ull;	/* a loaded CI machine: 30 s */

	if (second_mlock.chances++)
		return;
	ck_assert_int_eq(pthread_create(&second_mlock.tid, NULL, mlock_other, NULL), 0);
	while (!(atomic_load(&second_mlock.waiter) &&
		 fixture_thread_sleeps(atomic_load(&second_mlock.waiter)) &&
		 atomic_load(&e->mm_lock_waiters)) && mono_ns() < until)
		sched_yield();
	ck_assert_msg(mono_ns() < until, "the second mlock never blocked on mm_lock");
}

START_TEST(test_racing_mlocks_do_not_both_fit)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 4096 };
	struct fixture f;
	uint32_t first;

	fixture_setup(&f, 32, 0, 1);
	fixture_threads_start(&f);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &first), 0);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &second_mlock.other), 0);
	second_mlock.f = &f;
	f.e->resched_hook = mlock_chance;
	ck_assert_int_eq(rcl_region_mlock(f.e, first), 0);
	f.e->resched_hook = NULL;
	pthread_join(second_mlock.tid, NULL);
	ck_assert_uint_ge(second_mlock.chances, 1);
	ck_assert_int_eq(second_mlock.err, -ENOMEM);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), spec.nr_pages);
	ck_assert_uint_eq(fixture_vmstat(f.e, "oom_kill"), 0);
	/* Refused before it faulted: the second region has no page. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_anon_pages"), spec.nr_pages);
	/* Its promise given back with the lock: the second fits once the first is unlocked. */
	ck_assert_int_eq(rcl_region_munlock(f.e, first), 0);
	ck_assert_int_eq(rcl_region_free(f.e, first), 0);
	ck_assert_int_eq(rcl_region_mlock(f.e, second_mlock.other), 0);
	fixture_threads_stop(&f);
	fixture_teardown(&f);
}
END_TEST

/* ---- a fault on a readahead window still being built ------------------------------ */

struct window_race {
	struct fixture *f;
	uint32_t id;
	pthread_t builder, faulter;
	_Atomic pid_t tid;
	atomic_bool fired, done;
	uint64_t idx;
	bool good;
};

static struct window_race wr;

static void *window_faulter(void *arg)
{
	char *buf = malloc(PAGE);

	(void)arg;
	ck_assert_int_eq(rcl_thread_attach(wr.f->e), 0);
	atomic_store(&wr.tid, (pid_t)syscall(SYS_gettid));
	wr.good = rcl_region_read(wr.f->e, wr.id, wr.idx * PAGE, buf, PAGE) == 0 &&
		  check_pattern(buf, PAGE, 81, wr.idx * PAGE);
	atomic_store(&wr.done, true);
	rcl_thread_detach(wr.f->e);
	free(buf);
	return NULL;
}

/* The builder is away between two pages of the window: a fault comes to a page of it, locked
 * and not yet read, and sleeps; the builder goes on once it does. */
static void window_gap(struct rcl_engine *e)
{
	struct region *region;
	struct page *page = NULL;
	double deadline;
	uint64_t i;

	if (atomic_load(&wr.fired) || !pthread_equal(pthread_self(), wr.builder))
		return;
	mm_lock(e);
	region = region_lookup(e, wr.id);
	for (i = 0; region && !page && i < region->nr_pages; i++) {
		pte_t pte = pte_get(region, i);

		if (!is_swap_pte(pte) || !(page = lookup_swap_cache(e, pte_to_swp_entry(pte))))
			continue;
		if (PageLocked(page) && !PageUptodate(page)) {
			wr.idx = i;
		} else {
			put_page(page);
			page = NULL;
		}
	}
	if (page)
		put_page(page);		/* the window's reference keeps it */
	mm_unlock(e);
	if (!page)
		return;
	atomic_store(&wr.fired, true);
	ck_assert_int_eq(pthread_create(&wr.faulter, NULL, window_faulter, NULL), 0);
	for (deadline = now_s() + 10; now_s() < deadline; sched_yield())
		if (atomic_load(&wr.tid) && fixture_thread_sleeps(atomic_load(&wr.tid)))
			break;
}

/*
 * A swap readahead window is submitted without anyone to wait for its reads: a fault on one
 * of its pages reaps them itself. A fault that came while the window was still being built
 * (its builder away for the next page's frame) found the page locked and no window in flight
 * to reap; it slept on the page lock until some other thread happened to reap, here never:
 * no kswapd, no flusher. It must wait for the window to be submitted, then reap it.
 */
START_TEST(test_fault_on_window_being_built_reaps_it)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 256 };
	char *buf = malloc(16 * PAGE);
	uint64_t reclaimed, p;
	struct fixture f;
	bool cached = true, done;
	double deadline;
	int tries;

	memset(&wr, 0, sizeof(wr));
	fixture_setup_io(&f, 64, 64, 1, true);
	ck_assert_int_eq(rcl_thread_attach(f.e), 0);
	wr.f = &f;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &wr.id), 0);
	fixture_fill(&f, wr.id, 0, spec.nr_pages, 81);
	ck_assert_int_eq(rcl_region_madvise(f.e, wr.id, 0, spec.nr_pages, RCL_MADV_PAGEOUT), 0);
	/* Out of the swap cache too, so that the window makes its pages anew (bounded). */
	for (tries = 0; tries < 100 && cached; tries++) {
		rcl_memcg_reclaim(f.e, RCL_MEMCG_ROOT, 4096, &reclaimed);
		mm_lock(f.e);
		for (cached = false, p = 0; p < spec.nr_pages && !cached; p++) {
			struct page *page = lookup_swap_cache(f.e, pte_to_swp_entry(
						pte_get(region_lookup(f.e, wr.id), p)));

			cached = page != NULL;
			if (page)
				put_page(page);
		}
		mm_unlock(f.e);
	}
	ck_assert_msg(!cached, "the region's pages stayed in the swap cache");
	wr.builder = pthread_self();
	f.e->swapin_gap_hook = window_gap;
	for (p = 0; p < 8 && !atomic_load(&wr.fired); p++)	/* a sequential reader */
		ck_assert_int_eq(rcl_region_read(f.e, wr.id, p * 16 * PAGE, buf, 16 * PAGE), 0);
	f.e->swapin_gap_hook = NULL;
	ck_assert_msg(atomic_load(&wr.fired), "no readahead window was built");
	for (deadline = now_s() + 10; !atomic_load(&wr.done) && now_s() < deadline; )
		sched_yield();
	done = atomic_load(&wr.done);
	if (!done) {			/* reap for it, so that it ends */
		mm_lock(f.e);
		writeback_wait_all(f.e);
		mm_unlock(f.e);
	}
	pthread_join(wr.faulter, NULL);
	ck_assert_msg(done, "a fault on a window being built slept with nobody to reap its read");
	ck_assert_msg(wr.good, "page %llu read back wrong", (unsigned long long)wr.idx);
	rcl_thread_detach(f.e);
	fixture_teardown(&f);
	free(buf);
}
END_TEST

#ifdef RCL_DEBUG
/* --enable-debug: waiting for I/O with the model lock held is a bug, caught where it starts. */
START_TEST(test_io_wait_with_mm_lock_aborts)
{
	struct fixture f;

	fixture_setup(&f, 16, 32, 1);
	mm_lock(f.e);
	io_wait_all(f.e->swap->io);	/* aborts */
}
END_TEST
#endif

static Suite *make_suite(void)
{
	Suite *s = suite_create("locking");
	TCase *tc = tcase_create("locking");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fault_sleeps_on_page_lock_without_mm_lock);
	tcase_add_test(tc, test_racing_faults_map_one_page);
	tcase_add_test(tc, test_zero_page_races_writers);
	tcase_add_test(tc, test_unlock_queued_for_a_sleeping_holder_runs);
	tcase_add_test(tc, test_page_lock_needs_no_model_lock);
	tcase_add_test(tc, test_sleeper_runs_what_was_queued_for_it);
	tcase_add_test(tc, test_lock_waits_are_counted);
	tcase_add_test(tc, test_region_free_lets_waiters_in);
	tcase_add_test(tc, test_long_touch_lets_waiters_in);
	tcase_add_test(tc, test_mlock_lets_waiters_in);
	tcase_add_test(tc, test_long_dontneed_lets_waiters_in);
	tcase_add_test(tc, test_vectored_copy_ends_when_its_region_goes);
	tcase_add_test(tc, test_racing_mlocks_do_not_both_fit);
	tcase_add_test(tc, test_fault_on_window_being_built_reaps_it);
#ifdef RCL_DEBUG
	tcase_add_test_raise_signal(tc, test_io_wait_with_mm_lock_aborts, SIGABRT);
#endif
	suite_add_tcase(s, tc);
	return s;
}
