/*
 * config.c - defaults and command-line options of reclaimd.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoconfig.h"
#include "config.h"

void config_init(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	rcl_config_defaults(&c->engine);
	c->state_dir = strdup("./var");
	c->data_dir = strdup("./var/data");
	c->socket_path = strdup("./var/reclaimd.sock");
	c->swap_bytes = 512ULL << 20;
}

void config_done(struct daemon_config *c)
{
	free(c->state_dir);
	free(c->data_dir);
	free(c->socket_path);
	memset(c, 0, sizeof(*c));
}

int parse_size(const char *s, uint64_t *ret)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'i' && shift)	/* accept KiB-style "Ki", "MiB" */
		end++;
	if ((*end == 'B' || *end == 'b') && shift)
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*ret = (uint64_t)v << shift;
	return 0;
}

static void set_string(char **dst, const char *src)
{
	char *copy = strdup(src);

	if (copy) {
		free(*dst);
		*dst = copy;
	}
}

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [OPTION]...\n"
		"Run the reclaimd memory daemon in the foreground.\n"
		"\n"
		"  --arena SIZE         arena size (default 256M); K, M, G suffixes\n"
		"  --nodes N            NUMA nodes to split the arena into, 1..8 (default 1)\n"
		"  --dma32 SIZE         low part of node 0 that forms ZONE_DMA32 (default 0)\n"
		"  --swap SIZE          swap file size (default 512M)\n"
		"  --state-dir DIR      swap file and runtime state (default ./var)\n"
		"  --data-dir DIR       files of file regions (default ./var/data)\n"
		"  --socket PATH        API socket (default ./var/reclaimd.sock)\n"
		"  --min-free-kbytes N  reserve below which only the entitled allocate (default: computed)\n"
		"  --watermark-scale-factor N  kswapd's low/high gap in 1/10000 of a zone (default 10)\n"
		"  --hugetlb            back the arena with huge pages (MAP_HUGETLB)\n"
		"  --thp                ask for transparent huge pages on the arena\n"
		"  --mlock              lock the arena in memory\n"
		"  -h, --help           show this help\n"
		"  -V, --version        show the version\n", prog);
}

enum {
	OPT_ARENA = 256, OPT_NODES, OPT_DMA32, OPT_SWAP, OPT_STATE_DIR, OPT_DATA_DIR, OPT_SOCKET,
	OPT_MIN_FREE, OPT_WSF, OPT_HUGETLB, OPT_THP, OPT_MLOCK,
};

static int parse_uint(const char *s, unsigned int max, unsigned int *ret)
{
	uint64_t v;

	if (parse_size(s, &v) < 0 || v > max)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

int config_parse_args(struct daemon_config *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "arena", required_argument, NULL, OPT_ARENA },
		{ "nodes", required_argument, NULL, OPT_NODES },
		{ "dma32", required_argument, NULL, OPT_DMA32 },
		{ "swap", required_argument, NULL, OPT_SWAP },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "data-dir", required_argument, NULL, OPT_DATA_DIR },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "min-free-kbytes", required_argument, NULL, OPT_MIN_FREE },
		{ "watermark-scale-factor", required_argument, NULL, OPT_WSF },
		{ "hugetlb", no_argument, NULL, OPT_HUGETLB },
		{ "thp", no_argument, NULL, OPT_THP },
		{ "mlock", no_argument, NULL, OPT_MLOCK },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, bad = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hV", options, NULL)) != -1) {
		switch (opt) {
		case OPT_ARENA: bad = parse_size(optarg, &c->engine.arena_bytes); break;
		case OPT_NODES: bad = parse_uint(optarg, RCL_MAX_NODES, &c->engine.nr_nodes); break;
		case OPT_DMA32: bad = parse_size(optarg, &c->engine.dma32_bytes); break;
		case OPT_SWAP: bad = parse_size(optarg, &c->swap_bytes); break;
		case OPT_STATE_DIR: set_string(&c->state_dir, optarg); break;
		case OPT_DATA_DIR: set_string(&c->data_dir, optarg); break;
		case OPT_SOCKET: set_string(&c->socket_path, optarg); break;
		case OPT_MIN_FREE:
			bad = parse_uint(optarg, 1U << 30, &c->engine.min_free_kbytes);
			break;
		case OPT_WSF:
			bad = parse_uint(optarg, 1000, &c->engine.watermark_scale_factor);
			break;
		case OPT_HUGETLB: c->engine.hugetlb = true; break;
		case OPT_THP: c->engine.thp = true; break;
		case OPT_MLOCK: c->engine.mlock = true; break;
		case 'h':
			usage(stdout, argv[0]);
			return 1;
		case 'V':
			printf("reclaimd %s\n", PACKAGE_VERSION);
			return 1;
		default:
			usage(stderr, argv[0]);
			return -1;
		}
		if (bad) {
			fprintf(stderr, "%s: invalid value '%s' for --%s\n", argv[0], optarg,
				options[opt - OPT_ARENA].name);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		return -1;
	}
	return 0;
}
