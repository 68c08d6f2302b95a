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
	/* A new file: the owner's alone, as reclaimd's default. */
	struct rclc_alloc_opts o = { .persistent = true, .mode = 0600 };
	uint64_t bytes, id, pages;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'f': o.kind = RCLC_REGION_FILE; o.path = optarg; break;
		case 'm': o.memcg = optarg; break;
		case 's': o.shared = true; break;
		case 'l': o.locked = true; break;
		case 'p': o.populate = true; break;
		case 'x': o.exec = true; break;
		case 'o':
			if (ctl_parse_mode(optarg, &o.mode) < 0)
				return ctl_usage(&cmd_alloc_entry, "MODE must be octal, 0 to 0777");
			o.mode_set = true;
			break;
		default: return ctl_usage(&cmd_alloc_entry, NULL);
		}
	}
	if (optind != argc - 1)
		return ctl_usage(&cmd_alloc_entry, "one SIZE");
	if (ctl_parse_u64(argv[optind], &bytes) < 0) {
		fprintf(stderr, "reclaimctl alloc: '%s' is not a size (a number with an optional K, "
			"M or G suffix)\n", argv[optind]);
		return ctl_usage(&cmd_alloc_entry, NULL);
	}
	if (o.mode_set && o.kind != RCLC_REGION_FILE)
		return ctl_usage(&cmd_alloc_entry, "--mode is for --file regions");
	/* A file region always says its mode: 0600 unless given. */
	o.mode_set = o.kind == RCLC_REGION_FILE;
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_alloc(ctx->conn, bytes, &o, &id, &pages);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "region_id", id);
		json_add_u64(doc, "pages", pages);
		json_print(doc);
	} else {
		printf("%" PRIu64 "\n", id);
	}
	return 0;
}
