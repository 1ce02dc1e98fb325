/*
 * decode.h - turn captured bytes into a struct packet.
 *
 * Link types: EN10MB (with 802.1Q/802.1ad tags), LINUX_SLL, LINUX_SLL2,
 * RAW/IPV4/IPV6, NULL and LOOP. Network: IPv4 with options (RFC 791),
 * IPv6 with extension headers (RFC 8200). Transport: ports of TCP, UDP,
 * UDP-Lite and SCTP; the identifier of an ICMP or ICMPv6 echo as the port
 * of the pinger's end (sport of a request, dport of a reply; the other 0);
 * any other protocol is kept by its number with ports 0.
 * All reads go through struct cursor (cursor.h).
 */
#ifndef PROCTRAF_DECODE_H
#define PROCTRAF_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "tuple.h"

enum decode_result {
	DECODE_IP,		/* pkt filled in */
	DECODE_NOT_IP,		/* a frame that carries no IP (ARP, LLC...) */
	DECODE_MALFORMED,	/* truncated or inconsistent headers */
};

/* Link-layer direction, where the link type tells it (SLL, SLL2). */
enum pkt_dir {
	PKT_DIR_UNKNOWN,
	PKT_DIR_IN,		/* to this host (or seen on the way through) */
	PKT_DIR_OUT,		/* sent by this host */
};

enum frag_kind {
	FRAG_NONE,
	FRAG_FIRST,		/* first fragment: ports present */
	FRAG_LATER,		/* later fragment: no ports (fragment.h) */
};

/*
 * t.proto is the transport protocol: the header after the last extension
 * header. A later IPv6 fragment has only the Fragment header's Next
 * Header, which names the first header of the fragmentable part (such as
 * Destination Options); fragcache_apply gives it the first fragment's.
 */
struct packet {
	struct tuple t;		/* as seen on the wire (not canonical) */
	uint32_t ip_len;	/* IP header + payload, from the IP header */
	uint32_t frag_id;	/* IP identification, when frag != FRAG_NONE */
	uint8_t frag;		/* enum frag_kind */
	uint8_t dir;		/* enum pkt_dir */
	bool has_ifindex;	/* LINUX_SLL2 says which interface */
	uint32_t ifindex;
	uint32_t l3_off;	/* where the IP header starts in the frame */
	int64_t ts_us;		/* the capture's timestamp (set by the caller) */
};

/* Is this DLT value one decode_packet understands? */
bool decode_linktype_ok(int dlt);

/*
 * The longest packet a length field of 0 may stand for: Linux's
 * GSO_MAX_SIZE (8 * 65535: TCP's smallest MSS times the most segments a
 * super-packet holds), the bound of gso_max_size and gro_max_size, plus
 * the 8-byte Hop-by-Hop header IPv6 BIG TCP adds after that check.
 */
#define DECODE_MAX_SUPER_PACKET (8u * 65535u + 8u)

/*
 * caplen: bytes at data; wirelen: length of the packet on the wire.
 * The IP length is the header's length field. A field of 0 is what Linux
 * writes in a GSO/GRO super-packet (BIG TCP) too long for it, and only
 * then; such a packet is counted, anything else with a 0 is malformed:
 *
 * - IPv4 total length 0: the wire length after the link header, if it is
 *   more than 65535 and at most DECODE_MAX_SUPER_PACKET and the packet is
 *   no fragment. Linux (6.3 on, iph_set_totlen) writes 0 exactly when the
 *   length does not fit, going out and coming in alike (GRO, and a veth or
 *   loopback peer's GSO packet): a capture on Linux 6.18 (veth between two
 *   namespaces and loopback, gso/gro_ipv4_max_size 185000) had 112 packets
 *   out and 154 in with total length 0, 69,556 to 95,284 bytes each, the
 *   same on the interface (EN10MB) and on any (LINUX_SLL and SLL2), and
 *   every shorter packet had its length. So the direction proves nothing,
 *   and a 0 on a packet that fits the field is a lie.
 * - IPv6 payload length 0: with a Jumbo Payload option in a Hop-by-Hop
 *   header right after the fixed header (RFC 2675), 40 plus its length, if
 *   that is more than 65535, within the wire length and the bound above,
 *   and the packet has no Fragment header. BIG TCP adds that option up to
 *   Linux 6.19 (the 6.18 capture: 111 out, 161 in); Linux 7.0 dropped it
 *   for the IPv4 convention, so without the option the IPv4 rule applies
 *   to the payload. A payload length 0 that is neither says what it says:
 *   no payload, 40 bytes (valid with No Next Header; any other header it
 *   announces is cut, malformed).
 *
 * A crafted record that claims 4 GB on the wire is thus malformed, and a
 * length 0 never counts more than a real super-packet can be.
 */
enum decode_result decode_packet(int dlt, const uint8_t *data, uint32_t caplen,
				 uint32_t wirelen, struct packet *pkt);

#endif
