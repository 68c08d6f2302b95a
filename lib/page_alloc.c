/*
 * page_alloc.c - the buddy allocator, per-thread page lists and watermarks (spec sections 2-4).
 *
 * Each zone keeps free blocks of 2^order frames on lists by order and migratetype. Allocation
 * takes the smallest block that fits and splits it (expand); freeing merges a block with its
 * buddy, the block at pfn ^ (1 << order), for as long as the buddy is free and of the same order.
 * Order-0 pages go through per-thread lists so that the zone lock is taken once per batch.
 *
 * Whether an allocation may take a page from a zone is decided by the zone's watermarks:
 * min/low/high, computed from min_free_kbytes and watermark_scale_factor as the kernel does at
 * boot, and lowmem_reserve, which keeps lower zones for allocations that can use nothing else.
 *
 * The steps keep their kernel names: get_page_from_freelist, rmqueue, __rmqueue_smallest,
 * __rmqueue_fallback, __free_one_page, free_pcppages_bulk, __zone_watermark_ok ...
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "vmscan.h"

const char *const zone_names[MAX_NR_ZONES] = {
	[ZONE_DMA32] = "DMA32",
	[ZONE_NORMAL] = "Normal",
};

const char *const migratetype_names[MIGRATE_TYPES] = {
	[MIGRATE_UNMOVABLE] = "Unmovable",
	[MIGRATE_MOVABLE] = "Movable",
	[MIGRATE_RECLAIMABLE] = "Reclaimable",
	[MIGRATE_HIGHATOMIC] = "HighAtomic",
};

/* Which types a request may fall back to, in order of preference (spec section 3). */
static const int fallbacks[MIGRATE_TYPES][2] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
	[MIGRATE_HIGHATOMIC] = { -1, -1 },
};

/* ---- pageblock migratetypes ----------------------------------------------------------- */

static inline unsigned long pageblock_index(const struct zone *zone, unsigned long pfn)
{
	return (pfn - zone->zone_start_pfn) >> pageblock_order;
}

static inline int get_pfnblock_migratetype(const struct zone *zone, unsigned long pfn)
{
	return zone->pageblock_mt[pageblock_index(zone, pfn)];
}

int get_pageblock_migratetype(const struct page *page)
{
	return get_pfnblock_migratetype(page_zone(page), page_to_pfn(page));
}

/* Caller holds zone->lock, or owns the zone (boot). */
void set_pageblock_migratetype(struct page *page, int migratetype)
{
	struct zone *zone = page_zone(page);

	zone->pageblock_mt[pageblock_index(zone, page_to_pfn(page))] = (uint8_t)migratetype;
}

/* ---- free lists: the only places that change nr_free ----------------------------------- */

static inline unsigned int buddy_order(const struct page *page)
{
	return page->private;
}

/*
 * A free block's head remembers its order (->private) and the list it is on (->index): a block
 * moved to another type's list by a single-page steal no longer matches its pageblock's type.
 */
static inline void add_to_free_area(struct page *page, struct zone *zone, unsigned int order,
				    int migratetype)
{
	struct free_area *area = &zone->free_area[order];

	page_list_add(&area->free_list[migratetype], page);
	page->index = (uint32_t)migratetype;
	page->private = order;
	__SetPageBuddy(page);
	area->nr_free++;
}

/* Used when the block is likely to merge soon: keep it away from the allocation end. */
static inline void add_to_free_area_tail(struct page *page, struct zone *zone, unsigned int order,
					 int migratetype)
{
	struct free_area *area = &zone->free_area[order];

	page_list_add_tail(&area->free_list[migratetype], page);
	page->index = (uint32_t)migratetype;
	page->private = order;
	__SetPageBuddy(page);
	area->nr_free++;
}

static inline void del_page_from_free_area(struct page *page, struct zone *zone,
					   unsigned int order)
{
	struct free_area *area = &zone->free_area[order];

	page_list_del(&area->free_list[page->index], page);
	__ClearPageBuddy(page);
	page->private = 0;
	area->nr_free--;
}

static inline void move_to_free_area(struct page *page, struct free_area *area, int migratetype)
{
	page_list_move(&area->free_list[page->index], &area->free_list[migratetype], page);
	page->index = (uint32_t)migratetype;
}

/* ---- freeing -------------------------------------------------------------------------- */

static inline unsigned long __find_buddy_pfn(unsigned long pfn, unsigned int order)
{
	return pfn ^ (1UL << order);
}

/* The buddy is mergeable if it is a free block of the same order in the same zone. */
static inline bool page_is_buddy(const struct zone *zone, const struct page *buddy,
				 unsigned long buddy_pfn, unsigned int order)
{
	return zone_spans_pfn(zone, buddy_pfn) && PageBuddy(buddy) && buddy_order(buddy) == order;
}

/*
 * Return a block to the buddy lists, merging it with its buddies as far as they go.
 * Caller holds zone->lock.
 */
static void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone,
			    unsigned int order, int migratetype)
{
	unsigned long buddy_pfn = 0, combined_pfn;
	struct page *buddy;

	mod_zone_page_state(zone, NR_FREE_PAGES, 1L << order);

	while (order < MAX_ORDER - 1) {
		buddy_pfn = __find_buddy_pfn(pfn, order);
		buddy = page + (buddy_pfn - pfn);
		if (!page_is_buddy(zone, buddy, buddy_pfn, order))
			break;
		del_page_from_free_area(buddy, zone, order);
		combined_pfn = buddy_pfn & pfn;
		page = page + (combined_pfn - pfn);
		pfn = combined_pfn;
		order++;
	}

	/*
	 * If the next-higher buddy is free, this block is likely to merge soon once its own buddy
	 * is freed: queue it at the tail so that allocations do not split it again meanwhile.
	 */
	if (order < MAX_ORDER - 2) {
		unsigned long higher_pfn, higher_buddy_pfn;

		buddy_pfn = __find_buddy_pfn(pfn, order);
		higher_pfn = buddy_pfn & pfn;
		higher_buddy_pfn = __find_buddy_pfn(higher_pfn, order + 1);
		if (page_is_buddy(zone, page + (higher_buddy_pfn - pfn), higher_buddy_pfn,
				  order + 1)) {
			add_to_free_area_tail(page, zone, order, migratetype);
			return;
		}
	}
	add_to_free_area(page, zone, order, migratetype);
}

static void free_one_page(struct zone *zone, struct page *page, unsigned long pfn,
			  unsigned int order, int migratetype)
{
	spin_lock(&zone->lock);
	__free_one_page(page, pfn, zone, order, migratetype);
	spin_unlock(&zone->lock);
}

/* Freeing a page that is still on an LRU, mapped or in flight is a bug in the caller. */
static inline void assert_page_free_ok(const struct page *p)
{
	assert(!PageLRU(p) && !PageBuddy(p) && !PageWriteback(p) && page_mapcount(p) == 0);
	(void)p;
}

/* A freed page must carry no state; its zone and node bits stay. */
static void free_pages_prepare(struct page *page, unsigned int order)
{
	const uint32_t keep = (PG_NODE_MASK << PG_NODE_SHIFT) | (PG_ZONE_MASK << PG_ZONE_SHIFT);
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		struct page *p = page + i;

		assert_page_free_ok(p);
		atomic_store_explicit(&p->flags, page_flags(p) & keep, memory_order_relaxed);
		p->mapping = 0;
		p->mem_cgroup = 0;
	}
}

/*
 * Return @count pages from @pcp to the buddy: round-robin over the lists, taking more from
 * fuller lists (batch_free grows with each empty list passed). Caller holds pcp->lock and
 * guarantees count <= pcp->count.
 */
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp)
{
	struct page_list head;
	struct page *page;
	int migratetype = 0, batch_free = 0;

	page_list_init(&head, zone->mem_map);
	while (count) {
		struct page_list *list;

		do {
			batch_free++;
			if (++migratetype == MIGRATE_PCPTYPES)
				migratetype = 0;
			list = &pcp->lists[migratetype];
		} while (page_list_empty(list));

		/* This is the only non-empty list: free from it all that is asked. */
		if (batch_free == MIGRATE_PCPTYPES)
			batch_free = count;

		do {
			page = page_list_last(list);
			page_list_del(list, page);
			pcp->count--;
			page_list_add_tail(&head, page);
		} while (--count && --batch_free && !page_list_empty(list));
	}

	spin_lock(&zone->lock);
	while ((page = page_list_first(&head))) {
		page_list_del(&head, page);
		/* ->index holds the pageblock type recorded when the page was freed. */
		__free_one_page(page, page_to_pfn(page), zone, 0, (int)page->index);
	}
	spin_unlock(&zone->lock);
}

/* Free an order-0 page to the calling thread's lists, or to the buddy if it has none. */
void free_unref_page(struct page *page)
{
	struct zone *zone = page_zone(page);
	struct rcl_engine *engine = zone->zone_pgdat->engine;
	unsigned long pfn = page_to_pfn(page);
	int migratetype = get_pfnblock_migratetype(zone, pfn);
	struct task_struct *task = get_current(engine);
	struct per_cpu_pages *pcp;

	free_pages_prepare(page, 0);
	count_vm_event(engine, PGFREE);
	if (!task) {
		free_one_page(zone, page, pfn, 0, migratetype);
		return;
	}

	/* Remember the block's real type for the buddy; highatomic pages wait on movable. */
	page->index = (uint32_t)migratetype;
	if (migratetype >= MIGRATE_PCPTYPES)
		migratetype = MIGRATE_MOVABLE;

	pcp = &task->pcp[zone->global_id];
	spin_lock(&pcp->lock);
	page_list_add(&pcp->lists[migratetype], page);
	pcp->count++;
	if (pcp->count >= pcp->high)
		free_pcppages_bulk(zone, pcp->batch, pcp);
	spin_unlock(&pcp->lock);
}

static void __free_pages_ok(struct page *page, unsigned int order)
{
	struct zone *zone = page_zone(page);
	unsigned long pfn = page_to_pfn(page);

	free_pages_prepare(page, order);
	count_vm_events(zone->zone_pgdat->engine, PGFREE, 1UL << order);
	free_one_page(zone, page, pfn, order, get_pfnblock_migratetype(zone, pfn));
}

/* Drop a reference to a block of 2^order pages; the last reference frees it. */
void __free_pages(struct page *page, unsigned int order)
{
	if (!put_page_testzero(page))
		return;
	if (order == 0)
		free_unref_page(page);
	else
		__free_pages_ok(page, order);
}

/* ---- allocation from the buddy -------------------------------------------------------- */

/* Split a block of order @high down to order @low, returning the upper halves to the lists. */
static inline void expand(struct zone *zone, struct page *page, unsigned int low,
			  unsigned int high, int migratetype)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_area(&page[size], zone, high, migratetype);
	}
}

/* The smallest block of @migratetype that fits, split to @order. Caller holds zone->lock. */
static struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, int migratetype)
{
	unsigned int current_order;
	struct page *page;

	for (current_order = order; current_order < MAX_ORDER; current_order++) {
		page = page_list_first(&zone->free_area[current_order].free_list[migratetype]);
		if (!page)
			continue;
		del_page_from_free_area(page, zone, current_order);
		expand(zone, page, order, current_order, migratetype);
		page->index = (uint32_t)migratetype;
		return page;
	}
	return NULL;
}

/*
 * Move the free blocks of the pageblock holding @page to @migratetype's lists. Returns the free
 * pages moved; *num_movable, if given, counts allocated pages that are movable (on an LRU).
 * Caller holds zone->lock.
 */
static int move_freepages_block(struct zone *zone, struct page *page, int migratetype,
				int *num_movable)
{
	unsigned long pfn = page_to_pfn(page);
	unsigned long start = pfn & ~(pageblock_nr_pages - 1);
	unsigned long end = start + pageblock_nr_pages;
	int pages_moved = 0;

	if (num_movable)
		*num_movable = 0;
	/* A pageblock may reach past the zone: move only what the zone holds. */
	if (start < zone->zone_start_pfn)
		start = zone->zone_start_pfn;
	if (end > zone->zone_start_pfn + zone->spanned_pages)
		end = zone->zone_start_pfn + zone->spanned_pages;

	for (pfn = start; pfn < end;) {
		struct page *p = zone->mem_map + pfn;
		unsigned int order;

		if (!PageBuddy(p)) {
			if (num_movable && PageLRU(p))
				(*num_movable)++;
			pfn++;
			continue;
		}
		order = buddy_order(p);
		move_to_free_area(p, &zone->free_area[order], migratetype);
		pfn += 1UL << order;
		pages_moved += 1 << order;
	}
	return pages_moved;
}

/* Whether a fallback of this order may claim the whole pageblock for the requesting type. */
static bool can_steal_fallback(unsigned int order, int start_mt)
{
	if (order >= pageblock_order)
		return true;
	return order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

/*
 * Take a fallback block for @start_type. When @whole_block, move every free page of its
 * pageblock over too, and relabel the pageblock if at least half of it is free or already
 * compatible. Caller holds zone->lock.
 */
static void steal_suitable_fallback(struct zone *zone, struct page *page, int start_type,
				    bool whole_block)
{
	unsigned int current_order = buddy_order(page);
	int free_pages, movable_pages, alike_pages;
	int old_block_type = get_pageblock_migratetype(page);

	if (old_block_type == MIGRATE_HIGHATOMIC)
		goto single_page;

	/* A block of at least a pageblock: relabel all the pageblocks it covers. */
	if (current_order >= pageblock_order) {
		unsigned long nr = 1UL << (current_order - pageblock_order), i;

		for (i = 0; i < nr; i++)
			set_pageblock_migratetype(page + i * pageblock_nr_pages, start_type);
		goto single_page;
	}

	if (!whole_block)
		goto single_page;

	free_pages = move_freepages_block(zone, page, start_type, &movable_pages);
	/* Pages that are not free but of a compatible type count towards the claim. */
	if (start_type == MIGRATE_MOVABLE)
		alike_pages = movable_pages;
	else if (old_block_type == MIGRATE_MOVABLE)
		alike_pages = (int)pageblock_nr_pages - (free_pages + movable_pages);
	else
		alike_pages = 0;

	/* move_freepages_block has already moved the block itself: it is not on its list. */
	if (!free_pages)
		goto single_page;

	if (free_pages + alike_pages >= (1 << (pageblock_order - 1)))
		set_pageblock_migratetype(page, start_type);
	return;

single_page:
	move_to_free_area(page, &zone->free_area[current_order], start_type);
}

/* The first fallback type with a free block at @order, or -1. */
static int find_suitable_fallback(struct free_area *area, unsigned int order, int migratetype,
				  bool *can_steal)
{
	int i;

	*can_steal = false;
	if (area->nr_free == 0)
		return -1;
	for (i = 0; i < 2; i++) {
		int fallback_mt = fallbacks[migratetype][i];

		if (fallback_mt < 0 || page_list_empty(&area->free_list[fallback_mt]))
			continue;
		if (can_steal_fallback(order, migratetype))
			*can_steal = true;
		return fallback_mt;
	}
	return -1;
}

/*
 * No block of the wanted type at any order: steal from another type, largest blocks first so
 * that one steal serves many later allocations and fragmentation stays in few pageblocks.
 * A movable request that cannot claim a whole pageblock takes the smallest block instead.
 * Caller holds zone->lock.
 */
static bool __rmqueue_fallback(struct zone *zone, unsigned int order, int start_migratetype)
{
	struct free_area *area;
	int current_order, fallback_mt = -1;
	bool can_steal = false;
	struct page *page;

	for (current_order = MAX_ORDER - 1; current_order >= (int)order; current_order--) {
		area = &zone->free_area[current_order];
		fallback_mt = find_suitable_fallback(area, current_order, start_migratetype,
						     &can_steal);
		if (fallback_mt == -1)
			continue;
		if (!can_steal && start_migratetype == MIGRATE_MOVABLE &&
		    current_order > (int)order)
			goto find_smallest;
		goto do_steal;
	}
	return false;

find_smallest:
	for (current_order = order; current_order < MAX_ORDER; current_order++) {
		area = &zone->free_area[current_order];
		fallback_mt = find_suitable_fallback(area, current_order, start_migratetype,
						     &can_steal);
		if (fallback_mt != -1)
			break;
	}

do_steal:
	page = page_list_first(&area->free_list[fallback_mt]);
	steal_suitable_fallback(zone, page, start_migratetype, can_steal);
	return true;
}

/* One block of @order and @migratetype, falling back to other types. Caller holds zone->lock. */
static struct page *__rmqueue(struct zone *zone, unsigned int order, int migratetype)
{
	struct page *page;

	while (!(page = __rmqueue_smallest(zone, order, migratetype))) {
		if (!__rmqueue_fallback(zone, order, migratetype))
			return NULL;
	}
	return page;
}

/* Take up to @count blocks for a per-thread list, in one hold of the zone lock. */
static int rmqueue_bulk(struct zone *zone, unsigned int order, int count,
			struct page_list *list, int migratetype)
{
	int i;

	spin_lock(&zone->lock);
	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue(zone, order, migratetype);

		if (!page)
			break;
		/* Tail: the list then hands out pages in physical order. */
		page_list_add_tail(list, page);
	}
	mod_zone_page_state(zone, NR_FREE_PAGES, -((long)i << order));
	spin_unlock(&zone->lock);
	return i;
}

static struct page *rmqueue_pcplist(struct zone *zone, struct task_struct *task,
				    int migratetype)
{
	struct per_cpu_pages *pcp = &task->pcp[zone->global_id];
	struct page_list *list = &pcp->lists[migratetype];
	struct page *page;

	spin_lock(&pcp->lock);
	if (page_list_empty(list)) {
		pcp->count += rmqueue_bulk(zone, 0, pcp->batch, list, migratetype);
		if (page_list_empty(list)) {
			spin_unlock(&pcp->lock);
			return NULL;
		}
	}
	page = page_list_first(list);
	page_list_del(list, page);
	pcp->count--;
	spin_unlock(&pcp->lock);
	return page;
}

static struct page *rmqueue(struct rcl_engine *engine, struct zone *zone, unsigned int order,
			    unsigned int alloc_flags, int migratetype)
{
	struct task_struct *task;
	struct page *page = NULL;

	if (order == 0 && (task = get_current(engine))) {
		page = rmqueue_pcplist(zone, task, migratetype);
		goto out;
	}

	spin_lock(&zone->lock);
	if (alloc_flags & ALLOC_HARDER)
		page = __rmqueue_smallest(zone, order, MIGRATE_HIGHATOMIC);
	if (!page)
		page = __rmqueue(zone, order, migratetype);
	if (page)
		mod_zone_page_state(zone, NR_FREE_PAGES, -(1L << order));
	spin_unlock(&zone->lock);
out:
	if (page)
		__count_zid_vm_events(engine, PGALLOC_DMA32, (enum zone_type)zone->zone_idx,
				      1UL << order);
	return page;
}

static void prep_new_page(struct page *page, unsigned int order, gfp_t gfp)
{
	set_page_count(page, 1);
	page->index = 0;
	page->private = 0;
	atomic_store_explicit(&page->_mapcount, -1, memory_order_relaxed);
	if (gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
}

/*
 * Turn the pageblock of a successful high-order ALLOC_HARDER allocation into a highatomic
 * reserve, so that the next such allocation finds a block, up to 1% of the zone plus one block.
 */
static void reserve_highatomic_pageblock(struct page *page, struct zone *zone)
{
	unsigned long max_managed = zone->managed_pages / 100 + pageblock_nr_pages;
	int mt;

	if (zone->nr_reserved_highatomic >= max_managed)
		return;
	spin_lock(&zone->lock);
	if (zone->nr_reserved_highatomic >= max_managed)
		goto out;
	mt = get_pageblock_migratetype(page);
	if (mt != MIGRATE_HIGHATOMIC) {
		zone->nr_reserved_highatomic += pageblock_nr_pages;
		set_pageblock_migratetype(page, MIGRATE_HIGHATOMIC);
		move_freepages_block(zone, page, MIGRATE_HIGHATOMIC, NULL);
	}
out:
	spin_unlock(&zone->lock);
}

/*
 * Give highatomic pageblocks back to the allocation's type when the alternative is failing.
 * Without @force, zones keep their last reserved pageblock.
 */
bool unreserve_highatomic_pageblock(struct rcl_engine *engine, const struct alloc_context *ac,
				    bool force)
{
	struct zoneref *z;
	struct zone *zone;
	unsigned int order;

	(void)engine;
	for_each_zone_zonelist_nodemask(zone, z, ac->zonelist, ac->high_zoneidx, ac->nodemask) {
		if (!force && zone->nr_reserved_highatomic <= pageblock_nr_pages)
			continue;
		spin_lock(&zone->lock);
		for (order = 0; order < MAX_ORDER; order++) {
			struct free_area *area = &zone->free_area[order];
			struct page *page = page_list_first(&area->free_list[MIGRATE_HIGHATOMIC]);
			int moved;

			if (!page)
				continue;
			/* The block may sit on the highatomic list while its pageblock was
			 * relabelled by a steal: only a real reserve decrements the count. */
			if (get_pageblock_migratetype(page) == MIGRATE_HIGHATOMIC)
				zone->nr_reserved_highatomic -=
					min_t(unsigned long, pageblock_nr_pages,
					      zone->nr_reserved_highatomic);
			set_pageblock_migratetype(page, ac->migratetype);
			moved = move_freepages_block(zone, page, ac->migratetype, NULL);
			if (moved) {
				spin_unlock(&zone->lock);
				return true;
			}
		}
		spin_unlock(&zone->lock);
	}
	return false;
}

/* ---- watermarks ----------------------------------------------------------------------- */

/*
 * Whether @z can satisfy an allocation of @order and keep @free_pages above @mark, after the
 * reserves that @alloc_flags does not entitle it to (spec 2.5).
 */
bool __zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
			 int classzone_idx, unsigned int alloc_flags, long free_pages)
{
	long min = (long)mark;
	const bool alloc_harder = alloc_flags & (ALLOC_HARDER | ALLOC_OOM);
	bool ok = false;
	unsigned int o;
	int mt;

	free_pages -= (1L << order) - 1;
	if (alloc_flags & ALLOC_HIGH)
		min -= min / 2;

	if (!alloc_harder) {
		/* Only the entitled may use the highatomic reserve: do not count it. */
		free_pages -= (long)z->nr_reserved_highatomic;
	} else {
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
		else
			min -= min / 4;
	}

	if (free_pages <= min + z->lowmem_reserve[classzone_idx])
		return false;
	if (!order)
		return true;

	/* Enough pages in total; now there must be a block of the order somewhere. */
	spin_lock(&z->lock);
	for (o = order; o < MAX_ORDER && !ok; o++) {
		struct free_area *area = &z->free_area[o];

		if (!area->nr_free)
			continue;
		for (mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			if (!page_list_empty(&area->free_list[mt]))
				ok = true;
		if (alloc_harder && !page_list_empty(&area->free_list[MIGRATE_HIGHATOMIC]))
			ok = true;
	}
	spin_unlock(&z->lock);
	return ok;
}

bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int classzone_idx, unsigned int alloc_flags)
{
	return __zone_watermark_ok(z, order, mark, classzone_idx, alloc_flags,
				   (long)zone_page_state(z, NR_FREE_PAGES));
}

/* Order 0 with room to spare skips the reserve arithmetic. */
static inline bool zone_watermark_fast(struct zone *z, unsigned int order, unsigned long mark,
				       int classzone_idx, unsigned int alloc_flags)
{
	long free_pages = (long)zone_page_state(z, NR_FREE_PAGES);

	if (!order && free_pages > (long)mark + z->lowmem_reserve[classzone_idx])
		return true;
	return __zone_watermark_ok(z, order, mark, classzone_idx, alloc_flags, free_pages);
}

/*
 * The kernel folds per-cpu counter drift here; this engine's NR_FREE_PAGES is always exact, so
 * the safe check is the plain one.
 */
bool zone_watermark_ok_safe(struct zone *z, unsigned int order, unsigned long mark,
			    int classzone_idx)
{
	return zone_watermark_ok(z, order, mark, classzone_idx, 0);
}

/* ---- the allocation path -------------------------------------------------------------- */

/*
 * Walk the zonelist and take a page from the first zone that passes its watermark.
 */
struct page *get_page_from_freelist(struct rcl_engine *engine, gfp_t gfp, unsigned int order,
				    unsigned int alloc_flags, const struct alloc_context *ac)
{
	struct zoneref *z = ac->preferred_zoneref;
	struct zone *zone;

	for_next_zone_zonelist_nodemask(zone, z, ac->high_zoneidx, ac->nodemask) {
		unsigned long mark = wmark_pages(zone, alloc_flags & ALLOC_WMARK_MASK);
		struct page *page;

		if (!managed_zone(zone))
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_fast(zone, order, mark, ac_classzone_idx(ac), alloc_flags))
			continue;	/* node_reclaim_mode is 0: try the next zone */

		page = rmqueue(engine, zone, order, alloc_flags, ac->migratetype);
		if (page) {
			prep_new_page(page, order, gfp);
			if (order && (alloc_flags & ALLOC_HARDER))
				reserve_highatomic_pageblock(page, zone);
			return page;
		}
	}
	return NULL;
}

enum zone_type gfp_zone(gfp_t gfp)
{
	return (gfp & __GFP_DMA32) ? ZONE_DMA32 : ZONE_NORMAL;
}

int gfpflags_to_migratetype(gfp_t gfp)
{
	if (gfp & __GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	if (gfp & __GFP_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}

/* The slow path's alloc_flags (spec section 4 step 2). */
unsigned int gfp_to_alloc_flags(gfp_t gfp)
{
	unsigned int alloc_flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;

	if (gfp & __GFP_HIGH)
		alloc_flags |= ALLOC_HIGH;
	if (gfp & __GFP_ATOMIC) {
		if (!(gfp & __GFP_NOMEMALLOC))
			alloc_flags |= ALLOC_HARDER;
		alloc_flags &= ~ALLOC_CPUSET;
	}
	return alloc_flags;
}

static struct zonelist *node_zonelist(struct rcl_engine *engine, int nid, gfp_t gfp)
{
	return &NODE_DATA(engine, nid)->node_zonelists[(gfp & __GFP_THISNODE) ?
						       ZONELIST_NOFALLBACK : ZONELIST_FALLBACK];
}

/* Fill @ac; false if the request names no usable zone. */
bool prepare_alloc_pages(struct rcl_engine *engine, gfp_t gfp, unsigned int order,
			 int preferred_nid, const nodemask_t *nodemask, struct alloc_context *ac)
{
	(void)order;
	if (preferred_nid < 0 || preferred_nid >= engine->nr_nodes)
		return false;
	ac->high_zoneidx = gfp_zone(gfp);
	ac->zonelist = node_zonelist(engine, preferred_nid, gfp);
	ac->nodemask = nodemask;
	ac->migratetype = gfpflags_to_migratetype(gfp);
	ac->spread_dirty_pages = gfp & __GFP_WRITE;
	ac->preferred_zoneref = next_zones_zonelist(ac->zonelist->_zonerefs, ac->high_zoneidx,
						    nodemask);
	return ac->preferred_zoneref->zone != NULL;
}

/*
 * Reserves the caller is entitled to: ALLOC_NO_WATERMARKS for __GFP_MEMALLOC and for a thread
 * already in reclaim (its allocations are what frees memory), unless __GFP_NOMEMALLOC.
 */
static unsigned int __gfp_pfmemalloc_flags(struct rcl_engine *engine, gfp_t gfp)
{
	struct task_struct *task = get_current(engine);

	if (gfp & __GFP_NOMEMALLOC)
		return 0;
	if (gfp & __GFP_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	if (task && (task->flags & PF_MEMALLOC))
		return ALLOC_NO_WATERMARKS;
	return 0;
}

static void wake_all_kswapds(struct rcl_engine *engine, unsigned int order, gfp_t gfp,
			     const struct alloc_context *ac)
{
	struct pglist_data *last_pgdat = NULL;
	struct zoneref *z;
	struct zone *zone;

	(void)engine;
	for_each_zone_zonelist_nodemask(zone, z, ac->zonelist, ac->high_zoneidx, ac->nodemask) {
		if (zone->zone_pgdat != last_pgdat)
			wakeup_kswapd(zone, gfp, (int)order, ac->high_zoneidx);
		last_pgdat = zone->zone_pgdat;
	}
}

/*
 * Reclaim as the allocating thread, marked PF_MEMALLOC so that its own allocations do not
 * recurse into reclaim (spec 4.1 __perform_reclaim). In a daemon it returns with its swap
 * writes in flight, as the kernel's does: end_page_writeback rotates those pages to the
 * inactive tail for a later pass. It waits for them only when the pass freed nothing (then
 * the written pages are what the retry frees, and the pass is not a step toward OOM for
 * writes that had no time to complete), and always in the deterministic engine, whose I/O
 * never outlives the call.
 */
static unsigned long __perform_reclaim(struct rcl_engine *engine, gfp_t gfp, unsigned int order,
				       const struct alloc_context *ac)
{
	struct task_struct *task = current_or_default(engine);
	struct reclaim_state reclaim_state = { .reclaimed_slab = 0 };
	struct reclaim_state *saved_state = task->reclaim_state;
	unsigned int saved_flags = task->flags;
	unsigned long progress;

	task->flags |= PF_MEMALLOC;
	task->reclaim_state = &reclaim_state;
	psi_memstall_enter(engine, current_or_default(engine)->faulting_region ? current_or_default(engine)->faulting_region->memcg :
							     NULL);
	progress = try_to_free_pages(engine, ac->zonelist, (int)order, gfp, ac->nodemask);
	if (!reclaim_may_sleep(engine) ||
	    (!progress && global_node_page_state(engine, NR_WRITEBACK)))
		writeback_wait_all(engine);
	wb_run_inline(engine);	/* the flusher it woke has run meanwhile */
	psi_memstall_leave(engine);
	task->reclaim_state = saved_state;
	task->flags = saved_flags;
	return progress;
}

static struct page *__alloc_pages_direct_reclaim(struct rcl_engine *engine, gfp_t gfp,
						 unsigned int order, unsigned int alloc_flags,
						 const struct alloc_context *ac,
						 unsigned long *did_some_progress)
{
	struct page *page;
	bool drained = false;

	*did_some_progress = __perform_reclaim(engine, gfp, order, ac);
	if (!*did_some_progress)
		return NULL;
retry:
	page = get_page_from_freelist(engine, gfp, order, alloc_flags, ac);
	/* Pages may be pinned on per-thread lists or in highatomic reserves. */
	if (!page && !drained) {
		unreserve_highatomic_pageblock(engine, ac, false);
		drain_all_pages(engine, NULL);
		drained = true;
		goto retry;
	}
	return page;
}

/*
 * Whether another round of reclaim could succeed: some zone would pass its min watermark if
 * everything reclaimable were freed (spec 4.2). With no progress and most of that dirty or
 * under writeback, it first waits for writeback (writeback_throttle: 100 ms in a daemon, the
 * completed I/O as one logical step in the deterministic engine).
 */
static bool should_reclaim_retry(struct rcl_engine *engine, gfp_t gfp, unsigned int order,
				 const struct alloc_context *ac, unsigned int alloc_flags,
				 bool did_some_progress, int *no_progress_loops)
{
	struct zoneref *z;
	struct zone *zone;

	if (did_some_progress && order <= PAGE_ALLOC_COSTLY_ORDER)
		*no_progress_loops = 0;
	else
		(*no_progress_loops)++;
	if (*no_progress_loops > MAX_RECLAIM_RETRIES)
		return unreserve_highatomic_pageblock(engine, ac, true);

	(void)gfp;
	for_each_zone_zonelist_nodemask(zone, z, ac->zonelist, ac->high_zoneidx, ac->nodemask) {
		unsigned long reclaimable = zone_page_state(zone, NR_ZONE_INACTIVE_FILE) +
					    zone_page_state(zone, NR_ZONE_ACTIVE_FILE);
		unsigned long available;

		if (get_nr_swap_pages(engine) > 0)
			reclaimable += zone_page_state(zone, NR_ZONE_INACTIVE_ANON) +
				       zone_page_state(zone, NR_ZONE_ACTIVE_ANON);
		available = reclaimable + zone_page_state(zone, NR_FREE_PAGES);
		if (!__zone_watermark_ok(zone, order, min_wmark_pages(zone), ac_classzone_idx(ac),
					 alloc_flags, (long)available))
			continue;
		/*
		 * No progress, and much of what could be reclaimed is dirty or under writeback:
		 * wait for the I/O rather than give up early (a premature OOM).
		 */
		if (!did_some_progress &&
		    2 * zone_page_state(zone, NR_ZONE_WRITE_PENDING) > reclaimable)
			writeback_throttle(engine);
		return true;
	}
	return false;
}

/* The OOM hand-off (spec 4.3); *did_some_progress tells the caller to retry. */
static struct page *__alloc_pages_may_oom(struct rcl_engine *engine, gfp_t gfp,
					  unsigned int order, const struct alloc_context *ac,
					  unsigned long *did_some_progress)
{
	struct page *page;

	*did_some_progress = 0;
	/* A kill that just freed memory: try the high watermark without reclaiming. */
	page = get_page_from_freelist(engine, gfp & ~__GFP_DIRECT_RECLAIM, order,
				      ALLOC_WMARK_HIGH | ALLOC_CPUSET, ac);
	if (page)
		return page;
	if (order > PAGE_ALLOC_COSTLY_ORDER || (gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)))
		return NULL;
	if (out_of_memory(engine, gfp, (int)order))
		*did_some_progress = 1;
	return NULL;
}

/*
 * The slow path (spec section 4): wake kswapd, try the min watermark and the reserves the
 * caller is entitled to, reclaim directly, retry while reclaim can still help, then hand over
 * to the OOM policy. Compaction is not built (spec 23.6): its steps are absent.
 */
static struct page *__alloc_pages_slowpath(struct rcl_engine *engine, gfp_t gfp,
					   unsigned int order, struct alloc_context *ac)
{
	bool can_direct_reclaim = gfp & __GFP_DIRECT_RECLAIM;
	bool costly_order = order > PAGE_ALLOC_COSTLY_ORDER;
	struct task_struct *task = current_or_default(engine);
	unsigned long did_some_progress;
	unsigned int alloc_flags, reserve_flags;
	int no_progress_loops = 0;
	struct page *page;

	/* __GFP_ATOMIC with __GFP_DIRECT_RECLAIM is a misuse: the caller can sleep. */
	if ((gfp & (__GFP_ATOMIC | __GFP_DIRECT_RECLAIM)) ==
	    (__GFP_ATOMIC | __GFP_DIRECT_RECLAIM))
		gfp &= ~__GFP_ATOMIC;

	alloc_flags = gfp_to_alloc_flags(gfp);
	if (gfp & __GFP_KSWAPD_RECLAIM)
		wake_all_kswapds(engine, order, gfp, ac);
	page = get_page_from_freelist(engine, gfp, order, alloc_flags, ac);
	if (page)
		return page;
retry:
	if (gfp & __GFP_KSWAPD_RECLAIM)
		wake_all_kswapds(engine, order, gfp, ac);
	reserve_flags = __gfp_pfmemalloc_flags(engine, gfp);
	if (reserve_flags)
		alloc_flags = reserve_flags;
	page = get_page_from_freelist(engine, gfp, order, alloc_flags, ac);
	if (page)
		return page;
	if (!can_direct_reclaim || (task->flags & PF_MEMALLOC))
		goto nopage;

	page = __alloc_pages_direct_reclaim(engine, gfp, order, alloc_flags, ac,
					    &did_some_progress);
	if (page)
		return page;
	if (gfp & __GFP_NORETRY)
		goto nopage;
	if (costly_order && !(gfp & __GFP_RETRY_MAYFAIL))
		goto nopage;
	if (should_reclaim_retry(engine, gfp, order, ac, alloc_flags, did_some_progress > 0,
				 &no_progress_loops))
		goto retry;

	page = __alloc_pages_may_oom(engine, gfp, order, ac, &did_some_progress);
	if (page)
		return page;
	if (did_some_progress) {
		no_progress_loops = 0;
		goto retry;
	}
nopage:
	if (gfp & __GFP_NOFAIL) {
		page = get_page_from_freelist(engine, gfp, order, ALLOC_HARDER | ALLOC_CPUSET, ac);
		if (page)
			return page;
		goto retry;
	}
	return NULL;
}

struct page *__alloc_pages_nodemask(struct rcl_engine *engine, gfp_t gfp, unsigned int order,
				    int preferred_nid, const nodemask_t *nodemask)
{
	struct alloc_context ac;
	struct page *page;

	if (order >= MAX_ORDER)
		return NULL;
	if (!prepare_alloc_pages(engine, gfp, order, preferred_nid, nodemask, &ac))
		return NULL;

	/* The fast path keeps the low watermark: below it kswapd should be at work. */
	page = get_page_from_freelist(engine, gfp, order, ALLOC_WMARK_LOW, &ac);
	if (page)
		return page;
	return __alloc_pages_slowpath(engine, gfp, order, &ac);
}

struct page *alloc_pages_node(struct rcl_engine *engine, int nid, gfp_t gfp, unsigned int order)
{
	return __alloc_pages_nodemask(engine, gfp, order, nid, NULL);
}

/* ---- per-thread lists ----------------------------------------------------------------- */

/*
 * Batch size of a zone's per-thread lists: a quarter of a 1/1024th of the zone, at most 1 MiB
 * worth, rounded to 2^n - 1 so that batches of different zones do not alias (spec section 3).
 */
int zone_batchsize(const struct zone *zone)
{
	unsigned long batch = zone->managed_pages / 1024;

	if (batch * PAGE_SIZE > 1024 * 1024)
		batch = (1024 * 1024) / PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	return (int)rounddown_pow_of_two(batch + batch / 2) - 1;
}

void pageset_init(struct per_cpu_pages *pcp, const struct zone *zone)
{
	int mt;

	spin_lock_init(&pcp->lock);
	pcp->count = 0;
	pcp->high = zone->pcp_high;
	pcp->batch = zone->pcp_batch;
	for (mt = 0; mt < MIGRATE_PCPTYPES; mt++)
		page_list_init(&pcp->lists[mt], zone->mem_map);
}

static void drain_pages_zone(struct task_struct *task, struct zone *zone)
{
	struct per_cpu_pages *pcp = &task->pcp[zone->global_id];

	spin_lock(&pcp->lock);
	if (pcp->count)
		free_pcppages_bulk(zone, pcp->count, pcp);
	spin_unlock(&pcp->lock);
}

static void drain_task_pages(struct task_struct *task, struct zone *zone)
{
	struct rcl_engine *engine = task->engine;
	int nid, zid;

	if (zone) {
		drain_pages_zone(task, zone);
		return;
	}
	for_each_zone(zone, engine, nid, zid)
		if (populated_zone(zone))
			drain_pages_zone(task, zone);
}

/* Return the calling thread's cached pages of @zone (all zones if NULL) to the buddy. */
void drain_local_pages(struct rcl_engine *engine, struct zone *zone)
{
	struct task_struct *task = get_current(engine);

	if (task)
		drain_task_pages(task, zone);
}

/*
 * Return every thread's cached pages to the buddy. Each list has its own lock, so a thread
 * blocked elsewhere (in I/O, in reclaim) is drained without its help.
 */
void drain_all_pages(struct rcl_engine *engine, struct zone *zone)
{
	struct task_struct *task;

	pthread_mutex_lock(&engine->tasks_lock);
	for (task = engine->tasks; task; task = task->next)
		drain_task_pages(task, zone);
	pthread_mutex_unlock(&engine->tasks_lock);
}

/* ---- boot ----------------------------------------------------------------------------- */

/*
 * Zonelists: the node's own zones, highest first, then the other nodes in order after it. All
 * nodes are equally distant here, so the kernel's distance ordering reduces to this rotation.
 */
void build_all_zonelists(struct rcl_engine *engine)
{
	int nid, i, zid;

	for (nid = 0; nid < engine->nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA(engine, nid);
		struct zoneref *fb = pgdat->node_zonelists[ZONELIST_FALLBACK]._zonerefs;
		struct zoneref *nf = pgdat->node_zonelists[ZONELIST_NOFALLBACK]._zonerefs;

		for (i = 0; i < engine->nr_nodes; i++) {
			struct pglist_data *other = NODE_DATA(engine, (nid + i) % engine->nr_nodes);

			for (zid = MAX_NR_ZONES - 1; zid >= 0; zid--) {
				struct zone *zone = &other->node_zones[zid];

				if (!populated_zone(zone))
					continue;
				*fb++ = (struct zoneref){ zone, zid };
				if (other == pgdat)
					*nf++ = (struct zoneref){ zone, zid };
			}
		}
		*fb = (struct zoneref){ NULL, 0 };
		*nf = (struct zoneref){ NULL, 0 };
	}
}

void zone_init_free_lists(struct zone *zone)
{
	unsigned int order;
	int mt;

	for (order = 0; order < MAX_ORDER; order++) {
		for (mt = 0; mt < MIGRATE_TYPES; mt++)
			page_list_init(&zone->free_area[order].free_list[mt], zone->mem_map);
		zone->free_area[order].nr_free = 0;
	}
}

/* Give every frame of the zone its descriptor: node and zone bits, no references, unmapped. */
void memmap_init_zone(struct zone *zone)
{
	uint32_t flags = ((uint32_t)zone_to_nid(zone) << PG_NODE_SHIFT) |
			 ((uint32_t)zone->zone_idx << PG_ZONE_SHIFT);
	unsigned long pfn, end = zone->zone_start_pfn + zone->spanned_pages;

	for (pfn = zone->zone_start_pfn; pfn < end; pfn++) {
		struct page *page = zone->mem_map + pfn;

		memset(page, 0, sizeof(*page));
		atomic_store_explicit(&page->flags, flags, memory_order_relaxed);
		atomic_store_explicit(&page->_mapcount, -1, memory_order_relaxed);
		page->lru_next = page->lru_prev = PFN_NONE;
	}
	/* The kernel marks every pageblock movable at boot; steals relabel them later. */
	memset(zone->pageblock_mt, MIGRATE_MOVABLE,
	       (zone->spanned_pages + pageblock_nr_pages - 1) >> pageblock_order);
}

/* Free the whole zone into the buddy lists as the largest aligned blocks that fit. */
void free_area_init_zone(struct zone *zone)
{
	unsigned long pfn = zone->zone_start_pfn, end = pfn + zone->spanned_pages;

	while (pfn < end) {
		unsigned int order = MAX_ORDER - 1;

		while (order && ((pfn & ((1UL << order) - 1)) || pfn + (1UL << order) > end))
			order--;
		/* In pfn order: the zone's first allocations come from its lowest frames. */
		add_to_free_area_tail(zone->mem_map + pfn, zone, order, MIGRATE_MOVABLE);
		mod_zone_page_state(zone, NR_FREE_PAGES, 1L << order);
		pfn += 1UL << order;
	}
	zone->pcp_batch = zone_batchsize(zone);
	zone->pcp_high = 6 * zone->pcp_batch;
	if (zone->pcp_batch < 1)	/* tiny zones: every free goes straight back */
		zone->pcp_batch = 1;
}

/* Pages above the high watermark in zones up to Normal: what the kernel sizes min_free on. */
unsigned long nr_free_buffer_pages(struct rcl_engine *engine)
{
	struct zone *zone;
	unsigned long sum = 0;
	int nid, zid;

	for_each_zone(zone, engine, nid, zid) {
		unsigned long size = zone->managed_pages, high = high_wmark_pages(zone);

		if (zid <= ZONE_NORMAL && size > high)
			sum += size - high;
	}
	return sum;
}

static void calculate_totalreserve_pages(struct rcl_engine *engine)
{
	unsigned long reserve_pages = 0;
	struct zone *zone;
	int nid, zid, j;

	for_each_zone(zone, engine, nid, zid) {
		long max = 0;

		for (j = zid; j < MAX_NR_ZONES; j++)
			if (zone->lowmem_reserve[j] > max)
				max = zone->lowmem_reserve[j];
		max += (long)high_wmark_pages(zone);
		if (max > (long)zone->managed_pages)
			max = (long)zone->managed_pages;
		reserve_pages += (unsigned long)max;
	}
	engine->totalreserve_pages = reserve_pages;
}

/*
 * lowmem_reserve (spec 2.4): a lower zone keeps back, from allocations whose class zone is j,
 * the managed pages of the zones between it and j divided by its ratio.
 */
void setup_per_zone_lowmem_reserve(struct rcl_engine *engine)
{
	struct pglist_data *pgdat;
	int nid, i, j;

	for_each_online_pgdat(pgdat, engine, nid) {
		for (j = 0; j < MAX_NR_ZONES; j++) {
			struct zone *zone = &pgdat->node_zones[j];
			unsigned long managed_pages = zone->managed_pages;

			zone->lowmem_reserve[j] = 0;
			for (i = j - 1; i >= 0; i--) {
				struct zone *lower_zone = &pgdat->node_zones[i];
				int ratio = engine->lowmem_reserve_ratio[i];

				if (ratio < 1)
					ratio = 1;
				lower_zone->lowmem_reserve[j] = (long)(managed_pages / (unsigned)ratio);
				managed_pages += lower_zone->managed_pages;
			}
		}
	}
	calculate_totalreserve_pages(engine);
}

/*
 * min/low/high of every zone (spec 2.2): min is the zone's share of min_free_kbytes by managed
 * pages; low and high add one and two gaps, the gap being the larger of min/4 and
 * watermark_scale_factor/10000 of the zone.
 */
void setup_per_zone_wmarks(struct rcl_engine *engine)
{
	unsigned long pages_min = (unsigned long)engine->min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;
	struct zone *zone;
	int nid, zid;

	for_each_zone(zone, engine, nid, zid)
		lowmem_pages += zone->managed_pages;

	for_each_zone(zone, engine, nid, zid) {
		uint64_t tmp, gap;

		spin_lock(&zone->lock);
		tmp = lowmem_pages ? (uint64_t)pages_min * zone->managed_pages / lowmem_pages : 0;
		zone->_watermark[WMARK_MIN] = tmp;
		gap = (uint64_t)zone->managed_pages * (uint64_t)engine->watermark_scale_factor /
		      10000;
		if (tmp >> 2 > gap)
			gap = tmp >> 2;
		zone->_watermark[WMARK_LOW] = tmp + gap;
		zone->_watermark[WMARK_HIGH] = tmp + 2 * gap;
		zone->watermark_boost = 0;
		spin_unlock(&zone->lock);
	}
	calculate_totalreserve_pages(engine);
}

/*
 * The boot-time min_free_kbytes: 4 * sqrt(lowmem KiB), clamped to 128..65536, unless the
 * administrator set a larger value (spec 2.1).
 */
int calculate_min_free_kbytes(unsigned long lowmem_kbytes, int user_min_free_kbytes)
{
	long new_min_free_kbytes = (long)int_sqrt(lowmem_kbytes * 16);

	if (new_min_free_kbytes <= user_min_free_kbytes)
		return user_min_free_kbytes;
	if (new_min_free_kbytes < 128)
		new_min_free_kbytes = 128;
	if (new_min_free_kbytes > 65536)
		new_min_free_kbytes = 65536;
	return (int)new_min_free_kbytes;
}

void init_per_zone_wmark_min(struct rcl_engine *engine)
{
	unsigned long lowmem_kbytes = nr_free_buffer_pages(engine) * (PAGE_SIZE >> 10);

	tunable_write(engine->min_free_kbytes,
		      calculate_min_free_kbytes(lowmem_kbytes, engine->user_min_free_kbytes));
	setup_per_zone_wmarks(engine);
	setup_per_zone_lowmem_reserve(engine);
}

int rcl_set_min_free_kbytes(struct rcl_engine *engine, unsigned int kbytes)
{
	/* A min above the whole arena would fail every allocation: refuse it. */
	if (kbytes == 0 || (unsigned long)kbytes / 4 >= engine->nr_frames)
		return -EINVAL;
	engine->user_min_free_kbytes = (int)kbytes;
	tunable_write(engine->min_free_kbytes, (int)kbytes);
	setup_per_zone_wmarks(engine);
	return 0;
}

int rcl_set_watermark_scale_factor(struct rcl_engine *engine, unsigned int factor)
{
	if (factor < 1 || factor > 1000)
		return -EINVAL;
	tunable_write(engine->watermark_scale_factor, (int)factor);
	setup_per_zone_wmarks(engine);
	return 0;
}

/* ---- invariants ----------------------------------------------------------------------- */

/*
 * Check a quiescent zone (caller makes sure nobody allocates or frees meanwhile): every frame
 * is either inside exactly one free block or allocated, list counts match nr_free, and
 * NR_FREE_PAGES equals the pages on the free lists.
 */
int zone_check_consistency(struct zone *zone, char *why, size_t whylen)
{
	unsigned long end = zone->zone_start_pfn + zone->spanned_pages, free_pages = 0;
	unsigned int order;
	int mt, ret = 0;

	spin_lock(&zone->lock);
	for (order = 0; order < MAX_ORDER && !ret; order++) {
		struct free_area *area = &zone->free_area[order];
		unsigned long blocks = 0;

		for (mt = 0; mt < MIGRATE_TYPES && !ret; mt++) {
			struct page *page;
			struct page_list *list = &area->free_list[mt];

			page_list_for_each(page, list) {
				unsigned long pfn = page_to_pfn(page);

				if (!PageBuddy(page) || buddy_order(page) != order ||
				    page->index != (uint32_t)mt || pfn & ((1UL << order) - 1) ||
				    pfn + (1UL << order) > end || !zone_spans_pfn(zone, pfn)) {
					snprintf(why, whylen, "pfn %lu on order-%u %s list is bad",
						 pfn, order, migratetype_names[mt]);
					ret = -EUCLEAN;
					break;
				}
				if (blocks++ > zone->spanned_pages) {
					snprintf(why, whylen, "order-%u list loops", order);
					ret = -EUCLEAN;
					break;
				}
			}
		}
		if (!ret && blocks != area->nr_free) {
			snprintf(why, whylen, "order %u: nr_free %lu but %lu blocks listed", order,
				 area->nr_free, blocks);
			ret = -EUCLEAN;
		}
		free_pages += blocks << order;
	}
	if (!ret && free_pages != zone_page_state(zone, NR_FREE_PAGES)) {
		snprintf(why, whylen, "NR_FREE_PAGES %lu but %lu pages on the free lists",
			 zone_page_state(zone, NR_FREE_PAGES), free_pages);
		ret = -EUCLEAN;
	}
	spin_unlock(&zone->lock);
	return ret;
}

/* ---- the public raw allocation API ---------------------------------------------------- */

int rcl_alloc_pages(struct rcl_engine *engine, unsigned int order, int nid, unsigned int flags,
		    uint32_t *ret_pfn)
{
	gfp_t gfp = GFP_KERNEL;
	struct page *page;

	if (nid == RCL_NUMA_NO_NODE && !(flags & RCL_ALLOC_THISNODE))
		nid = 0;	/* any node: the zonelist falls back over all of them */
	if (order >= MAX_ORDER || nid < 0 || nid >= engine->nr_nodes ||
	    (flags & ~(RCL_ALLOC_ATOMIC | RCL_ALLOC_NOWAIT | RCL_ALLOC_THISNODE |
		       RCL_ALLOC_MOVABLE)) ||
	    (flags & (RCL_ALLOC_ATOMIC | RCL_ALLOC_NOWAIT)) ==
		    (RCL_ALLOC_ATOMIC | RCL_ALLOC_NOWAIT))
		return -EINVAL;
	if (flags & RCL_ALLOC_ATOMIC)
		gfp = GFP_ATOMIC;
	else if (flags & RCL_ALLOC_NOWAIT)
		gfp = GFP_NOWAIT;
	if (flags & RCL_ALLOC_THISNODE)
		gfp |= __GFP_THISNODE;
	if (flags & RCL_ALLOC_MOVABLE)
		gfp |= __GFP_MOVABLE;

	/* The slow path may reclaim, which works on the LRU lists: take the model's lock. */
	mm_lock(engine);
	page = __alloc_pages_nodemask(engine, gfp | __GFP_NOWARN, order, nid, NULL);
	if (page) {
		/* Mark the block so that only this exact pfn and order can be freed back. */
		page->mapping = RAW_MAPPING_ID;
		page->private = order;
		mod_zone_page_state(page_zone(page), NR_RAW_PAGES, 1L << order);
		*ret_pfn = page_to_pfn(page);
	}
	mm_unlock(engine);
	return page ? 0 : -ENOMEM;
}

int rcl_free_pages(struct rcl_engine *engine, uint32_t pfn, unsigned int order)
{
	struct page *page;

	if (pfn >= engine->nr_frames || order >= MAX_ORDER)
		return -EINVAL;
	page = pfn_to_page(engine, pfn);
	mm_lock(engine);
	if (page->mapping != RAW_MAPPING_ID || page->private != order ||
	    page_ref_count(page) != 1) {
		mm_unlock(engine);
		return -EINVAL;
	}
	mod_zone_page_state(page_zone(page), NR_RAW_PAGES, -(1L << order));
	page->mapping = 0;
	page->private = 0;
	__free_pages(page, order);
	mm_unlock(engine);
	return 0;
}
