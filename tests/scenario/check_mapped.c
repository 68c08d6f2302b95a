/*
 * check_mapped - the engine's half of mapped regions (lib/mapped.c) with a client of its own:
 * an array of pages that map_ops fill and take back, as the daemon's userfaultfd does. A page
 * the client wrote is taken back before reclaim swaps it, and comes back from swap with the
 * client's bytes; a mapped region's Read/Write reach the client's copy, its DONTNEED/FREE are
 * refused; a failed
 * take-back keeps the page; a region freed under its mapping tells the mapper; a region four
 * times its memcg's max is mapped whole, every page checked. Hinting faults: reclaim asks the
 * client to drop the entries of the mapped pages it ages, the next touch is a MINOR fault
 * that makes the page young again, and so a hot set survives the reclaim of a cold one; a
 * client that ignores the requests only makes its own pages cold; a client that confirms its
 * drops and runs late has a page whose drop it has not confirmed kept by one scan, and by
 * another only once a hinting fault showed it used. Reclaim's batch: the pages
 * one pass evicts are taken back a run of consecutive pages in one evict_run call, every byte
 * kept, a write before the write-protect in the copy and one after it done once the page is
 * faulted back; runs are bounded by the batch, split where a page is not the client's, and
 * what a run did not take goes page by page.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check-main.h"
#include "engine-fixture.h"
#include "memcontrol.h"
#include "mm.h"
#include "vmscan.h"

#define PAGE	4096u

/* The client: its copy of each page, and whether it holds it (mapped out). */
struct client {
	uint8_t (*pages)[PAGE];
	bool *present;
	uint64_t nr;
	unsigned int fills, evictions, lost;
	int fail_evict;		/* -errno the next take-backs return, 0: none */
	bool *zapped;		/* present, but its entry dropped on a hint: a touch faults */
	unsigned int hints, conts, ios;
	unsigned int *asked;	/* requests a confirming client has yet to carry out */
	unsigned int confirmed;	/* the drops it confirmed */
	bool ignore_hints;	/* keeps its entries: its accesses reach nobody */
	/* Runs taken back at once (evict_run): calls, their pages, the longest. */
	unsigned int runs, run_pages, longest_run, run_taken;
	int fail_run;		/* -errno the next runs return, 0: none */
	unsigned int run_short;	/* a run reads only this many pages (a short read), 0: all */
	/* A write of ONE byte meeting the take-back: before its write-protect (in the copy)
	 * or after it (it waits, then misses the page: written once faulted back in). */
	int64_t write_before, write_after;	/* page, or -1 */
	bool write_after_waits;
	/* The engine's lock seen held by a copy into the client (fill), and a region to free
	 * from another thread while a fill runs (0: none) and whether that free finished. */
	struct rcl_engine *engine;
	unsigned int fills_under_lock;
	uint32_t free_in_fill;
	bool freed_in_fill;
	/* The mapping pinned (get/put): pins taken, held now; take-backs made with the engine's
	 * lock held other than by the unmap; a region to free while a take-back runs. */
	unsigned int pins, pinned, evicts_locked;
	bool unmapping;
	uint32_t free_in_evict;
	/* Run the engine's consistency check from inside each take-back made without the
	 * engine's lock: the times it balanced, the times a page counted isolated on top (a
	 * leak's mark) was caught, the times an isolated anon page counted as file instead (a
	 * put-back to the wrong type, the sum unchanged) was, and what it said when it did
	 * not balance. */
	bool check_in_evict;
	unsigned int checks_balanced, leaks_caught, mixups_caught;
	char unbalanced[200];
	/* Two clients' reclaimers meet here, both away from the engine's lock at once. */
	struct meet *meet;
	/* A fault of this page started while it is taken back (-1: none), in this region;
	 * the thread and what the fault returned. */
	int64_t fault_in_evict;
	uint32_t fault_region;
	pthread_t fault_tid;
	int fault_ret;
	bool fault_minor;	/* the entry was dropped on a hint: a MINOR fault */
};

/*
 * Where two reclaimers, each taking back its own client's pages without the engine's lock,
 * wait for each other (at most 10 s each); the second to arrive checks the engine with both
 * away, once.
 */
struct meet {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int arrived;
	bool met;
	int check;			/* engine_check_consistency then */
	char why[200];
	long declared, isolated;	/* anon, on node 0, then */
};

static void meet_in_take_back(struct client *cl)
{
	struct pglist_data *pgdat = NODE_DATA(cl->engine, 0);
	struct meet *m = cl->meet;
	struct timespec deadline;

	pthread_mutex_lock(&m->lock);
	if (m->met) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	if (++m->arrived == 2) {
		mm_lock(cl->engine);
		m->check = engine_check_consistency(cl->engine, m->why, sizeof(m->why));
		m->declared = atomic_load(&pgdat->isolated_unlocked[0]);
		m->isolated = (long)node_page_state(pgdat, NR_ISOLATED_ANON);
		mm_unlock(cl->engine);
		m->met = true;
		pthread_cond_broadcast(&m->cond);
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	while (!m->met && pthread_cond_timedwait(&m->cond, &m->lock, &deadline) == 0)
		;
	if (!m->met)
		m->arrived--;	/* the other never came: go on alone */
	pthread_mutex_unlock(&m->lock);
}

static void *free_region_thread(void *arg)
{
	struct client *cl = arg;

	ck_assert_int_eq(rcl_thread_attach(cl->engine), 0);
	ck_assert_int_eq(rcl_region_free(cl->engine, cl->free_in_fill), 0);
	rcl_thread_detach(cl->engine);
	return NULL;
}

/* Free region @id from another thread and wait for it, at most 10 s: it can only finish if
 * the caller (a copy to or from the client) runs without the engine's lock. */
static void free_meanwhile(struct client *cl, uint32_t id, const char *during)
{
	struct timespec deadline;
	pthread_t tid;

	cl->free_in_fill = id;
	ck_assert_int_eq(pthread_create(&tid, NULL, free_region_thread, cl), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	ck_assert_msg(pthread_timedjoin_np(tid, NULL, &deadline) == 0,
		      "the region could not be freed during %s", during);
	cl->free_in_fill = 0;
}

static void free_during_fill(struct client *cl)
{
	free_meanwhile(cl, cl->free_in_fill, "a copy to the client");
	cl->freed_in_fill = true;
}

static void *evict_fault_thread(void *arg)
{
	struct client *cl = arg;

	ck_assert_int_eq(rcl_thread_attach(cl->engine), 0);
	cl->fault_ret = (cl->fault_minor ? rcl_region_map_minor : rcl_region_map_fault)(
		cl->engine, cl->fault_region, cl, (uint64_t)cl->fault_in_evict);
	rcl_thread_detach(cl->engine);
	return NULL;
}

/* Start @fn(@arg) in *@tid and wait (bounded) until it sleeps on @page's lock. */
static void start_page_waiter(pthread_t *tid, void *(*fn)(void *), void *arg,
			      struct page *page, const char *who)
{
	int i;

	ck_assert(PageLocked(page));
	ck_assert_int_eq(pthread_create(tid, NULL, fn, arg), 0);
	for (i = 0; i < 1000000 && !PageWaiters(page); i++)
		sched_yield();
	ck_assert_msg(PageWaiters(page), "%s did not wait for the page's lock", who);
}

/* The client misses page @idx while it is taken back: start the fault, and let the take-back
 * go on once the fault sleeps on the page's lock. */
static void fault_during_evict(struct client *cl, uint64_t idx)
{
	struct region *region = region_lookup(cl->engine, cl->fault_region);
	struct page *page = pfn_to_page(cl->engine, pte_pfn(pte_get(region, idx)));

	start_page_waiter(&cl->fault_tid, evict_fault_thread, cl, page, "the fault");
}

/*
 * From inside a take-back that let the engine's lock go, as another thread's call would: the
 * reclaimer's isolated pages are declared, so the check balances; one more page counted
 * isolated on node 0, as a leak would leave, is named, and so is one of its anon pages
 * counted as file.
 */
static void check_isolated_meanwhile(struct client *cl)
{
	struct pglist_data *pgdat = NODE_DATA(cl->engine, 0);
	char why[200];

	mm_lock(cl->engine);
	if (engine_check_consistency(cl->engine, why, sizeof(why)) == 0)
		cl->checks_balanced++;
	else if (!cl->unbalanced[0])
		snprintf(cl->unbalanced, sizeof(cl->unbalanced), "%s", why);
	mod_node_page_state(pgdat, NR_ISOLATED_ANON, 1);
	if (engine_check_consistency(cl->engine, why, sizeof(why)) == -EUCLEAN &&
	    strstr(why, "left isolated"))
		cl->leaks_caught++;
	mod_node_page_state(pgdat, NR_ISOLATED_ANON, -1);
	if (node_page_state(pgdat, NR_ISOLATED_ANON)) {
		mod_node_page_state(pgdat, NR_ISOLATED_ANON, -1);
		mod_node_page_state(pgdat, NR_ISOLATED_FILE, 1);
		if (engine_check_consistency(cl->engine, why, sizeof(why)) == -EUCLEAN)
			cl->mixups_caught++;
		mod_node_page_state(pgdat, NR_ISOLATED_FILE, -1);
		mod_node_page_state(pgdat, NR_ISOLATED_ANON, 1);
	}
	mm_unlock(cl->engine);
}

/* A take-back's step: counted if the engine's lock is held outside an unmap; the region
 * freed, or the page faulted, or the engine checked, meanwhile if the test asks. */
static void evict_step(struct client *cl, uint64_t idx)
{
	uint32_t id = cl->free_in_evict;

	if (cl->check_in_evict && !cl->unmapping && !mm_locked_by_current(cl->engine))
		check_isolated_meanwhile(cl);
	if (cl->meet && !cl->unmapping && !mm_locked_by_current(cl->engine))
		meet_in_take_back(cl);

	if (cl->fault_in_evict >= 0 && (uint64_t)cl->fault_in_evict == idx)
		fault_during_evict(cl, idx);

	if (cl->engine && !cl->unmapping && mm_locked_by_current(cl->engine))
		cl->evicts_locked++;
	if (id) {
		cl->free_in_evict = 0;
		free_meanwhile(cl, id, "a take-back");
	}
}

static int fake_fill(void *arg, uint64_t idx, const void *frame)
{
	struct client *cl = arg;

	ck_assert_uint_lt(idx, cl->nr);
	ck_assert(!cl->present[idx]);	/* never filled twice without a take-back */
	memcpy(cl->pages[idx], frame, PAGE);
	cl->present[idx] = true;
	cl->fills++;
	if (cl->engine && mm_locked_by_current(cl->engine))
		cl->fills_under_lock++;
	if (cl->free_in_fill)
		free_during_fill(cl);
	return 0;
}

static int fake_evict(void *arg, uint64_t idx, void *frame)
{
	struct client *cl = arg;

	ck_assert(cl->present[idx]);
	evict_step(cl, idx);
	if (cl->fail_evict)
		return cl->fail_evict;
	memcpy(frame, cl->pages[idx], PAGE);
	memset(cl->pages[idx], 0xee, PAGE);	/* punched: what it held is gone */
	cl->present[idx] = false;
	cl->zapped[idx] = false;
	cl->evictions++;
	return 0;
}

/*
 * A run taken back as the daemon does (write-protect, copy, punch, un-protect), with the
 * client's writes that meet it: one lands before the write-protect, one after it waits.
 */
static int fake_evict_run(void *arg, uint64_t idx, unsigned int n, void *const *frames)
{
	struct client *cl = arg;
	unsigned int i, take = n;

	ck_assert_uint_le(idx + n, cl->nr);
	ck_assert_uint_gt(n, 1);
	cl->runs++;
	cl->run_pages += n;
	evict_step(cl, idx);
	if (n > cl->longest_run)
		cl->longest_run = n;
	if (cl->fail_run)
		return cl->fail_run;
	if (cl->write_before >= 0 && (uint64_t)cl->write_before - idx < n) {
		cl->pages[cl->write_before][0] = 0xb1;
		cl->write_before = -1;
	}
	/* Write-protected from here: a write to the run waits for the un-protect. */
	if (cl->write_after >= 0 && (uint64_t)cl->write_after - idx < n)
		cl->write_after_waits = true;
	if (cl->run_short && cl->run_short < n)
		take = cl->run_short;
	for (i = 0; i < take; i++) {
		ck_assert(cl->present[idx + i]);
		memcpy(frames[i], cl->pages[idx + i], PAGE);
		memset(cl->pages[idx + i], 0xee, PAGE);	/* punched */
		cl->present[idx + i] = false;
		cl->zapped[idx + i] = false;
	}
	cl->run_taken += take;
	return (int)take;
}

static int fake_io(void *arg, uint64_t idx, size_t off, void *buf, size_t len, bool write)
{
	struct client *cl = arg;

	ck_assert(cl->present[idx] && off + len <= PAGE);
	if (write)
		memcpy(cl->pages[idx] + off, buf, len);
	else
		memcpy(buf, cl->pages[idx] + off, len);
	cl->ios++;
	return 0;
}

static void fake_lost(void *arg)
{
	((struct client *)arg)->lost++;
}

/* Reclaim aged these pages: drop their entries (the bytes stay), unless we ignore it. */
static int fake_hint(void *arg, const uint64_t *idx, unsigned int n)
{
	struct client *cl = arg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		ck_assert_uint_lt(idx[i], cl->nr);
		ck_assert(cl->present[idx[i]]);	/* only mapped-out pages are aged this way */
		if (!cl->ignore_hints)
			cl->zapped[idx[i]] = true;
	}
	cl->hints += n;
	return 0;
}

static int fake_cont(void *arg, uint64_t idx)
{
	struct client *cl = arg;

	ck_assert(cl->present[idx] && cl->zapped[idx]);
	cl->zapped[idx] = false;
	cl->conts++;
	return 0;
}

/*
 * The same for a client that confirms its drops (hint returns 1), as the library does with
 * MAP_HANDOFF_CONFIRMS: its thread runs late, and the requests wait until client_catch_up.
 */
static int confirm_hint(void *arg, const uint64_t *idx, unsigned int n)
{
	struct client *cl = arg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		ck_assert_uint_lt(idx[i], cl->nr);
		ck_assert(cl->present[idx[i]]);
		cl->asked[idx[i]]++;
	}
	cl->hints += n;
	return 1;
}

static const struct rcl_map_ops fake_ops = {
	.fill = fake_fill,
	.evict = fake_evict,
	.io = fake_io,
	.lost = fake_lost,
};

static const struct rcl_map_ops run_ops = {
	.fill = fake_fill,
	.evict = fake_evict,
	.evict_run = fake_evict_run,
	.io = fake_io,
	.lost = fake_lost,
};

static void fake_get(void *arg)
{
	struct client *cl = arg;

	cl->pins++;
	cl->pinned++;
}

static void fake_put(void *arg)
{
	struct client *cl = arg;

	ck_assert_uint_gt(cl->pinned, 0);
	cl->pinned--;
}

/* A mapping reclaim may pin: its take-backs run without the engine's lock. */
static const struct rcl_map_ops pin_ops = {
	.fill = fake_fill,
	.evict = fake_evict,
	.evict_run = fake_evict_run,
	.io = fake_io,
	.lost = fake_lost,
	.get = fake_get,
	.put = fake_put,
};

static int fake_hint(void *arg, const uint64_t *idx, unsigned int n);
static int fake_cont(void *arg, uint64_t idx);

static const struct rcl_map_ops pin_hint_ops = {
	.fill = fake_fill,
	.evict = fake_evict,
	.evict_run = fake_evict_run,
	.io = fake_io,
	.lost = fake_lost,
	.hint = fake_hint,
	.cont = fake_cont,
	.get = fake_get,
	.put = fake_put,
};

static const struct rcl_map_ops hint_ops = {
	.fill = fake_fill,
	.evict = fake_evict,
	.io = fake_io,
	.lost = fake_lost,
	.hint = fake_hint,
	.cont = fake_cont,
};

static const struct rcl_map_ops confirm_ops = {
	.fill = fake_fill,
	.evict = fake_evict,
	.io = fake_io,
	.lost = fake_lost,
	.hint = confirm_hint,
	.cont = fake_cont,
};

static void client_init(struct client *cl, uint64_t nr)
{
	memset(cl, 0, sizeof(*cl));
	cl->nr = nr;
	cl->write_before = cl->write_after = cl->fault_in_evict = -1;
	cl->pages = calloc(nr, PAGE);
	cl->present = calloc(nr, sizeof(bool));
	cl->zapped = calloc(nr, sizeof(bool));
	cl->asked = calloc(nr, sizeof(*cl->asked));
	ck_assert(cl->pages && cl->present && cl->zapped && cl->asked);
}

static void client_free(struct client *cl)
{
	free(cl->pages);
	free(cl->present);
	free(cl->zapped);
	free(cl->asked);
}

/* The client touches page I: a miss (MISSING) or a dropped entry (MINOR) goes to the
 * engine, as its userfaultfd would. */
static void client_touch(struct fixture *f, struct client *cl, uint32_t id, uint64_t i)
{
	if (!cl->present[i])
		ck_assert_int_eq(rcl_region_map_fault(f->e, id, cl, i), 0);
	else if (cl->zapped[i])
		ck_assert_int_eq(rcl_region_map_minor(f->e, id, cl, i), 0);
	ck_assert(cl->present[i] && !cl->zapped[i]);
}

static uint32_t anon_region(struct fixture *f, uint64_t pages, uint32_t memcg)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = pages,
					.memcg_id = memcg };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	return id;
}

START_TEST(test_written_page_taken_back_swapped_and_returned)
{
	struct fixture f;
	struct client cl;
	uint64_t i, out0, pages = 64;
	static const uint8_t zero[PAGE];
	uint32_t id;
	uint8_t buf[PAGE];

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	id = anon_region(&f, pages, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		ck_assert(!memcmp(cl.pages[i], zero, PAGE));	/* a first touch: zeros */
		fill_pattern(cl.pages[i], PAGE, 7, i * PAGE);	/* the client's stores */
	}
	out0 = fixture_vmstat(f.e, "pswpout");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	/* Every page taken back first, then written to swap with the client's bytes. */
	ck_assert_uint_eq(cl.evictions, pages);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout") - out0, pages);
	for (i = 0; i < pages; i++) {
		ck_assert(!cl.present[i]);
		client_touch(&f, &cl, id, i);
		ck_assert_msg(check_pattern(cl.pages[i], PAGE, 7, i * PAGE),
			      "page %llu came back without the client's bytes",
			      (unsigned long long)i);
		fill_pattern(cl.pages[i], PAGE, 8, i * PAGE);
	}
	/* Unmapped: every page the client holds is taken back; the region's bytes are its. */
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	for (i = 0; i < pages; i++) {
		ck_assert(!cl.present[i]);
		ck_assert_int_eq(rcl_region_read(f.e, id, i * PAGE, buf, PAGE), 0);
		ck_assert(check_pattern(buf, PAGE, 8, i * PAGE));
	}
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_uint_eq(cl.lost, 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_mapped_region_refuses_what_bypasses_the_mapping)
{
	struct fixture f;
	struct client cl, other;
	struct rcl_region_spec file = { .type = RCL_REGION_FILE, .nr_pages = 4, .path = "f",
					.flags = RCL_REGION_SHARED };
	uint8_t buf[PAGE] = { 1 };
	struct rcl_page_span spans[2];
	uint32_t id, fid, plain;
	size_t bad = 0;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 8);
	client_init(&other, 8);
	id = anon_region(&f, 8, 0);
	ck_assert_int_eq(rcl_region_create(f.e, &file, &fid), 0);
	ck_assert_int_eq(rcl_region_map(f.e, fid, &fake_ops, &cl), -EINVAL);
	ck_assert_int_eq(rcl_region_map(f.e, 12345, &fake_ops, &cl), -ENOENT);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &other), -EBUSY);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 8, RCL_MADV_DONTNEED), -EBUSY);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 8, RCL_MADV_FREE), -EBUSY);
	/* In a list, refused whole: the plain region before it keeps its bytes. */
	plain = anon_region(&f, 4, 0);
	fixture_fill(&f, plain, 0, 4, 9);
	spans[0] = (struct rcl_page_span){ plain, 0, 4 };
	spans[1] = (struct rcl_page_span){ id, 0, 8 };
	ck_assert_int_eq(rcl_region_madvisev(f.e, spans, 2, RCL_MADV_DONTNEED, &bad), -EBUSY);
	ck_assert_uint_eq(bad, 1);
	fixture_verify(&f, plain, 4, 9);
	ck_assert_int_eq(rcl_region_map_fault(f.e, id, &other, 0), -ENOENT);
	ck_assert_int_eq(rcl_region_map_fault(f.e, id, &cl, 8), -EINVAL);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &other), -ENOENT);
	ck_assert_uint_eq(cl.fills, 0);
	/* Refused requests changed nothing: the region maps and serves as before. */
	client_touch(&f, &cl, id, 3);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	ck_assert_int_eq(rcl_region_write(f.e, id, 0, buf, sizeof(buf)), 0);
	client_free(&cl);
	client_free(&other);
	fixture_teardown(&f);
}
END_TEST

/*
 * Read and Write of a mapped region reach the client's copy of the pages it holds and the
 * frames of the others, byte for byte as one model of the region says, before and after
 * the pages move (filled into the client, taken back and swapped).
 */
START_TEST(test_read_write_reach_the_clients_copy)
{
	struct fixture f;
	struct client cl;
	uint64_t i, pages = 8;
	uint8_t *model, *buf;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	model = calloc(pages, PAGE);
	buf = malloc(pages * PAGE);
	ck_assert(model && buf);
	id = anon_region(&f, pages, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	for (i = 0; i < 4; i++) {	/* pages 0-3 the client's, 4-7 not yet */
		client_touch(&f, &cl, id, i);
		fill_pattern(cl.pages[i], PAGE, 4, i * PAGE);
		memcpy(model + i * PAGE, cl.pages[i], PAGE);
	}
	/* A Write across the client's pages 2-3 and the frames of 4-5. */
	fill_pattern(buf, 3 * PAGE, 9, 0);
	ck_assert_int_eq(rcl_region_write(f.e, id, 2 * PAGE + 100, buf, 3 * PAGE), 0);
	memcpy(model + 2 * PAGE + 100, buf, 3 * PAGE);
	ck_assert_uint_eq(cl.ios, 2);
	ck_assert(!memcmp(cl.pages[2], model + 2 * PAGE, PAGE));	/* the client sees it */
	ck_assert(!memcmp(cl.pages[3], model + 3 * PAGE, PAGE));
	ck_assert_int_eq(rcl_region_read(f.e, id, 0, buf, pages * PAGE), 0);
	ck_assert(!memcmp(buf, model, pages * PAGE));
	ck_assert_uint_eq(cl.ios, 6);		/* the 4 pages it holds, from its copy */
	/* The client takes 4-5 (with the Write's bytes), stores into them; all paged out. */
	for (i = 4; i < 6; i++) {
		client_touch(&f, &cl, id, i);
		ck_assert(!memcmp(cl.pages[i], model + i * PAGE, PAGE));
		cl.pages[i][7] ^= 0xff;
		model[i * PAGE + 7] ^= 0xff;
	}
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.evictions, 6);
	ck_assert_int_eq(rcl_region_read(f.e, id, 0, buf, pages * PAGE), 0);
	ck_assert(!memcmp(buf, model, pages * PAGE));
	ck_assert_uint_eq(cl.ios, 6);		/* nothing held now: all from the frames */
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	free(model);
	free(buf);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_failed_take_back_keeps_the_page)
{
	struct fixture f;
	struct client cl;
	uint64_t i, out0, pages = 16;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	id = anon_region(&f, pages, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		fill_pattern(cl.pages[i], PAGE, 3, i * PAGE);
	}
	cl.fail_evict = -EIO;
	out0 = fixture_vmstat(f.e, "pswpout");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout"), out0);	/* nothing swapped */
	for (i = 0; i < pages; i++)
		ck_assert(cl.present[i] && check_pattern(cl.pages[i], PAGE, 3, i * PAGE));
	cl.fail_evict = 0;
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.evictions, pages);
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		ck_assert(check_pattern(cl.pages[i], PAGE, 3, i * PAGE));
	}
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_region_freed_under_its_mapping_tells_the_mapper)
{
	struct fixture f;
	struct client cl;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 4);
	id = anon_region(&f, 4, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	client_touch(&f, &cl, id, 0);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_uint_eq(cl.lost, 1);
	ck_assert_int_eq(rcl_region_map_fault(f.e, id, &cl, 1), -ENOENT);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), -ENOENT);
	ck_assert_uint_eq(cl.lost, 1);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * A freed region gives mm_lock to waiters between page tables of its zap (region_destroy),
 * but not one a client mapped: its entries marked the client's stay so until zapped, with no
 * map_ops left to take their pages back, and reclaim handed the lock between two batches met
 * one and followed a NULL map_ops. The resched hook counts the chances each free gives.
 */
static unsigned int resched_chances;

static void count_chance(struct rcl_engine *e)
{
	(void)e;
	resched_chances++;
}

START_TEST(test_mapped_region_free_keeps_the_lock)
{
	struct fixture f;
	struct client cl;
	uint32_t mapped, plain;
	uint64_t i;

	fixture_setup(&f, 32, 32, 1);
	fixture_threads_start(&f);
	client_init(&cl, 1024);
	mapped = anon_region(&f, 1024, 0);
	plain = anon_region(&f, 1024, 0);
	ck_assert_int_eq(rcl_region_touch(f.e, plain, 0, 1024, true), 0);
	ck_assert_int_eq(rcl_region_map(f.e, mapped, &fake_ops, &cl), 0);
	for (i = 0; i < 1024; i++)
		client_touch(&f, &cl, mapped, i);
	f.e->resched_hook = count_chance;
	resched_chances = 0;
	ck_assert_int_eq(rcl_region_free(f.e, mapped), 0);
	ck_assert_uint_eq(resched_chances, 0);
	ck_assert_int_eq(rcl_region_free(f.e, plain), 0);
	ck_assert_uint_eq(resched_chances, 1);		/* 1024 pages: two page tables */
	f.e->resched_hook = NULL;
	fixture_threads_stop(&f);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * A region populating in its create lets mm_lock go every 512 faults, and another thread's OOM
 * kill may take it meanwhile, the table's reference with it: the create holds a reference of
 * its own, stops, and gives no id out. (The hook kills it as select_bad_region would.)
 */
static void kill_populating(struct rcl_engine *e)
{
	uint32_t slot;

	for (slot = 1; slot < e->nr_region_slots; slot++)
		if (e->regions[slot])
			region_destroy(e, e->regions[slot], false);
}

START_TEST(test_region_killed_while_it_populates)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 2048,
					.flags = RCL_REGION_POPULATE };
	struct fixture f;
	uint32_t id = 0, slot;

	fixture_setup(&f, 32, 32, 1);
	fixture_threads_start(&f);
	f.e->resched_hook = kill_populating;
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), -ENOMEM);
	f.e->resched_hook = NULL;
	ck_assert_uint_eq(id, 0);
	for (slot = 1; slot < f.e->nr_region_slots; slot++)
		ck_assert_ptr_null(f.e->regions[slot]);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_anon_pages"), 0);
	fixture_threads_stop(&f);
	fixture_teardown(&f);
}
END_TEST

/* Whether CLOCK_MONOTONIC is still before @t. */
static bool now_before(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec < t->tv_nsec);
}

/*
 * A DONTNEED lets mm_lock go between page tables, but what its check saw holds to the end: no
 * region of the request is mapped meanwhile (-EAGAIN), the one being dropped or one whose
 * turn is still to come, for a client's pages dropped would leave its copy behind. At the
 * first chance (dropping the first region, 8 page tables) the hook starts a thread that maps
 * the second and waits for it to block on mm_lock; it has the lock at one of the chances,
 * and is refused.
 */
struct map_try {
	struct fixture *f;
	struct client *cl;
	uint32_t id;
	_Atomic pid_t tid;
	int err;
};

static struct {
	struct map_try t;
	pthread_t thread;
	unsigned int chances;
} dropping;

static void *map_thread(void *arg)
{
	struct map_try *t = arg;

	ck_assert_int_eq(rcl_thread_attach(t->f->e), 0);
	atomic_store(&t->tid, (pid_t)syscall(SYS_gettid));
	t->err = rcl_region_map(t->f->e, t->id, &fake_ops, t->cl);
	rcl_thread_detach(t->f->e);
	return NULL;
}

static void map_while_dropping(struct rcl_engine *e)
{
	struct timespec until;

	if (dropping.chances++)
		return;
	ck_assert_int_eq(pthread_create(&dropping.thread, NULL, map_thread, &dropping.t), 0);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 30;				/* a loaded CI machine */
	/* Asleep, and in mm_lock's wait (not in the allocator's, say) */
	while (!(atomic_load(&dropping.t.tid) &&
		 fixture_thread_sleeps(atomic_load(&dropping.t.tid)) &&
		 atomic_load(&e->mm_lock_waiters)) && now_before(&until))
		sched_yield();
	ck_assert_msg(now_before(&until), "the mapping thread never blocked on mm_lock");
}

START_TEST(test_no_map_while_dontneed_runs)
{
	struct rcl_page_span spans[2];
	struct fixture f;
	struct client cl;
	uint32_t first, second;

	fixture_setup(&f, 32, 32, 1);
	fixture_threads_start(&f);
	client_init(&cl, 8);
	first = anon_region(&f, 4096, 0);
	second = anon_region(&f, 8, 0);
	ck_assert_int_eq(rcl_region_touch(f.e, first, 0, 4096, true), 0);
	memset(&dropping, 0, sizeof(dropping));
	dropping.t = (struct map_try){ .f = &f, .cl = &cl, .id = second };
	spans[0] = (struct rcl_page_span){ first, 0, 4096 };
	spans[1] = (struct rcl_page_span){ second, 0, 8 };
	f.e->resched_hook = map_while_dropping;
	ck_assert_int_eq(rcl_region_madvisev(f.e, spans, 2, RCL_MADV_DONTNEED, NULL), 0);
	f.e->resched_hook = NULL;
	pthread_join(dropping.thread, NULL);
	ck_assert_uint_ge(dropping.chances, 1);
	ck_assert_int_eq(dropping.t.err, -EAGAIN);
	ck_assert_int_eq(rcl_region_map(f.e, second, &fake_ops, &cl), 0);	/* after: yes */
	ck_assert_int_eq(rcl_region_unmap(f.e, second, &cl), 0);
	fixture_threads_stop(&f);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/* A region four times its memcg's max mapped with @ops, written whole three times. */
static void four_times_its_memcg_max(const struct rcl_map_ops *ops, struct client *ret)
{
	struct fixture f;
	struct client cl;
	uint64_t i, round, pages = 1024, misses = 0;	/* 4 MiB in a 1 MiB memcg */
	uint32_t g, id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	cl.engine = f.e;
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "m", &g), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, g, RCL_MEMCG_MAX, 1 * MiB), 0);
	id = anon_region(&f, pages, g);
	ck_assert_int_eq(rcl_region_map(f.e, id, ops, &cl), 0);
	for (round = 1; round <= 3; round++) {
		for (i = 0; i < pages; i++) {
			misses += !cl.present[i];
			client_touch(&f, &cl, id, i);
			if (round > 1)
				ck_assert_msg(check_pattern(cl.pages[i], PAGE, round - 1, i * PAGE),
					      "round %llu page %llu", (unsigned long long)round,
					      (unsigned long long)i);
			fill_pattern(cl.pages[i], PAGE, round, i * PAGE);
		}
	}
	/* Its max held: the memcg reclaimed (taking pages back) to make room. */
	ck_assert_uint_ge(cl.evictions + cl.run_taken, 2 * pages);
	ck_assert_uint_gt(fixture_memcg_value(f.e, g, true, "max"), 0);
	/* Each miss a fault of the memcg; those that read swap (not readahead's) major. Most
	 * touches miss: all under two-list; CLOCK-Pro keeps part of the loop resident. */
	ck_assert_uint_ge(misses, 2 * pages);
	ck_assert_uint_ge(fixture_memcg_value(f.e, g, false, "pgfault"), misses);
	ck_assert_uint_gt(fixture_memcg_value(f.e, g, false, "pgmajfault"), 0);
	ck_assert_uint_eq(cl.fills_under_lock, 0);
	cl.unmapping = true;
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	*ret = cl;		/* for its counters: its pages go with client_free */
	client_free(&cl);
	fixture_teardown(&f);
}

/* A call made from another thread while the test holds a page lock. */
struct racing_call {
	struct fixture *f;
	struct client *cl;
	uint32_t id;
	int ret;
};

/* Lock page @idx of region @id, as a take-back or a read in flight would. */
static struct page *hold_page_lock(struct fixture *f, uint32_t id, uint64_t idx)
{
	struct page *page;

	mm_lock(f->e);
	page = pfn_to_page(f->e, pte_pfn(pte_get(region_lookup(f->e, id), idx)));
	ck_assert(trylock_page(page));
	mm_unlock(f->e);
	return page;
}

static void release_page_lock(struct fixture *f, struct page *page)
{
	mm_lock(f->e);
	unlock_page(page);
	mm_unlock(f->e);
}

static void *fault_thread(void *arg)
{
	struct racing_call *r = arg;

	ck_assert_int_eq(rcl_thread_attach(r->f->e), 0);
	r->ret = rcl_region_map_fault(r->f->e, r->id, r->cl, 0);
	rcl_thread_detach(r->f->e);
	return NULL;
}

/*
 * A fault that waits for its page's lock (without mm_lock) while the client unmaps the region
 * finds the mapping gone when it has the lock: -ENOENT, nothing filled. It used to fill
 * through the map_ops the unmap had cleared (a crash), or another client's mapping of the
 * region made meanwhile.
 */
START_TEST(test_fault_finds_its_mapping_gone_after_the_page_lock)
{
	struct racing_call r = { 0 };
	uint8_t buf[PAGE] = { 1 };
	struct fixture f;
	struct client cl;
	struct page *page;
	pthread_t tid;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 4);
	r = (struct racing_call){ .f = &f, .cl = &cl, .id = anon_region(&f, 4, 0) };
	ck_assert_int_eq(rcl_region_write(f.e, r.id, 0, buf, PAGE), 0);	/* resident */
	ck_assert_int_eq(rcl_region_map(f.e, r.id, &fake_ops, &cl), 0);
	page = hold_page_lock(&f, r.id, 0);
	start_page_waiter(&tid, fault_thread, &r, page, "the fault");
	ck_assert_int_eq(rcl_region_unmap(f.e, r.id, &cl), 0);
	release_page_lock(&f, page);
	pthread_join(tid, NULL);
	ck_assert_int_eq(r.ret, -ENOENT);
	ck_assert_uint_eq(cl.fills, 0);
	ck_assert_int_eq(rcl_region_read(f.e, r.id, 0, buf, PAGE), 0);
	ck_assert_int_eq(buf[0], 1);
	ck_assert_int_eq(rcl_region_free(f.e, r.id), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * The copy of a faulted page into the client (fill) is a system call in the daemon: it runs
 * without the engine's lock, so that other threads' faults and reclaim do not queue behind
 * it, and a region freed meanwhile is seen when the fault has the lock back.
 */
START_TEST(test_fill_runs_without_mm_lock)
{
	uint8_t buf[PAGE] = { 7 };
	struct fixture f;
	struct client cl;
	uint32_t id;
	uint64_t i;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 4);
	cl.engine = f.e;
	id = anon_region(&f, 4, 0);
	ck_assert_int_eq(rcl_region_write(f.e, id, 0, buf, PAGE), 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	for (i = 0; i < 4; i++)
		client_touch(&f, &cl, id, i);
	ck_assert_uint_eq(cl.fills, 4);
	ck_assert_uint_eq(cl.fills_under_lock, 0);
	ck_assert_int_eq(cl.pages[0][0], 7);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_region_freed_during_fill)
{
	struct fixture f;
	struct client cl;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 4);
	cl.engine = f.e;
	id = anon_region(&f, 4, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &fake_ops, &cl), 0);
	client_touch(&f, &cl, id, 1);
	cl.free_in_fill = id;
	ck_assert_int_eq(rcl_region_map_fault(f.e, id, &cl, 2), -ENOENT);
	ck_assert(cl.freed_in_fill);
	ck_assert_uint_eq(cl.lost, 1);
	ck_assert_int_eq(rcl_region_map_fault(f.e, id, &cl, 3), -ENOENT);
	ck_assert_uint_eq(cl.fills, 2);		/* the second copied, into a mapping now lost */
	mm_lock(f.e);
	ck_assert_ptr_null(region_lookup(f.e, id));
	mm_unlock(f.e);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

static void *unmap_thread(void *arg)
{
	struct racing_call *u = arg;

	ck_assert_int_eq(rcl_thread_attach(u->f->e), 0);
	u->ret = rcl_region_unmap(u->f->e, u->id, u->cl);
	rcl_thread_detach(u->f->e);
	return NULL;
}

/*
 * An unmap waits for a page's lock (without mm_lock) after it took the pages before that one
 * back; a fault of one of those pages meanwhile must not map it out to the client again: the
 * unmap would end with it still the client's, its bytes in a mapping about to be closed. The
 * mapping is closed for faults from the start of the unmap: -ENOENT, nothing filled.
 */
START_TEST(test_fault_behind_an_unmap_is_refused)
{
	struct racing_call u;
	struct region *region;
	struct fixture f;
	struct client cl;
	struct page *page;
	unsigned int fills;
	pthread_t tid;
	uint64_t i;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 4);
	u = (struct racing_call){ .f = &f, .cl = &cl, .id = anon_region(&f, 4, 0) };
	ck_assert_int_eq(rcl_region_map(f.e, u.id, &fake_ops, &cl), 0);
	for (i = 0; i < 4; i++)
		client_touch(&f, &cl, u.id, i);
	/* Page 0 reclaimed (taken back, swapped): the client faults it again below. */
	ck_assert_int_eq(rcl_region_madvise(f.e, u.id, 0, 1, RCL_MADV_PAGEOUT), 0);
	ck_assert(!cl.present[0]);
	page = hold_page_lock(&f, u.id, 3);
	start_page_waiter(&tid, unmap_thread, &u, page, "the unmap");	/* on page 3 */
	fills = cl.fills;
	ck_assert_int_eq(rcl_region_map_fault(f.e, u.id, &cl, 0), -ENOENT);
	ck_assert_uint_eq(cl.fills, fills);
	release_page_lock(&f, page);
	pthread_join(tid, NULL);
	ck_assert_int_eq(u.ret, 0);
	mm_lock(f.e);
	region = region_lookup(f.e, u.id);
	for (i = 0; i < 4; i++)
		ck_assert_msg(!pte_mapped_out(pte_get(region, i)), "page %llu left the client's",
			      (unsigned long long)i);
	ck_assert_ptr_null(region->map_ops);
	mm_unlock(f.e);
	/* Mapped again, by the same client: faults are served again. */
	ck_assert_int_eq(rcl_region_map(f.e, u.id, &fake_ops, &cl), 0);
	client_touch(&f, &cl, u.id, 0);
	ck_assert_int_eq(rcl_region_unmap(f.e, u.id, &cl), 0);
	ck_assert_int_eq(rcl_region_free(f.e, u.id), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * A region freed while an unmap of it waits for a page lock: the unmap was the client's own
 * ending of the mapping, so the mapper is not told the region was lost (the daemon would
 * close the client's connection for it); the unmap ends, the region is gone.
 */
START_TEST(test_region_freed_during_unmap_is_not_lost)
{
	struct racing_call u;
	struct fixture f;
	struct client cl;
	struct page *page;
	pthread_t tid;
	uint64_t i;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 4);
	cl.engine = f.e;
	u = (struct racing_call){ .f = &f, .cl = &cl, .id = anon_region(&f, 4, 0) };
	ck_assert_int_eq(rcl_region_map(f.e, u.id, &fake_ops, &cl), 0);
	for (i = 0; i < 4; i++)
		client_touch(&f, &cl, u.id, i);
	page = hold_page_lock(&f, u.id, 3);
	start_page_waiter(&tid, unmap_thread, &u, page, "the unmap");	/* on page 3 */
	free_meanwhile(&cl, u.id, "an unmap");
	release_page_lock(&f, page);
	pthread_join(tid, NULL);
	ck_assert_int_eq(u.ret, 0);
	ck_assert_uint_eq(cl.lost, 0);
	mm_lock(f.e);
	ck_assert_ptr_null(region_lookup(f.e, u.id));
	mm_unlock(f.e);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_region_four_times_its_memcg_max)
{
	struct client cl;

	four_times_its_memcg_max(&fake_ops, &cl);
	ck_assert_uint_eq(cl.runs, 0);
}
END_TEST

/*
 * The same under the reclaim of the memcg's max (shrink_inactive_list, or CLOCK-Pro's
 * hand_cold): the pages written in order leave in runs, most of them taken back a run at
 * a time.
 */
START_TEST(test_memcg_reclaim_takes_runs_back)
{
	struct client cl;

	four_times_its_memcg_max(&run_ops, &cl);
	printf("memcg reclaim: %u runs took %u pages back, %u went alone, longest run %u\n",
	       cl.runs, cl.run_taken, cl.evictions, cl.longest_run);
	ck_assert_uint_gt(cl.runs, 0);
	ck_assert_uint_gt(cl.run_taken, cl.evictions);
}
END_TEST

/*
 * A mapping that can be pinned (get/put, as the daemon's) has its pages taken back by reclaim
 * without the engine's lock: the client's other faults go on meanwhile. Every byte survives
 * (four_times_its_memcg_max checks each page every round), and every pin is let go.
 */
START_TEST(test_take_back_runs_without_mm_lock)
{
	struct client cl;

	four_times_its_memcg_max(&pin_ops, &cl);
	ck_assert_uint_gt(cl.runs + cl.evictions, 0);
	ck_assert_uint_gt(cl.pins, 0);
	ck_assert_uint_eq(cl.pinned, 0);
	ck_assert_uint_eq(cl.evicts_locked, 0);
}
END_TEST

/*
 * The check that nothing is left isolated stays exact while reclaim takes a client's pages
 * back without the engine's lock (a memcg's reclaim, 32 pages isolated and counted at a
 * time): run from inside each take-back, it balances, and a page more counted isolated is
 * named. It used to stand aside, engine-wide, whenever any take-back ran unlocked.
 */
START_TEST(test_isolated_check_holds_during_take_back)
{
	uint64_t i, pages = 1024;	/* 4 MiB in a 1 MiB memcg */
	struct fixture f;
	struct client cl;
	uint32_t g, id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	cl.engine = f.e;
	cl.check_in_evict = true;
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "m", &g), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, g, RCL_MEMCG_MAX, 1 * MiB), 0);
	id = anon_region(&f, pages, g);
	ck_assert_int_eq(rcl_region_map(f.e, id, &pin_ops, &cl), 0);
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		fill_pattern(cl.pages[i], PAGE, 1, i * PAGE);
	}
	ck_assert_msg(!cl.unbalanced[0], "during a take-back: %s", cl.unbalanced);
	ck_assert_uint_gt(cl.checks_balanced, 0);
	ck_assert_uint_eq(cl.leaks_caught, cl.checks_balanced);
	/* The memcg's reclaim isolates its anon pages: each check saw some to mix up. */
	ck_assert_uint_eq(cl.mixups_caught, cl.checks_balanced);
	cl.check_in_evict = false;
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		ck_assert(check_pattern(cl.pages[i], PAGE, 1, i * PAGE));
	}
	cl.unmapping = true;
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/* One client of test_two_reclaimers_away_at_once: its region written through, page by page. */
struct toucher {
	struct fixture *f;
	struct client cl;
	uint32_t id;
	uint64_t pages;
};

static void *toucher_thread(void *arg)
{
	struct toucher *t = arg;
	uint64_t i;

	ck_assert_int_eq(rcl_thread_attach(t->f->e), 0);
	for (i = 0; i < t->pages; i++) {
		client_touch(t->f, &t->cl, t->id, i);
		fill_pattern(t->cl.pages[i], PAGE, 1 + t->id % 7, i * PAGE);
	}
	rcl_thread_detach(t->f->e);
	return NULL;
}

/*
 * Two clients' reclaimers away from the engine's lock at once, each taking back the pages of
 * its own memcg: their declarations add up on the node, and the check made while both are
 * away balances (the review's case the test above, one reclaimer, does not reach). A 16 MiB
 * region of the root group, made cold (new anonymous pages start active), keeps the node's
 * inactive list long: with the first reclaimer parked in its take-back, the second would
 * otherwise find too many pages isolated on the node (too_many_isolated counts node-wide,
 * and the deterministic engine does not sleep on it) and its charge fail.
 */
START_TEST(test_two_reclaimers_away_at_once)
{
	struct meet meet = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct toucher t[2];
	pthread_t tid[2];
	struct fixture f;
	uint32_t g, ballast;
	uint64_t i;
	int k;

	fixture_setup(&f, 32, 64, 1);
	ballast = anon_region(&f, 4096, 0);
	fixture_fill(&f, ballast, 0, 4096, 5);
	ck_assert_int_eq(rcl_region_madvise(f.e, ballast, 0, 4096, RCL_MADV_COLD), 0);
	for (k = 0; k < 2; k++) {
		t[k].f = &f;
		t[k].pages = 1024;	/* 4 MiB in a 1 MiB memcg of its own */
		client_init(&t[k].cl, t[k].pages);
		t[k].cl.engine = f.e;
		t[k].cl.meet = &meet;
		ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, k ? "b" : "a", &g), 0);
		ck_assert_int_eq(rcl_memcg_set(f.e, g, RCL_MEMCG_MAX, 1 * MiB), 0);
		t[k].id = anon_region(&f, t[k].pages, g);
		ck_assert_int_eq(rcl_region_map(f.e, t[k].id, &pin_ops, &t[k].cl), 0);
	}
	for (k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&tid[k], NULL, toucher_thread, &t[k]), 0);
	for (k = 0; k < 2; k++)
		pthread_join(tid[k], NULL);
	ck_assert_msg(meet.met, "the two reclaimers were never away at once");
	ck_assert_msg(meet.check == 0, "with both away: %s", meet.why);
	ck_assert_int_eq(meet.isolated, meet.declared);
	ck_assert_int_ge(meet.declared, 2);	/* one page at least of each */
	for (k = 0; k < 2; k++) {
		t[k].cl.meet = NULL;
		for (i = 0; i < t[k].pages; i++) {
			client_touch(&f, &t[k].cl, t[k].id, i);
			ck_assert(check_pattern(t[k].cl.pages[i], PAGE, 1 + t[k].id % 7, i * PAGE));
		}
		t[k].cl.unmapping = true;
		ck_assert_int_eq(rcl_region_unmap(f.e, t[k].id, &t[k].cl), 0);
		client_free(&t[k].cl);
	}
	fixture_teardown(&f);
}
END_TEST

/*
 * A region freed while reclaim takes its pages back without the engine's lock: the free goes
 * through (it does not wait for the pages reclaim holds locked), the take-back then leaves
 * the dead region's entries alone, and the pages go with it; nothing leaks, no pin stays.
 */
START_TEST(test_region_freed_during_take_back)
{
	uint64_t i, pages = 64;
	struct fixture f;
	struct client cl;
	uint32_t id;
	char why[200];

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	cl.engine = f.e;
	id = anon_region(&f, pages, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &pin_ops, &cl), 0);
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		fill_pattern(cl.pages[i], PAGE, 1, i * PAGE);
	}
	cl.free_in_evict = id;
	rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT);	/* 0 or -ENOENT */
	ck_assert_uint_eq(cl.free_in_evict, 0);		/* the free ran during a take-back */
	ck_assert_uint_eq(cl.lost, 1);
	ck_assert_uint_eq(cl.pinned, 0);
	ck_assert_uint_eq(cl.evicts_locked, 0);
	mm_lock(f.e);
	ck_assert_ptr_null(region_lookup(f.e, id));
	ck_assert_msg(engine_check_consistency(f.e, why, sizeof(why)) == 0, "%s", why);
	mm_unlock(f.e);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * The client misses a page while reclaim takes it back without the engine's lock (the punch
 * is done, the entry not yet the frame's): the fault waits for the page's lock, then faults
 * the page in again with the bytes taken back. It used to find the entry still marked the
 * client's and return at once with nothing copied, the client's access still missing.
 */
static void fault_waits_for_a_take_back(bool minor)
{
	struct fixture f;
	struct client cl;
	uint64_t i;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 4);
	cl.engine = f.e;
	id = anon_region(&f, 4, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &pin_hint_ops, &cl), 0);
	for (i = 0; i < 4; i++) {
		client_touch(&f, &cl, id, i);
		fill_pattern(cl.pages[i], PAGE, 3, i * PAGE);
	}
	/* A MINOR fault: the client dropped its entry on a hint, the bytes are still its. */
	cl.zapped[2] = cl.fault_minor = minor;
	cl.fault_in_evict = 2;
	cl.fault_region = id;
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 2, 1, RCL_MADV_PAGEOUT), 0);
	pthread_join(cl.fault_tid, NULL);
	ck_assert_int_eq(cl.fault_ret, 0);
	ck_assert(cl.present[2]);
	ck_assert(check_pattern(cl.pages[2], PAGE, 3, 2 * PAGE));
	ck_assert_uint_eq(cl.evicts_locked, 0);
	cl.unmapping = true;
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	client_free(&cl);
	fixture_teardown(&f);
}

START_TEST(test_fault_waits_for_a_take_back)
{
	fault_waits_for_a_take_back(false);
}
END_TEST

/* The same for a hinting (MINOR) fault: it used to map the client's page back (cont) while
 * the take-back was punching it out, a write through that entry then lost. */
START_TEST(test_minor_fault_waits_for_a_take_back)
{
	fault_waits_for_a_take_back(true);
}
END_TEST

/*
 * A fault that needs reclaim does not wait for the swap writes that reclaim submitted (the
 * kernel's try_charge does not): in a daemon (threads running, swap through io_uring) the
 * fault returns with them in flight, and the pages are freed by a later pass once written.
 * A region four times its memcg's max is written whole twice: counted per fault, those whose
 * reclaim wrote pages (nr_vmscan_write grew) and returned before the writes completed
 * (nr_writeback still up); none of them waits on the clock. Before, the charge's reclaim
 * waited for every write it had submitted, and no fault ever returned with one in flight.
 * Nothing is lost meanwhile: every page comes back with the bytes last written, the max
 * holds, and the group has no OOM event (a pass that freed nothing waits for the writes
 * before it counts as a failed retry).
 */
START_TEST(test_fault_reclaim_does_not_wait_for_its_writes)
{
	struct fixture f;
	struct client cl;
	uint64_t i, round, pages = 1024;	/* 4 MiB in a 1 MiB memcg */
	unsigned int writing = 0, in_flight = 0;
	uint32_t g, id;

	fixture_setup_io(&f, 16, 32, 1, true);
	ck_assert_int_eq(rcl_engine_start_threads(f.e), 0);
	client_init(&cl, pages);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "m", &g), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, g, RCL_MEMCG_MAX, 1 * MiB), 0);
	id = anon_region(&f, pages, g);
	ck_assert_int_eq(rcl_region_map(f.e, id, &run_ops, &cl), 0);
	for (round = 1; round <= 2; round++) {
		for (i = 0; i < pages; i++) {
			uint64_t written = fixture_vmstat(f.e, "nr_vmscan_write");
			bool miss = !cl.present[i];

			client_touch(&f, &cl, id, i);
			if (miss && fixture_vmstat(f.e, "nr_vmscan_write") > written) {
				writing++;
				in_flight += fixture_vmstat(f.e, "nr_writeback") > 0;
			}
			if (round > 1)
				ck_assert_msg(check_pattern(cl.pages[i], PAGE, round - 1, i * PAGE),
					      "page %llu", (unsigned long long)i);
			fill_pattern(cl.pages[i], PAGE, round, i * PAGE);
		}
	}
	printf("fault reclaim: %u faults wrote pages, %u returned with the writes in flight\n",
	       writing, in_flight);
	ck_assert_uint_gt(writing, 0);
	ck_assert_uint_gt(in_flight, 0);
	ck_assert_uint_le(fixture_memcg_value(f.e, g, false, "anon"), 1 * MiB);
	ck_assert_uint_eq(fixture_memcg_value(f.e, g, true, "oom"), 0);
	for (i = 0; i < pages; i++) {
		client_touch(&f, &cl, id, i);
		ck_assert_msg(check_pattern(cl.pages[i], PAGE, 2, i * PAGE), "page %llu",
			      (unsigned long long)i);
	}
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	rcl_engine_stop_threads(f.e);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/* ---- reclaim's batch: runs taken back at once ------------------------------------------- */

/* A region of @pages pages mapped by @cl with @ops, every page the client's with pattern 3. */
static uint32_t mapped_written(struct fixture *f, struct client *cl, uint64_t pages,
			       const struct rcl_map_ops *ops)
{
	uint32_t id = anon_region(f, pages, 0);
	uint64_t i;

	client_init(cl, pages);
	ck_assert_int_eq(rcl_region_map(f->e, id, ops, cl), 0);
	for (i = 0; i < pages; i++) {
		client_touch(f, cl, id, i);
		fill_pattern(cl->pages[i], PAGE, 3, i * PAGE);
	}
	return id;
}

/* Every page comes back with pattern 3, but for byte 0 of @special (-1: none), @byte. */
static void check_all_back(struct fixture *f, struct client *cl, uint32_t id, int64_t special,
			   uint8_t byte)
{
	uint64_t i;

	for (i = 0; i < cl->nr; i++) {
		client_touch(f, cl, id, i);
		if ((int64_t)i == special) {
			ck_assert_msg(cl->pages[i][0] == byte, "page %llu lost its write",
				      (unsigned long long)i);
			cl->pages[i][0] = 0;
			fill_pattern(cl->pages[i], 1, 3, i * PAGE);	/* byte 0 as it was */
		}
		ck_assert_msg(check_pattern(cl->pages[i], PAGE, 3, i * PAGE),
			      "page %llu came back without the client's bytes",
			      (unsigned long long)i);
	}
}

/*
 * MADV_PAGEOUT of 32 pages a client holds: one evict_run takes all of them back, none goes
 * alone; a write that landed before the write-protect is what swap holds, and a write that
 * met it, done once the page is faulted back in, is the page's from then on.
 */
START_TEST(test_run_taken_back_in_one_call)
{
	struct fixture f;
	struct client cl;
	uint64_t out0, calls0, pages0, pages = 32;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = mapped_written(&f, &cl, pages, &run_ops);
	cl.write_before = 5;
	cl.write_after = 9;
	out0 = fixture_vmstat(f.e, "pswpout");
	calls0 = fixture_vmstat(f.e, "mapped_take_back_calls");
	pages0 = fixture_vmstat(f.e, "mapped_take_back_pages");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.runs, 1);
	ck_assert_uint_eq(cl.run_pages, pages);
	ck_assert_uint_eq(cl.run_taken, pages);
	ck_assert_uint_eq(cl.evictions, 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout") - out0, pages);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_take_back_calls") - calls0, 1);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_take_back_pages") - pages0, pages);
	/* The writer that waited: the page is gone from its mapping, it misses, then writes. */
	ck_assert(cl.write_after_waits && !cl.present[9]);
	client_touch(&f, &cl, id, 9);
	ck_assert(check_pattern(cl.pages[9], PAGE, 3, 9 * PAGE));
	/* The write before the write-protect was swapped; every other byte too. */
	check_all_back(&f, &cl, id, 5, 0xb1);
	cl.pages[9][0] = 0xa9;
	/* Out and back once more, all the client's again: the waiter's write is the page's. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.runs, 2);
	ck_assert_uint_eq(cl.run_taken, 2 * pages);
	ck_assert_uint_eq(cl.evictions, 0);
	check_all_back(&f, &cl, id, 9, 0xa9);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/* A pass parks at most a batch of pages: 200 go as runs of 64, 64, 64 and 8. */
START_TEST(test_runs_are_bounded_by_the_batch)
{
	struct fixture f;
	struct client cl;
	uint64_t pages = 200;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = mapped_written(&f, &cl, pages, &run_ops);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.runs, 4);
	ck_assert_uint_eq(cl.longest_run, 64);
	ck_assert_uint_eq(cl.run_taken, pages);
	ck_assert_uint_eq(cl.evictions, 0);
	check_all_back(&f, &cl, id, -1, 0);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * Only pages that reach the unmap step are taken back: a gap in the run (a page the client
 * does not hold) splits it, and a page alone goes through evict.
 */
START_TEST(test_runs_are_split_where_pages_are_not_the_clients)
{
	struct fixture f;
	struct client cl;
	uint64_t i, pages = 16;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = mapped_written(&f, &cl, pages, &run_ops);
	/* Pages 4 and 6 paged out alone: each a run of one, taken back by evict. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 4, 1, RCL_MADV_PAGEOUT), 0);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 6, 1, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.evictions, 2);
	ck_assert_uint_eq(cl.runs, 0);
	ck_assert(!cl.present[4] && !cl.present[6]);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	/* 0-3 and 7-15 are runs; 5, between two pages in swap, goes alone. */
	ck_assert_uint_eq(cl.runs, 2);
	ck_assert_uint_eq(cl.run_pages, 4 + 9);
	ck_assert_uint_eq(cl.evictions, 3);
	for (i = 0; i < pages; i++)
		ck_assert(!cl.present[i]);
	check_all_back(&f, &cl, id, -1, 0);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * What a run did not take back goes page by page: a short read leaves the rest of the run
 * to evict, a failed run all of it; and when evict fails too, the page stays the client's.
 */
START_TEST(test_run_not_taken_back_goes_page_by_page)
{
	struct fixture f;
	struct client cl;
	uint64_t i, out0, calls0, pages0, pages = 32;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = mapped_written(&f, &cl, pages, &run_ops);
	cl.run_short = 10;
	calls0 = fixture_vmstat(f.e, "mapped_take_back_calls");
	pages0 = fixture_vmstat(f.e, "mapped_take_back_pages");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.runs, 1);
	ck_assert_uint_eq(cl.run_taken, 10);
	ck_assert_uint_eq(cl.evictions, pages - 10);
	/* Counted as they went: the run's ten in one call, the rest one call each. */
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_take_back_calls") - calls0, 1 + pages - 10);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_take_back_pages") - pages0, pages);
	check_all_back(&f, &cl, id, -1, 0);

	cl.run_short = 0;
	cl.fail_run = -EIO;
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.runs, 2);
	ck_assert_uint_eq(cl.evictions, 2 * pages - 10);
	check_all_back(&f, &cl, id, -1, 0);

	cl.fail_evict = -EIO;
	out0 = fixture_vmstat(f.e, "pswpout");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "pswpout"), out0);	/* nothing swapped */
	for (i = 0; i < pages; i++)
		ck_assert(cl.present[i] && check_pattern(cl.pages[i], PAGE, 3, i * PAGE));
	cl.fail_evict = cl.fail_run = 0;
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * Unmapping takes the client's pages back as reclaim does: runs of consecutive pages, at most
 * a batch each, in one evict_run; a page alone through evict; the gaps (pages never touched,
 * or in swap) end a run. Every byte the client wrote is the region's afterwards.
 */
START_TEST(test_unmap_takes_back_runs)
{
	struct fixture f;
	struct client cl;
	uint64_t i, calls0, pages = 200;
	uint8_t buf[PAGE];
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = mapped_written(&f, &cl, pages, &run_ops);
	/* Pages 100, 150 and 151 in swap, no longer the client's: the unmap's runs are 0-63,
	 * 64-99, 101-149 and 152-199. */
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 100, 1, RCL_MADV_PAGEOUT), 0);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 150, 2, RCL_MADV_PAGEOUT), 0);
	ck_assert_uint_eq(cl.evictions, 1);
	ck_assert_uint_eq(cl.runs, 1);
	cl.runs = cl.run_pages = cl.run_taken = cl.longest_run = 0;
	calls0 = fixture_vmstat(f.e, "mapped_take_back_calls");
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	ck_assert_uint_eq(cl.runs, 4);
	ck_assert_uint_eq(cl.longest_run, 64);
	ck_assert_uint_eq(cl.run_taken, pages - 3);
	ck_assert_uint_eq(cl.evictions, 1);		/* only the one MADV_PAGEOUT took alone */
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_take_back_calls") - calls0, 4);
	for (i = 0; i < pages; i++) {
		ck_assert(!cl.present[i]);
		ck_assert_int_eq(rcl_region_read(f.e, id, i * PAGE, buf, PAGE), 0);
		ck_assert_msg(check_pattern(buf, PAGE, 3, i * PAGE), "page %llu lost its bytes",
			      (unsigned long long)i);
	}
	ck_assert_uint_eq(cl.lost, 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/* A run that fails at unmap goes page by page; a page whose evict fails too keeps its last
 * bytes and the unmap says so. */
START_TEST(test_unmap_failed_run_goes_page_by_page)
{
	struct fixture f;
	struct client cl;
	uint64_t pages = 16;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	id = mapped_written(&f, &cl, pages, &run_ops);
	cl.fail_run = -EIO;
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	ck_assert_uint_eq(cl.runs, 1);
	ck_assert_uint_eq(cl.evictions, pages);
	client_free(&cl);
	fixture_teardown(&f);

	fixture_setup(&f, 16, 32, 1);
	id = mapped_written(&f, &cl, pages, &run_ops);
	cl.fail_run = cl.fail_evict = -EIO;
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), -EIO);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/* ---- the young bit: hinting faults ------------------------------------------------------ */

/* Run under CLOCK-Pro (tests/scenario/clock-pro.sh)? */
static bool clock_pro(void)
{
	const char *name = getenv("RCL_RECLAIM_POLICY");

	return name && !strcmp(name, "clock-pro");
}

#define HC_HOT		64u	/* pages touched every round */
#define HC_COLD		1024u	/* pages streamed through, HC_STEP a round */
#define HC_STEP		32u
#define HC_ROUNDS	128u	/* the cold set streamed four times */

struct hot_cold {
	struct client hot, cold;
	uint64_t hot_refills, cold_refills;	/* fills after each page's first */
	uint64_t hot_majflt, cold_majflt;	/* the engine's, of each set's memcg */
	uint64_t hint_faults, hint_updates;	/* vmstat */
	uint64_t hot_pgfault;			/* the hot set's memcg's */
};

/*
 * A hot set touched every round beside a cold set streamed through, each in a memcg of its
 * own under a parent that holds a quarter of them (so the engine's own counters tell their
 * refaults apart), both regions mapped with @ops; every byte checked on every touch.
 */
static void run_hot_cold(const struct rcl_map_ops *ops, bool ignore_hints, struct hot_cold *hc)
{
	struct fixture f;
	uint32_t p, gh, gc, hot, cold;
	uint64_t r, i, faults0, updates0;

	fixture_setup(&f, 16, 32, 1);
	memset(hc, 0, sizeof(*hc));
	client_init(&hc->hot, HC_HOT);
	client_init(&hc->cold, HC_COLD);
	hc->hot.ignore_hints = hc->cold.ignore_hints = ignore_hints;
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "p", &p), 0);
	ck_assert_int_eq(rcl_memcg_set(f.e, p, RCL_MEMCG_MAX, 1 * MiB), 0);
	ck_assert_int_eq(rcl_memcg_create(f.e, p, "hot", &gh), 0);
	ck_assert_int_eq(rcl_memcg_create(f.e, p, "cold", &gc), 0);
	hot = anon_region(&f, HC_HOT, gh);
	cold = anon_region(&f, HC_COLD, gc);
	ck_assert_int_eq(rcl_region_map(f.e, hot, ops, &hc->hot), 0);
	ck_assert_int_eq(rcl_region_map(f.e, cold, ops, &hc->cold), 0);
	faults0 = fixture_vmstat(f.e, "mapped_hint_faults");
	updates0 = fixture_vmstat(f.e, "mapped_hint_updates");
	for (r = 0; r < HC_ROUNDS; r++) {
		for (i = 0; i < HC_HOT; i++) {
			client_touch(&f, &hc->hot, hot, i);
			ck_assert(!r || check_pattern(hc->hot.pages[i], PAGE, 1, i * PAGE));
			fill_pattern(hc->hot.pages[i], PAGE, 1, i * PAGE);
		}
		for (i = r * HC_STEP % HC_COLD; i < r * HC_STEP % HC_COLD + HC_STEP; i++) {
			client_touch(&f, &hc->cold, cold, i);
			ck_assert(r < HC_COLD / HC_STEP ||
				  check_pattern(hc->cold.pages[i], PAGE, 2, i * PAGE));
			fill_pattern(hc->cold.pages[i], PAGE, 2, i * PAGE);
		}
	}
	hc->hot_refills = hc->hot.fills - HC_HOT;
	hc->cold_refills = hc->cold.fills - HC_COLD;
	hc->hot_majflt = fixture_memcg_value(f.e, gh, false, "pgmajfault");
	hc->hot_pgfault = fixture_memcg_value(f.e, gh, false, "pgfault");
	hc->cold_majflt = fixture_memcg_value(f.e, gc, false, "pgmajfault");
	hc->hint_faults = fixture_vmstat(f.e, "mapped_hint_faults") - faults0;
	hc->hint_updates = fixture_vmstat(f.e, "mapped_hint_updates") - updates0;
	printf("hot/cold (%s): refills hot %llu cold %llu, pgmajfault hot %llu cold %llu, "
	       "hints %u, hinting faults %llu\n",
	       ops->hint ? (ignore_hints ? "hints ignored" : "hinting faults") : "no hints",
	       (unsigned long long)hc->hot_refills, (unsigned long long)hc->cold_refills,
	       (unsigned long long)hc->hot_majflt, (unsigned long long)hc->cold_majflt,
	       hc->hot.hints + hc->cold.hints, (unsigned long long)hc->hint_faults);
	fflush(stdout);
	ck_assert_int_eq(rcl_region_unmap(f.e, hot, &hc->hot), 0);
	ck_assert_int_eq(rcl_region_unmap(f.e, cold, &hc->cold), 0);
	client_free(&hc->hot);
	client_free(&hc->cold);
	fixture_teardown(&f);
}

START_TEST(test_hot_set_survives_reclaim_of_a_cold_one)
{
	struct hot_cold hc;

	rcl_skip_one_thread();

	run_hot_cold(&hint_ops, false, &hc);
	/* Reclaim asked, the client dropped its entries, its touches came back as MINOR faults. */
	ck_assert_uint_gt(hc.hint_updates, 0);
	ck_assert_uint_eq(hc.hint_updates, hc.hot.hints + hc.cold.hints);
	ck_assert_uint_gt(hc.hint_faults, 0);
	ck_assert_uint_eq(hc.hint_faults, hc.hot.conts + hc.cold.conts);
	/* Each hinting fault is a fault of the group's, as each miss is. */
	ck_assert_uint_ge(hc.hot_pgfault, hc.hot.fills + hc.hot.conts);
	/* The cold set is streamed through the group's max: it refaults, again and again... */
	ck_assert_uint_ge(hc.cold_refills, 2 * HC_COLD);
	/* ... from swap (readahead serves the rest): half the set under two-list (663 seen), a
	 * quarter under CLOCK-Pro, whose readahead pages wait cold on the clock (387). */
	ck_assert_uint_ge(hc.cold_majflt, clock_pro() ? HC_COLD / 4 : HC_COLD / 2);
	/* ... while the hot set, touched twice as often, stays: per access, 10 times fewer. */
	ck_assert_uint_lt(hc.hot_refills * 10 * (HC_ROUNDS * HC_STEP),
			  hc.cold_refills * (HC_ROUNDS * HC_HOT));
	ck_assert_uint_lt(hc.hot_majflt * 10 * (HC_ROUNDS * HC_STEP),
			  hc.cold_majflt * (HC_ROUNDS * HC_HOT));
}
END_TEST

/*
 * Without hinting faults (a mapping with no hint op, or a client that ignores the requests)
 * the young bit is set only by the fault that maps a page out: the hot set looks as cold as
 * the other and refaults with it. This is what the test above would see if hinting broke.
 */
START_TEST(test_without_hints_the_hot_set_looks_cold)
{
	struct hot_cold none, ignored;

	rcl_skip_one_thread();

	run_hot_cold(&fake_ops, false, &none);
	ck_assert_uint_eq(none.hint_updates + none.hint_faults, 0);
	ck_assert_uint_ge(none.hot_refills * 10 * (HC_ROUNDS * HC_STEP),
			  none.cold_refills * (HC_ROUNDS * HC_HOT));
	run_hot_cold(&hint_ops, true, &ignored);
	ck_assert_uint_gt(ignored.hint_updates, 0);	/* asked, and nothing came of it */
	ck_assert_uint_eq(ignored.hint_faults, 0);
	ck_assert_uint_ge(ignored.hot_refills * 10 * (HC_ROUNDS * HC_STEP),
			  ignored.cold_refills * (HC_ROUNDS * HC_HOT));
}
END_TEST

/* MADV_COLD of mapped pages: cold until used again, which a hinting fault shows. */
START_TEST(test_cold_mapped_pages_are_sampled)
{
	struct fixture f;
	struct client cl;
	uint64_t i, faults0, updates0, conts0, pages = 16;
	uint32_t id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, pages);
	id = anon_region(&f, pages, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &hint_ops, &cl), 0);
	for (i = 0; i < pages; i++)
		client_touch(&f, &cl, id, i);
	/* Under CLOCK-Pro each page joining the clock asked for its next access, sent by the
	 * next fault: touched again, none is left to ask for (two-list: nothing happens). */
	for (i = 0; i < pages; i++)
		client_touch(&f, &cl, id, i);
	conts0 = cl.conts;
	faults0 = fixture_vmstat(f.e, "mapped_hint_faults");
	updates0 = fixture_vmstat(f.e, "mapped_hint_updates");
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, pages / 2, RCL_MADV_COLD), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_hint_updates") - updates0, pages / 2);
	for (i = 0; i < pages; i++)
		ck_assert(cl.zapped[i] == (i < pages / 2));
	for (i = 0; i < pages; i++)
		client_touch(&f, &cl, id, i);	/* the cold half back by hinting faults */
	ck_assert_uint_eq(cl.conts - conts0, pages / 2);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_hint_faults") - faults0, pages / 2);
	ck_assert_uint_eq(cl.fills, pages);	/* nothing was taken back */
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/* ---- confirmed drops ------------------------------------------------------------------- */

#define CF_PAGES	16u

/*
 * The late client of region @id gets round to its requests: it drops the entries and
 * confirms each request, as the library's monitor does once its madvise returned (a page
 * taken back meanwhile has no entry to drop, and its confirmation is the engine's to ignore).
 */
static void client_catch_up(struct fixture *f, struct client *cl, uint32_t id)
{
	uint64_t idx[4 * CF_PAGES];
	unsigned int n = 0;
	uint64_t i;

	for (i = 0; i < cl->nr; i++) {
		if (cl->asked[i] && cl->present[i])
			cl->zapped[i] = true;
		for (; cl->asked[i]; cl->asked[i]--) {
			ck_assert_uint_lt(n, 4 * CF_PAGES);
			idx[n++] = i;
		}
	}
	cl->confirmed += n;
	ck_assert_int_eq(rcl_region_map_confirm(f->e, id, cl, idx, n), 0);
}

/*
 * A region of CF_PAGES mapped in memcg @memcg by @cl, every page mapped out with no request
 * of it left unanswered, then all of them made cold by MADV_COLD: their bits cleared, the
 * client asked to drop its entries, and, under two-list, on the inactive list. Under
 * CLOCK-Pro each page joining the clock asks for its next access, the request sent by the
 * next fault: the pages are touched until none is asked for (three rounds: the last page's
 * is sent by the second, and the third faults it back).
 */
static uint32_t cf_region_asked(struct fixture *f, struct client *cl, uint32_t memcg)
{
	uint32_t id = anon_region(f, CF_PAGES, memcg);
	unsigned int round;
	uint64_t i;

	ck_assert_int_eq(rcl_region_map(f->e, id, &confirm_ops, cl), 0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < CF_PAGES; i++)
			client_touch(f, cl, id, i);
		client_catch_up(f, cl, id);
	}
	for (i = 0; i < CF_PAGES; i++)
		ck_assert(cl->present[i] && !cl->zapped[i] && !cl->asked[i]);
	ck_assert_int_eq(rcl_region_madvise(f->e, id, 0, CF_PAGES, RCL_MADV_COLD), 0);
	for (i = 0; i < CF_PAGES; i++)
		ck_assert_uint_gt(cl->asked[i], 0);
	return id;
}

/*
 * Scan @memcg_id's inactive anon list whole (under CLOCK-Pro, its clock, with the hands),
 * as reclaim does; with @age, under two-list, deactivate its active list first, as
 * shrink_active_list does when the inactive list runs low (a page the last scan activated is
 * tested again only after that).
 */
static void cf_scan(struct fixture *f, uint32_t memcg_id, bool age)
{
	struct mem_cgroup *memcg;
	struct lruvec *lruvec;
	struct scan_control sc = {
		.nr_to_reclaim = CF_PAGES, .gfp_mask = GFP_KERNEL, .reclaim_idx = ZONE_NORMAL,
		.priority = 0, .may_writepage = 1, .may_unmap = 1, .may_swap = 1,
	};

	mm_lock(f->e);
	memcg = mem_cgroup_from_id(f->e, memcg_id);
	lruvec = mem_cgroup_lruvec(NODE_DATA(f->e, 0), memcg);
	sc.target_mem_cgroup = memcg;
	lru_add_drain(f->e);
	if (age && !clock_pro())
		shrink_active_list(CF_PAGES, lruvec, &sc, LRU_ACTIVE_ANON);
	shrink_list(LRU_INACTIVE_ANON, CF_PAGES, lruvec, memcg, &sc);
	mm_unlock(f->e);
}

/*
 * A client that runs late: reclaim asked it to drop its entries and it has not yet, so its
 * accesses since raise no fault. The scan that comes first must not take its pages for
 * unused (it could be using every one of them): none is reclaimed. A client that never
 * carries the requests out, or never confirms, gets that once: its pages are reclaimed as
 * cold on the next scan, so that it can make its own pages look cold, never unreclaimable.
 */
START_TEST(test_unconfirmed_drop_counts_once)
{
	struct fixture f;
	struct client cl;
	uint64_t i, graces0;
	unsigned int conts0;
	uint32_t g, id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, CF_PAGES);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "g", &g), 0);
	id = cf_region_asked(&f, &cl, g);
	graces0 = fixture_vmstat(f.e, "mapped_hint_graces");
	conts0 = cl.conts;
	for (i = 0; i < CF_PAGES; i++)
		client_touch(&f, &cl, id, i);	/* used: but its entries are still there */
	ck_assert_uint_eq(cl.conts, conts0);
	cf_scan(&f, g, false);
	ck_assert_uint_eq(cl.evictions, 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_hint_graces") - graces0, CF_PAGES);
	/* It never gets round to them: cold now, as its bits say. */
	cf_scan(&f, g, true);
	ck_assert_uint_eq(cl.evictions, CF_PAGES);
	for (i = 0; i < CF_PAGES; i++)
		ck_assert(!cl.present[i]);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_hint_graces") - graces0, CF_PAGES);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * A client that confirms late, after the scan that spared its pages, but never touches them:
 * the confirmation is no access, the grace stays spent, and the next scan reclaims them all.
 * (Were a confirmation to give the grace back, a client that always confirmed after the scan
 * would have its pages spared every time without using them.)
 */
START_TEST(test_late_confirmation_is_no_access)
{
	struct fixture f;
	struct client cl;
	uint64_t graces0;
	uint32_t g, id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, CF_PAGES);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "g", &g), 0);
	id = cf_region_asked(&f, &cl, g);
	graces0 = fixture_vmstat(f.e, "mapped_hint_graces");
	cf_scan(&f, g, false);
	ck_assert_uint_eq(cl.evictions, 0);
	client_catch_up(&f, &cl, id);
	cf_scan(&f, g, true);	/* asked again as they are deactivated (two-list), late again */
	ck_assert_uint_eq(cl.evictions, CF_PAGES);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_hint_graces") - graces0, CF_PAGES);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * What the grace is for: a client late with its drops that does use its pages. Once it drops
 * the entries its touches are hinting faults, the pages young, and the grace theirs again for
 * the next late request: none is reclaimed, scan after scan.
 */
START_TEST(test_late_client_keeps_its_used_pages)
{
	struct fixture f;
	struct client cl;
	unsigned int scan;
	uint32_t g, id;
	uint64_t i;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, CF_PAGES);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "g", &g), 0);
	id = cf_region_asked(&f, &cl, g);
	for (scan = 0; scan < 4; scan++) {
		cf_scan(&f, g, scan > 0);
		ck_assert_uint_eq(cl.evictions, 0);
		client_catch_up(&f, &cl, id);
		for (i = 0; i < CF_PAGES; i++)
			client_touch(&f, &cl, id, i);
	}
	ck_assert_uint_ge(cl.conts, 4 * CF_PAGES);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	fixture_teardown(&f);
}
END_TEST

/*
 * A client that confirmed its drops before the scan gets no grace: its pages are told apart
 * by their hinting faults, the used half kept, the other reclaimed at once. Confirmations
 * that name no request (pages not asked for, out of the region, another client's) change
 * nothing.
 */
START_TEST(test_confirmed_drops_tell_hot_from_cold)
{
	struct fixture f;
	struct client cl, other;
	uint64_t i, confirms0, graces0, bogus[] = { 0, 3, CF_PAGES, ~0ULL };
	uint32_t g, id;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, CF_PAGES);
	client_init(&other, CF_PAGES);
	ck_assert_int_eq(rcl_memcg_create(f.e, RCL_MEMCG_ROOT, "g", &g), 0);
	id = cf_region_asked(&f, &cl, g);
	confirms0 = fixture_vmstat(f.e, "mapped_hint_confirms");
	graces0 = fixture_vmstat(f.e, "mapped_hint_graces");
	ck_assert_int_eq(rcl_region_map_confirm(f.e, id, &other, bogus, 2), -ENOENT);
	cl.confirmed = 0;
	client_catch_up(&f, &cl, id);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_hint_confirms") - confirms0, cl.confirmed);
	ck_assert_uint_ge(cl.confirmed, CF_PAGES);
	/* Nothing is asked for now: these name nothing. */
	ck_assert_int_eq(rcl_region_map_confirm(f.e, id, &cl, bogus, 4), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_hint_confirms") - confirms0, cl.confirmed);
	for (i = 0; i < CF_PAGES / 2; i++)
		client_touch(&f, &cl, id, i);	/* hinting faults: young */
	cf_scan(&f, g, false);
	for (i = 0; i < CF_PAGES; i++)
		ck_assert(cl.present[i] == (i < CF_PAGES / 2));
	ck_assert_uint_eq(cl.evictions, CF_PAGES / 2);
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_hint_graces"), graces0);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	client_free(&cl);
	client_free(&other);
	fixture_teardown(&f);
}
END_TEST

/* Hinting faults that cannot be served are refused and change nothing. */
START_TEST(test_hinting_fault_refusals)
{
	static const struct rcl_map_ops half = { .fill = fake_fill, .evict = fake_evict,
						 .io = fake_io, .lost = fake_lost,
						 .hint = fake_hint };
	struct fixture f;
	struct client cl, other;
	uint32_t id, plain;
	uint64_t faults0;

	fixture_setup(&f, 16, 32, 1);
	client_init(&cl, 8);
	client_init(&other, 8);
	id = anon_region(&f, 8, 0);
	plain = anon_region(&f, 8, 0);
	ck_assert_int_eq(rcl_region_map(f.e, id, &half, &cl), -EINVAL);	/* hint, no cont */
	ck_assert_int_eq(rcl_region_map(f.e, id, &hint_ops, &cl), 0);
	ck_assert_int_eq(rcl_region_map(f.e, plain, &fake_ops, &other), 0);
	client_touch(&f, &cl, id, 2);
	client_touch(&f, &other, plain, 2);
	faults0 = fixture_vmstat(f.e, "mapped_hint_faults");
	ck_assert_int_eq(rcl_region_map_minor(f.e, id, &other, 2), -ENOENT);	/* not its */
	ck_assert_int_eq(rcl_region_map_minor(f.e, id, &cl, 8), -EINVAL);	/* past the end */
	ck_assert_int_eq(rcl_region_map_minor(f.e, 12345, &cl, 2), -ENOENT);
	ck_assert_int_eq(rcl_region_map_minor(f.e, plain, &other, 2), -EINVAL); /* no cont */
	ck_assert_uint_eq(fixture_vmstat(f.e, "mapped_hint_faults"), faults0);
	ck_assert_uint_eq(cl.conts + cl.fills + other.fills, 2);	/* the two touches */
	/* A MINOR fault for a page taken back meanwhile is an ordinary miss: filled. */
	fill_pattern(cl.pages[2], PAGE, 5, 2 * PAGE);
	ck_assert_int_eq(rcl_region_madvise(f.e, id, 0, 8, RCL_MADV_PAGEOUT), 0);
	ck_assert(!cl.present[2]);
	ck_assert_int_eq(rcl_region_map_minor(f.e, id, &cl, 2), 0);
	ck_assert(cl.present[2] && check_pattern(cl.pages[2], PAGE, 5, 2 * PAGE));
	ck_assert_uint_eq(cl.conts, 0);
	ck_assert_int_eq(rcl_region_unmap(f.e, id, &cl), 0);
	ck_assert_int_eq(rcl_region_unmap(f.e, plain, &other), 0);
	client_free(&cl);
	client_free(&other);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("mapped");
	TCase *tc = tcase_create("mapped");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_written_page_taken_back_swapped_and_returned);
	tcase_add_test(tc, test_mapped_region_refuses_what_bypasses_the_mapping);
	tcase_add_test(tc, test_read_write_reach_the_clients_copy);
	tcase_add_test(tc, test_failed_take_back_keeps_the_page);
	tcase_add_test(tc, test_region_freed_under_its_mapping_tells_the_mapper);
	tcase_add_test(tc, test_mapped_region_free_keeps_the_lock);
	tcase_add_test(tc, test_region_killed_while_it_populates);
	tcase_add_test(tc, test_no_map_while_dontneed_runs);
	tcase_add_test(tc, test_fault_finds_its_mapping_gone_after_the_page_lock);
	tcase_add_test(tc, test_fill_runs_without_mm_lock);
	tcase_add_test(tc, test_region_freed_during_fill);
	tcase_add_test(tc, test_take_back_runs_without_mm_lock);
	tcase_add_test(tc, test_region_freed_during_take_back);
	tcase_add_test(tc, test_isolated_check_holds_during_take_back);
	tcase_add_test(tc, test_two_reclaimers_away_at_once);
	tcase_add_test(tc, test_fault_waits_for_a_take_back);
	tcase_add_test(tc, test_minor_fault_waits_for_a_take_back);
	tcase_add_test(tc, test_fault_behind_an_unmap_is_refused);
	tcase_add_test(tc, test_region_freed_during_unmap_is_not_lost);
	tcase_add_test(tc, test_region_four_times_its_memcg_max);
	tcase_add_test(tc, test_memcg_reclaim_takes_runs_back);
	tcase_add_test(tc, test_fault_reclaim_does_not_wait_for_its_writes);
	tcase_add_test(tc, test_run_taken_back_in_one_call);
	tcase_add_test(tc, test_runs_are_bounded_by_the_batch);
	tcase_add_test(tc, test_runs_are_split_where_pages_are_not_the_clients);
	tcase_add_test(tc, test_run_not_taken_back_goes_page_by_page);
	tcase_add_test(tc, test_unmap_takes_back_runs);
	tcase_add_test(tc, test_unmap_failed_run_goes_page_by_page);
	tcase_add_test(tc, test_hot_set_survives_reclaim_of_a_cold_one);
	tcase_add_test(tc, test_without_hints_the_hot_set_looks_cold);
	tcase_add_test(tc, test_cold_mapped_pages_are_sampled);
	tcase_add_test(tc, test_hinting_fault_refusals);
	tcase_add_test(tc, test_unconfirmed_drop_counts_once);
	tcase_add_test(tc, test_late_confirmation_is_no_access);
	tcase_add_test(tc, test_late_client_keeps_its_used_pages);
	tcase_add_test(tc, test_confirmed_drops_tell_hot_from_cold);
	suite_add_tcase(s, tc);
	return s;
}
