/*
 * check_swapfile - the swap device: the file on disk, slot allocation with clusters, the swap
 * map counts, and page I/O with checksums and fault injection through both I/O backends.
 *
 * Every test makes a 16 MiB engine and a 4 MiB swap file (1024 slots, 4 clusters) in a fresh
 * directory under $TMPDIR (or /tmp).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beside-lock.h"
#include "check-main.h"
#include "internal.h"

#define MiB		(1ULL << 20)
#define SWAP_BYTES	(4 * MiB)
#define NR_SLOTS	1024u			/* SWAP_BYTES / PAGE_SIZE */
#define PG		4096

struct swap_fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct rcl_engine *e;
	struct swap_info_struct *si;
};

static void fixture_engine(struct swap_fixture *f)
{
	const char *tmp = getenv("TMPDIR");
	struct rcl_config c;

	rcl_config_defaults(&c);
	c.arena_bytes = 16 * MiB;
	ck_assert_int_eq(rcl_engine_new(&c, &f->e), 0);
	snprintf(f->dir, sizeof(f->dir), "%s/rcl-swap-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/swapfile", f->dir);
}

/* An engine with swap on @backend; the test is skipped where io_uring is unavailable. */
static void fixture_setup(struct swap_fixture *f, bool buffered, int backend)
{
	int err;

	fixture_engine(f);
	err = swapon(f->e, f->path, SWAP_BYTES, buffered, (enum io_backend)backend);
	if (err == -ENOSYS && backend == IO_BACKEND_URING)
		rcl_skip("io_uring unavailable here");
	ck_assert_int_eq(err, 0);
	f->si = f->e->swap;
	ck_assert_ptr_nonnull(f->si);
}

static void fixture_teardown(struct swap_fixture *f)
{
	swapoff(f->e);
	ck_assert_ptr_null(f->e->swap);
	unlink(f->path);
	rmdir(f->dir);
	rcl_engine_free(f->e);
}

static uint8_t map_byte(struct swap_fixture *f, uint32_t slot)
{
	return f->si->swap_map[slot];
}

/* swapcache_prepare as a swap-in calls it: under the slot's cluster lock; -ENOENT for an entry
 * that names no slot (no lock to take). */
static int prepare(struct rcl_engine *e, swp_entry_t entry)
{
	struct swap_cluster_info *ci = swap_cluster_lock(e, entry);
	int err = ci ? swapcache_prepare(e, entry) : -ENOENT;

	if (ci)
		swap_cluster_unlock(ci);
	return err;
}

/* ---- the file -------------------------------------------------------------------------- */

START_TEST(test_swapon_file)
{
	struct swap_fixture f;
	struct swap_header hdr;
	struct stat st;
	int fd;

	fixture_setup(&f, _i, IO_BACKEND_SYNC);
	ck_assert_int_eq(stat(f.path, &st), 0);
	ck_assert_int_eq(st.st_size, SWAP_BYTES);
	ck_assert_int_ge((long long)st.st_blocks * 512, SWAP_BYTES);	/* no holes */

	fd = open(f.path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &hdr, sizeof(hdr), 0), sizeof(hdr));
	close(fd);
	ck_assert_str_eq(hdr.magic, SWAP_HEADER_MAGIC);
	ck_assert_uint_eq(hdr.version, SWAP_HEADER_VERSION);
	ck_assert_uint_eq(hdr.page_size, PG);
	ck_assert_uint_eq(hdr.nr_slots, NR_SLOTS);

	/* O_DIRECT unless buffered was asked for (loop index 1). */
	ck_assert_int_eq(!!(fcntl(f.si->fd, F_GETFL) & O_DIRECT), !_i);
	ck_assert_int_eq(f.si->direct, !_i);
	ck_assert_uint_eq(f.si->max, NR_SLOTS);
	ck_assert_uint_eq(f.si->nr_clusters, NR_SLOTS / SWAPFILE_CLUSTER);
	ck_assert_int_eq(total_swap_pages(f.e), NR_SLOTS - 1);
	ck_assert_int_eq(get_nr_swap_pages(f.e), NR_SLOTS - 1);
	ck_assert_uint_eq(map_byte(&f, 0), SWAP_MAP_BAD);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_swapon_errors)
{
	struct swap_fixture f;
	char missing[PATH_MAX + 16];

	fixture_engine(&f);
	ck_assert_int_eq(swapon(f.e, f.path, 2 * SWAPFILE_CLUSTER * PG - 1, false,
				IO_BACKEND_SYNC), -EINVAL);
	snprintf(missing, sizeof(missing), "%s/no/such", f.dir);
	ck_assert_int_eq(swapon(f.e, missing, SWAP_BYTES, false, IO_BACKEND_SYNC), -ENOENT);
	ck_assert_ptr_null(f.e->swap);
	ck_assert_int_eq(total_swap_pages(f.e), 0);
	ck_assert_int_eq(get_swap_page(f.e).val, 0);
	ck_assert(!vm_swap_full(f.e));

	ck_assert_int_eq(swapon(f.e, f.path, SWAP_BYTES, false, IO_BACKEND_SYNC), 0);
	ck_assert_int_eq(swapon(f.e, f.path, SWAP_BYTES, false, IO_BACKEND_SYNC), -EBUSY);
	f.si = f.e->swap;
	fixture_teardown(&f);
}
END_TEST

/* ---- allocation ------------------------------------------------------------------------ */

/* Slot 0 is never handed out; a cluster's slots come in order, then the next cluster's. */
START_TEST(test_alloc_sequential_clusters)
{
	struct swap_fixture f;
	swp_entry_t e[SWAPFILE_CLUSTER];
	int i;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	ck_assert_int_eq(get_swap_pages(f.e, 32, e), 32);
	for (i = 0; i < 32; i++) {
		ck_assert_uint_eq(swp_offset(e[i]), 1 + i);
		ck_assert_uint_eq(map_byte(&f, swp_offset(e[i])), SWAP_HAS_CACHE);
		ck_assert_int_eq(__swap_count(f.e, e[i]), 0);
	}
	/* The rest of cluster 0 (slots 33..255), then cluster 1 starts at 256. */
	ck_assert_int_eq(get_swap_pages(f.e, SWAPFILE_CLUSTER - 33, e), SWAPFILE_CLUSTER - 33);
	ck_assert_uint_eq(swp_offset(e[SWAPFILE_CLUSTER - 34]), SWAPFILE_CLUSTER - 1);
	ck_assert_int_eq(get_swap_pages(f.e, 2, e), 2);
	ck_assert_uint_eq(swp_offset(e[0]), SWAPFILE_CLUSTER);
	ck_assert_uint_eq(swp_offset(e[1]), SWAPFILE_CLUSTER + 1);
	ck_assert_int_eq(get_nr_swap_pages(f.e), NR_SLOTS - 1 - 257);
	ck_assert_int_eq(atomic_load(&f.si->inuse_pages), 257);
	fixture_teardown(&f);
}
END_TEST

struct alloc_thread {
	struct swap_fixture *f;
	pthread_barrier_t *both;
	swp_entry_t e[4];
	int got;
};

static void *alloc_thread(void *p)
{
	struct alloc_thread *a = p;

	ck_assert_int_eq(rcl_thread_attach(a->f->e), 0);
	a->got = get_swap_pages(a->f->e, 2, a->e);
	pthread_barrier_wait(a->both);		/* interleave: both hold a cluster now */
	a->got += get_swap_pages(a->f->e, 2, a->e + 2);
	pthread_barrier_wait(a->both);
	rcl_thread_detach(a->f->e);
	return NULL;
}

/* Two attached threads each get a cluster of their own and stay consecutive in it. */
START_TEST(test_alloc_threads_own_clusters)
{
	struct swap_fixture f;
	struct alloc_thread a[2];
	pthread_barrier_t both;
	pthread_t tid[2];
	int i, j;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	pthread_barrier_init(&both, NULL, 2);
	for (i = 0; i < 2; i++) {
		a[i] = (struct alloc_thread){ .f = &f, .both = &both };
		ck_assert_int_eq(pthread_create(&tid[i], NULL, alloc_thread, &a[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&both);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(a[i].got, 4);
		for (j = 1; j < 4; j++)
			ck_assert_uint_eq(swp_offset(a[i].e[j]), swp_offset(a[i].e[0]) + j);
	}
	ck_assert_uint_ne(swp_offset(a[0].e[0]) / SWAPFILE_CLUSTER,
			  swp_offset(a[1].e[0]) / SWAPFILE_CLUSTER);
	fixture_teardown(&f);
}
END_TEST

/* Every usable slot once, then nothing; a slot freed in a busy cluster is found by the scan. */
START_TEST(test_alloc_until_full)
{
	static bool seen[NR_SLOTS];
	struct swap_fixture f;
	swp_entry_t e[64];
	int total = 0, n, i, rounds;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	memset(seen, 0, sizeof(seen));
	for (rounds = 0; rounds < (int)NR_SLOTS / 64 + 2; rounds++) {
		n = get_swap_pages(f.e, 64, e);
		for (i = 0; i < n; i++) {
			uint32_t s = swp_offset(e[i]);

			ck_assert_uint_gt(s, 0);
			ck_assert_uint_lt(s, NR_SLOTS);
			ck_assert_msg(!seen[s], "slot %u handed out twice", s);
			seen[s] = true;
		}
		total += n;
		if (!n)
			break;
	}
	ck_assert_int_eq(total, NR_SLOTS - 1);
	ck_assert_int_eq(get_nr_swap_pages(f.e), 0);
	ck_assert_int_eq(get_swap_page(f.e).val, 0);

	put_swap_page(f.e, swp_entry(600));
	ck_assert_int_eq(get_nr_swap_pages(f.e), 1);
	ck_assert_uint_eq(f.si->free_cluster_head, UINT32_MAX);	/* cluster 2 is not free */
	ck_assert_uint_eq(get_swap_page(f.e).val, 600);
	ck_assert_int_eq(get_swap_page(f.e).val, 0);
	fixture_teardown(&f);
}
END_TEST

/* A cluster whose last slot is freed goes back on the free list, at the tail. */
START_TEST(test_cluster_freed_to_list)
{
	struct swap_fixture f;
	swp_entry_t e[2 * SWAPFILE_CLUSTER];
	int i;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	/* Clusters 0 and 1 entirely, and the first slot of cluster 2. */
	ck_assert_int_eq(get_swap_pages(f.e, 2 * SWAPFILE_CLUSTER, e), 2 * SWAPFILE_CLUSTER);
	ck_assert_uint_eq(swp_offset(e[2 * SWAPFILE_CLUSTER - 1]), 2 * SWAPFILE_CLUSTER);
	ck_assert_uint_eq(f.si->free_cluster_head, 3);
	ck_assert_uint_eq(f.si->free_cluster_tail, 3);
	for (i = SWAPFILE_CLUSTER - 1; i < 2 * SWAPFILE_CLUSTER - 2; i++) {
		ck_assert_uint_eq(swp_offset(e[i]) / SWAPFILE_CLUSTER, 1);
		put_swap_page(f.e, e[i]);
	}
	ck_assert_uint_eq(f.si->free_cluster_tail, 3);		/* one slot of cluster 1 is left */
	put_swap_page(f.e, e[2 * SWAPFILE_CLUSTER - 2]);	/* slot 511 */
	ck_assert_uint_eq(f.si->free_cluster_tail, 1);
	ck_assert_uint_eq(f.si->free_cluster_head, 3);
	fixture_teardown(&f);
}
END_TEST

/* ---- counts ---------------------------------------------------------------------------- */

START_TEST(test_counts)
{
	struct swap_fixture f;
	swp_entry_t e;
	long free0;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	free0 = get_nr_swap_pages(f.e);
	e = get_swap_page(f.e);
	ck_assert_uint_ne(e.val, 0);
	ck_assert_int_eq(get_nr_swap_pages(f.e), free0 - 1);
	ck_assert(swap_entry_valid(f.e, e));

	/* Two page-table entries, then the swap cache page goes: still in use. */
	ck_assert_int_eq(swap_duplicate(f.e, e), 0);
	ck_assert_int_eq(swap_duplicate(f.e, e), 0);
	ck_assert_int_eq(__swap_count(f.e, e), 2);
	ck_assert_uint_eq(map_byte(&f, e.val), 2 | SWAP_HAS_CACHE);
	ck_assert(!put_swap_page(f.e, e));			/* still in use */
	ck_assert_uint_eq(map_byte(&f, e.val), 2);
	ck_assert(swap_entry_valid(f.e, e));

	/* A swap-in claims the cache bit once. */
	ck_assert_int_eq(prepare(f.e, e), 0);
	ck_assert_int_eq(prepare(f.e, e), -EEXIST);
	swap_free(f.e, e);
	swap_free(f.e, e);
	ck_assert_int_eq(__swap_count(f.e, e), 0);
	ck_assert(swap_entry_valid(f.e, e));			/* the cache still holds it */
	ck_assert_int_eq(get_nr_swap_pages(f.e), free0 - 1);
	ck_assert(put_swap_page(f.e, e));			/* this put freed it */

	/* Now free: everything refuses it, and the space is back. */
	ck_assert_uint_eq(map_byte(&f, e.val), 0);
	ck_assert(!swap_entry_valid(f.e, e));
	ck_assert_int_eq(get_nr_swap_pages(f.e), free0);
	ck_assert_int_eq(prepare(f.e, e), -ENOENT);
	ck_assert_int_eq(swap_duplicate(f.e, e), -EINVAL);
	swap_free(f.e, e);					/* ignored */
	put_swap_page(f.e, e);
	ck_assert_int_eq(get_nr_swap_pages(f.e), free0);

	/* Entry 0 and entries past the end are no slots. */
	ck_assert(!swap_entry_valid(f.e, swp_entry(0)));
	ck_assert(!swap_entry_valid(f.e, swp_entry(NR_SLOTS)));
	ck_assert_int_eq(swap_duplicate(f.e, swp_entry(NR_SLOTS)), -EINVAL);
	ck_assert_int_eq(prepare(f.e, swp_entry(0)), -ENOENT);
	fixture_teardown(&f);
}
END_TEST

/* The last page-table reference frees a slot whose cache page went first. */
START_TEST(test_free_by_last_reference)
{
	struct swap_fixture f;
	swp_entry_t e;
	long free0;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	free0 = get_nr_swap_pages(f.e);
	e = get_swap_page(f.e);
	ck_assert_int_eq(swap_duplicate(f.e, e), 0);
	put_swap_page(f.e, e);
	ck_assert_int_eq(get_nr_swap_pages(f.e), free0 - 1);
	swap_free(f.e, e);
	ck_assert_uint_eq(map_byte(&f, e.val), 0);
	ck_assert_int_eq(get_nr_swap_pages(f.e), free0);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_swap_map_max)
{
	struct swap_fixture f;
	swp_entry_t e;
	int i;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	e = get_swap_page(f.e);
	for (i = 0; i < SWAP_MAP_MAX; i++)
		ck_assert_int_eq(swap_duplicate(f.e, e), 0);
	ck_assert_int_eq(swap_duplicate(f.e, e), -ENOSPC);
	ck_assert_int_eq(__swap_count(f.e, e), SWAP_MAP_MAX);
	ck_assert_uint_eq(map_byte(&f, e.val), SWAP_MAP_MAX | SWAP_HAS_CACHE);
	fixture_teardown(&f);
}
END_TEST

/* Full means free * 2 < total: 1023 slots, so full from the 512th slot in use. */
START_TEST(test_vm_swap_full)
{
	struct swap_fixture f;
	swp_entry_t e[511], one;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	ck_assert(!vm_swap_full(f.e));
	ck_assert_int_eq(get_swap_pages(f.e, 511, e), 511);
	ck_assert_int_eq(get_nr_swap_pages(f.e), 512);
	ck_assert(!vm_swap_full(f.e));
	one = get_swap_page(f.e);
	ck_assert(vm_swap_full(f.e));
	put_swap_page(f.e, one);
	ck_assert(!vm_swap_full(f.e));
	fixture_teardown(&f);
}
END_TEST

/* ---- page I/O -------------------------------------------------------------------------- */

/* What end_io reported for each page of a batch. */
struct done {
	_Atomic int calls[SWAPFILE_CLUSTER];
	_Atomic int err[SWAPFILE_CLUSTER];
};

static void done_end_io(void *private, int index, int err)
{
	struct done *d = private;

	atomic_store(&d->err[index], err);
	atomic_fetch_add(&d->calls[index], 1);
}

static void *pages_alloc(int nr, unsigned int seed, void **bufs)
{
	unsigned char *p;
	size_t i;

	ck_assert_int_eq(posix_memalign((void **)&p, PG, (size_t)nr * PG), 0);
	for (i = 0; i < (size_t)nr * PG; i++)
		p[i] = (unsigned char)rand_r(&seed);
	for (i = 0; i < (size_t)nr; i++)
		bufs[i] = p + i * PG;
	return p;
}

/* Run one swap_writepages/swap_readpages and wait for it; every page completed exactly once. */
static void swap_io(struct swap_fixture *f, bool write, const swp_entry_t *e, void **bufs,
		    int nr, struct done *d)
{
	int i;

	memset(d, 0, sizeof(*d));
	if (write)
		ck_assert_int_eq(swap_writepages(f->e, e, bufs, nr, done_end_io, d), 0);
	else
		ck_assert_int_eq(swap_readpages(f->e, e, bufs, nr, done_end_io, d, false), 0);
	io_wait_all(f->si->io);
	for (i = 0; i < nr; i++)
		ck_assert_int_eq(atomic_load(&d->calls[i]), 1);
}

static uint64_t io_count(struct swap_fixture *f, bool write)
{
	struct io_stats st;

	io_engine_stats(f->si->io, &st);
	return write ? st.writes : st.reads;
}

/* Random pages out and back in, through either backend: one request per run of slots. */
START_TEST(test_rw_roundtrip)
{
	enum { NR = 64 };
	static struct done d;
	struct swap_fixture f;
	void *out[NR], *in[NR], *rev[NR];
	swp_entry_t e[NR], r[NR];
	char *po, *pi;
	unsigned long out0, in0;
	uint64_t w0, r0;
	int i;

	fixture_setup(&f, false, _i);
	po = pages_alloc(NR, 11, out);
	pi = pages_alloc(NR, 12, in);
	ck_assert_int_eq(get_swap_pages(f.e, NR, e), NR);
	out0 = vm_event_read(f.e, PSWPOUT);
	in0 = vm_event_read(f.e, PSWPIN);

	w0 = io_count(&f, true);
	swap_io(&f, true, e, out, NR, &d);
	ck_assert_uint_eq(io_count(&f, true) - w0, 1);		/* 64 consecutive slots: one write */
	for (i = 0; i < NR; i++)
		ck_assert_int_eq(atomic_load(&d.err[i]), 0);
	ck_assert_uint_eq(vm_event_read(f.e, PSWPOUT) - out0, NR);

	r0 = io_count(&f, false);
	swap_io(&f, false, e, in, NR / 2, &d);			/* first half: one read */
	ck_assert_uint_eq(io_count(&f, false) - r0, 1);
	for (i = 0; i < NR / 2; i++) {
		r[i] = e[NR - 1 - i];				/* second half, backwards */
		rev[i] = in[NR - 1 - i];
	}
	swap_io(&f, false, r, rev, NR / 2, &d);
	ck_assert_uint_eq(io_count(&f, false) - r0, 1 + NR / 2);
	for (i = 0; i < NR / 2; i++)
		ck_assert_int_eq(atomic_load(&d.err[i]), 0);
	ck_assert_mem_eq(pi, po, (size_t)NR * PG);
	ck_assert_uint_eq(vm_event_read(f.e, PSWPIN) - in0, NR);

	free(po);
	free(pi);
	fixture_teardown(&f);
}
END_TEST

/* Runs break where slots stop being consecutive: 5,6,7 and 20,21 are two writes. */
START_TEST(test_write_runs)
{
	static struct done d;
	struct swap_fixture f;
	swp_entry_t all[32], e[5];
	void *bufs[5];
	char *p;
	uint64_t w0;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	ck_assert_int_eq(get_swap_pages(f.e, 32, all), 32);
	e[0] = swp_entry(5), e[1] = swp_entry(6), e[2] = swp_entry(7);
	e[3] = swp_entry(20), e[4] = swp_entry(21);
	p = pages_alloc(5, 13, bufs);
	w0 = io_count(&f, true);
	swap_io(&f, true, e, bufs, 5, &d);
	ck_assert_uint_eq(io_count(&f, true) - w0, 2);
	free(p);
	fixture_teardown(&f);
}
END_TEST

/* A byte changed on disk behind the engine's back is an I/O error for that page only. */
START_TEST(test_crc_mismatch)
{
	static struct done d;
	struct swap_fixture f;
	swp_entry_t e[4];
	void *bufs[4];
	char *p, *page;
	int fd;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	ck_assert_int_eq(get_swap_pages(f.e, 4, e), 4);
	p = pages_alloc(4, 14, bufs);
	swap_io(&f, true, e, bufs, 4, &d);

	/* Corrupt slot e[2] with O_DIRECT so that no page cache copy can hide it. */
	ck_assert_int_eq(posix_memalign((void **)&page, PG, PG), 0);
	fd = open(f.path, O_RDWR | O_DIRECT);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, page, PG, (off_t)swp_offset(e[2]) * PG), PG);
	page[100] ^= 0x01;
	ck_assert_int_eq(pwrite(fd, page, PG, (off_t)swp_offset(e[2]) * PG), PG);
	close(fd);

	swap_io(&f, false, e, bufs, 4, &d);
	ck_assert_int_eq(atomic_load(&d.err[0]), 0);
	ck_assert_int_eq(atomic_load(&d.err[1]), 0);
	ck_assert_int_eq(atomic_load(&d.err[2]), -EIO);
	ck_assert_int_eq(atomic_load(&d.err[3]), 0);
	free(page);
	free(p);
	fixture_teardown(&f);
}
END_TEST

/* A slot not written since it was allocated holds nothing: reading it is -EIO. */
START_TEST(test_read_unwritten)
{
	static struct done d;
	struct swap_fixture f;
	swp_entry_t e[2], more[64];
	void *bufs[2];
	int rounds;
	char *p;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	ck_assert_int_eq(get_swap_pages(f.e, 2, e), 2);
	p = pages_alloc(2, 15, bufs);
	swap_io(&f, true, e, bufs, 1, &d);		/* only the first */
	swap_io(&f, false, e, bufs, 2, &d);
	ck_assert_int_eq(atomic_load(&d.err[0]), 0);
	ck_assert_int_eq(atomic_load(&d.err[1]), -EIO);

	/* Freed and handed out again, a slot forgets what it held. Fill the device so that the
	 * next allocation can only be the freed slot. */
	for (rounds = 0; rounds < (int)NR_SLOTS / 64 + 2; rounds++)
		if (!get_swap_pages(f.e, 64, more))
			break;
	put_swap_page(f.e, e[0]);
	ck_assert_uint_eq(get_swap_page(f.e).val, swp_offset(e[0]));
	swap_io(&f, false, e, bufs, 1, &d);
	ck_assert_int_eq(atomic_load(&d.err[0]), -EIO);
	free(p);
	fixture_teardown(&f);
}
END_TEST

/* I/O on a slot that is not handed out is refused before anything starts. */
START_TEST(test_io_refused)
{
	static struct done d;
	struct swap_fixture f;
	swp_entry_t e[2];
	void *bufs[2];
	char *p;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	p = pages_alloc(2, 16, bufs);
	e[0] = get_swap_page(f.e);
	e[1] = swp_entry(swp_offset(e[0]) + 1);		/* free */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(swap_writepages(f.e, e, bufs, 2, done_end_io, &d), -EINVAL);
	ck_assert_int_eq(swap_readpages(f.e, e, bufs, 2, done_end_io, &d, false), -EINVAL);
	e[1] = swp_entry(0);
	ck_assert_int_eq(swap_writepages(f.e, e, bufs, 2, done_end_io, &d), -EINVAL);
	ck_assert_int_eq(swap_writepages(f.e, e, bufs, 0, done_end_io, &d), -EINVAL);
	/* A slot held by a page-table entry alone may be freed and handed to another page
	 * while the I/O is set up: only the holder of its swap cache page may read or write. */
	ck_assert_int_eq(swap_duplicate(f.e, e[0]), 0);
	ck_assert(!put_swap_page(f.e, e[0]));
	ck_assert_int_eq(swap_writepages(f.e, e, bufs, 1, done_end_io, &d), -EINVAL);
	ck_assert_int_eq(swap_readpages(f.e, e, bufs, 1, done_end_io, &d, false), -EINVAL);
	ck_assert_int_eq(atomic_load(&d.calls[0]), 0);
	ck_assert(swap_free(f.e, e[0]));			/* the last reference frees it */
	free(p);
	fixture_teardown(&f);
}
END_TEST

/*
 * A failed write: every slot of the request retires. It leaves the total at once, takes no new
 * reference and no I/O, but keeps its users' references (the swap cache page holds the only
 * copy), and turns bad when the last user lets go. It is never handed out again, and free
 * space is what it was before the write.
 */
START_TEST(test_write_fault_marks_bad)
{
	static struct done d;
	static bool bad[NR_SLOTS];
	struct swap_fixture f;
	swp_entry_t e[4], more[64];
	void *bufs[4];
	long total0, free0;
	int i, n, got = 0, rounds;
	char *p;

	fixture_setup(&f, false, _i);
	p = pages_alloc(4, 17, bufs);
	ck_assert_int_eq(get_swap_pages(f.e, 4, e), 4);
	total0 = total_swap_pages(f.e);
	free0 = get_nr_swap_pages(f.e);
	ck_assert_int_eq(swap_duplicate(f.e, e[0]), 0);	/* a page-table entry names slot 0 */
	io_inject_fault(f.si->io, true, 1, EIO);
	swap_io(&f, true, e, bufs, 4, &d);
	memset(bad, 0, sizeof(bad));
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(atomic_load(&d.err[i]), -EIO);
		ck_assert_uint_eq(map_byte(&f, swp_offset(e[i])),
				  SWAP_HAS_CACHE | SWAP_MAP_RETIRE | (i == 0));
		ck_assert(!swap_entry_valid(f.e, e[i]));
		ck_assert(swap_entry_retiring(f.e, e[i]));
		bad[swp_offset(e[i])] = true;
	}
	ck_assert_int_eq(total_swap_pages(f.e), total0 - 4);
	ck_assert_int_eq(get_nr_swap_pages(f.e), free0);
	/* The entry that named slot 0 before the failure still holds it, and no new one can. */
	ck_assert_int_eq(__swap_count(f.e, e[0]), 1);
	ck_assert_int_eq(swap_duplicate(f.e, e[0]), -EINVAL);
	ck_assert_int_eq(prepare(f.e, e[1]), -ENOENT);
	for (i = 0; i < 4; i++)
		ck_assert(put_swap_page(f.e, e[i]) == (i != 0));	/* the cache lets go */
	ck_assert(swap_entry_retiring(f.e, e[0]));
	ck_assert_uint_eq(map_byte(&f, swp_offset(e[1])), SWAP_MAP_BAD);
	ck_assert(swap_free(f.e, e[0]));			/* its last user */
	ck_assert_uint_eq(map_byte(&f, swp_offset(e[0])), SWAP_MAP_BAD);
	ck_assert_int_eq(get_nr_swap_pages(f.e), free0);
	ck_assert_int_eq(total_swap_pages(f.e), total0 - 4);

	for (rounds = 0; rounds < (int)NR_SLOTS / 64 + 2; rounds++) {
		n = get_swap_pages(f.e, 64, more);
		for (i = 0; i < n; i++)
			ck_assert_msg(!bad[swp_offset(more[i])], "bad slot %u reused",
				      swp_offset(more[i]));
		got += n;
		if (!n)
			break;
	}
	ck_assert_int_eq(got, free0);
	free(p);
	fixture_teardown(&f);
}
END_TEST

/* A failed read reports its error and changes nothing: the next read of the slot works. */
START_TEST(test_read_fault)
{
	static struct done d;
	struct swap_fixture f;
	swp_entry_t e[2];
	void *bufs[2], *back[2];
	char *p, *q;

	fixture_setup(&f, false, _i);
	p = pages_alloc(2, 18, bufs);
	q = pages_alloc(2, 19, back);
	ck_assert_int_eq(get_swap_pages(f.e, 2, e), 2);
	swap_io(&f, true, e, bufs, 2, &d);
	io_inject_fault(f.si->io, false, 1, EIO);
	swap_io(&f, false, e, back, 2, &d);
	ck_assert_int_eq(atomic_load(&d.err[0]), -EIO);
	ck_assert_int_eq(atomic_load(&d.err[1]), -EIO);
	ck_assert(swap_entry_valid(f.e, e[0]));
	swap_io(&f, false, e, back, 2, &d);
	ck_assert_int_eq(atomic_load(&d.err[0]), 0);
	ck_assert_int_eq(atomic_load(&d.err[1]), 0);
	ck_assert_mem_eq(q, p, 2 * PG);
	free(p);
	free(q);
	fixture_teardown(&f);
}
END_TEST

struct swapper {
	struct swap_fixture *f;
	unsigned int seed;
	int failures;
};

/* Allocate, write, read back, check and free, a few rounds, from an attached thread. */
static void *swapper_thread(void *p)
{
	enum { NR = 16, ROUNDS = 6 };
	struct swapper *s = p;
	struct done *d = calloc(1, sizeof(*d));
	void *out[NR], *in[NR];
	char *po = pages_alloc(NR, s->seed, out), *pi = pages_alloc(NR, s->seed + 1, in);
	swp_entry_t e[NR];
	int round, i;

	rcl_thread_attach(s->f->e);
	for (round = 0; round < ROUNDS; round++) {
		if (get_swap_pages(s->f->e, NR, e) != NR) {
			s->failures++;
			break;
		}
		swap_io(s->f, true, e, out, NR, d);
		swap_io(s->f, false, e, in, NR, d);
		for (i = 0; i < NR; i++)
			s->failures += atomic_load(&d->err[i]) != 0;
		s->failures += memcmp(po, pi, (size_t)NR * PG) != 0;
		for (i = 0; i < NR; i++)
			put_swap_page(s->f->e, e[i]);
	}
	rcl_thread_detach(s->f->e);
	free(po);
	free(pi);
	free(d);
	return NULL;
}

/* Two threads swap through one device at once (ThreadSanitizer runs this too). */
START_TEST(test_concurrent_swappers)
{
	struct swap_fixture f;
	struct swapper s[2];
	pthread_t tid[2];
	int i;

	fixture_setup(&f, false, _i);
	for (i = 0; i < 2; i++) {
		s[i] = (struct swapper){ .f = &f, .seed = 100u + 10u * (unsigned int)i };
		ck_assert_int_eq(pthread_create(&tid[i], NULL, swapper_thread, &s[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(tid[i], NULL);
		ck_assert_int_eq(s[i].failures, 0);
	}
	ck_assert_int_eq(get_nr_swap_pages(f.e), NR_SLOTS - 1);
	fixture_teardown(&f);
}
END_TEST

/* ---- the cluster locks ----------------------------------------------------------------- */

struct ref_taker {
	struct swap_fixture *f;
	swp_entry_t e;
	void *buf[2];
	_Atomic bool done;
	int failures;
};

/* What a thread holding a swap cache page does with its slot: references, counts, a write and
 * a read. None of it hands out or frees a slot. */
static void *ref_taker_thread(void *p)
{
	struct ref_taker *t = p;
	struct rcl_engine *e = t->f->e;
	struct done *d = calloc(1, sizeof(*d));

	t->failures += swap_duplicate(e, t->e) != 0;
	t->failures += swap_duplicate(e, t->e) != 0;
	swap_free(e, t->e);					/* leaves one */
	t->failures += __swap_count(e, t->e) != 1;
	t->failures += !swap_entry_valid(e, t->e);
	t->failures += prepare(e, t->e) != -EEXIST;
	t->failures += swap_writepages(e, &t->e, &t->buf[0], 1, done_end_io, d) != 0;
	t->failures += atomic_load(&d->calls[0]) != 1 || atomic_load(&d->err[0]) != 0;
	memset(d, 0, sizeof(*d));
	t->failures += swap_readpages(e, &t->e, &t->buf[1], 1, done_end_io, d, false) != 0;
	t->failures += atomic_load(&d->calls[0]) != 1 || atomic_load(&d->err[0]) != 0;
	t->failures += memcmp(t->buf[0], t->buf[1], PG) != 0;
	free(d);
	atomic_store(&t->done, true);
	return NULL;
}

/*
 * The device lock is for handing out and freeing slots: a thread that holds a slot takes and
 * drops references and reads and writes it under its cluster's lock alone, so it goes on while
 * another thread holds si->lock (with one device lock for everything it would wait for ever;
 * the bound below turns that into a failure).
 */
static void lock_mutex(void *m) { pthread_mutex_lock(m); }
static void unlock_mutex(void *m) { pthread_mutex_unlock(m); }

START_TEST(test_refs_without_device_lock)
{
	struct swap_fixture f;
	struct ref_taker t = { .f = &f };
	char *p;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	p = pages_alloc(2, 7, t.buf);
	t.e = get_swap_page(f.e);
	ck_assert_uint_ne(t.e.val, 0);

	ck_assert_msg(run_beside_lock(lock_mutex, unlock_mutex, &f.si->lock, ref_taker_thread, &t),
		      "a slot's references waited for the device lock");
	ck_assert_int_eq(t.failures, 0);

	/* The last reference and the cache bit go: the slot is free again. */
	swap_free(f.e, t.e);
	ck_assert_int_eq(get_nr_swap_pages(f.e), NR_SLOTS - 2);
	put_swap_page(f.e, t.e);
	ck_assert_uint_eq(map_byte(&f, t.e.val), 0);
	ck_assert_int_eq(get_nr_swap_pages(f.e), NR_SLOTS - 1);
	free(p);
	fixture_teardown(&f);
}
END_TEST

enum { CHURN_THREADS = 4, CHURN_ROUNDS = 3000, CHURN_BATCH = 8, CHURN_SHARED = 4 };

struct churner {
	struct swap_fixture *f;
	_Atomic int *owner;		/* per slot: the thread that holds it, 0 = none */
	const swp_entry_t *shared;
	int id;
	int failures;
};

/*
 * Take and drop references of the shared slots while handing out and freeing private ones, in
 * the same clusters: puts that leave a count race with puts that free and with allocations.
 * Each slot handed out must not be held by anyone else.
 */
static void *churner_thread(void *p)
{
	struct churner *c = p;
	struct rcl_engine *e = c->f->e;
	swp_entry_t mine[CHURN_BATCH];
	int round, i, nr;

	rcl_thread_attach(e);
	for (round = 0; round < CHURN_ROUNDS; round++) {
		const swp_entry_t s = c->shared[round % CHURN_SHARED];

		c->failures += swap_duplicate(e, s) != 0;
		nr = get_swap_pages(e, 1 + round % CHURN_BATCH, mine);
		for (i = 0; i < nr; i++) {
			c->failures += atomic_exchange(&c->owner[mine[i].val], c->id) != 0;
			c->failures += swap_duplicate(e, mine[i]) != 0;
		}
		c->failures += __swap_count(e, s) < 1;
		for (i = 0; i < nr; i++) {
			/* Either order: the cache bit or the reference last. */
			atomic_store(&c->owner[mine[i].val], 0);
			if ((round + i) & 1) {
				put_swap_page(e, mine[i]);
				swap_free(e, mine[i]);
			} else {
				swap_free(e, mine[i]);
				put_swap_page(e, mine[i]);
			}
		}
		swap_free(e, s);
	}
	rcl_thread_detach(e);
	return NULL;
}

/* References, allocations and frees from four threads at once add up (TSan runs this too). */
START_TEST(test_concurrent_refs_and_frees)
{
	struct swap_fixture f;
	struct churner c[CHURN_THREADS];
	pthread_t tid[CHURN_THREADS];
	swp_entry_t shared[CHURN_SHARED];
	_Atomic int *owner;
	int i;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	owner = calloc(NR_SLOTS, sizeof(*owner));
	ck_assert_int_eq(get_swap_pages(f.e, CHURN_SHARED, shared), CHURN_SHARED);
	for (i = 0; i < CHURN_SHARED; i++)
		ck_assert_int_eq(swap_duplicate(f.e, shared[i]), 0);
	for (i = 0; i < CHURN_THREADS; i++) {
		c[i] = (struct churner){ .f = &f, .owner = owner, .shared = shared, .id = i + 1 };
		ck_assert_int_eq(pthread_create(&tid[i], NULL, churner_thread, &c[i]), 0);
	}
	for (i = 0; i < CHURN_THREADS; i++) {
		pthread_join(tid[i], NULL);
		ck_assert_int_eq(c[i].failures, 0);
	}
	for (i = 0; i < CHURN_SHARED; i++)
		ck_assert_uint_eq(map_byte(&f, shared[i].val), 1 | SWAP_HAS_CACHE);
	ck_assert_int_eq(get_nr_swap_pages(f.e), NR_SLOTS - 1 - CHURN_SHARED);
	for (i = 0; i < CHURN_SHARED; i++) {
		swap_free(f.e, shared[i]);
		put_swap_page(f.e, shared[i]);
	}
	/* Every slot is free again. */
	ck_assert_int_eq(get_nr_swap_pages(f.e), NR_SLOTS - 1);
	for (i = 1; i < (int)NR_SLOTS; i++)
		ck_assert_uint_eq(map_byte(&f, (uint32_t)i), 0);
	free(owner);
	fixture_teardown(&f);
}
END_TEST

enum { RACE_SLOTS = 512 };

struct last_put {
	struct swap_fixture *f;
	const swp_entry_t *e;
	bool cache;			/* put the cache bit, else the page-table reference */
	pthread_barrier_t *start;
	_Atomic int pos;		/* slots this thread has put */
	struct last_put *other;
	bool gone[RACE_SLOTS];
};

/* Put each slot in step with the other thread, so that both puts of a slot come together. */
static void *last_put_thread(void *p)
{
	struct last_put *t = p;
	int i;

	pthread_barrier_wait(t->start);
	for (i = 0; i < RACE_SLOTS; i++) {
		while (atomic_load(&t->other->pos) < i)
			sched_yield();		/* the other thread is running: bounded */
		t->gone[i] = t->cache ? put_swap_page(t->f->e, t->e[i]) : swap_free(t->f->e, t->e[i]);
		atomic_store(&t->pos, i + 1);
	}
	return NULL;
}

/*
 * The last two holds of each slot go at once from two threads, one the reference and one the
 * cache bit: exactly one of the two puts says the slot is gone, so that its charge and shadow
 * are dropped once (swap_state.c's swap_entry_put), never twice or not at all.
 */
START_TEST(test_last_puts_race)
{
	enum { ROUNDS = 40 };
	struct swap_fixture f;
	struct last_put t[2];
	pthread_barrier_t start;
	pthread_t tid[2];
	swp_entry_t *e = calloc(RACE_SLOTS, sizeof(*e));
	int i, round;

	fixture_setup(&f, false, IO_BACKEND_SYNC);
	pthread_barrier_init(&start, NULL, 2);
	for (round = 0; round < ROUNDS; round++) {
		ck_assert_int_eq(get_swap_pages(f.e, RACE_SLOTS, e), RACE_SLOTS);
		for (i = 0; i < RACE_SLOTS; i++)
			ck_assert_int_eq(swap_duplicate(f.e, e[i]), 0);
		for (i = 0; i < 2; i++)
			t[i] = (struct last_put){ .f = &f, .e = e, .cache = i, .start = &start,
						  .other = &t[1 - i] };
		for (i = 0; i < 2; i++)
			ck_assert_int_eq(pthread_create(&tid[i], NULL, last_put_thread, &t[i]), 0);
		for (i = 0; i < 2; i++)
			pthread_join(tid[i], NULL);
		for (i = 0; i < RACE_SLOTS; i++)
			ck_assert_msg(t[0].gone[i] + t[1].gone[i] == 1,
				      "round %d, slot %u: %d puts said it was gone", round,
				      (unsigned int)e[i].val, t[0].gone[i] + t[1].gone[i]);
		ck_assert_int_eq(get_nr_swap_pages(f.e), NR_SLOTS - 1);
	}
	pthread_barrier_destroy(&start);
	free(e);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("swapfile");
	TCase *tc;

	tc = tcase_create("file");
	tcase_add_loop_test(tc, test_swapon_file, 0, 2);	/* direct, buffered */
	tcase_add_test(tc, test_swapon_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("alloc");
	tcase_add_test(tc, test_alloc_sequential_clusters);
	tcase_add_test(tc, test_alloc_threads_own_clusters);
	tcase_add_test(tc, test_alloc_until_full);
	tcase_add_test(tc, test_cluster_freed_to_list);
	suite_add_tcase(s, tc);

	tc = tcase_create("counts");
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_free_by_last_reference);
	tcase_add_test(tc, test_swap_map_max);
	tcase_add_test(tc, test_vm_swap_full);
	suite_add_tcase(s, tc);

	/* Loop index: the backend (IO_BACKEND_SYNC, IO_BACKEND_URING). */
	tc = tcase_create("io");
	tcase_add_loop_test(tc, test_rw_roundtrip, IO_BACKEND_SYNC, IO_BACKEND_URING + 1);
	tcase_add_test(tc, test_write_runs);
	tcase_add_test(tc, test_crc_mismatch);
	tcase_add_test(tc, test_read_unwritten);
	tcase_add_test(tc, test_io_refused);
	tcase_add_loop_test(tc, test_write_fault_marks_bad, IO_BACKEND_SYNC,
			    IO_BACKEND_URING + 1);
	tcase_add_loop_test(tc, test_read_fault, IO_BACKEND_SYNC, IO_BACKEND_URING + 1);
	tcase_add_loop_test(tc, test_concurrent_swappers, IO_BACKEND_SYNC, IO_BACKEND_URING + 1);
	suite_add_tcase(s, tc);

	tc = tcase_create("cluster-locks");
	tcase_set_timeout(tc, BESIDE_LOCK_SECONDS + 10);
	tcase_add_test(tc, test_refs_without_device_lock);
	tcase_add_test(tc, test_concurrent_refs_and_frees);
	tcase_add_test(tc, test_last_puts_race);
	suite_add_tcase(s, tc);
	return s;
}
