/*
 * log.h - reclaimd's logging: one line per message on stderr, prefixed with the sd-daemon
 * priority ("<3>") so that journald files it at the right level when run by systemd.
 * This is the only place in the daemon that prints diagnostics.
 */
#ifndef RECLAIMD_LOG_H
#define RECLAIMD_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <syslog.h>

/* Messages above this priority (LOG_DEBUG > LOG_INFO) are dropped; default LOG_INFO. */
void log_set_max_level(int level);

/* Print one line at priority LEVEL. Thread-safe: each line is written with one write(2). */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The kernel's ratelimit_state: at most LOG_RATELIMIT_BURST lines a LOG_RATELIMIT_SECONDS
 * window from one call site, the rest counted and said once the next window opens, so that
 * a client repeating what gets refused cannot flood the log. Zero-initialized. Any thread:
 * workers log what their calls met too (a read stopped by a closed connection).
 */
#define LOG_RATELIMIT_BURST	10
#define LOG_RATELIMIT_SECONDS	5
struct log_ratelimit {
	atomic_bool busy;		/* a spin lock over the rest: held for a few instructions */
	unsigned long long begin_ns;
	unsigned int printed, missed;
};
/* true: print this one. */
bool log_ratelimit(struct log_ratelimit *rl);

#define log_err(...)		log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)		log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)		log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)		log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
