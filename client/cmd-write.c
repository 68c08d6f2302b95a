/*
 * cmd-write.c - `reclaimctl write ID OFFSET [DATA]`: write DATA (or stdin) into a region;
 * `write ID --ranges OFFSET+LENGTH,... [DATA]`: DATA (or stdin) spread over scattered ranges,
 * one after the other, in one request.
 */
#include <stdlib.h>
#include <string.h>

#include "range.h"

static int exec_write(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_write_entry = {
	.name = "write",
	.usage = "ID OFFSET [DATA] | ID --ranges OFFSET+LENGTH,... [DATA]",
	.help = "write DATA, or standard input, at byte OFFSET of a region; --ranges: over many "
		"ranges in one request, as many bytes as they hold",
	.min_args = 2,
	.max_args = 4,
	.exec = exec_write,
};

/* Standard input goes out in pieces of this size: any input length, any server frame limit. */
#define WRITE_CHUNK	(256u << 10)

/* {"bytes":N} in JSON mode; a plain write says nothing. */
static void print_written(struct cmd_ctx *ctx, uint64_t bytes)
{
	struct json_object *doc;

	if (!ctx->json)
		return;
	doc = json_object_new_object();
	json_add_u64(doc, "bytes", bytes);
	json_print(doc);
}

/* All of standard input, up to LIMIT bytes and one more (to tell a longer input): the bytes
 * in *RET (for free(3)), their count in *RET_LEN. 0 or -1. */
static int slurp_stdin(size_t limit, unsigned char **ret, size_t *ret_len)
{
	unsigned char *buf = malloc(limit + 1);
	size_t n = 0, got;

	if (!buf)
		return -1;
	while (n <= limit && (got = fread(buf + n, 1, limit + 1 - n, stdin)) > 0)
		n += got;
	if (ferror(stdin)) {
		free(buf);
		return -1;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

/* `write ID --ranges LIST [DATA]`: the ranges' bytes exactly, from DATA or standard input. */
static int write_list(struct cmd_ctx *ctx, uint64_t id, const char *list, const char *data)
{
	struct range_item *items;
	struct rclc_iovec *iov = NULL;
	unsigned char *buf = NULL;
	size_t i, n, len, total = 0;
	int ret;

	if (parse_range_list("write", list, &items, &n) < 0)
		return EXIT_USAGE;
	for (i = 0; i < n; i++) {
		if (items[i].len > RCLC_MAX_FRAME - total) {
			free(items);
			return ctl_usage(&cmd_write_entry, "--ranges: more bytes than a frame holds");
		}
		total += items[i].len;
	}
	if (data) {
		len = strlen(data);
		buf = (unsigned char *)strdup(data);
	} else if (slurp_stdin(total, &buf, &len) < 0) {
		buf = NULL;
	}
	if (!buf) {
		free(items);
		fprintf(stderr, "reclaimctl write: cannot read standard input\n");
		return EXIT_USAGE;
	}
	if (len != total) {
		if (len > total)
			fprintf(stderr, "reclaimctl write: the ranges hold %zu bytes, the data has "
				"more\n", total);
		else
			fprintf(stderr, "reclaimctl write: the ranges hold %zu bytes, the data has "
				"%zu\n", total, len);
		free(items);
		free(buf);
		return EXIT_USAGE;
	}
	ret = ctl_connect(ctx);
	if (ret == 0) {
		iov = calloc(n, sizeof(*iov));
		ret = iov ? 0 : EXIT_FAILURE;
	}
	for (i = 0, total = 0; ret == 0 && i < n; i++) {
		iov[i] = (struct rclc_iovec){ .offset = items[i].start, .len = items[i].len,
					      .buf = buf + total };
		total += items[i].len;
	}
	if (ret == 0) {
		ret = rclc_writev(ctx->conn, id, iov, n);
		ret = ret < 0 ? ctl_fail(ctx, ret) : 0;
	}
	if (ret == 0)
		print_written(ctx, total);
	free(items);
	free(iov);
	free(buf);
	return ret;
}

static int exec_write(struct cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t id, offset, total = 0;
	uint8_t *buf;
	size_t n;
	int ret;

	/* ID --ranges LIST [DATA] or ID --ranges=LIST [DATA] */
	if (!strncmp(argv[2], "--ranges", 8) && (argv[2][8] == '=' || !argv[2][8])) {
		bool joined = argv[2][8] == '=';

		if (ctl_parse_u64(argv[1], &id) < 0 || (!joined && argc < 4) ||
		    argc > (joined ? 4 : 5))
			return ctl_usage(&cmd_write_entry, NULL);
		return write_list(ctx, id, joined ? argv[2] + 9 : argv[3],
				  argc > (joined ? 3 : 4) ? argv[argc - 1] : NULL);
	}
	if (argc > 4)
		return ctl_usage(&cmd_write_entry, NULL);
	if (ctl_parse_u64(argv[1], &id) < 0 || ctl_parse_u64(argv[2], &offset) < 0)
		return ctl_usage(&cmd_write_entry, "ID and OFFSET are numbers");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	if (argc == 4) {
		n = strlen(argv[3]);
		ret = rclc_write(ctx->conn, id, offset, argv[3], n);
		if (ret < 0)
			return ctl_fail(ctx, ret);
		total = n;
	} else {
		uint64_t size;

		/* Standard input goes in pieces, and how long it is shows only at its end: a
		 * piece that would run past the region stops the write before it is sent, with
		 * what was written and the region's size. */
		ret = ctl_region_bytes(ctx, id, &size);
		if (ret)
			return ret;
		buf = malloc(WRITE_CHUNK);
		if (!buf)
			return EXIT_FAILURE;
		while ((n = fread(buf, 1, WRITE_CHUNK, stdin)) > 0) {
			if (offset > size || n > size - offset) {
				free(buf);
				return ctl_refuse(ctx, RCLC_CODE_INVALID_ARGUMENT,
						  "write: standard input runs past the end of region "
						  "%" PRIu64 " (%" PRIu64 " bytes); the %" PRIu64
						  " bytes before that were written", id, size, total);
			}
			ret = rclc_write(ctx->conn, id, offset, buf, n);
			if (ret < 0) {
				free(buf);
				return ctl_fail(ctx, ret);
			}
			total += n;
			offset += n;
		}
		free(buf);
		if (ferror(stdin)) {
			fprintf(stderr, "reclaimctl write: cannot read standard input\n");
			return EXIT_USAGE;
		}
	}
	print_written(ctx, total);
	return 0;
}
