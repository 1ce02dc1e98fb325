/*
 * tablesrc.c - sockets from the tables of each namespace (/proc/net/tcp,
 * udp, icmp, raw, sctp; TCP dumped through sock_diag where it can be),
 * and the host's addresses (fib_trie, if_inet6); see resolve_priv.h.
 */
#include <netinet/in.h>

#include "diag.h"
#include "resolve_priv.h"

#define SCTP_PAIRS 64		/* address pairs kept of one association */

static const struct {
	const char *path;
	int family;
	int proto;
} tables[] = {
	{ "net/tcp", TUPLE_V4, IPPROTO_TCP },
	{ "net/tcp6", TUPLE_V6, IPPROTO_TCP },
	{ "net/udp", TUPLE_V4, IPPROTO_UDP },
	{ "net/udp6", TUPLE_V6, IPPROTO_UDP },
	{ "net/icmp", TUPLE_V4, IPPROTO_ICMP },		/* ping sockets: port = echo id */
	{ "net/icmp6", TUPLE_V6, IPPROTO_ICMPV6 },
	{ "net/raw", TUPLE_V4, PROCNET_RAW },
	{ "net/raw6", TUPLE_V6, PROCNET_RAW },
};

/* Called with each line of a file. */
typedef void line_fn(struct resolver *r, const char *line, void *ctx);

/*
 * Each line of the file at path below base (the root, or a directory
 * below it) to fn, within below.h's bounds, until the file ends or a
 * stop; false if it could not be opened.
 */
static bool read_lines(struct resolver *r, struct below *base, const char *path, line_fn *fn,
		       void *ctx)
{
	struct below_lines lf;
	const char *line;
	size_t len;
	bool ok = below_lines_open(base, path, &lf) == 0;

	while (ok && (line = below_lines_next(&lf, &len)) != NULL && !resolver_stop_here(r))
		fn(r, line, ctx);
	if (ok)
		below_lines_close(&lf);
	/* What was refused or cut there counts as the root's. */
	if (base != &r->root)
		below_fold(&r->root, base);
	return ok;
}

struct table_ctx {
	int family, proto;
	size_t ns;
};

static void table_line(struct resolver *r, const char *line, void *ctx)
{
	const struct table_ctx *c = ctx;
	struct sock_entry e;

	if (procnet_parse_line(line, c->family, c->proto, &e))
		rdb_learn_socket(&r->db, &e, c->ns);
}

struct sctp_ctx {
	bool assoc;
	size_t ns;
};

static void sctp_line(struct resolver *r, const char *line, void *ctx)
{
	const struct sctp_ctx *c = ctx;
	struct sock_entry e[SCTP_PAIRS];
	size_t k = procnet_sctp_line(line, c->assoc, e, SCTP_PAIRS);

	for (size_t j = 0; j < k; j++)
		rdb_learn_socket(&r->db, &e[j], c->ns);
}

struct learn_ctx {
	struct rdb *db;
	size_t ns;
};

static void learn_cb(void *ctx, const struct sock_entry *e)
{
	struct learn_ctx *c = ctx;

	rdb_learn_socket(c->db, e, c->ns);
}

/*
 * TCP through sock_diag: one walk of the kernel's hash table instead of
 * one per read(); both families in one dump where the kernel can. true
 * if done (*both: IPv4 and IPv6 at once).
 */
static bool dump_tcp(struct resolver *r, struct diag *d, size_t ns, int family, bool *both)
{
	struct learn_ctx lc = { &r->db, ns };

	if (diag_dump_tcp(d, learn_cb, &lc) == 0) {
		*both = true;
		return true;
	}
	return diag_dump(d, family, IPPROTO_TCP, learn_cb, &lc) == 0;
}

int tablesrc_read_ns(struct resolver *r, size_t ns, int proto)
{
	struct diag *d = r->ns.ns[ns].diag;
	struct below *base = nsreg_files(r, ns);
	bool tcp_both = false;	/* one dump gave IPv4 and IPv6 */
	int ok = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		struct table_ctx tc = { tables[t].family, tables[t].proto, ns };
		bool tcp = tables[t].proto == IPPROTO_TCP;

		if (proto >= 0 && tables[t].proto != proto)
			continue;
		if (resolver_stop_here(r))
			break;
		/*
		 * Another namespace's TCP sockets are not listed at all when
		 * sock_diag reaches it: every flow gets its own lookup there,
		 * and each listing walks the whole table (the table is shared
		 * by all namespaces).
		 */
		if (d && tcp && ns > 0)
			continue;
		if (tcp && (tcp_both || (d && dump_tcp(r, d, ns, tables[t].family, &tcp_both)))) {
			ok++;
			continue;
		}
		if (!base)
			break;
		if (read_lines(r, base, tables[t].path, table_line, &tc))
			ok++;
	}
	/* SCTP: associations, and endpoints (bound or listening). */
	for (int assoc = 0; assoc < 2 && base && (proto < 0 || proto == IPPROTO_SCTP); assoc++) {
		struct sctp_ctx sc = { assoc == 1, ns };

		read_lines(r, base, assoc ? "net/sctp/assocs" : "net/sctp/eps", sctp_line, &sc);
	}
	/* Its process is gone: the next deep walk looks for another. */
	if (ns > 0 && ok == 0 && base)
		nsreg_orphan(r, ns);
	return ok ? 0 : -1;
}

struct addr_ctx {
	struct fib_state fib;
	size_t ns;
};

static void fib_line(struct resolver *r, const char *line, void *ctx)
{
	struct addr_ctx *c = ctx;
	struct local_prefix p;

	if (procnet_fib_line(&c->fib, line, &p))
		localaddr_add(r->db.local, &p, (uint8_t)c->ns);
}

static void if_inet6_line(struct resolver *r, const char *line, void *ctx)
{
	const struct addr_ctx *c = ctx;
	struct local_prefix p;

	if (procnet_if_inet6_line(line, &p))
		localaddr_add(r->db.local, &p, (uint8_t)c->ns);
}

void tablesrc_read_addrs(struct resolver *r, size_t ns)
{
	struct addr_ctx ac;
	struct below *base = nsreg_files(r, ns);

	if (!base)
		return;
	memset(&ac, 0, sizeof(ac));
	ac.ns = ns;
	read_lines(r, base, "net/fib_trie", fib_line, &ac);
	read_lines(r, base, "net/if_inet6", if_inet6_line, &ac);
}

/* Every table and every address of every namespace met (our own decides the result). */
static int tables_whole(struct resolver *r)
{
	int rc = tablesrc_read_ns(r, 0, -1);

	for (size_t ns = 1; ns < r->ns.nns && !resolver_stop_here(r); ns++)
		tablesrc_read_ns(r, ns, -1);
	for (size_t ns = 0; ns < r->ns.nns; ns++)
		tablesrc_read_addrs(r, ns);
	return rc;
}

/* The tables of the protocols the other sources could not look up one by one. */
static int tables_flows(struct resolver *r, struct flow_pass *p)
{
	int rc = 0;

	p->tables_read = false;
	for (int proto = 0; proto < 256; proto++) {
		if (!p->tables[proto])
			continue;
		p->tables_read = true;
		if (tablesrc_read_ns(r, 0, proto) != 0)
			rc = -1;
		for (size_t ns = 1; ns < r->ns.nns && !resolver_stop_here(r); ns++)
			tablesrc_read_ns(r, ns, proto);
	}
	return rc;
}

const struct rsource tablesrc = { "tables", tables_whole, NULL, NULL, tables_flows };
