/*
 * sesspacket.c - the capture thread's packet path: each packet decoded,
 * timed, counted in its flow (a new flow handed to the resolver) and, with
 * -w, tapped; see session.c for the run around it.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "session_priv.h"

#define PIPE_FETCH 8	/* packets between hashing one and fetching its flow */
#define PIPE_COUNT 16	/* ... and counting it */

/*
 * Reading a file, packets are counted in a pipeline: packet n is hashed
 * (its slot fetched) on arrival, its key and counters are fetched when
 * packet n + PIPE_FETCH arrives, and it is counted when packet
 * n + PIPE_COUNT arrives, in arrival order, by which time its memory has
 * come.
 */
static void pipe_push(struct session *s, const struct packet *pkt)
{
	size_t n = s->nbatch++;

	flowtab_prepare(s->flows, pkt, &s->batch[n % BATCH]);
	if (n >= PIPE_FETCH)
		flowtab_prefetch(s->flows, &s->batch[(n - PIPE_FETCH) % BATCH]);
	if (n >= PIPE_COUNT)
		flowtab_commit(s->flows, &s->batch[(n - PIPE_COUNT) % BATCH]);
}

/* Count what is still in the pipeline. */
void session_flush_batch(struct session *s)
{
	size_t n = s->nbatch;
	size_t first = n > PIPE_COUNT ? n - PIPE_COUNT : 0;

	for (size_t i = n > PIPE_FETCH ? n - PIPE_FETCH : 0; i < n; i++)
		flowtab_prefetch(s->flows, &s->batch[i % BATCH]);
	for (size_t i = first; i < n; i++)
		flowtab_commit(s->flows, &s->batch[i % BATCH]);
	s->nbatch = 0;
}

void session_stop_now(struct session *s)
{
	s->done = true;
	capture_break(s->cap);
}

/*
 * Reading a file, time is the packets' own: -d ends the run at the first
 * packet at or after the first one's time + duration, and an interval
 * ends at the first packet at or after its end. False: the run is over.
 */
static bool file_time(struct session *s, int64_t ts)
{
	if (!s->have_first_ts) {
		s->have_first_ts = true;
		s->first_us = s->last_us = ts;
	} else if (s->cfg.duration > 0 &&
		   ts >= s->first_us + (int64_t)llround(s->cfg.duration * 1e6)) {
		s->cut_by_duration = true;
		session_stop_now(s);
		return false;
	}
	if (s->cfg.interval_us > 0) {
		int64_t end = interval_next_end(s);
		if (ts >= end)
			session_flush_batch(s);
		while (ts >= end && !s->done) {
			if (interval_end(s, end) != 0) {
				session_stop_now(s);
				return false;
			}
			end = interval_next_end(s);
		}
	}
	if (ts > s->last_us)
		s->last_us = ts;
	return true;
}

/*
 * Live intervals end in the packets' time, as a file's do: a packet
 * stamped at or after an interval's end closes it (live_packet_time). An
 * interval no such packet closes is closed once the clock is GRACE_US past
 * its end and the packets the kernel holds are read: a packet delayed in
 * the kernel longer than that counts in the next interval. (s->grace_us:
 * GRACE_US, or more when the kernel holds packets a block at a time.)
 */

/* A live packet stamped ts: the intervals it shows ended. False: stop. */
static bool live_packet_time(struct session *s, int64_t ts)
{
	int64_t end = interval_next_end(s);

	while (session_before_deadline(s, end) && ts >= end) {
		if (interval_end(s, end) != 0) {
			session_stop_now(s);
			return false;
		}
		end = interval_next_end(s);
	}
	return true;
}

/*
 * A packet's time in µs since the epoch. A file's times are whatever it
 * says: a pcapng block holds 64 bits of ticks at the resolution its
 * interface chooses (if_tsresol), up to some 10^19 s, and an offset that
 * may be negative. Before 1970 they read as 1970, after 9999 as the last
 * second of 9999: every time still prints as a date, and no time plus a
 * duration or an interval can overflow.
 */
#define PACKET_TIME_MAX_S 253402300799LL	/* 9999-12-31T23:59:59Z */

static int64_t packet_time_us(const struct timeval *tv)
{
	int64_t sec = tv->tv_sec;

	if (sec < 0)
		return 0;
	if (sec > PACKET_TIME_MAX_S)
		sec = PACKET_TIME_MAX_S;
	/* A classic pcap's microseconds are 32 bits, not checked: no overflow either. */
	return sec * 1000000 + (int64_t)tv->tv_usec;
}

/* -w: the packet into the spool; a spool that cannot be written ends the run. */
static void tap_packet(struct session *s, int source, int64_t ts, const struct pcap_pkthdr *h,
		       const uint8_t *data, const struct packet *ip, bool copy)
{
	if (s->wr_failed)
		return;
	if (pcapng_writer_packet(s->wr, (unsigned)source, ts, h, data, ip, copy) != 0) {
		s->wr_failed = true;
		s->wr_errno = errno ? errno : EIO;
		session_stop_now(s);
	}
}

void session_on_packet(void *ctx, int dlt, int source, const struct pcap_pkthdr *h,
		      const uint8_t *data)
{
	struct session *s = ctx;
	struct packet pkt;
	struct tuple canon;
	int64_t ts = packet_time_us(&h->ts);
	const struct packet *ip = NULL;	/* for -w: the packet counted in a flow, */
	bool copy = false;		/* ... or a copy of one, not counted */

	if (s->done)
		return;
	if (!s->totals.live ? !file_time(s, ts)
			    : s->cfg.interval_us > 0 && !live_packet_time(s, ts))
		return;
	s->totals.packets++;
	switch (decode_packet(dlt, data, h->caplen, h->len, &pkt)) {
	case DECODE_NOT_IP:
		s->totals.not_ip++;
		break;
	case DECODE_MALFORMED:
		s->totals.malformed++;
		break;
	case DECODE_IP:
		/* A copy of a packet already counted on another interface. */
		if ((pkt.has_ifindex || s->sources > 1) &&
		    dedup_copy(s->dedup, data + pkt.l3_off, h->caplen - pkt.l3_off, pkt.ip_len,
			       pkt.has_ifindex ? pkt.ifindex : 0x80000000u | (uint32_t)source,
			       (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec)) {
			s->totals.duplicates++;
			copy = true;
			break;
		}
		s->totals.ip_bytes += pkt.ip_len;
		pkt.ts_us = ts;
		fragcache_apply(s->frags, &pkt);
		ip = &pkt;
		if (!s->totals.live) {
			/* No resolver to tell about new flows: pipeline them. */
			pipe_push(s, &pkt);
			break;
		}
		if (flowtab_add(s->flows, &pkt, &canon)) {
			s->new_flows++;
			interval_flow_made(s, flowtab_count(s->flows) - 1);
			/* Its key, for the resolver thread's rounds of forgetting (pins.h). */
			atomic_store_explicit(&s->flows_pub, flowtab_count(s->flows),
					      memory_order_release);
			if (s->threaded && !resthread_inline(s, &canon))
				resthread_enqueue(s, &canon);
		}
		break;
	}
	/* -w: every packet counted goes to the spool, with the flow it is counted in. */
	if (__builtin_expect(s->wr != NULL, 0))
		tap_packet(s, source, ts, h, data, ip, copy);
	if (s->cfg.count && s->totals.packets >= s->cfg.count)
		session_stop_now(s);
}

