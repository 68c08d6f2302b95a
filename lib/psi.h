/*
 * psi.h - pressure stall information for memory (spec section 20).
 */
#ifndef RCL_PSI_H
#define RCL_PSI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PSI_FREQ_NS	2000000000ULL	/* averages are updated every 2 s */
#define PSI_FIXED_1	2048		/* 1.0 in the averages' fixed point */
#define PSI_EXP_10S	1677		/* 2048 / exp(2 s / 10 s) */
#define PSI_EXP_60S	1981
#define PSI_EXP_300S	2034

enum psi_kind { PSI_SOME, PSI_FULL, NR_PSI_KINDS };

/* One group's memory pressure: stall time and its decaying averages. */
struct psi_group {
	uint64_t total_ns[NR_PSI_KINDS];	/* all stall time so far */
	uint64_t period_ns[NR_PSI_KINDS];	/* stall time in the current 2 s period */
	unsigned long avg[NR_PSI_KINDS][3];	/* 10 s, 60 s, 300 s; percent * PSI_FIXED_1 */
	uint64_t next_update;			/* end of the current period (monotonic ns) */
	/* The stall going on now: tasks in it, accounted up to state_start (psi_state). */
	unsigned int nr_stalled;		/* stalled on behalf of this group or below */
	uint64_t state_start;			/* ns up to which the stall is in the totals */
	uint64_t full_start;			/* psi_full_clock at state_start */
};

/*
 * The engine's tasks as PSI sees them (the kernel keeps this per CPU): non-idle tasks are
 * threads running a request (rcl_thread_busy) or stalled on memory; "full" is time when every
 * non-idle task is stalled. full_ns is that time so far, a clock each group reads at the
 * start and the end of its own stalls. Under lock, a leaf.
 */
struct psi_state {
	pthread_mutex_t lock;
	unsigned int nr_nonidle;
	unsigned int nr_memstall;
	bool full;				/* nr_memstall && nr_memstall == nr_nonidle */
	uint64_t full_since;			/* when full became true */
	uint64_t full_ns;			/* full time before full_since */
};

struct rcl_engine;
struct mem_cgroup;

unsigned long psi_calc_avg(unsigned long avg, unsigned long exp, unsigned long pct);
void psi_group_update(struct psi_group *g, uint64_t now);
void psi_memstall_enter(struct rcl_engine *engine, struct mem_cgroup *memcg);
void psi_memstall_leave(struct rcl_engine *engine);
void psi_memstall_account(struct rcl_engine *engine, struct mem_cgroup *memcg, uint64_t some,
			  uint64_t full);
uint64_t psi_task_memstall(struct rcl_engine *engine, bool stall, uint64_t *ret_now);
void psi_group_read(struct rcl_engine *engine, struct mem_cgroup *memcg, struct psi_group *ret);
uint64_t psi_now(void);

#endif /* RCL_PSI_H */
