/*
 * cmd-touch.c - `reclaimctl touch ID [FIRST [COUNT]] [--write]`: access pages of a region;
 * with --ranges FIRST+COUNT,..., scattered ones in one request.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>

#include "range.h"

static int exec_touch(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_touch_entry = {
	.name = "touch",
	.usage = "ID [FIRST [COUNT] | --ranges FIRST+COUNT,...] [--write]",
	.help = "access pages of a region (faulting them in), reading or writing; COUNT 0 or "
		"none: to the end of the region; --ranges: many ranges in one request",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_touch,
};

static int exec_touch(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "write", no_argument, NULL, 'w' },
		{ "ranges", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct rclc_range range = { 0 }, *ranges = NULL;
	struct range_item *items = NULL;
	struct rclc_touch_result r;
	const char *list = NULL;
	bool write = false;
	size_t n = 0;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "w", options, NULL)) != -1) {
		if (opt == 'w')
			write = true;
		else if (opt == 'r')
			list = optarg;
		else
			return ctl_usage(&cmd_touch_entry, NULL);
	}
	if (parse_range(argc - optind, argv + optind, &range) < 0 ||
	    (list && argc - optind != 1))
		return ctl_usage(&cmd_touch_entry, NULL);
	if (list && parse_range_list("touch", list, &items, &n) < 0)
		return EXIT_USAGE;
	ret = ctl_connect(ctx);
	if (ret == 0 && list) {
		ranges = range_list_pages(range.region_id, items, n);
		ret = ranges ? rclc_touchv(ctx->conn, ranges, n, write, &r) : -ENOMEM;
		ret = ret < 0 ? ctl_fail(ctx, ret) : 0;
	} else if (ret == 0) {
		ret = rclc_touch(ctx->conn, &range, write, &r);
		ret = ret < 0 ? ctl_fail(ctx, ret) : 0;
	}
	free(items);
	free(ranges);
	if (ret)
		return ret;
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "pages", r.pages);
		json_add_u64(doc, "minor_faults", r.minor_faults);
		json_add_u64(doc, "major_faults", r.major_faults);
		json_print(doc);
		return 0;
	}
	printf("%" PRIu64 " pages, %" PRIu64 " minor faults, %" PRIu64 " major faults\n",
	       r.pages, r.minor_faults, r.major_faults);
	return 0;
}
