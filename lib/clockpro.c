/*
 * clockpro.c - the CLOCK-Pro reclaim policy (Song Jiang, Feng Chen and Xiaodong Zhang,
 * "CLOCK-Pro: An Effective Improvement of the CLOCK Replacement", USENIX ATC 2005), the
 * approximation on a clock of their LIRS (Jiang and Zhang, SIGMETRICS 2002).
 *
 * The paper's rules, by section (m pages of memory, m_h of them for hot pages, m_c for
 * resident cold ones, m_h + m_c = m):
 *
 * §3.1 (the main idea). A page's reuse distance is the number of distinct pages accessed
 *   between two accesses to it. Pages whose reuse distance is small are hot, the others
 *   cold; the hot pages are kept resident. A cold page accessed starts a test period, as long
 *   as the largest recency of the hot pages; accessed again within it, its reuse distance is
 *   smaller than a hot page's and it turns hot, and a hot page turns cold in its place.
 *   Cold pages whose test period has not ended stay on the clock when replaced
 *   (non-resident), as many as memory has pages.
 * §3.2 (the data structure). One circular list holds hot, resident cold and non-resident
 *   cold pages in the order of their accesses, the pages with small recency at the head.
 *   HAND_hot points to the hot page with the largest recency, HAND_cold to the last resident
 *   cold page (where a victim is looked for), HAND_test to the last cold page in its test
 *   period. Each resident page has a reference bit.
 * §3.3 (operations on searching victim pages). A hit only sets the reference bit.
 *   HAND_cold: an unreferenced cold page is replaced; in its test period it stays on the
 *   clock as a non-resident cold page, out of it it leaves the clock. A referenced cold page
 *   in its test period turns hot and HAND_hot runs; referenced out of it, it starts a new
 *   test period. Either way its bit is reset and it moves to the list head.
 *   HAND_hot: a referenced hot page has its bit reset and stays hot; the first unreferenced
 *   one turns cold. Moving the hand past a page leaves that page at the list head. A cold
 *   page it passes ends its test period, and leaves the clock if non-resident.
 *   HAND_test: when the non-resident cold pages exceed m, it ends the test period of the
 *   cold page it points to (a non-resident one leaves the clock) and moves on.
 *   A page fault: HAND_cold frees a page first. The faulted page, if not on the clock, is
 *   cold, placed at the list head, and starts its test period; if on the clock (non-resident
 *   in its test period), it turns hot at the list head and HAND_hot runs.
 * The adaptation that follows (making CLOCK-Pro adaptive): m_c is not fixed. A cold page
 *   accessed in its test period adds one to m_c; a test period that ends without an access
 *   takes one away. The hands realize the new allocation by how far they move; here
 *   HAND_hot runs while the hot pages are more than m - m_c (hand_hot). A test period that
 *   HAND_hot or HAND_test ends on a resident page whose bit is set (accessed, not yet reached
 *   by HAND_cold) ended with an access: it adds one (test_period_end).
 * While memory fills the hands do not run; the state then is LIRS's ("when the LIR block
 *   set is not full, all the referenced blocks are given an LIR status"): every page
 *   accessed is hot (clock_join_state).
 *
 * Here, under --reclaim-policy clock-pro, shrink_list sends each lruvec's lists here;
 * everything above it (get_scan_count, memcg protection, swappiness, vmpressure) and below it
 * (shrink_page_list: dirty, writeback, swap, mlock) is shared with the two-list policy.
 *
 * One clock per lruvec and type (anon, file). Its resident pages are the type's inactive list:
 * the active list stays empty, add_page_to_lru_list sends pages here (clockpro_lru_add). A page
 * is hot (PG_hot) or cold; a cold page may be in its test period (PG_test). The reference bit
 * is PG_referenced or a young pte.
 *
 * A page faulted in joins the clock hot until the clock's first reclaim (memory full), then
 * cold in its test period; one whose refault found it still on the clock (a non-resident
 * test page) joins hot, and m_c grows. The access that faulted it in is the fault itself: the
 * reference it left (PG_referenced from the read, the young pte of the fault) is cleared as
 * the page joins the clock, so that the bit means an access after the fault, as in the
 * paper's model (clock_join).
 *
 * Every entry of the clock has a position (engine->clock_pos for a resident page): positions
 * grow from hand_hot, which always sits at the list's tail, to the head, where hands put the
 * pages they pass or keep. Passing a page with hand_hot moves it to the head with a new
 * position, which keeps the circular order. Non-resident cold pages in their test period
 * keep the position of the page they were (cp->nonres, at most m), and their shadow holds
 * that position (a file page's in its page cache slot, an anon page's in its swap slot), so
 * that a refault finds the entry and hand_hot and hand_test meet each of them exactly where
 * the paper's clock has it. hand_cold and hand_test are a position (what they passed last)
 * and a hint, the list index of the page they look at next, moved on by clockpro_lru_del
 * when that page leaves.
 *
 * What a kernel needs that the paper's model has not:
 * - Memory is full when reclaim first runs on the clock: until then pages join hot
 *   (clock_join_state), and m is the most pages the clock has held resident lately
 *   (clock_size), as a memcg's limit or the other type can take memory away.
 * - Reclaim frees a batch a call (SWAP_CLUSTER_MAX), not one page a fault, and no more than
 *   its memcg's limit reclaim still needs (reclaim_batch): hand_hot also leaves the call's
 *   share of it cold and resident (hot_goal), and hand_cold passes hot pages without
 *   counting them against the call's scan, as the paper's hand stops only at cold pages.
 * - Pages brought in without an access (readahead) join the clock at their first access
 *   (clock_join); a page held isolated while a hand passed its place loses its test period as
 *   if it had been there (clockpro_eviction); and when a whole lap of hand_cold freed
 *   nothing because the cold pages are busy (dirty, under writeback), hand_hot demotes hot
 *   pages beyond m - m_c (clockpro_shrink).
 * - m_c grows when a non-resident test page refaults (clockpro_refault), not when hand_cold
 *   promotes a resident one, as issue 13 specifies the adaptation; §3.4 and the faithful
 *   simulators (Caffeine's ClockProPolicy, libCacheSim's ClockPro) grow it for both. The
 *   authors' own simulator (Song Jiang's clock-pro.c, ADAPTIVE_COLD_ALLOC) counts one up for
 *   a non-resident test page's refault and one down for each non-resident test period that
 *   ends, and nothing for a resident cold page, promoted or not. Here a resident promotion
 *   counts nothing either, but a resident test period that a hand ends counts as §3.4 says,
 *   one up if the page was accessed in it, one down if not (test_period_end).
 *   Measured with bench_replay, growing it on resident promotions too saves at most 7
 *   misses a pair (mixed 8 MiB) and costs 5-36 on zipf at 2, 16 and 32 MiB and 13-19 on
 *   mixed at 16-32 MiB.
 * - m_c starts at 1 when memory first fills (Caffeine starts at 1% of m, libCacheSim at m):
 *   the adaptation moves m_c by one an event, so its start holds for the length of a trace.
 *   Measured: m/2 at the first reclaim costs the loop trace about half its gain (gap closed
 *   49-79% instead of 94-99%) and mixed at 8-32 MiB 335-5724 misses (at 16 MiB less than a
 *   third of two-list's gap closed); m/100 costs 15-40 misses on zipf at 2, 4 and 16 MiB
 *   and 67-124 on mixed at 16-32 MiB. The authors' simulator keeps m_c in a band of m (as
 *   shipped 5% to 5%, at least 2 pages) and fills memory hot but for the band's floor, which
 *   joins cold in its test period. A floor of 2 pages, 1% or 5% of m under the adaptation
 *   here brings neither pair below to two-list's misses, and 5% costs the loop trace
 *   207-1584 misses at 4-16 MiB.
 * - A refault found on the clock enters hot at once and hand_hot makes room at the next
 *   reclaim call, as the kernel's refault path does no scanning; the authors' simulator (per
 *   Caffeine's notes) runs HAND_hot at the fault and leaves the page cold in its test period
 *   when the hand passes its place before it demotes a hot page.
 *
 * Where bench_replay has CLOCK-Pro above two-list, the paper's rules put it there (measured
 * against a simulation of §3.3 and the adaptation as counted here, hot while memory fills;
 * freeing 32 pages a charge, it is within 41 misses of the engine at every size of loop,
 * scan+hot and mixed and at zipf's 16 and 32 MiB, the ones simulated):
 * - scan+hot at 16 MiB, 21029 against 21025: five pages of the hot set first accessed after
 *   memory filled join cold, m_c is 1 (every test period of the scan ends unused), so
 *   hand_cold takes each before its next access and each refaults once, hot. The simulation
 *   misses the same five pages at the same accesses, at m = 3900, 4000 and 4096 alike.
 *   The trace run on to 240000 accesses, it stays 4 above, a cost paid once.
 * - zipf at 32 MiB, 12385 against 12378. Not the reclaim batch: with a memcg's limit reclaim
 *   asked for the one page its charge lacks instead of SWAP_CLUSTER_MAX, CLOCK-Pro misses
 *   12369, what the simulation gives at one page a fault, and two-list 12360. Memory fills
 *   only after 31000 accesses, and the rest of the trace is the adaptation's transient from
 *   m_c = 1 with every page hot: CLOCK-Pro is 12 below two-list after the first 40000, 20
 *   above after 50000, and with the trace run on, 276 below after 90000 and 2184 after
 *   240000.
 * The paper's literal start (every page faulted joins cold, none hot while memory fills)
 * gives 12365 and 21025 there, but loses the loop trace's whole gain at 2-8 MiB and leaves
 * mixed at 16 MiB with less than a third of its gap closed.
 *
 * Anonymous pages leave their shadow in their swap slot (as v5.9 does in the swap cache), so
 * the anon clock keeps its non-resident test pages as the file clock does. Caller holds
 * mm_lock for everything here.
 */
#include <errno.h>
#include <stdio.h>

#include "memcontrol.h"
#include "vmscan.h"

static struct clockpro *lruvec_clock(struct lruvec *lruvec, bool file)
{
	return &lruvec->clockpro[file];
}

static uint64_t page_pos(const struct page *page)
{
	return page_engine(page)->clock_pos[page_to_pfn(page)];
}

static void set_page_pos(struct page *page, uint64_t pos)
{
	page_engine(page)->clock_pos[page_to_pfn(page)] = pos;
}

/*
 * What a non-resident entry records of its page, so that a refault into a slot whose shadow
 * names the entry's position is the same page's: a file page's mapping and index; an anon
 * page's swap slot, which holds the shadow and is the page's until it is freed (the slot then
 * forgets the shadow: __swap_slot_free).
 */
static uint64_t clock_cookie(const struct page *page)
{
	if (PageSwapCache(page))
		return page->private;
	return ((uint64_t)page->mapping << 32) | page->index;
}

void clockpro_init(struct lruvec *lruvec)
{
	int file;

	for (file = 0; file < 2; file++) {
		struct clockpro *cp = lruvec_clock(lruvec, file);

		cp->hand_cold = cp->hand_test = PFN_NONE;
		cp->cold_target = 1;
		xa_init(&cp->nonres);
	}
}

void clockpro_exit(struct lruvec *lruvec)
{
	xa_destroy(&lruvec->clockpro[0].nonres);
	xa_destroy(&lruvec->clockpro[1].nonres);
}

static unsigned long clock_resident(struct lruvec *lruvec, bool file)
{
	return lruvec_lru_size(lruvec, file ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON, MAX_NR_ZONES);
}

/*
 * m, the memory size the targets are shares of and the bound on non-resident pages (§3.3):
 * the most pages the clock has held resident lately. Reclaim frees in batches, so the resident
 * count swings below what the clock owns by up to a batch each time; m does not follow those
 * swings, but falls by 1/64 of its lead over the resident count each reclaim call, so that a
 * clock that lost memory (to the other type, to a lower limit) follows.
 */
static unsigned long clock_size(struct lruvec *lruvec, bool file)
{
	return max_t(unsigned long, lruvec_clock(lruvec, file)->mem_size,
		     clock_resident(lruvec, file));
}

static void clock_size_update(struct lruvec *lruvec, bool file)
{
	struct clockpro *cp = lruvec_clock(lruvec, file);
	unsigned long resident = clock_resident(lruvec, file);

	if (resident >= cp->mem_size)
		cp->mem_size = resident;
	else
		cp->mem_size -= (cp->mem_size - resident + 63) / 64;
}

/* The cold target m_c: grown by one and shrunk by one (the adaptation), kept in [1, m]. */
static void cold_target_grow(struct clockpro *cp, unsigned long m)
{
	if (cp->cold_target < m)
		cp->cold_target++;
}

static void cold_target_shrink(struct clockpro *cp)
{
	if (cp->cold_target > 1)
		cp->cold_target--;
}

/*
 * The pages one call of the policy frees at most: a batch of SWAP_CLUSTER_MAX, no more than
 * the reclaim asks for (the kernel frees in batches where the paper frees one page a fault),
 * and, when the reclaim is its own memcg's limit reclaim, no more than it still needs. Such
 * a reclaim calls at falling priorities, each scanning twice what the last did (1, 2, 4 ...
 * 32 pages): a call that took a whole batch when the reclaim lacked one page freed up to
 * twice the ask, and each page of the excess is a cold page that the paper's clock, freeing
 * one page a fault, keeps resident. A reclaim spread over a subtree of memcgs keeps the
 * batch: what it lacks is not this clock's to make up (scenario check_mapped: with the
 * limit, the children's clocks that give the last pages are the hot set's five times as
 * often). What the earlier calls of this shrink_node_memcg freed is not counted in sc yet:
 * at most one call of the other type's, as shrink_node_memcg checks after each round.
 */
static unsigned long reclaim_batch(struct lruvec *lruvec, const struct scan_control *sc)
{
	unsigned long need = sc->nr_to_reclaim, batch;

	if (sc->target_mem_cgroup && lruvec->memcg == sc->target_mem_cgroup &&
	    sc->nr_reclaimed < need)
		need -= sc->nr_reclaimed;
	batch = min_t(unsigned long, SWAP_CLUSTER_MAX, need);
	return batch ? batch : SWAP_CLUSTER_MAX;	/* no amount given: a batch */
}

/* The hot pages may be m - m_c (m_h + m_c = m). */
static unsigned long hot_target(struct clockpro *cp, unsigned long m)
{
	return m > cp->cold_target ? m - cp->cold_target : 0;
}

/*
 * The most hot pages a reclaim call leaves: m - m_c, and fewer if the resident pages less
 * the @want cold pages the call is to free are fewer. The kernel frees a batch a call where
 * the paper frees one page a fault: hand_cold needs that many resident cold pages, or the
 * reclaim, still short, calls again and again and takes the batch from the hot pages by
 * other means (cold_idle). The resident pages fall short of m when the memcg's memory also
 * holds page cache nodes.
 */
static unsigned long hot_goal(struct lruvec *lruvec, bool file, unsigned long want)
{
	struct clockpro *cp = lruvec_clock(lruvec, file);
	unsigned long resident = clock_resident(lruvec, file);

	return min_t(unsigned long, hot_target(cp, clock_size(lruvec, file)),
		     resident > want ? resident - want : 0);
}

/*
 * The state a page joins the clock in. Once memory is full, a page faulted in that is not
 * on the clock is cold and starts its test period (§3.3). Before, while memory fills, the
 * paper's hands have not run yet and the rule is LIRS's, which CLOCK-Pro approximates
 * (LIRS: "when the LIR block set is not full, all the referenced blocks are given an LIR
 * status"): every page joins hot. Memory is full at the clock's first reclaim; hand_hot then
 * turns the oldest hot pages beyond m - m_c cold, and a loop longer than memory keeps its
 * first m - m_c pages hot instead of cycling all its pages through the cold ones.
 */
static void clock_join_state(struct clockpro *cp, struct page *page)
{
	if (!cp->full)
		SetPageHot(page);
	else
		SetPageTest(page);
}

/*
 * A page that has not joined its clock is about to be put on or taken off a list: the young
 * bits of its entries are part of the reference clock_join looks at. Testing them takes
 * page-table locks, which rank above lru_lock, so they are moved to PG_referenced here, before
 * the caller takes lru_lock. No-op under two-list, for a page on the clock and for one that
 * no list of the clock takes (unevictable).
 */
void clockpro_lru_prepare(struct page *page)
{
	unsigned int vm_flags = 0;

	if (!page_engine(page)->clock_pos || PageClock(page) || !page_evictable(page) ||
	    !page_mapped(page))
		return;
	if (page_referenced(page, NULL, &vm_flags))
		SetPageReferenced(page);
}

/*
 * A page is put on the clock and has not joined it yet, lru_lock held. The reference it
 * carries (PG_referenced, with its young bits moved there by clockpro_lru_prepare) is the
 * access that faulted it in, which is the fault itself: cleared, it joins (clock_join_state),
 * a cold page's test period starts. A page with no reference was brought in without an
 * access (readahead): it waits cold out of test, not joined, and its first access is its
 * fault (clockpro_page_accessed). A page its refault made hot joins hot. Without @cp (the
 * page leaves the list as it joins: lru_del), a cold page joins in its test period.
 */
static void clock_join(struct page *page, struct clockpro *cp)
{
	bool referenced = TestClearPageReferenced(page);

	if (!referenced && !PageHot(page))
		return;
	/* Its test period starts with no bit: a client's next access must set one. */
	page_sample_mapped(page);
	SetPageClock(page);
	if (PageHot(page))
		return;
	if (cp)
		clock_join_state(cp, page);
	else
		SetPageTest(page);
}

/*
 * mark_page_accessed under CLOCK-Pro: a hit only sets the reference bit, the hands do the
 * rest (§3.3: no operation on a hit). The first access of a page on the clock that has not
 * joined it (brought in by readahead) is its fault: it joins instead (clock_join_state).
 */
void clockpro_page_accessed(struct page *page)
{
	struct lruvec *lruvec = mem_cgroup_page_lruvec(page);
	bool joined = false;

	lru_lock(lruvec->pgdat);
	if (PageLRU(page) && !PageClock(page) && !PageUnevictable(page)) {
		struct clockpro *cp = lruvec_clock(lruvec, page_is_file_cache(page));

		SetPageClock(page);
		clock_join_state(cp, page);
		cp->nr_hot += PageHot(page);
		joined = true;
	}
	lru_unlock(lruvec->pgdat);
	if (!joined)
		SetPageReferenced(page);
}

/*
 * LRU bookkeeping (swap.c): @page is put on @lruvec's list @lru, at the head or, for @tail,
 * where reclaim looks next. Returns the list it goes to: under CLOCK-Pro the clock, the
 * type's inactive list, whatever active list was asked for.
 */
enum lru_list clockpro_lru_add(struct page *page, struct lruvec *lruvec, enum lru_list lru,
			       bool tail)
{
	struct clockpro *cp;

	if (!lruvec->pgdat->engine->clock_pos || lru == LRU_UNEVICTABLE)
		return lru;
	if (is_active_lru(lru)) {
		ClearPageActive(page);
		lru = (enum lru_list)(lru - 1);
	}
	cp = lruvec_clock(lruvec, is_file_lru(lru));
	if (!PageClock(page))
		clock_join(page, cp);
	if (PageHot(page))
		cp->nr_hot++;
	if (!tail) {
		set_page_pos(page, ++cp->head_pos);
		return lru;
	}
	/* Just ahead of hand_hot, and hand_cold goes back there to look at it first. The
	 * head stays at or after every place (a clock that had no page yet). */
	set_page_pos(page, cp->hot_pos + 1);
	if (cp->head_pos < cp->hot_pos + 1)
		cp->head_pos = cp->hot_pos + 1;
	cp->cold_pos = cp->hot_pos;
	cp->hand_cold = PFN_NONE;
	return lru;
}

/*
 * MADV_COLD (deactivate_file_page), off its list: the page becomes cold out of its test
 * period, the first a hand_cold visit evicts. Returns whether it was hot or in its test period,
 * the protection CLOCK-Pro gives in place of the active list. No-op under two-list.
 */
bool clockpro_page_cold(struct page *page)
{
	bool protected = PageHot(page) || PageTest(page);

	ClearPageHot(page);
	ClearPageTest(page);
	return protected;
}

/* @page leaves @lruvec's list @lru: a hand that was to look at it next looks at its successor. */
void clockpro_lru_del(struct page *page, struct lruvec *lruvec, enum lru_list lru)
{
	struct clockpro *cp;
	uint32_t idx;

	if (!lruvec->pgdat->engine->clock_pos || lru == LRU_UNEVICTABLE || is_active_lru(lru))
		return;
	cp = lruvec_clock(lruvec, is_file_lru(lru));
	if (!PageClock(page))
		clock_join(page, NULL);
	if (PageHot(page))
		cp->nr_hot--;
	idx = (uint32_t)(page - lruvec->lists[lru].map);
	if (cp->hand_cold == idx)
		cp->hand_cold = page->lru_prev;
	if (cp->hand_test == idx)
		cp->hand_test = page->lru_prev;
}

/*
 * The resident page a hand at @pos looks at next. The hint is that page: every page leaves the
 * list through del_page_from_lru_list, which moves the hint on. Without one (a new hand, or
 * one past the head), the oldest page placed after @pos, searched from the head. NULL: the
 * hand has passed the head.
 */
static struct page *hand_page(struct page_list *clock, uint32_t *hint, uint64_t pos)
{
	struct page *page, *found = NULL;

	if (*hint != PFN_NONE)
		return clock->map + *hint;
	for (page = page_list_first(clock); page && page_pos(page) > pos;
	     page = page_list_next(clock, page))
		found = page;
	*hint = found ? (uint32_t)(found - clock->map) : PFN_NONE;
	return found;
}

/* The first non-resident test page at or after position @pos, or ULONG_MAX. */
static unsigned long nonres_next(struct clockpro *cp, uint64_t pos)
{
	return xa_find(&cp->nonres, (unsigned long)pos, ULONG_MAX);
}

static void nonres_remove(struct clockpro *cp, unsigned long pos)
{
	uint64_t *slot = xa_slot(&cp->nonres, pos);
	struct xa_node *leaf;

	if (!slot || !*slot)
		return;
	*slot = 0;
	cp->nr_nonres--;
	leaf = xa_leaf(&cp->nonres, pos);
	if (leaf)
		xa_leaf_release(&cp->nonres, leaf);
}

/* A non-resident test page's test period ended unused: it leaves the clock (§3.3), m_c
 * shrinks (the adaptation). */
static void nonres_expire(struct clockpro *cp, unsigned long pos)
{
	nonres_remove(cp, pos);
	cold_target_shrink(cp);
}

/*
 * The young bits of a page whose test period a hand is about to end, and a hinting-fault
 * request for a client that holds it (it stays). Page-table locks rank above lru_lock: the
 * caller lets lru_lock go around this, under mm_lock, which keeps the page where it is.
 */
static bool test_period_referenced(struct page *page, struct mem_cgroup *target)
{
	unsigned int vm_flags = 0;
	bool young;

	if (!page_mapped(page))
		return false;
	young = page_referenced(page, target, &vm_flags) > 0;
	page_sample_mapped(page);
	return young;
}

/*
 * A hand ends the test period of resident cold @page (§3.3: hand_hot passing it, or hand_test).
 * The adaptation counts the period by whether the page was accessed in it: "if a cold page is
 * accessed during its test period, we increment m_c by 1; if a cold page passes its test
 * period without a re-access, we decrement m_c by 1" (§3.4; resident and non-resident cold
 * pages alike). A page accessed but not yet reached by hand_cold is such a page, though it
 * stays cold: only hand_cold acts on its bit. So the bit is read, not consumed: a young pte
 * found here is kept as PG_referenced for hand_cold, which starts the page's next test period
 * (§3.3). The page stays, so a client holding it is asked for a hinting fault, as for every
 * page a hand tests and keeps (page_was_referenced).
 */
static void test_period_end(struct clockpro *cp, struct page *page, bool ptes_young,
			    unsigned long m)
{
	ClearPageTest(page);
	if (ptes_young)
		SetPageReferenced(page);
	if (PageReferenced(page))
		cold_target_grow(cp, m);
	else
		cold_target_shrink(cp);
}

/*
 * A hand tests @page's reference bit and clears it (§3.3). A page a client holds (issue 14)
 * sets no bit we can see: unless the page is about to go (@keep false: hand_cold takes it),
 * the client is asked to make its next access a hinting fault that sets it again, as
 * shrink_active_list asks for the pages it deactivates (mapped.c). The requests go when
 * clockpro_shrink ends.
 */
static bool page_was_referenced(struct page *page, struct scan_control *sc, bool keep)
{
	unsigned int vm_flags = 0;
	int ptes = page_referenced(page, sc->target_mem_cgroup, &vm_flags);
	bool referenced = TestClearPageReferenced(page) || ptes;

	if (keep || referenced)
		page_sample_mapped(page);
	return referenced;
}

/* Put a page the hand passed or kept at the head of the clock, after changing its state. */
static void clock_requeue(struct lruvec *lruvec, enum lru_list lru, struct page *page,
			  bool hot, bool test)
{
	del_page_from_lru_list(page, lruvec, lru);
	if (hot)
		SetPageHot(page);
	else
		ClearPageHot(page);
	if (test)
		SetPageTest(page);
	else
		ClearPageTest(page);
	add_page_to_lru_list(page, lruvec, lru);
}

/*
 * Pages put back at hand_hot (written back: clockpro_lru_add) share one place; when the hand
 * passes one of them or a non-resident page there, the others are still ahead of it.
 */
static void hot_pos_settle(struct clockpro *cp, struct page_list *clock)
{
	struct page *tail = page_list_last(clock);

	if (tail && page_pos(tail) <= cp->hot_pos)
		cp->hot_pos = page_pos(tail) - 1;
}

/*
 * One step of hand_hot (§3.3), under lru_lock. The next entry is a non-resident test page:
 * its test period ends, it leaves the clock. A hot page: referenced, its bit is cleared and
 * it stays hot; not, it becomes cold (no test period). A resident cold page in its test
 * period: the period ends unused (its reuse distance is now longer than any hot page's).
 * Returns false on an empty clock.
 */
static bool hand_hot_step(struct lruvec *lruvec, bool file, struct scan_control *sc)
{
	enum lru_list lru = file ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
	struct clockpro *cp = lruvec_clock(lruvec, file);
	struct page *page = page_list_last(&lruvec->lists[lru]);
	unsigned long pos = nonres_next(cp, cp->hot_pos + 1);
	struct rcl_engine *engine = lruvec->pgdat->engine;

	if (pos != ULONG_MAX && (!page || pos <= page_pos(page))) {
		nonres_expire(cp, pos);
		cp->hot_pos = pos;
		hot_pos_settle(cp, &lruvec->lists[lru]);
		return true;
	}
	if (!page)
		return false;
	cp->hot_pos = page_pos(page);
	if (PageHot(page)) {
		bool referenced;

		/* The reference test takes page-table locks, which rank above lru_lock. */
		lru_unlock(lruvec->pgdat);
		referenced = page_was_referenced(page, sc, true);
		lru_lock(lruvec->pgdat);
		if (!PageLRU(page))	/* isolated meanwhile: the hand moved on anyway */
			return true;
		clock_requeue(lruvec, lru, page, referenced, false);
		hot_pos_settle(cp, &lruvec->lists[lru]);
		if (!referenced) {
			count_vm_event(engine, PGDEACTIVATE);
			count_memcg_events(lruvec->memcg, PGDEACTIVATE, 1);
			trace_event(engine, .type = RCL_TRACE_CLOCKPRO_DEMOTE,
				    .nid = lruvec->pgdat->node_id, .file = file);
		}
		return true;
	}
	if (PageTest(page)) {
		bool young;

		lru_unlock(lruvec->pgdat);
		young = test_period_referenced(page, sc->target_mem_cgroup);
		lru_lock(lruvec->pgdat);
		if (!PageLRU(page))	/* isolated meanwhile: the hand moved on anyway */
			return true;
		test_period_end(cp, page, young, clock_size(lruvec, file));
	}
	clock_requeue(lruvec, lru, page, false, false);
	hot_pos_settle(cp, &lruvec->lists[lru]);
	return true;
}

/*
 * hand_hot runs while the hot pages exceed m - m_c (the adaptation) or leave fewer than @want
 * resident cold pages (hot_goal), and until @demote more are cold, for at most one lap.
 * __hand_hot under lru_lock (hand_cold's promotion), hand_hot takes it.
 */
static void __hand_hot(struct lruvec *lruvec, bool file, struct scan_control *sc,
		       unsigned long demote, unsigned long want)
{
	struct clockpro *cp = lruvec_clock(lruvec, file);
	unsigned long m = clock_size(lruvec, file), lap = m + cp->nr_nonres;
	unsigned long floor = cp->nr_hot > demote ? cp->nr_hot - demote : 0, goal;

	assert_lru_locked(lruvec->pgdat);
	while (lap--) {
		/* m_c shrinks as hand_hot ends test periods: the target moves as it goes. */
		goal = min_t(unsigned long, hot_goal(lruvec, file, want), floor);
		if (cp->nr_hot <= goal || !hand_hot_step(lruvec, file, sc))
			break;
	}
	/* hand_test never lags behind hand_hot: what hand_hot passed has no test period left. */
	if (cp->test_pos < cp->hot_pos) {
		cp->test_pos = cp->hot_pos;
		cp->hand_test = PFN_NONE;
	}
}

static void hand_hot(struct lruvec *lruvec, bool file, struct scan_control *sc,
		     unsigned long demote, unsigned long want)
{
	lru_lock(lruvec->pgdat);
	__hand_hot(lruvec, file, sc, demote, want);
	lru_unlock(lruvec->pgdat);
}

/*
 * hand_test (§3.3): while the non-resident test pages are more than m, end the test periods
 * of the cold pages it passes, resident or not; the non-resident ones leave the clock. It
 * wraps to hand_hot at the head, at most once a call.
 */
static void hand_test(struct lruvec *lruvec, bool file)
{
	enum lru_list lru = file ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
	struct clockpro *cp = lruvec_clock(lruvec, file);
	unsigned long m = clock_size(lruvec, file), bound = m + cp->nr_nonres + 1, pos;
	struct page *page;
	bool wrapped = false;

	lru_lock(lruvec->pgdat);
	while (cp->nr_nonres > m && bound--) {
		page = hand_page(&lruvec->lists[lru], &cp->hand_test, cp->test_pos);
		pos = nonres_next(cp, cp->test_pos + 1);
		if (pos != ULONG_MAX && (!page || pos <= page_pos(page))) {
			nonres_expire(cp, pos);
			cp->test_pos = pos;
			continue;
		}
		if (!page) {
			if (wrapped)
				break;
			wrapped = true;
			cp->test_pos = cp->hot_pos;
			cp->hand_test = PFN_NONE;
			continue;
		}
		cp->test_pos = page_pos(page);
		cp->hand_test = page->lru_prev;
		if (!PageHot(page) && PageTest(page)) {
			bool young;

			lru_unlock(lruvec->pgdat);
			young = test_period_referenced(page, NULL);
			lru_lock(lruvec->pgdat);
			if (PageLRU(page) && PageTest(page))
				test_period_end(cp, page, young, m);
		}
	}
	lru_unlock(lruvec->pgdat);
}

/*
 * A referenced cold page under hand_cold (§3.3), lru_lock held: in its test period it becomes
 * hot (and hand_hot makes room); out of it, it starts a new test period. Either way its bit is
 * cleared (page_was_referenced) and it moves to the head.
 */
static void hand_cold_referenced(struct lruvec *lruvec, enum lru_list lru, struct page *page,
				 struct scan_control *sc, unsigned long want)
{
	bool file = is_file_lru(lru);
	struct rcl_engine *engine = lruvec->pgdat->engine;

	if (!PageTest(page)) {
		clock_requeue(lruvec, lru, page, false, true);
		return;
	}
	clock_requeue(lruvec, lru, page, true, false);
	count_vm_event(engine, PGACTIVATE);
	count_memcg_events(lruvec->memcg ? lruvec->memcg : engine->root_mem_cgroup, PGACTIVATE, 1);
	trace_event(engine, .type = RCL_TRACE_CLOCKPRO_PROMOTE, .nid = lruvec->pgdat->node_id,
		    .file = file);
	__hand_hot(lruvec, file, sc, 0, want);
}

/*
 * Return what shrink_page_list kept to the clock's head, cold, its test period as it was. A
 * page a client still holds (its take-back failed) had no request for a hinting fault when
 * hand_cold took it: it gets one now, as it stays.
 */
static void clockpro_putback(struct pglist_data *pgdat, struct page_list *batch)
{
	struct page_list pages_to_free;
	struct page *page;

	/* Page-table locks rank above lru_lock: the requests are made before it is taken. */
	page_list_for_each(page, batch) {
		if (page_evictable(page))
			page_sample_mapped(page);
		clockpro_lru_prepare(page);
	}
	page_list_init(&pages_to_free, batch->map);
	lru_lock(pgdat);
	while ((page = page_list_last(batch))) {	/* in the order they were taken */
		struct lruvec *lruvec;

		page_list_del(batch, page);
		if (!page_evictable(page)) {
			lru_unlock(pgdat);
			putback_lru_page(page);
			lru_lock(pgdat);
			continue;
		}
		lruvec = mem_cgroup_page_lruvec(page);
		SetPageLRU(page);
		add_page_to_lru_list(page, lruvec, page_lru(page));
		put_page_lru_locked(page, lruvec, &pages_to_free);
	}
	lru_unlock(pgdat);
	release_freed_pages(&pages_to_free);
}

/*
 * hand_cold (§3.3) over at most @nr_to_scan cold pages of the clock of @lru and at most one
 * lap, taking at most SWAP_CLUSTER_MAX and no more than the reclaim asks for: the bounds
 * that make every call end, as nr_to_scan bounds two-list.
 * Hot pages are passed: not candidates, they cost nothing of nr_to_scan (the paper's hand
 * stops only at cold pages), or a clock mostly hot would spend each call's few pages of
 * scan on them and never reach the cold ones. An unreferenced cold page is reclaimed
 * through shrink_page_list (in its test period, it stays on the clock non-resident:
 * clockpro_eviction); a referenced one goes to hand_cold_referenced (@want for hand_hot).
 * Returns the pages reclaimed, the cold pages looked at in *@ret_scanned.
 */
static unsigned long hand_cold(unsigned long nr_to_scan, struct lruvec *lruvec,
			       struct scan_control *sc, enum lru_list lru, unsigned long want,
			       unsigned long *ret_scanned)
{
	struct pglist_data *pgdat = lruvec->pgdat;
	bool file = is_file_lru(lru);
	struct clockpro *cp = lruvec_clock(lruvec, file);
	struct page_list *clock = &lruvec->lists[lru], batch;
	unsigned long scanned = 0, taken = 0, rotated = 0, reclaimed, max_taken;
	struct reclaim_stat stat;
	struct page *page;
	bool referenced;
	int wraps = 0;

	page_list_init(&batch, clock->map);
	max_taken = reclaim_batch(lruvec, sc);
	lru_lock(pgdat);
	while (scanned < nr_to_scan && taken < max_taken) {
		page = hand_page(clock, &cp->hand_cold, cp->cold_pos);
		if (!page) {
			/* Past the head: on round from hand_hot, once a call. */
			if (wraps++)
				break;
			cp->cold_pos = cp->hot_pos;
			cp->hand_cold = PFN_NONE;
			continue;
		}
		cp->cold_pos = page_pos(page);
		cp->hand_cold = page->lru_prev;
		if (PageHot(page))
			continue;
		scanned++;
		if ((int)page_zonenum(page) > sc->reclaim_idx ||
		    (!sc->may_unmap && page_mapped(page)) || page_ref_count(page) == 0)
			continue;
		/* The reference test takes page-table locks, which rank above lru_lock. */
		lru_unlock(pgdat);
		referenced = page_was_referenced(page, sc, false);
		lru_lock(pgdat);
		if (!PageLRU(page))	/* isolated meanwhile: the hand moved on anyway */
			continue;
		if (referenced) {
			rotated++;
			hand_cold_referenced(lruvec, lru, page, sc, want);
			continue;
		}
		get_page(page);
		ClearPageLRU(page);
		del_page_from_lru_list(page, lruvec, lru);
		page_list_add(&batch, page);	/* shrink_page_list takes the tail: clock order */
		taken++;
	}
	/* The kernel's tracepoints for what hand_cold did: it isolated from the clock's list
	 * and shrank it; the policy's own events say what the hands changed. */
	trace_event(pgdat->engine, .type = RCL_TRACE_LRU_ISOLATE, .classzone_idx = sc->reclaim_idx,
		    .order = sc->order, .nr_requested = nr_to_scan, .nr_scanned = scanned,
		    .nr_taken = taken, .lru = lru);
	mod_node_page_state(pgdat, file ? NR_ISOLATED_FILE : NR_ISOLATED_ANON, (long)taken);
	lruvec->reclaim_stat.recent_scanned[file] += scanned;
	lruvec->reclaim_stat.recent_rotated[file] += rotated;
	lru_unlock(pgdat);
	count_reclaim_scan(lruvec, sc, file, scanned);
	*ret_scanned = scanned;
	if (!taken)
		return 0;

	sc->nr_isolated[file] = taken;
	reclaimed = shrink_page_list(&batch, pgdat, sc, 0, &stat, false);
	sc->nr_isolated[file] = 0;
	count_reclaim_steal(lruvec, sc, file, reclaimed);
	clockpro_putback(pgdat, &batch);
	shrink_inactive_done(lruvec, sc, file, taken, scanned, reclaimed, &stat);
	return reclaimed;
}

/*
 * The policy's entry below shrink_node_memcg (shrink_list's switch). The active lists stay
 * empty under CLOCK-Pro: only the inactive list, the clock, is scanned. hand_hot first makes
 * room for pages that refaulted hot, then hand_cold reclaims, then hand_test bounds the
 * non-resident pages its evictions added.
 */
unsigned long clockpro_shrink(unsigned long nr_to_scan, struct lruvec *lruvec,
			      struct scan_control *sc, enum lru_list lru)
{
	struct rcl_engine *engine = lruvec->pgdat->engine;
	bool file = is_file_lru(lru);
	struct clockpro *cp = lruvec_clock(lruvec, file);
	unsigned long reclaimed, scanned, want;
	bool idle;

	if (is_active_lru(lru))
		return 0;
	writeback_reap(engine);
	lru_add_drain(engine);
	lru_lock(lruvec->pgdat);
	cp->full = true;	/* from now on new pages join cold (clock_join_state) */
	clock_size_update(lruvec, file);
	lru_unlock(lruvec->pgdat);
	/* The cold pages this call is to free: its share of the reclaim, a batch at most. */
	want = min_t(unsigned long, reclaim_batch(lruvec, sc), nr_to_scan);
	hand_hot(lruvec, file, sc, 0, want);
	reclaimed = hand_cold(nr_to_scan, lruvec, sc, lru, want, &scanned);
	/*
	 * A whole lap of hand_cold freed nothing: the cold pages are all busy (dirty, under
	 * writeback, in use) and the hot pages must give way, as the kernel ages its active
	 * list. hand_hot demotes up to what this call was to scan, clearing the bits of those
	 * it keeps, until hand_cold frees something again.
	 */
	lru_lock(lruvec->pgdat);
	cp->cold_idle = reclaimed ? 0 : cp->cold_idle + scanned;
	idle = cp->cold_idle >= clock_size(lruvec, file);
	lru_unlock(lruvec->pgdat);
	if (idle)
		hand_hot(lruvec, file, sc, nr_to_scan, want);
	hand_test(lruvec, file);
	mapped_flush_hints(engine);	/* the clients' pages the hands tested */
	return reclaimed;
}

/* clockpro_eviction of a page in its test period, under lru_lock: the hands' state. */
static uint64_t __clockpro_eviction(struct page *page, struct clockpro *cp, uint64_t pos,
				    bool *ret_test)
{
	struct xa_node *leaf;

	if (pos <= max_t(uint64_t, cp->hot_pos, cp->test_pos)) {
		/* While it was isolated (reclaim may wait without mm_lock), hand_hot or hand_test
		 * passed its place: had it been there, its test period would have ended. */
		*ret_test = false;
		cold_target_shrink(cp);
		return pos;
	}
	if (xa_load(&cp->nonres, pos))
		nonres_expire(cp, pos);
	leaf = xa_leaf_create(&cp->nonres, pos);
	if (!leaf) {
		*ret_test = false;	/* no memory to remember it: its test period ends now */
		return pos;
	}
	leaf->entries[pos & XA_CHUNK_MASK] = clock_cookie(page);
	cp->nr_nonres++;
	return pos;
}

/*
 * A page leaves the page cache or swap cache by reclaim: the position to keep in its shadow. A cold
 * page in its test period stays on the clock at its position, non-resident (§3.3), *ret_test
 * says so; an entry that had the same position (two pages put at one hand) makes room.
 */
uint64_t clockpro_eviction(struct page *page, bool *ret_test)
{
	struct lruvec *lruvec = mem_cgroup_page_lruvec(page);
	struct clockpro *cp = lruvec_clock(lruvec, page_is_file_cache(page));
	uint64_t pos = page_pos(page);

	*ret_test = PageTest(page) && !PageHot(page);
	if (!*ret_test)
		return pos;
	lru_lock(lruvec->pgdat);
	pos = __clockpro_eviction(page, cp, pos, ret_test);
	lru_unlock(lruvec->pgdat);
	return pos;
}

/*
 * @page is read back into a slot whose shadow said it left in its test period at @pos. Still
 * on the clock there: its reuse distance is shorter than the hot pages', m_c grows by one and
 * the page enters hot (§3.3). Returns whether it was.
 */
bool clockpro_refault(struct page *page, struct lruvec *lruvec, uint64_t pos)
{
	bool file = page_is_file_cache(page);
	struct clockpro *cp = lruvec_clock(lruvec, file);

	lru_lock(lruvec->pgdat);
	if (xa_load(&cp->nonres, (unsigned long)pos) != clock_cookie(page)) {
		lru_unlock(lruvec->pgdat);
		return false;
	}
	nonres_remove(cp, (unsigned long)pos);
	cold_target_grow(cp, clock_size(lruvec, file));
	lru_unlock(lruvec->pgdat);
	ClearPageActive(page);
	SetPageHot(page);
	trace_event(lruvec->pgdat->engine, .type = RCL_TRACE_CLOCKPRO_REFAULT_HOT,
		    .nid = lruvec->pgdat->node_id, .file = file);
	return true;
}

/*
 * The clocks' invariants (debug.c): no page on an active list; per clock, the hot pages
 * counted, positions growing from hand_hot (the tail) to the head, hints on their list, and
 * the non-resident test pages counted and ahead of hand_hot. 0 or -EUCLEAN with @why.
 */
int clockpro_check(struct lruvec *lruvec, char *why, size_t len)
{
	int file;

	if (!lruvec->pgdat->engine->clock_pos)
		return 0;
	if (!page_list_empty(&lruvec->lists[LRU_ACTIVE_ANON]) ||
	    !page_list_empty(&lruvec->lists[LRU_ACTIVE_FILE])) {
		snprintf(why, len, "CLOCK-Pro: a page on an active list");
		return -EUCLEAN;
	}
	for (file = 0; file < 2; file++) {
		struct clockpro *cp = lruvec_clock(lruvec, file);
		struct page_list *clock = &lruvec->lists[file ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON];
		unsigned long hot = 0, nonres = 0, pos;
		bool cold_seen = cp->hand_cold == PFN_NONE, test_seen = cp->hand_test == PFN_NONE;
		uint64_t last = cp->hot_pos;
		struct page *page;

		for (page = page_list_last(clock); page; page = page_list_prev(clock, page)) {
			uint32_t idx = (uint32_t)(page - clock->map);

			hot += PageHot(page);
			cold_seen |= idx == cp->hand_cold;
			test_seen |= idx == cp->hand_test;
			if (page_pos(page) <= cp->hot_pos || page_pos(page) < last ||
			    page_pos(page) > cp->head_pos) {
				snprintf(why, len, "CLOCK-Pro: pfn %u at position %llu out of order "
					 "(hand_hot %llu, previous %llu, head %llu)",
					 page_to_pfn(page), (unsigned long long)page_pos(page),
					 (unsigned long long)cp->hot_pos, (unsigned long long)last,
					 (unsigned long long)cp->head_pos);
				return -EUCLEAN;
			}
			last = page_pos(page);
		}
		for (pos = nonres_next(cp, 0); pos != ULONG_MAX; pos = nonres_next(cp, pos + 1)) {
			nonres++;
			if (pos <= cp->hot_pos) {
				snprintf(why, len, "CLOCK-Pro: non-resident page behind hand_hot");
				return -EUCLEAN;
			}
		}
		if (hot != cp->nr_hot || nonres != cp->nr_nonres || !cold_seen || !test_seen) {
			snprintf(why, len, "CLOCK-Pro: %lu hot pages, counted %lu; %lu non-resident, "
				 "counted %lu; hints %s", hot, cp->nr_hot, nonres, cp->nr_nonres,
				 cold_seen && test_seen ? "on the clock" : "off the clock");
			return -EUCLEAN;
		}
	}
	return 0;
}
