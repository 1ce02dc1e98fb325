/*
 * flowtab.h - the flow table: bytes and packets per 5-tuple and direction.
 *
 * Both directions of a conversation share one entry, keyed by the
 * canonical tuple (lower endpoint first, see tuple_canonical); counters
 * are kept per direction: [0] from the lower endpoint to the higher one,
 * [1] the other way. The table never holds more than max_flows entries;
 * packets of further flows are counted in an overflow bucket, split by the
 * link-layer direction where known, so no byte goes uncounted and memory
 * stays bounded whatever the traffic.
 */
#ifndef PROCTRAF_FLOWTAB_H
#define PROCTRAF_FLOWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "tuple.h"

struct flow_counts {
	uint64_t bytes[2];
	uint64_t packets[2];
};

struct flowtab;

struct flowtab *flowtab_new(size_t max_flows);

/*
 * The same; with times, each flow also keeps the timestamps of its first
 * and last packet (flowtab_times), for --connections.
 */
struct flowtab *flowtab_new_timed(size_t max_flows, bool times);
void flowtab_free(struct flowtab *ft);

/*
 * Count one decoded packet. Returns true when it created a new flow
 * (the caller may then ask the resolver about it); *canon receives the
 * canonical tuple.
 */
bool flowtab_add(struct flowtab *ft, const struct packet *pkt, struct tuple *canon);

/*
 * flowtab_add in three steps, for a batch of packets (reading a file):
 * prepare each (canonical key, hash; its slot is fetched meanwhile), then
 * prefetch each (its key and counters), then commit each in order. The
 * memory of one packet's flow comes while the others are worked on.
 */
struct flow_prep {
	struct tuple canon;
	uint32_t h32;
	uint32_t ip_len;
	int64_t ts_us;		/* the packet's timestamp (flows with times) */
	uint8_t dir;		/* counter index, 0 or 1 */
	uint8_t out;		/* sent by this host (for the overflow bucket) */
};
void flowtab_prepare(struct flowtab *ft, const struct packet *pkt, struct flow_prep *p);
void flowtab_prefetch(struct flowtab *ft, const struct flow_prep *p);
bool flowtab_commit(struct flowtab *ft, const struct flow_prep *p);

size_t flowtab_count(const struct flowtab *ft);

#define FLOWTAB_NONE SIZE_MAX

/* The index of the flow with canonical tuple canon, or FLOWTAB_NONE. */
size_t flowtab_find(const struct flowtab *ft, const struct tuple *canon);

/*
 * flowtab_find in steps, for a batch of lookups: the hash (its slot is
 * fetched meanwhile), flowtab_prefetch of a flow_prep with that h32 (the
 * key), then the find.
 */
uint32_t flowtab_hash(const struct flowtab *ft, const struct tuple *canon);
size_t flowtab_find_hashed(const struct flowtab *ft, const struct tuple *canon, uint32_t h32);

/* Flow i's first and last packet times (TIME_NONE-free: 0, 0 without times). */
void flowtab_times(const struct flowtab *ft, size_t i, int64_t *first_us, int64_t *last_us);
const struct tuple *flowtab_key(const struct flowtab *ft, size_t i);
const struct flow_counts *flowtab_counts(const struct flowtab *ft, size_t i);

/* Packets of flows that did not fit: [0] sent by this host, [1] other. */
const struct flow_counts *flowtab_overflow(const struct flowtab *ft);

#endif
