/* test-jsscan — the lexer behind the top-level await rewrite's skeleton and
 * the loader's choice of transpiling (issue 13 points 1 and 14, issue 19
 * point 4): which braces open a function body, and which `await`,
 * `import` and `export` are tokens, through comments, strings, templates
 * and regular expressions that contain look-alikes. */
#include "worker/jsscan.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* Flags of a case: what the scan must find. */
enum { OK = 1, AWAIT = 2, ESM = 4, DYN = 8 };

struct scase {
	const char *name;
	const char *src;
	int flags;
	/* The source with every skipped body's inside removed (NULL: the same
	 * as src, nothing skipped). */
	const char *kept;
};

static const struct scase cases[] = {
	{ "empty", "", OK, NULL },
	{ "a function body is skipped", "function f(a) { return a + 1 }\nf(1)", OK, "function f(a) {}\nf(1)" },
	{ "await inside a function is not top-level", "async function f() { await g() }", OK,
	  "async function f() {}" },
	{ "await (p) at the top level", "const x = await (p);", OK | AWAIT, NULL },
	{ "await in an arrow's expression body counts (acorn decides)", "const f = async () => await g();",
	  OK | AWAIT, NULL },
	{ "arrow bodies", "const f = (a) => { return a }; g(x => { x++ })", OK,
	  "const f = (a) => {}; g(x => {})" },
	{ "function expressions and generators", "a(function () { x }, function* g() { yield 1 })", OK,
	  "a(function () {}, function* g() {})" },
	{ "methods in a class and an object", "class A { m() { a } get x() { b } static [k](v) { c } }\n"
	  "o = { f(a) { d }, 'q'(b) { e }, async *g() { h } }", OK,
	  "class A { m() {} get x() {} static [k](v) {} }\no = { f(a) {}, 'q'(b) {}, async *g() {} }" },
	{ "statement heads are blocks, not bodies",
	  "if (a) { await b } while (c) { d } for (x of y) { e } switch (z) { case 1: f }"
	  " try { g } catch (e) { h } for await (const q of r) { s }",
	  OK | AWAIT, NULL },
	{ "a call then a block on the next line is not a method", "f(x)\n{ await y }", OK | AWAIT, NULL },
	{ "a brace in a string", "function f() { return '}' + \"{\" }\nawait 1", OK | AWAIT,
	  "function f() {}\nawait 1" },
	{ "a brace in a regular expression", "function f(s) { return /[}]{2}\\/}/.test(s) }\nawait 1",
	  OK | AWAIT, "function f(s) {}\nawait 1" },
	{ "a division is not a regular expression", "function f(a, b) { return a / b / 2 }", OK,
	  "function f(a, b) {}" },
	{ "a regular expression after a statement head", "if (a) /}/.test(b); await c", OK | AWAIT, NULL },
	{ "a template with a substitution holding braces",
	  "function f() { return `a ${ { b: `c ${ d }` }.b } }` }\nawait 1", OK | AWAIT,
	  "function f() {}\nawait 1" },
	{ "a template at the top level", "const s = `${await p} {`;", OK | AWAIT, NULL },
	{ "comments", "// await import('x') { \n/* export { } */ function f() { /* } */ }", OK,
	  "// await import('x') { \n/* export { } */ function f() {}" },
	{ "a property named await or import", "o.await(1); o?.import(2); o.export = 3", OK, NULL },
	{ "import and export statements", "import a from 'a';\nexport const b = 1;", OK | ESM, NULL },
	{ "import() and import.meta", "const m = import('x'); import.meta.url", OK | DYN, NULL },
	{ "an import() in a function is still dynamic", "function f() { return import('x') }", OK | DYN,
	  "function f() {}" },
	{ "a nested import/export is no statement", "o = { export: 1 }; f(import('q'))", OK | DYN, NULL },
	{ "hashbang", "#!/usr/bin/env node\nfunction f() { x }", OK, "#!/usr/bin/env node\nfunction f() {}" },
	{ "an unterminated string is not ok", "const s = 'abc\nf()", 0, NULL },
	{ "unbalanced brackets are not ok", "f(a, { b }", 0, NULL },
	{ "a mismatched closer is not ok", "module.exports = (a) => {\n  f('x'\n};\n", 0, NULL },
	{ "nested bodies: only the outermost is recorded", "function f() { function g() { h() } }", OK,
	  "function f() {}" },
};

static uint16_t *utf16(const char *s, size_t *n)
{
	*n = strlen(s);
	uint16_t *u = malloc((*n + 1) * sizeof *u);
	for (size_t i = 0; i < *n; i++)
		u[i] = (unsigned char)s[i];
	return u;
}

/* The skeleton's text with each body's inside (all spaces now, but line
 * breaks) dropped: what "kept" says. */
static char *kept_text(const uint16_t *s, size_t n, const struct jsscan *sc)
{
	char *out = malloc(n + 1);
	size_t o = 0, b = 0;
	for (size_t i = 0; i < n; i++) {
		while (b < sc->nbodies && i >= sc->body[2 * b + 1])
			b++;
		if (b < sc->nbodies && i >= sc->body[2 * b] && i < sc->body[2 * b + 1])
			continue;
		out[o++] = (char)s[i];
	}
	out[o] = 0;
	return out;
}

int main(void)
{
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		const struct scase *c = &cases[k];
		size_t n;
		uint16_t *u = utf16(c->src, &n);
		struct jsscan sc;
		if (jsscan(u, n, &sc)) {
			ok(0, "%s: scan failed", c->name);
			free(u);
			continue;
		}
		int got = (sc.ok ? OK : 0) | (sc.top_await ? AWAIT : 0) | (sc.module_syntax ? ESM : 0) |
			  (sc.dynamic_import ? DYN : 0);
		char *kept = kept_text(u, n, &sc);
		const char *want = c->kept ? c->kept : c->src;
		int pass = got == c->flags && (!(c->flags & OK) || !strcmp(kept, want));
		ok(pass, "%s", c->name);
		if (!pass)
			diag("flags %d (want %d), kept \"%s\" (want \"%s\")", got, c->flags, kept, want);
		free(kept);
		jsscan_free(&sc);
		free(u);
	}

	/* The skeleton keeps every position: same length, line breaks where
	 * they were, spaces in the bodies, the rest untouched. */
	const char *src = "function f() {\n  return '\\u2028';\r\n}\nawait g()";
	size_t n;
	uint16_t *u = utf16(src, &n);
	struct jsscan sc;
	int rc = jsscan(u, n, &sc);
	uint16_t *k = rc ? NULL : jsscan_skeleton(u, n, &sc);
	int same = k != NULL;
	for (size_t i = 0; same && i < n; i++) {
		bool inside = sc.nbodies == 1 && i >= sc.body[0] && i < sc.body[1];
		uint16_t want = inside && u[i] != '\n' && u[i] != '\r' ? ' ' : u[i];
		same = k[i] == want;
	}
	ok(same && sc.nbodies == 1 && sc.top_await, "the skeleton keeps lengths, line breaks and the code outside bodies");
	free(k);
	jsscan_free(&sc);
	free(u);

	/* A U+2028 inside a body stays a line terminator in the skeleton. */
	uint16_t ls[] = { 'f', '(', ')', '=', '>', '{', 'a', 0x2028, 'b', '}' };
	rc = jsscan(ls, 10, &sc);
	k = rc ? NULL : jsscan_skeleton(ls, 10, &sc);
	ok(k && sc.ok && k[6] == ' ' && k[7] == 0x2028 && k[8] == ' ' && k[9] == '}',
	   "U+2028 stays in a blanked body");
	free(k);
	jsscan_free(&sc);

	/* Deep nesting grows the stack rather than failing. */
	size_t deep = 100000;
	uint16_t *d = malloc(2 * deep * sizeof *d);
	for (size_t i = 0; i < deep; i++) {
		d[i] = '[';
		d[2 * deep - 1 - i] = ']';
	}
	rc = jsscan(d, 2 * deep, &sc);
	ok(!rc && sc.ok, "100,000 nested brackets");
	jsscan_free(&sc);
	free(d);
	return done_testing();
}
