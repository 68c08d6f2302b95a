/*
 * cmd-tunable.c - `reclaimctl tunable get [NAME]` and `tunable set NAME VALUE`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reclaimctl.h"

static int exec_tunable(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_tunable_entry = {
	.name = "tunable",
	.usage = "get [NAME] | set NAME VALUE",
	.help = "read the run-time sysctls, or set one (admins)",
	.min_args = 1,
	.max_args = 3,
	.exec = exec_tunable,
};

static void print_tunables(struct cmd_ctx *ctx, const struct rclc_tunable *t, size_t n)
{
	struct json_object *doc;
	size_t i;

	if (!ctx->json) {
		for (i = 0; i < n; i++)
			printf("%s = %s\n", t[i].name, t[i].value);
		return;
	}
	doc = json_object_new_object();
	/* Values stay strings, as the wire carries them. */
	for (i = 0; i < n; i++)
		json_object_object_add(doc, t[i].name, json_object_new_string(t[i].value));
	json_print(doc);
}

static int exec_tunable(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct rclc_tunable one, *all = NULL;
	size_t n = 1;
	int ret;

	if (!((strcmp(argv[1], "get") == 0 && argc <= 3) ||
	      (strcmp(argv[1], "set") == 0 && argc == 4)))
		return ctl_usage(&cmd_tunable_entry, NULL);
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	if (argv[1][0] == 's') {
		ret = rclc_tunable_set(ctx->conn, argv[2], argv[3], &one);
	} else if (argc == 3 && argv[2][0]) {
		snprintf(one.name, sizeof(one.name), "%s", argv[2]);
		ret = rclc_tunable_get(ctx->conn, argv[2], one.value, sizeof(one.value));
	} else {
		ret = rclc_tunable_list(ctx->conn, &all, &n);
	}
	if (ret < 0)
		return ctl_fail(ctx, ret);
	print_tunables(ctx, all ? all : &one, n);
	free(all);
	return 0;
}
