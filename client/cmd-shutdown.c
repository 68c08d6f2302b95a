/*
 * cmd-shutdown.c - `reclaimctl shutdown`: ask the daemon to stop as on SIGTERM (admins).
 */
#include "reclaimctl.h"

static int exec_shutdown(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_shutdown_entry = {
	.name = "shutdown",
	.usage = "",
	.help = "stop the daemon: answer what is running, fail what is queued, exit (admins)",
	.min_args = 0,
	.max_args = 0,
	.exec = exec_shutdown,
};

static int exec_shutdown(struct cmd_ctx *ctx, int argc, char **argv)
{
	int ret = ctl_connect(ctx);

	if (ret)
		return ret;
	ret = rclc_shutdown(ctx->conn);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	ctl_print_ok(ctx, "reclaimd is shutting down");
	return 0;
}
