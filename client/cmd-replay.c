/*
 * cmd-replay.c - `reclaimctl replay TRACE`: replay a cache or block trace through reclaimd's
 * page cache, once per cache size, and count what the kernel counts.
 *
 * Per size: a fresh memcg with that memory.max (none without --cache), a fresh replay file as
 * large as the footprint (created by a shared file region, so it starts uncached), then every
 * access in trace order: --access read as FileRead of its page (consecutive reads in one
 * vectored request), --access mmap as a Touch of its page of the file region (madvised as
 * --fadvise says, random by default); writes as FileWrite or a write Touch. Requests are
 * pipelined on the one connection. Misses are the pages read from the file: the pgpgin
 * delta in pages, less what swap-in read. Then
 * the region, the file and the memcg go again, whatever happened. --plot draws the miss
 * ratios against the cache sizes with gnuplot (looked for in PATH before anything is done).
 * --compare SOCKET replays the same trace, size by size, on a second daemon too (typically
 * one with the other --reclaim-policy) and prints both miss-ratio curves side by side.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reclaimctl.h"
#include "trace.h"

#define MAX_SIZES	64		/* said in parse_sizes' message */
#define IN_FLIGHT	32		/* requests on the wire; below the daemon's max-pipeline */
#define BATCH		256		/* reads per vectored FileRead */
#define PAGE		TRACE_PAGE_SIZE

static int exec_replay(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_replay_entry = {
	.name = "replay",
	.usage = "TRACE [--format oracle|text|csv|msr] [--access read|mmap] "
		 "[--cache SIZE[,SIZE]...] [--fadvise normal|sequential|random] [--plot FILE.png] "
		 "[--compare SOCKET]",
	.help = "replay a trace through the page cache, once per cache size, and print the "
		"misses",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_replay,
};

/* pgpgin is in KiB and counts swap-ins too: misses are pgpgin / 4 - pswpin, the pages read
 * from the replay file. pgscan/pgsteal are the _anon + _file pairs, which count memcg reclaim
 * too (v4.19's _kswapd/_direct pairs leave out a limit's reclaim, which is most of it here). */
static const char *const counter_names[] = {
	"pgpgin", "pgscan_anon", "pgscan_file", "pgsteal_anon", "pgsteal_file",
	"workingset_refault", "workingset_activate", "pgactivate", "pswpin",
};
#define PAGE_BYTES 4096u
#define NR_COUNTERS (sizeof(counter_names) / sizeof(counter_names[0]))

struct replay {
	struct cmd_ctx *ctx;
	const struct trace *t;
	bool mmap;
	enum rclc_fadvice advice;
	char memcg[64], path[64];	/* memcg "": none of its own (no --cache) */
	uint64_t region;
	uint64_t before[NR_COUNTERS], after[NR_COUNTERS];
	int failed;			/* the first refusal's exit status */
	int lost;			/* -errno: the connection broke under the pipeline */
	bool tty;
};

/* The replay's memcg for a request: NULL (the connection's) when it has none. */
static const char *memcg_of(const struct replay *r)
{
	return r->memcg[0] ? r->memcg : NULL;
}

static int counters(struct replay *r, uint64_t *out)
{
	struct ctl_counters c;
	size_t i;
	int ret = ctl_counters(r->ctx, RCLC_STAT_VMSTAT, &c);

	if (ret)
		return ret;
	for (i = 0; i < NR_COUNTERS; i++)
		out[i] = ctl_counter(&c, counter_names[i]);
	ctl_counters_free(&c);
	return 0;
}

/* The pipeline broke (ERR): say so, as ctl_fail would, and return its exit status. A refusal
 * before it has printed the one JSON error object already. */
static int lost_connection(struct replay *r, int err)
{
	fprintf(stderr, "reclaimctl replay: lost the connection: %s\n", strerror(-err));
	if (r->ctx->json && !r->failed)
		json_print_error("UNAVAILABLE", "lost the connection to");
	return EXIT_NOCONN;
}

/* A pipelined request completed: the first refusal is reported once and remembered, as
 * ctl_fail reports one (in JSON mode, the error object is the output). */
static void answered(struct rclc *c, void *arg, int status)
{
	struct replay *r = arg;
	int code = rclc_last_code(c);

	if (status == 0 || r->failed || r->lost)
		return;
	if (code <= 0) {
		r->lost = status;	/* no answer from the daemon: the connection went */
		return;
	}
	fprintf(stderr, "reclaimctl replay: %s\n", rclc_last_error(c));
	if (r->ctx->json)
		json_print_error(rclc_code_str(code), rclc_last_error(c));
	r->failed = code;
}

/* How the pipeline stands: 0, or the exit status of its first failure. */
static int pipeline_status(struct replay *r)
{
	return r->failed ? r->failed : r->lost ? lost_connection(r, r->lost) : 0;
}

/* Make the next typed call a pipelined one, with room for it: at most IN_FLIGHT on the
 * wire. 0, or the exit status of the pipeline's first failure. */
static int pipeline_next(struct replay *r)
{
	struct rclc *c = r->ctx->conn;

	while (!r->failed && !r->lost && rclc_in_flight(c) >= IN_FLIGHT)
		rclc_reap(c, NULL, NULL);
	if (r->failed || r->lost)
		return pipeline_status(r);
	return rclc_async(c, answered, r);
}

/* A pipelined call's own result: RET < 0 when it could not be sent at all. */
static int pipeline_sent(struct replay *r, int ret)
{
	if (ret < 0 && !r->failed && !r->lost)
		r->lost = ret;
	return ret < 0 ? pipeline_status(r) : 0;
}

static int send_touch(struct replay *r, uint64_t page, bool write)
{
	struct rclc_range range = { r->region, page, 1 };
	int ret = pipeline_next(r);

	return ret ? ret : pipeline_sent(r, rclc_touch(r->ctx->conn, &range, write, NULL));
}

/* Reads of pages[0..n) in one vectored FileRead that keeps no bytes, or one write of a zero
 * page at pages[0]. */
static int send_file(struct replay *r, const uint64_t *pages, size_t n, bool write)
{
	struct rclc_iovec iov[BATCH];
	size_t i;
	int ret = pipeline_next(r);

	if (ret)
		return ret;
	if (write)
		return pipeline_sent(r, rclc_file_fill(r->ctx->conn, r->path, memcg_of(r),
						       pages[0] * PAGE, PAGE, 0, -1));
	for (i = 0; i < n; i++)
		iov[i] = (struct rclc_iovec){ .offset = pages[i] * PAGE, .len = PAGE };
	return pipeline_sent(r, rclc_file_readv_discard(r->ctx->conn, r->path, memcg_of(r),
							iov, n, NULL));
}

static void progress(struct replay *r, size_t done, uint64_t cache)
{
	if (r->tty && (done % 4096 == 0 || done == r->t->nr))
		fprintf(stderr, "\r%" PRIu64 " KiB: %5.1f%% of %zu accesses", cache >> 10,
			100.0 * (double)done / (double)r->t->nr, r->t->nr);
}

static int run_accesses(struct replay *r, uint64_t cache)
{
	const struct trace *t = r->t;
	struct rclc *c = r->ctx->conn;
	size_t i = 0, n;
	int ret = 0;

	while (ret == 0 && i < t->nr) {
		if (r->mmap) {
			ret = send_touch(r, t->page[i], t->write[i]);
			i++;
		} else if (t->write[i]) {
			ret = send_file(r, &t->page[i], 1, true);
			i++;
		} else {
			for (n = 0; i + n < t->nr && n < BATCH && !t->write[i + n]; n++)
				;
			ret = send_file(r, &t->page[i], n, false);
			i += n;
		}
		progress(r, i, cache);
	}
	/* Every answer in, whatever happened: the connection serves the cleanup next. */
	while (rclc_in_flight(c))
		rclc_reap(c, NULL, NULL);
	if (ret == 0)
		ret = pipeline_status(r);
	if (r->tty)
		fputc('\n', stderr);
	return ret;
}

/* A typed call's result as an exit status: a refusal is printed by ctl_fail. */
static int called(struct replay *r, int ret)
{
	return ret < 0 ? ctl_fail(r->ctx, ret) : 0;
}

/*
 * --access mmap: the region's read pattern from --fadvise, as madvise(2) would set it. The
 * trace already holds what the application faulted, so by default a miss reads only its
 * page (MADV_RANDOM) rather than a read-around window the trace never asked for.
 */
static int set_madvise(struct replay *r)
{
	struct rclc_range range = { r->region, 0, 0 };
	enum rclc_advice advice = r->advice == RCLC_FADV_NORMAL ? RCLC_MADV_NORMAL :
				  r->advice == RCLC_FADV_SEQUENTIAL ? RCLC_MADV_SEQUENTIAL :
				  RCLC_MADV_RANDOM;

	return called(r, rclc_madvise(r->ctx->conn, &range, advice, NULL));
}

static int setup(struct replay *r, uint64_t cache, unsigned int i)
{
	struct rclc_memcg_limits lim = { .set = RCLC_LIMIT_MAX, .max = cache };
	struct rclc_alloc_opts rc = { .kind = RCLC_REGION_FILE, .shared = true };
	struct rclc *c = r->ctx->conn;
	int ret;

	snprintf(r->path, sizeof(r->path), ".replay-%d-%ld-%u", (int)getpid(),
		 (long)time(NULL), i);
	if (cache) {
		snprintf(r->memcg, sizeof(r->memcg), "/replay-%d-%u", (int)getpid(), i);
		ret = rclc_memcg_create(c, r->memcg, &lim, -1);
		/* The server's refusal names the group's parent, "/", not why one was made. */
		if (ret == -EPERM)
			fprintf(stderr, "reclaimctl replay: --cache makes a group at the top level "
				"for each size (%s), which only root and the admin group may do; "
				"without --cache the replay runs in your own memory\n", r->memcg);
		ret = called(r, ret);
		if (ret) {
			r->memcg[0] = 0;
			return ret;
		}
	}
	rc.memcg = memcg_of(r);
	rc.path = r->path;
	ret = called(r, rclc_alloc(c, r->t->footprint * PAGE, &rc, &r->region, NULL));
	if (ret)
		return ret;
	if (r->mmap)
		return set_madvise(r);
	/* read(): the region only sized the file; the reads go through the file itself. */
	ret = called(r, rclc_free(c, r->region));
	r->region = 0;
	if (ret)
		return ret;
	/* The advice opens the file on this connection, charged to the replay's memcg: the
	 * reads after it are that open file's. */
	return called(r, rclc_file_advise(c, r->path, 0, 0, r->advice, memcg_of(r)));
}

/* Whatever setup made goes again: region, file, memcg (its pages reclaimed first). */
static void cleanup(struct replay *r)
{
	struct rclc *c = r->ctx->conn;
	int tries;

	if (r->region) {
		called(r, rclc_free(c, r->region));
		r->region = 0;
	}
	if (r->path[0]) {
		rclc_file_remove(c, r->path);
		r->path[0] = 0;
	}
	if (!r->memcg[0])
		return;
	/* Cached pages keep a memcg charged: reclaim them, then delete (bounded tries). */
	for (tries = 0; tries < 8; tries++) {
		rclc_reclaim(c, r->memcg, 1ULL << 40, -1, NULL);
		if (rclc_memcg_delete(c, r->memcg) == 0)
			break;
	}
	if (tries == 8)
		fprintf(stderr, "reclaimctl replay: memcg %s could not be removed\n", r->memcg);
	r->memcg[0] = 0;
}

/* One size's counter deltas into @d; d[0] becomes the misses, the pages read from the file. */
static void result_deltas(const struct replay *r, uint64_t *d)
{
	size_t i;

	for (i = 0; i < NR_COUNTERS; i++)
		d[i] = r->after[i] - r->before[i];
	d[0] = d[0] / (PAGE_BYTES >> 10) - d[8];
}

/* A size's JSON object, with what every size shares: the cache and the trace. */
static struct json_object *size_json(const struct replay *r, uint64_t cache)
{
	struct json_object *obj = json_object_new_object();

	json_add_u64(obj, "cache_bytes", cache);
	json_add_u64(obj, "accesses", r->t->nr);
	json_add_u64(obj, "footprint_pages", r->t->footprint);
	return obj;
}

/* One size's misses and miss ratio (six decimals, as they have always been printed). */
static void add_misses(struct json_object *obj, uint64_t misses, const struct replay *r)
{
	json_add_u64(obj, "misses", misses);
	json_object_object_add(obj, "miss_ratio",
			       json_double_fmt((double)misses / (double)r->t->nr, "%.6f"));
}

/* Print one size's summary, or in JSON mode add it to LIST; returns its miss ratio. */
static double print_result(struct replay *r, uint64_t cache, bool first, struct json_object *list)
{
	uint64_t d[NR_COUNTERS];
	struct json_object *one;

	result_deltas(r, d);
	if (list) {
		one = size_json(r, cache);
		add_misses(one, d[0], r);
		json_add_u64(one, "pgscan", d[1] + d[2]);
		json_add_u64(one, "pgsteal", d[3] + d[4]);
		json_add_u64(one, "workingset_refault", d[5]);
		json_add_u64(one, "workingset_activate", d[6]);
		json_add_u64(one, "pgactivate", d[7]);
		json_object_array_add(list, one);
		return (double)d[0] / (double)r->t->nr;
	}
	if (first)
		printf("%12s %10s %10s %8s %10s %10s %10s %10s %10s\n", "cache_KiB", "accesses",
		       "misses", "ratio", "pgscan", "pgsteal", "refaults", "ws_activ",
		       "pgactivate");
	printf("%12" PRIu64 " %10zu %10" PRIu64 " %8.4f %10" PRIu64 " %10" PRIu64 " %10" PRIu64
	       " %10" PRIu64 " %10" PRIu64 "\n", cache >> 10, r->t->nr, d[0],
	       (double)d[0] / (double)r->t->nr, d[1] + d[2], d[3] + d[4], d[5], d[6], d[7]);
	return (double)d[0] / (double)r->t->nr;
}

/* The reclaim policy a daemon's Hello named. */
static const char *policy_of(struct cmd_ctx *ctx)
{
	return ctx->hello.reclaim_policy;
}

/* --compare in JSON: the size, then each daemon's socket, policy and misses. */
static void add_compare(struct json_object *list, struct replay *r, struct replay *r2,
			uint64_t cache, uint64_t d[2][NR_COUNTERS], const char *names[2])
{
	struct json_object *obj = size_json(r, cache), *results = json_object_new_array(), *one;
	const char *sock;
	int k;

	for (k = 0; k < 2; k++) {
		/* The path connected to: the first daemon's may be the default (no --socket). */
		sock = rclc_socket_path((k ? r2 : r)->ctx->socket);
		one = json_object_new_object();
		json_object_object_add(one, "socket", json_object_new_string(sock));
		json_object_object_add(one, "reclaim_policy", json_object_new_string(names[k]));
		add_misses(one, d[k][0], r);
		json_object_array_add(results, one);
	}
	json_object_object_add(obj, "results", results);
	json_object_array_add(list, obj);
}

/* --compare: one size's misses on both daemons, side by side (in JSON mode, added to LIST);
 * the two miss ratios. */
static void print_compare(struct replay *r, struct replay *r2, uint64_t cache, bool first,
			  struct json_object *list, double *ret_ratio, double *ret_ratio2)
{
	const char *names[2] = { policy_of(r->ctx), policy_of(r2->ctx) };
	uint64_t d[2][NR_COUNTERS];

	result_deltas(r, d[0]);
	result_deltas(r2, d[1]);
	*ret_ratio = (double)d[0][0] / (double)r->t->nr;
	*ret_ratio2 = (double)d[1][0] / (double)r->t->nr;
	if (list) {
		add_compare(list, r, r2, cache, d, names);
		return;
	}
	if (first)
		printf("%12s %10s %12s %8s %12s %8s\n", "cache_KiB", "accesses", names[0], "ratio",
		       names[1], "ratio");
	printf("%12" PRIu64 " %10zu %12" PRIu64 " %8.4f %12" PRIu64 " %8.4f\n", cache >> 10,
	       r->t->nr, d[0][0], *ret_ratio, d[1][0], *ret_ratio2);
}

/* The --cache list into SIZES; NULL, or what is wrong with it in words. */
static const char *parse_sizes(char *s, uint64_t *sizes, unsigned int *n)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_SIZES)
			return "--cache takes at most 64 sizes";
		if (ctl_parse_u64(tok, &sizes[*n]) < 0)
			return "--cache takes sizes (K, M or G, below 16 EiB in all), comma-separated";
		if (sizes[*n] < PAGE)
			return "--cache takes sizes of at least 4K";
		(*n)++;
	}
	return *n ? NULL : "--cache takes sizes of at least 4K, comma-separated";
}

static int replay_one(struct replay *r, uint64_t cache, unsigned int i)
{
	int ret = setup(r, cache, i);

	if (ret == 0)
		ret = counters(r, r->before);
	if (ret == 0)
		ret = run_accesses(r, cache);
	if (ret == 0)
		ret = counters(r, r->after);
	cleanup(r);
	return ret;
}

/* Whether PATH's directories hold an executable NAME. */
static bool in_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char full[4096];

	for (p = path; p && *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		snprintf(full, sizeof(full), "%.*s/%s", (int)(end - p), p, name);
		if (end > p && access(full, X_OK) == 0)
			return true;
	}
	return false;
}

/* A file name gnuplot takes inside double quotes: no quote, backslash or control byte. */
static bool plot_name_ok(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* The miss-ratio curve into FILE as a PNG: x the cache size in MiB (the footprint's size for
 * a replay without a limit), y the miss ratio. 0, or EXIT_USAGE when gnuplot failed. */
static int plot(const char *file, const char *trace, bool mmap, const uint64_t *sizes,
		const double *ratios, const double *ratios2, const char *const *names,
		unsigned int n, uint64_t footprint)
{
	int series;
	const char *base = strrchr(trace, '/') ? strrchr(trace, '/') + 1 : trace;
	FILE *gp = popen("gnuplot", "w");
	unsigned int i;

	if (!gp) {
		fprintf(stderr, "reclaimctl replay: --plot: cannot run gnuplot: %s\n",
			strerror(errno));
		return EXIT_USAGE;
	}
	fprintf(gp, "set terminal png size 800,500\nset output \"%s\"\n", file);
	fprintf(gp, "set title \"miss-ratio curve: %s (--access %s)\" noenhanced\n",
		plot_name_ok(base) ? base : "trace", mmap ? "mmap" : "read");
	fprintf(gp, "set xlabel \"cache size (MiB)\"\nset ylabel \"miss ratio\"\n"
		"set yrange [0:*]\nset grid\n");
	if (ratios2)
		fprintf(gp, "plot \"-\" using 1:2 with linespoints pointtype 7 title \"%s\", "
			"\"-\" using 1:2 with linespoints pointtype 5 title \"%s\"\n",
			plot_name_ok(names[0]) ? names[0] : "first",
			plot_name_ok(names[1]) ? names[1] : "second");
	else
		fprintf(gp, "set key off\nplot \"-\" using 1:2 with linespoints pointtype 7\n");
	for (series = 0; series < (ratios2 ? 2 : 1); series++) {
		for (i = 0; i < n; i++)
			fprintf(gp, "%.6f %.6f\n", (double)(sizes[i] ? sizes[i] : footprint * PAGE) /
				(1 << 20), series ? ratios2[i] : ratios[i]);
		fprintf(gp, "e\n");
	}
	if (pclose(gp) != 0) {
		fprintf(stderr, "reclaimctl replay: --plot: gnuplot could not write %s\n", file);
		return EXIT_USAGE;
	}
	return 0;
}

static int exec_replay(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "access", required_argument, NULL, 'a' },
		{ "cache", required_argument, NULL, 'c' },
		{ "fadvise", required_argument, NULL, 'v' },
		{ "plot", required_argument, NULL, 'p' },
		{ "compare", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay r = { .ctx = ctx, .advice = RCLC_FADV_RANDOM }, r2;
	struct cmd_ctx ctx2 = { .json = ctx->json };
	double ratios2[MAX_SIZES];
	const char *names[2] = { NULL, NULL }, *why;
	struct json_object *list;
	enum trace_format format = TRACE_ORACLE;
	uint64_t sizes[MAX_SIZES];
	double ratios[MAX_SIZES];
	const char *plot_file = NULL;
	unsigned int nr_sizes = 0, i;
	struct trace t;
	char err[512];
	int opt, ret = 0;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (trace_format_parse(optarg, &format) < 0)
				return ctl_usage(&cmd_replay_entry, "unknown --format");
			break;
		case 'a':
			if (strcmp(optarg, "read") && strcmp(optarg, "mmap"))
				return ctl_usage(&cmd_replay_entry, "--access is read or mmap");
			r.mmap = !strcmp(optarg, "mmap");
			break;
		case 'c':
			why = parse_sizes(optarg, sizes, &nr_sizes);
			if (why)
				return ctl_usage(&cmd_replay_entry, why);
			break;
		case 'v':
			if (!strcmp(optarg, "normal"))
				r.advice = RCLC_FADV_NORMAL;
			else if (!strcmp(optarg, "sequential"))
				r.advice = RCLC_FADV_SEQUENTIAL;
			else if (!strcmp(optarg, "random"))
				r.advice = RCLC_FADV_RANDOM;
			else
				return ctl_usage(&cmd_replay_entry, "unknown --fadvise");
			break;
		case 'p':
			if (!*optarg || !plot_name_ok(optarg))
				return ctl_usage(&cmd_replay_entry, "--plot takes a file name "
						 "without quotes, backslashes or control "
						 "characters");
			plot_file = optarg;
			break;
		case 'C':
			if (!*optarg)
				return ctl_usage(&cmd_replay_entry, "--compare takes a socket path");
			ctx2.socket = optarg;
			break;
		default: return ctl_usage(&cmd_replay_entry, NULL);
		}
	}
	if (optind != argc - 1)
		return ctl_usage(&cmd_replay_entry, "one TRACE");
	if (plot_file && !in_path("gnuplot")) {
		fprintf(stderr, "reclaimctl replay: --plot needs gnuplot, which is not in PATH "
			"(Debian: apt-get install gnuplot-nox)\n");
		return EXIT_USAGE;
	}
	if (trace_load(argv[optind], format, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "reclaimctl replay: %s\n", err);
		if (ctx->json)
			json_print_error("INVALID_ARGUMENT", "bad trace");
		return EXIT_USAGE;
	}
	r.t = &t;
	r.tty = isatty(2);
	r2 = r;
	r2.ctx = &ctx2;
	if (nr_sizes == 0)
		sizes[nr_sizes++] = 0;
	/* The daemons answer before anything is replayed (their policies head the columns), and
	 * setup and cleanup then always have a connection to work on. */
	if ((ret = ctl_connect(ctx)) || (ctx2.socket && (ret = ctl_connect(&ctx2)))) {
		trace_free(&t);
		return ret;
	}
	/* JSON: one array of the sizes, or on a failure only the error object it printed. */
	list = ctx->json ? json_object_new_array() : NULL;
	for (i = 0; ret == 0 && i < nr_sizes; i++) {
		ret = replay_one(&r, sizes[i], i);
		if (ret == 0 && ctx2.socket)
			ret = replay_one(&r2, sizes[i], i);
		if (ret == 0 && ctx2.socket)
			print_compare(&r, &r2, sizes[i], i == 0, list, &ratios[i], &ratios2[i]);
		else if (ret == 0)
			ratios[i] = print_result(&r, sizes[i], i == 0, list);
	}
	if (list && ret == 0)
		json_print(list);
	else if (list)
		json_object_put(list);
	fflush(stdout);
	if (ctx2.socket) {
		names[0] = policy_of(ctx);
		names[1] = policy_of(&ctx2);
	}
	if (ret == 0 && plot_file)
		ret = plot(plot_file, argv[optind], r.mmap, sizes, ratios,
			   ctx2.socket ? ratios2 : NULL, names, nr_sizes, t.footprint);
	if (ctx2.conn)
		rclc_close(ctx2.conn);
	trace_free(&t);
	return ret;
}
