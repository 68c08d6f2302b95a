/*
 * frame.h - the daemon's side of the wire API's framing: Request frames decoded from and
 * Response frames encoded into libevent buffers, on the byte-level part the client library
 * shares (common/wire-frame.h).
 *
 * The decoder is incremental: call frame_pull_request() whenever bytes arrive, until it says
 * FRAME_NEED_MORE. Nothing here keeps state between calls: the buffered bytes are the state,
 * which is what makes the decoder easy to fuzz.
 *
 * FRAME_BYTES_ONLY (for test programs that speak raw frames) stops after the shared part.
 */
#ifndef RECLAIMD_FRAME_H
#define RECLAIMD_FRAME_H

#include "wire-frame.h"

#ifndef FRAME_BYTES_ONLY
#include <stdbool.h>
#include <event2/buffer.h>

#include "wire.h"

/*
 * What the decoder saw of a request's strings on the wire. protobuf-c decodes a string as the
 * bytes of one of its field's occurrences, so when all of those are UTF-8 so is every string
 * of the decoded request, and the walk over it (message_bad_string) can be skipped.
 */
struct frame_strings {
	const char *nul_field;	/* a string field whose bytes hold a NUL, or NULL */
	bool all_utf8;		/* every string's bytes are UTF-8; false: not known */
};

/*
 * Decode the next Request buffered in IN (at most MAX_BYTES of body).
 * Returns:
 *   FRAME_NEED_MORE  nothing complete yet; IN is untouched
 *   FRAME_READY      *ret_req holds the request (the caller owns it: free it with
 *                    frame_request_free, never with free_unpacked); the frame is drained
 *   -EMSGSIZE        the header announces more than MAX_BYTES; IN is untouched, *ret_body_len
 *                    says how much was announced
 *   -EBADMSG         the body is not a Request, or its decode would take more memory than
 *                    twice the frame and a megabyte; the frame is drained
 *   -ENOMEM          out of memory; IN is untouched
 * *ret_body_len, when not NULL, receives the announced body length whenever a header was read.
 * *ret_strings, when not NULL, receives with FRAME_READY what the strings' bytes are: the name
 * of a string field whose bytes hold a NUL (decoded cut short at it: the request must be
 * refused), or NULL; and whether all of them are UTF-8.
 */
int frame_pull_request(struct evbuffer *in, uint32_t max_bytes, Request **ret_req,
		       uint32_t *ret_body_len, struct frame_strings *ret_strings);

/* Free a request from frame_pull_request, and all it holds (it is decoded into one block:
 * its fields are not to be freed or taken one by one). NULL is allowed. */
void frame_request_free(Request *req);

/* Append RESP to OUT as one frame. 0, -ENOMEM, or -EMSGSIZE (over 4 GiB: a bug). */
int frame_push_response(struct evbuffer *out, const Response *resp);

#endif /* FRAME_BYTES_ONLY */

#endif
