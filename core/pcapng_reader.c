/*
 * pcapng_reader.c - a -w file read block by block, for -r, into the table
 * of its owners (annot.c); see pcapng_reader.h.
 */
#include "pcapng_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "annot.h"
#include "cursor.h"
#include "hmap.h"
#include "pcapng.h"

#define READ_CHUNK (1u << 20)	/* one pread, at least */
#define IFS_MAX 65536		/* interfaces of a section whose resolution is kept */
#define TSRESOL_DEFAULT 6	/* microseconds, when an interface does not say */

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
	bool injected;		/* ... and the one of injected records (pcapng.h) */
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
	s->ours = s->injected = false;
	s->nifs = 0;
	while (next_option(c, s->be, &code, &v, &len)) {
		const uint8_t *d = ours(s, code, v, len);
		if (d && code == PCAPNG_OPT_CUSTOM_STR && len - 4u == strlen(PT_MARKER) &&
		    memcmp(d, PT_MARKER, strlen(PT_MARKER)) == 0)
			s->ours = true;
		if (d && code == PCAPNG_OPT_CUSTOM_STR && len - 4u == strlen(PT_MARKER_INJECTED) &&
		    memcmp(d, PT_MARKER_INJECTED, strlen(PT_MARKER_INJECTED)) == 0)
			s->injected = true;
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
		annot_add_time(a, code == PCAPNG_ISB_STARTTIME, us);
	}
	return true;
}

static bool parse_epb(struct annot *a, const struct section *s, struct cursor *c)
{
	const uint8_t *h = cur_need(c, 20), *v, *owners = NULL;
	size_t owners_n = 0;
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
		/* The owners record is taken with the injected record after it, if any. */
		if (len >= 8 && d[2] == PT_REC_OWNERS) {
			if (owners)
				annot_add_owners(a, s->index, owners, owners_n, NULL, 0);
			owners = d;
			owners_n = len - 4u;
		} else if (len >= 8 && d[2] == PT_REC_INJECTED && owners) {
			annot_add_owners(a, s->index, owners, owners_n, d, len - 4u);
			owners = NULL;
		} else if (len >= 8 && d[2] == PT_REC_PROCESS) {
			annot_add_process(a, s->index, d, len - 4u);
		}
	}
	if (owners)
		annot_add_owners(a, s->index, owners, owners_n, NULL, 0);
	return true;
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
			if (ok && s->ours && s->injected)
				annot_records_injected(a);
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
	annot_stopped(a);
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
	annot_settle(a);
	*out = a;
	return 1;
}

/* See pcapng_reader.h. */
bool annot_shb_ours(const uint8_t *h, size_t len)
{
	struct section s = { 0 };
	struct cursor c;

	if (len < 28)
		return false;
	s.be = get32(h + 8, false) != PCAPNG_BYTE_ORDER_MAGIC;
	/* Its length, at both ends, is the block's. */
	if (get32(h + 4, s.be) != len || get32(h + len - 4, s.be) != len)
		return false;
	c = cur_init(h + 8, len - 12);
	return parse_shb(&s, &c) && s.ours;
}

bool annot_shb_head(const uint8_t h[12], uint32_t *total)
{
	bool be;

	if (get32(h, false) != PCAPNG_BT_SHB)
		return false;
	if (get32(h + 8, false) == PCAPNG_BYTE_ORDER_MAGIC)
		be = false;
	else if (get32(h + 8, true) == PCAPNG_BYTE_ORDER_MAGIC)
		be = true;
	else
		return false;
	*total = get32(h + 4, be);
	return true;
}
