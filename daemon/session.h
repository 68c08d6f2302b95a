/*
 * session.h - one client connection.
 *
 * States (enum session_state), all on the loop thread:
 *
 *        accept
 *          |
 *          v         Hello OK                     error frame / shutdown
 *      SESSION_NEW ----------> SESSION_READY -----------------------------+
 *          |                        |                                     v
 *          +--------- EOF, I/O error, deadline ------------------> SESSION_DRAINING
 *                                   |                                     |
 *                                   v           queue empty, output sent |
 *                             SESSION_CLOSED <----------------------------+
 *                                   |
 *                                   v  refcount 0 (no call on a worker)
 *                                 freed (from the loop, via the server's graveyard)
 *
 *   NEW       reading; only Hello is admitted, anything else answers PROTOCOL_ERROR
 *   READY     reading and running requests in order, one at a time
 *   DRAINING  not reading; the queue is answered (queued requests fail with UNAVAILABLE
 *             on shutdown), the output is flushed, then the socket closes
 *   CLOSED    socket closed; only a call still running on a worker holds a reference
 *
 * Transitions: session_new (-> NEW), session_on_read/hello (-> READY), session_drain
 * (-> DRAINING), session_close (-> CLOSED), session_unref (-> freed).
 */
#ifndef RECLAIMD_SESSION_H
#define RECLAIMD_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "wire.h"

struct server;

enum session_state {
	SESSION_NEW,
	SESSION_READY,
	SESSION_DRAINING,
	SESSION_CLOSED,
	_SESSION_STATE_MAX,
};

extern const char *const session_state_str[_SESSION_STATE_MAX];

struct call;
struct sub;
struct evbuffer;
struct mapfd_xfer;

struct session {
	struct server *server;
	uint64_t id;			/* unique for the daemon's life; owner key of objects */
	unsigned int refcount;		/* the server's list + a call running on a worker */
	enum session_state state;
	int fd;
	struct ucred cred;		/* SO_PEERCRED at accept */
	gid_t *groups;			/* SO_PEERGROUPS at accept; fixed from then on */
	size_t nr_groups;
	bool admin;			/* root or the admin group */
	char name[65];			/* Hello.client_name, for the log */
	char memcg[256];		/* Hello.memcg: the client's memcg ("" = "/") */
	struct fileio_table *files;	/* files its buffered I/O holds open (fileio.h) */
	bool mutated;			/* a DISPATCH_MUTATES request was admitted: only
					 * those leave regions, raw pages, mappings or open
					 * files for session_cleanup */

	struct event *ev_read, *ev_write;
	struct event *ev_hup;		/* the hang-up watch while not read, on hup_fd */
	int hup_fd;			/* a duplicate of fd, while ev_hup is */
	struct evbuffer *in, *out;	/* bytes not yet parsed / not yet sent */

	TAILQ_HEAD(, call) calls;	/* requests in arrival order; the head may be running */
	unsigned int nr_calls;
	bool running;			/* the head call is on a worker */
	bool reading;			/* ev_read is armed */
	/* A frame longer than one read: the bytes its whole length takes, set aside from its
	 * uid's share until it has been pulled (session_inbound_reserve); held: none was to be
	 * had, and the session reads no more until another of the uid's frames is done. */
	uint32_t inbound_reserved;
	bool inbound_held;
	uint64_t queued_bytes;		/* frames of its calls not yet freed, in the same share */
	/* Its answers the peer has not read count in its uid's share too: while they fill it,
	 * no call of the uid starts (session_out_over); waiting for that: out_wait. */
	struct evbuffer_cb_entry *out_cb;
	bool out_wait;
	/* The head call waits for a worker (session_worker_room), in server->worker_waiters. */
	bool worker_wait;
	TAILQ_ENTRY(session) wait_link;
	TAILQ_ENTRY(session) run_link;	/* in server->on_workers while its call runs there */
	bool worker_granted;		/* its turn came (session_workers_freed): it goes */
	/* Set when the socket closes (the peer hung up, or shutdown's deadline passed): nobody
	 * will take the running call's answer, and a long one stops at its next step
	 * (req_cancelled) rather than hold its worker, and shutdown, for nothing. */
	_Atomic bool closed;

	TAILQ_HEAD(, sub) subs;		/* bound subscriptions (subscribe.c) */
	/* A MapRegion descriptor exchange in progress (mapfd.c): the session neither reads nor
	 * runs calls until it is over, so that its bytes and descriptors are the next ones. */
	struct mapfd_xfer *xfer;

	TAILQ_ENTRY(session) link;	/* in server->sessions, then server->graveyard */
};

/*
 * Take over the accepted socket FD of server S, whose peer has credentials CRED (ADMIN: root
 * or the admin group). 0 with *ret (in state NEW, reading, listed in S->sessions, one
 * reference held by that list) or -ENOMEM with FD closed.
 */
int session_new(struct server *s, int fd, const struct ucred *cred, bool admin,
		struct session **ret);

/* Stop reading; fail every queued call that is not running with UNAVAILABLE; close once the
 * running call (if any) is answered and the output is flushed. For shutdown. */
void session_shutdown(struct session *session);

/* Close the socket now; calls that are not running are dropped. */
void session_close(struct session *session);

/* Queue RESP (a pushed event) on the connection and start sending it. 0 or -ENOMEM. */
int session_push(struct session *session, const Response *resp);
/* Bytes queued on the connection and not yet sent. */
size_t session_out_len(const struct session *session);

/* Queue the bytes of BUF (drained) on the connection and start sending them. */
void session_send_buffer(struct session *session, struct evbuffer *buf);
/* mapfd.c: the descriptor exchange is over; read and run calls again. */
void session_xfer_done(struct session *session);

void session_ref(struct session *session);
/* Drop a reference; at zero the session is handed to the server to be freed. */
void session_unref(struct session *session);
/* Free a session with no reference left (the server's reaper). */
void session_free(struct session *session);

#endif
