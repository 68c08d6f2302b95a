/*
 * page_counter.h - the kernel's page_counter: a hierarchical usage count in pages with a
 * limit, charged and uncharged without a lock.
 *
 * Each counter points at its parent's; a charge is counted at every level up to the root. The
 * usage is an atomic added to first and checked after (try_charge), so concurrent chargers
 * never see a level above its max once their charge went through: one that would exceed it
 * takes its pages back off every level it already charged. The limits (min, low, high, max)
 * are written by whoever configures the group and read with relaxed loads: a charge racing a
 * limit change may be judged against either value, as in the kernel.
 *
 * The protection bookkeeping lives here too: min_usage and low_usage are the part of the usage
 * that memory.min and memory.low protect (v4.19 rule: all of it while within the setting,
 * nothing above), and a parent keeps the sum over its children so that effective protection
 * (mem_cgroup_protected) can be computed from atomics alone. emin and elow are that effective
 * protection, stored by the reclaim walk for the children it visits next.
 */
#ifndef RCL_PAGE_COUNTER_H
#define RCL_PAGE_COUNTER_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "mm_types.h"

#define PAGE_COUNTER_MAX	(LONG_MAX / PAGE_SIZE)

struct page_counter {
	_Atomic long usage;
	_Atomic unsigned long min, low, high, max;

	/* Effective protection, written by the reclaim walk (mem_cgroup_protected). */
	_Atomic unsigned long emin, elow;

	/* Protected usage: this counter's, and the sum of its children's. */
	_Atomic unsigned long min_usage, low_usage;
	_Atomic unsigned long children_min_usage, children_low_usage;

	_Atomic unsigned long watermark;	/* the highest usage a charge left */
	_Atomic unsigned long failcnt;		/* charges refused at this level */

	struct page_counter *parent;		/* fixed from init to free */
};

void page_counter_init(struct page_counter *counter, struct page_counter *parent);
void page_counter_charge(struct page_counter *counter, unsigned long nr_pages);
bool page_counter_try_charge(struct page_counter *counter, unsigned long nr_pages,
			     struct page_counter **fail);
void page_counter_uncharge(struct page_counter *counter, unsigned long nr_pages);
void page_counter_set_min(struct page_counter *counter, unsigned long nr_pages);
void page_counter_set_low(struct page_counter *counter, unsigned long nr_pages);
void page_counter_set_high(struct page_counter *counter, unsigned long nr_pages);
void page_counter_set_max(struct page_counter *counter, unsigned long nr_pages);

/* The usage of @counter; racy by design, as any count read while others charge. */
static inline unsigned long page_counter_read(const struct page_counter *counter)
{
	long usage = atomic_load_explicit(&counter->usage, memory_order_relaxed);

	return usage > 0 ? (unsigned long)usage : 0;
}

/* A limit or protection value: a relaxed load (the kernel's READ_ONCE). */
static inline unsigned long page_counter_get(const _Atomic unsigned long *value)
{
	return atomic_load_explicit(value, memory_order_relaxed);
}

#endif /* RCL_PAGE_COUNTER_H */
