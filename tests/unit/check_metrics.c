/*
 * check_metrics - the Prometheus page: every counter with its type, meminfo in bytes, and per
 * memcg usage, events, pressure level and PSI, with figures that match the engine's own.
 */
#include <check.h>
#include <stdio.h>

#include "autoconfig.h"
#include "check-main.h"
#include "engine-fixture.h"
#include "metrics.h"

/* The caller owns *text and *len: open_memstream writes them until fclose. */
static void render(struct rcl_engine *e, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);

	metrics_render(e, f);
	fclose(f);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/* How many of MEMCG's level series (none, low, medium, critical) have the value V. */
static int level_series(const char *text, const char *memcg, int v)
{
	static const char *const levels[] = { "none", "low", "medium", "critical" };
	char line[256];
	int i, n = 0;

	for (i = 0; i < 4; i++) {
		snprintf(line, sizeof(line),
			 "reclaimd_memcg_pressure_level{memcg=\"%s\",level=\"%s\"} %d", memcg,
			 levels[i], v);
		n += has_line(text, line);
	}
	return n;
}

START_TEST(test_metrics_page)
{
	struct fixture f;
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 8192 };
	char *text = NULL, line[160];
	size_t text_len = 0;
	uint32_t cg, id;
	uint64_t usage;

	fixture_setup(&f, 16, 64, 1);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "web", &cg), 0);
	spec.memcg_id = cg;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), 0);
	fixture_fill(&f, id, 0, spec.nr_pages, 3);	/* twice the arena: reclaim and swap */
	render(f.e, &text, &text_len);

	ck_assert(has_line(text, "reclaimd_up 1"));
	/* vmstat as node_exporter passes /proc/vmstat: kernel names, untyped. */
	ck_assert(has_line(text, "# TYPE reclaimd_vmstat_pswpout untyped"));
	ck_assert(has_line(text, "# HELP reclaimd_vmstat_pswpout /proc/vmstat information field "
			   "pswpout."));
	ck_assert(has_line(text, "# TYPE reclaimd_vmstat_nr_free_pages untyped"));
	ck_assert(has_line(text, "reclaimd_build_info{version=\"" PACKAGE_VERSION "\"} 1"));
	snprintf(line, sizeof(line), "reclaimd_vmstat_pswpout %llu",
		 (unsigned long long)fixture_vmstat(f.e, "pswpout"));
	ck_assert_msg(has_line(text, line), "%s", line);
	ck_assert(has_line(text, "reclaimd_meminfo_bytes{field=\"MemTotal\"} 16777216"));
	ck_assert_int_eq(rcl_memcg_usage(f.e, cg, &usage), 0);
	snprintf(line, sizeof(line), "reclaimd_memcg_usage_bytes{memcg=\"/web\"} %llu",
		 (unsigned long long)usage);
	ck_assert_msg(has_line(text, line), "%s", line);
	ck_assert(has_line(text, "reclaimd_memcg_events_total{memcg=\"/web\",event=\"oom\"} 0"));
	/* The group's faults and reclaim from its memory.stat, and none of its sizes there. */
	ck_assert_uint_gt(fixture_memcg_value(f.e, cg, false, "pgsteal_kswapd") +
			  fixture_memcg_value(f.e, cg, false, "pgsteal_direct"), 0);
	{
		static const char *const items[] = { "pgfault", "pgsteal_kswapd",
						      "pgsteal_direct", "pgmajfault" };
		unsigned int k;

		for (k = 0; k < sizeof(items) / sizeof(items[0]); k++) {
			snprintf(line, sizeof(line), "reclaimd_memcg_vm_events_total{memcg=\"/web\","
				 "event=\"%s\"} %llu", items[k],
				 (unsigned long long)fixture_memcg_value(f.e, cg, false, items[k]));
			ck_assert_msg(has_line(text, line), "%s", line);
		}
	}
	ck_assert(has_line(text, "# TYPE reclaimd_memcg_vm_events_total counter"));
	ck_assert_ptr_null(strstr(text, "reclaimd_memcg_vm_events_total{memcg=\"/web\","
				   "event=\"anon\"}"));
	ck_assert_ptr_nonnull(strstr(text, "reclaimd_memcg_pressure_stall_seconds_total{memcg=\"/\","
					   "kind=\"some\"} "));
	/* The level as a state set over vmpressure's four levels: exactly one series is 1. */
	ck_assert_int_eq(level_series(text, "/web", 1), 1);
	ck_assert_int_eq(level_series(text, "/web", 0), 3);
	ck_assert_ptr_nonnull(strstr(text, "reclaimd_memcg_pressure_stall_ratio{memcg=\"/\","
					   "kind=\"some\",window=\"10s\"} "));
	/* Every sample line belongs to a metric whose TYPE was given before it. */
	{
		char *copy = strdup(text), *l, *save = NULL;

		for (l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char name[128], type_line[160], help_line[160];

			if (l[0] == '#')
				continue;
			ck_assert_int_eq(sscanf(l, "%127[a-z0-9_]", name), 1);
			snprintf(type_line, sizeof(type_line), "# TYPE %s ", name);
			snprintf(help_line, sizeof(help_line), "# HELP %s ", name);
			ck_assert_msg(strstr(text, help_line), "no HELP for %s", l);
			/* Offsets, not pointers: the sample's place in the page vs its TYPE's. */
			ck_assert_msg(strstr(text, type_line) &&
				      strstr(text, type_line) - text < strstr(text, l) - text,
				      "no TYPE before %s", l);
		}
		free(copy);
	}
	free(text);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_metrics_page);
	suite_add_tcase(s, tc);
	return s;
}
