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

static int exec_write(struct cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t id, offset, total = 0;
	uint8_t *buf;
	size_t n;
	int ret;

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
		buf = malloc(WRITE_CHUNK);
		if (!buf)
			return EXIT_FAILURE;
		while ((n = fread(buf, 1, WRITE_CHUNK, stdin)) > 0) {
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
	if (ctx->json)
		printf("{\"bytes\":%" PRIu64 "}\n", total);
	return 0;
}
