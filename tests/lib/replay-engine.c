/*
 * replay-engine - the in-process twin of `reclaimctl replay`: the same trace, the same cache
 * sizes, the same sequence of engine calls (memcg with memory.max, a shared file region that
 * sizes a fresh file, reads through daemon/fileio.c - so the daemon's own calls: rcl_file_open
 * charged to the memcg, the advice by rcl_file_advise, rcl_file_pread - or touches of the
 * region after rcl_region_madvise with the same advice, then the same clean-up), on an
 * engine configured as `reclaimd --deterministic` configures its own. Prints one line per
 * size: "CACHE_BYTES MISSES", misses being the pages read from the file (the
 * pgpgin delta in pages, less swap-ins), as reclaimctl replay counts them.
 *
 *   replay-engine --arena SIZE --swap SIZE --dir DIR --format F --access read|mmap
 *                 --cache SIZE[,SIZE]... [--fadvise random|normal|sequential]
 *                 [--reclaim-policy two-list|clock-pro] TRACE
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "reclaim/engine.h"
#include "reclaim/memcg.h"
#include "reclaim/region.h"
#include "trace.h"

#define BATCH	256	/* as cmd-replay.c: reads per vectored request */

static void find_counter(void *arg, const char *name, uint64_t value, bool cumulative)
{
	uint64_t *out = arg;

	(void)cumulative;
	if (strcmp(name, "pgpgin") == 0)
		out[0] = value;
	else if (strcmp(name, "pswpin") == 0)
		out[1] = value;
}

/* Pages read from files so far: pgpgin is in KiB and includes swap-ins. */
static uint64_t majfault(struct rcl_engine *e)
{
	uint64_t v[2] = { 0, 0 };

	rcl_vmstat_foreach(e, find_counter, v);
	return v[0] / 4 - v[1];
}

static int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	*ret = v;
	return *end ? -1 : 0;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "replay-engine: %s: %s\n", what, strerror(-err));
	return 1;
}

/* --access mmap: the region's read pattern, as cmd-replay.c asks the daemon for it. */
static enum rcl_madvise madvice(enum fileio_advice advice)
{
	return advice == FILEIO_NORMAL ? RCL_MADV_NORMAL :
	       advice == FILEIO_SEQUENTIAL ? RCL_MADV_SEQUENTIAL : RCL_MADV_RANDOM;
}

static int replay_size(struct rcl_engine *e, const struct trace *t, bool mmap,
		       enum fileio_advice advice, uint64_t cache, unsigned int i, const char *dir,
		       uint64_t *ret_misses)
{
	struct rcl_region_spec spec = { 0 };
	struct fileio_table *files = fileio_table_new(NULL);
	uint32_t memcg = RCL_MEMCG_ROOT, region;
	char name[64], path[64], full[1024];
	uint64_t before, got, scanned;
	size_t a = 0, n, k, done;
	int err, tries;

	snprintf(path, sizeof(path), ".replay-engine-%u", i);
	if (cache) {
		snprintf(name, sizeof(name), "replay-%u", i);
		if ((err = rcl_memcg_create(e, RCL_MEMCG_ROOT, name, &memcg)) ||
		    (err = rcl_memcg_set(e, memcg, RCL_MEMCG_MAX, cache)))
			return die("memcg", err);
	}
	spec.type = RCL_REGION_FILE;
	spec.nr_pages = t->footprint;
	spec.memcg_id = memcg;
	spec.flags = RCL_REGION_SHARED;
	spec.path = path;
	if ((err = rcl_region_create(e, &spec, &region)))
		return die("region", err);
	if (mmap && (err = rcl_region_madvise(e, region, 0, t->footprint, madvice(advice))))
		return die("madvise", err);
	if (!mmap) {
		rcl_region_free(e, region);
		if ((err = fileio_advise(e, files, path, memcg, 0, 0, advice)))
			return die("advise", err);
	}
	before = majfault(e);
	while (a < t->nr) {
		if (mmap) {
			err = rcl_region_touch(e, region, t->page[a], 1, t->write[a]);
			a++;
		} else if (t->write[a]) {
			static const char page[TRACE_PAGE_SIZE];

			err = fileio_write(e, files, path, memcg, t->page[a] * TRACE_PAGE_SIZE, page,
					   TRACE_PAGE_SIZE);
			a++;
		} else {
			for (n = 0; a + n < t->nr && n < BATCH && !t->write[a + n]; n++)
				;
			for (k = 0, err = 0; k < n && !err; k++)
				err = fileio_read(e, files, path, memcg,
						  t->page[a + k] * TRACE_PAGE_SIZE, NULL,
						  TRACE_PAGE_SIZE, &done);
			a += n;
		}
		if (err)
			return die("access", err);
	}
	*ret_misses = majfault(e) - before;
	if (mmap)
		rcl_region_free(e, region);
	snprintf(full, sizeof(full), "%s/%s", dir, path);
	unlink(full);
	fileio_table_free(e, files);
	for (tries = 0; cache && tries < 8; tries++) {
		rcl_memcg_reclaim_scan(e, memcg, (1ULL << 40) / RCL_PAGE_SIZE, -1, &got, &scanned);
		if (rcl_memcg_delete(e, memcg) == 0)
			break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "arena", required_argument, NULL, 'a' }, { "swap", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' }, { "format", required_argument, NULL, 'f' },
		{ "access", required_argument, NULL, 'x' }, { "cache", required_argument, NULL, 'c' },
		{ "fadvise", required_argument, NULL, 'v' },
		{ "reclaim-policy", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct rcl_config cfg;
	struct rcl_engine *e;
	enum trace_format format = TRACE_ORACLE;
	char *caches = NULL, *dir = NULL, *tok, *save = NULL, swap[512], data[512], err[512];
	uint64_t arena = 16 << 20, swap_bytes = 0, cache, misses;
	enum fileio_advice advice = FILEIO_RANDOM;
	enum rcl_reclaim_policy policy = RCL_RECLAIM_TWO_LIST;
	bool mmap = false;
	struct trace t;
	unsigned int i = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'a': parse_size(optarg, &arena); break;
		case 's': parse_size(optarg, &swap_bytes); break;
		case 'd': dir = optarg; break;
		case 'f': trace_format_parse(optarg, &format); break;
		case 'x': mmap = !strcmp(optarg, "mmap"); break;
		case 'c': caches = optarg; break;
		case 'v':
			advice = !strcmp(optarg, "normal") ? FILEIO_NORMAL :
				 !strcmp(optarg, "sequential") ? FILEIO_SEQUENTIAL : FILEIO_RANDOM;
			break;
		case 'p':
			if (rcl_reclaim_policy_lookup(optarg, &policy) < 0) {
				fprintf(stderr, "replay-engine: no reclaim policy %s\n", optarg);
				return 64;
			}
			break;
		default: return 64;
		}
	}
	if (optind != argc - 1 || !dir || !caches)
		return 64;
	if (trace_load(argv[optind], format, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "replay-engine: %s\n", err);
		return 1;
	}
	snprintf(swap, sizeof(swap), "%s/swap", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	rcl_config_defaults(&cfg);
	cfg.arena_bytes = arena;
	cfg.data_dir = data;
	cfg.reclaim_policy = policy;
	if (swap_bytes) {
		cfg.swap_path = swap;
		cfg.swap_bytes = swap_bytes;
	}
	if ((r = rcl_engine_new(&cfg, &e)))
		return die("engine", r);
	rcl_thread_attach(e);	/* as the daemon's worker is */
	for (tok = strtok_r(caches, ",", &save); tok; tok = strtok_r(NULL, ",", &save), i++) {
		if (parse_size(tok, &cache) < 0 ||
		    replay_size(e, &t, mmap, advice, cache, i, data, &misses))
			return 1;
		printf("%" PRIu64 " %" PRIu64 "\n", cache, misses);
	}
	rcl_thread_detach(e);
	rcl_engine_free(e);
	trace_free(&t);
	return 0;
}
