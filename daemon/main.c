/*
 * main.c - reclaimd: configuration -> engine -> server (workers, listener, signals, cron) ->
 * READY=1 -> loop -> teardown in reverse order.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"
#include "reclaim/engine.h"
#include "server.h"

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

int main(int argc, char **argv)
{
	struct daemon_config config;
	struct rcl_engine *engine = NULL;
	struct server *server = NULL;
	int ret, status = EXIT_FAILURE;

	signal(SIGPIPE, SIG_IGN);
	config_init(&config);
	ret = config_parse_args(&config, argc, argv);
	if (ret) {
		status = ret > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	log_set_max_level(config.log_level);
	ret = make_dir(config.state_dir);
	if (ret) {
		log_err("cannot create state directory %s: %s", config.state_dir, strerror(-ret));
		goto out;
	}
	ret = rcl_engine_new(&config.engine, &engine);
	if (ret) {
		log_err("cannot create the engine (arena %llu bytes, %u nodes): %s",
			(unsigned long long)config.engine.arena_bytes, config.engine.nr_nodes,
			strerror(-ret));
		goto out;
	}
	rcl_engine_show(engine, RCL_VIEW_LAYOUT, stdout);
	fflush(stdout);

	ret = server_new(&config, engine, argc, argv, &server);
	if (ret)
		goto out;
	log_info("ready (state directory %s)", config.state_dir);
	if (server_run(server) == 0)
		status = EXIT_SUCCESS;
out:
	server_free(server);
	rcl_engine_free(engine);
	config_done(&config);
	return status;
}
