/*
 * wait.c - wait queues, and the waits for a page's lock (see wait.h).
 */
#include <errno.h>

#include "mm.h"

void init_waitqueue_head(struct wait_queue_head *wq)
{
	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->wait, NULL);
	atomic_init(&wq->seq, 0);
}

void destroy_waitqueue_head(struct wait_queue_head *wq)
{
	pthread_cond_destroy(&wq->wait);
	pthread_mutex_destroy(&wq->lock);
}

int wait_woken(struct wait_queue_head *wq, unsigned long seq, const struct timespec *deadline)
{
	int ret = 0;

	task_will_block();
	pthread_mutex_lock(&wq->lock);
	while (atomic_load(&wq->seq) == seq && (ret == 0 || ret == EINTR)) {
		if (deadline)
			ret = pthread_cond_timedwait(&wq->wait, &wq->lock, deadline);
		else
			pthread_cond_wait(&wq->wait, &wq->lock);
	}
	if (ret != 0)
		ret = ETIMEDOUT;	/* EINVAL, a deadline not a time: as good as passed */
	if (atomic_load(&wq->seq) != seq)
		ret = 0;
	pthread_mutex_unlock(&wq->lock);
	return ret;
}

void wake_up_all(struct wait_queue_head *wq)
{
	pthread_mutex_lock(&wq->lock);
	atomic_fetch_add(&wq->seq, 1);
	pthread_cond_broadcast(&wq->wait);
	pthread_mutex_unlock(&wq->lock);
}

/* ---- page bits ----------------------------------------------------------------------- */

/* One of the engine's hashed queues: pages are many and their waiters few (page_waitqueue). */
static struct wait_queue_head *page_waitqueue(struct page *page)
{
	struct rcl_engine *engine = page_engine(page);

	return &engine->page_wait[(page_to_pfn(page) * 0x9E3779B1u) >> (32 - PAGE_WAIT_BITS)];
}

/*
 * The sleeper marks the page under the queue's lock and learns the bit from the same
 * read-modify-write of the flags word; the waker clears the bit the same way and learns
 * whether the mark was there (wake_up_page_bit). One of the two came first in the word's
 * order: if the mark did, the waker takes the queue's lock, which the sleeper keeps until it
 * sleeps, and wakes it.
 */
void wait_on_page_bit(struct page *page, int bit)
{
	struct rcl_engine *engine = page_engine(page);
	struct wait_queue_head *wq = page_waitqueue(page);
	bool held;

	if (!(page_flags(page) & (1u << bit)))
		return;		/* clear already: no need to let mm_lock go */
	held = mm_locked_by_current(engine);
	if (held)
		mm_drop(engine);	/* runs the completions queued for its holder: one may be ours */
	task_will_block();
	pthread_mutex_lock(&wq->lock);
	/* Woken, the bit is clear as a rule: look before marking, or the mark would outlive us
	 * and cost the next clear a wake-up nobody needs. */
	while ((page_flags(page) & (1u << bit)) &&
	       (atomic_fetch_or(&page->flags, 1u << PG_waiters) & (1u << bit)))
		pthread_cond_wait(&wq->wait, &wq->lock);
	pthread_mutex_unlock(&wq->lock);
	if (held)
		mm_retake(engine);
}

/*
 * Every sleeper of the queue wakes: pages share it, and one still waiting for its own page
 * marks it again before it sleeps. The mark is cleared under the queue's lock, so no sleeper
 * can be between its mark and its sleep when it goes.
 */
void wake_up_page_bit(struct page *page, unsigned int old)
{
	struct wait_queue_head *wq;

	if (!(old & (1u << PG_waiters)))
		return;
	wq = page_waitqueue(page);
	pthread_mutex_lock(&wq->lock);
	ClearPageWaiters(page);
	pthread_cond_broadcast(&wq->wait);
	pthread_mutex_unlock(&wq->lock);
}

void wait_on_page_locked(struct page *page)
{
	wait_on_page_bit(page, PG_locked);
}

/* Take the page lock, sleeping (without mm_lock) while another holder has it. */
void lock_page(struct page *page)
{
	while (!trylock_page(page))
		wait_on_page_locked(page);
}
