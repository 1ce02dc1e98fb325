/* pcapng_writer.c - -w FILE: spool, then the file with owners; see pcapng_writer.h. */
#include "pcapng_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "attribute.h"
#include "cursor.h"
#include "hmap.h"
#include "output.h"
#include "pcapng.h"
#include "fdio.h"

#define SPOOL_BUF (1u << 20)	/* stdio buffer of the spool, each way */
#define OUT_FLUSH (1u << 20)	/* the file is written in pieces of about this */
#define CAPLEN_MAX (1u << 20)	/* a spooled packet longer than this is not ours */

/* What the spool holds before each packet's bytes. */
enum spool_kind { SPOOL_OTHER, SPOOL_FLOW, SPOOL_COPY };
#define SPOOL_SWAPPED 1		/* the packet went from the canonical dst to src */
#define SPOOL_OUT 2		/* the link layer says it left this host */

struct spool_rec {
	int64_t ts_us;
	uint32_t caplen, len;
	uint16_t source;
	uint8_t kind, flags;
	uint32_t pad;		/* zero: no stray bytes reach the spool */
};

struct pcapng_writer {
	int out;		/* the file, or standard output */
	bool own_out;		/* ... closed at the end */
	FILE *spool;
	struct pcapng_iface *ifs;
	char **names;
	size_t nifs;
	uint64_t spooled;	/* bytes */
	struct pcapng_writer_stats st;
	pcapng_more_fn *more;	/* pcapng_writer_set_more; NULL: none */
	const void *more_ctx;
	bool injectors;		/* ... the report says what injectors had */
};

/* An unnamed temporary file in dir; -1 with errno. */
static int spool_in(const char *dir)
{
	char *path;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0)
		return fd;
	/* A file system without O_TMPFILE: a name, unlinked at once. */
	if (asprintf(&path, "%s/.proctraf-spool-XXXXXX", dir) < 0)
		return -1;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

static int open_spool(const char *path)
{
	const char *tmp = getenv("TMPDIR");
	int fd = -1;

	if (strcmp(path, "-") != 0) {
		char *copy = strdup(path);
		if (!copy)
			return -1;
		fd = spool_in(dirname(copy));
		free(copy);
	}
	if (fd < 0 && tmp && *tmp)
		fd = spool_in(tmp);
	if (fd < 0)
		fd = spool_in("/tmp");
	return fd;
}

int pcapng_writer_open(const char *path, const struct pcapng_iface *ifs, size_t nifs,
		       struct pcapng_writer **out, char *err, size_t errlen)
{
	struct pcapng_writer *w = calloc(1, sizeof(*w));
	int fd;

	*out = NULL;
	if (!w || nifs == 0 || nifs > UINT16_MAX + 1u)
		goto nomem;
	w->out = -1;
	w->ifs = calloc(nifs, sizeof(*w->ifs));
	w->names = calloc(nifs, sizeof(*w->names));
	if (!w->ifs || !w->names)
		goto nomem;
	w->nifs = nifs;
	for (size_t i = 0; i < nifs; i++) {
		w->ifs[i] = ifs[i];
		if (pcapng_linktype(ifs[i].dlt) < 0) {
			snprintf(err, errlen, "%s: cannot write link type %d", path, ifs[i].dlt);
			pcapng_writer_close(w);
			return -1;
		}
		if (ifs[i].name && !(w->names[i] = strdup(ifs[i].name)))
			goto nomem;
		w->ifs[i].name = w->names[i];
	}
	if (strcmp(path, "-") == 0) {
		w->out = STDOUT_FILENO;
	} else {
		w->out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		w->own_out = w->out >= 0;
	}
	if (w->out < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		pcapng_writer_close(w);
		return -1;
	}
	fd = open_spool(path);
	if (fd < 0 || !(w->spool = fdopen(fd, "w+"))) {
		snprintf(err, errlen, "cannot make a temporary file for %s: %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		pcapng_writer_close(w);
		return -1;
	}
	setvbuf(w->spool, NULL, _IOFBF, SPOOL_BUF);
	*out = w;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	pcapng_writer_close(w);
	return -1;
}

void pcapng_writer_close(struct pcapng_writer *w)
{
	if (!w)
		return;
	if (w->spool)
		fclose(w->spool);
	if (w->own_out)
		close(w->out);
	for (size_t i = 0; i < w->nifs && w->names; i++)
		free(w->names[i]);
	free(w->names);
	free(w->ifs);
	free(w);
}

void pcapng_writer_stats(const struct pcapng_writer *w, struct pcapng_writer_stats *st)
{
	*st = w->st;
}

int pcapng_writer_packet(struct pcapng_writer *w, unsigned source, int64_t ts_us,
			 const struct pcap_pkthdr *h, const uint8_t *data,
			 const struct packet *ip, bool copy)
{
	struct spool_rec r;
	struct tuple canon;

	memset(&r, 0, sizeof(r));
	r.ts_us = ts_us;
	r.caplen = h->caplen;
	r.len = h->len;
	r.source = (uint16_t)source;
	r.kind = copy ? SPOOL_COPY : ip ? SPOOL_FLOW : SPOOL_OTHER;
	if (ip && !copy) {
		canon = ip->t;
		if (tuple_canonical(&canon))
			r.flags |= SPOOL_SWAPPED;
		if (ip->dir == PKT_DIR_OUT)
			r.flags |= SPOOL_OUT;
	}
	if (fwrite(&r, sizeof(r), 1, w->spool) != 1 ||
	    (r.kind == SPOOL_FLOW && fwrite(&canon, sizeof(canon), 1, w->spool) != 1) ||
	    (r.caplen && fwrite(data, r.caplen, 1, w->spool) != 1))
		return -1;
	w->spooled += sizeof(r) + (r.kind == SPOOL_FLOW ? sizeof(canon) : 0) + r.caplen;
	return 0;
}

/* ---- the end ------------------------------------------------------ */

void pcapng_writer_set_more(struct pcapng_writer *w, pcapng_more_fn *more, const void *ctx,
			    bool injectors)
{
	w->more = more;
	w->more_ctx = ctx;
	w->injectors = injectors;
}

/* One distinct attribution (flows share few) and what a packet of it carries. */
struct note {
	struct attribution a;
	/* Its owners' process ids in the file (0: none), then its injector's. */
	uint32_t ids[3];
	char *comment[2];		/* a packet in the canonical direction, and swapped */
	uint16_t comment_len[2];
};

/* The key that tells notes apart: the attribution, packed. */
struct note_key {
	const struct proc_info *owner[2], *injector;
	uint8_t local[2], reason, end_reason[2];
	uint8_t pad[3];
};

struct finish {
	struct pcapng_writer *w;
	const struct flowtab *ft;
	const struct pins *pins;	/* flows a round of forgetting pinned (pins.h) */
	const struct resolver *res;
	uint32_t *note_of;		/* by flow: its note + 1; 0: not attributed yet */
	struct hmap *note_index;	/* struct note_key */
	struct note *notes;
	size_t nnotes, notes_cap;	/* notes[0 .. nnotes) are made */
	struct hmap *proc_index;	/* const struct proc_info *: id - 1 */
	bool *defined;			/* by id - 1: its record written already */
	size_t defined_cap;
	struct pbuf out;
	char *err;
	size_t errlen;
};

/* Write what the buffer holds; -1 with err. */
static int flush_out(struct finish *f)
{
	if (f->out.failed) {
		snprintf(f->err, f->errlen, "out of memory");
		return -1;
	}
	if (fd_write_all(f->w->out, f->out.p, f->out.len) != 0) {
		snprintf(f->err, f->errlen, "write error: %s", strerror(errno));
		return -1;
	}
	f->w->st.file_bytes += f->out.len;
	f->out.len = 0;
	return 0;
}

static void write_header(struct finish *f)
{
	struct pbuf *b = &f->out;
	struct utsname u;
	char os[3 * sizeof(u.release)];
	size_t start = pcapng_block_begin(b, PCAPNG_BT_SHB);

	pbuf_u32(b, PCAPNG_BYTE_ORDER_MAGIC);
	pbuf_u16(b, 1);
	pbuf_u16(b, 0);
	pbuf_u64(b, UINT64_MAX);	/* section length: not given */
	if (uname(&u) == 0) {
		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
		pcapng_opt(b, PCAPNG_SHB_OS, os, strlen(os));
	}
	pcapng_opt(b, PCAPNG_SHB_USERAPPL, "proctraf", strlen("proctraf"));
	pcapng_opt_custom(b, PCAPNG_OPT_CUSTOM_STR, PT_MARKER, strlen(PT_MARKER));
	if (f->w->injectors)
		pcapng_opt_custom(b, PCAPNG_OPT_CUSTOM_STR, PT_MARKER_INJECTED,
				  strlen(PT_MARKER_INJECTED));
	pcapng_opt_end(b);
	pcapng_block_end(b, start);
	for (size_t i = 0; i < f->w->nifs; i++) {
		const struct pcapng_iface *ifc = &f->w->ifs[i];
		start = pcapng_block_begin(b, PCAPNG_BT_IDB);
		pbuf_u16(b, (uint16_t)pcapng_linktype(ifc->dlt));
		pbuf_u16(b, 0);
		pbuf_u32(b, ifc->snaplen);
		if (ifc->name)
			pcapng_opt(b, PCAPNG_IF_NAME, ifc->name, strnlen(ifc->name, 256));
		/* if_tsresol is left out: its default, 10^-6, is what the capture gives. */
		pcapng_opt_end(b);
		pcapng_block_end(b, start);
	}
}

/* The process id of p in the file (from 1); 0 when out of memory. */
static uint32_t proc_id(struct finish *f, const struct proc_info *p)
{
	bool inserted;
	size_t i = hmap_put(f->proc_index, &p, UINT32_MAX - 1, &inserted);
	void *arr = f->defined;

	if (i == HMAP_NONE || !array_reserve(&arr, &f->defined_cap, i + 1, sizeof(bool)))
		return 0;
	f->defined = arr;
	if (inserted)
		f->defined[i] = false;
	return (uint32_t)i + 1;
}

/* The note of flow i (attributed now if it was not): its index, or SIZE_MAX. */
static size_t note_of_flow(struct finish *f, size_t i)
{
	struct note_key k;
	struct note *n;
	bool inserted;
	size_t j;
	void *arr;

	if (f->note_of[i])
		return f->note_of[i] - 1;
	memset(&k, 0, sizeof(k));
	{
		struct attribution a;
		/* The call the report makes for this flow (filepass.c, interval.c). */
		pins_attribute(f->pins, f->res, i, flowtab_key(f->ft, i), &a);
		if (f->w->more)
			f->w->more(f->w->more_ctx, flowtab_key(f->ft, i), &a);
		k.injector = a.injector;
		for (int e = 0; e < 2; e++) {
			k.owner[e] = a.owner[e];
			k.local[e] = a.local[e];
			k.end_reason[e] = (uint8_t)a.end_reason[e];
		}
		k.reason = (uint8_t)a.reason;
		j = hmap_put(f->note_index, &k, UINT32_MAX - 1, &inserted);
		if (j == HMAP_NONE)
			return SIZE_MAX;
		if (inserted) {
			arr = f->notes;
			if (!array_reserve(&arr, &f->notes_cap, j + 1, sizeof(*f->notes)))
				return SIZE_MAX;
			f->notes = arr;
			n = &f->notes[j];
			memset(n, 0, sizeof(*n));
			f->nnotes = j + 1;
			n->a = a;
			for (int e = 0; e < 2; e++) {
				char buf[PT_COMMENT_MAX];
				size_t len;

				if (a.owner[e] && !(n->ids[e] = proc_id(f, a.owner[e])))
					return SIZE_MAX;
				if (e == 0 && a.injector && !(n->ids[2] = proc_id(f, a.injector)))
					return SIZE_MAX;
				len = pt_comment(&a, e == 1, false, buf);
				n->comment[e] = strndup(buf, len);
				n->comment_len[e] = (uint16_t)len;
				if (!n->comment[e])
					return SIZE_MAX;
			}
		}
	}
	f->note_of[i] = (uint32_t)j + 1;
	return j;
}

/*
 * A spooled packet, read ahead: its flow is looked up in the flow table
 * AHEAD packets after it was read (its slot fetched then, its key
 * AHEAD / 2 packets later), by which time that memory has come; the
 * table is far larger than the caches, and the lookup was most of the
 * end's time without it.
 */
#define AHEAD 16

struct pending {
	struct spool_rec r;
	struct tuple canon;
	uint32_t h32;
	uint8_t *data;
	size_t cap;
};

/* The options of a packet of a flow: comment, new processes, owners. */
static int flow_options(struct finish *f, const struct pending *pk)
{
	struct pbuf *b = &f->out;
	const struct tuple *canon = &pk->canon;
	bool swapped = pk->r.flags & SPOOL_SWAPPED, out = pk->r.flags & SPOOL_OUT;
	size_t i = flowtab_find_hashed(f->ft, canon, pk->h32);
	uint8_t rec[PT_OWNERS_MAX];
	struct pt_owners o;
	struct pt_injected in;
	bool inj = false;

	memset(&o, 0, sizeof(o));
	if (i == FLOWTAB_NONE) {
		/* Beyond --max-flows: the report's unknown:table-full row. */
		char buf[PT_COMMENT_MAX];
		size_t len = pt_comment_table_full(out, buf);

		pcapng_opt(b, PCAPNG_OPT_COMMENT, buf, len);
		o.reason = pt_reason(REASON_TABLE_FULL);
		o.state[0] = o.state[1] = PT_NO_SOCKET;
	} else {
		size_t j = note_of_flow(f, i);
		const struct note *n;

		if (j == SIZE_MAX) {
			snprintf(f->err, f->errlen, "out of memory");
			return -1;
		}
		n = &f->notes[j];
		pcapng_opt(b, PCAPNG_OPT_COMMENT, n->comment[swapped], n->comment_len[swapped]);
		/* A process is described on the first packet that names it. */
		for (int e = 0; e < 3; e++) {
			struct pbuf pr = { 0 };
			uint32_t id = n->ids[e];

			if (!id || f->defined[id - 1])
				continue;
			pt_process_encode(e < 2 ? n->a.owner[e] : n->a.injector, id, &pr);
			if (!pr.failed)
				pcapng_opt_custom(b, PCAPNG_OPT_CUSTOM_BIN, pr.p, pr.len);
			b->failed |= pr.failed;
			pbuf_free(&pr);
			f->defined[id - 1] = true;
			f->w->st.processes++;
		}
		pt_owners_of(&n->a, n->ids, swapped, &o);
		inj = pt_injected_of(&n->a, n->ids[2], &in);
	}
	o.t = *canon;
	if (swapped) {
		memcpy(o.t.src, canon->dst, sizeof(o.t.src));
		memcpy(o.t.dst, canon->src, sizeof(o.t.dst));
		o.t.sport = canon->dport;
		o.t.dport = canon->sport;
	}
	pcapng_opt_custom(b, PCAPNG_OPT_CUSTOM_BIN_NOCOPY, rec, pt_owners_encode(&o, rec));
	/* After the owners record: the reader gives it to that record's flow. */
	if (inj)
		pcapng_opt_custom(b, PCAPNG_OPT_CUSTOM_BIN_NOCOPY, rec, pt_injected_encode(&in, rec));
	f->w->st.annotated++;
	return 0;
}

static int write_packet(struct finish *f, const struct pending *pk)
{
	static const char copy_note[] = "copy: counted on another interface";
	const struct spool_rec *r = &pk->r;
	struct pbuf *b = &f->out;
	uint64_t ts = (uint64_t)r->ts_us;
	size_t start = pcapng_block_begin(b, PCAPNG_BT_EPB);

	pbuf_u32(b, r->source);
	pbuf_u32(b, (uint32_t)(ts >> 32));
	pbuf_u32(b, (uint32_t)ts);
	pbuf_u32(b, r->caplen);
	pbuf_u32(b, r->len);
	pbuf_bytes(b, pk->data, r->caplen);
	pbuf_pad4(b);
	if (r->kind == SPOOL_FLOW && flow_options(f, pk) != 0)
		return -1;
	if (r->kind == SPOOL_COPY)
		pcapng_opt(b, PCAPNG_OPT_COMMENT, copy_note, strlen(copy_note));
	if (r->kind != SPOOL_OTHER)
		pcapng_opt_end(b);
	pcapng_block_end(b, start);
	f->w->st.packets++;
	return b->len >= OUT_FLUSH ? flush_out(f) : 0;
}

/* The next spooled packet into pk: 1, 0 at the end, -1 with err. */
static int read_spooled(struct finish *f, uint64_t *at, struct pending *pk)
{
	FILE *sp = f->w->spool;
	struct spool_rec *r = &pk->r;

	if (*at >= f->w->spooled)
		return 0;
	/* Our own file, but read as any file is: every length checked before use. */
	if (fread(r, sizeof(*r), 1, sp) != 1 || r->caplen > CAPLEN_MAX ||
	    r->source >= f->w->nifs || r->kind > SPOOL_COPY ||
	    (r->kind == SPOOL_FLOW && fread(&pk->canon, sizeof(pk->canon), 1, sp) != 1))
		goto corrupt;
	if (r->caplen > pk->cap) {
		uint8_t *p = realloc(pk->data, r->caplen);
		if (!p) {
			snprintf(f->err, f->errlen, "out of memory");
			return -1;
		}
		pk->data = p;
		pk->cap = r->caplen;
	}
	if (r->caplen && fread(pk->data, r->caplen, 1, sp) != 1)
		goto corrupt;
	*at += sizeof(*r) + (r->kind == SPOOL_FLOW ? sizeof(pk->canon) : 0) + r->caplen;
	if (r->kind == SPOOL_FLOW)
		pk->h32 = flowtab_hash(f->ft, &pk->canon);
	return 1;
corrupt:
	snprintf(f->err, f->errlen, "temporary file: cut or corrupt");
	return -1;
}

/* Copy the spool into the file, packet by packet, looking AHEAD; -1 with err. */
static int copy_spool(struct finish *f)
{
	struct pending ring[AHEAD];
	uint64_t at = 0;
	size_t nread = 0, ndone = 0;
	bool more = true;
	int rc = 0;

	memset(ring, 0, sizeof(ring));
	if (fflush(f->w->spool) != 0 || fseeko(f->w->spool, 0, SEEK_SET) != 0) {
		snprintf(f->err, f->errlen, "temporary file: %s", strerror(errno));
		return -1;
	}
	while (rc == 0 && (more || ndone < nread)) {
		if (more && nread - ndone < AHEAD) {
			int got = read_spooled(f, &at, &ring[nread % AHEAD]);
			if (got < 0)
				rc = -1;
			more = got > 0;
			nread += got > 0;
			/* The key of the one read AHEAD / 2 before. */
			if (more && nread > AHEAD / 2) {
				const struct pending *k = &ring[(nread - 1 - AHEAD / 2) % AHEAD];
				if (k->r.kind == SPOOL_FLOW && nread - 1 - AHEAD / 2 >= ndone) {
					struct flow_prep fp = { .h32 = k->h32 };
					flowtab_prefetch((struct flowtab *)f->ft, &fp);
				}
			}
			if (more && nread - ndone < AHEAD)
				continue;
		}
		if (rc == 0 && ndone < nread)
			rc = write_packet(f, &ring[ndone++ % AHEAD]);
	}
	for (size_t i = 0; i < AHEAD; i++)
		free(ring[i].data);
	return rc;
}

/* One statistics block per interface: the run's times, and its drops when known. */
static void write_stats(struct finish *f, const struct pcapng_end *end)
{
	struct pbuf *b = &f->out;

	if (end->start_us == TIME_NONE || end->end_us == TIME_NONE)
		return;
	for (size_t i = 0; i < f->w->nifs; i++) {
		uint64_t t[2] = { (uint64_t)end->start_us, (uint64_t)end->end_us };
		size_t start = pcapng_block_begin(b, PCAPNG_BT_ISB);

		pbuf_u32(b, (uint32_t)i);
		pbuf_u32(b, (uint32_t)(t[1] >> 32));
		pbuf_u32(b, (uint32_t)t[1]);
		for (int k = 0; k < 2; k++) {
			uint32_t v[2] = { (uint32_t)(t[k] >> 32), (uint32_t)t[k] };
			pcapng_opt(b, k == 0 ? PCAPNG_ISB_STARTTIME : PCAPNG_ISB_ENDTIME, v,
				   sizeof(v));
		}
		if (end->if_drops)
			pcapng_opt(b, PCAPNG_ISB_IFDROP, &end->if_drops[i], 8);
		if (end->os_drops)
			pcapng_opt(b, PCAPNG_ISB_OSDROP, &end->os_drops[i], 8);
		pcapng_opt_end(b);
		pcapng_block_end(b, start);
	}
}

int pcapng_writer_finish(struct pcapng_writer *w, const struct flowtab *ft,
			 const struct pins *pins, const struct resolver *res,
			 const struct pcapng_end *end, char *err, size_t errlen)
{
	struct finish f = { .w = w, .ft = ft, .pins = pins, .res = res, .err = err, .errlen = errlen };
	size_t nflows = flowtab_count(ft);
	int rc = -1;

	w->st.spool_bytes = w->spooled;
	f.note_of = calloc(nflows ? nflows : 1, sizeof(*f.note_of));
	f.note_index = hmap_new_host(sizeof(struct note_key));
	f.proc_index = hmap_new_host(sizeof(const struct proc_info *));
	if (!f.note_of || !f.note_index || !f.proc_index) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	write_header(&f);
	if (copy_spool(&f) != 0)
		goto out;
	write_stats(&f, end);
	rc = flush_out(&f);
out:
	for (size_t i = 0; i < f.nnotes; i++) {
		free(f.notes[i].comment[0]);
		free(f.notes[i].comment[1]);
	}
	free(f.notes);
	free(f.defined);
	free(f.note_of);
	hmap_free(f.note_index);
	hmap_free(f.proc_index);
	pbuf_free(&f.out);
	return rc;
}
