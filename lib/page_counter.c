/*
 * page_counter.c - hierarchical page counters charged without a lock (the kernel's
 * mm/page_counter.c, written for this engine).
 *
 * A charge adds to each level's usage on the way up and checks the result against that
 * level's max afterwards. Adding first is what makes the limit hold among concurrent chargers:
 * of two that race for the last pages, at least one sees the other's pages in its result and
 * backs out, where a check before the add would let both in. A charge that backs out takes its
 * pages off every level it charged, so a refused charge leaves nothing behind; until it has,
 * those levels look fuller than they are, and a charge racing it may be refused too (the
 * kernel accepts that; the refused charge reclaims and retries).
 */
#include "page_counter.h"

/* All of @usage while within @setting, nothing above (v4.19, spec 6.1); 0 protects nothing. */
static unsigned long protected_part(unsigned long usage, unsigned long setting)
{
	return usage <= setting ? usage : 0;
}

/*
 * Store a counter's protected usage @protected in @own and move the parent's @sum by the
 * change. The exchange makes the changes telescope: however charges interleave, the parent's
 * sum is the sum of what its children last stored.
 */
static void propagate_one(_Atomic unsigned long *own, _Atomic unsigned long *sum,
			  unsigned long protected)
{
	unsigned long old = atomic_load_explicit(own, memory_order_relaxed);

	if (protected == old)
		return;
	old = atomic_exchange(own, protected);
	/* Unsigned arithmetic: a drop wraps around and subtracts. */
	atomic_fetch_add(sum, protected - old);
}

/*
 * Bring @c's protected usage, and its parent's sums, in line with its usage. Another charge
 * may change the usage between the read and the store and finish first, leaving this store
 * stale; so read the usage again after storing and go round while it moved. Once charges stop,
 * the last one to store has seen the final usage: reclaim, which reads these sums without a
 * lock, never divides a parent's protection by a sum that no charge is left to correct.
 * Each round that goes again does so because another charge made progress.
 */
static void propagate_protected_usage(struct page_counter *c)
{
	struct page_counter *parent = c->parent;
	unsigned long usage;

	if (!parent)
		return;
	do {
		usage = page_counter_read(c);
		propagate_one(&c->min_usage, &parent->children_min_usage,
			      protected_part(usage, page_counter_get(&c->min)));
		propagate_one(&c->low_usage, &parent->children_low_usage,
			      protected_part(usage, page_counter_get(&c->low)));
	} while (page_counter_read(c) != usage);
}

/*
 * Raise @c's watermark to @usage. A compare-and-exchange where the kernel stores racily: the
 * watermark is then the true highest usage a charge left, which the tests read to prove that
 * no level ever went above its max.
 */
static void page_counter_update_watermark(struct page_counter *c, unsigned long usage)
{
	unsigned long old = atomic_load_explicit(&c->watermark, memory_order_relaxed);

	while (usage > old &&
	       !atomic_compare_exchange_weak_explicit(&c->watermark, &old, usage,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

/* Take @nr_pages off @c alone (one level of an uncharge, or of a refused charge's undo). */
static void page_counter_cancel(struct page_counter *c, unsigned long nr_pages)
{
	atomic_fetch_sub(&c->usage, (long)nr_pages);
	propagate_protected_usage(c);
}

void page_counter_init(struct page_counter *counter, struct page_counter *parent)
{
	atomic_init(&counter->usage, 0);
	atomic_init(&counter->min, 0);
	atomic_init(&counter->low, 0);
	atomic_init(&counter->high, PAGE_COUNTER_MAX);
	atomic_init(&counter->max, PAGE_COUNTER_MAX);
	atomic_init(&counter->emin, 0);
	atomic_init(&counter->elow, 0);
	atomic_init(&counter->min_usage, 0);
	atomic_init(&counter->low_usage, 0);
	atomic_init(&counter->children_min_usage, 0);
	atomic_init(&counter->children_low_usage, 0);
	atomic_init(&counter->watermark, 0);
	atomic_init(&counter->failcnt, 0);
	counter->parent = parent;
}

/* Charge @nr_pages to @counter and its ancestors whatever their max (the kernel's forced
 * charge: pages that must be counted although the group is full). */
void page_counter_charge(struct page_counter *counter, unsigned long nr_pages)
{
	struct page_counter *c;

	for (c = counter; c; c = c->parent) {
		long new = atomic_fetch_add(&c->usage, (long)nr_pages) + (long)nr_pages;

		propagate_protected_usage(c);
		if (new > 0)
			page_counter_update_watermark(c, (unsigned long)new);
	}
}

/*
 * Charge @nr_pages to @counter and its ancestors if no level goes above its max. On failure
 * no level stays charged, the level that refused counts a failure, and @fail points at it (the
 * group the caller must reclaim from).
 */
bool page_counter_try_charge(struct page_counter *counter, unsigned long nr_pages,
			     struct page_counter **fail)
{
	struct page_counter *c;

	for (c = counter; c; c = c->parent) {
		long new = atomic_fetch_add(&c->usage, (long)nr_pages) + (long)nr_pages;

		if (new > (long)page_counter_get(&c->max)) {
			page_counter_cancel(c, nr_pages);
			atomic_fetch_add_explicit(&c->failcnt, 1, memory_order_relaxed);
			*fail = c;
			goto undo;
		}
		propagate_protected_usage(c);
		if (new > 0)
			page_counter_update_watermark(c, (unsigned long)new);
	}
	return true;
undo:
	for (c = counter; c != *fail; c = c->parent)
		page_counter_cancel(c, nr_pages);
	return false;
}

void page_counter_uncharge(struct page_counter *counter, unsigned long nr_pages)
{
	struct page_counter *c;

	for (c = counter; c; c = c->parent)
		page_counter_cancel(c, nr_pages);
}

/* memory.min: the parent's sum follows at once, as the next reclaim walk reads it. */
void page_counter_set_min(struct page_counter *counter, unsigned long nr_pages)
{
	atomic_store_explicit(&counter->min, nr_pages, memory_order_relaxed);
	propagate_protected_usage(counter);
}

void page_counter_set_low(struct page_counter *counter, unsigned long nr_pages)
{
	atomic_store_explicit(&counter->low, nr_pages, memory_order_relaxed);
	propagate_protected_usage(counter);
}

void page_counter_set_high(struct page_counter *counter, unsigned long nr_pages)
{
	atomic_store_explicit(&counter->high, nr_pages, memory_order_relaxed);
}

/* The new max applies to the next charge; lowering it below the usage reclaims nothing here,
 * the caller (writing memory.max) reclaims down to it. */
void page_counter_set_max(struct page_counter *counter, unsigned long nr_pages)
{
	atomic_store_explicit(&counter->max, nr_pages, memory_order_relaxed);
}
