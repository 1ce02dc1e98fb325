/* procnet.c - /proc/net text parsers; see procnet.h. */
#include "procnet.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "tuple.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* *v = *v * 10 + digit, false on overflow of 64 bits. */
static bool add_digit(uint64_t *v, char digit)
{
	uint64_t d = (uint64_t)(digit - '0');

	if (*v > (UINT64_MAX - d) / 10)
		return false;
	*v = *v * 10 + d;
	return true;
}

/* Parse exactly n hex digits into *v. */
static bool hex_n(const char *s, size_t n, uint32_t *v)
{
	uint32_t x = 0;

	for (size_t i = 0; i < n; i++) {
		int d = hexval(s[i]);
		if (d < 0)
			return false;
		x = x << 4 | (uint32_t)d;
	}
	*v = x;
	return true;
}

/* Next whitespace-separated token: *tok and *len; false at end of line. */
static bool next_token(const char **p, const char **tok, size_t *len)
{
	const char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n')
		return false;
	*tok = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n')
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return true;
}

/*
 * "0100007F:0016": the address is the kernel's in-memory words printed
 * with %08X, so each 32-bit group is stored back in host byte order.
 */
static bool parse_addr_port(const char *tok, size_t len, int family, uint8_t *addr,
			    uint16_t *port)
{
	size_t hexlen = family == TUPLE_V6 ? 32 : 8;
	uint32_t w, p;

	if (len != hexlen + 5 || tok[hexlen] != ':')
		return false;
	memset(addr, 0, 16);
	for (size_t i = 0; i < hexlen / 8; i++) {
		if (!hex_n(tok + 8 * i, 8, &w))
			return false;
		memcpy(addr + 4 * i, &w, 4);
	}
	if (!hex_n(tok + hexlen + 1, 4, &p))
		return false;
	*port = (uint16_t)p;
	return true;
}

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* ::ffff:a.b.c.d becomes a.b.c.d; :: becomes 0.0.0.0 only when asked. */
static void unmap_v4(uint8_t *addr)
{
	memmove(addr, addr + 12, 4);
	memset(addr + 4, 0, 12);
}

bool procnet_parse_line(const char *line, int family, int proto, struct sock_entry *out)
{
	const char *p = line, *tok;
	size_t len;
	uint32_t st;
	uint64_t inode = 0;

	memset(out, 0, sizeof(*out));
	/* "sl" field: digits and a colon */
	if (!next_token(&p, &tok, &len) || len < 2 || tok[len - 1] != ':' ||
	    !isdigit((unsigned char)tok[0]))
		return false;
	if (!next_token(&p, &tok, &len) ||
	    !parse_addr_port(tok, len, family, out->laddr, &out->lport))
		return false;
	if (!next_token(&p, &tok, &len) ||
	    !parse_addr_port(tok, len, family, out->raddr, &out->rport))
		return false;
	if (!next_token(&p, &tok, &len) || len != 2 || !hex_n(tok, 2, &st))
		return false;
	/* tx:rx, tr:when, retrnsmt, uid, timeout, then the inode */
	for (int i = 0; i < 5; i++) {
		if (!next_token(&p, &tok, &len))
			return false;
	}
	if (!next_token(&p, &tok, &len) || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)tok[i]) || !add_digit(&inode, tok[i]))
			return false;
	}
	out->family = (uint8_t)family;
	out->proto = (uint8_t)proto;
	if (proto == PROCNET_RAW) {
		if (out->lport > 255)
			return false;
		out->raw = true;
		out->proto = (uint8_t)out->lport;
		out->lport = out->rport = 0;
	}
	out->state = (uint8_t)st;
	out->inode = inode;
	if (family == TUPLE_V6 && memcmp(out->laddr, v4mapped_prefix, 12) == 0 &&
	    (memcmp(out->raddr, v4mapped_prefix, 12) == 0 ||
	     memcmp(out->raddr, (uint8_t[16]){ 0 }, 16) == 0)) {
		/* A dual-stack socket talking IPv4. */
		unmap_v4(out->laddr);
		if (memcmp(out->raddr, v4mapped_prefix, 12) == 0)
			unmap_v4(out->raddr);
		out->family = TUPLE_V4;
	}
	return true;
}

bool procnet_fib_line(struct fib_state *st, const char *line, struct local_prefix *out)
{
	const char *p = line;
	char buf[INET_ADDRSTRLEN];
	unsigned bits;
	size_t n;

	while (*p == ' ')
		p++;
	if (strncmp(p, "|-- ", 4) == 0) {
		p += 4;
		n = strcspn(p, " \n");
		st->have_addr = false;
		if (n < sizeof(buf)) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			st->have_addr = inet_pton(AF_INET, buf, st->addr) == 1;
		}
		return false;
	}
	if (*p != '/' || !st->have_addr)
		return false;
	p++;
	bits = 0;
	n = 0;
	while (isdigit((unsigned char)*p) && n < 3) {
		bits = bits * 10 + (unsigned)(*p++ - '0');
		n++;
	}
	/* Our own addresses, and the broadcast addresses of our subnets. */
	if (n == 0 || bits > 32 ||
	    (strncmp(p, " host LOCAL", 11) != 0 && strncmp(p, " link BROADCAST", 15) != 0))
		return false;
	memset(out, 0, sizeof(*out));
	out->family = TUPLE_V4;
	out->len = (uint8_t)bits;
	memcpy(out->addr, st->addr, 4);
	return true;
}

bool procnet_if_inet6_line(const char *line, struct local_prefix *out)
{
	uint32_t b;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 16; i++) {
		if (!hex_n(line + 2 * i, 2, &b))
			return false;
		out->addr[i] = (uint8_t)b;
	}
	if (line[32] != ' ')
		return false;
	out->family = TUPLE_V6;
	out->len = 128;
	return true;
}

bool procnet_socket_link(const char *target, size_t len, uint64_t *inode)
{
	uint64_t v = 0;
	size_t i;

	if (len < 10 || memcmp(target, "socket:[", 8) != 0 || target[len - 1] != ']')
		return false;
	for (i = 8; i < len - 1; i++) {
		if (!isdigit((unsigned char)target[i]) || !add_digit(&v, target[i]))
			return false;
	}
	*inode = v;
	return true;
}
