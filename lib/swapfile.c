/*
 * swapfile.c - the swap device: a real file, its slot map, the slot allocator with clusters,
 * and reading and writing pages to slots with a CRC32C each (spec section 17).
 *
 * The file. swapon creates (or truncates) it, allocates every block with fallocate so that no
 * write ever lands in a hole (or writes zeros where the file system cannot fallocate), writes a
 * struct swap_header into slot 0 and switches the descriptor to O_DIRECT, so the host's page
 * cache neither hides the cost of swap nor holds a second copy of swapped memory.
 *
 * The map. One byte per slot, as the kernel's swap_map: the count of page-table entries that
 * hold the entry (at most SWAP_MAP_MAX) | SWAP_HAS_CACHE while a swap cache page stands for
 * it; 0 is free; SWAP_MAP_BAD marks slot 0 (the header) and every slot a write failed on.
 * Bad slots are neither free nor in use: they leave si->pages, so total_swap_pages shrinks and
 * free slots stay what they were. A slot whose write fails keeps its users' references, with
 * SWAP_MAP_RETIRE added: the page-table entries that hold it still find the page in the swap
 * cache, which alone has the data, and no new reference, write or read is let in. It leaves
 * si->pages and inuse_pages at once and turns SWAP_MAP_BAD when its last user goes; reclaim
 * moves the page to a good slot (unuse_retired_swap).
 *
 * Clusters. Slots are grouped in clusters of SWAPFILE_CLUSTER. Each task (the kernel's CPU)
 * owns a current cluster and hands out its slots in order, so that the pages one reclaim pass
 * swaps out land on consecutive slots and go to disk as one write; a used-up cluster is replaced
 * by one from the list of entirely free clusters. With no free cluster left, any free slot is
 * taken by a scan of the map (bounded by its size) starting where the task last allocated.
 * A cluster's count is the number of its slots handed out; it joins the free list when that
 * falls to 0 and leaves it when a slot of it is handed out again.
 *
 * Checksums. A page's CRC32C is computed when its write is submitted and kept per slot; a read
 * checks it, and a slot not written since it was allocated reads as -EIO: corruption and
 * missing data are I/O errors, never silent.
 *
 * Locking, as the kernel splits it. Each cluster's ci->lock covers the map bytes, CRCs and
 * written bits of its slots, and their swap cache entries and shadows (swap_state.c, as the
 * kernel's swap table since v6.18): taking and dropping references (swap_duplicate, swap_free that
 * leaves a count, swapcache_prepare), the counts, setting up a page's I/O and completing a
 * write that succeeded take that lock alone, so threads swapping in different clusters never
 * meet; a failed write takes si->lock too (its slots turn bad). si->lock covers
 * the free-cluster list, the clusters' free flags, the tasks' current clusters and si->pages;
 * a slot changes between free and handed out only with both held, so the allocator, which
 * holds si->lock, can trust a cluster's count and each map byte it sees under the cluster's
 * lock. The order is si->lock, then one ci->lock (lock_cluster); a put that frees its slot
 * drops the cluster lock and takes both in that order (__swap_entry_free). Both rank below
 * every model lock but lru_lock, which __remove_mapping's workingset_eviction takes under a
 * cluster lock (as the kernel's under the swap cache's lock); nothing but a cluster lock is
 * taken under si->lock: no I/O is submitted and no end_io is called under them, and
 * --enable-debug counts them as model locks (might_sleep) and aborts on a breach of the order.
 * inuse_pages and pages are also read without either (atomic loads) by the free-space queries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "internal.h"
#include "mm.h"

#define CLUSTER_NONE		UINT32_MAX
/*
 * Requests in flight on the uring backend: the queue depth at which the raw write reaches the
 * device's rate (bench_concurrency's QD32). Deeper only queues longer: a page written for
 * reclaim then completes after reclaim has come round to it again, and is activated and
 * scanned once more while still under writeback (shrink_page_list's case 2).
 */
#define SWAP_IO_DEPTH		32
#define SWAP_IO_MAX_PAGES	256	/* pages per request: the kernel's BIO_MAX_PAGES */
#define SWAP_ZERO_CHUNK		(1u << 20)	/* zero-fill step where fallocate is missing */

struct swap_cluster_info {
	spinlock_t lock;		/* its slots' map bytes, CRCs and written bits */
	uint32_t prev;			/* free-cluster list links, CLUSTER_NONE at the ends */
	uint32_t next;
	uint16_t count;			/* slots handed out: changed under si->lock and lock */
	bool free;			/* on the free-cluster list (si->lock) */
};

/* What swap.h shows of the device plus what only this file needs. */
struct swap_device {
	struct swap_info_struct si;
	uint64_t *written;		/* per slot: written since it was last allocated */
};

static struct swap_device *swap_dev(struct swap_info_struct *si)
{
	return (struct swap_device *)((char *)si - offsetof(struct swap_device, si));
}

/* ---- the locks ------------------------------------------------------------------------ */

static __thread bool swap_info_held;		/* this thread holds a device's si->lock */
__thread unsigned int swap_cluster_held;	/* ... and this cluster's (+ 1: swap.h) */

static void swap_info_lock(struct swap_info_struct *si)
{
	VM_BUG_ON(swap_cluster_held, "si->lock taken under a swap cluster lock (the order is "
				     "si->lock, then the cluster's)");
	VM_BUG_ON(swap_info_held, "a second si->lock taken");
	pthread_mutex_lock(&si->lock);
	swap_info_held = true;
	model_locks_held++;
}

static void swap_info_unlock(struct swap_info_struct *si)
{
	model_locks_held--;
	swap_info_held = false;
	pthread_mutex_unlock(&si->lock);
}

/* lock_cluster - take the lock of @slot's cluster; one cluster's at a time. */
static struct swap_cluster_info *lock_cluster(struct swap_info_struct *si, uint32_t slot)
{
	struct swap_cluster_info *ci = &si->cluster_info[slot / SWAPFILE_CLUSTER];

	VM_BUG_ON(swap_cluster_held, "a second swap cluster lock taken");
	VM_BUG_ON(lru_lock_pgdat, "a swap cluster lock taken under lru_lock (the order is the "
				  "cluster's, then lru_lock: __remove_mapping)");
	spin_lock(&ci->lock);
	swap_cluster_held = slot / SWAPFILE_CLUSTER + 1;
	model_locks_held++;
	return ci;
}

static void unlock_cluster(struct swap_cluster_info *ci)
{
	model_locks_held--;
	swap_cluster_held = 0;
	spin_unlock(&ci->lock);
}

/* The lock of @slot's cluster, keeping @ci (NULL: none held) if it is that one already: for
 * walking a run of slots that may cross into the next cluster. */
static struct swap_cluster_info *relock_cluster(struct swap_info_struct *si,
						struct swap_cluster_info *ci, uint32_t slot)
{
	if (ci == &si->cluster_info[slot / SWAPFILE_CLUSTER])
		return ci;
	if (ci)
		unlock_cluster(ci);
	return lock_cluster(si, slot);
}

/* ---- written bits, free space --------------------------------------------------------- */

static bool __slot_written(struct swap_info_struct *si, uint32_t slot)
{
	return swap_dev(si)->written[slot / 64] & (1ULL << (slot % 64));
}

static void __set_slot_written(struct swap_info_struct *si, uint32_t slot, bool written)
{
	uint64_t *w = &swap_dev(si)->written[slot / 64];

	if (written)
		*w |= 1ULL << (slot % 64);
	else
		*w &= ~(1ULL << (slot % 64));
}

static long si_pages(struct swap_info_struct *si)
{
	return __atomic_load_n(&si->pages, __ATOMIC_RELAXED);
}

static long si_inuse(struct swap_info_struct *si)
{
	return atomic_load_explicit(&si->inuse_pages, memory_order_relaxed);
}

/* ---- the free-cluster list ----------------------------------------------------------- */

/* Caller holds si->lock. */
static void __cluster_list_del(struct swap_info_struct *si, uint32_t idx)
{
	struct swap_cluster_info *ci = &si->cluster_info[idx];

	if (ci->prev != CLUSTER_NONE)
		si->cluster_info[ci->prev].next = ci->next;
	else
		si->free_cluster_head = ci->next;
	if (ci->next != CLUSTER_NONE)
		si->cluster_info[ci->next].prev = ci->prev;
	else
		si->free_cluster_tail = ci->prev;
	ci->prev = ci->next = CLUSTER_NONE;
	ci->free = false;
}

/* Caller holds si->lock. Freed clusters go to the tail: the head ones are reused first. */
static void __cluster_list_add_tail(struct swap_info_struct *si, uint32_t idx)
{
	struct swap_cluster_info *ci = &si->cluster_info[idx];

	ci->next = CLUSTER_NONE;
	ci->prev = si->free_cluster_tail;
	if (si->free_cluster_tail != CLUSTER_NONE)
		si->cluster_info[si->free_cluster_tail].next = idx;
	else
		si->free_cluster_head = idx;
	si->free_cluster_tail = idx;
	ci->free = true;
}

/* ---- slot state changes: the only places that change inuse_pages ---------------------- */

/* Caller holds si->lock and @slot's cluster lock; @slot is free. It starts as count 0 |
 * SWAP_HAS_CACHE, unwritten. */
static void __swap_slot_alloc(struct swap_info_struct *si, uint32_t slot)
{
	struct swap_cluster_info *ci = &si->cluster_info[slot / SWAPFILE_CLUSTER];

	if (ci->free)
		__cluster_list_del(si, slot / SWAPFILE_CLUSTER);
	ci->count++;
	si->swap_map[slot] = SWAP_HAS_CACHE;
	__set_slot_written(si, slot, false);
	atomic_fetch_add_explicit(&si->inuse_pages, 1, memory_order_relaxed);
}

/* Caller holds si->lock and @slot's cluster lock; @slot was handed out and its last user has
 * just gone. A retiring slot turns bad (it left inuse_pages when it began to retire). */
static void __swap_slot_free(struct swap_info_struct *si, uint32_t slot)
{
	uint32_t idx = slot / SWAPFILE_CLUSTER;
	bool retiring = si->swap_map[slot] & SWAP_MAP_RETIRE;

	si->swap_map[slot] = retiring ? SWAP_MAP_BAD : 0;
	/* Nobody can fault its page back from it now, and the next page to take it must not
	 * find its shadow (swap_state.c). */
	si->shadow[slot] = 0;
	if (--si->cluster_info[idx].count == 0)
		__cluster_list_add_tail(si, idx);
	if (!retiring)
		atomic_fetch_sub_explicit(&si->inuse_pages, 1, memory_order_relaxed);
}

/*
 * Caller holds si->lock and @slot's cluster lock. A write to @slot failed: never use it
 * again. Its users keep their references (the swap cache page holds the only copy, and
 * page-table entries may name the slot): it retires, and turns bad when the last goes.
 */
static void __swap_slot_mark_bad(struct swap_info_struct *si, uint32_t slot)
{
	uint8_t map = si->swap_map[slot];

	if (map == SWAP_MAP_BAD || (map & SWAP_MAP_RETIRE))
		return;
	if (map) {
		si->swap_map[slot] = map | SWAP_MAP_RETIRE;
		atomic_fetch_sub_explicit(&si->inuse_pages, 1, memory_order_relaxed);
	} else {
		si->swap_map[slot] = SWAP_MAP_BAD;
	}
	__set_slot_written(si, slot, false);
	__atomic_store_n(&si->pages, si->pages - 1, __ATOMIC_RELAXED);
}

/* ---- allocation ------------------------------------------------------------------------ */

static uint32_t cluster_first_slot(uint32_t idx)
{
	return idx ? idx * SWAPFILE_CLUSTER : 1;	/* slot 0 is the header */
}

/*
 * Caller holds si->lock. Hand out the next free slot of @pc's cluster, moving to a fresh
 * cluster from the free list when it is used up; 0 when the free list is empty. A cluster taken
 * off the list belongs to @pc until it is used up (another task may share it only after it
 * became entirely free again). Bounded: every turn of the loop takes a cluster off the free
 * list.
 */
static uint32_t __cluster_alloc_slot(struct swap_info_struct *si, struct percpu_cluster *pc)
{
	struct swap_cluster_info *ci;
	uint32_t end;

	for (;;) {
		/* index beyond nr_clusters: left over from an earlier, larger device. */
		if (pc->index == CLUSTER_NONE || pc->index >= si->nr_clusters) {
			if (si->free_cluster_head == CLUSTER_NONE) {
				pc->index = CLUSTER_NONE;
				return 0;
			}
			pc->index = si->free_cluster_head;
			__cluster_list_del(si, pc->index);
			pc->next = cluster_first_slot(pc->index);
		}
		end = min_t(uint32_t, (pc->index + 1) * SWAPFILE_CLUSTER, si->max);
		if (pc->next < cluster_first_slot(pc->index))
			pc->next = cluster_first_slot(pc->index);
		ci = lock_cluster(si, pc->index * SWAPFILE_CLUSTER);
		while (pc->next < end) {
			uint32_t slot = pc->next++;

			if (!si->swap_map[slot]) {
				__swap_slot_alloc(si, slot);
				unlock_cluster(ci);
				return slot;
			}
		}
		unlock_cluster(ci);
		pc->index = CLUSTER_NONE;
	}
}

/* Slots of cluster @idx a task can be handed: all but the header, up to the end. */
static uint32_t cluster_nr_slots(struct swap_info_struct *si, uint32_t idx)
{
	return min_t(uint32_t, (idx + 1) * SWAPFILE_CLUSTER, si->max) - cluster_first_slot(idx);
}

/*
 * Caller holds si->lock. Hand out the first free slot in [@from, @to), cluster by cluster under
 * each one's lock, skipping clusters whose every slot is handed out (their count, which changes
 * only under si->lock, says so). 0 when none is free.
 */
static uint32_t __scan_range_alloc(struct swap_info_struct *si, uint32_t from, uint32_t to)
{
	while (from < to) {
		uint32_t idx = from / SWAPFILE_CLUSTER;
		uint32_t end = min_t(uint32_t, (idx + 1) * SWAPFILE_CLUSTER, to);

		if (si->cluster_info[idx].count < cluster_nr_slots(si, idx)) {
			struct swap_cluster_info *ci = lock_cluster(si, from);
			uint8_t *p = memchr(si->swap_map + from, 0, end - from);

			if (p) {
				uint32_t slot = (uint32_t)(p - si->swap_map);

				__swap_slot_alloc(si, slot);
				unlock_cluster(ci);
				return slot;
			}
			unlock_cluster(ci);
		}
		from = end;
	}
	return 0;
}

/*
 * Caller holds si->lock. No free cluster is left: hand out the first free slot from where @pc
 * last allocated, wrapping once (pc->next is only a hint while pc->index is CLUSTER_NONE).
 */
static uint32_t __scan_alloc_slot(struct swap_info_struct *si, struct percpu_cluster *pc)
{
	uint32_t start = pc->next >= 1 && pc->next < si->max ? pc->next : 1;
	uint32_t slot;

	slot = __scan_range_alloc(si, start, si->max);
	if (!slot && start > 1)
		slot = __scan_range_alloc(si, 1, start);
	if (slot)
		pc->next = slot + 1;
	return slot;
}

/*
 * get_swap_pages - hand out up to @n free slots into @entries, each at count 0 |
 * SWAP_HAS_CACHE and unwritten, consecutive within the calling task's cluster. Threads that
 * never attached share one cluster. Returns how many (0 when swap is full or absent).
 */
int get_swap_pages(struct rcl_engine *engine, int n, swp_entry_t entries[])
{
	struct swap_info_struct *si = engine->swap;
	struct task_struct *task = get_current(engine);
	struct percpu_cluster *pc;
	int nr = 0;

	if (!si || n <= 0)
		return 0;
	swap_info_lock(si);
	pc = task ? &task->swap_cluster : &si->global_cluster;
	while (nr < n && si_inuse(si) < si->pages) {
		uint32_t slot = __cluster_alloc_slot(si, pc);

		if (!slot)
			slot = __scan_alloc_slot(si, pc);
		if (!slot)
			break;
		entries[nr++] = swp_entry(slot);
	}
	swap_info_unlock(si);
	return nr;
}

/* get_swap_page - one slot, as get_swap_pages; val 0 when none is free. */
swp_entry_t get_swap_page(struct rcl_engine *engine)
{
	swp_entry_t entry = { 0 };

	get_swap_pages(engine, 1, &entry);
	return entry;
}

/* ---- counts ---------------------------------------------------------------------------- */

/* The device if @entry names a slot of it other than the header, else NULL. */
static struct swap_info_struct *swap_info_get(struct rcl_engine *engine, swp_entry_t entry)
{
	struct swap_info_struct *si = engine->swap;

	if (!si || swp_offset(entry) == 0 || swp_offset(entry) >= si->max)
		return NULL;
	return si;
}

/* Caller holds @slot's cluster lock: the slot is handed out (not free, not bad; maybe
 * retiring, whose users still count). */
static bool __slot_in_use(struct swap_info_struct *si, uint32_t slot)
{
	return si->swap_map[slot] && si->swap_map[slot] != SWAP_MAP_BAD;
}

/* Caller holds @slot's cluster lock: handed out and good, open to new users and I/O. */
static bool __slot_usable(struct swap_info_struct *si, uint32_t slot)
{
	return __slot_in_use(si, slot) && !(si->swap_map[slot] & SWAP_MAP_RETIRE);
}

/* Caller holds @slot's cluster lock: the page-table references of a slot in use. */
static int __slot_count(struct swap_info_struct *si, uint32_t slot)
{
	return si->swap_map[slot] & ~(SWAP_HAS_CACHE | SWAP_MAP_RETIRE);
}

/*
 * swap_duplicate - one more page-table entry holds @entry. 0; -EINVAL when the slot is free,
 * bad, retiring or not a slot; -ENOSPC when it already has SWAP_MAP_MAX references (counts are not
 * continued on extra pages as the kernel's COUNT_CONTINUED does).
 */
int swap_duplicate(struct rcl_engine *engine, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(engine, entry);
	uint32_t slot = swp_offset(entry);
	struct swap_cluster_info *ci;
	int err = 0;

	if (!si)
		return -EINVAL;
	ci = lock_cluster(si, slot);
	if (!__slot_usable(si, slot))
		err = -EINVAL;
	else if (__slot_count(si, slot) >= SWAP_MAP_MAX)
		err = -ENOSPC;
	else
		si->swap_map[slot]++;
	unlock_cluster(ci);
	return err;
}

/*
 * Caller holds @slot's cluster lock. The map byte @slot is left with once @usage (1: a
 * page-table reference; SWAP_HAS_CACHE: the swap cache) is dropped, or -1 when the slot has
 * none of it to drop (free, bad, or no such reference): the put then changes nothing.
 */
static int __swap_entry_drop(struct swap_info_struct *si, uint32_t slot, uint8_t usage)
{
	int retire = si->swap_map[slot] & SWAP_MAP_RETIRE;
	int map = si->swap_map[slot] & ~SWAP_MAP_RETIRE;

	if (!__slot_in_use(si, slot))
		return -1;
	if (usage == SWAP_HAS_CACHE)
		map = map & SWAP_HAS_CACHE ? map & ~SWAP_HAS_CACHE : -1;
	else
		map = map & ~SWAP_HAS_CACHE ? map - 1 : -1;
	return map > 0 ? map | retire : map;	/* 0: the last user went */
}

/*
 * __swap_entry_free - drop @usage from @slot, as the kernel's does. A put that leaves the slot
 * in use needs the cluster's lock alone; one that frees it also changes the cluster's count
 * and maybe the free-cluster list, under si->lock, which comes first: it lets the cluster go,
 * takes both and looks again (another put may have come in between). Returns whether the slot
 * is out of use after this put (freed by it, or bad), as seen under the lock that changed it.
 */
static bool __swap_entry_free(struct swap_info_struct *si, uint32_t slot, uint8_t usage)
{
	struct swap_cluster_info *ci = lock_cluster(si, slot);
	int map = __swap_entry_drop(si, slot, usage);
	bool gone = false;

	if (map > 0)
		si->swap_map[slot] = (uint8_t)map;
	else if (map < 0)
		gone = !__slot_in_use(si, slot);
	unlock_cluster(ci);
	if (map != 0)
		return gone;

	swap_info_lock(si);
	ci = lock_cluster(si, slot);
	map = __swap_entry_drop(si, slot, usage);
	if (map > 0)
		si->swap_map[slot] = (uint8_t)map;
	else if (map == 0)
		__swap_slot_free(si, slot);
	gone = map <= 0 && !__slot_in_use(si, slot);
	unlock_cluster(ci);
	swap_info_unlock(si);
	return gone;
}

/*
 * swap_free - a page-table entry holding @entry went away. The slot is freed when neither a
 * reference nor the swap cache is left. A slot without references, or a bad one (its write
 * failed while the page stayed in memory), is left alone.
 */
bool swap_free(struct rcl_engine *engine, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(engine, entry);

	return si && __swap_entry_free(si, swp_offset(entry), 1);
}

/*
 * put_swap_page - the swap cache page of @entry is gone: clear SWAP_HAS_CACHE and free the
 * slot if no page-table entry holds it. Bad and free slots are left alone.
 */
bool put_swap_page(struct rcl_engine *engine, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(engine, entry);

	return si && __swap_entry_free(si, swp_offset(entry), SWAP_HAS_CACHE);
}

/* Caller holds @slot's cluster lock: swapcache_prepare's claim. */
static int __swapcache_prepare(struct swap_info_struct *si, uint32_t slot)
{
	if (!__slot_usable(si, slot))
		return -ENOENT;
	if (si->swap_map[slot] & SWAP_HAS_CACHE)
		return -EEXIST;
	si->swap_map[slot] |= SWAP_HAS_CACHE;
	return 0;
}

/*
 * swapcache_prepare - claim SWAP_HAS_CACHE for a swap-in of @entry, so that one thread reads
 * the slot and the others find its page in the swap cache; the caller holds @entry's cluster
 * lock (swap_cluster_lock) and adds the page in the same hold. 0; -EEXIST if a swap cache page
 * exists already; -ENOENT if the slot is free, bad, retiring (its data is in no file).
 */
int swapcache_prepare(struct rcl_engine *engine, swp_entry_t entry)
{
	VM_BUG_ON(!swap_cluster_locked_for(entry), "swapcache_prepare without the slot's cluster "
		  "lock");
	return __swapcache_prepare(engine->swap, swp_offset(entry));
}

/*
 * The lock of @entry's cluster, for the swap cache (swap_state.c), whose slots it also guards:
 * NULL when @entry names no slot. One cluster's at a time, as lock_cluster.
 */
struct swap_cluster_info *swap_cluster_lock(struct rcl_engine *engine, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(engine, entry);

	return si ? lock_cluster(si, swp_offset(entry)) : NULL;
}

void swap_cluster_unlock(struct swap_cluster_info *ci)
{
	VM_BUG_ON(!ci || !swap_cluster_held, "swap_cluster_unlock of a lock not held");
	unlock_cluster(ci);
}


/* __swap_count - page-table references of @entry (a retiring slot's too); 0 for a free, bad or
 * invalid entry. */
int __swap_count(struct rcl_engine *engine, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(engine, entry);
	uint32_t slot = swp_offset(entry);
	struct swap_cluster_info *ci;
	int count = 0;

	if (!si)
		return 0;
	ci = lock_cluster(si, slot);
	if (__slot_in_use(si, slot))
		count = __slot_count(si, slot);
	unlock_cluster(ci);
	return count;
}

/* Caller holds @slot's cluster lock: a write to it failed and users still hold it. */
static bool __slot_retiring(struct swap_info_struct *si, uint32_t slot)
{
	return __slot_in_use(si, slot) && (si->swap_map[slot] & SWAP_MAP_RETIRE);
}

/* @test of @entry's slot, under its cluster lock; false when @entry names no slot. */
static bool swap_entry_test(struct rcl_engine *engine, swp_entry_t entry,
			    bool (*test)(struct swap_info_struct *si, uint32_t slot))
{
	struct swap_info_struct *si = swap_info_get(engine, entry);
	struct swap_cluster_info *ci;
	bool ret;

	if (!si)
		return false;
	ci = lock_cluster(si, swp_offset(entry));
	ret = test(si, swp_offset(entry));
	unlock_cluster(ci);
	return ret;
}

/* swap_entry_valid - @entry names a slot that is handed out and good (not free, bad or
 * retiring). */
bool swap_entry_valid(struct rcl_engine *engine, swp_entry_t entry)
{
	return swap_entry_test(engine, entry, __slot_usable);
}

/* swap_entry_retiring - a write to @entry's slot failed and users still hold it. */
bool swap_entry_retiring(struct rcl_engine *engine, swp_entry_t entry)
{
	return swap_entry_test(engine, entry, __slot_retiring);
}

/* get_nr_swap_pages - free slots. A snapshot without the lock, as the kernel's atomic is. */
long get_nr_swap_pages(struct rcl_engine *engine)
{
	struct swap_info_struct *si = engine->swap;

	return si ? si_pages(si) - si_inuse(si) : 0;
}

/* total_swap_pages - usable slots: all but the header and the bad ones; 0 without swap. */
long total_swap_pages(struct rcl_engine *engine)
{
	return engine->swap ? si_pages(engine->swap) : 0;
}

/* vm_swap_full - more than half of swap is in use (free * 2 < total); false without swap. */
bool vm_swap_full(struct rcl_engine *engine)
{
	return engine->swap && get_nr_swap_pages(engine) * 2 < total_swap_pages(engine);
}

/* ---- page I/O -------------------------------------------------------------------------- */

/* One request: a run of consecutive slots, one iovec per page. */
struct swap_iob {
	struct io_req req;
	struct swap_info_struct *si;
	struct rcl_engine *engine;
	swap_end_io_fn end_io;
	void *private;
	struct swap_iob *next;		/* the batch, until it is submitted */
	uint32_t slot;			/* the run's first slot */
	int first;			/* the run's first index in the caller's arrays */
	int nr;
	struct swap_iob_page {
		uint32_t crc;		/* write: computed; read: expected */
		bool written;		/* read: the slot held data when the read was submitted */
	} *page;			/* nr of them, after the iovecs */
	struct iovec iov[];		/* one per page */
};

static void swap_iob_free_list(struct swap_iob *iob)
{
	while (iob) {
		struct swap_iob *next = iob->next;

		free(iob);
		iob = next;
	}
}

static struct swap_iob *swap_iob_new(struct rcl_engine *engine, const swp_entry_t *entries,
				     void *const *bufs, int first, int nr, bool write)
{
	struct swap_iob *iob;
	int i;

	/* The page states need less alignment than the iovecs, so they go after them. */
	iob = malloc(sizeof(*iob) + (size_t)nr * (sizeof(iob->iov[0]) + sizeof(iob->page[0])));
	if (!iob)
		return NULL;
	iob->page = (struct swap_iob_page *)&iob->iov[nr];
	iob->si = engine->swap;
	iob->engine = engine;
	iob->slot = swp_offset(entries[first]);
	iob->first = first;
	iob->nr = nr;
	iob->next = NULL;
	iob->req = (struct io_req){
		.fd = engine->swap->fd,
		.write = write,
		.offset = (uint64_t)iob->slot << PAGE_SHIFT,
		.iov = iob->iov,
		.iovcnt = nr,
		.private = iob,
	};
	for (i = 0; i < nr; i++) {
		iob->req.iov[i].iov_base = bufs[first + i];
		iob->req.iov[i].iov_len = PAGE_SIZE;
		iob->page[i].crc = 0;
		iob->page[i].written = false;
	}
	return iob;
}

/*
 * Split the batch into runs of consecutive slots (in the caller's order, at most
 * SWAP_IO_MAX_PAGES each) and build one request per run. 0 and *@ret_list, or -ENOMEM.
 */
static int swap_iob_build(struct rcl_engine *engine, const swp_entry_t *entries,
			  void *const *bufs, int nr, bool write, struct swap_iob **ret_list)
{
	struct swap_iob *head = NULL, **tail = &head;
	int i, j;

	for (i = 0; i < nr; i = j) {
		for (j = i + 1; j < nr && j - i < SWAP_IO_MAX_PAGES; j++)
			if (swp_offset(entries[j]) != swp_offset(entries[j - 1]) + 1)
				break;
		*tail = swap_iob_new(engine, entries, bufs, i, j - i, write);
		if (!*tail) {
			swap_iob_free_list(head);
			return -ENOMEM;
		}
		tail = &(*tail)->next;
	}
	*ret_list = head;
	return 0;
}

/*
 * Every page of the batch goes to a slot that is handed out and held by a swap cache page,
 * each looked at under its cluster's lock. That SWAP_HAS_CACHE, the caller's, keeps the slot
 * handed out after the look (only the swap cache's owner puts it); a slot held by page-table
 * entries alone could be freed and handed to another page between the look and the I/O.
 */
static bool swap_iob_valid(struct swap_info_struct *si, const struct swap_iob *iob)
{
	struct swap_cluster_info *ci = NULL;
	bool valid = true;
	int i;

	for (; iob && valid; iob = iob->next) {
		if (!iob->slot || iob->slot + (uint32_t)iob->nr > si->max ||
		    iob->slot + (uint32_t)iob->nr < iob->slot)
			valid = false;
		for (i = 0; i < iob->nr && valid; i++) {
			ci = relock_cluster(si, ci, iob->slot + i);
			valid = __slot_usable(si, iob->slot + i) &&
				(si->swap_map[iob->slot + i] & SWAP_HAS_CACHE);
		}
	}
	if (ci)
		unlock_cluster(ci);
	return valid;
}

static void swap_iob_end_pages(struct swap_iob *iob, const int *err)
{
	int i;

	for (i = 0; i < iob->nr; i++)
		iob->end_io(iob->private, iob->first + i, err ? err[i] : 0);
	free(iob);
}

/* Submit every request of the batch. One that cannot be submitted completes its pages with
 * the error, so every page gets exactly one end_io call. */
static void swap_iob_submit_all(struct swap_iob *iob)
{
	while (iob) {
		struct swap_iob *next = iob->next;
		int err = io_submit(iob->si->io, &iob->req);

		if (err) {
			int i;

			for (i = 0; i < iob->nr; i++)
				iob->end_io(iob->private, iob->first + i, err);
			free(iob);
		}
		iob = next;
	}
}

/* A write completed. On failure each slot of the request turns bad: the caller still has the
 * page (locked, under writeback) and keeps it dirty in memory, so nothing is lost. */
static void swap_write_end_io(struct io_req *req, int res)
{
	struct swap_iob *iob = req->private;
	struct swap_info_struct *si = iob->si;
	struct swap_cluster_info *ci = NULL;
	int i, err = res < 0 ? -EIO : 0;

	if (err)		/* si->pages changes and slots may leave their clusters */
		swap_info_lock(si);
	for (i = 0; i < iob->nr; i++) {
		ci = relock_cluster(si, ci, iob->slot + i);
		if (err)
			__swap_slot_mark_bad(si, iob->slot + i);
		else if (__slot_usable(si, iob->slot + i))
			__set_slot_written(si, iob->slot + i, true);
	}
	unlock_cluster(ci);
	if (err)
		swap_info_unlock(si);

	for (i = 0; i < iob->nr; i++)
		iob->end_io(iob->private, iob->first + i, err);
	free(iob);
}

/*
 * swap_writepages - write @nr pages from @bufs to the slots @entries. Runs of consecutive slots
 * become one request with an iovec per page. Each page's CRC32C is taken now, at submission:
 * the caller keeps the pages unchanged (locked, PG_writeback) until their end_io. Counts
 * pswpout per page.
 *
 * Returns -EINVAL (no swap, bad arguments, a slot that is not handed out) or -ENOMEM without
 * starting anything or calling @end_io. Otherwise 0, and @end_io(@private, index, err) runs once
 * per page: before the return on the sync backend, from io_reap/io_wait_all on uring. err is 0,
 * -EIO when the write failed (the slot then retires: out of total_swap_pages, its references
 * kept; put or freed by its users as usual, it turns SWAP_MAP_BAD), or the -errno io_submit refused
 * the request with (the slot stays as it was).
 */
int swap_writepages(struct rcl_engine *engine, const swp_entry_t *entries, void *const *bufs,
		    int nr, swap_end_io_fn end_io, void *private)
{
	struct swap_info_struct *si = engine->swap;
	struct swap_cluster_info *ci = NULL;
	struct swap_iob *batch, *iob;
	int i, err;

	if (!si || nr <= 0 || !end_io)
		return -EINVAL;
	err = swap_iob_build(engine, entries, bufs, nr, true, &batch);
	if (err)
		return err;
	for (iob = batch; iob; iob = iob->next) {
		iob->req.end_io = swap_write_end_io;
		iob->end_io = end_io;
		iob->private = private;
		for (i = 0; i < iob->nr; i++)
			iob->page[i].crc = crc32c(0, bufs[iob->first + i], PAGE_SIZE);
	}

	if (!swap_iob_valid(si, batch)) {
		swap_iob_free_list(batch);
		return -EINVAL;
	}
	/* Until the write completes, the slot holds neither the old page nor the new one. */
	for (iob = batch; iob; iob = iob->next) {
		for (i = 0; i < iob->nr; i++) {
			ci = relock_cluster(si, ci, iob->slot + i);
			si->crc[iob->slot + i] = iob->page[i].crc;
			__set_slot_written(si, iob->slot + i, false);
		}
	}
	unlock_cluster(ci);

	count_vm_events(engine, PSWPOUT, (unsigned long)nr);
	count_vm_events(engine, PGPGOUT, (unsigned long)nr * (PAGE_SIZE >> 10));	/* KiB */
	/* Submitting can wait for room in the ring: with mm_lock held every other thread of the
	 * model waits too. The deterministic engine holds it throughout; a daemon should not. */
	if (mm_locked_by_current(engine))
		count_vm_events(engine, PSWPOUT_LOCKED, (unsigned long)nr);
	swap_iob_submit_all(batch);
	return 0;
}

/* A read completed: verify each page against the CRC its slot had when the read started. */
static void swap_read_end_io(struct io_req *req, int res)
{
	struct swap_iob *iob = req->private;
	int err[SWAP_IO_MAX_PAGES];
	int i;

	for (i = 0; i < iob->nr; i++) {
		if (res < 0)
			err[i] = res;
		else if (!iob->page[i].written ||
			 crc32c(0, req->iov[i].iov_base, PAGE_SIZE) != iob->page[i].crc)
			err[i] = -EIO;
		else
			err[i] = 0;
	}
	swap_iob_end_pages(iob, err);
}

/*
 * swap_readpages - read the slots @entries into @bufs (page-aligned), grouping consecutive
 * slots as swap_writepages does, and verify each page's CRC32C. Counts pswpin per page. Returns
 * and completes as swap_writepages; a page's err is 0, the read's -errno, or -EIO for a CRC
 * mismatch or a slot not written since it was allocated. A failed read changes no slot.
 * @synchronous: see swap.h.
 */
int swap_readpages(struct rcl_engine *engine, const swp_entry_t *entries, void *const *bufs,
		   int nr, swap_end_io_fn end_io, void *private, bool synchronous)
{
	struct swap_info_struct *si = engine->swap;
	struct swap_cluster_info *ci = NULL;
	struct swap_iob *batch, *iob;
	int i, err;

	if (!si || nr <= 0 || !end_io)
		return -EINVAL;
	err = swap_iob_build(engine, entries, bufs, nr, false, &batch);
	if (err)
		return err;

	if (!swap_iob_valid(si, batch)) {
		swap_iob_free_list(batch);
		return -EINVAL;
	}
	for (iob = batch; iob; iob = iob->next) {
		iob->req.end_io = swap_read_end_io;
		iob->req.waited = synchronous;
		iob->end_io = end_io;
		iob->private = private;
		for (i = 0; i < iob->nr; i++) {
			ci = relock_cluster(si, ci, iob->slot + i);
			iob->page[i].crc = si->crc[iob->slot + i];
			iob->page[i].written = __slot_written(si, iob->slot + i);
		}
	}
	unlock_cluster(ci);

	count_vm_events(engine, PSWPIN, (unsigned long)nr);
	count_vm_events(engine, PGPGIN, (unsigned long)nr * (PAGE_SIZE >> 10));	/* KiB */
	swap_iob_submit_all(batch);
	return 0;
}

/* ---- swapon / swapoff ------------------------------------------------------------------ */

/* Give the file all its blocks; fall back to writing zeros where fallocate is unsupported. */
static int swap_file_allocate(int fd, uint64_t bytes)
{
	uint64_t off;
	char *zero;
	int err = 0;

	struct statvfs vfs;

	/* Known not to fit: fail before allocating anything. A fallocate that runs out part way
	 * keeps what it got until the file goes, and would fill the file system for everybody
	 * else meanwhile. */
	if (fstatvfs(fd, &vfs) == 0 && bytes > (uint64_t)vfs.f_bavail * vfs.f_frsize)
		return -ENOSPC;
	if (fallocate(fd, 0, 0, (off_t)bytes) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return -errno;
	zero = calloc(1, SWAP_ZERO_CHUNK);
	if (!zero)
		return -ENOMEM;
	for (off = 0; off < bytes && !err; ) {
		size_t len = min_t(uint64_t, SWAP_ZERO_CHUNK, bytes - off);
		ssize_t n = pwrite(fd, zero, len, (off_t)off);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			off += (uint64_t)n;
	}
	free(zero);
	return err;
}

static int swap_write_header(int fd, uint32_t max)
{
	struct swap_header hdr = {
		.magic = SWAP_HEADER_MAGIC,
		.version = SWAP_HEADER_VERSION,
		.page_size = PAGE_SIZE,
		.nr_slots = max,
	};
	ssize_t n;

	n = pwrite(fd, &hdr, sizeof(hdr), 0);
	if (n < 0)
		return -errno;
	return n == sizeof(hdr) ? 0 : -EIO;
}

/*
 * Create the file with every block allocated and the header in slot 0, then turn on O_DIRECT
 * (-EINVAL from a file system without it: ask for buffered I/O there). The header and any
 * zero-fill go through the page cache first; fdatasync puts them on disk before direct I/O.
 */
static int swap_file_create(struct swap_info_struct *si, const char *path, bool buffered)
{
	int fd, err;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = swap_file_allocate(fd, (uint64_t)si->max << PAGE_SHIFT);
	if (!err)
		err = swap_write_header(fd, si->max);
	if (!err && fdatasync(fd))
		err = -errno;
	if (!err && !buffered && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_DIRECT))
		err = -errno;
	if (err)
		goto out_unlink;
	si->fd = fd;
	si->direct = !buffered;
	return 0;

out_unlink:
	unlink(path);
	if (ftruncate(fd, 0))		/* give back at once whatever was allocated */
		err = err ? err : -errno;
	close(fd);
	return err;
}

static void swap_device_free(struct swap_device *dev)
{
	struct swap_info_struct *si = &dev->si;

	io_engine_free(si->io);
	if (si->fd >= 0)
		close(si->fd);
	pthread_mutex_destroy(&si->lock);
	free(si->path);
	free(si->swap_map);
	free(si->crc);
	free(si->swap_cache);
	free(si->shadow);
	free(si->cluster_info);
	free(dev->written);
	free(dev);
}

/* The in-memory side of a device of @max slots: the map, the clusters, every one free. */
static int swap_device_init(struct swap_device *dev, uint32_t max)
{
	struct swap_info_struct *si = &dev->si;
	uint32_t idx;

	si->fd = -1;
	si->max = max;
	si->pages = max - 1;
	si->nr_clusters = (max + SWAPFILE_CLUSTER - 1) / SWAPFILE_CLUSTER;
	si->free_cluster_head = si->free_cluster_tail = CLUSTER_NONE;
	si->global_cluster.index = CLUSTER_NONE;
	pthread_mutex_init(&si->lock, NULL);
	si->swap_map = calloc(max, 1);
	si->crc = calloc(max, sizeof(*si->crc));
	si->swap_cache = calloc(max, sizeof(*si->swap_cache));
	si->shadow = calloc(max, sizeof(*si->shadow));
	si->cluster_info = calloc(si->nr_clusters, sizeof(*si->cluster_info));
	dev->written = calloc((max + 63) / 64, sizeof(*dev->written));
	if (!si->swap_map || !si->crc || !si->swap_cache || !si->shadow || !si->cluster_info ||
	    !dev->written)
		return -ENOMEM;
	si->swap_map[0] = SWAP_MAP_BAD;
	for (idx = 0; idx < si->nr_clusters; idx++) {
		spin_lock_init(&si->cluster_info[idx].lock);
		__cluster_list_add_tail(si, idx);
	}
	return 0;
}

/*
 * swapon - create (or truncate) the swap file at @path with @bytes of space (whole pages; the
 * header takes the first), blocks allocated up front, O_DIRECT unless @buffered, I/O through
 * @backend; the device becomes engine->swap. The file stays on disk after swapoff.
 * 0; -EBUSY if the engine has swap already; -EINVAL for fewer than two clusters of slots or
 * more than 2^32, or O_DIRECT unsupported by the file system; -ENOSYS when @backend is uring
 * and io_uring is unavailable (nothing was created: try IO_BACKEND_SYNC); -ENOMEM; or the
 * -errno of a failed file operation (the file is then removed).
 */
int swapon(struct rcl_engine *engine, const char *path, uint64_t bytes, bool buffered,
	   enum io_backend backend)
{
	uint64_t max = bytes >> PAGE_SHIFT;
	struct swap_device *dev;
	int err;

	if (engine->swap)
		return -EBUSY;
	if (max < 2 * SWAPFILE_CLUSTER || max > UINT32_MAX)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	err = swap_device_init(dev, (uint32_t)max);
	if (err)
		goto out_free;
	/* The I/O engine first: an unavailable backend must fail before the file is touched. */
	err = io_engine_new(backend, SWAP_IO_DEPTH, &dev->si.io);
	if (err)
		goto out_free;
	dev->si.path = strdup(path);
	if (!dev->si.path) {
		err = -ENOMEM;
		goto out_free;
	}
	err = swap_file_create(&dev->si, path, buffered);
	if (err)
		goto out_free;
	engine->swap = &dev->si;
	return 0;

out_free:
	swap_device_free(dev);
	return err;
}

/*
 * swapoff - wait for the device's I/O in flight (its end_io calls run), close the file and free
 * the device. Entries still held become meaningless; the caller has freed them or does not care.
 */
void swapoff(struct rcl_engine *engine)
{
	struct swap_info_struct *si = engine->swap;

	if (!si)
		return;
	io_wait_all(si->io);		/* end_io calls may still use engine->swap */
	engine->swap = NULL;
	swap_device_free(swap_dev(si));
}
