/*
 * pins.h - the attribution of a session's flows, kept where the resolver
 * forgets what gave it.
 *
 * The reports attribute every flow of the run from the resolver's memory,
 * at each interval and at the end, however long ago the flow's socket
 * closed. So the resolver may forget a socket (resolve.h, "Forgetting")
 * only once no flow needs it: before a round, each flow not pinned yet
 * whose answer at either end rests on a socket the round drops is pinned
 * (its two ends' answers, 12 bytes: a process the resolver then keeps for
 * the rest of the run, or the reason there is none, and whether the end
 * is ours); then the resolver forgets. A pinned flow is attributed from
 * its pin from then on, the others from the resolver as before. A pin
 * freezes the answer its flow had when its socket was forgotten, which
 * is the answer it would have had at the end: a closed socket no longer
 * changes. A flow the capture makes during the round is not among those
 * looked at; its end on a socket long closed is then looked up anew, as
 * any new flow.
 *
 * The flow table never forgets a flow (it keeps --max-flows of them at
 * most), so neither do the pins; the resolver's own memory no longer
 * grows with every socket it has seen, only with those open lately and
 * with the processes that pinned flows name.
 *
 * One thread at a time, holding the resolver: the resolver thread runs
 * rounds, the reporter thread attributes.
 */
#ifndef PROCTRAF_PINS_H
#define PROCTRAF_PINS_H

#include <stdbool.h>
#include <stddef.h>

#include "attribute.h"
#include "flowtab.h"
#include "resolve.h"

struct pins;

/* NULL on out of memory. */
struct pins *pins_new(void);
void pins_free(struct pins *p);

/*
 * If the resolver has a round of forgetting due (resolver_forget_due),
 * pin the flows [0, n) of ft that need it, then let the resolver forget.
 * n: the flows whose keys this thread may read (published to it). True if
 * a round ran. Out of memory, no flow is pinned and nothing forgotten.
 */
bool pins_round(struct pins *p, struct resolver *r, const struct flowtab *ft, size_t n);

/* Flow idx (key t) attributed: from its pin, or by the resolver now. */
void pins_attribute(const struct pins *p, const struct resolver *r, size_t idx,
		    const struct tuple *t, struct attribution *a);

/* Is flow idx pinned? (NULL p: none is) */
bool pins_has(const struct pins *p, size_t idx);

/* Flows pinned. */
size_t pins_count(const struct pins *p);

#endif
