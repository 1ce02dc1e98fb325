/* pcapng_reader.c - a -w file's owners, for -r; see pcapng_reader.h. */
#include "pcapng_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cursor.h"
#include "hmap.h"
#include "output.h"
#include "pcapng.h"

#define READ_CHUNK (1u << 20)	/* one pread, at least */
#define IFS_MAX 65536		/* interfaces of a section whose resolution is kept */
#define TSRESOL_DEFAULT 6	/* microseconds, when an interface does not say */

/* One end of a flow, as attribute_flow asks for it. */
struct end_key {
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	uint8_t family, proto;
	uint8_t pad[2];		/* zero */
};

struct end_val {
	uint32_t proc;		/* its owner's slot + 1; 0: none */
	uint8_t state;		/* PT_LOCAL | PT_OWNED, PT_NO_SOCKET, ... */
	uint8_t pad[3];
};

struct local_key {
	uint8_t addr[16];
	uint8_t family;
	uint8_t pad[7];		/* zero */
};

/* A process of a section, by the id its records give it. */
struct proc_key {
	uint32_t section, id;
};

struct annot {
	struct owner_source src;
	size_t max_ends;
	struct hmap *ends;		/* struct end_key -> struct end_val */
	struct hmap *locals;		/* struct local_key: addresses a record said are ours */
	struct hmap *proc_keys;		/* struct proc_key -> slot */
	struct proc_info *procs;	/* by slot */
	bool *defined;			/* by slot: a process record described it */
	size_t nprocs;			/* slots made: procs[0 .. nprocs) */
	size_t procs_cap, defined_cap;
	uint64_t strings;		/* bytes of strings kept */
	bool have_span;
	int64_t start_us, end_us;
	struct annot_stats st;
};

/* The file, read forward in large pieces, never past what was asked for. */
struct rd {
	int fd;
	uint64_t off;		/* file offset of buf[0] */
	uint8_t *buf;
	size_t len, cap;
	int err;		/* errno of a failed read; 0 at the end of the file */
};

/* n bytes at file offset at, or NULL (the file ends first, or r->err). */
static const uint8_t *rd_at(struct rd *r, uint64_t at, size_t n)
{
	size_t want = n > READ_CHUNK ? n : READ_CHUNK;

	if (at >= r->off && at - r->off <= r->len && r->len - (at - r->off) >= n)
		return r->buf + (at - r->off);
	if (want > r->cap) {
		uint8_t *p = realloc(r->buf, want);
		if (!p) {
			r->err = ENOMEM;
			return NULL;
		}
		r->buf = p;
		r->cap = want;
	}
	r->off = at;
	r->len = 0;
	while (r->len < r->cap) {
		ssize_t k = pread(r->fd, r->buf + r->len, r->cap - r->len, (off_t)(at + r->len));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r->err = errno;
			return NULL;
		}
		if (k == 0)
			break;
		r->len += (size_t)k;
	}
	return r->len >= n ? r->buf : NULL;
}

/* A section's byte order, and what its interfaces say of their times. */
struct section {
	bool be;		/* big-endian blocks */
	uint32_t index;		/* from 0, in the file */
	bool ours;		/* its header has proctraf's marker */
	uint8_t *tsresol;	/* by interface id */
	size_t nifs, ifs_cap;
};

static uint16_t get16(const uint8_t *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t get32(const uint8_t *p, bool be)
{
	return be ? hdr_be32(p, 0)
		  : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			    (uint32_t)p[3] << 24;
}

/* The next option of a block: its code and value; false after the last. */
static bool next_option(struct cursor *c, bool be, uint16_t *code, const uint8_t **value,
			uint16_t *len)
{
	const uint8_t *h = cur_need(c, 4);

	if (!h)
		return false;
	*code = get16(h, be);
	*len = get16(h + 2, be);
	cur_skip(c, 4);
	if (*code == PCAPNG_OPT_END)
		return false;
	*value = cur_need(c, *len);
	if (!*value || !cur_skip(c, *len))
		return false;
	/* Its padding; a block may end without the last option's. */
	if (!cur_skip(c, (4 - *len % 4) % 4))
		cur_skip(c, cur_left(c));
	return true;
}

/* A custom option of ours: its data after the PEN, or NULL. */
static const uint8_t *ours(const struct section *s, uint16_t code, const uint8_t *v,
			   uint16_t len)
{
	if (code != PCAPNG_OPT_CUSTOM_STR && code != PCAPNG_OPT_CUSTOM_BIN &&
	    code != PCAPNG_OPT_CUSTOM_STR_NOCOPY && code != PCAPNG_OPT_CUSTOM_BIN_NOCOPY)
		return NULL;
	return len >= 4 && get32(v, s->be) == PT_PEN ? v + 4 : NULL;
}

static bool parse_shb(struct section *s, struct cursor *c)
{
	uint16_t code, len;
	const uint8_t *v, *h = cur_need(c, 16);

	/* Major version 1 only: a reader of 1.x cannot read 2.x. */
	if (!h || get16(h + 4, s->be) != 1 || !cur_skip(c, 16))
		return false;
	s->ours = false;
	s->nifs = 0;
	while (next_option(c, s->be, &code, &v, &len)) {
		const uint8_t *d = ours(s, code, v, len);
		if (d && code == PCAPNG_OPT_CUSTOM_STR && len - 4u == strlen(PT_MARKER) &&
		    memcmp(d, PT_MARKER, strlen(PT_MARKER)) == 0)
			s->ours = true;
	}
	return true;
}

static bool parse_idb(struct section *s, struct cursor *c)
{
	uint8_t tsresol = TSRESOL_DEFAULT;
	uint16_t code, len;
	const uint8_t *v;

	if (!cur_skip(c, 8))
		return false;
	while (next_option(c, s->be, &code, &v, &len)) {
		if (code == PCAPNG_IF_TSRESOL && len == 1)
			tsresol = v[0];
	}
	if (s->nifs < IFS_MAX) {
		void *arr = s->tsresol;
		if (!array_reserve(&arr, &s->ifs_cap, s->nifs + 1, 1))
			return false;
		s->tsresol = arr;
		s->tsresol[s->nifs++] = tsresol;
	}
	return true;
}

/* Ticks of resolution r to microseconds; false when it does not fit. */
static bool ticks_us(uint64_t ticks, uint8_t r, int64_t *us)
{
	unsigned __int128 v = ticks;

	if (r & 0x80) {
		unsigned shift = r & 0x7f;
		if (shift > 64)
			return false;
		v = (v * 1000000u) >> shift;
	} else if (r <= 6) {
		for (unsigned i = r; i < 6; i++)
			v *= 10;
	} else if (r <= 19) {
		for (unsigned i = 6; i < r; i++)
			v /= 10;
	} else {
		return false;
	}
	if (v > INT64_MAX)
		return false;
	*us = (int64_t)v;
	return true;
}

static bool parse_isb(struct annot *a, const struct section *s, struct cursor *c)
{
	const uint8_t *h = cur_need(c, 12), *v;
	uint16_t code, len;
	uint32_t ifid;
	uint8_t r;

	if (!h || !cur_skip(c, 12))
		return false;
	ifid = get32(h, s->be);
	r = ifid < s->nifs ? s->tsresol[ifid] : TSRESOL_DEFAULT;
	while (next_option(c, s->be, &code, &v, &len)) {
		int64_t us;

		if ((code != PCAPNG_ISB_STARTTIME && code != PCAPNG_ISB_ENDTIME) || len != 8 ||
		    !s->ours ||
		    !ticks_us((uint64_t)get32(v, s->be) << 32 | get32(v + 4, s->be), r, &us))
			continue;
		if (!a->have_span) {
			/* Both from the first time given, until the others come. */
			a->start_us = a->end_us = us;
			a->have_span = true;
		}
		if (code == PCAPNG_ISB_STARTTIME && us < a->start_us)
			a->start_us = us;
		if (code == PCAPNG_ISB_ENDTIME && us > a->end_us)
			a->end_us = us;
	}
	return true;
}

/* The slot of a section's process id (made if new); SIZE_MAX past the bounds. */
static size_t proc_slot(struct annot *a, const struct section *s, uint32_t id)
{
	struct proc_key k = { s->index, id };
	bool inserted;
	size_t i = hmap_put(a->proc_keys, &k, PT_PROCS_MAX, &inserted);
	void *procs = a->procs, *defined = a->defined;
	size_t cap = a->procs_cap;

	if (i == HMAP_NONE)
		return SIZE_MAX;
	if (!inserted)
		return i;
	if (!array_reserve(&procs, &cap, i + 1, sizeof(*a->procs)))
		return SIZE_MAX;
	a->procs = procs;
	a->procs_cap = cap;
	if (!array_reserve(&defined, &a->defined_cap, i + 1, sizeof(*a->defined)))
		return SIZE_MAX;
	a->defined = defined;
	memset(&a->procs[i], 0, sizeof(a->procs[i]));
	a->defined[i] = false;
	a->nprocs = i + 1;
	return i;
}

static char *copy_string(const uint8_t *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void add_process(struct annot *a, const struct section *s, const uint8_t *d, size_t n)
{
	struct pt_process pr;
	struct proc_info *p;
	size_t slot, comm;

	if (!pt_process_decode(d, n, &pr)) {
		a->st.bad++;
		return;
	}
	slot = proc_slot(a, s, pr.id);
	if (slot == SIZE_MAX || a->strings + pr.cmdline_len + pr.cgroup_len > PT_STRINGS_MAX) {
		a->st.cut++;
		return;
	}
	if (a->defined[slot])
		return;		/* described twice: the first one stands */
	p = &a->procs[slot];
	p->pid = pr.pid;
	p->have_uid = pr.have_uid;
	p->uid = pr.uid;
	p->start = pr.start;
	p->netns = pr.netns;
	comm = pr.comm_len < sizeof(p->comm) - 1 ? pr.comm_len : sizeof(p->comm) - 1;
	memcpy(p->comm, pr.comm, comm);
	p->comm[comm] = '\0';
	p->cmdline = copy_string(pr.cmdline, pr.cmdline_len);
	if (pr.cgroup) {
		char unit[CGROUP_UNIT_MAX], container[CGROUP_CONTAINER_MAX];

		p->cgroup = copy_string(pr.cgroup, pr.cgroup_len);
		/* As the resolver derives them from the path (resolve.c read_cgroup). */
		if (p->cgroup && cgroup_unit(p->cgroup, strlen(p->cgroup), unit))
			p->unit = strdup(unit);
		if (p->cgroup && cgroup_container(p->cgroup, strlen(p->cgroup), container))
			p->container = strdup(container);
	}
	a->strings += pr.cmdline_len + pr.cgroup_len;
	a->defined[slot] = true;
	a->st.processes++;
}

static void put_end(struct annot *a, const struct pt_owners *o, int e, size_t slot)
{
	const struct tuple *t = &o->t;
	struct end_key k;
	struct end_val *v;
	bool inserted;

	memset(&k, 0, sizeof(k));
	memcpy(k.laddr, e == 0 ? t->src : t->dst, 16);
	memcpy(k.raddr, e == 0 ? t->dst : t->src, 16);
	k.lport = e == 0 ? t->sport : t->dport;
	k.rport = e == 0 ? t->dport : t->sport;
	k.family = t->family;
	k.proto = t->proto;
	v = hmap_put_value(a->ends, &k, hmap_hash(a->ends, &k), a->max_ends, &inserted);
	if (!v) {
		a->st.cut++;
		return;
	}
	if (!inserted) {
		/* Every packet of a flow says the same of its ends: else the first stands. */
		if (v->state != o->state[e] || v->proc != (o->id[e] ? slot + 1 : 0))
			a->st.bad++;
		return;
	}
	v->state = o->state[e];
	v->proc = o->id[e] ? (uint32_t)slot + 1 : 0;
	a->st.ends++;
	if (o->state[e] & PT_LOCAL) {
		struct local_key l;
		memset(&l, 0, sizeof(l));
		memcpy(l.addr, k.laddr, 16);
		l.family = k.family;
		if (hmap_put(a->locals, &l, a->max_ends, &inserted) == HMAP_NONE)
			a->st.cut++;
	}
}

static void add_owners(struct annot *a, const struct section *s, const uint8_t *d, size_t n)
{
	struct pt_owners o;
	size_t slot[2] = { 0, 0 };

	if (!pt_owners_decode(d, n, &o)) {
		a->st.bad++;
		return;
	}
	a->st.records++;
	/* A table-full packet's flow was never attributed: nothing to learn. */
	if (pt_reason_of(o.reason) == REASON_TABLE_FULL)
		return;
	for (int e = 0; e < 2; e++) {
		if (o.id[e] && (slot[e] = proc_slot(a, s, o.id[e])) == SIZE_MAX) {
			a->st.cut++;
			return;
		}
	}
	put_end(a, &o, 0, slot[0]);
	put_end(a, &o, 1, slot[1]);
}

static bool parse_epb(struct annot *a, const struct section *s, struct cursor *c)
{
	const uint8_t *h = cur_need(c, 20), *v;
	uint16_t code, len;
	uint32_t caplen;

	if (!h || !cur_skip(c, 20))
		return false;
	caplen = get32(h + 12, s->be);
	if (caplen > cur_left(c) || !cur_skip(c, caplen) || !cur_skip(c, (4 - caplen % 4) % 4))
		return false;
	while (next_option(c, s->be, &code, &v, &len)) {
		const uint8_t *d = ours(s, code, v, len);
		if (!d || code == PCAPNG_OPT_CUSTOM_STR || code == PCAPNG_OPT_CUSTOM_STR_NOCOPY)
			continue;
		if (len >= 8 && d[2] == PT_REC_OWNERS)
			add_owners(a, s, d, len - 4u);
		else if (len >= 8 && d[2] == PT_REC_PROCESS)
			add_process(a, s, d, len - 4u);
	}
	return true;
}

/* Ends owned by a process no record described: no owner, then. */
static void settle(struct annot *a)
{
	for (size_t i = 0; i < hmap_count(a->ends); i++) {
		struct end_val *v = hmap_value(a->ends, i);
		if (v->proc && !a->defined[v->proc - 1]) {
			v->state = (uint8_t)((v->state & PT_LOCAL) | PT_NO_SOCKET);
			v->proc = 0;
			a->st.dangling++;
		}
	}
}

static enum owner_status lookup(const void *ctx, int family, int proto, const uint8_t *laddr,
				uint16_t lport, const uint8_t *raddr, uint16_t rport,
				const struct proc_info **owner, bool *local)
{
	const struct annot *a = ctx;
	struct end_key k;
	const struct end_val *v;
	size_t i;

	memset(&k, 0, sizeof(k));
	memcpy(k.laddr, laddr, 16);
	memcpy(k.raddr, raddr, 16);
	k.lport = lport;
	k.rport = rport;
	k.family = (uint8_t)family;
	k.proto = (uint8_t)proto;
	*owner = NULL;
	i = hmap_get(a->ends, &k);
	if (i == HMAP_NONE) {
		struct local_key l;
		memset(&l, 0, sizeof(l));
		memcpy(l.addr, laddr, 16);
		l.family = (uint8_t)family;
		*local = hmap_get(a->locals, &l) != HMAP_NONE;
		return OWNER_NO_SOCKET;
	}
	/* Only read: the map is whole before the first lookup. */
	v = hmap_value((struct hmap *)a->ends, i);
	*local = v->state & PT_LOCAL;
	switch (v->state & (uint8_t)~PT_LOCAL) {
	case PT_OWNED:
		*owner = &a->procs[v->proc - 1];
		return OWNER_FOUND;
	case PT_NO_PROCESS:
		return OWNER_NO_PROCESS;
	case PT_NO_PERMISSION:
		return OWNER_NO_PERMISSION;
	default:
		return OWNER_NO_SOCKET;
	}
}

void annot_free(struct annot *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nprocs; i++) {
		free(a->procs[i].cmdline);
		free(a->procs[i].cgroup);
		free(a->procs[i].unit);
		free(a->procs[i].container);
	}
	free(a->procs);
	free(a->defined);
	hmap_free(a->ends);
	hmap_free(a->locals);
	hmap_free(a->proc_keys);
	free(a);
}

static struct annot *annot_new(size_t max_ends)
{
	struct annot *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->max_ends = max_ends;
	a->src.lookup_end = lookup;
	a->src.ctx = a;
	/* Keys from the file: a seeded hash, as for packets. */
	a->ends = hmap_new_kv(sizeof(struct end_key), sizeof(struct end_val), NULL);
	a->locals = hmap_new(sizeof(struct local_key), NULL);
	a->proc_keys = hmap_new(sizeof(struct proc_key), NULL);
	if (!a->ends || !a->locals || !a->proc_keys) {
		annot_free(a);
		return NULL;
	}
	return a;
}

/* Every block of the file; false on a read error (r->err). */
static bool read_blocks(struct annot *a, struct rd *r, struct section *s)
{
	uint64_t at = 0;

	for (;;) {
		const uint8_t *h = rd_at(r, at, 12), *b;
		uint32_t type, total;
		struct cursor c;
		bool ok = true;

		if (!h)
			return r->err == 0;	/* the end, or a block cut short */
		type = get32(h, s->be);
		if (type == PCAPNG_BT_SHB) {
			uint32_t magic = get32(h + 8, false);
			if (magic != PCAPNG_BYTE_ORDER_MAGIC && get32(h + 8, true) != PCAPNG_BYTE_ORDER_MAGIC)
				break;
			s->be = magic != PCAPNG_BYTE_ORDER_MAGIC;
		}
		total = get32(h + 4, s->be);
		if (total < 12 || total % 4 != 0 || total > PCAPNG_BLOCK_MAX)
			break;
		b = rd_at(r, at, total);
		if (!b)
			return r->err == 0;	/* the last block cut short: as at the end */
		if (get32(b + total - 4, s->be) != total)
			break;
		c = cur_init(b + 8, total - 12);
		switch (type) {
		case PCAPNG_BT_SHB:
			s->index += at > 0;
			ok = parse_shb(s, &c);
			if (ok && at == 0 && !s->ours)
				return true;	/* not a file of ours: nothing more to read */
			break;
		case PCAPNG_BT_IDB:
			ok = parse_idb(s, &c);
			break;
		case PCAPNG_BT_EPB:
			ok = parse_epb(a, s, &c);
			break;
		case PCAPNG_BT_ISB:
			ok = parse_isb(a, s, &c);
			break;
		default:
			break;	/* simple packets, name resolution, others: nothing of ours */
		}
		if (!ok)
			break;
		at += total;
	}
	a->st.stopped = true;
	return true;
}

int annot_read(int fd, size_t max_ends, struct annot **out, char *err, size_t errlen)
{
	struct rd r = { .fd = fd };
	struct section s = { 0 };
	const uint8_t *h = rd_at(&r, 0, 12);
	struct annot *a;
	int rc = 1;

	*out = NULL;
	if (!h || get32(h, false) != PCAPNG_BT_SHB) {
		free(r.buf);
		if (r.err) {
			snprintf(err, errlen, "%s", strerror(r.err));
			return -1;
		}
		return 0;	/* too short, or not pcapng: libpcap says which */
	}
	a = annot_new(max_ends);
	if (!a) {
		free(r.buf);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!read_blocks(a, &r, &s)) {
		snprintf(err, errlen, "%s", strerror(r.err));
		rc = -1;
	} else if (!s.ours && s.index == 0) {
		rc = 0;
	}
	free(r.buf);
	free(s.tsresol);
	if (rc != 1) {
		annot_free(a);
		return rc;
	}
	settle(a);
	*out = a;
	return 1;
}

const struct owner_source *annot_source(const struct annot *a)
{
	return &a->src;
}

bool annot_span(const struct annot *a, int64_t *start_us, int64_t *end_us)
{
	if (!a->have_span)
		return false;
	*start_us = a->start_us;
	*end_us = a->end_us;
	return true;
}

void annot_stats(const struct annot *a, struct annot_stats *st)
{
	*st = a->st;
}

/* ---- standard input as a pipe ------------------------------------- */

/* Read up to n bytes (fewer only at the end); -1 on error. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* What was read to peek, then the rest of the pipe (fopencookie). */
struct replay {
	int fd;
	uint8_t *head;
	size_t len, at;
};

static ssize_t replay_read(void *cookie, char *buf, size_t size)
{
	struct replay *r = cookie;
	ssize_t k;

	if (r->at < r->len) {
		size_t n = r->len - r->at < size ? r->len - r->at : size;
		memcpy(buf, r->head + r->at, n);
		r->at += n;
		return (ssize_t)n;
	}
	do
		k = read(r->fd, buf, size);
	while (k < 0 && errno == EINTR);
	return k;
}

static int replay_close(void *cookie)
{
	struct replay *r = cookie;

	free(r->head);
	free(r);
	return 0;
}

static int spool_fd(void)
{
	const char *dirs[] = { getenv("TMPDIR"), "/tmp" };

	for (size_t i = 0; i < 2; i++) {
		int fd;
		if (!dirs[i] || !*dirs[i])
			continue;
		fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The head, then the rest of fd, into a temporary file; its fd, or -1 (errno). */
static int copy_pipe(int fd, const uint8_t *head, size_t len)
{
	int sp = spool_fd();
	uint8_t *buf = sp >= 0 ? malloc(READ_CHUNK) : NULL;
	ssize_t k = 0;

	if (!buf || write_all(sp, head, len) != 0)
		goto fail;
	while ((k = read_full(fd, buf, READ_CHUNK)) > 0) {
		if (write_all(sp, buf, (size_t)k) != 0)
			goto fail;
	}
	if (k < 0 || lseek(sp, 0, SEEK_SET) != 0)
		goto fail;
	free(buf);
	return sp;
fail:
	k = errno;
	free(buf);
	if (sp >= 0)
		close(sp);
	errno = (int)k;
	return -1;
}

/* Is the section header in h (len bytes, the whole block) one of ours? */
static bool marked(const uint8_t *h, size_t len)
{
	struct section s = { 0 };
	struct cursor c = cur_init(h + 8, len - 12);

	s.be = get32(h + 8, false) != PCAPNG_BYTE_ORDER_MAGIC;
	return parse_shb(&s, &c) && s.ours;
}

int annot_pipe(int fd, FILE **fp, int *spool, char *err, size_t errlen)
{
	uint8_t *head = malloc(12);
	ssize_t got = head ? read_full(fd, head, 12) : -1;
	size_t len = got > 0 ? (size_t)got : 0;
	struct replay *r;
	cookie_io_functions_t io = { replay_read, NULL, NULL, replay_close };

	*fp = NULL;
	*spool = -1;
	if (got < 0) {
		snprintf(err, errlen, "%s", strerror(head ? errno : ENOMEM));
		free(head);
		return -1;
	}
	if (len == 12 && get32(head, false) == PCAPNG_BT_SHB &&
	    (get32(head + 8, false) == PCAPNG_BYTE_ORDER_MAGIC ||
	     get32(head + 8, true) == PCAPNG_BYTE_ORDER_MAGIC)) {
		bool be = get32(head + 8, false) != PCAPNG_BYTE_ORDER_MAGIC;
		uint32_t total = get32(head + 4, be);
		uint8_t *p;

		/* A block libpcap refuses is left for libpcap to say so. */
		if (total >= 28 && total % 4 == 0 && total <= PCAPNG_SHB_MAX &&
		    (p = realloc(head, total)) != NULL) {
			head = p;
			got = read_full(fd, head + 12, total - 12);
			len = got > 0 ? 12 + (size_t)got : 12;
			if (got == (ssize_t)(total - 12) && get32(head + total - 4, be) == total &&
			    marked(head, total)) {
				int d = -1;

				*spool = copy_pipe(fd, head, len);
				free(head);
				if (*spool >= 0 && (d = dup(*spool)) >= 0 && (*fp = fdopen(d, "rb")))
					return 0;
				snprintf(err, errlen, "temporary file: %s", strerror(errno));
				if (d >= 0)
					close(d);
				if (*spool >= 0)
					close(*spool);
				*spool = -1;
				return -1;
			}
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(*fp = fopencookie(r, "rb", io))) {
		free(r);
		free(head);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->fd = fd;
	r->head = head;
	r->len = len;
	return 0;
}
