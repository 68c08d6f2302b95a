/*
 * psiwatch.c - systemd's memory-pressure protocol on a socket per memcg (see psiwatch.h).
 *
 * Reading PSI takes the engine's lock, which the loop thread must never wait for: a worker
 * samples every memcg's stall totals (every SAMPLE_USEC while a trigger is armed, once a
 * second otherwise), and the loop, when the sample comes back, creates the sockets of new
 * memcgs, removes those of the memcgs gone, and evaluates the triggers against the sample.
 * The kernel evaluates its triggers on each stall; here they are as fine as the sampling.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "psi-sock.h"
#include "psiwatch.h"
#include "server.h"
#include "workers.h"
#include "reclaim/memcg.h"
#include "reclaim/pressure.h"

#define SAMPLE_USEC	200000ULL	/* while a trigger is armed */
#define IDLE_USEC	1000000ULL	/* otherwise: only to follow memcgs coming and going */
#define NR_HISTORY	64		/* samples kept per memcg: > 10 s at SAMPLE_USEC */
#define MAX_WATCHERS	64		/* connections per memcg socket */
#define MAX_TRIGGER	128		/* bytes of a trigger string */
/* The kernel's bounds on a PSI trigger window (kernel/sched/psi.c). */
#define WINDOW_MIN_USEC	500000ULL
#define WINDOW_MAX_USEC	10000000ULL

struct pw_sock;

struct pw_conn {
	LIST_ENTRY(pw_conn) link;
	struct pw_sock *sock;
	struct bufferevent *bev;
	bool armed;		/* a trigger was parsed */
	bool closing;		/* an error line is on its way; freed once written */
	int full;		/* "full" rather than "some" */
	uint64_t stall, window;	/* usec */
	uint64_t arm_total;	/* the stall total when armed: growth counts from there */
	uint64_t last_event;	/* when it last fired (usec, monotonic); 0 = never */
};

struct pw_point {
	uint64_t when;		/* usec, monotonic */
	uint64_t total[2];	/* some, full stall totals (usec) */
};

struct pw_sock {
	LIST_ENTRY(pw_sock) link;
	struct psiwatch *w;
	char *memcg;		/* "/a/b" */
	char *path;		/* the socket's file */
	struct evconnlistener *listener;
	struct pw_point history[NR_HISTORY];	/* a ring, newest at head - 1 */
	unsigned int head, nr;
	bool seen;		/* in the latest sample */
	LIST_HEAD(, pw_conn) conns;
	unsigned int nr_conns;
};

struct pw_sample {
	char memcg[1024];
	uint64_t total[2];
};

struct psiwatch {
	struct server *server;
	char *dir;
	struct event *timer;
	struct job job;
	bool sampling;		/* the job is queued or running */
	uint64_t last_sample;
	unsigned int nr_armed;
	struct pw_sample *next;	/* filled by the worker */
	size_t nr_next;
	uint64_t next_when;
	LIST_HEAD(, pw_sock) socks;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int psiwatch_parse_trigger(const char *text, size_t len, int *ret_full, unsigned long long *ret_stall,
			   unsigned long long *ret_window, const char **ret_why)
{
	char buf[MAX_TRIGGER + 1], kind[8], extra;
	unsigned long long stall, window;
	size_t n;

	for (n = 0; n < len && text[n] && text[n] != '\n'; n++)
		;
	if (n > MAX_TRIGGER) {
		*ret_why = "the trigger is too long";
		return -EINVAL;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (sscanf(buf, "%7s %llu %llu %c", kind, &stall, &window, &extra) != 3 ||
	    strspn(buf, "somefulSOMEFUL 0123456789") != n) {
		*ret_why = "want \"some|full STALL_USEC WINDOW_USEC\"";
		return -EINVAL;
	}
	if (strcmp(kind, "some") && strcmp(kind, "full")) {
		*ret_why = "the kind is neither \"some\" nor \"full\"";
		return -EINVAL;
	}
	if (window < WINDOW_MIN_USEC || window > WINDOW_MAX_USEC) {
		*ret_why = "the window is not within 500000..10000000 usec";
		return -EINVAL;
	}
	if (stall == 0 || stall > window) {
		*ret_why = "the stall is not within 1..WINDOW_USEC usec";
		return -EINVAL;
	}
	*ret_full = !strcmp(kind, "full");
	*ret_stall = stall;
	*ret_window = window;
	return 0;
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
	log_warning("pressure watch %s: %s, closing the connection", c->sock->memcg, why);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_enable(c->bev, EV_WRITE);
	evbuffer_add_printf(bufferevent_get_output(c->bev), "error: %s\n", why);
}

static void on_conn_write(struct bufferevent *bev, void *arg)
{
	struct pw_conn *c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

static void on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

/* The newest total of @s of @kind (0 before the first sample). */
static uint64_t sock_total(const struct pw_sock *s, int kind)
{
	return s->nr ? s->history[(s->head + NR_HISTORY - 1) % NR_HISTORY].total[kind] : 0;
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
	char buf[MAX_TRIGGER + 2];
	unsigned long long stall, window;
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
	if (psiwatch_parse_trigger(buf, n, &c->full, &stall, &window, &why) < 0) {
		conn_refuse(c, why);
		return;
	}
	c->stall = stall;
	c->window = window;
	c->arm_total = sock_total(c->sock, c->full);
	c->armed = true;
	c->sock->w->nr_armed++;
	log_debug("pressure watch %s: %s %llu %llu", c->sock->memcg, c->full ? "full" : "some",
		  stall, window);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr,
		      int socklen, void *arg)
{
	struct pw_sock *s = arg;
	struct pw_conn *c = calloc(1, sizeof(*c));

	(void)l;
	(void)addr;
	(void)socklen;
	if (c)
		c->bev = bufferevent_socket_new(s->w->server->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !c->bev) {
		free(c);
		close(fd);
		return;
	}
	c->sock = s;
	LIST_INSERT_HEAD(&s->conns, c, link);
	s->nr_conns++;
	bufferevent_setcb(c->bev, on_conn_read, on_conn_write, on_conn_event, c);
	bufferevent_enable(c->bev, EV_READ);
	if (s->nr_conns > MAX_WATCHERS)
		conn_refuse(c, "too many watchers of this memcg");
}

static void sock_free(struct pw_sock *s)
{
	while (!LIST_EMPTY(&s->conns))
		conn_free(LIST_FIRST(&s->conns));
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->path && unlink(s->path) < 0 && errno != ENOENT)
		log_warning("cannot remove %s: %m", s->path);
	LIST_REMOVE(s, link);
	free(s->memcg);
	free(s->path);
	free(s);
}

/* The listening socket of @memcg; NULL when it cannot be made (logged). */
static struct pw_sock *sock_new(struct psiwatch *w, const char *memcg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char name[256];
	struct pw_sock *s;
	int fd;

	if (psi_sock_name(memcg, name, sizeof(name)) < 0 ||
	    (size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", w->dir, name) >=
	    sizeof(sun.sun_path)) {
		log_warning("pressure watch %s: the socket's path is too long, none", memcg);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->w = w;
	LIST_INIT(&s->conns);
	LIST_INSERT_HEAD(&w->socks, s, link);
	s->memcg = strdup(memcg);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!s->memcg || fd < 0)
		goto fail;
	unlink(sun.sun_path);	/* a stale one from a daemon that died */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warning("pressure watch %s: cannot bind %s: %m", memcg, sun.sun_path);
		close(fd);
		goto fail;
	}
	s->path = strdup(sun.sun_path);
	/* Pressure is no secret, and the services that watch it run as any user. */
	chmod(sun.sun_path, 0666);
	s->listener = evconnlistener_new(w->server->base, on_accept, s, LEV_OPT_CLOSE_ON_FREE, 16,
					 fd);
	if (!s->listener || !s->path) {
		if (!s->listener)
			close(fd);
		goto fail;
	}
	return s;
fail:
	sock_free(s);
	return NULL;
}

/* The stall total of @kind at the start of the window ending at @now: the newest point at
 * or before it, else the oldest kept. */
static uint64_t window_base(const struct pw_sock *s, int kind, uint64_t now, uint64_t window)
{
	uint64_t base = s->history[(s->head + NR_HISTORY - s->nr) % NR_HISTORY].total[kind];
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		const struct pw_point *p = &s->history[(s->head + NR_HISTORY - s->nr + i) %
						       NR_HISTORY];

		if (p->when + window > now)
			break;
		base = p->total[kind];
	}
	return base;
}

/* Fire @c if the stall grew by its threshold within its window, once a window at most. */
static void conn_evaluate(struct pw_conn *c, uint64_t now)
{
	const struct pw_sock *s = c->sock;
	uint64_t base = window_base(s, c->full, now, c->window);

	if (base < c->arm_total)	/* growth counts from the trigger's creation */
		base = c->arm_total;
	if (sock_total(s, c->full) - base < c->stall)
		return;
	if (c->last_event && now - c->last_event < c->window)
		return;
	c->last_event = now;
	bufferevent_write(c->bev, "\n", 1);
}

static struct pw_sock *sock_find(struct psiwatch *w, const char *memcg)
{
	struct pw_sock *s;

	LIST_FOREACH(s, &w->socks, link)
		if (!strcmp(s->memcg, memcg))
			return s;
	return NULL;
}

/* On a worker: every memcg's path and stall totals. */
static void sample_run(struct job *job)
{
	struct psiwatch *w = (struct psiwatch *)((char *)job - offsetof(struct psiwatch, job));
	struct rcl_engine *engine = w->server->engine;
	struct pw_sample *v = NULL, *grown;
	size_t nr = 0, cap = 0;
	struct rcl_psi psi;
	uint32_t id = 0;

	while (rcl_memcg_next(engine, RCL_MEMCG_ROOT, id, &id) == 0) {
		if (nr == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown)
				break;
			v = grown;
		}
		if (rcl_memcg_path(engine, id, v[nr].memcg, sizeof(v[nr].memcg)) < 0 ||
		    rcl_psi_read(engine, id, &psi) < 0)
			continue;
		v[nr].total[0] = psi.some.total_usec;
		v[nr].total[1] = psi.full.total_usec;
		nr++;
	}
	w->next = v;
	w->nr_next = nr;
	w->next_when = now_usec();
}

/* On the loop: follow the memcgs, record the sample, evaluate the triggers. */
static void sample_done(struct job *job)
{
	struct psiwatch *w = (struct psiwatch *)((char *)job - offsetof(struct psiwatch, job));
	struct pw_sock *s, *next;
	struct pw_conn *c, *cnext;
	size_t i;

	w->sampling = false;
	if (w->server->stopping)
		goto out;
	LIST_FOREACH(s, &w->socks, link)
		s->seen = false;
	for (i = 0; i < w->nr_next; i++) {
		struct pw_point *p;

		s = sock_find(w, w->next[i].memcg);
		if (!s)
			s = sock_new(w, w->next[i].memcg);
		if (!s)
			continue;
		s->seen = true;
		p = &s->history[s->head];
		p->when = w->next_when;
		memcpy(p->total, w->next[i].total, sizeof(p->total));
		s->head = (s->head + 1) % NR_HISTORY;
		if (s->nr < NR_HISTORY)
			s->nr++;
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
out:
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
	if (w->sampling || w->server->stopping)
		return;
	if (!w->nr_armed && now - w->last_sample < IDLE_USEC)
		return;
	w->last_sample = now;
	w->job.run = sample_run;
	w->job.done = sample_done;
	w->sampling = true;
	if (workers_submit(w->server->workers, &w->job) < 0)
		w->sampling = false;
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
	if (asprintf(&w->dir, "%.*s/" PSI_SOCK_DIR, len, slash ? s->config->socket_path : ".") < 0) {
		w->dir = NULL;
		goto nomem;
	}
	/* The sockets are an extra: a daemon that cannot make their directory serves without. */
	if (mkdir(w->dir, 0755) < 0 && errno != EEXIST) {
		log_warning("cannot create %s: %m; no memory-pressure sockets", w->dir);
		psiwatch_stop(w);
		return 0;
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
	if (w->dir)
		rmdir(w->dir);	/* unless something else lives there */
	free(w->dir);
	free(w->next);
	free(w);
}
