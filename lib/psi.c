/*
 * psi.c - memory pressure stall information (spec section 20).
 *
 * A memory stall is time a thread spends in direct reclaim, in kswapd's balance_pgdat, in
 * memcg charge reclaim, or waiting for the read of a refaulting working-set page. It is
 * charged to the stalled thread's memcg and every ancestor, the root being the whole daemon.
 * "some" is time with at least one thread stalled; "full" is time with every thread that is
 * in the engine stalled. A thread that stalls holding the engine's big lock (reclaim) stops
 * everyone else in the engine, so that stall is both some and full; a thread throttled above
 * memory.high sleeps without the lock while others go on, so that stall is some only.
 *
 * Averages follow the kernel: every 2 s the period's stall share decays into avg10, avg60 and
 * avg300 with the constants 1677, 1981 and 2034 over 2048. Caller holds mm_lock.
 */
#include <time.h>

#include "memcontrol.h"
#include "psi.h"

uint64_t psi_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* avg = avg * e + pct * (1 - e), all in PSI_FIXED_1 fixed point (the kernel's calc_load). */
unsigned long psi_calc_avg(unsigned long avg, unsigned long exp, unsigned long pct)
{
	unsigned long newavg = avg * exp + pct * (PSI_FIXED_1 - exp);

	return (newavg + PSI_FIXED_1 / 2) / PSI_FIXED_1;
}

/* Fold finished periods into the averages: the first with its stall share, the rest idle. */
void psi_group_update(struct psi_group *g, uint64_t now)
{
	static const unsigned long exps[3] = { PSI_EXP_10S, PSI_EXP_60S, PSI_EXP_300S };
	int kind, i;

	if (!g->next_update)
		g->next_update = now + PSI_FREQ_NS;
	while (now >= g->next_update) {
		for (kind = 0; kind < NR_PSI_KINDS; kind++) {
			uint64_t stall = g->period_ns[kind];
			unsigned long pct;

			if (stall > PSI_FREQ_NS)
				stall = PSI_FREQ_NS;
			pct = (unsigned long)(stall * 100 * PSI_FIXED_1 / PSI_FREQ_NS);
			for (i = 0; i < 3; i++)
				g->avg[kind][i] = psi_calc_avg(g->avg[kind][i], exps[i], pct);
			g->period_ns[kind] = 0;
		}
		g->next_update += PSI_FREQ_NS;
		/* A long idle stretch: the averages have decayed to nothing, skip ahead. */
		if (now - g->next_update > 600 * PSI_FREQ_NS)
			g->next_update = now - now % PSI_FREQ_NS + PSI_FREQ_NS;
	}
}

/* The calling thread starts a memory stall on behalf of @memcg (NULL: the root). Nests. */
void psi_memstall_enter(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	struct task_struct *task = current_or_default(engine);

	if (task->memstall_depth++)
		return;
	task->memstall_start = psi_now();
	task->memstall_memcg = memcg ? memcg->id : engine->root_mem_cgroup->id;
}

void psi_memstall_leave(struct rcl_engine *engine)
{
	struct task_struct *task = current_or_default(engine);

	if (!task->memstall_depth || --task->memstall_depth)
		return;
	psi_memstall_account(engine, mem_cgroup_from_id(engine, task->memstall_memcg),
			     psi_now() - task->memstall_start, true);
}

/*
 * Charge @delta ns of stall to @memcg (NULL or deleted: the root) and its ancestors: "some"
 * always, "full" only if @full, i.e. the stalled thread held mm_lock so that nobody else could
 * make progress in the engine.
 */
void psi_memstall_account(struct rcl_engine *engine, struct mem_cgroup *memcg, uint64_t delta,
			  bool full)
{
	uint64_t now = psi_now();
	int kind;

	if (!memcg)
		memcg = engine->root_mem_cgroup;	/* deleted meanwhile: the root still counts */
	for (; memcg; memcg = memcg->parent) {
		psi_group_update(&memcg->psi, now);
		for (kind = 0; kind < NR_PSI_KINDS; kind++) {
			if (kind == PSI_FULL && !full)
				continue;
			memcg->psi.total_ns[kind] += delta;
			memcg->psi.period_ns[kind] += delta;
		}
	}
}
