/*
 * task.c - the engine's threads: what "current" is in the kernel.
 *
 * A thread that attaches gets a task_struct with its own per-thread page lists and event
 * counters. The engine keeps all of them on a list so that drain_all_pages can reach every
 * thread's cached pages, and reads of the event counters can sum them.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

__thread struct task_struct *current_task;
__thread unsigned long current_maj_flt;

int rcl_thread_attach(struct rcl_engine *engine)
{
	struct task_struct *task;
	struct zone *zone;
	int nid, zid;

	if (get_current(engine))
		return 0;
	if (current_task)		/* attached to another engine */
		return -EBUSY;
	task = calloc(1, sizeof(*task));
	if (!task)
		return -ENOMEM;
	task->engine = engine;
	task->swap_cluster.index = UINT32_MAX;
	spin_lock_init(&task->lru_pvecs_lock);
	for_each_zone(zone, engine, nid, zid)
		pageset_init(&task->pcp[zone->global_id], zone);

	pthread_mutex_lock(&engine->tasks_lock);
	task->next = engine->tasks;
	if (engine->tasks)
		engine->tasks->prev = task;
	engine->tasks = task;
	pthread_mutex_unlock(&engine->tasks_lock);
	current_task = task;
	return 0;
}

void rcl_thread_detach(struct rcl_engine *engine)
{
	struct task_struct *task = get_current(engine);
	int i;

	if (!task)
		return;
	rcl_thread_busy(engine, false);
	drain_local_pages(engine, NULL);

	pthread_mutex_lock(&engine->tasks_lock);
	if (task->prev)
		task->prev->next = task->next;
	else
		engine->tasks = task->next;
	if (task->next)
		task->next->prev = task->prev;
	/* Fold the counters while readers, who sum under the same lock, cannot miss them. */
	for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
		atomic_fetch_add_explicit(&engine->vm_events[i],
					  atomic_load_explicit(&task->vm_events[i],
							       memory_order_relaxed),
					  memory_order_relaxed);
	pthread_mutex_unlock(&engine->tasks_lock);

	current_task = NULL;
	free(task);
}
