/*
 * req-memcg.c - memory cgroups, proactive reclaim, drop caches and the pressure level now.
 *
 * Paths are "/a/b" ("/" is the root). A group is used (regions in it, reclaim, groups made
 * below it) by the uid that owns it (its creator, or the uid an admin delegated it to), root
 * or the admin group; top-level groups are created by admins only, deeper ones by whoever owns
 * the parent. A group's limits are set, and the group removed, by whoever owns its parent, as
 * cgroup v2 delegation leaves the delegated directory's interface files and its rmdir to the
 * parent directory's owner: they share out the parent's memory, so a delegatee configures and
 * removes the groups below the one it was given, never that one.
 * Reading (stat, list, events, pressure) follows the rule of regions: a client that is not an
 * admin sees the root group (the daemon's own figures), the groups it owns and what lies
 * below them; any other group is PERMISSION_DENIED naming its owner, as another uid's region
 * is, and memcg list leaves it out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "fdlimit.h"
#include "reclaim/memcg.h"
#include "reclaim/pressure.h"
#include "registry.h"
#include "req-util.h"
#include "server.h"
#include "status.h"


int req_memcg_resolve(struct req_ctx *ctx, const char *field, const char *path, Response *resp,
		      uint32_t *ret_id)
{
	int ret;

	if (!*path)
		path = "/";
	if (path[0] != '/' || strlen(path) > MEMCG_PATH_MAX) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "%s: %s '%.64s' must be an absolute memcg path like /a/b", ctx->name,
			   field, path);
		return -EINVAL;
	}
	ret = rcl_memcg_lookup(ctx->engine, path, ret_id);
	if (ret == -ENOENT)
		status_set(resp, CODE(NOT_FOUND), "%s: %s: no memcg %s", ctx->name, field, path);
	else if (ret < 0)
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: %s: bad memcg path '%.64s'",
			   ctx->name, field, path);
	return ret;
}

bool req_memcg_may_use(struct req_ctx *ctx, uint32_t id)
{
	if (ctx->admin)
		return true;
	if (id == RCL_MEMCG_ROOT)
		return false;
	return registry_memcg_owner(ctx->server->registry, id) == ctx->uid;
}

static int deny(struct req_ctx *ctx, Response *resp, const char *path, uint32_t id);

/* Group ID's parent, in *@ret. 0, or -ENOENT (ID is gone, or the root). */
static int memcg_parent(struct req_ctx *ctx, uint32_t id, uint32_t *ret)
{
	char path[1024], *slash;
	int err = rcl_memcg_path(ctx->engine, id, path, sizeof(path));

	if (err < 0)
		return err;
	slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return -ENOENT;
	if (slash == path) {
		*ret = RCL_MEMCG_ROOT;
		return 0;
	}
	*slash = '\0';
	return rcl_memcg_lookup(ctx->engine, path, ret);
}

/*
 * May the caller set group ID's limits or remove it (PATH, as the request named it)? Its
 * parent's owner may (the header says why); the caller that owns ID alone is told who may.
 * 0, or -EPERM / -ENOENT with RESP's Status set.
 */
static int may_configure(struct req_ctx *ctx, const char *path, uint32_t id, Response *resp)
{
	uint32_t parent;
	int err;

	if (ctx->admin)
		return 0;
	err = memcg_parent(ctx, id, &parent);
	if (err < 0) {
		status_set(resp, CODE(NOT_FOUND), "%s: no memcg %s", ctx->name, path);
		return err;
	}
	if (parent != RCL_MEMCG_ROOT && req_memcg_may_use(ctx, parent))
		return 0;
	if (!req_memcg_may_use(ctx, id))
		return deny(ctx, resp, path, id);
	status_set(resp, CODE(PERMISSION_DENIED),
		   "%s: %s was delegated to uid %u: its limits and its removal belong to the "
		   "owner of its parent (uid %u); uid %u may change the groups it makes below it",
		   ctx->name, path, (unsigned int)ctx->uid,
		   (unsigned int)registry_memcg_owner(ctx->server->registry, parent),
		   (unsigned int)ctx->uid);
	return -EPERM;
}

/* May the caller read group ID's figures and hear its events? */
static bool memcg_visible(struct req_ctx *ctx, uint32_t id)
{
	return ctx->admin || registry_memcg_visible(ctx->server->registry, id, ctx->uid);
}

int req_memcg_resolve_visible(struct req_ctx *ctx, const char *field, const char *path,
			      Response *resp, uint32_t *ret_id)
{
	int ret = req_memcg_resolve(ctx, field, path, resp, ret_id);

	if (ret == 0 && !memcg_visible(ctx, *ret_id))
		return deny(ctx, resp, *path ? path : "/", *ret_id);
	return ret;
}

static int deny(struct req_ctx *ctx, Response *resp, const char *path, uint32_t id)
{
	if (id == RCL_MEMCG_ROOT)
		status_set(resp, CODE(PERMISSION_DENIED),
			   "%s: %s: only root or the admin group may do this (uid %u)", ctx->name,
			   path, (unsigned int)ctx->uid);
	else
		status_set(resp, CODE(PERMISSION_DENIED), "%s: %s belongs to uid %u", ctx->name,
			   path, (unsigned int)registry_memcg_owner(ctx->server->registry, id));
	return -EPERM;
}

static const struct {
	const char *name;
	size_t offset;
	enum rcl_memcg_knob knob;
} limit_fields[] = {
	{ "min", offsetof(Reclaim__V1__MemcgLimits, min), RCL_MEMCG_MIN },
	{ "low", offsetof(Reclaim__V1__MemcgLimits, low), RCL_MEMCG_LOW },
	{ "high", offsetof(Reclaim__V1__MemcgLimits, high), RCL_MEMCG_HIGH },
	{ "swap_max", offsetof(Reclaim__V1__MemcgLimits, swap_max), RCL_MEMCG_SWAP_MAX },
	{ "soft_limit", offsetof(Reclaim__V1__MemcgLimits, soft_limit), RCL_MEMCG_SOFT_LIMIT },
	{ "swappiness", offsetof(Reclaim__V1__MemcgLimits, swappiness), RCL_MEMCG_SWAPPINESS },
	/*
	 * Last: a lower max reclaims down to it, which lets the engine's lock go. Set by id
	 * after that, a knob could meet the group deleted and its id given to another uid's
	 * (a 16-bit generation), as a region's was (req-region.c); before it, each call is
	 * one short hold of the lock.
	 */
	{ "max", offsetof(Reclaim__V1__MemcgLimits, max), RCL_MEMCG_MAX },
};

#define NR_LIMIT_FIELDS (sizeof(limit_fields) / sizeof(limit_fields[0]))

static const Reclaim__V1__OptU64 *limit_field(const Reclaim__V1__MemcgLimits *l, size_t i)
{
	return l ? *(Reclaim__V1__OptU64 *const *)((const char *)l + limit_fields[i].offset) : NULL;
}

static int limits_check(struct req_ctx *ctx, const Reclaim__V1__MemcgLimits *l, Response *resp)
{
	const Reclaim__V1__OptU64 *sw = l ? l->swappiness : NULL;

	if (sw && sw->value > 100) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "%s: limits.swappiness %" PRIu64 " is above 100", ctx->name, sw->value);
		return -EINVAL;
	}
	return 0;
}

static int limits_apply(struct req_ctx *ctx, uint32_t id, const Reclaim__V1__MemcgLimits *l,
			Response *resp)
{
	size_t i;
	int ret;

	for (i = 0; i < NR_LIMIT_FIELDS; i++) {
		const Reclaim__V1__OptU64 *v = limit_field(l, i);

		if (!v)
			continue;
		ret = rcl_memcg_set(ctx->engine, id, limit_fields[i].knob, v->value);
		if (ret < 0) {
			status_set(resp, status_code_from_errno(ret), "%s: limits.%s: %s",
				   ctx->name, limit_fields[i].name, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* MemcgCreate.owner_uid: admins may delegate a group to another uid. */
static int owner_check(struct req_ctx *ctx, const Reclaim__V1__OptU64 *o, Response *resp,
		       uid_t *ret_owner)
{
	if (!o)
		return 0;
	if (!ctx->admin) {
		status_set(resp, CODE(PERMISSION_DENIED),
			   "memcg create: owner_uid: only root or the admin group may delegate a "
			   "group (uid %u)", (unsigned int)ctx->uid);
		return -EPERM;
	}
	if (o->value >= (uid_t)-1) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "memcg create: owner_uid %" PRIu64 " is not a uid (0..%u)", o->value,
			   (unsigned int)(uid_t)-2);
		return -EINVAL;
	}
	*ret_owner = (uid_t)o->value;
	return 0;
}

int req_memcg_create(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__MemcgCreate *c = req->memcg_create;
	char parent[MEMCG_PATH_MAX + 2], *slash;
	Reclaim__V1__MemcgCreateReply *r;
	uint32_t parent_id, id;
	uid_t owner = ctx->uid;
	int ret;

	if (strlen(c->path) > MEMCG_PATH_MAX) {
		status_set(resp, CODE(INVALID_ARGUMENT), "memcg create: path of %zu bytes is "
			   "longer than %d", strlen(c->path), MEMCG_PATH_MAX);
		return -EINVAL;
	}
	if (c->path[0] != '/' || !c->path[1] || c->path[strlen(c->path) - 1] == '/') {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "memcg create: path '%.64s' must be like /a or /a/b", c->path);
		return -EINVAL;
	}
	ret = limits_check(ctx, c->limits, resp);
	if (ret == 0)
		ret = owner_check(ctx, c->owner_uid, resp, &owner);
	if (ret < 0)
		return ret;
	strcpy(parent, c->path);
	slash = strrchr(parent, '/');
	*slash = '\0';
	ret = req_memcg_resolve(ctx, "parent of path", slash == parent ? "/" : parent, resp,
				&parent_id);
	if (ret < 0)
		return ret;
	if (!req_memcg_may_use(ctx, parent_id))
		return deny(ctx, resp, slash == parent ? "/" : parent, parent_id);
	/* A group gets a memory-pressure socket: a descriptor (fdlimit.h). */
	if (!ctx->admin && !fd_client_room(1))
		return req_fd_refused(ctx, resp);
	ret = rcl_memcg_create(ctx->engine, parent_id, slash + 1, &id);
	if (ret == -EEXIST)
		status_set(resp, CODE(ALREADY_EXISTS), "memcg create: %s exists", c->path);
	else if (ret == -EINVAL)
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "memcg create: name '%.64s' must be 1..63 of [A-Za-z0-9_.-]", slash + 1);
	if (ret < 0)
		return ret;
	ret = limits_apply(ctx, id, c->limits, resp);
	if (ret == 0)
		ret = registry_memcg_add(ctx->server->registry, id, owner, c->path,
					 ctx->admin ? 0 : ctx->config->max_client_memcgs);
	if (ret == -EDQUOT)
		status_set(resp, CODE(NO_SPACE), "memcg create: uid %u already owns as many groups "
			   "as it may (max-client-memcgs %u)", (unsigned int)owner,
			   ctx->config->max_client_memcgs);
	if (ret < 0) {
		rcl_memcg_delete(ctx->engine, id);	/* nothing changes on error */
		return ret;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__memcg_create_reply__init(r);
	resp->msg_case = RESP(MEMCG_CREATE);
	resp->memcg_create = r;
	r->path = strdup(c->path);
	return r->path ? 0 : -ENOMEM;
}

int req_memcg_set(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__MemcgSet *set = req->memcg_set;
	Reclaim__V1__MemcgSetReply *r;
	uint32_t id;
	int ret;

	ret = req_memcg_resolve(ctx, "path", set->path, resp, &id);
	if (ret < 0)
		return ret;
	if (id == RCL_MEMCG_ROOT) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "memcg set: the root group has no limits (see the tunables)");
		return -EINVAL;
	}
	ret = may_configure(ctx, set->path, id, resp);
	if (ret == 0)
		ret = limits_check(ctx, set->limits, resp);
	if (ret == 0)
		ret = limits_apply(ctx, id, set->limits, resp);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__memcg_set_reply__init(r);
	resp->msg_case = RESP(MEMCG_SET);
	resp->memcg_set = r;
	return 0;
}

int req_memcg_delete(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const char *path = req->memcg_delete->path;
	Reclaim__V1__MemcgDeleteReply *r;
	uint32_t id;
	int ret;

	/* "" names no group here, as in create (elsewhere it stands for the root). */
	if (!*path) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "memcg delete: path '' must be like /a or /a/b");
		return -EINVAL;
	}
	ret = req_memcg_resolve(ctx, "path", path, resp, &id);
	if (ret < 0)
		return ret;
	if (id == RCL_MEMCG_ROOT) {
		status_set(resp, CODE(PERMISSION_DENIED), "memcg delete: the root group stays");
		return -EPERM;
	}
	ret = may_configure(ctx, path, id, resp);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = rcl_memcg_delete(ctx->engine, id);
	if (ret == -EBUSY)
		status_set(resp, CODE(BUSY), "memcg delete: %s still has child groups, regions or "
			   "open files charged to it", path);
	if (ret < 0) {
		free(r);
		return ret;
	}
	registry_memcg_remove(ctx->server->registry, id);
	reclaim__v1__memcg_delete_reply__init(r);
	resp->msg_case = RESP(MEMCG_DELETE);
	resp->memcg_delete = r;
	return 0;
}

/* "key value" lines of TEXT as Counters. 0 or -ENOMEM. */
static int text_counters(const char *text, Reclaim__V1__Counter ***ret, size_t *ret_n)
{
	const char *p, *nl;
	size_t lines = 1;

	for (nl = text; (nl = strchr(nl, '\n')); nl++)
		lines++;
	*ret = calloc(lines, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (p = text; *p; p = nl ? nl + 1 : p + strlen(p)) {
		Reclaim__V1__Counter *c;
		const char *sp;
		size_t len;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		sp = memchr(p, ' ', len);
		if (!sp || sp == p)
			continue;
		c = malloc(sizeof(*c));
		if (!c)
			return -ENOMEM;
		reclaim__v1__counter__init(c);
		c->name = strndup(p, (size_t)(sp - p));
		c->value = strtoull(sp + 1, NULL, 10);
		(*ret)[(*ret_n)++] = c;
		if (!c->name) {
			c->name = (char *)protobuf_c_empty_string;
			return -ENOMEM;
		}
	}
	return 0;
}

/* memory.stat (STAT) or memory.events of group ID as text (malloc'd). 0 or -errno. */
static int memcg_text(struct req_ctx *ctx, uint32_t id, bool stat, char **ret)
{
	size_t len = 0;
	FILE *f = open_memstream(ret, &len);
	int r;

	if (!f)
		return -ENOMEM;
	r = stat ? rcl_memcg_show_stat(ctx->engine, id, f) : rcl_memcg_show_events(ctx->engine, id, f);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(*ret);
		*ret = NULL;
	}
	return r;
}

static uint64_t counter_value(Reclaim__V1__Counter **c, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(c[i]->name, name))
			return c[i]->value;
	return 0;
}

int req_memcg_stat(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const char *path = *req->memcg_stat->path ? req->memcg_stat->path : "/";
	Reclaim__V1__MemcgStatReply *r;
	char *stat = NULL, *events = NULL;
	uint32_t id;
	int ret;

	ret = req_memcg_resolve_visible(ctx, "path", path, resp, &id);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__memcg_stat_reply__init(r);
	resp->msg_case = RESP(MEMCG_STAT);
	resp->memcg_stat = r;
	r->path = strdup(path);
	if (!r->path)
		return -ENOMEM;
	ret = rcl_memcg_usage(ctx->engine, id, &r->usage_bytes);
	if (ret == 0)
		ret = memcg_text(ctx, id, true, &stat);
	if (ret == 0)
		ret = memcg_text(ctx, id, false, &events);
	if (ret == 0)
		ret = text_counters(stat, &r->stat, &r->n_stat);
	if (ret == 0)
		ret = text_counters(events, &r->events, &r->n_events);
	if (ret == 0)
		r->swap_bytes = counter_value(r->stat, r->n_stat, "swap");
	free(stat);
	free(events);
	return ret;
}

int req_memcg_events(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const char *path = *req->memcg_events->path ? req->memcg_events->path : "/";
	Reclaim__V1__MemcgEventsReply *r;
	char *events = NULL;
	uint32_t id;
	int ret;

	ret = req_memcg_resolve_visible(ctx, "path", path, resp, &id);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__memcg_events_reply__init(r);
	resp->msg_case = RESP(MEMCG_EVENTS);
	resp->memcg_events = r;
	r->path = strdup(path);
	if (!r->path)
		return -ENOMEM;
	ret = memcg_text(ctx, id, false, &events);
	if (ret == 0)
		ret = text_counters(events, &r->events, &r->n_events);
	free(events);
	return ret;
}

/* Group @id as memcg list shows it into *@ret (left alone if it has gone: -ENOENT). */
static int memcg_info(struct req_ctx *ctx, uint32_t id, Reclaim__V1__MemcgInfo **ret)
{
	Reclaim__V1__MemcgInfo *m = malloc(sizeof(*m));
	char path[MEMCG_PATH_MAX + 24];
	uint64_t v;
	int r;

	if (!m)
		return -ENOMEM;
	reclaim__v1__memcg_info__init(m);
	r = rcl_memcg_path(ctx->engine, id, path, sizeof(path));
	if (r < 0) {		/* deleted since the listing: not listed */
		free(m);
		return r;
	}
	*ret = m;
	m->path = strdup(path);
	if (!m->path)
		return -ENOMEM;
	m->owner_uid = (uint32_t)registry_memcg_owner(ctx->server->registry, id);
	/* A group deleted meanwhile reads as zeros: the walk saw it a moment ago. */
	rcl_memcg_usage(ctx->engine, id, &m->usage_bytes);
	rcl_memcg_get(ctx->engine, id, RCL_MEMCG_MIN, &m->min);
	rcl_memcg_get(ctx->engine, id, RCL_MEMCG_LOW, &m->low);
	rcl_memcg_get(ctx->engine, id, RCL_MEMCG_HIGH, &m->high);
	rcl_memcg_get(ctx->engine, id, RCL_MEMCG_MAX, &m->max);
	rcl_memcg_get(ctx->engine, id, RCL_MEMCG_SWAP_MAX, &m->swap_max);
	if (rcl_memcg_get(ctx->engine, id, RCL_MEMCG_SWAPPINESS, &v) == 0)
		m->swappiness = (uint32_t)v;
	return 0;
}

int req_memcg_list(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__MemcgListReply *r;
	uint32_t root, *ids = NULL;
	int ret, n, i;

	ret = req_memcg_resolve_visible(ctx, "path", req->memcg_list->path, resp, &root);
	if (ret < 0)
		return ret;
	n = rcl_memcg_list_alloc(ctx->engine, root, &ids);
	if (n == -ENOENT) {	/* deleted since it was resolved */
		status_set(resp, CODE(NOT_FOUND), "%s: memcg list: %s was deleted meanwhile",
			   ctx->name, *req->memcg_list->path ? req->memcg_list->path : "/");
		return n;
	}
	if (n < 0)
		return n;
	ret = -ENOMEM;
	r = malloc(sizeof(*r));
	if (!r)
		goto out;
	reclaim__v1__memcg_list_reply__init(r);
	resp->msg_case = RESP(MEMCG_LIST);
	resp->memcg_list = r;
	r->memcgs = calloc((size_t)n, sizeof(*r->memcgs));
	if (n && !r->memcgs)
		goto out;
	for (i = 0; i < n; i++) {
		if (!memcg_visible(ctx, ids[i]))
			continue;
		ret = memcg_info(ctx, ids[i], &r->memcgs[r->n_memcgs]);
		if (r->memcgs[r->n_memcgs])
			r->n_memcgs++;
		if (ret == -ENOMEM)
			goto out;
	}
	ret = 0;
out:
	free(ids);
	return ret;
}

int req_reclaim(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__ProactiveReclaim *p = req->reclaim;
	const char *path = *p->memcg ? p->memcg : "/";
	Reclaim__V1__ProactiveReclaimReply *r;
	/* Rounded up without the sum, which a size near 2^64 would wrap to nothing. */
	uint64_t got = 0, scanned = 0,
		 want = p->bytes / RCL_PAGE_SIZE + (p->bytes % RCL_PAGE_SIZE != 0);
	int ret, swappiness = -1;
	uint32_t id;

	/* memory.reclaim's swappiness= (Linux 6.13): 0..200, 200 reclaiming anon alone. */
	if (p->swappiness) {
		if (p->swappiness->value > RCL_MAX_SWAPPINESS) {
			status_set(resp, CODE(INVALID_ARGUMENT), "reclaim: swappiness %" PRIu64
				   " is above %d", p->swappiness->value, RCL_MAX_SWAPPINESS);
			return -EINVAL;
		}
		swappiness = (int)p->swappiness->value;
	}
	ret = req_memcg_resolve(ctx, "memcg", path, resp, &id);
	if (ret < 0)
		return ret;
	if (!req_memcg_may_use(ctx, id))
		return deny(ctx, resp, path, id);
	/* 0 bytes: nothing to do, done (as writing 0 to memory.reclaim is). */
	ret = rcl_memcg_reclaim_scan(ctx->engine, id, want, swappiness, &got, &scanned);
	if (ret == -EAGAIN) {
		/* Retries ran out short of the amount: memory.reclaim's EAGAIN, with the figure. */
		status_set(resp, CODE(BUSY), "reclaim: only %" PRIu64 " of %" PRIu64
			   " bytes could be reclaimed from %s (%" PRIu64 " pages scanned)",
			   got * RCL_PAGE_SIZE, p->bytes, path, scanned);
		return ret;
	}
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__proactive_reclaim_reply__init(r);
	r->reclaimed_bytes = got * RCL_PAGE_SIZE;
	r->scanned_pages = scanned;
	resp->msg_case = RESP(RECLAIM);
	resp->reclaim = r;
	return 0;
}

int req_drop_caches(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__DropCaches *d = req->drop_caches;
	Reclaim__V1__DropCachesReply *r;
	uint64_t dropped = 0;
	int ret;

	if (!d->pagecache && !d->shadows) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "drop caches: set pagecache, shadows or both");
		return -EINVAL;
	}
	/* Dropping clean page cache also drops the shadows of what it evicts; there is no
	 * separate shadow pass in this engine. */
	ret = rcl_drop_caches(ctx->engine, &dropped);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__drop_caches_reply__init(r);
	r->pages_dropped = dropped;
	resp->msg_case = RESP(DROP_CACHES);
	resp->drop_caches = r;
	return 0;
}

Reclaim__V1__PressureLevel req_pressure_level(enum rcl_pressure_level l)
{
	switch (l) {
	case RCL_PRESSURE_LOW: return RECLAIM__V1__PRESSURE_LEVEL__PRESSURE_LOW;
	case RCL_PRESSURE_MEDIUM: return RECLAIM__V1__PRESSURE_LEVEL__PRESSURE_MEDIUM;
	case RCL_PRESSURE_CRITICAL: return RECLAIM__V1__PRESSURE_LEVEL__PRESSURE_CRITICAL;
	default: return RECLAIM__V1__PRESSURE_LEVEL__PRESSURE_NONE;
	}
}

static Reclaim__V1__PsiFigures *psi_figures(const struct rcl_psi_figures *in)
{
	Reclaim__V1__PsiFigures *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	reclaim__v1__psi_figures__init(f);
	f->avg10 = in->avg10;
	f->avg60 = in->avg60;
	f->avg300 = in->avg300;
	f->total_usec = in->total_usec;
	return f;
}

/* memory.pressure of group @id into the reply's some/full. */
static int pressure_psi(struct req_ctx *ctx, uint32_t id, Reclaim__V1__PressureReply *r)
{
	struct rcl_psi psi;
	int ret = rcl_psi_read(ctx->engine, id, &psi);

	if (ret < 0)
		return ret;
	r->some = psi_figures(&psi.some);
	r->full = psi_figures(&psi.full);
	return r->some && r->full ? 0 : -ENOMEM;
}

int req_pressure(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const char *path = *req->pressure->memcg ? req->pressure->memcg : "/";
	Reclaim__V1__PressureReply *r;
	enum rcl_pressure_level level;
	uint32_t id;
	int ret;

	ret = req_memcg_resolve_visible(ctx, "memcg", path, resp, &id);
	if (ret < 0)
		return ret;
	ret = rcl_pressure_now(ctx->engine, id, &level);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__pressure_reply__init(r);
	resp->msg_case = RESP(PRESSURE);
	resp->pressure = r;
	r->level = req_pressure_level(level);
	r->memcg = strdup(path);
	if (!r->memcg)
		return -ENOMEM;
	return pressure_psi(ctx, id, r);
}
