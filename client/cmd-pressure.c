/*
 * cmd-pressure.c - `reclaimctl pressure [MEMCG] [--watch]`: the pressure level and PSI now,
 * or a stream of pressure events until interrupted; `--trigger TRIGGER`: a line for each
 * crossing of a PSI trigger on one memcg (Subscribe EVENT_PSI).
 *
 * The daemon sends a vmpressure event for every reclaim window (tens a second under load, the
 * level flapping between them); --watch prints at most one line per memcg and interval: the
 * worst level its events reported in the interval, when that differs from its last line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reclaimctl.h"

static int exec_pressure(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_pressure_entry = {
	.name = "pressure",
	.usage = "[MEMCG] [--watch [--interval SECONDS]] | --trigger TRIGGER [--memcg PATH] "
		 "[--count N]",
	.help = "print the pressure level and PSI; --watch: each INTERVAL (1 s), a timestamped "
		"line per memcg whose worst level in it changed; --trigger 'some|full STALL_USEC "
		"WINDOW_USEC': a timestamped line each time the memcg's PSI crosses it (N times "
		"or until interrupted)",
	.min_args = 0,
	.max_args = -1,
	.exec = exec_pressure,
};

static const char *const level_names[] = { "none", "low", "medium", "critical" };

static const char *level_name(int l)
{
	return (unsigned int)l < 4 ? level_names[l] : "unknown";
}

/*
 * Per memcg seen (a subscription to a subtree sees several): the worst level its events
 * reported in the current interval, and the level of its last line.
 */
struct seen {
	struct seen *next;
	int worst;		/* -1: no event this interval */
	int printed;		/* -1: no line yet */
	char memcg[];
};

struct watch {
	struct seen *list;
	bool json;
};

static void note_event(struct watch *w, const char *memcg, int level)
{
	struct seen *s;

	for (s = w->list; s; s = s->next)
		if (!strcmp(s->memcg, memcg))
			break;
	if (!s) {
		s = malloc(sizeof(*s) + strlen(memcg) + 1);
		if (!s)
			return;
		strcpy(s->memcg, memcg);
		s->worst = s->printed = -1;
		s->next = w->list;
		w->list = s;
	}
	if (level > s->worst)
		s->worst = level;
}

static void print_change_json(const char *stamp, const char *memcg, const char *level)
{
	struct json_object *doc = json_object_new_object();

	json_object_object_add(doc, "time", json_object_new_string(stamp));
	json_object_object_add(doc, "memcg", json_object_new_string(memcg));
	json_object_object_add(doc, "level", json_object_new_string(level));
	json_print(doc);
}

/* End of an interval: a line for each memcg whose worst level in it differs from its last. */
static void print_changes(struct watch *w)
{
	char stamp[32];
	struct seen *s;
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
	for (s = w->list; s; s = s->next) {
		if (s->worst >= 0 && s->worst != s->printed) {
			const char *level = level_name(s->worst);

			if (w->json)
				print_change_json(stamp, s->memcg, level);
			else
				printf("%s %s %s\n", stamp, s->memcg, level);
			s->printed = s->worst;
		}
		s->worst = -1;
	}
}

static int on_pressure_event(struct cmd_ctx *ctx, const struct rclc_event *ev, void *arg)
{
	(void)ctx;
	if (!ev)
		print_changes(arg);
	else if (ev->kind == RCLC_EVENT_PRESSURE)
		note_event(arg, ev->pressure.memcg, (int)ev->pressure.level);
	return 0;	/* until interrupted */
}

static int watch(struct cmd_ctx *ctx, const char *memcg, double interval)
{
	struct rclc_subscribe_opts sub = { .kind = RCLC_EVENT_PRESSURE, .memcg = memcg };
	struct watch w = { NULL, ctx->json };
	struct seen *next;
	int ret;

	ret = ctl_stream(ctx, &sub, on_pressure_event, &w, (int)(interval * 1000));
	for (; w.list; w.list = next) {
		next = w.list->next;
		free(w.list);
	}
	return ret;
}

/* "2026-01-02T03:04:05.678+0000": events of one window come a fraction of a second apart. */
static void stamp_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char date[32], zone[8];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf, len, "%s.%03ld%s", date, ts.tv_nsec / 1000000, zone);
}

static void print_psi_event(struct cmd_ctx *ctx, const struct rclc_event *ev)
{
	const char *kind = ev->psi.full ? "full" : "some";
	char stamp[80];

	stamp_now(stamp, sizeof(stamp));
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_object_object_add(doc, "time", json_object_new_string(stamp));
		json_object_object_add(doc, "memcg", json_object_new_string(ev->psi.memcg));
		json_object_object_add(doc, "kind", json_object_new_string(kind));
		json_add_u64(doc, "stall_usec", ev->psi.stall_usec);
		json_add_u64(doc, "window_usec", ev->psi.window_usec);
		json_add_u64(doc, "growth_usec", ev->psi.growth_usec);
		json_add_u64(doc, "total_usec", ev->psi.total_usec);
		json_add_u64(doc, "monotonic_ns", ev->psi.time_ns);
		json_print(doc);
	} else {
		printf("%s %s %s stalled %" PRIu64 " usec in %" PRIu64 " usec (threshold %" PRIu64
		       "), total %" PRIu64 " usec\n", stamp, ev->psi.memcg, kind,
		       ev->psi.growth_usec, ev->psi.window_usec, ev->psi.stall_usec,
		       ev->psi.total_usec);
	}
	fflush(stdout);
}

/* Subscribe to TRIGGER on MEMCG and print its events: COUNT of them, or forever (0). */
static int trigger_watch(struct cmd_ctx *ctx, const char *memcg, const char *trigger,
			 uint64_t count)
{
	struct rclc_event ev;
	uint64_t seen = 0;
	int ret;

	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_subscribe_psi(ctx->conn, memcg, trigger, NULL);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	while (!count || seen < count) {
		ret = rclc_next_event(ctx->conn, -1, &ev);
		if (ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		if (ret < 0) {
			fprintf(stderr, "reclaimctl: the event stream ended\n");
			return EXIT_NOCONN;
		}
		if (ev.kind == RCLC_EVENT_OVERFLOW) {
			fprintf(stderr, "reclaimctl: too slow: the daemon dropped this stream after "
				"%" PRIu64 " lost events\n", ev.overflow.events_dropped);
			return EXIT_NOCONN;
		}
		if (ev.kind == RCLC_EVENT_ENDED)
			return ctl_refuse(ctx, RCLC_CODE_NOT_FOUND, "the stream ended: %s",
					  ev.ended.reason);
		if (ev.kind == RCLC_EVENT_PSI) {
			print_psi_event(ctx, &ev);
			seen++;
		}
		rclc_event_release(&ev);
	}
	return 0;
}

/* One kind of PSI figures: a memory.pressure line. */
static void print_psi(const char *kind, const struct rclc_psi *f)
{
	printf("%s avg10=%.2f avg60=%.2f avg300=%.2f total=%llu\n", kind, f->avg10, f->avg60,
	       f->avg300, (unsigned long long)f->total_usec);
}

/* The same as a JSON object, with the two decimals memory.pressure has. */
static struct json_object *psi_json(const struct rclc_psi *f)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "avg10", json_double_fmt(f->avg10, "%.2f"));
	json_object_object_add(obj, "avg60", json_double_fmt(f->avg60, "%.2f"));
	json_object_object_add(obj, "avg300", json_double_fmt(f->avg300, "%.2f"));
	json_add_u64(obj, "total", f->total_usec);
	return obj;
}

static int exec_pressure(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "trigger", required_argument, NULL, 't' },
		{ "memcg", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	double interval = 1;
	const char *trigger = NULL, *memcg = NULL;
	uint64_t count = 0;
	const char *path;
	char *end;
	struct rclc_pressure r;
	int opt, ret, watching = 0;

	while ((opt = getopt_long(argc, argv, "w", options, NULL)) != -1) {
		switch (opt) {
		case 'w': watching = 1; break;
		case 'i':
			interval = strtod(optarg, &end);
			if (end == optarg || *end || !(interval >= 0.1 && interval <= 3600))
				return ctl_usage(&cmd_pressure_entry,
						 "--interval is seconds, 0.1 to 3600");
			break;
		case 't': trigger = optarg; break;
		case 'm': memcg = optarg; break;
		case 'n':
			count = strtoull(optarg, &end, 10);
			if (end == optarg || *end || *optarg == '-' || !count)
				return ctl_usage(&cmd_pressure_entry, "--count is a number of events, 1 or more");
			break;
		default: return ctl_usage(&cmd_pressure_entry, NULL);
		}
	}
	if (argc - optind > 1 || (memcg && optind < argc))
		return ctl_usage(&cmd_pressure_entry, NULL);
	if (trigger && watching)
		return ctl_usage(&cmd_pressure_entry, "--trigger and --watch are two ways to watch: "
				 "choose one");
	if (!trigger && count)
		return ctl_usage(&cmd_pressure_entry, "--count goes with --trigger");
	path = memcg ? memcg : optind < argc ? argv[optind] : "";
	if (trigger)
		return trigger_watch(ctx, path, trigger, count);
	if (watching)
		return watch(ctx, path, interval);
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_pressure(ctx->conn, path, &r);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_object_object_add(doc, "level", json_object_new_string(level_name(r.level)));
		json_object_object_add(doc, "some", psi_json(&r.some));
		json_object_object_add(doc, "full", psi_json(&r.full));
		json_print(doc);
	} else {
		/* The vmpressure level, then memory.pressure's two lines. */
		printf("level %s\n", level_name(r.level));
		print_psi("some", &r.some);
		print_psi("full", &r.full);
	}
	return 0;
}
