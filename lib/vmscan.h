/*
 * vmscan.h - the reclaim path of the seed (vmscan.c) and what other files call into it.
 */
#ifndef RCL_VMSCAN_H
#define RCL_VMSCAN_H

#include "memcontrol.h"

#define SWAP_CLUSTER_MAX	32UL
#define DEF_PRIORITY		12
#define COMPACT_CLUSTER_MAX	SWAP_CLUSTER_MAX

/* The reclaim context carried down the path (spec 5.1). */
struct scan_control {
	unsigned long nr_to_reclaim;	/* how many pages to reclaim before stopping */
	const nodemask_t *nodemask;	/* nodes to scan; NULL: all */
	struct mem_cgroup *target_mem_cgroup; /* limit/proactive reclaim; NULL: global */
	unsigned int may_writepage:1;	/* may write dirty pages out */
	unsigned int may_unmap:1;	/* may unmap mapped pages */
	unsigned int may_swap:1;	/* may swap anonymous pages out */
	unsigned int memcg_low_reclaim:1;	/* second pass: reclaim memory.low groups */
	unsigned int memcg_low_skipped:1;	/* a low-protected group was skipped */
	unsigned int writeback_waited:3;	/* times it waited for in-flight writes (at most 4) */
	unsigned int hibernation_mode:1;
	unsigned int compaction_ready:1;
	int order;			/* allocation order */
	int priority;			/* scan lru_size >> priority */
	int reclaim_idx;		/* highest zone index to reclaim from */
	gfp_t gfp_mask;
	unsigned long nr_scanned;	/* incremented by shrink_page_list */
	/* Of the pages shrink_page_list is given, those its caller counted in NR_ISOLATED_ANON
	 * and _FILE, by type (shrink_inactive_list's and CLOCK-Pro's hand_cold's nr_taken; 0
	 * for madvise's, which the kernel does not count either): a take-back that lets mm_lock
	 * go declares them (pgdat->isolated_unlocked). */
	unsigned long nr_isolated[2];
	unsigned long nr_reclaimed;
	/* memory.reclaim's swappiness= for this reclaim (Linux 6.13), or NULL: the group's. */
	const int *proactive_swappiness;
	struct {			/* one shrink_node round's writeback state */
		unsigned int dirty;
		unsigned int unqueued_dirty;
		unsigned int congested;
		unsigned int writeback;
		unsigned int immediate;
		unsigned int file_taken;
		unsigned int taken;
	} nr;
};

static inline bool global_reclaim(const struct scan_control *sc)
{
	return !sc->target_mem_cgroup;
}

/* reclaimd implements cgroup v2 only: legacy memcg reclaim never happens. */
static inline bool sane_reclaim(const struct scan_control *sc)
{
	(void)sc;
	return true;
}

enum page_references {
	PAGEREF_RECLAIM,
	PAGEREF_RECLAIM_CLEAN,
	PAGEREF_KEEP,
	PAGEREF_ACTIVATE,
};

typedef enum {
	PAGE_KEEP,	/* failed to write the page out, keep it */
	PAGE_ACTIVATE,	/* move it to the active list */
	PAGE_SUCCESS,	/* written, or the write failed: either way the page is unlocked */
	PAGE_CLEAN,	/* it was not dirty */
} pageout_t;

struct reclaim_stat {
	unsigned int nr_dirty;
	unsigned int nr_unqueued_dirty;
	unsigned int nr_congested;
	unsigned int nr_writeback;
	unsigned int nr_immediate;
	unsigned int nr_activate;
	unsigned int nr_ref_keep;
	unsigned int nr_unmap_fail;
};

enum scan_balance { SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE };

#define ISOLATE_UNMAPPED	0x2u

unsigned long try_to_free_pages(struct rcl_engine *engine, struct zonelist *zonelist, int order,
				gfp_t gfp_mask, const nodemask_t *nodemask);
unsigned long do_try_to_free_pages(struct rcl_engine *engine, struct zonelist *zonelist,
				   struct scan_control *sc);
void shrink_zones(struct rcl_engine *engine, struct zonelist *zonelist, struct scan_control *sc);
bool shrink_node(struct pglist_data *pgdat, struct scan_control *sc);
void shrink_node_memcg(struct pglist_data *pgdat, struct mem_cgroup *memcg,
		       struct scan_control *sc, unsigned long *lru_pages);
bool scan_adjust(unsigned long nr[NR_LRU_LISTS], const unsigned long targets[NR_LRU_LISTS]);
void get_scan_count(struct lruvec *lruvec, struct mem_cgroup *memcg, struct scan_control *sc,
		    unsigned long *nr, unsigned long *lru_pages);
enum scan_balance get_scan_balance(struct lruvec *lruvec, struct mem_cgroup *memcg,
				   struct scan_control *sc);
bool inactive_list_is_low(struct lruvec *lruvec, bool file, struct mem_cgroup *memcg,
			  struct scan_control *sc, bool actual_reclaim);
unsigned long inactive_ratio_for(unsigned long inactive_plus_active);
unsigned long shrink_list(enum lru_list lru, unsigned long nr_to_scan, struct lruvec *lruvec,
			  struct mem_cgroup *memcg, struct scan_control *sc);
void shrink_active_list(unsigned long nr_to_scan, struct lruvec *lruvec,
			struct scan_control *sc, enum lru_list lru);
unsigned long clockpro_shrink(unsigned long nr_to_scan, struct lruvec *lruvec,
			      struct scan_control *sc, enum lru_list lru);
unsigned long shrink_inactive_list(unsigned long nr_to_scan, struct lruvec *lruvec,
				   struct scan_control *sc, enum lru_list lru);
void count_reclaim_scan(struct lruvec *lruvec, struct scan_control *sc, bool file,
			unsigned long nr_scanned);
void count_reclaim_steal(struct lruvec *lruvec, struct scan_control *sc, bool file,
			 unsigned long nr_reclaimed);
void shrink_inactive_done(struct lruvec *lruvec, struct scan_control *sc, bool file,
			  unsigned long nr_taken, unsigned long nr_scanned,
			  unsigned long nr_reclaimed, const struct reclaim_stat *stat);
unsigned long isolate_lru_pages(unsigned long nr_to_scan, struct lruvec *lruvec,
				struct page_list *dst, unsigned long *nr_scanned,
				struct scan_control *sc, unsigned int mode, enum lru_list lru);
enum page_references page_check_references(struct page *page, struct scan_control *sc);
unsigned long shrink_page_list(struct page_list *page_list, struct pglist_data *pgdat,
			       struct scan_control *sc, unsigned int ttu_flags,
			       struct reclaim_stat *stat, bool force_reclaim);
pageout_t pageout(struct page *page, struct address_space *mapping, struct scan_control *sc);
bool too_many_isolated(struct pglist_data *pgdat, bool file, struct scan_control *sc);
bool should_continue_reclaim(struct pglist_data *pgdat, unsigned long nr_reclaimed,
			     unsigned long nr_scanned, struct scan_control *sc);
void snapshot_refaults(struct mem_cgroup *root, struct pglist_data *pgdat);
bool pgdat_balanced(struct pglist_data *pgdat, int order, int classzone_idx);
void wakeup_kswapd(struct zone *zone, gfp_t gfp_flags, int order, int classzone_idx);
int balance_pgdat(struct pglist_data *pgdat, int order, int classzone_idx);
unsigned long try_to_free_mem_cgroup_pages(struct mem_cgroup *memcg, unsigned long nr_pages,
					   gfp_t gfp_mask, bool may_swap);
/* Proactive reclaim (memory.reclaim) with its swappiness= (NULL: the group's). */
unsigned long try_to_free_mem_cgroup_pages_proactive(struct mem_cgroup *memcg,
						     unsigned long nr_pages,
						     const int *swappiness);
unsigned long try_to_free_mem_cgroup_pages_async(struct mem_cgroup *memcg,
						 unsigned long nr_pages, gfp_t gfp_mask,
						 bool may_swap);
void mem_cgroup_wait_writeback(struct rcl_engine *engine);
unsigned long mem_cgroup_shrink_node(struct mem_cgroup *memcg, gfp_t gfp_mask,
				     struct pglist_data *pgdat, unsigned long *nr_scanned);
unsigned long shrink_all_clean_file(struct rcl_engine *engine);
void trace_emit(struct rcl_engine *engine, struct rcl_trace_event *ev);

#define trace_event(engine, ...)						\
	do {									\
		if (__builtin_expect((engine)->trace_fn != NULL, 0)) {		\
			struct rcl_trace_event __ev = { __VA_ARGS__ };		\
			trace_emit((engine), &__ev);				\
		}								\
	} while (0)

/* oom_kill.c */
bool out_of_memory(struct rcl_engine *engine, gfp_t gfp, int order);
bool mem_cgroup_out_of_memory(struct rcl_engine *engine, struct mem_cgroup *memcg);

/* kswapd threads, one per node (kthreads.c starts and stops them with the flusher). */
int kswapd_run(struct pglist_data *pgdat);
void kswapd_stop(struct pglist_data *pgdat);

#endif /* RCL_VMSCAN_H */
