/*
 * decode.c - link, network and transport headers to struct packet.
 * References: RFC 791 (IPv4), RFC 8200 (IPv6 and its extension headers),
 * IEEE 802.1Q, tcpdump.org/linktypes (LINUX_SLL, LINUX_SLL2, NULL, LOOP).
 */
#include "decode.h"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <pcap/dlt.h>
#include <string.h>

#include "cursor.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define MAX_VLAN_TAGS 8
#define MAX_EXT_HEADERS 16

#define SLL_OUTGOING 4		/* PACKET_OUTGOING */

#define IPV4_MF 0x2000		/* more fragments */
#define IPV4_OFFSET 0x1fff	/* fragment offset, in 8-byte units */
#define IPV4_MAX_LEN 65535u	/* the most a total length can say */
#define IPV6_HDR_LEN 40u
#define IPV6_MAX_PAYLOAD 65535u	/* the most a payload length can say */
#define IPV6_FRAG_OFFSET 0xfff8	/* in the Fragment header's second word */
#define IPV6_FRAG_MORE 1
#define OPT_PAD1 0		/* an option of one byte, with no length */
#define OPT_JUMBO 0xc2		/* Jumbo Payload (RFC 2675) */
#define OPT_JUMBO_LEN 4

const char *tuple_addr_str(int family, const uint8_t *addr, char *buf, unsigned len)
{
	if (!inet_ntop(family == TUPLE_V6 ? AF_INET6 : AF_INET, addr, buf, len))
		buf[0] = '\0';
	return buf;
}

bool decode_linktype_ok(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

static bool is_vlan(uint16_t type)
{
	return type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD;
}

/* Skip 802.1Q/802.1ad tags; *type is the ethertype before the first tag. */
static bool skip_vlan_tags(struct cursor *c, uint16_t *type)
{
	for (int n = 0; is_vlan(*type); n++) {
		if (n == MAX_VLAN_TAGS || !cur_skip(c, 2) || !cur_be16(c, type))
			return false;
	}
	return true;
}

/*
 * ICMP echo request/reply: the identifier is the pinger's "port", as ping
 * sockets show it in /proc/net/icmp, and it is put on the pinger's end
 * only: a request goes from (pinger, id) to (responder, 0), a reply from
 * (responder, 0) to (pinger, id). Request and reply are then one flow with
 * a direction, and the responder's end (the kernel, which answers echo
 * requests itself) matches no ping socket. With the identifier at both
 * ends, a ping of a local address matched the ping socket at both ends of
 * loopback and counted each packet as sent and as received. Other ICMP
 * types keep ports 0.
 */
static enum decode_result decode_icmp_echo(struct cursor *c, struct packet *pkt)
{
	uint8_t type;
	uint16_t id;

	if (pkt->frag == FRAG_LATER)
		return DECODE_IP;
	const uint8_t *h = cur_need(c, 8);

	if (!h)
		return DECODE_MALFORMED;
	type = h[0];
	id = hdr_be16(h, 4);
	if (pkt->t.proto == IPPROTO_ICMP ? type == ICMP_ECHO : type == ICMP6_ECHO_REQUEST)
		pkt->t.sport = id;
	else if (pkt->t.proto == IPPROTO_ICMP ? type == ICMP_ECHOREPLY : type == ICMP6_ECHO_REPLY)
		pkt->t.dport = id;
	return DECODE_IP;
}

/* The ports, or the first 4 bytes, of transport headers that have them. */
static enum decode_result decode_ports(struct cursor *c, struct packet *pkt)
{
	size_t min;

	switch (pkt->t.proto) {
	case IPPROTO_TCP:
		min = 20;
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		min = 8;
		break;
	case IPPROTO_SCTP:	/* the common header */
		min = 12;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return decode_icmp_echo(c, pkt);
	default:
		return DECODE_IP;
	}
	if (pkt->frag == FRAG_LATER)
		return DECODE_IP;
	const uint8_t *h = cur_need(c, min);
	if (!h)
		return DECODE_MALFORMED;
	pkt->t.sport = hdr_be16(h, 0);
	pkt->t.dport = hdr_be16(h, 2);
	return DECODE_IP;
}

static enum decode_result decode_ipv4(struct cursor *c, uint32_t wire_left,
				      struct packet *pkt)
{
	const uint8_t *h = cur_need(c, 20);	/* the fixed header */
	uint16_t tot_len, frag, id;
	size_t hlen;

	if (!h || (h[0] >> 4) != 4)
		return DECODE_MALFORMED;
	hlen = (size_t)(h[0] & 0x0f) * 4;
	if (hlen < 20 || cur_left(c) < hlen)
		return DECODE_MALFORMED;
	tot_len = hdr_be16(h, 2);
	id = hdr_be16(h, 4);
	frag = hdr_be16(h, 6);
	memcpy(pkt->t.src, h + 12, 4);
	memcpy(pkt->t.dst, h + 16, 4);
	if (tot_len == 0) {
		/* A GSO/GRO super-packet too long for the field (decode.h). */
		if (wire_left <= IPV4_MAX_LEN || wire_left > DECODE_MAX_SUPER_PACKET ||
		    (frag & (IPV4_MF | IPV4_OFFSET)))
			return DECODE_MALFORMED;
		pkt->ip_len = wire_left;
	} else if (tot_len < hlen || tot_len > wire_left) {
		return DECODE_MALFORMED;
	} else {
		pkt->ip_len = tot_len;
	}
	/* What follows the datagram (Ethernet padding) is not ours to read. */
	if (cur_left(c) > pkt->ip_len)
		c->left = pkt->ip_len;
	pkt->t.family = TUPLE_V4;
	pkt->t.proto = h[9];
	pkt->frag_id = id;
	if (frag & IPV4_OFFSET)
		pkt->frag = FRAG_LATER;
	else if (frag & IPV4_MF)
		pkt->frag = FRAG_FIRST;
	cur_skip(c, hlen);
	return decode_ports(c, pkt);
}

static bool ipv6_ext_header(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case 135:		/* mobility */
	case 139:		/* HIP */
	case 140:		/* shim6 */
		return true;
	default:
		return false;
	}
}

enum jumbo {
	JUMBO_NONE,		/* no Hop-by-Hop header, or no option in it */
	JUMBO_FOUND,
	JUMBO_BAD,		/* a Hop-by-Hop header or option cut short */
};

/*
 * The Jumbo Payload option of the Hop-by-Hop header at c, if the fixed
 * header's next header nh says there is one (RFC 2675: only there). The
 * cursor is a copy: the extension header walk reads the header again.
 */
static enum jumbo jumbo_option(struct cursor c, uint8_t nh, uint32_t *len)
{
	struct cursor opts;
	uint8_t next, len8, type, olen;

	if (nh != IPPROTO_HOPOPTS)
		return JUMBO_NONE;
	if (!cur_u8(&c, &next) || !cur_u8(&c, &len8) ||
	    !cur_sub(&c, ((size_t)len8 + 1) * 8 - 2, &opts))
		return JUMBO_BAD;
	while (cur_u8(&opts, &type)) {
		if (type == OPT_PAD1)
			continue;
		if (!cur_u8(&opts, &olen))
			return JUMBO_BAD;
		if (type == OPT_JUMBO)
			return olen == OPT_JUMBO_LEN && cur_be32(&opts, len) ? JUMBO_FOUND
									     : JUMBO_BAD;
		if (!cur_skip(&opts, olen))
			return JUMBO_BAD;
	}
	return JUMBO_NONE;
}

/*
 * The IP length of an IPv6 packet whose payload length is 0 (decode.h):
 * a jumbogram's, a super-packet's from the wire, or else 40, no payload.
 * False when the packet is malformed; *super tells whether the length
 * came from the option or the wire rather than from the field.
 */
static bool ipv6_zero_len(const struct cursor *c, uint8_t nh, uint32_t wire_left,
			  uint32_t *ip_len, bool *super)
{
	uint32_t jumbo = 0;

	*super = true;
	switch (jumbo_option(*c, nh, &jumbo)) {
	case JUMBO_FOUND:
		if (jumbo <= IPV6_MAX_PAYLOAD || jumbo > wire_left - IPV6_HDR_LEN ||
		    jumbo > DECODE_MAX_SUPER_PACKET - IPV6_HDR_LEN)
			return false;
		*ip_len = jumbo + IPV6_HDR_LEN;
		return true;
	case JUMBO_NONE:
		if (wire_left - IPV6_HDR_LEN > IPV6_MAX_PAYLOAD &&
		    wire_left <= DECODE_MAX_SUPER_PACKET) {
			*ip_len = wire_left;
		} else {
			*ip_len = IPV6_HDR_LEN;
			*super = false;
		}
		return true;
	default:
		return false;
	}
}

static enum decode_result decode_ipv6(struct cursor *c, uint32_t wire_left,
				      struct packet *pkt)
{
	const uint8_t *h = cur_need(c, IPV6_HDR_LEN);	/* the fixed header */
	uint8_t nh;
	uint16_t plen;
	bool frag_header = false, super = false;

	if (!h || (h[0] >> 4) != 6)
		return DECODE_MALFORMED;
	plen = hdr_be16(h, 4);
	nh = h[6];
	memcpy(pkt->t.src, h + 8, 16);
	memcpy(pkt->t.dst, h + 24, 16);
	cur_skip(c, IPV6_HDR_LEN);
	if (plen == 0) {
		if (!ipv6_zero_len(c, nh, wire_left, &pkt->ip_len, &super))
			return DECODE_MALFORMED;
	} else if ((uint32_t)plen + IPV6_HDR_LEN > wire_left) {
		return DECODE_MALFORMED;
	} else {
		pkt->ip_len = (uint32_t)plen + IPV6_HDR_LEN;
	}
	if (cur_left(c) > pkt->ip_len - IPV6_HDR_LEN)
		c->left = pkt->ip_len - IPV6_HDR_LEN;	/* not into link padding */
	pkt->t.family = TUPLE_V6;

	for (int n = 0; ipv6_ext_header(nh); n++) {
		uint8_t next, len8;
		size_t len;

		if (n == MAX_EXT_HEADERS || !cur_u8(c, &next) || !cur_u8(c, &len8))
			return DECODE_MALFORMED;
		if (nh == IPPROTO_FRAGMENT) {
			uint16_t off;
			uint32_t id;
			if (!cur_be16(c, &off) || !cur_be32(c, &id))
				return DECODE_MALFORMED;
			frag_header = true;
			pkt->frag_id = id;
			if (off & IPV6_FRAG_OFFSET)
				pkt->frag = FRAG_LATER;
			else if (off & IPV6_FRAG_MORE)
				pkt->frag = FRAG_FIRST;
		} else {
			len = nh == IPPROTO_AH ? ((size_t)len8 + 2) * 4 : ((size_t)len8 + 1) * 8;
			if (!cur_skip(c, len - 2))
				return DECODE_MALFORMED;
		}
		nh = next;
		if (pkt->frag == FRAG_LATER)
			break;
	}
	/* A super-packet is never fragmented, nor a jumbogram (RFC 2675). */
	if (super && frag_header)
		return DECODE_MALFORMED;
	pkt->t.proto = nh;
	return decode_ports(c, pkt);
}

static enum decode_result decode_ip(struct cursor *c, uint32_t wire_left,
				    struct packet *pkt, int version_hint)
{
	uint8_t v;
	struct cursor peek = *c;

	if (!cur_u8(&peek, &v))
		return DECODE_MALFORMED;
	if (version_hint == 0)
		version_hint = v >> 4;
	if (version_hint == 4)
		return decode_ipv4(c, wire_left, pkt);
	if (version_hint == 6)
		return decode_ipv6(c, wire_left, pkt);
	return DECODE_MALFORMED;
}

/* AF_ values for IPv4 and IPv6 as BSD systems write them in NULL/LOOP. */
static int null_family(uint32_t af)
{
	if (af == 2)
		return 4;
	if (af == 24 || af == 28 || af == 30 || af == 10)
		return 6;
	return 0;
}

enum decode_result decode_packet(int dlt, const uint8_t *data, uint32_t caplen,
				 uint32_t wirelen, struct packet *pkt)
{
	struct cursor c = cur_init(data, caplen);
	uint16_t type, pkttype;
	uint8_t pt8;
	uint32_t af;
	size_t before;

	memset(pkt, 0, sizeof(*pkt));
	if (wirelen < caplen)
		wirelen = caplen;

	switch (dlt) {
	case DLT_EN10MB:
		if (!cur_skip(&c, 12) || !cur_be16(&c, &type))
			return DECODE_MALFORMED;
		if (type < 0x0600)	/* 802.3 length: LLC, not IP */
			return DECODE_NOT_IP;
		break;
	case DLT_LINUX_SLL:
		if (!cur_be16(&c, &pkttype) || !cur_skip(&c, 12) || !cur_be16(&c, &type))
			return DECODE_MALFORMED;
		pkt->dir = pkttype == SLL_OUTGOING ? PKT_DIR_OUT : PKT_DIR_IN;
		break;
	case DLT_LINUX_SLL2: {
		const uint8_t *h = cur_need(&c, 20);

		if (!h)
			return DECODE_MALFORMED;
		type = hdr_be16(h, 0);
		pkt->ifindex = hdr_be32(h, 4);
		pt8 = h[10];
		cur_skip(&c, 20);
		pkt->has_ifindex = true;
		pkt->dir = pt8 == SLL_OUTGOING ? PKT_DIR_OUT : PKT_DIR_IN;
		break;
	}
	case DLT_NULL:
	case DLT_LOOP:
		if (!cur_le32(&c, &af))
			return DECODE_MALFORMED;
		/* NULL is in the writer's byte order, LOOP in network order. */
		if (null_family(af) == 0)
			af = __builtin_bswap32(af);
		if (null_family(af) == 0)
			return DECODE_NOT_IP;
		before = caplen - cur_left(&c);
		pkt->l3_off = (uint32_t)before;
		return decode_ip(&c, wirelen - (uint32_t)before, pkt, null_family(af));
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return decode_ip(&c, wirelen, pkt, 0);
	default:
		return DECODE_NOT_IP;
	}
	/* Ethernet and SLL: the ethertype, after any VLAN tags, decides. */
	if (!skip_vlan_tags(&c, &type))
		return DECODE_MALFORMED;
	before = caplen - cur_left(&c);
	pkt->l3_off = (uint32_t)before;
	if (type == ETH_IPV4)
		return decode_ip(&c, wirelen - (uint32_t)before, pkt, 4);
	if (type == ETH_IPV6)
		return decode_ip(&c, wirelen - (uint32_t)before, pkt, 6);
	return DECODE_NOT_IP;
}
