/*
 * bench-daemon.h - what the daemon benchmarks share: a clock, the raw Unix-socket ping-pong
 * they print their figures beside, and starting a reclaimd of their own (./daemon/reclaimd,
 * or $RECLAIMD) that is ready when READY=1 arrives on a NOTIFY_SOCKET of the benchmark's.
 */
#ifndef RCL_BENCH_DAEMON_H
#define RCL_BENCH_DAEMON_H

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A ping-pong's two ends: @serve answers on its socket until it is closed (in a child);
 * @round makes round trip @i on the other, false if it failed. */
struct pingpong {
	void (*serve)(int fd);
	bool (*round)(int fd, int i, void *arg);
	void *arg;
};

/*
 * @rounds round trips of @pp through a socketpair, both ends on @cpu (its mask set in each
 * before the first message), or where the scheduler puts them (@cpu < 0): the mean round
 * trip in seconds, or -1 if one failed.
 */
static inline double pingpong_on(const struct pingpong *pp, int rounds, int cpu)
{
	cpu_set_t mask, saved;
	double t0, t = -1;
	int sv[2], i;
	pid_t child;

	CPU_ZERO(&mask);
	if (cpu >= 0) {
		CPU_SET(cpu, &mask);
		if (sched_getaffinity(0, sizeof(saved), &saved) < 0 ||
		    sched_setaffinity(0, sizeof(mask), &mask) < 0)
			return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		close(sv[0]);
		pp->serve(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	t0 = now();
	for (i = 0; i < rounds && pp->round(sv[0], i, pp->arg); i++)
		;
	if (i == rounds)
		t = (now() - t0) / rounds;
	close(sv[0]);
	waitpid(child, NULL, 0);
	if (cpu >= 0)
		sched_setaffinity(0, sizeof(saved), &saved);
	return t;
}

static inline void echo_serve(int fd)
{
	char buf[64];
	ssize_t n;

	while ((n = read(fd, buf, 16)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
}

static inline bool echo_round(int fd, int i, void *arg)
{
	char buf[16] = { 0 };

	(void)i;
	(void)arg;
	return write(fd, buf, 16) == 16 && read(fd, buf, 16) == 16;
}

/* Round trips of a 16-byte message through a socketpair and an echoing child (pingpong_on). */
static inline double raw_pingpong_on(int rounds, int cpu)
{
	static const struct pingpong raw = { echo_serve, echo_round, NULL };

	return pingpong_on(&raw, rounds, cpu);
}

/*
 * The raw round trip: the faster of the two placements, measured one after the other. On a
 * virtual machine whose idle vCPUs take tens of microseconds to wake, a pair the scheduler
 * spreads over two CPUs pays that wake-up twice a round trip, while a pair on one CPU (where
 * wake-affine puts a client and a daemon that talk often) does not: seen here, 60 us spread
 * against 4 us on one CPU. A comparison with the slow placement would flatter the daemon.
 */
static inline double raw_pingpong(int rounds)
{
	int cpu = sched_getcpu();
	double spread = raw_pingpong_on(rounds / 2, -1);
	double one = raw_pingpong_on(rounds / 2, cpu < 0 ? 0 : cpu);

	if (spread < 0)
		return one;
	return one < 0 || spread < one ? spread : one;
}

/* EXTRA, EXTRA2: more options for the daemon (NULL: none; EXTRA2 only after EXTRA). */
static pid_t start_daemon_with2(const char *dir, const char *sock, const char *arena,
				const char *swap, const char *extra, const char *extra2)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *daemon = getenv("RECLAIMD") ? getenv("RECLAIMD") : "./daemon/reclaimd";
	char buf[512];
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		/* A benchmark that dies (its output piped to head, say) takes its daemon along. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() == 1)
			_exit(127);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(daemon, daemon, "--arena", arena, "--swap", swap, "--state-dir", dir,
		      "--data-dir", dir, "--socket", sock, "--log-level", "warning", extra,
		      extra ? extra2 : NULL, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 60000) <= 0) {	/* a large swap file takes a while */
			kill(pid, SIGKILL);
			return -1;
		}
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, "READY=1"))
				break;
		}
	}
	close(fd);
	return pid;
}

/* One extra option (or NULL). */
static pid_t start_daemon_with(const char *dir, const char *sock, const char *arena,
			       const char *swap, const char *extra)
{
	return start_daemon_with2(dir, sock, arena, swap, extra, NULL);
}

static pid_t __attribute__((unused)) start_daemon(const char *dir, const char *sock,
						  const char *arena, const char *swap)
{
	return start_daemon_with(dir, sock, arena, swap, NULL);
}

#endif
