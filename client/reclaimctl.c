/*
 * reclaimctl.c - the command-line client of reclaimd: global options, the command table,
 * the connection, exit codes. Each command lives in its own cmd-<name>.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoconfig.h"
#include "reclaimctl.h"

static const struct cmd_entry *const commands[] = {
	&cmd_status_entry,
	&cmd_stat_entry,
	&cmd_alloc_pages_entry,
	&cmd_free_pages_entry,
	&cmd_tunable_entry,
	&cmd_shutdown_entry,
	&cmd_memcg_entry,
	&cmd_alloc_entry,
	&cmd_touch_entry,
	&cmd_write_entry,
	&cmd_read_entry,
	&cmd_free_entry,
	&cmd_info_entry,
	&cmd_madvise_entry,
	&cmd_mlock_entry,
	&cmd_munlock_entry,
	&cmd_sync_entry,
	&cmd_chmod_entry,
	&cmd_fread_entry,
	&cmd_fwrite_entry,
	&cmd_fadvise_entry,
	&cmd_rm_entry,
	&cmd_replay_entry,
	&cmd_pressure_entry,
	&cmd_reclaim_entry,
	&cmd_trace_entry,
	&cmd_bench_entry,
	&cmd_vmstat_entry,
	&cmd_top_entry,
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: reclaimctl [--socket PATH] [--json] COMMAND [ARG]...\n"
		"Drive the reclaimd memory daemon.\n\n"
		"  -s, --socket PATH  the daemon's socket (default: $RECLAIMD_SOCKET, else %s)\n"
		"  -j, --json         print one JSON document instead of text\n"
		"  -h, --help         show this help\n"
		"  -V, --version      show the version\n"
		"Options may stand anywhere on the line; COMMAND --help describes one command.\n"
		"\nCommands:\n", RCLC_DEFAULT_SOCKET);
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %s %s\n      %s\n", commands[i]->name, commands[i]->usage,
			commands[i]->help);
	fprintf(out, "\nExit status: 0, the daemon's status code (1..12) when it refused, %d for "
		"a bad command line, %d when the daemon cannot be reached.\n", EXIT_USAGE,
		EXIT_NOCONN);
}

int ctl_usage(const struct cmd_entry *entry, const char *why)
{
	if (why)
		fprintf(stderr, "reclaimctl %s: %s\n", entry->name, why);
	fprintf(stderr, "usage: reclaimctl %s %s\n", entry->name, entry->usage);
	return EXIT_USAGE;
}

/* One message for both: the JSON document a script reads says what stderr says. */
static int connection_failed(struct cmd_ctx *ctx, const char *what, int err)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s %s: %s", what, rclc_socket_path(ctx->socket),
		 err == -EPROTO && ctx->conn ? rclc_last_error(ctx->conn) : strerror(-err));
	if (ctx->json)
		json_print_error("UNAVAILABLE", msg);
	fprintf(stderr, "reclaimctl: %s\n", msg);
	return EXIT_NOCONN;
}

int ctl_counters(struct cmd_ctx *ctx, enum rclc_stat_view view, struct ctl_counters *ret)
{
	int r = ctl_connect(ctx);

	if (r)
		return r;
	r = rclc_stat(ctx->conn, view, NULL, &ret->v, &ret->n);
	return r < 0 ? ctl_fail(ctx, r) : 0;
}

void ctl_counters_free(struct ctl_counters *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

uint64_t ctl_counter(const struct ctl_counters *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return c->v[i].value;
	return 0;
}

uint64_t ctl_counter_sum(const struct ctl_counters *c, const char *prefix)
{
	size_t i, n = strlen(prefix);
	uint64_t sum = 0;

	for (i = 0; i < c->n; i++) {
		const char *name = c->v[i].name;

		if (strncmp(name, prefix, n) == 0 && (name[n] == '\0' || name[n] == '_'))
			sum += c->v[i].value;
	}
	return sum;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ctl_stream(struct cmd_ctx *ctx, const struct rclc_subscribe_opts *opts,
	       ctl_event_fn on_event, void *arg, int tick_ms)
{
	int64_t next_tick = now_ms() + tick_ms;
	struct rclc_event ev;
	int ret, stop = 0;

	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_subscribe(ctx->conn, opts, NULL);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	while (!stop) {
		int64_t wait = tick_ms > 0 ? next_tick - now_ms() : -1;

		if (tick_ms > 0 && wait <= 0) {
			/* A tick at least tick_ms after the end of the last one. */
			stop = on_event(ctx, NULL, arg);
			fflush(stdout);
			next_tick = now_ms() + tick_ms;
			continue;
		}
		ret = rclc_next_event(ctx->conn, (int)wait, &ev);
		if (ret == -ETIMEDOUT)
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
		stop = on_event(ctx, &ev, arg);
		fflush(stdout);
		rclc_event_release(&ev);
	}
	return 0;
}

int ctl_connect(struct cmd_ctx *ctx)
{
	int r;

	if (ctx->conn)
		return 0;
	r = rclc_connect(ctx->socket, &ctx->conn);
	if (r < 0)
		return connection_failed(ctx, "cannot connect to", r);
	r = rclc_hello(ctx->conn, "reclaimctl");
	if (r < 0)
		return connection_failed(ctx, "hello refused by", r);
	return rclc_hello_info(ctx->conn, &ctx->hello) < 0 ?
		connection_failed(ctx, "no hello from", -EPROTO) : 0;
}

/* The daemon refused: its message on stderr (and as JSON), its code as the exit status. */
static int refused(struct cmd_ctx *ctx, int code, const char *message)
{
	if (ctx->json)
		json_print_error(rclc_code_str(code), message);
	fprintf(stderr, "reclaimctl: %s\n", message);
	return code;
}

int ctl_refuse(struct cmd_ctx *ctx, int code, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return refused(ctx, code, message);
}

int ctl_region_bytes(struct cmd_ctx *ctx, uint64_t id, uint64_t *ret)
{
	struct rclc_region_info info;
	struct rclc_hello_info hello;
	int err = rclc_region_info(ctx->conn, id, &info);

	if (err == 0)
		err = rclc_hello_info(ctx->conn, &hello);
	if (err < 0)
		return ctl_fail(ctx, err);
	*ret = info.pages * (uint64_t)hello.page_size;
	return 0;
}

int ctl_fail(struct cmd_ctx *ctx, int err)
{
	int code = rclc_last_code(ctx->conn);

	if (code > 0)
		return refused(ctx, code, rclc_last_error(ctx->conn));
	if (err == -ECONNRESET || err == -EPIPE)
		return connection_failed(ctx, "lost the connection to", err);
	/* Neither the daemon's refusal nor a lost connection: an answer that made no sense. */
	return connection_failed(ctx, "bad answer from", -EPROTO);
}

static const struct cmd_entry *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* A word that getopt would take for options but that is a negative number ("-5M"). */
static bool is_negative_number(const char *arg)
{
	return arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9';
}

static void command_help(const struct cmd_entry *entry)
{
	printf("Usage: reclaimctl [--socket PATH] [--json] %s %s\n%s\n", entry->name,
	       entry->usage, entry->help);
}

/*
 * The global options may stand anywhere on the line ("status --json"), so they are taken out
 * of argv first; what is left, from the command on, is the command's own (its options included,
 * and everything after "--" untouched). Returns -1 to go on, else the exit status.
 */
static int global_options(struct cmd_ctx *ctx, int *argc, char **argv, bool *help)
{
	int i, n = 1;
	bool rest = false;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (rest || a[0] != '-' || !a[1]) {
			argv[n++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			rest = true;
			argv[n++] = argv[i];
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			ctx->json = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*help = true;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("reclaimctl %s\n", PACKAGE_VERSION);
			return 0;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--socket")) {
			if (++i == *argc) {
				fprintf(stderr, "reclaimctl: %s wants a PATH\n", a);
				return EXIT_USAGE;
			}
			ctx->socket = argv[i];
		} else if (!strncmp(a, "--socket=", 9)) {
			ctx->socket = a + 9;
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	*argc = n;
	return -1;
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx = { 0 };
	const struct cmd_entry *entry;
	bool help = false;
	int i, nargs, ret;

	ret = global_options(&ctx, &argc, argv, &help);
	if (ret >= 0)
		return ret;
	if (argc < 2 || argv[1][0] == '-') {
		if (help && argc < 2) {
			usage(stdout);
			return 0;
		}
		if (argc >= 2)
			fprintf(stderr, "reclaimctl: unknown option '%s' before the command\n",
				argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	entry = command_find(argv[1]);
	if (!entry) {
		fprintf(stderr, "reclaimctl: unknown command '%s' (see --help)\n", argv[1]);
		return EXIT_USAGE;
	}
	if (help) {
		command_help(entry);
		return 0;
	}
	argc--;
	argv++;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (is_negative_number(argv[i])) {
			fprintf(stderr, "reclaimctl %s: '%s': numbers and sizes cannot be "
				"negative\n", entry->name, argv[i]);
			return ctl_usage(entry, NULL);
		}
	optind = 0;	/* the command parses its own options from argv[0] on */
	nargs = argc - 1;
	if (nargs < entry->min_args || (entry->max_args >= 0 && nargs > entry->max_args))
		return ctl_usage(entry, NULL);
	ret = entry->exec(&ctx, argc, argv);
	rclc_close(ctx.conn);
	return ret;
}
