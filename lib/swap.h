/*
 * swap.h - the swap device (swapfile.c), the I/O layer under it (io.c) and the checksum.
 *
 * One swap device per engine: a real file, created at the configured size with no holes, read
 * and written with O_DIRECT (buffered by a switch). Slot 0 holds a header and is never handed
 * out. Each slot's byte in swap_map counts the page-table entries that hold the entry (up to
 * SWAP_MAP_MAX) and carries SWAP_HAS_CACHE while a page in memory (the swap cache) stands for
 * it. A slot is free when its byte is 0. Every written slot's CRC32C is kept and checked on
 * read: a mismatch is an I/O error, never silent corruption.
 *
 * Slots are handed out from clusters of SWAPFILE_CLUSTER so that consecutive swap-outs get
 * consecutive slots and a batch becomes one large sequential write (spec section 17).
 */
#ifndef RCL_SWAP_H
#define RCL_SWAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct rcl_engine;

/* A swap entry: the slot's offset in the (single) swap device. 0 is "no entry". */
typedef struct {
	uint32_t val;
} swp_entry_t;

static inline swp_entry_t swp_entry(uint32_t offset)
{
	return (swp_entry_t){ offset };
}

static inline uint32_t swp_offset(swp_entry_t e)
{
	return e.val;
}

#define SWAPFILE_CLUSTER	256	/* slots per cluster (spec section 1) */
#define SWAP_BATCH		64	/* slots a task takes from the device at once */
#define SWAP_HAS_CACHE		0x40	/* a swap cache page exists for the slot */
#define SWAP_MAP_RETIRE		0x80	/* a write to the slot failed: it turns bad once its
					 * last user goes (the kernel's COUNT_CONTINUED bit,
					 * free here: counts above SWAP_MAP_MAX are refused) */
#define SWAP_MAP_MAX		0x3e	/* highest page-table reference count of a slot */
#define SWAP_MAP_BAD		0x3f	/* the slot failed a write and is never used again */

/* ---- io.c: asynchronous I/O with a synchronous mode ----------------------------------- */

enum io_backend {
	IO_BACKEND_SYNC,	/* preadv/pwritev in the caller: completion before io_submit returns */
	IO_BACKEND_URING,	/* io_uring: completions reaped by io_reap/io_wait_all */
};

struct io_req;
typedef void (*io_end_fn)(struct io_req *req, int res);

/* One read or write of a contiguous file range from/to a vector of page-aligned buffers. */
struct io_req {
	int fd;
	bool write;
	uint64_t offset;		/* bytes; a multiple of 4096 for O_DIRECT */
	struct iovec *iov;
	int iovcnt;
	io_end_fn end_io;		/* called once with the byte count or -errno */
	void *private;			/* the submitter's */
	bool waited;			/* its submitter waits for it (io_wait_for) before it blocks
					 * on anything else: it may go on the thread's own ring
					 * (io.c), which only that wait submits and reaps */
};

struct io_engine;

int io_engine_new(enum io_backend backend, unsigned int depth, struct io_engine **ret);
void io_engine_free(struct io_engine *io);	/* waits for everything in flight first */
enum io_backend io_engine_backend(const struct io_engine *io);
/* Register memory that later requests' buffers lie in (the arena): they then pin nothing.
 * 0 or -errno; on failure requests work as before. */
int io_engine_register(struct io_engine *io, void *base, size_t len);
/* Queue @req. Sync backend: performs it and calls end_io before returning. 0 or -errno (then
 * end_io is not called). A short transfer completes with -EIO. */
int io_submit(struct io_engine *io, struct io_req *req);
/* Reap completed requests, calling their end_io; returns how many. Never blocks. */
int io_reap(struct io_engine *io);
/* Wait until every submitted request has completed and its end_io has run. */
void io_wait_all(struct io_engine *io);
/* Whether a submitted request's end_io has not run yet. */
bool io_busy(struct io_engine *io);
/* Wait for the next completion of whatever is in flight (its end_io run); none in flight:
 * return at once. */
void io_wait_progress(struct io_engine *io);
/* lock.c: --enable-debug aborts if the calling thread holds a model lock (it may block). */
void might_sleep(void);
void task_will_block(void);
/* Wait until *@remaining, which the caller's end_io calls count down, reaches 0: only the
 * caller's own requests, not everybody's. */
void io_wait_for(struct io_engine *io, _Atomic int *remaining);
/* Fault injection for tests: fail the Nth (1-based, counting from now) read or write with
 * -err; 0 disables. */
void io_inject_fault(struct io_engine *io, bool write, unsigned int nth, int err);
void io_hold_completions(struct io_engine *io, bool hold);

/* What an engine has been asked to transfer since it was created (tests, benchmarks). */
struct io_stats {
	uint64_t reads;			/* requests */
	uint64_t writes;
	uint64_t read_bytes;
	uint64_t write_bytes;
	uint64_t fixed;			/* requests sent from registered (fixed) buffers */
	uint64_t own;			/* waited requests sent on their submitters' own rings */
};
void io_engine_stats(struct io_engine *io, struct io_stats *ret);

/* ---- crc32c ---------------------------------------------------------------------------- */

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* ---- swapfile.c ------------------------------------------------------------------------ */

/* Slot 0 of the swap file, in host byte order; the rest of the page is zero. */
#define SWAP_HEADER_MAGIC	"RECLAIMD-SWAP-1"	/* with its NUL: 16 bytes */
#define SWAP_HEADER_VERSION	1

struct swap_header {
	char magic[16];
	uint32_t version;
	uint32_t page_size;
	uint64_t nr_slots;		/* slots including slot 0 */
};

struct swap_cluster_info;

/* A task's current cluster, so that its swap-outs are consecutive (the per-cpu cluster). */
struct percpu_cluster {
	uint32_t index;		/* cluster number, or UINT32_MAX for none */
	uint32_t next;		/* next slot to try inside it */
};

struct swap_info_struct {
	int fd;
	char *path;
	bool direct;			/* opened with O_DIRECT */
	uint32_t max;			/* slots including slot 0 */
	uint32_t pages;			/* usable slots: max - 1 - bad */
	_Atomic long inuse_pages;	/* slots handed out and not retiring */
	uint8_t *swap_map;		/* per slot: count | SWAP_HAS_CACHE (| SWAP_MAP_RETIRE
					 * once a write to it failed), or SWAP_MAP_BAD */
	uint32_t *crc;			/* per slot: CRC32C of the page last written there */
	uint32_t *swap_cache;		/* per slot: pfn + 1 of the swap cache page, 0 = none;
					 * owned by swap_state.c, allocated here; under the
					 * slot's cluster lock */
	uint64_t *shadow;		/* per slot: the workingset shadow its page left when
					 * reclaimed (CLOCK-Pro: its place on the anon clock),
					 * 0 = none; owned by swap_state.c, allocated here,
					 * cleared when the slot is freed; under the slot's
					 * cluster lock */
	pthread_mutex_t lock;		/* free-cluster list, current clusters, pages; a
					 * cluster's own lock guards its slots (swapfile.c) */
	struct swap_cluster_info *cluster_info;
	uint32_t nr_clusters;
	uint32_t free_cluster_head;	/* list of entirely free clusters */
	uint32_t free_cluster_tail;
	struct percpu_cluster global_cluster; /* for threads that never attached */
	struct io_engine *io;
};

/*
 * Create (or truncate) the swap file at @path with @bytes of space, allocated on disk with
 * fallocate so that writes never hit a hole, and open it for O_DIRECT I/O unless @buffered.
 * 0 or -errno (-EINVAL for a size below two clusters).
 */
int swapon(struct rcl_engine *engine, const char *path, uint64_t bytes, bool buffered,
	   enum io_backend backend);
/* Close and free the device. The caller has freed every entry or does not care. */
void swapoff(struct rcl_engine *engine);

/* Allocate up to @n free slots, each starting at count 0 | SWAP_HAS_CACHE, consecutive where
 * the cluster allows. Returns the number allocated (0 when swap is full or absent). */
int get_swap_pages(struct rcl_engine *engine, int n, swp_entry_t entries[]);
swp_entry_t get_swap_page(struct rcl_engine *engine);	/* val 0 if none */

/* A page-table entry now holds @entry: count + 1. -EINVAL for a free, bad or retiring slot,
 * -ENOSPC at SWAP_MAP_MAX. */
int swap_duplicate(struct rcl_engine *engine, swp_entry_t entry);
/* A page-table entry dropped @entry: count - 1; the slot is freed at 0 without cache. Both
 * puts return whether the slot is out of use afterwards (freed by this put, or bad), decided
 * under the lock that changed it: of two puts racing for a slot, one frees it. */
bool swap_free(struct rcl_engine *engine, swp_entry_t entry);
/* The swap cache page of @entry went away: clear SWAP_HAS_CACHE; free the slot if count is 0. */
bool put_swap_page(struct rcl_engine *engine, swp_entry_t entry);
/* Claim SWAP_HAS_CACHE for a swap-in, holding @entry's cluster lock: 0, -EEXIST if already
 * set, -ENOENT if the slot is free, bad or retiring. */
int swapcache_prepare(struct rcl_engine *engine, swp_entry_t entry);
/*
 * The lock of @entry's cluster (NULL if @entry names no slot): besides the slots' map bytes it
 * guards their swap cache entries and shadows (swap_state.c). A leaf but for lru_lock, which
 * __remove_mapping's workingset_eviction takes under it; one cluster's at a time.
 */
struct swap_cluster_info *swap_cluster_lock(struct rcl_engine *engine, swp_entry_t entry);
void swap_cluster_unlock(struct swap_cluster_info *ci);
/*
 * For assertions, cheap enough for the lock helpers of every build (a thread-local load the
 * compiler drops where --enable-debug is off): the cluster whose lock this thread holds, + 1
 * (0: none; one device, one cluster at a time).
 */
extern __thread unsigned int swap_cluster_held;
static inline bool swap_cluster_locked_by_current(void)
{
	return swap_cluster_held;
}

static inline bool swap_cluster_locked_for(swp_entry_t entry)
{
	return swap_cluster_held == swp_offset(entry) / SWAPFILE_CLUSTER + 1;
}
/* Page-table references of the slot (without the cache and retire bits). */
int __swap_count(struct rcl_engine *engine, swp_entry_t entry);
bool swap_entry_valid(struct rcl_engine *engine, swp_entry_t entry);
bool swap_entry_retiring(struct rcl_engine *engine, swp_entry_t entry);

long get_nr_swap_pages(struct rcl_engine *engine);	/* free slots */
long total_swap_pages(struct rcl_engine *engine);	/* usable slots; 0 without swap */
/* More than half of swap is in use (spec 17 vm_swap_full). */
bool vm_swap_full(struct rcl_engine *engine);

/*
 * Write @nr pages to the slots @entries (consecutive runs become one write), recording each
 * slot's CRC32C; count pswpout per page. @bufs are page-aligned. Synchronous on return for the
 * sync backend; otherwise @end_io(private, index, err) runs from io_reap/io_wait_all once per
 * page. A failed write retires the slot (it keeps its references, takes no new ones and
 * turns SWAP_MAP_BAD, never reused, when the last goes) and reports -EIO for it.
 */
typedef void (*swap_end_io_fn)(void *private, int index, int err);
int swap_writepages(struct rcl_engine *engine, const swp_entry_t *entries, void *const *bufs,
		    int nr, swap_end_io_fn end_io, void *private);
/* Read the slots into @bufs, verifying each CRC32C (-EIO on a mismatch or a never-written
 * slot); count pswpin per page. Same completion rules as swap_writepages. @synchronous: the
 * caller waits for these reads (io_wait_for) before it blocks on anything else (as the
 * kernel's swap_readpage(synchronous)): they go on its own ring and reach the device only at
 * that wait (io.c). */
int swap_readpages(struct rcl_engine *engine, const swp_entry_t *entries, void *const *bufs,
		   int nr, swap_end_io_fn end_io, void *private, bool synchronous);

#endif /* RCL_SWAP_H */
