/* diag.c - sock_diag netlink lookups and dumps; see diag.h. */
#include "diag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "tuple.h"

#define DIAG_BUF (64 * 1024)

struct diag {
	int fd;
	uint32_t seq;
	unsigned char *buf;
};

struct diag *diag_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct diag *d = calloc(1, sizeof(*d));
	int e;

	if (!d)
		return NULL;
	d->buf = malloc(DIAG_BUF);
	d->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (!d->buf || d->fd < 0 || bind(d->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		e = d->buf ? errno : ENOMEM;
		diag_close(d);
		errno = e;
		return NULL;
	}
	return d;
}

struct diag *diag_open_in(int nsfd)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct diag *d = NULL;
	int e = 0;

	if (self < 0)
		return NULL;
	if (setns(nsfd, CLONE_NEWNET) == 0) {
		d = diag_open();
		e = errno;
		if (setns(self, CLONE_NEWNET) != 0) {
			/* Stuck in the other namespace: let no socket be made here. */
			e = errno;
			diag_close(d);
			d = NULL;
		}
	} else {
		e = errno;
	}
	close(self);
	if (!d)
		errno = e;
	return d;
}

void diag_close(struct diag *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	free(d->buf);
	free(d);
}

/* The kernel's answer in procnet.h's form; false if it is not one we use. */
static bool to_entry(const struct inet_diag_msg *m, int proto, struct sock_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (m->idiag_family == AF_INET) {
		e->family = TUPLE_V4;
		memcpy(e->laddr, m->id.idiag_src, 4);
		memcpy(e->raddr, m->id.idiag_dst, 4);
	} else if (m->idiag_family == AF_INET6) {
		e->family = TUPLE_V6;
		memcpy(e->laddr, m->id.idiag_src, 16);
		memcpy(e->raddr, m->id.idiag_dst, 16);
		procnet_dual_stack(e);
	} else {
		return false;
	}
	e->proto = (uint8_t)proto;
	e->state = m->idiag_state;
	e->lport = ntohs(m->id.idiag_sport);
	e->rport = ntohs(m->id.idiag_dport);
	e->inode = m->idiag_inode;
	return true;
}

/* Send a request of len bytes whose header is nh: it gets the next seq. */
static int send_msg(struct diag *d, struct nlmsghdr *nh, size_t len, uint16_t type,
		    uint16_t flags)
{
	ssize_t n;

	nh->nlmsg_len = (uint32_t)len;
	nh->nlmsg_type = type;
	nh->nlmsg_flags = NLM_F_REQUEST | flags;
	nh->nlmsg_seq = ++d->seq;
	do
		n = send(d->fd, nh, len, 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

static int send_req(struct diag *d, int family, int proto, uint16_t flags,
		    const struct inet_diag_sockid *id)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req;

	memset(&req, 0, sizeof(req));
	req.r.sdiag_family = (uint8_t)(family == TUPLE_V6 ? AF_INET6 : AF_INET);
	req.r.sdiag_protocol = (uint8_t)proto;
	req.r.idiag_states = ~0u;
	if (id)
		req.r.id = *id;
	return send_msg(d, &req.nh, sizeof(req), SOCK_DIAG_BY_FAMILY, flags);
}

/*
 * Read answers to the last request, calling fn for each socket. Returns
 * 1 at the end of a dump (or after the one answer of a lookup), 0 when a
 * lookup found nothing, -1 on error.
 */
static int read_answers(struct diag *d, int proto, bool dump, uint16_t type,
			void (*fn)(void *ctx, const struct sock_entry *e), void *ctx)
{
	for (;;) {
		ssize_t n;
		size_t left;
		const struct nlmsghdr *h;
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);

		do
			n = recvfrom(d->fd, d->buf, DIAG_BUF, 0, (struct sockaddr *)&from,
				     &fromlen);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;
		/*
		 * Only the kernel (port 0) answers: a process allowed to send
		 * netlink messages to this socket must not name a socket's owner.
		 */
		if (fromlen < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue;
		left = (size_t)n;
		h = (const struct nlmsghdr *)d->buf;
		for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			struct sock_entry e;

			if (h->nlmsg_seq != d->seq)
				continue;	/* a stale answer */
			if (h->nlmsg_type == NLMSG_DONE)
				return 1;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
					return -1;
				if (!dump && (err->error == -ENOENT || err->error == 0))
					return 0;
				errno = -err->error;
				return -1;
			}
			if (h->nlmsg_type != type ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			if (to_entry(NLMSG_DATA(h), proto, &e))
				fn(ctx, &e);
			if (!dump)
				return 1;
		}
	}
}

struct one {
	struct sock_entry *out;
	bool found;
};

static void take_one(void *ctx, const struct sock_entry *e)
{
	struct one *o = ctx;

	*o->out = *e;
	o->found = true;
}

int diag_lookup(struct diag *d, int family, int proto,
		const uint8_t *laddr, uint16_t lport,
		const uint8_t *raddr, uint16_t rport, struct sock_entry *out)
{
	struct inet_diag_sockid id;
	struct one o = { out, false };
	size_t alen = family == TUPLE_V6 ? 16 : 4;
	int rc;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	memset(&id, 0, sizeof(id));
	id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (proto == IPPROTO_TCP) {
		/* TCP looks up (src, dst) as the socket's (local, remote). */
		memcpy(id.idiag_src, laddr, alen);
		memcpy(id.idiag_dst, raddr, alen);
		id.idiag_sport = htons(lport);
		id.idiag_dport = htons(rport);
	} else {
		/* UDP as a packet (src, dst) delivered to the socket. */
		memcpy(id.idiag_src, raddr, alen);
		memcpy(id.idiag_dst, laddr, alen);
		id.idiag_sport = htons(rport);
		id.idiag_dport = htons(lport);
	}
	if (send_req(d, family, proto, 0, &id) != 0)
		return -1;
	rc = read_answers(d, proto, false, SOCK_DIAG_BY_FAMILY, take_one, &o);
	if (rc < 0)
		return -1;
	return o.found ? 1 : 0;
}

int diag_dump(struct diag *d, int family, int proto,
	      void (*fn)(void *ctx, const struct sock_entry *e), void *ctx)
{
	if (send_req(d, family, proto, NLM_F_DUMP, NULL) != 0)
		return -1;
	return read_answers(d, proto, true, SOCK_DIAG_BY_FAMILY, fn, ctx) == 1 ? 0 : -1;
}

int diag_dump_tcp(struct diag *d, void (*fn)(void *ctx, const struct sock_entry *e), void *ctx)
{
	/*
	 * The original TCPDIAG_GETSOCK request: its dump takes both
	 * families in one walk of the table (SOCK_DIAG_BY_FAMILY wants one).
	 */
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req r;
	} req;

	memset(&req, 0, sizeof(req));
	req.r.idiag_states = ~0u;
	if (send_msg(d, &req.nh, sizeof(req), TCPDIAG_GETSOCK, NLM_F_DUMP) != 0)
		return -1;
	return read_answers(d, IPPROTO_TCP, true, TCPDIAG_GETSOCK, fn, ctx) == 1 ? 0 : -1;
}
