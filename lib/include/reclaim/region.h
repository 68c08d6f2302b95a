/*
 * reclaim/region.h - regions: what a client allocates, touches, reads and writes.
 *
 * An anonymous region is backed by swap; a file region maps a file under the data directory
 * (shared: writes reach the file; private: writes stay in anonymous copies). A page that is not
 * resident faults in on access: zero-filled, read from swap, or read from the file.
 * All offsets and lengths are in bytes unless the name says pages.
 */
#ifndef RECLAIM_REGION_H
#define RECLAIM_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rcl_engine;

enum rcl_region_type { RCL_REGION_ANON, RCL_REGION_FILE };

#define RCL_REGION_SHARED	0x1u	/* file: writes go to the file */
#define RCL_REGION_EXEC		0x2u	/* mapped executable */
#define RCL_REGION_LOCKED	0x4u	/* mlocked: never reclaimed */
#define RCL_REGION_POPULATE	0x8u	/* fault every page in now */

/* The end of the bytes a file may have in the page cache: 2^31 pages (page->index). */
#define RCL_FILE_MAX_BYTES	(1ULL << 43)

struct rcl_region_spec {
	enum rcl_region_type type;
	uint64_t nr_pages;
	uint32_t memcg_id;		/* 0: the root memcg */
	unsigned int flags;		/* RCL_REGION_* */
	const char *path;		/* file: relative to the data directory; a shared
					 * mapping creates it if absent, a private one needs it */
	uint64_t file_offset;		/* file: byte offset of page 0, page aligned */
};

int rcl_region_create(struct rcl_engine *engine, const struct rcl_region_spec *spec,
		      uint32_t *ret_id);
int rcl_region_free(struct rcl_engine *engine, uint32_t id);

/* Access every page of [page, page + nr): sets the young bit; a write also dirties. */
int rcl_region_touch(struct rcl_engine *engine, uint32_t id, uint64_t page, uint64_t nr,
		     bool write);
/*
 * Fault counts of one call, as the kernel keeps them per task (min_flt, maj_flt): every page
 * touched counts as a fault (pgfault), @major the ones that waited for I/O (a file or swap
 * read), @minor the rest. Pages brought in by readahead or mapped by fault-around for a
 * neighbour cost no fault of their own.
 */
struct rcl_fault_counts {
	uint64_t minor;
	uint64_t major;
};
/* rcl_region_touch that also says how many of its faults were minor and major (TouchReply). */
int rcl_region_touch_counted(struct rcl_engine *engine, uint32_t id, uint64_t page, uint64_t nr,
			     bool write, struct rcl_fault_counts *ret_counts);
/*
 * The same for pages that are all resident, without ever blocking: -EAGAIN (and nothing
 * touched) if the engine is busy or any page would fault. An event loop answers cheap touches
 * with it and hands the rest to a thread that may wait.
 */
int rcl_region_touch_resident(struct rcl_engine *engine, uint32_t id, uint64_t page,
			      uint64_t nr, bool write);
int rcl_region_read(struct rcl_engine *engine, uint32_t id, uint64_t offset, void *buf,
		    size_t len);
/*
 * The same copies as rcl_region_read and rcl_region_write when they cannot block: every page
 * of the range resident (a read may also find never-written pages, which read as zeros) and
 * none of them held by a client that maps the region; a write's region anonymous. They take
 * no engine-wide lock (only the region's page-table lock, briefly), so they go on while
 * reclaim or a fault is busy elsewhere. -EAGAIN, with nothing copied, otherwise: an event
 * loop answers cheap copies with them and hands the rest to a thread that may wait. -ENOENT
 * for an unknown region, -EINVAL for a range outside it.
 */
int rcl_region_read_resident(struct rcl_engine *engine, uint32_t id, uint64_t offset,
			     void *buf, size_t len);
/* One range of a vectored copy: @len bytes at byte @offset of the region, into @buf. */
struct rcl_region_iov {
	uint64_t offset;
	size_t len;
	void *buf;
};
/* rcl_region_read_resident over @n ranges (overlaps allowed): all of them, or -EAGAIN and
 * nothing copied (an empty range, too: it is left to the faulting path); -EINVAL if a
 * range is outside the region. */
int rcl_region_readv_resident(struct rcl_engine *engine, uint32_t id,
			      const struct rcl_region_iov *iov, unsigned int n);
int rcl_region_write_resident(struct rcl_engine *engine, uint32_t id, uint64_t offset,
			      const void *buf, size_t len);
int rcl_region_write(struct rcl_engine *engine, uint32_t id, uint64_t offset, const void *buf,
		     size_t len);
/*
 * rcl_region_read and rcl_region_write over @n ranges, in turn: the region is looked up once
 * and held for all of them, so that a region freed meanwhile ends the call (-ENOENT) rather
 * than have its id, given to a new region, name that one for the ranges after. A caller that
 * checked who may use region @id must copy its ranges with these, never one call a range.
 */
int rcl_region_readv(struct rcl_engine *engine, uint32_t id, const struct rcl_region_iov *iov,
		     unsigned int n);
int rcl_region_writev(struct rcl_engine *engine, uint32_t id, const struct rcl_region_iov *iov,
		      unsigned int n);

/*
 * RCL_MADV_NORMAL, _RANDOM and _SEQUENTIAL set the region's read pattern for faults on a file
 * region (VM_RAND_READ: no readahead around a fault; VM_SEQ_READ: a full window ahead) and
 * apply to the whole region whatever the range (the kernel would split the VMA).
 */
enum rcl_madvise { RCL_MADV_DONTNEED, RCL_MADV_FREE, RCL_MADV_COLD, RCL_MADV_PAGEOUT,
		   RCL_MADV_WILLNEED, RCL_MADV_NORMAL, RCL_MADV_RANDOM, RCL_MADV_SEQUENTIAL };
int rcl_region_madvise(struct rcl_engine *engine, uint32_t id, uint64_t page, uint64_t nr,
		       enum rcl_madvise advice);
/* Pages [first, first + nr) of region @region. */
struct rcl_page_span {
	uint32_t region;
	uint64_t first, nr;
};
/* rcl_region_madvise over @n spans, all checked before any is acted on: a span the advice is
 * refused for (-ENOENT, -EINVAL, -EBUSY as above) leaves every span as it was. On an error,
 * *@ret_index (may be NULL) is the span's. */
int rcl_region_madvisev(struct rcl_engine *engine, const struct rcl_page_span *spans, size_t n,
			enum rcl_madvise advice, size_t *ret_index);
/*
 * rcl_region_touch over @n spans, in turn, and rcl_region_touch_counted's counts of them all:
 * every span's region is looked up before any is touched and held to the end, as
 * rcl_region_readv holds its one (a region freed meanwhile ends the call, -ENOENT).
 */
int rcl_region_touchv(struct rcl_engine *engine, const struct rcl_page_span *spans, size_t n,
		      bool write);
int rcl_region_touchv_counted(struct rcl_engine *engine, const struct rcl_page_span *spans,
			      size_t n, bool write, struct rcl_fault_counts *ret_counts);
int rcl_region_mlock(struct rcl_engine *engine, uint32_t id);
int rcl_region_munlock(struct rcl_engine *engine, uint32_t id);
/* Write back the region's dirty file pages and wait; returns a sticky writeback error once. */
int rcl_region_msync(struct rcl_engine *engine, uint32_t id);
/* The same for pages [page, page + nr) of a shared file region (nr 0: to the end), as
 * msync(2) of that range; *ret_written: the dirty pages it wrote (0 for other regions). */
int rcl_region_msync_range(struct rcl_engine *engine, uint32_t id, uint64_t page, uint64_t nr,
			   uint64_t *ret_written);

/*
 * Told when the OOM kill policy frees a region (its id), so that its owner's bookkeeping can
 * follow. Called with the engine's lock held, from the thread whose allocation failed: it
 * must not call into the engine. NULL turns it off.
 */
typedef void (*rcl_oom_fn)(void *arg, uint32_t region_id);
void rcl_oom_notify_set(struct rcl_engine *engine, rcl_oom_fn fn, void *arg);

/*
 * Mapped regions (issue 14): an anonymous region whose pages a client maps and uses with plain
 * loads and stores. The engine keeps every mapped page a page like any other (charged, on the
 * LRU, reclaimed and swapped); while a page is "mapped out" the client's copy holds its live
 * bytes and the arena frame is stale. The owner of the mapping (the daemon) moves the bytes:
 *
 * @fill	copy @frame (the page's current bytes) to the client's page @idx; called by
 *		rcl_region_map_fault with the page's lock held but not the engine's (the copy
 *		may block; the other faults go on): it must not call the engine, and @arg must
 *		stay valid until the fault returns (the caller serves one of its faults).
 * @evict	take the client's page @idx back: stop its writes, copy its live bytes into
 *		@frame, remove it from the client, let writers go (they fault it in again).
 *		Called by reclaim (and rcl_region_unmap) with the page's lock held, and the
 *		engine's lock too unless the mapping is pinned (@get): it must not call the
 *		engine. 0, or -errno: the page stays mapped out and is not reclaimed.
 * @evict_run	optional: the same for the @n consecutive pages from @idx at once, into
 *		@frames[0..@n) (reclaim's batch, the pages locked): one write-protect, one read,
 *		one punch and one un-protect instead of @n of each. Returns how many pages from
 *		@idx were taken back, or -errno when none was; the others stay mapped out with
 *		their bytes where they were, and reclaim takes them back one by one (@evict).
 * @get, @put	optional, together: pin @arg, and let it go. Reclaim pins the mapping and
 *		takes its pages back (@evict, @evict_run) without the engine's lock, so that
 *		the client's faults go on meanwhile; @arg must stay valid, even once @lost
 *		was called for it, until @put. Called with or without the engine's lock; they
 *		must not call the engine. Without them, take-backs hold the engine's lock.
 * @io		copy @len bytes at @off of the client's page @idx to @buf, or from it with
 *		@write: a region's Read or Write meeting a page the client holds. Called with
 *		the engine's lock and the page's lock held (no take-back runs meanwhile). 0 or
 *		-errno (the request fails with it).
 * @lost	the region died under the mapping (freed by an admin, OOM killed): the client
 *		must be told. Called with the engine's lock held; it must not call the engine.
 * @hint	optional: reclaim deactivated the mapped-out pages @idx[0..@n) (cleared their
 *		young bits); ask the client to drop its page-table entries for them while the pages
 *		stay where they are, so that its next access to each is a hinting fault
 *		(rcl_region_map_minor). Best effort: a request the client never acts on only
 *		makes its pages look cold. Called with the engine's lock held, in batches at
 *		the end of a reclaim scan; it must not call the engine. -errno when the request
 *		could not go out; when it went (counted in mapped_hint_updates), 0 if the client
 *		confirms nothing (its entries are taken as dropped at once), 1 if it confirms each
 *		drop (rcl_region_map_confirm): until it does, a page with no hinting fault since
 *		counts as referenced all the same, once until its next one (lib/mapped.c).
 * @cont	with @hint: map the client's page @idx, which it still holds, into its page
 *		table again (the answer to a hinting fault). Called by rcl_region_map_minor with
 *		the page's lock held, so no take-back runs meanwhile, but not the engine's: as
 *		for @fill, it must not call the engine, and @arg stays valid for the fault.
 */
struct rcl_map_ops {
	int (*fill)(void *arg, uint64_t idx, const void *frame);
	int (*evict)(void *arg, uint64_t idx, void *frame);
	int (*evict_run)(void *arg, uint64_t idx, unsigned int n, void *const *frames);
	int (*io)(void *arg, uint64_t idx, size_t off, void *buf, size_t len, bool write);
	void (*lost)(void *arg);
	int (*hint)(void *arg, const uint64_t *idx, unsigned int n);
	int (*cont)(void *arg, uint64_t idx);
	void (*get)(void *arg);
	void (*put)(void *arg);
};
/* Attach @ops to anonymous region @id: -EBUSY if it is mapped already, -EINVAL for a file
 * region (not mapped yet), -ENOENT for no such region. */
int rcl_region_map(struct rcl_engine *engine, uint32_t id, const struct rcl_map_ops *ops,
		   void *arg);
/* Take every mapped-out page back (evict) and detach. -ENOENT if not mapped by @arg. */
int rcl_region_unmap(struct rcl_engine *engine, uint32_t id, void *arg);
/*
 * The client missed page @idx: fault it in as any access (counted in pgfault/pgmajfault, PSI
 * while it waits), hand its bytes to @ops->fill and mark it mapped out and young. A page that
 * is mapped out already is not filled again (two threads missed it at once): 0.
 */
int rcl_region_map_fault(struct rcl_engine *engine, uint32_t id, void *arg, uint64_t idx);
/*
 * The client touched page @idx after dropping its entry on a @hint request (a MINOR fault):
 * the page is young again and @ops->cont maps it back. A page taken back meanwhile is
 * faulted in as rcl_region_map_fault does. -EINVAL for an index out of the region or a
 * mapping without @cont, -ENOENT if @arg does not map @id; nothing changes then.
 */
int rcl_region_map_minor(struct rcl_engine *engine, uint32_t id, void *arg, uint64_t idx);
/*
 * The client says it dropped its entries for pages @idx[0..@n) after being asked to (@hint
 * returned 1): each confirms one request of its page's. An index out of the region, or of a
 * page not mapped out or not asked for, is passed over (the client is not trusted); counted
 * in mapped_hint_confirms. -ENOENT if @arg does not map @id, and nothing changes.
 */
int rcl_region_map_confirm(struct rcl_engine *engine, uint32_t id, void *arg,
			   const uint64_t *idx, unsigned int n);

struct rcl_region_info {
	enum rcl_region_type type;
	uint64_t nr_pages;
	uint32_t memcg_id;
	unsigned int flags;
	uint64_t resident;		/* pages present */
	uint64_t swapped;		/* pages in swap */
	uint64_t dirty;			/* present pages written since last clean (or held
					 * by a client that maps the region) */
};
int rcl_region_info(struct rcl_engine *engine, uint32_t id, struct rcl_region_info *ret);

/*
 * Buffered file I/O through the page cache (the read()/write() path); a write creates the
 * file if absent, a read does not. Reads use on-demand readahead (spec 25), and every access
 * does mark_page_accessed. New page cache is charged to the root memcg; the _memcg forms
 * charge @memcg_id instead (0: the root; -ENOENT if it does not exist or was deleted).
 * These path forms share one readahead state per file, as one process that keeps the file
 * open would; an rcl_file below has its own.
 */
int rcl_file_read(struct rcl_engine *engine, const char *path, uint64_t offset, void *buf,
		  size_t len, size_t *ret_read);
int rcl_file_write(struct rcl_engine *engine, const char *path, uint64_t offset,
		   const void *buf, size_t len);
int rcl_file_read_memcg(struct rcl_engine *engine, const char *path, uint32_t memcg_id,
			uint64_t offset, void *buf, size_t len, size_t *ret_read);
int rcl_file_write_memcg(struct rcl_engine *engine, const char *path, uint32_t memcg_id,
			 uint64_t offset, const void *buf, size_t len);
/* Create @path if absent and make it at least @size bytes long, caching none of it (a file
 * that starts uncached, as a trace replay needs). */
int rcl_file_create(struct rcl_engine *engine, const char *path, uint64_t size);
/*
 * Let go of the files nothing uses (no region, no open handle) that are cached with nothing
 * left to keep, and of those whose last link is gone, whatever they cache (their dirty pages
 * are dropped unwritten, as the kernel drops an unlinked inode's): an unlinked file's blocks
 * stay taken on disk while the engine holds its descriptor. Opening a file that is not cached
 * does this too; call it after removing a file, since the last user of one that is may go
 * later (a region freed, a handle closed).
 */
void rcl_file_release_unused(struct rcl_engine *engine);
/* Let go of every clean file nothing uses, its cache and its descriptor, without I/O: for a
 * process whose descriptors are running out. Files with dirty pages stay, and the flusher is
 * woken to write them for a later call. Returns how many files went. */
unsigned int rcl_file_shrink_unused(struct rcl_engine *engine);

/* posix_fadvise(2) advice, with the kernel's values. */
enum rcl_fadvise {
	RCL_FADV_NORMAL,	/* default readahead window */
	RCL_FADV_RANDOM,	/* no readahead: read exactly the pages asked for */
	RCL_FADV_SEQUENTIAL,	/* twice the default window */
	RCL_FADV_WILLNEED,	/* read [offset, offset + len) into the cache now */
	RCL_FADV_DONTNEED,	/* drop the clean, unmapped cached pages of the range */
};
/*
 * fadvise of the file's shared state (the path forms above). @len 0: to the end of the
 * file. NORMAL/RANDOM/SEQUENTIAL change the readahead of later path-form reads; WILLNEED and
 * DONTNEED act on the page cache, whoever reads it.
 */
int rcl_file_fadvise(struct rcl_engine *engine, const char *path, uint64_t offset,
		     uint64_t len, enum rcl_fadvise advice);

/*
 * An open file: what the kernel's struct file keeps for reads, its readahead state
 * (file_ra_state) and its advice, plus the memcg that its new page cache is charged to
 * (@memcg_id 0: the root). Opening does not create the file (-ENOENT; see rcl_file_create).
 * While a handle charges a memcg, that memcg cannot be deleted (-EBUSY), as a cgroup with
 * tasks cannot. Calls on one handle must not run concurrently; different handles may.
 * Close every handle before rcl_engine_free.
 */
struct rcl_file;
int rcl_file_open(struct rcl_engine *engine, const char *path, uint32_t memcg_id,
		  struct rcl_file **ret_file);
void rcl_file_close(struct rcl_file *file);
/* Whether @path still names the file @file was opened as (not removed, not replaced): a caller
 * that reads and writes by path reopens it when not. No lock; one fstatat. */
bool rcl_file_names(struct rcl_file *file, const char *path);
int rcl_file_pread(struct rcl_file *file, uint64_t offset, void *buf, size_t len,
		   size_t *ret_read);
/*
 * rcl_file_pread of a range that is all in the page cache, for a caller that must not wait
 * (an event loop): without the engine's lock, I/O or reclaim. It reads what rcl_file_pread
 * would and ages the pages as it would, or reads nothing, changes nothing and returns -EAGAIN
 * when that needs more: a page not cached or still being read, one that starts readahead, one
 * whose access moves it between the LRU lists, or a range over 64 pages. Then call
 * rcl_file_pread. The same rule holds: not concurrently with another call on @file.
 */
int rcl_file_pread_cached(struct rcl_file *file, uint64_t offset, void *buf, size_t len,
			  size_t *ret_read);
/* One range of rcl_file_preadv_cached: @read is set to the bytes read into @buf. */
struct rcl_file_iov {
	uint64_t offset;
	void *buf;
	size_t len;
	size_t read;
};
/*
 * rcl_file_pread_cached of @n ranges, as @n rcl_file_pread calls one after the other would
 * read them and age their pages: all of them, or none and -EAGAIN (then rcl_file_pread each).
 * 64 pages in all at most; a page the run would mark accessed twice is refused too (the
 * second mark may move it).
 */
int rcl_file_preadv_cached(struct rcl_file *file, struct rcl_file_iov *iov, size_t n);
int rcl_file_pwrite(struct rcl_file *file, uint64_t offset, const void *buf, size_t len);
/* The file's size as the engine sees it: on disk, or further where a write's pages are still
 * cached (i_size). No lock. */
uint64_t rcl_file_size(struct rcl_file *file);
/* posix_fadvise on this open file: the same as rcl_file_fadvise, for this handle's state. */
int rcl_file_advise(struct rcl_file *file, uint64_t offset, uint64_t len,
		    enum rcl_fadvise advice);
/* Write back every dirty file page and fsync the files (shutdown, sync). */
int rcl_sync_all(struct rcl_engine *engine);

#endif /* RECLAIM_REGION_H */
