/*
 * bench_store - issue 10's peer workload: a service stores pages in reclaimd and reads every
 * one back, through the client library, with the arena overcommitted so the pages go to swap
 * and come back. Printed beside the raw limits of the same file system measured in the same
 * run (bench-raw.h). Figures only; nothing is asserted, a missed target is named as such.
 *
 *   store    store_mib of 4 KiB pages, each with contents of its own, written into a region
 *            of that size in an arena_mib arena with a swap_mib swap file: BATCH pages a
 *            request, WINDOW requests in flight (rclc_async). MiB/s.
 *   verify   every page read back in the same batches and compared: MiB/s, and pages lost
 *            (a page that reads back other than written, or does not read back).
 *   cpu      the daemon's own CPU time (utime + stime from /proc/PID/stat) over store and
 *            verify, per page swapped out and in (pswpout + pswpin from its vmstat).
 *   single   the same with one page a request (SINGLE_MIB, WINDOW in flight), and one-page
 *            writes of a resident region 32 deep: pages/s, the request path alone.
 *
 * Full size on the reference machine is a 1 GiB arena and 2.5 GiB stored (BENCH_STORE_FULL=1);
 * `make bench` runs it scaled to the CI machine (256 MiB arena, 640 MiB stored, 2 GiB swap). Files: a fresh
 * directory under ./var, removed at the end; an alarm ends a hung run and its daemon.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>

#include "bench-daemon.h"
#include "bench-raw.h"
#include "reclaim-client.h"

#define PAGE		4096ull
#define MiB		(1ull << 20)
/* Scaled to the CI machine; BENCH_STORE_FULL=1 runs the full size (1 GiB arena, 2.5
 * GiB stored, 4 GiB swap). */
static unsigned long long arena_mib = 256, store_mib = 640, swap_mib = 2048;
#define SINGLE_MIB	64ull
#define BATCH		32u		/* pages a request */
#define WINDOW		4u		/* requests in flight */
#define DEEP		32u		/* one-page requests in flight, request path alone */
#define DEEP_SECONDS	2.0
#define RAW_MAX		(1024 * MiB)
#define RUN_LIMIT	600		/* seconds */

static char dir[80];
static pid_t daemon_pid = -1;

static void die(const char *what, int err)
{
	int status = 0;

	fprintf(stderr, "bench_store: %s: %s\n", what, strerror(err < 0 ? -err : err));
	/* A connection the daemon dropped: give a dying daemon a moment to be reaped. */
	for (int i = 0; daemon_pid > 0 && i < 50; i++) {
		if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid)
			break;
		usleep(20000);
	}
	if (daemon_pid > 0 && kill(daemon_pid, 0) < 0)
		fprintf(stderr, "bench_store: reclaimd %s %d\n",
			WIFSIGNALED(status) ? "was killed by signal" : "exited with",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	else if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	exit(1);
}

static void on_alarm(int sig)
{
	static const char msg[] = "bench_store: run limit reached: stopped\n";

	(void)sig;
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* The contents page @p of region @r is stored with: every word depends on both. */
static void fill_page(uint64_t *w, uint64_t r, uint64_t p)
{
	uint64_t x = (r << 40 | p) * 0x9e3779b97f4a7c15ull | 1;
	unsigned int i;

	for (i = 0; i < PAGE / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
}

/* The daemon's CPU time so far, in seconds. */
static double daemon_cpu(void)
{
	unsigned long long utime, stime;
	char path[64], buf[1024], *p;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)daemon_pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		die(path, errno);
	fclose(f);
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	for (i = 0; p && i < 12; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu %llu", &utime, &stime) != 2)
		die("/proc/PID/stat", EINVAL);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static uint64_t vmstat(struct rclc *c, const char *name)
{
	struct rclc_counter *v;
	uint64_t value = 0;
	size_t n, i;
	int err = rclc_stat(c, RCLC_STAT_VMSTAT, NULL, &v, &n);

	if (err < 0)
		die("stat vmstat", err);
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			value = v[i].value;
	free(v);
	return value;
}

/* One request of a pass: its pages and the buffer it writes from or reads into. */
struct slot {
	uint64_t first, nr;
	int status;
	char *buf;
};

struct pass {
	struct rclc *c;
	uint64_t region, pages, per_req;
	bool write;
	uint64_t lost;		/* verify: pages that did not read back as written */
	struct slot slots[WINDOW];
	unsigned int busy;
};

static void check_slot(struct pass *ps, struct slot *s)
{
	uint64_t want[PAGE / 8], i;

	if (ps->write) {
		if (s->status < 0)
			die("write", s->status);
		return;
	}
	for (i = 0; i < s->nr; i++) {
		fill_page(want, ps->region, s->first + i);
		if (s->status < 0 || memcmp(want, s->buf + i * PAGE, PAGE))
			ps->lost++;
	}
}

static void send_slot(struct pass *ps, struct slot *s, uint64_t first)
{
	uint64_t i;
	int err;

	s->first = first;
	s->nr = ps->pages - first < ps->per_req ? ps->pages - first : ps->per_req;
	if (ps->write)
		for (i = 0; i < s->nr; i++)
			fill_page((uint64_t *)(s->buf + i * PAGE), ps->region, first + i);
	rclc_async(ps->c, NULL, &s->status);
	if (ps->write)
		err = rclc_write(ps->c, ps->region, first * PAGE, s->buf, s->nr * PAGE);
	else
		err = rclc_read(ps->c, ps->region, first * PAGE, s->buf, s->nr * PAGE, NULL);
	if (err < 0)
		die(ps->write ? "write" : "read", err);
}

/* Every page of the region once, in order, WINDOW requests in flight. Seconds taken. */
static double run_pass(struct pass *ps)
{
	uint64_t next = 0;
	unsigned int i, head = 0;
	double t0 = now();
	void *arg;
	int status;

	for (i = 0; i < WINDOW && next < ps->pages; i++, next += ps->per_req)
		send_slot(ps, &ps->slots[i], next);
	ps->busy = i;
	while (ps->busy) {
		struct slot *s = &ps->slots[head];

		if (rclc_reap(ps->c, &status, &arg) < 0)
			die("reap", EPROTO);
		check_slot(ps, s);
		ps->busy--;
		if (next < ps->pages) {
			send_slot(ps, s, next);
			next += ps->per_req;
			ps->busy++;
		}
		head = (head + 1) % WINDOW;
	}
	return now() - t0;
}

struct figures {
	double store_mib, verify_mib, cpu_us;
	uint64_t lost, swapped;
};

/* Store @mib into a fresh region @per_req pages a request, then verify it. */
static void store_and_verify(struct rclc *c, uint64_t mib, uint64_t per_req,
			     struct figures *f)
{
	struct pass ps = { .c = c, .pages = mib * MiB / PAGE, .per_req = per_req };
	uint64_t out0, in0;
	double cpu0, ts, tv;
	unsigned int i;
	int err;

	err = rclc_alloc(c, mib * MiB, NULL, &ps.region, NULL);
	if (err < 0)
		die("alloc", err);
	for (i = 0; i < WINDOW; i++)
		if (posix_memalign((void **)&ps.slots[i].buf, PAGE, per_req * PAGE))
			die("posix_memalign", ENOMEM);
	out0 = vmstat(c, "pswpout");
	in0 = vmstat(c, "pswpin");
	cpu0 = daemon_cpu();
	ps.write = true;
	ts = run_pass(&ps);
	ps.write = false;
	tv = run_pass(&ps);
	f->swapped = vmstat(c, "pswpout") - out0 + vmstat(c, "pswpin") - in0;
	f->cpu_us = f->swapped ? (daemon_cpu() - cpu0) * 1e6 / (double)f->swapped : 0;
	f->store_mib = (double)mib / ts;
	f->verify_mib = (double)mib / tv;
	f->lost = ps.lost;
	for (i = 0; i < WINDOW; i++)
		free(ps.slots[i].buf);
	if (rclc_free(c, ps.region) < 0)
		die("free", EPROTO);
}

/* One-page writes of a resident region, DEEP in flight, for DEEP_SECONDS: pages/s. */
static double deep_writes(struct rclc *c)
{
	uint64_t region, pages = 1024, sent = 0, done = 0;
	char page[PAGE];
	double t0;
	int err, status;

	err = rclc_alloc(c, pages * PAGE, NULL, &region, NULL);
	if (err < 0)
		die("alloc", err);
	memset(page, 0xa5, sizeof(page));
	t0 = now();
	while (now() - t0 < DEEP_SECONDS || rclc_in_flight(c)) {
		if (rclc_in_flight(c) < DEEP && now() - t0 < DEEP_SECONDS) {
			rclc_async(c, NULL, NULL);
			err = rclc_write(c, region, sent++ % pages * PAGE, page, PAGE);
			if (err < 0)
				die("write", err);
			continue;
		}
		if (rclc_reap(c, &status, NULL) < 0 || status < 0)
			die("write", status);
		done++;
	}
	t0 = now() - t0;
	rclc_free(c, region);
	return (double)done / t0;
}

int main(void)
{
	static const unsigned int qds[2] = { 1, 4 };
	char sock[128], path[128], arena[16], swap[16], var[PATH_MAX];
	struct figures batch, single;
	double raw_w, raw_r[2], deep, raw_pp;
	struct rclc *c;

	if (getenv("BENCH_STORE_FULL") && strcmp(getenv("BENCH_STORE_FULL"), "0")) {
		arena_mib = 1024;
		store_mib = 2560;
		swap_mib = 4096;
	}
	/* Absolute: sd_notify takes NOTIFY_SOCKET only as an absolute (or abstract) path. */
	mkdir("var", 0755);
	if (!realpath("var", var))
		die("var", errno);
	if (snprintf(dir, sizeof(dir), "%s/bench-store.XXXXXX", var) >= (int)sizeof(dir))
		die("var: path too long for a socket", ENAMETOOLONG);
	if (!mkdtemp(dir))
		die(dir, errno);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(RUN_LIMIT);
	printf("bench_store: %llu MiB stored into a %llu MiB arena with a %llu MiB swap file, "
	       "%u pages a request, %u in flight; files in %s\n",
	       store_mib, arena_mib, swap_mib, BATCH, WINDOW, dir);

	raw_init();
	snprintf(path, sizeof(path), "%s/raw", dir);
	raw_w = raw_round(path, RAW_MAX, 1.0, qds, 2, 0.5, raw_r);
	raw_exit();
	raw_pp = raw_pingpong(20000);

	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(arena, sizeof(arena), "%lluM", arena_mib);
	snprintf(swap, sizeof(swap), "%lluM", swap_mib);
	daemon_pid = start_daemon(dir, sock, arena, swap);
	if (daemon_pid < 0 || rclc_open(sock, "bench_store", &c) < 0)
		die("cannot start or reach reclaimd", EIO);

	store_and_verify(c, store_mib, BATCH, &batch);
	store_and_verify(c, SINGLE_MIB, 1, &single);
	deep = deep_writes(c);

	printf("\n%-44s %-14s %s\n", "figure", "value", "beside (same run, same file system)");
	printf("%-44s %8.1f MiB/s  raw 128K QD32 O_DIRECT write %.0f MiB/s (%.0f%%)%s\n",
	       "store, 32 pages a request, 4 in flight", batch.store_mib, raw_w,
	       100 * batch.store_mib / raw_w, batch.store_mib >= 500 ? "" : "; target 500: missed");
	printf("%-44s %8.1f MiB/s  raw 4K random O_DIRECT read QD1 %.1f MiB/s, QD4 %.1f MiB/s%s\n",
	       "verify, 32 pages a request, 4 in flight", batch.verify_mib,
	       raw_r[0] * PAGE / MiB, raw_r[1] * PAGE / MiB,
	       batch.verify_mib >= 400 ? "" : "; target 400: missed");
	printf("%-44s %8llu        target 0%s\n", "pages lost", (unsigned long long)
	       (batch.lost + single.lost), batch.lost + single.lost ? ": MISSED" : "");
	printf("%-44s %8.2f us     over %llu pages swapped out and in; target 5%s\n",
	       "daemon CPU per page swapped out+in", batch.cpu_us,
	       (unsigned long long)batch.swapped, batch.cpu_us <= 5 ? "" : ": missed");
	printf("%-44s %8.1f MiB/s  stored, %.1f MiB/s verified (%llu MiB)\n",
	       "one page a request, 4 in flight", single.store_mib, single.verify_mib,
	       SINGLE_MIB);
	printf("%-44s %8.0f /s     raw unix ping-pong %.0f round trips/s; target 200000%s\n",
	       "one-page writes, 32 in flight, resident", deep, 1 / raw_pp,
	       deep >= 200000 ? "" : ": missed");

	rclc_shutdown(c);
	rclc_close(c);
	waitpid(daemon_pid, NULL, 0);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "bench_store: could not remove %s\n", dir);
	return batch.lost + single.lost ? 1 : 0;
}
