/*
 * reclaim/pressure.h - pressure levels and reclaim trace events, delivered by callbacks.
 */
#ifndef RECLAIM_PRESSURE_H
#define RECLAIM_PRESSURE_H

#include <stdint.h>

struct rcl_engine;

enum rcl_pressure_level {
	RCL_PRESSURE_NONE,	/* no reclaim window lately (rcl_pressure_now); to a listener:
				 * its group was removed (rcl_pressure_fn) */
	RCL_PRESSURE_LOW,
	RCL_PRESSURE_MEDIUM,
	RCL_PRESSURE_CRITICAL,
	RCL_PRESSURE_NR_LEVELS
};

/* How events of descendants reach a listener (the kernel's vmpressure modes). */
enum rcl_pressure_mode {
	RCL_PRESSURE_DEFAULT,	/* own and descendants' events, unless a lower group signalled */
	RCL_PRESSURE_HIERARCHY,	/* every event of the subtree */
	RCL_PRESSURE_LOCAL,	/* only the group's own events */
};

extern const char *const rcl_pressure_level_names[RCL_PRESSURE_NR_LEVELS];

/*
 * Called with the engine's lock held: copy what is needed and return quickly. When the group
 * listened to is removed, the listener is called once more with RCL_PRESSURE_NONE and is then
 * gone (rcl_pressure_unlisten of it says -ENOENT).
 */
typedef void (*rcl_pressure_fn)(void *arg, uint32_t memcg_id, enum rcl_pressure_level level);

/* Register a listener on @memcg_id for levels >= @level; RCL_PRESSURE_NONE: for no level,
 * only the group's removal. Returns a listener id >= 0 or -errno. */
int rcl_pressure_listen(struct rcl_engine *engine, uint32_t memcg_id,
			enum rcl_pressure_level level, enum rcl_pressure_mode mode,
			rcl_pressure_fn fn, void *arg);
int rcl_pressure_unlisten(struct rcl_engine *engine, uint32_t memcg_id, int listener_id);

/*
 * The group's current pressure level: that of its last complete reclaim window if the window
 * ended within the last VMPRESSURE_CURRENT_SEC (5) seconds, else none. vmpressure is an event
 * per window, not a state: once reclaim stops, the level decays to none.
 */
int rcl_pressure_now(struct rcl_engine *engine, uint32_t memcg_id,
		     enum rcl_pressure_level *ret);

/* Pressure stall information of a memcg (the root: the whole daemon), as memory.pressure. */
struct rcl_psi_figures {
	double avg10, avg60, avg300;	/* percent of time stalled, decaying averages */
	uint64_t total_usec;		/* all stall time so far */
};

struct rcl_psi {
	struct rcl_psi_figures some;	/* at least one thread stalled on memory */
	struct rcl_psi_figures full;	/* every thread in the engine stalled */
};

int rcl_psi_read(struct rcl_engine *engine, uint32_t memcg_id, struct rcl_psi *ret);

/* Reclaim trace points, named and filled as the kernel's (spec 22.3). */
enum rcl_trace_type {
	RCL_TRACE_DIRECT_RECLAIM_BEGIN,
	RCL_TRACE_DIRECT_RECLAIM_END,
	RCL_TRACE_MEMCG_RECLAIM_BEGIN,
	RCL_TRACE_MEMCG_RECLAIM_END,
	RCL_TRACE_KSWAPD_WAKE,
	RCL_TRACE_KSWAPD_SLEEP,
	RCL_TRACE_WAKEUP_KSWAPD,
	RCL_TRACE_LRU_ISOLATE,
	RCL_TRACE_LRU_SHRINK_INACTIVE,
	RCL_TRACE_LRU_SHRINK_ACTIVE,
	RCL_TRACE_WRITEPAGE,
	RCL_TRACE_INACTIVE_LIST_IS_LOW,
	/* The CLOCK-Pro policy's own (clockpro.c): a page turned hot, turned cold, refaulted
	 * hot. */
	RCL_TRACE_CLOCKPRO_PROMOTE,
	RCL_TRACE_CLOCKPRO_DEMOTE,
	RCL_TRACE_CLOCKPRO_REFAULT_HOT,
	RCL_TRACE_NR_TYPES
};

extern const char *const rcl_trace_names[RCL_TRACE_NR_TYPES];

/* Fields by name; a tracepoint fills those of its kernel field list, the rest stay 0. */
struct rcl_trace_event {
	enum rcl_trace_type type;
	int nid, zid, order, priority, classzone_idx, may_writepage, lru, isolate_mode, file;
	unsigned int gfp_flags;
	unsigned long nr_requested, nr_scanned, nr_skipped, nr_taken, nr_reclaimed, nr_dirty,
		nr_writeback, nr_congested, nr_immediate, nr_activate, nr_ref_keep, nr_unmap_fail,
		nr_active, nr_deactivated, nr_referenced, pfn, total_inactive, inactive,
		total_active, active, ratio;
};

typedef void (*rcl_trace_fn)(void *arg, const struct rcl_trace_event *ev);

/* One callback per engine; NULL turns tracing off (one predictable branch per trace point). */
void rcl_trace_set(struct rcl_engine *engine, rcl_trace_fn fn, void *arg);

#endif /* RECLAIM_PRESSURE_H */
