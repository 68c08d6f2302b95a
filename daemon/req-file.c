/*
 * req-file.c - buffered file I/O: FileRead, FileWrite, FileAdvise, FileRemove.
 *
 * The read()/write() path beside the regions' mmap path. The rules are a file region's: the
 * path as RegionCreate's, the client's rights judged by fileown.c (read for FileRead and
 * WILLNEED, write for FileWrite, which creates a missing file as the client's), the memcg
 * named on the request or else the client's (Hello.memcg, else "/"), which the client must
 * be allowed to use as for a region; FileAdvise opens the file there too, as a read would.
 * The connection's open files live in ctx->files: each keeps its readahead state and advice
 * until the connection closes or removes the file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dispatch.h"
#include "fdlimit.h"
#include "fileio.h"
#include "fileown.h"
#include "log.h"
#include "reclaim/engine.h"
#include "reclaim/memcg.h"
#include "registry.h"
#include "req-util.h"
#include "server.h"
#include "status.h"

#define FILE_MAX_RANGES		4096
#define FILE_MAX_BYTES		RCL_FILE_MAX_BYTES	/* the engine's: as far as its cache goes */
#define READ_OVERHEAD		64		/* bytes of a reply frame besides the data */
#define RANGE_OVERHEAD		8		/* per range: a field tag and a length */
#define FILE_CACHED_PAGES	64		/* rcl_file_preadv_cached's most: pages over all
						 * the ranges (so ranges too) */

/* The memcg the request charges: its own field, else the client's, else the root. */
static int charge_memcg(struct req_ctx *ctx, const char *memcg, Response *resp,
			uint32_t *ret_id)
{
	const char *field = "memcg", *path = memcg;
	int ret;

	if (!*path && ctx->memcg && *ctx->memcg) {
		field = "hello.memcg";
		path = ctx->memcg;
	}
	ret = req_memcg_resolve(ctx, field, path, resp, ret_id);
	if (ret < 0)
		return ret;
	if (*ret_id != RCL_MEMCG_ROOT && !req_memcg_may_use(ctx, *ret_id)) {
		status_set(resp, CODE(PERMISSION_DENIED), "%s: %s %s belongs to uid %u", ctx->name,
			   field, path,
			   (unsigned int)registry_memcg_owner(ctx->server->registry, *ret_id));
		return -EPERM;
	}
	return 0;
}

/* Check the ranges: 1..FILE_MAX_RANGES, each non-empty and within FILE_MAX_BYTES.
 * *ret_total: their bytes. */
static int ranges_check(struct req_ctx *ctx, Reclaim__V1__FileRange **ranges, size_t n,
			Response *resp, uint64_t *ret_total)
{
	uint64_t total = 0;
	size_t i;

	if (n == 0 || n > FILE_MAX_RANGES) {
		status_set(resp, CODE(INVALID_ARGUMENT), "%s: ranges: %zu given, 1..%u allowed",
			   ctx->name, n, FILE_MAX_RANGES);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		const Reclaim__V1__FileRange *r = ranges[i];

		if (r->length == 0 || r->offset > FILE_MAX_BYTES ||
		    r->length > FILE_MAX_BYTES - r->offset) {
			status_set(resp, CODE(INVALID_ARGUMENT),
				   "%s: ranges[%zu]: offset %" PRIu64 " length %" PRIu64
				   " must be a non-empty range below %llu", ctx->name, i, r->offset,
				   r->length, FILE_MAX_BYTES);
			return -EINVAL;
		}
		total += r->length;
	}
	*ret_total = total;
	return 0;
}

/* The client's right to PATH (MASK of FILE_MAY_*), a missing file created if CREATE. */
static int file_access(struct req_ctx *ctx, const char *path, unsigned int mask, bool create,
		       unsigned int mode, Response *resp, bool *ret_created)
{
	struct file_cred cred = req_file_cred(ctx);
	struct file_attr attr;
	int ret;

	ret = file_owners_access(ctx->server->files, path, &cred, mask, create, mode, &attr,
				 ret_created);
	if (ret < 0)
		return req_file_error(ctx, path, ret, mask & FILE_MAY_WRITE ? "write" : "read",
				      &attr, resp);
	return 0;
}

/*
 * Let @path grow to @end bytes, charged to its owner (file_owners_grow): a client that is not
 * an admin may not take anyone's files past max-client-file-bytes. Checked before the write,
 * for all its ranges, so that a fill of terabytes is refused, not stopped at the limit.
 */
int req_file_grow(struct req_ctx *ctx, const char *path, uint64_t end, Response *resp,
		  struct file_charge *ret_charge)
{
	uint64_t limit = ctx->admin ? 0 : ctx->config->max_client_file_bytes, usage = 0;
	uid_t owner = 0;
	int ret;

	ret = file_owners_grow(ctx->server->files, path, end, limit, false, &owner, &usage,
			       ret_charge);
	if (ret == -EAGAIN) {
		/* Removed files count until the daemon lets them go: let go of the unused. */
		rcl_file_release_unused(ctx->engine);
		ret = file_owners_grow(ctx->server->files, path, end, limit, true, &owner,
				       &usage, ret_charge);
	}
	if (ret == -EDQUOT)
		status_set(resp, CODE(NO_SPACE), "%s: '%s' to %" PRIu64 " bytes would take uid "
			   "%u's files to %" PRIu64 " bytes, over the limit (max-client-file-bytes "
			   "%" PRIu64 ")", ctx->name, path, end, (unsigned int)owner, usage, limit);
	else if (ret < 0)
		return req_file_error(ctx, path, ret, "write", NULL, resp);
	return ret;
}

int req_fd_refused(struct req_ctx *ctx, Response *resp)
{
	status_set(resp, CODE(NO_SPACE), "%s: reclaimd's file descriptors are nearly all in use: "
		   "the last %u are kept for root and the admin group", ctx->name, fd_reserve());
	return -ENFILE;
}

/* The engine refused buffered I/O: say so in words. */
static int fileio_error(struct req_ctx *ctx, const char *path, int err, Response *resp)
{
	switch (err) {
	case -EMFILE:
		status_set(resp, CODE(NO_SPACE), "%s: this connection holds %u files open already",
			   ctx->name, FILEIO_MAX_OPEN);
		break;
	case -ENFILE:
		req_fd_refused(ctx, resp);
		break;
	case -ENOMEM:
		status_set(resp, CODE(NO_MEMORY), "%s: out of memory after reclaim", ctx->name);
		break;
	case -EIO:
		status_set(resp, CODE(IO_ERROR), "%s: path '%s': I/O error", ctx->name, path);
		break;
	default:
		return req_file_error(ctx, path, err, "", NULL, resp);
	}
	return err;
}

/*
 * FileRead's checks, the worker's and the loop's alike: the path, the ranges, the frame
 * limit, the memcg and the client's right to read. 0 with *ret_memcg, or -errno with the
 * status set; with @nowait, -EAGAIN and nothing set while the owner table is busy.
 */
static int file_read_check(struct req_ctx *ctx, const Reclaim__V1__FileRead *m, Response *resp,
			   bool nowait, uint32_t *ret_memcg)
{
	uint64_t total, max = ctx->config->max_frame_bytes - READ_OVERHEAD;
	struct file_cred cred;
	struct file_attr attr;
	bool created;
	int ret;

	ret = req_path_check(ctx, m->path, resp);
	if (ret == 0)
		ret = ranges_check(ctx, m->ranges, m->n_ranges, resp, &total);
	if (ret == 0 && !m->discard && total + m->n_ranges * RANGE_OVERHEAD > max) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "file read: %" PRIu64 " bytes in %zu ranges are over the frame limit "
			   "(%" PRIu64 " bytes); ask for less or set discard", total, m->n_ranges,
			   max);
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = charge_memcg(ctx, m->memcg, resp, ret_memcg);
	if (ret < 0 || !nowait)
		return ret < 0 ? ret : file_access(ctx, m->path, FILE_MAY_READ, false, 0, resp,
						   &created);
	cred = req_file_cred(ctx);
	ret = file_owners_try_access(ctx->server->files, m->path, &cred, FILE_MAY_READ, &attr);
	if (ret < 0 && ret != -EAGAIN)
		return req_file_error(ctx, m->path, ret, "read", &attr, resp);
	return ret;
}

/* The reply to a FileRead: set in @resp before anything can fail, so that it is freed with it. */
static Reclaim__V1__FileReadReply *file_read_reply(Response *resp)
{
	Reclaim__V1__FileReadReply *r = malloc(sizeof(*r));

	if (!r)
		return NULL;
	reclaim__v1__file_read_reply__init(r);
	resp->msg_case = RESP(FILE_READ);
	resp->file_read = r;
	return r;
}

/* Whether FileRead @m is one the loop may try: data wanted, and no more pages in all than
 * rcl_file_preadv_cached copies. */
static bool file_read_may_be_cached(const Reclaim__V1__FileRead *m)
{
	uint64_t pages = 0;
	size_t i;

	if (m->discard || !m->n_ranges || m->n_ranges > FILE_CACHED_PAGES)
		return false;
	for (i = 0; i < m->n_ranges; i++) {
		uint64_t offset = m->ranges[i]->offset, length = m->ranges[i]->length;

		if (length > (uint64_t)FILE_CACHED_PAGES * 4096 || offset + length < offset)
			return false;
		if (length)
			pages += ((offset + length - 1) >> 12) - (offset >> 12) + 1;
	}
	return pages <= FILE_CACHED_PAGES;
}

/*
 * A FileRead hit, on the loop: every page of every range cached, of a file this connection
 * holds open charged to the same memcg (rcl_file_preadv_cached), read as the worker would read
 * the ranges one after the other. Anything else -EAGAIN, with @resp untouched, for
 * req_file_read on a worker.
 */
int req_file_read_cached(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__FileRead *m = req->file_read;
	struct rcl_file_iov iov[FILE_CACHED_PAGES] = { 0 };
	Reclaim__V1__FileReadReply *r = NULL;
	size_t i, n = m->n_ranges;
	uint32_t memcg;
	int ret;

	if (!file_read_may_be_cached(m))
		return -EAGAIN;
	ret = file_read_check(ctx, m, resp, true, &memcg);
	if (ret < 0)
		return ret;
	/* Everything the answer needs is had before the read, which ages the pages: a read done
	 * is answered, and one that cannot be answered was not done (-EAGAIN: the worker's). */
	ret = -EAGAIN;
	r = malloc(sizeof(*r));
	if (!r)
		goto out;
	reclaim__v1__file_read_reply__init(r);
	r->data = calloc(n, sizeof(*r->data));
	if (!r->data)
		goto out;
	for (i = 0; i < n; i++) {
		iov[i].offset = m->ranges[i]->offset;
		iov[i].len = (size_t)m->ranges[i]->length;
		iov[i].buf = malloc(iov[i].len ? iov[i].len : 1);
		if (!iov[i].buf)
			goto out;
	}
	ret = fileio_read_cached(ctx->files, m->path, memcg, iov, n);
	if (ret < 0) {
		if (ret != -EAGAIN)
			ret = fileio_error(ctx, m->path, ret, resp);
		goto out;
	}
	for (r->n_data = 0; r->n_data < n; r->n_data++) {	/* the reply owns them now */
		r->data[r->n_data].data = iov[r->n_data].buf;
		r->data[r->n_data].len = iov[r->n_data].read;
		r->bytes += iov[r->n_data].read;
		iov[r->n_data].buf = NULL;
	}
	resp->msg_case = RESP(FILE_READ);
	resp->file_read = r;
	r = NULL;
out:
	for (i = 0; i < n; i++)
		free(iov[i].buf);
	if (r)
		free(r->data);
	free(r);
	return ret;
}

#define READ_CHUNK	(1u << 20)

/* "stopped after N bytes" of reads and fills whose clients went: shared by both. */
static struct log_ratelimit stopped_lines;

/*
 * Read range @fr of @path into @buf, or through the cache only when @buf is NULL (discard), a
 * chunk at a time: with discard one small frame may ask for terabytes, so the read stops,
 * -ECANCELED, once the connection has gone, as a fill does (write_range). Each chunk is one
 * read as the engine sees it, in order, so readahead sees the range's sequential stream.
 * *ret_read: the bytes read, short at the end of the file.
 */
static int read_range(struct req_ctx *ctx, const char *path, uint32_t memcg,
		      const Reclaim__V1__FileRange *fr, uint8_t *buf, size_t *ret_read)
{
	uint64_t done = 0;
	size_t n, got;
	int ret;

	do {			/* a length of 0 still opens the file, and says if it cannot */
		if (req_cancelled(ctx)) {
			ret = -ECANCELED;
			break;
		}
		n = fr->length - done < READ_CHUNK ? (size_t)(fr->length - done) : READ_CHUNK;
		ret = fileio_read(ctx->engine, ctx->files, path, memcg, fr->offset + done,
				  buf ? buf + done : NULL, n, &got);
		if (ret == 0)
			done += got;
	} while (ret == 0 && got == n && done < fr->length);
	*ret_read = (size_t)done;
	return ret;
}

int req_file_read(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__FileRead *m = req->file_read;
	Reclaim__V1__FileReadReply *r;
	uint32_t memcg;
	size_t i, got;
	int ret;

	ret = file_read_check(ctx, m, resp, false, &memcg);
	if (ret < 0)
		return ret;
	r = file_read_reply(resp);
	if (!r)
		return -ENOMEM;
	if (!m->discard) {
		r->data = calloc(m->n_ranges, sizeof(*r->data));
		if (!r->data)
			return -ENOMEM;
	}
	for (i = 0; i < m->n_ranges; i++) {
		const Reclaim__V1__FileRange *fr = m->ranges[i];
		void *buf = NULL;

		if (!m->discard) {
			buf = malloc(fr->length);
			if (!buf)
				return -ENOMEM;
			r->data[i].data = buf;
			r->n_data = i + 1;
		}
		ret = read_range(ctx, m->path, memcg, fr, buf, &got);
		if (ret == -ECANCELED) {
			status_set(resp, CODE(UNAVAILABLE), "%s: stopped after %" PRIu64 " bytes: "
				   "the connection closed", ctx->name, r->bytes + got);
			if (log_ratelimit(&stopped_lines))	/* any client can make one */
				log_info("connection %" PRIu64 ": %s of '%s' stopped after %"
					 PRIu64 " bytes: the connection closed", ctx->session_id,
					 ctx->name, m->path, r->bytes + got);
			return ret;
		}
		if (ret < 0)
			return fileio_error(ctx, m->path, ret, resp);
		if (!m->discard)
			r->data[i].len = got;
		r->bytes += got;
	}
	return 0;
}

/* The bytes FileWrite puts: its data, or its fill. */
static int write_data_check(struct req_ctx *ctx, const Reclaim__V1__FileWrite *m,
			    uint64_t total, Response *resp)
{
	if (m->fill && m->data.len) {
		status_set(resp, CODE(INVALID_ARGUMENT), "file write: give data or fill, not both");
		return -EINVAL;
	}
	if (m->fill && m->fill->value > 255) {
		status_set(resp, CODE(INVALID_ARGUMENT), "file write: fill %" PRIu64
			   " is not a byte (0..255)", m->fill->value);
		return -EINVAL;
	}
	if (!m->fill && m->data.len != total) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "file write: data has %zu bytes, the ranges %" PRIu64, m->data.len,
			   total);
		return -EINVAL;
	}
	if (m->mode && m->mode->bits > 0777) {
		status_set(resp, CODE(INVALID_ARGUMENT), "file write: mode %#o has bits beyond 0777",
			   m->mode->bits);
		return -EINVAL;
	}
	return 0;
}

#define FILL_CHUNK	(64u << 10)

static uint64_t ranges_end(Reclaim__V1__FileRange **ranges, size_t n)
{
	uint64_t end = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (ranges[i]->offset + ranges[i]->length > end)
			end = ranges[i]->offset + ranges[i]->length;
	return end;
}

/*
 * Write RANGE of open file F from DATA, or with FILL bytes (a chunk at a time) when DATA is
 * NULL. A fill may ask for terabytes from one small frame: it stops, -ECANCELED, once the
 * connection has gone. *ret_done: the bytes written.
 */
static int write_range(struct req_ctx *ctx, struct fileio_file *f,
		       const Reclaim__V1__FileRange *fr, const uint8_t *data, const uint8_t *fill,
		       uint64_t *ret_done)
{
	uint64_t done = 0;
	int ret = 0;

	if (data) {
		ret = fileio_pwrite(f, fr->offset, data, fr->length);
		*ret_done = ret ? 0 : fr->length;
		return ret;
	}
	while (ret == 0 && done < fr->length) {
		size_t n = fr->length - done < FILL_CHUNK ? fr->length - done : FILL_CHUNK;

		if (req_cancelled(ctx)) {
			ret = -ECANCELED;
			break;
		}
		ret = fileio_pwrite(f, fr->offset + done, fill, n);
		if (ret == 0)
			done += n;
	}
	*ret_done = done;
	return ret;
}

int req_file_write(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__FileWrite *m = req->file_write;
	Reclaim__V1__FileWriteReply *r;
	struct fileio_file *f = NULL;
	uint8_t *fill = NULL;
	struct file_charge charge = { 0, 0 };
	uint64_t total, pos = 0, data_pos = 0, done;
	bool created = false;
	uint32_t memcg;
	size_t i;
	int ret;

	ret = req_path_check(ctx, m->path, resp);
	if (ret == 0)
		ret = ranges_check(ctx, m->ranges, m->n_ranges, resp, &total);
	if (ret == 0)
		ret = write_data_check(ctx, m, total, resp);
	if (ret == 0)
		ret = charge_memcg(ctx, m->memcg, resp, &memcg);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (m->fill && r && (fill = malloc(FILL_CHUNK)))
		memset(fill, (int)m->fill->value, FILL_CHUNK);
	if (!r || (m->fill && !fill)) {
		free(r);
		return -ENOMEM;
	}
	ret = file_access(ctx, m->path, FILE_MAY_WRITE, true,
			  m->mode ? m->mode->bits : FILE_MODE_DEFAULT, resp, &created);
	if (ret == 0)
		ret = req_file_grow(ctx, m->path, ranges_end(m->ranges, m->n_ranges), resp,
				    &charge);
	/* Opened once for all the ranges: see fileio_open. Not created there: file_access made
	 * it, recorded and charged, and one removed since (a remove racing this write) must not
	 * come back unrecorded, its bytes charged to nobody. */
	if (ret == 0) {
		ret = fileio_open(ctx->engine, ctx->files, m->path, memcg, false, &f);
		if (ret < 0)
			fileio_error(ctx, m->path, ret, resp);
	}
	for (i = 0; ret == 0 && i < m->n_ranges; i++) {
		ret = write_range(ctx, f, m->ranges[i], fill ? NULL : m->data.data + data_pos, fill,
				  &done);
		pos += done;
		data_pos += m->ranges[i]->length;
		if (ret == -ECANCELED) {
			status_set(resp, CODE(UNAVAILABLE), "%s: stopped after %" PRIu64 " bytes: "
				   "the connection closed", ctx->name, pos);
			/* Nobody takes that answer: the log is where it shows. */
			if (log_ratelimit(&stopped_lines))
				log_info("connection %" PRIu64 ": %s of '%s' stopped after %"
					 PRIu64 " bytes: the connection closed", ctx->session_id,
					 ctx->name, m->path, pos);
		} else if (ret < 0)
			fileio_error(ctx, m->path, ret, resp);
	}
	free(fill);
	/* Charged for all its ranges before it began: what a write that failed or stopped
	 * short (its client gone) did not take goes back to the owner's share. */
	file_owners_settle(ctx->server->files, m->path, &charge, f ? fileio_size(f) : 0);
	if (ret < 0) {
		/* A file this request created and could not fill goes again: nothing was
		 * written that anyone saw. */
		if (created && pos == 0)
			file_owners_uncreate(ctx->server->files, m->path);
		free(r);
		return ret;
	}
	reclaim__v1__file_write_reply__init(r);
	r->bytes = pos;
	resp->msg_case = RESP(FILE_WRITE);
	resp->file_write = r;
	return 0;
}

int req_file_advise(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__FileAdvise *m = req->file_advise;
	Reclaim__V1__FileAdviseReply *r;
	uint32_t memcg;
	bool created;
	int ret;

	ret = req_path_check(ctx, m->path, resp);
	if (ret == 0 && (unsigned int)m->advice > FILEIO_NOREUSE) {
		status_set(resp, CODE(INVALID_ARGUMENT),
			   "file advise: advice %d is not one of NORMAL, RANDOM, SEQUENTIAL, "
			   "WILLNEED, DONTNEED, NOREUSE", (int)m->advice);
		ret = -EINVAL;
	}
	if (ret == 0 && (m->offset > FILE_MAX_BYTES || m->length > FILE_MAX_BYTES - m->offset)) {
		status_set(resp, CODE(INVALID_ARGUMENT), "file advise: offset %" PRIu64 " length %"
			   PRIu64 " runs past %llu bytes", m->offset, m->length, FILE_MAX_BYTES);
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = charge_memcg(ctx, m->memcg, resp, &memcg);
	if (ret == 0)
		ret = file_access(ctx, m->path, FILE_MAY_READ, false, 0, resp, &created);
	if (ret < 0)
		return ret;
	ret = fileio_advise(ctx->engine, ctx->files, m->path, memcg, m->offset, m->length,
			    (enum fileio_advice)m->advice);
	if (ret < 0)
		return fileio_error(ctx, m->path, ret, resp);
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	reclaim__v1__file_advise_reply__init(r);
	resp->msg_case = RESP(FILE_ADVISE);
	resp->file_advise = r;
	return 0;
}

int req_file_remove(struct req_ctx *ctx, const Request *req, Response *resp)
{
	const Reclaim__V1__FileRemove *m = req->file_remove;
	struct file_cred cred = req_file_cred(ctx);
	Reclaim__V1__FileRemoveReply *r;
	struct file_attr attr;
	int ret;

	ret = req_path_check(ctx, m->path, resp);
	if (ret < 0)
		return ret;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = file_owners_remove(ctx->server->files, m->path, &cred, &attr);
	if (ret == -EPERM) {
		free(r);
		status_set(resp, CODE(PERMISSION_DENIED),
			   "file remove: path '%s' belongs to uid %u: only its owner, root or the "
			   "admin group may remove it", m->path, (unsigned int)attr.uid);
		return ret;
	}
	if (ret < 0) {
		free(r);
		return req_file_error(ctx, m->path, ret, "", &attr, resp);
	}
	/* The name is gone: so is this connection's open file of it, and its charge's hold on
	 * the memcg (the cache stays until reclaimed, as an unlinked file's would). */
	fileio_close(ctx->files, m->path);
	/* And unless a region or another connection still uses it, its blocks on disk: the
	 * engine lets go of its cache, as the kernel evicts an unlinked inode nobody holds. */
	rcl_file_release_unused(ctx->engine);
	reclaim__v1__file_remove_reply__init(r);
	resp->msg_case = RESP(FILE_REMOVE);
	resp->file_remove = r;
	return 0;
}
