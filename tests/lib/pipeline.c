/*
 * pipeline - a client that keeps several large requests in flight on one connection, as a
 * service storing pages does, and checks every byte it reads back.
 *
 *   pipeline SOCKET MIB DEPTH SECONDS [KIB [write]]
 *
 * Creates an anonymous region of MIB MiB, writes it in KIB KiB requests (default 128) with
 * DEPTH in flight (rclc_async), then reads it back the same way and compares, and repeats the
 * read pass (with "write": the write pass, then reads it back once) until SECONDS have passed
 * (at least once). Says "written" on standard output once the first pass is over, and at the
 * end one line of key=value figures; exits 1 if the connection is lost or a byte differs, 2 on
 * bad arguments.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reclaim-client.h"

#define CHUNK_MAX	(1u << 20)
#define MAX_DEPTH	32u

struct slot {
	uint64_t off;
	int status;
	unsigned char *buf;
};

static uint64_t region;
static size_t chunk = 128u << 10;	/* bytes a request */
static unsigned char *want;		/* what a read should find */
static uint64_t requests, mismatches;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(unsigned char *p, uint64_t off)
{
	uint64_t *w = (uint64_t *)p;
	size_t i;

	for (i = 0; i < chunk / 8; i++)
		w[i] = ((off + i * 8) * 0x9e3779b97f4a7c15ull) ^ 0x5a5a5a5a5a5a5a5aull;
}

static int send_slot(struct rclc *c, struct slot *s, uint64_t off, bool write)
{
	s->off = off;
	if (write)
		fill(s->buf, off);
	rclc_async(c, NULL, &s->status);
	requests++;
	return write ? rclc_write(c, region, off, s->buf, chunk) :
		       rclc_read(c, region, off, s->buf, chunk, NULL);
}

static int finish_slot(struct rclc *c, struct slot *s, bool write)
{
	int status;

	if (rclc_reap(c, &status, NULL) < 0)
		return -EPROTO;
	if (status < 0)
		return status;
	if (!write) {
		fill(want, s->off);
		if (memcmp(want, s->buf, chunk))
			mismatches++;
	}
	return 0;
}

/* One pass over the region, DEPTH requests in flight. 0 or the first failure's -errno. */
static int pass(struct rclc *c, struct slot *slots, unsigned int depth, uint64_t bytes,
		bool write)
{
	uint64_t next = 0;
	unsigned int head = 0, busy = 0;
	int err;

	while (busy < depth && next < bytes) {
		err = send_slot(c, &slots[busy++], next, write);
		if (err < 0)
			return err;
		next += chunk;
	}
	while (busy) {
		err = finish_slot(c, &slots[head], write);
		if (err < 0)
			return err;
		busy--;
		if (next < bytes) {
			err = send_slot(c, &slots[head], next, write);
			if (err < 0)
				return err;
			next += chunk;
			busy++;
		}
		head = (head + 1) % depth;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct slot slots[MAX_DEPTH];
	unsigned int depth, passes = 0, i;
	uint64_t bytes;
	double seconds, t0;
	bool rewrite = false;
	struct rclc *c;
	int err;

	if (argc >= 6)
		chunk = (size_t)strtoul(argv[5], NULL, 10) << 10;
	if (argc == 7)
		rewrite = !strcmp(argv[6], "write");
	if (argc < 5 || argc > 7 || (bytes = strtoull(argv[2], NULL, 10) << 20) == 0 ||
	    (depth = (unsigned int)strtoul(argv[3], NULL, 10)) == 0 || depth > MAX_DEPTH ||
	    (seconds = strtod(argv[4], NULL)) <= 0 || chunk == 0 || chunk > CHUNK_MAX ||
	    bytes % chunk || (argc == 7 && !rewrite)) {
		fprintf(stderr, "usage: pipeline SOCKET MIB DEPTH(1-%u) SECONDS [KIB [write]]\n",
			MAX_DEPTH);
		return 2;
	}
	if (!(want = malloc(chunk)))
		return 1;
	for (i = 0; i < depth; i++)
		if (!(slots[i].buf = malloc(chunk)))
			return 1;
	err = rclc_open(argv[1], "pipeline", &c);
	if (err < 0) {
		fprintf(stderr, "pipeline: cannot reach %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	err = rclc_alloc(c, bytes, NULL, &region, NULL);
	if (!err)
		err = pass(c, slots, depth, bytes, true);
	printf("written\n");
	fflush(stdout);
	t0 = now();
	while (!err && (passes == 0 || now() - t0 < seconds) && passes < 1000) {
		err = pass(c, slots, depth, bytes, rewrite);
		passes += !err;
	}
	if (!err && rewrite)
		err = pass(c, slots, depth, bytes, false);
	printf("passes=%u requests=%llu mismatches=%llu error=%s\n", passes,
	       (unsigned long long)requests, (unsigned long long)mismatches,
	       err ? rclc_last_error(c) : "none");
	rclc_close(c);
	for (i = 0; i < depth; i++)
		free(slots[i].buf);
	free(want);
	return err || mismatches ? 1 : 0;
}
