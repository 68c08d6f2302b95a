/*
 * bench_rpc - a small request's round trip through reclaimd, beside a raw Unix-socket
 * ping-pong of the same shape measured in the same run (target: at most twice as long).
 *
 * Starts its own reclaimd (./daemon/reclaimd, or $RECLAIMD) on a temporary socket, waits for
 * READY=1 on a NOTIFY_SOCKET of its own, and stops it with SIGTERM at the end.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reclaim-client.h"

#define ROUNDS 20000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Round trips of a 16-byte message through a socketpair and an echoing child. */
static double raw_pingpong(void)
{
	char buf[64] = { 0 };
	double t0, t1;
	int sv[2], i;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		ssize_t n;

		close(sv[0]);
		while ((n = read(sv[1], buf, 16)) > 0)
			if (write(sv[1], buf, (size_t)n) != n)
				break;
		_exit(0);
	}
	close(sv[1]);
	t0 = now();
	for (i = 0; i < ROUNDS; i++)
		if (write(sv[0], buf, 16) != 16 || read(sv[0], buf, 16) != 16)
			break;
	t1 = now();
	close(sv[0]);
	waitpid(child, NULL, 0);
	return (t1 - t0) / ROUNDS;
}

static pid_t start_daemon(const char *dir, const char *sock)
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
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(daemon, daemon, "--arena", "16M", "--swap", "0", "--state-dir", dir,
		      "--data-dir", dir, "--socket", sock, "--log-level", "warning", (char *)NULL);
		_exit(127);
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0) {
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

int main(void)
{
	char dir[] = "/tmp/bench_rpc.XXXXXX", sock[256];
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__TunableGet get = RECLAIM__V1__TUNABLE_GET__INIT;
	Reclaim__V1__Response *resp;
	double raw, rpc, t0;
	struct rclc *c;
	pid_t pid;
	int i;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	pid = start_daemon(dir, sock);
	if (pid < 0 || rclc_open(sock, "bench_rpc", &c) < 0) {
		fprintf(stderr, "bench_rpc: cannot start or reach reclaimd\n");
		return 1;
	}
	get.name = "watermark_scale_factor";
	req.msg_case = RECLAIM__V1__REQUEST__MSG_TUNABLE_GET;
	req.tunable_get = &get;
	for (i = 0; i < 1000; i++) {		/* warm up both sides */
		if (rclc_call(c, &req, &resp) < 0)
			return 1;
		rclc_response_free(resp);
	}
	raw = raw_pingpong();
	t0 = now();
	for (i = 0; i < ROUNDS; i++) {
		if (rclc_call(c, &req, &resp) < 0)
			return 1;
		rclc_response_free(resp);
	}
	rpc = (now() - t0) / ROUNDS;
	printf("raw unix ping-pong:     %8.2f us per round trip\n", raw * 1e6);
	printf("reclaimd tunable get:   %8.2f us per round trip (%.2fx raw; target <= 2x)\n",
	       rpc * 1e6, rpc / raw);
	rclc_close(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(sock, sizeof(sock), "%s/notify", dir);
	unlink(sock);
	rmdir(dir);
	return 0;
}
