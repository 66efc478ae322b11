/* ratelimit — see ratelimit.h. */
#include "ratelimit.h"

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

/* One tenant. Invariant: 0 <= tokens <= burst as of last_ns (unused when
 * rate is 0); in_flight counts acquires not yet released. An entry with
 * in_flight > 0 is never evicted, so a release always finds its entry. */
struct rl_entry {
	struct rl_entry *next;
	uint64_t hash;
	uint64_t last_ns;
	double tokens;
	unsigned in_flight;
	unsigned char len;
	char tenant[]; /* len bytes and a NUL */
};

/* Invariant: count entries hang off slots[0..nslots), nslots a power of two;
 * sweep_after_ns and released gate sweeps of a full table (see the top of
 * ratelimit.h): a sweep is due when now reaches sweep_after_ns or when an
 * entry went idle since the last one. */
struct ratelimit {
	double rate, burst;
	unsigned max_concurrent;
	unsigned max_tenants;
	unsigned count;
	size_t nslots;
	struct rl_entry **slots;
	uint64_t seed;
	uint64_t sweep_after_ns;
	bool released;
};

static uint64_t tenant_hash(const struct ratelimit *r, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ r->seed; /* FNV-1a ... */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33; /* ... then murmur3's fmix64, so low bits depend on all */
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
	free(r);
}

void ratelimit_set_max_tenants(struct ratelimit *r, unsigned n)
{
	r->max_tenants = n ? n : 1;
	r->sweep_after_ns = 0;
}

unsigned ratelimit_tenants(const struct ratelimit *r)
{
	return r->count;
}

static struct rl_entry *find(const struct ratelimit *r, const char *tenant, size_t len,
			     uint64_t hash)
{
	struct rl_entry *e = r->slots[hash & (r->nslots - 1)];
	for (; e; e = e->next)
		if (e->hash == hash && e->len == len && memcmp(e->tenant, tenant, len) == 0)
			return e;
	return NULL;
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

static bool bucket_full(const struct ratelimit *r, const struct rl_entry *e)
{
	return r->rate == 0 || e->tokens >= r->burst;
}

/* Whole seconds for a Retry-After, from a wait in seconds. */
static unsigned retry_seconds(double s)
{
	if (!(s >= 1))
		return 1;
	if (s >= RATELIMIT_RETRY_MAX)
		return RATELIMIT_RETRY_MAX;
	return (unsigned)ceil(s);
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

/* Evicts every idle entry with a full bucket and notes when the next one
 * will be due. */
static void sweep(struct ratelimit *r, uint64_t now_ns)
{
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < r->nslots; i++) {
		struct rl_entry **pp = &r->slots[i];
		while (*pp) {
			struct rl_entry *e = *pp;
			refill(r, e, now_ns);
			if (e->in_flight == 0 && bucket_full(r, e)) {
				*pp = e->next;
				free(e);
				r->count--;
				continue;
			}
			if (e->in_flight == 0) {
				/* One nanosecond more than the float says, so the bucket
				 * is surely full by then. */
				double wait = ceil((r->burst - e->tokens) / r->rate * NS_PER_S) + 1;
				uint64_t at = wait < (double)(UINT64_MAX - now_ns)
						      ? now_ns + (uint64_t)wait : UINT64_MAX;
				if (at < next)
					next = at;
			}
			pp = &e->next;
		}
	}
	r->sweep_after_ns = next;
	r->released = false;
}

/* Makes room for one more tenant if the table is at its cap. Returns 0 or
 * -EAGAIN with the wait in *retry. */
static int make_room(struct ratelimit *r, uint64_t now_ns, unsigned *retry)
{
	if (r->count < r->max_tenants)
		return 0;
	if (r->released || now_ns >= r->sweep_after_ns)
		sweep(r, now_ns);
	if (r->count < r->max_tenants)
		return 0;
	*retry = r->sweep_after_ns == UINT64_MAX
			 ? 1 : retry_seconds((double)(r->sweep_after_ns - now_ns) / NS_PER_S);
	return -EAGAIN;
}

static struct rl_entry *insert(struct ratelimit *r, const char *tenant, size_t len,
			       uint64_t hash, uint64_t now_ns)
{
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
	e->in_flight++;
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
		r->released = true;
}

unsigned ratelimit_in_flight(const struct ratelimit *r, const char *tenant)
{
	const struct rl_entry *e = lookup(r, tenant);
	return e ? e->in_flight : 0;
}
