/*
 * reclaim-client.h - libreclaim-client: talk to reclaimd over its Unix socket.
 *
 * The messages are the protoc-c types of reclaim.proto (installed beside this header). A
 * connection is blocking and used by one thread at a time. Every function returns 0 or a
 * negative errno for a transport failure; a request the server refused still returns 0, with
 * the refusal in the Response's Status (see rclc_status_errno).
 *
 *	struct rclc *c;
 *	if (rclc_open(NULL, "my-tool", &c) == 0) {
 *		Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
 *		... set req.msg_case and the message ...
 *		Reclaim__V1__Response *resp;
 *		if (rclc_call(c, &req, &resp) == 0) { ...; rclc_response_free(resp); }
 *		rclc_close(c);
 *	}
 */
#ifndef RECLAIM_CLIENT_H
#define RECLAIM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "reclaim.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RCLC_PROTOCOL_VERSION	1u
#define RCLC_DEFAULT_SOCKET	"./var/reclaimd.sock"	/* what `./bootstrap run` serves */
#define RCLC_MAX_FRAME		(256u << 20)	/* largest answer the library accepts */

struct rclc;

/* The socket path to use for PATH: PATH itself, else $RECLAIMD_SOCKET, else the default. */
const char *rclc_socket_path(const char *path);

/* Connect to the daemon at rclc_socket_path(PATH), without Hello. 0 or -errno. */
int rclc_connect(const char *path, struct rclc **ret);

/*
 * Say Hello as CLIENT_NAME; the server's reply is kept (rclc_server). 0, a transport -errno,
 * or -EPROTO with the server's message in rclc_last_error when it refused.
 */
int rclc_hello(struct rclc *c, const char *client_name);

/* The same, naming the client's memcg (Hello.memcg: what its buffered file I/O is charged to
 * by default); NULL or "" = "/". */
int rclc_hello_memcg(struct rclc *c, const char *client_name, const char *memcg);

/* rclc_connect + rclc_hello. */
int rclc_open(const char *path, const char *client_name, struct rclc **ret);

/* The server's HelloReply, or NULL before a successful Hello. Owned by C. */
const Reclaim__V1__HelloReply *rclc_server(const struct rclc *c);

/*
 * Send REQ (its id is set here) and wait for its Response, which the caller frees with
 * rclc_response_free. Events pushed meanwhile are kept for rclc_next_event. A frame-level
 * error the server answers with id 0 before closing is returned as the response.
 * 0, or -EPIPE/-ECONNRESET (connection lost), -EPROTO (undecodable answer), -ENOMEM.
 */
int rclc_call(struct rclc *c, Reclaim__V1__Request *req, Reclaim__V1__Response **ret_resp);

/*
 * Pipelining: send REQ (its id is set here and returned in *ret_id) without waiting; then
 * take the answers in order with rclc_recv, which skips (queues) pushed events. The server
 * answers a connection's requests in order, so the n-th rclc_recv is the n-th rclc_send's.
 * Keep the requests in flight bounded (the server stops reading past its max-pipeline and
 * its answers then fill the socket): send a few, receive one, send the next.
 */
int rclc_send(struct rclc *c, Reclaim__V1__Request *req, uint64_t *ret_id);
int rclc_recv(struct rclc *c, Reclaim__V1__Response **ret_resp);

/*
 * The next pushed event (a Response whose msg_case is EVENT), waiting at most TIMEOUT_MS
 * (-1: forever). 0 with *ret_push (free with rclc_response_free), -ETIMEDOUT, or -errno.
 */
int rclc_next_event(struct rclc *c, int timeout_ms, Reclaim__V1__Response **ret_push);

/* Send BYTES as they are, for tests that speak bad protocol on purpose. 0 or -errno. */
int rclc_send_raw(struct rclc *c, const void *bytes, size_t len);

/* The descriptor, for poll(2) in an event loop of the caller's. */
int rclc_fd(const struct rclc *c);

/* The last server refusal of rclc_hello, or "". */
const char *rclc_last_error(const struct rclc *c);

/* A negative errno for a Status code (0 for OK): what a C caller would have got locally. */
int rclc_status_errno(const Reclaim__V1__Response *resp);

/* "OK", "NOT_FOUND", ...; "UNKNOWN" for a code this library does not know. */
const char *rclc_code_name(Reclaim__V1__Code code);

void rclc_response_free(Reclaim__V1__Response *resp);

/* Close the connection; rclc_close(NULL) does nothing. */
void rclc_close(struct rclc *c);

#ifdef __cplusplus
}
#endif

#endif
