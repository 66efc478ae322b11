/* policy — a tenant's validation policy, checked on submitted source code.
 *
 * A tenant may set, in its settings under "validation", rules that the
 * supervisor checks on the code of an execution (JavaScript or TypeScript
 * source) before it is dispatched to a worker: a cap on the code's size, on
 * the longest string literal, on the deepest bracket nesting, and regexes
 * (PCRE2) the code must not match. The first violation becomes a `rejected`
 * outcome whose message names the rule, the measured value, the limit and
 * the place.
 *
 * This is a policy aid, not a security boundary. It keeps honest mistakes
 * and house rules out (a 50 MB inlined blob, eval, a forbidden module) and
 * saves a worker for code that would be refused anyway; it does not stop
 * code that means harm, which can build any string or call at run time. The
 * sandbox is the boundary.
 *
 * The string and nesting rules need to know what is code, string, template,
 * regex or comment, so they run a small JavaScript lexer (policy.c): one
 * pass, linear in the input, no recursion, memory for the bracket stack at
 * most a quarter byte per level. It decides regex literal against division
 * from the previous token, as most tools that lex without parsing do, and
 * can be wrong in the rare cases docs/internals/policy.md lists. Forbidden
 * patterns match the raw source, comments and strings included.
 *
 * Positions are 1-based lines and columns. A line ends at LF, CRLF or a lone
 * CR; a column counts characters (UTF-8 code points, each byte of an
 * invalid sequence as one) from the start of the line.
 *
 * A struct policy is immutable once built, so one may be checked from
 * several threads at once. */
#ifndef CORRAL_POLICY_H
#define CORRAL_POLICY_H

#include <jansson.h>
#include <stddef.h>

#define POLICY_ERR_LEN 256            /* room for any policy_from_json message */
#define POLICY_MAX_PATTERNS 64        /* forbidden_patterns entries */
#define POLICY_MAX_PATTERN_BYTES 4096 /* one pattern's source */
#define POLICY_MAX_MESSAGE_BYTES 160  /* one pattern's message */
#define POLICY_NAME_MAX 64            /* a pattern's name, [A-Za-z0-9_.-] */

/* All the forbidden patterns of one policy_check together get this much
 * wall-clock time; a regex that backtracks past it (or past PCRE2's match,
 * depth or heap limit) rejects the code rather than letting it through. */
#define POLICY_MATCH_BUDGET_MS 50

struct policy;

/* Builds a policy from the tenant's settings: j is the "validation" member,
 * a JSON object, or NULL or JSON null for no policy (then *out = NULL and 0
 * is returned). Keys, all optional:
 *   max_code_bytes            integer >= 1
 *   max_string_literal_bytes  integer >= 0
 *   max_nesting_depth         integer >= 1
 *   forbidden_patterns        array of at most POLICY_MAX_PATTERNS objects
 *                             {"name", "pattern", "message" (optional)}
 * A key set to null counts as absent. Unknown keys, wrong types, values out
 * of range, duplicate names and regexes PCRE2 will not compile give -EINVAL
 * with err naming the field, e.g.
 * "validation.forbidden_patterns[2].pattern: missing closing parenthesis at
 * offset 7"; -ENOMEM when out of memory. j is borrowed; the caller frees
 * *out with policy_free. err may be NULL when errlen is 0. */
int policy_from_json(const json_t *j, struct policy **out, char *err, size_t errlen);
/* policy_free(NULL) is a no-op. */
void policy_free(struct policy *p);
/* The policy as JSON, with only the keys that are set, in the form
 * policy_from_json reads (for GET of the settings); JSON null for p NULL.
 * Caller json_decref's the result; NULL when out of memory. */
json_t *policy_to_json(const struct policy *p);

struct policy_violation {
	char rule[32];         /* "max_code_bytes", "max_string_literal_bytes", "max_nesting_depth", "forbidden_pattern" */
	char name[65];         /* the forbidden pattern's name, else "" */
	unsigned line, column; /* 1-based; 0 when the rule has no place (max_code_bytes, a pattern over budget) */
	char message[300];     /* a whole sentence naming rule, measured value, limit and place, e.g.
	                          "string literal of 70000 bytes at line 3, column 9 is over the
	                          policy's max_string_literal_bytes (65536)" */
};

/* Checks n bytes of code (any bytes: NUL and invalid UTF-8 are fine) against
 * p. Returns 0 when the code passes (always, for p NULL), 1 with *v
 * describing the first violation, or -errno (-EINVAL for a NULL v or code,
 * -ENOMEM). Rules are checked in this order: max_code_bytes; then the
 * string and nesting rules together, the violation that starts first in
 * the source winning; then each forbidden pattern in the order given, the
 * first that matches reporting where its first match starts. v is written
 * only when 1 is returned. */
int policy_check(const struct policy *p, const char *code, size_t n, struct policy_violation *v);

#endif
