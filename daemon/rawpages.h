/*
 * rawpages.h - who owns which raw allocation (rcl_alloc_pages), and what each client uid uses.
 *
 * The engine only knows frames; the daemon remembers, per allocation, the owner uid, the
 * connection that made it and whether it outlives that connection. Per-uid usage is what the
 * max-client-regions, max-client-bytes, max-client-locked-bytes and max-client-mapped-regions
 * limits are checked against. All functions are
 * thread-safe (one mutex, a leaf: no engine call is made under it).
 */
#ifndef RECLAIMD_RAWPAGES_H
#define RECLAIMD_RAWPAGES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct rcl_engine;
struct rawpages;

/* 0 or -ENOMEM. */
int rawpages_new(struct rawpages **ret);
/* Forget every record (the frames go with the engine). rawpages_free(NULL) does nothing. */
void rawpages_free(struct rawpages *raw);

/*
 * Reserve one allocation of BYTES for UID against the limits (0 = no limit), before asking the
 * engine, so that concurrent requests cannot overshoot. 0 or -EDQUOT.
 */
int rawpages_charge(struct rawpages *raw, uid_t uid, uint64_t bytes, unsigned int max_count,
		    uint64_t max_bytes);
/* Undo a charge (the allocation failed, or was freed). */
void rawpages_uncharge(struct rawpages *raw, uid_t uid, uint64_t bytes);

/*
 * The bytes UID holds that reclaim cannot take back (raw allocations, mlocked regions), the
 * role of the kernel's RLIMIT_MEMLOCK: charge BYTES more unless that passes MAX_BYTES (0 = no
 * limit), with what UID then holds (or held, refused) in *RET_LOCKED if not NULL. 0, -EDQUOT
 * or -ENOMEM.
 */
int rawpages_charge_locked(struct rawpages *raw, uid_t uid, uint64_t bytes, uint64_t max_bytes,
			   uint64_t *ret_locked);
void rawpages_uncharge_locked(struct rawpages *raw, uid_t uid, uint64_t bytes);

/* One more region mapped by UID unless it has MAX already (0 = no limit), with what UID then
 * has (or had, refused) in *RET_MAPPED if not NULL: max-client-mapped-regions. 0, -EDQUOT or
 * -ENOMEM. */
int rawpages_charge_mapped(struct rawpages *raw, uid_t uid, unsigned int max,
			   unsigned int *ret_mapped);
void rawpages_uncharge_mapped(struct rawpages *raw, uid_t uid);

/* Record an allocation made on connection SESSION_ID. 0 or -ENOMEM. */
int rawpages_add(struct rawpages *raw, uint32_t pfn, unsigned int order, uid_t uid,
		 uint64_t session_id, bool persistent);

/*
 * Remove the record of PFN for a caller UID (ADMIN: may free anybody's) and give its owner in
 * *ret_owner. -ENOENT: no allocation starts at PFN; -EINVAL: ORDER does not match; -EPERM:
 * another uid's. Nothing changes on error.
 */
int rawpages_take(struct rawpages *raw, uint32_t pfn, unsigned int order, uid_t uid,
		  bool admin, uid_t *ret_owner);

/*
 * Free, in ENGINE, every allocation of connection SESSION_ID not marked persistent, and
 * uncharge it (its bytes and its locked bytes). Returns how many were freed.
 */
unsigned int rawpages_release_session(struct rawpages *raw, struct rcl_engine *engine,
				      uint64_t session_id);

/* Allocations and bytes charged to UID (for tests and Hello). */
void rawpages_usage(struct rawpages *raw, uid_t uid, unsigned int *ret_count,
		    uint64_t *ret_bytes);

#endif
