/*
 * check_readahead - spec 25 and 22.1: readahead of buffered reads and mapped faults, advice
 * that turns it off, fault-around, the counters under the kernel's names (pgpgin/pgpgout in
 * KiB, the _anon/_file splits, memory.stat faults, a touch's minor/major counts), buffered
 * I/O charged to a memcg, shadow nodes pruned by a memcg's own size, and a replay that gives
 * the same misses every time.
 */
#include <errno.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"
#include "memcontrol.h"
#include "swap.h"

#define PAGE		4096u
#define KIB_PER_PAGE	(PAGE / 1024)

static void lock(struct rcl_engine *e) { mm_lock(e); }
static void unlock(struct rcl_engine *e) { mm_unlock(e); }

static unsigned long file_reads(struct rcl_engine *e)
{
	unsigned long n;

	lock(e);
	n = e->nr_file_reads;
	unlock(e);
	return n;
}

static struct address_space *file_mapping(struct rcl_engine *e, const char *path)
{
	struct address_space *m;

	for (m = e->files; m; m = m->next)
		if (!strcmp(m->path, path))
			return m;
	return NULL;
}

static unsigned long cached_pages(struct rcl_engine *e, const char *path)
{
	struct address_space *m;
	unsigned long n;

	lock(e);
	m = file_mapping(e, path);
	n = m ? m->nrpages : 0;
	unlock(e);
	return n;
}

static uint32_t file_region(struct fixture *f, const char *path, uint64_t pages)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = pages,
					.path = path };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	return id;
}

/* A buffered sequential read of N pages, a page per call: about N/32 reads, no faults. */
START_TEST(test_sequential_read_is_windowed)
{
	const unsigned long n = 1024;
	struct fixture f;
	struct rcl_file *file;
	unsigned long reads, p;
	uint64_t pgpgin, majflt;
	char buf[PAGE];
	size_t got;

	fixture_setup(&f, 32, 0, 1);
	fixture_file(&f, "seq", n * PAGE);
	ck_assert_int_eq(rcl_file_open(f.e, "seq", 0, &file), 0);
	reads = file_reads(f.e);
	pgpgin = fixture_vmstat(f.e, "pgpgin");
	majflt = fixture_vmstat(f.e, "pgmajfault");
	for (p = 0; p < n; p++) {
		ck_assert_int_eq(rcl_file_pread(file, p * PAGE, buf, PAGE, &got), 0);
		ck_assert_uint_eq(got, PAGE);
	}
	reads = file_reads(f.e) - reads;
	fprintf(stderr, "# sequential read of %lu pages: %lu reads\n", n, reads);
	/* Windows of 4, 8, 16 and then 32 pages: N/32 plus the ramp. */
	ck_assert_uint_ge(reads, n / 32);
	ck_assert_uint_le(reads, n / 32 + 4);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgpgin") - pgpgin, n * KIB_PER_PAGE);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgmajfault"), majflt);	/* read() is no fault */
	/* Nothing read beyond the end of the file. */
	ck_assert_uint_eq(cached_pages(f.e, "seq"), n);
	rcl_file_close(file);
	fixture_teardown(&f);
}
END_TEST

/* Faulting a file region in order: one major fault, the rest read ahead or mapped around. */
START_TEST(test_sequential_faults_read_around)
{
	const unsigned long n = 1024;
	struct rcl_fault_counts c, sum = { 0, 0 };
	struct fixture f;
	unsigned long reads, p;
	uint32_t id;

	fixture_setup(&f, 32, 0, 1);
	fixture_file(&f, "map", n * PAGE);
	id = file_region(&f, "map", n);
	reads = file_reads(f.e);
	for (p = 0; p < n; p++) {
		ck_assert_int_eq(rcl_region_touch_counted(f.e, id, p, 1, false, &c), 0);
		ck_assert_uint_eq(c.minor + c.major, 1);
		sum.minor += c.minor;
		sum.major += c.major;
	}
	reads = file_reads(f.e) - reads;
	fprintf(stderr, "# %lu faults in order: %lu major, %lu reads\n", n,
		(unsigned long)sum.major, reads);
	ck_assert_uint_eq(sum.major, 1);
	ck_assert_uint_le(reads, n / 32 + 2);
	/* Fault-around mapped neighbours: every page is mapped, no more. */
	{
		struct rcl_region_info info;

		ck_assert_int_eq(rcl_region_info(f.e, id, &info), 0);
		ck_assert_uint_eq(info.resident, n);
	}
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	fixture_teardown(&f);
}
END_TEST

/* Scattered page numbers, all distinct: p * 37 mod a prime larger than the file. */
static unsigned long scattered(unsigned long i) { return (i * 37 + 11) % 1021; }

/* POSIX_FADV_RANDOM: every read brings in exactly the page asked for. */
START_TEST(test_fadv_random_reads_exactly)
{
	struct fixture f;
	struct rcl_file *file;
	uint64_t pgpgin;
	unsigned long reads, i;
	char buf[100];
	size_t got;

	fixture_setup(&f, 32, 0, 1);
	fixture_file(&f, "rnd", 1024 * PAGE);
	ck_assert_int_eq(rcl_file_open(f.e, "rnd", 0, &file), 0);
	ck_assert_int_eq(rcl_file_advise(file, 0, 0, RCL_FADV_RANDOM), 0);
	ck_assert_int_eq(rcl_file_advise(file, 0, 0, (enum rcl_fadvise)9), -EINVAL);
	pgpgin = fixture_vmstat(f.e, "pgpgin");
	reads = file_reads(f.e);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(rcl_file_pread(file, scattered(i) * PAGE + 7, buf, sizeof(buf),
						&got), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgpgin") - pgpgin, 100 * KIB_PER_PAGE);
	ck_assert_uint_eq(file_reads(f.e) - reads, 100);
	ck_assert_uint_eq(cached_pages(f.e, "rnd"), 100);
	/* Normal advice on the same pattern reads ahead (the first read has no history). */
	ck_assert_int_eq(rcl_file_advise(file, 0, 0, RCL_FADV_NORMAL), 0);
	ck_assert_int_eq(rcl_file_pread(file, 0, buf, sizeof(buf), &got), 0);
	ck_assert_uint_gt(cached_pages(f.e, "rnd"), 101);
	rcl_file_close(file);
	fixture_teardown(&f);
}
END_TEST

/* MADV_RANDOM: every fault on an uncached page reads that page alone, a major fault. */
START_TEST(test_madv_random_faults_exactly)
{
	struct rcl_fault_counts c;
	struct fixture f;
	uint64_t pgpgin, majors = 0;
	unsigned long i;
	uint32_t id;

	fixture_setup(&f, 32, 0, 1);
	fixture_file(&f, "mr", 1024 * PAGE);
	id = file_region(&f, "mr", 1024);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 1024, RCL_MADV_RANDOM), 0);
	pgpgin = fixture_vmstat(f.e, "pgpgin");
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(rcl_region_touch_counted(f.e, id, scattered(i), 1, false, &c), 0);
		majors += c.major;
	}
	ck_assert_uint_eq(majors, 100);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgpgin") - pgpgin, 100 * KIB_PER_PAGE);
	ck_assert_uint_eq(cached_pages(f.e, "mr"), 100);
	/* Back to normal: the next miss reads around it. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 1024, RCL_MADV_NORMAL), 0);
	ck_assert_int_eq(rcl_region_touch_counted(f.e, id, 1023, 1, false, &c), 0);
	ck_assert_uint_eq(c.major, 1);
	ck_assert_uint_gt(cached_pages(f.e, "mr"), 101);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 1024, (enum rcl_madvise)99), -EINVAL);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	fixture_teardown(&f);
}
END_TEST

/* WILLNEED reads the range now; DONTNEED drops what is clean and unused, and uncharges it. */
START_TEST(test_fadvise_willneed_dontneed)
{
	struct fixture f;
	uint64_t usage;
	uint32_t cg;

	fixture_setup(&f, 32, 0, 1);
	fixture_file(&f, "adv", 256 * PAGE);
	ck_assert_int_eq(rcl_file_fadvise(f.e, "adv", 0, 64 * PAGE, RCL_FADV_WILLNEED), 0);
	ck_assert_uint_eq(cached_pages(f.e, "adv"), 64);
	ck_assert_int_eq(rcl_file_fadvise(f.e, "adv", 0, 0, RCL_FADV_DONTNEED), 0);
	ck_assert_uint_eq(cached_pages(f.e, "adv"), 0);
	ck_assert_int_eq(rcl_file_fadvise(f.e, "nope", 0, 0, RCL_FADV_DONTNEED), -ENOENT);
	ck_assert_int_eq(rcl_file_fadvise(f.e, "adv", 0, 0, (enum rcl_fadvise)5), -EINVAL);

	/* Reads charged to a memcg, then dropped: its usage comes back to 0. */
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "rd", &cg), 0);
	{
		char buf[PAGE];
		size_t got;

		ck_assert_int_eq(rcl_file_read_memcg(f.e, "adv", cg, 0, buf, PAGE, &got), 0);
		ck_assert_int_eq(rcl_file_read_memcg(f.e, "adv", 999, 0, buf, PAGE, &got),
				 -ENOENT);
	}
	ck_assert_int_eq(rcl_memcg_usage(f.e, cg, &usage), 0);
	ck_assert_uint_eq(usage, cached_pages(f.e, "adv") * PAGE);
	ck_assert_uint_gt(usage, 0);
	/* A partial range keeps the partial pages at its ends. */
	ck_assert_int_eq(rcl_file_fadvise(f.e, "adv", 1, 2 * PAGE, RCL_FADV_DONTNEED), 0);
	ck_assert_uint_eq(cached_pages(f.e, "adv") * PAGE, usage - PAGE);
	ck_assert_int_eq(rcl_file_fadvise(f.e, "adv", 0, 0, RCL_FADV_DONTNEED), 0);
	ck_assert_int_eq(rcl_memcg_usage(f.e, cg, &usage), 0);
	ck_assert_uint_eq(usage, 0);
	fixture_teardown(&f);
}
END_TEST

/* pgpgin/pgpgout move by the KiB read from and written to files and swap (spec 22.1). */
START_TEST(test_pgpgin_pgpgout_in_kib)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 64 };
	struct fixture f;
	uint64_t in, out, pswpout;
	char buf[PAGE];
	unsigned long p;
	uint32_t id;
	size_t got;

	fixture_setup(&f, 32, 16, 1);
	memset(buf, 'x', sizeof(buf));
	in = fixture_vmstat(f.e, "pgpgin");
	out = fixture_vmstat(f.e, "pgpgout");
	/* Whole pages written: nothing read first; written back: 10 pages out. */
	for (p = 0; p < 10; p++)
		ck_assert_int_eq(rcl_file_write(f.e, "w", p * PAGE, buf, PAGE), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgpgin"), in);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgpgout") - out, 10 * KIB_PER_PAGE);
	/* A partial write of an uncached page reads it first: one page in. */
	ck_assert_int_eq(rcl_file_fadvise(f.e, "w", 0, 0, RCL_FADV_DONTNEED), 0);
	ck_assert_int_eq(rcl_file_write(f.e, "w", 3 * PAGE + 5, "abc", 3), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgpgin") - in, KIB_PER_PAGE);
	ck_assert_int_eq(rcl_file_read(f.e, "w", 3 * PAGE + 4, buf, 5, &got), 0);
	ck_assert_int_eq(memcmp(buf, "xabcx", 5), 0);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);

	/* Swap: every page out is 4 KiB of pgpgout, every page in 4 KiB of pgpgin. */
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, 64, 3);
	in = fixture_vmstat(f.e, "pgpgin");
	out = fixture_vmstat(f.e, "pgpgout");
	pswpout = fixture_vmstat(f.e, "pswpout");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 64, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpout"), pswpout);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgpgout") - out,
			  (fixture_vmstat(f.e, "pswpout") - pswpout) * KIB_PER_PAGE);
	fixture_verify(&f, id, 64, 3);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgpgin") - in,
			  fixture_vmstat(f.e, "pswpin") * KIB_PER_PAGE);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	fixture_teardown(&f);
}
END_TEST

/* Global reclaim of anon and file: the _anon/_file splits add up to the totals. */
START_TEST(test_split_counters_add_up)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON };
	const uint64_t arena_pages = 16 * MiB / PAGE;
	struct fixture f;
	char buf[PAGE];
	unsigned long p;
	uint32_t id;
	size_t got;

	fixture_setup(&f, 16, 64, 1);
	fixture_file(&f, "big", 2 * arena_pages * PAGE);
	for (p = 0; p < 2 * arena_pages; p++)		/* the file's cache fills the arena */
		ck_assert_int_eq(rcl_file_read(f.e, "big", p * PAGE, buf, PAGE, &got), 0);
	spec.nr_pages = arena_pages;			/* then anon takes it back */
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, arena_pages, 9);
	for (p = 0; p < arena_pages / 2; p++)		/* and the file's start again: refaults */
		ck_assert_int_eq(rcl_file_read(f.e, "big", p * PAGE, buf, PAGE, &got), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pgscan_anon"), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pgscan_file"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgscan_anon") + fixture_vmstat(f.e, "pgscan_file"),
			  fixture_vmstat(f.e, "pgscan_kswapd") +
			  fixture_vmstat(f.e, "pgscan_direct"));
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgsteal_anon") +
			  fixture_vmstat(f.e, "pgsteal_file"),
			  fixture_vmstat(f.e, "pgsteal_kswapd") +
			  fixture_vmstat(f.e, "pgsteal_direct"));
	ck_assert_uint_gt(fixture_vmstat(f.e, "workingset_refault"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "workingset_refault_anon") +
			  fixture_vmstat(f.e, "workingset_refault_file"),
			  fixture_vmstat(f.e, "workingset_refault"));
	ck_assert_uint_eq(fixture_vmstat(f.e, "workingset_activate_anon") +
			  fixture_vmstat(f.e, "workingset_activate_file"),
			  fixture_vmstat(f.e, "workingset_activate"));
	ck_assert_uint_eq(fixture_vmstat(f.e, "workingset_restore_anon") +
			  fixture_vmstat(f.e, "workingset_restore_file"),
			  fixture_vmstat(f.e, "workingset_restore"));
	lock(f.e);
	ck_assert_uint_eq(fixture_vmstat(f.e, "workingset_nodes"), f.e->nr_shadow_nodes);
	unlock(f.e);
	fixture_verify(&f, id, arena_pages, 9);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	fixture_teardown(&f);
}
END_TEST

/* memory.stat pgfault/pgmajfault move with the group's faults; a touch reports its own. */
START_TEST(test_memcg_fault_counters_and_touch_counts)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 32 };
	struct rcl_fault_counts c;
	struct fixture f;
	uint32_t cg, id, fid;

	fixture_setup(&f, 16, 16, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "flt", &cg), 0);
	spec.memcg_id = cg;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	ck_assert_int_eq(rcl_region_touch_counted(f.e, id, 0, 32, true, &c), 0);
	ck_assert_uint_eq(c.minor, 32);
	ck_assert_uint_eq(c.major, 0);
	ck_assert_uint_eq(fixture_memcg_value(f.e, cg, false, "pgfault"), 32);
	ck_assert_uint_eq(fixture_memcg_value(f.e, cg, false, "pgmajfault"), 0);
	/* A file region of the group: the first fault waits for the read around it, the
	 * other 63 find their pages cached or mapped around. */
	fixture_file(&f, "ff", 64 * PAGE);
	spec.type = RCL_REGION_FILE;
	spec.path = "ff";
	spec.nr_pages = 64;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &fid), 0);
	ck_assert_int_eq(rcl_region_touch_counted(f.e, fid, 0, 64, false, &c), 0);
	ck_assert_uint_eq(c.major, 1);
	ck_assert_uint_eq(c.minor, 63);
	ck_assert_uint_eq(fixture_memcg_value(f.e, cg, false, "pgfault"), 32 + 64);
	ck_assert_uint_eq(fixture_memcg_value(f.e, cg, false, "pgmajfault"), 1);
	ck_assert_uint_eq(fixture_memcg_value(f.e, RCL_MEMCG_ROOT, false, "pgmajfault"), 1);
	ck_assert_int_eq(rcl_region_touch_counted(f.e, id, 30, 5, false, &c), -EINVAL);
	ck_assert_int_eq(rcl_region_free(f.e, fid), 0);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	fixture_teardown(&f);
}
END_TEST

/* A memcg-limited cache: shadow nodes are capped by the memcg's own LRU size and pruned. */
START_TEST(test_memcg_shadow_nodes_pruned)
{
	const unsigned long n = 4096;
	struct fixture f;
	struct rcl_file *file;
	struct mem_cgroup *m;
	uint64_t usage;
	unsigned long p;
	char buf[PAGE];
	uint32_t cg;
	size_t got;

	fixture_setup(&f, 64, 0, 1);
	fixture_file(&f, "lim", n * PAGE);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "lim", &cg), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, cg, RCL_MEMCG_MAX, 1 * MiB), 0);
	ck_assert_int_eq(rcl_file_open(f.e, "lim", cg, &file), 0);
	ck_assert_int_eq(rcl_memcg_delete(f.e, cg), -EBUSY);	/* an open file charges it */
	for (p = 0; p < n; p++)
		ck_assert_int_eq(rcl_file_pread(file, p * PAGE, buf, PAGE, &got), 0);
	ck_assert_int_eq(rcl_memcg_usage(f.e, cg, &usage), 0);
	ck_assert_uint_le(usage, 1 * MiB);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pgsteal_file"), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "workingset_nodereclaim"), 0);
	ck_assert_uint_gt(fixture_memcg_value(f.e, cg, false, "workingset_nodereclaim"), 0);
	lock(f.e);
	m = mem_cgroup_from_id(f.e, cg);
	/* The arena would allow 2048 leaves; the group's 256 pages allow 32 (and a few more
	 * may have appeared since its last reclaim). */
	ck_assert_uint_le(m->nr_shadow_nodes, (1 * MiB / PAGE) / 8 + 2);
	unlock(f.e);
	rcl_file_close(file);
	/* Its cache does not keep it from being deleted. */
	ck_assert_int_eq(rcl_memcg_delete(f.e, cg), 0);
	fixture_teardown(&f);
}
END_TEST

/* A deleted group's pages are scraped out before a live group's (spec 7's offline rule). */
START_TEST(test_offline_memcg_reclaimed_first)
{
	const unsigned long n = 1024;
	struct fixture f;
	uint64_t a0, b0, a1, b1, reclaimed;
	struct mem_cgroup *a;
	uint32_t A, B;
	char buf[PAGE];
	unsigned long p;
	size_t got;

	fixture_setup(&f, 32, 0, 1);
	fixture_file(&f, "fa", n * PAGE);
	fixture_file(&f, "fb", n * PAGE);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "a", &A), 0);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "b", &B), 0);
	for (p = 0; p < n; p++) {
		ck_assert_int_eq(rcl_file_read_memcg(f.e, "fa", A, p * PAGE, buf, PAGE, &got), 0);
		ck_assert_int_eq(rcl_file_read_memcg(f.e, "fb", B, p * PAGE, buf, PAGE, &got), 0);
	}
	lock(f.e);
	a = mem_cgroup_from_id(f.e, A);
	unlock(f.e);
	ck_assert_int_eq(rcl_memcg_delete(f.e, A), 0);
	lock(f.e);
	a0 = (uint64_t)mem_cgroup_usage(a);
	unlock(f.e);
	ck_assert_int_eq(rcl_memcg_usage(f.e, B, &b0), 0);
	b0 /= PAGE;
	ck_assert_uint_eq(a0, n);
	ck_assert_uint_eq(b0, n);
	/* Reclaim from the root: the pass at DEF_PRIORITY scans nothing of a live 1024-page
	 * list (1024 >> 12 == 0) but 32 pages of the offline one, which is enough. */
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, RCL_MEMCG_ROOT, 32, &reclaimed), 0);
	lock(f.e);
	a1 = (uint64_t)mem_cgroup_usage(a);
	unlock(f.e);
	ck_assert_int_eq(rcl_memcg_usage(f.e, B, &b1), 0);
	b1 /= PAGE;
	fprintf(stderr, "# reclaim 32: offline group %lu -> %lu, live group %lu -> %lu\n",
		(unsigned long)a0, (unsigned long)a1, (unsigned long)b0, (unsigned long)b1);
	ck_assert_uint_ge(a0 - a1, 32);
	ck_assert_uint_eq(b1, b0);
	fixture_teardown(&f);
}
END_TEST

/*
 * A synthetic trace (a zipf-like hot set, a loop larger than the cache, a one-off scan)
 * replayed in-process as buffered reads in a memcg-limited cache: the misses (pages read
 * from the file) are the same on every run of a fresh engine.
 */
static uint64_t replay_misses(unsigned int seed)
{
	const unsigned long footprint = 2048, accesses = 20000;
	struct fixture f;
	struct rcl_file *file;
	uint64_t x = 0x9E3779B97F4A7C15ULL ^ seed, in;
	unsigned long i;
	char buf[PAGE];
	uint32_t cg;
	size_t got;

	fixture_setup(&f, 32, 0, 1);
	ck_assert_int_eq(rcl_file_create(f.e, "replay", footprint * PAGE), 0);
	ck_assert_uint_eq(cached_pages(f.e, "replay"), 0);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "replay", &cg), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, cg, RCL_MEMCG_MAX, 2 * MiB), 0);
	ck_assert_int_eq(rcl_file_open(f.e, "replay", cg, &file), 0);
	ck_assert_int_eq(rcl_file_advise(file, 0, 0, RCL_FADV_RANDOM), 0);
	in = fixture_vmstat(f.e, "pgpgin");
	for (i = 0; i < accesses; i++) {
		unsigned long page;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (i % 3 == 0)					/* hot: 1/k-ish skew */
			page = (unsigned long)((x % 64) * (x % 64) / 8);
		else if (i % 3 == 1)				/* a loop over 1024 pages */
			page = 512 + (i / 3) % 1024;
		else						/* a scan, once */
			page = 1536 + (i / 3) % 512;
		ck_assert_int_eq(rcl_file_pread(file, page * PAGE, buf, PAGE, &got), 0);
	}
	in = fixture_vmstat(f.e, "pgpgin") - in;
	rcl_file_close(file);
	fixture_teardown(&f);
	return in / KIB_PER_PAGE;
}

START_TEST(test_replay_is_deterministic)
{
	uint64_t first = replay_misses(1), second = replay_misses(1);

	fprintf(stderr, "# replay misses: %lu then %lu\n", (unsigned long)first,
		(unsigned long)second);
	ck_assert_uint_gt(first, 2048);		/* more than the footprint: the cache is small */
	ck_assert_uint_eq(first, second);
}
END_TEST

/* Bad arguments change nothing. */
START_TEST(test_file_api_bad_input)
{
	struct fixture f;
	struct rcl_file *file = NULL;
	char buf[8];
	size_t got;
	uint32_t cg;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_file_open(f.e, "absent", 0, &file), -ENOENT);
	ck_assert_int_eq(rcl_file_open(f.e, "../x", 0, &file), -EPERM);
	ck_assert_int_eq(rcl_file_open(f.e, "/etc/hostname", 0, &file), -EINVAL);
	ck_assert_int_eq(rcl_file_create(f.e, "made", 3 * PAGE), 0);
	ck_assert_int_eq(rcl_file_open(f.e, "made", 999, &file), -ENOENT);
	ck_assert_ptr_null(file);
	ck_assert_int_eq(rcl_file_open(f.e, "made", 0, &file), 0);
	ck_assert_int_eq(rcl_file_pread(file, UINT64_MAX - 2, buf, 8, &got), -EINVAL);
	ck_assert_int_eq(rcl_file_pread(file, 0, NULL, 8, &got), -EINVAL);
	ck_assert_int_eq(rcl_file_pread(file, 3 * PAGE, buf, 8, &got), 0);	/* at EOF */
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(rcl_file_pwrite(file, 3 * PAGE, "tail", 4), 0);
	ck_assert_int_eq(rcl_file_pread(file, 3 * PAGE, buf, 8, &got), 0);
	ck_assert_uint_eq(got, 4);
	rcl_file_close(file);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "gone", &cg), 0);
	ck_assert_int_eq(rcl_memcg_delete(f.e, cg), 0);
	ck_assert_int_eq(rcl_file_write_memcg(f.e, "made", cg, 0, "x", 1), -ENOENT);
	fixture_teardown(&f);
}
END_TEST

static bool file_page_dirty(struct rcl_engine *e, const char *path, unsigned long index)
{
	struct address_space *m;
	pgcache_slot_t s;
	bool dirty;

	lock(e);
	m = file_mapping(e, path);
	ck_assert_ptr_nonnull(m);
	s = page_cache_slot(m, index);
	ck_assert(slot_is_page(s));
	dirty = PageDirty(pfn_to_page(e, slot_pfn(s)));
	unlock(e);
	return dirty;
}

/*
 * Background writeback goes on from where its last chunk stopped (the kernel's range_cyclic,
 * mapping->writeback_index), not from the start of the file each time: the pages dirtied
 * first are written first, and a file written chunk by chunk is walked once, not once per
 * chunk. A writer dirties pages 0..N-1 one call at a time: above the background threshold
 * each call's flush writes the oldest dirty page, leaving the last BG dirty. The writer then
 * rewrites pages 0..BG/2-1: each flush goes on at page N-BG (dirty since the first pass),
 * so pages 0..BG/2-1 stay dirty and N-BG..N-BG/2-1 are written. Starting from the file's
 * start each time would write each rewritten page at once and leave N-BG.. dirty.
 */
START_TEST(test_background_writeback_is_cyclic)
{
	const unsigned long n = 2048;
	unsigned long p, bg;
	struct fixture f;
	char page[PAGE];

	fixture_setup(&f, 16, 0, 1);
	fixture_file(&f, "w", n * PAGE);
	memset(page, 0x3c, sizeof(page));
	for (p = 0; p < n; p++)
		ck_assert_int_eq(rcl_file_write(f.e, "w", p * PAGE, page, PAGE), 0);
	bg = fixture_vmstat(f.e, "nr_dirty");
	fprintf(stderr, "# %lu pages written, %lu left dirty (the background threshold)\n", n, bg);
	ck_assert_uint_gt(bg, 8);
	ck_assert_uint_lt(bg, n / 2);
	ck_assert(!file_page_dirty(f.e, "w", 0));
	ck_assert(file_page_dirty(f.e, "w", n - 1));
	ck_assert(file_page_dirty(f.e, "w", n - bg));

	for (p = 0; p < bg / 2; p++)
		ck_assert_int_eq(rcl_file_write(f.e, "w", p * PAGE, page, PAGE), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_dirty"), bg);
	for (p = 0; p < bg / 2; p++)
		ck_assert_msg(file_page_dirty(f.e, "w", p), "rewritten page %lu was written first",
			      p);
	ck_assert(!file_page_dirty(f.e, "w", n - bg));
	ck_assert(file_page_dirty(f.e, "w", n - 1));
	fixture_teardown(&f);
}
END_TEST

/*
 * A writer of a daemon paused over the dirty threshold is woken by writeback ending, and
 * writeback ends when someone runs the writes' completions: the paused writer does, for the
 * file writes in flight, as the kernel's I/O interrupt would while it sleeps. A file of the
 * arena's size written 16 pages a call through io_uring: no pause taken with file writes in
 * flight ends before one of them is done. It used to sleep on a condition that only those
 * writes' completions signal, which nobody ran: it slept out its 200 ms, again and again,
 * and the writer crawled at a few hundred pages every flusher period (5 s).
 */
START_TEST(test_dirty_throttle_waits_for_writeback)
{
	const unsigned long n = 4096, chunk = 16;
	static char buf[16 * PAGE];
	struct rcl_file *file;
	struct fixture f;
	unsigned long p;

	fixture_setup_io(&f, 16, 0, 1, true);
	if (io_engine_backend(f.e->file_io) != IO_BACKEND_URING) {
		fixture_teardown(&f);
		rcl_skip("no io_uring here: file writes complete where they are submitted");
	}
	/* A threshold of a few dozen pages, which a writer's memcpy outruns on any machine
	 * (slowed by a sanitizer or not) while the writes take milliseconds: it pauses. */
	ck_assert_int_eq(rcl_tunable_set(f.e, RCL_TUNABLE_DIRTY_RATIO, 1), 0);
	ck_assert_int_eq(rcl_tunable_set(f.e, RCL_TUNABLE_DIRTY_BACKGROUND_RATIO, 1), 0);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	ck_assert_int_eq(rcl_thread_attach(f.e), 0);
	fixture_file(&f, "w", n * PAGE);
	ck_assert_int_eq(rcl_file_open(f.e, "w", 0, &file), 0);
	memset(buf, 0x5a, sizeof(buf));
	for (p = 0; p < n; p += chunk)
		ck_assert_int_eq(rcl_file_pwrite(file, p * PAGE, buf, chunk * PAGE), 0);
	rcl_file_close(file);
	fprintf(stderr, "# %lu pages written: %llu pauses, %llu with writes in flight and none "
		"done\n", n, (unsigned long long)f.e->nr_dirty_pauses,
		(unsigned long long)f.e->nr_dirty_pauses_idle);
	ck_assert_uint_gt(f.e->nr_dirty_pauses, 0);
	ck_assert_uint_eq(f.e->nr_dirty_pauses_idle, 0);
	rcl_thread_detach(f.e);
	rcl_engine_stop_threads(f.e);
	fixture_teardown(&f);
}
END_TEST

/*
 * Swap-in of a region read in order, 32 pages a request, as a client verifies what it stored:
 * the region was swapped out in order, so its pages lie in consecutive slots, and each
 * request's read submits the slots after its own without waiting for them
 * (swapin_readahead's async window). Only the first request waits for a read of its own
 * (one major fault); the others find their pages in the swap cache, read or under I/O. Every
 * page is read exactly once, and every byte is the one written.
 */
#define SEQ_PAGES	512
#define SEQ_REQUEST	32

static void sequential_swapin_waits_once(bool async)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = SEQ_PAGES };
	char *buf = malloc(SEQ_REQUEST * PAGE);
	uint64_t majflt, pswpin, p, i, reclaimed;
	struct io_stats before, after;
	struct fixture f;
	uint32_t id, root;

	ck_assert_ptr_nonnull(buf);
	fixture_setup_io(&f, 32, 16, 1, async);
	if (async) {
		ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
		ck_assert_int_eq(rcl_thread_attach(f.e), 0);
	}
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, SEQ_PAGES, 11);
	/* Paged out in order, so in consecutive slots; then written, the frames are taken
	 * back from the swap cache by reclaim. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, SEQ_PAGES, RCL_MADV_PAGEOUT), 0);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "/", &root), 0);
	rcl_memcg_reclaim(f.e, root, 4 * SEQ_PAGES, &reclaimed);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout"), SEQ_PAGES);
	majflt = fixture_vmstat(f.e, "pgmajfault");
	pswpin = fixture_vmstat(f.e, "pswpin");
	io_engine_stats(f.e->swap->io, &before);
	for (p = 0; p < SEQ_PAGES; p += SEQ_REQUEST) {
		ck_assert_int_eq(rcl_region_read(f.e, id, p * PAGE, buf, SEQ_REQUEST * PAGE), 0);
		for (i = 0; i < SEQ_REQUEST; i++)
			ck_assert_msg(check_pattern(buf + i * PAGE, PAGE, 11, (p + i) * PAGE),
				      "page %llu differs", (unsigned long long)(p + i));
	}
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgmajfault") - majflt, 1);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpin") - pswpin, SEQ_PAGES);
	io_engine_stats(f.e->swap->io, &after);
	if (io_engine_backend(f.e->swap->io) == IO_BACKEND_URING) {
		/* The fault's own read went on this thread's own ring (io.c), which it waited
		 * on alone; the windows nobody waits for at once went on the shared ring. */
		ck_assert_uint_ge(after.own - before.own, 1);
		ck_assert_uint_lt(after.own - before.own, after.reads - before.reads);
	} else {
		ck_assert_uint_eq(after.own, before.own);
	}
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	if (async) {
		rcl_thread_detach(f.e);
		rcl_engine_stop_threads(f.e);
	}
	free(buf);
	fixture_teardown(&f);
}

START_TEST(test_sequential_swapin_reads_ahead)
{
	sequential_swapin_waits_once(false);
}
END_TEST

/* The same with reads through io_uring and the daemon's threads: the window's pages are still
 * under I/O when the next request faults on them, and it waits for those reads, not its own.
 * The one read a fault waits for itself goes on the faulting thread's own ring. */
START_TEST(test_sequential_swapin_reads_ahead_async)
{
	sequential_swapin_waits_once(true);
}
END_TEST

/*
 * A readahead window whose read fails loses nothing: its pages leave the swap cache (their
 * slots keep the data) and are never handed out; the request that wants them reads them
 * itself, one more wait, and gets every byte.
 */
START_TEST(test_failed_swapin_readahead_is_read_again)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = SEQ_PAGES };
	char *buf = malloc(SEQ_REQUEST * PAGE);
	uint64_t majflt, p, i, reclaimed;
	struct fixture f;
	uint32_t id, root;

	ck_assert_ptr_nonnull(buf);
	fixture_setup(&f, 32, 16, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, SEQ_PAGES, 12);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, SEQ_PAGES, RCL_MADV_PAGEOUT), 0);
	ck_assert_int_eq(rcl_memcg_lookup(f.e, "/", &root), 0);
	rcl_memcg_reclaim(f.e, root, 4 * SEQ_PAGES, &reclaimed);
	majflt = fixture_vmstat(f.e, "pgmajfault");
	/* Read 1 is the first request's own (its 32 slots are consecutive); read 2 the first
	 * window ahead of it. */
	io_inject_fault(f.e->swap->io, false, 2, -EIO);
	for (p = 0; p < SEQ_PAGES; p += SEQ_REQUEST) {
		ck_assert_int_eq(rcl_region_read(f.e, id, p * PAGE, buf, SEQ_REQUEST * PAGE), 0);
		for (i = 0; i < SEQ_REQUEST; i++)
			ck_assert_msg(check_pattern(buf + i * PAGE, PAGE, 12, (p + i) * PAGE),
				      "page %llu differs", (unsigned long long)(p + i));
	}
	ck_assert_uint_eq(fixture_vmstat(f.e, "pgmajfault") - majflt, 2);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	free(buf);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("readahead");
	TCase *tc = tcase_create("readahead");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sequential_read_is_windowed);
	tcase_add_test(tc, test_sequential_faults_read_around);
	tcase_add_test(tc, test_fadv_random_reads_exactly);
	tcase_add_test(tc, test_madv_random_faults_exactly);
	tcase_add_test(tc, test_fadvise_willneed_dontneed);
	tcase_add_test(tc, test_background_writeback_is_cyclic);
	tcase_add_test(tc, test_dirty_throttle_waits_for_writeback);
	tcase_add_test(tc, test_pgpgin_pgpgout_in_kib);
	tcase_add_test(tc, test_split_counters_add_up);
	tcase_add_test(tc, test_memcg_fault_counters_and_touch_counts);
	tcase_add_test(tc, test_memcg_shadow_nodes_pruned);
	tcase_add_test(tc, test_offline_memcg_reclaimed_first);
	tcase_add_test(tc, test_replay_is_deterministic);
	tcase_add_test(tc, test_file_api_bad_input);
	tcase_add_test(tc, test_sequential_swapin_reads_ahead);
	tcase_add_test(tc, test_sequential_swapin_reads_ahead_async);
	tcase_add_test(tc, test_failed_swapin_readahead_is_read_again);
	suite_add_tcase(s, tc);
	return s;
}
