/*
 * server.h - the loop thread: the event_base, the listening socket, signals, the cron timer,
 * the sessions, and the orderly shutdown.
 *
 * Everything in struct server belongs to the loop thread except the members marked
 * "thread-safe", which handlers running on workers may use.
 */
#ifndef RECLAIMD_SERVER_H
#define RECLAIMD_SERVER_H

#include <event2/event.h>
#include <event2/listener.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "config.h"
#include "log.h"

struct session;
struct workers;
struct rawpages;
struct registry;
struct file_owners;
struct subs;
struct mapfd;

struct server {
	struct event_base *base;
	struct daemon_config *config;	/* owned by main; read-only once serving (thread-safe) */
	struct rcl_engine *engine;	/* thread-safe */
	struct rawpages *raw;		/* raw allocations and per-uid usage (thread-safe) */
	struct registry *registry;	/* owners of regions and memcgs (thread-safe) */
	struct file_owners *files;	/* owners of data directory files (thread-safe) */
	struct subs *subs;		/* event subscriptions (see subscribe.h) */
	uint64_t boot_min_free_kbytes;	/* as computed at start, restored by SIGHUP if unset */
	bool summary_running;		/* a worker is computing the STATUS= line */
	bool shrink_running;		/* a worker has the cache let go of unused files */
	struct log_ratelimit shrink_said;
	char summary[192];		/* its last result */
	struct workers *workers;
	struct metrics *metrics;	/* the /metrics endpoint; NULL when off */
	struct psiwatch *psiwatch;	/* the memory-pressure sockets (psiwatch.h) */
	struct mapfd *mapfd;		/* regions mapped into clients (mapfd.h) */
	int argc;			/* main's arguments, re-parsed on SIGHUP */
	char **argv;

	int listen_fd;			/* the socket clients connect to; -1 once shutdown began */
	struct event *ev_listen;	/* its readiness: on_listen_ready accepts a budget */
	char *created_socket;		/* path of the socket we bound (unlinked at the end) */
	gid_t admin_gid;		/* valid if has_admin_gid */
	bool has_admin_gid;

	struct event *ev_term, *ev_int, *ev_hup;
	struct event *ev_cron;		/* periodic: watchdog, STATUS=, listener re-arm */
	struct event *ev_shutdown;	/* activated to begin shutdown after the current callback */
	struct event *ev_deadline;	/* shutdown-timeout: close whoever is still there */
	struct event *ev_reap;		/* frees the sessions in graveyard */
	uint64_t watchdog_usec;		/* WATCHDOG_USEC, 0 = none */

	TAILQ_HEAD(, session) sessions;	/* open connections */
	TAILQ_HEAD(, session) graveyard; /* sessions to free on the next loop turn */
	/* Sessions whose head call waits for a worker its uid may have (session.c). */
	TAILQ_HEAD(, session) worker_waiters;
	/* Sessions whose head call is on a worker, closed ones included (session.c). */
	TAILQ_HEAD(, session) on_workers;
	unsigned int nr_sessions;
	uint64_t next_session_id;
	bool stopping;			/* shutdown has begun */
	bool listener_paused;		/* accept failed for lack of fds; the cron re-enables */
	uint64_t nr_accepted;		/* connections accepted (served or refused) */
	uint64_t nr_cleanups;		/* closed ones whose leftovers a worker freed */
	unsigned int accept_turn_max;	/* the most of them accepted in one turn of the loop */
	int spare_fd;			/* /dev/null, given up to accept an admin's connection
					 * when the table is full; -1 while not had back */
	char last_status[256];		/* last STATUS= sent, to send only changes */

	atomic_uint_fast64_t nr_requests; /* answered so far (thread-safe) */
	/* Of those, answered on the loop thread and handed to a worker first (thread-safe):
	 * what shows whether the cheap requests stay off the hand-off. */
	atomic_uint_fast64_t nr_requests_loop;
	atomic_uint_fast64_t nr_requests_worker;
	/* Calls on the workers now, and calls waiting for one (session.c; read by Stat). */
	atomic_uint nr_on_workers, nr_worker_waiters;
	unsigned int nr_inbound_held;	/* sessions held for their uid's share (session.c) */
	uint64_t out_queued;		/* answers unread by clients that are not admins */
	unsigned int nr_out_wait;	/* sessions whose uid's unread answers fill its share */
	struct log_ratelimit out_said;
};

/* Open the spare descriptor again if it was given up (cron, and at start). */
void server_spare_fd_refill(struct server *s);

/*
 * Create the loop, the worker pool and the listener (the socket systemd passed, else a new
 * one at config->socket_path), and install signals and the cron timer. CONFIG and ENGINE stay
 * owned by the caller and must outlive the server. 0 or -errno (logged).
 */
int server_new(struct daemon_config *config, struct rcl_engine *engine, int argc, char **argv,
	       struct server **ret_server);

/* Tell systemd READY=1 and serve until shutdown completes. 0 or -errno. */
int server_run(struct server *s);

/* Tear down in reverse order; unlinks the socket if we created it. server_free(NULL) is fine. */
void server_free(struct server *s);

/* Begin shutdown once the current callback returns (used by the Shutdown request). Loop. */
void server_request_shutdown(struct server *s);

/* Leave the loop if shutdown has begun and nothing is left: no session, no job on a worker.
 * A job's done callback calls it. Loop thread. */
void server_check_done(struct server *s);

/* SESSION closed its socket: unlist it and drop the list's reference. Loop thread. */
void server_session_closed(struct server *s, struct session *session);

/* SESSION's last reference is gone: free it on the next loop turn. Loop thread. */
void server_session_release(struct server *s, struct session *session);

/* Apply the configured tunables of C to the engine (start, SIGHUP). 0 or the first -errno
 * (every other tunable is still applied; failures are logged). */
int server_apply_tunables(struct server *s, const struct daemon_config *c);

/* Whether a peer with these credentials is an admin: root or in the admin group. */
/* Peer credentials and admin rights of an accepted socket. 0 or -errno. */
struct ucred;
int server_peer_identify(struct server *s, int fd, struct ucred *ret_cred, bool *ret_admin);

bool server_is_admin(const struct server *s, uid_t uid, gid_t gid, const gid_t *groups,
		     int nr_groups);

#endif
