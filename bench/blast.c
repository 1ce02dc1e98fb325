/*
 * blast.c - traffic for the live-capture benchmark. Built by bench/run.sh.
 *
 *   blast udp ADDR PORT SECONDS [PAYLOAD]   UDP as fast as sendmmsg goes
 *   blast tcp ADDR PORT SECONDS             one TCP connection, bulk writes
 *   blast udp-sink PORT                     bind UDP [::]:PORT, never read
 *   blast tcp-sink PORT                     accept on [::]:PORT, read and drop
 *
 * The senders print "sent PACKETS BYTES" (UDP: datagrams and payload bytes
 * the kernel accepted; TCP: 0 and payload bytes written). The sinks print
 * "ready" once bound and run until killed. The UDP sink never reads: the
 * kernel drops what overflows its buffer, silently (no ICMP), and spends
 * no process time on it. ADDR: IPv4 or IPv6.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256

static void die(const char *what)
{
	fprintf(stderr, "blast: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	fprintf(stderr, "blast: bad address %s\n", addr);
	exit(2);
}

static int sink(int type, int port)
{
	struct sockaddr_in6 sa;
	int fd = socket(AF_INET6, type, 0), off = 0, on = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (type == SOCK_STREAM && listen(fd, 16) < 0)
		die("listen");
	printf("ready\n");
	fflush(stdout);
	if (type == SOCK_DGRAM) {
		for (;;)
			pause();
	}
	for (;;) {
		static char buf[1 << 18];
		int c = accept(fd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	unsigned long long packets = 0, bytes = 0;
	double secs, end;
	int fd, family;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (argc == 3 && strcmp(argv[1], "udp-sink") == 0)
		return sink(SOCK_DGRAM, atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "tcp-sink") == 0)
		return sink(SOCK_STREAM, atoi(argv[2]));
	if (argc < 5 || (strcmp(argv[1], "udp") && strcmp(argv[1], "tcp"))) {
		fprintf(stderr, "usage: blast udp|tcp ADDR PORT SECONDS [PAYLOAD] | "
				"blast udp-sink|tcp-sink PORT\n");
		return 2;
	}
	family = parse_addr(argv[2], atoi(argv[3]), &ss, &slen);
	secs = atof(argv[4]);
	if (strcmp(argv[1], "udp") == 0) {
		static char payload[1500];
		struct mmsghdr msgs[BATCH];
		struct iovec iov[BATCH];
		size_t plen = argc > 5 ? (size_t)atoi(argv[5]) : 18;

		if (plen > sizeof(payload))
			plen = sizeof(payload);
		fd = socket(family, SOCK_DGRAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, slen) < 0)
			die("udp connect");
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = payload;
			iov[i].iov_len = plen;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		end = now() + secs;
		while (now() < end) {
			int n = sendmmsg(fd, msgs, BATCH, 0);
			if (n < 0) {
				if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
					continue;
				die("sendmmsg");
			}
			packets += (unsigned long long)n;
			bytes += (unsigned long long)n * plen;
		}
	} else {
		static char buf[1 << 16];

		fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, slen) < 0)
			die("tcp connect");
		end = now() + secs;
		while (now() < end) {
			ssize_t n = write(fd, buf, sizeof(buf));
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("write");
			}
			bytes += (unsigned long long)n;
		}
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	}
	close(fd);
	printf("sent %llu %llu\n", packets, bytes);
	return 0;
}
