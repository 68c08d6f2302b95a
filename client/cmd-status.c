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
	struct rclc_pressure p;
	int ret = rclc_pressure(ctx->conn, NULL, &p);

	if (ret < 0)
		return ctl_fail(ctx, ret);
	*ret_level = (unsigned int)p.level < 4 ? level_names[p.level] : "unknown";
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

/* The daemon's own counters status --json carries, under their names. */
static const char *const daemon_counters[] = {
	"requests_on_loop", "requests_on_workers", "fault_poll_usecs", "fault_waits",
	"fault_polls", "fault_poll_hits", "fault_poll_window_usecs", "engine_lock_acquired",
	"engine_lock_contended", "engine_lock_wait_usecs", "fault_handoffs",
};

static void print_json(const Reclaim__V1__HelloReply *hello, const Reclaim__V1__StatReply *r,
		       const char *level)
{
	const char *policy = *hello->reclaim_policy ? hello->reclaim_policy : "two-list";
	struct json_object *doc = json_object_new_object();
	uint64_t total = ctl_counter(r, "MemTotal"), free_kb = ctl_counter(r, "MemFree");
	uint64_t swap_total = ctl_counter(r, "SwapTotal"), swap_free = ctl_counter(r, "SwapFree");
	size_t i;

	json_object_object_add(doc, "server_version",
			       json_object_new_string(hello->server_version));
	json_add_u64(doc, "page_size", hello->page_size);
	json_add_u64(doc, "nodes", hello->nr_nodes);
	json_add_u64(doc, "total_kb", total);
	json_add_u64(doc, "used_kb", total - free_kb);
	json_add_u64(doc, "free_kb", free_kb);
	json_add_u64(doc, "available_kb", ctl_counter(r, "MemAvailable"));
	json_add_u64(doc, "raw_kb", ctl_counter(r, "RawPages"));
	json_add_u64(doc, "swap_total_kb", swap_total);
	json_add_u64(doc, "swap_used_kb", swap_total - swap_free);
	json_add_u64(doc, "swap_free_kb", swap_free);
	json_object_object_add(doc, "pressure", json_object_new_string(level));
	json_object_object_add(doc, "reclaim_policy", json_object_new_string(policy));
	for (i = 0; i < sizeof(daemon_counters) / sizeof(daemon_counters[0]); i++)
		json_add_u64(doc, daemon_counters[i], daemon_counter(r, daemon_counters[i]));
	json_print(doc);
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
		print_json(hello, r, level);
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
		printf("engine lock: taken %" PRIu64 " times, %" PRIu64 " after a wait, %.3f s "
		       "waited in all\n", daemon_counter(r, "engine_lock_acquired"),
		       daemon_counter(r, "engine_lock_contended"),
		       (double)daemon_counter(r, "engine_lock_wait_usecs") / 1e6);
	}
	rclc_response_free(resp);
	return 0;
}
