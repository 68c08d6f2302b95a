/*
 * psi.h - pressure stall information for memory (spec section 20).
 */
#ifndef RCL_PSI_H
#define RCL_PSI_H

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
};

struct rcl_engine;
struct mem_cgroup;

unsigned long psi_calc_avg(unsigned long avg, unsigned long exp, unsigned long pct);
void psi_group_update(struct psi_group *g, uint64_t now);
void psi_memstall_enter(struct rcl_engine *engine, struct mem_cgroup *memcg);
void psi_memstall_leave(struct rcl_engine *engine);
void psi_memstall_account(struct rcl_engine *engine, struct mem_cgroup *memcg, uint64_t delta,
			  bool full);
uint64_t psi_now(void);

#endif /* RCL_PSI_H */
