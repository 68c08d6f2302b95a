/*
 * frame.c - decode Request frames from and encode Response frames into libevent buffers.
 */
#include <stdlib.h>

#include "frame.h"

/*
 * protobuf-c allocates as it decodes, and a repeated field of empty submessages costs some 50
 * bytes of heap for each 2 bytes of frame: one 16 MiB frame of them took 700 MB before its
 * request was refused for having too many ranges. A request the daemon takes decodes into
 * little more than its frame (its bytes fields copied, at most 4096 ranges of a few dozen
 * bytes each), so the decode stops, the frame undecodable, past twice the frame and a
 * megabyte. The request is freed later with the default allocator: this one is malloc's.
 */
#define DECODE_SLACK	(1u << 20)

struct decode_budget {
	size_t left;
};

static void *budget_alloc(void *data, size_t size)
{
	struct decode_budget *b = data;

	if (size > b->left)
		return NULL;
	b->left -= size;
	return malloc(size);
}

static void budget_free(void *data, void *ptr)
{
	(void)data;
	free(ptr);
}

static Request *request_unpack(uint32_t body, const uint8_t *bytes)
{
	struct decode_budget budget = { .left = 2 * (size_t)body + DECODE_SLACK };
	ProtobufCAllocator allocator = {
		.alloc = budget_alloc, .free = budget_free, .allocator_data = &budget,
	};

	return reclaim__v1__request__unpack(&allocator, body, bytes);
}

int frame_pull_request(struct evbuffer *in, uint32_t max_bytes, Request **ret_req,
		       uint32_t *ret_body_len)
{
	uint8_t header[FRAME_HEADER_BYTES];
	size_t avail = evbuffer_get_length(in);
	uint32_t body = 0;
	unsigned char *bytes;
	Request *req;
	int ret;

	if (evbuffer_copyout(in, header, sizeof(header)) < (ssize_t)sizeof(header))
		return FRAME_NEED_MORE;
	/* frame_peek only needs the header; pass the whole length so it can tell READY. */
	ret = frame_peek(header, avail, max_bytes, &body);
	if (ret == -EMSGSIZE) {
		body = (uint32_t)header[0] << 24 | (uint32_t)header[1] << 16 |
		       (uint32_t)header[2] << 8 | header[3];
	}
	if (ret_body_len)
		*ret_body_len = body;
	if (ret != FRAME_READY)
		return ret;

	/* Make the frame contiguous once; protobuf-c unpacks from a flat buffer. */
	bytes = evbuffer_pullup(in, (ssize_t)(FRAME_HEADER_BYTES + body));
	if (!bytes)
		return -ENOMEM;
	req = request_unpack(body, bytes + FRAME_HEADER_BYTES);
	evbuffer_drain(in, FRAME_HEADER_BYTES + body);
	if (!req)
		return -EBADMSG;
	*ret_req = req;
	return FRAME_READY;
}

int frame_push_response(struct evbuffer *out, const Response *resp)
{
	size_t len = reclaim__v1__response__get_packed_size(resp);
	struct evbuffer_iovec vec;
	uint8_t *p;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	if (evbuffer_reserve_space(out, (ssize_t)(FRAME_HEADER_BYTES + len), &vec, 1) < 1)
		return -ENOMEM;
	p = vec.iov_base;
	frame_put_header(p, (uint32_t)len);
	reclaim__v1__response__pack(resp, p + FRAME_HEADER_BYTES);
	vec.iov_len = FRAME_HEADER_BYTES + len;
	if (evbuffer_commit_space(out, &vec, 1) < 0)
		return -ENOMEM;
	return 0;
}
