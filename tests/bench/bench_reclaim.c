/*
 * bench_reclaim - the reclaim engine's speed beside the raw limits measured in the same run,
 * on the same file system (issue 4). Figures only; nothing is asserted.
 *
 *   clean file reclaim     pages/s of proactive reclaim over clean page cache
 *   swap-out               pages/s and MB/s of anon reclaim, beside a raw O_DIRECT sequential
 *                          write of the same volume
 *   swap-in                random single-page faults/s from swap, beside raw random 4 KiB
 *                          O_DIRECT reads of the same swap file
 *   touches                resident pages touched per second, 64 pages a call
 *   metadata               bytes per frame and per mapped page
 *
 * Files go to $BENCH_DIR (default ./var/bench under the current directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reclaim/engine.h"
#include "reclaim/memcg.h"
#include "reclaim/region.h"
#include "mm.h"

#define PAGE	4096ULL
#define MiB	(1ULL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t counter(struct rcl_engine *e, enum vm_event_item item)
{
	return vm_event_read(e, item);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_reclaim: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* Raw O_DIRECT sequential write of @bytes in 1 MiB requests: MB/s. */
static double raw_seq_write(const char *dir, uint64_t bytes)
{
	char path[640];
	void *buf;
	double t0, t;
	uint64_t done;
	int fd;

	snprintf(path, sizeof(path), "%s/raw-seq", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0 || posix_memalign(&buf, 4096, MiB))
		die("raw file", errno);
	memset(buf, 0x5a, MiB);
	if (posix_fallocate(fd, 0, (off_t)bytes))
		die("fallocate", errno);
	t0 = now();
	for (done = 0; done < bytes; done += MiB)
		if (pwrite(fd, buf, MiB, (off_t)done) != (ssize_t)MiB)
			die("raw write", errno);
	fdatasync(fd);
	t = now() - t0;
	close(fd);
	unlink(path);
	free(buf);
	return (double)bytes / MiB / t;
}

/* Raw random 4 KiB O_DIRECT reads of @path (first @bytes): reads/s. */
static double raw_random_reads(const char *path, uint64_t bytes, unsigned int n)
{
	unsigned int seed = 1, i;
	void *buf;
	double t0;
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, 4096, 4096))
		die("raw read open", errno);
	t0 = now();
	for (i = 0; i < n; i++) {
		off_t off = (off_t)(((uint64_t)rand_r(&seed) % (bytes / PAGE)) * PAGE);

		if (pread(fd, buf, 4096, off) != 4096)
			die("raw read", errno);
	}
	t0 = now() - t0;
	close(fd);
	free(buf);
	return n / t0;
}

int main(void)
{
	const uint64_t arena_mib = 256, arena_pages = arena_mib * MiB / PAGE;
	const char *base = getenv("BENCH_DIR");
	char dir[512], data[600], swap[600];
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON };
	struct rcl_config c;
	struct rcl_engine *e;
	uint64_t p, reclaimed, before, pages, dropped;
	char *page = malloc(PAGE);
	uint32_t id;
	double t0, t, raw;
	int err;
	unsigned int seed = 7, i, n;

	snprintf(dir, sizeof(dir), "%s", base ? base : "./var/bench");
	mkdir("./var", 0755);
	mkdir(dir, 0755);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(swap, sizeof(swap), "%s/swap", dir);
	mkdir(data, 0755);
	rcl_config_defaults(&c);
	c.arena_bytes = arena_mib * MiB;
	c.data_dir = data;
	c.swap_path = swap;
	c.swap_bytes = 4 * arena_mib * MiB;
	c.swap_async = getenv("BENCH_SYNC") == NULL;
	err = rcl_engine_new(&c, &e);
	if (err)
		die("engine", err);
	printf("reclaim engine, arena %llu MiB, swap and files in %s, swap I/O %s\n",
	       (unsigned long long)arena_mib, dir,
	       io_engine_backend(e->swap->io) == IO_BACKEND_URING ? "io_uring" : "synchronous");

	/* Clean file reclaim: fill the cache with a clean file, then reclaim it proactively. */
	pages = arena_pages / 2;
	for (p = 0; p < pages; p++) {
		memset(page, (int)p, PAGE);
		if ((err = rcl_file_write(e, "clean", p * PAGE, page, PAGE)))
			die("file write", err);
	}
	rcl_sync_all(e);
	t0 = now();
	rcl_memcg_reclaim(e, RCL_MEMCG_ROOT, pages, &reclaimed);
	t = now() - t0;
	printf("  clean file reclaim   %10.0f pages/s   (%llu pages; target >= 5000000 per core)\n",
	       (double)reclaimed / t, (unsigned long long)reclaimed);
	rcl_drop_caches(e, &dropped);

	/* Swap-out: an anon region of 3/4 of the arena, reclaimed through swap. */
	pages = arena_pages * 3 / 4;
	spec.nr_pages = pages;
	if ((err = rcl_region_create(e, &spec, &id)))
		die("region", err);
	for (p = 0; p < pages; p++) {
		memset(page, (int)(p * 7), PAGE);
		rcl_region_write(e, id, p * PAGE, page, PAGE);
	}
	before = counter(e, PSWPOUT);
	t0 = now();
	rcl_memcg_reclaim(e, RCL_MEMCG_ROOT, pages, &reclaimed);
	t = now() - t0;
	pages = counter(e, PSWPOUT) - before;
	{
		struct io_stats st;

		io_engine_stats(e->swap->io, &st);
		printf("  swap-out writes      %10llu requests, %llu KiB on average\n",
		       (unsigned long long)st.writes,
		       (unsigned long long)(st.writes ? st.write_bytes / st.writes / 1024 : 0));
	}
	raw = raw_seq_write(dir, pages * PAGE);
	printf("  swap-out             %10.0f pages/s   %8.1f MB/s   raw O_DIRECT seq write "
	       "%8.1f MB/s   (%.0f%%; target >= 85%%)\n", (double)pages / t,
	       (double)pages * PAGE / MiB / t, raw, 100.0 * ((double)pages * PAGE / MiB / t) / raw);

	/* Swap-in: random pages of the swapped region, one fault each. */
	rcl_tunable_set(e, RCL_TUNABLE_PAGE_CLUSTER, 0);	/* no readahead: one read a fault */
	n = 4000;
	before = counter(e, PSWPIN);
	t0 = now();
	for (i = 0; i < n; i++) {
		p = (uint64_t)rand_r(&seed) % spec.nr_pages;
		rcl_region_read(e, id, p * PAGE, page, 8);
	}
	t = now() - t0;
	pages = counter(e, PSWPIN) - before;
	raw = raw_random_reads(swap, spec.nr_pages * PAGE, n);
	printf("  swap-in (random)     %10.0f pages/s   raw O_DIRECT random 4 KiB reads %10.0f/s"
	       "   (%.0f%%; target >= 80%%)\n", (double)pages / t, raw,
	       100.0 * ((double)pages / t) / raw);

	/* Touches of resident pages, 64 at a time. */
	rcl_region_touch(e, id, 0, 1024, false);
	t0 = now();
	for (i = 0, p = 0; now() - t0 < 0.5; i++)
		p += rcl_region_touch(e, id, (i % 16) * 64, 64, i & 1) ? 0 : 64;
	t = now() - t0;
	printf("  resident touches     %10.0f pages/s   (64 pages a call)\n", (double)p / t);
	printf("  metadata             %zu bytes per frame (target <= 32), %zu bytes per mapped "
	       "page (target <= 8)\n", sizeof(struct page), sizeof(pte_t));

	rcl_engine_free(e);
	unlink(swap);
	free(page);
	return 0;
}
