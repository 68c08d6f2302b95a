/*
 * vmstat.c - counters and their /proc views: /proc/vmstat, /proc/zoneinfo, /proc/buddyinfo.
 *
 * Zone and node items are relaxed atomics in the zone and node. Events are counted per attached
 * thread (the kernel's per-cpu vm_event_states: only the owner writes, so a relaxed load and
 * store suffice) and summed on read; threads that never attached count into the engine.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"



const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = { ZONE_STAT_ITEMS(VMSTAT_NAME) };
const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = { NODE_STAT_ITEMS(VMSTAT_NAME) };
const char *const vm_event_names[NR_VM_EVENT_ITEMS] = { VM_EVENT_ITEMS(VMSTAT_NAME) };

void count_vm_events(struct rcl_engine *engine, enum vm_event_item item, unsigned long delta)
{
	struct task_struct *task = get_current(engine);

	if (task) {
		_Atomic unsigned long *c = &task->vm_events[item];

		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + delta,
				      memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&engine->vm_events[item], delta, memory_order_relaxed);
	}
}

void all_vm_events(struct rcl_engine *engine, unsigned long ret[NR_VM_EVENT_ITEMS])
{
	struct task_struct *task;
	int i;

	pthread_mutex_lock(&engine->tasks_lock);
	for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
		ret[i] = atomic_load_explicit(&engine->vm_events[i], memory_order_relaxed);
	for (task = engine->tasks; task; task = task->next)
		for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
			ret[i] += atomic_load_explicit(&task->vm_events[i], memory_order_relaxed);
	pthread_mutex_unlock(&engine->tasks_lock);
}

unsigned long vm_event_read(struct rcl_engine *engine, enum vm_event_item item)
{
	unsigned long all[NR_VM_EVENT_ITEMS];

	all_vm_events(engine, all);
	return all[item];
}

unsigned long global_zone_page_state(struct rcl_engine *engine, enum zone_stat_item item)
{
	struct zone *zone;
	unsigned long sum = 0;
	int nid, zid;

	for_each_zone(zone, engine, nid, zid)
		sum += zone_page_state(zone, item);
	return sum;
}

unsigned long global_node_page_state(struct rcl_engine *engine, enum node_stat_item item)
{
	struct pglist_data *pgdat;
	unsigned long sum = 0;
	int nid;

	for_each_online_pgdat(pgdat, engine, nid)
		sum += node_page_state(pgdat, item);
	return sum;
}

void vmstat_show(struct rcl_engine *engine, FILE *out)
{
	unsigned long events[NR_VM_EVENT_ITEMS];
	int i;

	for (i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		fprintf(out, "%s %lu\n", zone_stat_names[i],
			global_zone_page_state(engine, (enum zone_stat_item)i));
	for (i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		fprintf(out, "%s %lu\n", node_stat_names[i],
			global_node_page_state(engine, (enum node_stat_item)i));
	all_vm_events(engine, events);
	for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
		fprintf(out, "%s %lu\n", vm_event_names[i], events[i]);
}

void rcl_vmstat_foreach(struct rcl_engine *engine, rcl_counter_fn fn, void *arg)
{
	unsigned long events[NR_VM_EVENT_ITEMS];
	int i;

	for (i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		fn(arg, zone_stat_names[i], global_zone_page_state(engine, (enum zone_stat_item)i),
		   false);
	/* Node items: workingset_* and nr_dirtied/nr_written/nr_vmscan_* only ever grow. */
	for (i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		fn(arg, node_stat_names[i], global_node_page_state(engine, (enum node_stat_item)i),
		   i >= WORKINGSET_REFAULT && i <= WORKINGSET_NODERECLAIM ? true :
		   i == NR_VMSCAN_WRITE || i == NR_VMSCAN_IMMEDIATE || i == NR_DIRTIED ||
		   i == NR_WRITTEN);
	all_vm_events(engine, events);
	for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
		fn(arg, vm_event_names[i], events[i], true);
}

static bool is_zone_first_populated(struct pglist_data *pgdat, struct zone *zone)
{
	int zid;

	for (zid = 0; zid < MAX_NR_ZONES; zid++)
		if (populated_zone(&pgdat->node_zones[zid]))
			return &pgdat->node_zones[zid] == zone;
	return false;
}

static void zoneinfo_show_pagesets(struct rcl_engine *engine, struct zone *zone, FILE *out)
{
	struct task_struct *task;
	int n = 0;

	fprintf(out, "\n  pagesets");
	pthread_mutex_lock(&engine->tasks_lock);
	for (task = engine->tasks; task; task = task->next, n++) {
		struct per_cpu_pages *pcp = &task->pcp[zone->global_id];
		int count;

		spin_lock(&pcp->lock);
		count = pcp->count;
		spin_unlock(&pcp->lock);
		fprintf(out, "\n    thread: %i\n              count: %i\n              high:  %i"
			"\n              batch: %i", n, count, pcp->high, pcp->batch);
	}
	pthread_mutex_unlock(&engine->tasks_lock);
}

static void zoneinfo_show_zone(struct rcl_engine *engine, struct pglist_data *pgdat,
			       struct zone *zone, FILE *out)
{
	int i;

	fprintf(out, "Node %d, zone %8s", pgdat->node_id, zone->name);
	if (is_zone_first_populated(pgdat, zone)) {
		fprintf(out, "\n  per-node stats");
		for (i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
			fprintf(out, "\n      %-12s %lu", node_stat_names[i],
				node_page_state(pgdat, (enum node_stat_item)i));
	}
	fprintf(out, "\n  pages free     %lu\n        min      %lu\n        low      %lu"
		"\n        high     %lu\n        spanned  %lu\n        present  %lu"
		"\n        managed  %lu",
		zone_page_state(zone, NR_FREE_PAGES), min_wmark_pages(zone),
		low_wmark_pages(zone), high_wmark_pages(zone), zone->spanned_pages,
		zone->present_pages, zone->managed_pages);
	fprintf(out, "\n        protection: (%ld", zone->lowmem_reserve[0]);
	for (i = 1; i < MAX_NR_ZONES; i++)
		fprintf(out, ", %ld", zone->lowmem_reserve[i]);
	fputc(')', out);
	if (!populated_zone(zone)) {
		fputc('\n', out);
		return;
	}
	for (i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		fprintf(out, "\n      %-12s %lu", zone_stat_names[i],
			zone_page_state(zone, (enum zone_stat_item)i));
	zoneinfo_show_pagesets(engine, zone, out);
	fprintf(out, "\n  node_unreclaimable:  %u\n  start_pfn:           %lu\n",
		atomic_load_explicit(&pgdat->kswapd_failures, memory_order_relaxed) >=
			MAX_RECLAIM_RETRIES,
		zone->zone_start_pfn);
}

void zoneinfo_show(struct rcl_engine *engine, FILE *out)
{
	struct pglist_data *pgdat;
	int nid, zid;

	for_each_online_pgdat(pgdat, engine, nid)
		for (zid = 0; zid < MAX_NR_ZONES; zid++)
			zoneinfo_show_zone(engine, pgdat, &pgdat->node_zones[zid], out);
}

void buddyinfo_show(struct rcl_engine *engine, FILE *out)
{
	struct zone *zone;
	int nid, zid;
	unsigned int order;

	for_each_zone(zone, engine, nid, zid) {
		unsigned long nr_free[MAX_ORDER];

		if (!populated_zone(zone))
			continue;
		spin_lock(&zone->lock);
		for (order = 0; order < MAX_ORDER; order++)
			nr_free[order] = zone->free_area[order].nr_free;
		spin_unlock(&zone->lock);
		fprintf(out, "Node %d, zone %8s ", nid, zone->name);
		for (order = 0; order < MAX_ORDER; order++)
			fprintf(out, "%6lu ", nr_free[order]);
		fputc('\n', out);
	}
}

/*
 * An estimate of how much can be allocated without swapping: free pages above the reserves,
 * plus the page cache that can be dropped, less what kswapd would keep (4.19 si_mem_available).
 */
long si_mem_available(struct rcl_engine *engine)
{
	unsigned long wmark_low = 0, pagecache;
	struct zone *zone;
	long available;
	int nid, zid;

	for_each_zone(zone, engine, nid, zid)
		wmark_low += low_wmark_pages(zone);
	available = (long)global_zone_page_state(engine, NR_FREE_PAGES) -
		    (long)engine->totalreserve_pages;
	pagecache = global_node_page_state(engine, NR_ACTIVE_FILE) +
		    global_node_page_state(engine, NR_INACTIVE_FILE);
	pagecache -= min_t(unsigned long, pagecache / 2, wmark_low);
	available += (long)pagecache;
	return available < 0 ? 0 : available;
}

static void meminfo_line(FILE *out, const char *name, unsigned long pages)
{
	char label[32];

	snprintf(label, sizeof(label), "%s:", name);
	fprintf(out, "%-16s%8lu kB\n", label, pages << (PAGE_SHIFT - 10));
}

/*
 * The kernel counts swap cache pages in NR_FILE_PAGES too and so has meminfo subtract them for
 * Cached. Here __add_to_swap_cache counts them in NR_SWAPCACHE alone: nr_file_pages is the page
 * cache of files already, and subtracting the swap cache from it wrapped below zero under swap
 * load. Buffers is 0 (no block devices).
 */
void meminfo_show(struct rcl_engine *engine, FILE *out)
{
	unsigned long active_anon = global_node_page_state(engine, NR_ACTIVE_ANON);
	unsigned long inactive_anon = global_node_page_state(engine, NR_INACTIVE_ANON);
	unsigned long active_file = global_node_page_state(engine, NR_ACTIVE_FILE);
	unsigned long inactive_file = global_node_page_state(engine, NR_INACTIVE_FILE);
	unsigned long swapcache = global_node_page_state(engine, NR_SWAPCACHE);

	meminfo_line(out, "MemTotal", engine->nr_frames);
	meminfo_line(out, "MemFree", global_zone_page_state(engine, NR_FREE_PAGES));
	meminfo_line(out, "MemAvailable", (unsigned long)si_mem_available(engine));
	meminfo_line(out, "Buffers", 0);
	meminfo_line(out, "Cached", global_node_page_state(engine, NR_FILE_PAGES));
	meminfo_line(out, "SwapCached", swapcache);
	meminfo_line(out, "Active", active_anon + active_file);
	meminfo_line(out, "Inactive", inactive_anon + inactive_file);
	meminfo_line(out, "Active(anon)", active_anon);
	meminfo_line(out, "Inactive(anon)", inactive_anon);
	meminfo_line(out, "Active(file)", active_file);
	meminfo_line(out, "Inactive(file)", inactive_file);
	meminfo_line(out, "Unevictable", global_node_page_state(engine, NR_UNEVICTABLE));
	meminfo_line(out, "Mlocked", global_zone_page_state(engine, NR_MLOCK));
	meminfo_line(out, "SwapTotal", (unsigned long)total_swap_pages(engine));
	meminfo_line(out, "SwapFree", (unsigned long)get_nr_swap_pages(engine));
	meminfo_line(out, "Dirty", global_node_page_state(engine, NR_FILE_DIRTY));
	meminfo_line(out, "Writeback", global_node_page_state(engine, NR_WRITEBACK));
	meminfo_line(out, "AnonPages", global_node_page_state(engine, NR_ANON_MAPPED));
	meminfo_line(out, "Mapped", global_node_page_state(engine, NR_FILE_MAPPED));
	meminfo_line(out, "Shmem", global_node_page_state(engine, NR_SHMEM));
	meminfo_line(out, "RawPages", global_zone_page_state(engine, NR_RAW_PAGES));
}
