/*
 * arena.c - the memory the engine manages: one mmap of page frames, the frame descriptors in
 * their own window, and the split into nodes and zones (the kernel's boot-time memory init).
 *
 * Each node gets an equal share of the arena, rounded down to whole max-order blocks (4 MiB) so
 * that every free block can merge back to order 10. Node 0 may give its low frames to ZONE_DMA32.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memcontrol.h"
#include "vmscan.h"

void rcl_config_defaults(struct rcl_config *config)
{
	memset(config, 0, sizeof(*config));
	config->arena_bytes = RCL_DEFAULT_ARENA;
	config->nr_nodes = 1;
	config->watermark_scale_factor = 10;
}

const char *const rcl_reclaim_policy_names[RCL_NR_RECLAIM_POLICIES] = {
	[RCL_RECLAIM_TWO_LIST] = "two-list",
	[RCL_RECLAIM_CLOCK_PRO] = "clock-pro",
};

int rcl_reclaim_policy_lookup(const char *name, enum rcl_reclaim_policy *ret)
{
	int i;

	for (i = 0; i < RCL_NR_RECLAIM_POLICIES; i++) {
		if (name && strcmp(name, rcl_reclaim_policy_names[i]) == 0) {
			*ret = (enum rcl_reclaim_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int config_validate(const struct rcl_config *c)
{
	uint64_t frames = c->arena_bytes / PAGE_SIZE;

	if (c->nr_nodes < 1 || c->nr_nodes > MAX_NUMNODES)
		return -EINVAL;
	if (c->watermark_scale_factor < 1 || c->watermark_scale_factor > 1000)
		return -EINVAL;
	/* Every node needs at least one max-order block. */
	if (frames / c->nr_nodes < MAX_ORDER_NR_PAGES || frames > MEM_MAP_MAX_FRAMES)
		return -EINVAL;
	if (c->hugetlb && c->thp)
		return -EINVAL;
	if ((unsigned int)c->reclaim_policy >= RCL_NR_RECLAIM_POLICIES)
		return -EINVAL;
	return 0;
}

/* The arena itself: frame contents, optionally huge-page backed and locked. */
static int arena_map(struct rcl_engine *engine)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *p;

	if (engine->config.hugetlb)
		flags |= MAP_HUGETLB;
	p = mmap(NULL, engine->arena_bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	engine->arena = p;
	if (engine->config.thp && madvise(p, engine->arena_bytes, MADV_HUGEPAGE) < 0)
		return -errno;
	if (engine->config.mlock && mlock(p, engine->arena_bytes) < 0)
		return -errno;
	return 0;
}

/*
 * The mem_map window: reserve twice the alignment, keep the aligned half, and make the header
 * plus the frame array read-write. Only that part is ever touched, so the rest costs nothing.
 */
static int mem_map_map(struct rcl_engine *engine)
{
	size_t reserve = 2 * MEM_MAP_ALIGN;
	uintptr_t base, aligned;
	struct mem_map_header *hdr;
	char *p;

	p = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	base = (uintptr_t)p;
	aligned = (base + MEM_MAP_ALIGN - 1) & ~(uintptr_t)(MEM_MAP_ALIGN - 1);
	if (aligned > base)
		munmap(p, aligned - base);
	if (base + reserve > aligned + MEM_MAP_ALIGN)
		munmap((void *)(aligned + MEM_MAP_ALIGN), base + reserve - aligned - MEM_MAP_ALIGN);

	engine->mem_map_window = (void *)aligned;
	engine->mem_map_bytes = MEM_MAP_OFFSET + engine->nr_frames * sizeof(struct page);
	engine->mem_map_bytes = (engine->mem_map_bytes + getpagesize() - 1) &
				~((size_t)getpagesize() - 1);
	if (mprotect(engine->mem_map_window, engine->mem_map_bytes, PROT_READ | PROT_WRITE) < 0)
		return -errno;

	hdr = engine->mem_map_window;
	hdr->engine = engine;
	hdr->nr_frames = (uint32_t)engine->nr_frames;
	engine->mem_map = (struct page *)((char *)engine->mem_map_window + MEM_MAP_OFFSET);
	return 0;
}

static int zone_setup(struct rcl_engine *engine, struct pglist_data *pgdat, int zid,
		      unsigned long start_pfn, unsigned long nr_pages)
{
	struct zone *zone = &pgdat->node_zones[zid];

	zone->zone_pgdat = pgdat;
	zone->mem_map = engine->mem_map;
	zone->zone_idx = zid;
	zone->global_id = pgdat->node_id * MAX_NR_ZONES + zid;
	zone->name = zone_names[zid];
	zone->zone_start_pfn = start_pfn;
	zone->spanned_pages = zone->present_pages = zone->managed_pages = nr_pages;
	spin_lock_init(&zone->lock);
	zone_init_free_lists(zone);
	if (!nr_pages)
		return 0;
	zone->pageblock_mt = calloc((nr_pages + pageblock_nr_pages - 1) >> pageblock_order, 1);
	if (!zone->pageblock_mt)
		return -ENOMEM;
	memmap_init_zone(zone);
	free_area_init_zone(zone);
	return 0;
}

static int node_setup(struct rcl_engine *engine, int nid, unsigned long start_pfn,
		      unsigned long nr_pages, unsigned long dma32_pages)
{
	struct pglist_data *pgdat = calloc(1, sizeof(*pgdat));
	int ret;

	if (!pgdat)
		return -ENOMEM;
	engine->node_data[nid] = pgdat;
	pgdat->node_id = nid;
	pgdat->engine = engine;
	pgdat->node_start_pfn = start_pfn;
	pgdat->node_spanned_pages = pgdat->node_present_pages = nr_pages;

	ret = zone_setup(engine, pgdat, ZONE_DMA32, start_pfn, dma32_pages);
	if (!ret)
		ret = zone_setup(engine, pgdat, ZONE_NORMAL, start_pfn + dma32_pages,
				 nr_pages - dma32_pages);
	pgdat->nr_zones = populated_zone(&pgdat->node_zones[ZONE_NORMAL]) ? ZONE_NORMAL + 1 :
										 ZONE_DMA32 + 1;
	return ret;
}

/* Tunables at their kernel defaults (spec section 1). */
static void tunables_init(struct rcl_engine *engine)
{
	engine->swappiness = 60;
	engine->laptop_mode = 0;
	engine->page_cluster = 3;
	engine->dirty_ratio = 20;
	engine->dirty_background_ratio = 10;
	engine->oom_policy = RCL_OOM_FAIL;
	engine->workingset_enabled = 1;
}

/*
 * Whether both rings may pin the arena: the kernel faults the whole arena in and pins it
 * before it charges RLIMIT_MEMLOCK (once per ring), so a registration bound to be refused
 * must not be tried. CAP_IPC_LOCK is not charged.
 */
static const char *arena_pin_refused(const struct rcl_engine *engine)
{
	struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[2];
	struct rlimit rl;

	if (syscall(SYS_capget, &head, caps) == 0 &&
	    (caps[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32))))
		return NULL;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return "RLIMIT_MEMLOCK unknown";
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 2 < engine->arena_bytes)
		return "RLIMIT_MEMLOCK below twice the arena, no CAP_IPC_LOCK";
	return NULL;
}

/* Swap and file I/O to and from frames then pins no page per request (io.c). Where it cannot
 * be done, the requests stay vectored and the layout says why. */
static void arena_register_io(struct rcl_engine *engine)
{
	int err;

	engine->io_vectored_why = arena_pin_refused(engine);
	if (engine->io_vectored_why)
		return;
	err = io_engine_register(engine->file_io, engine->arena, engine->arena_bytes);
	if (!err && engine->swap)
		err = io_engine_register(engine->swap->io, engine->arena, engine->arena_bytes);
	if (err == -EOPNOTSUPP)
		engine->io_vectored_why = "no vectored fixed-buffer I/O here (io_uring, Linux 6.15)";
	else if (err)
		engine->io_vectored_why = "the kernel refused to register the arena";
}

/* The memory model above the allocator: memcgs, files, swap, the default thread context. */
static int mm_init(struct rcl_engine *engine)
{
	const struct rcl_config *c = &engine->config;
	int nid, ret;
	size_t i;

	engine->data_dir_fd = -1;
	tunables_init(engine);
	pthread_mutex_init(&engine->mm_lock, NULL);
	spin_lock_init(&engine->region_table_lock);
	spin_lock_init(&engine->shadow_lru_lock);
	spin_lock_init(&engine->memcg_tree_lock);
	pthread_mutex_init(&engine->deferred_lock, NULL);
	for (i = 0; i < sizeof(engine->page_wait) / sizeof(engine->page_wait[0]); i++)
		init_waitqueue_head(&engine->page_wait[i]);
	init_waitqueue_head(&engine->flusher_wait);
	init_waitqueue_head(&engine->congestion_wait);
	init_waitqueue_head(&engine->dirty_wait);
	init_waitqueue_head(&engine->swapin_submitted);
	for (nid = 0; nid < engine->nr_nodes; nid++) {
		NODE_DATA(engine, nid)->kswapd_classzone_idx = MAX_NR_ZONES;
		init_waitqueue_head(&NODE_DATA(engine, nid)->kswapd_wait);
		init_waitqueue_head(&NODE_DATA(engine, nid)->pfmemalloc_wait);
		pthread_mutex_init(&NODE_DATA(engine, nid)->lru_lock, NULL);
	}
	engine->default_task = calloc(1, sizeof(*engine->default_task));
	if (!engine->default_task)
		return -ENOMEM;
	engine->default_task->engine = engine;
	engine->default_task->swap_cluster.index = UINT32_MAX;
	spin_lock_init(&engine->default_task->lru_pvecs_lock);
	engine->data_dir_fd = open(c->data_dir ? c->data_dir : ".", O_PATH | O_DIRECTORY |
				   O_CLOEXEC);
	if (engine->data_dir_fd < 0)
		return -errno;
	ret = memcg_init(engine);
	if (ret)
		return ret;
	workingset_init(engine);
	/* File writeback goes through io_uring where swap does, so that no write is performed
	 * in the submitting thread, under the model lock. */
	ret = -ENOSYS;
	if (c->swap_async)
		ret = io_engine_new(IO_BACKEND_URING, 64, &engine->file_io);
	if (ret)
		ret = io_engine_new(IO_BACKEND_SYNC, 64, &engine->file_io);
	if (ret)
		return ret;
	if (c->swap_path && c->swap_bytes) {
		ret = -ENOSYS;
		if (c->swap_async)
			ret = swapon(engine, c->swap_path, c->swap_bytes, c->swap_buffered,
				     IO_BACKEND_URING);
		if (ret == -ENOSYS)
			ret = swapon(engine, c->swap_path, c->swap_bytes, c->swap_buffered,
				     IO_BACKEND_SYNC);
		if (ret)
			return ret;
		engine->swap_cgroup = calloc(engine->swap->max, sizeof(*engine->swap_cgroup));
		if (!engine->swap_cgroup)
			return -ENOMEM;
	}
	arena_register_io(engine);
	return 0;
}

static void engine_waitqueues_destroy(struct rcl_engine *engine)
{
	size_t i;
	int nid;

	for (i = 0; i < sizeof(engine->page_wait) / sizeof(engine->page_wait[0]); i++)
		destroy_waitqueue_head(&engine->page_wait[i]);
	destroy_waitqueue_head(&engine->flusher_wait);
	destroy_waitqueue_head(&engine->congestion_wait);
	destroy_waitqueue_head(&engine->dirty_wait);
	destroy_waitqueue_head(&engine->swapin_submitted);
	for (nid = 0; nid < engine->nr_nodes; nid++) {
		destroy_waitqueue_head(&NODE_DATA(engine, nid)->kswapd_wait);
		destroy_waitqueue_head(&NODE_DATA(engine, nid)->pfmemalloc_wait);
	}
}

/* Free every region and file (writing dirty pages back), then the model's structures. */
static void mm_exit(struct rcl_engine *engine)
{
	uint32_t id;

	if (!engine->default_task)
		return;
	rcl_engine_stop_threads(engine);
	mm_lock(engine);
	for (id = 1; id < engine->nr_region_slots; id++)
		if (engine->regions[id])
			region_destroy(engine, engine->regions[id], false);
	mapped_flush_hints(engine);	/* regions that waited for a scan to send theirs */
	while (engine->files)
		file_put_final(engine, engine->files);
	lru_add_drain_all(engine);
	mm_unlock(engine);
	if (engine->swap)
		swapoff(engine);
	free(engine->swap_cgroup);
	if (engine->file_io)
		io_engine_free(engine->file_io);
	memcg_exit(engine);
	if (engine->data_dir_fd >= 0)
		close(engine->data_dir_fd);
	free(engine->regions);
	free(engine->region_gen);
	free(engine->mappings);
	free(engine->default_task);
	free(engine->deferred);
	pthread_mutex_destroy(&engine->deferred_lock);
	pthread_mutex_destroy(&engine->mm_lock);
	engine_waitqueues_destroy(engine);
}

int rcl_engine_new(const struct rcl_config *config, struct rcl_engine **ret_engine)
{
	unsigned long per_node, dma32;
	struct rcl_engine *engine;
	int nid, ret;

	ret = config_validate(config);
	if (ret)
		return ret;
	engine = calloc(1, sizeof(*engine));
	if (!engine)
		return -ENOMEM;
	engine->config = *config;
	pthread_mutex_init(&engine->tasks_lock, NULL);
	pthread_mutex_init(&engine->psi.lock, NULL);

	per_node = (unsigned long)(config->arena_bytes / PAGE_SIZE / config->nr_nodes) &
		   ~(MAX_ORDER_NR_PAGES - 1);
	dma32 = (unsigned long)(config->dma32_bytes / PAGE_SIZE) & ~(MAX_ORDER_NR_PAGES - 1);
	ret = -EINVAL;
	if (dma32 >= per_node)		/* node 0 must keep a Normal zone */
		goto fail;
	engine->nr_nodes = (int)config->nr_nodes;
	engine->nr_frames = per_node * config->nr_nodes;
	engine->arena_bytes = engine->nr_frames * PAGE_SIZE;

	ret = arena_map(engine);
	if (ret)
		goto fail;
	ret = mem_map_map(engine);
	if (ret)
		goto fail;
	for (nid = 0; nid < engine->nr_nodes; nid++) {
		ret = node_setup(engine, nid, nid * per_node, per_node, nid == 0 ? dma32 : 0);
		if (ret)
			goto fail;
	}
	build_all_zonelists(engine);

	engine->watermark_scale_factor = (int)config->watermark_scale_factor;
	engine->lowmem_reserve_ratio[ZONE_DMA32] = 256;
	engine->lowmem_reserve_ratio[ZONE_NORMAL] = 32;
	engine->user_min_free_kbytes = (int)config->min_free_kbytes;
	init_per_zone_wmark_min(engine);

	if (config->reclaim_policy == RCL_RECLAIM_CLOCK_PRO) {
		engine->clock_pos = calloc(engine->nr_frames, sizeof(*engine->clock_pos));
		if (!engine->clock_pos) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	ret = mm_init(engine);
	if (ret)
		goto fail;

	*ret_engine = engine;
	return 0;
fail:
	rcl_engine_free(engine);
	return ret;
}

void rcl_engine_free(struct rcl_engine *engine)
{
	int nid, zid;

	if (!engine)
		return;
	mm_exit(engine);
	/* Threads still attached lose their context; their pages go with the arena. */
	while (engine->tasks) {
		struct task_struct *task = engine->tasks;

		engine->tasks = task->next;
		if (current_task == task)
			current_task = NULL;
		free(task);
	}
	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		struct pglist_data *pgdat = engine->node_data[nid];

		if (!pgdat)
			continue;
		for (zid = 0; zid < MAX_NR_ZONES; zid++)
			free(pgdat->node_zones[zid].pageblock_mt);
		free(pgdat);
	}
	if (engine->mem_map_window)
		munmap(engine->mem_map_window, MEM_MAP_ALIGN);
	if (engine->arena)
		munmap(engine->arena, engine->arena_bytes);
	pthread_mutex_destroy(&engine->tasks_lock);
	free(engine->clock_pos);
	free(engine);
}

static void layout_show(struct rcl_engine *engine, FILE *out)
{
	struct zone *zone;
	int nid, zid;

	fprintf(out, "arena: %zu bytes, %lu frames of %lu bytes, %d node%s, %s%s\n",
		engine->arena_bytes, engine->nr_frames, PAGE_SIZE, engine->nr_nodes,
		engine->nr_nodes == 1 ? "" : "s",
		engine->config.hugetlb ? "hugetlb" : engine->config.thp ? "thp" : "4k pages",
		engine->config.mlock ? ", mlocked" : "");
	fprintf(out, "swap and file I/O: %s%s%s\n",
		engine->io_vectored_why ? "vectored (" : "from the arena registered as fixed buffers",
		engine->io_vectored_why ? engine->io_vectored_why : "",
		engine->io_vectored_why ? ")" : "");
	fprintf(out, "mem_map: %zu bytes, %zu bytes per frame\n",
		engine->nr_frames * sizeof(struct page), sizeof(struct page));
	fprintf(out, "min_free_kbytes: %d, watermark_scale_factor: %d, totalreserve_pages: %lu\n",
		engine->min_free_kbytes, engine->watermark_scale_factor,
		engine->totalreserve_pages);
	for_each_zone(zone, engine, nid, zid) {
		if (!populated_zone(zone))
			continue;
		fprintf(out, "node %d zone %-6s pfn %lu-%lu managed %lu min %lu low %lu high %lu "
			"pcp batch %d high %d\n", nid, zone->name, zone->zone_start_pfn,
			zone->zone_start_pfn + zone->spanned_pages - 1, zone->managed_pages,
			min_wmark_pages(zone), low_wmark_pages(zone), high_wmark_pages(zone),
			zone->pcp_batch, zone->pcp_high);
	}
}

int rcl_engine_show(struct rcl_engine *engine, enum rcl_view view, FILE *out)
{
	switch (view) {
	case RCL_VIEW_LAYOUT:
		layout_show(engine, out);
		return 0;
	case RCL_VIEW_VMSTAT:
		vmstat_show(engine, out);
		return 0;
	case RCL_VIEW_ZONEINFO:
		zoneinfo_show(engine, out);
		return 0;
	case RCL_VIEW_BUDDYINFO:
		buddyinfo_show(engine, out);
		return 0;
	case RCL_VIEW_MEMINFO:
		meminfo_show(engine, out);
		return 0;
	}
	return -EINVAL;
}

void rcl_engine_info(struct rcl_engine *engine, struct rcl_engine_info *ret)
{
	ret->page_size = PAGE_SIZE;
	ret->arena_bytes = engine->arena_bytes;
	ret->nr_frames = engine->nr_frames;
	ret->nr_nodes = (uint32_t)engine->nr_nodes;
	ret->free_pages = global_zone_page_state(engine, NR_FREE_PAGES);
	ret->min_free_kbytes = (uint64_t)tunable_read(engine->min_free_kbytes);
	ret->watermark_scale_factor = (uint32_t)tunable_read(engine->watermark_scale_factor);
	ret->reclaim_policy = engine->config.reclaim_policy;
	ret->lock_acquired = atomic_load_explicit(&engine->mm_lock_acquired, memory_order_relaxed);
	ret->lock_contended = atomic_load_explicit(&engine->mm_lock_contended,
						   memory_order_relaxed);
	ret->lock_wait_ns = atomic_load_explicit(&engine->mm_lock_wait_ns, memory_order_relaxed);
}
