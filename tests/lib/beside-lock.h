/*
 * beside-lock.h - run a call in a second thread while this one holds a lock, with a bound:
 * a call that must not wait for the lock then fails its test instead of hanging it.
 */
#ifndef RCL_BESIDE_LOCK_H
#define RCL_BESIDE_LOCK_H

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#define BESIDE_LOCK_SECONDS	20	/* the test case's timeout must be longer */

/*
 * Take the lock (@lock(@lock_arg)), run @fn(@arg) in a new thread, and let the lock go when
 * it returns or the bound passes, whichever comes first; then wait for it. True if it
 * returned while the lock was held.
 */
static inline bool run_beside_lock(void (*lock)(void *), void (*unlock)(void *), void *lock_arg,
				   void *(*fn)(void *), void *arg)
{
	struct timespec deadline;
	pthread_t tid;
	int joined;

	lock(lock_arg);
	ck_assert_int_eq(pthread_create(&tid, NULL, fn, arg), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += BESIDE_LOCK_SECONDS;
	joined = pthread_timedjoin_np(tid, NULL, &deadline);
	unlock(lock_arg);
	if (joined)
		pthread_join(tid, NULL);
	return joined == 0;
}

#endif
