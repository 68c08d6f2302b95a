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
	[RECLAIM__V1__ADVICE__DONTNEED] = "dontneed",
	[RECLAIM__V1__ADVICE__FREE] = "free",
	[RECLAIM__V1__ADVICE__COLD] = "cold",
	[RECLAIM__V1__ADVICE__PAGEOUT] = "pageout",
	[RECLAIM__V1__ADVICE__WILLNEED] = "willneed",
	[RECLAIM__V1__ADVICE__NORMAL] = "normal",
	[RECLAIM__V1__ADVICE__RANDOM] = "random",
	[RECLAIM__V1__ADVICE__SEQUENTIAL] = "sequential",
};

static int exec_madvise(struct cmd_ctx *ctx, int argc, char **argv)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Madvise m = RECLAIM__V1__MADVISE__INIT;
	Reclaim__V1__PageRange range = RECLAIM__V1__PAGE_RANGE__INIT;
	char *args[3];
	Response *resp;
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
	m.range = &range;
	m.advice = (Reclaim__V1__Advice)a;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_MADVISE;
	req.madvise = &m;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	if (ctx->json)
		printf("{\"pages\":%" PRIu64 "}\n", resp->madvise->pages);
	else
		printf("%" PRIu64 " pages\n", resp->madvise->pages);
	rclc_response_free(resp);
	return 0;
}
