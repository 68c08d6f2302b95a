/*
 * mm.h - the memory model above the allocator: regions (the VMAs of this world) with their
 * page tables, address spaces (a file's page cache, or a region's anonymous pages), LRU
 * vectors, and the cross-file declarations of the reclaim engine.
 *
 * Locking: every engine entry point that touches this model holds engine->mm_lock (a big
 * lock, taken by the rcl_* API functions in region.c/memcg API), except the resident copy,
 * which works under a region reference and the region's page-table lock (region->ptl) alone.
 * Changes of entries take the ptl inside mm_lock (mmzone.h has the order). The allocator
 * below keeps its own fine-grained locks. Internal functions assume mm_lock held.
 *
 * Page-table entries are 64-bit software PTEs:
 *
 *   present:  pfn << 32 | PTE_PRESENT | PTE_YOUNG? | PTE_DIRTY? | PTE_MAPPED? (a client's page,
 *             with its PTE_HINT_STATE)
 *   swapped:  offset << 32 | PTE_SWAP
 *   zero:     pfn << 32 | PTE_ZERO (the shared zero page, see below)
 *   none:     0
 *
 * A page's references: one per PTE that maps it, one for the page cache or swap cache that
 * holds it, one while isolated from the LRU, one while in an LRU-add vector.
 */
#ifndef RCL_MM_H
#define RCL_MM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"
#include "xarray.h"

/* ---- page-table entries ------------------------------------------------------------- */

typedef uint64_t pte_t;

#define PTE_PRESENT	0x1ULL
#define PTE_YOUNG	0x2ULL	/* the accessed bit: set by every touch, cleared by reclaim */
#define PTE_DIRTY	0x4ULL	/* written through this mapping */
#define PTE_SWAP	0x8ULL	/* not present: the upper half is a swap entry */
/*
 * The shared zero page, mapped by a read of a never-written anonymous page (the kernel's
 * pte_special zero-page entry). Neither none nor present for the walkers: it has no rmap, no
 * LRU, no charge and no rss, and a write or populate fault replaces it with a page of its own.
 * Only anonymous regions ever hold one.
 */
#define PTE_ZERO	0x10ULL
/*
 * Present, and "mapped out" to a client (issue 14): the client's mapping holds the page's live
 * bytes, the frame is stale until try_to_unmap takes them back (region->map_ops->evict).
 * Only anonymous regions with map_ops hold one.
 */
#define PTE_MAPPED	0x20ULL
/*
 * A mapped-out entry's requests for a hinting fault (mapped.c): how many went to the client
 * and were not yet confirmed (PTE_HINTS, a count that sticks at its top), and whether an
 * unconfirmed one was counted as a reference since the page's last hinting fault (the grace
 * is spent). Cleared with PTE_MAPPED.
 */
#define PTE_HINT_GRACED	0x40ULL
#define PTE_HINTS_SHIFT	8
#define PTE_HINTS_MAX	15ULL
#define PTE_HINTS	(PTE_HINTS_MAX << PTE_HINTS_SHIFT)
#define PTE_HINT_STATE	(PTE_HINTS | PTE_HINT_GRACED)
#define PTE_VAL_SHIFT	32

static inline bool pte_none(pte_t pte) { return pte == 0; }
static inline bool pte_present(pte_t pte) { return pte & PTE_PRESENT; }
static inline bool pte_young(pte_t pte) { return pte & PTE_YOUNG; }
static inline bool is_swap_pte(pte_t pte) { return pte & PTE_SWAP; }
static inline bool is_zero_pte(pte_t pte) { return pte & PTE_ZERO; }
static inline bool pte_mapped_out(pte_t pte) { return pte & PTE_MAPPED; }
static inline unsigned int pte_hints(pte_t pte)
{
	return (unsigned int)((pte & PTE_HINTS) >> PTE_HINTS_SHIFT);
}
static inline uint32_t pte_pfn(pte_t pte) { return (uint32_t)(pte >> PTE_VAL_SHIFT); }
static inline pte_t mk_pte(uint32_t pfn) { return ((pte_t)pfn << PTE_VAL_SHIFT) | PTE_PRESENT; }
static inline swp_entry_t pte_to_swp_entry(pte_t pte) { return swp_entry(pte_pfn(pte)); }
static inline pte_t swp_entry_to_pte(swp_entry_t e)
{
	return ((pte_t)e.val << PTE_VAL_SHIFT) | PTE_SWAP;
}

/* ---- regions ------------------------------------------------------------------------- */

#define VM_SHARED	0x1u	/* file region whose writes reach the file */
#define VM_EXEC		0x2u	/* mapped executable: file pages stay active (spec 10) */
#define VM_LOCKED	0x4u	/* mlocked: pages go to the unevictable list */
#define VM_POPULATE	0x8u	/* fault every page in at creation */
#define VM_SEQ_READ	0x10u	/* MADV_SEQUENTIAL: a full readahead window on a fault */
#define VM_RAND_READ	0x20u	/* MADV_RANDOM: no readahead around a fault */

/*
 * The readahead state of an open file (the kernel's struct file_ra_state, spec 25): the
 * current window [start, start + size), of which the last async_size pages are lookahead
 * (the first of them carries PG_readahead), the window limit, the misses of faults through
 * a mapping, and where the last read ended (bytes; -1: nothing read yet).
 */
struct file_ra_state {
	unsigned long start;
	unsigned int size;
	unsigned int async_size;
	unsigned int ra_pages;
	unsigned int mmap_miss;
	int64_t prev_pos;
};

struct address_space;
struct mem_cgroup;
struct rcl_map_ops;

/*
 * A region id is its slot in engine->regions and a generation above it, so that an id a
 * client kept after its region went away (freed, or killed by the OOM policy) never names the
 * next region put in that slot: 4096 generations must pass first.
 */
#define REGION_SLOT_BITS	20
#define REGION_SLOT_MASK	((1u << REGION_SLOT_BITS) - 1)
#define REGION_MAX_SLOTS	(1u << REGION_SLOT_BITS)

static inline uint32_t region_slot(uint32_t id)
{
	return id & REGION_SLOT_MASK;
}

struct region {
	uint32_t id;
	unsigned long nr_pages;
	unsigned int vm_flags;		/* VM_* */
	struct mem_cgroup *memcg;	/* charged for the region's pages */
	struct address_space *file;	/* NULL for an anonymous region */
	unsigned long pgoff;		/* file page of region page 0 */
	struct address_space *anon;	/* the region's private (anonymous) pages */
	struct xarray pt;		/* page table: tables exist where pages were touched */
	struct region *i_mmap_next;	/* next region mapping the same file */
	/*
	 * The page-table lock (the kernel's split pte lock, one per region here): guards the
	 * entries and the table under them (pt's nodes), and dead. Everyone who changes an
	 * entry or makes a table holds it, inside mm_lock; the event loop's resident copy
	 * takes it alone (region.c). Readers that hold mm_lock may read entries without it
	 * (ptep_get, pte_get): only its holders change them, and only a lone ptl holder's
	 * young and dirty bits can change under such a reader.
	 */
	spinlock_t ptl;
	/* Changed under mm_lock with atomic stores (region_count), read without it by
	 * rcl_region_info; so are vm_flags' changes after creation (region_set_flags). */
	unsigned long rss;		/* present entries */
	unsigned long swapents;		/* swap entries */
	unsigned long swap_ra_next;	/* swap_state.c: page after the last range swapped in */
	atomic_int refcount;		/* the region table's, and each call working in it */
	bool dead;			/* freed or killed: no new work, pages gone (also ptl) */
	struct file_ra_state f_ra;	/* file region: the readahead of its faults */
	const struct rcl_map_ops *map_ops; /* mapped by a client (mapped.c), or NULL */
	void *map_arg;
	bool map_closing;		/* an unmap is taking the pages back: no fault maps
					 * one out to the client any more */
	unsigned int nr_dropping;	/* DONTNEED requests on it that let mm_lock go
					 * (rcl_region_madvisev): no client maps it */
	uint64_t *map_hints;		/* pages whose client entries reclaim wants zapped */
	unsigned int nr_map_hints;	/* queued in map_hints */
	bool map_hint_listed;		/* on engine->mapped_hinting (referenced) */
	struct region *map_hint_next;
};

/* The entry of page @idx: none where no table was ever made. */
static inline pte_t pte_get(const struct region *region, unsigned long idx)
{
	return xa_load(&region->pt, idx);
}

/* ---- the page-table lock ---- */

extern __thread int model_locks_held;
extern __thread int pte_locks_held;
extern __thread int i_pages_locks_held;
extern __thread bool shadow_lru_held;
extern __thread struct pglist_data *lru_lock_pgdat;

/* Take @region's page-table lock: nothing under it may sleep or take mm_lock (lock.c). It
 * ranks above lru_lock: --enable-debug aborts on a ptl taken under that. */
/*
 * Add @delta to a region's count (rss, swapents): see struct region. Its writers are one at a
 * time (mm_lock), so a plain load and store do, atomic only for the readers without the lock:
 * no locked instruction on the fault and reclaim paths, which count every page.
 */
static inline void region_count(unsigned long *count, long delta)
{
	__atomic_store_n(count, __atomic_load_n(count, __ATOMIC_RELAXED) + (unsigned long)delta,
			 __ATOMIC_RELAXED);
}

static inline unsigned long region_count_read(const unsigned long *count)
{
	return __atomic_load_n(count, __ATOMIC_RELAXED);
}

/* Set (@set) or clear VM_* @flags of a live region: see struct region. */
static inline void region_set_flags(struct region *region, unsigned int flags, bool set)
{
	if (set)
		__atomic_fetch_or(&region->vm_flags, flags, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&region->vm_flags, ~flags, __ATOMIC_RELAXED);
}

static inline void pte_lock(struct region *region)
{
	VM_BUG_ON(lru_lock_pgdat, "page-table lock taken under lru_lock (the order is ptl, then "
		  "lru_lock)");
	VM_BUG_ON(i_pages_locks_held, "page-table lock taken under a page cache lock (the order "
		  "is ptl, then i_pages)");
	VM_BUG_ON(swap_cluster_locked_by_current(), "page-table lock taken under a swap cluster "
		  "lock (only lru_lock is taken under one)");
	spin_lock(&region->ptl);
	pte_locks_held++;
	model_locks_held++;
}

static inline void pte_unlock(struct region *region)
{
	model_locks_held--;
	pte_locks_held--;
	spin_unlock(&region->ptl);
}

/* --enable-debug: the caller changes an entry of @region, so it holds its ptl. */
static inline void assert_pte_locked(struct region *region)
{
	VM_BUG_ON(!pte_locks_held || !atomic_load_explicit(&region->ptl.locked,
							    memory_order_relaxed),
		  "page-table entry changed without the page-table lock");
}

/* An entry read once (READ_ONCE): a lone ptl holder may be setting its young or dirty bit. */
static inline pte_t ptep_get(const pte_t *ptep)
{
	return __atomic_load_n(ptep, __ATOMIC_RELAXED);
}

/* Store entry @ptep of @region (set_pte_at); the caller holds the region's ptl. */
static inline void set_pte(struct region *region, pte_t *ptep, pte_t pte)
{
	assert_pte_locked(region);
	__atomic_store_n(ptep, pte, __ATOMIC_RELAXED);
}

static inline void pte_set_flags(struct region *region, pte_t *ptep, pte_t flags)
{
	set_pte(region, ptep, ptep_get(ptep) | flags);
}

static inline void pte_clear_flags(struct region *region, pte_t *ptep, pte_t flags)
{
	set_pte(region, ptep, ptep_get(ptep) & ~flags);
}

/* The entry of page @idx to change in place, or NULL where it is none and has no table. */
static inline pte_t *pte_offset(const struct region *region, unsigned long idx)
{
	return xa_slot(&region->pt, idx);
}

/* The entry of page @idx, its table made if needed (a fault); NULL when out of memory. The
 * caller holds the ptl: the resident copy walks the table without mm_lock. */
static inline pte_t *pte_alloc(struct region *region, unsigned long idx)
{
	struct xa_node *table;

	assert_pte_locked(region);
	table = xa_leaf_create(&region->pt, idx);

	return table ? &table->entries[idx & XA_CHUNK_MASK] : NULL;
}

/* Walk the entries of [start, end) of @region that are not none. */
#define for_each_pte(region, i, start, end) xa_for_each_range(&(region)->pt, i, start, end)

/* ---- address spaces ------------------------------------------------------------------ */

enum mapping_type { MAPPING_ANON, MAPPING_FILE };

/*
 * Page cache slots: 0 empty; (pfn + 1) << 1 a page; shadow << 1 | 1 a workingset shadow entry
 * left by an evicted page (spec 14).
 */
typedef uint64_t pgcache_slot_t;

static inline bool slot_is_shadow(pgcache_slot_t s) { return s & 1; }
static inline bool slot_is_page(pgcache_slot_t s) { return s && !(s & 1); }
static inline uint32_t slot_pfn(pgcache_slot_t s) { return (uint32_t)((s >> 1) - 1); }
static inline pgcache_slot_t mk_page_slot(uint32_t pfn) { return ((pgcache_slot_t)pfn + 1) << 1; }
static inline uint64_t slot_shadow(pgcache_slot_t s) { return s >> 1; }
static inline pgcache_slot_t mk_shadow_slot(uint64_t v) { return (v << 1) | 1; }

/* A leaf of the page cache that holds shadow entries and no page: what the workingset
 * shrinker may reclaim (spec 14). */
static inline bool shadow_node(const struct xa_node *leaf)
{
	return !leaf->nr_pages && leaf->nr_values;
}

struct address_space {
	uint32_t id;			/* what page->mapping holds */
	enum mapping_type type;
	struct rcl_engine *engine;
	int refcount;			/* regions and open handles */
	struct region *anon_region;	/* MAPPING_ANON: the owner */

	/* MAPPING_FILE */
	char *path;			/* relative to the data directory */
	dev_t i_dev;			/* the inode it was opened as: a path that leads */
	ino_t i_ino;			/* elsewhere now is another file */
	bool unlinked;			/* no longer found by its path */
	int fd;
	uint64_t i_size;		/* bytes */
	spinlock_t i_pages_lock;	/* i_pages, nrpages, nrexceptional (i_pages_lock()) */
	struct xarray i_pages;		/* page cache and shadow entries, by file page index */
	unsigned long nrpages;		/* pages in the cache */
	unsigned long nrexceptional;	/* shadow entries */
	unsigned long nr_dirty;		/* PG_dirty pages in the cache */
	unsigned long nr_writeback;	/* PG_writeback pages in the cache, submitted or about
					 * to be (page-writeback.c) */
	unsigned long writeback_index;	/* where background writeback goes on (range_cyclic) */
	uint64_t dirtied_when;		/* when nr_dirty last left 0 (ns, monotonic): what the
					 * flusher's periodic writeback ages files by */
	struct region *i_mmap;		/* regions mapping the file */
	int wb_err;			/* sticky writeback error: returned by the next sync */
	struct file_ra_state f_ra;	/* the path-form reads' shared readahead state */
	bool f_random;			/* ...and their FMODE_RANDOM (POSIX_FADV_RANDOM) */
	struct address_space *next;	/* engine->files */
};

/*
 * An open file for buffered I/O (the kernel's struct file, reclaim/region.h's rcl_file):
 * per open file readahead state and advice, and the memcg its new pages are charged to.
 */
struct rcl_file {
	struct rcl_engine *engine;
	struct address_space *mapping;
	struct mem_cgroup *memcg;	/* holds memcg->nr_files */
	struct file_ra_state f_ra;
	bool f_random;			/* FMODE_RANDOM */
};

static inline struct rcl_engine *page_engine_of_mapping(const struct address_space *mapping)
{
	return mapping->engine;
}

/* ---- the page cache lock ---- */

/*
 * Take @mapping's page cache lock, the kernel's xa_lock_irq(&mapping->i_pages): the slots of
 * its cache (pages and shadow entries), the leaves under them, nrpages and nrexceptional.
 * Every change holds it, inside mm_lock for now, so a holder of mm_lock may still read slots
 * without it; a reader without mm_lock must take it. It ranks below the page-table lock and
 * above lru_lock, as in the kernel (workingset_eviction under it may take lru_lock); nothing
 * under it sleeps or takes mm_lock, and one mapping's at a time. --enable-debug aborts on each.
 */
static inline void i_pages_lock(struct address_space *mapping)
{
	VM_BUG_ON(lru_lock_pgdat, "page cache lock taken under lru_lock (the order is i_pages, "
		  "then lru_lock)");
	VM_BUG_ON(shadow_lru_held, "page cache lock taken under the shadow node list lock (the "
		  "order is i_pages, then the list's)");
	VM_BUG_ON(i_pages_locks_held, "a second mapping's page cache lock taken");
	VM_BUG_ON(swap_cluster_locked_by_current(), "page cache lock taken under a swap cluster "
		  "lock (only lru_lock is taken under one)");
	spin_lock(&mapping->i_pages_lock);
	i_pages_locks_held++;
	model_locks_held++;
}

/* i_pages_lock if it is free at once: for the shadow node shrinker, which finds the mapping
 * under the list lock below it (the kernel's xa_trylock in shadow_lru_isolate). */
static inline bool i_pages_trylock(struct address_space *mapping)
{
	VM_BUG_ON(i_pages_locks_held, "a second mapping's page cache lock taken");
	if (!spin_trylock(&mapping->i_pages_lock))
		return false;
	i_pages_locks_held++;
	model_locks_held++;
	return true;
}

static inline void i_pages_unlock(struct address_space *mapping)
{
	model_locks_held--;
	i_pages_locks_held--;
	spin_unlock(&mapping->i_pages_lock);
}

/* --enable-debug: the caller changes @mapping's page cache, so it holds its lock. */
static inline void assert_i_pages_locked(struct address_space *mapping)
{
	VM_BUG_ON(!i_pages_locks_held || !atomic_load_explicit(&mapping->i_pages_lock.locked,
							       memory_order_relaxed),
		  "page cache changed without its lock");
}

bool PageAnon(const struct page *page);

static inline bool page_is_file_cache(const struct page *page)
{
	return !PageSwapBacked(page);
}

/* ---- LRU vectors --------------------------------------------------------------------- */

#define PAGEVEC_SIZE	15

struct pagevec {
	unsigned int nr;
	struct page *pages[PAGEVEC_SIZE];
};

struct zone_reclaim_stat {
	unsigned long recent_rotated[2];	/* [0] anon, [1] file */
	unsigned long recent_scanned[2];
};

/*
 * One CLOCK-Pro clock (clockpro.c): the resident pages of one type (anon, file) of an lruvec,
 * kept on the type's inactive list, and the non-resident cold pages in their test period.
 * Every entry has a position; positions grow from hand_hot (the list's tail) to the head.
 * Unused under the two-list policy.
 */
struct clockpro {
	uint64_t head_pos;		/* position of the last page placed at the head */
	uint64_t hot_pos;		/* position hand_hot passed last */
	uint64_t cold_pos;		/* position hand_cold passed last */
	uint64_t test_pos;		/* position hand_test passed last */
	uint32_t hand_cold;		/* hint: list index of the page hand_cold looks at next */
	uint32_t hand_test;		/* hint: the same for hand_test */
	unsigned long mem_size;		/* m, lately most pages resident (clock_size) */
	unsigned long nr_hot;		/* resident hot pages */
	unsigned long nr_nonres;	/* non-resident cold pages in their test period */
	unsigned long cold_target;	/* m_c, the adaptive target of resident cold pages */
	unsigned long cold_idle;	/* pages hand_cold looked at since it last freed one */
	bool full;			/* reclaim has run: memory filled once (clock_join) */
	struct xarray nonres;		/* position -> non-resident test page (mapping, index) */
};

/* The LRU lists of one memcg on one node. */
struct lruvec {
	struct page_list lists[NR_LRU_LISTS];
	struct clockpro clockpro[2];	/* anon, file; CLOCK-Pro only */
	unsigned long lru_zone_size[MAX_NR_ZONES][NR_LRU_LISTS];
	struct zone_reclaim_stat reclaim_stat;
	long inactive_age;		/* workingset clock (spec 14) */
	unsigned long refaults;		/* WORKINGSET_ACTIVATE snapshot (spec 9) */
	bool congested;			/* memcg per-node congestion flag (spec 6 step 7) */
	struct pglist_data *pgdat;
	struct mem_cgroup *memcg;
};

static inline bool is_file_lru(enum lru_list lru)
{
	return lru == LRU_INACTIVE_FILE || lru == LRU_ACTIVE_FILE;
}

static inline bool is_active_lru(enum lru_list lru)
{
	return lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE;
}

static inline enum lru_list page_lru_base_type(const struct page *page)
{
	return page_is_file_cache(page) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
}

/* The list a page belongs on, from its flags. */
static inline enum lru_list page_lru(const struct page *page)
{
	if (PageUnevictable(page))
		return LRU_UNEVICTABLE;
	return (enum lru_list)(page_lru_base_type(page) + (PageActive(page) ? 1 : 0));
}

/* ---- lock.c: the model lock, waits without it, completions ----------------------------- */

#define PAGE_WAIT_BITS	6

extern __thread struct rcl_engine *mm_lock_owner;
extern __thread int model_locks_held;

void mm_lock(struct rcl_engine *engine);
bool mm_trylock(struct rcl_engine *engine);
void mm_unlock(struct rcl_engine *engine);
bool mm_locked_by_current(const struct rcl_engine *engine);
/* Let mm_lock go to block, and take it back: what was looked at before must be checked again. */
void mm_drop(struct rcl_engine *engine);
void mm_retake(struct rcl_engine *engine);
/* Let mm_lock go to a thread waiting for it, if one does, and take it back (cond_resched_lock):
 * true if it was let go, and what was looked at before must be checked again. */
bool cond_resched_mm_lock(struct rcl_engine *engine);
/* Sleep on @wq with mm_lock let go, until woken or until @deadline (CLOCK_REALTIME) if given:
 * 0, or ETIMEDOUT. The caller found its condition false under mm_lock, and checks it again. */
int mm_wait_event(struct rcl_engine *engine, struct wait_queue_head *wq,
		  const struct timespec *deadline);
/* --enable-debug: abort if this thread holds a model lock where it may block. */
void might_sleep(void);
void task_will_block(void);

/* pgdat->lru_lock (mmzone.h has the order); lru_lock_pgdat is the node whose lock this thread
 * holds, NULL for none. */
extern __thread struct pglist_data *lru_lock_pgdat;
void lru_lock(struct pglist_data *pgdat);
void lru_unlock(struct pglist_data *pgdat);

/* --enable-debug (lockdep_assert_held): the caller changes @pgdat's LRU lists or their counts. */
static inline void assert_lru_locked(const struct pglist_data *pgdat)
{
	VM_BUG_ON(lru_lock_pgdat != pgdat, "LRU list changed without its node's lru_lock");
}

typedef void (*model_completion_fn)(void *arg, long a, long b);
void model_complete(struct rcl_engine *engine, model_completion_fn fn, void *arg, long a, long b);

/* wait.c: sleeping on a page bit, mm_lock let go meanwhile if held */
void wait_on_page_locked(struct page *page);
void lock_page(struct page *page);

/* ---- page lock ----------------------------------------------------------------------- */

static inline bool trylock_page(struct page *page)
{
	return !TestSetPageLocked(page);
}

/*
 * A page unlocked by a path that does not hold its lock means two paths each believe they own
 * the page; --enable-debug builds stop right there (the kernel's VM_BUG_ON_PAGE).
 */
static inline void unlock_page(struct page *page)
{
	unsigned int old = atomic_fetch_and(&page->flags, ~(1u << PG_locked));

	VM_BUG_ON_PAGE(!(old & (1u << PG_locked)), page, "unlocked while not locked");
	wake_up_page_bit(page, old);
}

/* Lock a page nobody else can reach yet (a new swap or page cache page). */
static inline void __lock_new_page(struct page *page)
{
	VM_BUG_ON_PAGE(PageLocked(page), page, "locked twice");
	__SetPageLocked(page);
}

/* ---- memory.c -------------------------------------------------------------------------- */

struct region *region_lookup(struct rcl_engine *engine, uint32_t id);
struct address_space *mapping_lookup(struct rcl_engine *engine, uint32_t id);
int mapping_register(struct rcl_engine *engine, struct address_space *mapping);
void mapping_unregister(struct rcl_engine *engine, struct address_space *mapping);
/* Count and clear young bits of every entry mapping @page; union of the mappers' flags. */
int page_referenced(struct page *page, struct mem_cgroup *target, unsigned int *vm_flags);
void page_sample_mapped(struct page *page);
/* Unmap @page from every entry (anon: install its swap entry). True if no mapping remains. */
enum ttu_flags { TTU_IGNORE_MLOCK = 0x1 };
bool try_to_unmap(struct page *page, unsigned int flags);
bool unuse_retired_swap(struct page *page);
bool page_mapped(const struct page *page);
pte_t *page_mapped_out_pte(struct page *page, struct region **ret_region);

/* A client holds @page's live bytes: they must be taken back before it is unmapped. */
static inline bool page_mapped_out(struct page *page)
{
	struct region *region;

	return page_mapped_out_pte(page, &region) != NULL;
}

void put_page(struct page *page);
/* lru_lock held: drop a reference to @page, which is on @lruvec; the last takes it off and
 * queues it on @pages_to_free, for release_freed_pages once the lock is let go (swap.c). */
void put_page_lru_locked(struct page *page, struct lruvec *lruvec, struct page_list *pages_to_free);
void release_freed_pages(struct page_list *pages);
struct page *alloc_page_vma(struct rcl_engine *engine, gfp_t gfp, struct region *region);
/* handle_mm_fault flags */
#define FAULT_FLAG_WRITE	0x1u	/* a write access */
#define FAULT_FLAG_POPULATE	0x2u	/* populate/mlock: an anonymous page gets its own frame */
#define FAULT_FLAG_READAHEAD	0x4u	/* madvise(WILLNEED): read ahead, not an access */
int handle_mm_fault(struct rcl_engine *engine, struct region *region, unsigned long idx,
		    unsigned int flags, struct page **ret_page);
void count_major_fault(struct rcl_engine *engine, struct mem_cgroup *memcg);
void zap_page_range(struct rcl_engine *engine, struct region *region, unsigned long start,
		    unsigned long nr);
bool mlock_reserve(struct rcl_engine *engine, struct mem_cgroup *memcg, unsigned long nr_pages);
void mlock_unreserve(struct rcl_engine *engine, struct mem_cgroup *memcg, unsigned long nr_pages);
void region_mlock(struct rcl_engine *engine, struct region *region);
void region_destroy(struct rcl_engine *engine, struct region *region, bool resched);
void region_get(struct region *region);
/* The last reference frees the region: the caller holds mm_lock. */
void region_put(struct rcl_engine *engine, struct region *region);
/* The region @id, referenced, or NULL; needs no mm_lock (the table's short lock). */
struct region *region_lookup_get(struct rcl_engine *engine, uint32_t id);
/* region_put for a caller without mm_lock: a last reference is freed by a holder of it. */
void region_put_unlocked(struct rcl_engine *engine, struct region *region);
void region_munlock(struct rcl_engine *engine, struct region *region);
/* mapped.c */
int mapped_take_back(struct region *region, unsigned long idx, struct page *page, pte_t *pte);
#define TAKE_BACK_BATCH	64	/* mapped-out pages reclaim takes back together */
void mapped_take_back_pages(struct page **pages, unsigned int nr, struct pglist_data *pgdat,
			    const unsigned long nr_isolated[2]);
void mapped_region_lost(struct region *region);
int mapped_copy(struct rcl_engine *engine, struct region *region, uint64_t pos, void *buf,
		size_t n, bool write);
void mapped_page_aged(struct rcl_engine *engine, struct region *region, unsigned long idx);
bool mapped_hint_grace(struct rcl_engine *engine, struct region *region, pte_t *pte);
void mapped_flush_hints(struct rcl_engine *engine);

/* ---- swap.c (LRU lists) ---------------------------------------------------------------- */

void add_page_to_lru_list(struct page *page, struct lruvec *lruvec, enum lru_list lru);
void add_page_to_lru_list_tail(struct page *page, struct lruvec *lruvec, enum lru_list lru);
void del_page_from_lru_list(struct page *page, struct lruvec *lruvec, enum lru_list lru);
void update_lru_size(struct lruvec *lruvec, enum lru_list lru, int zid, long nr);
unsigned long lruvec_lru_size(struct lruvec *lruvec, enum lru_list lru, int zone_idx);
void lru_cache_add(struct page *page);
void lru_cache_add_active_or_unevictable(struct page *page, struct region *region);
void lru_add_drain(struct rcl_engine *engine);
void lru_add_drain_all(struct rcl_engine *engine);
void mark_page_accessed(struct page *page);
void activate_page(struct page *page);
void deactivate_file_page(struct page *page);
void mark_page_lazyfree(struct page *page);
void rotate_reclaimable_page(struct page *page);
void putback_lru_page(struct page *page);
int isolate_lru_page(struct page *page);
bool page_evictable(const struct page *page);
struct lruvec *mem_cgroup_page_lruvec(struct page *page);

/* ---- filemap.c ------------------------------------------------------------------------- */

struct address_space *file_open(struct rcl_engine *engine, const char *path, uint64_t min_size,
				bool create, int *ret_err);
void file_put(struct rcl_engine *engine, struct address_space *mapping);
void file_prune_unused(struct rcl_engine *engine);
unsigned int file_shrink_unused(struct rcl_engine *engine);
bool mapping_still_at(struct rcl_engine *engine, struct address_space *mapping,
		      const char *path);
void file_put_final(struct rcl_engine *engine, struct address_space *mapping);
int generic_file_read(struct rcl_engine *engine, struct address_space *mapping, uint64_t pos,
		      void *buf, size_t len, size_t *ret_read);
int generic_file_write(struct rcl_engine *engine, struct address_space *mapping, uint64_t pos,
		       const void *buf, size_t len);
int generic_file_buffered_read(struct rcl_file *filp, uint64_t pos, void *buf, size_t len,
			       size_t *ret_read);
struct rcl_file_iov;
#define FILE_READ_CACHED_MAX	64	/* pages generic_file_read_cached copies at most */
int generic_file_read_cached(struct rcl_file *filp, struct rcl_file_iov *iov, size_t n);
int generic_perform_write(struct rcl_file *filp, uint64_t pos, const void *buf, size_t len);
int generic_fadvise(struct rcl_file *filp, uint64_t offset, uint64_t len, int advice);
struct page *filemap_fault(struct rcl_engine *engine, struct region *region, unsigned long pgoff,
			   unsigned int flags, int *ret_err);
void map_file_page(struct region *region, unsigned long idx, struct page *page);
bool filemap_map_pages(struct rcl_engine *engine, struct region *region, unsigned long idx);
int filemap_read_pages(struct address_space *mapping, struct page **pages, unsigned int nr);
struct page *find_get_page(struct address_space *mapping, unsigned long index);
int add_to_page_cache_lru(struct page *page, struct address_space *mapping,
			  unsigned long index, struct mem_cgroup *memcg, gfp_t gfp);
void __delete_from_page_cache(struct page *page, uint64_t shadow);
void delete_from_page_cache(struct page *page);
/* The page cache slot of @index: 0 (empty), a page or a shadow entry. */
static inline pgcache_slot_t page_cache_slot(const struct address_space *mapping,
					     unsigned long index)
{
	return xa_load(&mapping->i_pages, index);
}
void page_cache_set_slot(struct address_space *mapping, unsigned long index, pgcache_slot_t new);

/* ---- page-writeback.c ------------------------------------------------------------------ */

bool set_page_dirty(struct page *page);
bool set_anon_page_dirty(struct page *page);
bool clear_page_dirty_for_io(struct page *page);
void end_page_writeback(struct page *page);
void set_page_writeback(struct page *page);
int file_writepage(struct page *page);
int filemap_write_and_wait(struct rcl_engine *engine, struct address_space *mapping);
void filemap_fdatawrite(struct rcl_engine *engine, struct address_space *mapping);
void filemap_fdatawait_range(struct rcl_engine *engine, struct address_space *mapping,
			     unsigned long start, unsigned long end);
unsigned long filemap_fdatawrite_range(struct rcl_engine *engine, struct address_space *mapping,
				       unsigned long start, unsigned long end);
int filemap_fsync_result(struct address_space *mapping, int fsync_err);
void wakeup_flusher_threads(struct rcl_engine *engine);
void flush_pending_writeback(struct rcl_engine *engine);
void wb_run_inline(struct rcl_engine *engine);
void writeback_throttle(struct rcl_engine *engine);
void balance_dirty_pages_ratelimited(struct rcl_engine *engine);
void wb_periodic(struct rcl_engine *engine);
void writeback_wait_all(struct rcl_engine *engine);
void writeback_reap(struct rcl_engine *engine);
void balance_dirty_pages(struct rcl_engine *engine);
void blk_start_plug(struct rcl_engine *engine);
void blk_finish_plug(struct rcl_engine *engine);
void blk_finish_plug_unlocked(struct rcl_engine *engine);
void blk_flush_plug_unlocked(struct rcl_engine *engine);
bool blk_plug_nearly_full(struct rcl_engine *engine, unsigned long nr);

/* ---- swap_state.c ---------------------------------------------------------------------- */

bool add_to_swap(struct page *page);
void __delete_from_swap_cache(struct page *page, uint64_t shadow);
void delete_from_swap_cache(struct page *page);
struct page *lookup_swap_cache(struct rcl_engine *engine, swp_entry_t entry);
int swap_writepage(struct page *page);
void swapin_wait_page(struct rcl_engine *engine, struct page *page);
struct page *swapin_readahead(struct rcl_engine *engine, swp_entry_t entry,
			      struct region *region, unsigned int flags, int *ret_err);
void swapin_range(struct rcl_engine *engine, struct region *region, unsigned long first,
		  unsigned long nr, bool access);
bool try_to_free_swap(struct page *page);
int free_swap_and_cache(struct rcl_engine *engine, swp_entry_t entry);
unsigned int swapin_nr_pages(struct rcl_engine *engine, uint32_t offset);
void swap_entry_put_pte(struct rcl_engine *engine, swp_entry_t entry);
void swap_entry_put_cache(struct rcl_engine *engine, swp_entry_t entry);

/* ---- readahead.c ----------------------------------------------------------------------- */

#define VM_READAHEAD_PAGES	32	/* the device's default window: 128 KiB */
#define MMAP_LOTSAMISS		100

void file_ra_state_init(struct file_ra_state *ra);
unsigned long __do_page_cache_readahead(struct address_space *mapping, struct mem_cgroup *memcg,
					unsigned long offset, unsigned long nr_to_read,
					unsigned long lookahead_size);
void force_page_cache_readahead(struct address_space *mapping, struct mem_cgroup *memcg,
				unsigned long offset, unsigned long nr_to_read);
unsigned long ra_submit(struct file_ra_state *ra, struct address_space *mapping,
			struct mem_cgroup *memcg);
void page_cache_sync_readahead(struct address_space *mapping, struct file_ra_state *ra,
			       bool random, struct mem_cgroup *memcg, unsigned long offset,
			       unsigned long req_size);
void page_cache_async_readahead(struct address_space *mapping, struct file_ra_state *ra,
				struct mem_cgroup *memcg, struct page *page,
				unsigned long offset, unsigned long req_size);

/* ---- workingset.c ---------------------------------------------------------------------- */

uint64_t workingset_eviction(struct address_space *mapping, struct page *page);
void workingset_refault(struct page *page, uint64_t shadow);
void workingset_activation(struct page *page);
uint64_t workingset_refault_distance(struct rcl_engine *engine, uint64_t shadow,
				     struct lruvec **ret_lruvec, bool *ret_workingset);
void workingset_init(struct rcl_engine *engine);
unsigned long workingset_shrink_shadows(struct rcl_engine *engine, struct pglist_data *pgdat,
				       struct mem_cgroup *memcg);
void workingset_update_node(struct address_space *mapping, struct xa_node *leaf);

/* clockpro.c: the CLOCK-Pro policy's hooks into the LRU lists and the workingset shadows. */
void clockpro_init(struct lruvec *lruvec);
void clockpro_exit(struct lruvec *lruvec);
enum lru_list clockpro_lru_add(struct page *page, struct lruvec *lruvec, enum lru_list lru,
			       bool tail);
void clockpro_lru_del(struct page *page, struct lruvec *lruvec, enum lru_list lru);
void clockpro_lru_prepare(struct page *page);
void clockpro_page_accessed(struct page *page);
bool clockpro_page_cold(struct page *page);
int clockpro_check(struct lruvec *lruvec, char *why, size_t len);
uint64_t clockpro_eviction(struct page *page, bool *ret_test);
bool clockpro_refault(struct page *page, struct lruvec *lruvec, uint64_t pos);
void workingset_reparent_nodes(struct mem_cgroup *memcg, struct mem_cgroup *parent);
/* The shadow node list lock (workingset.c): below i_pages_lock, a leaf otherwise. */
void shadow_lru_lock(struct rcl_engine *engine);
void shadow_lru_unlock(struct rcl_engine *engine);

#endif /* RCL_MM_H */
