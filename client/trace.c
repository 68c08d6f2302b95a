/*
 * trace.c - trace parsers for `reclaimctl replay` (see trace.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trace.h"

#define ORACLE_RECORD	24
#define MAX_FIELDS	32
#define MSR_FIELDS	7

/* Keys to pages in order of first appearance: an open-addressing hash table. */
struct pagemap {
	uint64_t *keys;
	uint64_t *pages;
	size_t cap, nr;
};

static uint64_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static int pagemap_grow(struct pagemap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024, i;
	uint64_t *keys = malloc(cap * sizeof(*keys)), *pages = malloc(cap * sizeof(*pages));

	if (!keys || !pages) {
		free(keys);
		free(pages);
		return -ENOMEM;
	}
	for (i = 0; i < cap; i++)
		pages[i] = UINT64_MAX;
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (m->pages[i] == UINT64_MAX)
			continue;
		for (j = hash64(m->keys[i]) & (cap - 1); pages[j] != UINT64_MAX; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		pages[j] = m->pages[i];
	}
	free(m->keys);
	free(m->pages);
	m->keys = keys;
	m->pages = pages;
	m->cap = cap;
	return 0;
}

/* The page of KEY, a new one if KEY is new. */
static int pagemap_get(struct pagemap *m, uint64_t key, uint64_t *ret)
{
	size_t j;

	if ((m->nr + 1) * 2 > m->cap && pagemap_grow(m) < 0)
		return -ENOMEM;
	for (j = hash64(key) & (m->cap - 1); m->pages[j] != UINT64_MAX; j = (j + 1) & (m->cap - 1)) {
		if (m->keys[j] == key) {
			*ret = m->pages[j];
			return 0;
		}
	}
	m->keys[j] = key;
	m->pages[j] = m->nr++;
	*ret = m->pages[j];
	return 0;
}

struct loader {
	struct trace *t;
	struct pagemap map;
	size_t cap;
	char *err;
	size_t errlen;
	const char *path;
};

static int fail(struct loader *l, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(l->err, l->errlen, "%s", l->path);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < l->errlen)
		vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int add(struct loader *l, uint64_t key, bool write)
{
	struct trace *t = l->t;
	uint64_t page;

	if (t->nr >= TRACE_MAX_ACCESSES)
		return fail(l, ": more than %llu accesses", TRACE_MAX_ACCESSES);
	if (t->nr == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		uint64_t *p = realloc(t->page, cap * sizeof(*p));
		uint8_t *w;

		if (!p)
			return fail(l, ": out of memory");
		t->page = p;
		w = realloc(t->write, cap);
		if (!w)
			return fail(l, ": out of memory");
		t->write = w;
		l->cap = cap;
	}
	if (pagemap_get(&l->map, key, &page) < 0)
		return fail(l, ": out of memory");
	t->page[t->nr] = page;
	t->write[t->nr++] = write;
	t->nr_writes += write;
	return 0;
}

static uint64_t le(const unsigned char *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int load_oracle(struct loader *l, FILE *f)
{
	unsigned char rec[ORACLE_RECORD];
	uint64_t n = 0;
	size_t got;

	while ((got = fread(rec, 1, sizeof(rec), f)) == sizeof(rec)) {
		n++;
		if (le(rec + 12, 4) == 0)
			continue;	/* libCacheSim skips size-0 records */
		if (add(l, le(rec + 4, 8), false) < 0)
			return -1;
	}
	if (ferror(f))
		return fail(l, ": read error after record %" PRIu64, n);
	if (got)
		return fail(l, ": record %" PRIu64 " (byte %" PRIu64 ") is truncated: %zu of %u bytes",
			    n + 1, n * ORACLE_RECORD, got, ORACLE_RECORD);
	return 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	/* Decimal, as the traces write ids, zero-padded ones too (not octal); hex only with
	 * its 0x. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		*ret = strtoull(s + 2, &end, 16);
		if (end == s + 2)
			return -1;	/* "0x" and no digit: not 0 */
	} else {
		*ret = strtoull(s, &end, 10);
	}
	while (*end == ' ' || *end == '\t' || *end == '\r')
		end++;
	return errno || *end ? -1 : 0;
}

/* Split LINE at DELIM in place; the number of fields, or -1 past MAX_FIELDS of them. */
static int split(char *line, char delim, char **fields)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = 0;
	fields[n++] = line;
	while ((line = strchr(line, delim))) {
		if (n == MAX_FIELDS)
			return -1;
		*line++ = 0;
		fields[n++] = line;
	}
	return n;
}

/* Column @i named one of @a or @b; -2 when @col already holds a column so named. */
static int header_col(char **fields, int i, const char *a, const char *b, int col)
{
	if (strcasecmp(fields[i], a) && strcasecmp(fields[i], b))
		return col;
	return col >= 0 ? -2 : i;
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == 0;
}

static bool is_write(const char *s)
{
	while (*s == ' ')
		s++;
	return !strncasecmp(s, "write", 5) || !strcasecmp(s, "w") || !strcasecmp(s, "set");
}

static int load_text(struct loader *l, FILE *f, enum trace_format format)
{
	char *line = NULL, *fields[MAX_FIELDS];
	int id_col = -1, op_col = -1, nf, i;
	size_t cap = 0, lineno = 0;
	ssize_t got;
	int ret = 0;

	while (ret == 0 && (got = getline(&line, &cap, f)) > 0) {
		uint64_t key, disk = 0, offset = 0, size = 0, p;

		lineno++;
		if (strlen(line) != (size_t)got) {
			ret = fail(l, ":%zu: a NUL byte in the line", lineno);
			continue;
		}
		if (blank(line) || line[0] == '#')
			continue;
		if (format == TRACE_TEXT) {
			line[strcspn(line, "\r\n")] = 0;
			if (parse_u64(line, &key) < 0)
				ret = fail(l, ":%zu: '%.40s' is not an object id", lineno, line);
			else
				ret = add(l, key, false);
			continue;
		}
		nf = split(line, ',', fields);
		if (nf < 0) {
			ret = fail(l, ":%zu: more than %d fields", lineno, MAX_FIELDS);
			continue;
		}
		if (format == TRACE_CSV && id_col < 0) {
			for (i = 0; i < nf && id_col != -2 && op_col != -2; i++) {
				id_col = header_col(fields, i, "obj_id", "id", id_col);
				op_col = header_col(fields, i, "op", "type", op_col);
			}
			if (id_col == -2 || op_col == -2)
				ret = fail(l, ":%zu: the header names its %s column twice", lineno,
					   id_col == -2 ? "obj_id" : "op");
			else if (id_col < 0)
				ret = fail(l, ":%zu: the header names no obj_id column", lineno);
			continue;
		}
		if (format == TRACE_CSV) {
			if (nf <= id_col || (op_col >= 0 && nf <= op_col))
				ret = fail(l, ":%zu: %d fields, the header has more", lineno, nf);
			else if (parse_u64(fields[id_col], &key) < 0)
				ret = fail(l, ":%zu: obj_id '%.40s' is not a number", lineno,
					   fields[id_col]);
			else
				ret = add(l, key, op_col >= 0 && is_write(fields[op_col]));
			continue;
		}
		/* MSR: Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime */
		if (nf != MSR_FIELDS)
			ret = fail(l, ":%zu: %d fields, an MSR record has %d", lineno, nf, MSR_FIELDS);
		else if (parse_u64(fields[2], &disk) < 0 || disk > 0xffff)
			ret = fail(l, ":%zu: DiskNumber '%.40s' is not a disk number", lineno,
				   fields[2]);
		else if (strcasecmp(fields[3], "Read") && strcasecmp(fields[3], "Write"))
			ret = fail(l, ":%zu: Type '%.40s' is neither Read nor Write", lineno,
				   fields[3]);
		else if (parse_u64(fields[4], &offset) < 0 || offset >> 60)
			ret = fail(l, ":%zu: Offset '%.40s' is not a byte offset", lineno, fields[4]);
		else if (parse_u64(fields[5], &size) < 0 || size == 0 || size > (1u << 30))
			ret = fail(l, ":%zu: Size '%.40s' is not a size in 1..1G", lineno, fields[5]);
		for (p = offset / TRACE_PAGE_SIZE; ret == 0 && p <= (offset + size - 1) / TRACE_PAGE_SIZE;
		     p++)
			ret = add(l, disk << 48 | p, !strcasecmp(fields[3], "Write"));
	}
	if (ret == 0 && ferror(f))
		ret = fail(l, ": read error after line %zu", lineno);
	if (ret == 0 && format == TRACE_CSV && id_col < 0)
		ret = fail(l, ": no header line");
	free(line);
	return ret;
}

int trace_format_parse(const char *name, enum trace_format *ret)
{
	static const char *const names[] = { "oracle", "text", "csv", "msr" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*ret = (enum trace_format)i;
			return 0;
		}
	}
	return -1;
}

int trace_load(const char *path, enum trace_format format, struct trace *ret, char *err,
	       size_t len)
{
	struct loader l = { .t = ret, .err = err, .errlen = len, .path = path };
	FILE *f;
	int r;

	memset(ret, 0, sizeof(*ret));
	f = fopen(path, format == TRACE_ORACLE ? "rb" : "r");
	if (!f) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	r = format == TRACE_ORACLE ? load_oracle(&l, f) : load_text(&l, f, format);
	fclose(f);
	ret->footprint = l.map.nr;
	free(l.map.keys);
	free(l.map.pages);
	if (r == 0 && ret->nr == 0) {
		snprintf(err, len, "%s: no accesses in the trace", path);
		r = -1;
	}
	if (r < 0)
		trace_free(ret);
	return r;
}

void trace_free(struct trace *t)
{
	free(t->page);
	free(t->write);
	memset(t, 0, sizeof(*t));
}
