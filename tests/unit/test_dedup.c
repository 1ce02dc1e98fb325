/*
 * test_dedup.c - one packet seen on several interfaces counted once
 * (core/dedup.h).
 *
 * Packets are real IPv4 and IPv6 packets with a TCP or UDP header and a
 * payload, their checksums computed, built byte by byte. dedup_copy always
 * reads from an exact-size heap copy, so a read past the captured bytes
 * shows up under ASan / valgrind (make asan), not only in the assertions.
 *
 * Each table keeps one packet per slot: a test that expects a copy to be
 * recognised sees the first packet and its copies before any other packet,
 * so that no other packet can take the first one's slot.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "../../core/dedup.h"

#define T0 1700000000000000ULL	/* a capture timestamp, in microseconds */
#define SIG_BYTES 64		/* what dedup.h says is compared */

/* ---- packet builder ---- */

struct pkt {
	uint8_t b[256];
	size_t len;
	int family;		/* 4 or 6 */
	size_t l4;		/* offset of the TCP/UDP header */
	size_t payload;		/* offset of the payload */
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Internet checksum (RFC 1071) of n bytes, folded, starting from sum. */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static unsigned fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* The IPv4 header checksum, recomputed (as a router does after TTL - 1). */
static void ipv4_checksum(struct pkt *p)
{
	put16(p->b + 10, 0);
	put16(p->b + 10, fold(sum_bytes(0, p->b, 20)));
}

/* The TCP or UDP checksum over the pseudo-header, recomputed. */
static void l4_checksum(struct pkt *p)
{
	int proto = p->family == 4 ? p->b[9] : p->b[6];
	size_t at = p->l4 + (proto == 6 ? 16 : 6);
	size_t l4len = p->len - p->l4;
	uint32_t sum = 0;
	uint8_t tail[4];

	put16(p->b + at, 0);
	if (p->family == 4)
		sum = sum_bytes(sum, p->b + 12, 8);		/* source, destination */
	else
		sum = sum_bytes(sum, p->b + 8, 32);
	put32(tail, (uint32_t)l4len);
	sum = sum_bytes(sum, tail, 4);
	sum += (uint32_t)proto;
	sum = sum_bytes(sum, p->b + p->l4, l4len);
	unsigned c = fold(sum);
	if (proto == 17 && c == 0)
		c = 0xffff;
	put16(p->b + at, c);
}

/*
 * A packet of family 4 or 6 and proto 6 (TCP, PSH|ACK) or 17 (UDP) from
 * sport to dport, with nbytes of payload (an HTTP request's start).
 */
static struct pkt build(int family, int proto, unsigned sport, unsigned dport, size_t nbytes)
{
	static const char text[] =
		"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
		"User-Agent: proctraf-unit/1.0\r\nAccept: */*\r\n\r\n";
	struct pkt p;
	size_t ip_hdr = family == 4 ? 20 : 40;
	size_t l4_hdr = proto == 6 ? 20 : 8;

	memset(&p, 0, sizeof(p));
	assert_true(nbytes < sizeof(text));
	p.family = family;
	p.l4 = ip_hdr;
	p.payload = ip_hdr + l4_hdr;
	p.len = p.payload + nbytes;
	if (family == 4) {
		static const uint8_t src[4] = { 10, 0, 0, 5 }, dst[4] = { 192, 0, 2, 9 };
		p.b[0] = 0x45;				/* version 4, IHL 5 */
		put16(p.b + 2, (unsigned)p.len);	/* total length */
		put16(p.b + 4, 0x1c46);			/* identification */
		put16(p.b + 6, 0x4000);			/* DF */
		p.b[8] = 64;				/* TTL */
		p.b[9] = (uint8_t)proto;
		memcpy(p.b + 12, src, 4);
		memcpy(p.b + 16, dst, 4);
		ipv4_checksum(&p);
	} else {
		static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };
		static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 9 };
		put32(p.b, 0x60000000u | 0x12345);	/* version 6, flow label */
		put16(p.b + 4, (unsigned)(p.len - 40));	/* payload length */
		p.b[6] = (uint8_t)proto;
		p.b[7] = 64;				/* hop limit */
		memcpy(p.b + 8, src, 16);
		memcpy(p.b + 24, dst, 16);
	}
	put16(p.b + p.l4, sport);
	put16(p.b + p.l4 + 2, dport);
	if (proto == 6) {
		put32(p.b + p.l4 + 4, 0x9a3c1f27);	/* sequence */
		put32(p.b + p.l4 + 8, 0x01e4b6d0);	/* acknowledgment */
		p.b[p.l4 + 12] = 5 << 4;		/* data offset */
		p.b[p.l4 + 13] = 0x18;			/* PSH, ACK */
		put16(p.b + p.l4 + 14, 502);		/* window */
	} else {
		put16(p.b + p.l4 + 4, (unsigned)(p.len - p.l4));
	}
	memcpy(p.b + p.payload, text, nbytes);
	l4_checksum(&p);
	return p;
}

/* The IP length the packet's header gives. */
static uint32_t ip_len(const struct pkt *p)
{
	return p->family == 4 ? get16(p->b + 2) : 40 + get16(p->b + 4);
}

/* dedup_copy on an exact-size copy of len bytes of p (len may exceed p->len). */
static bool seen_n(struct dedup *d, const struct pkt *p, size_t len, uint32_t iplen,
		   uint32_t ifindex, uint64_t ts)
{
	uint8_t *copy = malloc(len ? len : 1);
	bool r;

	assert_non_null(copy);
	memcpy(copy, p->b, len);
	r = dedup_copy(d, copy, len, iplen, ifindex, ts);
	free(copy);
	return r;
}

static bool seen(struct dedup *d, const struct pkt *p, uint32_t ifindex, uint64_t ts)
{
	return seen_n(d, p, p->len, ip_len(p), ifindex, ts);
}

static const struct {
	int family, proto;
	const char *name;
} kinds[] = {
	{ 4, 6, "IPv4 TCP" }, { 4, 17, "IPv4 UDP" }, { 6, 6, "IPv6 TCP" }, { 6, 17, "IPv6 UDP" },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static struct pkt kind_pkt(size_t k)
{
	return build(kinds[k].family, kinds[k].proto, 40000, kinds[k].proto == 6 ? 80 : 53, 60);
}

/* The builder's packets are well formed: checksums verify, lengths agree. */
static void test_packets_are_real(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		struct pkt p = kind_pkt(k);
		size_t l4len = p.len - p.l4;
		uint32_t sum = 0;
		uint8_t tail[4];

		assert_int_equal(ip_len(&p), p.len);
		assert_true(p.len > SIG_BYTES);		/* payload past the compared bytes */
		if (p.family == 4) {
			assert_int_equal(fold(sum_bytes(0, p.b, 20)), 0);
			sum = sum_bytes(sum, p.b + 12, 8);
		} else {
			sum = sum_bytes(sum, p.b + 8, 32);
		}
		put32(tail, (uint32_t)l4len);
		sum = sum_bytes(sum, tail, 4) + (uint32_t)kinds[k].proto;
		assert_int_equal(fold(sum_bytes(sum, p.b + p.l4, l4len)), 0);
		assert_int_not_equal(get16(p.b + p.l4 + (kinds[k].proto == 6 ? 16 : 6)), 0);
	}
}

/* ---- copies ---- */

/* The same packet on another interface within the window is a copy. */
static void test_copy_on_other_interface(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		struct dedup *d = dedup_new();
		struct pkt p = kind_pkt(k);

		assert_non_null(d);
		if (seen(d, &p, 2, T0))
			fail_msg("%s: the first sighting is a copy", kinds[k].name);
		if (!seen(d, &p, 3, T0 + 40))
			fail_msg("%s: not a copy on another interface", kinds[k].name);
		/* The last microsecond of the window, from the first sighting. */
		if (!seen(d, &p, 5, T0 + DEDUP_WINDOW_US - 1))
			fail_msg("%s: not a copy at the end of the window", kinds[k].name);
		dedup_free(d);
	}
}

/* Forwarded by a router: IPv4 TTL - 1 and the header checksum recomputed. */
static void test_copy_forwarded_ipv4(void **state)
{
	(void)state;
	for (int proto = 6; proto <= 17; proto += 11) {
		struct dedup *d = dedup_new();
		struct pkt in = build(4, proto, 51000, 443, 80), out = in;

		assert_non_null(d);
		out.b[8]--;
		ipv4_checksum(&out);
		assert_int_equal(out.b[8], 63);
		assert_int_not_equal(get16(out.b + 10), get16(in.b + 10));
		assert_int_equal(fold(sum_bytes(0, out.b, 20)), 0);	/* still valid */
		/* Only those two fields differ. */
		for (size_t i = 0; i < in.len; i++) {
			if (i != 8 && i != 10 && i != 11)
				assert_int_equal(in.b[i], out.b[i]);
		}

		assert_false(seen(d, &in, 2, T0));		/* in by eth0 */
		assert_true(seen(d, &out, 3, T0 + 25));		/* out by eth1 */
		/* Two more hops on two more interfaces of this host. */
		out.b[8] -= 2;
		ipv4_checksum(&out);
		assert_true(seen(d, &out, 4, T0 + 50));
		dedup_free(d);
	}
}

/* Forwarded in IPv6: the hop limit decremented (no header checksum). */
static void test_copy_forwarded_ipv6(void **state)
{
	(void)state;
	for (int proto = 6; proto <= 17; proto += 11) {
		struct dedup *d = dedup_new();
		struct pkt in = build(6, proto, 51000, 443, 80), out = in;

		assert_non_null(d);
		out.b[7] = 63;
		assert_false(seen(d, &in, 2, T0));
		assert_true(seen(d, &out, 3, T0 + 25));
		out.b[7] = 1;
		assert_true(seen(d, &out, 4, T0 + 50));
		dedup_free(d);
	}
}

/* A bridge: the port, the bridge, and a third interface (a veth beyond). */
static void test_third_copy(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		struct dedup *d = dedup_new();
		struct pkt p = kind_pkt(k);

		assert_non_null(d);
		assert_false(seen(d, &p, 7, T0));
		assert_true(seen(d, &p, 8, T0 + 10));
		if (!seen(d, &p, 9, T0 + 20))
			fail_msg("%s: the third copy is not a copy", kinds[k].name);
		dedup_free(d);
	}
}

/*
 * Ethernet pads a short frame to 60 bytes: a 40-byte TCP ACK is captured
 * with 6 bytes after its IP length, which need not be the same bytes on
 * two interfaces. Only the IP packet counts.
 */
static void test_copy_ignores_bytes_past_ip_length(void **state)
{
	(void)state;
	struct dedup *d = dedup_new();
	struct pkt a = build(4, 6, 51000, 443, 0), b;

	assert_non_null(d);
	a.b[a.l4 + 13] = 0x10;		/* a bare ACK */
	l4_checksum(&a);
	assert_int_equal(a.len, 40);
	b = a;
	memset(a.b + 40, 0x00, 6);
	memset(b.b + 40, 0xa5, 6);
	assert_false(seen_n(d, &a, 46, 40, 2, T0));
	assert_true(seen_n(d, &b, 46, 40, 3, T0 + 30));
	dedup_free(d);
}

/* ---- not copies ---- */

/* The same packet again on the same interface: a retransmission, counted. */
static void test_same_interface_is_not_a_copy(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		struct dedup *d = dedup_new();
		struct pkt p = kind_pkt(k);

		assert_non_null(d);
		assert_false(seen(d, &p, 2, T0));
		if (seen(d, &p, 2, T0 + 200))
			fail_msg("%s: a retransmission on one interface taken for a copy",
				 kinds[k].name);
		assert_false(seen(d, &p, 2, T0 + 201));
		/* The retransmission is remembered: its own copy is one. */
		assert_true(seen(d, &p, 3, T0 + 250));
		dedup_free(d);
	}
}

/* On another interface, but once the window has passed: a packet of its own. */
static void test_after_the_window_is_not_a_copy(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		struct dedup *d = dedup_new();
		struct pkt p = kind_pkt(k);

		assert_non_null(d);
		assert_false(seen(d, &p, 2, T0));
		/* A copy does not move the window: it still starts at T0. */
		assert_true(seen(d, &p, 3, T0 + DEDUP_WINDOW_US - 1));
		if (seen(d, &p, 4, T0 + DEDUP_WINDOW_US))
			fail_msg("%s: a copy exactly one window later", kinds[k].name);
		/* That sighting started a new window; far later is new again. */
		assert_false(seen(d, &p, 5, T0 + DEDUP_WINDOW_US + 1000000));
		dedup_free(d);
	}
}

/*
 * p, then its copy on another interface (a copy: the table works for p),
 * then q on a third interface, which must not be taken for p's copy.
 */
static void expect_distinct(const struct pkt *p, const struct pkt *q, const char *what)
{
	struct dedup *d = dedup_new();

	assert_non_null(d);
	assert_int_not_equal(memcmp(p->b, q->b, SIG_BYTES), 0);
	assert_false(seen(d, p, 2, T0));
	assert_true(seen(d, p, 3, T0 + 10));
	if (seen(d, q, 4, T0 + 20))
		fail_msg("%s: taken for a copy", what);
	dedup_free(d);
}

static void test_different_packets_are_not_copies(void **state)
{
	(void)state;
	char what[96];

	for (size_t k = 0; k < NKINDS; k++) {
		const struct pkt p = kind_pkt(k);
		struct pkt q;

		/*
		 * One payload byte, at the first byte of the payload and at the
		 * last of the compared ones (the transport checksum left as it
		 * was: that one byte is all that differs).
		 */
		size_t at[] = { p.payload, p.payload + 1, SIG_BYTES - 1 };
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			q = p;
			q.b[at[i]] ^= 0x01;
			snprintf(what, sizeof(what), "%s, payload byte %zu", kinds[k].name, at[i]);
			expect_distinct(&p, &q, what);
		}
		/* Either port, by one. */
		q = p;
		put16(q.b + q.l4, get16(p.b + p.l4) + 1);
		snprintf(what, sizeof(what), "%s, source port", kinds[k].name);
		expect_distinct(&p, &q, what);
		q = p;
		put16(q.b + q.l4 + 2, get16(p.b + p.l4 + 2) + 1);
		snprintf(what, sizeof(what), "%s, destination port", kinds[k].name);
		expect_distinct(&p, &q, what);
		/* The same ports with the checksum recomputed, as a real packet. */
		l4_checksum(&q);
		expect_distinct(&p, &q, what);
		if (p.family == 4) {
			/* The next packet of the sender: IP ID + 1, checksum recomputed. */
			q = p;
			put16(q.b + 4, get16(p.b + 4) + 1);
			ipv4_checksum(&q);
			snprintf(what, sizeof(what), "%s, IP ID", kinds[k].name);
			expect_distinct(&p, &q, what);
			/* ... and with the TTL changed too, as if forwarded. */
			q.b[8]--;
			ipv4_checksum(&q);
			snprintf(what, sizeof(what), "%s, IP ID, forwarded", kinds[k].name);
			expect_distinct(&p, &q, what);
		}
	}
}

/* A thousand different packets on four interfaces: not one is a copy. */
static void test_many_distinct_packets(void **state)
{
	(void)state;
	struct dedup *d = dedup_new();
	int copies = 0;

	assert_non_null(d);
	for (unsigned i = 0; i < 1000; i++) {
		struct pkt p = build(i % 2 ? 6 : 4, i % 3 ? 6 : 17, 30000 + i % 7, 443, 20 + i % 40);
		if (p.family == 4) {
			put16(p.b + 4, i);
			ipv4_checksum(&p);
		} else {
			put32(p.b + p.payload, i);	/* the payload's first bytes */
		}
		l4_checksum(&p);
		copies += seen(d, &p, 1 + i % 4, T0 + i);
	}
	assert_int_equal(copies, 0);
	dedup_free(d);
}

/* ---- short and odd input ---- */

/*
 * Fewer than 20 bytes (an IPv4 header cut short, an IPv6 one, garbage),
 * from an exact-size heap copy: nothing read past them, and a first
 * sighting, or one again on the same interface, is no copy.
 */
static void test_short_input(void **state)
{
	(void)state;
	struct dedup *d = dedup_new();
	const struct pkt v4 = build(4, 6, 1, 2, 0), v6 = build(6, 17, 1, 2, 0);
	struct pkt junk;

	assert_non_null(d);
	memset(&junk, 0xff, sizeof(junk));
	junk.len = sizeof(junk.b);
	for (size_t len = 0; len < 20; len++) {
		const struct pkt *ps[] = { &v4, &v6, &junk };
		for (size_t i = 0; i < 3; i++) {
			uint64_t ts = T0 + 100 * (len * 3 + i);
			/* The IP length from the header, as much as captured, 0, and the most. */
			uint32_t lens[] = { ip_len(ps[i]), (uint32_t)len, 0, UINT32_MAX };
			for (size_t j = 0; j < 4; j++) {
				if (seen_n(d, ps[i], len, lens[j], 1, ts + j * 10))
					fail_msg("%zu bytes, packet %zu, ip_len %u: a copy", len, i,
						 lens[j]);
			}
		}
	}
	dedup_free(d);

	/* The table still works after them. */
	d = dedup_new();
	assert_non_null(d);
	assert_false(seen_n(d, &v4, 7, 7, 1, T0));
	assert_false(seen(d, &v4, 1, T0 + 1));
	assert_true(seen(d, &v4, 2, T0 + 2));
	dedup_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packets_are_real),
		cmocka_unit_test(test_copy_on_other_interface),
		cmocka_unit_test(test_copy_forwarded_ipv4),
		cmocka_unit_test(test_copy_forwarded_ipv6),
		cmocka_unit_test(test_third_copy),
		cmocka_unit_test(test_copy_ignores_bytes_past_ip_length),
		cmocka_unit_test(test_same_interface_is_not_a_copy),
		cmocka_unit_test(test_after_the_window_is_not_a_copy),
		cmocka_unit_test(test_different_packets_are_not_copies),
		cmocka_unit_test(test_many_distinct_packets),
		cmocka_unit_test(test_short_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
