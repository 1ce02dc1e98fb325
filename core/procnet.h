/*
 * procnet.h - parsers for the kernel's socket and address tables:
 * /proc/net/{tcp,tcp6,udp,udp6,icmp,icmp6,raw,raw6}, /proc/net/sctp/{assocs,eps},
 * /proc/net/fib_trie, /proc/net/if_inet6.
 *
 * The text comes from the kernel, or from a fixture standing in for it,
 * so every parser takes hostile input: a malformed line is skipped, never
 * read past its end.
 */
#ifndef PROCTRAF_PROCNET_H
#define PROCTRAF_PROCNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sock_entry {
	uint8_t family;		/* TUPLE_V4 / TUPLE_V6 (v4-mapped IPv6 is made V4) */
	uint8_t proto;		/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, or a raw socket's protocol */
	bool raw;		/* from net/raw, net/raw6: ports are 0 */
	uint8_t state;		/* kernel TCP state (UDP: 7 unconnected, 1 connected) */
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport;
	uint16_t rport;
	uint64_t inode;		/* 0 when no file holds the socket (TIME_WAIT...) */
};

/*
 * One line of /proc/net/tcp-style text. family: TUPLE_V4 or TUPLE_V6 as the
 * file says; proto: the file's protocol, or PROCNET_RAW for net/raw and
 * net/raw6, whose "port" is the protocol the socket receives. False for
 * the header line and for anything malformed.
 */
#define PROCNET_RAW 255
bool procnet_parse_line(const char *line, int family, int proto, struct sock_entry *out);

/*
 * One line of /proc/net/sctp/assocs (assoc=true) or eps (assoc=false).
 * Writes up to max entries: for an association every (local, remote)
 * address pair of the same family, with the ports; for an endpoint each
 * local address with remote address any and remote port 0. proto is 132,
 * raw false. Returns the number written (0: header or unparsable line).
 *
 * The kernel (net/sctp/proc.c) prints the addresses as text, %pI4 or %pI6
 * (2001:0db8:0000:...), one after the other, IPv4 and IPv6 mixed; in assocs
 * the local ones, "<->", the remote ones, then a tab and counters that are
 * not read. A '*' before an address marks the primary path. The pairs with
 * the primary remote address come first (the one with the primary local
 * address before the others), then the rest in the kernel's order, so that
 * a max smaller than the pairs of a multi-homed association keeps the path
 * that carries the data. A wildcard local address (0.0.0.0, ::) stays the
 * any address; an IPv4-mapped address stays IPv6, as the kernel prints it.
 * state is the socket's state (SST, TCP values: 10 listening, 1 established).
 * A line is taken whole or not at all: one bad field or address gives 0 and
 * nothing is written.
 */
#define PROCNET_SCTP 132
size_t procnet_sctp_line(const char *line, bool assoc, struct sock_entry *out, size_t max);

/*
 * A dual-stack IPv6 socket talking IPv4 (local ::ffff:a.b.c.d, remote
 * v4-mapped or ::) becomes the IPv4 socket it acts as; others are left.
 */
void procnet_dual_stack(struct sock_entry *e);

/* A local prefix of this host. */
struct local_prefix {
	uint8_t family;
	uint8_t len;		/* prefix length in bits */
	uint8_t addr[16];
};

/*
 * Feed /proc/net/fib_trie text line by line: state carries the last
 * address seen. Returns true and fills *out when the line closes a
 * "host LOCAL" entry (or a "link BROADCAST" one: ours to receive too).
 */
struct fib_state {
	bool have_addr;
	uint8_t addr[4];
};
bool procnet_fib_line(struct fib_state *st, const char *line, struct local_prefix *out);

/* One line of /proc/net/if_inet6. */
bool procnet_if_inet6_line(const char *line, struct local_prefix *out);

/* Parse "socket:[12345]" (a /proc/PID/fd link target). */
bool procnet_socket_link(const char *target, size_t len, uint64_t *inode);

#endif
