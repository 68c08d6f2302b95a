/*
 * psiwatch.h - systemd's memory-pressure protocol (MEMORY_PRESSURE_WATCH, systemd 254+) per
 * memcg: a listening AF_UNIX stream socket DIR/<escaped memcg path>.sock for every memcg,
 * where DIR is "pressure" next to the API socket. A client connects, writes a PSI trigger
 * "some|full STALL_USEC WINDOW_USEC" as it would to memory.pressure, and reads one byte each
 * time the memcg's stall time grows by STALL_USEC within WINDOW_USEC, at most once a window.
 * Only a uid that may see the memcg through the API may watch it (psiwatch.c says how); DIR
 * is 0711, so that its listing does not name the other uids' memcgs.
 *
 * The same sampling serves the triggers of Subscribe EVENT_PSI (psiwatch_listen), checked
 * by the same code (psitrigger.h) after each sample. Everything here runs on the loop thread,
 * the reading of the stall totals too (it takes no mm_lock: the debug build aborts if it did).
 */
#ifndef RECLAIMD_PSIWATCH_H
#define RECLAIMD_PSIWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "psitrigger.h"

struct server;
struct psiwatch;
struct pw_listener;

/* A trigger of psiwatch_listen crossed. */
struct psiwatch_event {
	uint32_t memcg_id;
	uint64_t when;			/* of the sample that crossed (usec, monotonic) */
	const struct psi_trigger *trig;	/* its kind, threshold and window */
	uint64_t total;			/* the stall total of its kind now (usec) */
	uint64_t growth;		/* the stall growth within the window (usec) */
};

typedef void (*psiwatch_fire_fn)(void *arg, const struct psiwatch_event *ev);

/*
 * Check @trig (armed by the caller) against the samples of memcg @memcg_id after each one
 * and call @fire(@arg, ...) when it crosses; @fire may psiwatch_unlisten it. NULL without
 * memory. A memcg that goes away fires no more.
 */
struct pw_listener *psiwatch_listen(struct psiwatch *w, uint32_t memcg_id,
				    const struct psi_trigger *trig, psiwatch_fire_fn fire,
				    void *arg);
void psiwatch_unlisten(struct psiwatch *w, struct pw_listener *l);	/* NULL does nothing */

/* Start serving the sockets (created at the first sample). 0 or -errno (logged). */
int psiwatch_start(struct server *s, struct psiwatch **ret);
void psiwatch_stop(struct psiwatch *w);	/* NULL does nothing; removes the sockets */

#endif
