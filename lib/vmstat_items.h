/*
 * vmstat_items.h - the counter lists, as X-macros (see vmstat.h for how they are used).
 */
#ifndef RCL_VMSTAT_ITEMS_H
#define RCL_VMSTAT_ITEMS_H

#define ZONE_STAT_ITEMS(X)						\
	X(NR_FREE_PAGES, "nr_free_pages")				\
	X(NR_ZONE_INACTIVE_ANON, "nr_zone_inactive_anon")		\
	X(NR_ZONE_ACTIVE_ANON, "nr_zone_active_anon")			\
	X(NR_ZONE_INACTIVE_FILE, "nr_zone_inactive_file")		\
	X(NR_ZONE_ACTIVE_FILE, "nr_zone_active_file")			\
	X(NR_ZONE_UNEVICTABLE, "nr_zone_unevictable")			\
	X(NR_ZONE_WRITE_PENDING, "nr_zone_write_pending")		\
	X(NR_MLOCK, "nr_mlock")						\
	X(NR_RAW_PAGES, "nr_raw_pages")

#define NODE_STAT_ITEMS(X)						\
	X(NR_INACTIVE_ANON, "nr_inactive_anon")				\
	X(NR_ACTIVE_ANON, "nr_active_anon")				\
	X(NR_INACTIVE_FILE, "nr_inactive_file")				\
	X(NR_ACTIVE_FILE, "nr_active_file")				\
	X(NR_UNEVICTABLE, "nr_unevictable")				\
	X(NR_ISOLATED_ANON, "nr_isolated_anon")				\
	X(NR_ISOLATED_FILE, "nr_isolated_file")				\
	X(WORKINGSET_NODES, "workingset_nodes")				\
	X(WORKINGSET_REFAULT, "workingset_refault")			\
	X(WORKINGSET_REFAULT_ANON, "workingset_refault_anon")		\
	X(WORKINGSET_REFAULT_FILE, "workingset_refault_file")		\
	X(WORKINGSET_ACTIVATE, "workingset_activate")			\
	X(WORKINGSET_ACTIVATE_ANON, "workingset_activate_anon")		\
	X(WORKINGSET_ACTIVATE_FILE, "workingset_activate_file")		\
	X(WORKINGSET_RESTORE, "workingset_restore")			\
	X(WORKINGSET_RESTORE_ANON, "workingset_restore_anon")		\
	X(WORKINGSET_RESTORE_FILE, "workingset_restore_file")		\
	X(WORKINGSET_NODERECLAIM, "workingset_nodereclaim")		\
	X(NR_ANON_MAPPED, "nr_anon_pages")				\
	X(NR_FILE_MAPPED, "nr_mapped")					\
	X(NR_FILE_PAGES, "nr_file_pages")				\
	X(NR_FILE_DIRTY, "nr_dirty")					\
	X(NR_WRITEBACK, "nr_writeback")					\
	X(NR_SHMEM, "nr_shmem")						\
	X(NR_SWAPCACHE, "nr_swapcached")				\
	X(NR_VMSCAN_WRITE, "nr_vmscan_write")				\
	X(NR_VMSCAN_IMMEDIATE, "nr_vmscan_immediate_reclaim")		\
	X(NR_DIRTIED, "nr_dirtied")					\
	X(NR_WRITTEN, "nr_written")

/* Events counted per zone type get one item per zone, like the kernel's FOR_ALL_ZONES. */
#define FOR_ALL_ZONES(X, item, name)					\
	X(item##_DMA32, name "_dma32")					\
	X(item##_NORMAL, name "_normal")

#define VM_EVENT_ITEMS(X)						\
	X(PGPGIN, "pgpgin")						\
	X(PGPGOUT, "pgpgout")						\
	FOR_ALL_ZONES(X, PGALLOC, "pgalloc")				\
	FOR_ALL_ZONES(X, ALLOCSTALL, "allocstall")			\
	FOR_ALL_ZONES(X, PGSCAN_SKIP, "pgscan_skip")			\
	X(PGFREE, "pgfree")						\
	X(PGACTIVATE, "pgactivate")					\
	X(PGDEACTIVATE, "pgdeactivate")					\
	X(PGLAZYFREE, "pglazyfree")					\
	X(PGFAULT, "pgfault")						\
	X(PGMAJFAULT, "pgmajfault")					\
	X(PGLAZYFREED, "pglazyfreed")					\
	X(PGREFILL, "pgrefill")						\
	X(PGSTEAL_KSWAPD, "pgsteal_kswapd")				\
	X(PGSTEAL_DIRECT, "pgsteal_direct")				\
	X(PGSCAN_KSWAPD, "pgscan_kswapd")				\
	X(PGSCAN_DIRECT, "pgscan_direct")				\
	X(PGSCAN_DIRECT_THROTTLE, "pgscan_direct_throttle")		\
	X(PGSCAN_ANON, "pgscan_anon")					\
	X(PGSCAN_FILE, "pgscan_file")					\
	X(PGSTEAL_ANON, "pgsteal_anon")					\
	X(PGSTEAL_FILE, "pgsteal_file")					\
	X(PSWPIN, "pswpin")						\
	X(PSWPOUT, "pswpout")						\
	X(PAGEOUTRUN, "pageoutrun")					\
	X(PGROTATED, "pgrotated")					\
	X(DROP_PAGECACHE, "drop_pagecache")				\
	X(KSWAPD_LOW_WMARK_HIT_QUICKLY, "kswapd_low_wmark_hit_quickly")	\
	X(KSWAPD_HIGH_WMARK_HIT_QUICKLY, "kswapd_high_wmark_hit_quickly") \
	X(OOM_KILL, "oom_kill")						\
	X(UNEVICTABLE_PGCULLED, "unevictable_pgs_culled")		\
	X(UNEVICTABLE_PGMLOCKED, "unevictable_pgs_mlocked")		\
	X(UNEVICTABLE_PGMUNLOCKED, "unevictable_pgs_munlocked")		\
	X(UNEVICTABLE_PGCLEARED, "unevictable_pgs_cleared")		\
	X(THP_SWPOUT, "thp_swpout")					\
	X(THP_SWPOUT_FALLBACK, "thp_swpout_fallback")		\
	X(MAPPED_HINT_UPDATES, "mapped_hint_updates")			\
	X(MAPPED_HINT_FAULTS, "mapped_hint_faults")			\
	X(MAPPED_HINT_CONFIRMS, "mapped_hint_confirms")			\
	X(MAPPED_HINT_GRACES, "mapped_hint_graces")			\
	X(MAPPED_TAKE_BACK_PAGES, "mapped_take_back_pages")		\
	X(MAPPED_TAKE_BACK_CALLS, "mapped_take_back_calls")		\
	X(PSWPOUT_LOCKED, "pswpout_locked")				\
	X(FILE_WRITEOUT_LOCKED, "file_writeout_locked")

#define VMSTAT_ENUM(item, name) item,

enum zone_stat_item { ZONE_STAT_ITEMS(VMSTAT_ENUM) NR_VM_ZONE_STAT_ITEMS };
enum node_stat_item { NODE_STAT_ITEMS(VMSTAT_ENUM) NR_VM_NODE_STAT_ITEMS };
enum vm_event_item { VM_EVENT_ITEMS(VMSTAT_ENUM) NR_VM_EVENT_ITEMS };

#define VMSTAT_NAME(item, name) [item] = name,

#endif /* RCL_VMSTAT_ITEMS_H */
