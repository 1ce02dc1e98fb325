/*
 * lookup_at.h - lookups by address and port, for tests: the resolver and
 * the owner sources take one struct flow_end (tuple.h).
 */
#ifndef PROCTRAF_TEST_LOOKUP_AT_H
#define PROCTRAF_TEST_LOOKUP_AT_H

#include "../../core/resolve.h"

static inline enum owner_status resolver_lookup_at(const struct resolver *r, int family,
						   int proto, const uint8_t *l, uint16_t lp,
						   const uint8_t *rem, uint16_t rp,
						   const struct proc_info **owner)
{
	struct flow_end e = flow_end_make(family, proto, l, lp, rem, rp);

	return resolver_lookup(r, &e, owner);
}

static inline enum owner_status resolver_lookup_end_at(const struct resolver *r, int family,
						       int proto, const uint8_t *l, uint16_t lp,
						       const uint8_t *rem, uint16_t rp,
						       const struct proc_info **owner, bool *local)
{
	struct flow_end e = flow_end_make(family, proto, l, lp, rem, rp);

	return resolver_lookup_end(r, &e, owner, local);
}

static inline bool resolver_answer_end_at(const struct resolver *r, int family, int proto,
					  const uint8_t *l, uint16_t lp, const uint8_t *rem,
					  uint16_t rp, struct owner_pin *pin)
{
	struct flow_end e = flow_end_make(family, proto, l, lp, rem, rp);

	return resolver_answer_end(r, &e, pin);
}

static inline enum owner_status source_lookup_at(const struct owner_source *src, int family,
						 int proto, const uint8_t *l, uint16_t lp,
						 const uint8_t *rem, uint16_t rp,
						 const struct proc_info **owner, bool *local)
{
	struct flow_end e = flow_end_make(family, proto, l, lp, rem, rp);

	return src->lookup(src->ctx, &e, true, owner, local);
}

#endif
