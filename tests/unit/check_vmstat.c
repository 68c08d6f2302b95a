/*
 * check_vmstat - counters with kernel names and their /proc-format views.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "internal.h"

static struct rcl_engine *make_engine(uint64_t bytes, unsigned int nodes)
{
	struct rcl_config c;
	struct rcl_engine *e = NULL;

	rcl_config_defaults(&c);
	c.arena_bytes = bytes;
	c.nr_nodes = nodes;
	ck_assert_int_eq(rcl_engine_new(&c, &e), 0);
	return e;
}

/* Render one view into a malloc'd string. */
static char *show(struct rcl_engine *e, enum rcl_view view)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(rcl_engine_show(e, view, f), 0);
	fclose(f);
	return buf;
}

/* The value of "name value" in /proc/vmstat text, or -1. */
static long vmstat_value(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text;

	while ((p = strstr(p, name))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtol(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

START_TEST(test_pgalloc_pgfree_counted)
{
	struct rcl_engine *e = make_engine(16 * MiB, 1);
	struct page *a, *b;

	a = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
	b = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 2);
	ck_assert_uint_eq(vm_event_read(e, PGALLOC_NORMAL), 1 + 4);
	ck_assert_uint_eq(vm_event_read(e, PGALLOC_DMA32), 0);
	ck_assert_uint_eq(vm_event_read(e, PGFREE), 0);
	__free_pages(a, 0);
	__free_pages(b, 2);
	ck_assert_uint_eq(vm_event_read(e, PGFREE), 5);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_events_of_detached_threads_are_kept)
{
	struct rcl_engine *e = make_engine(64 * MiB, 1);
	struct page *p;

	ck_assert_int_eq(rcl_thread_attach(e), 0);
	p = alloc_pages_node(e, 0, GFP_HIGHUSER_MOVABLE, 0);
	__free_pages(p, 0);
	ck_assert_uint_eq(vm_event_read(e, PGALLOC_NORMAL), 1);
	ck_assert_uint_eq(e->vm_events[PGALLOC_NORMAL], 0);	/* still in the thread's counters */
	rcl_thread_detach(e);
	ck_assert_uint_eq(vm_event_read(e, PGALLOC_NORMAL), 1);
	ck_assert_uint_eq(vm_event_read(e, PGFREE), 1);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_vmstat_text)
{
	struct rcl_engine *e = make_engine(16 * MiB, 2);
	struct page *p = alloc_pages_node(e, 1, GFP_HIGHUSER_MOVABLE, 3);
	char *text = show(e, RCL_VIEW_VMSTAT);

	ck_assert_int_eq(vmstat_value(text, "nr_free_pages"), 4096 - 8);
	ck_assert_int_eq(vmstat_value(text, "pgalloc_normal"), 8);
	ck_assert_int_eq(vmstat_value(text, "pgfree"), 0);
	/* Every kernel name the engine promises is present, once. */
	ck_assert_int_eq(vmstat_value(text, "nr_inactive_anon"), 0);
	ck_assert_int_eq(vmstat_value(text, "pswpout"), 0);
	ck_assert_int_eq(vmstat_value(text, "allocstall_normal"), 0);
	ck_assert_int_eq(vmstat_value(text, "nr_vmscan_immediate_reclaim"), 0);
	ck_assert_int_eq(vmstat_value(text, "no_such_counter"), -1);
	free(text);
	__free_pages(p, 3);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_buddyinfo_text)
{
	struct rcl_engine *e = make_engine(16 * MiB, 2);
	struct page *p = alloc_pages_node(e, 1, GFP_HIGHUSER_MOVABLE, 0);
	char *text = show(e, RCL_VIEW_BUDDYINFO);

	/* Two 8 MiB nodes: two order-10 blocks each; node 1 split one down to order 0. */
	ck_assert_str_eq(text,
		"Node 0, zone   Normal      0      0      0      0      0      0      0      0"
		"      0      0      2 \n"
		"Node 1, zone   Normal      1      1      1      1      1      1      1      1"
		"      1      1      1 \n");
	free(text);
	__free_pages(p, 0);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_zoneinfo_text)
{
	struct rcl_engine *e = make_engine(64 * MiB, 1);
	char *text = show(e, RCL_VIEW_ZONEINFO);

	ck_assert_msg(strstr(text, "Node 0, zone    DMA32\n  pages free     0\n") != NULL, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "Node 0, zone   Normal\n  per-node stats\n"
					    "      nr_inactive_anon 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n  pages free     16384\n        min      256\n"
					    "        low      320\n        high     384\n"
					    "        spanned  16384\n        present  16384\n"
					    "        managed  16384\n        protection: (0, 0)\n"
					    "      nr_free_pages 16384\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n  node_unreclaimable:  0\n  start_pfn:           0\n"));
	free(text);

	ck_assert_int_eq(rcl_thread_attach(e), 0);
	text = show(e, RCL_VIEW_ZONEINFO);
	ck_assert_ptr_nonnull(strstr(text, "\n  pagesets\n    thread: 0\n              count: 0\n"
					    "              high:  18\n              batch: 3\n"));
	free(text);
	rcl_thread_detach(e);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_layout_text)
{
	struct rcl_engine *e = make_engine(16 * MiB, 2);
	char *text = show(e, RCL_VIEW_LAYOUT);

	ck_assert_ptr_nonnull(strstr(text, "arena: 16777216 bytes, 4096 frames of 4096 bytes, 2 nodes"));
	ck_assert_ptr_nonnull(strstr(text, "mem_map: 131072 bytes, 32 bytes per frame\n"));
	ck_assert_ptr_nonnull(strstr(text, "node 1 zone Normal pfn 2048-4095 managed 2048 "));
	free(text);
	ck_assert_int_eq(rcl_engine_show(e, (enum rcl_view)99, stdout), -EINVAL);
	rcl_engine_free(e);
}
END_TEST

START_TEST(test_meminfo_text)
{
	struct rcl_engine *e = make_engine(64 * MiB, 1);
	uint32_t pfn;
	char *text;

	ck_assert_int_eq(rcl_alloc_pages(e, 4, 0, 0, &pfn), 0);
	text = show(e, RCL_VIEW_MEMINFO);
	ck_assert_ptr_nonnull(strstr(text, "MemTotal:          65536 kB\n"));
	ck_assert_ptr_nonnull(strstr(text, "MemFree:           65472 kB\n"));
	/* Available: free minus totalreserve (high 384 pages = 1536 kB), no page cache yet. */
	ck_assert_ptr_nonnull(strstr(text, "MemAvailable:      63936 kB\n"));
	ck_assert_ptr_nonnull(strstr(text, "RawPages:             64 kB\n"));
	free(text);
	rcl_engine_free(e);
}
END_TEST

/* The value of "Name:  N kB" in meminfo text, in kB, or UINT64_MAX. */
static uint64_t meminfo_kb(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	ck_assert_ptr_nonnull(p);
	return strtoull(p + strlen(name) + 1, NULL, 10);
}

/*
 * Pages swapped back in stay in the swap cache, counted in NR_SWAPCACHE alone: nr_file_pages
 * is the page cache of files only. Cached must not subtract the swap cache from it (it read
 * 18446744073709518032 kB under swap load).
 */
START_TEST(test_meminfo_cached_under_swap_load)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 24 * 256 };
	struct fixture f;
	uint32_t id;
	char *text;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, spec.nr_pages, 7);
	fixture_verify(&f, id, spec.nr_pages, 7);
	ck_assert_uint_gt(fixture_vmstat(f.e, "nr_swapcached"), 0);
	text = show(f.e, RCL_VIEW_MEMINFO);
	ck_assert_uint_eq(meminfo_kb(text, "Cached:"), fixture_vmstat(f.e, "nr_file_pages") * 4);
	ck_assert_uint_eq(meminfo_kb(text, "SwapCached:"),
			  fixture_vmstat(f.e, "nr_swapcached") * 4);
	ck_assert_uint_le(meminfo_kb(text, "Cached:"), meminfo_kb(text, "MemTotal:"));
	free(text);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_counter_names_unique)
{
	int i, j;

	for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
		for (j = i + 1; j < NR_VM_EVENT_ITEMS; j++)
			ck_assert_str_ne(vm_event_names[i], vm_event_names[j]);
	for (i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		for (j = 0; j < NR_VM_ZONE_STAT_ITEMS; j++)
			ck_assert_str_ne(node_stat_names[i], zone_stat_names[j]);
	ck_assert_str_eq(vm_event_names[PGALLOC_NORMAL], "pgalloc_normal");
	ck_assert_str_eq(vm_event_names[ALLOCSTALL_DMA32], "allocstall_dma32");
	ck_assert_str_eq(node_stat_names[NR_FILE_MAPPED], "nr_mapped");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("vmstat");
	TCase *tc = tcase_create("counters");

	tcase_add_test(tc, test_pgalloc_pgfree_counted);
	tcase_add_test(tc, test_events_of_detached_threads_are_kept);
	tcase_add_test(tc, test_counter_names_unique);
	suite_add_tcase(s, tc);
	tc = tcase_create("views");
	tcase_add_test(tc, test_vmstat_text);
	tcase_add_test(tc, test_buddyinfo_text);
	tcase_add_test(tc, test_zoneinfo_text);
	tcase_add_test(tc, test_layout_text);
	tcase_add_test(tc, test_meminfo_text);
	tcase_add_test(tc, test_meminfo_cached_under_swap_load);
	suite_add_tcase(s, tc);
	return s;
}
