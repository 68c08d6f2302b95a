/*
 * check_uffd_read - the fault thread's read of a client's userfaultfd never waits for a
 * message, whatever the open file's flags say (daemon/uffd-read.h).
 *
 * The file is shared with the client, which may clear the O_NONBLOCK the daemon set and take
 * the message the daemon's epoll_wait reported; the read must then come back with EAGAIN, not
 * sleep for the next fault. Here a userfaultfd with no message waiting is read with
 * O_NONBLOCK cleared: a read that waits is ended by an alarm two seconds on (EINTR), and the
 * test fails. Where this machine makes no userfaultfd, the test is skipped.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

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

START_TEST(test_read_of_blocking_uffd_does_not_wait)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART: EINTR */
	struct uffd_msg msg;
	ssize_t n;
	int fd = blocking_uffd(), err;

	if (fd < 0)
		rcl_skip("no userfaultfd here: %s", strerror(errno));
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	alarm(2);
	n = uffd_read(fd, &msg, sizeof(msg));
	err = errno;
	alarm(0);
	ck_assert_msg(n < 0 && err == EAGAIN, "read of a userfaultfd with no message: %zd (%s), "
		      "not EAGAIN at once", n, n < 0 ? strerror(err) : "a message");
	close(fd);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("uffd_read");
	TCase *tc = tcase_create("nowait");

	tcase_add_test(tc, test_read_of_blocking_uffd_does_not_wait);
	suite_add_tcase(s, tc);
	return s;
}
