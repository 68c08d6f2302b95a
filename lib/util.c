/*
 * util.c - small arithmetic helpers the kernel has in lib/.
 */
#include "internal.h"

/* floor(sqrt(x)), bit by bit: no floating point in decisions that must match the kernel. */
unsigned long int_sqrt(unsigned long x)
{
	unsigned long b, m, y = 0;

	if (x <= 1)
		return x;
	m = 1UL << ((63 - __builtin_clzl(x)) & ~1UL);
	while (m != 0) {
		b = y + m;
		y >>= 1;
		if (x >= b) {
			x -= b;
			y += m;
		}
		m >>= 2;
	}
	return y;
}
