/*
 * kthreads.c - the engine's service threads in a daemon: kswapd and the flusher.
 *
 * The deterministic engine has none: tests run kswapd with rcl_kswapd_run and the flusher's
 * work runs where reclaim woke it. A daemon starts these instead. kswapd sleeps on a condition
 * variable that wakeup_kswapd signals (under mm_lock) and runs balance_pgdat for every woken
 * node; the flusher wakes every dirty_writeback_centisecs and writes back dirty file pages.
 */
#include <errno.h>
#include <time.h>

#include "memcontrol.h"
#include "vmscan.h"

#define DIRTY_WRITEBACK_INTERVAL_MS	5000	/* dirty_writeback_centisecs: 500 */

static bool kswapd_has_work(struct rcl_engine *engine)
{
	int nid;

	for (nid = 0; nid < engine->nr_nodes; nid++)
		if (NODE_DATA(engine, nid)->kswapd_wanted)
			return true;
	return false;
}

/*
 * Every node balanced (or hopeless): kswapd may sleep (prepare_kswapd_sleep). A node that is
 * not gets balanced again, as kswapd goes straight back to balance_pgdat; after 16 fruitless
 * runs it counts as hopeless, so this cannot spin.
 */
static bool prepare_kswapd_sleep(struct rcl_engine *engine)
{
	bool ok = true;
	int nid;

	for (nid = 0; nid < engine->nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA(engine, nid);

		if (atomic_load_explicit(&pgdat->kswapd_failures, memory_order_relaxed) >=
		    MAX_RECLAIM_RETRIES)
			continue;
		if (!pgdat_balanced(pgdat, 0, MAX_NR_ZONES - 1)) {
			pgdat->kswapd_wanted = true;
			ok = false;
		}
	}
	return ok;
}

/*
 * kswapd_try_to_sleep (spec 16), mm_lock held: a 100 ms nap first; woken during it means the
 * low watermark was hit again quickly; still unbalanced after it, the high watermark was.
 */
static void kswapd_try_to_sleep(struct rcl_engine *engine)
{
	struct timespec nap;

	if (!prepare_kswapd_sleep(engine))
		return;
	clock_gettime(CLOCK_REALTIME, &nap);
	nap.tv_nsec += 100 * 1000000L;
	if (nap.tv_nsec >= 1000000000L) {
		nap.tv_sec++;
		nap.tv_nsec -= 1000000000L;
	}
	while (engine->threads_running && !kswapd_has_work(engine))
		if (mm_cond_timedwait(engine, &engine->kswapd_wait, &nap) ==
		    ETIMEDOUT)
			break;
	if (kswapd_has_work(engine)) {
		count_vm_event(engine, KSWAPD_LOW_WMARK_HIT_QUICKLY);
		return;
	}
	if (!prepare_kswapd_sleep(engine)) {
		count_vm_event(engine, KSWAPD_HIGH_WMARK_HIT_QUICKLY);
		return;
	}
	while (engine->threads_running && !kswapd_has_work(engine))
		mm_cond_wait(engine, &engine->kswapd_wait);
}

static void *kswapd_main(void *arg)
{
	struct rcl_engine *engine = arg;

	rcl_thread_attach(engine);
	mm_lock(engine);
	while (engine->threads_running) {
		if (!kswapd_has_work(engine)) {
			kswapd_try_to_sleep(engine);
			continue;
		}
		mm_unlock(engine);
		rcl_kswapd_run(engine, NULL);
		mm_lock(engine);
	}
	mm_unlock(engine);
	rcl_thread_detach(engine);
	return NULL;
}

static void *flusher_main(void *arg)
{
	struct rcl_engine *engine = arg;
	struct timespec deadline;

	rcl_thread_attach(engine);
	mm_lock(engine);
	while (engine->threads_running) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += DIRTY_WRITEBACK_INTERVAL_MS / 1000;
		if (mm_cond_timedwait(engine, &engine->flusher_wait, &deadline) ==
			    ETIMEDOUT ||
		    engine->flusher_wanted) {
			engine->flusher_wanted = true;
			flush_pending_writeback(engine);
		}
	}
	mm_unlock(engine);
	rcl_thread_detach(engine);
	return NULL;
}

int rcl_engine_start_threads(struct rcl_engine *engine)
{
	int err;

	mm_lock(engine);
	if (engine->threads_running) {
		mm_unlock(engine);
		return -EALREADY;
	}
	engine->threads_running = true;
	mm_unlock(engine);
	err = pthread_create(&engine->kswapd_thread, NULL, kswapd_main, engine);
	if (!err) {
		err = pthread_create(&engine->flusher_thread, NULL, flusher_main, engine);
		if (err) {
			mm_lock(engine);
			engine->threads_running = false;
			pthread_cond_broadcast(&engine->kswapd_wait);
			mm_unlock(engine);
			pthread_join(engine->kswapd_thread, NULL);
		}
	}
	if (err) {
		engine->threads_running = false;
		return -err;
	}
	return 0;
}

void rcl_engine_stop_threads(struct rcl_engine *engine)
{
	mm_lock(engine);
	if (!engine->threads_running) {
		mm_unlock(engine);
		return;
	}
	engine->threads_running = false;
	pthread_cond_broadcast(&engine->kswapd_wait);
	pthread_cond_broadcast(&engine->flusher_wait);
	mm_unlock(engine);
	pthread_join(engine->kswapd_thread, NULL);
	pthread_join(engine->flusher_thread, NULL);
}
