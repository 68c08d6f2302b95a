/*
 * mapfd.h - regions mapped into clients (issue 14): the descriptor exchange on a connection,
 * the fault thread that answers the clients' userfaultfds, and the engine's map_ops.
 *
 * Threads: mapfd_prepare, mapfd_cancel, mapfd_unmap and mapfd_release_session run on workers
 * (they take the engine's lock); mapfd_xfer_* run on the loop (they never do); the fault thread
 * is mapfd's own. The table of mappings has its own lock, a leaf: no engine call under it.
 */
#ifndef RECLAIMD_MAPFD_H
#define RECLAIMD_MAPFD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

struct evbuffer;
struct mapfd;
struct mapping;
struct rawpages;
struct rcl_engine;
struct session;

/*
 * Start the fault thread; after serving a fault it busy-polls for more for a window of at
 * most POLL_US microseconds, which adapts to how far apart faults come (fault-poll.h), before
 * it sleeps (0: never). Each uid's mappings are counted in RAW. 0 or -errno.
 */
int mapfd_new(struct rcl_engine *engine, struct rawpages *raw, unsigned int poll_us,
	      struct mapfd **ret);
/* Take back every page still mapped, stop the fault thread. mapfd_free(NULL) does nothing. */
void mapfd_free(struct mapfd *mf);

/*
 * Worker: make region REGION_ID (NR_PAGES) ready to be mapped by connection SESSION_ID of UID:
 * its memfd, a descriptor of /dev/userfaultfd, the engine's map_ops attached. The mapping
 * counts against UID from now until it goes (unmapped, its connection closed), and is refused
 * if UID has MAX_PER_UID mapped already (0: no limit; a refused one makes no descriptor).
 * 0 with *ret, or -errno with *why naming the reason (-EDQUOT: UID's limit; -EOPNOTSUPP: no
 * userfaultfd here; -EBUSY: mapped already; -EINVAL: a file region; -ENOENT: no such region,
 * or it is being freed).
 */
int mapfd_prepare(struct mapfd *mf, uint32_t region_id, uint64_t nr_pages, uint64_t session_id,
		  uid_t uid, unsigned int max_per_uid, struct mapping **ret, const char **why);
/* Worker: forget a prepared mapping whose handoff never happened. */
void mapfd_cancel(struct mapfd *mf, struct mapping *m);

/*
 * Loop: M was prepared for SESSION, whose answer is the frame in FRAME (taken). Reading is
 * paused; once the session's output is drained the frame goes with [memfd, userfaultfd] as
 * SCM_RIGHTS; the client's handoff is then read from the raw socket, and the session goes on
 * (session_xfer_done). A broken handoff closes the connection.
 */
void mapfd_xfer_begin(struct session *session, struct mapping *m, struct evbuffer *frame);
/*
 * Whether a mapping's loss can end it alone (MapRegionReply.loss_notice): the hint channel
 * sent with the memfd is then ended for a client that says MAP_HANDOFF_LOSS_NOTICE, and its
 * connection goes on. Without (or for an older client) a loss shuts the mapping's connection
 * down.
 */
bool mapfd_loss_notice(const struct mapfd *mf);
/* Loop: the session's output is empty now (its write event drained it). */
void mapfd_xfer_out_drained(struct session *session);
/* Loop: the session closes in the middle of an exchange. */
void mapfd_xfer_abort(struct session *session);

/* The fault thread's counts since the start. */
struct mapfd_stats {
	uint64_t poll_us;	/* its busy-poll window at most (fault-poll-usecs) */
	uint64_t window_us;	/* the window now: it adapts (fault-poll.h) */
	uint64_t waits;		/* epoll_waits that could sleep */
	uint64_t polls;		/* epoll_waits with no timeout, in a busy-poll window */
	uint64_t poll_hits;	/* of those, the ones that found faults */
	uint64_t handoffs;	/* faults served by a helper beside the fault thread */
	uint64_t covers;	/* times a helper covered for the fault thread, blocked */
	uint64_t covered;	/* faults a covering helper served */
};
void mapfd_stats(struct mapfd *mf, struct mapfd_stats *st);

/*
 * A region a worker frees (mapfd_free_begin to mapfd_free_end), or maps (within
 * mapfd_prepare, until its mapping is on the table): on that worker's stack, and on the
 * table's list of claims meanwhile.
 */
struct mapfd_claim {
	uint32_t region_id;
	uint64_t session_id;		/* the connection that frees or maps it */
	bool freeing;			/* a free's, else a mapping's being made */
	TAILQ_ENTRY(mapfd_claim) link;
};

/*
 * Worker: may connection SESSION_ID free region REGION_ID now? Not while a connection maps it
 * or is making a mapping of it (the free would drop that mapping, and with it that
 * connection): -EBUSY, with *ret_session the id of that connection (SESSION_ID itself if it
 * is the one). 0: CLAIM (the caller's) is taken, and until mapfd_free_end no mapping of the
 * region starts (mapfd_prepare gives -ENOENT), so none can be lost to the free. An OOM kill
 * and the end of the region's own connection free it regardless (the mapping is lost).
 */
int mapfd_free_begin(struct mapfd *mf, uint32_t region_id, uint64_t session_id,
		     struct mapfd_claim *claim, uint64_t *ret_session);
/* Worker: the free is done (or given up): mappings of the region may start again. */
void mapfd_free_end(struct mapfd *mf, struct mapfd_claim *claim);

/* Worker: UnmapRegion. 0, or -ENOENT if SESSION_ID has no mapping of REGION_ID. */
int mapfd_unmap(struct mapfd *mf, uint64_t session_id, uint32_t region_id);
/* Worker: a connection closed: its mappings go. How many there were. */
unsigned int mapfd_release_session(struct mapfd *mf, uint64_t session_id);

/* The descriptors a mapped region makes the daemon hold while it is mapped. */
#define MAPFD_FDS	5

#endif
