/*
 * procnet.h - parsers for the kernel's socket and address tables:
 * /proc/net/{tcp,tcp6,udp,udp6}, /proc/net/fib_trie, /proc/net/if_inet6.
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
	uint8_t proto;		/* 6, 17, 1, 58, or a raw socket's protocol */
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
