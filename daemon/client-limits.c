/*
 * client-limits.c - connection admission and per-client charges, with the messages that name the
 * limit (its option name, which is also its config key) and its value.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "client-limits.h"
#include "config.h"
#include "fdlimit.h"
#include "mapfd.h"
#include "rawpages.h"
#include "status.h"

bool limits_admit_connection(const struct daemon_config *c, unsigned int nr_total,
			     unsigned int nr_uid, uid_t uid, bool admin, char *why, size_t len)
{
	unsigned int open_to_all = c->max_connections - c->reserved_connections;

	if (nr_total >= c->max_connections) {
		snprintf(why, len, "too many connections to reclaimd: %u open, max-connections is %u",
			 nr_total, c->max_connections);
		return false;
	}
	if (!admin && nr_total >= open_to_all) {
		snprintf(why, len, "too many connections to reclaimd: %u open, the other %u of "
			 "max-connections %u are reserved for root and the admin group "
			 "(reserved-connections)", nr_total, c->reserved_connections,
			 c->max_connections);
		return false;
	}
	if (nr_uid >= c->max_client_connections) {
		snprintf(why, len, "too many connections from uid %u: %u open, "
			 "max-client-connections is %u", (unsigned int)uid, nr_uid,
			 c->max_client_connections);
		return false;
	}
	return true;
}

int limits_charge_locked(const struct daemon_config *c, struct rawpages *raw, uid_t owner,
			 bool exempt, uint64_t bytes, const char *what, Response *resp)
{
	uint64_t max = exempt ? 0 : c->max_client_locked_bytes, locked = 0;
	int ret = rawpages_charge_locked(raw, owner, bytes, max, &locked);

	if (ret == -EDQUOT)
		status_set(resp, CODE(NO_SPACE),
			   "%s: %" PRIu64 " more bytes that reclaim cannot take back would take "
			   "uid %u to %" PRIu64 ", over the limit (max-client-locked-bytes %" PRIu64
			   ")", what, bytes, (unsigned int)owner, locked + bytes, max);
	return ret;
}

int limits_charge(const struct daemon_config *c, struct rawpages *raw, uid_t uid,
		  uint64_t bytes, const char *what, Response *resp)
{
	unsigned int count = 0;
	uint64_t used = 0;
	int ret;

	ret = rawpages_charge(raw, uid, bytes, c->max_client_regions, c->max_client_bytes);
	if (ret != -EDQUOT)
		return ret;
	/* The decision was taken under rawpages' lock; this second look only words it. */
	rawpages_usage(raw, uid, &count, &used);
	if (c->max_client_regions && count + 1 > c->max_client_regions)
		status_set(resp, CODE(NO_SPACE),
			   "%s: uid %u has %u regions and raw allocations, the limit "
			   "(max-client-regions %u)", what, (unsigned int)uid, count,
			   c->max_client_regions);
	else
		status_set(resp, CODE(NO_SPACE),
			   "%s: %" PRIu64 " more bytes would take uid %u to %" PRIu64 " bytes, over "
			   "the limit (max-client-bytes %" PRIu64 ")", what, bytes, (unsigned int)uid,
			   used + bytes, c->max_client_bytes);
	return ret;
}

/*
 * Each mapped region holds MAPFD_FDS of the daemon's descriptors for as long as it is mapped,
 * and only the reserve is kept from clients: without a share, one uid's mappings took all the
 * rest and left the other uids no file, no region file, no mapping. A quarter is the share of
 * the connections a uid has by default (max-client-connections 64 of max-connections 256):
 * a uid at its limit leaves three quarters to the others. A per-uid count of mappings, not a
 * per-uid descriptor budget in fdlimit.c: the count is what an operator can read and set, and
 * a mapping's descriptors are made together and closed together (by the fault thread, a
 * moment after the mapping goes and its count with it), so counting mappings counts them.
 */
#define MAPPED_FD_SHARE	4

unsigned int limits_max_mapped_regions(const struct daemon_config *c)
{
	unsigned int total = fd_client_total(), share = total / MAPPED_FD_SHARE / MAPFD_FDS;

	if (c->max_client_mapped_regions != CONFIG_AUTO_COUNT)
		return c->max_client_mapped_regions;
	/* No descriptor limit known: nothing to share out. A table too small for a quarter to
	 * hold one mapping still lets a uid map one (0 would be no limit at all). */
	if (!total)
		return 0;
	return share ? share : 1;
}

int limits_mapped_refused(const struct daemon_config *c, uid_t uid, Response *resp)
{
	unsigned int max = limits_max_mapped_regions(c);

	status_set(resp, CODE(NO_SPACE),
		   "map region: uid %u has %u regions mapped, the limit "
		   "(max-client-mapped-regions %u)", (unsigned int)uid, max, max);
	return -EDQUOT;
}
