/*
 * bench_rpc - a small request's round trip through reclaimd, beside a raw Unix-socket
 * ping-pong measured in the same run and placed alike (one CPU, or where the scheduler puts
 * them): a tunable read, the smallest request, which the loop answers itself (issue 10's
 * target: at most 1.3 times the ping-pong), and beside it the same request and answer encoded
 * and decoded by protobuf-c over the same socket pair with no daemon (what no round trip of
 * this wire API can go below), and the same again with each side waiting as reclaimd's do,
 * the server in libevent's loop (epoll_wait, then read) and the client in poll (what no
 * round trip through an event-loop daemon and this library can go below); a request that needs the engine's lock but no
 * I/O, MADV_NORMAL of a one-page region, which goes to a worker and back (at most twice); and
 * a one-page read of a resident page, the loop's too, with 4 KiB in its answer.
 *
 * Then the loop's cost per request (issue 10: at most 2 syscalls) on a stream of one-page
 * rewrites of resident pages, 32 in flight: strace -c -p on the daemon's loop thread (its main
 * thread) counts the syscalls, in a phase of its own since tracing slows the daemon down.
 * Without strace, or where it may not attach, that line says so.
 *
 * Then the same stream's rate (issue 10's target: 200k a second), and how many of its
 * requests the loop answered, idle and while
 * another connection pages a region out (MADV_PAGEOUT, which holds the engine's model lock
 * while it reclaims) and faults it back, again and again: the loop copies under the region's
 * page-table lock alone, so it goes on answering meanwhile rather than handing requests to a
 * worker that waits for the lock.
 *
 * Starts its own reclaimd (./daemon/reclaimd, or $RECLAIMD) on a temporary socket, waits for
 * READY=1 on a NOTIFY_SOCKET of its own, and stops it with SIGTERM at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>

#include <event2/event.h>

#include "bench-daemon.h"
#include "pb-block.h"
#include "reclaim-client-pb.h"
#include "wire-frame.h"

#define ROUNDS		20000
#define BLOCKS		10		/* raw and daemon measured in turn */
#define PIPE_DEPTH	32u		/* requests in flight */
#define PIPE_PAGES	256u		/* the region rewritten page by page */
#define PIPE_REQUESTS	20000u
#define PAGER_PAGES	2048u		/* the region paged out and back meanwhile: 8 MiB */

/* N one-page writes over REGION's pages, PIPE_DEPTH in flight. 0 or -errno. */
static int pipelined_writes(struct rclc *c, uint64_t region, unsigned int n)
{
	static unsigned char page[4096];
	unsigned int sent = 0, done = 0;
	int status, err;

	while (done < n) {
		while (sent < n && sent - done < PIPE_DEPTH) {
			rclc_async(c, NULL, NULL);
			err = rclc_write(c, region, (uint64_t)(sent % PIPE_PAGES) * sizeof(page), page,
					 sizeof(page));
			if (err < 0)
				return err;
			sent++;
		}
		if (rclc_reap(c, &status, NULL) < 0)
			return -EPROTO;
		if (status < 0)
			return status;
		done++;
	}
	return 0;
}

/* Start strace -c on thread PID, its summary into OUT; wait (bounded) until it has attached.
 * Its pid, or -1 (strace missing or not allowed to attach here). */
static pid_t strace_start(pid_t pid, const char *out, const char *err)
{
	char spid[16];
	pid_t st;
	int i, fd;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	st = fork();
	if (st == 0) {
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(127);
		execlp("strace", "strace", "-c", "-p", spid, "-o", out, (char *)NULL);
		_exit(127);
	}
	if (st < 0)
		return -1;
	for (i = 0; i < 400; i++) {		/* 10 s at most */
		char buf[512] = "";
		FILE *f = fopen(err, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		struct timespec ts = { 0, 25000000 };

		if (f)
			fclose(f);
		buf[n] = '\0';
		if (strstr(buf, "attached"))
			return st;
		if (waitpid(st, NULL, WNOHANG) == st)
			return -1;
		nanosleep(&ts, NULL);
	}
	kill(st, SIGKILL);
	waitpid(st, NULL, 0);
	return -1;
}

/* Stop strace ST and read the number of syscalls from its summary OUT; -1 if none. */
static long strace_stop(pid_t st, const char *out)
{
	char line[256];
	long calls = -1;
	FILE *f;

	kill(st, SIGINT);
	waitpid(st, NULL, 0);
	f = fopen(out, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		double pct, secs;
		long usecs, n;

		if (strstr(line, " total") &&
		    sscanf(line, "%lf %lf %ld %ld", &pct, &secs, &usecs, &n) == 4)
			calls = n;
	}
	fclose(f);
	return calls;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Where the round trips run. The daemon and this process either share one CPU (@cpu: the
 * raw pair too), or go where the scheduler puts them (-1). The two differ by an order of
 * magnitude on a virtual machine whose idle vCPUs take tens of microseconds to wake, and the
 * scheduler picks either for a client and daemon that talk often, from one run to the next:
 * each figure is compared with the raw pair placed as it was, never the one with the other.
 */
static pid_t daemon_pid;
static cpu_set_t all_cpus;

static void place_task(pid_t tid, const cpu_set_t *mask)
{
	sched_setaffinity(tid, sizeof(*mask), mask);	/* a thread gone meanwhile: nothing to do */
}

/* This process and every thread of the daemon on @cpu, or back on all CPUs (-1). */
static void place(int cpu)
{
	char path[64];
	struct dirent *d;
	cpu_set_t one, *mask = &all_cpus;
	DIR *dir;

	if (cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		mask = &one;
	}
	place_task(0, mask);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)daemon_pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			place_task((pid_t)atoi(d->d_name), mask);
	closedir(dir);
}

struct beside {
	double raw, rpc, ratio;		/* medians of the blocks */
};

/* A block of @n round trips of something, placed on @cpu (or -1): its mean round trip in
 * seconds, or < 0 when one failed. */
typedef double (*block_fn)(void *arg, int n, int cpu);

struct calls {
	int (*call)(struct rclc *, void *);
	struct rclc *c;
	void *arg;
};

static double calls_block(void *arg, int n, int cpu)
{
	struct calls *k = arg;
	double t0 = now();
	int i;

	(void)cpu;		/* placed by beside_raw_on */
	for (i = 0; i < n; i++)
		if (k->call(k->c, k->arg) < 0)
			return -1;
	return (now() - t0) / n;
}

/*
 * One frame from @fd into @buf (@cap bytes), read as the daemon and the library read (as
 * much as has come, once, then more only if the frame is not whole): its body's length (the
 * body at @buf + FRAME_HEADER_BYTES), or -1. One frame in flight at a time.
 */
static ssize_t read_frame(int fd, uint8_t *buf, size_t cap)
{
	uint32_t len = 0;
	size_t got = 0;
	ssize_t r;
	int f;

	do {
		if ((r = read(fd, buf + got, cap - got)) <= 0)
			return -1;
		got += (size_t)r;
		f = frame_peek(buf, got, (uint32_t)(cap - FRAME_HEADER_BYTES), &len);
	} while (f == FRAME_NEED_MORE);
	return f == FRAME_READY ? (ssize_t)len : -1;
}

/* Pack @msg as one frame into @buf and write it. */
static bool write_frame(int fd, const ProtobufCMessage *msg, uint8_t *buf)
{
	size_t len = protobuf_c_message_get_packed_size(msg);

	frame_put_header(buf, (uint32_t)len);
	protobuf_c_message_pack(msg, buf + FRAME_HEADER_BYTES);
	return write(fd, buf, FRAME_HEADER_BYTES + len) == (ssize_t)(FRAME_HEADER_BYTES + len);
}

/* One TunableGet's answer on @fd, as small as the daemon's: false when the peer is gone or
 * sent something else. */
static bool pb_answer_one(int fd)
{
	Reclaim__V1__Response resp = RECLAIM__V1__RESPONSE__INIT;
	Reclaim__V1__Status st = RECLAIM__V1__STATUS__INIT;
	Reclaim__V1__TunableGetReply tr = RECLAIM__V1__TUNABLE_GET_REPLY__INIT;
	Reclaim__V1__Tunable t = RECLAIM__V1__TUNABLE__INIT, *tp = &t;
	uint8_t in[512], out[512];
	Reclaim__V1__Request *req;
	ssize_t n;
	bool ok;

	if ((n = read_frame(fd, in, sizeof(in))) < 0)
		return false;
	req = (Reclaim__V1__Request *)pb_block_unpack(&reclaim__v1__request__descriptor, 512,
						      SIZE_MAX, (size_t)n, in + FRAME_HEADER_BYTES);
	if (!req || req->msg_case != RECLAIM__V1__REQUEST__MSG_TUNABLE_GET) {
		pb_block_free(req);
		return false;
	}
	resp.status = &st;
	resp.msg_case = RECLAIM__V1__RESPONSE__MSG_TUNABLE_GET;
	resp.tunable_get = &tr;
	tr.tunables = &tp;
	tr.n_tunables = 1;
	t.value = "60";
	resp.id = req->id;
	t.name = req->tunable_get->name;
	ok = write_frame(fd, &resp.base, out);
	pb_block_free(req);
	return ok;
}

/* The peer of pb_pingpong_on: each request read by a read that blocks. */
static void pb_answer_loop(int fd)
{
	while (pb_answer_one(fd))
		;
}

/*
 * One TunableGet round trip, id @i + 1; with @poll_first its answer is waited for as the
 * library waits (poll for POLLIN, then read), otherwise by a read that blocks.
 */
static bool tunable_round(int fd, int i, bool poll_first)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__TunableGet tg = RECLAIM__V1__TUNABLE_GET__INIT;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t in[512], out[512];
	Reclaim__V1__Response *resp;
	bool ok;
	ssize_t n;

	req.id = (uint64_t)i + 1;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_TUNABLE_GET;
	req.tunable_get = &tg;
	tg.name = "swappiness";
	if (!write_frame(fd, &req.base, out) || (poll_first && poll(&pfd, 1, 10000) != 1) ||
	    (n = read_frame(fd, in, sizeof(in))) < 0)
		return false;
	resp = (Reclaim__V1__Response *)pb_block_unpack(&reclaim__v1__response__descriptor, 512,
							SIZE_MAX, (size_t)n,
							in + FRAME_HEADER_BYTES);
	ok = resp && resp->id == req.id;
	pb_block_free(resp);
	return ok;
}

static bool pb_round(int fd, int i, void *arg)
{
	(void)arg;
	return tunable_round(fd, i, false);
}

static void on_request(evutil_socket_t fd, short what, void *base)
{
	(void)what;
	if (!pb_answer_one(fd))
		event_base_loopbreak(base);
}

/*
 * The peer of loop_pingpong_on: pb_answer_loop's answers, each request found by libevent's
 * loop (epoll_wait) as the daemon's loop finds it, then read.
 */
static void loop_answer_loop(int fd)
{
	struct event_base *base = event_base_new();
	struct event *ev = base ? event_new(base, fd, EV_READ | EV_PERSIST, on_request, base)
				: NULL;

	if (ev && event_add(ev, NULL) == 0)
		event_base_dispatch(base);
	if (ev)
		event_free(ev);
	if (base)
		event_base_free(base);
}

static bool loop_round(int fd, int i, void *arg)
{
	(void)arg;
	return tunable_round(fd, i, true);
}

/*
 * Round trips of a TunableGet and its answer, each packed into a frame, written, read and
 * unpacked by protobuf-c (into one block, as the daemon and the library decode), between this
 * process and a child on a socket pair placed like raw_pingpong_on's: the raw ping-pong plus
 * the wire API's encoding and nothing else, the floor of any reclaimd round trip.
 */
static double pb_pingpong_on(void *unused, int rounds, int cpu)
{
	static const struct pingpong pb = { pb_answer_loop, pb_round, NULL };

	(void)unused;
	return pingpong_on(&pb, rounds, cpu);
}

/*
 * pb_pingpong_on with each side waiting as reclaimd's do: the server in libevent's loop, the
 * client in poll. What a round trip through any daemon built on an event loop, with this
 * library, costs before the daemon does anything.
 */
static double loop_pingpong_on(void *unused, int rounds, int cpu)
{
	static const struct pingpong loop = { loop_answer_loop, loop_round, NULL };

	(void)unused;
	return pingpong_on(&loop, rounds, cpu);
}

/*
 * @block's round trip beside the raw ping-pong placed the same way (@cpu, or -1), measured in
 * alternating blocks so that both see the same load on this shared machine: the median block
 * of each, and the median of the per-block ratios. 0, or -1 when a round trip failed.
 */
static int beside_raw_on(block_fn block, void *arg, int cpu, struct beside *ret)
{
	double raw[BLOCKS], rpc[BLOCKS], ratio[BLOCKS];
	int b, err = 0;

	place(cpu);
	for (b = 0; b < BLOCKS && !err; b++) {
		raw[b] = raw_pingpong_on(ROUNDS / BLOCKS, cpu);
		rpc[b] = block(arg, ROUNDS / BLOCKS, cpu);
		err = rpc[b] < 0;
		ratio[b] = rpc[b] / raw[b];
	}
	place(-1);
	if (err)
		return -1;
	qsort(raw, BLOCKS, sizeof(double), cmp_double);
	qsort(rpc, BLOCKS, sizeof(double), cmp_double);
	qsort(ratio, BLOCKS, sizeof(double), cmp_double);
	ret->raw = raw[BLOCKS / 2];
	ret->rpc = rpc[BLOCKS / 2];
	ret->ratio = ratio[BLOCKS / 2];
	return 0;
}

/*
 * @what's round trip on one CPU and spread, each beside raw placed alike, printed as one line
 * each (@target: the bound on the one-CPU ratio, or NULL). 0, or -1 when a call
 * failed (said on stdout).
 */
static int round_trip(const char *what, int (*call)(struct rclc *, void *), struct rclc *c,
		      void *arg, const char *target)
{
	struct calls k = { call, c, arg };
	struct beside one, spread;
	int i;

	for (i = 0; i < 1000; i++)		/* warm up both sides */
		if (call(c, arg) < 0)
			break;
	if (beside_raw_on(calls_block, &k, sched_getcpu() < 0 ? 0 : sched_getcpu(), &one) < 0 ||
	    beside_raw_on(calls_block, &k, -1, &spread) < 0) {
		printf("%-24s n/a (%s)\n", what, rclc_last_error(c));
		return -1;
	}
	printf("%-24s one CPU %7.2f us (%.2fx raw %.2f us)%s%s; spread %7.2f us (%.2fx raw "
	       "%.2f us)\n", what, one.rpc * 1e6, one.ratio, one.raw * 1e6,
	       target ? "; target " : "", target ? target : "", spread.rpc * 1e6, spread.ratio,
	       spread.raw * 1e6);
	return 0;
}

/* @what's one-CPU round trip through @block beside raw, printed with @why after it. */
static void floor_line(const char *what, block_fn block, const char *why)
{
	struct beside one;

	block(NULL, 1000, -1);		/* warm up */
	if (beside_raw_on(block, NULL, sched_getcpu() < 0 ? 0 : sched_getcpu(), &one) < 0) {
		printf("%-24s n/a\n", what);
		return;
	}
	printf("%-24s one CPU %7.2f us (%.2fx raw %.2f us): %s\n", what, one.rpc * 1e6, one.ratio,
	       one.raw * 1e6, why);
}

/*
 * The floors under the tunable get's figure, on one CPU beside raw as that figure's first half
 * is measured: its request and answer through protobuf-c alone, then the same with each side
 * waiting as reclaimd's two do (libevent's loop, the library's poll).
 */
static void pb_floor(void)
{
	floor_line("protobuf-c alone:", pb_pingpong_on,
		   "the same request and answer encoded and decoded, no daemon");
	floor_line("and event loops:", loop_pingpong_on,
		   "the same, the server waiting in libevent's loop, the client in poll");
}

/* Reads (tunable get, region info) are the loop's now: a worker's round trip is an advice. */
static int worker_call(struct rclc *c, void *arg)
{
	return rclc_madvise(c, arg, RCLC_MADV_NORMAL, NULL) < 0 ? -1 : 0;
}

static uint64_t read_region;

static int resident_read(struct rclc *c, void *arg)
{
	return rclc_read(c, read_region, 0, arg, 4096, NULL);
}

static int small_call(struct rclc *c, void *arg)
{
	char value[64];

	(void)arg;
	return rclc_tunable_get(c, "swappiness", value, sizeof(value)) < 0 ? -1 : 0;
}

/* A one-page read of a resident page, answered on the loop: it carries 4 KiB back. */
static void loop_round_trip(struct rclc *c)
{
	static unsigned char page[4096];

	if (rclc_alloc(c, sizeof(page), NULL, &read_region, NULL) < 0 ||
	    rclc_write(c, read_region, 0, page, sizeof(page)) < 0) {
		printf("reclaimd resident read: n/a (%s)\n", rclc_last_error(c));
		return;
	}
	round_trip("reclaimd resident read:", resident_read, c, page, NULL);
	rclc_free(c, read_region);
}

/* The loop's syscalls per request over a pipelined stream of one-page resident writes. */
static void loop_syscalls(struct rclc *c, pid_t pid, const char *dir)
{
	char out[256], err[256];
	uint64_t region;
	pid_t st;
	long calls;

	snprintf(out, sizeof(out), "%s/strace.out", dir);
	snprintf(err, sizeof(err), "%s/strace.err", dir);
	if (rclc_alloc(c, PIPE_PAGES * 4096ull, NULL, &region, NULL) < 0 ||
	    pipelined_writes(c, region, PIPE_PAGES) < 0) {	/* faults them in */
		printf("loop syscalls/request:  n/a (%s)\n", rclc_last_error(c));
		return;
	}
	st = strace_start(pid, out, err);
	if (st < 0) {
		printf("loop syscalls/request:  n/a (strace missing or cannot attach)\n");
	} else {
		int ret = pipelined_writes(c, region, PIPE_REQUESTS);

		calls = strace_stop(st, out);
		if (ret < 0 || calls < 0)
			printf("loop syscalls/request:  n/a (%s)\n",
			       ret < 0 ? rclc_last_error(c) : "no strace summary");
		else
			printf("loop syscalls/request:  %8.2f (%ld syscalls for %u one-page writes "
			       "%u deep, strace -c; target <= 2)\n", (double)calls / PIPE_REQUESTS,
			       calls, PIPE_REQUESTS, PIPE_DEPTH);
	}
	unlink(out);
	unlink(err);
}

/* The daemon's counts of requests answered on the loop and by workers; -1 if unknown. */
static int daemon_requests(struct rclc *c, uint64_t *loop, uint64_t *workers)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat st = RECLAIM__V1__STAT__INIT;
	Reclaim__V1__Response *resp;
	size_t i;

	st.view = RECLAIM__V1__STAT_VIEW__MEMINFO;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_STAT;
	req.stat = &st;
	if (rclc_call(c, &req, &resp) < 0 || !resp->stat)
		return -1;
	*loop = *workers = 0;
	for (i = 0; i < resp->stat->n_daemon; i++) {
		if (!strcmp(resp->stat->daemon[i]->name, "requests_on_loop"))
			*loop = resp->stat->daemon[i]->value;
		else if (!strcmp(resp->stat->daemon[i]->name, "requests_on_workers"))
			*workers = resp->stat->daemon[i]->value;
	}
	rclc_response_free(resp);
	return 0;
}

struct pager {
	const char *sock;
	atomic_bool ready, stop;
	atomic_ulong calls;		/* requests it made since ready */
	int err;
};

/* Page an 8 MiB region out and fault it back until told to stop. */
static void *pager_thread(void *arg)
{
	struct pager *p = arg;
	struct rclc_range r = { .nr_pages = PAGER_PAGES };
	struct rclc *c;

	if (rclc_open(p->sock, "bench_rpc pager", &c) < 0) {
		p->err = -EIO;
		atomic_store(&p->ready, true);
		return NULL;
	}
	if (rclc_alloc(c, PAGER_PAGES * 4096ull, NULL, &r.region_id, NULL) < 0 ||
	    rclc_touch(c, &r, true, NULL) < 0)
		p->err = -EIO;
	atomic_store(&p->ready, true);
	while (!p->err && !atomic_load(&p->stop)) {
		if (rclc_madvise(c, &r, RCLC_MADV_PAGEOUT, NULL) < 0 ||
		    rclc_touch(c, &r, false, NULL) < 0)
			p->err = -EIO;
		atomic_fetch_add(&p->calls, 2);
	}
	rclc_close(c);
	return NULL;
}

/*
 * PIPE_REQUESTS one-page resident writes 32 deep, with the pager running or not: their rate,
 * and how many requests went to the loop and to workers meanwhile (the pager's own and the two
 * counter reads' are taken out of the workers' count).
 */
static void loop_under_reclaim(struct rclc *c, const char *sock)
{
	uint64_t region, l0, w0, l1, w1, calls;
	struct pager p = { .sock = sock };
	pthread_t t;
	double t0, dt;
	int pass, ret;

	if (rclc_alloc(c, PIPE_PAGES * 4096ull, NULL, &region, NULL) < 0 ||
	    pipelined_writes(c, region, PIPE_PAGES) < 0) {	/* faults them in */
		printf("resident writes under reclaim: n/a (%s)\n", rclc_last_error(c));
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		if (pass) {
			if (pthread_create(&t, NULL, pager_thread, &p))
				return;
			while (!atomic_load(&p.ready))
				usleep(1000);
		}
		calls = atomic_load(&p.calls);
		if (daemon_requests(c, &l0, &w0) < 0)
			break;
		t0 = now();
		ret = pipelined_writes(c, region, PIPE_REQUESTS);
		dt = now() - t0;
		calls = atomic_load(&p.calls) - calls;
		if (ret < 0 || p.err || daemon_requests(c, &l1, &w1) < 0) {
			printf("resident writes under reclaim: n/a (%s)\n", rclc_last_error(c));
			break;
		}
		/* The first counter read is counted in w1 - w0 (a worker's); the pager's, too. */
		printf("resident writes 32 deep, %s %8.0f /s; loop answered %llu, workers %lld "
		       "(+-1) of them", pass ? "while paging out:" : "idle:            ",
		       PIPE_REQUESTS / dt, (unsigned long long)(l1 - l0),
		       (long long)(w1 - w0) - 1 - (long long)calls);
		if (pass)
			printf("; the pager's requests meanwhile: %llu", (unsigned long long)calls);
		printf("%s\n", pass ? "" : "; target 200000/s");
	}
	if (pass == 2 || p.ready) {
		atomic_store(&p.stop, true);
		pthread_join(t, NULL);
	}
	rclc_free(c, region);
}

int main(void)
{
	char dir[] = "/tmp/bench_rpc.XXXXXX", sock[256];
	struct rclc_range advised = { .first_page = 0, .nr_pages = 1 };
	struct rclc *c;
	pid_t pid;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	pid = start_daemon(dir, sock, "16M", "64M");	/* swap for the pager's page-outs */
	daemon_pid = pid;
	sched_getaffinity(0, sizeof(all_cpus), &all_cpus);
	if (pid < 0 || rclc_open(sock, "bench_rpc", &c) < 0) {
		fprintf(stderr, "bench_rpc: cannot start or reach reclaimd\n");
		return 1;
	}
	if (rclc_alloc(c, 4096, NULL, &advised.region_id, NULL) < 0)
		return 1;
	printf("round trips, median of %d blocks each beside a block of raw unix ping-pong placed "
	       "alike: the daemon's threads and this process on one CPU, or spread by the "
	       "scheduler\n", BLOCKS);
	round_trip("reclaimd tunable get:", small_call, c, NULL, "<= 1.3x");
	pb_floor();
	if (round_trip("reclaimd madvise normal:", worker_call, c, &advised, "<= 2x") < 0)
		return 1;
	rclc_free(c, advised.region_id);
	fflush(stdout);
	loop_round_trip(c);
	fflush(stdout);
	loop_syscalls(c, pid, dir);
	fflush(stdout);
	loop_under_reclaim(c, sock);
	rclc_close(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(sock, sizeof(sock), "%s/notify", dir);
	unlink(sock);
	rmdir(dir);
	return 0;
}
