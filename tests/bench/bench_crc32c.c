/*
 * bench_crc32c - GB/s of crc32c() over 4 KiB pages (what every swap slot pays on the way out
 * and on the way in) and over 1 MiB buffers. Figures only; nothing is asserted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

#define BUF_BYTES	(8u << 20)	/* larger than the caches of most CPUs' L2 */
#define RUN_NS		100000000ull	/* per slice */
#define SLICES		5		/* the best slice is printed: the CPUs are shared */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Checksum BUF in pieces of CHUNK bytes for RUN_NS; return GB/s (10^9 bytes per second). */
static double bench_slice(const unsigned char *buf, size_t chunk, uint32_t *sum)
{
	uint64_t t0 = now_ns(), t, bytes = 0;
	size_t off = 0;

	do {
		for (int i = 0; i < 64; i++) {
			*sum += crc32c(0, buf + off, chunk);
			off = off + chunk >= BUF_BYTES ? 0 : off + chunk;
			bytes += chunk;
		}
		t = now_ns();
	} while (t - t0 < RUN_NS);
	return (double)bytes / (double)(t - t0);
}

static void bench_chunk(const unsigned char *buf, size_t chunk, const char *label)
{
	double best = 0;
	uint32_t sum = 0;

	for (int i = 0; i < SLICES; i++) {
		double gbs = bench_slice(buf, chunk, &sum);

		if (gbs > best)
			best = gbs;
	}
	/* The sum is printed so that the compiler cannot drop the work. */
	printf("  crc32c  %-10s %6.2f GB/s  (%08x)\n", label, best, sum);
}

int main(void)
{
	unsigned char *buf = malloc(BUF_BYTES);
	unsigned int seed = 1;

	if (!buf)
		return 1;
	for (size_t i = 0; i < BUF_BYTES; i++)
		buf[i] = (unsigned char)rand_r(&seed);
	bench_chunk(buf, 4096, "4 KiB");
	bench_chunk(buf, 1u << 20, "1 MiB");
	free(buf);
	return 0;
}
