/*
 * fdlimit.c - the descriptor limit and the reserve kept for admins.
 *
 * The kernel hands out the lowest free descriptor, so a client's new descriptor numbered at or
 * above limit - reserve means the table below the reserve is full: it is refused (closed), and
 * the reserve stays for root and the admin group. Before a request makes descriptors, the
 * lowest free one says the same in advance.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fdlimit.h"

#define FD_LIMIT_CAP	(1u << 20)	/* a hard limit of "unlimited" is not a table size */
#define FD_RESERVE_MIN	32u

static _Atomic unsigned int fd_limit;	/* 0 until fd_limit_raise: no reserve is kept */
static int fd_probe = -1;		/* /dev/null, duplicated to find the lowest free one */

unsigned int fd_limit_raise(void)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (fd_probe < 0)
		fd_probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
	want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > FD_LIMIT_CAP ? FD_LIMIT_CAP :
									      rl.rlim_max;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	atomic_store(&fd_limit, rl.rlim_cur > FD_LIMIT_CAP ? FD_LIMIT_CAP :
							    (unsigned int)rl.rlim_cur);
	return atomic_load(&fd_limit);
}

/*
 * A sixteenth of the table, at least FD_RESERVE_MIN, at most a quarter: room for admins and
 * the daemon's own, and most of a small table still for everyone else.
 */
unsigned int fd_reserve(void)
{
	unsigned int limit = atomic_load(&fd_limit), r = limit / 16;

	if (r < FD_RESERVE_MIN)
		r = FD_RESERVE_MIN;
	return r < limit / 4 ? r : limit / 4;
}

bool fd_client_may_hold(int fd)
{
	unsigned int limit = atomic_load(&fd_limit);

	return !limit || (unsigned int)fd < limit - fd_reserve();
}

bool fd_client_room(unsigned int nr)
{
	unsigned int limit = atomic_load(&fd_limit);
	int lowest;

	if (!limit || fd_probe < 0)
		return true;
	lowest = fcntl(fd_probe, F_DUPFD_CLOEXEC, 0);
	if (lowest < 0)
		return false;		/* the table is full */
	close(lowest);
	return (unsigned int)lowest + nr <= limit - fd_reserve();
}
