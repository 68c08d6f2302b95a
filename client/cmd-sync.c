/*
 * cmd-sync.c - `reclaimctl sync ID [FIRST [COUNT]] [--async]`: msync a region or a range of
 * its pages, and say how many dirty pages that wrote.
 */
#include <getopt.h>
#include <inttypes.h>

#include "range.h"

static int exec_sync(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_sync_entry = {
	.name = "sync",
	.usage = "ID [FIRST [COUNT]] [--async]",
	.help = "write back dirty pages of a file region and fsync (msync); COUNT 0 or none: "
		"to the end of the region",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_sync,
};

static int exec_sync(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "async", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct rclc_range range = { 0 };
	bool async = false;
	uint64_t written;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt != 'a')
			return ctl_usage(&cmd_sync_entry, NULL);
		async = true;
	}
	if (parse_range(argc - optind, argv + optind, &range) < 0)
		return ctl_usage(&cmd_sync_entry, NULL);
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_msync(ctx->conn, &range, async, &written);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "pages_written", written);
		json_print(doc);
	} else {
		printf("%" PRIu64 " pages written\n", written);
	}
	return 0;
}
