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
	.help = "memory and swap total, used and free like free(1) (KiB), and the pressure level",
	.min_args = 0,
	.max_args = 0,
	.exec = exec_status,
};

static const char *const level_names[] = { "none", "low", "medium", "critical" };

/* The daemon's pressure level: 0 or the exit status of a refusal. */
static int pressure_level(struct cmd_ctx *ctx, const char **ret_level)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__PressureNow pn = RECLAIM__V1__PRESSURE_NOW__INIT;
	Response *resp;
	unsigned int level;
	int ret;

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

/* One of the daemon's own counters of R (requests_on_loop, ...): 0 from a daemon without. */
static uint64_t daemon_counter(const Reclaim__V1__StatReply *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_daemon; i++)
		if (!strcmp(r->daemon[i]->name, name))
			return r->daemon[i]->value;
	return 0;
}

static int exec_status(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *level = "none";
	const Reclaim__V1__HelloReply *hello;
	const Reclaim__V1__StatReply *r;
	uint64_t total, free_kb, avail, raw, swap_total, swap_free;
	Response *resp;
	int ret;

	ret = ctl_stat(ctx, RECLAIM__V1__STAT_VIEW__MEMINFO, &resp);
	if (ret)
		return ret;
	ret = pressure_level(ctx, &level);
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
	/* As free(1): used is what is not free of the swap file. */
	swap_total = ctl_counter(r, "SwapTotal");
	swap_free = ctl_counter(r, "SwapFree");
	if (ctx->json) {
		printf("{\"server_version\":");
		json_string(stdout, hello->server_version);
		printf(",\"page_size\":%u,\"nodes\":%u,\"total_kb\":%" PRIu64 ",\"used_kb\":%" PRIu64
		       ",\"free_kb\":%" PRIu64 ",\"available_kb\":%" PRIu64 ",\"raw_kb\":%" PRIu64
		       ",\"swap_total_kb\":%" PRIu64 ",\"swap_used_kb\":%" PRIu64
		       ",\"swap_free_kb\":%" PRIu64 ",\"pressure\":\"%s\",\"reclaim_policy\":\"%s\""
		       ",\"requests_on_loop\":%" PRIu64 ",\"requests_on_workers\":%" PRIu64
		       ",\"fault_poll_usecs\":%" PRIu64 ",\"fault_waits\":%" PRIu64
		       ",\"fault_polls\":%" PRIu64 ",\"fault_poll_hits\":%" PRIu64 "}\n",
		       hello->page_size, hello->nr_nodes, total, total - free_kb, free_kb, avail,
		       raw, swap_total, swap_total - swap_free, swap_free, level,
		       *hello->reclaim_policy ? hello->reclaim_policy : "two-list",
		       daemon_counter(r, "requests_on_loop"),
		       daemon_counter(r, "requests_on_workers"),
		       daemon_counter(r, "fault_poll_usecs"), daemon_counter(r, "fault_waits"),
		       daemon_counter(r, "fault_polls"), daemon_counter(r, "fault_poll_hits"));
	} else {
		printf("%-8s %12s %12s %12s %12s %12s\n", "KiB", "total", "used", "free",
		       "available", "raw");
		printf("%-8s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
		       "\n", "Mem:", total, total - free_kb, free_kb, avail, raw);
		printf("%-8s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", "Swap:", swap_total,
		       swap_total - swap_free, swap_free);
		printf("pressure %s\n", level);
		printf("reclaimd %s, %u node%s, %u-byte pages, reclaim policy %s\n",
		       hello->server_version, hello->nr_nodes, hello->nr_nodes == 1 ? "" : "s",
		       hello->page_size,
		       *hello->reclaim_policy ? hello->reclaim_policy : "two-list");
		if (daemon_counter(r, "fault_poll_usecs"))
			printf("mapped faults: busy-poll up to %" PRIu64 " usecs after each "
			       "(window now %" PRIu64 ")\n", daemon_counter(r, "fault_poll_usecs"),
			       daemon_counter(r, "fault_poll_window_usecs"));
		else
			printf("mapped faults: no busy-polling\n");
	}
	rclc_response_free(resp);
	return 0;
}
