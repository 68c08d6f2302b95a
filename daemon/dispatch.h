/*
 * dispatch.h - the request table: which handler answers which Request oneof case, who may ask,
 * and whether it runs on the loop thread or on a worker.
 */
#ifndef RECLAIMD_DISPATCH_H
#define RECLAIMD_DISPATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "wire.h"

struct server;
struct rcl_engine;
struct daemon_config;
struct mapping;

#define DISPATCH_ADMIN		0x01u	/* root or the admin group only */
#define DISPATCH_MAY_BLOCK	0x02u	/* may enter reclaim or wait on I/O: runs on a worker */
#define DISPATCH_MUTATES	0x04u	/* changes state; refused once shutdown has begun */
#define DISPATCH_STREAM		0x08u	/* starts or ends a stream of pushed events */
#define DISPATCH_BEFORE_HELLO	0x10u	/* accepted before Hello (only Hello itself) */

/*
 * What a handler knows about the request's connection. Copied into each call, so a handler on a
 * worker never reaches into the session (which belongs to the loop thread).
 */
struct req_ctx {
	struct server *server;		/* thread-safe parts only: engine, registry, config */
	struct rcl_engine *engine;
	const struct daemon_config *config; /* read-only while serving */
	uint64_t session_id;		/* owner key of per-connection objects */
	pid_t pid;			/* SO_PEERCRED of the connection */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;		/* supplementary groups: the session's, which the
					 * call's reference keeps alive and nobody changes */
	size_t nr_groups;
	bool admin;			/* uid 0 or a member of the admin group */
	const char *memcg;		/* Hello.memcg, the client's memcg ("" = "/"): the
					 * session's, set by Hello before any other call */
	struct fileio_table *files;	/* the connection's open files: its calls run one
					 * after the other, so one thread at a time */
	const char *name;		/* the request's name, for messages ("alloc pages") */
	struct mapping *map;		/* MapRegion: prepared by the handler, its descriptors
					 * sent with the answer (mapfd.h) */
	const _Atomic bool *cancel;	/* the connection closed: stop (req_cancelled); NULL
					 * where nobody cancels */
};

/* Whether the call's connection has gone: a handler that loops over much work checks it at
 * each step and stops with -ECANCELED, keeping what it did (nobody takes the answer). */
static inline bool req_cancelled(const struct req_ctx *ctx)
{
	return ctx->cancel && atomic_load_explicit(ctx->cancel, memory_order_relaxed);
}

/*
 * A handler validates every field, then acts. It fills the reply (resp->msg_case and the
 * pointer, allocated with malloc: the caller frees RESP with free_unpacked) and returns 0, or
 * returns -errno, having set resp's Status with a message naming the field when it can.
 * REQ is borrowed.
 */
typedef int (*req_handler)(struct req_ctx *ctx, const Request *req, Response *resp);

struct dispatch_entry {
	Reclaim__V1__Request__MsgCase msg_case;
	const char *name;		/* human name, as reclaimctl spells it */
	req_handler handler;		/* NULL: not implemented by this engine yet */
	unsigned int flags;		/* DISPATCH_* */
	req_handler fast;		/* MAY_BLOCK rows: tried on the loop first; -EAGAIN
					 * (response untouched) sends the request to a worker */
};

extern const struct dispatch_entry dispatch_table[];
extern const size_t dispatch_table_size;

bool dispatch_run_fast(const struct dispatch_entry *entry, struct req_ctx *ctx,
		       const Request *req, Response *resp);

/* The entry for MSG_CASE, or NULL for a case this server does not know. */
const struct dispatch_entry *dispatch_lookup(int msg_case);

/* Refuse REQ in RESP: its string field FIELD holds a NUL byte, which protobuf-c cut it short
 * at (frame_pull_request finds it on the wire). */
void dispatch_refuse_nul(const Request *req, const char *field, Response *resp);

/*
 * Decide whether REQ may run: known and implemented, its strings UTF-8, Hello first, admin
 * rights, not while stopping. STRINGS_UTF8: the frame's strings were all seen to be UTF-8 on
 * the wire (frame_strings), so the decoded request need not be walked for them again.
 * Returns true with *ret_entry set if the handler should run; false when RESP has already
 * been given its error Status.
 */
bool dispatch_admit(const Request *req, const struct req_ctx *ctx, bool strings_utf8,
		    bool hello_done, bool stopping, Response *resp,
		    const struct dispatch_entry **ret_entry);

/* Run ENTRY's handler and make sure RESP carries a Status (OK, or one derived from -errno). */
void dispatch_run(const struct dispatch_entry *entry, struct req_ctx *ctx, const Request *req,
		  Response *resp);

/* Handlers (req-*.c). */
int req_hello(struct req_ctx *ctx, const Request *req, Response *resp);
int req_stat(struct req_ctx *ctx, const Request *req, Response *resp);
int req_alloc_pages(struct req_ctx *ctx, const Request *req, Response *resp);
int req_free_pages(struct req_ctx *ctx, const Request *req, Response *resp);
int req_tunable_get(struct req_ctx *ctx, const Request *req, Response *resp);
int req_tunable_set(struct req_ctx *ctx, const Request *req, Response *resp);
int req_shutdown(struct req_ctx *ctx, const Request *req, Response *resp);
int req_memcg_create(struct req_ctx *ctx, const Request *req, Response *resp);
int req_memcg_set(struct req_ctx *ctx, const Request *req, Response *resp);
int req_memcg_delete(struct req_ctx *ctx, const Request *req, Response *resp);
int req_memcg_stat(struct req_ctx *ctx, const Request *req, Response *resp);
int req_memcg_list(struct req_ctx *ctx, const Request *req, Response *resp);
int req_memcg_events(struct req_ctx *ctx, const Request *req, Response *resp);
int req_reclaim(struct req_ctx *ctx, const Request *req, Response *resp);
int req_drop_caches(struct req_ctx *ctx, const Request *req, Response *resp);
int req_pressure(struct req_ctx *ctx, const Request *req, Response *resp);
int req_region_create(struct req_ctx *ctx, const Request *req, Response *resp);
int req_region_free(struct req_ctx *ctx, const Request *req, Response *resp);
int req_touch(struct req_ctx *ctx, const Request *req, Response *resp);
int req_touch_resident(struct req_ctx *ctx, const Request *req, Response *resp);
int req_read(struct req_ctx *ctx, const Request *req, Response *resp);
int req_read_resident(struct req_ctx *ctx, const Request *req, Response *resp);
int req_write(struct req_ctx *ctx, const Request *req, Response *resp);
int req_write_resident(struct req_ctx *ctx, const Request *req, Response *resp);
int req_madvise(struct req_ctx *ctx, const Request *req, Response *resp);
int req_mlock(struct req_ctx *ctx, const Request *req, Response *resp);
int req_munlock(struct req_ctx *ctx, const Request *req, Response *resp);
int req_msync(struct req_ctx *ctx, const Request *req, Response *resp);
int req_region_info(struct req_ctx *ctx, const Request *req, Response *resp);
int req_map_region(struct req_ctx *ctx, const Request *req, Response *resp);
int req_unmap_region(struct req_ctx *ctx, const Request *req, Response *resp);
int req_file_read(struct req_ctx *ctx, const Request *req, Response *resp);
int req_file_read_cached(struct req_ctx *ctx, const Request *req, Response *resp);
int req_file_write(struct req_ctx *ctx, const Request *req, Response *resp);
int req_file_advise(struct req_ctx *ctx, const Request *req, Response *resp);
int req_file_remove(struct req_ctx *ctx, const Request *req, Response *resp);
int req_file_chmod(struct req_ctx *ctx, const Request *req, Response *resp);

#endif
