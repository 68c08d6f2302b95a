/*
 * fileio.c - buffered file I/O of one connection (see fileio.h).
 *
 * Today's engine offers rcl_file_read/rcl_file_write by path: they charge the root memcg and
 * keep no per-open-file state, so an open file here is its path and its advice, a charge to
 * another memcg is refused rather than silently put on the root, and DONTNEED (which needs
 * the engine to drop pages of one file) is refused too. When the engine grows per-open-file
 * calls (rcl_file_open, read and write with a memcg, rcl_file_fadvise), they plug in here.
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
	enum fileio_advice advice;	/* NORMAL, RANDOM or SEQUENTIAL */
};

struct fileio_table {
	struct fileio_file *files;
	unsigned int nr_files;
	char *scratch;
};

struct fileio_table *fileio_table_new(void)
{
	return calloc(1, sizeof(struct fileio_table));
}

void fileio_table_free(struct rcl_engine *engine, struct fileio_table *t)
{
	struct fileio_file *f;

	(void)engine;
	if (!t)
		return;
	while ((f = t->files)) {
		t->files = f->next;
		free(f->path);
		free(f);
	}
	free(t->scratch);
	free(t);
}

/* The connection's open file PATH, opened now if it is not yet. */
static int file_get(struct fileio_table *t, const char *path, struct fileio_file **ret)
{
	struct fileio_file *f;

	for (f = t->files; f; f = f->next) {
		if (strcmp(f->path, path) == 0) {
			*ret = f;
			return 0;
		}
	}
	if (t->nr_files >= FILEIO_MAX_OPEN)
		return -EMFILE;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		return -ENOMEM;
	}
	f->advice = FILEIO_NORMAL;
	f->next = t->files;
	t->files = f;
	t->nr_files++;
	*ret = f;
	return 0;
}

int fileio_memcg_supported(void)
{
	return 0;
}

static int memcg_check(uint32_t memcg_id)
{
	return memcg_id == RCL_MEMCG_ROOT || fileio_memcg_supported() ? 0 : -EOPNOTSUPP;
}

int fileio_read(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		uint32_t memcg_id, uint64_t offset, void *buf, size_t len, size_t *ret_read)
{
	struct fileio_file *f;
	size_t done = 0, n, got;
	int err;

	err = memcg_check(memcg_id);
	if (err == 0)
		err = file_get(t, path, &f);
	if (err)
		return err;
	if (buf)
		return rcl_file_read(engine, path, offset, buf, len, ret_read);
	if (!t->scratch && !(t->scratch = malloc(SCRATCH_BYTES)))
		return -ENOMEM;
	while (done < len) {
		n = len - done < SCRATCH_BYTES ? len - done : SCRATCH_BYTES;
		err = rcl_file_read(engine, path, offset + done, t->scratch, n, &got);
		if (err)
			return err;
		done += got;
		if (got < n)
			break;
	}
	*ret_read = done;
	return 0;
}

int fileio_write(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		 uint32_t memcg_id, uint64_t offset, const void *buf, size_t len)
{
	struct fileio_file *f;
	int err;

	err = memcg_check(memcg_id);
	if (err == 0)
		err = file_get(t, path, &f);
	if (err)
		return err;
	return rcl_file_write(engine, path, offset, buf, len);
}

int fileio_advise(struct rcl_engine *engine, struct fileio_table *t, const char *path,
		  uint32_t memcg_id, uint64_t offset, uint64_t len, enum fileio_advice advice)
{
	struct fileio_file *f;
	size_t got;
	int err;

	if ((unsigned int)advice > FILEIO_NOREUSE)
		return -EINVAL;
	if (advice == FILEIO_DONTNEED)
		return -EOPNOTSUPP;
	err = advice == FILEIO_WILLNEED ? memcg_check(memcg_id) : 0;
	if (err == 0)
		err = file_get(t, path, &f);
	if (err)
		return err;
	switch (advice) {
	case FILEIO_NORMAL:
	case FILEIO_RANDOM:
	case FILEIO_SEQUENTIAL:
		f->advice = advice;
		return 0;
	case FILEIO_WILLNEED:
		/* Without readahead in the engine, reading the range in is what it does. */
		if (len == 0)
			len = UINT64_MAX - offset;
		if (len > SIZE_MAX)
			len = SIZE_MAX;
		return fileio_read(engine, t, path, memcg_id, offset, NULL, (size_t)len, &got);
	default:
		return 0;
	}
}
