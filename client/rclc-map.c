/*
 * rclc-map.c - mapped regions on the client side (rclc_map, rclc_unmap): the descriptor
 * exchange, the mapping and its userfaultfd, the monitor that notices the daemon is gone, and
 * the SIGSEGV handler that says why an access failed.
 *
 * The daemon sends the region's memfd and a descriptor of /dev/userfaultfd (unprivileged
 * processes cannot make a userfaultfd that sees kernel-mode faults; the device hands one out
 * to whoever holds it open). Here the memfd is mapped MAP_SHARED and MADV_DONTFORK, a
 * userfaultfd made for this process (USERFAULTFD_IOC_NEW) is registered MISSING|WP (and MINOR)
 * over it and sent back: from then on the daemon fills the pages we miss and takes back those
 * it reclaims.
 *
 * Hinting faults. Reclaimd cannot see our accessed bits, so it samples them: the reply's third
 * descriptor is a channel (read as a pipe) on which it names pages reclaim has aged, and the
 * monitor drops our page-table entries for them (MADV_DONTNEED on a MAP_SHARED mapping keeps
 * the memfd's page). The next access to one is a MINOR fault, which the daemon answers
 * (UFFDIO_CONTINUE) and counts as a use of the page. Where the daemon offers it
 * (hint_confirms), the monitor sends back on the channel the pages whose entries it dropped,
 * once done: until then the daemon does not take our silence for disuse (we may be running
 * late), though only for one scan between two hinting faults of a page (lib/mapped.c). Only
 * a kernel with MINOR faults on shared memory can do this (UFFD_FEATURE_MINOR_SHMEM):
 * elsewhere, or with RECLAIMD_MAP_HINTS=0 in the environment, the entries are kept, the
 * handoff says so, and the region's pages look cold to reclaim (they are used once, then
 * reclaimed first). Dropping entries without MINOR faults would let a write reach a page
 * that is being taken back: never done.
 *
 * The library keeps its userfaultfd open as long as the mapping exists: if it closed it while
 * the daemon is gone, nobody would hold one, and missing pages would read as zeros. Instead a
 * monitor thread watches each mapped connection (a dup of its socket) for hang-up, then makes
 * the mapping PROT_NONE and wakes its blocked faults: every access then gets SIGSEGV.
 *
 * Loss notices. The daemon may lose one mapping while the connection lives (its region
 * OOM-killed or freed with the connection that made it, a fault it cannot serve). Where its
 * answer offers it (loss_notice), the library keeps the third descriptor for the mapping's
 * whole life, hints or not, and says so in the handoff: the daemon then ends that channel to
 * say "this mapping is lost", and the monitor does for that mapping alone what a hang-up
 * does for all of the connection's. A daemon that does not offer it shuts the connection
 * down instead, as it always did.
 *
 * The table of mappings is a fixed array the signal handler can read without locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "map-handoff.h"
#include "rclc-internal.h"

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW	_IO(0xAA, 0x00)	/* linux/userfaultfd.h of 6.1 */
#endif

#define MAX_MAPS	64

enum map_state { MAP_FREE, MAP_LIVE, MAP_LOST, MAP_CLOSING };

struct map_ent {
	_Atomic int state;		/* enum map_state */
	struct rclc *c;
	uint64_t region_id;
	uintptr_t base;
	size_t bytes;
	int uffd;
	int mon_fd;			/* the monitor's dup of the connection; it closes it */
	int hint_fd;			/* the hint channel, -1 without hints or notices; the
					 * monitor closes it */
	bool hints;			/* it names pages to drop (MAP_HANDOFF_HINTS) */
	bool confirms;			/* we send back those dropped (MAP_HANDOFF_CONFIRMS) */
	bool notice;			/* its end is this mapping's loss (MAP_HANDOFF_LOSS_NOTICE) */
	pid_t pid;			/* the process that mapped it (a forked child is not it) */
};

static struct map_ent maps[MAX_MAPS];
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static int wake_pipe[2] = { -1, -1 };
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static int setup_err;
static struct sigaction old_segv;

/* ---- the SIGSEGV handler (async-signal-safe: write(2) and the table only) --------------- */

static size_t put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return n;
}

static size_t put_dec(char *p, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	char msg[160];
	size_t n = 0;
	int i;

	for (i = 0; i < MAX_MAPS; i++) {
		struct map_ent *e = &maps[i];
		int st = atomic_load(&e->state);

		if (st == MAP_FREE || a < e->base || a - e->base >= e->bytes)
			continue;
		n = put_str(msg, "reclaimd: mapped region ");
		n += put_dec(msg + n, e->region_id);
		if (getpid() != e->pid)
			n += put_str(msg + n, " is not mapped in a forked child (MADV_DONTFORK)\n");
		else if (st == MAP_LOST)
			n += put_str(msg + n, " lost: reclaimd dropped it (its region OOM-killed "
					      "or freed, or reclaimd gone)\n");
		else
			n += put_str(msg + n, ": access refused\n");
		if (write(STDERR_FILENO, msg, n) < 0)
			break;
		break;
	}
	/* Not ours, or said: the previous action takes it (the default kills with SIGSEGV once
	 * the faulting access runs again). */
	if (!n && (old_segv.sa_flags & SA_SIGINFO) && old_segv.sa_sigaction) {
		old_segv.sa_sigaction(sig, si, uc);
		return;
	}
	if (!n && old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
		old_segv.sa_handler(sig);
		return;
	}
	signal(SIGSEGV, SIG_DFL);
}

/* ---- the monitor ------------------------------------------------------------------------- */

/* The connection of E hung up, or the daemon ended E alone: no one serves its faults any more. */
static void map_lose(struct map_ent *e)
{
	struct uffdio_range range = { .start = e->base, .len = e->bytes };

	/* No new fault reaches the userfaultfd; those waiting retry and meet PROT_NONE. */
	mprotect((void *)e->base, e->bytes, PROT_NONE);
	atomic_store(&e->state, MAP_LOST);
	ioctl(e->uffd, UFFDIO_WAKE, &range);
}

#define HINTS_AT_ONCE	512

/*
 * The hint channel of E is readable. Reclaimd aged the pages it names: drop our entries for
 * them, runs of pages in one call, so that their next access is a hinting fault (only if E
 * takes hints: without MINOR faults a dropped entry would let a write reach a page being
 * taken back), and, if E confirms, send back those dropped, in one message, not waiting: one
 * the daemon has no room for is lost, and those pages look cold to it a little sooner. The
 * caller holds maps_lock (the mapping stays while we do). An index past the region is
 * ignored. A channel at its end is E's loss notice when E takes them (the daemon ended the
 * mapping, or is gone): E is lost. Otherwise it says nothing the hang-up will not: closed.
 */
static void map_read_pipe(struct map_ent *e)
{
	uint64_t hint[HINTS_AT_ONCE], pages = e->bytes / 4096;
	ssize_t n = read(e->hint_fd, hint, sizeof(hint));
	size_t i, j, nr, done = 0;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		if (e->notice) {
			map_lose(e);	/* the monitor closes the channel with the mapping */
			return;
		}
		close(e->hint_fd);
		e->hint_fd = -1;
		return;
	}
	nr = n > 0 && e->hints ? (size_t)n / sizeof(hint[0]) : 0;
	for (i = 0; i < nr; i = j) {
		for (j = i + 1; j < nr && hint[j] == hint[j - 1] + 1; j++)
			;
		if (hint[i] >= pages || hint[j - 1] >= pages)
			continue;
		if (madvise((void *)(e->base + hint[i] * 4096), (j - i) * 4096, MADV_DONTNEED) ||
		    !e->confirms)
			continue;
		memmove(hint + done, hint + i, (j - i) * sizeof(hint[0]));	/* done <= i */
		done += j - i;
	}
	/* A daemon gone is the hang-up's to tell. */
	if (done)
		send(e->hint_fd, hint, done * sizeof(hint[0]), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void *monitor(void *arg)
{
	struct pollfd pfd[2 * MAX_MAPS + 1];
	int idx[2 * MAX_MAPS + 1];
	char buf[64];
	int n, i;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&maps_lock);
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };
		for (i = 0; i < MAX_MAPS; i++) {
			struct map_ent *e = &maps[i];
			int st = atomic_load(&e->state);

			if ((st == MAP_CLOSING || st == MAP_LOST) && e->mon_fd >= 0) {
				close(e->mon_fd);
				e->mon_fd = -1;
			}
			if ((st == MAP_CLOSING || st == MAP_LOST) && e->hint_fd >= 0) {
				close(e->hint_fd);
				e->hint_fd = -1;
			}
			if (st == MAP_CLOSING)
				atomic_store(&e->state, MAP_FREE);
			if (st != MAP_LIVE)
				continue;
			idx[n] = i;
			pfd[n++] = (struct pollfd){ .fd = e->mon_fd, .events = POLLRDHUP };
			if (e->hint_fd < 0)
				continue;
			idx[n] = i;
			pfd[n++] = (struct pollfd){ .fd = e->hint_fd, .events = POLLIN };
		}
		pthread_mutex_unlock(&maps_lock);
		if (poll(pfd, (nfds_t)n, -1) < 0)
			continue;
		if (pfd[0].revents & POLLIN)
			while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
				;
		pthread_mutex_lock(&maps_lock);
		for (i = 1; i < n; i++) {
			struct map_ent *e = &maps[idx[i]];

			if (atomic_load(&e->state) != MAP_LIVE)
				continue;
			if (pfd[i].fd == e->hint_fd) {
				if (pfd[i].revents)
					map_read_pipe(e);
				continue;
			}
			if (pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR))
				map_lose(e);
		}
		pthread_mutex_unlock(&maps_lock);
	}
	return NULL;
}

static void wake_monitor(void)
{
	char c = 1;

	if (write(wake_pipe[1], &c, 1) < 0 && errno != EAGAIN)
		return;
}

static void setup(void)
{
	struct sigaction sa;
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		setup_err = -errno;
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv) < 0) {
		setup_err = -errno;
		return;
	}
	/* The monitor takes no signals of the program's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	setup_err = -pthread_create(&t, &attr, monitor, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- map and unmap ----------------------------------------------------------------------- */

static int decode_map(struct rclc *c, Reclaim__V1__Response **respp, const struct rclc_out *o)
{
	*(uint64_t *)o->p[0] = (*respp)->map_region->pages;
	*(bool *)o->p[1] = (*respp)->map_region->loss_notice;	/* false from an older daemon */
	*(bool *)o->p[2] = (*respp)->map_region->hint_confirms;	/* so is this */
	return 0;
}

static int decode_nothing(struct rclc *c, Reclaim__V1__Response **respp,
			  const struct rclc_out *o)
{
	return 0;
}

/* Does this process take hinting faults? Not when the kernel lacks them, or when told not to. */
static bool hints_wanted(const struct uffdio_api *api)
{
	const char *env = getenv("RECLAIMD_MAP_HINTS");

	if (env && !strcmp(env, "0"))
		return false;
	return api->features & UFFD_FEATURE_MINOR_SHMEM;
}

/*
 * Does this process take the loss notices the daemon offers? Not when told not to: then a
 * lost mapping costs its whole connection, as with a library older than them.
 */
static bool notice_wanted(bool offered)
{
	const char *env = getenv("RECLAIMD_MAP_LOSS_NOTICE");

	return offered && !(env && !strcmp(env, "0"));
}

/* Make our userfaultfd from the daemon's device descriptor and map the memfd under it. */
static int map_local(int memfd, int devfd, size_t bytes, void **ret_addr, int *ret_uffd,
		     bool *ret_hints, const char **why)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING |
					       UFFDIO_REGISTER_MODE_WP };
	void *addr;
	int uffd = ioctl(devfd, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0) {
		*why = "USERFAULTFD_IOC_NEW";
		return -errno;
	}
	if (ioctl(uffd, UFFDIO_API, &api) < 0) {
		*why = "UFFDIO_API";
		goto fail;
	}
	if (!(api.features & UFFD_FEATURE_WP_HUGETLBFS_SHMEM)) {
		*why = "this kernel cannot write-protect shared memory (UFFD_FEATURE_WP_HUGETLBFS_SHMEM)";
		close(uffd);
		return -EOPNOTSUPP;
	}
	*ret_hints = hints_wanted(&api);
	if (*ret_hints)
		reg.mode |= UFFDIO_REGISTER_MODE_MINOR;
	addr = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (addr == MAP_FAILED) {
		*why = "mmap";
		goto fail;
	}
	reg.range.start = (uintptr_t)addr;
	reg.range.len = bytes;
	/* A forked child gets no mapping: SIGSEGV there, not zeros filled into the memfd. */
	if (madvise(addr, bytes, MADV_DONTFORK) < 0) {
		*why = "madvise(MADV_DONTFORK)";
		goto fail_unmap;
	}
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) {
		*why = "UFFDIO_REGISTER";
		goto fail_unmap;
	}
	*ret_addr = addr;
	*ret_uffd = uffd;
	return 0;
fail_unmap:
	{
		int err = -errno;

		munmap(addr, bytes);
		close(uffd);
		return err;
	}
fail:
	{
		int err = -errno;

		close(uffd);
		return err;
	}
}

static struct map_ent *map_find(struct rclc *c, uint64_t region_id)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++) {
		int st = atomic_load(&maps[i].state);

		if ((st == MAP_LIVE || st == MAP_LOST) && maps[i].c == c &&
		    maps[i].region_id == region_id)
			return &maps[i];
	}
	return NULL;
}

static struct map_ent *map_slot(void)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (atomic_load(&maps[i].state) == MAP_FREE)
			return &maps[i];
	return NULL;
}

int rclc_map(struct rclc *c, uint64_t region_id, void **ret_addr, size_t *ret_bytes)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MapRegion mr = RECLAIM__V1__MAP_REGION__INIT;
	struct map_handoff h = { .magic = MAP_HANDOFF_MAGIC, .region_id = region_id };
	uint64_t pages = 0;
	bool notice = false, confirms = false;
	struct rclc_out o = { .p = { &pages, &notice, &confirms } };
	const char *why = "";
	int fds[RCLC_MAX_FDS], uffd = -1, hint_fd = -1, r, hr;
	bool hints = false;
	unsigned int nr;
	struct map_ent *e;
	void *addr = NULL;

	if (!rclc_idle(c))
		return rclc_fail_early(c, -EBUSY, "map: the connection has requests in flight "
				       "(or is broken): a map needs it idle");
	pthread_once(&setup_once, setup);
	if (setup_err)
		return rclc_fail_early(c, setup_err, "map: cannot start the library's monitor");
	mr.region_id = region_id;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_MAP_REGION;
	req.map_region = &mr;
	rclc_fds_expect(c, true);
	r = rclc_exec(c, &req, RECLAIM__V1__RESPONSE__MSG_MAP_REGION, decode_map, &o);
	rclc_fds_expect(c, false);
	nr = rclc_fds_take(c, fds);
	if (r < 0) {
		while (nr)
			close(fds[--nr]);
		return r;	/* refused: the daemon awaits nothing */
	}
	h.bytes = pages * 4096;
	notice = notice_wanted(notice);
	if (nr != 3) {
		r = -EPROTO;
		why = "the answer came without its three descriptors";
	} else {
		r = map_local(fds[0], fds[1], (size_t)h.bytes, &addr, &uffd, &hints, &why);
	}
	confirms = confirms && hints;
	if (r == 0 && (hints || notice)) {
		hint_fd = fds[2];	/* the monitor reads it */
		fds[2] = -1;
		h.flags |= (hints ? MAP_HANDOFF_HINTS : 0) | (confirms ? MAP_HANDOFF_CONFIRMS : 0) |
			   (notice ? MAP_HANDOFF_LOSS_NOTICE : 0);
	}
	while (nr)
		if (fds[--nr] >= 0)
			close(fds[nr]);	/* the mapping holds the memfd; the device is spent */
	pthread_mutex_lock(&maps_lock);
	e = r == 0 ? map_slot() : NULL;
	if (r == 0 && !e) {
		r = -EMFILE;
		why = "too many mapped regions in this process";
	}
	if (e) {
		e->c = c;
		e->region_id = region_id;
		e->base = (uintptr_t)addr;
		e->bytes = (size_t)h.bytes;
		e->uffd = uffd;
		e->pid = getpid();
		e->mon_fd = fcntl(rclc_fd(c), F_DUPFD_CLOEXEC, 0);
		e->hint_fd = hint_fd;
		e->hints = hints;
		e->confirms = confirms;
		e->notice = notice;
		hint_fd = -1;
		atomic_store(&e->state, MAP_LIVE);
	}
	pthread_mutex_unlock(&maps_lock);
	if (hint_fd >= 0)
		close(hint_fd);
	if (r < 0 && addr) {
		munmap(addr, (size_t)h.bytes);
		close(uffd);
		uffd = -1;
		h.flags = 0;
	}
	/* Tell the daemon either way: it reads nothing else from us until it has this. */
	h.status = r;
	h.base = (uintptr_t)addr;
	hr = rclc_send_fd(c, &h, sizeof(h), r == 0 ? uffd : -1);
	if (r < 0) {
		rclc_set_error(c, 0, "map: region %llu: %s: %s", (unsigned long long)region_id,
			       why, strerror(-r));
		return r;
	}
	wake_monitor();
	if (hr < 0)
		return hr;	/* the monitor sees the hang-up too: the mapping is lost */
	*ret_addr = addr;
	*ret_bytes = (size_t)h.bytes;
	return 0;
}

/* Unmap E here (the caller holds maps_lock): the memfd keeps the bytes for the daemon. */
static void map_drop(struct map_ent *e)
{
	munmap((void *)e->base, e->bytes);
	close(e->uffd);
	e->uffd = -1;
	atomic_store(&e->state, MAP_CLOSING);	/* the monitor closes mon_fd, then frees it */
}

int rclc_unmap(struct rclc *c, uint64_t region_id)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__UnmapRegion ur = RECLAIM__V1__UNMAP_REGION__INIT;
	struct rclc_out o = { .n = 0 };
	struct map_ent *e;

	pthread_mutex_lock(&maps_lock);
	e = map_find(c, region_id);
	if (e)
		map_drop(e);
	pthread_mutex_unlock(&maps_lock);
	if (!e)
		return rclc_fail_early(c, -ENOENT, "unmap: region not mapped by this connection");
	wake_monitor();
	ur.region_id = region_id;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_UNMAP_REGION;
	req.unmap_region = &ur;
	return rclc_exec(c, &req, RECLAIM__V1__RESPONSE__MSG_UNMAP_REGION, decode_nothing, &o);
}

void rclc_map_forget(struct rclc *c)
{
	bool any = false;
	int i;

	if (wake_pipe[1] < 0)
		return;		/* nothing was ever mapped */
	pthread_mutex_lock(&maps_lock);
	for (i = 0; i < MAX_MAPS; i++) {
		int st = atomic_load(&maps[i].state);

		if ((st == MAP_LIVE || st == MAP_LOST) && maps[i].c == c) {
			map_drop(&maps[i]);
			any = true;
		}
	}
	pthread_mutex_unlock(&maps_lock);
	if (any)
		wake_monitor();
}
