/*
 * lock.c - the model lock, the waits that happen without it, and I/O completions that arrive
 * while another thread holds it.
 *
 * mm_lock still guards the model above the allocator (mmzone.h has the order). What changes
 * here is that nobody waits for I/O while holding it: a thread that must wait releases it
 * (mm_wait_event, mm_drop/mm_retake) and revalidates what it looked at when it has it back, as
 * a kernel fault revalidates its pte after sleeping on a page lock.
 *
 * Whoever reaps a completion from the I/O layer may or may not hold mm_lock. A completion that
 * changes the model (end_page_writeback, a writeback error) runs at once if this thread holds
 * the lock or can take it without waiting; otherwise it is queued and the holder runs it
 * before it lets the lock go (the kernel runs them in interrupt context; here "whoever holds
 * the lock next" plays that part). So no completion ever waits for mm_lock, and a thread that
 * waits for I/O with mm_lock held cannot deadlock against the reaper.
 *
 * Nobody sleeps on mm_lock's mutex: sleepers let it go with mm_unlock, which runs what was
 * queued for its holder, and sleep on wait queues of their own (wait.c), page locks included.
 * So a completion queued while its sleeper held the lock runs before the sleeper sleeps.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mm.h"

__thread struct rcl_engine *mm_lock_owner;
__thread int model_locks_held;
__thread int pte_locks_held;		/* page-table locks (region->ptl) held by this thread */
__thread int i_pages_locks_held;	/* page cache locks (mapping->i_pages_lock) held */
__thread struct pglist_data *lru_lock_pgdat;	/* the node whose lru_lock this thread holds */
static __thread bool never_blocks;	/* rcl_thread_never_blocks: an event loop */

void rcl_thread_never_blocks(bool never)
{
	never_blocks = never;
}

static void run_deferred_completions(struct rcl_engine *engine);

/* Add @n to a counter only the holder of mm_lock changes: no locked add needed. */
static void mm_lock_count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void mm_lock_acquired(struct rcl_engine *engine)
{
	mm_lock_count(&engine->mm_lock_acquired, 1);
	mm_lock_owner = engine;
	model_locks_held++;
	run_deferred_completions(engine);
}

/* --enable-debug: mm_lock is outside every page-table lock, page cache lock and lru_lock,
 * never taken under one. */
static void mm_lock_order_check(void)
{
#ifdef RCL_DEBUG
	if (pte_locks_held) {
		fprintf(stderr, "reclaimd engine: mm_lock taken with %d page-table lock(s) held "
				"(the order is mm_lock, then ptl)\n", pte_locks_held);
		abort();
	}
	if (lru_lock_pgdat) {
		fprintf(stderr, "reclaimd engine: mm_lock taken with node %d's lru_lock held "
				"(the order is mm_lock, then lru_lock)\n", lru_lock_pgdat->node_id);
		abort();
	}
	if (i_pages_locks_held) {
		fprintf(stderr, "reclaimd engine: mm_lock taken with a page cache lock held "
				"(the order is mm_lock, then i_pages)\n");
		abort();
	}
	if (swap_cluster_locked_by_current()) {
		fprintf(stderr, "reclaimd engine: mm_lock taken with a swap cluster lock held "
				"(the order is mm_lock, then the cluster's)\n");
		abort();
	}
#endif
}

void mm_lock(struct rcl_engine *engine)
{
	mm_lock_order_check();
#ifdef RCL_DEBUG
	if (never_blocks) {
		fprintf(stderr, "reclaimd engine: the engine's lock taken by a thread that must "
				"never wait for it (the event loop)\n");
		abort();
	}
#endif
	if (pthread_mutex_trylock(&engine->mm_lock)) {
		/* Contended: how long the model lock keeps threads from their work, which is
		 * what splitting it is for (rcl_engine_info, the daemon's status). */
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		atomic_fetch_add_explicit(&engine->mm_lock_waiters, 1, memory_order_relaxed);
		pthread_mutex_lock(&engine->mm_lock);
		atomic_fetch_sub_explicit(&engine->mm_lock_waiters, 1, memory_order_relaxed);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		mm_lock_count(&engine->mm_lock_contended, 1);
		mm_lock_count(&engine->mm_lock_wait_ns,
			      (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
					 (t1.tv_nsec - t0.tv_nsec)));
	}
	mm_lock_acquired(engine);
}

bool mm_trylock(struct rcl_engine *engine)
{
	mm_lock_order_check();
	if (pthread_mutex_trylock(&engine->mm_lock))
		return false;
	mm_lock_acquired(engine);
	return true;
}

void mm_unlock(struct rcl_engine *engine)
{
	for (;;) {
		run_deferred_completions(engine);
		mm_lock_owner = NULL;
		model_locks_held--;
		pthread_mutex_unlock(&engine->mm_lock);
		/* A completion queued after the run above, while we still held the lock, found
		 * it taken: make sure somebody runs it. */
		if (!atomic_load(&engine->nr_deferred) || !mm_trylock(engine))
			return;
	}
}

bool mm_locked_by_current(const struct rcl_engine *engine)
{
	return mm_lock_owner == engine;
}

/* Leave mm_lock to block (I/O, a page lock); mm_retake takes it back. */
void mm_drop(struct rcl_engine *engine)
{
	mm_unlock(engine);
	might_sleep();
}

void mm_retake(struct rcl_engine *engine)
{
	mm_lock(engine);
}

/*
 * The kernel's cond_resched_lock: in the middle of a long job under mm_lock, let a thread
 * waiting for it have it, then go on. The mutex is not fair: a holder that unlocked and locked
 * again would mostly win it back before the woken waiter ran, so it yields until another
 * thread has taken the lock (mm_lock_acquired moved on) or nobody waits any more, for at most
 * MM_RESCHED_YIELDS yields. Nothing looked at before may be trusted after: the caller checks
 * again what it goes on with. True if the lock was let go. Never in the deterministic engine
 * (reclaim_may_sleep), whose threads do not wait for one another.
 */
#define MM_RESCHED_YIELDS	1000

bool cond_resched_mm_lock(struct rcl_engine *engine)
{
	void (*hook)(struct rcl_engine *) = atomic_load(&engine->resched_hook);
	uint64_t taken;
	int i;

	if (!reclaim_may_sleep(engine))
		return false;
	if (hook)
		hook(engine);
	if (!atomic_load_explicit(&engine->mm_lock_waiters, memory_order_relaxed))
		return false;
	taken = atomic_load_explicit(&engine->mm_lock_acquired, memory_order_relaxed);
	mm_drop(engine);
	for (i = 0; i < MM_RESCHED_YIELDS &&
		    atomic_load_explicit(&engine->mm_lock_waiters, memory_order_relaxed) &&
		    atomic_load_explicit(&engine->mm_lock_acquired, memory_order_relaxed) == taken;
	     i++)
		sched_yield();
	mm_retake(engine);
	return true;
}

/*
 * The count is read with mm_lock still held, so a wake-up from anything that changes the
 * caller's condition under mm_lock afterwards (a completion run by mm_unlock's own loop
 * included) is seen. mm_unlock, not a condition variable's release of the mutex: that would
 * leave the completions queued for this holder to whoever takes the lock next.
 */
int mm_wait_event(struct rcl_engine *engine, struct wait_queue_head *wq,
		  const struct timespec *deadline)
{
	unsigned long seq = prepare_to_wait(wq);
	int ret;

	mm_drop(engine);
	ret = wait_woken(wq, seq, deadline);
	mm_retake(engine);
	return ret;
}

static __thread void (*sleep_hook)(void *arg);
static __thread void *sleep_hook_arg;

void rcl_thread_sleep_hook(void (*fn)(void *arg), void *arg)
{
	sleep_hook = fn;
	sleep_hook_arg = arg;
}

/* --enable-debug: a thread about to block must hold no model lock. */
void might_sleep(void)
{
#ifdef RCL_DEBUG
	if (model_locks_held) {
		fprintf(stderr, "reclaimd engine: blocking with %d model lock(s) held\n",
			model_locks_held);
		abort();
	}
#endif
}

/*
 * The calling thread is about to wait for something another thread or the disk must do (a
 * read, a page lock, a wake-up), holding no lock of ours: its sleep hook runs here
 * (rcl_thread_sleep_hook), as the kernel's scheduler tells io-wq that a worker sleeps. Not
 * where mm_lock is only let go for a system call of our own (mm_drop alone).
 */
void task_will_block(void)
{
	might_sleep();
	if (sleep_hook)
		sleep_hook(sleep_hook_arg);
}

/* ---- the LRU lock ---------------------------------------------------------------------- */

/*
 * pgdat->lru_lock, the kernel's spin_lock_irq(&pgdat->lru_lock): the LRU lists of every
 * lruvec on the node, their sizes, reclaim_stat and the refault snapshots. Held for a batch of
 * list operations, never across shrink_page_list, I/O or a sleep (might_sleep counts it as a
 * model lock). One node's at a time: nothing walks two nodes' lists at once.
 */
void lru_lock(struct pglist_data *pgdat)
{
#ifdef RCL_DEBUG
	if (lru_lock_pgdat) {
		fprintf(stderr, "reclaimd engine: node %d's lru_lock taken with node %d's held\n",
			pgdat->node_id, lru_lock_pgdat->node_id);
		abort();
	}
#endif
	pthread_mutex_lock(&pgdat->lru_lock);
	lru_lock_pgdat = pgdat;
	model_locks_held++;
}

void lru_unlock(struct pglist_data *pgdat)
{
	VM_BUG_ON(lru_lock_pgdat != pgdat, "lru_unlock of a node's lock this thread does not hold");
	model_locks_held--;
	lru_lock_pgdat = NULL;
	pthread_mutex_unlock(&pgdat->lru_lock);
}

/* ---- completions ---------------------------------------------------------------------- */

struct deferred_completion {
	model_completion_fn fn;
	void *arg;
	long a, b;
};

static void run_deferred_completions(struct rcl_engine *engine)
{
	struct deferred_completion *list;
	size_t n, i;

	while (atomic_load(&engine->nr_deferred)) {
		pthread_mutex_lock(&engine->deferred_lock);
		list = engine->deferred;
		n = engine->nr_deferred_used;
		engine->deferred = NULL;
		engine->nr_deferred_used = 0;
		engine->nr_deferred_cap = 0;
		atomic_store(&engine->nr_deferred, 0);
		pthread_mutex_unlock(&engine->deferred_lock);
		for (i = 0; i < n; i++)
			list[i].fn(list[i].arg, list[i].a, list[i].b);
		free(list);
	}
}

static bool defer_completion(struct rcl_engine *engine, model_completion_fn fn, void *arg,
			     long a, long b)
{
	struct deferred_completion *list;
	bool ok = true;

	pthread_mutex_lock(&engine->deferred_lock);
	if (engine->nr_deferred_used == engine->nr_deferred_cap) {
		size_t cap = engine->nr_deferred_cap ? engine->nr_deferred_cap * 2 : 64;

		list = realloc(engine->deferred, cap * sizeof(*list));
		if (list) {
			engine->deferred = list;
			engine->nr_deferred_cap = cap;
		} else {
			ok = false;
		}
	}
	if (ok) {
		engine->deferred[engine->nr_deferred_used++] =
			(struct deferred_completion){ fn, arg, a, b };
		atomic_fetch_add(&engine->nr_deferred, 1);
	}
	pthread_mutex_unlock(&engine->deferred_lock);
	return ok;
}

/*
 * Run @fn(@arg, @a, @b) with mm_lock held: now if this thread holds it or can take it at once,
 * else as soon as its holder lets it go. Called from end_io, in whatever thread reaped.
 */
void model_complete(struct rcl_engine *engine, model_completion_fn fn, void *arg, long a, long b)
{
	if (mm_locked_by_current(engine)) {
		fn(arg, a, b);
		return;
	}
	if (mm_trylock(engine)) {
		fn(arg, a, b);
		mm_unlock(engine);
		return;
	}
	if (defer_completion(engine, fn, arg, a, b)) {
		/* The holder may have let go meanwhile without seeing it. */
		if (mm_trylock(engine))
			mm_unlock(engine);
		return;
	}
	/* No memory to queue it: wait for the lock, which never waits for us. */
	mm_lock(engine);
	fn(arg, a, b);
	mm_unlock(engine);
}
