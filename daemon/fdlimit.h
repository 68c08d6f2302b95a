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

/* May a client that is not an admin be given descriptor @fd, just made? */
bool fd_client_may_hold(int fd);

/* Is there room for @nr more descriptors for such a client, before they are made? */
bool fd_client_room(unsigned int nr);

#endif
