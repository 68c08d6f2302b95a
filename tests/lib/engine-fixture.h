/*
 * engine-fixture.h - a deterministic engine in a temporary directory for scenario tests:
 * a small arena, a swap file and a data directory that vanish with the fixture.
 */
#ifndef RCL_ENGINE_FIXTURE_H
#define RCL_ENGINE_FIXTURE_H

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reclaim/engine.h"
#include "reclaim/memcg.h"
#include "reclaim/pressure.h"
#include "reclaim/region.h"

struct fixture {
	char dir[64];
	char data[96];
	char swap[96];
	struct rcl_engine *e;
};

#define MiB (1ULL << 20)

/* Seconds on the monotonic clock: the deadlines that bound the threaded tests' waits. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The reclaim policy the scenarios run under: RCL_RECLAIM_POLICY=clock-pro runs the same
 * programs under CLOCK-Pro (tests/scenario/clock-pro.sh). Unset or empty: two-list.
 */
static inline void fixture_policy(struct rcl_config *c)
{
	const char *name = getenv("RCL_RECLAIM_POLICY");

	if (name && *name)
		ck_assert_msg(rcl_reclaim_policy_lookup(name, &c->reclaim_policy) == 0,
			      "RCL_RECLAIM_POLICY=%s is no reclaim policy", name);
}

/* @swap_mib 0: no swap. @swap_async: swap writes through io_uring, in flight while reclaim
 * goes on (completions then come back in whichever thread reaps them). */
static inline void fixture_setup_io(struct fixture *f, uint64_t arena_mib, uint64_t swap_mib,
				    unsigned int nodes, bool swap_async)
{
	struct rcl_config c;

	strcpy(f->dir, "/tmp/rcl-scenario-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	snprintf(f->swap, sizeof(f->swap), "%s/swap", f->dir);
	ck_assert_int_eq(mkdir(f->data, 0700), 0);
	rcl_config_defaults(&c);
	c.arena_bytes = arena_mib * MiB;
	c.nr_nodes = nodes;
	c.data_dir = f->data;
	c.swap_path = swap_mib ? f->swap : NULL;
	c.swap_bytes = swap_mib * MiB;
	c.swap_async = swap_async;
	fixture_policy(&c);
	ck_assert_int_eq(rcl_engine_new(&c, &f->e), 0);
}

static inline void fixture_setup(struct fixture *f, uint64_t arena_mib, uint64_t swap_mib,
				 unsigned int nodes)
{
	fixture_setup_io(f, arena_mib, swap_mib, nodes, false);
}

/* Run the engine as a daemon does: its threads (kswapd, the flusher) started, the test's
 * thread attached; mm_lock is then let go where a daemon's is. */
static inline void fixture_threads_start(struct fixture *f)
{
	ck_assert_int_eq(rcl_engine_start_threads(f->e), 0);
	ck_assert_int_eq(rcl_thread_attach(f->e), 0);
}

static inline void fixture_threads_stop(struct fixture *f)
{
	rcl_thread_detach(f->e);
	rcl_engine_stop_threads(f->e);
}

/* Put a file of @bytes (zeros) in the data directory, as a private mapping needs one. */
static inline void fixture_file(struct fixture *f, const char *name, uint64_t bytes)
{
	char path[160];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", f->data, name);
	file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	ck_assert_int_eq(ftruncate(fileno(file), (off_t)bytes), 0);
	ck_assert_int_eq(fclose(file), 0);
}

static inline void fixture_teardown(struct fixture *f)
{
	char cmd[128];

	rcl_engine_free(f->e);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Deterministic bytes for (seed, position): a page can be checked without storing it. */
static inline void fill_pattern(void *buf, size_t len, uint64_t seed, uint64_t pos)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t x = (seed ^ (pos + i)) * 0x9E3779B97F4A7C15ULL;

		p[i] = (unsigned char)(x >> 56);
	}
}

static inline bool check_pattern(const void *buf, size_t len, uint64_t seed, uint64_t pos)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t x = (seed ^ (pos + i)) * 0x9E3779B97F4A7C15ULL;

		if (p[i] != (unsigned char)(x >> 56))
			return false;
	}
	return true;
}

/* The value of "name value" in a "key value" text, or UINT64_MAX if absent. */
static inline uint64_t text_value(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return UINT64_MAX;
}

/* One counter of /proc/vmstat text, or UINT64_MAX if absent. */
static inline uint64_t fixture_vmstat(struct rcl_engine *e, const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t v;

	rcl_engine_show(e, RCL_VIEW_VMSTAT, f);
	fclose(f);
	v = text_value(buf, name);
	free(buf);
	return v;
}

/* One key of a memcg's memory.events or memory.stat text. */
static inline uint64_t fixture_memcg_value(struct rcl_engine *e, uint32_t id, bool events,
					   const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t v;

	if (events)
		rcl_memcg_show_events(e, id, f);
	else
		rcl_memcg_show_stat(e, id, f);
	fclose(f);
	v = text_value(buf, name);
	free(buf);
	return v;
}

/* Whether thread @tid sleeps (state S in /proc): blocked (on mm_lock, say). */
static inline bool fixture_thread_sleeps(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/* Descriptors of the process that lead to a file removed since (st_nlink 0). */
static inline unsigned int fixture_unlinked_fds(void)
{
	unsigned int n = 0;
	struct dirent *d;
	struct stat st;
	DIR *dir = opendir("/proc/self/fd");

	while (dir && (d = readdir(dir)))
		n += d->d_name[0] != '.' && atoi(d->d_name) != dirfd(dir) &&
		     fstat(atoi(d->d_name), &st) == 0 && S_ISREG(st.st_mode) && !st.st_nlink;
	if (dir)
		closedir(dir);
	return n;
}

/* Write pages [first, first + pages) of region @id with the pattern of @seed. */
static inline void fixture_fill(struct fixture *f, uint32_t id, uint64_t first, uint64_t pages,
				uint64_t seed)
{
	char *buf = malloc(4096);
	uint64_t p;

	for (p = first; p < first + pages; p++) {
		fill_pattern(buf, 4096, seed, p * 4096);
		ck_assert_int_eq(rcl_region_write(f->e, id, p * 4096, buf, 4096), 0);
	}
	free(buf);
}

/*
 * Pages [0, @pages) of the data directory's file @name as the disk holds them: how many do
 * not hold the pattern of @seed (a page past the file's end counts).
 */
static inline uint64_t fixture_file_stale(struct fixture *f, const char *name, uint64_t pages,
					  uint64_t seed)
{
	char path[sizeof(f->data) + 64], *buf = malloc(4096);
	uint64_t p, stale = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->data, name);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s: cannot open", path);
	for (p = 0; p < pages; p++)
		stale += pread(fd, buf, 4096, (off_t)(p * 4096)) != 4096 ||
			 !check_pattern(buf, 4096, seed, p * 4096);
	close(fd);
	free(buf);
	return stale;
}

/* Read pages [0, pages) of region @id back and check the pattern of @seed, byte for byte. */
static inline void fixture_verify(struct fixture *f, uint32_t id, uint64_t pages,
				  uint64_t seed)
{
	char *buf = malloc(4096);
	uint64_t p;

	for (p = 0; p < pages; p++) {
		ck_assert_int_eq(rcl_region_read(f->e, id, p * 4096, buf, 4096), 0);
		ck_assert_msg(check_pattern(buf, 4096, seed, p * 4096), "page %llu differs",
			      (unsigned long long)p);
	}
	free(buf);
}

#endif
