/*
 * config.h - reclaimd's configuration: built-in defaults, then a `key = value` file (-c FILE),
 * then the command line, each overriding the one before. One table of keys drives the file
 * parser, the command-line options and --help, so the three cannot drift apart.
 */
#ifndef RECLAIMD_CONFIG_H
#define RECLAIMD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "reclaim/engine.h"

struct daemon_config {
	struct rcl_config engine;	/* arena layout and the boot-time sysctls */
	char *config_file;		/* -c FILE, or NULL; kept for SIGHUP */
	bool config_optional;		/* --config-if-exists: a missing file reads as empty */
	char *state_dir;		/* swap file and runtime state */
	char *data_dir;			/* files of file regions */
	char *socket_path;		/* the API socket (unless systemd passes one) */
	unsigned int socket_mode;	/* permissions of a socket we create (0660) */
	char *socket_group;		/* group of that socket; NULL = our own */
	char *admin_group;		/* members may use admin requests; NULL = root only */
	bool swap_sync;			/* no io_uring for swap */
	bool deterministic;		/* one worker, synchronous I/O, no kswapd or flusher
					 * thread: the in-process engine's counts exactly */
	char *metrics_listen;		/* HOST:PORT of the Prometheus endpoint; NULL = off */
	uint64_t swap_bytes;		/* size of the swap file */
	unsigned int workers;		/* threads that run requests which may block */
	uint64_t max_frame_bytes;	/* largest frame accepted (DESIGN.md: 16 MiB) */
	unsigned int max_connections;	/* connections in total */
	unsigned int reserved_connections; /* of them, for root and the admin group only */
	unsigned int max_client_connections; /* connections per client uid */
	unsigned int max_client_regions; /* regions and raw allocations per uid; 0 = no limit */
	uint64_t max_client_bytes;	/* bytes of them per uid; 0 = no limit, CONFIG_AUTO
					 * until parsed: then the arena plus the swap */
	uint64_t max_client_file_bytes;	/* bytes of the files a uid that is not root or in the
					 * admin group owns in the data directory; 0 = no limit,
					 * CONFIG_AUTO until parsed: then the arena plus the swap */
	uint64_t max_client_locked_bytes; /* of them, bytes reclaim cannot take back (raw
					 * allocations, mlocked regions) per uid that is not
					 * root or in the admin group; 0 = no limit */
	unsigned int max_client_memcgs;	/* memcgs a uid that is not root or in the admin
					 * group may own; 0 = no limit */
	unsigned int max_client_mapped_regions; /* regions mapped at once per uid that is not
					 * root or in the admin group; 0 = no limit,
					 * CONFIG_AUTO_COUNT: a share of the descriptors
					 * (limits_max_mapped_regions) */
	unsigned int max_pipeline;	/* requests queued per connection before reading pauses */
	unsigned int shutdown_timeout;	/* seconds to let clients take their last answers */
	int log_level;			/* LOG_ERR..LOG_DEBUG */
	unsigned int sub_queue;		/* events buffered per subscriber by default */
	unsigned int max_sub_queue;	/* the most a subscriber may ask for */
	unsigned int max_client_queued_events; /* the sum of the queues of a uid's subscriptions,
					 * but root's and the admin group's; 0 = no limit */
	unsigned int max_client_subscriptions; /* and how many it may hold; 0 = no limit */
	unsigned int mapped_regions;	/* MAPPED_* below: who may map a region */
	unsigned int fault_poll_usecs;	/* mapped faults: busy-poll after one, 0 = never */
	/* The run-time sysctls (RCL_TUNABLES): applied at start and on SIGHUP. min_free_kbytes
	 * and watermark_scale_factor live in engine (boot-time layout needs them). */
	unsigned int tunables[RCL_NR_TUNABLES];
};

/* mapped-regions: a client that maps a region gets a descriptor of /dev/userfaultfd, and with
 * it userfaultfds that trap the kernel's own accesses, which vm.unprivileged_userfaultfd=0
 * denies unprivileged processes. Everyone (the default), root and the admin group, nobody. */
enum { MAPPED_ALL, MAPPED_ADMIN, MAPPED_OFF };

/* max-client-bytes not given: config_parse_args makes it the arena plus the swap. */
#define CONFIG_AUTO	UINT64_MAX
/* max-client-mapped-regions not given: its share depends on the descriptor limit, which is
 * only known once reclaimd has raised it, after the options are read; so it stays this, and
 * limits_max_mapped_regions works the share out where it is used. */
#define CONFIG_AUTO_COUNT	UINT_MAX
#define CONFIG_FILE_MAX	(1u << 20)	/* bytes of a configuration file */
/* max-client-locked-bytes: RLIMIT_MEMLOCK's default since Linux 5.16. */
#define CONFIG_LOCKED_DEFAULT	(8ull << 20)

/* The configured value of tunable T (min_free_kbytes 0 = the engine's computed one). */
uint64_t config_tunable(const struct daemon_config *c, enum rcl_tunable t);

/* Fill C with the built-in defaults (which run anywhere: everything under ./var). */
void config_init(struct daemon_config *c);
/* Free what C owns and zero it. */
void config_done(struct daemon_config *c);

/* "256M", "1G", "4096", "64k": bytes in *ret; 0 or -EINVAL (garbage, overflow). */
int parse_size(const char *s, uint64_t *ret);

/*
 * Read `key = value` lines from F over C. '#' starts a comment, blank lines are ignored, keys
 * are the long option names (with '-' or '_'). NAME labels error messages ("NAME:LINE: ...",
 * printed on stderr). Returns 0, or -EINVAL at the first bad line (keys before it are applied).
 */
int config_parse_file(struct daemon_config *c, FILE *f, const char *name);

/*
 * Parse argv over the defaults: first the file named by -c/--config, then every other option.
 * Prints usage and errors itself. Returns 0, 1 (done: --help or --version printed, exit 0) or -1.
 */
int config_parse_args(struct daemon_config *c, int argc, char **argv);

/* A key whose value differs between two configurations (a reload). */
struct config_change {
	const char *key;		/* its name, as in the file */
	char old_value[256], new_value[256];	/* as the file would spell them */
	int tunable;			/* the enum rcl_tunable it sets, or -1 */
	bool reloadable;		/* a reload applies it (tunables, log-level) */
};
typedef void (*config_change_fn)(void *arg, const struct config_change *change);

/* Call FN for each key whose value differs from OLD to FRESH; returns how many did. */
int config_diff(const struct daemon_config *old, const struct daemon_config *fresh,
		config_change_fn fn, void *arg);
/* Take FRESH's reloadable values into C: what the next reload compares the file with. */
void config_take_reloadable(struct daemon_config *c, const struct daemon_config *fresh);

#endif
