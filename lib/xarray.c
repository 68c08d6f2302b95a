/*
 * xarray.c - the sparse array under the page cache and the page tables (see xarray.h).
 *
 * A tree of 64-slot nodes; the top node's shift says how many index bits lie below it, and the
 * tree grows a level on top when an index beyond its reach is stored, as the kernel's radix
 * tree does. Leaves hold the entries; inner nodes count their children so that emptied
 * subtrees can be given back.
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

/* Whether @index lies beyond what a tree topped by @top can hold. */
static bool xa_beyond(const struct xa_node *top, unsigned long index)
{
	return top->shift + XA_CHUNK_SHIFT < 64 && (index >> (top->shift + XA_CHUNK_SHIFT));
}

struct xa_node *xa_leaf(const struct xarray *xa, unsigned long index)
{
	struct xa_node *node = xa->head;

	if (!node || xa_beyond(node, index))
		return NULL;
	while (node && node->shift)
		node = node->slots[(index >> node->shift) & XA_CHUNK_MASK];
	return node;
}

struct xa_node *xa_leaf_create(struct xarray *xa, unsigned long index)
{
	struct xa_node *node, *child;
	unsigned int off;

	if (!xa->head && !(xa->head = xa_node_alloc(xa, 0, NULL, 0)))
		return NULL;
	while (xa_beyond(xa->head, index)) {
		node = xa_node_alloc(xa, xa->head->shift + XA_CHUNK_SHIFT, NULL, 0);
		if (!node)
			return NULL;
		node->slots[0] = xa->head;
		node->count = 1;
		xa->head->parent = node;
		xa->head = node;
	}
	for (node = xa->head; node->shift; node = child) {
		off = (unsigned int)(index >> node->shift) & XA_CHUNK_MASK;
		child = node->slots[off];
		if (!child) {
			child = xa_node_alloc(xa, node->shift - XA_CHUNK_SHIFT, node, off);
			if (!child)
				return NULL;
			node->slots[off] = child;
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
		struct xa_node *node = xa->head, *child;
		unsigned long step, next;

		if (!node || xa_beyond(node, i))
			return NULL;
		for (; node->shift; node = child) {
			child = node->slots[(i >> node->shift) & XA_CHUNK_MASK];
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
			parent->slots[node->offset] = NULL;
		else
			xa->head = NULL;
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
