/*
 * cmd-status.c - `reclaimctl status`: a free(1)-like summary of the daemon's memory.
 */
#include <inttypes.h>
#include <string.h>

#include "reclaimctl.h"

static int exec_status(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "",
	.help = "memory summary like free(1) (KiB), swap in use and the pressure level",
	.min_args = 0,
	.max_args = 0,
	.exec = exec_status,
};

static const char *const level_names[] = { "none", "low", "medium", "critical" };

/* Swap in use (the root group's memory.stat "swap", bytes) and the daemon's pressure level.
 * 0 or the exit status of a refusal. */
static int swap_and_pressure(struct cmd_ctx *ctx, uint64_t *ret_swap, const char **ret_level)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MemcgStat ms = RECLAIM__V1__MEMCG_STAT__INIT;
	Reclaim__V1__PressureNow pn = RECLAIM__V1__PRESSURE_NOW__INIT;
	Response *resp;
	unsigned int level;
	int ret;

	ms.path = "/";
	req.msg_case = RECLAIM__V1__REQUEST__MSG_MEMCG_STAT;
	req.memcg_stat = &ms;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	*ret_swap = resp->memcg_stat->swap_bytes;
	rclc_response_free(resp);
	pn.memcg = "";
	req.msg_case = RECLAIM__V1__REQUEST__MSG_PRESSURE;
	req.pressure = &pn;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	level = (unsigned int)resp->pressure->level;
	*ret_level = level < 4 ? level_names[level] : "unknown";
	rclc_response_free(resp);
	return 0;
}

static int exec_status(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *level = "none";
	uint64_t swap = 0;
	const Reclaim__V1__HelloReply *hello;
	const Reclaim__V1__StatReply *r;
	uint64_t total, free_kb, avail, raw;
	Response *resp;
	int ret;

	ret = ctl_stat(ctx, RECLAIM__V1__STAT_VIEW__MEMINFO, &resp);
	if (ret)
		return ret;
	ret = swap_and_pressure(ctx, &swap, &level);
	if (ret) {
		rclc_response_free(resp);
		return ret;
	}
	r = resp->stat;
	hello = rclc_server(ctx->conn);
	total = ctl_counter(r, "MemTotal");
	free_kb = ctl_counter(r, "MemFree");
	avail = ctl_counter(r, "MemAvailable");
	raw = ctl_counter(r, "RawPages");
	if (ctx->json) {
		printf("{\"server_version\":");
		json_string(stdout, hello->server_version);
		printf(",\"page_size\":%u,\"nodes\":%u,\"total_kb\":%" PRIu64 ",\"used_kb\":%" PRIu64
		       ",\"free_kb\":%" PRIu64 ",\"available_kb\":%" PRIu64 ",\"raw_kb\":%" PRIu64
		       ",\"swap_used_kb\":%" PRIu64 ",\"pressure\":\"%s\"}\n", hello->page_size,
		       hello->nr_nodes, total, total - free_kb, free_kb, avail, raw, swap >> 10,
		       level);
	} else {
		printf("%-8s %12s %12s %12s %12s %12s\n", "KiB", "total", "used", "free",
		       "available", "raw");
		printf("%-8s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
		       "\n", "Mem:", total, total - free_kb, free_kb, avail, raw);
		printf("%-8s %12s %12" PRIu64 "\n", "Swap:", "", swap >> 10);
		printf("pressure %s\n", level);
		printf("reclaimd %s, %u node%s, %u-byte pages\n", hello->server_version,
		       hello->nr_nodes, hello->nr_nodes == 1 ? "" : "s", hello->page_size);
	}
	rclc_response_free(resp);
	return 0;
}
