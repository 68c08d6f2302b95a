/*
 * check_integrity - scenario: anon and file regions totalling three times the arena, written
 * with seeded data and read back in another order: every byte survives swap and writeback.
 */
#define RCL_CHECK_ONE_THREAD	/* deterministic, never started: see check-main.h */
#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"

START_TEST(test_integrity_three_times_the_arena)
{
	struct fixture f;
	enum { ARENA_MIB = 16, NR = 6 };
	const uint64_t pages = 3 * ARENA_MIB * MiB / 4096 / NR;	/* per region */
	uint32_t ids[NR];
	char path[160], *page = malloc(4096), *disk = malloc(4096);
	uint64_t i, p;
	int r;

	fixture_setup(&f, ARENA_MIB, 64, 1);
	for (r = 0; r < NR; r++) {
		struct rcl_region_spec spec = { .type = r % 2 ? RCL_REGION_FILE : RCL_REGION_ANON,
						.nr_pages = pages };

		snprintf(path, sizeof(path), "file-%d", r);
		if (r % 2) {
			spec.path = path;
			spec.flags = RCL_REGION_SHARED;
		}
		ck_assert_int_eq(rcl_region_create(f.e, &spec, &ids[r]), 0);
	}
	/* Write every page, region by region. */
	for (r = 0; r < NR; r++) {
		for (p = 0; p < pages; p++) {
			fill_pattern(page, 4096, (uint64_t)r + 1, p * 4096);
			ck_assert_int_eq(rcl_region_write(f.e, ids[r], p * 4096, page, 4096), 0);
		}
	}
	/* Read back interleaved and backwards: every byte as written. */
	for (i = 0; i < pages; i++) {
		for (r = NR - 1; r >= 0; r--) {
			p = pages - 1 - i;
			ck_assert_int_eq(rcl_region_read(f.e, ids[r], p * 4096, page, 4096), 0);
			ck_assert_msg(check_pattern(page, 4096, (uint64_t)r + 1, p * 4096),
				      "region %d page %llu differs", r, (unsigned long long)p);
		}
	}
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpout"), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "pswpin"), 0);
	ck_assert_uint_gt(fixture_vmstat(f.e, "nr_written"), 0);
	{
		char *mi = NULL;
		size_t len;
		FILE *fp = open_memstream(&mi, &len);

		rcl_engine_show(f.e, RCL_VIEW_MEMINFO, fp);
		fclose(fp);
		/* 64 MiB of swap less the header slot; swapped pages are in use. */
		ck_assert_ptr_nonnull(strstr(mi, "SwapTotal:         65532 kB\n"));
		ck_assert_ptr_nonnull(strstr(mi, "SwapFree:  "));
		ck_assert_ptr_null(strstr(mi, "SwapFree:          65532 kB"));
		free(mi);
	}

	/* After msync the files on disk hold the same bytes. */
	for (r = 1; r < NR; r += 2) {
		FILE *fp;

		ck_assert_int_eq(rcl_region_msync(f.e, ids[r]), 0);
		snprintf(path, sizeof(path), "%s/file-%d", f.data, r);
		fp = fopen(path, "rb");
		ck_assert_ptr_nonnull(fp);
		for (p = 0; p < pages; p++) {
			ck_assert_uint_eq(fread(disk, 1, 4096, fp), 4096);
			ck_assert_msg(check_pattern(disk, 4096, (uint64_t)r + 1, p * 4096),
				      "file %d page %llu differs on disk", r, (unsigned long long)p);
		}
		fclose(fp);
	}
	free(page);
	free(disk);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("integrity");
	TCase *tc = tcase_create("integrity");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_integrity_three_times_the_arena);
	suite_add_tcase(s, tc);
	return s;
}
