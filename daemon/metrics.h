/*
 * metrics.h - the Prometheus endpoint: GET /metrics over HTTP (libevent's evhttp).
 */
#ifndef RECLAIMD_METRICS_H
#define RECLAIMD_METRICS_H

#include <stdio.h>

struct rcl_engine;
struct server;
struct metrics;

/* The page: vmstat counters, meminfo, and per memcg usage, events, pressure and PSI. Takes
 * the engine's lock: never on the loop thread once serving. */
void metrics_render(struct rcl_engine *engine, FILE *out);

/* Listen on config->metrics_listen ("HOST:PORT"); nothing when it is unset. 0 or -errno. */
int metrics_start(struct server *s, struct metrics **ret);
/* Render a fresh snapshot on a worker (the engine's lock is never taken on the loop). */
void metrics_refresh(struct metrics *m);
void metrics_stop(struct metrics *m);	/* NULL does nothing */

#endif
