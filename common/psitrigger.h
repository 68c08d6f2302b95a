/*
 * psitrigger.h - PSI triggers as the kernel's memory.pressure takes them: a trigger
 * "some|full STALL_USEC WINDOW_USEC" fires each time the stall time of its kind grows by
 * STALL_USEC within WINDOW_USEC, at most once a window. One implementation for every way a
 * client sets one: systemd's pressure sockets (psiwatch.c) and Subscribe EVENT_PSI.
 *
 * The stall totals come from samples (a worker reads them, the loop keeps them): a history
 * per memcg of when each sample was taken and its some/full totals, against which the loop
 * checks the triggers after each sample. Nothing here takes a lock or calls the engine.
 */
#ifndef RECLAIMD_PSITRIGGER_H
#define RECLAIMD_PSITRIGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PSI_TRIGGER_MAX		128		/* bytes of a trigger string */
/* The kernel's bounds on a PSI trigger window (kernel/sched/psi.c). */
#define PSI_WINDOW_MIN_USEC	500000ULL
#define PSI_WINDOW_MAX_USEC	10000000ULL
#define PSI_NR_HISTORY		64		/* samples kept: > 10 s at psiwatch's rate */

enum { PSI_SOME = 0, PSI_FULL = 1 };

struct psi_point {
	uint64_t when;		/* usec, monotonic */
	uint64_t total[2];	/* some, full stall totals (usec) */
};

/* A ring of samples, newest at head - 1. Zeroed = empty. */
struct psi_history {
	struct psi_point points[PSI_NR_HISTORY];
	unsigned int head, nr;
};

struct psi_trigger {
	int kind;		/* PSI_SOME or PSI_FULL */
	uint64_t stall, window;	/* usec */
	uint64_t arm_total;	/* the stall total when armed: growth counts from there */
	uint64_t last_event;	/* when it last fired (usec, monotonic); 0 = never */
};

/*
 * Parse the trigger @text (up to @len bytes; a NUL or newline ends it) as the kernel parses
 * a memory.pressure write, into *@t (not armed). 0, or -EINVAL with *@ret_why saying what is
 * wrong (a constant string).
 */
int psi_trigger_parse(const char *text, size_t len, struct psi_trigger *t,
		      const char **ret_why);

/* Growth of the stall total counts from @total, the stall total of @t's kind now. */
void psi_trigger_arm(struct psi_trigger *t, uint64_t total);

/*
 * After a sample taken at @now was added to @h: true when @t fires, the stall growth within
 * its window in *@ret_growth (may be NULL). It then does not fire again before a window has
 * passed.
 */
bool psi_trigger_check(struct psi_trigger *t, const struct psi_history *h, uint64_t now,
		       uint64_t *ret_growth);

void psi_history_add(struct psi_history *h, uint64_t when, const uint64_t total[2]);

/* The newest total of @kind (0 before the first sample). */
uint64_t psi_history_total(const struct psi_history *h, int kind);

/* "some" or "full". */
const char *psi_kind_name(int kind);

#endif
