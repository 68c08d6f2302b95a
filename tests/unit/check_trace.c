/*
 * check_trace - the replay's trace parsers (client/trace.c): real-shaped samples of each
 * format written here, ids to pages in order of first appearance, MSR requests split into
 * pages, and bad input (a truncated record, a garbage line) refused naming the place.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-main.h"
#include "trace.h"

static char path[64];

static void write_file(const void *bytes, size_t len)
{
	int fd;
	FILE *f;

	strcpy(path, "/tmp/check_trace.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
}

static void put_le(unsigned char *p, uint64_t v, unsigned int n)
{
	while (n--) {
		*p++ = (unsigned char)v;
		v >>= 8;
	}
}

/* An oracleGeneral record. */
static void oracle_record(unsigned char *rec, uint32_t t, uint64_t id, uint32_t size,
			  int64_t next)
{
	put_le(rec, t, 4);
	put_le(rec + 4, id, 8);
	put_le(rec + 12, size, 4);
	put_le(rec + 16, (uint64_t)next, 8);
}

START_TEST(test_oracle)
{
	unsigned char buf[5 * 24];
	struct trace t;
	char err[256];

	oracle_record(buf, 100, 0xdeadbeef00ULL, 4096, 2);
	oracle_record(buf + 24, 101, 7, 512, -1);
	oracle_record(buf + 48, 101, 0xdeadbeef00ULL, 4096, -1);
	oracle_record(buf + 72, 102, 9, 0, -1);		/* size 0: skipped */
	oracle_record(buf + 96, 103, 7, 512, -1);
	write_file(buf, sizeof(buf));
	ck_assert_int_eq(trace_load(path, TRACE_ORACLE, &t, err, sizeof(err)), 0);
	ck_assert_uint_eq(t.nr, 4);
	ck_assert_uint_eq(t.footprint, 2);
	ck_assert_uint_eq(t.page[0], 0);
	ck_assert_uint_eq(t.page[1], 1);
	ck_assert_uint_eq(t.page[2], 0);
	ck_assert_uint_eq(t.page[3], 1);
	ck_assert_uint_eq(t.nr_writes, 0);
	trace_free(&t);
	/* The same file cut in the middle of its third record. */
	truncate(path, 2 * 24 + 10);
	ck_assert_int_eq(trace_load(path, TRACE_ORACLE, &t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "record 3 (byte 48) is truncated: 10 of 24 bytes"));
	ck_assert_ptr_null(t.page);
	unlink(path);
}
END_TEST

START_TEST(test_text)
{
	const char good[] = "42\n17\n\n42\n99\n17\n";
	const char bad[] = "42\n17\nbanana\n";
	struct trace t;
	char err[256];

	write_file(good, strlen(good));
	ck_assert_int_eq(trace_load(path, TRACE_TEXT, &t, err, sizeof(err)), 0);
	ck_assert_uint_eq(t.nr, 5);
	ck_assert_uint_eq(t.footprint, 3);
	ck_assert_uint_eq(t.page[3], 2);
	ck_assert_uint_eq(t.page[4], 1);
	trace_free(&t);
	unlink(path);
	write_file(bad, strlen(bad));
	ck_assert_int_eq(trace_load(path, TRACE_TEXT, &t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":3: 'banana' is not an object id"));
	unlink(path);
}
END_TEST

START_TEST(test_csv)
{
	const char good[] = "time,obj_id,obj_size,op\n1,100,4096,get\n2,200,4096,set\n"
			    "3,100,4096,get\n";
	const char bad[] = "time,obj_id,obj_size\n1,100,4096\n2,x7,4096\n";
	const char noid[] = "time,size\n1,2\n";
	struct trace t;
	char err[256];

	write_file(good, strlen(good));
	ck_assert_int_eq(trace_load(path, TRACE_CSV, &t, err, sizeof(err)), 0);
	ck_assert_uint_eq(t.nr, 3);
	ck_assert_uint_eq(t.footprint, 2);
	ck_assert_uint_eq(t.write[1], 1);
	ck_assert_uint_eq(t.write[2], 0);
	ck_assert_uint_eq(t.nr_writes, 1);
	trace_free(&t);
	unlink(path);
	write_file(bad, strlen(bad));
	ck_assert_int_eq(trace_load(path, TRACE_CSV, &t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":3: obj_id 'x7' is not a number"));
	unlink(path);
	write_file(noid, strlen(noid));
	ck_assert_int_eq(trace_load(path, TRACE_CSV, &t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":1: the header names no obj_id column"));
	unlink(path);
}
END_TEST

/*
 * What a reader cannot take whole is refused, named, rather than read as something else: a
 * hex id with no digit (not id 0), a NUL inside a line (not the line cut there), a header
 * naming obj_id twice (not the last one winning), more columns than are read (not "no
 * obj_id" for one past them).
 */
START_TEST(test_malformed_refused)
{
	static const struct {
		enum trace_format format;
		const char *bytes;
		size_t len;
		const char *why;
	} cases[] = {
		{ TRACE_TEXT, "1\n0x\n", 5, ":2: '0x' is not an object id" },
		{ TRACE_TEXT, "1\n1\0002\n", 6, ":2: a NUL byte in the line" },
		{ TRACE_CSV, "obj_id,obj_id\n1,2\n", 18, ":1: the header names its obj_id column twice" },
		{ TRACE_CSV, "id,op,type\n1,get,get\n", 21, ":1: the header names its op column twice" },
	};
	char wide[512], err[256];
	struct trace t;
	size_t i, n = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(cases[i].bytes, cases[i].len);
		ck_assert_int_eq(trace_load(path, cases[i].format, &t, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, cases[i].why), "%s: %s", cases[i].why, err);
		unlink(path);
	}
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(wide + n, sizeof(wide) - n, i == 39 ? "obj_id\n" : "c%zu,", i);
	n += (size_t)snprintf(wide + n, sizeof(wide) - n, "1\n");
	write_file(wide, n);
	ck_assert_int_eq(trace_load(path, TRACE_CSV, &t, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":1: more than 32 fields"), "%s", err);
	unlink(path);
}
END_TEST

START_TEST(test_msr)
{
	/* As the MSR Cambridge files are: no header, Windows filetime stamps. */
	const char good[] =
		"128166372003061629,hm,1,Read,8192,8192,1331\r\n"
		"128166372016382155,hm,1,Write,12288,4096,4545\r\n"
		"128166372026382245,hm,0,Read,8192,512,2000\r\n"
		"128166372036382245,hm,1,Read,4000,200,2000\r\n";
	const char bad[] = "128166372003061629,hm,1,Read,8192,8192,1331\n"
			   "128166372016382155,hm,1,Write,abc,4096,4545\n";
	const char badtype[] = "1,hm,1,Flush,0,4096,1\n";
	struct trace t;
	char err[256];

	write_file(good, strlen(good));
	ck_assert_int_eq(trace_load(path, TRACE_MSR, &t, err, sizeof(err)), 0);
	/* 8192+8192: pages 2, 3; 12288+4096: page 3; disk 0 page 2; 4000+200: pages 0, 1. */
	ck_assert_uint_eq(t.nr, 6);
	ck_assert_uint_eq(t.footprint, 5);
	ck_assert_uint_eq(t.page[0], 0);
	ck_assert_uint_eq(t.page[1], 1);
	ck_assert_uint_eq(t.page[2], 1);
	ck_assert_uint_eq(t.write[2], 1);
	ck_assert_uint_eq(t.page[3], 2);	/* another disk: another page */
	ck_assert_uint_eq(t.page[4], 3);
	ck_assert_uint_eq(t.page[5], 4);
	trace_free(&t);
	unlink(path);
	write_file(bad, strlen(bad));
	ck_assert_int_eq(trace_load(path, TRACE_MSR, &t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":2: Offset 'abc' is not a byte offset"));
	unlink(path);
	write_file(badtype, strlen(badtype));
	ck_assert_int_eq(trace_load(path, TRACE_MSR, &t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":1: Type 'Flush' is neither Read nor Write"));
	unlink(path);
}
END_TEST

START_TEST(test_missing_and_empty)
{
	struct trace t;
	char err[256];

	ck_assert_int_eq(trace_load("/nonexistent/trace", TRACE_TEXT, &t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	write_file("", 0);
	ck_assert_int_eq(trace_load(path, TRACE_ORACLE, &t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no accesses"));
	unlink(path);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("formats");

	tcase_add_test(tc, test_oracle);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_malformed_refused);
	tcase_add_test(tc, test_msr);
	tcase_add_test(tc, test_missing_and_empty);
	suite_add_tcase(s, tc);
	return s;
}
