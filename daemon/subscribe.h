/*
 * subscribe.h - event subscriptions: vmpressure levels and reclaim trace points pushed to
 * clients as Event responses (id 0).
 *
 * The engine's callbacks run with the engine's lock held, in whatever thread is reclaiming.
 * They only copy the event into the subscriber's bounded queue and ring an eventfd; the loop
 * thread turns queued events into frames on the subscriber's connection, as long as that
 * connection's output stays under a high-water mark. A subscriber whose queue fills up (it
 * does not read, so its output stays full) is sent one Overflow event and dropped: the
 * daemon never buffers more than the queue length plus the high-water mark for it.
 *
 * Lock order: engine lock -> subs->trace_lock -> sub->lock -> subs->pending_lock.
 * subs->lock (the table of subscriptions) is a leaf, never held with another lock.
 * A struct sub's session link and seq are the loop thread's alone.
 */
#ifndef RECLAIMD_SUBSCRIBE_H
#define RECLAIMD_SUBSCRIBE_H

#include <stdint.h>

#include "dispatch.h"

struct server;
struct session;
struct subs;

/* 0 or -errno. Registers the engine-wide trace callback. Loop thread. */
int subs_new(struct server *s, struct subs **ret);
/* Unregister the trace callback and free every subscription. subs_free(NULL) is fine. */
void subs_free(struct subs *subs);

/* Subscription ID, created by a Subscribe on SESSION's connection, starts delivering. Loop. */
void subs_bind(struct subs *subs, uint64_t id, struct session *session);
/* SESSION's output drained: deliver what its subscriptions have queued. Loop. */
void subs_session_writable(struct subs *subs, struct session *session);
/* Drop every subscription of connection SESSION_ID (it is going away). Loop. */
void subs_release_session(struct subs *subs, uint64_t session_id);

/* Handlers: Subscribe runs on a worker (it calls the engine), Unsubscribe on the loop. */
int req_subscribe(struct req_ctx *ctx, const Request *req, Response *resp);
int req_unsubscribe(struct req_ctx *ctx, const Request *req, Response *resp);

#endif
