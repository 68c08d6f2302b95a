/*
 * check_memcg - memory cgroup limits and pressure signals as the kernel's (spec 15, 19-21):
 * memory.high reclaimed on the way out of the charging call, memory.low holding until the
 * memcg_low_reclaim retry, the memcg OOM killer, vmpressure's current level, and counters.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"
#include "memcontrol.h"
#include "vmscan.h"

#define PG 4096ULL

static inline void lock(struct rcl_engine *e) { mm_lock(e); }
static inline void unlock(struct rcl_engine *e) { mm_unlock(e); }

static uint32_t mkcg(struct rcl_engine *e, uint32_t parent, const char *name)
{
	uint32_t id;

	ck_assert_int_eq(rcl_memcg_create(e, parent, name, &id), 0);
	return id;
}

static uint32_t mkregion(struct rcl_engine *e, uint32_t memcg_id, uint64_t n)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = n,
					 .memcg_id = memcg_id };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(e, &spec, &id), 0);
	return id;
}

static uint64_t usage_pages(struct rcl_engine *e, uint32_t id)
{
	uint64_t bytes;

	ck_assert_int_eq(rcl_memcg_usage(e, id, &bytes), 0);
	return bytes / PG;
}

/* fixture_setup with swap writes through io_uring, in flight while reclaim goes on. */
static void fixture_setup_async(struct fixture *f, uint64_t arena_mib, uint64_t swap_mib)
{
	fixture_setup_io(f, arena_mib, swap_mib, 1, true);
}

/* ---- memory.high (spec 19) ---------------------------------------------------------------- */

/* One large charging call over memory.high: back under high when the call returns. */
START_TEST(test_high_reclaimed_on_return)
{
	struct fixture f;
	uint32_t H, r;

	fixture_setup(&f, 64, 256, 1);
	H = mkcg(f.e, RCL_MEMCG_ROOT, "h");
	ck_assert_int_eq(rcl_memcg_set(f.e, H, RCL_MEMCG_HIGH, 16 * MiB), 0);
	r = mkregion(f.e, H, 16384);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 6144, true), 0);
	/* 6144 pages charged, high 4096: the overage went to swap before the call returned. */
	ck_assert_uint_le(usage_pages(f.e, H), 4096);
	ck_assert_uint_ge(fixture_memcg_value(f.e, H, true, "high"), 1);
	ck_assert_uint_ge(fixture_memcg_value(f.e, H, false, "pgsteal"), 2048);
	ck_assert_uint_ge(fixture_memcg_value(f.e, H, false, "swap"), 2048);
	fixture_teardown(&f);
}
END_TEST

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The throttle's length: the square of the relative overage, scaled by the charge, capped. */
START_TEST(test_high_delay_formula)
{
	/* 6.25 % over for one batch of 32 pages: 64 s * (1/16)^2 = 250 ms. */
	ck_assert_uint_eq(mem_cgroup_high_delay(1ULL << 16, 32), 250000000ULL);
	/* The same for 16 pages: half. */
	ck_assert_uint_eq(mem_cgroup_high_delay(1ULL << 16, 16), 125000000ULL);
	/* One page: 7.8 ms, not worth a sleep. */
	ck_assert_uint_eq(mem_cgroup_high_delay(1ULL << 16, 1), 0);
	/* 100 % over: 64 s, capped at 2 s; far beyond, still 2 s (no overflow). */
	ck_assert_uint_eq(mem_cgroup_high_delay(1ULL << 20, 32), 2000000000ULL);
	ck_assert_uint_eq(mem_cgroup_high_delay(1ULL << 40, 1ULL << 20), 2000000000ULL);
	ck_assert_uint_eq(mem_cgroup_high_delay(0, 1000), 0);
}
END_TEST

/*
 * Nothing reclaimable (no swap, anonymous pages only): the call that went 30 pages above a
 * high of 1024 stays above it and is throttled for 64 s * (30/1024)^2 * 30/32 = 51 ms, seen
 * in its latency and as a stall of the group: "full" too, as the throttled thread is the only
 * task (test_psi_full_needs_every_task_stalled has one that is not).
 */
START_TEST(test_high_throttles_when_reclaim_cannot)
{
	struct fixture f;
	struct rcl_psi before, after;
	uint64_t expect_ns, t0, took_us;
	uint32_t H, r;

	fixture_setup(&f, 16, 0, 1);
	H = mkcg(f.e, RCL_MEMCG_ROOT, "h");
	ck_assert_int_eq(rcl_memcg_set(f.e, H, RCL_MEMCG_HIGH, 1024 * PG), 0);
	r = mkregion(f.e, H, 2048);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 1024, true), 0);	/* at high: no delay */
	ck_assert_int_eq(rcl_psi_read(f.e, H, &before), 0);
	expect_ns = mem_cgroup_high_delay((30ULL << 20) / 1024, 30);
	ck_assert_uint_gt(expect_ns, 50000000ULL);
	t0 = now_us();
	ck_assert_int_eq(rcl_region_touch(f.e, r, 1024, 30, true), 0);
	took_us = now_us() - t0;
	ck_assert_uint_ge(took_us, expect_ns / 1000);
	ck_assert_uint_eq(usage_pages(f.e, H), 1054);
	ck_assert_int_eq(rcl_psi_read(f.e, H, &after), 0);
	ck_assert_uint_ge(after.some.total_usec - before.some.total_usec, expect_ns / 1000);
	ck_assert_uint_ge(after.full.total_usec - before.full.total_usec, expect_ns / 1000);
	fixture_teardown(&f);
}
END_TEST

/* A call that charged nothing above high is not throttled, however far above high it is. */
START_TEST(test_high_no_throttle_without_charge)
{
	struct fixture f;
	uint32_t H, r;
	uint64_t t0;
	char buf[64];

	fixture_setup(&f, 16, 0, 1);
	H = mkcg(f.e, RCL_MEMCG_ROOT, "h");
	r = mkregion(f.e, H, 2048);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 2048, true), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, H, RCL_MEMCG_HIGH, 1024 * PG), 0);
	t0 = now_us();
	ck_assert_int_eq(rcl_region_read(f.e, r, 0, buf, sizeof(buf)), 0);
	ck_assert_uint_lt(now_us() - t0, 1000000);
	fixture_teardown(&f);
}
END_TEST

/* ---- memory.low (spec 5.4 step 7, 6.1) ------------------------------------------------------ */

/*
 * A (24M used, low 32M) and an unprotected sibling B filling 128M of a 64M arena: global
 * reclaim takes B's pages; A is not scanned and has no low event while B has reclaimable
 * pages.
 */
START_TEST(test_low_holds_while_sibling_reclaimable)
{
	struct fixture f;
	uint32_t A, B, ra, rb;

	rcl_skip_one_thread();

	if (_i)
		fixture_setup_async(&f, 64, 256);
	else
		fixture_setup(&f, 64, 256, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	B = mkcg(f.e, RCL_MEMCG_ROOT, "B");
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_LOW, 32 * MiB), 0);
	ra = mkregion(f.e, A, 6144);
	ck_assert_int_eq(rcl_region_touch(f.e, ra, 0, 6144, true), 0);
	rb = mkregion(f.e, B, 32768);
	ck_assert_int_eq(rcl_region_touch(f.e, rb, 0, 32768, true), 0);
	ck_assert_uint_eq(usage_pages(f.e, A), 6144);
	ck_assert_uint_eq(fixture_memcg_value(f.e, A, false, "pgscan"), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, A, false, "pgdeactivate"), 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, A, true, "low"), 0);
	ck_assert_uint_ge(fixture_memcg_value(f.e, B, false, "swap"), 16384 * PG);
	fixture_teardown(&f);
}
END_TEST

/*
 * The decision itself: with nothing reclaimable elsewhere (no swap, anonymous pages) and
 * nothing in flight, a priority loop that reclaimed nothing is followed by the
 * memcg_low_reclaim pass. With writes in flight it is followed by a wait for them first, and
 * if memory is back above the low watermark then (others freed it meanwhile) that counts as
 * progress and A keeps its protection. An in-flight write is stood in for by the node's
 * writeback count.
 */
START_TEST(test_low_retry_waits_for_writeback_first)
{
	struct fixture f;
	struct pglist_data *pgdat;
	uint64_t stalls, low;
	uint32_t A, B, ra, rb;

	fixture_setup(&f, 16, 0, 1);
	A = mkcg(f.e, RCL_MEMCG_ROOT, "A");
	B = mkcg(f.e, RCL_MEMCG_ROOT, "B");
	ck_assert_int_eq(rcl_memcg_set(f.e, A, RCL_MEMCG_LOW, 1024 * PG), 0);
	ra = mkregion(f.e, A, 100);
	ck_assert_int_eq(rcl_region_touch(f.e, ra, 0, 100, true), 0);
	rb = mkregion(f.e, B, 100);
	ck_assert_int_eq(rcl_region_touch(f.e, rb, 0, 100, true), 0);
	pgdat = NODE_DATA(f.e, 0);

	stalls = fixture_vmstat(f.e, "allocstall_normal");
	lock(f.e);
	try_to_free_pages(f.e, &pgdat->node_zonelists[ZONELIST_FALLBACK], 0, GFP_KERNEL, NULL);
	unlock(f.e);
	/* Nothing in flight: the loop, then the memcg_low_reclaim loop. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "allocstall_normal") - stalls, 2);
	low = fixture_memcg_value(f.e, A, true, "low");
	ck_assert_uint_ge(low, 1);

	stalls = fixture_vmstat(f.e, "allocstall_normal");
	lock(f.e);
	mod_node_page_state(pgdat, NR_WRITEBACK, 1);
	try_to_free_pages(f.e, &pgdat->node_zonelists[ZONELIST_FALLBACK], 0, GFP_KERNEL, NULL);
	mod_node_page_state(pgdat, NR_WRITEBACK, -1);
	unlock(f.e);
	/* A write in flight: the loop, then the wait for it; the zones are above their low
	 * watermark once it completed (others freed memory meanwhile), which is progress: A
	 * keeps its protection, no second loop, no low event. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "allocstall_normal") - stalls, 1);
	ck_assert_uint_eq(fixture_memcg_value(f.e, A, true, "low"), low);
	(void)B;
	fixture_teardown(&f);
}
END_TEST

/* ---- dirty pages at memory.max -------------------------------------------------------- */

#define DIRTY_RUNS	6

static uint64_t memcg_ooms(struct fixture *f, uint32_t cg)
{
	return fixture_memcg_value(f->e, cg, true, "oom");
}

/*
 * A single 2M write into a 1M memcg, with threads (kswapd, the flusher), as the daemon runs:
 * half the pages it dirties must be written back and reclaimed while it goes on. Limit
 * reclaim writes no file page itself; the pages are the flusher's to write, and the charge
 * must wait for that rather than fail while the writes are still to come. Six runs of each
 * kind: write() through the page cache (FileWrite) and a Write into a shared file region;
 * every one succeeds without an oom event of its own, every byte read back, and the reads
 * back raise no oom event either: readahead charges its pages as the kernel's __GFP_NORETRY
 * readahead does (one round of reclaim, then it stops quietly; the read charges the page it
 * needs in full). Before the charge waited for the flusher, reclaimd (fwrite 2M --memcg, max
 * 1M) failed 3 of 6 such writes under each policy, and this test failed at its first short
 * read-back under both; before readahead charged with NORETRY, each read-back raised oom
 * events.
 */
START_TEST(test_dirty_write_twice_max_succeeds)
{
	const size_t len = 2 * MiB;
	char *buf = malloc(len), *back = malloc(len), name[32];
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = len / PG,
					.flags = RCL_REGION_SHARED, .path = name };
	struct fixture f;
	uint32_t cg, id;
	uint64_t ooms, write_ooms = 0, read_ooms = 0;
	size_t got;
	int i, fails = 0, rfails = 0;

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(back);
	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	cg = mkcg(f.e, RCL_MEMCG_ROOT, "w");
	ck_assert_int_eq(rcl_memcg_set(f.e, cg, RCL_MEMCG_MAX, 1 * MiB), 0);
	spec.memcg_id = cg;
	for (i = 0; i < DIRTY_RUNS; i++) {
		memset(buf, 'a' + i, len);
		snprintf(name, sizeof(name), "fw-%d", i);
		ooms = memcg_ooms(&f, cg);
		fails += rcl_file_write_memcg(f.e, name, cg, 0, buf, len) != 0;
		write_ooms += memcg_ooms(&f, cg) - ooms;
		ooms = memcg_ooms(&f, cg);
		ck_assert_int_eq(rcl_file_read_memcg(f.e, name, cg, 0, back, len, &got), 0);
		read_ooms += memcg_ooms(&f, cg) - ooms;
		ck_assert_uint_eq(got, len);
		ck_assert(memcmp(buf, back, len) == 0);
	}
	for (i = 0; i < DIRTY_RUNS; i++) {
		memset(buf, 'A' + i, len);
		snprintf(name, sizeof(name), "sw-%d", i);
		ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
		ooms = memcg_ooms(&f, cg);
		rfails += rcl_region_write(f.e, id, 0, buf, len) != 0;
		write_ooms += memcg_ooms(&f, cg) - ooms;
		ooms = memcg_ooms(&f, cg);
		ck_assert_int_eq(rcl_region_read(f.e, id, 0, back, len), 0);
		read_ooms += memcg_ooms(&f, cg) - ooms;
		ck_assert(memcmp(buf, back, len) == 0);
		ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	}
	printf("# 2M into 1M: %d of %d file writes, %d of %d region writes failed; "
	       "%llu oom events in writes, %llu in reads\n", fails, DIRTY_RUNS, rfails,
	       DIRTY_RUNS, (unsigned long long)write_ooms, (unsigned long long)read_ooms);
	ck_assert_int_eq(fails, 0);
	ck_assert_int_eq(rfails, 0);
	ck_assert_uint_eq(write_ooms, 0);
	ck_assert_uint_eq(read_ooms, 0);
	fixture_teardown(&f);
	free(buf);
	free(back);
}
END_TEST

/* ---- memcg OOM (spec 19, 21) ------------------------------------------------------------ */

static uint32_t killed[8];
static int nr_killed;

static void on_kill(void *arg, uint32_t region_id)
{
	(void)arg;
	if (nr_killed < 8)
		killed[nr_killed++] = region_id;
}

/*
 * /o (max 8M, no swap) holds r1 (6M) and its child /o/c r2 (1M); a bigger region outside
 * (root, 10M). Touching 4M of r3 in /o overflows max: under the kill policy r1, the worst
 * region in /o's subtree, is killed and the touch succeeds; the outside region is untouched.
 * Under the default policy the same touch fails with -ENOMEM and kills nothing.
 */
START_TEST(test_memcg_oom_kills_inside)
{
	struct fixture f;
	struct rcl_region_info info;
	uint32_t O, C, r1, r2, r3, out;

	fixture_setup(&f, 64, 0, 1);
	O = mkcg(f.e, RCL_MEMCG_ROOT, "o");
	C = mkcg(f.e, O, "c");
	ck_assert_int_eq(rcl_memcg_set(f.e, O, RCL_MEMCG_MAX, 8 * MiB), 0);
	out = mkregion(f.e, RCL_MEMCG_ROOT, 2560);
	ck_assert_int_eq(rcl_region_touch(f.e, out, 0, 2560, true), 0);
	r1 = mkregion(f.e, O, 1536);
	ck_assert_int_eq(rcl_region_touch(f.e, r1, 0, 1536, true), 0);
	r2 = mkregion(f.e, C, 256);
	ck_assert_int_eq(rcl_region_touch(f.e, r2, 0, 256, true), 0);
	r3 = mkregion(f.e, O, 1024);
	nr_killed = 0;
	rcl_oom_notify_set(f.e, on_kill, NULL);

	/* Default policy: the charge fails, an oom event, no kill. */
	ck_assert_int_eq(rcl_region_touch(f.e, r3, 0, 1024, true), -ENOMEM);
	ck_assert_uint_eq(fixture_memcg_value(f.e, O, true, "oom"), 1);
	ck_assert_uint_eq(fixture_memcg_value(f.e, O, true, "oom_kill"), 0);
	ck_assert_int_eq(nr_killed, 0);

	ck_assert_int_eq(rcl_tunable_set(f.e, RCL_TUNABLE_OOM_POLICY, RCL_OOM_KILL), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, r3, 0, 1024, true), 0);
	ck_assert_int_eq(nr_killed, 1);
	ck_assert_uint_eq(killed[0], r1);
	ck_assert_int_eq(rcl_region_info(f.e, r1, &info), -ENOENT);
	ck_assert_int_eq(rcl_region_info(f.e, r2, &info), 0);
	ck_assert_int_eq(rcl_region_info(f.e, out, &info), 0);
	ck_assert_uint_eq(info.resident, 2560);
	ck_assert_uint_eq(fixture_memcg_value(f.e, O, true, "oom_kill"), 1);
	ck_assert_uint_eq(fixture_vmstat(f.e, "oom_kill"), 1);
	ck_assert_uint_le(usage_pages(f.e, O), 2048);
	rcl_oom_notify_set(f.e, NULL, NULL);
	fixture_teardown(&f);
}
END_TEST

/* The only region of the group is the one being faulted: nothing to kill, -ENOMEM. */
START_TEST(test_memcg_oom_no_victim_fails)
{
	struct fixture f;
	uint32_t O, r, out;

	fixture_setup(&f, 64, 0, 1);
	ck_assert_int_eq(rcl_tunable_set(f.e, RCL_TUNABLE_OOM_POLICY, RCL_OOM_KILL), 0);
	O = mkcg(f.e, RCL_MEMCG_ROOT, "o");
	ck_assert_int_eq(rcl_memcg_set(f.e, O, RCL_MEMCG_MAX, 8 * MiB), 0);
	out = mkregion(f.e, RCL_MEMCG_ROOT, 256);
	ck_assert_int_eq(rcl_region_touch(f.e, out, 0, 256, true), 0);
	r = mkregion(f.e, O, 4096);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 4096, true), -ENOMEM);
	ck_assert_uint_eq(fixture_memcg_value(f.e, O, true, "oom_kill"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "oom_kill"), 0);
	fixture_teardown(&f);
}
END_TEST

/* ---- vmpressure's current level (spec 15) ---------------------------------------------- */

/* The rule: the last window's level while it is at most 5 s old (or newer than the time the
 * caller took), else none. */
START_TEST(test_pressure_current_rule)
{
	struct vmpressure v = { .last_level = RCL_PRESSURE_CRITICAL };
	uint64_t sec = 1000000000ULL;

	ck_assert_int_eq(vmpressure_current(&v, 100 * sec), RCL_PRESSURE_NONE);	/* never */
	v.last_window = 100 * sec;
	ck_assert_int_eq(vmpressure_current(&v, 100 * sec), RCL_PRESSURE_CRITICAL);
	ck_assert_int_eq(vmpressure_current(&v, 105 * sec), RCL_PRESSURE_CRITICAL);
	ck_assert_int_eq(vmpressure_current(&v, 105 * sec + 1), RCL_PRESSURE_NONE);
	ck_assert_int_eq(vmpressure_current(&v, 140 * sec), RCL_PRESSURE_NONE);
	/* A reader without mm_lock may take its time just before a window closes. */
	ck_assert_int_eq(vmpressure_current(&v, 100 * sec - 1), RCL_PRESSURE_CRITICAL);
}
END_TEST

/*
 * Through the API: reclaim that reaches priority 3 closes a critical window; the current
 * level is critical, and none once that window is older than 5 s (its time is moved back
 * rather than slept through).
 */
START_TEST(test_pressure_level_decays)
{
	struct fixture f;
	struct mem_cgroup *root;
	enum rcl_pressure_level level;
	uint32_t r;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_pressure_now(f.e, RCL_MEMCG_ROOT, &level), 0);
	ck_assert_int_eq(level, RCL_PRESSURE_NONE);
	r = mkregion(f.e, RCL_MEMCG_ROOT, 256);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 256, true), 0);
	lock(f.e);
	root = root_mem_cgroup_of(f.e);
	vmpressure_prio(GFP_KERNEL, root, 3);
	unlock(f.e);
	ck_assert_int_eq(rcl_pressure_now(f.e, RCL_MEMCG_ROOT, &level), 0);
	ck_assert_int_eq(level, RCL_PRESSURE_CRITICAL);
	lock(f.e);
	root->vmpressure.last_window -= (VMPRESSURE_CURRENT_SEC + 1) * 1000000000ULL;
	unlock(f.e);
	ck_assert_int_eq(rcl_pressure_now(f.e, RCL_MEMCG_ROOT, &level), 0);
	ck_assert_int_eq(level, RCL_PRESSURE_NONE);
	ck_assert_str_eq(rcl_pressure_level_names[level], "none");
	fixture_teardown(&f);
}
END_TEST

/* What one listener heard: its calls, the last level, and removals (calls with "none"). */
struct heard {
	unsigned int calls, removed;
	enum rcl_pressure_level last;
};

static void on_heard(void *arg, uint32_t memcg_id, enum rcl_pressure_level level)
{
	struct heard *h = arg;

	(void)memcg_id;
	h->calls++;
	h->last = level;
	h->removed += level == RCL_PRESSURE_NONE;
}

/*
 * A group removed tells each of its listeners once, with "none", and drops them, as the
 * kernel's css_offline signals every event registered on the cgroup (memcg_event_remove). A
 * listener for "none" hears only that. Its ancestors' listeners are not told; a level outside
 * the enum is refused.
 */
START_TEST(test_pressure_listeners_told_of_removal)
{
	struct heard only_removal = { 0 }, low = { 0 }, above = { 0 };
	struct fixture f;
	int id_removal, id_low;
	uint32_t g;

	fixture_setup(&f, 16, 0, 1);
	g = mkcg(f.e, RCL_MEMCG_ROOT, "g");
	ck_assert_int_eq(rcl_pressure_listen(f.e, g, RCL_PRESSURE_NR_LEVELS,
					     RCL_PRESSURE_DEFAULT, on_heard, &low), -EINVAL);
	id_removal = rcl_pressure_listen(f.e, g, RCL_PRESSURE_NONE, RCL_PRESSURE_LOCAL,
					 on_heard, &only_removal);
	id_low = rcl_pressure_listen(f.e, g, RCL_PRESSURE_LOW, RCL_PRESSURE_HIERARCHY,
				     on_heard, &low);
	ck_assert_int_ge(id_removal, 0);
	ck_assert_int_ge(id_low, 0);
	ck_assert_int_ge(rcl_pressure_listen(f.e, RCL_MEMCG_ROOT, RCL_PRESSURE_LOW,
					     RCL_PRESSURE_HIERARCHY, on_heard, &above), 0);
	lock(f.e);
	vmpressure_prio(GFP_KERNEL, mem_cgroup_from_user_id(f.e, g), 3);
	unlock(f.e);
	ck_assert_uint_eq(low.calls, 1);
	ck_assert_int_eq(low.last, RCL_PRESSURE_CRITICAL);
	ck_assert_uint_eq(above.calls, 1);
	ck_assert_uint_eq(only_removal.calls, 0);

	ck_assert_int_eq(rcl_memcg_delete(f.e, g), 0);
	ck_assert_uint_eq(only_removal.calls, 1);
	ck_assert_uint_eq(only_removal.removed, 1);
	ck_assert_uint_eq(low.calls, 2);
	ck_assert_uint_eq(low.removed, 1);
	ck_assert_uint_eq(above.calls, 1);
	ck_assert_uint_eq(above.removed, 0);
	ck_assert_int_eq(rcl_pressure_unlisten(f.e, g, id_removal), -ENOENT);
	ck_assert_int_eq(rcl_pressure_unlisten(f.e, g, id_low), -ENOENT);
	fixture_teardown(&f);
}
END_TEST

/* ---- PSI (spec 20) --------------------------------------------------------------------------- */

struct busy_thread {
	struct rcl_engine *e;
	sem_t ready, go;
};

/* A worker running a request that makes progress: busy, never stalled. */
static void *busy_main(void *arg)
{
	struct busy_thread *b = arg;

	ck_assert_int_eq(rcl_thread_attach(b->e), 0);
	ck_assert_int_eq(rcl_thread_busy(b->e, true), 0);
	sem_post(&b->ready);
	sem_wait(&b->go);
	ck_assert_int_eq(rcl_thread_busy(b->e, false), 0);
	rcl_thread_detach(b->e);
	return NULL;
}

static struct rcl_psi psi_of(struct rcl_engine *e, uint32_t id)
{
	struct rcl_psi p;

	ck_assert_int_eq(rcl_psi_read(e, id, &p), 0);
	return p;
}

/*
 * "full" is time when every non-idle task is stalled: a lone thread in reclaim is full; the
 * same stalls while another thread runs a request are some only; idle threads do not count.
 */
START_TEST(test_psi_full_needs_every_task_stalled)
{
	struct rcl_psi alone, shared, again;
	struct busy_thread b;
	pthread_t thread;
	struct fixture f;
	uint32_t C, r;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_thread_busy(f.e, true), -ENOENT);	/* not attached */
	C = mkcg(f.e, RCL_MEMCG_ROOT, "c");
	ck_assert_int_eq(rcl_memcg_set(f.e, C, RCL_MEMCG_MAX, 2 * MiB), 0);
	r = mkregion(f.e, C, 2048);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 1024, true), 0);
	alone = psi_of(f.e, C);
	ck_assert_uint_gt(alone.some.total_usec, 0);
	ck_assert_uint_eq(alone.full.total_usec, alone.some.total_usec);

	b.e = f.e;
	ck_assert_int_eq(sem_init(&b.ready, 0, 0), 0);
	ck_assert_int_eq(sem_init(&b.go, 0, 0), 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, busy_main, &b), 0);
	sem_wait(&b.ready);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 1024, 1024, true), 0);
	shared = psi_of(f.e, C);
	ck_assert_uint_gt(shared.some.total_usec, alone.some.total_usec);
	ck_assert_uint_eq(shared.full.total_usec, alone.full.total_usec);
	ck_assert_uint_eq(psi_of(f.e, RCL_MEMCG_ROOT).full.total_usec, alone.full.total_usec);
	sem_post(&b.go);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);

	/* The other thread is gone: stalls are full again. */
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 1024, true), 0);
	again = psi_of(f.e, C);
	ck_assert_uint_gt(again.full.total_usec, shared.full.total_usec);
	/* Equal in ns; each total is rounded down to microseconds on its own. */
	ck_assert_uint_le(again.some.total_usec - shared.some.total_usec,
			  again.full.total_usec - shared.full.total_usec + 1);
	fixture_teardown(&f);
}
END_TEST

/* ---- counters (spec 22.1) ----------------------------------------------------------------- */

static uint64_t stat_of(struct rcl_engine *e, uint32_t id, const char *name)
{
	return fixture_memcg_value(e, id, false, name);
}

static uint32_t region_of(struct rcl_engine *e, uint32_t memcg_id, uint64_t n,
			  enum rcl_region_type type, const char *path, unsigned int flags)
{
	struct rcl_region_spec spec = { .type = type, .nr_pages = n, .memcg_id = memcg_id,
					 .path = path, .flags = flags };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(e, &spec, &id), 0);
	return id;
}

static struct rcl_region_info info_of(struct rcl_engine *e, uint32_t id)
{
	struct rcl_region_info i;

	ck_assert_int_eq(rcl_region_info(e, id, &i), 0);
	return i;
}

/* Every fault counts pgfault in the faulting region's memcg and its ancestors. */
START_TEST(test_pgfault_counted_per_memcg)
{
	struct fixture f;
	uint64_t root0, global0;
	uint32_t C, r;

	fixture_setup(&f, 16, 0, 1);
	C = mkcg(f.e, RCL_MEMCG_ROOT, "c");
	r = mkregion(f.e, C, 64);
	ck_assert_uint_eq(stat_of(f.e, C, "pgfault"), 0);
	root0 = stat_of(f.e, RCL_MEMCG_ROOT, "pgfault");
	global0 = fixture_vmstat(f.e, "pgfault");
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 40, true), 0);
	ck_assert_int_eq(rcl_region_touch_resident(f.e, r, 0, 10, false), 0);
	ck_assert_uint_eq(stat_of(f.e, C, "pgfault"), 50);
	ck_assert_uint_eq(stat_of(f.e, RCL_MEMCG_ROOT, "pgfault") - root0, 50);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgfault") - global0, 50);
	fixture_teardown(&f);
}
END_TEST

/*
 * madvise(WILLNEED) reads ahead: swapped and file pages come in (pswpin, pgpgin) without a
 * single major fault; a fault that has to wait for the read is one (globally and in the memcg).
 */
START_TEST(test_willneed_is_not_a_major_fault)
{
	struct fixture f;
	uint64_t maj, cgmaj, pgpgin, pswpin, reclaimed;
	uint32_t C, D, r, file, other;

	fixture_setup(&f, 16, 64, 1);
	fixture_file(&f, "f", 64 * PG);
	fixture_file(&f, "g", 64 * PG);
	C = mkcg(f.e, RCL_MEMCG_ROOT, "c");
	r = mkregion(f.e, C, 256);
	fixture_fill(&f, r, 0, 256, 3);
	/* Paged out, then the written pages leave the swap cache too. */
	ck_assert_int_eq(rcl_region_madvise(f.e, r, 0, 256, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(info_of(f.e, r).swapped, 256);
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, C, 256, &reclaimed), 0);
	file = region_of(f.e, C, 64, RCL_REGION_FILE, "f", 0);

	maj = fixture_vmstat(f.e, "pgmajfault");
	cgmaj = stat_of(f.e, C, "pgmajfault");
	pgpgin = fixture_vmstat(f.e, "pgpgin");
	pswpin = fixture_vmstat(f.e, "pswpin");
	ck_assert_int_eq(rcl_region_madvise(f.e, r, 0, 256, RCL_MADV_WILLNEED), 0);
	ck_assert_int_eq(rcl_region_madvise(f.e, file, 0, 64, RCL_MADV_WILLNEED), 0);
	ck_assert_uint_eq(info_of(f.e, r).swapped, 0);
	ck_assert_uint_eq(info_of(f.e, file).resident, 64);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgmajfault"), maj);
	ck_assert_uint_eq(stat_of(f.e, C, "pgmajfault"), cgmaj);
	/* 256 pages from swap and 64 from the file, in KiB. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpin") - pswpin, 256);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgpgin") - pgpgin, (256 + 64) * 4);
	fixture_verify(&f, r, 256, 3);

	/* A touch that waits for its page is a major fault: one from swap, one from a file. */
	D = mkcg(f.e, RCL_MEMCG_ROOT, "d");
	r = mkregion(f.e, D, 16);
	fixture_fill(&f, r, 0, 16, 4);
	ck_assert_int_eq(rcl_region_madvise(f.e, r, 0, 16, RCL_MADV_PAGEOUT), 0);
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, D, 16, &reclaimed), 0);
	other = region_of(f.e, D, 64, RCL_REGION_FILE, "g", 0);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 1, false), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, other, 5, 1, false), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgmajfault") - maj, 2);
	ck_assert_uint_eq(stat_of(f.e, D, "pgmajfault"), 2);
	ck_assert_uint_eq(stat_of(f.e, C, "pgmajfault"), cgmaj);
	fixture_teardown(&f);
}
END_TEST

/*
 * v4.19 counts unevictable_pgs_munlocked when a locked range is unmapped (munmap munlocks it
 * first, munlock_vma_pages_all), and unevictable_pgs_cleared when the last mapping of a page
 * still mlocked goes away without munlock (clear_page_mlock from page_remove_rmap).
 */
START_TEST(test_munlocked_counted_when_locked_pages_go)
{
	struct fixture f;
	uint64_t munlocked, cleared;
	uint32_t r;

	fixture_setup(&f, 16, 0, 1);
	r = region_of(f.e, RCL_MEMCG_ROOT, 64, RCL_REGION_ANON, NULL, RCL_REGION_LOCKED);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), 64);
	munlocked = fixture_vmstat(f.e, "unevictable_pgs_munlocked");
	cleared = fixture_vmstat(f.e, "unevictable_pgs_cleared");
	/* DONTNEED of 8 locked pages: the pages are cleared, not munlocked. */
	ck_assert_int_eq(rcl_region_madvise(f.e, r, 0, 8, RCL_MADV_DONTNEED), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "unevictable_pgs_cleared") - cleared, 8);
	ck_assert_uint_eq(fixture_vmstat(f.e, "unevictable_pgs_munlocked"), munlocked);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), 56);
	/* Freeing the region munlocks the other 56. */
	ck_assert_int_eq(rcl_region_free(f.e, r), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "unevictable_pgs_munlocked") - munlocked, 56);
	ck_assert_uint_eq(fixture_vmstat(f.e, "unevictable_pgs_cleared") - cleared, 8);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_unevictable"), 0);
	fixture_teardown(&f);
}
END_TEST

/* ---- mlock that cannot fit -------------------------------------------------------------------- */

static int locked_region(struct rcl_engine *e, uint32_t memcg_id, uint64_t n, uint32_t *id)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = n,
					 .memcg_id = memcg_id, .flags = RCL_REGION_LOCKED };

	return rcl_region_create(e, &spec, id);
}

/*
 * A locked region larger than free + reclaimable memory is refused before any reclaim: the
 * other group keeps every page. Anon pages count as reclaimable only while swap has room.
 */
START_TEST(test_locked_alloc_refused_before_reclaim)
{
	struct fixture f;
	uint32_t B, L, r, big, id;
	uint64_t scanned, b_usage;

	fixture_setup(&f, 16, 0, 1);
	B = mkcg(f.e, RCL_MEMCG_ROOT, "b");
	r = mkregion(f.e, B, 2048);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 2048, true), 0);
	b_usage = usage_pages(f.e, B);
	scanned = fixture_vmstat(f.e, "pgscan_direct");
	/* 4096 frames, 2048 anon without swap: 3000 cannot be locked. */
	ck_assert_int_eq(locked_region(f.e, RCL_MEMCG_ROOT, 3000, &id), -ENOMEM);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgscan_direct"), scanned);
	ck_assert_uint_eq(usage_pages(f.e, B), b_usage);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), 0);
	/* mlock of an existing region follows the same rule. */
	big = mkregion(f.e, RCL_MEMCG_ROOT, 3000);
	ck_assert_int_eq(rcl_region_mlock(f.e, big), -ENOMEM);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgscan_direct"), scanned);
	ck_assert_uint_eq(info_of(f.e, big).resident, 0);
	/* What fits is locked. */
	ck_assert_int_eq(locked_region(f.e, RCL_MEMCG_ROOT, 1024, &id), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), 1024);
	/* Inside a memcg: at most its max less what it has locked already. */
	L = mkcg(f.e, RCL_MEMCG_ROOT, "l");
	ck_assert_int_eq(rcl_memcg_set(f.e, L, RCL_MEMCG_MAX, 2 * MiB), 0);
	ck_assert_int_eq(locked_region(f.e, L, 400, &id), 0);
	ck_assert_int_eq(locked_region(f.e, L, 200, &id), -ENOMEM);
	ck_assert_uint_eq(fixture_memcg_value(f.e, L, true, "max"), 0);
	ck_assert_int_eq(locked_region(f.e, L, 112, &id), 0);
	fixture_teardown(&f);
}
END_TEST

/*
 * With swap, anon pages are reclaimable: a request beyond free + swappable anon is refused
 * before B loses a page to swap (it used to swap B out entirely, then fail); one within it
 * locks, pushing B to swap.
 */
START_TEST(test_locked_alloc_counts_swappable_anon)
{
	struct fixture f;
	uint32_t B, r, id;
	uint64_t b_usage;

	fixture_setup(&f, 16, 64, 1);
	B = mkcg(f.e, RCL_MEMCG_ROOT, "b");
	r = mkregion(f.e, B, 2048);
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 2048, true), 0);
	b_usage = usage_pages(f.e, B);
	ck_assert_int_eq(locked_region(f.e, RCL_MEMCG_ROOT, 4500, &id), -ENOMEM);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout"), 0);
	ck_assert_uint_eq(usage_pages(f.e, B), b_usage);
	ck_assert_uint_eq(info_of(f.e, r).swapped, 0);
	ck_assert_int_eq(locked_region(f.e, RCL_MEMCG_ROOT, 3000, &id), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), 3000);
	ck_assert_uint_gt(info_of(f.e, r).swapped, 0);
	fixture_teardown(&f);
}
END_TEST

/* ---- what the root is charged --------------------------------------------------------------- */

struct toucher {
	struct rcl_engine *e;
	uint32_t region;
	sem_t touched, go;
};

/* Another engine thread: its touches leave pages in its own LRU-add vector, then it idles. */
static void *toucher_main(void *arg)
{
	struct toucher *t = arg;

	ck_assert_int_eq(rcl_thread_attach(t->e), 0);
	ck_assert_int_eq(rcl_region_touch(t->e, t->region, 32, 8, true), 0);
	sem_post(&t->touched);
	sem_wait(&t->go);
	rcl_thread_detach(t->e);
	return NULL;
}

/*
 * With no region left, the root is charged nothing: not the frames on the threads' free lists,
 * not the zero page, not pages an idle thread still had queued for the LRU when their region
 * was freed.
 */
START_TEST(test_root_usage_empty_without_regions)
{
	struct toucher t;
	pthread_t thread;
	struct fixture f;

	fixture_setup(&f, 16, 0, 1);
	t.e = f.e;
	t.region = mkregion(f.e, RCL_MEMCG_ROOT, 64);
	ck_assert_int_eq(sem_init(&t.touched, 0, 0), 0);
	ck_assert_int_eq(sem_init(&t.go, 0, 0), 0);
	ck_assert_uint_eq(usage_pages(f.e, RCL_MEMCG_ROOT), 0);
	ck_assert_int_eq(rcl_region_touch(f.e, t.region, 0, 32, true), 0);
	/* A read of a page never written maps the zero page: nobody's charge either. */
	ck_assert_int_eq(rcl_region_touch(f.e, t.region, 48, 1, false), 0);
	ck_assert_uint_eq(usage_pages(f.e, RCL_MEMCG_ROOT), 32);
	ck_assert_int_eq(pthread_create(&thread, NULL, toucher_main, &t), 0);
	sem_wait(&t.touched);
	ck_assert_uint_eq(usage_pages(f.e, RCL_MEMCG_ROOT), 40);
	ck_assert_int_eq(rcl_region_free(f.e, t.region), 0);
	ck_assert_uint_eq(usage_pages(f.e, RCL_MEMCG_ROOT), 0);
	ck_assert_uint_eq(stat_of(f.e, RCL_MEMCG_ROOT, "anon"), 0);
	sem_post(&t.go);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	fixture_teardown(&f);
}
END_TEST

/* ---- the shared zero page (spec: do_anonymous_page) ------------------------------------- */

static bool all_zero(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

/* Reads of never-written anonymous pages allocate nothing; the first write does. */
START_TEST(test_read_fault_maps_zero_page)
{
	struct fixture f;
	static char buf[2 * 4096];
	uint64_t anon;
	uint32_t C, r, r2;

	rcl_skip_one_thread();

	fixture_setup(&f, 16, 64, 1);
	C = mkcg(f.e, RCL_MEMCG_ROOT, "c");
	r = mkregion(f.e, C, 64);
	anon = fixture_vmstat(f.e, "nr_anon_pages");
	memset(buf, 0xff, sizeof(buf));
	ck_assert_int_eq(rcl_region_read(f.e, r, 0, buf, sizeof(buf)), 0);
	ck_assert(all_zero(buf, sizeof(buf)));
	ck_assert_int_eq(rcl_region_touch(f.e, r, 2, 30, false), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_anon_pages"), anon);
	ck_assert_uint_eq(usage_pages(f.e, C), 0);
	ck_assert_uint_eq(info_of(f.e, r).resident, 0);
	ck_assert_uint_eq(stat_of(f.e, C, "pgfault"), 32);
	/* The resident-only touch does not take the zero page for a page of its own. */
	ck_assert_int_eq(rcl_region_touch_resident(f.e, r, 0, 1, true), -EAGAIN);

	/* A write gets a page of its own; its neighbour still reads zeros. */
	ck_assert_int_eq(rcl_region_write(f.e, r, 100, "x", 1), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_anon_pages"), anon + 1);
	ck_assert_uint_eq(usage_pages(f.e, C), 1);
	ck_assert_int_eq(rcl_region_read(f.e, r, 0, buf, sizeof(buf)), 0);
	ck_assert_int_eq(buf[100], 'x');
	buf[100] = 0;
	ck_assert(all_zero(buf, sizeof(buf)));
	ck_assert_int_eq(rcl_region_touch(f.e, r, 1, 1, true), 0);
	ck_assert_uint_eq(info_of(f.e, r).resident, 2);

	/* Reclaim never sees the zero page: fill past the arena, the reads stay zeros. */
	r2 = mkregion(f.e, RCL_MEMCG_ROOT, 6144);
	fixture_fill(&f, r2, 0, 6144, 9);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpout"), 0);
	ck_assert_int_eq(rcl_region_read(f.e, r, 2 * 4096, buf, sizeof(buf)), 0);
	ck_assert(all_zero(buf, sizeof(buf)));
	ck_assert_uint_eq(info_of(f.e, r).swapped + info_of(f.e, r).resident, 2);
	/* DONTNEED and free drop zero-page entries like any other. */
	ck_assert_int_eq(rcl_region_madvise(f.e, r, 0, 64, RCL_MADV_DONTNEED), 0);
	ck_assert_int_eq(rcl_region_free(f.e, r), 0);
	fixture_verify(&f, r2, 6144, 9);
	fixture_teardown(&f);
}
END_TEST

/* Populating and mlock fault pages in for writing: each gets its own frame, locked. */
START_TEST(test_mlock_replaces_zero_page)
{
	struct fixture f;
	static char buf[4096];
	uint64_t anon;
	uint32_t r;

	fixture_setup(&f, 16, 0, 1);
	r = mkregion(f.e, RCL_MEMCG_ROOT, 16);
	anon = fixture_vmstat(f.e, "nr_anon_pages");
	ck_assert_int_eq(rcl_region_touch(f.e, r, 0, 16, false), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_anon_pages"), anon);
	ck_assert_int_eq(rcl_region_mlock(f.e, r), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_anon_pages"), anon + 16);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_mlock"), 16);
	ck_assert_uint_eq(info_of(f.e, r).resident, 16);
	ck_assert_int_eq(rcl_region_read(f.e, r, 4096, buf, sizeof(buf)), 0);
	ck_assert(all_zero(buf, sizeof(buf)));
	fixture_teardown(&f);
}
END_TEST

/*
 * A deleted group that still holds pages is freed once the last one goes, but never while a
 * reclaim walk stands on it: mem_cgroup_iter holds a reference on the group it returns, since
 * reclaim may let mm_lock go in the middle of a group (congestion_wait, submitting its swap
 * writes) while another thread frees the group's last pages.
 */
START_TEST(test_walker_pins_deleted_group)
{
	struct mem_cgroup *m = NULL, *c;
	struct fixture f;
	uint64_t dropped;
	uint32_t C, file;

	fixture_setup(&f, 16, 64, 1);
	fixture_file(&f, "f", 64 * PG);
	C = mkcg(f.e, RCL_MEMCG_ROOT, "c");
	file = region_of(f.e, C, 64, RCL_REGION_FILE, "f", 0);
	ck_assert_int_eq(rcl_region_touch(f.e, file, 0, 64, false), 0);
	ck_assert_int_eq(rcl_region_free(f.e, file), 0);
	ck_assert_int_eq(rcl_memcg_delete(f.e, C), 0);	/* offline: its cache is still charged */
	lock(f.e);
	c = mem_cgroup_from_id(f.e, C);
	ck_assert_ptr_nonnull(c);
	ck_assert(!c->online);
	while ((m = mem_cgroup_iter(f.e->root_mem_cgroup, m, NULL)) && m != c)
		;
	ck_assert_ptr_eq(m, c);		/* a walk stands on it */
	unlock(f.e);

	ck_assert_int_eq(rcl_drop_caches(f.e, &dropped), 0);	/* its last pages go */
	ck_assert_uint_ge(dropped, 64);
	lock(f.e);
	ck_assert_ptr_eq(mem_cgroup_from_id(f.e, C), c);	/* kept for the walk */
	ck_assert_int_le(atomic_load(&c->memory.usage), 0);
	mem_cgroup_iter_break(f.e->root_mem_cgroup, c);
	unlock(f.e);

	ck_assert_int_eq(rcl_drop_caches(f.e, &dropped), 0);
	lock(f.e);
	ck_assert_ptr_null(mem_cgroup_from_id(f.e, C));	/* freed once the walk left */
	unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

/*
 * A group's id names that group only. A request that looked /a up and acts on its id after
 * /a was deleted and /b created in its slot (another client, between lookup and use) got /b:
 * its limit, its usage, new regions and file pages charged to it. Now each gets -ENOENT, and
 * the new group has an id of its own.
 */
START_TEST(test_deleted_group_id_names_nothing)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 4 };
	struct rcl_region_info info;
	uint32_t a, b, r, got;
	struct fixture f;
	uint64_t v;
	char path[64], buf[16];
	size_t n;

	fixture_setup(&f, 16, 64, 1);
	fixture_file(&f, "f", 4 * PG);
	a = mkcg(f.e, RCL_MEMCG_ROOT, "a");
	ck_assert_int_eq(rcl_memcg_delete(f.e, a), 0);
	b = mkcg(f.e, RCL_MEMCG_ROOT, "b");
	lock(f.e);
	ck_assert_uint_eq(mem_cgroup_from_user_id(f.e, b)->id, a & MEM_CGROUP_ID_MAX);
	unlock(f.e);			/* the same slot ... */
	ck_assert_uint_ne(b, a);	/* ... and another id */

	ck_assert_int_eq(rcl_memcg_set(f.e, a, RCL_MEMCG_MAX, 1 << 20), -ENOENT);
	ck_assert_int_eq(rcl_memcg_get(f.e, b, RCL_MEMCG_MAX, &v), 0);
	ck_assert_uint_eq(v, RCL_MEMCG_UNLIMITED);
	ck_assert_int_eq(rcl_memcg_usage(f.e, a, &v), -ENOENT);
	ck_assert_int_eq(rcl_memcg_path(f.e, a, path, sizeof(path)), -ENOENT);
	ck_assert_int_eq(rcl_memcg_path(f.e, b, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/b");
	ck_assert_int_eq(rcl_memcg_delete(f.e, a), -ENOENT);
	spec.memcg_id = a;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &r), -ENOENT);
	ck_assert_int_eq(rcl_file_write_memcg(f.e, "f", a, 0, "x", 1), -ENOENT);

	/* The new group's own id works everywhere and is what lookups report. */
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "/b", &got), 0);
	ck_assert_uint_eq(got, b);
	spec.memcg_id = b;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &r), 0);
	ck_assert_int_eq(rcl_region_info(f.e, r, &info), 0);
	ck_assert_uint_eq(info.memcg_id, b);
	ck_assert_int_eq(rcl_file_write_memcg(f.e, "f", b, 0, "x", 1), 0);
	ck_assert_int_eq(rcl_file_read_memcg(f.e, "f", b, 0, buf, 1, &n), 0);
	ck_assert_uint_eq(n, 1);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("memcg");
	TCase *tc = tcase_create("high");

	tcase_add_test(tc, test_high_reclaimed_on_return);
	tcase_add_test(tc, test_high_delay_formula);
	tcase_add_test(tc, test_high_throttles_when_reclaim_cannot);
	tcase_add_test(tc, test_high_no_throttle_without_charge);
	suite_add_tcase(s, tc);
	tc = tcase_create("low");
	tcase_add_loop_test(tc, test_low_holds_while_sibling_reclaimable, 0, 2);
	tcase_add_test(tc, test_low_retry_waits_for_writeback_first);
	suite_add_tcase(s, tc);
	tc = tcase_create("dirty");
	tcase_add_test(tc, test_dirty_write_twice_max_succeeds);
	suite_add_tcase(s, tc);
	tc = tcase_create("oom");
	tcase_add_test(tc, test_memcg_oom_kills_inside);
	tcase_add_test(tc, test_memcg_oom_no_victim_fails);
	suite_add_tcase(s, tc);
	tc = tcase_create("vmpressure");
	tcase_add_test(tc, test_pressure_current_rule);
	tcase_add_test(tc, test_pressure_level_decays);
	tcase_add_test(tc, test_pressure_listeners_told_of_removal);
	suite_add_tcase(s, tc);
	tc = tcase_create("psi");
	tcase_add_test(tc, test_psi_full_needs_every_task_stalled);
	suite_add_tcase(s, tc);
	tc = tcase_create("counters");
	tcase_add_test(tc, test_pgfault_counted_per_memcg);
	tcase_add_test(tc, test_willneed_is_not_a_major_fault);
	tcase_add_test(tc, test_munlocked_counted_when_locked_pages_go);
	tcase_add_test(tc, test_root_usage_empty_without_regions);
	tcase_add_test(tc, test_walker_pins_deleted_group);
	tcase_add_test(tc, test_deleted_group_id_names_nothing);
	suite_add_tcase(s, tc);
	tc = tcase_create("mlock");
	tcase_add_test(tc, test_locked_alloc_refused_before_reclaim);
	tcase_add_test(tc, test_locked_alloc_counts_swappable_anon);
	suite_add_tcase(s, tc);
	tc = tcase_create("zero page");
	tcase_add_test(tc, test_read_fault_maps_zero_page);
	tcase_add_test(tc, test_mlock_replaces_zero_page);
	suite_add_tcase(s, tc);
	return s;
}
