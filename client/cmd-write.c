/*
 * cmd-write.c - `reclaimctl write ID OFFSET [DATA]`: write DATA (or stdin) into a region.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reclaimctl.h"

static int exec_write(struct cmd_ctx *ctx, int argc, char **argv);

const struct cmd_entry cmd_write_entry = {
	.name = "write",
	.usage = "ID OFFSET [DATA]",
	.help = "write DATA, or standard input, at byte OFFSET of a region",
	.min_args = 2,
	.max_args = 3,
	.exec = exec_write,
};

/* Standard input goes out in pieces of this size: any input length, any server frame limit. */
#define WRITE_CHUNK	(256u << 10)

/* Send @len bytes at @offset; adds what the daemon wrote to *total. */
static int write_piece(struct cmd_ctx *ctx, Reclaim__V1__Write *w, uint8_t *data, size_t len,
		       uint64_t *total)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Response *resp;
	int ret;

	w->data.data = data;
	w->data.len = len;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_WRITE;
	req.write = w;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	*total += resp->write->bytes;
	rclc_response_free(resp);
	return 0;
}

static int exec_write(struct cmd_ctx *ctx, int argc, char **argv)
{
	Reclaim__V1__Write w = RECLAIM__V1__WRITE__INIT;
	uint64_t total = 0;
	uint8_t *buf;
	size_t n;
	int ret = 0;

	if (ctl_parse_u64(argv[1], &w.region_id) < 0 || ctl_parse_u64(argv[2], &w.offset) < 0)
		return ctl_usage(&cmd_write_entry, "ID and OFFSET are numbers");
	if (argc == 4) {
		ret = write_piece(ctx, &w, (uint8_t *)argv[3], strlen(argv[3]), &total);
	} else {
		buf = malloc(WRITE_CHUNK);
		if (!buf)
			return EXIT_FAILURE;
		while (!ret && (n = fread(buf, 1, WRITE_CHUNK, stdin)) > 0) {
			ret = write_piece(ctx, &w, buf, n, &total);
			w.offset += n;
		}
		if (!ret && ferror(stdin)) {
			fprintf(stderr, "reclaimctl write: cannot read standard input\n");
			ret = EXIT_USAGE;
		}
		free(buf);
	}
	if (ret)
		return ret;
	if (ctx->json)
		printf("{\"bytes\":%" PRIu64 "}\n", total);
	return 0;
}
