/*
 * log.c - levelled logging to stderr with sd-daemon priority prefixes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

bool log_ratelimit(struct log_ratelimit *rl)
{
	unsigned int missed = 0;
	unsigned long long now;
	struct timespec ts;
	bool print;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
	while (atomic_exchange_explicit(&rl->busy, true, memory_order_acquire))
		;
	if (!rl->begin_ns || now - rl->begin_ns >= LOG_RATELIMIT_SECONDS * 1000000000ULL) {
		missed = rl->missed;
		rl->begin_ns = now;
		rl->printed = rl->missed = 0;
	}
	print = rl->printed < LOG_RATELIMIT_BURST;
	if (print)
		rl->printed++;
	else
		rl->missed++;
	atomic_store_explicit(&rl->busy, false, memory_order_release);
	if (missed)
		log_warning("%u more lines of the kind that follows were not logged in %d s",
			    missed, LOG_RATELIMIT_SECONDS);
	return print;
}
