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
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileChmod m = RECLAIM__V1__FILE_CHMOD__INIT;
	Response *resp;
	int ret;

	if (ctl_parse_mode(argv[1], &m.mode) < 0)
		return ctl_usage(&cmd_chmod_entry, "MODE must be octal, 0 to 0777");
	m.path = argv[2];
	req.msg_case = RECLAIM__V1__REQUEST__MSG_FILE_CHMOD;
	req.file_chmod = &m;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	if (ctx->json)
		printf("{\"owner_uid\":%u,\"owner_gid\":%u,\"mode\":\"%04o\"}\n",
		       resp->file_chmod->owner_uid, resp->file_chmod->owner_gid,
		       resp->file_chmod->mode);
	rclc_response_free(resp);
	return 0;
}
