/*
 * fragment.h - give later IP fragments the ports of their first fragment.
 *
 * Only the first fragment of a datagram carries the transport header, so
 * a later fragment alone cannot be bound to a socket. The capture path
 * remembers, for each first fragment, what the decoder found in it (the
 * transport protocol and its ports) in a small direct-mapped cache, and
 * copies both onto later fragments of the same datagram.
 *
 * Fragments are matched as the receiver reassembles them: IPv4 by source,
 * destination, protocol and identification (RFC 791), IPv6 by source,
 * destination and identification only (RFC 8200, section 4.5). The
 * protocol cannot be part of an IPv6 datagram's key: the Next Header of a
 * Fragment header names the first header of the fragmentable part, which
 * is a Destination Options header, not the transport, when one follows
 * the Fragment header, and which the RFC lets differ between fragments.
 * The transport header is then only in the first fragment, behind the
 * Destination Options; a later fragment gets its protocol from there.
 *
 * The cache is fixed in size and a newer datagram simply takes an older
 * one's slot; a later fragment that arrives before its first one (or
 * after its slot was reused) keeps ports 0, and the protocol its own
 * headers name, and is reported as unattributed.
 */
#ifndef PROCTRAF_FRAGMENT_H
#define PROCTRAF_FRAGMENT_H

#include "decode.h"

struct fragcache;

struct fragcache *fragcache_new(void);
void fragcache_free(struct fragcache *fc);

/*
 * Remember a first fragment's protocol and ports, or fill them in on a
 * later fragment of the same datagram.
 */
void fragcache_apply(struct fragcache *fc, struct packet *pkt);

#endif
