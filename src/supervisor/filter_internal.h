/* filter_internal — what filter.c and filter_pii.c share. No other module
 * includes it. */
#ifndef CORRAL_FILTER_INTERNAL_H
#define CORRAL_FILTER_INTERNAL_H

#include "supervisor/filter.h"

struct filter__tok {
	char *key; /* the kind's index as one byte, then the normalized value */
	size_t klen;
	unsigned num;
};

/* The default token map: open addressing, cap a power of two (or 0), at
 * most 70% full; next[k] is the last number given to kind k. */
struct filter__tokmap {
	struct filter__tok *e;
	size_t cap, n;
	unsigned next[4];
};

/* A filter_token_fn over a struct filter__tokmap (ud). */
int filter__tokmap_token(void *ud, const char *kind, const char *value, size_t n, unsigned *num);
void filter__tokmap_release(struct filter__tokmap *m);

/* The PII stage over t[0..n): appends to out the text with each value
 * replaced by its token, when always is set or something was replaced. When
 * token fails, the value becomes "[KIND]" and *tokerr gets the first error.
 * Returns replacements or -errno. */
int filter__pii_scan(filter_token_fn token, void *ud, int *tokerr, const char *t, size_t n,
		     bool always, struct buf *out);

#endif
