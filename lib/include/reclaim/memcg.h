/*
 * reclaim/memcg.h - memory cgroups: a hierarchy rooted at "/" (id 1).
 */
#ifndef RECLAIM_MEMCG_H
#define RECLAIM_MEMCG_H

#include <stdint.h>
#include <stdio.h>

struct rcl_engine;

#define RCL_MEMCG_ROOT		1u
#define RCL_MEMCG_UNLIMITED	UINT64_MAX

enum rcl_memcg_knob {
	RCL_MEMCG_MIN, RCL_MEMCG_LOW, RCL_MEMCG_HIGH, RCL_MEMCG_MAX, RCL_MEMCG_SOFT_LIMIT,
	RCL_MEMCG_SWAP_MAX, RCL_MEMCG_SWAPPINESS,
};

/* Create @name under @parent_id; names are [A-Za-z0-9_.-], unique among siblings. */
int rcl_memcg_create(struct rcl_engine *engine, uint32_t parent_id, const char *name,
		     uint32_t *ret_id);
/*
 * Delete a group that has no live children, no regions and no open rcl_file charging it
 * (-EBUSY otherwise). Pages still charged to it (page cache, swap) do not block it: as in
 * v4.19 the group goes offline, vanishes from lookups and walks, and its pages stay charged
 * to it and are reclaimed first (spec 7); it is freed once nothing is charged to it. Its name
 * can be reused at once.
 */
int rcl_memcg_delete(struct rcl_engine *engine, uint32_t id);
/* Sizes in bytes (rounded down to pages); swappiness 0..100. */
int rcl_memcg_set(struct rcl_engine *engine, uint32_t id, enum rcl_memcg_knob knob,
		  uint64_t value);
int rcl_memcg_get(struct rcl_engine *engine, uint32_t id, enum rcl_memcg_knob knob,
		  uint64_t *ret);
int rcl_memcg_lookup(struct rcl_engine *engine, const char *path, uint32_t *ret_id);

/*
 * The live groups under @root_id (itself first) in pre-order, as one moment saw them: the
 * first @max ids in @ids, and the count of all returned (more than @max: call again with
 * room), or -ENOENT if @root_id names no live group. A group deleted since reads as -ENOENT
 * when asked about.
 */
int rcl_memcg_list(struct rcl_engine *engine, uint32_t root_id, uint32_t *ids, size_t max);
/* The same in an array of the right size, malloc'd into *@ret_ids (free it): the count. */
int rcl_memcg_list_alloc(struct rcl_engine *engine, uint32_t root_id, uint32_t **ret_ids);
/* "/a/b" of group @id ("/" for the root); -ENAMETOOLONG if it does not fit @len. */
int rcl_memcg_path(struct rcl_engine *engine, uint32_t id, char *buf, size_t len);

/* memory.stat / memory.events as "key value" lines. */
int rcl_memcg_show_stat(struct rcl_engine *engine, uint32_t id, FILE *out);
int rcl_memcg_show_events(struct rcl_engine *engine, uint32_t id, FILE *out);
/* memory.current in bytes. */
int rcl_memcg_usage(struct rcl_engine *engine, uint32_t id, uint64_t *ret);

/* Proactive reclaim of @nr_pages from the group (memory.reclaim): 0, -EAGAIN if retries ran
 * out before that much was reclaimed (*ret_reclaimed says how much was). */
int rcl_memcg_reclaim(struct rcl_engine *engine, uint32_t id, uint64_t nr_pages,
		      uint64_t *ret_reclaimed);
/* The same, with memory.reclaim's swappiness= (0..RCL_MAX_SWAPPINESS; -1: the group's own),
 * also saying how many pages were scanned (memory.stat pgscan of the subtree). -EINVAL for a
 * swappiness out of range. */
#define RCL_MAX_SWAPPINESS	200
int rcl_memcg_reclaim_scan(struct rcl_engine *engine, uint32_t id, uint64_t nr_pages,
			   int swappiness, uint64_t *ret_reclaimed, uint64_t *ret_scanned);
/* Drop clean page cache (echo 1 > drop_caches). */
int rcl_drop_caches(struct rcl_engine *engine, uint64_t *ret_dropped);

#endif /* RECLAIM_MEMCG_H */
