/*
 * io.c - the I/O layer under the swap device: one ops table, two backends chosen at run time.
 *
 *   IO_BACKEND_SYNC   preadv/pwritev in the submitting thread; end_io has run when io_submit
 *                     returns. The deterministic mode of the tests and the fallback everywhere.
 *   IO_BACKEND_URING  io_uring: io_submit queues and enters the kernel, completions are taken
 *                     from the ring by io_reap (never blocks) and io_wait_all (blocks).
 *
 * A transfer shorter than asked completes with -EIO: the swap file is allocated to its full
 * size, so a short read or write means the file is not what we made it (truncated, or a device
 * error the kernel reported as a partial transfer). Resubmitting the rest would hide that.
 *
 * Locking (uring). io->lock covers the submission side of the ring, the counters and the fault
 * injection state; it is never held while waiting for I/O or while an end_io runs. Waiting in
 * the kernel for a completion needs the completion side of the ring to itself, so one thread at
 * a time becomes the reaper (io->reaping, set and cleared under the lock) and waits without the
 * lock; others either return (io_reap) or sleep on io->progress (io_wait_all, a full ring). The
 * submission and completion sides of an io_uring are independent, so submitters go on while the
 * reaper waits.
 *
 * Fixed buffers. For each O_DIRECT iovec the kernel pins the pages and unpins them after
 * (get_user_pages): for swap I/O, whose buffers are arena frames, as costly as the checksums.
 * io_engine_register registers the arena with the ring once (pinned for the ring's life), and
 * a request whose iovecs all lie in one registered chunk goes as READV_FIXED / WRITEV_FIXED
 * (Linux 6.15), still one entry and one device request. Where the kernel lacks those
 * opcodes or refuses the registration (RLIMIT_MEMLOCK), requests stay READV / WRITEV.
 *
 * Two counts tell where a request is: in_ring from io_submit until its completion is taken off
 * the ring, pending until its end_io has returned. io_wait_all waits for pending, not in_ring,
 * so that a completion another thread has taken but not yet delivered is still waited for.
 *
 * Waited requests (io_req.waited) take another way. On the shared ring, a thread that waits
 * for its own read while another is the reaper sleeps until the reaper wakes, delivers and
 * wakes it: two wake-ups, the second only after the reaper's own end_io calls (a read's CRC
 * checks). The kernel wakes a page's waiter from the read's completion itself. So a request
 * its submitter waits for at once, and nothing else meanwhile, goes on a ring of the
 * submitting thread's own (struct io_own, made at its first such request; the fixed buffers
 * cloned from the shared ring, so that it pins nothing either): queued without entering the
 * kernel, then io_wait_for submits and waits in one io_uring_enter and delivers what comes
 * back, no other thread involved. A request the own ring cannot take goes on the shared
 * ring as any other. Queued requests reach the device only at that wait: a submitter must
 * not block on anything else in between (its own pages' locks least of all). The ring is
 * set up at the thread's first waited request, under the caller's locks (mm_lock for a
 * swap-in): a few system calls once a thread and engine.
 */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "swap.h"

#define IO_REAP_BATCH	32	/* completions taken off the ring under one lock hold */

struct io_ops {
	int (*init)(struct io_engine *io, unsigned int depth);
	void (*exit)(struct io_engine *io);
	/* Start @req; @fault is 0 or the -errno it must complete with instead. 0 or -errno. */
	int (*submit)(struct io_engine *io, struct io_req *req, int fault);
	/* Deliver completions; with @wait, block until at least one arrived if any is in flight. */
	int (*reap)(struct io_engine *io, bool wait);
};

/* Fail the nth request of one direction (io_inject_fault). */
struct io_fault {
	unsigned int nth;		/* requests left until the failing one; 0 = disarmed */
	int err;			/* -errno to complete it with */
};

/* A request completed by fault injection in the uring backend: a NOP carries it through the
 * ring so that it completes from io_reap like any other. */
struct io_fault_done {
	struct io_req *req;
	int err;
};

#define IO_TAG_FAULT	1UL	/* low bit of user_data: an io_fault_done, not an io_req */
#define IO_FIXED_CHUNK	(1UL << 30)	/* the kernel's largest registered buffer */
#define IO_FIXED_MAX	64		/* registered chunks: a 64 GiB arena */

/* Vectored I/O from registered buffers (Linux 6.15); liburing 2.3's headers predate them. */
#ifndef IORING_OP_READV_FIXED
#define IORING_OP_READV_FIXED	60
#define IORING_OP_WRITEV_FIXED	61
#endif

/* Another ring's registered buffers shared with this one (Linux 6.12): not in liburing 2.3. */
#define IO_REGISTER_CLONE_BUFFERS	30
struct io_clone_buffers {
	uint32_t src_fd, flags, src_off, dst_off, nr, pad[3];
};

#define IO_OWN_DEPTH	64	/* a thread's own ring: one swap-in batch's requests at most */

/*
 * A thread's own ring, for the requests it waits for itself (io_req.waited), bound to one
 * engine at a time (its fixed buffers are that engine's). Only its thread touches it.
 */
struct io_own {
	uint64_t engine_id;		/* the engine it serves; 0: none (not set up) */
	const char *fixed_base;		/* the engine's registered memory it shares, or NULL */
	bool usable;			/* set up for engine_id; false: that engine's go shared */
	unsigned int queued;		/* queued or in flight, not yet delivered */
	struct io_uring ring;
};

struct io_engine {
	const struct io_ops *ops;
	enum io_backend backend;
	unsigned int depth;		/* most requests in the ring at once */
	pthread_mutex_t lock;		/* ring submission side, counters, faults, reaping */
	pthread_cond_t progress;	/* a reaper finished waiting, or end_io calls finished */
	bool reaping;			/* a thread owns the completion side and may sleep on it */
	unsigned int in_ring;		/* submitted, completion not yet taken off the ring */
	unsigned int pending;		/* submitted, end_io not yet returned */
	struct io_fault fault[2];	/* [false] reads, [true] writes */
	atomic_bool hold;		/* io_hold_completions: io_reap delivers nothing */
	struct io_uring ring;
	char *fixed_base;		/* registered buffers: [base, base + fixed_len), or NULL */
	size_t fixed_len;
	uint64_t id;			/* unique for the process's life: which own rings are ours */
	_Atomic uint64_t nr_fixed;	/* requests sent from the registered buffers */
	_Atomic uint64_t nr_own;	/* waited requests sent on their submitters' own rings */
	_Atomic uint64_t nr_requests[2];
	_Atomic uint64_t nr_bytes[2];
};

static size_t iov_bytes(const struct io_req *req)
{
	size_t bytes = 0;
	int i;

	for (i = 0; i < req->iovcnt; i++)
		bytes += req->iov[i].iov_len;
	return bytes;
}

/* Deliver one completion: @res is what the kernel returned, a byte count or -errno. */
static void io_complete(struct io_req *req, long res)
{
	if (res >= 0 && (size_t)res != iov_bytes(req))
		res = -EIO;
	req->end_io(req, (int)res);
}

/* Caller holds io->lock. 0, or the -errno the request must fail with. */
static int __io_take_fault(struct io_engine *io, bool write)
{
	struct io_fault *f = &io->fault[write];

	if (!f->nth || --f->nth)
		return 0;
	return f->err;
}

/* ---- IO_BACKEND_SYNC ------------------------------------------------------------------- */

static int sync_init(struct io_engine *io, unsigned int depth)
{
	return 0;
}

static void sync_exit(struct io_engine *io)
{
}

static long sync_transfer(const struct io_req *req)
{
	ssize_t n;

	do {
		if (req->write)
			n = pwritev(req->fd, req->iov, req->iovcnt, (off_t)req->offset);
		else
			n = preadv(req->fd, req->iov, req->iovcnt, (off_t)req->offset);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int sync_submit(struct io_engine *io, struct io_req *req, int fault)
{
	io_complete(req, fault ? fault : sync_transfer(req));
	return 0;
}

static int sync_reap(struct io_engine *io, bool wait)
{
	return 0;
}

static const struct io_ops sync_ops = {
	.init = sync_init,
	.exit = sync_exit,
	.submit = sync_submit,
	.reap = sync_reap,
};

/* ---- IO_BACKEND_URING ------------------------------------------------------------------ */

/* Any failure to set up a ring (no kernel support, seccomp, memlock limit) means "use the
 * other backend", which is what -ENOSYS tells the caller. */
static int uring_init(struct io_engine *io, unsigned int depth)
{
	return io_uring_queue_init(depth, &io->ring, 0) < 0 ? -ENOSYS : 0;
}

static void uring_exit(struct io_engine *io)
{
	io_uring_queue_exit(&io->ring);
}

/* One completion taken off the ring, delivered after the lock is dropped. */
struct io_done {
	uint64_t data;
	int res;
};

static void uring_deliver(const struct io_done *d)
{
	if (d->data & IO_TAG_FAULT) {
		struct io_fault_done *f = (struct io_fault_done *)(uintptr_t)(d->data & ~IO_TAG_FAULT);
		struct io_req *req = f->req;
		int err = f->err;

		free(f);
		io_complete(req, err);
	} else {
		io_complete((struct io_req *)(uintptr_t)d->data, d->res);
	}
}

/* Take what @ring's completion queue holds (at most a batch) off it: the caller owns it. */
static unsigned int ring_take(struct io_uring *ring, struct io_done done[IO_REAP_BATCH])
{
	struct io_uring_cqe *cqes[IO_REAP_BATCH];
	unsigned int n, i;

	n = io_uring_peek_batch_cqe(ring, cqes, IO_REAP_BATCH);
	for (i = 0; i < n; i++) {
		done[i].data = cqes[i]->user_data;
		done[i].res = cqes[i]->res;
	}
	io_uring_cq_advance(ring, n);
	return n;
}

/* Caller holds io->lock and owns the completion side (no other reaper). */
static unsigned int __uring_take(struct io_engine *io, struct io_done done[IO_REAP_BATCH])
{
	unsigned int n = ring_take(&io->ring, done);

	io->in_ring -= n;
	return n;
}

/*
 * Caller holds io->lock, nothing is on the completion ring and requests are in flight: become
 * the reaper and sleep in the kernel until one completes. Returns with the lock held again.
 */
static void __uring_wait_one(struct io_engine *io)
{
	struct io_uring_cqe *cqe;

	/* An io_uring_submit that failed left its entries queued: they must reach the kernel
	 * before anyone waits for them. If they still cannot, let the caller come round again. */
	if (io_uring_sq_ready(&io->ring) && io_uring_submit(&io->ring) < 0) {
		pthread_mutex_unlock(&io->lock);
		sched_yield();
		pthread_mutex_lock(&io->lock);
		return;
	}
	io->reaping = true;
	pthread_mutex_unlock(&io->lock);
	io_uring_wait_cqe(&io->ring, &cqe);	/* -EINTR: the caller comes round again */
	pthread_mutex_lock(&io->lock);
	io->reaping = false;
	pthread_cond_broadcast(&io->progress);
}

/* Run the end_io of @n completions taken off a ring (no lock held), then count them done. */
static void deliver_done(struct io_engine *io, const struct io_done *done, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		uring_deliver(&done[i]);
	pthread_mutex_lock(&io->lock);
	io->pending -= n;
	pthread_cond_broadcast(&io->progress);
	pthread_mutex_unlock(&io->lock);
}

static int uring_reap(struct io_engine *io, bool wait)
{
	struct io_done done[IO_REAP_BATCH];
	unsigned int n;

	pthread_mutex_lock(&io->lock);
	if (io->reaping) {		/* the reaper will deliver what is there */
		pthread_mutex_unlock(&io->lock);
		return 0;
	}
	n = __uring_take(io, done);
	if (!n && wait && io->in_ring) {
		__uring_wait_one(io);
		if (!io->reaping)
			n = __uring_take(io, done);
	}
	pthread_mutex_unlock(&io->lock);
	if (!n)
		return 0;
	deliver_done(io, done, n);
	return (int)n;
}

/* Caller holds io->lock. Wait until the ring has room for one more request. */
static void __uring_make_room(struct io_engine *io)
{
	while (io->in_ring >= io->depth) {
		if (io->reaping) {
			pthread_cond_wait(&io->progress, &io->lock);
		} else {
			pthread_mutex_unlock(&io->lock);
			uring_reap(io, true);
			pthread_mutex_lock(&io->lock);
		}
	}
}

/* The registered chunk every iovec of @req lies in, or -1 (then the request is vectored). */
static int uring_fixed_index(const struct io_engine *io, const struct io_req *req)
{
	int i, index = -1;

	if (!io->fixed_base)
		return -1;
	for (i = 0; i < req->iovcnt; i++) {
		const char *p = req->iov[i].iov_base;
		size_t off = (size_t)(p - io->fixed_base), len = req->iov[i].iov_len;

		if (p < io->fixed_base || off >= io->fixed_len || !len ||
		    len > io->fixed_len - off || off / IO_FIXED_CHUNK != (off + len - 1) / IO_FIXED_CHUNK)
			return -1;
		if (i && (int)(off / IO_FIXED_CHUNK) != index)
			return -1;
		index = (int)(off / IO_FIXED_CHUNK);
	}
	return index;
}

static void uring_prep(struct io_engine *io, struct io_uring_sqe *sqe, struct io_req *req)
{
	int index = uring_fixed_index(io, req);

	if (index >= 0) {
		io_uring_prep_rw(req->write ? IORING_OP_WRITEV_FIXED : IORING_OP_READV_FIXED, sqe,
				 req->fd, req->iov, (unsigned int)req->iovcnt, req->offset);
		sqe->buf_index = (uint16_t)index;
		atomic_fetch_add_explicit(&io->nr_fixed, 1, memory_order_relaxed);
	} else if (req->write)
		io_uring_prep_writev(sqe, req->fd, req->iov, (unsigned int)req->iovcnt, req->offset);
	else
		io_uring_prep_readv(sqe, req->fd, req->iov, (unsigned int)req->iovcnt, req->offset);
	io_uring_sqe_set_data(sqe, req);
}

/* @req's entry, or with fault injection's @f a NOP that completes it with the fault. */
static void uring_prep_or_fault(struct io_engine *io, struct io_uring_sqe *sqe,
				struct io_req *req, struct io_fault_done *f)
{
	if (f) {
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)f | IO_TAG_FAULT);
	} else {
		uring_prep(io, sqe, req);
	}
}

/* ---- a thread's own ring (waited requests) ---------------------------------------------- */

static _Atomic uint64_t io_engine_ids;		/* io->id: 1, 2, ... */
static pthread_once_t io_own_once = PTHREAD_ONCE_INIT;
static pthread_key_t io_own_key;		/* frees a thread's own ring when it exits */
static bool io_own_key_made;
static _Thread_local struct io_own *io_own;

static void io_own_free(void *arg)
{
	struct io_own *own = arg;

	if (own->usable)
		io_uring_queue_exit(&own->ring);
	free(own);
	io_own = NULL;		/* a later destructor's swap-in makes a new one */
}

/*
 * The engine goes: the freeing thread's own ring for it goes too, so that the arena its
 * cloned buffers pin is not pinned past the engine (other threads' go when they exit or
 * serve another engine; they have nothing queued, as their waits came before the free).
 */
static void io_own_forget(struct io_engine *io)
{
	struct io_own *own = io_own;

	if (!own || own->engine_id != io->id)
		return;
	if (own->usable)
		io_uring_queue_exit(&own->ring);
	own->usable = false;
	own->engine_id = 0;
}

static void io_own_key_make(void)
{
	io_own_key_made = pthread_key_create(&io_own_key, io_own_free) == 0;
}

/* Share @io's registered buffers (all of them, at the same indices) with @own's ring. */
static int io_own_clone_buffers(struct io_engine *io, struct io_own *own)
{
	struct io_clone_buffers arg = { .src_fd = (uint32_t)io->ring.ring_fd };

	return syscall(__NR_io_uring_register, own->ring.ring_fd, IO_REGISTER_CLONE_BUFFERS, &arg,
		       1) < 0 ? -errno : 0;
}

/*
 * The calling thread's own ring for @io: set up at the thread's first waited request, and
 * again when it served another engine before or @io registered buffers since. NULL where it
 * cannot be had as cheap as the shared ring (no ring, or buffers that cannot be shared, which
 * would make every request pin its pages): then the shared ring takes the request. Caller
 * holds io->lock (fixed_base); the setup's system calls run once a thread and engine.
 */
static struct io_own *io_own_get(struct io_engine *io)
{
	struct io_own *own = io_own;

	if (own && own->engine_id == io->id && own->fixed_base == io->fixed_base)
		return own->usable ? own : NULL;
	if (own && own->queued)
		return NULL;		/* another engine's, not yet waited for */
	pthread_once(&io_own_once, io_own_key_make);
	if (!io_own_key_made)
		return NULL;
	if (!own) {
		own = calloc(1, sizeof(*own));
		if (!own)
			return NULL;
		if (pthread_setspecific(io_own_key, own)) {
			free(own);
			return NULL;
		}
		io_own = own;
	} else if (own->usable) {
		io_uring_queue_exit(&own->ring);
	}
	own->engine_id = io->id;
	own->fixed_base = io->fixed_base;
	own->usable = io_uring_queue_init(IO_OWN_DEPTH, &own->ring, 0) == 0;
	if (own->usable && io->fixed_base && io_own_clone_buffers(io, own) < 0) {
		io_uring_queue_exit(&own->ring);
		own->usable = false;
	}
	return own->usable ? own : NULL;
}

/*
 * Queue @req (or the fault @f completes it with) on the thread's own ring, without entering
 * the kernel: the io_wait_for that follows submits it. Caller holds io->lock. 0, or -EAGAIN
 * when the own ring cannot take it.
 */
static int own_queue(struct io_engine *io, struct io_req *req, struct io_fault_done *f)
{
	struct io_own *own = io_own_get(io);
	struct io_uring_sqe *sqe = own ? io_uring_get_sqe(&own->ring) : NULL;

	if (!sqe)
		return -EAGAIN;
	uring_prep_or_fault(io, sqe, req, f);
	own->queued++;
	io->pending++;
	atomic_fetch_add_explicit(&io->nr_own, 1, memory_order_relaxed);
	return 0;
}

/*
 * Submit what this thread queued on its own ring for @io and deliver all of it, sleeping in
 * the kernel for those completions alone: the completion wakes this thread, nobody else's
 * reaping is waited for. Without io->lock but to count them done.
 */
static void own_wait(struct io_engine *io)
{
	struct io_own *own = io_own;
	struct io_done done[IO_REAP_BATCH];
	unsigned int n;

	if (!own || own->engine_id != io->id)
		return;
	while (own->queued) {
		n = ring_take(&own->ring, done);
		if (!n) {
			/* One enter submits the queue and waits. -EINTR: round again; a refusal
			 * (out of memory) leaves the entries queued for the next round. */
			if (io_uring_submit_and_wait(&own->ring, 1) < 0)
				sched_yield();
			continue;
		}
		own->queued -= n;
		deliver_done(io, done, n);
	}
}

static int uring_submit(struct io_engine *io, struct io_req *req, int fault)
{
	struct io_fault_done *f = NULL;
	struct io_uring_sqe *sqe;

	if (fault) {
		f = malloc(sizeof(*f));
		if (!f)
			return -ENOMEM;
		f->req = req;
		f->err = fault;
	}
	pthread_mutex_lock(&io->lock);
	if (req->waited && own_queue(io, req, f) == 0) {
		pthread_mutex_unlock(&io->lock);
		return 0;
	}
	__uring_make_room(io);
	/* in_ring < depth and every queued entry is counted in in_ring: there is a free entry. */
	sqe = io_uring_get_sqe(&io->ring);
	uring_prep_or_fault(io, sqe, req, f);
	io->in_ring++;
	io->pending++;
	/* A failed enter leaves the entry queued on the ring; __uring_wait_one submits it again
	 * before anyone sleeps on it, so the request is in flight either way. */
	io_uring_submit(&io->ring);
	pthread_mutex_unlock(&io->lock);
	return 0;
}

static const struct io_ops uring_ops = {
	.init = uring_init,
	.exit = uring_exit,
	.submit = uring_submit,
	.reap = uring_reap,
};

/* ---- the engine ------------------------------------------------------------------------ */

/*
 * io_engine_new - an I/O engine on @backend with room for @depth requests in flight (uring;
 * the sync backend has one per calling thread). 0 and *@ret, -EINVAL for a bad backend or a
 * depth of 0, -ENOMEM, or -ENOSYS when io_uring cannot be set up here (the caller falls back
 * to IO_BACKEND_SYNC).
 */
int io_engine_new(enum io_backend backend, unsigned int depth, struct io_engine **ret)
{
	struct io_engine *io;
	int err;

	if ((backend != IO_BACKEND_SYNC && backend != IO_BACKEND_URING) || !depth)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->backend = backend;
	io->id = atomic_fetch_add_explicit(&io_engine_ids, 1, memory_order_relaxed) + 1;
	io->ops = backend == IO_BACKEND_URING ? &uring_ops : &sync_ops;
	io->depth = depth;
	err = io->ops->init(io, depth);
	if (err)
		goto out_free;
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->progress, NULL);
	*ret = io;
	return 0;

out_free:
	free(io);
	return err;
}

/* io_engine_free - wait for everything in flight, then release the engine. NULL is a no-op. */
void io_engine_free(struct io_engine *io)
{
	if (!io)
		return;
	io_wait_all(io);
	io_own_forget(io);
	io->ops->exit(io);
	pthread_cond_destroy(&io->progress);
	pthread_mutex_destroy(&io->lock);
	free(io);
}

/*
 * io_engine_register - register [@base, @base + @len) with the ring as fixed buffers, in
 * chunks of at most 1 GiB; later requests whose iovecs lie in one chunk pin nothing. The
 * memory stays pinned until the engine is freed. 0; -EOPNOTSUPP for the sync backend or a
 * kernel without vectored fixed-buffer I/O; or the kernel's refusal (-ENOMEM over
 * RLIMIT_MEMLOCK). Requests then stay vectored: correct, only dearer.
 */
int io_engine_register(struct io_engine *io, void *base, size_t len)
{
	struct iovec iov[IO_FIXED_MAX];
	struct io_uring_probe *probe;
	unsigned int n = 0;
	bool supported;
	size_t off;
	int err;

	if (io->backend != IO_BACKEND_URING)
		return -EOPNOTSUPP;
	if (!len || len > (size_t)IO_FIXED_MAX * IO_FIXED_CHUNK)
		return -EINVAL;
	probe = io_uring_get_probe_ring(&io->ring);
	supported = probe && io_uring_opcode_supported(probe, IORING_OP_READV_FIXED) &&
		    io_uring_opcode_supported(probe, IORING_OP_WRITEV_FIXED);
	io_uring_free_probe(probe);
	if (!supported)
		return -EOPNOTSUPP;
	for (off = 0; off < len; off += IO_FIXED_CHUNK, n++) {
		iov[n].iov_base = (char *)base + off;
		iov[n].iov_len = len - off < IO_FIXED_CHUNK ? len - off : IO_FIXED_CHUNK;
	}
	pthread_mutex_lock(&io->lock);
	err = io->fixed_base ? -EBUSY : io_uring_register_buffers(&io->ring, iov, n);
	if (!err) {
		io->fixed_base = base;
		io->fixed_len = len;
	}
	pthread_mutex_unlock(&io->lock);
	return err;
}

enum io_backend io_engine_backend(const struct io_engine *io)
{
	return io->backend;
}

/*
 * io_submit - start @req, which the caller keeps (with its iovec and buffers) unchanged until
 * end_io runs. Sync backend: the transfer and end_io have happened on return. Uring: end_io
 * runs later from io_reap or io_wait_all in whichever thread calls them; io_submit blocks only
 * while the ring is full. 0, or -errno and end_io will not be called.
 */
int io_submit(struct io_engine *io, struct io_req *req)
{
	int fault, err;

	if (!req->end_io || req->iovcnt <= 0)
		return -EINVAL;
	pthread_mutex_lock(&io->lock);
	fault = __io_take_fault(io, req->write);
	pthread_mutex_unlock(&io->lock);

	atomic_fetch_add_explicit(&io->nr_requests[req->write], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&io->nr_bytes[req->write], iov_bytes(req), memory_order_relaxed);
	err = io->ops->submit(io, req, fault);
	if (err) {
		atomic_fetch_sub_explicit(&io->nr_requests[req->write], 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&io->nr_bytes[req->write], iov_bytes(req),
					  memory_order_relaxed);
	}
	return err;
}

/* io_reap - deliver the completions that have arrived; returns how many. Never blocks for I/O
 * (the lock it takes is never held across a wait). */
int io_reap(struct io_engine *io)
{
	int total = 0, n;

	if (atomic_load_explicit(&io->hold, memory_order_relaxed))
		return 0;
	while ((n = io->ops->reap(io, false)) > 0)
		total += n;
	return total;
}

/*
 * io_wait_progress - wait until at least one request in flight on @io has completed and its
 * end_io has run (by this thread, or by the reaper that delivered it), or return at once if
 * none is in flight: a wait as long as the next completion, however many are queued after it.
 */
void io_wait_progress(struct io_engine *io)
{
	task_will_block();
	own_wait(io);
	pthread_mutex_lock(&io->lock);
	if (io->pending && io->in_ring && !io->reaping) {
		pthread_mutex_unlock(&io->lock);
		io->ops->reap(io, true);	/* sleeps for one completion, delivers what came */
		return;
	}
	if (io->pending)
		pthread_cond_wait(&io->progress, &io->lock);	/* the reaper's broadcast */
	pthread_mutex_unlock(&io->lock);
}

/* io_busy - whether a request submitted to @io has not yet had its end_io run. */
bool io_busy(struct io_engine *io)
{
	bool busy;

	pthread_mutex_lock(&io->lock);
	busy = io->pending > 0;
	pthread_mutex_unlock(&io->lock);
	return busy;
}

/* io_wait_all - return once every request submitted before the call, by any thread, has
 * completed and its end_io has returned. Must not be called from an end_io. */
void io_wait_all(struct io_engine *io)
{
	task_will_block();
	own_wait(io);
	pthread_mutex_lock(&io->lock);
	while (io->pending) {
		if (io->in_ring && !io->reaping) {
			pthread_mutex_unlock(&io->lock);
			io->ops->reap(io, true);
			pthread_mutex_lock(&io->lock);
		} else {
			/* Another thread is waiting in the kernel or delivering what it took. */
			pthread_cond_wait(&io->progress, &io->lock);
		}
	}
	pthread_mutex_unlock(&io->lock);
}

void io_wait_for(struct io_engine *io, _Atomic int *remaining)
{
	task_will_block();
	own_wait(io);
	pthread_mutex_lock(&io->lock);
	while (atomic_load(remaining)) {
		if (io->in_ring && !io->reaping) {
			pthread_mutex_unlock(&io->lock);
			io->ops->reap(io, true);
			pthread_mutex_lock(&io->lock);
		} else {
			/* Ours is being delivered by another thread, which broadcasts after. */
			pthread_cond_wait(&io->progress, &io->lock);
		}
	}
	pthread_mutex_unlock(&io->lock);
}

/*
 * io_inject_fault - make the @nth read (or write) submitted from now on complete with -@err
 * instead of reaching the file (tests: the SQLite way of proving no byte is lost). nth 0
 * disarms. One fault per direction is armed at a time; arming again replaces it.
 */
void io_inject_fault(struct io_engine *io, bool write, unsigned int nth, int err)
{
	pthread_mutex_lock(&io->lock);
	io->fault[write].nth = nth;
	io->fault[write].err = err > 0 ? -err : err;
	pthread_mutex_unlock(&io->lock);
}

/*
 * io_hold_completions - while @hold, completions reach their end_io only in a thread that
 * waits for them (io_wait_all, io_wait_for), never through io_reap (tests: a write kept "in
 * flight", its page under writeback, for as long as nobody waits for it).
 */
void io_hold_completions(struct io_engine *io, bool hold)
{
	atomic_store_explicit(&io->hold, hold, memory_order_relaxed);
}

/* io_engine_stats - what has been submitted since the engine was created. */
void io_engine_stats(struct io_engine *io, struct io_stats *ret)
{
	ret->reads = atomic_load_explicit(&io->nr_requests[0], memory_order_relaxed);
	ret->writes = atomic_load_explicit(&io->nr_requests[1], memory_order_relaxed);
	ret->read_bytes = atomic_load_explicit(&io->nr_bytes[0], memory_order_relaxed);
	ret->write_bytes = atomic_load_explicit(&io->nr_bytes[1], memory_order_relaxed);
	ret->fixed = atomic_load_explicit(&io->nr_fixed, memory_order_relaxed);
	ret->own = atomic_load_explicit(&io->nr_own, memory_order_relaxed);
}
