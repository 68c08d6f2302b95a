/*
 * cmd-vmstat.c - `reclaimctl vmstat [INTERVAL [COUNT]]`: reclaim activity as rates, like
 * vmstat(8). Every line is measured over one interval (there is no since-start line whose
 * columns would mean something else), so even the bare command waits one interval.
 * si and so are KiB swapped in and out per second, as vmstat(8)'s columns of those names; the
 * header says every column's unit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reclaimctl.h"

static int exec_vmstat(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_vmstat_entry = {
	.name = "vmstat",
	.usage = "[INTERVAL [COUNT]]",
	.help = "memory and reclaim rates per second every INTERVAL seconds (default 1, once)",
	.min_args = 0,
	.max_args = 2,
	.exec = exec_vmstat,
};

/* The vmstat counters shown as rates; "allocstall" sums its per-zone counters. */
enum { SI, SO, SCAN_D, STEAL_D, SCAN_K, STEAL_K, MAJFLT, STALL, NR_RATES };
static const char *const rate_names[NR_RATES] = {
	"pswpin", "pswpout", "pgscan_direct", "pgsteal_direct", "pgscan_kswapd",
	"pgsteal_kswapd", "pgmajfault", "allocstall",
};
static const char *const rate_heads[NR_RATES] = {
	"si", "so", "scan_d", "steal_d", "scan_k", "steal_k", "majflt", "stall",
};

struct sample {
	struct timespec when;
	uint64_t free_kb, cache_kb, swap_kb;	/* levels, from meminfo */
	uint64_t events[NR_RATES];		/* cumulative, from vmstat */
};

static int take_sample(struct cmd_ctx *ctx, struct sample *s)
{
	struct ctl_counters c;
	size_t i;
	int ret;

	ret = ctl_counters(ctx, RCLC_STAT_MEMINFO, &c);
	if (ret)
		return ret;
	s->free_kb = ctl_counter(&c, "MemFree");
	s->cache_kb = ctl_counter(&c, "Cached");
	s->swap_kb = ctl_counter(&c, "SwapTotal") - ctl_counter(&c, "SwapFree");
	ctl_counters_free(&c);
	ret = ctl_counters(ctx, RCLC_STAT_VMSTAT, &c);
	if (ret)
		return ret;
	for (i = 0; i < NR_RATES; i++)
		s->events[i] = i == STALL ? ctl_counter_sum(&c, rate_names[i])
					  : ctl_counter(&c, rate_names[i]);
	ctl_counters_free(&c);
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	return 0;
}

/* Wait SECONDS, resuming the wait when a signal interrupts it. */
static void wait_interval(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double elapsed(const struct sample *a, const struct sample *b)
{
	return (double)(b->when.tv_sec - a->when.tv_sec) +
	       (double)(b->when.tv_nsec - a->when.tv_nsec) / 1e9;
}

static void print_header(void)
{
	size_t i;

	printf("memory: KiB; si, so: KiB/s; scan, steal: pages/s; majflt, stall: events/s\n");
	printf("%10s %10s %10s", "free", "cache", "swpd");
	for (i = 0; i < NR_RATES; i++)
		printf(" %8s", rate_heads[i]);
	putchar('\n');
}

/* print_line's JSON: the rates with the one decimal the text has, seconds with three. */
static void print_json(const struct sample *a, const struct sample *b, double dt,
		       double page_kib)
{
	struct json_object *doc = json_object_new_object();
	double rate[NR_RATES];
	char key[64];
	size_t i;

	json_object_object_add(doc, "seconds", json_double_fmt(dt, "%.3f"));
	json_add_u64(doc, "free_kb", b->free_kb);
	json_add_u64(doc, "cache_kb", b->cache_kb);
	json_add_u64(doc, "swap_used_kb", b->swap_kb);
	for (i = 0; i < NR_RATES; i++) {
		rate[i] = (double)(b->events[i] - a->events[i]) / dt;
		snprintf(key, sizeof(key), "%s_per_s", rate_names[i]);
		json_object_object_add(doc, key, json_double_fmt(rate[i], "%.1f"));
	}
	json_object_object_add(doc, "si_kib_per_s", json_double_fmt(rate[SI] * page_kib, "%.1f"));
	json_object_object_add(doc, "so_kib_per_s", json_double_fmt(rate[SO] * page_kib, "%.1f"));
	json_print(doc);
}

/* One line: the levels at B and each counter's rate from A to B, per second (A and B are
 * at least the 0.01 s minimum interval apart on the monotonic clock, so dt > 0); pages
 * swapped in and out as KiB. */
static void print_line(struct cmd_ctx *ctx, const struct sample *a, const struct sample *b)
{
	double dt = elapsed(a, b);
	double page_kib = (double)ctx->hello.page_size / 1024;
	size_t i;

	if (ctx->json) {
		print_json(a, b, dt, page_kib);
	} else {
		printf("%10" PRIu64 " %10" PRIu64 " %10" PRIu64, b->free_kb, b->cache_kb,
		       b->swap_kb);
		for (i = 0; i < NR_RATES; i++)
			printf(" %8.0f", (double)(b->events[i] - a->events[i]) *
			       (i == SI || i == SO ? page_kib : 1) / dt);
		putchar('\n');
	}
	fflush(stdout);
}

static int parse_args(int argc, char **argv, double *interval, uint64_t *count)
{
	char *end;

	*interval = 1;
	*count = 1;
	if (argc > 1) {
		errno = 0;
		*interval = strtod(argv[1], &end);
		if (errno || end == argv[1] || *end || !(*interval >= 0.01 && *interval <= 3600))
			return ctl_usage(&cmd_vmstat_entry, "INTERVAL is seconds, 0.01 to 3600");
		*count = UINT64_MAX;	/* an interval alone repeats until interrupted */
	}
	if (argc > 2 && (ctl_parse_u64(argv[2], count) || *count == 0))
		return ctl_usage(&cmd_vmstat_entry, "COUNT is a number of lines, at least 1");
	return 0;
}

static int exec_vmstat(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct sample prev, cur;
	double interval;
	uint64_t count, n;
	int ret;

	ret = parse_args(argc, argv, &interval, &count);
	if (ret)
		return ret;
	ret = take_sample(ctx, &prev);
	if (ret)
		return ret;
	if (!ctx->json)
		print_header();
	for (n = 0; n < count; n++) {
		wait_interval(interval);
		ret = take_sample(ctx, &cur);
		if (ret)
			return ret;
		print_line(ctx, &prev, &cur);
		prev = cur;
	}
	return 0;
}
