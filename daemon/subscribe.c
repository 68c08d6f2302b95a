/*
 * subscribe.c - subscriptions: bounded per-subscriber queues filled by the engine's callbacks
 * and drained by the loop thread into the subscriber's connection.
 *
 * Life of a subscription: a worker creates it (Subscribe), registers it with the engine and
 * lists it in subs->all; events queue from then on. Once the Subscribe answer is on its way,
 * the loop binds it to the session and delivers. It ends by Unsubscribe, by overflow or with
 * its connection, or after an Ended event when its memcg is removed: the loop marks it dead (callbacks then ignore it), unlists it, and a worker
 * unregisters it from the engine (rcl_pressure_unlisten takes the engine lock, which the loop
 * never waits for); the loop frees it when that job is done.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <sys/queue.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "config.h"
#include "frame.h"
#include "log.h"
#include "psiwatch.h"
#include "reclaim/memcg.h"
#include "reclaim/pressure.h"
#include "registry.h"
#include "req-util.h"
#include "server.h"
#include "session.h"
#include "status.h"
#include "subscribe.h"
#include "workers.h"

#define SUB_OUT_HIGH	(64u << 10)	/* deliver while the connection's output is below this */
#define SUB_BATCH	64		/* events taken from a queue per lock round */

struct sub_event {
	uint64_t time_ns;		/* CLOCK_MONOTONIC at the callback; psi: of the sample */
	uint32_t memcg_id;		/* pressure */
	enum rcl_pressure_level level;	/* pressure */
	struct rcl_trace_event trace;	/* trace */
	uint64_t psi_total, psi_growth;	/* psi: the stall total and its growth in the window */
};

struct sub {
	uint64_t id;
	uid_t uid;			/* owner */
	bool admin;			/* the owner's connection is root's or the admin group's */
	uint64_t session_id;		/* connection that subscribed */
	bool trace;			/* EVENT_TRACE */
	bool psi;			/* EVENT_PSI; neither: EVENT_PRESSURE */
	uint32_t memcg_id;		/* pressure, psi: the group listened to */
	int listener_id;		/* pressure, psi: rcl_pressure_listen's id */
	uint32_t trace_mask;		/* trace: 1 << rcl_trace_type of the points wanted */
	struct psi_trigger trig;	/* psi: armed when subscribed */

	char *memcg_path;		/* pressure, psi: the group's path, to say it went */

	pthread_mutex_t lock;		/* protects the queue, dropped, overflow, removed, dead */
	struct sub_event *ring;
	unsigned int cap, head, count;
	bool charged;			/* cap counts in subs->queued for uid */
	uint64_t dropped;		/* events lost to a full queue */
	bool overflow;			/* the queue filled up: drop the subscriber */
	bool removed;			/* its memcg went: end it once the queue is sent */
	bool dead;			/* ended: callbacks ignore it */

	/* Not beside the flags above: a test of three of them may load a word, and pending is
	 * another lock's (TSan saw it). */
	TAILQ_ENTRY(sub) pending_link;
	bool pending;			/* on subs->pending; protected by subs->pending_lock */

	TAILQ_ENTRY(sub) all_link;	/* in subs->all; protected by subs->lock */

	/* Loop thread only. */
	struct session *session;	/* bound connection, NULL before binding and once ended */
	TAILQ_ENTRY(sub) session_link;	/* in session->subs */
	uint64_t seq;			/* Event.seq of the last event sent */
	struct pw_listener *pw;		/* psi: checked after each sample once bound */
	struct subs *subs;
	struct job job;			/* unregistering, once ended */
};

/* What a uid's subscriptions hold: how many there are, and their queues' event slots. */
struct uid_queued {
	struct uid_queued *next;
	uid_t uid;
	uint64_t slots;
	unsigned int nr;
};

TAILQ_HEAD(sub_list, sub);

struct subs {
	struct server *server;

	pthread_mutex_t lock;		/* protects all, next_id and queued; a leaf */
	struct sub_list all;
	uint64_t next_id;
	struct uid_queued *queued;	/* per uid: the queue lengths of its subscriptions */

	pthread_mutex_t trace_lock;	/* protects trace[] */
	struct sub **trace;
	size_t nr_trace, cap_trace;
	atomic_size_t nr_trace_hint;	/* nr_trace for the callback's lock-free early out */

	pthread_mutex_t pending_lock;	/* protects pending and every sub's pending fields */
	struct sub_list pending;	/* subscriptions with something new for the loop */
	int efd;			/* the loop's doorbell for pending */
	struct event *ev_pending;
	struct log_ratelimit behind_said;	/* "fell behind" lines, all subscriptions together */
};

/* ---- callback side: any thread, engine lock held ------------------------------------- */

static void subs_ring(struct subs *subs, struct sub *sub)
{
	bool was_empty;
	uint64_t one = 1;

	pthread_mutex_lock(&subs->pending_lock);
	if (sub->pending) {
		pthread_mutex_unlock(&subs->pending_lock);
		return;
	}
	was_empty = TAILQ_EMPTY(&subs->pending);
	sub->pending = true;
	TAILQ_INSERT_TAIL(&subs->pending, sub, pending_link);
	pthread_mutex_unlock(&subs->pending_lock);
	/* Ring only on the empty -> non-empty edge: the loop takes the whole list at once. */
	if (was_empty && write(subs->efd, &one, sizeof(one)) < 0)
		log_err("cannot wake the loop for events: %m");
}

/* Queue a copy of EV for SUB, or note the overflow. Never blocks, never allocates. */
static void sub_push(struct subs *subs, struct sub *sub, const struct sub_event *ev)
{
	bool ring = false;

	pthread_mutex_lock(&sub->lock);
	if (sub->dead || sub->overflow || sub->removed) {
		sub->dropped += !sub->dead && !sub->removed;
	} else if (sub->count == sub->cap) {
		sub->overflow = true;
		sub->dropped++;
		ring = true;
	} else {
		sub->ring[(sub->head + sub->count) % sub->cap] = *ev;
		ring = sub->count++ == 0;
	}
	pthread_mutex_unlock(&sub->lock);
	if (ring)
		subs_ring(subs, sub);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The memcg SUB listens to was removed: what is queued is sent, then an Ended event, and the
 * subscription is over. Any thread: the engine's callback, or the loop's psiwatch.
 */
static void sub_removed(struct subs *subs, struct sub *sub)
{
	bool ring;

	pthread_mutex_lock(&sub->lock);
	ring = !sub->dead && !sub->removed;
	sub->removed = true;
	pthread_mutex_unlock(&sub->lock);
	if (ring)
		subs_ring(subs, sub);
}

static void on_pressure(void *arg, uint32_t memcg_id, enum rcl_pressure_level level)
{
	struct sub *sub = arg;
	struct sub_event ev = { .time_ns = now_ns(), .memcg_id = memcg_id, .level = level };

	if (level == RCL_PRESSURE_NONE) {	/* the group listened to was removed */
		sub_removed(sub->subs, sub);
		return;
	}
	/* A subtree's events name its groups: a client hears only of the ones it may see. */
	if (!sub->admin && memcg_id != sub->memcg_id &&
	    !registry_memcg_visible(sub->subs->server->registry, memcg_id, sub->uid))
		return;
	sub_push(sub->subs, sub, &ev);
}

static void on_trace(void *arg, const struct rcl_trace_event *tev)
{
	struct subs *subs = arg;
	struct sub_event ev;
	size_t i;

	/* Racy by design: a subscriber added meanwhile misses at most this event. */
	if (atomic_load_explicit(&subs->nr_trace_hint, memory_order_relaxed) == 0)
		return;
	ev.time_ns = now_ns();
	ev.memcg_id = 0;
	ev.level = RCL_PRESSURE_LOW;
	ev.trace = *tev;
	pthread_mutex_lock(&subs->trace_lock);
	for (i = 0; i < subs->nr_trace; i++)
		if (subs->trace[i]->trace_mask & (1u << tev->type))
			sub_push(subs, subs->trace[i], &ev);
	pthread_mutex_unlock(&subs->trace_lock);
}

/* ---- the loop side ------------------------------------------------------------------ */

/* A PSI trigger crossed: psiwatch checks them on the loop after each sample. */
static void on_psi(void *arg, const struct psiwatch_event *pev)
{
	struct sub *sub = arg;
	struct sub_event ev = {
		.time_ns = pev->when * 1000, .memcg_id = pev->memcg_id,
		.psi_total = pev->total, .psi_growth = pev->growth,
	};

	/* Never another uid's group under an id this one's had (psiwatch ends a listener
	 * whose group is gone, but ids come back once their generations wrap). */
	if (!sub->admin &&
	    !registry_memcg_visible(sub->subs->server->registry, pev->memcg_id, sub->uid))
		return;
	sub_push(sub->subs, sub, &ev);
}

#define TF(f) { #f, offsetof(struct rcl_trace_event, f), sizeof(((struct rcl_trace_event *)0)->f) }
static const struct {
	const char *name;
	size_t offset, size;
} trace_fields[] = {
	TF(nid), TF(zid), TF(order), TF(priority), TF(classzone_idx), TF(may_writepage), TF(lru),
	TF(isolate_mode), TF(file), TF(gfp_flags), TF(nr_requested), TF(nr_scanned),
	TF(nr_skipped), TF(nr_taken), TF(nr_reclaimed), TF(nr_dirty), TF(nr_writeback),
	TF(nr_congested), TF(nr_immediate), TF(nr_activate), TF(nr_ref_keep), TF(nr_unmap_fail),
	TF(nr_active), TF(nr_deactivated), TF(nr_referenced), TF(pfn), TF(total_inactive),
	TF(inactive), TF(total_active), TF(active), TF(ratio),
};
#undef TF
#define NR_TRACE_FIELDS (sizeof(trace_fields) / sizeof(trace_fields[0]))

static uint64_t trace_field(const struct rcl_trace_event *ev, size_t i)
{
	const char *p = (const char *)ev + trace_fields[i].offset;

	if (trace_fields[i].size == sizeof(unsigned long))
		return *(const unsigned long *)(const void *)p;
	return (uint64_t)(int64_t)*(const int *)(const void *)p;
}

/* SUB's last event: its memcg was removed. */
static void sub_send_ended(struct sub *sub)
{
	Response resp = RECLAIM__V1__RESPONSE__INIT;
	Status st = RECLAIM__V1__STATUS__INIT;
	Reclaim__V1__Event e = RECLAIM__V1__EVENT__INIT;
	Reclaim__V1__Ended ended = RECLAIM__V1__ENDED__INIT;
	char reason[300];

	snprintf(reason, sizeof(reason), "memcg %s was removed",
		 sub->memcg_path ? sub->memcg_path : "?");
	ended.reason = reason;
	resp.status = &st;
	resp.msg_case = RESP(EVENT);
	resp.event = &e;
	e.subscription_id = sub->id;
	e.seq = ++sub->seq;
	e.event_case = RECLAIM__V1__EVENT__EVENT_ENDED;
	e.ended = &ended;
	if (session_push(sub->session, &resp) < 0)
		log_warning("connection %llu: cannot queue an event, ignoring",
			    (unsigned long long)sub->session_id);
}

/* Frame EV (or an Overflow when EV is NULL) onto SUB's connection. */
static void sub_send(struct sub *sub, const struct sub_event *ev, uint64_t dropped)
{
	Response resp = RECLAIM__V1__RESPONSE__INIT;
	Status st = RECLAIM__V1__STATUS__INIT;
	Reclaim__V1__Event e = RECLAIM__V1__EVENT__INIT;
	Reclaim__V1__PressureEvent pe = RECLAIM__V1__PRESSURE_EVENT__INIT;
	Reclaim__V1__TraceEvent te = RECLAIM__V1__TRACE_EVENT__INIT;
	Reclaim__V1__Overflow of = RECLAIM__V1__OVERFLOW__INIT;
	Reclaim__V1__PsiEvent psi = RECLAIM__V1__PSI_EVENT__INIT;
	Reclaim__V1__Counter counters[NR_TRACE_FIELDS], *cp[NR_TRACE_FIELDS];
	char path[256];
	size_t i;

	resp.status = &st;
	resp.msg_case = RESP(EVENT);
	resp.event = &e;
	e.subscription_id = sub->id;
	e.seq = ++sub->seq;
	if (!ev) {
		of.events_dropped = dropped;
		e.event_case = RECLAIM__V1__EVENT__EVENT_OVERFLOW;
		e.overflow = &of;
	} else if (sub->psi) {
		registry_memcg_path(sub->subs->server->registry, ev->memcg_id, path, sizeof(path));
		psi.memcg = path;
		psi.full = sub->trig.kind == PSI_FULL;
		psi.stall_usec = sub->trig.stall;
		psi.window_usec = sub->trig.window;
		psi.total_usec = ev->psi_total;
		psi.growth_usec = ev->psi_growth;
		psi.time_ns = ev->time_ns;
		e.event_case = RECLAIM__V1__EVENT__EVENT_PSI;
		e.psi = &psi;
	} else if (!sub->trace) {
		registry_memcg_path(sub->subs->server->registry, ev->memcg_id, path, sizeof(path));
		pe.memcg = path;
		pe.level = req_pressure_level(ev->level);
		e.event_case = RECLAIM__V1__EVENT__EVENT_PRESSURE;
		e.pressure = &pe;
	} else {
		te.name = (char *)rcl_trace_names[ev->trace.type];
		te.time_ns = ev->time_ns;
		te.fields = cp;
		for (i = 0; i < NR_TRACE_FIELDS; i++) {
			uint64_t v = trace_field(&ev->trace, i);

			/* A tracepoint fills its own fields; the others stay 0 and are left out. */
			if (!v)
				continue;
			reclaim__v1__counter__init(&counters[te.n_fields]);
			counters[te.n_fields].name = (char *)trace_fields[i].name;
			counters[te.n_fields].value = v;
			cp[te.n_fields] = &counters[te.n_fields];
			te.n_fields++;
		}
		e.event_case = RECLAIM__V1__EVENT__EVENT_TRACE;
		e.trace = &te;
	}
	if (session_push(sub->session, &resp) < 0)
		log_warning("connection %llu: cannot queue an event, ignoring",
			    (unsigned long long)sub->session_id);
}

static void sub_release_run(struct job *job)
{
	struct sub *sub = (struct sub *)((char *)job - offsetof(struct sub, job));

	/* -ENOENT when the memcg went away: its listeners went with it. */
	if (!sub->trace && sub->listener_id > 0)
		rcl_pressure_unlisten(sub->subs->server->engine, sub->memcg_id, sub->listener_id);
}

/* Caller holds subs->lock. */
static struct uid_queued *__queued_find(struct subs *subs, uid_t uid, bool create)
{
	struct uid_queued *q;

	for (q = subs->queued; q; q = q->next)
		if (q->uid == uid)
			return q;
	if (!create || !(q = calloc(1, sizeof(*q))))
		return NULL;
	q->uid = uid;
	q->next = subs->queued;
	subs->queued = q;
	return q;
}

/*
 * Count @sub against its owner's max-client-subscriptions (@max_subs) and its queue length
 * against max-client-queued-events (@max; 0 = no limit; admins are held to neither): the
 * rings are what a subscriber that stops reading makes the daemon keep, and each
 * subscription is work for the loop at every event (queue slots alone let one uid hold
 * 65,536 subscriptions of one slot each, which stalled the loop for everyone). 0, -EUSERS
 * with the uid's count in *@ret_have, -EDQUOT with its slots there, or -ENOMEM.
 */
static int sub_charge(struct subs *subs, struct sub *sub, unsigned int max_subs, uint64_t max,
		      uint64_t *ret_have)
{
	struct uid_queued *q;
	int ret = 0;

	pthread_mutex_lock(&subs->lock);
	q = __queued_find(subs, sub->uid, true);
	if (!q)
		ret = -ENOMEM;
	else if (max_subs && !sub->admin && q->nr >= max_subs)
		ret = -EUSERS;
	else if (max && !sub->admin && (sub->cap > max || q->slots > max - sub->cap))
		ret = -EDQUOT;
	else {
		q->slots += sub->cap;
		q->nr++;
	}
	*ret_have = !q ? 0 : ret == -EUSERS ? q->nr : q->slots;
	pthread_mutex_unlock(&subs->lock);
	sub->charged = ret == 0;
	return ret;
}

static void sub_uncharge(struct subs *subs, struct sub *sub)
{
	struct uid_queued *q;

	if (!sub->charged)
		return;
	pthread_mutex_lock(&subs->lock);
	q = __queued_find(subs, sub->uid, false);
	if (q) {
		q->slots -= sub->cap;
		q->nr--;
	}
	pthread_mutex_unlock(&subs->lock);
	sub->charged = false;
}

static void sub_free(struct sub *sub)
{
	sub_uncharge(sub->subs, sub);
	pthread_mutex_destroy(&sub->lock);
	free(sub->ring);
	free(sub->memcg_path);
	free(sub);
}

/*
 * Off pending for good, before it is freed: an engine callback that passed sub_push's look
 * at dead before sub_end may have rung it onto pending after sub_end unlinked it. Once the
 * engine's listener is gone (sub_release_run), no callback can any more.
 */
static void sub_unring(struct subs *subs, struct sub *sub)
{
	pthread_mutex_lock(&subs->pending_lock);
	if (sub->pending)
		TAILQ_REMOVE(&subs->pending, sub, pending_link);
	sub->pending = false;
	pthread_mutex_unlock(&subs->pending_lock);
}

static void sub_release_done(struct job *job)
{
	struct sub *sub = (struct sub *)((char *)job - offsetof(struct sub, job));
	struct subs *subs = sub->subs;
	struct server *s = subs->server;

	sub_unring(subs, sub);
	sub_free(sub);
	server_check_done(s);
}

/*
 * End SUB: callbacks ignore it from now on, nobody finds it, the loop forgets it; a worker
 * unregisters it from the engine, then it is freed. Returns the events it lost. Loop thread.
 */
static uint64_t sub_end(struct subs *subs, struct sub *sub)
{
	uint64_t dropped;
	size_t i;

	pthread_mutex_lock(&subs->lock);
	TAILQ_REMOVE(&subs->all, sub, all_link);
	pthread_mutex_unlock(&subs->lock);
	if (sub->trace) {
		pthread_mutex_lock(&subs->trace_lock);
		for (i = 0; i < subs->nr_trace; i++) {
			if (subs->trace[i] == sub) {
				subs->trace[i] = subs->trace[--subs->nr_trace];
				break;
			}
		}
		atomic_store_explicit(&subs->nr_trace_hint, subs->nr_trace, memory_order_relaxed);
		pthread_mutex_unlock(&subs->trace_lock);
	}
	pthread_mutex_lock(&sub->lock);
	sub->dead = true;
	dropped = sub->dropped + sub->count;
	pthread_mutex_unlock(&sub->lock);

	pthread_mutex_lock(&subs->pending_lock);
	if (sub->pending)
		TAILQ_REMOVE(&subs->pending, sub, pending_link);
	sub->pending = false;
	pthread_mutex_unlock(&subs->pending_lock);

	if (sub->session) {
		TAILQ_REMOVE(&sub->session->subs, sub, session_link);
		sub->session = NULL;
	}
	psiwatch_unlisten(subs->server->psiwatch, sub->pw);
	sub->pw = NULL;
	sub->job.run = sub_release_run;
	sub->job.done = sub_release_done;
	if (workers_submit(subs->server->workers, &sub->job) < 0) {
		/* Shutting down: no worker left, and nothing else waits for the loop. */
		sub_release_run(&sub->job);
		sub_unring(subs, sub);
		sub_free(sub);
	}
	return dropped;
}

/* Move SUB's queued events onto its connection while the output has room. Loop thread. */
static void sub_deliver(struct subs *subs, struct sub *sub)
{
	struct sub_event batch[SUB_BATCH];
	unsigned int n, i;
	uint64_t dropped;
	bool overflow, removed;

	if (!sub->session)
		return;
	for (;;) {
		if (sub->session->state != SESSION_READY ||
		    session_out_len(sub->session) >= SUB_OUT_HIGH)
			break;
		pthread_mutex_lock(&sub->lock);
		overflow = sub->overflow;
		for (n = 0; !overflow && n < SUB_BATCH && sub->count; n++) {
			batch[n] = sub->ring[sub->head];
			sub->head = (sub->head + 1) % sub->cap;
			sub->count--;
		}
		pthread_mutex_unlock(&sub->lock);
		if (overflow || n == 0)
			break;
		for (i = 0; i < n; i++)
			sub_send(sub, &batch[i], 0);
	}
	pthread_mutex_lock(&sub->lock);
	overflow = sub->overflow;
	removed = sub->removed && !sub->count;
	dropped = sub->dropped + sub->count;
	pthread_mutex_unlock(&sub->lock);
	if (!overflow && removed) {
		/* Told last, after every event queued before the group went. */
		sub_send_ended(sub);
		sub_end(subs, sub);
		return;
	}
	if (!overflow)
		return;
	if (log_ratelimit(&subs->behind_said))
		log_info("connection %llu (uid %u): subscription %" PRIu64 " fell behind, "
			 "dropping it", (unsigned long long)sub->session_id,
			 (unsigned int)sub->uid, sub->id);
	/* Told last, after everything it did get: an Overflow, then no more events. */
	sub_send(sub, NULL, dropped);
	sub_end(subs, sub);
}

static void on_pending(evutil_socket_t fd, short what, void *arg)
{
	struct subs *subs = arg;
	struct sub *sub;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("cannot read the events eventfd: %m");
	for (;;) {
		pthread_mutex_lock(&subs->pending_lock);
		sub = TAILQ_FIRST(&subs->pending);
		if (sub) {
			TAILQ_REMOVE(&subs->pending, sub, pending_link);
			sub->pending = false;
		}
		pthread_mutex_unlock(&subs->pending_lock);
		if (!sub)
			break;
		sub_deliver(subs, sub);
	}
}

void subs_session_writable(struct subs *subs, struct session *session)
{
	struct sub *sub, *next;

	for (sub = TAILQ_FIRST(&session->subs); sub; sub = next) {
		next = TAILQ_NEXT(sub, session_link);
		sub_deliver(subs, sub);
	}
}

void subs_bind(struct subs *subs, uint64_t id, struct session *session)
{
	struct sub *sub;

	pthread_mutex_lock(&subs->lock);
	TAILQ_FOREACH(sub, &subs->all, all_link)
		if (sub->id == id)
			break;
	pthread_mutex_unlock(&subs->lock);
	/* Only the loop ends subscriptions, so SUB cannot go away between the two. */
	if (!sub || sub->session)
		return;
	sub->session = session;
	TAILQ_INSERT_TAIL(&session->subs, sub, session_link);
	if (sub->psi && subs->server->psiwatch) {
		sub->pw = psiwatch_listen(subs->server->psiwatch, sub->memcg_id, &sub->trig,
					  on_psi, sub);
		if (!sub->pw)
			log_err("connection %llu: no memory for PSI subscription %" PRIu64
				", it stays silent", (unsigned long long)sub->session_id, sub->id);
	}
	/* Deliver on a later loop turn, once the Subscribe answer has been queued. */
	subs_ring(subs, sub);
}

/* One walk: only the loop ends subscriptions, so the next one stays listed meanwhile. */
void subs_release_session(struct subs *subs, uint64_t session_id)
{
	struct sub *sub, *next;

	pthread_mutex_lock(&subs->lock);
	for (sub = TAILQ_FIRST(&subs->all); sub; sub = next) {
		next = TAILQ_NEXT(sub, all_link);
		if (sub->session_id != session_id)
			continue;
		pthread_mutex_unlock(&subs->lock);
		sub_end(subs, sub);
		pthread_mutex_lock(&subs->lock);
	}
	pthread_mutex_unlock(&subs->lock);
}

int subs_new(struct server *s, struct subs **ret)
{
	struct subs *subs = calloc(1, sizeof(*subs));

	if (!subs)
		return -ENOMEM;
	subs->server = s;
	TAILQ_INIT(&subs->all);
	TAILQ_INIT(&subs->pending);
	pthread_mutex_init(&subs->lock, NULL);
	pthread_mutex_init(&subs->trace_lock, NULL);
	pthread_mutex_init(&subs->pending_lock, NULL);
	atomic_init(&subs->nr_trace_hint, 0);
	subs->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (subs->efd >= 0)
		subs->ev_pending = event_new(s->base, subs->efd, EV_READ | EV_PERSIST, on_pending,
					     subs);
	if (!subs->ev_pending || event_add(subs->ev_pending, NULL) < 0) {
		subs_free(subs);
		return -ENOMEM;
	}
	rcl_trace_set(s->engine, on_trace, subs);
	*ret = subs;
	return 0;
}

void subs_free(struct subs *subs)
{
	struct sub *sub;

	if (!subs)
		return;
	if (subs->ev_pending) {
		rcl_trace_set(subs->server->engine, NULL, NULL);
		event_free(subs->ev_pending);
	}
	while ((sub = TAILQ_FIRST(&subs->all))) {
		TAILQ_REMOVE(&subs->all, sub, all_link);
		if (!sub->trace && sub->listener_id > 0)
			rcl_pressure_unlisten(subs->server->engine, sub->memcg_id, sub->listener_id);
		sub_free(sub);
	}
	while (subs->queued) {
		struct uid_queued *q = subs->queued;

		subs->queued = q->next;
		free(q);
	}
	if (subs->efd >= 0)
		close(subs->efd);
	free(subs->trace);
	pthread_mutex_destroy(&subs->lock);
	pthread_mutex_destroy(&subs->trace_lock);
	pthread_mutex_destroy(&subs->pending_lock);
	free(subs);
}

/* ---- handlers ------------------------------------------------------------------------ */

static int trace_mask(struct req_ctx *ctx, const Reclaim__V1__Subscribe *sb, Response *resp,
		      uint32_t *ret)
{
	size_t i;
	int t;

	if (sb->n_tracepoints == 0) {
		*ret = (1u << RCL_TRACE_NR_TYPES) - 1;
		return 0;
	}
	*ret = 0;
	for (i = 0; i < sb->n_tracepoints; i++) {
		for (t = 0; t < RCL_TRACE_NR_TYPES; t++)
			if (!strcmp(sb->tracepoints[i], rcl_trace_names[t]))
				break;
		if (t == RCL_TRACE_NR_TYPES) {
			status_set(resp, CODE(INVALID_ARGUMENT),
				   "subscribe: tracepoints: unknown trace point '%.64s'",
				   sb->tracepoints[i]);
			return -EINVAL;
		}
		*ret |= 1u << t;
	}
	return 0;
}

static int subscribe_check(struct req_ctx *ctx, const Reclaim__V1__Subscribe *sb,
			   Response *resp, struct psi_trigger *trig)
{
	const char *why;

	if (sb->kind != RECLAIM__V1__EVENT_KIND__EVENT_PRESSURE &&
	    sb->kind != RECLAIM__V1__EVENT_KIND__EVENT_TRACE &&
	    sb->kind != RECLAIM__V1__EVENT_KIND__EVENT_PSI) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "subscribe: kind must be EVENT_PRESSURE, EVENT_TRACE or EVENT_PSI");
		return -EINVAL;
	}
	if (sb->kind == RECLAIM__V1__EVENT_KIND__EVENT_PSI &&
	    psi_trigger_parse(sb->trigger, strlen(sb->trigger), trig, &why) < 0) {
		size_t n = 0;

		/* Quoted up to what would break the message's one line. */
		while (n < PSI_TRIGGER_MAX && sb->trigger[n] >= 0x20 && sb->trigger[n] < 0x7f)
			n++;
		status_set(resp, CODE(INVALID_ARGUMENT), "subscribe: trigger '%.*s%s': %s", (int)n,
			   sb->trigger, sb->trigger[n] ? "..." : "", why);
		return -EINVAL;
	}
	if (sb->kind != RECLAIM__V1__EVENT_KIND__EVENT_PSI && *sb->trigger) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "subscribe: trigger is for EVENT_PSI only");
		return -EINVAL;
	}
	if (sb->kind == RECLAIM__V1__EVENT_KIND__EVENT_TRACE && !ctx->admin) {
		/* Trace events name every client's memcgs and regions. */
		status_set(resp, CODE(PERMISSION_DENIED),
			   "subscribe: trace points are for root and the admin group only (uid %u)",
			   (unsigned int)ctx->uid);
		return -EPERM;
	}
	if (sb->queue_len > ctx->config->max_sub_queue) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "subscribe: queue_len %u is above the server's maximum of %u",
			   sb->queue_len, ctx->config->max_sub_queue);
		return -EINVAL;
	}
	if ((unsigned int)sb->min_level > RECLAIM__V1__PRESSURE_LEVEL__PRESSURE_CRITICAL) {
		status_set(resp, CODE(INVALID_ARGUMENT), "subscribe: min_level %d is unknown",
			   (int)sb->min_level);
		return -EINVAL;
	}
	return 0;
}

static enum rcl_pressure_level engine_level(Reclaim__V1__PressureLevel l)
{
	switch (l) {
	case RECLAIM__V1__PRESSURE_LEVEL__PRESSURE_MEDIUM: return RCL_PRESSURE_MEDIUM;
	case RECLAIM__V1__PRESSURE_LEVEL__PRESSURE_CRITICAL: return RCL_PRESSURE_CRITICAL;
	default: return RCL_PRESSURE_LOW;
	}
}

/* Start delivering SUB's trace events. 0 or -ENOMEM. */
static int trace_add(struct subs *subs, struct sub *sub)
{
	int ret = 0;

	pthread_mutex_lock(&subs->trace_lock);
	if (subs->nr_trace == subs->cap_trace) {
		size_t cap = subs->cap_trace ? subs->cap_trace * 2 : 8;
		struct sub **t = realloc(subs->trace, cap * sizeof(*t));

		if (!t)
			ret = -ENOMEM;
		else {
			subs->trace = t;
			subs->cap_trace = cap;
		}
	}
	if (ret == 0) {
		subs->trace[subs->nr_trace++] = sub;
		atomic_store_explicit(&subs->nr_trace_hint, subs->nr_trace, memory_order_relaxed);
	}
	pthread_mutex_unlock(&subs->trace_lock);
	return ret;
}

/* The path of SUB's group, to name it in the Ended event once it is removed. */
static int sub_keep_path(struct req_ctx *ctx, struct sub *sub)
{
	char path[256];

	registry_memcg_path(ctx->server->registry, sub->memcg_id, path, sizeof(path));
	sub->memcg_path = strdup(path);
	return sub->memcg_path ? 0 : -ENOMEM;
}

int req_subscribe(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__Subscribe *sb = req->subscribe;
	struct subs *subs = ctx->server->subs;
	Reclaim__V1__SubscribeReply *r;
	struct psi_trigger trig;
	struct rcl_psi psi;
	struct sub *sub;
	uint64_t have;
	int ret;

	ret = subscribe_check(ctx, sb, resp, &trig);
	if (ret < 0)
		return ret;
	sub = calloc(1, sizeof(*sub));
	r = malloc(sizeof(*r));
	if (!sub || !r) {
		free(sub);
		free(r);
		return -ENOMEM;
	}
	sub->subs = subs;
	sub->uid = ctx->uid;
	sub->admin = ctx->admin;
	sub->session_id = ctx->session_id;
	sub->trace = sb->kind == RECLAIM__V1__EVENT_KIND__EVENT_TRACE;
	sub->psi = sb->kind == RECLAIM__V1__EVENT_KIND__EVENT_PSI;
	sub->cap = sb->queue_len ? sb->queue_len : ctx->config->sub_queue;
	pthread_mutex_init(&sub->lock, NULL);
	ret = sub_charge(subs, sub, ctx->config->max_client_subscriptions,
			 ctx->config->max_client_queued_events, &have);
	if (ret == -EUSERS)
		status_set(resp, CODE(NO_SPACE), "subscribe: uid %u has %" PRIu64 " subscriptions, "
			   "the limit (max-client-subscriptions %u)", (unsigned int)ctx->uid, have,
			   ctx->config->max_client_subscriptions);
	if (ret == -EDQUOT)
		status_set(resp, CODE(NO_SPACE), "subscribe: a queue of %u more events would take "
			   "uid %u's subscriptions to %" PRIu64 ", over the limit "
			   "(max-client-queued-events %u)", sub->cap, (unsigned int)ctx->uid,
			   have + sub->cap, ctx->config->max_client_queued_events);
	if (ret == 0) {
		sub->ring = calloc(sub->cap, sizeof(*sub->ring));
		ret = sub->ring ? 0 : -ENOMEM;
	}
	if (ret == 0 && sub->trace)
		ret = trace_mask(ctx, sb, resp, &sub->trace_mask);
	else if (ret == 0)
		ret = req_memcg_resolve_visible(ctx, "memcg", sb->memcg, resp, &sub->memcg_id);
	if (ret == 0 && !sub->trace)
		ret = sub_keep_path(ctx, sub);
	if (ret < 0)
		goto fail;

	pthread_mutex_lock(&subs->lock);
	sub->id = ++subs->next_id;
	pthread_mutex_unlock(&subs->lock);
	if (sub->trace) {
		ret = trace_add(subs, sub);
	} else if (sub->psi) {
		/* Growth counts from now; the loop checks it from the binding on. */
		ret = rcl_psi_read(ctx->engine, sub->memcg_id, &psi);
		sub->trig = trig;
		if (ret == 0)
			psi_trigger_arm(&sub->trig, trig.kind == PSI_FULL ? psi.full.total_usec :
					psi.some.total_usec);
		/* Told when the group is removed, at once: no sample is needed to find out. */
		if (ret == 0)
			ret = sub->listener_id = rcl_pressure_listen(ctx->engine, sub->memcg_id,
								     RCL_PRESSURE_NONE,
								     RCL_PRESSURE_LOCAL,
								     on_pressure, sub);
	} else {
		/* This group and its whole subtree, as the wire API promises. */
		ret = rcl_pressure_listen(ctx->engine, sub->memcg_id, engine_level(sb->min_level),
					  RCL_PRESSURE_HIERARCHY, on_pressure, sub);
		sub->listener_id = ret;
	}
	if (ret < 0)
		goto fail;
	pthread_mutex_lock(&subs->lock);
	TAILQ_INSERT_TAIL(&subs->all, sub, all_link);
	pthread_mutex_unlock(&subs->lock);

	reclaim__v1__subscribe_reply__init(r);
	r->subscription_id = sub->id;
	r->queue_len = sub->cap;
	resp->msg_case = RESP(SUBSCRIBE);
	resp->subscribe = r;
	return 0;
fail:
	free(r);
	sub_free(sub);
	return ret;
}

int req_unsubscribe(struct req_ctx *ctx, const Request *req, Response *resp)
{
	struct subs *subs = ctx->server->subs;
	uint64_t id = req->unsubscribe->subscription_id;
	Reclaim__V1__UnsubscribeReply *r;
	struct sub *sub;
	uid_t owner = 0;

	pthread_mutex_lock(&subs->lock);
	TAILQ_FOREACH(sub, &subs->all, all_link)
		if (sub->id == id)
			break;
	if (sub)
		owner = sub->uid;
	pthread_mutex_unlock(&subs->lock);
	if (!sub) {
		status_set(resp, CODE(NOT_FOUND), "unsubscribe: no subscription %" PRIu64, id);
		return -ENOENT;
	}
	if (owner != ctx->uid && !ctx->admin) {
		status_set(resp, CODE(PERMISSION_DENIED),
			   "unsubscribe: subscription %" PRIu64 " belongs to uid %u", id,
			   (unsigned int)owner);
		return -EPERM;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__unsubscribe_reply__init(r);
	/* Runs on the loop (no DISPATCH_MAY_BLOCK): only the loop ends subscriptions. */
	r->events_dropped = sub_end(subs, sub);
	resp->msg_case = RESP(UNSUBSCRIBE);
	resp->unsubscribe = r;
	return 0;
}
