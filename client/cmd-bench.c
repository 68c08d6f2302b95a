/*
 * cmd-bench.c - `reclaimctl bench`: a workload generator. It creates a region of its own (freed
 * when it ends), touches it in batches following a pattern, shows a progress bar on a
 * terminal, and ends with a summary: rate, request latency percentiles, and what the daemon
 * had to do for it (faults, swap, reclaim), from vmstat before and after. With --memcg, the
 * group's own counters too (memory.stat, memory.events): its limit reclaim is no global
 * reclaim, and the kernel counts its scans and steals in the group alone, not in vmstat.
 *
 * Patterns: seq (consecutive batches, wrapping), random (uniform), hotset (90% of accesses in
 * the first tenth of the region), zipf (page popularity ~ 1/rank).
 *
 * --mapped runs the same batches on the region mapped into reclaimctl (rclc_map): one load or
 * store per page, the daemon serving the faults; a "request" is then a batch of plain
 * accesses, and its latency what the batch took.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reclaimctl.h"

static int exec_bench(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_bench_entry = {
	.name = "bench",
	.usage = "[--size S] [--pattern seq|random|hotset|zipf] [--batch N] [--seconds N] "
		 "[--write] [--file PATH] [--memcg PATH] [--mapped]",
	.help = "generate load on a region of its own and summarise what the daemon did",
	.min_args = 0,
	.max_args = -1,
	.exec = exec_bench,
};

enum pattern { SEQ, RANDOM, HOTSET, ZIPF };
static const char *const pattern_names[] = { "seq", "random", "hotset", "zipf" };

/* The vmstat counters the summary shows, before and after. */
static const char *const watched[] = { "pgfault", "pgmajfault", "pswpin", "pswpout",
				       "pgscan_direct", "pgsteal_direct", "pgscan_kswapd",
				       "pgsteal_kswapd", "allocstall_normal" };
#define NR_WATCHED (sizeof(watched) / sizeof(watched[0]))

/* The group's, from memory.stat or (high, max, oom_kill) memory.events. */
static const char *const watched_memcg[] = { "pgfault", "pgmajfault", "pgscan_direct",
					     "pgsteal_direct", "pgscan_kswapd", "pgsteal_kswapd",
					     "workingset_refault", "high", "max", "oom_kill" };
#define NR_WATCHED_MEMCG (sizeof(watched_memcg) / sizeof(watched_memcg[0]))

/* The counters before or after the run. */
struct snapshot {
	uint64_t vm[NR_WATCHED];
	uint64_t cg[NR_WATCHED_MEMCG];	/* with --memcg */
};

struct bench {
	enum pattern pattern;
	uint64_t pages, batch, requests, touched;
	double seconds;
	double *zipf_cdf;		/* cumulative popularity by rank, for ZIPF */
	double *lat;			/* per-request latency, seconds */
	size_t nr_lat, cap_lat;
	unsigned int seed;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double uniform(struct bench *b)
{
	return (double)rand_r(&b->seed) / ((double)RAND_MAX + 1.0);
}

/* The first page of the next batch. */
static uint64_t next_first(struct bench *b)
{
	uint64_t span = b->pages - b->batch + 1, lo, hi;
	double u;

	switch (b->pattern) {
	case SEQ:
		return (b->requests * b->batch) % span;
	case RANDOM:
		return (uint64_t)(uniform(b) * (double)span);
	case HOTSET:
		hi = span / 10 ? span / 10 : 1;
		if (uniform(b) < 0.9)
			return (uint64_t)(uniform(b) * (double)hi);
		return hi + (uint64_t)(uniform(b) * (double)(span - hi));
	case ZIPF:
		u = uniform(b);
		lo = 0;
		hi = span - 1;
		while (lo < hi) {		/* the first rank whose cumulative share covers u */
			uint64_t mid = (lo + hi) / 2;

			if (b->zipf_cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo;
	}
	return 0;
}

static int zipf_init(struct bench *b)
{
	uint64_t span = b->pages - b->batch + 1, i;
	double sum = 0;

	b->zipf_cdf = malloc(span * sizeof(double));
	if (!b->zipf_cdf)
		return -1;
	for (i = 0; i < span; i++)
		sum += 1.0 / (double)(i + 1);
	b->zipf_cdf[0] = 1.0 / sum;
	for (i = 1; i < span; i++)
		b->zipf_cdf[i] = b->zipf_cdf[i - 1] + 1.0 / ((double)(i + 1) * sum);
	return 0;
}

static int record_latency(struct bench *b, double seconds)
{
	if (b->nr_lat == b->cap_lat) {
		size_t cap = b->cap_lat ? 2 * b->cap_lat : 4096;
		double *l = realloc(b->lat, cap * sizeof(double));

		if (!l)
			return -1;
		b->lat = l;
		b->cap_lat = cap;
	}
	b->lat[b->nr_lat++] = seconds;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(struct bench *b, double p)
{
	size_t i = (size_t)(p * (double)(b->nr_lat - 1));

	return b->nr_lat ? b->lat[i] : 0;
}

/* Read the watched counters into @snap: vmstat's, and @memcg's if given. 0 or an exit status. */
static int read_counters(struct cmd_ctx *ctx, const char *memcg, struct snapshot *snap)
{
	struct rclc_memcg_stat st;
	struct ctl_counters c, stat, events;
	size_t i;
	int ret = ctl_counters(ctx, RCLC_STAT_VMSTAT, &c);

	if (ret)
		return ret;
	for (i = 0; i < NR_WATCHED; i++)
		snap->vm[i] = ctl_counter(&c, watched[i]);
	ctl_counters_free(&c);
	if (!memcg)
		return 0;
	ret = rclc_memcg_stat(ctx->conn, memcg, &st);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	stat = (struct ctl_counters){ st.stat, st.nr_stat };
	events = (struct ctl_counters){ st.events, st.nr_events };
	for (i = 0; i < NR_WATCHED_MEMCG; i++)
		snap->cg[i] = ctl_counter(&stat, watched_memcg[i]) +
			      ctl_counter(&events, watched_memcg[i]);
	rclc_memcg_stat_release(&st);
	return 0;
}

static void progress(struct cmd_ctx *ctx, struct bench *b, double elapsed, bool last)
{
	int width = 30, filled = (int)(elapsed / b->seconds * width), i;

	if (ctx->json || !isatty(STDERR_FILENO))
		return;
	if (filled > width)
		filled = width;
	fputc('\r', stderr);
	fputc('[', stderr);
	for (i = 0; i < width; i++)
		fputc(i < filled ? '#' : '.', stderr);
	fprintf(stderr, "] %3.0f%%  %10.0f pages/s", 100.0 * (filled == width ? 1.0 :
							  elapsed / b->seconds),
		elapsed > 0 ? (double)b->touched / elapsed : 0.0);
	if (last)
		fputc('\n', stderr);
}

/* The summary as JSON, each figure with the decimals the text shows ("%.0f" stays an integer). */
static void summary_json(struct bench *b, double elapsed, const char *memcg,
			 const struct snapshot *before, const struct snapshot *after)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *lat = json_object_new_object();
	struct json_object *vm = json_object_new_object();
	struct json_object *cg, *cg_stat;
	size_t i;

	json_object_object_add(doc, "pattern", json_object_new_string(pattern_names[b->pattern]));
	json_add_u64(doc, "pages", b->pages);
	json_add_u64(doc, "batch", b->batch);
	json_add_u64(doc, "requests", b->requests);
	json_add_u64(doc, "pages_touched", b->touched);
	json_object_object_add(doc, "seconds", json_double_fmt(elapsed, "%.3f"));
	json_object_object_add(doc, "pages_per_second",
			       json_double_fmt((double)b->touched / elapsed, "%.0f"));
	json_object_object_add(lat, "p50", json_double_fmt(percentile(b, 0.5) * 1e6, "%.1f"));
	json_object_object_add(lat, "p99", json_double_fmt(percentile(b, 0.99) * 1e6, "%.1f"));
	json_object_object_add(lat, "max", json_double_fmt(percentile(b, 1.0) * 1e6, "%.1f"));
	json_object_object_add(doc, "latency_us", lat);
	for (i = 0; i < NR_WATCHED; i++)
		json_add_u64(vm, watched[i], after->vm[i] - before->vm[i]);
	json_object_object_add(doc, "vmstat", vm);
	if (memcg) {
		cg = json_object_new_object();
		cg_stat = json_object_new_object();
		json_object_object_add(cg, "path", json_object_new_string(memcg));
		for (i = 0; i < NR_WATCHED_MEMCG; i++)
			json_add_u64(cg_stat, watched_memcg[i], after->cg[i] - before->cg[i]);
		json_object_object_add(cg, "counters", cg_stat);
		json_object_object_add(doc, "memcg", cg);
	}
	json_print(doc);
}

static void summary(struct cmd_ctx *ctx, struct bench *b, double elapsed, const char *memcg,
		    const struct snapshot *before, const struct snapshot *after)
{
	size_t i;

	qsort(b->lat, b->nr_lat, sizeof(double), cmp_double);
	if (ctx->json) {
		summary_json(b, elapsed, memcg, before, after);
		return;
	}
	printf("pattern %s, %" PRIu64 " pages, batches of %" PRIu64 "\n",
	       pattern_names[b->pattern], b->pages, b->batch);
	printf("  %-22s %12" PRIu64 "\n", "requests", b->requests);
	printf("  %-22s %12" PRIu64 "\n", "pages touched", b->touched);
	printf("  %-22s %12.0f\n", "pages/s", (double)b->touched / elapsed);
	printf("  %-22s %12.1f\n", "latency p50 (us)", percentile(b, 0.5) * 1e6);
	printf("  %-22s %12.1f\n", "latency p99 (us)", percentile(b, 0.99) * 1e6);
	printf("  %-22s %12.1f\n", "latency max (us)", percentile(b, 1.0) * 1e6);
	for (i = 0; i < NR_WATCHED; i++)
		printf("  %-22s %12" PRIu64 "\n", watched[i], after->vm[i] - before->vm[i]);
	if (!memcg)
		return;
	printf("memcg %s (memory.stat, memory.events)\n", memcg);
	for (i = 0; i < NR_WATCHED_MEMCG; i++)
		printf("  %-22s %12" PRIu64 "\n", watched_memcg[i], after->cg[i] - before->cg[i]);
}

/* Map the bench's region into reclaimctl; 0 or the exit status after saying why not. */
static int map_region(struct cmd_ctx *ctx, uint64_t id, volatile uint8_t **ret)
{
	size_t bytes;
	void *addr;
	int r = rclc_map(ctx->conn, id, &addr, &bytes);

	if (r < 0) {
		fprintf(stderr, "reclaimctl bench: --mapped: %s\n", rclc_last_error(ctx->conn));
		return EXIT_FAILURE;
	}
	*ret = addr;
	return 0;
}

/* One plain access per page of the batch: a store when writing, else a load. */
static void touch_mapped(volatile uint8_t *map, uint64_t first, uint64_t nr, bool write)
{
	uint64_t i;
	uint8_t sink = 0;

	for (i = first; i < first + nr; i++) {
		if (write)
			map[i * 4096] = (uint8_t)i;
		else
			sink ^= map[i * 4096];
	}
	(void)sink;
}

static int parse_args(struct cmd_ctx *ctx, int argc, char **argv, struct bench *b,
		      struct rclc_alloc_opts *rc, uint64_t *bytes, bool *write, bool *mapped)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 't' },
		{ "write", no_argument, NULL, 'w' },
		{ "file", required_argument, NULL, 'f' },
		{ "memcg", required_argument, NULL, 'm' },
		{ "mapped", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t size = 64ULL << 20;
	int opt, i;

	(void)ctx;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (ctl_parse_u64(optarg, &size) < 0) {
				fprintf(stderr, "reclaimctl bench: --size '%s' is not a size "
					"(a number with an optional K, M or G suffix)\n", optarg);
				return ctl_usage(&cmd_bench_entry, NULL);
			}
			if (size < 4096)
				return ctl_usage(&cmd_bench_entry, "--size wants a size of a page or more");
			break;
		case 'p':
			for (i = 0; i < 4 && strcmp(optarg, pattern_names[i]); i++)
				;
			if (i == 4)
				return ctl_usage(&cmd_bench_entry, "--pattern: seq, random, hotset, zipf");
			b->pattern = (enum pattern)i;
			break;
		case 'b':
			b->batch = strtoull(optarg, NULL, 10);
			if (!b->batch)
				return ctl_usage(&cmd_bench_entry, "--batch wants a number above 0");
			break;
		case 't':
			b->seconds = atof(optarg);
			if (!(b->seconds > 0))
				return ctl_usage(&cmd_bench_entry, "--seconds wants a duration");
			break;
		case 'w': *write = true; break;
		case 'f':
			/* Shared, so that written pages go back to the file. */
			rc->kind = RCLC_REGION_FILE;
			rc->path = optarg;
			rc->shared = true;
			break;
		case 'm': rc->memcg = optarg; break;
		case 'M': *mapped = true; break;
		default: return ctl_usage(&cmd_bench_entry, NULL);
		}
	}
	if (optind != argc)
		return ctl_usage(&cmd_bench_entry, NULL);
	if (*mapped && rc->kind == RCLC_REGION_FILE)
		return ctl_usage(&cmd_bench_entry, "--mapped maps anonymous regions only, not --file");
	*bytes = size;
	b->pages = (size + 4095) / 4096;
	if (b->batch > b->pages)
		b->batch = b->pages;
	return 0;
}

static int exec_bench(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct bench b = { .pattern = SEQ, .batch = 64, .seconds = 5, .seed = 1 };
	struct rclc_alloc_opts rc = { .kind = RCLC_REGION_ANON };
	struct rclc_range range = { 0 };
	struct snapshot before = { 0 }, after = { 0 };
	uint64_t bytes = 0;
	double t0, t_last = 0, t_req, elapsed;
	bool write = false, mapped = false;
	volatile uint8_t *map = NULL;
	int ret;

	ret = parse_args(ctx, argc, argv, &b, &rc, &bytes, &write, &mapped);
	if (ret)
		return ret;
	if (b.pattern == ZIPF && zipf_init(&b) < 0)
		return EXIT_FAILURE;
	ret = ctl_connect(ctx);
	if (ret)
		goto out;
	ret = rclc_alloc(ctx->conn, bytes, &rc, &range.region_id, NULL);
	if (ret < 0) {
		ret = ctl_fail(ctx, ret);
		goto out;
	}
	if (mapped) {
		ret = map_region(ctx, range.region_id, &map);
		if (ret)
			goto out;
	}
	ret = read_counters(ctx, rc.memcg, &before);
	if (ret)
		goto out;

	range.nr_pages = b.batch;
	t0 = now();
	while ((elapsed = now() - t0) < b.seconds) {
		range.first_page = next_first(&b);
		t_req = now();
		if (map) {
			touch_mapped(map, range.first_page, b.batch, write);
		} else {
			ret = rclc_touch(ctx->conn, &range, write, NULL);
			if (ret < 0) {
				ret = ctl_fail(ctx, ret);
				goto out;
			}
		}
		if (record_latency(&b, now() - t_req) < 0) {
			ret = EXIT_FAILURE;
			goto out;
		}
		b.requests++;
		b.touched += b.batch;
		if (elapsed - t_last >= 0.25) {
			progress(ctx, &b, elapsed, false);
			t_last = elapsed;
		}
	}
	progress(ctx, &b, elapsed, true);
	ret = read_counters(ctx, rc.memcg, &after);
	if (!ret)
		summary(ctx, &b, elapsed, rc.memcg, &before, &after);
out:
	free(b.zipf_cdf);
	free(b.lat);
	return ret;	/* the region is not persistent: it goes with the connection */
}
