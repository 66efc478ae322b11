/* test-idmap — the 64-bit key map: every operation agrees with a plain
 * array model over random puts, gets and deletes (sequential keys, pointer-
 * like keys with zero low bits, and colliding runs), and key 0 is refused. */
#include "common/idmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"

#define MODEL 4096

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct counter {
	size_t n;
	uint64_t sum;
};

static void count(void *ud, uint64_t key, void *v)
{
	struct counter *c = ud;
	c->n++;
	c->sum += key ^ (uint64_t)(uintptr_t)v;
}

/* Random operations on keys drawn by pick(i), checked against model[]. */
static int run(uint64_t (*pick)(unsigned), unsigned ops, const char *name)
{
	struct idmap m = IDMAP_INIT;
	static void *model[MODEL];
	static uint64_t keys[MODEL];
	for (unsigned i = 0; i < MODEL; i++) {
		model[i] = NULL;
		keys[i] = pick(i);
	}
	int bad = 0;
	size_t live = 0;
	for (unsigned op = 0; op < ops && !bad; op++) {
		unsigned i = (unsigned)(next() % MODEL);
		switch (next() % 3) {
		case 0: {
			void *v = (void *)(uintptr_t)(next() | 1);
			if (idmap_put(&m, keys[i], v))
				bad = 1;
			if (!model[i])
				live++;
			model[i] = v;
			break;
		}
		case 1:
			if (idmap_get(&m, keys[i]) != model[i])
				bad = 2;
			break;
		default:
			if (idmap_del(&m, keys[i]) != model[i])
				bad = 3;
			if (model[i])
				live--;
			model[i] = NULL;
		}
		if (m.n != live)
			bad = 4;
	}
	for (unsigned i = 0; i < MODEL && !bad; i++)
		if (idmap_get(&m, keys[i]) != model[i])
			bad = 5;
	struct counter c = { 0, 0 }, want = { 0, 0 };
	idmap_each(&m, count, &c);
	for (unsigned i = 0; i < MODEL; i++)
		if (model[i])
			count(&want, keys[i], model[i]);
	if (!bad && (c.n != want.n || c.sum != want.sum))
		bad = 6;
	ok(!bad, "%s: %u random operations agree with the model", name, ops);
	if (bad)
		diag("failure kind %d", bad);
	idmap_release(&m);
	return bad;
}

static uint64_t seq_key(unsigned i) { return i + 1; }
static uint64_t ptr_key(unsigned i) { return 0x7f0000000000ull + (uint64_t)i * 4096; }
static uint64_t rnd_key(unsigned i) { (void)i; return next() | 1; }
/* Many keys on few home slots, so runs wrap and shift. */
static uint64_t few_key(unsigned i) { return (uint64_t)(i % 64 + 1) << 40 | (i / 64 + 1); }

int main(void)
{
	struct idmap m = IDMAP_INIT;
	ok(idmap_get(&m, 5) == NULL, "an empty map has nothing");
	ok(idmap_del(&m, 5) == NULL, "deleting from an empty map is a no-op");
	ok(idmap_put(&m, 0, &m) == -EINVAL, "key 0 is refused");
	ok(idmap_put(&m, 7, &m) == 0 && idmap_get(&m, 7) == &m && m.n == 1, "put then get");
	ok(idmap_put(&m, 7, &plan) == 0 && idmap_get(&m, 7) == (void *)&plan && m.n == 1, "a second put replaces");
	ok(idmap_del(&m, 7) == (void *)&plan && m.n == 0 && !idmap_get(&m, 7), "delete returns the value");
	idmap_release(&m);
	run(seq_key, 200000, "sequential keys");
	run(ptr_key, 200000, "pointer-like keys");
	run(rnd_key, 200000, "random keys");
	run(few_key, 200000, "clustered keys");
	return done_testing();
}
