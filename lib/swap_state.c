/*
 * swap_state.c - the swap cache and swap-in: add_to_swap gives an anonymous page a slot and a
 * place in the swap cache; after writeback reclaim removes it from the cache; a fault on a swap
 * entry reads the page back with readahead around it (spec 17), and the slot is released when
 * swap is more than half full or the page is written again.
 *
 * The swap cache is the array si->swap_cache (pfn + 1 per slot), beside the shadows that
 * reclaimed pages leave in their slots (si->shadow). Both are guarded by the slot's cluster
 * lock, as the kernel's swap table is (v6.18; before it, the swap address space's i_pages
 * lock): a page enters and leaves the cache under it, and a lookup takes its reference under
 * it, so __remove_mapping counts the references of a swap cache page under that lock as it
 * does a page cache page's under i_pages, and no lookup comes between its count and the
 * removal, with or without mm_lock. What a page's PG_swapcache and private say changes with
 * its slot under the same lock; a reader that must trust them holds the page's lock and looks
 * again. Callers hold mm_lock for the rest (the slots' memcgs, swap-in); swapin_readahead
 * lets it go while its reads are in flight (the pages wait locked in the swap cache), and so
 * may any allocation here.
 */
#include <errno.h>
#include <stdlib.h>

#include "memcontrol.h"
#include "vmscan.h"

/*
 * Drop one reference to a slot; a slot that became free is uncharged from its memcg (its
 * shadow went with it, swapfile.c). Whether it became free is the put's own answer, not a
 * second look, which a put racing with it could share. Under mm_lock, as every get_swap_pages
 * is: the slot is not handed out again before its charge is gone.
 */
static void swap_entry_put(struct rcl_engine *engine, swp_entry_t entry, bool cache)
{
	bool gone = cache ? put_swap_page(engine, entry) : swap_free(engine, entry);

	if (!gone)
		return;
	if (engine->swap_cgroup[swp_offset(entry)]) {
		mem_cgroup_uncharge_swap(engine, engine->swap_cgroup[swp_offset(entry)]);
		engine->swap_cgroup[swp_offset(entry)] = 0;
	}
}

/* A page-table entry's reference to @entry is gone (the page is mapped again, or zapped). */
void swap_entry_put_pte(struct rcl_engine *engine, swp_entry_t entry)
{
	swap_entry_put(engine, entry, false);
}

/* The swap cache's hold on @entry is gone (the page left the cache). */
void swap_entry_put_cache(struct rcl_engine *engine, swp_entry_t entry)
{
	swap_entry_put(engine, entry, true);
}

/* Caller holds @entry's cluster lock and has claimed the slot's SWAP_HAS_CACHE. */
static void __add_to_swap_cache(struct page *page, swp_entry_t entry)
{
	struct rcl_engine *engine = page_engine(page);

	VM_BUG_ON(!swap_cluster_locked_for(entry), "swap cache changed without the slot's "
		  "cluster lock");
	get_page(page);
	SetPageSwapCache(page);
	page->private = entry.val;
	engine->swap->swap_cache[swp_offset(entry)] = page_to_pfn(page) + 1;
	mod_node_page_state(page_pgdat(page), NR_SWAPCACHE, 1);
}

/*
 * Give an anonymous page a swap slot and put it in the swap cache, dirty so that pageout
 * writes it (spec 13 step 10). False when no slot could be had.
 */
bool add_to_swap(struct page *page)
{
	struct rcl_engine *engine = page_engine(page);
	struct swap_cluster_info *ci;
	swp_entry_t entry;

	if (!engine->swap)
		return false;
	entry = get_swap_page(engine);
	if (!entry.val)
		return false;
	if (mem_cgroup_try_charge_swap(page, entry)) {
		put_swap_page(engine, entry);
		return false;
	}
	ci = swap_cluster_lock(engine, entry);
	__add_to_swap_cache(page, entry);
	swap_cluster_unlock(ci);
	set_page_dirty(page);
	return true;
}

/*
 * Remove @page from the swap cache, leaving @shadow (0: none) in its slot for the page's next
 * swap-in, as v5.9's __delete_from_swap_cache does; the caller holds the slot's cluster lock
 * (swap_cluster_lock), and releases the slot and the cache's reference after it.
 */
void __delete_from_swap_cache(struct page *page, uint64_t shadow)
{
	struct rcl_engine *engine = page_engine(page);
	swp_entry_t entry = swp_entry(page->private);

	VM_BUG_ON(!swap_cluster_locked_for(entry), "swap cache changed without the slot's "
		  "cluster lock");
	engine->swap->shadow[swp_offset(entry)] = shadow;
	engine->swap->swap_cache[swp_offset(entry)] = 0;
	ClearPageSwapCache(page);
	page->private = 0;
	mod_node_page_state(page_pgdat(page), NR_SWAPCACHE, -1);
}

void delete_from_swap_cache(struct page *page)
{
	struct rcl_engine *engine = page_engine(page);
	swp_entry_t entry = swp_entry(page->private);
	struct swap_cluster_info *ci = swap_cluster_lock(engine, entry);

	__delete_from_swap_cache(page, 0);
	swap_cluster_unlock(ci);
	swap_entry_put(engine, entry, true);
	put_page(page);
}

/*
 * The swap cache page of @entry with a reference, or NULL; mm_lock is not needed. The
 * reference is taken under the slot's cluster lock, so the page cannot leave the cache and be
 * freed in between; it may leave after, so a caller that must know it is still @entry's locks
 * it and looks again (do_swap_page). A readahead page found here is a hit for the readahead
 * window.
 */
struct page *lookup_swap_cache(struct rcl_engine *engine, swp_entry_t entry)
{
	struct swap_cluster_info *ci = swap_cluster_lock(engine, entry);
	struct page *page = NULL;
	uint32_t v;

	if (!ci)
		return NULL;
	v = engine->swap->swap_cache[swp_offset(entry)];
	if (v) {
		page = pfn_to_page(engine, v - 1);
		get_page(page);
	}
	swap_cluster_unlock(ci);
	if (page && TestClearPageReadahead(page))
		atomic_fetch_add_explicit(&engine->swap_ra_hits, 1, memory_order_relaxed);
	return page;
}

/*
 * Readahead window (spec 17 swapin_nr_pages): grows with hits, starts at 2 only for
 * sequential faults, never drops below half the previous window, capped at 2^page_cluster.
 */
unsigned int swapin_nr_pages(struct rcl_engine *engine, uint32_t offset)
{
	unsigned int max_pages = 1u << engine->page_cluster, pages, hits, last_ra;

	if (max_pages <= 1)
		return 1;
	hits = atomic_exchange_explicit(&engine->swap_ra_hits, 0, memory_order_relaxed);
	pages = hits + 2;
	if (pages == 2) {
		/* No hits: only a fault next to the previous one suggests a sequential pattern. */
		if (offset != engine->swap_ra_prev_offset + 1 &&
		    offset != engine->swap_ra_prev_offset - 1)
			pages = 1;
	} else {
		unsigned int roundup = 4;

		while (roundup < pages)
			roundup <<= 1;
		pages = roundup;
	}
	if (pages > max_pages)
		pages = max_pages;
	last_ra = engine->swap_ra_win / 2;
	if (pages < last_ra)
		pages = last_ra;
	engine->swap_ra_win = pages;
	if (hits == 0)
		engine->swap_ra_prev_offset = offset;
	return pages;
}

/*
 * A new swap cache page for @entry, locked and not yet read, charged to the slot's memcg; NULL
 * with *ret_err: -ENOMEM when no frame or charge could be had, -EEXIST when the slot is cached
 * already, -ENOENT when it is free. The frame and the charge come first, since either may wait
 * for reclaim without mm_lock; the slot is then claimed and the page added in one hold of its
 * cluster lock, so that no thread finds SWAP_HAS_CACHE claimed for a page not yet in the
 * cache. (One that is leaving it, removed under the lock and its claim put back after,
 * leaves that window the other way; mm_lock covers it for now, as every swap-in holds it.) A shadow its last reclaim left in the slot is taken in the same hold: it is a refault
 * (v5.9 workingset_refault of anon pages), decided before the page goes on its LRU, where a
 * page that refaulted hot enters hot. The shadow is used once.
 */
static struct page *__read_swap_cache_async(struct rcl_engine *engine, swp_entry_t entry,
					    struct region *region, int *ret_err)
{
	struct swap_cluster_info *ci;
	struct mem_cgroup *memcg;
	uint64_t shadow = 0;
	struct page *page;
	int err;

	page = __alloc_pages_nodemask(engine, GFP_HIGHUSER_MOVABLE, 0,
				      (int)(region->id % (uint32_t)engine->nr_nodes), NULL);
	if (!page) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	__SetPageSwapBacked(page);
	memcg = mem_cgroup_from_id(engine, engine->swap_cgroup[swp_offset(entry)]);
	if (mem_cgroup_try_charge(page, memcg ? memcg : region->memcg)) {
		put_page(page);
		*ret_err = -ENOMEM;
		return NULL;
	}
	ci = swap_cluster_lock(engine, entry);
	err = ci ? swapcache_prepare(engine, entry) : -ENOENT;
	if (!err) {
		__lock_new_page(page);	/* new: nobody else can find it yet */
		__add_to_swap_cache(page, entry);
		shadow = engine->swap->shadow[swp_offset(entry)];
		engine->swap->shadow[swp_offset(entry)] = 0;
	}
	if (ci)
		swap_cluster_unlock(ci);
	if (err) {
		put_page(page);
		*ret_err = err;
		return NULL;
	}
	if (shadow)
		workingset_refault(page, shadow);
	lru_cache_add(page);
	return page;
}

#define SWAPIN_BATCH	64	/* pages read and waited for together */

struct swapin_batch {
	struct page *pages[SWAPIN_BATCH];
	int err[SWAPIN_BATCH];
	_Atomic int remaining;		/* reads not yet completed */
};

/* Any thread may deliver it: it touches only the batch, never the model. */
static void swapin_end_io(void *private, int index, int err)
{
	struct swapin_batch *b = private;

	b->err[index] = err;
	atomic_fetch_sub(&b->remaining, 1);
}

/*
 * Submit the batch's reads (its pages locked in the swap cache) and wait for them without
 * mm_lock: whoever else faults on one of them sleeps on its page lock meanwhile. They go on
 * this thread's own ring, queued under mm_lock and entered by io_wait_for, which submits and
 * sleeps in one system call until their completions wake this thread (io.c).
 */
static void swapin_read_batch(struct rcl_engine *engine, struct swapin_batch *b,
			      const swp_entry_t *entries, void *const *bufs, int n)
{
	int i;

	atomic_store(&b->remaining, n);
	if (swap_readpages(engine, entries, bufs, n, swapin_end_io, b, true) < 0) {
		for (i = 0; i < n; i++)
			b->err[i] = -EIO;
		return;
	}
	mm_drop(engine);
	io_wait_for(engine->swap->io, &b->remaining);
	mm_retake(engine);
}

/*
 * The batch's reads are done: each page read whole becomes uptodate and is unlocked; one whose
 * read failed leaves the swap cache (the slot keeps the data) and is never handed out. Returns
 * page @keep with its reference (NULL and *ret_err -EIO if its read failed, NULL if @keep is
 * -1); the others' references go.
 */
static struct page *swapin_finish(struct rcl_engine *engine, struct swapin_batch *b,
				  const swp_entry_t *entries, int n, int keep, int *ret_err)
{
	struct page *page, *kept = NULL;
	int i;

	for (i = 0; i < n; i++) {
		page = b->pages[i];
		if (b->err[i]) {
			struct swap_cluster_info *ci = swap_cluster_lock(engine, entries[i]);

			ClearPageReadahead(page);
			__delete_from_swap_cache(page, 0);
			swap_cluster_unlock(ci);
			swap_entry_put(engine, entries[i], true);
			unlock_page(page);
			put_page(page);		/* the cache's reference */
			put_page(page);		/* ours; the LRU vector's goes at its drain */
			if (i == keep)
				*ret_err = -EIO;
			continue;
		}
		SetPageUptodate(page);
		unlock_page(page);
		if (i == keep)
			kept = page;	/* keep our reference for the caller */
		else
			put_page(page);
	}
	return kept;
}

static void swapin_range_flush(struct rcl_engine *engine, struct region *region,
			       struct swapin_batch *b, const swp_entry_t *entries,
			       void *const *bufs, int n, bool access)
{
	if (access)
		count_major_fault(engine, region->memcg);
	swapin_read_batch(engine, b, entries, bufs, n);
	swapin_finish(engine, b, entries, n, -1, NULL);
}

/*
 * Read the page of @entry and its neighbours in the aligned readahead window in one batch.
 * Returns the target page with a reference (locked released, uptodate), or NULL with *ret_err.
 * The fault waits for the read: a major fault of @region's memcg, unless @flags has
 * FAULT_FLAG_READAHEAD (madvise(WILLNEED)).
 *
 * The target's frame is taken first: readahead is only worth a frame when the fault itself
 * can be served, and a neighbour must never sit in the swap cache unread because the batch
 * was abandoned (its frame still holds whatever it held before, another region's bytes).
 */
struct page *swapin_readahead(struct rcl_engine *engine, swp_entry_t entry,
			      struct region *region, unsigned int flags, int *ret_err)
{
	struct swap_info_struct *si = engine->swap;
	uint32_t offset = swp_offset(entry), nr = swapin_nr_pages(engine, offset), start, end, o;
	struct swapin_batch b;
	swp_entry_t entries[SWAPIN_BATCH];
	void *bufs[SWAPIN_BATCH];
	struct page *target, *page;
	int n = 0, t = -1, err;

	target = __read_swap_cache_async(engine, entry, region, ret_err);
	if (!target) {
		/* Somebody else added it meanwhile: the fault finds it in the swap cache. */
		if (*ret_err == -EEXIST)
			*ret_err = -EAGAIN;
		return NULL;
	}
	start = offset & ~(nr - 1);
	end = offset | (nr - 1);
	if (start == 0)
		start = 1;		/* slot 0 is the header */
	if (end >= si->max)
		end = si->max - 1;
	for (o = start; o <= end && n < SWAPIN_BATCH; o++) {
		if (o == offset) {
			page = target;
			t = n;
		} else {
			if (!swap_entry_valid(engine, swp_entry(o)) ||
			    __swap_count(engine, swp_entry(o)) == 0)
				continue;
			page = __read_swap_cache_async(engine, swp_entry(o), region, &err);
			if (!page)
				continue;
			SetPageReadahead(page);
		}
		entries[n] = swp_entry(o);
		bufs[n] = page_address(page);
		b.pages[n] = page;
		b.err[n] = 0;
		n++;
	}
	if (!(flags & FAULT_FLAG_READAHEAD))	/* madvise(WILLNEED) is no access */
		count_major_fault(engine, region->memcg);
	swapin_read_batch(engine, &b, entries, bufs, n);
	return swapin_finish(engine, &b, entries, n, t, ret_err);
}

/*
 * An asynchronous readahead window: reads nobody waits for when they are submitted (the
 * kernel's swapin_readahead waits only for the faulting page). Its pages sit locked in the
 * swap cache until the last read completes; the reaper, in whatever thread, then finishes the
 * window under mm_lock as a writeback completion is (model_complete). A fault that finds one
 * of them locked reaps for it (swapin_wait_page), since nobody else may be reaping. A window
 * is on engine->swapin_async from before its first page is locked, under mm_lock, with its
 * pages as they are added: a fault that finds one of them locked while the window is still
 * being built (its builder may be reclaiming without mm_lock for the next page's frame)
 * waits for the submission (engine->swapin_submitted), then reaps. @refs are the window's
 * I/O and each waiter, also under mm_lock.
 */
struct swapin_async {
	struct swapin_batch b;
	swp_entry_t entries[SWAPIN_BATCH];
	struct rcl_engine *engine;
	struct swapin_async *next;
	int n, refs;
	bool submitted;
};

static void swapin_async_unlink(struct swapin_async *a)
{
	struct swapin_async **pp;

	for (pp = &a->engine->swapin_async; *pp != a; pp = &(*pp)->next)
		;
	*pp = a->next;
}

/* A window about to be built: listed before its first page is locked. */
static struct swapin_async *swapin_async_new(struct rcl_engine *engine)
{
	struct swapin_async *a = malloc(sizeof(*a));

	if (!a)
		return NULL;
	a->n = 0;
	a->engine = engine;
	a->refs = 1;
	a->submitted = false;
	a->next = engine->swapin_async;
	engine->swapin_async = a;
	return a;
}

static void swapin_async_put(struct swapin_async *a)
{
	if (--a->refs == 0)
		free(a);
}

static void swapin_async_finish(void *arg, long unused_a, long unused_b)
{
	struct swapin_async *a = arg;

	(void)unused_a;
	(void)unused_b;
	swapin_async_unlink(a);
	swapin_finish(a->engine, &a->b, a->entries, a->n, -1, NULL);
	swapin_async_put(a);
}

static void swapin_async_end_io(void *private, int index, int err)
{
	struct swapin_async *a = private;

	a->b.err[index] = err;
	if (atomic_fetch_sub(&a->b.remaining, 1) == 1)
		model_complete(a->engine, swapin_async_finish, a, 0, 0);
}

/* Submit the window's reads (@a->n pages, locked in the swap cache) and return at once. */
static void swapin_async_submit(struct rcl_engine *engine, struct swapin_async *a)
{
	void *bufs[SWAPIN_BATCH];
	int i;

	for (i = 0; i < a->n; i++)
		bufs[i] = page_address(a->b.pages[i]);
	a->submitted = true;
	wake_up_all(&engine->swapin_submitted);
	atomic_store(&a->b.remaining, a->n);
	if (swap_readpages(engine, a->entries, bufs, a->n, swapin_async_end_io, a, false) < 0) {
		for (i = 0; i < a->n; i++)
			a->b.err[i] = -EIO;
		swapin_async_finish(a, 0, 0);
	}
}

/*
 * swapin_wait_page - lock_page for a swap cache page, which may be under an asynchronous
 * readahead read: its completion is reaped here (without mm_lock) rather than waited for,
 * because no thread may be reaping. Caller holds mm_lock and a reference to @page.
 */
void swapin_wait_page(struct rcl_engine *engine, struct page *page)
{
	struct swapin_async *a;
	int i;

	while (!trylock_page(page)) {
		for (a = engine->swapin_async; a; a = a->next) {
			for (i = 0; i < a->n && a->b.pages[i] != page; i++)
				;
			if (i < a->n)
				break;
		}
		if (a && !a->submitted) {
			/* Its builder is away for the next page's frame: it submits the window
			 * and wakes us, and we reap then. */
			mm_wait_event(engine, &engine->swapin_submitted, NULL);
			continue;
		}
		if (!a || !atomic_load(&a->b.remaining)) {
			/* Another holder, which reads the page and unlocks it, or a window
			 * whose completion is on its way to mm_lock: the unlock wakes us. */
			wait_on_page_locked(page);
			continue;
		}
		a->refs++;
		mm_drop(engine);
		io_wait_for(engine->swap->io, &a->b.remaining);
		mm_retake(engine);	/* runs the window's completion if it waited for us */
		swapin_async_put(a);
	}
}

/*
 * swapin_readahead_async - after a request swapped in region pages up to @end, submit the
 * swapped-out pages among the next SWAPIN_AHEAD of the region without waiting: the reader's
 * next request finds them in the swap cache. That is the kernel's VMA-based swap readahead
 * (swap_vma_readahead, by page-table entries, not slots), with its window kept ahead of the
 * reader as file readahead's async window is; reads of consecutive slots still become one
 * request each. Frames come from @region's node, charges from each slot's memcg. Stops at the
 * first frame or charge that cannot be had; page_cluster 0 turns it off, as it turns off swap
 * readahead.
 */
#define SWAPIN_AHEAD	(2 * SWAPIN_BATCH)

static void swapin_gap_injected(struct rcl_engine *engine)
{
	void (*hook)(struct rcl_engine *) = atomic_load(&engine->swapin_gap_hook);

	if (hook) {
		mm_drop(engine);
		hook(engine);
		mm_retake(engine);
	}
}

static void swapin_readahead_async(struct rcl_engine *engine, struct region *region,
				   unsigned long end)
{
	unsigned long i, last = min_t(unsigned long, region->nr_pages, end + SWAPIN_AHEAD);
	struct swapin_async *a = NULL;
	struct page *page;
	int err;

	if (engine->page_cluster == 0)
		return;
	for (i = end; i < last; i++) {
		pte_t pte = pte_get(region, i);

		if (!is_swap_pte(pte))
			continue;
		if (!a) {
			a = swapin_async_new(engine);
			if (!a)
				return;
		}
		page = __read_swap_cache_async(engine, pte_to_swp_entry(pte), region, &err);
		if (!page) {
			if (err == -ENOMEM)
				break;
			continue;	/* cached already, or freed meanwhile */
		}
		SetPageReadahead(page);
		a->entries[a->n] = pte_to_swp_entry(pte);
		a->b.pages[a->n] = page;
		a->b.err[a->n] = 0;
		if (++a->n == SWAPIN_BATCH) {
			swapin_async_submit(engine, a);
			a = NULL;
		} else {
			swapin_gap_injected(engine);
		}
	}
	if (a && a->n) {
		swapin_async_submit(engine, a);
	} else if (a) {
		swapin_async_unlink(a);
		free(a);
	}
}

/*
 * swapin_range - read every swapped-out page of @region in [@first, @first + @nr) into the
 * swap cache, as madvise(WILLNEED) does for anonymous memory (force_swapin_readahead): all of
 * them queued under one plug, so that reads of consecutive slots become one request, and one
 * wait for the lot instead of one per readahead window. The faults that follow find the pages
 * in the swap cache. A request that is about to access the whole range (a read or write of
 * many pages) calls it first: with @access it counts one major fault per batch it waited for,
 * as the faults it saves would have counted theirs; and when it follows the region's last
 * such range closely (a sequential reader), it reads the pages after the range ahead without
 * waiting (swapin_readahead_async). Stops early, without error, when no frame can be had: the
 * faults then reclaim or fail as they would have anyway.
 */
void swapin_range(struct rcl_engine *engine, struct region *region, unsigned long first,
		  unsigned long nr, bool access)
{
	struct swapin_batch b;
	swp_entry_t entries[SWAPIN_BATCH];
	void *bufs[SWAPIN_BATCH];
	unsigned long i;
	bool sequential;
	int n = 0, err;

	if (!engine->swap)
		return;
	/* A range that starts near where the region's last one ended: a sequential reader,
	 * whose requests may arrive a few at a time and slightly out of order. */
	sequential = access && first + SWAPIN_AHEAD >= region->swap_ra_next &&
		     first <= region->swap_ra_next + SWAPIN_AHEAD;
	if (access)
		region->swap_ra_next = first + nr;
	for (i = first; i < first + nr; i++) {
		pte_t pte = pte_get(region, i);
		struct page *page;

		if (!is_swap_pte(pte))
			continue;
		page = __read_swap_cache_async(engine, pte_to_swp_entry(pte), region, &err);
		if (!page) {
			if (err == -ENOMEM)
				break;
			continue;	/* cached already (its fault waits on it), or freed */
		}
		entries[n] = pte_to_swp_entry(pte);
		bufs[n] = page_address(page);
		b.pages[n] = page;
		b.err[n] = 0;
		if (++n == SWAPIN_BATCH) {
			swapin_range_flush(engine, region, &b, entries, bufs, n, access);
			n = 0;
		}
	}
	if (n)
		swapin_range_flush(engine, region, &b, entries, bufs, n, access);
	/* Its next request's pages are read while it copies these and sends them; unless the
	 * region went while the batch's reads were waited for. */
	if (sequential && !region->dead)
		swapin_readahead_async(engine, region, first + nr);
}

/*
 * Free the slot of a swap cache page that no page-table entry holds any more: the page is the
 * only copy again, so it is dirty (spec 17 try_to_free_swap).
 */
bool try_to_free_swap(struct page *page)
{
	struct rcl_engine *engine = page_engine(page);

	if (!PageSwapCache(page) || PageWriteback(page))
		return false;
	if (__swap_count(engine, swp_entry(page->private)) > 0)
		return false;
	delete_from_swap_cache(page);
	SetPageDirty(page);
	return true;
}

/* A page-table entry holding @entry went away: drop it, and the cached page if unused. */
int free_swap_and_cache(struct rcl_engine *engine, swp_entry_t entry)
{
	struct page *page = lookup_swap_cache(engine, entry);

	swap_entry_put(engine, entry, false);
	if (page) {
		ClearPageReadahead(page);
		if (!page_mapped(page) && trylock_page(page)) {
			try_to_free_swap(page);
			unlock_page(page);
		}
		put_page(page);
	}
	return 0;
}
