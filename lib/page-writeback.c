/*
 * page-writeback.c - dirty pages and their writeback: dirty accounting, the writeback flags and
 * their completion (end_page_writeback rotates pages reclaim is waiting for, spec 18), the plug
 * that turns a reclaim batch into few large writes, the flusher, msync, and dirty limits.
 *
 * In deterministic mode I/O completes inside blk_finish_plug (or at once without a plug) and
 * the flusher runs inline, but pages still pass through PG_writeback and the completion path:
 * the state machine is the real one, only its timing is collapsed.
 *
 * Caller holds engine->mm_lock; waits for writeback (writeback_wait_all, writeback_throttle,
 * a paused writer) let it go, and completions run under it (model_complete).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "memcontrol.h"
#include "vmscan.h"

/* Only page cache pages of files count as dirty file pages (anon and swap cache do not). */
static struct address_space *page_file_mapping(struct page *page)
{
	struct address_space *mapping;

	if (PageSwapBacked(page) || !page->mapping || page->mapping == RAW_MAPPING_ID)
		return NULL;
	mapping = mapping_lookup(page_engine(page), page->mapping);
	return mapping && mapping->type == MAPPING_FILE ? mapping : NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void account_page_dirty(struct page *page, struct address_space *mapping, long delta)
{
	if (!mapping->nr_dirty && delta > 0)
		mapping->dirtied_when = now_ns();	/* __mark_inode_dirty */
	if (delta > 0)
		current_or_default(mapping->engine)->nr_dirtied++;
	mapping->nr_dirty += (unsigned long)delta;
	mod_node_page_state(page_pgdat(page), NR_FILE_DIRTY, delta);
	mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, delta);
	if (delta > 0)
		mod_node_page_state(page_pgdat(page), NR_DIRTIED, 1);
}

/* Mark @page dirty; true if it was clean. File pages are accounted for the dirty limits. */
bool set_page_dirty(struct page *page)
{
	struct address_space *mapping;

	/* Rewrites of dirty pages are the common case: no atomic when nothing changes. */
	if (PageDirty(page) || TestSetPageDirty(page))
		return false;
	mapping = page_file_mapping(page);
	if (mapping)
		account_page_dirty(page, mapping, 1);
	return true;
}

/*
 * set_page_dirty of a page its caller knows is anonymous (mapped by an anonymous entry): there
 * is no address space to account, only the flag, as the kernel's __set_page_dirty_no_writeback
 * for a PageAnon page. It needs neither mm_lock nor the mapping table, so a page-table lock
 * holder alone may call it (the resident copy, try_to_unmap).
 */
bool set_anon_page_dirty(struct page *page)
{
	return !PageDirty(page) && !TestSetPageDirty(page);
}

/* Clear PG_dirty before a write; true if the page was dirty (it must then be written). */
bool clear_page_dirty_for_io(struct page *page)
{
	struct address_space *mapping;

	if (!TestClearPageDirty(page))
		return false;
	mapping = page_file_mapping(page);
	if (mapping)
		account_page_dirty(page, mapping, -1);
	return true;
}

void set_page_writeback(struct page *page)
{
	struct address_space *mapping = page_file_mapping(page);

	if (mapping)
		mapping->nr_writeback++;
	SetPageWriteback(page);
	mod_node_page_state(page_pgdat(page), NR_WRITEBACK, 1);
	mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, 1);
}

/*
 * Writeback of @page ended. A page reclaim marked (PG_reclaim) goes to the tail of its inactive
 * list so that the next scan frees it at once (spec 18).
 */
void end_page_writeback(struct page *page)
{
	struct address_space *mapping = page_file_mapping(page);

	if (mapping)
		mapping->nr_writeback--;
	if (PageReclaim(page)) {
		ClearPageReclaim(page);
		rotate_reclaimable_page(page);
	}
	ClearPageWriteback(page);
	if (page_engine(page)->nr_dirty_waiters)
		wake_up_all(&page_engine(page)->dirty_wait);
	mod_node_page_state(page_pgdat(page), NR_WRITEBACK, -1);
	mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, -1);
	mod_node_page_state(page_pgdat(page), NR_WRITTEN, 1);
	put_page(page);		/* the reference held while in flight */
}

/* A write failed with ERR: the data is still in the page, so keep it dirty and tell msync
 * later what the write said (-ENOSPC stays -ENOSPC: a full disk is not an I/O error). */
static void writeback_error(struct page *page, struct address_space *mapping, int err)
{
	SetPageError(page);
	ClearPageReclaim(page);
	set_page_dirty(page);
	if (mapping)
		mapping->wb_err = err;
}

/* ---- the plug ------------------------------------------------------------------------- */

/* One submitted batch of swap writes; it lives until its last page has completed. */
struct swap_batch {
	unsigned int nr, done;
	struct page *pages[];
};

/* The model's side of a swap write's completion: runs with mm_lock held (model_complete). */
static void swap_page_written(void *private, long index, long err)
{
	struct swap_batch *b = private;
	struct page *page = b->pages[index];

	if (err)
		writeback_error(page, NULL, err);
	end_page_writeback(page);
	if (++b->done == b->nr)
		free(b);
}

/* Whichever thread reaped the write: the model work waits for mm_lock's holder if need be. */
static void swap_batch_end_io(void *private, int index, int err)
{
	struct swap_batch *b = private;

	model_complete(page_engine(b->pages[index]), swap_page_written, b, index, err);
}

static void flush_swap_pages(struct rcl_engine *engine, struct page **pages, unsigned int nr)
{
	struct swap_batch *b = malloc(sizeof(*b) + nr * sizeof(struct page *));
	swp_entry_t entries[BLK_PLUG_MAX];
	void *bufs[BLK_PLUG_MAX];
	unsigned int i;

	if (!nr) {
		free(b);
		return;
	}
	if (!b) {
		/* Model work: submitting without mm_lock (__blk_flush_plug) takes it here. */
		bool held = mm_locked_by_current(engine);

		if (!held)
			mm_lock(engine);
		for (i = 0; i < nr; i++) {
			writeback_error(pages[i], NULL, -ENOMEM);
			end_page_writeback(pages[i]);
		}
		if (!held)
			mm_unlock(engine);
		return;
	}
	b->nr = nr;
	b->done = 0;
	for (i = 0; i < nr; i++) {
		b->pages[i] = pages[i];
		entries[i] = swp_entry(pages[i]->private);
		bufs[i] = page_address(pages[i]);
	}
	/* On refusal nothing was started: complete every page with the error ourselves. */
	if (swap_writepages(engine, entries, bufs, (int)nr, swap_batch_end_io, b) < 0)
		for (i = 0; i < nr; i++)
			swap_batch_end_io(b, (int)i, -EIO);
}

struct file_run {
	struct address_space *mapping;
	struct page **pages;
	unsigned int nr;
};

/* The model's side of a file write's completion: runs with mm_lock held (model_complete). */
static void file_run_written(void *private, long res, long unused)
{
	struct io_req *req = private;
	struct file_run *run = req->private;
	struct address_space *mapping = run->mapping;
	uint64_t end = (uint64_t)(run->pages[0]->index + run->nr) << PAGE_SHIFT;
	unsigned int i;

	/* O_DIRECT writes whole pages: give the file its real length back. */
	if (res >= 0 && end > mapping->i_size && ftruncate(mapping->fd, (off_t)mapping->i_size))
		res = -errno;
	for (i = 0; i < run->nr; i++) {
		if (res < 0)
			writeback_error(run->pages[i], mapping, res);
		end_page_writeback(run->pages[i]);
	}
	free(req->iov);
	free(req);
	free(run);
}

static void file_run_end_io(struct io_req *req, int res)
{
	struct file_run *run = req->private;

	model_complete(run->mapping->engine, file_run_written, req, res, 0);
}

/* Submit consecutive pages of one file as one vectored write. */
static void submit_file_run(struct rcl_engine *engine, struct address_space *mapping,
			    struct page **pages, unsigned int nr)
{
	struct io_req *req = calloc(1, sizeof(*req));
	struct iovec *iov = calloc(nr, sizeof(*iov));
	struct file_run *run = calloc(1, sizeof(*run) + nr * sizeof(struct page *));
	unsigned int i;
	int ret;

	if (!req || !iov || !run) {
		/* Model work: submitting without mm_lock (__blk_flush_plug) takes it here. */
		bool held = mm_locked_by_current(engine);

		free(req);
		free(iov);
		free(run);
		if (!held)
			mm_lock(engine);
		for (i = 0; i < nr; i++) {
			writeback_error(pages[i], mapping, -ENOMEM);
			end_page_writeback(pages[i]);
		}
		if (!held)
			mm_unlock(engine);
		return;
	}
	run->mapping = mapping;
	run->pages = (struct page **)(run + 1);
	run->nr = nr;
	for (i = 0; i < nr; i++) {
		run->pages[i] = pages[i];
		iov[i].iov_base = page_address(pages[i]);
		iov[i].iov_len = PAGE_SIZE;
	}
	*req = (struct io_req){ .fd = mapping->fd, .write = true,
				.offset = (uint64_t)pages[0]->index << PAGE_SHIFT,
				.iov = iov, .iovcnt = (int)nr, .end_io = file_run_end_io,
				.private = run };
	/* Counted at submission, as submit_bio counts, in KiB as /proc/vmstat shows it. */
	count_vm_events(engine, PGPGOUT, (unsigned long)nr * (PAGE_SIZE >> 10));
	/* Submitting can wait for room in the ring: see swap_writepages. */
	if (mm_locked_by_current(engine))
		count_vm_events(engine, FILE_WRITEOUT_LOCKED, nr);
	ret = io_submit(engine->file_io, req);
	if (ret < 0)
		file_run_end_io(req, ret);
}

/*
 * The runs of consecutive pages of one file in @pages (in file order), each with its mapping,
 * looked up in the engine's table while mm_lock is held: the number of runs, run r starting
 * at @starts[r] in @pages and ending at @starts[r + 1], of @maps[r].
 */
static unsigned int file_runs(struct rcl_engine *engine, struct page **pages, unsigned int nr,
			      unsigned int *starts, struct address_space **maps)
{
	unsigned int start = 0, runs = 0, i;

	for (i = 1; i <= nr; i++) {
		if (i < nr && pages[i]->mapping == pages[i - 1]->mapping &&
		    pages[i]->index == pages[i - 1]->index + 1)
			continue;
		starts[runs] = start;
		maps[runs++] = mapping_lookup(engine, pages[start]->mapping);
		start = i;
	}
	starts[runs] = nr;
	return runs;
}

static void flush_file_runs(struct rcl_engine *engine, struct page **pages,
			    unsigned int *starts, struct address_space **maps, unsigned int runs)
{
	unsigned int r;

	for (r = 0; r < runs; r++)
		submit_file_run(engine, maps[r], pages + starts[r], starts[r + 1] - starts[r]);
}

static int cmp_page_file_order(const void *a, const void *b)
{
	const struct page *x = *(struct page *const *)a, *y = *(struct page *const *)b;

	if (x->mapping != y->mapping)
		return x->mapping < y->mapping ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Submit everything queued in @plug: swap pages in slot order, file pages in file order. With
 * @drop the caller holds mm_lock and can let it go here: the writes are then submitted
 * without it. Their pages are unlocked and PG_writeback, so nothing of them changes meanwhile
 * (the slot in page->private, the file and index, and the frame stay theirs until
 * end_page_writeback), and what submitting costs (a CRC32C a swap page, the io_uring
 * submission that runs the block layer inline, a wait for room in the ring) holds no other
 * thread up: in the kernel swap_writepage and the file's writepages run under the page lock
 * alone. The files' mappings are looked up in the engine's table first, under the lock. A
 * mapping is not freed while pages of it are under writeback: the one thread that frees a
 * file in use by nobody waits for them first (file_drop_unused), and a sync waits for the
 * pages it skipped as under writeback (filemap_fdatawait_range).
 */
static void __blk_flush_plug(struct rcl_engine *engine, struct blk_plug *plug, bool drop)
{
	struct page *swap_pages[BLK_PLUG_MAX], *file_pages[BLK_PLUG_MAX];
	struct address_space *maps[BLK_PLUG_MAX];
	unsigned int i, nr_swap = 0, nr_file = 0, runs = 0, starts[BLK_PLUG_MAX + 1];

	for (i = 0; i < plug->nr; i++) {
		struct page *page = plug->pages[i];

		if (PageSwapCache(page))
			swap_pages[nr_swap++] = page;
		else
			file_pages[nr_file++] = page;
	}
	plug->nr = 0;
	if (nr_file) {
		qsort(file_pages, nr_file, sizeof(file_pages[0]), cmp_page_file_order);
		runs = file_runs(engine, file_pages, nr_file, starts, maps);
	}
	if (drop) {
		void (*hook)(struct rcl_engine *) = atomic_load(&engine->unlocked_submit_hook);

		mm_drop(engine);
		if (hook)
			hook(engine);
		flush_file_runs(engine, file_pages, starts, maps, runs);
		flush_swap_pages(engine, swap_pages, nr_swap);
		mm_retake(engine);
		return;
	}
	flush_file_runs(engine, file_pages, starts, maps, runs);
	if (nr_swap) {
		/* Reclaim in a daemon flushes between batches, where it can let mm_lock go: a
		 * submission here, which can wait for room in the ring, is a sleep under it. */
		if (reclaim_may_sleep(engine) &&
		    (current_or_default(engine)->flags & PF_MEMALLOC))
			might_sleep();
		flush_swap_pages(engine, swap_pages, nr_swap);
	}
}

static void blk_flush_plug(struct rcl_engine *engine, struct blk_plug *plug)
{
	__blk_flush_plug(engine, plug, false);
}

/*
 * Wait for every write in flight; their completions (end_page_writeback) run here. In the
 * deterministic engine every reclaim entry point calls it before returning: I/O never
 * outlives the call that started it. In a daemon kswapd, direct reclaim and the charge's
 * reclaim submit their writes and go on (balance_pgdat, __perform_reclaim,
 * try_to_free_mem_cgroup_pages_async).
 */
void writeback_wait_all(struct rcl_engine *engine)
{
	bool held = mm_locked_by_current(engine);

	/* As schedule() submits a sleeping task's plug: the wait may be for pages this thread
	 * queued itself under mm_lock (a sync inside an outer plug), which would otherwise go
	 * out only at the outer blk_finish_plug, after the wait. */
	if (held)
		blk_flush_plug_unlocked(engine);
	/* Nobody waits for I/O holding the model lock: the completions need it. */
	if (held)
		mm_drop(engine);
	if (engine->swap)
		io_wait_all(engine->swap->io);
	io_wait_all(engine->file_io);
	if (held)
		mm_retake(engine);	/* runs the completions that waited for the lock */
}

/*
 * Wait a while for writeback (should_reclaim_retry's congestion_wait): 100 ms in a daemon,
 * where the writes complete meanwhile; in the deterministic engine the logical step is that
 * they have completed.
 */
void writeback_throttle(struct rcl_engine *engine)
{
	struct timespec deadline;

	if (!reclaim_may_sleep(engine)) {
		writeback_wait_all(engine);
		return;
	}
	blk_flush_plug_unlocked(engine);	/* as writeback_wait_all */
	clock_gettime(CLOCK_REALTIME, &deadline);
	timespec_add_ms(&deadline, 100);
	engine->nr_dirty_waiters++;	/* woken by end_page_writeback */
	mm_wait_event(engine, &engine->dirty_wait, &deadline);
	engine->nr_dirty_waiters--;
}

/* Run the completions of writes that have finished, without waiting (the I/O interrupt). */
void writeback_reap(struct rcl_engine *engine)
{
	if (engine->swap)
		io_reap(engine->swap->io);
	io_reap(engine->file_io);
}

void blk_start_plug(struct rcl_engine *engine)
{
	current_or_default(engine)->plug.depth++;
}

void blk_finish_plug(struct rcl_engine *engine)
{
	struct blk_plug *plug = &current_or_default(engine)->plug;

	/* Submitted, not waited for: with an asynchronous backend the I/O overlaps what the
	 * reclaimer does next, and completes by the time its reclaim call returns. */
	if (--plug->depth == 0)
		blk_flush_plug(engine, plug);
}

/*
 * Submit what the plug holds, for a caller that can let mm_lock go here: one that holds
 * nothing it must revalidate (shrink_node_memcg between batches, nothing isolated). In a
 * daemon the swap writes are then submitted without the lock (__blk_flush_plug); the
 * deterministic engine keeps it throughout.
 */
void blk_flush_plug_unlocked(struct rcl_engine *engine)
{
	struct blk_plug *plug = &current_or_default(engine)->plug;

	if (plug->nr)
		__blk_flush_plug(engine, plug, reclaim_may_sleep(engine) &&
				 mm_locked_by_current(engine));
}

/*
 * Whether @nr more pages might fill the plug. queue_writeback submits a full plug at once,
 * under whatever lock its caller holds: reclaim asks before each batch and flushes first
 * (blk_flush_plug_unlocked), so the batch's writes never go out under mm_lock.
 */
bool blk_plug_nearly_full(struct rcl_engine *engine, unsigned long nr)
{
	struct blk_plug *plug = &current_or_default(engine)->plug;

	return plug->depth && plug->nr + nr >= BLK_PLUG_MAX;
}

/*
 * blk_finish_plug for a caller that can let mm_lock go here, as reclaim can where it may sleep
 * in congestion_wait anyway (shrink_node_memcg): in a daemon the swap writes are submitted
 * without the lock (__blk_flush_plug). The deterministic engine keeps it throughout.
 */
void blk_finish_plug_unlocked(struct rcl_engine *engine)
{
	struct blk_plug *plug = &current_or_default(engine)->plug;

	if (--plug->depth == 0)
		blk_flush_plug_unlocked(engine);
}

/*
 * Queue a locked, dirty-cleared page for writing: it becomes PG_writeback (holding a
 * reference until completion) and is unlocked. Written at once when no plug is active.
 */
static void queue_writeback(struct page *page)
{
	struct rcl_engine *engine = page_engine(page);
	struct blk_plug *plug = &current_or_default(engine)->plug;

	get_page(page);
	set_page_writeback(page);
	unlock_page(page);
	plug->pages[plug->nr++] = page;
	/* A full plug goes out at once and its I/O overlaps the rest of the batch (with an
	 * asynchronous backend); without a plug it goes out alone. Nobody waits for it here:
	 * end_page_writeback finishes the page whenever the write completes (spec 18). */
	if (plug->nr == BLK_PLUG_MAX || plug->depth == 0)
		blk_flush_plug(engine, plug);
}

/* Write a locked file page whose dirty bit the caller cleared (the file's writepage). */
int file_writepage(struct page *page)
{
	queue_writeback(page);
	return 0;
}

/* Write a locked swap cache page to its slot (swap_writepage); 0 or -errno. */
int swap_writepage(struct page *page)
{
	swp_entry_t entry = swp_entry(page->private);

	if (!swap_entry_valid(page_engine(page), entry)) {
		/* A retiring slot (its write failed): the page stays dirty in memory until
		 * reclaim moves it to a good one (unuse_retired_swap). */
		set_page_dirty(page);
		unlock_page(page);
		return -EIO;
	}
	queue_writeback(page);
	return 0;
}

/* ---- the flusher ---------------------------------------------------------------------- */

/*
 * Write back every dirty page of @mapping in [@start, @end) that is not in flight, at most
 * @nr_to_write; the pages stay cached. Returns how many it started writing, and in *@ret_next
 * the index after the last one (the kernel's done_index), or @end when it went through, and
 * in *@ret_skipped the dirty pages it left, being in flight or locked by another thread.
 *
 * The walk goes leaf by leaf: starting writes neither adds nor removes page cache entries, so
 * a leaf stays valid while its 64 slots are looked at, and each leaf costs one descent of the
 * tree instead of one per page. The writes go out between leaves and at the end, in a daemon
 * without mm_lock (blk_flush_plug_unlocked): the caller must hold nothing that the lock's
 * absence would invalidate but @mapping, on which the walk holds a reference meanwhile, so
 * that it is not freed (file_drop_unused) and stays on engine->files.
 */
static unsigned long __write_cache_pages(struct rcl_engine *engine,
					 struct address_space *mapping, unsigned long start,
					 unsigned long end, unsigned long nr_to_write,
					 unsigned long *ret_next, unsigned long *ret_skipped)
{
	unsigned long base, slot, written = 0, next = end, skipped = 0;
	struct xa_node *leaf;

	if (!mapping->nr_dirty || start >= end)
		goto out;
	/* The walk may let mm_lock go: a mapping in use is never freed (file_drop_unused). */
	mapping->refcount++;
	blk_start_plug(engine);
	for (leaf = xa_next_leaf(&mapping->i_pages, start); leaf;
	     leaf = base + XA_CHUNK_SIZE ? xa_next_leaf(&mapping->i_pages, base + XA_CHUNK_SIZE) :
					   NULL) {
		base = xa_leaf_index(leaf);
		if (base >= end)
			break;
		for (slot = start > base ? start - base : 0;
		     slot < XA_CHUNK_SIZE && base + slot < end; slot++) {
			pgcache_slot_t s = leaf->entries[slot];
			struct page *page;

			if (!mapping->nr_dirty || written >= nr_to_write) {
				next = base + slot;
				goto done;
			}
			if (!slot_is_page(s))
				continue;
			page = pfn_to_page(engine, slot_pfn(s));
			if (!PageDirty(page))
				continue;
			if (PageWriteback(page) || !trylock_page(page)) {
				skipped++;	/* dirty, but in flight or busy: see filemap_fdatawrite_range */
				continue;
			}
			if (clear_page_dirty_for_io(page)) {
				file_writepage(page);
				written++;
			} else {
				unlock_page(page);
			}
		}
		/* Between leaves nothing is held (the next one is looked up again): a plug
		 * about to fill goes out here, without mm_lock in a daemon. */
		if (blk_plug_nearly_full(engine, XA_CHUNK_SIZE))
			blk_flush_plug_unlocked(engine);
	}
done:
	blk_finish_plug_unlocked(engine);
	/* The file's last user: one removed meanwhile was passed over by its remover's prune,
	 * which the flusher does again after its round (file_prune_unused). */
	if (!--mapping->refcount)
		engine->files_put_unpruned = true;
out:
	if (ret_next)
		*ret_next = next;
	if (ret_skipped)
		*ret_skipped = skipped;
	return written;
}

static unsigned long write_cache_pages(struct rcl_engine *engine, struct address_space *mapping,
				       unsigned long start, unsigned long end)
{
	return __write_cache_pages(engine, mapping, start, end, ULONG_MAX, NULL, NULL);
}

/* Write back and fsync one file; returns (and clears) a writeback error since the last call. */
int filemap_write_and_wait(struct rcl_engine *engine, struct address_space *mapping)
{
	filemap_fdatawrite(engine, mapping);
	return filemap_fsync_result(mapping, fsync(mapping->fd) < 0 ? -errno : 0);
}

/* Write back the dirty pages of @mapping and wait for those writes (not for fsync). */
void filemap_fdatawrite(struct rcl_engine *engine, struct address_space *mapping)
{
	filemap_fdatawrite_range(engine, mapping, 0, ULONG_MAX);
}

/*
 * Wait until no page of @mapping in [@start, @end) is under writeback (the kernel's
 * __filemap_fdatawait_range): page by page, each until its write is done. Waiting for the
 * I/O in flight is not enough: another writer (the flusher, reclaim) may have set
 * PG_writeback on pages and let mm_lock go before submitting them (__blk_flush_plug), and a
 * sync that skipped them as in flight must not return before they are written. Only pages of
 * the range are waited for, so a writer that keeps other pages of the file in flight holds no
 * sync up. In the deterministic engine nobody lets the lock go: what was set is submitted,
 * and waiting for the I/O is all.
 */
void filemap_fdatawait_range(struct rcl_engine *engine, struct address_space *mapping,
			     unsigned long start, unsigned long end)
{
	unsigned long idx = start;

	writeback_wait_all(engine);
	while (mapping->nr_writeback && reclaim_may_sleep(engine) &&
	       (idx = xa_find(&mapping->i_pages, idx, end)) < end) {
		pgcache_slot_t s = page_cache_slot(mapping, idx);

		if (!slot_is_page(s) || !PageWriteback(pfn_to_page(engine, slot_pfn(s)))) {
			idx++;
			continue;
		}
		writeback_throttle(engine);	/* woken by end_page_writeback, 100 ms at most */
		writeback_wait_all(engine);	/* and what was submitted meanwhile */
	}
}

/*
 * The same for the pages of index [@start, @end); returns how many were written. A sync
 * (WB_SYNC_ALL): a page dirtied again while its last write was in flight, or locked by
 * another thread, was skipped by the walk, and the write in flight has the bytes from before;
 * so once the writes in flight are done, the range is walked again and such pages written,
 * as the kernel's write_cache_pages waits for them in WB_SYNC_ALL. Otherwise msync could
 * return with older bytes on disk than the caller wrote before it.
 */
unsigned long filemap_fdatawrite_range(struct rcl_engine *engine, struct address_space *mapping,
				       unsigned long start, unsigned long end)
{
	unsigned long skipped, written;

	written = __write_cache_pages(engine, mapping, start, end, ULONG_MAX, NULL, &skipped);
	filemap_fdatawait_range(engine, mapping, start, end);
	if (skipped) {
		written += __write_cache_pages(engine, mapping, start, end, ULONG_MAX, NULL,
					       NULL);
		filemap_fdatawait_range(engine, mapping, start, end);
	}
	return written;
}

/* Fold @fsync_err into the mapping's sticky error and hand it out once. */
int filemap_fsync_result(struct address_space *mapping, int fsync_err)
{
	int err;

	if (fsync_err && !mapping->wb_err)
		mapping->wb_err = fsync_err;
	err = mapping->wb_err;
	mapping->wb_err = 0;
	return err;
}

/* The dirty thresholds of the moment (spec 18 global_dirty_limits), in pages. */
static void global_dirty_limits(struct rcl_engine *engine, unsigned long *ret_bg,
				unsigned long *ret_thresh)
{
	unsigned long free = global_zone_page_state(engine, NR_FREE_PAGES);
	unsigned long dirtyable, thresh, bg_thresh;

	dirtyable = free - min_t(unsigned long, free, engine->totalreserve_pages) +
		    global_node_page_state(engine, NR_ACTIVE_FILE) +
		    global_node_page_state(engine, NR_INACTIVE_FILE) + 1;
	thresh = dirtyable * (unsigned long)engine->dirty_ratio / 100;
	bg_thresh = dirtyable * (unsigned long)engine->dirty_background_ratio / 100;
	if (bg_thresh >= thresh)
		bg_thresh = thresh / 2;
	*ret_bg = bg_thresh;
	*ret_thresh = thresh;
}

static unsigned long global_dirty_pages(struct rcl_engine *engine)
{
	return global_node_page_state(engine, NR_FILE_DIRTY) +
	       global_node_page_state(engine, NR_WRITEBACK);
}

/* The dirty file whose pages were dirtied first, or NULL (the oldest inode on b_dirty). */
static struct address_space *oldest_dirty_mapping(struct rcl_engine *engine)
{
	struct address_space *mapping, *oldest = NULL;

	for (mapping = engine->files; mapping; mapping = mapping->next)
		if (mapping->nr_dirty && (!oldest || mapping->dirtied_when < oldest->dirtied_when))
			oldest = mapping;
	return oldest;
}

/*
 * Background writeback (wb_check_background_flush): oldest files first, in chunks of
 * MAX_WRITEBACK_PAGES, until the dirty pages are back under the background threshold. What
 * is left dirty below it stays for the periodic writeback, or for reclaim to meet.
 */
#define MAX_WRITEBACK_PAGES	1024UL

/*
 * At most @nr_to_write pages of @mapping, going on from where the last chunk stopped and
 * wrapping once (the kernel's range_cyclic): chunk after chunk, a file is walked once, not
 * from its start each time, which made writing a large file quadratic.
 */
static unsigned long write_cache_pages_cyclic(struct rcl_engine *engine,
					      struct address_space *mapping,
					      unsigned long nr_to_write)
{
	unsigned long start = mapping->writeback_index, next, written;

	written = __write_cache_pages(engine, mapping, start, ULONG_MAX, nr_to_write, &next, NULL);
	if (written < nr_to_write && start) {
		written += __write_cache_pages(engine, mapping, 0, start, nr_to_write - written,
					       &next, NULL);
		if (next == start)
			next = 0;
	}
	mapping->writeback_index = next == ULONG_MAX ? 0 : next;
	return written;
}

static void wb_writeback_background(struct rcl_engine *engine)
{
	unsigned long bg_thresh, thresh, over, rounds;

	for (rounds = 0; rounds < 1UL << 20; rounds++) {
		struct address_space *mapping;

		global_dirty_limits(engine, &bg_thresh, &thresh);
		over = global_node_page_state(engine, NR_FILE_DIRTY);
		if (over <= bg_thresh || !(mapping = oldest_dirty_mapping(engine)))
			return;
		over -= bg_thresh;
		if (!write_cache_pages_cyclic(engine, mapping,
					      min_t(unsigned long, over, MAX_WRITEBACK_PAGES)))
			return;		/* nothing could be started: all under writeback */
	}
}

/* Periodic writeback (wb_check_old_data_flush): files dirtied dirty_expire_centisecs ago. */
#define DIRTY_EXPIRE_NS		(30ULL * 1000000000ULL)	/* dirty_expire_centisecs: 3000 */

static void wb_writeback_old_data(struct rcl_engine *engine)
{
	uint64_t expired = now_ns() - DIRTY_EXPIRE_NS;
	struct address_space *mapping;

	for (mapping = engine->files; mapping; mapping = mapping->next)
		if (mapping->nr_dirty && mapping->dirtied_when <= expired)
			write_cache_pages(engine, mapping, 0, ULONG_MAX);
}

/* Queue flusher work and wake the flusher (wb_start_writeback). */
static void wb_wakeup(struct rcl_engine *engine, unsigned int reason)
{
	engine->flusher_work |= reason;
	wake_up_all(&engine->flusher_wait);
}

/*
 * Ask the flushers to write back every dirty page now (WB_REASON_VMSCAN, spec 11.3 step 8).
 * The flusher works asynchronously to the reclaimer that woke it: in deterministic mode its
 * work runs when that reclaim pass ends (flush_pending_writeback), so the pass itself still
 * meets the dirty pages, as a kernel reclaimer does while the flusher is busy.
 */
void wakeup_flusher_threads(struct rcl_engine *engine)
{
	wb_wakeup(engine, WB_VMSCAN);
}

/*
 * Where the flusher's work runs: a daemon's flusher thread does it; the deterministic engine,
 * which has none, runs it where it was asked for (the end of a reclaim pass), so that the pass
 * itself still met the dirty pages.
 */
void wb_run_inline(struct rcl_engine *engine)
{
	if (!reclaim_may_sleep(engine))
		flush_pending_writeback(engine);
}

/* The flusher's periodic round (every dirty_writeback_centisecs): old data, then background. */
void wb_periodic(struct rcl_engine *engine)
{
	engine->flusher_work |= WB_PERIODIC | WB_BACKGROUND;
	flush_pending_writeback(engine);
}

/*
 * Run the flusher's pending work (wb_do_writeback): the flusher thread in a daemon, the end of
 * the reclaim pass or of the write that asked for it in the deterministic engine.
 */
void flush_pending_writeback(struct rcl_engine *engine)
{
	unsigned int work = engine->flusher_work;
	struct address_space *mapping;

	engine->flusher_work = 0;
	if (work & WB_VMSCAN)
		for (mapping = engine->files; mapping; mapping = mapping->next)
			write_cache_pages(engine, mapping, 0, ULONG_MAX);
	if (work & WB_PERIODIC)
		wb_writeback_old_data(engine);
	if (work & WB_BACKGROUND)
		wb_writeback_background(engine);
	/* Writers paused over the dirty threshold wait for these writes now (balance_dirty_pages). */
	if (engine->nr_dirty_waiters)
		wake_up_all(&engine->dirty_wait);
}

/* On the way out of a call that dirtied file pages (balance_dirty_pages_ratelimited). */
void balance_dirty_pages_ratelimited(struct rcl_engine *engine)
{
	struct task_struct *task = current_or_default(engine);

	if (!task->nr_dirtied)
		return;
	task->nr_dirtied = 0;
	balance_dirty_pages(engine);
}

/*
 * Dirty throttling (spec 18 balance_dirty_pages): above the background threshold the flusher
 * starts (in the deterministic engine its work runs here and now); above the dirty threshold
 * a writer in a daemon is paused, up to 200 ms at a time and without the model lock, until
 * writeback has brought the dirty pages back under it.
 *
 * What ends a pause is writeback completing, which in the kernel an I/O interrupt does while
 * the writer sleeps. Here completions run in whichever thread reaps the ring, and while file
 * writes are in flight a paused writer may be the only thread that would: it waits for the
 * next of them to complete itself (without the model lock), as its sleep. With none in
 * flight it sleeps until the flusher has started some (flush_pending_writeback wakes it) or
 * 200 ms pass. The pauses end after 10 s over the threshold, as 50 of the kernel's longest.
 */
void balance_dirty_pages(struct rcl_engine *engine)
{
	unsigned long bg_thresh, thresh;
	struct timespec deadline;
	uint64_t give_up;

	global_dirty_limits(engine, &bg_thresh, &thresh);
	if (global_dirty_pages(engine) <= bg_thresh)
		return;
	wb_wakeup(engine, WB_BACKGROUND);
	if (!reclaim_may_sleep(engine)) {
		flush_pending_writeback(engine);
		return;
	}
	give_up = now_ns() + 50ULL * 200 * 1000000;	/* 50 times MAX_PAUSE */
	while (engine->threads_running && now_ns() < give_up) {
		unsigned long written = global_node_page_state(engine, NR_WRITTEN);
		bool in_flight;

		global_dirty_limits(engine, &bg_thresh, &thresh);
		if (global_dirty_pages(engine) <= thresh)
			return;
		engine->nr_dirty_pauses++;
		in_flight = io_busy(engine->file_io);
		if (in_flight) {
			mm_drop(engine);
			io_wait_progress(engine->file_io);
			mm_retake(engine);	/* runs the completions that waited for the lock */
		} else {
			wb_wakeup(engine, WB_BACKGROUND);
			clock_gettime(CLOCK_REALTIME, &deadline);
			timespec_add_ms(&deadline, 200);	/* MAX_PAUSE */
			engine->nr_dirty_waiters++;
			mm_wait_event(engine, &engine->dirty_wait, &deadline);
			engine->nr_dirty_waiters--;
		}
		if (in_flight && global_node_page_state(engine, NR_WRITTEN) == written)
			engine->nr_dirty_pauses_idle++;
	}
}
