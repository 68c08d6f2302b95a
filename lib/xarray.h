/*
 * xarray.h - a sparse array of 64-bit entries indexed by page number: the radix tree under the
 * page cache and under a region's page table.
 *
 * As in the kernel, memory follows use, not size: a node of 64 slots exists only where an
 * entry was stored, so a 4 TiB region that touched one page holds a handful of nodes, and a
 * walk over a range skips every subtree that was never populated. Entry 0 means empty.
 *
 * Leaves carry two counters for their owner (the page cache: pages and shadow entries), so
 * that the workingset shrinker can find nodes that hold only shadows (spec 14), and an empty
 * leaf can be given back with xa_leaf_release. One writer at a time, under the owner's lock;
 * lookups (xa_leaf, xa_slot, xa_load, xa_find, xa_next_leaf) may run beside it without that
 * lock (xarray.c says how). Taking nodes away (xa_leaf_release, xa_destroy) needs every lock
 * a reader may walk under.
 */
#ifndef RCL_XARRAY_H
#define RCL_XARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XA_CHUNK_SHIFT	6
#define XA_CHUNK_SIZE	(1UL << XA_CHUNK_SHIFT)
#define XA_CHUNK_MASK	(XA_CHUNK_SIZE - 1)

struct xa_node {
	unsigned char shift;		/* index bits below this node: 0 for a leaf */
	unsigned char offset;		/* slot in the parent */
	unsigned char count;		/* inner node: children present */
	unsigned char nr_pages;		/* leaf: the owner's two counters */
	unsigned char nr_values;
	uint16_t memcg_id;		/* leaf: the owner's tag for whom it is charged to */
	struct xa_node *parent;
	/* Leaf: the owner's list links (the kernel's private_list: the shadow node LRU) and
	 * the owner's id of the array, to find it from the leaf. */
	struct xa_node *private_prev, *private_next;
	uint32_t owner_id;
	union {
		struct xa_node *slots[XA_CHUNK_SIZE];
		uint64_t entries[XA_CHUNK_SIZE];
	};
};

struct xarray {
	struct xa_node *head;		/* NULL while empty */
	unsigned long nr_nodes;		/* what the array itself costs: nr_nodes * node size */
};

#define XA_NODE_BYTES	sizeof(struct xa_node)

static inline void xa_init(struct xarray *xa)
{
	xa->head = NULL;
	xa->nr_nodes = 0;
}

/* The leaf holding @index, or NULL when none was ever created. */
struct xa_node *xa_leaf(const struct xarray *xa, unsigned long index);
/* The leaf holding @index, created (with its path) if needed; NULL on allocation failure. */
struct xa_node *xa_leaf_create(struct xarray *xa, unsigned long index);

/* The slot of @index, or NULL when its leaf does not exist (the entry is then 0). */
static inline uint64_t *xa_slot(const struct xarray *xa, unsigned long index)
{
	struct xa_node *leaf = xa_leaf(xa, index);

	return leaf ? &leaf->entries[index & XA_CHUNK_MASK] : NULL;
}

static inline uint64_t xa_load(const struct xarray *xa, unsigned long index)
{
	uint64_t *slot = xa_slot(xa, index);

	/* Read once: the owner may let a finer lock's holder change entries, and grow the
	 * tree, under a reader that holds only its coarse one (a region's ptl, mm.h). */
	return slot ? __atomic_load_n(slot, __ATOMIC_RELAXED) : 0;
}

/*
 * The first index in [@index, @end) whose entry is not 0, or @end. Subtrees that do not exist
 * are skipped whole: a walk costs what is populated, not the range.
 */
unsigned long xa_find(const struct xarray *xa, unsigned long index, unsigned long end);

/* The first existing leaf at or after the one holding @index, or NULL. */
struct xa_node *xa_next_leaf(const struct xarray *xa, unsigned long index);
/* The index of entry 0 of @leaf. */
unsigned long xa_leaf_index(const struct xa_node *leaf);

/* Free @leaf, and its parents as they become empty, if every entry of it is 0. */
void xa_leaf_release(struct xarray *xa, struct xa_node *leaf);
/* Free every node: the array is empty afterwards. */
void xa_destroy(struct xarray *xa);

/* Walk the non-empty entries of [start, end): @i is the index, each step skips empty space. */
#define xa_for_each_range(xa, i, start, end)					\
	for ((i) = xa_find((xa), (start), (end)); (i) < (end);			\
	     (i) = xa_find((xa), (i) + 1, (end)))

#endif
