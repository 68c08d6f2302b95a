/*
 * gfp.h - allocation flags (spec 4.4) and the alloc_flags the allocator derives from them.
 */
#ifndef RCL_GFP_H
#define RCL_GFP_H

#include <stdbool.h>

typedef unsigned int gfp_t;

/* Zone modifiers: which zones an allocation may use. */
#define __GFP_DMA32		0x0001u	/* only ZONE_DMA32 */
#define __GFP_HIGHMEM		0x0002u	/* widens the class zone; counts for vmpressure */
#define __GFP_MOVABLE		0x0004u	/* movable: user pages */
#define __GFP_RECLAIMABLE	0x0008u	/* reclaimable kernel-like memory */
/* Watermark and reserve modifiers. */
#define __GFP_HIGH		0x0010u	/* ALLOC_HIGH: watermark halved */
#define __GFP_ATOMIC		0x0020u	/* ALLOC_HARDER: watermark cut by a quarter, highatomic */
#define __GFP_MEMALLOC		0x0040u	/* grant ALLOC_NO_WATERMARKS */
#define __GFP_NOMEMALLOC	0x0080u	/* deny ALLOC_NO_WATERMARKS */
/* Reclaim modifiers. */
#define __GFP_IO		0x0100u	/* reclaim may start I/O: swap-out */
#define __GFP_FS		0x0200u	/* reclaim may write file pages, may OOM-kill */
#define __GFP_DIRECT_RECLAIM	0x0400u	/* may enter direct reclaim (may block) */
#define __GFP_KSWAPD_RECLAIM	0x0800u	/* wake kswapd below the low watermark */
#define __GFP_WRITE		0x1000u	/* the page will be dirtied: spread over nodes */
#define __GFP_NOWARN		0x2000u	/* no failure warning */
#define __GFP_RETRY_MAYFAIL	0x4000u	/* retry while progress is possible, never OOM-kill */
#define __GFP_NOFAIL		0x8000u	/* never fail */
#define __GFP_NORETRY		0x10000u /* one reclaim round, never OOM-kill */
#define __GFP_HARDWALL		0x20000u /* enforce the cpuset (no effect here) */
#define __GFP_THISNODE		0x40000u /* no fallback to other nodes */
#define __GFP_ZERO		0x80000u /* zero the page */

#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC		(__GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER		(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA32		(__GFP_DMA32)
#define GFP_HIGHUSER		(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE	(GFP_HIGHUSER | __GFP_MOVABLE)

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return gfp & __GFP_DIRECT_RECLAIM;
}

/*
 * alloc_flags: the internal form (spec section 1). The low bits index the watermark array.
 */
#define ALLOC_WMARK_MIN		0x00u	/* WMARK_MIN */
#define ALLOC_WMARK_LOW		0x01u	/* WMARK_LOW */
#define ALLOC_WMARK_HIGH	0x02u	/* WMARK_HIGH */
#define ALLOC_NO_WATERMARKS	0x04u	/* do not check watermarks at all */
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08u	/* OOM victim: half of the min reserve */
#define ALLOC_HARDER		0x10u	/* try to alloc harder: min - min/4, highatomic */
#define ALLOC_HIGH		0x20u	/* __GFP_HIGH: min - min/2 */
#define ALLOC_CPUSET		0x40u	/* check the cpuset (always allowed here) */
#define ALLOC_CMA		0x80u	/* may use CMA areas (there are none) */

#endif /* RCL_GFP_H */
