/*
 * bench_swap - the swap device against the raw file system it sits on, in one run, in one
 * directory. Figures only; nothing is asserted.
 *
 *   swap-out  swap_writepages of consecutive slots in batches of 32 (SWAP_CLUSTER_MAX, the
 *             reclaim batch) and of 256, against O_DIRECT pwrite of the same request size
 *             moving sequentially through a file of the same size. Target: swap >= 85% of raw.
 *   swap-in   swap_readpages of one random slot at a time, against 4 KiB O_DIRECT preads at
 *             random offsets of the raw file, one at a time. Target: swap >= 80% of raw.
 *
 * Both run on the sync and on the uring backend. The uring swap-out keeps batches in flight as
 * reclaim would (the ring holds up to 128 requests); the raw figure is one write at a time, so
 * uring may beat it. Swap-in is one read at a time on every line, as a fault waits for its page,
 * plus an informational uring line with 32 reads in flight (swap readahead's shape).
 *
 * Files: $BENCH_DIR if set, else ./var (created; `make bench` runs from the build directory).
 * Any local file system will do; on this host /tmp and the build tree are the same ext4. Both
 * files are allocated with fallocate and written once before measuring, so every figure is a
 * rewrite of allocated blocks and none pays for extent conversion the other does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define REGION_PAGES	16384u		/* 64 MiB written and read in each file */
#define SWAP_BYTES	((REGION_PAGES + 512ull) * PAGE_SIZE)
#define RUN_NS		300000000ull	/* per figure, in ROUNDS slices alternating with raw */
#define ROUNDS		3
#define MAX_BATCH	256
#define READ_QD		32

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_swap: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

struct bench {
	char dir[PATH_MAX];
	char swap_path[PATH_MAX + 16];
	char raw_path[PATH_MAX + 16];
	int raw_fd;
	struct rcl_engine *engine;
	swp_entry_t slots[REGION_PAGES];
	void *bufs[MAX_BATCH];		/* random data, page-aligned */
	char *read_buf;			/* READ_QD pages */
	unsigned int seed;
	int errors;			/* pages whose end_io reported an error */
	bool made_dir;			/* the directory is ours to remove */
};

/* ---- raw O_DIRECT file ----------------------------------------------------------------- */

static void raw_open(struct bench *b)
{
	b->raw_fd = open(b->raw_path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (b->raw_fd < 0)
		die(b->raw_path, errno);
	if (fallocate(b->raw_fd, 0, 0, (off_t)REGION_PAGES * PAGE_SIZE))
		die("fallocate", errno);
}

/* Sequential O_DIRECT writes of @batch pages for @ns (or one pass), wrapping at the region's
 * end. MB/s. */
static double raw_write(struct bench *b, unsigned int batch, bool one_pass, uint64_t ns)
{
	uint64_t t0 = now_ns(), t, bytes = 0;
	unsigned int page = 0;

	do {
		if (pwrite(b->raw_fd, b->bufs[0], (size_t)batch * PAGE_SIZE,
			   (off_t)page * PAGE_SIZE) != (ssize_t)(batch * PAGE_SIZE))
			die("raw pwrite", errno);
		bytes += (uint64_t)batch * PAGE_SIZE;
		page = (page + batch) % REGION_PAGES;
		t = now_ns();
	} while (one_pass ? page != 0 : t - t0 < ns);
	return (double)bytes / 1e6 / ((double)(t - t0) / 1e9);
}

/* Random 4 KiB O_DIRECT reads, one at a time, for @ns. Reads per second. */
static double raw_read(struct bench *b, uint64_t ns)
{
	uint64_t t0 = now_ns(), t, n = 0;

	do {
		off_t off = (off_t)((unsigned int)rand_r(&b->seed) % REGION_PAGES) * PAGE_SIZE;

		if (pread(b->raw_fd, b->read_buf, PAGE_SIZE, off) != PAGE_SIZE)
			die("raw pread", errno);
		n++;
		t = now_ns();
	} while (t - t0 < ns);
	return (double)n / ((double)(t - t0) / 1e9);
}

/* ---- swap ------------------------------------------------------------------------------ */

static void swap_end(void *private, int index, int err)
{
	struct bench *b = private;

	if (err)
		__atomic_add_fetch(&b->errors, 1, __ATOMIC_RELAXED);
}

/* swapon on @backend and take every slot of the region: consecutive, from slot 1. */
static bool swap_setup(struct bench *b, enum io_backend backend)
{
	int err = swapon(b->engine, b->swap_path, SWAP_BYTES, false, backend);

	if (err == -ENOSYS)
		return false;
	if (err)
		die("swapon", err);
	if (get_swap_pages(b->engine, REGION_PAGES, b->slots) != (int)REGION_PAGES)
		die("get_swap_pages", ENOSPC);
	return true;
}

/* swap_writepages of @batch consecutive slots at a time through the region, for @ns (or one
 * pass). MB/s. */
static double swap_write(struct bench *b, unsigned int batch, bool one_pass, uint64_t ns)
{
	struct io_engine *io = b->engine->swap->io;
	uint64_t t0 = now_ns(), t, bytes = 0;
	unsigned int page = 0;
	int err;

	do {
		err = swap_writepages(b->engine, b->slots + page, b->bufs, (int)batch, swap_end, b);
		if (err)
			die("swap_writepages", err);
		io_reap(io);
		bytes += (uint64_t)batch * PAGE_SIZE;
		page = (page + batch) % REGION_PAGES;
		t = now_ns();
	} while (one_pass ? page != 0 : t - t0 < ns);
	io_wait_all(io);
	t = now_ns();
	return (double)bytes / 1e6 / ((double)(t - t0) / 1e9);
}

/* swap_readpages of random single slots, @qd in flight (1: each waits for its page), for
 * @ns. Pages per second. */
static double swap_read(struct bench *b, int qd, uint64_t ns)
{
	struct io_engine *io = b->engine->swap->io;
	uint64_t t0 = now_ns(), t, n = 0;
	int i, err;

	do {
		for (i = 0; i < qd; i++) {
			swp_entry_t e = b->slots[(unsigned int)rand_r(&b->seed) % REGION_PAGES];
			void *buf = b->read_buf + (size_t)i * PAGE_SIZE;

			err = swap_readpages(b->engine, &e, &buf, 1, swap_end, b, true);
			if (err)
				die("swap_readpages", err);
		}
		io_wait_all(io);
		n += (uint64_t)qd;
		t = now_ns();
	} while (t - t0 < ns);
	return (double)n / ((double)(t - t0) / 1e9);
}

/* ---- the run --------------------------------------------------------------------------- */

static void bench_setup(struct bench *b)
{
	const char *dir = getenv("BENCH_DIR");
	struct rcl_config c;
	char *pool;
	size_t i;

	snprintf(b->dir, sizeof(b->dir), "%s", dir && *dir ? dir : "var");
	b->made_dir = mkdir(b->dir, 0700) == 0;
	if (!b->made_dir && errno != EEXIST)
		die(b->dir, errno);
	snprintf(b->swap_path, sizeof(b->swap_path), "%s/bench-swapfile", b->dir);
	snprintf(b->raw_path, sizeof(b->raw_path), "%s/bench-raw", b->dir);

	rcl_config_defaults(&c);
	c.arena_bytes = 16u << 20;
	if (rcl_engine_new(&c, &b->engine))
		die("rcl_engine_new", ENOMEM);
	b->seed = 1;
	if (posix_memalign((void **)&pool, PAGE_SIZE, MAX_BATCH * PAGE_SIZE) ||
	    posix_memalign((void **)&b->read_buf, PAGE_SIZE, READ_QD * PAGE_SIZE))
		die("posix_memalign", ENOMEM);
	for (i = 0; i < MAX_BATCH * PAGE_SIZE; i++)
		pool[i] = (char)rand_r(&b->seed);
	for (i = 0; i < MAX_BATCH; i++)
		b->bufs[i] = pool + i * PAGE_SIZE;
	raw_open(b);
	raw_write(b, MAX_BATCH, true, 0);	/* allocate the blocks for real */
}

/* Swap and raw figures measured in alternating slices, so that drift in the device (host
 * caches, other tenants) hits both alike. Means of the slices' rates. */
static void pair_write(struct bench *b, unsigned int batch, double *swap, double *raw)
{
	int i;

	*swap = *raw = 0;
	for (i = 0; i < ROUNDS; i++) {
		*raw += raw_write(b, batch, false, RUN_NS / ROUNDS) / ROUNDS;
		*swap += swap_write(b, batch, false, RUN_NS / ROUNDS) / ROUNDS;
	}
}

static void pair_read(struct bench *b, double *swap, double *raw)
{
	int i;

	*swap = *raw = 0;
	for (i = 0; i < ROUNDS; i++) {
		*raw += raw_read(b, RUN_NS / ROUNDS) / ROUNDS;
		*swap += swap_read(b, 1, RUN_NS / ROUNDS) / ROUNDS;
	}
}

static void bench_backend(struct bench *b, enum io_backend backend)
{
	static const unsigned int batches[2] = { 32, 256 };
	const char *name = backend == IO_BACKEND_URING ? "uring" : "sync";
	double swap, raw;
	int i;

	if (!swap_setup(b, backend)) {
		printf("  %-6s io_uring unavailable here: not measured\n", name);
		return;
	}
	swap_write(b, MAX_BATCH, true, 0);	/* every slot written once: reads verify */
	for (i = 0; i < 2; i++) {
		pair_write(b, batches[i], &swap, &raw);
		printf("  swap-out %-5s batch %3u  %7.0f MB/s     raw %7.0f MB/s   %5.1f%%  "
		       "(target >= 85%%)\n", name, batches[i], swap, raw, 100.0 * swap / raw);
	}
	pair_read(b, &swap, &raw);
	printf("  swap-in  %-5s 1 page     %7.0f pages/s  raw %7.0f reads/s  %5.1f%%  "
	       "(target >= 80%%)\n", name, swap, raw, 100.0 * swap / raw);
	if (backend == IO_BACKEND_URING)
		printf("  swap-in  %-5s %d in flight %6.0f pages/s  (readahead shape; no raw figure)\n",
		       name, READ_QD, swap_read(b, READ_QD, RUN_NS));
	swapoff(b->engine);
}

/* What checksumming costs: it is on the critical path of every sync swap-out. */
static void bench_crc(struct bench *b)
{
	uint64_t t0 = now_ns(), t, n = 0;
	uint32_t sum = 0;

	do {
		sum += crc32c(0, b->bufs[n % MAX_BATCH], PAGE_SIZE);
		n++;
		t = n % 1024 ? t0 : now_ns();
	} while (t - t0 < RUN_NS / 3);
	printf("  crc32c   4 KiB pages      %7.0f MB/s  (%08x)\n",
	       (double)n * PAGE_SIZE / 1e6 / ((double)(t - t0) / 1e9), sum);
}

int main(void)
{
	static struct bench b;

	bench_setup(&b);
	printf("bench_swap: %s, 64 MiB region, 4 KiB pages, %.1f s per figure\n", b.dir,
	       RUN_NS / 1e9);
	bench_crc(&b);
	bench_backend(&b, IO_BACKEND_SYNC);
	bench_backend(&b, IO_BACKEND_URING);
	if (b.errors)
		printf("  %d pages completed with an error: figures are not valid\n", b.errors);

	close(b.raw_fd);
	unlink(b.raw_path);
	unlink(b.swap_path);
	if (b.made_dir)
		rmdir(b.dir);
	rcl_engine_free(b.engine);
	return 0;
}
