/*
 * req-region.c - regions: create and free, touch, read, write, madvise, mlock, munlock, msync
 * and info.
 *
 * A region belongs to the connection that created it and is freed when that connection
 * closes, unless it was created persistent (the CLI's are). Only the owner's uid, root or the
 * admin group may use it. Each region counts against its owner's max-client-regions and
 * max-client-bytes (one account with raw allocations).
 *
 * File paths are checked here before the engine sees them: relative, no ".." component; the
 * engine then resolves them beneath the data directory (RESOLVE_BENEATH), which also refuses
 * symlinks leading out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-limits.h"
#include "config.h"
#include "dispatch.h"
#include "fdlimit.h"
#include "fileown.h"
#include "mapfd.h"
#include "rawpages.h"
#include "reclaim/memcg.h"
#include "reclaim/region.h"
#include "registry.h"
#include "req-util.h"
#include "server.h"
#include "status.h"

#define REGION_MAX_BYTES	(1ULL << 44)	/* 16 TiB: far beyond any arena plus swap */
#define FILE_PATH_MAX		255		/* bytes of a file region's relative path */
#define READ_OVERHEAD		64		/* bytes of a ReadReply frame besides the data */
#define REGION_MAX_RANGES	4096		/* ranges of a vectored request, as FileRead's */
#define RANGE_OVERHEAD		8		/* per range of a reply: a field tag and a length */

/*
 * A file path as the data directory's files are named: relative, each component a name (no
 * "", "." or ".."), so that one file has one spelling; printable, so that it fits the owner
 * table's lines and the log.
 */
int req_path_check(struct req_ctx *ctx, const char *path, Response *resp)
{
	const char *p = path, *why = NULL;

	if (!*path) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "%s: path: empty; name a file of the data directory", ctx->name);
		return -EINVAL;
	}
	if (strlen(path) > FILE_PATH_MAX) {
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: path is longer than %u bytes",
			   ctx->name, FILE_PATH_MAX);
		return -EINVAL;
	}
	for (p = path; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			status_set(resp, CODE(INVALID_ARGUMENT),
				   "%s: path has a control character at byte %zu", ctx->name,
				   (size_t)(p - path));
			return -EINVAL;
		}
	}
	if (path[0] == '/') {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "%s: path '%s' is absolute: give it relative to the data directory",
			   ctx->name, path);
		return -EINVAL;
	}
	for (p = path; !why; p++) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			why = "has a '..' component: it must stay inside the data directory";
		else if (n == 1 && p[0] == '.')
			why = "has a '.' component: name the file itself";
		else if (n == 0)
			why = p[0] ? "has an empty component ('//')" :
				     "ends in '/': name a file, not a directory";
		p += n;
		if (!*p)
			break;
	}
	if (why) {
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: path '%s' %s", ctx->name, path, why);
		return -EINVAL;
	}
	return 0;
}

static int region_create_check(struct req_ctx *ctx, const Reclaim__V1__RegionCreate *c,
			       Response *resp)
{
	if (c->bytes == 0 || c->bytes > REGION_MAX_BYTES) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "region create: bytes %" PRIu64 " must be in 1..%llu", c->bytes,
			   REGION_MAX_BYTES);
		return -EINVAL;
	}
	if (c->kind == RECLAIM__V1__REGION_KIND__REGION_FILE && c->mode && c->mode->bits > 0777) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "region create: mode %#o has bits beyond 0777", c->mode->bits);
		return -EINVAL;
	}
	if (c->kind == RECLAIM__V1__REGION_KIND__REGION_FILE)
		return req_path_check(ctx, c->path, resp);
	if (c->kind != RECLAIM__V1__REGION_KIND__REGION_ANON) {
		status_set(resp, CODE(INVALID_ARGUMENT), "region create: unknown kind %d",
			   (int)c->kind);
		return -EINVAL;
	}
	if (*c->path || c->shared || c->mode) {
		status_set(resp, CODE(INVALID_ARGUMENT), "region create: %s is for file regions only",
			   *c->path ? "path" : c->shared ? "shared" : "mode");
		return -EINVAL;
	}
	return 0;
}

struct file_cred req_file_cred(const struct req_ctx *ctx)
{
	return (struct file_cred){ .uid = ctx->uid, .gid = ctx->gid, .groups = ctx->groups,
				   .nr_groups = ctx->nr_groups, .admin = ctx->admin };
}

/*
 * Why PATH cannot be had (-errno from fileown.c), in words. WANT: "read" or "read and
 * write", for a refusal.
 */
int req_file_error(struct req_ctx *ctx, const char *path, int err, const char *want,
		   const struct file_attr *attr, Response *resp)
{
	switch (err) {
	case -EACCES:
		status_set(resp, CODE(PERMISSION_DENIED),
			   "%s: path '%s' belongs to uid %u (group %u, mode %04o): uid %u may not "
			   "%s it", ctx->name, path, (unsigned int)attr->uid,
			   (unsigned int)attr->gid, attr->mode, (unsigned int)ctx->uid, want);
		break;
	case -ENOENT:
		status_set(resp, CODE(NOT_FOUND), "%s: path '%s': no such file or directory",
			   ctx->name, path);
		break;
	case -ENOTDIR:
		status_set(resp, CODE(NOT_FOUND), "%s: path '%s': a component is not a directory",
			   ctx->name, path);
		break;
	case -EISDIR:
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: path '%s' is a directory",
			   ctx->name, path);
		break;
	case -EINVAL:
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: path '%s' is not a regular file",
			   ctx->name, path);
		break;
	case -EPERM:
		status_set(resp, CODE(PERMISSION_DENIED),
			   "%s: path '%s' leads out of the data directory", ctx->name, path);
		break;
	default:
		status_set(resp, status_code_from_errno(err), "%s: path '%s': %s", ctx->name,
			   path, strerror(-err));
		break;
	}
	return err;
}

/* The engine's answer for a file region, in words. */
static void region_create_error(struct req_ctx *ctx, const Reclaim__V1__RegionCreate *c,
				int err, Response *resp)
{
	if (resp->status)
		return;		/* said already, by the step that failed */
	if (c->kind == RECLAIM__V1__REGION_KIND__REGION_FILE && (err == -EACCES || err == -EROFS))
		status_set(resp, CODE(PERMISSION_DENIED),
			   "region create: path '%s': reclaimd itself cannot open it: %s", c->path,
			   strerror(-err));
	else if (c->kind == RECLAIM__V1__REGION_KIND__REGION_FILE && err != -ENOMEM)
		req_file_error(ctx, c->path, err, "", NULL, resp);
	else if (err == -ENOMEM && c->locked)
		status_set(resp, CODE(NO_MEMORY), "region create: %" PRIu64 " bytes cannot be "
			   "locked: more than free and reclaimable memory, or its memcg's max",
			   c->bytes);
	else if (err == -ENOMEM)
		status_set(resp, CODE(NO_MEMORY),
			   "region create: out of memory after reclaim (%" PRIu64 " bytes)", c->bytes);
}

int req_region_create(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__RegionCreate *c = req->region_create;
	const struct daemon_config *cfg = ctx->config;
	struct rcl_region_spec spec = { 0 };
	Reclaim__V1__RegionCreateReply *r;
	struct region_rec rec = { 0 };
	struct file_charge charge = { 0, 0 };
	bool created = false;
	uint32_t memcg, id;
	int ret;

	ret = region_create_check(ctx, c, resp);
	if (ret == 0)
		ret = req_memcg_resolve(ctx, "memcg", c->memcg, resp, &memcg);
	if (ret < 0)
		return ret;
	if (memcg != RCL_MEMCG_ROOT && !req_memcg_may_use(ctx, memcg)) {
		status_set(resp, CODE(PERMISSION_DENIED), "region create: memcg %s belongs to uid %u",
			   c->memcg, (unsigned int)registry_memcg_owner(ctx->server->registry, memcg));
		return -EPERM;
	}
	spec.nr_pages = (c->bytes + RCL_PAGE_SIZE - 1) / RCL_PAGE_SIZE;
	rec.bytes = spec.nr_pages * RCL_PAGE_SIZE;
	rec.uid = ctx->uid;
	ret = limits_charge(cfg, ctx->server->raw, ctx->uid, rec.bytes, "region create", resp);
	if (ret < 0)
		return ret;
	if (c->locked) {
		ret = limits_charge_locked(cfg, ctx->server->raw, ctx->uid, ctx->admin, rec.bytes,
					   "region create", resp);
		if (ret < 0) {
			rawpages_uncharge(ctx->server->raw, ctx->uid, rec.bytes);
			return ret;
		}
		rec.locked_bytes = rec.bytes;
	}
	spec.type = c->kind == RECLAIM__V1__REGION_KIND__REGION_FILE ? RCL_REGION_FILE :
								       RCL_REGION_ANON;
	spec.memcg_id = memcg;
	spec.flags = (c->shared ? RCL_REGION_SHARED : 0) | (c->exec ? RCL_REGION_EXEC : 0) |
		     (c->locked ? RCL_REGION_LOCKED : 0) | (c->populate ? RCL_REGION_POPULATE : 0);
	spec.path = spec.type == RCL_REGION_FILE ? c->path : NULL;
	r = malloc(sizeof(*r));
	ret = r ? 0 : -ENOMEM;
	if (ret == 0 && spec.path && !ctx->admin && !fd_client_room(1)) {
		registry_region_uncharge(ctx->server->raw, &rec);
		free(r);
		return req_fd_refused(ctx, resp);
	}
	if (ret == 0 && spec.path) {
		struct file_cred cred = req_file_cred(ctx);
		struct file_attr attr;

		/* The daemon opens the file with its own rights: judge the client's first. */
		ret = file_owners_open(ctx->server->files, spec.path, &cred, c->shared,
				       c->mode ? c->mode->bits : FILE_MODE_DEFAULT, &attr, &created);
		if (ret < 0) {
			registry_region_uncharge(ctx->server->raw, &rec);
			free(r);
			return req_file_error(ctx, c->path, ret, c->shared ? "read and write" : "read",
					  &attr, resp);
		}
		/* Shared: its pages are written back into the file, which may grow to it. */
		if (c->shared)
			ret = req_file_grow(ctx, spec.path, spec.file_offset +
					    spec.nr_pages * RCL_PAGE_SIZE, resp, &charge);
	}
	if (ret == 0)
		ret = rcl_region_create(ctx->engine, &spec, &id);
	if (ret == 0) {
		rec.id = id;
		rec.session_id = ctx->session_id;
		rec.persistent = c->persistent;
		rec.file = spec.type == RCL_REGION_FILE;
		snprintf(rec.memcg, sizeof(rec.memcg), "%s", *c->memcg ? c->memcg : "/");
		snprintf(rec.path, sizeof(rec.path), "%s", c->path);
		ret = registry_region_add(ctx->server->registry, &rec);
		if (ret < 0)
			rcl_region_free(ctx->engine, id);
	}
	/* The region writes back as far as its end, for as long as it lives: its charge stays
	 * (it settles as having reached its end). None made: what was charged goes back. */
	file_owners_settle(ctx->server->files, c->path, &charge, ret < 0 ? 0 : charge.end);
	if (ret < 0) {
		if (created)
			file_owners_uncreate(ctx->server->files, c->path);
		registry_region_uncharge(ctx->server->raw, &rec);
		free(r);
		region_create_error(ctx, c, ret, resp);
		return ret;
	}
	reclaim__v1__region_create_reply__init(r);
	r->region_id = id;
	r->pages = spec.nr_pages;
	resp->msg_case = RESP(REGION_CREATE);
	resp->region_create = r;
	return 0;
}

/* May the caller use region ID? 0 with *ret filled, or -errno with RESP's Status set. */
static int region_get(struct req_ctx *ctx, uint64_t id, Response *resp, struct region_rec *ret,
		      bool take)
{
	int r;

	if (id == 0 || id > UINT32_MAX) {
		status_set(resp, CODE(NOT_FOUND), "%s: no region %" PRIu64, ctx->name, id);
		return -ENOENT;
	}
	r = take ? registry_region_take(ctx->server->registry, (uint32_t)id, ctx->uid, ctx->admin,
					ret) :
		   registry_region_get(ctx->server->registry, (uint32_t)id, ctx->uid, ctx->admin,
				       ret);
	if (r == -ENOENT)
		status_set(resp, CODE(NOT_FOUND), "%s: no region %" PRIu64, ctx->name, id);
	else if (r == -EPERM)
		status_set(resp, CODE(PERMISSION_DENIED), "%s: region %" PRIu64 " belongs to uid %u",
			   ctx->name, id, (unsigned int)ret->uid);
	return r;
}

/* region_get for the range FIELD of a list, named in a refusal. */
static int region_get_named(struct req_ctx *ctx, const char *field, uint64_t id,
			    Response *resp, struct region_rec *ret)
{
	int r = region_get(ctx, id, resp, ret, false);

	if (r == -ENOENT)
		status_set(resp, CODE(NOT_FOUND), "%s: %s: no region %" PRIu64, ctx->name, field,
			   id);
	else if (r == -EPERM)
		status_set(resp, CODE(PERMISSION_DENIED), "%s: %s: region %" PRIu64
			   " belongs to uid %u", ctx->name, field, id, (unsigned int)ret->uid);
	return r;
}

/*
 * RegionFree. Not of a region that is mapped: the free would drop the mapping, whose
 * connection the daemon then closes (mapfd.c), freeing that connection's other regions with
 * their bytes. It is refused, changing nothing, until the region is unmapped.
 */
int req_region_free(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__RegionFreeReply *r = malloc(sizeof(*r));
	struct mapfd_claim claim;
	struct region_rec rec;
	uint64_t mapper;
	int ret;

	if (!r)
		return -ENOMEM;
	ret = region_get(ctx, req->region_free->region_id, resp, &rec, false);
	if (ret < 0) {
		free(r);
		return ret;
	}
	ret = mapfd_free_begin(ctx->server->mapfd, rec.id, ctx->session_id, &claim, &mapper);
	if (ret < 0) {
		free(r);
		if (mapper == ctx->session_id)
			status_set(resp, CODE(BUSY), "region free: region %" PRIu32 " is mapped by "
				   "this connection: unmap it first; nothing was freed", rec.id);
		else
			status_set(resp, CODE(BUSY), "region free: region %" PRIu32 " is mapped by "
				   "connection %" PRIu64 ": unmap it there first; nothing was "
				   "freed", rec.id, mapper);
		return ret;
	}
	/* No mapping of it can start now; take its record (a free beside us may have). */
	ret = region_get(ctx, rec.id, resp, &rec, true);
	if (ret == 0) {
		/* The registry vouched for the id and gave up its record: the region goes now. */
		rcl_region_free(ctx->engine, rec.id);
		registry_region_uncharge(ctx->server->raw, &rec);
	}
	mapfd_free_end(ctx->server->mapfd, &claim);
	if (ret < 0) {
		free(r);
		return ret;
	}
	reclaim__v1__region_free_reply__init(r);
	resp->msg_case = RESP(REGION_FREE);
	resp->region_free = r;
	return 0;
}

/* Check RANGE (called FIELD in messages) of the region REC, which the caller may use. */
static int range_check(struct req_ctx *ctx, const char *field,
		       const Reclaim__V1__PageRange *range, const struct region_rec *rec,
		       Response *resp, uint64_t *ret_first, uint64_t *ret_nr)
{
	uint64_t pages = rec->bytes / RCL_PAGE_SIZE;

	if (range->first_page >= pages) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "%s: %s.first_page %" PRIu64 " is beyond the region's %" PRIu64
			   " pages", ctx->name, field, range->first_page, pages);
		return -EINVAL;
	}
	if (range->nr_pages > pages - range->first_page) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "%s: %s.nr_pages %" PRIu64 " from page %" PRIu64
			   " runs past the region's %" PRIu64 " pages", ctx->name, field,
			   range->nr_pages, range->first_page, pages);
		return -EINVAL;
	}
	*ret_first = range->first_page;
	*ret_nr = range->nr_pages ? range->nr_pages : pages - range->first_page;
	return 0;
}

/*
 * Check RANGE of an owned region: 0 with the first page and page count (nr_pages 0 = to the
 * end) and the region's record, or -errno with RESP's Status naming the field.
 */
static int range_get(struct req_ctx *ctx, const Reclaim__V1__PageRange *range, Response *resp,
		     struct region_rec *ret_rec, uint64_t *ret_first, uint64_t *ret_nr)
{
	int r;

	if (!range) {
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: range is missing", ctx->name);
		return -EINVAL;
	}
	r = region_get(ctx, range->region_id, resp, ret_rec, false);
	if (r < 0)
		return r;
	return range_check(ctx, "range", range, ret_rec, resp, ret_first, ret_nr);
}

/* A checked piece of a vectored request: pages of a region, or bytes (region 0 unused). */
struct span {
	uint32_t region;
	uint64_t start, len;	/* pages, or bytes */
	size_t index;		/* in the request's list */
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* No two of the N SPANS overlap (it sorts a copy); else -EINVAL naming both indexes. */
static int spans_disjoint(struct req_ctx *ctx, const struct span *spans, size_t n,
			  Response *resp)
{
	struct span *sorted;
	size_t i;
	int ret = 0;

	if (n < 2)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, spans, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), span_cmp);
	for (i = 1; i < n && ret == 0; i++) {
		const struct span *a = &sorted[i - 1], *b = &sorted[i];

		if (a->region != b->region || a->start + a->len <= b->start)
			continue;
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: ranges[%zu] overlaps ranges[%zu]",
			   ctx->name, a->index < b->index ? b->index : a->index,
			   a->index < b->index ? a->index : b->index);
		ret = -EINVAL;
	}
	free(sorted);
	return ret;
}

/* 1..REGION_MAX_RANGES ranges in a list, and not beside the single form (GIVEN_SINGLE). */
static int ranges_count_check(struct req_ctx *ctx, size_t n, bool given_single,
			      const char *single, Response *resp)
{
	if (given_single) {
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: give %s or ranges, not both",
			   ctx->name, single);
		return -EINVAL;
	}
	if (n > REGION_MAX_RANGES) {
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: ranges: %zu given, 1..%u allowed",
			   ctx->name, n, REGION_MAX_RANGES);
		return -EINVAL;
	}
	return 0;
}

/*
 * The page ranges of a Touch or Madvise, checked, every one of them before any is acted on:
 * the single RANGE, or the list RANGES[N]. 0 with an array of spans for free(3) in *RET (one
 * per range, in order; their count in *RET_N), or -errno with RESP's Status naming the range.
 */
static int page_ranges_get(struct req_ctx *ctx, const Reclaim__V1__PageRange *range,
			   Reclaim__V1__PageRange **ranges, size_t n, Response *resp,
			   struct span **ret, size_t *ret_n)
{
	struct region_rec rec = { .id = 0 };
	struct span *spans;
	char field[32];
	size_t i;
	int r;

	if (n == 0) {
		spans = malloc(sizeof(*spans));
		if (!spans)
			return -ENOMEM;
		r = range_get(ctx, range, resp, &rec, &spans[0].start, &spans[0].len);
		spans[0].region = rec.id;
		spans[0].index = 0;
		n = 1;
		goto out;
	}
	r = ranges_count_check(ctx, n, range != NULL, "range", resp);
	if (r < 0)
		return r;
	spans = calloc(n, sizeof(*spans));
	if (!spans)
		return -ENOMEM;
	for (i = 0; i < n && r == 0; i++) {
		snprintf(field, sizeof(field), "ranges[%zu]", i);
		/* Lists name one region over and over: ask the registry once per change. */
		if (!rec.id || rec.id != ranges[i]->region_id)
			r = region_get_named(ctx, field, ranges[i]->region_id, resp, &rec);
		if (r == 0)
			r = range_check(ctx, field, ranges[i], &rec, resp, &spans[i].start,
					&spans[i].len);
		spans[i].region = rec.id;
		spans[i].index = i;
	}
	if (r == 0)
		r = spans_disjoint(ctx, spans, n, resp);
out:
	if (r < 0) {
		free(spans);
		return r;
	}
	*ret = spans;
	*ret_n = n;
	return 0;
}

/* mlock and munlock act on whole regions in this engine. */
static int range_whole(struct req_ctx *ctx, const struct region_rec *rec, uint64_t first,
		       uint64_t nr, Response *resp)
{
	if (first == 0 && nr == rec->bytes / RCL_PAGE_SIZE)
		return 0;
	status_set(resp, CODE(INVALID_ARGUMENT),
		   "%s: range.first_page/nr_pages: this engine acts on whole regions only "
		   "(first_page 0, nr_pages 0 or %" PRIu64 ")", ctx->name,
		   rec->bytes / RCL_PAGE_SIZE);
	return -EINVAL;
}

/* The engine refused an access to a region the registry knows: say so in words. */
static int engine_error(struct req_ctx *ctx, int err, Response *resp)
{
	if (err == -ENOMEM && !strcmp(ctx->name, "mlock"))
		status_set(resp, CODE(NO_MEMORY), "mlock: the region cannot be locked: more than "
			   "free and reclaimable memory, or its memcg's max");
	else if (err == -ENOMEM)
		status_set(resp, CODE(NO_MEMORY), "%s: out of memory after reclaim", ctx->name);
	else if (err == -EBUSY)
		status_set(resp, CODE(BUSY), "%s: the region is mapped by a client, which holds "
			   "its pages: not until it is unmapped", ctx->name);
	else if (err == -EIO || err == -EBADMSG)
		status_set(resp, CODE(IO_ERROR), "%s: I/O error: %s", ctx->name, strerror(-err));
	return err;
}

/*
 * Touch @n spans in one engine call, whose regions were checked: each region looked up once
 * and held, so that one freed half-way, its id given to another's, is not touched in its
 * place (rcl_region_touchv).
 */
static int touch_spans(struct req_ctx *ctx, const struct span *spans, size_t n, bool write,
		       struct rcl_fault_counts *ret_faults)
{
	struct rcl_page_span *ps = calloc(n, sizeof(*ps));
	size_t i;
	int ret;

	if (!ps)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		ps[i] = (struct rcl_page_span){ .region = spans[i].region,
						.first = spans[i].start, .nr = spans[i].len };
	ret = rcl_region_touchv_counted(ctx->engine, ps, n, write, ret_faults);
	free(ps);
	return ret;
}

/*
 * Touch a range or a list of them; @resident: only if every page is resident and the engine
 * free (the loop's fast path), -EAGAIN with the response untouched otherwise. A list goes to
 * a worker whole: a fast path that gave up half-way would count its faults twice.
 */
static int touch(struct req_ctx *ctx, const Request *req, Response *resp, bool resident)
{
	const Reclaim__V1__Touch *t = req->touch;
	struct rcl_fault_counts faults = { 0, 0 };
	Reclaim__V1__TouchReply *r;
	struct span *spans;
	uint64_t pages = 0;
	size_t i, n;
	int ret;

	if (resident && t->n_ranges > 1)
		return -EAGAIN;
	ret = page_ranges_get(ctx, t->range, t->ranges, t->n_ranges, resp, &spans, &n);
	if (ret < 0)
		return ret;
	if (resident) {		/* one span: a list goes to a worker */
		ret = rcl_region_touch_resident(ctx->engine, spans[0].region, spans[0].start,
						spans[0].len, t->write);
		/* every page a fault that waited for nothing */
		faults = (struct rcl_fault_counts){ .minor = spans[0].len };
	} else {
		ret = touch_spans(ctx, spans, n, t->write, &faults);
	}
	for (i = 0; i < n && ret == 0; i++)
		pages += spans[i].len;
	free(spans);
	if (ret == -EAGAIN && resident)
		return ret;
	if (ret < 0)
		return engine_error(ctx, ret, resp);
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__touch_reply__init(r);
	r->pages = pages;
	r->minor_faults = faults.minor;
	r->major_faults = faults.major;
	resp->msg_case = RESP(TOUCH);
	resp->touch = r;
	return 0;
}

int req_touch(struct req_ctx *ctx, const Request *req, Response *resp)
{
	return touch(ctx, req, resp, false);
}

int req_touch_resident(struct req_ctx *ctx, const Request *req, Response *resp)
{
	return touch(ctx, req, resp, true);
}

/* Check [OFFSET, OFFSET + LEN) against the region's size. */
static int bytes_check(struct req_ctx *ctx, const struct region_rec *rec, uint64_t offset,
		       uint64_t len, Response *resp)
{
	if (offset > rec->bytes || len > rec->bytes - offset) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "%s: offset %" PRIu64 " + length %" PRIu64 " runs past the region's %"
			   PRIu64 " bytes", ctx->name, offset, len, rec->bytes);
		return -EINVAL;
	}
	return 0;
}

/*
 * The byte ranges RANGES[N] of a vectored Read or Write of region REC, checked: each
 * non-empty and within the region, no two overlapping. 0 with their bytes in *RET_TOTAL.
 */
static int byte_ranges_check(struct req_ctx *ctx, const struct region_rec *rec,
			     Reclaim__V1__ByteRange **ranges, size_t n, Response *resp,
			     uint64_t *ret_total)
{
	struct span *spans;
	uint64_t total = 0;
	size_t i;
	int ret;

	spans = calloc(n, sizeof(*spans));
	if (!spans)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const Reclaim__V1__ByteRange *r = ranges[i];

		if (r->length == 0 || r->offset > rec->bytes || r->length > rec->bytes - r->offset) {
			status_set(resp, CODE(INVALID_ARGUMENT),
				   "%s: ranges[%zu]: offset %" PRIu64 " length %" PRIu64 " must be "
				   "a non-empty range within the region's %" PRIu64 " bytes",
				   ctx->name, i, r->offset, r->length, rec->bytes);
			free(spans);
			return -EINVAL;
		}
		spans[i] = (struct span){ .start = r->offset, .len = r->length, .index = i };
		total += r->length;
	}
	ret = spans_disjoint(ctx, spans, n, resp);
	free(spans);
	*ret_total = total;
	return ret;
}

/* Free a reply read_ranges built and did not hand over. */
static void read_reply_drop(Reclaim__V1__ReadReply *r)
{
	size_t i;

	for (i = 0; i < r->n_ranges; i++)
		free(r->ranges[i].data);
	free(r->ranges);
	free(r);
}

/*
 * A vectored read: every range copied into its own bytes of the reply. @resident: only if
 * every page of every range is resident (the loop's fast path), -EAGAIN with the response
 * untouched otherwise.
 */
static int read_ranges(struct req_ctx *ctx, const Reclaim__V1__Read *rd, Response *resp,
		       bool resident)
{
	uint64_t total, max = ctx->config->max_frame_bytes - READ_OVERHEAD;
	struct rcl_region_iov *iov = NULL;
	Reclaim__V1__ReadReply *r;
	struct region_rec rec;
	size_t i;
	int ret;

	ret = ranges_count_check(ctx, rd->n_ranges, rd->offset || rd->length,
				 "offset and length", resp);
	if (ret == 0)
		ret = region_get(ctx, rd->region_id, resp, &rec, false);
	if (ret == 0)
		ret = byte_ranges_check(ctx, &rec, rd->ranges, rd->n_ranges, resp, &total);
	if (ret < 0)
		return ret;
	if (total + rd->n_ranges * RANGE_OVERHEAD > max) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "read: %" PRIu64 " bytes in %zu ranges are over the frame limit (%"
			   PRIu64 " bytes)", total, rd->n_ranges, max);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__read_reply__init(r);
	r->ranges = calloc(rd->n_ranges, sizeof(*r->ranges));
	iov = calloc(rd->n_ranges, sizeof(*iov));
	if (!r->ranges || !iov)
		goto nomem;
	for (i = 0; i < rd->n_ranges; i++) {
		const Reclaim__V1__ByteRange *br = rd->ranges[i];

		r->ranges[i].data = malloc(br->length ? br->length : 1);
		if (!r->ranges[i].data)
			goto nomem;
		r->ranges[i].len = br->length;
		r->n_ranges = i + 1;
		iov[i] = (struct rcl_region_iov){ .offset = br->offset, .len = br->length,
						  .buf = r->ranges[i].data };
	}
	/* One engine call for all the ranges: the region checked above is the one read, even
	 * if it is freed half-way and its id given to another's (rcl_region_readv). */
	if (resident)
		ret = rcl_region_readv_resident(ctx->engine, rec.id, iov, (unsigned int)rd->n_ranges);
	else
		ret = rcl_region_readv(ctx->engine, rec.id, iov, (unsigned int)rd->n_ranges);
	free(iov);
	if (ret == -EAGAIN && resident) {
		read_reply_drop(r);
		return ret;
	}
	resp->msg_case = RESP(READ);
	resp->read = r;
	return ret < 0 ? engine_error(ctx, ret, resp) : 0;
nomem:
	free(iov);
	read_reply_drop(r);
	return -ENOMEM;
}

/*
 * A read of one range; @resident: only if no page of it would fault and the engine is free
 * (the loop's fast path), -EAGAIN with the response untouched otherwise.
 */
static int read_one(struct req_ctx *ctx, const Reclaim__V1__Read *rd, Response *resp,
		    bool resident)
{
	uint64_t max = ctx->config->max_frame_bytes - READ_OVERHEAD;
	Reclaim__V1__ReadReply *r;
	struct region_rec rec;
	uint8_t *data;
	int ret;

	ret = region_get(ctx, rd->region_id, resp, &rec, false);
	if (ret == 0)
		ret = bytes_check(ctx, &rec, rd->offset, rd->length, resp);
	if (ret < 0)
		return ret;
	if (rd->length > max) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "read: length %" PRIu64 " is over the frame limit (%" PRIu64 " bytes)",
			   rd->length, max);
		return -EINVAL;
	}
	data = malloc(rd->length ? rd->length : 1);
	if (!data)
		return -ENOMEM;
	if (resident)
		ret = rcl_region_read_resident(ctx->engine, rec.id, rd->offset, data, rd->length);
	else
		ret = rcl_region_read(ctx->engine, rec.id, rd->offset, data, rd->length);
	if (ret == -EAGAIN && resident) {
		free(data);
		return ret;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		free(data);
		return -ENOMEM;
	}
	reclaim__v1__read_reply__init(r);
	r->data.data = data;
	r->data.len = rd->length;
	resp->msg_case = RESP(READ);
	resp->read = r;
	return ret < 0 ? engine_error(ctx, ret, resp) : 0;
}

int req_read(struct req_ctx *ctx, const Request *req, Response *resp)
{
	if (req->read->n_ranges)
		return read_ranges(ctx, req->read, resp, false);
	return read_one(ctx, req->read, resp, false);
}

/* Reads of resident pages never block: answered on the loop; the rest go to a worker whole. */
int req_read_resident(struct req_ctx *ctx, const Request *req, Response *resp)
{
	if (req->read->n_ranges)
		return read_ranges(ctx, req->read, resp, true);
	return read_one(ctx, req->read, resp, true);
}

/* Write: a vectored one's ranges checked against its data, which they share in order. */
static int write_ranges_check(struct req_ctx *ctx, const Reclaim__V1__Write *w,
			      const struct region_rec *rec, Response *resp)
{
	uint64_t total;
	int ret;

	ret = ranges_count_check(ctx, w->n_ranges, w->offset, "offset", resp);
	if (ret == 0)
		ret = byte_ranges_check(ctx, rec, w->ranges, w->n_ranges, resp, &total);
	if (ret == 0 && total != w->data.len) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "write: data has %zu bytes, the ranges %" PRIu64, w->data.len, total);
		ret = -EINVAL;
	}
	return ret;
}

/*
 * A vectored write's ranges, filled from its data in order, in one engine call: the region
 * checked is the one written, even if it is freed half-way and its id given to another's
 * (rcl_region_writev).
 */
static int write_ranges(struct req_ctx *ctx, const Reclaim__V1__Write *w, uint32_t id)
{
	struct rcl_region_iov *iov = calloc(w->n_ranges, sizeof(*iov));
	uint64_t done = 0;
	size_t i;
	int ret;

	if (!iov)
		return -ENOMEM;
	for (i = 0; i < w->n_ranges; i++) {
		iov[i] = (struct rcl_region_iov){ .offset = w->ranges[i]->offset,
						  .len = w->ranges[i]->length,
						  .buf = w->data.data + done };
		done += w->ranges[i]->length;
	}
	ret = rcl_region_writev(ctx->engine, id, iov, (unsigned int)w->n_ranges);
	free(iov);
	return ret;
}

/*
 * A write, of one range or a list; @resident: one range whose pages are all resident and the
 * engine free (the loop's fast path), -EAGAIN with the response untouched otherwise.
 */
static int write_any(struct req_ctx *ctx, const Reclaim__V1__Write *w, Response *resp,
		     bool resident)
{
	Reclaim__V1__WriteReply *r;
	struct region_rec rec;
	int ret;

	if (resident && w->n_ranges)
		return -EAGAIN;
	ret = region_get(ctx, w->region_id, resp, &rec, false);
	if (ret == 0 && w->n_ranges)
		ret = write_ranges_check(ctx, w, &rec, resp);
	else if (ret == 0)
		ret = bytes_check(ctx, &rec, w->offset, w->data.len, resp);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (resident)
		ret = rcl_region_write_resident(ctx->engine, rec.id, w->offset, w->data.data,
						w->data.len);
	else if (!w->n_ranges)
		ret = rcl_region_write(ctx->engine, rec.id, w->offset, w->data.data, w->data.len);
	if (ret == -EAGAIN && resident) {
		free(r);
		return ret;
	}
	if (w->n_ranges)
		ret = write_ranges(ctx, w, rec.id);
	if (ret < 0) {
		free(r);
		return engine_error(ctx, ret, resp);
	}
	reclaim__v1__write_reply__init(r);
	r->bytes = w->data.len;
	resp->msg_case = RESP(WRITE);
	resp->write = r;
	return 0;
}

int req_write(struct req_ctx *ctx, const Request *req, Response *resp)
{
	return write_any(ctx, req->write, resp, false);
}

/* Writes into resident anonymous pages never block: answered on the loop. */
int req_write_resident(struct req_ctx *ctx, const Request *req, Response *resp)
{
	return write_any(ctx, req->write, resp, true);
}

static const enum rcl_madvise advices[] = {
	[RECLAIM__V1__ADVICE__DONTNEED] = RCL_MADV_DONTNEED,
	[RECLAIM__V1__ADVICE__FREE] = RCL_MADV_FREE,
	[RECLAIM__V1__ADVICE__COLD] = RCL_MADV_COLD,
	[RECLAIM__V1__ADVICE__PAGEOUT] = RCL_MADV_PAGEOUT,
	[RECLAIM__V1__ADVICE__WILLNEED] = RCL_MADV_WILLNEED,
	[RECLAIM__V1__ADVICE__NORMAL] = RCL_MADV_NORMAL,
	[RECLAIM__V1__ADVICE__RANDOM] = RCL_MADV_RANDOM,
	[RECLAIM__V1__ADVICE__SEQUENTIAL] = RCL_MADV_SEQUENTIAL,
};

/*
 * The engine refused span @bad of a Madvise. A refusal of the advice for the region (FREE of a
 * file region, a drop of a mapped one's pages) comes before any span was acted on
 * (rcl_region_madvisev), so the answer says that nothing was done.
 */
static int madvise_error(struct req_ctx *ctx, const Reclaim__V1__Madvise *m,
			 const struct span *bad, int err, Response *resp)
{
	char where[40] = "";

	if (m->n_ranges)
		snprintf(where, sizeof(where), "ranges[%zu]: ", bad->index);
	if (err == -EINVAL && advices[m->advice] == RCL_MADV_FREE)
		status_set(resp, CODE(INVALID_ARGUMENT), "madvise: %sFREE is for anonymous "
			   "regions, and region %u maps a file; nothing was done", where,
			   (unsigned int)bad->region);
	else if (err == -EBUSY)
		status_set(resp, CODE(BUSY), "madvise: %sregion %u is mapped by a client, which "
			   "holds its pages: not until it is unmapped; nothing was done", where,
			   (unsigned int)bad->region);
	else
		return engine_error(ctx, err, resp);
	return err;
}

/* Apply a Madvise's advice to its @n checked spans: 0 with the pages in *@ret_pages. */
static int madvise_spans(struct req_ctx *ctx, const Reclaim__V1__Madvise *m,
			 const struct span *spans, size_t n, Response *resp, uint64_t *ret_pages)
{
	struct rcl_page_span *v = calloc(n, sizeof(*v));
	size_t i, bad = 0;
	int ret;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = (struct rcl_page_span){ spans[i].region, spans[i].start, spans[i].len };
	ret = rcl_region_madvisev(ctx->engine, v, n, advices[m->advice], &bad);
	free(v);
	if (ret < 0)
		return madvise_error(ctx, m, &spans[bad], ret, resp);
	for (i = 0; i < n; i++)
		*ret_pages += spans[i].len;
	return 0;
}

int req_madvise(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__Madvise *m = req->madvise;
	Reclaim__V1__MadviseReply *r;
	struct span *spans;
	uint64_t pages = 0;
	size_t n;
	int ret;

	if (m->advice == RECLAIM__V1__ADVICE__ADVICE_NONE ||
	    (unsigned int)m->advice >= sizeof(advices) / sizeof(advices[0])) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "madvise: advice %d is not one of DONTNEED, FREE, COLD, PAGEOUT, WILLNEED, "
			   "NORMAL, RANDOM, SEQUENTIAL", (int)m->advice);
		return -EINVAL;
	}
	ret = page_ranges_get(ctx, m->range, m->ranges, m->n_ranges, resp, &spans, &n);
	if (ret < 0)
		return ret;
	ret = madvise_spans(ctx, m, spans, n, resp, &pages);
	free(spans);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__madvise_reply__init(r);
	r->pages = pages;
	resp->msg_case = RESP(MADVISE);
	resp->madvise = r;
	return 0;
}

/* mlock, munlock: the region the whole-region @range names, in *@rec. */
static int whole_region_get(struct req_ctx *ctx, const Reclaim__V1__PageRange *range,
			    Response *resp, struct region_rec *rec)
{
	uint64_t first, nr;
	int ret;

	ret = range_get(ctx, range, resp, rec, &first, &nr);
	if (ret == 0)
		ret = range_whole(ctx, rec, first, nr, resp);
	return ret;
}

/*
 * Lock the region: its bytes count against its owner's max-client-locked-bytes first, as
 * mlock(2) checks RLIMIT_MEMLOCK before it faults anything in; if the record said they count
 * already, without the check, since the charge is then given back. The registry's record, swapped
 * after the lock, settles whose charge stays: this one if the record held none (a munlock may
 * have taken the earlier one away meanwhile), else the one recorded, and this one goes back;
 * so does one whose region was freed meanwhile.
 */
static int region_lock(struct req_ctx *ctx, const struct region_rec *rec, Response *resp)
{
	struct rawpages *raw = ctx->server->raw;
	uint64_t old = 0;
	int ret;

	ret = limits_charge_locked(ctx->config, raw, rec->uid, ctx->admin || rec->locked_bytes,
				   rec->bytes, "mlock", resp);
	if (ret < 0)
		return ret;
	ret = rcl_region_mlock(ctx->engine, rec->id);
	if (ret < 0) {
		rawpages_uncharge_locked(raw, rec->uid, rec->bytes);
		return engine_error(ctx, ret, resp);
	}
	if (registry_region_set_locked(ctx->server->registry, rec, rec->bytes, &old) < 0 ||
	    old)
		rawpages_uncharge_locked(raw, rec->uid, rec->bytes);
	return 0;
}

/* Unlock the region, and give its owner back the bytes it had locked. */
static int region_unlock(struct req_ctx *ctx, const struct region_rec *rec, Response *resp)
{
	uint64_t old = 0;
	int ret = rcl_region_munlock(ctx->engine, rec->id);

	if (ret < 0)
		return engine_error(ctx, ret, resp);
	if (registry_region_set_locked(ctx->server->registry, rec, 0, &old) == 0)
		rawpages_uncharge_locked(ctx->server->raw, rec->uid, old);
	return 0;
}

int req_mlock(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__MlockReply *r;
	struct region_rec rec;
	int ret = whole_region_get(ctx, req->mlock->range, resp, &rec);

	if (ret == 0)
		ret = region_lock(ctx, &rec, resp);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__mlock_reply__init(r);
	r->pages = rec.bytes / RCL_PAGE_SIZE;
	resp->msg_case = RESP(MLOCK);
	resp->mlock = r;
	return 0;
}

int req_munlock(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__MunlockReply *r;
	struct region_rec rec;
	int ret = whole_region_get(ctx, req->munlock->range, resp, &rec);

	if (ret == 0)
		ret = region_unlock(ctx, &rec, resp);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__munlock_reply__init(r);
	r->pages = rec.bytes / RCL_PAGE_SIZE;
	resp->msg_case = RESP(MUNLOCK);
	resp->munlock = r;
	return 0;
}

int req_msync(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__MsyncReply *r;
	struct region_rec rec;
	uint64_t first, nr, written;
	int ret;

	ret = range_get(ctx, req->msync->range, resp, &rec, &first, &nr);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	/* MS_ASYNC is served as MS_SYNC: the engine's msync writes back and waits. */
	ret = rcl_region_msync_range(ctx->engine, rec.id, first, nr, &written);
	if (ret < 0) {
		free(r);
		return engine_error(ctx, ret, resp);
	}
	reclaim__v1__msync_reply__init(r);
	r->pages_written = written;
	resp->msg_case = RESP(MSYNC);
	resp->msync = r;
	return 0;
}

int req_region_info(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__RegionInfoReply *r;
	struct rcl_region_info info;
	struct region_rec rec;
	int ret;

	ret = region_get(ctx, req->region_info->region_id, resp, &rec, false);
	if (ret < 0)
		return ret;
	ret = rcl_region_info(ctx->engine, rec.id, &info);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__region_info_reply__init(r);
	resp->msg_case = RESP(REGION_INFO);
	resp->region_info = r;
	r->region_id = rec.id;
	r->kind = rec.file ? RECLAIM__V1__REGION_KIND__REGION_FILE :
			     RECLAIM__V1__REGION_KIND__REGION_ANON;
	r->pages = info.nr_pages;
	r->owner_uid = (uint32_t)rec.uid;
	r->persistent = rec.persistent;
	r->resident_pages = info.resident;
	r->swapped_pages = info.swapped;
	r->dirty_pages = info.dirty;
	r->locked_pages = info.flags & RCL_REGION_LOCKED ? info.nr_pages : 0;
	r->memcg = strdup(rec.memcg);
	r->path = strdup(rec.path);
	return r->memcg && r->path ? 0 : -ENOMEM;
}

/*
 * MapRegion: the region's memfd and a /dev/userfaultfd descriptor go to the client with the
 * answer (the session hands them over, mapfd.c); only the region's owner (or an admin) may
 * map it, as for every region request.
 */
int req_map_region(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__MapRegionReply *r;
	struct region_rec rec;
	const char *why = "";
	uint64_t pages;
	int ret;

	if (ctx->config->mapped_regions == MAPPED_OFF ||
	    (ctx->config->mapped_regions == MAPPED_ADMIN && !ctx->admin)) {
		status_set(resp, CODE(PERMISSION_DENIED), "map region: mapped regions are %s "
			   "(reclaimd's mapped-regions setting)",
			   ctx->config->mapped_regions == MAPPED_OFF ? "off" :
			   "for root and the admin group only");
		return -EPERM;
	}
	ret = region_get(ctx, req->map_region->region_id, resp, &rec, false);
	if (ret < 0)
		return ret;
	if (rec.file) {
		status_set(resp, CODE(INVALID_ARGUMENT), "map region: region %" PRIu32 " is a file "
			   "region: only anonymous regions can be mapped so far", rec.id);
		return -EINVAL;
	}
	/* The memfd, /dev/userfaultfd, the hint channel's two ends, the socket's duplicate. */
	if (!ctx->admin && !fd_client_room(MAPFD_FDS))
		return req_fd_refused(ctx, resp);
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	pages = rec.bytes / RCL_PAGE_SIZE;
	/* Counted against the caller, whose connection holds the descriptors, not the region's
	 * owner; an admin's count is kept too, but not held to the limit. */
	ret = mapfd_prepare(ctx->server->mapfd, rec.id, pages, ctx->session_id, ctx->uid,
			    ctx->admin ? 0 : limits_max_mapped_regions(ctx->config), &ctx->map, &why);
	if (ret == -EDQUOT) {
		free(r);
		return limits_mapped_refused(ctx->config, ctx->uid, resp);
	}
	if (ret < 0) {
		free(r);
		status_set(resp, ret == -EOPNOTSUPP ? CODE(UNSUPPORTED) :
				 ret == -EBUSY || ret == -EAGAIN ? CODE(BUSY) :
				 status_code_from_errno(ret),
			   "map region: region %" PRIu32 ": %s", rec.id, why);
		return ret;
	}
	reclaim__v1__map_region_reply__init(r);
	r->region_id = rec.id;
	r->pages = pages;
	r->loss_notice = mapfd_loss_notice(ctx->server->mapfd);
	r->hint_confirms = true;
	resp->msg_case = RESP(MAP_REGION);
	resp->map_region = r;
	return 0;
}

/* Why UnmapRegion of ID found no mapping of this connection: what region_get says of the
 * region, or that this connection has not mapped it. */
static int unmap_refused(struct req_ctx *ctx, uint64_t id, Response *resp)
{
	struct region_rec rec;
	int ret = region_get(ctx, id, resp, &rec, false);

	if (ret < 0)
		return ret;
	status_set(resp, CODE(NOT_FOUND), "unmap region: this connection has not mapped region %"
		   PRIu32, rec.id);
	return -ENOENT;
}

/*
 * UnmapRegion. The caller's own mapping goes whatever became of its region: one lost to an
 * OOM kill (its region gone) is unmapped all the same, giving back its descriptors and its
 * count against max-client-mapped-regions without closing the connection. Only this
 * connection's mappings are looked at, so that needs no other check; without one, the
 * refusal says what is wrong with the region, or that this connection has not mapped it.
 */
int req_unmap_region(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__UnmapRegionReply *r = malloc(sizeof(*r));
	uint64_t id = req->unmap_region->region_id;
	int ret = -ENOENT;

	if (!r)
		return -ENOMEM;
	if (id && id <= UINT32_MAX)
		ret = mapfd_unmap(ctx->server->mapfd, ctx->session_id, (uint32_t)id);
	if (ret < 0)
		ret = unmap_refused(ctx, id, resp);
	if (ret < 0) {
		free(r);
		return ret;
	}
	reclaim__v1__unmap_region_reply__init(r);
	resp->msg_case = RESP(UNMAP_REGION);
	resp->unmap_region = r;
	return 0;
}

int req_file_chmod(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__FileChmod *m = req->file_chmod;
	struct file_cred cred = req_file_cred(ctx);
	Reclaim__V1__FileChmodReply *r;
	struct file_attr attr;
	int ret;

	ret = req_path_check(ctx, m->path, resp);
	if (ret < 0)
		return ret;
	if (m->mode > 0777) {
		status_set(resp, CODE(INVALID_ARGUMENT), "file chmod: mode %#o has bits beyond 0777",
			   m->mode);
		return -EINVAL;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = file_owners_chmod(ctx->server->files, m->path, &cred, m->mode, &attr);
	if (ret == -EPERM) {
		free(r);
		status_set(resp, CODE(PERMISSION_DENIED),
			   "file chmod: path '%s' belongs to uid %u: only its owner, root or the "
			   "admin group may change its mode", m->path, (unsigned int)attr.uid);
		return ret;
	}
	if (ret < 0) {
		free(r);
		return req_file_error(ctx, m->path, ret, "", &attr, resp);
	}
	reclaim__v1__file_chmod_reply__init(r);
	r->owner_uid = (uint32_t)attr.uid;
	r->owner_gid = (uint32_t)attr.gid;
	r->mode = attr.mode;
	resp->msg_case = RESP(FILE_CHMOD);
	resp->file_chmod = r;
	return 0;
}
