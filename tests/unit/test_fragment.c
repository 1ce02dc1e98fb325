/*
 * test_fragment.c - later fragments take their first fragment's protocol
 * and ports (core/fragment.h).
 *
 * The end-to-end cases decode real bytes, as the capture path does, so
 * that what the decoder says of each fragment and what the cache keys on
 * are tested together.
 */
#include "unit.h"

#include <pcap/dlt.h>
#include <stdbool.h>
#include <stdlib.h>

#include "../../core/decode.h"
#include "../../core/fragment.h"

#define NH_UDP 17
#define NH_TCP 6
#define NH_ICMP 1
#define NH_FRAGMENT 44
#define NH_DSTOPTS 60
#define NH_HOPOPTS 0

struct buf {
	uint8_t b[256];
	size_t n;
};

static void put8(struct buf *p, unsigned v)
{
	assert_true(p->n < sizeof(p->b));
	p->b[p->n++] = (uint8_t)v;
}

static void put16(struct buf *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void put32(struct buf *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x77 };

/* An IPv6 header (payload length set by fix6) with first next header nh. */
static void ip6(struct buf *p, unsigned nh, const uint8_t *src, const uint8_t *dst)
{
	p->n = 0;
	put32(p, 0x60000000);
	put16(p, 0);
	put8(p, nh);
	put8(p, 64);
	for (int i = 0; i < 16; i++)
		put8(p, src[i]);
	for (int i = 0; i < 16; i++)
		put8(p, dst[i]);
}

static void fix6(struct buf *p)
{
	p->b[4] = (uint8_t)((p->n - 40) >> 8);
	p->b[5] = (uint8_t)(p->n - 40);
}

static void frag(struct buf *p, unsigned nh, unsigned offset8, bool more, uint32_t id)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, offset8 << 3 | (more ? 1u : 0u));
	put32(p, id);
}

/* An 8-byte options header (Destination Options, Hop-by-Hop): PadN. */
static void opts8(struct buf *p, unsigned nh)
{
	put8(p, nh);
	put8(p, 0);
	put8(p, 1);
	put8(p, 4);
	put32(p, 0);
}

static void udp8(struct buf *p, unsigned sport, unsigned dport, unsigned len)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, len);
	put16(p, 0);
}

/* Bytes from the middle of a datagram: they look like nothing in particular. */
static void filler(struct buf *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(p, (unsigned)(0x3c + i * 7));
}

static struct packet decode_raw(const struct buf *p)
{
	struct packet pkt;
	uint8_t *copy = malloc(p->n);

	assert_non_null(copy);
	memcpy(copy, p->b, p->n);
	assert_int_equal(decode_packet(DLT_RAW, copy, (uint32_t)p->n, (uint32_t)p->n, &pkt),
			 DECODE_IP);
	free(copy);
	return pkt;
}

/* The first fragment: IPv6, [Hop-by-Hop,] Fragment, Destination Options, UDP. */
static struct packet first6(uint32_t id, bool hop, unsigned frag_nh)
{
	struct buf p;

	ip6(&p, hop ? NH_HOPOPTS : NH_FRAGMENT, src6, dst6);
	if (hop)
		opts8(&p, NH_FRAGMENT);
	frag(&p, frag_nh, 0, true, id);
	if (frag_nh == NH_DSTOPTS)
		opts8(&p, NH_UDP);
	udp8(&p, 5000, 6666, 1800);
	filler(&p, 40);
	fix6(&p);
	return decode_raw(&p);
}

/* A later fragment: IPv6, [Hop-by-Hop,] Fragment (next header frag_nh), data. */
static struct packet later6(uint32_t id, bool hop, unsigned frag_nh, bool more)
{
	struct buf p;

	ip6(&p, hop ? NH_HOPOPTS : NH_FRAGMENT, src6, dst6);
	if (hop)
		opts8(&p, NH_FRAGMENT);
	frag(&p, frag_nh, 154, more, id);
	filler(&p, 64);
	fix6(&p);
	return decode_raw(&p);
}

static void check_ports(const struct packet *pkt, unsigned proto, unsigned sport,
			unsigned dport)
{
	assert_int_equal(pkt->t.proto, proto);
	assert_int_equal(pkt->t.sport, sport);
	assert_int_equal(pkt->t.dport, dport);
}

/*
 * Issue 11, item 6: a Destination Options header after the Fragment
 * header. The first fragment's transport is UDP, behind the options; the
 * later fragments' Fragment header says 60 (Destination Options). Keyed
 * with the protocol, the two never met and the later fragments lost
 * their ports.
 */
static void test_dstopts_after_fragment_header(void **state)
{
	(void)state;
	struct fragcache *fc = fragcache_new();
	struct packet a, b, c;

	assert_non_null(fc);
	a = first6(0x1234abcd, false, NH_DSTOPTS);
	assert_int_equal(a.frag, FRAG_FIRST);
	check_ports(&a, NH_UDP, 5000, 6666);
	b = later6(0x1234abcd, false, NH_DSTOPTS, true);
	c = later6(0x1234abcd, false, NH_DSTOPTS, false);
	assert_int_equal(b.frag, FRAG_LATER);
	check_ports(&b, NH_DSTOPTS, 0, 0);	/* what its own headers say */

	fragcache_apply(fc, &a);
	check_ports(&a, NH_UDP, 5000, 6666);
	fragcache_apply(fc, &b);
	fragcache_apply(fc, &c);
	check_ports(&b, NH_UDP, 5000, 6666);
	check_ports(&c, NH_UDP, 5000, 6666);
	/* One flow: the later fragments' tuple is the first's. */
	assert_memory_equal(&b.t, &a.t, sizeof(a.t));

	/* The same behind a Hop-by-Hop header (the unfragmentable part). */
	a = first6(77, true, NH_DSTOPTS);
	b = later6(77, true, NH_DSTOPTS, false);
	fragcache_apply(fc, &a);
	fragcache_apply(fc, &b);
	check_ports(&b, NH_UDP, 5000, 6666);
	fragcache_free(fc);
}

/* RFC 8200 4.5: fragments' Next Header values may differ; only the first's counts. */
static void test_ipv6_next_header_not_in_key(void **state)
{
	(void)state;
	struct fragcache *fc = fragcache_new();
	struct packet a = first6(9, false, NH_UDP), b = later6(9, false, NH_DSTOPTS, false);

	assert_non_null(fc);
	fragcache_apply(fc, &a);
	fragcache_apply(fc, &b);
	check_ports(&b, NH_UDP, 5000, 6666);
	fragcache_free(fc);
}

/* Another datagram (identification, address, family) is not this one. */
static void test_other_datagrams(void **state)
{
	(void)state;
	struct fragcache *fc = fragcache_new();
	struct packet a = first6(100, false, NH_DSTOPTS), b;
	struct buf p;

	assert_non_null(fc);
	fragcache_apply(fc, &a);
	b = later6(101, false, NH_DSTOPTS, false);
	fragcache_apply(fc, &b);
	check_ports(&b, NH_DSTOPTS, 0, 0);
	/* From another source. */
	ip6(&p, NH_FRAGMENT, dst6, src6);
	frag(&p, NH_DSTOPTS, 154, false, 100);
	filler(&p, 16);
	fix6(&p);
	b = decode_raw(&p);
	fragcache_apply(fc, &b);
	check_ports(&b, NH_DSTOPTS, 0, 0);
	fragcache_free(fc);
}

/* A later fragment before its first one stays unattributed; later ones match. */
static void test_later_before_first(void **state)
{
	(void)state;
	struct fragcache *fc = fragcache_new();
	struct packet b = later6(5, false, NH_DSTOPTS, false), a = first6(5, false, NH_DSTOPTS),
		      c = later6(5, false, NH_DSTOPTS, true);

	assert_non_null(fc);
	fragcache_apply(fc, &b);
	check_ports(&b, NH_DSTOPTS, 0, 0);
	fragcache_apply(fc, &a);
	fragcache_apply(fc, &c);
	check_ports(&c, NH_UDP, 5000, 6666);
	fragcache_free(fc);
}

static struct packet frag4(unsigned proto, uint16_t id, bool first, unsigned sport,
			   unsigned dport)
{
	struct packet pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.t.family = TUPLE_V4;
	pkt.t.proto = (uint8_t)proto;
	memcpy(pkt.t.src, (const uint8_t[4]){ 10, 0, 0, 5 }, 4);
	memcpy(pkt.t.dst, (const uint8_t[4]){ 198, 51, 100, 10 }, 4);
	pkt.t.sport = (uint16_t)sport;
	pkt.t.dport = (uint16_t)dport;
	pkt.frag = first ? FRAG_FIRST : FRAG_LATER;
	pkt.frag_id = id;
	pkt.ip_len = 1500;
	return pkt;
}

/*
 * IPv4 keys by protocol too (RFC 791): two datagrams with one
 * identification but other protocols are two datagrams, and every IPv4
 * fragment carries the datagram's protocol.
 */
static void test_ipv4_protocol_in_key(void **state)
{
	(void)state;
	struct fragcache *fc = fragcache_new();
	struct packet a = frag4(NH_UDP, 77, true, 9000, 53);
	struct packet b = frag4(NH_ICMP, 77, false, 0, 0);
	struct packet c = frag4(NH_UDP, 77, false, 0, 0);

	assert_non_null(fc);
	fragcache_apply(fc, &a);
	fragcache_apply(fc, &b);
	check_ports(&b, NH_ICMP, 0, 0);
	fragcache_apply(fc, &c);
	check_ports(&c, NH_UDP, 9000, 53);
	/* The same 16 address bytes as IPv6 are another family's. */
	struct packet d = c;
	d.t.family = TUPLE_V6;
	d.t.sport = d.t.dport = 0;
	fragcache_apply(fc, &d);
	check_ports(&d, NH_UDP, 0, 0);
	fragcache_free(fc);
}

/* A packet that is no fragment is neither changed nor remembered. */
static void test_whole_packets_untouched(void **state)
{
	(void)state;
	struct fragcache *fc = fragcache_new();
	struct packet a = frag4(NH_TCP, 3, true, 40000, 443), b, c;

	assert_non_null(fc);
	a.frag = FRAG_NONE;
	b = a;
	fragcache_apply(fc, &a);
	assert_memory_equal(&a, &b, sizeof(a));
	c = frag4(NH_TCP, 3, false, 0, 0);
	fragcache_apply(fc, &c);
	check_ports(&c, NH_TCP, 0, 0);
	fragcache_free(fc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dstopts_after_fragment_header),
		cmocka_unit_test(test_ipv6_next_header_not_in_key),
		cmocka_unit_test(test_other_datagrams),
		cmocka_unit_test(test_later_before_first),
		cmocka_unit_test(test_ipv4_protocol_in_key),
		cmocka_unit_test(test_whole_packets_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
