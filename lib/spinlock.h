/*
 * spinlock.h - a test-and-test-and-set lock for short, uncontended critical sections (the
 * per-thread page lists, where a drain from another thread is the only contention).
 */
#ifndef RCL_SPINLOCK_H
#define RCL_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

typedef struct {
	atomic_bool locked;
} spinlock_t;

#define SPINLOCK_INIT { false }

static inline void spin_lock_init(spinlock_t *l)
{
	atomic_init(&l->locked, false);
}

static inline void spin_lock(spinlock_t *l)
{
	unsigned int spins = 0;

	while (atomic_exchange_explicit(&l->locked, true, memory_order_acquire)) {
		while (atomic_load_explicit(&l->locked, memory_order_relaxed)) {
			/* The holder may be preempted on a 2-core machine: do not burn its slice. */
			if (++spins > 64) {
				sched_yield();
				spins = 0;
			} else {
				cpu_relax();
			}
		}
	}
}

static inline bool spin_trylock(spinlock_t *l)
{
	return !atomic_load_explicit(&l->locked, memory_order_relaxed) &&
	       !atomic_exchange_explicit(&l->locked, true, memory_order_acquire);
}

static inline void spin_unlock(spinlock_t *l)
{
	atomic_store_explicit(&l->locked, false, memory_order_release);
}

#endif /* RCL_SPINLOCK_H */
