/*
 * mapped.c - regions mapped into a client (issue 14): the engine's half.
 *
 * A mapped page is a page like any other: a frame from the buddy allocator, charged to the
 * region's memcg, on the LRU lists, reclaimed by shrink_page_list and swapped with checksums.
 * What differs is where its live bytes are. When the client misses page i, the daemon faults
 * it in here (swap-in or zero-fill, counted as any fault) and, with the page locked, hands the
 * frame's bytes to the client (map_ops->fill); the entry then carries PTE_MAPPED: the client's
 * copy is the page, the frame is stale. Before reclaim may unmap the page, try_to_unmap_one
 * takes the bytes back (map_ops->evict: write-protect, copy, remove from the client, let
 * writers go), clears PTE_MAPPED and dirties the page, so that the seed's path writes the
 * bytes the client last wrote to swap. shrink_page_list does not take its pages back one by
 * one: it parks those it is about to unmap and takes them back together, one
 * map_ops->evict_run for each run of a region's consecutive pages and one evict for a page
 * alone (mapped_take_back_pages), without mm_lock where the mapping can be pinned; a page
 * the batch could not take goes through evict in try_to_unmap_one as before.
 *
 * Locking. The copies to and from the client (fill, cont, evict, evict_run) are system calls
 * and run without mm_lock, with the page locked: the page lock is what keeps a fault, a
 * take-back, a resident copy (mapped_copy) and an unmap of one page from overlapping. A fault
 * that finds the page marked the client's waits for its lock before it believes it. An unmap
 * closes the mapping to faults first (map_closing), since it lets mm_lock go while it waits
 * for page locks.
 *
 * The young bit. The daemon cannot read the client's accessed bits, so the entry's PTE_YOUNG
 * stands for them: set by the fault that maps the page out, and again by each hinting fault.
 * page_referenced clears it as ptep_clear_flush_young does. When shrink_active_list then
 * moves a mapped-out page to the inactive list, where its accesses from now on decide
 * between reclaim and activation (page_check_references), the client is asked to drop its
 * page-table entry for the page while the page stays in its memory (map_ops->hint). Its next
 * access raises one MINOR fault (rcl_region_map_minor), which sets the bit again and maps
 * the page back (map_ops->cont). A page untouched since it was deactivated has no bit when
 * the inactive list is scanned and is reclaimed: hot pages are told from cold ones. Only the
 * deactivation asks: a page the inactive scan activates keeps its entry until it is
 * deactivated again (its bit on the active list only counts rotations), so a page that stays
 * hot costs one hinting fault a trip around the LRU lists. A client that ignores the requests
 * keeps its entries, its accesses set nothing, and only its own pages look cold.
 *
 * Confirmed drops. A request is carried out when the client's library gets to it, and until
 * then the client's accesses raise no fault: on a loaded machine its thread runs late, and a
 * page it uses hot would look unused to a scan that came first. So a client that can confirms
 * each drop once done (map_ops->hint returns 1; rcl_region_map_confirm), and until it has, no
 * hinting fault since the request is not taken as no access. The entry counts the requests
 * sent and not yet confirmed (PTE_HINTS); reclaim that finds such a page not young off the
 * active list takes it as referenced all the same (mapped_hint_grace), and marks the grace
 * spent (PTE_HINT_GRACED) until the page's next hinting fault, an access seen. So the rule a
 * client cannot bend: unconfirmed requests count as a reference at most once between two
 * accesses the daemon saw, and an unconfirmed page whose grace is spent is as cold as its bit
 * says. A client that ignores the requests, never confirms them, or confirms them late
 * without touching its pages, has each page kept one more pass (under two-list, activated
 * once more), then reclaimed as cold: it makes its own pages look cold, never unreclaimable;
 * one that confirms what it did not do only makes them colder, as confirmed pages get no
 * grace. Under CLOCK-Pro the hands test the bit the same way (page_referenced), so a grace is
 * one reference a hand finds there. Confirmations are counted rather than matched to
 * requests: the library confirms requests in the order it got them, so the count is 0 only
 * once the client dropped the entry after the last request, even when a hinting fault mapped
 * the page back and it was asked again before an older confirmation came. The count ends
 * with the page's time out (a take-back clears it), so a confirmation late enough to arrive
 * after its page was taken back, faulted back out and asked again is taken for the new
 * request, early: that page can look colder than it is for a scan. And a confirmation says
 * only that the entry is gone now: the accesses between a request and its drop are not
 * seen, the scan's window starts at the drop. A client that confirms nothing (hint returns
 * 0: an older library) has its entries taken as dropped when asked.
 *
 * Under CLOCK-Pro there is no active list: the hands test the reference bits (clockpro.c).
 * A mapped-out page is asked for a hint wherever its bit is tested and cleared and the page
 * stays on the clock: when it joins the clock (the fault's own bit cleared, its test period
 * starting), when hand_cold finds it referenced, when hand_hot passes it hot, and when
 * shrink_page_list gives it back. An unreferenced cold page hand_cold takes for eviction is
 * not asked: it is about to be taken back. A hot page then costs one hinting fault a lap of
 * hand_hot, a cold one in its test period one a lap of hand_cold. The join's request is
 * queued and goes with the next fault or scan, after the access that faulted the page in:
 * a page refaulted hot must show its next access before hand_cold comes round, which on a
 * clock of mostly hot pages is soon. So under CLOCK-Pro each page mapped out costs one
 * hinting fault at its next access, with or without pressure.
 *
 * Under two-list the sampling rate is the scanner's, as for the kernel's pte young bits: a
 * page is sampled only when reclaim deactivates it, which shrink_active_list does as fast as
 * reclaim drains the inactive list, so with no pressure nothing is sampled and the client
 * runs without hinting faults, and the samples come faster as reclaim does. (NUMA hinting
 * faults need a rate of their own, task_numa_work; these are driven by reclaim itself.) The
 * requests of a scan go to each client as one batch when the scan ends (mapped_flush_hints).
 *
 * Only anonymous regions are mapped so far: their pages have one entry each, in one region.
 * Callers hold engine->mm_lock for the internal functions, which let it go only where said.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "reclaim/region.h"
#include "memcontrol.h"

/*
 * Take the live bytes of mapped-out page @idx back into its frame (@page, locked, mapped by
 * @pte): from then on the frame is the page, and it is dirty (the client may have written it;
 * nothing tells us it did not). 0, or the evict callback's -errno: the page stays mapped out.
 */
int mapped_take_back(struct region *region, unsigned long idx, struct page *page, pte_t *pte)
{
	int err;

	VM_BUG_ON_PAGE(!PageLocked(page), page, "taken back unlocked");
	err = region->map_ops->evict(region->map_arg, idx, page_address(page));
	if (err)
		return err;
	pte_lock(region);
	pte_clear_flags(region, pte, PTE_MAPPED | PTE_HINT_STATE);
	pte_unlock(region);
	set_page_dirty(page);
	count_vm_event(page_engine(page), MAPPED_TAKE_BACK_CALLS);
	count_vm_event(page_engine(page), MAPPED_TAKE_BACK_PAGES);
	return 0;
}

/* A page reclaim takes back with the run it belongs to. */
struct take_back_slot {
	struct region *region;
	unsigned long idx;
	struct page *page;
	pte_t *pte;
};

static int take_back_cmp(const void *a, const void *b)
{
	const struct take_back_slot *x = a, *y = b;

	if (x->region != y->region)
		return x->region->id < y->region->id ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Mark the first @done of @s[0..@n) (taken back) the frame's again, and dirty. */
static void take_back_done(struct take_back_slot *s, unsigned int n, int done)
{
	struct region *region = s->region;
	unsigned int i;

	pte_lock(region);	/* the loop reads these entries under the ptl alone */
	for (i = 0; done > 0 && i < n && i < (unsigned int)done; i++)
		pte_clear_flags(region, s[i].pte, PTE_MAPPED | PTE_HINT_STATE);
	pte_unlock(region);
	for (i = 0; done > 0 && i < n && i < (unsigned int)done; i++)
		set_page_dirty(s[i].page);
	if (i) {
		count_vm_event(page_engine(s->page), MAPPED_TAKE_BACK_CALLS);
		count_vm_events(page_engine(s->page), MAPPED_TAKE_BACK_PAGES, i);
	}
}

/* The client's bytes of @s[0..@n), consecutive pages of one mapping (@ops, @arg), into their
 * frames: one evict_run, or evict for a page alone. How many from the first it took. */
static int take_back_copy(const struct rcl_map_ops *ops, void *arg, struct take_back_slot *s,
			  unsigned int n)
{
	void *frames[TAKE_BACK_BATCH];
	unsigned int i;

	if (n == 1)
		return ops->evict(arg, s->idx, page_address(s->page)) ? 0 : 1;
	for (i = 0; i < n; i++)
		frames[i] = page_address(s[i].page);
	return ops->evict_run(arg, s->idx, n, frames);
}

/*
 * Take back @s[0..@n), consecutive pages of one region, with one evict_run. Those it did not
 * take back stay mapped out: try_to_unmap_one takes each back alone, or keeps the page.
 */
static void take_back_run(struct take_back_slot *s, unsigned int n)
{
	take_back_done(s, n, take_back_copy(s->region->map_ops, s->region->map_arg, s, n));
}

/* A run of the batch: where it starts in the slots, its length, and the mapping it is of. */
struct take_back_batch_run {
	unsigned int first, n;
	const struct rcl_map_ops *ops;
	void *arg;
	int done;
};

/* The reclaimer's isolated pages stay so while it is away from mm_lock: declared (@sign 1),
 * not leaked, for the debug build's check (debug.c), and withdrawn (-1) on its return. */
static void declare_isolated(struct pglist_data *pgdat, const unsigned long nr_isolated[2],
			     long sign)
{
	atomic_fetch_add(&pgdat->isolated_unlocked[0], sign * (long)nr_isolated[0]);
	atomic_fetch_add(&pgdat->isolated_unlocked[1], sign * (long)nr_isolated[1]);
}

/*
 * Take the batch's runs back without mm_lock: evict and evict_run are system calls (a
 * write-protect, a read, a punch and an un-protect), and a client's faults, which need the
 * lock, would wait for each in turn. Every page is locked, so the faults, resident copies
 * and unmaps of these pages wait for their locks instead; each region is referenced and each
 * mapping pinned (map_ops->get) meanwhile. A region that died in between (zapped: its
 * entries are gone) is left as it is; the bytes taken back of it are nobody's.
 */
static void take_back_unlocked(struct pglist_data *pgdat, const unsigned long nr_isolated[2],
			       struct take_back_slot *slot, struct take_back_batch_run *run,
			       unsigned int nr_runs)
{
	struct rcl_engine *engine = pgdat->engine;
	unsigned int r;

	for (r = 0; r < nr_runs; r++) {
		region_get(slot[run[r].first].region);
		run[r].ops->get(run[r].arg);
	}
	declare_isolated(pgdat, nr_isolated, 1);
	mm_drop(engine);
	for (r = 0; r < nr_runs; r++) {
		run[r].done = take_back_copy(run[r].ops, run[r].arg, slot + run[r].first,
					     run[r].n);
		run[r].ops->put(run[r].arg);	/* nothing touches the mapping after this */
	}
	mm_retake(engine);
	declare_isolated(pgdat, nr_isolated, -1);
	for (r = 0; r < nr_runs; r++) {
		struct region *region = slot[run[r].first].region;

		/* An unmap locks each page the client holds, so the mapping is still this one
		 * unless the region died. */
		if (!region->dead && region->map_arg == run[r].arg)
			take_back_done(slot + run[r].first, run[r].n, run[r].done);
		region_put(engine, region);
	}
}

/*
 * shrink_page_list is about to unmap @pages[0..@nr), locked (at most TAKE_BACK_BATCH), of node
 * @pgdat, where its caller counted @nr_isolated[anon, file] of its pages in NR_ISOLATED_*: take
 * back those that clients hold, one evict_run for each run of a region's consecutive pages
 * (the writes-never-lost argument is evict's, over the run: a writer that meets the
 * write-protect waits until the whole run is out and then misses), one evict for a page
 * alone, all of them without mm_lock where the mapping can be pinned (take_back_unlocked).
 * A page of a locked region, or one the batch could not take, is left to try_to_unmap_one.
 * (Pages of a region that are near but not consecutive under one write-protect of their
 * span, with a read and a punch per run, was measured: 16 us of the daemon's CPU a page
 * against 7 one by one (bench_mapped's eviction at random): the write-protect and the
 * un-protect of every entry between them cost more than the calls they save.)
 */
void mapped_take_back_pages(struct page **pages, unsigned int nr, struct pglist_data *pgdat,
			    const unsigned long nr_isolated[2])
{
	struct take_back_slot slot[TAKE_BACK_BATCH];
	struct take_back_batch_run run[TAKE_BACK_BATCH];
	unsigned int i, n = 0, len, nr_runs = 0;

	for (i = 0; i < nr && n < TAKE_BACK_BATCH; i++) {
		struct region *region;
		pte_t *pte = page_mapped_out_pte(pages[i], &region);

		VM_BUG_ON_PAGE(!PageLocked(pages[i]), pages[i], "taken back unlocked");
		/* A locked region's pages are mlocked by try_to_unmap, not unmapped. */
		if (!pte || region->dead || !region->map_ops || (region->vm_flags & VM_LOCKED))
			continue;
		slot[n++] = (struct take_back_slot){ region, pages[i]->index, pages[i], pte };
	}
	qsort(slot, n, sizeof(*slot), take_back_cmp);
	for (i = 0; i < n; i += len) {
		const struct rcl_map_ops *ops = slot[i].region->map_ops;

		for (len = 1; ops->evict_run && i + len < n &&
			      slot[i + len].region == slot[i].region &&
			      slot[i + len].idx == slot[i].idx + len; len++)
			;
		if (!ops->get || !ops->put)
			take_back_run(slot + i, len);	/* no pin: under the lock */
		else
			run[nr_runs++] = (struct take_back_batch_run){
				.first = i, .n = len, .ops = ops, .arg = slot[i].region->map_arg };
	}
	if (nr_runs)
		take_back_unlocked(pgdat, nr_isolated, slot, run, nr_runs);
}

#define MAP_HINT_BATCH	64	/* pages a region queues before its client is asked */

/*
 * The client was asked to drop its entries for pages @idx[0..@n) of @region, and it confirms
 * each drop: until it does, each is unconfirmed once more (PTE_HINTS). A count at its top
 * stays there, and the page is never confirmed again while it is mapped out.
 */
static void mapped_hints_sent(struct region *region, const uint64_t *idx, unsigned int n)
{
	unsigned int i;

	pte_lock(region);
	for (i = 0; i < n; i++) {
		pte_t *pte = pte_offset(region, (unsigned long)idx[i]);

		pte_t orig = pte ? ptep_get(pte) : 0;

		if (pte_mapped_out(orig) && pte_hints(orig) < PTE_HINTS_MAX)
			set_pte(region, pte, orig + (1ULL << PTE_HINTS_SHIFT));
	}
	pte_unlock(region);
}

/*
 * Send @region's queued hints to its client, if it still has one: those of the pages it
 * still holds (a page queued may have been taken back since: it has no entry to drop).
 */
static void mapped_send_hints(struct rcl_engine *engine, struct region *region)
{
	unsigned int i, n = 0;
	int sent;

	if (region->dead || !region->map_ops || !region->map_ops->hint) {
		region->nr_map_hints = 0;
		return;
	}
	for (i = 0; i < region->nr_map_hints; i++)
		if (pte_mapped_out(pte_get(region, (unsigned long)region->map_hints[i])))
			region->map_hints[n++] = region->map_hints[i];
	region->nr_map_hints = 0;
	if (!n)
		return;
	sent = region->map_ops->hint(region->map_arg, region->map_hints, n);
	if (sent < 0)
		return;
	count_vm_events(engine, MAPPED_HINT_UPDATES, n);
	/* Under mm_lock, which a confirmation takes too: none is counted before its request. */
	if (sent > 0)
		mapped_hints_sent(region, region->map_hints, n);
}

/*
 * Reclaim tests the reference of inactive mapped-out entry @pte of @region, not young, with
 * the ptl held: does it count as referenced all the same? Yes if the client has not confirmed
 * that it dropped its entry since it was last asked (its accesses since may have raised no
 * hinting fault), but only once until the page's next hinting fault: meanwhile the page is as
 * cold as its bit says, confirmed or not.
 */
bool mapped_hint_grace(struct rcl_engine *engine, struct region *region, pte_t *pte)
{
	pte_t orig = ptep_get(pte);

	if (!pte_mapped_out(orig) || !pte_hints(orig) || (orig & PTE_HINT_GRACED))
		return false;
	set_pte(region, pte, orig | PTE_HINT_GRACED);
	count_vm_event(engine, MAPPED_HINT_GRACES);
	return true;
}

/*
 * Reclaim deactivated mapped-out page @idx: queue the request that makes the client's next
 * access to it a hinting fault. The region waits on engine->mapped_hinting,
 * referenced, until the scan ends; a full batch goes before @idx is queued, so that a page
 * the fault mapping it queued (CLOCK-Pro's join) is never asked for before that fault's
 * access is done.
 */
void mapped_page_aged(struct rcl_engine *engine, struct region *region, unsigned long idx)
{
	if (!region->map_hints)
		return;		/* the mapping takes no hints: its pages look cold */
	if (!region->map_hint_listed) {
		region->map_hint_listed = true;
		region_get(region);
		region->map_hint_next = engine->mapped_hinting;
		engine->mapped_hinting = region;
	}
	if (region->nr_map_hints == MAP_HINT_BATCH)
		mapped_send_hints(engine, region);	/* stays listed: the flush unlists it */
	region->map_hints[region->nr_map_hints++] = idx;
}

/*
 * A scan ended: every client gets the requests it made for it. Under CLOCK-Pro a fault's
 * join queues one too, which waits for the next fault or scan (or the engine's end, mm_exit):
 * not sent by the fault that queued it, before that fault's own access is done.
 */
void mapped_flush_hints(struct rcl_engine *engine)
{
	struct region *region;

	while ((region = engine->mapped_hinting)) {
		engine->mapped_hinting = region->map_hint_next;
		region->map_hint_next = NULL;
		region->map_hint_listed = false;
		mapped_send_hints(engine, region);
		region_put(engine, region);
	}
}

/* The mapping goes: hints queued for it are for nobody. */
static void mapped_drop_hints(struct region *region)
{
	free(region->map_hints);
	region->map_hints = NULL;
	region->nr_map_hints = 0;
}

/*
 * The region dies under its mapping: the owner tells the client; nothing is taken back. An
 * unmap under way (map_closing) is the client's own ending of the mapping: it is only
 * detached, and the client, which asked for no more than the unmap, keeps its connection.
 */
void mapped_region_lost(struct region *region)
{
	const struct rcl_map_ops *ops = region->map_ops;

	if (!ops)
		return;
	mapped_drop_hints(region);
	region->map_ops = NULL;
	if (!region->map_closing)
		ops->lost(region->map_arg);
	region->map_arg = NULL;
}

/* The live region @id mapped through @arg, referenced; NULL with *ret_err otherwise. */
static struct region *mapped_region_get(struct rcl_engine *engine, uint32_t id, void *arg,
					int *ret_err)
{
	struct region *region = region_lookup(engine, id);

	if (!region || region->dead || !region->map_ops || region->map_arg != arg ||
	    region->map_closing) {
		*ret_err = -ENOENT;
		return NULL;
	}
	region_get(region);
	return region;
}

int rcl_region_map(struct rcl_engine *engine, uint32_t id, const struct rcl_map_ops *ops,
		   void *arg)
{
	struct region *region;
	int err = 0;

	if (!ops || !ops->fill || !ops->evict || !ops->lost || !ops->io || !arg ||
	    !ops->hint != !ops->cont || !ops->get != !ops->put)
		return -EINVAL;
	mm_lock(engine);
	region = region_lookup(engine, id);
	if (!region || region->dead)
		err = -ENOENT;
	else if (region->file)
		err = -EINVAL;
	else if (region->map_ops)
		err = -EBUSY;
	else if (region->nr_dropping)
		err = -EAGAIN;		/* madvise_dontneed checked it was not mapped */
	if (!err && ops->hint) {
		region->map_hints = calloc(MAP_HINT_BATCH, sizeof(*region->map_hints));
		if (!region->map_hints)
			err = -ENOMEM;
	}
	if (!err) {
		region->map_ops = ops;
		region->map_arg = arg;
		region->map_closing = false;
	}
	mm_unlock(engine);
	return err;
}

/*
 * Page @idx of @region, present after a fault, locked and referenced, the entry still mapping
 * it; NULL if the entry changed while the lock was waited for (the caller looks again), or,
 * without @wait, if the lock could not be had at once (a caller holding other page locks
 * must not sleep for another).
 */
static struct page *lock_present_page(struct rcl_engine *engine, struct region *region,
				      unsigned long idx, bool wait)
{
	pte_t orig = pte_get(region, idx);
	struct page *page;

	if (!pte_present(orig))
		return NULL;
	page = pfn_to_page(engine, pte_pfn(orig));
	get_page(page);
	if (!wait && !trylock_page(page)) {
		put_page(page);
		return NULL;
	}
	if (wait)
		lock_page(page);	/* may wait without mm_lock */
	/* The same frame still: its flags (young, dirty, mapped out) are the caller's to look
	 * at, or a waiter that a flag flip sent round again could go round for ever. */
	if (region->dead || !pte_present(pte_get(region, idx)) ||
	    pte_pfn(pte_get(region, idx)) != pte_pfn(orig)) {
		unlock_page(page);
		put_page(page);
		return NULL;
	}
	return page;
}

#define MAP_FAULT_RETRIES	64	/* entries changed under us this often: give up, -EAGAIN */

/*
 * Page @idx (@page) is the client's now, and young: the miss was an access. Under CLOCK-Pro,
 * a page that had not @joined its clock before the fault and has now (a swap-cache or
 * readahead page the fault found on the LRU: the fault, its first access, joined it) must
 * not carry the fault's access as a later one, or hand_cold would make every page swapped in
 * hot: the bit is cleared and the client's next access asked for instead, as clock_join does
 * for a page that joins after this. Under two-list no page joins a clock: always young.
 */
static void mapped_out(struct region *region, unsigned long idx, struct page *page,
		       bool joined)
{
	pte_t *pte = pte_offset(region, idx);
	bool sample = !joined && PageClock(page);

	pte_lock(region);
	pte_set_flags(region, pte, PTE_MAPPED | PTE_YOUNG);
	if (sample)
		pte_clear_flags(region, pte, PTE_YOUNG);
	pte_unlock(region);
	if (sample)
		page_sample_mapped(page);
}

static void mapped_mark(struct region *region, unsigned long idx, bool out)
{
	pte_t *pte = pte_offset(region, idx);

	pte_lock(region);
	if (out)
		pte_set_flags(region, pte, PTE_MAPPED);
	else
		pte_clear_flags(region, pte, PTE_MAPPED | PTE_HINT_STATE);
	pte_unlock(region);
}

/*
 * Copy locked page @idx (@page) of @region into the client through mapping @arg, without
 * mm_lock: the copy is a system call, and the faults of a client's threads, and reclaim,
 * would queue behind it. Nothing it needs can change meanwhile. The page lock keeps reclaim's
 * take-back and the resident copies of this page out (its entry is already marked the
 * client's), and so an unmap, which locks every page the client holds, cannot end. The
 * region is referenced, and the mapping stays while one of its faults is served (its server
 * holds it until the fault is answered). Only the region can die: the caller looks.
 */
static int mapped_fill(struct rcl_engine *engine, struct region *region, void *arg,
		       uint64_t idx, struct page *page)
{
	const struct rcl_map_ops *ops = region->map_ops;
	int err;

	mm_drop(engine);
	err = ops->fill(arg, idx, page_address(page));
	mm_retake(engine);
	return err;
}

int rcl_region_map_fault(struct rcl_engine *engine, uint32_t id, void *arg, uint64_t idx)
{
	struct region *region;
	struct page *page;
	int err = 0, tries;

	mm_lock(engine);
	mapped_flush_hints(engine);	/* joins queued by the faults before this one */
	region = mapped_region_get(engine, id, arg, &err);
	if (region && idx >= region->nr_pages)
		err = -EINVAL;
	if (err)
		goto out;
	current_or_default(engine)->faulting_region = region;
	for (tries = 0; tries < MAP_FAULT_RETRIES; tries++) {
		pte_t orig = pte_get(region, (unsigned long)idx);
		bool joined = pte_present(orig) && PageClock(pfn_to_page(engine, pte_pfn(orig)));

		if (region->dead || region->map_arg != arg || region->map_closing) {
			err = -ENOENT;
			break;
		}
		if (pte_mapped_out(pte_get(region, (unsigned long)idx))) {
			/*
			 * Another thread's miss filled it, or a take-back running without mm_lock
			 * has punched it out of the client and not yet marked it the frame's:
			 * its page lock tells which.
			 */
			bool filled;

			page = lock_present_page(engine, region, (unsigned long)idx, true);
			if (!page)
				continue;
			filled = pte_mapped_out(pte_get(region, (unsigned long)idx));
			unlock_page(page);
			put_page(page);
			if (filled)
				break;
			continue;
		}
		/*
		 * A write fault: the client may write the page without our knowing, so it gets a
		 * frame of its own (never the shared zero page) and is dirty from now on.
		 */
		err = handle_mm_fault(engine, region, (unsigned long)idx, FAULT_FLAG_WRITE, &page);
		if (err)
			break;
		page = lock_present_page(engine, region, (unsigned long)idx, true);
		if (!page)
			continue;
		/*
		 * Its lock, and the swap-in before it, may have been waited for without mm_lock:
		 * the mapping may have gone (its map_ops with it, or another client's in their
		 * place), or another thread's miss of this page filled it meanwhile.
		 */
		if (region->map_arg != arg || region->map_closing)
			err = -ENOENT;
		if (err || pte_mapped_out(pte_get(region, (unsigned long)idx))) {
			unlock_page(page);
			put_page(page);
			break;
		}
		/* The client's before it copies the frame: a resident write (region.c) that
		 * would land after the copy punts to this path instead. */
		mapped_mark(region, (unsigned long)idx, true);
		err = mapped_fill(engine, region, arg, idx, page);
		if (region->dead)
			err = -ENOENT;	/* zapped meanwhile: the entry is not ours to mark */
		else if (!err)
			mapped_out(region, (unsigned long)idx, page, joined);
		else
			mapped_mark(region, (unsigned long)idx, false);
		unlock_page(page);
		put_page(page);
		break;
	}
	if (tries == MAP_FAULT_RETRIES)
		err = -EAGAIN;
	current_or_default(engine)->faulting_region = NULL;
	/*
	 * The new page waits in this thread's LRU-add vector; a few threads serve every
	 * client's faults and may sit idle with up to a vector of pages each that reclaim (and
	 * MADV_PAGEOUT) cannot see: put it on the LRU now.
	 */
	lru_add_drain(engine);
out:
	region_put(engine, region);
	mem_cgroup_handle_over_high(engine);
	engine_debug_check(engine);
	mm_unlock(engine);
	return err;
}

/* map_ops->cont of locked page @idx, without mm_lock: as mapped_fill. */
static int mapped_cont(struct rcl_engine *engine, struct region *region, void *arg,
		       uint64_t idx)
{
	const struct rcl_map_ops *ops = region->map_ops;
	int err;

	mm_drop(engine);
	err = ops->cont(arg, idx);
	mm_retake(engine);
	return err;
}

int rcl_region_map_minor(struct rcl_engine *engine, uint32_t id, void *arg, uint64_t idx)
{
	struct region *region;
	struct page *page;
	pte_t *pte;
	int err = 0;

	mm_lock(engine);
	mapped_flush_hints(engine);	/* joins queued by the faults before this one */
	region = mapped_region_get(engine, id, arg, &err);
	if (region && (idx >= region->nr_pages || !region->map_ops->cont))
		err = -EINVAL;
	if (err)
		goto out;
	pte = pte_offset(region, (unsigned long)idx);
	/*
	 * With the page locked no take-back runs (reclaim's holds the lock from before its
	 * write-protect until the entry is the frame's again), and none starts before cont has
	 * mapped it: the write-protect of the next one sees the entry.
	 */
	page = pte && pte_mapped_out(ptep_get(pte)) ?
	       lock_present_page(engine, region, (unsigned long)idx, true) : NULL;
	if (page && (region->map_arg != arg || region->map_closing ||
		     !pte_mapped_out(ptep_get(pte)))) {
		unlock_page(page);
		put_page(page);
		page = NULL;
	}
	if (!page) {
		/* Taken back since the client dropped its entry: an ordinary miss now. */
		region_put(engine, region);
		mm_unlock(engine);
		return rcl_region_map_fault(engine, id, arg, idx);
	}
	/* The access is this page's accessed bit. */
	err = mapped_cont(engine, region, arg, idx);
	if (region->dead) {
		err = -ENOENT;
	} else if (!err) {
		/* An access seen: young, and a grace for the next request not yet confirmed. */
		pte_lock(region);
		pte_set_flags(region, pte, PTE_YOUNG);
		pte_clear_flags(region, pte, PTE_HINT_GRACED);
		pte_unlock(region);
		/* A fault of the client's like any minor one, and counted apart as well. */
		count_vm_event(engine, PGFAULT);
		count_memcg_events(region->memcg, PGFAULT, 1);
		count_vm_event(engine, MAPPED_HINT_FAULTS);
	}
	unlock_page(page);
	put_page(page);
out:
	region_put(engine, region);
	mm_unlock(engine);
	return err;
}

int rcl_region_map_confirm(struct rcl_engine *engine, uint32_t id, void *arg,
			   const uint64_t *idx, unsigned int n)
{
	unsigned long confirmed = 0;
	struct region *region;
	unsigned int i;
	int err = 0;

	mm_lock(engine);
	region = mapped_region_get(engine, id, arg, &err);
	if (!region)
		goto out;
	pte_lock(region);
	for (i = 0; i < n; i++) {
		pte_t *pte = idx[i] < region->nr_pages ?
			     pte_offset(region, (unsigned long)idx[i]) : NULL;
		pte_t orig = pte ? ptep_get(pte) : 0;
		unsigned int hints = pte_hints(orig);

		/* Not asked for, or asked so often that it is never confirmed again. A grace
		 * spent stays so: a confirmation is no access. */
		if (!pte_mapped_out(orig) || !hints || hints == PTE_HINTS_MAX)
			continue;
		set_pte(region, pte, orig - (1ULL << PTE_HINTS_SHIFT));
		confirmed++;
	}
	pte_unlock(region);
	count_vm_events(engine, MAPPED_HINT_CONFIRMS, confirmed);
out:
	region_put(engine, region);
	mm_unlock(engine);
	return err;
}

/*
 * Read or Write of the region's bytes [@pos, @pos + @n), within mapped-out page @pos / PAGE:
 * done on the client's copy (map_ops->io) with the page locked, so that no take-back runs
 * meanwhile; the client's own accesses to other bytes of the page go on. -EAGAIN if the
 * entry changed while the page lock was waited for (the caller faults the page again).
 */
int mapped_copy(struct rcl_engine *engine, struct region *region, uint64_t pos, void *buf,
		size_t n, bool write)
{
	unsigned long idx = (unsigned long)(pos >> PAGE_SHIFT);
	struct page *page = lock_present_page(engine, region, idx, true);
	int err;

	if (!page)
		return region->dead ? -ENOENT : -EAGAIN;
	if (!pte_mapped_out(pte_get(region, idx)))
		err = -EAGAIN;		/* taken back while we waited: the frame has it now */
	else
		err = region->map_ops->io(region->map_arg, idx, (size_t)(pos & (PAGE_SIZE - 1)),
					  buf, n, write);
	unlock_page(page);
	put_page(page);
	return err;
}

/*
 * Take back what is left mapped out of @s[0..@n) (consecutive pages of @region, locked and
 * referenced): one evict_run for the run where the mapping has it, then each page it left
 * alone. A page whose bytes cannot be had keeps its last ones, and says so: the first error,
 * or 0. Every page is unlocked and let go.
 */
static int unmap_take_back(struct region *region, struct take_back_slot *s, unsigned int n)
{
	unsigned int i;
	int err = 0, e;

	if (n > 1 && region->map_ops->evict_run)
		take_back_run(s, n);
	for (i = 0; i < n; i++) {
		if (pte_mapped_out(ptep_get(s[i].pte)) &&
		    (e = mapped_take_back(region, s[i].idx, s[i].page, s[i].pte)) != 0) {
			pte_lock(region);
			pte_clear_flags(region, s[i].pte, PTE_MAPPED | PTE_HINT_STATE);
			pte_unlock(region);
			if (!err)
				err = e;
		}
		unlock_page(s[i].page);
		put_page(s[i].page);
	}
	return err;
}

/*
 * One walk of rcl_region_unmap: take every page the client holds back, a run of consecutive
 * pages (at most a batch) in one evict_run as reclaim does, walking only the entries that
 * exist. Only the first page of a run may be waited for: the others are trylocked, and a
 * busy one ends the run first, so no page lock is slept on while others are held. The first
 * error, or 0; *ret_left: the pages it found mapped out and could not lock.
 */
static int unmap_walk(struct rcl_engine *engine, struct region *region, unsigned long *ret_left)
{
	struct take_back_slot slot[TAKE_BACK_BATCH];
	unsigned long i, left = 0, last = ULONG_MAX;
	unsigned int n = 0, retries = 0;
	int err = 0, e;

	for_each_pte(region, i, 0, region->nr_pages) {
		struct page *page;

		if (region->dead)
			break;
		if (i != last) {	/* a page's retries are its own */
			last = i;
			retries = 0;
		}
		if (!pte_mapped_out(pte_get(region, i)))
			continue;
		if (n && (n == TAKE_BACK_BATCH || slot[n - 1].idx + 1 != i)) {
			e = unmap_take_back(region, slot, n);
			err = err ? err : e;
			n = 0;
		}
		page = n ? lock_present_page(engine, region, i, false) : NULL;
		if (!page && n) {
			e = unmap_take_back(region, slot, n);
			err = err ? err : e;
			n = 0;
		}
		if (!page)
			page = lock_present_page(engine, region, i, true);
		if (!page) {
			/* Another frame while we waited (reclaim took it back): look again. */
			if (++retries < MAP_FAULT_RETRIES)
				i--;
			else
				left++;
			continue;
		}
		if (!pte_mapped_out(pte_get(region, i))) {
			unlock_page(page);	/* taken back while we waited */
			put_page(page);
			continue;
		}
		slot[n++] = (struct take_back_slot){ region, i, page, pte_offset(region, i) };
	}
	if (n) {
		e = unmap_take_back(region, slot, n);
		err = err ? err : e;
	}
	*ret_left = left;
	return err;
}

/*
 * Take every page the client holds back and detach. The mapping is closed first: from then on
 * no fault maps a page out to it (mapped_region_get and the fault refuse), so the walks, which
 * let mm_lock go while they wait for a page's lock, leave no page behind that a fault filled
 * meanwhile. A walk that met a page whose frame kept changing under it is made again: each
 * change was a take-back or a swap-out of a page that is then no longer mapped out, and no
 * new one can be, so the walks end.
 */
int rcl_region_unmap(struct rcl_engine *engine, uint32_t id, void *arg)
{
	struct region *region;
	unsigned long left;
	int err = 0, e;

	mm_lock(engine);
	region = mapped_region_get(engine, id, arg, &err);
	if (region) {
		region->map_closing = true;
		do {
			e = unmap_walk(engine, region, &left);
			err = err ? err : e;
		} while (left && !region->dead);
	}
	if (region && !region->dead && region->map_arg == arg) {
		mapped_drop_hints(region);
		region->map_ops = NULL;
		region->map_arg = NULL;
		region->map_closing = false;
	}
	region_put(engine, region);
	engine_debug_check(engine);
	mm_unlock(engine);
	return err;
}
