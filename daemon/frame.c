/*
 * frame.c - decode Request frames from and encode Response frames into libevent buffers.
 */
#include <stdbool.h>
#include <stdlib.h>

#include <string.h>

#include "frame.h"
#include "pb-block.h"
#include "utf8.h"

/*
 * protobuf-c allocates as it decodes, and a repeated field of empty submessages costs some 50
 * bytes of heap for each 2 bytes of frame: one 16 MiB frame of them took 700 MB before its
 * request was refused for having too many ranges. A request the daemon takes decodes into
 * little more than its frame (its bytes fields copied, at most 4096 ranges of a few dozen
 * bytes each), so the decode stops, the frame undecodable, past twice the frame and a
 * megabyte.
 *
 * The request decodes into one block (common/pb-block.h) with room for a little more than
 * its frame, up to DECODE_BLOCK_MAX: a small request costs one malloc and one free, not one
 * of each per submessage and string, on the loop for every request. What does not fit is
 * malloc'd one allocation at a time and freed with the block (frame_request_free).
 */
#define DECODE_SLACK		(1u << 20)
#define DECODE_BLOCK_MIN	512u
#define DECODE_BLOCK_MAX	(64u << 10)

static Request *request_unpack(uint32_t body, const uint8_t *bytes)
{
	size_t cap = DECODE_BLOCK_MIN + (size_t)body + body / 4;

	if (cap > DECODE_BLOCK_MAX)
		cap = DECODE_BLOCK_MAX;
	return (Request *)pb_block_unpack(&reclaim__v1__request__descriptor, cap,
					  2 * (size_t)body + DECODE_SLACK, body, bytes);
}

void frame_request_free(Request *req)
{
	pb_block_free(req);
}

static bool wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned int shift;

	for (shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

static bool wire_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
			 const uint8_t *end, unsigned int depth, struct frame_strings *ret);

/* One length-delimited field @key of @desc, its @len bytes at @p: a string looked at, a
 * message walked. false once a string with a NUL is found (the walk stops there). */
static bool wire_string_field(const ProtobufCMessageDescriptor *desc, uint64_t key,
			      const uint8_t *p, uint64_t len, unsigned int depth,
			      struct frame_strings *ret)
{
	const ProtobufCFieldDescriptor *f = key >> 3 <= UINT32_MAX ?
		protobuf_c_message_descriptor_get_field(desc, (unsigned int)(key >> 3)) : NULL;

	if (f && f->type == PROTOBUF_C_TYPE_STRING) {
		if (memchr(p, 0, len)) {
			ret->nul_field = f->name;
			return false;
		}
		if (ret->all_utf8 && !utf8_valid_n((const char *)p, len))
			ret->all_utf8 = false;
	} else if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
		if (depth >= 64) {
			ret->all_utf8 = false;	/* not looked at: not known to be text */
			return true;
		}
		return wire_strings(f->descriptor, p, p + len, depth + 1, ret);
	}
	return true;
}

/*
 * The strings of a message of @desc, encoded in [@p, @end), at any depth, looked at on the
 * wire, where the lengths are: the first whose bytes hold a NUL (the walk stops there), and
 * whether all are UTF-8. protobuf-c hands a string over as a C string, so one with a NUL
 * inside arrives cut short at it: "x\0y" named the file x. A frame that does not parse stops
 * the walk with all_utf8 false (unpack refuses it anyway); depth is bounded as protobuf-c
 * bounds it. false once a NUL was found.
 */
static bool wire_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
			 const uint8_t *end, unsigned int depth, struct frame_strings *ret)
{
	uint64_t key, len;

	while (p < end) {
		if (!wire_varint(&p, end, &key))
			goto unparsed;
		switch (key & 7) {
		case 0:				/* varint */
			if (!wire_varint(&p, end, &len))
				goto unparsed;
			break;
		case 1:				/* 64-bit */
			if (end - p < 8)
				goto unparsed;
			p += 8;
			break;
		case 5:				/* 32-bit */
			if (end - p < 4)
				goto unparsed;
			p += 4;
			break;
		case 2:				/* length-delimited */
			if (!wire_varint(&p, end, &len) || len > (uint64_t)(end - p))
				goto unparsed;
			if (!wire_string_field(desc, key, p, len, depth, ret))
				return false;
			p += len;
			break;
		default:			/* groups: protobuf-c refuses them */
			goto unparsed;
		}
	}
	return true;
unparsed:
	ret->all_utf8 = false;
	return true;
}

int frame_pull_request(struct evbuffer *in, uint32_t max_bytes, Request **ret_req,
		       uint32_t *ret_body_len, struct frame_strings *ret_strings)
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
	if (req && ret_strings) {
		*ret_strings = (struct frame_strings){ .nul_field = NULL, .all_utf8 = true };
		wire_strings(&reclaim__v1__request__descriptor, bytes + FRAME_HEADER_BYTES,
			     bytes + FRAME_HEADER_BYTES + body, 0, ret_strings);
	}
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
