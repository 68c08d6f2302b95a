/*
 * crc32c.c - CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum
 * every swap slot carries, computed by ISA-L's crc32_iscsi.
 *
 * Every swapped page is checksummed on the way out and on the way in, so this is on the swap
 * path's profile; ISA-L picks the fastest code the CPU has at run time (SSE4.2 crc32 in
 * interleaved streams, or carry-less multiplication folding) and falls back to a table
 * elsewhere.
 *
 * The convention here is the usual one: crc32c(0, buf, len) is the CRC of buf, and
 * crc32c(crc32c(0, a, n), b, m) is the CRC of a followed by b. crc32_iscsi instead takes and
 * returns the raw register, neither inverted on the way in nor on the way out (its CRC of buf
 * is ~crc32_iscsi(buf, len, ~0)), so the register is inverted at both ends. check_io holds the
 * catalogue and RFC 3720 vectors that pin this down.
 */
#include <stdint.h>

#include <isa-l/crc.h>

#include "swap.h"

/* crc32_iscsi takes an int length: longer buffers go in pieces the register carries across.
 * check_io includes this file with a small piece to test the joins. */
#ifndef CRC32C_MAX_PIECE
#define CRC32C_MAX_PIECE	(1u << 30)
#endif

/*
 * crc32c - extend @crc (0 to start) over @len bytes at @buf. Any alignment, any length; safe
 * from any thread.
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	/* crc32_iscsi only reads the buffer; its prototype lacks the const. */
	unsigned char *p = (unsigned char *)(uintptr_t)buf;
	uint32_t reg = ~crc;

	while (len > CRC32C_MAX_PIECE) {
		reg = crc32_iscsi(p, (int)CRC32C_MAX_PIECE, reg);
		p += CRC32C_MAX_PIECE;
		len -= CRC32C_MAX_PIECE;
	}
	return ~crc32_iscsi(p, (int)len, reg);
}
