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
 * The same for pages that are all resident, without ever blocking: -EAGAIN (and nothing
 * touched) if the engine is busy or any page would fault. An event loop answers cheap touches
 * with it and hands the rest to a thread that may wait.
 */
int rcl_region_touch_resident(struct rcl_engine *engine, uint32_t id, uint64_t page,
			      uint64_t nr, bool write);
int rcl_region_read(struct rcl_engine *engine, uint32_t id, uint64_t offset, void *buf,
		    size_t len);
int rcl_region_write(struct rcl_engine *engine, uint32_t id, uint64_t offset, const void *buf,
		     size_t len);

enum rcl_madvise { RCL_MADV_DONTNEED, RCL_MADV_FREE, RCL_MADV_COLD, RCL_MADV_PAGEOUT,
		   RCL_MADV_WILLNEED };
int rcl_region_madvise(struct rcl_engine *engine, uint32_t id, uint64_t page, uint64_t nr,
		       enum rcl_madvise advice);
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

struct rcl_region_info {
	enum rcl_region_type type;
	uint64_t nr_pages;
	uint32_t memcg_id;
	unsigned int flags;
	uint64_t resident;		/* pages present */
	uint64_t swapped;		/* pages in swap */
};
int rcl_region_info(struct rcl_engine *engine, uint32_t id, struct rcl_region_info *ret);

/* Buffered file I/O through the page cache (the read()/write() path); a write creates the
 * file if absent, a read does not. */
int rcl_file_read(struct rcl_engine *engine, const char *path, uint64_t offset, void *buf,
		  size_t len, size_t *ret_read);
int rcl_file_write(struct rcl_engine *engine, const char *path, uint64_t offset,
		   const void *buf, size_t len);
/* Write back every dirty file page and fsync the files (shutdown, sync). */
int rcl_sync_all(struct rcl_engine *engine);

#endif /* RECLAIM_REGION_H */
