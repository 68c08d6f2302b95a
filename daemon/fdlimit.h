/*
 * fdlimit.h - the daemon's file descriptors: RLIMIT_NOFILE's soft limit raised to the hard one
 * at start (an epoll daemon has no use for select's 1024), and the last of them kept for root
 * and the admin group, so that descriptors a client that is not an admin makes the daemon
 * hold (its connections, the files it has open, its mapped regions') can never leave an
 * operator unable to connect. The API listener also keeps a spare descriptor for the moment
 * the table is full anyway (server.c).
 */
#ifndef RECLAIMD_FDLIMIT_H
#define RECLAIMD_FDLIMIT_H

#include <stdbool.h>

/* Raise the soft limit as far as the hard one allows (at most 1 << 20). The limit in force. */
unsigned int fd_limit_raise(void);

/* Descriptors at the top of the table that only admins' requests may take. */
unsigned int fd_reserve(void);

/* The descriptors below the reserve, which every client may take; 0 before fd_limit_raise
 * (then nothing is held back, and nothing can be shared out either). */
unsigned int fd_client_total(void);

/* May a client that is not an admin be given descriptor @fd, just made? */
bool fd_client_may_hold(int fd);

/* Is there room for @nr more descriptors for such a client, before they are made? */
bool fd_client_room(unsigned int nr);

/*
 * Was a client refused a descriptor by either of the two above since the last call? The
 * server then has the engine let go of the files nobody uses (rcl_file_shrink_unused): their
 * cache held descriptors that clients are refused. Any thread.
 */
bool fd_take_shortage(void);

/*
 * A listener that rests a second when accept() runs out of descriptors, rather than spin
 * (libevent would retry at once and log each failure), and says so at most a few times a
 * window, naming itself @who. Made on the loop thread once the listener is; freed before it
 * (NULL does nothing). The API's own listener rests through the cron instead (server.c).
 */
struct event_base;
struct evconnlistener;
struct fd_rest;
struct fd_rest *fd_rest_new(struct event_base *base, struct evconnlistener *l, const char *who);
void fd_rest_free(struct fd_rest *r);

#endif
