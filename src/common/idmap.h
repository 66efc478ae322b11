/* idmap — a map from 64-bit keys to pointers (open addressing, linear
 * probing, backward-shift deletion), for the tables that are looked up per
 * frame: a worker's executions by slot, their contexts by pointer, the
 * supervisor's jobs in a worker by slot.
 *
 * Key 0 is reserved (it marks an empty cell). The table doubles when it is
 * 3/4 full and never shrinks; lookups and removals are O(1) on average. */
#ifndef CORRAL_IDMAP_H
#define CORRAL_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap {
	uint64_t *keys;
	void **vals;
	size_t cap;   /* a power of two, or 0 before the first put */
	size_t n;
};

#define IDMAP_INIT { NULL, NULL, 0, 0 }

void idmap_release(struct idmap *m);
/* Sets key (≠ 0) to v, replacing any value. Returns 0 or -ENOMEM. */
int idmap_put(struct idmap *m, uint64_t key, void *v);
/* The value of key, or NULL. */
void *idmap_get(const struct idmap *m, uint64_t key);
/* Removes key; returns its value, or NULL when it was not there. */
void *idmap_del(struct idmap *m, uint64_t key);
/* Calls fn for every entry (fn must not change the map). */
void idmap_each(const struct idmap *m, void (*fn)(void *ud, uint64_t key, void *v), void *ud);

#endif
