/*
 * wait.h - wait queues (the kernel's wait_queue_head_t, include/linux/wait.h): where a thread
 * sleeps until another wakes it; and the waits for a page's bit to clear built on them
 * (wait_on_page_bit, the kernel's mm/filemap.c page_waitqueue).
 *
 * Each queue has a lock of its own, held only to sleep and to wake, never with anything taken
 * under it, so mm_lock is never the mutex of a sleep. A page lock needs no model lock on
 * either side: a page can be unlocked, and its sleepers woken, by a thread that holds nothing
 * (unlock_page).
 *
 * A wake-up is never lost. A queue counts its wake-ups (seq). A sleeper reads the count
 * (prepare_to_wait) while it still holds what guards the condition it found false, lets that
 * go, and sleeps only while the count is unchanged. A waker changes the condition under the
 * same guard and wakes after, so a wake-up that comes between the sleeper's letting go and
 * its sleep has moved the count already. For the queues slept on with mm_wait_event that
 * guard is mm_lock: their wakers hold it.
 */
#ifndef RCL_WAIT_H
#define RCL_WAIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

struct page;

struct wait_queue_head {
	pthread_mutex_t lock;		/* a leaf: held to sleep or to wake, nothing under it */
	pthread_cond_t wait;
	_Atomic unsigned long seq;	/* wake-ups so far */
};

void init_waitqueue_head(struct wait_queue_head *wq);
void destroy_waitqueue_head(struct wait_queue_head *wq);

/* The queue's count, read before letting go of what guards the condition. */
static inline unsigned long prepare_to_wait(struct wait_queue_head *wq)
{
	return atomic_load(&wq->seq);
}

/* Sleep until a wake-up after @seq (prepare_to_wait's), or until @deadline (CLOCK_REALTIME)
 * if it is given: 0, or ETIMEDOUT with no wake-up seen. The caller holds no model lock. */
int wait_woken(struct wait_queue_head *wq, unsigned long seq, const struct timespec *deadline);

/* Wake every sleeper of @wq. */
void wake_up_all(struct wait_queue_head *wq);

/*
 * Page bits: sleep until @bit of @page is clear (PG_locked: wait_on_page_locked). There is no
 * wait_on_page_writeback: a write's completion reaches end_page_writeback only through a
 * thread that reaps the ring (io.c has no interrupt), so a writeback waiter waits for the I/O
 * itself (writeback_wait_all, filemap_fdatawait_range), reaping. A sleeper holding
 * mm_lock lets it go meanwhile (and has it back after). Sleepers mark the page PG_waiters,
 * in the same word as the bit they wait for, so that the waker's clear of the bit and the
 * sleeper's mark are ordered one way or the other: either the sleeper sees the bit clear, or
 * the waker sees the mark (wake_up_page_bit).
 */
void wait_on_page_bit(struct page *page, int bit);
/* The bit's waker, after clearing it: @old is the flags the clear found. */
void wake_up_page_bit(struct page *page, unsigned int old);

#endif
