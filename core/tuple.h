/*
 * tuple.h - the 5-tuple of a packet or socket.
 *
 * A fixed-size, zero-padded key: IPv4 addresses use the first 4 bytes of
 * the 16-byte arrays and leave the rest zero, so two equal tuples are equal
 * byte for byte and can be hashed and compared with memcmp.
 */
#ifndef PROCTRAF_TUPLE_H
#define PROCTRAF_TUPLE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define TUPLE_V4 4
#define TUPLE_V6 6

#define TUPLE_FLOW 0
#define TUPLE_RAW 1	/* a raw IP socket: proto is what it receives, ports 0 */

struct tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t family;		/* TUPLE_V4 or TUPLE_V6 */
	uint8_t proto;		/* IP protocol number */
	uint8_t kind;		/* TUPLE_FLOW, or TUPLE_RAW for a raw socket's key */
	uint8_t pad;		/* always zero */
};

/* One end of a tuple: an address (family-padded) and a port. */
struct endpoint {
	uint8_t addr[16];
	uint16_t port;
};

/*
 * One end of a conversation as its owner sees it: its own address and
 * port (local), and the peer's (remote). What a lookup of an owner asks
 * about.
 */
struct flow_end {
	struct endpoint local, remote;
	uint8_t family;		/* TUPLE_V4 or TUPLE_V6 */
	uint8_t proto;		/* IPPROTO_* */
};

static inline struct flow_end flow_end_make(int family, int proto, const uint8_t *laddr,
					    uint16_t lport, const uint8_t *raddr, uint16_t rport)
{
	struct flow_end e;

	memset(&e, 0, sizeof(e));
	memcpy(e.local.addr, laddr, 16);
	memcpy(e.remote.addr, raddr, 16);
	e.local.port = lport;
	e.remote.port = rport;
	e.family = (uint8_t)family;
	e.proto = (uint8_t)proto;
	return e;
}

/* The source end of t (dst false), or its destination end, as that end's owner sees it. */
static inline struct flow_end flow_end_of(const struct tuple *t, bool dst)
{
	return dst ? flow_end_make(t->family, t->proto, t->dst, t->dport, t->src, t->sport)
		   : flow_end_make(t->family, t->proto, t->src, t->sport, t->dst, t->dport);
}

/* Addresses in memcmp order, then ports: as two big-endian words, inline. */
static inline int endpoint_cmp(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp)
{
	for (int i = 0; i < 16; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		x = __builtin_bswap64(x);
		y = __builtin_bswap64(y);
#endif
		if (x != y)
			return x < y ? -1 : 1;
	}
	return (ap > bp) - (ap < bp);
}

/*
 * Put the lower endpoint first so both directions of a flow share one key.
 * Returns true when the ends were swapped (the packet went from the higher
 * endpoint to the lower one).
 */
static inline bool tuple_canonical(struct tuple *t)
{
	uint8_t tmp[16];
	uint16_t p;

	if (endpoint_cmp(t->src, t->sport, t->dst, t->dport) <= 0)
		return false;
	memcpy(tmp, t->src, 16);
	memcpy(t->src, t->dst, 16);
	memcpy(t->dst, tmp, 16);
	p = t->sport;
	t->sport = t->dport;
	t->dport = p;
	return true;
}

/* Format an address as text (inet_ntop); buf needs 46 bytes. */
const char *tuple_addr_str(int family, const uint8_t *addr, char *buf, unsigned len);

#endif
