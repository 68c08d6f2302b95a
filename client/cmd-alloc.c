/*
 * cmd-alloc.c - `reclaimctl alloc SIZE`: create a persistent region and print its id.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>

#include "reclaimctl.h"

static int exec_alloc(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_alloc_entry = {
	.name = "alloc",
	.usage = "SIZE [--file PATH [--shared] [--mode MODE]] [--memcg PATH] [--locked] "
		 "[--populate] [--exec]",
	.help = "create a persistent anonymous or file region; prints its id",
	.min_args = 1,
	.max_args = -1,
	.exec = exec_alloc,
};

static int exec_alloc(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "memcg", required_argument, NULL, 'm' },
		{ "shared", no_argument, NULL, 's' },
		{ "locked", no_argument, NULL, 'l' },
		{ "populate", no_argument, NULL, 'p' },
		{ "exec", no_argument, NULL, 'x' },
		{ "mode", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionCreate rc = RECLAIM__V1__REGION_CREATE__INIT;
	Reclaim__V1__FileMode fm = RECLAIM__V1__FILE_MODE__INIT;
	uint32_t mode = 0600;	/* a new file: the owner's alone, as reclaimd's default */
	bool mode_set = false;
	Response *resp;
	int opt, ret;

	rc.persistent = true;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'f': rc.kind = RECLAIM__V1__REGION_KIND__REGION_FILE; rc.path = optarg; break;
		case 'm': rc.memcg = optarg; break;
		case 's': rc.shared = true; break;
		case 'l': rc.locked = true; break;
		case 'p': rc.populate = true; break;
		case 'x': rc.exec = true; break;
		case 'o':
			if (ctl_parse_mode(optarg, &mode) < 0)
				return ctl_usage(&cmd_alloc_entry, "MODE must be octal, 0 to 0777");
			mode_set = true;
			break;
		default: return ctl_usage(&cmd_alloc_entry, NULL);
		}
	}
	if (optind != argc - 1)
		return ctl_usage(&cmd_alloc_entry, "one SIZE");
	if (ctl_parse_u64(argv[optind], &rc.bytes) < 0) {
		fprintf(stderr, "reclaimctl alloc: '%s' is not a size (a number with an optional K, "
			"M or G suffix)\n", argv[optind]);
		return ctl_usage(&cmd_alloc_entry, NULL);
	}
	if (mode_set && rc.kind != RECLAIM__V1__REGION_KIND__REGION_FILE)
		return ctl_usage(&cmd_alloc_entry, "--mode is for --file regions");
	if (rc.kind == RECLAIM__V1__REGION_KIND__REGION_FILE) {
		fm.bits = mode;
		rc.mode = &fm;
	}
	req.msg_case = RECLAIM__V1__REQUEST__MSG_REGION_CREATE;
	req.region_create = &rc;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	if (ctx->json)
		printf("{\"region_id\":%" PRIu64 ",\"pages\":%" PRIu64 "}\n",
		       resp->region_create->region_id, resp->region_create->pages);
	else
		printf("%" PRIu64 "\n", resp->region_create->region_id);
	rclc_response_free(resp);
	return 0;
}
