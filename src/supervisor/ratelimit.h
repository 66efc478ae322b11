/* ratelimit — per-tenant request rate and concurrency limits.
 *
 * Each tenant has a token bucket and an in-flight count. A bucket holds at
 * most burst tokens and refills continuously at rate tokens per second; an
 * execution takes one token and one concurrency slot when it is admitted
 * (ratelimit_acquire) and gives the slot back when it ends
 * (ratelimit_release). Tokens are never given back. A refusal consumes
 * nothing and says how long to wait, for a 429 with Retry-After: -EBUSY
 * (checked first) when the tenant already has max_concurrent executions in
 * flight, which ends when one of them does, so it says 1 s; -EAGAIN when
 * the bucket holds less than one token, with the time until it will hold one,
 * rounded up to whole seconds (capped at RATELIMIT_RETRY_MAX).
 *
 * Time is the caller's: every call that refills takes now_ns from a
 * monotonic clock (clock_mono_ns()), which keeps the module pure and lets
 * the tests drive time. A now_ns earlier than one already seen counts as no
 * time passing.
 *
 * Tenants live in a chained hash table keyed by name (at most
 * RATELIMIT_TENANT_MAX bytes), created with a full bucket on first sight.
 * The table never grows without bound: it holds at most max_tenants entries
 * (default RATELIMIT_MAX_TENANTS). Only an idle entry (nothing in flight)
 * whose bucket has refilled to burst may be evicted: such an entry is exactly
 * what a fresh one would be, so forgetting it loses nothing and lets no one
 * past a limit. Idle entries sit in a min-heap keyed by the time their bucket
 * will be full (fixed while they stay idle), so when a new tenant arrives at
 * the cap the heap's top is the one entry to look at: evicted if that time
 * has come, otherwise the new tenant is refused with -EAGAIN and a
 * retry_after of when it will have (1 s when every entry is busy). Each
 * call costs O(log n) however full the table (amortized: the hash table
 * doubles as it fills, up to the cap). Tenant names are identities the
 * service assigned (authenticated keys, "default" in dev mode), not strings
 * a request chose, and the hash is seeded per instance besides.
 *
 * Not thread-safe, and needs no locking: corral serve runs one event loop,
 * and every call is made from it. */
#ifndef CORRAL_RATELIMIT_H
#define CORRAL_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_TENANT_MAX 64          /* bytes of a tenant name, without NUL */
#define RATELIMIT_MAX_TENANTS 100000u    /* default cap on tenants kept */
#define RATELIMIT_RETRY_MAX 86400u       /* retry_after is never more (s) */

struct ratelimit;

/* rate: tokens per second (0 = unlimited), burst: bucket size (below 1 it
 * is taken as 1), max_concurrent: 0 = unlimited. Returns NULL with errno
 * EINVAL for a negative or non-finite rate or burst, ENOMEM when out of
 * memory. Caller frees with ratelimit_free. */
struct ratelimit *ratelimit_new(double rate, double burst, unsigned max_concurrent);
void ratelimit_free(struct ratelimit *r); /* NULL is a no-op */

/* Caps the tenants kept (n >= 1). Lowering it below the current count takes
 * effect as tenants are evicted; nothing is dropped here. */
void ratelimit_set_max_tenants(struct ratelimit *r, unsigned n);

/* Takes one token and one concurrency slot for tenant. Returns 0, -EAGAIN
 * when the bucket is empty (or the tenant table is full; see the top),
 * -EBUSY when the tenant is at max_concurrent; on refusal *retry_after_s is
 * set (whole seconds, >= 1). -EINVAL for a NULL or over-long tenant, -ENOMEM
 * when the table cannot grow. retry_after_s may be NULL. tenant is borrowed
 * for the call. */
int ratelimit_acquire(struct ratelimit *r, const char *tenant, uint64_t now_ns,
		      unsigned *retry_after_s);
/* Gives the concurrency slot back. An unknown tenant, or one with nothing in
 * flight, is a no-op (a caller bug that must not underflow). */
void ratelimit_release(struct ratelimit *r, const char *tenant);
unsigned ratelimit_in_flight(const struct ratelimit *r, const char *tenant);
/* Calls fn for each tenant with executions in flight (in no set order). */
void ratelimit_each_in_flight(const struct ratelimit *r,
			      void (*fn)(void *ud, const char *tenant, unsigned in_flight), void *ud);
/* Tenants currently kept, for tests and metrics. */
unsigned ratelimit_tenants(const struct ratelimit *r);

#endif
