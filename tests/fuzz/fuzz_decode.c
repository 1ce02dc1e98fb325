/*
 * fuzz_decode.c - libFuzzer harness for the packet decoder (core/decode.h).
 *
 * Input: byte 0 chooses the link type (FUZZ_LINKTYPES below, by index
 * modulo their number: every type decode_packet supports, and one it does
 * not); bytes 1-2 (big-endian) are how many bytes the packet had on the
 * wire beyond those captured; the rest is the captured frame.
 *
 * Besides "no crash, no read past the frame" (ASan), each result is
 * checked against what decode.h promises, and the network layer is
 * decoded a second time on its own, as DLT_RAW: the link layer may choose
 * where the IP header starts and the direction, never what the IP header
 * says, so both decodes must agree on the tuple, the length and the
 * fragment.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/decode.h"

static const int FUZZ_LINKTYPES[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
	DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_PPP,
};
#define NLINK (sizeof(FUZZ_LINKTYPES) / sizeof(FUZZ_LINKTYPES[0]))

/* A broken promise is a crash, so that libFuzzer keeps the input. */
#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz_decode: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			abort();                                                     \
		}                                                                    \
	} while (0)

static int has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 136 || proto == 132 || proto == 1 ||
	       proto == 58;
}

static void check_ip(int dlt, uint32_t caplen, uint32_t wirelen, const struct packet *p)
{
	uint32_t hdr = p->t.family == TUPLE_V4 ? 20 : 40;

	CHECK(p->t.family == TUPLE_V4 || p->t.family == TUPLE_V6);
	CHECK(p->t.kind == TUPLE_FLOW && p->t.pad == 0);
	/* IPv4 addresses are zero-padded: tuples are compared with memcmp. */
	if (p->t.family == TUPLE_V4) {
		static const uint8_t zero[12];
		CHECK(memcmp(p->t.src + 4, zero, 12) == 0);
		CHECK(memcmp(p->t.dst + 4, zero, 12) == 0);
	}
	/* The fixed IP header was read, so it lies inside the captured bytes. */
	CHECK(p->l3_off <= caplen && caplen - p->l3_off >= hdr);
	CHECK(p->ip_len >= hdr);
	CHECK(p->ip_len <= wirelen - p->l3_off);
	CHECK(p->frag == FRAG_NONE || p->frag == FRAG_FIRST || p->frag == FRAG_LATER);
	if (p->frag == FRAG_LATER || !has_ports(p->t.proto))
		CHECK(p->t.sport == 0 && p->t.dport == 0);
	/* An echo's identifier goes on the pinger's end only. */
	if (p->t.proto == 1 || p->t.proto == 58)
		CHECK(p->t.sport == 0 || p->t.dport == 0);
	if (dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2)
		CHECK(p->dir == PKT_DIR_IN || p->dir == PKT_DIR_OUT);
	else
		CHECK(p->dir == PKT_DIR_UNKNOWN);
	CHECK(p->has_ifindex == (dlt == DLT_LINUX_SLL2));
	CHECK(p->ts_us == 0);
}

/* The IP header and what follows, alone in a buffer of its own size, as DLT_RAW. */
static void check_raw_agrees(const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
			     const struct packet *p)
{
	uint32_t n = caplen - p->l3_off;
	uint8_t *l3 = malloc(n ? n : 1);
	struct packet q;

	CHECK(l3 != NULL);
	memcpy(l3, frame + p->l3_off, n);
	CHECK(decode_packet(DLT_RAW, l3, n, wirelen - p->l3_off, &q) == DECODE_IP);
	CHECK(q.l3_off == 0);
	CHECK(memcmp(&q.t, &p->t, sizeof(q.t)) == 0);
	CHECK(q.ip_len == p->ip_len);
	CHECK(q.frag == p->frag);
	CHECK(q.frag_id == p->frag_id);
	free(l3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct packet p, again;
	enum decode_result r;
	uint32_t caplen, wirelen;
	int dlt;

	if (size < 3 || size - 3 > UINT32_MAX - 65535)
		return 0;
	dlt = FUZZ_LINKTYPES[data[0] % NLINK];
	caplen = (uint32_t)(size - 3);
	wirelen = caplen + ((uint32_t)data[1] << 8 | data[2]);
	/* The frame ends where libFuzzer's buffer ends: ASan sees any overread. */
	r = decode_packet(dlt, data + 3, caplen, wirelen, &p);
	CHECK(r == DECODE_IP || r == DECODE_NOT_IP || r == DECODE_MALFORMED);
	CHECK(decode_linktype_ok(dlt) == (dlt != DLT_PPP));
	if (!decode_linktype_ok(dlt))
		CHECK(r == DECODE_NOT_IP);

	/* The same bytes decode the same way twice (no hidden state). */
	CHECK(decode_packet(dlt, data + 3, caplen, wirelen, &again) == r);
	if (r != DECODE_IP)
		return 0;
	CHECK(memcmp(&again, &p, sizeof(p)) == 0);
	check_ip(dlt, caplen, wirelen, &p);
	check_raw_agrees(data + 3, caplen, wirelen, &p);
	return 0;
}
