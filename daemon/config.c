/*
 * config.c - defaults, the `key = value` file and the command-line options of reclaimd.
 *
 * Every setting is one row of config_keys[]: its name is both the file key and the long option,
 * its type says how the value is parsed, and its help line goes into --help. SIGHUP re-reads
 * the file and the command line; config_diff names the keys whose value changed since the last
 * load, and the reload applies those among the tunables (the run-time sysctls) and log-level,
 * leaving what was set at run time alone, and names the others as needing a restart.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "autoconfig.h"
#include "config.h"
#define FRAME_BYTES_ONLY
#include "frame.h"

void config_init(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	rcl_config_defaults(&c->engine);
	c->state_dir = strdup("./var");
	/* data_dir and socket_path: under the state directory unless set (config_finish). */
	c->socket_mode = 0660;
	c->swap_bytes = 512ULL << 20;
	c->workers = 4;
	c->max_frame_bytes = FRAME_DEFAULT_MAX;
	c->max_connections = 256;
	c->reserved_connections = 3;
	c->max_client_connections = 64;
	c->max_client_regions = 4096;
	c->max_client_bytes = CONFIG_AUTO;
	c->max_client_file_bytes = CONFIG_AUTO;
	c->max_client_locked_bytes = CONFIG_LOCKED_DEFAULT;
	c->max_client_memcgs = 256;
	c->max_client_mapped_regions = CONFIG_AUTO_COUNT;
	c->max_pipeline = 64;
	c->shutdown_timeout = 10;
	c->log_level = LOG_INFO;
	c->sub_queue = 1024;
	c->max_sub_queue = 65536;
	c->max_client_queued_events = 65536;
	c->max_client_subscriptions = 64;
	c->fault_poll_usecs = 50;	/* adaptive, as KVM's halt_poll_ns (fault-poll.h) */
#define TUNABLE_DEFAULT(id, name, lo, hi, def) c->tunables[RCL_TUNABLE_##id] = def;
	RCL_TUNABLES(TUNABLE_DEFAULT)
#undef TUNABLE_DEFAULT
}

uint64_t config_tunable(const struct daemon_config *c, enum rcl_tunable t)
{
	if (t == RCL_TUNABLE_MIN_FREE_KBYTES)
		return c->engine.min_free_kbytes;
	if (t == RCL_TUNABLE_WATERMARK_SCALE_FACTOR)
		return c->engine.watermark_scale_factor;
	return c->tunables[t];
}

void config_done(struct daemon_config *c)
{
	free(c->config_file);
	free(c->state_dir);
	free(c->data_dir);
	free(c->socket_path);
	free(c->socket_group);
	free(c->admin_group);
	free(c->metrics_listen);
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

/* Choices are spelled in the key's arg, "a|b|c": *ret is VALUE's index there. */
static int choice_lookup(const char *names, const char *value, unsigned int *ret)
{
	size_t len = strlen(value);
	unsigned int i = 0;
	const char *p;

	for (p = names; *p; i++) {
		size_t n = strcspn(p, "|");

		if (n == len && !strncmp(p, value, n)) {
			*ret = i;
			return 0;
		}
		p += n + (p[n] == '|');
	}
	return -EINVAL;
}

static void choice_name(const char *names, unsigned int index, char *buf, size_t len)
{
	const char *p = names;
	size_t n;

	while (index-- && (p = strchr(p, '|')))
		p++;
	n = p ? strcspn(p, "|") : 1;
	snprintf(buf, len, "%.*s", (int)n, p ? p : "?");
}

enum key_type {
	KEY_SIZE,	/* uint64_t, K/M/G/T suffixes */
	KEY_UINT,	/* unsigned int in [min, max] */
	KEY_STRING,	/* char *, owned */
	KEY_FLAG,	/* bool; on the command line it takes no value */
	KEY_MODE,	/* unsigned int, octal file mode */
	KEY_LOG_LEVEL,	/* int, syslog priority by name or number */
	KEY_POLICY,	/* enum rcl_reclaim_policy, by name */
	KEY_CHOICE,	/* unsigned int: the index of the value among arg's '|'-separated names */
};

struct config_key {
	const char *name;	/* file key and long option */
	enum key_type type;
	size_t offset;		/* of the field in struct daemon_config */
	uint64_t min, max;	/* accepted range of KEY_SIZE and KEY_UINT */
	const char *arg;	/* the value's name in --help */
	const char *help;
};

#define K(n, t, field, lo, hi, a, h) \
	{ n, t, offsetof(struct daemon_config, field), lo, hi, a, h }

static const struct config_key config_keys[] = {
	K("arena", KEY_SIZE, engine.arena_bytes, 4u << 20, UINT64_MAX, "SIZE",
	  "arena size (default 256M); K, M, G suffixes"),
	K("nodes", KEY_UINT, engine.nr_nodes, 1, RCL_MAX_NODES, "N",
	  "NUMA nodes to split the arena into, 1..8 (default 1)"),
	K("dma32", KEY_SIZE, engine.dma32_bytes, 0, UINT64_MAX, "SIZE",
	  "low part of node 0 that forms ZONE_DMA32 (default 0)"),
	K("swap", KEY_SIZE, swap_bytes, 0, UINT64_MAX, "SIZE", "swap file size (default 512M)"),
	K("state-dir", KEY_STRING, state_dir, 0, 0, "DIR",
	  "swap file and runtime state (default ./var)"),
	K("data-dir", KEY_STRING, data_dir, 0, 0, "DIR",
	  "files of file regions (default: STATE-DIR/data)"),
	K("socket", KEY_STRING, socket_path, 0, 0, "PATH",
	  "API socket (default: STATE-DIR/reclaimd.sock)"),
	K("socket-mode", KEY_MODE, socket_mode, 0, 0777, "MODE",
	  "permissions of the socket (default 0660)"),
	K("socket-group", KEY_STRING, socket_group, 0, 0, "GROUP",
	  "group of the socket (default: the daemon's)"),
	K("admin-group", KEY_STRING, admin_group, 0, 0, "GROUP",
	  "members may use admin requests (default: root only)"),
	K("metrics-listen", KEY_STRING, metrics_listen, 0, 0, "HOST:PORT",
	  "serve Prometheus /metrics over HTTP there (default: off)"),
	K("min-free-kbytes", KEY_UINT, engine.min_free_kbytes, 0, 1u << 30, "N",
	  "reserve below which only the entitled allocate (default, and 0: computed from the zones)"),
	K("watermark-scale-factor", KEY_UINT, engine.watermark_scale_factor, 1, 1000, "N",
	  "kswapd's low/high gap in 1/10000 of a zone (default 10)"),
	K("swappiness", KEY_UINT, tunables[RCL_TUNABLE_SWAPPINESS], 0, 100, "N",
	  "balance of anon vs file reclaim, 0..100 (default 60)"),
	K("laptop-mode", KEY_UINT, tunables[RCL_TUNABLE_LAPTOP_MODE], 0, 1, "0|1",
	  "delay writeback, as vm.laptop_mode (default 0)"),
	K("page-cluster", KEY_UINT, tunables[RCL_TUNABLE_PAGE_CLUSTER], 0, 6, "N",
	  "swap readahead of 2^N pages, 0..6 (default 3)"),
	K("dirty-ratio", KEY_UINT, tunables[RCL_TUNABLE_DIRTY_RATIO], 1, 100, "PERCENT",
	  "dirty pages at which writers are throttled (default 20)"),
	K("dirty-background-ratio", KEY_UINT, tunables[RCL_TUNABLE_DIRTY_BACKGROUND_RATIO], 1,
	  100, "PERCENT", "dirty pages at which the flusher starts (default 10)"),
	K("oom-policy", KEY_UINT, tunables[RCL_TUNABLE_OOM_POLICY], 0, 1, "0|1",
	  "0: a failed allocation fails, 1: kill the worst memcg's largest region"),
	K("workingset-refault-detection", KEY_UINT, tunables[RCL_TUNABLE_WORKINGSET], 0, 1,
	  "0|1", "shadow entries and refault activation (default 1)"),
	K("mapped-regions", KEY_CHOICE, mapped_regions, 0, 0, "all|admin|off",
	  "who may map a region; all gives any client a kernel-mode userfaultfd (default all)"),
	K("reclaim-policy", KEY_POLICY, engine.reclaim_policy, 0, 0, "two-list|clock-pro",
	  "how pages are aged and chosen for eviction (default two-list)"),
	K("hugetlb", KEY_FLAG, engine.hugetlb, 0, 0, NULL,
	  "back the arena with huge pages (MAP_HUGETLB)"),
	K("thp", KEY_FLAG, engine.thp, 0, 0, NULL, "ask for transparent huge pages on the arena"),
	K("mlock", KEY_FLAG, engine.mlock, 0, 0, NULL, "lock the arena in memory"),
	K("file-buffered", KEY_FLAG, engine.file_buffered, 0, 0, NULL,
	  "write file pages back through the host page cache (default: O_DIRECT)"),
	K("swap-buffered", KEY_FLAG, engine.swap_buffered, 0, 0, NULL,
	  "swap through the host page cache (default: O_DIRECT)"),
	K("swap-sync", KEY_FLAG, swap_sync, 0, 0, NULL,
	  "synchronous swap I/O instead of io_uring (the deterministic engine's way)"),
	K("deterministic", KEY_FLAG, deterministic, 0, 0, NULL,
	  "one worker, synchronous I/O, no kswapd or flusher thread: the same counts every run"),
	K("workers", KEY_UINT, workers, 1, 256, "N",
	  "threads running requests that may block (default 4)"),
	K("max-frame", KEY_SIZE, max_frame_bytes, FRAME_MIN_MAX, 1u << 30, "SIZE",
	  "largest request frame accepted (default 16M)"),
	K("max-connections", KEY_UINT, max_connections, 1, 65536, "N",
	  "connections in total (default 256)"),
	K("reserved-connections", KEY_UINT, reserved_connections, 0, 65535, "N",
	  "of max-connections, kept for root and the admin group (default 3)"),
	K("max-client-connections", KEY_UINT, max_client_connections, 1, 65536, "N",
	  "connections per client uid, root included (default 64)"),
	K("max-client-regions", KEY_UINT, max_client_regions, 0, UINT32_MAX, "N",
	  "regions and raw allocations per client uid, 0 = no limit (default 4096)"),
	K("max-client-bytes", KEY_SIZE, max_client_bytes, 0, CONFIG_AUTO - 1, "SIZE",
	  "bytes of them per client uid, 0 = no limit (default: arena + swap)"),
	K("max-client-file-bytes", KEY_SIZE, max_client_file_bytes, 0, CONFIG_AUTO - 1, "SIZE",
	  "bytes of the files a client uid that is not an admin owns in the data directory, "
	  "0 = no limit (default: arena + swap)"),
	K("max-client-locked-bytes", KEY_SIZE, max_client_locked_bytes, 0, CONFIG_AUTO - 1, "SIZE",
	  "of them, bytes reclaim cannot take back (raw allocations, mlocked regions) per "
	  "client uid but root and the admin group, 0 = no limit (default 8M)"),
	K("max-client-memcgs", KEY_UINT, max_client_memcgs, 0, 65535, "N",
	  "memcgs a client uid but root and the admin group may own, 0 = no limit (default 256)"),
	K("max-client-mapped-regions", KEY_UINT, max_client_mapped_regions, 0, UINT_MAX - 1, "N",
	  "regions a client uid but root and the admin group has mapped at once, 5 of reclaimd's "
	  "descriptors each, 0 = no limit (default: as many as hold a quarter of the "
	  "descriptors open to clients)"),
	K("max-pipeline", KEY_UINT, max_pipeline, 1, 65536, "N",
	  "requests queued per connection before reading pauses (default 64)"),
	K("shutdown-timeout", KEY_UINT, shutdown_timeout, 0, 3600, "SECONDS",
	  "time clients get to read their last answers on shutdown (default 10)"),
	K("subscriber-queue", KEY_UINT, sub_queue, 1, 1u << 20, "N",
	  "events buffered per subscriber before it is dropped (default 1024)"),
	K("max-subscriber-queue", KEY_UINT, max_sub_queue, 1, 1u << 20, "N",
	  "the largest queue a subscriber may ask for (default 65536)"),
	K("max-client-queued-events", KEY_UINT, max_client_queued_events, 0, UINT32_MAX, "N",
	  "the queues of all of a client uid's subscriptions together, root and the admin group "
	  "aside, 0 = no limit (default 65536)"),
	K("max-client-subscriptions", KEY_UINT, max_client_subscriptions, 0, UINT32_MAX, "N",
	  "subscriptions a client uid but root and the admin group may hold at once, "
	  "0 = no limit (default 64)"),
	K("fault-poll-usecs", KEY_UINT, fault_poll_usecs, 0, 1000000, "USECS",
	  "mapped regions: look for the next fault for a window of at most this long "
	  "before sleeping, which adapts to how far apart faults come (default 50, 0: off)"),
	K("log-level", KEY_LOG_LEVEL, log_level, 0, 0, "LEVEL",
	  "err, warning, notice, info or debug (default info)"),
};

#define NR_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))
#define OPT_KEY_BASE 256

static int parse_log_level(const char *s, int *ret)
{
	static const char *const names[] = {
		[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
		[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};
	int i;

	for (i = 0; i <= LOG_DEBUG; i++) {
		if (strcmp(s, names[i]) == 0 || (s[0] == '0' + i && s[1] == '\0')) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_flag(const char *s, bool *ret)
{
	if (!strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on"))
		*ret = true;
	else if (!strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_mode(const char *s, unsigned int *ret)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 0777)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

/* Parse VALUE as KEY's type into C. Validates fully before writing: errors change nothing. */
static int key_apply(struct daemon_config *c, const struct config_key *key, const char *value)
{
	void *field = (char *)c + key->offset;
	uint64_t v;
	char *copy;

	switch (key->type) {
	case KEY_SIZE:
	case KEY_UINT:
		if (parse_size(value, &v) < 0 || v < key->min || v > key->max)
			return -EINVAL;
		if (key->type == KEY_SIZE)
			*(uint64_t *)field = v;
		else
			*(unsigned int *)field = (unsigned int)v;
		return 0;
	case KEY_STRING:
		if (!*value)
			return -EINVAL;
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	case KEY_FLAG:
		return parse_flag(value, field);
	case KEY_MODE:
		return parse_mode(value, field);
	case KEY_LOG_LEVEL:
		return parse_log_level(value, field);
	case KEY_POLICY:
		return rcl_reclaim_policy_lookup(value, field);
	case KEY_CHOICE:
		return choice_lookup(key->arg, value, field);
	}
	return -EINVAL;
}

/* Why VALUE is not one of KEY's (key_apply refused it), into BUF: what it wants, its range. */
static void key_error(const struct config_key *key, const char *value, char *buf, size_t len)
{
	uint64_t v;

	switch (key->type) {
	case KEY_SIZE:
	case KEY_UINT:
		if (parse_size(value, &v) < 0)
			snprintf(buf, len, "not a %s", key->type == KEY_SIZE ?
				 "size (a number with an optional K, M, G or T suffix)" : "number");
		else if (key->max == UINT64_MAX)
			snprintf(buf, len, "out of range: at least %" PRIu64, key->min);
		else
			snprintf(buf, len, "out of range %" PRIu64 "..%" PRIu64, key->min, key->max);
		return;
	case KEY_STRING:
		snprintf(buf, len, "empty");
		return;
	case KEY_FLAG:
		snprintf(buf, len, "want yes or no (1, 0, true, false, on, off)");
		return;
	case KEY_MODE:
		snprintf(buf, len, "want an octal file mode, 0 to 0777");
		return;
	case KEY_LOG_LEVEL:
		snprintf(buf, len, "want err, warning, notice, info or debug (or 0..7)");
		return;
	case KEY_POLICY:
		snprintf(buf, len, "want two-list or clock-pro");
		return;
	case KEY_CHOICE:
		snprintf(buf, len, "want one of %s", key->arg);
		return;
	}
}

/* The key called NAME, where '_' and '-' are the same character. NULL if there is none. */
static const struct config_key *key_find(const char *name, size_t len)
{
	size_t i, j;

	for (i = 0; i < NR_KEYS; i++) {
		const char *k = config_keys[i].name;

		if (strlen(k) != len)
			continue;
		for (j = 0; j < len; j++)
			if (k[j] != (name[j] == '_' ? '-' : name[j]))
				break;
		if (j == len)
			return &config_keys[i];
	}
	return NULL;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* One line of the file; 0 or a negative errno with WHY saying what is wrong, naming the key,
 * the value and what the key takes. */
static int parse_line(struct daemon_config *c, char *line, char *why, size_t len)
{
	const struct config_key *key;
	char *eq, *name, *value, *hash = strchr(line, '#');
	char reason[96];

	if (hash)
		*hash = '\0';
	name = trim(line);
	if (!*name)
		return 0;
	if (*name == '[') {
		snprintf(why, len, "'%s': there are no sections, only 'key = value' lines", name);
		return -EINVAL;
	}
	eq = strchr(name, '=');
	if (!eq) {
		snprintf(why, len, "'%s': expected 'key = value'", name);
		return -EINVAL;
	}
	*eq = '\0';
	name = trim(name);
	value = trim(eq + 1);
	key = key_find(name, strlen(name));
	if (!key) {
		snprintf(why, len, "unknown key '%s' (the keys are reclaimd's long options)", name);
		return -EINVAL;
	}
	if (key->type == KEY_FLAG && !*value)
		value = "1";
	if (key_apply(c, key, value) < 0) {
		key_error(key, value, reason, sizeof(reason));
		snprintf(why, len, "%s = '%s': %s", key->name, value, reason);
		return -EINVAL;
	}
	return 0;
}

int config_parse_file(struct daemon_config *c, FILE *f, const char *name)
{
	char *line = NULL;
	size_t cap = 0, total = 0;
	unsigned int lineno = 0;
	char why[512];
	ssize_t n;
	int ret = 0;

	errno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		total += (size_t)n;
		/* A line is text: what follows a NUL would be dropped without a word. */
		if (strlen(line) != (size_t)n)
			snprintf(why, sizeof(why), "a NUL byte in the line");
		else if (total > CONFIG_FILE_MAX)
			snprintf(why, sizeof(why), "the file is longer than %u bytes",
				 CONFIG_FILE_MAX);
		else
			why[0] = '\0';
		ret = why[0] ? -EINVAL : parse_line(c, line, why, sizeof(why));
		if (ret < 0) {
			fprintf(stderr, SD_ERR "reclaimd: %s:%u: %s\n", name, lineno, why);
			break;
		}
		errno = 0;
	}
	/* Not the end of a file: a directory (EISDIR), an I/O error. Not an empty file. */
	if (ret == 0 && ferror(f)) {
		ret = errno ? -errno : -EIO;
		fprintf(stderr, SD_ERR "reclaimd: cannot read %s: %s\n", name, strerror(-ret));
	}
	free(line);
	return ret;
}

static int load_file(struct daemon_config *c, const char *path)
{
	/* Non-blocking: a FIFO's open would wait for a writer (a reload runs on the loop). */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;
	int ret;

	/* An optional file that is not there sets nothing: the packaged unit names
	 * /etc/reclaimd/reclaimd.conf, which an operator creates only to change a default. Any
	 * other error (a directory, no permission) is still an error. */
	if (fd < 0 && errno == ENOENT && c->config_optional)
		return 0;
	if (fd < 0) {
		ret = -errno;
		fprintf(stderr, SD_ERR "reclaimd: cannot open %s: %s\n", path, strerror(-ret));
		return ret;
	}
	/* A device or a FIFO would be read without end (/dev/zero), or wait for a writer. */
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else if (S_ISDIR(st.st_mode))
		ret = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		ret = -EINVAL;
	else
		ret = st.st_size > CONFIG_FILE_MAX ? -EFBIG : 0;
	if (ret == 0 && !(f = fdopen(fd, "r")))
		ret = -errno;
	if (ret < 0) {
		if (ret == -EINVAL)
			fprintf(stderr, SD_ERR "reclaimd: cannot read %s: not a regular file\n", path);
		else if (ret == -EFBIG)
			fprintf(stderr, SD_ERR "reclaimd: cannot read %s: longer than %u bytes\n",
				path, CONFIG_FILE_MAX);
		else
			fprintf(stderr, SD_ERR "reclaimd: cannot read %s: %s\n", path,
				strerror(-ret));
		close(fd);
		return ret;
	}
	ret = config_parse_file(c, f, path);
	fclose(f);
	return ret;
}

/* The run-time sysctl KEY sets, or -1: the tunables share their names with their keys. */
static int key_tunable(const struct config_key *key)
{
	int t;

	for (t = 0; t < RCL_NR_TUNABLES; t++)
		if (key_find(rcl_tunable_names[t], strlen(rcl_tunable_names[t])) == key)
			return t;
	return -1;
}

/* What a reload applies: the tunables and the log level; the rest is read at start only. */
static bool key_reloadable(const struct config_key *key)
{
	return key_tunable(key) >= 0 || key->type == KEY_LOG_LEVEL;
}

/* KEY's value in C as the file would spell it, into BUF. */
static void key_format(const struct daemon_config *c, const struct config_key *key, char *buf,
		       size_t len)
{
	static const char *const levels[] = { "emerg", "alert", "crit", "err", "warning",
					      "notice", "info", "debug" };
	const void *field = (const char *)c + key->offset;
	int level;

	switch (key->type) {
	case KEY_SIZE:
		snprintf(buf, len, "%" PRIu64, *(const uint64_t *)field);
		return;
	case KEY_UINT:
		snprintf(buf, len, "%u", *(const unsigned int *)field);
		return;
	case KEY_STRING:
		snprintf(buf, len, "%s", *(char *const *)field ? *(char *const *)field : "(none)");
		return;
	case KEY_FLAG:
		snprintf(buf, len, "%s", *(const bool *)field ? "yes" : "no");
		return;
	case KEY_MODE:
		snprintf(buf, len, "%04o", *(const unsigned int *)field);
		return;
	case KEY_LOG_LEVEL:
		level = *(const int *)field;
		snprintf(buf, len, "%s", level >= 0 && level <= LOG_DEBUG ? levels[level] : "?");
		return;
	case KEY_POLICY:
		level = *(const int *)field;
		snprintf(buf, len, "%s", level >= 0 && level < RCL_NR_RECLAIM_POLICIES ?
			 rcl_reclaim_policy_names[level] : "?");
		return;
	case KEY_CHOICE:
		choice_name(key->arg, *(const unsigned int *)field, buf, len);
		return;
	}
}

int config_diff(const struct daemon_config *old, const struct daemon_config *fresh,
		config_change_fn fn, void *arg)
{
	struct config_change ch;
	size_t i;
	int n = 0;

	for (i = 0; i < NR_KEYS; i++) {
		const struct config_key *k = &config_keys[i];

		key_format(old, k, ch.old_value, sizeof(ch.old_value));
		key_format(fresh, k, ch.new_value, sizeof(ch.new_value));
		if (!strcmp(ch.old_value, ch.new_value))
			continue;
		ch.key = k->name;
		ch.tunable = key_tunable(k);
		ch.reloadable = key_reloadable(k);
		fn(arg, &ch);
		n++;
	}
	return n;
}

void config_take_reloadable(struct daemon_config *c, const struct daemon_config *fresh)
{
	memcpy(c->tunables, fresh->tunables, sizeof(c->tunables));
	c->engine.min_free_kbytes = fresh->engine.min_free_kbytes;
	c->engine.watermark_scale_factor = fresh->engine.watermark_scale_factor;
	c->log_level = fresh->log_level;
}

static void usage(FILE *out, const char *prog)
{
	char opt[64];
	size_t i;

	fprintf(out,
		"Usage: %s [OPTION]...\n"
		"Run the reclaimd memory daemon in the foreground.\n"
		"\n"
		"Settings come from built-in defaults, then the file given with -c (`key = value`\n"
		"lines, keys named as the long options), then the command line. SIGHUP re-reads\n"
		"both and applies the settings marked (reload) whose value changed since the last\n"
		"load; it names the other changed settings, which need a restart.\n"
		"\n"
		"  -c, --config FILE           read settings from FILE\n"
		"      --config-if-exists FILE   as --config, but a missing FILE sets nothing\n", prog);
	for (i = 0; i < NR_KEYS; i++) {
		const struct config_key *k = &config_keys[i];

		const char *mark = key_reloadable(k) ? " (reload)" : "";

		snprintf(opt, sizeof(opt), "--%s%s%s", k->name, k->arg ? " " : "",
			 k->arg ? k->arg : "");
		/* An option too long for the column gets its help on the next line. */
		if (strlen(opt) >= 26)
			fprintf(out, "      %s\n      %-26s%s%s\n", opt, "", k->help, mark);
		else
			fprintf(out, "      %-26s%s%s\n", opt, k->help, mark);
	}
	fprintf(out,
		"  -h, --help                  show this help\n"
		"  -V, --version               show the version\n");
}

/* getopt's table, built from config_keys[]: option i of the table is OPT_KEY_BASE + i. */
static void build_options(struct option *options)
{
	static const struct option fixed[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "config-if-exists", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
	};
	size_t i;

	for (i = 0; i < NR_KEYS; i++) {
		options[i].name = config_keys[i].name;
		options[i].has_arg = config_keys[i].type == KEY_FLAG ? no_argument :
				     required_argument;
		options[i].flag = NULL;
		options[i].val = OPT_KEY_BASE + (int)i;
	}
	memcpy(options + NR_KEYS, fixed, sizeof(fixed));
	memset(options + NR_KEYS + 4, 0, sizeof(*options));
}

/* First pass: --help, --version and the config file, so that the file comes before options. */
static int scan_config_option(struct daemon_config *c, int argc, char **argv,
			      const struct option *options)
{
	int opt;

	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
		case 'C':
			/* The last of -c and --config-if-exists names the file. */
			free(c->config_file);
			c->config_file = strdup(optarg);
			if (!c->config_file)
				return -1;
			c->config_optional = opt == 'C';
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 1;
		case 'V':
			printf("reclaimd %s\n", PACKAGE_VERSION);
			return 1;
		}
	}
	return 0;
}

/* *@path, if nothing set it, becomes @dir/@name. */
static int path_default(char **path, const char *dir, const char *name)
{
	if (*path)
		return 0;
	if (asprintf(path, "%s/%s", dir, name) < 0) {
		*path = NULL;
		return -1;
	}
	return 0;
}

/* Settings that depend on each other, once all are read. 0 or -1 (printed). */
static int config_finish(struct daemon_config *c, const char *prog)
{
	if (c->reserved_connections >= c->max_connections) {
		fprintf(stderr, "%s: reserved-connections (%u) must be below "
			"max-connections (%u)\n", prog, c->reserved_connections, c->max_connections);
		return -1;
	}
	/*
	 * A daemon told where its state lives keeps its files and its socket there too, unless
	 * told otherwise: --state-dir /srv/r alone must not leave them in the directory it
	 * happened to be started from.
	 */
	if (path_default(&c->data_dir, c->state_dir, "data") < 0 ||
	    path_default(&c->socket_path, c->state_dir, "reclaimd.sock") < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return -1;
	}
	/* A uid may map at most what the daemon can back at all: its arena and its swap. */
	if (c->max_client_bytes == CONFIG_AUTO)
		c->max_client_bytes = c->engine.arena_bytes + c->swap_bytes;
	if (c->max_client_file_bytes == CONFIG_AUTO)
		c->max_client_file_bytes = c->engine.arena_bytes + c->swap_bytes;
	return 0;
}

int config_parse_args(struct daemon_config *c, int argc, char **argv)
{
	struct option options[NR_KEYS + 5];
	int opt, ret;

	build_options(options);
	ret = scan_config_option(c, argc, argv, options);
	if (ret)
		return ret;
	if (c->config_file && load_file(c, c->config_file) < 0)
		return -1;

	opterr = 1;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		const struct config_key *key;

		if (opt == 'c' || opt == 'C')
			continue;
		if (opt < OPT_KEY_BASE || opt >= OPT_KEY_BASE + (int)NR_KEYS) {
			usage(stderr, argv[0]);
			return -1;
		}
		key = &config_keys[opt - OPT_KEY_BASE];
		if (key_apply(c, key, key->type == KEY_FLAG ? "1" : optarg) < 0) {
			char reason[96];

			key_error(key, optarg ? optarg : "", reason, sizeof(reason));
			fprintf(stderr, "%s: --%s '%s': %s\n", argv[0], key->name,
				optarg ? optarg : "", reason);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		return -1;
	}
	return config_finish(c, argv[0]);
}
