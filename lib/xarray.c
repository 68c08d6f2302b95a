/*
 * xarray.c - the sparse array under the page cache and the page tables (see xarray.h).
 *
 * A tree of 64-slot nodes; the top node's shift says how many index bits lie below it, and the
 * tree grows a level on top when an index beyond its reach is stored, as the kernel's radix
 * tree does. Leaves hold the entries; inner nodes count their children so that emptied
 * subtrees can be given back.
 *
 * Lookups may run beside one writer, as the kernel's RCU walks of its radix tree do: the
 * owner's fine lock (a region's ptl) serialises the writers, while a reader that holds only
 * a coarser lock (mm_lock) or none of the writer's walks the tree at the same time. So a node
 * is filled in before it is linked, every link (the head, an inner slot) is published with a
 * release store and followed with an acquire load, and a node a reader could reach is never
 * changed in what readers look at (shift, slots already set). Taking nodes away
 * (xa_leaf_release, xa_destroy) is not safe beside readers: it needs every lock a reader may
 * walk under (the page cache's leaves are released under both its lock and mm_lock; page
 * tables are destroyed only with their region's last reference). The parent links and
 * nr_nodes are the writers' alone: a lockless reader must not follow or read them.
 */
#include <stdlib.h>

#include "xarray.h"

static struct xa_node *xa_node_alloc(struct xarray *xa, unsigned int shift,
				     struct xa_node *parent, unsigned int offset)
{
	struct xa_node *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	node->shift = (unsigned char)shift;
	node->parent = parent;
	node->offset = (unsigned char)offset;
	xa->nr_nodes++;
	return node;
}

static struct xa_node *xa_head(const struct xarray *xa)
{
	return __atomic_load_n(&xa->head, __ATOMIC_ACQUIRE);
}

static struct xa_node *xa_child(const struct xa_node *node, unsigned int off)
{
	return __atomic_load_n(&node->slots[off], __ATOMIC_ACQUIRE);
}

/* Link @child where readers may find it: after everything in it is set. */
static void xa_publish(struct xa_node **link, struct xa_node *child)
{
	__atomic_store_n(link, child, __ATOMIC_RELEASE);
}

/* Whether @index lies beyond what a tree topped by @top can hold. */
static bool xa_beyond(const struct xa_node *top, unsigned long index)
{
	return top->shift + XA_CHUNK_SHIFT < 64 && (index >> (top->shift + XA_CHUNK_SHIFT));
}

struct xa_node *xa_leaf(const struct xarray *xa, unsigned long index)
{
	struct xa_node *node = xa_head(xa);

	if (!node || xa_beyond(node, index))
		return NULL;
	while (node && node->shift)
		node = xa_child(node, (unsigned int)(index >> node->shift) & XA_CHUNK_MASK);
	return node;
}

/* The writer: readers may walk beside it (see the top of this file). */
struct xa_node *xa_leaf_create(struct xarray *xa, unsigned long index)
{
	struct xa_node *node, *child, *head;
	unsigned int off;

	if (!xa->head) {
		node = xa_node_alloc(xa, 0, NULL, 0);
		if (!node)
			return NULL;
		xa_publish(&xa->head, node);
	}
	while (xa_beyond(xa->head, index)) {
		head = xa->head;
		node = xa_node_alloc(xa, head->shift + XA_CHUNK_SHIFT, NULL, 0);
		if (!node)
			return NULL;
		node->slots[0] = head;	/* unpublished yet: a plain store */
		node->count = 1;
		head->parent = node;	/* readers never follow parent links */
		xa_publish(&xa->head, node);
	}
	for (node = xa->head; node->shift; node = child) {
		off = (unsigned int)(index >> node->shift) & XA_CHUNK_MASK;
		child = node->slots[off];
		if (!child) {
			child = xa_node_alloc(xa, node->shift - XA_CHUNK_SHIFT, node, off);
			if (!child)
				return NULL;
			xa_publish(&node->slots[off], child);
			node->count++;
		}
	}
	return node;
}

/*
 * The leaf at or after @index that exists, with *index moved to the first index it covers
 * that is >= the given one; NULL when there is none before the end of the index space.
 */
static struct xa_node *xa_seek_leaf(const struct xarray *xa, unsigned long *index)
{
	unsigned long i = *index;

	for (;;) {
		struct xa_node *node = xa_head(xa), *child;
		unsigned long step, next;

		if (!node || xa_beyond(node, i))
			return NULL;
		for (; node->shift; node = child) {
			child = xa_child(node, (unsigned int)(i >> node->shift) & XA_CHUNK_MASK);
			if (!child)
				break;
		}
		if (!node->shift) {
			*index = i;
			return node;
		}
		/* Nothing below this slot: go on at the start of the next one. */
		step = 1UL << node->shift;
		next = (i | (step - 1)) + 1;
		if (!next)
			return NULL;
		i = next;
	}
}

unsigned long xa_find(const struct xarray *xa, unsigned long index, unsigned long end)
{
	while (index < end) {
		struct xa_node *leaf = xa_seek_leaf(xa, &index);

		if (!leaf)
			return end;
		for (; index < end; index++) {
			if (__atomic_load_n(&leaf->entries[index & XA_CHUNK_MASK],
					    __ATOMIC_RELAXED))	/* see xa_load */
				return index;
			if ((index & XA_CHUNK_MASK) == XA_CHUNK_MASK)
				break;
		}
		if (index >= end || !++index)
			return end;
	}
	return end;
}

struct xa_node *xa_next_leaf(const struct xarray *xa, unsigned long index)
{
	return xa_seek_leaf(xa, &index);
}

unsigned long xa_leaf_index(const struct xa_node *leaf)
{
	unsigned long index = 0;
	const struct xa_node *node;

	for (node = leaf; node->parent; node = node->parent)
		index |= (unsigned long)node->offset << node->parent->shift;
	return index;
}

void xa_leaf_release(struct xarray *xa, struct xa_node *leaf)
{
	struct xa_node *node = leaf, *parent;
	unsigned long i;

	for (i = 0; i < XA_CHUNK_SIZE; i++)
		if (leaf->entries[i])
			return;
	for (;;) {
		parent = node->parent;
		if (parent)
			xa_publish(&parent->slots[node->offset], NULL);
		else
			xa_publish(&xa->head, NULL);
		free(node);
		xa->nr_nodes--;
		if (!parent || --parent->count)
			return;
		node = parent;
	}
}

static void xa_free_subtree(struct xa_node *node)
{
	unsigned long i;

	if (node->shift)
		for (i = 0; i < XA_CHUNK_SIZE; i++)
			if (node->slots[i])
				xa_free_subtree(node->slots[i]);
	free(node);
}

void xa_destroy(struct xarray *xa)
{
	if (xa->head)
		xa_free_subtree(xa->head);
	xa_init(xa);
}
