/*
 * range.h - "ID [FIRST [COUNT]]" page-range arguments, shared by touch, madvise and sync,
 * and the "--ranges START+LEN,..." lists of the vectored forms of touch, madvise, read and
 * write.
 */
#ifndef RECLAIMCTL_RANGE_H
#define RECLAIMCTL_RANGE_H

#include <stdlib.h>
#include <string.h>

#include "reclaimctl.h"

/* Parse ARGV[0..ARGC) as ID [FIRST [COUNT]] into R (zeroed by the caller). 0 or -1. */
static inline int parse_range(int argc, char **argv, struct rclc_range *r)
{
	if (argc < 1 || argc > 3 || ctl_parse_u64(argv[0], &r->region_id) < 0)
		return -1;
	if (argc > 1 && ctl_parse_u64(argv[1], &r->first_page) < 0)
		return -1;
	if (argc > 2 && ctl_parse_u64(argv[2], &r->nr_pages) < 0)
		return -1;
	return 0;
}

/* One START+LEN of a --ranges list: pages (touch, madvise) or bytes (read, write). */
struct range_item {
	uint64_t start, len;
};

/*
 * Parse LIST, "START+LEN[,START+LEN]..." (numbers, with K/M/G suffixes), into an array for
 * free(3) in *RET and its length in *RET_N. 0, or -1 after saying what is wrong. The daemon
 * judges the ranges themselves (within the region, not overlapping).
 */
static inline int parse_range_list(const char *cmd, const char *list, struct range_item **ret,
				   size_t *ret_n)
{
	size_t n = 1, i = 0;
	struct range_item *v;
	char *copy, *tok, *save = NULL, *plus;
	const char *p;

	for (p = list; *p; p++)
		n += *p == ',';
	if (n > RCLC_MAX_RANGES) {
		fprintf(stderr, "reclaimctl %s: --ranges: %zu ranges, at most %u\n", cmd, n,
			RCLC_MAX_RANGES);
		return -1;
	}
	v = calloc(n, sizeof(*v));
	copy = strdup(list);
	if (!v || !copy) {
		free(v);
		free(copy);
		return -1;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		plus = strchr(tok, '+');
		if (plus)
			*plus = '\0';
		if (!plus || ctl_parse_u64(tok, &v[i].start) < 0 ||
		    ctl_parse_u64(plus + 1, &v[i].len) < 0)
			break;
		/* The wire's 0 pages means "to the end of the region"; a list says each range's
		 * length, and an empty one is a mistake (as madvise(2) does nothing with it), not
		 * the rest of the region, which madvise dontneed would then drop. */
		if (v[i].len == 0) {
			fprintf(stderr, "reclaimctl %s: --ranges: range %zu (%s+0) is empty; "
				"LEN is at least 1\n", cmd, i, tok);
			free(copy);
			free(v);
			return -1;
		}
		i++;
	}
	free(copy);
	if (i != n) {
		fprintf(stderr, "reclaimctl %s: --ranges: want START+LEN[,START+LEN]..., as "
			"0+4,16+1\n", cmd);
		free(v);
		return -1;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The page ranges of region ID that ITEMS[N] name, for rclc_touchv and rclc_madvisev. */
static inline struct rclc_range *range_list_pages(uint64_t id, const struct range_item *items,
						  size_t n)
{
	struct rclc_range *r = calloc(n, sizeof(*r));
	size_t i;

	for (i = 0; r && i < n; i++)
		r[i] = (struct rclc_range){ .region_id = id, .first_page = items[i].start,
					    .nr_pages = items[i].len };
	return r;
}

#endif
