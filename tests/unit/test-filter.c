/* test-filter — env secrets and their encodings, secret patterns, PII tokens.
 *
 * Everything here is pure, so all cases share one process. The encodings a
 * secret is checked in are computed by this file's own small encoders, not
 * by filter.c's, so a bug there cannot hide itself. */
#include "supervisor/filter.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define SECRET "s3cr3t-Value+XYZ/42"

/* ---- helpers ---------------------------------------------------------- */

static const char *env1[] = { "API_KEY=" SECRET, "SHORT=abc", "PATH=/usr/bin" };

static struct filter *mk(const char *const *env, size_t nenv, const struct filter_rules *r, bool pii)
{
	struct filter_opts o = { .env = env, .nenv = nenv, .pii = pii };
	if (r) {
		o.rules[0] = r;
		o.nrules = 1;
	}
	struct filter *f = NULL;
	if (filter_new(&f, &o) != 0) {
		diag("filter_new failed");
		exit(1);
	}
	return f;
}

/* Filters a copy of in with filter_buf; caller frees. */
static char *fb(struct filter *f, const char *in, int *count)
{
	struct buf b = BUF_INIT(1 << 24);
	buf_puts(&b, in);
	int c = filter_buf(f, &b);
	if (count)
		*count = c;
	return buf_steal(&b);
}

static int check(struct filter *f, const char *in, const char *want, const char *name)
{
	char *got = fb(f, in, NULL);
	int r = is_str(got, want, "%s", name);
	free(got);
	return r;
}

static size_t b64(const unsigned char *in, size_t n, char *out, bool pad)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[v >> 6 & 63];
		else if (pad)
			out[o++] = '=';
		if (i + 2 < n)
			out[o++] = a[v & 63];
		else if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* ---- env secrets --------------------------------------------------------- */

static void test_env_forms(void)
{
	struct filter *f = mk(env1, 3, NULL, false);
	ok(filter_active(f), "a filter with an env secret is active");
	check(f, "key=" SECRET "!", "key=[REDACTED:API_KEY]!", "raw secret");
	check(f, "a " SECRET SECRET " b", "a [REDACTED:API_KEY][REDACTED:API_KEY] b", "twice, adjacent");
	check(f, "abc and /usr/bin", "abc and [REDACTED:PATH]", "a short value (abc) is not a secret");

	const char *jenv[] = { "PASS=pa\"ss\\wo\nrd" };
	struct filter *fj = mk(jenv, 1, NULL, false);
	check(fj, "{\"p\":\"pa\\\"ss\\\\wo\\nrd\"}", "{\"p\":\"[REDACTED:PASS]\"}", "JSON-escaped secret");
	check(fj, "pa\"ss\\wo\nrd", "[REDACTED:PASS]", "the same secret raw");
	filter_free(fj);

	char enc[256], in[512], *got;
	b64((const unsigned char *)SECRET, strlen(SECRET), enc, true);
	snprintf(in, sizeof in, "b64: %s.", enc);
	check(f, in, "b64: [REDACTED:API_KEY].", "base64, padded");
	b64((const unsigned char *)SECRET, strlen(SECRET), enc, false);
	snprintf(in, sizeof in, "b64: %s.", enc);
	check(f, in, "b64: [REDACTED:API_KEY].", "base64, unpadded");
	for (char *p = enc; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	snprintf(in, sizeof in, "url: %s.", enc);
	check(f, in, "url: [REDACTED:API_KEY].", "base64url");

	/* Inside a longer base64 string, at every offset mod 3: the characters
	 * that depend on the secret alone must be gone, the rest intact. */
	size_t n = strlen(SECRET);
	for (size_t pre = 0; pre < 6; pre++) {
		unsigned char raw[128];
		for (size_t i = 0; i < pre; i++)
			raw[i] = (unsigned char)(0xA0 + 7 * i);
		memcpy(raw + pre, SECRET, n);
		memcpy(raw + pre + n, "\x01tail\xff", 6);
		char whole[256];
		size_t wl = b64(raw, pre + n + 6, whole, true);
		got = fb(f, whole, NULL);
		const char *tk = strstr(got, "[REDACTED:API_KEY]");
		size_t head = tk ? (size_t)(tk - got) : 0;
		size_t kept = strlen(got) - strlen("[REDACTED:API_KEY]");
		size_t removed = tk ? wl - kept : 0;
		ok(tk && removed >= 4 * n / 3 - 2 && memcmp(got, whole, head) == 0 &&
			   strcmp(tk + strlen("[REDACTED:API_KEY]"), whole + head + removed) == 0,
		   "base64 of a secret inside a longer string, offset %zu (mod 3: %zu): %zu chars removed",
		   pre, pre % 3, removed);
		if (!tk)
			diag("got %s", got);
		free(got);
	}

	static const char hx[] = "0123456789abcdef", HX[] = "0123456789ABCDEF";
	char lo[64], up[64];
	for (size_t i = 0; i < n; i++) {
		lo[2 * i] = hx[(unsigned char)SECRET[i] >> 4];
		lo[2 * i + 1] = hx[SECRET[i] & 15];
		up[2 * i] = HX[(unsigned char)SECRET[i] >> 4];
		up[2 * i + 1] = HX[SECRET[i] & 15];
	}
	lo[2 * n] = up[2 * n] = '\0';
	snprintf(in, sizeof in, "hex %s and %s", lo, up);
	check(f, in, "hex [REDACTED:API_KEY] and [REDACTED:API_KEY]", "hex, lower and upper case");
	check(f, "q=s3cr3t-Value%2BXYZ%2F42&x", "q=[REDACTED:API_KEY]&x", "percent-encoded (encodeURIComponent)");

	/* Two console.log calls, one line: the whole text is filtered at once. */
	struct buf whole = BUF_INIT(1024);
	buf_puts(&whole, "part one s3cr3t-Va");
	buf_puts(&whole, "lue+XYZ/42 part two\n");
	filter_buf(f, &whole);
	is_str(whole.data, "part one [REDACTED:API_KEY] part two\n", "a secret split across two writes is caught");
	buf_release(&whole);
	filter_free(f);

	/* As util.inspect quotes it (console.log of an object): quotes,
	 * backslashes and control bytes escaped. */
	const char *odd[] = { "Q=ab'cd\"ef`gh", "C=tab\001ctl\nx", "B=back\\slash" };
	f = mk(odd, 3, NULL, false);
	check(f, "{ k: 'ab\\'cd\"ef`gh' }", "{ k: '[REDACTED:Q]' }", "inspect's single-quoted form (\\')");
	check(f, "[ 'tab\\x01ctl\\nx' ]", "[ '[REDACTED:C]' ]", "inspect's control escapes (\\x01, \\n)");
	check(f, "{ b: 'back\\\\slash' }", "{ b: '[REDACTED:B]' }", "inspect's doubled backslash");
	filter_free(f);

	/* One secret containing another is replaced whole. */
	const char *nest[] = { "INNER=token1234", "OUTER=xxtoken1234yy" };
	f = mk(nest, 2, NULL, false);
	check(f, "a xxtoken1234yy b token1234", "a [REDACTED:OUTER] b [REDACTED:INNER]", "longest first");
	filter_free(f);
}

/* Feeding text split at every point (and byte by byte) gives exactly what
 * filter_buf gives for the whole: nothing of a secret is emitted early. */
static int stream_equals(struct filter *f, const char *text, size_t a, size_t b, const char *want)
{
	struct filter_stream st;
	filter_stream_init(&st);
	struct buf out = BUF_INIT(1 << 20);
	size_t n = strlen(text);
	filter_stream_feed(f, &st, text, a, &out);
	filter_stream_feed(f, &st, text + a, b - a, &out);
	filter_stream_feed(f, &st, text + b, n - b, &out);
	filter_stream_end(f, &st, &out);
	int r = out.len == strlen(want) && memcmp(out.data, want, out.len) == 0;
	if (!r)
		diag("split %zu/%zu: got '%s'", a, b, out.data ? out.data : "");
	buf_release(&out);
	filter_stream_release(&st);
	return r;
}

static void test_streams(void)
{
	char enc[64];
	b64((const unsigned char *)SECRET, strlen(SECRET), enc, true);
	char text[512];
	snprintf(text, sizeof text, "log " SECRET " and %s; mail bob@example.com\nnext " SECRET "\n"
		 "4111 1111 1111 1111 end", enc);
	struct filter_rules *rules;
	char err[FILTER_ERR_LEN];
	filter_rules_new(&rules, NULL, true, err, sizeof err);

	struct filter *fe = mk(env1, 1, NULL, false);
	struct filter *fa = mk(env1, 1, rules, true);
	struct filter *fs[] = { fe, fa };
	const char *names[] = { "env only", "env, patterns and PII" };
	size_t n = strlen(text);
	for (int k = 0; k < 2; k++) {
		char *want = fb(fs[k], text, NULL);
		int good = strstr(want, "[REDACTED:API_KEY]") != NULL && !strstr(want, SECRET);
		for (size_t a = 0; a <= n && good; a++)
			good = stream_equals(fs[k], text, a, a, want);
		ok(good, "stream (%s): two chunks split at each of %zu points == whole text", names[k], n + 1);
		good = 1;
		for (size_t a = 0; a <= n && good; a += 3)
			for (size_t b = a; b <= n && good; b += 5)
				good = stream_equals(fs[k], text, a, b, want);
		ok(good, "stream (%s): three chunks at many split pairs == whole text", names[k]);

		struct filter_stream st;
		filter_stream_init(&st);
		struct buf out = BUF_INIT(1 << 20);
		int leak = 0;
		for (size_t i = 0; i < n; i++) {
			filter_stream_feed(fs[k], &st, text + i, 1, &out);
			/* What was sent so far is a prefix of the filtered whole. */
			if (out.len > strlen(want) || memcmp(out.data ? out.data : "", want, out.len))
				leak = 1;
		}
		filter_stream_end(fs[k], &st, &out);
		ok(!leak && out.len == strlen(want) && !memcmp(out.data, want, out.len),
		   "stream (%s): byte by byte, every send is a prefix of the filtered text", names[k]);
		buf_release(&out);
		filter_stream_release(&st);
		free(want);
	}

	/* Lines: with patterns and PII, a line is held until it ends. */
	struct filter_stream st;
	filter_stream_init(&st);
	struct buf out = BUF_INIT(1 << 20);
	filter_stream_feed(fa, &st, "first line\nmail to bob@exa", 26, &out);
	is_str(out.data, "first line\n", "a stream holds back the unfinished line");
	filter_stream_feed(fa, &st, "mple.com ok\n", 12, &out);
	is_str(out.data, "first line\nmail to [EMAIL_1] ok\n", "and filters it when it ends");
	buf_reset(&out);
	/* A private key block arriving over several chunks. */
	const char *k1 = "key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n";
	const char *k2 = "BKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\nbye\n";
	filter_stream_feed(fa, &st, k1, strlen(k1), &out);
	is_str(out.data, "key:\n", "an open private key block is held back");
	filter_stream_feed(fa, &st, k2, strlen(k2), &out);
	filter_stream_end(fa, &st, &out);
	is_str(out.data, "key:\n[REDACTED:PRIVATE_KEY]\nbye\n", "a private key block split across chunks is redacted whole");
	buf_release(&out);
	filter_stream_release(&st);

	/* An inactive filter passes everything through at once. */
	struct filter *f0 = mk(NULL, 0, NULL, false);
	ok(!filter_active(f0), "a filter with nothing to do is not active");
	filter_stream_init(&st);
	filter_stream_feed(f0, &st, "abc", 3, &out);
	is_str(out.data, "abc", "an inactive filter's stream passes bytes through");
	buf_release(&out);
	filter_stream_release(&st);
	check(f0, "bob@example.com " SECRET, "bob@example.com " SECRET, "an inactive filter changes nothing");
	filter_free(f0);

	filter_free(fe);
	filter_free(fa);
	filter_rules_free(rules);
}

/* ---- patterns -------------------------------------------------------------- */

static void test_builtins(void)
{
	struct filter_rules *r = NULL;
	char err[FILTER_ERR_LEN] = "";
	is_int(filter_rules_new(&r, NULL, true, err, sizeof err), 0, "built-in patterns compile");
	ok(filter_rules_count(r) >= 8, "there are at least 8 built-ins");
	struct filter *f = mk(NULL, 0, r, false);

	char ghp[64], google[64], nearg[64];
	snprintf(ghp, sizeof ghp, "ghp_%s", "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789");
	snprintf(google, sizeof google, "AIza%s", "SyA1b2C3d4E5f6G7h8I9j0K-L_M1n2O3p4Q");
	snprintf(nearg, sizeof nearg, "AIza%s", "SyA1b2C3d4E5f6G7h8I9j0K-L_M1n2O3p4");
	struct {
		const char *in, *want, *name;
	} cases[] = {
		{ "id=AKIAIOSFODNN7EXAMPLE;", "id=[REDACTED:AWS_ACCESS_KEY];", "AWS access key id" },
		{ "id=AKIAIOSFODNN7EXAMPL;", NULL, "AWS: 19 characters is a near miss" },
		{ ghp, "[REDACTED:GITHUB_TOKEN]", "GitHub ghp_ token" },
		{ "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678", NULL, "GitHub: 35 characters is a near miss" },
		{ "t github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz end",
		  "t [REDACTED:GITHUB_TOKEN] end", "GitHub fine-grained token" },
		{ "github_pat_short", NULL, "github_pat_ too short" },
		{ "xoxb-123456789012-abcdefABCDEF", "[REDACTED:SLACK_TOKEN]", "Slack token" },
		{ "xoxq-123456789012-abcdefABCDEF", NULL, "Slack: xoxq is a near miss" },
		{ "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[REDACTED:STRIPE_KEY]", "Stripe secret key" },
		{ "pk_live_4eC39HqLyjWDarjtT1zdp7dc", NULL, "Stripe publishable key is no secret" },
		{ "Bearer sk-proj-abc123DEF456ghi789JKL012", "Bearer [REDACTED:OPENAI_KEY]", "OpenAI-style key" },
		{ "sk-short123", NULL, "sk- with too few characters" },
		{ "task-manager-process-identifier-12345", NULL, "sk- inside a word is no key" },
		{ google, "[REDACTED:GOOGLE_API_KEY]", "Google API key" },
		{ nearg, NULL, "Google: 34 characters is a near miss" },
		{ "auth eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok",
		  "auth [REDACTED:JWT] ok", "JWT" },
		{ "eyJhbGciOiJIUzI1NiJ9.notjwt", NULL, "JWT: a payload that is not eyJ is a near miss" },
		{ "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
		  "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END RSA PRIVATE KEY-----\ny",
		  "x\n[REDACTED:PRIVATE_KEY]\ny", "PEM private key block" },
		{ "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n",
		  "[REDACTED:PRIVATE_KEY]", "a private key cut short is still redacted" },
		{ "{\"k\":\"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\\n-----END EC PRIVATE KEY-----\\n\"}",
		  "{\"k\":\"[REDACTED:PRIVATE_KEY]\\n\"}", "a private key inside JSON text" },
		{ "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n-----END PUBLIC KEY-----",
		  NULL, "a public key is left alone" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check(f, cases[i].in, cases[i].want ? cases[i].want : cases[i].in, cases[i].name);
	filter_free(f);
	filter_rules_free(r);
}

static void test_configured(void)
{
	char err[FILTER_ERR_LEN] = "";
	json_t *pats = json_loads("[{\"name\":\"INTERNAL_ID\",\"pattern\":\"corp-[0-9]{6}\"},"
				  "{\"name\":\"TICKET\",\"pattern\":\"(?i)tkt#\\\\d+\"}]", 0, NULL);
	struct filter_rules *r = NULL, *b = NULL;
	is_int(filter_rules_new(&r, pats, false, err, sizeof err), 0, "configured patterns compile");
	json_decref(pats);
	filter_rules_new(&b, NULL, true, err, sizeof err);
	struct filter_opts o = { .rules = { b, r, b }, .nrules = 3 };
	struct filter *f;
	filter_new(&f, &o);
	check(f, "user corp-123456 TKT#77 key AKIAIOSFODNN7EXAMPLE corp-12",
	      "user [REDACTED:INTERNAL_ID] [REDACTED:TICKET] key [REDACTED:AWS_ACCESS_KEY] corp-12",
	      "configured patterns next to the built-ins (built-ins listed twice, used once)");
	filter_free(f);
	filter_rules_free(r);
	filter_rules_free(b);

	struct {
		const char *json, *needle, *name;
	} bad[] = {
		{ "[{\"name\":\"OK\",\"pattern\":\"a+\"},{\"name\":\"BAD_RE\",\"pattern\":\"(abc\"}]", "BAD_RE",
		  "a bad regex" },
		{ "[{\"name\":\"lower\",\"pattern\":\"a\"}]", "pattern 0", "a lowercase name" },
		{ "[{\"name\":\"EMPTY\",\"pattern\":\"x*\"}]", "empty", "a pattern matching the empty string" },
		{ "[{\"name\":\"X\",\"regex\":\"x\"}]", "regex", "an unknown key" },
		{ "{\"name\":\"X\"}", "array", "not an array" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *j = json_loads(bad[i].json, 0, NULL);
		err[0] = '\0';
		r = (struct filter_rules *)1;
		int rc = filter_rules_new(&r, j, true, err, sizeof err);
		ok(rc == -EINVAL && r == NULL && strstr(err, bad[i].needle), "%s: -EINVAL, '%s'", bad[i].name, err);
		json_decref(j);
	}
	json_t *j = json_loads("[{\"name\":\"OK\",\"pattern\":\"a+\"},{\"name\":\"BAD_RE\",\"pattern\":\"(abc\"}]",
			       0, NULL);
	filter_rules_new(&r, j, false, err, sizeof err);
	ok(strstr(err, "pattern 1") && strstr(err, "offset"), "the message names the index and the offset: %s", err);
	json_decref(j);
}

/* ---- PII ------------------------------------------------------------------ */

struct rec {
	char seen[32][64];
	unsigned n;
};

/* A callback keeping its own map, so the test sees the normalized values. */
static int rec_token(void *ud, const char *kind, const char *value, size_t n, unsigned *num)
{
	struct rec *r = ud;
	char key[64];
	snprintf(key, sizeof key, "%s:%.*s", kind, (int)n, value);
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->seen[i], key)) {
			*num = i + 1;
			return 0;
		}
	if (r->n == 32)
		return -ENOSPC;
	snprintf(r->seen[r->n], sizeof r->seen[0], "%s", key);
	*num = ++r->n;
	return 0;
}

static int rec_lookup(void *ud, const char *kind, unsigned num, char **value)
{
	struct rec *r = ud;
	if (!num || num > r->n || strncmp(r->seen[num - 1], kind, strlen(kind)))
		return -ENOENT;
	*value = strdup(strchr(r->seen[num - 1], ':') + 1);
	return *value ? 0 : -ENOMEM;
}

static void test_pii(void)
{
	struct filter *f = mk(NULL, 0, NULL, true);
	ok(filter_active(f), "a PII filter is active");
	check(f, "card 4111 1111 1111 1111, again 4111111111111111 and 4111-1111-1111-1111.",
	      "card [CARD_1], again [CARD_1] and [CARD_1].", "a card grouped or not: one token");
	check(f, "amex 3782 822463 10005 ok", "amex [CARD_2] ok", "an Amex number 4-6-5");
	check(f, "n=4111111111111112", "n=4111111111111112", "16 digits failing Luhn are left alone");
	check(f, "ts 1700000000000 id 18446744073709551615 x 4111111111111111111111",
	      "ts 1700000000000 id 18446744073709551615 x 4111111111111111111111",
	      "timestamps and long ids are no cards");
	check(f, "pi 3.4111111111111111", "pi 3.4111111111111111", "digits after a decimal point are no card");
	check(f, "iban GB82 WEST 1234 5698 7654 32 and GB82WEST12345698765432.",
	      "iban [IBAN_1] and [IBAN_1].", "an IBAN grouped or not: one token");
	check(f, "DE89 3704 0044 0532 0130 00 EUR", "[IBAN_2] EUR", "an IBAN followed by a word");
	check(f, "iban GB82 WEST 1234 5698 7654 33", "iban GB82 WEST 1234 5698 7654 33",
	      "an IBAN failing mod-97 is left alone");
	check(f, "from Bob.Smith@Example.COM to bob.smith@example.com, cc <alice+x@mail.example.org>.",
	      "from [EMAIL_1] to [EMAIL_1], cc <[EMAIL_2]>.", "emails: case-insensitive, one token each");
	check(f, "user@localhost and @scope/pkg and a@b.c", "user@localhost and @scope/pkg and a@b.c",
	      "no TLD, no local part, one-letter TLD: no email");

	const char *phones[] = {
		"+1 (555) 123-4567", "+44 20 7946 0958", "+14155552671", "+49-30-1234567",
		"(555) 123-4567", "555-123-4567", "555.123.4567", "020 7946 0958", "06 12 34 56 78",
		"1-800-555-0199",
	};
	for (size_t i = 0; i < sizeof phones / sizeof phones[0]; i++) {
		char in[64];
		snprintf(in, sizeof in, "tel: %s.", phones[i]);
		char *got = fb(f, in, NULL);
		ok(!strncmp(got, "tel: [PHONE_", 12) && got[strlen(got) - 2] == ']' && got[strlen(got) - 1] == '.',
		   "phone '%s' -> %s", phones[i], got);
		free(got);
	}
	const char *nonphones[] = {
		"1700000000000", "1700000000", "order 123456789", "2026-11-23", "2026-11-23T12:34:56Z",
		"192.168.1.1", "10.0.0.255", "v1.2.3", "12:34:56", "1+23456789", "3.14159265",
		"2026-555-123-4567", "555-123-45678", "0.0.0.0", "+2026-11-23", "R-03371-37637",
	};
	for (size_t i = 0; i < sizeof nonphones / sizeof nonphones[0]; i++) {
		char in[64];
		snprintf(in, sizeof in, "x %s y", nonphones[i]);
		check(f, in, in, nonphones[i]);
	}
	filter_free(f);

	/* The caller's map: normalized values, stable numbers. */
	struct rec rec = { .n = 0 };
	struct filter_opts o = { .pii = true, .token = rec_token, .token_ud = &rec };
	filter_new(&f, &o);
	const char *text = "Mail Bob@Example.com, card 4111 1111 1111 1111, tel (555) 123-4567, "
			   "iban GB82 WEST 1234 5698 7654 32; again 555-123-4567 and bob@example.com";
	char *got = fb(f, text, NULL);
	is_str(got, "Mail [EMAIL_1], card [CARD_2], tel [PHONE_3], iban [IBAN_4]; again [PHONE_3] and [EMAIL_1]",
	       "the callback's numbers are used; same value, same number");
	is_int(rec.n, 4, "four distinct values were asked about");
	is_str(rec.seen[0], "EMAIL:bob@example.com", "an email is normalized to lowercase");
	is_str(rec.seen[1], "CARD:4111111111111111", "a card without its separators");
	is_str(rec.seen[2], "PHONE:5551234567", "a phone as its digits");
	is_str(rec.seen[3], "IBAN:GB82WEST12345698765432", "an IBAN without spaces");
	check(f, "+1 555 123 4567", "[PHONE_5]", "an international phone keeps its +");
	is_str(rec.seen[4], "PHONE:+15551234567", "normalized with the +");

	/* Detokenize: back to the normalized values. */
	struct buf back = BUF_INIT(4096);
	is_int(filter_detokenize(got, strlen(got), rec_lookup, &rec, &back), 0, "filter_detokenize");
	is_str(back.data, "Mail bob@example.com, card 4111111111111111, tel 5551234567, iban "
			  "GB82WEST12345698765432; again 5551234567 and bob@example.com",
	       "detokenize round trip");
	buf_reset(&back);
	{
		const char *tk = "[EMAIL_9] [CARD_2] [EMAIL_0] [NOPE_1] [CARD_x] [IBAN_4";
		filter_detokenize(tk, strlen(tk), rec_lookup, &rec, &back);
	}
	is_str(back.data, "[EMAIL_9] 4111111111111111 [EMAIL_0] [NOPE_1] [CARD_x] [IBAN_4",
	       "unknown or malformed tokens stay as they are");
	buf_release(&back);
	free(got);
	filter_free(f);

	/* Round trip through the default map, with the values as written. */
	f = mk(NULL, 0, NULL, true);
	const char *plain = "a@example.com b@example.com a@example.com";
	got = fb(f, plain, NULL);
	is_str(got, "[EMAIL_1] [EMAIL_2] [EMAIL_1]", "the default map: distinct values, distinct numbers");
	free(got);
	filter_free(f);
}

static int fail_token(void *ud, const char *kind, const char *value, size_t n, unsigned *num)
{
	return -EIO;
}

static void test_token_error(void)
{
	struct filter_opts o = { .pii = true, .token = fail_token };
	struct filter *f;
	filter_new(&f, &o);
	int c = 0;
	char *got = fb(f, "to bob@example.com", &c);
	ok(c == -EIO && !strcmp(got, "to [EMAIL]"), "a failing token callback: the value is still removed, -EIO (%s)",
	   got);
	free(got);
	filter_free(f);
}

/* ---- JSON and bounds ------------------------------------------------------ */

static void test_json(void)
{
	struct filter_rules *r;
	char err[FILTER_ERR_LEN];
	filter_rules_new(&r, NULL, true, err, sizeof err);
	struct filter *f = mk(env1, 1, r, true);
	char *j = strdup("{\"card\": 4111111111111111, \"n\": 42, \"x\": 1.5, \"note\": \"mail bob@example.com\","
			 " \"AKIAIOSFODNN7EXAMPLE\": [true, null, \"" SECRET "\"], \"big\": 123456789012345678901234}");
	int c = filter_json(f, &j);
	json_error_t je;
	json_t *v = json_loads(j, 0, &je);
	ok(c == 4 && v != NULL, "filter_json: 4 replacements, the output parses (%s)", j);
	is_str(json_string_value(json_object_get(v, "card")), "[CARD_1]", "a card as a JSON number becomes a token string");
	ok(json_integer_value(json_object_get(v, "n")) == 42, "other numbers stay numbers");
	is_str(json_string_value(json_object_get(v, "note")), "mail [EMAIL_1]", "string values are filtered");
	json_t *arr = json_object_get(v, "[REDACTED:AWS_ACCESS_KEY]");
	ok(json_is_array(arr), "object keys are filtered");
	is_str(json_string_value(json_array_get(arr, 2)), "[REDACTED:API_KEY]", "env secrets in nested values");
	ok(json_is_number(json_object_get(v, "big")), "an integer past 64 bits survives as a number");
	json_decref(v);
	free(j);

	j = strdup("{ \"a\" : [1, 2],  \"b\": \"plain\" }");
	is_int(filter_json(f, &j), 0, "nothing to replace: 0");
	is_str(j, "{ \"a\" : [1, 2],  \"b\": \"plain\" }", "and the text is kept as it was");
	free(j);

	j = strdup("{\"k\":\"" SECRET "\",\"k2\":\"" SECRET "\"}");
	filter_json(f, &j);
	is_str(j, "{\"k\":\"[REDACTED:API_KEY]\",\"k2\":\"[REDACTED:API_KEY]\"}", "compact output");
	free(j);

	j = strdup("{\"" SECRET "\":1,\"" SECRET "x\":2}");
	filter_json(f, &j);
	is_str(j, "{\"[REDACTED:API_KEY]\":1,\"[REDACTED:API_KEY]x\":2}", "keys that become alike are both kept");
	free(j);

	j = strdup("not json: " SECRET " {");
	filter_json(f, &j);
	is_str(j, "not json: [REDACTED:API_KEY] {", "invalid JSON falls back to text filtering");
	free(j);

	j = strdup("\"bob@example.com\"");
	filter_json(f, &j);
	is_str(j, "\"[EMAIL_1]\"", "a bare JSON string");
	free(j);
	filter_free(f);
	filter_rules_free(r);
}

static void test_bounds(void)
{
	const char *env[] = { "A_RATHER_LONG_VARIABLE_NAME=abcd" };
	struct filter *f = mk(env, 1, NULL, false);
	struct buf b = BUF_INIT(40);
	buf_puts(&b, "abcd abcd abcd abcd abcd abcd abcd abcd");
	int c = filter_buf(f, &b);
	ok(c == 8 && b.cap >= b.len && b.len == 8 * strlen("[REDACTED:A_RATHER_LONG_VARIABLE_NAME]") + 7,
	   "a result longer than the cap raises the cap to fit (len %zu, cap %zu)", b.len, b.cap);
	buf_release(&b);

	char *s = strdup("x abcd y");
	filter_str(f, &s);
	is_str(s, "x [REDACTED:A_RATHER_LONG_VARIABLE_NAME] y", "filter_str");
	free(s);
	filter_free(f);

	/* A large text: many lines, one secret near the end. */
	f = mk(env1, 1, NULL, true);
	struct buf big = BUF_INIT(SIZE_MAX / 2);
	for (int i = 0; i < 20000; i++)
		buf_printf(&big, "line %d: nothing here at all 2026-11-23 12:00:00\n", i);
	buf_puts(&big, "last " SECRET "\n");
	c = filter_buf(f, &big);
	ok(c == 1 && strstr(big.data, "last [REDACTED:API_KEY]\n"), "a large text with one secret: one replacement");
	buf_release(&big);
	filter_free(f);
}

/* Random texts from fragments that make secrets, encodings, keys and PII
 * appear whole, split and overlapping: fed in random chunks, a stream gives
 * exactly what filter_buf gives, and filter_json always gives JSON. */
static void test_random(void)
{
	static const char *frags[] = {
		"s3cr3t-", "Value+", "XYZ/42", "czNjcjN0LVZhbHVlK1hZWi80Mg", "abab", "ab", "\n", "\r", " ",
		"-", ".", "@", "bob", "example.com", "4111", "1111", "+1", "(555)", "555", "123", "4567",
		"GB82", "WEST", "1234", "AKIA", "IOSFODNN7EXAMPLE", "eyJ", "x", "0", "\"", "\\", "%2B",
		"-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----",
	};
	const char *env[] = { "A=" SECRET, "B=abab", "C=pa\"ss\nword" };
	struct filter_rules *rules;
	char err[FILTER_ERR_LEN];
	filter_rules_new(&rules, NULL, true, err, sizeof err);
	unsigned seed = 20261123, bad_stream = 0, bad_json = 0, leaks = 0;
#define RND() (seed = seed * 1103515245u + 12345u, seed >> 8)
	for (int it = 0; it < 400; it++) {
		struct filter_opts o = { .env = env, .nenv = 3, .rules = { rules }, .nrules = RND() % 2,
					 .pii = RND() % 2 };
		struct filter *f;
		filter_new(&f, &o);
		struct buf t = BUF_INIT(1 << 20), w = BUF_INIT(1 << 22);
		buf_puts(&t, "");
		for (unsigned k = RND() % 60; k > 0; k--)
			buf_puts(&t, frags[RND() % (sizeof frags / sizeof frags[0])]);
		buf_append(&w, t.data, t.len);
		filter_buf(f, &w);
		if (strstr(w.data, SECRET))
			leaks++;
		for (int rep = 0; rep < 3; rep++) {
			struct filter_stream st;
			filter_stream_init(&st);
			struct buf out = BUF_INIT(1 << 22);
			for (size_t i = 0; i < t.len;) {
				size_t c = 1 + RND() % 12;
				c = c < t.len - i ? c : t.len - i;
				filter_stream_feed(f, &st, t.data + i, c, &out);
				i += c;
			}
			filter_stream_end(f, &st, &out);
			if (out.len != w.len || memcmp(out.data ? out.data : "", w.data, w.len))
				bad_stream++;
			buf_release(&out);
			filter_stream_release(&st);
		}
		json_t *sv = json_stringn(t.data, t.len);
		char *js = json_dumps(sv, JSON_ENCODE_ANY);
		json_decref(sv);
		filter_json(f, &js);
		json_t *back = json_loads(js, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!back || strstr(json_string_value(back), SECRET))
			bad_json++;
		json_decref(back);
		free(js);
		buf_release(&t);
		buf_release(&w);
		filter_free(f);
	}
#undef RND
	is_int(leaks, 0, "random texts: the secret never survives filter_buf");
	is_int(bad_stream, 0, "random texts in random chunks: stream == filter_buf (1200 runs)");
	is_int(bad_json, 0, "random texts as a JSON string: filter_json gives valid JSON without the secret");
	filter_rules_free(rules);
}

int main(void)
{
	test_env_forms();
	test_streams();
	test_builtins();
	test_configured();
	test_pii();
	test_token_error();
	test_json();
	test_bounds();
	test_random();
	return done_testing();
}
