/*
 * api.c - the public memcg, tunable, pressure, trace and reclaim API (reclaim/memcg.h,
 * reclaim/pressure.h, reclaim/engine.h tunables). Validation first, then the big lock.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "reclaim/memcg.h"
#include "memcontrol.h"
#include "vmscan.h"

#define RCL_TUNABLE_NAME(id, name, lo, hi, def) [RCL_TUNABLE_##id] = name,
const char *const rcl_tunable_names[RCL_NR_TUNABLES] = { RCL_TUNABLES(RCL_TUNABLE_NAME) };

#define RCL_TUNABLE_LO(id, name, lo, hi, def) [RCL_TUNABLE_##id] = lo,
#define RCL_TUNABLE_HI(id, name, lo, hi, def) [RCL_TUNABLE_##id] = hi,
static const uint64_t tunable_lo[RCL_NR_TUNABLES] = { RCL_TUNABLES(RCL_TUNABLE_LO) };
static const uint64_t tunable_hi[RCL_NR_TUNABLES] = { RCL_TUNABLES(RCL_TUNABLE_HI) };

/* ---- memcgs --------------------------------------------------------------------------- */

static bool memcg_name_valid(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n >= MEMCG_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* A group by the id a caller named: deleted (offline) groups are nobody's to name. Caller
 * holds mm_lock or the tree lock. */
static struct mem_cgroup *memcg_from_user_id(struct rcl_engine *engine, unsigned int id)
{
	struct mem_cgroup *memcg = mem_cgroup_from_user_id(engine, id);

	return memcg && memcg->online ? memcg : NULL;
}

/*
 * The group @id, referenced, without mm_lock (the kernel's css_tryget_online under RCU): for
 * calls that only read it, which must not wait behind a reclaim holding mm_lock. The lookup
 * and the reference are taken under the tree lock, which a delete takes to set the group
 * offline, so a group found online is counted before any reap can look at it. Put with
 * css_put.
 */
static struct mem_cgroup *css_tryget_online(struct rcl_engine *engine, unsigned int id)
{
	struct mem_cgroup *memcg;

	memcg_tree_lock(engine);
	memcg = memcg_from_user_id(engine, id);
	if (memcg)
		css_get(memcg);
	memcg_tree_unlock(engine);
	return memcg;
}

/* The live child called @name; a deleted one still draining its pages does not count.
 * Caller holds mm_lock or the tree lock. */
static struct mem_cgroup *memcg_child(struct mem_cgroup *parent, const char *name)
{
	struct mem_cgroup *c;

	for (c = parent->first_child; c; c = c->next_sibling)
		if (c->online && !strcmp(c->name, name))
			return c;
	return NULL;
}

static void memcg_reap_offline(struct rcl_engine *engine);

int rcl_memcg_create(struct rcl_engine *engine, uint32_t parent_id, const char *name,
		     uint32_t *ret_id)
{
	struct mem_cgroup *parent, *memcg;
	int err = 0;

	if (!memcg_name_valid(name))
		return -EINVAL;
	mm_lock(engine);
	parent = memcg_from_user_id(engine, parent_id);
	if (!parent)
		err = -ENOENT;
	else if (memcg_child(parent, name))
		err = -EEXIST;
	else {
		memcg_reap_offline(engine);	/* their ids may be needed */
		if ((memcg = mem_cgroup_alloc(engine, parent, name, &err)))
			*ret_id = memcg->user_id;
	}
	mm_unlock(engine);
	return err;
}

/* Move every page charged to @memcg over to its parent, which already counts them. */
static void memcg_reparent(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	struct mem_cgroup *parent = memcg->parent;
	int nid, lru, i;
	uint32_t s;

	lru_add_drain_all(engine);
	for (nid = 0; nid < engine->nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA(engine, nid);
		struct lruvec *from = mem_cgroup_lruvec(pgdat, memcg);
		struct lruvec *to = mem_cgroup_lruvec(pgdat, parent);

		lru_lock(pgdat);
		for (lru = 0; lru < NR_LRU_LISTS; lru++) {
			struct page *page;

			while ((page = page_list_last(&from->lists[lru]))) {
				del_page_from_lru_list(page, from, (enum lru_list)lru);
				page->mem_cgroup = parent->id;
				add_page_to_lru_list(page, to, (enum lru_list)lru);
			}
		}
		lru_unlock(pgdat);
	}
	/* Pages off the LRU (raw-free pages never are charged) and swap slots. */
	for (s = 0; engine->swap && s < engine->swap->max; s++)
		if (engine->swap_cgroup[s] == memcg->id)
			engine->swap_cgroup[s] = parent->id;
	for (i = 0; i < MEMCG_NR_STAT; i++)
		memcg->stat[i] = 0;
	/* The usage moves up: the parent already includes it, only this level drops it. Its
	 * protected usage went with memory.min/low at deletion (rcl_memcg_delete). */
	atomic_store(&memcg->memory.usage, 0);
	atomic_store(&memcg->swap.usage, 0);
}

/* css_free: unlink @memcg, with nothing charged to it any more, and free it. */
static void memcg_release(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	struct mem_cgroup **pp;
	uint32_t r;

	memcg_reparent(engine, memcg);
	memcg_tree_lock(engine);
	for (pp = &memcg->parent->first_child; *pp; pp = &(*pp)->next_sibling) {
		if (*pp == memcg) {
			*pp = memcg->next_sibling;
			break;
		}
	}
	memcg_tree_unlock(engine);
	/* Shared reclaim cursors may point at it. */
	for (r = 1; r <= MEM_CGROUP_ID_MAX; r++) {
		struct mem_cgroup *m = engine->memcgs[r];
		int nid, prio;

		if (!m)
			continue;
		for (nid = 0; nid < engine->nr_nodes; nid++)
			for (prio = 0; prio <= DEF_PRIORITY; prio++)
				if (m->nodeinfo[nid]->iter[prio].position == memcg)
					m->nodeinfo[nid]->iter[prio].position = NULL;
	}
	mem_cgroup_free(engine, memcg);
}

static bool memcg_drained(const struct mem_cgroup *memcg)
{
	return !memcg->first_child && !page_counter_read(&memcg->memory) &&
	       !page_counter_read(&memcg->swap) &&
	       !atomic_load_explicit(&memcg->css_refs, memory_order_acquire);
}

/*
 * Free the deleted groups that nothing is charged to any more (the kernel frees a css when
 * its last reference goes; here the public calls that change the hierarchy look for them).
 * A parent whose last child goes is looked at again.
 */
static void memcg_reap_offline(struct rcl_engine *engine)
{
	bool again = true;
	uint32_t r;

	while (again) {
		again = false;
		for (r = RCL_MEMCG_ROOT + 1; r <= MEM_CGROUP_ID_MAX; r++) {
			struct mem_cgroup *m = engine->memcgs[r];

			if (m && !m->online && memcg_drained(m)) {
				memcg_release(engine, m);
				again = true;
			}
		}
	}
}

/*
 * cgroup rmdir (v4.19 mem_cgroup_css_offline): refused while a live child, a region or an
 * open file is in the group. An empty group is freed at once. One with pages still charged
 * goes offline: it leaves the names and walks that callers see, its protection is dropped,
 * and its pages stay charged to it, scraped out first by get_scan_count's offline rule
 * (spec 7), until the last is gone and it is freed.
 */
int rcl_memcg_delete(struct rcl_engine *engine, uint32_t id)
{
	struct mem_cgroup *memcg, *c;
	uint32_t r;
	int err = 0;

	mm_lock(engine);
	memcg = memcg_from_user_id(engine, id);
	if (!memcg) {
		err = -ENOENT;
		goto out;
	}
	if (mem_cgroup_is_root(memcg)) {
		err = -EPERM;
		goto out;
	}
	for (c = memcg->first_child; c; c = c->next_sibling) {
		if (c->online) {
			err = -EBUSY;
			goto out;
		}
	}
	if (memcg->nr_files) {
		err = -EBUSY;
		goto out;
	}
	for (r = 1; r < engine->nr_region_slots; r++) {
		if (engine->regions[r] && engine->regions[r]->memcg == memcg) {
			err = -EBUSY;
			goto out;
		}
	}
	memcg_tree_lock(engine);
	memcg->online = false;
	memcg_tree_unlock(engine);
	vmpressure_offline(memcg);
	page_counter_set_min(&memcg->memory, 0);
	page_counter_set_low(&memcg->memory, 0);
	lru_add_drain_all(engine);	/* pages in LRU vectors become reclaimable */
	memcg_reap_offline(engine);
out:
	mm_unlock(engine);
	return err;
}

static unsigned long bytes_to_pages(uint64_t v)
{
	return v == RCL_MEMCG_UNLIMITED || (v >> PAGE_SHIFT) >= PAGE_COUNTER_MAX ?
		       PAGE_COUNTER_MAX : (unsigned long)(v >> PAGE_SHIFT);
}

static uint64_t pages_to_bytes(unsigned long v)
{
	return v == PAGE_COUNTER_MAX ? RCL_MEMCG_UNLIMITED : (uint64_t)v << PAGE_SHIFT;
}

/* A page counter's limit or protection, in bytes. */
static uint64_t limit_bytes(const _Atomic unsigned long *value)
{
	return pages_to_bytes(page_counter_get(value));
}

int rcl_memcg_set(struct rcl_engine *engine, uint32_t id, enum rcl_memcg_knob knob,
		  uint64_t value)
{
	struct mem_cgroup *memcg;
	unsigned long pages = bytes_to_pages(value);
	int err = 0, retries = MAX_RECLAIM_RETRIES;

	if ((unsigned int)knob > RCL_MEMCG_SWAPPINESS ||
	    (knob == RCL_MEMCG_SWAPPINESS && value > 100))
		return -EINVAL;
	mm_lock(engine);
	memcg = memcg_from_user_id(engine, id);
	if (!memcg) {
		err = -ENOENT;
		goto out;
	}
	if (mem_cgroup_is_root(memcg)) {
		err = -EINVAL;		/* the root is the whole arena: configure tunables */
		goto out;
	}
	switch (knob) {
	case RCL_MEMCG_MIN: page_counter_set_min(&memcg->memory, pages); break;
	case RCL_MEMCG_LOW: page_counter_set_low(&memcg->memory, pages); break;
	case RCL_MEMCG_HIGH: page_counter_set_high(&memcg->memory, pages); break;
	case RCL_MEMCG_MAX:
		page_counter_set_max(&memcg->memory, pages);
		/* A lower max reclaims down to it, as writing memory.max does. The reclaim lets
		 * mm_lock go: the group, deleted meanwhile, is freed only after this. */
		css_get(memcg);
		while (mem_cgroup_usage(memcg) > pages && retries--)
			if (!try_to_free_mem_cgroup_pages(memcg, mem_cgroup_usage(memcg) - pages,
							  GFP_KERNEL, true))
				break;
		css_put(memcg);
		break;
	case RCL_MEMCG_SOFT_LIMIT: memcg->soft_limit = pages; break;
	case RCL_MEMCG_SWAP_MAX: page_counter_set_max(&memcg->swap, pages); break;
	case RCL_MEMCG_SWAPPINESS: memcg->swappiness = (unsigned int)value; break;
	}
out:
	mm_unlock(engine);
	return err;
}

int rcl_memcg_get(struct rcl_engine *engine, uint32_t id, enum rcl_memcg_knob knob,
		  uint64_t *ret)
{
	struct mem_cgroup *memcg;
	int err = 0;

	if ((unsigned int)knob > RCL_MEMCG_SWAPPINESS)
		return -EINVAL;
	memcg = css_tryget_online(engine, id);
	if (!memcg) {
		err = -ENOENT;
	} else {
		switch (knob) {
		case RCL_MEMCG_MIN: *ret = limit_bytes(&memcg->memory.min); break;
		case RCL_MEMCG_LOW: *ret = limit_bytes(&memcg->memory.low); break;
		case RCL_MEMCG_HIGH: *ret = limit_bytes(&memcg->memory.high); break;
		case RCL_MEMCG_MAX: *ret = limit_bytes(&memcg->memory.max); break;
		case RCL_MEMCG_SOFT_LIMIT: *ret = pages_to_bytes(memcg->soft_limit); break;
		case RCL_MEMCG_SWAP_MAX: *ret = limit_bytes(&memcg->swap.max); break;
		case RCL_MEMCG_SWAPPINESS: *ret = mem_cgroup_swappiness(memcg); break;
		}
		css_put(memcg);
	}
	return err;
}

int rcl_memcg_lookup(struct rcl_engine *engine, const char *path, uint32_t *ret_id)
{
	struct mem_cgroup *memcg;
	char buf[1024], *save = NULL, *tok;
	int err = 0;

	if (!path || path[0] != '/' || strlen(path) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, path);
	/* The names only: the tree lock, not mm_lock, which reclaim may hold a while. */
	memcg_tree_lock(engine);
	memcg = engine->root_mem_cgroup;
	for (tok = strtok_r(buf, "/", &save); tok && memcg; tok = strtok_r(NULL, "/", &save))
		memcg = memcg_child(memcg, tok);
	if (memcg)
		*ret_id = memcg->user_id;
	else
		err = -ENOENT;
	memcg_tree_unlock(engine);
	return err;
}

int rcl_memcg_list(struct rcl_engine *engine, uint32_t root_id, uint32_t *ids, size_t max)
{
	struct mem_cgroup *root;
	size_t n = 0;

	/*
	 * One hold of the tree lock for the whole walk, as a lookup by path takes it: nothing is
	 * unlinked meanwhile, so the listing is one moment's. A walk resumed group by group from
	 * the last id it returned lost its place, and every group after it, when that group was
	 * deleted in between. A reclaim holding mm_lock does not hold up a listing (status,
	 * /metrics).
	 */
	memcg_tree_lock(engine);
	root = memcg_from_user_id(engine, root_id);
	if (root)
		n = mem_cgroup_walk_online(root, ids, max);
	memcg_tree_unlock(engine);
	if (!root)
		return -ENOENT;
	return n > INT_MAX ? INT_MAX : (int)n;
}

int rcl_memcg_list_alloc(struct rcl_engine *engine, uint32_t root_id, uint32_t **ret_ids)
{
	uint32_t *ids = NULL, *grown;
	size_t max = 16;
	int n;

	/* Groups made between two tries make the second one bigger: bounded, as they are. */
	for (;;) {
		grown = realloc(ids, max * sizeof(*ids));
		if (!grown) {
			free(ids);
			return -ENOMEM;
		}
		ids = grown;
		n = rcl_memcg_list(engine, root_id, ids, max);
		if (n < 0 || (size_t)n <= max)
			break;
		max = (size_t)n + 16;
	}
	if (n < 0) {
		free(ids);
		return n;
	}
	*ret_ids = ids;
	return n;
}

static int memcg_path_of(struct mem_cgroup *memcg, char *buf, size_t len)
{
	size_t n;
	int err;

	if (!memcg->parent)
		return snprintf(buf, len, "/") >= (int)len ? -ENAMETOOLONG : 0;
	err = memcg_path_of(memcg->parent, buf, len);
	if (err)
		return err;
	n = strlen(buf);
	if (snprintf(buf + n, len - n, "%s%s", n > 1 ? "/" : "", memcg->name) >= (int)(len - n))
		return -ENAMETOOLONG;
	return 0;
}

int rcl_memcg_path(struct rcl_engine *engine, uint32_t id, char *buf, size_t len)
{
	struct mem_cgroup *memcg;
	int err;

	if (!buf || !len)
		return -EINVAL;
	/* Names and parents never change, and a group's ancestors outlive it. */
	memcg = css_tryget_online(engine, id);
	if (!memcg)
		return -ENOENT;
	err = memcg_path_of(memcg, buf, len);
	css_put(memcg);
	return err;
}

int rcl_memcg_usage(struct rcl_engine *engine, uint32_t id, uint64_t *ret)
{
	struct mem_cgroup *memcg;
	int err = 0;

	/* Counters only: no mm_lock, which a reclaim may hold a while. */
	memcg = css_tryget_online(engine, id);
	if (!memcg)
		err = -ENOENT;
	else if (mem_cgroup_is_root(memcg))
		/*
		 * v4.19 mem_cgroup_usage of the root: the anon and file pages charged in the whole
		 * tree. Not "all but free": frames on the threads' free lists (pcp), the zero page
		 * and raw allocations are nobody's charge.
		 */
		*ret = (uint64_t)(memcg->stat[MEMCG_RSS] + memcg->stat[MEMCG_CACHE]) << PAGE_SHIFT;
	else
		*ret = (uint64_t)mem_cgroup_usage(memcg) << PAGE_SHIFT;
	if (memcg)
		css_put(memcg);
	return err;
}

int rcl_memcg_show_stat(struct rcl_engine *engine, uint32_t id, FILE *out)
{
	static const struct { const char *name; enum node_stat_item item; } lrus[] = {
		{ "inactive_anon", NR_INACTIVE_ANON }, { "active_anon", NR_ACTIVE_ANON },
		{ "inactive_file", NR_INACTIVE_FILE }, { "active_file", NR_ACTIVE_FILE },
		{ "unevictable", NR_UNEVICTABLE },
	};
	static const enum node_stat_item ws[] = {
		WORKINGSET_REFAULT, WORKINGSET_REFAULT_ANON, WORKINGSET_REFAULT_FILE,
		WORKINGSET_ACTIVATE, WORKINGSET_ACTIVATE_ANON, WORKINGSET_ACTIVATE_FILE,
		WORKINGSET_RESTORE, WORKINGSET_RESTORE_ANON, WORKINGSET_RESTORE_FILE,
		WORKINGSET_NODES, WORKINGSET_NODERECLAIM,
	};
	static const enum vm_event_item ev[] = {
		PGFAULT, PGMAJFAULT, PGSCAN_DIRECT, PGSCAN_KSWAPD, PGSTEAL_DIRECT,
		PGSTEAL_KSWAPD, PGSCAN_ANON, PGSCAN_FILE, PGSTEAL_ANON, PGSTEAL_FILE,
	};
	struct mem_cgroup *memcg;
	size_t i;

	/* Relaxed atomic counters, read by reference to the group: no mm_lock. */
	memcg = css_tryget_online(engine, id);
	if (!memcg)
		return -ENOENT;
	/* Sizes in bytes, events as counts: the layout of cgroup v2 memory.stat. */
	fprintf(out, "anon %llu\nfile %llu\nswap %llu\npagetables %llu\n",
		(unsigned long long)memcg->stat[MEMCG_RSS] << PAGE_SHIFT,
		(unsigned long long)memcg->stat[MEMCG_CACHE] << PAGE_SHIFT,
		(unsigned long long)memcg->stat[MEMCG_SWAP] << PAGE_SHIFT,
		(unsigned long long)memcg->stat[MEMCG_PAGETABLES]);
	for (i = 0; i < sizeof(lrus) / sizeof(lrus[0]); i++)
		fprintf(out, "%s %llu\n", lrus[i].name,
			(unsigned long long)memcg_node_state(memcg, lrus[i].item) << PAGE_SHIFT);
	for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++)
		fprintf(out, "%s %ld\n", node_stat_names[ws[i]], memcg_node_state(memcg, ws[i]));
	for (i = MEMCG_PGSCAN; i < MEMCG_NR_STAT; i++)
		if (i != MEMCG_WORKINGSET_REFAULT && i != MEMCG_WORKINGSET_ACTIVATE &&
		    i != MEMCG_PGFAULT && i != MEMCG_PGMAJFAULT)
			fprintf(out, "%s %ld\n", memcg_stat_names[i], memcg->stat[i]);
	/* Faults are events of the fault path, counted under their vmstat names. */
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		fprintf(out, "%s %lu\n", vm_event_names[ev[i]], memcg->vm_events[ev[i]]);
	css_put(memcg);
	return 0;
}

int rcl_memcg_show_events(struct rcl_engine *engine, uint32_t id, FILE *out)
{
	struct mem_cgroup *memcg;
	int i;

	/* Relaxed atomic counters: no mm_lock. */
	memcg = css_tryget_online(engine, id);
	if (!memcg)
		return -ENOENT;
	for (i = 0; i < MEMCG_NR_MEMORY_EVENTS; i++)
		fprintf(out, "%s %lu\n", memcg_event_names[i], memcg->events[i]);
	css_put(memcg);
	return 0;
}

/*
 * memory.reclaim (spec 19): reclaim until @nr_pages came free, asking for the remainder each
 * time; each call that frees nothing uses up one of 16 retries, the last after an LRU drain.
 */
int rcl_memcg_reclaim(struct rcl_engine *engine, uint32_t id, uint64_t nr_pages,
		      uint64_t *ret_reclaimed)
{
	uint64_t scanned;

	return rcl_memcg_reclaim_scan(engine, id, nr_pages, -1, ret_reclaimed, &scanned);
}

int rcl_memcg_reclaim_scan(struct rcl_engine *engine, uint32_t id, uint64_t nr_pages,
			   int swappiness, uint64_t *ret_reclaimed, uint64_t *ret_scanned)
{
	struct mem_cgroup *memcg;
	unsigned long reclaimed = 0;
	int retries = MAX_RECLAIM_RETRIES, err = 0;
	long pgscan;

	if (swappiness < -1 || swappiness > RCL_MAX_SWAPPINESS)
		return -EINVAL;
	mm_lock(engine);
	memcg = memcg_from_user_id(engine, id);
	if (!memcg) {
		err = -ENOENT;
		goto out;
	}
	css_get(memcg);		/* reclaim may let mm_lock go */
	/* The group's memory.stat pgscan covers its subtree, and only this call runs. */
	pgscan = memcg->stat[MEMCG_PGSCAN];
	while (reclaimed < nr_pages) {
		unsigned long got;

		if (retries == 1)
			lru_add_drain_all(engine);
		got = try_to_free_mem_cgroup_pages_proactive(memcg,
							     (unsigned long)(nr_pages - reclaimed),
							     swappiness >= 0 ? &swappiness : NULL);
		reclaimed += got;
		if (!got && --retries == 0) {
			err = -EAGAIN;
			break;
		}
	}
	*ret_reclaimed = reclaimed;
	*ret_scanned = (uint64_t)(memcg->stat[MEMCG_PGSCAN] - pgscan);
	css_put(memcg);
out:
	mm_unlock(engine);
	return err;
}

int rcl_drop_caches(struct rcl_engine *engine, uint64_t *ret_dropped)
{
	mm_lock(engine);
	*ret_dropped = shrink_all_clean_file(engine);
	memcg_reap_offline(engine);	/* deleted groups whose last pages went */
	mm_unlock(engine);
	return 0;
}

/* ---- tunables ------------------------------------------------------------------------- */

int rcl_tunable_lookup(const char *name, enum rcl_tunable *ret)
{
	int i;

	for (i = 0; name && i < RCL_NR_TUNABLES; i++) {
		if (!strcmp(name, rcl_tunable_names[i])) {
			*ret = (enum rcl_tunable)i;
			return 0;
		}
	}
	return -EINVAL;
}

int rcl_tunable_get(struct rcl_engine *engine, enum rcl_tunable t, uint64_t *ret)
{
	int v;

	/* Each is written atomically under mm_lock: read without it (tunable_read). */
	switch (t) {
	case RCL_TUNABLE_SWAPPINESS: v = engine->swappiness; break;
	case RCL_TUNABLE_MIN_FREE_KBYTES: v = tunable_read(engine->min_free_kbytes); break;
	case RCL_TUNABLE_WATERMARK_SCALE_FACTOR:
		v = tunable_read(engine->watermark_scale_factor);
		break;
	case RCL_TUNABLE_LAPTOP_MODE: v = tunable_read(engine->laptop_mode); break;
	case RCL_TUNABLE_PAGE_CLUSTER: v = tunable_read(engine->page_cluster); break;
	case RCL_TUNABLE_DIRTY_RATIO: v = tunable_read(engine->dirty_ratio); break;
	case RCL_TUNABLE_DIRTY_BACKGROUND_RATIO:
		v = tunable_read(engine->dirty_background_ratio);
		break;
	case RCL_TUNABLE_OOM_POLICY: v = tunable_read(engine->oom_policy); break;
	case RCL_TUNABLE_WORKINGSET: v = tunable_read(engine->workingset_enabled); break;
	default: v = -1;
	}
	if (v < 0)
		return -EINVAL;
	*ret = (uint64_t)v;
	return 0;
}

int rcl_tunable_set(struct rcl_engine *engine, enum rcl_tunable t, uint64_t value)
{
	int err = 0;

	if ((unsigned int)t >= RCL_NR_TUNABLES || value < tunable_lo[t] || value > tunable_hi[t])
		return -EINVAL;
	mm_lock(engine);
	switch (t) {
	case RCL_TUNABLE_SWAPPINESS: engine->swappiness = (int)value; break;
	case RCL_TUNABLE_MIN_FREE_KBYTES:
		err = rcl_set_min_free_kbytes(engine, (unsigned int)value);
		break;
	case RCL_TUNABLE_WATERMARK_SCALE_FACTOR:
		err = rcl_set_watermark_scale_factor(engine, (unsigned int)value);
		break;
	case RCL_TUNABLE_LAPTOP_MODE: tunable_write(engine->laptop_mode, (int)value); break;
	case RCL_TUNABLE_PAGE_CLUSTER: tunable_write(engine->page_cluster, (int)value); break;
	case RCL_TUNABLE_DIRTY_RATIO: tunable_write(engine->dirty_ratio, (int)value); break;
	case RCL_TUNABLE_DIRTY_BACKGROUND_RATIO:
		tunable_write(engine->dirty_background_ratio, (int)value);
		break;
	case RCL_TUNABLE_OOM_POLICY: tunable_write(engine->oom_policy, (int)value); break;
	case RCL_TUNABLE_WORKINGSET:
		tunable_write(engine->workingset_enabled, (int)value);
		break;
	default: err = -EINVAL;
	}
	mm_unlock(engine);
	return err;
}

/* ---- pressure and trace --------------------------------------------------------------- */

int rcl_pressure_listen(struct rcl_engine *engine, uint32_t memcg_id,
			enum rcl_pressure_level level, enum rcl_pressure_mode mode,
			rcl_pressure_fn fn, void *arg)
{
	struct vmpressure_listener *ev;
	struct mem_cgroup *memcg;
	int id;

	if (!fn || (int)level < RCL_PRESSURE_NONE || (int)level >= RCL_PRESSURE_NR_LEVELS ||
	    (unsigned int)mode > RCL_PRESSURE_LOCAL)
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	mm_lock(engine);
	memcg = memcg_from_user_id(engine, memcg_id);
	if (!memcg) {
		mm_unlock(engine);
		free(ev);
		return -ENOENT;
	}
	*ev = (struct vmpressure_listener){ .level = level, .mode = mode, .fn = fn, .arg = arg,
					    .id = id = ++engine->next_listener_id,
					    .next = memcg->vmpressure.listeners };
	memcg->vmpressure.listeners = ev;
	mm_unlock(engine);
	return id;
}

int rcl_pressure_unlisten(struct rcl_engine *engine, uint32_t memcg_id, int listener_id)
{
	struct vmpressure_listener **pp, *ev;
	struct mem_cgroup *memcg;
	int err = -ENOENT;

	mm_lock(engine);
	memcg = memcg_from_user_id(engine, memcg_id);
	for (pp = memcg ? &memcg->vmpressure.listeners : NULL; pp && *pp; pp = &(*pp)->next) {
		if ((*pp)->id == listener_id) {
			ev = *pp;
			*pp = ev->next;
			free(ev);
			err = 0;
			break;
		}
	}
	mm_unlock(engine);
	return err;
}

int rcl_pressure_now(struct rcl_engine *engine, uint32_t memcg_id,
		     enum rcl_pressure_level *ret)
{
	struct mem_cgroup *memcg;

	/* The last window's level is a pair of relaxed atomics: no mm_lock. */
	memcg = css_tryget_online(engine, memcg_id);
	if (!memcg)
		return -ENOENT;
	*ret = vmpressure_level_now(&memcg->vmpressure);
	css_put(memcg);
	return 0;
}

int rcl_psi_read(struct rcl_engine *engine, uint32_t memcg_id, struct rcl_psi *ret)
{
	struct rcl_psi_figures *out[NR_PSI_KINDS] = { &ret->some, &ret->full };
	struct mem_cgroup *memcg;
	struct psi_group g;
	int kind;

	/* The group by reference and its figures under the PSI lock: no mm_lock. */
	memcg = css_tryget_online(engine, memcg_id);
	if (!memcg)
		return -ENOENT;
	psi_group_read(engine, memcg, &g);
	css_put(memcg);
	for (kind = 0; kind < NR_PSI_KINDS; kind++) {
		out[kind]->avg10 = (double)g.avg[kind][0] / PSI_FIXED_1;
		out[kind]->avg60 = (double)g.avg[kind][1] / PSI_FIXED_1;
		out[kind]->avg300 = (double)g.avg[kind][2] / PSI_FIXED_1;
		out[kind]->total_usec = g.total_ns[kind] / 1000;
	}
	return 0;
}

void rcl_trace_set(struct rcl_engine *engine, rcl_trace_fn fn, void *arg)
{
	mm_lock(engine);
	engine->trace_fn = fn;
	engine->trace_arg = arg;
	mm_unlock(engine);
}

/* ---- kswapd in deterministic mode ----------------------------------------------------- */

/* Run kswapd's balance_pgdat for every node woken since the last call; pages reclaimed. */
int rcl_kswapd_run(struct rcl_engine *engine, uint64_t *ret_reclaimed)
{
	unsigned long before = vm_event_read(engine, PGSTEAL_KSWAPD);
	int nid;

	mm_lock(engine);
	for (nid = 0; nid < engine->nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA(engine, nid);
		int order = pgdat->kswapd_order, classzone = pgdat->kswapd_classzone_idx;

		if (!pgdat->kswapd_wanted)
			continue;
		pgdat->kswapd_wanted = false;
		pgdat->kswapd_order = 0;
		pgdat->kswapd_classzone_idx = MAX_NR_ZONES;
		if (classzone == MAX_NR_ZONES)
			classzone = MAX_NR_ZONES - 1;
		trace_event(engine, .type = RCL_TRACE_KSWAPD_WAKE, .nid = nid, .zid = classzone,
			    .order = order);
		balance_pgdat(pgdat, order, classzone);
		if (pgdat_balanced(pgdat, 0, classzone)) {
			clear_bit_pgdat(pgdat, PGDAT_CONGESTED);
			clear_bit_pgdat(pgdat, PGDAT_DIRTY);
			clear_bit_pgdat(pgdat, PGDAT_WRITEBACK);
			trace_event(engine, .type = RCL_TRACE_KSWAPD_SLEEP, .nid = nid);
		}
	}
	mm_unlock(engine);
	if (ret_reclaimed)
		*ret_reclaimed = vm_event_read(engine, PGSTEAL_KSWAPD) - before;
	return 0;
}
