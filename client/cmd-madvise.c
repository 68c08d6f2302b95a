/*
 * cmd-madvise.c - `reclaimctl madvise ID ADVICE [FIRST [COUNT] | --ranges FIRST+COUNT,...]`.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "range.h"

static int exec_madvise(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_madvise_entry = {
	.name = "madvise",
	.usage = "ID dontneed|free|cold|pageout|willneed|normal|random|sequential "
		 "[FIRST [COUNT] | --ranges FIRST+COUNT,...]",
	.help = "advise the daemon about pages of a region, as madvise(2); COUNT 0 or none: "
		"to the end of the region; --ranges: many ranges in one request",
	.min_args = 2,
	.max_args = 4,
	.exec = exec_madvise,
};

static const char *const advice_names[] = {
	[RCLC_MADV_DONTNEED] = "dontneed",
	[RCLC_MADV_FREE] = "free",
	[RCLC_MADV_COLD] = "cold",
	[RCLC_MADV_PAGEOUT] = "pageout",
	[RCLC_MADV_WILLNEED] = "willneed",
	[RCLC_MADV_NORMAL] = "normal",
	[RCLC_MADV_RANDOM] = "random",
	[RCLC_MADV_SEQUENTIAL] = "sequential",
};

static int exec_madvise(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct rclc_range range = { 0 }, *ranges = NULL;
	struct range_item *items = NULL;
	uint64_t pages;
	char *args[3];
	size_t a, n = 0;
	int ret;

	/* ID ADVICE --ranges LIST, or --ranges=LIST: the list instead of FIRST and COUNT. */
	if (argc > 3 && !strncmp(argv[3], "--ranges", 8)) {
		const char *list = argv[3][8] == '=' ? argv[3] + 9 :
				   !argv[3][8] && argc == 5 ? argv[4] : NULL;

		if (!list || (argv[3][8] == '=' && argc != 4))
			return ctl_usage(&cmd_madvise_entry, NULL);
		if (parse_range_list("madvise", list, &items, &n) < 0)
			return EXIT_USAGE;
		argc = 3;
	}
	for (a = 1; a < sizeof(advice_names) / sizeof(advice_names[0]); a++)
		if (strcmp(argv[2], advice_names[a]) == 0)
			break;
	if (a == sizeof(advice_names) / sizeof(advice_names[0])) {
		free(items);
		return ctl_usage(&cmd_madvise_entry, "unknown advice");
	}
	args[0] = argv[1];
	args[1] = argc > 3 ? argv[3] : NULL;
	args[2] = argc > 4 ? argv[4] : NULL;
	if (parse_range(argc - 2, args, &range) < 0) {
		free(items);
		return ctl_usage(&cmd_madvise_entry, NULL);
	}
	ret = ctl_connect(ctx);
	if (ret == 0 && items) {
		ranges = range_list_pages(range.region_id, items, n);
		ret = ranges ? rclc_madvisev(ctx->conn, ranges, n, (enum rclc_advice)a, &pages) :
			       -ENOMEM;
		ret = ret < 0 ? ctl_fail(ctx, ret) : 0;
	} else if (ret == 0) {
		ret = rclc_madvise(ctx->conn, &range, (enum rclc_advice)a, &pages);
		ret = ret < 0 ? ctl_fail(ctx, ret) : 0;
	}
	free(items);
	free(ranges);
	if (ret)
		return ret;
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "pages", pages);
		json_print(doc);
	} else {
		printf("%" PRIu64 " pages\n", pages);
	}
	return 0;
}
