/*
 * fault-poll.h - how long the fault thread busy-polls after a fault (mapfd.c): a window that
 * adapts between 0 and the configured maximum, as KVM's halt-polling adapts a vCPU's
 * halt_poll_ns.
 *
 * A poll is worth its CPU only when the next fault comes within the window. So the window
 * follows what the last sleep showed: a sleep that a fault ended within the maximum would
 * have been a poll hit with a larger window, so the window grows (from FAULT_POLL_GROW_START,
 * doubling, up to the maximum); a sleep longer than the maximum says faults come too far
 * apart to poll for, so the window halves (to 0 below the start). A fault a poll found leaves
 * it as it is. A burst of faults thus opens the window in a few sleeps and keeps it open; a
 * client that faults now and then closes it, and the thread sleeps as it would without
 * polling, costing nothing.
 */
#ifndef RECLAIMD_FAULT_POLL_H
#define RECLAIMD_FAULT_POLL_H

#include <stdint.h>

#define FAULT_POLL_GROW_START	10000ULL	/* ns: halt_poll_ns_grow_start */

struct fault_poll {
	uint64_t max_ns;	/* fault-poll-usecs: 0 never polls */
	uint64_t window_ns;	/* the window after the next fault served */
};

static inline void fault_poll_init(struct fault_poll *fp, uint64_t max_ns)
{
	fp->max_ns = max_ns;
	fp->window_ns = 0;
}

/* The thread slept for @slept_ns before a fault woke it (from the end of the window). */
static inline void fault_poll_slept(struct fault_poll *fp, uint64_t slept_ns)
{
	if (slept_ns > fp->max_ns) {
		fp->window_ns /= 2;
		if (fp->window_ns < FAULT_POLL_GROW_START)
			fp->window_ns = 0;
		return;
	}
	fp->window_ns = fp->window_ns ? fp->window_ns * 2 : FAULT_POLL_GROW_START;
	if (fp->window_ns > fp->max_ns)
		fp->window_ns = fp->max_ns;
}

#endif /* RECLAIMD_FAULT_POLL_H */
