/*
 * psiwatch.h - systemd's memory-pressure protocol (MEMORY_PRESSURE_WATCH, systemd 254+) per
 * memcg: a listening AF_UNIX stream socket DIR/<escaped memcg path>.sock for every memcg,
 * where DIR is "pressure" next to the API socket. A client connects, writes a PSI trigger
 * "some|full STALL_USEC WINDOW_USEC" as it would to memory.pressure, and reads one byte each
 * time the memcg's stall time grows by STALL_USEC within WINDOW_USEC, at most once a window.
 */
#ifndef RECLAIMD_PSIWATCH_H
#define RECLAIMD_PSIWATCH_H

#include <stddef.h>

struct server;
struct psiwatch;

/* The trigger @text (up to @len bytes, a NUL or newline ends it) as the kernel parses a
 * memory.pressure write. 0, or -EINVAL with *ret_why saying what is wrong. */
int psiwatch_parse_trigger(const char *text, size_t len, int *ret_full, unsigned long long *ret_stall,
			   unsigned long long *ret_window, const char **ret_why);

/* Start serving the sockets (created at the first sample). 0 or -errno (logged). */
int psiwatch_start(struct server *s, struct psiwatch **ret);
void psiwatch_stop(struct psiwatch *w);	/* NULL does nothing; removes the sockets */

#endif
