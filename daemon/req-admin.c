/*
 * req-admin.c - tunables (the run-time sysctls) and shutdown.
 *
 * Tunables are the engine's RCL_TUNABLES, by their /proc/sys/vm names. A value set here
 * lasts until SIGHUP, which restores the configured one.
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

/* V in decimal, as a malloc'd string; NULL on ENOMEM. Not asprintf: a get answered on the
 * loop for every call should not run the formatter for one number. */
static char *u64_str(uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	*--p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return strdup(p);
}

/* The value of T as /proc/sys/vm shows it. NULL on ENOMEM. */
static Reclaim__V1__Tunable *tunable_snapshot(struct rcl_engine *engine, enum rcl_tunable t)
{
	Reclaim__V1__Tunable *m = malloc(sizeof(*m));
	uint64_t v = 0;

	if (!m)
		return NULL;
	reclaim__v1__tunable__init(m);
	rcl_tunable_get(engine, t, &v);
	m->name = strdup(rcl_tunable_names[t]);
	if (!m->name || !(m->value = u64_str(v))) {
		free(m->name);
		free(m);
		return NULL;
	}
	return m;
}

static void unknown_tunable(Response *resp, const char *what, const char *name)
{
	char list[512] = "";
	size_t len = 0;
	int i;

	for (i = 0; i < RCL_NR_TUNABLES && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					rcl_tunable_names[i]);
	status_set(resp, CODE(NOT_FOUND), "%s: unknown tunable '%.64s' (there are %s)", what,
		   name, list);
}

int req_tunable_get(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const char *name = req->tunable_get->name;
	Reclaim__V1__TunableGetReply *r;
	enum rcl_tunable one = RCL_NR_TUNABLES;
	int i;

	if (*name && rcl_tunable_lookup(name, &one) < 0) {
		unknown_tunable(resp, "tunable get", name);
		return -ENOENT;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__tunable_get_reply__init(r);
	resp->msg_case = RESP(TUNABLE_GET);
	resp->tunable_get = r;
	r->tunables = calloc(RCL_NR_TUNABLES, sizeof(*r->tunables));
	if (!r->tunables)
		return -ENOMEM;
	for (i = 0; i < RCL_NR_TUNABLES; i++) {
		if (*name && (int)one != i)
			continue;
		r->tunables[r->n_tunables] = tunable_snapshot(ctx->engine, (enum rcl_tunable)i);
		if (!r->tunables[r->n_tunables])
			return -ENOMEM;
		r->n_tunables++;
	}
	return 0;
}

/* Ranges as the engine's RCL_TUNABLES table has them (the kernel's sysctl table). */
#define TUNABLE_LO(id, name, lo, hi, def) [RCL_TUNABLE_##id] = lo,
#define TUNABLE_HI(id, name, lo, hi, def) [RCL_TUNABLE_##id] = hi,
static const uint64_t tunable_lo[RCL_NR_TUNABLES] = { RCL_TUNABLES(TUNABLE_LO) };
static const uint64_t tunable_hi[RCL_NR_TUNABLES] = { RCL_TUNABLES(TUNABLE_HI) };

int req_tunable_set(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__TunableSet *set = req->tunable_set;
	Reclaim__V1__TunableSetReply *r;
	enum rcl_tunable t;
	unsigned long long v;
	char *end;
	int ret;

	if (rcl_tunable_lookup(set->name, &t) < 0) {
		unknown_tunable(resp, "tunable set", set->name);
		return -ENOENT;
	}
	errno = 0;
	v = strtoull(set->value, &end, 10);
	if (set->value[0] < '0' || set->value[0] > '9' || *end || errno || v < tunable_lo[t] ||
	    v > tunable_hi[t]) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "tunable set: %s must be a number in %" PRIu64 "..%" PRIu64
			   ", not '%.64s'", rcl_tunable_names[t], tunable_lo[t], tunable_hi[t],
			   set->value);
		return -EINVAL;
	}
	ret = rcl_tunable_set(ctx->engine, t, v);
	if (ret == -EINVAL && t == RCL_TUNABLE_MIN_FREE_KBYTES) {
		struct rcl_engine_info info;

		/* In range, but more than this arena can keep free (rcl_set_min_free_kbytes). */
		rcl_engine_info(ctx->engine, &info);
		status_set(resp, CODE(INVALID_ARGUMENT), "tunable set: min_free_kbytes %llu is "
			   "not below the arena's %" PRIu64 " KiB", v,
			   info.arena_bytes >> 10);
		return ret;
	}
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
