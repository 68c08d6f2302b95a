/*
 * req-admin.c - tunables (the run-time sysctls) and shutdown.
 *
 * Tunables are one table: name, how to read it from the engine, how to set it. A value set
 * here lasts until SIGHUP, which restores the configured one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dispatch.h"
#include "reclaim/engine.h"
#include "server.h"
#include "status.h"

struct tunable {
	const char *name;
	uint64_t min, max;				/* accepted values */
	uint64_t (*get)(struct rcl_engine *engine);
	int (*set)(struct rcl_engine *engine, uint64_t value);
};

static uint64_t get_min_free_kbytes(struct rcl_engine *engine)
{
	struct rcl_engine_info info;

	rcl_engine_info(engine, &info);
	return info.min_free_kbytes;
}

static int set_min_free_kbytes(struct rcl_engine *engine, uint64_t value)
{
	return rcl_set_min_free_kbytes(engine, (unsigned int)value);
}

static uint64_t get_watermark_scale_factor(struct rcl_engine *engine)
{
	struct rcl_engine_info info;

	rcl_engine_info(engine, &info);
	return info.watermark_scale_factor;
}

static int set_watermark_scale_factor(struct rcl_engine *engine, uint64_t value)
{
	return rcl_set_watermark_scale_factor(engine, (unsigned int)value);
}

/* Ranges as the kernel's sysctl table has them (mm/page_alloc.c, kernel/sysctl.c). */
static const struct tunable tunables[] = {
	{ "min_free_kbytes", 1, 1u << 30, get_min_free_kbytes, set_min_free_kbytes },
	{ "watermark_scale_factor", 1, 1000, get_watermark_scale_factor,
	  set_watermark_scale_factor },
};

#define NR_TUNABLES (sizeof(tunables) / sizeof(tunables[0]))

static const struct tunable *tunable_find(const char *name)
{
	size_t i;

	for (i = 0; i < NR_TUNABLES; i++)
		if (strcmp(tunables[i].name, name) == 0)
			return &tunables[i];
	return NULL;
}

static Reclaim__V1__Tunable *tunable_snapshot(struct rcl_engine *engine, const struct tunable *t)
{
	Reclaim__V1__Tunable *m = malloc(sizeof(*m));

	if (!m)
		return NULL;
	reclaim__v1__tunable__init(m);
	m->name = strdup(t->name);
	if (!m->name || asprintf(&m->value, "%" PRIu64, t->get(engine)) < 0) {
		free(m->name);
		free(m);
		return NULL;
	}
	return m;
}

static void unknown_tunable(Response *resp, const char *what, const char *name)
{
	status_set(resp, CODE(NOT_FOUND),
		   "%s: unknown tunable '%s' (this engine has min_free_kbytes, "
		   "watermark_scale_factor)", what, name);
}

int req_tunable_get(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const char *name = req->tunable_get->name;
	const struct tunable *one = NULL;
	Reclaim__V1__TunableGetReply *r;
	size_t i;

	if (*name && !(one = tunable_find(name))) {
		unknown_tunable(resp, "tunable get", name);
		return -ENOENT;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__tunable_get_reply__init(r);
	resp->msg_case = RESP(TUNABLE_GET);
	resp->tunable_get = r;
	r->tunables = calloc(NR_TUNABLES, sizeof(*r->tunables));
	if (!r->tunables)
		return -ENOMEM;
	for (i = 0; i < NR_TUNABLES; i++) {
		if (one && one != &tunables[i])
			continue;
		r->tunables[r->n_tunables] = tunable_snapshot(ctx->engine, &tunables[i]);
		if (!r->tunables[r->n_tunables])
			return -ENOMEM;
		r->n_tunables++;
	}
	return 0;
}

int req_tunable_set(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__TunableSet *set = req->tunable_set;
	const struct tunable *t = tunable_find(set->name);
	Reclaim__V1__TunableSetReply *r;
	unsigned long long v;
	char *end;
	int ret;

	if (!t) {
		unknown_tunable(resp, "tunable set", set->name);
		return -ENOENT;
	}
	errno = 0;
	v = strtoull(set->value, &end, 10);
	if (set->value[0] < '0' || set->value[0] > '9' || *end || errno || v < t->min ||
	    v > t->max) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "tunable set: %s must be a number in %" PRIu64 "..%" PRIu64
			   ", not '%s'", t->name, t->min, t->max, set->value);
		return -EINVAL;
	}
	ret = t->set(ctx->engine, v);
	if (ret < 0) {
		status_set_errno(resp, ret, "tunable set");
		return ret;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__tunable_set_reply__init(r);
	resp->msg_case = RESP(TUNABLE_SET);
	resp->tunable_set = r;
	r->tunable = tunable_snapshot(ctx->engine, t);
	return r->tunable ? 0 : -ENOMEM;
}

int req_shutdown(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__ShutdownReply *r = malloc(sizeof(*r));

	if (!r)
		return -ENOMEM;
	reclaim__v1__shutdown_reply__init(r);
	resp->msg_case = RESP(SHUTDOWN);
	resp->shutdown = r;
	/* Runs on the loop thread (no DISPATCH_MAY_BLOCK): the answer is queued before the
	 * shutdown begins on the next loop turn, so the client gets it. */
	server_request_shutdown(ctx->server);
	return 0;
}
