/*
 * http-admit.h - what the connections of an evhttp server may hold of the daemon.
 *
 * Anyone who reaches an HTTP port may connect, without a uid to hold to a share, and evhttp
 * (libevent 2.1) keeps every connection it accepts for as long as bytes trickle in: one
 * header byte every few seconds restarts its timeout. A local user took every descriptor of
 * the daemon that way, the admins' reserve included. So each connection is watched from its
 * accept on:
 *  - at most MAX_CONNS are open: the one to come closes the one that has waited longest for a
 *    request to complete (so a scraper that connects still gets its answer, whoever holds the
 *    rest);
 *  - a connection that has not completed a request REQUEST_SECONDS after its accept or after
 *    its last answer is closed;
 *  - while the descriptors below the admins' reserve are all taken, the listener rests and
 *    the connection just accepted is closed (fdlimit.h).
 * A connection is closed by shutdown(2) of its socket: evhttp sees the end of it and frees
 * the connection itself. Loop thread only.
 */
#ifndef RECLAIMD_HTTP_ADMIT_H
#define RECLAIMD_HTTP_ADMIT_H

struct event_base;
struct evconnlistener;
struct evhttp;
struct evhttp_request;
struct http_admit;

/* Watch @http's connections, accepted by @listener; @who names it in the log. NULL: no
 * memory. Before any connection is accepted. */
struct http_admit *http_admit_new(struct event_base *base, struct evhttp *http,
				  struct evconnlistener *listener, const char *who,
				  unsigned int max_conns, unsigned int request_seconds);

/* @req is being answered: its connection's time for the next request starts now. */
void http_admit_answered(struct http_admit *a, struct evhttp_request *req);

/* The connections open now (for tests and status). */
unsigned int http_admit_open(struct http_admit *a);

/* After evhttp_free, which frees the connections. NULL does nothing. */
void http_admit_free(struct http_admit *a);

#endif
