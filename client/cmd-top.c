/*
 * cmd-top.c - `reclaimctl top [--interval SECONDS] [--once]`: a full-screen view of the daemon
 * refreshed every interval, as top(1): memory and swap as free(1), the pressure level and PSI,
 * reclaim rates as vmstat(8), and per memcg its usage, level and PSI.
 *
 * Rates are measured over one interval, so the first frame comes one interval after the start
 * (as `vmstat 1 1`). On a terminal the view takes the alternate screen and reads keys raw: q
 * (or Ctrl-C) quits and puts the terminal back as it was. With --once, or when stdout is not a
 * terminal, it prints one frame as plain text (or one JSON document with --json) and exits.
 * The screen is drawn with plain ANSI (VT100) escapes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "reclaimctl.h"

static int exec_top(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_top_entry = {
	.name = "top",
	.usage = "[--interval SECONDS] [--once]",
	.help = "a full-screen view refreshed every INTERVAL (1 s): memory, swap, pressure, "
		"reclaim rates and memcgs; q quits; --once (or no terminal): one frame",
	.min_args = 0,
	.max_args = -1,
	.exec = exec_top,
};

static const char *const level_names[] = { "none", "low", "medium", "critical" };

static const char *level_name(enum rclc_pressure_level l)
{
	return (unsigned int)l < 4 ? level_names[l] : "unknown";
}

/* The vmstat counters shown as rates; allocstall sums its per-zone counters. */
enum { SCAN_D, STEAL_D, SCAN_K, STEAL_K, SI, SO, MAJFLT, STALL, NR_RATES };
static const char *const rate_names[NR_RATES] = {
	"pgscan_direct", "pgsteal_direct", "pgscan_kswapd", "pgsteal_kswapd", "pswpin",
	"pswpout", "pgmajfault", "allocstall",
};

struct sample {
	struct timespec when;
	uint64_t events[NR_RATES];
};

/* One frame's figures besides the rates: what status, pressure and memcg list report. */
struct frame {
	struct ctl_counters meminfo;
	struct rclc_pressure pressure;	/* of the root: the whole daemon */
	struct rclc_memcg_info *memcgs;
	struct rclc_pressure *memcg_pressure; /* one per memcg of the list, in its order */
	bool *has_pressure;		/* false: the memcg went before its pressure was read */
	/* Pages each memcg's reclaim took so far (memory.stat pgsteal_direct + _kswapd): its
	 * limit reclaim counts there, not in the global vmstat the reclaim/s line shows. */
	uint64_t *memcg_steal;
	bool *has_steal;
	size_t nr_memcgs;
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static int take_sample(struct cmd_ctx *ctx, struct sample *s)
{
	struct ctl_counters c;
	size_t i;
	int ret;

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

static void frame_free(struct frame *f)
{
	ctl_counters_free(&f->meminfo);
	free(f->memcgs);
	free(f->memcg_pressure);
	free(f->has_pressure);
	free(f->memcg_steal);
	free(f->has_steal);
	memset(f, 0, sizeof(*f));
}

static int frame_take(struct cmd_ctx *ctx, struct frame *f)
{
	size_t i;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = ctl_counters(ctx, RCLC_STAT_MEMINFO, &f->meminfo);
	if (ret)
		return ret;
	ret = rclc_pressure(ctx->conn, NULL, &f->pressure);
	if (ret == 0)
		ret = rclc_memcg_list(ctx->conn, NULL, &f->memcgs, &f->nr_memcgs);
	if (ret < 0) {
		ret = ctl_fail(ctx, ret);
		goto fail;
	}
	f->memcg_pressure = calloc(f->nr_memcgs + 1, sizeof(*f->memcg_pressure));
	f->has_pressure = calloc(f->nr_memcgs + 1, sizeof(*f->has_pressure));
	f->memcg_steal = calloc(f->nr_memcgs + 1, sizeof(*f->memcg_steal));
	f->has_steal = calloc(f->nr_memcgs + 1, sizeof(*f->has_steal));
	if (!f->memcg_pressure || !f->has_pressure || !f->memcg_steal || !f->has_steal) {
		ret = EXIT_FAILURE;
		fprintf(stderr, "reclaimctl top: out of memory\n");
		goto fail;
	}
	/* A memcg removed since the list is left blank rather than ending the view. */
	for (i = 0; i < f->nr_memcgs; i++) {
		struct rclc_memcg_stat st;
		struct ctl_counters stat;

		f->has_pressure[i] = rclc_pressure(ctx->conn, f->memcgs[i].path,
						   &f->memcg_pressure[i]) == 0;
		if (rclc_memcg_stat(ctx->conn, f->memcgs[i].path, &st) < 0)
			continue;
		stat = (struct ctl_counters){ st.stat, st.nr_stat };
		f->memcg_steal[i] = ctl_counter(&stat, "pgsteal_direct") +
				    ctl_counter(&stat, "pgsteal_kswapd");
		f->has_steal[i] = true;
		rclc_memcg_stat_release(&st);
	}
	return 0;
fail:
	frame_free(f);
	return ret;
}

/* The time from sample A to B, in seconds (1 if the clock did not move). */
static double seconds_between(const struct sample *a, const struct sample *b)
{
	double dt = (double)(b->when.tv_sec - a->when.tv_sec) +
		    (double)(b->when.tv_nsec - a->when.tv_nsec) / 1e9;

	return dt > 0 ? dt : 1;
}

/* Rate of counter I from A to B per second; pages swapped in and out as KiB. */
static double rate(const struct sample *a, const struct sample *b, int i, double page_kib)
{
	return (double)(b->events[i] - a->events[i]) * (i == SI || i == SO ? page_kib : 1) /
	       seconds_between(a, b);
}

/*
 * The pages a second that memcg @i of frame @f reclaimed since frame @prev (taken with sample @a,
 * @f with @b): found in @prev by its path; -1 when either frame lacks it (new, removed, or
 * not readable).
 */
static double memcg_steal_rate(const struct frame *prev, const struct frame *f, size_t i,
			       const struct sample *a, const struct sample *b)
{
	size_t j;

	if (!prev || !f->has_steal[i])
		return -1;
	for (j = 0; j < prev->nr_memcgs; j++)
		if (prev->has_steal[j] && !strcmp(prev->memcgs[j].path, f->memcgs[i].path) &&
		    prev->memcg_steal[j] <= f->memcg_steal[i])
			return (double)(f->memcg_steal[i] - prev->memcg_steal[j]) /
			       seconds_between(a, b);
	return -1;
}

/* A pressure level and the avg10 of its PSI, with the two decimals the text has. */
static void add_pressure(struct json_object *obj, const struct rclc_pressure *p)
{
	json_object_object_add(obj, "level", json_object_new_string(level_name(p->level)));
	json_object_object_add(obj, "some_avg10", json_double_fmt(p->some.avg10, "%.2f"));
	json_object_object_add(obj, "full_avg10", json_double_fmt(p->full.avg10, "%.2f"));
}

/* Each memcg: its path and usage, its pressure and reclaim rate when they could be read. */
static struct json_object *memcgs_json(const struct frame *prev, const struct frame *f,
				       const struct sample *a, const struct sample *b)
{
	struct json_object *list = json_object_new_array_ext((int)f->nr_memcgs), *one;
	size_t i;

	for (i = 0; i < f->nr_memcgs; i++) {
		const struct rclc_memcg_info *mi = &f->memcgs[i];
		const struct rclc_pressure *mp =
			f->has_pressure[i] ? &f->memcg_pressure[i] : NULL;
		double steal = memcg_steal_rate(prev, f, i, a, b);

		one = json_object_new_object();
		json_object_object_add(one, "path", json_object_new_string(mi->path));
		json_add_u64(one, "usage_bytes", mi->usage_bytes);
		if (mp)
			add_pressure(one, mp);
		if (steal >= 0)
			json_object_object_add(one, "pgsteal_per_s",
					       json_double_fmt(steal, "%.1f"));
		json_object_array_add(list, one);
	}
	return list;
}

static void print_json(struct cmd_ctx *ctx, const struct frame *prev, const struct frame *f,
		       const struct sample *a, const struct sample *b)
{
	const struct ctl_counters *m = &f->meminfo;
	double page_kib = (double)ctx->hello.page_size / 1024;
	uint64_t total = ctl_counter(m, "MemTotal"), free_kb = ctl_counter(m, "MemFree");
	uint64_t swap_total = ctl_counter(m, "SwapTotal"), swap_free = ctl_counter(m, "SwapFree");
	struct json_object *doc = json_object_new_object();
	char key[64];
	size_t i;

	json_add_u64(doc, "total_kb", total);
	json_add_u64(doc, "used_kb", total - free_kb);
	json_add_u64(doc, "free_kb", free_kb);
	json_add_u64(doc, "available_kb", ctl_counter(m, "MemAvailable"));
	json_add_u64(doc, "swap_total_kb", swap_total);
	json_add_u64(doc, "swap_used_kb", swap_total - swap_free);
	json_add_u64(doc, "swap_free_kb", swap_free);
	add_pressure(doc, &f->pressure);
	for (i = 0; i < NR_RATES; i++) {
		snprintf(key, sizeof(key), "%s_per_s", rate_names[i]);
		json_object_object_add(doc, key, json_double_fmt(rate(a, b, (int)i, 1), "%.1f"));
	}
	json_object_object_add(doc, "si_kib_per_s",
			       json_double_fmt(rate(a, b, SI, page_kib), "%.1f"));
	json_object_object_add(doc, "so_kib_per_s",
			       json_double_fmt(rate(a, b, SO, page_kib), "%.1f"));
	json_object_object_add(doc, "memcgs", memcgs_json(prev, f, a, b));
	json_print(doc);
}

/*
 * The frame as text: at most ROWS lines (0: no limit), each ending in EOL ("\n" plain,
 * "\033[K\n" on the screen, which clears what a longer line of the last frame left).
 */
static void print_text(struct cmd_ctx *ctx, const struct frame *prev, const struct frame *f,
		       const struct sample *a, const struct sample *b, double interval, int rows,
		       const char *eol)
{
	const struct ctl_counters *m = &f->meminfo;
	const struct rclc_pressure *p = &f->pressure;
	const struct rclc_hello_info *hello = &ctx->hello;
	double page_kib = (double)hello->page_size / 1024;
	uint64_t total = ctl_counter(m, "MemTotal"), free_kb = ctl_counter(m, "MemFree");
	uint64_t swap_total = ctl_counter(m, "SwapTotal"), swap_free = ctl_counter(m, "SwapFree");
	char stamp[16];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	int line = 9;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	printf("reclaimd %s - %s, every %.1f s%s", hello->server_version, stamp, interval, eol);
	printf("%-8s %12s %12s %12s %12s%s", "KiB", "total", "used", "free", "available", eol);
	printf("%-8s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "%s", "Mem:", total,
	       total - free_kb, free_kb, ctl_counter(m, "MemAvailable"), eol);
	printf("%-8s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "%s", "Swap:", swap_total,
	       swap_total - swap_free, swap_free, eol);
	printf("pressure %s, PSI some %.2f %.2f full %.2f %.2f (%% avg10 avg60)%s",
	       level_name(p->level), p->some.avg10, p->some.avg60, p->full.avg10, p->full.avg60,
	       eol);
	printf("reclaim/s: scan %.0f steal %.0f direct, scan %.0f steal %.0f kswapd; stall %.0f%s",
	       rate(a, b, SCAN_D, 1), rate(a, b, STEAL_D, 1), rate(a, b, SCAN_K, 1),
	       rate(a, b, STEAL_K, 1), rate(a, b, STALL, 1), eol);
	printf("swap KiB/s: in %.0f out %.0f; major faults/s %.0f%s", rate(a, b, SI, page_kib),
	       rate(a, b, SO, page_kib), rate(a, b, MAJFLT, 1), eol);
	printf("%s", eol);
	printf("%-24s %12s %10s %-8s %7s %7s %7s%s", "MEMCG", "USAGE KiB", "STEAL/s", "LEVEL",
	       "SOME10", "FULL10", "SOME60", eol);
	for (i = 0; i < f->nr_memcgs; i++, line++) {
		const struct rclc_memcg_info *mi = &f->memcgs[i];
		const struct rclc_pressure *mp =
			f->has_pressure[i] ? &f->memcg_pressure[i] : NULL;
		double steal = memcg_steal_rate(prev, f, i, a, b);
		char steal_s[16] = "-";

		if (rows && line >= rows - 1) {
			printf("(%zu more memcgs)%s", f->nr_memcgs - i, eol);
			break;
		}
		if (steal >= 0)
			snprintf(steal_s, sizeof(steal_s), "%.0f", steal);
		if (mp)
			printf("%-24s %12" PRIu64 " %10s %-8s %7.2f %7.2f %7.2f%s", mi->path,
			       mi->usage_bytes / 1024, steal_s, level_name(mp->level),
			       mp->some.avg10, mp->full.avg10, mp->some.avg60, eol);
		else
			printf("%-24s %12" PRIu64 " %10s%s", mi->path, mi->usage_bytes / 1024,
			       steal_s, eol);
	}
}

/* The terminal as it was, restored on the way out. */
static struct termios saved_tty;

static int screen_enter(void)
{
	struct termios raw;
	struct sigaction sa;

	if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return -1;
	raw = saved_tty;
	/* Keys one at a time, unechoed; ISIG stays, so Ctrl-C is a SIGINT we catch. */
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* The alternate screen, the cursor hidden. */
	printf("\033[?1049h\033[?25l");
	return 0;
}

static void screen_leave(void)
{
	printf("\033[?25h\033[?1049l");
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
}

static int screen_rows(void)
{
	struct winsize ws;

	return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row ? ws.ws_row : 24;
}

/* Wait SECONDS for a key: 1 when q was pressed or a signal asks to stop, else 0. */
static int wait_keys(double seconds)
{
	struct timespec start, now;
	double left = seconds;
	char c;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (left > 0 && !stop_signal) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int r = poll(&pfd, 1, (int)(left * 1000) + 1);

		if (r > 0 && read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
			return 1;
		if (r > 0 && (pfd.revents & (POLLHUP | POLLERR)))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = seconds - ((double)(now.tv_sec - start.tv_sec) +
				  (double)(now.tv_nsec - start.tv_nsec) / 1e9);
	}
	return stop_signal != 0;
}

/* Wait SECONDS, resuming the wait when a signal interrupts it. */
static void wait_plain(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int one_frame(struct cmd_ctx *ctx, double interval)
{
	struct sample a, b;
	struct frame prev, f;
	int ret;

	ret = take_sample(ctx, &a);
	if (!ret)
		ret = frame_take(ctx, &prev);
	if (ret)
		return ret;
	wait_plain(interval);
	ret = take_sample(ctx, &b);
	if (!ret)
		ret = frame_take(ctx, &f);
	if (ret) {
		frame_free(&prev);
		return ret;
	}
	if (ctx->json)
		print_json(ctx, &prev, &f, &a, &b);
	else
		print_text(ctx, &prev, &f, &a, &b, interval, 0, "\n");
	frame_free(&prev);
	frame_free(&f);
	return 0;
}

static int run_screen(struct cmd_ctx *ctx, double interval)
{
	struct sample a, b;
	struct frame prev, f;
	int ret;

	ret = take_sample(ctx, &a);
	if (!ret)
		ret = frame_take(ctx, &prev);
	if (ret)
		return ret;
	if (screen_enter() < 0) {
		frame_free(&prev);
		return one_frame(ctx, interval);
	}
	printf("\033[H\033[2Jreclaimctl top: measuring for %.1f s (q quits)\033[K\n", interval);
	fflush(stdout);
	while (!wait_keys(interval)) {
		ret = take_sample(ctx, &b);
		if (!ret)
			ret = frame_take(ctx, &f);
		if (ret)
			break;
		printf("\033[H");
		print_text(ctx, &prev, &f, &a, &b, interval, screen_rows(), "\033[K\n");
		printf("\033[J");	/* below the frame: what a taller frame left */
		fflush(stdout);
		frame_free(&prev);
		prev = f;
		a = b;
	}
	frame_free(&prev);
	screen_leave();
	return ret;
}

static int exec_top(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	double interval = 1;
	bool once = false;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'i':
			errno = 0;
			interval = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(interval >= 0.1 && interval <= 3600))
				return ctl_usage(&cmd_top_entry, "--interval is seconds, 0.1 to 3600");
			break;
		case 'o':
			once = true;
			break;
		default:
			return ctl_usage(&cmd_top_entry, NULL);
		}
	}
	if (optind < argc)
		return ctl_usage(&cmd_top_entry, "no arguments besides the options");
	if (once || ctx->json || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		return one_frame(ctx, interval);
	return run_screen(ctx, interval);
}
