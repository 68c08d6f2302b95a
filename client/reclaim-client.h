/*
 * reclaim-client.h - libreclaim-client: talk to reclaimd over its Unix socket.
 *
 * Build with `pkg-config --cflags --libs libreclaim-client` (add --static for a static link).
 * Nothing here needs protobuf: every request is a typed call on plain C values and structs.
 *
 *	struct rclc *c;
 *	uint64_t id;
 *	char page[4096] = "hello";
 *
 *	if (rclc_open(NULL, "my-tool", &c) < 0)
 *		return -1;
 *	if (rclc_alloc(c, 1 << 20, NULL, &id, NULL) < 0 ||
 *	    rclc_write(c, id, 0, page, sizeof(page)) < 0)
 *		fprintf(stderr, "reclaimd: %s\n", rclc_last_error(c));
 *	rclc_close(c);
 *
 * Errors. Every call returns 0 or a negative errno, and leaves a one-line message in
 * rclc_last_error(): the server's own when it refused (rclc_last_code() then says its status
 * code, RCLC_CODE_*), else the transport's. The server's refusals map to errnos as follows:
 * INVALID_ARGUMENT -EINVAL, NOT_FOUND -ENOENT, PERMISSION_DENIED -EPERM, NO_MEMORY -ENOMEM,
 * NO_SPACE -ENOSPC, IO_ERROR -EIO, UNSUPPORTED -EOPNOTSUPP, UNAVAILABLE -ESHUTDOWN,
 * PROTOCOL_ERROR -EPROTO, BUSY -EBUSY, INTERNAL -ENOTRECOVERABLE, ALREADY_EXISTS -EEXIST.
 * A connection that broke (the daemon died or closed it) gives -ECONNRESET or -EPIPE, to the
 * request in flight and to every later call on that connection: open a new one.
 *
 * Connections. A connection is blocking and used by one thread at a time; open one per
 * thread. The server runs a connection's requests one after the other, in order, so a write
 * followed by a read on the same connection sees the write; different connections run in
 * parallel. Regions and raw pages not made persistent are freed when their connection closes.
 *
 * Pipelining. rclc_async() makes the next typed call asynchronous: it returns 0 at once and
 * completes later, in order, when rclc_reap() (or a later blocking call) reads its answer; its
 * outputs are written then, so the buffers and pointers given to it must stay valid until it
 * completes. Asynchronous requests are kept and sent together, in one send: when 64 KiB of
 * them are queued, and before the library waits for anything (rclc_reap, a blocking call,
 * rclc_next_event, rclc_close). A program that waits on rclc_fd() itself calls rclc_flush()
 * first. One connection then keeps many requests in flight:
 *
 *	for (i = 0; i < n; i++) {
 *		rclc_async(c, NULL, &status[i]);	// or a callback per reply
 *		rclc_write(c, id, i * 4096, pages[i], 4096);
 *		if (rclc_in_flight(c) >= 32)
 *			rclc_reap(c, NULL, NULL);	// the oldest's status lands in status[i]
 *	}
 *	while (rclc_reap(c, NULL, NULL) == 0)
 *		;
 *
 * Sending never deadlocks however many requests are in flight: while the socket is full the
 * library reads the answers that arrive and keeps them.
 */
#ifndef RECLAIM_CLIENT_H
#define RECLAIM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RCLC_PROTOCOL_VERSION	1u
#define RCLC_DEFAULT_SOCKET	"./var/reclaimd.sock"	/* what `./bootstrap run` serves */
#define RCLC_MAX_FRAME		(256u << 20)	/* largest answer the library accepts */
#define RCLC_NAME_MAX		64	/* counter, tunable and trace point names */
#define RCLC_VALUE_MAX		128	/* tunable values */
#define RCLC_PATH_MAX		4096	/* memcg and file paths in answers */

struct rclc;

/* The server's status codes (reclaim.proto's Code), as rclc_last_code() returns them. */
enum rclc_code {
	RCLC_CODE_OK = 0,
	RCLC_CODE_INVALID_ARGUMENT = 1,
	RCLC_CODE_NOT_FOUND = 2,
	RCLC_CODE_PERMISSION_DENIED = 3,
	RCLC_CODE_NO_MEMORY = 4,
	RCLC_CODE_NO_SPACE = 5,
	RCLC_CODE_IO_ERROR = 6,
	RCLC_CODE_UNSUPPORTED = 7,
	RCLC_CODE_UNAVAILABLE = 8,
	RCLC_CODE_PROTOCOL_ERROR = 9,
	RCLC_CODE_BUSY = 10,
	RCLC_CODE_INTERNAL = 11,
	RCLC_CODE_ALREADY_EXISTS = 12,
};

/* ---- connections ------------------------------------------------------------------------ */

/* The socket path to use for PATH: PATH itself, else $RECLAIMD_SOCKET, else the default. */
const char *rclc_socket_path(const char *path);

/* Connect to the daemon at rclc_socket_path(PATH), without Hello. 0 or -errno. */
int rclc_connect(const char *path, struct rclc **ret);

/* Say Hello as CLIENT_NAME (for the server's log); -EPROTO when the server refused. */
int rclc_hello(struct rclc *c, const char *client_name);

/* The same, naming the client's memcg: what its buffered file I/O is charged to when a call
 * names none. NULL or "" = "/". */
int rclc_hello_memcg(struct rclc *c, const char *client_name, const char *memcg);

/* rclc_connect + rclc_hello. */
int rclc_open(const char *path, const char *client_name, struct rclc **ret);

/* Close the connection (requests still in flight are dropped); rclc_close(NULL) does nothing. */
void rclc_close(struct rclc *c);

/* The descriptor, for poll(2) in an event loop of the caller's (readable: rclc_next_event).
 * The library reads answers and events in bulk, so some may already be kept when the socket
 * is not readable: take them with rclc_next_event(c, 0, ...) before each poll, and call
 * rclc_flush() so that the requests kept are on their way. */
int rclc_fd(const struct rclc *c);

/* The message of the last call that failed ("" if none did), and the server's code for it
 * (RCLC_CODE_OK when the failure was the transport's, not a refusal). */
const char *rclc_last_error(const struct rclc *c);
int rclc_last_code(const struct rclc *c);

/* "OK", "NOT_FOUND", ... for an enum rclc_code; "UNKNOWN" otherwise. */
const char *rclc_code_str(int code);

/* What the server said to Hello. */
struct rclc_hello_info {
	uint32_t protocol_version;	/* the server's */
	char server_version[64];	/* reclaimd's package version */
	uint32_t page_size;		/* bytes per page */
	uint64_t arena_bytes;
	uint32_t nr_nodes;
	uint32_t max_frame_bytes;	/* the largest frame the server accepts */
	uint32_t max_connections;	/* per client uid */
	uint32_t max_regions;		/* regions and raw allocations per uid; 0 = no limit */
	uint64_t max_bytes;		/* their bytes per uid; 0 = no limit */
	uint32_t uid;			/* the peer uid the server sees */
	bool admin;			/* whether admin requests are allowed */
	char reclaim_policy[RCLC_NAME_MAX]; /* "two-list" or "clock-pro" */
};

/* The Hello answer; -ENOTCONN before a successful Hello. */
int rclc_hello_info(const struct rclc *c, struct rclc_hello_info *ret);

/* ---- pipelining -------------------------------------------------------------------------- */

/* Called when an asynchronous request completes: ARG as given to rclc_async, STATUS 0 or
 * -errno. rclc_last_error() holds the server's message while it runs. */
typedef void (*rclc_done_fn)(struct rclc *c, void *arg, int status);

/*
 * Make the next typed call on C asynchronous. When it completes, DONE (if not NULL) is called;
 * with DONE NULL and ARG not NULL, ARG is an int * that receives the status. Calls that cannot
 * be sent fail at once as usual (and complete nothing). 0.
 */
int rclc_async(struct rclc *c, rclc_done_fn done, void *arg);

/* Requests made and not yet completed (those kept for sending included). */
unsigned int rclc_in_flight(const struct rclc *c);

/* Send the asynchronous requests kept so far. 0, or -errno (the connection is then broken;
 * answers the server wrote before it went are still read). */
int rclc_flush(struct rclc *c);

/*
 * Wait for the oldest request in flight and complete it. 0 with its status in *RET_STATUS and
 * its ARG in *RET_ARG (either may be NULL); -ENOENT when nothing is in flight. A blocking call
 * reaps every request sent before it first.
 */
int rclc_reap(struct rclc *c, int *ret_status, void **ret_arg);

/* ---- regions ----------------------------------------------------------------------------- */

enum rclc_region_kind {
	RCLC_REGION_ANON = 0,	/* swap-backed anonymous memory */
	RCLC_REGION_FILE = 1,	/* a file under the daemon's data directory */
};

/* How to create a region; zeroed (or NULL) = anonymous, charged to "/", freed with the
 * connection. */
struct rclc_alloc_opts {
	enum rclc_region_kind kind;
	const char *memcg;	/* charged to this memcg; NULL = "/" */
	const char *path;	/* RCLC_REGION_FILE: relative to the data directory */
	bool shared;		/* RCLC_REGION_FILE: writes reach the file */
	bool exec;		/* protected from reclaim as executable file pages are */
	bool locked;		/* mlocked */
	bool populate;		/* every page faulted in now */
	bool persistent;	/* outlives the connection */
	bool mode_set;		/* a file this creates gets MODE (else 0600) */
	uint32_t mode;
};

/* Create a region of BYTES (rounded up to pages). Its id in *RET_ID, its pages in *RET_PAGES
 * (may be NULL). */
int rclc_alloc(struct rclc *c, uint64_t bytes, const struct rclc_alloc_opts *opts,
	       uint64_t *ret_id, uint64_t *ret_pages);

int rclc_free(struct rclc *c, uint64_t region_id);

/* Write LEN bytes at OFFSET of a region (within it and within the server's frame limit). */
int rclc_write(struct rclc *c, uint64_t region_id, uint64_t offset, const void *buf,
	       size_t len);

/* Read LEN bytes at OFFSET into BUF; the bytes read in *RET_LEN (may be NULL). */
int rclc_read(struct rclc *c, uint64_t region_id, uint64_t offset, void *buf, size_t len,
	      size_t *ret_len);

/* Pages [FIRST_PAGE, FIRST_PAGE + NR_PAGES) of a region; NR_PAGES 0 = to its end. */
struct rclc_range {
	uint64_t region_id;
	uint64_t first_page;
	uint64_t nr_pages;
};

struct rclc_touch_result {
	uint64_t pages;		/* pages touched */
	uint64_t minor_faults;	/* not resident, no I/O needed */
	uint64_t major_faults;	/* read back from swap or the file */
};

/* Access a range as a program would (WRITE dirties it). RET may be NULL. */
int rclc_touch(struct rclc *c, const struct rclc_range *range, bool write,
	       struct rclc_touch_result *ret);

enum rclc_advice {
	RCLC_MADV_DONTNEED = 1,	/* drop now (anon: contents lost) */
	RCLC_MADV_FREE = 2,	/* reclaim may drop them without swap-out */
	RCLC_MADV_COLD = 3,	/* deactivate */
	RCLC_MADV_PAGEOUT = 4,	/* reclaim now */
	RCLC_MADV_WILLNEED = 5,	/* read them in */
	RCLC_MADV_NORMAL = 6,	/* the region's faults read around them again */
	RCLC_MADV_RANDOM = 7,	/* faults read only the page (VM_RAND_READ) */
	RCLC_MADV_SEQUENTIAL = 8, /* faults read ahead further (VM_SEQ_READ) */
};

/* The pages the advice acted on in *RET_PAGES (may be NULL). */
int rclc_madvise(struct rclc *c, const struct rclc_range *range, enum rclc_advice advice,
		 uint64_t *ret_pages);
int rclc_mlock(struct rclc *c, const struct rclc_range *range, uint64_t *ret_pages);
int rclc_munlock(struct rclc *c, const struct rclc_range *range, uint64_t *ret_pages);

/*
 * Vectored (scattered) calls: many ranges in one request and one round trip, acted on in
 * the order given. 1..RCLC_MAX_RANGES ranges; no two may overlap and each must lie within
 * its region. The daemon checks every range before it acts on any: a bad one is -EINVAL
 * with rclc_last_error() naming its index ("ranges[7]: ...") and nothing done. A read's
 * bytes together must fit the server's frame limit (rclc_hello_info's max_frame_bytes, less
 * a few bytes a range), as must a write's. They work asynchronously too (rclc_async): the
 * iovec array and its buffers must then stay valid until the call completes.
 */
#define RCLC_MAX_RANGES		4096

/* LEN bytes at OFFSET of the region, to or from BUF. */
struct rclc_iovec {
	uint64_t offset;
	size_t len;		/* > 0 */
	void *buf;		/* read: filled; write: only read */
};

/* Read each of IOV[N] of REGION_ID into its buffer; the bytes read in all in *RET_BYTES (may
 * be NULL). */
int rclc_readv(struct rclc *c, uint64_t region_id, const struct rclc_iovec *iov, size_t n,
	       uint64_t *ret_bytes);

/* Write each of IOV[N] from its buffer into REGION_ID. The buffers are copied into the
 * request when it is sent. */
int rclc_writev(struct rclc *c, uint64_t region_id, const struct rclc_iovec *iov, size_t n);

/* rclc_touch of RANGES[N] (of any regions of the caller's); RET sums them. */
int rclc_touchv(struct rclc *c, const struct rclc_range *ranges, size_t n, bool write,
		struct rclc_touch_result *ret);

/* rclc_madvise of RANGES[N]; the pages acted on, over all of them, in *RET_PAGES. */
int rclc_madvisev(struct rclc *c, const struct rclc_range *ranges, size_t n,
		  enum rclc_advice advice, uint64_t *ret_pages);

/* Write back a file region's dirty pages (ASYNC: start and return). */
int rclc_msync(struct rclc *c, const struct rclc_range *range, bool async,
	       uint64_t *ret_pages_written);

struct rclc_region_info {
	uint64_t region_id;
	enum rclc_region_kind kind;
	uint64_t pages;
	char memcg[RCLC_PATH_MAX];
	char path[RCLC_PATH_MAX];	/* RCLC_REGION_FILE only */
	uint32_t owner_uid;
	bool persistent;
	uint64_t resident_pages, swapped_pages, dirty_pages, locked_pages;
};

int rclc_region_info(struct rclc *c, uint64_t region_id, struct rclc_region_info *ret);

/* ---- raw page allocations ----------------------------------------------------------------- */

#define RCLC_GFP_ATOMIC		(1u << 0)	/* may dip into reserves, never reclaims */
#define RCLC_GFP_NOWAIT		(1u << 1)	/* no reclaim of its own, wakes kswapd */
#define RCLC_GFP_THISNODE	(1u << 2)	/* only NODE */
#define RCLC_GFP_MOVABLE	(1u << 3)	/* movable instead of unmovable pageblocks */
#define RCLC_GFP_PERSISTENT	(1u << 4)	/* outlives the connection */

/* 2^ORDER frames on NODE (-1 = any); the first frame in *RET_PFN. */
int rclc_alloc_pages(struct rclc *c, unsigned int order, int node, unsigned int flags,
		     uint32_t *ret_pfn);
int rclc_free_pages(struct rclc *c, uint32_t pfn, unsigned int order);

/* ---- memory cgroups ----------------------------------------------------------------------- */

/* Bits of rclc_memcg_limits.set: which fields are given. */
#define RCLC_LIMIT_MIN		(1u << 0)
#define RCLC_LIMIT_LOW		(1u << 1)
#define RCLC_LIMIT_HIGH		(1u << 2)
#define RCLC_LIMIT_MAX		(1u << 3)
#define RCLC_LIMIT_SWAP_MAX	(1u << 4)
#define RCLC_LIMIT_SOFT		(1u << 5)
#define RCLC_LIMIT_SWAPPINESS	(1u << 6)
#define RCLC_UNLIMITED		UINT64_MAX

/* In create, a field not given takes the kernel default; in set, it is left unchanged. */
struct rclc_memcg_limits {
	unsigned int set;
	uint64_t min, low, high, max, swap_max, soft_limit, swappiness;
};

/* LIMITS may be NULL. OWNER_UID (admin only) delegates the group; -1 = the caller. */
int rclc_memcg_create(struct rclc *c, const char *path, const struct rclc_memcg_limits *limits,
		      int64_t owner_uid);
int rclc_memcg_set(struct rclc *c, const char *path, const struct rclc_memcg_limits *limits);
int rclc_memcg_delete(struct rclc *c, const char *path);

struct rclc_counter {
	char name[RCLC_NAME_MAX];
	uint64_t value;
};

struct rclc_memcg_stat {
	uint64_t usage_bytes;		/* memory.current */
	uint64_t swap_bytes;		/* memory.swap.current */
	struct rclc_counter *stat;	/* memory.stat, in the kernel's order */
	size_t nr_stat;
	struct rclc_counter *events;	/* memory.events */
	size_t nr_events;
};

/* Fill *RET; release its arrays with rclc_memcg_stat_release. */
int rclc_memcg_stat(struct rclc *c, const char *path, struct rclc_memcg_stat *ret);
void rclc_memcg_stat_release(struct rclc_memcg_stat *st);

/* memory.events of PATH: an array for free(3) in *RET, its length in *RET_N. */
int rclc_memcg_events(struct rclc *c, const char *path, struct rclc_counter **ret,
		      size_t *ret_n);

struct rclc_memcg_info {
	char path[RCLC_PATH_MAX];
	uint32_t owner_uid;
	uint64_t usage_bytes;
	uint64_t min, low, high, max, swap_max;
	uint32_t swappiness;
};

/* The groups under SUBTREE (NULL = "/"), parents first: an array for free(3). */
int rclc_memcg_list(struct rclc *c, const char *subtree, struct rclc_memcg_info **ret,
		    size_t *ret_n);

/* ---- statistics and pressure -------------------------------------------------------------- */

enum rclc_stat_view {
	RCLC_STAT_MEMINFO = 0,
	RCLC_STAT_VMSTAT = 1,
	RCLC_STAT_ZONEINFO = 2,
	RCLC_STAT_BUDDYINFO = 3,
};

/* A /proc view: its text (for free(3)) in *RET_TEXT and, for MEMINFO and VMSTAT, every line
 * as a counter (an array for free(3)) in *RET_COUNTERS. Any of the three may be NULL. */
int rclc_stat(struct rclc *c, enum rclc_stat_view view, char **ret_text,
	      struct rclc_counter **ret_counters, size_t *ret_n);

/* The daemon's own counters, not the model's: requests_on_loop and requests_on_workers,
 * engine_lock_acquired, _contended and _wait_usecs, fault_* of the mapped regions,
 * connections_accepted and accept_turn_max (the most accepted in one turn of its loop), and
 * the same most of the memory-pressure sockets and the metrics endpoint together
 * (listeners_accept_turn_max). An array for free(3) in *RET, its length in *RET_N. */
int rclc_daemon_counters(struct rclc *c, struct rclc_counter **ret, size_t *ret_n);

enum rclc_pressure_level {
	RCLC_PRESSURE_NONE = 0,
	RCLC_PRESSURE_LOW = 1,
	RCLC_PRESSURE_MEDIUM = 2,
	RCLC_PRESSURE_CRITICAL = 3,
};

struct rclc_psi {
	double avg10, avg60, avg300;	/* percent */
	uint64_t total_usec;
};

struct rclc_pressure {
	enum rclc_pressure_level level;	/* the last vmpressure level */
	struct rclc_psi some, full;	/* memory.pressure */
};

/* MEMCG NULL = the whole daemon. */
int rclc_pressure(struct rclc *c, const char *memcg, struct rclc_pressure *ret);

enum rclc_event_kind {
	RCLC_EVENT_PRESSURE = 1,	/* vmpressure notifications */
	RCLC_EVENT_TRACE = 2,		/* reclaim trace points */
	RCLC_EVENT_OVERFLOW = 3,	/* (events only) the subscription fell behind and ended */
	RCLC_EVENT_PSI = 4,		/* a PSI trigger on one memcg crossed */
	RCLC_EVENT_ENDED = 5,		/* (events only) what it watched went: it ended */
};

struct rclc_subscribe_opts {
	enum rclc_event_kind kind;
	const char *memcg;			/* PRESSURE: this subtree; NULL = all.
						 * PSI: this memcg; NULL = "/" */
	enum rclc_pressure_level min_level;	/* PRESSURE: only levels at or above */
	const char *const *tracepoints;		/* TRACE: names to enable; none = all */
	size_t nr_tracepoints;
	uint32_t queue_len;			/* events buffered; 0 = the server's default.
						 * The library keeps as many, no more, while
						 * the program is in other calls: see below */
	const char *trigger;			/* PSI: "some|full STALL_USEC WINDOW_USEC" */
};

/*
 * Start a stream of events on this connection (read them with rclc_next_event).
 *
 * RCLC_EVENT_PSI is the kernel's PSI trigger as a write to a memcg's memory.pressure sets it:
 * an event each time the memcg's "some" (or "full") stall time grows by STALL_USEC within
 * WINDOW_USEC, at most one a window. The window must be 500000..10000000 usec and the stall
 * 1..WINDOW_USEC, as the kernel wants; anything else is -EINVAL with the reason in
 * rclc_last_error(). rclc_subscribe_psi() is the short form.
 */
int rclc_subscribe(struct rclc *c, const struct rclc_subscribe_opts *opts,
		   uint64_t *ret_subscription_id);

/* rclc_subscribe of RCLC_EVENT_PSI: TRIGGER on MEMCG (NULL = "/"). */
int rclc_subscribe_psi(struct rclc *c, const char *memcg, const char *trigger,
		       uint64_t *ret_subscription_id);

/* The events the subscription lost to a full queue in *RET_DROPPED (may be NULL). */
int rclc_unsubscribe(struct rclc *c, uint64_t subscription_id, uint64_t *ret_dropped);

struct rclc_event {
	uint64_t subscription_id;
	uint64_t seq;			/* 1, 2, ...: a gap means lost events */
	enum rclc_event_kind kind;
	union {
		struct {
			char memcg[RCLC_PATH_MAX];
			enum rclc_pressure_level level;
			uint64_t scanned, reclaimed;
		} pressure;
		struct {
			char name[RCLC_NAME_MAX];
			uint64_t time_ns;		/* CLOCK_MONOTONIC */
			struct rclc_counter *fields;	/* released by rclc_event_release */
			size_t nr_fields;
		} trace;
		struct {
			uint64_t events_dropped;
		} overflow;
		struct {
			char reason[RCLC_PATH_MAX];		/* "memcg /a/b was removed" */
		} ended;
		struct {
			char memcg[RCLC_PATH_MAX];
			bool full;		/* the trigger's kind: "full", else "some" */
			uint64_t stall_usec;	/* the trigger's threshold */
			uint64_t window_usec;	/* the trigger's window */
			uint64_t total_usec;	/* the memcg's stall total of that kind */
			uint64_t growth_usec;	/* its growth within the window */
			uint64_t time_ns;	/* CLOCK_MONOTONIC of the daemon's sample */
		} psi;
	};
};

/*
 * The next pushed event, waiting at most TIMEOUT_MS (-1: forever): 0, -ETIMEDOUT, -errno.
 * Release it with rclc_event_release.
 *
 * Events that arrive while the program waits in another call are kept for this, at most the
 * subscription's queue length of them. The one past that ends the subscription as a full
 * queue in the server does: an RCLC_EVENT_OVERFLOW comes after the events kept, counting
 * those dropped, no more events of it follow, and the library unsubscribes it at the server
 * with its next request (rclc_unsubscribe of it then says -ENOENT). A program's memory thus
 * stays bounded however long its calls wait.
 */
int rclc_next_event(struct rclc *c, int timeout_ms, struct rclc_event *ret);
void rclc_event_release(struct rclc_event *ev);

/* ---- administration ----------------------------------------------------------------------- */

struct rclc_reclaim_result {
	uint64_t reclaimed_bytes;
	uint64_t scanned_pages;
};

/* memory.reclaim: reclaim BYTES from MEMCG (NULL = "/"); SWAPPINESS 0..200 for this reclaim
 * alone (memory.reclaim's swappiness=), -1 = the group's. */
int rclc_reclaim(struct rclc *c, const char *memcg, uint64_t bytes, int swappiness,
		 struct rclc_reclaim_result *ret);

/* drop_caches (admin only); the pages dropped in *RET_PAGES (may be NULL). */
int rclc_drop_caches(struct rclc *c, bool pagecache, bool shadows, uint64_t *ret_pages);

struct rclc_tunable {
	char name[RCLC_NAME_MAX];
	char value[RCLC_VALUE_MAX];
};

/* One tunable's value, as text, into VALUE (LEN bytes, NUL-terminated). */
int rclc_tunable_get(struct rclc *c, const char *name, char *value, size_t len);

/* Every tunable: an array for free(3). */
int rclc_tunable_list(struct rclc *c, struct rclc_tunable **ret, size_t *ret_n);

/* Set a tunable (admin only); the value now in effect into RET (may be NULL). */
int rclc_tunable_set(struct rclc *c, const char *name, const char *value,
		     struct rclc_tunable *ret);

/* The daemon answers, then stops as on SIGTERM (admin only). */
int rclc_shutdown(struct rclc *c);

/* ---- files of the data directory ---------------------------------------------------------- */

/* Buffered reads and writes through the daemon's page cache. PATH is relative to the data
 * directory; MEMCG NULL = the connection's (rclc_hello_memcg), else "/". */
int rclc_file_read(struct rclc *c, const char *path, const char *memcg, uint64_t offset,
		   void *buf, size_t len, size_t *ret_len);

/* rclc_file_read of IOV[N] in one request, read one after the other as N calls would: each
 * range's bytes read (fewer at the end of the file) into RET_LENS[N], their sum into
 * *RET_BYTES (either may be NULL). */
int rclc_file_readv(struct rclc *c, const char *path, const char *memcg,
		    const struct rclc_iovec *iov, size_t n, size_t *ret_lens, uint64_t *ret_bytes);

/* rclc_file_readv that keeps no bytes: the daemon reads IOV[N] (their buffers unused) through
 * its page cache as the reads would, readahead and access marks included, and answers with
 * the count alone (*RET_BYTES, may be NULL). For replaying a cache's behaviour. */
int rclc_file_readv_discard(struct rclc *c, const char *path, const char *memcg,
			    const struct rclc_iovec *iov, size_t n, uint64_t *ret_bytes);

/* MODE: the bits of a file this creates; -1 = 0600. */
int rclc_file_write(struct rclc *c, const char *path, const char *memcg, uint64_t offset,
		    const void *buf, size_t len, int mode);

/* rclc_file_write of LEN bytes that are all BYTE, made by the daemon: only the request
 * crosses the socket, so LEN is not bound by the frame limit. */
int rclc_file_fill(struct rclc *c, const char *path, const char *memcg, uint64_t offset,
		   uint64_t len, uint8_t byte, int mode);

enum rclc_fadvice {
	RCLC_FADV_NORMAL = 0,
	RCLC_FADV_RANDOM = 1,
	RCLC_FADV_SEQUENTIAL = 2,
	RCLC_FADV_WILLNEED = 3,
	RCLC_FADV_DONTNEED = 4,
	RCLC_FADV_NOREUSE = 5,
};

/* posix_fadvise on [OFFSET, OFFSET + LENGTH); LENGTH 0 = to the end. */
int rclc_file_advise(struct rclc *c, const char *path, uint64_t offset, uint64_t length,
		     enum rclc_fadvice advice, const char *memcg);
int rclc_file_remove(struct rclc *c, const char *path);

struct rclc_file_owner {
	uint32_t uid, gid;
	uint32_t mode;		/* the mode now in effect */
};

/* chmod a data directory file; RET may be NULL. */
int rclc_chmod(struct rclc *c, const char *path, uint32_t mode, struct rclc_file_owner *ret);

/* ---- mapped regions ------------------------------------------------------------------------ */

/*
 * Map anonymous region REGION_ID into the caller: *ret_addr (page aligned) for *ret_bytes
 * (the region's size), readable and writable with plain loads and stores from any thread,
 * while the daemon keeps reclaiming and swapping its pages as any others (charged to the
 * region's memcg). A first touch, or a touch of a page the daemon took back, waits for the
 * daemon to bring it in (a userfaultfd fault it serves).
 *
 * The connection must be idle (nothing in flight: -EBUSY) and stays usable. One mapping per
 * region at a time (-EBUSY); only anonymous regions (-EINVAL); -EOPNOTSUPP where the machine
 * or the daemon has no userfaultfd. While it is mapped, the region's Read and Write (from
 * any connection) reach the same bytes as the mapping, at once; madvise DONTNEED/FREE are
 * refused with BUSY. Reclaim samples which pages are used with hinting faults (the library's
 * monitor thread drops some page-table entries on the daemon's request and tells it when it
 * did; the next access is one more fault): RECLAIMD_MAP_HINTS=0 in the environment turns that
 * off, and the pages then look cold.
 *
 * Defined outcomes, never silent zeros:
 * - fork(): the mapping is MADV_DONTFORK: a child that touches it gets SIGSEGV (the library's
 *   handler says "not mapped in a forked child").
 * - the daemon drops the mapping: its region was OOM-killed (its memcg at memory.max with
 *   nothing reclaimable, under oom-policy 1), or freed with the connection that made it, or
 *   the daemon cannot serve a fault of it. As the kernel kills the task that owns the memory,
 *   this mapping alone is lost: the library's monitor thread makes it PROT_NONE and wakes the
 *   threads blocked on its faults; they and every later access to it get SIGSEGV, after the
 *   library's handler printed "reclaimd: mapped region N lost: reclaimd dropped it (its
 *   region OOM-killed or freed, or reclaimd gone)" on stderr. The connection, its other
 *   mappings and its requests (the one whose allocation caused the kill among them) go on.
 *   rclc_unmap() the lost mapping to give its slot back, here and in the daemon.
 * - the daemon dies, or is older than loss notices (MapRegionReply.loss_notice), or
 *   RECLAIMD_MAP_LOSS_NOTICE=0 is in the environment: every mapping of the connection ends
 *   the same way, with the same message, when its connection closes (a loss then closes it).
 * The library installs a SIGSEGV handler (SA_SIGINFO) at the first map; a fault outside
 * its mappings goes to the handler that was there before, or the default action.
 */
int rclc_map(struct rclc *c, uint64_t region_id, void **ret_addr, size_t *ret_bytes);
/*
 * Unmap it (munmap, the userfaultfd closed) and tell the daemon, which takes every page back:
 * the bytes written through the mapping are the region's again. rclc_close() unmaps too. A
 * lost mapping is unmapped the same way, its region gone or not.
 */
int rclc_unmap(struct rclc *c, uint64_t region_id);

#ifdef __cplusplus
}
#endif

#endif
