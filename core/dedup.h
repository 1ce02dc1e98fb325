/*
 * dedup.h - one packet seen on several interfaces is counted once.
 *
 * Capturing on "any" sees a forwarded packet twice (on the interface it
 * came in by and on the one it leaves by) and a bridged one on the bridge
 * and on its port. A copy is recognised by a keyed hash of its first 64
 * bytes from the IP header on (addresses, identification, lengths, the
 * transport header: ports, sequence numbers, checksums), with the fields a
 * router changes (IPv4 TTL and header checksum, IPv6 hop limit) left out:
 * a packet whose hash was seen on another interface less than
 * DEDUP_WINDOW_US before is a duplicate. Address translation changes the
 * packet: its copies are not recognised.
 */
#ifndef PROCTRAF_DEDUP_H
#define PROCTRAF_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEDUP_WINDOW_US 10000

struct dedup;

struct dedup *dedup_new(void);
void dedup_free(struct dedup *d);

/*
 * ip: the IP header and what follows, len bytes of it captured; ip_len:
 * the packet's IP length. True when it is a copy of a packet seen on
 * another interface within the window; otherwise it is remembered.
 */
bool dedup_copy(struct dedup *d, const uint8_t *ip, size_t len, uint32_t ip_len,
		uint32_t ifindex, uint64_t ts_us);

#endif
