/*
 * cmd-touch.c - `reclaimctl touch ID [FIRST [COUNT]] [--write]`: access pages of a region.
 */
#include <getopt.h>
#include <inttypes.h>

#include "range.h"

static int exec_touch(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_touch_entry = {
	.name = "touch",
	.usage = "ID [FIRST [COUNT]] [--write]",
	.help = "access pages of a region (faulting them in), reading or writing",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_touch,
};

static int exec_touch(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "write", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct rclc_range range = { 0 };
	struct rclc_touch_result r;
	bool write = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "w", options, NULL)) != -1) {
		if (opt != 'w')
			return ctl_usage(&cmd_touch_entry, NULL);
		write = true;
	}
	if (parse_range(argc - optind, argv + optind, &range) < 0)
		return ctl_usage(&cmd_touch_entry, NULL);
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_touch(ctx->conn, &range, write, &r);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json)
		printf("{\"pages\":%" PRIu64 ",\"minor_faults\":%" PRIu64 ",\"major_faults\":%"
		       PRIu64 "}\n", r.pages, r.minor_faults, r.major_faults);
	else
		printf("%" PRIu64 " pages, %" PRIu64 " minor faults, %" PRIu64 " major faults\n",
		       r.pages, r.minor_faults, r.major_faults);
	return 0;
}
