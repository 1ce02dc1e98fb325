/*
 * helper.c - the C half of the accuracy benchmark's traffic generators.
 * run.sh compiles it at run time (cc -O2) into its temporary directory.
 *
 *   pacc-helper udp-echo ADDR PORT
 *       answer every datagram (recvmmsg/sendmmsg, up to 64 at a time) with
 *       one of the size its first 4 bytes ask for (big-endian, 4..1400);
 *       prints "ready", runs until killed
 *   pacc-helper udp-flood ADDR PORT COUNT SIZE REPLY BATCH
 *       COUNT datagrams of SIZE bytes asking for REPLY-byte answers, sent
 *       with sendmmsg() BATCH at a time from one unconnected socket bound to
 *       the wildcard address; after each batch the answers are read
 *       (recvmmsg, 300 ms at most), so that nothing piles up
 *   pacc-helper tcp-oneshot ADDR PORT SEND REPLY
 *       connect, send an 8-byte header (SEND, REPLY) and SEND bytes, read
 *       REPLY bytes, close, exit
 *
 * The clients print one JSON line, as agen.py does: pid, comm, flows
 * ([proto, laddr, lport, raddr, rport]), sent, recv (payload bytes), errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAXB 64

static int parse_addr(const char *a, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	fprintf(stderr, "pacc-helper: bad address %s\n", a);
	exit(2);
}

static void name_of(const struct sockaddr_storage *ss, char *buf, size_t n, int *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)n);
		*port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)n);
		*port = ntohs(s6->sin6_port);
	}
}

static void report(int proto, int fd, const struct sockaddr_storage *peer, long long sent,
		   long long recvd, long errors, const char *extra)
{
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	char la[64], ra[64], comm[64] = "";
	int lp = 0, rp = 0;
	FILE *f;

	getsockname(fd, (struct sockaddr *)&me, &ml);
	name_of(&me, la, sizeof(la), &lp);
	name_of(peer, ra, sizeof(ra), &rp);
	f = fopen("/proc/self/comm", "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	printf("{\"pid\": %d, \"comm\": \"%s\", \"flows\": [[%d, \"%s\", %d, \"%s\", %d]], "
	       "\"sent\": %lld, \"recv\": %lld, \"errors\": %ld%s}\n",
	       (int)getpid(), comm, proto, la, lp, ra, rp, sent, recvd, errors, extra);
	fflush(stdout);
}

static int udp_echo(const char *addr, int port)
{
	struct sockaddr_storage ss, from[MAXB];
	socklen_t len;
	int fam = parse_addr(addr, port, &ss, &len);
	int fd = socket(fam, SOCK_DGRAM, 0);
	static char in[MAXB][2048], out[MAXB][1400];
	struct mmsghdr rm[MAXB], sm[MAXB];
	struct iovec riov[MAXB], siov[MAXB];
	int one = 1;

	if (fam == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
		perror("pacc-helper: udp-echo");
		return 1;
	}
	memset(out, 'a', sizeof(out));
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n, i;

		memset(rm, 0, sizeof(rm));
		for (i = 0; i < MAXB; i++) {
			riov[i].iov_base = in[i];
			riov[i].iov_len = sizeof(in[i]);
			rm[i].msg_hdr.msg_iov = &riov[i];
			rm[i].msg_hdr.msg_iovlen = 1;
			rm[i].msg_hdr.msg_name = &from[i];
			rm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(fd, rm, MAXB, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("pacc-helper: recvmmsg");
			return 1;
		}
		memset(sm, 0, sizeof(sm));
		for (i = 0; i < n; i++) {
			uint32_t want = 4;

			if (rm[i].msg_len >= 4) {
				memcpy(&want, in[i], 4);
				want = ntohl(want);
			}
			if (want < 4)
				want = 4;
			if (want > sizeof(out[i]))
				want = sizeof(out[i]);
			siov[i].iov_base = out[i];
			siov[i].iov_len = want;
			sm[i].msg_hdr.msg_iov = &siov[i];
			sm[i].msg_hdr.msg_iovlen = 1;
			sm[i].msg_hdr.msg_name = &from[i];
			sm[i].msg_hdr.msg_namelen = rm[i].msg_hdr.msg_namelen;
		}
		for (i = 0; i < n;) {
			int m = sendmmsg(fd, sm + i, (unsigned)(n - i), 0);

			if (m <= 0)
				break;
			i += m;
		}
	}
}

static int udp_flood(const char *addr, int port, long count, int size, int reply, int batch)
{
	struct sockaddr_storage dst, any;
	socklen_t len, alen;
	int fam = parse_addr(addr, port, &dst, &len);
	int fd = socket(fam, SOCK_DGRAM, 0);
	static char q[MAXB][2048], in[MAXB][2048];
	struct mmsghdr sm[MAXB], rm[MAXB];
	struct iovec siov[MAXB], riov[MAXB];
	long sent_n = 0, recv_n = 0, errors = 0, calls = 0;
	long long sent = 0, recvd = 0;
	char extra[128];

	if (batch < 1 || batch > MAXB)
		batch = MAXB;
	if (size < 8 || size > 2000)
		size = 40;
	parse_addr(fam == AF_INET ? "0.0.0.0" : "::", 0, &any, &alen);
	if (fd < 0 || bind(fd, (struct sockaddr *)&any, alen) < 0) {
		perror("pacc-helper: udp-flood");
		return 1;
	}
	while (sent_n < count) {
		int n = (int)(count - sent_n < batch ? count - sent_n : batch);
		int i, got = 0, m;

		memset(sm, 0, sizeof(sm));
		for (i = 0; i < n; i++) {
			uint32_t want = htonl((uint32_t)reply);
			int sz = size + (int)((sent_n + i) % 17);	/* DNS-like: varied */

			memset(q[i], 'q', (size_t)sz);
			memcpy(q[i], &want, 4);
			siov[i].iov_base = q[i];
			siov[i].iov_len = (size_t)sz;
			sm[i].msg_hdr.msg_iov = &siov[i];
			sm[i].msg_hdr.msg_iovlen = 1;
			sm[i].msg_hdr.msg_name = &dst;
			sm[i].msg_hdr.msg_namelen = len;
		}
		for (i = 0; i < n;) {
			m = sendmmsg(fd, sm + i, (unsigned)(n - i), 0);
			calls++;
			if (m <= 0) {
				errors++;
				break;
			}
			for (int k = i; k < i + m; k++)
				sent += sm[k].msg_len;
			i += m;
		}
		sent_n += n;
		while (got < i) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 300) <= 0)
				break;
			memset(rm, 0, sizeof(rm));
			for (int k = 0; k < MAXB; k++) {
				riov[k].iov_base = in[k];
				riov[k].iov_len = sizeof(in[k]);
				rm[k].msg_hdr.msg_iov = &riov[k];
				rm[k].msg_hdr.msg_iovlen = 1;
			}
			m = recvmmsg(fd, rm, MAXB, MSG_DONTWAIT, NULL);
			if (m <= 0)
				break;
			for (int k = 0; k < m; k++)
				recvd += rm[k].msg_len;
			got += m;
			recv_n += m;
		}
	}
	snprintf(extra, sizeof(extra), ", \"datagrams\": %ld, \"replies\": %ld, \"sendmmsg_calls\": %ld",
		 sent_n, recv_n, calls);
	report(17, fd, &dst, sent, recvd, errors + (sent_n - recv_n), extra);
	close(fd);
	return 0;
}

static int tcp_oneshot(const char *addr, int port, long send_n, long reply)
{
	struct sockaddr_storage dst;
	socklen_t len;
	int fam = parse_addr(addr, port, &dst, &len);
	int fd = socket(fam, SOCK_STREAM, 0);
	static char buf[65536];
	uint32_t hdr[2] = { htonl((uint32_t)send_n), htonl((uint32_t)reply) };
	long long sent = 0, recvd = 0;
	long errors = 0;
	struct timeval tv = { 10, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&dst, len) < 0) {
		perror("pacc-helper: connect");
		return 1;
	}
	if (write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		errors++;
	memset(buf, 's', sizeof(buf));
	while (sent < send_n) {
		long want = send_n - sent > (long)sizeof(buf) ? (long)sizeof(buf) : send_n - sent;
		ssize_t w = write(fd, buf, (size_t)want);

		if (w <= 0) {
			errors++;
			break;
		}
		sent += w;
	}
	while (recvd < reply) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0) {
			errors++;
			break;
		}
		recvd += r;
	}
	report(6, fd, &dst, sent, recvd, errors, "");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "udp-echo"))
		return udp_echo(argv[2], atoi(argv[3]));
	if (argc == 8 && !strcmp(argv[1], "udp-flood"))
		return udp_flood(argv[2], atoi(argv[3]), atol(argv[4]), atoi(argv[5]),
				 atoi(argv[6]), atoi(argv[7]));
	if (argc == 6 && !strcmp(argv[1], "tcp-oneshot"))
		return tcp_oneshot(argv[2], atoi(argv[3]), atol(argv[4]), atol(argv[5]));
	fprintf(stderr, "usage: pacc-helper udp-echo ADDR PORT | udp-flood ADDR PORT COUNT SIZE "
		"REPLY BATCH | tcp-oneshot ADDR PORT SEND REPLY\n");
	return 2;
}
