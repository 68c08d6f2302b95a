/*
 * req-pages.c - raw page allocations: 2^order unmovable frames a client holds directly.
 *
 * An allocation belongs to the connection that made it and is freed when that connection
 * closes, unless it was made persistent (the CLI's are: each command is one connection). Only
 * the owner's uid, root or the admin group may free it. Each one counts against the owner's
 * max-client-regions and max-client-bytes.
 */
#include <errno.h>
#include <stdlib.h>

#include "client-limits.h"
#include "config.h"
#include "dispatch.h"
#include "rawpages.h"
#include "reclaim/engine.h"
#include "server.h"
#include "status.h"

#define RAW_MAX_ORDER	10u	/* the buddy allocator's MAX_ORDER - 1 */

static int alloc_check(struct req_ctx *ctx, const Reclaim__V1__AllocPages *a, Response *resp)
{
	struct rcl_engine_info info;

	rcl_engine_info(ctx->engine, &info);
	if (a->order > RAW_MAX_ORDER) {
		status_set(resp, CODE(INVALID_ARGUMENT), "alloc pages: order %u is above %u",
			   a->order, RAW_MAX_ORDER);
		return -EINVAL;
	}
	if (a->node < -1 || (a->node >= 0 && (uint32_t)a->node >= info.nr_nodes)) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "alloc pages: node %d does not exist (nodes 0..%u, or none for any)",
			   a->node, info.nr_nodes - 1);
		return -EINVAL;
	}
	if (a->thisnode && a->node < 0) {
		status_set(resp, CODE(INVALID_ARGUMENT), "alloc pages: thisnode needs a node");
		return -EINVAL;
	}
	if (a->atomic && a->nowait) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "alloc pages: atomic and nowait exclude each other");
		return -EINVAL;
	}
	return 0;
}

/* Give back a raw allocation's charges: its bytes, locked all of them. */
static void raw_uncharge(struct rawpages *raw, uid_t uid, uint64_t bytes)
{
	rawpages_uncharge(raw, uid, bytes);
	rawpages_uncharge_locked(raw, uid, bytes);
}

int req_alloc_pages(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__AllocPages *a = req->alloc_pages;
	const struct daemon_config *c = ctx->config;
	struct rawpages *raw = ctx->server->raw;
	uint64_t bytes = (uint64_t)RCL_PAGE_SIZE << (a->order <= RAW_MAX_ORDER ? a->order : 0);
	Reclaim__V1__AllocPagesReply *r;
	unsigned int flags = 0;
	struct rcl_engine_info info;
	uint32_t pfn;
	int nid, ret;

	ret = alloc_check(ctx, a, resp);
	if (ret < 0)
		return ret;
	ret = limits_charge(c, raw, ctx->uid, bytes, "alloc pages", resp);
	if (ret < 0)
		return ret;
	/* Raw frames are never reclaimed: they count as locked, as pinned pages do. */
	ret = limits_charge_locked(c, raw, ctx->uid, ctx->admin, bytes, "alloc pages", resp);
	if (ret < 0) {
		rawpages_uncharge(raw, ctx->uid, bytes);
		return ret;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		raw_uncharge(raw, ctx->uid, bytes);
		return -ENOMEM;
	}
	reclaim__v1__alloc_pages_reply__init(r);
	flags |= a->atomic ? RCL_ALLOC_ATOMIC : 0;
	flags |= a->nowait ? RCL_ALLOC_NOWAIT : 0;
	flags |= a->thisnode ? RCL_ALLOC_THISNODE : 0;
	flags |= a->movable ? RCL_ALLOC_MOVABLE : 0;
	/* "Any node": the kernel would start from the CPU's own node; connections stand in for
	 * CPUs, so clients spread over the nodes and the zonelist falls back from there. */
	rcl_engine_info(ctx->engine, &info);
	nid = a->node >= 0 ? a->node : (int)(ctx->session_id % info.nr_nodes);
	ret = rcl_alloc_pages(ctx->engine, a->order, nid, flags, &pfn);
	if (ret == 0) {
		ret = rawpages_add(raw, pfn, a->order, ctx->uid, ctx->session_id, a->persistent);
		if (ret < 0)
			rcl_free_pages(ctx->engine, pfn, a->order);
	}
	if (ret < 0) {
		raw_uncharge(raw, ctx->uid, bytes);
		free(r);
		/* GFP_ATOMIC and GFP_NOWAIT do not reclaim: say so rather than "after reclaim". */
		if (ret == -ENOMEM)
			status_set(resp, CODE(NO_MEMORY), "alloc pages: no free block of order %u%s",
				   a->order, a->atomic ? " (atomic: from the reserves, no reclaim)" :
				   a->nowait ? " (nowait: no reclaim, kswapd woken)" :
				   " after reclaim");
		return ret;
	}
	r->pfn = pfn;
	r->order = a->order;
	resp->msg_case = RESP(ALLOC_PAGES);
	resp->alloc_pages = r;
	return 0;
}

int req_free_pages(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__FreePages *f = req->free_pages;
	Reclaim__V1__FreePagesReply *r = malloc(sizeof(*r));
	uid_t owner = 0;
	int ret;

	if (!r)
		return -ENOMEM;
	reclaim__v1__free_pages_reply__init(r);
	ret = rawpages_take(ctx->server->raw, f->pfn, f->order, ctx->uid, ctx->admin, &owner);
	if (ret == -ENOENT)
		status_set(resp, CODE(NOT_FOUND), "free pages: no allocation starts at pfn %u",
			   f->pfn);
	else if (ret == -EINVAL)
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "free pages: pfn %u was not allocated with order %u", f->pfn, f->order);
	else if (ret == -EPERM)
		status_set(resp, CODE(PERMISSION_DENIED),
			   "free pages: pfn %u belongs to uid %u", f->pfn, (unsigned int)owner);
	if (ret < 0) {
		free(r);
		return ret;
	}
	/* The registry vouched for pfn and order: the engine cannot refuse them. */
	rcl_free_pages(ctx->engine, f->pfn, f->order);
	raw_uncharge(ctx->server->raw, owner, (uint64_t)RCL_PAGE_SIZE << f->order);
	resp->msg_case = RESP(FREE_PAGES);
	resp->free_pages = r;
	return 0;
}
