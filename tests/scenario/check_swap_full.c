/*
 * check_swap_full - a full swap device never hands a client another region's bytes.
 *
 * Four regions are written in 256 KiB chunks, interleaved, until memory and swap are both
 * exhausted: a chunk is acknowledged when its write returned 0. Reading back, each
 * acknowledged chunk is either exactly what was written or refused with -ENOMEM / -ENOSPC,
 * never anything else, and reads are retried in a different order (the path that once found
 * readahead pages in the swap cache that were never read). Once one region is freed, every
 * acknowledged chunk of the others reads back.
 */
#include <errno.h>
#include <signal.h>

#define RCL_CHECK_ONE_THREAD	/* deterministic, never started: see check-main.h */
#include "check-main.h"
#include "engine-fixture.h"
#include "mm.h"

#define PAGE		4096ULL
#define CHUNK		(256 * 1024ULL)
#define NR_REGIONS	4

struct client {
	uint32_t id;
	uint64_t nr_chunks;
	bool *acked;
};

static uint64_t seed_of(int r)
{
	return 0x5eed0000u + (uint64_t)r;
}

/* Write chunk @c of client @r; true when acknowledged. */
static bool write_chunk(struct fixture *f, struct client *cl, int r, uint64_t c, char *buf)
{
	int err;

	fill_pattern(buf, CHUNK, seed_of(r), c * CHUNK);
	err = rcl_region_write(f->e, cl[r].id, c * CHUNK, buf, CHUNK);
	ck_assert_msg(err == 0 || err == -ENOMEM || err == -ENOSPC,
		      "write of region %d chunk %llu: %d", r, (unsigned long long)c, err);
	return err == 0;
}

/*
 * Read every acknowledged chunk of the clients in @mask, visiting chunks in the order
 * (i * stride) mod n. Returns how many reads were refused (only -ENOMEM/-ENOSPC may be).
 */
static unsigned int verify_chunks(struct fixture *f, struct client *cl, unsigned int mask,
				  uint64_t stride, char *buf)
{
	unsigned int refused = 0;
	int r;

	for (r = 0; r < NR_REGIONS; r++) {
		uint64_t n = cl[r].nr_chunks, i;

		if (!(mask & (1u << r)))
			continue;
		for (i = 0; i < n; i++) {
			uint64_t c = (i * stride) % n;
			int err;

			if (!cl[r].acked[c])
				continue;
			err = rcl_region_read(f->e, cl[r].id, c * CHUNK, buf, CHUNK);
			if (err) {
				ck_assert_msg(err == -ENOMEM || err == -ENOSPC,
					      "read of region %d chunk %llu: %d", r,
					      (unsigned long long)c, err);
				refused++;
				continue;
			}
			ck_assert_msg(check_pattern(buf, CHUNK, seed_of(r), c * CHUNK),
				      "region %d chunk %llu holds bytes it was never given", r,
				      (unsigned long long)c);
		}
	}
	return refused;
}

static void fill_until_full(struct fixture *f, struct client *cl, uint64_t region_bytes,
			    char *buf)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = region_bytes / PAGE };
	uint64_t c;
	int r;

	for (r = 0; r < NR_REGIONS; r++) {
		ck_assert_int_eq(rcl_region_create(f->e, &spec, &cl[r].id), 0);
		cl[r].nr_chunks = region_bytes / CHUNK;
		cl[r].acked = calloc(cl[r].nr_chunks, sizeof(bool));
	}
	for (c = 0; c < cl[0].nr_chunks; c++)
		for (r = 0; r < NR_REGIONS; r++)
			cl[r].acked[c] = write_chunk(f, cl, r, c, buf);
}

/* The case scaled down: 4 x 9 MiB into an 8 MiB arena with 24 MiB of swap. */
START_TEST(test_swap_full_reads_own_bytes_or_refuse)
{
	struct fixture f;
	struct client cl[NR_REGIONS];
	char *buf = malloc(CHUNK);
	unsigned int refused, acked_chunks = 0;
	uint64_t strides[] = { 1, 7, 13, 5, 3 }, c;
	int r, pass;

	fixture_setup(&f, 8, 24, 1);
	fill_until_full(&f, cl, 9 * MiB, buf);
	for (r = 0; r < NR_REGIONS; r++)
		for (c = 0; c < cl[r].nr_chunks; c++)
			acked_chunks += cl[r].acked[c];
	/* The set-up must really exhaust swap: some writes were refused, most went through. */
	ck_assert_uint_lt(acked_chunks, NR_REGIONS * cl[0].nr_chunks);
	ck_assert_uint_gt(acked_chunks, NR_REGIONS * cl[0].nr_chunks / 2);

	/* Several passes in different orders: refusals and retries never yield foreign bytes. */
	refused = 0;
	for (pass = 0; pass < (int)(sizeof(strides) / sizeof(strides[0])); pass++)
		refused += verify_chunks(&f, cl, 0xf, strides[pass], buf);
	ck_assert_uint_gt(refused, 0);

	/* Space freed: every acknowledged chunk of the other three reads back exactly. */
	ck_assert_int_eq(rcl_region_free(f.e, cl[0].id), 0);
	ck_assert_uint_eq(verify_chunks(&f, cl, 0xe, 1, buf), 0);
	ck_assert_uint_eq(verify_chunks(&f, cl, 0xe, 11, buf), 0);

	for (r = 0; r < NR_REGIONS; r++)
		free(cl[r].acked);
	free(buf);
	fixture_teardown(&f);
}
END_TEST

/*
 * The swap-in that cannot get a frame for its target after readahead took the last free one:
 * the readahead page must not stay in the swap cache unread, or the next fault on its slot
 * maps whatever the frame held before (another region's bytes).
 */
START_TEST(test_failed_swapin_leaves_no_unread_readahead_page)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 16 };
	struct region *region;
	uint32_t id, *raw, nr_raw = 0, pfn;
	char *buf = malloc(PAGE);
	uint32_t slot = 0;
	uint64_t reclaimed;
	unsigned long idx;
	int err;

	fixture_setup(&f, 8, 8, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, 16, 61);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 16, RCL_MADV_PAGEOUT), 0);
	/* Reclaim frees the written swap cache pages: the data lives only in the swap file. */
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, RCL_MEMCG_ROOT, 16, &reclaimed), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_swapcached"), 0);

	/* A page whose slot is odd and follows its neighbour's: a window of 2 reads both. */
	region = region_lookup(f.e, id);
	for (idx = 1; idx < 16; idx++) {
		ck_assert(is_swap_pte(pte_get(region, idx)));
		slot = swp_offset(pte_to_swp_entry(pte_get(region, idx)));
		if ((slot & 1) &&
		    swp_offset(pte_to_swp_entry(pte_get(region, idx - 1))) == slot - 1)
			break;
	}
	ck_assert_uint_lt(idx, 16);

	/* Take every frame, give one back, and poison it: it is what an unread page holds. */
	raw = malloc(f.e->nr_frames * sizeof(*raw));
	while (nr_raw < f.e->nr_frames && rcl_alloc_pages(f.e, 0, RCL_NUMA_NO_NODE, 0, &pfn) == 0)
		raw[nr_raw++] = pfn;
	ck_assert_uint_gt(nr_raw, 0);
	pfn = raw[--nr_raw];
	memset(page_address(pfn_to_page(f.e, pfn)), 0xab, PAGE);
	ck_assert_int_eq(rcl_free_pages(f.e, pfn, 0), 0);

	/* A sequential-looking fault: a window of 2 with the neighbour first and one free frame.
	 * The fault gets its own page or is refused; readahead never gets the frame instead. */
	f.e->swap_ra_prev_offset = slot - 1;
	err = rcl_region_read(f.e, id, idx * PAGE, buf, PAGE);
	ck_assert_msg(err == 0 || err == -ENOMEM, "read: %d", err);
	ck_assert(err || check_pattern(buf, PAGE, 61, idx * PAGE));

	while (nr_raw)
		ck_assert_int_eq(rcl_free_pages(f.e, raw[--nr_raw], 0), 0);
	fixture_verify(&f, id, 16, 61);
	free(raw);
	free(buf);
	fixture_teardown(&f);
}
END_TEST

#ifdef RCL_DEBUG
/* --enable-debug: a page unlocked by a path that does not hold its lock stops the engine. */
START_TEST(test_unlock_of_unlocked_page_aborts)
{
	struct fixture f;
	uint32_t pfn;
	struct page *page;

	fixture_setup(&f, 8, 0, 1);
	ck_assert_int_eq(rcl_alloc_pages(f.e, 0, RCL_NUMA_NO_NODE, 0, &pfn), 0);
	page = pfn_to_page(f.e, pfn);
	ck_assert(trylock_page(page));
	unlock_page(page);
	unlock_page(page);	/* the second one aborts */
}
END_TEST

START_TEST(test_lock_of_locked_new_page_aborts)
{
	struct fixture f;
	uint32_t pfn;
	struct page *page;

	fixture_setup(&f, 8, 0, 1);
	ck_assert_int_eq(rcl_alloc_pages(f.e, 0, RCL_NUMA_NO_NODE, 0, &pfn), 0);
	page = pfn_to_page(f.e, pfn);
	__lock_new_page(page);
	__lock_new_page(page);	/* aborts */
}
END_TEST
#endif

static Suite *make_suite(void)
{
	Suite *s = suite_create("swap_full");
	TCase *tc = tcase_create("swap_full");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_swap_full_reads_own_bytes_or_refuse);
	tcase_add_test(tc, test_failed_swapin_leaves_no_unread_readahead_page);
#ifdef RCL_DEBUG
	tcase_add_test_raise_signal(tc, test_unlock_of_unlocked_page_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_lock_of_locked_new_page_aborts, SIGABRT);
#endif
	suite_add_tcase(s, tc);
	return s;
}
