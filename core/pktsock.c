/* pktsock.c - packet sockets and the frames they inject; see pktsock.h. */
#include "pktsock.h"

#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "below.h"
#include "hmap.h"

#define PKT_FIELDS 9		/* sk RefCnt Type Proto Iface R Rmem User Inode */
#define PKT_FIELD_MAX 32	/* the longest a field of the kernel's format is */

struct pktsock {
	struct below root;
	int self;			/* proctraf's pid: its sockets are captures */
	int *ifindex;			/* interfaces captured on; none: all */
	size_t nif;
	struct pktsock_entry *socks;
	size_t n, cap;
};

/* An unsigned decimal or hexadecimal field, whole, at most max. */
static bool field_u64(const char *s, size_t len, int base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (d > max || v > (max - d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return true;
}

bool pktsock_parse_line(const char *line, struct pktsock_entry *out)
{
	const char *f[PKT_FIELDS];
	size_t len[PKT_FIELDS], n = 0;
	const char *p = line;
	uint64_t v;

	/* Split on blanks: exactly PKT_FIELDS fields, then only the line's end. */
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n')
			break;
		if (n == PKT_FIELDS)
			return false;
		f[n] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		len[n] = (size_t)(p - f[n]);
		if (len[n] > PKT_FIELD_MAX)
			return false;
		n++;
	}
	if (n != PKT_FIELDS)
		return false;
	memset(out, 0, sizeof(*out));
	/* sk (a kernel pointer, maybe hidden as zeros), RefCnt: checked, not kept. */
	if (!field_u64(f[0], len[0], 16, UINT64_MAX, &v) ||
	    !field_u64(f[1], len[1], 10, INT32_MAX, &v))
		return false;	/* the header ("sk RefCnt ...") stops here */
	if (!field_u64(f[2], len[2], 10, UINT8_MAX, &v))
		return false;
	out->type = (uint8_t)v;
	if (!field_u64(f[3], len[3], 16, UINT16_MAX, &v))
		return false;
	out->proto = (uint16_t)v;
	/* Iface: an int, -1 once the interface it was bound to is gone. */
	if (len[4] == 2 && f[4][0] == '-' && f[4][1] == '1')
		out->ifindex = -1;
	else if (field_u64(f[4], len[4], 10, INT32_MAX, &v))
		out->ifindex = (int32_t)v;
	else
		return false;
	if (!field_u64(f[5], len[5], 10, 1, &v))
		return false;
	out->running = v == 1;
	if (!field_u64(f[6], len[6], 10, UINT64_MAX, &v) ||
	    !field_u64(f[7], len[7], 10, UINT32_MAX, &v))
		return false;
	out->uid = (uint32_t)v;
	if (!field_u64(f[8], len[8], 10, UINT64_MAX, &v) || v == 0)
		return false;
	out->inode = v;
	return true;
}

struct pktsock *pktsock_new(const char *proc_root, const int *ifindex, size_t n)
{
	struct pktsock *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->root.fd = -1;
	if (below_root_open(&ps->root, proc_root) != 0)
		ps->root.fd = -1;	/* every refresh then fails: nothing is attributed */
	if (n > 0) {
		ps->ifindex = calloc(n, sizeof(*ps->ifindex));
		if (!ps->ifindex) {
			pktsock_free(ps);
			return NULL;
		}
		memcpy(ps->ifindex, ifindex, n * sizeof(*ifindex));
		ps->nif = n;
	}
	ps->self = (int)getpid();
	return ps;
}

struct pktsock *pktsock_new_ifaces(const char *proc_root, const char *const *names, size_t n)
{
	int idx[PKTSOCK_IFACES_MAX];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned x = strcmp(names[i], "any") == 0 ? 0 : if_nametoindex(names[i]);

		/*
		 * "any", more interfaces than kept, or one gone: all of them,
		 * rather than a wrong few.
		 */
		if (x == 0 || x > INT32_MAX || k == PKTSOCK_IFACES_MAX) {
			k = 0;
			break;
		}
		idx[k++] = (int)x;
	}
	return pktsock_new(proc_root, idx, k);
}

void pktsock_free(struct pktsock *ps)
{
	if (!ps)
		return;
	if (ps->root.fd >= 0)
		below_root_close(&ps->root);
	free(ps->ifindex);
	free(ps->socks);
	free(ps);
}

void pktsock_set_self(struct pktsock *ps, int pid)
{
	ps->self = pid;
}

size_t pktsock_count(const struct pktsock *ps)
{
	return ps->n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int pktsock_refresh(struct pktsock *ps, struct resolver *r)
{
	struct below_lines lf;
	const char *line;
	size_t len, n = 0, nrings = 0;
	uint64_t *rings = NULL;
	int got;

	if (!ps || ps->root.fd < 0 || below_lines_open(&ps->root, "net/packet", &lf) != 0)
		return -1;
	while ((line = below_lines_next(&lf, &len)) != NULL && n < PKTSOCK_MAX) {
		struct pktsock_entry e;
		void *arr = ps->socks;

		if (!pktsock_parse_line(line, &e))
			continue;
		if (!array_reserve(&arr, &ps->cap, n + 1, sizeof(e)))
			break;
		ps->socks = arr;
		ps->socks[n++] = e;
	}
	below_lines_close(&lf);
	ps->n = n;
	/* Only the kernel's own /proc goes with the kernel's sock_diag. */
	if (ps->root.trusted && n > 0) {
		rings = malloc(PKTSOCK_MAX * sizeof(*rings));
		got = rings ? pktdiag_rings(rings, PKTSOCK_MAX) : -1;
		if (got > 0) {
			nrings = (size_t)got;
			qsort(rings, nrings, sizeof(*rings), cmp_u64);
		}
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t ino = ps->socks[i].inode;
		ps->socks[i].rx_ring =
			nrings && bsearch(&ino, rings, nrings, sizeof(*rings), cmp_u64) != NULL;
		/* Its holder is found by the resolver's next walk, like an IP socket's. */
		if (!ps->socks[i].rx_ring)
			resolver_watch_inode(r, ino);
	}
	free(rings);
	return 0;
}

/* Could sk have sent a frame of this family that proctraf captured? */
static bool candidate(const struct pktsock *ps, const struct pktsock_entry *sk, int family)
{
	uint16_t eth = family == TUPLE_V6 ? PKT_ETH_P_IPV6 : PKT_ETH_P_IP;
	bool here = ps->nif == 0 || sk->ifindex == 0;

	if (sk->rx_ring || sk->ifindex < 0)
		return false;
	/* The protocol is what it receives; 0 receives nothing and may send anything. */
	if (sk->proto != 0 && sk->proto != PKT_ETH_P_ALL && sk->proto != eth)
		return false;
	for (size_t i = 0; i < ps->nif && !here; i++)
		here = ps->ifindex[i] == sk->ifindex;
	return here;
}

enum pktsock_who pktsock_sender(const struct pktsock *ps, const struct resolver *r, int family,
				const struct proc_info **owner)
{
	const struct proc_info *one = NULL;
	bool several = false, unknown = false;

	*owner = NULL;
	for (size_t i = 0; i < ps->n && !several; i++) {
		const struct proc_info *p;

		if (!candidate(ps, &ps->socks[i], family))
			continue;
		p = resolver_inode_owner(r, ps->socks[i].inode);
		if (!p)
			unknown = true;
		else if (p->pid == ps->self)
			continue;	/* proctraf's own: captures */
		else if (!one)
			one = p;
		else if (p != one)
			several = true;
	}
	if (several || unknown)
		return PKTSOCK_SEVERAL;
	if (!one)
		return PKTSOCK_NONE;
	*owner = one;
	return PKTSOCK_ONE;
}

void pktsock_attribute(const struct pktsock *ps, const struct resolver *r, const struct tuple *t,
		       struct attribution *a)
{
	const struct proc_info *p;

	if (!ps || ps->n == 0 || a->reason != REASON_NO_SOCKET)
		return;
	switch (pktsock_sender(ps, r, t->family, &p)) {
	case PKTSOCK_ONE:
		a->injector = p;
		break;
	case PKTSOCK_SEVERAL:
		a->reason = REASON_PKT_SEVERAL;
		break;
	default:
		break;
	}
}
