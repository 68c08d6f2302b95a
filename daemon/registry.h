/*
 * registry.h - who owns which region and which memcg.
 *
 * The engine knows regions and memcgs by id only; the daemon remembers, per region, the owner
 * uid, the connection that created it, whether it outlives that connection and what it is
 * (for RegionInfo), and per memcg the uid that created it. Ownership decides who may use an
 * object: its owner's uid, root or the admin group. Per-uid usage (regions and bytes) is
 * charged through rawpages (one account for regions and raw allocations).
 *
 * All functions are thread-safe: one mutex per table, a leaf lock (no engine call is made
 * under it).
 */
#ifndef RECLAIMD_REGISTRY_H
#define RECLAIMD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The longest memcg path a request may name (what rcl_memcg_lookup accepts, with room). */
#define MEMCG_PATH_MAX	1000

struct rcl_engine;
struct rawpages;
struct registry;

/* What the daemon knows about a region beyond the engine's rcl_region_info. */
struct region_rec {
	uint32_t id;
	uint64_t serial;		/* the record's own, never reused (ids are, once their
					 * slot's generation wraps): set by registry_region_add */
	uid_t uid;			/* owner */
	uint64_t session_id;		/* connection that created it */
	bool persistent;		/* survives that connection */
	bool file;			/* REGION_FILE */
	uint64_t bytes;			/* charged to the owner: whole pages */
	uint64_t locked_bytes;		/* of them, charged as locked (mlock): 0 or bytes */
	char memcg[MEMCG_PATH_MAX + 1];	/* path of its memcg at creation */
	char path[256];			/* REGION_FILE: relative to the data directory */
};

int registry_new(struct registry **ret);
void registry_free(struct registry *reg);

/* Record a region just created. 0 or -ENOMEM. */
int registry_region_add(struct registry *reg, const struct region_rec *rec);

/*
 * May UID (ADMIN) use region ID? 0 with *ret (a copy, may be NULL), -ENOENT (no such region
 * known to the daemon) or -EPERM (another uid's; *ret still filled so the message can name
 * the owner).
 */
int registry_region_get(struct registry *reg, uint32_t id, uid_t uid, bool admin,
			struct region_rec *ret);

/* Like registry_region_get, and on success remove the record (the caller frees the region). */
int registry_region_take(struct registry *reg, uint32_t id, uid_t uid, bool admin,
			 struct region_rec *ret);

/*
 * The region of REC (a record got before) is now locked (LOCKED_BYTES: its bytes) or not (0):
 * swap that into its record and give what was there in *RET_OLD. 0, or -ENOENT when the
 * region is gone (freed meanwhile), even if its id names another region by now: the record
 * must be REC's own (its serial), not one made since under the same id.
 */
int registry_region_set_locked(struct registry *reg, const struct region_rec *rec,
			       uint64_t locked_bytes, uint64_t *ret_old);

/* Give REC's owner back in RAW what the region was charged: its bytes and its locked bytes. */
void registry_region_uncharge(struct rawpages *raw, const struct region_rec *rec);

/*
 * Free, in ENGINE, every region of connection SESSION_ID not marked persistent, and uncharge
 * it from RAW (registry_region_uncharge). Returns how many were freed.
 */
unsigned int registry_release_session(struct registry *reg, struct rcl_engine *engine,
				      struct rawpages *raw, uint64_t session_id);

/*
 * Memcg ownership: the creator of memcg ID (at PATH) is UID, unless UID owns MAX_OWNED groups
 * already (0 = no limit; the count taken under the same lock as the addition, so concurrent
 * creations cannot overshoot). 0, -EDQUOT or -ENOMEM.
 */
int registry_memcg_add(struct registry *reg, uint32_t id, uid_t uid, const char *path,
		       unsigned int max_owned);
void registry_memcg_remove(struct registry *reg, uint32_t id);
/* The owner of memcg ID: its creator, or 0 (root) for groups the daemon did not create. */
uid_t registry_memcg_owner(struct registry *reg, uint32_t id);
/*
 * May UID (not an admin) see memcg ID: read its figures, list it, hear its pressure? Yes for
 * the root group (its figures are the daemon's, as /proc/meminfo is everybody's), for a group
 * UID owns and for any group below one it owns; no for every other group, the daemon's
 * unknown ones included (they are root's).
 */
bool registry_memcg_visible(struct registry *reg, uint32_t id, uid_t uid);
/* The path of memcg ID as created, without asking the engine (for the loop thread): "/" for
 * the root, "?" for a group the daemon does not know. */
void registry_memcg_path(struct registry *reg, uint32_t id, char *buf, size_t len);

#endif
