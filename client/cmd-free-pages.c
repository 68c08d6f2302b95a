/*
 * cmd-free-pages.c - `reclaimctl free-pages PFN ORDER`: give back a raw allocation.
 */
#include "reclaimctl.h"

static int exec_free_pages(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_free_pages_entry = {
	.name = "free-pages",
	.usage = "PFN ORDER",
	.help = "free a raw allocation made by alloc-pages (its owner, root or an admin)",
	.min_args = 2,
	.max_args = 2,
	.exec = exec_free_pages,
};

static int exec_free_pages(struct cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t pfn, order;
	int ret;

	if (ctl_parse_u64(argv[1], &pfn) < 0 || pfn > UINT32_MAX)
		return ctl_usage(&cmd_free_pages_entry, "bad PFN");
	if (ctl_parse_u64(argv[2], &order) < 0 || order > 64)
		return ctl_usage(&cmd_free_pages_entry, "bad ORDER");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_free_pages(ctx->conn, (uint32_t)pfn, (unsigned int)order);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	ctl_print_ok(ctx, NULL);
	return 0;
}
