/*
 * run-notify - run a command with a NOTIFY_SOCKET of our own and print what it tells systemd.
 *
 *   run-notify [--timeout SECONDS] SOCKET_PATH COMMAND [ARG]...
 *
 * Prints "pid=N" first, then each line of each sd_notify message as it arrives, then
 * "exit=N" or "signal=N" when the command ends. The command's own stdout is shared, so tests
 * read one stream. The command is killed after the timeout (default 60 s): no test hangs.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void print_message(const char *buf, ssize_t n)
{
	ssize_t i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i == n || buf[i] == '\n') {
			if (i > start)
				printf("%.*s\n", (int)(i - start), buf + start);
			start = i + 1;
		}
	}
	fflush(stdout);
}

static void drain(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		print_message(buf, n);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int timeout = 60, argi = 1, fd, pidfd, status, go[2];
	struct timespec start, now;
	pid_t pid;

	if (argc > 2 && strcmp(argv[1], "--timeout") == 0) {
		timeout = atoi(argv[2]);
		argi = 3;
	}
	if (argc - argi < 2) {
		fprintf(stderr, "usage: run-notify [--timeout S] SOCKET_PATH COMMAND [ARG]...\n");
		return 2;
	}
	if (strlen(argv[argi]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "run-notify: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[argi]);
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("run-notify: socket");
		return 2;
	}

	/* The child waits until "pid=" is out, so that it is always the first line. */
	if (pipe(go) < 0) {
		perror("run-notify: pipe");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("run-notify: fork");
		return 2;
	}
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(127);
		close(go[0]);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		execvp(argv[argi + 1], argv + argi + 1);
		perror("run-notify: exec");
		_exit(127);
	}
	printf("pid=%d\n", (int)pid);
	fflush(stdout);
	close(go[0]);
	close(go[1]);		/* EOF: the child may go on */

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		perror("run-notify: pidfd_open");
		kill(pid, SIGKILL);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
		int left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout * 1000 - (int)((now.tv_sec - start.tv_sec) * 1000 +
					      (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			printf("timeout\n");
			fflush(stdout);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pfd, 2, left) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			drain(fd);
		if (pfd[1].revents & POLLIN)
			break;
	}
	waitpid(pid, &status, 0);
	drain(fd);
	if (WIFEXITED(status))
		printf("exit=%d\n", WEXITSTATUS(status));
	else
		printf("signal=%d\n", WTERMSIG(status));
	fflush(stdout);
	unlink(sa.sun_path);
	return 0;
}
