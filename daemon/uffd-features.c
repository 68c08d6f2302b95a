/*
 * uffd-features.c - refusing a client's userfaultfd that asks for events (uffd-features.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "uffd-features.h"

/* The events: each makes the kernel stall the daemon's operations on the range. */
#define UFFD_EVENTS	(UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP |		\
			 UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP)

/* The features @fd was set up with, as the kernel shows them (fdinfo's "API:" line: the API,
 * the features, the ioctls). 0, or -1 when they cannot be read. */
static int uffd_features(int fd, uint64_t *ret)
{
	char path[64], buf[1024], *api;
	ssize_t n;
	int info;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	info = open(path, O_RDONLY | O_CLOEXEC);
	if (info < 0)
		return -1;
	n = read(info, buf, sizeof(buf) - 1);
	close(info);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	api = strstr(buf, "\nAPI:\t");
	return api && sscanf(api, "\nAPI:\t%*x:%" SCNx64 ":", ret) == 1 ? 0 : -1;
}

int uffd_features_check(int fd, const char **why)
{
	struct uffdio_api api = { .api = UFFD_API };
	uint64_t features;

	/*
	 * A context can be set up once: if this succeeds, the client had not, and could have
	 * asked for anything after the handoff (it asked for nothing now, but registered no
	 * range either). Its own UFFDIO_API makes this one fail with EINVAL.
	 */
	if (ioctl(fd, UFFDIO_API, &api) == 0) {
		*why = "its userfaultfd was not set up (UFFDIO_API)";
		return -1;
	}
	if (errno != EINVAL || uffd_features(fd, &features) < 0) {
		*why = "cannot read its userfaultfd's features";
		return -1;
	}
	if (features & UFFD_EVENTS) {
		*why = "its userfaultfd asks for fork, remap, remove or unmap events, which the "
		       "daemon does not serve";
		return -1;
	}
	return 0;
}
