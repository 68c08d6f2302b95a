/*
 * psiwatch.c - systemd's memory-pressure protocol on a socket per memcg (see psiwatch.h).
 *
 * The loop samples every memcg's stall totals (every SAMPLE_USEC while a trigger is armed,
 * once a second otherwise): reading PSI takes no mm_lock, only the engine's short PSI and
 * memcg tree locks, as the Pressure request does, so a sample no longer waits in the workers'
 * queue behind the very reclaim whose stalls it should report. Then it creates the sockets
 * of new memcgs, removes those of the memcgs gone, and evaluates the triggers.
 * The kernel evaluates its triggers on each stall; here they are as fine as the sampling.
 *
 * Who may watch is who may see the group through the API (registry_memcg_visible, as for
 * Subscribe EVENT_PSI): its owner, the owner of a group above it, everyone for the root,
 * root and the admin group for all. The sockets must be 0666, since the services that watch
 * them run as any uid, so the peer's credentials are checked on accept, and again when a
 * path's group is made anew; the directory is 0711, so that a service that knows its socket's
 * path reaches it while nobody lists the names of the others' groups.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accept-budget.h"
#include "fdlimit.h"
#include "log.h"
#include "psi-sock.h"
#include "psiwatch.h"
#include "registry.h"
#include "server.h"
#include "reclaim/memcg.h"
#include "reclaim/pressure.h"

#define SAMPLE_USEC	200000ULL	/* while a trigger is armed */
#define IDLE_USEC	1000000ULL	/* otherwise: only to follow memcgs coming and going */
#define MAX_WATCHERS	64		/* connections per memcg socket, admins' aside */
/* Of those, one uid's: everyone may watch the root group, and the owners of the groups above
 * a group may watch it too, so one uid that took them all locked the others out of the
 * watch. Root and the admin group are held to neither. */
#define MAX_WATCHERS_PER_UID	8

struct pw_sock;

struct pw_conn {
	LIST_ENTRY(pw_conn) link;
	struct pw_sock *sock;
	struct bufferevent *bev;
	uid_t uid;
	bool admin;		/* root or the admin group: not counted */
	bool armed;		/* a trigger was parsed */
	bool closing;		/* an error line is on its way; freed once written */
	struct psi_trigger trig;
};

/* A Subscribe EVENT_PSI's trigger (psiwatch_listen). */
struct pw_listener {
	LIST_ENTRY(pw_listener) link;
	uint32_t memcg_id;
	struct psi_trigger trig;
	psiwatch_fire_fn fire;
	void *arg;
	/* Its group is gone: it hears nothing more, whatever group takes the id later (ids
	 * come back once their 16-bit generation wraps, and may then be another uid's). */
	bool gone;
};

struct pw_sock {
	LIST_ENTRY(pw_sock) link;
	struct psiwatch *w;
	char *memcg;		/* "/a/b" */
	uint32_t memcg_id;
	char *path;		/* the socket's file; NULL when there is no socket directory */
	struct evconnlistener *listener;
	struct fd_rest *rest;	/* the listener's, out of descriptors */
	struct accept_budget *budget;	/* the listener's, a turn of the loop */
	struct psi_history history;
	bool seen;		/* in the latest sample */
	LIST_HEAD(, pw_conn) conns;
	unsigned int nr_conns;
};

struct pw_sample {
	char memcg[1024];
	uint32_t memcg_id;
	uint64_t total[2];
};

struct psiwatch {
	struct server *server;
	char *dir;		/* of the sockets; NULL: none, the sampling serves listeners */
	struct event *timer;
	uint64_t last_sample;
	unsigned int nr_armed;
	struct pw_sample *next;	/* the sample being applied */
	size_t nr_next;
	uint64_t next_when;
	LIST_HEAD(, pw_sock) socks;
	LIST_HEAD(, pw_listener) listeners;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void conn_free(struct pw_conn *c)
{
	if (c->armed)
		c->sock->w->nr_armed--;
	LIST_REMOVE(c, link);
	c->sock->nr_conns--;
	bufferevent_free(c->bev);
	free(c);
}

/* Tell the client what is wrong, then hang up once it is written. */
static void conn_refuse(struct pw_conn *c, const char *why)
{
	static struct log_ratelimit refusals;	/* anyone who may connect can repeat it */

	if (log_ratelimit(&refusals))
		log_warning("pressure watch %s: %s, closing the connection", c->sock->memcg,
			    why);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_enable(c->bev, EV_WRITE);
	evbuffer_add_printf(bufferevent_get_output(c->bev), "error: %s\n", why);
}

/*
 * Read what @c sent and we did not (the trigger of one refused on accept), a little at most:
 * a Unix socket closed with unread data makes the client's next read fail ECONNRESET instead
 * of the end of the stream that follows the error line.
 */
static void conn_drain(struct pw_conn *c)
{
	char buf[PSI_TRIGGER_MAX + 2];
	int i;

	for (i = 0; i < 4; i++)
		if (recv(bufferevent_getfd(c->bev), buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
}

static void on_conn_write(struct bufferevent *bev, void *arg)
{
	struct pw_conn *c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		conn_drain(c);
		conn_free(c);
	}
}

static void on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

/*
 * The trigger arrives in one write (systemd writes it whole, and so small a write reaches a
 * stream socket in one piece): what a read finds, up to a NUL or newline, is the trigger.
 */
static void on_conn_read(struct bufferevent *bev, void *arg)
{
	struct pw_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	char buf[PSI_TRIGGER_MAX + 2];
	const char *why;
	size_t i, n;

	n = len < sizeof(buf) ? len : sizeof(buf);
	evbuffer_remove(in, buf, n);
	evbuffer_drain(in, len - n);
	if (c->armed) {
		/* Only the terminator of the trigger may follow it: one trigger a connection. */
		for (i = 0; i < n; i++)
			if (buf[i] && buf[i] != '\n') {
				conn_refuse(c, "a trigger is set on this connection already");
				return;
			}
		return;
	}
	if (psi_trigger_parse(buf, n, &c->trig, &why) < 0) {
		conn_refuse(c, why);
		return;
	}
	psi_trigger_arm(&c->trig, psi_history_total(&c->sock->history, c->trig.kind));
	c->armed = true;
	c->sock->w->nr_armed++;
	log_debug("pressure watch %s: %s %" PRIu64 " %" PRIu64, c->sock->memcg,
		  psi_kind_name(c->trig.kind), c->trig.stall, c->trig.window);
}

/* May @c hear its socket's group? As the API decides it for the same uid (see the top). */
static bool conn_may_watch(const struct pw_conn *c)
{
	return c->admin ||
	       registry_memcg_visible(c->sock->w->server->registry, c->sock->memcg_id, c->uid);
}

/*
 * Refuse @c, naming the group's owner as Subscribe does, unless it may watch the group:
 * otherwise any uid could arm a trigger on another's group and hear its pressure.
 * True if it was refused.
 */
static bool conn_refuse_stranger(struct pw_conn *c)
{
	struct pw_sock *s = c->sock;
	char why[sizeof(((struct pw_sample *)0)->memcg) + 96];

	if (conn_may_watch(c))
		return false;
	snprintf(why, sizeof(why), "uid %u may not watch %s: it belongs to uid %u",
		 (unsigned int)c->uid, s->memcg,
		 (unsigned int)registry_memcg_owner(s->w->server->registry, s->memcg_id));
	conn_refuse(c, why);
	return true;
}

/* The watchers of @s, admins' and those being refused aside: of @uid, or all ((uid_t)-1). */
static unsigned int watchers_of(const struct pw_sock *s, uid_t uid)
{
	const struct pw_conn *c;
	unsigned int n = 0;

	LIST_FOREACH(c, &s->conns, link)
		n += !c->admin && !c->closing && (uid == (uid_t)-1 || c->uid == uid);
	return n;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr,
		      int socklen, void *arg)
{
	static struct log_ratelimit refusals;
	struct pw_sock *s = arg;
	struct pw_conn *c;
	struct ucred cred;
	bool admin = false;

	(void)l;
	(void)addr;
	(void)socklen;
	accept_budget_charge(s->budget);
	/* Anyone may connect (the socket is 0666, see the top): the descriptor reserve holds
	 * here as on the API's socket, and who may watch is checked below. */
	if (server_peer_identify(s->w->server, fd, &cred, &admin) < 0 ||
	    (!admin && !fd_client_may_hold(fd))) {
		if (log_ratelimit(&refusals))
			log_warning("pressure watch %s: a connection refused: reclaimd's file "
				    "descriptors are nearly all in use", s->memcg);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->bev = bufferevent_socket_new(s->w->server->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !c->bev) {
		free(c);
		close(fd);
		return;
	}
	c->sock = s;
	c->uid = cred.uid;
	c->admin = admin;
	LIST_INSERT_HEAD(&s->conns, c, link);
	s->nr_conns++;
	bufferevent_setcb(c->bev, on_conn_read, on_conn_write, on_conn_event, c);
	bufferevent_enable(c->bev, EV_READ);
	if (conn_refuse_stranger(c))
		return;
	if (!admin && watchers_of(s, cred.uid) > MAX_WATCHERS_PER_UID)
		conn_refuse(c, "too many watchers of this memcg from this uid");
	else if (!admin && watchers_of(s, (uid_t)-1) > MAX_WATCHERS)
		conn_refuse(c, "too many watchers of this memcg");
}

static void sock_free(struct pw_sock *s)
{
	while (!LIST_EMPTY(&s->conns))
		conn_free(LIST_FIRST(&s->conns));
	fd_rest_free(s->rest);	/* before its listener */
	accept_budget_free(s->budget);
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->path && unlink(s->path) < 0 && errno != ENOENT)
		log_warning("cannot remove %s: %m", s->path);
	LIST_REMOVE(s, link);
	free(s->memcg);
	free(s->path);
	free(s);
}

/* The record of @memcg's samples, without a socket; NULL without memory. */
static struct pw_sock *sock_new_bare(struct psiwatch *w, const char *memcg, uint32_t memcg_id)
{
	struct pw_sock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->w = w;
	s->memcg_id = memcg_id;
	LIST_INIT(&s->conns);
	LIST_INSERT_HEAD(&w->socks, s, link);
	s->memcg = strdup(memcg);
	if (!s->memcg) {
		sock_free(s);
		return NULL;
	}
	return s;
}

/* The listening socket of @memcg; NULL when it cannot be made (logged). */
static struct pw_sock *sock_new(struct psiwatch *w, const char *memcg, uint32_t memcg_id)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char name[256], who[96];
	struct pw_sock *s;
	int fd;

	if (!w->dir)
		return sock_new_bare(w, memcg, memcg_id);
	if (psi_sock_name(memcg, name, sizeof(name)) < 0 ||
	    (size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", w->dir, name) >=
	    sizeof(sun.sun_path)) {
		log_warning("pressure watch %s: the socket's path is too long, none", memcg);
		return NULL;
	}
	s = sock_new_bare(w, memcg, memcg_id);
	if (!s)
		return NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	unlink(sun.sun_path);	/* a stale one from a daemon that died */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warning("pressure watch %s: cannot bind %s: %m", memcg, sun.sun_path);
		close(fd);
		goto fail;
	}
	s->path = strdup(sun.sun_path);
	/* The services that watch run as any uid: on_accept decides who may. */
	chmod(sun.sun_path, 0666);
	s->listener = evconnlistener_new(w->server->base, on_accept, s, LEV_OPT_CLOSE_ON_FREE, 16,
					 fd);
	if (!s->listener) {
		close(fd);
		goto fail;
	}
	snprintf(who, sizeof(who), "pressure watch %s", memcg);
	s->rest = fd_rest_new(w->server->base, s->listener, who);
	s->budget = accept_budget_new(w->server->base, s->listener);
	if (!s->path || !s->rest || !s->budget)
		goto fail;
	return s;
fail:
	sock_free(s);
	return NULL;
}

/* Fire @c if its trigger crossed: one byte, as the kernel's POLLPRI. */
static void conn_evaluate(struct pw_conn *c, uint64_t now)
{
	if (psi_trigger_check(&c->trig, &c->sock->history, now, NULL))
		bufferevent_write(c->bev, "\n", 1);
}

/* Fire @l if its trigger crossed on @s, the record of its memcg. */
static void listener_evaluate(struct pw_listener *l, const struct pw_sock *s, uint64_t now)
{
	struct psiwatch_event ev;

	if (!psi_trigger_check(&l->trig, &s->history, now, &ev.growth))
		return;
	ev.memcg_id = l->memcg_id;
	ev.when = now;
	ev.trig = &l->trig;
	ev.total = psi_history_total(&s->history, l->trig.kind);
	l->fire(l->arg, &ev);
}

/*
 * The record of @memcg. By path: a socket is named after it, and a group removed and made
 * again between two samples keeps its socket (its stall total starts again from 0, which
 * the triggers take as no growth).
 */
static struct pw_sock *sock_find(struct psiwatch *w, const char *memcg)
{
	struct pw_sock *s;

	LIST_FOREACH(s, &w->socks, link)
		if (!strcmp(s->memcg, memcg))
			return s;
	return NULL;
}

static struct pw_sock *sock_find_id(struct psiwatch *w, uint32_t memcg_id)
{
	struct pw_sock *s;

	LIST_FOREACH(s, &w->socks, link)
		if (s->memcg_id == memcg_id)
			return s;
	return NULL;
}

/* Every memcg's path and stall totals. */
static void sample_take(struct psiwatch *w)
{
	struct rcl_engine *engine = w->server->engine;
	struct pw_sample *v = NULL;
	uint32_t *ids = NULL;
	struct rcl_psi psi;
	size_t nr = 0;
	int n, i;

	n = rcl_memcg_list_alloc(engine, RCL_MEMCG_ROOT, &ids);
	if (n > 0)
		v = calloc((size_t)n, sizeof(*v));
	for (i = 0; v && i < n; i++) {
		if (rcl_memcg_path(engine, ids[i], v[nr].memcg, sizeof(v[nr].memcg)) < 0 ||
		    rcl_psi_read(engine, ids[i], &psi) < 0)
			continue;	/* deleted since the listing */
		v[nr].memcg_id = ids[i];
		v[nr].total[PSI_SOME] = psi.some.total_usec;
		v[nr].total[PSI_FULL] = psi.full.total_usec;
		nr++;
	}
	free(ids);
	w->next = v;
	w->nr_next = nr;
	w->next_when = now_usec();
}

/*
 * @s's path names a group made anew, @memcg_id, since the last sample: a listener follows the
 * group, not the path, and the watchers already connected may watch it only if they may see
 * the new group (another uid may have made it).
 */
static void sock_renew(struct pw_sock *s, uint32_t memcg_id)
{
	struct pw_conn *c;

	s->memcg_id = memcg_id;
	LIST_FOREACH(c, &s->conns, link)
		if (!c->closing)
			conn_refuse_stranger(c);	/* frees nothing until written */
}

/* Whether group @memcg_id was deleted (not only missing from a sample that ran short). */
static bool memcg_gone(struct psiwatch *w, uint32_t memcg_id)
{
	char path[PATH_MAX];

	return rcl_memcg_path(w->server->engine, memcg_id, path, sizeof(path)) == -ENOENT;
}

/* Follow the memcgs, record the sample, evaluate the triggers. */
static void sample_apply(struct psiwatch *w)
{
	struct pw_sock *s, *next;
	struct pw_conn *c, *cnext;
	struct pw_listener *l, *lnext;
	size_t i;

	LIST_FOREACH(s, &w->socks, link)
		s->seen = false;
	for (i = 0; i < w->nr_next; i++) {
		s = sock_find(w, w->next[i].memcg);
		if (!s)
			s = sock_new(w, w->next[i].memcg, w->next[i].memcg_id);
		if (!s)
			continue;
		s->seen = true;
		if (s->memcg_id != w->next[i].memcg_id)
			sock_renew(s, w->next[i].memcg_id);
		psi_history_add(&s->history, w->next_when, w->next[i].total);
	}
	for (s = LIST_FIRST(&w->socks); s; s = next) {
		next = LIST_NEXT(s, link);
		if (!s->seen) {
			sock_free(s);	/* the memcg is gone */
			continue;
		}
		for (c = LIST_FIRST(&s->conns); c; c = cnext) {
			cnext = LIST_NEXT(c, link);
			if (c->armed && !c->closing)
				conn_evaluate(c, w->next_when);
		}
	}
	/* A listener's @fire may unlisten it (psiwatch.h allows it): step first. */
	for (l = LIST_FIRST(&w->listeners); l; l = lnext) {
		lnext = LIST_NEXT(l, link);
		if (l->gone)
			continue;
		s = sock_find_id(w, l->memcg_id);
		if (s)
			listener_evaluate(l, s, w->next_when);
		else if (memcg_gone(w, l->memcg_id))
			l->gone = true;
	}
	free(w->next);
	w->next = NULL;
	w->nr_next = 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct psiwatch *w = arg;
	uint64_t now = now_usec();

	(void)fd;
	(void)what;
	if (w->server->stopping)
		return;
	if (!w->nr_armed && now - w->last_sample < IDLE_USEC)
		return;
	w->last_sample = now;
	sample_take(w);
	sample_apply(w);
}

/*
 * The directory of the sockets, 0711 (see the top) even when it was there already, made by
 * systemd's RuntimeDirectory= or by a daemon that made it listable. 0, or -1 (logged).
 */
static int dir_make(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0711) < 0 && errno != EEXIST) {
		log_warning("cannot create %s: %m; no memory-pressure sockets", dir);
		return -1;
	}
	/* One we may not chmod will do if nobody else may read or write it already. */
	if (chmod(dir, 0711) < 0 && (stat(dir, &st) < 0 || (st.st_mode & 0066))) {
		log_warning("cannot make %s 0711: %m; no memory-pressure sockets, lest other "
			    "uids list the names of the memcgs", dir);
		return -1;
	}
	return 0;
}

int psiwatch_start(struct server *s, struct psiwatch **ret)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = SAMPLE_USEC };
	const char *slash = strrchr(s->config->socket_path, '/');
	struct psiwatch *w = calloc(1, sizeof(*w));
	int len = slash ? (int)(slash - s->config->socket_path) : 1;

	*ret = NULL;
	if (!w)
		return -ENOMEM;
	w->server = s;
	LIST_INIT(&w->socks);
	LIST_INIT(&w->listeners);
	if (asprintf(&w->dir, "%.*s/" PSI_SOCK_DIR, len, slash ? s->config->socket_path : ".") < 0) {
		w->dir = NULL;
		goto nomem;
	}
	/*
	 * The sockets are an extra: a daemon that cannot make their directory serves without
	 * them, still sampling for the triggers of Subscribe EVENT_PSI.
	 */
	if (dir_make(w->dir) < 0) {
		free(w->dir);
		w->dir = NULL;
	}
	w->timer = event_new(s->base, -1, EV_PERSIST, on_tick, w);
	if (!w->timer || event_add(w->timer, &tv) < 0)
		goto nomem;
	*ret = w;
	return 0;
nomem:
	psiwatch_stop(w);
	return -ENOMEM;
}

void psiwatch_stop(struct psiwatch *w)
{
	if (!w)
		return;
	if (w->timer)
		event_free(w->timer);
	while (!LIST_EMPTY(&w->socks))
		sock_free(LIST_FIRST(&w->socks));
	while (!LIST_EMPTY(&w->listeners))
		psiwatch_unlisten(w, LIST_FIRST(&w->listeners));
	if (w->dir)
		rmdir(w->dir);	/* unless something else lives there */
	free(w->dir);
	free(w->next);
	free(w);
}

struct pw_listener *psiwatch_listen(struct psiwatch *w, uint32_t memcg_id,
				    const struct psi_trigger *trig, psiwatch_fire_fn fire, void *arg)
{
	struct pw_listener *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->memcg_id = memcg_id;
	l->trig = *trig;
	l->fire = fire;
	l->arg = arg;
	LIST_INSERT_HEAD(&w->listeners, l, link);
	w->nr_armed++;
	return l;
}

void psiwatch_unlisten(struct psiwatch *w, struct pw_listener *l)
{
	if (!l)
		return;
	LIST_REMOVE(l, link);
	w->nr_armed--;
	free(l);
}
