/*
 * memory.c - regions, their page tables, faults and the reverse map.
 *
 * A region is this world's VMA: an anonymous or file range with a software page table. Touching
 * a page that is not present faults it in (do_anonymous_page, do_swap_page with readahead,
 * filemap_fault, do_cow_fault for private writes to file pages). A read of a never-written
 * anonymous page maps the shared zero page instead of allocating one. The reverse map goes
 * from a page to its entries: an anonymous page is mapped by the one region that owns its anon
 * address space (no fork here), a file page by any region on its file's i_mmap list. Reclaim
 * uses it to count and clear young bits (page_referenced) and to unmap (try_to_unmap).
 *
 * Caller holds engine->mm_lock. A fault may let it go while it waits (for a frame, for I/O,
 * for a page lock) and checks its page-table entry again when it has it back (pte_unchanged).
 * Every change of an entry or a table also holds the region's page-table lock (region->ptl),
 * taken inside mm_lock for the change alone: the event loop's resident copy (region.c) looks
 * at entries and sets their young and dirty bits under that lock without mm_lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memcontrol.h"
#include "vmscan.h"

/* ---- id tables ------------------------------------------------------------------------ */

static int id_table_put(void ***table, uint32_t *nr_slots, void *obj, uint32_t *ret_id)
{
	uint32_t id, n = *nr_slots;
	void **t;

	for (id = 1; id < n; id++)
		if (!(*table)[id])
			goto found;
	n = n ? n * 2 : 64;
	if (n >= RAW_MAPPING_ID)
		return -ENOSPC;
	t = realloc(*table, n * sizeof(void *));
	if (!t)
		return -ENOMEM;
	memset(t + *nr_slots, 0, (n - *nr_slots) * sizeof(void *));
	id = *nr_slots ? *nr_slots : 1;
	*table = t;
	*nr_slots = n;
found:
	(*table)[id] = obj;
	*ret_id = id;
	return 0;
}

/* The region @id, or NULL; the caller holds mm_lock or engine->region_table_lock. */
struct region *region_lookup(struct rcl_engine *engine, uint32_t id)
{
	uint32_t slot = region_slot(id);
	struct region *region;

	if (!slot || slot >= engine->nr_region_slots)
		return NULL;
	region = engine->regions[slot];
	return region && region->id == id ? region : NULL;
}

/*
 * Lookup under the short lock, use under a reference (the kernel's find-and-get under RCU):
 * a region in the table holds the table's reference until region_destroy takes it out, under
 * this lock, so one found here has a count above zero to add to.
 */
struct region *region_lookup_get(struct rcl_engine *engine, uint32_t id)
{
	struct region *region;

	spin_lock(&engine->region_table_lock);
	region = region_lookup(engine, id);
	if (region)
		region_get(region);
	spin_unlock(&engine->region_table_lock);
	return region;
}

struct address_space *mapping_lookup(struct rcl_engine *engine, uint32_t id)
{
	return id && id < engine->nr_mapping_slots ? engine->mappings[id] : NULL;
}

int mapping_register(struct rcl_engine *engine, struct address_space *mapping)
{
	mapping->engine = engine;
	return id_table_put((void ***)&engine->mappings, &engine->nr_mapping_slots, mapping,
			    &mapping->id);
}

void mapping_unregister(struct rcl_engine *engine, struct address_space *mapping)
{
	engine->mappings[mapping->id] = NULL;
}

/* ---- page references ------------------------------------------------------------------ */

/* The last reference to an order-0 page: off its LRU, uncharged, back to the allocator. */
static void __put_single_page(struct page *page)
{
	if (PageLRU(page)) {
		struct lruvec *lruvec = mem_cgroup_page_lruvec(page);

		/* With no reference left nobody isolates it: PageLRU cannot change meanwhile. */
		lru_lock(lruvec->pgdat);
		del_page_from_lru_list(page, lruvec, page_lru(page));
		ClearPageLRU(page);
		lru_unlock(lruvec->pgdat);
	}
	if (PageMlocked(page)) {
		ClearPageMlocked(page);
		mod_zone_page_state(page_zone(page), NR_MLOCK, -1);
	}
	mem_cgroup_uncharge(page);
	page->mapping = 0;
	free_unref_page(page);
}

void put_page(struct page *page)
{
	if (put_page_testzero(page))
		__put_single_page(page);
}

/*
 * Pages whose last reference went under lru_lock (putback): already off their lists there,
 * they are uncharged and freed now that the caller let the lock go (the kernel's
 * free_unref_page_list after putback_inactive_pages).
 */
void release_freed_pages(struct page_list *pages)
{
	struct page *page;

	while ((page = page_list_first(pages))) {
		page_list_del(pages, page);
		__put_single_page(page);
	}
}

bool page_mapped(const struct page *page)
{
	return page_mapcount(page) > 0;
}

struct page *alloc_page_vma(struct rcl_engine *engine, gfp_t gfp, struct region *region)
{
	return __alloc_pages_nodemask(engine, gfp, 0,
				      (int)(region->id % (uint32_t)engine->nr_nodes), NULL);
}

/* ---- rmap ----------------------------------------------------------------------------- */

/* The counters move with the page's kind: anon pages are those of an anon address space. */
static bool page_is_anon(const struct page *page)
{
	struct address_space *m = mapping_lookup(page_engine(page), page->mapping);

	return !m || m->type == MAPPING_ANON;
}

static void page_add_rmap(struct page *page, struct region *region)
{
	if (atomic_fetch_add_explicit(&page->_mapcount, 1, memory_order_relaxed) == -1)
		mod_node_page_state(page_pgdat(page),
				    page_is_anon(page) ? NR_ANON_MAPPED : NR_FILE_MAPPED, 1);
	region_count(&region->rss, 1);
}

static void page_remove_rmap(struct page *page, struct region *region)
{
	region_count(&region->rss, -1);
	if (atomic_fetch_sub_explicit(&page->_mapcount, 1, memory_order_relaxed) == 0)
		mod_node_page_state(page_pgdat(page),
				    page_is_anon(page) ? NR_ANON_MAPPED : NR_FILE_MAPPED, -1);
}

/* The entry of @region that maps @page, or NULL. */
static pte_t *page_pte(struct region *region, struct page *page)
{
	unsigned long idx;
	pte_t *pte;

	if (region->file && page->mapping == region->file->id) {
		if (page->index < region->pgoff)
			return NULL;
		idx = page->index - region->pgoff;
	} else if (page->mapping == region->anon->id) {
		idx = page->index;
	} else {
		return NULL;
	}
	if (idx >= region->nr_pages)
		return NULL;
	pte = pte_offset(region, idx);
	return pte && pte_present(ptep_get(pte)) && pte_pfn(ptep_get(pte)) == page_to_pfn(page) ?
	       pte : NULL;
}

typedef bool (*rmap_one_fn)(struct page *page, struct region *region, pte_t *pte, void *arg);

/* Call @fn for each entry mapping @page until it returns false. */
static void rmap_walk(struct page *page, rmap_one_fn fn, void *arg)
{
	struct address_space *mapping = mapping_lookup(page_engine(page), page->mapping);
	struct region *region;
	pte_t *pte;

	if (!mapping || !page_mapped(page))
		return;
	if (mapping->type == MAPPING_ANON) {
		region = mapping->anon_region;
		if (region && (pte = page_pte(region, page)))
			fn(page, region, pte, arg);
		return;
	}
	for (region = mapping->i_mmap; region; region = region->i_mmap_next)
		if ((pte = page_pte(region, page)) && !fn(page, region, pte, arg))
			return;
}

struct referenced_arg {
	struct mem_cgroup *target;
	int referenced;
	unsigned int vm_flags;
};

static bool mem_cgroup_is_descendant(struct mem_cgroup *memcg, struct mem_cgroup *root)
{
	for (; memcg; memcg = memcg->parent)
		if (memcg == root)
			return true;
	return false;
}

static bool page_referenced_one(struct page *page, struct region *region, pte_t *pte, void *a)
{
	struct referenced_arg *arg = a;
	bool young;

	if (arg->target && !mem_cgroup_is_descendant(region->memcg, arg->target))
		return true;	/* limit reclaim looks only at its own group's mappings */
	if (region->vm_flags & VM_LOCKED) {
		arg->vm_flags |= VM_LOCKED;
		return false;	/* the page will be mlocked by try_to_unmap */
	}
	/*
	 * ptep_clear_flush_young: a resident access may be setting the bit right now. A client's
	 * page whose entry it has not confirmed dropping may have been used unseen: referenced
	 * once all the same (mapped_hint_grace), where the reference decides its fate, off the
	 * active list (CLOCK-Pro's clock is the inactive list): shrink_active_list deactivates
	 * an anonymous page referenced or not, and would spend the grace for nothing.
	 */
	pte_lock(region);
	young = ptep_get(pte) & PTE_YOUNG;
	if (young)
		pte_clear_flags(region, pte, PTE_YOUNG);
	else if (!PageActive(page))
		young = mapped_hint_grace(page_engine(page), region, pte);
	pte_unlock(region);
	if (young)
		arg->referenced++;
	arg->vm_flags |= region->vm_flags;
	return true;
}

/*
 * Count and clear the young bits of every entry mapping @page (only of @target's regions in
 * limit reclaim) and collect the mappers' flags (spec 10, 12.1).
 */
int page_referenced(struct page *page, struct mem_cgroup *target, unsigned int *vm_flags)
{
	struct referenced_arg arg = { .target = target };

	rmap_walk(page, page_referenced_one, &arg);
	*vm_flags = arg.vm_flags;
	return arg.referenced;
}

static bool page_sample_mapped_one(struct page *page, struct region *region, pte_t *pte,
				   void *arg)
{
	(void)arg;
	if (pte_mapped_out(ptep_get(pte)))
		mapped_page_aged(page_engine(page), region, page->index);
	return true;
}

/*
 * Reclaim just cleared the young bits of anonymous @page and its next accesses are to decide
 * its fate: two-list moves it to the inactive list (shrink_active_list), a CLOCK-Pro hand
 * tested its reference and left it on the clock (clockpro.c). A client holding it sets no
 * bit we can see, so it is asked to make its next access a hinting fault (mapped.c). The
 * caller sends the requests when its scan ends (mapped_flush_hints).
 */
void page_sample_mapped(struct page *page)
{
	if (!page_is_file_cache(page))
		rmap_walk(page, page_sample_mapped_one, NULL);
}

static void mlock_vma_page(struct page *page)
{
	if (TestSetPageMlocked(page))
		return;
	mod_zone_page_state(page_zone(page), NR_MLOCK, 1);
	count_vm_event(page_engine(page), UNEVICTABLE_PGMLOCKED);
	if (isolate_lru_page(page) == 0)
		putback_lru_page(page);	/* lands on the unevictable list */
}

struct unmap_arg {
	unsigned int flags;
	bool ok;
};

static bool try_to_unmap_one(struct page *page, struct region *region, pte_t *pte, void *a)
{
	struct unmap_arg *arg = a;
	struct rcl_engine *engine = page_engine(page);
	bool anon = page->mapping == region->anon->id, swapped = false;
	swp_entry_t entry = swp_entry(0);
	pte_t pteval;

	if ((region->vm_flags & VM_LOCKED) && !(arg->flags & TTU_IGNORE_MLOCK)) {
		mlock_vma_page(page);
		arg->ok = false;
		return false;
	}
	/* A client holds the live bytes: take them back first (mapped.c). */
	if (pte_mapped_out(ptep_get(pte)) && mapped_take_back(region, page->index, page, pte)) {
		arg->ok = false;
		return false;
	}
	if (anon && PageSwapBacked(page)) {
		if (!PageSwapCache(page)) {
			arg->ok = false;	/* anon without a slot cannot be unmapped */
			return false;
		}
		entry = swp_entry((uint32_t)page->private);
		if (swap_duplicate(engine, entry)) {
			arg->ok = false;
			return false;
		}
		swapped = true;
	}
	/*
	 * ptep_clear_flush under the page-table lock: a resident write either came first, and
	 * its dirty bit goes to the page here so that the page is written (again) before it is
	 * dropped, or comes after and finds no entry (it takes the fault path). Anonymous
	 * entries only: nothing cleans a file page's entries when writeback cleans the page
	 * (no page_mkclean), so their bit may be older than the page's last write, and every
	 * write through them dirtied the page already (under mm_lock, which we hold).
	 */
	pte_lock(region);
	pteval = ptep_get(pte);
	if (anon && !PageSwapBacked(page) && ((pteval & PTE_DIRTY) || PageDirty(page))) {
		/* Lazyfree, but written since MADV_FREE: keep it, swap-backed again. */
		pte_unlock(region);
		set_anon_page_dirty(page);
		SetPageSwapBacked(page);
		mod_memcg_state(page_memcg(page), MEMCG_CACHE, -1);
		mod_memcg_state(page_memcg(page), MEMCG_RSS, 1);
		arg->ok = false;
		return false;
	}
	set_pte(region, pte, swapped ? swp_entry_to_pte(entry) : 0);
	if (anon && (pteval & PTE_DIRTY))
		set_anon_page_dirty(page);
	pte_unlock(region);
	if (swapped)
		region_count(&region->swapents, 1);
	page_remove_rmap(page, region);
	put_page(page);		/* the entry's reference */
	return true;
}

/*
 * The swap cache page @page (locked, not under writeback) stands for a slot whose write failed
 * and which is retiring (swapfile.c): the page holds the only copy. Map it again at the entry
 * that names the slot, as swapoff's unuse_pte does, and let the slot go, so that reclaim gives
 * the page a good one. An anonymous page has one entry at most: its region's at its index.
 * True if the page left the swap cache (it is then dirty).
 */
bool unuse_retired_swap(struct page *page)
{
	struct rcl_engine *engine = page_engine(page);
	struct address_space *mapping = mapping_lookup(engine, page->mapping);
	swp_entry_t entry = swp_entry(page->private);
	struct region *region;
	pte_t *pte;

	if (PageWriteback(page))
		return false;
	/* An orphan (its region freed while the page stayed cached): no entry to map it at. */
	region = mapping && mapping->type == MAPPING_ANON ? mapping->anon_region : NULL;
	pte = region && page->index < region->nr_pages ? pte_offset(region, page->index) : NULL;
	if (pte && is_swap_pte(ptep_get(pte)) && pte_to_swp_entry(ptep_get(pte)).val == entry.val) {
		get_page(page);		/* the entry's */
		pte_lock(region);
		set_pte(region, pte, mk_pte(page_to_pfn(page)));
		pte_unlock(region);
		page_add_rmap(page, region);
		region_count(&region->swapents, -1);
		swap_entry_put_pte(engine, entry);
	}
	if (!try_to_free_swap(page))
		return false;
	ClearPageError(page);	/* the failed write is answered: a good slot comes next */
	return true;
}

/*
 * Unmap @page from every entry: anon entries become its swap entry, file entries none
 * (spec 13 step 11). True if the page is no longer mapped.
 */
bool try_to_unmap(struct page *page, unsigned int flags)
{
	struct unmap_arg arg = { .flags = flags, .ok = true };

	rmap_walk(page, try_to_unmap_one, &arg);
	return arg.ok && !page_mapped(page);
}

struct mapped_out_arg {
	struct region *region;
	pte_t *pte;
};

static bool page_mapped_out_one(struct page *page, struct region *region, pte_t *pte, void *a)
{
	struct mapped_out_arg *arg = a;

	(void)page;
	if (!pte_mapped_out(ptep_get(pte)))
		return true;
	arg->region = region;
	arg->pte = pte;
	return false;
}

/*
 * The entry of @page whose live bytes a client holds (mapped.c), its region in *@ret_region;
 * NULL if no client holds the page.
 */
pte_t *page_mapped_out_pte(struct page *page, struct region **ret_region)
{
	struct mapped_out_arg arg = { NULL, NULL };

	rmap_walk(page, page_mapped_out_one, &arg);
	*ret_region = arg.region;
	return arg.pte;
}

/*
 * The last mapping of a still-mlocked page went away without munlock (MADV_DONTNEED of a
 * locked range): unevictable_pgs_cleared, as the kernel's clear_page_mlock from
 * page_remove_rmap. Freeing a locked region munlocks it first (unevictable_pgs_munlocked).
 */
static void clear_page_mlock(struct page *page)
{
	if (!PageMlocked(page))
		return;
	ClearPageMlocked(page);
	mod_zone_page_state(page_zone(page), NR_MLOCK, -1);
	count_vm_event(page_engine(page), UNEVICTABLE_PGCLEARED);
	if (isolate_lru_page(page) == 0)
		putback_lru_page(page);
}

/* ---- faults --------------------------------------------------------------------------- */

/* A fault waited for I/O: count it globally, in its memcg and for the faulting thread. */
void count_major_fault(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	count_vm_event(engine, PGMAJFAULT);
	count_memcg_events(memcg ? memcg : engine->root_mem_cgroup, PGMAJFAULT, 1);
	current_maj_flt++;
}

static void map_page(struct region *region, unsigned long idx, struct page *page, bool write)
{
	pte_lock(region);
	set_pte(region, pte_offset(region, idx),
		mk_pte(page_to_pfn(page)) | PTE_YOUNG | (write ? PTE_DIRTY : 0));
	pte_unlock(region);
	page_add_rmap(page, region);
	if (region->vm_flags & VM_LOCKED)
		mlock_vma_page(page);
}

/* Fault-around: a cached file page mapped read-only at @idx, whose table exists; the caller's
 * reference becomes the entry's. Young, as any new entry on x86. */
void map_file_page(struct region *region, unsigned long idx, struct page *page)
{
	map_page(region, idx, page, false);
}

/* A new anonymous page of @region at @idx, charged to its memcg; NULL if none could be had. */
static struct page *alloc_anon_page(struct rcl_engine *engine, struct region *region,
				    unsigned long idx, gfp_t gfp)
{
	struct page *page = alloc_page_vma(engine, gfp, region);

	if (!page)
		return NULL;
	__SetPageSwapBacked(page);
	if (mem_cgroup_try_charge(page, region->memcg)) {
		put_page(page);
		return NULL;
	}
	page->mapping = region->anon->id;
	page->index = (uint32_t)idx;
	return page;
}

/*
 * Whether entry @idx of @region still holds @orig after a wait without mm_lock (allocation
 * may reclaim, swap-in and file reads wait for I/O): the kernel's pte_same under the pte lock.
 * If not, another thread changed it (faulted it in, zapped it, killed the region) and the
 * fault starts over from what is there now.
 */
static bool pte_unchanged(struct region *region, unsigned long idx, pte_t orig)
{
	return !region->dead && pte_get(region, idx) == orig;
}

/*
 * The engine's one zero page, taken from the allocator at its first use and kept until the
 * arena goes: never on an LRU, never charged, never reclaimed, never written. NULL if not even
 * one frame could be had. The allocation may wait without mm_lock: a fault that raced us there
 * may have set it first.
 */
static struct page *get_zero_page(struct rcl_engine *engine)
{
	struct page *page = engine->zero_page;

	if (page)
		return page;
	page = __alloc_pages_nodemask(engine, GFP_KERNEL | __GFP_ZERO, 0, 0, NULL);
	if (!page || engine->zero_page) {
		if (page)
			put_page(page);
		return engine->zero_page;
	}
	SetPageUptodate(page);
	engine->zero_page = page;
	return page;
}

/*
 * A first touch of an anonymous page, entry @idx holding @orig (none, or the zero page). A
 * read of a none entry maps the shared zero page: nothing is allocated or charged until the
 * first write (v4.19 do_anonymous_page). A write, or populating (MAP_POPULATE and mlock fault
 * pages in for writing), gets a zeroed page of its own, active on the LRU; over the zero page
 * that is the kernel's copy-on-write of zeros (wp_page_copy).
 */
static int do_anonymous_page(struct rcl_engine *engine, struct region *region,
			     unsigned long idx, unsigned int flags, pte_t orig)
{
	struct page *page;

	if (!(flags & (FAULT_FLAG_WRITE | FAULT_FLAG_POPULATE)) && pte_none(orig)) {
		page = get_zero_page(engine);
		if (page) {
			pte_lock(region);
			if (pte_unchanged(region, idx, orig))
				set_pte(region, pte_offset(region, idx),
					((pte_t)page_to_pfn(page) << PTE_VAL_SHIFT) | PTE_ZERO);
			pte_unlock(region);
			return 0;
		}
		/* Not even one frame for it: give the reader a page of its own. */
	}
	page = alloc_anon_page(engine, region, idx, GFP_HIGHUSER_MOVABLE | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	if (!pte_unchanged(region, idx, orig)) {
		put_page(page);
		return 0;
	}
	SetPageUptodate(page);
	/* the allocation's reference becomes the entry's; the zero page had none */
	map_page(region, idx, page, flags & FAULT_FLAG_WRITE);
	lru_cache_add_active_or_unevictable(page, region);
	return 0;
}

/*
 * A touch of a swapped-out page: read it (with neighbours) and map it. The page is found or
 * read in its locked state and locked again here before it is mapped, so a read in flight by
 * another thread is waited for on the page, as lock_page does in the kernel.
 */
static int do_swap_page(struct rcl_engine *engine, struct region *region, unsigned long idx,
			unsigned int flags)
{
	pte_t orig = pte_get(region, idx);
	swp_entry_t entry = pte_to_swp_entry(orig);
	struct page *page = lookup_swap_cache(engine, entry);
	bool write = flags & FAULT_FLAG_WRITE;
	int err = 0;

	if (!page) {
		page = swapin_readahead(engine, entry, region, flags, &err);
		/* Raced with another fault of this entry, or the entry changed meanwhile. */
		if (!page)
			return err == -EAGAIN || !pte_unchanged(region, idx, orig) ? 0 : err;
	}
	swapin_wait_page(engine, page);
	if (!PageSwapCache(page) || page->private != entry.val || !PageUptodate(page) ||
	    !pte_unchanged(region, idx, orig)) {
		/* A read that failed, or the entry changed while we slept: look again. */
		unlock_page(page);
		put_page(page);
		return 0;
	}
	ClearPageReadahead(page);
	page->mapping = region->anon->id;
	page->index = (uint32_t)idx;
	region_count(&region->swapents, -1);
	map_page(region, idx, page, write);	/* our lookup reference becomes the entry's */
	swap_entry_put_pte(engine, entry);
	/* Give the slot back when swap is filling up, or when the page is rewritten anyway. */
	if (write || vm_swap_full(engine) || PageMlocked(page))
		try_to_free_swap(page);
	unlock_page(page);
	if (write)
		set_page_dirty(page);
	activate_page(page);
	return 0;
}

/*
 * A private write to the file page @file_page, which entry @idx holds as @orig (none, or
 * mapping it): an anonymous copy replaces it in this region only.
 */
static int do_cow_fault(struct rcl_engine *engine, struct region *region, unsigned long idx,
			struct page *file_page, pte_t orig)
{
	struct page *page = alloc_anon_page(engine, region, idx, GFP_HIGHUSER_MOVABLE);

	if (!page)
		return -ENOMEM;
	if (!pte_unchanged(region, idx, orig)) {
		put_page(page);
		return 0;
	}
	if (pte_present(orig)) {
		/* Still the file's page: unmap it from this region before the copy goes in. */
		pte_lock(region);
		set_pte(region, pte_offset(region, idx), 0);
		pte_unlock(region);
		page_remove_rmap(file_page, region);
		put_page(file_page);		/* the entry's reference */
	}
	memcpy(page_address(page), page_address(file_page), PAGE_SIZE);
	SetPageUptodate(page);
	map_page(region, idx, page, true);
	set_page_dirty(page);
	lru_cache_add_active_or_unevictable(page, region);
	return 0;
}

static int do_file_fault(struct rcl_engine *engine, struct region *region, unsigned long idx,
			 unsigned int flags)
{
	bool write = flags & FAULT_FLAG_WRITE;
	int err = 0;
	struct page *page;

	/* do_read_fault: the neighbours first, and maybe the page itself, without I/O. */
	if (!write && filemap_map_pages(engine, region, idx))
		return 0;
	page = filemap_fault(engine, region, region->pgoff + idx, flags, &err);
	if (!page)
		return err;
	if (write && !(region->vm_flags & VM_SHARED)) {
		err = do_cow_fault(engine, region, idx, page, 0);
		put_page(page);
		return err;
	}
	if (!pte_unchanged(region, idx, 0)) {
		put_page(page);
		return 0;
	}
	map_page(region, idx, page, write);	/* the lookup reference becomes the entry's */
	if (write)
		set_page_dirty(page);
	return 0;
}

/* A write to a present page of a private file region that is still the file's page. */
static bool needs_cow(struct rcl_engine *engine, struct region *region, pte_t pte, bool write)
{
	return write && region->file && !(region->vm_flags & VM_SHARED) &&
	       pfn_to_page(engine, pte_pfn(pte))->mapping == region->file->id;
}

/*
 * Make page @idx of @region present for an access and mark the access: young always, dirty
 * for a write (a private file page is copied first); @flags are FAULT_FLAG_*. Returns 0 and
 * the page in *ret_page (no extra reference: the caller holds mm_lock and uses it at once;
 * the zero page for a read of a never-written anonymous page; NULL for readahead that found
 * nothing to read), or -ENOMEM / -EIO, or -ENOENT when the region was freed or killed while
 * the fault waited. Every access counts pgfault, globally and in the region's memcg
 * (count_memcg_event_mm); one that waited for a read counts pgmajfault too. madvise(WILLNEED)
 * (FAULT_FLAG_READAHEAD) is no access and counts neither.
 *
 * Each step may wait without mm_lock; one that finds the entry changed when it has the lock
 * back returns 0 without mapping, and the fault looks at the entry again.
 */
int handle_mm_fault(struct rcl_engine *engine, struct region *region, unsigned long idx,
		    unsigned int flags, struct page **ret_page)
{
	bool write = flags & FAULT_FLAG_WRITE;
	unsigned long nr_tables = region->pt.nr_nodes;
	pte_t *pte;
	int err = 0;

	*ret_page = NULL;
	/* madvise(WILLNEED) of an anonymous page never written: there is nothing to read. */
	if ((flags & FAULT_FLAG_READAHEAD) && !region->file && pte_none(pte_get(region, idx)))
		return 0;
	pte_lock(region);
	pte = pte_alloc(region, idx);
	pte_unlock(region);

	/* The daemon's memory for the page table is its owner's, as memory.stat "pagetables". */
	if (region->pt.nr_nodes != nr_tables)
		mod_memcg_state(region->memcg, MEMCG_PAGETABLES,
				(long)((region->pt.nr_nodes - nr_tables) * XA_NODE_BYTES));
	if (!pte)
		return -ENOMEM;
	if (!(flags & FAULT_FLAG_READAHEAD)) {
		count_vm_event(engine, PGFAULT);
		count_memcg_events(region->memcg, PGFAULT, 1);
	}
	for (;;) {
		pte_t orig = ptep_get(pte);

		if (region->dead)
			return -ENOENT;
		if (is_zero_pte(orig)) {
			/* Reads share it; a write or populate gets a page of its own. */
			if (!(flags & (FAULT_FLAG_WRITE | FAULT_FLAG_POPULATE)))
				break;
			err = do_anonymous_page(engine, region, idx, flags, orig);
		} else if (pte_none(orig))
			err = region->file ? do_file_fault(engine, region, idx, flags) :
					     do_anonymous_page(engine, region, idx, flags, orig);
		else if (is_swap_pte(orig))
			err = do_swap_page(engine, region, idx, flags);
		else if (needs_cow(engine, region, orig, write)) {
			/* Present but still the file's page: break the sharing now. */
			struct page *file_page = pfn_to_page(engine, pte_pfn(orig));

			get_page(file_page);	/* ours, across the copy's allocation */
			err = do_cow_fault(engine, region, idx, file_page, orig);
			put_page(file_page);
		} else
			break;
		if (err)
			return err;
	}
	if (is_zero_pte(ptep_get(pte))) {
		/* Never written, never young: reclaim has nothing of it to age. */
		*ret_page = pfn_to_page(engine, pte_pfn(ptep_get(pte)));
		return 0;
	}
	pte_lock(region);
	pte_set_flags(region, pte, PTE_YOUNG | (write ? PTE_DIRTY : 0));
	pte_unlock(region);
	*ret_page = pfn_to_page(engine, pte_pfn(ptep_get(pte)));
	if (write)
		set_page_dirty(*ret_page);
	return 0;
}

/* ---- tearing down --------------------------------------------------------------------- */

/* Drop entry @idx: a present page loses this mapping, a swap entry its slot reference. */
static void zap_pte(struct rcl_engine *engine, struct region *region, unsigned long idx)
{
	pte_t *ptep = pte_offset(region, idx), pte;
	struct page *page;

	pte_lock(region);
	pte = ptep_get(ptep);
	set_pte(region, ptep, 0);
	pte_unlock(region);
	if (is_swap_pte(pte)) {
		region_count(&region->swapents, -1);
		free_swap_and_cache(engine, pte_to_swp_entry(pte));
		return;
	}
	if (!pte_present(pte))
		return;
	page = pfn_to_page(engine, pte_pfn(pte));
	page_remove_rmap(page, region);
	if (page->mapping == region->anon->id && !page_mapped(page)) {
		/* The page's contents die with the region: no slot keeps them any longer. */
		if (PageSwapCache(page) && trylock_page(page)) {
			try_to_free_swap(page);
			unlock_page(page);
		}
		ClearPageDirty(page);
		page->mapping = 0;
	}
	if (!page_mapped(page))
		clear_page_mlock(page);
	put_page(page);
}

/* Only the entries that exist are visited: a zap costs what was touched, not the range. */
void zap_page_range(struct rcl_engine *engine, struct region *region, unsigned long start,
		    unsigned long nr)
{
	unsigned long i;

	for_each_pte(region, i, start, start + nr)
		zap_pte(engine, region, i);
}

/* ---- mlock ---------------------------------------------------------------------------- */

/*
 * Whether @nr_pages can be locked for a region of @memcg, checked before faulting any in so that
 * a request that cannot succeed does not first reclaim everyone else's memory to nothing. The
 * rule: at most the free pages above the reserves (totalreserve_pages) plus what reclaim could
 * still take (file pages, and anon pages while swap has free slots for them); mlocked pages are
 * on no evictable list, so what is already locked is not counted. In a memcg line with a max,
 * also at most that max less what the group already has locked. Pages promised to mlocks still
 * populating (mlock_reserve) count as locked already: an mlock's pages are on the evictable
 * lists until its region is locked, and two mlocks that each fit alone must not both pass. A
 * region created locked puts each page on the unevictable list as it faults, so until its
 * populate ends those pages count twice: another mlock meanwhile may be refused that would
 * fit a moment later, never one let in that does not fit.
 */
static bool mlock_fits(struct rcl_engine *engine, struct mem_cgroup *memcg,
		       unsigned long nr_pages)
{
	unsigned long free = global_zone_page_state(engine, NR_FREE_PAGES);
	unsigned long anon = global_node_page_state(engine, NR_ACTIVE_ANON) +
			     global_node_page_state(engine, NR_INACTIVE_ANON);
	unsigned long lockable = free - min_t(unsigned long, free, engine->totalreserve_pages);
	long swap = get_nr_swap_pages(engine);

	lockable += global_node_page_state(engine, NR_ACTIVE_FILE) +
		    global_node_page_state(engine, NR_INACTIVE_FILE);
	lockable += min_t(unsigned long, anon, swap > 0 ? (unsigned long)swap : 0);
	if (nr_pages + engine->nr_mlock_pending > lockable)
		return false;
	for (; memcg; memcg = memcg->parent) {
		long locked = memcg_node_state(memcg, NR_UNEVICTABLE);
		unsigned long max = page_counter_get(&memcg->memory.max);

		if (max != PAGE_COUNTER_MAX &&
		    nr_pages + memcg->nr_mlock_pending + (unsigned long)max_t(long, locked, 0) > max)
			return false;
	}
	return true;
}

/*
 * Promise @nr_pages to an mlock of a region of @memcg before it populates, as the kernel adds
 * to locked_vm before __mm_populate: the populate lets mm_lock go, and another mlock checking
 * meanwhile sees the pages as locked. False, with nothing promised, if they do not fit.
 * Caller holds mm_lock; mlock_unreserve when the region is locked or has failed.
 */
bool mlock_reserve(struct rcl_engine *engine, struct mem_cgroup *memcg, unsigned long nr_pages)
{
	if (!mlock_fits(engine, memcg, nr_pages))
		return false;
	engine->nr_mlock_pending += nr_pages;
	for (; memcg; memcg = memcg->parent)
		memcg->nr_mlock_pending += nr_pages;
	return true;
}

void mlock_unreserve(struct rcl_engine *engine, struct mem_cgroup *memcg, unsigned long nr_pages)
{
	engine->nr_mlock_pending -= nr_pages;
	for (; memcg; memcg = memcg->parent)
		memcg->nr_mlock_pending -= nr_pages;
}

void region_mlock(struct rcl_engine *engine, struct region *region)
{
	unsigned long i;

	region_set_flags(region, VM_LOCKED, true);
	for_each_pte(region, i, 0, region->nr_pages)
		if (pte_present(pte_get(region, i)))
			mlock_vma_page(pfn_to_page(engine, pte_pfn(pte_get(region, i))));
}

static bool page_locked_one(struct page *page, struct region *region, pte_t *pte, void *a)
{
	(void)page;
	(void)pte;
	if (region->vm_flags & VM_LOCKED) {
		*(bool *)a = true;
		return false;
	}
	return true;
}

/* Whether another region still mlocks @page (a shared file page). */
static bool page_has_locked_mapper(struct page *page)
{
	bool locked = false;

	rmap_walk(page, page_locked_one, &locked);
	return locked;
}

void region_munlock(struct rcl_engine *engine, struct region *region)
{
	unsigned long i;

	region_set_flags(region, VM_LOCKED, false);
	lru_add_drain(engine);
	for_each_pte(region, i, 0, region->nr_pages) {
		struct page *page;

		if (!pte_present(pte_get(region, i)))
			continue;
		page = pfn_to_page(engine, pte_pfn(pte_get(region, i)));
		if (!PageMlocked(page) || page_has_locked_mapper(page))
			continue;
		ClearPageMlocked(page);
		mod_zone_page_state(page_zone(page), NR_MLOCK, -1);
		count_vm_event(engine, UNEVICTABLE_PGMUNLOCKED);
		if (isolate_lru_page(page) == 0)
			putback_lru_page(page);	/* evictable again: back to an LRU list */
	}
}
