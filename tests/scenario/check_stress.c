/*
 * check_stress - the threaded engine: several client threads write, read, advise and reclaim
 * their own regions at once while kswapd and the flusher run, the arena several times
 * overcommitted. Every byte each thread wrote reads back; the free lists stay consistent.
 * Run under ThreadSanitizer in CI (.ci/run), where any data race fails it.
 *
 * The second test is the concurrency scenario: eight client threads on two nodes with swap
 * through io_uring (so completions come back in whatever thread reaps them), each with an
 * anonymous, a shared-file and a private-file region, all of them also faulting pages of one
 * common region that is being swapped, while scratch regions are created, advised and freed
 * around them. Faults wait for I/O without the model lock, so here they really interleave.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "mm.h"
#include "internal.h"

#define PAGE		4096ULL
#define THREADS		3
#define PAGES		1024		/* per thread: 4 MiB, three threads in an 8 MiB arena */
#define ROUNDS		6

struct worker {
	struct fixture *f;
	int n;
	uint32_t anon, file;
	int failures;
	char why[128];
};

static void record_failure(struct worker *w, const char *what, uint64_t page, int err)
{
	if (!w->failures++)
		snprintf(w->why, sizeof(w->why), "thread %d: %s page %llu: %d", w->n, what,
			 (unsigned long long)page, err);
}

/* The pattern of (thread, round) for page p: later rounds overwrite every other page. */
static uint64_t seed_of(int n, int round, uint64_t p)
{
	return (uint64_t)(n + 1) * 1000 + (uint64_t)(p % 2 ? round : 0);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rcl_engine *e = w->f->e;
	char *buf = malloc(PAGE);
	uint64_t p, reclaimed;
	int round, err;

	rcl_thread_attach(e);
	for (round = 0; round < ROUNDS && !w->failures; round++) {
		for (p = 0; p < PAGES; p++) {
			if (round && !(p % 2))
				continue;	/* even pages keep their round-0 contents */
			fill_pattern(buf, PAGE, seed_of(w->n, round, p), p * PAGE);
			err = rcl_region_write(e, p % 3 ? w->anon : w->file, p * PAGE, buf, PAGE);
			if (err)
				record_failure(w, "write", p, err);
		}
		/* Some advice and reclaim of their own, between the rounds. */
		rcl_region_madvise(e, w->anon, (uint64_t)round * 64, 64, RCL_MADV_PAGEOUT);
		rcl_region_madvise(e, w->anon, (uint64_t)round * 64 + 64, 64, RCL_MADV_COLD);
		rcl_memcg_reclaim(e, RCL_MEMCG_ROOT, 32, &reclaimed);
		if (round == ROUNDS / 2 && (err = rcl_region_msync(e, w->file)))
			record_failure(w, "msync", 0, err);
		for (p = 0; p < PAGES; p += 7) {
			err = rcl_region_read(e, p % 3 ? w->anon : w->file, p * PAGE, buf, PAGE);
			if (err)
				record_failure(w, "read", p, err);
			else if (!check_pattern(buf, PAGE, seed_of(w->n, round, p), p * PAGE))
				record_failure(w, "mid-run data of", p, 0);
		}
	}
	for (p = 0; p < PAGES && !w->failures; p++) {
		err = rcl_region_read(e, p % 3 ? w->anon : w->file, p * PAGE, buf, PAGE);
		if (err)
			record_failure(w, "final read", p, err);
		else if (!check_pattern(buf, PAGE, seed_of(w->n, ROUNDS - 1, p), p * PAGE))
			record_failure(w, "final data of", p, 0);
	}
	rcl_thread_detach(e);
	free(buf);
	return NULL;
}

START_TEST(test_threads_with_kswapd_and_flusher)
{
	struct fixture f;
	struct worker w[THREADS];
	pthread_t tid[THREADS];
	char name[32], why[200];
	int i;

	fixture_setup(&f, 8, 64, 2);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	for (i = 0; i < THREADS; i++) {
		struct rcl_region_spec anon = { .type = RCL_REGION_ANON, .nr_pages = PAGES };
		struct rcl_region_spec file = { .type = RCL_REGION_FILE, .nr_pages = PAGES,
						.flags = RCL_REGION_SHARED, .path = name };

		snprintf(name, sizeof(name), "stress-%d", i);
		w[i] = (struct worker){ .f = &f, .n = i };
		ck_assert_int_eq(rcl_region_create(f.e, &anon, &w[i].anon), 0);
		ck_assert_int_eq(rcl_region_create(f.e, &file, &w[i].file), 0);
	}
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&tid[i], NULL, worker_main, &w[i]), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	rcl_engine_stop_threads(f.e);
	for (i = 0; i < THREADS; i++)
		ck_assert_msg(!w[i].failures, "%s (%d failures)", w[i].why, w[i].failures);
	/* It was really under pressure, with both kinds of reclaim at work. */
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpout"), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpin"), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pgsteal_direct") +
			  fixture_vmstat(f.e, "pgsteal_kswapd"), 0);
	drain_all_pages(f.e, NULL);
	mm_lock(f.e);
	ck_assert_msg(engine_check_consistency(f.e, why, sizeof(why)) == 0, "%s", why);
	mm_unlock(f.e);
	fixture_teardown(&f);
}
END_TEST

#define MT_THREADS	8
#define MT_PAGES	256		/* per region */
#define MT_COMMON	512
#define MT_ROUNDS	3

struct mt_worker {
	struct fixture *f;
	int n;
	uint32_t anon, shared, private, common;
	int failures;
	char why[160];
};

static void mt_failure(struct mt_worker *w, const char *what, uint64_t page, int err)
{
	if (!w->failures++)
		snprintf(w->why, sizeof(w->why), "thread %d: %s page %llu: %d", w->n, what,
			 (unsigned long long)page, err);
}

/* What page p of region kind k holds after round r: odd pages are rewritten every round. */
static uint64_t mt_seed(int n, int kind, int round, uint64_t p)
{
	return ((uint64_t)(n + 1) << 20) + ((uint64_t)kind << 16) + (p % 2 ? (uint64_t)round : 0);
}

static void mt_check(struct mt_worker *w, uint32_t id, uint64_t p, uint64_t seed, char *buf,
		     const char *what)
{
	int err = rcl_region_read(w->f->e, id, p * PAGE, buf, PAGE);

	if (err)
		mt_failure(w, what, p, err);
	else if (!check_pattern(buf, PAGE, seed, p * PAGE))
		mt_failure(w, what, p, 0);
}

static void *mt_worker_main(void *arg)
{
	struct mt_worker *w = arg;
	struct rcl_engine *e = w->f->e;
	struct rcl_region_spec scratch = { .type = RCL_REGION_ANON, .nr_pages = 64 };
	uint32_t ids[3] = { w->anon, w->shared, w->private }, sid;
	char *buf = malloc(PAGE);
	uint64_t p, reclaimed, x = (uint64_t)w->n * 7919 + 1;
	int round, k, err;

	rcl_thread_attach(e);
	for (round = 0; round < MT_ROUNDS && !w->failures; round++) {
		for (p = 0; p < MT_PAGES; p++) {
			for (k = 0; k < 3; k++) {
				if (round && !(p % 2))
					continue;
				fill_pattern(buf, PAGE, mt_seed(w->n, k, round, p), p * PAGE);
				err = rcl_region_write(e, ids[k], p * PAGE, buf, PAGE);
				if (err)
					mt_failure(w, "write", p, err);
			}
			/* Everybody faults the common region's pages, often the same ones. */
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			mt_check(w, w->common, (x >> 33) % MT_COMMON, 0xc0ffee, buf, "common");
		}
		/* A scratch region lives and dies among the others' faults. */
		if (rcl_region_create(e, &scratch, &sid) == 0) {
			rcl_region_touch(e, sid, 0, 64, true);
			rcl_region_madvise(e, sid, 0, 32, RCL_MADV_DONTNEED);
			rcl_region_madvise(e, sid, 32, 32, RCL_MADV_PAGEOUT);
			rcl_region_free(e, sid);
		}
		rcl_region_madvise(e, w->anon, (uint64_t)round * 32, 32, RCL_MADV_PAGEOUT);
		rcl_region_madvise(e, w->private, (uint64_t)round * 32, 32, RCL_MADV_COLD);
		rcl_memcg_reclaim(e, RCL_MEMCG_ROOT, 32, &reclaimed);
		if ((err = rcl_region_msync(e, w->shared)))
			mt_failure(w, "msync", 0, err);
	}
	for (p = 0; p < MT_PAGES && !w->failures; p++)
		for (k = 0; k < 3; k++)
			mt_check(w, ids[k], p, mt_seed(w->n, k, MT_ROUNDS - 1, p), buf, "final");
	rcl_thread_detach(e);
	free(buf);
	return NULL;
}

/*
 * An operator's reads beside it all, as the daemon's loop thread makes them: memory.stat,
 * PSI, the pressure level, the group walk, vmstat, a region's info and the tunables, with
 * the engine's lock forbidden
 * (--enable-debug aborts if one of them takes it; TSan sees any read not made safe).
 */
struct mt_monitor {
	struct rcl_engine *e;
	uint32_t region;		/* whose info it reads */
	_Atomic bool stop;
	unsigned long rounds;
	int err;
};

static void *mt_monitor_main(void *arg)
{
	struct mt_monitor *m = arg;
	char *text = NULL;
	size_t len;

	rcl_thread_never_blocks(true);
	while (!atomic_load(&m->stop) && !m->err) {
		FILE *out = open_memstream(&text, &len);
		enum rcl_pressure_level level;
		struct rcl_region_info ri;
		struct rcl_psi psi;
		uint32_t id = 0;
		uint64_t v;

		if (!out) {
			m->err = -ENOMEM;
			break;
		}
		m->err = rcl_memcg_show_stat(m->e, RCL_MEMCG_ROOT, out);
		if (!m->err)
			m->err = rcl_engine_show(m->e, RCL_VIEW_VMSTAT, out);
		fclose(out);
		free(text);
		if (!m->err)
			m->err = rcl_psi_read(m->e, RCL_MEMCG_ROOT, &psi);
		if (!m->err)
			m->err = rcl_pressure_now(m->e, RCL_MEMCG_ROOT, &level);
		if (!m->err && rcl_memcg_list(m->e, RCL_MEMCG_ROOT, &id, 1) < 1)
			m->err = -ENOENT;
		if (!m->err)
			m->err = rcl_region_info(m->e, m->region, &ri);
		if (!m->err && ri.nr_pages != MT_COMMON)
			m->err = -ERANGE;
		if (!m->err)
			m->err = rcl_tunable_get(m->e, RCL_TUNABLE_DIRTY_RATIO, &v);
		m->rounds++;
	}
	rcl_thread_never_blocks(false);
	return NULL;
}

START_TEST(test_eight_threads_two_nodes_uring)
{
	struct fixture f;
	struct mt_worker w[MT_THREADS];
	struct mt_monitor mon = { .e = NULL };
	struct rcl_region_spec common = { .type = RCL_REGION_ANON, .nr_pages = MT_COMMON };
	pthread_t tid[MT_THREADS], mon_tid;
	char name[64], path[200], why[200], *buf = malloc(PAGE);
	uint32_t common_id;
	uint64_t p, locked0;
	int i;

	fixture_setup_io(&f, 8, 128, 2, true);
	ck_assert_int_eq(rcl_region_create(f.e, &common, &common_id), 0);
	fixture_fill(&f, common_id, 0, MT_COMMON, 0xc0ffee);
	for (i = 0; i < MT_THREADS; i++) {
		struct rcl_region_spec anon = { .type = RCL_REGION_ANON, .nr_pages = MT_PAGES };
		struct rcl_region_spec file = { .type = RCL_REGION_FILE, .nr_pages = MT_PAGES,
						.path = name };
		FILE *fp;

		w[i] = (struct mt_worker){ .f = &f, .n = i, .common = common_id };
		ck_assert_int_eq(rcl_region_create(f.e, &anon, &w[i].anon), 0);
		snprintf(name, sizeof(name), "mt-shared-%d", i);
		file.flags = RCL_REGION_SHARED;
		ck_assert_int_eq(rcl_region_create(f.e, &file, &w[i].shared), 0);
		/* A private region maps an existing file and never changes it. */
		snprintf(name, sizeof(name), "mt-private-%d", i);
		snprintf(path, sizeof(path), "%s/%s", f.data, name);
		ck_assert_ptr_nonnull(fp = fopen(path, "w"));
		for (p = 0; p < MT_PAGES; p++) {
			fill_pattern(buf, PAGE, 0xf11e, p * PAGE);
			ck_assert_uint_eq(fwrite(buf, 1, PAGE, fp), PAGE);
		}
		fclose(fp);
		file.flags = 0;
		ck_assert_int_eq(rcl_region_create(f.e, &file, &w[i].private), 0);
	}
	/* The set-up above ran deterministically, mm_lock held throughout. */
	locked0 = fixture_vmstat(f.e, "pswpout_locked");
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	mon.e = f.e;
	mon.region = common_id;
	ck_assert_int_eq(pthread_create(&mon_tid, NULL, mt_monitor_main, &mon), 0);
	for (i = 0; i < MT_THREADS; i++)
		ck_assert_int_eq(pthread_create(&tid[i], NULL, mt_worker_main, &w[i]), 0);
	for (i = 0; i < MT_THREADS; i++)
		pthread_join(tid[i], NULL);
	atomic_store(&mon.stop, true);
	pthread_join(mon_tid, NULL);
	ck_assert_int_eq(mon.err, 0);
	ck_assert_uint_gt(mon.rounds, 0);
	/* Direct, kswapd, memcg and MADV_PAGEOUT reclaim all submitted without mm_lock. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout_locked") - locked0, 0);
	rcl_engine_stop_threads(f.e);
	for (i = 0; i < MT_THREADS; i++)
		ck_assert_msg(!w[i].failures, "%s (%d failures)", w[i].why, w[i].failures);
	fixture_verify(&f, common_id, MT_COMMON, 0xc0ffee);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpout"), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpin"), 0);
	drain_all_pages(f.e, NULL);
	mm_lock(f.e);
	ck_assert_msg(engine_check_consistency(f.e, why, sizeof(why)) == 0, "%s", why);
	mm_unlock(f.e);
	free(buf);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("stress");
	TCase *tc = tcase_create("stress");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_threads_with_kswapd_and_flusher);
	tcase_add_test(tc, test_eight_threads_two_nodes_uring);
	suite_add_tcase(s, tc);
	return s;
}
