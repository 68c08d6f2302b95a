/*
 * status.c - errno -> wire Status. Every handler reports failure as -errno; this file is the
 * only place that decides which Code a client sees for it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

static const struct {
	int err;
	Code code;
} errno_codes[] = {
	{ EINVAL, CODE(INVALID_ARGUMENT) },
	{ ERANGE, CODE(INVALID_ARGUMENT) },
	{ EOVERFLOW, CODE(INVALID_ARGUMENT) },
	{ ENAMETOOLONG, CODE(INVALID_ARGUMENT) },
	{ ENOENT, CODE(NOT_FOUND) },
	{ ESRCH, CODE(NOT_FOUND) },
	{ EPERM, CODE(PERMISSION_DENIED) },
	{ EACCES, CODE(PERMISSION_DENIED) },
	{ ENOMEM, CODE(NO_MEMORY) },
	{ ENOSPC, CODE(NO_SPACE) },
	{ EDQUOT, CODE(NO_SPACE) },
	{ EMFILE, CODE(NO_SPACE) },
	{ EIO, CODE(IO_ERROR) },
	{ EBADMSG, CODE(IO_ERROR) },
	{ EOPNOTSUPP, CODE(UNSUPPORTED) },
	{ ENOSYS, CODE(UNSUPPORTED) },
	{ ESHUTDOWN, CODE(UNAVAILABLE) },
	{ ECANCELED, CODE(UNAVAILABLE) },
	{ EPROTO, CODE(PROTOCOL_ERROR) },
	{ EAGAIN, CODE(BUSY) },
	{ EBUSY, CODE(BUSY) },
	{ EEXIST, CODE(ALREADY_EXISTS) },
	{ ENOTEMPTY, CODE(BUSY) },
};

static const char *const code_names[] = {
	[CODE(OK)] = "OK",
	[CODE(INVALID_ARGUMENT)] = "INVALID_ARGUMENT",
	[CODE(NOT_FOUND)] = "NOT_FOUND",
	[CODE(PERMISSION_DENIED)] = "PERMISSION_DENIED",
	[CODE(NO_MEMORY)] = "NO_MEMORY",
	[CODE(NO_SPACE)] = "NO_SPACE",
	[CODE(IO_ERROR)] = "IO_ERROR",
	[CODE(UNSUPPORTED)] = "UNSUPPORTED",
	[CODE(UNAVAILABLE)] = "UNAVAILABLE",
	[CODE(PROTOCOL_ERROR)] = "PROTOCOL_ERROR",
	[CODE(BUSY)] = "BUSY",
	[CODE(INTERNAL)] = "INTERNAL",
	[CODE(ALREADY_EXISTS)] = "ALREADY_EXISTS",
};

Code status_code_from_errno(int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	if (err == 0)
		return CODE(OK);
	for (i = 0; i < sizeof(errno_codes) / sizeof(errno_codes[0]); i++)
		if (errno_codes[i].err == err)
			return errno_codes[i].code;
	return CODE(INTERNAL);
}

const char *status_code_name(Code code)
{
	if ((unsigned int)code >= sizeof(code_names) / sizeof(code_names[0]) ||
	    !code_names[code])
		return "UNKNOWN";
	return code_names[code];
}

/* RESP's Status, made if it has none, with CODE and an empty message; NULL if out of memory. */
static Status *status_reset(Response *resp, Code code)
{
	Status *st = resp->status;

	if (!st) {
		st = malloc(sizeof(*st));
		if (!st)
			return NULL;
		reclaim__v1__status__init(st);
		resp->status = st;
	}
	if (st->message != protobuf_c_empty_string)
		free(st->message);
	st->message = (char *)protobuf_c_empty_string;
	st->code = code;
	return st;
}

static int status_vset(Response *resp, Code code, const char *fmt, va_list ap)
{
	Status *st = status_reset(resp, code);
	char *msg = NULL;

	if (!st)
		return -ENOMEM;
	if (vasprintf(&msg, fmt, ap) < 0) {
		st->code = CODE(NO_MEMORY);
		return -ENOMEM;
	}
	st->message = msg;
	return 0;
}

int status_set(Response *resp, Code code, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = status_vset(resp, code, fmt, ap);
	va_end(ap);
	return ret;
}

int status_set_ok(Response *resp)
{
	return status_reset(resp, CODE(OK)) ? 0 : -ENOMEM;
}

int status_set_errno(Response *resp, int err, const char *prefix)
{
	return status_set(resp, status_code_from_errno(err), "%s: %s", prefix,
			  strerror(err < 0 ? -err : err));
}
