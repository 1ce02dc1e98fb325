/*
 * hmap.h - a seeded, insert-only hash index over fixed-size keys.
 *
 * Keys come from the network (flow tuples) or from /proc, so the hash is
 * SipHash-1-3 keyed with a per-table random seed: an attacker who does not
 * know the seed cannot aim packets at one bucket. Entries are numbered
 * densely in insertion order (0, 1, 2, ...) and never move or go away, so
 * callers keep their values in plain arrays indexed by that number. Nor
 * does an entry's memory move when the map grows (it is kept in chunks):
 * a key, once put, may be read by another thread while more are put, if
 * the count it reads up to was handed over with release/acquire.
 * Open addressing with linear probing over a power-of-two slot array;
 * each slot holds 32 bits of the hash and the entry number, so most
 * probes never touch the key array.
 */
#ifndef PROCTRAF_HMAP_H
#define PROCTRAF_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HMAP_NONE SIZE_MAX

struct hmap;

/* seed: 16 bytes; NULL draws one from getrandom(). NULL on out of memory. */
struct hmap *hmap_new(size_t key_size, const uint8_t *seed);
void hmap_free(struct hmap *m);

/*
 * Each key with a value of value_size bytes beside it (zeroed when the key
 * is put): one place in memory for both. hmap_value gives it.
 */
struct hmap *hmap_new_kv(size_t key_size, size_t value_size, const uint8_t *seed);
void *hmap_value(struct hmap *m, size_t idx);

/*
 * The same with a cheaper keyed hash (mixhash64), for a map whose keys
 * this host's kernel or this process chooses: inode numbers and pids
 * (handed out in turn), pointers. Never for keys that the network, a
 * local user or the owner of another namespace chooses (addresses, a
 * container's interfaces and sockets): mixhash64 is no PRF, so how long
 * a lookup probes could then be aimed at. The saving is small (about 10
 * ns a lookup of a 24-byte key: bench/hash_bench.c).
 */
struct hmap *hmap_new_host(size_t key_size);
/* The same with a value beside each key (hmap_new_kv). */
struct hmap *hmap_new_host_kv(size_t key_size, size_t value_size);

/*
 * Does m hash with SipHash (a pseudo-random function of its seed), as a
 * map whose keys someone else chooses must? false: mixhash64.
 */
bool hmap_prf(const struct hmap *m);

/* Index of key, or HMAP_NONE. */
size_t hmap_get(const struct hmap *m, const void *key);

/* The same, for a map whose keys are hashed by the caller (hmap_hash_bytes). */
size_t hmap_get_hashed(const struct hmap *m, const void *key, uint32_t h32);

/*
 * Index of key, inserting it if absent (*inserted tells which).
 * HMAP_NONE when out of memory or when the map already holds `limit`
 * keys (SIZE_MAX: no limit) and key is new.
 */
size_t hmap_put(struct hmap *m, const void *key, size_t limit, bool *inserted);

/*
 * The same in steps, for callers that work on a batch of keys and let the
 * memory of one come while they hash the next: hmap_hash, then
 * hmap_prefetch (the slot, then, once it has come, the key it points at),
 * then hmap_put_hashed with that hash.
 */
uint32_t hmap_hash(const struct hmap *m, const void *key);
/*
 * The hash of len bytes of the caller's own encoding of a key, with the
 * map's seed: for a map whose keys are always hashed so (hmap_put_hashed,
 * hmap_peek; never hmap_get or hmap_put), e.g. to leave out bytes that a
 * kind of key always has zero. The encoding must be one-to-one.
 */
uint32_t hmap_hash_bytes(const struct hmap *m, const void *data, size_t len);
void hmap_prefetch(const struct hmap *m, uint32_t h32, bool key_too);	/* key: its value too */
/* The entry the first slot for h32 holds (a guess), or HMAP_NONE. */
size_t hmap_peek(const struct hmap *m, uint32_t h32);
size_t hmap_put_hashed(struct hmap *m, const void *key, uint32_t h32, size_t limit,
		       bool *inserted);
/* The same, for a map with values: the key's value (NULL where that gives HMAP_NONE). */
void *hmap_put_value(struct hmap *m, const void *key, uint32_t h32, size_t limit,
		     bool *inserted);

size_t hmap_count(const struct hmap *m);
const void *hmap_key(const struct hmap *m, size_t idx);

/* SipHash-1-3 of data under a 16-byte key. */
uint64_t siphash13(const uint8_t key[16], const void *data, size_t len);

/*
 * A keyed multiply-xor hash of data and tweak, much cheaper than SipHash:
 * for a use where a forged collision costs little (see hmap_new_host).
 */
uint64_t mixhash64(const uint8_t seed[16], const void *data, size_t len, uint64_t tweak);

/* Fill buf with random bytes (getrandom, falling back to time and pid). */
void random_seed(uint8_t *buf, size_t len);

/* Grow *arr (of elem-sized items, capacity *cap) to hold at least need. */
bool array_reserve(void **arr, size_t *cap, size_t need, size_t elem);

#endif
