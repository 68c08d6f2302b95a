/*
 * check_mapped - the engine's half of mapped regions (lib/mapped.c) with a client of its own:
 * an array of pages that map_ops fill and take back, as the daemon's userfaultfd does. A page
 * the client wrote is taken back before reclaim swaps it, and comes back from swap with the
 * client's bytes; a mapped region's own Read/Write and DONTNEED/FREE are refused; a failed
 * take-back keeps the page; a region freed under its mapping tells the mapper; a region four
 * times its memcg's max is mapped whole, every page checked.
 */
#include <errno.h>

#include "check-main.h"
#include "engine-fixture.h"

#define PAGE	4096u

/* The client: its copy of each page, and whether it holds it (mapped out). */
struct client {
	uint8_t (*pages)[PAGE];
	bool *present;
	uint64_t nr;
	unsigned int fills, evictions, lost;
	int fail_evict;		/* -errno the next take-backs return, 0: none */
};

static int fake_fill(void *arg, uint64_t idx, const void *frame)
{
	struct client *cl = arg;

	ck_assert_uint_lt(idx, cl->nr);
	ck_assert(!cl->present[idx]);	/* never filled twice without a take-back */
	memcpy(cl->pages[idx], frame, PAGE);
	cl->present[idx] = true;
	cl->fills++;
	return 0;
}

static int fake_evict(void *arg, uint64_t idx, void *frame)
{
	struct client *cl = arg;

	ck_assert(cl->present[idx]);
	if (cl->fail_evict)
		return cl->fail_evict;
	memcpy(frame, cl->pages[idx], PAGE);
	memset(cl->pages[idx], 0xee, PAGE);	/* punched: what it held is gone */
	cl->present[idx] = false;
	cl->evictions++;
	return 0;
}

static void fake_lost(void *arg)
{
	((struct client *)arg)->lost++;
}

static const struct rcl_map_ops fake_ops = {
	.fill = fake_fill,
	.evict = fake_evict,
	.lost = fake_lost,
};

static void client_init(struct client *cl, uint64_t nr)
{
	memset(cl, 0, sizeof(*cl));
	cl->nr = nr;
	cl->pages = calloc(nr, PAGE);
	cl->present = calloc(nr, sizeof(bool));
	ck_assert(cl->pages && cl->present);
}

static void client_free(struct client *cl)
{
	free(cl->pages);
	free(cl->present);
}

/* The client touches page I: a miss goes to the engine, as its userfaultfd would. */
static void client_touch(struct fixture *f, struct client *cl, uint32_t id, uint64_t i)
{
	if (!cl->present[i])
		ck_assert_int_eq(rcl_region_map_fault(f->e, id, cl, i), 0);
	ck_assert(cl->present[i]);
}

static uint32_t anon_region(struct fixture *f, uint64_t pages, uint32_t memcg)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = pages,
					.memcg_id = memcg };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	return id;
}

START_TEST(test_written_page_taken_back_swapped_and_returned)
{
	struct fixture f;
	struct client cl;
	uint64_t i, out0, pages = 64;
	static const uint8_t zero[PAGE];
	uint32_t id;
	uint8_t buf[PAGE];

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	id = anon_region(&f, pages, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		ck_assert(!memcmp(cl.pages[i], zero, PAGE));	/* a first touch: zeros */
		fill_pattern(cl.pages[i], PAGE, 7, i * PAGE);	/* the client's stores */
	}
	out0 = fixture_vmstat(f.e, "pswpout");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	/* Every page taken back first, then written to swap with the client's bytes. */
	ck_assert_uint_eq(cl.evictions, pages);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout") - out0, pages);
	for (i = 0; i < pages; i++) {
		ck_assert(!cl.present[i]);
		client_touch(&f, &cl, id, i);
		ck_assert_msg(check_pattern(cl.pages[i], PAGE, 7, i * PAGE),
			      "page %llu came back without the client's bytes",
			      (unsigned long long)i);
		fill_pattern(cl.pages[i], PAGE, 8, i * PAGE);
	}
	/* Unmapped: every page the client holds is taken back; the region's bytes are its. */
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	for (i = 0; i < pages; i++) {
		ck_assert(!cl.present[i]);
		ck_assert_int_eq(rcl_region_read(f.e, id, i * PAGE, buf, PAGE), 0);
		ck_assert(check_pattern(buf, PAGE, 8, i * PAGE));
	}
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_uint_eq(cl.lost, 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_mapped_region_refuses_what_bypasses_the_mapping)
{
	struct fixture f;
	struct client cl, other;
	struct rcl_region_spec file = { .type = RCL_REGION_FILE, .nr_pages = 4, .path = "f",
					.flags = RCL_REGION_SHARED };
	uint8_t buf[PAGE] = { 1 };
	uint32_t id, fid;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 8);
	client_init(&other, 8);
	id = anon_region(&f, 8, 0);
	ck_assert_int_eq(rcl_region_create(f.e, &file, &fid), 0);
	ck_assert_int_eq(rcl_region_map(f.e, fid, &fake_ops, &cl), -EINVAL);
	ck_assert_int_eq(rcl_region_map(f.e, 12345, &fake_ops, &cl), -ENOENT);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &other), -EBUSY);
	ck_assert_int_eq(rcl_region_write(f.e, id, 0, buf, sizeof(buf)), -EBUSY);
	ck_assert_int_eq(rcl_region_read(f.e, id, 0, buf, sizeof(buf)), -EBUSY);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 8, RCL_MADV_DONTNEED), -EBUSY);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 8, RCL_MADV_FREE), -EBUSY);
	ck_assert_int_eq(rcl_region_map_fault(f.e, id, &other, 0), -ENOENT);
	ck_assert_int_eq(rcl_region_map_fault(f.e, id, &cl, 8), -EINVAL);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &other), -ENOENT);
	ck_assert_uint_eq(cl.fills, 0);
	/* Refused requests changed nothing: the region maps and serves as before. */
	client_touch(&f, &cl, id, 3);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	ck_assert_int_eq(rcl_region_write(f.e, id, 0, buf, sizeof(buf)), 0);
	client_free(&cl);
	client_free(&other);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_failed_take_back_keeps_the_page)
{
	struct fixture f;
	struct client cl;
	uint64_t i, out0, pages = 16;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	id = anon_region(&f, pages, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		fill_pattern(cl.pages[i], PAGE, 3, i * PAGE);
	}
	cl.fail_evict = -EIO;
	out0 = fixture_vmstat(f.e, "pswpout");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout"), out0);	/* nothing swapped */
	for (i = 0; i < pages; i++)
		ck_assert(cl.present[i] && check_pattern(cl.pages[i], PAGE, 3, i * PAGE));
	cl.fail_evict = 0;
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.evictions, pages);
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		ck_assert(check_pattern(cl.pages[i], PAGE, 3, i * PAGE));
	}
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_region_freed_under_its_mapping_tells_the_mapper)
{
	struct fixture f;
	struct client cl;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 4);
	id = anon_region(&f, 4, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	client_touch(&f, &cl, id, 0);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_uint_eq(cl.lost, 1);
	ck_assert_int_eq(rcl_region_map_fault(f.e, id, &cl, 1), -ENOENT);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), -ENOENT);
	ck_assert_uint_eq(cl.lost, 1);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_region_four_times_its_memcg_max)
{
	struct fixture f;
	struct client cl;
	uint64_t i, round, pages = 1024;	/* 4 MiB in a 1 MiB memcg */
	uint32_t g, id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "m", &g), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, g, RCL_MEMCG_MAX, 1 * MiB), 0);
	id = anon_region(&f, pages, g);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	for (round = 1; round <= 3; round++) {
		for (i = 0; i < pages; i++) {
			client_touch(&f, &cl, id, i);
			if (round > 1)
				ck_assert_msg(check_pattern(cl.pages[i], PAGE, round - 1, i * PAGE),
					      "round %llu page %llu", (unsigned long long)round,
					      (unsigned long long)i);
			fill_pattern(cl.pages[i], PAGE, round, i * PAGE);
		}
	}
	/* Its max held: the memcg reclaimed (taking pages back) to make room. */
	ck_assert_uint_ge(cl.evictions, 2 * pages);
	ck_assert_uint_gt(fixture_memcg_value(f.e, g, true, "max"), 0);
	/* Each miss a fault of the memcg; those that read swap (not readahead's) major. */
	ck_assert_uint_ge(fixture_memcg_value(f.e, g, false, "pgfault"), 3 * pages);
	ck_assert_uint_gt(fixture_memcg_value(f.e, g, false, "pgmajfault"), 0);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("mapped");
	TCase *tc = tcase_create("mapped");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_written_page_taken_back_swapped_and_returned);
	tcase_add_test(tc, test_mapped_region_refuses_what_bypasses_the_mapping);
	tcase_add_test(tc, test_failed_take_back_keeps_the_page);
	tcase_add_test(tc, test_region_freed_under_its_mapping_tells_the_mapper);
	tcase_add_test(tc, test_region_four_times_its_memcg_max);
	suite_add_tcase(s, tc);
	return s;
}
