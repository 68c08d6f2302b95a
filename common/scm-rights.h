/*
 * scm-rights.h - taking the descriptors a recvmsg(2) brought as SCM_RIGHTS, shared by
 * libreclaim-client (the daemon's memfd, uffd device and hint channel) and daemon/mapfd.c (the
 * client's userfaultfd) so that neither end can leak one a peer sent too many of. Not
 * installed.
 */
#ifndef RECLAIM_SCM_RIGHTS_H
#define RECLAIM_SCM_RIGHTS_H

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Append every descriptor of @msg's SCM_RIGHTS messages to @fds, which holds @have of at most
 * @max; those beyond @max are closed. Returns the new count.
 */
static inline size_t scm_rights_take(struct msghdr *msg, int *fds, size_t have, size_t max)
{
	struct cmsghdr *cmsg;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		size_t i, nfd;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (have < max)
				fds[have++] = fd;
			else
				close(fd);
		}
	}
	return have;
}

#endif
