/*
 * check_client - libreclaim-client's typed calls against a real reclaimd: every call, its
 * answers in plain C structs, and its errors: not found, refused (PERMISSION_DENIED as uid
 * 65534), and the daemon gone while requests are in flight (-ECONNRESET/-EPIPE, no hang).
 * Only the public header is used, as an outside program would; the fake server at the end
 * frames its answers with the generated protobuf-c code.
 *
 * The daemon is $RECLAIMD (else ./daemon/reclaimd), started per test case with a 16 MiB arena
 * in a fresh directory and ready when READY=1 arrives on a NOTIFY_SOCKET of the test's.
 */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check-main.h"
#include "reclaim-client.h"
#include "reclaim-client-pb.h"
#include "wire-frame.h"

#define PG		4096u
#define WAIT_MS		30000	/* the bound of every wait for the daemon */

static char dir[PATH_MAX];
static char sock[PATH_MAX + 16];
static pid_t daemon_pid = -1;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A fresh directory PREFIX-XXXXXX under $TMPDIR (else /tmp), its path into @out. */
static void make_tmpdir(char *out, size_t len, const char *prefix)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(out, len, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
	ck_assert_ptr_nonnull(mkdtemp(out));
}

/* A Unix socket of @type bound at @in/@name, its address in *@sa. */
static int bind_unix(const char *in, const char *name, int type, struct sockaddr_un *sa)
{
	int fd;

	size_t n = strlen(in);

	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	ck_assert_uint_lt(n + 1 + strlen(name), sizeof(sa->sun_path));
	memcpy(sa->sun_path, in, n);
	sa->sun_path[n] = '/';
	memcpy(sa->sun_path + n + 1, name, strlen(name) + 1);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	return fd;
}

/* Start reclaimd in a fresh directory everybody may enter (uid 65534 connects too). */
static void daemon_start(void)
{
	const char *daemon = getenv("RECLAIMD") ? getenv("RECLAIMD") : "./daemon/reclaimd";
	struct sockaddr_un sa;
	char buf[512], data[PATH_MAX + 16];
	int64_t deadline = now_ms() + WAIT_MS;
	int fd;

	make_tmpdir(dir, sizeof(dir), "rclc");
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	ck_assert_int_eq(mkdir(data, 0755), 0);
	fd = bind_unix(dir, "notify", SOCK_DGRAM, &sa);
	daemon_pid = fork();
	ck_assert_int_ge(daemon_pid, 0);
	if (daemon_pid == 0) {
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(daemon, daemon, "--arena", "16M", "--swap", "64M", "--workers", "2",
		      "--state-dir", dir, "--data-dir", data, "--socket", sock,
		      "--socket-mode", "0666", "--log-level", "warning", (char *)NULL);
		_exit(127);
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)(deadline - now_ms());
		ssize_t n;

		ck_assert_msg(left > 0 && poll(&pfd, 1, left) == 1, "%s never said READY=1",
			      daemon);
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, "READY=1"))
				break;
		}
	}
	close(fd);
}

/* Wait (bounded) for the daemon to exit; kill it at the bound. Its exit status, or -1. */
static int daemon_reap(void)
{
	int64_t deadline = now_ms() + WAIT_MS;
	int status;

	while (now_ms() < deadline) {
		pid_t r = waitpid(daemon_pid, &status, WNOHANG);

		if (r == daemon_pid) {
			daemon_pid = -1;
			return status;
		}
		poll(NULL, 0, 10);
	}
	kill(daemon_pid, SIGKILL);
	waitpid(daemon_pid, &status, 0);
	daemon_pid = -1;
	return -1;
}

static void daemon_stop(void)
{
	char cmd[PATH_MAX + 16];

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGCONT);
		kill(daemon_pid, SIGTERM);
		daemon_reap();
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_client: could not remove %s\n", dir);
}

static struct rclc *open_client(void)
{
	struct rclc *c = NULL;

	ck_assert_int_eq(rclc_open(sock, "check_client", &c), 0);
	return c;
}

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 12));
}

/* ---- connection ------------------------------------------------------------------------- */

START_TEST(test_hello_info)
{
	struct rclc_hello_info h;
	struct rclc *c;

	ck_assert_int_eq(rclc_connect(sock, &c), 0);
	ck_assert_int_eq(rclc_hello_info(c, &h), -ENOTCONN);
	ck_assert_int_eq(rclc_hello(c, "check_client"), 0);
	ck_assert_int_eq(rclc_hello_info(c, &h), 0);
	ck_assert_uint_eq(h.protocol_version, RCLC_PROTOCOL_VERSION);
	ck_assert_uint_eq(h.page_size, PG);
	ck_assert_uint_eq(h.arena_bytes, 16u << 20);
	ck_assert_uint_eq(h.uid, geteuid());
	ck_assert(h.admin == (geteuid() == 0));
	ck_assert_uint_gt(strlen(h.server_version), 0);
	ck_assert_str_eq(h.reclaim_policy, "two-list");	/* the daemon's default */
	rclc_close(c);
	ck_assert_int_eq(rclc_connect("/nonexistent/reclaimd.sock", &c), -ENOENT);
}
END_TEST

/* ---- regions ----------------------------------------------------------------------------- */

START_TEST(test_region_calls)
{
	static unsigned char out[16 * PG], in[16 * PG];
	struct rclc_range all = { .nr_pages = 0 };
	struct rclc_touch_result t;
	struct rclc_region_info ri;
	struct rclc *c = open_client();
	uint64_t id, pages, n;
	size_t got;

	ck_assert_int_eq(rclc_alloc(c, 16 * PG - 100, NULL, &id, &pages), 0);
	ck_assert_uint_eq(pages, 16);
	all.region_id = id;
	fill(out, sizeof(out), 1);
	ck_assert_int_eq(rclc_write(c, id, 0, out, sizeof(out)), 0);
	ck_assert_int_eq(rclc_read(c, id, 0, in, sizeof(in), &got), 0);
	ck_assert_uint_eq(got, sizeof(in));
	ck_assert_mem_eq(in, out, sizeof(in));

	ck_assert_int_eq(rclc_touch(c, &all, false, &t), 0);
	ck_assert_uint_eq(t.pages, 16);
	ck_assert_int_eq(rclc_mlock(c, &all, &n), 0);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(rclc_region_info(c, id, &ri), 0);
	ck_assert_uint_eq(ri.region_id, id);
	ck_assert_uint_eq(ri.pages, 16);
	ck_assert_uint_eq(ri.locked_pages, 16);
	ck_assert_uint_eq(ri.owner_uid, geteuid());
	ck_assert_int_eq(rclc_munlock(c, &all, &n), 0);
	ck_assert_uint_eq(n, 16);

	/* Swapped out and back: the same bytes (from the swap cache or the swap file). */
	ck_assert_int_eq(rclc_madvise(c, &all, RCLC_MADV_PAGEOUT, &n), 0);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(rclc_region_info(c, id, &ri), 0);
	ck_assert_uint_gt(ri.swapped_pages, 0);
	ck_assert_int_eq(rclc_touch(c, &all, false, &t), 0);
	ck_assert_uint_eq(t.pages, 16);
	memset(in, 0, sizeof(in));
	ck_assert_int_eq(rclc_read(c, id, 0, in, sizeof(in), NULL), 0);
	ck_assert_mem_eq(in, out, sizeof(in));

	ck_assert_int_eq(rclc_free(c, id), 0);
	/* Not found: the errno, the server's code and its message. */
	ck_assert_int_eq(rclc_read(c, id, 0, in, PG, NULL), -ENOENT);
	ck_assert_int_eq(rclc_last_code(c), RCLC_CODE_NOT_FOUND);
	ck_assert_str_eq(rclc_code_str(rclc_last_code(c)), "NOT_FOUND");
	ck_assert_uint_gt(strlen(rclc_last_error(c)), 0);
	ck_assert_int_eq(rclc_free(c, id), -ENOENT);
	ck_assert_int_eq(rclc_touch(c, &all, true, NULL), -ENOENT);
	/* A bad argument is the server's too, and the connection goes on. */
	ck_assert_int_eq(rclc_alloc(c, 0, NULL, &id, NULL), -EINVAL);
	ck_assert_int_eq(rclc_last_code(c), RCLC_CODE_INVALID_ARGUMENT);
	ck_assert_int_eq(rclc_alloc(c, PG, NULL, &id, NULL), 0);
	rclc_close(c);
}
END_TEST

/* ---- vectored requests ------------------------------------------------------------------- */

#define VEC_REGION	4096u	/* pages: the whole 16 MiB arena, so reclaim is real */
#define VEC_PAGES	1000u	/* scattered pages moved by one vectored request */

static unsigned char vec_out[VEC_PAGES][PG], vec_in[VEC_PAGES][PG], vec_one[VEC_PAGES][PG];

/* The I-th scattered page: a permutation of 1000 of the region's pages, not in order. */
static uint64_t vec_page(unsigned int i)
{
	return (uint64_t)i * 2731 % VEC_REGION;	/* 2731 is prime to 4096 */
}

static void vec_iov(struct rclc_iovec *iov, unsigned char (*bufs)[PG])
{
	for (unsigned int i = 0; i < VEC_PAGES; i++)
		iov[i] = (struct rclc_iovec){ .offset = vec_page(i) * PG, .len = PG, .buf = bufs[i] };
}

/*
 * Swap the region out, so that what follows faults its pages back in. PAGEOUT leaves a few
 * (the ones reclaim cannot take at that moment): most must be in swap.
 */
static void vec_pageout(struct rclc *c, uint64_t id)
{
	struct rclc_range all = { .region_id = id };
	struct rclc_region_info ri;

	ck_assert_int_eq(rclc_madvise(c, &all, RCLC_MADV_PAGEOUT, NULL), 0);
	ck_assert_int_eq(rclc_region_info(c, id, &ri), 0);
	ck_assert_uint_ge(ri.swapped_pages, VEC_PAGES * 9 / 10);
}

/* 1000 single reads, one page each, into vec_one. */
static void vec_read_singly(struct rclc *c, uint64_t id)
{
	for (unsigned int i = 0; i < VEC_PAGES; i++)
		ck_assert_int_eq(rclc_read(c, id, vec_page(i) * PG, vec_one[i], PG, NULL), 0);
}

/*
 * One vectored request over 1000 scattered pages moves the same bytes as 1000 single ones,
 * both ways, with the pages swapped out in between so that the fault path serves them.
 */
START_TEST(test_vectored_same_bytes)
{
	static struct rclc_iovec iov[VEC_PAGES];
	static struct rclc_range ranges[VEC_PAGES];
	struct rclc_touch_result t;
	struct rclc *c = open_client();
	uint64_t id, n;
	unsigned int i;

	ck_assert_int_eq(rclc_alloc(c, VEC_REGION * PG, NULL, &id, NULL), 0);
	/* Write vectored, read singly. */
	for (i = 0; i < VEC_PAGES; i++)
		fill(vec_out[i], PG, 7 + i);
	vec_iov(iov, vec_out);
	ck_assert_int_eq(rclc_writev(c, id, iov, VEC_PAGES), 0);
	for (i = 0; i < VEC_PAGES; i++)
		ranges[i] = (struct rclc_range){ .region_id = id, .first_page = vec_page(i),
						 .nr_pages = 1 };
	ck_assert_int_eq(rclc_madvisev(c, ranges, VEC_PAGES, RCLC_MADV_PAGEOUT, &n), 0);
	ck_assert_uint_eq(n, VEC_PAGES);
	vec_pageout(c, id);
	vec_read_singly(c, id);
	for (i = 0; i < VEC_PAGES; i++)
		ck_assert_mem_eq(vec_one[i], vec_out[i], PG);

	/* Write singly, read vectored and singly: the same bytes, both from swap. */
	for (i = 0; i < VEC_PAGES; i++) {
		fill(vec_out[i], PG, 5000 + i);
		ck_assert_int_eq(rclc_write(c, id, vec_page(i) * PG, vec_out[i], PG), 0);
	}
	vec_pageout(c, id);
	vec_iov(iov, vec_in);
	memset(vec_in, 0, sizeof(vec_in));
	ck_assert_int_eq(rclc_readv(c, id, iov, VEC_PAGES, &n), 0);
	ck_assert_uint_eq(n, (uint64_t)VEC_PAGES * PG);
	vec_pageout(c, id);
	vec_read_singly(c, id);
	for (i = 0; i < VEC_PAGES; i++) {
		ck_assert_mem_eq(vec_in[i], vec_out[i], PG);
		ck_assert_mem_eq(vec_one[i], vec_out[i], PG);
	}

	/* A vectored touch faults the scattered pages back in, counted over every range. */
	vec_pageout(c, id);
	ck_assert_int_eq(rclc_touchv(c, ranges, VEC_PAGES, false, &t), 0);
	ck_assert_uint_eq(t.pages, VEC_PAGES);
	ck_assert_uint_eq(t.minor_faults + t.major_faults, VEC_PAGES);
	ck_assert_uint_gt(t.major_faults, 0);
	rclc_close(c);
}
END_TEST

/* Vectored calls pipelined: in flight together, completed in order, buffers filled then. */
START_TEST(test_vectored_pipelined)
{
	static struct rclc_iovec wv[4][64], rv[4][64];
	static unsigned char out[4][64][PG], in[4][64][PG];
	int status[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	struct rclc *c = open_client();
	unsigned int b, i;
	uint64_t id;

	ck_assert_int_eq(rclc_alloc(c, 1024 * PG, NULL, &id, NULL), 0);
	for (b = 0; b < 4; b++) {
		for (i = 0; i < 64; i++) {
			/* Batch b takes every fourth of 256 pages spread over the region. */
			uint64_t off = (uint64_t)((i * 4 + b) * 4 + 1) * PG;

			fill(out[b][i], PG, b * 64 + i);
			wv[b][i] = (struct rclc_iovec){ .offset = off, .len = PG, .buf = out[b][i] };
			rv[b][i] = (struct rclc_iovec){ .offset = off, .len = PG, .buf = in[b][i] };
		}
		ck_assert_int_eq(rclc_async(c, NULL, &status[b]), 0);
		ck_assert_int_eq(rclc_writev(c, id, wv[b], 64), 0);
	}
	for (b = 0; b < 4; b++) {
		ck_assert_int_eq(rclc_async(c, NULL, &status[4 + b]), 0);
		ck_assert_int_eq(rclc_readv(c, id, rv[b], 64, NULL), 0);
	}
	ck_assert_uint_eq(rclc_in_flight(c), 8);
	while (rclc_reap(c, NULL, NULL) == 0)
		;
	for (b = 0; b < 8; b++)
		ck_assert_int_eq(status[b], 0);
	ck_assert_mem_eq(in, out, sizeof(in));
	rclc_close(c);
}
END_TEST

/* Bad ranges are refused, naming the range, and change nothing. */
START_TEST(test_vectored_refused)
{
	static unsigned char page[4][PG], back[PG], big[VEC_REGION][PG];
	static struct rclc_iovec all[VEC_REGION];
	struct rclc_iovec iov[4];
	struct rclc_range ranges[3];
	struct rclc *c = open_client();
	uint64_t id, other = 0, n;
	unsigned int i;

	ck_assert_int_eq(rclc_alloc(c, 16 * PG, NULL, &id, NULL), 0);
	for (i = 0; i < 4; i++) {
		fill(page[i], PG, 40 + i);
		iov[i] = (struct rclc_iovec){ .offset = (uint64_t)i * 2 * PG, .len = PG,
					      .buf = page[i] };
	}
	ck_assert_int_eq(rclc_writev(c, id, iov, 4), 0);

	/* ranges[3] overlaps ranges[1]: refused, and ranges[0]'s page keeps its bytes. */
	memset(page[0], 0xaa, PG);
	iov[3].offset = 2 * PG + 100;
	ck_assert_int_eq(rclc_writev(c, id, iov, 4), -EINVAL);
	ck_assert_int_eq(rclc_last_code(c), RCLC_CODE_INVALID_ARGUMENT);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "ranges[3] overlaps ranges[1]"));
	ck_assert_int_eq(rclc_read(c, id, 0, back, PG, NULL), 0);
	fill(page[0], PG, 40);
	ck_assert_mem_eq(back, page[0], PG);
	/* ranges[2] runs past the region. */
	iov[3].offset = 6 * PG;
	iov[2].offset = 15 * PG + 1;
	ck_assert_int_eq(rclc_readv(c, id, iov, 4, &n), -EINVAL);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "ranges[2]: offset 61441 length 4096"));
	iov[2].offset = 4 * PG;
	iov[2].len = 0;
	ck_assert_int_eq(rclc_readv(c, id, iov, 4, &n), -EINVAL);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "ranges[2]"));

	/* DONTNEED would zero the pages: a bad last range keeps it from touching the first. */
	ranges[0] = (struct rclc_range){ .region_id = id, .first_page = 0, .nr_pages = 1 };
	ranges[1] = (struct rclc_range){ .region_id = id, .first_page = 2, .nr_pages = 2 };
	ranges[2] = (struct rclc_range){ .region_id = id, .first_page = 16, .nr_pages = 1 };
	ck_assert_int_eq(rclc_madvisev(c, ranges, 3, RCLC_MADV_DONTNEED, &n), -EINVAL);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "ranges[2].first_page 16"));
	ck_assert_int_eq(rclc_read(c, id, 0, back, PG, NULL), 0);
	ck_assert_mem_eq(back, page[0], PG);
	ranges[2] = (struct rclc_range){ .region_id = id, .first_page = 3, .nr_pages = 0 };
	ck_assert_int_eq(rclc_touchv(c, ranges, 3, true, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "ranges[2] overlaps ranges[1]"));
	/* A region that is not there, named by its index. */
	ranges[2] = (struct rclc_range){ .region_id = id + 1000, .first_page = 0 };
	ck_assert_int_eq(rclc_touchv(c, ranges, 3, false, NULL), -ENOENT);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "ranges[2]: no region"));
	/* Two regions in one list are fine; the same pages of two regions do not overlap. */
	ck_assert_int_eq(rclc_alloc(c, 4 * PG, NULL, &other, NULL), 0);
	ranges[2] = (struct rclc_range){ .region_id = other, .first_page = 2, .nr_pages = 2 };
	ck_assert_int_eq(rclc_madvisev(c, ranges, 3, RCLC_MADV_COLD, &n), 0);
	ck_assert_uint_eq(n, 5);

	/* No ranges, too many, and more bytes than a frame holds. */
	ck_assert_int_eq(rclc_readv(c, id, iov, 0, &n), -EINVAL);
	ck_assert_int_eq(rclc_touchv(c, ranges, RCLC_MAX_RANGES + 1, false, NULL), -EINVAL);
	ck_assert_int_eq(rclc_free(c, id), 0);
	ck_assert_int_eq(rclc_alloc(c, VEC_REGION * PG, NULL, &id, NULL), 0);
	for (i = 0; i < VEC_REGION; i++)
		all[i] = (struct rclc_iovec){ .offset = (uint64_t)i * PG, .len = PG, .buf = big[i] };
	ck_assert_int_eq(rclc_readv(c, id, all, VEC_REGION, &n), -EINVAL);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "over the frame limit"));
	/* The connection goes on. */
	ck_assert_int_eq(rclc_readv(c, id, all, 8, &n), 0);
	ck_assert_uint_eq(n, 8 * PG);
	rclc_close(c);
}
END_TEST

/* A shared file region: written through the region, synced, seen by a buffered read. */
START_TEST(test_file_region_msync)
{
	struct rclc_alloc_opts opts = {
		.kind = RCLC_REGION_FILE, .path = "mapped", .shared = true,
		.mode_set = true, .mode = 0640,
	};
	static unsigned char out[4 * PG], in[4 * PG];
	struct rclc *c = open_client();
	struct rclc_range r;
	struct rclc_file_owner fo;
	uint64_t id, written;
	size_t got;

	ck_assert_int_eq(rclc_alloc(c, sizeof(out), &opts, &id, NULL), 0);
	fill(out, sizeof(out), 2);
	ck_assert_int_eq(rclc_write(c, id, 0, out, sizeof(out)), 0);
	r = (struct rclc_range){ .region_id = id };
	ck_assert_int_eq(rclc_msync(c, &r, false, &written), 0);
	ck_assert_uint_eq(written, 4);
	ck_assert_int_eq(rclc_msync(c, &r, false, &written), 0);
	ck_assert_uint_eq(written, 0);
	ck_assert_int_eq(rclc_file_read(c, "mapped", NULL, 0, in, sizeof(in), &got), 0);
	ck_assert_uint_eq(got, sizeof(in));
	ck_assert_mem_eq(in, out, sizeof(in));
	ck_assert_int_eq(rclc_chmod(c, "mapped", 0600, &fo), 0);
	ck_assert_uint_eq(fo.mode, 0600);
	ck_assert_uint_eq(fo.uid, geteuid());
	ck_assert_int_eq(rclc_free(c, id), 0);
	rclc_close(c);
}
END_TEST

/* ---- raw pages --------------------------------------------------------------------------- */

START_TEST(test_raw_pages)
{
	struct rclc *c = open_client();
	uint32_t pfn;

	ck_assert_int_eq(rclc_alloc_pages(c, 2, -1, 0, &pfn), 0);
	ck_assert_uint_eq(pfn % 4, 0);
	ck_assert_int_eq(rclc_free_pages(c, pfn, 2), 0);
	ck_assert_int_lt(rclc_free_pages(c, pfn, 2), 0);
	ck_assert_int_ne(rclc_last_code(c), RCLC_CODE_OK);
	ck_assert_int_eq(rclc_alloc_pages(c, 40, -1, RCLC_GFP_NOWAIT, &pfn), -EINVAL);
	rclc_close(c);
}
END_TEST

/* ---- memcgs ------------------------------------------------------------------------------ */

START_TEST(test_memcg_calls)
{
	struct rclc_memcg_limits l = {
		.set = RCLC_LIMIT_MAX | RCLC_LIMIT_LOW, .max = 8u << 20, .low = 1u << 20,
	};
	struct rclc *c = open_client();
	struct rclc_memcg_info *list;
	struct rclc_memcg_stat st;
	struct rclc_counter *ev;
	size_t n, i, found = 0;

	ck_assert_int_eq(rclc_memcg_create(c, "/t", &l, -1), 0);
	ck_assert_int_eq(rclc_memcg_create(c, "/t", NULL, -1), -EEXIST);
	ck_assert_int_eq(rclc_last_code(c), RCLC_CODE_ALREADY_EXISTS);
	l = (struct rclc_memcg_limits){ .set = RCLC_LIMIT_HIGH, .high = 4u << 20 };
	ck_assert_int_eq(rclc_memcg_set(c, "/t", &l), 0);
	ck_assert_int_eq(rclc_memcg_list(c, NULL, &list, &n), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(list[i].path, "/t"))
			continue;
		found++;
		ck_assert_uint_eq(list[i].max, 8u << 20);	/* kept by set */
		ck_assert_uint_eq(list[i].low, 1u << 20);
		ck_assert_uint_eq(list[i].high, 4u << 20);
	}
	free(list);
	ck_assert_uint_eq(found, 1);

	ck_assert_int_eq(rclc_memcg_stat(c, "/t", &st), 0);
	ck_assert_uint_eq(st.usage_bytes, 0);
	ck_assert_uint_gt(st.nr_stat, 0);
	ck_assert_uint_gt(st.nr_events, 0);
	ck_assert_uint_gt(strlen(st.stat[0].name), 0);
	rclc_memcg_stat_release(&st);
	ck_assert_int_eq(rclc_memcg_events(c, "/t", &ev, &n), 0);
	ck_assert_uint_gt(n, 0);
	for (i = 0, found = 0; i < n; i++)
		found += strcmp(ev[i].name, "oom") == 0;
	free(ev);
	ck_assert_uint_eq(found, 1);

	ck_assert_int_eq(rclc_memcg_delete(c, "/t"), 0);
	ck_assert_int_eq(rclc_memcg_stat(c, "/t", &st), -ENOENT);
	ck_assert_int_eq(rclc_memcg_delete(c, "/t"), -ENOENT);
	ck_assert_int_eq(rclc_memcg_set(c, "/t", &l), -ENOENT);
	rclc_close(c);
}
END_TEST

/* ---- statistics, pressure, events ---------------------------------------------------------- */

START_TEST(test_stat_pressure)
{
	struct rclc *c = open_client();
	struct rclc_counter *ctr;
	struct rclc_pressure p;
	size_t n, i, found = 0;
	char *text;

	ck_assert_int_eq(rclc_stat(c, RCLC_STAT_MEMINFO, &text, &ctr, &n), 0);
	ck_assert_ptr_nonnull(strstr(text, "MemTotal:"));
	for (i = 0; i < n; i++)
		if (!strcmp(ctr[i].name, "MemTotal")) {
			found++;
			ck_assert_uint_eq(ctr[i].value, 16u << 10);	/* kB */
		}
	ck_assert_uint_eq(found, 1);
	free(text);
	free(ctr);
	ck_assert_int_eq(rclc_stat(c, RCLC_STAT_BUDDYINFO, &text, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(text, "Node 0"));
	free(text);
	ck_assert_int_eq(rclc_pressure(c, NULL, &p), 0);
	ck_assert_int_eq(rclc_pressure(c, "/missing", &p), -ENOENT);
	rclc_close(c);
}
END_TEST

/* The value of counter NAME in CTR[N]; fails the test if it is missing. */
static uint64_t counter_of(const struct rclc_counter *ctr, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(ctr[i].name, name))
			return ctr[i].value;
	ck_abort_msg("no counter %s among %zu", name, n);
	return 0;
}

/* The daemon's own counters move with the requests made: each one is counted, on the loop
 * or on a worker, and the model lock's holds with them. */
START_TEST(test_daemon_counters)
{
	struct rclc *c = open_client();
	struct rclc_counter *a, *b;
	uint64_t id, before, after;
	size_t na, nb;
	int i;

	ck_assert_int_eq(rclc_daemon_counters(c, &a, &na), 0);
	ck_assert_int_eq(rclc_alloc(c, 4 * PG, NULL, &id, NULL), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(rclc_touch(c, &(struct rclc_range){ id, 0, 4 }, true, NULL), 0);
	ck_assert_int_eq(rclc_daemon_counters(c, &b, &nb), 0);
	before = counter_of(a, na, "requests_on_loop") + counter_of(a, na, "requests_on_workers");
	after = counter_of(b, nb, "requests_on_loop") + counter_of(b, nb, "requests_on_workers");
	/* The alloc, ten touches and the second Stat itself: at least 12, others' too. */
	ck_assert_uint_ge(after - before, 12);
	ck_assert_uint_gt(counter_of(b, nb, "engine_lock_acquired"),
			  counter_of(a, na, "engine_lock_acquired"));
	free(a);
	free(b);
	rclc_close(c);
}
END_TEST

/* Reclaim under a trace subscription: events arrive, typed; unsubscribe counts the drops. */
START_TEST(test_subscribe_reclaim)
{
	struct rclc_subscribe_opts so = { .kind = RCLC_EVENT_TRACE, .queue_len = 4096 };
	static unsigned char page[64 * PG];
	struct rclc_reclaim_result rr;
	struct rclc *c = open_client();
	struct rclc_event ev;
	uint64_t sub, id, dropped, pages;
	int r;

	ck_assert_int_eq(rclc_subscribe(c, &so, &sub), 0);
	ck_assert_int_eq(rclc_alloc(c, sizeof(page), NULL, &id, NULL), 0);
	fill(page, sizeof(page), 3);
	ck_assert_int_eq(rclc_write(c, id, 0, page, sizeof(page)), 0);
	ck_assert_int_eq(rclc_reclaim(c, NULL, 4 * PG, -1, &rr), 0);
	ck_assert_uint_ge(rr.reclaimed_bytes, 4 * PG);
	ck_assert_uint_gt(rr.scanned_pages, 0);
	r = rclc_next_event(c, WAIT_MS, &ev);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(ev.subscription_id, sub);
	ck_assert_uint_eq(ev.seq, 1);
	ck_assert_int_eq(ev.kind, RCLC_EVENT_TRACE);
	ck_assert_uint_gt(strlen(ev.trace.name), 0);
	rclc_event_release(&ev);
	ck_assert_int_eq(rclc_unsubscribe(c, sub, &dropped), 0);
	ck_assert_int_eq(rclc_unsubscribe(c, sub, &dropped), -ENOENT);
	ck_assert_int_eq(rclc_drop_caches(c, true, true, &pages), 0);
	rclc_close(c);
}
END_TEST

/* A PSI trigger on a memcg: bad triggers refused with the reason; under pressure an event,
 * typed, naming the memcg and the trigger. */
START_TEST(test_subscribe_psi)
{
	struct rclc_subscribe_opts pressure = {
		.kind = RCLC_EVENT_PRESSURE, .trigger = "some 1 500000",
	};
	struct rclc_memcg_limits max = { .set = RCLC_LIMIT_MAX, .max = 2u << 20 };
	struct rclc_alloc_opts in_psi = { .memcg = "/psi" };
	static unsigned char chunk[1u << 20];
	struct rclc *c = open_client();
	int64_t deadline = now_ms() + WAIT_MS;
	struct rclc_event ev;
	uint64_t sub, id, dropped;
	unsigned int round, i;
	int r = -ETIMEDOUT;

	ck_assert_int_eq(rclc_memcg_create(c, "/psi", &max, -1), 0);
	ck_assert_int_eq(rclc_subscribe_psi(c, "/psi", "some 1000 20000000", &sub), -EINVAL);
	ck_assert_int_eq(rclc_last_code(c), RCLC_CODE_INVALID_ARGUMENT);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "window is not within 500000..10000000"));
	ck_assert_int_eq(rclc_subscribe_psi(c, "/psi", "most 1000 1000000", &sub), -EINVAL);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "some|full"));
	ck_assert_int_eq(rclc_subscribe_psi(c, "/psi", NULL, &sub), -EINVAL);
	ck_assert_int_eq(rclc_subscribe(c, &pressure, &sub), -EINVAL);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "trigger is for EVENT_PSI only"));
	ck_assert_int_eq(rclc_subscribe_psi(c, "/nope", "some 1000 1000000", &sub), -ENOENT);

	ck_assert_int_eq(rclc_subscribe_psi(c, "/psi", "some 1000 500000", &sub), 0);
	ck_assert_int_eq(rclc_alloc(c, 3 * sizeof(chunk), &in_psi, &id, NULL), 0);
	/* 3 MiB through a 2 MiB limit, over and over, until the trigger fires (bounded). */
	for (round = 0; round < 200 && now_ms() < deadline; round++) {
		for (i = 0; i < 3; i++) {
			fill(chunk, sizeof(chunk), round * 3 + i);
			ck_assert_int_eq(rclc_write(c, id, (uint64_t)i * sizeof(chunk), chunk,
						    sizeof(chunk)), 0);
		}
		r = rclc_next_event(c, 0, &ev);
		if (r != -ETIMEDOUT)
			break;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(ev.subscription_id, sub);
	ck_assert_uint_eq(ev.seq, 1);
	ck_assert_int_eq(ev.kind, RCLC_EVENT_PSI);
	ck_assert_str_eq(ev.psi.memcg, "/psi");
	ck_assert(!ev.psi.full);
	ck_assert_uint_eq(ev.psi.stall_usec, 1000);
	ck_assert_uint_eq(ev.psi.window_usec, 500000);
	ck_assert_uint_ge(ev.psi.growth_usec, 1000);
	ck_assert_uint_ge(ev.psi.total_usec, ev.psi.growth_usec);
	ck_assert_uint_gt(ev.psi.time_ns, 0);
	rclc_event_release(&ev);
	ck_assert_int_eq(rclc_unsubscribe(c, sub, &dropped), 0);
	rclc_close(c);
}
END_TEST

/* ---- tunables and files -------------------------------------------------------------------- */

START_TEST(test_tunables)
{
	struct rclc *c = open_client();
	struct rclc_tunable *all, now;
	char value[RCLC_VALUE_MAX], old[RCLC_VALUE_MAX];
	size_t n, i, found = 0;

	ck_assert_int_eq(rclc_tunable_list(c, &all, &n), 0);
	for (i = 0; i < n; i++)
		found += strcmp(all[i].name, "swappiness") == 0;
	free(all);
	ck_assert_uint_eq(found, 1);
	ck_assert_int_eq(rclc_tunable_get(c, "swappiness", old, sizeof(old)), 0);
	ck_assert_int_eq(rclc_tunable_set(c, "swappiness", "77", &now), 0);
	ck_assert_str_eq(now.name, "swappiness");
	ck_assert_str_eq(now.value, "77");
	ck_assert_int_eq(rclc_tunable_get(c, "swappiness", value, sizeof(value)), 0);
	ck_assert_str_eq(value, "77");
	ck_assert_int_eq(rclc_tunable_set(c, "swappiness", old, NULL), 0);
	ck_assert_int_lt(rclc_tunable_get(c, "no_such_tunable", value, sizeof(value)), 0);
	ck_assert_int_ne(rclc_last_code(c), RCLC_CODE_OK);
	ck_assert_int_eq(rclc_tunable_set(c, "swappiness", "not a number", NULL), -EINVAL);
	/* A call refused before it is sent spends its rclc_async: the next one blocks. */
	ck_assert_int_eq(rclc_async(c, NULL, NULL), 0);
	ck_assert_int_eq(rclc_tunable_get(c, "", value, sizeof(value)), -EINVAL);
	ck_assert_uint_eq(rclc_in_flight(c), 0);
	ck_assert_int_eq(rclc_tunable_get(c, "swappiness", value, sizeof(value)), 0);
	ck_assert_str_eq(value, old);
	ck_assert_uint_eq(rclc_in_flight(c), 0);
	rclc_close(c);
}
END_TEST

START_TEST(test_file_calls)
{
	static unsigned char out[3 * PG + 17], in[3 * PG + 17];
	struct rclc *c = open_client();
	size_t got;

	fill(out, sizeof(out), 4);
	ck_assert_int_eq(rclc_file_write(c, "f", NULL, 0, out, sizeof(out), 0644), 0);
	ck_assert_int_eq(rclc_file_advise(c, "f", 0, 0, RCLC_FADV_RANDOM, NULL), 0);
	ck_assert_int_eq(rclc_file_read(c, "f", "/", 0, in, sizeof(in), &got), 0);
	ck_assert_uint_eq(got, sizeof(in));
	ck_assert_mem_eq(in, out, sizeof(in));
	/* Short at the end of the file. */
	ck_assert_int_eq(rclc_file_read(c, "f", NULL, 3 * PG, in, PG, &got), 0);
	ck_assert_uint_eq(got, 17);
	/* Three scattered ranges in one request, the last short at the end of the file. */
	{
		static unsigned char v[3][PG];
		struct rclc_iovec iov[3] = {
			{ .offset = 2 * PG + 5, .len = 100, .buf = v[0] },
			{ .offset = 7, .len = PG, .buf = v[1] },
			{ .offset = 3 * PG, .len = PG, .buf = v[2] },
		};
		size_t lens[3];
		uint64_t bytes;

		ck_assert_int_eq(rclc_file_readv(c, "f", NULL, iov, 3, lens, &bytes), 0);
		ck_assert_uint_eq(lens[0], 100);
		ck_assert_uint_eq(lens[1], PG);
		ck_assert_uint_eq(lens[2], 17);
		ck_assert_uint_eq(bytes, 100 + PG + 17);
		ck_assert_mem_eq(v[0], out + 2 * PG + 5, 100);
		ck_assert_mem_eq(v[1], out + 7, PG);
		ck_assert_mem_eq(v[2], out + 3 * PG, 17);
		ck_assert_int_eq(rclc_file_readv(c, "f", NULL, iov, 0, NULL, NULL), -EINVAL);
		ck_assert_int_eq(rclc_file_readv(c, "none", NULL, iov, 3, NULL, NULL), -ENOENT);
	}
	/* A discarding read counts what it read, short at the end of the file too. */
	{
		struct rclc_iovec iov[2] = {
			{ .offset = 0, .len = PG, .buf = NULL },
			{ .offset = 3 * PG, .len = PG, .buf = NULL },
		};
		uint64_t bytes = 0;

		ck_assert_int_eq(rclc_file_readv_discard(c, "f", NULL, iov, 2, &bytes), 0);
		ck_assert_uint_eq(bytes, PG + 17);
		ck_assert_int_eq(rclc_file_readv_discard(c, "none", NULL, iov, 2, NULL), -ENOENT);
	}
	/* A fill: the daemon makes LEN bytes of one value, beyond what one frame could carry. */
	{
		static unsigned char want[PG];
		uint64_t len = 3u << 20;

		ck_assert_int_eq(rclc_file_fill(c, "g", NULL, PG, len, 0xa5, 0600), 0);
		memset(want, 0xa5, sizeof(want));
		ck_assert_int_eq(rclc_file_read(c, "g", NULL, PG + len - PG, in, PG, &got), 0);
		ck_assert_uint_eq(got, PG);
		ck_assert_mem_eq(in, want, PG);
		memset(want, 0, sizeof(want));
		ck_assert_int_eq(rclc_file_read(c, "g", NULL, 0, in, PG, &got), 0);
		ck_assert_mem_eq(in, want, PG);	/* the hole before it */
		ck_assert_int_eq(rclc_file_read(c, "g", NULL, PG + len, in, PG, &got), 0);
		ck_assert_uint_eq(got, 0);	/* nothing after it */
		ck_assert_int_eq(rclc_file_remove(c, "g"), 0);
	}
	ck_assert_int_eq(rclc_file_advise(c, "f", 0, 0, RCLC_FADV_WILLNEED, NULL), 0);
	ck_assert_int_eq(rclc_file_remove(c, "f"), 0);
	ck_assert_int_eq(rclc_file_read(c, "f", NULL, 0, in, PG, &got), -ENOENT);
	ck_assert_int_eq(rclc_file_remove(c, "f"), -ENOENT);
	ck_assert_int_eq(rclc_chmod(c, "f", 0600, NULL), -ENOENT);
	ck_assert_int_eq(rclc_file_write(c, "../escape", NULL, 0, out, 1, -1), -EINVAL);
	rclc_close(c);
}
END_TEST

/* ---- pipelining ---------------------------------------------------------------------------- */

#define PIPE_PAGES	256u

struct done_log {
	unsigned int n;
	int status[2 * PIPE_PAGES + 1];
	uintptr_t order[2 * PIPE_PAGES + 1];
};

static struct done_log done_log;

static void on_done(struct rclc *c, void *arg, int status)
{
	done_log.status[done_log.n] = status;
	done_log.order[done_log.n++] = (uintptr_t)arg;
}

/* Many writes in flight on one connection, then reads by callback: every one completes, in
 * order, with its own status; a failing request among them fails alone. */
START_TEST(test_pipelined)
{
	static unsigned char out[PIPE_PAGES][PG], in[PIPE_PAGES][PG];
	static int status[PIPE_PAGES];
	struct rclc *c = open_client();
	unsigned int i, max_in_flight = 0;
	uint64_t id;
	int st;
	void *arg;

	ck_assert_int_eq(rclc_alloc(c, PIPE_PAGES * PG, NULL, &id, NULL), 0);
	ck_assert_int_eq(rclc_reap(c, &st, &arg), -ENOENT);
	for (i = 0; i < PIPE_PAGES; i++) {
		fill(out[i], PG, 100 + i);
		status[i] = 1;
		ck_assert_int_eq(rclc_async(c, NULL, &status[i]), 0);
		ck_assert_int_eq(rclc_write(c, id, (uint64_t)i * PG, out[i], PG), 0);
		if (rclc_in_flight(c) > max_in_flight)
			max_in_flight = rclc_in_flight(c);
		if (rclc_in_flight(c) >= 64)
			ck_assert_int_eq(rclc_reap(c, NULL, NULL), 0);
	}
	ck_assert_uint_eq(max_in_flight, 64);
	while (rclc_reap(c, &st, NULL) == 0)
		ck_assert_int_eq(st, 0);
	ck_assert_uint_eq(rclc_in_flight(c), 0);
	for (i = 0; i < PIPE_PAGES; i++)
		ck_assert_int_eq(status[i], 0);

	/* All the reads in flight at once (the library reads answers while its sends wait),
	 * one of them for a region that does not exist. */
	memset(&done_log, 0, sizeof(done_log));
	for (i = 0; i < PIPE_PAGES; i++) {
		ck_assert_int_eq(rclc_async(c, on_done, (void *)(uintptr_t)i), 0);
		ck_assert_int_eq(rclc_read(c, i == 100 ? id + 1000 : id, (uint64_t)i * PG, in[i],
					   PG, NULL), 0);
	}
	ck_assert_uint_eq(rclc_in_flight(c), PIPE_PAGES);
	/* A blocking call completes everything before it first. */
	ck_assert_int_eq(rclc_touch(c, &(struct rclc_range){ .region_id = id }, false, NULL), 0);
	ck_assert_uint_eq(rclc_in_flight(c), 0);
	ck_assert_uint_eq(done_log.n, PIPE_PAGES);
	for (i = 0; i < PIPE_PAGES; i++) {
		ck_assert_uint_eq(done_log.order[i], i);
		if (i == 100) {
			ck_assert_int_eq(done_log.status[i], -ENOENT);
			continue;
		}
		ck_assert_int_eq(done_log.status[i], 0);
		ck_assert_mem_eq(in[i], out[i], PG);
	}
	rclc_close(c);
}
END_TEST

/* Asynchronous requests are kept and sent together: rclc_flush puts them on the wire, so a
 * program that polls the descriptor itself sees their answers arrive. */
START_TEST(test_flush_then_poll)
{
	static unsigned char out[4][PG], in[PG];
	struct rclc *c = open_client();
	struct pollfd pfd = { .fd = rclc_fd(c), .events = POLLIN };
	int status[4], i, st;
	uint64_t id;

	ck_assert_int_eq(rclc_alloc(c, 4 * PG, NULL, &id, NULL), 0);
	for (i = 0; i < 4; i++) {
		fill(out[i], PG, 300 + i);
		ck_assert_int_eq(rclc_async(c, NULL, &status[i]), 0);
		ck_assert_int_eq(rclc_write(c, id, (uint64_t)i * PG, out[i], PG), 0);
	}
	ck_assert_uint_eq(rclc_in_flight(c), 4);
	ck_assert_int_eq(rclc_flush(c), 0);
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(rclc_reap(c, &st, NULL), 0);
		ck_assert_int_eq(st, 0);
		ck_assert_int_eq(status[i], 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(rclc_read(c, id, (uint64_t)i * PG, in, PG, NULL), 0);
		ck_assert_mem_eq(in, out[i], PG);
	}
	rclc_close(c);
}
END_TEST

/* A connection closed with asynchronous requests still kept sends them first: a write made
 * asynchronously is not lost because its program closed without reaping it. */
START_TEST(test_close_sends_kept_requests)
{
	struct rclc_alloc_opts persistent = { .persistent = true };
	static unsigned char out[PG], in[PG];
	struct rclc *c = open_client();
	int64_t deadline;
	uint64_t id;

	ck_assert_int_eq(rclc_alloc(c, PG, &persistent, &id, NULL), 0);
	fill(out, PG, 77);
	ck_assert_int_eq(rclc_async(c, NULL, NULL), 0);
	ck_assert_int_eq(rclc_write(c, id, 0, out, PG), 0);
	rclc_close(c);
	c = open_client();
	/* The closed connection's write may still be running on a worker: poll, bounded. */
	deadline = now_ms() + WAIT_MS;
	for (;;) {
		ck_assert_int_eq(rclc_read(c, id, 0, in, PG, NULL), 0);
		if (!memcmp(in, out, PG))
			break;
		ck_assert_msg(now_ms() < deadline, "the kept write never reached the daemon");
		poll(NULL, 0, 1);
	}
	ck_assert_int_eq(rclc_free(c, id), 0);
	rclc_close(c);
}
END_TEST

/*
 * A server that closes (here, after a frame it cannot decode) has answered the requests it
 * took before: those answers are delivered though our later sends meet the closed socket
 * (EPIPE), and only what it never answered completes as lost.
 */
/* An answer far larger than one recv (2 MiB) between small pipelined ones: read whole, in
 * order, and the small ones after it still right (the buffer grows for it, then shrinks). */
START_TEST(test_large_answer_between_small_ones)
{
	const size_t big = 512 * PG;
	unsigned char *out = malloc(big), *in = malloc(big), small[3][PG];
	struct rclc *c = open_client();
	int st[2], i;
	uint64_t id;

	fill(out, big, 41);
	ck_assert_int_eq(rclc_alloc(c, big, NULL, &id, NULL), 0);
	ck_assert_int_eq(rclc_write(c, id, 0, out, big), 0);
	for (i = 0; i < 3; i++) {
		if (i != 1) {
			ck_assert_int_eq(rclc_async(c, NULL, &st[i / 2]), 0);
			ck_assert_int_eq(rclc_read(c, id, (uint64_t)(100 + i) * PG, small[i], PG,
						   NULL), 0);
			continue;
		}
		ck_assert_int_eq(rclc_read(c, id, 0, in, big, NULL), 0);	/* reaps the first */
	}
	ck_assert_int_eq(rclc_reap(c, NULL, NULL), 0);
	ck_assert_int_eq(st[0], 0);
	ck_assert_int_eq(st[1], 0);
	ck_assert_mem_eq(in, out, big);
	ck_assert_mem_eq(small[0], out + 100 * PG, PG);
	ck_assert_mem_eq(small[2], out + 102 * PG, PG);
	rclc_close(c);
	free(out);
	free(in);
}
END_TEST

static bool lost(int r);

START_TEST(test_answers_before_close_are_kept)
{
	static unsigned char page[PG];
	uint8_t bad[FRAME_HEADER_BYTES + 8];
	struct rclc *c = open_client();
	int status[16], st, i, r, lost_seen = 0;
	uint64_t id;

	ck_assert_int_eq(rclc_alloc(c, 64 * PG, NULL, &id, NULL), 0);
	for (i = 0; i < 16; i++) {
		status[i] = 1;
		ck_assert_int_eq(rclc_async(c, NULL, &status[i]), 0);
		ck_assert_int_eq(rclc_write(c, id, (uint64_t)i * PG, page, PG), 0);
	}
	frame_put_header(bad, 8);
	memset(bad + FRAME_HEADER_BYTES, 0xff, 8);	/* no Request decodes from this */
	ck_assert_int_eq(rclc_send_raw(c, bad, sizeof(bad)), 0);
	/* Far more than the socket holds: these meet the closed connection. */
	for (i = 0; i < 1024; i++) {
		rclc_async(c, NULL, NULL);
		r = rclc_write(c, id, (uint64_t)(i % 64) * PG, page, PG);
		if (r < 0)
			break;
	}
	while (rclc_reap(c, &st, NULL) == 0)
		lost_seen += lost(st);
	for (i = 0; i < 16; i++)
		ck_assert_msg(status[i] == 0, "write %d answered before the close: status %d", i,
			      status[i]);
	ck_assert_int_gt(lost_seen, 0);
	rclc_close(c);
}
END_TEST

/* ---- refused -------------------------------------------------------------------------------- */

/* In a child as uid 65534: admin requests and root's region are refused with EPERM. */
static int nobody_child(uint64_t root_region)
{
	struct rclc_hello_info h;
	struct rclc_range r = { .region_id = root_region };
	struct rclc *c;
	unsigned char buf[PG];

	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		return 10;
	if (rclc_open(sock, "nobody", &c) < 0)
		return 11;
	if (rclc_hello_info(c, &h) < 0 || h.uid != 65534 || h.admin)
		return 12;
	if (rclc_tunable_set(c, "swappiness", "10", NULL) != -EPERM ||
	    rclc_last_code(c) != RCLC_CODE_PERMISSION_DENIED || !rclc_last_error(c)[0])
		return 13;
	if (rclc_drop_caches(c, true, false, NULL) != -EPERM)
		return 14;
	if (rclc_shutdown(c) != -EPERM)
		return 15;
	if (rclc_memcg_create(c, "/mine", NULL, -1) != -EPERM)
		return 16;
	/* Root's region: not this client's to read or touch. */
	if (rclc_read(c, root_region, 0, buf, PG, NULL) != -EPERM ||
	    rclc_touch(c, &r, true, NULL) != -EPERM)
		return 17;
	rclc_close(c);
	return 0;
}

START_TEST(test_permission_denied)
{
	struct rclc_alloc_opts persistent = { .persistent = true };
	struct rclc *c = open_client();
	uint64_t id;
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "check_client: not root, the uid 65534 case is not run\n");
		rclc_close(c);
		return;
	}
	ck_assert_int_eq(rclc_alloc(c, PG, &persistent, &id, NULL), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(nobody_child(id));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the uid 65534 child failed at step %d", WEXITSTATUS(status));
	rclc_close(c);
}
END_TEST

/* ---- the daemon gone ------------------------------------------------------------------------ */

static bool lost(int r)
{
	return r == -ECONNRESET || r == -EPIPE;
}

/* Requests in flight when the daemon dies complete with a lost connection, as does every call
 * after; nothing waits forever. The daemon is stopped first so that none is answered. */
START_TEST(test_daemon_gone_in_flight)
{
	static unsigned char page[PG];
	struct rclc *c = open_client();
	int st1 = 1, st2 = 1, st;
	uint64_t id;

	ck_assert_int_eq(rclc_alloc(c, 4 * PG, NULL, &id, NULL), 0);
	ck_assert_int_eq(kill(daemon_pid, SIGSTOP), 0);
	ck_assert_int_eq(rclc_async(c, NULL, &st1), 0);
	ck_assert_int_eq(rclc_write(c, id, 0, page, PG), 0);
	ck_assert_int_eq(rclc_async(c, NULL, &st2), 0);
	ck_assert_int_eq(rclc_touch(c, &(struct rclc_range){ .region_id = id }, true, NULL), 0);
	ck_assert_uint_eq(rclc_in_flight(c), 2);
	ck_assert_int_eq(kill(daemon_pid, SIGKILL), 0);
	daemon_reap();
	ck_assert_int_eq(rclc_reap(c, &st, NULL), 0);
	ck_assert_msg(lost(st) && lost(st1), "status %d", st1);
	ck_assert_int_eq(rclc_reap(c, NULL, NULL), 0);
	ck_assert_msg(lost(st2), "status %d", st2);
	ck_assert_int_eq(rclc_reap(c, NULL, NULL), -ENOENT);
	st = rclc_read(c, id, 0, page, PG, NULL);
	ck_assert_msg(lost(st), "a call after the loss: %d", st);
	ck_assert_int_eq(rclc_last_code(c), RCLC_CODE_OK);
	ck_assert_ptr_nonnull(strstr(rclc_last_error(c), "lost"));
	rclc_close(c);
}
END_TEST

struct blocked_call {
	struct rclc *c;
	uint64_t id;
	pid_t tid;
	int status;
};

static void *blocking_touch(void *arg)
{
	struct blocked_call *b = arg;

	__atomic_store_n(&b->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	b->status = rclc_touch(b->c, &(struct rclc_range){ .region_id = b->id }, true, NULL);
	return NULL;
}

/* Whether thread TID sleeps in the kernel ('S' in its stat). */
static bool thread_sleeps(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool s = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		s = p[1] == ' ' && p[2] == 'S';
	fclose(f);
	return s;
}

/* A blocking call waiting for its answer when the daemon dies returns a lost connection. */
START_TEST(test_daemon_gone_blocking)
{
	struct blocked_call b = { .c = open_client() };
	int64_t deadline;
	pthread_t th;
	pid_t tid;

	ck_assert_int_eq(rclc_alloc(b.c, 4 * PG, NULL, &b.id, NULL), 0);
	ck_assert_int_eq(kill(daemon_pid, SIGSTOP), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, blocking_touch, &b), 0);
	/* The call sleeps once it waits for the answer the stopped daemon cannot give. */
	deadline = now_ms() + WAIT_MS;
	while (!(tid = __atomic_load_n(&b.tid, __ATOMIC_ACQUIRE)) || !thread_sleeps(tid)) {
		ck_assert_msg(now_ms() < deadline, "the call never blocked");
		poll(NULL, 0, 1);
	}
	ck_assert_int_eq(kill(daemon_pid, SIGKILL), 0);
	daemon_reap();
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(lost(b.status), "status %d", b.status);
	rclc_close(b.c);
}
END_TEST

/* Shutdown: answered, then the daemon exits cleanly. */
START_TEST(test_shutdown)
{
	struct rclc *c = open_client();
	int status;

	ck_assert_int_eq(rclc_shutdown(c), 0);
	status = daemon_reap();
	ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "exit status %d", status);
	rclc_close(c);
}
END_TEST

/* ---- a server that answers what was never asked ------------------------------------- */

static int fake_read_frame(int fd, Reclaim__V1__Request **ret)
{
	uint8_t h[FRAME_HEADER_BYTES], *body;
	uint32_t len = 0;
	size_t got;
	ssize_t n;

	for (got = 0; got < sizeof(h); got += (size_t)n)
		if ((n = read(fd, h + got, sizeof(h) - got)) <= 0)
			return -1;
	frame_peek(h, sizeof(h), FRAME_DEFAULT_MAX, &len);
	body = malloc(len ? len : 1);
	for (got = 0; got < len; got += (size_t)n)
		if ((n = read(fd, body + got, len - got)) <= 0) {
			free(body);
			return -1;
		}
	*ret = reclaim__v1__request__unpack(NULL, len, body);
	free(body);
	return *ret ? 0 : -1;
}

static void fake_send(int fd, const Reclaim__V1__Response *resp)
{
	size_t len = reclaim__v1__response__get_packed_size(resp);
	uint8_t *buf = malloc(FRAME_HEADER_BYTES + len);

	frame_put_header(buf, (uint32_t)len);
	reclaim__v1__response__pack(resp, buf + FRAME_HEADER_BYTES);
	ck_assert_int_eq(write(fd, buf, FRAME_HEADER_BYTES + len), (ssize_t)(FRAME_HEADER_BYTES + len));
	free(buf);
}

/* An OK answer with id ID: a Hello's, or a TunableGet's with nothing in it. */
static void fake_answer(int fd, uint64_t id, bool hello)
{
	Reclaim__V1__Response resp = RECLAIM__V1__RESPONSE__INIT;
	Reclaim__V1__Status st = RECLAIM__V1__STATUS__INIT;
	Reclaim__V1__HelloReply hr = RECLAIM__V1__HELLO_REPLY__INIT;
	Reclaim__V1__TunableGetReply tr = RECLAIM__V1__TUNABLE_GET_REPLY__INIT;

	resp.id = id;
	resp.status = &st;
	if (hello) {
		hr.server_version = "fake";
		hr.page_size = PG;
		hr.nr_nodes = 1;
		resp.msg_case = RECLAIM__V1__RESPONSE__MSG_HELLO;
		resp.hello = &hr;
	} else {
		resp.msg_case = RECLAIM__V1__RESPONSE__MSG_TUNABLE_GET;
		resp.tunable_get = &tr;
	}
	fake_send(fd, &resp);
}

/* Accept the client on LFD and answer its Hello: the connection, or -1. */
static int fake_accept_hello(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	Reclaim__V1__Request *req;

	if (fd >= 0 && fake_read_frame(fd, &req) == 0) {
		fake_answer(fd, req->id, true);
		reclaim__v1__request__free_unpacked(req, NULL);
	}
	return fd;
}

/* Answer the Hello, then the next request under an id 1000 past it; read until EOF. */
static void *fake_server(void *arg)
{
	int fd = fake_accept_hello(*(int *)arg);
	Reclaim__V1__Request *req;
	char c;

	if (fd < 0)
		return NULL;
	if (fake_read_frame(fd, &req) == 0) {
		fake_answer(fd, req->id + 1000, false);
		reclaim__v1__request__free_unpacked(req, NULL);
	}
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
	return NULL;
}

/*
 * An answer to a request that was never sent (its id past every id handed out) is a broken
 * server: the blocking call fails with -EPROTO and says so, rather than waiting for ever for
 * the answer that will not come.
 */
START_TEST(test_answer_never_asked_is_a_protocol_error)
{
	struct sockaddr_un sa;
	char path[PATH_MAX], value[64];
	struct rclc *c = NULL;
	pthread_t tid;
	int lfd;

	make_tmpdir(path, sizeof(path), "fake");
	lfd = bind_unix(path, "sock", SOCK_STREAM, &sa);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(pthread_create(&tid, NULL, fake_server, &lfd), 0);
	ck_assert_int_eq(rclc_open(sa.sun_path, "check_client", &c), 0);
	ck_assert_int_eq(rclc_tunable_get(c, "swappiness", value, sizeof(value)), -EPROTO);
	ck_assert_msg(strstr(rclc_last_error(c), "never sent"), "%s", rclc_last_error(c));
	rclc_close(c);
	pthread_join(tid, NULL);
	close(lfd);
	unlink(sa.sun_path);
	rmdir(path);
}
END_TEST

/* ---- a server that pushes more events than a subscription keeps ------------------------ */

#define FAKE_SUB	7u	/* the subscription the fake server floods */
#define FAKE_QLEN	4u	/* its queue length */
#define FAKE_EVENTS	100u	/* events pushed ahead of one answer */


static void fake_subscribed(int fd, uint64_t id, uint64_t sub_id)
{
	Reclaim__V1__Response resp = RECLAIM__V1__RESPONSE__INIT;
	Reclaim__V1__Status st = RECLAIM__V1__STATUS__INIT;
	Reclaim__V1__SubscribeReply sr = RECLAIM__V1__SUBSCRIBE_REPLY__INIT;

	sr.subscription_id = sub_id;
	sr.queue_len = FAKE_QLEN;
	resp.id = id;
	resp.status = &st;
	resp.msg_case = RECLAIM__V1__RESPONSE__MSG_SUBSCRIBE;
	resp.subscribe = &sr;
	fake_send(fd, &resp);
}

static void fake_pressure_event(int fd, uint64_t seq)
{
	Reclaim__V1__Response resp = RECLAIM__V1__RESPONSE__INIT;
	Reclaim__V1__Event ev = RECLAIM__V1__EVENT__INIT;
	Reclaim__V1__PressureEvent pe = RECLAIM__V1__PRESSURE_EVENT__INIT;

	pe.memcg = "/";
	pe.level = RECLAIM__V1__PRESSURE_LEVEL__PRESSURE_MEDIUM;
	ev.subscription_id = FAKE_SUB;
	ev.seq = seq;
	ev.event_case = RECLAIM__V1__EVENT__EVENT_PRESSURE;
	ev.pressure = &pe;
	resp.msg_case = RECLAIM__V1__RESPONSE__MSG_EVENT;
	resp.event = &ev;
	fake_send(fd, &resp);
}

struct flood {
	int lfd;
	uint64_t unsubscribed;		/* the subscription id of the Unsubscribe received */
};

/* The server's last event of FAKE_SUB: its memcg went. */
static void fake_ended_event(int fd, uint64_t seq)
{
	Reclaim__V1__Response resp = RECLAIM__V1__RESPONSE__INIT;
	Reclaim__V1__Event ev = RECLAIM__V1__EVENT__INIT;
	Reclaim__V1__Ended ended = RECLAIM__V1__ENDED__INIT;

	ended.reason = "memcg /w was removed";
	ev.subscription_id = FAKE_SUB;
	ev.seq = seq;
	ev.event_case = RECLAIM__V1__EVENT__EVENT_ENDED;
	ev.ended = &ended;
	resp.msg_case = RECLAIM__V1__RESPONSE__MSG_EVENT;
	resp.event = &ev;
	fake_send(fd, &resp);
}

/* Hello; Subscribe (FAKE_SUB); a second Subscribe, answered after FAKE_EVENTS events of the
 * first and the server's own end of it (Ended); then the Unsubscribe the library owes. */
static void *fake_flood_server(void *arg)
{
	struct flood *f = arg;
	int fd = fake_accept_hello(f->lfd);
	Reclaim__V1__Request *req;
	uint64_t seq;
	char c;

	if (fd < 0)
		return NULL;
	if (fake_read_frame(fd, &req) == 0) {
		fake_subscribed(fd, req->id, FAKE_SUB);
		reclaim__v1__request__free_unpacked(req, NULL);
	}
	if (fake_read_frame(fd, &req) == 0) {
		for (seq = 1; seq <= FAKE_EVENTS; seq++)
			fake_pressure_event(fd, seq);
		fake_ended_event(fd, seq);
		fake_subscribed(fd, req->id, FAKE_SUB + 1);
		reclaim__v1__request__free_unpacked(req, NULL);
	}
	if (fake_read_frame(fd, &req) == 0) {
		if (req->msg_case == RECLAIM__V1__REQUEST__MSG_UNSUBSCRIBE)
			f->unsubscribed = req->unsubscribe->subscription_id;
		reclaim__v1__request__free_unpacked(req, NULL);
	}
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
	return NULL;
}

/*
 * Events pushed while the program waits for an answer are kept for it up to the
 * subscription's queue length, no more: the one past it ends the subscription as the
 * server's full queue would (an Overflow after the events kept, counting those dropped), and
 * the library unsubscribes it at the server. A flood cannot grow a client without bound, and
 * nothing follows the Overflow, not even the server's own end of the subscription.
 */
START_TEST(test_events_kept_within_queue_len)
{
	struct rclc_subscribe_opts opts = { .kind = RCLC_EVENT_PRESSURE };
	struct sockaddr_un sa;
	char path[PATH_MAX];
	struct rclc *c = NULL;
	struct flood f = { .unsubscribed = 0 };
	struct rclc_event ev;
	pthread_t tid;
	unsigned int i;
	uint64_t id;

	make_tmpdir(path, sizeof(path), "flood");
	f.lfd = bind_unix(path, "sock", SOCK_STREAM, &sa);
	ck_assert_int_eq(listen(f.lfd, 1), 0);
	ck_assert_int_eq(pthread_create(&tid, NULL, fake_flood_server, &f), 0);
	ck_assert_int_eq(rclc_open(sa.sun_path, "check_client", &c), 0);
	ck_assert_int_eq(rclc_subscribe(c, &opts, &id), 0);
	ck_assert_uint_eq(id, FAKE_SUB);
	ck_assert_int_eq(rclc_subscribe(c, &opts, &id), 0);	/* waits behind the flood */
	ck_assert_uint_eq(id, FAKE_SUB + 1);
	for (i = 1; i <= FAKE_QLEN; i++) {
		ck_assert_int_eq(rclc_next_event(c, 0, &ev), 0);
		ck_assert_int_eq(ev.kind, RCLC_EVENT_PRESSURE);
		ck_assert_uint_eq(ev.seq, i);
		rclc_event_release(&ev);
	}
	ck_assert_int_eq(rclc_next_event(c, 0, &ev), 0);
	ck_assert_int_eq(ev.kind, RCLC_EVENT_OVERFLOW);
	ck_assert_uint_eq(ev.subscription_id, FAKE_SUB);
	ck_assert_uint_eq(ev.overflow.events_dropped, FAKE_EVENTS - FAKE_QLEN);
	ck_assert_int_eq(rclc_next_event(c, 0, &ev), -ETIMEDOUT);	/* sends the Unsubscribe */
	rclc_close(c);
	pthread_join(tid, NULL);
	ck_assert_uint_eq(f.unsubscribed, FAKE_SUB);
	close(f.lfd);
	unlink(sa.sun_path);
	rmdir(path);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("calls");

	/* A daemon per test case: the cases that kill it have their own. */
	tcase_add_checked_fixture(tc, daemon_start, daemon_stop);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hello_info);
	tcase_add_test(tc, test_region_calls);
	tcase_add_test(tc, test_vectored_same_bytes);
	tcase_add_test(tc, test_vectored_pipelined);
	tcase_add_test(tc, test_vectored_refused);
	tcase_add_test(tc, test_file_region_msync);
	tcase_add_test(tc, test_raw_pages);
	tcase_add_test(tc, test_memcg_calls);
	tcase_add_test(tc, test_stat_pressure);
	tcase_add_test(tc, test_daemon_counters);
	tcase_add_test(tc, test_subscribe_reclaim);
	tcase_add_test(tc, test_subscribe_psi);
	tcase_add_test(tc, test_tunables);
	tcase_add_test(tc, test_file_calls);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_flush_then_poll);
	tcase_add_test(tc, test_close_sends_kept_requests);
	tcase_add_test(tc, test_answers_before_close_are_kept);
	tcase_add_test(tc, test_large_answer_between_small_ones);
	tcase_add_test(tc, test_permission_denied);
	tcase_add_test(tc, test_daemon_gone_in_flight);
	tcase_add_test(tc, test_daemon_gone_blocking);
	tcase_add_test(tc, test_shutdown);
	suite_add_tcase(s, tc);
	tc = tcase_create("fake server");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_answer_never_asked_is_a_protocol_error);
	tcase_add_test(tc, test_events_kept_within_queue_len);
	suite_add_tcase(s, tc);
	return s;
}
