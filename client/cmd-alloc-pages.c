/*
 * cmd-alloc-pages.c - `reclaimctl alloc-pages ORDER`: take 2^ORDER raw frames and print the
 * first frame number. The allocation is persistent: it outlives this command's connection
 * until `free-pages` gives it back.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include "reclaimctl.h"

static int exec_alloc_pages(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_alloc_pages_entry = {
	.name = "alloc-pages",
	.usage = "ORDER [--node N] [--thisnode] [--atomic|--nowait] [--movable]",
	.help = "allocate 2^ORDER raw pages (persistent); prints the first pfn",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_alloc_pages,
};

static int exec_alloc_pages(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "thisnode", no_argument, NULL, 't' },
		{ "atomic", no_argument, NULL, 'a' },
		{ "nowait", no_argument, NULL, 'w' },
		{ "movable", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__AllocPages a = RECLAIM__V1__ALLOC_PAGES__INIT;
	Response *resp;
	uint64_t v;
	int opt, ret;

	a.node = -1;
	a.persistent = true;
	while ((opt = getopt_long(argc, argv, "n:", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (ctl_parse_u64(optarg, &v) < 0 || v > 64)
				return ctl_usage(&cmd_alloc_pages_entry, "bad --node");
			a.node = (int32_t)v;
			break;
		case 't': a.thisnode = true; break;
		case 'a': a.atomic = true; break;
		case 'w': a.nowait = true; break;
		case 'm': a.movable = true; break;
		default: return ctl_usage(&cmd_alloc_pages_entry, NULL);
		}
	}
	if (optind != argc - 1 || ctl_parse_u64(argv[optind], &v) < 0 || v > 64)
		return ctl_usage(&cmd_alloc_pages_entry, "ORDER must be a small number");
	a.order = (uint32_t)v;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_ALLOC_PAGES;
	req.alloc_pages = &a;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	if (ctx->json)
		printf("{\"pfn\":%u,\"order\":%u}\n", resp->alloc_pages->pfn,
		       resp->alloc_pages->order);
	else
		printf("%u\n", resp->alloc_pages->pfn);
	rclc_response_free(resp);
	return 0;
}
