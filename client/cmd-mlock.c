/*
 * cmd-mlock.c - `reclaimctl mlock ID` and `reclaimctl munlock ID`: lock a whole region in
 * memory (its pages unevictable, faulted in first) or make it evictable again, as mlock(2)
 * and munlock(2) over the region's whole range.
 */
#include <inttypes.h>
#include <string.h>

#include "reclaimctl.h"

static int exec_mlock(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_mlock_entry = {
	.name = "mlock",
	.usage = "ID",
	.help = "lock a whole region in memory, faulting it in (refused if it cannot fit)",
	.min_args = 1,
	.max_args = 1,
	.exec = exec_mlock,
};

const struct cmd_entry cmd_munlock_entry = {
	.name = "munlock",
	.usage = "ID",
	.help = "unlock a whole region: its pages may be reclaimed again",
	.min_args = 1,
	.max_args = 1,
	.exec = exec_mlock,
};

static int exec_mlock(struct cmd_ctx *ctx, int argc, char **argv)
{
	bool lock = strcmp(argv[0], "mlock") == 0;
	const struct cmd_entry *entry = lock ? &cmd_mlock_entry : &cmd_munlock_entry;
	struct rclc_range range = { 0 };
	uint64_t pages;
	int ret;

	(void)argc;
	if (ctl_parse_u64(argv[1], &range.region_id) < 0)
		return ctl_usage(entry, "bad ID");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = lock ? rclc_mlock(ctx->conn, &range, &pages) :
		     rclc_munlock(ctx->conn, &range, &pages);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "pages", pages);
		json_print(doc);
	} else {
		printf("%" PRIu64 " pages\n", pages);
	}
	return 0;
}
