/*
 * swap.c - LRU list bookkeeping: adding pages (batched in per-thread vectors), the two-step
 * activation of mark_page_accessed, activate/deactivate, lazyfree, rotation of pages whose
 * writeback ended, and putback after isolation (spec 7 "where recent_* move", 12.2, 18).
 *
 * Caller holds engine->mm_lock for everything here but the vectors. The lists, their sizes and
 * reclaim_stat are also under their node's lru_lock (lock.c): the list helpers assert it, the
 * entry points (pagevec drains, activate/deactivate, isolate_lru_page) take it for their few
 * operations. Nothing here frees a page under it: a last reference found there goes to a list
 * the caller frees once it let the lock go (release_freed_pages).
 *
 * The per-thread vectors are under their thread's lru_pvecs_lock alone: adding to one, and
 * draining one from any thread (lru_add_drain_all), takes that lock to take the vector's
 * pages over and then only lru_lock to put them on their lists, as the kernel's
 * lru_add_drain does under the per-CPU lock; mm_lock is not needed for it (under CLOCK-Pro,
 * clockpro_lru_prepare's page_referenced still walks the rmap, which needs mm_lock).
 */
#include <errno.h>

#include "memcontrol.h"
#include "vmscan.h"

void update_lru_size(struct lruvec *lruvec, enum lru_list lru, int zid, long nr)
{
	struct pglist_data *pgdat = lruvec->pgdat;

	assert_lru_locked(pgdat);
	lruvec->lru_zone_size[zid][lru] += (unsigned long)nr;
	mod_node_page_state(pgdat, (enum node_stat_item)(NR_INACTIVE_ANON + lru), nr);
	mod_zone_page_state(&pgdat->node_zones[zid],
			    (enum zone_stat_item)(NR_ZONE_INACTIVE_ANON + lru), nr);
	mod_memcg_node_state(lruvec->memcg, (enum node_stat_item)(NR_INACTIVE_ANON + lru), nr);
}

void add_page_to_lru_list(struct page *page, struct lruvec *lruvec, enum lru_list lru)
{
	lru = clockpro_lru_add(page, lruvec, lru, false);
	update_lru_size(lruvec, lru, (int)page_zonenum(page), 1);
	page_list_add(&lruvec->lists[lru], page);
}

void add_page_to_lru_list_tail(struct page *page, struct lruvec *lruvec, enum lru_list lru)
{
	lru = clockpro_lru_add(page, lruvec, lru, true);
	update_lru_size(lruvec, lru, (int)page_zonenum(page), 1);
	page_list_add_tail(&lruvec->lists[lru], page);
}

void del_page_from_lru_list(struct page *page, struct lruvec *lruvec, enum lru_list lru)
{
	clockpro_lru_del(page, lruvec, lru);
	page_list_del(&lruvec->lists[lru], page);
	update_lru_size(lruvec, lru, (int)page_zonenum(page), -1);
}

/* Pages of @lru in zones 0..@zone_idx (the "eligible size", spec 7). */
unsigned long lruvec_lru_size(struct lruvec *lruvec, enum lru_list lru, int zone_idx)
{
	unsigned long size = 0;
	int zid;

	for (zid = 0; zid <= zone_idx && zid < MAX_NR_ZONES; zid++)
		size += lruvec->lru_zone_size[zid][lru];
	return size;
}

static void update_page_reclaim_stat(struct lruvec *lruvec, bool file, bool rotated)
{
	assert_lru_locked(lruvec->pgdat);
	lruvec->reclaim_stat.recent_scanned[file]++;
	if (rotated)
		lruvec->reclaim_stat.recent_rotated[file]++;
}

/* A page may be reclaimed unless it is mlocked. */
bool page_evictable(const struct page *page)
{
	return !PageMlocked(page);
}

/* Put a page that is on no list onto the list its flags and evictability select. */
static void __pagevec_lru_add_fn(struct page *page)
{
	struct lruvec *lruvec = mem_cgroup_page_lruvec(page);
	enum lru_list lru;

	SetPageLRU(page);
	if (page_evictable(page)) {
		ClearPageUnevictable(page);
		lru = page_lru(page);
		update_page_reclaim_stat(lruvec, page_is_file_cache(page), is_active_lru(lru));
	} else {
		ClearPageActive(page);
		SetPageUnevictable(page);
		lru = LRU_UNEVICTABLE;
		count_vm_event(page_engine(page), UNEVICTABLE_PGCULLED);
	}
	add_page_to_lru_list(page, lruvec, lru);
}

static void pagevec_release(struct lru_pagevec *pvec)
{
	unsigned int i;

	for (i = 0; i < pvec->nr; i++)
		put_page(pvec->pages[i]);
	pvec->nr = 0;
}

/* Hold @pgdat's lru_lock, letting go of @locked's first if it is another node's. */
static struct pglist_data *relock_page_lruvec(struct pglist_data *locked,
					      struct pglist_data *pgdat)
{
	if (locked == pgdat)
		return pgdat;
	if (locked)
		lru_unlock(locked);
	lru_lock(pgdat);
	return pgdat;
}

/* The vector's pages onto their lists, under each node's lock in turn; its references are
 * dropped after, with no lock held (a page freed meanwhile leaves its list there). */
static void __pagevec_lru_add(struct lru_pagevec *pvec)
{
	struct pglist_data *locked = NULL;
	unsigned int i;

	for (i = 0; i < pvec->nr; i++)
		clockpro_lru_prepare(pvec->pages[i]);
	for (i = 0; i < pvec->nr; i++) {
		locked = relock_page_lruvec(locked, page_pgdat(pvec->pages[i]));
		__pagevec_lru_add_fn(pvec->pages[i]);
	}
	if (locked)
		lru_unlock(locked);
	pagevec_release(pvec);
}

/* Move written-back pages to the tail of their inactive list: the next scan frees them. */
static void pagevec_move_tail(struct lru_pagevec *pvec)
{
	struct pglist_data *locked = NULL;
	unsigned int i;
	unsigned long moved = 0;

	for (i = 0; i < pvec->nr; i++)
		clockpro_lru_prepare(pvec->pages[i]);
	for (i = 0; i < pvec->nr; i++) {
		struct page *page = pvec->pages[i];

		locked = relock_page_lruvec(locked, page_pgdat(page));
		if (PageLRU(page) && !PageUnevictable(page)) {
			struct lruvec *lruvec = mem_cgroup_page_lruvec(page);

			del_page_from_lru_list(page, lruvec, page_lru(page));
			ClearPageActive(page);
			add_page_to_lru_list_tail(page, lruvec, page_lru(page));
			moved++;
		}
	}
	if (locked)
		lru_unlock(locked);
	if (pvec->nr)
		count_vm_events(page_engine(pvec->pages[0]), PGROTATED, moved);
	pagevec_release(pvec);
}

/*
 * Add @page to @task's vector @pvec; when that fills it, take the pages over into @full (the
 * caller drains that copy with the vector's lock let go). True if it did.
 */
static bool pagevec_add_locked(struct task_struct *task, struct lru_pagevec *pvec,
			       struct page *page, struct lru_pagevec *full)
{
	bool filled;

	spin_lock(&task->lru_pvecs_lock);
	pvec->pages[pvec->nr++] = page;
	filled = pvec->nr == LRU_PAGEVEC_SIZE;
	if (filled) {
		*full = *pvec;
		pvec->nr = 0;
	}
	spin_unlock(&task->lru_pvecs_lock);
	return filled;
}

/* Take @task's vector @pvec over into @out, emptying it; false if there was nothing. */
static bool pagevec_take(struct task_struct *task, struct lru_pagevec *pvec,
			 struct lru_pagevec *out)
{
	spin_lock(&task->lru_pvecs_lock);
	*out = *pvec;
	pvec->nr = 0;
	spin_unlock(&task->lru_pvecs_lock);
	return out->nr != 0;
}

/*
 * Queue a new page for the LRU. The vector holds a reference until it is drained, so the page
 * cannot be freed meanwhile (spec 12.2: new file pages go inactive, new anon pages active).
 */
void lru_cache_add(struct page *page)
{
	struct task_struct *task = current_or_default(page_engine(page));
	struct lru_pagevec full;

	get_page(page);
	if (pagevec_add_locked(task, &task->lru_add_pvec, page, &full))
		__pagevec_lru_add(&full);
}

/* New anonymous pages start active (v4.19), or unevictable in a locked region. */
void lru_cache_add_active_or_unevictable(struct page *page, struct region *region)
{
	if (!(region->vm_flags & VM_LOCKED)) {
		SetPageActive(page);
	} else if (!TestSetPageMlocked(page)) {
		mod_zone_page_state(page_zone(page), NR_MLOCK, 1);
		count_vm_event(page_engine(page), UNEVICTABLE_PGMLOCKED);
	}
	lru_cache_add(page);
}

/* @task's vectors onto the lists, from @task itself or from any other thread. */
static void lru_add_drain_task(struct task_struct *task)
{
	struct lru_pagevec pvec;

	if (pagevec_take(task, &task->lru_add_pvec, &pvec))
		__pagevec_lru_add(&pvec);
	if (pagevec_take(task, &task->lru_rotate_pvec, &pvec))
		pagevec_move_tail(&pvec);
}

void lru_add_drain(struct rcl_engine *engine)
{
	lru_add_drain_task(current_or_default(engine));
}

/*
 * Every thread's vectors, each under its own lock while its pages are taken over; a page
 * another thread adds meanwhile waits for the next drain, as one added just after would.
 * tasks_lock keeps the threads from going away meanwhile.
 */
void lru_add_drain_all(struct rcl_engine *engine)
{
	struct task_struct *task;

	lru_add_drain_task(engine->default_task);
	pthread_mutex_lock(&engine->tasks_lock);
	for (task = engine->tasks; task; task = task->next)
		lru_add_drain_task(task);
	pthread_mutex_unlock(&engine->tasks_lock);
}

/* activate_page of a page on @lruvec's lists, lru_lock held. */
static void __activate_page(struct page *page, struct lruvec *lruvec)
{
	if (!PageLRU(page) || PageActive(page) || PageUnevictable(page))
		return;
	del_page_from_lru_list(page, lruvec, page_lru(page));
	SetPageActive(page);
	add_page_to_lru_list(page, lruvec, page_lru(page));
	count_vm_event(page_engine(page), PGACTIVATE);
	count_memcg_events(page_memcg(page), PGACTIVATE, 1);
	update_page_reclaim_stat(lruvec, page_is_file_cache(page), true);
}

/* Move an inactive page on the LRU to its active list now. */
void activate_page(struct page *page)
{
	struct lruvec *lruvec = mem_cgroup_page_lruvec(page);

	clockpro_lru_prepare(page);
	lru_lock(lruvec->pgdat);
	__activate_page(page, lruvec);
	lru_unlock(lruvec->pgdat);
}

/*
 * The page is still in this thread's LRU-add vector: mark it so it lands active. A drainer
 * that took the vector over an instant ago puts it on the inactive list instead, and the next
 * access activates it there: the kernel accepts the same miss.
 */
static void __lru_cache_activate_page(struct page *page)
{
	struct task_struct *task = current_or_default(page_engine(page));
	struct lru_pagevec *pvec = &task->lru_add_pvec;
	unsigned int i;

	spin_lock(&task->lru_pvecs_lock);
	for (i = pvec->nr; i > 0; i--) {
		if (pvec->pages[i - 1] == page) {
			SetPageActive(page);
			break;
		}
	}
	spin_unlock(&task->lru_pvecs_lock);
}

/*
 * An access that does not go through a page-table entry (read/write calls): the first marks
 * the page referenced, the second activates it (spec 12.2).
 */
void mark_page_accessed(struct page *page)
{
	if (page_engine(page)->config.reclaim_policy == RCL_RECLAIM_CLOCK_PRO) {
		clockpro_page_accessed(page);
		return;
	}
	if (!PageActive(page) && !PageUnevictable(page) && PageReferenced(page)) {
		if (PageLRU(page))
			activate_page(page);
		else
			__lru_cache_activate_page(page);
		ClearPageReferenced(page);
		if (page_is_file_cache(page))
			workingset_activation(page);
	} else if (!PageReferenced(page)) {
		SetPageReferenced(page);
	}
}

/* deactivate_file_page of a page on @lruvec's lists, lru_lock held. */
static void __deactivate_file_page(struct page *page, struct lruvec *lruvec)
{
	bool active;

	active = PageActive(page);
	del_page_from_lru_list(page, lruvec, page_lru(page));
	ClearPageActive(page);
	ClearPageReferenced(page);
	if (clockpro_page_cold(page))
		active = true;
	add_page_to_lru_list(page, lruvec, page_lru(page));
	if (active) {
		count_vm_event(page_engine(page), PGDEACTIVATE);
		count_memcg_events(page_memcg(page), PGDEACTIVATE, 1);
	}
	update_page_reclaim_stat(lruvec, page_is_file_cache(page), false);
}

/* MADV_COLD: an active page goes to the inactive list, its references forgotten. */
void deactivate_file_page(struct page *page)
{
	struct lruvec *lruvec = mem_cgroup_page_lruvec(page);

	clockpro_lru_prepare(page);
	lru_lock(lruvec->pgdat);
	if (PageLRU(page) && !PageUnevictable(page))
		__deactivate_file_page(page, lruvec);
	lru_unlock(lruvec->pgdat);
}

/* mark_page_lazyfree of a page on @lruvec's lists, lru_lock held. */
static void __mark_page_lazyfree(struct page *page, struct lruvec *lruvec)
{
	bool active;

	active = PageActive(page);
	del_page_from_lru_list(page, lruvec, page_lru(page));
	ClearPageActive(page);
	ClearPageReferenced(page);
	ClearPageSwapBacked(page);
	/* memcg stats follow the page's kind, as the LRU sizes do. */
	mod_memcg_state(page_memcg(page), MEMCG_RSS, -1);
	mod_memcg_state(page_memcg(page), MEMCG_CACHE, 1);
	add_page_to_lru_list(page, lruvec, LRU_INACTIVE_FILE);
	count_vm_event(page_engine(page), PGLAZYFREE);
	update_page_reclaim_stat(lruvec, false, active);
}

/*
 * MADV_FREE: the contents may be dropped instead of swapped. The page stops being swap-backed
 * and moves to the inactive file list (spec 12.2, pglazyfree).
 */
void mark_page_lazyfree(struct page *page)
{
	struct lruvec *lruvec = mem_cgroup_page_lruvec(page);

	clockpro_lru_prepare(page);
	lru_lock(lruvec->pgdat);
	if (PageLRU(page) && PageSwapBacked(page) && !PageSwapCache(page) &&
	    !PageUnevictable(page))
		__mark_page_lazyfree(page, lruvec);
	lru_unlock(lruvec->pgdat);
}

/* Writeback ended on a page reclaim wanted: queue it for the inactive tail (spec 18). */
void rotate_reclaimable_page(struct page *page)
{
	struct task_struct *task;
	struct lru_pagevec full;

	if (PageLocked(page) || PageDirty(page) || PageActive(page) || PageUnevictable(page) ||
	    !PageLRU(page))
		return;
	task = current_or_default(page_engine(page));
	get_page(page);
	if (pagevec_add_locked(task, &task->lru_rotate_pvec, page, &full))
		pagevec_move_tail(&full);
}

/* Take a page off its LRU list, holding a reference: 0 or -EBUSY if it is not on one. */
int isolate_lru_page(struct page *page)
{
	struct lruvec *lruvec = mem_cgroup_page_lruvec(page);
	int ret = -EBUSY;

	clockpro_lru_prepare(page);
	lru_lock(lruvec->pgdat);
	if (PageLRU(page)) {
		get_page(page);
		ClearPageLRU(page);
		del_page_from_lru_list(page, lruvec, page_lru(page));
		ret = 0;
	}
	lru_unlock(lruvec->pgdat);
	return ret;
}

void put_page_lru_locked(struct page *page, struct lruvec *lruvec, struct page_list *pages_to_free)
{
	if (!put_page_testzero(page))
		return;
	del_page_from_lru_list(page, lruvec, page_lru(page));
	ClearPageLRU(page);
	page_list_add(pages_to_free, page);
}

/* Return an isolated page to the LRU (unevictable if it became so) and drop the isolation
 * reference. Not under lru_lock: the vector may drain, the reference may be the last. */
void putback_lru_page(struct page *page)
{
	lru_cache_add(page);
	put_page(page);
}
