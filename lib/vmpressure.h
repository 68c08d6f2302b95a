/*
 * vmpressure.h - reclaim efficiency as pressure levels, per memcg (spec section 15).
 */
#ifndef RCL_VMPRESSURE_H
#define RCL_VMPRESSURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gfp.h"
#include "reclaim/pressure.h"

struct mem_cgroup;

#define VMPRESSURE_WIN		512	/* SWAP_CLUSTER_MAX * 16 scanned pages per window */
#define VMPRESSURE_LEVEL_MED	60
#define VMPRESSURE_LEVEL_CRITICAL 95
#define VMPRESSURE_LEVEL_CRITICAL_PRIO 3	/* ilog2(100 / 10) */
#define VMPRESSURE_CURRENT_SEC	5	/* a window's level is "current" this long */

struct vmpressure_listener {
	enum rcl_pressure_level level;	/* lowest level delivered */
	enum rcl_pressure_mode mode;
	rcl_pressure_fn fn;
	void *arg;
	int id;
	struct vmpressure_listener *next;
};

struct vmpressure {
	unsigned long scanned, reclaimed;		/* the group's own window */
	unsigned long tree_scanned, tree_reclaimed;	/* its subtree's window */
	uint64_t socket_pressure;			/* CLOCK_MONOTONIC ns until which the
							 * group is under socket pressure: set
							 * for 1 s above "low" (spec 15 step 3) */
	/* The last full tree window: its level and the CLOCK_MONOTONIC ns it closed (0: never).
	 * Relaxed atomics, read without mm_lock (rcl_pressure_now); a reader may pair one
	 * window's level with the next one's time, which only shifts when the level decays. */
	_Atomic int last_level;
	_Atomic uint64_t last_window;
	struct vmpressure_listener *listeners;
};

bool vmpressure_socket_pressure(const struct vmpressure *vmpr);
enum rcl_pressure_level vmpressure_calc_level(unsigned long scanned, unsigned long reclaimed);
void vmpressure(gfp_t gfp, struct mem_cgroup *memcg, bool tree, unsigned long scanned,
		unsigned long reclaimed);
void vmpressure_prio(gfp_t gfp, struct mem_cgroup *memcg, int prio);
enum rcl_pressure_level vmpressure_current(const struct vmpressure *vmpr, uint64_t now);
enum rcl_pressure_level vmpressure_level_now(const struct vmpressure *vmpr);
void vmpressure_offline(struct mem_cgroup *memcg);

#endif /* RCL_VMPRESSURE_H */
