/*
 * cmd-free.c - `reclaimctl free ID`: free a region.
 */
#include "reclaimctl.h"

static int exec_free(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_free_entry = {
	.name = "free",
	.usage = "ID",
	.help = "free a region (its owner, root or an admin)",
	.min_args = 1,
	.max_args = 1,
	.exec = exec_free,
};

static int exec_free(struct cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t id;
	int ret;

	if (ctl_parse_u64(argv[1], &id) < 0)
		return ctl_usage(&cmd_free_entry, "bad ID");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_free(ctx->conn, id);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	ctl_print_ok(ctx, NULL);
	return 0;
}
