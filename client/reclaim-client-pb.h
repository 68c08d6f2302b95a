/*
 * reclaim-client-pb.h - the protobuf level of libreclaim-client, for the tests and probes:
 * whole Request and Response messages (the protoc-c types of proto/reclaim.proto), raw bytes
 * on the wire. Not installed: programs outside this tree use the typed calls of
 * reclaim-client.h, which does not change when the wire format grows.
 *
 * Every function returns 0 or a negative errno for a transport failure; a request the server
 * refused still returns 0, with the refusal in the Response's Status (see rclc_status_errno).
 * Do not mix rclc_send/rclc_recv with asynchronous typed calls on one connection: both take
 * answers in order and would take each other's.
 */
#ifndef RECLAIM_CLIENT_PB_H
#define RECLAIM_CLIENT_PB_H

#include <stddef.h>
#include <stdint.h>

#include "reclaim-client.h"
#include "reclaim.pb-c.h"

/* The server's HelloReply, or NULL before a successful Hello. Owned by C. */
const Reclaim__V1__HelloReply *rclc_server(const struct rclc *c);

/*
 * Send REQ (its id is set here) and wait for its Response, which the caller frees with
 * rclc_response_free. Events pushed meanwhile are kept for rclc_next_push. A frame-level
 * error the server answers with id 0 before closing is returned as the response.
 * 0, or -EPIPE/-ECONNRESET (connection lost), -EPROTO (undecodable answer), -ENOMEM.
 */
int rclc_call(struct rclc *c, Reclaim__V1__Request *req, Reclaim__V1__Response **ret_resp);

/*
 * Pipelining: send REQ (its id is set here and returned in *ret_id) without waiting; then
 * take the answers in order with rclc_recv, which skips (queues) pushed events. The server
 * answers a connection's requests in order, so the n-th rclc_recv is the n-th rclc_send's.
 */
int rclc_send(struct rclc *c, Reclaim__V1__Request *req, uint64_t *ret_id);
int rclc_recv(struct rclc *c, Reclaim__V1__Response **ret_resp);

/*
 * The next pushed event (a Response whose msg_case is EVENT), waiting at most TIMEOUT_MS
 * (-1: forever). 0 with *ret_push (free with rclc_response_free), -ETIMEDOUT, or -errno.
 */
int rclc_next_push(struct rclc *c, int timeout_ms, Reclaim__V1__Response **ret_push);

/* Send BYTES as they are, for tests that speak bad protocol on purpose. 0 or -errno. */
int rclc_send_raw(struct rclc *c, const void *bytes, size_t len);

/* A negative errno for a Status code (0 for OK), as the typed calls return it. */
int rclc_status_errno(const Reclaim__V1__Response *resp);

/* "OK", "NOT_FOUND", ...; "UNKNOWN" for a code this library does not know. */
const char *rclc_code_name(Reclaim__V1__Code code);

/*
 * Free a Response this library gave (rclc_call, rclc_recv, rclc_next_push): it is decoded into
 * one block (common/pb-block.h), so only this frees it, as a whole. A Response decoded
 * elsewhere is freed with reclaim__v1__response__free_unpacked, never here. NULL is allowed.
 */
void rclc_response_free(Reclaim__V1__Response *resp);

#endif
