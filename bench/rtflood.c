/*
 * rtflood.c - traffic and a witness for bench/rtflood.sh (issue 11, item 10).
 *
 *   rtflood flood SECONDS   frames of UDP from 10.0.0.1 to 10.128.0.0/9 sent on
 *                           lo through a packet socket, a new destination (address
 *                           and port) every one: every packet a new flow, and
 *                           no address of the host, so the IP stack drops each
 *                           at once and the sender is fast
 *   rtflood spin SECONDS    a normal process that only wants the CPU
 *
 * The flood prints "sent FRAMES". The spinner reads the monotonic clock
 * in a loop; a gap between two reads is time the core was given to another
 * thread. It prints "share S max_gap_ms G long_gaps_ms L": the CPU time it
 * had over the wall time, its longest gap, and the sum of its gaps longer
 * than LONG_GAP_MS (the time another thread held the core at once).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64		/* datagrams one sendmmsg hands over */
#define FRAME 60		/* Ethernet, IPv4, UDP, 18 bytes of payload */
#define LONG_GAP_MS 2.0		/* a gap longer than a scheduler's slice */

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The IPv4 header checksum of h (20 bytes, its checksum field 0). */
static uint16_t ip_sum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int flood(double seconds)
{
	static uint8_t frame[BATCH][FRAME];
	static struct mmsghdr m[BATCH];
	static struct iovec iov[BATCH];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	uint64_t sent = 0, k = 0;
	double end = clock_s(CLOCK_MONOTONIC) + seconds;

	to.sll_ifindex = (int)if_nametoindex("lo");
	if (fd < 0 || to.sll_ifindex == 0) {
		fprintf(stderr, "rtflood: packet socket on lo: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		uint8_t *f = frame[i];

		memset(f, 0, FRAME);
		f[12] = 0x08;				/* Ethernet: IPv4 */
		f[14] = 0x45;				/* IPv4, 20 bytes */
		f[16] = 0;
		f[17] = FRAME - 14;			/* total length */
		f[22] = 64;				/* TTL */
		f[23] = 17;				/* UDP */
		f[39] = FRAME - 34;			/* UDP length */
		iov[i].iov_base = f;
		iov[i].iov_len = FRAME;
		m[i].msg_hdr.msg_name = &to;
		m[i].msg_hdr.msg_namelen = sizeof(to);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	while (clock_s(CLOCK_MONOTONIC) < end) {
		for (int i = 0; i < BATCH; i++, k++) {
			uint8_t *f = frame[i];
			uint32_t v = (uint32_t)k;
			uint16_t sum;

			/* 10.0.0.1 -> 10.128.0.0/9 and a port from k: a new flow each. */
			f[26] = 10, f[27] = 0, f[28] = 0, f[29] = 1;
			f[30] = 10, f[31] = (uint8_t)(128 | (v >> 16 & 127));
			f[32] = (uint8_t)(v >> 8), f[33] = (uint8_t)v;
			f[34] = 0x30, f[35] = 0x39;	/* source port 12345 */
			f[36] = (uint8_t)(v >> 31 << 7 | (v >> 23 & 0x7f)), f[37] = 53;
			f[24] = f[25] = 0;
			sum = ip_sum(f + 14);
			f[24] = (uint8_t)(sum >> 8), f[25] = (uint8_t)sum;
		}
		int n = sendmmsg(fd, m, BATCH, 0);

		if (n > 0)
			sent += (uint64_t)n;
	}
	printf("sent %llu\n", (unsigned long long)sent);
	return 0;
}

static int spin(double seconds)
{
	double start = clock_s(CLOCK_MONOTONIC), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	double last = start, now = start, max_gap = 0, long_gaps = 0;

	while (now < start + seconds) {
		now = clock_s(CLOCK_MONOTONIC);
		if (now - last > max_gap)
			max_gap = now - last;
		if (now - last > LONG_GAP_MS / 1e3)
			long_gaps += now - last;
		last = now;
	}
	printf("share %.3f max_gap_ms %.1f long_gaps_ms %.0f\n",
	       (clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / (now - start), max_gap * 1e3,
	       long_gaps * 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc == 3 ? strtod(argv[2], NULL) : 0;

	if (argc == 3 && seconds > 0 && strcmp(argv[1], "flood") == 0)
		return flood(seconds);
	if (argc == 3 && seconds > 0 && strcmp(argv[1], "spin") == 0)
		return spin(seconds);
	fprintf(stderr, "usage: rtflood flood|spin SECONDS\n");
	return 2;
}
