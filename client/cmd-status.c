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

/* The daemon's own counters status --json carries, under their names. */
static const char *const daemon_counters[] = {
	"requests_on_loop", "requests_on_workers", "fault_poll_usecs", "fault_waits",
	"fault_polls", "fault_poll_hits", "fault_poll_window_usecs", "engine_lock_acquired",
	"engine_lock_contended", "engine_lock_wait_usecs", "fault_handoffs", "calls_on_workers",
	"calls_waiting_for_workers", "fault_covers", "fault_covered", "connections_accepted",
	"accept_turn_max", "listeners_accept_turn_max", "connection_cleanups",
};

static void print_json(const struct rclc_hello_info *hello, const struct ctl_counters *m,
		       const struct ctl_counters *d, const char *level)
{
	struct json_object *doc = json_object_new_object();
	uint64_t total = ctl_counter(m, "MemTotal"), free_kb = ctl_counter(m, "MemFree");
	uint64_t swap_total = ctl_counter(m, "SwapTotal"), swap_free = ctl_counter(m, "SwapFree");
	size_t i;

	json_object_object_add(doc, "server_version",
			       json_object_new_string(hello->server_version));
	json_add_u64(doc, "page_size", hello->page_size);
	json_add_u64(doc, "nodes", hello->nr_nodes);
	json_add_u64(doc, "total_kb", total);
	json_add_u64(doc, "used_kb", total - free_kb);
	json_add_u64(doc, "free_kb", free_kb);
	json_add_u64(doc, "available_kb", ctl_counter(m, "MemAvailable"));
	json_add_u64(doc, "raw_kb", ctl_counter(m, "RawPages"));
	json_add_u64(doc, "swap_total_kb", swap_total);
	json_add_u64(doc, "swap_used_kb", swap_total - swap_free);
	json_add_u64(doc, "swap_free_kb", swap_free);
	json_object_object_add(doc, "pressure", json_object_new_string(level));
	json_object_object_add(doc, "reclaim_policy",
			       json_object_new_string(hello->reclaim_policy));
	for (i = 0; i < sizeof(daemon_counters) / sizeof(daemon_counters[0]); i++)
		json_add_u64(doc, daemon_counters[i], ctl_counter(d, daemon_counters[i]));
	json_print(doc);
}

static void print_text(const struct rclc_hello_info *hello, const struct ctl_counters *m,
		       const struct ctl_counters *d, const char *level)
{
	uint64_t total = ctl_counter(m, "MemTotal"), free_kb = ctl_counter(m, "MemFree");
	/* As free(1): used is what is not free of the swap file. */
	uint64_t swap_total = ctl_counter(m, "SwapTotal"), swap_free = ctl_counter(m, "SwapFree");

	printf("%-8s %12s %12s %12s %12s %12s\n", "KiB", "total", "used", "free", "available",
	       "raw");
	printf("%-8s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
	       "Mem:", total, total - free_kb, free_kb, ctl_counter(m, "MemAvailable"),
	       ctl_counter(m, "RawPages"));
	printf("%-8s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", "Swap:", swap_total,
	       swap_total - swap_free, swap_free);
	printf("pressure %s\n", level);
	printf("reclaimd %s, %u node%s, %u-byte pages, reclaim policy %s\n",
	       hello->server_version, hello->nr_nodes, hello->nr_nodes == 1 ? "" : "s",
	       hello->page_size, hello->reclaim_policy);
	if (ctl_counter(d, "fault_poll_usecs"))
		printf("mapped faults: busy-poll up to %" PRIu64 " usecs after each (window now %"
		       PRIu64 ")\n", ctl_counter(d, "fault_poll_usecs"),
		       ctl_counter(d, "fault_poll_window_usecs"));
	else
		printf("mapped faults: no busy-polling\n");
	printf("engine lock: taken %" PRIu64 " times, %" PRIu64 " after a wait, %.3f s waited in "
	       "all\n", ctl_counter(d, "engine_lock_acquired"),
	       ctl_counter(d, "engine_lock_contended"),
	       (double)ctl_counter(d, "engine_lock_wait_usecs") / 1e6);
}

static int exec_status(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct ctl_counters m = { 0 }, d = { 0 };
	const char *level = "none";
	int ret;

	ret = ctl_counters(ctx, RCLC_STAT_MEMINFO, &m);
	if (!ret)
		ret = pressure_level(ctx, &level);
	if (!ret) {
		ret = rclc_daemon_counters(ctx->conn, &d.v, &d.n);
		ret = ret < 0 ? ctl_fail(ctx, ret) : 0;
	}
	if (!ret) {
		if (ctx->json)
			print_json(&ctx->hello, &m, &d, level);
		else
			print_text(&ctx->hello, &m, &d, level);
	}
	ctl_counters_free(&m);
	ctl_counters_free(&d);
	return ret;
}
