/*
 * cursor.h - bounds-checked reads of untrusted packet bytes.
 *
 * Every read of packet memory in proctraf goes through a cursor. Each
 * accessor returns false (and leaves the output untouched) when the read
 * would pass the end of the captured bytes, so a truncated or hostile
 * packet can be counted as malformed but never read past its end.
 */
#ifndef PROCTRAF_CURSOR_H
#define PROCTRAF_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	for (size_t i = 0; i < n; i++)
		((uint8_t *)out)[i] = src[i];
	return true;
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
