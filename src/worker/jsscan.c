/* The lexer of jsscan.h. One pass over the code units, a stack of open
 * brackets, and the last few tokens: enough to tell a regular expression
 * from a division, a function body from a block, and a keyword from a
 * property name, which is all its callers ask. */
#include "worker/jsscan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The last significant tokens, for the two decisions that look back: may a
 * `/` start a regular expression here, and does a `{` open a function. */
enum tok {
	T_NONE,    /* nothing yet */
	T_IDENT,   /* an identifier or keyword (kw says which) */
	T_VALUE,   /* a number, string, template or regular expression */
	T_ARROW,   /* => */
	T_RPAREN,  /* ) (closed says what it closed) */
	T_RBRACKET,
	T_RBRACE,
	T_DOT,     /* . and ?. */
	T_INCDEC,  /* ++ and -- */
	T_STAR,
	T_PUNCT,   /* any other punctuator */
};

enum kw {
	KW_NONE,
	KW_FUNCTION,
	KW_AWAIT,
	KW_IMPORT,
	KW_EXPORT,
	KW_FOR,
	KW_HEAD,    /* if while switch catch with: `(...) {` is a block */
	KW_OPERATOR, /* return typeof void ...: a `/` after one starts a regex */
	KW_VALUE,   /* this super null true false */
};

/* What the token before a `(` was, saved with the paren so that its `)`
 * knows what it ended. */
enum before {
	B_OTHER,
	B_FUNCTION, /* function( and function*( */
	B_FNNAME,   /* function name( */
	B_METHOD,   /* name( [k]( "k"( #k( where name is no keyword */
	B_HEAD,     /* if( while( for( for await( switch( catch( with( */
};

enum frame_kind { F_PAREN, F_BRACKET, F_BRACE, F_BODY, F_SUBST };

struct frame {
	unsigned char kind;
	unsigned char before; /* F_PAREN: enum before */
};

struct tokinfo {
	unsigned char tok, kw;
};

struct lexer {
	const uint16_t *s;
	size_t n, i;
	struct frame *stack;
	size_t depth, cap;
	struct tokinfo t[3]; /* t[0] the last token, t[1] the one before... */
	unsigned char closed; /* the last `)`'s enum before */
	bool nl;              /* a line terminator since the last token */
	bool pending_import;  /* the last token was `import` (no dot before) */
	size_t in_body;       /* how many F_BODY frames are open (0 or 1) */
	size_t body_start;
	struct jsscan *out;
	size_t bodies_cap;
	bool bad;
};

static bool is_line_term(uint16_t c)
{
	return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029;
}

static bool is_space(uint16_t c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == 0xa0 || c == 0xfeff || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x205f || c == 0x3000;
}

static bool is_ident_start(uint16_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c == '\\' ||
	       (c >= 0x80 && !is_space(c) && !is_line_term(c));
}

static bool is_ident_part(uint16_t c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool word_is(const uint16_t *w, size_t n, const char *kw)
{
	size_t k = strlen(kw);
	if (k != n)
		return false;
	for (size_t j = 0; j < n; j++)
		if (w[j] != (unsigned char)kw[j])
			return false;
	return true;
}

static enum kw classify(const uint16_t *w, size_t n)
{
	static const char *const heads[] = { "if", "while", "switch", "catch", "with" };
	static const char *const ops[] = { "return", "typeof", "instanceof", "in", "of", "new", "delete", "void",
					   "throw", "case", "do", "else", "yield", "extends" };
	static const char *const values[] = { "this", "super", "null", "true", "false" };
	if (n < 2 || n > 10 || w[0] < 'a' || w[0] > 'z')
		return KW_NONE;
	if (word_is(w, n, "function"))
		return KW_FUNCTION;
	if (word_is(w, n, "await"))
		return KW_AWAIT;
	if (word_is(w, n, "import"))
		return KW_IMPORT;
	if (word_is(w, n, "export"))
		return KW_EXPORT;
	if (word_is(w, n, "for"))
		return KW_FOR;
	for (size_t k = 0; k < sizeof heads / sizeof *heads; k++)
		if (word_is(w, n, heads[k]))
			return KW_HEAD;
	for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
		if (word_is(w, n, ops[k]))
			return KW_OPERATOR;
	for (size_t k = 0; k < sizeof values / sizeof *values; k++)
		if (word_is(w, n, values[k]))
			return KW_VALUE;
	return KW_NONE;
}

static void push_tok(struct lexer *L, enum tok tok, enum kw kw)
{
	L->t[2] = L->t[1];
	L->t[1] = L->t[0];
	L->t[0].tok = (unsigned char)tok;
	L->t[0].kw = (unsigned char)kw;
	L->nl = false;
}

static int push_frame(struct lexer *L, enum frame_kind kind, enum before before)
{
	if (L->depth == L->cap) {
		size_t cap = L->cap ? L->cap * 2 : 64;
		struct frame *f = realloc(L->stack, cap * sizeof *f);
		if (!f)
			return -ENOMEM;
		L->stack = f;
		L->cap = cap;
	}
	L->stack[L->depth].kind = (unsigned char)kind;
	L->stack[L->depth].before = (unsigned char)before;
	L->depth++;
	return 0;
}

static int add_body(struct lexer *L, size_t start, size_t end)
{
	struct jsscan *o = L->out;
	if (o->nbodies * 2 + 2 > L->bodies_cap) {
		size_t cap = L->bodies_cap ? L->bodies_cap * 2 : 64;
		size_t *b = realloc(o->body, cap * sizeof *b);
		if (!b)
			return -ENOMEM;
		o->body = b;
		L->bodies_cap = cap;
	}
	o->body[o->nbodies * 2] = start;
	o->body[o->nbodies * 2 + 1] = end;
	o->nbodies++;
	o->skipped += end - start;
	return 0;
}

/* Whether a `/` here starts a regular expression rather than a division. */
static bool regex_allowed(const struct lexer *L)
{
	switch (L->t[0].tok) {
	case T_NONE:
	case T_ARROW:
	case T_STAR:
	case T_PUNCT:
	case T_RBRACE: /* a block's end: a statement follows */
		return true;
	case T_RPAREN: /* if (x) /re/.test(s) */
		return L->closed == B_HEAD;
	case T_IDENT:
		return L->t[0].kw == KW_OPERATOR || L->t[0].kw == KW_AWAIT;
	default:
		return false;
	}
}

/* What the token before a `(` makes of the paren. */
static enum before paren_before(const struct lexer *L)
{
	const struct tokinfo *p = &L->t[0], *q = &L->t[1], *r = &L->t[2];
	if (p->tok == T_IDENT && p->kw == KW_FUNCTION)
		return B_FUNCTION;
	if (p->tok == T_STAR && q->tok == T_IDENT && q->kw == KW_FUNCTION)
		return B_FUNCTION;
	if (p->tok == T_IDENT) {
		if (p->kw == KW_HEAD || p->kw == KW_FOR || (p->kw == KW_AWAIT && q->tok == T_IDENT && q->kw == KW_FOR))
			return B_HEAD;
		if (q->tok == T_IDENT && q->kw == KW_FUNCTION)
			return B_FNNAME;
		if (q->tok == T_STAR && r->tok == T_IDENT && r->kw == KW_FUNCTION)
			return B_FNNAME;
		return p->kw == KW_NONE || p->kw == KW_IMPORT || p->kw == KW_AWAIT ? B_METHOD : B_OTHER;
	}
	if (p->tok == T_RBRACKET || p->tok == T_VALUE)
		return B_METHOD;
	return B_OTHER;
}

/* Skips a string literal whose quote is at L->i. */
static void lex_string(struct lexer *L)
{
	uint16_t q = L->s[L->i++];
	while (L->i < L->n) {
		uint16_t c = L->s[L->i++];
		if (c == q)
			return;
		if (c == '\\') {
			if (L->i < L->n && L->s[L->i] == '\r' && L->i + 1 < L->n && L->s[L->i + 1] == '\n')
				L->i++;
			L->i++;
		} else if (c == '\n' || c == '\r') {
			L->bad = true; /* an unterminated string */
			return;
		}
	}
	L->bad = true;
}

/* Skips template characters from L->i up to and including the closing
 * backtick (a whole template, or its tail after a substitution), or up to
 * a `${`, where it opens a substitution frame. */
static int lex_template(struct lexer *L)
{
	while (L->i < L->n) {
		uint16_t c = L->s[L->i++];
		if (c == '`') {
			push_tok(L, T_VALUE, KW_NONE);
			return 0;
		}
		if (c == '\\') {
			L->i++;
		} else if (c == '$' && L->i < L->n && L->s[L->i] == '{') {
			L->i++;
			L->t[0].tok = T_PUNCT; /* an expression starts */
			L->t[0].kw = KW_NONE;
			return push_frame(L, F_SUBST, B_OTHER);
		}
	}
	L->bad = true;
	return 0;
}

/* A regular expression literal whose `/` is at L->i: skipped with its
 * flags, or, when a line ends before its closing slash, not one after all
 * (false: the caller takes the `/` as a division). */
static bool lex_regex(struct lexer *L)
{
	size_t j = L->i + 1;
	bool klass = false;
	while (j < L->n) {
		uint16_t c = L->s[j++];
		if (is_line_term(c))
			return false;
		if (c == '\\') {
			if (j < L->n && is_line_term(L->s[j]))
				return false;
			j++;
		} else if (c == '[') {
			klass = true;
		} else if (c == ']') {
			klass = false;
		} else if (c == '/' && !klass) {
			while (j < L->n && is_ident_part(L->s[j]))
				j++;
			L->i = j;
			return true;
		}
	}
	return false;
}

static int open_brace(struct lexer *L)
{
	bool body = L->t[0].tok == T_ARROW ||
		    (L->t[0].tok == T_RPAREN && (L->closed == B_FUNCTION || L->closed == B_FNNAME ||
						 (L->closed == B_METHOD && !L->nl)));
	int rc;
	if (body && !L->in_body) {
		rc = push_frame(L, F_BODY, B_OTHER);
		L->in_body = 1;
		L->body_start = L->i + 1;
	} else {
		rc = push_frame(L, F_BRACE, B_OTHER);
	}
	push_tok(L, T_PUNCT, KW_NONE);
	L->i++;
	return rc;
}

static int close_bracket(struct lexer *L, uint16_t c)
{
	if (!L->depth) {
		L->bad = true;
		return 0;
	}
	struct frame f = L->stack[--L->depth];
	if (c == ')') {
		if (f.kind != F_PAREN)
			L->bad = true;
		L->closed = f.before;
		push_tok(L, T_RPAREN, KW_NONE);
	} else if (c == ']') {
		if (f.kind != F_BRACKET)
			L->bad = true;
		push_tok(L, T_RBRACKET, KW_NONE);
	} else if (f.kind == F_SUBST) {
		L->i++;
		return lex_template(L);
	} else if (f.kind == F_BODY) {
		L->in_body = 0;
		int rc = add_body(L, L->body_start, L->i);
		if (rc)
			return rc;
		push_tok(L, T_RBRACE, KW_NONE);
	} else {
		if (f.kind != F_BRACE)
			L->bad = true;
		push_tok(L, T_RBRACE, KW_NONE);
	}
	L->i++;
	return 0;
}

static void ident(struct lexer *L)
{
	size_t start = L->i;
	while (L->i < L->n && is_ident_part(L->s[L->i])) {
		if (L->s[L->i] == '\\' && L->i + 1 < L->n && L->s[L->i + 1] == 'u') {
			L->i += 2;
			if (L->i < L->n && L->s[L->i] == '{') {
				while (L->i < L->n && L->s[L->i] != '}')
					L->i++;
				L->i++;
			}
			continue;
		}
		L->i++;
	}
	bool member = L->t[0].tok == T_DOT;
	enum kw kw = classify(L->s + start, L->i - start);
	if (member)
		kw = KW_NONE; /* a property name: obj.await, obj.import */
	if (kw == KW_AWAIT && !L->in_body)
		L->out->top_await = true;
	if (kw == KW_EXPORT && !L->depth)
		L->out->module_syntax = true;
	push_tok(L, T_IDENT, kw);
	L->pending_import = kw == KW_IMPORT;
}

/* What follows an `import` token: `(` or `.` make it a dynamic import or
 * import.meta, anything else at the top level an import declaration. */
static void after_import(struct lexer *L, uint16_t c)
{
	L->pending_import = false;
	if (c == '(' || c == '.')
		L->out->dynamic_import = true;
	else if (!L->depth)
		L->out->module_syntax = true;
}

int jsscan(const uint16_t *s, size_t n, struct jsscan *out)
{
	memset(out, 0, sizeof *out);
	struct lexer L = { .s = s, .n = n, .out = out };
	int rc = 0;
	if (n >= 2 && s[0] == '#' && s[1] == '!')
		while (L.i < n && !is_line_term(s[L.i]))
			L.i++;
	while (!rc && L.i < n && !L.bad) {
		uint16_t c = s[L.i];
		if (is_line_term(c)) {
			L.nl = true;
			L.i++;
			continue;
		}
		if (is_space(c)) {
			L.i++;
			continue;
		}
		uint16_t d = L.i + 1 < n ? s[L.i + 1] : 0;
		if (c == '/' && d == '/') {
			while (L.i < n && !is_line_term(s[L.i]))
				L.i++;
			continue;
		}
		if (c == '/' && d == '*') {
			size_t j = L.i + 2;
			while (j + 1 < n && !(s[j] == '*' && s[j + 1] == '/')) {
				if (is_line_term(s[j]))
					L.nl = true;
				j++;
			}
			if (j + 1 >= n) {
				L.bad = true;
				break;
			}
			L.i = j + 2;
			continue;
		}
		if (L.pending_import)
			after_import(&L, c);
		if (is_ident_start(c)) {
			ident(&L);
			continue;
		}
		if (c == '#' && L.i + 1 < n && is_ident_start(d)) {
			L.i++;
			ident(&L);
			L.t[0].kw = KW_NONE;
			continue;
		}
		if ((c >= '0' && c <= '9') || (c == '.' && d >= '0' && d <= '9')) {
			while (L.i < n && (is_ident_part(s[L.i]) || s[L.i] == '.'))
				L.i++;
			push_tok(&L, T_VALUE, KW_NONE);
			continue;
		}
		switch (c) {
		case '"':
		case '\'':
			lex_string(&L);
			push_tok(&L, T_VALUE, KW_NONE);
			continue;
		case '`':
			L.i++;
			rc = lex_template(&L);
			continue;
		case '/':
			if (regex_allowed(&L) && lex_regex(&L)) {
				push_tok(&L, T_VALUE, KW_NONE);
				continue;
			}
			L.i++;
			push_tok(&L, T_PUNCT, KW_NONE);
			continue;
		case '(':
			rc = push_frame(&L, F_PAREN, paren_before(&L));
			push_tok(&L, T_PUNCT, KW_NONE);
			L.i++;
			continue;
		case '[':
			rc = push_frame(&L, F_BRACKET, B_OTHER);
			push_tok(&L, T_PUNCT, KW_NONE);
			L.i++;
			continue;
		case '{':
			rc = open_brace(&L);
			continue;
		case ')':
		case ']':
		case '}':
			rc = close_bracket(&L, c);
			continue;
		case '=':
			if (d == '>') {
				L.i += 2;
				push_tok(&L, T_ARROW, KW_NONE);
				continue;
			}
			while (L.i < n && s[L.i] == '=')
				L.i++;
			push_tok(&L, T_PUNCT, KW_NONE);
			continue;
		case '.':
			if (d == '.' && L.i + 2 < n && s[L.i + 2] == '.') {
				L.i += 3;
				push_tok(&L, T_PUNCT, KW_NONE);
			} else {
				L.i++;
				push_tok(&L, T_DOT, KW_NONE);
			}
			continue;
		case '?':
			if (d == '.' && !(L.i + 2 < n && s[L.i + 2] >= '0' && s[L.i + 2] <= '9')) {
				L.i += 2;
				push_tok(&L, T_DOT, KW_NONE);
				continue;
			}
			L.i++;
			push_tok(&L, T_PUNCT, KW_NONE);
			continue;
		case '+':
		case '-':
			if (d == c) {
				L.i += 2;
				push_tok(&L, T_INCDEC, KW_NONE);
				continue;
			}
			L.i++;
			push_tok(&L, T_PUNCT, KW_NONE);
			continue;
		case '*':
			L.i++;
			push_tok(&L, d == '*' || d == '=' ? T_PUNCT : T_STAR, KW_NONE);
			continue;
		default:
			L.i++;
			push_tok(&L, T_PUNCT, KW_NONE);
			continue;
		}
	}
	free(L.stack);
	if (rc) {
		jsscan_free(out);
		return rc;
	}
	out->ok = !L.bad && L.depth == 0;
	return 0;
}

void jsscan_free(struct jsscan *sc)
{
	free(sc->body);
	sc->body = NULL;
	sc->nbodies = 0;
	sc->skipped = 0;
}

uint16_t *jsscan_skeleton(const uint16_t *s, size_t n, const struct jsscan *sc)
{
	uint16_t *k = malloc((n ? n : 1) * sizeof *k);
	if (!k)
		return NULL;
	memcpy(k, s, n * sizeof *k);
	for (size_t b = 0; b < sc->nbodies; b++)
		for (size_t j = sc->body[2 * b]; j < sc->body[2 * b + 1] && j < n; j++)
			if (!is_line_term(k[j]))
				k[j] = ' ';
	return k;
}
