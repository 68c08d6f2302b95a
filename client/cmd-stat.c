/*
 * cmd-stat.c - `reclaimctl stat meminfo|vmstat|zoneinfo|buddyinfo`: the daemon's /proc views.
 */
#include <string.h>

#include "reclaimctl.h"

static int exec_stat(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_stat_entry = {
	.name = "stat",
	.usage = "meminfo|vmstat|zoneinfo|buddyinfo",
	.help = "print a /proc-style view of the daemon's memory",
	.min_args = 1,
	.max_args = 1,
	.exec = exec_stat,
};

static const char *const view_names[] = {
	[RECLAIM__V1__STAT_VIEW__MEMINFO] = "meminfo",
	[RECLAIM__V1__STAT_VIEW__VMSTAT] = "vmstat",
	[RECLAIM__V1__STAT_VIEW__ZONEINFO] = "zoneinfo",
	[RECLAIM__V1__STAT_VIEW__BUDDYINFO] = "buddyinfo",
};

static int exec_stat(struct cmd_ctx *ctx, int argc, char **argv)
{
	const Reclaim__V1__StatReply *r;
	Response *resp;
	size_t v;
	int ret;

	for (v = 0; v < sizeof(view_names) / sizeof(view_names[0]); v++)
		if (strcmp(argv[1], view_names[v]) == 0)
			break;
	if (v == sizeof(view_names) / sizeof(view_names[0]))
		return ctl_usage(&cmd_stat_entry, "unknown view");
	ret = ctl_stat(ctx, (Reclaim__V1__StatView)v, &resp);
	if (ret)
		return ret;
	r = resp->stat;
	if (ctx->json) {
		printf("{\"view\":\"%s\",\"counters\":", view_names[v]);
		json_counters(stdout, r->counters, r->n_counters);
		printf(",\"text\":");
		json_string(stdout, r->text);
		printf("}\n");
	} else {
		fputs(r->text, stdout);
	}
	rclc_response_free(resp);
	return 0;
}
