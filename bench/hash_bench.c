/*
 * hash_bench.c - what seeded SipHash costs the resolver's address maps
 * (issue 11, item 10) beside the cheaper mixhash64 they used.
 *
 *   hash_bench [KEYS [RUNS]]        (default 1000 9)
 *
 * The maps of a namespace's addresses (core/localaddr.c) and of its
 * sockets' local addresses (rdb.c, sock_addrs) have 24-byte keys: an
 * address, its family, a length or namespace, zero padding. Each run
 * fills one map of each kind (hmap_new_host: mixhash64, as before;
 * hmap_new: SipHash-1-3, now) with KEYS such keys and looks up, in each,
 * 1,000,000 keys of which half are present, the two maps one after the
 * other in the same run. A flow end's attribution makes two to four such
 * lookups (resolver_lookup_end). Prints per run, then the medians and
 * their ratio:
 *     run N mixhash NS siphash NS (ns per lookup)
 *
 * Link: cc -std=c11 -D_GNU_SOURCE -O2 -Icore bench/hash_bench.c build/libproctraf.a
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmap.h"

#define LOOKUPS 1000000
#define MAX_RUNS 101

struct key {
	uint8_t addr[16];
	uint8_t family;
	uint8_t ns;
	uint8_t pad[6];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct key key_of(unsigned i)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.addr[0] = 10;
	k.addr[1] = (uint8_t)(i >> 16);
	k.addr[2] = (uint8_t)(i >> 8);
	k.addr[3] = (uint8_t)i;
	return k;
}

/* ns per lookup in m, filled with keys 0..n-1, of keys 0..2n-1 in turn. */
static double time_lookups(struct hmap *m, unsigned n, size_t *found)
{
	struct key *keys = malloc(2 * (size_t)n * sizeof(*keys));
	double t0, t1;
	bool ins;

	if (!keys) {
		perror("malloc");
		exit(1);
	}
	for (unsigned i = 0; i < 2 * n; i++) {
		keys[i] = key_of(i * 2654435761u);
		if (i < n)
			hmap_put(m, &keys[i], SIZE_MAX, &ins);
	}
	*found = 0;
	t0 = now();
	for (unsigned i = 0; i < LOOKUPS; i++)
		*found += hmap_get(m, &keys[i % (2 * n)]) != HMAP_NONE;
	t1 = now();
	free(keys);
	return (t1 - t0) * 1e9 / LOOKUPS;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	int runs = argc > 2 ? atoi(argv[2]) : 9;
	double mix[MAX_RUNS], sip[MAX_RUNS];
	size_t f1, f2;

	if (n < 1 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: hash_bench [KEYS [RUNS (1-%d)]]\n", MAX_RUNS);
		return 2;
	}
	for (int r = 0; r < runs; r++) {
		struct hmap *a = hmap_new_host(sizeof(struct key));
		struct hmap *b = hmap_new(sizeof(struct key), NULL);

		if (!a || !b) {
			perror("hmap_new");
			return 1;
		}
		mix[r] = time_lookups(a, n, &f1);
		sip[r] = time_lookups(b, n, &f2);
		if (f1 != f2) {
			fprintf(stderr, "hash_bench: the maps disagree (%zu, %zu found)\n", f1, f2);
			return 1;
		}
		printf("run %d mixhash %.1f siphash %.1f (ns per lookup, %zu of %d found)\n", r + 1,
		       mix[r], sip[r], f1, LOOKUPS);
		hmap_free(a);
		hmap_free(b);
	}
	qsort(mix, (size_t)runs, sizeof(double), cmp);
	qsort(sip, (size_t)runs, sizeof(double), cmp);
	printf("median of %d, %u keys: mixhash64 %.1f ns, SipHash-1-3 %.1f ns per lookup; "
	       "ratio %.2f, +%.1f ns\n", runs, n, mix[runs / 2], sip[runs / 2],
	       sip[runs / 2] / mix[runs / 2], sip[runs / 2] - mix[runs / 2]);
	return 0;
}
