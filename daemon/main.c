/*
 * main.c - reclaimd: configuration -> state and data directories -> engine (swap file under
 * the state directory) -> kswapd and flusher threads -> server (workers, listener, signals,
 * cron) -> READY=1 -> loop -> sync of dirty file pages -> teardown in reverse order.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "client-limits.h"
#include "config.h"
#include "fdlimit.h"
#include "log.h"
#include "reclaim/engine.h"
#include "reclaim/region.h"
#include "server.h"
#include "uffd-read.h"

/* mkdir -p for the state directory: it must exist before the socket and swap file. */
static int make_dir(const char *path)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0750) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

/* Bytes an unprivileged writer may still allocate on the file system of PATH (0 if unknown). */
static uint64_t free_bytes(const char *path)
{
	struct statvfs st;

	if (statvfs(path, &st) < 0)
		return 0;
	return (uint64_t)st.f_bavail * st.f_frsize;
}

int main(int argc, char **argv)
{
	struct daemon_config config;
	struct rcl_engine *engine = NULL;
	struct server *server = NULL;
	char *swap_path = NULL;
	bool threads = false;
	unsigned int limit;
	int ret, status = EXIT_FAILURE;

	signal(SIGPIPE, SIG_IGN);
	config_init(&config);
	ret = config_parse_args(&config, argc, argv);
	if (ret) {
		status = ret > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	log_set_max_level(config.log_level);
	/* Tests: memcg ids come back after this many groups in a slot (rcl_config). */
	if (getenv("RECLAIMD_TEST_MEMCG_GENERATIONS"))
		config.engine.memcg_generations =
			(unsigned int)strtoul(getenv("RECLAIMD_TEST_MEMCG_GENERATIONS"), NULL, 10);
	if (getenv("RECLAIMD_TEST_REGION_GENERATIONS"))
		config.engine.region_generations =
			(unsigned int)strtoul(getenv("RECLAIMD_TEST_REGION_GENERATIONS"), NULL, 10);
	/* Tests: read userfaultfds as on a kernel whose userfaultfd lacks RWF_NOWAIT. */
	if (getenv("RECLAIMD_TEST_UFFD_READ_BOUNDED"))
		uffd_read_force_bounded();
	limit = fd_limit_raise();
	if (limit)
		log_info("file descriptors: %u, the last %u kept for root and the admin group",
			 limit, fd_reserve());
	/* Its default is a share of the limit just raised: say what it came to. */
	if (limits_max_mapped_regions(&config))
		log_info("a client uid but root and the admin group maps at most %u regions at "
			 "once (max-client-mapped-regions)", limits_max_mapped_regions(&config));
	if (config.deterministic) {
		/* One thread runs the engine, in request order, and I/O completes before each
		 * call returns: a replay then gives what the engine gives in-process. */
		config.workers = 1;
		config.swap_sync = true;
	}
	ret = make_dir(config.state_dir);
	if (ret) {
		log_err("cannot create state directory %s: %s", config.state_dir, strerror(-ret));
		goto out;
	}
	ret = make_dir(config.data_dir);
	if (ret) {
		log_err("cannot create data directory %s: %s", config.data_dir, strerror(-ret));
		goto out;
	}
	if (config.swap_bytes) {
		if (asprintf(&swap_path, "%s/swap", config.state_dir) < 0) {
			swap_path = NULL;
			goto out;
		}
		config.engine.swap_path = swap_path;
		config.engine.swap_bytes = config.swap_bytes;
		config.engine.swap_async = !config.swap_sync;
	}
	config.engine.data_dir = config.data_dir;
	ret = rcl_engine_new(&config.engine, &engine);
	if (ret == -ENOSPC && swap_path) {
		/* The one file the engine fills at start: say which and how big. */
		log_err("cannot create the swap file %s: it needs %llu bytes (--swap), %s has %llu "
			"free: %s", swap_path, (unsigned long long)config.swap_bytes,
			config.state_dir, (unsigned long long)free_bytes(config.state_dir),
			strerror(-ret));
		goto out;
	}
	if (ret) {
		log_err("cannot create the engine (arena %llu bytes, %u nodes): %s",
			(unsigned long long)config.engine.arena_bytes, config.engine.nr_nodes,
			strerror(-ret));
		goto out;
	}
	rcl_engine_show(engine, RCL_VIEW_LAYOUT, stdout);
	fflush(stdout);
	if (!config.deterministic) {
		ret = rcl_engine_start_threads(engine);
		if (ret) {
			log_err("cannot start kswapd and the flusher: %s", strerror(-ret));
			goto out;
		}
		threads = true;
	}

	ret = server_new(&config, engine, argc, argv, &server);
	if (ret)
		goto out;
	log_info("ready (state directory %s, data directory %s)", config.state_dir,
		 config.data_dir);
	if (server_run(server) == 0)
		status = EXIT_SUCCESS;
	/* Every request is answered: write back and fsync every dirty file page. */
	ret = rcl_sync_all(engine);
	if (ret) {
		log_err("writing back dirty file pages failed: %s", strerror(-ret));
		status = EXIT_FAILURE;
	}
out:
	if (threads)
		rcl_engine_stop_threads(engine);
	server_free(server);
	rcl_engine_free(engine);
	free(swap_path);
	config_done(&config);
	return status;
}
