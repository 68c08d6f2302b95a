/*
 * cmd-stat.c - `reclaimctl stat meminfo|vmstat|zoneinfo|buddyinfo`: the daemon's /proc views.
 */
#include <stdlib.h>
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
	[RCLC_STAT_MEMINFO] = "meminfo",
	[RCLC_STAT_VMSTAT] = "vmstat",
	[RCLC_STAT_ZONEINFO] = "zoneinfo",
	[RCLC_STAT_BUDDYINFO] = "buddyinfo",
};

static int exec_stat(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct rclc_counter *counters;
	size_t v, n;
	char *text;
	int ret;

	for (v = 0; v < sizeof(view_names) / sizeof(view_names[0]); v++)
		if (strcmp(argv[1], view_names[v]) == 0)
			break;
	if (v == sizeof(view_names) / sizeof(view_names[0]))
		return ctl_usage(&cmd_stat_entry, "unknown view");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_stat(ctx->conn, (enum rclc_stat_view)v, &text, &counters, &n);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_object_object_add(doc, "view", json_object_new_string(view_names[v]));
		json_object_object_add(doc, "counters", json_counters(counters, n));
		json_object_object_add(doc, "text", json_object_new_string(text));
		json_print(doc);
	} else {
		fputs(text, stdout);
	}
	free(text);
	free(counters);
	return 0;
}
