/*
 * cmd-chmod.c - `reclaimctl chmod MODE PATH`: change who may open a data directory file.
 */
#include <stdlib.h>

#include "reclaimctl.h"

static int exec_chmod(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_chmod_entry = {
	.name = "chmod",
	.usage = "MODE PATH",
	.help = "set the permission bits (octal) of a file you own in the data directory",
	.min_args = 2,
	.max_args = 2,
	.exec = exec_chmod,
};

/* An octal mode of at most 0777, as chmod(1) takes it. 0 or -1. */
int ctl_parse_mode(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	v = strtoul(s, &end, 8);
	if (*end || v > 0777)
		return -1;
	*ret = (uint32_t)v;
	return 0;
}

static int exec_chmod(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct rclc_file_owner fo;
	uint32_t mode;
	int ret;

	if (ctl_parse_mode(argv[1], &mode) < 0)
		return ctl_usage(&cmd_chmod_entry, "MODE must be octal, 0 to 0777");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_chmod(ctx->conn, argv[2], mode, &fo);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();
		char octal[16];

		/* The mode as chmod(1) takes it, octal: a string, as JSON has no octal. */
		snprintf(octal, sizeof(octal), "%04o", fo.mode);
		json_add_u64(doc, "owner_uid", fo.uid);
		json_add_u64(doc, "owner_gid", fo.gid);
		json_object_object_add(doc, "mode", json_object_new_string(octal));
		json_print(doc);
	}
	return 0;
}
