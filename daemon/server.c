/*
 * server.c - the loop thread: listener, signals, cron timer, sessions, orderly shutdown.
 *
 * Shutdown (SIGTERM, SIGINT or an admin's Shutdown request): STOPPING=1, stop accepting and
 * remove the socket we created, answer every queued request UNAVAILABLE, let the running ones
 * finish and be answered, then leave the loop once every session has closed. A client that
 * does not take its answers within shutdown-timeout seconds is disconnected.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>

#include "accept-budget.h"
#include "client-limits.h"
#include "fdlimit.h"
#include "fileown.h"
#include "frame.h"
#include "log.h"
#include "metrics.h"
#include "psiwatch.h"
#include "mapfd.h"
#include "notify.h"
#include "rawpages.h"
#include "reclaim/memcg.h"
#include "reclaim/pressure.h"
#include "reclaim/region.h"
#include "registry.h"
#include "server.h"
#include "session.h"
#include "status.h"
#include "subscribe.h"
#include "workers.h"

#define CRON_PERIOD_USEC	1000000ULL	/* STATUS= refresh; the watchdog may ask faster */
#define PEER_GROUPS_MAX		256		/* supplementary groups looked at for admin */
/*
 * The listening socket's queue, in connections. It is one queue in arrival order for every
 * uid, drained ACCEPT_BUDGET a turn: each connection queued is one more that a newcomer waits
 * behind. At SOMAXCONN (4096) one uid that connected and hung up in a loop kept thousands
 * queued, and another uid's Hello waited for all of them (some 70 ms on 2 CPUs, accepts
 * bounded already). Past this many, a blocking connect() sleeps in the kernel until there is
 * room, each process for itself (a non-blocking one fails with EAGAIN, as at any length once
 * full), and the queue a newcomer finds is a few turns long.
 */
#define ACCEPT_BACKLOG		(4 * ACCEPT_BUDGET)

static void server_begin_shutdown(struct server *s, const char *why);

/*
 * The engine's part of STATUS=: free memory, swap used, the root's pressure level. Calls the
 * engine, so it runs on a worker (or before the loop starts).
 */
static void summary_engine(struct server *s, char *buf, size_t len)
{
	struct rcl_engine_info info;
	enum rcl_pressure_level level = RCL_PRESSURE_LOW;
	uint64_t swap_used = 0;
	char *text = NULL, *p;
	size_t tlen = 0;
	FILE *f;

	rcl_engine_info(s->engine, &info);
	/* Swap in use is the root group's memory.stat "swap" (bytes). */
	f = open_memstream(&text, &tlen);
	if (f) {
		rcl_memcg_show_stat(s->engine, RCL_MEMCG_ROOT, f);
		fclose(f);
	}
	if (text && (p = strstr(text, "\nswap ")))
		swap_used = strtoull(p + 6, NULL, 10);
	else if (text && !strncmp(text, "swap ", 5))
		swap_used = strtoull(text + 5, NULL, 10);
	free(text);
	rcl_pressure_now(s->engine, RCL_MEMCG_ROOT, &level);
	snprintf(buf, len, "free %" PRIu64 " of %" PRIu64 " MiB, swap used %" PRIu64 " of %" PRIu64
		 " MiB, pressure %s", info.free_pages * info.page_size >> 20, info.arena_bytes >> 20,
		 swap_used >> 20, s->config->swap_bytes >> 20, rcl_pressure_level_names[level]);
}

/* One line for STATUS=: what an operator wants from `systemctl status`. Loop thread. */
static void server_summary(struct server *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s: %.160s, %u connections, %" PRIu64 " requests",
		 s->stopping ? "stopping" : "serving", s->summary, s->nr_sessions,
		 (uint64_t)atomic_load_explicit(&s->nr_requests, memory_order_relaxed));
}

struct summary_job {
	struct job job;
	struct server *server;
	char line[192];
};

static void summary_run(struct job *job)
{
	struct summary_job *sj = (struct summary_job *)job;

	summary_engine(sj->server, sj->line, sizeof(sj->line));
}

static void summary_done(struct job *job)
{
	struct summary_job *sj = (struct summary_job *)job;
	struct server *s = sj->server;
	char status[256];

	snprintf(s->summary, sizeof(s->summary), "%s", sj->line);
	s->summary_running = false;
	free(sj);
	if (s->stopping) {
		server_check_done(s);
		return;
	}
	server_summary(s, status, sizeof(status));
	if (strcmp(status, s->last_status) != 0) {
		notify_status(status);
		memcpy(s->last_status, status, sizeof(status));
	}
}

/* Refresh the engine's part of STATUS= on a worker; the answer sends STATUS= if it changed. */
static void server_refresh_summary(struct server *s)
{
	struct summary_job *sj;

	if (s->summary_running || !(sj = calloc(1, sizeof(*sj))))
		return;
	sj->server = s;
	sj->job.run = summary_run;
	sj->job.done = summary_done;
	if (workers_submit(s->workers, &sj->job) < 0) {
		free(sj);
		return;
	}
	s->summary_running = true;
}

/*
 * Descriptors ran short for a client: the clean files nobody uses let theirs go, on a worker
 * (the engine's lock; the dirty ones go at a later tick, once the flusher has written them).
 * One at a time, at most once a cron tick.
 */
struct shrink_job {
	struct job job;
	struct server *server;
	unsigned int released;
};

static void shrink_run(struct job *job)
{
	struct shrink_job *sj = (struct shrink_job *)job;

	sj->released = rcl_file_shrink_unused(sj->server->engine);
}

static void shrink_done(struct job *job)
{
	struct shrink_job *sj = (struct shrink_job *)job;
	struct server *s = sj->server;

	if (sj->released && log_ratelimit(&s->shrink_said))
		log_info("file descriptors ran short: the cache let go of %u files nobody uses",
			 sj->released);
	s->shrink_running = false;
	free(sj);
	if (s->stopping)
		server_check_done(s);
}

static void server_shrink_files(struct server *s)
{
	struct shrink_job *sj;

	if (s->shrink_running || !(sj = calloc(1, sizeof(*sj))))
		return;
	sj->server = s;
	sj->job.run = shrink_run;
	sj->job.done = shrink_done;
	if (workers_submit(s->workers, &sj->job) < 0) {
		free(sj);
		return;
	}
	s->shrink_running = true;
}

/* Apply the configured tunables C to the engine (start and SIGHUP). 0 or the first -errno. */
int server_apply_tunables(struct server *s, const struct daemon_config *c)
{
	int t, ret = 0, r;

	for (t = 0; t < RCL_NR_TUNABLES; t++) {
		uint64_t v = config_tunable(c, (enum rcl_tunable)t), cur = 0;

		if (t == RCL_TUNABLE_MIN_FREE_KBYTES && v == 0)
			v = s->boot_min_free_kbytes;	/* "computed": what the engine computed */
		if (rcl_tunable_get(s->engine, (enum rcl_tunable)t, &cur) == 0 && cur == v)
			continue;
		r = rcl_tunable_set(s->engine, (enum rcl_tunable)t, v);
		if (r < 0) {
			log_warning("cannot set %s to %" PRIu64 ": %s, ignoring", rcl_tunable_names[t],
				    v, strerror(-r));
			if (!ret)
				ret = r;
		}
	}
	return ret;
}

bool server_is_admin(const struct server *s, uid_t uid, gid_t gid, const gid_t *groups,
		     int nr_groups)
{
	int i;

	if (uid == 0)
		return true;
	if (!s->has_admin_gid)
		return false;
	if (gid == s->admin_gid)
		return true;
	for (i = 0; i < nr_groups; i++)
		if (groups[i] == s->admin_gid)
			return true;
	return false;
}

int server_peer_identify(struct server *s, int fd, struct ucred *ret_cred, bool *ret_admin)
{
	gid_t groups[PEER_GROUPS_MAX];
	socklen_t len = sizeof(*ret_cred);
	int nr = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ret_cred, &len) < 0)
		return -errno;
	if (s->has_admin_gid && ret_cred->uid != 0) {
		len = sizeof(groups);
		/* More groups than we look at only costs admin rights, never grants them. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
			nr = (int)(len / sizeof(gid_t));
	}
	*ret_admin = server_is_admin(s, ret_cred->uid, ret_cred->gid, groups, nr);
	return 0;
}

/* Answer a connection we will not serve with one Status frame, best effort, and close it. */
static void refuse(int fd, Code code, const char *message)
{
	Status st = RECLAIM__V1__STATUS__INIT;
	Response resp = RECLAIM__V1__RESPONSE__INIT;
	struct evbuffer *out = evbuffer_new();

	st.code = code;
	st.message = (char *)message;
	resp.status = &st;
	if (out && frame_push_response(out, &resp) == 0 && evbuffer_write(out, fd) < 0)
		log_debug("cannot tell a refused client why: %m");
	if (out)
		evbuffer_free(out);
	close(fd);
}

static unsigned int sessions_of_uid(struct server *s, uid_t uid)
{
	struct session *session;
	unsigned int n = 0;

	TAILQ_FOREACH(session, &s->sessions, link)
		n += session->cred.uid == uid;
	return n;
}

/*
 * Serve the connection just accepted on @fd, or refuse it saying why. @spare: it took the
 * spare descriptor, which is for root and the admin group only.
 */
static void accept_one(struct server *s, int fd, bool spare)
{
	static struct log_ratelimit refusals;
	struct session *session;
	struct ucred cred;
	bool admin = false;
	char why[192];
	int ret;

	ret = server_peer_identify(s, fd, &cred, &admin);
	if (ret < 0) {
		log_warning("cannot read the credentials of a new connection: %s, closing it",
			    strerror(-ret));
		close(fd);
		return;
	}
	if (!admin && (spare || !fd_client_may_hold(fd)))
		snprintf(why, sizeof(why), "reclaimd's file descriptors are nearly all in use: "
			 "the last %u are kept for root and the admin group", fd_reserve());
	else if (limits_admit_connection(s->config, s->nr_sessions,
					 sessions_of_uid(s, cred.uid), cred.uid, admin, why,
					 sizeof(why)))
		why[0] = '\0';
	if (why[0]) {
		if (log_ratelimit(&refusals))
			log_warning("connection from uid %u refused: %s", (unsigned int)cred.uid,
				    why);
		refuse(fd, CODE(NO_SPACE), why);
		return;
	}
	if (session_new(s, fd, &cred, admin, &session) < 0) {
		log_err("out of memory accepting a connection, ignoring");
		return;
	}
	log_debug("connection %llu: pid %d uid %u gid %u%s", (unsigned long long)session->id,
		  (int)cred.pid, (unsigned int)cred.uid, (unsigned int)cred.gid,
		  admin ? " (admin)" : "");
}

/* Keep a descriptor in hand for when the table is full (server.h: spare_fd). */
void server_spare_fd_refill(struct server *s)
{
	if (s->spare_fd < 0)
		s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/*
 * The table is full: let the spare go, accept the connection waiting with it, and serve it
 * if it is root's or the admin group's (the reserve's promise holds even when something else,
 * the metrics listener's clients say, took every descriptor); anyone else is told why.
 */
static void accept_with_spare(struct server *s)
{
	int fd;

	if (s->spare_fd < 0)
		return;
	close(s->spare_fd);
	s->spare_fd = -1;
	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd >= 0)
		accept_one(s, fd, true);
	server_spare_fd_refill(s);
}

/* accept4 failed with @err (not "nothing waiting"): false if accepting stops for now. */
static bool accept_failed(struct server *s, int err)
{
	if (err == EMFILE || err == ENFILE)
		accept_with_spare(s);
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		/* Accepting again at once would spin: the cron timer re-enables the listener. */
		log_warning("cannot accept connections: %s; pausing for a second", strerror(err));
		event_del(s->ev_listen);
		s->listener_paused = true;
		return false;
	}
	if (err == ECONNABORTED || err == EINTR)
		return true;	/* that one is gone; the next may be there (the budget counts it) */
	log_warning("accept failed: %s, ignoring", strerror(err));
	return false;
}

/*
 * The listening socket is readable: accept at most ACCEPT_BUDGET connections, then give the
 * loop back. The kernel queues connections in arrival order, whoever makes them, and before
 * accept nobody's uid is known: a uid that connects and hangs up in a tight loop from a few
 * processes keeps that queue full. Accepting until it is empty (what evconnlistener does)
 * then never ended, and the sessions of every other uid, whose requests were waiting, were
 * not read for seconds. With a budget, the loop turns: each turn accepts a bounded number and
 * then reads every session that is ready, as NAPI's budget keeps one busy device from holding
 * the softirq. The event is level-triggered: what is left waits for the next turn.
 */
static void on_listen_ready(evutil_socket_t lfd, short what, void *arg)
{
	struct server *s = arg;
	unsigned int tries, accepted = 0;
	int fd;

	(void)what;
	for (tries = 0; tries < ACCEPT_BUDGET; tries++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || !accept_failed(s, errno))
				break;
			continue;
		}
		accepted++;
		accept_one(s, fd, false);
	}
	s->nr_accepted += accepted;
	if (accepted > s->accept_turn_max)
		s->accept_turn_max = accepted;
}

/* A stale socket left by a daemon that died is removed; a live one is another daemon. */
static int socket_clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("%s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (ret == 0) {
		log_err("another daemon is serving %s", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int group_lookup(const char *name, gid_t *ret_gid)
{
	struct group *gr = getgrnam(name);
	char *end;
	unsigned long v;

	if (gr) {
		*ret_gid = gr->gr_gid;
		return 0;
	}
	v = strtoul(name, &end, 10);
	if (*name && !*end) {
		*ret_gid = (gid_t)v;
		return 0;
	}
	log_err("no such group: %s", name);
	return -ENOENT;
}

/* Bind config->socket_path with config->socket_mode; the socket is never wider than 0600
 * before its group is set. 0 with *ret_fd listening, or -errno (logged). */
static int socket_create(struct server *s, int *ret_fd)
{
	const struct daemon_config *c = s->config;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gid_t gid = (gid_t)-1;
	mode_t old;
	int fd, ret;

	if (strlen(c->socket_path) >= sizeof(sa.sun_path)) {
		log_err("socket path too long: %s", c->socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, c->socket_path);
	if (c->socket_group && (ret = group_lookup(c->socket_group, &gid)) < 0)
		return ret;
	ret = socket_clear_stale(c->socket_path, &sa);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0 || listen(fd, ACCEPT_BACKLOG) < 0 ||
	    (gid != (gid_t)-1 && chown(c->socket_path, (uid_t)-1, gid) < 0) ||
	    chmod(c->socket_path, c->socket_mode) < 0) {
		ret = -errno;
		log_err("cannot listen on %s: %s", c->socket_path, strerror(-ret));
		close(fd);
		return ret;
	}
	s->created_socket = strdup(c->socket_path);
	if (!s->created_socket) {
		unlink(c->socket_path);
		close(fd);
		return -ENOMEM;
	}
	*ret_fd = fd;
	return 0;
}

static int server_listen(struct server *s)
{
	int fd = -1, ret = notify_listen_fd(&fd);

	if (ret < 0)
		return ret;
	if (ret == 0) {
		ret = socket_create(s, &fd);
		if (ret < 0)
			return ret;
		log_info("listening on %s", s->config->socket_path);
	} else {
		evutil_make_socket_nonblocking(fd);
		/* Its unit's Backlog= says the same; this holds whatever passed it. */
		if (listen(fd, ACCEPT_BACKLOG) < 0)
			log_warning("cannot shorten the passed socket's queue: %m, ignoring");
		log_info("listening on the socket passed by systemd");
	}
	evutil_make_socket_closeonexec(fd);
	s->listen_fd = fd;
	s->ev_listen = event_new(s->base, fd, EV_READ | EV_PERSIST, on_listen_ready, s);
	if (!s->ev_listen || event_add(s->ev_listen, NULL) < 0)
		return -ENOMEM;		/* server_free closes fd */
	return 0;
}

/* Stop accepting for good: shutdown, and the end. */
static void server_unlisten(struct server *s)
{
	if (s->ev_listen) {
		event_free(s->ev_listen);
		s->ev_listen = NULL;
	}
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		s->listen_fd = -1;
	}
}

/*
 * Mapped regions hand every client that maps one a descriptor of /dev/userfaultfd, with which
 * it can make userfaultfds that trap the kernel's own accesses: what this host denies
 * unprivileged processes when vm.unprivileged_userfaultfd is 0. Say so once, with the way to
 * keep it to root and the admin group, when that is what the configuration does.
 */
static void mapped_regions_notice(const struct daemon_config *config)
{
	char v = '1';
	int fd;

	if (config->mapped_regions != MAPPED_ALL)
		return;
	fd = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (read(fd, &v, 1) == 1 && v == '0')
		log_notice("mapped regions: a client that maps one gets a kernel-mode userfaultfd, "
			   "which vm.unprivileged_userfaultfd=0 denies it otherwise; "
			   "'mapped-regions admin' keeps them to root and the admin group");
	close(fd);
}

static void remove_socket(struct server *s)
{
	if (s->created_socket && unlink(s->created_socket) < 0 && errno != ENOENT)
		log_warning("cannot remove %s: %m, ignoring", s->created_socket);
	free(s->created_socket);
	s->created_socket = NULL;
}

/* Leave the loop once shutdown has begun and nothing is left to answer or free. */
void server_check_done(struct server *s)
{
	if (s->stopping && s->nr_sessions == 0 && TAILQ_EMPTY(&s->graveyard) &&
	    (!s->workers || workers_busy(s->workers) == 0))
		event_base_loopexit(s->base, NULL);
}

static void server_reap(struct server *s)
{
	struct session *session;

	while ((session = TAILQ_FIRST(&s->graveyard))) {
		TAILQ_REMOVE(&s->graveyard, session, link);
		session_free(session);
	}
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	server_reap(s);
	server_check_done(s);
}

void server_session_closed(struct server *s, struct session *session)
{
	TAILQ_REMOVE(&s->sessions, session, link);
	s->nr_sessions--;
	session_unref(session);
	server_check_done(s);
}

void server_session_release(struct server *s, struct session *session)
{
	TAILQ_INSERT_TAIL(&s->graveyard, session, link);
	event_active(s->ev_reap, EV_TIMEOUT, 0);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	struct session *session, *next;

	if (s->nr_sessions)
		log_warning("%u clients did not take their last answers in time, disconnecting",
			    s->nr_sessions);
	for (session = TAILQ_FIRST(&s->sessions); session; session = next) {
		next = TAILQ_NEXT(session, link);
		session_close(session);
	}
	server_check_done(s);
}

static void server_begin_shutdown(struct server *s, const char *why)
{
	struct session *session, *next;
	struct timeval tv = { .tv_sec = s->config->shutdown_timeout };

	if (s->stopping)
		return;
	s->stopping = true;
	notify_stopping();
	log_notice("%s, stopping", why);
	server_unlisten(s);
	remove_socket(s);
	for (session = TAILQ_FIRST(&s->sessions); session; session = next) {
		next = TAILQ_NEXT(session, link);
		session_shutdown(session);
	}
	event_add(s->ev_deadline, &tv);
	server_check_done(s);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	char why[64];

	snprintf(why, sizeof(why), "%s received", strsignal((int)sig));
	server_begin_shutdown(arg, why);
}

static void on_shutdown_request(evutil_socket_t fd, short what, void *arg)
{
	server_begin_shutdown(arg, "shutdown requested by a client");
}

void server_request_shutdown(struct server *s)
{
	event_active(s->ev_shutdown, EV_TIMEOUT, 0);
}

/*
 * A reload in flight: the loop parses the files and finds what changed; a worker applies the
 * changed tunables to the engine (whose lock the loop never takes); back on the loop, the
 * configuration takes the new values and systemd hears READY again.
 */
struct reload_job {
	struct job job;
	struct server *server;
	struct daemon_config fresh;
	struct config_change *changes;
	int nr_changes, cap;
	uint64_t *was, *now;		/* each tunable change's value before and after */
	char refused[320];		/* the tunable the engine refused, and why; "" if none */
};

/* One key changed in the file (or on the command line) since the last load: note it. */
static void on_reload_change(void *arg, const struct config_change *ch)
{
	struct reload_job *rj = arg;
	struct config_change *c;

	if (rj->nr_changes == rj->cap) {
		int cap = rj->cap ? rj->cap * 2 : 8;

		c = realloc(rj->changes, (size_t)cap * sizeof(*c));
		if (!c) {
			log_warning("reload: no memory to apply %s", ch->key);
			return;
		}
		rj->changes = c;
		rj->cap = cap;
	}
	rj->changes[rj->nr_changes++] = *ch;
}

/* Whether CH's value is 0 standing for what the engine computes: min-free-kbytes. */
static bool reload_value_computed(const struct config_change *ch)
{
	return ch->tunable == RCL_TUNABLE_MIN_FREE_KBYTES && strtoull(ch->new_value, NULL, 10) == 0;
}

/* The value CH's config text sets: min-free-kbytes 0 is what the engine computed at start. */
static uint64_t reload_value(struct server *s, const struct config_change *ch)
{
	return reload_value_computed(ch) ? s->boot_min_free_kbytes : strtoull(ch->new_value, NULL, 10);
}

/*
 * On a worker: set the changed tunables, all or none. One the engine refuses (a value past
 * what this arena allows) puts back those set before it, and the reload keeps the running
 * configuration, as for a file that does not parse. (Of today's keys only min-free-kbytes,
 * the first tunable, can be refused after the file parsed, so nothing is put back yet; a
 * later tunable with a limit of the engine's would be.)
 */
static void reload_run(struct job *job)
{
	struct reload_job *rj = (struct reload_job *)job;
	struct server *s = rj->server;
	int i, r;

	rj->was = calloc((size_t)rj->nr_changes + 1, sizeof(*rj->was));
	rj->now = calloc((size_t)rj->nr_changes + 1, sizeof(*rj->now));
	if (!rj->was || !rj->now) {
		snprintf(rj->refused, sizeof(rj->refused), "no memory to apply it");
		return;
	}
	for (i = 0; i < rj->nr_changes; i++) {
		const struct config_change *ch = &rj->changes[i];

		if (!ch->reloadable || ch->tunable < 0)
			continue;
		rcl_tunable_get(s->engine, (enum rcl_tunable)ch->tunable, &rj->was[i]);
		rj->now[i] = reload_value(s, ch);
		r = rcl_tunable_set(s->engine, (enum rcl_tunable)ch->tunable, rj->now[i]);
		if (r == 0)
			continue;
		snprintf(rj->refused, sizeof(rj->refused), "cannot set %s to %" PRIu64 ": %s",
			 ch->key, rj->now[i], strerror(-r));
		while (i-- > 0) {
			ch = &rj->changes[i];
			if (ch->reloadable && ch->tunable >= 0)
				rcl_tunable_set(s->engine, (enum rcl_tunable)ch->tunable,
						rj->was[i]);
		}
		return;
	}
}

/* On the loop: what the reload did to change I, in the log. */
static void reload_log(const struct reload_job *rj, int i)
{
	const struct config_change *ch = &rj->changes[i];

	if (!ch->reloadable)
		log_warning("reload: %s %s -> %s needs a restart, not applied", ch->key,
			    ch->old_value, ch->new_value);
	else if (ch->tunable >= 0)
		log_notice("%s %" PRIu64 " -> %" PRIu64 "%s (reload)", ch->key, rj->was[i],
			   rj->now[i], reload_value_computed(ch) ? " (0: computed)" : "");
	else
		log_notice("%s %s -> %s (reload)", ch->key, ch->old_value, ch->new_value);
}

static void reload_done(struct job *job)
{
	struct reload_job *rj = (struct reload_job *)job;
	struct server *s = rj->server;
	char status[256], later[64] = "";
	int i, restart = 0;

	if (rj->refused[0]) {
		log_warning("reload: %s; keeping the current configuration", rj->refused);
	} else {
		for (i = 0; i < rj->nr_changes; i++) {
			reload_log(rj, i);
			restart += !rj->changes[i].reloadable;
		}
		config_take_reloadable(s->config, &rj->fresh);
		log_set_max_level(s->config->log_level);
		/* What was applied; the changes that wait for a restart were named above. */
		if (restart)
			snprintf(later, sizeof(later), ", %d more need%s a restart", restart,
				 restart == 1 ? "s" : "");
		log_notice("reloaded%s%s: %d setting%s applied%s",
			   s->config->config_file ? " " : "",
			   s->config->config_file ? s->config->config_file : "",
			   rj->nr_changes - restart, rj->nr_changes - restart == 1 ? "" : "s", later);
	}
	config_done(&rj->fresh);
	free(rj->was);
	free(rj->now);
	free(rj->changes);
	free(rj);
	server_summary(s, status, sizeof(status));
	notify_ready(status);
}

/*
 * SIGHUP: re-read the file and the command line. Only keys whose value changed since the last
 * load count: a tunable set at run time stays unless the file changes it.
 */
static void on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	struct reload_job *rj = calloc(1, sizeof(*rj));
	char status[256];

	notify_reloading();
	if (!rj) {
		log_warning("reload: no memory, keeping the current configuration");
		goto out;
	}
	rj->server = s;
	rj->job.run = reload_run;
	rj->job.done = reload_done;
	config_init(&rj->fresh);
	if (config_parse_args(&rj->fresh, s->argc, s->argv) != 0) {
		log_warning("reload: the configuration is not valid, keeping the current one");
		goto fail;
	}
	config_diff(s->config, &rj->fresh, on_reload_change, rj);
	if (workers_submit(s->workers, &rj->job) == 0)
		return;		/* reload_done says READY */
	log_warning("reload: cannot apply it now (shutting down?), keeping the current one");
fail:
	config_done(&rj->fresh);
	free(rj->changes);
	free(rj);
out:
	server_summary(s, status, sizeof(status));
	notify_ready(status);
}

static void on_cron(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	char status[256];

	if (s->watchdog_usec)
		notify_watchdog();
	if (s->listener_paused && s->ev_listen) {
		event_add(s->ev_listen, NULL);
		s->listener_paused = false;
	}
	server_spare_fd_refill(s);
	if (!s->stopping) {
		if (fd_take_shortage())
			server_shrink_files(s);
		server_refresh_summary(s);
		metrics_refresh(s->metrics);
	}
	server_summary(s, status, sizeof(status));
	if (strcmp(status, s->last_status) != 0) {
		notify_status(status);
		memcpy(s->last_status, status, sizeof(status));
	}
}

/* Signals, the cron timer and the internal events. 0 or -ENOMEM. */
static int server_add_events(struct server *s)
{
	uint64_t period = CRON_PERIOD_USEC;
	struct timeval tv;

	s->watchdog_usec = notify_watchdog_usec();
	if (s->watchdog_usec && s->watchdog_usec / 2 < period)
		period = s->watchdog_usec / 2;
	tv.tv_sec = (time_t)(period / 1000000);
	tv.tv_usec = (suseconds_t)(period % 1000000);

	s->ev_term = evsignal_new(s->base, SIGTERM, on_stop_signal, s);
	s->ev_int = evsignal_new(s->base, SIGINT, on_stop_signal, s);
	s->ev_hup = evsignal_new(s->base, SIGHUP, on_reload, s);
	s->ev_cron = event_new(s->base, -1, EV_PERSIST, on_cron, s);
	s->ev_shutdown = event_new(s->base, -1, 0, on_shutdown_request, s);
	s->ev_deadline = event_new(s->base, -1, 0, on_deadline, s);
	s->ev_reap = event_new(s->base, -1, 0, on_reap, s);
	if (!s->ev_term || !s->ev_int || !s->ev_hup || !s->ev_cron || !s->ev_shutdown ||
	    !s->ev_deadline || !s->ev_reap)
		return -ENOMEM;
	if (evsignal_add(s->ev_term, NULL) < 0 || evsignal_add(s->ev_int, NULL) < 0 ||
	    evsignal_add(s->ev_hup, NULL) < 0 || event_add(s->ev_cron, &tv) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * The engine's OOM kill policy freed a region: forget it and give its owner back the bytes it
 * was charged. Runs under the engine's lock; the registry and rawpages locks are leaves.
 */
static void on_oom_kill(void *arg, uint32_t region_id)
{
	struct server *s = arg;
	struct region_rec rec;

	if (registry_region_take(s->registry, region_id, 0, true, &rec) < 0)
		return;
	registry_region_uncharge(s->raw, &rec);
	log_warning("out of memory: freed region %u of uid %u (%" PRIu64 " bytes, memcg %s)",
		    region_id, (unsigned int)rec.uid, rec.bytes, rec.memcg);
}

int server_new(struct daemon_config *config, struct rcl_engine *engine, int argc, char **argv,
	       struct server **ret_server)
{
	struct server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->config = config;
	s->engine = engine;
	s->argc = argc;
	s->argv = argv;
	TAILQ_INIT(&s->sessions);
	TAILQ_INIT(&s->graveyard);
	TAILQ_INIT(&s->worker_waiters);
	TAILQ_INIT(&s->on_workers);
	s->spare_fd = -1;
	s->listen_fd = -1;
	server_spare_fd_refill(s);
	atomic_init(&s->nr_requests, 0);
	atomic_init(&s->nr_requests_loop, 0);
	atomic_init(&s->nr_requests_worker, 0);
	s->base = event_base_new();
	ret = s->base ? rawpages_new(&s->raw) : -ENOMEM;
	if (ret == 0)
		ret = registry_new(&s->registry);
	if (ret == 0)
		ret = file_owners_new(config->state_dir, config->data_dir, &s->files);
	if (ret == 0)
		ret = subs_new(s, &s->subs);
	if (ret < 0)
		goto fail;
	if (config->admin_group) {
		ret = group_lookup(config->admin_group, &s->admin_gid);
		if (ret < 0)
			goto fail;
		s->has_admin_gid = true;
	}
	{
		struct rcl_engine_info info;

		rcl_engine_info(engine, &info);
		s->boot_min_free_kbytes = info.min_free_kbytes;
	}
	server_apply_tunables(s, config);
	rcl_oom_notify_set(engine, on_oom_kill, s);
	ret = mapfd_new(engine, s->raw, config->fault_poll_usecs, &s->mapfd);
	if (ret < 0) {
		log_err("cannot start the mapped regions' fault thread: %s", strerror(-ret));
		goto fail;
	}
	mapped_regions_notice(config);
	ret = workers_new(s->base, engine, config->workers, &s->workers);
	if (ret < 0) {
		log_err("cannot start %u workers: %s", config->workers, strerror(-ret));
		goto fail;
	}
	ret = server_add_events(s);
	if (ret < 0)
		goto fail;
	ret = metrics_start(s, &s->metrics);
	if (ret < 0)
		goto fail;
	ret = psiwatch_start(s, &s->psiwatch);
	if (ret < 0)
		goto fail;
	ret = server_listen(s);
	if (ret < 0)
		goto fail;
	*ret_server = s;
	return 0;
fail:
	server_free(s);
	return ret;
}

int server_run(struct server *s)
{
	char status[256];
	int ret;

	summary_engine(s, s->summary, sizeof(s->summary));
	server_summary(s, status, sizeof(status));
	notify_ready(status);
	memcpy(s->last_status, status, sizeof(status));
	rcl_thread_never_blocks(true);	/* every engine call is a worker's from here */
	ret = event_base_dispatch(s->base);
	rcl_thread_never_blocks(false);
	if (ret < 0)
		return -EIO;
	log_notice("stopped after %" PRIu64 " requests",
		   (uint64_t)atomic_load_explicit(&s->nr_requests, memory_order_relaxed));
	return 0;
}

static void event_free_maybe(struct event *ev)
{
	if (ev)
		event_free(ev);
}

void server_free(struct server *s)
{
	struct session *session, *next;

	if (!s)
		return;
	for (session = TAILQ_FIRST(&s->sessions); session; session = next) {
		next = TAILQ_NEXT(session, link);
		session_close(session);
	}
	/* Running calls finish here; their sessions then land in the graveyard. */
	workers_free(s->workers);
	rcl_oom_notify_set(s->engine, NULL, NULL);
	metrics_stop(s->metrics);	/* after the workers: a render's done may still run */
	psiwatch_stop(s->psiwatch);	/* likewise a sample's */
	server_reap(s);
	mapfd_free(s->mapfd);		/* after every session's cleanup */
	server_unlisten(s);
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	remove_socket(s);
	event_free_maybe(s->ev_term);
	event_free_maybe(s->ev_int);
	event_free_maybe(s->ev_hup);
	event_free_maybe(s->ev_cron);
	event_free_maybe(s->ev_shutdown);
	event_free_maybe(s->ev_deadline);
	event_free_maybe(s->ev_reap);
	subs_free(s->subs);
	registry_free(s->registry);
	file_owners_free(s->files);
	rawpages_free(s->raw);
	if (s->base)
		event_base_free(s->base);
	free(s);
}
