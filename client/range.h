/*
 * range.h - "ID [FIRST [COUNT]]" page-range arguments, shared by touch, madvise and sync.
 */
#ifndef RECLAIMCTL_RANGE_H
#define RECLAIMCTL_RANGE_H

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

#endif
