/*
 * owners.h - what the kernel programs of owners.bpf.c and their reader,
 * core/ownersrc.c, share: the configuration, the counters and the event.
 *
 * Included by both sides, so only fixed-width types of <linux/types.h>,
 * every field naturally aligned and every struct a multiple of 8 bytes:
 * the layout is the same for clang -target bpf and for gcc.
 */
#ifndef PROCTRAF_OWNERS_H
#define PROCTRAF_OWNERS_H

#include <linux/types.h>

/* cfg.flags: chosen by the reader before the programs are loaded. */
#define OWNERS_CFG_RINGBUF 1u	/* events go to the ring buffer; else to the hash map */

struct owners_cfg {
	__u32 flags;
	__u32 pad;
};

/*
 * Counters the programs keep, read by the reader through the .bss map.
 * Only added to (atomically), so a reader may see them a little behind.
 */
struct owners_stats {
	__u64 events;		/* events written */
	__u64 lost;		/* events the ring buffer or the hash map had no room for */
	__u64 no_storage;	/* sockets a hook could not give a record (out of memory) */
};

/* What told us: the hook that wrote the event. */
enum owners_kind {
	OWNERS_EV_BIND = 1,	/* post_bind4/6: the local address and port */
	OWNERS_EV_CONNECT,	/* sockops TCP_CONNECT_CB: a TCP client's 4-tuple */
	OWNERS_EV_ACCEPT,	/* sockops PASSIVE_ESTABLISHED_CB: an accepted TCP socket */
	OWNERS_EV_SEND,		/* sendmsg4/6, or the first datagram of a connected UDP socket */
	OWNERS_EV_RECV,		/* recvmsg4/6 */
	OWNERS_EV_NAME,		/* getsockname/getpeername */
	OWNERS_EV_SOCKOPT,	/* setsockopt */
	OWNERS_EV_CLOSE,	/* sock_release of a socket an event was written for */
};

/* How the owner came to hold the socket. */
enum owners_how {
	OWNERS_HOW_CREATED = 1,	/* it made the socket (sock_create) */
	OWNERS_HOW_USED,	/* it used the socket in a system call after another did, or
				   the socket predates the programs */
	OWNERS_HOW_INHERITED,	/* an accepted socket: the owner of its listener */
};

/* The task that holds a socket, as a hook saw it (the current task). */
struct owners_owner {
	__u64 start_ns;		/* its thread group leader's start, ns after boot; 0: unknown */
	__u64 cgroup_id;	/* its cgroup v2 id */
	__u64 netns_cookie;	/* the socket's network namespace cookie; 0: unknown */
	__u32 netns;		/* inode of the namespace the socket was seen in; 0: unknown */
	__u32 tgid;
	__u32 tid;
	__u32 uid;		/* real uid, as seen from the initial user namespace */
	__u32 gid;
	__u8 how;		/* enum owners_how */
	__u8 pad[3];
	char comm[16];
};

/* The key of the hash map that stands in for the ring buffer: one event per socket and kind. */
struct owners_hkey {
	__u64 cookie;
	__u32 kind;
	__u32 pad;
};

struct owners_event {
	__u64 cookie;		/* the socket's cookie (SO_COOKIE) */
	__u64 ts_ns;		/* CLOCK_MONOTONIC of the event */
	struct owners_owner o;
	__u8 kind;		/* enum owners_kind */
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE */
	__u8 pad;
	__u16 lport;		/* host order; 0: not bound yet */
	__u16 rport;		/* host order; 0: not connected */
	__u8 laddr[16];		/* network order; IPv4 in the first 4 bytes */
	__u8 raddr[16];
};

#endif
