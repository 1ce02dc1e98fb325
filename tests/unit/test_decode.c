/* Unit tests: decoding link, network and transport headers. */
#include "unit.h"

#include <pcap/dlt.h>
#include <stdlib.h>

#include "../../core/decode.h"

/* A TCP/IPv4 packet 10.0.0.5:40000 -> 1.2.3.4:443 with n payload bytes. */
static size_t ipv4_tcp(uint8_t *b, size_t n, size_t optlen)
{
	size_t hl = 20 + optlen, tot = hl + 20 + n;

	memset(b, 0, tot);
	b[0] = (uint8_t)(0x40 | hl / 4);
	b[2] = (uint8_t)(tot >> 8);
	b[3] = (uint8_t)tot;
	b[6] = 0x40;
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, "\x0a\x00\x00\x05\x01\x02\x03\x04", 8);
	memset(b + 20, 1, optlen);			/* NOP options */
	b[hl] = 0x9c;
	b[hl + 1] = 0x40;				/* 40000 */
	b[hl + 2] = 0x01;
	b[hl + 3] = 0xbb;				/* 443 */
	b[hl + 12] = 0x50;
	return tot;
}

/* A UDP/IPv6 packet 2001:db8::5:5000 -> 2001:db8::99:53 behind ext headers. */
static size_t ipv6_udp(uint8_t *b, size_t n, int hops)
{
	size_t at = 40;

	memset(b, 0, 40 + 8 * (size_t)hops + 8 + n);
	b[0] = 0x60;
	b[6] = hops ? 0 : 17;
	b[7] = 64;
	b[8] = 0x20; b[9] = 0x01; b[10] = 0x0d; b[11] = 0xb8; b[23] = 5;
	b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = 0xb8; b[39] = 0x99;
	for (int i = 0; i < hops; i++, at += 8) {
		b[at] = i == hops - 1 ? 17 : 60;	/* next: dest opts, last: UDP */
		b[at + 1] = 0;				/* 8 bytes */
	}
	b[at] = 0x13; b[at + 1] = 0x88;			/* 5000 */
	b[at + 2] = 0; b[at + 3] = 53;
	b[at + 5] = (uint8_t)(8 + n);
	size_t plen = at - 40 + 8 + n;
	b[4] = (uint8_t)(plen >> 8);
	b[5] = (uint8_t)plen;
	return 40 + plen;
}

static void ipv4_raw_with_options(void **state)
{
	uint8_t b[200];
	struct packet p;

	(void)state;
	for (size_t opt = 0; opt <= 40; opt += 4) {
		size_t n = ipv4_tcp(b, 17, opt);
		assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_IP);
		assert_int_equal(p.ip_len, n);
		assert_int_equal(p.t.sport, 40000);
		assert_int_equal(p.t.dport, 443);
		assert_int_equal(p.t.proto, 6);
		assert_int_equal(p.t.family, TUPLE_V4);
		assert_memory_equal(p.t.src, "\x0a\x00\x00\x05", 4);
	}
}

static void ethernet_vlan_padding(void **state)
{
	uint8_t f[300];
	struct packet p;
	size_t n;

	(void)state;
	memset(f, 0, 12);
	/* two VLAN tags, then IPv4 */
	memcpy(f + 12, "\x81\x00\x00\x0a\x88\xa8\x00\x14\x08\x00", 10);
	n = ipv4_tcp(f + 22, 0, 0);
	/* Ethernet padding after the IP packet must not count. */
	memset(f + 22 + n, 0, 10);
	assert_int_equal(decode_packet(DLT_EN10MB, f, (uint32_t)(22 + n + 10),
				       (uint32_t)(22 + n + 14), &p), DECODE_IP);
	assert_int_equal(p.ip_len, 40);
	assert_int_equal(p.t.dport, 443);
	/* ARP and 802.3 frames are not IP */
	memcpy(f + 12, "\x08\x06", 2);
	assert_int_equal(decode_packet(DLT_EN10MB, f, 60, 60, &p), DECODE_NOT_IP);
	memcpy(f + 12, "\x00\x40", 2);
	assert_int_equal(decode_packet(DLT_EN10MB, f, 60, 60, &p), DECODE_NOT_IP);
	/* nine tags is too many */
	for (int i = 0; i < 9; i++)
		memcpy(f + 12 + 4 * i, "\x81\x00\x00\x01", 4);
	memcpy(f + 48, "\x08\x00", 2);
	assert_int_equal(decode_packet(DLT_EN10MB, f, 200, 200, &p), DECODE_MALFORMED);
}

static void cooked_direction(void **state)
{
	uint8_t f[200];
	struct packet p;
	size_t n;

	(void)state;
	memset(f, 0, 20);
	f[1] = 4;				/* SLL: outgoing */
	f[14] = 0x86; f[15] = 0xdd;
	n = ipv6_udp(f + 16, 10, 0);
	assert_int_equal(decode_packet(DLT_LINUX_SLL, f, (uint32_t)(16 + n), (uint32_t)(16 + n), &p),
			 DECODE_IP);
	assert_int_equal(p.dir, PKT_DIR_OUT);
	assert_int_equal(p.ip_len, n);
	assert_int_equal(p.t.sport, 5000);
	f[1] = 0;
	decode_packet(DLT_LINUX_SLL, f, (uint32_t)(16 + n), (uint32_t)(16 + n), &p);
	assert_int_equal(p.dir, PKT_DIR_IN);

	memset(f, 0, 20);
	f[0] = 0x08;				/* SLL2: protocol first */
	f[10] = 4;
	n = ipv4_tcp(f + 20, 3, 0);
	assert_int_equal(decode_packet(DLT_LINUX_SLL2, f, (uint32_t)(20 + n), (uint32_t)(20 + n), &p),
			 DECODE_IP);
	assert_int_equal(p.dir, PKT_DIR_OUT);
	assert_int_equal(p.t.sport, 40000);
}

static void null_and_loop(void **state)
{
	uint8_t f[200];
	struct packet p;
	size_t n = ipv4_tcp(f + 4, 1, 0);

	(void)state;
	memcpy(f, "\x02\x00\x00\x00", 4);	/* AF_INET, little-endian writer */
	assert_int_equal(decode_packet(DLT_NULL, f, (uint32_t)(n + 4), (uint32_t)(n + 4), &p), DECODE_IP);
	memcpy(f, "\x00\x00\x00\x02", 4);	/* big-endian writer / LOOP */
	assert_int_equal(decode_packet(DLT_NULL, f, (uint32_t)(n + 4), (uint32_t)(n + 4), &p), DECODE_IP);
	assert_int_equal(decode_packet(DLT_LOOP, f, (uint32_t)(n + 4), (uint32_t)(n + 4), &p), DECODE_IP);
	assert_int_equal(p.ip_len, n);
	memcpy(f, "\x00\x00\x00\x07", 4);	/* not IP */
	assert_int_equal(decode_packet(DLT_LOOP, f, (uint32_t)(n + 4), (uint32_t)(n + 4), &p), DECODE_NOT_IP);
}

static void ipv6_extension_headers(void **state)
{
	uint8_t b[300];
	struct packet p;

	(void)state;
	for (int hops = 0; hops <= 16; hops++) {
		size_t n = ipv6_udp(b, 30, hops);
		assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_IP);
		assert_int_equal(p.t.proto, 17);
		assert_int_equal(p.t.sport, 5000);
		assert_int_equal(p.t.dport, 53);
		assert_int_equal(p.ip_len, n);
	}
	size_t n = ipv6_udp(b, 30, 17);		/* one header too many */
	assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_MALFORMED);
}

static void fragments(void **state)
{
	uint8_t b[200];
	struct packet p;
	size_t n = ipv4_tcp(b, 10, 0);

	(void)state;
	b[4] = 0x12; b[5] = 0x34;		/* id */
	b[6] = 0x20;				/* MF, offset 0: first */
	assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_IP);
	assert_int_equal(p.frag, FRAG_FIRST);
	assert_int_equal(p.frag_id, 0x1234);
	assert_int_equal(p.t.sport, 40000);
	b[6] = 0x00; b[7] = 0x10;		/* offset 16 units: later */
	assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_IP);
	assert_int_equal(p.frag, FRAG_LATER);
	assert_int_equal(p.t.sport, 0);
	assert_int_equal(p.t.dport, 0);
}

static void other_protocols_by_number(void **state)
{
	uint8_t b[200];
	struct packet p;
	size_t n = ipv4_tcp(b, 0, 0);

	(void)state;
	b[9] = 47;				/* GRE */
	assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_IP);
	assert_int_equal(p.t.proto, 47);
	assert_int_equal(p.t.sport, 0);
	assert_int_equal(p.ip_len, n);
}

static void gso_total_length_zero(void **state)
{
	uint8_t b[200];
	struct packet p;
	size_t n = ipv4_tcp(b, 20, 0);

	(void)state;
	b[2] = b[3] = 0;			/* TSO super-packet */
	assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, 64000, &p), DECODE_IP);
	assert_int_equal(p.ip_len, 64000);
}

static void every_truncation_is_malformed(void **state)
{
	uint8_t b[200], f[220];
	struct packet p;
	size_t n4 = ipv4_tcp(b, 0, 8);

	(void)state;
	for (size_t cut = 0; cut < n4; cut++)
		assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)cut, (uint32_t)n4, &p),
				 DECODE_MALFORMED);
	size_t n6 = ipv6_udp(b, 0, 3);
	for (size_t cut = 0; cut < n6; cut++)
		assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)cut, (uint32_t)n6, &p),
				 DECODE_MALFORMED);
	memset(f, 0, 14);
	f[12] = 0x08;
	n4 = ipv4_tcp(f + 14, 0, 0);
	for (size_t cut = 0; cut < 14 + n4; cut++)
		assert_int_equal(decode_packet(DLT_EN10MB, f, (uint32_t)cut, (uint32_t)(14 + n4), &p),
				 DECODE_MALFORMED);
}

static void lying_headers(void **state)
{
	uint8_t b[200];
	struct packet p;
	size_t n = ipv4_tcp(b, 10, 0);

	(void)state;
	b[0] = 0x44;				/* IHL 4 */
	assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_MALFORMED);
	n = ipv4_tcp(b, 10, 0);
	b[3] = 12;				/* total length < header */
	assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_MALFORMED);
	n = ipv4_tcp(b, 10, 0);
	b[2] = 0x10;				/* total length > wire */
	assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_MALFORMED);
	n = ipv4_tcp(b, 10, 0);
	b[0] = 0x65;				/* v6 in a frame that says v4 */
	uint8_t f[220] = { 0 };
	f[12] = 0x08;
	memcpy(f + 14, b, n);
	assert_int_equal(decode_packet(DLT_EN10MB, f, (uint32_t)(n + 14), (uint32_t)(n + 14), &p),
			 DECODE_MALFORMED);
	n = ipv6_udp(b, 10, 0);
	b[5] = (uint8_t)(b[5] + 1);		/* payload length past the wire */
	assert_int_equal(decode_packet(DLT_RAW, b, (uint32_t)n, (uint32_t)n, &p), DECODE_MALFORMED);
}

/* Random bytes through every link type: never a crash, never a read past
 * the end (run under ASan), and DECODE_IP only with a sane length. */
static void fuzz(void **state)
{
	static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
				    DLT_NULL, DLT_LOOP, DLT_IPV4, DLT_IPV6 };
	uint64_t x = 88172645463325252ULL;
	struct packet p;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		size_t len = (size_t)(x % 96);
		uint8_t *buf = malloc(len ? len : 1);
		for (size_t j = 0; j < len; j++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			buf[j] = (uint8_t)x;
			if (j < 24 && x % 3 == 0)	/* bias towards plausible headers */
				buf[j] = (uint8_t)(j == 0 ? 0x45 : j == 12 ? 0x08 : 0);
		}
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		int dlt = dlts[x % 8];
		uint32_t wire = (uint32_t)len + (uint32_t)(x % 3) * 100;
		if (decode_packet(dlt, buf, (uint32_t)len, wire, &p) == DECODE_IP)
			assert_true(p.ip_len <= wire && p.ip_len > 0);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_raw_with_options),
		cmocka_unit_test(ethernet_vlan_padding),
		cmocka_unit_test(cooked_direction),
		cmocka_unit_test(null_and_loop),
		cmocka_unit_test(ipv6_extension_headers),
		cmocka_unit_test(fragments),
		cmocka_unit_test(other_protocols_by_number),
		cmocka_unit_test(gso_total_length_zero),
		cmocka_unit_test(every_truncation_is_malformed),
		cmocka_unit_test(lying_headers),
		cmocka_unit_test(fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
