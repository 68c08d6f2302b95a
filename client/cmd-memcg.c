/*
 * cmd-memcg.c - `reclaimctl memcg create|set|stat|list|rm|watch-path PATH`: memory cgroups.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psi-sock.h"
#include "psitrigger.h"
#include "reclaimctl.h"

static int exec_memcg(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_memcg_entry = {
	.name = "memcg",
	.usage = "create|set PATH [--min S] [--low S] [--high S] [--max S] [--swap-max S] "
		 "[--soft-limit S] [--swappiness N] [--owner UID (create)] | stat PATH | "
		 "list [PATH] | rm PATH | watch-path PATH [TRIGGER]",
	.help = "create, change, inspect, list or remove memory cgroups; watch-path prints a "
		"memcg's memory-pressure socket and the environment a unit would set",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_memcg,
};

/* Each limit option sets one field of L (and its bit); --owner sets *OWNER (create only:
 * OWNER NULL refuses it). */
static int parse_limits(int argc, char **argv, struct rclc_memcg_limits *l, int64_t *owner)
{
	static const struct option options[] = {
		{ "min", required_argument, NULL, 0 },
		{ "low", required_argument, NULL, 1 },
		{ "high", required_argument, NULL, 2 },
		{ "max", required_argument, NULL, 3 },
		{ "swap-max", required_argument, NULL, 4 },
		{ "soft-limit", required_argument, NULL, 5 },
		{ "swappiness", required_argument, NULL, 6 },
		{ "owner", required_argument, NULL, 7 },
		{ NULL, 0, NULL, 0 },
	};
	/* In the order of the RCLC_LIMIT_* bits. */
	uint64_t *fields[7] = { &l->min, &l->low, &l->high, &l->max, &l->swap_max,
				&l->soft_limit, &l->swappiness };
	uint64_t v;
	int opt;

	/* From the verb on ("create PATH --max 1G"): optind 0 makes getopt start afresh. */
	optind = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, "", options, NULL)) != -1) {
		if (opt < 0 || opt > 7)
			return -1;
		/* Name the value that is wrong, not only the usage. */
		if (ctl_parse_u64(optarg, &v) < 0 || (opt == 7 && v > UINT32_MAX)) {
			fprintf(stderr, "reclaimctl memcg: --%s '%s' is not %s\n",
				options[opt].name, optarg,
				opt == 7 ? "a uid (at most 4294967295)" :
				opt == 6 ? "a number" :
				"a size (a number below 2^64 with an optional K, M or G suffix)");
			return -1;
		}
		if (opt == 7 && !owner)
			return -1;
		if (opt == 7) {
			*owner = (int64_t)v;
		} else {
			*fields[opt] = v;
			l->set |= 1u << opt;
		}
	}
	return optind == argc - 2 ? 0 : -1;
}

static void print_counters(const struct rclc_counter *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s %" PRIu64 "\n", c[i].name, c[i].value);
}

/* The limits as memcg stat and list show them: the cgroup file's name, and the JSON key. */
static const struct {
	const char *file, *key;
	size_t offset;
} limit_rows[] = {
	{ "memory.min", "min_bytes", offsetof(struct rclc_memcg_info, min) },
	{ "memory.low", "low_bytes", offsetof(struct rclc_memcg_info, low) },
	{ "memory.high", "high_bytes", offsetof(struct rclc_memcg_info, high) },
	{ "memory.max", "max_bytes", offsetof(struct rclc_memcg_info, max) },
	{ "memory.swap.max", "swap_max_bytes", offsetof(struct rclc_memcg_info, swap_max) },
};
#define NR_LIMIT_ROWS	(sizeof(limit_rows) / sizeof(limit_rows[0]))

static uint64_t limit_value(const struct rclc_memcg_info *m, size_t row)
{
	return *(const uint64_t *)((const char *)m + limit_rows[row].offset);
}

/* @m's limits, a line each, "max" for none, as the kernel's files read. */
static void print_limits(const struct rclc_memcg_info *m)
{
	size_t i;

	for (i = 0; i < NR_LIMIT_ROWS; i++) {
		if (limit_value(m, i) == RCLC_UNLIMITED)
			printf("%s max\n", limit_rows[i].file);
		else
			printf("%s %" PRIu64 "\n", limit_rows[i].file, limit_value(m, i));
	}
	printf("memory.swappiness %" PRIu32 "\n", m->swappiness);
}

/* The same into the JSON object @doc, null for none. */
static void json_limits(struct json_object *doc, const struct rclc_memcg_info *m)
{
	size_t i;

	for (i = 0; i < NR_LIMIT_ROWS; i++) {
		if (limit_value(m, i) == RCLC_UNLIMITED)
			json_object_object_add(doc, limit_rows[i].key, NULL);
		else
			json_add_u64(doc, limit_rows[i].key, limit_value(m, i));
	}
	json_add_u64(doc, "swappiness", m->swappiness);
}

/*
 * Group @path's limits, in *@ret (ret->path empty for the root group, which has none). The
 * list of @path's subtree starts with the group itself.
 */
static int memcg_limits(struct cmd_ctx *ctx, const char *path, struct rclc_memcg_info *ret)
{
	struct rclc_memcg_info *m;
	size_t n;
	int err = rclc_memcg_list(ctx->conn, path, &m, &n);

	if (err < 0)
		return err;
	memset(ret, 0, sizeof(*ret));
	/* Deleted between the two calls, the group is not the list's first: say nothing. */
	if (n && strcmp(m[0].path, "/") && !strcmp(m[0].path, path))
		*ret = m[0];
	free(m);
	return 0;
}

static int memcg_stat(struct cmd_ctx *ctx, const char *path)
{
	struct rclc_memcg_info limits;
	struct rclc_memcg_stat st;
	struct json_object *doc, *l;
	int ret = rclc_memcg_stat(ctx->conn, path, &st);

	if (ret < 0)
		return ctl_fail(ctx, ret);
	ret = memcg_limits(ctx, path, &limits);
	if (ret < 0) {
		rclc_memcg_stat_release(&st);
		return ctl_fail(ctx, ret);
	}
	if (ctx->json) {
		doc = json_object_new_object();
		json_add_u64(doc, "usage_bytes", st.usage_bytes);
		if (limits.path[0]) {
			l = json_object_new_object();
			json_limits(l, &limits);
			json_object_object_add(doc, "limits", l);
		}
		json_object_object_add(doc, "stat", json_counters(st.stat, st.nr_stat));
		json_object_object_add(doc, "events", json_counters(st.events, st.nr_events));
		json_print(doc);
	} else {
		if (limits.path[0])
			print_limits(&limits);
		print_counters(st.stat, st.nr_stat);
		print_counters(st.events, st.nr_events);
	}
	rclc_memcg_stat_release(&st);
	return 0;
}

static int memcg_list(struct cmd_ctx *ctx, const char *subtree)
{
	struct rclc_memcg_info *m;
	struct json_object *doc, *one;
	size_t i, n;
	int ret = rclc_memcg_list(ctx->conn, subtree, &m, &n);

	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (!ctx->json) {
		for (i = 0; i < n; i++)
			printf("%s %" PRIu64 "\n", m[i].path, m[i].usage_bytes);
		free(m);
		return 0;
	}
	doc = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++) {
		one = json_object_new_object();
		json_object_object_add(one, "path", json_object_new_string(m[i].path));
		json_add_u64(one, "owner_uid", m[i].owner_uid);
		json_add_u64(one, "usage_bytes", m[i].usage_bytes);
		if (strcmp(m[i].path, "/"))
			json_limits(one, &m[i]);
		json_object_array_add(doc, one);
	}
	json_print(doc);
	free(m);
	return 0;
}

/* RFC 4648 base64 of @len bytes of @in into @out (4 * ((len + 2) / 3) + 1 bytes). */
static void base64(const unsigned char *in, size_t len, char *out)
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < len; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*out++ = set[(v >> 18) & 63];
		*out++ = set[(v >> 12) & 63];
		*out++ = i + 1 < len ? set[(v >> 6) & 63] : '=';
		*out++ = i + 2 < len ? set[v & 63] : '=';
	}
	*out = '\0';
}

/*
 * The memory-pressure socket of memcg @path (in "pressure" next to the daemon's socket) and
 * systemd's two variables for it: MEMORY_PRESSURE_WATCH, the socket, and
 * MEMORY_PRESSURE_WRITE, the base64 of the trigger a client writes there (systemd's default,
 * 200 ms of "some" stall in 2 s, unless @trigger says otherwise). The memcg must exist.
 */
static int memcg_watch_path(struct cmd_ctx *ctx, const char *path, const char *trigger)
{
	const char *sock = rclc_socket_path(ctx->socket);
	const char *slash = strrchr(sock, '/');
	char name[256], dir[4096], full[4096 + 256 + 16], enc[4 * 64 + 1];
	struct rclc_memcg_stat st;
	struct psi_trigger parsed;
	const char *why = NULL;
	int ret;

	/* Checked as the daemon's socket will check it (psitrigger.c): a trigger it refuses
	 * would make MEMORY_PRESSURE_WRITE a variable that never works. */
	if (strlen(trigger) > PSI_TRIGGER_MAX)
		why = "the trigger is too long";
	else if (psi_trigger_parse(trigger, strlen(trigger) + 1, &parsed, &why) == 0)
		why = NULL;
	if (why) {
		char msg[160];

		snprintf(msg, sizeof(msg), "bad TRIGGER '%.64s': %s", trigger, why);
		return ctl_usage(&cmd_memcg_entry, msg);
	}
	ret = rclc_memcg_stat(ctx->conn, path, &st);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	rclc_memcg_stat_release(&st);
	if (psi_sock_name(path, name, sizeof(name)) < 0)
		return ctl_fail(ctx, -ENAMETOOLONG);
	/* Absolute, as a unit's environment wants it whatever its working directory. */
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - sock) : 1, slash ? sock : ".");
	if (!realpath(dir, full))
		return ctl_fail(ctx, -errno);
	snprintf(full + strlen(full), sizeof(full) - strlen(full), "/" PSI_SOCK_DIR "/%s", name);
	base64((const unsigned char *)trigger, strlen(trigger), enc);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_object_object_add(doc, "socket", json_object_new_string(full));
		json_object_object_add(doc, "MEMORY_PRESSURE_WATCH", json_object_new_string(full));
		json_object_object_add(doc, "MEMORY_PRESSURE_WRITE", json_object_new_string(enc));
		json_print(doc);
		return 0;
	}
	printf("%s\nMEMORY_PRESSURE_WATCH=%s\nMEMORY_PRESSURE_WRITE=%s\n", full, full, enc);
	return 0;
}

static int exec_memcg(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct rclc_memcg_limits limits = { .set = 0 };
	const char *verb = argv[1];
	int64_t owner = -1;
	int ret;

	if (!strcmp(verb, "create") || !strcmp(verb, "set")) {
		if (parse_limits(argc, argv, &limits, verb[0] == 'c' ? &owner : NULL) < 0)
			return ctl_usage(&cmd_memcg_entry, NULL);
	} else if (!((!strcmp(verb, "stat") && argc == 3) || (!strcmp(verb, "list") && argc <= 3) ||
		     (!strcmp(verb, "rm") && argc == 3) ||
		     (!strcmp(verb, "watch-path") && (argc == 3 || argc == 4)))) {
		return ctl_usage(&cmd_memcg_entry, NULL);
	}
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	if (!strcmp(verb, "stat"))
		return memcg_stat(ctx, argv[2]);
	if (!strcmp(verb, "list"))
		return memcg_list(ctx, argc == 3 ? argv[2] : NULL);
	if (!strcmp(verb, "watch-path"))
		return memcg_watch_path(ctx, argv[2], argc == 4 ? argv[3] : "some 200000 2000000");
	if (!strcmp(verb, "create"))
		ret = rclc_memcg_create(ctx->conn, argv[argc - 1], &limits, owner);
	else if (!strcmp(verb, "set"))
		ret = rclc_memcg_set(ctx->conn, argv[argc - 1], &limits);
	else
		ret = rclc_memcg_delete(ctx->conn, argv[2]);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	ctl_print_ok(ctx, NULL);
	return 0;
}
