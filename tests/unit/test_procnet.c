/* Unit tests: /proc/net parsers on real and hostile lines. */
#include "unit.h"

#include "../../core/procnet.h"
#include "../../core/tuple.h"

static void tcp_line(void **state)
{
	struct sock_entry e;
	const char *line = "   0: 0100007F:0016 0500000A:9C40 01 00000000:00000000 00:00000000 "
			   "00000000     0        0 12345 1 0000000000000000 20 4 30 10 -1\n";

	(void)state;
	assert_true(procnet_parse_line(line, TUPLE_V4, 6, &e));
	assert_memory_equal(e.laddr, "\x7f\x00\x00\x01", 4);	/* host-order hex */
	assert_memory_equal(e.raddr, "\x0a\x00\x00\x05", 4);
	assert_int_equal(e.lport, 22);
	assert_int_equal(e.rport, 40000);
	assert_int_equal(e.state, 1);
	assert_int_equal(e.inode, 12345);
	assert_int_equal(e.proto, 6);
	assert_false(e.raw);
}

static void tcp6_and_v4_mapped(void **state)
{
	struct sock_entry e;
	const char *v6 = "  1: B80D0120000000000000000005000000:C350 B80D0120000000000000000099000000:0050 "
			 "01 00000000:00000000 00:00000000 00000000     0        0 777 1 0 20 4 30 10 -1\n";
	const char *mapped = "  2: 0000000000000000FFFF00000500000A:1F90 0000000000000000FFFF00000700000A:8235 "
			     "01 00000000:00000000 00:00000000 00000000     0        0 778 1 0 20 4 30 10 -1\n";

	(void)state;
	assert_true(procnet_parse_line(v6, TUPLE_V6, 6, &e));
	assert_int_equal(e.family, TUPLE_V6);
	assert_memory_equal(e.laddr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05", 16);
	assert_int_equal(e.lport, 50000);
	assert_true(procnet_parse_line(mapped, TUPLE_V6, 6, &e));
	assert_int_equal(e.family, TUPLE_V4);			/* dual-stack, talking IPv4 */
	assert_memory_equal(e.laddr, "\x0a\x00\x00\x05\0\0\0\0", 8);
	assert_memory_equal(e.raddr, "\x0a\x00\x00\x07", 4);
	assert_int_equal(e.lport, 8080);
}

static void raw_line_takes_protocol(void **state)
{
	struct sock_entry e;
	const char *raw = "  48: 00000000:002F 00000000:0000 07 00000000:00000000 00:00000000 "
			  "00000000     0        0 19319 2 000000009bd11120 0\n";

	(void)state;
	assert_true(procnet_parse_line(raw, TUPLE_V4, PROCNET_RAW, &e));
	assert_true(e.raw);
	assert_int_equal(e.proto, 47);
	assert_int_equal(e.lport, 0);
	assert_int_equal(e.inode, 19319);
}

static void hostile_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
		"   0: 0100007F:0016\n",
		"   0: 0100007G:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
		"   0: 100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
		"   0: 0100007F:016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
		"   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0\n",
		"   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12a 1\n",
		"   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 123456789012345678901 1\n",
		"   0: 0100007F:0016 00000000:0000 XYZ 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
		"   x: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n",
	};
	struct sock_entry e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(procnet_parse_line(bad[i], TUPLE_V4, 6, &e));
	/* An IPv4-length address in an IPv6 table is wrong too. */
	assert_false(procnet_parse_line("   0: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1 1\n",
					TUPLE_V6, 6, &e));
	/* A raw "port" is a protocol number: at most 255. */
	assert_false(procnet_parse_line("   0: 00000000:0100 00000000:0000 07 0:0 0:0 0 0 0 5 1\n",
					TUPLE_V4, PROCNET_RAW, &e));
}

static void fib_trie(void **state)
{
	const char *text[] = {
		"Local:\n", "  +-- 0.0.0.0/0 3 0 5\n", "     +-- 127.0.0.0/8 2 0 2\n",
		"           |-- 127.0.0.0\n", "              /8 host LOCAL\n",
		"           |-- 127.0.0.1\n", "              /32 host LOCAL\n",
		"        |-- 192.0.2.0\n", "           /24 link UNICAST\n",
		"        |-- 192.0.2.255\n", "           /32 link BROADCAST\n",
		"              /32 host LOCAL\n",	/* a second entry for the same address */
		"           |-- not.an.address\n", "              /32 host LOCAL\n",
		"           |-- 10.0.0.5\n", "              /99 host LOCAL\n",
	};
	struct fib_state st = { 0 };
	struct local_prefix p, got[8];
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		if (procnet_fib_line(&st, text[i], &p))
			got[n++] = p;
	}
	assert_int_equal(n, 4);
	assert_memory_equal(got[0].addr, "\x7f\0\0\0", 4);
	assert_int_equal(got[0].len, 8);
	assert_memory_equal(got[1].addr, "\x7f\0\0\x01", 4);
	assert_int_equal(got[1].len, 32);
	assert_memory_equal(got[2].addr, "\xc0\x00\x02\xff", 4);	/* broadcast */
	assert_memory_equal(got[3].addr, "\xc0\x00\x02\xff", 4);
}

static void if_inet6_and_socket_links(void **state)
{
	struct local_prefix p;
	uint64_t inode = 0;

	(void)state;
	assert_true(procnet_if_inet6_line("fd000000000000000000000000000002 04 40 00 82     eth0\n", &p));
	assert_int_equal(p.family, TUPLE_V6);
	assert_int_equal(p.len, 128);
	assert_int_equal(p.addr[0], 0xfd);
	assert_int_equal(p.addr[15], 0x02);
	assert_false(procnet_if_inet6_line("fd00000000000000000000000000002\n", &p));
	assert_false(procnet_if_inet6_line("", &p));
	assert_false(procnet_if_inet6_line("zz000000000000000000000000000002 04 40 00 82 eth0\n", &p));

	assert_true(procnet_socket_link("socket:[12345]", 14, &inode));
	assert_int_equal(inode, 12345);
	assert_false(procnet_socket_link("socket:[]", 9, &inode));
	assert_false(procnet_socket_link("pipe:[12]", 9, &inode));
	assert_false(procnet_socket_link("socket:[12a]", 12, &inode));
	assert_false(procnet_socket_link("socket:[12", 10, &inode));
	assert_false(procnet_socket_link("socket:[123456789012345678901234567890]", 39, &inode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_line),
		cmocka_unit_test(tcp6_and_v4_mapped),
		cmocka_unit_test(raw_line_takes_protocol),
		cmocka_unit_test(hostile_lines),
		cmocka_unit_test(fib_trie),
		cmocka_unit_test(if_inet6_and_socket_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
