/*
 * client-limits.h - the per-client limits and the connections reserved for root and the admin group,
 * as decisions a test can call: who may connect, and what a refused charge tells the client.
 *
 * Every limit applies to root and the admin group too, except the last reserved-connections
 * of max-connections, which only they may use (as PostgreSQL's superuser_reserved_connections):
 * so that an operator can always connect, whatever the unprivileged clients hold.
 */
#ifndef RECLAIMD_CLIENT_LIMITS_H
#define RECLAIMD_CLIENT_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

struct daemon_config;
struct rawpages;

/*
 * May a new connection from UID (ADMIN: root or the admin group) be served while NR_TOTAL
 * connections are open, NR_UID of them from UID? true, or false with WHY (LEN bytes) saying
 * which limit refused it and its value, for the client and the log.
 */
bool limits_admit_connection(const struct daemon_config *c, unsigned int nr_total,
			     unsigned int nr_uid, uid_t uid, bool admin, char *why, size_t len);

/*
 * Charge one region or raw allocation of BYTES to UID in RAW against max-client-regions and
 * max-client-bytes. 0, or -EDQUOT with RESP's Status NO_SPACE naming the limit that was hit
 * and its value (WHAT is the request's name), or -ENOMEM.
 */
int limits_charge(const struct daemon_config *c, struct rawpages *raw, uid_t uid,
		  uint64_t bytes, const char *what, Response *resp);

/*
 * Charge BYTES that reclaim cannot take back (a raw allocation, a region locked) to OWNER in
 * RAW against max-client-locked-bytes, the role of RLIMIT_MEMLOCK; EXEMPT: not held to it
 * (the caller is root or in the admin group, as CAP_IPC_LOCK; or the charge is one the caller
 * gives back if it finds the bytes counted already), but the bytes count all the same, so that
 * their uncharge balances. 0, or -EDQUOT with RESP's Status NO_SPACE naming the
 * limit and its value (WHAT is the request's name), or -ENOMEM.
 */
int limits_charge_locked(const struct daemon_config *c, struct rawpages *raw, uid_t owner,
			 bool exempt, uint64_t bytes, const char *what, Response *resp);

/*
 * max-client-mapped-regions in force: the configured value, or, when it was not given, as many
 * mappings as hold a quarter of the descriptors open to clients (fd_client_total, MAPFD_FDS
 * each). 0: no limit.
 */
unsigned int limits_max_mapped_regions(const struct daemon_config *c);

/*
 * RESP's Status for a MapRegion that UID, holding as many mappings as it may, was refused by
 * max-client-mapped-regions: NO_SPACE naming the limit and its value. -EDQUOT.
 */
int limits_mapped_refused(const struct daemon_config *c, uid_t uid, Response *resp);

#endif
