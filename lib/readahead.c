/*
 * readahead.c - file readahead (spec 25, v4.19 mm/readahead.c): the on-demand windows of
 * buffered reads and mapped faults, forced reads of exact ranges, and the reads themselves,
 * one vectored read per run of contiguous new pages.
 *
 * A window is [start, start + size); its last async_size pages are lookahead, and the first
 * of them is marked PG_readahead: when a reader reaches it, the next window is read before
 * the reader needs it. Caller holds engine->mm_lock, which the read itself
 * lets go while it is in flight.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>

#include "memcontrol.h"
#include "vmscan.h"

/* The largest request the device takes at once (queue/max_sectors_kb): 1 MiB. */
#define RA_IO_PAGES	256u
/* readahead_gfp_mask: pages nobody asked for yet are not worth a retry or an OOM kill. */
#define RA_GFP		(GFP_HIGHUSER_MOVABLE | __GFP_NORETRY | __GFP_NOWARN)

void file_ra_state_init(struct file_ra_state *ra)
{
	memset(ra, 0, sizeof(*ra));
	ra->ra_pages = VM_READAHEAD_PAGES;
	ra->prev_pos = -1;
}

/*
 * Read @nr new pages, contiguous in the file from pages[0]->index, with one preadv: they are
 * in the page cache already, locked (PG_locked), not yet up to date. Bytes past
 * the end of the file read as zeros. Counts pgpgin in KiB as /proc/vmstat shows it.
 */
int filemap_read_pages(struct address_space *mapping, struct page **pages, unsigned int nr)
{
	struct rcl_engine *engine = page_engine_of_mapping(mapping);
	struct iovec iov[RA_IO_PAGES];
	size_t want = (size_t)nr * PAGE_SIZE, got = 0;
	off_t pos = (off_t)((uint64_t)pages[0]->index << PAGE_SHIFT);
	bool thrashing = false;
	unsigned int i;
	int err = 0;

	for (i = 0; i < nr; i++) {
		iov[i].iov_base = page_address(pages[i]);
		iov[i].iov_len = PAGE_SIZE;
		thrashing |= PageWorkingset(pages[i]);
	}
	/* Waiting for a working-set page that was evicted is thrashing: a memory stall. */
	if (thrashing)
		psi_memstall_enter(engine, page_memcg(pages[0]));
	count_vm_events(engine, PGPGIN, (unsigned long)nr * (PAGE_SIZE >> 10));
	engine->nr_file_reads++;
	/* The pages wait locked in the cache: mm_lock goes while the read is in flight, and
	 * whoever finds them meanwhile sleeps on their lock (find_get_page). */
	mm_drop(engine);
	/* A short read means the end of the file (or a signal): go on from where it stopped. */
	while (got < want) {
		unsigned int first = (unsigned int)(got / PAGE_SIZE);
		size_t skip = got % PAGE_SIZE;
		ssize_t n;

		iov[first].iov_base = (char *)page_address(pages[first]) + skip;
		iov[first].iov_len = PAGE_SIZE - skip;
		n = preadv(mapping->fd, iov + first, (int)(nr - first), pos + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -EIO : 0;
			break;
		}
		got += (size_t)n;
	}
	mm_retake(engine);
	if (thrashing)
		psi_memstall_leave(engine);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		size_t start = (size_t)i * PAGE_SIZE;

		if (got < start + PAGE_SIZE)
			memset((char *)page_address(pages[i]) + (got > start ? got - start : 0), 0,
			       got > start ? PAGE_SIZE - (got - start) : PAGE_SIZE);
		SetPageUptodate(pages[i]);
	}
	return 0;
}

/* The read failed: the new pages never held data, take them out of the cache again. */
static void readahead_discard(struct page **pages, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		ClearPageReadahead(pages[i]);
		delete_from_page_cache(pages[i]);
		put_page(pages[i]);	/* the cache's; the LRU vector's reference goes later */
	}
}

/*
 * Read the gathered run, unlock it and let go of the references the allocation gave. The
 * pages stay locked from their insertion until here, so that the reclaim a later page's
 * charge may run passes them by, as it passes pages under read I/O in the kernel.
 */
static void read_pages(struct address_space *mapping, struct page **pages, unsigned int nr)
{
	unsigned int i;

	if (!nr)
		return;
	if (filemap_read_pages(mapping, pages, nr))
		readahead_discard(pages, nr);
	for (i = 0; i < nr; i++) {
		unlock_page(pages[i]);
		put_page(pages[i]);
	}
}

/*
 * Bring [offset, offset + nr_to_read) into the page cache, skipping pages already cached (a
 * shadow entry is no page: reading it back is a refault), and mark the page @lookahead_size
 * from the end PG_readahead. Stops at the end of the file or when memory runs out, as the
 * kernel's readahead, which never reclaims hard for a guess. Returns the pages read.
 */
unsigned long __do_page_cache_readahead(struct address_space *mapping, struct mem_cgroup *memcg,
					unsigned long offset, unsigned long nr_to_read,
					unsigned long lookahead_size)
{
	struct rcl_engine *engine = page_engine_of_mapping(mapping);
	struct page *run[RA_IO_PAGES];
	unsigned long end_index, i, nr_read = 0;
	unsigned int nr = 0;

	if (!mapping->i_size)
		return 0;
	end_index = (unsigned long)((mapping->i_size - 1) >> PAGE_SHIFT);
	for (i = 0; i < nr_to_read; i++) {
		unsigned long index = offset + i;
		struct page *page;

		if (index > end_index)
			break;
		if (slot_is_page(page_cache_slot(mapping, index))) {
			/* A cached page splits the I/O: read what was gathered so far. */
			read_pages(mapping, run, nr);
			nr = 0;
			continue;
		}
		page = __alloc_pages_nodemask(engine, RA_GFP, 0,
					      (int)(index % (unsigned long)engine->nr_nodes), NULL);
		if (!page)
			break;
		trylock_page(page);		/* new: nobody else holds it */
		if (add_to_page_cache_lru(page, mapping, index, memcg, RA_GFP)) {
			unlock_page(page);
			put_page(page);
			break;
		}
		if (i == nr_to_read - lookahead_size)
			SetPageReadahead(page);
		run[nr++] = page;
		nr_read++;
		if (nr == RA_IO_PAGES) {
			read_pages(mapping, run, nr);
			nr = 0;
		}
	}
	read_pages(mapping, run, nr);
	return nr_read;
}

/* Read exactly the range asked for, with no lookahead (POSIX_FADV_RANDOM, WILLNEED). */
void force_page_cache_readahead(struct address_space *mapping, struct mem_cgroup *memcg,
				unsigned long offset, unsigned long nr_to_read)
{
	while (nr_to_read) {
		unsigned long chunk = nr_to_read < 512 ? nr_to_read : 512;	/* 2 MiB */

		__do_page_cache_readahead(mapping, memcg, offset, chunk, 0);
		offset += chunk;
		nr_to_read -= chunk;
	}
}

unsigned long ra_submit(struct file_ra_state *ra, struct address_space *mapping,
			struct mem_cgroup *memcg)
{
	return __do_page_cache_readahead(mapping, memcg, ra->start, ra->size, ra->async_size);
}

static unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << (64 - __builtin_clzl(n - 1));
}

/* The first window: four times a small request, twice a medium one, else the maximum. */
static unsigned long get_init_ra_size(unsigned long size, unsigned long max)
{
	unsigned long newsize = roundup_pow_of_two(size);

	if (newsize <= max / 32)
		return newsize * 4;
	if (newsize <= max / 4)
		return newsize * 2;
	return max;
}

/* Each next window: four times a small one, twice a larger one, up to the maximum. */
static unsigned long get_next_ra_size(const struct file_ra_state *ra, unsigned long max)
{
	unsigned long cur = ra->size;

	if (cur < max / 16)
		return 4 * cur;
	if (cur <= max / 2)
		return 2 * cur;
	return max;
}

/* The first index in [index, index + max_scan) with no page cached, or index + max_scan. */
static unsigned long page_cache_next_hole(struct address_space *mapping, unsigned long index,
					  unsigned long max_scan)
{
	unsigned long i;

	for (i = 0; i < max_scan; i++)
		if (!slot_is_page(page_cache_slot(mapping, index + i)))
			break;
	return index + i;
}

/* How many pages just before @offset are cached (at most @max): the read's history. */
static unsigned long count_history_pages(struct address_space *mapping, unsigned long offset,
					 unsigned long max)
{
	unsigned long n = 0;

	while (n < max && n < offset && slot_is_page(page_cache_slot(mapping, offset - 1 - n)))
		n++;
	return n;
}

/*
 * A read that follows cached pages is probably one stream of several interleaved ones: read
 * ahead as far as the history suggests (twice it when the file was read from its start).
 */
static bool try_context_readahead(struct address_space *mapping, struct file_ra_state *ra,
				  unsigned long offset, unsigned long req_size, unsigned long max)
{
	unsigned long size = count_history_pages(mapping, offset, max);

	if (size <= req_size)
		return false;
	if (size >= offset)
		size *= 2;
	ra->start = offset;
	ra->size = (unsigned int)(size + req_size < max ? size + req_size : max);
	ra->async_size = 1;
	return true;
}

/* The heart of on-demand readahead (spec 25): sequential, marker, context or random. */
static unsigned long ondemand_readahead(struct address_space *mapping, struct file_ra_state *ra,
					struct mem_cgroup *memcg, bool hit_readahead_marker,
					unsigned long offset, unsigned long req_size)
{
	unsigned long max_pages = ra->ra_pages, prev_offset, add_pages;

	if (req_size > max_pages && RA_IO_PAGES > max_pages)
		max_pages = req_size < RA_IO_PAGES ? req_size : RA_IO_PAGES;
	if (!offset)
		goto initial_readahead;
	/* Sequential: the reader hit the lookahead mark or the end of the window. */
	if (offset == ra->start + ra->size - ra->async_size || offset == ra->start + ra->size) {
		ra->start += ra->size;
		ra->size = (unsigned int)get_next_ra_size(ra, max_pages);
		ra->async_size = ra->size;
		goto readit;
	}
	/* A marker of another stream (or of a state we lost): continue from the cached run. */
	if (hit_readahead_marker) {
		unsigned long start = page_cache_next_hole(mapping, offset + 1, max_pages);

		if (!start || start - offset > max_pages)
			return 0;
		ra->start = start;
		ra->size = (unsigned int)(start - offset + req_size);
		ra->size = (unsigned int)get_next_ra_size(ra, max_pages);
		ra->async_size = ra->size;
		goto readit;
	}
	if (req_size > max_pages)
		goto initial_readahead;
	/* Sequential with the previous read (the same or the next page): a fresh start. */
	prev_offset = (unsigned long)((uint64_t)ra->prev_pos >> PAGE_SHIFT);
	if (offset - prev_offset <= 1UL)
		goto initial_readahead;
	if (try_context_readahead(mapping, ra, offset, req_size, max_pages))
		goto readit;
	/* A small random read: just what was asked, no state. */
	return __do_page_cache_readahead(mapping, memcg, offset, req_size, 0);

initial_readahead:
	ra->start = offset;
	ra->size = (unsigned int)get_init_ra_size(req_size, max_pages);
	ra->async_size = ra->size > req_size ? (unsigned int)(ra->size - req_size) : ra->size;
readit:
	/* A window that is all lookahead would be hit at once: merge the next one now. */
	if (offset == ra->start && ra->size == ra->async_size) {
		add_pages = get_next_ra_size(ra, max_pages);
		if (ra->size + add_pages <= max_pages) {
			ra->async_size = (unsigned int)add_pages;
			ra->size += (unsigned int)add_pages;
		} else {
			ra->size = (unsigned int)max_pages;
			ra->async_size = (unsigned int)(max_pages >> 1);
		}
	}
	return ra_submit(ra, mapping, memcg);
}

/* A page the reader needs is not cached: read it, and ahead of it as the state says. */
void page_cache_sync_readahead(struct address_space *mapping, struct file_ra_state *ra,
			       bool random, struct mem_cgroup *memcg, unsigned long offset,
			       unsigned long req_size)
{
	if (!ra->ra_pages)
		return;
	if (random) {
		force_page_cache_readahead(mapping, memcg, offset, req_size);
		return;
	}
	ondemand_readahead(mapping, ra, memcg, false, offset, req_size);
}

/* The reader reached a PG_readahead page: read the next window before it is needed. */
void page_cache_async_readahead(struct address_space *mapping, struct file_ra_state *ra,
				struct mem_cgroup *memcg, struct page *page,
				unsigned long offset, unsigned long req_size)
{
	if (!ra->ra_pages)
		return;
	if (PageWriteback(page))
		return;
	ClearPageReadahead(page);
	ondemand_readahead(mapping, ra, memcg, true, offset, req_size);
}
