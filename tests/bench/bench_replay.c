/*
 * bench_replay - `reclaimctl replay` through a `reclaimd --deterministic` of its own.
 *
 * 1. Replay speed: a 200,000-access zipf trace over 4096 pages replayed in a 32M cache with
 *    --access read and with --access mmap (requests pipelined on one connection; target at
 *    least 200k accesses/s), beside the raw Unix-socket ping-pong measured in the same run.
 * 2. Fidelity of the policies: synthetic traces (zipf, a loop larger than most caches, a
 *    one-off scan through a hot set, all three mixed) at several cache sizes, the engine's
 *    misses under each reclaim policy (two-list and clock-pro, one deterministic daemon each,
 *    --access read, one fresh memcg per size) beside exact LRU and OPT (Belady's MIN, demand
 *    paging) computed here on the same trace, and how much of the two-list-to-OPT gap
 *    CLOCK-Pro closes.
 *
 * Runs ./client/reclaimctl (or $RECLAIMCTL) against ./daemon/reclaimd (or $RECLAIMD) in a
 * temporary directory, and stops the daemons with SIGTERM at the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "bench-daemon.h"

#define SPEED_ACCESSES	200000
#define POLICY_ACCESSES	60000
#define NR_SIZES	5
#define ARENA		"64M"

static const unsigned int cache_pages[NR_SIZES] = { 512, 1024, 2048, 4096, 8192 };

struct trace {
	const char *name;
	uint32_t *page;
	size_t nr;
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A zipf(S) sampler over N ids: the cumulative weights, searched by bisection. */
struct zipf {
	double *cdf;
	unsigned int n;
};

static int zipf_init(struct zipf *z, unsigned int n, double s)
{
	double sum = 0;
	unsigned int i;

	z->cdf = malloc(n * sizeof(*z->cdf));
	if (!z->cdf)
		return -1;
	for (i = 0; i < n; i++)
		z->cdf[i] = (sum += 1.0 / pow(i + 1, s));
	for (i = 0; i < n; i++)
		z->cdf[i] /= sum;
	z->n = n;
	return 0;
}

static uint32_t zipf_draw(const struct zipf *z)
{
	double u = (double)(next_rand() >> 11) / (double)(1ULL << 53);
	unsigned int lo = 0, hi = z->n - 1;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Access I of each kind of trace (ids of different kinds kept apart by their ranges). */
static uint32_t draw(const struct zipf *z, int kind, size_t i)
{
	switch (kind) {
	case 0:				/* zipf(0.9) over 16384 pages */
		return zipf_draw(z);
	case 1:				/* a loop of 6000 pages */
		return 100000 + (uint32_t)(i % 6000);
	default:			/* a hot set of 1024 pages, every third access a new page */
		return i % 3 == 2 ? 200000 + (uint32_t)i : 300000 + (uint32_t)(next_rand() % 1024);
	}
}

static int trace_make(struct trace *t, const char *name, int kind, size_t nr,
		      const struct zipf *z)
{
	size_t i;

	t->name = name;
	t->nr = nr;
	t->page = malloc(nr * sizeof(*t->page));
	if (!t->page)
		return -1;
	for (i = 0; i < nr; i++)
		t->page[i] = draw(z, kind < 3 ? kind : (int)(i % 3), kind < 3 ? i : i / 3);
	return 0;
}

static int trace_write(const struct trace *t, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return -1;
	for (i = 0; i < t->nr; i++)
		fprintf(f, "%" PRIu32 "\n", t->page[i]);
	return fclose(f);
}

/* Ids to 0, 1, 2, ... in order of first appearance (as reclaimctl maps them). */
static uint32_t *dense(const struct trace *t, uint32_t *ret_footprint)
{
	uint32_t *map, *out, max = 0, n = 0;
	size_t i;

	for (i = 0; i < t->nr; i++)
		max = t->page[i] > max ? t->page[i] : max;
	map = malloc(((size_t)max + 1) * sizeof(*map));
	out = malloc(t->nr * sizeof(*out));
	if (!map || !out) {
		free(map);
		free(out);
		return NULL;
	}
	memset(map, 0xff, ((size_t)max + 1) * sizeof(*map));
	for (i = 0; i < t->nr; i++) {
		uint32_t *m = &map[t->page[i]];

		if (*m == UINT32_MAX)
			*m = n++;
		out[i] = *m;
	}
	free(map);
	*ret_footprint = n;
	return out;
}

/*
 * Exact LRU misses at every size at once, from stack distances: the distance of an access
 * is the number of distinct pages touched since the same page's last access (itself
 * included), counted with a Fenwick tree holding a 1 at each page's latest access time.
 */
static void lru_misses(const uint32_t *p, size_t nr, uint32_t footprint, uint64_t *misses)
{
	uint32_t *tree = calloc(nr + 1, sizeof(*tree));
	size_t *last = malloc(footprint * sizeof(*last)), t, j;
	uint64_t *hist = calloc(footprint + 2, sizeof(*hist)), cold = 0;
	unsigned int s;

	for (t = 0; t < footprint && last; t++)
		last[t] = SIZE_MAX;
	for (t = 0; tree && last && hist && t < nr; t++) {
		size_t prev = last[p[t]];

		if (prev == SIZE_MAX) {
			cold++;
		} else {
			uint64_t d = 0;

			for (j = t; j > 0; j -= j & -j)		/* ones in [1, t] */
				d += tree[j];
			/* less those in [1, prev + 1] */
			for (j = prev + 1; j > 0; j -= j & -j)
				d -= tree[j];
			hist[d + 1]++;
			for (j = prev + 1; j <= nr; j += j & -j)
				tree[j]--;
		}
		for (j = t + 1; j <= nr; j += j & -j)
			tree[j]++;
		last[p[t]] = t;
	}
	for (s = 0; s < NR_SIZES; s++) {
		misses[s] = cold;
		for (j = (size_t)cache_pages[s] + 1; hist && j <= footprint; j++)
			misses[s] += hist[j];
	}
	free(tree);
	free(last);
	free(hist);
}

/* Belady's MIN with demand paging: on a miss with the cache full, evict the cached page
 * used again furthest in the future. A max-heap of (next use, page), stale entries skipped. */
struct entry {
	size_t next;
	uint32_t page;
};

static void heap_push(struct entry *h, size_t *n, struct entry e)
{
	size_t i = (*n)++;

	while (i && h[(i - 1) / 2].next < e.next) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = e;
}

static struct entry heap_pop(struct entry *h, size_t *n)
{
	struct entry top = h[0], e = h[--(*n)];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < *n) {
		if (c + 1 < *n && h[c + 1].next > h[c].next)
			c++;
		if (h[c].next <= e.next)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
	return top;
}

static uint64_t opt_misses(const uint32_t *p, size_t nr, uint32_t footprint, unsigned int size)
{
	size_t *next = malloc(nr * sizeof(*next)), *seen = malloc(footprint * sizeof(*seen));
	size_t *cur_next = malloc(footprint * sizeof(*cur_next)), nheap = 0, cached = 0, t;
	bool *in_cache = calloc(footprint, sizeof(*in_cache));
	struct entry *heap = malloc(nr * sizeof(*heap));
	uint64_t misses = 0;

	if (!next || !seen || !cur_next || !in_cache || !heap)
		goto out;
	for (t = 0; t < footprint; t++)
		seen[t] = SIZE_MAX;			/* never used again */
	for (t = nr; t-- > 0;) {
		next[t] = seen[p[t]];
		seen[p[t]] = t;
	}
	for (t = 0; t < nr; t++) {
		uint32_t pg = p[t];

		if (!in_cache[pg]) {
			misses++;
			while (cached == size) {
				struct entry e = heap_pop(heap, &nheap);

				if (in_cache[e.page] && cur_next[e.page] == e.next) {
					in_cache[e.page] = false;
					cached--;
				}
			}
			in_cache[pg] = true;
			cached++;
		}
		cur_next[pg] = next[t];		/* older heap entries of pg are stale now */
		heap_push(heap, &nheap, (struct entry){ next[t], pg });
	}
out:
	free(next);
	free(seen);
	free(cur_next);
	free(in_cache);
	free(heap);
	return misses;
}

/* Run reclaimctl replay; fill MISSES (NR of them) from --json, and *RET_SECONDS. */
static int replay(const char *sock, const char *trace, const char *access, const char *caches,
		  uint64_t *misses, unsigned int nr, double *ret_seconds)
{
	const char *ctl = getenv("RECLAIMCTL") ? getenv("RECLAIMCTL") : "./client/reclaimctl";
	char cmd[1024], *out = NULL, *p;
	size_t cap = 0, len = 0, n;
	unsigned int i = 0;
	double t0 = now();
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s --socket %s --json replay %s --format text --access %s "
		 "--cache %s", ctl, sock, trace, access, caches);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	for (;;) {
		if (len + 4096 > cap) {
			char *bigger = realloc(out, cap += 65536);

			if (!bigger)
				break;
			out = bigger;
		}
		n = fread(out + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	if (pclose(f) != 0 || !out) {
		free(out);
		return -1;
	}
	*ret_seconds = now() - t0;
	out[len] = '\0';
	for (p = out; i < nr && (p = strstr(p, "\"misses\":")); p++)
		misses[i++] = strtoull(p + 9, NULL, 10);
	free(out);
	return i == nr ? 0 : -1;
}

static int speed(const char *dir, const char *sock, const struct zipf *z)
{
	struct trace t;
	char path[512];
	uint64_t misses;
	double secs, raw = raw_pingpong(20000);
	const char *access[] = { "read", "mmap" };
	unsigned int a;

	if (trace_make(&t, "zipf", 0, SPEED_ACCESSES, z) < 0)
		return -1;
	for (a = 0; a < t.nr; a++)	/* 4096 pages: the whole footprint fits the cache */
		t.page[a] %= 4096;
	snprintf(path, sizeof(path), "%s/speed.txt", dir);
	if (trace_write(&t, path) < 0)
		return -1;
	printf("raw unix ping-pong:              %8.2f us per round trip (%.0f/s one at a time)\n",
	       raw * 1e6, 1 / raw);
	for (a = 0; a < 2; a++) {
		if (replay(sock, path, access[a], "32M", &misses, 1, &secs) < 0) {
			fprintf(stderr, "bench_replay: replay --access %s failed\n", access[a]);
			return -1;
		}
		printf("replay --access %-4s (pipelined): %8.0f accesses/s (%zu in %.2f s, "
		       "%" PRIu64 " misses; target >= 200000/s)\n", access[a],
		       (double)t.nr / secs, t.nr, secs, misses);
	}
	free(t.page);
	return 0;
}

static int policy(const char *dir, const char *sock, const char *sock2, const struct zipf *z)
{
	static const char *const names[] = { "zipf", "loop", "scan+hot", "mixed" };
	uint64_t engine[NR_SIZES], cp[NR_SIZES], lru[NR_SIZES], opt;
	unsigned int above = 0, third[4] = { 0 }, gaps[4] = { 0 };
	char path[512], caches[128];
	uint32_t *pages, footprint;
	unsigned int k, s;
	struct trace t;
	double secs;
	int len = 0;

	for (s = 0; s < NR_SIZES; s++)
		len += snprintf(caches + len, sizeof(caches) - (size_t)len, "%s%uK", s ? "," : "",
				cache_pages[s] * 4);
	printf("\n%-9s %9s %10s %9s %9s %9s %9s %8s %8s %7s\n", "trace", "cache_KiB",
	       "footprint", "two-list", "clock-pro", "LRU", "OPT", "2l/OPT", "cp/OPT", "gap%");
	for (k = 0; k < 4; k++) {
		if (trace_make(&t, names[k], (int)k, POLICY_ACCESSES, z) < 0 ||
		    !(pages = dense(&t, &footprint)))
			return -1;
		snprintf(path, sizeof(path), "%s/%s.txt", dir, k == 2 ? "scan" : names[k]);
		if (trace_write(&t, path) < 0 ||
		    replay(sock, path, "read", caches, engine, NR_SIZES, &secs) < 0 ||
		    replay(sock2, path, "read", caches, cp, NR_SIZES, &secs) < 0) {
			fprintf(stderr, "bench_replay: replay of %s failed\n", names[k]);
			return -1;
		}
		lru_misses(pages, t.nr, footprint, lru);
		for (s = 0; s < NR_SIZES; s++) {
			char gap[16] = "-";

			opt = opt_misses(pages, t.nr, footprint, cache_pages[s]);
			/* The share of two-list's excess over OPT that CLOCK-Pro does not miss;
			 * "-" where two-list is within 10 pages of OPT (nothing to close). */
			if (engine[s] >= opt + 10) {
				snprintf(gap, sizeof(gap), "%.1f", 100.0 * ((double)engine[s] -
					 (double)cp[s]) / (double)(engine[s] - opt));
				gaps[k]++;
				third[k] += cp[s] <= engine[s] &&
					    engine[s] - opt <= 3 * (engine[s] - cp[s]);
			}
			above += cp[s] > engine[s];
			printf("%-9s %9u %10" PRIu32 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
			       " %8.3f %8.3f %7s\n", names[k], cache_pages[s] * 4, footprint,
			       engine[s], cp[s], lru[s], opt, (double)engine[s] / (double)opt,
			       (double)cp[s] / (double)opt, gap);
		}
		free(pages);
		free(t.page);
	}
	printf("(%d accesses per trace; misses are pages read from the file; the engine's cache "
	       "size is its memcg's memory.max; gap%%: of two-list's misses above OPT, the share "
	       "CLOCK-Pro does not miss)\n", POLICY_ACCESSES);
	printf("clock-pro above two-list at %u of %d trace and size pairs\n", above,
	       4 * NR_SIZES);
	for (k = 0; k < 4; k++)
		printf("%s: at least a third of the gap closed at %u of the %u sizes with one\n",
		       names[k], third[k], gaps[k]);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/bench_replay.XXXXXX", sock[256], sock2[300], dir2[256], cmd[600];
	struct zipf z;
	pid_t pid, pid2;
	int ret;

	if (!mkdtemp(dir) || zipf_init(&z, 16384, 0.9) < 0)
		return 1;
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	/* The swap only raises max-client-bytes (arena + swap) above the largest replay file. */
	pid = start_daemon_with(dir, sock, ARENA, "128M", "--deterministic");
	if (pid < 0) {
		fprintf(stderr, "bench_replay: cannot start reclaimd\n");
		return 1;
	}
	snprintf(dir2, sizeof(dir2), "%s/clock-pro", dir);
	snprintf(sock2, sizeof(sock2), "%s/sock", dir2);
	if (mkdir(dir2, 0700) < 0 ||
	    (pid2 = start_daemon_with2(dir2, sock2, ARENA, "128M", "--deterministic",
				       "--reclaim-policy=clock-pro")) < 0) {
		fprintf(stderr, "bench_replay: cannot start reclaimd --reclaim-policy clock-pro\n");
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return 1;
	}
	ret = speed(dir, sock, &z);
	if (ret == 0)
		ret = policy(dir, sock, sock2, &z);
	kill(pid, SIGTERM);
	kill(pid2, SIGTERM);
	waitpid(pid, NULL, 0);
	waitpid(pid2, NULL, 0);
	free(z.cdf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_replay: could not remove %s\n", dir);
	return ret ? 1 : 0;
}
