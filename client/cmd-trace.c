/*
 * cmd-trace.c - `reclaimctl trace [NAME]... [--count N]`: the reclaim trace points as they
 * fire (mm_vmscan_*), one line each with the trace point's fields, like the kernel's
 * trace_pipe; all of them, or only the NAMEs given.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include "reclaimctl.h"

static int exec_trace(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_trace_entry = {
	.name = "trace",
	.usage = "[TRACEPOINT]... [--count N]",
	.help = "print reclaim trace events (mm_vmscan_*) as they happen, N of them or forever",
	.min_args = 0,
	.max_args = -1,
	.exec = exec_trace,
};

struct trace_count {
	unsigned long long seen, count;		/* count 0: forever */
};

static int print_trace(struct cmd_ctx *ctx, const struct rclc_event *ev, void *arg)
{
	struct trace_count *c = arg;
	size_t i;

	if (ev->kind != RCLC_EVENT_TRACE)
		return 0;
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		/* The trace point's fields sit beside name and time_ns, as trace_pipe has them. */
		json_object_object_add(doc, "name", json_object_new_string(ev->trace.name));
		json_add_u64(doc, "time_ns", ev->trace.time_ns);
		for (i = 0; i < ev->trace.nr_fields; i++)
			json_add_u64(doc, ev->trace.fields[i].name, ev->trace.fields[i].value);
		json_print(doc);
	} else {
		printf("%" PRIu64 ".%09" PRIu64 " %s:", ev->trace.time_ns / 1000000000,
		       ev->trace.time_ns % 1000000000, ev->trace.name);
		for (i = 0; i < ev->trace.nr_fields; i++)
			printf(" %s=%" PRIu64, ev->trace.fields[i].name,
			       ev->trace.fields[i].value);
		printf("\n");
	}
	return c->count && ++c->seen >= c->count;
}

static int exec_trace(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct rclc_subscribe_opts sub = { .kind = RCLC_EVENT_TRACE };
	struct trace_count tc = { 0, 0 };
	char *end;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'n')
			return ctl_usage(&cmd_trace_entry, NULL);
		tc.count = strtoull(optarg, &end, 10);
		if (*end || !tc.count)
			return ctl_usage(&cmd_trace_entry, "--count wants a number above 0");
	}
	sub.nr_tracepoints = (size_t)(argc - optind);
	sub.tracepoints = (const char *const *)argv + optind;
	return ctl_stream(ctx, &sub, print_trace, &tc, 0);
}
