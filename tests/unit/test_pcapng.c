/*
 * Unit tests: the pcapng annotations of -w and their reader for -r
 * (core/pcapng.h, core/pcapng_writer.h, core/pcapng_reader.h).
 *
 * Records are decoded from heap blocks of exactly their size, so that a
 * read one byte past the end is caught by ASan or valgrind; every prefix
 * of a record, and of a whole file, must be refused or read safely. The
 * writer is driven through an owner source of the test's own (the resolver
 * interface the reader also implements), and what it writes is read back
 * by libpcap (packets, times, lengths) and by the reader (owners).
 */
#include "unit.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../core/annot.h"
#include "../../core/attribute.h"
#include "../../core/decode.h"
#include "../../core/flowtab.h"
#include "../../core/pcapng.h"
#include "../../core/pcapng_reader.h"
#include "../../core/pcapng_writer.h"
#include "helpers.h"
#include "lookup_at.h"

static uint8_t *exact(const uint8_t *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	if (n)
		memcpy(p, src, n);
	return p;
}

static struct tuple tuple4(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			   uint8_t proto)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = TUPLE_V4;
	t.proto = proto;
	addr_parse(t.src, TUPLE_V4, src);
	addr_parse(t.dst, TUPLE_V4, dst);
	t.sport = sport;
	t.dport = dport;
	return t;
}

/* ---- records ---- */

static void owners_round_trip(void **state)
{
	(void)state;
	struct pt_owners o, back;
	uint8_t rec[PT_OWNERS_MAX];

	for (int v6 = 0; v6 < 2; v6++) {
		memset(&o, 0, sizeof(o));
		o.t = tuple4("10.0.0.5", 40000, "192.0.2.1", 443, 6);
		if (v6) {
			o.t.family = TUPLE_V6;
			addr_parse(o.t.src, TUPLE_V6, "2001:db8::5");
			addr_parse(o.t.dst, TUPLE_V6, "2001:db8::ff");
		}
		o.state[0] = PT_LOCAL | PT_OWNED;
		o.state[1] = PT_NO_SOCKET;
		o.id[0] = 0x01020304;
		size_t n = pt_owners_encode(&o, rec);
		assert_int_equal(n, v6 ? 52 : 28);
		uint8_t *p = exact(rec, n);
		assert_true(pt_owners_decode(p, n, &back));
		assert_memory_equal(&back.t, &o.t, sizeof(o.t));
		assert_int_equal(back.state[0], o.state[0]);
		assert_int_equal(back.state[1], o.state[1]);
		assert_int_equal(back.id[0], o.id[0]);
		assert_int_equal(back.id[1], 0);
		free(p);
		/* Every shorter (and one longer) option is not a record. */
		for (size_t k = 0; k < n; k++) {
			p = exact(rec, k);
			assert_false(pt_owners_decode(p, k, &back));
			free(p);
		}
		uint8_t longer[PT_OWNERS_MAX + 1];
		memcpy(longer, rec, n);
		longer[n] = 0;
		assert_false(pt_owners_decode(longer, n + 1, &back));
	}
}

static void owners_refused(void **state)
{
	(void)state;
	struct pt_owners o, back;
	uint8_t rec[PT_OWNERS_MAX], bad[PT_OWNERS_MAX];
	size_t n;

	memset(&o, 0, sizeof(o));
	o.t = tuple4("10.0.0.5", 1, "10.0.0.6", 2, 17);
	o.state[0] = PT_OWNED;
	o.id[0] = 7;
	o.state[1] = PT_NO_SOCKET;
	n = pt_owners_encode(&o, rec);
	assert_true(pt_owners_decode(rec, n, &back));
	/* magic, type, flags, reason, a state out of range, an owned end without id, an id without owner */
	const struct {
		size_t at;
		uint8_t v;
	} flips[] = { { 0, 'Q' }, { 2, PT_REC_PROCESS }, { 3, 2 }, { 5, 6 }, { 6, 4 },
		      { 11, 0 }, { 15, 1 } };
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(bad, rec, n);
		bad[flips[i].at] = flips[i].v;
		if (flips[i].at == 11)
			memset(bad + 8, 0, 4);	/* end 0 owned, id 0 */
		assert_false(pt_owners_decode(bad, n, &back));
	}
}

static void process_round_trip(void **state)
{
	(void)state;
	struct proc_info p;
	struct pt_process d;
	struct pbuf b = { 0 };

	memset(&p, 0, sizeof(p));
	p.pid = 4120;
	p.have_uid = true;
	p.uid = 65534;
	p.start = 123456789012ULL;
	p.netns = 4026531840ULL;
	strcpy(p.comm, "cu\nrl \xff");
	p.cmdline = "curl -s https://example.org/";
	p.cgroup = "/user.slice/user-1000.slice/session-7.scope";
	pt_process_encode(&p, 3, &b);
	assert_false(b.failed);
	uint8_t *rec = exact(b.p, b.len);
	assert_true(pt_process_decode(rec, b.len, &d));
	assert_int_equal(d.id, 3);
	assert_int_equal(d.pid, 4120);
	assert_true(d.have_uid);
	assert_int_equal(d.uid, 65534);
	assert_int_equal(d.start, p.start);
	assert_int_equal(d.netns, p.netns);
	assert_int_equal(d.comm_len, strlen(p.comm));
	assert_memory_equal(d.comm, p.comm, d.comm_len);
	assert_memory_equal(d.cmdline, p.cmdline, strlen(p.cmdline));
	assert_int_equal(d.cgroup_len, strlen(p.cgroup));
	free(rec);
	for (size_t k = 0; k < b.len; k++) {
		rec = exact(b.p, k);
		assert_false(pt_process_decode(rec, k, &d));
		free(rec);
	}
	pbuf_free(&b);

	/* No uid, no cgroup; a cgroup too long for one option is cut to fit it. */
	p.have_uid = false;
	p.cgroup = NULL;
	pt_process_encode(&p, 4, &b);
	assert_true(pt_process_decode(b.p, b.len, &d));
	assert_false(d.have_uid);
	assert_null(d.cgroup);
	pbuf_free(&b);
	char *huge = malloc(70000);
	assert_non_null(huge);
	memset(huge, 'x', 69999);
	huge[69999] = '\0';
	p.cgroup = huge;
	p.cmdline = huge;
	pt_process_encode(&p, 5, &b);
	assert_true(b.len <= UINT16_MAX - 4);
	assert_true(pt_process_decode(b.p, b.len, &d));
	assert_int_equal(d.cmdline_len, PT_STRING_MAX);
	assert_int_equal(4 + b.len, UINT16_MAX);
	pbuf_free(&b);
	free(huge);
}

/* ---- comments ---- */

static void comment_escapes(void **state)
{
	(void)state;
	char buf[4 * 64 + 1];

	pt_escape_comm("a b;c\\d\x01\x7f\xff", buf, sizeof(buf));
	assert_string_equal(buf, "a\\x20b\\x3bc\\\\d\\x01\\x7f\\xff");
	/* Valid UTF-8 that only prints stays; a bidi override does not. */
	pt_escape_comm("\xe6\xb8\xac\xe8\xa9\xa6", buf, sizeof(buf));
	assert_string_equal(buf, "\xe6\xb8\xac\xe8\xa9\xa6");
	pt_escape_comm("x\xe2\x80\xaey", buf, sizeof(buf));
	assert_string_equal(buf, "x\\xe2\\x80\\xaey");
}

static void comments_per_row(void **state)
{
	(void)state;
	struct proc_info a, b;
	struct attribution at;
	char buf[PT_COMMENT_MAX];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.pid = 4120;
	strcpy(a.comm, "curl");
	b.pid = 77;
	strcpy(b.comm, "nginx");
	memset(&at, 0, sizeof(at));
	at.owner[0] = &a;
	at.owner[1] = &b;
	at.local[0] = at.local[1] = true;
	pt_comment(&at, false, false, buf);
	assert_string_equal(buf, "pid=4120 comm=curl dir=out; pid=77 comm=nginx dir=in");
	pt_comment(&at, true, false, buf);
	assert_string_equal(buf, "pid=77 comm=nginx dir=out; pid=4120 comm=curl dir=in");
	/* The other end is ours but has no socket: its row is an unknown one. */
	at.owner[1] = NULL;
	at.end_reason[1] = REASON_NO_SOCKET;
	pt_comment(&at, true, false, buf);
	assert_string_equal(buf, "unknown=no-socket dir=out; pid=4120 comm=curl dir=in");
	/* No owner: one clause, sent when the packet left an address of ours. */
	memset(&at, 0, sizeof(at));
	at.reason = REASON_NOT_LOCAL;
	pt_comment(&at, false, true, buf);
	assert_string_equal(buf, "unknown=not-local dir=in");
	at.reason = REASON_NO_PROCESS;
	at.local[1] = true;
	pt_comment(&at, true, false, buf);
	assert_string_equal(buf, "unknown=no-process dir=out");
	pt_comment_table_full(true, buf);
	assert_string_equal(buf, "unknown=table-full dir=out");
}

/*
 * pt_owners_of's states, looked up as the reader does, give
 * attribute_flow's answer again: checked here for every kind of flow by
 * redoing attribute_flow's derivation from the states.
 */
static void states_give_the_attribution_back(void **state)
{
	(void)state;
	struct proc_info p;
	const uint32_t ids[2] = { 9, 9 };
	const enum unknown_reason reasons[] = { REASON_NO_SOCKET, REASON_NO_PROCESS,
						REASON_NO_PERMISSION, REASON_NOT_LOCAL };

	memset(&p, 0, sizeof(p));
	for (size_t r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++) {
		for (int l = 0; l < 4; l++) {
			struct attribution a;
			struct pt_owners o;

			memset(&a, 0, sizeof(a));
			a.local[0] = l & 1;
			a.local[1] = l & 2;
			if (reasons[r] == REASON_NOT_LOCAL ? l != 0 : l == 0)
				continue;
			a.reason = reasons[r];
			pt_owners_of(&a, ids, false, &o);
			/* attribute_flow: no-permission, then no-process, then local or not. */
			bool perm = false, proc = false;
			for (int e = 0; e < 2; e++) {
				assert_int_equal(o.id[e], 0);
				assert_int_equal(!!(o.state[e] & PT_LOCAL), a.local[e]);
				perm |= (o.state[e] & 7) == PT_NO_PERMISSION;
				proc |= (o.state[e] & 7) == PT_NO_PROCESS;
			}
			enum unknown_reason got = perm ? REASON_NO_PERMISSION
						  : proc ? REASON_NO_PROCESS
						  : l ? REASON_NO_SOCKET : REASON_NOT_LOCAL;
			assert_int_equal(got, a.reason);
			assert_int_equal(pt_reason_of(o.reason), a.reason);
		}
	}
	/* One owner; the other end ours with no process: both said, swapped with the packet. */
	struct attribution a;
	struct pt_owners o;
	memset(&a, 0, sizeof(a));
	a.owner[1] = &p;
	a.local[0] = a.local[1] = true;
	a.end_reason[0] = REASON_NO_PROCESS;
	pt_owners_of(&a, ids, true, &o);
	assert_int_equal(o.state[0], PT_LOCAL | PT_OWNED);
	assert_int_equal(o.id[0], 9);
	assert_int_equal(o.state[1], PT_LOCAL | PT_NO_PROCESS);
	assert_int_equal(o.id[1], 0);
}

/* ---- writer and reader, through an owner source of the test's ---- */

static struct proc_info procs[3];	/* [2]: an injector (injected_flows_read_back) */

/* 10.0.0.5:40000 is pid 100's, 10.0.0.5:5353 pid 200's; 10.0.0.5 is ours. */
static enum owner_status fake_lookup(void *ctx, const struct flow_end *e, bool wild,
				     const struct proc_info **owner, bool *local)
{
	const uint8_t *laddr = e->local.addr;
	uint16_t lport = e->local.port;
	uint8_t ours[16];

	(void)ctx, (void)wild;
	addr_parse(ours, TUPLE_V4, "10.0.0.5");
	*owner = NULL;
	*local = memcmp(laddr, ours, 16) == 0;
	if (*local && lport == 40000)
		*owner = &procs[0];
	if (*local && lport == 5353)
		*owner = &procs[1];
	if (*owner)
		return OWNER_FOUND;
	return *local && lport == 6000 ? OWNER_NO_PROCESS : OWNER_NO_SOCKET;
}

static const struct owner_source fake = { fake_lookup, NULL };

/* A raw IPv4 UDP packet, as libpcap hands it out. */
static void raw_udp(uint8_t p[28], const char *src, uint16_t sport, const char *dst,
		    uint16_t dport, uint16_t len)
{
	uint8_t a[16];

	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	addr_parse(a, TUPLE_V4, src);
	memcpy(p + 12, a, 4);
	addr_parse(a, TUPLE_V4, dst);
	memcpy(p + 16, a, 4);
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
}

struct sent {
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
};

/* Five flows: owned out, owned in, loopback owned both ends, no process, not local. */
static const struct sent traffic[] = {
	{ "10.0.0.5", 40000, "192.0.2.1", 443 }, { "192.0.2.1", 443, "10.0.0.5", 40000 },
	{ "192.0.2.9", 53, "10.0.0.5", 5353 },	 { "10.0.0.5", 40000, "10.0.0.5", 5353 },
	{ "10.0.0.5", 5353, "10.0.0.5", 40000 }, { "192.0.2.7", 9, "10.0.0.5", 6000 },
	{ "192.0.2.7", 9, "192.0.2.8", 9 },
};
#define NTRAFFIC (sizeof(traffic) / sizeof(traffic[0]))

static char *write_file(bool copy_one, uint64_t *file_bytes)
{
	static char path[] = "/tmp/proctraf-test-pcapng-XXXXXX";
	char *p = strdup(path), err[256];
	struct pcapng_iface ifc = { DLT_RAW, 256, "lo" };
	struct pcapng_writer *w;
	struct flowtab *ft = flowtab_new(1000);
	struct resolver *res = resolver_new_source(&fake);
	struct pcapng_end end = { 1700000000000000, 1700000002000000, NULL, NULL };
	struct pcapng_writer_stats st;
	int fd = mkstemp(p);

	assert_true(fd >= 0);
	close(fd);
	assert_non_null(ft);
	assert_non_null(res);
	procs[0].pid = 100;
	strcpy(procs[0].comm, "client");
	procs[0].cmdline = "client --go";
	procs[1].pid = 200;
	strcpy(procs[1].comm, "name server");
	procs[1].cmdline = "";
	procs[1].cgroup = "/system.slice/named.service";
	assert_int_equal(pcapng_writer_open(p, &ifc, 1, &w, err, sizeof(err)), 0);
	for (size_t i = 0; i < NTRAFFIC; i++) {
		uint8_t d[28];
		struct pcap_pkthdr h = { { 1700000000, (suseconds_t)(i * 1000) }, 28, 100 + (uint32_t)i };
		struct packet pkt;
		struct tuple canon;

		raw_udp(d, traffic[i].src, traffic[i].sport, traffic[i].dst, traffic[i].dport,
			(uint16_t)h.len);
		assert_int_equal(decode_packet(DLT_RAW, d, 28, h.len, &pkt), DECODE_IP);
		flowtab_add(ft, &pkt, &canon);
		assert_int_equal(pcapng_writer_packet(w, 0, (int64_t)h.ts.tv_sec * 1000000 + h.ts.tv_usec, &h, d, &pkt, false), 0);
		if (copy_one && i == 0)
			assert_int_equal(pcapng_writer_packet(w, 0, (int64_t)h.ts.tv_sec * 1000000 + h.ts.tv_usec, &h, d, NULL, true), 0);
	}
	assert_int_equal(pcapng_writer_finish(w, ft, NULL, res, &end, err, sizeof(err)), 0);
	pcapng_writer_stats(w, &st);
	assert_int_equal(st.packets, NTRAFFIC + copy_one);
	assert_int_equal(st.annotated, NTRAFFIC);
	assert_int_equal(st.processes, 2);
	*file_bytes = st.file_bytes;
	pcapng_writer_close(w);
	resolver_free(res);
	flowtab_free(ft);
	return p;
}

static void libpcap_reads_it(void **state)
{
	(void)state;
	uint64_t bytes;
	char *path = write_file(true, &bytes), ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *h = pcap_open_offline(path, ebuf);
	struct pcap_pkthdr *hdr;
	const u_char *data;
	size_t n = 0;

	assert_non_null(h);
	assert_int_equal(pcap_datalink(h), DLT_RAW);
	while (pcap_next_ex(h, &hdr, &data) == 1) {
		size_t i = n > 0 ? n - 1 : 0;	/* the copy follows packet 0 */
		assert_int_equal(hdr->caplen, 28);
		assert_int_equal(hdr->len, 100 + i);
		assert_int_equal(hdr->ts.tv_sec, 1700000000);
		assert_int_equal(hdr->ts.tv_usec, i * 1000);
		n++;
	}
	assert_int_equal(n, NTRAFFIC + 1);
	pcap_close(h);
	unlink(path);
	free(path);
}

/* The reader's answers for every end of every flow: the fake source's. */
static void reader_gives_the_owners_back(void **state)
{
	(void)state;
	uint64_t bytes;
	char *path = write_file(false, &bytes), err[256];
	int fd = open(path, O_RDONLY);
	struct annot *a;
	struct annot_stats st;
	int64_t start, end;

	assert_true(fd >= 0);
	assert_int_equal(annot_read(fd, 100, &a, err, sizeof(err)), 1);
	close(fd);
	annot_stats(a, &st);
	assert_int_equal(st.records, NTRAFFIC);
	assert_int_equal(st.processes, 2);
	assert_int_equal(st.bad, 0);
	assert_int_equal(st.dangling, 0);
	assert_false(st.stopped);
	assert_true(annot_span(a, &start, &end));
	assert_int_equal(start, 1700000000000000);
	assert_int_equal(end, 1700000002000000);
	const struct owner_source *src = annot_source(a);
	for (size_t i = 0; i < NTRAFFIC; i++) {
		struct tuple t = tuple4(traffic[i].src, traffic[i].sport, traffic[i].dst,
					traffic[i].dport, 17);
		for (int e = 0; e < 2; e++) {
			const struct proc_info *want, *got;
			bool wl, gl;
			const uint8_t *l = e ? t.dst : t.src, *r = e ? t.src : t.dst;
			uint16_t lp = e ? t.dport : t.sport, rp = e ? t.sport : t.dport;
			enum owner_status ws = source_lookup_at(&fake, TUPLE_V4, 17, l, lp, r, rp,
							       &want, &wl);
			enum owner_status gs = source_lookup_at(src, TUPLE_V4, 17, l, lp, r, rp,
							       &got, &gl);
			assert_int_equal(gl, wl);
			assert_int_equal(gs == OWNER_FOUND, ws == OWNER_FOUND);
			/* An end of a flow with an owner elsewhere keeps why it has none. */
			if (ws == OWNER_NO_PROCESS)
				assert_int_equal(gs, OWNER_NO_PROCESS);
			if (want) {
				assert_int_equal(got->pid, want->pid);
				assert_string_equal(got->comm, want->comm);
				assert_string_equal(got->cmdline, want->cmdline);
			}
		}
	}
	/* The described process's cgroup, and what the resolver derives from it. */
	const struct proc_info *ns;
	bool local;
	struct tuple t = tuple4("10.0.0.5", 5353, "192.0.2.9", 53, 17);
	assert_int_equal(source_lookup_at(src, TUPLE_V4, 17, t.src, t.sport, t.dst, t.dport,
					 &ns, &local),
			 OWNER_FOUND);
	assert_string_equal(ns->cgroup, "/system.slice/named.service");
	assert_string_equal(ns->unit, "named.service");
	/* An end no record names: no socket, local when its address is ours. */
	assert_int_equal(source_lookup_at(src, TUPLE_V4, 17, t.src, 1, t.dst, 2, &ns, &local),
			 OWNER_NO_SOCKET);
	assert_true(local);
	assert_int_equal(source_lookup_at(src, TUPLE_V4, 17, t.dst, 1, t.src, 2, &ns, &local),
			 OWNER_NO_SOCKET);
	assert_false(local);
	annot_free(a);
	unlink(path);
	free(path);
}

/* A file of bytes at path, read by the reader: its result. */
static int read_bytes(const uint8_t *p, size_t n, size_t max_ends, struct annot **a)
{
	char path[] = "/tmp/proctraf-test-pcapng-XXXXXX", err[256];
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	unlink(path);
	rc = annot_read(fd, max_ends, a, err, sizeof(err));
	close(fd);
	return rc;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	p = malloc((size_t)len);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* Every prefix of a file, and every byte of it changed: read safely, never more. */
static void reader_on_cut_and_flipped_files(void **state)
{
	(void)state;
	uint64_t bytes;
	char *path = write_file(true, &bytes);
	size_t n;
	uint8_t *file = slurp(path, &n);
	struct annot *a;
	struct annot_stats st;

	assert_int_equal(n, bytes);
	for (size_t k = 0; k < n; k++) {
		int rc = read_bytes(file, k, 100, &a);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			annot_stats(a, &st);
			assert_true(st.records <= NTRAFFIC);
			annot_free(a);
		}
	}
	uint64_t rng = 7;
	for (size_t k = 0; k < n; k++) {
		uint8_t *c = exact(file, n);
		c[k] ^= (uint8_t)(1 + rng_next(&rng) % 255);
		int rc = read_bytes(c, n, 100, &a);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1)
			annot_free(a);
		free(c);
	}
	unlink(path);
	free(path);
	free(file);
}

/* Bounds: a table of max_ends ends keeps that many, counts the rest. */
static void reader_bounds(void **state)
{
	(void)state;
	uint64_t bytes;
	char *path = write_file(false, &bytes);
	size_t n;
	uint8_t *file = slurp(path, &n);
	struct annot *a;
	struct annot_stats st;

	assert_int_equal(read_bytes(file, n, 3, &a), 1);
	annot_stats(a, &st);
	assert_int_equal(st.ends, 3);
	assert_true(st.cut > 0);
	annot_free(a);
	unlink(path);
	free(path);
	free(file);
}

/*
 * Hand-made files: not pcapng, a section without the marker, a big-endian
 * section, a block longer than the file, a block length beyond the bound,
 * an owner the file never describes.
 */
static void reader_hand_made(void **state)
{
	(void)state;
	struct annot *a;
	struct annot_stats st;
	struct pbuf b = { 0 };
	uint8_t rec[PT_OWNERS_MAX];
	struct pt_owners o;
	size_t at;

	assert_int_equal(read_bytes((const uint8_t *)"\xd4\xc3\xb2\xa1", 4, 10, &a), 0);
	assert_int_equal(read_bytes(NULL, 0, 10, &a), 0);

	/* A section header without the marker: not ours. */
	at = pcapng_block_begin(&b, PCAPNG_BT_SHB);
	pbuf_u32(&b, PCAPNG_BYTE_ORDER_MAGIC);
	pbuf_u16(&b, 1);
	pbuf_u16(&b, 0);
	pbuf_u64(&b, UINT64_MAX);
	pcapng_opt_end(&b);
	pcapng_block_end(&b, at);
	assert_int_equal(read_bytes(b.p, b.len, 10, &a), 0);
	pbuf_free(&b);

	/* Ours, then an EPB whose owner is described nowhere, then one too long. */
	at = pcapng_block_begin(&b, PCAPNG_BT_SHB);
	pbuf_u32(&b, PCAPNG_BYTE_ORDER_MAGIC);
	pbuf_u16(&b, 1);
	pbuf_u16(&b, 0);
	pbuf_u64(&b, UINT64_MAX);
	pcapng_opt_custom(&b, PCAPNG_OPT_CUSTOM_STR, PT_MARKER, strlen(PT_MARKER));
	pcapng_opt_end(&b);
	pcapng_block_end(&b, at);
	at = pcapng_block_begin(&b, PCAPNG_BT_EPB);
	for (int i = 0; i < 5; i++)
		pbuf_u32(&b, 0);	/* interface, time, no bytes captured */
	memset(&o, 0, sizeof(o));
	o.t = tuple4("10.0.0.5", 1, "10.0.0.6", 2, 6);
	o.state[0] = PT_LOCAL | PT_OWNED;
	o.id[0] = 42;
	o.state[1] = PT_NO_SOCKET;
	pcapng_opt_custom(&b, PCAPNG_OPT_CUSTOM_BIN_NOCOPY, rec, pt_owners_encode(&o, rec));
	pcapng_opt_end(&b);
	pcapng_block_end(&b, at);
	size_t good = b.len;
	at = pcapng_block_begin(&b, PCAPNG_BT_EPB);
	pbuf_u32(&b, 0);
	pcapng_block_end(&b, at);
	memcpy(b.p + at + 4, &(uint32_t){ PCAPNG_BLOCK_MAX + 4 }, 4);
	assert_int_equal(read_bytes(b.p, b.len, 10, &a), 1);
	annot_stats(a, &st);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.dangling, 1);
	assert_true(st.stopped);
	{
		const struct owner_source *src = annot_source(a);
		const struct proc_info *p;
		bool local;
		assert_int_equal(source_lookup_at(src, TUPLE_V4, 6, o.t.src, 1, o.t.dst, 2, &p,
						 &local),
				 OWNER_NO_SOCKET);
		assert_true(local);
		assert_null(p);
	}
	annot_free(a);

	/* The same section in big-endian order is read the same. */
	uint8_t *be = exact(b.p, good);
	for (size_t blk = 0; blk < good;) {
		uint32_t type, len;
		memcpy(&type, be + blk, 4);
		memcpy(&len, be + blk + 4, 4);
		/* Swap the block's words that are numbers: type, lengths, header fields. */
		uint32_t words[] = { 0, 4, len - 4 };
		for (size_t w = 0; w < 3; w++) {
			uint32_t v;
			memcpy(&v, be + blk + words[w], 4);
			v = __builtin_bswap32(v);
			memcpy(be + blk + words[w], &v, 4);
		}
		if (type == PCAPNG_BT_SHB) {
			/* magic, versions, then the options: code, length, PEN (all numbers). */
			uint32_t m = __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC);
			memcpy(be + blk + 8, &m, 4);
			be[blk + 12] = 0, be[blk + 13] = 1;
			size_t op = blk + 24;
			uint16_t code, olen;
			memcpy(&code, b.p + op, 2);
			memcpy(&olen, b.p + op + 2, 2);
			be[op] = (uint8_t)(code >> 8), be[op + 1] = (uint8_t)code;
			be[op + 2] = (uint8_t)(olen >> 8), be[op + 3] = (uint8_t)olen;
			uint32_t pen = __builtin_bswap32(PT_PEN);
			memcpy(be + op + 4, &pen, 4);
		} else {
			size_t op = blk + 28;
			uint16_t code, olen;
			memcpy(&code, b.p + op, 2);
			memcpy(&olen, b.p + op + 2, 2);
			be[op] = (uint8_t)(code >> 8), be[op + 1] = (uint8_t)code;
			be[op + 2] = (uint8_t)(olen >> 8), be[op + 3] = (uint8_t)olen;
			uint32_t pen = __builtin_bswap32(PT_PEN);
			memcpy(be + op + 4, &pen, 4);
		}
		blk += len;
	}
	assert_int_equal(read_bytes(be, good, 10, &a), 1);
	annot_stats(a, &st);
	assert_int_equal(st.records, 1);
	assert_false(st.stopped);
	annot_free(a);
	free(be);
	pbuf_free(&b);
}

/* The injected record: back as it went; every cut, longer or contradictory one refused. */
static void injected_round_trip(void **state)
{
	(void)state;
	const struct pt_injected cases[] = { { false, 0x01020304 }, { true, 0 } };
	uint8_t rec[PT_INJECTED_LEN + 1];
	struct pt_injected back;

	for (size_t i = 0; i < 2; i++) {
		size_t n = pt_injected_encode(&cases[i], rec);
		assert_int_equal(n, PT_INJECTED_LEN);
		uint8_t *p = exact(rec, n);
		assert_true(pt_injected_decode(p, n, &back));
		assert_int_equal(back.several, cases[i].several);
		assert_int_equal(back.id, cases[i].id);
		free(p);
		for (size_t k = 0; k < n; k++) {
			p = exact(rec, k);
			assert_false(pt_injected_decode(p, k, &back));
			free(p);
		}
		rec[n] = 0;
		assert_false(pt_injected_decode(rec, n + 1, &back));
	}
	/* Another type, unknown flags, several with an id, an injector without one. */
	const uint8_t bad[][PT_INJECTED_LEN] = {
		{ 'P', 'T', PT_REC_OWNERS, 0, 0, 0, 0, 1 }, { 'P', 'T', PT_REC_INJECTED, 2, 0, 0, 0, 1 },
		{ 'P', 'T', PT_REC_INJECTED, 1, 0, 0, 0, 1 }, { 'P', 'T', PT_REC_INJECTED, 0, 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(pt_injected_decode(bad[i], PT_INJECTED_LEN, &back));
}

/* Injected flows of the test: 10.0.0.5:41000's frames one process's, 42000's several's. */
static void fake_more(const void *ctx, const struct tuple *t, struct attribution *a)
{
	(void)ctx;
	if (a->reason == REASON_NO_SOCKET && (t->sport == 41000 || t->dport == 41000))
		a->injector = &procs[2];
	if (a->reason == REASON_NO_SOCKET && (t->sport == 42000 || t->dport == 42000))
		a->reason = REASON_PKT_SEVERAL;
}

static const struct sent injected[] = {
	{ "10.0.0.5", 41000, "192.0.2.1", 7 }, { "192.0.2.1", 7, "10.0.0.5", 41000 },
	{ "10.0.0.5", 42000, "192.0.2.2", 7 }, { "10.0.0.5", 43000, "192.0.2.3", 7 },
};
#define NINJECTED (sizeof(injected) / sizeof(injected[0]))

/*
 * -w of flows packet sockets injected, read back: the injector (described
 * by a process record of its own) and unknown:packet-sockets come back as
 * pktsock_attribute gave them, the comment says "via=packet" on the
 * injector's packets; the file without its injected marker and records
 * (as -w wrote it before) reads as before: no injector, no counts known.
 */
static void injected_flows_read_back(void **state)
{
	(void)state;
	char path[] = "/tmp/proctraf-test-pcapng-XXXXXX", err[256];
	struct pcapng_iface ifc = { DLT_RAW, 256, "veth0" };
	struct pcapng_end end = { 1700000000000000, 1700000002000000, NULL, NULL };
	struct flowtab *ft = flowtab_new(100);
	struct resolver *res = resolver_new_source(&fake);
	struct pcapng_writer *w;
	int fd = mkstemp(path);

	assert_true(fd >= 0 && ft && res);
	close(fd);
	memset(&procs[2], 0, sizeof(procs[2]));
	procs[2].pid = 300;
	strcpy(procs[2].comm, "scapy");
	procs[2].cmdline = "scapy -H";
	assert_int_equal(pcapng_writer_open(path, &ifc, 1, &w, err, sizeof(err)), 0);
	pcapng_writer_set_more(w, fake_more, NULL, true);
	for (size_t i = 0; i < NINJECTED; i++) {
		uint8_t d[28];
		struct pcap_pkthdr h = { { 1700000000, (suseconds_t)i }, 28, 100 };
		struct packet pkt;
		struct tuple canon;

		raw_udp(d, injected[i].src, injected[i].sport, injected[i].dst, injected[i].dport, 100);
		assert_int_equal(decode_packet(DLT_RAW, d, 28, h.len, &pkt), DECODE_IP);
		flowtab_add(ft, &pkt, &canon);
		assert_int_equal(pcapng_writer_packet(w, 0, 1700000000000000 + (int64_t)i, &h, d,
						      &pkt, false), 0);
	}
	assert_int_equal(pcapng_writer_finish(w, ft, NULL, res, &end, err, sizeof(err)), 0);
	pcapng_writer_close(w);
	resolver_free(res);
	flowtab_free(ft);

	size_t n;
	uint8_t *file = slurp(path, &n);
	const char *marker = PT_MARKER_INJECTED, *note = "pid=300 comm=scapy dir=out via=packet";
	assert_non_null(memmem(file, n, note, strlen(note)));
	for (int old = 0; old < 2; old++) {
		struct annot *a;
		struct annot_stats st;

		assert_int_equal(read_bytes(file, n, 100, &a), 1);
		annot_stats(a, &st);
		assert_int_equal(st.bad, 0);
		assert_int_equal(st.dangling, 0);
		assert_int_equal(st.injected, !old);
		assert_int_equal(st.processes, old ? 0 : 1);
		res = resolver_new_source(annot_source(a));
		assert_non_null(res);
		for (size_t i = 0; i < NINJECTED; i++) {
			struct tuple t = tuple4(injected[i].src, injected[i].sport, injected[i].dst,
						injected[i].dport, 17);
			struct attribution at;

			attribute_flow(res, &t, &at);
			annot_attribute(a, &t, &at);
			bool inj = !old && i < 2, several = !old && i == 2;
			assert_int_equal(at.reason, several ? REASON_PKT_SEVERAL : REASON_NO_SOCKET);
			assert_true(at.local[0] == (i != 1) && at.local[1] == (i == 1));
			assert_true(inj ? at.injector && at.injector->pid == 300 : !at.injector);
			if (inj)
				assert_string_equal(at.injector->cmdline, "scapy -H");
		}
		resolver_free(res);
		annot_free(a);
		if (old)
			break;
		/* As -w wrote it before: no marker, no injected records (a type no one reads). */
		uint8_t *m = memmem(file, n, marker, strlen(marker));
		assert_non_null(m);
		m[0] = 'x';
		for (size_t k = 0; k + 8 <= n; k++) {
			uint32_t pen;
			memcpy(&pen, file + k, 4);
			if (pen == PT_PEN && file[k + 4] == 'P' && file[k + 5] == 'T') {
				if (file[k + 6] == PT_REC_INJECTED)
					file[k + 6] = 0x7f;
				if (file[k + 6] == PT_REC_PROCESS)
					file[k + 6] = 0x7e;	/* the injector's */
			}
		}
	}
	free(file);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(owners_round_trip),
		cmocka_unit_test(owners_refused),
		cmocka_unit_test(process_round_trip),
		cmocka_unit_test(comment_escapes),
		cmocka_unit_test(comments_per_row),
		cmocka_unit_test(states_give_the_attribution_back),
		cmocka_unit_test(libpcap_reads_it),
		cmocka_unit_test(reader_gives_the_owners_back),
		cmocka_unit_test(reader_on_cut_and_flipped_files),
		cmocka_unit_test(reader_bounds),
		cmocka_unit_test(reader_hand_made),
		cmocka_unit_test(injected_round_trip),
		cmocka_unit_test(injected_flows_read_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
