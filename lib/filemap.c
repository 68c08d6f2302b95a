/*
 * filemap.c - files and their page cache: opening a file under the data directory, the page
 * cache index (which also keeps workingset shadow entries), filemap_fault for mapped access,
 * and the buffered read()/write() path, which ages pages with mark_page_accessed.
 *
 * Caller holds engine->mm_lock.
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

#include "memcontrol.h"
#include "vmscan.h"

/*
 * Store @new in slot @index, keeping the leaf's page and shadow counts and the engine's count
 * of shadow nodes current; a leaf left empty is freed. A page or shadow goes only where the
 * leaf exists already: add_to_page_cache_lru creates it, a shadow replaces a page.
 */
void page_cache_set_slot(struct address_space *mapping, unsigned long index, pgcache_slot_t new)
{
	struct xa_node *leaf = xa_leaf(&mapping->i_pages, index);
	pgcache_slot_t old;
	bool was;

	if (!leaf)
		return;		/* only a clear can find no leaf: nothing to clear */
	old = leaf->entries[index & XA_CHUNK_MASK];
	was = shadow_node(leaf);
	leaf->nr_pages = (unsigned char)(leaf->nr_pages + slot_is_page(new) - slot_is_page(old));
	leaf->nr_values = (unsigned char)(leaf->nr_values + slot_is_shadow(new) -
					  slot_is_shadow(old));
	leaf->entries[index & XA_CHUNK_MASK] = new;
	mapping->engine->nr_shadow_nodes += (unsigned long)shadow_node(leaf) - was;
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
struct address_space *file_open(struct rcl_engine *engine, const char *path, uint64_t min_size,
				bool create, int *ret_err)
{
	struct address_space *mapping;
	struct stat st;
	int fd, err;

	for (mapping = engine->files; mapping; mapping = mapping->next) {
		if (strcmp(mapping->path, path) == 0)
			goto found;
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
	mapping->fd = fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		goto fail;
	}
	mapping->i_size = (uint64_t)st.st_size;
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
				file_put_final(engine, mapping);
			return NULL;
		}
		mapping->i_size = min_size;
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

/* Drop the cache of a file nobody uses any more; its dirty pages are written first. */
void file_put_final(struct rcl_engine *engine, struct address_space *mapping)
{
	struct address_space **pp;
	unsigned long i;

	filemap_write_and_wait(engine, mapping);
	lru_add_drain_all(engine);
	xa_for_each_range(&mapping->i_pages, i, 0, ULONG_MAX) {
		pgcache_slot_t s = page_cache_slot(mapping, i);

		if (slot_is_page(s)) {
			struct page *page = pfn_to_page(engine, slot_pfn(s));

			/* Unmapped and clean: what remains is the cache's reference. */
			if (PageLRU(page) && isolate_lru_page(page) == 0)
				put_page(page);
			__delete_from_page_cache(page, 0);
			put_page(page);
		}
	}
	for (pp = &engine->files; *pp; pp = &(*pp)->next) {
		if (*pp == mapping) {
			*pp = mapping->next;
			break;
		}
	}
	mapping_unregister(engine, mapping);
	xa_for_each_range(&mapping->i_pages, i, 0, ULONG_MAX)
		page_cache_set_slot(mapping, i, 0);	/* the shadows left */
	xa_destroy(&mapping->i_pages);
	close(mapping->fd);
	free(mapping->path);
	free(mapping);
}

void file_put(struct rcl_engine *engine, struct address_space *mapping)
{
	/* The cache outlives its users: pages stay cached until reclaim or shutdown. */
	(void)engine;
	mapping->refcount--;
}

/* The cached page at @index with a reference, or NULL. */
struct page *find_get_page(struct address_space *mapping, unsigned long index)
{
	struct page *page;
	pgcache_slot_t s;

	s = page_cache_slot(mapping, index);
	if (!slot_is_page(s))
		return NULL;
	page = pfn_to_page(page_engine_of_mapping(mapping), slot_pfn(s));
	get_page(page);
	return page;
}

/*
 * Insert a new page at @index, charge it and queue it for the LRU. A shadow entry in the slot
 * means the page was evicted before: workingset_refault decides whether it starts active.
 */
int add_to_page_cache_lru(struct page *page, struct address_space *mapping,
			  unsigned long index, struct mem_cgroup *memcg)
{
	pgcache_slot_t old;
	int err;

	/* The charge may reclaim, and wait without mm_lock: the slot is looked at after it. */
	err = mem_cgroup_try_charge(page, memcg);
	if (err)
		return err;
	if (!xa_leaf_create(&mapping->i_pages, index))
		return -ENOMEM;
	old = page_cache_slot(mapping, index);
	if (slot_is_page(old))
		return -EEXIST;		/* another thread read it in meanwhile */
	page->mapping = mapping->id;
	page->index = (uint32_t)index;
	get_page(page);			/* the cache's reference */
	page_cache_set_slot(mapping, index, mk_page_slot(page_to_pfn(page)));
	mapping->nrpages++;
	mod_node_page_state(page_pgdat(page), NR_FILE_PAGES, 1);
	if (slot_is_shadow(old)) {
		mapping->nrexceptional--;
		workingset_refault(page, slot_shadow(old));
	}
	lru_cache_add(page);
	return 0;
}

/* Remove @page from its file's cache, leaving @shadow (0: nothing) in the slot. The caller
 * drops the cache's reference. */
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

/*
 * Read one page of the file; beyond the end of the file the page is zeros. The page is locked
 * in the page cache, so mm_lock can go while the read is in flight: a thread that finds the
 * page meanwhile sleeps on its lock (filemap_fault).
 */
static int mapping_readpage(struct rcl_engine *engine, struct address_space *mapping,
			    struct page *page, unsigned long index)
{
	char *addr = page_address(page);
	ssize_t n;

	mm_drop(engine);
	n = pread(mapping->fd, addr, PAGE_SIZE, (off_t)(index << PAGE_SHIFT));
	mm_retake(engine);
	if (n < 0)
		return -EIO;
	if ((size_t)n < PAGE_SIZE)
		memset(addr + n, 0, PAGE_SIZE - (size_t)n);
	SetPageUptodate(page);
	return 0;
}

/*
 * The page at @index, read in if absent (a major fault). Returns it with a reference, or NULL
 * with *ret_err (-ENOMEM when no frame could be had, -EIO when the read failed). A page another
 * thread is reading in is waited for on its lock; one whose read failed is read again here.
 */
struct page *filemap_fault(struct rcl_engine *engine, struct address_space *mapping,
			   unsigned long index, struct mem_cgroup *memcg, int *ret_err)
{
	struct page *page;
	int err;

retry:
	page = find_get_page(mapping, index);
	if (page) {
		if (!PageUptodate(page))
			wait_on_page_locked(page);
		if (PageUptodate(page))
			return page;
		put_page(page);		/* its read failed and it left the cache */
		goto retry;
	}
	page = __alloc_pages_nodemask(engine, GFP_HIGHUSER_MOVABLE, 0,
				      (int)(index % (unsigned long)engine->nr_nodes), NULL);
	if (!page) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	__lock_new_page(page);		/* found in the cache only locked until it is read */
	err = add_to_page_cache_lru(page, mapping, index, memcg);
	if (err) {
		unlock_page(page);
		put_page(page);
		if (err == -EEXIST)
			goto retry;
		*ret_err = err;
		return NULL;
	}
	count_vm_event(engine, PGMAJFAULT);
	count_memcg_events(memcg ? memcg : engine->root_mem_cgroup, PGMAJFAULT, 1);
	/* Waiting for a working-set page that was evicted is thrashing: a memory stall. */
	if (PageWorkingset(page))
		psi_memstall_enter(engine, memcg);
	err = mapping_readpage(engine, mapping, page, index);
	if (PageWorkingset(page))
		psi_memstall_leave(engine);
	if (err) {
		/* The page never held data: take it out again, nothing is lost. */
		__delete_from_page_cache(page, 0);
		unlock_page(page);
		put_page(page);		/* the cache's reference; the LRU vector's goes later */
		put_page(page);
		*ret_err = err;
		return NULL;
	}
	unlock_page(page);
	return page;
}

/* ---- buffered read()/write() ---------------------------------------------------------- */

int generic_file_read(struct rcl_engine *engine, struct address_space *mapping, uint64_t pos,
		      void *buf, size_t len, size_t *ret_read)
{
	size_t done = 0;
	int err = 0;

	if (pos >= mapping->i_size)
		len = 0;
	else if (len > mapping->i_size - pos)
		len = (size_t)(mapping->i_size - pos);
	while (done < len) {
		unsigned long index = (unsigned long)((pos + done) >> PAGE_SHIFT);
		size_t off = (size_t)((pos + done) & (PAGE_SIZE - 1));
		size_t n = PAGE_SIZE - off < len - done ? PAGE_SIZE - off : len - done;
		struct page *page = filemap_fault(engine, mapping, index, NULL, &err);

		if (!page)
			break;
		memcpy((char *)buf + done, (char *)page_address(page) + off, n);
		mark_page_accessed(page);
		put_page(page);
		done += n;
	}
	*ret_read = done;
	return done || !len ? 0 : err;
}

int generic_file_write(struct rcl_engine *engine, struct address_space *mapping, uint64_t pos,
		       const void *buf, size_t len)
{
	size_t done = 0;
	int err = 0;

	while (done < len) {
		unsigned long index = (unsigned long)((pos + done) >> PAGE_SHIFT);
		size_t off = (size_t)((pos + done) & (PAGE_SIZE - 1));
		size_t n = PAGE_SIZE - off < len - done ? PAGE_SIZE - off : len - done;
		struct page *page;

		page = filemap_fault(engine, mapping, index, NULL, &err);
		if (!page)
			return err;
		memcpy((char *)page_address(page) + off, (const char *)buf + done, n);
		set_page_dirty(page);
		mark_page_accessed(page);
		put_page(page);
		done += n;
		if (pos + done > mapping->i_size)
			mapping->i_size = pos + done;
	}
	balance_dirty_pages(engine);
	return 0;
}
