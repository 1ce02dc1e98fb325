/*
 * Unit tests: a whole session reading a file (core/session.c), against a
 * /proc fixture. A regular file's flows are attributed while its packets
 * are still read, once the /proc pass is over; the report must be the one
 * that attributing every flow at the end gives.
 */
#include "unit.h"

#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../core/session.h"
#include "helpers.h"

#define NSOCK 20	/* flows with a socket: pid 1000's */
#define NBARE 2000	/* flows with none: local end 10.0.0.5, no socket */
#define NPKT 400000	/* enough that the packets outlast the /proc pass */

struct ledger {
	uint64_t sent_bytes, recv_bytes, bare_bytes;
};

/* A raw IPv4 TCP packet of ip_len bytes (40 captured) between the two ends. */
static void put_packet(pcap_dumper_t *d, const uint8_t src[4], uint16_t sport,
		       const uint8_t dst[4], uint16_t dport, uint16_t ip_len, uint32_t t)
{
	uint8_t p[40] = { 0x45, 0 };
	struct pcap_pkthdr h = { { (time_t)(t / 1000), (suseconds_t)(t % 1000) * 1000 }, 40, ip_len };

	p[2] = (uint8_t)(ip_len >> 8);
	p[3] = (uint8_t)ip_len;
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[32] = 0x50;		/* data offset: 5 words */
	pcap_dump((u_char *)d, &h, p);
}

/* The capture: packets spread over every flow at random, both ways. */
static void write_capture(const char *path, struct ledger *l)
{
	static const uint8_t local[4] = { 10, 0, 0, 5 }, peer[4] = { 192, 0, 2, 1 },
			     other[4] = { 192, 0, 2, 2 };
	pcap_t *dead = pcap_open_dead(DLT_RAW, 128);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	uint64_t rng = 42;

	assert_non_null(d);
	memset(l, 0, sizeof(*l));
	for (uint32_t i = 0; i < NPKT; i++) {
		uint32_t f = i < NSOCK + NBARE ? i : (uint32_t)(rng_next(&rng) % (NSOCK + NBARE));
		uint16_t len = (uint16_t)(40 + rng_next(&rng) % 1400);
		bool out = rng_next(&rng) & 1;
		bool sock = f < NSOCK;
		uint16_t lport = (uint16_t)(sock ? 40000 + f : 50000 + f);
		const uint8_t *remote = sock ? peer : other;

		if (out)
			put_packet(d, local, lport, remote, 443, len, i);
		else
			put_packet(d, remote, 443, local, lport, len, i);
		if (!sock)
			l->bare_bytes += len;
		else if (out)
			l->sent_bytes += len;
		else
			l->recv_bytes += len;
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

/* pid 1000 holds the NSOCK connected sockets. */
static char *write_fixture(void)
{
	static const char *const addrs[] = { "10.0.0.5" };
	struct fixture fx;
	uint64_t inodes[NSOCK];

	fx.root = fx_new_root();
	fx_table_init(&fx.tcp, TUPLE_V4);
	fx_table_init(&fx.tcp6, TUPLE_V6);
	fx_table_init(&fx.udp, TUPLE_V4);
	fx_table_init(&fx.udp6, TUPLE_V6);
	for (int i = 0; i < NSOCK; i++) {
		inodes[i] = 5000 + (uint64_t)i;
		fx_add(&fx.tcp, TUPLE_V4, "10.0.0.5", (uint16_t)(40000 + i), "192.0.2.1", 443, 1,
		       inodes[i]);
	}
	fx_write_tables(&fx);
	fx_fib_trie(fx.root, addrs, 1);
	fx_puts(fx.root, "net/if_inet6", "");
	fx_proc(fx.root, 1000, "client", 0, CMD("client\0"), 12345, inodes, NSOCK);
	return fx.root;
}

/* Reports go to a memory stream, as CSV. */
struct sink {
	FILE *f;
};

static int to_sink(void *ctx, const struct report_data *d)
{
	struct sink *k = ctx;
	struct report_opts o;

	memset(&o, 0, sizeof(o));
	o.format = OUT_CSV;
	o.header = true;
	return report_write(k->f, &o, d, true);
}

/* The end-of-run report (session_finish) as a string. */
static char *report(struct session *s, struct sink *k)
{
	char *buf = NULL;
	size_t len = 0;

	k->f = open_memstream(&buf, &len);
	assert_non_null(k->f);
	assert_int_equal(session_finish(s), 0);
	assert_int_equal(fclose(k->f), 0);
	return buf;
}

/* The CSV row that starts with start (after a newline): its sent and received bytes. */
static void row_bytes(const char *csv, const char *start, uint64_t *sent, uint64_t *recv)
{
	const char *p = strstr(csv, start);

	assert_non_null(p);
	/* pid,user,command,sent_bytes,recv_bytes,... (proctraf.1) */
	for (int comma = 0; comma < 3; comma++) {
		p = strchr(p, ',');
		assert_non_null(p);
		p++;
	}
	*sent = strtoull(p, NULL, 10);
	p = strchr(p, ',');
	assert_non_null(p);
	*recv = strtoull(p + 1, NULL, 10);
}

static void early_attribution_gives_the_same_report(void **state)
{
	char pcap_path[] = "/tmp/proctraf-test-session-XXXXXX";
	int fd = mkstemp(pcap_path);
	char *root = write_fixture(), *first = NULL, *second;
	struct ledger l;
	size_t early = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_capture(pcap_path, &l);
	/*
	 * The /proc pass (20 fds) ends long before 400,000 packets do; a
	 * host busy enough to delay that thread by their whole read gets two
	 * more tries.
	 */
	for (int attempt = 0; attempt < 3 && early == 0; attempt++) {
		struct session_config cfg = { 0 };
		atomic_int stop = 0;
		struct session_signals sig = { &stop, NULL };
		struct sink k;
		struct session *s;
		char err[256];

		cfg.emit = to_sink;
		cfg.emit_ctx = &k;
		cfg.file = pcap_path;
		cfg.max_flows = 1000000;
		cfg.proc_root = root;
		cfg.resolve_interval = 1;
		assert_int_equal(session_open(&cfg, &s, err, sizeof(err)), 0);
		assert_int_equal(session_run(s, &sig, err, sizeof(err)), 0);
		free(first);
		first = report(s, &k);
		early = session_early_flows(s);
		/* A second report attributes every flow itself. */
		second = report(s, &k);
		assert_int_equal(session_early_flows(s), 0);
		assert_string_equal(first, second);
		free(second);
		session_close(s);
	}
	assert_true(early > 0);
	assert_true(early <= NSOCK + NBARE);

	uint64_t sent, recv;
	row_bytes(first, "\n1000,", &sent, &recv);
	assert_int_equal(sent, l.sent_bytes);
	assert_int_equal(recv, l.recv_bytes);
	/* The flows without a socket: their local end's side, unknown. */
	row_bytes(first, "\n,\"\",\"unknown:no-socket\",", &sent, &recv);
	assert_int_equal(sent + recv, l.bare_bytes);

	free(first);
	unlink(pcap_path);
	fx_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(early_attribution_gives_the_same_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
