/*
 * memcontrol.c - memory cgroups: the hierarchy, charging pages to it, effective protection
 * (memory.min/low, spec 6.1), the shared reclaim cursor (mem_cgroup_iter), soft-limit reclaim
 * as the seed's shrink_zones calls it (spec 19), stats and events.
 *
 * Usage is counted in pages on the group and every ancestor, in page counters charged without
 * a lock (page_counter.c). A charge above memory.max reclaims inside the group first
 * (try_to_free_mem_cgroup_pages) and fails with -ENOMEM only when that cannot make room.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memcontrol.h"
#include "vmscan.h"

#define MEM_CGROUP_RECLAIM_RETRIES	5

const char *const memcg_event_names[MEMCG_NR_MEMORY_EVENTS] = { MEMCG_EVENT_ITEMS(VMSTAT_NAME) };
const char *const memcg_stat_names[MEMCG_NR_STAT] = { MEMCG_STAT_ITEMS(VMSTAT_NAME) };

struct mem_cgroup *root_mem_cgroup_of(struct rcl_engine *engine)
{
	return engine->root_mem_cgroup;
}

bool mem_cgroup_is_root(const struct mem_cgroup *memcg)
{
	return memcg->parent == NULL;
}

/*
 * The tree lock: a group's place in the tree (memcgs[] and its parent's list of children) and
 * its online flag change under mm_lock and this lock, so that a lookup by path
 * (rcl_memcg_lookup) walks the names under this lock alone and does not wait behind reclaim
 * for mm_lock, as the kernel resolves a cgroup path under kernfs's lock (kernfs_walk_and_get),
 * not cgroup_mutex. Everything else of a group stays under mm_lock. A leaf: nothing is taken
 * under it (might_sleep counts it).
 */
void memcg_tree_lock(struct rcl_engine *engine)
{
	spin_lock(&engine->memcg_tree_lock);
	model_locks_held++;
}

void memcg_tree_unlock(struct rcl_engine *engine)
{
	model_locks_held--;
	spin_unlock(&engine->memcg_tree_lock);
}

struct mem_cgroup *mem_cgroup_from_id(struct rcl_engine *engine, unsigned int id)
{
	if (id == 0 || id > MEM_CGROUP_ID_MAX)
		return NULL;
	return engine->memcgs[id];
}

/* The group a caller names by @user_id (mem_cgroup.user_id), or NULL if it is gone. */
struct mem_cgroup *mem_cgroup_from_user_id(struct rcl_engine *engine, uint32_t user_id)
{
	struct mem_cgroup *memcg = mem_cgroup_from_id(engine, user_id & MEM_CGROUP_ID_MAX);

	return memcg && memcg->user_id == user_id ? memcg : NULL;
}

/* The group a page is charged to; uncharged pages count as the root's. */
struct mem_cgroup *page_memcg(const struct page *page)
{
	struct rcl_engine *engine = page_engine(page);
	struct mem_cgroup *memcg = mem_cgroup_from_id(engine, page->mem_cgroup);

	return memcg ? memcg : engine->root_mem_cgroup;
}

struct lruvec *mem_cgroup_lruvec(struct pglist_data *pgdat, struct mem_cgroup *memcg)
{
	return &memcg->nodeinfo[pgdat->node_id]->lruvec;
}

struct lruvec *mem_cgroup_page_lruvec(struct page *page)
{
	return mem_cgroup_lruvec(page_pgdat(page), page_memcg(page));
}

unsigned int mem_cgroup_swappiness(struct mem_cgroup *memcg)
{
	if (mem_cgroup_is_root(memcg))
		return (unsigned int)memcg->engine->swappiness;
	return memcg->swappiness;
}

/* ---- statistics ----------------------------------------------------------------------- */

void mod_memcg_state(struct mem_cgroup *memcg, enum memcg_stat_item item, long delta)
{
	for (; memcg; memcg = memcg->parent)
		atomic_fetch_add_explicit(&memcg->stat[item], delta, memory_order_relaxed);
}

void mod_memcg_node_state(struct mem_cgroup *memcg, enum node_stat_item item, long delta)
{
	for (; memcg; memcg = memcg->parent)
		atomic_fetch_add_explicit(&memcg->node_stat[item], delta, memory_order_relaxed);
}

void count_memcg_events(struct mem_cgroup *memcg, enum vm_event_item item, unsigned long n)
{
	for (; memcg; memcg = memcg->parent)
		atomic_fetch_add_explicit(&memcg->vm_events[item], n, memory_order_relaxed);
}

/* memory.events: recorded on the group itself (the kernel's local+hierarchical split is
 * not modelled; the group that hit the condition is the one that counts). */
void memcg_memory_event(struct mem_cgroup *memcg, enum memcg_memory_event event)
{
	atomic_fetch_add_explicit(&memcg->events[event], 1, memory_order_relaxed);
}

/* ---- protection ----------------------------------------------------------------------- */

/*
 * Room for @nr more pages at every level of @memcg's line: a refused charge's reclaim made
 * enough, the charge is worth trying again (the kernel's mem_cgroup_margin, for the line).
 */
static bool mem_cgroup_line_has_room(struct mem_cgroup *memcg, unsigned long nr)
{
	struct page_counter *c;

	for (c = &memcg->memory; c; c = c->parent)
		if (page_counter_read(c) + nr > page_counter_get(&c->max))
			return false;
	return true;
}

/*
 * A child's share of its parent's effective protection (spec 6.1 step 3): at most its own
 * setting and the parent's, and, when siblings compete, the parent's in proportion to the
 * child's protected usage among theirs.
 */
static unsigned long effective_protection(unsigned long usage, unsigned long setting,
					  unsigned long parent_effective,
					  unsigned long siblings_usage)
{
	unsigned long eff = setting < parent_effective ? setting : parent_effective;
	unsigned long protected_usage = usage < setting ? usage : setting;

	if (eff && parent_effective && protected_usage && siblings_usage) {
		unsigned long share = parent_effective * protected_usage / siblings_usage;

		eff = eff < share ? eff : share;
	}
	return eff;
}

/*
 * How a group is protected from reclaim rooted at @root (spec 6.1, v4.18-v5.3 form). Stores
 * the effective values in the group: its children, later in the same pre-order walk, read them.
 * Reads only page counters: no lock; charges going on meanwhile shift the result as they
 * would a moment later.
 */
enum mem_cgroup_protection mem_cgroup_protected(struct mem_cgroup *root,
						struct mem_cgroup *memcg)
{
	struct page_counter *c = &memcg->memory, *parent;
	unsigned long emin, elow, usage;

	if (!root)
		root = page_engine_of_memcg(memcg)->root_mem_cgroup;
	if (memcg == root)
		return MEMCG_PROT_NONE;
	usage = page_counter_read(c);
	if (!usage)
		return MEMCG_PROT_NONE;
	parent = c->parent;
	if (!parent)
		return MEMCG_PROT_NONE;

	emin = page_counter_get(&c->min);
	elow = page_counter_get(&c->low);
	if (parent != &root->memory) {
		emin = effective_protection(usage, emin, page_counter_get(&parent->emin),
					    page_counter_get(&parent->children_min_usage));
		elow = effective_protection(usage, elow, page_counter_get(&parent->elow),
					    page_counter_get(&parent->children_low_usage));
	}
	atomic_store_explicit(&c->emin, emin, memory_order_relaxed);
	atomic_store_explicit(&c->elow, elow, memory_order_relaxed);
	if (usage <= emin)
		return MEMCG_PROT_MIN;
	if (usage <= elow)
		return MEMCG_PROT_LOW;
	return MEMCG_PROT_NONE;
}

/* ---- charging ------------------------------------------------------------------------- */

/*
 * The evictable pages of @memcg and its descendants (on their LRU lists), and how many of them
 * wait to be written: file pages dirty, any page under writeback. should_reclaim_retry's
 * reclaimable and NR_ZONE_WRITE_PENDING, for one group; counted from the lists, since the
 * group keeps no dirty counters. Caller holds mm_lock.
 */
static unsigned long memcg_write_pending(struct mem_cgroup *memcg, unsigned long *ret_lru)
{
	struct rcl_engine *engine = memcg->engine;
	unsigned long pending = 0;
	struct mem_cgroup *iter = NULL;
	struct page *page;
	int nid, lru;

	*ret_lru = 0;
	while ((iter = mem_cgroup_iter(memcg, iter, NULL))) {
		for (nid = 0; nid < engine->nr_nodes; nid++) {
			struct lruvec *lruvec = mem_cgroup_lruvec(NODE_DATA(engine, nid), iter);

			for (lru = 0; lru < LRU_UNEVICTABLE; lru++) {
				page_list_for_each(page, &lruvec->lists[lru]) {
					(*ret_lru)++;
					pending += PageWriteback(page) ||
						   (PageDirty(page) && page_is_file_cache(page));
				}
			}
		}
	}
	return pending;
}

/*
 * should_reclaim_retry's rule (mm/page_alloc.c), for a group at its limit: reclaim freed
 * nothing, yet more than half of what the group could give back waits to be written. Limit
 * reclaim writes no file page, the flusher does; failing now would fail on pages that are
 * reclaimable as soon as they are written. Wake the flusher and wait for it and for the writes
 * (mem_cgroup_wait_writeback); true if the caller should reclaim again.
 */
static bool memcg_should_wait_writeback(struct mem_cgroup *over)
{
	unsigned long lru, pending = memcg_write_pending(over, &lru);

	if (!pending || 2 * pending <= lru)
		return false;
	mem_cgroup_wait_writeback(over->engine);
	return true;
}

int mem_cgroup_try_charge(struct page *page, struct mem_cgroup *memcg)
{
	return mem_cgroup_try_charge_gfp(page, memcg, GFP_KERNEL);
}

/*
 * Charge @page to @memcg (the root if NULL). Above memory.max, reclaim inside the group that
 * is over, up to MEM_CGROUP_RECLAIM_RETRIES times, then invoke the memcg OOM killer (oom
 * event); fail with -ENOMEM when it kills nothing (the default policy, or no other region).
 * With __GFP_NORETRY in @gfp (readahead's pages) one round of reclaim and the drain is all:
 * then -ENOMEM, quietly, as try_charge's "goto nomem" — a page nobody asked for yet is not
 * worth an OOM kill, and the fault or read that needs its own page charges it in full.
 * The charge does not wait for the swap writes its reclaim submits (a mapped fault would pay
 * a disk write for every pass): it waits only when a pass freed nothing while writes are in
 * flight, before that pass counts as a failed retry.
 * The charge itself is page_counter_try_charge and needs no lock; what follows a refusal
 * (reclaim, drain, OOM) needs mm_lock, which the caller holds.
 */
int mem_cgroup_try_charge_gfp(struct page *page, struct mem_cgroup *memcg, gfp_t gfp)
{
	struct rcl_engine *engine = page_engine(page);
	int retries = MEM_CGROUP_RECLAIM_RETRIES, waits = MAX_RECLAIM_RETRIES;
	struct page_counter *counter;
	unsigned long reclaimed;
	struct mem_cgroup *over;
	bool drained = false;

	if (!memcg)
		memcg = engine->root_mem_cgroup;
	while (!page_counter_try_charge(&memcg->memory, 1, &counter)) {
		over = mem_cgroup_from_memory_counter(counter);
		memcg_memory_event(over, MEMCG_MAX);
		psi_memstall_enter(engine, memcg);
		reclaimed = try_to_free_mem_cgroup_pages_async(over, 1, GFP_KERNEL, true);
		psi_memstall_leave(engine);
		if (mem_cgroup_line_has_room(memcg, 1))
			continue;
		/* Pages still in LRU-add vectors are invisible to reclaim: drain once. */
		if (!drained) {
			lru_add_drain_all(engine);
			drained = true;
			continue;
		}
		if (gfp & __GFP_NORETRY)
			return -ENOMEM;
		/* Nothing freed while the group's pages wait for the flusher: wait for it, as
		 * the page allocator waits for writeback before it gives up (at most 16 times). */
		if (!reclaimed && waits > 0) {
			waits--;
			/* The pass only submitted writes (its own or an earlier one's are still
			 * in flight): those pages are freed once written. Wait for them, then
			 * reclaim again, instead of counting a retry toward the OOM killer. */
			if (global_node_page_state(engine, NR_WRITEBACK)) {
				writeback_wait_all(engine);
				continue;
			}
			if (memcg_should_wait_writeback(over))
				continue;
		}
		if (retries-- == 0) {
			memcg_memory_event(over, MEMCG_OOM);
			if (!mem_cgroup_out_of_memory(engine, over))
				return -ENOMEM;
			/* A victim freed its pages: start over, as a successful kill does. */
			retries = MEM_CGROUP_RECLAIM_RETRIES;
		}
	}
	page->mem_cgroup = memcg->id;
	mod_memcg_state(memcg, PageSwapBacked(page) ? MEMCG_RSS : MEMCG_CACHE, 1);
	/* Above memory.high: not refused, but reclaimed back on the way out (spec 19). */
	for (over = memcg; over; over = over->parent) {
		unsigned long high = page_counter_get(&over->memory.high);

		if (high != PAGE_COUNTER_MAX && mem_cgroup_usage(over) > high) {
			struct task_struct *task = current_or_default(engine);

			task->memcg_over_high = memcg->id;
			task->memcg_nr_pages_over_high++;
			break;
		}
	}
	return 0;
}

/* The throttle above memory.high (v5.4+ calculate_high_delay, in ns instead of jiffies). */
#define MEMCG_CHARGE_BATCH		32
#define MEMCG_DELAY_PRECISION_SHIFT	20
#define MEMCG_DELAY_SCALING_SHIFT	14
#define MEMCG_MAX_HIGH_DELAY_NS		2000000000ULL	/* at most 2 s per return */
#define MEMCG_MIN_HIGH_DELAY_NS		10000000ULL	/* under 10 ms: not worth a sleep */

/* The largest overage above high in @memcg's line, relative to that high (1 << 20 = 100 %). */
static uint64_t mem_find_max_overage(struct mem_cgroup *memcg)
{
	uint64_t overage, max_overage = 0;

	for (; memcg; memcg = memcg->parent) {
		unsigned long usage = mem_cgroup_usage(memcg);
		unsigned long high = page_counter_get(&memcg->memory.high);

		if (high == PAGE_COUNTER_MAX || usage <= high)
			continue;
		overage = ((uint64_t)(usage - high) << MEMCG_DELAY_PRECISION_SHIFT) /
			  (high ? high : 1);
		if (overage > max_overage)
			max_overage = overage;
	}
	return max_overage;
}

/*
 * The sleep for @nr_pages charged while @max_overage above high: it grows with the square of
 * the relative overage (64 s at 100 %, before the scaling by the charge) so that a small
 * overshoot costs nothing and a runaway group is held back hard, and with the size of the
 * charge in batches of 32 pages.
 */
uint64_t mem_cgroup_high_delay(uint64_t max_overage, unsigned long nr_pages)
{
	uint64_t penalty_us;

	if (!max_overage)
		return 0;
	/* From 200 % the delay is at its cap anyway; the clamp keeps the square in 64 bits. */
	if (max_overage > 2ULL << MEMCG_DELAY_PRECISION_SHIFT)
		max_overage = 2ULL << MEMCG_DELAY_PRECISION_SHIFT;
	penalty_us = (max_overage * max_overage * 1000000ULL) >>
		     (MEMCG_DELAY_PRECISION_SHIFT + MEMCG_DELAY_SCALING_SHIFT);
	penalty_us = penalty_us * nr_pages / MEMCG_CHARGE_BATCH;
	if (penalty_us * 1000 > MEMCG_MAX_HIGH_DELAY_NS)
		return MEMCG_MAX_HIGH_DELAY_NS;
	return penalty_us * 1000 <= MEMCG_MIN_HIGH_DELAY_NS ? 0 : penalty_us * 1000;
}

/* Every group of @memcg's line above its high gets a high event and reclaims its overage. */
static unsigned long reclaim_high(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	unsigned long nr_reclaimed = 0;

	for (; memcg; memcg = memcg->parent) {
		unsigned long usage = mem_cgroup_usage(memcg);
		unsigned long high = page_counter_get(&memcg->memory.high);

		if (high == PAGE_COUNTER_MAX || usage <= high)
			continue;
		memcg_memory_event(memcg, MEMCG_HIGH);
		psi_memstall_enter(engine, memcg);
		nr_reclaimed += try_to_free_mem_cgroup_pages(memcg, usage - high,
							     GFP_KERNEL, true);
		psi_memstall_leave(engine);
	}
	return nr_reclaimed;
}

/*
 * The kernel's "return to user space" after charges above memory.high, called by the API
 * functions before they drop mm_lock. One reclaim pass is not enough after a large charge:
 * new anonymous pages start on the active list and a page written to swap is freed only on
 * a later pass, so a single try_to_free_mem_cgroup_pages may steal a few dozen pages of an
 * overage of thousands. As v5.9+ does, reclaim again while it makes progress (and up to
 * MAX_RECLAIM_RETRIES times without), until the line is back under high. What is left above
 * high is paid for with a sleep, taken by mem_cgroup_throttle_over_high without the lock.
 */
void mem_cgroup_handle_over_high(struct rcl_engine *engine)
{
	struct task_struct *task = current_or_default(engine);
	struct mem_cgroup *memcg = mem_cgroup_from_id(engine, task->memcg_over_high);
	unsigned long nr_pages = task->memcg_nr_pages_over_high;
	int nr_retries = MAX_RECLAIM_RETRIES;
	uint64_t overage;

	task->memcg_over_high = 0;
	task->memcg_nr_pages_over_high = 0;
	if (!memcg)
		return;
	while ((overage = mem_find_max_overage(memcg))) {
		if (!reclaim_high(engine, memcg) && !nr_retries--)
			break;
	}
	task->memcg_high_delay_ns = mem_cgroup_high_delay(overage, nr_pages);
	task->memcg_high_delay_id = memcg->id;
}

/*
 * Sleep the throttle that mem_cgroup_handle_over_high set, after the caller dropped mm_lock
 * (a throttled caller must not hold up the others), and count it as a memory stall of the
 * group: some for all of it, full for the part in which every other non-idle thread was
 * stalled too (the sleeper holds no lock, so the others may go on meanwhile).
 */
void mem_cgroup_throttle_over_high(struct rcl_engine *engine)
{
	struct task_struct *task = current_or_default(engine);
	uint64_t delay = task->memcg_high_delay_ns, start, end, full;
	struct timespec ts;

	if (!delay)
		return;
	task->memcg_high_delay_ns = 0;
	full = psi_task_memstall(engine, true, &start);
	ts.tv_sec = (time_t)(delay / 1000000000ULL);
	ts.tv_nsec = (long)(delay % 1000000000ULL);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	full = psi_task_memstall(engine, false, &end) - full;
	mm_lock(engine);
	psi_memstall_account(engine, mem_cgroup_from_id(engine, task->memcg_high_delay_id),
			     end - start, full);
	mm_unlock(engine);
}

void mem_cgroup_uncharge(struct page *page)
{
	struct mem_cgroup *memcg;

	if (!page->mem_cgroup)
		return;
	memcg = page_memcg(page);
	page_counter_uncharge(&memcg->memory, 1);
	mod_memcg_state(memcg, PageSwapBacked(page) ? MEMCG_RSS : MEMCG_CACHE, -1);
	page->mem_cgroup = 0;
}

/* Swap slots held for a group's pages count against its swap.max (spec 7 rule 1). */
long mem_cgroup_get_nr_swap_pages(struct mem_cgroup *memcg)
{
	struct rcl_engine *engine = page_engine_of_memcg(memcg);
	long nr = get_nr_swap_pages(engine);

	for (; memcg && !mem_cgroup_is_root(memcg); memcg = memcg->parent) {
		unsigned long max = page_counter_get(&memcg->swap.max);
		long room = max == PAGE_COUNTER_MAX ? LONG_MAX :
			    (long)max - (long)page_counter_read(&memcg->swap);

		if (room < nr)
			nr = room;
	}
	return nr;
}

bool mem_cgroup_swap_full(struct page *page)
{
	struct mem_cgroup *memcg;

	if (vm_swap_full(page_engine(page)))
		return true;
	for (memcg = page_memcg(page); memcg && !mem_cgroup_is_root(memcg);
	     memcg = memcg->parent) {
		unsigned long max = page_counter_get(&memcg->swap.max);

		if (max != PAGE_COUNTER_MAX && page_counter_read(&memcg->swap) * 2 >= max)
			return true;
	}
	return false;
}

/* Record the slot's owner so that freeing the slot uncharges the right group. */
int mem_cgroup_try_charge_swap(struct page *page, swp_entry_t entry)
{
	struct rcl_engine *engine = page_engine(page);
	struct mem_cgroup *memcg = page_memcg(page);
	struct page_counter *counter;

	if (!page_counter_try_charge(&memcg->swap, 1, &counter))
		return -ENOMEM;
	mod_memcg_state(memcg, MEMCG_SWAP, 1);
	engine->swap_cgroup[swp_offset(entry)] = memcg->id;
	return 0;
}

void mem_cgroup_uncharge_swap(struct rcl_engine *engine, uint16_t memcg_id)
{
	struct mem_cgroup *memcg = mem_cgroup_from_id(engine, memcg_id);

	if (!memcg)
		return;
	page_counter_uncharge(&memcg->swap, 1);
	mod_memcg_state(memcg, MEMCG_SWAP, -1);
}

/* ---- the hierarchy walk --------------------------------------------------------------- */

/* Pre-order successor of @pos within @root's subtree; NULL @pos starts at @root. */
static struct mem_cgroup *next_descendant_pre(struct mem_cgroup *pos, struct mem_cgroup *root)
{
	if (!pos)
		return root;
	if (pos->first_child)
		return pos->first_child;
	while (pos != root) {
		if (pos->next_sibling)
			return pos->next_sibling;
		pos = pos->parent;
	}
	return NULL;
}

/*
 * The ids of the live groups under @root (itself first), in pre-order, as a listing shows
 * them: @ids gets the first @max, and the count of all is returned. Offline groups are walked
 * through, not listed. Caller holds the tree lock (or mm_lock), so the walk is one moment's.
 */
size_t mem_cgroup_walk_online(struct mem_cgroup *root, uint32_t *ids, size_t max)
{
	struct mem_cgroup *pos;
	size_t n = 0;

	for (pos = root; pos; pos = next_descendant_pre(pos, root)) {
		if (pos != root && !pos->online)
			continue;
		if (n < max)
			ids[n] = pos->user_id;
		n++;
	}
	return n;
}

/*
 * Iterate the groups under @root in pre-order. With @reclaim, reclaimers of the same (root,
 * node, priority) share a cursor: a walk resumes where the last one stopped and ends at the end
 * of the hierarchy; a new walk that starts exactly at the end sees the beginning once; a walk
 * whose round another reclaimer completed ends early (generation changed).
 */
struct mem_cgroup *mem_cgroup_iter(struct mem_cgroup *root, struct mem_cgroup *prev,
				   struct mem_cgroup_reclaim_cookie *reclaim)
{
	struct mem_cgroup_reclaim_iter *iter = NULL;
	struct mem_cgroup *pos = NULL, *memcg;

	if (prev && !reclaim)
		pos = prev;
	if (reclaim) {
		iter = &root->nodeinfo[reclaim->pgdat->node_id]->iter[reclaim->priority];
		if (prev && reclaim->generation != iter->generation)
			return NULL;
		pos = iter->position;
	}
	for (;;) {
		memcg = next_descendant_pre(pos, root);
		if (!memcg) {
			if (!prev && pos) {	/* joined at the very end: restart once */
				pos = NULL;
				continue;
			}
			break;
		}
		if (memcg == root || memcg->online)
			break;
		pos = memcg;	/* offline groups are still walked through */
		if (mem_cgroup_usage(memcg))
			break;	/* ...and still scraped while they hold pages (spec 7) */
	}
	if (iter) {
		iter->position = memcg;
		if (!memcg)
			iter->generation++;
		else if (!prev)
			reclaim->generation = iter->generation;
	}
	/* The walker holds the group it is at: reclaim may let mm_lock go while in it. */
	if (memcg)
		css_get(memcg);
	if (prev)
		css_put(prev);
	return memcg;
}

/* A walk left before its end: let go of the group it was at. */
void mem_cgroup_iter_break(struct mem_cgroup *root, struct mem_cgroup *prev)
{
	(void)root;
	if (prev)
		css_put(prev);
}

/* ---- soft limit (spec 19) ------------------------------------------------------------- */

static unsigned long soft_limit_excess(struct mem_cgroup *memcg)
{
	unsigned long usage = mem_cgroup_usage(memcg);

	return usage > memcg->soft_limit ? usage - memcg->soft_limit : 0;
}

/* The group with the largest excess that is not in @skip (the kernel's per-node tree). */
static struct mem_cgroup *soft_limit_largest(struct rcl_engine *engine,
					     struct mem_cgroup **skip, int nr_skip)
{
	struct mem_cgroup *best = NULL, *memcg = NULL;
	unsigned long best_excess = 0;
	int i;

	while ((memcg = mem_cgroup_iter(engine->root_mem_cgroup, memcg, NULL))) {
		unsigned long excess;

		if (mem_cgroup_is_root(memcg) || memcg->soft_limit == PAGE_COUNTER_MAX)
			continue;
		excess = soft_limit_excess(memcg);
		for (i = 0; i < nr_skip; i++)
			if (skip[i] == memcg)
				excess = 0;
		if (excess > best_excess) {
			best_excess = excess;
			best = memcg;
		}
	}
	if (best)
		css_get(best);	/* reclaiming it may let mm_lock go */
	return best;
}

/* Reclaim @root_memcg's subtree on @pgdat with priority 0, 32 pages a group (spec 19). */
static unsigned long mem_cgroup_soft_reclaim(struct mem_cgroup *root_memcg,
					     struct pglist_data *pgdat, gfp_t gfp,
					     unsigned long *total_scanned)
{
	unsigned long excess = soft_limit_excess(root_memcg), total = 0;
	struct mem_cgroup *victim = NULL;
	int loop = 0;

	for (;;) {
		unsigned long scanned = 0;

		victim = mem_cgroup_iter(root_memcg, victim, NULL);
		if (!victim) {
			loop++;
			if (loop >= 2) {
				/* Two full walks without progress, or enough progress. */
				if (!total || total >= (excess >> 2) ||
				    loop > MEM_CGROUP_MAX_RECLAIM_LOOPS)
					break;
			}
			continue;
		}
		total += mem_cgroup_shrink_node(victim, gfp, pgdat, &scanned);
		*total_scanned += scanned;
		if (!soft_limit_excess(root_memcg)) {
			mem_cgroup_iter_break(root_memcg, victim);
			break;
		}
	}
	return total;
}

unsigned long mem_cgroup_soft_limit_reclaim(struct pglist_data *pgdat, int order, gfp_t gfp,
					    unsigned long *total_scanned)
{
	struct rcl_engine *engine = pgdat->engine;
	struct mem_cgroup *skip[MEM_CGROUP_MAX_SOFT_LIMIT_RECLAIM_LOOPS + 1];
	unsigned long nr_reclaimed = 0;
	int loop = 0;

	if (order > 0)
		return 0;
	while (loop <= MEM_CGROUP_MAX_SOFT_LIMIT_RECLAIM_LOOPS) {
		struct mem_cgroup *mz = soft_limit_largest(engine, skip, loop);
		unsigned long reclaimed;

		if (!mz)
			break;
		reclaimed = mem_cgroup_soft_reclaim(mz, pgdat, gfp, total_scanned);
		css_put(mz);
		nr_reclaimed += reclaimed;
		if (nr_reclaimed)
			break;
		skip[loop++] = mz;	/* fruitless: try the next largest */
	}
	return nr_reclaimed;
}

/* ---- creation ------------------------------------------------------------------------- */

static int memcg_alloc_id(struct rcl_engine *engine)
{
	unsigned int id;

	for (id = 1; id <= MEM_CGROUP_ID_MAX; id++)
		if (!engine->memcgs[id])
			return (int)id;
	return -ENOSPC;
}

static void lruvec_init(struct lruvec *lruvec, struct pglist_data *pgdat,
			struct mem_cgroup *memcg)
{
	int lru;

	memset(lruvec, 0, sizeof(*lruvec));
	for (lru = 0; lru < NR_LRU_LISTS; lru++)
		page_list_init(&lruvec->lists[lru], pgdat->node_zones[0].mem_map);
	lruvec->pgdat = pgdat;
	lruvec->memcg = memcg;
	clockpro_init(lruvec);
}

struct mem_cgroup *mem_cgroup_alloc(struct rcl_engine *engine, struct mem_cgroup *parent,
				    const char *name, int *ret_err)
{
	struct mem_cgroup *memcg;
	int id = memcg_alloc_id(engine), nid;

	if (id < 0) {
		*ret_err = id;
		return NULL;
	}
	memcg = calloc(1, sizeof(*memcg));
	if (!memcg)
		goto nomem;
	for (nid = 0; nid < engine->nr_nodes; nid++) {
		memcg->nodeinfo[nid] = calloc(1, sizeof(*memcg->nodeinfo[nid]));
		if (!memcg->nodeinfo[nid])
			goto nomem;
		lruvec_init(&memcg->nodeinfo[nid]->lruvec, NODE_DATA(engine, nid), memcg);
	}
	memcg->id = (uint16_t)id;
	memcg->user_id = (uint32_t)engine->memcg_generation[id] << MEM_CGROUP_ID_SHIFT | (uint32_t)id;
	snprintf(memcg->name, sizeof(memcg->name), "%s", name);
	memcg->parent = parent;
	memcg->online = true;
	page_counter_init(&memcg->memory, parent ? &parent->memory : NULL);
	page_counter_init(&memcg->swap, parent ? &parent->swap : NULL);
	memcg->soft_limit = PAGE_COUNTER_MAX;
	memcg->swappiness = parent ? mem_cgroup_swappiness(parent) : 60;
	memcg->engine = engine;
	memcg_tree_lock(engine);
	if (parent) {
		/* Children in creation order, as the kernel's css lists keep them. */
		struct mem_cgroup **pp = &parent->first_child;

		while (*pp)
			pp = &(*pp)->next_sibling;
		*pp = memcg;
	}
	engine->memcgs[id] = memcg;
	memcg_tree_unlock(engine);
	return memcg;
nomem:
	if (memcg)
		for (nid = 0; nid < engine->nr_nodes; nid++)
			free(memcg->nodeinfo[nid]);
	free(memcg);
	*ret_err = -ENOMEM;
	return NULL;
}

void mem_cgroup_free(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	int nid;

	if (memcg->parent)
		workingset_reparent_nodes(memcg, memcg->parent);
	memcg_tree_lock(engine);
	engine->memcgs[memcg->id] = NULL;
	/* The next group here has another user_id, until the generations wrap. */
	engine->memcg_generation[memcg->id]++;
	if (engine->config.memcg_generations &&
	    engine->memcg_generation[memcg->id] >= engine->config.memcg_generations)
		engine->memcg_generation[memcg->id] = 0;
	memcg_tree_unlock(engine);
	for (nid = 0; nid < engine->nr_nodes; nid++) {
		clockpro_exit(&memcg->nodeinfo[nid]->lruvec);
		free(memcg->nodeinfo[nid]);
	}
	/* Listeners went when it was removed (vmpressure_offline); the engine's end frees
	 * those of the groups still online. */
	while (memcg->vmpressure.listeners) {
		struct vmpressure_listener *ev = memcg->vmpressure.listeners;

		memcg->vmpressure.listeners = ev->next;
		free(ev);
	}
	free(memcg);
}

int memcg_init(struct rcl_engine *engine)
{
	int err = 0;

	engine->memcgs = calloc(MEM_CGROUP_ID_MAX + 1, sizeof(*engine->memcgs));
	engine->memcg_generation = calloc(MEM_CGROUP_ID_MAX + 1,
					  sizeof(*engine->memcg_generation));
	if (!engine->memcgs || !engine->memcg_generation)
		return -ENOMEM;
	engine->root_mem_cgroup = mem_cgroup_alloc(engine, NULL, "", &err);
	return engine->root_mem_cgroup ? 0 : err;
}

static void memcg_free_tree(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	while (memcg->first_child) {
		struct mem_cgroup *child = memcg->first_child;

		memcg->first_child = child->next_sibling;
		memcg_free_tree(engine, child);
	}
	mem_cgroup_free(engine, memcg);
}

void memcg_exit(struct rcl_engine *engine)
{
	if (engine->root_mem_cgroup)
		memcg_free_tree(engine, engine->root_mem_cgroup);
	free(engine->memcgs);
	free(engine->memcg_generation);
	engine->memcgs = NULL;
	engine->memcg_generation = NULL;
	engine->root_mem_cgroup = NULL;
}
