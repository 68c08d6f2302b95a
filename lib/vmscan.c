/*
 * vmscan.c - page reclaim: the seed's direct reclaim path and kswapd's balance_pgdat.
 *
 *   try_to_free_pages                      build the scan_control, throttle, trace
 *     do_try_to_free_pages                 priority 12 -> 0, low-protection retry
 *       shrink_zones                       each node once, soft-limit reclaim first
 *         shrink_node                      walk the memcgs, vmpressure, node flags, stalls
 *           shrink_node_memcg              get_scan_count, proportional adjustment
 *             shrink_list                  an active list only when its inactive one is low
 *               shrink_active_list         deactivate, keep referenced exec file pages
 *               shrink_inactive_list       isolate, shrink_page_list, putback
 *                 shrink_page_list         activate / keep / swap out / write back / free
 *
 * Every decision follows kernel-reclaim-spec.md (v4.19) with its constants and its integer
 * arithmetic; section numbers are quoted where a rule is applied. Caller holds mm_lock.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "memcontrol.h"
#include "vmscan.h"

const char *const rcl_trace_names[RCL_TRACE_NR_TYPES] = {
	[RCL_TRACE_DIRECT_RECLAIM_BEGIN] = "mm_vmscan_direct_reclaim_begin",
	[RCL_TRACE_DIRECT_RECLAIM_END] = "mm_vmscan_direct_reclaim_end",
	[RCL_TRACE_MEMCG_RECLAIM_BEGIN] = "mm_vmscan_memcg_reclaim_begin",
	[RCL_TRACE_MEMCG_RECLAIM_END] = "mm_vmscan_memcg_reclaim_end",
	[RCL_TRACE_KSWAPD_WAKE] = "mm_vmscan_kswapd_wake",
	[RCL_TRACE_KSWAPD_SLEEP] = "mm_vmscan_kswapd_sleep",
	[RCL_TRACE_WAKEUP_KSWAPD] = "mm_vmscan_wakeup_kswapd",
	[RCL_TRACE_LRU_ISOLATE] = "mm_vmscan_lru_isolate",
	[RCL_TRACE_LRU_SHRINK_INACTIVE] = "mm_vmscan_lru_shrink_inactive",
	[RCL_TRACE_LRU_SHRINK_ACTIVE] = "mm_vmscan_lru_shrink_active",
	[RCL_TRACE_WRITEPAGE] = "mm_vmscan_writepage",
	[RCL_TRACE_INACTIVE_LIST_IS_LOW] = "mm_vmscan_inactive_list_is_low",
	[RCL_TRACE_CLOCKPRO_PROMOTE] = "clockpro_promote",
	[RCL_TRACE_CLOCKPRO_DEMOTE] = "clockpro_demote",
	[RCL_TRACE_CLOCKPRO_REFAULT_HOT] = "clockpro_refault_hot",
};

void trace_emit(struct rcl_engine *engine, struct rcl_trace_event *ev)
{
	engine->trace_fn(engine->trace_arg, ev);
}

static bool current_is_kswapd(struct rcl_engine *engine)
{
	struct task_struct *task = current_or_default(engine);

	return task->flags & PF_KSWAPD;
}

/* congestion_wait(BLK_RW_ASYNC, HZ/10): sleep 100 ms without mm_lock (a daemon only). */
static void congestion_wait(struct rcl_engine *engine)
{
	struct timespec deadline;

	if (!reclaim_may_sleep(engine))
		return;
	clock_gettime(CLOCK_REALTIME, &deadline);
	timespec_add_ms(&deadline, 100);
	mm_wait_event(engine, &engine->congestion_wait, &deadline);
}

static struct mem_cgroup *root_or(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	return memcg ? memcg : engine->root_mem_cgroup;
}

/* ---- list sizes and the inactive ratio (spec 9) --------------------------------------- */

/* int_sqrt(10 * whole GiB of the pair), or 1 below 1 GiB. */
unsigned long inactive_ratio_for(unsigned long inactive_plus_active)
{
	unsigned long gb = inactive_plus_active >> (30 - PAGE_SHIFT);

	return gb ? int_sqrt(10 * gb) : 1;
}

bool inactive_list_is_low(struct lruvec *lruvec, bool file, struct mem_cgroup *memcg,
			  struct scan_control *sc, bool actual_reclaim)
{
	enum lru_list active_lru = file ? LRU_ACTIVE_FILE : LRU_ACTIVE_ANON;
	enum lru_list inactive_lru = file ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
	struct rcl_engine *engine = lruvec->pgdat->engine;
	unsigned long inactive, active, inactive_ratio, refaults;

	/* Without swap there is no point deactivating anon pages. */
	if (!file && !total_swap_pages(engine))
		return false;
	inactive = lruvec_lru_size(lruvec, inactive_lru, sc->reclaim_idx);
	active = lruvec_lru_size(lruvec, active_lru, sc->reclaim_idx);

	/* A new working set is forming if pages were activated on refault since the last
	 * reclaim run: then the whole active file list may go (spec 9 step 3). */
	refaults = (unsigned long)memcg_node_state(root_or(engine, memcg), WORKINGSET_ACTIVATE);
	if (file && actual_reclaim && lruvec->refaults != refaults)
		inactive_ratio = 0;
	else
		inactive_ratio = inactive_ratio_for(inactive + active);

	if (actual_reclaim)
		trace_event(engine, .type = RCL_TRACE_INACTIVE_LIST_IS_LOW,
			    .nid = lruvec->pgdat->node_id, .classzone_idx = sc->reclaim_idx,
			    .total_inactive = lruvec_lru_size(lruvec, inactive_lru, MAX_NR_ZONES),
			    .inactive = inactive,
			    .total_active = lruvec_lru_size(lruvec, active_lru, MAX_NR_ZONES),
			    .active = active, .ratio = inactive_ratio, .file = file);
	return inactive * inactive_ratio < active;
}

/* ---- get_scan_count (spec 7) ----------------------------------------------------------- */

static unsigned long node_free_pages(struct pglist_data *pgdat)
{
	unsigned long free = 0;
	int zid;

	for (zid = 0; zid < MAX_NR_ZONES; zid++)
		free += zone_page_state(&pgdat->node_zones[zid], NR_FREE_PAGES);
	return free;
}

static unsigned long node_high_wmarks(struct pglist_data *pgdat)
{
	unsigned long sum = 0;
	int zid;

	for (zid = 0; zid < MAX_NR_ZONES; zid++)
		if (managed_zone(&pgdat->node_zones[zid]))
			sum += high_wmark_pages(&pgdat->node_zones[zid]);
	return sum;
}

/* The swappiness this reclaim weighs anon by: a proactive reclaim's own, else the group's. */
static unsigned int sc_swappiness(const struct scan_control *sc, struct mem_cgroup *memcg)
{
	if (sc->proactive_swappiness)
		return (unsigned int)*sc->proactive_swappiness;
	return mem_cgroup_swappiness(memcg);
}

/* Which lists to scan: the first matching row of the table in spec 7. */
enum scan_balance get_scan_balance(struct lruvec *lruvec, struct mem_cgroup *memcg,
				   struct scan_control *sc)
{
	struct pglist_data *pgdat = lruvec->pgdat;
	int swappiness = (int)sc_swappiness(sc, root_or(pgdat->engine, memcg));

	if (!sc->may_swap || mem_cgroup_get_nr_swap_pages(root_or(pgdat->engine, memcg)) <= 0)
		return SCAN_FILE;
	if (!global_reclaim(sc) && !swappiness)
		return SCAN_FILE;
	if (!sc->priority && swappiness)
		return SCAN_EQUAL;
	if (global_reclaim(sc)) {
		unsigned long pgdatfile = node_page_state(pgdat, NR_ACTIVE_FILE) +
					  node_page_state(pgdat, NR_INACTIVE_FILE);

		/* So little file cache left that reclaiming it would thrash: go for anon. */
		if (pgdatfile + node_free_pages(pgdat) <= node_high_wmarks(pgdat) &&
		    !inactive_list_is_low(lruvec, false, memcg, sc, false) &&
		    lruvec_lru_size(lruvec, LRU_INACTIVE_ANON, sc->reclaim_idx) >> sc->priority)
			return SCAN_ANON;
	}
	if (!inactive_list_is_low(lruvec, true, memcg, sc, false) &&
	    lruvec_lru_size(lruvec, LRU_INACTIVE_FILE, sc->reclaim_idx) >> sc->priority)
		return SCAN_FILE;
	return SCAN_FRACT;
}

/*
 * How many pages of each evictable list to scan at this priority, weighting anon against file
 * by swappiness and by how many scanned pages turned out to be in use (rotated).
 */
void get_scan_count(struct lruvec *lruvec, struct mem_cgroup *memcg, struct scan_control *sc,
		    unsigned long *nr, unsigned long *lru_pages)
{
	struct zone_reclaim_stat *rs = &lruvec->reclaim_stat;
	struct mem_cgroup *group = root_or(lruvec->pgdat->engine, memcg);
	unsigned long fraction[2] = { 0, 0 }, denominator = 1, anon, file, ap, fp;
	unsigned long anon_prio, file_prio;
	enum scan_balance balance = get_scan_balance(lruvec, memcg, sc);
	int lru;

	if (balance == SCAN_FRACT) {
		anon_prio = sc_swappiness(sc, group);
		file_prio = 200 - anon_prio;
		anon = lruvec_lru_size(lruvec, LRU_ACTIVE_ANON, MAX_NR_ZONES) +
		       lruvec_lru_size(lruvec, LRU_INACTIVE_ANON, MAX_NR_ZONES);
		file = lruvec_lru_size(lruvec, LRU_ACTIVE_FILE, MAX_NR_ZONES) +
		       lruvec_lru_size(lruvec, LRU_INACTIVE_FILE, MAX_NR_ZONES);
		/* Age the statistics so that the recent past weighs most. */
		lru_lock(lruvec->pgdat);
		if (rs->recent_scanned[0] > anon / 4) {
			rs->recent_scanned[0] /= 2;
			rs->recent_rotated[0] /= 2;
		}
		if (rs->recent_scanned[1] > file / 4) {
			rs->recent_scanned[1] /= 2;
			rs->recent_rotated[1] /= 2;
		}
		ap = anon_prio * (rs->recent_scanned[0] + 1) / (rs->recent_rotated[0] + 1);
		fp = file_prio * (rs->recent_scanned[1] + 1) / (rs->recent_rotated[1] + 1);
		lru_unlock(lruvec->pgdat);
		fraction[0] = ap;
		fraction[1] = fp;
		denominator = ap + fp + 1;
	}

	*lru_pages = 0;
	for (lru = LRU_INACTIVE_ANON; lru <= LRU_ACTIVE_FILE; lru++) {
		bool file_lru = is_file_lru((enum lru_list)lru);
		unsigned long size = lruvec_lru_size(lruvec, (enum lru_list)lru, sc->reclaim_idx);
		unsigned long scan = size >> sc->priority;

		/* A deleted group is scraped out even where the shift rounds to nothing. */
		if (!scan && !group->online)
			scan = min_t(unsigned long, size, SWAP_CLUSTER_MAX);
		switch (balance) {
		case SCAN_EQUAL:
			break;
		case SCAN_FRACT:
			scan = scan * fraction[file_lru] / denominator;
			break;
		case SCAN_FILE:
		case SCAN_ANON:
			if ((balance == SCAN_FILE) != file_lru) {
				size = 0;
				scan = 0;
			}
			break;
		}
		*lru_pages += size;
		nr[lru] = scan;
	}
}

/* ---- isolation (spec 11.1, 11.2) ------------------------------------------------------ */

/* Too many pages already isolated by direct reclaimers: wait for them rather than pile on. */
bool too_many_isolated(struct pglist_data *pgdat, bool file, struct scan_control *sc)
{
	unsigned long inactive, isolated;

	if (current_is_kswapd(pgdat->engine) || !sane_reclaim(sc))
		return false;
	inactive = node_page_state(pgdat, file ? NR_INACTIVE_FILE : NR_INACTIVE_ANON);
	isolated = node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON);
	/* NOIO/NOFS reclaimers may isolate more, so they are never stuck behind ordinary ones. */
	if ((sc->gfp_mask & (__GFP_IO | __GFP_FS)) == (__GFP_IO | __GFP_FS))
		inactive >>= 3;
	return isolated > inactive;
}

static int __isolate_lru_page(struct page *page, unsigned int mode)
{
	if (!PageLRU(page) || PageUnevictable(page))
		return -EINVAL;
	if ((mode & ISOLATE_UNMAPPED) && page_mapped(page))
		return -EBUSY;
	if (page_ref_count(page) == 0)	/* being freed */
		return -EBUSY;
	get_page(page);
	ClearPageLRU(page);
	return 0;
}

/*
 * Take up to @nr_to_scan pages from the tail of @lru onto @dst. Pages of zones above
 * reclaim_idx are skipped (and spliced back at the head); busy pages go back to the head.
 */
unsigned long isolate_lru_pages(unsigned long nr_to_scan, struct lruvec *lruvec,
				struct page_list *dst, unsigned long *nr_scanned,
				struct scan_control *sc, unsigned int mode, enum lru_list lru)
{
	struct page_list *src = &lruvec->lists[lru], skipped;
	unsigned long nr_taken = 0, nr_zone_taken[MAX_NR_ZONES] = { 0 };
	unsigned long nr_skipped[MAX_NR_ZONES] = { 0 }, total_skipped = 0, scan = 0,
		      total_scan = 0;
	struct rcl_engine *engine = lruvec->pgdat->engine;
	struct page *page;
	int zid;

	assert_lru_locked(lruvec->pgdat);
	page_list_init(&skipped, src->map);
	while (scan < nr_to_scan && nr_taken < nr_to_scan && (page = page_list_last(src))) {
		total_scan++;
		if ((int)page_zonenum(page) > sc->reclaim_idx) {
			page_list_move(src, &skipped, page);
			nr_skipped[page_zonenum(page)]++;
			continue;
		}
		scan++;
		if (__isolate_lru_page(page, mode) == 0) {
			page_list_move(src, dst, page);
			nr_taken++;
			nr_zone_taken[page_zonenum(page)]++;
		} else {
			page_list_move(src, src, page);	/* busy: to the head */
		}
	}
	if (!page_list_empty(&skipped)) {
		/* At the head, so that the next batch does not rescan them. */
		page_list_splice(&skipped, src);
		for (zid = 0; zid < MAX_NR_ZONES; zid++) {
			if (!nr_skipped[zid])
				continue;
			__count_zid_vm_events(engine, PGSCAN_SKIP_DMA32, (enum zone_type)zid,
					      nr_skipped[zid]);
			total_skipped += nr_skipped[zid];
		}
	}
	*nr_scanned = total_scan;
	for (zid = 0; zid < MAX_NR_ZONES; zid++)
		if (nr_zone_taken[zid])
			update_lru_size(lruvec, lru, zid, -(long)nr_zone_taken[zid]);
	trace_event(engine, .type = RCL_TRACE_LRU_ISOLATE, .classzone_idx = sc->reclaim_idx,
		    .order = sc->order, .nr_requested = nr_to_scan, .nr_scanned = total_scan,
		    .nr_skipped = total_skipped, .nr_taken = nr_taken, .isolate_mode = (int)mode,
		    .lru = lru);
	return nr_taken;
}

/* ---- reference checks (spec 12.1) ------------------------------------------------------ */

enum page_references page_check_references(struct page *page, struct scan_control *sc)
{
	unsigned int vm_flags = 0;
	int referenced_ptes = page_referenced(page, sc->target_mem_cgroup, &vm_flags);
	bool referenced_page = TestClearPageReferenced(page);

	/* Mlock lost the race with reclaim: try_to_unmap moves it to the unevictable list. */
	if (vm_flags & VM_LOCKED)
		return PAGEREF_RECLAIM;
	if (referenced_ptes) {
		if (PageSwapBacked(page))
			return PAGEREF_ACTIVATE;
		/* Mapped file pages used once are kept one more round; twice, activated. */
		SetPageReferenced(page);
		if (referenced_page || referenced_ptes > 1)
			return PAGEREF_ACTIVATE;
		if (vm_flags & VM_EXEC)
			return PAGEREF_ACTIVATE;
		return PAGEREF_KEEP;
	}
	/* Reclaim if clean, defer dirty pages to writeback. */
	if (referenced_page && !PageSwapBacked(page))
		return PAGEREF_RECLAIM_CLEAN;
	return PAGEREF_RECLAIM;
}

/* ---- shrink_page_list (spec 13) -------------------------------------------------------- */

static void page_check_dirty_writeback(struct page *page, bool *dirty, bool *writeback)
{
	/* Anonymous and lazyfree pages are never the flushers' business. */
	if (!page_is_file_cache(page) || (PageAnon(page) && !PageSwapBacked(page))) {
		*dirty = false;
		*writeback = false;
		return;
	}
	*dirty = PageDirty(page);
	*writeback = PageWriteback(page);
}

/*
 * Write a dirty page out for reclaim (spec 13 pageout). In deterministic mode the write may
 * already be complete when this returns; shrink_page_list handles both cases.
 */
pageout_t pageout(struct page *page, struct address_space *mapping, struct scan_control *sc)
{
	struct rcl_engine *engine = page_engine(page);
	bool swap = PageSwapCache(page);
	int err;

	(void)sc;
	/* The cache (page or swap) and our isolation: anything more is a user, keep it. */
	if (page_ref_count(page) != 2)
		return PAGE_KEEP;
	if (!mapping && !swap)
		return PAGE_KEEP;
	if (!clear_page_dirty_for_io(page))
		return PAGE_CLEAN;
	SetPageReclaim(page);
	/* The writepage unlocks the page, on failure too: it is then dirty again and stays on
	 * the inactive list (shrink_page_list keeps it unlocked), never activated with a lock
	 * that is no longer ours. */
	err = swap ? swap_writepage(page) : file_writepage(page);
	if (err < 0 || !PageWriteback(page))
		ClearPageReclaim(page);	/* failed, or a synchronous write already done */
	trace_event(engine, .type = RCL_TRACE_WRITEPAGE, .pfn = page_to_pfn(page),
		    .file = !swap);
	mod_node_page_state(page_pgdat(page), NR_VMSCAN_WRITE, 1);
	return PAGE_SUCCESS;
}

/*
 * Detach a clean, unmapped page from its page cache or swap cache. Only the cache's and the
 * isolation's references may be left, and it must still be clean (spec 13 __remove_mapping).
 */
static int __remove_mapping(struct address_space *mapping, struct page *page, bool reclaimed)
{
	uint64_t shadow = 0;

	if (PageSwapCache(page)) {
		struct rcl_engine *engine = page_engine(page);
		swp_entry_t entry = swp_entry(page->private);
		void (*hook)(struct rcl_engine *) = atomic_load(&engine->swap_remove_hook);
		struct swap_cluster_info *ci;

		if (hook)
			hook(engine);
		ci = swap_cluster_lock(engine, entry);
		/* Counted under the slot's cluster lock, as a page cache page's under i_pages:
		 * lookup_swap_cache takes its reference under it. */
		if (page_ref_count(page) != 2 || PageDirty(page)) {
			swap_cluster_unlock(ci);
			return 0;
		}
		/* A shadow in the slot, if the policy keeps one for anon pages (workingset.c). */
		if (reclaimed)
			shadow = workingset_eviction(NULL, page);
		__delete_from_swap_cache(page, shadow);
		swap_cluster_unlock(ci);
		swap_entry_put_cache(engine, entry);
	} else {
		/* The cache's own mapping: an anonymous page outside swap has one too. */
		struct address_space *cache = mapping_lookup(page_engine(page), page->mapping);

		/* The references are counted under the cache's lock, as the kernel's freeze is
		 * done under it: a reader that finds the page there takes its reference under
		 * the lock, so none can come between this count and the removal. */
		i_pages_lock(cache);
		if (page_ref_count(page) != 2 || PageDirty(page)) {
			i_pages_unlock(cache);
			return 0;
		}
		if (reclaimed && mapping)
			shadow = workingset_eviction(mapping, page);
		__delete_from_page_cache(page, shadow);
		i_pages_unlock(cache);
	}
	set_page_count(page, 1);	/* the cache's reference is gone with it */
	return 1;
}

bool PageAnon(const struct page *page)
{
	struct address_space *m = mapping_lookup(page_engine(page), page->mapping);

	return m ? m->type == MAPPING_ANON : PageSwapBacked(page);
}

static struct address_space *page_mapping_of(struct page *page)
{
	struct address_space *m = mapping_lookup(page_engine(page), page->mapping);

	return m && m->type == MAPPING_FILE ? m : NULL;
}

/*
 * Pages a client holds (mapped.c) wait at the unmap step, locked, until shrink_page_list has
 * TAKE_BACK_BATCH of them or no other page: their bytes are then taken back together, each run
 * of a region's consecutive pages in one call (mapped_take_back_pages), and each page goes on
 * from the unmap step with what its checks decided. try_to_unmap takes back alone any page
 * that the batch did not.
 */
struct take_back {
	struct pglist_data *pgdat;	/* the node of shrink_page_list's pages */
	const unsigned long *nr_isolated; /* [anon, file]: of them, counted in NR_ISOLATED_* */
	unsigned int nr;		/* parked */
	unsigned int next;		/* once taken back: the next to go on */
	bool taken;
	struct page *page[TAKE_BACK_BATCH];
	enum page_references references[TAKE_BACK_BATCH];
	bool may_enter_fs[TAKE_BACK_BATCH];
	bool lazyfree[TAKE_BACK_BATCH];
};

static void take_back_park(struct take_back *tb, struct page *page,
			   enum page_references references, bool may_enter_fs, bool lazyfree)
{
	tb->page[tb->nr] = page;
	tb->references[tb->nr] = references;
	tb->may_enter_fs[tb->nr] = may_enter_fs;
	tb->lazyfree[tb->nr] = lazyfree;
	tb->nr++;
}

/*
 * The next parked page to go on with, its bytes taken back, or NULL while pages are still to
 * be parked (the batch is not full and @page_list has more).
 */
static struct page *take_back_next(struct take_back *tb, struct page_list *page_list,
				   enum page_references *references, bool *may_enter_fs,
				   bool *lazyfree)
{
	unsigned int i;

	if (tb->taken && tb->next == tb->nr) {
		tb->nr = tb->next = 0;
		tb->taken = false;
	}
	if (!tb->taken) {
		if (!tb->nr || (tb->nr < TAKE_BACK_BATCH && !page_list_empty(page_list)))
			return NULL;
		mapped_take_back_pages(tb->page, tb->nr, tb->pgdat, tb->nr_isolated);
		tb->taken = true;
	}
	i = tb->next++;
	*references = tb->references[i];
	*may_enter_fs = tb->may_enter_fs[i];
	*lazyfree = tb->lazyfree[i];
	return tb->page[i];
}

/*
 * Try to reclaim each isolated, inactive page of @page_list. What cannot be reclaimed stays on
 * the list (activated or not) for the caller to put back. Returns the pages reclaimed.
 */
unsigned long shrink_page_list(struct page_list *page_list, struct pglist_data *pgdat,
			       struct scan_control *sc, unsigned int ttu_flags,
			       struct reclaim_stat *stat, bool force_reclaim)
{
	struct rcl_engine *engine = pgdat->engine;
	struct page_list ret_pages, free_pages;
	unsigned long nr_reclaimed = 0;
	unsigned int nr_pgactivate = 0;
	struct take_back tb = { .pgdat = pgdat, .nr_isolated = sc->nr_isolated };
	struct page *page;

	memset(stat, 0, sizeof(*stat));
	page_list_init(&ret_pages, page_list->map);
	page_list_init(&free_pages, page_list->map);

	/* Oldest first, as isolated from the LRU's tail: the pages swapped out together get
	 * their slots in the order they aged, so a range read back is one read of a run. */
	for (;;) {
		enum page_references references = PAGEREF_RECLAIM_CLEAN;
		struct address_space *mapping;
		bool dirty, writeback, may_enter_fs, lazyfree, taken_back = false;

		page = take_back_next(&tb, page_list, &references, &may_enter_fs, &lazyfree);
		if (page) {
			/* A client's page parked below, its batch taken back: unmap it now. */
			taken_back = true;
			goto unmap;
		}
		page = page_list_last(page_list);
		if (!page)
			break;
		page_list_del(page_list, page);
		if (!trylock_page(page))
			goto keep;
		sc->nr_scanned++;
		if (!page_evictable(page))
			goto activate_locked;
		if (!sc->may_unmap && page_mapped(page))
			goto keep_locked;
		lazyfree = PageAnon(page) && !PageSwapBacked(page);
		/* Mapped or swap cache pages cost twice: they are scanned again by their owner. */
		if ((page_mapped(page) || PageSwapCache(page)) && !lazyfree)
			sc->nr_scanned++;
		may_enter_fs = (sc->gfp_mask & __GFP_FS) ||
			       (PageSwapCache(page) && (sc->gfp_mask & __GFP_IO));

		page_check_dirty_writeback(page, &dirty, &writeback);
		if (dirty || writeback)
			stat->nr_dirty++;
		if (dirty && !writeback)
			stat->nr_unqueued_dirty++;
		/* No file is marked write-congested here (the queue depth of spec 23.4 is not
		 * tracked) and swap never is: only the writeback-and-reclaim half of the
		 * congested rule can hold. */
		if (writeback && PageReclaim(page))
			stat->nr_congested++;

		if (PageWriteback(page)) {
			/* Case 1: kswapd met it twice on a node whose scans were all writeback. */
			if (current_is_kswapd(engine) && PageReclaim(page) &&
			    test_bit_pgdat(pgdat, PGDAT_WRITEBACK)) {
				stat->nr_immediate++;
				goto activate_locked;
			}
			/* Case 2: mark it for immediate reclaim at writeback end and move on. */
			SetPageReclaim(page);
			stat->nr_writeback++;
			goto activate_locked;
		}

		if (!force_reclaim)
			references = page_check_references(page, sc);
		switch (references) {
		case PAGEREF_ACTIVATE:
			goto activate_locked;
		case PAGEREF_KEEP:
			stat->nr_ref_keep++;
			goto keep_locked;
		case PAGEREF_RECLAIM:
		case PAGEREF_RECLAIM_CLEAN:
			break;
		}

		/* Its slot's write failed (the slot retires): map the page back and let the slot
		 * go, so that the step below gives it a good one. PG_error, which the failure
		 * set, keeps the slot's lock off every other page's scan. */
		if (PageSwapCache(page) && PageError(page) &&
		    swap_entry_retiring(engine, swp_entry(page->private)) &&
		    !unuse_retired_swap(page))
			goto keep_locked;

		/* Anonymous page without a slot: give it one (spec 13 step 10). */
		if (PageAnon(page) && PageSwapBacked(page) && !PageSwapCache(page)) {
			if (!(sc->gfp_mask & __GFP_IO))
				goto keep_locked;
			if (!add_to_swap(page))
				goto activate_locked;
			may_enter_fs = true;
		}
unmap:
		mapping = page_mapping_of(page);

		if (page_mapped(page)) {
			if (!taken_back && page_mapped_out(page)) {
				take_back_park(&tb, page, references, may_enter_fs, lazyfree);
				continue;
			}
			if (!try_to_unmap(page, ttu_flags)) {
				stat->nr_unmap_fail++;
				goto activate_locked;
			}
		}

		if (PageDirty(page)) {
			/* Only kswapd writes file pages, and only pages it met before on a node
			 * whose file pages were all dirty: the rest is the flushers' job. */
			if (page_is_file_cache(page) &&
			    (!current_is_kswapd(engine) || !PageReclaim(page) ||
			     !test_bit_pgdat(pgdat, PGDAT_DIRTY))) {
				mod_node_page_state(pgdat, NR_VMSCAN_IMMEDIATE, 1);
				SetPageReclaim(page);
				goto activate_locked;
			}
			if (references == PAGEREF_RECLAIM_CLEAN || !may_enter_fs ||
			    !sc->may_writepage)
				goto keep_locked;

			switch (pageout(page, mapping, sc)) {
			case PAGE_KEEP:
				goto keep_locked;
			case PAGE_ACTIVATE:
				goto activate_locked;
			case PAGE_SUCCESS:
				if (PageWriteback(page) || PageDirty(page))
					goto keep;	/* completion rotates it (spec 18) */
				if (!trylock_page(page))
					goto keep;
				if (PageDirty(page) || PageWriteback(page))
					goto keep_locked;
				mapping = page_mapping_of(page);
				break;
			case PAGE_CLEAN:
				break;
			}
		}

		if (lazyfree) {
			/* Still clean since MADV_FREE: the contents are dropped, not swapped. */
			if (page_ref_count(page) != 1 || PageDirty(page))
				goto keep_locked;
			count_vm_event(engine, PGLAZYFREED);
		} else if (!__remove_mapping(mapping, page, true)) {
			goto keep_locked;
		}

		/* free_it: */
		unlock_page(page);
		nr_reclaimed++;
		page_list_add(&free_pages, page);
		continue;

activate_locked:
		/* Swap that will never be needed again (full, or the page is locked in). */
		if (PageSwapCache(page) && (mem_cgroup_swap_full(page) || PageMlocked(page)))
			try_to_free_swap(page);
		if (!PageMlocked(page)) {
			SetPageActive(page);
			nr_pgactivate++;
			count_memcg_events(page_memcg(page), PGACTIVATE, 1);
		}
keep_locked:
		unlock_page(page);
keep:
		page_list_add(&ret_pages, page);
	}

	/* Free the reclaimed pages: only the isolation's reference is left on each. */
	while ((page = page_list_first(&free_pages))) {
		page_list_del(&free_pages, page);
		if (PageAnon(page) && !PageSwapBacked(page))
			page->mapping = 0;
		put_page(page);
	}
	page_list_splice(&ret_pages, page_list);
	count_vm_events(engine, PGACTIVATE, nr_pgactivate);
	stat->nr_activate = nr_pgactivate;
	return nr_reclaimed;
}

/* ---- shrink_inactive_list (spec 11.3) ------------------------------------------------- */

/*
 * Return what shrink_page_list kept to the LRU lists its flags select; lru_lock held, let go
 * only for an unevictable page (putback_lru_page). A page whose last reference was the
 * isolation's goes to @pages_to_free.
 */
static void putback_inactive_pages(struct lruvec *lruvec, struct page_list *page_list,
				   struct page_list *pages_to_free)
{
	struct pglist_data *pgdat = lruvec->pgdat;
	struct page *page;

	while ((page = page_list_last(page_list))) {	/* oldest first: ages kept in order */
		enum lru_list lru;

		page_list_del(page_list, page);
		if (!page_evictable(page)) {
			lru_unlock(pgdat);
			putback_lru_page(page);
			lru_lock(pgdat);
			continue;
		}
		lruvec = mem_cgroup_page_lruvec(page);
		SetPageLRU(page);
		lru = page_lru(page);
		add_page_to_lru_list(page, lruvec, lru);
		if (is_active_lru(lru))
			lruvec->reclaim_stat.recent_rotated[is_file_lru(lru)]++;
		/* The isolation's reference; the last one takes it off again. */
		put_page_lru_locked(page, lruvec, pages_to_free);
	}
}

/*
 * pgscan of an inactive-list scan: by reclaimer (kswapd or direct; global reclaim only in
 * vmstat) and, as v5.8 splits it, by LRU type for every reclaim, limit reclaim included. Both
 * policies' scans count here (shrink_inactive_list, CLOCK-Pro's hand_cold).
 */
void count_reclaim_scan(struct lruvec *lruvec, struct scan_control *sc, bool file,
			unsigned long nr_scanned)
{
	struct rcl_engine *engine = lruvec->pgdat->engine;
	struct mem_cgroup *memcg = root_or(engine, lruvec->memcg);
	bool kswapd = current_is_kswapd(engine);

	if (global_reclaim(sc))
		count_vm_events(engine, kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT, nr_scanned);
	count_memcg_events(memcg, kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT, nr_scanned);
	count_vm_events(engine, file ? PGSCAN_FILE : PGSCAN_ANON, nr_scanned);
	count_memcg_events(memcg, file ? PGSCAN_FILE : PGSCAN_ANON, nr_scanned);
	mod_memcg_state(memcg, MEMCG_PGSCAN, (long)nr_scanned);
}

/* pgsteal of what shrink_page_list freed, split as count_reclaim_scan splits pgscan. */
void count_reclaim_steal(struct lruvec *lruvec, struct scan_control *sc, bool file,
			 unsigned long nr_reclaimed)
{
	struct rcl_engine *engine = lruvec->pgdat->engine;
	struct mem_cgroup *memcg = root_or(engine, lruvec->memcg);
	bool kswapd = current_is_kswapd(engine);

	if (global_reclaim(sc))
		count_vm_events(engine, kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT, nr_reclaimed);
	count_memcg_events(memcg, kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT, nr_reclaimed);
	count_vm_events(engine, file ? PGSTEAL_FILE : PGSTEAL_ANON, nr_reclaimed);
	count_memcg_events(memcg, file ? PGSTEAL_FILE : PGSTEAL_ANON, nr_reclaimed);
	mod_memcg_state(memcg, MEMCG_PGSTEAL, (long)nr_reclaimed);
}

/*
 * The end of an inactive-list shrink, its pages put back: they are no longer isolated, the
 * flushers are woken if every page taken was dirty and not queued (they are behind), the
 * round's counts go to scan_control for the congestion and writeback decisions of
 * shrink_node (spec 6), and the trace point fires. Both policies end their scans here.
 */
void shrink_inactive_done(struct lruvec *lruvec, struct scan_control *sc, bool file,
			  unsigned long nr_taken, unsigned long nr_scanned,
			  unsigned long nr_reclaimed, const struct reclaim_stat *stat)
{
	struct pglist_data *pgdat = lruvec->pgdat;

	mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, -(long)nr_taken);
	if (stat->nr_unqueued_dirty == nr_taken)
		wakeup_flusher_threads(pgdat->engine);
	sc->nr.dirty += stat->nr_dirty;
	sc->nr.congested += stat->nr_congested;
	sc->nr.unqueued_dirty += stat->nr_unqueued_dirty;
	sc->nr.writeback += stat->nr_writeback;
	sc->nr.immediate += stat->nr_immediate;
	sc->nr.taken += (unsigned int)nr_taken;
	if (file)
		sc->nr.file_taken += (unsigned int)nr_taken;
	trace_event(pgdat->engine, .type = RCL_TRACE_LRU_SHRINK_INACTIVE, .nid = pgdat->node_id,
		    .nr_scanned = nr_scanned, .nr_reclaimed = nr_reclaimed,
		    .nr_dirty = stat->nr_dirty, .nr_writeback = stat->nr_writeback,
		    .nr_congested = stat->nr_congested, .nr_immediate = stat->nr_immediate,
		    .nr_activate = stat->nr_activate, .nr_ref_keep = stat->nr_ref_keep,
		    .nr_unmap_fail = stat->nr_unmap_fail, .priority = sc->priority, .file = file);
}

unsigned long shrink_inactive_list(unsigned long nr_to_scan, struct lruvec *lruvec,
				   struct scan_control *sc, enum lru_list lru)
{
	struct pglist_data *pgdat = lruvec->pgdat;
	struct rcl_engine *engine = pgdat->engine;
	bool file = is_file_lru(lru);
	unsigned long nr_scanned, nr_reclaimed, nr_taken;
	struct reclaim_stat stat;
	struct page_list page_list, pages_to_free;
	unsigned int mode = sc->may_unmap ? 0 : ISOLATE_UNMAPPED;

	/*
	 * Too many isolated by parallel reclaimers: wait once for them to put their pages back,
	 * then give up this list, as the kernel does after one congestion_wait. The
	 * deterministic engine has no other reclaimer, so its one step is to give up.
	 */
	if (too_many_isolated(pgdat, file, sc)) {
		congestion_wait(engine);
		if (too_many_isolated(pgdat, file, sc))
			return 0;
	}

	writeback_reap(engine);		/* rotate what finished writing: it is reclaimable now */
	lru_add_drain(engine);
	page_list_init(&page_list, lruvec->lists[lru].map);
	page_list_init(&pages_to_free, page_list.map);
	lru_lock(pgdat);
	nr_taken = isolate_lru_pages(nr_to_scan, lruvec, &page_list, &nr_scanned, sc, mode, lru);
	mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, (long)nr_taken);
	lruvec->reclaim_stat.recent_scanned[file] += nr_taken;
	lru_unlock(pgdat);
	count_reclaim_scan(lruvec, sc, file, nr_scanned);
	if (nr_taken == 0)
		return 0;

	sc->nr_isolated[file] = nr_taken;
	nr_reclaimed = shrink_page_list(&page_list, pgdat, sc, 0, &stat, false);
	sc->nr_isolated[file] = 0;
	count_reclaim_steal(lruvec, sc, file, nr_reclaimed);
	lru_lock(pgdat);
	putback_inactive_pages(lruvec, &page_list, &pages_to_free);
	lru_unlock(pgdat);
	release_freed_pages(&pages_to_free);
	shrink_inactive_done(lruvec, sc, file, nr_taken, nr_scanned, nr_reclaimed, &stat);
	return nr_reclaimed;
}

/* ---- shrink_active_list (spec 10) ------------------------------------------------------ */

/* lru_lock held: a page whose last reference was the isolation's goes to @pages_to_free. */
static unsigned long move_active_pages_to_lru(struct lruvec *lruvec, struct page_list *list,
					      struct page_list *pages_to_free, enum lru_list lru)
{
	unsigned long moved = 0;
	struct page *page;

	while ((page = page_list_last(list))) {	/* oldest first: ages kept in order */
		page_list_del(list, page);
		lruvec = mem_cgroup_page_lruvec(page);
		SetPageLRU(page);
		add_page_to_lru_list(page, lruvec, lru);
		/* A page freed meanwhile leaves the list again here. */
		put_page_lru_locked(page, lruvec, pages_to_free);
		moved++;
	}
	return moved;
}

void shrink_active_list(unsigned long nr_to_scan, struct lruvec *lruvec,
			struct scan_control *sc, enum lru_list lru)
{
	struct pglist_data *pgdat = lruvec->pgdat;
	struct rcl_engine *engine = pgdat->engine;
	struct mem_cgroup *memcg = root_or(engine, lruvec->memcg);
	bool file = is_file_lru(lru);
	unsigned long nr_taken, nr_scanned, nr_rotated = 0, nr_activate, nr_deactivate;
	struct page_list hold, l_active, l_inactive, pages_to_free;
	unsigned int mode = sc->may_unmap ? 0 : ISOLATE_UNMAPPED;
	struct page *page;

	lru_add_drain(engine);
	page_list_init(&hold, lruvec->lists[lru].map);
	page_list_init(&l_active, hold.map);
	page_list_init(&l_inactive, hold.map);
	page_list_init(&pages_to_free, hold.map);

	lru_lock(pgdat);
	nr_taken = isolate_lru_pages(nr_to_scan, lruvec, &hold, &nr_scanned, sc, mode, lru);
	mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, (long)nr_taken);
	lruvec->reclaim_stat.recent_scanned[file] += nr_taken;
	lru_unlock(pgdat);
	count_vm_events(engine, PGREFILL, nr_scanned);
	count_memcg_events(memcg, PGREFILL, nr_scanned);
	mod_memcg_state(memcg, MEMCG_PGREFILL, (long)nr_scanned);

	while ((page = page_list_last(&hold))) {
		unsigned int vm_flags = 0;

		page_list_del(&hold, page);
		if (!page_evictable(page)) {
			putback_lru_page(page);
			continue;
		}
		if (page_referenced(page, sc->target_mem_cgroup, &vm_flags)) {
			nr_rotated++;
			/* Executable file pages are kept: a little code going cold costs much. */
			if ((vm_flags & VM_EXEC) && page_is_file_cache(page)) {
				page_list_add(&l_active, page);
				continue;
			}
		}
		ClearPageActive(page);
		SetPageWorkingset(page);
		page_sample_mapped(page);
		page_list_add(&l_inactive, page);
	}

	mapped_flush_hints(engine);	/* the clients' pages it deactivated */
	/* Referenced pages count as rotated even when deactivated anyway (anon). */
	lru_lock(pgdat);
	lruvec->reclaim_stat.recent_rotated[file] += nr_rotated;
	nr_activate = move_active_pages_to_lru(lruvec, &l_active, &pages_to_free, lru);
	nr_deactivate = move_active_pages_to_lru(lruvec, &l_inactive, &pages_to_free,
						 (enum lru_list)(lru - LRU_ACTIVE_ANON +
								 LRU_INACTIVE_ANON));
	mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, -(long)nr_taken);
	lru_unlock(pgdat);
	release_freed_pages(&pages_to_free);
	count_vm_events(engine, PGDEACTIVATE, nr_deactivate);
	count_memcg_events(memcg, PGDEACTIVATE, nr_deactivate);
	mod_memcg_state(memcg, MEMCG_PGDEACTIVATE, (long)nr_deactivate);
	trace_event(engine, .type = RCL_TRACE_LRU_SHRINK_ACTIVE, .nid = pgdat->node_id,
		    .nr_taken = nr_taken, .nr_active = nr_activate,
		    .nr_deactivated = nr_deactivate, .nr_referenced = nr_rotated,
		    .priority = sc->priority, .file = file);
}

/* The one place the reclaim policy chooses how a list is aged and evicted from. */
unsigned long shrink_list(enum lru_list lru, unsigned long nr_to_scan, struct lruvec *lruvec,
			  struct mem_cgroup *memcg, struct scan_control *sc)
{
	switch (lruvec->pgdat->engine->config.reclaim_policy) {
	case RCL_RECLAIM_CLOCK_PRO:
		return clockpro_shrink(nr_to_scan, lruvec, sc, lru);
	case RCL_RECLAIM_TWO_LIST:
	default:
		break;
	}
	if (is_active_lru(lru)) {
		if (inactive_list_is_low(lruvec, is_file_lru(lru), memcg, sc, true))
			shrink_active_list(nr_to_scan, lruvec, sc, lru);
		return 0;
	}
	return shrink_inactive_list(nr_to_scan, lruvec, sc, lru);
}

/* ---- shrink_node_memcg (spec 8) ------------------------------------------------------- */

/*
 * Enough was reclaimed: stop scanning the type with less left to scan, and cut the other to
 * the same fraction of its target as the smaller one had left (spec 8 steps c-f). Returns
 * false when either type is already done (scanning stops).
 */
bool scan_adjust(unsigned long nr[NR_LRU_LISTS], const unsigned long targets[NR_LRU_LISTS])
{
	unsigned long nr_file = nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE];
	unsigned long nr_anon = nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON];
	unsigned long percentage, nr_scanned;
	int lru, other;

	if (!nr_file || !nr_anon)
		return false;
	if (nr_file > nr_anon) {
		lru = LRU_INACTIVE_ANON;
		percentage = nr_anon * 100 /
			     (targets[LRU_INACTIVE_ANON] + targets[LRU_ACTIVE_ANON] + 1);
	} else {
		lru = LRU_INACTIVE_FILE;
		percentage = nr_file * 100 /
			     (targets[LRU_INACTIVE_FILE] + targets[LRU_ACTIVE_FILE] + 1);
	}
	nr[lru] = 0;
	nr[lru + 1] = 0;

	other = lru == LRU_INACTIVE_FILE ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
	for (lru = other; lru <= other + 1; lru++) {
		nr_scanned = targets[lru] - nr[lru];
		nr[lru] = targets[lru] * (100 - percentage) / 100;
		nr[lru] -= min_t(unsigned long, nr[lru], nr_scanned);
	}
	return true;
}

void shrink_node_memcg(struct pglist_data *pgdat, struct mem_cgroup *memcg,
		       struct scan_control *sc, unsigned long *lru_pages)
{
	struct rcl_engine *engine = pgdat->engine;
	struct lruvec *lruvec = mem_cgroup_lruvec(pgdat, root_or(engine, memcg));
	unsigned long nr[NR_LRU_LISTS] = { 0 }, targets[NR_LRU_LISTS] = { 0 };
	unsigned long nr_to_scan, nr_reclaimed = 0, nr_to_reclaim = sc->nr_to_reclaim;
	bool scan_adjusted;
	int lru;

	get_scan_count(lruvec, memcg, sc, nr, lru_pages);
	memcpy(targets, nr, sizeof(nr));
	/* Direct global reclaim at the first priority does the whole batch, unadjusted. */
	scan_adjusted = global_reclaim(sc) && !current_is_kswapd(engine) &&
			sc->priority == DEF_PRIORITY;

	blk_start_plug(engine);
	while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
		for (lru = LRU_INACTIVE_ANON; lru <= LRU_ACTIVE_FILE; lru++) {
			if (nr[lru]) {
				nr_to_scan = min_t(unsigned long, nr[lru], SWAP_CLUSTER_MAX);
				nr[lru] -= nr_to_scan;
				/* Nothing is isolated between batches: submit here, without
				 * mm_lock, what would fill the plug inside the next one. */
				if (blk_plug_nearly_full(engine, nr_to_scan))
					blk_flush_plug_unlocked(engine);
				nr_reclaimed += shrink_list((enum lru_list)lru, nr_to_scan, lruvec,
							    memcg, sc);
			}
		}
		if (nr_reclaimed < nr_to_reclaim || scan_adjusted)
			continue;

		if (!scan_adjust(nr, targets))
			break;
		scan_adjusted = true;
	}
	blk_finish_plug_unlocked(engine);
	sc->nr_reclaimed += nr_reclaimed;

	/* Keep the anon inactive list balanced even when anon was not scanned. */
	if (inactive_list_is_low(lruvec, false, memcg, sc, true))
		shrink_active_list(SWAP_CLUSTER_MAX, lruvec, sc, LRU_ACTIVE_ANON);
}

/* ---- shrink_node (spec 6) ------------------------------------------------------------- */

/* The per-node congestion flag of limit reclaim's target (cgroup v2 only has it). */
static void set_memcg_congestion(struct pglist_data *pgdat, struct mem_cgroup *memcg,
				 bool congested)
{
	if (memcg)
		mem_cgroup_lruvec(pgdat, memcg)->congested = congested;
}

static bool pgdat_memcg_congested(struct pglist_data *pgdat, struct mem_cgroup *memcg)
{
	return test_bit_pgdat(pgdat, PGDAT_CONGESTED) ||
	       (memcg && mem_cgroup_lruvec(pgdat, memcg)->congested);
}

/* Every reclaimer may throttle: there are no writeback-helper threads of a device here. */
static bool current_may_throttle(void)
{
	return true;
}

/*
 * Sleep until a congested device clears or 100 ms pass (the caller found the node or memcg
 * congested: its dirty pages were all under writeback of a full queue). Swap is never
 * congested (spec 23.4); the deterministic engine has nothing to wait for.
 */
static void wait_iff_congested(struct rcl_engine *engine)
{
	congestion_wait(engine);
}

/* Reclaim/compaction mode needs compaction, which this engine does not build (spec 23.6):
 * order-0 reclaim and every other reclaim makes exactly one round. */
bool should_continue_reclaim(struct pglist_data *pgdat, unsigned long nr_reclaimed,
			     unsigned long nr_scanned, struct scan_control *sc)
{
	(void)pgdat;
	(void)nr_reclaimed;
	(void)nr_scanned;
	(void)sc;
	return false;
}

bool shrink_node(struct pglist_data *pgdat, struct scan_control *sc)
{
	struct rcl_engine *engine = pgdat->engine;
	struct task_struct *task = current_or_default(engine);
	unsigned long nr_reclaimed, nr_scanned;
	bool reclaimable = false;

	do {
		struct mem_cgroup *root = root_or(engine, sc->target_mem_cgroup), *memcg;
		struct mem_cgroup_reclaim_cookie reclaim = {
			.pgdat = pgdat, .priority = sc->priority,
		};
		unsigned long node_lru_pages = 0;

		memset(&sc->nr, 0, sizeof(sc->nr));
		nr_reclaimed = sc->nr_reclaimed;
		nr_scanned = sc->nr_scanned;

		memcg = mem_cgroup_iter(root, NULL, &reclaim);
		do {
			unsigned long lru_pages, reclaimed = sc->nr_reclaimed,
						 scanned = sc->nr_scanned;

			switch (mem_cgroup_protected(root, memcg)) {
			case MEMCG_PROT_MIN:
				continue;	/* hard protection */
			case MEMCG_PROT_LOW:
				if (!sc->memcg_low_reclaim) {
					sc->memcg_low_skipped = 1;
					continue;
				}
				memcg_memory_event(memcg, MEMCG_LOW);
				break;
			case MEMCG_PROT_NONE:
				break;
			}
			shrink_node_memcg(pgdat, memcg, sc, &lru_pages);
			node_lru_pages += lru_pages;
			/* shrink_slab for this group: its shadow nodes (count_shadow_nodes). */
			workingset_shrink_shadows(engine, pgdat, memcg);
			vmpressure(sc->gfp_mask, memcg, false, sc->nr_scanned - scanned,
				   sc->nr_reclaimed - reclaimed);
			/* Limit reclaim stops when done; global reclaim visits every group so
			 * that the node's scan target is met. */
			if (!global_reclaim(sc) && sc->nr_reclaimed >= sc->nr_to_reclaim) {
				mem_cgroup_iter_break(root, memcg);
				break;
			}
		} while ((memcg = mem_cgroup_iter(root, memcg, &reclaim)));
		(void)node_lru_pages;
		/* Non-LRU memory freed while reclaiming is credited like slab. */
		if (task->reclaim_state) {
			sc->nr_reclaimed += task->reclaim_state->reclaimed_slab;
			task->reclaim_state->reclaimed_slab = 0;
		}
		vmpressure(sc->gfp_mask, root_or(engine, sc->target_mem_cgroup), true,
			   sc->nr_scanned - nr_scanned, sc->nr_reclaimed - nr_reclaimed);
		if (sc->nr_reclaimed - nr_reclaimed)
			reclaimable = true;

		if (current_is_kswapd(engine)) {
			if (sc->nr.writeback && sc->nr.writeback == sc->nr.taken)
				set_bit_pgdat(pgdat, PGDAT_WRITEBACK);
			if (sc->nr.dirty && sc->nr.dirty == sc->nr.congested)
				set_bit_pgdat(pgdat, PGDAT_CONGESTED);
			if (sc->nr.unqueued_dirty == sc->nr.file_taken)
				set_bit_pgdat(pgdat, PGDAT_DIRTY);
			/* Pages marked for immediate reclaim are cycling through the LRU
			 * faster than writeback completes them: stall (spec 23.3; one logical
			 * step in the deterministic engine). */
			if (sc->nr.immediate)
				congestion_wait(engine);
		}
		if (!global_reclaim(sc) && sc->nr.dirty && sc->nr.dirty == sc->nr.congested)
			set_memcg_congestion(pgdat, sc->target_mem_cgroup, true);

		/* Stall direct reclaim for congested devices rather than scan on (step 8). */
		if (!sc->hibernation_mode && !current_is_kswapd(engine) && current_may_throttle() &&
		    pgdat_memcg_congested(pgdat, sc->target_mem_cgroup))
			wait_iff_congested(engine);
	} while (should_continue_reclaim(pgdat, sc->nr_reclaimed - nr_reclaimed,
					 sc->nr_scanned - nr_scanned, sc));

	if (reclaimable)
		atomic_store_explicit(&pgdat->kswapd_failures, 0, memory_order_relaxed);
	return reclaimable;
}

/* ---- shrink_zones and the priority loop (spec 5.4, 5.5) -------------------------------- */

/* Whether a zone the reclaim is for has free pages above its low watermark again. */
static bool zonelist_above_low_wmark(struct zonelist *zonelist, struct scan_control *sc)
{
	struct zoneref *z;
	struct zone *zone;

	for_each_zone_zonelist_nodemask(zone, z, zonelist, sc->reclaim_idx, sc->nodemask)
		if (managed_zone(zone) &&
		    zone_watermark_ok(zone, (unsigned int)sc->order, low_wmark_pages(zone),
				      sc->reclaim_idx, 0))
			return true;
	return false;
}

void shrink_zones(struct rcl_engine *engine, struct zonelist *zonelist, struct scan_control *sc)
{
	struct pglist_data *last_pgdat = NULL;
	struct zoneref *z;
	struct zone *zone;

	(void)engine;
	for_each_zone_zonelist_nodemask(zone, z, zonelist, sc->reclaim_idx, sc->nodemask) {
		if (global_reclaim(sc)) {
			unsigned long nr_soft_scanned = 0, nr_soft_reclaimed;

			/* Compaction is not built: no compaction_ready exit (spec 23.6). */
			if (zone->zone_pgdat == last_pgdat)
				continue;
			nr_soft_reclaimed = mem_cgroup_soft_limit_reclaim(zone->zone_pgdat,
									  sc->order, sc->gfp_mask,
									  &nr_soft_scanned);
			sc->nr_reclaimed += nr_soft_reclaimed;
			sc->nr_scanned += nr_soft_scanned;
		}
		if (zone->zone_pgdat == last_pgdat)
			continue;
		last_pgdat = zone->zone_pgdat;
		shrink_node(zone->zone_pgdat, sc);
	}
}

/* Remember the refault count, so that the refault rule fires only on new activations. */
void snapshot_refaults(struct mem_cgroup *root, struct pglist_data *pgdat)
{
	struct mem_cgroup *memcg = mem_cgroup_iter(root, NULL, NULL);

	do {
		lru_lock(pgdat);
		mem_cgroup_lruvec(pgdat, memcg)->refaults =
			(unsigned long)memcg_node_state(memcg, WORKINGSET_ACTIVATE);
		lru_unlock(pgdat);
	} while ((memcg = mem_cgroup_iter(root, memcg, NULL)));
}

unsigned long do_try_to_free_pages(struct rcl_engine *engine, struct zonelist *zonelist,
				   struct scan_control *sc)
{
	int initial_priority = sc->priority;
	struct pglist_data *last_pgdat;
	struct zoneref *z;
	struct zone *zone;

retry:
	if (global_reclaim(sc))
		__count_zid_vm_events(engine, ALLOCSTALL_DMA32, (enum zone_type)sc->reclaim_idx, 1);
	do {
		vmpressure_prio(sc->gfp_mask, root_or(engine, sc->target_mem_cgroup), sc->priority);
		sc->nr_scanned = 0;
		shrink_zones(engine, zonelist, sc);
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
		if (sc->compaction_ready)
			break;
		/* Having trouble: write pages out even in laptop mode. */
		if (sc->priority < DEF_PRIORITY - 2)
			sc->may_writepage = 1;
	} while (--sc->priority >= 0);

	last_pgdat = NULL;
	for_each_zone_zonelist_nodemask(zone, z, zonelist, sc->reclaim_idx, sc->nodemask) {
		if (zone->zone_pgdat == last_pgdat)
			continue;
		last_pgdat = zone->zone_pgdat;
		snapshot_refaults(root_or(engine, sc->target_mem_cgroup), zone->zone_pgdat);
		set_memcg_congestion(last_pgdat, sc->target_mem_cgroup, false);
	}

	if (sc->nr_reclaimed)
		return sc->nr_reclaimed;
	if (sc->compaction_ready)
		return 1;
	/*
	 * Nothing reclaimed, yet the unprotected groups' pages may be on their way out: with
	 * swap I/O through io_uring the writes this very loop started are still in flight when
	 * it ends, and a page under writeback is freed only once it has completed. That is not
	 * "nothing reclaimable elsewhere": wait for the writes and run the loop once more
	 * before memory.low-protected groups pay. Synchronous I/O never gets here.
	 */
	if (sc->memcg_low_skipped && sc->writeback_waited < 4 &&
	    global_node_page_state(engine, NR_WRITEBACK)) {
		writeback_wait_all(engine);
		sc->writeback_waited++;
		/* Other reclaimers (a daemon's other requests, kswapd) may have freed what our
		 * allocation needs while we waited: that is progress, not a reason to breach. */
		if (global_reclaim(sc) && zonelist_above_low_wmark(zonelist, sc))
			return 1;
		sc->memcg_low_skipped = 0;
		sc->priority = initial_priority;
		goto retry;
	}
	/* Untapped memory.low reserves? Do not OOM: retry, now reclaiming them too. */
	if (sc->memcg_low_skipped) {
		sc->priority = initial_priority;
		sc->memcg_low_reclaim = 1;
		sc->memcg_low_skipped = 0;
		goto retry;
	}
	return 0;
}

/* ---- throttling (spec 5.3) ------------------------------------------------------------- */

static bool allow_direct_reclaim(struct pglist_data *pgdat)
{
	unsigned long pfmemalloc_reserve = 0, free_pages = 0;
	int zid;

	if (atomic_load_explicit(&pgdat->kswapd_failures, memory_order_relaxed) >=
	    MAX_RECLAIM_RETRIES)
		return true;
	for (zid = 0; zid <= ZONE_NORMAL; zid++) {
		struct zone *zone = &pgdat->node_zones[zid];

		if (!managed_zone(zone))
			continue;
		pfmemalloc_reserve += min_wmark_pages(zone);
		free_pages += zone_page_state(zone, NR_FREE_PAGES);
	}
	if (!pfmemalloc_reserve)
		return true;
	if (free_pages > pfmemalloc_reserve / 2)
		return true;
	/* kswapd must catch up: make sure it reclaims at least up to Normal, and wake it. */
	if (pgdat->kswapd_classzone_idx == MAX_NR_ZONES ||
	    pgdat->kswapd_classzone_idx > ZONE_NORMAL)
		pgdat->kswapd_classzone_idx = ZONE_NORMAL;
	if (pgdat->kswapd_sleeping) {
		pgdat->kswapd_wanted = true;
		wake_up_all(&pgdat->kswapd_wait);
	}
	return false;
}

/*
 * Throttle direct reclaimers when a node's free pages fell below half its min reserves: they
 * would only fight over the last pages while kswapd catches up (spec 5.3). They sleep on the
 * node's pfmemalloc_wait, without mm_lock, until kswapd has brought the node back above the
 * reserve: without __GFP_FS for at most a second, else until then, one second at a time, or
 * until the engine stops (the kernel's fatal signal: then true, and the caller gives up). The
 * deterministic engine has nobody to wait for: the throttle is counted and reclaim goes on.
 */
static bool throttle_direct_reclaim(struct rcl_engine *engine, gfp_t gfp,
				    struct zonelist *zonelist, const nodemask_t *nodemask)
{
	struct pglist_data *pgdat = NULL;
	struct timespec deadline;
	struct zoneref *z;
	struct zone *zone;

	if (current_is_kswapd(engine))
		return false;
	for_each_zone_zonelist_nodemask(zone, z, zonelist, ZONE_NORMAL, nodemask) {
		if (!managed_zone(zone))
			continue;
		pgdat = zone->zone_pgdat;
		if (allow_direct_reclaim(pgdat))
			return false;
		break;
	}
	if (!pgdat)
		return false;
	count_vm_event(engine, PGSCAN_DIRECT_THROTTLE);
	if (!reclaim_may_sleep(engine))
		return false;
	while (!allow_direct_reclaim(pgdat)) {
		if (!engine->threads_running)
			return true;
		clock_gettime(CLOCK_REALTIME, &deadline);
		timespec_add_ms(&deadline, 1000);
		if (mm_wait_event(engine, &pgdat->pfmemalloc_wait, &deadline) == ETIMEDOUT &&
		    !(gfp & __GFP_FS))
			break;
	}
	return false;
}

/* The allocation context of a NOIO/NOFS scope; the engine has no such scopes yet. */
static gfp_t current_gfp_context(gfp_t gfp)
{
	return gfp;
}

unsigned long try_to_free_pages(struct rcl_engine *engine, struct zonelist *zonelist, int order,
				gfp_t gfp_mask, const nodemask_t *nodemask)
{
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX,
		.gfp_mask = current_gfp_context(gfp_mask),
		.reclaim_idx = gfp_zone(gfp_mask),
		.order = order,
		.nodemask = nodemask,
		.priority = DEF_PRIORITY,
		.may_writepage = !engine->laptop_mode,
		.may_unmap = 1,
		.may_swap = 1,
	};
	unsigned long nr_reclaimed;

	if (throttle_direct_reclaim(engine, sc.gfp_mask, zonelist, nodemask))
		return 1;
	trace_event(engine, .type = RCL_TRACE_DIRECT_RECLAIM_BEGIN, .order = order,
		    .may_writepage = sc.may_writepage, .gfp_flags = gfp_mask,
		    .classzone_idx = sc.reclaim_idx);
	nr_reclaimed = do_try_to_free_pages(engine, zonelist, &sc);
	trace_event(engine, .type = RCL_TRACE_DIRECT_RECLAIM_END, .nr_reclaimed = nr_reclaimed);
	return nr_reclaimed;
}

/* ---- memcg reclaim ---------------------------------------------------------------------- */

/*
 * Limit and proactive reclaim of @memcg's subtree on every node (spec 5.1 memcg column). With
 * @wait it waits for the writes it submitted before it returns, for callers that take its
 * progress as final (memory.max lowered, memory.reclaim, memory.high). Without, in a daemon,
 * it returns once they are submitted, as the kernel's does under try_charge: a page written
 * for reclaim is freed by a later pass, after end_page_writeback has rotated it to the
 * inactive tail, and the charge waits only when a pass freed nothing (mem_cgroup_try_charge).
 * The deterministic engine always waits: its I/O never outlives the call that started it.
 */
static unsigned long __try_to_free_mem_cgroup_pages(struct mem_cgroup *memcg,
						    unsigned long nr_pages, gfp_t gfp_mask,
						    bool may_swap, bool wait,
						    const int *swappiness)
{
	struct rcl_engine *engine = memcg->engine;
	struct scan_control sc = {
		.nr_to_reclaim = nr_pages > SWAP_CLUSTER_MAX ? nr_pages : SWAP_CLUSTER_MAX,
		.gfp_mask = (gfp_mask & GFP_KERNEL) | GFP_HIGHUSER_MOVABLE,
		.reclaim_idx = MAX_NR_ZONES - 1,
		.target_mem_cgroup = memcg,
		.priority = DEF_PRIORITY,
		.may_writepage = !engine->laptop_mode,
		.may_unmap = 1,
		.may_swap = may_swap,
		.proactive_swappiness = swappiness,
	};
	struct task_struct *task = current_or_default(engine);
	unsigned int saved = task->flags;
	unsigned long nr_reclaimed;

	task->flags |= PF_MEMALLOC;
	trace_event(engine, .type = RCL_TRACE_MEMCG_RECLAIM_BEGIN, .may_writepage =
		    sc.may_writepage, .gfp_flags = sc.gfp_mask, .classzone_idx = sc.reclaim_idx);
	nr_reclaimed = do_try_to_free_pages(engine,
					    &NODE_DATA(engine, 0)->node_zonelists[ZONELIST_FALLBACK],
					    &sc);
	trace_event(engine, .type = RCL_TRACE_MEMCG_RECLAIM_END, .nr_reclaimed = nr_reclaimed);
	if (wait || !reclaim_may_sleep(engine))
		writeback_wait_all(engine);
	wb_run_inline(engine);
	task->flags = saved;
	return nr_reclaimed;
}

unsigned long try_to_free_mem_cgroup_pages(struct mem_cgroup *memcg, unsigned long nr_pages,
					   gfp_t gfp_mask, bool may_swap)
{
	return __try_to_free_mem_cgroup_pages(memcg, nr_pages, gfp_mask, may_swap, true, NULL);
}

unsigned long try_to_free_mem_cgroup_pages_proactive(struct mem_cgroup *memcg,
						     unsigned long nr_pages,
						     const int *swappiness)
{
	return __try_to_free_mem_cgroup_pages(memcg, nr_pages, GFP_KERNEL, true, true,
					      swappiness);
}

/* The charge's reclaim: its swap writes go on after it returns (in a daemon). */
unsigned long try_to_free_mem_cgroup_pages_async(struct mem_cgroup *memcg,
						 unsigned long nr_pages, gfp_t gfp_mask,
						 bool may_swap)
{
	return __try_to_free_mem_cgroup_pages(memcg, nr_pages, gfp_mask, may_swap, false, NULL);
}

/*
 * should_reclaim_retry's wait, for a group whose limit reclaim freed nothing while most of its
 * pages wait to be written (mem_cgroup_try_charge): wake the flusher, which writes what limit
 * reclaim may not (the deterministic engine runs its work here), sleep as the kernel's
 * congestion_wait(HZ/10) does while it writes, then wait for the writes in flight. Written,
 * the pages reclaim marked are at their inactive list's tail (PG_reclaim) for the next pass.
 */
void mem_cgroup_wait_writeback(struct rcl_engine *engine)
{
	wakeup_flusher_threads(engine);
	wb_run_inline(engine);
	congestion_wait(engine);
	writeback_wait_all(engine);
}

/* Soft-limit reclaim of one group on one node: one pass at priority 0 (spec 19). */
unsigned long mem_cgroup_shrink_node(struct mem_cgroup *memcg, gfp_t gfp_mask,
				     struct pglist_data *pgdat, unsigned long *nr_scanned)
{
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX,
		.target_mem_cgroup = memcg,
		.may_writepage = !pgdat->engine->laptop_mode,
		.may_unmap = 1,
		.reclaim_idx = MAX_NR_ZONES - 1,
		.may_swap = 1,
		.gfp_mask = (gfp_mask & GFP_KERNEL) | GFP_HIGHUSER_MOVABLE,
		.priority = 0,
	};
	unsigned long lru_pages;

	shrink_node_memcg(pgdat, memcg, &sc, &lru_pages);
	*nr_scanned = sc.nr_scanned;
	return sc.nr_reclaimed;
}

/* ---- kswapd (spec 16) ------------------------------------------------------------------ */

bool pgdat_balanced(struct pglist_data *pgdat, int order, int classzone_idx)
{
	bool any = false;
	int zid;

	for (zid = 0; zid <= classzone_idx && zid < MAX_NR_ZONES; zid++) {
		struct zone *zone = &pgdat->node_zones[zid];

		if (!managed_zone(zone))
			continue;
		any = true;
		if (zone_watermark_ok_safe(zone, (unsigned int)order, high_wmark_pages(zone),
					   classzone_idx))
			return true;
	}
	return !any;
}

/*
 * Ask kswapd to balance @zone's node. kswapd is a thread in the daemon; in deterministic mode
 * the request is recorded and served by rcl_kswapd_run.
 */
void wakeup_kswapd(struct zone *zone, gfp_t gfp_flags, int order, int classzone_idx)
{
	struct pglist_data *pgdat = zone->zone_pgdat;

	if (!managed_zone(zone))
		return;
	if (pgdat->kswapd_classzone_idx == MAX_NR_ZONES)
		pgdat->kswapd_classzone_idx = classzone_idx;
	else if (classzone_idx > pgdat->kswapd_classzone_idx)
		pgdat->kswapd_classzone_idx = classzone_idx;
	if (order > pgdat->kswapd_order)
		pgdat->kswapd_order = order;
	if (atomic_load_explicit(&pgdat->kswapd_failures, memory_order_relaxed) >=
		    MAX_RECLAIM_RETRIES ||
	    pgdat_balanced(pgdat, order, classzone_idx))
		return;
	trace_event(pgdat->engine, .type = RCL_TRACE_WAKEUP_KSWAPD, .nid = pgdat->node_id,
		    .zid = zone->zone_idx, .order = order, .gfp_flags = gfp_flags);
	pgdat->kswapd_wanted = true;
	wake_up_all(&pgdat->kswapd_wait);
}

/* Deactivate anon pages where the inactive list is low, even if anon is not scanned. */
static void age_active_anon(struct pglist_data *pgdat, struct scan_control *sc)
{
	struct mem_cgroup *memcg;

	if (!total_swap_pages(pgdat->engine))
		return;
	memcg = mem_cgroup_iter(pgdat->engine->root_mem_cgroup, NULL, NULL);
	do {
		struct lruvec *lruvec = mem_cgroup_lruvec(pgdat, memcg);

		if (inactive_list_is_low(lruvec, false, memcg, sc, true))
			shrink_active_list(SWAP_CLUSTER_MAX, lruvec, sc, LRU_ACTIVE_ANON);
	} while ((memcg = mem_cgroup_iter(pgdat->engine->root_mem_cgroup, memcg, NULL)));
}

static bool kswapd_shrink_node(struct pglist_data *pgdat, struct scan_control *sc)
{
	int zid;

	sc->nr_to_reclaim = 0;
	for (zid = 0; zid <= sc->reclaim_idx; zid++) {
		struct zone *zone = &pgdat->node_zones[zid];

		if (managed_zone(zone))
			sc->nr_to_reclaim += max_t(unsigned long, high_wmark_pages(zone),
						   SWAP_CLUSTER_MAX);
	}
	shrink_node(pgdat, sc);
	if (sc->order && sc->nr_reclaimed >= (2UL << sc->order))
		sc->order = 0;
	return sc->nr_scanned >= sc->nr_to_reclaim;
}

/* Reclaim until the node is balanced at the high watermark; returns the order achieved. */
int balance_pgdat(struct pglist_data *pgdat, int order, int classzone_idx)
{
	struct rcl_engine *engine = pgdat->engine;
	struct task_struct *task = current_or_default(engine);
	unsigned int saved = task->flags;
	unsigned long nr_soft_reclaimed, nr_soft_scanned;
	struct scan_control sc = {
		.gfp_mask = GFP_KERNEL,
		.order = order,
		.priority = DEF_PRIORITY,
		.may_writepage = !engine->laptop_mode,
		.may_unmap = 1,
		.may_swap = 1,
	};

	task->flags |= PF_KSWAPD | PF_MEMALLOC;
	psi_memstall_enter(engine, NULL);
	count_vm_event(engine, PAGEOUTRUN);
	do {
		unsigned long nr_reclaimed = sc.nr_reclaimed;
		bool raise_priority = true;

		sc.reclaim_idx = classzone_idx;
		if (pgdat_balanced(pgdat, sc.order, classzone_idx))
			goto out;
		age_active_anon(pgdat, &sc);
		if (sc.priority < DEF_PRIORITY - 2)
			sc.may_writepage = 1;
		sc.nr_scanned = 0;
		nr_soft_scanned = 0;
		nr_soft_reclaimed = mem_cgroup_soft_limit_reclaim(pgdat, sc.order, sc.gfp_mask,
								  &nr_soft_scanned);
		sc.nr_reclaimed += nr_soft_reclaimed;
		if (kswapd_shrink_node(pgdat, &sc))
			raise_priority = false;
		/* Throttled direct reclaimers may go on once the reserve is back (step g). */
		if (allow_direct_reclaim(pgdat))
			wake_up_all(&pgdat->pfmemalloc_wait);
		if ((task->flags & PF_KTHREAD) && !engine->threads_running)
			break;		/* kthread_should_stop (step h) */
		if (raise_priority || sc.nr_reclaimed == nr_reclaimed)
			sc.priority--;
	} while (sc.priority >= 1);

	if (!sc.nr_reclaimed)
		atomic_fetch_add_explicit(&pgdat->kswapd_failures, 1, memory_order_relaxed);
out:
	snapshot_refaults(engine->root_mem_cgroup, pgdat);
	/* kswapd submits its writes and moves on: end_page_writeback rotates the pages for its
	 * next round, which reaps what completed (shrink_inactive_list). Only the deterministic
	 * engine, whose kswapd is a call, sees its I/O finish before it returns. */
	if (!reclaim_may_sleep(engine))
		writeback_wait_all(engine);
	wb_run_inline(engine);
	psi_memstall_leave(engine);
	task->flags = saved;
	return sc.order;
}

/* The request's classzone, or @prev while none is set (kswapd_classzone_idx). */
static int kswapd_classzone_idx(struct pglist_data *pgdat, int prev)
{
	return pgdat->kswapd_classzone_idx == MAX_NR_ZONES ? prev : pgdat->kswapd_classzone_idx;
}

/*
 * Whether kswapd may sleep (spec 16 prepare_kswapd_sleep): throttled direct reclaimers are
 * woken first whatever the answer; a hopeless node or a balanced one may be left alone, and
 * a balanced one forgets its congestion marks.
 */
static bool prepare_kswapd_sleep(struct pglist_data *pgdat, int order, int classzone_idx)
{
	wake_up_all(&pgdat->pfmemalloc_wait);
	if (atomic_load_explicit(&pgdat->kswapd_failures, memory_order_relaxed) >=
	    MAX_RECLAIM_RETRIES)
		return true;
	if (pgdat_balanced(pgdat, order, classzone_idx)) {
		clear_bit_pgdat(pgdat, PGDAT_CONGESTED);
		clear_bit_pgdat(pgdat, PGDAT_DIRTY);
		clear_bit_pgdat(pgdat, PGDAT_WRITEBACK);
		return true;
	}
	return false;
}

/* Sleep on the node's queue (mm_lock released) until woken, or until @deadline if given. */
static bool kswapd_wait(struct pglist_data *pgdat, const struct timespec *deadline)
{
	struct rcl_engine *engine = pgdat->engine;

	pgdat->kswapd_sleeping = true;
	while (engine->threads_running && !pgdat->kswapd_wanted) {
		if (mm_wait_event(engine, &pgdat->kswapd_wait, deadline) == ETIMEDOUT)
			break;
	}
	pgdat->kswapd_sleeping = false;
	return pgdat->kswapd_wanted;
}

/*
 * kswapd_try_to_sleep (spec 16): a 100 ms nap first. Woken during it, the low watermark was
 * hit again quickly: merge the new request and go back to work. Still unbalanced after it, the
 * high watermark was. Otherwise sleep until woken.
 */
static void kswapd_try_to_sleep(struct pglist_data *pgdat, int alloc_order, int reclaim_order,
				int classzone_idx)
{
	struct rcl_engine *engine = pgdat->engine;
	struct timespec nap;
	bool woken = false;

	(void)alloc_order;	/* what kcompactd would be woken for: no compaction here */
	if (prepare_kswapd_sleep(pgdat, reclaim_order, classzone_idx)) {
		clock_gettime(CLOCK_REALTIME, &nap);
		timespec_add_ms(&nap, 100);
		woken = kswapd_wait(pgdat, &nap);
		if (woken) {
			pgdat->kswapd_classzone_idx = kswapd_classzone_idx(pgdat, classzone_idx);
			if (pgdat->kswapd_order < reclaim_order)
				pgdat->kswapd_order = reclaim_order;
		}
	}
	if (!woken && prepare_kswapd_sleep(pgdat, reclaim_order, classzone_idx)) {
		trace_event(engine, .type = RCL_TRACE_KSWAPD_SLEEP, .nid = pgdat->node_id);
		kswapd_wait(pgdat, NULL);
	} else {
		count_vm_event(engine, woken ? KSWAPD_LOW_WMARK_HIT_QUICKLY :
					       KSWAPD_HIGH_WMARK_HIT_QUICKLY);
	}
}

/*
 * The background reclaim thread of one node (spec 16 main loop): sleep while the node is
 * balanced, take the order and class zone wakeup_kswapd left, balance the node. A
 * balance_pgdat that fell back to order 0 goes straight back to trying to sleep.
 */
static void *kswapd(void *arg)
{
	struct pglist_data *pgdat = arg;
	struct rcl_engine *engine = pgdat->engine;
	int alloc_order = 0, reclaim_order = 0, classzone_idx = MAX_NR_ZONES - 1;

	rcl_thread_attach(engine);
	current_or_default(engine)->flags |= PF_KTHREAD;
	mm_lock(engine);
	while (engine->threads_running) {
		kswapd_try_to_sleep(pgdat, alloc_order, reclaim_order, classzone_idx);
		if (!engine->threads_running)
			break;
		alloc_order = reclaim_order = pgdat->kswapd_order;
		classzone_idx = kswapd_classzone_idx(pgdat, MAX_NR_ZONES - 1);
		pgdat->kswapd_order = 0;
		pgdat->kswapd_classzone_idx = MAX_NR_ZONES;
		pgdat->kswapd_wanted = false;
		trace_event(engine, .type = RCL_TRACE_KSWAPD_WAKE, .nid = pgdat->node_id,
			    .zid = classzone_idx, .order = alloc_order);
		reclaim_order = balance_pgdat(pgdat, alloc_order, classzone_idx);
	}
	mm_unlock(engine);
	rcl_thread_detach(engine);
	return NULL;
}

/* Start @pgdat's kswapd (the engine's threads_running is already set). */
int kswapd_run(struct pglist_data *pgdat)
{
	int err = pthread_create(&pgdat->kswapd, NULL, kswapd, pgdat);

	pgdat->kswapd_started = !err;
	return -err;
}

/* Stop it: the caller cleared threads_running under mm_lock; wake it and wait for it. */
void kswapd_stop(struct pglist_data *pgdat)
{
	struct rcl_engine *engine = pgdat->engine;

	if (!pgdat->kswapd_started)
		return;
	mm_lock(engine);
	wake_up_all(&pgdat->kswapd_wait);
	wake_up_all(&pgdat->pfmemalloc_wait);
	mm_unlock(engine);
	pthread_join(pgdat->kswapd, NULL);
	pgdat->kswapd_started = false;
}

/* Clean page cache only: what drop_caches frees. */
unsigned long shrink_all_clean_file(struct rcl_engine *engine)
{
	unsigned long dropped = 0;
	struct address_space *mapping;

	lru_add_drain_all(engine);
	for (mapping = engine->files; mapping; mapping = mapping->next) {
		unsigned long i;

		xa_for_each_range(&mapping->i_pages, i, 0, ULONG_MAX) {
			pgcache_slot_t s = page_cache_slot(mapping, i);
			struct page *page;

			if (!slot_is_page(s))
				continue;
			page = pfn_to_page(engine, slot_pfn(s));
			if (PageDirty(page) || PageWriteback(page) || page_mapped(page) ||
			    !PageLRU(page) || !trylock_page(page))
				continue;
			if (isolate_lru_page(page) == 0) {
				if (__remove_mapping(mapping, page, false)) {
					unlock_page(page);
					put_page(page);
					dropped++;
					continue;
				}
				unlock_page(page);
				putback_lru_page(page);
				continue;
			}
			unlock_page(page);
		}
	}
	count_vm_event(engine, DROP_PAGECACHE);
	return dropped;
}
