/*
 * http-admit.c - what the connections of an evhttp server may hold of the daemon (see
 * http-admit.h).
 *
 * evhttp (2.1) tells nobody when it accepts or frees a connection, but it asks for each new
 * connection's bufferevent (evhttp_set_bevcb). We make it and keep a reference of our own:
 * when evhttp frees the connection, bufferevent_free clears the callbacks and leaves the
 * memory to our reference, so a bufferevent with callbacks is a connection still open, one
 * without is gone. It is made with BEV_OPT_CLOSE_ON_FREE, so that evhttp leaves the socket to
 * the bufferevent, which closes it when our reference goes too (at the next accept or tick):
 * had evhttp closed it while our reference kept the bufferevent's read event registered, a
 * new connection given the same descriptor number would never have been polled (libevent
 * saw the number as watched already), which hung the daemon's next client.
 */
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "accept-budget.h"
#include "fdlimit.h"
#include "http-admit.h"
#include "log.h"

struct admitted {
	struct admitted *next;
	struct bufferevent *bev;	/* our reference */
	uint64_t since;			/* accepted, or its last request answered (ms, monotonic) */
	bool closing;			/* shut down (or to be): no longer counted as open */
};

struct http_admit {
	struct evconnlistener *listener;
	struct accept_budget *budget;	/* the listener's, a turn of the loop */
	struct event *tick;		/* once a second while any connection is open */
	struct event *now;		/* the same, at once: a connection to close */
	struct admitted *conns;
	unsigned int nr_open;		/* not closing */
	unsigned int max_conns, request_seconds;
	bool resting;			/* the listener, while the reserve is reached */
	struct log_ratelimit said;
	char who[64];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool conn_open(const struct admitted *c)
{
	bufferevent_event_cb eventcb = NULL;

	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, NULL);
	return eventcb != NULL;
}

/* Close @c: evhttp reads the end of it and frees the connection. */
static void conn_shut(struct http_admit *a, struct admitted *c)
{
	int fd = (int)bufferevent_getfd(c->bev);

	if (!c->closing)
		a->nr_open--;
	c->closing = true;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

/* Forget the connections evhttp freed; close those past their time or marked to close. */
static void admit_sweep(struct http_admit *a)
{
	struct admitted **pp = &a->conns, *c;
	uint64_t now = now_ms();

	while ((c = *pp)) {
		if (!conn_open(c)) {
			if (!c->closing)
				a->nr_open--;
			*pp = c->next;
			bufferevent_decref(c->bev);
			free(c);
			continue;
		}
		/* Marked at its accept (the fd was not known yet), or past its time. */
		if ((c->closing && !c->since) ||
		    now - c->since >= (uint64_t)a->request_seconds * 1000) {
			c->since = now;
			conn_shut(a, c);
		}
		pp = &c->next;
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval second = { 1, 0 };
	struct http_admit *a = arg;

	(void)fd;
	(void)what;
	admit_sweep(a);
	if (a->resting && fd_client_room(1)) {
		a->resting = false;
		evconnlistener_enable(a->listener);
	}
	if (a->conns || a->resting)
		evtimer_add(a->tick, &second);
}

/* The open connection that has waited longest for a request to complete. */
static struct admitted *oldest_open(struct http_admit *a)
{
	struct admitted *c, *oldest = NULL;

	for (c = a->conns; c; c = c->next)
		if (!c->closing && (!oldest || c->since < oldest->since))
			oldest = c;
	return oldest;
}

/* evhttp_set_bevcb: a connection was just accepted; evhttp sets its socket after. */
static struct bufferevent *on_accept(struct event_base *base, void *arg)
{
	static const struct timeval second = { 1, 0 };
	struct http_admit *a = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	struct admitted *c;

	if (!bev)
		return NULL;		/* evhttp makes one of its own, unwatched */
	c = calloc(1, sizeof(*c));
	if (!c)
		return bev;
	admit_sweep(a);
	/* Room first, among those whose socket is set: this one's is not yet. */
	if (a->nr_open >= a->max_conns && fd_client_room(0))
		conn_shut(a, oldest_open(a));
	bufferevent_incref(bev);
	c->bev = bev;
	c->since = now_ms();
	c->next = a->conns;
	a->conns = c;
	if (!fd_client_room(0)) {
		/* In the admins' reserve: closed as soon as its socket is set, and no more
		 * accepted until there is room again. */
		if (log_ratelimit(&a->said))
			log_warning("%s: the daemon's file descriptors are nearly all in use (the "
				    "last %u are kept for root and the admin group): closing the "
				    "connection, accepting none for a while", a->who, fd_reserve());
		c->closing = true;
		c->since = 0;
		a->resting = true;
		evconnlistener_disable(a->listener);
		event_active(a->now, EV_TIMEOUT, 0);
	} else {
		a->nr_open++;
		accept_budget_charge(a->budget);
	}
	if (!evtimer_pending(a->tick, NULL))
		evtimer_add(a->tick, &second);
	return bev;
}

struct http_admit *http_admit_new(struct event_base *base, struct evhttp *http,
				  struct evconnlistener *listener, const char *who,
				  unsigned int max_conns, unsigned int request_seconds)
{
	struct http_admit *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->tick = evtimer_new(base, on_tick, a);
	a->now = evtimer_new(base, on_tick, a);
	a->budget = accept_budget_new(base, listener);
	if (!a->tick || !a->now || !a->budget) {
		http_admit_free(a);
		return NULL;
	}
	a->listener = listener;
	a->max_conns = max_conns ? max_conns : 1;
	a->request_seconds = request_seconds;
	snprintf(a->who, sizeof(a->who), "%s", who);
	evhttp_set_bevcb(http, on_accept, a);
	return a;
}

void http_admit_answered(struct http_admit *a, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	struct admitted *c;

	for (c = a->conns; c; c = c->next)
		if (c->bev == bev && !c->closing)
			c->since = now_ms();
}

unsigned int http_admit_open(struct http_admit *a)
{
	return a->nr_open;
}

void http_admit_free(struct http_admit *a)
{
	struct admitted *c;

	if (!a)
		return;
	while ((c = a->conns)) {
		a->conns = c->next;
		bufferevent_decref(c->bev);
		free(c);
	}
	if (a->tick)
		event_free(a->tick);
	if (a->now)
		event_free(a->now);
	accept_budget_free(a->budget);
	free(a);
}

