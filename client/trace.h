/*
 * trace.h - the traces `reclaimctl replay` reads, turned into one page access each.
 *
 *   oracle  libCacheSim's oracleGeneral binary: packed little-endian 24-byte records
 *           { uint32 real_time; uint64 obj_id; uint32 obj_size; int64 next_access_vtime }
 *           (records of obj_size 0 are skipped, as libCacheSim's reader does)
 *   text    libCacheSim's plain text: one object id per line
 *   csv     libCacheSim's CSV: a header line naming the columns; obj_id (or id) is the key,
 *           an optional op (or type) column says read or write
 *   msr     MSR Cambridge block traces: Timestamp,Hostname,DiskNumber,Type,Offset,Size,
 *           ResponseTime without a header; each request is split into the pages it covers
 *
 * Object ids and (disk, page) pairs become pages 0, 1, 2, ... in order of first appearance:
 * the replay file is as large as the footprint.
 */
#ifndef RECLAIMCTL_TRACE_H
#define RECLAIMCTL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum trace_format { TRACE_ORACLE, TRACE_TEXT, TRACE_CSV, TRACE_MSR };

struct trace {
	uint64_t *page;			/* the page of each access, in trace order */
	uint8_t *write;			/* 1 where the access is a write */
	size_t nr;			/* accesses */
	uint64_t footprint;		/* distinct pages */
	uint64_t nr_writes;
};

#define TRACE_PAGE_SIZE		4096u
#define TRACE_MAX_ACCESSES	(1ULL << 32)

/* "oracle", "text", "csv", "msr": 0 or -1. */
int trace_format_parse(const char *name, enum trace_format *ret);

/*
 * Read the trace at PATH. 0, or -1 with ERR (LEN bytes) saying what is wrong and where:
 * "PATH:LINE: ..." for text formats, "PATH: record N (byte B): ..." for binary ones.
 */
int trace_load(const char *path, enum trace_format format, struct trace *ret, char *err,
	       size_t len);
void trace_free(struct trace *t);

#endif
