/*
 * sockhold.c - hold idle loopback TCP sockets across many processes.
 *
 *   sockhold NPROCS NSOCKETS [ADDR]
 *
 * Opens NSOCKETS/2 TCP connections to a listener on ADDR (default
 * 127.0.0.1), so NSOCKETS established sockets (both ends of each
 * connection), then forks NPROCS children; child i keeps the sockets whose
 * number is i modulo NPROCS and closes the others. The listener is closed.
 * Prints "ready PID1 PID2 ..." (the children) on stdout once every child
 * holds its share, then waits until stdin reaches EOF or SIGTERM/SIGINT,
 * kills the children and exits. Children also die with the parent
 * (PR_SET_PDEATHSIG). Built by bench/run.sh at run time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "sockhold: %s: %s\n", what, strerror(errno));
	exit(1);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int nprocs, nsocks, lfd, *fds, sync_pipe[2];
	pid_t *kids;
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);
	struct rlimit rl;
	struct sigaction act;

	if (argc < 3 || (nprocs = atoi(argv[1])) < 1 || (nsocks = atoi(argv[2])) < 2) {
		fprintf(stderr, "usage: sockhold NPROCS NSOCKETS [ADDR]\n");
		return 2;
	}
	nsocks &= ~1;
	rl.rlim_cur = rl.rlim_max = (rlim_t)nsocks + 256;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit(RLIMIT_NOFILE)");
	fds = calloc((size_t)nsocks, sizeof(*fds));
	kids = calloc((size_t)nprocs, sizeof(*kids));
	if (!fds || !kids)
		die("calloc");

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, argc > 3 ? argv[3] : "127.0.0.1", &sa.sin_addr) != 1) {
		fprintf(stderr, "sockhold: bad address\n");
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4096) < 0 || getsockname(lfd, (struct sockaddr *)&sa, &slen) < 0)
		die("listener");
	for (int i = 0; i < nsocks; i += 2) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("connect");
		fds[i + 1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fds[i + 1] < 0)
			die("accept");
	}
	if (pipe(sync_pipe) < 0)
		die("pipe");
	for (int p = 0; p < nprocs; p++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(0);
			prctl(PR_SET_NAME, "pbhold");
			close(lfd);
			close(sync_pipe[0]);
			for (int i = 0; i < nsocks; i++) {
				if (i % nprocs != p)
					close(fds[i]);
			}
			/* One byte: this child holds its share. */
			if (write(sync_pipe[1], "", 1) != 1)
				_exit(1);
			close(sync_pipe[1]);
			for (;;)
				pause();
		}
		kids[p] = pid;
	}
	close(lfd);
	close(sync_pipe[1]);
	for (int i = 0; i < nsocks; i++)
		close(fds[i]);
	for (int got = 0; got < nprocs;) {
		char buf[256];
		ssize_t n = read(sync_pipe[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "sockhold: a child failed\n");
			for (int p = 0; p < nprocs; p++)
				kill(kids[p], SIGKILL);
			return 1;
		}
		got += (int)n;
	}
	close(sync_pipe[0]);

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	printf("ready");
	for (int p = 0; p < nprocs; p++)
		printf(" %d", (int)kids[p]);
	printf("\n");
	fflush(stdout);
	while (!stop) {
		char c;
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	for (int p = 0; p < nprocs; p++)
		kill(kids[p], SIGKILL);
	for (int p = 0; p < nprocs; p++)
		waitpid(kids[p], NULL, 0);
	return 0;
}
