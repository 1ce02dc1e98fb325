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
	case 6:			/* TCP */
		min = 20;
		break;
	case 17:		/* UDP */
	case 136:		/* UDP-Lite */
		min = 8;
		break;
	case 132:		/* SCTP common header */
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
	if (tot_len == 0)	/* TSO/GSO super-packet: the kernel leaves it 0 */
		pkt->ip_len = wire_left;
	else if (tot_len < hlen || tot_len > wire_left)
		return DECODE_MALFORMED;
	else
		pkt->ip_len = tot_len;
	/* What follows the datagram (Ethernet padding) is not ours to read. */
	if (cur_left(c) > pkt->ip_len)
		c->left = pkt->ip_len;
	pkt->t.family = TUPLE_V4;
	pkt->t.proto = h[9];
	pkt->frag_id = id;
	if (frag & 0x1fff)
		pkt->frag = FRAG_LATER;
	else if (frag & 0x2000)
		pkt->frag = FRAG_FIRST;
	cur_skip(c, hlen);
	return decode_ports(c, pkt);
}

static bool ipv6_ext_header(uint8_t nh)
{
	switch (nh) {
	case 0:			/* hop-by-hop options */
	case 43:		/* routing */
	case 44:		/* fragment */
	case 51:		/* authentication header */
	case 60:		/* destination options */
	case 135:		/* mobility */
	case 139:		/* HIP */
	case 140:		/* shim6 */
		return true;
	default:
		return false;
	}
}

static enum decode_result decode_ipv6(struct cursor *c, uint32_t wire_left,
				      struct packet *pkt)
{
	const uint8_t *h = cur_need(c, 40);	/* the fixed header */
	uint8_t nh;
	uint16_t plen;

	if (!h || (h[0] >> 4) != 6)
		return DECODE_MALFORMED;
	plen = hdr_be16(h, 4);
	nh = h[6];
	memcpy(pkt->t.src, h + 8, 16);
	memcpy(pkt->t.dst, h + 24, 16);
	cur_skip(c, 40);
	if (plen == 0)		/* jumbogram or GSO: trust the wire length */
		pkt->ip_len = wire_left;
	else if ((uint32_t)plen + 40 > wire_left)
		return DECODE_MALFORMED;
	else
		pkt->ip_len = (uint32_t)plen + 40;
	if (cur_left(c) > pkt->ip_len - 40)
		c->left = pkt->ip_len - 40;	/* not into link padding */
	pkt->t.family = TUPLE_V6;

	for (int n = 0; ipv6_ext_header(nh); n++) {
		uint8_t next, len8;
		size_t len;

		if (n == MAX_EXT_HEADERS || !cur_u8(c, &next) || !cur_u8(c, &len8))
			return DECODE_MALFORMED;
		if (nh == 44) {
			uint16_t off;
			uint32_t id;
			if (!cur_be16(c, &off) || !cur_be32(c, &id))
				return DECODE_MALFORMED;
			pkt->frag_id = id;
			if (off & 0xfff8)
				pkt->frag = FRAG_LATER;
			else if (off & 1)
				pkt->frag = FRAG_FIRST;
		} else {
			len = nh == 51 ? ((size_t)len8 + 2) * 4 : ((size_t)len8 + 1) * 8;
			if (!cur_skip(c, len - 2))
				return DECODE_MALFORMED;
		}
		nh = next;
		if (pkt->frag == FRAG_LATER)
			break;
	}
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
