/*
 * check_config - reclaimd's size parser and command-line options.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>

#include "check-main.h"
#include "config.h"

START_TEST(test_parse_size)
{
	uint64_t v = 7;

	ck_assert_int_eq(parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(parse_size("64k", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(parse_size("256M", &v), 0);
	ck_assert_uint_eq(v, 256ULL << 20);
	ck_assert_int_eq(parse_size("1G", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 30);
	ck_assert_int_eq(parse_size("2GiB", &v), 0);
	ck_assert_uint_eq(v, 2ULL << 30);
	ck_assert_int_eq(parse_size("1T", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 40);
	v = 7;
	ck_assert_int_eq(parse_size("", &v), -EINVAL);
	ck_assert_int_eq(parse_size("-1", &v), -EINVAL);
	ck_assert_int_eq(parse_size("12Q", &v), -EINVAL);
	ck_assert_int_eq(parse_size("1G2", &v), -EINVAL);
	ck_assert_int_eq(parse_size("99999999999999999999", &v), -EINVAL);
	ck_assert_int_eq(parse_size("20000000T", &v), -EINVAL);	/* overflows 64 bits */
	ck_assert_int_eq(parse_size(NULL, &v), -EINVAL);
	ck_assert_uint_eq(v, 7);	/* untouched on error */
}
END_TEST

START_TEST(test_args_override_defaults)
{
	struct daemon_config c;
	char *argv[] = { "reclaimd", "--arena", "1G", "--nodes", "2", "--state-dir", "/tmp/x",
			 "--swap", "64M", "--watermark-scale-factor", "100", NULL };

	config_init(&c);
	ck_assert_uint_eq(c.engine.arena_bytes, 256ULL << 20);
	ck_assert_str_eq(c.state_dir, "./var");
	ck_assert_int_eq(config_parse_args(&c, 11, argv), 0);
	ck_assert_uint_eq(c.engine.arena_bytes, 1ULL << 30);
	ck_assert_uint_eq(c.engine.nr_nodes, 2);
	ck_assert_str_eq(c.state_dir, "/tmp/x");
	ck_assert_uint_eq(c.swap_bytes, 64ULL << 20);
	ck_assert_uint_eq(c.engine.watermark_scale_factor, 100);
	config_done(&c);
}
END_TEST

START_TEST(test_args_reject_bad_values)
{
	struct daemon_config c;
	char *bad_nodes[] = { "reclaimd", "--nodes", "9", NULL };
	char *bad_size[] = { "reclaimd", "--arena", "lots", NULL };
	char *extra[] = { "reclaimd", "stray", NULL };
	char *unknown[] = { "reclaimd", "--frobnicate", NULL };
	FILE *saved = stderr;

	stderr = fopen("/dev/null", "w");
	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 3, bad_nodes), -1);
	ck_assert_int_eq(config_parse_args(&c, 3, bad_size), -1);
	ck_assert_uint_eq(c.engine.arena_bytes, 256ULL << 20);
	ck_assert_int_eq(config_parse_args(&c, 2, extra), -1);
	ck_assert_int_eq(config_parse_args(&c, 2, unknown), -1);
	config_done(&c);
	fclose(stderr);
	stderr = saved;
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_args_override_defaults);
	tcase_add_test(tc, test_args_reject_bad_values);
	suite_add_tcase(s, tc);
	return s;
}
