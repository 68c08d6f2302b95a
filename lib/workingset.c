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

/* A page is leaving the page cache: the shadow to leave in its slot. */
uint64_t workingset_eviction(struct address_space *mapping, struct page *page)
{
	struct rcl_engine *engine = page_engine(page);
	struct mem_cgroup *memcg = page_memcg(page);
	struct lruvec *lruvec = mem_cgroup_lruvec(page_pgdat(page), memcg);
	uint64_t eviction = (uint64_t)++lruvec->inactive_age;

	(void)mapping;
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
	if (!memcg || nid >= engine->nr_nodes) {
		*ret_lruvec = NULL;
		return 0;
	}
	*ret_lruvec = mem_cgroup_lruvec(NODE_DATA(engine, nid), memcg);
	refault = (uint64_t)(*ret_lruvec)->inactive_age;
	return (refault - eviction) & (EVICTION_MASK << engine->bucket_order);
}

/*
 * @page is being read back into a slot that held @shadow: count the refault and start the
 * page active if its refault distance fits in the active file list.
 */
void workingset_refault(struct page *page, uint64_t shadow)
{
	struct rcl_engine *engine = page_engine(page);
	struct lruvec *lruvec;
	bool workingset;
	uint64_t distance = workingset_refault_distance(engine, shadow, &lruvec, &workingset);

	if (!lruvec)
		return;		/* the memcg is gone: nothing to compare with */
	mod_node_page_state(lruvec->pgdat, WORKINGSET_REFAULT, 1);
	mod_memcg_node_state(lruvec->memcg, WORKINGSET_REFAULT, 1);
	if (!engine->workingset_enabled)
		return;
	if (distance > lruvec_lru_size(lruvec, LRU_ACTIVE_FILE, MAX_NR_ZONES))
		return;
	SetPageActive(page);
	lruvec->inactive_age++;
	mod_node_page_state(lruvec->pgdat, WORKINGSET_ACTIVATE, 1);
	mod_memcg_node_state(lruvec->memcg, WORKINGSET_ACTIVATE, 1);
	if (workingset) {
		SetPageWorkingset(page);
		mod_node_page_state(lruvec->pgdat, WORKINGSET_RESTORE, 1);
		mod_memcg_node_state(lruvec->memcg, WORKINGSET_RESTORE, 1);
	}
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

/*
 * The shadow node shrinker (spec 14): groups of slots that hold only shadows cost memory and
 * say ever less about refaults as they age. Keep at most one per 8 pages of memory (a node
 * of 64 slots at a worst-case density of 1/8), reclaiming the excess; each counts
 * workingset_nodereclaim. Returns the groups reclaimed.
 */
unsigned long workingset_shrink_shadows(struct rcl_engine *engine, struct pglist_data *pgdat)
{
	unsigned long max_nodes = engine->nr_frames >> 3, freed = 0;
	struct address_space *mapping;

	for (mapping = engine->files; mapping && engine->nr_shadow_nodes > max_nodes;
	     mapping = mapping->next) {
		struct xa_node *leaf = xa_next_leaf(&mapping->i_pages, 0);

		while (leaf && engine->nr_shadow_nodes > max_nodes) {
			unsigned long base = xa_leaf_index(leaf), i;

			if (shadow_node(leaf)) {
				/* Clearing the last shadow frees the leaf itself. */
				for (i = base; i < base + XA_CHUNK_SIZE; i++) {
					if (slot_is_shadow(page_cache_slot(mapping, i))) {
						page_cache_set_slot(mapping, i, 0);
						mapping->nrexceptional--;
					}
				}
				mod_node_page_state(pgdat, WORKINGSET_NODERECLAIM, 1);
				freed++;
			}
			leaf = xa_next_leaf(&mapping->i_pages, base + XA_CHUNK_SIZE);
		}
	}
	return freed;
}
