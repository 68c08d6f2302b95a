/*
 * main.c - reclaimd: configuration -> engine -> event loop -> orderly teardown.
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "reclaim/engine.h"

static void on_stop_signal(evutil_socket_t sig, short events, void *arg)
{
	struct event_base *base = arg;

	(void)events;
	fprintf(stderr, SD_NOTICE "reclaimd: %s received, stopping\n", strsignal((int)sig));
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(base);
}

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
	struct event_base *base = NULL;
	struct event *sigterm = NULL, *sigint = NULL;
	int ret, status = EXIT_FAILURE;

	config_init(&config);
	ret = config_parse_args(&config, argc, argv);
	if (ret) {
		status = ret > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	ret = make_dir(config.state_dir);
	if (ret) {
		fprintf(stderr, SD_ERR "reclaimd: cannot create state directory %s: %s\n",
			config.state_dir, strerror(-ret));
		goto out;
	}
	ret = rcl_engine_new(&config.engine, &engine);
	if (ret) {
		fprintf(stderr, SD_ERR "reclaimd: cannot create the engine (arena %llu bytes, %u "
			"nodes): %s\n", (unsigned long long)config.engine.arena_bytes,
			config.engine.nr_nodes, strerror(-ret));
		goto out;
	}
	rcl_engine_show(engine, RCL_VIEW_LAYOUT, stdout);
	fflush(stdout);

	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	if (!base)
		goto out;
	sigterm = evsignal_new(base, SIGTERM, on_stop_signal, base);
	sigint = evsignal_new(base, SIGINT, on_stop_signal, base);
	if (!sigterm || !sigint || evsignal_add(sigterm, NULL) || evsignal_add(sigint, NULL))
		goto out;

	sd_notify(0, "READY=1\nSTATUS=serving");
	fprintf(stderr, SD_INFO "reclaimd: ready (state directory %s)\n", config.state_dir);
	event_base_dispatch(base);
	status = EXIT_SUCCESS;
out:
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	if (base)
		event_base_free(base);
	rcl_engine_free(engine);
	config_done(&config);
	return status;
}
