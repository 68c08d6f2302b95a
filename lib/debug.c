/*
 * debug.c - invariant checkers: whole-engine consistency that tests call directly and that
 * --enable-debug builds run on the way out of every region API call.
 *
 * What holds whenever mm_lock is held by the checker (no call in progress but those that let
 * it go, as below):
 *   - every zone's free lists match their counts and NR_FREE_PAGES (zone_check_consistency);
 *   - every LRU list holds exactly the pages its per-zone sizes say, each with PG_lru set and
 *     its flags selecting that very list;
 *   - nothing is left isolated: NR_ISOLATED_ANON and _FILE are each exactly the pages of
 *     reclaimers that let mm_lock go to take mapped pages back (pgdat->isolated_unlocked),
 *     0 when none does;
 *   - under CLOCK-Pro, each clock's own invariants (clockpro_check).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "memcontrol.h"

static int lruvec_check(struct lruvec *lruvec, char *why, size_t len)
{
	int lru, zid;

	for (lru = 0; lru < NR_LRU_LISTS; lru++) {
		unsigned long counted[MAX_NR_ZONES] = { 0 }, n = 0;
		struct page *page;

		page_list_for_each(page, &lruvec->lists[lru]) {
			if (!PageLRU(page) || page_lru(page) != (enum lru_list)lru) {
				snprintf(why, len, "pfn %u on LRU list %d with flags %#x",
					 page_to_pfn(page), lru, page_flags(page));
				return -EUCLEAN;
			}
			counted[page_zonenum(page)]++;
			if (++n > lruvec->pgdat->engine->nr_frames) {
				snprintf(why, len, "LRU list %d loops", lru);
				return -EUCLEAN;
			}
		}
		for (zid = 0; zid < MAX_NR_ZONES; zid++) {
			if (counted[zid] != lruvec->lru_zone_size[zid][lru]) {
				snprintf(why, len, "LRU list %d zone %d: %lu pages, size says %lu", lru,
					 zid, counted[zid], lruvec->lru_zone_size[zid][lru]);
				return -EUCLEAN;
			}
		}
	}
	return clockpro_check(lruvec, why, len);
}

/*
 * NR_ISOLATED_ANON and _FILE of @pgdat against what reclaimers away from mm_lock declared.
 * The stats are read as they are, signed: node_page_state reads a count below zero as 0, and
 * a page put back twice would hide there.
 */
static int isolated_check(struct pglist_data *pgdat, char *why, size_t len)
{
	static const enum node_stat_item item[2] = { NR_ISOLATED_ANON, NR_ISOLATED_FILE };
	int file;

	for (file = 0; file < 2; file++) {
		long isolated = atomic_load(&pgdat->vm_stat[item[file]]);
		long away = atomic_load(&pgdat->isolated_unlocked[file]);

		if (isolated == away)
			continue;
		snprintf(why, len, "node %d: %ld %s pages isolated, %ld declared by reclaimers "
			 "taking mapped pages back: %s", pgdat->node_id, isolated,
			 file ? "file" : "anon", away,
			 isolated > away ? "the rest left isolated" : "put back more than taken");
		return -EUCLEAN;
	}
	return 0;
}

/* 0, or -EUCLEAN with the first broken invariant in @why. Caller holds mm_lock. */
int engine_check_consistency(struct rcl_engine *engine, char *why, size_t len)
{
	struct mem_cgroup *memcg;
	struct zone *zone;
	int nid, zid, ret;

	for_each_zone(zone, engine, nid, zid) {
		if (populated_zone(zone) && (ret = zone_check_consistency(zone, why, len)))
			return ret;
	}
	for (nid = 0; nid < engine->nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA(engine, nid);

		if ((ret = isolated_check(pgdat, why, len)))
			return ret;
		memcg = NULL;
		while ((memcg = mem_cgroup_iter(engine->root_mem_cgroup, memcg, NULL))) {
			if ((ret = lruvec_check(mem_cgroup_lruvec(pgdat, memcg), why, len))) {
				mem_cgroup_iter_break(engine->root_mem_cgroup, memcg);
				return ret;
			}
		}
	}
	return 0;
}

/* --enable-debug: a broken invariant is a bug; stop right where it shows. */
void engine_debug_check(struct rcl_engine *engine)
{
#ifdef RCL_DEBUG
	char why[200];

	if (engine_check_consistency(engine, why, sizeof(why))) {
		fprintf(stderr, "reclaimd engine: invariant broken: %s\n", why);
		abort();
	}
#else
	(void)engine;
#endif
}

/* A page in a state no path may leave it in: name it and stop (VM_BUG_ON_PAGE). */
void vm_bug(const char *why, const char *file, int line)
{
	fprintf(stderr, "reclaimd engine: %s (%s:%d)\n", why, file, line);
	abort();
}

void bad_page_state(const struct page *page, const char *why)
{
	fprintf(stderr, "reclaimd engine: page %s: pfn %u flags %#x count %d mapcount %d\n", why,
		page_to_pfn(page), page_flags(page), page_ref_count(page), page_mapcount(page));
	abort();
}
