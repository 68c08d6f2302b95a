/*
 * check_io - the I/O layer (both backends, fault injection, a full ring, threads) and CRC32C
 * (ISA-L through crc32c() against known vectors and against a bit-at-a-time reference).
 *
 * crc32c.c is included with a piece size of 1000 bytes (chrony's trick: this object then
 * defines crc32c itself and the archive's copy is never pulled in), so that buffers of a few
 * KiB already cross the joins that only buffers over 1 GiB cross in the daemon.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check-main.h"
#include "internal.h"
#define CRC32C_MAX_PIECE 1000u
#include "crc32c.c"

#define PG 4096

/* ---- CRC32C ---------------------------------------------------------------------------- */

struct crc_vector {
	const char *name;
	unsigned char data[32];
	size_t len;
	uint32_t crc;
};

/* "123456789" is the catalogue check value; the 32-byte ones are RFC 3720 appendix B.4. */
static struct crc_vector crc_vectors[] = {
	{ "check", "123456789", 9, 0xE3069283 },
	{ "zeros", { 0 }, 32, 0x8A9136AA },
	{ "ones", { 0 }, 32, 0x62A8AB43 },
	{ "ascending", { 0 }, 32, 0x46DD794E },
	{ "descending", { 0 }, 32, 0x113FDB5C },
	{ "empty", { 0 }, 0, 0 },
};

static void crc_fill_vectors(void)
{
	int i;

	for (i = 0; i < 32; i++) {
		crc_vectors[2].data[i] = 0xff;
		crc_vectors[3].data[i] = (unsigned char)i;
		crc_vectors[4].data[i] = (unsigned char)(31 - i);
	}
}

/* The definition itself, one bit at a time: slow, and obviously the reflected polynomial. */
static uint32_t crc32c_bitwise(const unsigned char *p, size_t len)
{
	uint32_t crc = ~0u;

	while (len--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0);
	}
	return ~crc;
}

START_TEST(test_crc32c_vectors)
{
	size_t i;

	crc_fill_vectors();
	for (i = 0; i < sizeof(crc_vectors) / sizeof(crc_vectors[0]); i++) {
		const struct crc_vector *v = &crc_vectors[i];

		ck_assert_msg(crc32c(0, v->data, v->len) == v->crc, "%s", v->name);
		ck_assert_msg(crc32c_bitwise(v->data, v->len) == v->crc, "bitwise %s", v->name);
	}
	ck_assert_uint_eq(crc32c(0, "", 0), 0);
}
END_TEST

/* Random lengths and misalignments: ISA-L agrees with the reference, and a CRC continues
 * across calls. The first rounds take the lengths around the piece joins (1000 bytes here)
 * and the page size. */
START_TEST(test_crc32c_paths_agree)
{
	static const size_t edges[] = { 999, 1000, 1001, 2000, 2001, 4095, 4096, 8192 };
	static unsigned char buf[8192 + 8];
	unsigned int seed = 42;
	int round;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand_r(&seed);
	for (round = 0; round < 500; round++) {
		size_t off = (size_t)rand_r(&seed) % 8;
		size_t len = round < 8 ? edges[round] : (size_t)rand_r(&seed) % 8192;
		size_t cut = len ? (size_t)rand_r(&seed) % len : 0;
		uint32_t whole = crc32c_bitwise(buf + off, len);

		ck_assert_uint_eq(crc32c(0, buf + off, len), whole);
		ck_assert_uint_eq(crc32c(crc32c(0, buf + off, cut), buf + off + cut, len - cut),
				  whole);
	}
}
END_TEST

/* ---- fixtures -------------------------------------------------------------------------- */

struct tmpfile {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	int fd;
};

/* A file of @pages zeroed pages in a fresh directory, opened O_DIRECT. */
static void tmpfile_open(struct tmpfile *t, int pages)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(t->dir, sizeof(t->dir), "%s/rcl-io-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/data", t->dir);
	t->fd = open(t->path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	ck_assert_int_ge(t->fd, 0);
	ck_assert_int_eq(ftruncate(t->fd, (off_t)pages * PG), 0);
}

static void tmpfile_close(struct tmpfile *t)
{
	close(t->fd);
	unlink(t->path);
	rmdir(t->dir);
}

static void *page_buf(int pages, unsigned int seed)
{
	unsigned char *p;
	size_t i;

	ck_assert_int_eq(posix_memalign((void **)&p, PG, (size_t)pages * PG), 0);
	for (i = 0; i < (size_t)pages * PG; i++)
		p[i] = (unsigned char)rand_r(&seed);
	return p;
}

/* An io_engine on @backend, or NULL when io_uring cannot be used here (the test then passes
 * vacuously and says so on stderr). */
static struct io_engine *make_io(int backend, unsigned int depth)
{
	struct io_engine *io = NULL;
	int err = io_engine_new((enum io_backend)backend, depth, &io);

	if (err == -ENOSYS && backend == IO_BACKEND_URING)
		rcl_skip("io_uring unavailable here");
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(io_engine_backend(io), backend);
	return io;
}

/* Register @len bytes at @arena with @io as fixed buffers, or skip where the kernel cannot. */
static void register_or_skip(struct io_engine *io, char *arena, size_t len)
{
	int err = io_engine_register(io, arena, len);

	if (err == -EOPNOTSUPP)
		rcl_skip("no vectored fixed-buffer I/O (READV_FIXED/WRITEV_FIXED) in this kernel");
	ck_assert_int_eq(err, 0);
}

/* One request and what its completion reported. */
struct tio {
	struct io_req req;
	struct iovec iov[4];
	_Atomic int res;
	_Atomic int calls;
};

static void tio_end(struct io_req *req, int res)
{
	struct tio *t = (struct tio *)req;

	atomic_store(&t->res, res);
	atomic_fetch_add(&t->calls, 1);
}

static void tio_init(struct tio *t, int fd, bool write, uint64_t offset, char *buf, int pages)
{
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < pages; i++)
		t->iov[i] = (struct iovec){ buf + (size_t)i * PG, PG };
	t->req = (struct io_req){ .fd = fd, .write = write, .offset = offset, .iov = t->iov,
				  .iovcnt = pages, .end_io = tio_end };
	atomic_store(&t->res, INT_MIN);
}

static int tio_submit(struct io_engine *io, struct tio *t, int backend)
{
	int err = io_submit(io, &t->req);

	/* The sync backend completes inside io_submit; uring only from io_reap/io_wait_all. */
	if (!err)
		ck_assert_int_eq(atomic_load(&t->calls), backend == IO_BACKEND_SYNC ? 1 : 0);
	return err;
}

/* ---- the I/O layer --------------------------------------------------------------------- */

START_TEST(test_io_engine_new_rejects)
{
	struct io_engine *io = NULL;

	ck_assert_int_eq(io_engine_new(IO_BACKEND_SYNC, 0, &io), -EINVAL);
	ck_assert_int_eq(io_engine_new((enum io_backend)7, 8, &io), -EINVAL);
	ck_assert_ptr_null(io);
}
END_TEST

/* A vectored write and read through each backend: data, byte counts, stats. */
START_TEST(test_io_roundtrip)
{
	struct io_engine *io = make_io(_i, 8);
	char *out = page_buf(4, 1), *in = page_buf(4, 2);
	struct io_stats st;
	struct tmpfile f;
	struct tio w, r;

	tmpfile_open(&f, 16);
	tio_init(&w, f.fd, true, 2 * PG, out, 4);
	ck_assert_int_eq(tio_submit(io, &w, _i), 0);
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&w.calls), 1);
	ck_assert_int_eq(atomic_load(&w.res), 4 * PG);

	tio_init(&r, f.fd, false, 2 * PG, in, 4);
	ck_assert_int_eq(tio_submit(io, &r, _i), 0);
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&r.calls), 1);
	ck_assert_int_eq(atomic_load(&r.res), 4 * PG);
	ck_assert_mem_eq(in, out, 4 * PG);

	io_engine_stats(io, &st);
	ck_assert_uint_eq(st.writes, 1);
	ck_assert_uint_eq(st.reads, 1);
	ck_assert_uint_eq(st.write_bytes, 4 * PG);
	ck_assert_uint_eq(st.read_bytes, 4 * PG);
	ck_assert_int_eq(io_reap(io), 0);
	io_engine_free(io);
	tmpfile_close(&f);
	free(out);
	free(in);
}
END_TEST

/*
 * Requests whose buffers lie in registered memory (the arena) go as fixed-buffer vectored I/O:
 * the same bytes, scattered iovecs included, a short one still -EIO, and a buffer outside the
 * registered memory still works (vectored). Skipped where the kernel lacks it.
 */
START_TEST(test_io_fixed_buffers)
{
	struct io_engine *io = make_io(IO_BACKEND_URING, 8);
	char *arena = page_buf(16, 4), *other = page_buf(4, 5);
	static const int out_pages[4] = { 1, 7, 3, 12 }, in_pages[4] = { 0, 5, 9, 14 };
	struct io_stats st;
	struct tmpfile f;
	struct tio w, r;
	int i;

	register_or_skip(io, arena, 16 * PG);
	ck_assert_int_eq(io_engine_register(io, arena, 16 * PG), -EBUSY);
	tmpfile_open(&f, 16);
	tio_init(&w, f.fd, true, 4 * PG, arena, 4);
	for (i = 0; i < 4; i++)
		w.iov[i].iov_base = arena + out_pages[i] * PG;
	ck_assert_int_eq(tio_submit(io, &w, IO_BACKEND_URING), 0);
	tio_init(&r, f.fd, false, 4 * PG, arena, 4);
	for (i = 0; i < 4; i++)
		r.iov[i].iov_base = arena + in_pages[i] * PG;
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&w.res), 4 * PG);
	ck_assert_int_eq(tio_submit(io, &r, IO_BACKEND_URING), 0);
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&r.res), 4 * PG);
	for (i = 0; i < 4; i++)
		ck_assert_mem_eq(arena + in_pages[i] * PG, arena + out_pages[i] * PG, PG);
	io_engine_stats(io, &st);
	ck_assert_uint_eq(st.fixed, 2);

	/* Outside the registered memory: vectored, the same bytes. */
	tio_init(&r, f.fd, false, 4 * PG, other, 4);
	ck_assert_int_eq(tio_submit(io, &r, IO_BACKEND_URING), 0);
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&r.res), 4 * PG);
	for (i = 0; i < 4; i++)
		ck_assert_mem_eq(other + i * PG, arena + out_pages[i] * PG, PG);
	io_engine_stats(io, &st);
	ck_assert_uint_eq(st.fixed, 2);

	/* Past the end of the file from registered memory: short, so -EIO. */
	tio_init(&r, f.fd, false, 15 * PG, arena, 2);
	ck_assert_int_eq(tio_submit(io, &r, IO_BACKEND_URING), 0);
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&r.res), -EIO);
	io_engine_stats(io, &st);
	ck_assert_uint_eq(st.fixed, 3);
	tmpfile_close(&f);
	io_engine_free(io);
	free(arena);
	free(other);
}
END_TEST

/* A read that runs past the end of the file completes with -EIO, not a byte count. */
START_TEST(test_io_short_transfer)
{
	struct io_engine *io = make_io(_i, 8);
	char *buf = page_buf(2, 3);
	struct tmpfile f;
	struct tio r;

	tmpfile_open(&f, 1);
	tio_init(&r, f.fd, false, 0, buf, 2);
	ck_assert_int_eq(tio_submit(io, &r, _i), 0);
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&r.res), -EIO);
	io_engine_free(io);
	tmpfile_close(&f);
	free(buf);
}
END_TEST

/* The nth write (read) fails with the given errno and leaves the file alone; then disarmed. */
START_TEST(test_io_fault_injection)
{
	struct io_engine *io = make_io(_i, 8);
	char *out = page_buf(3, 4), *in = page_buf(1, 5), *zero = calloc(1, PG);
	struct tmpfile f;
	struct tio w[3], r[2];
	int i;

	tmpfile_open(&f, 4);
	io_inject_fault(io, true, 2, EIO);
	for (i = 0; i < 3; i++) {
		tio_init(&w[i], f.fd, true, (uint64_t)i * PG, out + i * PG, 1);
		ck_assert_int_eq(tio_submit(io, &w[i], _i), 0);
	}
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&w[0].res), PG);
	ck_assert_int_eq(atomic_load(&w[1].res), -EIO);
	ck_assert_int_eq(atomic_load(&w[2].res), PG);

	io_inject_fault(io, false, 1, ENOSPC);
	for (i = 0; i < 2; i++) {
		tio_init(&r[i], f.fd, false, PG, in, 1);
		ck_assert_int_eq(tio_submit(io, &r[i], _i), 0);
		io_wait_all(io);
	}
	ck_assert_int_eq(atomic_load(&r[0].res), -ENOSPC);
	ck_assert_int_eq(atomic_load(&r[1].res), PG);
	ck_assert_mem_eq(in, zero, PG);		/* the failed write never reached the file */
	io_engine_free(io);
	tmpfile_close(&f);
	free(out);
	free(in);
	free(zero);
}
END_TEST

/* More requests than the ring holds, never reaped by the submitter: io_submit makes room. */
START_TEST(test_io_full_ring)
{
	enum { NR = 40 };
	struct io_engine *io = make_io(_i, 4);
	char *buf = page_buf(NR, 6);
	struct tio *t = calloc(NR, sizeof(*t));
	struct tmpfile f;
	int i;

	tmpfile_open(&f, NR);
	for (i = 0; i < NR; i++) {
		tio_init(&t[i], f.fd, true, (uint64_t)i * PG, buf + (size_t)i * PG, 1);
		ck_assert_int_eq(io_submit(io, &t[i].req), 0);
	}
	io_wait_all(io);
	for (i = 0; i < NR; i++) {
		ck_assert_int_eq(atomic_load(&t[i].calls), 1);
		ck_assert_int_eq(atomic_load(&t[i].res), PG);
	}
	io_engine_free(io);
	tmpfile_close(&f);
	free(t);
	free(buf);
}
END_TEST

struct io_thread_arg {
	struct io_engine *io;
	int fd;
	int first;
	char *buf;
	struct tio *t;
};

enum { IO_THREAD_REQS = 48 };

static void *io_thread(void *p)
{
	struct io_thread_arg *a = p;
	int i;

	for (i = 0; i < IO_THREAD_REQS; i++) {
		int n = a->first + i;

		tio_init(&a->t[n], a->fd, true, (uint64_t)n * PG, a->buf + (size_t)n * PG, 1);
		ck_assert_int_eq(io_submit(a->io, &a->t[n].req), 0);
		if (i % 4 == 3)
			io_reap(a->io);
	}
	io_wait_all(a->io);
	return NULL;
}

/* Two threads submit and reap on one engine at once; every request completes exactly once. */
START_TEST(test_io_threads)
{
	struct io_engine *io = make_io(_i, 16);
	char *buf = page_buf(2 * IO_THREAD_REQS, 7), *back = page_buf(2 * IO_THREAD_REQS, 8);
	struct tio *t = calloc(2 * IO_THREAD_REQS, sizeof(*t));
	struct io_thread_arg a[2];
	pthread_t tid[2];
	struct tmpfile f;
	int i;

	tmpfile_open(&f, 2 * IO_THREAD_REQS);
	for (i = 0; i < 2; i++) {
		a[i] = (struct io_thread_arg){ io, f.fd, i * IO_THREAD_REQS, buf, t };
		ck_assert_int_eq(pthread_create(&tid[i], NULL, io_thread, &a[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	io_wait_all(io);
	for (i = 0; i < 2 * IO_THREAD_REQS; i++) {
		ck_assert_int_eq(atomic_load(&t[i].calls), 1);
		ck_assert_int_eq(atomic_load(&t[i].res), PG);
	}
	ck_assert_int_eq(pread(f.fd, back, 2 * IO_THREAD_REQS * PG, 0), 2 * IO_THREAD_REQS * PG);
	ck_assert_mem_eq(back, buf, 2 * IO_THREAD_REQS * PG);
	io_engine_free(io);
	tmpfile_close(&f);
	free(t);
	free(buf);
	free(back);
}
END_TEST

/* Under a seccomp filter that refuses io_uring_setup, as container runtimes do, the uring
 * backend reports -ENOSYS so that the caller falls back to sync. In a child: filters stay. */
START_TEST(test_io_uring_refused)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct io_engine *io = NULL;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(2);
		_exit(io_engine_new(IO_BACKEND_URING, 8, &io) == -ENOSYS ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- waited requests: the submitter's own ring ----------------------------------------- */

/*
 * A waited request (io_req.waited) on the uring backend goes on the submitting thread's own
 * ring: nobody else's io_reap delivers it, io_wait_for does, in the submitter, with the same
 * bytes as ever, from the registered buffers where they lie in them (the own ring shares the
 * engine's), and a fault injected into it still completes it with the error. A thread that
 * queued waited requests and calls io_wait_all instead gets them delivered there too.
 */
START_TEST(test_io_waited_own_ring)
{
	struct io_engine *io = make_io(IO_BACKEND_URING, 8);
	char *arena = page_buf(8, 11), *back = page_buf(8, 12);
	_Atomic int remaining;
	struct io_stats st;
	struct tmpfile f;
	struct tio w, r[2];

	register_or_skip(io, arena, 8 * PG);
	tmpfile_open(&f, 8);
	tio_init(&w, f.fd, true, 0, arena, 4);
	ck_assert_int_eq(io_submit(io, &w.req), 0);
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&w.res), 4 * PG);

	tio_init(&r[0], f.fd, false, 0, arena + 4 * PG, 4);
	r[0].req.waited = true;
	ck_assert_int_eq(io_submit(io, &r[0].req), 0);
	/* Queued on the own ring, not even entered: io_reap finds nothing to deliver. */
	ck_assert_int_eq(io_reap(io), 0);
	ck_assert_int_eq(atomic_load(&r[0].calls), 0);
	io_engine_stats(io, &st);
	ck_assert_uint_eq(st.own, 1);
	ck_assert_uint_eq(st.fixed, 2);
	atomic_store(&remaining, 0);	/* the count is the caller's: only the own ring matters */
	io_wait_for(io, &remaining);
	ck_assert_int_eq(atomic_load(&r[0].calls), 1);
	ck_assert_int_eq(atomic_load(&r[0].res), 4 * PG);
	ck_assert_mem_eq(arena + 4 * PG, arena, 4 * PG);

	/* Outside the registered memory, through io_wait_all, and a fault: the same rules. */
	tio_init(&r[0], f.fd, false, 0, back, 4);
	r[0].req.waited = true;
	ck_assert_int_eq(io_submit(io, &r[0].req), 0);
	io_inject_fault(io, false, 1, ENOSPC);
	tio_init(&r[1], f.fd, false, 0, back + 4 * PG, 4);
	r[1].req.waited = true;
	ck_assert_int_eq(io_submit(io, &r[1].req), 0);
	io_wait_all(io);
	ck_assert_int_eq(atomic_load(&r[0].res), 4 * PG);
	ck_assert_mem_eq(back, arena, 4 * PG);
	ck_assert_int_eq(atomic_load(&r[1].calls), 1);
	ck_assert_int_eq(atomic_load(&r[1].res), -ENOSPC);
	io_engine_stats(io, &st);
	ck_assert_uint_eq(st.own, 3);
	ck_assert_uint_eq(st.fixed, 2);
	io_engine_free(io);
	tmpfile_close(&f);
	free(arena);
	free(back);
}
END_TEST

/* This process's open descriptors. */
static int open_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 4096; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/*
 * The engine freed, the freeing thread's own ring for it goes too (its descriptor, and the
 * cloned buffers that pin the engine's memory), not at the thread's exit.
 */
START_TEST(test_io_waited_own_ring_freed_with_engine)
{
	int fds = open_fds();
	struct io_engine *io = make_io(IO_BACKEND_URING, 8);
	char *arena = page_buf(4, 15);
	_Atomic int remaining = 0;
	struct io_stats st;
	struct tmpfile f;
	struct tio r;

	register_or_skip(io, arena, 4 * PG);
	tmpfile_open(&f, 4);
	tio_init(&r, f.fd, false, 0, arena, 4);
	r.req.waited = true;
	ck_assert_int_eq(io_submit(io, &r.req), 0);
	io_wait_for(io, &remaining);
	io_engine_stats(io, &st);
	ck_assert_uint_eq(st.own, 1);
	ck_assert_int_eq(atomic_load(&r.res), 4 * PG);
	io_engine_free(io);
	tmpfile_close(&f);
	ck_assert_int_eq(open_fds(), fds);
	free(arena);
}
END_TEST

/* One thread's request whose completion only a write into a pipe brings: it reaps for it. */
struct pipe_reaper {
	struct io_engine *io;
	struct tio t;
	_Atomic int remaining;
	_Atomic pid_t tid;
};

static void pipe_tio_end(struct io_req *req, int res)
{
	struct pipe_reaper *p = (struct pipe_reaper *)((char *)req - offsetof(struct pipe_reaper, t));

	tio_end(req, res);
	atomic_fetch_sub(&p->remaining, 1);
}

static void *pipe_reaper_main(void *arg)
{
	struct pipe_reaper *p = arg;

	atomic_store(&p->tid, (pid_t)syscall(SYS_gettid));
	io_wait_for(p->io, &p->remaining);
	return NULL;
}

/* Whether thread @tid is blocked in io_uring_enter (its /proc syscall line). */
static bool in_io_uring_enter(pid_t tid)
{
	char path[64], line[64] = "";
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	fp = fopen(path, "r");
	if (!fp)
		return false;
	if (!fgets(line, sizeof(line), fp))
		line[0] = 0;
	fclose(fp);
	return atoi(line) == __NR_io_uring_enter;
}

struct waiter {
	struct io_engine *io;
	struct tio t;
	_Atomic int remaining;
	pthread_t self, delivered_by;	/* the waiting thread; the one its end_io ran in */
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
};

static void waiter_end(struct io_req *req, int res)
{
	struct waiter *w = (struct waiter *)((char *)req - offsetof(struct waiter, t));

	w->delivered_by = pthread_self();
	tio_end(req, res);
	atomic_fetch_sub(&w->remaining, 1);
}

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->self = pthread_self();
	atomic_store(&w->remaining, 1);
	ck_assert_int_eq(io_submit(w->io, &w->t.req), 0);
	io_wait_for(w->io, &w->remaining);
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->done_cond);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * A thread waiting for its own read is woken by that read's completion and delivers it
 * itself, whoever is the shared ring's reaper: here the reaper sleeps in the kernel for a
 * read of an empty pipe, which any completion on the shared ring would wake to deliver it
 * (two wake-ups, the waiter's only after the reaper's end_io calls), and a second thread's
 * waited file read completes in that thread (within 10 s, the bound of a failure that would
 * otherwise hang) while the pipe read is pending.
 */
START_TEST(test_io_waited_delivered_by_waiter)
{
	struct io_engine *io = make_io(IO_BACKEND_URING, 8);
	struct pipe_reaper pr = { .io = io };
	struct waiter w = { .io = io };
	char *pbuf = page_buf(1, 13), *fbuf = page_buf(1, 14);
	pthread_t rt, wt;
	struct timespec until;
	struct tmpfile f;
	int pfd[2], i;
	bool done;

	tmpfile_open(&f, 1);
	ck_assert_int_eq(pipe(pfd), 0);
	tio_init(&pr.t, pfd[0], false, 0, pbuf, 1);
	pr.t.req.end_io = pipe_tio_end;
	pr.t.iov[0].iov_len = 1;
	atomic_store(&pr.remaining, 1);
	ck_assert_int_eq(io_submit(io, &pr.t.req), 0);
	ck_assert_int_eq(pthread_create(&rt, NULL, pipe_reaper_main, &pr), 0);
	for (i = 0; i < 10000 && !(atomic_load(&pr.tid) && in_io_uring_enter(atomic_load(&pr.tid)));
	     i++)
		usleep(1000);	/* polls a condition, bounded: 10 s */
	ck_assert_msg(atomic_load(&pr.tid) && in_io_uring_enter(atomic_load(&pr.tid)),
		      "the reaper never slept in the kernel");

	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.done_cond, NULL);
	tio_init(&w.t, f.fd, false, 0, fbuf, 1);
	w.t.req.end_io = waiter_end;
	w.t.req.waited = true;
	ck_assert_int_eq(pthread_create(&wt, NULL, waiter_main, &w), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&w.lock);
	while (!w.done && pthread_cond_timedwait(&w.done_cond, &w.lock, &until) == 0)
		;
	done = w.done;
	pthread_mutex_unlock(&w.lock);
	ck_assert_int_eq(atomic_load(&pr.t.calls), 0);	/* the pipe read is still pending */
	/* Let everything finish before judging, so that a failure does not hang. */
	ck_assert_int_eq(write(pfd[1], "x", 1), 1);
	pthread_join(rt, NULL);
	pthread_join(wt, NULL);
	ck_assert_msg(done, "the waited read waited for the reaper");
	ck_assert_msg(pthread_equal(w.delivered_by, w.self), "the reaper delivered the waited read");
	ck_assert_int_eq(atomic_load(&w.t.res), PG);
	ck_assert_int_eq(atomic_load(&pr.t.res), 1);
	io_engine_free(io);
	close(pfd[0]);
	close(pfd[1]);
	tmpfile_close(&f);
	pthread_cond_destroy(&w.done_cond);
	pthread_mutex_destroy(&w.lock);
	free(pbuf);
	free(fbuf);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc;

	tc = tcase_create("crc32c");
	tcase_add_test(tc, test_crc32c_vectors);
	tcase_add_test(tc, test_crc32c_paths_agree);
	suite_add_tcase(s, tc);

	/* Loop index: the backend (IO_BACKEND_SYNC, IO_BACKEND_URING). */
	tc = tcase_create("io");
	tcase_add_test(tc, test_io_engine_new_rejects);
	tcase_add_loop_test(tc, test_io_roundtrip, IO_BACKEND_SYNC, IO_BACKEND_URING + 1);
	tcase_add_loop_test(tc, test_io_short_transfer, IO_BACKEND_SYNC, IO_BACKEND_URING + 1);
	tcase_add_loop_test(tc, test_io_fault_injection, IO_BACKEND_SYNC, IO_BACKEND_URING + 1);
	tcase_add_loop_test(tc, test_io_full_ring, IO_BACKEND_SYNC, IO_BACKEND_URING + 1);
	tcase_add_loop_test(tc, test_io_threads, IO_BACKEND_SYNC, IO_BACKEND_URING + 1);
	tcase_add_test(tc, test_io_uring_refused);
	tcase_add_test(tc, test_io_fixed_buffers);
	tcase_add_test(tc, test_io_waited_own_ring);
	tcase_add_test(tc, test_io_waited_own_ring_freed_with_engine);
	tcase_add_test(tc, test_io_waited_delivered_by_waiter);
	suite_add_tcase(s, tc);
	return s;
}
