/* test-ratelimit — token buckets, concurrency slots and the tenant cap.
 *
 * Time is driven by hand through now_ns, so every refill is exact and the
 * test never sleeps. */
#include "supervisor/ratelimit.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

#define S(x) ((uint64_t)((x) * 1e9)) /* seconds to ns */
#define T0 S(1000)                   /* an arbitrary, non-zero start */

static void test_burst_then_refusal(void)
{
	struct ratelimit *r = ratelimit_new(1, 3, 0);
	ok(r != NULL, "ratelimit_new(1/s, burst 3)");
	int good = 1;
	for (int i = 0; i < 3; i++) {
		good &= ratelimit_acquire(r, "acme", T0, NULL) == 0;
		ratelimit_release(r, "acme");
	}
	ok(good, "a full bucket admits its burst of 3 at once");
	unsigned retry = 0;
	is_int(ratelimit_acquire(r, "acme", T0, &retry), -EAGAIN, "the 4th is refused: -EAGAIN");
	is_int(retry, 1, "retry_after is 1 s at 1 token/s");
	retry = 0;
	is_int(ratelimit_acquire(r, "acme", T0 + S(0.5), &retry), -EAGAIN, "still empty after 0.5 s");
	is_int(retry, 1, "retry_after rounds 0.5 s up to 1");
	is_int(ratelimit_acquire(r, "other", T0, NULL), 0, "another tenant has its own bucket");
	ratelimit_release(r, "other");

	/* Refill. */
	is_int(ratelimit_acquire(r, "acme", T0 + S(1), NULL), 0, "one token back after 1 s");
	ratelimit_release(r, "acme");
	is_int(ratelimit_acquire(r, "acme", T0 + S(1), NULL), -EAGAIN, "and only one");
	good = 1;
	for (int i = 0; i < 3; i++) {
		good &= ratelimit_acquire(r, "acme", T0 + S(100), NULL) == 0;
		ratelimit_release(r, "acme");
	}
	ok(good, "after 100 s the bucket holds its burst again");
	is_int(ratelimit_acquire(r, "acme", T0 + S(100), NULL), -EAGAIN,
	       "but no more than the burst: refill is capped");
	is_int(ratelimit_acquire(r, "acme", T0 + S(50), NULL), -EAGAIN,
	       "time going backwards refills nothing");
	is_int(ratelimit_acquire(r, "acme", T0 + S(101), NULL), 0,
	       "and does not disturb later refills");
	ratelimit_release(r, "acme");
	ratelimit_free(r);

	r = ratelimit_new(0.25, 1, 0);
	ratelimit_acquire(r, "slow", T0, NULL);
	retry = 0;
	is_int(ratelimit_acquire(r, "slow", T0, &retry), -EAGAIN, "0.25/s: second refused");
	is_int(retry, 4, "retry_after is 4 s at 0.25 token/s");
	retry = 0;
	ratelimit_acquire(r, "slow", T0 + S(2.5), &retry);
	is_int(retry, 2, "after 2.5 s, 1.5 s are left: retry_after 2");
	ratelimit_free(r);

	r = ratelimit_new(1e-9, 1, 0);
	ratelimit_acquire(r, "glacial", T0, NULL);
	retry = 0;
	ratelimit_acquire(r, "glacial", T0, &retry);
	is_int(retry, RATELIMIT_RETRY_MAX, "retry_after is capped at RATELIMIT_RETRY_MAX");
	ratelimit_free(r);

	r = ratelimit_new(2, 0, 0);
	is_int(ratelimit_acquire(r, "t", T0, NULL), 0, "burst 0 is taken as 1: one admitted");
	is_int(ratelimit_acquire(r, "t", T0, NULL), -EAGAIN, "and one only");
	ratelimit_free(r);

	r = ratelimit_new(0, 0, 0);
	good = 1;
	for (int i = 0; i < 10000; i++)
		good &= ratelimit_acquire(r, "free", T0, NULL) == 0;
	ok(good, "rate 0 and max_concurrent 0 never refuse");
	is_int(ratelimit_in_flight(r, "free"), 10000, "but in-flight is still counted");
	ratelimit_free(r);
}

static void test_concurrency(void)
{
	struct ratelimit *r = ratelimit_new(0, 0, 2);
	is_int(ratelimit_acquire(r, "acme", T0, NULL), 0, "1st of 2 concurrent");
	is_int(ratelimit_acquire(r, "acme", T0, NULL), 0, "2nd of 2 concurrent");
	is_int(ratelimit_in_flight(r, "acme"), 2, "2 in flight");
	unsigned retry = 0;
	is_int(ratelimit_acquire(r, "acme", T0, &retry), -EBUSY, "the 3rd is refused: -EBUSY");
	is_int(retry, 1, "with retry_after 1");
	is_int(ratelimit_in_flight(r, "acme"), 2, "a refusal takes no slot");
	is_int(ratelimit_acquire(r, "beta", T0, NULL), 0, "another tenant is not affected");
	ratelimit_release(r, "acme");
	is_int(ratelimit_in_flight(r, "acme"), 1, "release gives a slot back");
	is_int(ratelimit_acquire(r, "acme", T0, NULL), 0, "and the next acquire gets it");
	ratelimit_release(r, "acme");
	ratelimit_release(r, "acme");
	ratelimit_release(r, "acme");
	ratelimit_release(r, "acme");
	is_int(ratelimit_in_flight(r, "acme"), 0, "extra releases do not underflow");
	ratelimit_release(r, "nobody");
	is_int(ratelimit_in_flight(r, "nobody"), 0, "releasing an unknown tenant is a no-op");
	is_int(ratelimit_tenants(r), 2, "and does not create it");
	ratelimit_free(r);

	/* -EBUSY is checked first and consumes no token. */
	r = ratelimit_new(1, 2, 1);
	is_int(ratelimit_acquire(r, "acme", T0, NULL), 0, "rate 1/s burst 2 max 1: first in");
	is_int(ratelimit_acquire(r, "acme", T0, NULL), -EBUSY, "second while the first runs: -EBUSY");
	ratelimit_release(r, "acme");
	is_int(ratelimit_acquire(r, "acme", T0, NULL), 0,
	       "after release the second token is still there");
	ratelimit_release(r, "acme");
	retry = 0;
	is_int(ratelimit_acquire(r, "acme", T0, &retry), -EAGAIN, "then the bucket is empty");
	ok(retry >= 1, "with retry_after >= 1");
	ratelimit_free(r);
}

static void test_arguments(void)
{
	struct ratelimit *r = ratelimit_new(1, 1, 0);
	char name[RATELIMIT_TENANT_MAX + 2];
	memset(name, 'x', sizeof name);
	name[RATELIMIT_TENANT_MAX] = '\0';
	is_int(ratelimit_acquire(r, name, T0, NULL), 0, "a %d-byte tenant is accepted",
	       RATELIMIT_TENANT_MAX);
	is_int(ratelimit_in_flight(r, name), 1, "and found again");
	name[RATELIMIT_TENANT_MAX] = 'x';
	name[RATELIMIT_TENANT_MAX + 1] = '\0';
	is_int(ratelimit_acquire(r, name, T0, NULL), -EINVAL, "a %d-byte tenant is -EINVAL",
	       RATELIMIT_TENANT_MAX + 1);
	is_int(ratelimit_acquire(r, NULL, T0, NULL), -EINVAL, "a NULL tenant is -EINVAL");
	is_int(ratelimit_in_flight(r, NULL), 0, "in_flight(NULL) is 0");
	ratelimit_release(r, NULL);
	is_int(ratelimit_acquire(r, "", T0, NULL), 0, "the empty name is a tenant like any");
	is_int(ratelimit_tenants(r), 2, "two tenants kept");
	ratelimit_free(r);

	errno = 0;
	ok(ratelimit_new(-1, 1, 0) == NULL && errno == EINVAL, "a negative rate is EINVAL");
	errno = 0;
	ok(ratelimit_new(NAN, 1, 0) == NULL && errno == EINVAL, "a NaN rate is EINVAL");
	errno = 0;
	ok(ratelimit_new(1, INFINITY, 0) == NULL && errno == EINVAL, "an infinite burst is EINVAL");
	ratelimit_free(NULL);
	ok(1, "ratelimit_free(NULL) is a no-op");
}

static void test_cap(void)
{
	/* Nothing may be forgotten while it would let a tenant past a limit. */
	struct ratelimit *r = ratelimit_new(1, 2, 0);
	ratelimit_set_max_tenants(r, 2);
	ratelimit_acquire(r, "hot", T0, NULL);
	ratelimit_acquire(r, "hot", T0, NULL);
	ratelimit_release(r, "hot");
	ratelimit_release(r, "hot");
	ratelimit_acquire(r, "a", T0, NULL);
	ratelimit_release(r, "a");
	unsigned retry = 0;
	is_int(ratelimit_acquire(r, "b", T0, &retry), -EAGAIN,
	       "a new tenant at the cap, with no entry evictable, is refused");
	is_int(retry, 1, "retry_after is when the first entry refills (1 s)");
	is_int(ratelimit_acquire(r, "hot", T0 + S(0.5), NULL), -EAGAIN,
	       "the drained tenant was not forgotten (still empty)");
	is_int(ratelimit_tenants(r), 2, "the table stays at its cap");
	is_int(ratelimit_acquire(r, "b", T0 + S(1), NULL), 0,
	       "once an entry has refilled it is evicted and the new tenant gets in");
	is_int(ratelimit_acquire(r, "hot", T0 + S(1), NULL), 0,
	       "the drained tenant refilled as if left alone: one token after 1 s");
	is_int(ratelimit_acquire(r, "hot", T0 + S(1), NULL), -EAGAIN,
	       "and only one (it was never reset to a full bucket)");
	ratelimit_free(r);

	/* Entries with work in flight are never evicted. */
	r = ratelimit_new(1, 2, 1);
	ratelimit_set_max_tenants(r, 3);
	char name[32];
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "busy%d", i);
		ratelimit_acquire(r, name, T0, NULL);
	}
	retry = 0;
	is_int(ratelimit_acquire(r, "new", T0 + S(3600), &retry), -EAGAIN,
	       "an hour later, a full table of busy tenants refuses a new one");
	is_int(retry, 1, "with retry_after 1 (it waits on a release)");
	is_int(ratelimit_acquire(r, "busy1", T0 + S(3600), NULL), -EBUSY,
	       "the busy tenants keep their slots");
	ratelimit_release(r, "busy1");
	is_int(ratelimit_acquire(r, "new", T0 + S(3600), NULL), 0,
	       "a release makes the idle, full tenant evictable");
	is_int(ratelimit_in_flight(r, "busy0"), 1, "busy0 kept its slot");
	is_int(ratelimit_in_flight(r, "busy2"), 1, "busy2 kept its slot");
	is_int(ratelimit_in_flight(r, "busy1"), 0, "busy1 was forgotten");
	is_int(ratelimit_tenants(r), 3, "three tenants kept");
	ratelimit_free(r);

	/* A tenant is idle only when its last slot comes back. */
	r = ratelimit_new(0, 0, 0);
	ratelimit_set_max_tenants(r, 1);
	ratelimit_acquire(r, "two", T0, NULL);
	ratelimit_acquire(r, "two", T0, NULL);
	ratelimit_release(r, "two");
	is_int(ratelimit_acquire(r, "new", T0 + S(60), NULL), -EAGAIN,
	       "a tenant with 1 of 2 slots still in flight is not evicted");
	is_int(ratelimit_in_flight(r, "two"), 1, "and keeps its count");
	ratelimit_acquire(r, "two", T0 + S(60), NULL);
	ratelimit_release(r, "two");
	ratelimit_release(r, "two");
	is_int(ratelimit_acquire(r, "new", T0 + S(60), NULL), 0,
	       "once its last slot is back it is evicted for a new tenant");
	is_int(ratelimit_in_flight(r, "two"), 0, "and forgotten");
	ratelimit_free(r);

	/* 200,000 distinct tenants through a cap of 1,000, 1 ms apart: the
	 * table never passes its cap, and each refusal is only until the
	 * oldest entries refill. */
	r = ratelimit_new(1, 5, 0);
	ratelimit_set_max_tenants(r, 1000);
	unsigned most = 0, refused = 0, bad_retry = 0;
	for (unsigned i = 0; i < 200000; i++) {
		snprintf(name, sizeof name, "tenant-%u", i);
		uint64_t now = T0 + (uint64_t)i * 1000000;
		unsigned ra = 0;
		int rc = ratelimit_acquire(r, name, now, &ra);
		if (rc == 0)
			ratelimit_release(r, name);
		else if (rc == -EAGAIN)
			refused++, bad_retry += ra < 1;
		else
			bad_retry++;
		if (ratelimit_tenants(r) > most)
			most = ratelimit_tenants(r);
	}
	is_int(most, 1000, "200,000 tenants never take more than the cap of 1,000 entries");
	ok(bad_retry == 0, "every refusal was -EAGAIN with retry_after >= 1");
	ok(refused < 200000 / 2, "most new tenants got in (%u of 200,000 refused)", refused);
	ratelimit_free(r);

	/* The default cap, with rate 0: idle entries are always evictable. */
	r = ratelimit_new(0, 0, 4);
	most = 0;
	int all_in = 1;
	for (unsigned i = 0; i < RATELIMIT_MAX_TENANTS + 50000; i++) {
		snprintf(name, sizeof name, "t%u", i);
		all_in &= ratelimit_acquire(r, name, T0, NULL) == 0;
		ratelimit_release(r, name);
		if (ratelimit_tenants(r) > most)
			most = ratelimit_tenants(r);
	}
	ok(all_in, "with rate 0, %u tenants all get in", RATELIMIT_MAX_TENANTS + 50000);
	is_int(most, RATELIMIT_MAX_TENANTS, "and the table stops at the default cap");
	ratelimit_free(r);
}

int main(void)
{
	test_burst_then_refusal();
	test_concurrency();
	test_arguments();
	test_cap();
	return done_testing();
}
