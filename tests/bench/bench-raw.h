/*
 * bench-raw.h - the raw limits a daemon benchmark prints its figures beside, measured in the
 * same run on the same file system (the machine is shared and noisy: a figure means nothing
 * next to a limit measured another day):
 *
 *   writes  RAW_BS sequential O_DIRECT writes, RAW_QD in flight through io_uring (fio's way),
 *           through a fresh fallocated file, written once: every write is a first write, as
 *           a fresh swap file's are;
 *   reads   random 4 KiB O_DIRECT reads of what was written, at a queue depth the caller
 *           chooses (the engine's own).
 *
 * Needs bench-daemon.h (now()) and a die(what, err) of the including benchmark's.
 */
#ifndef RCL_BENCH_RAW_H
#define RCL_BENCH_RAW_H

#include <fcntl.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAW_PAGE		4096u
#define RAW_BS			(128 * 1024)
#define RAW_QD			32

static struct io_uring raw_ring;
static char *raw_bufs;		/* RAW_QD buffers of RAW_BS, page aligned */

static void die(const char *what, int err);

static void raw_init(void)
{
	int err;

	if (posix_memalign((void **)&raw_bufs, RAW_PAGE, (size_t)RAW_QD * RAW_BS))
		die("posix_memalign", ENOMEM);
	memset(raw_bufs, 0x5a, (size_t)RAW_QD * RAW_BS);
	err = io_uring_queue_init(RAW_QD, &raw_ring, 0);
	if (err < 0)
		die("io_uring_queue_init", err);
}

static void raw_exit(void)
{
	io_uring_queue_exit(&raw_ring);
	free(raw_bufs);
}

/* Wait for one completion: its user_data (the buffer index) and result. */
static int raw_uring_one(int *ret_res)
{
	struct io_uring_cqe *cqe;
	int err = io_uring_wait_cqe(&raw_ring, &cqe), idx;

	if (err < 0)
		die("io_uring_wait_cqe", err);
	idx = (int)io_uring_cqe_get_data64(cqe);
	*ret_res = cqe->res;
	io_uring_cqe_seen(&raw_ring, cqe);
	return idx;
}

static void raw_uring_queue(int fd, bool write, void *buf, unsigned int len, off_t off, int idx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&raw_ring);

	if (!sqe)
		die("io_uring_get_sqe", EBUSY);
	if (write)
		io_uring_prep_write(sqe, fd, buf, len, (uint64_t)off);
	else
		io_uring_prep_read(sqe, fd, buf, len, (uint64_t)off);
	io_uring_sqe_set_data64(sqe, (uint64_t)idx);
}

/*
 * Sequential RAW_BS writes with RAW_QD in flight through @fd (fresh and fallocated to
 * @max_bytes), for @seconds or one pass. *@ret_bytes: how much was written. MiB/s.
 */
static double raw_write(int fd, uint64_t max_bytes, double seconds, uint64_t *ret_bytes)
{
	uint64_t next = 0, done = 0;
	unsigned int inflight = 0;
	double t0 = now(), t = t0;
	int i, res, idx;

	for (i = 0; i < RAW_QD; i++) {
		raw_uring_queue(fd, true, raw_bufs + (size_t)i * RAW_BS, RAW_BS, (off_t)next, i);
		next += RAW_BS;
		inflight++;
	}
	io_uring_submit(&raw_ring);
	while (inflight) {
		idx = raw_uring_one(&res);
		inflight--;
		if (res != RAW_BS)
			die("raw write", res < 0 ? res : EIO);
		done += RAW_BS;
		if ((done & ((16u << 20) - 1)) == 0)
			t = now();
		if (next < max_bytes && t - t0 < seconds) {
			raw_uring_queue(fd, true, raw_bufs + (size_t)idx * RAW_BS, RAW_BS,
					(off_t)next, idx);
			next += RAW_BS;
			inflight++;
			io_uring_submit(&raw_ring);
		}
	}
	t = now() - t0;
	*ret_bytes = done;
	return (double)done / (1u << 20) / t;
}

/* Random 4 KiB reads of the first @bytes of @fd, @qd (at most RAW_QD) in flight, for
 * @seconds: reads/s. */
static double raw_read(int fd, uint64_t bytes, unsigned int qd, double seconds)
{
	unsigned int seed = 1, inflight = 0, i;
	uint64_t done = 0;
	double t0 = now(), t = t0;
	int res, idx;

	for (i = 0; i < qd; i++, inflight++)
		raw_uring_queue(fd, false, raw_bufs + (size_t)i * RAW_PAGE, RAW_PAGE,
				(off_t)(rand_r(&seed) % (bytes / RAW_PAGE) * RAW_PAGE), (int)i);
	io_uring_submit(&raw_ring);
	while (inflight) {
		idx = raw_uring_one(&res);
		inflight--;
		if (res != (int)RAW_PAGE)
			die("raw read", res < 0 ? res : EIO);
		if ((++done & 255) == 0)
			t = now();
		if (t - t0 < seconds) {
			raw_uring_queue(fd, false, raw_bufs + (size_t)idx * RAW_PAGE, RAW_PAGE,
					(off_t)(rand_r(&seed) % (bytes / RAW_PAGE) * RAW_PAGE), idx);
			inflight++;
			io_uring_submit(&raw_ring);
		}
	}
	return (double)done / (now() - t0);
}

/*
 * One raw round on a fresh file at @path, fallocated to @max_bytes: the write (MiB/s); with
 * @nr_qd > 0 also the random reads of what it wrote at each depth of @qds (reads/s in
 * @ret_reads). The file is removed.
 */
static double raw_round(const char *path, uint64_t max_bytes, double seconds,
			const unsigned int *qds, int nr_qd, double read_seconds, double *ret_reads)
{
	uint64_t written;
	double mib;
	int fd, i;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0)
		die(path, errno);
	if (fallocate(fd, 0, 0, (off_t)max_bytes))
		die("fallocate", errno);
	mib = raw_write(fd, max_bytes, seconds, &written);
	for (i = 0; i < nr_qd; i++)
		ret_reads[i] = raw_read(fd, written, qds[i], read_seconds);
	close(fd);
	unlink(path);
	return mib;
}

#endif
