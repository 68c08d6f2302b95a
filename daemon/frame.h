/*
 * frame.h - length-prefixed framing of the wire API: a 4-byte big-endian length, then one
 * protobuf message of that many bytes.
 *
 * The byte-level part (frame_peek, frame_put_header) is inline and free of dependencies so the
 * client library shares it. The evbuffer part decodes incrementally: call frame_pull_request()
 * whenever bytes arrive, until it says FRAME_NEED_MORE. Nothing here keeps state between calls:
 * the buffered bytes are the state, which is what makes the decoder easy to fuzz.
 */
#ifndef RECLAIMD_FRAME_H
#define RECLAIMD_FRAME_H

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

#ifndef FRAME_BYTES_ONLY
#include <event2/buffer.h>

#include "wire.h"

/*
 * Decode the next Request buffered in IN (at most MAX_BYTES of body).
 * Returns:
 *   FRAME_NEED_MORE  nothing complete yet; IN is untouched
 *   FRAME_READY      *ret_req holds the request (the caller owns it: free it with
 *                    reclaim__v1__request__free_unpacked(req, NULL)); the frame is drained
 *   -EMSGSIZE        the header announces more than MAX_BYTES; IN is untouched, *ret_body_len
 *                    says how much was announced
 *   -EBADMSG         the body is not a Request; the frame is drained
 *   -ENOMEM          out of memory; IN is untouched
 * *ret_body_len, when not NULL, receives the announced body length whenever a header was read.
 */
int frame_pull_request(struct evbuffer *in, uint32_t max_bytes, Request **ret_req,
		       uint32_t *ret_body_len);

/* Append RESP to OUT as one frame. 0, -ENOMEM, or -EMSGSIZE (over 4 GiB: a bug). */
int frame_push_response(struct evbuffer *out, const Response *resp);

#endif /* FRAME_BYTES_ONLY */

#endif
