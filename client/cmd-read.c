/*
 * cmd-read.c - `reclaimctl read ID OFFSET LENGTH`: copy bytes of a region to standard output;
 * `read ID --ranges OFFSET+LENGTH,...`: scattered ones, in one request, one after the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

#define READ_CHUNK	(256u << 10)
/* --json prints one string, so it holds all the bytes (and their hex, twice) at once. */
#define JSON_READ_MAX	(256u << 20)

static int exec_read(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_read_entry = {
	.name = "read",
	.usage = "ID OFFSET LENGTH | ID --ranges OFFSET+LENGTH,...",
	.help = "read LENGTH bytes at OFFSET of a region to standard output; --ranges: the "
		"bytes of many ranges in one request, one after the other",
	.min_args = 2,
	.max_args = 3,
	.exec = exec_read,
};

/* The bytes read: as they are, or {"hex":"..."} in JSON mode. */
static void put_bytes(struct cmd_ctx *ctx, const unsigned char *buf, size_t len)
{
	struct json_object *doc;

	if (!ctx->json) {
		fwrite(buf, 1, len, stdout);
		return;
	}
	doc = json_object_new_object();
	json_object_object_add(doc, "hex", json_hex(buf, len));
	json_print(doc);
}

/* `read ID --ranges LIST`: one vectored request (the daemon bounds it by its frame limit). */
static int read_list(struct cmd_ctx *ctx, uint64_t id, const char *list)
{
	struct range_item *items;
	struct rclc_iovec *iov = NULL;
	unsigned char *buf = NULL;
	uint64_t total = 0;
	size_t i, n;
	int ret;

	if (parse_range_list("read", list, &items, &n) < 0)
		return EXIT_USAGE;
	for (i = 0; i < n; i++) {
		if (items[i].len > RCLC_MAX_FRAME - total) {
			free(items);
			return ctl_usage(&cmd_read_entry, "--ranges: more bytes than a frame holds");
		}
		total += items[i].len;
	}
	ret = ctl_connect(ctx);
	if (ret == 0) {
		iov = calloc(n, sizeof(*iov));
		buf = malloc(total ? total : 1);
		ret = iov && buf ? 0 : EXIT_FAILURE;
	}
	for (i = 0, total = 0; ret == 0 && i < n; i++) {
		iov[i] = (struct rclc_iovec){ .offset = items[i].start, .len = items[i].len,
					      .buf = buf + total };
		total += items[i].len;
	}
	if (ret == 0) {
		ret = rclc_readv(ctx->conn, id, iov, n, NULL);
		ret = ret < 0 ? ctl_fail(ctx, ret) : 0;
	}
	if (ret == 0)
		put_bytes(ctx, buf, total);
	free(items);
	free(iov);
	free(buf);
	return ret;
}

static int exec_read(struct cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t id, offset, length, done = 0, kept = 0;
	unsigned char *buf;
	size_t got;
	int ret;

	/* ID --ranges LIST or ID --ranges=LIST */
	if ((argc == 4 && !strcmp(argv[2], "--ranges")) ||
	    (argc == 3 && !strncmp(argv[2], "--ranges=", 9)))
		return ctl_parse_u64(argv[1], &id) < 0 ?
		       ctl_usage(&cmd_read_entry, "ID is a number") :
		       read_list(ctx, id, argc == 4 ? argv[3] : argv[2] + 9);
	if (argc != 4 || ctl_parse_u64(argv[1], &id) < 0 || ctl_parse_u64(argv[2], &offset) < 0 ||
	    ctl_parse_u64(argv[3], &length) < 0)
		return ctl_usage(&cmd_read_entry, "ID, OFFSET and LENGTH are numbers");
	if (ctx->json && length > JSON_READ_MAX)
		return ctl_usage(&cmd_read_entry, "--json reads at most 256M at a time");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	/* Read in pieces, the range is checked whole first: nothing is printed of one that runs
	 * past the region, and the refusal names the numbers given, not a piece's. */
	if (length > READ_CHUNK) {
		uint64_t size;

		ret = ctl_region_bytes(ctx, id, &size);
		if (ret)
			return ret;
		if (offset > size || length > size - offset)
			return ctl_refuse(ctx, RCLC_CODE_INVALID_ARGUMENT,
					  "read: offset %" PRIu64 " + length %" PRIu64 " runs past "
					  "region %" PRIu64 "'s %" PRIu64 " bytes", offset, length, id,
					  size);
	}
	/* Text goes out a piece at a time; JSON keeps the pieces for its one string. */
	buf = malloc(ctx->json && length ? length : READ_CHUNK);
	if (!buf)
		return EXIT_FAILURE;
	/* In pieces: any length fits under the server's frame limit. */
	do {
		size_t len = length - done < READ_CHUNK ? length - done : READ_CHUNK;

		ret = rclc_read(ctx->conn, id, offset, buf + kept, len, &got);
		if (ret < 0) {
			free(buf);
			return ctl_fail(ctx, ret);
		}
		if (ctx->json)
			kept += got;
		else
			put_bytes(ctx, buf, got);
		done += len;
		offset += len;
	} while (done < length);
	if (ctx->json)
		put_bytes(ctx, buf, kept);
	free(buf);
	return 0;
}
