/*
 * req-util.h - helpers the request handlers share (req-memcg.c).
 */
#ifndef RECLAIMD_REQ_UTIL_H
#define RECLAIMD_REQ_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "dispatch.h"
#include "fileown.h"
#include "reclaim/pressure.h"

/*
 * The memcg id of PATH ("" = "/") in *ret_id, or -errno with RESP's Status naming FIELD
 * (INVALID_ARGUMENT for a malformed path, NOT_FOUND for a missing group).
 */
int req_memcg_resolve(struct req_ctx *ctx, const char *field, const char *path, Response *resp,
		      uint32_t *ret_id);

/* req_memcg_resolve, then PERMISSION_DENIED naming the owner if the caller (not an admin) may
 * not see the group: another uid's, outside every group it owns. */
int req_memcg_resolve_visible(struct req_ctx *ctx, const char *field, const char *path,
			      Response *resp, uint32_t *ret_id);

/* Whether the caller may change group ID or put things in it: admins, or its creator's uid.
 * The root group is the admins'. */
bool req_memcg_may_use(struct req_ctx *ctx, uint32_t id);

/* A data directory path as files are named there (relative, no "." or ".." components,
 * printable): 0, or -EINVAL with RESP's Status naming it (req-region.c). */
int req_path_check(struct req_ctx *ctx, const char *path, Response *resp);
/* The credentials the caller's file accesses are judged by. */
struct file_cred req_file_cred(const struct req_ctx *ctx);
/* Why PATH cannot be had (ERR from fileown.c), in RESP's Status; WANT ("read", "read and
 * write") and ATTR for a refusal. Returns ERR. */
int req_file_error(struct req_ctx *ctx, const char *path, int err, const char *want,
		   const struct file_attr *attr, Response *resp);

/* A client that is not an admin wanted a descriptor from the reserve (fdlimit.h): RESP says
 * so, NO_SPACE naming the reserve. Returns -ENFILE. */
int req_fd_refused(struct req_ctx *ctx, Response *resp);

/* Let PATH grow to END bytes, charged to its owner, within max-client-file-bytes for a
 * caller that is not an admin: 0, or -EDQUOT (NO_SPACE naming the limit) or -errno with
 * RESP's Status set (req-file.c). *ret_charge: for file_owners_settle when the write ends. */
int req_file_grow(struct req_ctx *ctx, const char *path, uint64_t end, Response *resp,
		  struct file_charge *ret_charge);

/* The wire level of an engine level. */
Reclaim__V1__PressureLevel req_pressure_level(enum rcl_pressure_level l);

#endif
