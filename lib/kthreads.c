/*
 * kthreads.c - the engine's service threads in a daemon: one kswapd per node (its code is in
 * vmscan.c, with the rest of reclaim) and the flusher.
 *
 * The deterministic engine has none: tests run kswapd with rcl_kswapd_run and the flusher's
 * work runs where reclaim woke it. A daemon starts these instead; the flusher wakes every
 * dirty_writeback_centisecs and writes back dirty file pages.
 */
#include <errno.h>
#include <time.h>

#include "memcontrol.h"
#include "vmscan.h"

#define DIRTY_WRITEBACK_INTERVAL_MS	5000	/* dirty_writeback_centisecs: 500 */

static void *flusher_main(void *arg)
{
	struct rcl_engine *engine = arg;
	struct timespec deadline;

	rcl_thread_attach(engine);
	mm_lock(engine);
	while (engine->threads_running) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		timespec_add_ms(&deadline, DIRTY_WRITEBACK_INTERVAL_MS);
		/* Work queued meanwhile (reclaim, a writer over the background threshold) is done
		 * at once; otherwise every interval the periodic round (wb_workfn). */
		while (engine->threads_running && !engine->flusher_work &&
		       mm_wait_event(engine, &engine->flusher_wait, &deadline) != ETIMEDOUT)
			;
		if (engine->flusher_work)
			flush_pending_writeback(engine);
		else
			wb_periodic(engine);
		writeback_reap(engine);	/* completions nobody else took off the rings */
		/* A file removed while a walk or a region held it went unpruned: let it go. */
		if (engine->files_put_unpruned) {
			engine->files_put_unpruned = false;
			file_prune_unused(engine);
		}
	}
	mm_unlock(engine);
	rcl_thread_detach(engine);
	return NULL;
}

static void stop_kswapds(struct rcl_engine *engine)
{
	int nid;

	for (nid = 0; nid < engine->nr_nodes; nid++)
		kswapd_stop(NODE_DATA(engine, nid));
}

int rcl_engine_start_threads(struct rcl_engine *engine)
{
	int err = 0, nid;

	mm_lock(engine);
	if (engine->threads_running) {
		mm_unlock(engine);
		return -EALREADY;
	}
	engine->threads_running = true;
	mm_unlock(engine);
	for (nid = 0; nid < engine->nr_nodes && !err; nid++)
		err = kswapd_run(NODE_DATA(engine, nid));
	if (!err)
		err = -pthread_create(&engine->flusher_thread, NULL, flusher_main, engine);
	if (err) {
		mm_lock(engine);
		engine->threads_running = false;
		mm_unlock(engine);
		stop_kswapds(engine);
		return err;
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
	wake_up_all(&engine->flusher_wait);
	mm_unlock(engine);
	stop_kswapds(engine);
	pthread_join(engine->flusher_thread, NULL);
}
