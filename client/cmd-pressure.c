/*
 * cmd-pressure.c - `reclaimctl pressure [MEMCG] [--watch]`: the pressure level and PSI now,
 * or a stream of pressure events until interrupted.
 */
#include <getopt.h>
#include <inttypes.h>

#include "reclaimctl.h"

static int exec_pressure(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_pressure_entry = {
	.name = "pressure",
	.usage = "[MEMCG] [--watch]",
	.help = "print the pressure level and PSI, or --watch pressure events",
	.min_args = 0,
	.max_args = -1,
	.exec = exec_pressure,
};

static const char *const level_names[] = { "none", "low", "medium", "critical" };

static const char *level_name(Reclaim__V1__PressureLevel l)
{
	return (unsigned int)l < 4 ? level_names[l] : "unknown";
}

static int print_pressure_event(struct cmd_ctx *ctx, const Reclaim__V1__Event *ev, void *arg)
{
	(void)arg;
	if (ev->event_case != RECLAIM__V1__EVENT__EVENT_PRESSURE)
		return 0;
	if (ctx->json) {
		printf("{\"memcg\":");
		json_string(stdout, ev->pressure->memcg);
		printf(",\"level\":\"%s\"}\n", level_name(ev->pressure->level));
	} else {
		printf("%s %s\n", ev->pressure->memcg, level_name(ev->pressure->level));
	}
	return 0;	/* until interrupted */
}

static int watch(struct cmd_ctx *ctx, const char *memcg)
{
	Reclaim__V1__Subscribe sub = RECLAIM__V1__SUBSCRIBE__INIT;

	sub.kind = RECLAIM__V1__EVENT_KIND__EVENT_PRESSURE;
	sub.memcg = (char *)memcg;
	return ctl_stream(ctx, &sub, print_pressure_event, NULL);
}

/* One kind of PSI figures: a memory.pressure line, or JSON members. */
static void print_psi(struct cmd_ctx *ctx, const char *kind, const Reclaim__V1__PsiFigures *f)
{
	static const Reclaim__V1__PsiFigures none = RECLAIM__V1__PSI_FIGURES__INIT;

	if (!f)
		f = &none;
	if (ctx->json)
		printf(",\"%s\":{\"avg10\":%.2f,\"avg60\":%.2f,\"avg300\":%.2f,\"total\":%llu}",
		       kind, f->avg10, f->avg60, f->avg300, (unsigned long long)f->total_usec);
	else
		printf("%s avg10=%.2f avg60=%.2f avg300=%.2f total=%llu\n", kind, f->avg10,
		       f->avg60, f->avg300, (unsigned long long)f->total_usec);
}

static int exec_pressure(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "watch", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__PressureNow p = RECLAIM__V1__PRESSURE_NOW__INIT;
	const Reclaim__V1__PressureReply *r;
	Response *resp;
	int opt, ret, watching = 0;

	while ((opt = getopt_long(argc, argv, "w", options, NULL)) != -1) {
		if (opt != 'w')
			return ctl_usage(&cmd_pressure_entry, NULL);
		watching = 1;
	}
	if (argc - optind > 1)
		return ctl_usage(&cmd_pressure_entry, NULL);
	p.memcg = optind < argc ? argv[optind] : "";
	if (watching)
		return watch(ctx, p.memcg);
	req.msg_case = RECLAIM__V1__REQUEST__MSG_PRESSURE;
	req.pressure = &p;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	r = resp->pressure;
	if (ctx->json) {
		printf("{\"level\":\"%s\"", level_name(r->level));
		print_psi(ctx, "some", r->some);
		print_psi(ctx, "full", r->full);
		printf("}\n");
	} else {
		/* The vmpressure level, then memory.pressure's two lines. */
		printf("level %s\n", level_name(r->level));
		print_psi(ctx, "some", r->some);
		print_psi(ctx, "full", r->full);
	}
	rclc_response_free(resp);
	return 0;
}
