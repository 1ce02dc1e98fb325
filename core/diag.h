/*
 * diag.h - the kernel's socket tables through sock_diag netlink
 * (NETLINK_SOCK_DIAG, inet_diag), for TCP and UDP.
 *
 * Two things /proc/net/tcp cannot do cheaply: look up the one socket of a
 * 5-tuple (a hash lookup in the kernel, a few microseconds, where reading
 * /proc/net/tcp walks the whole connection hash table, milliseconds even
 * when it is empty), and list every socket in one walk of that table.
 *
 * The sockets are those of the network namespace the netlink socket was
 * opened in. Entries come in the form procnet.h gives them (a dual-stack
 * socket talking IPv4 is reported as IPv4).
 */
#ifndef PROCTRAF_DIAG_H
#define PROCTRAF_DIAG_H

#include <stdint.h>

#include "procnet.h"

struct diag;

/* NULL (errno set) when sock_diag cannot be opened. */
struct diag *diag_open(void);
/*
 * The same, in the network namespace nsfd refers to (an open
 * /proc/PID/ns/net): the calling thread enters it, opens the socket and
 * comes back. Needs CAP_SYS_ADMIN; NULL (errno set) otherwise.
 */
struct diag *diag_open_in(int nsfd);
void diag_close(struct diag *d);

/*
 * The socket that owns the local end (laddr, lport) of a conversation with
 * (raddr, rport), as the kernel would deliver a packet to it: for TCP the
 * connected socket, else a listener; for UDP the connected socket, else
 * one bound to the port. proto: 6 or 17; family: TUPLE_V4 or TUPLE_V6.
 * 1 and *out filled when found, 0 when there is none, -1 on error.
 */
int diag_lookup(struct diag *d, int family, int proto,
		const uint8_t *laddr, uint16_t lport,
		const uint8_t *raddr, uint16_t rport, struct sock_entry *out);

/* Every socket of (family, proto), one call of fn each; 0, or -1 on error. */
int diag_dump(struct diag *d, int family, int proto,
	      void (*fn)(void *ctx, const struct sock_entry *e), void *ctx);

/*
 * Every TCP socket, IPv4 and IPv6, in one walk of the kernel's table (two
 * diag_dump calls walk it twice). -1 if the kernel refuses: use those.
 */
int diag_dump_tcp(struct diag *d, void (*fn)(void *ctx, const struct sock_entry *e),
		  void *ctx);

#endif
