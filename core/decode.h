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
 * caplen: bytes at data; wirelen: length of the packet on the wire.
 * The IP length is the header's length field; when that field is 0
 * (a GSO super-packet or IPv6 jumbogram) the wire length is used.
 */
enum decode_result decode_packet(int dlt, const uint8_t *data, uint32_t caplen,
				 uint32_t wirelen, struct packet *pkt);

#endif
