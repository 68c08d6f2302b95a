/*
 * vmstat.h - counters with the kernel's names (spec section 22).
 *
 * Each list below is one X-macro expanded into the enum, the /proc-style text names and (in the
 * daemon) the Prometheus names, so that the three cannot drift apart.
 *
 *   zone stats  gauges per zone (nr_free_pages, LRU sizes per zone)
 *   node stats  gauges and a few cumulative counts per node (LRU sizes, dirty, writeback ...)
 *   vm events   cumulative events, global, kept per thread and summed on read
 */
#ifndef RCL_VMSTAT_H
#define RCL_VMSTAT_H

#include <stdatomic.h>
#include <stdio.h>

#include "mmzone.h"

extern const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS];
extern const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS];
extern const char *const vm_event_names[NR_VM_EVENT_ITEMS];

/* ---- updates ---------------------------------------------------------------------------- */

static inline void mod_zone_page_state(struct zone *zone, enum zone_stat_item item, long delta)
{
	atomic_fetch_add_explicit(&zone->vm_stat[item], delta, memory_order_relaxed);
}

static inline unsigned long zone_page_state(const struct zone *zone, enum zone_stat_item item)
{
	long x = atomic_load_explicit(&((struct zone *)zone)->vm_stat[item], memory_order_relaxed);

	return x < 0 ? 0 : (unsigned long)x;
}

static inline void mod_node_page_state(struct pglist_data *pgdat, enum node_stat_item item,
				       long delta)
{
	atomic_fetch_add_explicit(&pgdat->vm_stat[item], delta, memory_order_relaxed);
}

static inline unsigned long node_page_state(const struct pglist_data *pgdat,
					    enum node_stat_item item)
{
	long x = atomic_load_explicit(&((struct pglist_data *)pgdat)->vm_stat[item],
				      memory_order_relaxed);

	return x < 0 ? 0 : (unsigned long)x;
}

void count_vm_events(struct rcl_engine *engine, enum vm_event_item item, unsigned long delta);

static inline void count_vm_event(struct rcl_engine *engine, enum vm_event_item item)
{
	count_vm_events(engine, item, 1);
}

/* The per-zone event of zone index @zid: PGALLOC_DMA32 + zid and so on. */
static inline void __count_zid_vm_events(struct rcl_engine *engine, enum vm_event_item item,
					 enum zone_type zid, unsigned long delta)
{
	count_vm_events(engine, (enum vm_event_item)(item + zid), delta);
}

/* ---- reads ------------------------------------------------------------------------------ */

unsigned long global_zone_page_state(struct rcl_engine *engine, enum zone_stat_item item);
unsigned long global_node_page_state(struct rcl_engine *engine, enum node_stat_item item);
void all_vm_events(struct rcl_engine *engine, unsigned long ret[NR_VM_EVENT_ITEMS]);
unsigned long vm_event_read(struct rcl_engine *engine, enum vm_event_item item);

/* The /proc files' text. */
void vmstat_show(struct rcl_engine *engine, FILE *out);
void zoneinfo_show(struct rcl_engine *engine, FILE *out);
void buddyinfo_show(struct rcl_engine *engine, FILE *out);
void meminfo_show(struct rcl_engine *engine, FILE *out);
long si_mem_available(struct rcl_engine *engine);

#endif /* RCL_VMSTAT_H */
