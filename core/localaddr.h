/*
 * localaddr.h - the addresses and local prefixes of this host's network
 * namespaces, as the resolver reads them (procnet.h: the "host LOCAL" and
 * "link BROADCAST" entries of net/fib_trie, net/if_inet6), and which
 * namespaces each is in. Namespaces are numbered by the caller (0..255).
 *
 * Whoever owns a network namespace chooses its addresses: a container's
 * root may give its interfaces thousands. So every key is hashed with
 * seeded SipHash (hmap_new), and no lookup reads more than a few entries
 * whatever the addresses added:
 *   - an address (a /32 or /128) is one lookup in a hash of addresses,
 *     each with the first LOCALADDR_NS_PER_ADDR namespaces that have it;
 *   - a shorter prefix is kept in a hash of prefixes, masked to their
 *     length, with the lengths in use noted per family: an address is
 *     looked up once per length in use (a host has one or two: 127/8),
 *     not compared with every prefix. With 20,000 prefixes the list this
 *     replaces made 200,000 flows take 40 times as long.
 * Of several prefixes that hold an address, the one added first gives its
 * namespace, as in the list. A prefix or address added again (every pass
 * reads the tables again) changes nothing.
 *
 * Out of memory, an address or prefix is not added: nothing is left half
 * made. Not thread-safe.
 */
#ifndef PROCTRAF_LOCALADDR_H
#define PROCTRAF_LOCALADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procnet.h"

#define LOCALADDR_NS_PER_ADDR 4	/* namespaces told apart that share one address */

struct localaddr;

/* NULL on out of memory. */
struct localaddr *localaddr_new(void);
void localaddr_free(struct localaddr *la);

/* p (TUPLE_V4 or TUPLE_V6, len up to 32 or 128) is local in namespace ns. */
void localaddr_add(struct localaddr *la, const struct local_prefix *p, uint8_t ns);

/*
 * The namespaces addr (16 bytes, family-padded) is local in, into out:
 * those of the address itself, in the order they were added; else the
 * namespace of the first prefix added that holds it. Their number, 0 when
 * it is none of ours.
 */
size_t localaddr_find(const struct localaddr *la, int family, const uint8_t *addr,
		      uint8_t out[LOCALADDR_NS_PER_ADDR]);

/* Are its maps hashed with SipHash (hmap_prf)? Their keys are the namespaces' owners'. */
bool localaddr_prf(const struct localaddr *la);

/* Has any address or prefix been added? */
bool localaddr_any(const struct localaddr *la);

#endif
