/*
 * notify.h - sd-daemon glue: READY/STATUS/STOPPING/RELOADING, the watchdog, and the listening
 * socket systemd passes on socket activation. Without systemd every call is a no-op.
 */
#ifndef RECLAIMD_NOTIFY_H
#define RECLAIMD_NOTIFY_H

#include <stdint.h>

/*
 * The Unix stream socket systemd passed (sd_listen_fds), in *ret_fd: returns 1 when there is
 * one, 0 when none was passed, -EINVAL when more than one or not a listening Unix stream socket.
 */
int notify_listen_fd(int *ret_fd);

/* READY=1 with a STATUS= line. */
void notify_ready(const char *status);
/* STATUS=<status>. */
void notify_status(const char *status);
/* STOPPING=1. */
void notify_stopping(void);
/* RELOADING=1 with MONOTONIC_USEC=, as systemd's reload protocol asks; READY=1 ends it. */
void notify_reloading(void);
/* WATCHDOG=1. */
void notify_watchdog(void);
/* The watchdog period asked for by the service manager in µs, 0 if none. */
uint64_t notify_watchdog_usec(void);

#endif
