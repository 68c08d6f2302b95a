/*
 * mm_types.h - the frame descriptor (struct page), its flags, and lists of frames.
 *
 * Every frame of the arena has one struct page in a separate array (the mem_map). It is kept at
 * 32 bytes: list links are 32-bit frame numbers instead of pointers, and the page's node and zone
 * live in the top bits of its flags word, as the kernel's page->flags holds them.
 *
 * A page is always in exactly one of these states (the functions that move it are in brackets):
 *
 *   free in the buddy   PG_buddy, order in ->private, on a zone free list
 *        |  [__rmqueue_smallest / __free_one_page]
 *   on a per-thread list (pcp)   refcount 0, pcp migratetype in ->index
 *        |  [rmqueue_pcplist / free_unref_page]
 *   allocated           refcount >= 1; raw (no mapping) or owned by a region/file
 *        |  [lru_cache_add / isolate_lru_pages / putback]      (reclaim engine)
 *   on an LRU list, isolated, under writeback, in the swap cache ... back to free.
 */
#ifndef RCL_MM_TYPES_H
#define RCL_MM_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rcl_engine;

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)

/* A frame number that names no frame: the end of a list. */
#define PFN_NONE	UINT32_MAX

/*
 * Page flag bits. Bits below PG_FLAGS_BITS are page state; the node and zone of the frame are
 * packed above them and never change after the arena is laid out.
 */
enum pageflags {
	PG_locked,		/* the page lock */
	PG_referenced,		/* one unmapped access seen (mark_page_accessed, spec 12.2) */
	PG_uptodate,		/* contents valid */
	PG_dirty,		/* must be written before the frame can be reused */
	PG_lru,			/* on an LRU list */
	PG_active,		/* on (or headed for) an active list */
	PG_workingset,		/* was active before its last deactivation (v4.20+) */
	PG_error,		/* I/O failed */
	PG_reclaim,		/* reclaim wants it freed as soon as writeback ends */
	PG_swapbacked,		/* anon or shmem: backed by swap, not a file */
	PG_unevictable,		/* on the unevictable list */
	PG_mlocked,		/* mapped by a VM_LOCKED region */
	PG_writeback,		/* I/O in flight */
	PG_swapcache,		/* in the swap cache; ->private holds the swap entry */
	PG_readahead,		/* brought in by readahead, not yet used */
	PG_buddy,		/* free, on a buddy free list; ->private holds the order */
	PG_head,		/* first frame of a higher-order allocation */
	PG_waiters,		/* somebody sleeps on this page's wait queue (wait.c) */
	PG_hot,			/* CLOCK-Pro: a hot page of its clock (clockpro.c) */
	PG_test,		/* CLOCK-Pro: a cold page in its test period */
	PG_clock,		/* CLOCK-Pro: joined its clock (first access seen) */
	PG_FLAGS_BITS
};

#define PG_ZONE_SHIFT	24	/* zone index within the node: 2 bits */
#define PG_NODE_SHIFT	26	/* node id: 3 bits */
#define PG_ZONE_MASK	0x3u
#define PG_NODE_MASK	0x7u

_Static_assert(PG_FLAGS_BITS <= PG_ZONE_SHIFT, "page flags collide with the zone bits");

/* ->mapping of a raw allocation's first frame (rcl_alloc_pages): no address space has it. */
#define RAW_MAPPING_ID	UINT32_MAX

struct page {
	_Atomic uint32_t flags;		/* PG_* bits, zone and node */
	uint32_t lru_next;		/* next frame on the list that holds this page */
	uint32_t lru_prev;		/* previous frame on that list */
	_Atomic int32_t _refcount;	/* 0 = free (buddy or pcp) */
	uint32_t mapping;		/* id of the owning address space, 0 = none */
	uint32_t index;			/* page offset in the mapping; pcp migratetype while free */
	uint32_t private;		/* buddy order while free; swap entry in the swap cache */
	_Atomic int16_t _mapcount;	/* page-table entries mapping it, minus one */
	uint16_t mem_cgroup;		/* id of the charged memcg, 0 = none */
};

_Static_assert(sizeof(struct page) <= 32, "struct page must stay within 32 bytes");

/*
 * The mem_map: the frame array is placed at MEM_MAP_OFFSET inside a window aligned to
 * MEM_MAP_ALIGN, with this header at the window's base. Any struct page pointer therefore finds
 * its frame number and its engine by masking, without a global, as the kernel's page_to_pfn needs
 * only mem_map. 4 GiB windows hold 2^27 frames: arenas up to 512 GiB.
 */
#define MEM_MAP_ALIGN	(1ULL << 32)
#define MEM_MAP_OFFSET	64		/* frame 0 sits one cache line after the header */
#define MEM_MAP_MAX_FRAMES ((MEM_MAP_ALIGN - MEM_MAP_OFFSET) / 32)

struct mem_map_header {
	struct rcl_engine *engine;	/* the engine this arena belongs to */
	uint32_t nr_frames;		/* frames in the arena */
};

static inline struct mem_map_header *page_mem_map_header(const struct page *page)
{
	return (struct mem_map_header *)((uintptr_t)page & ~(uintptr_t)(MEM_MAP_ALIGN - 1));
}

static inline uint32_t page_to_pfn(const struct page *page)
{
	return (uint32_t)((((uintptr_t)page & (uintptr_t)(MEM_MAP_ALIGN - 1)) - MEM_MAP_OFFSET) /
			  sizeof(struct page));
}

static inline struct rcl_engine *page_engine(const struct page *page)
{
	return page_mem_map_header(page)->engine;
}

/* ---- flag helpers ---------------------------------------------------------------------- */

static inline uint32_t page_flags(const struct page *page)
{
	return atomic_load_explicit(&((struct page *)page)->flags, memory_order_relaxed);
}

static inline bool test_page_flag(const struct page *page, enum pageflags bit)
{
	return page_flags(page) & (1u << bit);
}

/* Atomic read-modify-write: other threads may change other bits at the same time. */
static inline void set_page_flag(struct page *page, enum pageflags bit)
{
	atomic_fetch_or_explicit(&page->flags, 1u << bit, memory_order_relaxed);
}

static inline void clear_page_flag(struct page *page, enum pageflags bit)
{
	atomic_fetch_and_explicit(&page->flags, ~(1u << bit), memory_order_relaxed);
}

static inline bool test_and_set_page_flag(struct page *page, enum pageflags bit)
{
	return atomic_fetch_or_explicit(&page->flags, 1u << bit, memory_order_acq_rel) & (1u << bit);
}

static inline bool test_and_clear_page_flag(struct page *page, enum pageflags bit)
{
	return atomic_fetch_and_explicit(&page->flags, ~(1u << bit), memory_order_acq_rel) &
	       (1u << bit);
}

/* Non-atomic variants for pages nobody else can reach (free, or under the zone lock). */
static inline void __set_page_flag(struct page *page, enum pageflags bit)
{
	atomic_store_explicit(&page->flags, page_flags(page) | (1u << bit), memory_order_relaxed);
}

static inline void __clear_page_flag(struct page *page, enum pageflags bit)
{
	atomic_store_explicit(&page->flags, page_flags(page) & ~(1u << bit), memory_order_relaxed);
}

#define PAGEFLAG(name, bit)							\
static inline bool Page##name(const struct page *p) { return test_page_flag(p, bit); } \
static inline void SetPage##name(struct page *p) { set_page_flag(p, bit); }		\
static inline void ClearPage##name(struct page *p) { clear_page_flag(p, bit); }		\
static inline void __SetPage##name(struct page *p) { __set_page_flag(p, bit); }	\
static inline void __ClearPage##name(struct page *p) { __clear_page_flag(p, bit); }	\
static inline bool TestSetPage##name(struct page *p) { return test_and_set_page_flag(p, bit); } \
static inline bool TestClearPage##name(struct page *p) { return test_and_clear_page_flag(p, bit); }

PAGEFLAG(Locked, PG_locked)
PAGEFLAG(Waiters, PG_waiters)
PAGEFLAG(Referenced, PG_referenced)
PAGEFLAG(Uptodate, PG_uptodate)
PAGEFLAG(Dirty, PG_dirty)
PAGEFLAG(LRU, PG_lru)
PAGEFLAG(Active, PG_active)
PAGEFLAG(Workingset, PG_workingset)
PAGEFLAG(Error, PG_error)
PAGEFLAG(Reclaim, PG_reclaim)
PAGEFLAG(SwapBacked, PG_swapbacked)
PAGEFLAG(Unevictable, PG_unevictable)
PAGEFLAG(Mlocked, PG_mlocked)
PAGEFLAG(Writeback, PG_writeback)
PAGEFLAG(SwapCache, PG_swapcache)
PAGEFLAG(Readahead, PG_readahead)
PAGEFLAG(Buddy, PG_buddy)
PAGEFLAG(Head, PG_head)
PAGEFLAG(Hot, PG_hot)
PAGEFLAG(Test, PG_test)
PAGEFLAG(Clock, PG_clock)

static inline unsigned int page_node_id(const struct page *page)
{
	return (page_flags(page) >> PG_NODE_SHIFT) & PG_NODE_MASK;
}

static inline unsigned int page_zonenum(const struct page *page)
{
	return (page_flags(page) >> PG_ZONE_SHIFT) & PG_ZONE_MASK;
}

/* ---- reference counts ------------------------------------------------------------------ */

static inline int page_ref_count(const struct page *page)
{
	return atomic_load_explicit(&((struct page *)page)->_refcount, memory_order_relaxed);
}

static inline void set_page_count(struct page *page, int v)
{
	atomic_store_explicit(&page->_refcount, v, memory_order_relaxed);
}

static inline void get_page(struct page *page)
{
	atomic_fetch_add_explicit(&page->_refcount, 1, memory_order_relaxed);
}

/* Returns true when this dropped the last reference. */
static inline bool put_page_testzero(struct page *page)
{
	return atomic_fetch_sub_explicit(&page->_refcount, 1, memory_order_acq_rel) == 1;
}

static inline int page_mapcount(const struct page *page)
{
	return atomic_load_explicit(&((struct page *)page)->_mapcount, memory_order_relaxed) + 1;
}

/* ---- lists of frames ------------------------------------------------------------------- */

/*
 * A doubly linked list threaded through struct page by frame number. The list head carries the
 * mem_map so that the operations need nothing else; lists never mix frames of two arenas.
 */
struct page_list {
	struct page *map;		/* frame 0 of the arena */
	uint32_t head;			/* first frame, PFN_NONE when empty */
	uint32_t tail;			/* last frame, PFN_NONE when empty */
};

static inline void page_list_init(struct page_list *l, struct page *map)
{
	l->map = map;
	l->head = l->tail = PFN_NONE;
}

static inline bool page_list_empty(const struct page_list *l)
{
	return l->head == PFN_NONE;
}

static inline struct page *page_list_first(const struct page_list *l)
{
	return l->head == PFN_NONE ? NULL : l->map + l->head;
}

static inline struct page *page_list_last(const struct page_list *l)
{
	return l->tail == PFN_NONE ? NULL : l->map + l->tail;
}

static inline struct page *page_list_next(const struct page_list *l, const struct page *p)
{
	return p->lru_next == PFN_NONE ? NULL : l->map + p->lru_next;
}

static inline struct page *page_list_prev(const struct page_list *l, const struct page *p)
{
	return p->lru_prev == PFN_NONE ? NULL : l->map + p->lru_prev;
}

/* Add at the head: the young end of an LRU, the hot end of a free list. */
static inline void page_list_add(struct page_list *l, struct page *p)
{
	uint32_t pfn = (uint32_t)(p - l->map);

	p->lru_prev = PFN_NONE;
	p->lru_next = l->head;
	if (l->head != PFN_NONE)
		l->map[l->head].lru_prev = pfn;
	else
		l->tail = pfn;
	l->head = pfn;
}

/* Add at the tail: the old end, where isolation and bulk frees take pages from. */
static inline void page_list_add_tail(struct page_list *l, struct page *p)
{
	uint32_t pfn = (uint32_t)(p - l->map);

	p->lru_next = PFN_NONE;
	p->lru_prev = l->tail;
	if (l->tail != PFN_NONE)
		l->map[l->tail].lru_next = pfn;
	else
		l->head = pfn;
	l->tail = pfn;
}

static inline void page_list_del(struct page_list *l, struct page *p)
{
	if (p->lru_prev != PFN_NONE)
		l->map[p->lru_prev].lru_next = p->lru_next;
	else
		l->head = p->lru_next;
	if (p->lru_next != PFN_NONE)
		l->map[p->lru_next].lru_prev = p->lru_prev;
	else
		l->tail = p->lru_prev;
	p->lru_next = p->lru_prev = PFN_NONE;
}

static inline void page_list_move(struct page_list *from, struct page_list *to, struct page *p)
{
	page_list_del(from, p);
	page_list_add(to, p);
}

static inline void page_list_move_tail(struct page_list *from, struct page_list *to,
				       struct page *p)
{
	page_list_del(from, p);
	page_list_add_tail(to, p);
}

/* Move every page of @from to the head of @to, keeping their order; @from ends empty. */
static inline void page_list_splice(struct page_list *from, struct page_list *to)
{
	if (page_list_empty(from))
		return;
	if (page_list_empty(to)) {
		to->head = from->head;
		to->tail = from->tail;
	} else {
		from->map[from->tail].lru_next = to->head;
		to->map[to->head].lru_prev = from->tail;
		to->head = from->head;
	}
	from->head = from->tail = PFN_NONE;
}

#define page_list_for_each(p, l) \
	for ((p) = page_list_first(l); (p); (p) = page_list_next((l), (p)))

#endif /* RCL_MM_TYPES_H */
