/*
 * psi-sock.h - the file name of a memcg's memory-pressure socket (daemon/psiwatch.h), which
 * the daemon creates and `reclaimctl memcg watch-path` prints.
 */
#ifndef RECLAIMD_PSI_SOCK_H
#define RECLAIMD_PSI_SOCK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The directory of the sockets, next to the API socket. */
#define PSI_SOCK_DIR	"pressure"

/*
 * The socket name of memcg @path: "/a/b" -> "a-b.sock", "/" -> "-.sock", with '-' and '\'
 * in a name written "\x2d" and "\x5c" as systemd escapes unit names, so that no two memcgs
 * share a name. 0, or -ENAMETOOLONG.
 */
static inline int psi_sock_name(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	const char *p;

	for (p = path; *p == '/'; p++)
		;
	if (!*p)
		return snprintf(buf, len, "-.sock") < (int)len ? 0 : -ENAMETOOLONG;
	for (; *p; p++) {
		char esc[8];
		const char *piece = esc;

		if (*p == '/')
			piece = "-";
		else if (*p == '-' || *p == '\\')
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)*p);
		else
			snprintf(esc, sizeof(esc), "%c", *p);
		if (n + strlen(piece) >= len)
			return -ENAMETOOLONG;
		memcpy(buf + n, piece, strlen(piece));
		n += strlen(piece);
	}
	if (n > 0 && buf[n - 1] == '-')	/* a trailing '/' */
		n--;
	if (n + sizeof(".sock") > len)
		return -ENAMETOOLONG;
	memcpy(buf + n, ".sock", sizeof(".sock"));
	return 0;
}

#endif
