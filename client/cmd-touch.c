/*
 * cmd-touch.c - `reclaimctl touch ID [FIRST [COUNT]] [--write]`: access pages of a region.
 */
#include <getopt.h>
#include <inttypes.h>

#include "range.h"

static int exec_touch(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_touch_entry = {
	.name = "touch",
	.usage = "ID [FIRST [COUNT]] [--write]",
	.help = "access pages of a region (faulting them in), reading or writing",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_touch,
};

static int exec_touch(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "write", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Touch t = RECLAIM__V1__TOUCH__INIT;
	Reclaim__V1__PageRange range = RECLAIM__V1__PAGE_RANGE__INIT;
	const Reclaim__V1__TouchReply *r;
	Response *resp;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "w", options, NULL)) != -1) {
		if (opt != 'w')
			return ctl_usage(&cmd_touch_entry, NULL);
		t.write = true;
	}
	if (parse_range(argc - optind, argv + optind, &range) < 0)
		return ctl_usage(&cmd_touch_entry, NULL);
	t.range = &range;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_TOUCH;
	req.touch = &t;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	r = resp->touch;
	if (ctx->json)
		printf("{\"pages\":%" PRIu64 ",\"minor_faults\":%" PRIu64 ",\"major_faults\":%"
		       PRIu64 "}\n", r->pages, r->minor_faults, r->major_faults);
	else
		printf("%" PRIu64 " pages, %" PRIu64 " minor faults, %" PRIu64 " major faults\n",
		       r->pages, r->minor_faults, r->major_faults);
	rclc_response_free(resp);
	return 0;
}
