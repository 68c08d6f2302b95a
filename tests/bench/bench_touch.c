/*
 * bench_touch - touches of resident pages through reclaimd: batches of 64 pages per request
 * from one client (target: at least 2 million pages per second), printed beside the request
 * rate: once waiting for each answer before the next request, once with up to WINDOW
 * requests in flight on the same connection (answers still come back in order). Starts its
 * own reclaimd (./daemon/reclaimd, or $RECLAIMD) like bench_rpc.
 */
#include <errno.h>
#include <stdbool.h>

#include "bench-daemon.h"
#include "reclaim-client-pb.h"

#define FRAME_BYTES_ONLY
#include "frame.h"

#define BATCH		64		/* pages per Touch */
#define REGION_PAGES	4096		/* 16 MiB: resident in a 64 MiB arena */
#define SECONDS		2.0
#define WINDOW		8		/* requests in flight, pipelined run */

static int call_ok(struct rclc *c, Reclaim__V1__Request *req, Reclaim__V1__Response **ret)
{
	if (rclc_call(c, req, ret) < 0)
		return -1;
	if (rclc_status_errno(*ret) < 0) {
		fprintf(stderr, "bench_touch: %s\n", (*ret)->status->message);
		rclc_response_free(*ret);
		return -1;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one answer straight off the socket and check it is OK. */
static int pipelined_answer(struct rclc *c)
{
	static uint8_t body[4096];
	uint8_t h[FRAME_HEADER_BYTES];
	Reclaim__V1__Response *resp;
	uint32_t len = 0;
	int ok;

	if (read_all(rclc_fd(c), h, sizeof(h)) < 0 ||
	    frame_peek(h, sizeof(h), sizeof(body), &len) < 0 || read_all(rclc_fd(c), body, len) < 0)
		return -1;
	resp = reclaim__v1__response__unpack(NULL, len, body);
	ok = resp && rclc_status_errno(resp) == 0;
	if (resp)
		reclaim__v1__response__free_unpacked(resp, NULL);	/* ours, not the library's */
	return ok ? 0 : -1;
}

/* Touch requests with up to WINDOW in flight for SECONDS. Pages per second, or -1. */
static double pipelined(struct rclc *c, Reclaim__V1__Request *req, Reclaim__V1__PageRange *range)
{
	uint64_t sent = 0, answered = 0;
	uint8_t buf[256];
	double t0 = now(), elapsed = 0;

	for (;;) {
		while (sent - answered < WINDOW && elapsed < SECONDS) {
			size_t len;

			range->first_page = (sent * BATCH) % REGION_PAGES;
			req->id = 100000 + sent;
			len = reclaim__v1__request__get_packed_size(req);
			frame_put_header(buf, (uint32_t)len);
			reclaim__v1__request__pack(req, buf + FRAME_HEADER_BYTES);
			if (rclc_send_raw(c, buf, FRAME_HEADER_BYTES + len) < 0)
				return -1;
			sent++;
		}
		if (answered == sent)
			break;
		if (pipelined_answer(c) < 0)
			return -1;
		answered++;
		if ((answered & 255) == 0)
			elapsed = now() - t0;
	}
	return answered * BATCH / (now() - t0);
}

int main(void)
{
	char dir[] = "/tmp/bench_touch.XXXXXX", sock[256];
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionCreate rc = RECLAIM__V1__REGION_CREATE__INIT;
	Reclaim__V1__Touch t = RECLAIM__V1__TOUCH__INIT;
	Reclaim__V1__PageRange range = RECLAIM__V1__PAGE_RANGE__INIT;
	Reclaim__V1__Response *resp;
	uint64_t requests = 0;
	double t0, elapsed, raw;
	struct rclc *c;
	pid_t pid;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	pid = start_daemon(dir, sock, "64M", "16M");
	if (pid < 0 || rclc_open(sock, "bench_touch", &c) < 0) {
		fprintf(stderr, "bench_touch: cannot start or reach reclaimd\n");
		return 1;
	}
	rc.bytes = (uint64_t)REGION_PAGES * 4096;
	rc.populate = true;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_REGION_CREATE;
	req.region_create = &rc;
	if (call_ok(c, &req, &resp) < 0)
		return 1;
	range.region_id = resp->region_create->region_id;
	rclc_response_free(resp);

	range.nr_pages = BATCH;
	t.range = &range;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_TOUCH;
	req.touch = &t;
	t0 = now();
	do {
		range.first_page = (requests * BATCH) % REGION_PAGES;
		if (call_ok(c, &req, &resp) < 0)
			return 1;
		rclc_response_free(resp);
		requests++;
	} while ((requests & 255) || (elapsed = now() - t0) < SECONDS);
	raw = raw_pingpong(20000);
	printf("raw unix ping-pong: %.2f us per round trip: at most %.0f pages/s one at a time\n",
	       raw * 1e6, BATCH / raw);
	printf("touch of resident pages, %u per request, one at a time: %10.0f pages/s "
	       "(%.2f us per request, %.2fx raw; target >= 2000000 pages/s)\n", BATCH,
	       requests * BATCH / elapsed, elapsed / requests * 1e6, elapsed / requests / raw);
	printf("touch of resident pages, %u per request, %u in flight:  %10.0f pages/s\n", BATCH,
	       WINDOW, pipelined(c, &req, &range));
	rclc_close(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(sock, sizeof(sock), "%s/notify", dir);
	unlink(sock);
	snprintf(sock, sizeof(sock), "rm -rf %s", dir);
	if (system(sock) != 0)
		return 1;
	return 0;
}
