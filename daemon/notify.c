/*
 * notify.c - sd_notify(3), sd_listen_fds(3) and sd_watchdog_enabled(3) behind small helpers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"
#include "notify.h"

int notify_listen_fd(int *ret_fd)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		log_err("cannot read the sockets passed by systemd: %s", strerror(-n));
		return n;
	}
	if (n == 0)
		return 0;
	if (n > 1) {
		log_err("systemd passed %d sockets; reclaimd listens on exactly one", n);
		return -EINVAL;
	}
	if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
		log_err("the socket systemd passed is not a listening Unix stream socket");
		return -EINVAL;
	}
	*ret_fd = SD_LISTEN_FDS_START;
	return 1;
}

static void notify(const char *msg)
{
	int ret = sd_notify(0, msg);

	if (ret < 0)
		log_debug("sd_notify failed: %s, ignoring", strerror(-ret));
}

void notify_ready(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status);
	notify(buf);
}

void notify_status(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "STATUS=%s", status);
	notify(buf);
}

void notify_stopping(void)
{
	notify("STOPPING=1\nSTATUS=stopping");
}

void notify_reloading(void)
{
	struct timespec ts;
	char buf[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	notify(buf);
}

void notify_watchdog(void)
{
	notify("WATCHDOG=1");
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}
