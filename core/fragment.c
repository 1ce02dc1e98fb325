/* fragment.c - ports for later IP fragments; see fragment.h. */
#include "fragment.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"

#define SLOTS 4096		/* datagrams in reassembly at once, at most */

/* What every fragment of one datagram has in common (fragment.h). */
struct frag_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;
	uint8_t family;
	uint8_t proto;		/* IPv4's protocol field; 0 for IPv6 */
	uint8_t pad[2];
};

struct frag_slot {
	struct frag_key key;
	uint16_t sport, dport;
	uint8_t proto;		/* the transport protocol of the first fragment */
	bool used;
};

struct fragcache {
	uint8_t seed[16];
	struct frag_slot slots[SLOTS];
};

struct fragcache *fragcache_new(void)
{
	struct fragcache *fc = calloc(1, sizeof(*fc));

	if (fc)
		random_seed(fc->seed, sizeof(fc->seed));
	return fc;
}

void fragcache_free(struct fragcache *fc)
{
	free(fc);
}

void fragcache_apply(struct fragcache *fc, struct packet *pkt)
{
	struct frag_key key;
	struct frag_slot *slot;

	if (pkt->frag == FRAG_NONE)
		return;
	memset(&key, 0, sizeof(key));
	memcpy(key.src, pkt->t.src, 16);
	memcpy(key.dst, pkt->t.dst, 16);
	key.id = pkt->frag_id;
	key.family = pkt->t.family;
	if (pkt->t.family == TUPLE_V4)
		key.proto = pkt->t.proto;
	slot = &fc->slots[siphash13(fc->seed, &key, sizeof(key)) % SLOTS];
	if (pkt->frag == FRAG_FIRST) {
		slot->key = key;
		slot->sport = pkt->t.sport;
		slot->dport = pkt->t.dport;
		slot->proto = pkt->t.proto;
		slot->used = true;
	} else if (slot->used && memcmp(&slot->key, &key, sizeof(key)) == 0) {
		pkt->t.proto = slot->proto;
		pkt->t.sport = slot->sport;
		pkt->t.dport = slot->dport;
	}
}
