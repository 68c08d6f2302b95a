/*
 * bench_mapped - a mapped region (rclc_map) against its daemon: first-touch fault and swap-in
 * fault latency (median and p99 of single stores, each one fault served by reclaimd), the
 * cost of taking pages back and swapping them out (MADV_PAGEOUT of the whole region, per
 * page), and an 80/20 hot-set run (80 % of the writes to 20 % of the pages, the region twice
 * its memcg's max) through the mapping beside the same run through Write requests.
 * Targets (issue 14): first touch <= 20 us median, swap-in <= 25 us median. Starts its own
 * reclaimd (./daemon/reclaimd, or $RECLAIMD) like bench_rpc. Prints figures, asserts nothing.
 */
#include <errno.h>
#include <stdint.h>

#include "bench-daemon.h"
#include "reclaim-client.h"

#define PAGE		4096u
#define PAGES		8192u		/* 32 MiB: resident in a 64 MiB arena */
#define HOT_PAGES	4096u		/* the hot-set region: 16 MiB in an 8 MiB memcg */
#define HOT_ACCESSES	200000u

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

static uint64_t rng = 88172645463325252ULL;

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

static int hot_set(struct rclc *c)
{
	struct rclc_memcg_limits lim = { .set = RCLC_LIMIT_MAX, .max = 8u << 20 };
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON, .memcg = "/hot" };
	volatile uint8_t *base;
	uint64_t id, id2, v = 1;
	unsigned int i;
	size_t bytes;
	double t0, mapped, socket;
	void *addr;

	if (rclc_memcg_create(c, "/hot", &lim, -1) < 0)
		return -1;
	if (rclc_alloc(c, (uint64_t)HOT_PAGES * PAGE, &opts, &id, NULL) < 0 ||
	    rclc_map(c, id, &addr, &bytes) < 0)
		return -1;
	base = addr;
	t0 = now();
	for (i = 0; i < HOT_ACCESSES; i++)
		base[(size_t)hot_page(HOT_PAGES) * PAGE + (i % 512) * 8] = (uint8_t)i;
	mapped = now() - t0;
	rclc_unmap(c, id);
	rclc_free(c, id);
	if (rclc_alloc(c, (uint64_t)HOT_PAGES * PAGE, &opts, &id2, NULL) < 0)
		return -1;
	t0 = now();
	for (i = 0; i < HOT_ACCESSES; i++)
		if (rclc_write(c, id2, (uint64_t)hot_page(HOT_PAGES) * PAGE + (i % 512) * 8, &v,
			       sizeof(v)) < 0)
			return -1;
	socket = now() - t0;
	rclc_free(c, id2);
	printf("hot-set 80/20, %u writes, 16 MiB in 8 MiB: mapped %.2f s (%.2f us/access), "
	       "Write requests %.2f s (%.2f us/access)\n", HOT_ACCESSES, mapped,
	       mapped / HOT_ACCESSES * 1e6, socket, socket / HOT_ACCESSES * 1e6);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/bench-mapped-XXXXXX", sock[128], cmd[256];
	struct rclc_range range = { 0 };
	static unsigned int order[PAGES];
	static double t[PAGES];
	volatile uint8_t *base;
	uint64_t id, taken = 0;
	struct rclc *c;
	size_t bytes;
	void *addr;
	double t0, t1;
	unsigned int i;
	pid_t pid;
	int r;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	pid = start_daemon(dir, sock, "64M", "256M");
	if (pid < 0 || rclc_open(sock, "bench_mapped", &c) < 0) {
		fprintf(stderr, "bench_mapped: cannot start or reach reclaimd\n");
		return 1;
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
	for (i = 0; i < PAGES; i++)
		order[i] = i;
	for (i = PAGES - 1; i > 0; i--) {	/* random order: no swap readahead hits */
		unsigned int j = (unsigned int)(xorshift() % (i + 1)), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	touch_each(base, order, PAGES, t);
	print_latency("first-touch fault (zero-fill)", t, PAGES);

	range.region_id = id;
	t0 = now();
	if (rclc_madvise(c, &range, RCLC_MADV_PAGEOUT, &taken) < 0)
		goto fail;
	t1 = now();
	printf("%-34s %7.2f us/page   (%llu pages, take-back + swap write, wall)\n",
	       "pageout of the mapped region", taken ? (t1 - t0) / (double)taken * 1e6 : 0.0,
	       (unsigned long long)taken);

	touch_each(base, order, PAGES, t);
	print_latency("swap-in fault (random order)", t, PAGES);
	rclc_unmap(c, id);
	rclc_free(c, id);

	if (hot_set(c) < 0)
		goto fail;
out:
	rclc_close(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
fail:
	fprintf(stderr, "bench_mapped: %s\n", rclc_last_error(c));
	rclc_close(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 1;
}
