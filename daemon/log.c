/*
 * log.c - levelled logging to stderr with sd-daemon priority prefixes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static atomic_int max_level = LOG_INFO;

void log_set_max_level(int level)
{
	atomic_store_explicit(&max_level, level, memory_order_relaxed);
}

void log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, saved = errno;

	if (level > atomic_load_explicit(&max_level, memory_order_relaxed))
		return;
	n = snprintf(line, sizeof(line), "<%d>reclaimd: ", level);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line: lines of different threads never interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		(void)0;
	errno = saved;
}
