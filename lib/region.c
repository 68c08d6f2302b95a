/*
 * region.c - the public region and file API (reclaim/region.h): validation, the big lock, and
 * the loops over pages that call into memory.c and filemap.c.
 *
 * Every function validates its arguments completely before it changes anything, so bad input
 * gets -EINVAL (or -ENOENT for an unknown id) and leaves the engine as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reclaim/region.h"
#include "memcontrol.h"
#include "vmscan.h"

#define REGION_MAX_PAGES	(1ULL << 31)	/* page->index is 32 bits */
#define REGION_FLAGS		(RCL_REGION_SHARED | RCL_REGION_EXEC | RCL_REGION_LOCKED | \
				 RCL_REGION_POPULATE)

/* Put @region in a free slot and give it an id: the slot, and the slot's next generation. */
/* On the way out of a call that may have charged pages (the kernel's return to user space). */
static void api_exit(struct rcl_engine *engine, struct region *region)
{
	region_put(engine, region);
	mem_cgroup_handle_over_high(engine);
	balance_dirty_pages_ratelimited(engine);
	engine_debug_check(engine);
	mm_unlock(engine);
	mem_cgroup_throttle_over_high(engine);
}

static int region_register(struct rcl_engine *engine, struct region *region)
{
	uint32_t slot, old = engine->nr_region_slots, n = old;
	struct region **t, **old_t;
	uint16_t *g, *old_g;

	for (slot = 1; slot < n; slot++)
		if (!engine->regions[slot])
			goto found;
	n = n ? n * 2 : 64;
	if (n > REGION_MAX_SLOTS)
		return -ENOSPC;
	t = calloc(n, sizeof(*t));
	g = calloc(n, sizeof(*g));
	if (!t || !g) {
		free(t);
		free(g);
		return -ENOMEM;
	}
	if (old) {
		memcpy(t, engine->regions, old * sizeof(*t));
		memcpy(g, engine->region_gen, old * sizeof(*g));
	}
	/* A lookup without mm_lock sees the old table or the new one, never one being moved. */
	spin_lock(&engine->region_table_lock);
	old_t = engine->regions;
	old_g = engine->region_gen;
	engine->regions = t;
	engine->region_gen = g;
	engine->nr_region_slots = n;
	spin_unlock(&engine->region_table_lock);
	free(old_t);
	free(old_g);
	slot = old ? old : 1;
found:
	spin_lock(&engine->region_table_lock);
	engine->region_gen[slot] = (uint16_t)((engine->region_gen[slot] + 1) &
					      ((1u << (32 - REGION_SLOT_BITS)) - 1));
	if (engine->config.region_generations &&
	    engine->region_gen[slot] >= engine->config.region_generations)
		engine->region_gen[slot] = 0;
	engine->regions[slot] = region;
	region->id = ((uint32_t)engine->region_gen[slot] << REGION_SLOT_BITS) | slot;
	spin_unlock(&engine->region_table_lock);
	return 0;
}

/* The last reference is gone: unmap what a fault in flight mapped after the kill, and free. */
static void __region_free(struct rcl_engine *engine, struct region *region)
{
	struct region **pp;

	zap_page_range(engine, region, 0, region->nr_pages);
	if (region->file) {
		for (pp = &region->file->i_mmap; *pp; pp = &(*pp)->i_mmap_next) {
			if (*pp == region) {
				*pp = region->i_mmap_next;
				break;
			}
		}
		/* Not file_put: an OOM kill or a region's free may be inside a walk. The
		 * free prunes after (rcl_region_free), the flusher after any other. */
		if (!--region->file->refcount)
			engine->files_put_unpruned = true;
	}
	if (region->anon) {
		mapping_unregister(engine, region->anon);
		free(region->anon);
	}
	mod_memcg_state(region->memcg, MEMCG_PAGETABLES,
			-(long)(region->pt.nr_nodes * XA_NODE_BYTES));
	css_put(region->memcg);
	xa_destroy(&region->pt);
	free(region->map_hints);
	free(region);
	/* Pages still queued for the LRU hold a reference: let them go (and uncharge) now. */
	lru_add_drain(engine);
}

void region_get(struct region *region)
{
	atomic_fetch_add_explicit(&region->refcount, 1, memory_order_relaxed);
}

/* Whether the reference dropped was the last: everything done under the others came first. */
static bool region_put_testzero(struct region *region)
{
	return atomic_fetch_sub_explicit(&region->refcount, 1, memory_order_acq_rel) == 1;
}

void region_put(struct rcl_engine *engine, struct region *region)
{
	if (region && region_put_testzero(region))
		__region_free(engine, region);
}

static void region_free_deferred(void *arg, long a, long b)
{
	struct region *region = arg;

	(void)a;
	(void)b;
	__region_free(region->anon->engine, region);
}

/*
 * The last reference may be a caller's without mm_lock (the resident copy, when the region
 * was freed under it): the freeing needs mm_lock, so it runs with it, at once if it is free,
 * else by its holder when it lets go (the kernel's mmput_async hands it to a worker).
 */
void region_put_unlocked(struct rcl_engine *engine, struct region *region)
{
	if (region && region_put_testzero(region))
		model_complete(engine, region_free_deferred, region, 0, 0);
}

/*
 * Zap a dead region's pages a page table (ZAP_BATCH entries) at a time, letting mm_lock go
 * between batches to whoever waits for it, as the kernel's zap_pmd_range reschedules once a
 * page table: freeing a 2 GiB region took 55 ms under mm_lock, and every fault of every other
 * client waited for all of it. Nothing finds the region by its id any more; what meets it
 * meanwhile finds it dead with some entries zapped and some not, each changed under its ptl,
 * as the kernel's reclaim meets a range being unmapped: reclaim's rmap walk unmaps or skips
 * an entry, a fault that took a reference sees region->dead when it has the lock back. Not a
 * region a client mapped (region_destroy): its entries marked the client's would be met with
 * nothing left to take them back.
 */
#define ZAP_BATCH	512ul

static void zap_dead_region(struct rcl_engine *engine, struct region *region, bool resched)
{
	unsigned long start, nr;

	for (start = 0; start < region->nr_pages; start += nr) {
		nr = min_t(unsigned long, ZAP_BATCH, region->nr_pages - start);
		if (start && resched)
			cond_resched_mm_lock(engine);
		zap_page_range(engine, region, start, nr);
	}
}

/*
 * Tear a region down (free, OOM kill, a closed connection): its id stops naming it and every
 * page goes now. A call still working in it (a fault waiting for I/O) holds a reference and
 * sees region->dead when it has the lock back; the structure goes with the last reference.
 * @resched: the caller may have mm_lock let go meanwhile (rcl_region_free; not an OOM kill,
 * inside an allocation's reclaim).
 */
void region_destroy(struct rcl_engine *engine, struct region *region, bool resched)
{
	if (region->dead)
		return;
	pte_lock(region);		/* the resident copy reads it under the ptl alone */
	region->dead = true;
	pte_unlock(region);
	/* Entries a client held stay marked so until zapped, with no map_ops left to take
	 * their pages back: nobody else may meet them, so that zap keeps mm_lock throughout. */
	if (region->map_ops)
		resched = false;
	mapped_region_lost(region);	/* its client is told, not left hanging on a fault */
	if (region->id) {
		spin_lock(&engine->region_table_lock);
		engine->regions[region_slot(region->id)] = NULL;
		spin_unlock(&engine->region_table_lock);
	}
	/* munmap of a locked range munlocks it first (unevictable_pgs_munlocked). */
	if (region->vm_flags & VM_LOCKED)
		region_munlock(engine, region);
	zap_dead_region(engine, region, resched);
	/*
	 * The pages go here, not with the structure: those still queued for the LRU hold a
	 * reference, in any thread's vector (an idle worker's would keep them charged for
	 * ever). Let them go, and uncharge, now.
	 */
	lru_add_drain_all(engine);
	region_put(engine, region);		/* the table's reference */
}

static int region_validate(struct rcl_engine *engine, const struct rcl_region_spec *spec,
			   struct mem_cgroup **ret_memcg)
{
	struct mem_cgroup *memcg;

	if (!spec || !spec->nr_pages || spec->nr_pages > REGION_MAX_PAGES ||
	    (spec->flags & ~REGION_FLAGS))
		return -EINVAL;
	if (spec->type == RCL_REGION_ANON) {
		if (spec->path || spec->file_offset || (spec->flags & RCL_REGION_SHARED))
			return -EINVAL;
	} else if (spec->type == RCL_REGION_FILE) {
		if (!spec->path || !*spec->path || spec->path[0] == '/' ||
		    (spec->file_offset & (PAGE_SIZE - 1)) ||
		    (spec->file_offset >> PAGE_SHIFT) + spec->nr_pages > REGION_MAX_PAGES)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	memcg = spec->memcg_id ? mem_cgroup_from_user_id(engine, spec->memcg_id) :
				 engine->root_mem_cgroup;
	if (!memcg || !memcg->online)
		return -ENOENT;
	*ret_memcg = memcg;
	return 0;
}

/*
 * Between the pages of a long fault loop (a touch or copy of many pages, a populate), a thread
 * waiting for mm_lock has it, as the kernel's __get_user_pages reschedules between pages: a
 * touch of a 2 GiB region held the lock 0.4 s, and every other client's fault with it. Each
 * fault checks again what it finds (handle_mm_fault: a region killed meanwhile is -ENOENT).
 */
#define FAULT_RESCHED_PAGES	512u

static void fault_loop_resched(struct rcl_engine *engine, uint64_t i)
{
	if (i && i % FAULT_RESCHED_PAGES == 0)
		cond_resched_mm_lock(engine);
}

static int region_populate(struct rcl_engine *engine, struct region *region)
{
	unsigned long i;
	struct page *page;
	int err;

	for (i = 0; i < region->nr_pages; i++) {
		fault_loop_resched(engine, i);
		err = handle_mm_fault(engine, region, i, FAULT_FLAG_POPULATE, &page);
		if (err)
			return err;
	}
	return 0;
}

int rcl_region_create(struct rcl_engine *engine, const struct rcl_region_spec *spec,
		      uint32_t *ret_id)
{
	struct mem_cgroup *memcg;
	struct region *region;
	bool locked, populating;
	int err;

	mm_lock(engine);
	err = region_validate(engine, spec, &memcg);
	if (err)
		goto out;
	err = -ENOMEM;
	region = calloc(1, sizeof(*region));
	if (!region)
		goto out;
	atomic_init(&region->refcount, 1);	/* the region table's, from region_register */
	region->nr_pages = spec->nr_pages;
	region->memcg = memcg;
	css_get(memcg);		/* a caller holding the region may count into it after its free */
	region->vm_flags = (spec->flags & RCL_REGION_SHARED ? VM_SHARED : 0) |
			   (spec->flags & RCL_REGION_EXEC ? VM_EXEC : 0) |
			   (spec->flags & RCL_REGION_LOCKED ? VM_LOCKED : 0);
	xa_init(&region->pt);		/* tables come with the first touch of their pages */
	spin_lock_init(&region->ptl);
	file_ra_state_init(&region->f_ra);
	region->anon = calloc(1, sizeof(*region->anon));
	if (!region->anon)
		goto fail;
	region->anon->type = MAPPING_ANON;
	spin_lock_init(&region->anon->i_pages_lock);
	region->anon->anon_region = region;
	err = mapping_register(engine, region->anon);
	if (err) {
		free(region->anon);
		region->anon = NULL;
		goto fail;
	}
	if (spec->type == RCL_REGION_FILE) {
		region->pgoff = spec->file_offset >> PAGE_SHIFT;
		/* Private is copy-on-write: its file is never created, extended or written. */
		if (region->vm_flags & VM_SHARED)
			region->file = file_open(engine, spec->path, (region->pgoff +
						 region->nr_pages) << PAGE_SHIFT, true, &err);
		else
			region->file = file_open(engine, spec->path, 0, false, &err);
		if (!region->file)
			goto fail;
		region->i_mmap_next = region->file->i_mmap;
		region->file->i_mmap = region;
	}
	err = -ENOMEM;
	locked = region->vm_flags & VM_LOCKED;
	if (locked && !mlock_reserve(engine, memcg, region->nr_pages))
		goto fail;
	err = region_register(engine, region);
	populating = !err && (spec->flags & (RCL_REGION_POPULATE | RCL_REGION_LOCKED));
	if (populating) {
		/*
		 * Ours while it populates: mm_lock is let go meanwhile (a fault's reclaim,
		 * cond_resched_mm_lock), and another thread's OOM kill may take the region and
		 * the table's reference with it. Killed, it is not given out.
		 */
		region_get(region);
		current_or_default(engine)->faulting_region = region;
		err = region_populate(engine, region);
		current_or_default(engine)->faulting_region = NULL;
		if (region->dead)
			err = -ENOMEM;		/* killed: whatever its faults said after */
	}
	/* Its pages count as NR_UNEVICTABLE from here (or, failed, not at all). */
	if (locked)
		mlock_unreserve(engine, memcg, region->nr_pages);
	if (populating) {
		if (err)
			region_destroy(engine, region, false);
		region_put(engine, region);
		if (err)
			goto out;
	}
	if (err)
		goto fail;
	*ret_id = region->id;
	err = 0;
	goto out;
fail:
	region_destroy(engine, region, false);
out:
	api_exit(engine, NULL);
	return err;
}

void rcl_oom_notify_set(struct rcl_engine *engine, rcl_oom_fn fn, void *arg)
{
	mm_lock(engine);
	engine->oom_notify = fn;
	engine->oom_notify_arg = arg;
	mm_unlock(engine);
}

int rcl_region_free(struct rcl_engine *engine, uint32_t id)
{
	struct region *region;
	int err = -ENOENT;

	mm_lock(engine);
	region = region_lookup(engine, id);
	if (region) {
		bool file = region->file;

		region_destroy(engine, region, true);
		/* It may have been the last user of a file removed since: let that go now,
		 * with the blocks it holds (file_prune_unused). */
		if (file)
			file_prune_unused(engine);
		err = 0;
	}
	mm_unlock(engine);
	return err;
}

/* The region @id, referenced, if [first, first + nr) lies inside it; *ret_err otherwise. */
static struct region *region_range(struct rcl_engine *engine, uint32_t id, uint64_t first,
				   uint64_t nr, int *ret_err)
{
	struct region *region = region_lookup(engine, id);

	if (!region) {
		*ret_err = -ENOENT;
		return NULL;
	}
	if (first > region->nr_pages || nr > region->nr_pages - first) {
		*ret_err = -EINVAL;
		return NULL;
	}
	region_get(region);	/* the call's: the region outlives a wait without mm_lock */
	return region;
}

/* Fault pages [first, first + nr) of @region in, held by the caller under mm_lock (in range).
 * A region freed meanwhile is -ENOENT. */
static int region_touch_held(struct rcl_engine *engine, struct region *region, uint64_t first,
			     uint64_t nr, bool write)
{
	struct page *page;
	uint64_t i;
	int err = 0;

	if (region->dead)
		return -ENOENT;
	current_or_default(engine)->faulting_region = region;
	/* Many pages: their swap-ins as one batch, as region_copy_held's. */
	if (nr > 1)
		swapin_range(engine, region, (unsigned long)first, (unsigned long)nr, true);
	for (i = 0; i < nr && !err; i++) {
		fault_loop_resched(engine, i);
		err = handle_mm_fault(engine, region, (unsigned long)(first + i),
				      write ? FAULT_FLAG_WRITE : 0, &page);
	}
	current_or_default(engine)->faulting_region = NULL;
	return err;
}

int rcl_region_touch(struct rcl_engine *engine, uint32_t id, uint64_t first, uint64_t nr,
		     bool write)
{
	struct rcl_page_span span = { .region = id, .first = first, .nr = nr };

	return rcl_region_touchv(engine, &span, 1, write);
}

/*
 * Each span's region is looked up once, before any is touched, and held to the end, for the
 * reason region_copyv gives: a span that waits lets mm_lock go, and a region freed meanwhile
 * may see its id given to another client's. One freed meanwhile ends the call, -ENOENT.
 */
int rcl_region_touchv(struct rcl_engine *engine, const struct rcl_page_span *spans, size_t n,
		      bool write)
{
	struct region *one, **held = n > 1 ? calloc(n, sizeof(*held)) : &one;
	size_t i, got = 0;
	int err = 0;

	if (!held)
		return -ENOMEM;
	mm_lock(engine);
	for (; got < n && !err; got++)
		held[got] = region_range(engine, spans[got].region, spans[got].first,
					 spans[got].nr, &err);
	if (err)
		got--;		/* the last lookup found nothing to hold */
	for (i = 0; i < n && !err; i++)
		err = region_touch_held(engine, held[i], spans[i].first, spans[i].nr, write);
	for (i = 0; i < got; i++)
		region_put(engine, held[i]);
	if (held != &one)
		free(held);
	api_exit(engine, NULL);
	return err;
}

/* touch_resident of a file region: dirtying a file page is accounted under mm_lock. */
static int touch_resident_file(struct rcl_engine *engine, struct region *region,
			       uint64_t first, uint64_t nr, bool write)
{
	uint64_t i;
	int err = 0;

	if (!mm_trylock(engine))
		return -EAGAIN;
	/* All or nothing: check every entry before marking any. */
	for (i = 0; i < nr && !region->dead; i++) {
		pte_t pte = pte_get(region, first + i);

		/* A private file page would need its copy made first: that is a fault. */
		if (!pte_present(pte) || (write && !(region->vm_flags & VM_SHARED) &&
		    pfn_to_page(engine, pte_pfn(pte))->mapping == region->file->id))
			break;
	}
	if (region->dead || i < nr)
		err = -EAGAIN;
	for (i = 0; !err && i < nr; i++) {
		pte_t *pte = pte_offset(region, first + i);	/* present: its table exists */

		pte_lock(region);
		pte_set_flags(region, pte, PTE_YOUNG | (write ? PTE_DIRTY : 0));
		pte_unlock(region);
		if (write)
			set_page_dirty(pfn_to_page(engine, pte_pfn(ptep_get(pte))));
	}
	mm_unlock(engine);
	return err;
}

/* touch_resident of an anonymous region: under its page-table lock alone, as the copies. */
static int touch_resident_anon(struct rcl_engine *engine, struct region *region,
			       uint64_t first, uint64_t nr, bool write)
{
	uint64_t i;
	int err = 0;

	pte_lock(region);
	for (i = 0; i < nr && !region->dead; i++)
		if (!pte_present(pte_get(region, first + i)))
			break;
	if (region->dead || i < nr)
		err = -EAGAIN;
	for (i = 0; !err && i < nr; i++) {
		pte_t *pte = pte_offset(region, first + i);	/* present: its table exists */

		pte_set_flags(region, pte, PTE_YOUNG | (write ? PTE_DIRTY : 0));
		if (write)
			set_anon_page_dirty(pfn_to_page(engine, pte_pfn(ptep_get(pte))));
	}
	pte_unlock(region);
	return err;
}

/* All or nothing, never blocking: the region by reference, as region_copy_resident. */
int rcl_region_touch_resident(struct rcl_engine *engine, uint32_t id, uint64_t first,
			      uint64_t nr, bool write)
{
	struct region *region = region_lookup_get(engine, id);
	int err;

	if (!region)
		return -ENOENT;
	if (first > region->nr_pages || nr > region->nr_pages - first)
		err = -EINVAL;
	else if (region->file)
		err = touch_resident_file(engine, region, first, nr, write);
	else
		err = touch_resident_anon(engine, region, first, nr, write);
	if (!err) {
		/* as the faulting path counts every touch */
		count_vm_events(engine, PGFAULT, (unsigned long)nr);
		count_memcg_events(region->memcg, PGFAULT, (unsigned long)nr);
	}
	region_put_unlocked(engine, region);
	return err;
}

#define MAPPED_COPY_RETRIES	64	/* a page reclaim keeps taking back: -EAGAIN */

/*
 * Copy between @buf and bytes [offset, offset + len) of @region, held by the caller under
 * mm_lock, faulting pages in; a page a client holds mapped is copied from or to the client's
 * copy. A region freed meanwhile (its id may name another region by now) is -ENOENT.
 */
static int region_copy_held(struct rcl_engine *engine, struct region *region, uint64_t offset,
			    void *buf, size_t len, bool write)
{
	size_t done = 0;
	int err = 0, retries = 0;

	if (region->dead)
		return -ENOENT;
	if (offset + len < offset || offset + len > (uint64_t)region->nr_pages << PAGE_SHIFT)
		return -EINVAL;
	/* Many pages: their swap-ins as one batch, consecutive slots one read each. */
	if (len > PAGE_SIZE)
		swapin_range(engine, region, (unsigned long)(offset >> PAGE_SHIFT),
			     (unsigned long)((offset + len - 1) >> PAGE_SHIFT) -
				     (unsigned long)(offset >> PAGE_SHIFT) + 1, true);
	while (done < len && !err) {
		uint64_t pos = offset + done;
		size_t off = (size_t)(pos & (PAGE_SIZE - 1));
		size_t n = PAGE_SIZE - off < len - done ? PAGE_SIZE - off : len - done;
		struct page *page;

		if (!off)
			fault_loop_resched(engine, (pos - offset) >> PAGE_SHIFT);
		err = handle_mm_fault(engine, region, (unsigned long)(pos >> PAGE_SHIFT),
				      write ? FAULT_FLAG_WRITE : 0, &page);
		if (err)
			break;
		/* A page a client holds: its bytes are the client's, not the frame's. */
		if (pte_mapped_out(pte_get(region, (unsigned long)(pos >> PAGE_SHIFT)))) {
			err = mapped_copy(engine, region, pos, (char *)buf + done, n, write);
			if (err == -EAGAIN && ++retries < MAPPED_COPY_RETRIES) {
				err = 0;	/* it changed while we waited: look again */
				continue;
			}
			if (!err)
				done += n;
			continue;
		}
		if (write)
			memcpy((char *)page_address(page) + off, (char *)buf + done, n);
		else
			memcpy((char *)buf + done, (char *)page_address(page) + off, n);
		done += n;
	}
	return err;
}

/*
 * Copy @n ranges of region @id in turn. The id is looked up once and the region held for
 * all of them, as a system call resolves its descriptor once (fdget) however long it runs:
 * a range may wait (for I/O, for a throttle) with mm_lock let go, the region may be freed
 * meanwhile and its id given to another client's region, and a lookup per range would then
 * copy to or from that one. A region freed meanwhile ends the call, -ENOENT.
 */
static int region_copyv(struct rcl_engine *engine, uint32_t id, const struct rcl_region_iov *iov,
			unsigned int n, bool write)
{
	struct region *region;
	unsigned int i;
	int err = 0;

	mm_lock(engine);
	region = region_range(engine, id, 0, 0, &err);
	current_or_default(engine)->faulting_region = region;
	for (i = 0; region && i < n && !err; i++)
		err = region_copy_held(engine, region, iov[i].offset, iov[i].buf, iov[i].len,
				       write);
	current_or_default(engine)->faulting_region = NULL;
	api_exit(engine, region);
	return err;
}

int rcl_region_read(struct rcl_engine *engine, uint32_t id, uint64_t offset, void *buf,
		    size_t len)
{
	struct rcl_region_iov iov = { .offset = offset, .len = len, .buf = buf };

	return region_copyv(engine, id, &iov, 1, false);
}

int rcl_region_write(struct rcl_engine *engine, uint32_t id, uint64_t offset, const void *buf,
		     size_t len)
{
	struct rcl_region_iov iov = { .offset = offset, .len = len, .buf = (void *)buf };

	return region_copyv(engine, id, &iov, 1, true);
}

int rcl_region_readv(struct rcl_engine *engine, uint32_t id, const struct rcl_region_iov *iov,
		     unsigned int n)
{
	return region_copyv(engine, id, iov, n, false);
}

int rcl_region_writev(struct rcl_engine *engine, uint32_t id, const struct rcl_region_iov *iov,
		      unsigned int n)
{
	return region_copyv(engine, id, iov, n, true);
}

/*
 * The page of entry @pte for a copy that must not fault: a present page (a write comes only
 * for an anonymous region, which has no file page it would have to copy first), or for a
 * read the zero page. NULL otherwise.
 */
static struct page *resident_page(struct rcl_engine *engine, pte_t pte, bool write)
{
	if (is_zero_pte(pte) && !write)
		return pfn_to_page(engine, pte_pfn(pte));
	return pte_present(pte) ? pfn_to_page(engine, pte_pfn(pte)) : NULL;
}

/* Whether every page of [first, last] has an entry a copy needs no fault for. Under the ptl. */
static bool range_resident(struct rcl_engine *engine, struct region *region, unsigned long first,
			   unsigned long last, bool write)
{
	unsigned long i;

	for (i = first; i <= last; i++) {
		pte_t pte = pte_get(region, i);

		if (pte_mapped_out(pte) || !resident_page(engine, pte, write))
			return false;
	}
	return true;
}

/* Copy one range whose pages range_resident found, as a fault on a present page would see
 * it: young, and for a write dirty. Under the ptl. */
static void copy_range_resident(struct rcl_engine *engine, struct region *region,
				const struct rcl_region_iov *v, bool write)
{
	unsigned long first = (unsigned long)(v->offset >> PAGE_SHIFT);
	unsigned long last = (unsigned long)((v->offset + v->len - 1) >> PAGE_SHIFT), i;
	size_t done = 0;

	for (i = first; i <= last; i++) {
		pte_t *pte = pte_offset(region, i);	/* resident: its table exists */
		struct page *page = resident_page(engine, ptep_get(pte), write);
		size_t off = i == first ? (size_t)(v->offset & (PAGE_SIZE - 1)) : 0;
		size_t n = min_t(size_t, PAGE_SIZE - off, v->len - done);

		if (write) {
			pte_set_flags(region, pte, PTE_YOUNG | PTE_DIRTY);
			set_anon_page_dirty(page);	/* an anonymous region's page */
			memcpy((char *)page_address(page) + off, (const char *)v->buf + done, n);
		} else {
			if (!is_zero_pte(ptep_get(pte)))
				pte_set_flags(region, pte, PTE_YOUNG);
			memcpy((char *)v->buf + done, (const char *)page_address(page) + off, n);
		}
		done += n;
	}
}

/* The pages [first, last] of range @v, or -EINVAL when it wraps or leaves @region. */
static int iov_pages(const struct region *region, const struct rcl_region_iov *v,
		     unsigned long *first, unsigned long *last)
{
	if (v->offset + v->len < v->offset)
		return -EINVAL;
	*first = (unsigned long)(v->offset >> PAGE_SHIFT);
	*last = (unsigned long)((v->offset + v->len - 1) >> PAGE_SHIFT);
	return *last >= region->nr_pages ? -EINVAL : 0;
}

/*
 * region_copy for the event loop: all or nothing over every range, never blocking, and
 * without mm_lock, so it goes on while reclaim or a fault holds that: the region by reference
 * (region_lookup_get), its entries under its page-table lock. What a fault on a present page
 * does is done here too: pgfault counted, the accessed bit set, and for a write the dirty bit
 * and PG_dirty. Writes to anonymous regions only: dirtying a file page asks for dirty
 * throttling, which may sleep. Reads of file regions too: a present entry holds its
 * page-cache page mapped, and nothing takes a mapped page out of the cache without first
 * clearing the entry under the ptl.
 *
 * The copy itself happens under the ptl. With only a page reference, reclaim could unmap
 * the page, write it to swap and mark it clean before the copy landed, and then drop it
 * clean: a lost write. Under the ptl the copy either comes first (the entry is dirty, and
 * try_to_unmap moves that to the page, which is then written again) or finds the entry
 * gone and punts to the faulting path (-EAGAIN). A page a client holds (PTE_MAPPED) has its
 * live bytes there: that punts too. Every range is checked before any is copied, so a punt
 * leaves nothing done twice.
 *
 * The ptl keeps the page where it is, not its bytes still: a worker's copy into the page
 * (region_copy after its fault, a buffered write to the file, another region's mapping of
 * it) does not take this region's ptl, so a read beside such a write may see part of each,
 * as a read() beside a write() to the same page may in the kernel.
 */
static int region_copy_resident(struct rcl_engine *engine, uint32_t id,
				const struct rcl_region_iov *iov, unsigned int n, bool write)
{
	unsigned long first, last, pages = 0;
	struct region *region;
	unsigned int k;
	int err = 0;

	if (!n)
		return -EAGAIN;
	for (k = 0; k < n; k++) {
		if (iov[k].offset + iov[k].len < iov[k].offset)
			return -EINVAL;
		if (!iov[k].len)
			return -EAGAIN;
	}
	region = region_lookup_get(engine, id);
	if (!region)
		return -ENOENT;
	for (k = 0; !err && k < n; k++) {
		err = iov_pages(region, &iov[k], &first, &last);
		pages += last - first + 1;
	}
	if (!err && region->file && write)
		err = -EAGAIN;
	if (err)
		goto out;
	pte_lock(region);
	for (k = 0; !err && k < n; k++) {
		iov_pages(region, &iov[k], &first, &last);
		if (region->dead || !range_resident(engine, region, first, last, write))
			err = -EAGAIN;
	}
	for (k = 0; !err && k < n; k++)
		copy_range_resident(engine, region, &iov[k], write);
	pte_unlock(region);
	if (!err) {
		count_vm_events(engine, PGFAULT, pages);
		count_memcg_events(region->memcg, PGFAULT, pages);
	}
out:
	region_put_unlocked(engine, region);
	return err;
}

int rcl_region_read_resident(struct rcl_engine *engine, uint32_t id, uint64_t offset,
			     void *buf, size_t len)
{
	struct rcl_region_iov v = { .offset = offset, .len = len, .buf = buf };

	return region_copy_resident(engine, id, &v, 1, false);
}

int rcl_region_readv_resident(struct rcl_engine *engine, uint32_t id,
			      const struct rcl_region_iov *iov, unsigned int n)
{
	return region_copy_resident(engine, id, iov, n, false);
}

int rcl_region_write_resident(struct rcl_engine *engine, uint32_t id, uint64_t offset,
			      const void *buf, size_t len)
{
	struct rcl_region_iov v = { .offset = offset, .len = len, .buf = (void *)buf };

	return region_copy_resident(engine, id, &v, 1, true);
}

/* MADV_FREE on one entry: the page may be dropped instead of swapped until written again. */
static void madvise_free_pte(struct rcl_engine *engine, struct region *region, unsigned long i)
{
	pte_t *pte = pte_offset(region, i);	/* not none: walked by for_each_pte */
	pte_t orig = ptep_get(pte);
	struct page *page;

	if (is_swap_pte(orig)) {
		pte_lock(region);
		set_pte(region, pte, 0);
		pte_unlock(region);
		region_count(&region->swapents, -1);
		free_swap_and_cache(engine, pte_to_swp_entry(orig));
		return;
	}
	if (!pte_present(orig))
		return;
	page = pfn_to_page(engine, pte_pfn(orig));
	if (page->mapping != region->anon->id || page_mapcount(page) != 1 || !trylock_page(page))
		return;
	if (PageSwapCache(page))
		try_to_free_swap(page);
	/* Page and entry clean together: a resident write after this dirties both again. */
	pte_lock(region);
	ClearPageDirty(page);
	pte_clear_flags(region, pte, PTE_DIRTY | PTE_YOUNG);
	pte_unlock(region);
	mark_page_lazyfree(page);
	unlock_page(page);
}

/* Reclaim @list's pages now (reclaim_pages' per-node step) and put back those it kept. */
static void pageout_list(struct pglist_data *pgdat, struct page_list *list,
			 struct scan_control *sc)
{
	struct reclaim_stat stat;

	shrink_page_list(list, pgdat, sc, 0, &stat, false);
	while (!page_list_empty(list)) {
		struct page *page = page_list_last(list);

		page_list_del(list, page);
		putback_lru_page(page);
	}
}

/*
 * MADV_PAGEOUT: reclaim the range's pages now, whatever their age. In batches, as
 * shrink_node_memcg reclaims, and for the same reason: between batches, with nothing
 * isolated, a plug about to fill is submitted without mm_lock (blk_flush_plug_unlocked), so
 * that a range of thousands of dirty pages never has its swap writes go out, CRCs and ring
 * waits included, with the whole model stopped behind them. The range is walked on after the
 * lock came back: the region is the call's (referenced), its entries are read again, and a
 * region that died meanwhile is left. A batch is as many pages as shrink_page_list takes back
 * from a client in one run (TAKE_BACK_BATCH).
 */
static void madvise_pageout(struct rcl_engine *engine, struct region *region,
			    unsigned long first, unsigned long nr)
{
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX, .gfp_mask = GFP_KERNEL,
		.reclaim_idx = MAX_NR_ZONES - 1, .priority = DEF_PRIORITY,
		.may_writepage = 1, .may_unmap = 1, .may_swap = 1,
	};
	unsigned long i;
	int nid;

	lru_add_drain(engine);
	blk_start_plug(engine);
	for (nid = 0; nid < engine->nr_nodes && !region->dead; nid++) {
		struct pglist_data *pgdat = NODE_DATA(engine, nid);
		unsigned int taken = 0;
		struct page_list list;

		page_list_init(&list, engine->mem_map);
		for_each_pte(region, i, first, first + nr) {
			pte_t *pte = pte_offset(region, i);
			struct page *page;

			if (!pte_present(ptep_get(pte)))
				continue;
			page = pfn_to_page(engine, pte_pfn(ptep_get(pte)));
			if ((int)page_node_id(page) != nid || page_mapcount(page) != 1)
				continue;
			/* Its references forgotten, a client's unseen ones too: no grace for a
			 * drop it has yet to confirm (mapped_hint_grace). */
			pte_lock(region);
			pte_clear_flags(region, pte, PTE_YOUNG);
			if (pte_hints(ptep_get(pte)))
				pte_set_flags(region, pte, PTE_HINT_GRACED);
			pte_unlock(region);
			ClearPageReferenced(page);
			if (isolate_lru_page(page) != 0)
				continue;
			ClearPageActive(page);
			page_list_add(&list, page);	/* taken from the tail: in order */
			if (++taken < TAKE_BACK_BATCH)
				continue;
			pageout_list(pgdat, &list, &sc);
			taken = 0;
			if (blk_plug_nearly_full(engine, TAKE_BACK_BATCH))
				blk_flush_plug_unlocked(engine);
			if (region->dead)
				break;
		}
		if (taken) {
			pageout_list(pgdat, &list, &sc);
			if (blk_plug_nearly_full(engine, TAKE_BACK_BATCH))
				blk_flush_plug_unlocked(engine);
		}
	}
	blk_finish_plug_unlocked(engine);
	writeback_wait_all(engine);
	lru_add_drain(engine);
}

/* Why @advice may not apply to @region: 0, or the errno it is refused with. */
static int madvise_refused(const struct region *region, enum rcl_madvise advice)
{
	if (advice == RCL_MADV_FREE && region->file)
		return -EINVAL;		/* MADV_FREE applies to anonymous memory only */
	/* Dropping a mapped page would leave its client's copy behind: not yet supported. */
	if ((advice == RCL_MADV_DONTNEED || advice == RCL_MADV_FREE) && region->map_ops)
		return -EBUSY;
	return 0;
}

/*
 * DONTNEED a page table (ZAP_BATCH entries) at a time, letting mm_lock go to a waiter between
 * batches as a freed region's zap does: dropping 2 GiB held it 55 ms. The check that the
 * region is not mapped (madvise_refused) must hold to the last page, since a client's pages
 * dropped here would leave its copy behind: rcl_region_madvisev keeps every region of the
 * request from being mapped meanwhile (nr_dropping). A region freed meanwhile has lost its
 * pages anyway.
 */
static void madvise_dontneed(struct rcl_engine *engine, struct region *region,
			     unsigned long first, unsigned long nr)
{
	unsigned long start, n, end = first + nr;

	for (start = first; start < end && !region->dead; start += n) {
		n = min_t(unsigned long, ZAP_BATCH, end - start);
		if (start != first)
			cond_resched_mm_lock(engine);
		if (!region->dead)
			zap_page_range(engine, region, start, n);
	}
}

/* Apply @advice to pages [first, first + nr) of @region, which it may apply to. */
static int madvise_span(struct rcl_engine *engine, struct region *region, uint64_t first,
			uint64_t nr, enum rcl_madvise advice)
{
	struct page *page;
	uint64_t i;
	int err = 0;

	lru_add_drain(engine);
	switch (advice) {
	case RCL_MADV_DONTNEED:
		madvise_dontneed(engine, region, (unsigned long)first, (unsigned long)nr);
		break;
	case RCL_MADV_FREE:
		for_each_pte(region, i, first, first + nr)
			madvise_free_pte(engine, region, i);
		break;
	case RCL_MADV_COLD:
		for_each_pte(region, i, first, first + nr) {
			pte_t *pte = pte_offset(region, i);

			if (!pte_present(ptep_get(pte)))
				continue;
			pte_lock(region);
			pte_clear_flags(region, pte, PTE_YOUNG);
			pte_unlock(region);
			/* Used again after all, it is young again: a client's page says so by
			 * a hinting fault. */
			if (pte_mapped_out(ptep_get(pte)))
				mapped_page_aged(engine, region, (unsigned long)i);
			deactivate_file_page(pfn_to_page(engine, pte_pfn(ptep_get(pte))));
		}
		mapped_flush_hints(engine);
		break;
	case RCL_MADV_PAGEOUT:
		madvise_pageout(engine, region, (unsigned long)first, (unsigned long)nr);
		break;
	case RCL_MADV_WILLNEED:
		current_or_default(engine)->faulting_region = region;
		swapin_range(engine, region, (unsigned long)first, (unsigned long)nr, false);
		for (i = first; i < first + nr && !err; i++)
			if (!pte_present(pte_get(region, (unsigned long)i)))
				err = handle_mm_fault(engine, region, (unsigned long)i,
						      FAULT_FLAG_READAHEAD, &page);
		current_or_default(engine)->faulting_region = NULL;
		break;
	case RCL_MADV_NORMAL:
	case RCL_MADV_RANDOM:
	case RCL_MADV_SEQUENTIAL:
		region_set_flags(region, VM_RAND_READ | VM_SEQ_READ, false);
		region_set_flags(region, advice == RCL_MADV_RANDOM ? VM_RAND_READ :
					 advice == RCL_MADV_SEQUENTIAL ? VM_SEQ_READ : 0, true);
		break;
	}
	return err;
}

/* @span's region, looked up (with a reference) and checked for @advice; NULL if refused. */
static struct region *madvise_region(struct rcl_engine *engine, const struct rcl_page_span *span,
				     enum rcl_madvise advice, int *ret_err)
{
	struct region *region = region_range(engine, span->region, span->first, span->nr,
					     ret_err);

	if (region && (*ret_err = madvise_refused(region, advice))) {
		region_put(engine, region);
		return NULL;
	}
	return region;
}

/*
 * Every span is checked before any is acted on: a list with one span the advice may not
 * apply to (a mapped region asked to drop its pages, a file region asked to free them) is
 * refused whole, and no earlier span has lost its bytes by then. What their check saw holds
 * while DONTNEED and FREE, the advice that lose bytes, are done: FREE never lets mm_lock go,
 * and no client maps a region while DONTNEED lets it go between batches (madvise_dontneed).
 * Any may let it go (a pageout's writes, a willneed's reads, a dontneed's batches), after
 * which the next span's region is checked again, and one that went meanwhile ends the call.
 * Each span's region is held from its lookup to the end, never looked up again: a region
 * freed meanwhile may see its id given to another client's region (region_copyv).
 */
int rcl_region_madvisev(struct rcl_engine *engine, const struct rcl_page_span *spans, size_t n,
			enum rcl_madvise advice, size_t *ret_index)
{
	bool dropping = advice == RCL_MADV_DONTNEED;
	struct region **held;
	size_t i, j;
	int err = 0;

	if ((unsigned int)advice > RCL_MADV_SEQUENTIAL)
		return -EINVAL;
	held = calloc(n ? n : 1, sizeof(*held));
	if (!held)
		return -ENOMEM;
	mm_lock(engine);
	for (i = 0; i < n; i++) {
		held[i] = madvise_region(engine, &spans[i], advice, &err);	/* referenced */
		if (err)
			goto out;
		/* DONTNEED: each span's region kept from being mapped until all are done. */
		if (dropping)
			held[i]->nr_dropping++;
	}
	for (i = 0; i < n; i++) {
		err = held[i]->dead ? -ENOENT : madvise_refused(held[i], advice);
		if (!err)
			err = madvise_span(engine, held[i], spans[i].first, spans[i].nr, advice);
		if (err)
			goto out;
	}
out:
	if (err && ret_index)
		*ret_index = i;
	for (j = 0; j < n; j++) {
		if (held[j]) {
			held[j]->nr_dropping -= dropping;
			region_put(engine, held[j]);
		}
	}
	free(held);
	api_exit(engine, NULL);
	return err;
}

int rcl_region_madvise(struct rcl_engine *engine, uint32_t id, uint64_t first, uint64_t nr,
		       enum rcl_madvise advice)
{
	struct rcl_page_span span = { .region = id, .first = first, .nr = nr };

	return rcl_region_madvisev(engine, &span, 1, advice, NULL);
}

int rcl_region_mlock(struct rcl_engine *engine, uint32_t id)
{
	struct region *region;
	bool reserved;
	int err = 0;

	mm_lock(engine);
	region = region_range(engine, id, 0, 0, &err);
	reserved = region && !(region->vm_flags & VM_LOCKED);
	if (reserved && !mlock_reserve(engine, region->memcg, region->nr_pages)) {
		err = -ENOMEM;		/* refused before it reclaims anyone */
		reserved = false;
	} else if (region) {
		/* mlock populates: every page must be resident to be locked. */
		current_or_default(engine)->faulting_region = region;
		err = region_populate(engine, region);
		current_or_default(engine)->faulting_region = NULL;
		if (!err) {
			lru_add_drain(engine);
			region_mlock(engine, region);
		}
	}
	if (reserved)
		mlock_unreserve(engine, region->memcg, region->nr_pages);
	api_exit(engine, region);
	return err;
}

int rcl_region_munlock(struct rcl_engine *engine, uint32_t id)
{
	struct region *region;
	int err = 0;

	mm_lock(engine);
	region = region_range(engine, id, 0, 0, &err);
	if (region)
		region_munlock(engine, region);
	region_put(engine, region);
	mm_unlock(engine);
	return err;
}

/*
 * The writes happen under the engine's lock (their wait lets it go); the fsync, which may take
 * the disk's time, does not hold it: other clients go on meanwhile. The call holds the file
 * (refcount) until it is done, since the region may be freed meanwhile and a file nobody uses
 * can be dropped (file_open's failure path, file_put_final).
 */
int rcl_region_msync_range(struct rcl_engine *engine, uint32_t id, uint64_t page, uint64_t nr,
			   uint64_t *ret_written)
{
	struct address_space *mapping = NULL;
	struct region *region;
	int err = 0, fsync_err;

	*ret_written = 0;
	mm_lock(engine);
	region = region_range(engine, id, page, nr, &err);
	if (region && region->file && (region->vm_flags & VM_SHARED)) {
		unsigned long start = region->pgoff + (unsigned long)page;

		mapping = region->file;
		mapping->refcount++;	/* for the fsync: the region may go meanwhile */
		if (!nr)
			nr = region->nr_pages - page;
		*ret_written = filemap_fdatawrite_range(engine, mapping, start,
							start + (unsigned long)nr);
	}
	region_put(engine, region);
	mm_unlock(engine);
	if (!mapping)
		return err;
	fsync_err = fsync(mapping->fd) < 0 ? -errno : 0;
	mm_lock(engine);
	err = filemap_fsync_result(mapping, fsync_err);
	file_put(engine, mapping);
	mm_unlock(engine);
	return err;
}

int rcl_region_msync(struct rcl_engine *engine, uint32_t id)
{
	uint64_t written;

	return rcl_region_msync_range(engine, id, 0, 0, &written);
}

#define DIRTY_WALK_LEAVES	8	/* 512 entries (a pte page's) per hold of the ptl */

/* Whether the present entry @pte of @region maps a page written since it was last clean. */
static bool pte_dirty_page(struct rcl_engine *engine, pte_t pte, bool shared_file)
{
	if (!pte_present(pte) || is_zero_pte(pte))
		return false;
	return (!shared_file && (pte & PTE_DIRTY)) || pte_mapped_out(pte) ||
	       PageDirty(pfn_to_page(engine, pte_pfn(pte)));
}

/*
 * Present pages of @region written since they were last clean: PG_dirty or a dirty entry,
 * and the pages a client holds mapped (their bytes are its own until taken back, which
 * dirties them). A shared file mapping's entries keep their dirty bit after writeback cleans
 * the page (nothing here does page_mkclean): PG_dirty alone says for them. Anonymous entries'
 * bit moves to the page only when it is unmapped, so until then it counts; a private file
 * mapping's file pages are never written through it (a write copies them). The table's
 * leaves are scanned as they are, 8 (a pte page's worth) per hold of the ptl, as smaps walks,
 * so a fault in the region waits for one batch at most; the sum is a snapshot as smaps' is.
 */
static uint64_t region_dirty_pages(struct rcl_engine *engine, struct region *region)
{
	bool shared_file = region->file &&
			   (__atomic_load_n(&region->vm_flags, __ATOMIC_RELAXED) & VM_SHARED);
	unsigned long index = 0, base, k;
	uint64_t dirty = 0;
	unsigned int n;

	while (index < region->nr_pages) {
		pte_lock(region);
		if (region->dead) {
			pte_unlock(region);
			return 0;
		}
		for (n = 0; n < DIRTY_WALK_LEAVES && index < region->nr_pages; n++) {
			struct xa_node *leaf = xa_next_leaf(&region->pt, index);

			if (!leaf) {
				index = region->nr_pages;
				break;
			}
			base = xa_leaf_index(leaf);
			for (k = 0; k < XA_CHUNK_SIZE && base + k < region->nr_pages; k++)
				dirty += pte_dirty_page(engine, ptep_get(&leaf->entries[k]),
							shared_file);
			index = base + XA_CHUNK_SIZE;
		}
		pte_unlock(region);
	}
	return dirty;
}

/*
 * The region by reference and its counts read atomically, without mm_lock: the daemon's
 * event loop answers RegionInfo with it while reclaim or a fault holds that.
 */
int rcl_region_info(struct rcl_engine *engine, uint32_t id, struct rcl_region_info *ret)
{
	struct region *region = region_lookup_get(engine, id);
	unsigned int flags;

	if (!region)
		return -ENOENT;
	flags = __atomic_load_n(&region->vm_flags, __ATOMIC_RELAXED);
	ret->type = region->file ? RCL_REGION_FILE : RCL_REGION_ANON;
	ret->nr_pages = region->nr_pages;
	ret->memcg_id = region->memcg->user_id;
	ret->flags = (flags & VM_SHARED ? RCL_REGION_SHARED : 0) |
		     (flags & VM_EXEC ? RCL_REGION_EXEC : 0) |
		     (flags & VM_LOCKED ? RCL_REGION_LOCKED : 0);
	ret->resident = region_count_read(&region->rss);
	ret->swapped = region_count_read(&region->swapents);
	ret->dirty = region_dirty_pages(engine, region);
	region_put_unlocked(engine, region);
	return 0;
}

int rcl_file_read(struct rcl_engine *engine, const char *path, uint64_t offset, void *buf,
		  size_t len, size_t *ret_read)
{
	struct address_space *mapping;
	int err = 0;

	mm_lock(engine);
	mapping = file_open(engine, path, 0, false, &err);
	if (mapping) {
		err = generic_file_read(engine, mapping, offset, buf, len, ret_read);
		file_put(engine, mapping);
	}
	api_exit(engine, NULL);
	return err;
}

int rcl_file_write(struct rcl_engine *engine, const char *path, uint64_t offset,
		   const void *buf, size_t len)
{
	struct address_space *mapping;
	int err = 0;

	if (offset + len < offset || (offset + len) >> PAGE_SHIFT >= REGION_MAX_PAGES)
		return -EINVAL;
	mm_lock(engine);
	mapping = file_open(engine, path, 0, true, &err);
	if (mapping) {
		err = generic_file_write(engine, mapping, offset, buf, len);
		file_put(engine, mapping);
	}
	api_exit(engine, NULL);
	return err;
}

/* Every file written back under the lock, then fsynced without it (see rcl_region_msync). */
int rcl_sync_all(struct rcl_engine *engine)
{
	struct address_space *mapping, **files = NULL;
	size_t nr = 0, i;
	int err = 0, e, *fsync_errs;

	mm_lock(engine);
	for (mapping = engine->files; mapping; mapping = mapping->next)
		nr++;
	files = calloc(nr ? nr : 1, sizeof(*files));
	fsync_errs = calloc(nr ? nr : 1, sizeof(*fsync_errs));
	/*
	 * Each file is held (refcount) from before its writeback, whose wait lets mm_lock go,
	 * until its fsync's result is in, so that a file nobody else uses is not dropped under
	 * the walk (file_open's failure path, file_put_final) and its next is read while it is
	 * still on engine->files.
	 */
	if (!files || !fsync_errs) {
		/* No room for the list: each file written and fsynced in turn. */
		for (mapping = engine->files; mapping; mapping = mapping->next) {
			mapping->refcount++;
			if ((e = filemap_write_and_wait(engine, mapping)) && !err)
				err = e;
			mapping->refcount--;	/* not file_put: its next is read */
		}
		file_prune_unused(engine);	/* one removed meanwhile */
		mm_unlock(engine);
		free(files);
		free(fsync_errs);
		return err;
	}
	for (i = 0, mapping = engine->files; mapping && i < nr; mapping = mapping->next) {
		mapping->refcount++;
		files[i++] = mapping;
		filemap_fdatawrite(engine, mapping);
	}
	nr = i;
	mm_unlock(engine);
	for (i = 0; i < nr; i++)
		fsync_errs[i] = fsync(files[i]->fd) < 0 ? -errno : 0;
	mm_lock(engine);
	for (i = 0; i < nr; i++) {
		if ((e = filemap_fsync_result(files[i], fsync_errs[i])) && !err)
			err = e;
		file_put(engine, files[i]);
	}
	mm_unlock(engine);
	free(files);
	free(fsync_errs);
	return err;
}
