/*
 * map-handoff.h - what a client sends back to reclaimd after a MapRegionReply (reclaim.proto):
 * not a frame but this struct, native endian (both ends are on one machine), with the client's
 * userfaultfd riding on it as SCM_RIGHTS when status is 0. Shared by daemon/mapfd.c and
 * libreclaim-client so that the two cannot drift apart. Not installed.
 */
#ifndef RECLAIM_MAP_HANDOFF_H
#define RECLAIM_MAP_HANDOFF_H

#include <stdint.h>

#define MAP_HANDOFF_MAGIC	0x72636c6dU	/* "rclm": a stray frame is not taken for one */

struct map_handoff {
	uint32_t magic;		/* MAP_HANDOFF_MAGIC */
	int32_t status;		/* 0: the userfaultfd is attached; -errno: the client failed */
	uint64_t region_id;
	uint64_t base;		/* the client's address of page 0, page aligned */
	uint64_t bytes;		/* the length it mapped and registered: the whole memfd */
	uint32_t flags;		/* MAP_HANDOFF_* */
	uint32_t reserved;	/* 0 */
};

/* It registered MINOR faults too and drops the entries the hint channel names (hinting faults). */
#define MAP_HANDOFF_HINTS	0x1U
/*
 * It keeps the hint channel's end as long as the mapping exists and takes its end of file
 * as this mapping's loss (MapRegionReply.loss_notice, which it may say only when offered:
 * an older daemon refuses a flag it does not know).
 */
#define MAP_HANDOFF_LOSS_NOTICE	0x2U
/*
 * With MAP_HANDOFF_HINTS: once it dropped entries the hint channel named, it sends their indices
 * back on it, a message of native uint64 as the requests are (MapRegionReply.hint_confirms,
 * which it may say only when offered).
 */
#define MAP_HANDOFF_CONFIRMS	0x4U

#endif
