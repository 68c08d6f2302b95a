/*
 * metrics.c - /metrics in the Prometheus text format, every family with HELP and TYPE: the
 * vmstat items under their kernel names (as node_exporter passes /proc/vmstat), meminfo in
 * bytes, the build, and per memcg its usage, memory.events, vmpressure level (a state set) and
 * PSI (stall seconds, averages as ratios).
 *
 * Reading memcgs takes the engine's lock, which a worker may hold across reclaim I/O; the loop
 * thread must never wait for it. So a worker renders a snapshot whenever the cron timer asks
 * (once a second), and the HTTP handler on the loop answers with the latest one at once: a
 * scrape sees figures at most a second old, and a busy engine never stalls the daemon.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoconfig.h"
#include "fdlimit.h"
#include "http-admit.h"
#include "log.h"
#include "mapfd.h"
#include "metrics.h"
#include "server.h"
#include "workers.h"
#include "reclaim/memcg.h"
#include "reclaim/pressure.h"

/*
 * What an HTTP client may make the daemon hold: a request's headers, its body (a scrape has
 * none), and an idle or trickling connection's lifetime. Anyone who reaches the port may
 * connect, without a uid to hold to a limit.
 */
#define METRICS_MAX_HEADERS	8192
#define METRICS_MAX_BODY	4096
#define METRICS_TIMEOUT_SECONDS	10	/* also for a whole request: http-admit.h */
#define METRICS_MAX_CONNECTIONS	32	/* a new one closes the longest waiting */

struct metrics {
	struct server *server;
	struct evhttp *http;
	struct fd_rest *rest;		/* the listener's, out of descriptors */
	struct http_admit *admit;	/* its connections' number and time */
	struct job job;
	bool rendering;		/* the job is queued or running */
	char *text;		/* the latest snapshot (loop thread) */
	size_t len;
	char *next;		/* rendered by the worker, handed over in done */
	size_t next_len;
};

/* "# HELP" and "# TYPE" of a family: every family gets both, as promtool wants. */
static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Every /proc/vmstat item as node_exporter passes them on: its kernel name, untyped (the
 * counters and the levels are not told apart there either), the raw value (pages or events).
 */
static void emit_vmstat(void *arg, const char *name, uint64_t value, bool cumulative)
{
	FILE *out = arg;
	char metric[128], help[160];

	(void)cumulative;
	snprintf(metric, sizeof(metric), "reclaimd_vmstat_%s", name);
	snprintf(help, sizeof(help), "/proc/vmstat information field %s.", name);
	family(out, metric, "untyped", help);
	fprintf(out, "%s %" PRIu64 "\n", metric, value);
}

/* "Name:   123 kB" lines of meminfo as reclaimd_meminfo_bytes{field="Name"}. */
static void emit_meminfo(struct rcl_engine *engine, FILE *out)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	rcl_engine_show(engine, RCL_VIEW_MEMINFO, f);
	fclose(f);
	family(out, "reclaimd_meminfo_bytes", "gauge",
	       "The daemon's /proc/meminfo: each field, in bytes.");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char field[64];
		unsigned long long kb;

		if (sscanf(line, "%63[^:]: %llu kB", field, &kb) == 2)
			fprintf(out, "reclaimd_meminfo_bytes{field=\"%s\"} %llu\n", field, kb * 1024);
	}
	free(text);
}

/*
 * The "key value" lines that @show writes for group @id, as samples of @metric with @path and
 * the key (label @label) as labels: every key, or only those in @keys (NULL-terminated).
 */
static void emit_memcg_keyed(struct rcl_engine *engine, uint32_t id, const char *path,
			     int (*show)(struct rcl_engine *, uint32_t, FILE *),
			     const char *metric, const char *label, const char *const *keys,
			     FILE *out)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *const *k;

	if (!f)
		return;
	show(engine, id, f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[32];
		unsigned long long v;

		if (sscanf(line, "%31s %llu", key, &v) != 2)
			continue;
		for (k = keys; k && *k && strcmp(*k, key); k++)
			;
		if (!keys || *k)
			fprintf(out, "%s{memcg=\"%s\",%s=\"%s\"} %llu\n", metric, path, label,
				key, v);
	}
	free(text);
}

/* The memory.stat counters of a group's faults and reclaim (its limit reclaim counts there
 * alone, as in v4.19, not in the global vmstat); the rest of memory.stat are sizes. */
static const char *const memcg_vm_events[] = {
	"pgfault", "pgmajfault", "pgscan_direct", "pgscan_kswapd", "pgsteal_direct",
	"pgsteal_kswapd", "workingset_refault", "workingset_activate", NULL,
};

static const char *const psi_kinds[] = { "some", "full" };

/*
 * The memcg families, one family at a time (the text format wants a family's samples
 * together): @what selects which of them this pass over the memcgs writes.
 */
enum memcg_family { MF_USAGE, MF_LEVEL, MF_STALL, MF_AVG, MF_EVENTS, MF_VM_EVENTS, NR_MF };

static void emit_memcg(struct rcl_engine *engine, uint32_t id, enum memcg_family what,
		       FILE *out)
{
	enum rcl_pressure_level level;
	struct rcl_psi psi;
	char path[1024];
	uint64_t usage;
	int k;

	if (rcl_memcg_path(engine, id, path, sizeof(path)) < 0)
		return;
	switch (what) {
	case MF_USAGE:
		if (rcl_memcg_usage(engine, id, &usage) == 0)
			fprintf(out, "reclaimd_memcg_usage_bytes{memcg=\"%s\"} %" PRIu64 "\n", path,
				usage);
		break;
	case MF_LEVEL:
		/* A state set: one series per level, 1 for the current one. */
		if (rcl_pressure_now(engine, id, &level) == 0)
			for (k = 0; k < RCL_PRESSURE_NR_LEVELS; k++)
				fprintf(out, "reclaimd_memcg_pressure_level{memcg=\"%s\","
					"level=\"%s\"} %d\n", path, rcl_pressure_level_names[k],
					(int)level == k);
		break;
	case MF_STALL:
	case MF_AVG:
		if (rcl_psi_read(engine, id, &psi) < 0)
			break;
		for (k = 0; k < 2; k++) {
			const struct rcl_psi_figures *fig = k ? &psi.full : &psi.some;

			if (what == MF_STALL) {
				fprintf(out, "reclaimd_memcg_pressure_stall_seconds_total{memcg="
					"\"%s\",kind=\"%s\"} %.6f\n", path, psi_kinds[k],
					(double)fig->total_usec / 1e6);
				continue;
			}
			/* memory.pressure's percentages as ratios 0..1. */
			fprintf(out, "reclaimd_memcg_pressure_stall_ratio{memcg=\"%s\",kind=\"%s\","
				"window=\"10s\"} %.4f\nreclaimd_memcg_pressure_stall_ratio{memcg="
				"\"%s\",kind=\"%s\",window=\"60s\"} %.4f\n"
				"reclaimd_memcg_pressure_stall_ratio{memcg=\"%s\",kind=\"%s\","
				"window=\"300s\"} %.4f\n", path, psi_kinds[k], fig->avg10 / 100,
				path, psi_kinds[k], fig->avg60 / 100, path, psi_kinds[k],
				fig->avg300 / 100);
		}
		break;
	case MF_EVENTS:
		emit_memcg_keyed(engine, id, path, rcl_memcg_show_events,
				 "reclaimd_memcg_events_total", "event", NULL, out);
		break;
	case MF_VM_EVENTS:
		emit_memcg_keyed(engine, id, path, rcl_memcg_show_stat,
				 "reclaimd_memcg_vm_events_total", "event", memcg_vm_events, out);
		break;
	case NR_MF:
		break;
	}
}

void metrics_render(struct rcl_engine *engine, FILE *out)
{
	static const char *const families[NR_MF][3] = {
		[MF_USAGE] = { "reclaimd_memcg_usage_bytes", "gauge",
			       "Memory charged to the memcg (memory.current), in bytes." },
		[MF_LEVEL] = { "reclaimd_memcg_pressure_level", "gauge",
			       "The memcg's vmpressure level (none, low, medium, critical; none "
			       "once no reclaim window closed lately): 1 for the current level, 0 "
			       "for the others." },
		[MF_STALL] = { "reclaimd_memcg_pressure_stall_seconds_total", "counter",
			       "Time tasks stalled on memory in the memcg (memory.pressure total), "
			       "some or full, in seconds." },
		[MF_AVG] = { "reclaimd_memcg_pressure_stall_ratio", "gauge",
			     "Share of time stalled on memory, some or full, averaged over the "
			     "window (memory.pressure avg10/avg60/avg300), from 0 to 1." },
		[MF_EVENTS] = { "reclaimd_memcg_events_total", "counter",
				"The memcg's memory.events counters (low, high, max, oom, "
				"oom_kill), by event." },
		[MF_VM_EVENTS] = { "reclaimd_memcg_vm_events_total", "counter",
				   "The memcg's faults and reclaim from its memory.stat (pgfault, "
				   "pgmajfault, pgscan_/pgsteal_ direct and kswapd, workingset_"
				   "refault and _activate), by event; its limit reclaim counts "
				   "here, not in reclaimd_vmstat_pgscan_direct and the like." },
	};
	struct rcl_engine_info info;
	uint32_t *ids = NULL;
	int mf, n, i;

	family(out, "reclaimd_up", "gauge", "Always 1 while the daemon serves.");
	fprintf(out, "reclaimd_up 1\n");
	family(out, "reclaimd_build_info", "gauge", "The daemon's version, as a label; always 1.");
	fprintf(out, "reclaimd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	rcl_engine_info(engine, &info);
	family(out, "reclaimd_reclaim_policy_info", "gauge",
	       "The reclaim policy (--reclaim-policy), as a label; always 1.");
	fprintf(out, "reclaimd_reclaim_policy_info{policy=\"%s\"} 1\n",
		rcl_reclaim_policy_names[info.reclaim_policy]);
	rcl_vmstat_foreach(engine, emit_vmstat, out);
	emit_meminfo(engine, out);
	/* One listing for every family: a group shows in all of them or none. */
	n = rcl_memcg_list_alloc(engine, RCL_MEMCG_ROOT, &ids);
	for (mf = 0; mf < NR_MF; mf++) {
		family(out, families[mf][0], families[mf][1], families[mf][2]);
		for (i = 0; i < n; i++)
			emit_memcg(engine, ids[i], (enum memcg_family)mf, out);
	}
	free(ids);
}

/* The engine's model lock: how often threads waited for it and how long (what splitting it
 * buys back). */
static void emit_engine_lock(struct rcl_engine *engine, FILE *out)
{
	struct rcl_engine_info info;

	rcl_engine_info(engine, &info);
	family(out, "reclaimd_engine_lock_acquired_total", "counter",
	       "Times the engine's model lock (mm_lock) was taken.");
	fprintf(out, "reclaimd_engine_lock_acquired_total %" PRIu64 "\n", info.lock_acquired);
	family(out, "reclaimd_engine_lock_contended_total", "counter",
	       "Times a thread had to wait for the engine's model lock.");
	fprintf(out, "reclaimd_engine_lock_contended_total %" PRIu64 "\n", info.lock_contended);
	family(out, "reclaimd_engine_lock_wait_seconds_total", "counter",
	       "Time threads spent waiting for the engine's model lock, summed over threads.");
	fprintf(out, "reclaimd_engine_lock_wait_seconds_total %.9f\n",
		(double)info.lock_wait_ns / 1e9);
}

/* The daemon's requests by where they were answered: the loop thread, or a worker after a
 * hand-off (the loop's cheap path is working when the first grows and the second does not). */
static void emit_requests(struct server *s, FILE *out)
{
	family(out, "reclaimd_requests_total", "counter",
	       "Requests answered, by where: on the event loop thread (no hand-off) or on a "
	       "worker thread.");
	fprintf(out, "reclaimd_requests_total{where=\"loop\"} %" PRIu64 "\n",
		(uint64_t)atomic_load_explicit(&s->nr_requests_loop, memory_order_relaxed));
	fprintf(out, "reclaimd_requests_total{where=\"worker\"} %" PRIu64 "\n",
		(uint64_t)atomic_load_explicit(&s->nr_requests_worker, memory_order_relaxed));
}

/* The fault thread's waits for mapped regions' faults: asleep, or busy-polling (mapfd.c). */
static void emit_fault_thread(struct server *s, FILE *out)
{
	struct mapfd_stats st = { 0 };

	if (!s->mapfd)
		return;
	mapfd_stats(s->mapfd, &st);
	family(out, "reclaimd_fault_poll_seconds", "gauge",
	       "The fault thread's largest busy-poll window after a fault (fault-poll-usecs); "
	       "0: off.");
	fprintf(out, "reclaimd_fault_poll_seconds %g\n", (double)st.poll_us / 1e6);
	family(out, "reclaimd_fault_poll_window_seconds", "gauge",
	       "The fault thread's busy-poll window now: it grows while faults come close "
	       "together and shrinks when they come far apart.");
	fprintf(out, "reclaimd_fault_poll_window_seconds %g\n", (double)st.window_us / 1e6);
	family(out, "reclaimd_fault_thread_waits_total", "counter",
	       "The fault thread's looks for the next fault of a mapped region, by how: asleep "
	       "until one comes (wait), or without sleeping in a busy-poll window (poll).");
	fprintf(out, "reclaimd_fault_thread_waits_total{how=\"wait\"} %" PRIu64 "\n", st.waits);
	fprintf(out, "reclaimd_fault_thread_waits_total{how=\"poll\"} %" PRIu64 "\n", st.polls);
	family(out, "reclaimd_fault_poll_hits_total", "counter",
	       "Busy-poll looks that found faults waiting.");
	fprintf(out, "reclaimd_fault_poll_hits_total %" PRIu64 "\n", st.poll_hits);
}

/* A fresh snapshot into m->next; on a worker (or at start, before serving). */
static void metrics_run(struct job *job)
{
	struct metrics *m = (struct metrics *)((char *)job - offsetof(struct metrics, job));
	FILE *out;

	m->next = NULL;
	m->next_len = 0;
	out = open_memstream(&m->next, &m->next_len);
	if (!out)
		return;
	metrics_render(m->server->engine, out);
	emit_requests(m->server, out);
	emit_engine_lock(m->server->engine, out);
	emit_fault_thread(m->server, out);
	fclose(out);
}

/* Back on the loop: the new snapshot replaces the old one. */
static void metrics_done(struct job *job)
{
	struct metrics *m = (struct metrics *)((char *)job - offsetof(struct metrics, job));

	m->rendering = false;
	if (!m->next)
		return;
	free(m->text);
	m->text = m->next;
	m->len = m->next_len;
	m->next = NULL;
}

void metrics_refresh(struct metrics *m)
{
	if (!m || m->rendering)
		return;
	m->job.run = metrics_run;
	m->job.done = metrics_done;
	m->rendering = true;
	if (workers_submit(m->server->workers, &m->job) < 0)
		m->rendering = false;
}

static void on_http(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	struct evbuffer *body;

	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct evhttp_uri *uri;
	const char *path;
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	char length[24];

	http_admit_answered(m->admit, req);
	/* evhttp_send_error drops our headers, and Allow must go with a 405: a plain reply. */
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(headers, "Allow", "GET, HEAD");
		evhttp_send_reply(req, 405, "Method Not Allowed", NULL);
		return;
	}
	/* The path alone: Prometheus may add a query (a scrape config's params). */
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (!path || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	if (!m->text) {
		evhttp_send_error(req, 503, "the first snapshot is being rendered");
		return;
	}
	body = evbuffer_new();
	/* HEAD: GET's headers, its length included, without the body (evhttp would send it). */
	if (!body || (cmd == EVHTTP_REQ_GET && evbuffer_add(body, m->text, m->len) < 0)) {
		if (body)
			evbuffer_free(body);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	evhttp_add_header(headers, "Content-Type", "text/plain; version=0.0.4");
	snprintf(length, sizeof(length), "%zu", m->len);
	evhttp_add_header(headers, "Content-Length", length);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

int metrics_start(struct server *s, struct metrics **ret)
{
	const char *listen = s->config->metrics_listen;
	char host[256];
	unsigned int port;
	struct evhttp_bound_socket *bound;
	struct metrics *m;
	const char *colon;

	*ret = NULL;
	if (!listen || !*listen)
		return 0;
	colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof(host) || sscanf(colon + 1, "%u", &port) != 1 ||
	    port == 0 || port > 65535) {
		log_err("metrics-listen '%s': want HOST:PORT", listen);
		return -EINVAL;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->server = s;
	m->http = evhttp_new(s->base);
	if (!m->http) {
		metrics_stop(m);
		return -ENOMEM;
	}
	errno = 0;
	bound = evhttp_bind_socket_with_handle(m->http, host, (uint16_t)port);
	if (!bound) {
		/* bind's (or the name lookup's) reason, or evhttp's own failure. */
		int err = errno ? errno : EADDRNOTAVAIL;

		log_err("cannot serve metrics on %s: %s", listen, strerror(err));
		metrics_stop(m);
		return -err;
	}
	m->rest = fd_rest_new(s->base, evhttp_bound_socket_get_listener(bound), "metrics");
	m->admit = http_admit_new(s->base, m->http, evhttp_bound_socket_get_listener(bound),
				  "metrics", METRICS_MAX_CONNECTIONS, METRICS_TIMEOUT_SECONDS);
	if (!m->rest || !m->admit) {
		metrics_stop(m);
		return -ENOMEM;
	}
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT_SECONDS);
	/* Every method reaches on_http, which answers 405 to all but GET and HEAD. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, on_http, m);
	log_info("metrics on http://%s/metrics", listen);
	/* The first snapshot now, while nothing else runs: a scrape never finds none. */
	metrics_run(&m->job);
	metrics_done(&m->job);
	*ret = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	fd_rest_free(m->rest);		/* before its listener, which evhttp frees */
	if (m->http)
		evhttp_free(m->http);
	http_admit_free(m->admit);	/* after evhttp, which frees the connections */
	free(m->text);
	free(m->next);
	free(m);
}
