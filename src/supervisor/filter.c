/* filter — see filter.h for what is filtered and the rules.
 *
 * Theory of operation. A text goes through three stages; each reads the
 * previous stage's output and copies only when it replaces something, so a
 * text with nothing to hide costs three scans and no copy.
 *
 * The env stage keeps every encoding of every secret as a "needle", sorted
 * by its first two bytes and then longest first, with a 65536-bit bitmap of
 * those first two bytes. The scan tests the bitmap at each position (one
 * load and a bit test, in L1) and compares only on a hit. Matching is
 * leftmost, then longest at a position, so a secret that contains another
 * is replaced whole. For streams it also reports where it had to stop: at
 * the first position whose remaining bytes are a proper prefix of a needle,
 * since more input could still complete it.
 *
 * The pattern stage runs each compiled expression from the current
 * position, keeps each one's next match, and always takes the leftmost.
 * Each expression therefore scans the text about once, and nothing it
 * replaced is seen again by another. The built-ins are kept apart rather
 * than joined into one alternation: each starts with a literal, which the
 * JIT finds with a vectorized search (about 0.05 ms per MiB each), while an
 * alternation is tried at every position (about 5 ms per MiB).
 *
 * The PII stage is in filter_pii.c. */
#include "supervisor/filter_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/json.h"
#include "supervisor/scan.h"

/* Per match call of a configured pattern; JIT counts backtracking points.
 * A tenant's pattern is a CPU cost the supervisor pays, so it is bounded. */
#define FILTER_MATCH_LIMIT 200000
#define FILTER_JIT_STACK_MAX (512 * 1024)

/* ---- the structures ----------------------------------------------------- */

struct needle {
	char *s;
	size_t len;
	uint32_t tok;   /* index into filter.tok */
	uint32_t order; /* insertion order, for a stable sort */
	uint16_t pre;   /* s[0] | s[1] << 8 */
};

struct pat {
	char name[FILTER_NAME_MAX + 1];
	pcre2_code *re;
};

/* p[0..nbuiltin) are the built-ins (when asked for), the configured
 * patterns follow. */
struct filter_rules {
	struct pat *p;
	size_t n, nbuiltin;
};

/* One expression being searched, with its next match. */
struct matcher {
	const pcre2_code *re;
	const char *name;
	bool user; /* a configured pattern: limited */
	bool has;
	size_t s, e;
};

/* Invariants: nd is sorted by (pre, len descending, bytes) and holds no two
 * equal needles; bitmap has the bit of every needle's pre set and first
 * every needle's first byte; every needle is at least 2 bytes long. */
struct filter {
	struct needle *nd;
	size_t nnd, ndalloc, maxlen;
	char **tok; /* "[REDACTED:NAME]" per env name */
	size_t *toklen;
	size_t ntok;
	uint64_t bitmap[65536 / 64];
	bool first[256];

	struct matcher *m;
	size_t nm;
	bool has_builtin;
	pcre2_match_data *md;
	pcre2_match_context *mctx_user;
	pcre2_jit_stack *jit;

	bool pii;
	filter_token_fn token;
	void *token_ud;
	struct filter__tokmap map;
	int tokerr; /* the first token callback error of the current call */

	struct buf tmp[3]; /* scratch, one per stage, reused between calls */
};

/* ---- env secrets --------------------------------------------------------- */

static int add_needle(struct filter *f, const char *s, size_t len, uint32_t tok)
{
	if (len < 2)
		return 0;
	if (f->nnd == f->ndalloc) {
		size_t na = f->ndalloc ? f->ndalloc * 2 : 16;
		struct needle *nn = realloc(f->nd, na * sizeof *nn);
		if (!nn)
			return -ENOMEM;
		f->nd = nn;
		f->ndalloc = na;
	}
	char *copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, len);
	struct needle *d = &f->nd[f->nnd];
	d->s = copy;
	d->len = len;
	d->tok = tok;
	d->order = (uint32_t)f->nnd;
	d->pre = (uint16_t)((unsigned char)s[0] | (unsigned char)s[1] << 8);
	f->nnd++;
	if (len > f->maxlen)
		f->maxlen = len;
	return 0;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Unpadded base64 of n bytes into out (room for 4 * (n + 2) / 3); returns its length. */
static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
	}
	return o;
}

/* A base64 needle, and its base64url twin when that differs. */
static int add_b64(struct filter *f, char *s, size_t len, uint32_t tok)
{
	int rc = add_needle(f, s, len, tok);
	if (rc || (!memchr(s, '+', len) && !memchr(s, '/', len)))
		return rc;
	for (size_t i = 0; i < len; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	return add_needle(f, s, len, tok);
}

/* Every encoding of the value v (n bytes) listed in filter.h. */
static int add_encodings(struct filter *f, const char *v, size_t n, uint32_t tok)
{
	const unsigned char *u = (const unsigned char *)v;
	int rc = add_needle(f, v, n, tok);
	if (rc)
		return rc;

	/* The JSON-escaped form, as it would appear inside a result. */
	struct buf j = BUF_INIT(SIZE_MAX / 2);
	rc = json_put_str(&j, v, n);
	if (!rc && j.len > 2 && (j.len - 2 != n || memcmp(j.data + 1, v, n)))
		rc = add_needle(f, j.data + 1, j.len - 2, tok);
	buf_release(&j);
	if (rc)
		return rc;

	/* As util.inspect (console.log of an object, a $inspect result) quotes
	 * it: control bytes as \xNN (upper case) or \b \t \n \f \r, a
	 * backslash doubled, and the quote escaped when inspect keeps single
	 * quotes (the text has ', " and ` or ${) or not escaped otherwise. */
	for (int q = 0; q < 2 && !rc; q++) {
		struct buf e = BUF_INIT(SIZE_MAX / 2);
		for (size_t i = 0; i < n && !rc; i++) {
			unsigned char ch = u[i];
			static const char *const named[] = { ['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
							     ['\f'] = "\\f", ['\r'] = "\\r" };
			if (ch < 0x20 && ch < sizeof named / sizeof named[0] && named[ch])
				rc = buf_puts(&e, named[ch]);
			else if (ch < 0x20 || ch == 0x7f)
				rc = buf_printf(&e, "\\x%02X", ch);
			else if (ch == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
				rc = buf_printf(&e, "\\x%02X", u[++i]);
			else if (ch == '\\' || (q == 0 && ch == '\''))
				rc = buf_printf(&e, "\\%c", ch);
			else
				rc = buf_putc(&e, (char)ch);
		}
		if (!rc && (e.len != n || memcmp(e.data, v, n)))
			rc = add_needle(f, e.data, e.len, tok);
		buf_release(&e);
	}
	if (rc)
		return rc;

	/* Base64: whole (padded and not), then the cores. With o bytes before
	 * the value in a 3-byte group, the characters that depend on the value
	 * alone start at 0, 2 or 3 and stop before the first one that would
	 * need bits after it: floor(4 * (o + n) / 3). */
	size_t cap = 4 * (n + 2) / 3 + 8;
	char *enc = malloc(cap);
	unsigned char *in = malloc(n + 2);
	if (!enc || !in) {
		free(enc);
		free(in);
		return -ENOMEM;
	}
	size_t el = b64_encode(u, n, enc);
	size_t pl = el;
	while (pl % 4)
		enc[pl++] = '=';
	rc = add_b64(f, enc, pl, tok);
	if (!rc && pl != el) {
		el = b64_encode(u, n, enc);
		rc = add_b64(f, enc, el, tok);
	}
	static const size_t skip[3] = { 0, 2, 3 };
	for (size_t o = 0; o < 3 && !rc; o++) {
		memset(in, 0, o);
		memcpy(in + o, u, n);
		b64_encode(in, o + n, enc);
		size_t full = 4 * (o + n) / 3;
		if (full > skip[o] && full - skip[o] >= 8)
			rc = add_b64(f, enc + skip[o], full - skip[o], tok);
	}
	free(in);
	free(enc);
	if (rc)
		return rc;

	/* Hex, both cases. */
	char *hex = malloc(2 * n > 3 * n ? 2 * n : 3 * n);
	if (!hex)
		return -ENOMEM;
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = lo[u[i] >> 4];
		hex[2 * i + 1] = lo[u[i] & 15];
	}
	rc = add_needle(f, hex, 2 * n, tok);
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = up[u[i] >> 4];
		hex[2 * i + 1] = up[u[i] & 15];
	}
	if (!rc)
		rc = add_needle(f, hex, 2 * n, tok);

	/* encodeURIComponent: A-Z a-z 0-9 - _ . ! ~ * ' ( ) stay. */
	size_t pn = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = u[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c && strchr("-_.!~*'()", c))) {
			hex[pn++] = (char)c;
		} else {
			hex[pn++] = '%';
			hex[pn++] = up[c >> 4];
			hex[pn++] = up[c & 15];
		}
	}
	if (!rc && pn != n)
		rc = add_needle(f, hex, pn, tok);
	free(hex);
	return rc;
}

static int needle_cmp(const void *a, const void *b)
{
	const struct needle *x = a, *y = b;
	if (x->pre != y->pre)
		return x->pre < y->pre ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	int c = memcmp(x->s, y->s, x->len);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int env_setup(struct filter *f, const char *const *env, size_t nenv)
{
	for (size_t i = 0; i < nenv; i++) {
		if (!env[i])
			continue;
		const char *eq = strchr(env[i], '=');
		if (!eq)
			continue;
		const char *val = eq + 1;
		size_t vl = strlen(val);
		if (vl < FILTER_MIN_SECRET_LEN)
			continue;
		size_t nl = (size_t)(eq - env[i]);
		if (nl > 256)
			nl = 256;
		char **nt = realloc(f->tok, (f->ntok + 1) * sizeof *nt);
		if (!nt)
			return -ENOMEM;
		f->tok = nt;
		size_t *ntl = realloc(f->toklen, (f->ntok + 1) * sizeof *ntl);
		if (!ntl)
			return -ENOMEM;
		f->toklen = ntl;
		struct buf t = BUF_INIT(SIZE_MAX / 2);
		int rc = buf_printf(&t, "[REDACTED:%.*s]", (int)nl, env[i]);
		if (rc) {
			buf_release(&t);
			return rc;
		}
		f->toklen[f->ntok] = t.len;
		f->tok[f->ntok] = buf_steal(&t);
		f->ntok++;
		rc = add_encodings(f, val, vl, (uint32_t)(f->ntok - 1));
		if (rc)
			return rc;
	}
	if (f->nnd)
		qsort(f->nd, f->nnd, sizeof *f->nd, needle_cmp);
	/* Equal needles are now adjacent, the first added first: it wins. */
	size_t kept = 0;
	for (size_t i = 0; i < f->nnd; i++) {
		if (kept && f->nd[kept - 1].len == f->nd[i].len &&
		    memcmp(f->nd[kept - 1].s, f->nd[i].s, f->nd[i].len) == 0) {
			free(f->nd[i].s);
			continue;
		}
		f->nd[kept++] = f->nd[i];
	}
	f->nnd = kept;
	for (size_t i = 0; i < f->nnd; i++) {
		f->bitmap[f->nd[i].pre >> 6] |= (uint64_t)1 << (f->nd[i].pre & 63);
		f->first[(unsigned char)f->nd[i].s[0]] = true;
	}
	return 0;
}

/* The first needle with this two-byte prefix (one exists: its bit is set). */
static size_t needle_find(const struct filter *f, uint16_t pre)
{
	size_t lo = 0, hi = f->nnd;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->nd[mid].pre < pre)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The env stage over t[0..n). Appends to out the processed text, replaced,
 * when always is set or something was replaced. Unless final, stops at the
 * first position from which the rest could still become a needle; *consumed
 * (when not NULL) says how far it got. Returns replacements or -errno. */
static int env_scan(const struct filter *f, const char *t, size_t n, bool final, bool always,
		    struct buf *out, size_t *consumed)
{
	const unsigned char *u = (const unsigned char *)t;
	size_t p = 0, done = 0, end = n;
	int count = 0, rc = 0;
	if (f->nnd) {
		bool stopped = false;
		while (p + 1 < n) {
			uint16_t pre = (uint16_t)(u[p] | u[p + 1] << 8);
			if (!(f->bitmap[pre >> 6] >> (pre & 63) & 1)) {
				p++;
				continue;
			}
			const struct needle *hit = NULL;
			bool partial = false;
			size_t rest = n - p;
			for (size_t i = needle_find(f, pre); i < f->nnd && f->nd[i].pre == pre; i++) {
				const struct needle *d = &f->nd[i];
				if (d->len > rest) {
					if (!final && memcmp(t + p, d->s, rest) == 0) {
						partial = true;
						break;
					}
				} else if (memcmp(t + p, d->s, d->len) == 0) {
					hit = d; /* the longest that fits: shorter ones follow */
					break;
				}
			}
			if (partial) {
				end = p;
				stopped = true;
				break;
			}
			if (!hit) {
				p++;
				continue;
			}
			rc = buf_append(out, t + done, p - done);
			if (!rc)
				rc = buf_append(out, f->tok[hit->tok], f->toklen[hit->tok]);
			if (rc)
				return rc;
			count++;
			p += hit->len;
			done = p;
		}
		if (!stopped && !final && n && p == n - 1 && f->first[u[p]])
			end = p;
	}
	if (count || always) {
		rc = buf_append(out, t + done, end - done);
		if (rc)
			return rc;
	}
	if (consumed)
		*consumed = end;
	return count;
}

/* ---- patterns -------------------------------------------------------------- */

/* Possessive quantifiers and the left-boundary lookbehinds keep every one
 * linear: a long run of key characters is scanned once, not once per start. */
static const struct {
	const char *name;
	const char *re;
} builtins[] = {
	{ "AWS_ACCESS_KEY", "(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])" },
	{ "GITHUB_TOKEN",
	  "(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}+|github_pat_[A-Za-z0-9_]{22,}+)" },
	{ "SLACK_TOKEN", "(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}+" },
	{ "STRIPE_KEY", "(?<![A-Za-z0-9])[sr]k_(?:live|test)_[0-9A-Za-z]{16,}+" },
	{ "OPENAI_KEY", "(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}+" },
	{ "GOOGLE_API_KEY", "(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])" },
	{ "JWT", "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]++\\.eyJ[A-Za-z0-9_-]++\\.[A-Za-z0-9_-]*+" },
	/* The body is what a PEM body holds (base64, whitespace, the
	 * Proc-Type/DEK-Info headers, and "\n" escapes when inside JSON text),
	 * up to the END line; without one it stops at the first character a
	 * body cannot hold, so a truncated key is still covered. */
	{ "PRIVATE_KEY",
	  "-----BEGIN (?:[A-Z0-9]++ ){0,4}PRIVATE KEY(?: BLOCK)?-----"
	  "(?:[A-Za-z0-9+/=\\s\\\\:,]++|-(?!----END ))*+"
	  "(?:-----END (?:[A-Z0-9]++ ){0,4}PRIVATE KEY(?: BLOCK)?-----)?" },
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

/* CORRAL_REGEX_JIT=false turns PCRE2's JIT off: its machine code reads
 * whole vectors past a subject's end (inside the page, harmless), which
 * valgrind reports as invalid reads (tests/e2e/20-valgrind-serve.sh). */
static bool jit_wanted(void)
{
	const char *v = getenv("CORRAL_REGEX_JIT");
	return !v || (strcmp(v, "false") && strcmp(v, "0"));
}

static pcre2_code *compile(const char *re, uint32_t opts, int *ecode, PCRE2_SIZE *eoff)
{
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, ecode, eoff, NULL);
	if (c && jit_wanted())
		pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* without JIT it still works, slower */
	return c;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > FILTER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

int filter_rules_new(struct filter_rules **out, const json_t *patterns, bool builtins_on, char *err,
		     size_t errlen)
{
	*out = NULL;
	if (patterns && !json_is_array(patterns)) {
		scan_errf(err, errlen, "patterns: not an array");
		return -EINVAL;
	}
	struct filter_rules *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	int ecode, rc;
	PCRE2_SIZE eoff;
	char msg[160];
	size_t n = patterns ? json_array_size(patterns) : 0;
	size_t nb = builtins_on ? NBUILTIN : 0;
	if (n + nb) {
		r->p = calloc(n + nb, sizeof *r->p);
		if (!r->p) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < nb; i++) {
		struct pat *pt = &r->p[i];
		snprintf(pt->name, sizeof pt->name, "%s", builtins[i].name);
		pt->re = compile(builtins[i].re, 0, &ecode, &eoff);
		r->n = r->nbuiltin = i + 1;
		if (!pt->re) {
			/* The built-ins are fixed: this is a PCRE2 too old for them. */
			pcre2_get_error_message(ecode, (PCRE2_UCHAR *)msg, sizeof msg);
			scan_errf(err, errlen, "built-in pattern '%s': %s at offset %zu", builtins[i].name,
				  msg, (size_t)eoff);
			rc = -EINVAL;
			goto fail;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(patterns, i);
		const char *key;
		const json_t *v;
		if (!json_is_object(e)) {
			scan_errf(err, errlen, "pattern %zu: not an object", i);
			rc = -EINVAL;
			goto fail;
		}
		json_object_foreach((json_t *)e, key, v) {
			if (strcmp(key, "name") && strcmp(key, "pattern")) {
				scan_errf(err, errlen, "pattern %zu: unknown key '%s'", i, key);
				rc = -EINVAL;
				goto fail;
			}
		}
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *re = json_string_value(json_object_get(e, "pattern"));
		if (!name || !valid_name(name)) {
			scan_errf(err, errlen, "pattern %zu: 'name' must be 1-%d characters of [A-Z0-9_]", i,
				  FILTER_NAME_MAX);
			rc = -EINVAL;
			goto fail;
		}
		if (!re || !*re || strlen(re) != json_string_length(json_object_get(e, "pattern"))) {
			scan_errf(err, errlen, "pattern %zu '%s': 'pattern' must be a non-empty string", i,
				  name);
			rc = -EINVAL;
			goto fail;
		}
		struct pat *pt = &r->p[nb + i];
		snprintf(pt->name, sizeof pt->name, "%s", name);
		pt->re = compile(re, PCRE2_MULTILINE, &ecode, &eoff);
		r->n = nb + i + 1;
		if (!pt->re) {
			pcre2_get_error_message(ecode, (PCRE2_UCHAR *)msg, sizeof msg);
			scan_errf(err, errlen, "pattern %zu '%s': %s at offset %zu", i, name, msg,
				  (size_t)eoff);
			rc = -EINVAL;
			goto fail;
		}
		uint32_t minlen = 0;
		pcre2_pattern_info(pt->re, PCRE2_INFO_MINLENGTH, &minlen);
		if (!minlen) {
			scan_errf(err, errlen, "pattern %zu '%s': can match the empty string", i, name);
			rc = -EINVAL;
			goto fail;
		}
	}
	*out = r;
	return 0;
fail:
	filter_rules_free(r);
	return rc;
}

void filter_rules_free(struct filter_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		pcre2_code_free(r->p[i].re);
	free(r->p);
	free(r);
}

size_t filter_rules_count(const struct filter_rules *r)
{
	return r ? r->n : 0;
}

/* Finds m's next match at or after from in t[0..n). A matching error (a
 * configured pattern over its limit) ends that pattern for this text. */
static void matcher_next(struct filter *f, struct matcher *m, const char *t, size_t n, size_t from)
{
	m->has = false;
	if (from >= n)
		return;
	int rc = pcre2_match(m->re, (PCRE2_SPTR)t, n, from, PCRE2_NOTEMPTY, f->md,
			     m->user ? f->mctx_user : NULL);
	if (rc < 0)
		return;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(f->md);
	m->s = ov[0] < from ? from : ov[0];
	m->e = ov[1] < m->s ? m->s : ov[1];
	if (m->e == m->s)
		return;
	m->has = true;
}

/* The pattern stage; out as for env_scan. */
static int pat_scan(struct filter *f, const char *t, size_t n, bool always, struct buf *out)
{
	size_t done = 0;
	int count = 0, rc = 0;
	for (size_t i = 0; i < f->nm; i++)
		matcher_next(f, &f->m[i], t, n, 0);
	for (;;) {
		struct matcher *best = NULL;
		for (size_t i = 0; i < f->nm; i++) {
			struct matcher *m = &f->m[i];
			if (m->has && (!best || m->s < best->s || (m->s == best->s && m->e > best->e)))
				best = m;
		}
		if (!best)
			break;
		rc = buf_append(out, t + done, best->s - done);
		if (!rc)
			rc = buf_printf(out, "[REDACTED:%s]", best->name);
		if (rc)
			return rc;
		count++;
		done = best->e;
		for (size_t i = 0; i < f->nm; i++)
			if (f->m[i].has && f->m[i].s < done)
				matcher_next(f, &f->m[i], t, n, done);
	}
	if (count || always) {
		rc = buf_append(out, t + done, n - done);
		if (rc)
			return rc;
	}
	return count;
}

/* ---- the filter ------------------------------------------------------------ */

int filter_new(struct filter **out, const struct filter_opts *o)
{
	*out = NULL;
	struct filter *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	for (int i = 0; i < 3; i++)
		buf_init(&f->tmp[i], SIZE_MAX / 2);
	int rc = env_setup(f, o->env, o->env ? o->nenv : 0);
	if (rc)
		goto fail;

	size_t nm = 0;
	bool user = false;
	for (size_t i = 0; i < o->nrules && i < 4; i++)
		nm += filter_rules_count(o->rules[i]);
	if (nm) {
		f->m = calloc(nm, sizeof *f->m);
		if (!f->m) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < o->nrules && i < 4; i++) {
		const struct filter_rules *r = o->rules[i];
		if (!r)
			continue;
		for (size_t k = 0; k < r->n; k++) {
			bool builtin = k < r->nbuiltin;
			if (builtin && f->has_builtin)
				continue;
			f->m[f->nm++] = (struct matcher){ .re = r->p[k].re, .name = r->p[k].name, .user = !builtin };
			user |= !builtin;
		}
		f->has_builtin |= r->nbuiltin > 0;
	}
	if (f->nm) {
		f->md = pcre2_match_data_create(1, NULL);
		if (!f->md) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	if (user) {
		f->mctx_user = pcre2_match_context_create(NULL);
		if (!f->mctx_user) {
			rc = -ENOMEM;
			goto fail;
		}
		pcre2_set_match_limit(f->mctx_user, FILTER_MATCH_LIMIT);
		pcre2_set_depth_limit(f->mctx_user, FILTER_MATCH_LIMIT);
		f->jit = pcre2_jit_stack_create(32 * 1024, FILTER_JIT_STACK_MAX, NULL);
		if (f->jit)
			pcre2_jit_stack_assign(f->mctx_user, NULL, f->jit);
	}
	f->pii = o->pii;
	f->token = o->token ? o->token : filter__tokmap_token;
	f->token_ud = o->token ? o->token_ud : &f->map;
	*out = f;
	return 0;
fail:
	filter_free(f);
	return rc;
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nnd; i++)
		free(f->nd[i].s);
	free(f->nd);
	for (size_t i = 0; i < f->ntok; i++)
		free(f->tok[i]);
	free(f->tok);
	free(f->toklen);
	free(f->m);
	pcre2_match_data_free(f->md);
	pcre2_match_context_free(f->mctx_user);
	pcre2_jit_stack_free(f->jit);
	filter__tokmap_release(&f->map);
	for (int i = 0; i < 3; i++)
		buf_release(&f->tmp[i]);
	free(f);
}

bool filter_active(const struct filter *f)
{
	return f && (f->nnd || f->nm || f->pii);
}

/* Runs the stages (env only when env is set) over t[0..n). *res is t itself
 * when nothing changed, else one of f->tmp. Returns replacements or -errno. */
static int run_stages(struct filter *f, const char *t, size_t n, bool env, const char **res,
		      size_t *rn)
{
	const char *cur = t;
	size_t curn = n;
	int total = 0, c;
	if (env && f->nnd) {
		buf_reset(&f->tmp[0]);
		c = env_scan(f, cur, curn, true, false, &f->tmp[0], NULL);
		if (c < 0)
			return c;
		if (c) {
			cur = f->tmp[0].data;
			curn = f->tmp[0].len;
			total += c;
		}
	}
	if (f->nm) {
		buf_reset(&f->tmp[1]);
		c = pat_scan(f, cur, curn, false, &f->tmp[1]);
		if (c < 0)
			return c;
		if (c) {
			cur = f->tmp[1].data;
			curn = f->tmp[1].len;
			total += c;
		}
	}
	if (f->pii) {
		buf_reset(&f->tmp[2]);
		c = filter__pii_scan(f->token, f->token_ud, &f->tokerr, cur, curn, false, &f->tmp[2]);
		if (c < 0)
			return c;
		if (c) {
			cur = f->tmp[2].data;
			curn = f->tmp[2].len;
			total += c;
		}
	}
	*res = cur;
	*rn = curn;
	return total;
}

/* The scratch buffers should not keep a large text's memory for the life of
 * the filter. */
static void trim_tmp(struct filter *f)
{
	for (int i = 0; i < 3; i++)
		if (f->tmp[i].alloc > 256 * 1024)
			buf_release(&f->tmp[i]);
}

static int finish(struct filter *f, int count)
{
	int terr = f->tokerr;
	f->tokerr = 0;
	return count < 0 ? count : terr ? terr : count;
}

int filter_buf(struct filter *f, struct buf *b)
{
	if (!filter_active(f) || !b->len)
		return 0;
	f->tokerr = 0;
	const char *res;
	size_t rn;
	int count = run_stages(f, b->data, b->len, true, &res, &rn);
	if (count < 0) {
		buf_reset(b);
		trim_tmp(f);
		return finish(f, count);
	}
	if (count > 0) {
		size_t limit = b->cap > (SIZE_MAX / 2 - 4096) / 2 ? SIZE_MAX / 2 : 2 * b->cap + 4096;
		if (rn > limit)
			rn = limit;
		/* Take over the scratch buffer holding the result. */
		struct buf *src = NULL;
		for (int i = 0; i < 3; i++)
			if (f->tmp[i].data == res)
				src = &f->tmp[i];
		if (!src) { /* cannot happen: a replacement was written to a scratch buffer */
			trim_tmp(f);
			return finish(f, -EFAULT);
		}
		free(b->data);
		b->data = src->data;
		b->alloc = src->alloc;
		b->len = rn;
		b->data[rn] = '\0';
		if (rn > b->cap)
			b->cap = rn;
		buf_init(src, SIZE_MAX / 2);
	}
	trim_tmp(f);
	return finish(f, count);
}

int filter_str(struct filter *f, char **s)
{
	if (!filter_active(f) || !*s)
		return 0;
	size_t n = strlen(*s);
	struct buf b = { *s, n, n + 1, SIZE_MAX / 2 };
	int rc = filter_buf(f, &b);
	*s = b.data;
	return rc;
}

/* Filters n bytes into a JSON string, or the number text as is. */
static int put_filtered(struct filter *f, struct buf *o, const char *p, size_t n, bool number,
			int *count)
{
	const char *res;
	size_t rn;
	int c = run_stages(f, p, n, true, &res, &rn);
	if (c < 0)
		return c;
	*count += c;
	if (number && !c)
		return buf_append(o, p, n);
	return json_put_str(o, res, rn);
}

static int put_value(struct filter *f, json_t *v, struct buf *o, int *count)
{
	int rc = 0;
	char num[64];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		size_t klen;
		json_t *val;
		bool first = true;
		rc = buf_putc(o, '{');
		json_object_keylen_foreach(v, key, klen, val) {
			if (!rc && !first)
				rc = buf_putc(o, ',');
			first = false;
			if (!rc)
				rc = put_filtered(f, o, key, klen, false, count);
			if (!rc)
				rc = buf_putc(o, ':');
			if (!rc)
				rc = put_value(f, val, o, count);
			if (rc)
				return rc;
		}
		return rc ? rc : buf_putc(o, '}');
	}
	case JSON_ARRAY:
		rc = buf_putc(o, '[');
		for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
			if (i)
				rc = buf_putc(o, ',');
			if (!rc)
				rc = put_value(f, json_array_get(v, i), o, count);
		}
		return rc ? rc : buf_putc(o, ']');
	case JSON_STRING:
		return put_filtered(f, o, json_string_value(v), json_string_length(v), false, count);
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return put_filtered(f, o, num, strlen(num), true, count);
	case JSON_REAL: {
		struct buf d = BUF_INIT(sizeof num);
		rc = json_put_double(&d, json_real_value(v));
		if (!rc)
			rc = put_filtered(f, o, d.data, d.len, true, count);
		buf_release(&d);
		return rc;
	}
	case JSON_TRUE:
		return buf_puts(o, "true");
	case JSON_FALSE:
		return buf_puts(o, "false");
	default:
		return buf_puts(o, "null");
	}
}

int filter_json(struct filter *f, char **json)
{
	if (!filter_active(f) || !*json)
		return 0;
	json_error_t je;
	json_t *root = json_loads(*json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!root) /* integers past 64 bits */
		root = json_loads(*json, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &je);
	if (!root)
		return filter_str(f, json);
	f->tokerr = 0;
	struct buf o = BUF_INIT(SIZE_MAX / 2);
	int count = 0;
	int rc = put_value(f, root, &o, &count);
	json_decref(root);
	trim_tmp(f);
	if (rc < 0) {
		buf_release(&o);
		strcpy(*json, strlen(*json) >= 4 ? "null" : "0");
		return finish(f, rc);
	}
	if (count > 0) {
		free(*json);
		*json = buf_steal(&o);
	}
	buf_release(&o);
	return finish(f, count);
}

/* ---- streams --------------------------------------------------------------- */

void filter_stream_init(struct filter_stream *st)
{
	buf_init(&st->raw, SIZE_MAX / 2);
	buf_init(&st->pending, SIZE_MAX / 2);
	st->failed = false;
}

void filter_stream_release(struct filter_stream *st)
{
	buf_release(&st->raw);
	buf_release(&st->pending);
}

/* How much of pending the pattern and PII stages may take now. */
static size_t stream_cut(const struct filter *f, const struct buf *pb)
{
	size_t len = pb->len, cut = len;
	if (!f->nm && !f->pii)
		return len;
	while (cut && pb->data[cut - 1] != '\n' && pb->data[cut - 1] != '\r')
		cut--;
	if (len - cut > FILTER_STREAM_HOLD)
		cut = len - FILTER_STREAM_HOLD;
	if (!f->has_builtin || !cut)
		return cut;
	/* An open private key block (the first BEGIN after the last END) is
	 * held back from its line, so that the pattern sees it whole when its
	 * END line arrives; moving the cut back can open an earlier block, so
	 * repeat. A block longer than the hold is let through in pieces. */
	size_t want = cut;
	for (;;) {
		const char *p = pb->data, *h;
		while ((h = memmem(p, want - (size_t)(p - pb->data), "-----END ", 9)))
			p = h + 9;
		const char *begin = memmem(p, want - (size_t)(p - pb->data), "-----BEGIN ", 11);
		if (!begin)
			return want;
		size_t ls = (size_t)(begin - pb->data);
		while (ls && pb->data[ls - 1] != '\n' && pb->data[ls - 1] != '\r')
			ls--;
		if (len - ls > FILTER_STREAM_HOLD)
			return cut;
		want = ls;
	}
}

/* Sends pending[0..cut) through the pattern and PII stages to out. */
static int stream_emit(struct filter *f, struct filter_stream *st, size_t cut, struct buf *out)
{
	if (!cut)
		return 0;
	const char *res;
	size_t rn;
	int c = run_stages(f, st->pending.data, cut, false, &res, &rn);
	if (c < 0)
		return c;
	int rc = buf_append(out, res, rn);
	buf_consume(&st->pending, cut);
	return rc ? rc : c;
}

static int stream_fail(struct filter *f, struct filter_stream *st, int rc)
{
	if (rc == -ENOMEM) {
		st->failed = true;
		buf_release(&st->raw);
		buf_release(&st->pending);
	}
	trim_tmp(f);
	return finish(f, rc);
}

int filter_stream_feed(struct filter *f, struct filter_stream *st, const char *p, size_t n,
		       struct buf *out)
{
	if (!filter_active(f))
		return buf_append(out, p, n);
	if (st->failed)
		return -ENOMEM;
	f->tokerr = 0;
	int rc = buf_append(&st->raw, p, n);
	if (rc)
		return stream_fail(f, st, rc);
	size_t used = 0;
	int c1 = env_scan(f, st->raw.data, st->raw.len, false, true, &st->pending, &used);
	if (c1 < 0)
		return stream_fail(f, st, c1);
	buf_consume(&st->raw, used);
	int c2 = stream_emit(f, st, stream_cut(f, &st->pending), out);
	if (c2 < 0)
		return stream_fail(f, st, c2);
	trim_tmp(f);
	return finish(f, c1 + c2);
}

int filter_stream_end(struct filter *f, struct filter_stream *st, struct buf *out)
{
	if (!filter_active(f))
		return 0;
	if (st->failed)
		return -ENOMEM;
	f->tokerr = 0;
	int c1 = 0;
	if (st->raw.len) {
		c1 = env_scan(f, st->raw.data, st->raw.len, true, true, &st->pending, NULL);
		if (c1 < 0)
			return stream_fail(f, st, c1);
		buf_reset(&st->raw);
	}
	int c2 = stream_emit(f, st, st->pending.len, out);
	if (c2 < 0)
		return stream_fail(f, st, c2);
	buf_reset(&st->pending);
	trim_tmp(f);
	return finish(f, c1 + c2);
}
