/*
 * test_procnet.c - parsers of /proc/net/{tcp,tcp6,udp,udp6,raw},
 * /proc/net/fib_trie, /proc/net/if_inet6 and fd link targets
 * (core/procnet.h).
 *
 * The socket lines are copied from this kernel's /proc/net files. Every
 * line is parsed from an exact-size heap copy so a read past its NUL
 * shows up under ASan / valgrind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../core/procnet.h"
#include "helpers.h"

static bool parse(const char *line, int family, int proto, struct sock_entry *e)
{
	size_t n = strlen(line) + 1;
	char *copy = malloc(n);
	bool ok;

	assert_non_null(copy);
	memcpy(copy, line, n);
	ok = procnet_parse_line(copy, family, proto, e);
	free(copy);
	return ok;
}

/* 127.0.0.1 as the kernel's %08X of the in-memory word: 0100007F on x86. */
static void check_addr(const uint8_t *got, int family, const char *text)
{
	uint8_t want[16];

	addr_parse(want, family, text);
	assert_memory_equal(got, want, 16);
}

/* ---- real kernel lines ---- */

static const char tcp_listen[] =
	"   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
	"        0 633 1 00000000496852a4 100 0 0 10 0                       \n";
static const char tcp_estab[] =
	"   1: 0100007F:8060 0100007F:223D 01 00000000:00000000 00:00000000 00000000     0"
	"        0 13385 2 00000000b9e1fcb9 20 0 0 10 -1                     \n";
static const char tcp_timewait[] =
	"   2: 0100007F:1F90 0100007F:A2C4 06 00000000:00000000 03:00001770 00000000     0"
	"        0 0 3 0000000000000000\n";
static const char tcp6_listen[] =
	"   0: 00000000000000000000000000000000:223D 00000000000000000000000000000000:0000 0A"
	" 00000000:00000000 00:00000000 00000000     0        0 13380 1 0000000027dc22fe 100 0"
	" 0 10 0\n";
static const char tcp6_loop[] =
	"   1: 00000000000000000000000001000000:BE4E 00000000000000000000000001000000:223D 01"
	" 00000000:00000000 00:00000000 00000000     0        0 13383 2 00000000b919d87e 20 0"
	" 0 10 -1\n";
static const char tcp6_mapped[] =
	"   2: 0000000000000000FFFF00000100007F:223D 0000000000000000FFFF00000100007F:8060 01"
	" 00000000:00000000 00:00000000 00000000     0        0 13386 1 0000000095ad9544 20 0"
	" 0 10 -1\n";
static const char udp_bound[] =
	" 1856: 0100007F:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0"
	"        0 13381 2 000000007aee63e7 0         \n";
static const char udp_conn[] =
	" 9315: 0100007F:B20C 0100007F:14E9 01 00000000:00000000 00:00000000 00000000     0"
	"        0 13387 2 00000000e96ee26c 0         \n";
static const char udp6_bound[] =
	" 1857: 00000000000000000000000001000000:14EA 00000000000000000000000000000000:0000 07"
	" 00000000:00000000 00:00000000 00000000     0        0 13382 2 0000000075a4eb93 0\n";

static void test_tcp_lines(void **state)
{
	(void)state;
	struct sock_entry e;

	assert_true(parse(tcp_listen, TUPLE_V4, 6, &e));
	assert_int_equal(e.family, TUPLE_V4);
	assert_int_equal(e.proto, 6);
	assert_false(e.raw);
	assert_int_equal(e.state, 0x0a);
	check_addr(e.laddr, TUPLE_V4, "0.0.0.0");
	check_addr(e.raddr, TUPLE_V4, "0.0.0.0");
	assert_int_equal(e.lport, 2024);
	assert_int_equal(e.rport, 0);
	assert_int_equal(e.inode, 633);

	assert_true(parse(tcp_estab, TUPLE_V4, 6, &e));
	check_addr(e.laddr, TUPLE_V4, "127.0.0.1");	/* 0100007F is host order */
	check_addr(e.raddr, TUPLE_V4, "127.0.0.1");
	assert_int_equal(e.lport, 0x8060);
	assert_int_equal(e.rport, 8765);
	assert_int_equal(e.state, 1);
	assert_int_equal(e.inode, 13385);

	/* TIME_WAIT: no inode. */
	assert_true(parse(tcp_timewait, TUPLE_V4, 6, &e));
	assert_int_equal(e.state, 6);
	assert_int_equal(e.lport, 8080);
	assert_int_equal(e.rport, 0xa2c4);
	assert_int_equal(e.inode, 0);

	/* A non-loopback address: 10.0.0.5:80 is 0500000A:0050. */
	char line[512];
	strcpy(line, tcp_listen);
	memcpy(line + 6, "0500000A:0050", 13);
	assert_true(parse(line, TUPLE_V4, 6, &e));
	check_addr(e.laddr, TUPLE_V4, "10.0.0.5");
	assert_int_equal(e.lport, 80);
	/* The same, without the trailing newline and blanks. */
	line[strlen(line) - 1] = '\0';
	assert_true(parse(line, TUPLE_V4, 6, &e));
	assert_int_equal(e.inode, 633);
	/* Tabs separate as well as spaces do. */
	strcpy(line, "0:\t0500000A:0050\t00000000:0000\t0A\t0:0\t0:0\t0\t0\t0\t77");
	assert_true(parse(line, TUPLE_V4, 6, &e));
	assert_int_equal(e.inode, 77);
}

static void test_tcp6_lines(void **state)
{
	(void)state;
	struct sock_entry e;

	/* Dual-stack listener on [::]:8765 stays IPv6 with the zero address. */
	assert_true(parse(tcp6_listen, TUPLE_V6, 6, &e));
	assert_int_equal(e.family, TUPLE_V6);
	check_addr(e.laddr, TUPLE_V6, "::");
	assert_int_equal(e.lport, 8765);
	assert_int_equal(e.state, 0x0a);
	assert_int_equal(e.inode, 13380);

	/* ::1 is 00000000000000000000000001000000 (four host-order words). */
	assert_true(parse(tcp6_loop, TUPLE_V6, 6, &e));
	assert_int_equal(e.family, TUPLE_V6);
	check_addr(e.laddr, TUPLE_V6, "::1");
	check_addr(e.raddr, TUPLE_V6, "::1");
	assert_int_equal(e.lport, 48718);
	assert_int_equal(e.rport, 8765);
	assert_int_equal(e.inode, 13383);

	/* A v4-mapped connection of a dual-stack socket becomes IPv4. */
	assert_true(parse(tcp6_mapped, TUPLE_V6, 6, &e));
	assert_int_equal(e.family, TUPLE_V4);
	check_addr(e.laddr, TUPLE_V4, "127.0.0.1");	/* bytes 4..15 zero */
	check_addr(e.raddr, TUPLE_V4, "127.0.0.1");
	assert_int_equal(e.lport, 8765);
	assert_int_equal(e.rport, 0x8060);
	assert_int_equal(e.inode, 13386);

	/* A socket bound to ::ffff:10.0.0.5 and not connected: IPv4 too. */
	char line[512];
	strcpy(line, tcp6_listen);
	memcpy(line + 6, "0000000000000000FFFF00000500000A", 32);
	assert_true(parse(line, TUPLE_V6, 6, &e));
	assert_int_equal(e.family, TUPLE_V4);
	check_addr(e.laddr, TUPLE_V4, "10.0.0.5");
	check_addr(e.raddr, TUPLE_V4, "0.0.0.0");

	/* fd00::5 (not mapped) stays IPv6. */
	strcpy(line, tcp6_listen);
	memcpy(line + 6, "000000FD000000000000000005000000", 32);
	assert_true(parse(line, TUPLE_V6, 6, &e));
	assert_int_equal(e.family, TUPLE_V6);
	check_addr(e.laddr, TUPLE_V6, "fd00::5");
}

static void test_udp_lines(void **state)
{
	(void)state;
	struct sock_entry e;

	assert_true(parse(udp_bound, TUPLE_V4, 17, &e));
	assert_int_equal(e.proto, 17);
	assert_int_equal(e.state, 7);
	check_addr(e.laddr, TUPLE_V4, "127.0.0.1");
	assert_int_equal(e.lport, 5353);
	check_addr(e.raddr, TUPLE_V4, "0.0.0.0");
	assert_int_equal(e.inode, 13381);

	assert_true(parse(udp_conn, TUPLE_V4, 17, &e));
	assert_int_equal(e.state, 1);
	assert_int_equal(e.lport, 0xb20c);
	assert_int_equal(e.rport, 5353);
	assert_int_equal(e.inode, 13387);

	assert_true(parse(udp6_bound, TUPLE_V6, 17, &e));
	assert_int_equal(e.family, TUPLE_V6);
	assert_int_equal(e.proto, 17);
	check_addr(e.laddr, TUPLE_V6, "::1");
	assert_int_equal(e.lport, 5354);
	assert_int_equal(e.inode, 13382);
}

/* net/raw: the "port" is the protocol the socket receives. */
static void test_raw_lines(void **state)
{
	(void)state;
	struct sock_entry e;
	char line[512];

	strcpy(line, udp_bound);
	memcpy(line + 7, "00000000:002F", 13);	/* GRE */
	assert_true(parse(line, TUPLE_V4, PROCNET_RAW, &e));
	assert_true(e.raw);
	assert_int_equal(e.proto, 47);
	assert_int_equal(e.lport, 0);
	assert_int_equal(e.rport, 0);
	assert_int_equal(e.inode, 13381);
	memcpy(line + 7, "00000000:0100", 13);	/* 256 is no protocol */
	assert_false(parse(line, TUPLE_V4, PROCNET_RAW, &e));
}

/* ---- hostile lines ---- */

static void expect_bad(const char *line, int family)
{
	struct sock_entry e;

	if (parse(line, family, 6, &e))
		fail_msg("accepted: \"%s\"", line);
}

static void test_hostile_lines(void **state)
{
	(void)state;
	char line[8192];

	expect_bad("", TUPLE_V4);
	expect_bad("\n", TUPLE_V4);
	expect_bad("   \t  \n", TUPLE_V4);
	expect_bad("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
		   "   uid  timeout inode\n", TUPLE_V4);
	expect_bad("  sl  local_address                         remote_address                 "
		   "       st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
		   TUPLE_V6);
	expect_bad("   0:", TUPLE_V4);
	expect_bad("   0: 0100007F:0016", TUPLE_V4);
	expect_bad("   0: 0100007F:0016 00000000:0000", TUPLE_V4);
	expect_bad("   0: 0100007F:0016 00000000:0000 0A", TUPLE_V4);
	/* Every field but the inode. */
	expect_bad("   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
		   "     0        0\n", TUPLE_V4);
	expect_bad("   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
		   "     0        0 \n", TUPLE_V4);
	/* Inode with letters or a sign. */
	expect_bad("   0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 12a 1", TUPLE_V4);
	expect_bad("   0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 a12 1", TUPLE_V4);
	expect_bad("   0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 -1 1", TUPLE_V4);
	expect_bad("   0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 +1 1", TUPLE_V4);
	/* The "sl" field. */
	expect_bad("0 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("x: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad(": 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	/* Bad hex, and addresses of the wrong length. */
	expect_bad("0: 0100007G:0016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 0100007F:001x 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 0100007F:0016 0000 000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 00100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 0100007F:016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 0100007F:00016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 0100007F-0016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1", TUPLE_V6);
	expect_bad("0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000"
		   " 0A 0:0 0:0 0 0 0 1", TUPLE_V4);
	/* The state: two hex digits. */
	expect_bad("0: 0100007F:0016 00000000:0000 A 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 0100007F:0016 00000000:0000 0A0 0:0 0:0 0 0 0 1", TUPLE_V4);
	expect_bad("0: 0100007F:0016 00000000:0000 ZZ 0:0 0:0 0 0 0 1", TUPLE_V4);
	/* Overlong tokens. */
	memset(line, 'A', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	expect_bad(line, TUPLE_V4);
	strcpy(line, "0: ");
	memset(line + 3, 'F', 4000);
	strcpy(line + 4003, ":0016 00000000:0000 0A 0:0 0:0 0 0 0 1");
	expect_bad(line, TUPLE_V4);
	strcpy(line, "0: 0100007F:");
	memset(line + 12, '0', 4000);
	strcpy(line + 4012, " 00000000:0000 0A 0:0 0:0 0 0 0 1");
	expect_bad(line, TUPLE_V4);
	snprintf(line, sizeof(line), "0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 %s",
		 "1234567890123456789012345");
	expect_bad(line, TUPLE_V4);
	/* A NUL in the middle ends the line there. */
	static const char with_nul[] = "0: 0100007F:0016\0 00000000:0000 0A 0:0 0:0 0 0 0 1";
	struct sock_entry e;
	assert_false(procnet_parse_line(with_nul, TUPLE_V4, 6, &e));
}

/*
 * The inode is a 64-bit number: the largest fits, one more does not and
 * must not wrap around into some other socket's inode.
 */
static void test_inode_range(void **state)
{
	(void)state;
	struct sock_entry e;

	assert_true(parse("0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 18446744073709551615",
			  TUPLE_V4, 6, &e));
	assert_true(e.inode == UINT64_MAX);
	assert_true(parse("0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 00000000000000000042",
			  TUPLE_V4, 6, &e));
	assert_int_equal(e.inode, 42);
	expect_bad("0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 18446744073709551616",
		   TUPLE_V4);
	expect_bad("0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 99999999999999999999",
		   TUPLE_V4);
}

/* ---- fib_trie ---- */

/* This machine's /proc/net/fib_trie (loopback and 192.0.2.2/24). */
static const char fib_trie[] =
	"Main:\n"
	"  +-- 0.0.0.0/0 3 0 5\n"
	"     |-- 0.0.0.0\n"
	"        /0 universe UNICAST\n"
	"     +-- 127.0.0.0/8 2 0 2\n"
	"        +-- 127.0.0.0/31 1 0 0\n"
	"           |-- 127.0.0.0\n"
	"              /8 host LOCAL\n"
	"           |-- 127.0.0.1\n"
	"              /32 host LOCAL\n"
	"        |-- 127.255.255.255\n"
	"           /32 link BROADCAST\n"
	"     +-- 192.0.2.0/24 2 0 2\n"
	"        +-- 192.0.2.0/30 2 0 2\n"
	"           |-- 192.0.2.0\n"
	"              /24 link UNICAST\n"
	"           |-- 192.0.2.2\n"
	"              /32 host LOCAL\n"
	"        |-- 192.0.2.255\n"
	"           /32 link BROADCAST\n"
	"Local:\n"
	"  +-- 0.0.0.0/0 3 0 5\n"
	"     |-- 0.0.0.0\n"
	"        /0 universe UNICAST\n"
	"     +-- 127.0.0.0/8 2 0 2\n"
	"        +-- 127.0.0.0/31 1 0 0\n"
	"           |-- 127.0.0.0\n"
	"              /8 host LOCAL\n"
	"           |-- 127.0.0.1\n"
	"              /32 host LOCAL\n"
	"        |-- 127.255.255.255\n"
	"           /32 link BROADCAST\n"
	"     +-- 192.0.2.0/24 2 0 2\n"
	"        +-- 192.0.2.0/30 2 0 2\n"
	"           |-- 192.0.2.0\n"
	"              /24 link UNICAST\n"
	"           |-- 192.0.2.2\n"
	"              /32 host LOCAL\n"
	"        |-- 192.0.2.255\n"
	"           /32 link BROADCAST\n";

/* Feed text line by line; collect the prefixes as "a.b.c.d/len". */
static size_t fib_feed(const char *text, char out[][32], size_t max)
{
	struct fib_state st;
	size_t n = 0;
	const char *p = text;

	memset(&st, 0, sizeof(st));
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		char *line = malloc(len + 1);
		struct local_prefix lp;

		assert_non_null(line);
		memcpy(line, p, len);
		line[len] = '\0';
		if (procnet_fib_line(&st, line, &lp)) {
			char a[INET_ADDRSTRLEN];
			assert_int_equal(lp.family, TUPLE_V4);
			assert_true(n < max);
			assert_non_null(inet_ntop(AF_INET, lp.addr, a, sizeof(a)));
			snprintf(out[n++], 32, "%s/%u", a, lp.len);
			for (int i = 4; i < 16; i++)
				assert_int_equal(lp.addr[i], 0);
		}
		free(line);
		p += len;
	}
	return n;
}

static void test_fib_trie(void **state)
{
	(void)state;
	static const char *const want[] = {
		"127.0.0.0/8", "127.0.0.1/32", "127.255.255.255/32", "192.0.2.2/32",
		"192.0.2.255/32",
	};
	char got[32][32];
	size_t n = fib_feed(fib_trie, got, 32);

	assert_int_equal(n, 10);	/* Main, then the same again under Local */
	for (size_t i = 0; i < n; i++)
		assert_string_equal(got[i], want[i % 5]);
}

static void test_fib_hostile(void **state)
{
	(void)state;
	char got[8][32];

	/* A prefix line with no address before it. */
	assert_int_equal(fib_feed("              /32 host LOCAL\n", got, 8), 0);
	/* A bad or overlong address forgets the previous one. */
	assert_int_equal(fib_feed("|-- 10.0.0.1\n|-- 300.1.1.1\n  /32 host LOCAL\n", got, 8), 0);
	assert_int_equal(fib_feed("|-- 10.0.0.1\n|-- 10.0.0.10000000000000000000000000000000001\n"
				  "  /32 host LOCAL\n", got, 8), 0);
	assert_int_equal(fib_feed("|-- 10.0.0.1\n|-- \n  /32 host LOCAL\n", got, 8), 0);
	/* Prefix lengths: none, too big, too many digits. */
	assert_int_equal(fib_feed("|-- 10.0.0.1\n  / host LOCAL\n  /33 host LOCAL\n"
				  "  /0032 host LOCAL\n  /x host LOCAL\n", got, 8), 0);
	/* Not local: unicast routes, universe, and cut lines. */
	assert_int_equal(fib_feed("|-- 10.0.0.1\n  /32 link UNICAST\n  /32 universe UNICAST\n"
				  "  /32 host\n  /32 host LOC\n  /32\n", got, 8), 0);
	/* One address, then the good line: exactly one prefix. */
	assert_int_equal(fib_feed("|-- 10.9.8.7\n  /32 host LOCAL\n", got, 8), 1);
	assert_string_equal(got[0], "10.9.8.7/32");
	/* A line without its newline at the end of the text. */
	assert_int_equal(fib_feed("|-- 10.9.8.7\n  /32 host LOCAL", got, 8), 1);
	assert_int_equal(fib_feed("", got, 8), 0);
}

/* ---- if_inet6 ---- */

static bool if6(const char *line, struct local_prefix *lp)
{
	size_t n = strlen(line) + 1;
	char *copy = malloc(n);
	bool ok;

	assert_non_null(copy);
	memcpy(copy, line, n);
	ok = procnet_if_inet6_line(copy, lp);
	free(copy);
	return ok;
}

static void test_if_inet6(void **state)
{
	(void)state;
	struct local_prefix lp;

	assert_true(if6("00000000000000000000000000000001 01 80 10 80       lo\n", &lp));
	assert_int_equal(lp.family, TUPLE_V6);
	assert_int_equal(lp.len, 128);
	check_addr(lp.addr, TUPLE_V6, "::1");
	assert_true(if6("fd000000000000000000000000000002 04 40 00 82     eth0\n", &lp));
	check_addr(lp.addr, TUPLE_V6, "fd00::2");
	assert_true(if6("fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n", &lp));
	check_addr(lp.addr, TUPLE_V6, "fe80::fc:ff:fe00:1");
	assert_true(if6("FE8000000000000000FC00FFFE000001 04 40 20 80     eth0\n", &lp));
	check_addr(lp.addr, TUPLE_V6, "fe80::fc:ff:fe00:1");

	assert_false(if6("", &lp));
	assert_false(if6("\n", &lp));
	assert_false(if6("0000000000000000000000000000001 01 80 10 80 lo\n", &lp));	/* 31 */
	assert_false(if6("000000000000000000000000000000001 01 80 10 80 lo\n", &lp));	/* 33 */
	assert_false(if6("0000000000000000000000000000000g 01 80 10 80 lo\n", &lp));
	assert_false(if6("00000000000000000000000000000001", &lp));	/* nothing after */
	assert_false(if6("00000000000000000000000000000001\t01 80 10 80 lo\n", &lp));
	assert_false(if6("::1 01 80 10 80 lo\n", &lp));
}

/* ---- fd link targets ---- */

static bool link_of(const char *s, size_t len, uint64_t *inode)
{
	/* Not NUL-terminated: exactly len bytes. */
	char *copy = malloc(len ? len : 1);
	bool ok;

	assert_non_null(copy);
	memcpy(copy, s, len);
	ok = procnet_socket_link(copy, len, inode);
	free(copy);
	return ok;
}

static void test_socket_link(void **state)
{
	(void)state;
	uint64_t ino = 0;

	assert_true(link_of("socket:[123]", 12, &ino));
	assert_int_equal(ino, 123);
	assert_true(link_of("socket:[7]", 10, &ino));
	assert_int_equal(ino, 7);
	assert_true(link_of("socket:[18446744073709551615]", 29, &ino));
	assert_true(ino == UINT64_MAX);

	static const char *const bad[] = {
		"socket:[]", "pipe:[1]", "socket:[12a]", "socket:[123", "socket:123]",
		"socket[123]", "Socket:[123]", "socket:[-1]", "socket:[ 1]", "socket:[1 ]",
		"anon_inode:[eventpoll]", "/dev/null", "", "s", "socket:[",
		"socket:[123]]", "socket:[[123]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ino = 4242;
		if (link_of(bad[i], strlen(bad[i]), &ino))
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(ino, 4242);	/* untouched */
	}
	/* The length given rules, not a NUL: the bracket cut off. */
	assert_false(link_of("socket:[123]", 11, &ino));
	/* A target readlink() cut at the buffer size. */
	assert_false(link_of("socket:[1234567", 15, &ino));
}

/* One more than the largest 64-bit inode must not wrap to a small one. */
static void test_socket_link_range(void **state)
{
	(void)state;
	uint64_t ino = 4242;

	assert_false(link_of("socket:[18446744073709551616]", 29, &ino));
	assert_false(link_of("socket:[100000000000000000001]", 30, &ino));
	assert_false(link_of("socket:[1000000000000000000000000000000000000001]", 49, &ino));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_lines),
		cmocka_unit_test(test_tcp6_lines),
		cmocka_unit_test(test_udp_lines),
		cmocka_unit_test(test_raw_lines),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_inode_range),
		cmocka_unit_test(test_fib_trie),
		cmocka_unit_test(test_fib_hostile),
		cmocka_unit_test(test_if_inet6),
		cmocka_unit_test(test_socket_link),
		cmocka_unit_test(test_socket_link_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
