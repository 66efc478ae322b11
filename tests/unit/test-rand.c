/* test-rand — random identifiers: base62 drawn without modulo bias, and
 * every id fails closed when the kernel gives no randomness (getrandom
 * refused by a seccomp filter in a child), never falling back to a
 * predictable value. */
#include "common/rand.h"
#include "common/result.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>

#include "tap.h"

static int index62(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return 10 + c - 'A';
	if (c >= 'a' && c <= 'z')
		return 36 + c - 'a';
	return -1;
}

static void test_uniform(void)
{
	/* 62 * 4,000 characters: byte % 62 without rejection makes the first
	 * 8 characters 5/4 as likely (256 = 4 * 62 + 8), ~5,000 against
	 * ~3,900; uniform draws stay within a few percent. */
	enum { PER = 4000, N = 62 * PER };
	static char s[N + 1];
	long count[62] = { 0 };
	int rc = rand_base62(s, N);
	ok(rc == 0 && strlen(s) == N, "rand_base62 draws %d characters", N);
	bool alphabet = true;
	for (int i = 0; i < N; i++) {
		int k = index62(s[i]);
		if (k < 0)
			alphabet = false;
		else
			count[k]++;
	}
	ok(alphabet, "every character is base62");
	long lo = count[0], hi = count[0];
	double first8 = 0, rest = 0;
	for (int k = 0; k < 62; k++) {
		lo = count[k] < lo ? count[k] : lo;
		hi = count[k] > hi ? count[k] : hi;
		if (k < 8)
			first8 += count[k];
		else
			rest += count[k];
	}
	double ratio = (first8 / 8) / (rest / 54);
	ok(ratio > 0.93 && ratio < 1.07, "no modulo bias: the first 8 characters are as frequent as the rest (ratio %.3f)", ratio);
	ok(lo > PER * 0.85 && hi < PER * 1.15, "every character within 15%% of %d (%ld..%ld)", PER, lo, hi);
	char a[25], b[25];
	ok(rand_base62(a, 24) == 0 && rand_base62(b, 24) == 0 && strcmp(a, b) != 0, "two ids differ");
}

/* In the child: getrandom fails (ENOSYS) from here on. */
static void deny_getrandom(void)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f || seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(getrandom), 0) || seccomp_load(f))
		_exit(3);
	seccomp_release(f);
}

static void no_randomness(void *arg)
{
	(void)arg;
	deny_getrandom();
	char id[40] = "unchanged", key[33];
	unsigned char raw[16];
	if (rand_bytes(raw, sizeof raw) != -ENOSYS)
		_exit(10);
	if (rand_base62(key, 32) != -ENOSYS)
		_exit(11);
	if (result_new_id(id, sizeof id) != -ENOSYS || id[0] != '\0')
		_exit(12); /* the old code gave "x_0000000000000000" */
	_exit(0);
}

int main(void)
{
	test_uniform();
	int st = tap_fork_case(no_randomness, NULL);
	ok(st == 0, "without getrandom, rand_bytes, rand_base62 and result_new_id fail (-ENOSYS, no id) (child: %d)", st);
	return done_testing();
}
