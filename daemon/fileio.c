/*
 * fileio.c - buffered file I/O of one connection (see fileio.h).
 *
 * Each file the connection names is an rcl_file of the engine's: an open file with its own
 * readahead state and advice, charged to one memcg, as a struct file of a task in that
 * cgroup. A request naming another memcg for the same path reopens it charged there and
 * keeps the advice given before; the readahead window starts again, as a fresh open would.
 * Requests name files by path, so a file removed or replaced since the connection opened it
 * is reopened too: what a read returns is the file the path names now.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "reclaim/memcg.h"
#include "reclaim/region.h"

#define SCRATCH_BYTES	(64u << 10)	/* where a read without a buffer lands */

struct fileio_file {
	struct fileio_file *next;
	char *path;
	uint32_t memcg_id;		/* what filp charges */
	enum fileio_advice advice;	/* NORMAL, RANDOM or SEQUENTIAL */
	struct rcl_file *filp;
};

struct fileio_table {
	struct fileio_file *files;
	unsigned int nr_files;
	char *scratch;
	bool (*room)(unsigned int nr);	/* may a file be opened? NULL: yes */
};

struct fileio_table *fileio_table_new(bool (*room)(unsigned int nr))
{
	struct fileio_table *t = calloc(1, sizeof(struct fileio_table));

	if (t)
		t->room = room;
	return t;
}

static void file_free(struct fileio_file *f)
{
	rcl_file_close(f->filp);
	free(f->path);
	free(f);
}

void fileio_table_free(struct rcl_engine *engine, struct fileio_table *t)
{
	struct fileio_file *f;

	(void)engine;
	if (!t)
		return;
	while ((f = t->files)) {
		t->files = f->next;
		file_free(f);
	}
	free(t->scratch);
	free(t);
}

void fileio_close(struct fileio_table *t, const char *path)
{
	struct fileio_file **pp, *f;

	for (pp = &t->files; (f = *pp); pp = &f->next) {
		if (strcmp(f->path, path) == 0) {
			*pp = f->next;
			t->nr_files--;
			file_free(f);
			return;
		}
	}
}

/* Open PATH charged to MEMCG_ID with ADVICE (a write creates a missing file first). */
static int file_open(struct rcl_engine *engine, const char *path, uint32_t memcg_id,
		     enum fileio_advice advice, bool create, struct rcl_file **ret)
{
	int err = rcl_file_open(engine, path, memcg_id, ret);

	if (err == -ENOENT && create && rcl_file_create(engine, path, 0) == 0)
		err = rcl_file_open(engine, path, memcg_id, ret);
	if (err || advice == FILEIO_NORMAL)
		return err;
	err = rcl_file_advise(*ret, 0, 0, (enum rcl_fadvise)advice);
	if (err) {
		rcl_file_close(*ret);
		*ret = NULL;
	}
	return err;
}

/* The connection's open file PATH charged to MEMCG_ID, opened now if it is not yet. */
static int file_get(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		    uint32_t memcg_id, bool create, struct fileio_file **ret)
{
	struct rcl_file *filp;
	struct fileio_file *f;
	int err;

	for (f = t->files; f; f = f->next)
		if (strcmp(f->path, path) == 0)
			break;
	/* By path: one removed or replaced since is opened anew, as a new open() would be. */
	if (f && f->memcg_id == memcg_id && rcl_file_names(f->filp, path)) {
		*ret = f;
		return 0;
	}
	if (!f && t->nr_files >= FILEIO_MAX_OPEN)
		return -EMFILE;
	if (t->room && !t->room(1))
		return -ENFILE;
	err = file_open(engine, path, memcg_id, f ? f->advice : FILEIO_NORMAL, create, &filp);
	if (err)
		return err;
	if (f) {
		/* Charged elsewhere from now on, or another file: the old open file goes. */
		rcl_file_close(f->filp);
		f->filp = filp;
		f->memcg_id = memcg_id;
		*ret = f;
		return 0;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		rcl_file_close(filp);
		return -ENOMEM;
	}
	f->filp = filp;
	f->memcg_id = memcg_id;
	f->advice = FILEIO_NORMAL;
	f->next = t->files;
	t->files = f;
	t->nr_files++;
	*ret = f;
	return 0;
}

int fileio_read(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		uint32_t memcg_id, uint64_t offset, void *buf, size_t len, size_t *ret_read)
{
	struct fileio_file *f;
	size_t done = 0, n, got;
	int err;

	err = file_get(engine, t, path, memcg_id, false, &f);
	if (err)
		return err;
	if (buf)
		return rcl_file_pread(f->filp, offset, buf, len, ret_read);
	if (!t->scratch && !(t->scratch = malloc(SCRATCH_BYTES)))
		return -ENOMEM;
	/* One read() call of LEN bytes as the engine sees it, a scratch buffer at a time. */
	while (done < len) {
		n = len - done < SCRATCH_BYTES ? len - done : SCRATCH_BYTES;
		err = rcl_file_pread(f->filp, offset + done, t->scratch, n, &got);
		if (err)
			return err;
		done += got;
		if (got < n)
			break;
	}
	*ret_read = done;
	return 0;
}

int fileio_read_cached(struct fileio_table *t, const char *path, uint32_t memcg_id,
		       struct rcl_file_iov *iov, size_t n)
{
	struct fileio_file *f;

	for (f = t->files; f; f = f->next)
		if (strcmp(f->path, path) == 0)
			break;
	if (!f || f->memcg_id != memcg_id || !rcl_file_names(f->filp, path))
		return -EAGAIN;		/* an open or a reopen: a worker's */
	return rcl_file_preadv_cached(f->filp, iov, n);
}

int fileio_open(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		uint32_t memcg_id, bool create, struct fileio_file **ret)
{
	return file_get(engine, t, path, memcg_id, create, ret);
}

int fileio_pwrite(struct fileio_file *f, uint64_t offset, const void *buf, size_t len)
{
	return rcl_file_pwrite(f->filp, offset, buf, len);
}

uint64_t fileio_size(struct fileio_file *f)
{
	return rcl_file_size(f->filp);
}

int fileio_write(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		 uint32_t memcg_id, uint64_t offset, const void *buf, size_t len)
{
	struct fileio_file *f;
	int err;

	err = fileio_open(engine, t, path, memcg_id, true, &f);
	if (err)
		return err;
	return fileio_pwrite(f, offset, buf, len);
}

int fileio_advise(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		  uint32_t memcg_id, uint64_t offset, uint64_t len, enum fileio_advice advice)
{
	struct fileio_file *f;
	int err;

	if ((unsigned int)advice > FILEIO_NOREUSE)
		return -EINVAL;
	err = file_get(engine, t, path, memcg_id, false, &f);
	if (err)
		return err;
	switch (advice) {
	case FILEIO_NORMAL:
	case FILEIO_RANDOM:
	case FILEIO_SEQUENTIAL:
		err = rcl_file_advise(f->filp, offset, len, (enum rcl_fadvise)advice);
		if (err == 0)
			f->advice = advice;
		return err;
	case FILEIO_WILLNEED:
	case FILEIO_DONTNEED:
		return rcl_file_advise(f->filp, offset, len, (enum rcl_fadvise)advice);
	default:
		return 0;	/* NOREUSE: a no-op, as in the kernel of the spec */
	}
}
