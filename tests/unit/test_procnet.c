/*
 * test_procnet.c - parsers of /proc/net/{tcp,tcp6,udp,udp6,raw},
 * /proc/net/sctp/{assocs,eps}, /proc/net/fib_trie, /proc/net/if_inet6 and
 * fd link targets (core/procnet.h).
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
 * Every prefix of a line as the kernel prints it, each in a heap buffer
 * of its exact size (ASan sees a read past its end): none that stops
 * before the inode parses, and the parser reads nothing past the end
 * (the fixed-width fields are stepped over only when all there).
 */
static void test_every_prefix(void **state)
{
	static const char *const lines[] = {
		"   5: 0500000A:9C40 010200C0:01BB 01 00000000:00000000 00:00000000 00000000"
		"     0        0 123456 1 0000000000000000 100 0 0 10 0\n",
		"  12: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000"
		" 0A 00000000:00000000 00:00000000 00000000  1000        0 987 1 0000000000000000"
		" 100 0 0 10 0\n",
	};
	static const int families[] = { TUPLE_V4, TUPLE_V6 };
	struct sock_entry e, whole;

	(void)state;
	for (size_t l = 0; l < sizeof(lines) / sizeof(lines[0]); l++) {
		size_t n = strlen(lines[l]);
		const char *ino = strstr(lines[l], l == 0 ? " 123456 " : " 987 ") + 1;

		assert_true(procnet_parse_line(lines[l], families[l], 6, &whole));
		assert_int_equal(whole.inode, l == 0 ? 123456 : 987);
		for (size_t k = 0; k <= n; k++) {
			char *buf = malloc(k + 1);
			bool ok;

			assert_non_null(buf);
			memcpy(buf, lines[l], k);
			buf[k] = '\0';
			ok = procnet_parse_line(buf, families[l], 6, &e);
			if (k <= (size_t)(ino - lines[l]))
				assert_false(ok);
			if (k >= (size_t)(ino - lines[l]) + (l == 0 ? 6 : 3))
				assert_true(ok && e.inode == whole.inode);
			free(buf);
		}
	}
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

/* ---- /proc/net/sctp/assocs and eps ---- */

/*
 * Lines in the layout of net/sctp/proc.c: sctp_assocs_seq_show() prints
 * "%8p %8p %-3d %-3d %-2d %-4d %4d %8d %8d %7u %5llu %-5d %5d " (ASSOC SOCK
 * STY SST ST HBKT ASSOC-ID TX_QUEUE RX_QUEUE UID INODE LPORT RPORT), a blank,
 * each local address as "%pI4 " or "%pI6 " ('*' before the primary path's),
 * "<-> ", the remote addresses alike, then "\t" and eleven counters;
 * sctp_eps_seq_show() prints "%8p %8p %-3d %-3d %-4d %-5d %5u %5llu " (ENDPT
 * SOCK STY SST HBKT LPORT UID INODE) and the local addresses.
 */
static const char sctp_assocs_header[] =
	" ASSOC     SOCK   STY SST ST HBKT ASSOC-ID TX_QUEUE RX_QUEUE UID INODE LPORT RPORT"
	" LADDRS <-> RADDRS HBINT INS OUTS MAXRT T1X T2X RTXC wmema wmemq sndbuf rcvbuf\n";
static const char sctp_eps_header[] =
	" ENDPT     SOCK   STY SST HBKT LPORT   UID INODE LADDRS\n";
/* One-to-one socket, established, 2 local x 2 remote addresses (multi-homed). */
static const char sctp_assoc_v4[] =
	"00000000d0a9b2b8 000000007b5c5a2c 1   1   3  0       1        0        0       0 31337"
	" 36412  5001  *10.0.0.5 192.168.1.5 <-> *10.0.0.9 192.168.1.9 \t   30000    10    10"
	"   10    0    0        0        1        0   212992   212992\n";
/* One-to-many (SEQPACKET) listening socket's association over IPv6. */
static const char sctp_assoc_v6[] =
	"00000000c3a1f0aa 00000000e41b7730 5   10  3  0       2        0        0    1000 31340"
	" 5001  36413  *2001:0db8:0000:0000:0000:0000:0000:0005 <->"
	" *2001:0db8:0000:0000:0000:0000:0000:0099 \t   30000    10    10   10    0    0"
	"        0        1        0   212992   212992\n";
/* An IPv6 socket with an IPv4 and an IPv6 address at each end. */
static const char sctp_assoc_mixed[] =
	"000000001f2e3d4c 000000005a6b7c8d 1   1   3  0       3     4096        0       0 31342"
	" 5001  40000  10.0.0.5 *2001:0db8:0000:0000:0000:0000:0000:0005 <->"
	" *2001:0db8:0000:0000:0000:0000:0000:0099 10.0.0.9 \t   30000    10    10   10    0"
	"    0        0        1        0   212992   212992\n";
/* Before the counters were added (2.6 kernels): no tab, raw pointers. */
static const char sctp_assoc_old[] =
	"ffff88003c5e1000 ffff88003a1c8680 1   1   3  0       1        0        0       0  9876"
	" 36412  5001  *10.0.0.5 <-> *10.0.0.9 \n";
static const char sctp_ep_any4[] =
	"00000000a1b2c3d4 00000000e5f60718 1   10  37   5001      0 30211 0.0.0.0 \n";
static const char sctp_ep_any6[] =
	"000000004e5f6071 0000000082939a0b 5   10  38   5002  65534 30212"
	" 0000:0000:0000:0000:0000:0000:0000:0000 \n";
static const char sctp_ep_bindx[] =
	"00000000b0c1d2e3 00000000f4051627 1   10  39   5003      0 30213 10.0.0.5 192.168.1.5"
	" 2001:0db8:0000:0000:0000:0000:0000:0005 \n";

/* The fields of sctp_assoc_v4 before its addresses. */
static const char sctp_assoc_fields[] =
	"00000000d0a9b2b8 000000007b5c5a2c 1   1   3  0       1        0        0       0 31337"
	" 36412  5001  ";
static const char sctp_counters[] =
	"\t   30000    10    10   10    0    0        0        1        0   212992   212992\n";

static size_t sctp(const char *line, bool assoc, struct sock_entry *out, size_t max)
{
	size_t n = strlen(line) + 1;
	char *copy = malloc(n);
	size_t got;

	assert_non_null(copy);
	memcpy(copy, line, n);
	got = procnet_sctp_line(copy, assoc, out, max);
	free(copy);
	return got;
}

/* sctp_assoc_fields, then "LOCALS <-> REMOTES " and the counters. */
static size_t sctp_assoc(const char *locals, const char *remotes, struct sock_entry *out,
			 size_t max)
{
	size_t n = strlen(sctp_assoc_fields) + strlen(locals) + strlen(remotes) +
		   strlen(sctp_counters) + 8;
	char *line = malloc(n);
	size_t got;

	assert_non_null(line);
	snprintf(line, n, "%s%s <-> %s %s", sctp_assoc_fields, locals, remotes, sctp_counters);
	got = sctp(line, true, out, max);
	free(line);
	return got;
}

static void check_sctp(const struct sock_entry *e, int family, const char *laddr, uint16_t lport,
		       const char *raddr, uint16_t rport, uint8_t state, uint64_t inode)
{
	assert_int_equal(e->family, family);
	assert_int_equal(e->proto, 132);
	assert_false(e->raw);
	assert_int_equal(e->state, state);
	check_addr(e->laddr, family, laddr);
	assert_int_equal(e->lport, lport);
	check_addr(e->raddr, family, raddr);
	assert_int_equal(e->rport, rport);
	assert_int_equal(e->inode, inode);
}

/* The v4 association of sctp_assoc_fields: ports 36412 -> 5001, inode 31337. */
static void check_pair(const struct sock_entry *e, const char *laddr, const char *raddr)
{
	check_sctp(e, TUPLE_V4, laddr, 36412, raddr, 5001, 1, 31337);
}

static void test_sctp_assoc_multihomed(void **state)
{
	(void)state;
	struct sock_entry e[16];

	/* The primary path first, then the other local address to the primary
	 * remote one, then the pairs of the other remote address. */
	assert_int_equal(sctp(sctp_assoc_v4, true, e, 16), 4);
	check_pair(&e[0], "10.0.0.5", "10.0.0.9");
	check_pair(&e[1], "192.168.1.5", "10.0.0.9");
	check_pair(&e[2], "10.0.0.5", "192.168.1.9");
	check_pair(&e[3], "192.168.1.5", "192.168.1.9");

	/* The same with both primaries printed last. */
	assert_int_equal(sctp_assoc("192.168.1.5 *10.0.0.5", "192.168.1.9 *10.0.0.9", e, 16), 4);
	check_pair(&e[0], "10.0.0.5", "10.0.0.9");
	check_pair(&e[1], "192.168.1.5", "10.0.0.9");
	check_pair(&e[2], "192.168.1.5", "192.168.1.9");
	check_pair(&e[3], "10.0.0.5", "192.168.1.9");

	/* A primary remote address but no local one marked. */
	assert_int_equal(sctp_assoc("10.0.0.5 192.168.1.5", "192.168.1.9 *10.0.0.9", e, 16), 4);
	check_pair(&e[0], "10.0.0.5", "10.0.0.9");
	check_pair(&e[1], "192.168.1.5", "10.0.0.9");
	check_pair(&e[2], "10.0.0.5", "192.168.1.9");
	check_pair(&e[3], "192.168.1.5", "192.168.1.9");

	/* No primary at all: the kernel's order, local by local. */
	assert_int_equal(sctp_assoc("10.0.0.5 192.168.1.5", "10.0.0.9 192.168.1.9", e, 16), 4);
	check_pair(&e[0], "10.0.0.5", "10.0.0.9");
	check_pair(&e[1], "10.0.0.5", "192.168.1.9");
	check_pair(&e[2], "192.168.1.5", "10.0.0.9");
	check_pair(&e[3], "192.168.1.5", "192.168.1.9");

	/* Single-homed. */
	assert_int_equal(sctp_assoc("*10.0.0.5", "*10.0.0.9", e, 16), 1);
	check_pair(&e[0], "10.0.0.5", "10.0.0.9");
}

static void test_sctp_assoc_ipv6(void **state)
{
	(void)state;
	struct sock_entry e[16];

	assert_int_equal(sctp(sctp_assoc_v6, true, e, 16), 1);
	check_sctp(&e[0], TUPLE_V6, "2001:db8::5", 5001, "2001:db8::99", 36413, 10, 31340);

	/* IPv4 and IPv6 in one line: only pairs of one family, primary first. */
	assert_int_equal(sctp(sctp_assoc_mixed, true, e, 16), 2);
	check_sctp(&e[0], TUPLE_V6, "2001:db8::5", 5001, "2001:db8::99", 40000, 1, 31342);
	check_sctp(&e[1], TUPLE_V4, "10.0.0.5", 5001, "10.0.0.9", 40000, 1, 31342);

	/* The older layout, without the tab and counters. */
	assert_int_equal(sctp(sctp_assoc_old, true, e, 16), 1);
	check_sctp(&e[0], TUPLE_V4, "10.0.0.5", 36412, "10.0.0.9", 5001, 1, 9876);

	/* IPv4-mapped addresses stay IPv6 as printed, and so pair only with IPv6. */
	assert_int_equal(sctp_assoc("*0000:0000:0000:0000:0000:ffff:0a00:0005",
				    "*0000:0000:0000:0000:0000:ffff:0a00:0009", e, 16), 1);
	check_sctp(&e[0], TUPLE_V6, "::ffff:10.0.0.5", 36412, "::ffff:10.0.0.9", 5001, 1, 31337);
	assert_int_equal(sctp_assoc("*0000:0000:0000:0000:0000:ffff:0a00:0005", "*10.0.0.9", e, 16),
			 0);
	/* The compressed forms read the same (the kernel prints %pI6, full). */
	assert_int_equal(sctp_assoc("fe80::211:22ff:fe33:4455", "*fe80::1", e, 16), 1);
	check_sctp(&e[0], TUPLE_V6, "fe80::211:22ff:fe33:4455", 36412, "fe80::1", 5001, 1, 31337);
	/* An IPv6 remote address among IPv4 ones pairs with no IPv4 local one. */
	assert_int_equal(sctp_assoc("*10.0.0.5", "*10.0.0.9 2001:0db8:0000:0000:0000:0000:0000:0099"
				    " 10.1.0.9", e, 16), 2);
	check_pair(&e[0], "10.0.0.5", "10.0.0.9");
	check_pair(&e[1], "10.0.0.5", "10.1.0.9");
	/* Families that never meet: nothing. */
	assert_int_equal(sctp_assoc("10.0.0.5", "*2001:0db8:0000:0000:0000:0000:0000:0099", e, 16), 0);
}

static void test_sctp_eps(void **state)
{
	(void)state;
	struct sock_entry e[16];

	/* Wildcard endpoints: the any address, the remote end any with port 0. */
	assert_int_equal(sctp(sctp_ep_any4, false, e, 16), 1);
	check_sctp(&e[0], TUPLE_V4, "0.0.0.0", 5001, "0.0.0.0", 0, 10, 30211);
	assert_int_equal(sctp(sctp_ep_any6, false, e, 16), 1);
	check_sctp(&e[0], TUPLE_V6, "::", 5002, "::", 0, 10, 30212);

	/* sctp_bindx() to three addresses, IPv4 and IPv6. */
	assert_int_equal(sctp(sctp_ep_bindx, false, e, 16), 3);
	check_sctp(&e[0], TUPLE_V4, "10.0.0.5", 5003, "0.0.0.0", 0, 10, 30213);
	check_sctp(&e[1], TUPLE_V4, "192.168.1.5", 5003, "0.0.0.0", 0, 10, 30213);
	check_sctp(&e[2], TUPLE_V6, "2001:db8::5", 5003, "::", 0, 10, 30213);
	assert_int_equal(sctp(sctp_ep_bindx, false, e, 2), 2);

	/* Without the trailing blank and newline. */
	assert_int_equal(sctp("00000000a1b2c3d4 00000000e5f60718 1   10  37   5001      0 30211"
			      " 0.0.0.0", false, e, 16), 1);
	check_sctp(&e[0], TUPLE_V4, "0.0.0.0", 5001, "0.0.0.0", 0, 10, 30211);

	/* A line of the other file is no line of this one. */
	assert_int_equal(sctp(sctp_ep_bindx, true, e, 16), 0);
	assert_int_equal(sctp(sctp_ep_any4, true, e, 16), 0);
	assert_int_equal(sctp(sctp_assoc_v4, false, e, 16), 0);
	assert_int_equal(sctp(sctp_assoc_old, false, e, 16), 0);
}

static void test_sctp_headers(void **state)
{
	(void)state;
	struct sock_entry e[4];

	for (int assoc = 0; assoc < 2; assoc++) {
		assert_int_equal(sctp(sctp_assocs_header, assoc, e, 4), 0);
		assert_int_equal(sctp(" ASSOC     SOCK   STY SST ST HBKT ASSOC-ID TX_QUEUE RX_QUEUE"
				      " UID INODE LPORT RPORT LADDRS <-> RADDRS\n", assoc, e, 4), 0);
		assert_int_equal(sctp(sctp_eps_header, assoc, e, 4), 0);
		assert_int_equal(sctp("", assoc, e, 4), 0);
		assert_int_equal(sctp("\n", assoc, e, 4), 0);
		assert_int_equal(sctp("   \t  \n", assoc, e, 4), 0);
	}
}

/* A line that must give nothing, and leave out[] untouched. */
static void sctp_bad(const char *line, bool assoc)
{
	struct sock_entry e[4], before[4];

	memset(e, 0xA5, sizeof(e));
	memcpy(before, e, sizeof(e));
	if (sctp(line, assoc, e, 4) != 0)
		fail_msg("accepted: \"%s\"", line);
	assert_memory_equal(e, before, sizeof(e));
}

static void sctp_bad_addrs(const char *locals, const char *remotes)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s%s <-> %s %s", sctp_assoc_fields, locals, remotes,
		 sctp_counters);
	sctp_bad(line, true);
}

static void test_sctp_hostile(void **state)
{
	(void)state;
	struct sock_entry e[8];
	char line[1024];
	const char *arrow = strstr(sctp_assoc_v4, "<-> ");
	const char *first_ep = strstr(sctp_ep_bindx, " 10.0.0.5");

	/* Cut anywhere before its first remote address, an association is
	 * nothing; after, it is what was complete (every cut parsed from an
	 * exact-size copy: a read past the end shows under ASan/valgrind). */
	assert_non_null(arrow);
	for (size_t cut = 0; cut < strlen(sctp_assoc_v4); cut++) {
		memcpy(line, sctp_assoc_v4, cut);
		line[cut] = '\0';
		size_t n = sctp(line, true, e, 8);
		if (cut <= (size_t)(arrow - sctp_assoc_v4) + 4)
			assert_int_equal(n, 0);
		else if (cut > (size_t)(strchr(sctp_assoc_v4, '\t') - sctp_assoc_v4))
			assert_int_equal(n, 4);		/* in the counters: all there */
		else if (n != 0 && n != 2 && n != 4)	/* 0 while a remote is cut */
			fail_msg("cut at %zu: %zu entries", cut, n);
	}
	assert_non_null(first_ep);
	for (size_t cut = 0; cut < strlen(sctp_ep_bindx); cut++) {
		memcpy(line, sctp_ep_bindx, cut);
		line[cut] = '\0';
		size_t n = sctp(line, false, e, 8);
		if (cut <= (size_t)(first_ep - sctp_ep_bindx) + 1)
			assert_int_equal(n, 0);
		else
			assert_in_range(n, 0, 3);
	}

	/* Bad addresses anywhere spoil the whole line: nothing is written. */
	sctp_bad_addrs("*10.0.0.5 10.0.0.256", "*10.0.0.9");
	sctp_bad_addrs("*10.0.0.5", "*10.0.0.9 10.0.0");
	sctp_bad_addrs("*10.0.0.5", "*");
	sctp_bad_addrs("**10.0.0.5", "*10.0.0.9");
	sctp_bad_addrs("*10.0.0.5:36412", "*10.0.0.9");
	sctp_bad_addrs("*10.0.0.5", "*10.0.0.9 1.2.3.4.5");
	sctp_bad_addrs("*10.0.0.5", "*010.0.0.9");
	sctp_bad_addrs("*10.0.0.5", "*2001:db8::5::1");
	sctp_bad_addrs("*10.0.0.5", "*fe80::1%eth0");
	sctp_bad_addrs("*10.0.0.5", "*2001:0db8:0000:0000:0000:0000:0000:0000:0099");
	sctp_bad_addrs("*10.0.0.5", "*0000:0000:0000:0000:0000:ffff:255.255.255.255x");
	sctp_bad_addrs("*10.0.0.5", "*10.0.0.9 <-> 10.0.0.8");	/* a second arrow */
	sctp_bad_addrs("*10.0.0.5", "*10.0.0.9 0");		/* a counter without its tab */
	sctp_bad_addrs("", "*10.0.0.9");				/* nothing local: no pair */
	sctp_bad_addrs("*10.0.0.5", "");				/* nothing remote */
	/* An association without its arrow. */
	snprintf(line, sizeof(line), "%s*10.0.0.5 *10.0.0.9 %s", sctp_assoc_fields, sctp_counters);
	sctp_bad(line, true);
	/* An endpoint without an address. */
	sctp_bad("00000000a1b2c3d4 00000000e5f60718 1   10  37   5001      0 30211 \n", false);
	sctp_bad("00000000a1b2c3d4 00000000e5f60718 1   10  37   5001      0 30211 <-> 0.0.0.0\n",
		 false);
	/* A NUL before the arrow ends the line there. */
	static const char with_nul[] =
		"00000000d0a9b2b8 000000007b5c5a2c 1   1   3  0       1        0        0       0 31337"
		" 36412  5001  *10.0.0.5\0 <-> *10.0.0.9 \n";
	assert_int_equal(procnet_sctp_line(with_nul, true, e, 8), 0);

	/* The fields: each must be a number in its range. */
	static const char *const bad_fields[] = {
		"p s x 1 3 0 1 0 0 0 31337 36412 5001 ",	/* STY */
		"p s 1 256 3 0 1 0 0 0 31337 36412 5001 ",	/* SST beyond a byte */
		"p s 1 -1 3 0 1 0 0 0 31337 36412 5001 ",	/* SST signed */
		"p s 1 1 3 0 - 0 0 0 31337 36412 5001 ",	/* a sign alone */
		"p s 1 1 3 0 1 --1 0 0 31337 36412 5001 ",
		"p s 1 1 3 0 1 0 0 4294967296 31337 36412 5001 ",	/* UID */
		"p s 1 1 3 0 1 0 0 0 18446744073709551616 36412 5001 ",	/* inode */
		"p s 1 1 3 0 1 0 0 0 99999999999999999999 36412 5001 ",
		"p s 1 1 3 0 1 0 0 0 313a7 36412 5001 ",
		"p s 1 1 3 0 1 0 0 0 +31337 36412 5001 ",
		"p s 1 1 3 0 1 0 0 0 31337 65536 5001 ",	/* ports */
		"p s 1 1 3 0 1 0 0 0 31337 36412 -5001 ",
		"p s 1 1 3 0 1 0 0 0 31337 36412 0x1389 ",
		"p s 1 1 3 0 1 0 0 0 31337 36412 ",		/* RPORT missing: 10.0.0.5 */
	};
	for (size_t i = 0; i < sizeof(bad_fields) / sizeof(bad_fields[0]); i++) {
		snprintf(line, sizeof(line), "%s*10.0.0.5 <-> *10.0.0.9 \n", bad_fields[i]);
		sctp_bad(line, true);
	}
	/* The edges of the ranges, and negative signed fields, are fine. */
	snprintf(line, sizeof(line), "p s 1 255 3 0 -1 -4 -8 4294967295 18446744073709551615 65535 0"
		 "  *10.0.0.5 <-> *10.0.0.9 \n");
	assert_int_equal(sctp(line, true, e, 8), 1);
	assert_int_equal(e[0].state, 255);
	assert_true(e[0].inode == UINT64_MAX);
	assert_int_equal(e[0].lport, 65535);
	assert_int_equal(e[0].rport, 0);

	/* Overlong tokens. */
	memset(line, 'A', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	sctp_bad(line, true);
	sctp_bad(line, false);
	snprintf(line, sizeof(line), "%s*", sctp_assoc_fields);
	memset(line + strlen(line), '1', 500);
	line[strlen(sctp_assoc_fields) + 501] = '\0';
	strcat(line, " <-> *10.0.0.9 \n");
	sctp_bad(line, true);
}

/* Index of e's (local, remote) pair in loc x rem; fails if it is none. */
static size_t pair_index(const struct sock_entry *e, const char *const *loc, size_t nloc,
			 const char *const *rem, size_t nrem)
{
	uint8_t la[16], ra[16];

	for (size_t i = 0; i < nloc; i++) {
		for (size_t j = 0; j < nrem; j++) {
			addr_parse(la, TUPLE_V4, loc[i]);
			addr_parse(ra, TUPLE_V4, rem[j]);
			if (memcmp(e->laddr, la, 16) == 0 && memcmp(e->raddr, ra, 16) == 0)
				return i * nrem + j;
		}
	}
	fail_msg("a pair that is not in the line");
	return 0;
}

/* More pairs than max: exactly max are written, the primary path first. */
static void test_sctp_max(void **state)
{
	(void)state;
	struct sock_entry e[16];
	static const char *const loc[] = { "10.0.0.5", "10.1.0.5", "10.2.0.5" };
	static const char *const rem[] = { "10.0.0.9", "10.1.0.9", "10.2.0.9", "10.3.0.9" };
	const char *locals = "10.0.0.5 *10.1.0.5 10.2.0.5";
	const char *remotes = "10.0.0.9 10.1.0.9 *10.2.0.9 10.3.0.9";
	bool seen[12];

	/* Room for all 12 (and more): each pair exactly once. */
	assert_int_equal(sctp_assoc(locals, remotes, e, 16), 12);
	memset(seen, 0, sizeof(seen));
	for (size_t k = 0; k < 12; k++) {
		size_t i = pair_index(&e[k], loc, 3, rem, 4);
		assert_false(seen[i]);
		seen[i] = true;
		assert_int_equal(e[k].family, TUPLE_V4);
		assert_int_equal(e[k].proto, 132);
		assert_int_equal(e[k].lport, 36412);
		assert_int_equal(e[k].rport, 5001);
		assert_int_equal(e[k].inode, 31337);
	}
	/* Exactly 12 of room. */
	assert_int_equal(sctp_assoc(locals, remotes, e, 12), 12);

	/* Room for 5: the primary path, the other local addresses to the
	 * primary remote one, then the first local address's other pairs; the
	 * entry after them is not touched. */
	memset(e, 0xA5, sizeof(e));
	assert_int_equal(sctp_assoc(locals, remotes, e, 5), 5);
	check_pair(&e[0], "10.1.0.5", "10.2.0.9");
	check_pair(&e[1], "10.0.0.5", "10.2.0.9");
	check_pair(&e[2], "10.2.0.5", "10.2.0.9");
	check_pair(&e[3], "10.0.0.5", "10.0.0.9");
	check_pair(&e[4], "10.0.0.5", "10.1.0.9");
	for (size_t k = 0; k < sizeof(e[5]); k++)
		assert_int_equal(((const uint8_t *)&e[5])[k], 0xA5);

	/* Room for 1: the primary path; for none: nothing, out not used. */
	assert_int_equal(sctp_assoc(locals, remotes, e, 1), 1);
	check_pair(&e[0], "10.1.0.5", "10.2.0.9");
	assert_int_equal(sctp_assoc(locals, remotes, NULL, 0), 0);
	assert_int_equal(sctp(sctp_ep_bindx, false, NULL, 0), 0);
}

/*
 * Hundreds of addresses a side (a wildcard-bound endpoint on a host with
 * many addresses lists them all): every address is read, the pairs stop at
 * max, and families that never meet cost no pairs.
 */
static void test_sctp_many(void **state)
{
	(void)state;
	enum { N = 300 };
	struct sock_entry e[64];
	size_t size = N * 2 * 48 + 512, at;
	char *locals = malloc(size), *remotes = malloc(size);

	assert_non_null(locals);
	assert_non_null(remotes);
	/* N IPv4 local addresses, N IPv6 remote ones: no pair at all. */
	at = 0;
	for (int i = 0; i < N; i++)
		at += (size_t)snprintf(locals + at, size - at, "%s10.%d.%d.5", i ? " " : "*",
				       i / 256, i % 256);
	at = 0;
	for (int i = 0; i < N; i++)
		at += (size_t)snprintf(remotes + at, size - at, "%s2001:0db8:0000:0000:0000:0000:%04x:0099",
				       i ? " " : "*", i);
	assert_int_equal(sctp_assoc(locals, remotes, e, 64), 0);

	/* N x N IPv4: max pairs, the primary path first. */
	at = 0;
	for (int i = 0; i < N; i++)
		at += (size_t)snprintf(remotes + at, size - at, "%s%s172.16.%d.%d", i ? " " : "",
				       i == N - 1 ? "*" : "", i / 256, i % 256);
	assert_int_equal(sctp_assoc(locals, remotes, e, 64), 64);
	check_pair(&e[0], "10.0.0.5", "172.16.1.43");		/* 299: 1.43 */
	check_pair(&e[1], "10.0.1.5", "172.16.1.43");
	check_pair(&e[63], "10.0.63.5", "172.16.1.43");
	/* A bad address at the very end still spoils the line. */
	strcat(remotes, " 172.16.300.1");
	assert_int_equal(sctp_assoc(locals, remotes, e, 64), 0);
	free(locals);
	free(remotes);
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
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_inode_range),
		cmocka_unit_test(test_sctp_assoc_multihomed),
		cmocka_unit_test(test_sctp_assoc_ipv6),
		cmocka_unit_test(test_sctp_eps),
		cmocka_unit_test(test_sctp_headers),
		cmocka_unit_test(test_sctp_hostile),
		cmocka_unit_test(test_sctp_max),
		cmocka_unit_test(test_sctp_many),
		cmocka_unit_test(test_fib_trie),
		cmocka_unit_test(test_fib_hostile),
		cmocka_unit_test(test_if_inet6),
		cmocka_unit_test(test_socket_link),
		cmocka_unit_test(test_socket_link_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
