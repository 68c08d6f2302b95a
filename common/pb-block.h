/*
 * pb-block.h - protobuf-c messages decoded into one block: one malloc and one free for a
 * small message instead of one of each per submessage, string and array. Shared by reclaimd
 * (Request frames, daemon/frame.c) and libreclaim-client (Response frames).
 *
 * protobuf_c_message_unpack takes its memory from the allocator given to it, and the first
 * thing it takes is the message itself. So the message sits at the start of the block's
 * data, and its block is found from the message alone: pb_block_free(msg) gives everything
 * back. The allocations are carved from the block in order; one that does not fit (a large
 * bytes field, a long repeated field) is a malloc of its own, linked to the block and freed
 * with it. Nothing is freed before the block: protobuf-c's frees (of a temporary, or of a
 * failed decode's parts) are no-ops here.
 *
 * A message decoded so must be freed with pb_block_free, never with the generated
 * *_free_unpacked(msg, NULL), and its fields must not be freed or taken one by one.
 *
 * An optional budget bounds what a decode may take in all (block and mallocs alike, counted
 * as the sizes asked for): past it, allocations fail and so does the decode.
 */
#ifndef RECLAIM_PB_BLOCK_H
#define RECLAIM_PB_BLOCK_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <protobuf-c/protobuf-c.h>

#define PB_BLOCK_ALIGN	alignof(max_align_t)	/* what malloc promises */

/* An allocation that did not fit in its block. */
struct pb_block_big {
	struct pb_block_big *next;
	alignas(PB_BLOCK_ALIGN) unsigned char data[];
};

struct pb_block {
	struct pb_block_big *big;	/* allocations that did not fit, newest first */
	size_t used, cap;		/* bytes of data carved out, and there are */
	size_t left;			/* of the budget; SIZE_MAX: none */
	alignas(PB_BLOCK_ALIGN) unsigned char data[];
};

static inline void *pb_block_alloc(void *arg, size_t size)
{
	struct pb_block *b = arg;
	size_t room = (size + PB_BLOCK_ALIGN - 1) & ~(size_t)(PB_BLOCK_ALIGN - 1);
	struct pb_block_big *big;
	void *p;

	if (size > b->left || room < size)
		return NULL;
	if (b->left != SIZE_MAX)
		b->left -= size;
	if (room <= b->cap - b->used) {
		p = b->data + b->used;
		b->used += room;
		return p;
	}
	if (size > SIZE_MAX - sizeof(*big))
		return NULL;
	big = malloc(sizeof(*big) + size);
	if (!big)
		return NULL;
	big->next = b->big;
	b->big = big;
	return big->data;
}

static inline void pb_block_nofree(void *arg, void *ptr)
{
	(void)arg;
	(void)ptr;
}

static inline void pb_block_release(struct pb_block *b)
{
	while (b->big) {
		struct pb_block_big *big = b->big;

		b->big = big->next;
		free(big);
	}
	free(b);
}

/*
 * Decode the LEN bytes at DATA as a message of DESC into a block with room for about CAP
 * bytes of it (at least the message itself), taking at most BUDGET bytes in all (SIZE_MAX:
 * no bound). The message, or NULL if it does not decode or memory ran out.
 */
static inline ProtobufCMessage *pb_block_unpack(const ProtobufCMessageDescriptor *desc,
						size_t cap, size_t budget, size_t len,
						const uint8_t *data)
{
	ProtobufCAllocator allocator = { .alloc = pb_block_alloc, .free = pb_block_nofree };
	ProtobufCMessage *msg;
	struct pb_block *b;

	if (cap < desc->sizeof_message)
		cap = desc->sizeof_message;
	cap = (cap + PB_BLOCK_ALIGN - 1) & ~(size_t)(PB_BLOCK_ALIGN - 1);
	b = malloc(sizeof(*b) + cap);
	if (!b)
		return NULL;
	b->big = NULL;
	b->used = 0;
	b->cap = cap;
	b->left = budget;
	allocator.allocator_data = b;
	msg = protobuf_c_message_unpack(desc, &allocator, len, data);
	/* The message is the first allocation and always fits: pb_block_free finds b from it. */
	if (!msg || (void *)msg != (void *)b->data) {
		pb_block_release(b);
		return NULL;
	}
	return msg;
}

/* Free MSG (from pb_block_unpack) and all it holds. NULL is allowed. */
static inline void pb_block_free(void *msg)
{
	if (msg)
		pb_block_release((struct pb_block *)((unsigned char *)msg -
						     offsetof(struct pb_block, data)));
}

#endif
