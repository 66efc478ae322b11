/* filter — secrets and personal data out of everything an execution gives back.
 *
 * Every text an execution returns (stdout, stderr, the interleaved output,
 * the result JSON, error message and stack, logs, history rows, streamed
 * events) goes through a filter in the supervisor before anyone sees it.
 * A filter applies three stages, in this order, each to the output of the
 * one before:
 *
 * 1. Env values. The value of each "NAME=value" of the execution's env
 *    (FILTER_MIN_SECRET_LEN bytes or longer) becomes "[REDACTED:NAME]" wherever it
 *    appears, and so do these encodings of it, so that it cannot be smuggled
 *    out trivially: its JSON-escaped form, standard base64 with and without
 *    padding, base64url, the three base64 "cores" (the characters fully
 *    determined by the value alone when it is base64-encoded inside a longer
 *    string at an offset of 0, 1 or 2 mod 3; only cores of 8 characters or
 *    more), lowercase and uppercase hex, and the percent-encoding
 *    encodeURIComponent produces. All of them are found in one pass (a
 *    two-byte prefix bitmap, then a compare), leftmost first and longest at a
 *    position.
 *
 * 2. Secret patterns (PCRE2, JIT-compiled). A match becomes
 *    "[REDACTED:PATTERN_NAME]". The built-in set (see filter.c for the exact
 *    expressions; each requires that the key does not continue a longer word
 *    on its left):
 *      AWS_ACCESS_KEY  (AKIA|ASIA)[0-9A-Z]{16}, not followed by [0-9A-Za-z]
 *      GITHUB_TOKEN    gh[pousr]_[A-Za-z0-9]{36,}, github_pat_[A-Za-z0-9_]{22,}
 *      SLACK_TOKEN     xox[abprs]-[A-Za-z0-9-]{10,}
 *      STRIPE_KEY      [sr]k_(live|test)_[0-9A-Za-z]{16,}
 *      OPENAI_KEY      sk-[A-Za-z0-9_-]{20,}
 *      GOOGLE_API_KEY  AIza[0-9A-Za-z_-]{35}, not followed by [0-9A-Za-z_-]
 *      JWT             eyJ...\.eyJ...\.[signature, possibly empty]
 *      PRIVATE_KEY     "-----BEGIN ... PRIVATE KEY-----" through the END line;
 *                      a block cut short (no END line) is redacted through
 *                      the end of its base64 body.
 *    Configured patterns are matched on bytes (no UTF mode), with
 *    PCRE2_MULTILINE, and may not match the empty string. A tenant's pattern
 *    is CPU the supervisor spends, so each match call is limited; a pattern
 *    that hits the limit stops matching for the rest of that text. All are
 *    searched together: at each step the leftmost match of any of them is
 *    replaced, so a replacement is never matched again.
 *
 * 3. PII tokenization, when enabled. Values become "[EMAIL_n]", "[PHONE_n]",
 *    "[CARD_n]" or "[IBAN_n]". n comes from the token callback for the kind
 *    and the normalized value, so one value gets one token. The rules:
 *    - EMAIL: local@domain; local is 1-64 of [A-Za-z0-9._%+-] (leading
 *      symbols dropped; at least one letter or digit); domain is two or
 *      more labels of [A-Za-z0-9-] (no label starts or ends with '-')
 *      ending in an alphabetic TLD of 2+ letters. Normalized: lowercased.
 *    - CARD: 13-19 digits starting with 2-6 that pass the Luhn check, either
 *      one run of digits or groups separated by single spaces or single
 *      dashes (one kind per number), the first group of 4 digits, the middle
 *      ones 3-6, the last 1-6. Not inside a word, not right after
 *      "<digit>." or "<digit>-", not followed by ".<digit>" (a decimal).
 *      Normalized: the digits.
 *    - IBAN: two capital letters, two digits, then capital letters and
 *      digits, 15-34 characters in all, either unseparated or in groups of
 *      four separated by single spaces (the last group 1-4), passing the
 *      ISO 13616 mod-97 check. Normalized: without the spaces.
 *    - PHONE, deliberately conservative (a bare run of digits is never a
 *      phone: timestamps and ids are runs of digits):
 *        "+" then 8-15 digits, optionally grouped by single spaces, dashes
 *        or dots and with one area code in parentheses, the first group (the
 *        country code) 1-3 digits when grouped ("+1 (555) 123-4567",
 *        "+44 20 7946 0958", "+14155552671"; not "+2026-11-23");
 *        North American "(555) 123-4567", "555-123-4567", "555.123.4567",
 *        "555 123 4567" (one separator kind), optionally after "1-";
 *        national trunk format: "0" then a non-zero digit, 10-11 digits in
 *        2-5 groups of 2-8 separated by one kind of single space, dash or
 *        dot ("020 7946 0958", "06 12 34 56 78").
 *      Never a phone: dates (2026-11-23), IPs, versions, times, a number
 *      inside a word or a dashed or dotted identifier ("R-03371-37637"), or
 *      continued by another "-<digit>" or ".<digit>". Normalized: the
 *      digits, with the leading "+" kept.
 *
 * What it cannot catch: a secret split across two lines of a stream longer
 * than FILTER_STREAM_HOLD, or transformed by code in any way other than the
 * encodings above (reversed, XORed, one character per line...). The sandbox,
 * not the filter, is the boundary: the filter stops accidents and casual
 * exfiltration, not a determined program.
 *
 * Threads: a struct filter_rules is immutable after creation and may be
 * shared by any number of filters on any threads; a struct filter is used
 * by one thread at a time. */
#ifndef CORRAL_FILTER_H
#define CORRAL_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/buf.h"

/* Env values shorter than this are not treated as secrets (they would
 * blank out ordinary text). */
#define FILTER_MIN_SECRET_LEN 4
#define FILTER_NAME_MAX 64
/* A stream holds back at most this many bytes of an unfinished line (plus
 * what could still become an env secret). An open PRIVATE KEY block is held
 * back whole up to this size, so it is a little above an 8192-bit RSA key. */
#define FILTER_STREAM_HOLD 8192
#define FILTER_ERR_LEN 256

struct filter_rules;
struct filter;

/* Compiles patterns, a jansson array of {"name": "NAME", "pattern": "regex"}
 * (NULL for none), plus the built-in set when builtins is true. Names are
 * 1-64 of [A-Z0-9_]. On a bad entry returns -EINVAL with err (errlen bytes,
 * caller-owned) naming the index, the name and PCRE2's message and offset;
 * -ENOMEM otherwise. Caller frees *out with filter_rules_free. */
int filter_rules_new(struct filter_rules **out, const json_t *patterns, bool builtins, char *err,
		     size_t errlen);
void filter_rules_free(struct filter_rules *r);
/* The number of patterns (the built-in set counts one per pattern). */
size_t filter_rules_count(const struct filter_rules *r);

/* The token callback: sets *num (1-based, the same for the same kind and
 * normalized value for as long as the caller wants tokens stable, e.g. a
 * session) and returns 0, or returns -errno. kind is "EMAIL", "PHONE",
 * "CARD" or "IBAN"; value (n bytes, not NUL-terminated) is borrowed. */
typedef int (*filter_token_fn)(void *ud, const char *kind, const char *value, size_t n,
			       unsigned *num);

struct filter_opts {
	const char *const *env; /* "NAME=value"; copied */
	size_t nenv;
	/* Borrowed: each must outlive the filter. NULL entries are skipped, and
	 * the built-in set is used once however many rules include it. */
	const struct filter_rules *rules[4];
	size_t nrules;
	bool pii;
	/* NULL with pii: a map private to this filter, numbering each kind from 1. */
	filter_token_fn token;
	void *token_ud;
};

/* Caller frees *out with filter_free. Returns 0 or -ENOMEM. */
int filter_new(struct filter **out, const struct filter_opts *o);
void filter_free(struct filter *f);
/* False when the filter can change nothing (no env secret, no pattern, no
 * PII): the caller may skip it. All functions below accept such a filter,
 * and a NULL one, and then change nothing. */
bool filter_active(const struct filter *f);

/* Filters the whole text in b in place. Returns the number of replacements
 * or -errno.
 * Growth: a token may be longer than what it replaces. b->cap is kept when
 * the result fits; otherwise it is raised to the result's length, but never
 * past 2 * cap + 4096 (saturating): a result longer than that (many tiny
 * secrets with long names) is cut there. The cut is in filtered text, so it
 * cannot expose part of a secret.
 * Failure: b never holds unfiltered text afterwards. On -ENOMEM b is
 * emptied. When the token callback fails, its value becomes "[KIND]" and
 * the first callback error is returned after the whole text is filtered. */
int filter_buf(struct filter *f, struct buf *b);
/* The same for a NUL-terminated heap string; may free and replace *s. On
 * -ENOMEM *s is truncated to "". */
int filter_str(struct filter *f, char **s);
/* Filters a JSON document (the result) held in the heap string *json: every
 * string value and object key is filtered, and so is the text of every
 * number (a number that changes, e.g. a card number, becomes a JSON string
 * such as "[CARD_1]"). The output is compact JSON, members in their order,
 * duplicate keys kept. Integers beyond 64 bits are read as doubles. When
 * *json is not JSON it is filtered as text (filter_str). May free and replace
 * *json. On -ENOMEM *json becomes "null" (or "0" when too short to hold it),
 * so it is always valid JSON when it was. Returns replacements or -errno. */
int filter_json(struct filter *f, char **json);

/* Streams (SSE events, NDJSON, a streamed body): feed chunks, get what is
 * safe to send now.
 * raw holds received bytes the env stage cannot judge yet (a proper prefix
 * of some encoding of a secret: at most the longest one minus one byte), so
 * a secret is never split across two sends. pending holds env-filtered text
 * after the last '\n' or '\r', because patterns and PII are matched per line;
 * a line longer than FILTER_STREAM_HOLD is cut, and then a pattern or PII
 * value across the cut can be missed (env secrets cannot). Without patterns
 * and PII nothing is held for lines. */
struct filter_stream {
	struct buf raw;
	struct buf pending;
	bool failed; /* an allocation failed: the rest of the stream is dropped */
};
void filter_stream_init(struct filter_stream *st);
void filter_stream_release(struct filter_stream *st);
/* Appends to out (caller-owned; give it a cap of at least the input's plus
 * room for tokens, or the append fails with -ENOBUFS) what may be sent now.
 * Returns replacements or -errno. */
int filter_stream_feed(struct filter *f, struct filter_stream *st, const char *p, size_t n,
		       struct buf *out);
/* Flushes what is held back, filtered, to out. st can be fed again after. */
int filter_stream_end(struct filter *f, struct filter_stream *st, struct buf *out);

/* Appends text (n bytes) to out with each token like "[EMAIL_3]" replaced by
 * its value: lookup returns 0 and a heap *value (freed here), -ENOENT to
 * leave the token as it is, or another -errno, which is returned. Returns 0
 * or -errno. The value is inserted raw: for JSON text, detokenize the
 * decoded strings instead. */
int filter_detokenize(const char *text, size_t n,
		      int (*lookup)(void *ud, const char *kind, unsigned num, char **value),
		      void *ud, struct buf *out);

#endif
