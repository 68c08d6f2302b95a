/*
 * mmzone.h - nodes, zones, free areas, per-thread page lists, zonelists: the allocator's world.
 *
 * Lock order (outermost first). A lock may be taken while holding any lock above it on its own
 * branch, never the other way round; nothing is called under a leaf lock.
 *
 *   page lock (PG_locked)              lock_page/unlock_page with hashed wait queues (wait.c):
 *                                      a holder may take mm_lock; under mm_lock it is only
 *                                      trylocked, or slept on with mm_lock let go; unlocked
 *                                      and its sleepers woken with no model lock needed
 *     engine->mm_lock                  the memory model above the allocator: regions (all
 *                                      but their entries), page cache, the slots' memcgs
 *                                      (swap_cgroup; the swap cache and its shadows are the
 *                                      cluster locks', below), the pages'
 *                                      LRU flags and isolation (lru_lock guards the lists),
 *                                      the memcg hierarchy and what a charge over its limit
 *                                      does (reclaim, drain, OOM), but not the charge itself
 *                                      (page counters, below). Nobody sleeps on it: a
 *                                      holder lets it go where it may sleep (mm_drop and
 *                                      mm_retake, mm_wait_event) and revalidates what it
 *                                      looked at; memcgs a walker stands on are pinned
 *                                      meanwhile (css_get)
 *       region->ptl                    a region's page-table entries, the table under them
 *                                      and region->dead (mm.h). Every change of an entry takes
 *                                      it inside mm_lock; the event loop's resident copy takes
 *                                      it alone (region.c: it checks, copies and sets young
 *                                      and dirty under it), so mm_lock holders read entries
 *                                      once (ptep_get). Under it nothing sleeps and mm_lock
 *                                      is not taken, not even tried; --enable-debug aborts on
 *                                      either (lock.c) and on an entry changed without it
 *         mapping->i_pages_lock        one file's page cache: its slots (pages and shadow
 *                                      entries), their leaves, nrpages, nrexceptional. Every
 *                                      change takes it inside mm_lock; a reader without
 *                                      mm_lock takes it (mm.h). Under it nothing sleeps, no
 *                                      mm_lock or ptl is taken, one mapping's at a time;
 *                                      __remove_mapping's workingset_eviction may take
 *                                      lru_lock. --enable-debug aborts on each breach
 *           engine->shadow_lru_lock    the per-memcg lists of shadow-only leaves, shared by
 *                                      every mapping (the kernel's list_lru lock): a leaf;
 *                                      the shrinker finds a mapping under it and only
 *                                      trylocks its i_pages_lock (workingset.c)
 *           pgdat->lru_lock            the LRU lists of every lruvec on the node, their sizes
 *                                      (lru_zone_size and the counters update_lru_size
 *                                      keeps), reclaim_stat, the refault snapshots, and
 *                                      CLOCK-Pro's clocks (hands, positions, non-resident
 *                                      entries, m_c). Taken inside mm_lock for a batch of
 *                                      list operations (and under a swap cluster lock by
 *                                      __remove_mapping's workingset_eviction, as under
 *                                      i_pages), as the kernel's spin_lock_irq: never
 *                                      across shrink_page_list, page_referenced (it takes
 *                                      ptls), I/O or a sleep, and one node's at a time. A last
 *                                      reference dropped under it leaves the list there and
 *                                      is freed after (release_freed_pages). --enable-debug
 *                                      asserts it in every list helper and aborts on mm_lock,
 *                                      a sleep, a ptl, a swap cluster lock or a second node's
 *                                      lock under it
 *                                      (lock.c, pte_lock); CLOCK-Pro moves the young bits of
 *                                      a page that joins its clock to PG_referenced before
 *                                      it is taken (clockpro_lru_prepare)
 *       engine->region_table_lock      the id -> region table (a leaf): changed under mm_lock
 *                                      and it; a lookup without mm_lock takes the region's
 *                                      (atomic) reference under it (region_lookup_get)
 *       engine->memcg_tree_lock        the groups as a lookup by path sees them: memcgs[],
 *                                      children lists, online flags (a leaf); changed under
 *                                      mm_lock and it; rcl_memcg_lookup and rcl_memcg_list
 *                                      walk under it alone (a group is unlinked under it
 *                                      before it is freed), and a read of a group by id
 *                                      (usage, knobs, path, events, memory.stat, pressure,
 *                                      PSI) takes its reference under it (api.c
 *                                      css_tryget_online) and reads without mm_lock
 *       engine->psi.lock               PSI: the engine's task counts and every group's stall
 *                                      state and averages (a leaf, psi.c), so that a reader
 *                                      of memory.pressure takes no other lock
 *       io engine locks                io.c: ring and completion state (never held in end_io)
 *       swap_info->lock                the free-cluster list, the tasks' current clusters,
 *                                      the usable slot count; taken to hand out a slot, to
 *                                      free one and to mark one bad (a failed write)
 *         swap_cluster_info->lock      one cluster's map bytes, CRCs and written bits, and
 *                                      its slots' swap cache entries and shadows (one
 *                                      cluster's at a time): references and I/O set-up take
 *                                      it alone (swapfile.c); a page enters and leaves the
 *                                      swap cache under it and its page lock, and
 *                                      lookup_swap_cache takes its reference under it, with
 *                                      or without mm_lock (swap_state.c). Under it only
 *                                      lru_lock is taken (__remove_mapping's
 *                                      workingset_eviction); --enable-debug aborts on the
 *                                      reverse
 *       engine->tasks_lock             the list of attached threads (drain_all_pages and
 *                                      lru_add_drain_all walk it)
 *         task->lru_pvecs_lock         one thread's LRU-add and rotate vectors (a leaf): held
 *                                      to add a page or to take a vector's pages over; those
 *                                      go on their lists under lru_lock alone, from any
 *                                      thread, without mm_lock (swap.c; CLOCK-Pro's
 *                                      page_referenced of mapped pages still needs it)
 *         pcp->lock                    one thread's per-thread page lists (also under
 *                                      lru_lock: a page freed from under it)
 *           zone->lock                 buddy free lists, nr_free, pageblock types (leaf)
 *   wait_queue_head->lock              one queue's sleep or wake-up (wait.c): a leaf, taken
 *                                      under any lock above to wake, under none to sleep
 *
 * The target once mm_lock is split (the kernel's order: reclaim holds the page lock and then
 * walks the page tables that map the page, so the page lock is outside them):
 *   page lock (PG_locked)
 *     rmap lock (i_mmap)               a file's mappers
 *       region->ptl                    a region's entries (in place, under mm_lock for now)
 *         mapping->i_pages_lock        page cache slots and shadow entries (in place, under
 *                                      mm_lock for now)
 *           si->lock -> cluster lock   slots, and the swap cache in them (in place)
 *             pgdat->lru_lock          LRU lists of every lruvec on the node (in place, under
 *                                      mm_lock for now)
 *               pcp->lock -> zone->lock
 *                                      freeing pages from under the LRU lock
 *
 * Counters are relaxed atomics and need no lock. Memcg charges too: usage, limits and
 * protected usage are page counters (page_counter.c) charged with an atomic add per level and
 * checked after, so charging, uncharging and reading them (mem_cgroup_protected) take no lock;
 * the group must only be kept alive (mm_lock or a css reference), see memcontrol.h.
 */
#ifndef RCL_MMZONE_H
#define RCL_MMZONE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mm_types.h"
#include "spinlock.h"
#include "vmstat_items.h"
#include "wait.h"

#define MAX_ORDER		11		/* orders 0..10 */
#define MAX_ORDER_NR_PAGES	(1UL << (MAX_ORDER - 1))
#define PAGE_ALLOC_COSTLY_ORDER	3
#define pageblock_order		9		/* x86-64 with huge pages: 512 frames */
#define pageblock_nr_pages	(1UL << pageblock_order)
#define MAX_NUMNODES		8
#define MAX_RECLAIM_RETRIES	16		/* no-progress loops before OOM; kswapd gives up */

enum zone_type {
	ZONE_DMA32,		/* low frames of node 0, only when configured */
	ZONE_NORMAL,		/* everything else */
	MAX_NR_ZONES
};

extern const char *const zone_names[MAX_NR_ZONES];

/* Pageblock mobility types; the first MIGRATE_PCPTYPES have per-thread lists. */
enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_TYPES
};

extern const char *const migratetype_names[MIGRATE_TYPES];

enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	NR_WMARK
};

/* LRU lists (the reclaim engine fills them; the node counts them from the start). */
enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE,
	NR_LRU_LISTS
};

struct free_area {
	struct page_list free_list[MIGRATE_TYPES];
	unsigned long nr_free;		/* blocks of this order on all the lists */
};

/*
 * Per-thread page lists: the kernel's per-cpu pages. Order-0 frees go here and are returned to
 * the buddy in batches, so the zone lock is taken once per batch, not once per page.
 */
struct per_cpu_pages {
	spinlock_t lock;		/* owner thread, or a drainer from another thread */
	int count;			/* pages on the lists */
	int high;			/* above this, return a batch to the buddy */
	int batch;			/* pages moved to or from the buddy at once */
	struct page_list lists[MIGRATE_PCPTYPES];
};

struct pglist_data;

struct zone {
	/* Read-mostly. */
	unsigned long _watermark[NR_WMARK];	/* min, low, high in pages (spec 2.2) */
	unsigned long watermark_boost;		/* v5.0+: always 0 in this engine */
	unsigned long nr_reserved_highatomic;	/* pages in MIGRATE_HIGHATOMIC pageblocks */
	long lowmem_reserve[MAX_NR_ZONES];	/* pages kept back from class zones above (2.4) */
	struct pglist_data *zone_pgdat;
	struct page *mem_map;			/* frame 0 of the arena */
	unsigned long zone_start_pfn;
	unsigned long spanned_pages;		/* frames covered */
	unsigned long present_pages;		/* frames that exist */
	unsigned long managed_pages;		/* frames the buddy manages */
	int pcp_batch;				/* zone_batchsize() */
	int pcp_high;				/* 6 * batch */
	int zone_idx;				/* enum zone_type */
	int global_id;				/* node * MAX_NR_ZONES + zone_idx: per-thread index */
	const char *name;
	uint8_t *pageblock_mt;			/* migratetype of each pageblock */

	/* Written under the zone lock: a spinlock, as in the kernel, since it is held for a few
	 * list operations only and a sleeping lock's hand-off costs more than the wait. */
	spinlock_t lock;
	struct free_area free_area[MAX_ORDER];

	_Atomic long vm_stat[NR_VM_ZONE_STAT_ITEMS];
};

static inline bool populated_zone(const struct zone *zone)
{
	return zone->present_pages != 0;
}

static inline bool managed_zone(const struct zone *zone)
{
	return zone->managed_pages != 0;
}

static inline bool zone_spans_pfn(const struct zone *zone, unsigned long pfn)
{
	return pfn >= zone->zone_start_pfn && pfn < zone->zone_start_pfn + zone->spanned_pages;
}

static inline unsigned long min_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_MIN] + z->watermark_boost;
}

static inline unsigned long low_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_LOW] + z->watermark_boost;
}

static inline unsigned long high_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_HIGH] + z->watermark_boost;
}

static inline unsigned long wmark_pages(const struct zone *z, unsigned int i)
{
	return z->_watermark[i] + z->watermark_boost;
}

/*
 * A zonelist is the order in which an allocation tries zones: its own node's zones from the
 * highest down, then the other nodes'. Entries end with zone == NULL.
 */
struct zoneref {
	struct zone *zone;
	int zone_idx;
};

#define MAX_ZONES_PER_ZONELIST	(MAX_NUMNODES * MAX_NR_ZONES)

struct zonelist {
	struct zoneref _zonerefs[MAX_ZONES_PER_ZONELIST + 1];
};

enum {
	ZONELIST_FALLBACK,	/* every node, own node first */
	ZONELIST_NOFALLBACK,	/* this node only (__GFP_THISNODE) */
	MAX_ZONELISTS
};

/* A set of nodes. An empty mask passed as NULL means "all nodes". */
typedef struct {
	uint32_t bits;
} nodemask_t;

static inline bool node_isset(int nid, const nodemask_t *mask)
{
	return mask->bits & (1u << nid);
}

static inline void node_set(int nid, nodemask_t *mask)
{
	mask->bits |= 1u << nid;
}

struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	struct zonelist node_zonelists[MAX_ZONELISTS];
	int nr_zones;				/* highest populated zone index + 1 */
	int node_id;
	unsigned long node_start_pfn;
	unsigned long node_spanned_pages;
	unsigned long node_present_pages;
	struct rcl_engine *engine;
	_Atomic int kswapd_failures;		/* reclaim rounds without progress (spec 16) */
	int kswapd_order;			/* largest order asked of kswapd */
	int kswapd_classzone_idx;		/* MAX_NR_ZONES: unset */
	bool kswapd_wanted;			/* woken: balance_pgdat should run */
	pthread_t kswapd;			/* this node's kswapd thread, when started */
	bool kswapd_started;
	bool kswapd_sleeping;			/* on kswapd_wait: wake it to hurry it up */
	struct wait_queue_head kswapd_wait;	/* kswapd sleeps here (with mm_lock released) */
	struct wait_queue_head pfmemalloc_wait;	/* throttled direct reclaimers sleep here */
	_Atomic unsigned long flags;		/* PGDAT_*: set and tested without a lock */
	pthread_mutex_t lru_lock;		/* LRU lists of the node's lruvecs */
	/* Of NR_ISOLATED_ANON and _FILE (by type, as the LRUs), the pages of reclaimers that
	 * let mm_lock go to take mapped pages back (mapped.c): added before the drop, taken off
	 * after the retake, so a holder of mm_lock sees them match the pages isolated
	 * meanwhile (debug.c). */
	_Atomic long isolated_unlocked[2];

	_Atomic long vm_stat[NR_VM_NODE_STAT_ITEMS];
};

enum pgdat_flags {
	PGDAT_CONGESTED,	/* scanned dirty pages were all under congested writeback */
	PGDAT_DIRTY,		/* scanned file pages were all dirty and not queued */
	PGDAT_WRITEBACK,	/* scanned pages were all under writeback */
};

static inline bool test_bit_pgdat(const struct pglist_data *pgdat, enum pgdat_flags bit)
{
	return atomic_load_explicit(&pgdat->flags, memory_order_relaxed) & (1UL << bit);
}

static inline void set_bit_pgdat(struct pglist_data *pgdat, enum pgdat_flags bit)
{
	atomic_fetch_or_explicit(&pgdat->flags, 1UL << bit, memory_order_relaxed);
}

static inline void clear_bit_pgdat(struct pglist_data *pgdat, enum pgdat_flags bit)
{
	atomic_fetch_and_explicit(&pgdat->flags, ~(1UL << bit), memory_order_relaxed);
}

static inline int zone_to_nid(const struct zone *zone)
{
	return zone->zone_pgdat->node_id;
}

/* Walk the zonelist for zones with index <= @highidx on nodes in @nodes (NULL: any node). */
static inline struct zoneref *next_zones_zonelist(struct zoneref *z, int highidx,
						  const nodemask_t *nodes)
{
	while (z->zone && (z->zone_idx > highidx ||
			   (nodes && !node_isset(zone_to_nid(z->zone), nodes))))
		z++;
	return z;
}

#define for_next_zone_zonelist_nodemask(zone, z, highidx, nodemask)		\
	for (zone = (z)->zone; zone;						\
	     z = next_zones_zonelist(++z, highidx, nodemask), zone = (z)->zone)

#define for_each_zone_zonelist_nodemask(zone, z, zlist, highidx, nodemask)	\
	for (z = next_zones_zonelist((zlist)->_zonerefs, highidx, nodemask),	\
	     zone = (z)->zone; zone;						\
	     z = next_zones_zonelist(++z, highidx, nodemask), zone = (z)->zone)

#endif /* RCL_MMZONE_H */
