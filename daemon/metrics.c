/*
 * metrics.c - /metrics in the Prometheus text format: every vmstat counter under its kernel
 * name, meminfo, and per memcg its usage, memory.events, vmpressure level and PSI.
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

#include "log.h"
#include "metrics.h"
#include "server.h"
#include "workers.h"
#include "reclaim/memcg.h"
#include "reclaim/pressure.h"

struct metrics {
	struct server *server;
	struct evhttp *http;
	struct job job;
	bool rendering;		/* the job is queued or running */
	char *text;		/* the latest snapshot (loop thread) */
	size_t len;
	char *next;		/* rendered by the worker, handed over in done */
	size_t next_len;
};

static void emit_counter(void *arg, const char *name, uint64_t value, bool cumulative)
{
	FILE *out = arg;

	fprintf(out, "# TYPE reclaimd_vmstat_%s%s %s\nreclaimd_vmstat_%s%s %" PRIu64 "\n", name,
		cumulative ? "_total" : "", cumulative ? "counter" : "gauge", name,
		cumulative ? "_total" : "", value);
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
	fprintf(out, "# TYPE reclaimd_meminfo_bytes gauge\n");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char field[64];
		unsigned long long kb;

		if (sscanf(line, "%63[^:]: %llu kB", field, &kb) == 2)
			fprintf(out, "reclaimd_meminfo_bytes{field=\"%s\"} %llu\n", field, kb * 1024);
	}
	free(text);
}

/* memory.events "key value" lines of group @id with @path as its label. */
static void emit_memcg_events(struct rcl_engine *engine, uint32_t id, const char *path,
			      FILE *out)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	rcl_memcg_show_events(engine, id, f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[32];
		unsigned long long v;

		if (sscanf(line, "%31s %llu", key, &v) == 2)
			fprintf(out, "reclaimd_memcg_events_total{memcg=\"%s\",event=\"%s\"} %llu\n",
				path, key, v);
	}
	free(text);
}

static void emit_memcg(struct rcl_engine *engine, uint32_t id, FILE *out)
{
	static const char *const kinds[] = { "some", "full" };
	enum rcl_pressure_level level;
	struct rcl_psi psi;
	char path[1024];
	uint64_t usage;
	int k;

	if (rcl_memcg_path(engine, id, path, sizeof(path)) < 0)
		return;
	if (rcl_memcg_usage(engine, id, &usage) == 0)
		fprintf(out, "reclaimd_memcg_usage_bytes{memcg=\"%s\"} %" PRIu64 "\n", path, usage);
	if (rcl_pressure_now(engine, id, &level) == 0)
		fprintf(out, "reclaimd_memcg_pressure_level{memcg=\"%s\"} %d\n", path, (int)level);
	if (rcl_psi_read(engine, id, &psi) == 0) {
		const struct rcl_psi_figures *fig[] = { &psi.some, &psi.full };

		for (k = 0; k < 2; k++)
			fprintf(out, "reclaimd_memcg_pressure_stall_seconds_total{memcg=\"%s\","
				"kind=\"%s\"} %.6f\nreclaimd_memcg_pressure_avg10{memcg=\"%s\","
				"kind=\"%s\"} %.2f\nreclaimd_memcg_pressure_avg60{memcg=\"%s\","
				"kind=\"%s\"} %.2f\nreclaimd_memcg_pressure_avg300{memcg=\"%s\","
				"kind=\"%s\"} %.2f\n", path, kinds[k],
				(double)fig[k]->total_usec / 1e6, path, kinds[k], fig[k]->avg10, path,
				kinds[k], fig[k]->avg60, path, kinds[k], fig[k]->avg300);
	}
	emit_memcg_events(engine, id, path, out);
}

void metrics_render(struct rcl_engine *engine, FILE *out)
{
	uint32_t id = 0;

	fprintf(out, "# reclaimd: the Linux memory manager in user space\n"
		"# TYPE reclaimd_up gauge\nreclaimd_up 1\n");
	rcl_vmstat_foreach(engine, emit_counter, out);
	emit_meminfo(engine, out);
	fprintf(out, "# TYPE reclaimd_memcg_usage_bytes gauge\n"
		"# TYPE reclaimd_memcg_pressure_level gauge\n"
		"# TYPE reclaimd_memcg_pressure_stall_seconds_total counter\n"
		"# TYPE reclaimd_memcg_pressure_avg10 gauge\n"
		"# TYPE reclaimd_memcg_pressure_avg60 gauge\n"
		"# TYPE reclaimd_memcg_pressure_avg300 gauge\n"
		"# TYPE reclaimd_memcg_events_total counter\n");
	while (rcl_memcg_next(engine, RCL_MEMCG_ROOT, id, &id) == 0)
		emit_memcg(engine, id, out);
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

	/* Other methods never get here: evhttp answers them 501 (allowed methods: GET). */
	if (strcmp(evhttp_request_get_uri(req), "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	if (!m->text) {
		evhttp_send_error(req, 503, "the first snapshot is being rendered");
		return;
	}
	body = evbuffer_new();
	if (!body || evbuffer_add(body, m->text, m->len) < 0) {
		if (body)
			evbuffer_free(body);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

int metrics_start(struct server *s, struct metrics **ret)
{
	const char *listen = s->config->metrics_listen;
	char host[256];
	unsigned int port;
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
	if (!m->http || evhttp_bind_socket(m->http, host, (uint16_t)port) < 0) {
		log_err("cannot serve metrics on %s", listen);
		metrics_stop(m);
		return -EADDRNOTAVAIL;
	}
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET);
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
	if (m->http)
		evhttp_free(m->http);
	free(m->text);
	free(m->next);
	free(m);
}
