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
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FreePages f = RECLAIM__V1__FREE_PAGES__INIT;
	uint64_t pfn, order;
	Response *resp;
	int ret;

	if (ctl_parse_u64(argv[1], &pfn) < 0 || pfn > UINT32_MAX)
		return ctl_usage(&cmd_free_pages_entry, "bad PFN");
	if (ctl_parse_u64(argv[2], &order) < 0 || order > 64)
		return ctl_usage(&cmd_free_pages_entry, "bad ORDER");
	f.pfn = (uint32_t)pfn;
	f.order = (uint32_t)order;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_FREE_PAGES;
	req.free_pages = &f;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	ctl_print_ok(ctx, NULL);
	rclc_response_free(resp);
	return 0;
}
