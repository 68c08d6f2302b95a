/*
 * dispatch.c - the request table and the checks every request passes before its handler.
 *
 * Adding a request: a message in proto/reclaim.proto, a row here, a req_<message> handler.
 * Whatever takes the engine's lock (mm_lock) is DISPATCH_MAY_BLOCK: a worker in reclaim or
 * I/O may hold it, and the loop thread never waits for it (--enable-debug aborts if it does).
 * A request that takes only the engine's short leaf locks, never held across I/O or reclaim,
 * runs on the loop.
 * A row with a NULL handler answers UNSUPPORTED naming the request: the slot is kept so that
 * the handler plugs in when the engine offers what it needs. check_dispatch verifies that
 * every oneof case of Request has exactly one row.
 */
#include <errno.h>
#include <stdio.h>

#include "dispatch.h"
#include "status.h"
#include "subscribe.h"
#include "utf8.h"

#define ROW(c, n, h, f) { REQ(c), n, h, f, NULL }
#define FAST_ROW(c, n, h, f, fast) { REQ(c), n, h, f, fast }
#define MUT_BLOCK (DISPATCH_MUTATES | DISPATCH_MAY_BLOCK)

const struct dispatch_entry dispatch_table[] = {
	ROW(HELLO, "hello", req_hello, DISPATCH_BEFORE_HELLO),

	ROW(MEMCG_CREATE, "memcg create", req_memcg_create, MUT_BLOCK),
	ROW(MEMCG_SET, "memcg set", req_memcg_set, MUT_BLOCK),
	ROW(MEMCG_DELETE, "memcg delete", req_memcg_delete, MUT_BLOCK),
	/* Reads of groups take only short leaf locks (the tree, PSI), never mm_lock: on the
	 * loop, so that an operator's look is not held up by a reclaim in progress. */
	ROW(MEMCG_STAT, "memcg stat", req_memcg_stat, 0),
	ROW(MEMCG_LIST, "memcg list", req_memcg_list, 0),
	ROW(MEMCG_EVENTS, "memcg events", req_memcg_events, 0),

	ROW(REGION_CREATE, "region create", req_region_create, MUT_BLOCK),
	ROW(REGION_FREE, "region free", req_region_free, MUT_BLOCK),
	/* Touches of resident pages never block: answered on the loop, faults go to a worker. */
	FAST_ROW(TOUCH, "touch", req_touch, MUT_BLOCK, req_touch_resident),
	/* Likewise reads and writes of resident pages of anonymous regions. */
	FAST_ROW(READ, "read", req_read, DISPATCH_MAY_BLOCK, req_read_resident),
	FAST_ROW(WRITE, "write", req_write, MUT_BLOCK, req_write_resident),
	ROW(MADVISE, "madvise", req_madvise, MUT_BLOCK),
	ROW(MLOCK, "mlock", req_mlock, MUT_BLOCK),
	ROW(MUNLOCK, "munlock", req_munlock, MUT_BLOCK),
	ROW(MSYNC, "msync", req_msync, MUT_BLOCK),
	/* A region by reference, its counts read atomically: on the loop. */
	ROW(REGION_INFO, "region info", req_region_info, 0),
	ROW(MAP_REGION, "map region", req_map_region, MUT_BLOCK),
	ROW(UNMAP_REGION, "unmap region", req_unmap_region, MUT_BLOCK),
	/* May block: the owner table is written and fsynced. */
	ROW(FILE_CHMOD, "file chmod", req_file_chmod, MUT_BLOCK),
	/* Hits of a file the connection holds open: on the loop, as region reads. */
	FAST_ROW(FILE_READ, "file read", req_file_read, MUT_BLOCK, req_file_read_cached),
	ROW(FILE_WRITE, "file write", req_file_write, MUT_BLOCK),
	ROW(FILE_ADVISE, "file advise", req_file_advise, MUT_BLOCK),
	ROW(FILE_REMOVE, "file remove", req_file_remove, MUT_BLOCK),

	ROW(ALLOC_PAGES, "alloc pages", req_alloc_pages, MUT_BLOCK),
	ROW(FREE_PAGES, "free pages", req_free_pages, MUT_BLOCK),

	/* Counters, and the free lists under their zone locks: on the loop, as above. */
	ROW(STAT, "stat", req_stat, 0),
	ROW(PRESSURE, "pressure", req_pressure, 0),
	ROW(SUBSCRIBE, "subscribe", req_subscribe, DISPATCH_STREAM | DISPATCH_MAY_BLOCK),
	/* On the loop: only the loop ends subscriptions (subscribe.c). */
	ROW(UNSUBSCRIBE, "unsubscribe", req_unsubscribe, DISPATCH_STREAM),

	ROW(RECLAIM, "reclaim", req_reclaim, MUT_BLOCK),
	ROW(DROP_CACHES, "drop caches", req_drop_caches, DISPATCH_ADMIN | MUT_BLOCK),
	/* Reading takes no lock; setting takes the engine's, on a worker as SIGHUP's reload. */
	ROW(TUNABLE_GET, "tunable get", req_tunable_get, 0),
	ROW(TUNABLE_SET, "tunable set", req_tunable_set, DISPATCH_ADMIN | MUT_BLOCK),
	ROW(SHUTDOWN, "shutdown", req_shutdown, DISPATCH_ADMIN | DISPATCH_MUTATES),
};

const size_t dispatch_table_size = sizeof(dispatch_table) / sizeof(dispatch_table[0]);

const struct dispatch_entry *dispatch_lookup(int msg_case)
{
	size_t i;

	for (i = 0; i < dispatch_table_size; i++)
		if ((int)dispatch_table[i].msg_case == msg_case)
			return &dispatch_table[i];
	return NULL;
}

/* A request whose oneof is not set: name the unknown field if there is one. */
static void answer_unknown(const Request *req, Response *resp)
{
	if (req->base.n_unknown_fields > 0)
		status_set(resp, CODE(UNSUPPORTED),
			   "unknown request (field %u): this server speaks protocol %u",
			   req->base.unknown_fields[0].tag, RECLAIM_PROTOCOL_VERSION);
	else
		status_set(resp, CODE(UNSUPPORTED), "request carries no message");
}

void dispatch_refuse_nul(const Request *req, const char *field, Response *resp)
{
	const struct dispatch_entry *e = dispatch_lookup(req->msg_case);

	status_set(resp, CODE(INVALID_ARGUMENT), "%s: %s holds a NUL byte, which no string may",
		   e ? e->name : "request", field);
}

bool dispatch_admit(const Request *req, const struct req_ctx *ctx, bool strings_utf8,
		    bool hello_done, bool stopping, Response *resp,
		    const struct dispatch_entry **ret_entry)
{
	const struct dispatch_entry *e = dispatch_lookup(req->msg_case);
	const char *bad = NULL;

	if (!e) {
		answer_unknown(req, resp);
		return false;
	}
	if (req->id == 0) {
		/* The server's pushed events carry id 0: an answer with it would be one of them. */
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "%s: id: 0 is reserved for the server's events, number requests from 1",
			   e->name);
		return false;
	}
	/* The walk touches every field descriptor of the request's messages, cold on each request:
	 * measured at 0.13 us of the loop's 2.9 us per small request. */
	if (!strings_utf8)
		bad = message_bad_string(&req->base);
	if (bad) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "%s: %s is not UTF-8 text, which protobuf strings must be", e->name, bad);
		return false;
	}
	if (!hello_done && !(e->flags & DISPATCH_BEFORE_HELLO)) {
		status_set(resp, CODE(PROTOCOL_ERROR), "%s: the first request must be hello",
			   e->name);
		return false;
	}
	if (stopping && (e->flags & DISPATCH_MUTATES)) {
		status_set(resp, CODE(UNAVAILABLE), "%s: reclaimd is shutting down", e->name);
		return false;
	}
	if ((e->flags & DISPATCH_ADMIN) && !ctx->admin) {
		status_set(resp, CODE(PERMISSION_DENIED),
			   "%s: only root or the admin group may do this (uid %u)", e->name,
			   (unsigned int)ctx->uid);
		return false;
	}
	if (!e->handler) {
		status_set(resp, CODE(UNSUPPORTED), "%s: not implemented by this engine yet",
			   e->name);
		return false;
	}
	*ret_entry = e;
	return true;
}

/* A handler returned @ret: make the response say so. */
static void dispatch_finish(const struct dispatch_entry *entry, Response *resp, int ret)
{
	if (ret < 0) {
		/* A failed handler's reply is not sent: the status says it all. */
		if (resp->msg_case != RECLAIM__V1__RESPONSE__MSG__NOT_SET) {
			/* Every member of the oneof is a message pointer at the same place. */
			protobuf_c_message_free_unpacked((ProtobufCMessage *)resp->hello, NULL);
			resp->hello = NULL;
			resp->msg_case = RECLAIM__V1__RESPONSE__MSG__NOT_SET;
		}
		if (!resp->status || resp->status->code == CODE(OK))
			status_set_errno(resp, ret, entry->name);
	} else if (!resp->status) {
		status_set_ok(resp);
	}
}

/*
 * Run @entry's fast handler on the loop: false if the request must go to a worker. Its error
 * is the answer as a worker's would be: a reply it built is dropped, the status says why.
 */
bool dispatch_run_fast(const struct dispatch_entry *entry, struct req_ctx *ctx,
		       const Request *req, Response *resp)
{
	int ret;

	ctx->name = entry->name;
	if (!entry->fast)
		return false;
	ret = entry->fast(ctx, req, resp);
	if (ret == -EAGAIN)
		return false;
	dispatch_finish(entry, resp, ret);
	return true;
}

void dispatch_run(const struct dispatch_entry *entry, struct req_ctx *ctx, const Request *req,
		  Response *resp)
{
	ctx->name = entry->name;
	dispatch_finish(entry, resp, entry->handler(ctx, req, resp));
}

