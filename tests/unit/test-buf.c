/* test-buf — the capped byte buffer: the cap holds, a failed append leaves
 * the content as it was, and data is NUL-terminated whenever it is set. */
#include "common/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* True when b satisfies the invariants of buf.h. */
static int sane(const struct buf *b)
{
	if (b->len > b->cap)
		return 0;
	if (!b->data)
		return b->len == 0 && b->alloc == 0;
	return b->alloc > b->len && b->data[b->len] == '\0';
}

static void test_init(void)
{
	struct buf a = BUF_INIT(100);
	struct buf b;
	buf_init(&b, 100);
	ok(!a.data && a.len == 0 && a.alloc == 0 && a.cap == 100, "BUF_INIT: empty, no memory, cap set");
	ok(!memcmp(&a, &b, sizeof a), "buf_init matches BUF_INIT");
	buf_release(&b);
	ok(!b.data && b.cap == 100, "buf_release of a never-used buf is a no-op that keeps the cap");
}

static void test_append(void)
{
	struct buf b = BUF_INIT(1000);
	is_int(buf_append(&b, "abc", 3), 0, "append to an empty buf");
	is_str(b.data, "abc", "content after append");
	ok(b.len == 3 && sane(&b), "len 3, NUL-terminated");
	is_int(buf_append(&b, "", 0), 0, "append of 0 bytes");
	ok(b.len == 3 && sane(&b), "0-byte append changes nothing");
	is_int(buf_append(&b, "d\0e", 3), 0, "append with an embedded NUL");
	ok(b.len == 6 && !memcmp(b.data, "abcd\0e", 7), "embedded NUL kept, terminator after it");
	is_int(buf_puts(&b, "fg"), 0, "buf_puts");
	is_int(buf_putc(&b, 'h'), 0, "buf_putc");
	is_bytes(b.data, b.len, "abcd\0efgh", 9, "content after puts and putc");
	buf_release(&b);

	struct buf z = BUF_INIT(10);
	is_int(buf_append(&z, "", 0), 0, "0-byte append to a NULL buf");
	ok(z.data && z.data[0] == '\0' && z.len == 0, "it allocates and terminates: data is a valid empty string");
	buf_release(&z);

	/* Growing one byte at a time across many reallocations. */
	struct buf g = BUF_INIT(100000);
	int good = 1;
	for (size_t i = 0; i < 100000 && good; i++)
		good = buf_putc(&g, (char)('a' + i % 26)) == 0 && g.len == i + 1 && sane(&g);
	for (size_t i = 0; i < g.len && good; i++)
		good = g.data[i] == (char)('a' + i % 26);
	ok(good, "100000 single-byte appends up to the cap keep content and invariant");
	is_int(buf_putc(&g, 'x'), -ENOBUFS, "one more byte past the cap is refused");
	buf_release(&g);
}

static void test_cap(void)
{
	struct buf b = BUF_INIT(10);
	is_int(buf_append(&b, "hello", 5), 0, "5 bytes into cap 10");
	is_int(buf_append(&b, "world!", 6), -ENOBUFS, "6 more would pass the cap: -ENOBUFS");
	is_str(b.data, "hello", "the failed append left the content intact");
	ok(b.len == 5 && sane(&b), "and len and terminator too");
	is_int(buf_append(&b, "world", 5), 0, "exactly up to the cap is allowed");
	is_str(b.data, "helloworld", "content at the cap");
	is_int(buf_putc(&b, '!'), -ENOBUFS, "putc at the cap fails");
	is_int(buf_puts(&b, "!"), -ENOBUFS, "puts at the cap fails");
	is_int(buf_printf(&b, "%d", 1), -ENOBUFS, "printf at the cap fails");
	is_int(buf_append(&b, "", 0), 0, "a 0-byte append at the cap succeeds");
	is_str(b.data, "helloworld", "content unchanged by the failures");
	/* A length that would overflow len + n must fail without reading p. */
	is_int(buf_append(&b, "x", SIZE_MAX), -ENOBUFS, "append of SIZE_MAX bytes fails cleanly");
	is_int(buf_append(&b, "x", SIZE_MAX - 4), -ENOBUFS, "append of SIZE_MAX-4 bytes fails cleanly");
	ok(b.len == 10 && sane(&b), "buf still sane after the overflow attempts");
	buf_release(&b);

	struct buf z = BUF_INIT(0);
	is_int(buf_putc(&z, 'a'), -ENOBUFS, "cap 0 refuses any byte");
	ok(z.len == 0 && sane(&z), "cap 0 buf stays empty");
	buf_release(&z);

	/* The cap survives release and steal, so a reused buf is still capped. */
	struct buf r = BUF_INIT(4);
	buf_puts(&r, "abcd");
	buf_release(&r);
	is_int(buf_puts(&r, "abcde"), -ENOBUFS, "cap still enforced after release");
	buf_puts(&r, "ab");
	free(buf_steal(&r));
	is_int(buf_puts(&r, "abcde"), -ENOBUFS, "cap still enforced after steal");
	buf_release(&r);
}

static void test_printf(void)
{
	struct buf b = BUF_INIT(100000);
	is_int(buf_printf(&b, "%d-%s-%c", 42, "x", 'y'), 0, "printf into an empty buf");
	is_str(b.data, "42-x-y", "printf content");
	is_int(buf_printf(&b, "[%5.2f]", 3.14159), 0, "printf appends");
	is_str(b.data, "42-x-y[ 3.14]", "appended content");
	is_int(buf_printf(&b, "%s", ""), 0, "printf of nothing");
	ok(b.len == 13 && sane(&b), "printf of nothing changes nothing");
	buf_reset(&b);
	is_int(buf_printf(&b, "%*s|", 5000, "end"), 0, "printf of 5001 bytes (growth inside printf)");
	ok(b.len == 5001 && sane(&b) && !strcmp(b.data + 4997, "end|") && b.data[0] == ' ',
	   "long printf content and terminator");
	buf_release(&b);

	struct buf e = BUF_INIT(0);
	is_int(buf_printf(&e, "%s", ""), 0, "empty printf into a cap-0 NULL buf");
	ok(e.data && e.data[0] == '\0', "and it leaves a valid empty string");
	buf_release(&e);

	struct buf c = BUF_INIT(8);
	buf_puts(&c, "abc");
	is_int(buf_printf(&c, "%s", "123456"), -ENOBUFS, "printf past the cap");
	is_str(c.data, "abc", "failed printf left the content intact");
	is_int(buf_printf(&c, "%05d", 7), 0, "printf exactly to the cap");
	is_str(c.data, "abc00007", "content at the cap");
	ok(sane(&c), "terminated at the cap");
	buf_release(&c);
}

static void test_consume_reset(void)
{
	struct buf b = BUF_INIT(100);
	buf_consume(&b, 5);
	ok(!b.data && b.len == 0, "consume on a NULL buf is a no-op");
	buf_puts(&b, "hello world");
	buf_consume(&b, 0);
	is_str(b.data, "hello world", "consume 0 changes nothing");
	buf_consume(&b, 6);
	is_str(b.data, "world", "consume 6 keeps the tail");
	ok(b.len == 5 && sane(&b), "len and terminator after consume");
	buf_consume(&b, 5);
	ok(b.len == 0 && b.data && b.data[0] == '\0', "consume all leaves an empty string");
	buf_puts(&b, "abc");
	buf_consume(&b, 1000);
	ok(b.len == 0 && sane(&b), "consume more than len empties");

	buf_puts(&b, "0123456789");
	char *before = b.data;
	size_t alloc = b.alloc;
	buf_reset(&b);
	ok(b.data == before && b.alloc == alloc, "reset keeps the memory");
	ok(b.len == 0 && b.data[0] == '\0', "reset leaves an empty string");
	buf_reset(&b);
	ok(sane(&b), "reset twice");
	buf_release(&b);
	buf_release(&b);
	ok(!b.data && b.len == 0 && b.cap == 100, "release twice is safe");
	buf_reset(&b);
	ok(!b.data && sane(&b), "reset of a released buf is a no-op");
}

static void test_steal(void)
{
	struct buf b = BUF_INIT(100);
	buf_puts(&b, "stolen");
	char *data = b.data;
	char *s = buf_steal(&b);
	ok(s == data, "steal hands over the same memory");
	is_str(s, "stolen", "stolen content");
	ok(!b.data && b.len == 0 && b.alloc == 0 && b.cap == 100, "buf left empty with its cap");
	free(s);

	char *e = buf_steal(&b);
	ok(e && e[0] == '\0', "steal of an empty buf returns a freeable empty string");
	free(e);
	is_int(buf_puts(&b, "again"), 0, "buf usable after steal");
	is_str(b.data, "again", "content after reuse");
	buf_release(&b);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random operations against a plain array model: content, cap and the NUL
 * invariant must hold after every one. */
static void test_model(void)
{
	enum { CAP = 700, OPS = 20000 };
	struct buf b = BUF_INIT(CAP);
	char model[CAP];
	size_t mlen = 0;
	int good = 1;
	unsigned fails = 0;
	for (int op = 0; op < OPS && good; op++) {
		char tmp[300];
		size_t n = rng() % 200;
		for (size_t i = 0; i < n; i++)
			tmp[i] = (char)rng();
		int rc;
		switch (rng() % 7) {
		case 0:
		case 1:
			rc = buf_append(&b, tmp, n);
			if (mlen + n <= CAP) {
				good = rc == 0;
				memcpy(model + mlen, tmp, n);
				mlen += n;
			} else {
				good = rc == -ENOBUFS;
				fails++;
			}
			break;
		case 2:
			rc = buf_putc(&b, tmp[0]);
			if (mlen < CAP) {
				good = rc == 0;
				model[mlen++] = tmp[0];
			} else {
				good = rc == -ENOBUFS;
			}
			break;
		case 3: {
			unsigned v = (unsigned)rng();
			int w = snprintf(tmp, sizeof tmp, "<%u:%*s>", v, (int)(n % 64), "");
			rc = buf_printf(&b, "<%u:%*s>", v, (int)(n % 64), "");
			if (mlen + (size_t)w <= CAP) {
				good = rc == 0;
				memcpy(model + mlen, tmp, (size_t)w);
				mlen += (size_t)w;
			} else {
				good = rc == -ENOBUFS;
			}
			break;
		}
		case 4: {
			size_t k = rng() % (mlen + 10);
			buf_consume(&b, k);
			if (k >= mlen) {
				mlen = 0;
			} else {
				memmove(model, model + k, mlen - k);
				mlen -= k;
			}
			break;
		}
		case 5:
			if (rng() % 8 == 0) {
				buf_reset(&b);
				mlen = 0;
			}
			break;
		case 6:
			if (rng() % 16 == 0) {
				size_t len = b.len;
				char *s = buf_steal(&b);
				good = s && s[len] == '\0' && !memcmp(s, model, mlen) && len == mlen;
				free(s);
				mlen = 0;
			}
			break;
		}
		good = good && sane(&b) && b.len == mlen && (!mlen || !memcmp(b.data, model, mlen));
		if (!good)
			diag("mismatch after operation %d", op);
	}
	ok(good, "%d random operations match the model and keep the invariants", OPS);
	ok(fails > 0, "the random operations hit the cap (%u refused appends)", fails);
	buf_release(&b);
}

int main(void)
{
	test_init();
	test_append();
	test_cap();
	test_printf();
	test_consume_reset();
	test_steal();
	test_model();
	return done_testing();
}
