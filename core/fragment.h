/*
 * fragment.h - give later IP fragments the ports of their first fragment.
 *
 * Only the first fragment of a datagram carries the transport header, so
 * a later fragment alone cannot be bound to a socket. The capture path
 * remembers (addresses, protocol, IP identification) -> ports of each
 * first fragment in a small direct-mapped cache, and copies the ports onto
 * later fragments of the same datagram. The cache is fixed in size and a
 * newer datagram simply takes an older one's slot; a later fragment that
 * arrives before its first one (or after its slot was reused) keeps ports
 * 0 and is reported as unattributed.
 */
#ifndef PROCTRAF_FRAGMENT_H
#define PROCTRAF_FRAGMENT_H

#include "decode.h"

struct fragcache;

struct fragcache *fragcache_new(void);
void fragcache_free(struct fragcache *fc);

/* Remember a first fragment's ports, or fill in a later fragment's. */
void fragcache_apply(struct fragcache *fc, struct packet *pkt);

#endif
