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

struct dedup {
	uint8_t seed[16];
	struct slot slot[SLOTS];
};

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

bool dedup_copy(struct dedup *d, const uint8_t *ip, size_t len, uint32_t ip_len,
		uint32_t ifindex, uint64_t ts_us)
{
	uint8_t buf[SIG_BYTES + 4];
	size_t n = len < SIG_BYTES ? len : SIG_BYTES;
	uint64_t sig;
	struct slot *s;

	if (n > ip_len)
		n = ip_len;
	memcpy(buf, ip, n);
	if (n >= 12 && buf[0] >> 4 == 4) {
		buf[8] = 0;			/* TTL */
		buf[10] = buf[11] = 0;		/* header checksum */
	} else if (n >= 8 && buf[0] >> 4 == 6) {
		buf[7] = 0;			/* hop limit */
	}
	memcpy(buf + n, &ip_len, 4);
	sig = siphash13(d->seed, buf, n + 4);
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
