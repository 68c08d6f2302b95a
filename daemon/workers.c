/*
 * workers.c - a fixed pool of engine-attached threads fed by a locked queue.
 *
 * Lock order: w->lock and w->done_lock are leaves, never held together, never held across a
 * job's run() or done().
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "reclaim/engine.h"
#include "workers.h"

struct workers {
	struct rcl_engine *engine;
	pthread_t *threads;
	unsigned int nr_threads;	/* started successfully */

	pthread_mutex_t lock;		/* protects queue and stopping */
	pthread_cond_t cond;		/* signalled on a new job and on stop */
	TAILQ_HEAD(, job) queue;	/* submitted, not yet picked up */
	bool stopping;			/* no new jobs; threads exit when the queue is empty */

	pthread_mutex_t done_lock;	/* protects done */
	TAILQ_HEAD(, job) done;		/* run, waiting for the loop */
	int efd;			/* eventfd: the loop's doorbell for done */
	struct event *ev_done;		/* the loop's read event on efd */

	unsigned int busy;		/* loop thread only: submitted, done() not yet called */
};

static void *worker_main(void *arg)
{
	struct workers *w = arg;
	int ret = rcl_thread_attach(w->engine);

	if (ret < 0)
		log_warning("worker cannot attach to the engine: %s, ignoring", strerror(-ret));
	for (;;) {
		struct job *job;
		bool was_empty;
		uint64_t one = 1;

		pthread_mutex_lock(&w->lock);
		while (TAILQ_EMPTY(&w->queue) && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		job = TAILQ_FIRST(&w->queue);
		if (job)
			TAILQ_REMOVE(&w->queue, job, link);
		pthread_mutex_unlock(&w->lock);
		if (!job)
			break;

		if (ret == 0)
			rcl_thread_busy(w->engine, true);	/* a task for PSI while it runs */
		job->run(job);
		if (ret == 0)
			rcl_thread_busy(w->engine, false);

		pthread_mutex_lock(&w->done_lock);
		was_empty = TAILQ_EMPTY(&w->done);
		TAILQ_INSERT_TAIL(&w->done, job, link);
		pthread_mutex_unlock(&w->done_lock);
		/* Ring only on the empty -> non-empty edge: the loop drains everything at once. */
		if (was_empty && write(w->efd, &one, sizeof(one)) < 0)
			log_err("worker cannot wake the loop: %m");
	}
	if (ret == 0)
		rcl_thread_detach(w->engine);
	return NULL;
}

/* Run the done callbacks of every finished job. Loop thread (or the freeing thread). */
static void workers_reap(struct workers *w)
{
	TAILQ_HEAD(, job) batch = TAILQ_HEAD_INITIALIZER(batch);
	struct job *job;

	pthread_mutex_lock(&w->done_lock);
	TAILQ_CONCAT(&batch, &w->done, link);
	pthread_mutex_unlock(&w->done_lock);
	while ((job = TAILQ_FIRST(&batch))) {
		TAILQ_REMOVE(&batch, job, link);
		w->busy--;
		job->done(job);
	}
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct workers *w = arg;
	uint64_t n;

	/* Read before reaping: a job finishing in between rings again and is not lost. */
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("cannot read the workers' eventfd: %m");
	workers_reap(w);
}

int workers_new(struct event_base *base, struct rcl_engine *engine, unsigned int nr,
		struct workers **ret_workers)
{
	struct workers *w = calloc(1, sizeof(*w));
	unsigned int i;
	int ret;

	if (!w)
		return -ENOMEM;
	w->engine = engine;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_mutex_init(&w->done_lock, NULL);
	TAILQ_INIT(&w->queue);
	TAILQ_INIT(&w->done);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->threads = calloc(nr, sizeof(*w->threads));
	if (w->efd < 0 || !w->threads) {
		ret = w->efd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	w->ev_done = event_new(base, w->efd, EV_READ | EV_PERSIST, on_done, w);
	if (!w->ev_done || event_add(w->ev_done, NULL) < 0) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < nr; i++) {
		ret = -pthread_create(&w->threads[i], NULL, worker_main, w);
		if (ret)
			goto fail;
		w->nr_threads++;
	}
	*ret_workers = w;
	return 0;
fail:
	workers_free(w);
	return ret;
}

int workers_submit(struct workers *w, struct job *job)
{
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return -ESHUTDOWN;
	}
	TAILQ_INSERT_TAIL(&w->queue, job, link);
	pthread_mutex_unlock(&w->lock);
	/* Signalled after the unlock: a worker woken while the lock is still held would block
	 * on it at once, and the unlock would then cost the loop a second futex call. */
	pthread_cond_signal(&w->cond);
	w->busy++;
	return 0;
}

unsigned int workers_busy(const struct workers *w)
{
	return w->busy;
}

void workers_free(struct workers *w)
{
	unsigned int i;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nr_threads; i++)
		pthread_join(w->threads[i], NULL);
	workers_reap(w);
	if (w->ev_done)
		event_free(w->ev_done);
	if (w->efd >= 0)
		close(w->efd);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->done_lock);
	free(w->threads);
	free(w);
}
