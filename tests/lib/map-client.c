/*
 * map-client - a program that uses a mapped region (rclc_map), for the integration tests.
 *
 *   map-client [--uid UID] SOCKET MODE [ARG]...
 *
 *   stress MEMCG PAGES THREADS ROUNDS   THREADS hammer one mapped region of PAGES in MEMCG
 *                                       (the test makes it smaller than the region): each
 *                                       round every thread checks every byte of its pages
 *                                       against the last round's pattern, then writes the next
 *   race PAGES SECONDS                  one thread writes a sequence number into every page,
 *                                       reading each back, while another connection pages
 *                                       the region out again and again; at the end every
 *                                       page must hold its last number, through the mapping
 *                                       and, after rclc_unmap, through Read
 *   fork                                a child touches the mapping: SIGSEGV, the parent's
 *                                       bytes intact
 *   blocked PAGES [MEMCG]               map, write, page everything out, read the upper half
 *                                       back, say "ready", wait for a line on stdin, then
 *                                       read page 0 (the test stops and kills the daemon in
 *                                       between); "ready" names the region and our pid
 *   hotcold HOT_MEMCG COLD_MEMCG HOT COLD STEP ROUNDS
 *                                       a region of HOT pages in HOT_MEMCG written every
 *                                       round, beside one of COLD pages in COLD_MEMCG of
 *                                       which STEP new ones are written a round (streamed
 *                                       through); every page checked each time it is read;
 *                                       prints "hotcold rounds N" when every check held
 *   sockio MEMCG PAGES ROUNDS           one thread writes the first half of every page of a
 *                                       mapped region in MEMCG through the mapping while
 *                                       another writes the second halves with Write requests
 *                                       and a third pages the region out again and again;
 *                                       after each round every byte is checked through the
 *                                       mapping and through Read requests
 *   hold                                create a region, say "region ID", wait for stdin EOF
 *   map ID                              try to map region ID; print the outcome
 *   mapmany N                           create and map one-page regions, N at most, until
 *                                       one is refused ("mapped I", or "refused I code=C
 *                                       message=M"); then unmap and free the first and map
 *                                       a new one ("unmapped", "mapped again" or
 *                                       "refused again ..."); say "holding mapped=K pid=P" and
 *                                       keep the mappings until stdin's EOF (N <= 63)
 *   touch PAGES                         map a new region of PAGES and write each page once,
 *                                       in order, from one thread: PAGES first-touch faults,
 *                                       each raised as soon as the one before it is served;
 *                                       every page read back; prints "touched PAGES"
 *   store ID                            map region ID (another client may free it meanwhile),
 *                                       print "mapped BYTES", then store into every page;
 *                                       prints "stored PAGES" if every store returned
 *   freemapped                          connection 1 makes region N (its own) and persistent
 *                                       P and Q, maps P and Q and stores into them; then
 *                                       connection 2 frees P and connection 1 frees Q while
 *                                       they are mapped ("free P: OUTCOME", "free Q: ..."),
 *                                       N, P and Q are read ("kept N P Q" if each still holds
 *                                       its byte, through the socket and the mappings), and
 *                                       each is freed after its unmap ("freed P after unmap",
 *                                       "freed Q after unmap"); OUTCOME is "ok" or
 *                                       "code=C message=M"
 *   oomkill KEEP_MEMCG KILL_MEMCG PAGES [unmap]
 *                                       one connection maps region P of PAGES in KEEP_MEMCG
 *                                       and region Q of PAGES in KILL_MEMCG (whose max the
 *                                       test makes PAGES at most, with no swap) and writes
 *                                       every page of P and three quarters of Q's; then
 *                                       touches a third region, R, of PAGES / 2 in
 *                                       KILL_MEMCG on the same connection: the memcg's OOM
 *                                       kill takes Q ("touched R" once answered). It waits
 *                                       (bounded) for the library to end Q ("lost Q": its
 *                                       range PROT_NONE), checks P through the mapping
 *                                       ("kept P PAGES pages") and the connection ("connection
 *                                       goes on": Read of P, Q gone), then reads Q: SIGSEGV
 *                                       ("read Q V" if it returned); "regions P Q R" first.
 *                                       With "unmap" last it unmaps Q instead ("unmapped
 *                                       Q": the daemon forgets a lost mapping while the
 *                                       connection lives) and then P, and ends. If the touch
 *                                       fails (the connection shut down: no loss notices),
 *                                       it says "touch R: ERROR", waits until both P and Q
 *                                       are PROT_NONE ("lost P and Q") and reads Q
 *
 * Exit: 0 when every check held, 1 when one did not (saying which), 77 when this machine or
 * daemon has no userfaultfd (rclc_map -EOPNOTSUPP), 2 for usage, 3 for a connection failure.
 * Every loop is bounded in count or time.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "reclaim-client.h"

#define PAGE	4096u
#define WORDS	(PAGE / sizeof(uint64_t))

static const char *sock;

static struct rclc *connect_or_die(void)
{
	struct rclc *c;
	int r = rclc_open(sock, "map-client", &c);

	if (r < 0) {
		fprintf(stderr, "map-client: cannot connect to %s: %s\n", sock, strerror(-r));
		exit(3);
	}
	return c;
}

static int fail(struct rclc *c, const char *what, int r)
{
	fprintf(stderr, "map-client: %s: %s (%s)\n", what, strerror(-r),
		c ? rclc_last_error(c) : "");
	return r == -EOPNOTSUPP ? 77 : 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t pattern(uint64_t page, uint64_t round, uint64_t word)
{
	return (page << 40) ^ (round << 24) ^ (word * 0x9e3779b97f4a7c15ULL);
}

/* ---- stress ---------------------------------------------------------------------------- */

struct stress {
	volatile uint64_t *base;
	uint64_t pages;
	unsigned int threads, rounds;
	atomic_ulong checked;
	atomic_int bad;
};

struct stress_arg {
	struct stress *s;
	unsigned int t;
};

static void *stress_thread(void *a)
{
	struct stress_arg *arg = a;
	struct stress *s = arg->s;
	unsigned int r;
	uint64_t p, w;

	for (r = 0; r < s->rounds && !atomic_load(&s->bad); r++) {
		for (p = arg->t; p < s->pages; p += s->threads) {
			volatile uint64_t *pg = s->base + p * WORDS;

			for (w = 0; r && w < WORDS; w++) {
				if (pg[w] != pattern(p, r - 1, w)) {
					fprintf(stderr, "map-client: page %" PRIu64 " word %" PRIu64
						" round %u: %#" PRIx64 ", not %#" PRIx64 "\n", p, w,
						r, pg[w], pattern(p, r - 1, w));
					atomic_store(&s->bad, 1);
					return NULL;
				}
			}
			if (r)
				atomic_fetch_add(&s->checked, 1);
			for (w = 0; w < WORDS; w++)
				pg[w] = pattern(p, r, w);
		}
	}
	return NULL;
}

static int cmd_stress(struct rclc *c, const char *memcg, uint64_t pages, unsigned int threads,
		      unsigned int rounds)
{
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON, .memcg = memcg };
	struct stress s = { .pages = pages, .threads = threads, .rounds = rounds };
	struct stress_arg args[64];
	pthread_t tid[64];
	uint64_t id;
	size_t bytes;
	void *addr;
	unsigned int t;
	int r;

	if (threads == 0 || threads > 64 || rounds < 2)
		return 2;
	r = rclc_alloc(c, pages * PAGE, &opts, &id, NULL);
	if (r < 0)
		return fail(c, "alloc", r);
	r = rclc_map(c, id, &addr, &bytes);
	if (r < 0)
		return fail(c, "map", r);
	s.base = addr;
	for (t = 0; t < threads; t++) {
		args[t] = (struct stress_arg){ .s = &s, .t = t };
		pthread_create(&tid[t], NULL, stress_thread, &args[t]);
	}
	for (t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	printf("checked %lu pages in %u rounds\n", (unsigned long)atomic_load(&s.checked),
	       rounds);
	if (atomic_load(&s.bad))
		return 1;
	/* Every page read back (all but the first round) and every one still right. */
	if (atomic_load(&s.checked) != pages * (rounds - 1)) {
		fprintf(stderr, "map-client: checked %lu pages, not %" PRIu64 "\n",
			(unsigned long)atomic_load(&s.checked), pages * (rounds - 1));
		return 1;
	}
	r = rclc_unmap(c, id);
	return r < 0 ? fail(c, "unmap", r) : 0;
}

/* ---- race ------------------------------------------------------------------------------ */

struct race {
	volatile uint64_t *base;
	uint64_t pages;
	double until;
	atomic_int stop;
	atomic_ulong pageouts;	/* pages the evictor's PAGEOUTs acted on */
	atomic_ulong calls;
	uint64_t id;
	int err;
};

static void *evictor(void *a)
{
	struct race *rc = a;
	struct rclc *c = connect_or_die();
	struct rclc_range range = { .region_id = rc->id };

	while (!atomic_load(&rc->stop) && now() < rc->until) {
		uint64_t n = 0;
		int r = rclc_madvise(c, &range, RCLC_MADV_PAGEOUT, &n);

		if (r < 0) {
			fprintf(stderr, "map-client: pageout: %s\n", rclc_last_error(c));
			rc->err = r;
			break;
		}
		atomic_fetch_add(&rc->pageouts, n);
		atomic_fetch_add(&rc->calls, 1);
	}
	rclc_close(c);
	return NULL;
}

static int cmd_race(struct rclc *c, uint64_t pages, double seconds)
{
	struct race rc = { .pages = pages };
	uint64_t seq = 0, p, *buf, *last;
	pthread_t ev;
	size_t bytes;
	void *addr;
	int r, bad = 0;

	r = rclc_alloc(c, pages * PAGE, NULL, &rc.id, NULL);
	if (r < 0)
		return fail(c, "alloc", r);
	r = rclc_map(c, rc.id, &addr, &bytes);
	if (r < 0)
		return fail(c, "map", r);
	rc.base = addr;
	last = calloc(pages, sizeof(*last));
	buf = malloc(PAGE);
	if (!last || !buf)
		return 1;
	rc.until = now() + seconds;
	pthread_create(&ev, NULL, evictor, &rc);
	/*
	 * Each number goes to a word that moves with it and to the page's last word, and is
	 * read back at once: an eviction between the write and the read must not lose it.
	 */
	while (now() < rc.until && !bad) {
		for (p = 0; p < pages && !bad; p++) {
			volatile uint64_t *pg = rc.base + p * WORDS;

			last[p] = ++seq;
			pg[seq % (WORDS - 1)] = seq;
			pg[WORDS - 1] = seq;
			if (pg[seq % (WORDS - 1)] != seq || pg[WORDS - 1] != seq) {
				fprintf(stderr, "map-client: page %" PRIu64 ": number %" PRIu64
					" lost right after it was written\n", p, seq);
				bad = 1;
			}
		}
	}
	atomic_store(&rc.stop, 1);
	pthread_join(ev, NULL);
	printf("wrote %" PRIu64 " numbers; %lu pageout calls took %lu pages\n", seq,
	       (unsigned long)atomic_load(&rc.calls), (unsigned long)atomic_load(&rc.pageouts));
	if (bad || rc.err)
		return 1;
	r = rclc_unmap(c, rc.id);
	if (r < 0)
		return fail(c, "unmap", r);
	/* Through the socket now: the bytes taken back are the last ones written. */
	for (p = 0; p < pages && !bad; p++) {
		r = rclc_read(c, rc.id, p * PAGE, buf, PAGE, NULL);
		if (r < 0)
			return fail(c, "read", r);
		if (buf[WORDS - 1] != last[p] || buf[last[p] % (WORDS - 1)] != last[p]) {
			fprintf(stderr, "map-client: page %" PRIu64 " holds %" PRIu64 ", not its "
				"last number %" PRIu64 "\n", p, buf[WORDS - 1], last[p]);
			bad = 1;
		}
	}
	free(buf);
	free(last);
	return bad;
}

/* ---- fork ------------------------------------------------------------------------------ */

static int cmd_fork(struct rclc *c)
{
	struct rclc_range range = { 0 };
	uint64_t id, pages = 64, p, w;
	volatile uint64_t *base;
	size_t bytes;
	void *addr;
	pid_t child;
	int r, status;

	r = rclc_alloc(c, pages * PAGE, NULL, &id, NULL);
	if (r < 0)
		return fail(c, "alloc", r);
	r = rclc_map(c, id, &addr, &bytes);
	if (r < 0)
		return fail(c, "map", r);
	base = addr;
	for (p = 0; p < pages; p++)
		for (w = 0; w < WORDS; w++)
			base[p * WORDS + w] = pattern(p, 1, w);
	/* Half of it evicted: the child must not fault those in (zeros) behind our back. */
	range.region_id = id;
	range.nr_pages = pages / 2;
	r = rclc_madvise(c, &range, RCLC_MADV_PAGEOUT, NULL);
	if (r < 0)
		return fail(c, "pageout", r);
	fflush(NULL);
	child = fork();
	if (child == 0) {
		/* The child reads an evicted page, then a resident one: SIGSEGV at the first. */
		printf("child read %#" PRIx64 "\n", base[0]);
		printf("child read %#" PRIx64 "\n", base[(pages - 1) * WORDS]);
		_exit(0);
	}
	if (child < 0 || waitpid(child, &status, 0) != child)
		return fail(c, "fork", -errno);
	printf("child %s %d\n", WIFSIGNALED(status) ? "killed by signal" : "exited",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	for (p = 0; p < pages; p++)
		for (w = 0; w < WORDS; w++)
			if (base[p * WORDS + w] != pattern(p, 1, w)) {
				fprintf(stderr, "map-client: parent page %" PRIu64 " changed after "
					"the fork\n", p);
				return 1;
			}
	printf("parent intact\n");
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV ? 0 : 1;
}

/* ---- blocked --------------------------------------------------------------------------- */

static int cmd_blocked(struct rclc *c, uint64_t pages, const char *memcg)
{
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON, .memcg = memcg };
	struct rclc_range range = { 0 };
	volatile uint64_t *base;
	char line[16];
	uint64_t id, p;
	size_t bytes;
	void *addr;
	int r;

	r = rclc_alloc(c, pages * PAGE, &opts, &id, NULL);
	if (r < 0)
		return fail(c, "alloc", r);
	r = rclc_map(c, id, &addr, &bytes);
	if (r < 0)
		return fail(c, "map", r);
	base = addr;
	for (p = 0; p < pages; p++)
		base[p * WORDS] = p + 1;
	range.region_id = id;
	r = rclc_madvise(c, &range, RCLC_MADV_PAGEOUT, NULL);
	if (r < 0)
		return fail(c, "pageout", r);
	/* The upper half back in (mapped out again), page 0 left in swap. */
	for (p = pages / 2; p < pages; p++)
		if (base[p * WORDS] != p + 1)
			return 1;
	printf("ready region %" PRIu64 " pid %d\n", id, (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	/* The daemon is stopped now: this blocks on the fault until it is killed. */
	printf("read %" PRIu64 "\n", base[0]);
	return base[0] == 1 ? 0 : 1;
}

/* ---- hotcold -------------------------------------------------------------------------- */

/* Check page P of a mapped region against its last round (if any), then write round R. */
static int touch_page(volatile uint64_t *base, uint64_t p, uint64_t last, uint64_t r)
{
	volatile uint64_t *pg = base + p * WORDS;
	uint64_t w;

	for (w = 0; last && w < WORDS; w += 64)
		if (pg[w] != pattern(p, last, w)) {
			fprintf(stderr, "map-client: page %" PRIu64 " word %" PRIu64 ": %#" PRIx64
				", not round %" PRIu64 "'s\n", p, w, pg[w], last);
			return 1;
		}
	for (w = 0; w < WORDS; w += 64)
		pg[w] = pattern(p, r, w);
	return 0;
}

static int cmd_hotcold(struct rclc *c, const char *hot_memcg, const char *cold_memcg,
		       uint64_t hot, uint64_t cold, uint64_t step, uint64_t rounds)
{
	struct rclc_alloc_opts ho = { .kind = RCLC_REGION_ANON, .memcg = hot_memcg };
	struct rclc_alloc_opts co = { .kind = RCLC_REGION_ANON, .memcg = cold_memcg };
	volatile uint64_t *hb, *cb;
	uint64_t hid, cid, r, i, *cold_last;
	size_t bytes;
	void *addr;
	int ret;

	if (!hot || !cold || !step || step > cold || !rounds)
		return 2;
	ret = rclc_alloc(c, hot * PAGE, &ho, &hid, NULL);
	if (ret >= 0)
		ret = rclc_alloc(c, cold * PAGE, &co, &cid, NULL);
	if (ret < 0)
		return fail(c, "alloc", ret);
	ret = rclc_map(c, hid, &addr, &bytes);
	if (ret < 0)
		return fail(c, "map", ret);
	hb = addr;
	ret = rclc_map(c, cid, &addr, &bytes);
	if (ret < 0)
		return fail(c, "map", ret);
	cb = addr;
	cold_last = calloc(cold, sizeof(*cold_last));
	if (!cold_last)
		return 1;
	for (r = 1; r <= rounds; r++) {
		for (i = 0; i < hot; i++)
			if (touch_page(hb, i, r - 1, r))
				return 1;
		for (i = 0; i < step; i++) {
			uint64_t p = ((r - 1) * step + i) % cold;

			if (touch_page(cb, p, cold_last[p], r))
				return 1;
			cold_last[p] = r;
		}
	}
	free(cold_last);
	printf("hotcold rounds %" PRIu64 "\n", rounds);
	ret = rclc_unmap(c, hid);
	if (ret >= 0)
		ret = rclc_unmap(c, cid);
	return ret < 0 ? fail(c, "unmap", ret) : 0;
}

/* ---- sockio ---------------------------------------------------------------------------- */

struct sockio {
	volatile uint64_t *base;
	uint64_t id, pages, round;
	struct rclc *c;		/* the Write and Read connection */
	int err;
};

static void *sockio_mapped_half(void *a)
{
	struct sockio *s = a;
	uint64_t p, w;

	for (p = 0; p < s->pages; p++)
		for (w = 0; w < WORDS / 2; w++)
			s->base[p * WORDS + w] = pattern(p, s->round, w);
	return NULL;
}

static void *sockio_socket_half(void *a)
{
	struct sockio *s = a;
	uint64_t half[WORDS / 2], p, w;

	for (p = 0; p < s->pages && !s->err; p++) {
		for (w = 0; w < WORDS / 2; w++)
			half[w] = pattern(p, s->round, WORDS / 2 + w);
		s->err = rclc_write(s->c, s->id, p * PAGE + PAGE / 2, half, sizeof(half));
	}
	return NULL;
}

/* Every byte of the region as round R left it, through the mapping and through Read. */
static int sockio_check(struct sockio *s, uint64_t r, bool mapped)
{
	uint64_t buf[WORDS], p, w;
	int ret;

	for (p = 0; p < s->pages; p++) {
		ret = rclc_read(s->c, s->id, p * PAGE, buf, PAGE, NULL);
		if (ret < 0)
			return fail(s->c, "read", ret);
		for (w = 0; w < WORDS; w++) {
			uint64_t want = pattern(p, r, w);

			if (buf[w] != want || (mapped && s->base[p * WORDS + w] != want)) {
				fprintf(stderr, "map-client: round %" PRIu64 " page %" PRIu64 " word %"
					PRIu64 ": Read %#" PRIx64 ", mapping %#" PRIx64 ", not %#"
					PRIx64 "\n", r, p, w, buf[w],
					mapped ? s->base[p * WORDS + w] : 0, want);
				return 1;
			}
		}
	}
	return 0;
}

static int cmd_sockio(struct rclc *c, const char *memcg, uint64_t pages, uint64_t rounds)
{
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON, .memcg = memcg };
	struct sockio s = { .pages = pages };
	struct race ev = { 0 };
	pthread_t a, b, e;
	size_t bytes;
	void *addr;
	int r, bad = 0;

	r = rclc_alloc(c, pages * PAGE, &opts, &s.id, NULL);
	if (r < 0)
		return fail(c, "alloc", r);
	r = rclc_map(c, s.id, &addr, &bytes);
	if (r < 0)
		return fail(c, "map", r);
	s.base = addr;
	s.c = connect_or_die();
	ev.id = s.id;
	ev.until = now() + 300;		/* bounded; stopped when the rounds are done */
	pthread_create(&e, NULL, evictor, &ev);
	for (s.round = 1; s.round <= rounds && !bad; s.round++) {
		pthread_create(&a, NULL, sockio_mapped_half, &s);
		pthread_create(&b, NULL, sockio_socket_half, &s);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		if (s.err < 0)
			bad = fail(s.c, "write", s.err);
		else
			bad = sockio_check(&s, s.round, true);
	}
	atomic_store(&ev.stop, 1);
	pthread_join(e, NULL);
	if (bad || ev.err)
		return 1;
	printf("sockio checked %" PRIu64 " pages in %" PRIu64 " rounds; %lu pageout calls took "
	       "%lu pages\n", pages, rounds, (unsigned long)atomic_load(&ev.calls),
	       (unsigned long)atomic_load(&ev.pageouts));
	r = rclc_unmap(c, s.id);
	if (r < 0)
		return fail(c, "unmap", r);
	/* Unmapped: the region's own bytes are the last round's. */
	bad = sockio_check(&s, rounds, false);
	rclc_close(s.c);
	return bad;
}

/* ---- hold, map ------------------------------------------------------------------------- */

static int cmd_hold(struct rclc *c)
{
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON };
	char line[16];
	uint64_t id;
	int r = rclc_alloc(c, 16 * PAGE, &opts, &id, NULL);

	if (r < 0)
		return fail(c, "alloc", r);
	printf("region %" PRIu64 "\n", id);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}

static int cmd_map(struct rclc *c, uint64_t id)
{
	size_t bytes;
	void *addr;
	int r = rclc_map(c, id, &addr, &bytes);

	if (r < 0) {
		printf("refused code=%s message=%s\n", rclc_code_str(rclc_last_code(c)),
		       rclc_last_error(c));
		return r == -EOPNOTSUPP ? 77 : 1;
	}
	printf("mapped %zu bytes\n", bytes);
	return 0;
}

/* ---- mapmany --------------------------------------------------------------------------- */

/* Create a one-page region in *ID and map it: 0, or the refusal printed as "refused WHAT". */
static int map_new(struct rclc *c, uint64_t *id, const char *what)
{
	size_t bytes;
	void *addr;
	int r = rclc_alloc(c, PAGE, NULL, id, NULL);

	if (r >= 0)
		r = rclc_map(c, *id, &addr, &bytes);
	if (r < 0)
		printf("refused %s code=%s message=%s\n", what, rclc_code_str(rclc_last_code(c)),
		       rclc_last_error(c));
	return r;
}

static int cmd_mapmany(struct rclc *c, unsigned int n)
{
	uint64_t ids[64];
	unsigned int i, mapped = 0;
	char what[16], line[16];
	int r;

	if (!n || n >= 64)
		return 2;
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "%u", i + 1);
		r = map_new(c, &ids[i], what);
		if (r == -EOPNOTSUPP)
			return 77;
		if (r < 0)
			break;
		printf("mapped %u\n", i + 1);
		mapped++;
	}
	if (mapped) {
		r = rclc_unmap(c, ids[0]);
		if (r >= 0)
			r = rclc_free(c, ids[0]);
		if (r < 0)
			return fail(c, "unmap", r);
		printf("unmapped\n");
		mapped--;
		if (map_new(c, &ids[0], "again") >= 0) {
			printf("mapped again\n");
			mapped++;
		}
	}
	printf("holding mapped=%u pid=%d\n", mapped, (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}

/* ---- touch ------------------------------------------------------------------------------ */

static int cmd_touch(struct rclc *c, uint64_t pages)
{
	volatile uint64_t *base;
	uint64_t id, p;
	size_t bytes;
	void *addr;
	int r;

	if (!pages)
		return 2;
	r = rclc_alloc(c, pages * PAGE, NULL, &id, NULL);
	if (r < 0)
		return fail(c, "alloc", r);
	r = rclc_map(c, id, &addr, &bytes);
	if (r < 0)
		return fail(c, "map", r);
	base = addr;
	for (p = 0; p < pages; p++)
		base[p * WORDS] = pattern(p, 1, 0);
	for (p = 0; p < pages; p++) {
		if (base[p * WORDS] != pattern(p, 1, 0)) {
			fprintf(stderr, "map-client: page %" PRIu64 " lost its write\n", p);
			return 1;
		}
	}
	printf("touched %" PRIu64 "\n", pages);
	r = rclc_unmap(c, id);
	return r < 0 ? fail(c, "unmap", r) : 0;
}

/* ---- store ----------------------------------------------------------------------------- */

static int cmd_store(struct rclc *c, uint64_t id)
{
	volatile uint64_t *base;
	size_t bytes, p;
	void *addr;
	int r = rclc_map(c, id, &addr, &bytes);

	if (r < 0)
		return fail(c, "map", r);
	/* Said before the stores: a store the daemon does not answer must not hide it. */
	printf("mapped %zu\n", bytes);
	fflush(stdout);
	base = addr;
	for (p = 0; p < bytes / PAGE; p++)
		base[p * WORDS] = pattern(p, 1, 0);
	printf("stored %zu\n", bytes / PAGE);
	return 0;
}

/* ---- freemapped ------------------------------------------------------------------------ */

/* Say how rclc_free of ID went, as "free WHAT: ok" or "free WHAT: code=C message=M". */
static void free_said(struct rclc *c, uint64_t id, const char *what)
{
	if (rclc_free(c, id) < 0)
		printf("free %s: code=%s message=%s\n", what, rclc_code_str(rclc_last_code(c)),
		       rclc_last_error(c));
	else
		printf("free %s: ok\n", what);
	fflush(stdout);
}

/* Whether region ID's first byte is WANT, read through C. */
static bool holds(struct rclc *c, uint64_t id, char want)
{
	char got = 0;

	return rclc_read(c, id, 0, &got, 1, NULL) >= 0 && got == want;
}

static int cmd_freemapped(struct rclc *c)
{
	struct rclc_alloc_opts keep = { .kind = RCLC_REGION_ANON, .persistent = true };
	volatile char *pa, *qa;
	struct rclc *c2 = connect_or_die();
	uint64_t n, p, q;
	size_t bytes;
	void *addr;
	int r;

	r = rclc_alloc(c, 16 * PAGE, NULL, &n, NULL);
	if (r >= 0)
		r = rclc_write(c, n, 0, "N", 1);
	if (r >= 0)
		r = rclc_alloc(c, 16 * PAGE, &keep, &p, NULL);
	if (r >= 0)
		r = rclc_alloc(c, 16 * PAGE, &keep, &q, NULL);
	if (r < 0)
		return fail(c, "alloc", r);
	r = rclc_map(c, p, &addr, &bytes);
	if (r < 0)
		return fail(c, "map P", r);
	pa = addr;
	r = rclc_map(c, q, &addr, &bytes);
	if (r < 0)
		return fail(c, "map Q", r);
	qa = addr;
	pa[0] = 'P';
	qa[0] = 'Q';
	free_said(c2, p, "P");
	free_said(c, q, "Q");
	/* A mapping the daemon dropped kills us here with SIGSEGV: the lines above are out. */
	if (pa[0] == 'P' && qa[0] == 'Q' && holds(c, n, 'N') && holds(c2, n, 'N') &&
	    holds(c2, p, 'P') && holds(c2, q, 'Q'))
		printf("kept N P Q\n");
	fflush(stdout);
	r = rclc_unmap(c, p);
	if (r < 0)
		return fail(c, "unmap P", r);
	if (rclc_free(c2, p) >= 0)
		printf("freed P after unmap\n");
	r = rclc_unmap(c, q);
	if (r < 0)
		return fail(c, "unmap Q", r);
	if (rclc_free(c, q) >= 0)
		printf("freed Q after unmap\n");
	rclc_close(c2);
	return 0;
}

/* ---- oomkill -------------------------------------------------------------------------- */

#define LOST_WAIT_MS	30000	/* how long the library may take to end an OOM-killed mapping */

/* The permissions /proc/self/maps gives the mapping at ADDR ("rw-s"), or "" if none. */
static void perms_at(const void *addr, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[512];

	perms[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo <= a && a < hi)
			break;
		else
			perms[0] = '\0';
	if (f)
		fclose(f);
}

/* Wait (at most LOST_WAIT_MS) until the library made the mapping at ADDR PROT_NONE. */
static bool wait_prot_none(const void *addr)
{
	const struct timespec ms = { .tv_nsec = 1000000 };
	char perms[5];
	int i;

	for (i = 0; i < LOST_WAIT_MS; i++) {
		perms_at(addr, perms);
		if (!strncmp(perms, "---", 3))
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

static int map_new_in(struct rclc *c, const char *memcg, uint64_t pages, uint64_t *ret_id,
		      volatile uint64_t **ret_base)
{
	struct rclc_alloc_opts opts = { .kind = RCLC_REGION_ANON, .memcg = memcg };
	size_t bytes;
	void *addr;
	int r = rclc_alloc(c, pages * PAGE, &opts, ret_id, NULL);

	if (r >= 0 && ret_base)
		r = rclc_map(c, *ret_id, &addr, &bytes);
	if (r >= 0 && ret_base)
		*ret_base = addr;
	return r;
}

/* Region P's pages, through the mapping and page 0 through a Read on the connection. */
static bool kept(struct rclc *c, uint64_t p, volatile uint64_t *pa, uint64_t pages)
{
	uint64_t i, word = 0;

	for (i = 0; i < pages; i++)
		if (pa[i * WORDS] != pattern(i, 1, 0))
			return false;
	return rclc_read(c, p, 0, &word, sizeof(word), NULL) >= 0 && word == pattern(0, 1, 0);
}

/*
 * The touch that OOM-killed Q failed: the daemon shut the whole connection down (a library
 * that takes no loss notices). Every mapping of it is lost then: once the library made both
 * PROT_NONE ("lost P and Q"), a read of Q gets SIGSEGV ("read Q V" if it returned).
 */
static int oomkill_cut_off(struct rclc *c, int r, volatile uint64_t *pa, volatile uint64_t *qa)
{
	printf("touch R: %s\n", strerror(-r));
	fflush(stdout);
	if (!wait_prot_none((const void *)qa) || !wait_prot_none((const void *)pa))
		return fail(c, "the mappings of a connection shut down are not ended", -ETIMEDOUT);
	printf("lost P and Q\n");
	fflush(stdout);
	printf("read Q %" PRIu64 "\n", qa[0]);
	return 1;
}

static int cmd_oomkill(struct rclc *c, const char *keep, const char *kill, uint64_t pages,
		       bool unmap)
{
	struct rclc_range range = { .first_page = 0 };
	struct rclc_region_info info;
	volatile uint64_t *pa, *qa;
	uint64_t p, q, r_id, i;
	char perms[5];
	int r;

	if (pages < 4)
		return 2;
	r = map_new_in(c, keep, pages, &p, &pa);
	if (r >= 0)
		r = map_new_in(c, kill, pages, &q, &qa);
	if (r >= 0)
		r = map_new_in(c, kill, pages / 2, &r_id, NULL);
	if (r < 0)
		return fail(c, "alloc and map", r);
	printf("regions %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", p, q, r_id);
	fflush(stdout);
	for (i = 0; i < pages; i++)
		pa[i * WORDS] = pattern(i, 1, 0);
	for (i = 0; i < pages / 4 * 3; i++)
		qa[i * WORDS] = pattern(i, 1, 0);
	/* R's pages do not fit beside Q's: the memcg's OOM kill frees Q, the largest. */
	range.region_id = r_id;
	r = rclc_touch(c, &range, true, NULL);
	if (r < 0)
		return oomkill_cut_off(c, r, pa, qa);
	printf("touched R\n");
	fflush(stdout);
	if (!wait_prot_none((const void *)qa))
		return fail(c, "the killed mapping Q is not ended", -ETIMEDOUT);
	printf("lost Q\n");
	fflush(stdout);
	perms_at((const void *)pa, perms);
	if (strncmp(perms, "rw", 2) || !kept(c, p, pa, pages))
		return fail(c, "mapping P or its connection", -EIO);
	printf("kept P %" PRIu64 " pages\n", pages);
	r = rclc_region_info(c, q, &info);
	if (r != -ENOENT)
		return fail(c, "region info of the killed Q", r < 0 ? r : -EEXIST);
	printf("connection goes on\n");
	fflush(stdout);
	if (unmap) {
		r = rclc_unmap(c, q);
		if (r < 0)
			return fail(c, "unmap the lost Q", r);
		printf("unmapped Q\n");
		r = rclc_unmap(c, p);
		return r < 0 ? fail(c, "unmap P", r) : 0;
	}
	/* Never returns: the library's handler says why, and SIGSEGV ends us. */
	printf("read Q %" PRIu64 "\n", qa[0]);
	return 1;
}

int main(int argc, char **argv)
{
	struct rclc *c;
	int argi = 1, r = 2;
	const char *mode;

	if (argc > 3 && !strcmp(argv[1], "--uid")) {
		uid_t uid = (uid_t)atoi(argv[2]);

		if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0) {
			perror("map-client: dropping privileges");
			return 2;
		}
		argi = 3;
	}
	if (argc - argi < 2) {
		fprintf(stderr, "usage: map-client [--uid UID] SOCKET MODE [ARG]...\n");
		return 2;
	}
	sock = argv[argi];
	mode = argv[argi + 1];
	argi += 2;
	c = connect_or_die();
	if (!strcmp(mode, "stress") && argc - argi == 4)
		r = cmd_stress(c, argv[argi], strtoull(argv[argi + 1], NULL, 10),
			       (unsigned int)atoi(argv[argi + 2]), (unsigned int)atoi(argv[argi + 3]));
	else if (!strcmp(mode, "race") && argc - argi == 2)
		r = cmd_race(c, strtoull(argv[argi], NULL, 10), atof(argv[argi + 1]));
	else if (!strcmp(mode, "fork") && argc - argi == 0)
		r = cmd_fork(c);
	else if (!strcmp(mode, "blocked") && (argc - argi == 1 || argc - argi == 2))
		r = cmd_blocked(c, strtoull(argv[argi], NULL, 10),
				argc - argi == 2 ? argv[argi + 1] : NULL);
	else if (!strcmp(mode, "hotcold") && argc - argi == 6)
		r = cmd_hotcold(c, argv[argi], argv[argi + 1], strtoull(argv[argi + 2], NULL, 10),
				strtoull(argv[argi + 3], NULL, 10), strtoull(argv[argi + 4], NULL, 10),
				strtoull(argv[argi + 5], NULL, 10));
	else if (!strcmp(mode, "sockio") && argc - argi == 3)
		r = cmd_sockio(c, argv[argi], strtoull(argv[argi + 1], NULL, 10),
			       strtoull(argv[argi + 2], NULL, 10));
	else if (!strcmp(mode, "hold") && argc - argi == 0)
		r = cmd_hold(c);
	else if (!strcmp(mode, "map") && argc - argi == 1)
		r = cmd_map(c, strtoull(argv[argi], NULL, 10));
	else if (!strcmp(mode, "mapmany") && argc - argi == 1)
		r = cmd_mapmany(c, (unsigned int)atoi(argv[argi]));
	else if (!strcmp(mode, "touch") && argc - argi == 1)
		r = cmd_touch(c, strtoull(argv[argi], NULL, 10));
	else if (!strcmp(mode, "store") && argc - argi == 1)
		r = cmd_store(c, strtoull(argv[argi], NULL, 10));
	else if (!strcmp(mode, "freemapped") && argc - argi == 0)
		r = cmd_freemapped(c);
	else if (!strcmp(mode, "oomkill") && (argc - argi == 3 ||
					      (argc - argi == 4 && !strcmp(argv[argi + 3], "unmap"))))
		r = cmd_oomkill(c, argv[argi], argv[argi + 1], strtoull(argv[argi + 2], NULL, 10),
				argc - argi == 4);
	else
		fprintf(stderr, "map-client: unknown mode or arguments\n");
	fflush(NULL);
	rclc_close(c);
	return r;
}
