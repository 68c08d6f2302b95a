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

/* All of standard input, at most LIMIT bytes. NULL on error or when over the limit. */
static uint8_t *read_stdin(size_t limit, size_t *ret_len)
{
	size_t len = 0, cap = 65536;
	uint8_t *buf = malloc(cap), *bigger;
	size_t n;

	while (buf && (n = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len > limit) {
			free(buf);
			return NULL;
		}
		if (len == cap) {
			bigger = realloc(buf, cap *= 2);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	*ret_len = len;
	return buf;
}

static int exec_write(struct cmd_ctx *ctx, int argc, char **argv)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Write w = RECLAIM__V1__WRITE__INIT;
	uint8_t *input = NULL;
	Response *resp;
	int ret;

	if (ctl_parse_u64(argv[1], &w.region_id) < 0 || ctl_parse_u64(argv[2], &w.offset) < 0)
		return ctl_usage(&cmd_write_entry, "ID and OFFSET are numbers");
	if (argc == 4) {
		w.data.data = (uint8_t *)argv[3];
		w.data.len = strlen(argv[3]);
	} else {
		input = read_stdin(RCLC_MAX_FRAME / 2, &w.data.len);
		if (!input) {
			fprintf(stderr, "reclaimctl write: cannot read standard input\n");
			return EXIT_USAGE;
		}
		w.data.data = input;
	}
	req.msg_case = RECLAIM__V1__REQUEST__MSG_WRITE;
	req.write = &w;
	ret = ctl_call(ctx, &req, &resp);
	free(input);
	if (ret)
		return ret;
	if (ctx->json)
		printf("{\"bytes\":%" PRIu64 "}\n", resp->write->bytes);
	rclc_response_free(resp);
	return 0;
}
