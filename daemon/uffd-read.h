/*
 * uffd-read.h - reading a client's userfaultfd without ever waiting for a message (mapfd.c).
 *
 * The O_NONBLOCK that xfer_handoff sets is on an open file the client shares (its own
 * descriptor of the userfaultfd it made): it may clear it again, take a message epoll_wait
 * reported before the fault thread's read, and leave the thread that reads every client's
 * faults asleep in read(2) for a fault that never comes. RWF_NOWAIT is the call's own, and
 * userfaultfd honours it (its read_iter, since v6.8); only a kernel whose userfaultfd lacks
 * it (EOPNOTSUPP) falls back on the file's flag.
 */
#ifndef RECLAIMD_UFFD_READ_H
#define RECLAIMD_UFFD_READ_H

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

/* read(2) of @uffd that returns -1 with EAGAIN rather than wait for a message. */
static inline ssize_t uffd_read(int uffd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	ssize_t n = preadv2(uffd, &iov, 1, -1, RWF_NOWAIT);

	if (n < 0 && errno == EOPNOTSUPP)
		n = read(uffd, buf, len);
	return n;
}

#endif
