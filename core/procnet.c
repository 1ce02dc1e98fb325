/* procnet.c - /proc/net text parsers; see procnet.h. */
#include "procnet.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "tuple.h"

/*
 * Character classes, looked up rather than compared: a socket table of
 * 100,000 lines is 15 MB of text, parsed while packets are counted.
 * hex_plus1: a hex digit's value + 1 (0: not a hex digit).
 */
static const uint8_t hex_plus1[256] = {
	['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,
	['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
	['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
	['F'] = 16,
};
/* Ends a token: NUL, space, tab, newline. */
static const bool token_end[256] = { [0] = true, [' '] = true, ['\t'] = true, ['\n'] = true };

/* *v = *v * 10 + digit, false on overflow of 64 bits. */
static bool add_digit(uint64_t *v, char digit)
{
	uint64_t d = (uint64_t)(digit - '0');

	if (*v > (UINT64_MAX - d) / 10)
		return false;
	*v = *v * 10 + d;
	return true;
}

/* Parse exactly n hex digits into *v. */
static bool hex_n(const char *s, size_t n, uint32_t *v)
{
	uint32_t x = 0;

	/* Stops at the first that is not a digit: it may be the string's end. */
	for (size_t i = 0; i < n; i++) {
		uint32_t d = hex_plus1[(unsigned char)s[i]];
		if (d == 0)
			return false;
		x = x << 4 | (d - 1);
	}
	*v = x;
	return true;
}

/* Next whitespace-separated token: *tok and *len; false at end of line. */
static bool next_token(const char **p, const char **tok, size_t *len)
{
	const char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n')
		return false;
	*tok = s;
	while (!token_end[(unsigned char)*s])
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return true;
}

/*
 * "0100007F:0016": the address is the kernel's in-memory words printed
 * with %08X, so each 32-bit group is stored back in host byte order.
 */
static bool parse_addr_port(const char *tok, size_t len, int family, uint8_t *addr,
			    uint16_t *port)
{
	size_t hexlen = family == TUPLE_V6 ? 32 : 8;
	uint32_t w, p;

	if (len != hexlen + 5 || tok[hexlen] != ':')
		return false;
	memset(addr, 0, 16);
	for (size_t i = 0; i < hexlen / 8; i++) {
		if (!hex_n(tok + 8 * i, 8, &w))
			return false;
		memcpy(addr + 4 * i, &w, 4);
	}
	if (!hex_n(tok + hexlen + 1, 4, &p))
		return false;
	*port = (uint16_t)p;
	return true;
}

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* ::ffff:a.b.c.d becomes a.b.c.d; :: becomes 0.0.0.0 only when asked. */
static void unmap_v4(uint8_t *addr)
{
	memmove(addr, addr + 12, 4);
	memset(addr + 4, 0, 12);
}

bool procnet_parse_line(const char *line, int family, int proto, struct sock_entry *out)
{
	const char *p = line, *tok;
	size_t len;
	uint32_t st;
	uint64_t inode = 0;

	memset(out, 0, sizeof(*out));
	/* "sl" field: digits and a colon */
	if (!next_token(&p, &tok, &len) || len < 2 || tok[len - 1] != ':' ||
	    !isdigit((unsigned char)tok[0]))
		return false;
	if (!next_token(&p, &tok, &len) ||
	    !parse_addr_port(tok, len, family, out->laddr, &out->lport))
		return false;
	if (!next_token(&p, &tok, &len) ||
	    !parse_addr_port(tok, len, family, out->raddr, &out->rport))
		return false;
	if (!next_token(&p, &tok, &len) || len != 2 || !hex_n(tok, 2, &st))
		return false;
	/*
	 * tx:rx, tr:when, retrnsmt, uid, timeout, then the inode. The first
	 * three have fixed widths (" %08X:%08X %02X:%08lX %08X"): when the
	 * separators are where they belong they are stepped over, not
	 * scanned (the 40 bytes read are known to be there first).
	 */
	int skip = 5;
	if (strnlen(p, 40) == 40 && p[0] == ' ' && p[9] == ':' && p[18] == ' ' && p[21] == ':' &&
	    p[30] == ' ' && p[31] != ' ' && p[39] == ' ') {
		p += 39;
		skip = 2;
	}
	for (int i = 0; i < skip; i++) {
		if (!next_token(&p, &tok, &len))
			return false;
	}
	if (!next_token(&p, &tok, &len) || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)tok[i]) || !add_digit(&inode, tok[i]))
			return false;
	}
	out->family = (uint8_t)family;
	out->proto = (uint8_t)proto;
	if (proto == PROCNET_RAW) {
		if (out->lport > 255)
			return false;
		out->raw = true;
		out->proto = (uint8_t)out->lport;
		out->lport = out->rport = 0;
	}
	out->state = (uint8_t)st;
	out->inode = inode;
	procnet_dual_stack(out);
	return true;
}

void procnet_dual_stack(struct sock_entry *e)
{
	static const uint8_t zero[16];

	if (e->family == TUPLE_V6 && memcmp(e->laddr, v4mapped_prefix, 12) == 0 &&
	    (memcmp(e->raddr, v4mapped_prefix, 12) == 0 || memcmp(e->raddr, zero, 16) == 0)) {
		unmap_v4(e->laddr);
		if (memcmp(e->raddr, v4mapped_prefix, 12) == 0)
			unmap_v4(e->raddr);
		e->family = TUPLE_V4;
	}
}

/* ---- /proc/net/sctp/assocs and eps (net/sctp/proc.c) ---- */

/* What each leading field of a line must be. */
enum sctp_field {
	SF_PTR,		/* %8p: hashed, so any token */
	SF_NUM,		/* unsigned decimal */
	SF_INT,		/* decimal, maybe negative */
	SF_STATE,	/* sk_state (SST), kept */
	SF_UID,
	SF_INODE,	/* kept */
	SF_LPORT,	/* kept */
	SF_RPORT,	/* kept */
};

/* ASSOC SOCK STY SST ST HBKT ASSOC-ID TX_QUEUE RX_QUEUE UID INODE LPORT RPORT */
static const uint8_t sctp_assoc_fields[] = {
	SF_PTR, SF_PTR, SF_NUM, SF_STATE, SF_NUM, SF_NUM, SF_INT, SF_INT, SF_INT,
	SF_UID, SF_INODE, SF_LPORT, SF_RPORT,
};

/* ENDPT SOCK STY SST HBKT LPORT UID INODE */
static const uint8_t sctp_ep_fields[] = {
	SF_PTR, SF_PTR, SF_NUM, SF_STATE, SF_NUM, SF_LPORT, SF_UID, SF_INODE,
};

/* A decimal token (a '-' first if sign) no larger than max; false if bad. */
static bool dec_field(const char *tok, size_t len, bool sign, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i = sign && len > 0 && tok[0] == '-' ? 1 : 0;

	if (i == len)
		return false;
	for (; i < len; i++) {
		if (!isdigit((unsigned char)tok[i]) || !add_digit(&x, tok[i]))
			return false;
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

struct sctp_text_addr {
	bool primary;		/* printed with a '*' */
	uint8_t family;
	uint8_t addr[16];
};

/* "10.0.0.5", "*2001:0db8:0000:0000:0000:0000:0000:0005" (%pI4, %pI6). */
static bool sctp_addr_parse(const char *tok, size_t len, struct sctp_text_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	a->primary = len > 0 && tok[0] == '*';
	if (a->primary) {
		tok++;
		len--;
	}
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, tok, len);
	buf[len] = '\0';
	memset(a->addr, 0, sizeof(a->addr));
	if (memchr(buf, ':', len)) {
		a->family = TUPLE_V6;
		return inet_pton(AF_INET6, buf, a->addr) == 1;
	}
	a->family = TUPLE_V4;
	return inet_pton(AF_INET, buf, a->addr) == 1;
}

/*
 * The next token of an address list: blanks between, and the list ends at
 * the end of the line or at a tab (assocs prints its counters after one).
 */
static bool next_addr_token(const char **p, const char **tok, size_t *len)
{
	const char *s = *p;

	while (*s == ' ')
		s++;
	*p = s;
	if (*s == '\0' || *s == '\n' || *s == '\t')
		return false;
	*tok = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n')
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return true;
}

static bool is_arrow(const char *tok, size_t len)
{
	return len == 3 && memcmp(tok, "<->", 3) == 0;
}

/* An address list, checked and counted. */
struct sctp_side {
	const char *start;	/* its first token */
	size_t n;
	size_t per_family[2];	/* IPv4, IPv6 */
	size_t primary;		/* index of the first '*' address, or SIZE_MAX */
	uint8_t primary_family;
};

static size_t fam_index(uint8_t family)
{
	return family == TUPLE_V6 ? 1 : 0;
}

/*
 * Check every address of a list; the local list of an association must end
 * with "<->" (*p is left after it), any other list at the end of the line.
 */
static bool sctp_side_scan(const char **p, bool until_arrow, struct sctp_side *side)
{
	const char *tok;
	size_t len;
	struct sctp_text_addr a;

	memset(side, 0, sizeof(*side));
	side->start = *p;
	side->primary = SIZE_MAX;
	while (next_addr_token(p, &tok, &len)) {
		if (is_arrow(tok, len))
			return until_arrow;
		if (!sctp_addr_parse(tok, len, &a))
			return false;
		if (a.primary && side->primary == SIZE_MAX) {
			side->primary = side->n;
			side->primary_family = a.family;
		}
		side->per_family[fam_index(a.family)]++;
		side->n++;
	}
	return !until_arrow;
}

/* The next address of a list scanned before; false at its end. */
static bool sctp_side_next(const char **p, struct sctp_text_addr *a)
{
	const char *tok;
	size_t len;

	return next_addr_token(p, &tok, &len) && !is_arrow(tok, len) &&
	       sctp_addr_parse(tok, len, a);
}

/* Address number i of a list scanned before. */
static bool sctp_side_get(const struct sctp_side *side, size_t i, struct sctp_text_addr *a)
{
	const char *p = side->start;

	for (size_t k = 0; k <= i; k++) {
		if (!sctp_side_next(&p, a))
			return false;
	}
	return true;
}

struct sctp_sink {
	struct sock_entry *out;
	size_t n, max;
	uint8_t state;
	uint16_t lport, rport;
	uint64_t inode;
};

static void sctp_put(struct sctp_sink *k, const struct sctp_text_addr *l,
		     const struct sctp_text_addr *r)
{
	struct sock_entry *e;

	if (k->n >= k->max)
		return;
	e = &k->out[k->n++];
	memset(e, 0, sizeof(*e));
	e->family = l->family;
	e->proto = PROCNET_SCTP;
	e->state = k->state;
	memcpy(e->laddr, l->addr, 16);
	e->lport = k->lport;
	if (r) {
		memcpy(e->raddr, r->addr, 16);
		e->rport = k->rport;
	}
	e->inode = k->inode;
}

/* Every (local, remote) pair of one family, primary remote path first. */
static void sctp_pairs(struct sctp_sink *k, const struct sctp_side *loc,
		       const struct sctp_side *rem)
{
	struct sctp_text_addr l, r, pl, pr;
	size_t skip_local = SIZE_MAX;
	const char *lp, *rp;

	if (rem->primary != SIZE_MAX && sctp_side_get(rem, rem->primary, &pr)) {
		/* the primary path: its local address, then the others */
		if (loc->primary != SIZE_MAX && sctp_side_get(loc, loc->primary, &pl) &&
		    pl.family == pr.family) {
			sctp_put(k, &pl, &pr);
			skip_local = loc->primary;
		}
		lp = loc->start;
		for (size_t i = 0; k->n < k->max && sctp_side_next(&lp, &l); i++) {
			if (i != skip_local && l.family == pr.family)
				sctp_put(k, &l, &pr);
		}
	}
	lp = loc->start;
	while (k->n < k->max && sctp_side_next(&lp, &l)) {
		size_t f = fam_index(l.family), left = rem->per_family[f];

		/* Only walk the remote list when it has a pair for l left. */
		if (rem->primary != SIZE_MAX && fam_index(rem->primary_family) == f)
			left--;
		if (left == 0)
			continue;
		rp = rem->start;
		for (size_t j = 0; k->n < k->max && sctp_side_next(&rp, &r); j++) {
			if (j != rem->primary && r.family == l.family)
				sctp_put(k, &l, &r);
		}
	}
}

size_t procnet_sctp_line(const char *line, bool assoc, struct sock_entry *out, size_t max)
{
	const uint8_t *fields = assoc ? sctp_assoc_fields : sctp_ep_fields;
	size_t nfields = assoc ? sizeof(sctp_assoc_fields) : sizeof(sctp_ep_fields);
	struct sctp_sink k = { .out = out, .max = max };
	struct sctp_side loc, rem;
	const char *p = line, *tok;
	size_t len;
	uint64_t v;

	for (size_t i = 0; i < nfields; i++) {
		if (!next_token(&p, &tok, &len))
			return 0;
		switch (fields[i]) {
		case SF_PTR:
			break;
		case SF_NUM:
		case SF_INT:
			if (!dec_field(tok, len, fields[i] == SF_INT, UINT64_MAX, &v))
				return 0;
			break;
		case SF_STATE:
			if (!dec_field(tok, len, false, UINT8_MAX, &v))
				return 0;
			k.state = (uint8_t)v;
			break;
		case SF_UID:
			if (!dec_field(tok, len, false, UINT32_MAX, &v))
				return 0;
			break;
		case SF_INODE:
			if (!dec_field(tok, len, false, UINT64_MAX, &k.inode))
				return 0;
			break;
		case SF_LPORT:
		case SF_RPORT:
			if (!dec_field(tok, len, false, UINT16_MAX, &v))
				return 0;
			if (fields[i] == SF_LPORT)
				k.lport = (uint16_t)v;
			else
				k.rport = (uint16_t)v;
			break;
		}
	}
	/* Check the whole line before writing anything. */
	if (!sctp_side_scan(&p, assoc, &loc) || (assoc && !sctp_side_scan(&p, false, &rem)))
		return 0;
	if (!assoc) {
		struct sctp_text_addr l;
		const char *lp = loc.start;

		while (k.n < k.max && sctp_side_next(&lp, &l))
			sctp_put(&k, &l, NULL);
		return k.n;
	}
	sctp_pairs(&k, &loc, &rem);
	return k.n;
}

bool procnet_fib_line(struct fib_state *st, const char *line, struct local_prefix *out)
{
	const char *p = line;
	char buf[INET_ADDRSTRLEN];
	unsigned bits;
	size_t n;

	while (*p == ' ')
		p++;
	if (strncmp(p, "|-- ", 4) == 0) {
		p += 4;
		n = strcspn(p, " \n");
		st->have_addr = false;
		if (n < sizeof(buf)) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			st->have_addr = inet_pton(AF_INET, buf, st->addr) == 1;
		}
		return false;
	}
	if (*p != '/' || !st->have_addr)
		return false;
	p++;
	bits = 0;
	n = 0;
	while (isdigit((unsigned char)*p) && n < 3) {
		bits = bits * 10 + (unsigned)(*p++ - '0');
		n++;
	}
	/* Our own addresses, and the broadcast addresses of our subnets. */
	if (n == 0 || bits > 32 ||
	    (strncmp(p, " host LOCAL", 11) != 0 && strncmp(p, " link BROADCAST", 15) != 0))
		return false;
	memset(out, 0, sizeof(*out));
	out->family = TUPLE_V4;
	out->len = (uint8_t)bits;
	memcpy(out->addr, st->addr, 4);
	return true;
}

bool procnet_if_inet6_line(const char *line, struct local_prefix *out)
{
	uint32_t b;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 16; i++) {
		if (!hex_n(line + 2 * i, 2, &b))
			return false;
		out->addr[i] = (uint8_t)b;
	}
	if (line[32] != ' ')
		return false;
	out->family = TUPLE_V6;
	out->len = 128;
	return true;
}

bool procnet_socket_link(const char *target, size_t len, uint64_t *inode)
{
	uint64_t v = 0;
	size_t i;

	if (len < 10 || memcmp(target, "socket:[", 8) != 0 || target[len - 1] != ']')
		return false;
	for (i = 8; i < len - 1; i++) {
		if (!isdigit((unsigned char)target[i]) || !add_digit(&v, target[i]))
			return false;
	}
	*inode = v;
	return true;
}
