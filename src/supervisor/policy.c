/* policy — see policy.h; docs/internals/policy.md has the lexer's rules.
 *
 * policy_check runs three passes over the code, each linear: the size
 * check, the lexer (only when a string or nesting rule is set), then the
 * forbidden patterns. The lexer is a loop over bytes with a little state
 * about the previous significant token and an explicit stack of open
 * brackets, so nothing recurses on the input's depth; whatever it cannot
 * make sense of (an unterminated string, comment, template or regex) it
 * stops at, at the end of the line or of the input, and carries on or
 * ends. Violations carry byte offsets; the line and column of the one
 * reported are counted afterwards, in a separate pass up to its offset. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "supervisor/policy.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervisor/scan.h"

/* Per-position backtracking limits for the forbidden patterns; the budget
 * in POLICY_MATCH_BUDGET_MS bounds the whole. PCRE2's heap limit is in KiB. */
#define POLICY_MATCH_LIMIT 10000000u
#define POLICY_HEAP_LIMIT_KIB (64u * 1024)

#define POLICY_STR_(x) #x
#define POLICY_STR(x) POLICY_STR_(x)

struct policy_pattern {
	char name[POLICY_NAME_MAX + 1];
	char *source;   /* the pattern as given: len bytes (NUL allowed), then a NUL */
	size_t len;
	char *message;  /* NULL when the entry has none */
	pcre2_code *re; /* compiled with PCRE2_AUTO_CALLOUT, see match_budget() */
};

/* Invariants: a limit is meaningful only when its has_ flag is set;
 * patterns[0, npatterns) are compiled and their names are unique. Nothing
 * changes after policy_from_json returns. */
struct policy {
	bool has_code_bytes, has_string_bytes, has_depth;
	uint64_t max_code_bytes, max_string_bytes, max_depth;
	struct policy_pattern *patterns;
	size_t npatterns;
};

/* Cuts a trailing partial UTF-8 sequence off s, as snprintf may leave when
 * it truncates, so a message is always whole characters. */
static void trim_utf8(char *s)
{
	size_t m = strlen(s), k = m;
	while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
		k--;
	if (k == 0)
		return;
	unsigned char lead = (unsigned char)s[k - 1];
	size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (m - (k - 1) < want)
		s[k - 1] = '\0';
}

/* The length of the UTF-8 character at s (avail >= 1 bytes), or 1 for a
 * byte that does not start a valid one: each such byte is a character of
 * its own, as a decoder that substitutes U+FFFD per byte would count. */
static size_t utf8_char_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 1;
	if (len > avail)
		return 1;
	for (size_t k = 1; k < len; k++)
		if ((s[k] & 0xC0) != 0x80)
			return 1;
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) ||
	    (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
		return 1;
	return len;
}

/* Line and column of byte offset off. A line ends at LF, CRLF (the CR is
 * then the line's last column) or a lone CR; a byte order mark at the start
 * is no character. Saturates rather than wraps. */
static void locate(const unsigned char *s, size_t n, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	size_t i = 0;
	if (off > n)
		off = n;
	if (off >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3; /* a byte order mark takes no column */
	while (i < off) {
		unsigned char b = s[i];
		if (b == '\n' || (b == '\r' && !(i + 1 < n && s[i + 1] == '\n'))) {
			if (l < UINT_MAX)
				l++;
			c = 1;
			i++;
			continue;
		}
		i += utf8_char_len(s + i, n - i);
		if (c < UINT_MAX)
			c++;
	}
	*line = l;
	*col = c;
}

/* ---- The lexer ---------------------------------------------------------- */

/* What an open bracket is, two bits per level on the stack. A close of an
 * LV_STMT level (a block's '{', or the '(' after if/while/for/with) may be
 * followed by a regex literal; of an LV_EXPR one, by a division. LV_SUBST is
 * a template's "${", whose '}' resumes the template's text. */
enum { LV_EXPR = 0, LV_STMT = 1, LV_SUBST = 2 };

enum lex_found { FOUND_NONE, FOUND_STRING, FOUND_TEMPLATE, FOUND_DEPTH };

struct lexer {
	const unsigned char *s;
	size_t n;
	const struct policy *p;
	/* The bracket stack: depth levels, 4 to a byte, in stack (inline_stack
	 * until it outgrows it, then the heap). */
	size_t depth;
	uint8_t *stack;
	size_t cap; /* bytes */
	uint8_t inline_stack[256];
	/* What the previous significant token says about the next one. */
	bool regex_ok;  /* a '/' starts a regex literal, not a division */
	bool block;     /* a '{' opens a block, not an object literal */
	bool stmt_kw;   /* if/while/for/with: its '(' is LV_STMT */
	bool after_dot; /* '.' or '?.': an identifier is a property name */
	/* The violation found, if any. */
	enum lex_found found;
	size_t at;      /* byte offset of the literal's opening delimiter or the bracket */
	uint64_t value; /* bytes or depth */
};

static int level_top(const struct lexer *lx)
{
	size_t d = lx->depth - 1;
	return (lx->stack[d / 4] >> (d % 4 * 2)) & 3;
}

/* Returns 0, 1 when the new level is over max_nesting_depth (recorded in
 * lx), or -ENOMEM. */
static int level_push(struct lexer *lx, int kind, size_t at)
{
	if (lx->p->has_depth && lx->depth >= lx->p->max_depth) {
		lx->found = FOUND_DEPTH;
		lx->at = at;
		lx->value = (uint64_t)lx->depth + 1;
		return 1;
	}
	size_t d = lx->depth;
	if (d / 4 >= lx->cap) {
		size_t ncap = lx->cap * 2;
		uint8_t *ns = lx->stack == lx->inline_stack ? malloc(ncap) : realloc(lx->stack, ncap);
		if (!ns)
			return -ENOMEM;
		if (lx->stack == lx->inline_stack)
			memcpy(ns, lx->inline_stack, lx->cap);
		lx->stack = ns;
		lx->cap = ncap;
	}
	uint8_t *b = &lx->stack[d / 4];
	*b = (uint8_t)((*b & ~(3u << (d % 4 * 2))) | ((unsigned)kind << (d % 4 * 2)));
	lx->depth++;
	return 0;
}

static void token(struct lexer *lx, bool regex_ok, bool block)
{
	lx->regex_ok = regex_ok;
	lx->block = block;
	lx->stmt_kw = false;
	lx->after_dot = false;
}

static bool is_ident_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c == '\\' || c >= 0x80;
}

static bool is_line_end(unsigned char c)
{
	return c == '\n' || c == '\r';
}

static size_t skip_line(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && !is_line_end(s[i]))
		i++;
	return i;
}

/* From just after the opening slash-star to just after the closing one, or n. */
static size_t skip_block_comment(const unsigned char *s, size_t n, size_t i)
{
	while (i < n) {
		const unsigned char *star = memchr(s + i, '*', n - i);
		if (!star)
			return n;
		i = (size_t)(star - s) + 1;
		if (i < n && s[i] == '/')
			return i + 1;
	}
	return n;
}

/* From just after a regex literal's opening '/' to just after its flags. A
 * '/' inside a class [...] does not end it; a line end does (unterminated). */
static size_t skip_regex(const unsigned char *s, size_t n, size_t i)
{
	bool in_class = false;
	while (i < n) {
		unsigned char c = s[i];
		if (is_line_end(c))
			return i;
		if (c == '\\') {
			i++;
			if (i < n && !is_line_end(s[i]))
				i++;
			continue;
		}
		i++;
		if (in_class) {
			if (c == ']')
				in_class = false;
		} else if (c == '[') {
			in_class = true;
		} else if (c == '/') {
			while (i < n && is_ident_byte(s[i]) && s[i] != '\\')
				i++;
			return i;
		}
	}
	return n;
}

/* A '...' or "..." literal opening at i: returns the offset after it and
 * sets *len to the bytes between the quotes. An escape takes the next byte,
 * or a CRLF (a line continuation); an unescaped line end stops an
 * unterminated literal there, as it cannot go on past it. */
static size_t scan_string(const unsigned char *s, size_t n, size_t i, size_t *len)
{
	unsigned char q = s[i];
	size_t j = i + 1;
	while (j < n) {
		unsigned char c = s[j];
		if (c == q) {
			*len = j - i - 1;
			return j + 1;
		}
		if (is_line_end(c)) {
			*len = j - i - 1;
			return j;
		}
		j++;
		if (c == '\\' && j < n)
			j += s[j] == '\r' && j + 1 < n && s[j + 1] == '\n' ? 2 : 1;
	}
	*len = n - i - 1;
	return n;
}

static int check_literal(struct lexer *lx, enum lex_found kind, size_t at, size_t len)
{
	if (!lx->p->has_string_bytes || len <= lx->p->max_string_bytes)
		return 0;
	lx->found = kind;
	lx->at = at;
	lx->value = len;
	return 1;
}

/* Template text from the delimiter at i (the '`' that opens the template,
 * or the '}' that closes a "${") to the next '`' or "${", or the end. Sets
 * *next past what it read. Returns 0, 1 for a violation, or -ENOMEM. */
static int template_text(struct lexer *lx, size_t i, size_t *next)
{
	const unsigned char *s = lx->s;
	size_t n = lx->n, j = i + 1;
	while (j < n) {
		unsigned char c = s[j];
		if (c == '\\') {
			j += 2;
			continue;
		}
		if (c == '`') {
			*next = j + 1;
			token(lx, false, false);
			return check_literal(lx, FOUND_TEMPLATE, i, j - i - 1);
		}
		if (c == '$' && j + 1 < n && s[j + 1] == '{') {
			int rc = check_literal(lx, FOUND_TEMPLATE, i, j - i - 1);
			if (rc)
				return rc;
			*next = j + 2;
			token(lx, true, false);
			return level_push(lx, LV_SUBST, j);
		}
		j++;
	}
	*next = n;
	return check_literal(lx, FOUND_TEMPLATE, i, n - i - 1);
}

/* A number from i: digits, letters (0x, 1e5, 10n), '_' and '.' are all
 * taken, as what matters is only that an operand ends there. */
static size_t skip_number(const unsigned char *s, size_t n, size_t i)
{
	i++;
	while (i < n && (is_ident_byte(s[i]) || s[i] == '.') && s[i] != '\\')
		i++;
	return i;
}

static bool word_is(const unsigned char *w, size_t len, const char *kw)
{
	return strlen(kw) == len && memcmp(w, kw, len) == 0;
}

static bool word_in(const unsigned char *w, size_t len, const char *const *list)
{
	for (; *list; list++)
		if (word_is(w, len, *list))
			return true;
	return false;
}

/* Keywords after which an expression, so a regex literal, may start. */
static const char *const kw_before_expr[] = {
	"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void",
	"throw", "instanceof", "yield", "await", "try", "finally", NULL,
};
/* Of those, the ones that a '{' opening a block follows. */
static const char *const kw_before_block[] = { "do", "else", "try", "finally", NULL };
/* Keywords whose '(' closes into a place where a statement starts. */
static const char *const kw_stmt_paren[] = { "if", "while", "for", "with", NULL };
/* Keywords that are values: a '/' after them divides. */
static const char *const kw_value[] = { "this", "super", "null", "true", "false", NULL };

static void word(struct lexer *lx, const unsigned char *w, size_t len)
{
	if (lx->after_dot) {
		token(lx, false, false);
	} else if (word_in(w, len, kw_before_expr)) {
		token(lx, true, word_in(w, len, kw_before_block));
	} else if (word_in(w, len, kw_stmt_paren)) {
		token(lx, true, false);
		lx->stmt_kw = true;
	} else if (word_in(w, len, kw_value)) {
		token(lx, false, false);
	} else {
		/* An identifier: "class Name {" and "extends Base {" open blocks. */
		token(lx, false, true);
	}
}

static int close_bracket(struct lexer *lx, unsigned char c, size_t *i)
{
	int top = lx->depth ? level_top(lx) : -1;
	if (c == '}' && top == LV_SUBST) {
		lx->depth--;
		return template_text(lx, *i, i);
	}
	/* A ')' or ']' never closes a "${": that keeps the template intact
	 * in code that is wrong anyway. */
	if (top >= 0 && top != LV_SUBST)
		lx->depth--;
	(*i)++;
	bool stmt = top == LV_STMT || (top < 0 && c == '}');
	if (c == ')')
		token(lx, stmt, true);
	else if (c == ']')
		token(lx, false, false);
	else
		token(lx, stmt, stmt);
	return 0;
}

/* Runs the lexer over the whole input or to the first violation. Returns
 * 0, 1 (lx->found says what) or -ENOMEM. */
static int lex(struct lexer *lx)
{
	const unsigned char *s = lx->s;
	size_t n = lx->n, i = 0;
	int rc = 0;

	token(lx, true, true);
	if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3; /* a byte order mark */
	if (i + 1 < n && s[i] == '#' && s[i + 1] == '!')
		i = skip_line(s, n, i); /* a hashbang line */

	while (i < n && rc == 0) {
		unsigned char c = s[i];
		unsigned char d = i + 1 < n ? s[i + 1] : 0;
		switch (c) {
		case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
			i++;
			break;
		case '/':
			if (d == '/') {
				i = skip_line(s, n, i + 2);
			} else if (d == '*') {
				i = skip_block_comment(s, n, i + 2);
			} else if (lx->regex_ok) {
				i = skip_regex(s, n, i + 1);
				token(lx, false, false);
			} else {
				i++;
				token(lx, true, false);
			}
			break;
		case '\'': case '"': {
			size_t len, start = i;
			i = scan_string(s, n, i, &len);
			token(lx, false, false);
			rc = check_literal(lx, FOUND_STRING, start, len);
			break;
		}
		case '`':
			rc = template_text(lx, i, &i);
			break;
		case '(': case '[': case '{': {
			int kind = LV_EXPR;
			if ((c == '(' && lx->stmt_kw) || (c == '{' && lx->block))
				kind = LV_STMT;
			rc = level_push(lx, kind, i);
			i++;
			token(lx, true, c == '{');
			break;
		}
		case ')': case ']': case '}':
			rc = close_bracket(lx, c, &i);
			break;
		case '+': case '-':
			if (d == c) { /* ++ and -- end an operand more often than not */
				i += 2;
				token(lx, false, false);
			} else {
				i++;
				token(lx, true, false);
			}
			break;
		case '=':
			if (d == '>') { /* => */
				i += 2;
				token(lx, true, true);
			} else {
				i++;
				token(lx, true, false);
			}
			break;
		case ';':
			i++;
			token(lx, true, true);
			break;
		case '.':
			if (d >= '0' && d <= '9') {
				i = skip_number(s, n, i);
				token(lx, false, false);
				break;
			}
			i++;
			token(lx, true, false);
			lx->after_dot = true;
			break;
		case '?':
			if (d == '.' && !(i + 2 < n && s[i + 2] >= '0' && s[i + 2] <= '9')) {
				i += 2; /* ?. but not ?.5, a conditional */
				token(lx, true, false);
				lx->after_dot = true;
			} else {
				i++;
				token(lx, true, false);
			}
			break;
		default:
			if (c >= '0' && c <= '9') {
				i = skip_number(s, n, i);
				token(lx, false, false);
			} else if (is_ident_byte(c) || c == '#') {
				size_t start = i++;
				while (i < n && is_ident_byte(s[i]))
					i++;
				word(lx, s + start, i - start);
			} else {
				i++;
				token(lx, true, false);
			}
			break;
		}
	}
	return rc;
}

/* ---- Forbidden patterns ------------------------------------------------- */

struct match_budget {
	uint64_t deadline_ns;
	unsigned long calls;
	bool over;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The auto-callout at every pattern item: PCRE2's match limit is per start
 * position, and some patterns cost O(n) at each of n positions (\w+\( on a
 * long word, whatever the limit), so the clock is read at each new start
 * and every 256 items besides, and the match is abandoned past the
 * deadline. */
static int match_budget(pcre2_callout_block *cb, void *data)
{
	struct match_budget *b = data;
	if ((cb->callout_flags & PCRE2_CALLOUT_STARTMATCH) || (++b->calls & 255) == 0) {
		if (mono_ns() > b->deadline_ns) {
			b->over = true;
			return PCRE2_ERROR_CALLOUT;
		}
	}
	return 0;
}

static void violation(struct policy_violation *v, const char *rule, const char *name,
		      unsigned line, unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void violation(struct policy_violation *v, const char *rule, const char *name,
		      unsigned line, unsigned col, const char *fmt, ...)
{
	memset(v, 0, sizeof *v);
	snprintf(v->rule, sizeof v->rule, "%s", rule);
	snprintf(v->name, sizeof v->name, "%s", name);
	v->line = line;
	v->column = col;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(v->message, sizeof v->message, fmt, ap);
	va_end(ap);
	if (m >= (int)sizeof v->message)
		trim_utf8(v->message);
}

static int check_patterns(const struct policy *p, const char *code, size_t n,
			  struct policy_violation *v)
{
	struct match_budget budget = { .deadline_ns = mono_ns() + POLICY_MATCH_BUDGET_MS * 1000000ull };
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc = 0;
	if (!mc || !md) {
		rc = -ENOMEM;
		goto out;
	}
	pcre2_set_callout(mc, match_budget, &budget);
	pcre2_set_match_limit(mc, POLICY_MATCH_LIMIT);
	pcre2_set_depth_limit(mc, POLICY_MATCH_LIMIT);
	pcre2_set_heap_limit(mc, POLICY_HEAP_LIMIT_KIB);

	for (size_t k = 0; k < p->npatterns; k++) {
		const struct policy_pattern *pp = &p->patterns[k];
		int m = pcre2_match(pp->re, (PCRE2_SPTR)code, n, 0, 0, md, mc);
		if (m == PCRE2_ERROR_NOMATCH)
			continue;
		if (m >= 0) {
			size_t at = pcre2_get_ovector_pointer(md)[0];
			unsigned line, col;
			locate((const unsigned char *)code, n, at, &line, &col);
			violation(v, "forbidden_pattern", pp->name, line, col,
				  "forbidden pattern '%s' matched at line %u, column %u%s%s", pp->name,
				  line, col, pp->message ? ": " : "", pp->message ? pp->message : "");
			rc = 1;
			goto out;
		}
		if (m == PCRE2_ERROR_CALLOUT && budget.over) {
			violation(v, "forbidden_pattern", pp->name, 0, 0,
				  "forbidden pattern '%s' could not be checked within %d ms, "
				  "so the code is rejected",
				  pp->name, POLICY_MATCH_BUDGET_MS);
			rc = 1;
			goto out;
		}
		if (m == PCRE2_ERROR_MATCHLIMIT || m == PCRE2_ERROR_DEPTHLIMIT ||
		    m == PCRE2_ERROR_HEAPLIMIT) {
			violation(v, "forbidden_pattern", pp->name, 0, 0,
				  "forbidden pattern '%s' could not be checked within PCRE2's %s "
				  "limit, so the code is rejected", pp->name,
				  m == PCRE2_ERROR_MATCHLIMIT ? "match" :
				  m == PCRE2_ERROR_DEPTHLIMIT ? "depth" : "heap");
			rc = 1;
			goto out;
		}
		rc = m == PCRE2_ERROR_NOMEMORY ? -ENOMEM : -EIO;
		goto out;
	}
out:
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	return rc;
}

int policy_check(const struct policy *p, const char *code, size_t n, struct policy_violation *v)
{
	if (!p)
		return 0;
	if (!v || (!code && n))
		return -EINVAL;
	if (!code)
		code = "";
	const unsigned char *s = (const unsigned char *)code;

	if (p->has_code_bytes && n > p->max_code_bytes) {
		violation(v, "max_code_bytes", "", 0, 0,
			  "code of %zu bytes is over the policy's max_code_bytes (%" PRIu64 ")", n,
			  p->max_code_bytes);
		return 1;
	}

	if (p->has_string_bytes || p->has_depth) {
		struct lexer lx = { .s = s, .n = n, .p = p };
		lx.stack = lx.inline_stack;
		lx.cap = sizeof lx.inline_stack;
		int rc = lex(&lx);
		if (lx.stack != lx.inline_stack)
			free(lx.stack);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			unsigned line, col;
			locate(s, n, lx.at, &line, &col);
			if (lx.found == FOUND_DEPTH)
				violation(v, "max_nesting_depth", "", line, col,
					  "nesting depth of %" PRIu64 " at line %u, column %u is over "
					  "the policy's max_nesting_depth (%" PRIu64 ")",
					  lx.value, line, col, p->max_depth);
			else
				violation(v, "max_string_literal_bytes", "", line, col,
					  "%s of %" PRIu64 " bytes at line %u, column %u is over the "
					  "policy's max_string_literal_bytes (%" PRIu64 ")",
					  lx.found == FOUND_TEMPLATE ? "template literal text" :
								       "string literal",
					  lx.value, line, col, p->max_string_bytes);
			return 1;
		}
	}

	if (p->npatterns)
		return check_patterns(p, code, n, v);
	return 0;
}

/* ---- From and to JSON ---------------------------------------------------- */

/* Writes s (n bytes) into dst for a message: at most 40 bytes of it, with
 * control, quote, backslash and non-ASCII bytes as \xNN. */
static void quote(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 40) {
			o += (size_t)snprintf(dst + o, dstlen - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\')
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	dst[o < dstlen ? o : dstlen - 1] = '\0';
}

static int parse_limit(const json_t *j, const char *key, json_int_t min, bool *has,
		       uint64_t *out, char *err, size_t errlen)
{
	if (json_is_null(j))
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < min) {
		scan_errf(err, errlen, "validation.%s: must be an integer >= %" JSON_INTEGER_FORMAT,
			  key, min);
		return -EINVAL;
	}
	*has = true;
	*out = (uint64_t)json_integer_value(j);
	return 0;
}

static bool valid_name(const char *s, size_t n)
{
	if (n < 1 || n > POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static char *memdup0(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void pattern_release(struct policy_pattern *pp)
{
	free(pp->source);
	free(pp->message);
	pcre2_code_free(pp->re);
}

/* Fills pp from element i of forbidden_patterns. On failure pp holds
 * nothing that needs freeing. */
static int parse_pattern(const struct policy *p, size_t i, const json_t *o,
			 struct policy_pattern *pp, char *err, size_t errlen)
{
	const char *key;
	json_t *val;
	char q[200];
	int rc = -EINVAL;

	if (!json_is_object(o)) {
		scan_errf(err, errlen, "validation.forbidden_patterns[%zu]: must be an object", i);
		return -EINVAL;
	}
	json_object_foreach((json_t *)o, key, val) {
		if (strcmp(key, "name") && strcmp(key, "pattern") && strcmp(key, "message")) {
			quote(q, sizeof q, key, strlen(key));
			scan_errf(err, errlen, "validation.forbidden_patterns[%zu]: unknown key '%s'", i, q);
			return -EINVAL;
		}
	}

	const json_t *name = json_object_get(o, "name");
	if (!name || !json_is_string(name) ||
	    !valid_name(json_string_value(name), json_string_length(name))) {
		scan_errf(err, errlen, "validation.forbidden_patterns[%zu].name: %s", i,
			  !name ? "missing" : "must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' and '-'");
		return -EINVAL;
	}
	for (size_t k = 0; k < p->npatterns; k++) {
		if (strcmp(p->patterns[k].name, json_string_value(name)) == 0) {
			scan_errf(err, errlen,
				  "validation.forbidden_patterns[%zu].name: '%s' is already the name of "
				  "forbidden_patterns[%zu]", i, json_string_value(name), k);
			return -EINVAL;
		}
	}
	memcpy(pp->name, json_string_value(name), json_string_length(name) + 1);

	const json_t *pat = json_object_get(o, "pattern");
	if (!pat || !json_is_string(pat) || json_string_length(pat) == 0) {
		scan_errf(err, errlen, "validation.forbidden_patterns[%zu].pattern: %s", i,
			  !pat ? "missing" : "must be a non-empty string");
		return -EINVAL;
	}
	if (json_string_length(pat) > POLICY_MAX_PATTERN_BYTES) {
		scan_errf(err, errlen,
			  "validation.forbidden_patterns[%zu].pattern: %zu bytes, over the limit of %d",
			  i, json_string_length(pat), POLICY_MAX_PATTERN_BYTES);
		return -EINVAL;
	}

	const json_t *msg = json_object_get(o, "message");
	if (msg && !json_is_null(msg)) {
		if (!json_is_string(msg)) {
			scan_errf(err, errlen,
				  "validation.forbidden_patterns[%zu].message: must be a string", i);
			return -EINVAL;
		}
		size_t ml = json_string_length(msg);
		if (ml > POLICY_MAX_MESSAGE_BYTES || memchr(json_string_value(msg), '\0', ml)) {
			scan_errf(err, errlen,
				  "validation.forbidden_patterns[%zu].message: %s", i,
				  ml > POLICY_MAX_MESSAGE_BYTES ? "must be at most "
				  POLICY_STR(POLICY_MAX_MESSAGE_BYTES) " bytes" : "must not contain NUL");
			return -EINVAL;
		}
	}

	int ec;
	PCRE2_SIZE eoff;
	/* UTF: '.' and \x{...} mean characters; code that is not valid UTF-8
	 * still matches elsewhere (MATCH_INVALID_UTF), and \C, which could
	 * split a character, is refused. AUTO_CALLOUT: see match_budget(). */
	pp->re = pcre2_compile((PCRE2_SPTR)json_string_value(pat), json_string_length(pat),
			       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C |
				       PCRE2_AUTO_CALLOUT,
			       &ec, &eoff, NULL);
	if (!pp->re) {
		PCRE2_UCHAR text[120];
		if (pcre2_get_error_message(ec, text, sizeof text) < 0)
			snprintf((char *)text, sizeof text, "PCRE2 error %d", ec);
		if (ec == PCRE2_ERROR_NOMEMORY)
			return -ENOMEM;
		scan_errf(err, errlen, "validation.forbidden_patterns[%zu].pattern: %s at offset %zu",
			  i, (const char *)text, (size_t)eoff);
		return -EINVAL;
	}
	pp->len = json_string_length(pat);
	pp->source = memdup0(json_string_value(pat), pp->len);
	if (msg && json_is_string(msg))
		pp->message = memdup0(json_string_value(msg), json_string_length(msg));
	if (!pp->source || (msg && json_is_string(msg) && !pp->message)) {
		rc = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	pattern_release(pp);
	memset(pp, 0, sizeof *pp);
	return rc;
}

static int parse_patterns(struct policy *p, const json_t *a, char *err, size_t errlen)
{
	if (json_is_null(a))
		return 0;
	if (!json_is_array(a)) {
		scan_errf(err, errlen, "validation.forbidden_patterns: must be an array");
		return -EINVAL;
	}
	size_t n = json_array_size(a);
	if (n > POLICY_MAX_PATTERNS) {
		scan_errf(err, errlen, "validation.forbidden_patterns: %zu patterns, over the limit of %d",
			  n, POLICY_MAX_PATTERNS);
		return -EINVAL;
	}
	if (n == 0)
		return 0;
	p->patterns = calloc(n, sizeof *p->patterns);
	if (!p->patterns)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = parse_pattern(p, i, json_array_get(a, i), &p->patterns[i], err, errlen);
		if (rc < 0)
			return rc;
		p->npatterns++;
	}
	return 0;
}

int policy_from_json(const json_t *j, struct policy **out, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_object(j)) {
		scan_errf(err, errlen, "validation: must be an object or null");
		return -EINVAL;
	}
	struct policy *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;

	const char *key;
	json_t *val;
	int rc = 0;
	json_object_foreach((json_t *)j, key, val) {
		if (strcmp(key, "max_code_bytes") == 0) {
			rc = parse_limit(val, key, 1, &p->has_code_bytes, &p->max_code_bytes, err, errlen);
		} else if (strcmp(key, "max_string_literal_bytes") == 0) {
			rc = parse_limit(val, key, 0, &p->has_string_bytes, &p->max_string_bytes, err,
					 errlen);
		} else if (strcmp(key, "max_nesting_depth") == 0) {
			rc = parse_limit(val, key, 1, &p->has_depth, &p->max_depth, err, errlen);
		} else if (strcmp(key, "forbidden_patterns") == 0) {
			rc = parse_patterns(p, val, err, errlen);
		} else {
			char q[200];
			quote(q, sizeof q, key, strlen(key));
			scan_errf(err, errlen, "validation: unknown key '%s'", q);
			rc = -EINVAL;
		}
		if (rc < 0)
			goto fail;
	}
	*out = p;
	return 0;
fail:
	policy_free(p);
	return rc;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->npatterns; i++)
		pattern_release(&p->patterns[i]);
	free(p->patterns);
	free(p);
}

/* json_object_set_new that also frees v, and fails, when v is NULL. */
static int set_new(json_t *o, const char *key, json_t *v)
{
	return v ? json_object_set_new(o, key, v) : -1;
}

json_t *policy_to_json(const struct policy *p)
{
	if (!p)
		return json_null();
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (p->has_code_bytes &&
	    set_new(o, "max_code_bytes", json_integer((json_int_t)p->max_code_bytes)) < 0)
		goto fail;
	if (p->has_string_bytes &&
	    set_new(o, "max_string_literal_bytes", json_integer((json_int_t)p->max_string_bytes)) < 0)
		goto fail;
	if (p->has_depth &&
	    set_new(o, "max_nesting_depth", json_integer((json_int_t)p->max_depth)) < 0)
		goto fail;
	if (p->npatterns) {
		json_t *a = json_array();
		if (set_new(o, "forbidden_patterns", a) < 0)
			goto fail;
		for (size_t i = 0; i < p->npatterns; i++) {
			const struct policy_pattern *pp = &p->patterns[i];
			json_t *e = json_object();
			if (json_array_append_new(a, e) < 0 || !e ||
			    set_new(e, "name", json_string(pp->name)) < 0 ||
			    set_new(e, "pattern", json_stringn(pp->source, pp->len)) < 0 ||
			    (pp->message && set_new(e, "message", json_string(pp->message)) < 0))
				goto fail;
		}
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}
