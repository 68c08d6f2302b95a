/*
 * rclc-calls.c - the typed calls of libreclaim-client: each fills a Request from plain C
 * arguments, and a decoder fills the caller's C structs from the answer, now or, for an
 * asynchronous call, when it completes.
 *
 * The public enums (advice, stat views, pressure levels, region kinds, file advice) carry the
 * wire's numbers, so they convert by a cast.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rclc-internal.h"

typedef Reclaim__V1__Request Request;
typedef Reclaim__V1__Response Response;

#define WANT(name)	RECLAIM__V1__RESPONSE__MSG_##name
#define SET_REQ(req, field, name, msg) \
	do { (req).msg_case = RECLAIM__V1__REQUEST__MSG_##name; (req).field = (msg); } while (0)

/* protobuf-c strings are never NULL. */
static char *wire_str(const char *s)
{
	return (char *)(s ? s : "");
}

/* SRC (NULL: "") into DST of SIZE bytes, cut short to fit, always terminated when SIZE > 0.
 * Not snprintf: this is on every call's way back, and snprintf is a formatter. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (!size)
		return;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void put_u64(void *p, uint64_t v)
{
	if (p)
		*(uint64_t *)p = v;
}

static int decode_nothing(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	return 0;
}

/* N counters as one array for free(3) (never NULL on success, even when N is 0). */
static int copy_counters(struct rclc *c, Reclaim__V1__Counter **src, size_t n,
			 struct rclc_counter **ret)
{
	struct rclc_counter *a = calloc(n ? n : 1, sizeof(*a));
	size_t i;

	if (!a) {
		rclc_set_error(c, 0, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		copy_str(a[i].name, sizeof(a[i].name), src[i]->name);
		a[i].value = src[i]->value;
	}
	*ret = a;
	return 0;
}

/* ---- hello ------------------------------------------------------------------------------- */

int rclc_hello_info(const struct rclc *c, struct rclc_hello_info *ret)
{
	const Reclaim__V1__HelloReply *h = rclc_server(c);

	if (!h)
		return -ENOTCONN;
	memset(ret, 0, sizeof(*ret));
	ret->protocol_version = h->protocol_version;
	copy_str(ret->server_version, sizeof(ret->server_version), h->server_version);
	ret->page_size = h->page_size;
	ret->arena_bytes = h->arena_bytes;
	ret->nr_nodes = h->nr_nodes;
	ret->max_frame_bytes = h->max_frame_bytes;
	ret->max_connections = h->max_connections;
	ret->max_regions = h->max_regions;
	ret->max_bytes = h->max_bytes;
	ret->uid = h->uid;
	ret->admin = h->admin;
	/* A daemon older than the policy switch says nothing: it had the seed's lists. */
	copy_str(ret->reclaim_policy, sizeof(ret->reclaim_policy),
		 *h->reclaim_policy ? h->reclaim_policy : "two-list");
	return 0;
}

/* ---- regions ----------------------------------------------------------------------------- */

static int decode_alloc(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	put_u64(o->p[0], (*respp)->region_create->region_id);
	put_u64(o->p[1], (*respp)->region_create->pages);
	return 0;
}

int rclc_alloc(struct rclc *c, uint64_t bytes, const struct rclc_alloc_opts *opts,
	       uint64_t *ret_id, uint64_t *ret_pages)
{
	static const struct rclc_alloc_opts anon;
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionCreate rc = RECLAIM__V1__REGION_CREATE__INIT;
	Reclaim__V1__FileMode fm = RECLAIM__V1__FILE_MODE__INIT;
	struct rclc_out o = { .p = { ret_id, ret_pages } };

	if (!opts)
		opts = &anon;
	rc.kind = (Reclaim__V1__RegionKind)opts->kind;
	rc.bytes = bytes;
	rc.memcg = wire_str(opts->memcg);
	rc.path = wire_str(opts->path);
	rc.shared = opts->shared;
	rc.exec = opts->exec;
	rc.locked = opts->locked;
	rc.populate = opts->populate;
	rc.persistent = opts->persistent;
	if (opts->mode_set) {
		fm.bits = opts->mode;
		rc.mode = &fm;
	}
	SET_REQ(req, region_create, REGION_CREATE, &rc);
	return rclc_exec(c, &req, WANT(REGION_CREATE), decode_alloc, &o);
}

int rclc_free(struct rclc *c, uint64_t region_id)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionFree rf = RECLAIM__V1__REGION_FREE__INIT;
	struct rclc_out o = { .n = 0 };

	rf.region_id = region_id;
	SET_REQ(req, region_free, REGION_FREE, &rf);
	return rclc_exec(c, &req, WANT(REGION_FREE), decode_nothing, &o);
}

static int decode_write(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	if ((*respp)->write->bytes != o->u[0]) {
		rclc_set_error(c, 0, "short write: %llu of %llu bytes",
			       (unsigned long long)(*respp)->write->bytes,
			       (unsigned long long)o->u[0]);
		return -EIO;
	}
	return 0;
}

int rclc_write(struct rclc *c, uint64_t region_id, uint64_t offset, const void *buf,
	       size_t len)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Write w = RECLAIM__V1__WRITE__INIT;
	struct rclc_out o = { .u = { len } };

	w.region_id = region_id;
	w.offset = offset;
	w.data.data = (uint8_t *)buf;	/* only packed, never written */
	w.data.len = len;
	SET_REQ(req, write, WRITE, &w);
	return rclc_exec(c, &req, WANT(WRITE), decode_write, &o);
}

/* BYTES of an answer into the caller's buffer o->p[0] of o->u[0] bytes; the length read
 * into the size_t at o->p[1]. */
static int copy_bytes(struct rclc *c, const ProtobufCBinaryData *data, const struct rclc_out *o)
{
	if (data->len > o->u[0]) {
		rclc_set_error(c, 0, "the server sent %zu bytes for %llu asked", data->len,
			       (unsigned long long)o->u[0]);
		return -EPROTO;
	}
	if (data->len)
		memcpy(o->p[0], data->data, data->len);
	if (o->p[1])
		*(size_t *)o->p[1] = data->len;
	return 0;
}

static int decode_read(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	return copy_bytes(c, &(*respp)->read->data, o);
}

int rclc_read(struct rclc *c, uint64_t region_id, uint64_t offset, void *buf, size_t len,
	      size_t *ret_len)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Read r = RECLAIM__V1__READ__INIT;
	struct rclc_out o = { .p = { buf, ret_len }, .u = { len } };

	r.region_id = region_id;
	r.offset = offset;
	r.length = len;
	SET_REQ(req, read, READ, &r);
	return rclc_exec(c, &req, WANT(READ), decode_read, &o);
}

static void wire_range(Reclaim__V1__PageRange *w, const struct rclc_range *r)
{
	w->region_id = r->region_id;
	w->first_page = r->first_page;
	w->nr_pages = r->nr_pages;
}

static int decode_touch(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	struct rclc_touch_result *t = o->p[0];

	if (t) {
		t->pages = (*respp)->touch->pages;
		t->minor_faults = (*respp)->touch->minor_faults;
		t->major_faults = (*respp)->touch->major_faults;
	}
	return 0;
}

int rclc_touch(struct rclc *c, const struct rclc_range *range, bool write,
	       struct rclc_touch_result *ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Touch t = RECLAIM__V1__TOUCH__INIT;
	Reclaim__V1__PageRange pr = RECLAIM__V1__PAGE_RANGE__INIT;
	struct rclc_out o = { .p = { ret } };

	wire_range(&pr, range);
	t.range = &pr;
	t.write = write;
	SET_REQ(req, touch, TOUCH, &t);
	return rclc_exec(c, &req, WANT(TOUCH), decode_touch, &o);
}

/* The one uint64 of a range request's answer (pages acted on, pages written). */
static int decode_madvise(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	put_u64(o->p[0], (*respp)->madvise->pages);
	return 0;
}

static int decode_mlock(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	put_u64(o->p[0], (*respp)->mlock->pages);
	return 0;
}

static int decode_munlock(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	put_u64(o->p[0], (*respp)->munlock->pages);
	return 0;
}

static int decode_msync(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	put_u64(o->p[0], (*respp)->msync->pages_written);
	return 0;
}

int rclc_madvise(struct rclc *c, const struct rclc_range *range, enum rclc_advice advice,
		 uint64_t *ret_pages)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Madvise m = RECLAIM__V1__MADVISE__INIT;
	Reclaim__V1__PageRange pr = RECLAIM__V1__PAGE_RANGE__INIT;
	struct rclc_out o = { .p = { ret_pages } };

	wire_range(&pr, range);
	m.range = &pr;
	m.advice = (Reclaim__V1__Advice)advice;
	SET_REQ(req, madvise, MADVISE, &m);
	return rclc_exec(c, &req, WANT(MADVISE), decode_madvise, &o);
}

/* ---- vectored calls --------------------------------------------------------------------- */

/* N wire page ranges (a pointer array and the ranges, in one block for free(3)). */
static Reclaim__V1__PageRange **wire_ranges(const struct rclc_range *ranges, size_t n)
{
	Reclaim__V1__PageRange **pp = malloc(n * (sizeof(*pp) + sizeof(**pp)));
	Reclaim__V1__PageRange *p = (Reclaim__V1__PageRange *)(pp + n);
	size_t i;

	if (!pp)
		return NULL;
	for (i = 0; i < n; i++) {
		reclaim__v1__page_range__init(&p[i]);
		wire_range(&p[i], &ranges[i]);
		pp[i] = &p[i];
	}
	return pp;
}

/* The same for byte ranges of IOV[N]. */
static Reclaim__V1__ByteRange **wire_byte_ranges(const struct rclc_iovec *iov, size_t n)
{
	Reclaim__V1__ByteRange **pp = malloc(n * (sizeof(*pp) + sizeof(**pp)));
	Reclaim__V1__ByteRange *p = (Reclaim__V1__ByteRange *)(pp + n);
	size_t i;

	if (!pp)
		return NULL;
	for (i = 0; i < n; i++) {
		reclaim__v1__byte_range__init(&p[i]);
		p[i].offset = iov[i].offset;
		p[i].length = iov[i].len;
		pp[i] = &p[i];
	}
	return pp;
}

/* A vectored call's count, checked here as the server would: its answer is sized by it. */
static int vector_check(struct rclc *c, const void *v, size_t n)
{
	if (n == 0 || n > RCLC_MAX_RANGES || !v)
		return rclc_fail_early(c, -EINVAL, n ? "too many ranges (at most 4096)" :
					       "no ranges given");
	return 0;
}

int rclc_touchv(struct rclc *c, const struct rclc_range *ranges, size_t n, bool write,
		struct rclc_touch_result *ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Touch t = RECLAIM__V1__TOUCH__INIT;
	struct rclc_out o = { .p = { ret } };
	int r = vector_check(c, ranges, n);

	if (r < 0)
		return r;
	t.ranges = wire_ranges(ranges, n);
	if (!t.ranges)
		return rclc_fail_early(c, -ENOMEM, "out of memory");
	t.n_ranges = n;
	t.write = write;
	SET_REQ(req, touch, TOUCH, &t);
	r = rclc_exec(c, &req, WANT(TOUCH), decode_touch, &o);
	free(t.ranges);
	return r;
}

int rclc_madvisev(struct rclc *c, const struct rclc_range *ranges, size_t n,
		  enum rclc_advice advice, uint64_t *ret_pages)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Madvise m = RECLAIM__V1__MADVISE__INIT;
	struct rclc_out o = { .p = { ret_pages } };
	int r = vector_check(c, ranges, n);

	if (r < 0)
		return r;
	m.ranges = wire_ranges(ranges, n);
	if (!m.ranges)
		return rclc_fail_early(c, -ENOMEM, "out of memory");
	m.n_ranges = n;
	m.advice = (Reclaim__V1__Advice)advice;
	SET_REQ(req, madvise, MADVISE, &m);
	r = rclc_exec(c, &req, WANT(MADVISE), decode_madvise, &o);
	free(m.ranges);
	return r;
}

/* Each range's bytes into its iovec's buffer (o->p[0], o->n of them); the total at o->p[1]. */
static int decode_readv(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__ReadReply *r = (*respp)->read;
	const struct rclc_iovec *iov = o->p[0];
	uint64_t total = 0;
	size_t i;

	if (r->n_ranges != o->n) {
		rclc_set_error(c, 0, "the server answered %zu ranges for %zu asked", r->n_ranges,
			       o->n);
		return -EPROTO;
	}
	for (i = 0; i < o->n; i++) {
		if (r->ranges[i].len != iov[i].len) {
			rclc_set_error(c, 0, "the server sent %zu bytes for ranges[%zu]'s %zu",
				       r->ranges[i].len, i, iov[i].len);
			return -EPROTO;
		}
		memcpy(iov[i].buf, r->ranges[i].data, iov[i].len);
		total += iov[i].len;
	}
	put_u64(o->p[1], total);
	return 0;
}

int rclc_readv(struct rclc *c, uint64_t region_id, const struct rclc_iovec *iov, size_t n,
	       uint64_t *ret_bytes)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Read rd = RECLAIM__V1__READ__INIT;
	struct rclc_out o = { .p = { (void *)iov, ret_bytes }, .n = n };
	int r = vector_check(c, iov, n);

	if (r < 0)
		return r;
	rd.region_id = region_id;
	rd.ranges = wire_byte_ranges(iov, n);
	if (!rd.ranges)
		return rclc_fail_early(c, -ENOMEM, "out of memory");
	rd.n_ranges = n;
	SET_REQ(req, read, READ, &rd);
	r = rclc_exec(c, &req, WANT(READ), decode_readv, &o);
	free(rd.ranges);
	return r;
}

int rclc_writev(struct rclc *c, uint64_t region_id, const struct rclc_iovec *iov, size_t n)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Write w = RECLAIM__V1__WRITE__INIT;
	struct rclc_out o = { .u = { 0 } };
	size_t i, total = 0;
	int r = vector_check(c, iov, n);

	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		if (iov[i].len > RCLC_MAX_FRAME - total)
			return rclc_fail_early(c, -EINVAL, "the ranges' bytes are over the frame "
					       "limit");
		total += iov[i].len;
	}
	/* One data field carries every range's bytes, one after the other. */
	w.data.data = malloc(total ? total : 1);
	w.ranges = wire_byte_ranges(iov, n);
	if (!w.data.data || !w.ranges) {
		free(w.data.data);
		free(w.ranges);
		return rclc_fail_early(c, -ENOMEM, "out of memory");
	}
	for (i = 0, total = 0; i < n; i++) {
		memcpy(w.data.data + total, iov[i].buf, iov[i].len);
		total += iov[i].len;
	}
	w.data.len = total;
	w.region_id = region_id;
	w.n_ranges = n;
	o.u[0] = total;
	SET_REQ(req, write, WRITE, &w);
	r = rclc_exec(c, &req, WANT(WRITE), decode_write, &o);
	free(w.data.data);
	free(w.ranges);
	return r;
}

int rclc_mlock(struct rclc *c, const struct rclc_range *range, uint64_t *ret_pages)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Mlock m = RECLAIM__V1__MLOCK__INIT;
	Reclaim__V1__PageRange pr = RECLAIM__V1__PAGE_RANGE__INIT;
	struct rclc_out o = { .p = { ret_pages } };

	wire_range(&pr, range);
	m.range = &pr;
	SET_REQ(req, mlock, MLOCK, &m);
	return rclc_exec(c, &req, WANT(MLOCK), decode_mlock, &o);
}

int rclc_munlock(struct rclc *c, const struct rclc_range *range, uint64_t *ret_pages)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Munlock m = RECLAIM__V1__MUNLOCK__INIT;
	Reclaim__V1__PageRange pr = RECLAIM__V1__PAGE_RANGE__INIT;
	struct rclc_out o = { .p = { ret_pages } };

	wire_range(&pr, range);
	m.range = &pr;
	SET_REQ(req, munlock, MUNLOCK, &m);
	return rclc_exec(c, &req, WANT(MUNLOCK), decode_munlock, &o);
}

int rclc_msync(struct rclc *c, const struct rclc_range *range, bool async,
	       uint64_t *ret_pages_written)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Msync m = RECLAIM__V1__MSYNC__INIT;
	Reclaim__V1__PageRange pr = RECLAIM__V1__PAGE_RANGE__INIT;
	struct rclc_out o = { .p = { ret_pages_written } };

	wire_range(&pr, range);
	m.range = &pr;
	m.async = async;
	SET_REQ(req, msync, MSYNC, &m);
	return rclc_exec(c, &req, WANT(MSYNC), decode_msync, &o);
}

static int decode_region_info(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__RegionInfoReply *r = (*respp)->region_info;
	struct rclc_region_info *ri = o->p[0];

	memset(ri, 0, sizeof(*ri));
	ri->region_id = r->region_id;
	ri->kind = (enum rclc_region_kind)r->kind;
	ri->pages = r->pages;
	copy_str(ri->memcg, sizeof(ri->memcg), r->memcg);
	copy_str(ri->path, sizeof(ri->path), r->path);
	ri->owner_uid = r->owner_uid;
	ri->persistent = r->persistent;
	ri->resident_pages = r->resident_pages;
	ri->swapped_pages = r->swapped_pages;
	ri->dirty_pages = r->dirty_pages;
	ri->locked_pages = r->locked_pages;
	return 0;
}

int rclc_region_info(struct rclc *c, uint64_t region_id, struct rclc_region_info *ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionInfo ri = RECLAIM__V1__REGION_INFO__INIT;
	struct rclc_out o = { .p = { ret } };

	ri.region_id = region_id;
	SET_REQ(req, region_info, REGION_INFO, &ri);
	return rclc_exec(c, &req, WANT(REGION_INFO), decode_region_info, &o);
}

/* ---- raw page allocations ----------------------------------------------------------------- */

static int decode_alloc_pages(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	if (o->p[0])
		*(uint32_t *)o->p[0] = (*respp)->alloc_pages->pfn;
	return 0;
}

int rclc_alloc_pages(struct rclc *c, unsigned int order, int node, unsigned int flags,
		     uint32_t *ret_pfn)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__AllocPages ap = RECLAIM__V1__ALLOC_PAGES__INIT;
	struct rclc_out o = { .p = { ret_pfn } };

	ap.order = order;
	ap.node = node;
	ap.atomic = flags & RCLC_GFP_ATOMIC;
	ap.nowait = flags & RCLC_GFP_NOWAIT;
	ap.thisnode = flags & RCLC_GFP_THISNODE;
	ap.movable = flags & RCLC_GFP_MOVABLE;
	ap.persistent = flags & RCLC_GFP_PERSISTENT;
	SET_REQ(req, alloc_pages, ALLOC_PAGES, &ap);
	return rclc_exec(c, &req, WANT(ALLOC_PAGES), decode_alloc_pages, &o);
}

int rclc_free_pages(struct rclc *c, uint32_t pfn, unsigned int order)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FreePages fp = RECLAIM__V1__FREE_PAGES__INIT;
	struct rclc_out o = { .n = 0 };

	fp.pfn = pfn;
	fp.order = order;
	SET_REQ(req, free_pages, FREE_PAGES, &fp);
	return rclc_exec(c, &req, WANT(FREE_PAGES), decode_nothing, &o);
}

/* ---- memory cgroups ----------------------------------------------------------------------- */

/* The given fields of L as the wire's optional values, kept in VALS. */
static void wire_limits(Reclaim__V1__MemcgLimits *w, Reclaim__V1__OptU64 vals[7],
			const struct rclc_memcg_limits *l)
{
	Reclaim__V1__OptU64 **slots[7] = { &w->min, &w->low, &w->high, &w->max, &w->swap_max,
					   &w->soft_limit, &w->swappiness };
	const uint64_t values[7] = { l->min, l->low, l->high, l->max, l->swap_max,
				     l->soft_limit, l->swappiness };
	int i;

	for (i = 0; i < 7; i++) {
		reclaim__v1__opt_u64__init(&vals[i]);
		if (!(l->set & (1u << i)))
			continue;
		vals[i].value = values[i];
		*slots[i] = &vals[i];
	}
}

int rclc_memcg_create(struct rclc *c, const char *path, const struct rclc_memcg_limits *limits,
		      int64_t owner_uid)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MemcgCreate mc = RECLAIM__V1__MEMCG_CREATE__INIT;
	Reclaim__V1__MemcgLimits wl = RECLAIM__V1__MEMCG_LIMITS__INIT;
	Reclaim__V1__OptU64 vals[7], owner = RECLAIM__V1__OPT_U64__INIT;
	struct rclc_out o = { .n = 0 };

	mc.path = wire_str(path);
	if (limits) {
		wire_limits(&wl, vals, limits);
		mc.limits = &wl;
	}
	if (owner_uid >= 0) {
		owner.value = (uint64_t)owner_uid;
		mc.owner_uid = &owner;
	}
	SET_REQ(req, memcg_create, MEMCG_CREATE, &mc);
	return rclc_exec(c, &req, WANT(MEMCG_CREATE), decode_nothing, &o);
}

int rclc_memcg_set(struct rclc *c, const char *path, const struct rclc_memcg_limits *limits)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MemcgSet ms = RECLAIM__V1__MEMCG_SET__INIT;
	Reclaim__V1__MemcgLimits wl = RECLAIM__V1__MEMCG_LIMITS__INIT;
	Reclaim__V1__OptU64 vals[7];
	struct rclc_out o = { .n = 0 };

	ms.path = wire_str(path);
	wire_limits(&wl, vals, limits);
	ms.limits = &wl;
	SET_REQ(req, memcg_set, MEMCG_SET, &ms);
	return rclc_exec(c, &req, WANT(MEMCG_SET), decode_nothing, &o);
}

int rclc_memcg_delete(struct rclc *c, const char *path)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MemcgDelete md = RECLAIM__V1__MEMCG_DELETE__INIT;
	struct rclc_out o = { .n = 0 };

	md.path = wire_str(path);
	SET_REQ(req, memcg_delete, MEMCG_DELETE, &md);
	return rclc_exec(c, &req, WANT(MEMCG_DELETE), decode_nothing, &o);
}

static int decode_memcg_stat(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__MemcgStatReply *r = (*respp)->memcg_stat;
	struct rclc_memcg_stat *st = o->p[0];
	int ret;

	memset(st, 0, sizeof(*st));
	st->usage_bytes = r->usage_bytes;
	st->swap_bytes = r->swap_bytes;
	ret = copy_counters(c, r->stat, r->n_stat, &st->stat);
	if (ret < 0)
		return ret;
	st->nr_stat = r->n_stat;
	ret = copy_counters(c, r->events, r->n_events, &st->events);
	if (ret < 0) {
		rclc_memcg_stat_release(st);
		return ret;
	}
	st->nr_events = r->n_events;
	return 0;
}

int rclc_memcg_stat(struct rclc *c, const char *path, struct rclc_memcg_stat *ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MemcgStat ms = RECLAIM__V1__MEMCG_STAT__INIT;
	struct rclc_out o = { .p = { ret } };

	ms.path = wire_str(path);
	SET_REQ(req, memcg_stat, MEMCG_STAT, &ms);
	return rclc_exec(c, &req, WANT(MEMCG_STAT), decode_memcg_stat, &o);
}

void rclc_memcg_stat_release(struct rclc_memcg_stat *st)
{
	free(st->stat);
	free(st->events);
	st->stat = st->events = NULL;
	st->nr_stat = st->nr_events = 0;
}

static int decode_memcg_events(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__MemcgEventsReply *r = (*respp)->memcg_events;
	int ret = copy_counters(c, r->events, r->n_events, o->p[0]);

	if (ret == 0)
		*(size_t *)o->p[1] = r->n_events;
	return ret;
}

int rclc_memcg_events(struct rclc *c, const char *path, struct rclc_counter **ret,
		      size_t *ret_n)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MemcgEvents me = RECLAIM__V1__MEMCG_EVENTS__INIT;
	struct rclc_out o = { .p = { ret, ret_n } };

	me.path = wire_str(path);
	SET_REQ(req, memcg_events, MEMCG_EVENTS, &me);
	return rclc_exec(c, &req, WANT(MEMCG_EVENTS), decode_memcg_events, &o);
}

static int decode_memcg_list(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__MemcgListReply *r = (*respp)->memcg_list;
	size_t i, n = r->n_memcgs;
	struct rclc_memcg_info *a = calloc(n ? n : 1, sizeof(*a));

	if (!a) {
		rclc_set_error(c, 0, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const Reclaim__V1__MemcgInfo *m = r->memcgs[i];

		copy_str(a[i].path, sizeof(a[i].path), m->path);
		a[i].owner_uid = m->owner_uid;
		a[i].usage_bytes = m->usage_bytes;
		a[i].min = m->min;
		a[i].low = m->low;
		a[i].high = m->high;
		a[i].max = m->max;
		a[i].swap_max = m->swap_max;
		a[i].swappiness = m->swappiness;
	}
	*(struct rclc_memcg_info **)o->p[0] = a;
	*(size_t *)o->p[1] = n;
	return 0;
}

int rclc_memcg_list(struct rclc *c, const char *subtree, struct rclc_memcg_info **ret,
		    size_t *ret_n)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MemcgList ml = RECLAIM__V1__MEMCG_LIST__INIT;
	struct rclc_out o = { .p = { ret, ret_n } };

	ml.path = wire_str(subtree);
	SET_REQ(req, memcg_list, MEMCG_LIST, &ml);
	return rclc_exec(c, &req, WANT(MEMCG_LIST), decode_memcg_list, &o);
}

/* ---- statistics and pressure -------------------------------------------------------------- */

static int decode_stat(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__StatReply *r = (*respp)->stat;
	struct rclc_counter *counters = NULL;
	char *text = NULL;

	if (o->p[0] && !(text = strdup(r->text)))
		goto nomem;
	if (o->p[1] && copy_counters(c, r->counters, r->n_counters, &counters) < 0)
		goto nomem;
	if (o->p[0])
		*(char **)o->p[0] = text;
	if (o->p[1])
		*(struct rclc_counter **)o->p[1] = counters;
	if (o->p[2])
		*(size_t *)o->p[2] = r->n_counters;
	return 0;
nomem:
	free(text);
	rclc_set_error(c, 0, "out of memory");
	return -ENOMEM;
}

int rclc_stat(struct rclc *c, enum rclc_stat_view view, char **ret_text,
	      struct rclc_counter **ret_counters, size_t *ret_n)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat st = RECLAIM__V1__STAT__INIT;
	struct rclc_out o = { .p = { ret_text, ret_counters, ret_n } };

	st.view = (Reclaim__V1__StatView)view;
	SET_REQ(req, stat, STAT, &st);
	return rclc_exec(c, &req, WANT(STAT), decode_stat, &o);
}

static int decode_daemon_counters(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__StatReply *r = (*respp)->stat;
	int ret = copy_counters(c, r->daemon, r->n_daemon, o->p[0]);

	if (ret == 0)
		*(size_t *)o->p[1] = r->n_daemon;
	return ret;
}

int rclc_daemon_counters(struct rclc *c, struct rclc_counter **ret, size_t *ret_n)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat st = RECLAIM__V1__STAT__INIT;
	struct rclc_out o = { .p = { ret, ret_n } };

	/* Every view carries them; buddyinfo is the cheapest to make. */
	st.view = RECLAIM__V1__STAT_VIEW__BUDDYINFO;
	SET_REQ(req, stat, STAT, &st);
	return rclc_exec(c, &req, WANT(STAT), decode_daemon_counters, &o);
}

static void copy_psi(struct rclc_psi *dst, const Reclaim__V1__PsiFigures *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src)
		return;
	dst->avg10 = src->avg10;
	dst->avg60 = src->avg60;
	dst->avg300 = src->avg300;
	dst->total_usec = src->total_usec;
}

static int decode_pressure(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__PressureReply *r = (*respp)->pressure;
	struct rclc_pressure *p = o->p[0];

	p->level = (enum rclc_pressure_level)r->level;
	copy_psi(&p->some, r->some);
	copy_psi(&p->full, r->full);
	return 0;
}

int rclc_pressure(struct rclc *c, const char *memcg, struct rclc_pressure *ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__PressureNow pn = RECLAIM__V1__PRESSURE_NOW__INIT;
	struct rclc_out o = { .p = { ret } };

	pn.memcg = wire_str(memcg);
	SET_REQ(req, pressure, PRESSURE, &pn);
	return rclc_exec(c, &req, WANT(PRESSURE), decode_pressure, &o);
}

static int decode_subscribe(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__SubscribeReply *r = (*respp)->subscribe;

	put_u64(o->p[0], r->subscription_id);
	/* Without a record, its events are kept to the default length: not worth failing. */
	(void)rclc_sub_track(c, r->subscription_id, r->queue_len);
	return 0;
}

int rclc_subscribe(struct rclc *c, const struct rclc_subscribe_opts *opts,
		   uint64_t *ret_subscription_id)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Subscribe s = RECLAIM__V1__SUBSCRIBE__INIT;
	struct rclc_out o = { .p = { ret_subscription_id } };

	s.kind = opts->kind == RCLC_EVENT_TRACE ? RECLAIM__V1__EVENT_KIND__EVENT_TRACE :
		 opts->kind == RCLC_EVENT_PRESSURE ? RECLAIM__V1__EVENT_KIND__EVENT_PRESSURE :
		 opts->kind == RCLC_EVENT_PSI ? RECLAIM__V1__EVENT_KIND__EVENT_PSI :
		 RECLAIM__V1__EVENT_KIND__EVENT_NONE;
	s.trigger = wire_str(opts->trigger);
	s.memcg = wire_str(opts->memcg);
	s.min_level = (Reclaim__V1__PressureLevel)opts->min_level;
	s.tracepoints = (char **)opts->tracepoints;	/* only packed */
	s.n_tracepoints = opts->nr_tracepoints;
	s.queue_len = opts->queue_len;
	SET_REQ(req, subscribe, SUBSCRIBE, &s);
	return rclc_exec(c, &req, WANT(SUBSCRIBE), decode_subscribe, &o);
}

int rclc_subscribe_psi(struct rclc *c, const char *memcg, const char *trigger,
		       uint64_t *ret_subscription_id)
{
	struct rclc_subscribe_opts opts = {
		.kind = RCLC_EVENT_PSI, .memcg = memcg, .trigger = trigger,
	};

	return rclc_subscribe(c, &opts, ret_subscription_id);
}

static int decode_unsubscribe(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	put_u64(o->p[0], (*respp)->unsubscribe->events_dropped);
	rclc_sub_forget(c, o->u[0]);
	return 0;
}

int rclc_unsubscribe(struct rclc *c, uint64_t subscription_id, uint64_t *ret_dropped)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Unsubscribe u = RECLAIM__V1__UNSUBSCRIBE__INIT;
	struct rclc_out o = { .p = { ret_dropped }, .u = { subscription_id } };

	u.subscription_id = subscription_id;
	SET_REQ(req, unsubscribe, UNSUBSCRIBE, &u);
	return rclc_exec(c, &req, WANT(UNSUBSCRIBE), decode_unsubscribe, &o);
}

static int copy_event(struct rclc *c, const Reclaim__V1__Event *e, struct rclc_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->subscription_id = e->subscription_id;
	ev->seq = e->seq;
	switch (e->event_case) {
	case RECLAIM__V1__EVENT__EVENT_PRESSURE:
		ev->kind = RCLC_EVENT_PRESSURE;
		copy_str(ev->pressure.memcg, sizeof(ev->pressure.memcg), e->pressure->memcg);
		ev->pressure.level = (enum rclc_pressure_level)e->pressure->level;
		ev->pressure.scanned = e->pressure->scanned;
		ev->pressure.reclaimed = e->pressure->reclaimed;
		return 0;
	case RECLAIM__V1__EVENT__EVENT_TRACE:
		ev->kind = RCLC_EVENT_TRACE;
		copy_str(ev->trace.name, sizeof(ev->trace.name), e->trace->name);
		ev->trace.time_ns = e->trace->time_ns;
		ev->trace.nr_fields = e->trace->n_fields;
		return copy_counters(c, e->trace->fields, e->trace->n_fields, &ev->trace.fields);
	case RECLAIM__V1__EVENT__EVENT_PSI:
		ev->kind = RCLC_EVENT_PSI;
		copy_str(ev->psi.memcg, sizeof(ev->psi.memcg), e->psi->memcg);
		ev->psi.full = e->psi->full;
		ev->psi.stall_usec = e->psi->stall_usec;
		ev->psi.window_usec = e->psi->window_usec;
		ev->psi.total_usec = e->psi->total_usec;
		ev->psi.growth_usec = e->psi->growth_usec;
		ev->psi.time_ns = e->psi->time_ns;
		return 0;
	case RECLAIM__V1__EVENT__EVENT_OVERFLOW:
		ev->kind = RCLC_EVENT_OVERFLOW;
		ev->overflow.events_dropped = e->overflow->events_dropped;
		return 0;
	case RECLAIM__V1__EVENT__EVENT_ENDED:
		ev->kind = RCLC_EVENT_ENDED;
		copy_str(ev->ended.reason, sizeof(ev->ended.reason), e->ended->reason);
		return 0;
	default:
		rclc_set_error(c, 0, "an event of a kind this library does not know");
		return -EPROTO;
	}
}

int rclc_next_event(struct rclc *c, int timeout_ms, struct rclc_event *ret)
{
	Response *push;
	int r = rclc_next_push(c, timeout_ms, &push);

	if (r < 0)
		return r;
	r = copy_event(c, push->event, ret);
	rclc_response_free(push);
	return r;
}

void rclc_event_release(struct rclc_event *ev)
{
	if (ev->kind == RCLC_EVENT_TRACE) {
		free(ev->trace.fields);
		ev->trace.fields = NULL;
		ev->trace.nr_fields = 0;
	}
}

/* ---- administration ----------------------------------------------------------------------- */

static int decode_reclaim(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	struct rclc_reclaim_result *r = o->p[0];

	if (r) {
		r->reclaimed_bytes = (*respp)->reclaim->reclaimed_bytes;
		r->scanned_pages = (*respp)->reclaim->scanned_pages;
	}
	return 0;
}

int rclc_reclaim(struct rclc *c, const char *memcg, uint64_t bytes, int swappiness,
		 struct rclc_reclaim_result *ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__ProactiveReclaim pr = RECLAIM__V1__PROACTIVE_RECLAIM__INIT;
	Reclaim__V1__OptU64 sw = RECLAIM__V1__OPT_U64__INIT;
	struct rclc_out o = { .p = { ret } };

	pr.memcg = wire_str(memcg);
	pr.bytes = bytes;
	if (swappiness >= 0) {
		sw.value = (uint64_t)swappiness;
		pr.swappiness = &sw;
	}
	SET_REQ(req, reclaim, RECLAIM, &pr);
	return rclc_exec(c, &req, WANT(RECLAIM), decode_reclaim, &o);
}

static int decode_drop_caches(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	put_u64(o->p[0], (*respp)->drop_caches->pages_dropped);
	return 0;
}

int rclc_drop_caches(struct rclc *c, bool pagecache, bool shadows, uint64_t *ret_pages)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__DropCaches dc = RECLAIM__V1__DROP_CACHES__INIT;
	struct rclc_out o = { .p = { ret_pages } };

	dc.pagecache = pagecache;
	dc.shadows = shadows;
	SET_REQ(req, drop_caches, DROP_CACHES, &dc);
	return rclc_exec(c, &req, WANT(DROP_CACHES), decode_drop_caches, &o);
}

static void copy_tunable(struct rclc_tunable *dst, const Reclaim__V1__Tunable *src)
{
	copy_str(dst->name, sizeof(dst->name), src ? src->name : NULL);
	copy_str(dst->value, sizeof(dst->value), src ? src->value : NULL);
}

/* One tunable: its value into the buffer o->p[0] of o->u[0] bytes. */
static int decode_tunable_get(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__TunableGetReply *r = (*respp)->tunable_get;

	if (r->n_tunables != 1) {
		rclc_set_error(c, 0, "%zu tunables in the answer, not one", r->n_tunables);
		return -EPROTO;
	}
	if (o->u[0])
		copy_str(o->p[0], o->u[0], r->tunables[0]->value);
	return 0;
}

int rclc_tunable_get(struct rclc *c, const char *name, char *value, size_t len)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__TunableGet tg = RECLAIM__V1__TUNABLE_GET__INIT;
	struct rclc_out o = { .p = { value }, .u = { len } };

	if (!name || !*name)
		return rclc_fail_early(c, -EINVAL,
				       "rclc_tunable_get: no name (rclc_tunable_list lists them)");
	tg.name = wire_str(name);
	SET_REQ(req, tunable_get, TUNABLE_GET, &tg);
	return rclc_exec(c, &req, WANT(TUNABLE_GET), decode_tunable_get, &o);
}

static int decode_tunable_list(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__TunableGetReply *r = (*respp)->tunable_get;
	struct rclc_tunable *a = calloc(r->n_tunables ? r->n_tunables : 1, sizeof(*a));
	size_t i;

	if (!a) {
		rclc_set_error(c, 0, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < r->n_tunables; i++)
		copy_tunable(&a[i], r->tunables[i]);
	*(struct rclc_tunable **)o->p[0] = a;
	*(size_t *)o->p[1] = r->n_tunables;
	return 0;
}

int rclc_tunable_list(struct rclc *c, struct rclc_tunable **ret, size_t *ret_n)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__TunableGet tg = RECLAIM__V1__TUNABLE_GET__INIT;
	struct rclc_out o = { .p = { ret, ret_n } };

	SET_REQ(req, tunable_get, TUNABLE_GET, &tg);
	return rclc_exec(c, &req, WANT(TUNABLE_GET), decode_tunable_list, &o);
}

static int decode_tunable_set(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	if (o->p[0])
		copy_tunable(o->p[0], (*respp)->tunable_set->tunable);
	return 0;
}

int rclc_tunable_set(struct rclc *c, const char *name, const char *value,
		     struct rclc_tunable *ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__TunableSet ts = RECLAIM__V1__TUNABLE_SET__INIT;
	struct rclc_out o = { .p = { ret } };

	ts.name = wire_str(name);
	ts.value = wire_str(value);
	SET_REQ(req, tunable_set, TUNABLE_SET, &ts);
	return rclc_exec(c, &req, WANT(TUNABLE_SET), decode_tunable_set, &o);
}

int rclc_shutdown(struct rclc *c)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Shutdown s = RECLAIM__V1__SHUTDOWN__INIT;
	struct rclc_out o = { .n = 0 };

	SET_REQ(req, shutdown, SHUTDOWN, &s);
	return rclc_exec(c, &req, WANT(SHUTDOWN), decode_nothing, &o);
}

/* ---- files of the data directory ---------------------------------------------------------- */

static int decode_file_read(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__FileReadReply *r = (*respp)->file_read;
	static const ProtobufCBinaryData none;

	if (r->n_data > 1) {
		rclc_set_error(c, 0, "%zu ranges in the answer to one", r->n_data);
		return -EPROTO;
	}
	return copy_bytes(c, r->n_data ? &r->data[0] : &none, o);
}

int rclc_file_read(struct rclc *c, const char *path, const char *memcg, uint64_t offset,
		   void *buf, size_t len, size_t *ret_len)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileRead fr = RECLAIM__V1__FILE_READ__INIT;
	Reclaim__V1__FileRange range = RECLAIM__V1__FILE_RANGE__INIT;
	Reclaim__V1__FileRange *ranges[1] = { &range };
	struct rclc_out o = { .p = { buf, ret_len }, .u = { len } };

	fr.path = wire_str(path);
	fr.memcg = wire_str(memcg);
	range.offset = offset;
	range.length = len;
	fr.ranges = ranges;
	fr.n_ranges = 1;
	SET_REQ(req, file_read, FILE_READ, &fr);
	return rclc_exec(c, &req, WANT(FILE_READ), decode_file_read, &o);
}

/* A file's ranges for IOV[N], as wire_byte_ranges makes a region's. */
static Reclaim__V1__FileRange **wire_file_ranges(const struct rclc_iovec *iov, size_t n)
{
	Reclaim__V1__FileRange **pp = malloc(n * (sizeof(*pp) + sizeof(**pp)));
	Reclaim__V1__FileRange *p = (Reclaim__V1__FileRange *)(pp + n);
	size_t i;

	if (!pp)
		return NULL;
	for (i = 0; i < n; i++) {
		reclaim__v1__file_range__init(&p[i]);
		p[i].offset = iov[i].offset;
		p[i].length = iov[i].len;
		pp[i] = &p[i];
	}
	return pp;
}

/* Each range's bytes into its iovec's buffer (o->p[0], o->n of them), at most its length
 * (short at the end of the file); the lengths at o->p[1], their sum at o->p[2]. */
static int decode_file_readv(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__FileReadReply *r = (*respp)->file_read;
	const struct rclc_iovec *iov = o->p[0];
	size_t *lens = o->p[1], i;
	uint64_t total = 0;

	if (r->n_data != o->n) {
		rclc_set_error(c, 0, "the server answered %zu ranges for %zu asked", r->n_data,
			       o->n);
		return -EPROTO;
	}
	for (i = 0; i < o->n; i++) {
		if (r->data[i].len > iov[i].len) {
			rclc_set_error(c, 0, "the server sent %zu bytes for ranges[%zu]'s %zu",
				       r->data[i].len, i, iov[i].len);
			return -EPROTO;
		}
		memcpy(iov[i].buf, r->data[i].data, r->data[i].len);
		if (lens)
			lens[i] = r->data[i].len;
		total += r->data[i].len;
	}
	put_u64(o->p[2], total);
	return 0;
}

/* A FileRead of IOV[N]'s ranges, keeping no bytes if DISCARD, its answer decoded by DECODE. */
static int file_read_ranges(struct rclc *c, const char *path, const char *memcg,
			    const struct rclc_iovec *iov, size_t n, bool discard,
			    rclc_decode_fn decode, const struct rclc_out *o)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileRead fr = RECLAIM__V1__FILE_READ__INIT;
	int r = vector_check(c, iov, n);

	if (r < 0)
		return r;
	fr.path = wire_str(path);
	fr.memcg = wire_str(memcg);
	fr.discard = discard;
	fr.ranges = wire_file_ranges(iov, n);
	if (!fr.ranges)
		return rclc_fail_early(c, -ENOMEM, "out of memory");
	fr.n_ranges = n;
	SET_REQ(req, file_read, FILE_READ, &fr);
	r = rclc_exec(c, &req, WANT(FILE_READ), decode, o);
	free(fr.ranges);
	return r;
}

int rclc_file_readv(struct rclc *c, const char *path, const char *memcg,
		    const struct rclc_iovec *iov, size_t n, size_t *ret_lens, uint64_t *ret_bytes)
{
	struct rclc_out o = { .p = { (void *)iov, ret_lens, ret_bytes }, .n = n };

	return file_read_ranges(c, path, memcg, iov, n, false, decode_file_readv, &o);
}

/* A discarding read answers with the count only. */
static int decode_file_discard(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	const Reclaim__V1__FileReadReply *r = (*respp)->file_read;

	if (r->n_data) {
		rclc_set_error(c, 0, "the server sent data for a discarding read");
		return -EPROTO;
	}
	put_u64(o->p[0], r->bytes);
	return 0;
}

int rclc_file_readv_discard(struct rclc *c, const char *path, const char *memcg,
			    const struct rclc_iovec *iov, size_t n, uint64_t *ret_bytes)
{
	struct rclc_out o = { .p = { ret_bytes } };

	return file_read_ranges(c, path, memcg, iov, n, true, decode_file_discard, &o);
}

static int decode_file_write(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	if ((*respp)->file_write->bytes != o->u[0]) {
		rclc_set_error(c, 0, "short write: %llu of %llu bytes",
			       (unsigned long long)(*respp)->file_write->bytes,
			       (unsigned long long)o->u[0]);
		return -EIO;
	}
	return 0;
}

/* One range's FileWrite of LEN bytes: FILL's value when FILL is given, else BUF's. */
static int file_write_one(struct rclc *c, const char *path, const char *memcg,
			  uint64_t offset, const void *buf, uint64_t len,
			  Reclaim__V1__OptU64 *fill, int mode)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileWrite fw = RECLAIM__V1__FILE_WRITE__INIT;
	Reclaim__V1__FileRange range = RECLAIM__V1__FILE_RANGE__INIT;
	Reclaim__V1__FileRange *ranges[1] = { &range };
	Reclaim__V1__FileMode fm = RECLAIM__V1__FILE_MODE__INIT;
	struct rclc_out o = { .u = { len } };

	fw.path = wire_str(path);
	fw.memcg = wire_str(memcg);
	range.offset = offset;
	range.length = len;
	fw.ranges = ranges;
	fw.n_ranges = 1;
	if (fill) {
		fw.fill = fill;
	} else {
		fw.data.data = (uint8_t *)buf;	/* only packed */
		fw.data.len = len;
	}
	if (mode >= 0) {
		fm.bits = (uint32_t)mode;
		fw.mode = &fm;
	}
	SET_REQ(req, file_write, FILE_WRITE, &fw);
	return rclc_exec(c, &req, WANT(FILE_WRITE), decode_file_write, &o);
}

int rclc_file_write(struct rclc *c, const char *path, const char *memcg, uint64_t offset,
		    const void *buf, size_t len, int mode)
{
	return file_write_one(c, path, memcg, offset, buf, len, NULL, mode);
}

int rclc_file_fill(struct rclc *c, const char *path, const char *memcg, uint64_t offset,
		   uint64_t len, uint8_t byte, int mode)
{
	Reclaim__V1__OptU64 fill = RECLAIM__V1__OPT_U64__INIT;

	fill.value = byte;
	return file_write_one(c, path, memcg, offset, NULL, len, &fill, mode);
}

int rclc_file_advise(struct rclc *c, const char *path, uint64_t offset, uint64_t length,
		     enum rclc_fadvice advice, const char *memcg)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileAdvise fa = RECLAIM__V1__FILE_ADVISE__INIT;
	struct rclc_out o = { .n = 0 };

	fa.path = wire_str(path);
	fa.offset = offset;
	fa.length = length;
	fa.advice = (Reclaim__V1__FileAdvice)advice;
	fa.memcg = wire_str(memcg);
	SET_REQ(req, file_advise, FILE_ADVISE, &fa);
	return rclc_exec(c, &req, WANT(FILE_ADVISE), decode_nothing, &o);
}

int rclc_file_remove(struct rclc *c, const char *path)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileRemove fr = RECLAIM__V1__FILE_REMOVE__INIT;
	struct rclc_out o = { .n = 0 };

	fr.path = wire_str(path);
	SET_REQ(req, file_remove, FILE_REMOVE, &fr);
	return rclc_exec(c, &req, WANT(FILE_REMOVE), decode_nothing, &o);
}

static int decode_chmod(struct rclc *c, Response **respp, const struct rclc_out *o)
{
	struct rclc_file_owner *fo = o->p[0];

	if (fo) {
		fo->uid = (*respp)->file_chmod->owner_uid;
		fo->gid = (*respp)->file_chmod->owner_gid;
		fo->mode = (*respp)->file_chmod->mode;
	}
	return 0;
}

int rclc_chmod(struct rclc *c, const char *path, uint32_t mode, struct rclc_file_owner *ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileChmod fc = RECLAIM__V1__FILE_CHMOD__INIT;
	struct rclc_out o = { .p = { ret } };

	fc.path = wire_str(path);
	fc.mode = mode;
	SET_REQ(req, file_chmod, FILE_CHMOD, &fc);
	return rclc_exec(c, &req, WANT(FILE_CHMOD), decode_chmod, &o);
}
