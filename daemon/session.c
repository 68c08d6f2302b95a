/*
 * session.c - one connection: read frames, run its requests one at a time in arrival order
 * (on the loop or on a worker), write the answers in the same order, close cleanly.
 *
 * A call is one request on its way through the session. Calls queue in arrival order; only
 * the head runs. A call whose Response already has a Status (a frame error, a refusal, a
 * shutdown) is answered without running. Reading pauses while max-pipeline calls are queued
 * or while more than SESSION_OUT_HIGH bytes wait to be sent, so a client that does not read
 * cannot make the daemon buffer without bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "dispatch.h"
#include "fdlimit.h"
#include "frame.h"
#include "log.h"
#include "mapfd.h"
#include "rawpages.h"
#include "server.h"
#include "session.h"
#include "registry.h"
#include "status.h"
#include "subscribe.h"
#include "fileio.h"
#include "workers.h"

/* Bytes asked for per readiness event: room for a whole pipeline of page-sized requests, so
 * that one readv takes everything the peer sent since the last one. */
#define SESSION_READ_CHUNK	(256u << 10)
#define SESSION_OUT_HIGH	(1u << 20)	/* stop running calls above this much output */

const char *const session_state_str[_SESSION_STATE_MAX] = {
	[SESSION_NEW] = "new",
	[SESSION_READY] = "ready",
	[SESSION_DRAINING] = "draining",
	[SESSION_CLOSED] = "closed",
};

struct call {
	TAILQ_ENTRY(call) link;		/* in session->calls */
	struct job job;			/* while on a worker */
	struct session *session;	/* borrowed; a reference is held while on a worker */
	Request *req;			/* owned; NULL for a frame-level error */
	Response *resp;			/* owned; a Status set means "answer without running" */
	const struct dispatch_entry *entry; /* set once admitted */
	bool on_worker;			/* was handed to a worker (for the counters) */
	bool strings_utf8;		/* its frame's strings were seen to be UTF-8 */
	uint32_t frame_bytes;		/* of its frame, in session->queued_bytes until freed */
	struct req_ctx ctx;		/* the handler's view of the connection */
};

static void session_process(struct session *session);
static void session_workers_freed(struct server *s);

static struct call *call_new(struct session *session, Request *req)
{
	struct call *call = calloc(1, sizeof(*call));

	if (!call)
		return NULL;
	call->resp = malloc(sizeof(*call->resp));
	if (!call->resp) {
		free(call);
		return NULL;
	}
	reclaim__v1__response__init(call->resp);
	call->session = session;
	call->req = req;
	call->resp->id = req ? req->id : 0;
	call->ctx = (struct req_ctx){
		.server = session->server,
		.engine = session->server->engine,
		.config = session->server->config,
		.session_id = session->id,
		.pid = session->cred.pid,
		.uid = session->cred.uid,
		.gid = session->cred.gid,
		.groups = session->groups,
		.nr_groups = session->nr_groups,
		.admin = session->admin,
		.memcg = session->memcg,
		.files = session->files,
		.name = "request",
		.cancel = &session->closed,
	};
	return call;
}

/* The request's name for messages: "alloc pages", or "request" if unknown. */
static const char *call_name(const struct call *call)
{
	const struct dispatch_entry *e = call->req ? dispatch_lookup(call->req->msg_case) : NULL;

	return e ? e->name : "request";
}

static void inbound_freed(struct session *session);

static void call_free(struct call *call)
{
	if (call->frame_bytes) {
		call->session->queued_bytes -= call->frame_bytes;
		inbound_freed(call->session);
	}
	if (call->req)
		frame_request_free(call->req);
	reclaim__v1__response__free_unpacked(call->resp, NULL);
	free(call);
}

/* Queue CALL; on ENOMEM there is no way to answer in order, so the connection closes. */
static void session_enqueue(struct session *session, struct call *call)
{
	TAILQ_INSERT_TAIL(&session->calls, call, link);
	session->nr_calls++;
}

/*
 * The hang-up watch. A session that is not read (a full pipeline, a frame waiting for its
 * uid's share, a descriptor exchange) would not see its client go, and a long call of a
 * client gone would run on, its queued calls after it. So while reading is paused, an
 * edge-triggered event on a duplicate of the socket looks for the hang-up (POLLRDHUP) at
 * each edge, unread bytes or not. A duplicate: libevent cannot mix edge- and level-triggered
 * events on one descriptor, and the read event is level-triggered. (EV_CLOSED alone is not
 * delivered on a full hang-up under epoll.)
 */
static void on_hup(evutil_socket_t fd, short what, void *arg)
{
	struct session *session = arg;
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	(void)what;
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
		log_debug("connection %llu: closed by the peer while not read",
			  (unsigned long long)session->id);
		session_close(session);
	}
}

static void session_hup_watch(struct session *session, bool on)
{
	if (!on) {
		if (session->ev_hup) {
			event_free(session->ev_hup);
			session->ev_hup = NULL;
			close(session->hup_fd);
		}
		return;
	}
	if (session->ev_hup || session->fd < 0)
		return;
	session->hup_fd = fcntl(session->fd, F_DUPFD_CLOEXEC, 0);
	if (session->hup_fd < 0)
		return;		/* no descriptor to spare: it is seen when read again */
	session->ev_hup = event_new(session->server->base, session->hup_fd,
				    EV_READ | EV_ET | EV_PERSIST, on_hup, session);
	if (!session->ev_hup || event_add(session->ev_hup, NULL) < 0) {
		if (session->ev_hup)
			event_free(session->ev_hup);
		session->ev_hup = NULL;
		close(session->hup_fd);
	}
}

static void session_pause_reading(struct session *session)
{
	if (session->reading) {
		event_del(session->ev_read);
		session->reading = false;
		session_hup_watch(session, true);
	}
}

static void session_resume_reading(struct session *session)
{
	if (!session->reading && session->state <= SESSION_READY && !session->xfer &&
	    !session->inbound_held) {
		event_add(session->ev_read, NULL);
		session->reading = true;
		session_hup_watch(session, false);
	}
}

/*
 * A frame is decoded only once it is whole, so the bytes of frames still arriving sit in the
 * connections' buffers: up to max-frame each, a gigabyte for a uid's 64 connections that
 * start frames and never end them; and a decoded request waits in its connection's queue
 * until it has run, max-pipeline of them. Both count in the uid's share, INBOUND_FRAMES
 * frames' worth. A frame longer than one read has its whole length set aside from the share
 * before more of it is read; one that finds too little left waits, its connection not read,
 * until room is made (a frame pulled, a queued request done, a connection closed). A frame
 * with its share set aside is always read to its end, so the uid's connections never all
 * wait for each other. Root and the admin group are not held.
 */
#define INBOUND_FRAMES	4

static uint64_t inbound_share(const struct server *s)
{
	return INBOUND_FRAMES * (s->config->max_frame_bytes + FRAME_HEADER_BYTES);
}

static uint64_t inbound_reserved_of_uid(const struct server *s, uid_t uid)
{
	const struct session *other;
	uint64_t n = 0;

	TAILQ_FOREACH(other, &s->sessions, link)
		if (other->cred.uid == uid)
			n += other->inbound_reserved + other->queued_bytes;
	return n;
}

/* The body length of a frame still arriving at the head of @session's input, past one
 * read's worth of it: true with *ret_body, or false (whole, over the limit, or small). */
static bool inbound_partial(const struct session *session, uint32_t *ret_body)
{
	const struct daemon_config *cfg = session->server->config;
	size_t len = evbuffer_get_length(session->in);
	uint8_t header[FRAME_HEADER_BYTES];

	return len > SESSION_READ_CHUNK &&
	       evbuffer_copyout(session->in, header, sizeof(header)) == (ssize_t)sizeof(header) &&
	       frame_peek(header, len, (uint32_t)cfg->max_frame_bytes, ret_body) == FRAME_NEED_MORE;
}

/* Set the frame's whole length aside if its uid's share has room; *ret_taken: what the uid's
 * other frames take. */
static bool inbound_take(struct session *session, uint32_t body, uint64_t *ret_taken)
{
	uint64_t share = inbound_share(session->server);

	*ret_taken = inbound_reserved_of_uid(session->server, session->cred.uid);
	if (*ret_taken + FRAME_HEADER_BYTES + body > share)
		return false;
	session->inbound_reserved = FRAME_HEADER_BYTES + body;
	return true;
}

static void session_inbound_hold(struct session *session, const char *what, uint64_t taken)
{
	static struct log_ratelimit held;

	session->inbound_held = true;
	session->server->nr_inbound_held++;
	session_pause_reading(session);
	if (log_ratelimit(&held))
		log_info("connection %llu (uid %u): %s waits: the uid's frames arriving and "
			 "requests queued take %" PRIu64 " of its %" PRIu64 " bytes",
			 (unsigned long long)session->id, (unsigned int)session->cred.uid, what,
			 taken, inbound_share(session->server));
}

/*
 * After a read and its parse: a frame still not whole, past one read's worth, has its share
 * or waits for it, not read meanwhile; and a connection whose decoded requests wait to run
 * (its client not taking its answers, say) reads no more while its uid's share is used up.
 */
static void session_inbound_reserve(struct session *session)
{
	uint64_t share = inbound_share(session->server), taken;
	char what[48];
	uint32_t body;

	if (session->admin || session->inbound_held || session->state > SESSION_READY)
		return;
	if (!session->inbound_reserved && inbound_partial(session, &body)) {
		if (!inbound_take(session, body, &taken)) {
			snprintf(what, sizeof(what), "a frame of %u bytes", body);
			session_inbound_hold(session, what, taken);
		}
		return;
	}
	if (session->queued_bytes > SESSION_READ_CHUNK &&
	    (taken = inbound_reserved_of_uid(session->server, session->cred.uid)) > share)
		session_inbound_hold(session, "reading", taken);
}

/*
 * Room was made in @uid's share (a frame set aside for was pulled, a queued request was
 * done, a connection closed): the uid's held connections that now find room are read again,
 * a frame still arriving only with its length set aside first. Only those: one resumed
 * without room would read another chunk before it was held again, and every release would
 * let every held frame in a chunk further.
 */
static void inbound_wake_held(struct server *s, uid_t uid)
{
	uint64_t share = inbound_share(s);
	struct session *other;
	uint64_t taken;
	uint32_t body;

	TAILQ_FOREACH(other, &s->sessions, link) {
		if (other->cred.uid != uid || !other->inbound_held)
			continue;
		if (inbound_partial(other, &body)) {
			if (!inbound_take(other, body, &taken))
				continue;
		} else if (inbound_reserved_of_uid(s, uid) >= share) {
			continue;
		}
		other->inbound_held = false;
		s->nr_inbound_held--;
		session_resume_reading(other);
	}
}

/* Bytes of @session left its uid's share (a queued request freed, a reservation dropped). */
/*
 * Answers a client has not read are the daemon's memory as much as frames it has not read:
 * a uid's count in the same share. Reading pauses per connection over SESSION_OUT_HIGH, but
 * the call that starts below it may answer up to a frame's worth: 63 connections of one uid
 * that sent a read of 16 MiB each and read nothing held a gigabyte. So while a uid's unread
 * answers fill its share, none of its calls starts; the peer reading them lets the rest go on
 * (session_out_wake). Counted as they are queued and sent (an evbuffer callback), only for
 * clients that are not admins; the walk over a uid's sessions happens only while all such
 * clients' unread answers together pass one share.
 */
static void out_counted(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct server *s = arg;

	(void)buf;
	s->out_queued += info->n_added;
	s->out_queued -= info->n_deleted;
}

static bool session_out_over(const struct session *session)
{
	const struct server *s = session->server;
	const struct session *other;
	uint64_t n = 0, share = inbound_share(s);

	if (session->admin || s->out_queued <= share)
		return false;
	TAILQ_FOREACH(other, &s->sessions, link)
		if (other->cred.uid == session->cred.uid)
			n += evbuffer_get_length(other->out);
	return n > share;
}

static void session_process(struct session *session);

/* Answers of @uid were read or dropped: calls of the uid that waited for that may start. */
static void out_wake_uid(struct server *s, uid_t uid)
{
	struct session *other;

again:
	if (!s->nr_out_wait)
		return;
	TAILQ_FOREACH(other, &s->sessions, link) {
		if (!other->out_wait || other->cred.uid != uid)
			continue;
		if (session_out_over(other))
			return;
		other->out_wait = false;
		s->nr_out_wait--;
		/* It may close others (a failed flush): the walk starts again, one fewer waiting. */
		session_process(other);
		goto again;
	}
}

static void session_out_wake(struct session *session)
{
	if (!session->admin)
		out_wake_uid(session->server, session->cred.uid);
}

static void session_out_unwait(struct session *session)
{
	if (session->out_wait) {
		session->out_wait = false;
		session->server->nr_out_wait--;
	}
}

static void inbound_freed(struct session *session)
{
	if (session->server->nr_inbound_held)
		inbound_wake_held(session->server, session->cred.uid);
}

/* The frame set aside for was pulled, or its connection is done reading. */
static void session_inbound_release(struct session *session)
{
	if (!session->inbound_reserved)
		return;
	session->inbound_reserved = 0;
	inbound_freed(session);
}

/* Stop reading for good: the answers already owed are still sent. */
static void session_drain(struct session *session)
{
	if (session->state >= SESSION_DRAINING)
		return;
	session->state = SESSION_DRAINING;
	session_pause_reading(session);
	evbuffer_drain(session->in, evbuffer_get_length(session->in));
	session_inbound_release(session);
}

/* A frame-level error: answer it with id 0 after everything before it, then close. */
static void session_fail_frame(struct session *session, const char *fmt, uint32_t a, uint32_t b)
{
	static struct log_ratelimit bad_frames;
	struct call *call = call_new(session, NULL);

	if (!call || status_set(call->resp, CODE(PROTOCOL_ERROR), fmt, a, b) < 0) {
		if (call)
			call_free(call);
		session_close(session);
		return;
	}
	/* Anyone who may connect can send frames like it, again and again. */
	if (log_ratelimit(&bad_frames))
		log_info("connection %llu (uid %u): %s, closing", (unsigned long long)session->id,
			 (unsigned int)session->cred.uid, call->resp->status->message);
	session_enqueue(session, call);
	session_drain(session);
}

/* Turn buffered bytes into calls, up to the pipeline limit. */
static void session_parse(struct session *session)
{
	const struct daemon_config *cfg = session->server->config;
	uint32_t max = (uint32_t)cfg->max_frame_bytes, len = 0;

	while (session->state <= SESSION_READY) {
		struct frame_strings strings = { NULL, false };
		struct call *call;
		Request *req = NULL;
		int ret;

		if (session->nr_calls >= cfg->max_pipeline) {
			session_pause_reading(session);
			return;
		}
		ret = frame_pull_request(session->in, max, &req, &len, &strings);
		if (ret == FRAME_NEED_MORE)
			break;
		if (ret == FRAME_READY || ret == -EBADMSG)
			session_inbound_release(session);	/* that frame is out of the buffer */
		if (ret == -EMSGSIZE) {
			session_fail_frame(session, "frame of %u bytes is over the limit of %u bytes",
					   len, max);
			return;
		}
		if (ret == -EBADMSG) {
			session_fail_frame(session, "undecodable frame of %u bytes (limit %u)", len,
					   max);
			return;
		}
		if (ret < 0 || !(call = call_new(session, req))) {
			if (req)
				frame_request_free(req);
			log_err("connection %llu: out of memory, closing",
				(unsigned long long)session->id);
			session_close(session);
			return;
		}
		if (strings.nul_field)	/* answered without running, as a status set means */
			dispatch_refuse_nul(req, strings.nul_field, call->resp);
		call->strings_utf8 = strings.all_utf8;
		/* Counted in the uid's share until done (session_inbound_reserve). */
		call->frame_bytes = FRAME_HEADER_BYTES + len;
		session->queued_bytes += call->frame_bytes;
		session_enqueue(session, call);
	}
	session_resume_reading(session);
}

/* Send what is buffered; arm the write event for the rest. false if the peer is gone. */
static bool session_flush(struct session *session)
{
	int n;

	if (evbuffer_get_length(session->out) == 0)
		return true;
	n = evbuffer_write(session->out, session->fd);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		log_debug("connection %llu: write failed: %m", (unsigned long long)session->id);
		session_close(session);
		return false;
	}
	if (evbuffer_get_length(session->out) > 0)
		event_add(session->ev_write, NULL);
	return true;
}

/* One more request answered: count it, and where it ran. */
static void session_count(struct session *session, const struct call *call)
{
	struct server *s = session->server;

	atomic_fetch_add_explicit(&s->nr_requests, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(call->on_worker ? &s->nr_requests_worker : &s->nr_requests_loop,
				  1, memory_order_relaxed);
}

/* A MapRegion answer that carries descriptors: mapfd.c sends it on the raw socket. */
static void session_answer_map(struct session *session, struct call *call)
{
	struct evbuffer *frame = evbuffer_new();
	struct mapping *m = call->ctx.map;

	if (!frame || frame_push_response(frame, call->resp) < 0) {
		if (frame)
			evbuffer_free(frame);
		log_err("connection %llu: cannot queue an answer, closing",
			(unsigned long long)session->id);
		call_free(call);
		session_close(session);	/* its cleanup forgets the mapping */
		return;
	}
	session_count(session, call);
	call_free(call);
	session_pause_reading(session);
	mapfd_xfer_begin(session, m, frame);
}

/* The head call is done: send its answer and forget it. */
static void session_answer(struct session *session, struct call *call)
{
	TAILQ_REMOVE(&session->calls, call, link);
	session->nr_calls--;
	if (call->ctx.map && call->resp->status && call->resp->status->code == CODE(OK)) {
		session_answer_map(session, call);
		return;
	}
	if (frame_push_response(session->out, call->resp) < 0) {
		log_err("connection %llu: cannot queue an answer, closing",
			(unsigned long long)session->id);
		call_free(call);
		session_close(session);
		return;
	}
	session_count(session, call);
	call_free(call);
}

/* What a successful call changes in the session itself: Hello names it, Subscribe starts
 * delivering (after this answer, which is queued first). */
static void session_after_run(struct session *session, struct call *call)
{
	const Request *req = call->req;

	if (call->resp->status->code != CODE(OK))
		return;
	if (req->msg_case == REQ(SUBSCRIBE) && call->resp->msg_case == RESP(SUBSCRIBE)) {
		subs_bind(session->server->subs, call->resp->subscribe->subscription_id, session);
		return;
	}
	if (req->msg_case != REQ(HELLO))
		return;
	snprintf(session->name, sizeof(session->name), "%s", req->hello->client_name);
	snprintf(session->memcg, sizeof(session->memcg), "%s", req->hello->memcg);
	if (session->state == SESSION_NEW) {
		session->state = SESSION_READY;
		log_debug("connection %llu: hello from '%s' (pid %d, uid %u)",
			  (unsigned long long)session->id, session->name, (int)session->cred.pid,
			  (unsigned int)session->cred.uid);
	}
}

static void call_run(struct job *job)
{
	struct call *call = (struct call *)((char *)job - offsetof(struct call, job));

	dispatch_run(call->entry, &call->ctx, call->req, call->resp);
}

static void call_done(struct job *job)
{
	struct call *call = (struct call *)((char *)job - offsetof(struct call, job));
	struct session *session = call->session;

	session->running = false;
	TAILQ_REMOVE(&session->server->on_workers, session, run_link);
	atomic_fetch_sub(&session->server->nr_on_workers, 1);
	if (session->state == SESSION_CLOSED) {
		TAILQ_REMOVE(&session->calls, call, link);
		session->nr_calls--;
		call_free(call);
		session_workers_freed(session->server);
	} else {
		session_after_run(session, call);
		session_answer(session, call);
		/* Those waiting first: this session's next call goes behind them. */
		session_workers_freed(session->server);
		session_process(session);
	}
	session_unref(session);
}

/*
 * The workers run what may block, a call at a time each; a call may run for long (a discarding
 * read of terabytes, a fill), and a client may send one on every connection. So that one uid
 * cannot take every worker from the others, and nobody from root: while more than one worker
 * runs, one of them is kept for root and the admin group, and a uid that is neither may have
 * at most half of the rest (one at least). A call with no worker to be had waits until a
 * worker is done (session_workers_freed); the waiting go in their order, each as soon as its
 * uid may have a worker, and a new call that could have one goes behind a waiting one that
 * could too. What runs is counted by server->on_workers, which keeps a session whose client
 * has gone until its call is done: a call that goes on after its client has closed still
 * holds its worker.
 */
static bool session_worker_room(const struct session *session)
{
	const struct server *s = session->server;
	unsigned int workers = s->config->workers, shared, mine = 0, others = 0;
	const struct session *other;

	if (session->admin || workers < 2)
		return true;
	shared = workers - 1;
	TAILQ_FOREACH(other, &s->on_workers, run_link) {
		if (other->admin)
			continue;
		if (other->cred.uid == session->cred.uid)
			mine++;
		else
			others++;
	}
	return mine + others < shared && mine < (shared + 1) / 2;
}

/* Whether a session that waits for a worker before @session may have one now. */
static bool session_worker_queued_before(const struct session *session)
{
	const struct session *waiter;

	TAILQ_FOREACH(waiter, &session->server->worker_waiters, wait_link)
		if (waiter != session && session_worker_room(waiter))
			return true;
	return false;
}

static void session_worker_wait(struct session *session)
{
	if (!session->worker_wait) {
		session->worker_wait = true;
		TAILQ_INSERT_TAIL(&session->server->worker_waiters, session, wait_link);
		atomic_fetch_add(&session->server->nr_worker_waiters, 1);
	}
}

static void session_worker_unwait(struct session *session)
{
	if (session->worker_wait) {
		session->worker_wait = false;
		TAILQ_REMOVE(&session->server->worker_waiters, session, wait_link);
		atomic_fetch_sub(&session->server->nr_worker_waiters, 1);
	}
}

/* A worker is done: the waiting sessions that may have one now go on, in their order. Each
 * that goes on may take that worker: the list is looked at again after each, until none of
 * those still waiting may go. */
static void session_workers_freed(struct server *s)
{
	struct session *session;
	bool went = true;

	while (went) {
		went = false;
		TAILQ_FOREACH(session, &s->worker_waiters, wait_link) {
			if (!session_worker_room(session))
				continue;
			session_worker_unwait(session);
			session->worker_granted = true;	/* its turn: those behind it wait */
			session_ref(session);
			session_process(session);
			session_unref(session);
			went = true;
			break;
		}
	}
}

/* Start the head call. true if it was answered (run on the loop or refused), false if it went
 * to a worker or waits for one. */
static bool session_start(struct session *session, struct call *call)
{
	struct server *s = session->server;

	if (!call->resp->status &&
	    dispatch_admit(call->req, &call->ctx, call->strings_utf8, session->state != SESSION_NEW,
			   s->stopping, call->resp, &call->entry)) {
		session->mutated |= call->entry->flags & DISPATCH_MUTATES;
		if ((call->entry->flags & DISPATCH_MAY_BLOCK) &&
		    dispatch_run_fast(call->entry, &call->ctx, call->req, call->resp)) {
			session_after_run(session, call);
		} else if (call->entry->flags & DISPATCH_MAY_BLOCK) {
			bool granted = session->worker_granted;

			session->worker_granted = false;
			if (!session->admin && (!session_worker_room(session) ||
			    (!granted && session_worker_queued_before(session)))) {
				session_worker_wait(session);
				return false;
			}
			call->job.run = call_run;
			call->job.done = call_done;
			session_ref(session);
			session->running = true;
			TAILQ_INSERT_TAIL(&s->on_workers, session, run_link);
			atomic_fetch_add(&s->nr_on_workers, 1);
			call->on_worker = true;
			if (workers_submit(s->workers, &call->job) == 0)
				return false;
			call->on_worker = false;
			session->running = false;
			TAILQ_REMOVE(&s->on_workers, session, run_link);
			atomic_fetch_sub(&s->nr_on_workers, 1);
			session_unref(session);
			status_set(call->resp, CODE(UNAVAILABLE), "%s: reclaimd is shutting down",
				   call->entry->name);
		} else {
			dispatch_run(call->entry, &call->ctx, call->req, call->resp);
			session_after_run(session, call);
		}
	}
	session_answer(session, call);
	return true;
}

/* Run, answer and read as far as possible; close a draining session with nothing left. */
static void session_process(struct session *session)
{
	struct call *call;

	while (session->state != SESSION_CLOSED && !session->running && !session->xfer &&
	       !session->worker_wait) {
		if (evbuffer_get_length(session->out) > SESSION_OUT_HIGH)
			break;		/* on_write comes back here once the peer reads */
		call = TAILQ_FIRST(&session->calls);
		if (call && session_out_over(session)) {
			if (!session->out_wait) {
				session->out_wait = true;
				session->server->nr_out_wait++;
				if (log_ratelimit(&session->server->out_said))
					log_info("connection %" PRIu64 " (uid %u): calls wait: the "
						 "uid's answers unread take over its %" PRIu64
						 " bytes", session->id,
						 (unsigned int)session->cred.uid,
						 inbound_share(session->server));
			}
			break;		/* session_out_wake comes back here */
		}
		if (call)
			session_out_unwait(session);
		if (!call) {
			if (session->state > SESSION_READY || evbuffer_get_length(session->in) == 0)
				break;
			session_parse(session);
			if (TAILQ_EMPTY(&session->calls))
				break;
			continue;
		}
		session_start(session, call);
	}
	if (session->state == SESSION_CLOSED || !session_flush(session))
		return;
	if (session->xfer) {
		if (evbuffer_get_length(session->out) == 0)
			mapfd_xfer_out_drained(session);
		return;
	}
	if (session->nr_calls < session->server->config->max_pipeline)
		session_resume_reading(session);
	if (session->state == SESSION_DRAINING && TAILQ_EMPTY(&session->calls) &&
	    evbuffer_get_length(session->out) == 0)
		session_close(session);
}

/*
 * Read what the socket holds into IN with one readv, straight into the buffer's free space:
 * bytes read, 0 at EOF, -1 with errno. Not evbuffer_read, which asks the socket how much it
 * holds (ioctl FIONREAD) before every read: a second syscall per readiness event.
 */
static ssize_t session_read(struct session *session, int fd)
{
	struct evbuffer_iovec vec[2];
	ssize_t n, left;
	int nvec, i;

	nvec = evbuffer_reserve_space(session->in, SESSION_READ_CHUNK, vec, 2);
	if (nvec < 1) {
		errno = ENOMEM;
		return -1;
	}
	n = readv(fd, (struct iovec *)vec, nvec);
	if (n <= 0) {
		int err = errno;

		evbuffer_commit_space(session->in, vec, 0);	/* gives the room back */
		errno = err;
		return n;
	}
	for (i = 0, left = n; i < nvec; i++) {
		if ((size_t)left < vec[i].iov_len)
			vec[i].iov_len = (size_t)left;
		left -= (ssize_t)vec[i].iov_len;
	}
	evbuffer_commit_space(session->in, vec, nvec);
	return n;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct session *session = arg;
	ssize_t n = session_read(session, fd);

	if (n == 0) {
		size_t left = evbuffer_get_length(session->in);

		static struct log_ratelimit cut;

		if (left && log_ratelimit(&cut))	/* anyone who may connect can do it */
			log_info("connection %llu (uid %u): closed in the middle of a frame "
				 "(%zu bytes of it received)", (unsigned long long)session->id,
				 (unsigned int)session->cred.uid, left);
		else
			log_debug("connection %llu: closed by the peer",
				  (unsigned long long)session->id);
		session_close(session);
		return;
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_debug("connection %llu: read failed: %m", (unsigned long long)session->id);
		session_close(session);
		return;
	}
	session_parse(session);
	session_inbound_reserve(session);
	session_process(session);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct session *session = arg;

	/* session_flush, not evbuffer_write: the answers may all have gone out meanwhile (a
	 * call's completion flushes too), and evbuffer_write of an empty buffer returns -1
	 * without setting errno, which closed the connection on whatever errno held. */
	(void)fd;
	if (!session_flush(session))
		return;
	if (evbuffer_get_length(session->out) == 0)
		event_del(session->ev_write);
	if (!TAILQ_EMPTY(&session->subs))
		subs_session_writable(session->server->subs, session);
	session_process(session);
	session_out_wake(session);
}

void session_send_buffer(struct session *session, struct evbuffer *buf)
{
	if (session->state == SESSION_CLOSED)
		return;
	if (evbuffer_add_buffer(session->out, buf) < 0) {
		session_close(session);
		return;
	}
	if (session_flush(session) && evbuffer_get_length(session->out) > 0)
		event_add(session->ev_write, NULL);
}

void session_xfer_done(struct session *session)
{
	session_process(session);
}

int session_push(struct session *session, const Response *resp)
{
	if (session->state == SESSION_CLOSED)
		return 0;
	if (frame_push_response(session->out, resp) < 0)
		return -ENOMEM;
	if (session_flush(session) && evbuffer_get_length(session->out) > 0)
		event_add(session->ev_write, NULL);
	return 0;
}

size_t session_out_len(const struct session *session)
{
	return evbuffer_get_length(session->out);
}

/*
 * The peer's supplementary groups as of connect(), as SO_PEERCRED's uid and gid are: what
 * open(2) would judge it by, and not the group database's idea (which the client may have
 * dropped, as setpriv --clear-groups does). Without them only the primary gid counts, which
 * can only narrow what the client may open.
 */
static void peer_groups(struct session *session)
{
	socklen_t len = 64 * sizeof(gid_t);
	int tries;

	for (tries = 0; tries < 2; tries++) {
		gid_t *g = realloc(session->groups, len ? len : sizeof(gid_t));

		if (!g)
			break;
		session->groups = g;
		if (getsockopt(session->fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
			session->nr_groups = len / sizeof(gid_t);
			return;
		}
		if (errno != ERANGE)	/* ERANGE: LEN now holds the size needed */
			break;
	}
	log_debug("cannot read the supplementary groups of a connection: %m");
	session->nr_groups = 0;
}

int session_new(struct server *s, int fd, const struct ucred *cred, bool admin,
		struct session **ret)
{
	struct session *session = calloc(1, sizeof(*session));

	if (!session) {
		close(fd);
		return -ENOMEM;
	}
	session->server = s;
	session->fd = fd;
	session->refcount = 1;
	session->id = ++s->next_session_id;
	session->cred = *cred;
	session->admin = admin;
	peer_groups(session);
	session->files = fileio_table_new(session->admin ? NULL : fd_client_room);
	TAILQ_INIT(&session->calls);
	TAILQ_INIT(&session->subs);
	session->in = evbuffer_new();
	session->out = evbuffer_new();
	session->ev_read = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read, session);
	session->ev_write = event_new(s->base, fd, EV_WRITE | EV_PERSIST, on_write, session);
	if (!session->in || !session->out || !session->ev_read || !session->ev_write ||
	    !session->files) {
		session->state = SESSION_CLOSED;
		session_free(session);	/* closes fd */
		return -ENOMEM;
	}
	if (!admin && !(session->out_cb = evbuffer_add_cb(session->out, out_counted, s))) {
		session->state = SESSION_CLOSED;
		session_free(session);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&s->sessions, session, link);
	s->nr_sessions++;
	session_resume_reading(session);
	*ret = session;
	return 0;
}

void session_shutdown(struct session *session)
{
	struct call *call;

	if (session->state == SESSION_CLOSED)
		return;
	session_worker_unwait(session);		/* its head call is answered with the rest */
	TAILQ_FOREACH(call, &session->calls, link) {
		if (session->running && call == TAILQ_FIRST(&session->calls))
			continue;
		if (!call->resp->status)
			status_set(call->resp, CODE(UNAVAILABLE), "%s: reclaimd is shutting down",
				   call_name(call));
	}
	session_drain(session);
	session_process(session);
}

void session_close(struct session *session)
{
	struct call *call, *next;

	if (session->state == SESSION_CLOSED)
		return;
	session->state = SESSION_CLOSED;
	atomic_store_explicit(&session->closed, true, memory_order_relaxed);
	if (session->inbound_held) {
		session->inbound_held = false;
		session->server->nr_inbound_held--;
	}
	session_inbound_release(session);
	session_out_unwait(session);
	session_worker_unwait(session);
	mapfd_xfer_abort(session);
	event_del(session->ev_read);
	event_del(session->ev_write);
	session_hup_watch(session, false);
	session->reading = false;
	for (call = TAILQ_FIRST(&session->calls); call; call = next) {
		next = TAILQ_NEXT(call, link);
		if (session->running && call == TAILQ_FIRST(&session->calls))
			continue;	/* call_done frees it */
		TAILQ_REMOVE(&session->calls, call, link);
		session->nr_calls--;
		call_free(call);
	}
	close(session->fd);
	session->fd = -1;
	log_debug("connection %llu: closed", (unsigned long long)session->id);
	server_session_closed(session->server, session);
}

void session_ref(struct session *session)
{
	session->refcount++;
}

void session_unref(struct session *session)
{
	if (--session->refcount == 0)
		server_session_release(session->server, session);
}

/* What a closed connection leaves behind in the engine, freed on a worker. */
struct cleanup {
	struct job job;
	struct server *server;
	uint64_t session_id;
	struct fileio_table *files;	/* its open files */
};

static void cleanup_run(struct job *job)
{
	struct cleanup *c = (struct cleanup *)job;
	struct server *s = c->server;
	unsigned int raw, regions;

	fileio_table_free(s->engine, c->files);
	/* Mappings first: their pages go back to the region before it may be freed. */
	mapfd_release_session(s->mapfd, c->session_id);
	raw = rawpages_release_session(s->raw, s->engine, c->session_id);
	regions = registry_release_session(s->registry, s->engine, s->raw, c->session_id);
	if (raw || regions)
		log_debug("connection %llu: freed %u raw allocations and %u regions it left "
			  "behind", (unsigned long long)c->session_id, raw, regions);
}

static void cleanup_done(struct job *job)
{
	struct server *s = ((struct cleanup *)job)->server;

	free(job);
	server_check_done(s);
}

/*
 * Close the connection's open files, free its raw pages, mappings and non-persistent regions:
 * on a worker, since the engine may have to wait for its lock; here when there are no workers
 * any more (shutdown). A connection that never made a request that changes state (@mutated
 * false: status, stat, subscriptions) left none of them, and costs the workers nothing: a
 * client that connects, looks and hangs up again and again must not keep them busy.
 */
static void session_cleanup(struct server *s, uint64_t session_id, struct fileio_table *files,
			    bool mutated)
{
	struct cleanup *c;
	struct cleanup local = { .server = s, .session_id = session_id, .files = files };

	if (!mutated) {
		fileio_table_free(s->engine, files);	/* empty: only FILE_* calls fill it */
		return;
	}
	s->nr_cleanups++;
	c = malloc(sizeof(*c));
	if (c) {
		*c = local;
		c->job.run = cleanup_run;
		c->job.done = cleanup_done;
		if (workers_submit(s->workers, &c->job) == 0)
			return;
		free(c);
	}
	cleanup_run(&local.job);
}

void session_free(struct session *session)
{
	struct server *s = session->server;
	bool waker = false;
	uid_t uid;

	subs_release_session(s->subs, session->id);
	session_cleanup(s, session->id, session->files, session->mutated);
	if (session->ev_read)
		event_free(session->ev_read);
	if (session->ev_write)
		event_free(session->ev_write);
	if (session->in)
		evbuffer_free(session->in);
	if (session->out_cb) {
		/* Freed unread: out of the count, as it would have been sent. */
		evbuffer_remove_cb_entry(session->out, session->out_cb);
		s->out_queued -= evbuffer_get_length(session->out);
		session->out_cb = NULL;
		if (evbuffer_get_length(session->out))
			waker = true;
	}
	if (session->out)
		evbuffer_free(session->out);
	if (session->fd >= 0)
		close(session->fd);
	uid = session->cred.uid;
	free(session->groups);
	free(session);
	if (waker)
		out_wake_uid(s, uid);
}
