/*
 * cmd-reclaim.c - `reclaimctl reclaim SIZE [--memcg PATH]`: proactive reclaim.
 */
#include <getopt.h>
#include <inttypes.h>

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
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__ProactiveReclaim r = RECLAIM__V1__PROACTIVE_RECLAIM__INIT;
	Reclaim__V1__OptU64 swappiness = RECLAIM__V1__OPT_U64__INIT;
	Response *resp;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'm': r.memcg = optarg; break;
		case 's':
			if (ctl_parse_u64(optarg, &swappiness.value) < 0)
				return ctl_usage(&cmd_reclaim_entry, "bad --swappiness");
			r.swappiness = &swappiness;
			break;
		default: return ctl_usage(&cmd_reclaim_entry, NULL);
		}
	}
	if (optind != argc - 1 || ctl_parse_u64(argv[optind], &r.bytes) < 0)
		return ctl_usage(&cmd_reclaim_entry, "SIZE must be a size");
	req.msg_case = RECLAIM__V1__REQUEST__MSG_RECLAIM;
	req.reclaim = &r;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "reclaimed_bytes", resp->reclaim->reclaimed_bytes);
		json_add_u64(doc, "scanned_pages", resp->reclaim->scanned_pages);
		json_print(doc);
	} else {
		printf("reclaimed %" PRIu64 " bytes\n", resp->reclaim->reclaimed_bytes);
	}
	rclc_response_free(resp);
	return 0;
}
