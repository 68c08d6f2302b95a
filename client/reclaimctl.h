/*
 * reclaimctl.h - what the commands of reclaimctl share: the command table entry, the context
 * they run in, and the helpers that call the daemon and print (human or JSON).
 *
 * Exit status: 0 on success; the wire Status code (1..12) when the daemon refused, so scripts
 * can branch on it; EXIT_USAGE for a bad command line; EXIT_NOCONN when the daemon cannot be
 * reached or the connection broke.
 */
#ifndef RECLAIMCTL_H
#define RECLAIMCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "reclaim-client.h"

#define EXIT_USAGE	64	/* sysexits.h EX_USAGE */
#define EXIT_NOCONN	69	/* sysexits.h EX_UNAVAILABLE */

struct cmd_ctx {
	const char *socket;	/* --socket, or NULL for $RECLAIMD_SOCKET / the default */
	bool json;		/* --json: one JSON document on stdout */
	struct rclc *conn;	/* opened on first use by ctl_connect */
	struct rclc_hello_info hello; /* the daemon's Hello answer, once connected */
};

struct cmd_entry {
	const char *name;
	const char *usage;	/* arguments after the name */
	const char *help;	/* one line */
	int min_args, max_args;	/* positional arguments after the name; -1 = no limit */
	int (*exec)(struct cmd_ctx *ctx, int argc, char **argv); /* argv[0] is the name */
};

/* Open the connection (and say Hello) unless it is open: 0, or the exit status after saying
 * why not. The typed calls of libreclaim-client then use ctx->conn. */
int ctl_connect(struct cmd_ctx *ctx);

/* Report the failure ERR of a typed call on ctx->conn: the daemon's refusal or a lost
 * connection; the exit status. */
int ctl_fail(struct cmd_ctx *ctx, int err);
/* Refuse what the command line asks, in the daemon's words (CODE, an enum rclc_code, and a
 * message), where the client finds it out itself before asking; the exit status, CODE. */
int ctl_refuse(struct cmd_ctx *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Region ID's size in bytes into *RET; the exit status of a failure, else 0. */
int ctl_region_bytes(struct cmd_ctx *ctx, uint64_t id, uint64_t *ret);

/* A Stat view's counters (meminfo, vmstat). */
struct ctl_counters {
	struct rclc_counter *v;
	size_t n;
};

/* Fill *RET with VIEW's counters (release with ctl_counters_free): 0 or an exit status. */
int ctl_counters(struct cmd_ctx *ctx, enum rclc_stat_view view, struct ctl_counters *ret);
void ctl_counters_free(struct ctl_counters *c);
/* The value of counter NAME; 0 if there is none. */
uint64_t ctl_counter(const struct ctl_counters *c, const char *name);
/* The sum of the counters named PREFIX or PREFIX_<zone> (allocstall_normal, ...). */
uint64_t ctl_counter_sum(const struct ctl_counters *c, const char *prefix);

/*
 * Subscribe with OPTS and hand each pushed event to ON_EVENT until it returns non-zero
 * (then 0 is returned). With TICK_MS > 0, ON_EVENT is also called with a NULL event every
 * TICK_MS or a little more, events or not. A dropped (overflow) or broken stream is reported
 * and returns EXIT_NOCONN; one the daemon ended because its memcg was removed returns
 * RCLC_CODE_NOT_FOUND; a refused subscription returns what ctl_fail does.
 */
typedef int (*ctl_event_fn)(struct cmd_ctx *ctx, const struct rclc_event *ev, void *arg);
int ctl_stream(struct cmd_ctx *ctx, const struct rclc_subscribe_opts *opts,
	       ctl_event_fn on_event, void *arg, int tick_ms);

/* Print a usage error for ENTRY and return EXIT_USAGE. */
int ctl_usage(const struct cmd_entry *entry, const char *why);

/* Parse an unsigned number with optional K/M/G suffix (sizes) into *ret. 0 or -EINVAL. */
int ctl_parse_u64(const char *s, uint64_t *ret);

/* Parse an octal permission mode, at most 0777, into *ret. 0 or -1. */
int ctl_parse_mode(const char *s, uint32_t *ret);

/* JSON output, built with json-c. Print DOC as one line on stdout and free it. */
void json_print(struct json_object *doc);
/* {"ok":false,"code":CODE,"message":MESSAGE}: a refusal or a failure, in JSON mode. */
void json_print_error(const char *code, const char *message);
/* OBJ[KEY] = VALUE, the common member: a count or a size. */
void json_add_u64(struct json_object *obj, const char *key, uint64_t value);
/* VALUE printed as FMT ("%.2f": the precision the command always printed); NULL (JSON null)
 * when it is not finite. */
struct json_object *json_double_fmt(double value, const char *fmt);
/* Counters as one object, name: value. */
struct json_object *json_counters(const struct rclc_counter *counters, size_t n);
/* LEN bytes as a hex string: JSON strings cannot carry arbitrary binary. NULL without memory. */
struct json_object *json_hex(const unsigned char *buf, size_t len);

/* {"ok":true} in JSON mode, MESSAGE (if any) otherwise. */
void ctl_print_ok(struct cmd_ctx *ctx, const char *message);

#define CMD(n) extern const struct cmd_entry cmd_##n##_entry
CMD(status); CMD(stat); CMD(alloc_pages); CMD(free_pages); CMD(tunable); CMD(shutdown);
CMD(memcg); CMD(alloc); CMD(touch); CMD(write); CMD(read); CMD(free); CMD(madvise);
CMD(mlock); CMD(munlock); CMD(info);
CMD(sync); CMD(fread); CMD(fwrite); CMD(fadvise); CMD(rm); CMD(replay); CMD(pressure);
CMD(reclaim); CMD(trace); CMD(bench); CMD(vmstat); CMD(chmod); CMD(top);
#undef CMD

#endif
