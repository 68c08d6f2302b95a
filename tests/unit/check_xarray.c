/*
 * check_xarray - the sparse array under page tables and the page cache: entries anywhere in
 * the index space, walks that skip what was never populated, memory that follows use, and
 * lookups that run beside a writer growing the tree.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "check-main.h"
#include "xarray.h"

static void store(struct xarray *xa, unsigned long index, uint64_t v)
{
	struct xa_node *leaf = xa_leaf_create(xa, index);

	ck_assert_ptr_nonnull(leaf);
	leaf->entries[index & XA_CHUNK_MASK] = v;
}

START_TEST(test_sparse_store_load_find)
{
	unsigned long idx[] = { 0, 1, 63, 64, 4095, 1UL << 30, (1UL << 36) + 5, ULONG_MAX - 1 };
	unsigned long i, n, at;
	struct xarray xa;

	xa_init(&xa);
	ck_assert_uint_eq(xa_load(&xa, 12345), 0);
	ck_assert_uint_eq(xa_find(&xa, 0, ULONG_MAX), ULONG_MAX);
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		store(&xa, idx[i], idx[i] + 1);
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		ck_assert_uint_eq(xa_load(&xa, idx[i]), idx[i] + 1);
	ck_assert_uint_eq(xa_load(&xa, 2), 0);
	ck_assert_uint_eq(xa_load(&xa, (1UL << 30) + 1), 0);
	/* A walk over everything visits exactly the stored indices, in order. */
	n = 0;
	xa_for_each_range(&xa, at, 0, ULONG_MAX) {
		ck_assert_uint_eq(at, idx[n]);
		n++;
	}
	ck_assert_uint_eq(n, sizeof(idx) / sizeof(idx[0]));
	ck_assert_uint_eq(xa_find(&xa, 65, 1UL << 30), 4095);
	ck_assert_uint_eq(xa_find(&xa, 4096, 1UL << 30), 1UL << 30);
	/* Memory follows use: a handful of nodes per stored index at most. */
	ck_assert_uint_le(xa.nr_nodes, 11 * sizeof(idx) / sizeof(idx[0]));
	xa_destroy(&xa);
	ck_assert_ptr_null(xa.head);
	ck_assert_uint_eq(xa.nr_nodes, 0);
}
END_TEST

START_TEST(test_release_gives_back_empty_paths)
{
	struct xarray xa;
	struct xa_node *leaf;

	xa_init(&xa);
	store(&xa, 5, 1);
	store(&xa, 1UL << 40, 2);
	ck_assert_uint_gt(xa.nr_nodes, 2);
	leaf = xa_leaf(&xa, 1UL << 40);
	ck_assert_uint_eq(xa_leaf_index(leaf), 1UL << 40);
	xa_leaf_release(&xa, leaf);		/* not empty: stays */
	ck_assert_uint_eq(xa_load(&xa, 1UL << 40), 2);
	leaf->entries[0] = 0;
	xa_leaf_release(&xa, leaf);
	ck_assert_ptr_null(xa_leaf(&xa, 1UL << 40));
	ck_assert_uint_eq(xa_load(&xa, 5), 1);
	ck_assert_ptr_eq(xa_next_leaf(&xa, 64), NULL);
	ck_assert_ptr_eq(xa_next_leaf(&xa, 0), xa_leaf(&xa, 5));
	leaf = xa_leaf(&xa, 5);
	leaf->entries[5] = 0;
	xa_leaf_release(&xa, leaf);
	ck_assert_ptr_null(xa.head);
	ck_assert_uint_eq(xa.nr_nodes, 0);
}
END_TEST

/* ---- lookups beside a writer ------------------------------------------------------------ */

#define GROW_STORES	20000
#define GROW_LOOKUPS	400000

struct grow {
	struct xarray xa;
	unsigned long idx[GROW_STORES];
	atomic_ulong published;		/* stores whose entries readers may look for */
	atomic_bool done;
	pthread_barrier_t start;	/* reader and writer begin together */
	unsigned long looked;		/* the reader's lookups while the writer ran */
	unsigned long bad;		/* ...that did not find what was stored */
};

static uint64_t grow_value(unsigned long index)
{
	return (index ^ 0x5a5a5a5aUL) | 1;
}

/* As a fault under a region's ptl: make the path, store the entry, and say so. */
static void *grow_writer(void *arg)
{
	struct grow *g = arg;
	unsigned long k;

	pthread_barrier_wait(&g->start);
	for (k = 0; k < GROW_STORES; k++) {
		struct xa_node *leaf = xa_leaf_create(&g->xa, g->idx[k]);

		if (!leaf)
			break;
		__atomic_store_n(&leaf->entries[g->idx[k] & XA_CHUNK_MASK],
				 grow_value(g->idx[k]), __ATOMIC_RELAXED);
		atomic_store_explicit(&g->published, k + 1, memory_order_release);
	}
	atomic_store(&g->done, true);
	return NULL;
}

/* As a holder of mm_lock alone: look up what was published, find it by a walk too. */
static void *grow_reader(void *arg)
{
	struct grow *g = arg;
	unsigned long n, k, seed = 88172645463325252UL;
	unsigned long i;

	pthread_barrier_wait(&g->start);
	for (i = 0; i < GROW_LOOKUPS && !atomic_load(&g->done); i++) {
		n = atomic_load_explicit(&g->published, memory_order_acquire);
		if (!n) {
			sched_yield();		/* the writer has not stored its first yet */
			continue;
		}
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		k = seed % n;
		if (xa_load(&g->xa, g->idx[k]) != grow_value(g->idx[k]) ||
		    xa_find(&g->xa, g->idx[k], g->idx[k] + 1) != g->idx[k])
			g->bad++;
		g->looked++;
	}
	return NULL;
}

/*
 * One writer stores ever larger indices, so the tree grows new levels on top and new paths
 * below while a reader looks up entries already stored: every lookup finds its entry. Under
 * ThreadSanitizer a link published without its release store, or followed without an
 * acquire load, is a reported race.
 */
START_TEST(test_lookups_beside_a_growing_writer)
{
	static struct grow g;
	pthread_t w, r;
	unsigned long k;

	memset(&g, 0, sizeof(g));
	xa_init(&g.xa);
	/* Strictly increasing, from 64 to about 2^61: the tree's height grows all along. */
	for (k = 0; k < GROW_STORES; k++)
		g.idx[k] = ((k + 1) << 6) << (k * 40 / GROW_STORES);
	pthread_barrier_init(&g.start, NULL, 2);
	ck_assert_int_eq(pthread_create(&r, NULL, grow_reader, &g), 0);
	ck_assert_int_eq(pthread_create(&w, NULL, grow_writer, &g), 0);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	ck_assert_uint_eq(atomic_load(&g.published), GROW_STORES);
	pthread_barrier_destroy(&g.start);
	ck_assert_uint_eq(g.bad, 0);
	fprintf(stderr, "# %lu lookups while the writer ran\n", g.looked);
	ck_assert_msg(g.looked > 0, "the reader looked up nothing while the writer ran");
	for (k = 0; k < GROW_STORES; k++)
		ck_assert_uint_eq(xa_load(&g.xa, g.idx[k]), grow_value(g.idx[k]));
	xa_destroy(&g.xa);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("xarray");
	TCase *tc = tcase_create("xarray");

	tcase_add_test(tc, test_sparse_store_load_find);
	tcase_add_test(tc, test_release_gives_back_empty_paths);
	tcase_add_test(tc, test_lookups_beside_a_growing_writer);
	suite_add_tcase(s, tc);
	return s;
}
