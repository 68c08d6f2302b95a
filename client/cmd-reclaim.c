/*
 * cmd-reclaim.c - `reclaimctl reclaim SIZE [--memcg PATH]`: proactive reclaim.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>

#include "reclaimctl.h"

static int exec_reclaim(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_reclaim_entry = {
	.name = "reclaim",
	.usage = "SIZE [--memcg PATH] [--swappiness N]",
	.help = "reclaim SIZE bytes now, like memory.reclaim",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_reclaim,
};

static int exec_reclaim(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "memcg", required_argument, NULL, 'm' },
		{ "swappiness", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct rclc_reclaim_result res;
	const char *memcg = NULL;
	uint64_t bytes, v;
	int opt, ret, swappiness = -1;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'm': memcg = optarg; break;
		case 's':
			if (ctl_parse_u64(optarg, &v) < 0 || v > INT_MAX)
				return ctl_usage(&cmd_reclaim_entry, "bad --swappiness");
			swappiness = (int)v;
			break;
		default: return ctl_usage(&cmd_reclaim_entry, NULL);
		}
	}
	if (optind != argc - 1 || ctl_parse_u64(argv[optind], &bytes) < 0)
		return ctl_usage(&cmd_reclaim_entry, "SIZE must be a size");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_reclaim(ctx->conn, memcg, bytes, swappiness, &res);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "reclaimed_bytes", res.reclaimed_bytes);
		json_add_u64(doc, "scanned_pages", res.scanned_pages);
		json_print(doc);
	} else {
		printf("reclaimed %" PRIu64 " bytes\n", res.reclaimed_bytes);
	}
	return 0;
}
