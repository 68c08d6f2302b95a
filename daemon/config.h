/*
 * config.h - reclaimd's configuration: built-in defaults, then a `key = value` file, then the
 * command line, each overriding the one before.
 */
#ifndef RECLAIMD_CONFIG_H
#define RECLAIMD_CONFIG_H

#include <stdint.h>

#include "reclaim/engine.h"

struct daemon_config {
	struct rcl_config engine;
	char *state_dir;		/* swap file and runtime state */
	char *data_dir;			/* files of file regions */
	char *socket_path;		/* the API socket */
	uint64_t swap_bytes;		/* size of the swap file */
};

void config_init(struct daemon_config *c);
void config_done(struct daemon_config *c);

/* "256M", "1G", "4096", "64k": bytes in *ret; 0 or -EINVAL (garbage, overflow). */
int parse_size(const char *s, uint64_t *ret);

/* Parse argv over the defaults; prints usage and errors itself. 0, 1 (exit 0: --help), -1. */
int config_parse_args(struct daemon_config *c, int argc, char **argv);

#endif
