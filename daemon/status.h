/*
 * status.h - the one table from errno values to wire Status codes, and helpers that fill a
 * Response's Status.
 */
#ifndef RECLAIMD_STATUS_H
#define RECLAIMD_STATUS_H

#include "wire.h"

/* The wire code for a negative or positive errno value; unknown values are INTERNAL. */
Code status_code_from_errno(int err);

/* "OK", "INVALID_ARGUMENT", ...: the code's name in the .proto; "UNKNOWN" out of range. */
const char *status_code_name(Code code);

/*
 * Give RESP a Status with CODE and a printf-formatted one-line message. Allocates the Status
 * if RESP has none (freed with the Response by reclaim__v1__response__free_unpacked). Returns 0
 * or -ENOMEM; on -ENOMEM an existing Status says NO_MEMORY with an empty message.
 */
int status_set(Response *resp, Code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* status_set(RESP, CODE(OK), "") without formatting: every answered call sets it. */
int status_set_ok(Response *resp);

/* status_set() with the code for ERR and the message "PREFIX: strerror(ERR)". */
int status_set_errno(Response *resp, int err, const char *prefix);

#endif
