/*
 * workers.h - the worker pool: threads that run requests which may block (direct reclaim,
 * I/O), so that only the client that asked waits. A worker is what a task is in the kernel:
 * each attaches to the engine (rcl_thread_attach) and so has its own per-thread page lists.
 *
 * Jobs go in through a locked queue; finished jobs come back to the loop thread through a
 * second locked queue and an eventfd the loop watches. The event_base is never touched by a
 * worker.
 */
#ifndef RECLAIMD_WORKERS_H
#define RECLAIMD_WORKERS_H

#include <event2/event.h>
#include <sys/queue.h>

struct rcl_engine;
struct workers;

struct job {
	void (*run)(struct job *job);	/* on a worker thread; must not touch loop state */
	void (*done)(struct job *job);	/* on the loop thread, after run; may free the job */
	TAILQ_ENTRY(job) link;		/* owned by the pool while the job is queued */
};

/*
 * Start NR threads attached to ENGINE, delivering completions on BASE.
 * 0 or -errno; *ret_workers is owned by the caller (workers_free).
 */
int workers_new(struct event_base *base, struct rcl_engine *engine, unsigned int nr,
		struct workers **ret_workers);

/* Queue JOB (owned by the pool until its done callback runs). Loop thread. 0 or -ESHUTDOWN. */
int workers_submit(struct workers *w, struct job *job);

/* Jobs submitted whose done callback has not run yet. Loop thread. */
unsigned int workers_busy(const struct workers *w);

/*
 * Stop: refuse new jobs, let the threads finish every queued job, join them, then run the
 * remaining done callbacks on the calling thread. workers_free(NULL) does nothing.
 */
void workers_free(struct workers *w);

#endif
