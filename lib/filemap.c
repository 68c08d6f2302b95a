/*
 * filemap.c - files and their page cache: opening a file under the data directory, the page
 * cache index (which also keeps workingset shadow entries), filemap_fault for mapped access,
 * and the buffered read()/write() path, which ages pages with mark_page_accessed.
 *
 * Caller holds engine->mm_lock; reads let it go while in flight, their pages waiting locked in
 * the cache (find_get_page waits for them).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "reclaim/region.h"
#include "memcontrol.h"
#include "vmscan.h"

/*
 * Store @new in slot @index, keeping the leaf's page and shadow counts and the engine's count
 * of shadow nodes current; a leaf left empty is freed. A page or shadow goes only where the
 * leaf exists already: add_to_page_cache_lru creates it, a shadow replaces a page. The
 * caller holds the mapping's page cache lock.
 */
void page_cache_set_slot(struct address_space *mapping, unsigned long index, pgcache_slot_t new)
{
	struct xa_node *leaf = xa_leaf(&mapping->i_pages, index);
	pgcache_slot_t old;
	bool was;

	assert_i_pages_locked(mapping);
	if (!leaf)
		return;		/* only a clear can find no leaf: nothing to clear */
	old = leaf->entries[index & XA_CHUNK_MASK];
	was = shadow_node(leaf);
	leaf->nr_pages = (unsigned char)(leaf->nr_pages + slot_is_page(new) - slot_is_page(old));
	leaf->nr_values = (unsigned char)(leaf->nr_values + slot_is_shadow(new) -
					  slot_is_shadow(old));
	leaf->entries[index & XA_CHUNK_MASK] = new;
	if (shadow_node(leaf) != was)
		workingset_update_node(mapping, leaf);
	if (!leaf->nr_pages && !leaf->nr_values)
		xa_leaf_release(&mapping->i_pages, leaf);
}

/*
 * Resolve @path strictly inside the data directory: no absolute paths, no "..", and no
 * symlink that leads out (openat2 RESOLVE_BENEATH refuses every escape the kernel knows).
 * A file it creates is the daemon's alone on disk: who else may use it is the daemon's
 * business, not the file system's.
 */
static int open_beneath(struct rcl_engine *engine, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = flags & O_CREAT ? 0600 : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (!path || !*path || path[0] == '/')
		return -EINVAL;
	fd = syscall(SYS_openat2, engine->data_dir_fd, path, &how, sizeof(how));
	if (fd < 0)
		return errno == EXDEV || errno == ELOOP ? -EPERM : -errno;
	return (int)fd;
}

/*
 * The address space of the file at @path, opened on first use (created if @create and absent)
 * and made at least @min_size bytes long. A private mapping passes neither: its file is only
 * ever read. Holds a reference: release it with file_put.
 */
/*
 * Whether @path still names @mapping's inode. A file removed or replaced under the data
 * directory (by a client's FileRemove, or by hand) must not be served from the old inode's
 * cache, nor written to it. Takes no lock: the inode a mapping was opened as never changes.
 */
bool mapping_still_at(struct rcl_engine *engine, struct address_space *mapping,
		      const char *path)
{
	struct stat st;

	return fstatat(engine->data_dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       st.st_dev == mapping->i_dev && st.st_ino == mapping->i_ino;
}

static void file_drop_unused(struct rcl_engine *engine, struct address_space *mapping);

/*
 * The end of a file's cache, taken off engine->files already: its shadows, its descriptor.
 * The shadows go first, and their leaves off the shadow lists with them: the shrinker finds a
 * mapping from a listed leaf by its id, which must still name it.
 */
static void mapping_free(struct rcl_engine *engine, struct address_space *mapping)
{
	unsigned long i;

	i_pages_lock(mapping);
	xa_for_each_range(&mapping->i_pages, i, 0, ULONG_MAX)
		page_cache_set_slot(mapping, i, 0);	/* the shadows left */
	xa_destroy(&mapping->i_pages);
	i_pages_unlock(mapping);
	mapping_unregister(engine, mapping);
	close(mapping->fd);
	free(mapping->path);
	free(mapping);
}

/* The last link of @mapping's inode is gone (removed by a client or by hand): st_nlink 0. */
static bool inode_unlinked(const struct address_space *mapping)
{
	struct stat st;

	return fstat(mapping->fd, &st) == 0 && st.st_nlink == 0;
}

static void file_teardown(struct rcl_engine *engine, struct address_space *mapping);
static bool file_try_teardown(struct rcl_engine *engine, struct address_space *mapping);

/*
 * An unused file whose last link is gone: the kernel's iput_final evicts such an inode at
 * once, and truncate_inode_pages_final drops its cache, dirty pages too, since nobody can
 * read them again. Its blocks on disk go with its descriptor: kept open, they would stay
 * taken, beyond any limit on what a client's files may take, for as long as a page or a
 * shadow entry of the file remained. Writes already in flight are waited for (the pages are
 * the I/O's until it ends), held meanwhile as file_drop_unused holds. False if it could not
 * go yet (a write in flight, a page reclaim holds): it stays for the next prune.
 */
static bool file_evict(struct rcl_engine *engine, struct address_space *mapping)
{
	unsigned long i;

	mapping->refcount++;
	xa_for_each_range(&mapping->i_pages, i, 0, ULONG_MAX) {
		pgcache_slot_t s = page_cache_slot(mapping, i);

		/* cancel_dirty_page: not written, and the flusher now passes it by */
		if (slot_is_page(s))
			clear_page_dirty_for_io(pfn_to_page(engine, slot_pfn(s)));
	}
	filemap_fdatawait_range(engine, mapping, 0, ULONG_MAX);
	if (--mapping->refcount || mapping->nr_writeback)
		return false;
	return file_try_teardown(engine, mapping);
}

/*
 * The kernel evicts an unused inode once its cache is empty (prune_icache_sb, from the
 * superblock's shrinker). Here an unused file's cache holds its descriptor, which a daemon
 * has in far shorter supply than a kernel has inodes: a client writing file after file left
 * one open for each, for good. So before a file that is not cached is opened, every unused
 * one with neither pages nor shadows left (reclaim, drop_caches and the shadow shrinker took
 * them), no write in flight and no error still to report goes, descriptor and all, and every
 * unused one whose last link is gone goes whatever it caches (file_evict). A walk of the list
 * the lookup walked already, started again after an eviction, which may let mm_lock go; one
 * that cannot go yet ends it, for the next prune to try again. mm_lock held, which every
 * change of nrpages, nrexceptional and nr_writeback holds too.
 */
void file_prune_unused(struct rcl_engine *engine)
{
	struct address_space **pp, *mapping;

again:
	pp = &engine->files;
	while ((mapping = *pp)) {
		if (mapping->refcount) {
			pp = &mapping->next;
		} else if (mapping->nrpages || mapping->nrexceptional || mapping->nr_writeback ||
			   mapping->wb_err) {
			if (!inode_unlinked(mapping)) {
				pp = &mapping->next;
				continue;
			}
			if (!file_evict(engine, mapping)) {
				/* A write in flight, a page reclaim holds: the flusher
				 * tries again after its round. */
				engine->files_put_unpruned = true;
				return;
			}
			goto again;
		} else {
			*pp = mapping->next;
			mapping_free(engine, mapping);
		}
	}
}

struct address_space *file_open(struct rcl_engine *engine, const char *path, uint64_t min_size,
				bool create, int *ret_err)
{
	struct address_space *mapping;
	bool pruned = false;
	struct stat st;
	int fd, err;

again:
	for (mapping = engine->files; mapping; mapping = mapping->next) {
		if (mapping->unlinked || strcmp(mapping->path, path) != 0)
			continue;
		if (mapping_still_at(engine, mapping, path))
			goto found;
		/* The name now leads elsewhere (removed, replaced): this cache belongs to the old
		 * inode, which lives on for whoever maps it, as an unlinked file does. */
		mapping->unlinked = true;
		break;
	}
	if (!pruned) {
		/* An eviction in the prune may let mm_lock go: an open meanwhile may have cached
		 * this file, and a second cache of it must never be made. Look again. */
		pruned = true;
		file_prune_unused(engine);
		goto again;
	}
	fd = open_beneath(engine, path, O_RDWR | (create ? O_CREAT : 0) |
					(engine->config.file_buffered ? 0 : O_DIRECT));
	if (fd < 0) {
		*ret_err = fd;
		return NULL;
	}
	err = -ENOMEM;
	mapping = calloc(1, sizeof(*mapping));
	if (!mapping || !(mapping->path = strdup(path)))
		goto fail;
	mapping->type = MAPPING_FILE;
	mapping->engine = engine;
	spin_lock_init(&mapping->i_pages_lock);
	file_ra_state_init(&mapping->f_ra);
	mapping->fd = fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		goto fail;
	}
	mapping->i_size = (uint64_t)st.st_size;
	mapping->i_dev = st.st_dev;
	mapping->i_ino = st.st_ino;
	err = mapping_register(engine, mapping);
	if (err)
		goto fail;
	mapping->next = engine->files;
	engine->files = mapping;
found:
	if (mapping->i_size < min_size) {
		if (ftruncate(mapping->fd, (off_t)min_size) < 0) {
			*ret_err = -errno;
			if (!mapping->refcount)
				file_drop_unused(engine, mapping);
			return NULL;
		}
		__atomic_store_n(&mapping->i_size, min_size, __ATOMIC_RELAXED);
	}
	mapping->refcount++;
	return mapping;
fail:
	if (mapping)
		free(mapping->path);
	free(mapping);
	close(fd);
	*ret_err = err;
	return NULL;
}

/*
 * Free the cache of a file nobody uses, without letting mm_lock go, so that nobody finds it
 * meanwhile. A page still dirty (its write failed, or the file is unlinked) is cleaned first,
 * so that the dirty counts stay true.
 */
static void file_teardown(struct rcl_engine *engine, struct address_space *mapping)
{
	struct address_space **pp;
	unsigned long i;

	lru_add_drain_all(engine);
	xa_for_each_range(&mapping->i_pages, i, 0, ULONG_MAX) {
		pgcache_slot_t s = page_cache_slot(mapping, i);

		if (slot_is_page(s)) {
			struct page *page = pfn_to_page(engine, slot_pfn(s));

			clear_page_dirty_for_io(page);
			/* Unmapped: what remains is the cache's reference. */
			if (PageLRU(page) && isolate_lru_page(page) == 0)
				put_page(page);
			delete_from_page_cache(page);
			put_page(page);
		}
	}
	for (pp = &engine->files; *pp; pp = &(*pp)->next) {
		if (*pp == mapping) {
			*pp = mapping->next;
			break;
		}
	}
	mapping_free(engine, mapping);
}

/*
 * file_teardown while the engine runs: unless a page of the file is off its LRU list. Such a
 * page is reclaim's, isolated while it let mm_lock go (take_back_unlocked), and reclaim would
 * come back to a page without its cache: the file stays for a later try. false then.
 */
static bool file_try_teardown(struct rcl_engine *engine, struct address_space *mapping)
{
	unsigned long i;

	lru_add_drain_all(engine);
	xa_for_each_range(&mapping->i_pages, i, 0, ULONG_MAX) {
		pgcache_slot_t s = page_cache_slot(mapping, i);

		if (slot_is_page(s) && !PageLRU(pfn_to_page(engine, slot_pfn(s))))
			return false;
	}
	file_teardown(engine, mapping);
	return true;
}

/* Drop the cache of a file nobody uses any more (the engine's end); its dirty pages are
 * written first. */
void file_put_final(struct rcl_engine *engine, struct address_space *mapping)
{
	filemap_write_and_wait(engine, mapping);
	file_teardown(engine, mapping);
}

/*
 * file_open could not grow a cached file nobody uses: drop its cache, unless it came into use
 * while its dirty pages were written and waited for, which lets mm_lock go (a writeback walk
 * holds it, an open found it and took it): then it stays cached, as a file its last user put
 * does. It stays on engine->files throughout, so an open meanwhile finds this cache, not a
 * second one of the same file; and writes in flight keep it (a walk's reference, or pages
 * under writeback that the wait leaves none of). It is held meanwhile, so that a second open
 * that fails too leaves the drop to this one instead of freeing it a second time.
 */
static void file_drop_unused(struct rcl_engine *engine, struct address_space *mapping)
{
	int err;

	mapping->refcount++;	/* ours while we wait: a second failing open leaves it to us */
	err = filemap_write_and_wait(engine, mapping);
	/* A write that failed keeps the file, its error for the next sync to report. */
	if (!--mapping->refcount && !mapping->nr_writeback && !mapping->nr_dirty && !err)
		file_try_teardown(engine, mapping);
}

/*
 * Let go of every clean file nobody uses, cache and descriptor: the daemon's descriptors are
 * nearly all taken, and the cache of files a client wrote once and closed held them from
 * everyone else (the kernel's inode shrinker, prune_icache_sb, under a pressure of its own;
 * here a cached page needs its file's descriptor, so the clean cache goes with it). Files
 * with dirty pages, writes in flight or an error to report stay, and the flusher is woken to
 * write every dirty page (as reclaim wakes it, wakeup_flusher_threads), for a later call to
 * find them clean. Nothing here lets mm_lock go or waits for I/O. Returns how many went.
 */
unsigned int file_shrink_unused(struct rcl_engine *engine)
{
	struct address_space *mapping, *next;
	unsigned int nr = 0;
	bool dirty = false;

	for (mapping = engine->files; mapping; mapping = next) {
		next = mapping->next;
		if (mapping->refcount)
			continue;
		if (mapping->nr_writeback || mapping->nr_dirty || mapping->wb_err) {
			dirty |= mapping->nr_dirty != 0;
			continue;
		}
		nr += file_try_teardown(engine, mapping);
	}
	if (dirty)
		wakeup_flusher_threads(engine);
	return nr;
}

/*
 * iput: the cache outlives its users, pages stay cached until reclaim or shutdown; but the
 * last user of a file whose last link is gone evicts it at once, as iput_final does
 * (file_prune_unused, which may let mm_lock go). A put where that cannot be, inside a walk of
 * engine->files or of the regions, is a plain decrement that sets files_put_unpruned.
 */
void file_put(struct rcl_engine *engine, struct address_space *mapping)
{
	if (!--mapping->refcount && inode_unlinked(mapping))
		file_prune_unused(engine);
}

/*
 * The cached page at @index with a reference, or NULL. A page still being read in (locked, not
 * up to date: its reader let mm_lock go for the I/O) is waited for on its lock; one whose read
 * failed has left the cache by then, and the slot is looked at again.
 */
struct page *find_get_page(struct address_space *mapping, unsigned long index)
{
	struct page *page;
	pgcache_slot_t s;

	for (;;) {
		s = page_cache_slot(mapping, index);
		if (!slot_is_page(s))
			return NULL;
		page = pfn_to_page(page_engine_of_mapping(mapping), slot_pfn(s));
		get_page(page);
		if (PageUptodate(page))
			return page;
		wait_on_page_locked(page);
		if (PageUptodate(page))
			return page;
		put_page(page);
	}
}

/*
 * Insert a new page at @index, charge it (as @gfp allows: readahead's __GFP_NORETRY gives up
 * without an OOM kill) and queue it for the LRU. A shadow entry in the slot means the page was
 * evicted before: workingset_refault decides whether it starts active.
 */
int add_to_page_cache_lru(struct page *page, struct address_space *mapping,
			  unsigned long index, struct mem_cgroup *memcg, gfp_t gfp)
{
	struct xa_node *leaf;
	pgcache_slot_t old;
	int err;

	/* The charge may reclaim, and wait without mm_lock: the slot is looked at after it. */
	err = mem_cgroup_try_charge_gfp(page, memcg, gfp);
	if (err)
		return err;
	i_pages_lock(mapping);
	leaf = xa_leaf_create(&mapping->i_pages, index);
	if (!leaf) {
		i_pages_unlock(mapping);
		return -ENOMEM;
	}
	/* The leaf's memory is charged to whoever made it, as radix tree nodes are (kmemcg). */
	if (!leaf->memcg_id) {
		leaf->memcg_id = (memcg ? memcg : page_engine_of_mapping(mapping)->root_mem_cgroup)->id;
		leaf->owner_id = mapping->id;
	}
	old = page_cache_slot(mapping, index);
	if (slot_is_page(old)) {
		i_pages_unlock(mapping);
		return -EEXIST;		/* another thread read it in meanwhile */
	}
	page->mapping = mapping->id;
	page->index = (uint32_t)index;
	get_page(page);			/* the cache's reference */
	page_cache_set_slot(mapping, index, mk_page_slot(page_to_pfn(page)));
	mapping->nrpages++;
	if (slot_is_shadow(old))
		mapping->nrexceptional--;
	i_pages_unlock(mapping);
	mod_node_page_state(page_pgdat(page), NR_FILE_PAGES, 1);
	if (slot_is_shadow(old))
		workingset_refault(page, slot_shadow(old));
	lru_cache_add(page);
	return 0;
}

/* Remove @page from its file's cache, leaving @shadow (0: nothing) in the slot. The caller
 * holds the mapping's page cache lock and drops the cache's reference. */
void __delete_from_page_cache(struct page *page, uint64_t shadow)
{
	struct address_space *mapping = mapping_lookup(page_engine(page), page->mapping);

	page_cache_set_slot(mapping, page->index, shadow ? mk_shadow_slot(shadow) : 0);
	if (shadow)
		mapping->nrexceptional++;
	mapping->nrpages--;
	mod_node_page_state(page_pgdat(page), NR_FILE_PAGES, -1);
	page->mapping = 0;
}

/* __delete_from_page_cache, taking the page cache lock, leaving no shadow. */
void delete_from_page_cache(struct page *page)
{
	struct address_space *mapping = mapping_lookup(page_engine(page), page->mapping);

	i_pages_lock(mapping);
	__delete_from_page_cache(page, 0);
	i_pages_unlock(mapping);
}

/*
 * A new page at @index, read in now: the path of a reader whose readahead brought nothing
 * (no window, or no memory for a guess). Returns it with a reference, or NULL with *ret_err
 * (-ENOMEM when no frame could be had, -EIO when the read failed).
 */
static struct page *page_cache_read(struct rcl_engine *engine, struct address_space *mapping,
				    unsigned long index, struct mem_cgroup *memcg, int *ret_err)
{
	struct page *page;
	int err;

	page = __alloc_pages_nodemask(engine, GFP_HIGHUSER_MOVABLE, 0,
				      (int)(index % (unsigned long)engine->nr_nodes), NULL);
	if (!page) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	__lock_new_page(page);		/* found in the cache only locked until it is read */
	err = add_to_page_cache_lru(page, mapping, index, memcg, GFP_KERNEL);
	if (err) {
		unlock_page(page);
		put_page(page);
		*ret_err = err;		/* -EEXIST: another thread read it in meanwhile */
		return NULL;
	}
	err = filemap_read_pages(mapping, &page, 1);
	if (err) {
		/* The page never held data: take it out again, nothing is lost. */
		delete_from_page_cache(page);
		unlock_page(page);
		put_page(page);		/* the cache's reference; the LRU vector's goes later */
		put_page(page);
		*ret_err = err;
		return NULL;
	}
	unlock_page(page);
	return page;
}

/* The page at @index, read by readahead just now or read here: with a reference, or NULL
 * and *ret_err. */
static struct page *find_or_read_page(struct rcl_engine *engine, struct address_space *mapping,
				      unsigned long index, struct mem_cgroup *memcg, int *ret_err)
{
	struct page *page;

	for (;;) {
		page = find_get_page(mapping, index);
		if (page)
			return page;
		page = page_cache_read(engine, mapping, index, memcg, ret_err);
		if (page || *ret_err != -EEXIST)
			return page;
	}
}

/*
 * The page at file index @pgoff for a fault on @region (spec 25): cached, maybe reading the
 * next window ahead (do_async_mmap_readahead); not cached, a major fault that reads around
 * it (do_sync_mmap_readahead) as the region's advice and its miss count allow; madvise(WILLNEED)
 * (FAULT_FLAG_READAHEAD in @flags) reads the same way but is no access, so no major fault.
 * Returns it with a reference, or NULL with *ret_err.
 */
struct page *filemap_fault(struct rcl_engine *engine, struct region *region, unsigned long pgoff,
			   unsigned int flags, int *ret_err)
{
	struct address_space *mapping = region->file;
	struct file_ra_state *ra = &region->f_ra;
	struct page *page = find_get_page(mapping, pgoff);

	if (page) {
		/* do_async_mmap_readahead */
		if (region->vm_flags & VM_RAND_READ)
			return page;
		if (ra->mmap_miss > 0)
			ra->mmap_miss--;
		if (PageReadahead(page))
			page_cache_async_readahead(mapping, ra, region->memcg, page, pgoff,
						   ra->ra_pages);
		return page;
	}
	/* do_sync_mmap_readahead */
	if (!(region->vm_flags & VM_RAND_READ) && ra->ra_pages) {
		if (region->vm_flags & VM_SEQ_READ) {
			page_cache_sync_readahead(mapping, ra, false, region->memcg, pgoff,
						  ra->ra_pages);
		} else {
			if (ra->mmap_miss < MMAP_LOTSAMISS * 10)
				ra->mmap_miss++;
			if (ra->mmap_miss <= MMAP_LOTSAMISS) {
				/* Read around: the fault in the middle of one window. */
				ra->start = pgoff > ra->ra_pages / 2 ? pgoff - ra->ra_pages / 2 : 0;
				ra->size = ra->ra_pages;
				ra->async_size = ra->ra_pages / 4;
				ra_submit(ra, mapping, region->memcg);
			}
		}
	}
	if (!(flags & FAULT_FLAG_READAHEAD))
		count_major_fault(engine, region->memcg);
	return find_or_read_page(engine, mapping, pgoff, region->memcg, ret_err);
}

/* The fault-around window: 64 KiB (fault_around_bytes). */
#define FAULT_AROUND_PAGES	16UL

/*
 * do_fault_around + filemap_map_pages (spec 25): before a read fault on @idx of a file
 * region, map the cached neighbours in its aligned 64 KiB window that have no entry yet,
 * without I/O and without a fault of their own. True if @idx itself got mapped (the fault is
 * then done, a minor one).
 */
bool filemap_map_pages(struct rcl_engine *engine, struct region *region, unsigned long idx)
{
	struct address_space *mapping = region->file;
	unsigned long start = idx & ~(FAULT_AROUND_PAGES - 1), end = start + FAULT_AROUND_PAGES;
	unsigned long last = mapping->i_size ? (unsigned long)((mapping->i_size - 1) >> PAGE_SHIFT) :
					       0;
	unsigned long i;
	bool mapped = false;

	(void)engine;
	if (end > region->nr_pages)
		end = region->nr_pages;
	for (i = start; i < end; i++) {
		unsigned long pgoff = region->pgoff + i;
		pgcache_slot_t s;
		struct page *page;
		pte_t *pte;

		if (!mapping->i_size || pgoff > last)
			break;
		s = page_cache_slot(mapping, pgoff);
		if (!slot_is_page(s))
			continue;
		pte = pte_offset(region, i);
		if (!pte || !pte_none(ptep_get(pte)))
			continue;
		page = pfn_to_page(engine, slot_pfn(s));
		if (!PageUptodate(page) || PageReadahead(page) || !trylock_page(page))
			continue;
		get_page(page);
		map_file_page(region, i, page);
		unlock_page(page);
		if (region->f_ra.mmap_miss > 0)
			region->f_ra.mmap_miss--;
		if (i == idx)
			mapped = true;
	}
	return mapped;
}

/* ---- buffered read()/write() ---------------------------------------------------------- */

/*
 * generic_file_buffered_read (spec 25): each page is looked up; a missing one starts
 * synchronous readahead for the rest of the request, a PG_readahead one asynchronous
 * readahead of the next window. Every page read is marked accessed, except when the previous
 * read ended in it at the same offset (a sequential reader marks a page once). No fault is
 * counted: read() does not fault.
 */
int generic_file_buffered_read(struct rcl_file *filp, uint64_t pos, void *buf, size_t len,
			       size_t *ret_read)
{
	struct rcl_engine *engine = filp->engine;
	struct address_space *mapping = filp->mapping;
	struct file_ra_state *ra = &filp->f_ra;
	unsigned long index, last_index, prev_index, end_index;
	size_t offset, prev_offset, done = 0;
	int err = 0;

	if (!len) {
		*ret_read = 0;
		return 0;
	}
	index = (unsigned long)(pos >> PAGE_SHIFT);
	offset = (size_t)(pos & (PAGE_SIZE - 1));
	last_index = (unsigned long)((pos + len + PAGE_SIZE - 1) >> PAGE_SHIFT);
	prev_index = (unsigned long)((uint64_t)ra->prev_pos >> PAGE_SHIFT);
	prev_offset = (size_t)((uint64_t)ra->prev_pos & (PAGE_SIZE - 1));
	while (done < len) {
		struct page *page;
		size_t nr;

		if (!mapping->i_size)
			break;
		end_index = (unsigned long)((mapping->i_size - 1) >> PAGE_SHIFT);
		if (index > end_index)
			break;
		page = find_get_page(mapping, index);
		if (!page) {
			page_cache_sync_readahead(mapping, ra, filp->f_random, filp->memcg, index,
						  last_index - index);
			page = find_or_read_page(engine, mapping, index, filp->memcg, &err);
			if (!page)
				break;
		}
		if (PageReadahead(page))
			page_cache_async_readahead(mapping, ra, filp->memcg, page, index,
						   last_index - index);
		nr = PAGE_SIZE;
		if (index == end_index) {
			nr = (size_t)((mapping->i_size - 1) & (PAGE_SIZE - 1)) + 1;
			if (nr <= offset) {
				put_page(page);
				break;
			}
		}
		nr -= offset;
		if (nr > len - done)
			nr = len - done;
		if (prev_index != index || offset != prev_offset)
			mark_page_accessed(page);
		prev_index = index;
		memcpy((char *)buf + done, (char *)page_address(page) + offset, nr);
		offset += nr;
		index += offset >> PAGE_SHIFT;
		offset &= PAGE_SIZE - 1;
		prev_offset = offset;
		put_page(page);
		done += nr;
	}
	ra->prev_pos = (int64_t)(((uint64_t)prev_index << PAGE_SHIFT) | prev_offset);
	*ret_read = done;
	return done ? 0 : err;
}

/*
 * Whether mark_page_accessed of @page would do more than set PG_referenced: activate it
 * (two-list: an inactive page referenced before) or make it join its clock (CLOCK-Pro); both
 * take lru_lock and move the page on the lists.
 */
static bool page_accessed_moves(struct page *page)
{
	if (page_engine(page)->config.reclaim_policy == RCL_RECLAIM_CLOCK_PRO)
		return PageLRU(page) && !PageClock(page) && !PageUnevictable(page);
	return !PageActive(page) && !PageUnevictable(page) && PageReferenced(page);
}

/*
 * The pages a run of cached reads would copy, and which of them it would mark accessed, worked
 * out before it copies a byte: a read that cannot be done whole is not begun.
 */
struct read_cached_plan {
	struct page *pages[FILE_READ_CACHED_MAX];
	bool marked[FILE_READ_CACHED_MAX];
	unsigned int nr;
	int64_t prev_pos;		/* the readahead state's, as the last read leaves it */
};

/* Whether @page was marked accessed earlier in this run: a second mark would find it
 * referenced, and might move it. */
static bool plan_marked(const struct read_cached_plan *plan, const struct page *page)
{
	unsigned int k;

	for (k = 0; k < plan->nr; k++)
		if (plan->marked[k] && plan->pages[k] == page)
			return true;
	return false;
}

/* Each range's length within the file: what generic_file_buffered_read would copy. */
static size_t read_cached_len(const struct rcl_file_iov *v, uint64_t i_size)
{
	if (!v->len || v->offset >= i_size)
		return 0;
	return v->len > i_size - v->offset ? (size_t)(i_size - v->offset) : v->len;
}

/*
 * Walk the ranges as generic_file_buffered_read would, one after the other with the
 * readahead state's prev_pos carried across: every page must be cached, up to date, not a
 * readahead mark, and its mark (the first of this run) must not move it on the LRU. Under the
 * mapping's page cache lock. False: the full read must do it.
 */
static bool read_cached_plan(struct rcl_file *filp, const struct rcl_file_iov *iov, size_t n,
			     uint64_t i_size, struct read_cached_plan *plan)
{
	struct address_space *mapping = filp->mapping;
	unsigned long prev_index = (unsigned long)((uint64_t)filp->f_ra.prev_pos >> PAGE_SHIFT);
	size_t prev_offset = (size_t)((uint64_t)filp->f_ra.prev_pos & (PAGE_SIZE - 1));
	size_t r;

	plan->nr = 0;
	for (r = 0; r < n; r++) {
		size_t len = read_cached_len(&iov[r], i_size), offset, done;
		unsigned long index = (unsigned long)(iov[r].offset >> PAGE_SHIFT);

		offset = (size_t)(iov[r].offset & (PAGE_SIZE - 1));
		for (done = 0; done < len; index++) {
			pgcache_slot_t s = page_cache_slot(mapping, index);
			size_t nr = min_t(size_t, PAGE_SIZE - offset, len - done);
			struct page *page;
			bool mark;

			if (plan->nr == FILE_READ_CACHED_MAX || !slot_is_page(s))
				return false;
			page = pfn_to_page(filp->engine, slot_pfn(s));
			if (!PageUptodate(page) || PageReadahead(page))
				return false;
			mark = prev_index != index || offset != prev_offset;
			if (mark && (page_accessed_moves(page) || plan_marked(plan, page)))
				return false;
			plan->pages[plan->nr] = page;
			plan->marked[plan->nr++] = mark;
			prev_index = index;
			offset = (offset + nr) & (PAGE_SIZE - 1);
			prev_offset = offset;
			done += nr;
		}
	}
	plan->prev_pos = (int64_t)(((uint64_t)prev_index << PAGE_SHIFT) | prev_offset);
	return true;
}

/*
 * generic_file_buffered_read of ranges whose pages are all cached and up to date, one after
 * the other, for a caller that must not wait (an event loop): no mm_lock, no I/O, no reclaim.
 * It does what those reads would do on those pages (copy, mark accessed, the readahead state's
 * prev_pos), or nothing and -EAGAIN when they would do more: a page missing or being read, one
 * that starts asynchronous readahead (PG_readahead), one whose access moves it on the LRU (a
 * page marked twice in the run counts: the second mark finds it referenced), or more than
 * FILE_READ_CACHED_MAX pages in all. The mapping's page cache lock is held throughout, so no
 * page leaves the cache meanwhile; like the kernel's read(), the copy races with a concurrent
 * write of the same bytes (no lock orders page contents), never with the page's reuse.
 */
int generic_file_read_cached(struct rcl_file *filp, struct rcl_file_iov *iov, size_t n)
{
	struct address_space *mapping = filp->mapping;
	uint64_t i_size = __atomic_load_n(&mapping->i_size, __ATOMIC_RELAXED);
	struct read_cached_plan plan;
	unsigned int k = 0;
	size_t r;

	i_pages_lock(mapping);
	if (!read_cached_plan(filp, iov, n, i_size, &plan)) {
		i_pages_unlock(mapping);
		return -EAGAIN;
	}
	for (r = 0; r < n; r++) {
		size_t len = read_cached_len(&iov[r], i_size), done, nr;
		size_t offset = (size_t)(iov[r].offset & (PAGE_SIZE - 1));

		for (done = 0; done < len; done += nr, k++) {
			struct page *page = plan.pages[k];

			nr = min_t(size_t, PAGE_SIZE - offset, len - done);
			if (plan.marked[k])
				SetPageReferenced(page);	/* all mark_page_accessed does here */
			memcpy((char *)iov[r].buf + done, (char *)page_address(page) + offset, nr);
			offset = 0;
		}
		iov[r].read = len;
	}
	filp->f_ra.prev_pos = plan.prev_pos;
	i_pages_unlock(mapping);
	return 0;
}

/*
 * generic_perform_write: a page written whole is not read first; a partial write reads the
 * page unless it lies past the end of the file. The page is dirtied and marked accessed.
 */
int generic_perform_write(struct rcl_file *filp, uint64_t pos, const void *buf, size_t len)
{
	struct rcl_engine *engine = filp->engine;
	struct address_space *mapping = filp->mapping;
	size_t done = 0;
	int err = 0;

	while (done < len) {
		unsigned long index = (unsigned long)((pos + done) >> PAGE_SHIFT);
		size_t off = (size_t)((pos + done) & (PAGE_SIZE - 1));
		size_t n = PAGE_SIZE - off < len - done ? PAGE_SIZE - off : len - done;
		struct page *page = find_get_page(mapping, index);

		if (!page && (n == PAGE_SIZE || (uint64_t)index << PAGE_SHIFT >= mapping->i_size)) {
			page = __alloc_pages_nodemask(engine, GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0,
						      (int)(index % (unsigned long)engine->nr_nodes),
						      NULL);
			if (!page)
				return -ENOMEM;
			err = add_to_page_cache_lru(page, mapping, index, filp->memcg,
						    GFP_KERNEL);
			if (err) {
				put_page(page);
				return err;
			}
			SetPageUptodate(page);
		} else if (!page) {
			page = page_cache_read(engine, mapping, index, filp->memcg, &err);
			if (!page)
				return err;
		}
		memcpy((char *)page_address(page) + off, (const char *)buf + done, n);
		set_page_dirty(page);
		mark_page_accessed(page);
		put_page(page);
		done += n;
		/* Read without mm_lock by generic_file_read_cached. */
		if (pos + done > mapping->i_size)
			__atomic_store_n(&mapping->i_size, pos + done, __ATOMIC_RELAXED);
	}
	balance_dirty_pages(engine);
	return 0;
}

/* The path forms: the file's shared state, charged to the root unless told otherwise. */
static void shared_file(struct rcl_file *filp, struct rcl_engine *engine,
			struct address_space *mapping)
{
	filp->engine = engine;
	filp->mapping = mapping;
	filp->memcg = NULL;
	filp->f_ra = mapping->f_ra;
	filp->f_random = mapping->f_random;
}

int generic_file_read(struct rcl_engine *engine, struct address_space *mapping, uint64_t pos,
		      void *buf, size_t len, size_t *ret_read)
{
	struct rcl_file filp;
	int err;

	shared_file(&filp, engine, mapping);
	err = generic_file_buffered_read(&filp, pos, buf, len, ret_read);
	mapping->f_ra = filp.f_ra;
	return err;
}

int generic_file_write(struct rcl_engine *engine, struct address_space *mapping, uint64_t pos,
		       const void *buf, size_t len)
{
	struct rcl_file filp;

	shared_file(&filp, engine, mapping);
	return generic_perform_write(&filp, pos, buf, len);
}

/* Drop the clean, unmapped, idle cached pages of [start, end], leaving no shadow (v4.19's
 * invalidate_mapping_pages). */
static void invalidate_mapping_pages(struct rcl_engine *engine, struct address_space *mapping,
				     unsigned long start, unsigned long end)
{
	unsigned long i;

	xa_for_each_range(&mapping->i_pages, i, start, end + 1 ? end + 1 : ULONG_MAX) {
		pgcache_slot_t s = page_cache_slot(mapping, i);
		struct page *page;

		if (!slot_is_page(s))
			continue;
		page = pfn_to_page(engine, slot_pfn(s));
		if (PageDirty(page) || PageWriteback(page) || page_mapped(page) ||
		    !PageLRU(page) || !trylock_page(page))
			continue;
		if (isolate_lru_page(page)) {
			unlock_page(page);
			continue;
		}
		/* Only the cache's and the isolation's references: nobody else uses it. */
		if (page_ref_count(page) != 2 || PageDirty(page)) {
			unlock_page(page);
			putback_lru_page(page);
			continue;
		}
		delete_from_page_cache(page);
		set_page_count(page, 1);
		unlock_page(page);
		put_page(page);			/* the frame is free, uncharged */
	}
}

/*
 * posix_fadvise (v4.19 mm/fadvise.c): NORMAL/SEQUENTIAL set the window (SEQUENTIAL doubles
 * it) and clear FMODE_RANDOM, RANDOM sets it; WILLNEED reads the range now; DONTNEED writes
 * the range back and drops what is clean and unused, after a drain of the LRU vectors. The
 * window sizes live in the open file's state: for the path forms, the file's shared one.
 */
int generic_fadvise(struct rcl_file *filp, uint64_t offset, uint64_t len, int advice)
{
	struct rcl_engine *engine = filp->engine;
	struct address_space *mapping = filp->mapping;
	uint64_t endbyte = len && offset + len > offset ? offset + len - 1 : UINT64_MAX;
	unsigned long start_index, end_index;

	switch (advice) {
	case RCL_FADV_NORMAL:
		filp->f_ra.ra_pages = VM_READAHEAD_PAGES;
		filp->f_random = false;
		break;
	case RCL_FADV_RANDOM:
		filp->f_random = true;
		break;
	case RCL_FADV_SEQUENTIAL:
		filp->f_ra.ra_pages = VM_READAHEAD_PAGES * 2;
		filp->f_random = false;
		break;
	case RCL_FADV_WILLNEED:
		if (!mapping->i_size || offset >= mapping->i_size)
			break;
		if (endbyte >= mapping->i_size)
			endbyte = mapping->i_size - 1;
		start_index = (unsigned long)(offset >> PAGE_SHIFT);
		end_index = (unsigned long)(endbyte >> PAGE_SHIFT);
		force_page_cache_readahead(mapping, filp->memcg, start_index,
					   end_index - start_index + 1);
		break;
	case RCL_FADV_DONTNEED:
		/* Start writeback of the range (here it completes at once); errors stay for
		 * the next sync to report. */
		filemap_fdatawrite_range(engine, mapping, (unsigned long)(offset >> PAGE_SHIFT),
					 (unsigned long)(endbyte >> PAGE_SHIFT) + 1);
		/* Only whole pages: a partial page at either end may still be wanted. */
		start_index = (unsigned long)((offset + PAGE_SIZE - 1) >> PAGE_SHIFT);
		end_index = (unsigned long)(endbyte >> PAGE_SHIFT);
		if (endbyte != UINT64_MAX && (endbyte & (PAGE_SIZE - 1)) != PAGE_SIZE - 1) {
			if (!end_index)
				break;
			end_index--;
		}
		if (end_index < start_index)
			break;
		lru_add_drain_all(engine);
		invalidate_mapping_pages(engine, mapping, start_index, end_index);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}
