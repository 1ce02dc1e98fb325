/*
 * pktdiag.c - which packet sockets have a receive ring, by sock_diag
 * (NETLINK_SOCK_DIAG, AF_PACKET, linux/packet_diag.h); see pktsock.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>

#include "pktsock.h"

#define PKTDIAG_BUF (32 * 1024)
#define PKTDIAG_RECV_MAX 4096	/* reads of one dump: a bound, whatever the kernel sends */

/* Does the answer h (whole, checked by the caller) carry a receive ring? */
static bool has_rx_ring(const struct nlmsghdr *h)
{
	size_t off = NLMSG_LENGTH(sizeof(struct packet_diag_msg));

	/* Attributes, each within the message (struct nlattr, 4-byte aligned). */
	while (off + sizeof(struct nlattr) <= h->nlmsg_len) {
		const struct nlattr *a = (const struct nlattr *)((const char *)h + off);
		size_t alen = a->nla_len;

		if (alen < sizeof(*a) || alen > h->nlmsg_len - off)
			return false;
		if ((a->nla_type & NLA_TYPE_MASK) == PACKET_DIAG_RX_RING)
			return true;
		off += NLA_ALIGN(alen);
	}
	return false;
}

/* Read the dump's answers; the number of rings, or -1. */
static int read_dump(int fd, uint32_t seq, uint64_t *rings, size_t max)
{
	unsigned char *buf = malloc(PKTDIAG_BUF);
	size_t n = 0;

	if (!buf)
		return -1;
	for (int reads = 0; reads < PKTDIAG_RECV_MAX; reads++) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		const struct nlmsghdr *h;
		ssize_t got;
		size_t left;

		do
			got = recvfrom(fd, buf, PKTDIAG_BUF, 0, (struct sockaddr *)&from, &fromlen);
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			break;
		/* Only the kernel (port 0) answers. */
		if (fromlen < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue;
		left = (size_t)got;
		for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			const struct packet_diag_msg *m;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				free(buf);
				return (int)n;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				errno = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ? -e->error
											: EPROTO;
				free(buf);
				return -1;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			m = NLMSG_DATA(h);
			if (m->pdiag_family == AF_PACKET && has_rx_ring(h) && n < max)
				rings[n++] = m->pdiag_ino;
		}
	}
	free(buf);
	errno = EPROTO;
	return -1;
}

int pktdiag_rings(uint64_t *rings, size_t max)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nh;
		struct packet_diag_req r;
	} req;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int rc = -1, e;

	if (fd < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.r.sdiag_family = AF_PACKET;
	req.r.pdiag_show = PACKET_SHOW_RING_CFG;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, &req, sizeof(req), 0) == (ssize_t)sizeof(req))
		rc = read_dump(fd, req.nh.nlmsg_seq, rings, max);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
