/*
 * reclaim/engine.h - the reclaimd engine: creation, configuration, threads, text views.
 *
 * Every function returns 0 or a negative errno; out parameters are written only on success.
 * The engine never prints and never exits: errors come back as values.
 */
#ifndef RECLAIM_ENGINE_H
#define RECLAIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rcl_engine;

#define RCL_PAGE_SIZE		4096u
#define RCL_MAX_NODES		8u
#define RCL_DEFAULT_ARENA	(256u << 20)

/*
 * How each lruvec's pages are aged and chosen for eviction below shrink_node_memcg: the
 * kernel's active/inactive lists, or CLOCK-Pro (Jiang, Chen, Zhang, USENIX ATC 2005).
 */
enum rcl_reclaim_policy {
	RCL_RECLAIM_TWO_LIST,		/* default */
	RCL_RECLAIM_CLOCK_PRO,
	RCL_NR_RECLAIM_POLICIES
};

extern const char *const rcl_reclaim_policy_names[RCL_NR_RECLAIM_POLICIES];

/* "two-list" or "clock-pro": 0, or -EINVAL (nothing written). */
int rcl_reclaim_policy_lookup(const char *name, enum rcl_reclaim_policy *ret);

/* The boot-time layout and sysctls of an engine. rcl_config_defaults() fills every field. */
struct rcl_config {
	uint64_t arena_bytes;		/* size of the arena, rounded down to 4 MiB per node */
	unsigned int nr_nodes;		/* 1..8 */
	uint64_t dma32_bytes;		/* low part of node 0 given to ZONE_DMA32; 0 = none */
	bool hugetlb;			/* back the arena with MAP_HUGETLB (2 MiB pages) */
	bool thp;			/* madvise(MADV_HUGEPAGE) on the arena */
	bool mlock;			/* lock the arena in host memory */
	unsigned int min_free_kbytes;	/* 0: computed as the kernel does at boot */
	unsigned int watermark_scale_factor; /* 1..1000, in 1/10000 of a zone */
	const char *data_dir;		/* where file regions' files live; NULL: current dir */
	const char *swap_path;		/* the swap file; NULL: no swap */
	uint64_t swap_bytes;		/* its size */
	bool swap_buffered;		/* swap I/O through the host page cache, not O_DIRECT */
	bool file_buffered;		/* file writeback through the host page cache */
	bool swap_async;		/* swap I/O through io_uring, overlapping reclaim (falls
					 * back to synchronous I/O where io_uring is refused);
					 * still complete when each reclaim call returns */
	enum rcl_reclaim_policy reclaim_policy;	/* fixed for the engine's life */
	/* Tests: groups a memcg slot holds before its ids come back (0: 65536, the 16 bits of
	 * a memcg id's generation), so that a test meets a reused id in two deletes. */
	unsigned int memcg_generations;
	/* Tests: regions a region slot holds before its ids come back (0: 4096, the 12 bits of
	 * a region id's generation), so that a test meets a reused id in two frees. */
	unsigned int region_generations;
};

/* Tunables that can change at run time (rcl_tunable_set); names as in /proc/sys/vm. */
enum rcl_oom_policy {
	RCL_OOM_FAIL,		/* the allocation fails with -ENOMEM (default) */
	RCL_OOM_KILL,		/* free the largest region of the worst memcg, count oom_kill */
};

#define RCL_TUNABLES(X)								X(SWAPPINESS, "swappiness", 0, 100, 60)					X(MIN_FREE_KBYTES, "min_free_kbytes", 1, 1u << 30, 0)			X(WATERMARK_SCALE_FACTOR, "watermark_scale_factor", 1, 1000, 10)		X(LAPTOP_MODE, "laptop_mode", 0, 1, 0)					X(PAGE_CLUSTER, "page_cluster", 0, 6, 3)				X(DIRTY_RATIO, "dirty_ratio", 1, 100, 20)				X(DIRTY_BACKGROUND_RATIO, "dirty_background_ratio", 1, 100, 10)		X(OOM_POLICY, "oom_policy", 0, 1, 0)					X(WORKINGSET, "workingset_refault_detection", 0, 1, 1)

#define RCL_TUNABLE_ENUM(id, name, lo, hi, def) RCL_TUNABLE_##id,
enum rcl_tunable { RCL_TUNABLES(RCL_TUNABLE_ENUM) RCL_NR_TUNABLES };

extern const char *const rcl_tunable_names[RCL_NR_TUNABLES];

/* -EINVAL for an unknown name or a value out of range; nothing changes then. */
int rcl_tunable_lookup(const char *name, enum rcl_tunable *ret);
int rcl_tunable_get(struct rcl_engine *engine, enum rcl_tunable t, uint64_t *ret);
int rcl_tunable_set(struct rcl_engine *engine, enum rcl_tunable t, uint64_t value);

void rcl_config_defaults(struct rcl_config *config);

/* Lay out the arena and free every frame into the buddy allocator. */
int rcl_engine_new(const struct rcl_config *config, struct rcl_engine **ret_engine);
void rcl_engine_free(struct rcl_engine *engine);

/*
 * A thread that allocates often attaches itself: it then gets its own per-thread page lists
 * (the kernel's per-cpu pages) and event counters. Detaching returns its cached pages.
 * A thread that never attaches allocates straight from the buddy lists.
 */
int rcl_thread_attach(struct rcl_engine *engine);
void rcl_thread_detach(struct rcl_engine *engine);
/*
 * Declare the calling thread one that must never wait for the engine (a daemon's event loop):
 * from then on until it says false again, --enable-debug builds abort where it would take the
 * engine's lock. Elsewhere it costs nothing and checks nothing.
 */
void rcl_thread_never_blocks(bool never);
/*
 * Call @fn(@arg) in the calling thread whenever the engine is about to block it (a read it
 * waits for, a page another thread has locked, a wait for memory), with no lock of the
 * engine's held; NULL stops it. As io-wq is told when one of its workers sleeps, so that
 * another takes the queue: the daemon's fault thread has a helper read the faults meanwhile.
 * @fn must not call into the engine. Not every call is followed by a sleep.
 */
void rcl_thread_sleep_hook(void (*fn)(void *arg), void *arg);
/*
 * The calling (attached) thread starts or stops running a request. PSI counts busy threads as
 * tasks: "full" memory pressure is time when every busy or stalled thread is stalled at once.
 * -ENOENT if the thread is not attached.
 */
int rcl_thread_busy(struct rcl_engine *engine, bool busy);

enum rcl_view {
	RCL_VIEW_LAYOUT,	/* nodes, zones, frames, watermarks: one line each */
	RCL_VIEW_VMSTAT,	/* /proc/vmstat */
	RCL_VIEW_ZONEINFO,	/* /proc/zoneinfo */
	RCL_VIEW_BUDDYINFO,	/* /proc/buddyinfo */
	RCL_VIEW_MEMINFO,	/* /proc/meminfo */
};

int rcl_engine_show(struct rcl_engine *engine, enum rcl_view view, FILE *out);

/*
 * Every /proc/vmstat counter with its kernel name: @cumulative for events (they only grow),
 * not for gauges (page counts). The names come from the same lists as the text views.
 */
typedef void (*rcl_counter_fn)(void *arg, const char *name, uint64_t value, bool cumulative);
void rcl_vmstat_foreach(struct rcl_engine *engine, rcl_counter_fn fn, void *arg);

/*
 * Raw allocations: 2^order unmovable, non-LRU frames (what slab and kernel allocations are in
 * the kernel), so that a client can create pressure directly and test orders above 0.
 * rcl_alloc_pages returns the first frame number; rcl_free_pages accepts only a frame number
 * and order that rcl_alloc_pages returned (anything else is -EINVAL and changes nothing).
 */
#define RCL_NUMA_NO_NODE	(-1)	/* any node (nid argument) */
#define RCL_ALLOC_ATOMIC	0x1u	/* GFP_ATOMIC: may dip into reserves, never reclaims */
#define RCL_ALLOC_NOWAIT	0x2u	/* GFP_NOWAIT: no reclaim of its own, wakes kswapd */
#define RCL_ALLOC_THISNODE	0x4u	/* only the given node */
#define RCL_ALLOC_MOVABLE	0x8u	/* movable instead of unmovable pageblocks */

int rcl_alloc_pages(struct rcl_engine *engine, unsigned int order, int nid, unsigned int flags,
		    uint32_t *ret_pfn);
int rcl_free_pages(struct rcl_engine *engine, uint32_t pfn, unsigned int order);

/* Figures a client needs to know: page size, frames, nodes, free pages. */
struct rcl_engine_info {
	uint32_t page_size;
	uint64_t arena_bytes;
	uint64_t nr_frames;
	uint32_t nr_nodes;
	uint64_t free_pages;
	uint64_t min_free_kbytes;
	uint32_t watermark_scale_factor;
	enum rcl_reclaim_policy reclaim_policy;
	/* The model lock (mm_lock): times taken, times a thread had to wait for it, and the
	 * waits' sum. */
	uint64_t lock_acquired;
	uint64_t lock_contended;
	uint64_t lock_wait_ns;
};

void rcl_engine_info(struct rcl_engine *engine, struct rcl_engine_info *ret);

/*
 * kswapd. The daemon runs it as one thread per node; the deterministic engine has no threads,
 * so a caller runs it here: balance_pgdat for every node woken since the last call.
 */
int rcl_kswapd_run(struct rcl_engine *engine, uint64_t *ret_reclaimed);

/*
 * Service threads for a daemon: one kswapd thread per node (woken when an allocation passes
 * a low watermark, running beside direct reclaim) and a flusher that writes dirty file pages
 * back every dirty_writeback_centisecs (5 s). With them running, reclaimers also sleep where
 * the kernel's do (throttled direct reclaim, congestion). Every rcl_* call is safe from
 * several threads at once: the model is serialized by one lock, never held across I/O.
 */
int rcl_engine_start_threads(struct rcl_engine *engine);
void rcl_engine_stop_threads(struct rcl_engine *engine);

/* Sysctls that can change at run time; each recomputes what depends on it. */
int rcl_set_min_free_kbytes(struct rcl_engine *engine, unsigned int kbytes);
int rcl_set_watermark_scale_factor(struct rcl_engine *engine, unsigned int factor);

#ifdef __cplusplus
}
#endif

#endif /* RECLAIM_ENGINE_H */
