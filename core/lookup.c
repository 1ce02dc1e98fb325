/*
 * lookup.c - the owner of a flow's end, from what the resolver learned,
 * then from its fallback source; see resolve.h.
 */
#include <netinet/in.h>

#include "resolve_priv.h"

size_t resolver_ns_list(const struct resolver *r, int family, const uint8_t *addr,
			uint8_t out[NS_PER_ADDR])
{
	return localaddr_find(r->db.local, family, addr, out);
}

bool resolver_is_local(const struct resolver *r, int family, const uint8_t *addr)
{
	uint8_t ns[NS_PER_ADDR];

	return r->db.local && resolver_ns_list(r, family, addr, ns) > 0;
}

static bool is_multicast(int family, const uint8_t *addr)
{
	if (family == TUPLE_V6)
		return addr[0] == 0xff;
	return (addr[0] & 0xf0) == 0xe0 || memcmp(addr, "\xff\xff\xff\xff", 4) == 0;
}

/*
 * The sockets a lookup tries, in order: exact tuple; bound, not
 * connected; wildcard; dual-stack wildcard; then raw sockets of this
 * protocol: connected, bound, wildcard. The local address is column `has`
 * of has[] (lookup_traced): 0 the end's own, 1 the wildcard, 2 the IPv6
 * wildcard. A wildcard socket only receives what is addressed to this
 * host: has[] lets it claim nothing merely passing by.
 */
static const struct {
	uint8_t kind, has;
	bool remote;	/* the peer (address and port), else the wildcard */
	bool ports;	/* the ports, else 0 */
} tries[] = {
	{ TUPLE_FLOW, 0, true, true },	{ TUPLE_FLOW, 0, false, true },
	{ TUPLE_FLOW, 1, false, true }, { TUPLE_FLOW, 2, false, true },
	{ TUPLE_RAW, 0, true, false },	{ TUPLE_RAW, 0, false, false },
	{ TUPLE_RAW, 1, false, false },
};

/* The key of try t of end e in namespace ns. */
static struct sock_key try_key(const struct flow_end *e, size_t t, size_t ns)
{
	struct flow_end k = *e;
	int col = tries[t].has;

	if (col != 0)
		memset(k.local.addr, 0, 16);
	if (col == 2)
		k.family = TUPLE_V6;
	if (!tries[t].ports)
		k.local.port = 0;
	if (!tries[t].remote)
		memset(k.remote.addr, 0, 16);
	if (!tries[t].remote || !tries[t].ports)
		k.remote.port = 0;
	return sock_key_of(&k, tries[t].kind, ns);
}

enum owner_status resolver_lookup_traced(const struct resolver *r, const struct flow_end *end,
					 const struct proc_info **owner, bool *local,
					 struct lookup_trace *tr)
{
	struct flow_end e = *end;
	/* The sockets of the namespaces that have this address (ours if none). */
	uint8_t ns[NS_PER_ADDR];
	size_t nns = resolver_ns_list(r, e.family, e.local.addr, ns);
	/* May a wildcard socket take it? */
	bool wild = nns > 0 || !localaddr_any(r->db.local) || is_multicast(e.family, e.local.addr);
	/* Per namespace: has a socket the end's address, the wildcard, the IPv6 wildcard? */
	bool has[NS_PER_ADDR][3];
	/*
	 * The responder's end of an ICMP echo (port 0, the pinger's identifier
	 * at the other end: see decode.c) is the kernel's, which answers echo
	 * requests itself: no raw socket takes it. Else a raw ICMP socket (ping
	 * where ping sockets are not allowed) pinging a local address would be
	 * credited with both ends, every packet sent and received.
	 */
	bool icmp = e.proto == IPPROTO_ICMP || e.proto == IPPROTO_ICMPV6;
	bool echo_responder = icmp && e.local.port == 0 && e.remote.port != 0;
	bool seen = false, port_seen = false, held = false;

	*local = nns > 0;
	if (nns == 0)
		ns[nns++] = 0;
	for (size_t i = 0; i < nns; i++) {
		bool partial = r->db.sock_addrs_partial || ns[i] >= r->ns.nns;

		has[i][0] = rdb_has_sock_addr(&r->db, ns[i], e.family, e.local.addr);
		has[i][1] = wild && (partial || r->db.wild[ns[i]][e.family == TUPLE_V6]);
		has[i][2] = wild && e.family == TUPLE_V4 && (partial || r->db.wild[ns[i]][1]);
	}
	/* A connected ping socket shows the peer with port 0: ids are local. */
	if (icmp)
		e.remote.port = 0;
	*owner = NULL;
	if (tr) {
		tr->stale = false;
		tr->sock = HMAP_NONE;
		tr->proc = -1;
	}
	/* Each try in every namespace, then the next. */
	for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]); t++) {
		/* A raw socket takes only what no socket with ports matched. */
		if (tries[t].kind == TUPLE_RAW && (port_seen || echo_responder))
			break;
		for (size_t j = 0; j < nns; j++) {
			struct sock_key key;
			uint64_t inode;
			int32_t p;
			size_t i;

			if (!has[j][tries[t].has])
				continue;
			key = try_key(&e, t, ns[j]);
			if ((i = rdb_sock_find(&r->db, &key)) == HMAP_NONE)
				continue;
			/* Every socket met shapes the answer: the round set up drops it? */
			if (tr && sock_at(&r->db, i)->seen < tr->before)
				tr->stale = true;
			inode = sock_at(&r->db, i)->inode;
			p = rdb_inode_owner(&r->db, inode);
			if (p >= 0) {
				*owner = &r->db.procs[p].info;
				if (tr) {
					tr->sock = i;
					tr->proc = p;
				}
				return OWNER_FOUND;
			}
			/*
			 * A socket no process holds, such as a connection
			 * closed and in TIME_WAIT: the listening socket of its
			 * port, whose process accepted it, takes its last
			 * packets.
			 */
			seen = true;
			held |= inode != 0;
			port_seen |= tries[t].kind == TUPLE_FLOW;
		}
	}
	if (!seen)
		return OWNER_NO_SOCKET;
	/*
	 * A socket with an inode has (or had) a file, so some process held
	 * it: if we were not allowed to read some process's fds, it may be
	 * that one's. A closing socket (inode 0) is nobody's either way.
	 */
	return held && r->db.some_denied ? OWNER_NO_PERMISSION : OWNER_NO_PROCESS;
}

void resolver_set_fallback(struct resolver *r, const struct owner_source *src)
{
	r->fallback = src;
}

enum owner_status resolver_lookup_end(const struct resolver *r, const struct flow_end *e,
				      const struct proc_info **owner, bool *local)
{
	const struct proc_info *other = NULL;
	enum owner_status st;
	bool wild, other_local = false;

	if (r->src)
		return r->src->lookup(r->src->ctx, e, true, owner, local);
	/*
	 * What /proc shows first: the process that holds the socket now. The
	 * kernel's owner is who last made or used it in a system call, which
	 * is not the holder after a fork or an fd passed until the holder
	 * calls one of its hooks (a UDP socket bound before a fork, read by
	 * the child: the parent, long closed, would get its datagrams). The
	 * kernel answers what /proc cannot: sockets gone before any look.
	 */
	st = resolver_lookup_traced(r, e, owner, local, NULL);
	if (st == OWNER_FOUND || !r->fallback)
		return st;
	wild = *local || !localaddr_any(r->db.local) || is_multicast(e->family, e->local.addr);
	if (r->fallback->lookup(r->fallback->ctx, e, wild, &other, &other_local) != OWNER_FOUND)
		return st;
	/* An end a process owns is an address of this host. */
	*owner = other;
	*local = true;
	return OWNER_FOUND;
}

enum owner_status resolver_lookup(const struct resolver *r, const struct flow_end *e,
				  const struct proc_info **owner)
{
	bool local;

	return resolver_lookup_end(r, e, owner, &local);
}

/* Is every local end of t owned? With the fallback's answers, or the resolver's alone. */
static bool explains(const struct resolver *r, const struct tuple *t, bool fallback)
{
	bool local[2];

	for (int d = 0; d < 2; d++) {
		struct flow_end e = flow_end_of(t, d == 1);
		const struct proc_info *p;
		enum owner_status st = fallback ? resolver_lookup_end(r, &e, &p, &local[d])
						: resolver_lookup_traced(r, &e, &p, &local[d], NULL);

		/* Every local end needs its owner: loopback has two. */
		if (st != OWNER_FOUND && local[d])
			return false;
	}
	/*
	 * An end of no namespace met: perhaps one of a namespace not met yet
	 * (a container's). resolver_refresh_flows looks at new processes.
	 */
	return local[0] && local[1];
}

bool resolver_explains(const struct resolver *r, const struct tuple *t)
{
	return explains(r, t, true);
}

bool resolver_explains_own(const struct resolver *r, const struct tuple *t)
{
	return explains(r, t, r->src != NULL);
}
