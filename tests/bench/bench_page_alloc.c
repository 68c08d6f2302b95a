/*
 * bench_page_alloc - allocation + free pairs per second through the per-thread lists and
 * through the buddy lists alone, for orders 0, 3 and 9. Figures only; nothing is asserted.
 *
 * Each round allocates a burst of blocks and frees them again, as a request that touches a few
 * pages would. One engine of 1 GiB (large-zone pcp sizes: batch 63, high 378).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

#define BURST		16
#define RUN_NS		400000000ULL	/* per measurement */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct run {
	struct rcl_engine *engine;
	unsigned int order;
	bool pcp;
	double pairs_per_sec;
	pthread_barrier_t *start;
};

static void *measure(void *arg)
{
	struct run *r = arg;
	struct page *burst[BURST];
	uint64_t t0, t, pairs = 0;
	int i;

	if (r->pcp && rcl_thread_attach(r->engine)) {
		fprintf(stderr, "bench: attach failed\n");
		exit(1);
	}
	if (r->start)
		pthread_barrier_wait(r->start);
	t0 = now_ns();
	do {
		int rounds;

		for (rounds = 0; rounds < 64; rounds++) {
			for (i = 0; i < BURST; i++) {
				burst[i] = alloc_pages_node(r->engine, 0, GFP_HIGHUSER_MOVABLE,
							    r->order);
				if (!burst[i]) {
					fprintf(stderr, "bench: allocation failed\n");
					exit(1);
				}
			}
			for (i = 0; i < BURST; i++)
				__free_pages(burst[i], r->order);
			pairs += BURST;
		}
		t = now_ns();
	} while (t - t0 < RUN_NS);
	r->pairs_per_sec = (double)pairs * 1e9 / (double)(t - t0);
	if (r->pcp)
		rcl_thread_detach(r->engine);
	return NULL;
}

static double run_threads(struct rcl_engine *e, unsigned int order, bool pcp, int threads)
{
	struct run r[2];
	pthread_t tid[2];
	pthread_barrier_t start;
	double sum = 0;
	int i;

	pthread_barrier_init(&start, NULL, (unsigned)threads);
	for (i = 0; i < threads; i++) {
		r[i] = (struct run){ e, order, pcp, 0, &start };
		pthread_create(&tid[i], NULL, measure, &r[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		sum += r[i].pairs_per_sec;
	}
	pthread_barrier_destroy(&start);
	return sum / threads;	/* per thread */
}

int main(void)
{
	struct rcl_config c;
	struct rcl_engine *e;
	static const struct {
		const char *what;
		unsigned int order;
		bool pcp;
		double target;
	} cases[] = {
		{ "order-0 per-thread lists", 0, true, 20e6 },
		{ "order-0 buddy lists only", 0, false, 5e6 },
		{ "order-3 buddy lists", 3, false, 0 },
		{ "order-9 buddy lists", 9, false, 0 },
	};
	size_t i;
	int threads;

	rcl_config_defaults(&c);
	c.arena_bytes = 1ULL << 30;
	if (rcl_engine_new(&c, &e)) {
		fprintf(stderr, "bench: cannot create a 1 GiB engine\n");
		return 1;
	}
	printf("page allocator: alloc+free pairs per second per thread (bursts of %d)\n", BURST);
	for (threads = 1; threads <= 2; threads++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			double v = run_threads(e, cases[i].order, cases[i].pcp, threads);

			printf("  %-26s %d thread%s %8.2f M/s", cases[i].what, threads,
			       threads > 1 ? "s" : " ", v / 1e6);
			/* Issue 3's targets are for a thread alone. Two threads on the buddy
			 * lists share one zone lock, as in the kernel, whose answer to that is
			 * the per-thread lists: measured, not held to the one-thread figure. */
			if (cases[i].target > 0 && (threads == 1 || cases[i].pcp))
				printf("   (target >= %.0f M/s per thread: %s)", cases[i].target / 1e6,
				       v >= cases[i].target ? "met" : "NOT met");
			else if (cases[i].target > 0)
				printf("   (one zone lock shared: the %.0f M/s target is for one "
				       "thread)", cases[i].target / 1e6);
			printf("\n");
		}
	}
	rcl_engine_free(e);
	return 0;
}
