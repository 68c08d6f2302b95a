/*
 * req-stat.c - Hello and the /proc-style views: meminfo, vmstat, zoneinfo, buddyinfo.
 *
 * The views are the engine's own text (rcl_engine_show), so `reclaimctl stat vmstat` reads
 * like /proc/vmstat; meminfo and vmstat also go out as counters for scripts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoconfig.h"
#include "accept-budget.h"
#include "config.h"
#include "dispatch.h"
#include "reclaim/engine.h"
#include "mapfd.h"
#include "server.h"
#include "status.h"

#define CLIENT_NAME_MAX	64	/* Hello.client_name, bytes */
#define HELLO_MEMCG_MAX	255	/* Hello.memcg, bytes: checked when used */

int req_hello(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__Hello *hello = req->hello;
	const struct daemon_config *c = ctx->config;
	Reclaim__V1__HelloReply *r;
	struct rcl_engine_info info;

	if (hello->protocol_version != RECLAIM_PROTOCOL_VERSION) {
		status_set(resp, CODE(PROTOCOL_ERROR),
			   "hello: protocol_version %u is not supported: this server speaks %u",
			   hello->protocol_version, RECLAIM_PROTOCOL_VERSION);
		return -EPROTO;
	}
	if (strlen(hello->client_name) > CLIENT_NAME_MAX) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "hello: client_name is longer than %u bytes", CLIENT_NAME_MAX);
		return -EINVAL;
	}
	if (strlen(hello->memcg) > HELLO_MEMCG_MAX) {
		status_set(resp, CODE(INVALID_ARGUMENT), "hello: memcg is longer than %u bytes",
			   HELLO_MEMCG_MAX);
		return -EINVAL;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__hello_reply__init(r);
	resp->msg_case = RESP(HELLO);
	resp->hello = r;
	r->server_version = strdup(PACKAGE_VERSION);
	if (!r->server_version)
		return -ENOMEM;
	rcl_engine_info(ctx->engine, &info);
	r->protocol_version = RECLAIM_PROTOCOL_VERSION;
	r->page_size = info.page_size;
	r->arena_bytes = info.arena_bytes;
	r->nr_nodes = info.nr_nodes;
	r->max_frame_bytes = (uint32_t)c->max_frame_bytes;
	r->max_connections = c->max_client_connections;
	r->max_regions = c->max_client_regions;
	r->max_bytes = c->max_client_bytes;
	r->uid = (uint32_t)ctx->uid;
	r->admin = ctx->admin;
	r->reclaim_policy = strdup(rcl_reclaim_policy_names[info.reclaim_policy]);
	if (!r->reclaim_policy)
		return -ENOMEM;
	return 0;
}

static const enum rcl_view stat_views[] = {
	[RECLAIM__V1__STAT_VIEW__MEMINFO] = RCL_VIEW_MEMINFO,
	[RECLAIM__V1__STAT_VIEW__VMSTAT] = RCL_VIEW_VMSTAT,
	[RECLAIM__V1__STAT_VIEW__ZONEINFO] = RCL_VIEW_ZONEINFO,
	[RECLAIM__V1__STAT_VIEW__BUDDYINFO] = RCL_VIEW_BUDDYINFO,
};

/*
 * "MemFree:   1234 kB" or "nr_free_pages 1234": a name, then one number. Lines of another
 * shape (zoneinfo's, buddyinfo's) are not counters. 1 with *ret_name (malloc'd) and *ret_value,
 * 0 for another shape, -ENOMEM.
 */
static int parse_counter(const char *line, size_t len, char **ret_name, uint64_t *ret_value)
{
	size_t n = 0, i;
	char *end;
	unsigned long long v;

	while (n < len && line[n] != ' ' && line[n] != ':' && line[n] != '\t')
		n++;
	i = n;
	if (i < len && line[i] == ':')
		i++;
	while (i < len && line[i] == ' ')
		i++;
	if (n == 0 || i >= len || line[i] < '0' || line[i] > '9')
		return 0;
	v = strtoull(line + i, &end, 10);
	if (end > line + len || (end < line + len && strncmp(end, " kB", 3) != 0))
		return 0;
	*ret_name = strndup(line, n);
	if (!*ret_name)
		return -ENOMEM;
	*ret_value = v;
	return 1;
}

/* Every counter-shaped line of TEXT as a Counter of R. 0 or -ENOMEM. */
static int stat_counters(Reclaim__V1__StatReply *r, const char *text)
{
	const char *p = text, *nl;
	size_t lines = 1;

	for (nl = text; (nl = strchr(nl, '\n')); nl++)
		lines++;
	r->counters = calloc(lines, sizeof(*r->counters));
	if (!r->counters)
		return -ENOMEM;
	for (; *p; p = nl ? nl + 1 : p + strlen(p)) {
		Reclaim__V1__Counter *c;
		char *name;
		uint64_t value;
		int ret;

		nl = strchr(p, '\n');
		ret = parse_counter(p, nl ? (size_t)(nl - p) : strlen(p), &name, &value);
		if (ret <= 0) {
			if (ret < 0)
				return ret;
			continue;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			free(name);
			return -ENOMEM;
		}
		reclaim__v1__counter__init(c);
		c->name = name;
		c->value = value;
		r->counters[r->n_counters++] = c;
	}
	return 0;
}

/* The daemon's own counters (server.h, mapfd.h), as R->daemon. 0 or -ENOMEM. */
static int stat_daemon(Reclaim__V1__StatReply *r, struct server *s)
{
	static const char *const names[] = {
		"requests_on_loop", "requests_on_workers", "fault_poll_usecs", "fault_waits",
		"fault_polls", "fault_poll_hits", "fault_poll_window_usecs",
		"engine_lock_acquired", "engine_lock_contended", "engine_lock_wait_usecs",
		"fault_handoffs", "calls_on_workers", "calls_waiting_for_workers",
		"fault_covers", "fault_covered", "connections_accepted", "accept_turn_max",
		"listeners_accept_turn_max", "connection_cleanups",
	};
	struct rcl_engine_info info;
	struct mapfd_stats fs;
	uint64_t values[sizeof(names) / sizeof(names[0])];
	size_t i, n = sizeof(names) / sizeof(names[0]);

	mapfd_stats(s->mapfd, &fs);
	values[0] = atomic_load_explicit(&s->nr_requests_loop, memory_order_relaxed);
	values[1] = atomic_load_explicit(&s->nr_requests_worker, memory_order_relaxed);
	values[2] = fs.poll_us;
	values[3] = fs.waits;
	values[4] = fs.polls;
	values[5] = fs.poll_hits;
	values[6] = fs.window_us;
	rcl_engine_info(s->engine, &info);
	values[7] = info.lock_acquired;
	values[8] = info.lock_contended;
	values[9] = info.lock_wait_ns / 1000;
	values[10] = fs.handoffs;
	values[11] = atomic_load(&s->nr_on_workers);
	values[12] = atomic_load(&s->nr_worker_waiters);
	values[13] = fs.covers;
	values[14] = fs.covered;
	values[15] = s->nr_accepted;		/* the loop's own: this runs on the loop */
	values[16] = s->accept_turn_max;
	values[17] = accept_budget_turn_max();	/* the loop's own, as above */
	values[18] = s->nr_cleanups;		/* likewise */
	r->daemon = calloc(n, sizeof(*r->daemon));
	if (!r->daemon)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		Reclaim__V1__Counter *c = malloc(sizeof(*c));

		if (!c)
			return -ENOMEM;
		reclaim__v1__counter__init(c);
		c->name = strdup(names[i]);
		if (!c->name) {
			free(c);
			return -ENOMEM;
		}
		c->value = values[i];
		r->daemon[r->n_daemon++] = c;
	}
	return 0;
}

int req_stat(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__StatView view = req->stat->view;
	Reclaim__V1__StatReply *r;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if ((unsigned int)view >= sizeof(stat_views) / sizeof(stat_views[0])) {
		status_set(resp, CODE(INVALID_ARGUMENT), "stat: unknown view %d", (int)view);
		return -EINVAL;
	}
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	ret = rcl_engine_show(ctx->engine, stat_views[view], f);
	if (fclose(f) != 0 && ret == 0)
		ret = -ENOMEM;
	if (ret < 0) {
		free(text);
		return ret;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		free(text);
		return -ENOMEM;
	}
	reclaim__v1__stat_reply__init(r);
	resp->msg_case = RESP(STAT);
	resp->stat = r;
	r->view = view;
	r->text = text;
	ret = stat_daemon(r, ctx->server);
	if (ret < 0)
		return ret;
	if (view == RECLAIM__V1__STAT_VIEW__MEMINFO || view == RECLAIM__V1__STAT_VIEW__VMSTAT)
		return stat_counters(r, text);
	return 0;
}
