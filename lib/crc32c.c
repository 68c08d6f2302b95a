/*
 * crc32c.c - CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum
 * every swap slot carries.
 *
 * x86-64 CPUs with SSE4.2 have an instruction for exactly this polynomial; it is used eight
 * bytes at a time when the CPU has it, chosen at run time so that one binary runs everywhere.
 * Elsewhere a byte-wise table does the same work about ten times slower. Both give the same
 * result for every input; check_io compares them on known vectors and on random buffers.
 *
 * Every swapped page is checksummed on the way out and on the way in, so the instruction's
 * latency matters: one chain of crc32 instructions waits three cycles for each, which costs a
 * sync swap-out a third of its bandwidth. Long buffers are therefore cut into three streams
 * computed side by side, and their CRCs joined: a CRC register is linear, so continuing a
 * register r over n more bytes X gives shift(r, n) ^ crc_from_zero(X), where shift(r, n), r
 * times x^(8n) modulo the polynomial, is itself linear in r and is read from four tables.
 *
 * The convention is the usual one: crc32c(0, buf, len) is the CRC of buf, and
 * crc32c(crc32c(0, a, n), b, m) is the CRC of a followed by b.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "swap.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define CRC32C_POLY_REFLECTED	0x82F63B78u
#define CRC32C_STRIDE		1360	/* bytes per stream: three fill a 4 KiB page but 16 */

static uint32_t crc32c_table[256];
static uint32_t crc32c_stride_shift[4][256];	/* by byte of r: shift(r, CRC32C_STRIDE) */
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

/* The register over @len zero bytes, one at a time: only for building the tables. */
static uint32_t crc32c_zeros(uint32_t crc, size_t len)
{
	while (len--)
		crc = crc32c_table[crc & 0xff] ^ (crc >> 8);
	return crc;
}

static void crc32c_init_tables(void)
{
	uint32_t i, bit, c, basis[32];
	int k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (bit = 0; bit < 8; bit++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY_REFLECTED : 0);
		crc32c_table[i] = c;
	}
	/* shift is linear: the image of each bit, then of each byte value as a sum of bits. */
	for (bit = 0; bit < 32; bit++)
		basis[bit] = crc32c_zeros(1u << bit, CRC32C_STRIDE);
	for (k = 0; k < 4; k++) {
		for (i = 0; i < 256; i++) {
			c = 0;
			for (bit = 0; bit < 8; bit++)
				if (i & (1u << bit))
					c ^= basis[8 * k + bit];
			crc32c_stride_shift[k][i] = c;
		}
	}
}

/* The register @crc continued over CRC32C_STRIDE zero bytes. */
static uint32_t crc32c_shift_stride(uint32_t crc)
{
	return crc32c_stride_shift[0][crc & 0xff] ^ crc32c_stride_shift[1][(crc >> 8) & 0xff] ^
	       crc32c_stride_shift[2][(crc >> 16) & 0xff] ^ crc32c_stride_shift[3][crc >> 24];
}

/* The portable path. @crc is the running register (already inverted). */
static uint32_t crc32c_sw(uint32_t crc, const unsigned char *p, size_t len)
{
	pthread_once(&crc32c_table_once, crc32c_init_tables);
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));	/* aligned by the callers; memcpy keeps aliasing rules */
	return v;
}

/* Three streams of CRC32C_STRIDE bytes side by side, joined: the instruction's latency is
 * hidden behind the other two streams. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42_3way(uint32_t crc, const unsigned char *p)
{
	const unsigned char *q = p + CRC32C_STRIDE, *r = p + 2 * CRC32C_STRIDE;
	uint64_t a = crc, b = 0, c = 0;
	size_t i;

	for (i = 0; i < CRC32C_STRIDE; i += 8) {
		a = _mm_crc32_u64(a, load64(p + i));
		b = _mm_crc32_u64(b, load64(q + i));
		c = _mm_crc32_u64(c, load64(r + i));
	}
	crc = crc32c_shift_stride((uint32_t)a) ^ (uint32_t)b;
	return crc32c_shift_stride(crc) ^ (uint32_t)c;
}

/* The SSE4.2 path: bytes up to an 8-byte boundary, three streams while the buffer is long,
 * then 8 bytes per instruction. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c;

	pthread_once(&crc32c_table_once, crc32c_init_tables);
	while (len && ((uintptr_t)p & 7)) {
		crc = _mm_crc32_u8(crc, *p++);
		len--;
	}
	while (len >= 3 * CRC32C_STRIDE) {
		crc = crc32c_sse42_3way(crc, p);
		p += 3 * CRC32C_STRIDE;
		len -= 3 * CRC32C_STRIDE;
	}
	c = crc;
	while (len >= 8) {
		c = _mm_crc32_u64(c, load64(p));
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}

static bool crc32c_have_sse42(void)
{
	return __builtin_cpu_supports("sse4.2");
}
#else
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t len)
{
	return crc32c_sw(crc, p, len);
}

static bool crc32c_have_sse42(void)
{
	return false;
}
#endif

/*
 * crc32c - extend @crc (0 to start) over @len bytes at @buf. Any alignment, any length; safe
 * from any thread.
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	crc = ~crc;
	if (crc32c_have_sse42())
		crc = crc32c_sse42(crc, buf, len);
	else
		crc = crc32c_sw(crc, buf, len);
	return ~crc;
}
