/*
 * uffd-read.h - reading a client's userfaultfd without ever waiting for a message (mapfd.c).
 *
 * The O_NONBLOCK that xfer_handoff sets is on an open file the client shares (its own
 * descriptor of the userfaultfd it made): it may clear it again, take a message epoll_wait
 * reported before the fault thread's read, and leave the thread that reads every client's
 * faults asleep in read(2) for a fault that never comes. So the read says RWF_NOWAIT itself,
 * which userfaultfd honours since its read_iter (v6.8). An older kernel's (Debian 12 runs
 * 6.1) refuses the flag with EOPNOTSUPP: there the read is bounded instead, by a timer of the
 * reading thread's own whose signal ends a read that blocks with EINTR, which the fault
 * thread takes as "nothing to read", as it takes EAGAIN.
 */
#ifndef RECLAIMD_UFFD_READ_H
#define RECLAIMD_UFFD_READ_H

#include <stddef.h>
#include <sys/types.h>

#define UFFD_READ_BOUND_NS	(20 * 1000 * 1000)	/* a blocked read ends after 20 ms */

/* read(2) of @uffd that returns -1 with EAGAIN (or EINTR, past the bound) rather than wait
 * for a message. */
ssize_t uffd_read(int uffd, void *buf, size_t len);
/* The same bounded by the calling thread's timer alone, as on a kernel without RWF_NOWAIT for
 * userfaultfd (tests call it directly). */
ssize_t uffd_read_bounded(int uffd, void *buf, size_t len);
/* Tests: have uffd_read take the bounded way from now on, as such a kernel makes it
 * (RECLAIMD_TEST_UFFD_READ_BOUNDED). */
void uffd_read_force_bounded(void);

#endif
