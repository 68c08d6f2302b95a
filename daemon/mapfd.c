/*
 * mapfd.c - regions mapped into clients (issue 14): descriptor exchange, fault thread, and the
 * engine's map_ops (lib/mapped.c has the engine's half).
 *
 * A mapped region's bytes live, while a page is mapped out, in a memfd of the region's size
 * that the client maps MAP_SHARED. The daemon never maps it: it reads and writes it with
 * pread/fallocate only, so a client that truncates or scribbles on its memfd cannot fault the
 * daemon (the memfd is also sealed against shrinking and growing).
 *
 * The exchange (reclaim.proto, MapRegion). A worker prepares the mapping (memfd, a descriptor
 * of /dev/userfaultfd, the hint channel, map_ops attached to the region). On the loop the
 * session stops reading, waits until its output is drained, sends the reply frame with the
 * three descriptors, and reads the client's handoff from the raw socket (non-blocking, with a
 * timeout): the userfaultfd the client made with USERFAULTFD_IOC_NEW (so it is bound to the
 * client's mm, which the daemon could not make itself: unprivileged userfaultfd is off) and
 * registered MISSING|WP (and MINOR, with MAP_HANDOFF_HINTS) over its mapping. Then the session
 * goes on.
 *
 * Faults. One thread waits on every client's userfaultfd (epoll). A MISSING fault at page i
 * goes through the engine (rcl_region_map_fault: swap-in or zero-fill, counted as any fault)
 * and is answered by map_fill with UFFDIO_COPY of the frame, which puts the page in the memfd;
 * the client is woken (UFFDIO_WAKE) once the engine is done with the fault. A WP fault is a
 * writer that met an eviction in progress: it is left alone, the eviction's un-protect wakes
 * it. The fault thread serves the last fault of each batch it reads itself and hands the
 * others to idle helpers (FAULT_HELPERS threads), so that the swap-ins of several faulting
 * threads wait for the disk together, not in turn; a thread touching page after page still
 * meets the fault thread alone, with no hand-off. While the fault thread is blocked in a
 * fault of its own (a swap-in's read), faults that come meanwhile would wait for it: so, as
 * io-wq wakes another worker when one of its workers sleeps, the engine tells it when it is
 * about to block (rcl_thread_sleep_hook) and an idle helper covers for it, reading and
 * serving faults until it is back (fault_cover); a covering helper that blocks is covered
 * in turn. A fault that does not block (a first touch, a hinting fault) costs nothing more.
 *
 * Hinting faults (the young bit, lib/mapped.c). The reply also carries one end of the hint
 * channel (a SOCK_SEQPACKET pair, read by the library as it would a pipe), and a client whose
 * kernel has MINOR faults on shared memory registers them too and says so in its handoff.
 * When reclaim ages a page the client holds, map_hint sends its index on the channel (a
 * scan's batch in one message, never blocking: a full channel drops the batch, and those
 * pages only look cold); the library drops its page-table entries for them (MADV_DONTNEED on
 * its MAP_SHARED mapping keeps the memfd's page), so its next access is a MINOR fault, which
 * rcl_region_map_minor answers by map_cont, UFFDIO_CONTINUE, with the page's lock held: no
 * take-back runs between the check that the page is the client's and the entry it maps. A
 * write to a dropped entry during a take-back is a MINOR fault too, which waits for the
 * page's lock and then finds the page taken back: an ordinary miss, none lost.
 *
 * Confirmed drops. The library drops the entries when its thread gets to it, late on a
 * loaded machine, and the engine must not take the silence before that for no access. So a
 * library that says MAP_HANDOFF_CONFIRMS (offered in MapRegionReply) sends back on the
 * channel, in a message of the same form, the indices whose entries it dropped once its
 * madvise returned; the fault thread reads them with the faults (its epoll set has the
 * channel: mapping_watch) and hands them to rcl_region_map_confirm, which trusts none of
 * them beyond the client's own pages (lib/mapped.c has the rule). Not UFFD_EVENT_REMOVE,
 * which would tell us of each MADV_DONTNEED from the kernel, before the zap: from the
 * madvise until its thread runs again after we read the event, the kernel fails every
 * UFFDIO_COPY, CONTINUE and WRITEPROTECT of the mapping with EAGAIN (mmap_changing; all
 * three measured on 6.18). The window is the client's scheduling to set: an un-protect that
 * cannot be done loses the mapping, a client that madvises in a loop would keep its pages
 * from ever being write-protected and so taken back, and the madvise of a client whose
 * daemon died blocks until it closes its userfaultfd, which it keeps open on purpose.
 *
 * Eviction (map_evict, map_evict_run: from reclaim with the page's lock held, and without
 * the engine's, the mapping pinned by map_get; from an unmap with both):
 * write-protect the client's page, copy the memfd page into the frame, punch it out of the
 * memfd (which also unmaps it from the client), un-protect (which wakes any writer; it then
 * misses the page and faults it in again, and writes into the bytes just taken back). A write
 * that landed before the write-protect is in the copy; one after it waits: none is lost.
 * Reclaim takes a run of consecutive pages back at once (map_evict_run): the same four steps,
 * each one call over the run, and a writer to any page of it waits until the whole run is out.
 *
 * Read and Write. A region's socket Read or Write that meets a page the client holds is done on
 * the memfd (map_io: pread or pwrite) with the page locked: the bytes the client sees are the
 * bytes the request wrote, at once, and a concurrent take-back waits for the lock.
 *
 * Gone. A client that closes its connection loses its mappings (the pages are taken back). A
 * RegionFree of a mapped region, from any connection, is refused (mapfd_free_begin): the
 * client asked for no such thing, and before loss notices it cost the mapping's connection.
 * A region that dies under a mapping all the same (OOM killed, or freed with the connection
 * that made it, unless persistent), a fault the engine cannot serve, or a userfaultfd in
 * error loses the mapping (mapping_lose), and the client library turns its blocked and later
 * accesses into SIGSEGV with a message, never zeros. As the kernel's OOM killer kills the task
 * that owns the memory and not its neighbours, the loss is the mapping's alone: a client
 * that takes loss notices (MAP_HANDOFF_LOSS_NOTICE, offered in MapRegionReply) is told by the
 * end of the mapping's hint channel, and the connection, its other mappings and its requests
 * go on. An older client knows no such notice; its only word is the connection's hang-up, so its
 * connection is shut down as before. Which of the two is the handoff's to say: a region that
 * dies before the handoff is in leaves the ending to xfer_handoff. A lost mapping's
 * faults are not served: its userfaultfd leaves the fault thread's epoll set, or its unread
 * faults would wake that thread at once, again and again (level-triggered). It stays listed
 * (its descriptors, its count against its uid) until the client unmaps it or goes.
 *
 * Lifetime: a mapping is on the table's list while it can be found; taken off (by a worker),
 * detached from the engine, and then handed to the fault thread's graveyard, which alone
 * closes its userfaultfd (so the descriptor it may be reading is never reused under it), once
 * no helper still serves a fault of it and no reclaim takes its pages back (helper_refs).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <linux/userfaultfd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "fault-poll.h"
#include "uffd-features.h"
#include "uffd-read.h"
#include "log.h"
#include "rawpages.h"
#include "map-handoff.h"
#include "scm-rights.h"
#include "mapfd.h"
#include "reclaim/engine.h"
#include "reclaim/region.h"
#include "server.h"
#include "session.h"
#include "workers.h"

#define MAP_PAGE_SIZE		4096u
#define HANDOFF_TIMEOUT_SEC	10	/* a client that never answers loses its connection */
#define UFFD_RETRIES		100	/* EAGAIN: the client's mm is changing (fork, mremap) */
#define FAULT_BATCH		32
#define FAULT_HELPERS		3	/* with the fault thread, 4 faults served at once: as
					 * many swap-ins in flight as the daemon's 4 workers */
#define EVICT_RUN_MAX		64	/* pages map_evict_run reads at once (TAKE_BACK_BATCH) */
#define TEST_WAIT_LOST_MS	30000	/* RECLAIMD_TEST_MAP_WAIT_LOST: the wait's bound */
#define COVER_CHECK_MS		100	/* a cover looks this often whether it is still needed,
					 * kick or not (the daemon stopping) */
#define COVER_TRUST		8	/* blocks a cover is asked for after one served faults */
#define COVER_PROBE		16	/* else once in this many blocks */

enum mapping_state { MAP_PREPARED, MAP_LIVE };

struct mapping;

/* What an entry of the fault thread's epoll set is: a mapping's userfaultfd, with its faults,
 * or its hint channel, with the client's confirmations (NULL: the wake eventfd). */
struct mapping_watch {
	struct mapping *m;
	bool confirms;
};

/* How a lost mapping is ended for its client (mapping_lose). */
enum mapping_ending {
	MAP_END_UNSAID,		/* before the handoff: xfer_handoff ends a loss itself */
	MAP_END_CONNECTION,	/* an older client: shut the whole connection down */
	MAP_END_NOTICE,		/* end the mapping's channel: this mapping alone is lost */
};

struct mapping {
	struct mapfd *mf;
	uint32_t region_id;
	uint64_t session_id;
	uid_t uid;			/* the connection's: its count of mappings has this one */
	uint64_t nr_pages;
	enum mapping_state state;
	int memfd;
	int devfd;			/* /dev/userfaultfd, until it is sent */
	int uffd;			/* the client's, from the handoff; -1 before */
	int hint_cfd;			/* the hint channel's client end, until it is sent */
	int hint_fd;			/* our end: reclaim's requests to drop entries go out,
					 * the client's confirmations come in */
	atomic_bool hints;		/* the client registered MINOR faults and reads them */
	atomic_bool confirms;		/* ... and confirms each drop (MAP_HANDOFF_CONFIRMS) */
	struct mapping_watch uffd_watch;	/* the fault thread's epoll entries of it */
	struct mapping_watch confirm_watch;
	atomic_int sockfd;		/* a dup of the connection: shut down when lost, to
					 * a client that takes no loss notices */
	atomic_int ending;		/* enum mapping_ending: set once, by xfer_handoff */
	uint64_t base;			/* the client's address of page 0 */
	atomic_bool dead;		/* off the list: the fault thread skips it */
	atomic_bool lost;		/* its client was told (mapping_lose), or is told at
					 * the handoff */
	atomic_uint helper_refs;	/* faults of it handed to helpers and not yet served,
					 * and take-backs running without the engine's lock
					 * (map_get): the graveyard keeps it (and its uffd)
					 * open till 0; dropped and tested for 0 under
					 * mapfd->lock */
	TAILQ_ENTRY(mapping) link;
};

/* A fault the fault thread hands to a helper. */
struct fault_work {
	struct mapping *m;
	struct uffd_msg msg;
};

TAILQ_HEAD(mapping_list, mapping);

struct mapfd {
	struct rcl_engine *engine;
	struct rawpages *raw;		/* each uid's mappings counted, from mapfd_prepare
					 * until mapping_remove (max-client-mapped-regions) */
	pthread_mutex_t lock;		/* list, claims, graveyard, nr_covering */
	struct mapping_list list;
	TAILQ_HEAD(, mapfd_claim) claims;	/* regions being freed or mapped (mapfd_claim) */
	struct mapping_list graveyard;	/* detached; the fault thread closes and frees */
	unsigned int nr_covering;	/* covers between their epoll_wait and the end of
					 * serving what it gave: the graveyard waits for 0 */
	int epfd;
	int wakefd;			/* eventfd: stop, or graveyard to reap */
	int nullfd;			/* /dev/null: what a lost mapping's channel end becomes
					 * (mapping_notice_loss); -1: no loss notices offered */
	atomic_bool stopping;
	struct fault_poll poll;		/* busy-poll window after a fault (fault-poll.h): the
					 * fault thread's alone, but the window's gauge */
	_Atomic uint64_t window_ns;	/* the window now, for mapfd_stats */
	/* The fault thread's own counts (mapfd_stats): written by it alone, read by anyone. */
	atomic_uint_fast64_t nr_waits, nr_polls, nr_poll_hits;
	pthread_t thread;
	bool thread_started;

	/*
	 * Fault helpers: faults the fault thread read in one batch beyond the one it serves
	 * itself go to idle helpers, so that several clients' (or one client's threads')
	 * swap-ins are in flight at once rather than one after the other.
	 */
	pthread_mutex_t helper_lock;	/* the queue, nr_idle, nr_cover_wanted, helpers_stop */
	pthread_cond_t helper_wait;
	struct fault_work queue[FAULT_HELPERS];
	unsigned int nr_queued, nr_idle;
	unsigned int nr_cover_wanted;	/* covers asked for that no helper took up yet */
	atomic_bool fault_thread_busy;	/* blocked in a fault of its own: covers go on */
	int cover_kick;			/* eventfd: the fault thread is back, covers stop */
	unsigned int cover_trust, cover_probe;	/* cover_worth_asking: the fault thread's */
	atomic_uint cover_served;	/* faults covers served since the fault thread asked */
	atomic_uint_fast64_t nr_covers;	/* covers taken up */
	atomic_uint_fast64_t nr_covered;	/* faults covers served */
	bool helpers_stop;
	pthread_t helpers[FAULT_HELPERS];
	unsigned int nr_helpers;
	atomic_uint_fast64_t nr_handoffs;	/* faults served by a helper */
	bool test_wait_lost;		/* RECLAIMD_TEST_MAP_WAIT_LOST (test_wait_lost) */
};

/* The exchange in progress on a session (session->xfer). */
struct mapfd_xfer {
	struct session *session;
	struct mapping *m;
	struct evbuffer *frame;		/* the reply, until sent */
	struct event *ev;		/* writable (frame) then readable (handoff), with timeout */
	bool armed;			/* ev is in use: the frame is on its way */
	bool sent;
	struct map_handoff h;
	size_t got;
	int fd;				/* the userfaultfd received, or -1 */
};

/* ---- the engine's map_ops (with the page's lock held; see region.h for the engine's) ---- */

static int uffd_ioctl(int uffd, unsigned long req, void *arg)
{
	int tries;

	for (tries = 0; tries < UFFD_RETRIES; tries++) {
		if (ioctl(uffd, req, arg) == 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

/*
 * The copy does not wake the client: the engine still holds the page's lock (it copies
 * without mm_lock) and has the fault to finish. handle_fault wakes it once the fault is
 * done, as the kernel returns to user space with the page unlocked: a request the client
 * makes next (MADV_PAGEOUT of what it just wrote) finds the page on the LRU and unlocked.
 * -EEXIST: the memfd has the page already (the client wrote it through a mapping of its
 * own): those are the live bytes, and the wake is all that is left to do.
 */
static int map_fill(void *arg, uint64_t idx, const void *frame)
{
	struct mapping *m = arg;
	struct uffdio_copy copy = {
		.dst = m->base + idx * MAP_PAGE_SIZE,
		.src = (uintptr_t)frame,
		.len = MAP_PAGE_SIZE,
		.mode = UFFDIO_COPY_MODE_DONTWAKE,
	};
	int err = uffd_ioctl(m->uffd, UFFDIO_COPY, &copy);

	return err == -EEXIST ? 0 : err;
}

/*
 * Write-protect (WP true) or un-protect, which wakes the writers that waited, pages
 * [@idx, @idx + @n).
 */
static int map_protect(struct mapping *m, uint64_t idx, unsigned int n, bool wp)
{
	struct uffdio_writeprotect w = {
		.range = { .start = m->base + idx * MAP_PAGE_SIZE,
			   .len = (uint64_t)n * MAP_PAGE_SIZE },
		.mode = wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return uffd_ioctl(m->uffd, UFFDIO_WRITEPROTECT, &w);
}

/*
 * Reclaim aged these pages: have the client drop its entries for them (lib/mapped.c). One
 * message, of at most PIPE_BUF bytes as the library reads them; EAGAIN means the client is
 * not reading what it was sent: its pages stay cold, which is its own loss. 1: the client
 * confirms what it drops (handle_confirms).
 */
static int map_hint(void *arg, const uint64_t *idx, unsigned int n)
{
	struct mapping *m = arg;
	size_t len = (size_t)n * sizeof(*idx);

	if (!atomic_load(&m->hints))
		return -EOPNOTSUPP;	/* its kernel or its owner said no */
	if (len > PIPE_BUF)
		return -EINVAL;
	if (send(m->hint_fd, idx, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return atomic_load(&m->confirms) ? 1 : 0;
}

/* A hinting fault at page @idx, which the memfd still holds: map it for the client again. */
static int map_cont(void *arg, uint64_t idx)
{
	struct mapping *m = arg;
	struct uffdio_continue cont = {
		.range = { .start = m->base + idx * MAP_PAGE_SIZE, .len = MAP_PAGE_SIZE },
		.mode = UFFDIO_CONTINUE_MODE_DONTWAKE,	/* as map_fill */
	};
	int err = uffd_ioctl(m->uffd, UFFDIO_CONTINUE, &cont);

	/* Another thread's fault on it was answered first: only the wake is left. */
	return err == -EEXIST ? 0 : err;
}

/*
 * A Read or Write of the region meets page @idx, which the client holds: the memfd has its
 * live bytes, and the engine holds the page's lock, so no take-back punches it meanwhile.
 */
static int map_io(void *arg, uint64_t idx, size_t off, void *buf, size_t len, bool write)
{
	struct mapping *m = arg;
	off_t pos = (off_t)(idx * MAP_PAGE_SIZE + off);
	ssize_t n = write ? pwrite(m->memfd, buf, len, pos) : pread(m->memfd, buf, len, pos);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static const char *mapping_lose(struct mapping *m);

static int map_evict(void *arg, uint64_t idx, void *frame)
{
	struct mapping *m = arg;
	off_t off = (off_t)(idx * MAP_PAGE_SIZE);
	int err = map_protect(m, idx, 1, true);
	bool protected = err == 0;
	ssize_t n;

	/*
	 * ENOENT: the client unmapped the range; ESRCH: its mm is gone. Nobody can write the
	 * page through this mapping any more: the memfd's bytes are final.
	 */
	if (err && err != -ENOENT && err != -ESRCH)
		return err;
	n = pread(m->memfd, frame, MAP_PAGE_SIZE, off);
	err = n == MAP_PAGE_SIZE ? 0 : n < 0 ? -errno : -EIO;
	if (!err && fallocate(m->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
			      MAP_PAGE_SIZE) < 0)
		err = -errno;
	/*
	 * Punched or not, the page is consistent: out of the memfd with its bytes in the frame
	 * (0), or still in the memfd and mapped out (an error). A writer that waits on the
	 * write-protect would wait for ever if it stayed: then the mapping must go (the
	 * library's wake of a lost mapping sends that writer into SIGSEGV).
	 */
	if (protected && map_protect(m, idx, 1, false) < 0)
		log_err("region %" PRIu32 ": cannot un-protect page %" PRIu64 " of connection %"
			PRIu64 ": %s", m->region_id, idx, m->session_id, mapping_lose(m));
	return err;
}

/*
 * Un-protect a run (@why: 0, or the write-protect's failure, which may have protected part of
 * it). A writer caught by the protect waits until then: if it cannot be done, the mapping must
 * go rather than hang.
 */
static void map_unprotect_run(struct mapping *m, uint64_t idx, unsigned int n, int why)
{
	int err = map_protect(m, idx, n, false);

	if (err && err != -ENOENT && err != -ESRCH)
		log_err("region %" PRIu32 ": cannot un-protect pages %" PRIu64 "-%" PRIu64
			" of connection %" PRIu64 "%s%s: %s", m->region_id, idx, idx + n - 1,
			m->session_id, why ? " after a failed write-protect: " : "",
			why ? strerror(-why) : "", mapping_lose(m));
}

/*
 * Reclaim's batch: the @n pages from @idx at once, as map_evict does one, with one
 * write-protect, one preadv, one punch and one un-protect over the run instead of @n calls
 * of each. An error of the write-protect gives up the whole run, after un-protecting what it
 * may have protected (map_evict then tells page from page), except that ENOENT and ESRCH mean
 * nobody can write the pages any more, as in map_evict; a short read takes back the whole
 * pages it read. Returns the pages taken back from @idx, or -errno.
 */
static int map_evict_run(void *arg, uint64_t idx, unsigned int n, void *const *frames)
{
	struct mapping *m = arg;
	struct iovec iov[EVICT_RUN_MAX];
	off_t off = (off_t)(idx * MAP_PAGE_SIZE);
	unsigned int i, done = 0;
	bool protected;
	ssize_t got;
	int err;

	if (n > EVICT_RUN_MAX)
		n = EVICT_RUN_MAX;
	err = map_protect(m, idx, n, true);
	protected = err == 0;
	/* ENOENT, ESRCH: as in map_evict, nobody can write the pages any more. */
	if (err && err != -ENOENT && err != -ESRCH) {
		map_unprotect_run(m, idx, n, err);
		return err;
	}
	for (i = 0; i < n; i++)
		iov[i] = (struct iovec){ .iov_base = frames[i], .iov_len = MAP_PAGE_SIZE };
	got = preadv(m->memfd, iov, (int)n, off);
	if (got < 0)
		err = -errno;
	else
		done = (unsigned int)((size_t)got / MAP_PAGE_SIZE);
	if (done && fallocate(m->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
			      (off_t)done * MAP_PAGE_SIZE) < 0) {
		err = -errno;
		done = 0;	/* nothing punched: every page is still the client's */
	}
	if (protected)
		map_unprotect_run(m, idx, n, 0);
	if (done)
		return (int)done;
	return err ? err : -EIO;
}

/* An older client's only word of a loss: the hang-up of its whole connection. */
static const char *mapping_shut_connection(struct mapping *m)
{
	int fd = atomic_load(&m->sockfd);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	return "closing that connection (its client takes no loss notices)";
}

/*
 * Tell M's client that M alone is lost: end the channel whose other end it keeps for this (the
 * hint channel; no other process holds our end). Reclaim may be sending hints on it at this
 * moment (map_hint, under no lock of ours), and the fault thread reading confirmations, so
 * the descriptor is not closed, which would let its number be reused under them: it is
 * pointed at /dev/null in one step, which closes our end all the same (and takes it out of
 * the epoll set). A send in flight ends first; later ones fail, and reads see no socket.
 */
static const char *mapping_notice_loss(struct mapping *m)
{
	if (dup3(m->mf->nullfd, m->hint_fd, O_CLOEXEC) < 0) {
		log_err("region %" PRIu32 ": cannot end the loss notice channel of connection %"
			PRIu64 ": %m", m->region_id, m->session_id);
		return mapping_shut_connection(m);
	}
	return "ending that mapping alone (the connection goes on)";
}

/*
 * M is lost: its library makes it PROT_NONE and turns its accesses into SIGSEGV. How it
 * learns that is the handoff's to say (ending): before the handoff is in, nothing is done
 * here, as xfer_handoff stores the ending before it looks at lost (both sequentially
 * consistent): a loss it does not see is ended here. What was done, for the log.
 */
static const char *mapping_lose(struct mapping *m)
{
	if (atomic_exchange(&m->lost, true))
		return "lost already";
	switch (atomic_load(&m->ending)) {
	case MAP_END_NOTICE:
		return mapping_notice_loss(m);
	case MAP_END_CONNECTION:
		return mapping_shut_connection(m);
	default:
		return "its handoff ends it";
	}
}

static void map_lost(void *arg)
{
	struct mapping *m = arg;

	log_info("region %" PRIu32 " went away while connection %" PRIu64 " mapped it: %s",
		 m->region_id, m->session_id, mapping_lose(m));
}

static void fault_helper_put(struct mapfd *mf, struct mapping *m);

/* Reclaim takes pages back without the engine's lock: the graveyard keeps @arg till map_put. */
static void map_get(void *arg)
{
	struct mapping *m = arg;

	atomic_fetch_add_explicit(&m->helper_refs, 1, memory_order_relaxed);
}

static void map_put(void *arg)
{
	struct mapping *m = arg;

	fault_helper_put(m->mf, m);
}

static const struct rcl_map_ops map_ops = {
	.fill = map_fill,
	.evict = map_evict,
	.evict_run = map_evict_run,
	.io = map_io,
	.lost = map_lost,
	.hint = map_hint,
	.cont = map_cont,
	.get = map_get,
	.put = map_put,
};

/* ---- the table ------------------------------------------------------------------------- */

static void mapping_close_fds(struct mapping *m)
{
	if (m->memfd >= 0)
		close(m->memfd);
	if (m->devfd >= 0)
		close(m->devfd);
	if (m->uffd >= 0)
		close(m->uffd);
	if (m->sockfd >= 0)
		close(m->sockfd);
	if (m->hint_cfd >= 0)
		close(m->hint_cfd);
	if (m->hint_fd >= 0)
		close(m->hint_fd);
	free(m);
}

static void wake_fault_thread(struct mapfd *mf)
{
	uint64_t one = 1;

	if (write(mf->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_err("cannot wake the fault thread: %m");
}

/*
 * The fault thread serves M's faults no more. Its userfaultfd, still readable with the faults
 * nobody reads, would otherwise end every epoll_wait at once. Twice is harmless: only the
 * graveyard closes the descriptor, so it is still M's.
 */
static void fault_unwatch(struct mapfd *mf, struct mapping *m)
{
	if (m->uffd >= 0)
		epoll_ctl(mf->epfd, EPOLL_CTL_DEL, m->uffd, NULL);
}

/* Nor reads its confirmations: the same for its hint channel (or /dev/null by now: no-op). */
static void confirms_unwatch(struct mapfd *mf, struct mapping *m)
{
	if (atomic_load(&m->confirms) && m->hint_fd >= 0)
		epoll_ctl(mf->epfd, EPOLL_CTL_DEL, m->hint_fd, NULL);
}

/*
 * Worker: M is off the list; detach it from the engine (every page taken back) and bury it.
 * Its uid's count drops now, not when the fault thread closes its descriptors a moment later:
 * a client that unmapped may map again at once, and the graveyard holds those few briefly.
 */
static void mapping_remove(struct mapfd *mf, struct mapping *m)
{
	int err;

	rawpages_uncharge_mapped(mf->raw, m->uid);
	atomic_store(&m->dead, true);
	fault_unwatch(mf, m);
	confirms_unwatch(mf, m);
	err = rcl_region_unmap(mf->engine, m->region_id, m);
	if (err && err != -ENOENT)
		log_err("region %" PRIu32 ": taking its pages back from connection %" PRIu64
			" failed: %s", m->region_id, m->session_id, strerror(-err));
	pthread_mutex_lock(&mf->lock);
	TAILQ_INSERT_TAIL(&mf->graveyard, m, link);
	pthread_mutex_unlock(&mf->lock);
	wake_fault_thread(mf);
}

static int memfd_for(uint32_t region_id, uint64_t nr_pages)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "reclaimd-region-%" PRIu32, region_id);
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/* Sparse: pages exist only while mapped out. Sealed: its size is the region's. */
	if (ftruncate(fd, (off_t)(nr_pages * MAP_PAGE_SIZE)) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Fault injection for tests (RECLAIMD_TEST_MAP_WAIT_LOST set in the environment): the worker
 * that prepared @m holds its answer until the region is lost (at most TEST_WAIT_LOST_MS), so
 * that a test can free the region between prepare and send, a window otherwise microseconds
 * wide. The log line tells the test when to free it.
 */
static void test_wait_lost(struct mapping *m)
{
	const struct timespec tick = { .tv_nsec = 1000000 };
	unsigned int ms;

	log_info("test: region %" PRIu32 " prepared for connection %" PRIu64 ": its answer "
		 "waits until the region is lost", m->region_id, m->session_id);
	for (ms = 0; ms < TEST_WAIT_LOST_MS && !atomic_load(&m->lost); ms++)
		nanosleep(&tick, NULL);
}

/* M's descriptors made and the engine's map_ops attached to its region: 0, or -errno with
 * *why (M's descriptors are then closed by the caller). */
static int mapping_open(struct mapfd *mf, struct mapping *m, const char **why)
{
	int err, fds[2];

	m->devfd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (m->devfd < 0) {
		err = errno == ENOENT || errno == ENODEV ? -EOPNOTSUPP : -errno;
		*why = err == -EOPNOTSUPP ? "this machine has no /dev/userfaultfd" :
					    "reclaimd cannot open /dev/userfaultfd";
		return err;
	}
	m->memfd = memfd_for(m->region_id, m->nr_pages);
	if (m->memfd < 0) {
		err = m->memfd;
		*why = "reclaimd cannot make the region's memfd";
		return err;
	}
	/* Messages, as a pipe's writes of at most PIPE_BUF are: a batch is read whole or not. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0) {
		*why = "reclaimd cannot make the region's hint channel";
		return -errno;
	}
	m->hint_cfd = fds[0];
	m->hint_fd = fds[1];
	err = rcl_region_map(mf->engine, m->region_id, &map_ops, m);
	if (err)
		*why = err == -EBUSY ? "the region is mapped already" :
		       err == -EAGAIN ? "its pages are being dropped (madvise dontneed): "
					"try again" :
		       err == -EINVAL ? "only anonymous regions can be mapped" : "no such region";
	return err;
}

/* The claim on REGION_ID that is a free's (FREEING) or a mapping's. Caller holds mf->lock. */
static struct mapfd_claim *__claim_find(struct mapfd *mf, uint32_t region_id, bool freeing)
{
	struct mapfd_claim *c;

	TAILQ_FOREACH(c, &mf->claims, link)
		if (c->region_id == region_id && c->freeing == freeing)
			return c;
	return NULL;
}

int mapfd_free_begin(struct mapfd *mf, uint32_t region_id, uint64_t session_id,
		     struct mapfd_claim *claim, uint64_t *ret_session)
{
	struct mapfd_claim *making;
	struct mapping *m;
	int err = 0;

	pthread_mutex_lock(&mf->lock);
	TAILQ_FOREACH(m, &mf->list, link) {
		/* A lost one's client was told already: a free takes nothing more from it. */
		if (m->region_id == region_id && !atomic_load(&m->lost)) {
			*ret_session = m->session_id;
			err = -EBUSY;
			break;
		}
	}
	making = err ? NULL : __claim_find(mf, region_id, false);
	if (making) {
		*ret_session = making->session_id;
		err = -EBUSY;
	}
	if (!err) {
		*claim = (struct mapfd_claim){ .region_id = region_id, .session_id = session_id,
					       .freeing = true };
		TAILQ_INSERT_TAIL(&mf->claims, claim, link);
	}
	pthread_mutex_unlock(&mf->lock);
	return err;
}

void mapfd_free_end(struct mapfd *mf, struct mapfd_claim *claim)
{
	pthread_mutex_lock(&mf->lock);
	TAILQ_REMOVE(&mf->claims, claim, link);
	pthread_mutex_unlock(&mf->lock);
}

int mapfd_prepare(struct mapfd *mf, uint32_t region_id, uint64_t nr_pages, uint64_t session_id,
		  uid_t uid, unsigned int max_per_uid, struct mapping **ret, const char **why)
{
	struct mapfd_claim claim = { .region_id = region_id, .session_id = session_id };
	struct mapping *m;
	int err = rawpages_charge_mapped(mf->raw, uid, max_per_uid, NULL);

	if (err) {
		*why = err == -EDQUOT ? "the uid has as many regions mapped as it may" :
					"out of memory";
		return err;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		rawpages_uncharge_mapped(mf->raw, uid);
		*why = "out of memory";
		return -ENOMEM;
	}
	m->mf = mf;
	m->region_id = region_id;
	m->session_id = session_id;
	m->uid = uid;
	m->nr_pages = nr_pages;
	m->uffd = -1;
	atomic_init(&m->sockfd, -1);
	atomic_init(&m->ending, MAP_END_UNSAID);
	m->memfd = m->devfd = m->hint_cfd = m->hint_fd = -1;
	m->uffd_watch = (struct mapping_watch){ .m = m };
	m->confirm_watch = (struct mapping_watch){ .m = m, .confirms = true };
	/* From before the engine attaches the mapping until it is on the list, where a free
	 * (mapfd_free_begin) finds it: no free may start meanwhile, nor be under way. */
	pthread_mutex_lock(&mf->lock);
	if (__claim_find(mf, region_id, true)) {
		pthread_mutex_unlock(&mf->lock);
		*why = "it is being freed";
		err = -ENOENT;
		goto fail;
	}
	TAILQ_INSERT_TAIL(&mf->claims, &claim, link);
	pthread_mutex_unlock(&mf->lock);
	err = mapping_open(mf, m, why);
	pthread_mutex_lock(&mf->lock);
	TAILQ_REMOVE(&mf->claims, &claim, link);
	if (!err)
		TAILQ_INSERT_TAIL(&mf->list, m, link);
	pthread_mutex_unlock(&mf->lock);
	if (err)
		goto fail;
	if (mf->test_wait_lost)
		test_wait_lost(m);
	*ret = m;
	return 0;
fail:
	mapping_close_fds(m);
	rawpages_uncharge_mapped(mf->raw, uid);
	return err;
}

/* Take M off the list if it is still there (a worker). */
static bool mapping_unlist(struct mapfd *mf, struct mapping *m)
{
	struct mapping *it;
	bool found = false;

	pthread_mutex_lock(&mf->lock);
	TAILQ_FOREACH(it, &mf->list, link)
		if (it == m)
			break;
	if (it) {
		TAILQ_REMOVE(&mf->list, m, link);
		found = true;
	}
	pthread_mutex_unlock(&mf->lock);
	return found;
}

void mapfd_cancel(struct mapfd *mf, struct mapping *m)
{
	if (mapping_unlist(mf, m))
		mapping_remove(mf, m);
}

/* Take off the list the mappings of SESSION_ID (and REGION_ID, unless 0) onto OUT. */
static unsigned int mapping_take(struct mapfd *mf, uint64_t session_id, uint32_t region_id,
				 struct mapping_list *out)
{
	struct mapping *m, *next;
	unsigned int n = 0;

	pthread_mutex_lock(&mf->lock);
	for (m = TAILQ_FIRST(&mf->list); m; m = next) {
		next = TAILQ_NEXT(m, link);
		if (m->session_id != session_id || (region_id && m->region_id != region_id))
			continue;
		TAILQ_REMOVE(&mf->list, m, link);
		TAILQ_INSERT_TAIL(out, m, link);
		n++;
	}
	pthread_mutex_unlock(&mf->lock);
	return n;
}

static unsigned int mapping_remove_all(struct mapfd *mf, uint64_t session_id, uint32_t region_id)
{
	struct mapping_list out = TAILQ_HEAD_INITIALIZER(out);
	struct mapping *m;
	unsigned int n = mapping_take(mf, session_id, region_id, &out);

	while ((m = TAILQ_FIRST(&out))) {
		TAILQ_REMOVE(&out, m, link);
		mapping_remove(mf, m);
	}
	return n;
}

int mapfd_unmap(struct mapfd *mf, uint64_t session_id, uint32_t region_id)
{
	return mapping_remove_all(mf, session_id, region_id) ? 0 : -ENOENT;
}

unsigned int mapfd_release_session(struct mapfd *mf, uint64_t session_id)
{
	return mapping_remove_all(mf, session_id, 0);
}

/* ---- the fault thread ------------------------------------------------------------------ */

/* Whether @msg is a miss to serve: not another event, nor a writer that met an eviction
 * (its un-protect wakes it). */
static bool fault_to_serve(const struct uffd_msg *msg)
{
	return msg->event == UFFD_EVENT_PAGEFAULT &&
	       !(msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP);
}

static bool fault_thread_is_current(void);
static void fault_thread_back(struct mapfd *mf);

static void handle_fault(struct mapfd *mf, struct mapping *m, const struct uffd_msg *msg)
{
	uint64_t addr = msg->arg.pagefault.address & ~(uint64_t)(MAP_PAGE_SIZE - 1);
	int err;

	if (!fault_to_serve(msg))
		return;
	if (addr < m->base || addr - m->base >= m->nr_pages * MAP_PAGE_SIZE) {
		log_info("connection %" PRIu64 ": a fault outside its mapping of region %" PRIu32
			 " (it registered more than it mapped): %s", m->session_id, m->region_id,
			 mapping_lose(m));
		return;
	}
	rcl_thread_busy(mf->engine, true);	/* a task for PSI while it serves the fault */
	if (msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR)
		err = rcl_region_map_minor(mf->engine, m->region_id, m,
					   (addr - m->base) / MAP_PAGE_SIZE);
	else
		err = rcl_region_map_fault(mf->engine, m->region_id, m,
					   (addr - m->base) / MAP_PAGE_SIZE);
	rcl_thread_busy(mf->engine, false);
	/* Covers stop before the client is woken: its next fault is the fault thread's again. */
	if (atomic_load(&mf->fault_thread_busy) && fault_thread_is_current())
		fault_thread_back(mf);
	/*
	 * Done: wake the client's threads that wait for the page (map_fill and map_cont do
	 * not). Also when another thread's miss filled it first, and after -EAGAIN: reclaim
	 * kept taking the page back under us, so the access runs again, misses again and
	 * comes back here, and other clients' faults go first.
	 */
	if (err == 0 || err == -EAGAIN) {
		struct uffdio_range range = { .start = addr, .len = MAP_PAGE_SIZE };

		err = uffd_ioctl(m->uffd, UFFDIO_WAKE, &range);
	}
	/* ENOENT: the mapping or the region is gone (whoever did it told the client);
	 * ESRCH: the client's mm is. A stale fault message, nobody to answer. */
	if (err == -ENOENT || err == -ESRCH)
		return;
	if (err && !atomic_load(&m->dead))
		log_err("region %" PRIu32 ": the fault of connection %" PRIu64 " at page %" PRIu64
			" cannot be served (%s): %s", m->region_id, m->session_id,
			(addr - m->base) / MAP_PAGE_SIZE, strerror(-err), mapping_lose(m));
}

/*
 * Who reads the faults: the fault thread, and a helper while it covers for one that blocked
 * (fault_cover); a thread that serves a handed-over fault does not. cover_asked: this
 * thread has asked for its cover already in what it is serving now.
 */
enum poll_role { POLL_NONE, POLL_FAULT_THREAD, POLL_COVER };
static __thread enum poll_role poll_role;
static __thread bool cover_asked;

static bool fault_thread_is_current(void)
{
	return poll_role == POLL_FAULT_THREAD;
}

/*
 * Whether the fault thread, about to block, asks for a cover. A client thread touching page
 * after page sends its next fault only once this one is answered: a cover would find nothing
 * and cost two wake-ups. So covers are asked for while they lately served faults (cover_trust
 * rounds since one did), and otherwise once in COVER_PROBE blocks, to notice when faults
 * start to come from several threads. The fault thread's alone.
 */
static bool cover_worth_asking(struct mapfd *mf)
{
	return mf->cover_trust > 0 || ++mf->cover_probe % COVER_PROBE == 0;
}

/*
 * The engine is about to block this thread (rcl_thread_sleep_hook). A reader of faults has
 * an idle helper read them meanwhile, once in what it serves; anybody else just sleeps.
 */
static void poller_blocks(void *arg)
{
	struct mapfd *mf = arg;
	uint64_t v;

	if (poll_role == POLL_NONE || cover_asked)
		return;
	cover_asked = true;
	if (poll_role == POLL_COVER && !atomic_load(&mf->fault_thread_busy))
		return;		/* the fault thread is back: it reads them */
	if (poll_role == POLL_FAULT_THREAD) {
		if (!cover_worth_asking(mf))
			return;
		/* The last round's "back" is over: covers from now on are for this one. */
		if (read(mf->cover_kick, &v, sizeof(v)) < 0 && errno != EAGAIN)
			log_err("fault thread: eventfd: %m");
		atomic_store(&mf->fault_thread_busy, true);
	}
	pthread_mutex_lock(&mf->helper_lock);
	if (mf->nr_queued + mf->nr_cover_wanted < mf->nr_idle) {
		mf->nr_cover_wanted++;
		pthread_cond_signal(&mf->helper_wait);
	}
	pthread_mutex_unlock(&mf->helper_lock);
}

/*
 * The fault thread is back from serving a batch in which it asked for a cover: the covers
 * stop (the kick stays readable until its next block), and whether they served anything
 * decides whether it asks again (cover_worth_asking).
 */
static void fault_thread_back(struct mapfd *mf)
{
	uint64_t one = 1;

	atomic_store(&mf->fault_thread_busy, false);
	cover_asked = false;	/* a later fault of its batch may ask again */
	if (write(mf->cover_kick, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_err("fault thread: eventfd: %m");
	if (atomic_exchange_explicit(&mf->cover_served, 0, memory_order_relaxed))
		mf->cover_trust = COVER_TRUST;
	else if (mf->cover_trust)
		mf->cover_trust--;
}

static unsigned int handle_watch(struct mapfd *mf, struct mapping_watch *w, uint32_t events);

/*
 * Serve what the epoll set has ready now, as the fault thread would; false if its eventfd
 * is among it: that wake (stop, a mapping to bury) is the fault thread's to take, not ours.
 * The graveyard is not reaped while a cover may hold a mapping it read (nr_covering); the
 * last cover out wakes the fault thread to reap what was left meanwhile.
 */
static bool cover_serve(struct mapfd *mf)
{
	struct epoll_event ev[FAULT_BATCH];
	bool theirs = false, reap;
	unsigned int served = 0;
	int n, i;

	pthread_mutex_lock(&mf->lock);
	mf->nr_covering++;
	pthread_mutex_unlock(&mf->lock);
	n = epoll_wait(mf->epfd, ev, FAULT_BATCH, 0);
	cover_asked = false;
	for (i = 0; i < n; i++) {
		if (ev[i].data.ptr)
			served += handle_watch(mf, ev[i].data.ptr, ev[i].events);
		else
			theirs = true;
	}
	atomic_fetch_add_explicit(&mf->nr_covered, served, memory_order_relaxed);
	atomic_fetch_add_explicit(&mf->cover_served, served, memory_order_relaxed);
	pthread_mutex_lock(&mf->lock);
	reap = --mf->nr_covering == 0 && !TAILQ_EMPTY(&mf->graveyard);
	pthread_mutex_unlock(&mf->lock);
	if (reap)
		wake_fault_thread(mf);
	return !theirs;
}

/*
 * A helper covers for the fault thread while that one is blocked in a fault of its own. It
 * sleeps on an epoll set of its own (@hep) holding the fault thread's set, which is ready
 * when a userfaultfd is, and the kick, which the fault thread writes when it is back; on
 * the first it serves what is ready (a fault read by two is read by one), on the second it
 * stops. A cover that blocks in a fault it serves is covered in turn (poller_blocks).
 */
static void fault_cover(struct mapfd *mf, int hep)
{
	struct epoll_event ev[2];
	bool faults, kicked;
	int n, i;

	if (hep < 0)
		return;
	atomic_fetch_add_explicit(&mf->nr_covers, 1, memory_order_relaxed);
	poll_role = POLL_COVER;
	while (atomic_load(&mf->fault_thread_busy) && !atomic_load(&mf->stopping)) {
		n = epoll_wait(hep, ev, 2, COVER_CHECK_MS);
		if (n < 0 && errno != EINTR) {
			log_err("fault helper: epoll_wait: %m");
			break;
		}
		faults = kicked = false;
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32)
				kicked = true;
			else
				faults = true;
		}
		if (kicked || (faults && !cover_serve(mf)))
			break;
	}
	poll_role = POLL_NONE;
}

/* A helper's epoll set for its covers (fault_cover): the fault thread's set and the kick. */
static int cover_epoll(struct mapfd *mf)
{
	struct epoll_event faults = { .events = EPOLLIN, .data.u32 = 0 };
	struct epoll_event kick = { .events = EPOLLIN, .data.u32 = 1 };
	int hep = epoll_create1(EPOLL_CLOEXEC);

	if (hep >= 0 && (epoll_ctl(hep, EPOLL_CTL_ADD, mf->epfd, &faults) < 0 ||
			 epoll_ctl(hep, EPOLL_CTL_ADD, mf->cover_kick, &kick) < 0)) {
		close(hep);
		hep = -1;
	}
	if (hep < 0)
		log_warning("fault helper: no epoll set to cover the fault thread with: %m");
	return hep;
}

/*
 * Hand fault @msg of @m to an idle helper: true if one takes it. The mapping is held for it
 * (helper_refs) until it is served, so the graveyard keeps its userfaultfd open meanwhile.
 */
static bool fault_hand_off(struct mapfd *mf, struct mapping *m, const struct uffd_msg *msg)
{
	bool queued = false;

	if (!fault_to_serve(msg))
		return false;	/* quicker to pass over here than to hand off */
	pthread_mutex_lock(&mf->helper_lock);
	if (mf->nr_queued + mf->nr_cover_wanted < mf->nr_idle) {
		atomic_fetch_add_explicit(&m->helper_refs, 1, memory_order_relaxed);
		mf->queue[mf->nr_queued++] = (struct fault_work){ .m = m, .msg = *msg };
		pthread_cond_signal(&mf->helper_wait);
		queued = true;
	}
	pthread_mutex_unlock(&mf->helper_lock);
	return queued;
}

/*
 * A helper is done with @m. Under the graveyard's lock, so that reap_graveyard, which frees
 * a buried mapping once its count is 0, cannot free it between the count and the look at
 * m->dead: the last use of a buried mapping wakes the fault thread to close it.
 */
static void fault_helper_put(struct mapfd *mf, struct mapping *m)
{
	bool wake;

	pthread_mutex_lock(&mf->lock);
	wake = atomic_fetch_sub_explicit(&m->helper_refs, 1, memory_order_relaxed) == 1 &&
	       atomic_load(&m->dead);
	pthread_mutex_unlock(&mf->lock);
	if (wake)
		wake_fault_thread(mf);
}

/*
 * A helper: serve the faults handed over, and cover for a fault thread that blocks, until
 * told to stop, the queue drained.
 */
static void *fault_helper(void *arg)
{
	struct mapfd *mf = arg;
	struct fault_work w;
	int hep = cover_epoll(mf);

	if (rcl_thread_attach(mf->engine) < 0)
		log_warning("fault helper: cannot attach to the engine; allocating without "
			    "per-thread lists");
	rcl_thread_sleep_hook(poller_blocks, mf);
	pthread_mutex_lock(&mf->helper_lock);
	for (;;) {
		while (!mf->nr_queued && !mf->nr_cover_wanted && !mf->helpers_stop) {
			mf->nr_idle++;
			pthread_cond_wait(&mf->helper_wait, &mf->helper_lock);
			mf->nr_idle--;
		}
		if (!mf->nr_queued && mf->nr_cover_wanted && !mf->helpers_stop) {
			mf->nr_cover_wanted--;
			pthread_mutex_unlock(&mf->helper_lock);
			fault_cover(mf, hep);
			pthread_mutex_lock(&mf->helper_lock);
			continue;
		}
		if (!mf->nr_queued)
			break;
		w = mf->queue[--mf->nr_queued];
		pthread_mutex_unlock(&mf->helper_lock);
		if (!atomic_load(&w.m->dead)) {
			handle_fault(mf, w.m, &w.msg);
			atomic_fetch_add_explicit(&mf->nr_handoffs, 1, memory_order_relaxed);
		}
		fault_helper_put(mf, w.m);
		pthread_mutex_lock(&mf->helper_lock);
	}
	pthread_mutex_unlock(&mf->helper_lock);
	rcl_thread_sleep_hook(NULL, NULL);
	rcl_thread_detach(mf->engine);
	if (hep >= 0)
		close(hep);
	return NULL;
}

/* The faults read from M's userfaultfd, served; 0 when none came. */
static unsigned int handle_uffd(struct mapfd *mf, struct mapping *m, uint32_t events)
{
	struct uffd_msg msgs[FAULT_BATCH];
	ssize_t n;
	size_t i;

	/* Lost: the client was told, and its library wakes the faults it left to retry them. */
	if (atomic_load(&m->dead) || atomic_load(&m->lost)) {
		fault_unwatch(mf, m);
		return 0;
	}
	if (events & (EPOLLERR | EPOLLHUP)) {
		fault_unwatch(mf, m);
		log_info("connection %" PRIu64 ": its userfaultfd for region %" PRIu32 " is in "
			 "error: %s", m->session_id, m->region_id, mapping_lose(m));
		return 0;
	}
	n = uffd_read(m->uffd, msgs, sizeof(msgs));
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			int err = errno;

			fault_unwatch(mf, m);
			log_info("connection %" PRIu64 ": reading its userfaultfd for region %"
				 PRIu32 " failed (%s): %s", m->session_id, m->region_id,
				 strerror(err), mapping_lose(m));
		}
		return 0;
	}
	/* Every fault but the last to an idle helper if there is one; the last, and those no
	 * helper was free for, here: a lone fault (one thread's next miss) pays no hand-off. */
	n /= (ssize_t)sizeof(msgs[0]);
	for (i = 0; i < (size_t)n; i++)
		if (i + 1 == (size_t)n || !fault_hand_off(mf, m, &msgs[i]))
			handle_fault(mf, m, &msgs[i]);
	return (unsigned int)i;
}

#define CONFIRMS_AT_ONCE	(PIPE_BUF / sizeof(uint64_t))	/* the most a message holds */

/*
 * M's client says which entries it dropped (MAP_HANDOFF_CONFIRMS): one message is read (a
 * longer one than any request is cut short), so that a client sending without end still
 * waits its turn with the others' faults (the epoll set is level-triggered). An end, or an
 * error, of the channel: nothing more comes from it. Confirmations are no faults: 0.
 */
static unsigned int handle_confirms(struct mapfd *mf, struct mapping *m, uint32_t events)
{
	uint64_t idx[CONFIRMS_AT_ONCE];
	ssize_t n;

	if (atomic_load(&m->dead) || atomic_load(&m->lost)) {
		confirms_unwatch(mf, m);
		return 0;
	}
	n = recv(m->hint_fd, idx, sizeof(idx), MSG_DONTWAIT);
	if (n > 0) {
		rcl_region_map_confirm(mf->engine, m->region_id, m, idx,
				       (unsigned int)((size_t)n / sizeof(idx[0])));
		return 0;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR) || (events & (EPOLLERR | EPOLLHUP)))
		confirms_unwatch(mf, m);
	return 0;
}

/* An entry of the epoll set is ready: M's faults, or its confirmations. Faults served. */
static unsigned int handle_watch(struct mapfd *mf, struct mapping_watch *w, uint32_t events)
{
	/* The loop set the mapping up under the lock: take it to see its fields (epoll tells
	 * the kernel's story, not the memory model's). */
	pthread_mutex_lock(&mf->lock);
	pthread_mutex_unlock(&mf->lock);
	return w->confirms ? handle_confirms(mf, w->m, events) : handle_uffd(mf, w->m, events);
}

/* Close the buried mappings that no helper still serves a fault of. */
static void reap_graveyard(struct mapfd *mf)
{
	struct mapping_list dead = TAILQ_HEAD_INITIALIZER(dead);
	struct mapping *m, *next;

	pthread_mutex_lock(&mf->lock);
	/* A cover may be using a mapping it read: the last one out wakes us (cover_serve). */
	for (m = mf->nr_covering ? NULL : TAILQ_FIRST(&mf->graveyard); m; m = next) {
		next = TAILQ_NEXT(m, link);
		if (atomic_load_explicit(&m->helper_refs, memory_order_relaxed))
			continue;	/* its helper wakes us when done (fault_helper_put) */
		TAILQ_REMOVE(&mf->graveyard, m, link);
		TAILQ_INSERT_TAIL(&dead, m, link);
	}
	pthread_mutex_unlock(&mf->lock);
	while ((m = TAILQ_FIRST(&dead))) {
		TAILQ_REMOVE(&dead, m, link);
		mapping_close_fds(m);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Serve the @n events of one epoll_wait (the eventfd only drained: the caller reaps after
 * the batch). The faults served.
 */
static unsigned int handle_events(struct mapfd *mf, const struct epoll_event *ev, int n)
{
	unsigned int served = 0;
	int i;

	for (i = 0; i < n; i++) {
		uint64_t v;

		if (!ev[i].data.ptr) {
			if (read(mf->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				log_err("fault thread: eventfd: %m");
			continue;
		}
		served += handle_watch(mf, ev[i].data.ptr, ev[i].events);
	}
	return served;
}

/*
 * One thread reads every client's faults (helpers serve some). Sleeping in epoll_wait costs
 * each fault a wake-up of this thread on top of the client's own, and an idle vCPU wakes
 * slowly (tens of us). So, as NAPI busy-polling and io_uring's SQPOLL thread do, after it
 * served a fault the thread keeps looking with epoll_wait(0) for a window, starting again with
 * each fault found: while faults keep coming (a client touching page after page, each miss
 * sent as soon as the last one is answered) it never sleeps; a window with none, and it sleeps
 * until the next. The window adapts between 0 and fault-poll-usecs as KVM's halt-polling does
 * (fault-poll.h): it opens when sleeps end soon after a fault, closes when they are long, so
 * that polling costs CPU only while it pays. Polls answer the eventfd too, so stopping and
 * reaping are not delayed. An empty poll yields the CPU (where NAPI's loop would stop at
 * need_resched, this one lets the waiting task run and goes on): on a busy machine that task
 * may be the very client whose next fault we wait for.
 */
static void *fault_thread(void *arg)
{
	struct mapfd *mf = arg;
	struct epoll_event ev[FAULT_BATCH];
	uint64_t deadline = 0, idle_since = 0;
	unsigned int served;
	bool polling;
	int n;

	if (rcl_thread_attach(mf->engine) < 0)
		log_warning("fault thread: cannot attach to the engine; allocating without "
			    "per-thread lists");
	poll_role = POLL_FAULT_THREAD;
	rcl_thread_sleep_hook(poller_blocks, mf);
	while (!atomic_load(&mf->stopping)) {
		polling = deadline && now_ns() < deadline;
		atomic_fetch_add_explicit(polling ? &mf->nr_polls : &mf->nr_waits, 1,
					  memory_order_relaxed);
		n = epoll_wait(mf->epfd, ev, FAULT_BATCH, polling ? 0 : -1);
		if (n < 0 && errno != EINTR) {
			log_err("fault thread: epoll_wait: %m");
			break;
		}
		cover_asked = false;
		served = handle_events(mf, ev, n);
		if (atomic_load(&mf->fault_thread_busy))
			fault_thread_back(mf);
		if (served && polling)
			atomic_fetch_add_explicit(&mf->nr_poll_hits, 1, memory_order_relaxed);
		else if (served && idle_since) {
			/* A sleep a fault ended: would a window have caught it? */
			fault_poll_slept(&mf->poll, now_ns() - idle_since);
			atomic_store_explicit(&mf->window_ns, mf->poll.window_ns,
					      memory_order_relaxed);
		}
		if (served) {
			idle_since = now_ns();
			deadline = mf->poll.window_ns ? idle_since + mf->poll.window_ns : 0;
		} else if (polling && n == 0) {
			sched_yield();
		}
		/* Nothing of this batch is used here after this point, and what helpers still
		 * serve stays buried (helper_refs): the rest may go. */
		reap_graveyard(mf);
	}
	rcl_thread_sleep_hook(NULL, NULL);
	rcl_thread_detach(mf->engine);
	return NULL;
}

void mapfd_stats(struct mapfd *mf, struct mapfd_stats *st)
{
	st->poll_us = mf->poll.max_ns / 1000;
	st->window_us = atomic_load_explicit(&mf->window_ns, memory_order_relaxed) / 1000;
	st->waits = atomic_load_explicit(&mf->nr_waits, memory_order_relaxed);
	st->polls = atomic_load_explicit(&mf->nr_polls, memory_order_relaxed);
	st->poll_hits = atomic_load_explicit(&mf->nr_poll_hits, memory_order_relaxed);
	st->covers = atomic_load_explicit(&mf->nr_covers, memory_order_relaxed);
	st->covered = atomic_load_explicit(&mf->nr_covered, memory_order_relaxed);
	st->handoffs = atomic_load_explicit(&mf->nr_handoffs, memory_order_relaxed);
}

int mapfd_new(struct rcl_engine *engine, struct rawpages *raw, unsigned int poll_us,
	      struct mapfd **ret)
{
	struct mapfd *mf = calloc(1, sizeof(*mf));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int err;

	if (!mf)
		return -ENOMEM;
	mf->engine = engine;
	mf->raw = raw;
	mf->test_wait_lost = getenv("RECLAIMD_TEST_MAP_WAIT_LOST") != NULL;
	fault_poll_init(&mf->poll, (uint64_t)poll_us * 1000);
	pthread_mutex_init(&mf->lock, NULL);
	pthread_mutex_init(&mf->helper_lock, NULL);
	pthread_cond_init(&mf->helper_wait, NULL);
	TAILQ_INIT(&mf->list);
	TAILQ_INIT(&mf->claims);
	TAILQ_INIT(&mf->graveyard);
	mf->epfd = epoll_create1(EPOLL_CLOEXEC);
	mf->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	mf->nullfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (mf->nullfd < 0)
		log_warning("mapped regions: cannot open /dev/null (%m): a lost mapping closes "
			    "its client's whole connection");
	mf->cover_kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (mf->epfd < 0 || mf->wakefd < 0 || mf->cover_kick < 0 ||
	    epoll_ctl(mf->epfd, EPOLL_CTL_ADD, mf->wakefd, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	for (; mf->nr_helpers < FAULT_HELPERS; mf->nr_helpers++) {
		err = -pthread_create(&mf->helpers[mf->nr_helpers], NULL, fault_helper, mf);
		if (err)
			goto fail;
	}
	err = -pthread_create(&mf->thread, NULL, fault_thread, mf);
	if (err)
		goto fail;
	mf->thread_started = true;
	*ret = mf;
	return 0;
fail:
	mapfd_free(mf);
	return err;
}

void mapfd_free(struct mapfd *mf)
{
	struct mapping *m;

	if (!mf)
		return;
	/* Sessions are all cleaned up by now; anything left is taken back here. */
	pthread_mutex_lock(&mf->lock);
	while ((m = TAILQ_FIRST(&mf->list))) {
		TAILQ_REMOVE(&mf->list, m, link);
		pthread_mutex_unlock(&mf->lock);
		mapping_remove(mf, m);
		pthread_mutex_lock(&mf->lock);
	}
	pthread_mutex_unlock(&mf->lock);
	if (mf->thread_started) {
		atomic_store(&mf->stopping, true);
		wake_fault_thread(mf);
		pthread_join(mf->thread, NULL);
	}
	/* The helpers serve what was handed to them, then go: nothing holds a mapping after. */
	if (mf->nr_helpers) {
		uint64_t one = 1;

		atomic_store(&mf->stopping, true);
		if (write(mf->cover_kick, &one, sizeof(one)) < 0)	/* covers stop at once */
			log_err("cannot stop the fault helpers' covers: %m");
		pthread_mutex_lock(&mf->helper_lock);
		mf->helpers_stop = true;
		pthread_cond_broadcast(&mf->helper_wait);
		pthread_mutex_unlock(&mf->helper_lock);
		while (mf->nr_helpers)
			pthread_join(mf->helpers[--mf->nr_helpers], NULL);
	}
	reap_graveyard(mf);
	if (mf->epfd >= 0)
		close(mf->epfd);
	if (mf->wakefd >= 0)
		close(mf->wakefd);
	if (mf->nullfd >= 0)
		close(mf->nullfd);
	if (mf->cover_kick >= 0)
		close(mf->cover_kick);
	pthread_mutex_destroy(&mf->lock);
	pthread_mutex_destroy(&mf->helper_lock);
	pthread_cond_destroy(&mf->helper_wait);
	free(mf);
}

/* ---- the exchange on a session (loop thread) ------------------------------------------- */

static void xfer_free(struct mapfd_xfer *x)
{
	if (x->ev)
		event_free(x->ev);
	if (x->frame)
		evbuffer_free(x->frame);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}

/* The exchange is over: the session reads and runs calls again. */
static void xfer_end(struct session *session)
{
	struct mapfd_xfer *x = session->xfer;

	session->xfer = NULL;
	xfer_free(x);
	session_xfer_done(session);
}

/* The handoff is broken (EOF, timeout, garbage): the connection goes, and its mapping with it
 * (the session's cleanup takes it). */
static void xfer_fail(struct session *session, const char *why)
{
	struct mapfd_xfer *x = session->xfer;

	log_info("connection %" PRIu64 ": region %" PRIu32 " mapping handoff failed: %s; "
		 "closing", session->id, x->m->region_id, why);
	session->xfer = NULL;
	xfer_free(x);
	session_close(session);
}

/* Is FD a userfaultfd? Anything else in the fault thread's epoll would be read as faults. */
static bool is_userfaultfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[userfaultfd]");
}

/* A prepared mapping whose client said no: forgotten on a worker (it takes the engine). */
struct cancel_job {
	struct job job;
	struct mapfd *mf;
	struct mapping *m;
};

static void cancel_run(struct job *job)
{
	struct cancel_job *c = (struct cancel_job *)job;

	mapfd_cancel(c->mf, c->m);
}

static void cancel_done(struct job *job)
{
	free(job);
}

static void xfer_refused(struct session *session, int status)
{
	struct mapping *m = session->xfer->m;
	struct cancel_job *c = calloc(1, sizeof(*c));

	log_info("connection %" PRIu64 ": could not map region %" PRIu32 " on its side: %s",
		 session->id, m->region_id, strerror(status < 0 ? -status : EIO));
	if (c) {
		*c = (struct cancel_job){ .job = { .run = cancel_run, .done = cancel_done },
					  .mf = m->mf, .m = m };
		if (workers_submit(session->server->workers, &c->job) < 0)
			free(c);	/* shutting down: the session's cleanup forgets it */
	}
	if (!c) {
		xfer_fail(session, "out of memory");
		return;
	}
	xfer_end(session);
}

bool mapfd_loss_notice(const struct mapfd *mf)
{
	return mf->nullfd >= 0;
}

/* The flags a handoff may carry: loss notices only where they were offered; confirmations
 * are (MapRegionReply.hint_confirms). */
static uint32_t handoff_flags(const struct mapfd *mf)
{
	return MAP_HANDOFF_HINTS | MAP_HANDOFF_CONFIRMS |
	       (mapfd_loss_notice(mf) ? MAP_HANDOFF_LOSS_NOTICE : 0);
}

/* The whole handoff is in: check it and start serving the client's faults. */
static void xfer_handoff(struct session *session)
{
	struct mapfd_xfer *x = session->xfer;
	struct mapping *m = x->m;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &m->uffd_watch };
	struct epoll_event cev = { .events = EPOLLIN, .data.ptr = &m->confirm_watch };
	const struct map_handoff *h = &x->h;
	bool notice = h->flags & MAP_HANDOFF_LOSS_NOTICE;
	bool hints = h->flags & MAP_HANDOFF_HINTS;
	const char *why;

	if (h->magic != MAP_HANDOFF_MAGIC || h->region_id != m->region_id ||
	    (h->flags & ~handoff_flags(m->mf)) || h->reserved) {
		xfer_fail(session, "not a handoff for this region");
		return;
	}
	if (h->status) {
		xfer_refused(session, h->status);
		return;
	}
	if (x->fd < 0 || !is_userfaultfd(x->fd)) {
		xfer_fail(session, "no userfaultfd came with it");
		return;
	}
	if ((h->base & (MAP_PAGE_SIZE - 1)) || h->bytes != m->nr_pages * MAP_PAGE_SIZE) {
		xfer_fail(session, "its address or length is not the region's");
		return;
	}
	if (uffd_features_check(x->fd, &why) < 0) {
		xfer_fail(session, why);
		return;
	}
	if (fcntl(x->fd, F_SETFL, O_NONBLOCK) < 0) {
		xfer_fail(session, "cannot make its userfaultfd non-blocking");
		return;
	}
	pthread_mutex_lock(&m->mf->lock);
	m->base = h->base;
	m->uffd = x->fd;
	x->fd = -1;
	/* Confirmations of drops it was never asked for would be nothing to read. Before the
	 * hints: a request sent once they are on says whether it is to be confirmed. */
	atomic_store(&m->confirms, hints && (h->flags & MAP_HANDOFF_CONFIRMS));
	atomic_store(&m->hints, hints);
	m->state = MAP_LIVE;
	pthread_mutex_unlock(&m->mf->lock);
	/*
	 * The region may have died since the mapping was prepared: mapping_lose then left the
	 * ending to us, not knowing how to tell this client. It reads the ending after it sets
	 * lost, we read lost after we store the ending (both sequentially consistent): a loss
	 * not seen here is ended there.
	 */
	atomic_store(&m->ending, notice ? MAP_END_NOTICE : MAP_END_CONNECTION);
	if (atomic_load(&m->lost) && !notice) {
		xfer_fail(session, "the region went away meanwhile");
		return;
	}
	if (atomic_load(&m->lost)) {
		log_info("connection %" PRIu64 ": region %" PRIu32 " went away while its mapping "
			 "was handed over: %s", session->id, m->region_id, mapping_notice_loss(m));
		xfer_end(session);	/* its faults are never served: not watched */
		return;
	}
	if (epoll_ctl(m->mf->epfd, EPOLL_CTL_ADD, m->uffd, &ev) < 0) {
		xfer_fail(session, "cannot watch its userfaultfd");
		return;
	}
	if (atomic_load(&m->confirms) &&
	    epoll_ctl(m->mf->epfd, EPOLL_CTL_ADD, m->hint_fd, &cev) < 0) {
		xfer_fail(session, "cannot watch its hint channel");
		return;
	}
	log_debug("connection %" PRIu64 ": region %" PRIu32 " mapped at %#" PRIx64, session->id,
		  m->region_id, m->base);
	xfer_end(session);
}

/* Read the handoff: sizeof(struct map_handoff) bytes, the descriptor on the first of them.
 * true while it is not all in. */
static bool xfer_read(struct session *session)
{
	struct mapfd_xfer *x = session->xfer;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (char *)&x->h + x->got, .iov_len = sizeof(x->h) - x->got };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(session->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		xfer_fail(session, n == 0 ? "the client hung up" : strerror(errno));
		return false;
	}
	/* One is all it may send: any other is closed. */
	scm_rights_take(&msg, &x->fd, x->fd >= 0, 1);
	if (msg.msg_flags & MSG_CTRUNC) {
		xfer_fail(session, "it sent more descriptors than one");
		return false;
	}
	x->got += (size_t)n;
	if (x->got < sizeof(x->h))
		return true;
	xfer_handoff(session);
	return false;
}

/* Send the reply frame with [memfd, /dev/userfaultfd, hint channel] on its first byte; a rest
 * that did not fit goes the usual way. true while the exchange goes on. */
static bool xfer_send(struct session *session)
{
	struct mapfd_xfer *x = session->xfer;
	struct mapping *m = x->m;
	size_t len = evbuffer_get_length(x->frame);
	unsigned char *bytes = evbuffer_pullup(x->frame, (ssize_t)len);
	int fds[3] = { m->memfd, m->devfd, m->hint_cfd };
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = bytes, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	memset(u.buf, 0, sizeof(u.buf));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
	n = sendmsg(session->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n < 0) {
		xfer_fail(session, strerror(errno));
		return false;
	}
	/* The daemon needs the device no more: the client has its own copy now. Under the
	 * table's lock: other threads read these fields after taking it. */
	pthread_mutex_lock(&m->mf->lock);
	close(m->devfd);
	m->devfd = -1;
	close(m->hint_cfd);
	m->hint_cfd = -1;
	atomic_store(&m->sockfd, fcntl(session->fd, F_DUPFD_CLOEXEC, 0));
	pthread_mutex_unlock(&m->mf->lock);
	x->sent = true;
	evbuffer_drain(x->frame, (size_t)n);
	if (evbuffer_get_length(x->frame))
		session_send_buffer(session, x->frame);
	return xfer_read(session);	/* a quick client may have answered already */
}

static void xfer_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct session *session = arg;
	struct mapfd_xfer *x = session->xfer;
	struct timeval tv = { .tv_sec = HANDOFF_TIMEOUT_SEC };
	bool more;

	(void)fd;
	if (what & EV_TIMEOUT) {
		xfer_fail(session, "no answer in time");
		return;
	}
	more = x->sent ? xfer_read(session) : xfer_send(session);
	if (!more)
		return;		/* over: x is freed */
	event_assign(x->ev, session->server->base, session->fd, x->sent ? EV_READ : EV_WRITE,
		     xfer_on_event, session);
	event_add(x->ev, &tv);
}

static void xfer_arm(struct session *session)
{
	struct mapfd_xfer *x = session->xfer;
	struct timeval tv = { .tv_sec = HANDOFF_TIMEOUT_SEC };

	event_assign(x->ev, session->server->base, session->fd, EV_WRITE, xfer_on_event, session);
	event_add(x->ev, &tv);
	x->armed = true;
}

void mapfd_xfer_begin(struct session *session, struct mapping *m, struct evbuffer *frame)
{
	struct mapfd_xfer *x = calloc(1, sizeof(*x));

	if (x)
		x->ev = event_new(session->server->base, -1, 0, NULL, NULL);
	if (!x || !x->ev) {
		free(x);
		evbuffer_free(frame);
		log_err("connection %" PRIu64 ": out of memory mapping region %" PRIu32
			": closing", session->id, m->region_id);
		session_close(session);
		return;
	}
	x->session = session;
	x->m = m;
	x->frame = frame;
	x->fd = -1;
	session->xfer = x;
	/* The frame goes only once every answer before it has: its bytes are the next ones. */
	if (session_out_len(session) == 0)
		xfer_arm(session);
}

void mapfd_xfer_out_drained(struct session *session)
{
	struct mapfd_xfer *x = session->xfer;

	if (x && !x->armed)
		xfer_arm(session);
}

void mapfd_xfer_abort(struct session *session)
{
	struct mapfd_xfer *x = session->xfer;

	if (!x)
		return;
	session->xfer = NULL;
	xfer_free(x);	/* the mapping stays listed: the session's cleanup takes it */
}
