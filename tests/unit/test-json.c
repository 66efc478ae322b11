/* test-json — the JSON writer: string escaping, UTF-8 repair, keys, numbers.
 * Outputs are checked as exact strings; a randomized case also parses them
 * with jansson against an independent UTF-8 validator (Unicode table 3-7). */
#include "common/json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tap.h"

#define FFFD "\xef\xbf\xbd"

/* Checks json_put_str of n bytes of in against the exact JSON text want. */
static void str_is(const char *in, size_t n, const char *want, const char *name)
{
	struct buf b = BUF_INIT(1 << 20);
	int rc = json_put_str(&b, in, n);
	if (rc)
		diag("json_put_str returned %d", rc);
	is_str(rc ? NULL : b.data, want, "str: %s", name);
	buf_release(&b);
}

#define STR_IS(lit, want, name) str_is((lit), sizeof(lit) - 1, (want), (name))

static void test_escapes(void)
{
	STR_IS("", "\"\"", "empty");
	STR_IS("plain text", "\"plain text\"", "plain ASCII unchanged");
	STR_IS("a\"b", "\"a\\\"b\"", "quote escaped");
	STR_IS("a\\b", "\"a\\\\b\"", "backslash escaped");
	STR_IS("\\\"", "\"\\\\\\\"\"", "backslash then quote");
	STR_IS("a/b", "\"a/b\"", "slash left alone");
	STR_IS("\n\r\t", "\"\\n\\r\\t\"", "newline, return, tab use short escapes");
	STR_IS("\b\f", "\"\\u0008\\u000c\"", "backspace and form feed as \\u00XX");
	STR_IS("\x01\x1f", "\"\\u0001\\u001f\"", "other control chars as \\u00XX");
	STR_IS("\x7f", "\"\\u007f\"", "DEL escaped");
	STR_IS("a\0b", "\"a\\u0000b\"", "embedded NUL escaped, not a terminator");
	STR_IS("x\x1by", "\"x\\u001by\"", "escape mid-run keeps both sides");
	str_is("abcdef", 3, "\"abc\"", "only n bytes are read");

	char all[32];
	for (int i = 0; i < 32; i++)
		all[i] = (char)i;
	struct buf b = BUF_INIT(4096);
	json_put_str(&b, all, 32);
	is_str(b.data,
	       "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008\\t\\n\\u000b\\u000c\\r"
	       "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019"
	       "\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"",
	       "str: all 32 control characters");
	buf_release(&b);
}

static void test_utf8_valid(void)
{
	STR_IS("\xc3\xa9", "\"\xc3\xa9\"", "2-byte é kept");
	STR_IS("\xe2\x82\xac", "\"\xe2\x82\xac\"", "3-byte € kept");
	STR_IS("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", "4-byte emoji kept");
	STR_IS("\xc2\x80", "\"\xc2\x80\"", "U+0080, the smallest 2-byte");
	STR_IS("\xdf\xbf", "\"\xdf\xbf\"", "U+07FF, the largest 2-byte");
	STR_IS("\xe0\xa0\x80", "\"\xe0\xa0\x80\"", "U+0800, the smallest 3-byte");
	STR_IS("\xed\x9f\xbf", "\"\xed\x9f\xbf\"", "U+D7FF, just below the surrogates");
	STR_IS("\xee\x80\x80", "\"\xee\x80\x80\"", "U+E000, just above the surrogates");
	STR_IS("\xef\xbf\xbf", "\"\xef\xbf\xbf\"", "U+FFFF");
	STR_IS("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"", "U+10000, the smallest 4-byte");
	STR_IS("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", "U+10FFFF, the largest code point");
	STR_IS("\xef\xbf\xbd", "\"\xef\xbf\xbd\"", "a real U+FFFD kept");
	STR_IS("a\xc3\xa9\"\xe2\x82\xac\n", "\"a\xc3\xa9\\\"\xe2\x82\xac\\n\"", "mixed text and escapes");
}

static void test_utf8_invalid(void)
{
	STR_IS("\x80", "\"" FFFD "\"", "lone continuation byte");
	STR_IS("a\xbf" "b", "\"a" FFFD "b\"", "lone continuation between ASCII");
	STR_IS("\xc0\xaf", "\"" FFFD FFFD "\"", "overlong 2-byte '/' (C0 AF)");
	STR_IS("\xc1\xbf", "\"" FFFD FFFD "\"", "overlong 2-byte (C1 BF)");
	STR_IS("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"", "overlong 3-byte");
	STR_IS("\xe0\x9f\xbf", "\"" FFFD FFFD FFFD "\"", "overlong 3-byte U+07FF");
	STR_IS("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"", "overlong 4-byte");
	STR_IS("\xf0\x8f\xbf\xbf", "\"" FFFD FFFD FFFD FFFD "\"", "overlong 4-byte U+FFFF");
	STR_IS("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"", "surrogate U+D800 encoded in UTF-8");
	STR_IS("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"", "surrogate U+DFFF encoded in UTF-8");
	STR_IS("\xed\xa0\xbd\xed\xb8\x80", "\"" FFFD FFFD FFFD FFFD FFFD FFFD "\"", "CESU-8 surrogate pair");
	STR_IS("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"", "U+110000, past the last code point");
	STR_IS("\xf5\xf8\xfc\xfe\xff", "\"" FFFD FFFD FFFD FFFD FFFD "\"", "bytes F5-FF never appear");
	STR_IS("\xc3", "\"" FFFD "\"", "truncated 2-byte at the end");
	STR_IS("\xe2\x82", "\"" FFFD FFFD "\"", "truncated 3-byte at the end");
	STR_IS("\xf0\x9f\x98", "\"" FFFD FFFD FFFD "\"", "truncated 4-byte at the end");
	STR_IS("\xe2\x82" "A", "\"" FFFD FFFD "A\"", "truncated 3-byte before ASCII");
	STR_IS("\xe2\x82\xe2\x82\xac", "\"" FFFD FFFD "\xe2\x82\xac\"",
	       "truncated sequence does not swallow the valid one after it");
	STR_IS("\xc3\"", "\"" FFFD "\\\"\"", "truncated sequence before a quote");
	str_is("\xc3\xa9", 1, "\"" FFFD "\"", "valid sequence cut by n");
	str_is("\xf0\x9f\x98\x80", 3, "\"" FFFD FFFD FFFD "\"", "4-byte sequence cut by n");
}

static void test_cstr_key(void)
{
	struct buf b = BUF_INIT(1024);
	json_put_cstr(&b, NULL);
	is_str(b.data, "null", "cstr NULL writes null");
	buf_reset(&b);
	json_put_cstr(&b, "x\"y");
	is_str(b.data, "\"x\\\"y\"", "cstr escapes");
	buf_reset(&b);

	json_put_key(&b, "a");
	is_str(b.data, "\"a\":", "key into an empty buf has no comma");
	buf_reset(&b);
	buf_putc(&b, '{');
	json_put_key(&b, "a");
	buf_putc(&b, '1');
	json_put_key(&b, "b\n");
	json_put_cstr(&b, "x");
	json_put_key(&b, "c");
	buf_putc(&b, '[');
	json_put_cstr(&b, "in");
	buf_putc(&b, ']');
	json_put_key(&b, "d");
	buf_putc(&b, '{');
	json_put_key(&b, "e");
	buf_puts(&b, "null}}");
	is_str(b.data, "{\"a\":1,\"b\\n\":\"x\",\"c\":[\"in\"],\"d\":{\"e\":null}}",
	       "keys get commas after values but not after { or [");
	json_error_t je;
	json_t *j = json_loads(b.data, JSON_REJECT_DUPLICATES, &je);
	ok(j != NULL, "that object parses with jansson");
	json_decref(j);
	buf_release(&b);

	struct buf s = BUF_INIT(8);
	is_int(json_put_str(&s, "abcdefgh", 8), -ENOBUFS, "a string past the cap fails");
	ok(s.len <= 8 && (!s.data || s.data[s.len] == '\0'), "and leaves a sane buf");
	buf_release(&s);
}

static char *dbl(double v)
{
	struct buf b = BUF_INIT(128);
	if (json_put_double(&b, v))
		return NULL;
	return buf_steal(&b);
}

static void dbl_is(double v, const char *want, const char *name)
{
	char *s = dbl(v);
	is_str(s, want, "double: %s", name);
	free(s);
}

static void test_double(void)
{
	dbl_is(0.0, "0", "0");
	dbl_is(-0.0, "0", "-0 is written 0, as JSON.stringify does");
	dbl_is(1.0, "1", "1");
	dbl_is(-42.0, "-42", "-42");
	dbl_is(1e15, "1000000000000000", "1e15 as an integer");
	dbl_is(8999999999999999.0, "8999999999999999", "largest integer below the 9e15 cut");
	dbl_is(0.5, "0.5", "0.5");
	dbl_is(-2.25, "-2.25", "-2.25");
	dbl_is(0.1, "0.1", "0.1");
	dbl_is(3.14159, "3.14159", "3.14159");
	dbl_is(1e-7, "1e-07", "1e-7");
	/* json.c tests v == (double)(int64_t)v before fabs(v) < 9e15, so this
	 * converts 1e300 to int64_t: undefined behaviour, which clang's UBSan
	 * (float-cast-overflow) reports here. The output is right on x86-64. */
	dbl_is(1e300, "1e+300", "1e300");
	dbl_is(NAN, "null", "NaN is null");
	dbl_is(INFINITY, "null", "Infinity is null");
	dbl_is(-INFINITY, "null", "-Infinity is null");

	/* Every output must be JSON jansson reads back. */
	static const double vals[] = { 0, 1, -1, 0.5, 1e-7, 1e300, -1e-300, 5e-324, 123456.789, 9e15, 2e16 };
	int parse = 1;
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		char *s = dbl(vals[i]);
		json_error_t je;
		json_t *j = s ? json_loads(s, JSON_DECODE_ANY, &je) : NULL;
		if (!j || !json_is_number(j)) {
			diag("'%s' (from %.17g) does not parse as a number", s ? s : "(null)", vals[i]);
			parse = 0;
		}
		json_decref(j);
		free(s);
	}
	ok(parse, "every double written parses as a JSON number");

	/* %.15g keeps only 15 significant digits, so a double that needs 16 or
	 * 17 to be told apart from its neighbours comes back as another value. */
	static const double exact[] = { 0.1 + 0.2, 9007199254740992.0, 1.0 / 3.0, 123456789.12345678,
					1.7976931348623157e308 };
	for (size_t i = 0; i < sizeof exact / sizeof *exact; i++) {
		char *s = dbl(exact[i]);
		ok(s && strtod(s, NULL) == exact[i], "double %.17g round-trips (wrote %s)", exact[i], s ? s : "");
		free(s);
	}
	/* Rounded up to 15 digits, the largest doubles pass DBL_MAX: the text
	 * reads back as Infinity (JavaScript) or is refused (jansson). */
	char *s = dbl(1.7976931348623157e308);
	json_error_t je;
	json_t *j = s ? json_loads(s, JSON_DECODE_ANY, &je) : NULL;
	ok(j != NULL, "DBL_MAX is written as a number that parses (wrote %s)", s ? s : "");
	json_decref(j);
	free(s);
}

/* Length of the well-formed UTF-8 sequence at s, per Unicode table 3-7, or 0. */
static size_t ref_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	unsigned lo = 0x80, hi = 0xbf;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c == 0xe0) { len = 3; lo = 0xa0; }
	else if (c >= 0xe1 && c <= 0xec) len = 3;
	else if (c == 0xed) { len = 3; hi = 0x9f; }
	else if (c >= 0xee && c <= 0xef) len = 3;
	else if (c == 0xf0) { len = 4; lo = 0x90; }
	else if (c >= 0xf1 && c <= 0xf3) len = 4;
	else if (c == 0xf4) { len = 4; hi = 0x8f; }
	else return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random bytes, biased towards UTF-8 lead and continuation bytes, through
 * json_put_str; jansson must parse the result to the input with each
 * ill-formed byte replaced by U+FFFD. */
static void test_random(void)
{
	static const unsigned char pick[] = { 'a', '"', '\\', 0, '\n', 0x1f, 0x7f, 0x80, 0x8f, 0x90,
					      0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed,
					      0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff };
	enum { ROUNDS = 20000 };
	int good = 1;
	for (int round = 0; round < ROUNDS && good; round++) {
		unsigned char in[40];
		size_t n = rng() % sizeof in;
		for (size_t i = 0; i < n; i++)
			in[i] = rng() % 2 ? pick[rng() % sizeof pick] : (unsigned char)rng();
		unsigned char want[40 * 3];
		size_t wn = 0;
		for (size_t i = 0; i < n;) {
			size_t k = ref_seq(in + i, n - i);
			if (k) {
				memcpy(want + wn, in + i, k);
				wn += k;
				i += k;
			} else {
				memcpy(want + wn, FFFD, 3);
				wn += 3;
				i++;
			}
		}
		struct buf b = BUF_INIT(4096);
		json_error_t je;
		json_t *j = NULL;
		if (json_put_str(&b, (const char *)in, n) == 0)
			j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		good = j && json_is_string(j) && json_string_length(j) == wn &&
		       !memcmp(json_string_value(j), want, wn);
		for (size_t i = 0; good && i < b.len; i++)
			good = (unsigned char)b.data[i] >= 0x20 && b.data[i] != 0x7f;
		if (!good) {
			fputs("# input:", stdout);
			for (size_t i = 0; i < n; i++)
				printf(" %02x", in[i]);
			printf("\n# output: %s\n", b.data ? b.data : "(none)");
		}
		json_decref(j);
		buf_release(&b);
	}
	ok(good, "%d random byte strings: jansson reads back the input with U+FFFD per bad byte", ROUNDS);
}


/* json_check: what the supervisor accepts as a worker's result. */
static void check_is(const char *text, int want, const char *name)
{
	is_int(json_check(text, strlen(text)), want, "check: %s", name);
}

static void test_check(void)
{
	check_is("\"\\udc00\"", 0, "a lone low surrogate escape (JSON.stringify of \"\\udc00\")");
	check_is("\"\\ud800x\"", 0, "a lone high surrogate escape");
	check_is("\"\\udc00\\ud800\"", 0, "surrogates in the wrong order");
	check_is("\"\\u0000\\u0007\\u001f\"", 0, "NUL and control escapes");
	check_is("[\"\\udc00\",{\"k\\ud800\":\"\\u0000\"}]", 0, "escapes in keys and nested values");
	check_is(" {\"a\" : [1, -0.5e+3, true, false, null, {}, []]} ", 0, "every kind of value, spaces");
	check_is("0", 0, "a bare number");
	check_is("-0", 0, "minus zero");
	check_is("\"\xf0\x9f\x98\x80\"", 0, "a raw 4-byte UTF-8 character");
	check_is("", -EINVAL, "empty text");
	check_is("1 2", -EINVAL, "two values");
	check_is("{\"a\":1}{\"b\":2}", -EINVAL, "two objects (extra keys spliced in)");
	check_is("{\"a\":1,}", -EINVAL, "a trailing comma");
	check_is("[1,]", -EINVAL, "a trailing comma in an array");
	check_is("{\"a\"}", -EINVAL, "a key without a value");
	check_is("{1:2}", -EINVAL, "a non-string key");
	check_is("[1}", -EINVAL, "mismatched brackets");
	check_is("[", -EINVAL, "unclosed array");
	check_is("\"abc", -EINVAL, "unclosed string");
	check_is("\"a\nb\"", -EINVAL, "a raw newline in a string");
	check_is("\"\\x41\"", -EINVAL, "an unknown escape");
	check_is("\"\\u12\"", -EINVAL, "a short \\u escape");
	check_is("\"\xed\xa0\x80\"", -EINVAL, "a raw UTF-8-encoded surrogate");
	check_is("\"\xc0\x80\"", -EINVAL, "an overlong NUL");
	check_is("01", -EINVAL, "a leading zero");
	check_is("1.", -EINVAL, "a dot without digits");
	check_is("1e", -EINVAL, "an exponent without digits");
	check_is("+1", -EINVAL, "a plus sign");
	check_is("NaN", -EINVAL, "NaN");
	check_is("tru", -EINVAL, "a cut literal");
	is_int(json_check("\"a\0b\"", 5), -EINVAL, "check: a raw NUL in a string");
	{
		size_t n = JSON_CHECK_MAX_DEPTH + 1;
		char *deep = malloc(2 * n + 1);
		memset(deep, '[', n);
		memset(deep + n, ']', n);
		is_int(json_check(deep, 2 * n), -EINVAL, "check: nesting past the cap");
		is_int(json_check(deep + 1, 2 * n - 2), 0, "check: nesting at the cap");
		free(deep);
	}

	const char *in = "[\"\\udc00\",\"\\ud83d\\ude00\",\"\\\\udc00\",\"\\u0000\",\"\\ud800\\u0041\"]";
	char *t = json_tame_escapes(in, strlen(in));
	is_str(t, "[\"\\ufffd\",\"\\ud83d\\ude00\",\"\\\\udc00\",\"\\ufffd\",\"\\ufffd\\u0041\"]",
	       "tame: lone surrogates and NUL become \\ufffd, pairs and escaped backslashes stay");
	free(t);
}

/* Random texts from JSON's alphabet: json_check accepts exactly what
 * jansson parses once the escapes it refuses are tamed. */
static void test_check_random(void)
{
	static const char *tok[] = { "[", "]", "{", "}", ",", ":", "\"", "\"a\"", "\\", "\\u", "d800",
				     "dc00", "0041", "0000", "u", "n", "1", "0", "-", ".", "e", "+", " ",
				     "true", "null", "\"\\ud800\"", "\"\\udc00\"", "\xed\xa0\x80", "\xc3\xa9",
				     "\x01", "x" };
	enum { ROUNDS = 50000 };
	int good = 1, accepted = 0;
	for (int round = 0; round < ROUNDS && good; round++) {
		char text[128];
		size_t n = 0;
		int k = (int)(rng() % 10);
		for (int i = 0; i < k; i++) {
			const char *t = tok[rng() % (sizeof tok / sizeof *tok)];
			memcpy(text + n, t, strlen(t));
			n += strlen(t);
		}
		text[n] = '\0';
		int mine = json_check(text, n);
		char *tame = json_tame_escapes(text, n);
		json_error_t je;
		json_t *j = json_loadb(tame, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &je);
		bool theirs = j != NULL;
		if (!j && (strstr(je.text, "overflow") || strstr(je.text, "too big")))
			theirs = mine == 0;
		good = (mine == 0) == theirs;
		accepted += mine == 0;
		if (!good)
			diag("disagree on '%s': json_check %d, jansson %s", text, mine, j ? "ok" : je.text);
		json_decref(j);
		free(tame);
	}
	ok(good && accepted > 100, "%d random texts: json_check agrees with jansson on the tamed text (%d valid)",
	   ROUNDS, accepted);
}

int main(void)
{
	test_escapes();
	test_utf8_valid();
	test_utf8_invalid();
	test_cstr_key();
	test_double();
	test_random();
	test_check();
	test_check_random();
	return done_testing();
}
