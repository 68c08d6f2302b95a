/*
 * uffd-read.c - a read of a userfaultfd that never waits: RWF_NOWAIT, or a timer's signal on a
 * kernel without it (uffd-read.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "uffd-read.h"

/* glibc before 2.35 names the field only in its union. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id	_sigev_un._tid
#endif

/* A real-time signal nothing else in the daemon uses: libevent and sd-daemon take none. */
#define UFFD_READ_SIGNAL	(SIGRTMIN + 1)

static atomic_bool nowait_refused;	/* this kernel's userfaultfd lacks RWF_NOWAIT */
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static __thread timer_t bound_timer;
static __thread int bound_state;	/* 0 not made yet, 1 made, -1 could not be made */

/* Nothing to do: the signal is only there to end the read it interrupts (no SA_RESTART). */
static void on_bound(int sig)
{
	(void)sig;
}

static void install_handler(void)
{
	struct sigaction sa = { .sa_handler = on_bound };

	sigemptyset(&sa.sa_mask);
	sigaction(UFFD_READ_SIGNAL, &sa, NULL);
}

/* This thread's timer, made on its first bounded read: its signal comes to this thread only,
 * which may have blocked signals (the loop takes SIGTERM), so it is let in here. */
static bool bound_timer_ready(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID };
	sigset_t set;

	if (bound_state)
		return bound_state > 0;
	pthread_once(&handler_once, install_handler);
	sev.sigev_signo = UFFD_READ_SIGNAL;
	sev.sigev_notify_thread_id = gettid();
	sigemptyset(&set);
	sigaddset(&set, UFFD_READ_SIGNAL);
	bound_state = pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 &&
		      timer_create(CLOCK_MONOTONIC, &sev, &bound_timer) == 0 ? 1 : -1;
	return bound_state > 0;
}

/*
 * Armed for the read alone. A signal that fires after the read came back is delivered when
 * the disarming call returns, so it never interrupts anything else of this thread.
 */
ssize_t uffd_read_bounded(int uffd, void *buf, size_t len)
{
	struct itimerspec arm = { .it_value = { 0, UFFD_READ_BOUND_NS } }, off = { 0 };
	ssize_t n;
	int err;

	if (!bound_timer_ready())
		return read(uffd, buf, len);	/* the file's O_NONBLOCK is all there is */
	timer_settime(bound_timer, 0, &arm, NULL);
	n = read(uffd, buf, len);
	err = errno;
	timer_settime(bound_timer, 0, &off, NULL);
	errno = err;
	return n;
}

void uffd_read_force_bounded(void)
{
	atomic_store_explicit(&nowait_refused, true, memory_order_relaxed);
}

ssize_t uffd_read(int uffd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	ssize_t n;

	if (!atomic_load_explicit(&nowait_refused, memory_order_relaxed)) {
		n = preadv2(uffd, &iov, 1, -1, RWF_NOWAIT);
		if (n >= 0 || errno != EOPNOTSUPP)
			return n;
		atomic_store_explicit(&nowait_refused, true, memory_order_relaxed);
	}
	return uffd_read_bounded(uffd, buf, len);
}
