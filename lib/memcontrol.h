/*
 * memcontrol.h - memory cgroups: the hierarchy, charges, protection (min/low), limits
 * (high/max, enforced later), soft limits, per-node lruvecs, stats and events.
 *
 * Locking. The usage, the limits and the protection bookkeeping are page counters
 * (page_counter.h): charging and uncharging them, the stat and memory.events counters, and
 * reading any of them (mem_cgroup_protected included) take no lock. What a charge that does
 * not fit does next (reclaim in the group, the drain, the OOM killer) still needs mm_lock,
 * so mem_cgroup_try_charge_gfp is called with it held; mem_cgroup_uncharge and the swap
 * charges need only a group that cannot go away (mm_lock held or a css reference). The
 * hierarchy (parent, children, online, css_refs), soft_limit, swappiness, the shadow-node
 * list and the reclaim cursors stay under mm_lock; node_stat and the lruvecs under lru_lock.
 */
#ifndef RCL_MEMCONTROL_H
#define RCL_MEMCONTROL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm.h"
#include "page_counter.h"
#include "psi.h"
#include "vmpressure.h"

#define MEM_CGROUP_ID_SHIFT	16
#define MEM_CGROUP_ID_MAX	((1u << MEM_CGROUP_ID_SHIFT) - 1)
#define MEMCG_NAME_MAX		64
#define MEM_CGROUP_MAX_RECLAIM_LOOPS		100
#define MEM_CGROUP_MAX_SOFT_LIMIT_RECLAIM_LOOPS	2

/* memory.events keys. */
#define MEMCG_EVENT_ITEMS(X)	\
	X(MEMCG_LOW, "low")	\
	X(MEMCG_HIGH, "high")	\
	X(MEMCG_MAX, "max")	\
	X(MEMCG_OOM, "oom")	\
	X(MEMCG_OOM_KILL, "oom_kill")

enum memcg_memory_event { MEMCG_EVENT_ITEMS(VMSTAT_ENUM) MEMCG_NR_MEMORY_EVENTS };
extern const char *const memcg_event_names[MEMCG_NR_MEMORY_EVENTS];

/* memory.stat keys beyond the LRU sizes (which come from the node stat items). */
#define MEMCG_STAT_ITEMS(X)			\
	X(MEMCG_RSS, "anon")			\
	X(MEMCG_CACHE, "file")			\
	X(MEMCG_SWAP, "swap")			\
	X(MEMCG_PAGETABLES, "pagetables")	\
	X(MEMCG_PGSCAN, "pgscan")		\
	X(MEMCG_PGSTEAL, "pgsteal")		\
	X(MEMCG_PGREFILL, "pgrefill")		\
	X(MEMCG_PGACTIVATE, "pgactivate")	\
	X(MEMCG_PGDEACTIVATE, "pgdeactivate")	\
	X(MEMCG_PGFAULT, "pgfault")		\
	X(MEMCG_PGMAJFAULT, "pgmajfault")	\
	X(MEMCG_WORKINGSET_REFAULT, "workingset_refault") \
	X(MEMCG_WORKINGSET_ACTIVATE, "workingset_activate")

enum memcg_stat_item { MEMCG_STAT_ITEMS(VMSTAT_ENUM) MEMCG_NR_STAT };
extern const char *const memcg_stat_names[MEMCG_NR_STAT];

enum mem_cgroup_protection {
	MEMCG_PROT_NONE,
	MEMCG_PROT_LOW,
	MEMCG_PROT_MIN,
};

/* A shared cursor of mem_cgroup_iter: one per (root, node, priority). */
struct mem_cgroup_reclaim_iter {
	struct mem_cgroup *position;
	unsigned int generation;
};

struct mem_cgroup_reclaim_cookie {
	struct pglist_data *pgdat;
	int priority;
	unsigned int generation;
};

struct mem_cgroup_per_node {
	struct lruvec lruvec;
	struct mem_cgroup_reclaim_iter iter[13];	/* DEF_PRIORITY + 1 */
	unsigned long usage_in_excess;			/* soft limit excess on this node */
};

struct mem_cgroup {
	uint16_t id;				/* its slot: pages, shadows, swap slots */
	/*
	 * The id callers name it by (rcl_memcg_*, regions, files, pressure listeners): the slot
	 * in the low 16 bits, above it how many groups held the slot before. A slot is reused
	 * once its group is freed, and a caller that looked a group up and acts on it later
	 * (a daemon request, a cached file handle, a listener) must get -ENOENT then, not the
	 * group that took the slot over: the kernel's cgroup ids are never reused either.
	 */
	uint32_t user_id;
	char name[MEMCG_NAME_MAX];		/* path component */
	struct mem_cgroup *parent;
	struct mem_cgroup *first_child, *next_sibling;
	bool online;				/* false once deleted: scrape it out (spec 7) */
	uint32_t owner_uid;			/* kept for the daemon's permission checks */
	unsigned int nr_files;			/* open rcl_files charging it: keep it alive */
	unsigned long nr_mlock_pending;		/* mlock_reserve's, here and below; mm_lock */
	/* References of walkers that may let mm_lock go while they use it (the kernel's css
	 * refcount), and of readers that took it by id without mm_lock (css_tryget_online): a
	 * deleted group is freed only when none is left (memcg_drained). */
	_Atomic unsigned int css_refs;
	/* Page cache leaves charged to it that hold only shadow entries, oldest first
	 * (the kernel's shadow_nodes list_lru, per memcg): count_shadow_nodes' count. */
	struct xa_node *shadow_first, *shadow_last;
	unsigned long nr_shadow_nodes;

	/* Pages charged, on this group and its ancestors' counters: memory.current with
	 * memory.min/low/high/max and the effective protection (spec 6.1, recomputed in every
	 * reclaim walk), and the swap slots held with memory.swap.max. */
	struct page_counter memory;
	struct page_counter swap;
	/* Set under mm_lock, read by anyone (rcl_memcg_get without it). */
	_Atomic unsigned long soft_limit;
	_Atomic unsigned int swappiness;	/* 0..100, inherited at creation */

	/* Relaxed atomics: changed by charges without mm_lock. */
	_Atomic long stat[MEMCG_NR_STAT];
	_Atomic unsigned long events[MEMCG_NR_MEMORY_EVENTS];
	/* Per-memcg vmstat events: relaxed atomics, counted without mm_lock by the resident
	 * copy (region.c). */
	_Atomic unsigned long vm_events[NR_VM_EVENT_ITEMS];
	/* LRU sizes and workingset counts: relaxed atomics, changed under lru_lock or a mapping's
	 * lock and read without them (memcg_node_state). */
	_Atomic long node_stat[NR_VM_NODE_STAT_ITEMS];

	struct vmpressure vmpressure;
	struct psi_group psi;			/* memory.pressure */
	struct mem_cgroup_per_node *nodeinfo[MAX_NUMNODES];
	struct rcl_engine *engine;
};

static inline struct rcl_engine *page_engine_of_memcg(const struct mem_cgroup *memcg)
{
	return memcg->engine;
}

/* The group whose memory counter @counter is (the kernel's mem_cgroup_from_counter). */
static inline struct mem_cgroup *mem_cgroup_from_memory_counter(struct page_counter *counter)
{
	return (struct mem_cgroup *)((char *)counter - offsetof(struct mem_cgroup, memory));
}

/* memory.current in pages. */
static inline unsigned long mem_cgroup_usage(const struct mem_cgroup *memcg)
{
	return page_counter_read(&memcg->memory);
}

struct mem_cgroup *root_mem_cgroup_of(struct rcl_engine *engine);
struct mem_cgroup *mem_cgroup_from_id(struct rcl_engine *engine, unsigned int id);
struct mem_cgroup *mem_cgroup_from_user_id(struct rcl_engine *engine, uint32_t user_id);
/* engine->memcg_tree_lock, a leaf: the tree as lookups by path see it (memcontrol.c). */
void memcg_tree_lock(struct rcl_engine *engine);
void memcg_tree_unlock(struct rcl_engine *engine);
struct mem_cgroup *page_memcg(const struct page *page);
struct lruvec *mem_cgroup_lruvec(struct pglist_data *pgdat, struct mem_cgroup *memcg);
bool mem_cgroup_is_root(const struct mem_cgroup *memcg);
unsigned int mem_cgroup_swappiness(struct mem_cgroup *memcg);
long mem_cgroup_get_nr_swap_pages(struct mem_cgroup *memcg);
bool mem_cgroup_swap_full(struct page *page);

int mem_cgroup_try_charge(struct page *page, struct mem_cgroup *memcg);
int mem_cgroup_try_charge_gfp(struct page *page, struct mem_cgroup *memcg, gfp_t gfp);
void mem_cgroup_uncharge(struct page *page);
int mem_cgroup_try_charge_swap(struct page *page, swp_entry_t entry);
void mem_cgroup_uncharge_swap(struct rcl_engine *engine, uint16_t memcg_id);
void mod_memcg_state(struct mem_cgroup *memcg, enum memcg_stat_item item, long delta);
void mod_memcg_node_state(struct mem_cgroup *memcg, enum node_stat_item item, long delta);

static inline long memcg_node_state(struct mem_cgroup *memcg, enum node_stat_item item)
{
	return atomic_load_explicit(&memcg->node_stat[item], memory_order_relaxed);
}
void count_memcg_events(struct mem_cgroup *memcg, enum vm_event_item item, unsigned long n);
void memcg_memory_event(struct mem_cgroup *memcg, enum memcg_memory_event event);

/*
 * Pin @memcg against being freed while mm_lock is let go, or while a reader that looked it
 * up without mm_lock uses it (the kernel's css_get/css_put). A put never frees: the deleted
 * groups left with nothing are freed under mm_lock by the calls that change the hierarchy
 * (memcg_reap_offline), which see the count through memcg_drained.
 */
static inline void css_get(struct mem_cgroup *memcg)
{
	atomic_fetch_add_explicit(&memcg->css_refs, 1, memory_order_relaxed);
}

static inline void css_put(struct mem_cgroup *memcg)
{
	unsigned int old = atomic_fetch_sub_explicit(&memcg->css_refs, 1, memory_order_release);

	VM_BUG_ON(!old, "memcg reference put that was never got");
	(void)old;
}

struct mem_cgroup *mem_cgroup_iter(struct mem_cgroup *root, struct mem_cgroup *prev,
				   struct mem_cgroup_reclaim_cookie *reclaim);
void mem_cgroup_iter_break(struct mem_cgroup *root, struct mem_cgroup *prev);
size_t mem_cgroup_walk_online(struct mem_cgroup *root, uint32_t *ids, size_t max);
enum mem_cgroup_protection mem_cgroup_protected(struct mem_cgroup *root,
						struct mem_cgroup *memcg);
unsigned long mem_cgroup_soft_limit_reclaim(struct pglist_data *pgdat, int order, gfp_t gfp,
					    unsigned long *total_scanned);

struct mem_cgroup *mem_cgroup_alloc(struct rcl_engine *engine, struct mem_cgroup *parent,
				    const char *name, int *ret_err);
void mem_cgroup_free(struct rcl_engine *engine, struct mem_cgroup *memcg);
void mem_cgroup_handle_over_high(struct rcl_engine *engine);
void mem_cgroup_throttle_over_high(struct rcl_engine *engine);
uint64_t mem_cgroup_high_delay(uint64_t max_overage, unsigned long nr_pages);
int memcg_init(struct rcl_engine *engine);
void memcg_exit(struct rcl_engine *engine);

#endif /* RCL_MEMCONTROL_H */
