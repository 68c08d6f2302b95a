/*
 * check_faults - I/O failures never lose a byte: a failed swap write leaves the page in memory
 * and dirty (its slot is never used again) until reclaim writes it to a good slot; a failed
 * file write is reported once by msync and the page stays dirty until a later writeback
 * succeeds; a corrupted swap slot is an error on swap-in, never silent data.
 */
#include <errno.h>
#include <fcntl.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "mm.h"

#define PAGE 4096ULL

START_TEST(test_failed_swap_write_keeps_the_page)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 256 };
	struct rcl_region_info info;
	long total_before;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, 256, 51);
	total_before = total_swap_pages(f.e);
	io_inject_fault(f.e->swap->io, true, 1, -EIO);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 256, RCL_MADV_PAGEOUT), 0);
	/* The failed request's slots are retired; every byte is still readable. */
	ck_assert_int_lt(total_swap_pages(f.e), total_before);
	ck_assert_int_eq(rcl_region_info(f.e, id, &info), 0);
	fixture_verify(&f, id, 256, 51);
	/* Reclaim again: the retired slots are not reused, and still nothing is lost. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 256, RCL_MADV_PAGEOUT), 0);
	fixture_verify(&f, id, 256, 51);
	fixture_teardown(&f);
}
END_TEST

/*
 * A page whose swap write failed is not stuck on its retiring slot: the next reclaim maps it
 * back, lets the slot go and writes the page to a good one. Before, each later pageout tried
 * the failed slot again and the page stayed in memory for good (reclaim freed nothing here).
 */
START_TEST(test_failed_swap_write_page_moves_to_a_good_slot)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 256 };
	struct region *region;
	uint64_t reclaimed, written;
	unsigned long i;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, 256, 52);
	io_inject_fault(f.e->swap->io, true, 1, -EIO);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 256, RCL_MADV_PAGEOUT), 0);
	/* The one request failed: every page is in the swap cache on a retiring slot. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_swapcached"), 256);
	written = fixture_vmstat(f.e, "pswpout");
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, RCL_MEMCG_ROOT, 256, &reclaimed), 0);
	ck_assert_uint_eq(reclaimed, 256);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout") - written, 256);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_swapcached"), 0);
	region = region_lookup(f.e, id);
	for (i = 0; i < 256; i++) {
		pte_t pte = pte_get(region, i);

		ck_assert(is_swap_pte(pte));
		ck_assert(swap_entry_valid(f.e, pte_to_swp_entry(pte)));
	}
	fixture_verify(&f, id, 256, 52);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_failed_file_write_is_reported_and_retried)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = 64, .path = "f",
					.flags = RCL_REGION_SHARED };
	char path[160], *buf = malloc(PAGE);
	uint32_t id;
	uint64_t p;
	int fd;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, 64, 52);
	io_inject_fault(f.e->file_io, true, 1, -EIO);
	ck_assert_int_eq(rcl_region_msync(f.e, id), -EIO);	/* reported once */
	ck_assert_uint_gt(fixture_vmstat(f.e, "nr_dirty"), 0);	/* still dirty in memory */
	ck_assert_int_eq(rcl_region_msync(f.e, id), 0);	/* retried, succeeds */
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_dirty"), 0);
	snprintf(path, sizeof(path), "%s/f", f.data);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	for (p = 0; p < 64; p++) {
		ck_assert_int_eq(pread(fd, buf, PAGE, (off_t)(p * PAGE)), (ssize_t)PAGE);
		ck_assert(check_pattern(buf, PAGE, 52, p * PAGE));
	}
	close(fd);
	free(buf);
	fixture_teardown(&f);
}
END_TEST

/* A full disk is not an I/O error: msync says -ENOSPC (NO_SPACE on the wire) as the write did. */
START_TEST(test_file_write_enospc_is_reported_as_enospc)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = 16, .path = "full",
					.flags = RCL_REGION_SHARED };
	uint32_t id;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, 16, 54);
	io_inject_fault(f.e->file_io, true, 1, -ENOSPC);
	ck_assert_int_eq(rcl_region_msync(f.e, id), -ENOSPC);
	ck_assert_uint_gt(fixture_vmstat(f.e, "nr_dirty"), 0);	/* kept for a later try */
	/* The same holds for the sync of everything at shutdown. */
	fixture_fill(&f, id, 0, 16, 55);
	io_inject_fault(f.e->file_io, true, 1, -ENOSPC);
	ck_assert_int_eq(rcl_sync_all(f.e), -ENOSPC);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	fixture_verify(&f, id, 16, 55);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_corrupt_swap_slot_is_an_error)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 64 };
	char *buf = malloc(PAGE), junk[16] = "not the page!!!";
	struct region *region;
	uint64_t reclaimed;
	uint32_t id, offset;
	int fd;

	fixture_setup(&f, 16, 32, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, 64, 53);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 64, RCL_MADV_PAGEOUT), 0);
	/* Reclaim frees the written swap cache pages: the data lives only in the swap file. */
	ck_assert_int_eq(rcl_memcg_reclaim(f.e, RCL_MEMCG_ROOT, 64, &reclaimed), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_swapcached"), 0);
	region = region_lookup(f.e, id);
	ck_assert(is_swap_pte(pte_get(region, 7)));
	offset = swp_offset(pte_to_swp_entry(pte_get(region, 7)));
	fd = open(f.swap, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), (off_t)offset * 4096 + 100),
			 (ssize_t)sizeof(junk));
	close(fd);
	ck_assert_int_eq(rcl_region_read(f.e, id, 7 * PAGE, buf, PAGE), -EIO);
	/* The other pages are fine. */
	ck_assert_int_eq(rcl_region_read(f.e, id, 20 * PAGE, buf, PAGE), 0);
	ck_assert(check_pattern(buf, PAGE, 53, 20 * PAGE));
	free(buf);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_failed_swap_write_keeps_the_page);
	tcase_add_test(tc, test_failed_swap_write_page_moves_to_a_good_slot);
	tcase_add_test(tc, test_failed_file_write_is_reported_and_retried);
	tcase_add_test(tc, test_file_write_enospc_is_reported_as_enospc);
	tcase_add_test(tc, test_corrupt_swap_slot_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
