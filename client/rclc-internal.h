/*
 * rclc-internal.h - what the two halves of libreclaim-client share: the transport and the
 * queue of requests in flight (libreclaim-client.c), and the typed calls built on them
 * (rclc-calls.c). Not installed.
 */
#ifndef RCLC_INTERNAL_H
#define RCLC_INTERNAL_H

#include "reclaim-client-pb.h"

#define RCLC_WANT_ANY	(-1)	/* rclc_exec: hand decode every answer, refusals included */

/* Where a typed call's answer goes: the caller's pointers and a few values, copied into the
 * request in flight so that an asynchronous call's own stack may be gone by then. */
struct rclc_out {
	void *p[4];
	uint64_t u[2];
	size_t n;
};

/* Fill OUT from an accepted answer (*RESPP, which it may take: then it sets *RESPP NULL).
 * 0 or -errno (with rclc_set_error). */
typedef int (*rclc_decode_fn)(struct rclc *c, Reclaim__V1__Response **respp,
			      const struct rclc_out *out);

/*
 * Send REQ and complete it with DECODE once its answer, whose msg_case must be WANT, arrives:
 * at once, or later if rclc_async armed this call. A refusal completes it with the server's
 * errno and message. 0 or -errno.
 */
int rclc_exec(struct rclc *c, Reclaim__V1__Request *req, int want, rclc_decode_fn decode,
	      const struct rclc_out *out);

/* Fail a call before it is sent (bad arguments): ERR with MESSAGE, and an rclc_async that
 * armed it is spent, as it would be by a call that was sent. */
int rclc_fail_early(struct rclc *c, int err, const char *message);

/* Set rclc_last_error (and rclc_last_code: 0 for a failure that is not a refusal). 0. */
int rclc_set_error(struct rclc *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A subscription the server took, with the queue length it keeps for it (0: not said): the
 * library keeps no more of its events while the program is in other calls. -ENOMEM. */
int rclc_sub_track(struct rclc *c, uint64_t id, uint32_t queue_len);
/* The program unsubscribed ID and the server answered: no more of its events come. */
void rclc_sub_forget(struct rclc *c, uint64_t id);

/* ---- MapRegion's descriptors (rclc-map.c) ---- */

#define RCLC_MAX_FDS	3	/* the most an answer carries: MapRegion's memfd, device, hints */

/* Keep (ON) the SCM_RIGHTS descriptors that come with answers, for rclc_fds_take. */
void rclc_fds_expect(struct rclc *c, bool on);
/* Move the kept descriptors to FDS (RCLC_MAX_FDS room); how many. */
unsigned int rclc_fds_take(struct rclc *c, int *fds);
/* Nothing in flight, nothing read ahead, not broken: the next bytes are the next answer's. */
bool rclc_idle(const struct rclc *c);
/* Send LEN raw bytes with FD (if >= 0) riding on them as SCM_RIGHTS. 0 or -errno. */
int rclc_send_fd(struct rclc *c, const void *bytes, size_t len, int fd);
/* rclc_close: drop the connection's mappings (munmap, close their userfaultfds). */
void rclc_map_forget(struct rclc *c);

#endif
