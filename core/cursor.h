/*
 * cursor.h - bounds-checked reads of untrusted packet bytes.
 *
 * Every read of packet memory in proctraf goes through a cursor. Each
 * accessor returns false (and leaves the output untouched) when the read
 * would pass the end of the captured bytes, so a truncated or hostile
 * packet can be counted as malformed but never read past its end.
 * A fixed-size header is checked once instead: cur_need(c, n) gives its
 * bytes only when n of them are there, and hdr_be16/hdr_be32 read at
 * offsets below n.
 */
#ifndef PROCTRAF_CURSOR_H
#define PROCTRAF_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;	/* next unread byte */
	size_t left;		/* bytes remaining from p */
};

static inline struct cursor cur_init(const uint8_t *data, size_t len)
{
	struct cursor c = { data, len };
	return c;
}

static inline size_t cur_left(const struct cursor *c)
{
	return c->left;
}

static inline bool cur_skip(struct cursor *c, size_t n)
{
	if (n > c->left)
		return false;
	c->p += n;
	c->left -= n;
	return true;
}

static inline bool cur_u8(struct cursor *c, uint8_t *v)
{
	if (c->left < 1)
		return false;
	*v = c->p[0];
	c->p++;
	c->left--;
	return true;
}

static inline bool cur_be16(struct cursor *c, uint16_t *v)
{
	if (c->left < 2)
		return false;
	*v = (uint16_t)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	c->left -= 2;
	return true;
}

static inline bool cur_le32(struct cursor *c, uint32_t *v)
{
	if (c->left < 4)
		return false;
	*v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 |
	     (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
	c->p += 4;
	c->left -= 4;
	return true;
}

static inline bool cur_be32(struct cursor *c, uint32_t *v)
{
	if (c->left < 4)
		return false;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	     (uint32_t)c->p[2] << 8 | (uint32_t)c->p[3];
	c->p += 4;
	c->left -= 4;
	return true;
}

/* Copy n bytes out of the packet. */
static inline bool cur_bytes(struct cursor *c, void *out, size_t n)
{
	const uint8_t *src = c->p;

	if (!cur_skip(c, n))
		return false;
	memcpy(out, src, n);
	return true;
}

/* The next n bytes, not consumed, if there are n; else NULL. */
static inline const uint8_t *cur_need(const struct cursor *c, size_t n)
{
	return c->left >= n ? c->p : NULL;
}

/* Big-endian reads in a header cur_need checked (off + size <= its n). */
static inline uint16_t hdr_be16(const uint8_t *h, size_t off)
{
	return (uint16_t)((h[off] << 8) | h[off + 1]);
}

static inline uint32_t hdr_be32(const uint8_t *h, size_t off)
{
	return (uint32_t)h[off] << 24 | (uint32_t)h[off + 1] << 16 | (uint32_t)h[off + 2] << 8 |
	       (uint32_t)h[off + 3];
}

/* A sub-cursor over the next n bytes; the parent is advanced past them. */
static inline bool cur_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	const uint8_t *start = c->p;

	if (!cur_skip(c, n))
		return false;
	*sub = cur_init(start, n);
	return true;
}

#endif
