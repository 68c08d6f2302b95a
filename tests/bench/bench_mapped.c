/*
 * bench_mapped - a mapped region (rclc_map) against its daemon, in one run:
 *
 *  - first-touch and swap-in fault latency (median and p99 of single stores, each one fault
 *    served by reclaimd);
 *  - eviction CPU per page: the daemon's CPU (every thread's, from /proc/PID/task/N/schedstat,
 *    which counts nanoseconds on CPU, system time included) over a MADV_PAGEOUT of the mapped
 *    region, less the same over a region of the same size that nobody maps (its swap writes
 *    only): what is left is the take-back (write-protect, copy, punch, un-protect, a run of
 *    pages at a time); the median of a few rounds, with their spread; and the same for
 *    the pages reclaim picks itself from a region written in random order (a memcg's max
 *    lowered under it), which are seldom consecutive;
 *  - swap-in faults a second from one thread and from 4 at once, beside the disk's random 4 KiB
 *    reads one and 4 in flight, measured on the same file system in the same run;
 *  - the 80/20 hot-set workload of issue 14 scaled to this machine (a region half as big again
 *    as its memcg's max, 80 % of the writes to 20 % of the pages, the same random sequence
 *    each time) through the mapping with hinting faults, through the mapping without them
 *    (RECLAIMD_MAP_HINTS=0), through Write requests, and on the host kernel's own swap (a
 *    child in a memory cgroup, v2 or v1, with the same limit and swap; as root on a host
 *    without swap, a swap file of the run's own beside reclaimd's, switched off at the end)
 *    when this machine allows it; when it does not, the line says why and gives no number.
 *
 * Targets (issue 14): first touch <= 20 us median, swap-in <= 25 us median, eviction <= 3 us
 * CPU a page, the hot set within 2x of the kernel's own time. BENCH_MAPPED_HOT=1 runs only the
 * hot set through the mapping with hints and on the kernel's swap (to profile the daemon by);
 * BENCH_MAPPED_FAULTS=1 only the fault latencies and the eviction. BENCH_MAPPED_POLL=N starts
 * the daemon with --fault-poll-usecs N (A/B runs of its busy-polling; 0 is off, the default
 * is an adaptive window of at most 50). A fault's latency is
 * mostly two wake-ups across CPUs (the fault thread's, the client's), which depend on how busy
 * the machine is: the raw Unix-socket round trip of two processes, measured in the same run
 * before the faults and after them, is printed beside them. Starts its own reclaimd
 * (./daemon/reclaimd, or $RECLAIMD) like bench_rpc. Prints figures, asserts nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/swap.h>

#include <pthread.h>

#include "bench-daemon.h"
#include "bench-raw.h"
#include "reclaim-client-pb.h"

#define PAGE		4096u
#define PAGES		8192u		/* 32 MiB: resident in a 64 MiB arena */
#define HOT_PAGES	3072u		/* the hot-set region: 12 MiB in an 8 MiB memcg, */
#define HOT_MAX		(8u << 20)	/* as the 1.5 GiB in 1 GiB */
#define HOT_ACCESSES	200000u
#define HOST_SWAP_MIB	64u		/* the host's swap file when it has none */
#define EVICT_ROUNDS	5		/* eviction measured this often: the median is shown */
#define FAULT_THREADS	4		/* client threads swapping in at once */
#define RAW_MAX_BYTES	(256ull << 20)	/* the raw file the disk's reads are measured on */

static pid_t daemon_pid;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_mapped: %s: %s\n", what, strerror(err < 0 ? -err : err));
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_latency(const char *what, double *t, unsigned int n)
{
	qsort(t, n, sizeof(*t), cmp_double);
	printf("%-34s median %7.1f us   p99 %7.1f us   (%u faults)\n", what, t[n / 2] * 1e6,
	       t[n * 99 / 100] * 1e6, n);
}

/* One store per page, in ORDER: each the first access since the page left the mapping. */
static void touch_each(volatile uint8_t *base, const unsigned int *order, unsigned int n,
		       double *t)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		double t0 = now();

		base[(size_t)order[i] * PAGE] = (uint8_t)i;
		t[i] = now() - t0;
	}
}

static uint64_t rng;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The page of the next hot-set access: 80 % in the first fifth. */
static unsigned int hot_page(unsigned int pages)
{
	uint64_t r = xorshift();

	return (r % 10 < 8) ? (unsigned int)((r >> 8) % (pages / 5)) :
			      (unsigned int)((r >> 8) % pages);
}

/* Every thread's time on CPU so far (ns), system time included; -1 if it cannot be read. */
static double process_cpu(pid_t pid)
{
	char path[320], line[128];
	unsigned long long ns, sum = 0;
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;	/* the thread ended meanwhile */
		if (fgets(line, sizeof(line), f) && sscanf(line, "%llu", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(dir);
	return (double)sum;
}

static uint64_t vmstat(struct rclc *c, const char *name)
{
	struct rclc_counter *v;
	uint64_t value = 0;
	size_t n, i;

	if (rclc_stat(c, RCLC_STAT_VMSTAT, NULL, &v, &n) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			value = v[i].value;
	free(v);
	return value;
}

/* One of the daemon's own counters (Stat's daemon list: fault_waits, ...); 0 if it has none. */
static uint64_t daemon_counter(struct rclc *c, const char *name)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat st = RECLAIM__V1__STAT__INIT;
	Reclaim__V1__Response *resp;
	uint64_t value = 0;
	size_t i;

	st.view = RECLAIM__V1__STAT_VIEW__MEMINFO;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_STAT;
	req.stat = &st;
	if (rclc_call(c, &req, &resp) < 0)
		return 0;
	for (i = 0; resp->stat && i < resp->stat->n_daemon; i++)
		if (!strcmp(resp->stat->daemon[i]->name, name))
			value = resp->stat->daemon[i]->value;
	rclc_response_free(resp);
	return value;
}

/* How the fault thread found a phase's faults: by busy-polling, or woken in epoll_wait. */
struct poll_counts {
	uint64_t waits, hits;
};

static void poll_begin(struct rclc *c, struct poll_counts *p)
{
	p->waits = daemon_counter(c, "fault_waits");
	p->hits = daemon_counter(c, "fault_poll_hits");
}

/* Since poll_begin: *P becomes the phase's counts. */
static void poll_end(struct rclc *c, struct poll_counts *p)
{
	p->waits = daemon_counter(c, "fault_waits") - p->waits;
	p->hits = daemon_counter(c, "fault_poll_hits") - p->hits;
}

static void poll_print(const struct poll_counts *p)
{
	printf("%-34s %llu faults found by busy-polls, %llu waits in epoll_wait\n",
	       "  the fault thread:", (unsigned long long)p->hits, (unsigned long long)p->waits);
}

/* ---- eviction CPU ------------------------------------------------------------------------ */

/* The daemon's CPU (ns) over a MADV_PAGEOUT of region ID; its pages in *RET_TAKEN. */
static double pageout_cpu(struct rclc *c, uint64_t id, uint64_t *ret_taken)
{
	struct rclc_range range = { .region_id = id };
	double cpu0 = process_cpu(daemon_pid);

	*ret_taken = 0;
	if (cpu0 < 0 || rclc_madvise(c, &range, RCLC_MADV_PAGEOUT, ret_taken) < 0)
		return -1;
	return process_cpu(daemon_pid) - cpu0;
}

/* One client thread's share of a swap-in run: a store to each page of its slice of @order. */
struct toucher {
	volatile uint8_t *base;
	const unsigned int *order;
	unsigned int n;
};

static void *toucher_main(void *arg)
{
	struct toucher *t = arg;
	unsigned int i;

	for (i = 0; i < t->n; i++)
		t->base[(size_t)t->order[i] * PAGE] = (uint8_t)i;
	return NULL;
}

/*
 * Faults a second of @n stores at random pages of the mapped region at @base (PAGES pages in a
 * memcg that holds an eighth of them, so nearly every store is a swap-in from the disk and an
 * eviction), made by @threads threads, each a slice of @order; the swap-ins in *@ret_reads.
 */
static double swapin_rate(struct rclc *c, volatile uint8_t *base, const unsigned int *order,
			  unsigned int n, unsigned int threads, uint64_t *ret_reads)
{
	struct toucher t[FAULT_THREADS];
	pthread_t tid[FAULT_THREADS];
	uint64_t in0 = vmstat(c, "pswpin");
	unsigned int i;
	double t0 = now();

	for (i = 0; i < threads; i++) {
		t[i] = (struct toucher){ base, order + i * (n / threads), n / threads };
		if (pthread_create(&tid[i], NULL, toucher_main, &t[i]))
			die("pthread_create", EAGAIN);
	}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	t0 = now() - t0;
	*ret_reads = vmstat(c, "pswpin") - in0;
	return (double)(n / threads * threads) / t0;
}

/*
 * Swap-in faults from one thread and from FAULT_THREADS at once, without swap readahead
 * (page-cluster 0: one read a fault), beside the disk's own random 4 KiB reads at those depths
 * measured on the same file system: several threads' swap-ins should overlap (the fault
 * thread hands faults to its helpers), as the disk's reads do.
 */
static int swapin_threads(struct rclc *c, const unsigned int *order, const char *dir)
{
	static const unsigned int qds[2] = { 1, FAULT_THREADS };
	struct rclc_memcg_limits lim = { .set = RCLC_LIMIT_MAX, .max = PAGES / 8 * PAGE };
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON, .memcg = "/swapin" };
	uint64_t handed, covered, in_one, in_many, id, wait;
	double one, many, reads[2], t0, wait_one, wait_many, cpu0, cpu_one, cpu_many;
	volatile uint8_t *base;
	char path[128], cluster[32];
	size_t bytes;
	void *addr;
	unsigned int i;

	snprintf(path, sizeof(path), "%s/raw", dir);
	raw_init();
	raw_round(path, RAW_MAX_BYTES, 1.0, qds, 2, 2.0, reads);
	raw_exit();
	if (rclc_tunable_get(c, "page_cluster", cluster, sizeof(cluster)) < 0 ||
	    rclc_memcg_create(c, "/swapin", &lim, -1) < 0 ||
	    rclc_alloc(c, (uint64_t)PAGES * PAGE, &opts, &id, NULL) < 0 ||
	    rclc_map(c, id, &addr, &bytes) < 0 ||
	    rclc_tunable_set(c, "page_cluster", "0", NULL) < 0)
		return -1;
	base = addr;
	for (i = 0; i < PAGES; i++)		/* written once: most of it goes to swap */
		base[(size_t)i * PAGE] = 1;
	handed = daemon_counter(c, "fault_handoffs");
	covered = daemon_counter(c, "fault_covered");
	wait = daemon_counter(c, "engine_lock_wait_usecs");
	t0 = now();
	cpu0 = process_cpu(daemon_pid);
	one = swapin_rate(c, base, order, PAGES / 2, 1, &in_one);
	cpu_one = (process_cpu(daemon_pid) - cpu0) / 1e9 / (now() - t0);
	wait_one = (double)(daemon_counter(c, "engine_lock_wait_usecs") - wait) / 1e6 /
		   (now() - t0);
	wait = daemon_counter(c, "engine_lock_wait_usecs");
	t0 = now();
	cpu0 = process_cpu(daemon_pid);
	many = swapin_rate(c, base, order + PAGES / 2, PAGES / 2, FAULT_THREADS, &in_many);
	cpu_many = (process_cpu(daemon_pid) - cpu0) / 1e9 / (now() - t0);
	wait_many = (double)(daemon_counter(c, "engine_lock_wait_usecs") - wait) / 1e6 /
		    (now() - t0);
	handed = daemon_counter(c, "fault_handoffs") - handed;
	covered = daemon_counter(c, "fault_covered") - covered;
	if (rclc_tunable_set(c, "page_cluster", cluster, NULL) < 0 || rclc_unmap(c, id) < 0 ||
	    rclc_free(c, id) < 0 || rclc_memcg_delete(c, "/swapin") < 0)
		return -1;
	/* The model lock's waits, in threads busy waiting: what the split would give back. */
	printf("%-34s %7.0f /s       (pswpin %llu, mm_lock waits %.2f threads, daemon %.2f CPUs; "
	       "raw 4 KiB random reads, 1 in flight: %.0f/s)\n", "swap-in faults, 1 thread", one,
	       (unsigned long long)in_one, wait_one, cpu_one, reads[0]);
	printf("%-34s %7.0f /s       (%.2fx 1 thread, pswpin %llu, mm_lock waits %.2f threads, "
	       "daemon %.2f CPUs, %llu faults handed to helpers, %llu served by a helper covering "
	       "for the blocked fault thread; raw, %u in flight: %.0f/s, %.2fx)\n",
	       "swap-in faults, 4 threads", many, many / one, (unsigned long long)in_many,
	       wait_many, cpu_many, (unsigned long long)handed, (unsigned long long)covered,
	       FAULT_THREADS, reads[1], reads[1] / reads[0]);
	return 0;
}

/* The same pageout of a region nobody maps, written through Write requests: swap only. */
static int plain_pageout_cpu(struct rclc *c, double *ret_ns, uint64_t *ret_taken)
{
	static uint8_t chunk[64 * PAGE];
	uint64_t id, off;

	if (rclc_alloc(c, (uint64_t)PAGES * PAGE, NULL, &id, NULL) < 0)
		return -1;
	memset(chunk, 0x5a, sizeof(chunk));
	for (off = 0; off < (uint64_t)PAGES * PAGE; off += sizeof(chunk))
		if (rclc_write(c, id, off, chunk, sizeof(chunk)) < 0)
			return -1;
	*ret_ns = pageout_cpu(c, id, ret_taken);
	rclc_free(c, id);
	return *ret_ns < 0 ? -1 : 0;
}

/*
 * Eviction in reclaim's own order: a region of RAND_PAGES in a memcg of its own, written in
 * random order (so that its LRU order is random in the region), then the memcg's max lowered
 * to half of it: reclaim takes back pages that are seldom consecutive, as under a hot set.
 * The daemon's CPU (ns) over the lowering, and the pages taken back and the calls they took
 * (mapped_take_back_*), into *R; @mapped: through a mapping, else through Write requests.
 */
#define RAND_PAGES	4096u

struct rand_evict {
	double ns;
	uint64_t pages, tb_pages, tb_calls;
};

static int random_evict(struct rclc *c, const char *memcg, bool mapped, struct rand_evict *r)
{
	struct rclc_memcg_limits lim = { .set = RCLC_LIMIT_MAX, .max = RAND_PAGES * PAGE * 2ull };
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON, .memcg = memcg };
	static unsigned int order[RAND_PAGES];
	volatile uint8_t *base = NULL;
	uint64_t id, v = 1, out0, tbp0, tbc0;
	unsigned int i;
	size_t bytes;
	double cpu0;
	void *addr;

	for (i = 0; i < RAND_PAGES; i++)
		order[i] = i;
	for (i = RAND_PAGES - 1; i > 0; i--) {
		unsigned int j = (unsigned int)(xorshift() % (i + 1)), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	if (rclc_memcg_create(c, memcg, &lim, -1) < 0 ||
	    rclc_alloc(c, (uint64_t)RAND_PAGES * PAGE, &opts, &id, NULL) < 0)
		return -1;
	setenv("RECLAIMD_MAP_HINTS", "0", 1);	/* no hinting: only the take-backs differ */
	if (mapped && rclc_map(c, id, &addr, &bytes) < 0)
		return -1;
	unsetenv("RECLAIMD_MAP_HINTS");
	if (mapped)
		base = addr;
	for (i = 0; i < RAND_PAGES; i++) {
		if (mapped)
			base[(size_t)order[i] * PAGE] = 1;
		else if (rclc_write(c, id, (uint64_t)order[i] * PAGE, &v, sizeof(v)) < 0)
			return -1;
	}
	out0 = vmstat(c, "pswpout");
	tbp0 = vmstat(c, "mapped_take_back_pages");
	tbc0 = vmstat(c, "mapped_take_back_calls");
	cpu0 = process_cpu(daemon_pid);
	lim.max = RAND_PAGES * PAGE / 2;
	if (rclc_memcg_set(c, memcg, &lim) < 0)
		return -1;
	r->ns = process_cpu(daemon_pid) - cpu0;
	r->pages = vmstat(c, "pswpout") - out0;
	r->tb_pages = vmstat(c, "mapped_take_back_pages") - tbp0;
	r->tb_calls = vmstat(c, "mapped_take_back_calls") - tbc0;
	if (mapped)
		rclc_unmap(c, id);
	rclc_free(c, id);
	rclc_memcg_delete(c, memcg);
	return r->pages ? 0 : -1;
}

/* random_evict through a mapping and through Write requests, EVICT_ROUNDS times each. */
static int random_evict_rounds(struct rclc *c)
{
	double us[EVICT_ROUNDS], m_us[EVICT_ROUNDS], p_us[EVICT_ROUNDS];
	struct rand_evict m, p;
	int r;

	for (r = 0; r < EVICT_ROUNDS; r++) {
		if (random_evict(c, "/rand-mapped", true, &m) < 0 ||
		    random_evict(c, "/rand-plain", false, &p) < 0)
			return -1;
		m_us[r] = m.ns / (double)m.pages / 1e3;
		p_us[r] = p.ns / (double)p.pages / 1e3;
		us[r] = m_us[r] - p_us[r];
	}
	qsort(us, EVICT_ROUNDS, sizeof(*us), cmp_double);
	qsort(m_us, EVICT_ROUNDS, sizeof(*m_us), cmp_double);
	qsort(p_us, EVICT_ROUNDS, sizeof(*p_us), cmp_double);
	printf("%-34s %7.2f us CPU/page   (median of %d rounds, %.2f-%.2f; reclaim %.2f us/page "
	       "mapped, %.2f unmapped; last: %llu pages taken back in %llu calls)\n",
	       "eviction at random (take-back)", us[EVICT_ROUNDS / 2], EVICT_ROUNDS, us[0],
	       us[EVICT_ROUNDS - 1], m_us[EVICT_ROUNDS / 2], p_us[EVICT_ROUNDS / 2],
	       (unsigned long long)m.tb_pages, (unsigned long long)m.tb_calls);
	return 0;
}

/* ---- the hot set ------------------------------------------------------------------------- */

struct run {
	double wall, cpu;		/* s; the daemon's CPU, s */
	uint64_t majflt, hint_faults;
	uint64_t faults, pswpin, pswpout;	/* every fault served; pages read, written */
	struct poll_counts polls;
	uint64_t tb_pages, tb_calls;	/* taken back from the mapping, in so many calls */
};

static void print_run(const char *what, const struct run *r)
{
	printf("hot-set %-22s %6.2f s  %6.2f us/access  daemon CPU %5.2f s  pgmajfault %6llu  "
	       "hinting faults %6llu  taken back %6llu in %6llu calls\n", what, r->wall,
	       r->wall / HOT_ACCESSES * 1e6, r->cpu, (unsigned long long)r->majflt,
	       (unsigned long long)r->hint_faults, (unsigned long long)r->tb_pages,
	       (unsigned long long)r->tb_calls);
	printf("hot-set %-22s pgfault %6llu  pswpin %6llu  pswpout %6llu  found by busy-polls "
	       "%6llu  epoll_waits %6llu\n", "", (unsigned long long)r->faults,
	       (unsigned long long)r->pswpin, (unsigned long long)r->pswpout,
	       (unsigned long long)r->polls.hits, (unsigned long long)r->polls.waits);
}

static void run_begin(struct rclc *c, struct run *r)
{
	rng = 88172645463325252ULL;	/* the same sequence of pages every run */
	r->majflt = vmstat(c, "pgmajfault");
	r->faults = vmstat(c, "pgfault");
	r->pswpin = vmstat(c, "pswpin");
	r->pswpout = vmstat(c, "pswpout");
	r->hint_faults = vmstat(c, "mapped_hint_faults");
	r->tb_pages = vmstat(c, "mapped_take_back_pages");
	r->tb_calls = vmstat(c, "mapped_take_back_calls");
	poll_begin(c, &r->polls);
	r->cpu = process_cpu(daemon_pid);
	r->wall = now();
}

static void run_end(struct rclc *c, struct run *r)
{
	r->wall = now() - r->wall;
	r->cpu = (process_cpu(daemon_pid) - r->cpu) / 1e9;
	r->majflt = vmstat(c, "pgmajfault") - r->majflt;
	r->faults = vmstat(c, "pgfault") - r->faults;
	r->pswpin = vmstat(c, "pswpin") - r->pswpin;
	r->pswpout = vmstat(c, "pswpout") - r->pswpout;
	r->hint_faults = vmstat(c, "mapped_hint_faults") - r->hint_faults;
	r->tb_pages = vmstat(c, "mapped_take_back_pages") - r->tb_pages;
	r->tb_calls = vmstat(c, "mapped_take_back_calls") - r->tb_calls;
	poll_end(c, &r->polls);
}

static int hot_mapped(struct rclc *c, const char *memcg, bool hints, struct run *r)
{
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON, .memcg = memcg };
	volatile uint8_t *base;
	unsigned int i;
	uint64_t id;
	size_t bytes;
	void *addr;

	/* The library reads it at each map: this mapping takes hints or does not. */
	setenv("RECLAIMD_MAP_HINTS", hints ? "1" : "0", 1);
	if (rclc_alloc(c, (uint64_t)HOT_PAGES * PAGE, &opts, &id, NULL) < 0 ||
	    rclc_map(c, id, &addr, &bytes) < 0)
		return -1;
	unsetenv("RECLAIMD_MAP_HINTS");
	base = addr;
	run_begin(c, r);
	for (i = 0; i < HOT_ACCESSES; i++)
		base[(size_t)hot_page(HOT_PAGES) * PAGE + (i % 512) * 8] = (uint8_t)i;
	run_end(c, r);
	rclc_unmap(c, id);
	rclc_free(c, id);
	return 0;
}

static int hot_socket(struct rclc *c, const char *memcg, struct run *r)
{
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON, .memcg = memcg };
	unsigned int i;
	uint64_t id, v = 1;

	if (rclc_alloc(c, (uint64_t)HOT_PAGES * PAGE, &opts, &id, NULL) < 0)
		return -1;
	run_begin(c, r);
	for (i = 0; i < HOT_ACCESSES; i++)
		if (rclc_write(c, id, (uint64_t)hot_page(HOT_PAGES) * PAGE + (i % 512) * 8, &v,
			       sizeof(v)) < 0)
			return -1;
	run_end(c, r);
	rclc_free(c, id);
	return 0;
}

/* ---- the host kernel's own swap ------------------------------------------------------------ */

static int write_file(const char *dir, const char *name, const char *value)
{
	char path[512];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Is any swap area on? */
static bool host_has_swap(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/swaps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1;		/* the first line is the header */
}

/*
 * A host without swap gets a swap file of our own for the run, in the directory reclaimd's
 * swap file is in, so that both swap to the same file system. Root only; undone by
 * host_swap_off. NULL, or *WHY.
 */
static const char *host_swap_on(const char *dir, char *path, size_t len, const char **why)
{
	char cmd[600];
	int fd;

	if (host_has_swap())
		return "";
	if (geteuid() != 0) {
		*why = "no swap is configured on this host and only root may add a swap file";
		return NULL;
	}
	snprintf(path, len, "%s/host.swap", dir);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || posix_fallocate(fd, 0, (off_t)HOST_SWAP_MIB << 20) != 0) {
		if (fd >= 0)
			close(fd);
		*why = "cannot make a swap file for the host kernel";
		return NULL;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "mkswap -q %s >/dev/null 2>&1", path);
	if (system(cmd) != 0 || swapon(path, 0) < 0) {
		unlink(path);
		*why = "no swap is configured on this host and swapon(2) of a swap file failed";
		return NULL;
	}
	return path;
}

static void host_swap_off(const char *path)
{
	if (!path || !*path)
		return;
	if (swapoff(path) < 0)
		fprintf(stderr, "bench_mapped: swapoff %s: %s\n", path, strerror(errno));
	unlink(path);
}

/* A memory-limited group for the child: cgroup v2 if it has the memory controller, else the
 * v1 memory hierarchy. Which files set the limit differs between the two. */
struct host_group {
	char dir[512];
	const char *max;		/* memory.max or memory.limit_in_bytes */
	const char *swap_max;		/* memory.swap.max, or NULL (v1: swap unlimited by default) */
};

/* Our cgroup v2 directory, if the unified hierarchy has the memory controller. */
static bool host_cgroup_v2(char *dir, size_t len)
{
	char line[512], ctl[512] = "";
	FILE *f = fopen("/sys/fs/cgroup/cgroup.controllers", "r");
	bool found = false;

	if (!f || !fgets(ctl, sizeof(ctl), f) || !strstr(ctl, "memory")) {
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		found = (size_t)snprintf(dir, len, "/sys/fs/cgroup%s", line + 3) < len;
		break;
	}
	if (f)
		fclose(f);
	return found;
}

static int host_group_make(struct host_group *g, const char **why)
{
	char parent[400];
	struct stat st;

	if (host_cgroup_v2(parent, sizeof(parent))) {
		g->max = "memory.max";
		g->swap_max = "memory.swap.max";
		if (write_file(parent, "cgroup.subtree_control", "+memory") < 0) {
			*why = "cannot enable the cgroup v2 memory controller below this process's "
			       "group (no permission, or the group has processes of its own)";
			return -1;
		}
	} else if (stat("/sys/fs/cgroup/memory/memory.limit_in_bytes", &st) == 0) {
		snprintf(parent, sizeof(parent), "/sys/fs/cgroup/memory");
		g->max = "memory.limit_in_bytes";
		g->swap_max = NULL;
	} else {
		*why = "no memory cgroup here (neither cgroup v2's controller nor a v1 hierarchy)";
		return -1;
	}
	snprintf(g->dir, sizeof(g->dir), "%s/bench-mapped-%d", parent, (int)getpid());
	if (mkdir(g->dir, 0755) < 0) {
		*why = "cannot make a memory cgroup (no permission?)";
		return -1;
	}
	return 0;
}

/* The workload in a child of the group: its wall time through @fd. */
static void host_child(const struct host_group *g, int fd)
{
	char self[16];
	volatile uint8_t *base;
	struct rusage ru;
	double t0, res[3];	/* wall time, major and minor faults */
	unsigned int i;

	snprintf(self, sizeof(self), "%d", (int)getpid());
	if (write_file(g->dir, "cgroup.procs", self) < 0)
		_exit(1);
	base = mmap(NULL, (size_t)HOT_PAGES * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		_exit(1);
	rng = 88172645463325252ULL;
	t0 = now();
	for (i = 0; i < HOT_ACCESSES; i++)
		base[(size_t)hot_page(HOT_PAGES) * PAGE + (i % 512) * 8] = (uint8_t)i;
	t0 = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	res[0] = t0;
	res[1] = (double)ru.ru_majflt;
	res[2] = (double)ru.ru_minflt;
	_exit(write(fd, res, sizeof(res)) == sizeof(res) ? 0 : 1);
}

/*
 * The same workload on anonymous memory of a child in a new memory cgroup with the same max
 * and unlimited swap, swapping to a file in @dir when the host has no swap of its own.
 * 0 with *R, or -1 with *WHY.
 */
static int hot_host(const char *dir, struct run *r, const char **why)
{
	char max[32], swap_path[512];
	double res[3];
	const char *swap;
	struct host_group g;
	int pfd[2], status, ret = -1;
	pid_t child;
	ssize_t n;

	swap = host_swap_on(dir, swap_path, sizeof(swap_path), why);
	if (!swap)
		return -1;
	if (host_group_make(&g, why) < 0)
		goto out_swap;
	snprintf(max, sizeof(max), "%u", HOT_MAX);
	if (write_file(g.dir, g.max, max) < 0 ||
	    (g.swap_max && write_file(g.dir, g.swap_max, "max") < 0) || pipe(pfd) < 0) {
		*why = "cannot set the group's memory limit and swap limit";
		goto out_group;
	}
	child = fork();
	if (child == 0) {
		close(pfd[0]);
		host_child(&g, pfd[1]);
	}
	close(pfd[1]);
	n = child > 0 ? read(pfd[0], res, sizeof(res)) : -1;
	close(pfd[0]);
	if (child > 0)
		waitpid(child, &status, 0);
	if (n != sizeof(res)) {
		/* SIGKILL: the host kernel's memcg OOM killer (dmesg tells), which does happen
		 * at this limit on a loaded machine; the next run usually gets through. */
		*why = child > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ?
		       "the child was killed (the host kernel's memcg OOM killer: see dmesg)" :
		       "the child in the limited group failed";
		goto out_group;
	}
	r->wall = res[0];
	r->cpu = 0;
	r->majflt = (uint64_t)res[1];
	r->faults = (uint64_t)(res[1] + res[2]);
	r->hint_faults = r->pswpin = r->pswpout = 0;
	ret = 0;
out_group:
	rmdir(g.dir);
out_swap:
	host_swap_off(swap);
	return ret;
}

static int hot_set(struct rclc *c, const char *dir)
{
	struct rclc_memcg_limits lim = { .set = RCLC_LIMIT_MAX, .max = HOT_MAX };
	struct run mapped, plain, socket, host;
	const char *why = NULL;

	if (rclc_memcg_create(c, "/hot", &lim, -1) < 0 ||
	    rclc_memcg_create(c, "/hot-plain", &lim, -1) < 0 ||
	    rclc_memcg_create(c, "/hot-socket", &lim, -1) < 0)
		return -1;
	printf("hot-set 80/20: %u writes to a %u MiB region in a %u MiB memcg\n", HOT_ACCESSES,
	       HOT_PAGES * PAGE >> 20, HOT_MAX >> 20);
	if (hot_mapped(c, "/hot", true, &mapped) < 0)
		return -1;
	print_run("mapped, hinting faults", &mapped);
	if (getenv("BENCH_MAPPED_HOT"))
		goto host;	/* the profiling run: the mapping with hints and the kernel */
	if (hot_mapped(c, "/hot-plain", false, &plain) < 0)
		return -1;
	print_run("mapped, no hints", &plain);
	if (hot_socket(c, "/hot-socket", &socket) < 0)
		return -1;
	print_run("Write requests", &socket);
host:
	if (hot_host(dir, &host, &why) == 0)
		printf("hot-set %-22s %6.2f s  %6.2f us/access  pgmajfault %6llu  pgfault %6llu  "
		       "(mapped is %.1fx of it)\n", "host kernel swap", host.wall,
		       host.wall / HOT_ACCESSES * 1e6, (unsigned long long)host.majflt,
		       (unsigned long long)host.faults, mapped.wall / host.wall);
	else
		printf("hot-set %-22s skipped: %s\n", "host kernel swap", why);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/bench-mapped-XXXXXX", sock[128], cmd[256];
	const char *poll;
	static unsigned int order[PAGES];
	static double t[PAGES], swapin[PAGES];
	double evict_us[EVICT_ROUNDS], mapped_us[EVICT_ROUNDS], plain_us[EVICT_ROUNDS];
	struct poll_counts pc;
	volatile uint8_t *base;
	uint64_t id, taken = 0, plain_taken = 0;
	double mapped_ns, plain_ns;
	struct rclc *c;
	size_t bytes;
	void *addr;
	unsigned int i;
	int r;

	if (!mkdtemp(dir))
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);	/* each figure as it comes, to profile by */
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	poll = getenv("BENCH_MAPPED_POLL");
	daemon_pid = start_daemon_with2(dir, sock, "64M", "256M", poll ? "--fault-poll-usecs" : NULL,
					poll);
	if (daemon_pid < 0 || rclc_open(sock, "bench_mapped", &c) < 0) {
		fprintf(stderr, "bench_mapped: cannot start or reach reclaimd\n");
		return 1;
	}
	/* BENCH_MAPPED_HOT=1: the hot set alone, to profile the daemon through it. */
	if (getenv("BENCH_MAPPED_HOT")) {
		if (hot_set(c, dir) < 0)
			goto fail;
		goto out;
	}
	if (rclc_alloc(c, (uint64_t)PAGES * PAGE, NULL, &id, NULL) < 0)
		goto fail;
	r = rclc_map(c, id, &addr, &bytes);
	if (r == -EOPNOTSUPP) {
		printf("bench_mapped: no userfaultfd here: %s\n", rclc_last_error(c));
		goto out;
	}
	if (r < 0)
		goto fail;
	base = addr;
	rng = 88172645463325252ULL;
	for (i = 0; i < PAGES; i++)
		order[i] = i;
	for (i = PAGES - 1; i > 0; i--) {	/* random order: no swap readahead hits */
		unsigned int j = (unsigned int)(xorshift() % (i + 1)), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	printf("%-34s %s us\n", "fault thread busy-poll", poll ? poll : "default");
	printf("%-34s %7.1f us\n", "raw socket ping-pong (before)", raw_pingpong(20000) * 1e6);
	poll_begin(c, &pc);
	touch_each(base, order, PAGES, t);
	poll_end(c, &pc);
	print_latency("first-touch fault (zero-fill)", t, PAGES);
	poll_print(&pc);

	/*
	 * A pageout of the mapped region, then one of the plain region, EVICT_ROUNDS times (the
	 * mapped pages faulted back in between): the median round is the figure, the spread
	 * beside it says how noisy the machine was. The first round's faults are the swap-in
	 * latencies.
	 */
	for (r = 0; r < EVICT_ROUNDS; r++) {
		mapped_ns = pageout_cpu(c, id, &taken);
		if (mapped_ns < 0 || plain_pageout_cpu(c, &plain_ns, &plain_taken) < 0 ||
		    !taken || !plain_taken)
			goto fail;
		mapped_us[r] = mapped_ns / (double)taken / 1e3;
		plain_us[r] = plain_ns / (double)plain_taken / 1e3;
		evict_us[r] = mapped_us[r] - plain_us[r];
		if (!r)
			poll_begin(c, &pc);
		touch_each(base, order, PAGES, r ? t : swapin);
		if (!r)
			poll_end(c, &pc);
	}
	qsort(evict_us, EVICT_ROUNDS, sizeof(*evict_us), cmp_double);
	qsort(mapped_us, EVICT_ROUNDS, sizeof(*mapped_us), cmp_double);
	qsort(plain_us, EVICT_ROUNDS, sizeof(*plain_us), cmp_double);
	printf("%-34s %7.2f us CPU/page   (median of %d rounds, %.2f-%.2f; pageout %.2f us/page "
	       "mapped, %.2f unmapped; %llu pages)\n", "eviction (take-back)",
	       evict_us[EVICT_ROUNDS / 2], EVICT_ROUNDS, evict_us[0], evict_us[EVICT_ROUNDS - 1],
	       mapped_us[EVICT_ROUNDS / 2], plain_us[EVICT_ROUNDS / 2],
	       (unsigned long long)taken);
	print_latency("swap-in fault (random order)", swapin, PAGES);
	poll_print(&pc);
	printf("%-34s %7.1f us\n", "raw socket ping-pong (after)", raw_pingpong(20000) * 1e6);
	rclc_unmap(c, id);
	rclc_free(c, id);
	if (swapin_threads(c, order, dir) < 0 || random_evict_rounds(c) < 0)
		goto fail;
	if (getenv("BENCH_MAPPED_FAULTS"))
		goto out;

	if (hot_set(c, dir) < 0)
		goto fail;
out:
	rclc_close(c);
	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
fail:
	fprintf(stderr, "bench_mapped: %s\n", rclc_last_error(c));
	rclc_close(c);
	kill(daemon_pid, SIGKILL);
	waitpid(daemon_pid, NULL, 0);
	return 1;
}
