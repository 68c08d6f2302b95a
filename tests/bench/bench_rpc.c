/*
 * bench_rpc - a small request's round trip through reclaimd, beside a raw Unix-socket
 * ping-pong of the same shape measured in the same run (target: at most twice as long).
 *
 * Starts its own reclaimd (./daemon/reclaimd, or $RECLAIMD) on a temporary socket, waits for
 * READY=1 on a NOTIFY_SOCKET of its own, and stops it with SIGTERM at the end.
 */
#include <errno.h>

#include "bench-daemon.h"
#include "reclaim-client-pb.h"

#define ROUNDS 20000

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
	pid = start_daemon(dir, sock, "16M", "0");
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
	raw = raw_pingpong(ROUNDS);
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
