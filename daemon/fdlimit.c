/*
 * fdlimit.c - the descriptor limit and the reserve kept for admins.
 *
 * The kernel hands out the lowest free descriptor, so a client's new descriptor numbered at or
 * above limit - reserve means the table below the reserve is full: it is refused (closed), and
 * the reserve stays for root and the admin group. Before a request makes descriptors, the
 * lowest free one says the same in advance.
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fdlimit.h"
#include "log.h"

#define FD_LIMIT_CAP	(1u << 20)	/* a hard limit of "unlimited" is not a table size */
#define FD_RESERVE_MIN	32u

static _Atomic unsigned int fd_limit;	/* 0 until fd_limit_raise: no reserve is kept */
static int fd_probe = -1;		/* /dev/null, duplicated to find the lowest free one */

unsigned int fd_limit_raise(void)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (fd_probe < 0)
		fd_probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
	want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > FD_LIMIT_CAP ? FD_LIMIT_CAP :
									      rl.rlim_max;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	atomic_store(&fd_limit, rl.rlim_cur > FD_LIMIT_CAP ? FD_LIMIT_CAP :
							    (unsigned int)rl.rlim_cur);
	return atomic_load(&fd_limit);
}

/*
 * A sixteenth of the table, at least FD_RESERVE_MIN, at most a quarter: room for admins and
 * the daemon's own, and most of a small table still for everyone else.
 */
unsigned int fd_reserve(void)
{
	unsigned int limit = atomic_load(&fd_limit), r = limit / 16;

	if (r < FD_RESERVE_MIN)
		r = FD_RESERVE_MIN;
	return r < limit / 4 ? r : limit / 4;
}

unsigned int fd_client_total(void)
{
	unsigned int limit = atomic_load(&fd_limit);

	return limit ? limit - fd_reserve() : 0;
}

/* A client was refused a descriptor since fd_take_shortage last looked. */
static atomic_bool fd_short;

static bool refused(void)
{
	atomic_store(&fd_short, true);
	return false;
}

bool fd_take_shortage(void)
{
	return atomic_exchange(&fd_short, false);
}

bool fd_client_may_hold(int fd)
{
	unsigned int limit = atomic_load(&fd_limit);

	return !limit || (unsigned int)fd < limit - fd_reserve() || refused();
}

bool fd_client_room(unsigned int nr)
{
	unsigned int limit = atomic_load(&fd_limit);
	int lowest;

	if (!limit || fd_probe < 0)
		return true;
	lowest = fcntl(fd_probe, F_DUPFD_CLOEXEC, 0);
	if (lowest < 0)
		return refused();	/* the table is full */
	close(lowest);
	return (unsigned int)lowest + nr <= limit - fd_reserve() || refused();
}

struct fd_rest {
	struct fd_rest *next;		/* in rests */
	struct evconnlistener *listener;
	struct event *timer;		/* enables the listener again */
	struct log_ratelimit said;
	char who[96];
};

/* Every resting listener: an error callback's argument is its listener's owner's (evhttp's,
 * say), so the listener itself names its rest. Loop thread. */
static struct fd_rest *rests;

static void rest_over(evutil_socket_t fd, short what, void *arg)
{
	struct fd_rest *r = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(r->listener);
}

static void rest_accept_error(struct evconnlistener *l, void *arg)
{
	static const struct timeval second = { 1, 0 };
	int err = EVUTIL_SOCKET_ERROR();
	bool out = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
	struct fd_rest *r;

	(void)arg;
	for (r = rests; r && r->listener != l; r = r->next)
		;
	if (!r)
		return;
	if (log_ratelimit(&r->said))
		log_warning("%s: cannot accept connections: %s%s", r->who, strerror(err),
			    out ? "; pausing for a second" : ", ignoring");
	if (out) {
		evconnlistener_disable(l);
		evtimer_add(r->timer, &second);
	}
}

struct fd_rest *fd_rest_new(struct event_base *base, struct evconnlistener *l, const char *who)
{
	struct fd_rest *r = calloc(1, sizeof(*r));

	if (!r || !(r->timer = evtimer_new(base, rest_over, r))) {
		free(r);
		return NULL;
	}
	r->listener = l;
	snprintf(r->who, sizeof(r->who), "%s", who);
	r->next = rests;
	rests = r;
	evconnlistener_set_error_cb(l, rest_accept_error);
	return r;
}

void fd_rest_free(struct fd_rest *r)
{
	struct fd_rest **pp;

	if (!r)
		return;
	for (pp = &rests; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	event_free(r->timer);
	free(r);
}
