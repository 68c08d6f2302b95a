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
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Shutdown s = RECLAIM__V1__SHUTDOWN__INIT;
	Response *resp;
	int ret;

	req.msg_case = RECLAIM__V1__REQUEST__MSG_SHUTDOWN;
	req.shutdown = &s;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	ctl_print_ok(ctx, "reclaimd is shutting down");
	rclc_response_free(resp);
	return 0;
}
