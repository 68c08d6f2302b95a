/*
 * bench_concurrency - issue 9's figures in one run, on one file system (the directory the
 * benchmark runs in: `make bench` runs it from the build directory), each printed beside the
 * raw limit it is compared with and the target it is held to. Figures only; nothing is
 * asserted, but a missed target is named as such.
 *
 *   1. raw       128 KiB sequential O_DIRECT writes, 32 in flight through io_uring (fio's
 *                way: a fresh fallocated file, written once through, as the swap file is
 *                fresh and fallocated), and random 4 KiB O_DIRECT reads of what was written,
 *                one in flight (a fault waits for its page: the engine's swap-in depth per
 *                faulting thread) and DAEMON_WORKERS in flight (one fault per daemon worker).
 *   2. swap-out  a writer streaming through an anonymous region 16 times the arena: pswpout
 *                MiB/s once the arena is full, in-process (rcl_engine_start_threads, io_uring
 *                swap) and through reclaimd, each as a fraction of the raw write.
 *                Target: the daemon at least 85% of the raw write.
 *   3. clients   1, 2, 4 and 8 clients, each on its own connection writing random batches of
 *                its own region, together 2x the arena (overcommitted) and 1/2 of it (fits):
 *                aggregate pages/s. Target: 4 clients at least 1.5x one client overcommitted.
 *   4. stalls    a writer paced at half the in-process swap-out rate of 2: allocstall as a
 *                fraction of page allocations (pgalloc). Target: under 1% (kswapd keeps up).
 *
 *   5. free      a client faulting in fresh pages one a request while another client touches
 *                a FREE_MIB region whole, then frees it: its worst round trip during each,
 *                beside its worst over half a second with neither (the machine's own noise,
 *                measured just before). Both let mm_lock go every page table's worth of
 *                work; before, the faulting client waited for all of it.
 *
 * The host's two cores are shared, so one slice of time can be slow for reasons of its own:
 * 2 and 3 run ROUNDS times, interleaved (raw, in-process, daemon; 1, 2, 4, 8 clients), and
 * the medians are what the table compares. Every phase is bounded in time, and an alarm ends
 * the whole run (and its daemon) if anything hangs. Files: a fresh directory under ./var,
 * removed at the end.
 *
 * BENCH_CONCURRENCY=swapout runs 1 and 2 alone (the A/B runs of a swap-out change);
 * =engine and =daemon run only that stream of 2, ROUNDS times, with nothing else in the
 * process's profile (perf record on the benchmark, or on the daemon it starts); =stalls runs
 * 4 alone, ROUNDS times, each paced at half of an in-process stream measured before it;
 * =clients runs 3's overcommitted case alone, beside the QD1 reads it compares swap-ins to;
 * =free runs 5 alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "bench-daemon.h"
#include "bench-raw.h"
#include "reclaim-client-pb.h"
#include "reclaim/engine.h"
#include "reclaim/region.h"

#define PAGE			4096ull
#define MiB			(1ull << 20)
#define ARENA_MIB		64ull
#define ARENA_PAGES		(ARENA_MIB * MiB / PAGE)

#define RAW_BYTES		(1024 * MiB)	/* one pass at most: every write is a first write */
#define RAW_SECONDS		1.0
#define READ_SECONDS		0.5
#define DAEMON_WORKERS		4		/* reclaimd's default --workers */

#define STREAM_PAGES		(16 * ARENA_PAGES)	/* the swap-out writer's region */
#define STREAM_BATCH		256		/* pages per touch (1 MiB) */
#define STREAM_SECONDS		1.5
#define STREAM_WINDOW		4		/* daemon requests in flight */

#define CLIENT_BATCH		8		/* pages per random touch: a swap readahead window */
#define CLIENT_WARMUP		0.3
#define CLIENT_SECONDS		1.0
#define MAX_CLIENTS		8

#define STALL_BATCH		16		/* pages per paced step */
#define STALL_SECONDS		2.0

#define FREE_MIB		1024ull		/* 5: the region freed */
#define ROUNDS			3		/* of 2 and 3, interleaved: medians */
#define RUN_LIMIT		300		/* seconds: the alarm that ends a hung run */

static char dir[80];		/* its sockets' paths must fit in a sockaddr_un */
static pid_t daemon_pid = -1;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_concurrency: %s: %s\n", what, strerror(err < 0 ? -err : err));
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	exit(1);
}

static void on_alarm(int sig)
{
	(void)sig;
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	static const char msg[] = "bench_concurrency: run limit reached: stopped\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* ---- the summary table ------------------------------------------------------------------ */

struct row {
	char what[48];
	char figure[24];
	char raw[40];
	char target[40];
	const char *verdict;	/* "met", "MISSED" or "" (no target) */
};

static struct row rows[32];
static int nr_rows;

static void row_add(const char *what, const char *figure, const char *raw, const char *target,
		    const char *verdict)
{
	struct row *r = &rows[nr_rows++];

	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->figure, sizeof(r->figure), "%s", figure);
	snprintf(r->raw, sizeof(r->raw), "%s", raw);
	snprintf(r->target, sizeof(r->target), "%s", target);
	r->verdict = verdict;
}

static void table_print(void)
{
	int i, missed = 0;

	printf("\n%-36s %-16s %-34s %-22s %s\n", "figure", "measured", "beside", "target", "");
	for (i = 0; i < nr_rows; i++) {
		printf("%-36s %-16s %-34s %-22s %s\n", rows[i].what, rows[i].figure, rows[i].raw,
		       rows[i].target, rows[i].verdict);
		missed += strcmp(rows[i].verdict, "MISSED") == 0;
	}
	if (missed)
		printf("%d target%s MISSED (see the rows above)\n", missed, missed > 1 ? "s" : "");
	else
		printf("every target met\n");
}

static const char *verdict(bool met)
{
	return met ? "met" : "MISSED";
}

/* ---- 1. the raw limits (bench-raw.h) ---------------------------------------------------- */

struct raw_figures {
	double write_mib;		/* MiB/s, the median round's */
	double read_qd1, read_qdw;	/* reads/s */
};

static double median(const double *v, int n)
{
	double s[ROUNDS];
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && s[j - 1] > v[i]; j--)
			s[j] = s[j - 1];
		s[j] = v[i];
	}
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/*
 * One raw round: a fresh fallocated file written through (MiB/s); on the first round also
 * the random reads of what it wrote (reads/s, one and DAEMON_WORKERS in flight).
 */
static double raw_round_here(bool reads, double *ret_qd1, double *ret_qdw)
{
	static const unsigned int qds[2] = { 1, DAEMON_WORKERS };
	char path[sizeof(dir) + 8];
	double r[2];
	double mib;

	snprintf(path, sizeof(path), "%s/raw", dir);
	mib = raw_round(path, RAW_BYTES, RAW_SECONDS, qds, reads ? 2 : 0, READ_SECONDS, r);
	if (reads) {
		*ret_qd1 = r[0];
		*ret_qdw = r[1];
	}
	return mib;
}

/* ---- the engine in-process ------------------------------------------------------------ */

struct counters {
	uint64_t pswpout, pswpin, pgalloc, allocstall, pgscan_kswapd, pgscan_direct;
	uint64_t pswpout_locked;	/* of pswpout: submitted with mm_lock held */
	uint64_t lock_wait_us;		/* the daemon's engine_lock_wait_usecs */
};

static void counter_add(struct counters *c, const char *name, uint64_t value)
{
	if (strcmp(name, "pswpout") == 0)
		c->pswpout += value;
	else if (strcmp(name, "pswpout_locked") == 0)
		c->pswpout_locked += value;
	else if (strcmp(name, "pswpin") == 0)
		c->pswpin += value;
	else if (strncmp(name, "pgalloc_", 8) == 0)
		c->pgalloc += value;
	else if (strncmp(name, "allocstall_", 11) == 0)
		c->allocstall += value;
	else if (strcmp(name, "pgscan_kswapd") == 0)
		c->pgscan_kswapd += value;
	else if (strcmp(name, "pgscan_direct") == 0)
		c->pgscan_direct += value;
}

static void engine_counter(void *arg, const char *name, uint64_t value, bool cumulative)
{
	(void)cumulative;
	counter_add(arg, name, value);
}

static void engine_counters(struct rcl_engine *e, struct counters *ret)
{
	memset(ret, 0, sizeof(*ret));
	rcl_vmstat_foreach(e, engine_counter, ret);
}

/* An engine as reclaimd runs it: io_uring swap, kswapd and the flusher running. */
static struct rcl_engine *engine_start(uint64_t swap_pages)
{
	static char swap[PATH_MAX + 16];
	struct rcl_config c;
	struct rcl_engine *e;
	int err;

	snprintf(swap, sizeof(swap), "%s/engine-swap", dir);
	rcl_config_defaults(&c);
	c.arena_bytes = ARENA_MIB * MiB;
	c.data_dir = dir;
	c.swap_path = swap;
	c.swap_bytes = (swap_pages + 1024) * PAGE;
	c.swap_async = true;
	err = rcl_engine_new(&c, &e);
	if (err)
		die("rcl_engine_new", err);
	err = rcl_engine_start_threads(e);
	if (err)
		die("rcl_engine_start_threads", err);
	err = rcl_thread_attach(e);
	if (err)
		die("rcl_thread_attach", err);
	return e;
}

static void engine_stop(struct rcl_engine *e)
{
	rcl_thread_detach(e);
	rcl_engine_stop_threads(e);
	rcl_engine_free(e);
}

static uint32_t engine_region(struct rcl_engine *e, uint64_t pages)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = pages };
	uint32_t id;
	int err = rcl_region_create(e, &spec, &id);

	if (err)
		die("rcl_region_create", err);
	return id;
}

/* Touch-write the region from @*page until pswpout moves (the arena is full). */
static void engine_fill(struct rcl_engine *e, uint32_t id, uint64_t *page, uint64_t nr,
			unsigned int batch)
{
	struct counters c0, c;
	int err;

	engine_counters(e, &c0);
	do {
		if (*page + batch > nr)
			die("filling the arena", ENOSPC);
		err = rcl_region_touch(e, id, *page, batch, true);
		if (err)
			die("rcl_region_touch", err);
		*page += batch;
		engine_counters(e, &c);
	} while (c.pswpout == c0.pswpout);
}

struct stream_figures {
	double mib;			/* pswpout MiB/s */
	double pages;			/* pswpout pages/s: the reclaim capacity of 4 */
	double stall_frac;
	double cpu_us;			/* CPU (every thread, user + system) per page out */
	double locked_frac;		/* of the pages out: submitted with mm_lock held */
};

/* CPU seconds used so far by this process, every thread (io_uring's workers too). */
static double cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The same for another process (the daemon), from /proc: 0 if it cannot be read. */
static double cpu_of(pid_t pid)
{
	unsigned long utime, stime;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &utime, &stime) != 2)
		return 0;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* A writer streaming through STREAM_PAGES: the swap-out rate once the arena is full. */
static void bench_engine_stream(struct stream_figures *ret)
{
	struct rcl_engine *e = engine_start(STREAM_PAGES);
	uint32_t id = engine_region(e, STREAM_PAGES);
	struct counters c0, c;
	uint64_t page = 0;
	double t0, t, cpu0;
	int err;

	engine_fill(e, id, &page, STREAM_PAGES, STREAM_BATCH);
	engine_counters(e, &c0);
	cpu0 = cpu_self();
	t0 = now();
	do {
		err = rcl_region_touch(e, id, page, STREAM_BATCH, true);
		if (err)
			die("rcl_region_touch", err);
		page += STREAM_BATCH;
		t = now() - t0;
	} while (page + STREAM_BATCH <= STREAM_PAGES && t < STREAM_SECONDS);
	engine_counters(e, &c);
	ret->cpu_us = 1e6 * (cpu_self() - cpu0) /
		      (double)(c.pswpout - c0.pswpout ? c.pswpout - c0.pswpout : 1);
	ret->pages = (double)(c.pswpout - c0.pswpout) / t;
	ret->mib = ret->pages * PAGE / MiB;
	ret->locked_frac = (double)(c.pswpout_locked - c0.pswpout_locked) /
			   (double)(c.pswpout - c0.pswpout ? c.pswpout - c0.pswpout : 1);
	ret->stall_frac = (double)(c.allocstall - c0.allocstall) /
			  (double)(c.pgalloc - c0.pgalloc ? c.pgalloc - c0.pgalloc : 1);
	rcl_region_free(e, id);
	engine_stop(e);
}

/*
 * 4: a writer allocating at @rate pages/s in steps of STALL_BATCH, once the arena is full.
 * allocstall / pgalloc over STALL_SECONDS; *ret_rate: the rate it kept.
 */
static double bench_stalls(double rate, double *ret_rate, struct counters *ret)
{
	uint64_t pages = (uint64_t)(rate * STALL_SECONDS) + 2 * ARENA_PAGES, page = 0, steps = 0;
	struct rcl_engine *e = engine_start(pages);
	uint32_t id = engine_region(e, pages);
	struct counters c0, c;
	double t0, t, due;
	int err;

	engine_fill(e, id, &page, pages, STALL_BATCH);
	engine_counters(e, &c0);
	t0 = now();
	for (;;) {
		t = now() - t0;
		if (t >= STALL_SECONDS || page + STALL_BATCH > pages)
			break;
		due = (double)(steps * STALL_BATCH) / rate;
		if (t < due) {
			struct timespec ts = { 0, (long)((due - t) * 1e9) };

			nanosleep(&ts, NULL);	/* pacing, not synchronisation */
			continue;
		}
		err = rcl_region_touch(e, id, page, STALL_BATCH, true);
		if (err)
			die("rcl_region_touch", err);
		page += STALL_BATCH;
		steps++;
	}
	engine_counters(e, &c);
	*ret_rate = (double)(steps * STALL_BATCH) / t;
	ret->pgalloc = c.pgalloc - c0.pgalloc;
	ret->allocstall = c.allocstall - c0.allocstall;
	ret->pswpout = c.pswpout - c0.pswpout;
	ret->pgscan_kswapd = c.pgscan_kswapd - c0.pgscan_kswapd;
	ret->pgscan_direct = c.pgscan_direct - c0.pgscan_direct;
	rcl_region_free(e, id);
	engine_stop(e);
	return (double)ret->allocstall / (double)(ret->pgalloc ? ret->pgalloc : 1);
}

/* ---- through reclaimd ----------------------------------------------------------------- */

static char sock[sizeof(dir) + 8];

static void daemon_up(const char *arena, const char *swap)
{
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	daemon_pid = start_daemon(dir, sock, arena, swap);
	if (daemon_pid < 0)
		die("cannot start reclaimd", ECHILD);
}

static void daemon_down(void)
{
	char path[PATH_MAX + 16];
	int status;

	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, &status, 0);
	daemon_pid = -1;
	snprintf(path, sizeof(path), "%s/notify", dir);
	unlink(path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("reclaimd did not exit 0", ECHILD);
}

static struct rclc *client_open(void)
{
	struct rclc *c;
	int err = rclc_open(sock, "bench_concurrency", &c);

	if (err)
		die("rclc_open", err);
	return c;
}

static Reclaim__V1__Response *call(struct rclc *c, Reclaim__V1__Request *req)
{
	Reclaim__V1__Response *resp;
	int err = rclc_call(c, req, &resp);

	if (err)
		die("rclc_call", err);
	err = rclc_status_errno(resp);
	if (err) {
		fprintf(stderr, "bench_concurrency: %s\n", resp->status->message);
		die("request refused", err);
	}
	return resp;
}

static uint64_t client_region(struct rclc *c, uint64_t pages)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionCreate rc = RECLAIM__V1__REGION_CREATE__INIT;
	Reclaim__V1__Response *resp;
	uint64_t id;

	rc.bytes = pages * PAGE;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_REGION_CREATE;
	req.region_create = &rc;
	resp = call(c, &req);
	id = resp->region_create->region_id;
	rclc_response_free(resp);
	return id;
}

static void client_region_free(struct rclc *c, uint64_t id)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionFree rf = RECLAIM__V1__REGION_FREE__INIT;

	rf.region_id = id;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_REGION_FREE;
	req.region_free = &rf;
	rclc_response_free(call(c, &req));
}

static void client_counters(struct rclc *c, struct counters *ret)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat st = RECLAIM__V1__STAT__INIT;
	Reclaim__V1__Response *resp;
	size_t i;

	st.view = RECLAIM__V1__STAT_VIEW__VMSTAT;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_STAT;
	req.stat = &st;
	resp = call(c, &req);
	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < resp->stat->n_counters; i++)
		counter_add(ret, resp->stat->counters[i]->name, resp->stat->counters[i]->value);
	for (i = 0; i < resp->stat->n_daemon; i++)
		if (strcmp(resp->stat->daemon[i]->name, "engine_lock_wait_usecs") == 0)
			ret->lock_wait_us = resp->stat->daemon[i]->value;
	rclc_response_free(resp);
}

/* A touch request for @nr pages of @id from @page, written (with the caller's storage). */
struct touch {
	Reclaim__V1__Request req;
	Reclaim__V1__Touch t;
	Reclaim__V1__PageRange range;
};

static void touch_init(struct touch *tr, uint64_t id, uint64_t nr)
{
	tr->req = (Reclaim__V1__Request)RECLAIM__V1__REQUEST__INIT;
	tr->t = (Reclaim__V1__Touch)RECLAIM__V1__TOUCH__INIT;
	tr->range = (Reclaim__V1__PageRange)RECLAIM__V1__PAGE_RANGE__INIT;
	tr->range.region_id = id;
	tr->range.nr_pages = nr;
	tr->t.range = &tr->range;
	tr->t.write = true;
	tr->req.msg_case = RECLAIM__V1__REQUEST__MSG_TOUCH;
	tr->req.touch = &tr->t;
}

static void touch_answer(struct rclc *c)
{
	Reclaim__V1__Response *resp;
	int err = rclc_recv(c, &resp);

	if (err)
		die("rclc_recv", err);
	err = rclc_status_errno(resp);
	if (err)
		die("touch refused", err);
	rclc_response_free(resp);
}

/*
 * 2, through reclaimd: the same stream as bench_engine_stream, STREAM_WINDOW in flight.
 * MiB/s; *ret_cpu_us: the daemon's CPU per page out.
 */
static double bench_daemon_stream(double *ret_cpu_us)
{
	struct rclc *c;
	struct counters before, after;
	struct touch tr;
	uint64_t id, page = 0, sent = 0, answered = 0, id_unused;
	double t0, t = 0, cpu0, cpu;
	char swap[32];

	snprintf(swap, sizeof(swap), "%lluM",
		 (unsigned long long)((STREAM_PAGES * PAGE) / MiB + 16));
	daemon_up("64M", swap);
	c = client_open();
	id = client_region(c, STREAM_PAGES);
	touch_init(&tr, id, STREAM_BATCH);
	/* Fill the arena one request at a time, looking at pswpout every 8 MiB. */
	client_counters(c, &before);
	do {
		if (page + 8 * STREAM_BATCH > STREAM_PAGES)
			die("the stream never swapped", ENOSPC);
		for (sent = 0; sent < 8; sent++, page += STREAM_BATCH) {
			tr.range.first_page = page;
			if (rclc_send(c, &tr.req, &id_unused))
				die("rclc_send", EPIPE);
			touch_answer(c);
		}
		client_counters(c, &after);
	} while (after.pswpout == before.pswpout);

	/* The arena is full: from here every page the writer dirties pushes one out. */
	client_counters(c, &before);
	sent = 0;
	cpu0 = cpu_of(daemon_pid);
	t0 = now();
	for (;;) {
		while (sent - answered < STREAM_WINDOW && page + STREAM_BATCH <= STREAM_PAGES &&
		       t < STREAM_SECONDS) {
			tr.range.first_page = page;
			if (rclc_send(c, &tr.req, &id_unused))
				die("rclc_send", EPIPE);
			page += STREAM_BATCH;
			sent++;
		}
		if (answered == sent)
			break;
		touch_answer(c);
		answered++;
		t = now() - t0;
	}
	t = now() - t0;
	cpu = cpu_of(daemon_pid) - cpu0;
	client_counters(c, &after);
	client_region_free(c, id);
	rclc_close(c);
	daemon_down();
	*ret_cpu_us = 1e6 * cpu / (double)(after.pswpout - before.pswpout ?
					    after.pswpout - before.pswpout : 1);
	return (double)(after.pswpout - before.pswpout) * PAGE / MiB / t;
}

/* 3: one client of a scaling run. */
struct client {
	pthread_t thread;
	pthread_barrier_t *ready;
	uint64_t pages;			/* of its region */
	uint64_t touched;		/* pages touched in the measured interval */
	double seconds;
	unsigned int seed;
};

static void *client_main(void *arg)
{
	struct client *cl = arg;
	struct rclc *c = client_open();
	uint64_t id = client_region(c, cl->pages), page, id_unused;
	bool measuring = false;
	struct touch tr;
	double t0, t;

	/* Populate sequentially (through the swap if it does not fit), then go random. */
	touch_init(&tr, id, STREAM_BATCH);
	for (page = 0; page < cl->pages; page += STREAM_BATCH) {
		tr.range.first_page = page;
		tr.range.nr_pages = cl->pages - page < STREAM_BATCH ? cl->pages - page
								     : STREAM_BATCH;
		if (rclc_send(c, &tr.req, &id_unused))
			die("rclc_send", EPIPE);
		touch_answer(c);
	}
	tr.range.nr_pages = CLIENT_BATCH;
	pthread_barrier_wait(cl->ready);
	t0 = now();
	for (;;) {
		tr.range.first_page = (uint64_t)rand_r(&cl->seed) % (cl->pages / CLIENT_BATCH) *
				      CLIENT_BATCH;
		if (rclc_send(c, &tr.req, &id_unused))
			die("rclc_send", EPIPE);
		touch_answer(c);
		t = now();
		if (!measuring) {
			if (t - t0 >= CLIENT_WARMUP) {
				measuring = true;	/* the measured interval starts */
				t0 = t;
			}
			continue;
		}
		cl->touched += CLIENT_BATCH;
		if (t - t0 >= CLIENT_SECONDS)
			break;
	}
	cl->seconds = t - t0;
	pthread_barrier_wait(cl->ready);	/* nobody frees while others measure */
	client_region_free(c, id);
	rclc_close(c);
	return NULL;
}

/* @k clients sharing @total pages: aggregate pages/s; *ret_pswpin: swap-ins per second;
 * *ret_wait: the share of the clients' time their requests' threads waited for mm_lock. */
static double clients_run(struct rclc *stat, unsigned int k, uint64_t total, double *ret_pswpin,
			  double *ret_wait)
{
	struct client cl[MAX_CLIENTS];
	struct counters c0, c1;
	pthread_barrier_t ready;
	double rate = 0, t0;
	unsigned int i;

	pthread_barrier_init(&ready, NULL, k + 1);
	for (i = 0; i < k; i++) {
		cl[i] = (struct client){ .ready = &ready, .pages = total / k, .seed = i + 1 };
		if (pthread_create(&cl[i].thread, NULL, client_main, &cl[i]))
			die("pthread_create", EAGAIN);
	}
	pthread_barrier_wait(&ready);		/* populated: the clients go random */
	client_counters(stat, &c0);
	t0 = now();
	pthread_barrier_wait(&ready);		/* measured */
	client_counters(stat, &c1);
	*ret_pswpin = (double)(c1.pswpin - c0.pswpin) / (now() - t0);
	*ret_wait = (double)(c1.lock_wait_us - c0.lock_wait_us) / 1e6 / ((now() - t0) * k);
	for (i = 0; i < k; i++) {
		pthread_join(cl[i].thread, NULL);
		rate += (double)cl[i].touched / cl[i].seconds;
	}
	pthread_barrier_destroy(&ready);
	return rate;
}

static void bench_clients(const struct raw_figures *raw, const char *name, uint64_t total,
			  bool target)
{
	static const unsigned int ks[] = { 1, 2, 4, 8 };
	double rate[4][ROUNDS], pswpin[4][ROUNDS], wait[4][ROUNDS], r, one = 0, in;
	char what[48], fig[24], beside[40];
	struct rclc *stat;
	int i, round;

	daemon_up("64M", "256M");
	stat = client_open();
	printf("3. %s: %llu MiB of regions in a %llu MiB arena, random %d-page write touches, "
	       "%d rounds\n", name, (unsigned long long)(total * PAGE / MiB), ARENA_MIB,
	       CLIENT_BATCH, ROUNDS);
	for (round = 0; round < ROUNDS; round++)
		for (i = 0; i < 4; i++)
			rate[i][round] = clients_run(stat, ks[i], total, &pswpin[i][round],
						     &wait[i][round]);
	for (i = 0; i < 4; i++) {
		r = median(rate[i], ROUNDS);
		in = median(pswpin[i], ROUNDS);
		if (i == 0)
			one = r;
		/* Waits for the model lock as a share of the clients' time: what splitting it
		 * could give back at most (the rest is the disk and the CPUs). */
		printf("   %u client%s %9.0f pages/s  %.2fx one client  pswpin %7.0f/s  "
		       "mm_lock wait %4.1f%%  (rounds:", ks[i], ks[i] > 1 ? "s" : " ", r, r / one,
		       in, 100 * median(wait[i], ROUNDS));
		for (round = 0; round < ROUNDS; round++)
			printf(" %.0f", rate[i][round]);
		printf(")\n");
		snprintf(what, sizeof(what), "%s, %u client%s", name, ks[i], ks[i] > 1 ? "s" : "");
		snprintf(fig, sizeof(fig), "%.0f pages/s", r);
		if (ks[i] == 1)
			snprintf(beside, sizeof(beside), in ? "pswpin/s %.0f%% of QD1 reads/s" : "-",
				 100 * in / raw->read_qd1);
		else if (ks[i] == DAEMON_WORKERS && in)
			snprintf(beside, sizeof(beside), "%.2fx 1; pswpin %.0f%% QD%d", r / one,
				 100 * in / raw->read_qdw, DAEMON_WORKERS);
		else
			snprintf(beside, sizeof(beside), "%.2fx 1 client", r / one);
		if (target && ks[i] == 4)
			row_add(what, fig, beside, ">= 1.5x 1 client", verdict(r >= 1.5 * one));
		else
			row_add(what, fig, beside, "-", "");
	}
	rclc_close(stat);
	daemon_down();
}

/* 1 and 2: ROUNDS of raw write, in-process stream and daemon stream, one after another. */
static void bench_swapout(struct raw_figures *raw, struct stream_figures *eng)
{
	double w[ROUNDS], e[ROUNDS], ep[ROUNDS], stall[ROUNDS], d[ROUNDS], dmn, dcpu;
	char fig[24], beside[40], what[48];
	struct stream_figures one;
	int r;

	printf("1./2. raw io_uring O_DIRECT writes, then swap-out of a writer streaming through "
	       "%llu MiB of anon in a %llu MiB arena, on %s\n",
	       STREAM_PAGES * PAGE / MiB, ARENA_MIB, dir);
	for (r = 0; r < ROUNDS; r++) {
		w[r] = raw_round_here(r == 0, &raw->read_qd1, &raw->read_qdw);
		bench_engine_stream(&one);
		e[r] = one.mib;
		ep[r] = one.pages;
		stall[r] = one.stall_frac;
		d[r] = bench_daemon_stream(&dcpu);
		printf("   round %d: raw %6.0f MiB/s  in-process %6.1f MiB/s (%4.1f%%, %.2f us CPU "
		       "a page, %.1f%% under mm_lock)  reclaimd %6.1f MiB/s (%4.1f%%, %.2f us)\n",
		       r + 1, w[r], e[r], 100 * e[r] / w[r], one.cpu_us, 100 * one.locked_frac,
		       d[r], 100 * d[r] / w[r], dcpu);
	}
	raw->write_mib = median(w, ROUNDS);
	eng->mib = median(e, ROUNDS);
	eng->pages = median(ep, ROUNDS);
	eng->stall_frac = median(stall, ROUNDS);
	dmn = median(d, ROUNDS);

	printf("   4 KiB random reads: %.0f/s one in flight, %.0f/s %d in flight\n",
	       raw->read_qd1, raw->read_qdw, DAEMON_WORKERS);
	snprintf(fig, sizeof(fig), "%.0f MiB/s", raw->write_mib);
	row_add("raw seq write 128K QD32", fig, "-", "-", "");
	snprintf(fig, sizeof(fig), "%.0f reads/s", raw->read_qd1);
	row_add("raw rand read 4K QD1", fig, "-", "-", "");
	snprintf(fig, sizeof(fig), "%.0f reads/s", raw->read_qdw);
	snprintf(what, sizeof(what), "raw rand read 4K QD%d", DAEMON_WORKERS);
	row_add(what, fig, "-", "-", "");
	snprintf(fig, sizeof(fig), "%.1f MiB/s", eng->mib);
	snprintf(beside, sizeof(beside), "%.1f%% of raw write", 100 * eng->mib / raw->write_mib);
	row_add("swap-out in-process", fig, beside, "-", "");
	snprintf(fig, sizeof(fig), "%.1f MiB/s", dmn);
	snprintf(beside, sizeof(beside), "%.1f%% of raw write", 100 * dmn / raw->write_mib);
	row_add("swap-out through reclaimd", fig, beside, ">= 85% of raw write",
		verdict(dmn >= 0.85 * raw->write_mib));
}

/* BENCH_CONCURRENCY=engine or daemon: that stream of 2 alone, ROUNDS times, for a profile. */
static void bench_stream_alone(bool daemon)
{
	struct stream_figures one;
	double mib, cpu;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		if (daemon) {
			mib = bench_daemon_stream(&cpu);
			printf("   round %d: reclaimd %6.1f MiB/s, %.2f us CPU a page\n", r + 1, mib,
			       cpu);
		} else {
			bench_engine_stream(&one);
			printf("   round %d: in-process %6.1f MiB/s, %.2f us CPU a page, %.1f%% "
			       "submitted under mm_lock\n", r + 1, one.mib, one.cpu_us,
			       100 * one.locked_frac);
		}
	}
}

/* BENCH_CONCURRENCY=stalls: 4 alone, ROUNDS times, each paced at half of an in-process
 * stream measured just before it. */
static void bench_stalls_alone(void)
{
	struct stream_figures one;
	struct counters st;
	double frac, kept;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		bench_engine_stream(&one);
		frac = bench_stalls(one.pages / 2, &kept, &st);
		printf("   round %d: %.0f pages/s (half of %.0f): allocstall %.3f%% of pgalloc; "
		       "pgscan kswapd %llu, direct %llu\n", r + 1, kept, one.pages, 100 * frac,
		       (unsigned long long)st.pgscan_kswapd, (unsigned long long)st.pgscan_direct);
	}
}

/* 5: one page a touch of fresh pages of @region, until told to stop; the worst round trip. */
struct faulter {
	uint64_t region;
	_Atomic bool stop, measure;
	_Atomic double worst;
	pthread_t thread;
};

static void *faulter_main(void *arg)
{
	struct faulter *fl = arg;
	struct rclc *c = client_open();
	struct touch tr;
	uint64_t page = 0;

	touch_init(&tr, fl->region, 1);
	while (!atomic_load(&fl->stop)) {
		double t0 = now(), d;

		tr.range.first_page = page++ % ARENA_PAGES;
		rclc_response_free(call(c, &tr.req));
		d = now() - t0;
		if (atomic_load(&fl->measure) && d > atomic_load(&fl->worst))
			atomic_store(&fl->worst, d);
		if (page % ARENA_PAGES == 0)	/* fresh pages again: drop them */
			rclc_madvise(c, &(struct rclc_range){ fl->region, 0, 0 }, RCLC_MADV_DONTNEED,
				     NULL);
	}
	rclc_close(c);
	return NULL;
}

enum window { WINDOW_IDLE, WINDOW_TOUCH, WINDOW_FREE };

/* The faulter's worst round trip over @seconds (idle), or while @big is touched whole or freed. */
static double faulter_window(struct faulter *fl, struct rclc *c, enum window what, uint64_t big,
			     double seconds, double *ret_took)
{
	double t0 = now();
	struct touch tr;

	atomic_store(&fl->worst, 0.0);
	atomic_store(&fl->measure, true);
	if (what == WINDOW_FREE) {
		client_region_free(c, big);
	} else if (what == WINDOW_TOUCH) {
		touch_init(&tr, big, FREE_MIB * MiB / PAGE);
		rclc_response_free(call(c, &tr.req));
	} else {
		while (now() - t0 < seconds)
			usleep(1000);
	}
	*ret_took = now() - t0;
	atomic_store(&fl->measure, false);
	return atomic_load(&fl->worst);
}

static void bench_free(void)
{
	char arena[32], fig[48], beside[64];
	struct faulter fl = { 0 };
	double base, touched, freed, took_touch, took_free, idle;
	struct rclc *c;
	uint64_t big;

	snprintf(arena, sizeof(arena), "%lluM", FREE_MIB + 2 * ARENA_MIB);
	daemon_up(arena, "64M");
	c = client_open();
	fl.region = client_region(c, ARENA_PAGES);
	big = client_region(c, FREE_MIB * MiB / PAGE);
	if (pthread_create(&fl.thread, NULL, faulter_main, &fl))
		die("pthread_create", EAGAIN);
	usleep(200000);				/* under way */
	base = faulter_window(&fl, c, WINDOW_IDLE, big, 0.5, &idle);
	touched = faulter_window(&fl, c, WINDOW_TOUCH, big, 0, &took_touch);
	freed = faulter_window(&fl, c, WINDOW_FREE, big, 0, &took_free);
	atomic_store(&fl.stop, true);
	pthread_join(fl.thread, NULL);
	rclc_close(c);
	daemon_down();
	printf("5. a %llu MiB region touched whole in %.1f ms and freed in %.1f ms: the other "
	       "client's worst fault %.2f ms during the touch, %.2f ms during the free, %.2f ms "
	       "in %.1f s before with neither\n", FREE_MIB, took_touch * 1e3, took_free * 1e3,
	       touched * 1e3, freed * 1e3, base * 1e3, idle);
	snprintf(beside, sizeof(beside), "%.2f ms with neither", base * 1e3);
	snprintf(fig, sizeof(fig), "%.2f ms", touched * 1e3);
	row_add("worst fault beside a 1 GiB touch", fig, beside, "-", "");
	snprintf(fig, sizeof(fig), "%.2f ms", freed * 1e3);
	row_add("worst fault beside a 1 GiB free", fig, beside, "-", "");
}

int main(void)
{
	struct raw_figures raw;
	struct stream_figures eng;
	struct counters st;
	char fig[24], beside[40], var[PATH_MAX], rm[sizeof(dir) + 16];
	const char *only;
	double frac, kept;

	signal(SIGALRM, on_alarm);
	alarm(RUN_LIMIT);
	mkdir("var", 0755);
	if (!realpath("var", var))
		die("var", errno);
	if (snprintf(dir, sizeof(dir), "%s/bench-conc.XXXXXX", var) >= (int)sizeof(dir))
		die("var: path too long for a socket", ENAMETOOLONG);
	if (!mkdtemp(dir))
		die(dir, errno);
	setvbuf(stdout, NULL, _IOLBF, 0);
	raw_init();

	only = getenv("BENCH_CONCURRENCY");
	if (only && strcmp(only, "engine") && strcmp(only, "daemon") && strcmp(only, "swapout") &&
	    strcmp(only, "stalls") && strcmp(only, "clients") && strcmp(only, "free"))
		die("BENCH_CONCURRENCY: engine, daemon, swapout, stalls, clients or free", EINVAL);
	if (only && strcmp(only, "free") == 0) {
		bench_free();
		goto out_table;
	}
	if (only && strcmp(only, "stalls") == 0) {
		bench_stalls_alone();
		goto out;
	}
	if (only && strcmp(only, "clients") == 0) {
		raw.write_mib = raw_round_here(true, &raw.read_qd1, &raw.read_qdw);
		printf("   4 KiB random reads: %.0f/s one in flight, %.0f/s %d in flight\n",
		       raw.read_qd1, raw.read_qdw, DAEMON_WORKERS);
		bench_clients(&raw, "overcommitted", 2 * ARENA_PAGES, true);
		goto out_table;
	}
	if (only && strcmp(only, "swapout")) {
		bench_stream_alone(strcmp(only, "daemon") == 0);
		goto out;
	}
	bench_swapout(&raw, &eng);
	if (only)
		goto out_table;
	bench_clients(&raw, "overcommitted", 2 * ARENA_PAGES, true);
	bench_clients(&raw, "fits", ARENA_PAGES / 2, false);

	frac = bench_stalls(eng.pages / 2, &kept, &st);
	printf("4. allocation stream at %.0f pages/s (half of %.0f, the in-process swap-out): "
	       "%llu allocations, %llu allocstall, %.3f%%; pgscan kswapd %llu, direct %llu\n",
	       kept, eng.pages, (unsigned long long)st.pgalloc,
	       (unsigned long long)st.allocstall, 100 * frac,
	       (unsigned long long)st.pgscan_kswapd, (unsigned long long)st.pgscan_direct);
	snprintf(fig, sizeof(fig), "%.3f%%", 100 * frac);
	snprintf(beside, sizeof(beside), "at %.0f%% capacity; %.0f%% scans direct",
		 100 * kept / eng.pages, 100.0 * (double)st.pgscan_direct /
		 (double)(st.pgscan_direct + st.pgscan_kswapd ? st.pgscan_direct + st.pgscan_kswapd
							       : 1));
	row_add("allocstall/pgalloc, half capacity", fig, beside, "< 1% of pgalloc",
		verdict(frac < 0.01));
	snprintf(fig, sizeof(fig), "%.3f%%", 100 * eng.stall_frac);
	row_add("allocstall/pgalloc, full stream", fig, "the swap-out writer of 2", "-", "");
	bench_free();

out_table:
	table_print();
out:
	raw_exit();
	snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
	if (system(rm) != 0)
		return 1;
	return 0;
}
