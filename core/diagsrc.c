/*
 * diagsrc.c - sockets asked of the kernel one at a time (sock_diag), for
 * the ends of new flows; and whether a socket of unknown owner is closed
 * already, so that no walk looks for it; see resolve_priv.h.
 */
#include <netinet/in.h>

#include "diag.h"
#include "resolve_priv.h"

/*
 * Is the TCP socket with key k, of unknown owner (inode index j), closed?
 * The kernel no longer has that inode for that tuple (the connection is
 * gone, or in TIME_WAIT, whose socket has no inode): then no process
 * holds it, and no walk is made for it. It is still taken by a walk that
 * meets it (a process may hold a socket after its connection has gone to
 * TIME_WAIT).
 */
static void check_closed(struct resolver *r, const struct sock_key *k, uint64_t inode, size_t j)
{
	struct diag *d = k->ns < r->ns.nns ? r->ns.ns[k->ns].diag : NULL;
	struct sock_entry e;
	int rc;

	if (!d || inode_at(&r->db, j)->owner != OWNER_UNKNOWN)
		return;
	rc = diag_lookup(d, k->family, IPPROTO_TCP, k->local.addr, k->local.port, k->remote.addr,
			 k->remote.port, &e);
	if (rc == 0 || (rc == 1 && e.inode != inode))
		rdb_inode_closed(&r->db, j);
}

/* The same for the socket at end e of a new flow, in each namespace with its address. */
static void drop_closed_end(struct resolver *r, const struct flow_end *e)
{
	uint8_t ns[NS_PER_ADDR];
	size_t nns = resolver_ns_list(r, e->family, e->local.addr, ns);

	if (nns == 0)
		ns[nns++] = 0;
	for (size_t i = 0; i < nns; i++) {
		struct sock_key k = sock_key_of(e, TUPLE_FLOW, ns[i]);
		size_t s = rdb_sock_find(&r->db, &k), j;
		uint64_t inode;

		if (s == HMAP_NONE || (inode = sock_at(&r->db, s)->inode) == 0)
			continue;
		if ((j = hmap_get(r->db.inodes, &inode)) != HMAP_NONE)
			check_closed(r, &k, inode, j);
	}
}

void diagsrc_drop_closed(struct resolver *r, const struct tuple *t, size_t n)
{
	for (size_t i = 0; i < n && r->db.unowned > 0; i++) {
		struct flow_end src = flow_end_of(&t[i], false), dst = flow_end_of(&t[i], true);

		if (t[i].proto != IPPROTO_TCP)
			continue;
		drop_closed_end(r, &src);
		drop_closed_end(r, &dst);
	}
}

/*
 * The same for every TCP socket of unknown owner a table listing met (a
 * deep walk's, before it reads every process's fds for them): a pass may
 * list a connection that is closed a moment later, and a walk of a few
 * hundred processes for it would hold the resolver for half a second.
 * Newest first, at most CHECK_MAX lookups.
 */
#define CHECK_MAX 256
void diagsrc_drop_closed_listed(struct resolver *r)
{
	size_t left = r->db.unowned, asked = 0;

	for (size_t i = hmap_count(r->db.socks); i-- > 0 && left > 0 && asked < CHECK_MAX;) {
		const struct sock_key *k = hmap_key(r->db.socks, i);
		uint64_t inode = sock_at(&r->db, i)->inode;
		size_t j;

		if (inode == 0 || (j = hmap_get(r->db.inodes, &inode)) == HMAP_NONE ||
		    inode_at(&r->db, j)->owner != OWNER_UNKNOWN)
			continue;
		left--;
		if (k->kind != TUPLE_FLOW || k->proto != IPPROTO_TCP || k->ns >= r->ns.nns ||
		    !r->ns.ns[k->ns].diag)
			continue;
		asked++;
		check_closed(r, k, inode, j);
	}
}

/*
 * Learn the socket at end e of a new flow from the kernel: TCP and UDP by
 * one sock_diag lookup each; other protocols from their tables (p->tables).
 */
static void find_end(struct resolver *r, const struct flow_end *e, struct flow_pass *p)
{
	static const uint8_t any_addr[16];
	struct sock_entry se;
	const struct proc_info *owner;
	uint8_t ns[NS_PER_ADDR];
	size_t nns = resolver_ns_list(r, e->family, e->local.addr, ns);
	struct lookup_trace tr = { 0, false, HMAP_NONE, -1 };
	bool asked = false, local;

	if (nns == 0 && localaddr_any(r->db.local))
		return;
	if (resolver_lookup_traced(r, e, &owner, &local, &tr) == OWNER_FOUND) {
		/*
		 * Known already: the socket that told is in use (a listener
		 * that no table lists, another namespace's under sock_diag):
		 * not to be forgotten yet.
		 */
		sock_at(&r->db, tr.sock)->seen = r->db.epoch;
		return;
	}
	if (nns == 0)
		ns[nns++] = 0;
	/* In each namespace that has the address, until one has the socket. */
	for (size_t i = 0; i < nns && (e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP); i++) {
		struct diag *d = r->ns.ns[ns[i]].diag;
		int rc;

		if (!d)
			continue;
		rc = diag_lookup(d, e->family, e->proto, e->local.addr, e->local.port,
				 e->remote.addr, e->remote.port, &se);
		if (rc == 1) {
			rdb_learn_socket(&r->db, &se, ns[i]);
			/*
			 * A connection not accepted yet, or closing, has no
			 * inode: learn the listener of its port too, whose
			 * process accepts it (found with a peer no connection
			 * has).
			 */
			if (se.inode == 0 && e->proto == IPPROTO_TCP &&
			    diag_lookup(d, e->family, IPPROTO_TCP, e->local.addr, e->local.port,
					any_addr, 0, &se) == 1)
				rdb_learn_socket(&r->db, &se, ns[i]);
			return;
		}
		/* An error too: the next full pass lists the table once. */
		asked = true;
	}
	if (asked)
		return;
	p->tables[e->proto] = true;
	p->tables[PROCNET_RAW] = true;	/* a raw socket may take any protocol */
}

/* Both ends of every new flow; p->foreign: an end is in no namespace met. */
static int diag_flows(struct resolver *r, struct flow_pass *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct flow_end src = flow_end_of(&p->t[i], false), dst = flow_end_of(&p->t[i], true);

		p->foreign |= !resolver_is_local(r, src.family, src.local.addr) ||
			      !resolver_is_local(r, dst.family, dst.local.addr);
		find_end(r, &src, p);
		find_end(r, &dst, p);
	}
	return 0;
}

/* Whole passes list the tables (tablesrc.c), TCP through sock_diag there. */
const struct rsource diagsrc = { "sock_diag", NULL, NULL, NULL, diag_flows };
