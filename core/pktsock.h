/*
 * pktsock.h - frames injected through AF_PACKET sockets, given to the
 * process that holds the socket.
 *
 * A process that writes whole frames through a packet socket (a traffic
 * generator, a crafted-packet tool) holds no IP socket, so no tuple lookup
 * finds it: its frames went to unknown:no-socket. The kernel does not say
 * which packet socket sent a frame, so this module can only reason from
 * who could have:
 *
 *   - net/packet below the proc root (the packet sockets of proctraf's
 *     network namespace) gives each socket's inode, the protocol it
 *     receives (0: none, a send-only socket), the interface it is bound to
 *     (0: all) and whether it is running;
 *   - sock_diag (linux/packet_diag.h), where the root is the kernel's
 *     /proc, says which have a receive ring: libpcap, so tcpdump and
 *     proctraf itself, always sets one up; a socket with one is a capture,
 *     not counted as a possible sender;
 *   - the resolver's fd walks (socket:[INODE] links) give each its process.
 *
 * A candidate is a packet socket without a receive ring, held by a process
 * other than proctraf, whose protocol is 0, ETH_P_ALL or the frame's
 * (ETH_P_IP, ETH_P_IPV6), bound to all interfaces or to one proctraf
 * captures on. A flow no IP socket owns at either end (unknown:no-socket)
 * has its bytes from an end that is an address of this host (the bytes
 * the unknown row would count as sent) given to the one process holding
 * candidates, marked injected (attribution.injector, the report's
 * summary); when several processes hold candidates, or one whose process
 * is not known, the flow goes to unknown:packet-sockets: nothing is
 * guessed. Without sock_diag every packet socket of another process is a
 * candidate, captures too: more flows are then told several.
 *
 * Not thread-safe: used under the resolver's lock.
 */
#ifndef PROCTRAF_PKTSOCK_H
#define PROCTRAF_PKTSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attribute.h"
#include "resolve.h"
#include "tuple.h"

#define PKTSOCK_MAX 4096	/* sockets kept from one read of the table */
#define PKT_ETH_P_ALL 0x0003
#define PKT_ETH_P_IP 0x0800
#define PKT_ETH_P_IPV6 0x86dd

/* One line of net/packet (af_packet.c, packet_seq_show). */
struct pktsock_entry {
	uint64_t inode;
	uint16_t proto;		/* ethertype it receives, host order; 0: none */
	int32_t ifindex;	/* bound interface; 0: all; -1: its interface is gone */
	uint8_t type;		/* SOCK_RAW or SOCK_DGRAM */
	bool running;		/* hooked to receive */
	uint32_t uid;
	bool rx_ring;		/* sock_diag: a receive ring (a capture) */
};

/*
 * "sk RefCnt Type Proto Iface R Rmem User Inode": false for the header and
 * for a line with a field missing, out of range or followed by junk.
 */
bool pktsock_parse_line(const char *line, struct pktsock_entry *out);

struct pktsock;

/*
 * proc_root as the resolver's; ifindex[0..n): the interfaces captured on
 * (n 0: every interface, the "any" capture). NULL on out of memory.
 */
struct pktsock *pktsock_new(const char *proc_root, const int *ifindex, size_t n);
/*
 * The same for interfaces by name (as -i gives them), in proctraf's
 * network namespace; none, "any", one that does not exist or more than
 * PKTSOCK_IFACES_MAX: every interface.
 */
#define PKTSOCK_IFACES_MAX 64
struct pktsock *pktsock_new_ifaces(const char *proc_root, const char *const *names, size_t n);
void pktsock_free(struct pktsock *ps);

/* For the tests: proctraf's own pid, whose sockets are never candidates. */
void pktsock_set_self(struct pktsock *ps, int pid);

/*
 * Re-read the table (and sock_diag), and let the resolver's walks look
 * for the holders of the sockets it lists. 0, or -1 when the table could
 * not be read (kept as it was), or ps is NULL.
 */
int pktsock_refresh(struct pktsock *ps, struct resolver *r);

/* Sockets listed by the last refresh. */
size_t pktsock_count(const struct pktsock *ps);

enum pktsock_who {
	PKTSOCK_NONE,		/* no candidate */
	PKTSOCK_ONE,		/* one process holds every candidate */
	PKTSOCK_SEVERAL,	/* several, or one whose holder is not known */
};

/* Who may have injected frames of this family (TUPLE_V4 or TUPLE_V6)? */
enum pktsock_who pktsock_sender(const struct pktsock *ps, const struct resolver *r, int family,
				const struct proc_info **owner);

/*
 * After attribute_flow: a flow at unknown:no-socket gets its injector
 * (see above), or unknown:packet-sockets. ps NULL: nothing is done.
 */
void pktsock_attribute(const struct pktsock *ps, const struct resolver *r, const struct tuple *t,
		       struct attribution *a);

/*
 * The receive-ring inodes of the packet sockets of this network namespace
 * by sock_diag, into rings[0..max); how many, or -1 (errno) when the
 * kernel cannot be asked (pktdiag.c).
 */
int pktdiag_rings(uint64_t *rings, size_t max);

#endif
