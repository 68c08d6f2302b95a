/*
 * vmpressure.c - reclaim efficiency as pressure levels (spec 15).
 *
 * Every 512 scanned pages (a window), the share of scanned pages that could not be reclaimed
 * gives the level: below 60 % low, from 60 % medium, from 95 % critical. A subtree's window
 * (tree = true) signals listeners up the hierarchy; a group's own window only sets its socket
 * pressure flag. Reclaim reaching priority 3 is critical at once. Caller holds mm_lock; the
 * current level is read without it (vmpressure_current).
 */
#include <stdlib.h>
#include <time.h>

#include "memcontrol.h"

const char *const rcl_pressure_level_names[RCL_PRESSURE_NR_LEVELS] = {
	[RCL_PRESSURE_NONE] = "none",
	[RCL_PRESSURE_LOW] = "low",
	[RCL_PRESSURE_MEDIUM] = "medium",
	[RCL_PRESSURE_CRITICAL] = "critical",
};

static uint64_t vmpressure_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

enum rcl_pressure_level vmpressure_calc_level(unsigned long scanned, unsigned long reclaimed)
{
	unsigned long scale = scanned + reclaimed, pressure = 0;

	/* reclaimed can exceed scanned (pages freed besides the scanned ones): no pressure. */
	if (reclaimed < scanned) {
		pressure = scale - (reclaimed * scale / scanned);
		pressure = pressure * 100 / scale;
	}
	if (pressure >= VMPRESSURE_LEVEL_CRITICAL)
		return RCL_PRESSURE_CRITICAL;
	if (pressure >= VMPRESSURE_LEVEL_MED)
		return RCL_PRESSURE_MEDIUM;
	return RCL_PRESSURE_LOW;
}

static bool vmpressure_event(struct mem_cgroup *memcg, enum rcl_pressure_level level,
			     bool ancestor, bool signalled)
{
	struct vmpressure_listener *ev;
	bool ret = false;

	for (ev = memcg->vmpressure.listeners; ev; ev = ev->next) {
		if (ancestor && ev->mode == RCL_PRESSURE_LOCAL)
			continue;
		if (signalled && ev->mode == RCL_PRESSURE_DEFAULT)
			continue;
		if (level < ev->level || ev->level == RCL_PRESSURE_NONE)
			continue;	/* below its level, or it only waits for the removal */
		ev->fn(ev->arg, memcg->user_id, level);
		ret = true;
	}
	return ret;
}

/*
 * @memcg is being removed: tell each of its listeners once, with RCL_PRESSURE_NONE, and drop
 * them, as the kernel's mem_cgroup_css_offline signals every event registered on the cgroup
 * and removes it (memcg_event_remove), so that a listener learns the group went instead of
 * hearing nothing more. Listeners of its ancestors stay.
 */
void vmpressure_offline(struct mem_cgroup *memcg)
{
	struct vmpressure_listener *ev;

	while ((ev = memcg->vmpressure.listeners)) {
		memcg->vmpressure.listeners = ev->next;
		ev->fn(ev->arg, memcg->user_id, RCL_PRESSURE_NONE);
		free(ev);
	}
}

/* Deliver a subtree window's level from @memcg up to the root. */
static void vmpressure_work(struct mem_cgroup *memcg, enum rcl_pressure_level level)
{
	bool ancestor = false, signalled = false;

	atomic_store_explicit(&memcg->vmpressure.last_level, level, memory_order_relaxed);
	atomic_store_explicit(&memcg->vmpressure.last_window, vmpressure_now_ns(),
			      memory_order_relaxed);
	for (; memcg; memcg = memcg->parent) {
		if (vmpressure_event(memcg, level, ancestor, signalled))
			signalled = true;
		ancestor = true;
	}
}

void vmpressure(gfp_t gfp, struct mem_cgroup *memcg, bool tree, unsigned long scanned,
		unsigned long reclaimed)
{
	struct vmpressure *vmpr;

	/* Only allocations that could have used reclaimable memory tell us about pressure. */
	if (!(gfp & (__GFP_HIGHMEM | __GFP_MOVABLE | __GFP_IO | __GFP_FS)))
		return;
	if (!scanned || !memcg)
		return;
	vmpr = &memcg->vmpressure;
	if (tree) {
		vmpr->tree_scanned += scanned;
		vmpr->tree_reclaimed += reclaimed;
		if (vmpr->tree_scanned < VMPRESSURE_WIN)
			return;
		scanned = vmpr->tree_scanned;
		reclaimed = vmpr->tree_reclaimed;
		vmpr->tree_scanned = vmpr->tree_reclaimed = 0;
		vmpressure_work(memcg, vmpressure_calc_level(scanned, reclaimed));
		return;
	}
	if (mem_cgroup_is_root(memcg))
		return;
	vmpr->scanned += scanned;
	vmpr->reclaimed += reclaimed;
	if (vmpr->scanned < VMPRESSURE_WIN)
		return;
	scanned = vmpr->scanned;
	reclaimed = vmpr->reclaimed;
	vmpr->scanned = vmpr->reclaimed = 0;
	/* Above low: socket pressure for one second; a later low window does not end it. */
	if (vmpressure_calc_level(scanned, reclaimed) > RCL_PRESSURE_LOW)
		vmpr->socket_pressure = vmpressure_now_ns() + 1000000000ULL;
}

bool vmpressure_socket_pressure(const struct vmpressure *vmpr)
{
	return vmpr->socket_pressure && vmpressure_now_ns() < vmpr->socket_pressure;
}

/*
 * What "the current level" of a group means (status, /metrics, pressure): the level of its
 * last complete subtree window if that ended within the last VMPRESSURE_CURRENT_SEC seconds,
 * else none. A window closes only while reclaim scans, so the level decays once reclaim
 * stops instead of sticking at whatever the last window said; PSI, shown beside it, is the
 * measure of how long tasks stalled.
 */
enum rcl_pressure_level vmpressure_current(const struct vmpressure *vmpr, uint64_t now)
{
	uint64_t last = atomic_load_explicit(&vmpr->last_window, memory_order_relaxed);

	/* A window may close after the caller took @now (it reads without mm_lock): fresh. */
	if (!last || (now > last && now - last > VMPRESSURE_CURRENT_SEC * 1000000000ULL))
		return RCL_PRESSURE_NONE;
	return (enum rcl_pressure_level)atomic_load_explicit(&vmpr->last_level,
							     memory_order_relaxed);
}

enum rcl_pressure_level vmpressure_level_now(const struct vmpressure *vmpr)
{
	return vmpressure_current(vmpr, vmpressure_now_ns());
}

/* Reclaim that had to go as deep as priority 3 is in trouble: report critical now. */
void vmpressure_prio(gfp_t gfp, struct mem_cgroup *memcg, int prio)
{
	if (prio > VMPRESSURE_LEVEL_CRITICAL_PRIO)
		return;
	vmpressure(gfp, memcg, true, VMPRESSURE_WIN, 0);
}
