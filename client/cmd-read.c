/*
 * cmd-read.c - `reclaimctl read ID OFFSET LENGTH`: copy bytes of a region to standard output.
 */
#include <stdio.h>
#include <stdlib.h>

#include "reclaimctl.h"

#define READ_CHUNK	(256u << 10)

static int exec_read(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_read_entry = {
	.name = "read",
	.usage = "ID OFFSET LENGTH",
	.help = "read LENGTH bytes at OFFSET of a region to standard output",
	.min_args = 3,
	.max_args = 3,
	.exec = exec_read,
};

static int exec_read(struct cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t id, offset, length, done = 0;
	unsigned char *buf;
	size_t i, got;
	int ret;

	if (ctl_parse_u64(argv[1], &id) < 0 || ctl_parse_u64(argv[2], &offset) < 0 ||
	    ctl_parse_u64(argv[3], &length) < 0)
		return ctl_usage(&cmd_read_entry, "ID, OFFSET and LENGTH are numbers");
	ret = ctl_connect(ctx);
	if (ret)
		return ret;
	buf = malloc(READ_CHUNK);
	if (!buf)
		return EXIT_FAILURE;
	if (ctx->json)
		printf("{\"hex\":\"");
	/* In pieces: any length fits under the server's frame limit. */
	do {
		size_t len = length - done < READ_CHUNK ? length - done : READ_CHUNK;

		ret = rclc_read(ctx->conn, id, offset, buf, len, &got);
		if (ret < 0) {
			free(buf);
			return ctl_fail(ctx, ret);
		}
		if (ctx->json) {
			/* Bytes as hex: JSON strings cannot carry arbitrary binary. */
			for (i = 0; i < got; i++)
				printf("%02x", buf[i]);
		} else {
			fwrite(buf, 1, got, stdout);
		}
		done += len;
		offset += len;
	} while (done < length);
	free(buf);
	if (ctx->json)
		printf("\"}\n");
	return 0;
}
