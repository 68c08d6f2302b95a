/*
 * cmd-read.c - `reclaimctl read ID OFFSET LENGTH`: copy bytes of a region to standard output.
 */
#include <stdio.h>

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
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Read r = RECLAIM__V1__READ__INIT;
	uint64_t length, done = 0;
	Response *resp;
	size_t i;
	int ret;

	if (ctl_parse_u64(argv[1], &r.region_id) < 0 || ctl_parse_u64(argv[2], &r.offset) < 0 ||
	    ctl_parse_u64(argv[3], &length) < 0)
		return ctl_usage(&cmd_read_entry, "ID, OFFSET and LENGTH are numbers");
	req.msg_case = RECLAIM__V1__REQUEST__MSG_READ;
	req.read = &r;
	if (ctx->json)
		printf("{\"hex\":\"");
	/* In pieces: any length fits under the server's frame limit. */
	do {
		r.length = length - done < READ_CHUNK ? length - done : READ_CHUNK;
		ret = ctl_call(ctx, &req, &resp);
		if (ret)
			return ret;
		if (ctx->json) {
			/* Bytes as hex: JSON strings cannot carry arbitrary binary. */
			for (i = 0; i < resp->read->data.len; i++)
				printf("%02x", resp->read->data.data[i]);
		} else {
			fwrite(resp->read->data.data, 1, resp->read->data.len, stdout);
		}
		done += r.length;
		r.offset += r.length;
		rclc_response_free(resp);
	} while (done < length);
	if (ctx->json)
		printf("\"}\n");
	return 0;
}
