/*
 * psi.c - memory pressure stall information (spec section 20).
 *
 * A memory stall is time a thread spends in direct reclaim, in kswapd's balance_pgdat, in
 * memcg charge reclaim or the memory.high throttle, or waiting for the read of a refaulting
 * working-set page. It is charged to the stalled thread's memcg and every ancestor, the root
 * being the whole daemon.
 *
 * The tasks are the engine's threads: a worker running a request is non-idle (the daemon says
 * so with rcl_thread_busy; waiting for the engine's lock is still running the request), and a
 * stalled thread is non-idle whatever it was doing. "some" is time a group has a stalled
 * thread; "full" is the part of that time in which every non-idle thread of the engine was
 * stalled at once (struct psi_state), so that one worker in reclaim while another makes
 * progress is some but not full. The threads are not tied to a memcg while they run a request,
 * so full is judged engine-wide for every group.
 *
 * Group state and the engine's task counts change under psi_state.lock, a leaf, so that a read
 * of a group (status, /metrics, memory.pressure) never waits for a reclaim holding mm_lock: it
 * holds the group by reference (css_tryget_online) and takes only this lock. A stalled thread
 * holds its group by reference too, so the group it leaves is the one it entered.
 *
 * Averages follow the kernel: every 2 s the period's stall share decays into avg10, avg60 and
 * avg300 with the constants 1677, 1981 and 2034 over 2048.
 */
#include <errno.h>
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

/* Full time so far at @now. Caller holds ps->lock. */
static uint64_t psi_full_clock(const struct psi_state *ps, uint64_t now)
{
	return ps->full_ns + (ps->full ? now - ps->full_since : 0);
}

/* Tasks became non-idle or stalled (or stopped being) at @now. Caller holds ps->lock. */
static void psi_state_change(struct psi_state *ps, int nonidle, int memstall, uint64_t now)
{
	ps->full_ns = psi_full_clock(ps, now);
	ps->nr_nonidle += nonidle;
	ps->nr_memstall += memstall;
	ps->full = ps->nr_memstall && ps->nr_memstall == ps->nr_nonidle;
	ps->full_since = now;
}

/*
 * The calling thread's task enters (@stall) or leaves a memory stall: the engine's counts.
 * Sets *ret_now to the time of the change, taken under the lock so that it never goes back,
 * and returns the full clock then.
 */
static uint64_t __psi_task_memstall(struct rcl_engine *engine, bool stall, uint64_t *ret_now)
{
	struct task_struct *task = current_or_default(engine);
	struct psi_state *ps = &engine->psi;
	int nonidle = task->psi_busy ? 0 : 1;
	uint64_t now = psi_now(), clock = psi_full_clock(ps, now);

	psi_state_change(ps, stall ? nonidle : -nonidle, stall ? 1 : -1, now);
	*ret_now = now;
	return clock;
}

uint64_t psi_task_memstall(struct rcl_engine *engine, bool stall, uint64_t *ret_now)
{
	uint64_t clock;

	pthread_mutex_lock(&engine->psi.lock);
	clock = __psi_task_memstall(engine, stall, ret_now);
	pthread_mutex_unlock(&engine->psi.lock);
	return clock;
}

int rcl_thread_busy(struct rcl_engine *engine, bool busy)
{
	struct task_struct *task = get_current(engine);
	struct psi_state *ps = &engine->psi;

	if (!task)
		return -ENOENT;
	pthread_mutex_lock(&ps->lock);
	if (task->psi_busy != busy) {
		task->psi_busy = busy;
		if (!task->memstall_depth)	/* a stalled task is non-idle already */
			psi_state_change(ps, busy ? 1 : -1, 0, psi_now());
	}
	pthread_mutex_unlock(&ps->lock);
	return 0;
}

/* Put @g's running stall up to @now (full clock @clock) into its totals. Caller holds
 * psi_state.lock. */
static void psi_group_flush(struct psi_group *g, uint64_t now, uint64_t clock)
{
	uint64_t some, full;

	psi_group_update(g, now);
	if (!g->nr_stalled)
		return;
	some = now - g->state_start;
	full = clock - g->full_start;
	g->total_ns[PSI_SOME] += some;
	g->period_ns[PSI_SOME] += some;
	g->total_ns[PSI_FULL] += full;
	g->period_ns[PSI_FULL] += full;
	g->state_start = now;
	g->full_start = clock;
}

/* @memcg's totals and averages brought up to now, its running stall included, into *ret. */
void psi_group_read(struct rcl_engine *engine, struct mem_cgroup *memcg, struct psi_group *ret)
{
	struct psi_state *ps = &engine->psi;
	uint64_t now;

	pthread_mutex_lock(&ps->lock);
	now = psi_now();
	psi_group_flush(&memcg->psi, now, psi_full_clock(ps, now));
	*ret = memcg->psi;
	pthread_mutex_unlock(&ps->lock);
}

/* The calling thread starts a memory stall on behalf of @memcg (NULL: the root). Nests. */
void psi_memstall_enter(struct rcl_engine *engine, struct mem_cgroup *memcg)
{
	struct task_struct *task = current_or_default(engine);
	uint64_t now, clock;

	if (task->memstall_depth++)
		return;
	if (!memcg)
		memcg = engine->root_mem_cgroup;
	css_get(memcg);		/* left in psi_memstall_leave, maybe after a deletion */
	task->memstall_memcg = memcg;
	pthread_mutex_lock(&engine->psi.lock);
	clock = __psi_task_memstall(engine, true, &now);
	for (; memcg; memcg = memcg->parent) {
		psi_group_flush(&memcg->psi, now, clock);
		if (memcg->psi.nr_stalled++ == 0) {
			memcg->psi.state_start = now;
			memcg->psi.full_start = clock;
		}
	}
	pthread_mutex_unlock(&engine->psi.lock);
}

void psi_memstall_leave(struct rcl_engine *engine)
{
	struct task_struct *task = current_or_default(engine);
	struct mem_cgroup *memcg = task->memstall_memcg, *m;
	uint64_t now, clock;

	if (!task->memstall_depth || --task->memstall_depth)
		return;
	task->memstall_memcg = NULL;
	pthread_mutex_lock(&engine->psi.lock);
	clock = __psi_task_memstall(engine, false, &now);
	for (m = memcg; m; m = m->parent) {
		psi_group_flush(&m->psi, now, clock);
		m->psi.nr_stalled--;
	}
	pthread_mutex_unlock(&engine->psi.lock);
	css_put(memcg);
}

/*
 * Charge a stall that was not followed as it went (the memory.high throttle, slept without
 * mm_lock) to @memcg (NULL or deleted: the root) and its ancestors: @some ns, of which @full
 * ns had every non-idle thread stalled. Caller holds mm_lock, which keeps @memcg.
 */
void psi_memstall_account(struct rcl_engine *engine, struct mem_cgroup *memcg, uint64_t some,
			  uint64_t full)
{
	uint64_t now = psi_now();

	if (!memcg)
		memcg = engine->root_mem_cgroup;	/* deleted meanwhile: the root still counts */
	pthread_mutex_lock(&engine->psi.lock);
	for (; memcg; memcg = memcg->parent) {
		psi_group_update(&memcg->psi, now);
		memcg->psi.total_ns[PSI_SOME] += some;
		memcg->psi.period_ns[PSI_SOME] += some;
		memcg->psi.total_ns[PSI_FULL] += full;
		memcg->psi.period_ns[PSI_FULL] += full;
	}
	pthread_mutex_unlock(&engine->psi.lock);
}
