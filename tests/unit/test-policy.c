/* test-policy — the validation policy: its JSON, its lexer, its patterns.
 *
 * Each rule is checked at its limit and one past it, with the exact line
 * and column. The lexer cases are built so that a wrong decision shows: a
 * string the lexer must see (or must not) sits where a mistaken regex,
 * comment or template would swallow it (or expose it). */
#include "supervisor/policy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A policy from JSON text; NULL (and a diagnostic) when it is refused. */
static struct policy *mk(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_ALLOW_NUL, &je);
	if (!j) {
		diag("bad test JSON: %s: %s", text, je.text);
		return NULL;
	}
	struct policy *p = NULL;
	char err[POLICY_ERR_LEN];
	int rc = policy_from_json(j, &p, err, sizeof err);
	if (rc)
		diag("policy_from_json(%s) = %d: %s", text, rc, err);
	json_decref(j);
	return p;
}

/* One case: code (n bytes) against p gives the violation rule at line:col. */
static void expect_n(const struct policy *p, const char *code, size_t n, const char *rule,
		     unsigned line, unsigned col, const char *what)
{
	struct policy_violation v;
	memset(&v, 0, sizeof v);
	int rc = policy_check(p, code, n, &v);
	int pass = rc == 1 && strcmp(v.rule, rule) == 0 && v.line == line && v.column == col;
	if (!ok(pass, "%s: %s at %u:%u", what, rule, line, col))
		diag("  got rc %d, rule '%s' at %u:%u: %s", rc, v.rule, v.line, v.column, v.message);
}

static void expect(const struct policy *p, const char *code, const char *rule, unsigned line,
		   unsigned col, const char *what)
{
	expect_n(p, code, strlen(code), rule, line, col, what);
}

static void pass_n(const struct policy *p, const char *code, size_t n, const char *what)
{
	struct policy_violation v;
	memset(&v, 0, sizeof v);
	int rc = policy_check(p, code, n, &v);
	if (!ok(rc == 0, "%s: passes", what))
		diag("  got rc %d, rule '%s' at %u:%u: %s", rc, v.rule, v.line, v.column, v.message);
}

static void pass(const struct policy *p, const char *code, const char *what)
{
	pass_n(p, code, strlen(code), what);
}

static void test_code_bytes(void)
{
	struct policy *p = mk("{\"max_code_bytes\": 10}");
	struct policy_violation v;
	pass(p, "0123456789", "10 bytes under max_code_bytes 10");
	is_int(policy_check(p, "0123456789a", 11, &v), 1, "11 bytes: a violation");
	is_str(v.rule, "max_code_bytes", "rule max_code_bytes");
	is_str(v.name, "", "no name");
	ok(v.line == 0 && v.column == 0, "no place: line 0, column 0");
	is_str(v.message, "code of 11 bytes is over the policy's max_code_bytes (10)", "message");
	policy_free(p);
}

static void test_string_bytes(void)
{
	struct policy *p = mk("{\"max_string_literal_bytes\": 5}");
	struct policy_violation v;
	pass(p, "x = 'abcde';", "'abcde' is 5 bytes: at the limit");
	is_int(policy_check(p, "x = 'abcdef';", 13, &v), 1, "'abcdef' is 6 bytes: over");
	is_str(v.rule, "max_string_literal_bytes", "rule max_string_literal_bytes");
	ok(v.line == 1 && v.column == 5, "at the opening quote, 1:5 (got %u:%u)", v.line, v.column);
	is_str(v.message,
	       "string literal of 6 bytes at line 1, column 5 is over the policy's "
	       "max_string_literal_bytes (5)", "message names size, place and limit");
	pass(p, "a\nb\ny = \"abcde\"", "\"abcde\" on line 3: at the limit");
	expect(p, "a\nb\ny = \"abcdef\"", "max_string_literal_bytes", 3, 5, "\"abcdef\" on line 3");
	pass(p, "`abcde`", "template text of 5 bytes");
	expect(p, "`abcdef`", "max_string_literal_bytes", 1, 1, "template text of 6 bytes");
	pass(p, "`abcde${x}abcde`", "two 5-byte template segments");
	expect(p, "`abcdef${x}`", "max_string_literal_bytes", 1, 1, "segment before ${ over");
	expect(p, "`a${x}abcdef`", "max_string_literal_bytes", 1, 6,
	       "segment after } over: placed at the }");
	is_int(policy_check(p, "`a${x}abcdef`", 13, &v), 1, "again, for the message");
	is_str(v.message,
	       "template literal text of 6 bytes at line 1, column 6 is over the policy's "
	       "max_string_literal_bytes (5)", "a template segment is named as such");
	pass(p, "x = 'a\\'bc'", "'a\\'bc' is 5 source bytes");
	expect(p, "x = 'a\\'bcd'", "max_string_literal_bytes", 1, 5, "escapes count as source bytes");
	expect(p, "x = '\\u0041'", "max_string_literal_bytes", 1, 5, "'\\u0041' is 6 source bytes");
	expect(p, "\"\\\"'abcdef'\"", "max_string_literal_bytes", 1, 1,
	       "an escaped quote does not end the literal: 11 bytes from 1:1");
	pass(p, "f('a\\\\', 'bcde')", "an escaped backslash does: 'a\\\\' then 'bcde'");
	expect(p, "f('a\\\\', 'bcdefg')", "max_string_literal_bytes", 1, 10,
	       "and the string after it is seen");
	policy_free(p);

	p = mk("{\"max_string_literal_bytes\": 0}");
	pass(p, "f('', \"\", ``)", "limit 0: empty literals pass");
	expect(p, "f('', 'a')", "max_string_literal_bytes", 1, 7, "limit 0: 'a' does not");
	policy_free(p);
}

static void test_nesting(void)
{
	struct policy *p = mk("{\"max_nesting_depth\": 3}");
	struct policy_violation v;
	pass(p, "f(a[b{}])", "( [ { is depth 3");
	is_int(policy_check(p, "f(a[b{()}])", 11, &v), 1, "( [ { ( is depth 4");
	is_str(v.rule, "max_nesting_depth", "rule max_nesting_depth");
	ok(v.line == 1 && v.column == 7, "at the 4th bracket, 1:7 (got %u:%u)", v.line, v.column);
	is_str(v.message,
	       "nesting depth of 4 at line 1, column 7 is over the policy's max_nesting_depth (3)",
	       "message names depth, place and limit");
	pass(p, "f(((1)))\ng([[1]])\nh({a: {b: 1}})", "closed levels are given back");
	expect(p, "f(1)\n  g([{[x]}])", "max_nesting_depth", 2, 7, "the 4th level on line 2");
	pass(p, "`${`${`${x}`}`}`", "three nested ${ are depth 3");
	expect(p, "`${`${`${`${x}`}`}`}`", "max_nesting_depth", 1, 11, "a 4th ${: at its $");
	pass(p, "`${ {a: `${b}`} }`", "${ { ${ is depth 3");
	expect(p, "`${ {a: `${(b)}`} }`", "max_nesting_depth", 1, 12, "and ( inside is 4");
	expect(p, "x = `a${ {b: `c${ {d: 1} }`} }e`", "max_nesting_depth", 1, 19,
	       "a { inside a nested ${ is depth 4");
	policy_free(p);

	/* Depth 1: only f( ... ) is allowed, so any bracket the lexer took for
	 * code inside a string, comment, regex or template text would fail. */
	p = mk("{\"max_nesting_depth\": 1}");
	pass(p, "f(\"(((\", '[[[', `{{{`, /(((/, /[(]/)", "brackets in literals do not count");
	pass(p, "f(\"}}}\", ')))', `]]]`, /)]}/)\ng(1)", "closing brackets in literals either");
	pass(p, "f(1) // ((( {{{\n/* [[[ ((( */ g(2)", "nor in comments");
	pass(p, "f(1) /* ) ) */ g(2) // }", "closers in comments do not pop");
	expect(p, "f(\"(\", '{', `[`, /(/) // (\ng((1))", "max_nesting_depth", 2, 3,
	       "after all that, a real 2nd level is found, at 2:3");
	expect(p, "f(`${x}`)", "max_nesting_depth", 1, 4, "a ${ inside f( is depth 2");
	policy_free(p);
}

/* The string rule at 3 bytes: a 7-byte 'toolong' that a lexing mistake
 * would hide (or a '...' it would invent) shows which way it decided. */
static void test_regex_or_division(void)
{
	struct policy *p = mk("{\"max_string_literal_bytes\": 3}");
	expect(p, "n = a / 'toolong' / c", "max_string_literal_bytes", 1, 9,
	       "a / b / c: after an identifier, / divides");
	expect(p, "n = (a) / 'toolong' / 2", "max_string_literal_bytes", 1, 11, "after ), / divides");
	expect(p, "n = x[0] / 'toolong' / 2", "max_string_literal_bytes", 1, 12, "after ], / divides");
	expect(p, "n = 10 / 'toolong' / 2", "max_string_literal_bytes", 1, 10,
	       "after a number, / divides");
	expect(p, "n = this / 'toolong' / 2", "max_string_literal_bytes", 1, 12,
	       "after this, / divides");
	expect(p, "n = a++ / 'toolong' / 2", "max_string_literal_bytes", 1, 11,
	       "after a postfix ++, / divides");
	expect(p, "n = x.return / 'toolong' / 2", "max_string_literal_bytes", 1, 16,
	       "after a property named return, / divides");
	expect(p, "n = {a: 1} / 'toolong' / 2", "max_string_literal_bytes", 1, 14,
	       "after an object literal's }, / divides");
	pass(p, "x = /[/]{'/.test(s)", "x = /[/]{/: a / inside a class does not end the regex");
	expect(p, "x = /[/]{'/.test(s); y = 'toolong'", "max_string_literal_bytes", 1, 26,
	       "and the code after the regex is code again");
	pass(p, "function f(s) { return /it's/.test(s) }", "return /re/: a regex");
	pass(p, "t = typeof /'/", "typeof /re/");
	pass(p, "switch (x) { case /'/: }", "case /re/");
	pass(p, "f(/'/, [/'/], !/'/, a && /'/, b ? /'/ : /'/)", "after ( [ , ! && ? :");
	pass(p, "if (x) { y() }\n/'/.test(z)", "after a block's }, a regex");
	pass(p, "if (x) /'/.test(y)", "after if (...), a regex");
	expect(p, "x = a\n/ 'toolong' /g", "max_string_literal_bytes", 2, 3,
	       "a line end changes nothing: a / on the next line still divides");
	pass(p, "f = () => /'/", "after =>, a regex");
	pass(p, "x = /a\\/'toolong'/", "an escaped / does not end a regex");
	expect(p, "x = /re/ / 'toolong'", "max_string_literal_bytes", 1, 12,
	       "after a regex literal, / divides");
	pass(p, "x = a /= 2; y = /'/", "/= after an identifier is an operator");
	pass(p, "x = /'/gimsuy.source", "flags end the regex");
	expect(p, "x = `${a / 'toolong'}`", "max_string_literal_bytes", 1, 12,
	       "inside ${, after an identifier, / divides");
	policy_free(p);
}

static void test_comments_and_unterminated(void)
{
	struct policy *p = mk("{\"max_string_literal_bytes\": 3, \"max_nesting_depth\": 2}");
	pass(p, "// 'toolong' ((((\nx = 1", "a line comment hides strings and brackets");
	pass(p, "/* 'toolong'\n ((( */ x = 1", "a block comment too, across lines");
	pass(p, "x = '//' + \"/*\"; y = 1", "comment openers inside strings are not comments");
	expect(p, "x = '/*'; y = 'toolong' /* */", "max_string_literal_bytes", 1, 15,
	       "so the code after them is still seen");
	pass(p, "#!/usr/bin/env node 'toolong'\nx = 1", "a hashbang line is a comment");
	expect(p, "#!/usr/bin/env node\n'toolong'", "max_string_literal_bytes", 2, 1,
	       "and the next line is code");
	expect(p, "\xEF\xBB\xBF'toolong'", "max_string_literal_bytes", 1, 1,
	       "a byte order mark is skipped and takes no column");

	/* Unterminated: stop, measure what was there, never loop. */
	expect(p, "x = 'abcd", "max_string_literal_bytes", 1, 5, "an unterminated string is measured to the end");
	expect(p, "x = 'ab\ny = 'toolong'", "max_string_literal_bytes", 2, 5,
	       "an unterminated string ends at its line");
	expect(p, "x = 'ab\\\ncd'; 'toolong'", "max_string_literal_bytes", 1, 5,
	       "a line continuation keeps the string going (6 bytes)");
	pass(p, "x = '\\\nb'", "a continued string of 3 bytes");
	pass(p, "x = '\\\r\n'toolong", "a CRLF line continuation is one escape");
	pass(p, "x = 1 /* 'toolong' (((", "an unterminated block comment");
	expect(p, "x = `abcd", "max_string_literal_bytes", 1, 5, "an unterminated template");
	pass(p, "x = `${", "an unterminated ${");
	pass(p, "x = `${ 'a'", "an unterminated ${ with a string");
	pass(p, "x = /[/'", "an unterminated regex class");
	pass(p, "x = /ab\ny = 1", "an unterminated regex ends at its line");
	expect(p, "x = /ab\ny = 'toolong'", "max_string_literal_bytes", 2, 5,
	       "and the next line is code");
	pass(p, "x = 'a\\", "a backslash at the very end of a string");
	pass(p, "x = `a\\", "of a template");
	pass(p, "x = /a\\", "of a regex");
	pass(p, "x = '", "a lone quote");
	pass(p, "x = `", "a lone backquote");
	pass(p, "}}}) ]]", "closers with nothing open");
	expect(p, "}}} f(g(h()))", "max_nesting_depth", 1, 10, "and depth is still counted after");
	pass(p, "`${ ) ] }` + 'ab'", "a ) or ] does not close a ${");
	policy_free(p);
}

static void test_lines_and_columns(void)
{
	struct policy *p = mk("{\"max_string_literal_bytes\": 6}");
	expect(p, "a\r\nb\r\n  'toolong'", "max_string_literal_bytes", 3, 3, "CRLF ends a line once");
	expect(p, "a\rb 'toolong'", "max_string_literal_bytes", 2, 3, "a lone CR ends a line");
	expect(p, "a\n\rb 'toolong'", "max_string_literal_bytes", 3, 3, "LF then CR: two lines");
	expect(p, "// h\xC3\xA9llo w\xC3\xB6rld\nconst \xC3\xB1 = '\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E';",
	       "max_string_literal_bytes", 2, 11,
	       "a 9-byte literal of 3 characters after a 2-byte one: column 11 in characters");
	expect(p, "x = '\xF0\x9F\x98\x80', 'toolong'", "max_string_literal_bytes", 1, 10,
	       "a 4-byte character is one column");
	expect(p, "\xff\xfe 'toolong'", "max_string_literal_bytes", 1, 4,
	       "each invalid byte is one column");
	expect(p, "\xC3 'toolong'", "max_string_literal_bytes", 1, 3, "a truncated sequence too");
	expect(p, "\xE0\x80\x80 'toolong'", "max_string_literal_bytes", 1, 5,
	       "an overlong sequence is three invalid bytes");
	expect_n(p, "a\0b 'toolong'", 13, "max_string_literal_bytes", 1, 5, "NUL bytes are characters");
	expect_n(p, "'a\0b\0c\0d'", 9, "max_string_literal_bytes", 1, 1,
		 "NUL bytes inside a string count");
	policy_free(p);
}

static void test_patterns(void)
{
	struct policy *p = mk("{\"forbidden_patterns\": ["
			      "{\"name\": \"no-eval\", \"pattern\": \"\\\\beval\\\\s*\\\\(\","
			      " \"message\": \"eval is not allowed\"},"
			      "{\"name\": \"no_fs\", \"pattern\": \"require\\\\(['\\\"]fs['\\\"]\\\\)\"}]}");
	struct policy_violation v;
	ok(p != NULL, "a policy with two patterns");
	pass(p, "x = evaluate(1); y = medieval (2)", "no match: passes");
	is_int(policy_check(p, "x = 1;\n  y = eval (s)", 21, &v), 1, "eval ( matches");
	is_str(v.rule, "forbidden_pattern", "rule forbidden_pattern");
	is_str(v.name, "no-eval", "name no-eval");
	ok(v.line == 2 && v.column == 7, "at the match's start, 2:7 (got %u:%u)", v.line, v.column);
	is_str(v.message, "forbidden pattern 'no-eval' matched at line 2, column 7: eval is not allowed",
	       "message names the pattern, the place and the tenant's text");
	is_int(policy_check(p, "const fs = require('fs')", 24, &v), 1, "require('fs') matches");
	is_str(v.name, "no_fs", "the second pattern");
	is_str(v.message, "forbidden pattern 'no_fs' matched at line 1, column 12",
	       "without a message, the sentence ends at the place");
	expect(p, "require(\"fs\"); eval(1)", "forbidden_pattern", 1, 16,
	       "patterns in the order given: the first pattern wins, not the first place");
	expect(p, "// eval(x) is bad\n", "forbidden_pattern", 1, 4, "patterns see comments too");
	expect(p, "const caf\xC3\xA9 = 1; eval(x)", "forbidden_pattern", 1, 17,
	       "a 2-byte character before the match: column in characters");
	expect(p, "\xff\xfe eval(x)", "forbidden_pattern", 1, 4, "invalid UTF-8 before a match");
	expect_n(p, "a\0\0 eval(x)", 11, "forbidden_pattern", 1, 5, "NUL bytes before a match");
	policy_free(p);

	p = mk("{\"forbidden_patterns\": [{\"name\": \"dot\", \"pattern\": \"x.y\"}]}");
	expect(p, "x\xE6\x97\xA5y", "forbidden_pattern", 1, 1, "UTF mode: . is one character");
	policy_free(p);

	/* A regex over its budget rejects the code rather than passing it. */
	p = mk("{\"forbidden_patterns\": [{\"name\": \"slow\", \"pattern\": \"\\\\w+\\\\(\"}]}");
	size_t n = 10u << 20;
	char *big = malloc(n + 2);
	memset(big, 'a', n);
	memcpy(big + n, " (", 2);
	double t0 = now_s();
	int rc = policy_check(p, big, n + 2, &v);
	double dt = now_s() - t0;
	is_int(rc, 1, "\\w+\\( on a 10 MiB word: quadratic, so rejected");
	ok(strcmp(v.rule, "forbidden_pattern") == 0 && v.line == 0 && strstr(v.message, "could not be checked"),
	   "as forbidden_pattern, with no place: %s", v.message);
	ok(dt < POLICY_MATCH_BUDGET_MS / 1000.0 + 2, "within the budget and a little (%.2f s)", dt);
	free(big);
	policy_free(p);

	p = mk("{\"forbidden_patterns\": [{\"name\": \"nested\", \"pattern\": \"^(a+)+$\"}]}");
	const char *bomb = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
	t0 = now_s();
	rc = policy_check(p, bomb, strlen(bomb), &v);
	dt = now_s() - t0;
	ok(rc == 1 && strcmp(v.rule, "forbidden_pattern") == 0 && v.line == 0,
	   "catastrophic backtracking is rejected (%.2f s): %s", dt, v.message);
	policy_free(p);
}

static void test_order(void)
{
	struct policy *p = mk("{\"max_code_bytes\": 100, \"max_string_literal_bytes\": 3,"
			      " \"max_nesting_depth\": 1,"
			      " \"forbidden_patterns\": [{\"name\": \"x\", \"pattern\": \"x\"}]}");
	expect(p, "f(g(1)); 'toolong'; x", "max_nesting_depth", 1, 4,
	       "depth before a later string, both before patterns");
	expect(p, "'toolong'; f(g(1)); x", "max_string_literal_bytes", 1, 1,
	       "a string before a later depth");
	expect(p, "f(1); x", "forbidden_pattern", 1, 7, "patterns after the lexer");
	char big[101];
	memset(big, 'y', sizeof big);
	expect_n(p, big, sizeof big, "max_code_bytes", 0, 0, "size first");
	policy_free(p);
}

static void test_api_edges(void)
{
	struct policy_violation v;
	struct policy *p = (struct policy *)1;
	char err[POLICY_ERR_LEN] = "junk";
	is_int(policy_from_json(NULL, &p, err, sizeof err), 0, "NULL: no policy, 0");
	ok(p == NULL && err[0] == '\0', "*out NULL, err empty");
	json_t *jn = json_null();
	p = (struct policy *)1;
	is_int(policy_from_json(jn, &p, err, sizeof err), 0, "JSON null: no policy, 0");
	ok(p == NULL, "*out NULL");
	json_decref(jn);
	is_int(policy_check(NULL, "eval(x)", 7, &v), 0, "policy_check(NULL) passes");
	policy_free(NULL);
	ok(1, "policy_free(NULL) is a no-op");

	p = mk("{}");
	ok(p != NULL, "{}: an empty policy");
	pass(p, "anything ((((( 'at all'", "which passes everything");
	is_int(policy_check(p, "x", 1, NULL), -EINVAL, "v NULL: -EINVAL");
	is_int(policy_check(p, NULL, 3, &v), -EINVAL, "code NULL with n > 0: -EINVAL");
	is_int(policy_check(p, NULL, 0, &v), 0, "code NULL with n 0: empty code passes");
	policy_free(p);

	p = mk("{\"max_code_bytes\": null, \"max_nesting_depth\": null,"
	       " \"max_string_literal_bytes\": null, \"forbidden_patterns\": null}");
	ok(p != NULL, "null values mean the rule is off");
	json_t *j = policy_to_json(p);
	char *s = json_dumps(j, JSON_COMPACT);
	is_str(s, "{}", "and are left out of policy_to_json");
	free(s);
	json_decref(j);
	policy_free(p);
	j = policy_to_json(NULL);
	ok(json_is_null(j), "policy_to_json(NULL) is JSON null");
	json_decref(j);
}

struct bad {
	const char *json;
	const char *err;
};

static void test_bad_json(void)
{
	char long_pattern[POLICY_MAX_PATTERN_BYTES + 200];
	char msg_long[300];
	char many[POLICY_MAX_PATTERNS * 48 + 64];
	char long_name[200];
	snprintf(long_name, sizeof long_name,
		 "{\"forbidden_patterns\": [{\"name\": \"%0*d\", \"pattern\": \"x\"}]}",
		 POLICY_NAME_MAX + 1, 0);
	snprintf(long_pattern, sizeof long_pattern, "{\"forbidden_patterns\": [{\"name\": \"n\", \"pattern\": \"%0*d\"}]}",
		 POLICY_MAX_PATTERN_BYTES + 1, 0);
	snprintf(msg_long, sizeof msg_long,
		 "{\"forbidden_patterns\": [{\"name\": \"n\", \"pattern\": \"x\", \"message\": \"%0*d\"}]}",
		 POLICY_MAX_MESSAGE_BYTES + 1, 0);
	size_t o = (size_t)snprintf(many, sizeof many, "{\"forbidden_patterns\": [");
	for (int i = 0; i <= POLICY_MAX_PATTERNS; i++)
		o += (size_t)snprintf(many + o, sizeof many - o, "%s{\"name\": \"p%d\", \"pattern\": \"x\"}",
				      i ? "," : "", i);
	snprintf(many + o, sizeof many - o, "]}");

	const struct bad cases[] = {
		{ "[]", "validation: must be an object or null" },
		{ "7", "validation: must be an object or null" },
		{ "{\"max_code_bytes\": 0}", "validation.max_code_bytes: must be an integer >= 1" },
		{ "{\"max_code_bytes\": -5}", "validation.max_code_bytes: must be an integer >= 1" },
		{ "{\"max_code_bytes\": \"10\"}", "validation.max_code_bytes: must be an integer >= 1" },
		{ "{\"max_code_bytes\": 1.5}", "validation.max_code_bytes: must be an integer >= 1" },
		{ "{\"max_string_literal_bytes\": -1}",
		  "validation.max_string_literal_bytes: must be an integer >= 0" },
		{ "{\"max_string_literal_bytes\": true}",
		  "validation.max_string_literal_bytes: must be an integer >= 0" },
		{ "{\"max_nesting_depth\": 0}", "validation.max_nesting_depth: must be an integer >= 1" },
		{ "{\"max_nesting_depth\": [3]}", "validation.max_nesting_depth: must be an integer >= 1" },
		{ "{\"maxCodeBytes\": 1}", "validation: unknown key 'maxCodeBytes'" },
		{ "{\"x'\\n\": 1}", "validation: unknown key 'x\\x27\\x0a'" },
		{ "{\"forbidden_patterns\": {}}", "validation.forbidden_patterns: must be an array" },
		{ "{\"forbidden_patterns\": [1]}", "validation.forbidden_patterns[0]: must be an object" },
		{ "{\"forbidden_patterns\": [{\"pattern\": \"x\"}]}",
		  "validation.forbidden_patterns[0].name: missing" },
		{ "{\"forbidden_patterns\": [{\"name\": \"\", \"pattern\": \"x\"}]}",
		  "validation.forbidden_patterns[0].name: must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' and '-'" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a b\", \"pattern\": \"x\"}]}",
		  "validation.forbidden_patterns[0].name: must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' and '-'" },
		{ "{\"forbidden_patterns\": [{\"name\": 5, \"pattern\": \"x\"}]}",
		  "validation.forbidden_patterns[0].name: must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' and '-'" },
		{ long_name,
		  "validation.forbidden_patterns[0].name: must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' and '-'" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\\u0000b\", \"pattern\": \"x\"}]}",
		  "validation.forbidden_patterns[0].name: must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' and '-'" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\", \"pattern\": \"x\"},"
		  " {\"name\": \"a\", \"pattern\": \"y\"}]}",
		  "validation.forbidden_patterns[1].name: 'a' is already the name of forbidden_patterns[0]" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\"}]}",
		  "validation.forbidden_patterns[0].pattern: missing" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\", \"pattern\": \"\"}]}",
		  "validation.forbidden_patterns[0].pattern: must be a non-empty string" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\", \"pattern\": 7}]}",
		  "validation.forbidden_patterns[0].pattern: must be a non-empty string" },
		{ long_pattern, "validation.forbidden_patterns[0].pattern: 4097 bytes, over the limit of 4096" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\", \"pattern\": \"a\"},"
		  " {\"name\": \"b\", \"pattern\": \"b\"},"
		  " {\"name\": \"c\", \"pattern\": \"(abc|de\"}]}",
		  "validation.forbidden_patterns[2].pattern: missing closing parenthesis at offset 7" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\", \"pattern\": \"a\\\\Cb\"}]}",
		  "validation.forbidden_patterns[0].pattern: using \\C is disabled by the application at offset 3" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\", \"pattern\": \"x\", \"message\": 5}]}",
		  "validation.forbidden_patterns[0].message: must be a string" },
		{ msg_long, "validation.forbidden_patterns[0].message: must be at most 160 bytes" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\", \"pattern\": \"x\", \"message\": \"a\\u0000\"}]}",
		  "validation.forbidden_patterns[0].message: must not contain NUL" },
		{ "{\"forbidden_patterns\": [{\"name\": \"a\", \"pattern\": \"x\", \"flags\": \"i\"}]}",
		  "validation.forbidden_patterns[0]: unknown key 'flags'" },
		{ many, "validation.forbidden_patterns: 65 patterns, over the limit of 64" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_error_t je;
		json_t *j = json_loads(cases[i].json, JSON_ALLOW_NUL | JSON_DECODE_ANY, &je);
		if (!j) {
			ok(0, "bad config %zu parses as JSON: %s", i, je.text);
			continue;
		}
		struct policy *p = (struct policy *)1;
		char err[POLICY_ERR_LEN] = "";
		int rc = policy_from_json(j, &p, err, sizeof err);
		ok(rc == -EINVAL && p == NULL, "bad config %zu: -EINVAL, no policy (rc %d)", i, rc);
		is_str(err, cases[i].err, "bad config %zu: message names the field", i);
		json_decref(j);
	}
}

static void test_round_trip(void)
{
	const char *text =
		"{\"max_code_bytes\": 1048576, \"max_string_literal_bytes\": 0,"
		" \"max_nesting_depth\": 200, \"forbidden_patterns\": ["
		"{\"name\": \"no-eval\", \"pattern\": \"\\\\beval\\\\(\", \"message\": \"no eval, s\\u00ed\"},"
		"{\"name\": \"nul.byte\", \"pattern\": \"a\\u0000b\"},"
		"{\"name\": \"X_1\", \"pattern\": \"(?i)new\\\\s+Function\"}]}";
	json_error_t je;
	json_t *orig = json_loads(text, JSON_ALLOW_NUL, &je);
	struct policy *p = NULL;
	char err[POLICY_ERR_LEN];
	is_int(policy_from_json(orig, &p, err, sizeof err), 0, "a full policy parses");
	json_t *once = policy_to_json(p);
	ok(json_equal(orig, once), "policy_to_json gives back what was read");
	struct policy *p2 = NULL;
	is_int(policy_from_json(once, &p2, err, sizeof err), 0, "and policy_from_json reads it");
	json_t *twice = policy_to_json(p2);
	ok(json_equal(once, twice), "the same again");
	expect_n(p2, "xx a\0b", 6, "forbidden_pattern", 1, 4, "a NUL in a pattern survives the trip");
	expect(p2, "NEW  function()", "forbidden_pattern", 1, 1, "(?i) survives the trip");
	json_decref(orig);
	json_decref(once);
	json_decref(twice);
	policy_free(p);
	policy_free(p2);
}

/* 10 MiB of hostile shapes: each must finish, linearly, without a crash. */
static void test_hostile(void)
{
	size_t n = 10u << 20;
	char *s = malloc(n);
	struct policy_violation v;
	struct policy *deep = mk("{\"max_nesting_depth\": 1000}");
	struct policy *strs = mk("{\"max_string_literal_bytes\": 65536}");

	memset(s, '(', n);
	double t0 = now_s();
	expect_n(deep, s, n, "max_nesting_depth", 1, 1001, "10 MiB of ( with depth 1000: at 1:1001");
	t0 = now_s();
	pass_n(strs, s, n, "10 MiB of ( with no depth rule");
	double t_big = now_s() - t0;
	t0 = now_s();
	pass_n(strs, s, n / 10, "1 MiB of (");
	double t_small = now_s() - t0;
	ok(t_big < 5.0, "10 MiB of ( in %.3f s", t_big);
	diag("1 MiB in %.4f s, 10 MiB in %.4f s", t_small, t_big);
	ok(t_big < 30 * t_small + 0.05, "about ten times 1 MiB: linear");

	for (size_t i = 0; i < n; i++)
		s[i] = "`${"[i % 3];
	t0 = now_s();
	pass_n(strs, s, n, "10 MiB of `${ nested");
	ok(now_s() - t0 < 5.0, "in %.3f s", now_s() - t0);
	expect_n(deep, s, n, "max_nesting_depth", 1, 3002, "with depth 1000: the 1001st ${ at 1:3002");

	s[0] = '\'';
	memset(s + 1, 'a', n - 2);
	s[n - 1] = '\'';
	is_int(policy_check(strs, s, n, &v), 1, "a 10 MiB string literal");
	ok(strstr(v.message, "string literal of 10485758 bytes at line 1, column 1") != NULL, "%s", v.message);
	memset(s, '\'', n);
	pass_n(strs, s, n, "10 MiB of quotes");
	memset(s, '/', n);
	pass_n(strs, s, n, "10 MiB of slashes");
	memset(s, '\\', n);
	pass_n(strs, s, n, "10 MiB of backslashes");
	memset(s, 0, n);
	pass_n(strs, s, n, "10 MiB of NUL");
	memset(s, 0xff, n);
	pass_n(strs, s, n, "10 MiB of 0xff");
	for (size_t i = 0; i < n; i++)
		s[i] = "x=/[/"[i % 5];
	pass_n(strs, s, n, "10 MiB of unterminated regex classes");
	for (size_t i = 0; i < n; i++)
		s[i] = "})]"[i % 3];
	pass_n(deep, s, n, "10 MiB of closers");

	/* Random bytes from the lexer's alphabet: no crash, a sane answer. */
	static const char alpha[] = "()[]{}`$'\"/\\*\n\r x1=;.?+-:ri\xc3\xa9\0";
	srand(7);
	int good = 1;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand() % 400);
		for (size_t i = 0; i < len; i++)
			s[i] = alpha[rand() % (int)(sizeof alpha - 1)];
		int a = policy_check(deep, s, len, &v), b = policy_check(strs, s, len, &v);
		good &= (a == 0 || a == 1) && (b == 0 || b == 1);
		if (a == 1 || b == 1)
			good &= v.line >= 1 && v.column >= 1;
	}
	ok(good, "2000 random inputs: each 0 or 1, violations placed");
	free(s);
	policy_free(deep);
	policy_free(strs);
}

int main(void)
{
	test_code_bytes();
	test_string_bytes();
	test_nesting();
	test_regex_or_division();
	test_comments_and_unterminated();
	test_lines_and_columns();
	test_patterns();
	test_order();
	test_api_edges();
	test_bad_json();
	test_round_trip();
	test_hostile();
	return done_testing();
}
