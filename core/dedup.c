/* dedup.c - copies of one packet on several interfaces; see dedup.h. */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"

#define SLOTS 8192		/* a power of two */
#define SIG_BYTES 64

struct slot {
	uint64_t sig;
	uint64_t ts_us;
	uint32_t ifindex;
	bool used;
};

#define RING 64			/* the last packets, while one interface is seen */

struct dedup {
	uint8_t seed[16];
	/*
	 * Until a second interface shows up no packet can be a copy, and the
	 * big table (a cache miss a packet) is not used: the last RING
	 * packets are kept in a ring instead, to be moved to the table when
	 * one does, so that a copy of one of them is still recognised.
	 */
	bool multi, have_first;
	uint32_t first;
	size_t ring_at;
	struct ring_item {
		uint8_t buf[SIG_BYTES];
		size_t n;		/* 0: empty */
		uint32_t ip_len;
		uint32_t ifindex;
		uint64_t ts_us;
	} ring[RING];
	struct slot slot[SLOTS];
};

/* The signature of n bytes from the IP header on, router-changed fields left out. */
static uint64_t signature(const struct dedup *d, const uint8_t *ip, size_t n, uint32_t ip_len)
{
	uint8_t buf[SIG_BYTES];

	memcpy(buf, ip, n);
	if (n >= 12 && buf[0] >> 4 == 4) {
		buf[8] = 0;			/* TTL */
		buf[10] = buf[11] = 0;		/* header checksum */
	} else if (n >= 8 && buf[0] >> 4 == 6) {
		buf[7] = 0;			/* hop limit */
	}
	memset(buf + n, 0, sizeof(buf) - n);
	/*
	 * Cheaper than SipHash, which runs beside it on every packet: a
	 * collision needs the seed, and all a forged one could do is have one
	 * packet not counted when it shows on another interface in the window.
	 */
	return mixhash64(d->seed, buf, sizeof(buf), (uint64_t)ip_len << 32 | n);
}

/*
 * n (at most SIG_BYTES) bytes from src to dst, in two fixed-size copies
 * that overlap (inlined moves) rather than a copy of variable length,
 * which the compiler makes a "rep movsb" with a slow start: a
 * headers-only capture has 28 to 60 bytes from the IP header on.
 */
static inline void copy_head(uint8_t *dst, const uint8_t *src, size_t n)
{
	if (n >= 32) {
		memcpy(dst, src, 32);
		memcpy(dst + n - 32, src + n - 32, 32);
	} else if (n >= 16) {
		memcpy(dst, src, 16);
		memcpy(dst + n - 16, src + n - 16, 16);
	} else if (n >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + n - 8, src + n - 8, 8);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	}
}

struct dedup *dedup_new(void)
{
	struct dedup *d = calloc(1, sizeof(*d));

	if (d)
		random_seed(d->seed, sizeof(d->seed));
	return d;
}

void dedup_free(struct dedup *d)
{
	free(d);
}

/* dedup_copy once a second interface has shown up (n: bytes to sign). */
static __attribute__((noinline)) bool copy_multi(struct dedup *d, const uint8_t *ip, size_t n,
						 uint32_t ip_len, uint32_t ifindex,
						 uint64_t ts_us)
{
	struct ring_item *it;
	uint64_t sig;
	struct slot *s;

	if (!d->multi) {
		/* A second interface: the last packets of the first go to the table. */
		d->multi = true;
		for (size_t i = 0; i < RING; i++) {
			it = &d->ring[(d->ring_at + i) % RING];
			if (it->n == 0)
				continue;
			sig = signature(d, it->buf, it->n, it->ip_len);
			s = &d->slot[sig & (SLOTS - 1)];
			*s = (struct slot){ sig, it->ts_us, it->ifindex, true };
		}
	}
	sig = signature(d, ip, n, ip_len);
	s = &d->slot[sig & (SLOTS - 1)];
	if (s->used && s->sig == sig && s->ifindex != ifindex && ts_us >= s->ts_us &&
	    ts_us - s->ts_us < DEDUP_WINDOW_US)
		return true;
	s->sig = sig;
	s->ts_us = ts_us;
	s->ifindex = ifindex;
	s->used = true;
	return false;
}

/* The usual case, one interface so far, is kept short: no call, no hash. */
bool dedup_copy(struct dedup *d, const uint8_t *ip, size_t len, uint32_t ip_len,
		uint32_t ifindex, uint64_t ts_us)
{
	size_t n = len < SIG_BYTES ? len : SIG_BYTES;
	struct ring_item *it;

	if (n > ip_len)
		n = ip_len;
	if (!d->have_first) {
		d->have_first = true;
		d->first = ifindex;
	}
	if (d->multi || ifindex != d->first)
		return copy_multi(d, ip, n, ip_len, ifindex, ts_us);
	/* One interface so far: keep the bytes, hash them only if needed. */
	it = &d->ring[d->ring_at++ % RING];
	/* All SIG_BYTES when captured (the signature reads only n of them). */
	copy_head(it->buf, ip, len >= SIG_BYTES ? SIG_BYTES : n);
	it->n = n;
	it->ip_len = ip_len;
	it->ts_us = ts_us;
	it->ifindex = ifindex;
	return false;
}
