/*
 * check_xarray - the sparse array under page tables and the page cache: entries anywhere in
 * the index space, walks that skip what was never populated, and memory that follows use.
 */
#include <limits.h>

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

static Suite *make_suite(void)
{
	Suite *s = suite_create("xarray");
	TCase *tc = tcase_create("xarray");

	tcase_add_test(tc, test_sparse_store_load_find);
	tcase_add_test(tc, test_release_gives_back_empty_paths);
	suite_add_tcase(s, tc);
	return s;
}
