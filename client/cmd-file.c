/*
 * cmd-file.c - buffered file I/O on data directory files: `reclaimctl fread`, `fwrite`,
 * `fadvise` and `rm` (FileRead, FileWrite, FileAdvise, FileRemove).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "reclaimctl.h"

#define FILE_CHUNK	(256u << 10)	/* standard input goes out in pieces of this size */

static int exec_fread(struct cmd_ctx *ctx, int argc, char **argv);
static int exec_fwrite(struct cmd_ctx *ctx, int argc, char **argv);
static int exec_fadvise(struct cmd_ctx *ctx, int argc, char **argv);
static int exec_rm(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_fread_entry = {
	.name = "fread",
	.usage = "PATH OFFSET LENGTH [OFFSET LENGTH]... [--memcg PATH] [--discard]",
	.help = "read() ranges of a data directory file through the page cache to standard "
		"output",
	.min_args = 3,
	.max_args = -1,
	.exec = exec_fread,
};

const struct cmd_entry cmd_fwrite_entry = {
	.name = "fwrite",
	.usage = "PATH OFFSET [DATA | --fill BYTE --length LEN] [--memcg PATH] [--mode MODE]",
	.help = "write() DATA (or standard input, or LEN bytes of BYTE) into a data directory "
		"file through the page cache",
	.min_args = 2,
	.max_args = -1,
	.exec = exec_fwrite,
};

const struct cmd_entry cmd_fadvise_entry = {
	.name = "fadvise",
	.usage = "PATH normal|random|sequential|willneed|dontneed|noreuse [OFFSET [LENGTH]] "
		 "[--memcg PATH]",
	.help = "posix_fadvise() on a data directory file, as this connection holds it open",
	.min_args = 2,
	.max_args = -1,
	.exec = exec_fadvise,
};

const struct cmd_entry cmd_rm_entry = {
	.name = "rm",
	.usage = "PATH",
	.help = "remove a data directory file (its owner, root or the admin group)",
	.min_args = 1,
	.max_args = 1,
	.exec = exec_rm,
};

static const struct option memcg_options[] = {
	{ "memcg", required_argument, NULL, 'm' },
	{ "discard", no_argument, NULL, 'd' },
	{ "fill", required_argument, NULL, 'f' },
	{ "length", required_argument, NULL, 'l' },
	{ "mode", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 },
};

/* {"bytes":N,"hex":[...]}: each range's bytes as one hex string (none when discarded). */
static void print_fread_json(const struct rclc_iovec *iov, const size_t *lens, size_t n,
			     uint64_t bytes)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *hex = json_object_new_array_ext((int)n);
	size_t i;

	json_add_u64(doc, "bytes", bytes);
	for (i = 0; lens && i < n; i++)
		json_object_array_add(hex, json_hex(iov[i].buf, lens[i]));
	json_object_object_add(doc, "hex", hex);
	json_print(doc);
}

/* The ranges of ARGV[0..2N) (OFFSET LENGTH pairs) into IOV[N]: 0 or -EINVAL. */
static int parse_ranges(char **argv, struct rclc_iovec *iov, size_t n, uint64_t *ret_total)
{
	uint64_t len, total = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ctl_parse_u64(argv[2 * i], &iov[i].offset) < 0 ||
		    ctl_parse_u64(argv[2 * i + 1], &len) < 0 || len > SIZE_MAX)
			return -EINVAL;
		iov[i].len = (size_t)len;
		total += len;
	}
	*ret_total = total;
	return 0;
}

/* A buffer for each range of IOV[N], all in one allocation (freed with iov[0].buf). */
static int give_buffers(struct rclc_iovec *iov, size_t n, uint64_t total)
{
	uint8_t *p = malloc(total ? total : 1);
	size_t i;

	if (!p)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		iov[i].buf = p;
		p += iov[i].len;
	}
	return 0;
}

static int fread_ranges(struct cmd_ctx *ctx, const char *path, const char *memcg,
			struct rclc_iovec *iov, size_t n, uint64_t total, bool discard)
{
	size_t *lens = NULL, i;
	uint64_t bytes = 0;
	int ret = ctl_connect(ctx);

	if (ret)
		return ret;
	if (discard) {
		ret = rclc_file_readv_discard(ctx->conn, path, memcg, iov, n, &bytes);
		if (ret < 0)
			return ctl_fail(ctx, ret);
	} else {
		/* The daemon refuses a reply over its frame limit: no buffer that large here. */
		if (total > ctx->hello.max_frame_bytes) {
			fprintf(stderr, "reclaimctl fread: %" PRIu64 " bytes in %zu range%s are "
				"over the daemon's frame limit (%u bytes): read fewer, or "
				"--discard\n", total, n, n == 1 ? "" : "s",
				ctx->hello.max_frame_bytes);
			if (ctx->json)
				json_print_error("INVALID_ARGUMENT", "over the frame limit");
			return RCLC_CODE_INVALID_ARGUMENT;
		}
		lens = calloc(n, sizeof(*lens));
		if (!lens || give_buffers(iov, n, total) < 0) {
			free(lens);
			fprintf(stderr, "reclaimctl fread: out of memory\n");
			return EXIT_FAILURE;
		}
		ret = rclc_file_readv(ctx->conn, path, memcg, iov, n, lens, &bytes);
		if (ret < 0) {
			ret = ctl_fail(ctx, ret);
			goto out;
		}
	}
	if (ctx->json) {
		print_fread_json(iov, lens, n, bytes);
	} else {
		for (i = 0; lens && i < n; i++)
			fwrite(iov[i].buf, 1, lens[i], stdout);
		if (discard)
			printf("%" PRIu64 "\n", bytes);
	}
out:
	if (lens)
		free(iov[0].buf);
	free(lens);
	return ret;
}

static int exec_fread(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *memcg = NULL;
	struct rclc_iovec *iov;
	bool discard = false;
	uint64_t total;
	size_t n;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", memcg_options, NULL)) != -1) {
		switch (opt) {
		case 'm': memcg = optarg; break;
		case 'd': discard = true; break;
		default: return ctl_usage(&cmd_fread_entry, NULL);
		}
	}
	if (argc - optind < 3 || (argc - optind - 1) % 2)
		return ctl_usage(&cmd_fread_entry, "PATH, then OFFSET LENGTH pairs");
	n = (size_t)(argc - optind - 1) / 2;
	iov = calloc(n, sizeof(*iov));
	if (!iov)
		return EXIT_FAILURE;
	if (parse_ranges(argv + optind + 1, iov, n, &total) < 0)
		ret = ctl_usage(&cmd_fread_entry, "OFFSET and LENGTH are sizes");
	else
		ret = fread_ranges(ctx, argv[optind], memcg, iov, n, total, discard);
	free(iov);
	return ret;
}

struct fwrite_args {
	const char *path, *memcg;
	int mode;		/* -1: the default */
};

/* LEN bytes of DATA at *OFFSET (or, DATA NULL, LEN bytes of FILL); moves *OFFSET on. */
static int fwrite_piece(struct cmd_ctx *ctx, const struct fwrite_args *a, uint64_t *offset,
			const uint8_t *data, uint64_t len, uint8_t fill)
{
	int ret;

	if (data)
		ret = rclc_file_write(ctx->conn, a->path, a->memcg, *offset, data, (size_t)len,
				      a->mode);
	else
		ret = rclc_file_fill(ctx->conn, a->path, a->memcg, *offset, len, fill, a->mode);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	*offset += len;
	return 0;
}

static int fwrite_stdin(struct cmd_ctx *ctx, const struct fwrite_args *a, uint64_t *offset)
{
	uint8_t *buf = malloc(FILE_CHUNK);
	size_t n;
	int ret = 0;

	if (!buf)
		return EXIT_FAILURE;
	while (!ret && (n = fread(buf, 1, FILE_CHUNK, stdin)) > 0)
		ret = fwrite_piece(ctx, a, offset, buf, n, 0);
	if (!ret && ferror(stdin)) {
		fprintf(stderr, "reclaimctl fwrite: cannot read standard input\n");
		ret = EXIT_USAGE;
	}
	free(buf);
	return ret;
}

static int exec_fwrite(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct fwrite_args a = { .mode = -1 };
	uint64_t offset, start, length = 0, fill = 0;
	bool has_fill = false, has_length = false;
	uint32_t mode;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", memcg_options, NULL)) != -1) {
		switch (opt) {
		case 'm': a.memcg = optarg; break;
		case 'f':
			if (ctl_parse_u64(optarg, &fill) < 0 || fill > 255)
				return ctl_usage(&cmd_fwrite_entry, "BYTE is 0..255");
			has_fill = true;
			break;
		case 'l':
			if (ctl_parse_u64(optarg, &length) < 0 || length == 0)
				return ctl_usage(&cmd_fwrite_entry, "LEN is a size above 0");
			has_length = true;
			break;
		case 'o':
			if (ctl_parse_mode(optarg, &mode) < 0)
				return ctl_usage(&cmd_fwrite_entry, "MODE must be octal, 0 to 0777");
			a.mode = (int)mode;
			break;
		default: return ctl_usage(&cmd_fwrite_entry, NULL);
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		return ctl_usage(&cmd_fwrite_entry, "PATH OFFSET [DATA]");
	a.path = argv[optind];
	if (ctl_parse_u64(argv[optind + 1], &offset) < 0)
		return ctl_usage(&cmd_fwrite_entry, "OFFSET is a size");
	if (has_fill != has_length || (has_fill && argc - optind == 3))
		return ctl_usage(&cmd_fwrite_entry, "--fill and --length go together, without DATA");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	start = offset;
	if (has_fill)
		ret = fwrite_piece(ctx, &a, &offset, NULL, length, (uint8_t)fill);
	else if (argc - optind == 3)
		ret = fwrite_piece(ctx, &a, &offset, (const uint8_t *)argv[optind + 2],
				   strlen(argv[optind + 2]), 0);
	else
		ret = fwrite_stdin(ctx, &a, &offset);
	if (ret)
		return ret;
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "bytes", offset - start);
		json_print(doc);
	}
	return 0;
}

static const char *const advice_names[] = {
	[RCLC_FADV_NORMAL] = "normal",
	[RCLC_FADV_RANDOM] = "random",
	[RCLC_FADV_SEQUENTIAL] = "sequential",
	[RCLC_FADV_WILLNEED] = "willneed",
	[RCLC_FADV_DONTNEED] = "dontneed",
	[RCLC_FADV_NOREUSE] = "noreuse",
};

static int exec_fadvise(struct cmd_ctx *ctx, int argc, char **argv)
{
	size_t i, nr = sizeof(advice_names) / sizeof(advice_names[0]);
	uint64_t offset = 0, length = 0;
	const char *memcg = NULL;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", memcg_options, NULL)) != -1) {
		if (opt != 'm')
			return ctl_usage(&cmd_fadvise_entry, NULL);
		memcg = optarg;
	}
	if (argc - optind < 2 || argc - optind > 4)
		return ctl_usage(&cmd_fadvise_entry, "PATH ADVICE [OFFSET [LENGTH]]");
	for (i = 0; i < nr && strcmp(argv[optind + 1], advice_names[i]); i++)
		;
	if (i == nr)
		return ctl_usage(&cmd_fadvise_entry, "unknown ADVICE");
	if ((argc - optind > 2 && ctl_parse_u64(argv[optind + 2], &offset) < 0) ||
	    (argc - optind > 3 && ctl_parse_u64(argv[optind + 3], &length) < 0))
		return ctl_usage(&cmd_fadvise_entry, "OFFSET and LENGTH are sizes");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	ret = rclc_file_advise(ctx->conn, argv[optind], offset, length,
			       (enum rclc_fadvice)i, memcg);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	ctl_print_ok(ctx, NULL);
	return 0;
}

static int exec_rm(struct cmd_ctx *ctx, int argc, char **argv)
{
	int ret = ctl_connect(ctx);

	(void)argc;
	if (ret)
		return ret;
	ret = rclc_file_remove(ctx->conn, argv[1]);
	if (ret < 0)
		return ctl_fail(ctx, ret);
	ctl_print_ok(ctx, NULL);
	return 0;
}
