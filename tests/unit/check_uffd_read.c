/*
 * check_uffd_read - the fault thread's read of a client's userfaultfd never waits for a
 * message, whatever the open file's flags say (daemon/uffd-read.h).
 *
 * The file is shared with the client, which may clear the O_NONBLOCK the daemon set and take
 * the message the daemon's epoll_wait reported; the read must then come back at once (EAGAIN
 * with RWF_NOWAIT, or EINTR from its own 20 ms timer on a kernel without it), not sleep for
 * the next fault. Here a userfaultfd with no message waiting is read with O_NONBLOCK cleared,
 * both ways: a read that waits is ended by an alarm two seconds on, and the test fails. Where
 * this machine makes no userfaultfd, the tests are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "check-main.h"
#include "uffd-read.h"

static void on_alarm(int sig)
{
	(void)sig;
}

/* A userfaultfd of this process, API handshake done, without O_NONBLOCK; -1 if none. */
static int blocking_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC), dev;

	if (fd < 0) {
		dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		fd = dev < 0 ? -1 : ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC);
		if (dev >= 0)
			close(dev);
	}
	if (fd >= 0 && ioctl(fd, UFFDIO_API, &api) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * @read_fn on a userfaultfd with no message and O_NONBLOCK cleared: it must come back with
 * EAGAIN or (bounded) EINTR well before the alarm that ends a read that waits.
 */
static void check_no_wait(ssize_t (*read_fn)(int, void *, size_t), const char *what)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART: EINTR */
	struct uffd_msg msg;
	double t0, took;
	ssize_t n;
	int fd = blocking_uffd(), err;

	if (fd < 0)
		rcl_skip("no userfaultfd here: %s", strerror(errno));
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	alarm(2);
	t0 = now_s();
	n = read_fn(fd, &msg, sizeof(msg));
	err = errno;
	took = now_s() - t0;
	alarm(0);
	ck_assert_msg(n < 0 && (err == EAGAIN || err == EINTR) && took < 1.0,
		      "%s of a userfaultfd with no message: %zd (%s) after %.3f s, not at once",
		      what, n, n < 0 ? strerror(err) : "a message", took);
	close(fd);
}

/* What the fault thread calls: RWF_NOWAIT here, the bounded read on a kernel without it. */
START_TEST(test_read_of_blocking_uffd_does_not_wait)
{
	check_no_wait(uffd_read, "uffd_read");
}
END_TEST

/* The bound an older kernel relies on, run here too: its timer ends the read (EINTR). */
START_TEST(test_bounded_read_of_blocking_uffd_ends)
{
	check_no_wait(uffd_read_bounded, "uffd_read_bounded");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("uffd_read");
	TCase *tc = tcase_create("nowait");

	tcase_add_test(tc, test_read_of_blocking_uffd_does_not_wait);
	tcase_add_test(tc, test_bounded_read_of_blocking_uffd_ends);
	suite_add_tcase(s, tc);
	return s;
}
