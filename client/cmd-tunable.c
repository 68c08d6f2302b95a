/*
 * cmd-tunable.c - `reclaimctl tunable get [NAME]` and `tunable set NAME VALUE`.
 */
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

static void print_tunables(struct cmd_ctx *ctx, Reclaim__V1__Tunable **t, size_t n)
{
	size_t i;

	if (!ctx->json) {
		for (i = 0; i < n; i++)
			printf("%s = %s\n", t[i]->name, t[i]->value);
		return;
	}
	printf("{");
	for (i = 0; i < n; i++) {
		printf(i ? "," : "");
		json_string(stdout, t[i]->name);
		printf(":");
		json_string(stdout, t[i]->value);
	}
	printf("}\n");
}

static int exec_tunable(struct cmd_ctx *ctx, int argc, char **argv)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__TunableGet get = RECLAIM__V1__TUNABLE_GET__INIT;
	Reclaim__V1__TunableSet set = RECLAIM__V1__TUNABLE_SET__INIT;
	Response *resp;
	int ret;

	if (strcmp(argv[1], "get") == 0 && argc <= 3) {
		get.name = argc == 3 ? argv[2] : "";
		req.msg_case = RECLAIM__V1__REQUEST__MSG_TUNABLE_GET;
		req.tunable_get = &get;
	} else if (strcmp(argv[1], "set") == 0 && argc == 4) {
		set.name = argv[2];
		set.value = argv[3];
		req.msg_case = RECLAIM__V1__REQUEST__MSG_TUNABLE_SET;
		req.tunable_set = &set;
	} else {
		return ctl_usage(&cmd_tunable_entry, NULL);
	}
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	if (resp->msg_case == RECLAIM__V1__RESPONSE__MSG_TUNABLE_GET)
		print_tunables(ctx, resp->tunable_get->tunables, resp->tunable_get->n_tunables);
	else
		print_tunables(ctx, &resp->tunable_set->tunable, 1);
	rclc_response_free(resp);
	return 0;
}
