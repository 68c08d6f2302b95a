/*
 * cmd-madvise.c - `reclaimctl madvise ID ADVICE [FIRST [COUNT]]`.
 */
#include <inttypes.h>
#include <string.h>

#include "range.h"

static int exec_madvise(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_madvise_entry = {
	.name = "madvise",
	.usage = "ID dontneed|free|cold|pageout|willneed|normal|random|sequential [FIRST [COUNT]]",
	.help = "advise the daemon about pages of a region, as madvise(2)",
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
	struct rclc_range range = { 0 };
	uint64_t pages;
	char *args[3];
	size_t a;
	int ret;

	for (a = 1; a < sizeof(advice_names) / sizeof(advice_names[0]); a++)
		if (strcmp(argv[2], advice_names[a]) == 0)
			break;
	if (a == sizeof(advice_names) / sizeof(advice_names[0]))
		return ctl_usage(&cmd_madvise_entry, "unknown advice");
	args[0] = argv[1];
	args[1] = argc > 3 ? argv[3] : NULL;
	args[2] = argc > 4 ? argv[4] : NULL;
	if (parse_range(argc - 2, args, &range) < 0)
		return ctl_usage(&cmd_madvise_entry, NULL);
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_madvise(ctx->conn, &range, (enum rclc_advice)a, &pages);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json)
		printf("{\"pages\":%" PRIu64 "}\n", pages);
	else
		printf("%" PRIu64 " pages\n", pages);
	return 0;
}
