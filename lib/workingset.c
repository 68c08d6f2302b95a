/*
 * workingset.c - refault detection (spec 14, v4.20-v5.3 form).
 *
 * Each lruvec keeps a clock, inactive_age, that ticks on every file eviction and activation.
 * An evicted page leaves a shadow entry in its page cache slot with the clock's value. When the
 * page is read back (a refault), the distance between now and its eviction is how many other
 * pages were evicted or activated meanwhile: had the inactive list been that much longer, the
 * page would have stayed resident. If the distance fits in the active list, the page is part
 * of the working set, so it starts active and the active list must make room for it.
 *
 * Shadow entry, from high bits to low: eviction >> bucket_order | memcg id (16 bits) |
 * node id (3 bits) | PG_workingset bit. Caller holds mm_lock.
 */
#include "memcontrol.h"
#include "vmscan.h"

#define NODES_SHIFT		3
#define EVICTION_SHIFT		(1 + NODES_SHIFT + MEM_CGROUP_ID_SHIFT)
#define EVICTION_BITS		(63 - EVICTION_SHIFT)	/* one slot bit tags shadows */
#define EVICTION_MASK		((1ULL << EVICTION_BITS) - 1)

static uint64_t pack_shadow(unsigned int memcgid, int nid, uint64_t eviction, bool workingset,
			    unsigned int bucket_order)
{
	eviction >>= bucket_order;
	eviction &= EVICTION_MASK;
	eviction = (eviction << MEM_CGROUP_ID_SHIFT) | memcgid;
	eviction = (eviction << NODES_SHIFT) | (unsigned int)nid;
	return (eviction << 1) | (workingset ? 1 : 0);
}

static void unpack_shadow(uint64_t shadow, unsigned int *memcgid, int *nid, uint64_t *eviction,
			  bool *workingset, unsigned int bucket_order)
{
	*workingset = shadow & 1;
	shadow >>= 1;
	*nid = (int)(shadow & ((1u << NODES_SHIFT) - 1));
	shadow >>= NODES_SHIFT;
	*memcgid = (unsigned int)(shadow & ((1u << MEM_CGROUP_ID_SHIFT) - 1));
	shadow >>= MEM_CGROUP_ID_SHIFT;
	*eviction = shadow << bucket_order;
}

/*
 * A page is leaving the page cache (@mapping), or the swap cache (NULL): the shadow to leave
 * in its slot, 0 for none. Anonymous pages leave one under CLOCK-Pro only, whose anon test
 * pages need it; two-list keeps v4.19's: no anon shadows, no anon refaults.
 */
uint64_t workingset_eviction(struct address_space *mapping, struct page *page)
{
	struct rcl_engine *engine = page_engine(page);
	struct mem_cgroup *memcg = page_memcg(page);
	struct lruvec *lruvec;
	uint64_t eviction;
	bool test;

	if (!mapping && !engine->clock_pos)
		return 0;
	lruvec = mem_cgroup_lruvec(page_pgdat(page), memcg);
	if (engine->clock_pos) {
		/* CLOCK-Pro: the page's position on its clock; the workingset bit's place says
		 * whether it stays there as a non-resident test page (clockpro.c). */
		eviction = clockpro_eviction(page, &test);
		return pack_shadow(memcg->id, page_pgdat(page)->node_id, eviction, test, 0);
	}
	eviction = (uint64_t)++lruvec->inactive_age;
	return pack_shadow(memcg->id, page_pgdat(page)->node_id, eviction, PageWorkingset(page),
			   engine->bucket_order);
}

/* The refault distance of @shadow against its lruvec's clock now. */
uint64_t workingset_refault_distance(struct rcl_engine *engine, uint64_t shadow,
				     struct lruvec **ret_lruvec, bool *ret_workingset)
{
	unsigned int memcgid;
	uint64_t eviction, refault;
	struct mem_cgroup *memcg;
	int nid;

	unpack_shadow(shadow, &memcgid, &nid, &eviction, ret_workingset, engine->bucket_order);
	memcg = mem_cgroup_from_id(engine, memcgid);
	/* A deleted group's id is gone with it in v4.19 (mem_cgroup_id_put at offline). */
	if (!memcg || !memcg->online || nid >= engine->nr_nodes) {
		*ret_lruvec = NULL;
		return 0;
	}
	*ret_lruvec = mem_cgroup_lruvec(NODE_DATA(engine, nid), memcg);
	refault = (uint64_t)(*ret_lruvec)->inactive_age;
	return (refault - eviction) & (EVICTION_MASK << engine->bucket_order);
}

/*
 * Count a workingset event for the node and the memcg: the total, and the v5.9 split by the
 * page's type (@item + 1 anon, @item + 2 file; v4.19 leaves shadows of file pages only, and
 * so does two-list here: anon pages leave one in their swap slot under CLOCK-Pro only).
 */
static void workingset_count(struct lruvec *lruvec, enum node_stat_item item, bool file)
{
	enum node_stat_item split = (enum node_stat_item)(item + (file ? 2 : 1));

	mod_node_page_state(lruvec->pgdat, item, 1);
	mod_memcg_node_state(lruvec->memcg, item, 1);
	mod_node_page_state(lruvec->pgdat, split, 1);
	mod_memcg_node_state(lruvec->memcg, split, 1);
}

/*
 * @page is being read back into a slot that held @shadow: count the refault and start the
 * page active if its refault distance fits in the active file list.
 */
static void clockpro_workingset_refault(struct page *page, uint64_t shadow);

void workingset_refault(struct page *page, uint64_t shadow)
{
	struct rcl_engine *engine = page_engine(page);
	struct lruvec *lruvec;
	bool workingset, file = page_is_file_cache(page);
	uint64_t distance;

	if (engine->clock_pos) {
		clockpro_workingset_refault(page, shadow);
		return;
	}
	distance = workingset_refault_distance(engine, shadow, &lruvec, &workingset);
	if (!lruvec)
		return;		/* the memcg is gone: nothing to compare with */
	workingset_count(lruvec, WORKINGSET_REFAULT, file);
	if (!engine->workingset_enabled)
		return;
	if (distance > lruvec_lru_size(lruvec, LRU_ACTIVE_FILE, MAX_NR_ZONES))
		return;
	SetPageActive(page);
	lruvec->inactive_age++;
	workingset_count(lruvec, WORKINGSET_ACTIVATE, file);
	if (workingset) {
		SetPageWorkingset(page);
		workingset_count(lruvec, WORKINGSET_RESTORE, file);
	}
}

/*
 * CLOCK-Pro's refault: every refault counts, as in the kernel; one of a page still on its
 * clock as a non-resident test page enters hot and counts as an activation (clockpro.c).
 */
static void clockpro_workingset_refault(struct page *page, uint64_t shadow)
{
	struct rcl_engine *engine = page_engine(page);
	bool file = page_is_file_cache(page), test;
	struct mem_cgroup *memcg;
	struct lruvec *lruvec;
	unsigned int memcgid;
	uint64_t pos;
	int nid;

	unpack_shadow(shadow, &memcgid, &nid, &pos, &test, 0);
	memcg = mem_cgroup_from_id(engine, memcgid);
	if (!memcg || !memcg->online || nid >= engine->nr_nodes)
		return;
	lruvec = mem_cgroup_lruvec(NODE_DATA(engine, nid), memcg);
	workingset_count(lruvec, WORKINGSET_REFAULT, file);
	if (!engine->workingset_enabled || !test)
		return;
	if (clockpro_refault(page, lruvec, pos))
		workingset_count(lruvec, WORKINGSET_ACTIVATE, file);
}

/* An unmapped page was activated: the clock ticks, as for an eviction. */
void workingset_activation(struct page *page)
{
	mem_cgroup_page_lruvec(page)->inactive_age++;
}

/* Timestamps need only be as fine as the memory is large (spec 14 bucket_order). */
void workingset_init(struct rcl_engine *engine)
{
	unsigned int max_order = 64 - (unsigned int)__builtin_clzl(engine->nr_frames - 1);

	engine->bucket_order = max_order > EVICTION_BITS ? max_order - EVICTION_BITS : 0;
}

/* The group a shadow leaf is charged to; a tag of a group freed since falls to the root. */
static struct mem_cgroup *shadow_node_memcg(struct rcl_engine *engine, struct xa_node *leaf)
{
	struct mem_cgroup *memcg = mem_cgroup_from_id(engine, leaf->memcg_id);

	if (!memcg) {
		memcg = engine->root_mem_cgroup;
		leaf->memcg_id = memcg->id;
	}
	return memcg;
}

/* ---- the shadow node list ------------------------------------------------------------- */

__thread bool shadow_lru_held;

/*
 * The shadow node list lock, the kernel's list_lru lock of shadow_nodes: every group's list of
 * leaves that hold only shadows, their counts and engine->nr_shadow_nodes. It ranks below a
 * mapping's i_pages_lock (a leaf changes its list place under that lock); the shrinker, which
 * finds the mapping from the list, only tries for its i_pages_lock under it. Nothing else is
 * taken under it; --enable-debug aborts on i_pages_lock taken there.
 */
void shadow_lru_lock(struct rcl_engine *engine)
{
	spin_lock(&engine->shadow_lru_lock);
	shadow_lru_held = true;
	model_locks_held++;
}

void shadow_lru_unlock(struct rcl_engine *engine)
{
	model_locks_held--;
	shadow_lru_held = false;
	spin_unlock(&engine->shadow_lru_lock);
}

static void shadow_list_del(struct mem_cgroup *memcg, struct xa_node *leaf)
{
	if (leaf->private_prev)
		leaf->private_prev->private_next = leaf->private_next;
	else
		memcg->shadow_first = leaf->private_next;
	if (leaf->private_next)
		leaf->private_next->private_prev = leaf->private_prev;
	else
		memcg->shadow_last = leaf->private_prev;
	leaf->private_prev = leaf->private_next = NULL;
	memcg->nr_shadow_nodes--;
}

static void shadow_list_add_tail(struct mem_cgroup *memcg, struct xa_node *leaf)
{
	leaf->private_next = NULL;
	leaf->private_prev = memcg->shadow_last;
	if (memcg->shadow_last)
		memcg->shadow_last->private_next = leaf;
	else
		memcg->shadow_first = leaf;
	memcg->shadow_last = leaf;
	memcg->nr_shadow_nodes++;
}

/*
 * workingset_update_node: @leaf of @mapping just began or ceased to hold only shadow entries.
 * Such leaves go to the tail of their memcg's list, so that the shrinker takes the oldest.
 */
void workingset_update_node(struct address_space *mapping, struct xa_node *leaf)
{
	struct rcl_engine *engine = page_engine_of_mapping(mapping);
	long delta = shadow_node(leaf) ? 1 : -1;
	struct mem_cgroup *memcg;

	assert_i_pages_locked(mapping);
	shadow_lru_lock(engine);
	/* Under the list lock: reparenting moves the leaf and its tag under it alone. */
	memcg = shadow_node_memcg(engine, leaf);
	if (delta > 0)
		shadow_list_add_tail(memcg, leaf);
	else
		shadow_list_del(memcg, leaf);
	engine->nr_shadow_nodes += (unsigned long)delta;
	shadow_lru_unlock(engine);
	/* The index's memory belongs to no node here: the gauge is kept on node 0. */
	mod_node_page_state(NODE_DATA(engine, 0), WORKINGSET_NODES, delta);
	mod_memcg_node_state(memcg, WORKINGSET_NODES, delta);
}

/* A group is freed: its shadow leaves are its parent's now (memcg_drain_all_list_lrus). */
void workingset_reparent_nodes(struct mem_cgroup *memcg, struct mem_cgroup *parent)
{
	struct rcl_engine *engine = memcg->engine;
	struct xa_node *leaf;

	shadow_lru_lock(engine);
	while ((leaf = memcg->shadow_first)) {
		shadow_list_del(memcg, leaf);
		leaf->memcg_id = parent->id;
		shadow_list_add_tail(parent, leaf);
		mod_memcg_node_state(memcg, WORKINGSET_NODES, -1);
		mod_memcg_node_state(parent, WORKINGSET_NODES, 1);
	}
	shadow_lru_unlock(engine);
}

/* Whether @memcg has more shadow-only leaves than @max. */
static bool shadow_nodes_over(struct rcl_engine *engine, struct mem_cgroup *memcg,
			      unsigned long max)
{
	bool over;

	shadow_lru_lock(engine);
	over = memcg->nr_shadow_nodes > max;
	shadow_lru_unlock(engine);
	return over;
}

/* The LRU pages of @memcg on every node: what its shadow nodes may describe. */
static unsigned long memcg_lru_pages(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	unsigned long pages = 0;
	int nid, lru;

	for (nid = 0; nid < engine->nr_nodes; nid++)
		for (lru = 0; lru < NR_LRU_LISTS; lru++)
			pages += lruvec_lru_size(mem_cgroup_lruvec(NODE_DATA(engine, nid), memcg),
						 (enum lru_list)lru, MAX_NR_ZONES);
	return pages;
}

/*
 * The shadow node shrinker for @memcg (spec 14, count_shadow_nodes): leaves that hold only
 * shadows cost memory and say ever less about refaults as they age. A group may keep one per
 * 8 of its own LRU pages (a leaf of 64 slots at a worst-case density of 1/8); the oldest of
 * the excess are reclaimed, each counting workingset_nodereclaim. Returns the leaves freed.
 */
unsigned long workingset_shrink_shadows(struct rcl_engine *engine, struct pglist_data *pgdat,
					struct mem_cgroup *memcg)
{
	unsigned long max_nodes, freed = 0;

	if (!memcg)
		memcg = engine->root_mem_cgroup;
	if (!shadow_nodes_over(engine, memcg, 0))	/* before counting its LRU pages */
		return 0;
	max_nodes = memcg_lru_pages(engine, memcg) >> 3;
	for (;;) {
		struct address_space *mapping;
		struct xa_node *leaf;
		unsigned long base, i;

		shadow_lru_lock(engine);
		if (memcg->nr_shadow_nodes <= max_nodes) {
			shadow_lru_unlock(engine);
			break;
		}
		leaf = memcg->shadow_first;
		mapping = mapping_lookup(engine, leaf->owner_id);
		VM_BUG_ON(!mapping, "a listed shadow leaf of a mapping no longer registered");
		/* Its holder is busy for a moment (a reader without mm_lock; every change of a
		 * page cache holds mm_lock, as the shrinker does): let the list go and look
		 * again (LRU_RETRY), yielding as spin_lock does to a holder that may be off the
		 * CPU. Once the mapping's lock is ours the leaf keeps its slots, so it stays
		 * allocated and on a list until the loop below clears it. */
		if (!i_pages_trylock(mapping)) {
			shadow_lru_unlock(engine);
			sched_yield();
			continue;
		}
		shadow_lru_unlock(engine);
		base = xa_leaf_index(leaf);
		/* Clearing the last shadow takes the leaf off the list and frees it. */
		for (i = base; i < base + XA_CHUNK_SIZE; i++) {
			if (slot_is_shadow(page_cache_slot(mapping, i))) {
				page_cache_set_slot(mapping, i, 0);
				mapping->nrexceptional--;
			}
		}
		i_pages_unlock(mapping);
		mod_node_page_state(pgdat, WORKINGSET_NODERECLAIM, 1);
		mod_memcg_node_state(memcg, WORKINGSET_NODERECLAIM, 1);
		freed++;
	}
	return freed;
}
