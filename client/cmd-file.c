/*
 * cmd-file.c - buffered file I/O on data directory files: `reclaimctl fread`, `fwrite`,
 * `fadvise` and `rm` (FileRead, FileWrite, FileAdvise, FileRemove).
 */
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

/* {"bytes":N,"hex":[...]}: each range's bytes as one hex string. */
static void print_fread_json(const Reclaim__V1__FileReadReply *r)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *hex = json_object_new_array_ext((int)r->n_data);
	size_t i;

	json_add_u64(doc, "bytes", r->bytes);
	for (i = 0; i < r->n_data; i++)
		json_object_array_add(hex, json_hex(r->data[i].data, r->data[i].len));
	json_object_object_add(doc, "hex", hex);
	json_print(doc);
}

static int exec_fread(struct cmd_ctx *ctx, int argc, char **argv)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileRead m = RECLAIM__V1__FILE_READ__INIT;
	Reclaim__V1__FileRange *ranges, **rp;
	Response *resp;
	size_t i, n;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", memcg_options, NULL)) != -1) {
		switch (opt) {
		case 'm': m.memcg = optarg; break;
		case 'd': m.discard = true; break;
		default: return ctl_usage(&cmd_fread_entry, NULL);
		}
	}
	if (argc - optind < 3 || (argc - optind - 1) % 2)
		return ctl_usage(&cmd_fread_entry, "PATH, then OFFSET LENGTH pairs");
	m.path = argv[optind];
	n = (size_t)(argc - optind - 1) / 2;
	ranges = calloc(n, sizeof(*ranges));
	rp = calloc(n, sizeof(*rp));
	if (!ranges || !rp) {
		free(ranges);
		free(rp);
		return EXIT_FAILURE;
	}
	for (i = 0; i < n; i++) {
		reclaim__v1__file_range__init(&ranges[i]);
		rp[i] = &ranges[i];
		if (ctl_parse_u64(argv[optind + 1 + 2 * i], &ranges[i].offset) < 0 ||
		    ctl_parse_u64(argv[optind + 2 + 2 * i], &ranges[i].length) < 0) {
			free(ranges);
			free(rp);
			return ctl_usage(&cmd_fread_entry, "OFFSET and LENGTH are sizes");
		}
	}
	m.ranges = rp;
	m.n_ranges = n;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_FILE_READ;
	req.file_read = &m;
	ret = ctl_call(ctx, &req, &resp);
	free(ranges);
	free(rp);
	if (ret)
		return ret;
	if (ctx->json) {
		print_fread_json(resp->file_read);
	} else {
		for (i = 0; i < resp->file_read->n_data; i++)
			fwrite(resp->file_read->data[i].data, 1, resp->file_read->data[i].len,
			       stdout);
		if (m.discard)
			printf("%" PRIu64 "\n", resp->file_read->bytes);
	}
	rclc_response_free(resp);
	return 0;
}

/* One FileWrite of LEN bytes at *OFFSET (DATA, or M's fill); moves *OFFSET on. */
static int fwrite_piece(struct cmd_ctx *ctx, Reclaim__V1__FileWrite *m, uint64_t *offset,
			const uint8_t *data, uint64_t len, uint64_t *total)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileRange r = RECLAIM__V1__FILE_RANGE__INIT;
	Reclaim__V1__FileRange *rp = &r;
	Response *resp;
	int ret;

	r.offset = *offset;
	r.length = len;
	m->ranges = &rp;
	m->n_ranges = 1;
	m->data.data = (uint8_t *)data;
	m->data.len = data ? len : 0;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_FILE_WRITE;
	req.file_write = m;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	*total += resp->file_write->bytes;
	*offset += len;
	rclc_response_free(resp);
	return 0;
}

static int fwrite_stdin(struct cmd_ctx *ctx, Reclaim__V1__FileWrite *m, uint64_t offset,
			uint64_t *total)
{
	uint8_t *buf = malloc(FILE_CHUNK);
	size_t n;
	int ret = 0;

	if (!buf)
		return EXIT_FAILURE;
	while (!ret && (n = fread(buf, 1, FILE_CHUNK, stdin)) > 0)
		ret = fwrite_piece(ctx, m, &offset, buf, n, total);
	if (!ret && ferror(stdin)) {
		fprintf(stderr, "reclaimctl fwrite: cannot read standard input\n");
		ret = EXIT_USAGE;
	}
	free(buf);
	return ret;
}

static int exec_fwrite(struct cmd_ctx *ctx, int argc, char **argv)
{
	Reclaim__V1__FileWrite m = RECLAIM__V1__FILE_WRITE__INIT;
	Reclaim__V1__OptU64 fill = RECLAIM__V1__OPT_U64__INIT;
	Reclaim__V1__FileMode fm = RECLAIM__V1__FILE_MODE__INIT;
	uint64_t offset, length = 0, total = 0;
	bool has_fill = false, has_length = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", memcg_options, NULL)) != -1) {
		switch (opt) {
		case 'm': m.memcg = optarg; break;
		case 'f':
			if (ctl_parse_u64(optarg, &fill.value) < 0 || fill.value > 255)
				return ctl_usage(&cmd_fwrite_entry, "BYTE is 0..255");
			has_fill = true;
			break;
		case 'l':
			if (ctl_parse_u64(optarg, &length) < 0 || length == 0)
				return ctl_usage(&cmd_fwrite_entry, "LEN is a size above 0");
			has_length = true;
			break;
		case 'o':
			if (ctl_parse_mode(optarg, &fm.bits) < 0)
				return ctl_usage(&cmd_fwrite_entry, "MODE must be octal, 0 to 0777");
			m.mode = &fm;
			break;
		default: return ctl_usage(&cmd_fwrite_entry, NULL);
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		return ctl_usage(&cmd_fwrite_entry, "PATH OFFSET [DATA]");
	m.path = argv[optind];
	if (ctl_parse_u64(argv[optind + 1], &offset) < 0)
		return ctl_usage(&cmd_fwrite_entry, "OFFSET is a size");
	if (has_fill != has_length || (has_fill && argc - optind == 3))
		return ctl_usage(&cmd_fwrite_entry, "--fill and --length go together, without DATA");
	if (has_fill) {
		m.fill = &fill;
		ret = fwrite_piece(ctx, &m, &offset, NULL, length, &total);
	} else if (argc - optind == 3) {
		ret = fwrite_piece(ctx, &m, &offset, (const uint8_t *)argv[optind + 2],
				   strlen(argv[optind + 2]), &total);
	} else {
		ret = fwrite_stdin(ctx, &m, offset, &total);
	}
	if (ret)
		return ret;
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		json_add_u64(doc, "bytes", total);
		json_print(doc);
	}
	return 0;
}

static const char *const advice_names[] = {
	[RECLAIM__V1__FILE_ADVICE__FADV_NORMAL] = "normal",
	[RECLAIM__V1__FILE_ADVICE__FADV_RANDOM] = "random",
	[RECLAIM__V1__FILE_ADVICE__FADV_SEQUENTIAL] = "sequential",
	[RECLAIM__V1__FILE_ADVICE__FADV_WILLNEED] = "willneed",
	[RECLAIM__V1__FILE_ADVICE__FADV_DONTNEED] = "dontneed",
	[RECLAIM__V1__FILE_ADVICE__FADV_NOREUSE] = "noreuse",
};

static int exec_fadvise(struct cmd_ctx *ctx, int argc, char **argv)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileAdvise m = RECLAIM__V1__FILE_ADVISE__INIT;
	Response *resp;
	size_t i, nr = sizeof(advice_names) / sizeof(advice_names[0]);
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", memcg_options, NULL)) != -1) {
		if (opt != 'm')
			return ctl_usage(&cmd_fadvise_entry, NULL);
		m.memcg = optarg;
	}
	if (argc - optind < 2 || argc - optind > 4)
		return ctl_usage(&cmd_fadvise_entry, "PATH ADVICE [OFFSET [LENGTH]]");
	m.path = argv[optind];
	for (i = 0; i < nr && strcmp(argv[optind + 1], advice_names[i]); i++)
		;
	if (i == nr)
		return ctl_usage(&cmd_fadvise_entry, "unknown ADVICE");
	m.advice = (Reclaim__V1__FileAdvice)i;
	if ((argc - optind > 2 && ctl_parse_u64(argv[optind + 2], &m.offset) < 0) ||
	    (argc - optind > 3 && ctl_parse_u64(argv[optind + 3], &m.length) < 0))
		return ctl_usage(&cmd_fadvise_entry, "OFFSET and LENGTH are sizes");
	req.msg_case = RECLAIM__V1__REQUEST__MSG_FILE_ADVISE;
	req.file_advise = &m;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	rclc_response_free(resp);
	ctl_print_ok(ctx, NULL);
	return 0;
}

static int exec_rm(struct cmd_ctx *ctx, int argc, char **argv)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileRemove m = RECLAIM__V1__FILE_REMOVE__INIT;
	Response *resp;
	int ret;

	(void)argc;
	m.path = argv[1];
	req.msg_case = RECLAIM__V1__REQUEST__MSG_FILE_REMOVE;
	req.file_remove = &m;
	ret = ctl_call(ctx, &req, &resp);
	if (ret)
		return ret;
	rclc_response_free(resp);
	ctl_print_ok(ctx, NULL);
	return 0;
}
