/*
 * check_config - reclaimd's size parser and command-line options.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
			 "--swap", "64M", "--watermark-scale-factor", "100", "--mapped-regions",
			 "admin", NULL };

	config_init(&c);
	ck_assert_uint_eq(c.engine.arena_bytes, 256ULL << 20);
	ck_assert_str_eq(c.state_dir, "./var");
	ck_assert_uint_eq(c.mapped_regions, MAPPED_ALL);
	ck_assert_int_eq(config_parse_args(&c, 13, argv), 0);
	ck_assert_uint_eq(c.mapped_regions, MAPPED_ADMIN);
	ck_assert_uint_eq(c.engine.arena_bytes, 1ULL << 30);
	ck_assert_uint_eq(c.engine.nr_nodes, 2);
	ck_assert_str_eq(c.state_dir, "/tmp/x");
	/* Files and socket follow the state directory when not set themselves. */
	ck_assert_str_eq(c.data_dir, "/tmp/x/data");
	ck_assert_str_eq(c.socket_path, "/tmp/x/reclaimd.sock");
	ck_assert_uint_eq(c.swap_bytes, 64ULL << 20);
	ck_assert_uint_eq(c.engine.watermark_scale_factor, 100);
	config_done(&c);
}
END_TEST

/* Set themselves, the data directory and the socket stay where they were put, whatever
 * comes first; with nothing set, all three are under ./var. */
START_TEST(test_paths_under_state_dir_unless_set)
{
	struct daemon_config c;
	char *set[] = { "reclaimd", "--data-dir", "/srv/files", "--state-dir", "/tmp/x",
			"--socket", "/run/r.sock", NULL };
	char *none[] = { "reclaimd", NULL };

	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 7, set), 0);
	ck_assert_str_eq(c.data_dir, "/srv/files");
	ck_assert_str_eq(c.socket_path, "/run/r.sock");
	config_done(&c);
	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 1, none), 0);
	ck_assert_str_eq(c.state_dir, "./var");
	ck_assert_str_eq(c.data_dir, "./var/data");
	ck_assert_str_eq(c.socket_path, "./var/reclaimd.sock");
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

/* config_parse_file on TEXT; what it printed on stderr (malloc'd) and its result. */
static char *parse_text(struct daemon_config *c, const char *text, int *ret)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *saved = stderr;
	char *err = NULL;
	size_t len = 0;

	stderr = open_memstream(&err, &len);
	*ret = config_parse_file(c, in, "typo.conf");
	fclose(stderr);
	stderr = saved;
	fclose(in);
	return err;
}

/* Each error names the file, the line, the key, the value and what the key takes. */
/* --config-if-exists: a missing file sets nothing and is no error, while the same file given
 * with -c is; a file that is there is read either way; the last of the two options wins. */
START_TEST(test_config_if_exists)
{
	char dir[] = "/tmp/check_config.XXXXXX";
	char missing[64], present[64];
	char *opt_missing[] = { "reclaimd", "--config-if-exists", missing, NULL };
	char *req_missing[] = { "reclaimd", "-c", missing, NULL };
	char *opt_present[] = { "reclaimd", "--config-if-exists", present, NULL };
	char *opt_then_req[] = { "reclaimd", "--config-if-exists", present, "-c", missing, NULL };
	struct daemon_config c;
	FILE *f, *saved = stderr;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(missing, sizeof(missing), "%s/none.conf", dir);
	snprintf(present, sizeof(present), "%s/reclaimd.conf", dir);
	f = fopen(present, "w");
	ck_assert_ptr_nonnull(f);
	fputs("watermark_scale_factor = 42\n", f);
	fclose(f);

	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 3, opt_missing), 0);
	ck_assert_uint_eq(c.engine.watermark_scale_factor, 10);
	config_done(&c);

	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 3, opt_present), 0);
	ck_assert_uint_eq(c.engine.watermark_scale_factor, 42);
	config_done(&c);

	stderr = fopen("/dev/null", "w");
	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 3, req_missing), -1);
	config_done(&c);
	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 5, opt_then_req), -1);
	config_done(&c);
	fclose(stderr);
	stderr = saved;
	unlink(present);
	rmdir(dir);
}
END_TEST

START_TEST(test_file_errors_name_key_value_range)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "arena = 64M\nswapiness = 10\n",
		  "typo.conf:2: unknown key 'swapiness' (the keys are reclaimd's long options)\n" },
		{ "swappiness = 200\n", "typo.conf:1: swappiness = '200': out of range 0..100\n" },
		{ "swappiness = lots\n", "typo.conf:1: swappiness = 'lots': not a number\n" },
		{ "arena = 12Q\n", "typo.conf:1: arena = '12Q': not a size (a number with an "
		  "optional K, M, G or T suffix)\n" },
		{ "arena = 1M\n", "typo.conf:1: arena = '1M': out of range: at least 4194304\n" },
		{ "mlock = maybe\n", "typo.conf:1: mlock = 'maybe': want yes or no (1, 0, true, "
		  "false, on, off)\n" },
		{ "mapped-regions = some\n", "typo.conf:1: mapped-regions = 'some': want one of "
		  "all|admin|off\n" },
		{ "mapped-regions = adm\n", "typo.conf:1: mapped-regions = 'adm': want one of "
		  "all|admin|off\n" },
		{ "[tunable]\nswappiness = 10\n", "typo.conf:1: '[tunable]': there are no "
		  "sections, only 'key = value' lines\n" },
	};
	struct daemon_config c;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err;

		config_init(&c);
		err = parse_text(&c, cases[i].text, &ret);
		ck_assert_int_eq(ret, -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, cases[i].want));
		ck_assert_uint_eq(c.tunables[RCL_TUNABLE_SWAPPINESS], 60);
		free(err);
		config_done(&c);
	}
}
END_TEST

START_TEST(test_args_error_names_range)
{
	char *bad_nodes[] = { "reclaimd", "--nodes", "9", NULL };
	struct daemon_config c;
	FILE *saved = stderr;
	char *err = NULL;
	size_t len = 0;

	config_init(&c);
	stderr = open_memstream(&err, &len);
	ck_assert_int_eq(config_parse_args(&c, 3, bad_nodes), -1);
	fclose(stderr);
	stderr = saved;
	ck_assert_str_eq(err, "reclaimd: --nodes '9': out of range 1..8\n");
	free(err);
	config_done(&c);
}
END_TEST

struct changes {
	char text[1024];
	int n;
};

static void note_change(void *arg, const struct config_change *ch)
{
	struct changes *c = arg;
	size_t len = strlen(c->text);

	snprintf(c->text + len, sizeof(c->text) - len, "%s %s->%s %s %d;", ch->key, ch->old_value,
		 ch->new_value, ch->reloadable ? "reload" : "restart", ch->tunable);
	c->n++;
}

/* A reload sees only the keys whose value changed since the last load, each marked. */
START_TEST(test_diff_names_changed_keys)
{
	struct daemon_config old, fresh;
	struct changes ch = { "", 0 };
	int ret;
	char *err;

	config_init(&old);
	config_init(&fresh);
	ck_assert_int_eq(config_diff(&old, &fresh, note_change, &ch), 0);
	err = parse_text(&fresh, "swappiness = 100\narena = 512M\nlog-level = debug\n", &ret);
	ck_assert_int_eq(ret, 0);
	free(err);
	ck_assert_int_eq(config_diff(&old, &fresh, note_change, &ch), 3);
	ck_assert_str_eq(ch.text, "arena 268435456->536870912 restart -1;"
			 "swappiness 60->100 reload 0;log-level info->debug reload -1;");
	config_take_reloadable(&old, &fresh);
	ch.text[0] = '\0';
	ch.n = 0;
	/* The arena still differs (it needs a restart); the reloaded keys no longer do. */
	ck_assert_int_eq(config_diff(&old, &fresh, note_change, &ch), 1);
	ck_assert_str_eq(ch.text, "arena 268435456->536870912 restart -1;");
	config_done(&old);
	config_done(&fresh);
}
END_TEST

/* --help marks what a reload applies and speaks of no "[tunable]" section. */
START_TEST(test_help_marks_reloadable)
{
	char *help[] = { "reclaimd", "--help", NULL };
	struct daemon_config c;
	FILE *saved = stdout;
	char *out = NULL;
	size_t len = 0;

	config_init(&c);
	stdout = open_memstream(&out, &len);
	ck_assert_int_eq(config_parse_args(&c, 2, help), 1);
	fclose(stdout);
	stdout = saved;
	ck_assert_ptr_null(strstr(out, "[tunable]"));
	ck_assert_ptr_nonnull(strstr(out, "(default 60) (reload)\n"));
	ck_assert_ptr_nonnull(strstr(out, "(default info) (reload)\n"));
	ck_assert_ptr_null(strstr(out, "(default 256M); K, M, G suffixes (reload)"));
	free(out);
	config_done(&c);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_args_override_defaults);
	tcase_add_test(tc, test_paths_under_state_dir_unless_set);
	tcase_add_test(tc, test_args_reject_bad_values);
	tcase_add_test(tc, test_config_if_exists);
	tcase_add_test(tc, test_file_errors_name_key_value_range);
	tcase_add_test(tc, test_args_error_names_range);
	tcase_add_test(tc, test_diff_names_changed_keys);
	tcase_add_test(tc, test_help_marks_reloadable);
	suite_add_tcase(s, tc);
	return s;
}
