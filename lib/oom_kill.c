/*
 * oom_kill.c - what happens when reclaim cannot make progress (spec 21).
 *
 * The default policy fails the allocation: the caller gets -ENOMEM, a clear status, and nothing
 * is lost. The "kill" policy frees the largest region of the worst memcg, the analogue of
 * killing the task with the highest badness: rss + swap entries + page-table pages. A memcg
 * at its memory.max follows the same policy inside its own subtree.
 */
#include <stdlib.h>

#include "memcontrol.h"
#include "vmscan.h"

static unsigned long region_badness(const struct region *region)
{
	/* Page-table pages: what its table holds, in pages. */
	return region->rss + region->swapents + region->pt.nr_nodes * XA_NODE_BYTES / PAGE_SIZE;
}

/* The region to free: the largest of the memcg whose regions weigh most. */
static struct region *select_bad_region(struct rcl_engine *engine)
{
	unsigned long *weight = calloc(MEM_CGROUP_ID_MAX + 1, sizeof(*weight));
	struct region *victim = NULL;
	unsigned int worst = 0;
	uint32_t id;

	if (!weight)
		return NULL;
	for (id = 1; id < engine->nr_region_slots; id++) {
		struct region *r = engine->regions[id];

		if (r && r != current_or_default(engine)->faulting_region)
			weight[r->memcg->id] += region_badness(r);
	}
	for (id = 1; id <= MEM_CGROUP_ID_MAX; id++)
		if (weight[id] > weight[worst])
			worst = id;
	for (id = 1; worst && id < engine->nr_region_slots; id++) {
		struct region *r = engine->regions[id];

		if (r && r != current_or_default(engine)->faulting_region && r->memcg->id == worst &&
		    (!victim || region_badness(r) > region_badness(victim)))
			victim = r;
	}
	free(weight);
	return victim;
}

/* Kill @victim: count it globally and in its group's memory.events, tell the daemon. */
static void oom_kill_region(struct rcl_engine *engine, struct region *victim)
{
	count_vm_event(engine, OOM_KILL);
	memcg_memory_event(victim->memcg, MEMCG_OOM_KILL);
	if (engine->oom_notify)
		engine->oom_notify(engine->oom_notify_arg, victim->id);
	region_destroy(engine, victim, false);
}

/*
 * Reclaim failed for an allocation of @order. True if memory was freed (the caller retries).
 * Without __GFP_FS the kernel reports progress without killing, trusting others to free; in a
 * single-threaded engine that would retry forever, so it reports none and the allocation fails.
 */
bool out_of_memory(struct rcl_engine *engine, gfp_t gfp, int order)
{
	struct region *victim;

	(void)order;
	if (engine->oom_policy != RCL_OOM_KILL || !(gfp & __GFP_FS))
		return false;
	victim = select_bad_region(engine);
	if (!victim)
		return false;
	oom_kill_region(engine, victim);
	return true;
}

static bool region_in_memcg(const struct region *region, const struct mem_cgroup *memcg)
{
	const struct mem_cgroup *m;

	for (m = region->memcg; m; m = m->parent)
		if (m == memcg)
			return true;
	return false;
}

/*
 * The memcg OOM killer (spec 21): @memcg is at its limit and reclaim inside it failed. Under
 * the kill policy, free the region of the highest badness in @memcg's subtree (the task the
 * kernel's mem_cgroup_out_of_memory would select); nothing outside the group is touched. The
 * region being faulted is not a candidate: it is in use by the very call that charges. True
 * if a region was freed (the charge retries).
 */
bool mem_cgroup_out_of_memory(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	struct region *victim = NULL;
	uint32_t id;

	if (engine->oom_policy != RCL_OOM_KILL)
		return false;
	for (id = 1; id < engine->nr_region_slots; id++) {
		struct region *r = engine->regions[id];

		if (!r || r == current_or_default(engine)->faulting_region || !region_in_memcg(r, memcg))
			continue;
		if (!victim || region_badness(r) > region_badness(victim))
			victim = r;
	}
	if (!victim)
		return false;
	oom_kill_region(engine, victim);
	return true;
}
