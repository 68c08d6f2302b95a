/*
 * cmd-memcg.c - `reclaimctl memcg create|set|stat|list|rm PATH`: memory cgroups.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "reclaimctl.h"

static int exec_memcg(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_memcg_entry = {
	.name = "memcg",
	.usage = "create|set PATH [--min S] [--low S] [--high S] [--max S] [--swap-max S] "
		 "[--soft-limit S] [--swappiness N] [--owner UID (create)] | stat PATH | "
		 "list [PATH] | rm PATH",
	.help = "create, change, inspect, list or remove memory cgroups",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_memcg,
};

/* Each limit option fills one OptU64 of the MemcgLimits; --owner fills *OWNER (create only:
 * OWNER NULL refuses it). */
static int parse_limits(int argc, char **argv, Reclaim__V1__MemcgLimits *l,
			Reclaim__V1__OptU64 vals[8], Reclaim__V1__OptU64 **owner)
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
	Reclaim__V1__OptU64 **slots[7] = { &l->min, &l->low, &l->high, &l->max, &l->swap_max,
					   &l->soft_limit, &l->swappiness };
	int opt;

	/* From the verb on ("create PATH --max 1G"): optind 0 makes getopt start afresh. */
	optind = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, "", options, NULL)) != -1) {
		if (opt < 0 || opt > 7 || ctl_parse_u64(optarg, &vals[opt].value) < 0)
			return -1;
		if (opt == 7 && !owner)
			return -1;
		if (opt == 7)
			*owner = &vals[opt];
		else
			*slots[opt] = &vals[opt];
	}
	return optind == argc - 2 ? 0 : -1;
}

static void print_counters(struct cmd_ctx *ctx, const char *key, Reclaim__V1__Counter **c,
			   size_t n)
{
	size_t i;

	if (ctx->json) {
		printf(",\"%s\":", key);
		json_counters(stdout, c, n);
		return;
	}
	for (i = 0; i < n; i++)
		printf("%s %" PRIu64 "\n", c[i]->name, c[i]->value);
}

static void print_reply(struct cmd_ctx *ctx, const Response *resp)
{
	size_t i;

	switch (resp->msg_case) {
	case RECLAIM__V1__RESPONSE__MSG_MEMCG_STAT:
		if (ctx->json)
			printf("{\"usage_bytes\":%" PRIu64, resp->memcg_stat->usage_bytes);
		print_counters(ctx, "stat", resp->memcg_stat->stat, resp->memcg_stat->n_stat);
		print_counters(ctx, "events", resp->memcg_stat->events,
			       resp->memcg_stat->n_events);
		if (ctx->json)
			printf("}\n");
		break;
	case RECLAIM__V1__RESPONSE__MSG_MEMCG_LIST:
		printf(ctx->json ? "[" : "");
		for (i = 0; i < resp->memcg_list->n_memcgs; i++) {
			const Reclaim__V1__MemcgInfo *m = resp->memcg_list->memcgs[i];

			if (ctx->json) {
				printf("%s{\"path\":", i ? "," : "");
				json_string(stdout, m->path);
				printf(",\"owner_uid\":%u,\"usage_bytes\":%" PRIu64 "}", m->owner_uid,
				       m->usage_bytes);
			} else {
				printf("%s %" PRIu64 "\n", m->path, m->usage_bytes);
			}
		}
		printf(ctx->json ? "]\n" : "");
		break;
	default:
		ctl_print_ok(ctx, NULL);
	}
}

static int exec_memcg(struct cmd_ctx *ctx, int argc, char **argv)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MemcgCreate create = RECLAIM__V1__MEMCG_CREATE__INIT;
	Reclaim__V1__MemcgSet set = RECLAIM__V1__MEMCG_SET__INIT;
	Reclaim__V1__MemcgStat stat = RECLAIM__V1__MEMCG_STAT__INIT;
	Reclaim__V1__MemcgList list = RECLAIM__V1__MEMCG_LIST__INIT;
	Reclaim__V1__MemcgDelete del = RECLAIM__V1__MEMCG_DELETE__INIT;
	Reclaim__V1__MemcgLimits limits = RECLAIM__V1__MEMCG_LIMITS__INIT;
	Reclaim__V1__OptU64 vals[8];
	const char *verb = argv[1];
	Response *resp;
	int i, ret;

	for (i = 0; i < 8; i++)
		reclaim__v1__opt_u64__init(&vals[i]);
	if (!strcmp(verb, "create") || !strcmp(verb, "set")) {
		if (parse_limits(argc, argv, &limits, vals,
				 verb[0] == 'c' ? &create.owner_uid : NULL) < 0)
			return ctl_usage(&cmd_memcg_entry, NULL);
		if (verb[0] == 'c') {
			create.path = argv[argc - 1];
			create.limits = &limits;
			req.msg_case = RECLAIM__V1__REQUEST__MSG_MEMCG_CREATE;
			req.memcg_create = &create;
		} else {
			set.path = argv[argc - 1];
			set.limits = &limits;
			req.msg_case = RECLAIM__V1__REQUEST__MSG_MEMCG_SET;
			req.memcg_set = &set;
		}
	} else if (!strcmp(verb, "stat") && argc == 3) {
		stat.path = argv[2];
		req.msg_case = RECLAIM__V1__REQUEST__MSG_MEMCG_STAT;
		req.memcg_stat = &stat;
	} else if (!strcmp(verb, "list") && argc <= 3) {
		list.path = argc == 3 ? argv[2] : "";
		req.msg_case = RECLAIM__V1__REQUEST__MSG_MEMCG_LIST;
		req.memcg_list = &list;
	} else if (!strcmp(verb, "rm") && argc == 3) {
		del.path = argv[2];
		req.msg_case = RECLAIM__V1__REQUEST__MSG_MEMCG_DELETE;
		req.memcg_delete = &del;
	} else {
		return ctl_usage(&cmd_memcg_entry, NULL);
	}
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	print_reply(ctx, resp);
	rclc_response_free(resp);
	return 0;
}
