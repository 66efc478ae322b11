/* ratelimit — see ratelimit.h. */
#include "supervisor/ratelimit.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define NS_PER_S 1e9
#define SLOTS_MIN 64u
#define NOT_IDLE SIZE_MAX /* heap_idx of an entry with work in flight */

/* One tenant. Invariants: 0 <= tokens <= burst, as of last_ns (tokens is
 * unused when rate is 0); in_flight counts acquires not yet released; the
 * entry is in the idle heap, at heap_idx, exactly when in_flight is 0, and
 * then full_ns is when its bucket will be full. Only idle entries are
 * evicted, so a release always finds its entry. */
struct rl_entry {
	struct rl_entry *next;
	uint64_t hash;
	uint64_t last_ns;
	uint64_t full_ns;
	double tokens;
	size_t heap_idx;
	unsigned in_flight;
	unsigned char len;
	char tenant[]; /* len bytes and a NUL */
};

/* Invariants: count entries hang off slots[0..nslots), nslots a power of
 * two; heap[0..nheap) are the idle entries, a min-heap on full_ns; nheap <=
 * count <= heap_alloc, so a push never allocates. */
struct ratelimit {
	double rate, burst;
	unsigned max_concurrent;
	unsigned max_tenants;
	unsigned count;
	size_t nslots;
	struct rl_entry **slots;
	struct rl_entry **heap;
	size_t nheap, heap_alloc;
	uint64_t seed;
};

static uint64_t tenant_hash(const struct ratelimit *r, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ r->seed; /* FNV-1a ... */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33; /* ... then murmur3's fmix64, so the low bits depend on all */
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

struct ratelimit *ratelimit_new(double rate, double burst, unsigned max_concurrent)
{
	if (!isfinite(rate) || rate < 0 || !isfinite(burst) || burst < 0) {
		errno = EINVAL;
		return NULL;
	}
	struct ratelimit *r = calloc(1, sizeof *r);
	if (!r)
		goto fail_r;
	r->slots = calloc(SLOTS_MIN, sizeof *r->slots);
	if (!r->slots)
		goto fail_slots;
	r->nslots = SLOTS_MIN;
	r->rate = rate;
	r->burst = burst < 1 ? 1 : burst;
	r->max_concurrent = max_concurrent;
	r->max_tenants = RATELIMIT_MAX_TENANTS;
	if (getrandom(&r->seed, sizeof r->seed, GRND_NONBLOCK) != sizeof r->seed) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r->seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)r;
	}
	return r;

fail_slots:
	free(r);
fail_r:
	errno = ENOMEM;
	return NULL;
}

void ratelimit_free(struct ratelimit *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nslots; i++) {
		struct rl_entry *e = r->slots[i];
		while (e) {
			struct rl_entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(r->slots);
	free(r->heap);
	free(r);
}

void ratelimit_set_max_tenants(struct ratelimit *r, unsigned n)
{
	r->max_tenants = n ? n : 1;
}

void ratelimit_each_in_flight(const struct ratelimit *r,
			      void (*fn)(void *ud, const char *tenant, unsigned in_flight), void *ud)
{
	for (size_t i = 0; i < r->nslots; i++)
		for (const struct rl_entry *e = r->slots[i]; e; e = e->next)
			if (e->in_flight)
				fn(ud, e->tenant, e->in_flight);
}

unsigned ratelimit_tenants(const struct ratelimit *r)
{
	return r->count;
}

/* --- the idle heap ------------------------------------------------------ */

static void heap_set(struct ratelimit *r, size_t i, struct rl_entry *e)
{
	r->heap[i] = e;
	e->heap_idx = i;
}

static void heap_up(struct ratelimit *r, size_t i)
{
	struct rl_entry *e = r->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (r->heap[parent]->full_ns <= e->full_ns)
			break;
		heap_set(r, i, r->heap[parent]);
		i = parent;
	}
	heap_set(r, i, e);
}

static void heap_down(struct ratelimit *r, size_t i)
{
	struct rl_entry *e = r->heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= r->nheap)
			break;
		if (child + 1 < r->nheap && r->heap[child + 1]->full_ns < r->heap[child]->full_ns)
			child++;
		if (e->full_ns <= r->heap[child]->full_ns)
			break;
		heap_set(r, i, r->heap[child]);
		i = child;
	}
	heap_set(r, i, e);
}

/* When e's bucket, as of last_ns, will be full. */
static uint64_t full_at(const struct ratelimit *r, const struct rl_entry *e)
{
	if (r->rate == 0 || e->tokens >= r->burst)
		return e->last_ns;
	double wait = ceil((r->burst - e->tokens) / r->rate * NS_PER_S);
	return wait < (double)(UINT64_MAX - e->last_ns) ? e->last_ns + (uint64_t)wait : UINT64_MAX;
}

/* e has just gone idle. Never allocates: see the struct's invariant. */
static void heap_push(struct ratelimit *r, struct rl_entry *e)
{
	e->full_ns = full_at(r, e);
	r->heap[r->nheap] = e;
	e->heap_idx = r->nheap++;
	heap_up(r, e->heap_idx);
}

static void heap_remove(struct ratelimit *r, struct rl_entry *e)
{
	size_t i = e->heap_idx;
	struct rl_entry *last = r->heap[--r->nheap];
	e->heap_idx = NOT_IDLE;
	if (last == e)
		return;
	heap_set(r, i, last);
	heap_up(r, i);
	heap_down(r, last->heap_idx);
}

/* --- the hash table ----------------------------------------------------- */

static struct rl_entry *find(const struct ratelimit *r, const char *tenant, size_t len,
			     uint64_t hash)
{
	struct rl_entry *e = r->slots[hash & (r->nslots - 1)];
	for (; e; e = e->next)
		if (e->hash == hash && e->len == len && memcmp(e->tenant, tenant, len) == 0)
			return e;
	return NULL;
}

static void unlink_entry(struct ratelimit *r, struct rl_entry *e)
{
	struct rl_entry **pp = &r->slots[e->hash & (r->nslots - 1)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
}

/* Doubles the slot array while the load passes 1 and the table is below its
 * cap. Failing to grow only makes chains longer, so it is not an error. */
static void maybe_grow(struct ratelimit *r)
{
	if (r->count < r->nslots || r->nslots >= r->max_tenants || r->nslots > SIZE_MAX / 2)
		return;
	size_t n = r->nslots * 2;
	struct rl_entry **slots = calloc(n, sizeof *slots);
	if (!slots)
		return;
	for (size_t i = 0; i < r->nslots; i++) {
		struct rl_entry *e = r->slots[i];
		while (e) {
			struct rl_entry *next = e->next;
			struct rl_entry **head = &slots[e->hash & (n - 1)];
			e->next = *head;
			*head = e;
			e = next;
		}
	}
	free(r->slots);
	r->slots = slots;
	r->nslots = n;
}

/* Brings e's bucket up to now. */
static void refill(const struct ratelimit *r, struct rl_entry *e, uint64_t now_ns)
{
	if (now_ns <= e->last_ns)
		return;
	if (r->rate > 0) {
		e->tokens += (double)(now_ns - e->last_ns) / NS_PER_S * r->rate;
		if (e->tokens > r->burst)
			e->tokens = r->burst;
	}
	e->last_ns = now_ns;
}

/* Whole seconds for a Retry-After, from a wait in seconds. A microsecond
 * of slack keeps float noise from turning 1 s into 2. */
static unsigned retry_seconds(double s)
{
	s -= 1e-6;
	if (!(s >= 1))
		return 1;
	if (s >= RATELIMIT_RETRY_MAX)
		return RATELIMIT_RETRY_MAX;
	return (unsigned)ceil(s);
}

/* Makes room for one more tenant: evicts idle entries whose buckets are
 * full by now while the table is at its cap. Returns 0, or -EAGAIN with
 * the wait in *retry. */
static int make_room(struct ratelimit *r, uint64_t now_ns, unsigned *retry)
{
	while (r->count >= r->max_tenants) {
		if (!r->nheap) {
			*retry = 1; /* every entry is busy: wait for a release */
			return -EAGAIN;
		}
		struct rl_entry *e = r->heap[0];
		if (e->full_ns > now_ns) {
			*retry = retry_seconds((double)(e->full_ns - now_ns) / NS_PER_S);
			return -EAGAIN;
		}
		heap_remove(r, e);
		unlink_entry(r, e);
		free(e);
		r->count--;
	}
	return 0;
}

static struct rl_entry *insert(struct ratelimit *r, const char *tenant, size_t len,
			       uint64_t hash, uint64_t now_ns)
{
	if (r->count >= r->heap_alloc) {
		size_t n = r->heap_alloc ? r->heap_alloc * 2 : SLOTS_MIN;
		struct rl_entry **heap = realloc(r->heap, n * sizeof *heap);
		if (!heap)
			return NULL;
		r->heap = heap;
		r->heap_alloc = n;
	}
	struct rl_entry *e = malloc(sizeof *e + len + 1);
	if (!e)
		return NULL;
	e->hash = hash;
	e->last_ns = now_ns;
	e->tokens = r->burst;
	e->in_flight = 0;
	e->len = (unsigned char)len;
	memcpy(e->tenant, tenant, len);
	e->tenant[len] = '\0';
	r->count++;
	maybe_grow(r);
	struct rl_entry **head = &r->slots[hash & (r->nslots - 1)];
	e->next = *head;
	*head = e;
	heap_push(r, e);
	return e;
}

int ratelimit_acquire(struct ratelimit *r, const char *tenant, uint64_t now_ns,
		      unsigned *retry_after_s)
{
	unsigned retry_unused;
	unsigned *retry = retry_after_s ? retry_after_s : &retry_unused;
	if (!tenant)
		return -EINVAL;
	size_t len = strnlen(tenant, RATELIMIT_TENANT_MAX + 1);
	if (len > RATELIMIT_TENANT_MAX)
		return -EINVAL;

	uint64_t hash = tenant_hash(r, tenant, len);
	struct rl_entry *e = find(r, tenant, len, hash);
	if (!e) {
		int rc = make_room(r, now_ns, retry);
		if (rc)
			return rc;
		e = insert(r, tenant, len, hash, now_ns);
		if (!e)
			return -ENOMEM;
	}
	refill(r, e, now_ns);

	if ((r->max_concurrent && e->in_flight >= r->max_concurrent) || e->in_flight == UINT_MAX) {
		*retry = 1;
		return -EBUSY;
	}
	if (r->rate > 0) {
		if (e->tokens < 1) {
			*retry = retry_seconds((1 - e->tokens) / r->rate);
			return -EAGAIN;
		}
		e->tokens -= 1;
	}
	if (e->in_flight++ == 0)
		heap_remove(r, e);
	return 0;
}

static struct rl_entry *lookup(const struct ratelimit *r, const char *tenant)
{
	if (!tenant)
		return NULL;
	size_t len = strnlen(tenant, RATELIMIT_TENANT_MAX + 1);
	if (len > RATELIMIT_TENANT_MAX)
		return NULL;
	return find(r, tenant, len, tenant_hash(r, tenant, len));
}

void ratelimit_release(struct ratelimit *r, const char *tenant)
{
	struct rl_entry *e = lookup(r, tenant);
	if (!e || !e->in_flight)
		return;
	if (--e->in_flight == 0)
		heap_push(r, e); /* full_at from its tokens as of the last refill */
}

unsigned ratelimit_in_flight(const struct ratelimit *r, const char *tenant)
{
	const struct rl_entry *e = lookup(r, tenant);
	return e ? e->in_flight : 0;
}
