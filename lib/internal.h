/*
 * internal.h - what the engine's files share and the tests may reach: the engine itself, the
 * thread context, and the allocator's steps under their kernel names. Grouped by the file that
 * defines them, as the kernel's mm/internal.h is.
 */
#ifndef RCL_INTERNAL_H
#define RCL_INTERNAL_H

#include "autoconfig.h"		/* RCL_DEBUG: the --enable-debug checks below */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "reclaim/engine.h"
#include "reclaim/pressure.h"
#include "gfp.h"
#include "mm_types.h"
#include "mmzone.h"
#include "psi.h"
#include "swap.h"
#include "vmstat.h"
#include "wait.h"

/* A thread of the engine: what "current" is in the kernel. */
#define PF_MEMALLOC	0x1u	/* in reclaim: allocations skip reclaim and may use reserves */
#define PF_KSWAPD	0x2u	/* this thread is (acting as) kswapd */
#define PF_KTHREAD	0x4u	/* one of the engine's own threads (kswapd): stops with them */

#define LRU_PAGEVEC_SIZE 15
struct page;

/* Pages waiting to be added to an LRU list, or rotated to its tail (the kernel's pagevecs). */
struct lru_pagevec {
	unsigned int nr;
	struct page *pages[LRU_PAGEVEC_SIZE];
};

/* Writes queued while reclaim runs a batch, submitted together (the block layer's plug). */
#define BLK_PLUG_MAX	512
struct blk_plug {
	unsigned int depth;		/* nested blk_start_plug calls */
	unsigned int nr;
	struct page *pages[BLK_PLUG_MAX];
};

struct reclaim_state {
	unsigned long reclaimed_slab;	/* non-LRU pages freed while reclaiming: credited */
};

struct task_struct {
	struct rcl_engine *engine;
	struct task_struct *next, *prev;	/* engine->tasks, under engine->tasks_lock */
	unsigned int flags;			/* PF_* */
	_Atomic unsigned long vm_events[NR_VM_EVENT_ITEMS]; /* written by this thread only */
	struct per_cpu_pages pcp[MAX_NUMNODES * MAX_NR_ZONES]; /* by zone->global_id */
	struct percpu_cluster swap_cluster;	/* this thread's current swap cluster */
	/* The two vectors, filled by this thread and emptied by it or by a drainer of every
	 * thread's (lru_add_drain_all): the kernel's local_lock(&lru_pvecs.lock). A leaf: held
	 * only to add a page or to take a vector's pages over (swap.c). */
	spinlock_t lru_pvecs_lock;
	struct lru_pagevec lru_add_pvec;	/* lru_cache_add batching */
	struct lru_pagevec lru_rotate_pvec;	/* rotate_reclaimable_page batching */
	struct blk_plug plug;
	struct reclaim_state *reclaim_state;
	bool psi_busy;				/* psi.c: running a request (rcl_thread_busy) */
	unsigned int memstall_depth;		/* psi.c: nested memory stalls */
	uint64_t memstall_start;		/* when the outermost one began (ns) */
	struct mem_cgroup *memstall_memcg;	/* the memcg it is charged to, referenced */
	uint16_t memcg_over_high;		/* a charge went above memory.high: this memcg */
	unsigned int memcg_nr_pages_over_high;	/* pages charged above high by this call */
	uint64_t memcg_high_delay_ns;		/* throttle still to sleep, outside mm_lock */
	uint16_t memcg_high_delay_id;		/* the memcg whose stall that sleep is */
	struct region *faulting_region;		/* being faulted by this thread: no OOM victim */
	unsigned long nr_dirtied;		/* file pages this call dirtied: balance them */
};

/* A sysctl or tunable of the engine: see struct rcl_engine. */
#define tunable_read(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define tunable_write(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

struct rcl_engine {
	struct rcl_config config;

	/* The arena (frame contents) and the mem_map window (frame descriptors). */
	void *arena;
	size_t arena_bytes;
	void *mem_map_window;			/* MEM_MAP_ALIGN aligned, header at the base */
	size_t mem_map_bytes;			/* mapped read-write from the window's base */
	struct page *mem_map;
	unsigned long nr_frames;
	uint64_t *clock_pos;			/* CLOCK-Pro: each frame's position on its clock
						 * (clockpro.c); NULL under two-list */

	int nr_nodes;
	struct pglist_data *node_data[MAX_NUMNODES];

	/* Sysctls (spec section 1) and what is derived from them. The sysctls and the tunables
	 * below change under mm_lock (tunable_write) and are read under it, or without a lock by
	 * rcl_tunable_get and rcl_engine_info (tunable_read). */
	int min_free_kbytes;
	int user_min_free_kbytes;		/* set by the administrator; 0 = none */
	int watermark_scale_factor;
	int lowmem_reserve_ratio[MAX_NR_ZONES];
	unsigned long totalreserve_pages;
	/* Pages promised to mlocks still populating (mlock_reserve), under mm_lock. */
	unsigned long nr_mlock_pending;

	/*
	 * The memory model (mm.h). One lock serializes everything above the allocator: every
	 * rcl_* entry point of regions, memcgs and reclaim takes it (lock.c: mm_lock), and
	 * nobody holds it while waiting for I/O. Completions that arrive while another thread
	 * holds it wait on the deferred list until the holder lets go.
	 */
	pthread_mutex_t mm_lock;
	/* What mm_lock costs (rcl_engine_info): taken, taken after waiting, and the wait, for
	 * mm_lock() (a retake after a sleep, kswapd's and the flusher's naps included, counts
	 * as any other). Changed by the holder alone (relaxed load and store),
	 * read without it. */
	_Atomic uint64_t mm_lock_acquired, mm_lock_contended, mm_lock_wait_ns;
	/* Threads blocked in mm_lock() now: what cond_resched_mm_lock lets it go for. */
	_Atomic unsigned int mm_lock_waiters;
	/* Fault injection for tests: run with mm_lock held at each chance a long job gives a
	 * waiter to have it (cond_resched_mm_lock: a freed region's zap, a long fault loop). */
	void (*_Atomic resched_hook)(struct rcl_engine *engine);
	pthread_mutex_t deferred_lock;		/* the deferred list below (a leaf) */
	struct deferred_completion *deferred;
	size_t nr_deferred_used, nr_deferred_cap;
	_Atomic size_t nr_deferred;
	struct wait_queue_head page_wait[1u << 6];	/* PAGE_WAIT_BITS: hashed (wait.c) */
	int data_dir_fd;
	/*
	 * The region table. Changed under mm_lock and region_table_lock both, so a holder of
	 * either may read it; the event loop's resident copy looks a region up under the short
	 * lock alone and takes a reference before it lets go (region_lookup_get).
	 */
	spinlock_t region_table_lock;
	struct region **regions;		/* by slot (region_slot(id)); slot 0 unused */
	uint16_t *region_gen;			/* per slot: generation of its last region */
	uint32_t nr_region_slots;
	struct address_space **mappings;	/* by id (page->mapping); slot 0 unused */
	uint32_t nr_mapping_slots;
	struct address_space *files;		/* open files, by path */
	struct mem_cgroup *root_mem_cgroup;
	struct mem_cgroup **memcgs;		/* by id; 0 unused, 1 root */
	uint16_t *memcg_generation;		/* by id: groups that held it before (user_id) */
	/* The groups as a lookup by path sees them: memcgs[], each group's list of children and
	 * its online flag. Changed under mm_lock and this lock; rcl_memcg_lookup walks them under
	 * this lock alone (memcontrol.c) */
	spinlock_t memcg_tree_lock;
	unsigned int bucket_order;		/* workingset timestamp granularity */
	/* The shadow node list lock (the kernel's list_lru lock of shadow_nodes): every group's
	 * list of leaves holding only shadows, their counts and nr_shadow_nodes (workingset.c) */
	spinlock_t shadow_lru_lock;
	unsigned long nr_shadow_nodes;		/* slot groups holding shadows only */
	unsigned long nr_file_reads;		/* read I/Os of file pages (one per preadv) */
	const char *io_vectored_why;		/* why the arena is not registered with io_uring */
	uint16_t *swap_cgroup;			/* per swap slot: the memcg charged for it */
	uint32_t swap_ra_prev_offset;		/* swap readahead state (spec 17) */
	unsigned int swap_ra_win;
	_Atomic unsigned int swap_ra_hits;
	struct swapin_async *swapin_async;	/* swap_state.c: readahead windows in flight */
	struct wait_queue_head swapin_submitted; /* a window built: its waiters reap it */
	struct task_struct *default_task;	/* "current" for threads that never attached */
	void (*oom_notify)(void *arg, uint32_t region_id);
	void *oom_notify_arg;
	struct page *zero_page;			/* memory.c: the shared zero page, once used */
	struct region *mapped_hinting;		/* mapped.c: regions with hints to send */
	struct io_engine *file_io;		/* file writeback */
	unsigned int flusher_work;		/* WB_* reasons the flusher has to act on */
	bool files_put_unpruned;		/* a removed file's last reference went where it
						 * could not be let go (a writeback walk, a
						 * region's end, an eviction not possible yet):
						 * the flusher prunes (file_prune_unused) */
	struct wait_queue_head dirty_wait;	/* writers paused by balance_dirty_pages */
	/* Fault injection for tests: run between letting mm_lock go and submitting the writes
	 * set under writeback before (__blk_flush_plug), to widen that window. */
	void (*_Atomic unlocked_submit_hook)(struct rcl_engine *engine);
	/* Fault injection for tests: run without mm_lock between the pages of a swap readahead
	 * window being built, where the next page's frame or charge may reclaim without it. */
	void (*_Atomic swapin_gap_hook)(struct rcl_engine *engine);
	/* Fault injection for tests: run in __remove_mapping before it takes a swap cache page's
	 * cluster lock to count the page's references, with mm_lock held. */
	void (*_Atomic swap_remove_hook)(struct rcl_engine *engine);
	unsigned int nr_dirty_waiters;
	/* balance_dirty_pages' pauses, and those taken with file writes in flight that ended
	 * with none of them done (tests: a paused writer must not wait on writes nobody reaps). */
	uint64_t nr_dirty_pauses, nr_dirty_pauses_idle;
	bool threads_running;			/* kthreads.c: kswapd and flusher started */
	pthread_t flusher_thread;		/* kswapd threads are per node (pglist_data) */
	struct wait_queue_head flusher_wait;
	struct wait_queue_head congestion_wait;	/* congestion_wait: a timed sleep, never woken */
	rcl_trace_fn trace_fn;
	void *trace_arg;
	int next_listener_id;

	/* Tunables (spec section 1), changed through rcl_tunable_set (see the sysctls above). */
	_Atomic int swappiness;			/* vm.swappiness: read without mm_lock */
	int laptop_mode;
	int page_cluster;
	int dirty_ratio;
	int dirty_background_ratio;
	int oom_policy;
	int workingset_enabled;

	/* The swap device (swapfile.c); NULL without swap. */
	struct swap_info_struct *swap;

	struct psi_state psi;			/* psi.c: the tasks, for "full" */

	/* Attached threads, for drain_all_pages and summing event counters. */
	pthread_mutex_t tasks_lock;
	struct task_struct *tasks;
	/* Events of threads that never attached or have detached. */
	_Atomic unsigned long vm_events[NR_VM_EVENT_ITEMS];
};

static inline struct pglist_data *NODE_DATA(struct rcl_engine *engine, int nid)
{
	return engine->node_data[nid];
}

static inline struct page *pfn_to_page(struct rcl_engine *engine, unsigned long pfn)
{
	return engine->mem_map + pfn;
}

static inline void *page_address(const struct page *page)
{
	return (char *)page_engine(page)->arena + ((size_t)page_to_pfn(page) << PAGE_SHIFT);
}

static inline struct zone *page_zone(const struct page *page)
{
	return &page_engine(page)->node_data[page_node_id(page)]->node_zones[page_zonenum(page)];
}

static inline struct pglist_data *page_pgdat(const struct page *page)
{
	return page_engine(page)->node_data[page_node_id(page)];
}

#define for_each_online_pgdat(pgdat, engine, nid)					\
	for ((nid) = 0; (nid) < (engine)->nr_nodes && ((pgdat) = (engine)->node_data[nid]); \
	     (nid)++)

/* Every zone of every node, populated or not. */
#define for_each_zone(zone, engine, nid, zid)						\
	for ((nid) = 0; (nid) < (engine)->nr_nodes; (nid)++)				\
		for ((zid) = 0; (zid) < MAX_NR_ZONES &&					\
		     ((zone) = &(engine)->node_data[nid]->node_zones[zid]); (zid)++)

/*
 * Whether the engine's threads may sleep where the kernel's tasks do (throttled reclaim,
 * congestion, dirty throttling): only where kswapd and the flusher run (a daemon) is there
 * anyone to wait for. The deterministic engine takes each such sleep as one logical step and
 * goes on; this is the one place that tells the two apart.
 */
static inline bool reclaim_may_sleep(const struct rcl_engine *engine)
{
	return engine->threads_running;
}

/* The flusher's work (the kernel's wb_reason), as bits of engine->flusher_work. */
#define WB_VMSCAN	0x1u	/* reclaim met dirty pages nobody queued: write them all */
#define WB_BACKGROUND	0x2u	/* above the background threshold: write until under it */
#define WB_PERIODIC	0x4u	/* kupdate: write what was dirtied dirty_expire ago */

/* Move @ts on by @ms milliseconds (deadlines of timed waits). */
static inline void timespec_add_ms(struct timespec *ts, long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* ---- task.c --------------------------------------------------------------------------- */

extern __thread struct task_struct *current_task;
/* The calling thread's faults that waited for I/O (the kernel's current->maj_flt): counted by
 * every thread, attached or not, so that a call can report its own. */
extern __thread unsigned long current_maj_flt;

/*
 * The thread's context for the reclaim engine: its own if attached, else the engine's default
 * one (used only under mm_lock, so its pagevecs and plug are never shared concurrently).
 */
static inline struct task_struct *current_or_default(struct rcl_engine *engine)
{
	struct task_struct *t = current_task;

	return (t && t->engine == engine) ? t : engine->default_task;
}

/* The calling thread's context in @engine, or NULL if it has not attached to it. */
static inline struct task_struct *get_current(const struct rcl_engine *engine)
{
	struct task_struct *t = current_task;

	return (t && t->engine == engine) ? t : NULL;
}

/* ---- page_alloc.c ---------------------------------------------------------------------- */

/* What one allocation needs to know while it walks the zones (the kernel's alloc_context). */
struct alloc_context {
	struct zonelist *zonelist;
	const nodemask_t *nodemask;	/* NULL: every node */
	struct zoneref *preferred_zoneref;
	int migratetype;
	enum zone_type high_zoneidx;	/* highest zone the allocation may use: the class zone */
	bool spread_dirty_pages;
};

static inline int ac_classzone_idx(const struct alloc_context *ac)
{
	return ac->preferred_zoneref->zone_idx;
}

enum zone_type gfp_zone(gfp_t gfp);
int gfpflags_to_migratetype(gfp_t gfp);
unsigned int gfp_to_alloc_flags(gfp_t gfp);

struct page *__alloc_pages_nodemask(struct rcl_engine *engine, gfp_t gfp, unsigned int order,
				    int preferred_nid, const nodemask_t *nodemask);
struct page *alloc_pages_node(struct rcl_engine *engine, int nid, gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
void free_unref_page(struct page *page);

struct page *get_page_from_freelist(struct rcl_engine *engine, gfp_t gfp, unsigned int order,
				    unsigned int alloc_flags, const struct alloc_context *ac);
bool prepare_alloc_pages(struct rcl_engine *engine, gfp_t gfp, unsigned int order,
			 int preferred_nid, const nodemask_t *nodemask, struct alloc_context *ac);

bool __zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
			 int classzone_idx, unsigned int alloc_flags, long free_pages);
bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int classzone_idx, unsigned int alloc_flags);
bool zone_watermark_ok_safe(struct zone *z, unsigned int order, unsigned long mark,
			    int classzone_idx);

void drain_all_pages(struct rcl_engine *engine, struct zone *zone);
void drain_local_pages(struct rcl_engine *engine, struct zone *zone);
bool unreserve_highatomic_pageblock(struct rcl_engine *engine, const struct alloc_context *ac,
				    bool force);

int get_pageblock_migratetype(const struct page *page);
void set_pageblock_migratetype(struct page *page, int migratetype);

/* Boot: built by rcl_engine_new in this order. */
void build_all_zonelists(struct rcl_engine *engine);
void zone_init_free_lists(struct zone *zone);
void memmap_init_zone(struct zone *zone);
void free_area_init_zone(struct zone *zone);
int calculate_min_free_kbytes(unsigned long lowmem_kbytes, int user_min_free_kbytes);
void init_per_zone_wmark_min(struct rcl_engine *engine);
void setup_per_zone_wmarks(struct rcl_engine *engine);
void setup_per_zone_lowmem_reserve(struct rcl_engine *engine);
int zone_batchsize(const struct zone *zone);
void pageset_init(struct per_cpu_pages *pcp, const struct zone *zone);
unsigned long nr_free_buffer_pages(struct rcl_engine *engine);

/* Invariant checker: free counts, list membership, buddy orders. Returns 0 or -EUCLEAN. */
int zone_check_consistency(struct zone *zone, char *why, size_t whylen);

/* debug.c: the whole engine (zones, LRU lists, isolation); mm_lock held, engine quiescent. */
int engine_check_consistency(struct rcl_engine *engine, char *why, size_t len);
void engine_debug_check(struct rcl_engine *engine);	/* aborts in --enable-debug builds */

/* --enable-debug: report @page with @why and abort when @cond holds; nothing otherwise. */
void bad_page_state(const struct page *page, const char *why);
#ifdef RCL_DEBUG
#define VM_BUG_ON_PAGE(cond, page, why)						\
	do {									\
		if (cond)							\
			bad_page_state(page, why);				\
	} while (0)
#else
#define VM_BUG_ON_PAGE(cond, page, why)	((void)(cond), (void)(page))
#endif

/* --enable-debug: report @why with where it broke and abort when @cond holds. */
void vm_bug(const char *why, const char *file, int line);
#ifdef RCL_DEBUG
#define VM_BUG_ON(cond, why)							\
	do {									\
		if (cond)							\
			vm_bug(why, __FILE__, __LINE__);			\
	} while (0)
#else
#define VM_BUG_ON(cond, why)	((void)(cond))
#endif

/* ---- util ----------------------------------------------------------------------------- */

unsigned long int_sqrt(unsigned long x);

static inline unsigned long rounddown_pow_of_two(unsigned long n)
{
	return n ? 1UL << (63 - __builtin_clzl(n)) : 0;
}

#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define max_t(type, a, b) ((type)(a) > (type)(b) ? (type)(a) : (type)(b))

#endif /* RCL_INTERNAL_H */
