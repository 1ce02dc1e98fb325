/* pcapng.c - pcapng blocks and proctraf's owner records; see pcapng.h. */
#include "pcapng.h"

#include <locale.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "output.h"

void pbuf_free(struct pbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static bool pbuf_room(struct pbuf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->failed)
		return false;
	if (n <= b->cap - b->len)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void pbuf_bytes(struct pbuf *b, const void *data, size_t n)
{
	if (n == 0 || !pbuf_room(b, n))
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void pbuf_u16(struct pbuf *b, uint16_t v)
{
	pbuf_bytes(b, &v, sizeof(v));
}

void pbuf_u32(struct pbuf *b, uint32_t v)
{
	pbuf_bytes(b, &v, sizeof(v));
}

void pbuf_u64(struct pbuf *b, uint64_t v)
{
	pbuf_bytes(b, &v, sizeof(v));
}

void pbuf_pad4(struct pbuf *b)
{
	static const uint8_t zero[3];

	pbuf_bytes(b, zero, (4 - b->len % 4) % 4);
}

size_t pcapng_block_begin(struct pbuf *b, uint32_t type)
{
	size_t start = b->len;

	pbuf_u32(b, type);
	pbuf_u32(b, 0);		/* the total length, once known */
	return start;
}

void pcapng_block_end(struct pbuf *b, size_t start)
{
	uint32_t total;

	pbuf_pad4(b);
	if (b->failed || b->len - start + 4 > UINT32_MAX) {
		b->failed = true;
		return;
	}
	total = (uint32_t)(b->len - start + 4);
	pbuf_u32(b, total);
	if (!b->failed)
		memcpy(b->p + start + 4, &total, 4);
}

void pcapng_opt(struct pbuf *b, uint16_t code, const void *value, size_t len)
{
	if (len > UINT16_MAX) {
		b->failed = true;
		return;
	}
	pbuf_u16(b, code);
	pbuf_u16(b, (uint16_t)len);
	pbuf_bytes(b, value, len);
	pbuf_pad4(b);
}

void pcapng_opt_custom(struct pbuf *b, uint16_t code, const void *data, size_t len)
{
	uint32_t pen = PT_PEN;

	if (len > UINT16_MAX - sizeof(pen)) {
		b->failed = true;
		return;
	}
	pbuf_u16(b, code);
	pbuf_u16(b, (uint16_t)(sizeof(pen) + len));
	pbuf_u32(b, pen);
	pbuf_bytes(b, data, len);
	pbuf_pad4(b);
}

void pcapng_opt_end(struct pbuf *b)
{
	pbuf_u32(b, 0);		/* opt_endofopt, length 0 */
}

int pcapng_linktype(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_IPV4:
	case DLT_IPV6:
		return dlt;	/* the same number in both lists */
	case DLT_RAW:
		return 101;	/* LINKTYPE_RAW: DLT_RAW is 12 or 14, by platform */
	default:
		return -1;
	}
}

/* ---- records ------------------------------------------------------ */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static bool cur_be64(struct cursor *c, uint64_t *v)
{
	uint32_t hi, lo;

	if (cur_left(c) < 8)
		return false;
	cur_be32(c, &hi);
	cur_be32(c, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* The magic, a type, and a flags byte: the first word of every record. */
static bool record_head(struct cursor *c, uint8_t type, uint8_t *flags)
{
	const uint8_t *h = cur_need(c, 4);

	if (!h || h[0] != 'P' || h[1] != 'T' || h[2] != type)
		return false;
	*flags = h[3];
	return cur_skip(c, 4);
}

size_t pt_owners_encode(const struct pt_owners *o, uint8_t *out)
{
	size_t alen = o->t.family == TUPLE_V6 ? 16 : 4;

	out[0] = 'P';
	out[1] = 'T';
	out[2] = PT_REC_OWNERS;
	out[3] = o->t.family == TUPLE_V6 ? 1 : 0;
	out[4] = o->t.proto;
	out[5] = o->reason;
	out[6] = o->state[0];
	out[7] = o->state[1];
	put_be32(out + 8, o->id[0]);
	put_be32(out + 12, o->id[1]);
	put_be16(out + 16, o->t.sport);
	put_be16(out + 18, o->t.dport);
	memcpy(out + 20, o->t.src, alen);
	memcpy(out + 20 + alen, o->t.dst, alen);
	return 20 + 2 * alen;
}

bool pt_owners_decode(const uint8_t *data, size_t len, struct pt_owners *o)
{
	struct cursor c = cur_init(data, len);
	const uint8_t *h;
	uint8_t flags;
	size_t alen;

	if (!record_head(&c, PT_REC_OWNERS, &flags) || (flags & ~1u) != 0)
		return false;
	alen = flags & 1 ? 16 : 4;
	/* Exactly one record: a longer option is not one of ours. */
	h = cur_need(&c, 16 + 2 * alen);
	if (!h || cur_left(&c) != 16 + 2 * alen)
		return false;
	memset(o, 0, sizeof(*o));
	o->t.family = flags & 1 ? TUPLE_V6 : TUPLE_V4;
	o->t.kind = TUPLE_FLOW;
	o->t.proto = h[0];
	o->reason = h[1];
	o->state[0] = h[2];
	o->state[1] = h[3];
	o->id[0] = hdr_be32(h, 4);
	o->id[1] = hdr_be32(h, 8);
	o->t.sport = hdr_be16(h, 12);
	o->t.dport = hdr_be16(h, 14);
	memcpy(o->t.src, h + 16, alen);
	memcpy(o->t.dst, h + 16 + alen, alen);
	for (int e = 0; e < 2; e++) {
		uint8_t st = o->state[e] & (uint8_t)~PT_LOCAL;
		if (st > PT_NO_PERMISSION || (st == PT_OWNED) != (o->id[e] != 0))
			return false;
	}
	return pt_reason_of(o->reason) != REASON_COUNT;
}

size_t pt_injected_encode(const struct pt_injected *in, uint8_t *out)
{
	out[0] = 'P';
	out[1] = 'T';
	out[2] = PT_REC_INJECTED;
	out[3] = in->several ? PT_INJ_SEVERAL : 0;
	put_be32(out + 4, in->several ? 0 : in->id);
	return PT_INJECTED_LEN;
}

bool pt_injected_decode(const uint8_t *data, size_t len, struct pt_injected *in)
{
	struct cursor c = cur_init(data, len);
	uint8_t flags;

	memset(in, 0, sizeof(*in));
	if (!record_head(&c, PT_REC_INJECTED, &flags) || (flags & ~PT_INJ_SEVERAL) != 0 ||
	    !cur_be32(&c, &in->id) || cur_left(&c) != 0)
		return false;
	in->several = flags & PT_INJ_SEVERAL;
	/* An injector, or several and none named: nothing else. */
	return in->several == (in->id == 0);
}

bool pt_injected_of(const struct attribution *a, uint32_t inj_id, struct pt_injected *in)
{
	memset(in, 0, sizeof(*in));
	if (a->reason == REASON_PKT_SEVERAL) {
		in->several = true;
		return true;
	}
	if (a->reason != REASON_NO_SOCKET || !a->injector || inj_id == 0)
		return false;
	in->id = inj_id;
	return true;
}

/* A string of a process record: its length (2 bytes) and bytes, cut to PT_STRING_MAX. */
static void put_string(struct pbuf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint8_t len[2];

	if (n > PT_STRING_MAX)
		n = PT_STRING_MAX;
	put_be16(len, (uint16_t)n);
	pbuf_bytes(b, len, 2);
	pbuf_bytes(b, s, n);
}

void pt_process_encode(const struct proc_info *p, uint32_t id, struct pbuf *b)
{
	uint8_t h[32];
	size_t cmdline = p->cmdline ? strlen(p->cmdline) : 0;

	h[0] = 'P';
	h[1] = 'T';
	h[2] = PT_REC_PROCESS;
	h[3] = (uint8_t)((p->have_uid ? 1 : 0) | (p->cgroup ? 2 : 0));
	put_be32(h + 4, id);
	put_be32(h + 8, (uint32_t)p->pid);
	put_be32(h + 12, p->have_uid ? p->uid : 0);
	put_be64(h + 16, p->start);
	put_be64(h + 24, p->netns);
	pbuf_bytes(b, h, sizeof(h));
	put_string(b, p->comm);
	put_string(b, p->cmdline);
	/* The three in one option: what is left of its 65535 bytes for the cgroup. */
	if (p->cgroup) {
		size_t room = UINT16_MAX - 4 - sizeof(h) - 6 - strnlen(p->comm, sizeof(p->comm)) -
			      (cmdline < PT_STRING_MAX ? cmdline : PT_STRING_MAX);
		size_t n = strlen(p->cgroup);
		uint8_t len[2];

		if (n > room)
			n = room;
		put_be16(len, (uint16_t)n);
		pbuf_bytes(b, len, 2);
		pbuf_bytes(b, p->cgroup, n);
	}
}

static bool get_string(struct cursor *c, const uint8_t **s, size_t *n)
{
	uint16_t len;

	if (!cur_be16(c, &len))
		return false;
	*s = cur_need(c, len);
	*n = len;
	return *s != NULL && cur_skip(c, len);
}

bool pt_process_decode(const uint8_t *data, size_t len, struct pt_process *out)
{
	struct cursor c = cur_init(data, len);
	uint32_t pid;
	uint8_t flags;

	memset(out, 0, sizeof(*out));
	if (!record_head(&c, PT_REC_PROCESS, &flags) || (flags & ~3u) != 0)
		return false;
	if (!cur_be32(&c, &out->id) || !cur_be32(&c, &pid) || !cur_be32(&c, &out->uid) ||
	    !cur_be64(&c, &out->start) || !cur_be64(&c, &out->netns))
		return false;
	out->pid = (int32_t)pid;
	out->have_uid = flags & 1;
	if (!get_string(&c, &out->comm, &out->comm_len) ||
	    !get_string(&c, &out->cmdline, &out->cmdline_len))
		return false;
	if ((flags & 2) && !get_string(&c, &out->cgroup, &out->cgroup_len))
		return false;
	return out->id != 0 && out->pid > 0 && cur_left(&c) == 0;
}

uint8_t pt_reason(enum unknown_reason r)
{
	switch (r) {
	case REASON_NO_SOCKET:
	case REASON_PKT_SEVERAL:	/* no IP socket: the injected record says the rest */
		return 1;
	case REASON_NO_PROCESS:
		return 2;
	case REASON_NO_PERMISSION:
		return 3;
	case REASON_NOT_LOCAL:
		return 4;
	case REASON_TABLE_FULL:
		return 5;
	default:
		return 0;
	}
}

enum unknown_reason pt_reason_of(uint8_t v)
{
	static const enum unknown_reason r[] = {
		REASON_NONE, REASON_NO_SOCKET, REASON_NO_PROCESS, REASON_NO_PERMISSION,
		REASON_NOT_LOCAL, REASON_TABLE_FULL,
	};

	return v < sizeof(r) / sizeof(r[0]) ? r[v] : REASON_COUNT;
}

static uint8_t end_state(enum unknown_reason r)
{
	switch (r) {
	case REASON_NO_PROCESS:
		return PT_NO_PROCESS;
	case REASON_NO_PERMISSION:
		return PT_NO_PERMISSION;
	default:
		return PT_NO_SOCKET;
	}
}

void pt_owners_of(const struct attribution *a, const uint32_t ids[2], bool swapped,
		  struct pt_owners *o)
{
	uint8_t state[2];

	/* In the canonical orientation first: every packet of a flow says the same of an end. */
	for (int e = 0; e < 2; e++) {
		if (a->owner[e])
			state[e] = PT_OWNED;
		else if (a->end_reason[e] != REASON_NONE)
			state[e] = end_state(a->end_reason[e]);
		else
			state[e] = PT_NO_SOCKET;
		if (a->local[e])
			state[e] |= PT_LOCAL;
	}
	/*
	 * No owner: attribute_flow names the flow's row after the ends'
	 * answers, no-permission before no-process before no-socket.
	 */
	if (a->reason == REASON_NO_PERMISSION || a->reason == REASON_NO_PROCESS)
		state[0] = (uint8_t)(end_state(a->reason) | (state[0] & PT_LOCAL));
	o->reason = pt_reason(a->reason);
	for (int e = 0; e < 2; e++) {
		int from = swapped ? !e : e;
		o->state[e] = state[from];
		o->id[e] = a->owner[from] ? ids[from] : 0;
	}
}

size_t pt_escape_comm(const char *comm, char *buf, size_t len)
{
	char esc[4 * 64 + 1];
	size_t at = 0;

	/* The text table's escaping (output.h), then the two word breakers. */
	output_escape_text(comm, esc, sizeof(esc), NULL);
	for (const char *s = esc; *s && at + 5 < len; s++) {
		if (*s == ' ' || *s == ';') {
			at += (size_t)snprintf(buf + at, len - at, "\\x%02x", (unsigned char)*s);
			continue;
		}
		buf[at++] = *s;
	}
	buf[at] = '\0';
	return at;
}

/*
 * One clause: who, and which way the packet went for that row; injected:
 * p wrote it through a packet socket.
 */
static size_t clause(char *buf, size_t at, const struct proc_info *p, enum unknown_reason r,
		     bool out, bool injected)
{
	char comm[4 * 64 + 1];

	if (at + 2 >= PT_COMMENT_MAX)
		return at;
	if (at > 0) {
		memcpy(buf + at, "; ", 3);
		at += 2;
	}
	if (p) {
		pt_escape_comm(p->comm, comm, sizeof(comm));
		at += (size_t)snprintf(buf + at, PT_COMMENT_MAX - at, "pid=%d comm=%s dir=%s%s",
				       p->pid, comm, out ? "out" : "in",
				       injected ? " via=packet" : "");
	} else {
		/* "unknown:no-socket" is the row's name: "unknown=no-socket" as a key. */
		at += (size_t)snprintf(buf + at, PT_COMMENT_MAX - at, "unknown=%s dir=%s",
				       reason_name(r) + strlen("unknown:"), out ? "out" : "in");
	}
	return at < PT_COMMENT_MAX ? at : PT_COMMENT_MAX - 1;
}

size_t pt_comment(const struct attribution *a, bool swapped, bool out, char *buf)
{
	size_t at = 0;

	buf[0] = '\0';
	if (a->reason != REASON_NONE) {
		int src = swapped ? 1 : 0;
		/* The unknown row counts a packet as sent when it left an address of ours. */
		bool sent = a->reason == REASON_TABLE_FULL ? out : a->local[src];
		/* What the unknown row would count as sent is an injector's (aggregate.c). */
		if (a->injector && a->reason == REASON_NO_SOCKET && sent)
			return clause(buf, 0, a->injector, REASON_NONE, true, true);
		return clause(buf, 0, NULL, a->reason, sent, false);
	}
	/* The packet's source end first: its owner sent it. */
	for (int e = 0; e < 2; e++) {
		int from = swapped ? !e : e;
		if (a->owner[from])
			at = clause(buf, at, a->owner[from], REASON_NONE, e == 0, false);
		else if (a->end_reason[from] != REASON_NONE)
			at = clause(buf, at, NULL, a->end_reason[from], e == 0, false);
	}
	return at;
}

size_t pt_comment_table_full(bool out, char *buf)
{
	return clause(buf, 0, NULL, REASON_TABLE_FULL, out, false);
}
