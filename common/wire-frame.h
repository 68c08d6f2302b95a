/*
 * wire-frame.h - the byte level of the wire API's framing, shared by reclaimd (daemon/frame.c
 * builds its evbuffer decoder on it) and libreclaim-client: a 4-byte big-endian length, then
 * one protobuf message of that many bytes.
 *
 * Inline and free of dependencies, so that both sides build from this one copy and cannot
 * drift apart. Not installed: a client program links libreclaim-client, never this.
 */
#ifndef RECLAIM_WIRE_FRAME_H
#define RECLAIM_WIRE_FRAME_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_BYTES	4u
#define FRAME_DEFAULT_MAX	(16u << 20)	/* DESIGN.md: 16 MiB unless configured */
#define FRAME_MIN_MAX		4096u		/* a smaller limit could not carry a Hello reply */

enum frame_result {
	FRAME_NEED_MORE = 0,	/* not a whole frame yet: wait for more bytes */
	FRAME_READY = 1,	/* a whole frame is there */
};

/*
 * Look at the LEN bytes buffered at BUF. Returns FRAME_NEED_MORE, FRAME_READY with the body
 * length in *ret_body_len (the frame is FRAME_HEADER_BYTES + that), or -EMSGSIZE when the
 * header announces a body longer than MAX_BYTES (the connection cannot be resynchronised).
 * *ret_body_len is also set when the header is complete but the body is not.
 */
static inline int frame_peek(const uint8_t *buf, size_t len, uint32_t max_bytes,
			     uint32_t *ret_body_len)
{
	uint32_t body;

	if (len < FRAME_HEADER_BYTES)
		return FRAME_NEED_MORE;
	body = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (body > max_bytes)
		return -EMSGSIZE;
	*ret_body_len = body;
	return len - FRAME_HEADER_BYTES >= body ? FRAME_READY : FRAME_NEED_MORE;
}

/* Write the header of a frame whose body is BODY_LEN bytes into OUT. */
static inline void frame_put_header(uint8_t out[FRAME_HEADER_BYTES], uint32_t body_len)
{
	out[0] = (uint8_t)(body_len >> 24);
	out[1] = (uint8_t)(body_len >> 16);
	out[2] = (uint8_t)(body_len >> 8);
	out[3] = (uint8_t)body_len;
}

#endif
