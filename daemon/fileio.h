/*
 * fileio.h - buffered file I/O of one connection: the files it holds open and the calls into
 * the engine's read()/write()/fadvise() path.
 *
 * A connection holds each file it names open, as a process holds a descriptor: the advice
 * (POSIX_FADV_NORMAL, RANDOM, SEQUENTIAL) and the readahead state live with it until
 * fileio_table_free. This file is the one place that knows which engine calls serve buffered
 * I/O; the in-process replayer (tests/lib/replay-engine.c) goes through it too, so that both
 * drive the engine the same way.
 *
 * A table is used by one thread at a time (a connection's requests run one after the other).
 */
#ifndef RECLAIMD_FILEIO_H
#define RECLAIMD_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reclaim/region.h"

struct rcl_engine;

/* POSIX_FADV_* values, as the wire's FileAdvice. */
enum fileio_advice {
	FILEIO_NORMAL = 0, FILEIO_RANDOM = 1, FILEIO_SEQUENTIAL = 2, FILEIO_WILLNEED = 3,
	FILEIO_DONTNEED = 4, FILEIO_NOREUSE = 5,
};

#define FILEIO_MAX_OPEN		64	/* files one connection holds open */

struct fileio_table;

/*
 * NULL on ENOMEM. ROOM, if not NULL, is asked before each file is opened whether there is a
 * descriptor for it (fdlimit.c's reserve); no: -ENFILE.
 */
struct fileio_table *fileio_table_new(bool (*room)(unsigned int nr));
/* Close every file; fileio_table_free(engine, NULL) does nothing. */
void fileio_table_free(struct rcl_engine *engine, struct fileio_table *t);

/*
 * read() of [OFFSET, OFFSET + LEN) of PATH into BUF (NULL: read and drop), the pages charged
 * to memcg MEMCG_ID; *ret_read: bytes before the end of the file. A write() likewise, the
 * file created if absent. 0 or -errno: -ENOENT for a missing file (read) or memcg, -EMFILE
 * past FILEIO_MAX_OPEN files, the engine's errors. An open file charges one memcg: naming
 * another reopens it there, with the advice it had.
 */
int fileio_read(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		uint32_t memcg_id, uint64_t offset, void *buf, size_t len, size_t *ret_read);
/* fileio_read of N ranges from the page cache alone, for the event loop: a file the connection
 * holds open charged to MEMCG_ID, every page of the ranges cached (rcl_file_preadv_cached).
 * -EAGAIN, with nothing changed, when fileio_read of each must do it. */
int fileio_read_cached(struct fileio_table *t, const char *path, uint32_t memcg_id,
		       struct rcl_file_iov *iov, size_t n);
int fileio_write(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		 uint32_t memcg_id, uint64_t offset, const void *buf, size_t len);
/*
 * A request that writes a file in several pieces opens it once, as a process open()s once and
 * write()s many times: a file removed or replaced between the pieces is written where it was
 * opened (an unlinked file, as the kernel's), never created again by the next piece.
 * fileio_open returns the connection's open file PATH (created if absent when CREATE), valid
 * until the table's next call; fileio_pwrite writes through it.
 */
struct fileio_file;
int fileio_open(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		uint32_t memcg_id, bool create, struct fileio_file **ret);
int fileio_pwrite(struct fileio_file *f, uint64_t offset, const void *buf, size_t len);
/* F's size, its cached writes counted (rcl_file_size). */
uint64_t fileio_size(struct fileio_file *f);
/* posix_fadvise() on the open file (opened charged to MEMCG_ID if it is not yet): LEN 0 = to
 * the end of the file; WILLNEED reads the range in, DONTNEED drops its clean cached pages. */
int fileio_advise(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		  uint32_t memcg_id, uint64_t offset, uint64_t len, enum fileio_advice advice);
/* Close the connection's open file PATH, if it has one (its memcg may then be deleted). */
void fileio_close(struct fileio_table *t, const char *path);

#endif
