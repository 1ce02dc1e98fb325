/*
 * fuzz_procnet.c - libFuzzer harness for the /proc/net parsers
 * (core/procnet.h): the socket tables (tcp, tcp6, udp, udp6, icmp, icmp6,
 * raw, raw6), sctp/assocs and sctp/eps, fib_trie, if_inet6, the
 * "socket:[INODE]" target of a /proc/PID/fd link, and net/packet
 * (core/pktsock.h).
 *
 * Input: byte 0 chooses the file (TABLES below, by index modulo their
 * number); the rest is that file's text, fed line by line the way the
 * resolver reads it (getline: each line with its newline, NUL-terminated,
 * in a buffer of exactly that size so that ASan sees any read past it).
 * Only the public line parsers are called: how the resolver opens and
 * reads the files may change without this harness changing.
 *
 * Each parsed entry is checked against what procnet.h promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/pktsock.h"
#include "../../core/procnet.h"
#include "../../core/tuple.h"

enum kind { K_SOCK, K_SCTP_ASSOC, K_SCTP_EP, K_FIB, K_IF_INET6, K_FD_LINK, K_PACKET };

static const struct {
	enum kind kind;
	int family;
	int proto;
} TABLES[] = {
	{ K_SOCK, TUPLE_V4, 6 },	   { K_SOCK, TUPLE_V6, 6 },
	{ K_SOCK, TUPLE_V4, 17 },	   { K_SOCK, TUPLE_V6, 17 },
	{ K_SOCK, TUPLE_V4, 1 },	   { K_SOCK, TUPLE_V6, 58 },
	{ K_SOCK, TUPLE_V4, PROCNET_RAW }, { K_SOCK, TUPLE_V6, PROCNET_RAW },
	{ K_SCTP_ASSOC, 0, 0 },		   { K_SCTP_EP, 0, 0 },
	{ K_FIB, 0, 0 },		   { K_IF_INET6, 0, 0 },
	{ K_FD_LINK, 0, 0 },		   { K_PACKET, 0, 0 },
};
#define NTABLES (sizeof(TABLES) / sizeof(TABLES[0]))

#define SCTP_MAX 16

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz_procnet: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                               \
			abort();                                                      \
		}                                                                     \
	} while (0)

static const uint8_t zero[16];

static void check_addr(uint8_t family, const uint8_t *addr)
{
	CHECK(family == TUPLE_V4 || family == TUPLE_V6);
	/* IPv4 addresses are zero-padded: sockets are looked up with memcmp. */
	if (family == TUPLE_V4)
		CHECK(memcmp(addr + 4, zero, 12) == 0);
}

static void check_sock(const char *line, int family, int proto)
{
	struct sock_entry e, again;

	if (!procnet_parse_line(line, family, proto, &e))
		return;
	check_addr(e.family, e.laddr);
	check_addr(e.family, e.raddr);
	/* Only a v6 table's v4-mapped socket turns into a v4 one. */
	CHECK(e.family == family || (family == TUPLE_V6 && e.family == TUPLE_V4));
	if (proto == PROCNET_RAW) {
		CHECK(e.raw && e.lport == 0 && e.rport == 0);
	} else {
		CHECK(!e.raw && e.proto == proto);
	}
	/* Already as dual-stack as it gets. */
	again = e;
	procnet_dual_stack(&again);
	CHECK(memcmp(&again, &e, sizeof(e)) == 0);
}

static void check_sctp(const char *line, bool assoc, unsigned small)
{
	struct sock_entry e[SCTP_MAX], few[SCTP_MAX];
	size_t n = procnet_sctp_line(line, assoc, e, SCTP_MAX), m;

	CHECK(n <= SCTP_MAX);
	for (size_t i = 0; i < n; i++) {
		check_addr(e[i].family, e[i].laddr);
		check_addr(e[i].family, e[i].raddr);
		CHECK(e[i].proto == PROCNET_SCTP && !e[i].raw);
		/* One line is one socket: its ports, state and inode in every pair. */
		CHECK(e[i].lport == e[0].lport && e[i].rport == e[0].rport);
		CHECK(e[i].inode == e[0].inode && e[i].state == e[0].state);
		if (!assoc)
			CHECK(e[i].rport == 0 && memcmp(e[i].raddr, zero, 16) == 0);
	}
	/* A smaller max keeps the first pairs, in the same order. */
	m = procnet_sctp_line(line, assoc, few, small);
	CHECK(m == (n < small ? n : small));
	for (size_t i = 0; i < m; i++)
		CHECK(memcmp(&few[i], &e[i], sizeof(e[i])) == 0);
}

static void check_fib(struct fib_state *st, const char *line)
{
	struct local_prefix p;

	if (!procnet_fib_line(st, line, &p))
		return;
	CHECK(p.family == TUPLE_V4 && p.len <= 32);
	CHECK(memcmp(p.addr + 4, zero, 12) == 0);
}

static void check_if_inet6(const char *line)
{
	struct local_prefix p;

	if (!procnet_if_inet6_line(line, &p))
		return;
	CHECK(p.family == TUPLE_V6 && p.len == 128);
}

/* A link target is not NUL-terminated (readlink): only len bytes. */
static void check_fd_link(const uint8_t *text, size_t len)
{
	char *t = malloc(len ? len : 1);
	uint64_t inode = 0;

	CHECK(t != NULL);
	memcpy(t, text, len);
	if (procnet_socket_link(t, len, &inode)) {
		CHECK(len >= 10 && memcmp(t, "socket:[", 8) == 0 && t[len - 1] == ']');
		for (size_t i = 8; i < len - 1; i++)
			CHECK(t[i] >= '0' && t[i] <= '9');
	}
	free(t);
}

/* A net/packet line: what it gives is in range, and reads back the same when printed. */
static void check_packet(const char *line)
{
	struct pktsock_entry e, again;
	char buf[256];

	if (!pktsock_parse_line(line, &e))
		return;
	CHECK(e.inode != 0 && e.ifindex >= -1 && !e.rx_ring);
	snprintf(buf, sizeof(buf), "0000000000000000 2 %u %04x %d %d 0 %u %llu\n", e.type,
		 e.proto, e.ifindex, e.running ? 1 : 0, e.uid, (unsigned long long)e.inode);
	CHECK(pktsock_parse_line(buf, &again));
	CHECK(memcmp(&again, &e, sizeof(e)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fib_state st = { 0 };
	size_t at = 1;
	unsigned t;

	if (size < 1)
		return 0;
	t = data[0] % NTABLES;
	if (TABLES[t].kind == K_FD_LINK) {
		check_fd_link(data + 1, size - 1);
		return 0;
	}
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) + 1 : size - at;
		char *line = malloc(len + 1);

		CHECK(line != NULL);
		memcpy(line, data + at, len);
		line[len] = '\0';
		switch (TABLES[t].kind) {
		case K_SOCK:
			check_sock(line, TABLES[t].family, TABLES[t].proto);
			break;
		case K_SCTP_ASSOC:
		case K_SCTP_EP:
			check_sctp(line, TABLES[t].kind == K_SCTP_ASSOC, 1 + data[0] / NTABLES % 3);
			break;
		case K_FIB:
			check_fib(&st, line);
			break;
		case K_IF_INET6:
			check_if_inet6(line);
			break;
		case K_PACKET:
			check_packet(line);
			break;
		case K_FD_LINK:
			break;
		}
		free(line);
		at += len;
	}
	return 0;
}
