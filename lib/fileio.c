/*
 * fileio.c - the public buffered file API beyond rcl_file_read/write (reclaim/region.h): reads
 * and writes charged to a memcg, fadvise, open files with their own readahead state, and the
 * fault counts of a touch. Validation first, then the big lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "reclaim/memcg.h"
#include "reclaim/region.h"
#include "memcontrol.h"
#include "vmscan.h"

#define FILE_MAX_BYTES	RCL_FILE_MAX_BYTES

/* On the way out of a call that may have charged pages (the kernel's return to user space). */
static void file_api_exit(struct rcl_engine *engine)
{
	mem_cgroup_handle_over_high(engine);
	engine_debug_check(engine);
	mm_unlock(engine);
	mem_cgroup_throttle_over_high(engine);
}

/* A live group to charge: 0 is the root; a deleted group is gone for new charges. */
static struct mem_cgroup *charge_target(struct rcl_engine *engine, uint32_t memcg_id)
{
	struct mem_cgroup *memcg = memcg_id ? mem_cgroup_from_user_id(engine, memcg_id) :
					      engine->root_mem_cgroup;

	return memcg && memcg->online ? memcg : NULL;
}

static bool range_ok(uint64_t offset, size_t len)
{
	return offset + len >= offset && offset + len <= FILE_MAX_BYTES;
}

static bool advice_ok(enum rcl_fadvise advice)
{
	return (unsigned int)advice <= RCL_FADV_DONTNEED;
}

/* One buffered call through a temporary open file that shares the file's readahead state. */
static int path_io(struct rcl_engine *engine, const char *path, uint32_t memcg_id,
		   uint64_t offset, void *buf, const void *wbuf, size_t len, size_t *ret_read)
{
	struct address_space *mapping;
	struct rcl_file filp;
	int err = 0;

	if (!range_ok(offset, len))
		return -EINVAL;
	mm_lock(engine);
	filp.memcg = charge_target(engine, memcg_id);
	if (!filp.memcg) {
		err = -ENOENT;
		goto out;
	}
	mapping = file_open(engine, path, 0, wbuf != NULL, &err);
	if (!mapping)
		goto out;
	filp.engine = engine;
	filp.mapping = mapping;
	filp.f_ra = mapping->f_ra;
	filp.f_random = mapping->f_random;
	if (wbuf)
		err = generic_perform_write(&filp, offset, wbuf, len);
	else
		err = generic_file_buffered_read(&filp, offset, buf, len, ret_read);
	mapping->f_ra = filp.f_ra;
	file_put(engine, mapping);
out:
	file_api_exit(engine);
	return err;
}

int rcl_file_read_memcg(struct rcl_engine *engine, const char *path, uint32_t memcg_id,
			uint64_t offset, void *buf, size_t len, size_t *ret_read)
{
	if (!buf && len)
		return -EINVAL;
	return path_io(engine, path, memcg_id, offset, buf, NULL, len, ret_read);
}

int rcl_file_write_memcg(struct rcl_engine *engine, const char *path, uint32_t memcg_id,
			 uint64_t offset, const void *buf, size_t len)
{
	static const char empty;

	if (!buf && len)
		return -EINVAL;
	return path_io(engine, path, memcg_id, offset, NULL, buf ? buf : &empty, len, NULL);
}

void rcl_file_release_unused(struct rcl_engine *engine)
{
	mm_lock(engine);
	file_prune_unused(engine);
	mm_unlock(engine);
}

unsigned int rcl_file_shrink_unused(struct rcl_engine *engine)
{
	unsigned int nr;

	mm_lock(engine);
	nr = file_shrink_unused(engine);
	mm_unlock(engine);
	return nr;
}

int rcl_file_create(struct rcl_engine *engine, const char *path, uint64_t size)
{
	struct address_space *mapping;
	int err = 0;

	if (size > FILE_MAX_BYTES)
		return -EINVAL;
	mm_lock(engine);
	mapping = file_open(engine, path, size, true, &err);
	if (mapping)
		file_put(engine, mapping);
	mm_unlock(engine);
	return err;
}

int rcl_file_fadvise(struct rcl_engine *engine, const char *path, uint64_t offset,
		     uint64_t len, enum rcl_fadvise advice)
{
	struct address_space *mapping;
	struct rcl_file filp;
	int err = 0;

	if (!advice_ok(advice))
		return -EINVAL;
	mm_lock(engine);
	mapping = file_open(engine, path, 0, false, &err);
	if (mapping) {
		filp.engine = engine;
		filp.mapping = mapping;
		filp.memcg = NULL;		/* WILLNEED charges the root, as the path reads */
		filp.f_ra = mapping->f_ra;
		filp.f_random = mapping->f_random;
		err = generic_fadvise(&filp, offset, len, (int)advice);
		mapping->f_ra = filp.f_ra;
		mapping->f_random = filp.f_random;
		file_put(engine, mapping);
	}
	file_api_exit(engine);
	return err;
}

int rcl_file_open(struct rcl_engine *engine, const char *path, uint32_t memcg_id,
		  struct rcl_file **ret_file)
{
	struct rcl_file *filp = calloc(1, sizeof(*filp));
	int err = 0;

	if (!filp)
		return -ENOMEM;
	mm_lock(engine);
	filp->memcg = charge_target(engine, memcg_id);
	if (!filp->memcg) {
		err = -ENOENT;
		goto out;
	}
	filp->mapping = file_open(engine, path, 0, false, &err);
	if (!filp->mapping)
		goto out;
	filp->engine = engine;
	filp->memcg->nr_files++;
	file_ra_state_init(&filp->f_ra);
	*ret_file = filp;
	filp = NULL;
out:
	mm_unlock(engine);
	free(filp);
	return err;
}

bool rcl_file_names(struct rcl_file *filp, const char *path)
{
	return filp && path && mapping_still_at(filp->engine, filp->mapping, path);
}

void rcl_file_close(struct rcl_file *filp)
{
	struct rcl_engine *engine;

	if (!filp)
		return;
	engine = filp->engine;
	mm_lock(engine);
	filp->memcg->nr_files--;
	file_put(engine, filp->mapping);
	mm_unlock(engine);
	free(filp);
}

int rcl_file_pread(struct rcl_file *filp, uint64_t offset, void *buf, size_t len,
		   size_t *ret_read)
{
	int err;

	if (!filp || (!buf && len) || !range_ok(offset, len))
		return -EINVAL;
	mm_lock(filp->engine);
	err = generic_file_buffered_read(filp, offset, buf, len, ret_read);
	file_api_exit(filp->engine);
	return err;
}

int rcl_file_pread_cached(struct rcl_file *filp, uint64_t offset, void *buf, size_t len,
			  size_t *ret_read)
{
	struct rcl_file_iov v = { .offset = offset, .buf = buf, .len = len };
	int err;

	if (!filp || (!buf && len) || !range_ok(offset, len))
		return -EINVAL;
	/* The handle holds its mapping (file_put never frees one in use): no lookup, no lock. */
	err = generic_file_read_cached(filp, &v, 1);
	if (!err)
		*ret_read = v.read;
	return err;
}

int rcl_file_preadv_cached(struct rcl_file *filp, struct rcl_file_iov *iov, size_t n)
{
	size_t i;

	if (!filp || (!iov && n))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if ((!iov[i].buf && iov[i].len) || !range_ok(iov[i].offset, iov[i].len))
			return -EINVAL;
	return generic_file_read_cached(filp, iov, n);
}

int rcl_file_pwrite(struct rcl_file *filp, uint64_t offset, const void *buf, size_t len)
{
	int err;

	if (!filp || (!buf && len) || !range_ok(offset, len))
		return -EINVAL;
	mm_lock(filp->engine);
	err = generic_perform_write(filp, offset, buf, len);
	file_api_exit(filp->engine);
	return err;
}

uint64_t rcl_file_size(struct rcl_file *filp)
{
	return __atomic_load_n(&filp->mapping->i_size, __ATOMIC_RELAXED);
}

int rcl_file_advise(struct rcl_file *filp, uint64_t offset, uint64_t len,
		    enum rcl_fadvise advice)
{
	int err;

	if (!filp || !advice_ok(advice))
		return -EINVAL;
	mm_lock(filp->engine);
	err = generic_fadvise(filp, offset, len, (int)advice);
	file_api_exit(filp->engine);
	return err;
}

/*
 * Every page touched is a fault (pgfault); the major ones are those this thread waited for
 * I/O on, counted as they happen (current_maj_flt), so the difference is this call's own.
 */
int rcl_region_touch_counted(struct rcl_engine *engine, uint32_t id, uint64_t page, uint64_t nr,
			     bool write, struct rcl_fault_counts *ret_counts)
{
	struct rcl_page_span span = { .region = id, .first = page, .nr = nr };

	return rcl_region_touchv_counted(engine, &span, 1, write, ret_counts);
}

int rcl_region_touchv_counted(struct rcl_engine *engine, const struct rcl_page_span *spans,
			      size_t n, bool write, struct rcl_fault_counts *ret_counts)
{
	unsigned long maj = current_maj_flt;
	uint64_t pages = 0;
	size_t i;
	int err = rcl_region_touchv(engine, spans, n, write);

	for (i = 0; i < n; i++)
		pages += spans[i].nr;
	if (!err) {
		ret_counts->major = current_maj_flt - maj;
		ret_counts->minor = pages - ret_counts->major;
	}
	return err;
}
