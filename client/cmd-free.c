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
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionFree f = RECLAIM__V1__REGION_FREE__INIT;
	Response *resp;
	int ret;

	if (ctl_parse_u64(argv[1], &f.region_id) < 0)
		return ctl_usage(&cmd_free_entry, "bad ID");
	req.msg_case = RECLAIM__V1__REQUEST__MSG_REGION_FREE;
	req.region_free = &f;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	ctl_print_ok(ctx, NULL);
	rclc_response_free(resp);
	return 0;
}
