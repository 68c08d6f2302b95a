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
	unsigned int flags = RCLC_GFP_PERSISTENT;
	int opt, ret, node = -1;
	uint32_t pfn;
	uint64_t v;

	while ((opt = getopt_long(argc, argv, "n:", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (ctl_parse_u64(optarg, &v) < 0 || v > 64)
				return ctl_usage(&cmd_alloc_pages_entry, "bad --node");
			node = (int)v;
			break;
		case 't': flags |= RCLC_GFP_THISNODE; break;
		case 'a': flags |= RCLC_GFP_ATOMIC; break;
		case 'w': flags |= RCLC_GFP_NOWAIT; break;
		case 'm': flags |= RCLC_GFP_MOVABLE; break;
		default: return ctl_usage(&cmd_alloc_pages_entry, NULL);
		}
	}
	if (optind != argc - 1 || ctl_parse_u64(argv[optind], &v) < 0 || v > 64)
		return ctl_usage(&cmd_alloc_pages_entry, "ORDER must be a small number");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_alloc_pages(ctx->conn, (unsigned int)v, node, flags, &pfn);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "pfn", pfn);
		json_add_u64(doc, "order", v);
		json_print(doc);
	} else {
		printf("%u\n", pfn);
	}
	return 0;
}
