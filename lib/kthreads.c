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

static void *kswapd_main(void *arg)
{
	struct rcl_engine *engine = arg;

	rcl_thread_attach(engine);
	pthread_mutex_lock(&engine->mm_lock);
	while (engine->threads_running) {
		if (!kswapd_has_work(engine)) {
			pthread_cond_wait(&engine->kswapd_wait, &engine->mm_lock);
			continue;
		}
		pthread_mutex_unlock(&engine->mm_lock);
		rcl_kswapd_run(engine, NULL);
		pthread_mutex_lock(&engine->mm_lock);
	}
	pthread_mutex_unlock(&engine->mm_lock);
	rcl_thread_detach(engine);
	return NULL;
}

static void *flusher_main(void *arg)
{
	struct rcl_engine *engine = arg;
	struct timespec deadline;

	rcl_thread_attach(engine);
	pthread_mutex_lock(&engine->mm_lock);
	while (engine->threads_running) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += DIRTY_WRITEBACK_INTERVAL_MS / 1000;
		if (pthread_cond_timedwait(&engine->flusher_wait, &engine->mm_lock, &deadline) ==
			    ETIMEDOUT ||
		    engine->flusher_wanted) {
			engine->flusher_wanted = true;
			flush_pending_writeback(engine);
		}
	}
	pthread_mutex_unlock(&engine->mm_lock);
	rcl_thread_detach(engine);
	return NULL;
}

int rcl_engine_start_threads(struct rcl_engine *engine)
{
	int err;

	pthread_mutex_lock(&engine->mm_lock);
	if (engine->threads_running) {
		pthread_mutex_unlock(&engine->mm_lock);
		return -EALREADY;
	}
	engine->threads_running = true;
	pthread_mutex_unlock(&engine->mm_lock);
	err = pthread_create(&engine->kswapd_thread, NULL, kswapd_main, engine);
	if (!err) {
		err = pthread_create(&engine->flusher_thread, NULL, flusher_main, engine);
		if (err) {
			pthread_mutex_lock(&engine->mm_lock);
			engine->threads_running = false;
			pthread_cond_broadcast(&engine->kswapd_wait);
			pthread_mutex_unlock(&engine->mm_lock);
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
	pthread_mutex_lock(&engine->mm_lock);
	if (!engine->threads_running) {
		pthread_mutex_unlock(&engine->mm_lock);
		return;
	}
	engine->threads_running = false;
	pthread_cond_broadcast(&engine->kswapd_wait);
	pthread_cond_broadcast(&engine->flusher_wait);
	pthread_mutex_unlock(&engine->mm_lock);
	pthread_join(engine->kswapd_thread, NULL);
	pthread_join(engine->flusher_thread, NULL);
}
