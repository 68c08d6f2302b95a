/*
 * libreclaim-client.c - the client side of the reclaimd wire API: frames over a Unix stream
 * socket, request ids, the queue of requests in flight and their completion in order, and a
 * queue of events pushed while waiting for an answer. The typed calls (rclc-calls.c) are built
 * on rclc_exec() here.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rclc-internal.h"
#include "pb-block.h"
#include "wire-frame.h"
#include "scm-rights.h"

#define RECV_CHUNK	(64u << 10)	/* at most this per recv, beyond the frame being read */
#define SEND_CORK	(64u << 10)	/* asynchronous requests kept until this much is queued */
#define IN_KEEP		(1u << 20)	/* an input buffer grown past this is freed when empty */
#define RESP_BLOCK_MIN	512u		/* an answer's block: this more than its frame, */
#define RESP_BLOCK_MAX	(64u << 10)	/* and at most this (the rest malloc'd piece by piece) */

#define SUB_QUEUE_DEFAULT 65536u	/* a subscription whose queue length the server did not
					 * say (an older server, or one made by a raw request) */

struct push {
	struct push *next;
	Reclaim__V1__Response *resp;
};

/*
 * What the library keeps of one subscription. While the program is in a call that waits for
 * an answer, the events that come first are read off the socket and kept: the server's queue
 * for the subscription stays empty and cannot overflow, so the bound is kept here instead,
 * with the server's meaning. Once QUEUED reaches CAP, the next event ends the subscription:
 * an Overflow follows the events kept, later events are dropped (counted in it while it waits
 * to be taken), and the server is told to unsubscribe at the next send. The record goes when
 * the program unsubscribes, or when the server's answer to our Unsubscribe shows that no more
 * events of it can come.
 */
struct sub {
	uint64_t id;
	uint32_t cap, queued;
	bool ended;				/* overflowed here, or the server ended it */
	bool unsub_due;				/* the server is still to be told */
	bool server_done;			/* it answered that Unsubscribe */
	uint64_t unsub_id;			/* the request id of that Unsubscribe, once sent */
	Reclaim__V1__Response *overflow;	/* our Overflow, not yet taken */
};

/* A request sent and not yet answered. */
struct pending {
	uint64_t id;
	int want;			/* the answer's msg_case, or RCLC_WANT_ANY */
	rclc_decode_fn decode;
	struct rclc_out out;
	rclc_done_fn done;
	void *arg;
};

struct rclc {
	int fd;
	uint64_t next_id;			/* ids start at 1: 0 is the server's */
	int broken;				/* the -errno that broke the connection, or 0 */
	Reclaim__V1__Response *hello;		/* the Hello answer, kept for rclc_server */
	struct push *events, **events_tail;	/* pushed events not yet taken, oldest first */
	struct sub *subs;			/* the subscriptions events came for */
	unsigned int nr_subs, subs_cap;
	/* Bytes read from the socket and not yet taken: answers are parsed in place, and one
	 * recv takes as many as have arrived. */
	uint8_t *in;
	size_t in_off, in_len, in_cap;
	/* Asynchronous requests packed but not yet sent: one send for many (rclc_flush). */
	uint8_t *out;
	size_t out_len, out_cap;
	int send_err;				/* a send failed: answers are still read */
	pid_t pid;				/* the process that opened the connection */
	/* The requests in flight, a ring, oldest at head. */
	struct pending *ring;
	unsigned int head, count, cap;
	/* rclc_async: the next rclc_exec is asynchronous. */
	bool armed;
	rclc_done_fn armed_done;
	void *armed_arg;
	/* MapRegion (rclc-map.c): descriptors that came with the answer are kept here. */
	bool want_fds;
	int fds[RCLC_MAX_FDS];
	unsigned int nr_fds;
	int code;				/* the last refusal's code, or 0 */
	char error[256];			/* the last failure's message */
};

static int broke(struct rclc *c, int err);
static int write_all(struct rclc *c, const uint8_t *p, size_t len);

const char *rclc_socket_path(const char *path)
{
	const char *env = getenv("RECLAIMD_SOCKET");

	if (path && *path)
		return path;
	return env && *env ? env : RCLC_DEFAULT_SOCKET;
}

int rclc_connect(const char *path, struct rclc **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct rclc *c;
	int err;

	path = rclc_socket_path(path);
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->events_tail = &c->events;
	c->pid = getpid();
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		rclc_close(c);
		return err;
	}
	*ret = c;
	return 0;
}

int rclc_set_error(struct rclc *c, int code, const char *fmt, ...)
{
	va_list ap;

	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return 0;
}

int rclc_fail_early(struct rclc *c, int err, const char *message)
{
	c->armed = false;
	rclc_set_error(c, 0, "%s", message);
	return err;
}

/*
 * recv(2), or recvmsg(2) keeping SCM_RIGHTS descriptors while an answer that carries them is
 * awaited (rclc_fds_expect); descriptors beyond what is kept are closed, never leaked.
 */
static ssize_t sock_recv(struct rclc *c, void *buf, size_t len, int flags)
{
	union {
		char buf[CMSG_SPACE(RCLC_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	ssize_t n;

	if (!c->want_fds)
		return recv(c->fd, buf, len, flags);
	n = recvmsg(c->fd, &msg, flags | MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	c->nr_fds = (unsigned int)scm_rights_take(&msg, c->fds, c->nr_fds, RCLC_MAX_FDS);
	return n;
}

void rclc_fds_expect(struct rclc *c, bool on)
{
	c->want_fds = on;
}

unsigned int rclc_fds_take(struct rclc *c, int *fds)
{
	unsigned int n = c->nr_fds;

	memcpy(fds, c->fds, n * sizeof(int));
	c->nr_fds = 0;
	return n;
}

bool rclc_idle(const struct rclc *c)
{
	/* With nothing in flight, bytes already read are events (or part of one): they stay
	 * in order before whatever comes next. */
	return !c->count && !c->armed && !c->broken;
}

int rclc_send_fd(struct rclc *c, const void *bytes, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)bytes, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;
	int r = rclc_flush(c);		/* in order, behind the requests kept */

	if (r < 0)
		return r;
	if (fd >= 0) {
		memset(u.buf, 0, sizeof(u.buf));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return broke(c, -errno);
	/* The descriptor went with the first byte; the rest, if any, goes as plain bytes. */
	return (size_t)n < len ? write_all(c, (const uint8_t *)bytes + n, len - (size_t)n) : 0;
}

/* Room for at least @room more bytes after the input kept, moving it to the front first. */
static int input_room(struct rclc *c, size_t room)
{
	size_t kept = c->in_len - c->in_off;
	uint8_t *p;

	if (c->in_off) {
		memmove(c->in, c->in + c->in_off, kept);
		c->in_off = 0;
		c->in_len = kept;
	}
	if (c->in_cap - c->in_len >= room)
		return 0;
	p = realloc(c->in, c->in_len + room);
	if (!p)
		return -ENOMEM;
	c->in = p;
	c->in_cap = c->in_len + room;
	return 0;
}

/* Take what the socket holds now, up to the buffer's room (at least RECV_CHUNK), without
 * waiting (@flags MSG_DONTWAIT) or waiting for the first byte. 0, or -errno; EOF is -EPIPE
 * without waiting (a send saw the server go), -ECONNRESET when waiting for an answer. */
static int input_fill(struct rclc *c, int flags)
{
	ssize_t n;
	int r;

	if (c->in_cap - c->in_len < RECV_CHUNK || c->in_off > c->in_cap / 2) {
		r = input_room(c, RECV_CHUNK);
		if (r < 0)
			return r;
	}
	/*
	 * Wait in poll for POLLIN, not in a blocking recv: a thread asleep in unix_stream's recv
	 * is woken by every wake-up of the socket's queue, and the server's reading of our
	 * request (unix_write_space: room to write again) is one. That spurious wake-up of each
	 * request cost the daemon a cross-CPU wake-up inside its readv, a fifth of its CPU on a
	 * stream of small requests; poll's waiter only wakes for what it asked for.
	 */
	if (!(flags & MSG_DONTWAIT)) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
	n = sock_recv(c, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n == 0)
		return flags & MSG_DONTWAIT ? -EPIPE : -ECONNRESET;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	c->in_len += (size_t)n;
	return 0;
}

/* Keep whatever the socket holds now (a send is waiting for room). */
static int read_ahead(struct rclc *c)
{
	return input_fill(c, MSG_DONTWAIT);
}

/*
 * Send all LEN bytes. While the socket is full, answers that arrive are read and kept: a
 * server that stops reading until its answers are taken then never waits for us while we wait
 * for it, however many requests are in flight.
 */
static int write_all(struct rclc *c, const uint8_t *p, size_t len)
{
	while (len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN | POLLOUT };
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int r;

		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
		if (pfd.revents & POLLIN) {
			r = read_ahead(c);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * Send the asynchronous requests kept so far, in one send. A failed send is remembered and
 * returned again; the answers the server wrote before it went can still be read.
 */
int rclc_flush(struct rclc *c)
{
	int r;

	if (c->send_err)
		return c->send_err;
	if (!c->out_len)
		return 0;
	r = write_all(c, c->out, c->out_len);
	c->out_len = 0;
	if (c->out_cap > IN_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	if (r < 0)
		c->send_err = r;
	/* The server gone: what it answered before is still read, up to its EOF. Anything
	 * else left part of a frame sent: the stream is out of step. */
	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		broke(c, r);
	return r;
}

int rclc_send_raw(struct rclc *c, const void *bytes, size_t len)
{
	int r = rclc_flush(c);

	return r < 0 ? r : write_all(c, bytes, len);
}

/* Queue REQ's frame behind the requests kept; send them all unless @cork and there is not
 * yet much to send. */
static int send_request(struct rclc *c, const Reclaim__V1__Request *req, bool cork)
{
	size_t len = reclaim__v1__request__get_packed_size(req), need;

	if (len > UINT32_MAX - FRAME_HEADER_BYTES)
		return -EMSGSIZE;
	if (c->send_err)
		return c->send_err;
	need = c->out_len + FRAME_HEADER_BYTES + len;
	if (need > c->out_cap) {
		uint8_t *p = realloc(c->out, need);

		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = need;
	}
	frame_put_header(c->out + c->out_len, (uint32_t)len);
	reclaim__v1__request__pack(req, c->out + c->out_len + FRAME_HEADER_BYTES);
	c->out_len = need;
	return cork && c->out_len < SEND_CORK ? 0 : rclc_flush(c);
}

/* A buffer grown for a large answer goes back to IN_KEEP once little of it is kept, so that
 * one 256 MiB read does not stay with a connection that streams small answers. */
static void input_shrink(struct rclc *c)
{
	size_t kept = c->in_len - c->in_off;
	uint8_t *p;

	if (c->in_cap <= IN_KEEP || kept > IN_KEEP / 2)
		return;
	memmove(c->in, c->in + c->in_off, kept);
	c->in_off = 0;
	c->in_len = kept;
	p = realloc(c->in, IN_KEEP);
	if (p) {
		c->in = p;
		c->in_cap = IN_KEEP;
	}
}

/* The next whole frame in the input, its body in place at *BODY: 1, 0 when not all there
 * yet (*NEED: bytes the frame needs kept), or -EPROTO. */
static int input_frame(struct rclc *c, const uint8_t **body, uint32_t *len, size_t *need)
{
	size_t kept = c->in_len - c->in_off;

	*need = FRAME_HEADER_BYTES;
	if (kept < FRAME_HEADER_BYTES)
		return 0;
	if (frame_peek(c->in + c->in_off, kept, RCLC_MAX_FRAME, len) < 0)
		return -EPROTO;
	*need = FRAME_HEADER_BYTES + (size_t)*len;
	if (kept < *need)
		return 0;
	*body = c->in + c->in_off + FRAME_HEADER_BYTES;
	return 1;
}

/* An answer decoded into one block (common/pb-block.h) a little larger than its frame: one
 * malloc and one free for a small answer, not one of each per submessage and string. */
static Reclaim__V1__Response *response_unpack(uint32_t len, const uint8_t *body)
{
	size_t cap = RESP_BLOCK_MIN + (size_t)len + len / 4;

	if (cap > RESP_BLOCK_MAX)
		cap = RESP_BLOCK_MAX;
	return (Reclaim__V1__Response *)pb_block_unpack(&reclaim__v1__response__descriptor, cap,
						       SIZE_MAX, len, body);
}

/* The next answer or event: from the input kept, else from the socket, waiting for it (the
 * requests kept are sent first: their answers may be what we wait for). */
static int recv_response(struct rclc *c, Reclaim__V1__Response **ret)
{
	const uint8_t *body;
	uint32_t len = 0;
	size_t need;
	int r;

	while ((r = input_frame(c, &body, &len, &need)) == 0) {
		r = rclc_flush(c);
		if (r < 0 && r != -EPIPE && r != -ECONNRESET)
			return r;
		if (need > c->in_cap - c->in_off) {
			r = input_room(c, need - (c->in_len - c->in_off));
			if (r < 0)
				return r;
		}
		r = input_fill(c, 0);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	*ret = response_unpack(len, body);
	c->in_off += FRAME_HEADER_BYTES + len;
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	input_shrink(c);
	return *ret ? 0 : -EPROTO;
}

/* ---- the subscriptions' events kept ------------------------------------------------------- */

static struct sub *sub_find(struct rclc *c, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < c->nr_subs; i++)
		if (c->subs[i].id == id)
			return &c->subs[i];
	return NULL;
}

/* The record of subscription ID, made with the default queue length if it has none. */
static struct sub *sub_get(struct rclc *c, uint64_t id)
{
	struct sub *s = sub_find(c, id);

	if (s)
		return s;
	if (c->nr_subs == c->subs_cap) {
		unsigned int cap = c->subs_cap ? 2 * c->subs_cap : 8;

		s = realloc(c->subs, cap * sizeof(*s));
		if (!s)
			return NULL;
		c->subs = s;
		c->subs_cap = cap;
	}
	s = &c->subs[c->nr_subs++];
	*s = (struct sub){ .id = id, .cap = SUB_QUEUE_DEFAULT };
	return s;
}

static void sub_drop(struct rclc *c, struct sub *s)
{
	*s = c->subs[--c->nr_subs];
}

int rclc_sub_track(struct rclc *c, uint64_t id, uint32_t queue_len)
{
	struct sub *s = sub_get(c, id);

	if (!s)
		return -ENOMEM;
	s->cap = queue_len ? queue_len : SUB_QUEUE_DEFAULT;
	return 0;
}

void rclc_sub_forget(struct rclc *c, uint64_t id)
{
	struct sub *s = sub_find(c, id);

	/* Its Overflow, if not yet taken, stays queued: it is the program's to take. */
	if (s)
		sub_drop(c, s);
}

/* An Overflow event of subscription ID, decoded as one from the server would be. */
static Reclaim__V1__Response *overflow_response(uint64_t id, uint64_t seq)
{
	Reclaim__V1__Response resp = RECLAIM__V1__RESPONSE__INIT;
	Reclaim__V1__Event ev = RECLAIM__V1__EVENT__INIT;
	Reclaim__V1__Overflow of = RECLAIM__V1__OVERFLOW__INIT;
	uint8_t buf[64];

	of.events_dropped = 1;
	ev.subscription_id = id;
	ev.seq = seq;
	ev.event_case = RECLAIM__V1__EVENT__EVENT_OVERFLOW;
	ev.overflow = &of;
	resp.msg_case = RECLAIM__V1__RESPONSE__MSG_EVENT;
	resp.event = &ev;
	return response_unpack((uint32_t)reclaim__v1__response__pack(&resp, buf), buf);
}

/* An Overflow or an Ended: the server's last event of a subscription. */
static bool event_is_last(const Reclaim__V1__Event *e)
{
	return e->event_case == RECLAIM__V1__EVENT__EVENT_OVERFLOW ||
	       e->event_case == RECLAIM__V1__EVENT__EVENT_ENDED;
}

static void push_tail(struct rclc *c, struct push *p)
{
	*c->events_tail = p;
	c->events_tail = &p->next;
}

/*
 * Keep the event RESP (taking it), within its subscription's queue length: the one past it
 * ends the subscription here, as a full queue ends it in the server.
 */
static int queue_event(struct rclc *c, Reclaim__V1__Response *resp)
{
	const Reclaim__V1__Event *e = resp->event;
	struct sub *s = e ? sub_get(c, e->subscription_id) : NULL;
	struct push *p = malloc(sizeof(*p));

	if (!p || (e && !s)) {
		free(p);
		rclc_response_free(resp);
		return -ENOMEM;
	}
	/* Ended: nothing follows its last event, not even the server's Overflow or Ended for a
	 * subscription the library ended (its record stays until its Unsubscribe is answered). */
	if (s && s->ended) {
		if (s->overflow && !event_is_last(e))
			s->overflow->event->overflow->events_dropped++;
		free(p);
		rclc_response_free(resp);
		return 0;
	}
	if (s && event_is_last(e)) {
		s->ended = true;		/* the server ended it: nothing follows */
	} else if (s && s->queued == s->cap) {
		Reclaim__V1__Response *of = overflow_response(s->id, e->seq);

		rclc_response_free(resp);
		if (!of) {
			free(p);
			return -ENOMEM;
		}
		resp = s->overflow = of;
		s->ended = s->unsub_due = true;
	} else if (s) {
		s->queued++;
	}
	p->next = NULL;
	p->resp = resp;
	push_tail(c, p);
	return 0;
}

/* The program takes RESP, a kept event. */
static void event_taken(struct rclc *c, const Reclaim__V1__Response *resp)
{
	struct sub *s = resp->event ? sub_find(c, resp->event->subscription_id) : NULL;

	if (!s)
		return;
	if (resp == s->overflow) {
		s->overflow = NULL;
		if (s->server_done)
			sub_drop(c, s);
	} else if (event_is_last(resp->event))
		sub_drop(c, s);		/* the server's last word on it */
	else if (s->queued)
		s->queued--;
}

/* Tell the server of the subscriptions that ended here: corked, sent with the next send. */
static void subs_unsubscribe_due(struct rclc *c)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Unsubscribe u = RECLAIM__V1__UNSUBSCRIBE__INIT;
	unsigned int i;

	req.msg_case = RECLAIM__V1__REQUEST__MSG_UNSUBSCRIBE;
	req.unsubscribe = &u;
	for (i = 0; i < c->nr_subs && !c->broken; i++) {
		if (!c->subs[i].unsub_due)
			continue;
		u.subscription_id = c->subs[i].id;
		req.id = ++c->next_id;
		if (send_request(c, &req, true) < 0)
			return;		/* tried again at the next send */
		c->subs[i].unsub_due = false;
		c->subs[i].unsub_id = req.id;
	}
}

/*
 * Whether RESP answers one of our own Unsubscribes (taken, then): after it no event of that
 * subscription can come, so its record goes once its Overflow was taken.
 */
static bool subs_own_answer(struct rclc *c, Reclaim__V1__Response *resp)
{
	unsigned int i;

	for (i = 0; i < c->nr_subs; i++) {
		if (c->subs[i].unsub_id != resp->id || !resp->id)
			continue;
		c->subs[i].server_done = true;
		if (!c->subs[i].overflow)
			sub_drop(c, &c->subs[i]);
		rclc_response_free(resp);
		return true;
	}
	return false;
}

/* ---- requests in flight ---------------------------------------------------------------- */

static int ring_push(struct rclc *c, const struct pending *p)
{
	if (c->count == c->cap) {
		unsigned int cap = c->cap ? 2 * c->cap : 16, i;
		struct pending *ring = malloc(cap * sizeof(*ring));

		if (!ring)
			return -ENOMEM;
		for (i = 0; i < c->count; i++)
			ring[i] = c->ring[(c->head + i) % c->cap];
		free(c->ring);
		c->ring = ring;
		c->cap = cap;
		c->head = 0;
	}
	c->ring[(c->head + c->count) % c->cap] = *p;
	c->count++;
	return 0;
}

/* The status of an answer to P: the server's refusal, a wrong answer, or what decode says. */
static int answer_status(struct rclc *c, struct pending *p, Reclaim__V1__Response **respp)
{
	Reclaim__V1__Response *resp = *respp;
	int st;

	if (p->want == RCLC_WANT_ANY)
		return p->decode(c, respp, &p->out);
	st = rclc_status_errno(resp);
	if (st < 0) {
		rclc_set_error(c, resp->status ? (int)resp->status->code : 0, "%s",
			       resp->status ? resp->status->message : "answer without a status");
		return st;
	}
	if ((int)resp->msg_case != p->want) {
		rclc_set_error(c, 0, "the server answered with message %d, not %d",
			       (int)resp->msg_case, p->want);
		return -EPROTO;
	}
	return p->decode(c, respp, &p->out);
}

/* Complete the oldest request in flight with RESP (NULL: with ERR). */
static int complete_oldest(struct rclc *c, Reclaim__V1__Response *resp, int err,
			   void **ret_arg)
{
	struct pending p = c->ring[c->head];
	int st;

	c->head = (c->head + 1) % c->cap;
	c->count--;
	st = resp ? answer_status(c, &p, &resp) : err;
	rclc_response_free(resp);
	if (p.done)
		p.done(c, p.arg, st);
	else if (p.arg)
		*(int *)p.arg = st;
	if (ret_arg)
		*ret_arg = p.arg;
	return st;
}

static int broke(struct rclc *c, int err)
{
	if (!c->broken) {
		c->broken = err;
		rclc_set_error(c, 0, "connection to reclaimd lost: %s", strerror(-err));
	}
	return err;
}

/* Read answers until the oldest request in flight is answered, then complete it. */
static int reap_one(struct rclc *c, uint64_t *ret_id, void **ret_arg)
{
	Reclaim__V1__Response *resp;
	int r;

	*ret_id = c->ring[c->head].id;
	for (;;) {
		if (c->broken)
			return complete_oldest(c, NULL, c->broken, ret_arg);
		r = recv_response(c, &resp);
		if (r < 0) {
			broke(c, r);
			continue;
		}
		if (resp->msg_case == RECLAIM__V1__RESPONSE__MSG_EVENT) {
			r = queue_event(c, resp);
			if (r < 0)
				broke(c, r);
			continue;
		}
		if (subs_own_answer(c, resp))
			continue;
		/* id 0: the server's answer to a frame it could not take, just before it
		 * closes; it is the oldest request's. */
		if (resp->id == *ret_id || resp->id == 0)
			return complete_oldest(c, resp, 0, ret_arg);
		if (resp->id > c->next_id) {
			/* No request of ours had it: the server is broken, and the answer
			 * waited for will not come. */
			c->broken = -EPROTO;
			rclc_set_error(c, 0, "connection to reclaimd lost: an answer to request "
				       "%llu, which was never sent",
				       (unsigned long long)resp->id);
			rclc_response_free(resp);
			continue;
		}
		rclc_response_free(resp);	/* an answer to nobody (rclc_send): not ours */
	}
}

int rclc_exec(struct rclc *c, Reclaim__V1__Request *req, int want, rclc_decode_fn decode,
	      const struct rclc_out *out)
{
	struct pending p = { .want = want, .decode = decode, .out = *out };
	bool async = c->armed;
	uint64_t id;
	int r;

	c->armed = false;
	if (async) {
		p.done = c->armed_done;
		p.arg = c->armed_arg;
	}
	if (c->broken) {
		rclc_set_error(c, 0, "connection to reclaimd lost: %s", strerror(-c->broken));
		return c->broken;
	}
	subs_unsubscribe_due(c);
	req->id = p.id = ++c->next_id;
	r = send_request(c, req, async);
	if (c->broken)
		return c->broken;
	if (r == -EMSGSIZE || r == -ENOMEM) {
		rclc_set_error(c, 0, "cannot send the request: %s", strerror(-r));
		return r;	/* nothing was queued */
	}
	/* Sent, kept, or not sent because the server went (EPIPE): its fate is read from the
	 * connection either way. A server that refused us (a limit, shutting down) wrote why
	 * before closing, and that answer, for the oldest request, is worth more than our
	 * write's EPIPE; answers to requests it took before are delivered too. */
	r = ring_push(c, &p);
	if (r < 0)
		return broke(c, r);	/* sent, but its answer could not be matched */
	if (async)
		return 0;
	for (;;) {
		r = reap_one(c, &id, NULL);
		if (id == p.id)
			return r;
	}
}

int rclc_async(struct rclc *c, rclc_done_fn done, void *arg)
{
	c->armed = true;
	c->armed_done = done;
	c->armed_arg = arg;
	return 0;
}

unsigned int rclc_in_flight(const struct rclc *c)
{
	return c->count;
}

int rclc_reap(struct rclc *c, int *ret_status, void **ret_arg)
{
	uint64_t id;
	int st;

	if (!c->count)
		return -ENOENT;
	st = reap_one(c, &id, ret_arg);
	if (ret_status)
		*ret_status = st;
	return 0;
}

/* ---- the protobuf level ------------------------------------------------------------------ */

static int take_response(struct rclc *c, Reclaim__V1__Response **respp,
			 const struct rclc_out *out)
{
	*(Reclaim__V1__Response **)out->p[0] = *respp;
	*respp = NULL;
	return 0;
}

int rclc_call(struct rclc *c, Reclaim__V1__Request *req, Reclaim__V1__Response **ret_resp)
{
	struct rclc_out out = { .p = { ret_resp } };

	c->armed = false;
	return rclc_exec(c, req, RCLC_WANT_ANY, take_response, &out);
}

int rclc_next_push(struct rclc *c, int timeout_ms, Reclaim__V1__Response **ret_push)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	Reclaim__V1__Response *resp;
	const uint8_t *body;
	uint32_t len;
	size_t need;
	int r;

	for (;;) {
		struct push *p = c->events;

		if (p) {
			c->events = p->next;
			if (!c->events)
				c->events_tail = &c->events;
			*ret_push = p->resp;
			free(p);
			event_taken(c, *ret_push);
			return 0;
		}
		if (c->broken)
			return c->broken;
		if (!input_frame(c, &body, &len, &need)) {	/* none kept whole: wait, bounded */
			subs_unsubscribe_due(c);
			r = rclc_flush(c);
			if (r < 0 && r != -EPIPE && r != -ECONNRESET)
				return broke(c, r);
			r = poll(&pfd, 1, timeout_ms);
			if (r < 0 && errno != EINTR)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
			if (r < 0)
				continue;
		}
		r = recv_response(c, &resp);
		if (r < 0)
			return broke(c, r);
		if (resp->msg_case != RECLAIM__V1__RESPONSE__MSG_EVENT) {
			if (subs_own_answer(c, resp))
				continue;
			/* An answer to an asynchronous request: complete it, in order. */
			if (c->count && (resp->id == c->ring[c->head].id || resp->id == 0))
				complete_oldest(c, resp, 0, NULL);
			else
				rclc_response_free(resp);
			continue;
		}
		r = queue_event(c, resp);
		if (r < 0)
			return r;
	}
}

static int keep_hello(struct rclc *c, Reclaim__V1__Response **respp, const struct rclc_out *out)
{
	rclc_response_free(c->hello);
	c->hello = *respp;
	*respp = NULL;
	return 0;
}

int rclc_hello_memcg(struct rclc *c, const char *client_name, const char *memcg)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Hello hello = RECLAIM__V1__HELLO__INIT;
	struct rclc_out out = { .n = 0 };
	int r;

	hello.protocol_version = RCLC_PROTOCOL_VERSION;
	hello.client_name = (char *)(client_name ? client_name : "libreclaim-client");
	hello.memcg = (char *)(memcg ? memcg : "");
	req.msg_case = RECLAIM__V1__REQUEST__MSG_HELLO;
	req.hello = &hello;
	c->armed = false;
	r = rclc_exec(c, &req, RECLAIM__V1__RESPONSE__MSG_HELLO, keep_hello, &out);
	/* A refusal (version, limits, shutting down) is a protocol-level failure. */
	return r < 0 && c->code ? -EPROTO : r;
}

int rclc_hello(struct rclc *c, const char *client_name)
{
	return rclc_hello_memcg(c, client_name, NULL);
}

int rclc_send(struct rclc *c, Reclaim__V1__Request *req, uint64_t *ret_id)
{
	req->id = ++c->next_id;
	*ret_id = req->id;
	return send_request(c, req, false);
}

int rclc_recv(struct rclc *c, Reclaim__V1__Response **ret_resp)
{
	Reclaim__V1__Response *resp;
	int r;

	for (;;) {
		r = recv_response(c, &resp);
		if (r < 0)
			return r;
		if (resp->msg_case != RECLAIM__V1__RESPONSE__MSG_EVENT) {
			if (subs_own_answer(c, resp))
				continue;
			*ret_resp = resp;
			return 0;
		}
		r = queue_event(c, resp);
		if (r < 0)
			return r;
	}
}

int rclc_open(const char *path, const char *client_name, struct rclc **ret)
{
	struct rclc *c;
	int r = rclc_connect(path, &c);

	if (r < 0)
		return r;
	r = rclc_hello(c, client_name);
	if (r < 0) {
		rclc_close(c);
		return r;
	}
	*ret = c;
	return 0;
}

const Reclaim__V1__HelloReply *rclc_server(const struct rclc *c)
{
	return c->hello ? c->hello->hello : NULL;
}

int rclc_fd(const struct rclc *c)
{
	return c->fd;
}

const char *rclc_last_error(const struct rclc *c)
{
	return c->error;
}

int rclc_last_code(const struct rclc *c)
{
	return c->code;
}

int rclc_status_errno(const Reclaim__V1__Response *resp)
{
	static const int errnos[] = {
		[RECLAIM__V1__CODE__OK] = 0,
		[RECLAIM__V1__CODE__INVALID_ARGUMENT] = EINVAL,
		[RECLAIM__V1__CODE__NOT_FOUND] = ENOENT,
		[RECLAIM__V1__CODE__PERMISSION_DENIED] = EPERM,
		[RECLAIM__V1__CODE__NO_MEMORY] = ENOMEM,
		[RECLAIM__V1__CODE__NO_SPACE] = ENOSPC,
		[RECLAIM__V1__CODE__IO_ERROR] = EIO,
		[RECLAIM__V1__CODE__UNSUPPORTED] = EOPNOTSUPP,
		[RECLAIM__V1__CODE__UNAVAILABLE] = ESHUTDOWN,
		[RECLAIM__V1__CODE__PROTOCOL_ERROR] = EPROTO,
		[RECLAIM__V1__CODE__BUSY] = EBUSY,
		[RECLAIM__V1__CODE__INTERNAL] = ENOTRECOVERABLE,
		[RECLAIM__V1__CODE__ALREADY_EXISTS] = EEXIST,
	};
	unsigned int code;

	if (!resp->status)
		return -EPROTO;		/* every answer carries a status */
	code = (unsigned int)resp->status->code;
	if (code >= sizeof(errnos) / sizeof(errnos[0]))
		return -EIO;
	return -errnos[code];
}

const char *rclc_code_name(Reclaim__V1__Code code)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&reclaim__v1__code__descriptor, (int)code);

	return v ? v->name : "UNKNOWN";
}

const char *rclc_code_str(int code)
{
	return rclc_code_name((Reclaim__V1__Code)code);
}

void rclc_response_free(Reclaim__V1__Response *resp)
{
	pb_block_free(resp);
}

void rclc_close(struct rclc *c)
{
	unsigned int i;

	if (!c)
		return;
	/* Asynchronous requests still kept are sent, as if sent at once; not by a forked child,
	 * which would send its parent's requests a second time on the shared socket. */
	if (c->fd >= 0 && !c->broken && c->pid == getpid())
		rclc_flush(c);
	rclc_map_forget(c);	/* its mappings go with it (the daemon takes the pages back) */
	for (i = 0; i < c->nr_fds; i++)
		close(c->fds[i]);
	while (c->events) {
		struct push *p = c->events;

		c->events = p->next;
		rclc_response_free(p->resp);
		free(p);
	}
	rclc_response_free(c->hello);
	if (c->fd >= 0)
		close(c->fd);
	free(c->subs);
	free(c->ring);
	free(c->in);
	free(c->out);
	free(c);
}
