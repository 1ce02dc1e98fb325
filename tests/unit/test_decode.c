/*
 * test_decode.c - link, network and transport decoding (core/decode.h).
 *
 * Packets are built byte by byte here; decode_packet always reads from an
 * exact-size heap copy, so any read past the captured bytes shows up
 * under ASan / valgrind (make asan), not only in the assertions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/decode.h"
#include "helpers.h"

/* ---- packet builder ---- */

struct pb {
	uint8_t b[4096];
	size_t n;
	size_t ip;	/* offset of the IP header */
};

static void pb_u8(struct pb *p, unsigned v)
{
	assert_true(p->n < sizeof(p->b));
	p->b[p->n++] = (uint8_t)v;
}

static void pb_be16(struct pb *p, unsigned v)
{
	pb_u8(p, v >> 8);
	pb_u8(p, v);
}

static void pb_be32(struct pb *p, uint32_t v)
{
	pb_be16(p, v >> 16);
	pb_be16(p, v & 0xffff);
}

static void pb_bytes(struct pb *p, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_u8(p, src[i]);
}

static void pb_zero(struct pb *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_u8(p, 0);
}

static void pb_set16(struct pb *p, size_t at, unsigned v)
{
	p->b[at] = (uint8_t)(v >> 8);
	p->b[at + 1] = (uint8_t)v;
}

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/* Ethernet with tags (TPIDs given, outermost first), then the ethertype. */
static void eth(struct pb *p, const unsigned *tpids, int ntags, unsigned type)
{
	pb_bytes(p, mac_a, 6);
	pb_bytes(p, mac_b, 6);
	for (int i = 0; i < ntags; i++) {
		pb_be16(p, tpids[i]);
		pb_be16(p, 0x0064 + (unsigned)i);	/* PCP 0, VID 100+i */
	}
	pb_be16(p, type);
}

/* Linux cooked v1: pkttype, hatype, halen, 8 address bytes, protocol. */
static void sll(struct pb *p, unsigned pkttype, unsigned proto)
{
	pb_be16(p, pkttype);
	pb_be16(p, 1);
	pb_be16(p, 6);
	pb_bytes(p, mac_a, 6);
	pb_zero(p, 2);
	pb_be16(p, proto);
}

/* Linux cooked v2: protocol, reserved, ifindex, hatype, pkttype, halen, address. */
static void sll2(struct pb *p, unsigned pkttype, unsigned proto)
{
	pb_be16(p, proto);
	pb_be16(p, 0);
	pb_be32(p, 2);
	pb_be16(p, 1);
	pb_u8(p, pkttype);
	pb_u8(p, 6);
	pb_bytes(p, mac_a, 6);
	pb_zero(p, 2);
}

/* BSD loopback header: a 32-bit address family, little or big endian. */
static void null_hdr(struct pb *p, uint32_t af, bool big)
{
	if (big) {
		pb_be32(p, af);
	} else {
		pb_u8(p, af & 0xff);
		pb_u8(p, (af >> 8) & 0xff);
		pb_u8(p, (af >> 16) & 0xff);
		pb_u8(p, af >> 24);
	}
}

static const uint8_t v4_src[4] = { 10, 0, 0, 1 };
static const uint8_t v4_dst[4] = { 10, 0, 0, 2 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* IPv4 header with optlen bytes of options (NOPs); tot_len fixed later. */
static void ipv4(struct pb *p, size_t optlen, unsigned proto, unsigned id, unsigned fragword)
{
	p->ip = p->n;
	pb_u8(p, 0x40 | (unsigned)((20 + optlen) / 4));
	pb_u8(p, 0);
	pb_be16(p, 0);		/* total length: ip_fix */
	pb_be16(p, id);
	pb_be16(p, fragword);
	pb_u8(p, 64);
	pb_u8(p, proto);
	pb_be16(p, 0);
	pb_bytes(p, v4_src, 4);
	pb_bytes(p, v4_dst, 4);
	for (size_t i = 0; i < optlen; i++)
		pb_u8(p, 1);
}

static void ipv6(struct pb *p, unsigned nh)
{
	p->ip = p->n;
	pb_be32(p, 0x60000000);
	pb_be16(p, 0);		/* payload length: ip_fix */
	pb_u8(p, nh);
	pb_u8(p, 64);
	pb_bytes(p, v6_src, 16);
	pb_bytes(p, v6_dst, 16);
}

/* Set the IP length field from what was built after the IP header. */
static void ip_fix(struct pb *p)
{
	if ((p->b[p->ip] >> 4) == 4)
		pb_set16(p, p->ip + 2, (unsigned)(p->n - p->ip));
	else
		pb_set16(p, p->ip + 4, (unsigned)(p->n - p->ip - 40));
}

/* IPv6 options-style extension header of (len8 + 1) * 8 bytes. */
static void ext(struct pb *p, unsigned nh, unsigned len8)
{
	pb_u8(p, nh);
	pb_u8(p, len8);
	pb_u8(p, 1);		/* PadN */
	pb_u8(p, (len8 + 1) * 8 - 4);
	pb_zero(p, (len8 + 1) * 8 - 4);
}

static void frag6(struct pb *p, unsigned nh, unsigned offset8, bool more, uint32_t id)
{
	pb_u8(p, nh);
	pb_u8(p, 0);
	pb_be16(p, offset8 << 3 | (more ? 1 : 0));
	pb_be32(p, id);
}

static void tcp(struct pb *p, unsigned sport, unsigned dport)
{
	pb_be16(p, sport);
	pb_be16(p, dport);
	pb_be32(p, 1000);	/* seq */
	pb_be32(p, 0);		/* ack */
	pb_u8(p, 5 << 4);
	pb_u8(p, 0x02);		/* SYN */
	pb_be16(p, 65535);
	pb_be32(p, 0);
}

static void udp(struct pb *p, unsigned sport, unsigned dport, size_t payload)
{
	pb_be16(p, sport);
	pb_be16(p, dport);
	pb_be16(p, (unsigned)(8 + payload));
	pb_be16(p, 0);
	for (size_t i = 0; i < payload; i++)
		pb_u8(p, 'a' + (unsigned)(i % 26));
}

/* Whatever follows proto in a decoded tuple (kind, padding) is zero. */
static void check_tail_zero(const struct tuple *t)
{
	const uint8_t *b = (const uint8_t *)t;

	for (size_t i = offsetof(struct tuple, proto) + 1; i < sizeof(*t); i++)
		assert_int_equal(b[i], 0);
}

/* ---- decoding from exact-size copies ---- */

static enum decode_result dec(int dlt, const uint8_t *data, size_t caplen, size_t wirelen,
			      struct packet *pkt)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	enum decode_result r;

	assert_non_null(copy);
	memcpy(copy, data, caplen);
	r = decode_packet(dlt, copy, (uint32_t)caplen, (uint32_t)wirelen, pkt);
	free(copy);
	return r;
}

static enum decode_result dec_pb(int dlt, const struct pb *p, struct packet *pkt)
{
	return dec(dlt, p->b, p->n, p->n, pkt);
}

static void check_v4(const struct packet *pkt, unsigned proto, unsigned sport, unsigned dport,
		     uint32_t ip_len)
{
	static const uint8_t zero12[12];

	assert_int_equal(pkt->t.family, TUPLE_V4);
	assert_int_equal(pkt->t.proto, proto);
	assert_memory_equal(pkt->t.src, v4_src, 4);
	assert_memory_equal(pkt->t.dst, v4_dst, 4);
	assert_memory_equal(pkt->t.src + 4, zero12, 12);
	assert_memory_equal(pkt->t.dst + 4, zero12, 12);
	assert_int_equal(pkt->t.sport, sport);
	assert_int_equal(pkt->t.dport, dport);
	check_tail_zero(&pkt->t);
	assert_int_equal(pkt->ip_len, ip_len);
}

static void check_v6(const struct packet *pkt, unsigned proto, unsigned sport, unsigned dport,
		     uint32_t ip_len)
{
	assert_int_equal(pkt->t.family, TUPLE_V6);
	assert_int_equal(pkt->t.proto, proto);
	assert_memory_equal(pkt->t.src, v6_src, 16);
	assert_memory_equal(pkt->t.dst, v6_dst, 16);
	assert_int_equal(pkt->t.sport, sport);
	assert_int_equal(pkt->t.dport, dport);
	assert_int_equal(pkt->ip_len, ip_len);
}

/* Ethernet + IPv4 (optlen option bytes) + TCP 12345 -> 80, payload bytes. */
static void build_eth_tcp4(struct pb *p, size_t optlen, size_t payload)
{
	memset(p, 0, sizeof(*p));
	eth(p, NULL, 0, 0x0800);
	ipv4(p, optlen, 6, 0x1234, 0x4000);
	tcp(p, 12345, 80);
	pb_zero(p, payload);
	ip_fix(p);
}

/* ---- link types ---- */

static void test_linktype_ok(void **state)
{
	(void)state;
	static const int ok[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
				  DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(decode_linktype_ok(ok[i]));
	assert_false(decode_linktype_ok(DLT_IEEE802_11));
	assert_false(decode_linktype_ok(DLT_PPP));
	assert_false(decode_linktype_ok(-1));
	assert_false(decode_linktype_ok(100000));

	/* An unsupported link type never yields an IP packet. */
	struct pb p;
	struct packet pkt;
	build_eth_tcp4(&p, 0, 0);
	assert_int_not_equal(dec_pb(DLT_IEEE802_11, &p, &pkt), DECODE_IP);
}

static void test_en10mb_plain(void **state)
{
	(void)state;
	struct pb p;
	struct packet pkt;

	build_eth_tcp4(&p, 0, 10);
	memset(&pkt, 0xaa, sizeof(pkt));	/* every field must be written */
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
	check_v4(&pkt, 6, 12345, 80, 50);
	assert_int_equal(pkt.frag, FRAG_NONE);	/* DF alone is no fragment */
	assert_int_equal(pkt.dir, PKT_DIR_UNKNOWN);

	/* IPv6 by its ethertype. */
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x86dd);
	ipv6(&p, 17);
	udp(&p, 5353, 53, 3);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 17, 5353, 53, 40 + 11);
	assert_int_equal(pkt.dir, PKT_DIR_UNKNOWN);
}

static void test_en10mb_vlan(void **state)
{
	(void)state;
	static const unsigned one[] = { 0x8100 };
	static const unsigned two[] = { 0x88a8, 0x8100 };
	static const unsigned old_qinq[] = { 0x9100, 0x8100 };
	const unsigned *tags[] = { one, two, old_qinq };
	int ntags[] = { 1, 2, 2 };

	for (int i = 0; i < 3; i++) {
		struct pb p = { .n = 0 };
		struct packet pkt;
		eth(&p, tags[i], ntags[i], 0x0800);
		ipv4(&p, 0, 17, 1, 0);
		udp(&p, 1111, 2222, 4);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
		check_v4(&pkt, 17, 1111, 2222, 32);

		/* Cut inside the tags: malformed, not IP with garbage. */
		for (size_t cut = 13; cut < 14 + 4 * (size_t)ntags[i]; cut++)
			assert_int_equal(dec(DLT_EN10MB, p.b, cut, cut, &pkt), DECODE_MALFORMED);
	}
	/* A tagged ARP frame is not IP. */
	struct pb a = { .n = 0 };
	struct packet pkt;
	eth(&a, one, 1, 0x0806);
	pb_zero(&a, 28);
	assert_int_equal(dec_pb(DLT_EN10MB, &a, &pkt), DECODE_NOT_IP);
	/* Tagged IPv6. */
	struct pb b = { .n = 0 };
	eth(&b, two, 2, 0x86dd);
	ipv6(&b, 6);
	tcp(&b, 443, 50000);
	ip_fix(&b);
	assert_int_equal(dec_pb(DLT_EN10MB, &b, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 443, 50000, 60);
}

static void test_en10mb_not_ip(void **state)
{
	(void)state;
	struct pb p = { .n = 0 };
	struct packet pkt;

	/* ARP request. */
	eth(&p, NULL, 0, 0x0806);
	pb_be16(&p, 1);
	pb_be16(&p, 0x0800);
	pb_u8(&p, 6);
	pb_u8(&p, 4);
	pb_be16(&p, 1);
	pb_zero(&p, 20);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_NOT_IP);

	/* 802.3 length field + LLC: not IP, even if an IPv4 header follows. */
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 46);
	ipv4(&p, 0, 6, 0, 0);
	tcp(&p, 1, 2);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_NOT_IP);
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x05dc);	/* 1500, the largest length */
	pb_zero(&p, 46);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_NOT_IP);
	/* Some other ethertype (LLDP). */
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x88cc);
	pb_zero(&p, 46);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_NOT_IP);
}

static void test_sll_direction(void **state)
{
	(void)state;
	static const struct {
		unsigned pkttype;
		int dir;
	} cases[] = {
		{ 0, PKT_DIR_IN },	/* to us */
		{ 1, PKT_DIR_IN },	/* broadcast */
		{ 3, PKT_DIR_IN },	/* to someone else */
		{ 4, PKT_DIR_OUT },	/* sent by us */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pb p = { .n = 0 };
		struct packet pkt;

		sll(&p, cases[i].pkttype, 0x0800);
		ipv4(&p, 0, 6, 7, 0);
		tcp(&p, 40000, 22);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_LINUX_SLL, &p, &pkt), DECODE_IP);
		check_v4(&pkt, 6, 40000, 22, 40);
		assert_int_equal(pkt.dir, cases[i].dir);

		memset(&p, 0, sizeof(p));
		sll2(&p, cases[i].pkttype, 0x86dd);
		ipv6(&p, 17);
		udp(&p, 123, 123, 0);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_LINUX_SLL2, &p, &pkt), DECODE_IP);
		check_v6(&pkt, 17, 123, 123, 48);
		assert_int_equal(pkt.dir, cases[i].dir);
	}
	/* Cooked ARP, both versions. */
	struct pb p = { .n = 0 };
	struct packet pkt;
	sll(&p, 4, 0x0806);
	pb_zero(&p, 28);
	assert_int_equal(dec_pb(DLT_LINUX_SLL, &p, &pkt), DECODE_NOT_IP);
	memset(&p, 0, sizeof(p));
	sll2(&p, 0, 0x0806);
	pb_zero(&p, 28);
	assert_int_equal(dec_pb(DLT_LINUX_SLL2, &p, &pkt), DECODE_NOT_IP);
	/* pkttype lives in its own byte of SLL2: an OUTGOING value elsewhere is ignored. */
	memset(&p, 0, sizeof(p));
	sll2(&p, 0, 0x0800);
	p.b[9] = 4;		/* low byte of hatype */
	p.b[11] = 4;		/* halen */
	ipv4(&p, 0, 17, 1, 0);
	udp(&p, 1, 2, 0);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_LINUX_SLL2, &p, &pkt), DECODE_IP);
	assert_int_equal(pkt.dir, PKT_DIR_IN);
}

static void test_raw(void **state)
{
	(void)state;
	struct pb p = { .n = 0 };
	struct packet pkt;

	ipv4(&p, 0, 6, 0, 0);
	tcp(&p, 8080, 39000);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v4(&pkt, 6, 8080, 39000, 40);
	assert_int_equal(dec_pb(DLT_IPV4, &p, &pkt), DECODE_IP);
	check_v4(&pkt, 6, 8080, 39000, 40);

	memset(&p, 0, sizeof(p));
	ipv6(&p, 6);
	tcp(&p, 22, 60000);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 22, 60000, 60);
	assert_int_equal(pkt.dir, PKT_DIR_UNKNOWN);
	assert_int_equal(dec_pb(DLT_IPV6, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 22, 60000, 60);

	/* Neither 4 nor 6 in the version nibble. */
	for (unsigned v = 0; v < 16; v++) {
		if (v == 4 || v == 6)
			continue;
		p.b[0] = (uint8_t)(v << 4 | 5);
		assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_MALFORMED);
	}
}

static void test_null_and_loop(void **state)
{
	(void)state;
	static const uint32_t v6_afs[] = { 10, 24, 28, 30 };

	for (int big = 0; big < 2; big++) {
		struct pb p = { .n = 0 };
		struct packet pkt;

		/* AF_INET = 2, written in either byte order. */
		null_hdr(&p, 2, big);
		ipv4(&p, 0, 17, 0, 0);
		udp(&p, 53, 33333, 5);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_NULL, &p, &pkt), DECODE_IP);
		check_v4(&pkt, 17, 53, 33333, 33);
		assert_int_equal(pkt.dir, PKT_DIR_UNKNOWN);
		assert_int_equal(dec_pb(DLT_LOOP, &p, &pkt), DECODE_IP);
		check_v4(&pkt, 17, 53, 33333, 33);

		/* The AF_INET6 values of the BSDs (and Linux's 10). */
		for (size_t i = 0; i < 4; i++) {
			memset(&p, 0, sizeof(p));
			null_hdr(&p, v6_afs[i], big);
			ipv6(&p, 6);
			tcp(&p, 1, 2);
			ip_fix(&p);
			assert_int_equal(dec_pb(DLT_NULL, &p, &pkt), DECODE_IP);
			check_v6(&pkt, 6, 1, 2, 60);
		}

		/* An unknown family is not IP. */
		memset(&p, 0, sizeof(p));
		null_hdr(&p, 7, big);
		ipv4(&p, 0, 17, 0, 0);
		udp(&p, 53, 33333, 5);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_NULL, &p, &pkt), DECODE_NOT_IP);
		assert_int_equal(dec_pb(DLT_LOOP, &p, &pkt), DECODE_NOT_IP);

		/* AF_INET with an IPv6 packet behind it. */
		memset(&p, 0, sizeof(p));
		null_hdr(&p, 2, big);
		ipv6(&p, 6);
		tcp(&p, 1, 2);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_NULL, &p, &pkt), DECODE_MALFORMED);
	}
}

/* ---- IPv4 ---- */

static void test_ipv4_options(void **state)
{
	(void)state;
	/* IHL 6 .. 15: the transport header starts after the options. */
	for (size_t opt = 4; opt <= 40; opt += 4) {
		struct pb p;
		struct packet pkt;
		build_eth_tcp4(&p, opt, 0);
		/* Option bytes that look like ports if the offset were wrong. */
		for (size_t i = 0; i < opt; i++)
			p.b[14 + 20 + i] = 0x77;
		assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
		check_v4(&pkt, 6, 12345, 80, (uint32_t)(20 + opt + 20));
	}
}

static void test_ipv4_length(void **state)
{
	(void)state;
	struct pb p;
	struct packet pkt;

	/* Ethernet padding: a 28-byte UDP/IPv4 packet in a 60-byte frame. */
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x0800);
	ipv4(&p, 0, 17, 9, 0);
	udp(&p, 4000, 5000, 0);
	ip_fix(&p);
	pb_zero(&p, 60 - p.n);
	assert_int_equal(p.n, 60);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
	check_v4(&pkt, 17, 4000, 5000, 28);
	assert_int_equal(dec(DLT_EN10MB, p.b, 60, 64, &pkt), DECODE_IP);	/* FCS on the wire */
	assert_int_equal(pkt.ip_len, 28);

	/* Snap length: 54 of 1514 bytes captured, the IP length says 1500. */
	build_eth_tcp4(&p, 0, 1460);
	assert_int_equal(p.n, 1514);
	assert_int_equal(dec(DLT_EN10MB, p.b, 54, 1514, &pkt), DECODE_IP);
	check_v4(&pkt, 6, 12345, 80, 1500);

	/* A wire length below the captured length is taken as the captured length. */
	struct pb n = { .n = 0 };
	null_hdr(&n, 2, false);
	ipv4(&n, 0, 6, 0, 0);
	tcp(&n, 1, 2);
	ip_fix(&n);
	assert_int_equal(dec(DLT_NULL, n.b, n.n, 10, &pkt), DECODE_IP);
	assert_int_equal(pkt.ip_len, 40);
}

#define IPV4_FIELD_MAX 65535u	/* the most a total length can say */

/*
 * Total length 0 (issue 11, item 7): a GSO/GRO super-packet of more than
 * 65535 bytes, as Linux writes it, takes the wire length after the link
 * header, whichever way it goes; a 0 on a packet that fits the field, on
 * a fragment or beyond what Linux can build is malformed (a crafted file
 * made four such packets count 17 GB).
 */
static void test_ipv4_length_zero(void **state)
{
	(void)state;
	struct pb p;
	struct packet pkt;

	build_eth_tcp4(&p, 0, 0);
	pb_set16(&p, 14 + 2, 0);
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + 69556, &pkt), DECODE_IP);
	check_v4(&pkt, 6, 12345, 80, 69556);
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + (IPV4_FIELD_MAX + 1), &pkt), DECODE_IP);
	assert_int_equal(pkt.ip_len, (IPV4_FIELD_MAX + 1));
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + DECODE_MAX_SUPER_PACKET, &pkt), DECODE_IP);
	assert_int_equal(pkt.ip_len, DECODE_MAX_SUPER_PACKET);
	/* What fits the field has its length there; what no GSO builds is a lie. */
	static const uint32_t bad[] = { 40, 60, 1500, 64000, IPV4_FIELD_MAX,
					DECODE_MAX_SUPER_PACKET + 1, 0xffffffffu - 14 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + bad[i], &pkt), DECODE_MALFORMED);
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 0xffffffffu, &pkt), DECODE_MALFORMED);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
	/* A fragment is never a super-packet: first (MF) or later (offset). */
	static const unsigned frags[] = { 0x2000, 0x0001, 0x20b9, 0x00b9 };
	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		pb_set16(&p, 14 + 6, frags[i]);
		assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + 69556, &pkt), DECODE_MALFORMED);
	}
	/* Cooked captures, out and in alike (GRO and a veth peer's GSO packet come in). */
	static const unsigned pkttypes[] = { 4, 0 };
	for (size_t i = 0; i < 2; i++) {
		struct pb s = { .n = 0 };
		sll(&s, pkttypes[i], 0x0800);
		ipv4(&s, 0, 6, 0, 0);
		tcp(&s, 1, 2);
		assert_int_equal(dec(DLT_LINUX_SLL, s.b, s.n, 16 + 95284, &pkt), DECODE_IP);
		assert_int_equal(pkt.ip_len, 95284);
		assert_int_equal(pkt.dir, pkttypes[i] ? PKT_DIR_OUT : PKT_DIR_IN);
		assert_int_equal(dec(DLT_LINUX_SLL, s.b, s.n, 16 + 9000, &pkt), DECODE_MALFORMED);
		s.n = 0;
		sll2(&s, pkttypes[i], 0x0800);
		ipv4(&s, 0, 6, 0, 0);
		tcp(&s, 1, 2);
		assert_int_equal(dec(DLT_LINUX_SLL2, s.b, s.n, 20 + 95284, &pkt), DECODE_IP);
		assert_int_equal(pkt.ip_len, 95284);
		assert_int_equal(dec(DLT_LINUX_SLL2, s.b, s.n, 0xffffffffu, &pkt), DECODE_MALFORMED);
	}
	struct pb n = { .n = 0 };
	null_hdr(&n, 2, false);
	ipv4(&n, 0, 6, 0, 0);
	tcp(&n, 1, 2);
	assert_int_equal(dec(DLT_NULL, n.b, n.n, 4 + 100000, &pkt), DECODE_IP);
	assert_int_equal(pkt.ip_len, 100000);
	/* The captured length stands for a smaller wire length: 40 bytes, malformed. */
	assert_int_equal(dec(DLT_NULL, n.b, n.n, 10, &pkt), DECODE_MALFORMED);
}

static void test_ipv4_fragments(void **state)
{
	(void)state;
	struct pb p;
	struct packet pkt;

	/* First fragment: MF set, offset 0; the ports are there. */
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x0800);
	ipv4(&p, 0, 17, 0xbeef, 0x2000);
	udp(&p, 7000, 7001, 1472);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
	check_v4(&pkt, 17, 7000, 7001, 1500);
	assert_int_equal(pkt.frag, FRAG_FIRST);
	assert_int_equal(pkt.frag_id, 0xbeef);

	/* Later fragments (offset != 0, with or without MF): proto kept, ports 0,
	 * and the bytes where ports would be are not read as ports. */
	static const unsigned words[] = { 0x00b9, 0x20b9, 0x0001, 0x1fff, 0x4001 };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		memset(&p, 0, sizeof(p));
		eth(&p, NULL, 0, 0x0800);
		ipv4(&p, 0, 17, 0xbeef, words[i]);
		pb_be32(&p, 0x11223344);
		pb_be32(&p, 0x55667788);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
		check_v4(&pkt, 17, 0, 0, 28);
		assert_int_equal(pkt.frag, FRAG_LATER);
		assert_int_equal(pkt.frag_id, 0xbeef);
	}
	/* A later TCP fragment shorter than a TCP header is still fine. */
	memset(&p, 0, sizeof(p));
	ipv4(&p, 0, 6, 1, 0x0010);
	pb_zero(&p, 8);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v4(&pkt, 6, 0, 0, 28);
	assert_int_equal(pkt.frag, FRAG_LATER);
}

static void test_other_protocols(void **state)
{
	(void)state;
	static const unsigned protos[] = { 2, 4, 47, 50, 89, 253 };	/* IGMP IPIP GRE ESP OSPF exp */

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		struct pb p = { .n = 0 };
		struct packet pkt;
		ipv4(&p, 0, protos[i], 0, 0);
		pb_be32(&p, 0xffffffff);	/* would be ports 65535 if misread */
		pb_be32(&p, 0xffffffff);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
		check_v4(&pkt, protos[i], 0, 0, 28);
		/* Even with no payload at all. */
		memset(&p, 0, sizeof(p));
		ipv4(&p, 0, protos[i], 0, 0);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
		check_v4(&pkt, protos[i], 0, 0, 20);
	}
	/* ICMPv6 and "no next header". */
	static const unsigned protos6[] = { 58, 59 };
	for (size_t i = 0; i < 2; i++) {
		struct pb p = { .n = 0 };
		struct packet pkt;
		ipv6(&p, protos6[i]);
		pb_be32(&p, 0xffffffff);
		pb_be32(&p, 0);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
		check_v6(&pkt, protos6[i], 0, 0, 48);
	}
	/* UDP-Lite and SCTP carry ports like UDP. */
	struct pb p = { .n = 0 };
	struct packet pkt;
	ipv4(&p, 0, 136, 0, 0);
	udp(&p, 1234, 5678, 0);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v4(&pkt, 136, 1234, 5678, 28);
	memset(&p, 0, sizeof(p));
	ipv4(&p, 0, 132, 0, 0);
	pb_be16(&p, 2905);
	pb_be16(&p, 2906);
	pb_be32(&p, 0xabcdef01);	/* verification tag */
	pb_be32(&p, 0);		/* checksum */
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v4(&pkt, 132, 2905, 2906, 32);
}

/*
 * ICMP echo: the identifier is the port of the pinger's end only (the
 * source of a request, the destination of a reply), the responder's end
 * has port 0; other types have ports 0.
 */
static void test_icmp(void **state)
{
	(void)state;
	static const struct {
		unsigned proto, type, sport, dport;
	} cases[] = {
		{ 1, 8, 0x4242, 0 }, { 1, 0, 0, 0x4242 }, { 1, 3, 0, 0 }, { 1, 11, 0, 0 },
		{ 58, 128, 0x4242, 0 }, { 58, 129, 0, 0x4242 }, { 58, 1, 0, 0 }, { 58, 135, 0, 0 },
		{ 58, 8, 0, 0 },	/* an ICMPv4 echo type number means nothing in ICMPv6 */
		{ 58, 0, 0, 0 },
		{ 1, 128, 0, 0 },
		{ 1, 129, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pb p = { .n = 0 };
		struct packet pkt;
		bool v6 = cases[i].proto == 58;

		if (v6)
			ipv6(&p, 58);
		else
			ipv4(&p, 0, 1, 0, 0);
		pb_u8(&p, cases[i].type);
		pb_u8(&p, 0);
		pb_be16(&p, 0xffff);	/* checksum */
		pb_be16(&p, 0x4242);	/* identifier */
		pb_be16(&p, 7);		/* sequence */
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
		if (v6)
			check_v6(&pkt, 58, cases[i].sport, cases[i].dport, 48);
		else
			check_v4(&pkt, 1, cases[i].sport, cases[i].dport, 28);
		/* Cut below the 8-byte echo header: malformed. */
		for (size_t k = p.n - 8; k < p.n; k++)
			assert_int_equal(dec(DLT_RAW, p.b, k, p.n, &pkt), DECODE_MALFORMED);
	}
	/* A later fragment of an ICMP datagram has no header to read. */
	struct pb p = { .n = 0 };
	struct packet pkt;
	ipv4(&p, 0, 1, 5, 0x0020);
	pb_be32(&p, 0x08000000);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v4(&pkt, 1, 0, 0, 24);
	assert_int_equal(pkt.frag, FRAG_LATER);
}

/* An echo of identifier id, type type, from src to dst (4 bytes each). */
static void echo4(struct pb *p, unsigned type, unsigned id, const uint8_t *src,
		  const uint8_t *dst)
{
	memset(p, 0, sizeof(*p));
	ipv4(p, 0, 1, 0, 0);
	memcpy(p->b + p->ip + 12, src, 4);
	memcpy(p->b + p->ip + 16, dst, 4);
	pb_u8(p, type);
	pb_u8(p, 0);
	pb_be16(p, 0);		/* checksum */
	pb_be16(p, id);
	pb_be16(p, 1);		/* sequence */
	pb_zero(p, 56);
	ip_fix(p);
}

/*
 * A ping of this host's own address (loopback): request and reply are one
 * flow whose two ends differ, the pinger's (the identifier) and the
 * responder's (0), and the request goes one way of it, the reply the
 * other. With the identifier at both ends, both ends were the same
 * (address, id) and matched the ping socket twice.
 */
static void test_icmp_echo_loopback(void **state)
{
	(void)state;
	static const uint8_t lo[4] = { 127, 0, 0, 1 }, a[4] = { 10, 0, 0, 1 },
			     b[4] = { 10, 0, 0, 2 };
	struct pb p;
	struct packet req, rep;
	bool req_swapped, rep_swapped;

	echo4(&p, 8, 0x0d05, lo, lo);
	assert_int_equal(dec_pb(DLT_RAW, &p, &req), DECODE_IP);
	echo4(&p, 0, 0x0d05, lo, lo);
	assert_int_equal(dec_pb(DLT_RAW, &p, &rep), DECODE_IP);
	assert_int_equal(req.ip_len, 84);
	assert_int_equal(req.t.sport, 0x0d05);
	assert_int_equal(req.t.dport, 0);
	assert_int_equal(rep.t.sport, 0);
	assert_int_equal(rep.t.dport, 0x0d05);
	/* The two ends of the flow are not one endpoint. */
	assert_int_not_equal(endpoint_cmp(req.t.src, req.t.sport, req.t.dst, req.t.dport), 0);
	req_swapped = tuple_canonical(&req.t);
	rep_swapped = tuple_canonical(&rep.t);
	assert_memory_equal(&req.t, &rep.t, sizeof(req.t));
	assert_true(req_swapped != rep_swapped);

	/* Between two hosts too: one flow, one direction each. */
	echo4(&p, 8, 0x0d06, a, b);
	assert_int_equal(dec_pb(DLT_RAW, &p, &req), DECODE_IP);
	echo4(&p, 0, 0x0d06, b, a);
	assert_int_equal(dec_pb(DLT_RAW, &p, &rep), DECODE_IP);
	req_swapped = tuple_canonical(&req.t);
	rep_swapped = tuple_canonical(&rep.t);
	assert_memory_equal(&req.t, &rep.t, sizeof(req.t));
	assert_true(req_swapped != rep_swapped);
}

/* ---- IPv6 ---- */

static void test_ipv6_extension_chain(void **state)
{
	(void)state;
	struct pb p = { .n = 0 };
	struct packet pkt;

	/* hop-by-hop (8) -> destination options (16) -> routing (8) -> TCP */
	eth(&p, NULL, 0, 0x86dd);
	ipv6(&p, 0);
	ext(&p, 60, 0);
	ext(&p, 43, 1);
	ext(&p, 6, 0);
	tcp(&p, 40001, 8443);
	pb_zero(&p, 7);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 40001, 8443, 40 + 8 + 16 + 8 + 20 + 7);
	assert_int_equal(pkt.frag, FRAG_NONE);

	/* Authentication header: its length is in 4-byte units, plus 2. */
	memset(&p, 0, sizeof(p));
	ipv6(&p, 51);
	pb_u8(&p, 17);
	pb_u8(&p, 4);		/* (4 + 2) * 4 = 24 bytes */
	pb_zero(&p, 22);
	udp(&p, 500, 4500, 0);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 17, 500, 4500, 40 + 24 + 8);

	/* Exactly 16 extension headers are followed; a 17th is too many. */
	for (int count = 15; count <= 17; count++) {
		memset(&p, 0, sizeof(p));
		ipv6(&p, 60);
		for (int i = 0; i < count; i++)
			ext(&p, i == count - 1 ? 6 : 60, 0);
		tcp(&p, 1, 2);
		ip_fix(&p);
		enum decode_result r = dec_pb(DLT_RAW, &p, &pkt);
		if (count <= 16) {
			assert_int_equal(r, DECODE_IP);
			check_v6(&pkt, 6, 1, 2, (uint32_t)(40 + 8 * count + 20));
		} else {
			assert_int_equal(r, DECODE_MALFORMED);
		}
	}
	/* A long chain of tiny headers in a big buffer: malformed, no crash. */
	memset(&p, 0, sizeof(p));
	ipv6(&p, 0);
	for (int i = 0; i < 400; i++)
		ext(&p, 0, 0);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_MALFORMED);
}

static void test_ipv6_fragments(void **state)
{
	(void)state;
	struct pb p = { .n = 0 };
	struct packet pkt;

	/* First fragment (offset 0, M=1): ports from the UDP header after it. */
	sll(&p, 4, 0x86dd);
	ipv6(&p, 0);
	ext(&p, 44, 0);
	frag6(&p, 17, 0, true, 0xdeadbeef);
	udp(&p, 9999, 53, 100);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_LINUX_SLL, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 17, 9999, 53, 40 + 8 + 8 + 108);
	assert_int_equal(pkt.frag, FRAG_FIRST);
	assert_int_equal(pkt.frag_id, 0xdeadbeef);
	assert_int_equal(pkt.dir, PKT_DIR_OUT);

	/* Later fragment: ports 0, FRAG_LATER, the protocol of the datagram. */
	static const bool more[] = { true, false };
	for (int i = 0; i < 2; i++) {
		memset(&p, 0, sizeof(p));
		ipv6(&p, 44);
		frag6(&p, 17, 185, more[i], 0xdeadbeef);
		pb_be32(&p, 0x01020304);	/* middle of the datagram, not a header */
		pb_be32(&p, 0x05060708);
		ip_fix(&p);
		assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
		check_v6(&pkt, 17, 0, 0, 56);
		assert_int_equal(pkt.frag, FRAG_LATER);
		assert_int_equal(pkt.frag_id, 0xdeadbeef);
	}
	/* A later fragment whose payload starts with bytes that look like
	 * extension headers is not walked further: still ports 0, proto 60. */
	memset(&p, 0, sizeof(p));
	ipv6(&p, 44);
	frag6(&p, 60, 1, false, 7);
	pb_u8(&p, 6);
	pb_u8(&p, 200);		/* a "length" that would run off the end */
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 60, 0, 0, 50);
	assert_int_equal(pkt.frag, FRAG_LATER);

	/*
	 * Destination Options after the Fragment header (the fragmentable
	 * part, RFC 8200 4.5): the first fragment's transport is behind them,
	 * and a later fragment's Fragment header names them, 60, not UDP.
	 * fragment.c keys IPv6 fragments without the protocol for that.
	 */
	memset(&p, 0, sizeof(p));
	ipv6(&p, 44);
	frag6(&p, 60, 0, true, 0xc0de);
	ext(&p, 17, 0);
	udp(&p, 5000, 6666, 64);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 17, 5000, 6666, 40 + 8 + 8 + 72);
	assert_int_equal(pkt.frag, FRAG_FIRST);
	assert_int_equal(pkt.frag_id, 0xc0de);
	memset(&p, 0, sizeof(p));
	ipv6(&p, 44);
	frag6(&p, 60, 9, false, 0xc0de);
	pb_zero(&p, 16);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 60, 0, 0, 40 + 8 + 16);
	assert_int_equal(pkt.frag, FRAG_LATER);
	assert_int_equal(pkt.frag_id, 0xc0de);

	/* Atomic fragment (offset 0, M=0): a whole datagram. */
	memset(&p, 0, sizeof(p));
	ipv6(&p, 44);
	frag6(&p, 6, 0, false, 1);
	tcp(&p, 80, 1024);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 80, 1024, 68);
	assert_int_equal(pkt.frag, FRAG_NONE);
}

static void test_ipv6_length(void **state)
{
	(void)state;
	struct pb p = { .n = 0 };
	struct packet pkt;

	/* Snap length: the header's length, not the captured one. */
	eth(&p, NULL, 0, 0x86dd);
	ipv6(&p, 17);
	udp(&p, 1, 2, 1000);
	ip_fix(&p);
	assert_int_equal(dec(DLT_EN10MB, p.b, 14 + 48, p.n, &pkt), DECODE_IP);
	check_v6(&pkt, 17, 1, 2, 1048);
	/* Payload length beyond the wire: malformed. */
	assert_int_equal(dec(DLT_EN10MB, p.b, 14 + 48, 14 + 48, &pkt), DECODE_MALFORMED);
}

#define IPV6_PAYLOAD_MAX 65535u

/*
 * An IPv6 packet of payload length 0: a Hop-by-Hop header (pad1 Pad1
 * bytes, the Jumbo Payload option with option length olen, PadN to a
 * multiple of 8 bytes), then TCP.
 */
static void jumbo6(struct pb *p, int link, unsigned pad1, unsigned olen, uint32_t jumbo)
{
	size_t start, size;

	memset(p, 0, sizeof(*p));
	if (link == DLT_EN10MB)
		eth(p, NULL, 0, 0x86dd);
	else if (link == DLT_LINUX_SLL2)
		sll2(p, 0, 0x86dd);
	ipv6(p, 0);
	start = p->n;
	size = (2 + pad1 + 6 + 7) / 8 * 8;
	pb_u8(p, 6);
	pb_u8(p, (unsigned)(size / 8 - 1));
	for (unsigned i = 0; i < pad1; i++)
		pb_u8(p, 0);
	pb_u8(p, 0xc2);
	pb_u8(p, olen);
	pb_be32(p, jumbo);
	if (p->n - start == size - 1) {
		pb_u8(p, 0);
	} else if (p->n - start < size) {
		size_t left = size - (p->n - start);
		pb_u8(p, 1);
		pb_u8(p, (unsigned)(left - 2));
		pb_zero(p, left - 2);
	}
	assert_int_equal(p->n - start, size);
	tcp(p, 50000, 80);
}

/*
 * Payload length 0 (issue 11, item 7). With a Jumbo Payload option
 * (RFC 2675; Linux BIG TCP up to 6.19) the option's length, checked; with
 * none (BIG TCP from Linux 7.0) the wire length of a packet too long for
 * the field; malformed otherwise, never the 4 GB a record may claim.
 */
static void test_ipv6_length_zero(void **state)
{
	(void)state;
	struct pb p;
	struct packet pkt;

	/* No option: the wire length, when the field could not hold it. */
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x86dd);
	ipv6(&p, 6);
	tcp(&p, 1, 2);
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + 70000, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 1, 2, 70000);
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + 40 + IPV6_PAYLOAD_MAX + 1, &pkt),
			 DECODE_IP);
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + DECODE_MAX_SUPER_PACKET, &pkt), DECODE_IP);
	static const uint32_t bad[] = { 60, 1500, 40 + IPV6_PAYLOAD_MAX, DECODE_MAX_SUPER_PACKET + 1,
					0xffffffffu - 14 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + bad[i], &pkt), DECODE_MALFORMED);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
	/* Otherwise a payload length 0 is no payload: a 40-byte packet with No
	 * Next Header (59) is valid, padded to the Ethernet minimum or not. */
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x86dd);
	ipv6(&p, 59);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 59, 0, 0, 40);
	pb_zero(&p, 60 - p.n);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 59, 0, 0, 40);
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 0xffffffffu, &pkt), DECODE_IP);
	check_v6(&pkt, 59, 0, 0, 40);

	/* The jumbogram Linux 6.18 captured: 91,432 bytes after the fixed header. */
	jumbo6(&p, DLT_EN10MB, 0, 4, 91432);
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + 91472, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 50000, 80, 91472);
	/* The option decides, not a longer wire (a trailer, a frame check sequence). */
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + 91472 + 4, &pkt), DECODE_IP);
	assert_int_equal(pkt.ip_len, 91472);
	/* Beyond the wire, as any length field: malformed. */
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, 14 + 91471, &pkt), DECODE_MALFORMED);
	/* Pad1 and PadN before it; on SLL2, coming in. */
	jumbo6(&p, DLT_LINUX_SLL2, 2, 4, 95272);
	assert_int_equal(dec(DLT_LINUX_SLL2, p.b, p.n, 20 + 95312, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 50000, 80, 95312);
	assert_int_equal(pkt.dir, PKT_DIR_IN);
	/* RFC 2675: a jumbo length that fits the payload length field is an error. */
	jumbo6(&p, DLT_RAW, 0, 4, IPV6_PAYLOAD_MAX);
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 40 + 100000, &pkt), DECODE_MALFORMED);
	jumbo6(&p, DLT_RAW, 0, 4, IPV6_PAYLOAD_MAX + 1);
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 40 + IPV6_PAYLOAD_MAX + 1, &pkt), DECODE_IP);
	assert_int_equal(pkt.ip_len, 40 + IPV6_PAYLOAD_MAX + 1);
	/* The bound holds for the option too, however long the record says it is. */
	jumbo6(&p, DLT_RAW, 0, 4, DECODE_MAX_SUPER_PACKET - 40);
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 0xffffffffu, &pkt), DECODE_IP);
	assert_int_equal(pkt.ip_len, DECODE_MAX_SUPER_PACKET);
	static const uint32_t big[] = { DECODE_MAX_SUPER_PACKET - 39, 0xffffffd7u, 0xffffffffu };
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		jumbo6(&p, DLT_RAW, 0, 4, big[i]);
		assert_int_equal(dec(DLT_RAW, p.b, p.n, 0xffffffffu, &pkt), DECODE_MALFORMED);
	}
	/* An option of the wrong length, or cut by its header's end: malformed. */
	jumbo6(&p, DLT_RAW, 0, 2, 100000);
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 40 + 100000, &pkt), DECODE_MALFORMED);
	jumbo6(&p, DLT_RAW, 2, 4, 100000);
	p.b[40 + 2 + 2] = 5;	/* another option, of 20 bytes: past the header's 16 */
	p.b[40 + 2 + 2 + 1] = 20;
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 40 + 100000, &pkt), DECODE_MALFORMED);
	/* A Hop-by-Hop header cut by the capture. */
	jumbo6(&p, DLT_RAW, 0, 4, 100000);
	assert_int_equal(dec(DLT_RAW, p.b, 40 + 6, 40 + 100000, &pkt), DECODE_MALFORMED);
	/* A payload length other than 0 is the length; the option is not read. */
	jumbo6(&p, DLT_RAW, 0, 4, 100000);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 50000, 80, 40 + 8 + 20);

	/* A Hop-by-Hop header without the option: the rule of no option. */
	memset(&p, 0, sizeof(p));
	ipv6(&p, 0);
	ext(&p, 6, 0);
	tcp(&p, 1, 2);
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 80000, &pkt), DECODE_IP);
	check_v6(&pkt, 6, 1, 2, 80000);
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 1000, &pkt), DECODE_MALFORMED);

	/* No super-packet or jumbogram has a Fragment header (RFC 2675). */
	memset(&p, 0, sizeof(p));
	ipv6(&p, 44);
	frag6(&p, 17, 0, true, 1);
	udp(&p, 1, 2, 0);
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 80000, &pkt), DECODE_MALFORMED);
	memset(&p, 0, sizeof(p));
	ipv6(&p, 44);
	frag6(&p, 17, 0, false, 1);	/* atomic */
	udp(&p, 1, 2, 0);
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 80000, &pkt), DECODE_MALFORMED);
	jumbo6(&p, DLT_RAW, 0, 4, 100000);
	p.b[40] = 44;		/* Hop-by-Hop, then a Fragment header */
	p.n = 48;
	frag6(&p, 6, 0, true, 1);
	tcp(&p, 1, 2);
	assert_int_equal(dec(DLT_RAW, p.b, p.n, 40 + 100000, &pkt), DECODE_MALFORMED);
}

/* ---- malformed input ---- */

static void test_ipv4_malformed(void **state)
{
	(void)state;
	struct pb p;
	struct packet pkt;

	/* IHL below 5. */
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		build_eth_tcp4(&p, 0, 0);
		p.b[14] = (uint8_t)(0x40 | ihl);
		assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
		assert_int_equal(dec(DLT_RAW, p.b + 14, p.n - 14, p.n - 14, &pkt), DECODE_MALFORMED);
	}
	/* IHL beyond the captured bytes. */
	build_eth_tcp4(&p, 0, 0);
	p.b[14] = 0x4f;		/* 60-byte header, 40 bytes there */
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
	/* Version 6 behind an IPv4 ethertype (and the reverse). */
	build_eth_tcp4(&p, 0, 0);
	p.b[14] = 0x65;
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x86dd);
	ipv4(&p, 0, 6, 0, 0);
	tcp(&p, 1, 2);
	pb_zero(&p, 20);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
	/* Total length below the header length (options included). */
	build_eth_tcp4(&p, 0, 0);
	pb_set16(&p, 14 + 2, 19);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
	build_eth_tcp4(&p, 8, 0);
	pb_set16(&p, 14 + 2, 24);	/* header is 28 */
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
	/* Total length beyond the wire length. */
	build_eth_tcp4(&p, 0, 0);
	pb_set16(&p, 14 + 2, 41);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
	assert_int_equal(dec(DLT_EN10MB, p.b, p.n, p.n + 1, &pkt), DECODE_IP);
	pb_set16(&p, 14 + 2, 0xffff);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
}

/*
 * The transport header must lie inside the IP datagram: bytes after the
 * IP total length (Ethernet padding) are not part of it. The same IP
 * packet must get the same verdict whether or not the link padded it.
 */
static void test_transport_header_within_ip_length(void **state)
{
	(void)state;
	struct pb p;
	struct packet pkt;

	/* IPv4, total length 24: a TCP "header" of 4 bytes. */
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x0800);
	ipv4(&p, 0, 6, 0, 0);
	pb_be16(&p, 12345);
	pb_be16(&p, 80);
	ip_fix(&p);
	assert_int_equal(dec(DLT_RAW, p.b + 14, 24, 24, &pkt), DECODE_MALFORMED);
	pb_zero(&p, 60 - p.n);	/* the padding of a minimum-size frame */
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);

	/* IPv6, payload length 4, next header UDP. */
	memset(&p, 0, sizeof(p));
	eth(&p, NULL, 0, 0x86dd);
	ipv6(&p, 17);
	pb_be16(&p, 5353);
	pb_be16(&p, 5353);
	ip_fix(&p);
	assert_int_equal(dec(DLT_RAW, p.b + 14, 44, 44, &pkt), DECODE_MALFORMED);
	pb_zero(&p, 16);
	assert_int_equal(dec_pb(DLT_EN10MB, &p, &pkt), DECODE_MALFORMED);
}

static void test_ipv6_malformed(void **state)
{
	(void)state;
	struct pb p = { .n = 0 };
	struct packet pkt;

	/* A hop-by-hop header claiming 24 bytes with 16 present. */
	ipv6(&p, 0);
	pb_u8(&p, 6);
	pb_u8(&p, 2);
	pb_zero(&p, 14);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_MALFORMED);
	/* A fragment header cut in half. */
	memset(&p, 0, sizeof(p));
	ipv6(&p, 44);
	pb_u8(&p, 17);
	pb_u8(&p, 0);
	pb_be16(&p, 0);
	ip_fix(&p);
	assert_int_equal(dec_pb(DLT_RAW, &p, &pkt), DECODE_MALFORMED);
	/* Only the fixed header's first bytes. */
	memset(&p, 0, sizeof(p));
	ipv6(&p, 6);
	assert_int_equal(dec(DLT_RAW, p.b, 39, 39, &pkt), DECODE_MALFORMED);
	/* A version-6 nibble on a short buffer. */
	uint8_t one = 0x60;
	assert_int_equal(dec(DLT_RAW, &one, 1, 1, &pkt), DECODE_MALFORMED);
	/* Nothing at all. */
	assert_int_equal(dec(DLT_RAW, p.b, 0, 0, &pkt), DECODE_MALFORMED);
}

/*
 * Every prefix of a valid packet (0 .. full-1 bytes), captured either as
 * a short packet (wire = captured) or a snap-length cut (wire = full),
 * is malformed: never IP with whatever happened to be there.
 */
static void check_all_truncations(int dlt, const struct pb *p)
{
	struct packet pkt;

	assert_int_equal(dec_pb(dlt, p, &pkt), DECODE_IP);
	for (size_t k = 0; k < p->n; k++) {
		enum decode_result a = dec(dlt, p->b, k, k, &pkt);
		enum decode_result b = dec(dlt, p->b, k, p->n, &pkt);
		if (a != DECODE_MALFORMED || b != DECODE_MALFORMED)
			fail_msg("dlt %d, %zu of %zu bytes: %d / %d, want MALFORMED", dlt, k, p->n,
				 a, b);
	}
}

static void test_every_truncation(void **state)
{
	(void)state;
	static const unsigned two[] = { 0x88a8, 0x8100 };
	struct pb p;

	build_eth_tcp4(&p, 0, 0);
	check_all_truncations(DLT_EN10MB, &p);
	build_eth_tcp4(&p, 12, 0);
	check_all_truncations(DLT_EN10MB, &p);

	memset(&p, 0, sizeof(p));
	eth(&p, two, 2, 0x86dd);
	ipv6(&p, 0);
	ext(&p, 60, 1);
	ext(&p, 44, 0);
	frag6(&p, 6, 0, true, 99);
	tcp(&p, 443, 50123);
	ip_fix(&p);
	check_all_truncations(DLT_EN10MB, &p);

	memset(&p, 0, sizeof(p));
	sll(&p, 4, 0x0800);
	ipv4(&p, 0, 17, 0, 0);
	udp(&p, 53, 40000, 0);
	ip_fix(&p);
	check_all_truncations(DLT_LINUX_SLL, &p);

	memset(&p, 0, sizeof(p));
	sll2(&p, 0, 0x86dd);
	ipv6(&p, 6);
	tcp(&p, 22, 40000);
	ip_fix(&p);
	check_all_truncations(DLT_LINUX_SLL2, &p);

	memset(&p, 0, sizeof(p));
	ipv4(&p, 4, 6, 0, 0);
	tcp(&p, 22, 40000);
	ip_fix(&p);
	check_all_truncations(DLT_RAW, &p);
	check_all_truncations(DLT_IPV4, &p);

	memset(&p, 0, sizeof(p));
	ipv6(&p, 60);
	ext(&p, 17, 0);
	udp(&p, 22, 40000, 0);
	ip_fix(&p);
	check_all_truncations(DLT_RAW, &p);
	check_all_truncations(DLT_IPV6, &p);

	memset(&p, 0, sizeof(p));
	null_hdr(&p, 2, false);
	ipv4(&p, 0, 6, 0, 0);
	tcp(&p, 1, 2);
	ip_fix(&p);
	check_all_truncations(DLT_NULL, &p);

	memset(&p, 0, sizeof(p));
	null_hdr(&p, 30, true);
	ipv6(&p, 6);
	tcp(&p, 1, 2);
	ip_fix(&p);
	check_all_truncations(DLT_LOOP, &p);
}

/* ---- fuzz ---- */

/* What must hold of any DECODE_IP result, whatever the input. */
static void check_sane(int dlt, const struct packet *pkt, size_t caplen, size_t wirelen)
{
	static const uint8_t zero12[12];

	(void)caplen;
	assert_true(pkt->t.family == TUPLE_V4 || pkt->t.family == TUPLE_V6);
	if (pkt->t.family == TUPLE_V4) {
		assert_memory_equal(pkt->t.src + 4, zero12, 12);
		assert_memory_equal(pkt->t.dst + 4, zero12, 12);
		assert_true(pkt->ip_len >= 20);
	} else {
		assert_true(pkt->ip_len >= 40);
	}
	assert_true(pkt->ip_len <= wirelen);
	assert_true(pkt->ip_len <= DECODE_MAX_SUPER_PACKET);
	check_tail_zero(&pkt->t);
	assert_true(pkt->frag <= FRAG_LATER);
	assert_true(pkt->dir <= PKT_DIR_OUT);
	if (dlt != DLT_LINUX_SLL && dlt != DLT_LINUX_SLL2)
		assert_int_equal(pkt->dir, PKT_DIR_UNKNOWN);
	else
		assert_int_not_equal(pkt->dir, PKT_DIR_UNKNOWN);
	if (pkt->frag == FRAG_LATER) {
		assert_int_equal(pkt->t.sport, 0);
		assert_int_equal(pkt->t.dport, 0);
	}
	switch (pkt->t.proto) {
	case 6:
	case 17:
	case 132:
	case 136:
		break;
	case 1:
	case 58:	/* an echo's identifier is on the pinger's end only */
		assert_true(pkt->t.sport == 0 || pkt->t.dport == 0);
		break;
	default:
		assert_int_equal(pkt->t.sport, 0);
		assert_int_equal(pkt->t.dport, 0);
	}
}

/* A valid seed packet per link type, for the mutation half of the fuzz. */
static void seed_packet(int dlt, int which, struct pb *p)
{
	p->n = 0;	/* the builders write every byte they use */
	switch (dlt) {
	case DLT_EN10MB: {
		static const unsigned one[] = { 0x8100 };
		eth(p, one, which & 1, which & 2 ? 0x86dd : 0x0800);
		break;
	}
	case DLT_LINUX_SLL:
		sll(p, 4, which & 2 ? 0x86dd : 0x0800);
		break;
	case DLT_LINUX_SLL2:
		sll2(p, 0, which & 2 ? 0x86dd : 0x0800);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		null_hdr(p, which & 2 ? 24 : 2, which & 1);
		break;
	case DLT_IPV4:
		which &= ~2;
		break;
	case DLT_IPV6:
		which |= 2;
		break;
	default:
		break;
	}
	if (which & 2) {
		ipv6(p, 0);
		ext(p, which & 4 ? 44 : 6, 0);
		if (which & 4)
			frag6(p, 17, which & 8 ? 3 : 0, true, 5);
		if (which & 4)
			udp(p, 1, 2, 4);
		else
			tcp(p, 1, 2);
	} else {
		ipv4(p, which & 4 ? 8 : 0, which & 8 ? 17 : 6, 1, which & 1 ? 0x2000 : 0);
		if (which & 8)
			udp(p, 1, 2, 3);
		else
			tcp(p, 1, 2);
	}
	ip_fix(p);
}

static void test_fuzz(void **state)
{
	(void)state;
	static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
				    DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP };
	const char *env = getenv("PROCTRAF_FUZZ_ITERS");
	long iters = env ? atol(env) : 200000;
	uint64_t rs = 0x9e3779b97f4a7c15ULL;

	for (size_t d = 0; d < sizeof(dlts) / sizeof(dlts[0]); d++) {
		long got[3] = { 0, 0, 0 };
		for (long it = 0; it < iters; it++) {
			struct pb p;
			struct packet pkt, again;
			uint64_t r = rng_next(&rs);

			if (it & 1) {
				/* Random bytes, biased toward plausible first bytes. */
				p.n = (size_t)(r % 97);
				for (size_t i = 0; i < p.n; i++)
					p.b[i] = (uint8_t)rng_next(&rs);
				if (p.n && (r >> 8) % 3 == 0)
					p.b[0] = (uint8_t)((r >> 16) & 1 ? 0x45 : 0x60);
			} else {
				/* A valid packet with a few bytes changed and a random cut. */
				seed_packet(dlts[d], (int)((r >> 7) & 15), &p);
				/* Now and then a length field of 0, as a super-packet has. */
				if ((r >> 24) % 8 == 0)
					pb_set16(&p, p.ip + ((p.b[p.ip] >> 4) == 4 ? 2 : 4), 0);
				int flips = (int)((r >> 12) % 4);
				for (int f = 0; f < flips; f++)
					p.b[rng_next(&rs) % p.n] = (uint8_t)rng_next(&rs);
				if ((r >> 20) % 4 == 0)
					p.n = (size_t)(rng_next(&rs) % (p.n + 1));
			}
			size_t wire = p.n + ((r >> 32) % 4 == 0 ? (size_t)((r >> 40) % 2000) : 0);
			/* And wire lengths up to past the longest super-packet. */
			if ((r >> 34) % 8 == 0)
				wire = p.n + (size_t)((r >> 40) % (DECODE_MAX_SUPER_PACKET + 65536));
			enum decode_result res = dec(dlts[d], p.b, p.n, wire, &pkt);
			assert_true(res == DECODE_IP || res == DECODE_NOT_IP ||
				    res == DECODE_MALFORMED);
			got[res]++;
			if (res == DECODE_IP) {
				check_sane(dlts[d], &pkt, p.n, wire);
				/* Deterministic. */
				assert_int_equal(dec(dlts[d], p.b, p.n, wire, &again), DECODE_IP);
				assert_memory_equal(&again.t, &pkt.t, sizeof(pkt.t));
				assert_int_equal(again.ip_len, pkt.ip_len);
			}
		}
		/* The mutations reach the transport layer, and break it too. */
		if (iters >= 1000) {
			assert_true(got[DECODE_IP] > iters / 20);
			assert_true(got[DECODE_MALFORMED] > iters / 20);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linktype_ok),
		cmocka_unit_test(test_en10mb_plain),
		cmocka_unit_test(test_en10mb_vlan),
		cmocka_unit_test(test_en10mb_not_ip),
		cmocka_unit_test(test_sll_direction),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_null_and_loop),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_length),
		cmocka_unit_test(test_ipv4_length_zero),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_other_protocols),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_icmp_echo_loopback),
		cmocka_unit_test(test_ipv6_extension_chain),
		cmocka_unit_test(test_ipv6_fragments),
		cmocka_unit_test(test_ipv6_length),
		cmocka_unit_test(test_ipv6_length_zero),
		cmocka_unit_test(test_ipv4_malformed),
		cmocka_unit_test(test_transport_header_within_ip_length),
		cmocka_unit_test(test_ipv6_malformed),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
