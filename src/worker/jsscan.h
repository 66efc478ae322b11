/* A lexer's view of a JavaScript source: where its function bodies are,
 * whether `await`, `import` or `export` occur as tokens outside them, never
 * fooled by comments, strings, template literals or regular expressions.
 *
 * It is what lets the engine hand acorn (the top-level await rewrite, a
 * session's rewrite) a skeleton of the code instead of the whole of it:
 * those rewrites touch nothing inside a function, so a body can be blanked
 * out (spaces, line breaks kept, every position unchanged) and acorn parses
 * a 1 MB bundle's few hundred top-level statements rather than its 1 MB.
 * And it is how a module file is told from a CommonJS one without sending
 * a bundle whose comment says "import(" through the transpiler.
 *
 * A body is skipped only where the lexer is sure a `{` opens one: after
 * `=>`, after `function name(...)`, or after `name(...)` on one line where
 * `name` is no statement keyword (a method). Anything it is not sure of is
 * left in the skeleton, which only costs acorn more time. A scan that meets
 * something it cannot lex (an unterminated string, unbalanced brackets)
 * says so (ok false): the caller then uses the whole code. */
#ifndef CORRAL_WORKER_JSSCAN_H
#define CORRAL_WORKER_JSSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsscan {
	bool ok;             /* the whole source was lexed, brackets balanced */
	bool top_await;      /* an `await` token outside every skipped body */
	bool module_syntax;  /* `import`/`export` starting a top-level statement */
	bool dynamic_import; /* `import(` or `import.meta` anywhere */
	size_t nbodies;      /* skipped bodies: [body[2i], body[2i+1]) is the */
	size_t *body;        /* inside of one, between its braces; malloc'd */
	size_t skipped;      /* code units in all of them */
};

/* Scans s[0..n) (UTF-16 code units, as JavaScriptCore holds a string).
 * Returns 0, or -ENOMEM. On success *out is filled; free it with
 * jsscan_free. */
int jsscan(const uint16_t *s, size_t n, struct jsscan *out);
void jsscan_free(struct jsscan *sc);

/* s with every skipped body blanked: each code unit inside one becomes a
 * space, except line terminators, which stay. Same length as s. Returns a
 * malloc'd buffer, or NULL. */
uint16_t *jsscan_skeleton(const uint16_t *s, size_t n, const struct jsscan *sc);

#endif
