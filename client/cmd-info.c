/*
 * cmd-info.c - `reclaimctl info ID`: what a region is and where its pages are: its kind,
 * size, memcg, owner, file, and how many of its pages are resident, swapped, dirty and locked.
 */
#include <inttypes.h>

#include "reclaimctl.h"

static int exec_info(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_info_entry = {
	.name = "info",
	.usage = "ID",
	.help = "show a region: kind, size, memcg, owner, file, and its pages resident, swapped, "
		"dirty and locked",
	.min_args = 1,
	.max_args = 1,
	.exec = exec_info,
};

static int exec_info(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct rclc_region_info ri;
	uint64_t id;
	int ret;

	(void)argc;
	if (ctl_parse_u64(argv[1], &id) < 0)
		return ctl_usage(&cmd_info_entry, "bad ID");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_region_info(ctx->conn, id, &ri);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "region_id", ri.region_id);
		json_object_object_add(doc, "kind", json_object_new_string(
					       ri.kind == RCLC_REGION_FILE ? "file" : "anon"));
		json_add_u64(doc, "pages", ri.pages);
		json_object_object_add(doc, "memcg", json_object_new_string(ri.memcg));
		if (ri.kind == RCLC_REGION_FILE)
			json_object_object_add(doc, "path", json_object_new_string(ri.path));
		json_add_u64(doc, "owner_uid", ri.owner_uid);
		json_object_object_add(doc, "persistent", json_object_new_boolean(ri.persistent));
		json_add_u64(doc, "resident_pages", ri.resident_pages);
		json_add_u64(doc, "swapped_pages", ri.swapped_pages);
		json_add_u64(doc, "dirty_pages", ri.dirty_pages);
		json_add_u64(doc, "locked_pages", ri.locked_pages);
		json_print(doc);
		return 0;
	}
	printf("region %" PRIu64 ": %s, %" PRIu64 " pages, memcg %s, owner uid %u%s\n",
	       ri.region_id, ri.kind == RCLC_REGION_FILE ? "file" : "anonymous", ri.pages,
	       ri.memcg, ri.owner_uid, ri.persistent ? ", persistent" : "");
	if (ri.kind == RCLC_REGION_FILE)
		printf("file: %s\n", ri.path);
	printf("resident %" PRIu64 "  swapped %" PRIu64 "  dirty %" PRIu64 "  locked %" PRIu64
	       " pages\n", ri.resident_pages, ri.swapped_pages, ri.dirty_pages, ri.locked_pages);
	return 0;
}
