/* filter_pii — the PII stage of the filter (see filter.h for the rules),
 * its default token map, and filter_detokenize.
 *
 * Theory of operation. The e-mail addresses are listed first (memchr for
 * '@', then the local part to its left and the domain to its right). Then
 * the text is walked word by word: a word starting with a digit may be a
 * card or a phone, one starting with a capital an IBAN, a '+' or '(' a
 * phone; everything else costs one table lookup per byte. Each candidate
 * reads a bounded number of bytes (at most 20 digit groups, 34 IBAN
 * characters), so the stage stays linear whatever the text. Luhn and
 * mod-97 are checked in C, mod-97 incrementally over the groups. */
#include "supervisor/filter_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- character classes ------------------------------------------------ */
enum {
	C_DIGIT = 1,
	C_UPPER = 2,
	C_LOWER = 4,
	C_LOCAL = 8, /* may be in the local part of an e-mail address */
};
#define C_ALNUM (C_DIGIT | C_UPPER | C_LOWER)

static const unsigned char cls[256] = {
	['0' ... '9'] = C_DIGIT | C_LOCAL,
	['A' ... 'Z'] = C_UPPER | C_LOCAL,
	['a' ... 'z'] = C_LOWER | C_LOCAL,
	['.'] = C_LOCAL, ['_'] = C_LOCAL, ['%'] = C_LOCAL, ['+'] = C_LOCAL, ['-'] = C_LOCAL,
};

static inline bool is_digit(unsigned char c)
{
	return cls[c] & C_DIGIT;
}

static inline bool is_alnum(unsigned char c)
{
	return cls[c] & C_ALNUM;
}

/* ---- PII -------------------------------------------------------------------- */
static const char *const kinds[4] = { "EMAIL", "PHONE", "CARD", "IBAN" };
enum { K_EMAIL, K_PHONE, K_CARD, K_IBAN };

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int tokmap_grow(struct filter__tokmap *m)
{
	size_t nc = m->cap ? m->cap * 2 : 64;
	struct filter__tok *ne = calloc(nc, sizeof *ne);
	if (!ne)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->e[i].key)
			continue;
		size_t h = fnv1a(m->e[i].key, m->e[i].klen) & (nc - 1);
		while (ne[h].key)
			h = (h + 1) & (nc - 1);
		ne[h] = m->e[i];
	}
	free(m->e);
	m->e = ne;
	m->cap = nc;
	return 0;
}

int filter__tokmap_token(void *ud, const char *kind, const char *value, size_t n, unsigned *num)
{
	struct filter__tokmap *m = ud;
	unsigned k = 0;
	while (k < 3 && strcmp(kinds[k], kind))
		k++;
	char stackkey[512];
	char *key = n + 1 <= sizeof stackkey ? stackkey : malloc(n + 1);
	if (!key)
		return -ENOMEM;
	key[0] = (char)k;
	memcpy(key + 1, value, n);
	size_t klen = n + 1;
	int rc = 0;
	if ((m->n + 1) * 10 > m->cap * 7 && (rc = tokmap_grow(m)))
		goto out;
	size_t h = fnv1a(key, klen) & (m->cap - 1);
	while (m->e[h].key) {
		if (m->e[h].klen == klen && memcmp(m->e[h].key, key, klen) == 0) {
			*num = m->e[h].num;
			goto out;
		}
		h = (h + 1) & (m->cap - 1);
	}
	char *copy = malloc(klen);
	if (!copy) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(copy, key, klen);
	m->e[h].key = copy;
	m->e[h].klen = klen;
	m->e[h].num = ++m->next[k];
	m->n++;
	*num = m->e[h].num;
out:
	if (key != stackkey)
		free(key);
	return rc;
}

void filter__tokmap_release(struct filter__tokmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->e[i].key);
	free(m->e);
	memset(m, 0, sizeof *m);
}

static bool luhn(const char *d, size_t n)
{
	unsigned sum = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned x = (unsigned)(d[n - 1 - k] - '0');
		if (k & 1) {
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	return sum % 10 == 0;
}

/* ISO 13616: the first four characters moved to the end, letters as
 * 10..35, the number mod 97 is 1. mod97_add appends one character to r. */
static unsigned mod97_add(unsigned r, unsigned char c)
{
	return is_digit(c) ? (r * 10 + (c - '0')) % 97 : (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
}

/* r is the rest (after the first four) mod 97; head the first four. */
static bool iban_ok(unsigned r, const char *head)
{
	for (int k = 0; k < 4; k++)
		r = mod97_add(r, (unsigned char)head[k]);
	return r == 1;
}

/* The e-mail address around the '@' at at, its local part starting no
 * earlier than lo. */
static bool email_at(const unsigned char *t, size_t n, size_t at, size_t lo, size_t *ps, size_t *pe)
{
	size_t s = at;
	while (s > lo && (cls[t[s - 1]] & C_LOCAL)) {
		if (at - s == 64)
			return false;
		s--;
	}
	while (s < at && !is_alnum(t[s]))
		s++;
	if (s == at)
		return false;
	size_t e = at + 1;
	while (e < n && (is_alnum(t[e]) || t[e] == '-' || t[e] == '.'))
		e++;
	while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-'))
		e--;
	if (e - (at + 1) > 253)
		return false;
	size_t ls = at + 1, labels = 0;
	for (size_t k = at + 1; k <= e; k++) {
		if (k < e && t[k] != '.')
			continue;
		size_t ll = k - ls;
		if (!ll || ll > 63 || t[ls] == '-' || t[k - 1] == '-')
			return false;
		labels++;
		if (k == e) {
			if (ll < 2)
				return false;
			for (size_t x = ls; x < e; x++)
				if (!(cls[t[x]] & (C_UPPER | C_LOWER)))
					return false;
		}
		ls = k + 1;
	}
	if (labels < 2)
		return false;
	*ps = s;
	*pe = e;
	return true;
}

/* A card number starting at the digit t[i]; returns its end or 0. */
static size_t card_at(const unsigned char *t, size_t n, size_t i, char *norm, size_t *nlen)
{
	if (t[i] < '2' || t[i] > '6')
		return 0;
	char d[20];
	size_t gend[20], glen[20], cum[20], digits = 0, ng = 0, p = i;
	unsigned char sep = 0;
	for (;;) {
		size_t gs = p;
		while (p < n && is_digit(t[p]) && digits < 20)
			d[digits++] = (char)t[p++];
		gend[ng] = p;
		glen[ng] = p - gs;
		cum[ng] = digits;
		ng++;
		/* Only a first group of 4 can start a grouped number. */
		if (digits >= 20 || ng == 20 || glen[0] != 4)
			break;
		if (p + 1 < n && (t[p] == ' ' || t[p] == '-') && (!sep || t[p] == sep) &&
		    is_digit(t[p + 1])) {
			sep = t[p++];
			continue;
		}
		break;
	}
	for (size_t k = ng; k-- > 0;) {
		if (cum[k] < 13 || cum[k] > 19)
			continue;
		size_t e = gend[k];
		if (e < n && is_alnum(t[e]))
			continue;
		if (e + 1 < n && t[e] == '.' && is_digit(t[e + 1]))
			continue;
		if (k) {
			bool ok = glen[0] == 4 && glen[k] >= 1 && glen[k] <= 6;
			for (size_t g = 1; g < k && ok; g++)
				ok = glen[g] >= 3 && glen[g] <= 6;
			if (!ok)
				continue;
		}
		if (!luhn(d, cum[k]))
			continue;
		memcpy(norm, d, cum[k]);
		*nlen = cum[k];
		return e;
	}
	return 0;
}

static bool digits_at(const unsigned char *t, size_t n, size_t p, size_t k)
{
	if (p + k > n)
		return false;
	for (size_t i = 0; i < k; i++)
		if (!is_digit(t[p + i]))
			return false;
	return !(p + k < n && is_digit(t[p + k]));
}

/* After a national phone ending at e with separator sep: nothing that would
 * make it part of a longer number. */
static bool phone_end_ok(const unsigned char *t, size_t n, size_t e, unsigned char sep)
{
	if (e >= n)
		return true;
	if (is_alnum(t[e]))
		return false;
	if (e + 1 < n && is_digit(t[e + 1]) && (t[e] == sep || t[e] == '-' || t[e] == '.'))
		return false;
	return true;
}

/* Three digits at p and then a separator ('-', '.' or ' '), the one the
 * number's later groups must repeat: returns that separator, or 0. */
static unsigned char group3_sep(const unsigned char *t, size_t n, size_t p)
{
	if (!digits_at(t, n, p, 3) || p + 3 >= n)
		return 0;
	unsigned char sep = t[p + 3];
	return sep == '-' || sep == '.' || sep == ' ' ? sep : 0;
}

/* Ends a national phone whose text is t[from, e): refused (0) when what
 * follows would make it part of a longer number, else its digits go into
 * norm after the k already there (nanp_at's leading 1, which lies before
 * from), *nlen gets the total and e is returned. */
static size_t phone_digits(const unsigned char *t, size_t n, size_t from, size_t e,
			   unsigned char sep, char *norm, size_t k, size_t *nlen)
{
	if (!phone_end_ok(t, n, e, sep))
		return 0;
	for (size_t x = from; x < e; x++)
		if (is_digit(t[x]))
			norm[k++] = (char)t[x];
	*nlen = k;
	return e;
}

/* North American: [1<sep>]ddd<s>ddd<s>dddd, one separator kind s. */
static size_t nanp_at(const unsigned char *t, size_t n, size_t i, char *norm, size_t *nlen)
{
	size_t p = i, k = 0;
	if (t[p] == '1' && p + 2 < n && (t[p + 1] == '-' || t[p + 1] == '.' || t[p + 1] == ' ') &&
	    is_digit(t[p + 2])) {
		norm[k++] = '1';
		p += 2;
	}
	unsigned char sep = group3_sep(t, n, p);
	if (!sep)
		return 0;
	if (!digits_at(t, n, p + 4, 3) || p + 7 >= n || t[p + 7] != sep || !digits_at(t, n, p + 8, 4))
		return 0;
	return phone_digits(t, n, p, p + 12, sep, norm, k, nlen);
}

/* "(ddd) ddd-dddd" at the '(' at i. */
static size_t paren_at(const unsigned char *t, size_t n, size_t i, char *norm, size_t *nlen)
{
	size_t p = i + 1;
	if (!digits_at(t, n, p, 3) || p + 3 >= n || t[p + 3] != ')')
		return 0;
	p += 4;
	if (p < n && (t[p] == ' ' || t[p] == '-'))
		p++;
	unsigned char sep = group3_sep(t, n, p);
	if (!sep || !digits_at(t, n, p + 4, 4))
		return 0;
	return phone_digits(t, n, i, p + 8, sep, norm, 0, nlen);
}

/* National trunk format: 0, a non-zero digit, 10-11 digits in 2-5 groups. */
static size_t trunk_at(const unsigned char *t, size_t n, size_t i, char *norm, size_t *nlen)
{
	if (t[i] != '0' || i + 1 >= n || t[i + 1] < '1' || t[i + 1] > '9')
		return 0;
	size_t p = i, k = 0, ng = 0;
	unsigned char sep = 0;
	for (;;) {
		size_t gs = p;
		while (p < n && is_digit(t[p])) {
			if (k == 11)
				return 0;
			norm[k++] = (char)t[p++];
		}
		if (p - gs < 2 || p - gs > 8 || ++ng > 5)
			return 0;
		if (p + 1 < n && (t[p] == ' ' || t[p] == '-' || t[p] == '.') && (!sep || t[p] == sep) &&
		    is_digit(t[p + 1])) {
			sep = t[p++];
			continue;
		}
		break;
	}
	if (ng < 2 || k < 10 || !phone_end_ok(t, n, p, sep))
		return 0;
	*nlen = k;
	return p;
}

static bool is_psep(unsigned char c)
{
	return c == ' ' || c == '-' || c == '.';
}

/* '+' and 8-15 digits at the '+' at i. */
static size_t intl_at(const unsigned char *t, size_t n, size_t i, char *norm, size_t *nlen)
{
	size_t p = i + 1, k = 0, first = 0;
	bool paren = false;
	if (p >= n || !is_digit(t[p]))
		return 0;
	norm[k++] = '+';
	for (;;) {
		while (p < n && is_digit(t[p])) {
			if (k == 16)
				return 0;
			norm[k++] = (char)t[p++];
		}
		/* A country code is 1-3 digits: "+2026-11-23" is a date. */
		if (!first) {
			first = k - 1;
			if (first > 3 && p + 1 < n &&
			    (t[p] == '(' || (is_psep(t[p]) && (is_digit(t[p + 1]) || t[p + 1] == '('))))
				return 0;
		}
		size_t q = p;
		if (q < n && is_psep(t[q]))
			q++;
		if (q > p && q < n && is_digit(t[q])) {
			p = q;
			continue;
		}
		if (q < n && t[q] == '(' && !paren) {
			size_t a = q + 1, r = a;
			while (r < n && is_digit(t[r]) && r - a < 5)
				r++;
			if (r > a && r < n && t[r] == ')') {
				for (size_t x = a; x < r; x++) {
					if (k == 16)
						return 0;
					norm[k++] = (char)t[x];
				}
				paren = true;
				p = r + 1;
				size_t s2 = p;
				if (s2 < n && is_psep(t[s2]))
					s2++;
				if (s2 < n && is_digit(t[s2])) {
					p = s2;
					continue;
				}
			}
		}
		break;
	}
	if (k - 1 < 8 || (p < n && is_alnum(t[p])))
		return 0;
	*nlen = k;
	return p;
}

/* An IBAN starting at the capital t[i]. */
static size_t iban_at(const unsigned char *t, size_t n, size_t i, char *norm, size_t *nlen)
{
	if (i + 4 > n || !(cls[t[i]] & C_UPPER) || !(cls[t[i + 1]] & C_UPPER) || !is_digit(t[i + 2]) ||
	    !is_digit(t[i + 3]))
		return 0;
	size_t p = i, k = 0;
	unsigned r = 0;
	while (p < n && (cls[t[p]] & (C_UPPER | C_DIGIT)) && k < 35) {
		if (k >= 4)
			r = mod97_add(r, t[p]);
		norm[k++] = (char)t[p++];
	}
	if (p < n && is_alnum(t[p]))
		return 0;
	if (k > 4) {
		if (k < 15 || k > 34 || !iban_ok(r, norm))
			return 0;
		*nlen = k;
		return p;
	}
	/* Grouped: the candidates end after each group, longest first. */
	size_t ends[10], lens[10], ne = 0;
	unsigned rs[10];
	while (p + 1 < n && t[p] == ' ' && (cls[t[p + 1]] & (C_UPPER | C_DIGIT)) && ne < 10) {
		size_t gs = p + 1, q = gs;
		while (q < n && (cls[t[q]] & (C_UPPER | C_DIGIT)) && q - gs < 5)
			q++;
		size_t gl = q - gs;
		if (gl > 4 || (q < n && is_alnum(t[q])) || k + gl > 34)
			break;
		for (size_t x = gs; x < q; x++) {
			r = mod97_add(r, t[x]);
			norm[k++] = (char)t[x];
		}
		p = q;
		ends[ne] = p;
		lens[ne] = k;
		rs[ne] = r;
		ne++;
		if (gl < 4)
			break;
	}
	for (size_t j = ne; j-- > 0;)
		if (lens[j] >= 15 && iban_ok(rs[j], norm)) {
			*nlen = lens[j];
			return ends[j];
		}
	return 0;
}

struct tokctx {
	filter_token_fn fn;
	void *ud;
	int *err;
};

static int put_token(const struct tokctx *tc, struct buf *out, int kind, const char *v, size_t n)
{
	unsigned num = 0;
	int rc = tc->fn(tc->ud, kinds[kind], v, n, &num);
	if (rc < 0 || !num) {
		if (!*tc->err)
			*tc->err = rc < 0 ? rc : -EINVAL;
		return buf_printf(out, "[%s]", kinds[kind]);
	}
	return buf_printf(out, "[%s_%u]", kinds[kind], num);
}

struct span {
	size_t s, e;
};

int filter__pii_scan(filter_token_fn token, void *ud, int *tokerr, const char *text, size_t n,
		     bool always, struct buf *out)
{
	const struct tokctx tc = { token, ud, tokerr };
	const unsigned char *t = (const unsigned char *)text;
	struct span *em = NULL;
	size_t nem = 0, emcap = 0, from = 0, lo = 0;
	int count = 0, rc = 0;
	const unsigned char *a;
	while (from < n && (a = memchr(t + from, '@', n - from))) {
		size_t at = (size_t)(a - t), s, e;
		if (!email_at(t, n, at, lo, &s, &e)) {
			from = at + 1;
			continue;
		}
		if (nem == emcap) {
			size_t nc = emcap ? emcap * 2 : 16;
			struct span *ns = realloc(em, nc * sizeof *ns);
			if (!ns) {
				free(em);
				return -ENOMEM;
			}
			em = ns;
			emcap = nc;
		}
		em[nem++] = (struct span){ s, e };
		lo = from = e;
	}

	char norm[320];
	size_t i = 0, done = 0, ei = 0;
	while (i < n) {
		size_t lim = ei < nem ? em[ei].s : n;
		if (i >= lim) {
			size_t s = em[ei].s, e = em[ei].e;
			for (size_t x = s; x < e; x++)
				norm[x - s] = (char)(t[x] >= 'A' && t[x] <= 'Z' ? t[x] + 32 : t[x]);
			rc = buf_append(out, text + done, s - done);
			if (!rc)
				rc = put_token(&tc, out, K_EMAIL, norm, e - s);
			if (rc)
				goto out;
			count++;
			i = done = e;
			ei++;
			continue;
		}
		unsigned char c = t[i], k = cls[c];
		size_t e = 0, nl = 0;
		int kind = K_PHONE;
		bool start = !i || !is_alnum(t[i - 1]);
		if (k & C_ALNUM) {
			if (start && (k & C_DIGIT)) {
				/* Not the tail of "3.14", "2026-11" or "R-03371". */
				bool dotdash = i >= 2 && (t[i - 1] == '.' || t[i - 1] == '-');
				if (!(dotdash && is_digit(t[i - 2]))) {
					kind = K_CARD;
					e = card_at(t, n, i, norm, &nl);
				}
				if (!e && !(dotdash && is_alnum(t[i - 2]))) {
					kind = K_PHONE;
					e = nanp_at(t, n, i, norm, &nl);
					if (!e)
						e = trunk_at(t, n, i, norm, &nl);
				}
			} else if (start && (k & C_UPPER)) {
				kind = K_IBAN;
				e = iban_at(t, n, i, norm, &nl);
			}
			if (!e || e > lim) {
				i++;
				while (i < lim && is_alnum(t[i]))
					i++;
				continue;
			}
		} else if ((c == '+' || c == '(') && start) {
			e = c == '+' ? intl_at(t, n, i, norm, &nl) : paren_at(t, n, i, norm, &nl);
			if (!e || e > lim) {
				i++;
				continue;
			}
		} else {
			i++;
			continue;
		}
		rc = buf_append(out, text + done, i - done);
		if (!rc)
			rc = put_token(&tc, out, kind, norm, nl);
		if (rc)
			goto out;
		count++;
		i = done = e;
	}
	if (count || always)
		rc = buf_append(out, text + done, n - done);
out:
	free(em);
	return rc ? rc : count;
}

/* ---- detokenizing -------------------------------------------------------- */

int filter_detokenize(const char *text, size_t n,
		      int (*lookup)(void *ud, const char *kind, unsigned num, char **value),
		      void *ud, struct buf *out)
{
	size_t done = 0, i = 0;
	int rc = 0;
	while (i < n) {
		const char *br = memchr(text + i, '[', n - i);
		if (!br)
			break;
		i = (size_t)(br - text);
		size_t p = i + 1;
		int kind = -1;
		for (int k = 0; k < 4; k++) {
			size_t kl = strlen(kinds[k]);
			if (p + kl < n && memcmp(text + p, kinds[k], kl) == 0 && text[p + kl] == '_') {
				kind = k;
				p += kl + 1;
				break;
			}
		}
		unsigned long long num = 0;
		size_t ds = p;
		while (kind >= 0 && p < n && is_digit((unsigned char)text[p]) && p - ds < 10)
			num = num * 10 + (unsigned)(text[p++] - '0');
		if (kind < 0 || p == ds || text[ds] == '0' || p >= n || text[p] != ']' || num > UINT32_MAX) {
			i++;
			continue;
		}
		char *value = NULL;
		int lr = lookup(ud, kinds[kind], (unsigned)num, &value);
		if (lr == -ENOENT) {
			i = p + 1;
			continue;
		}
		if (lr < 0)
			return lr;
		rc = buf_append(out, text + done, i - done);
		if (!rc && value)
			rc = buf_puts(out, value);
		free(value);
		if (rc)
			return rc;
		i = done = p + 1;
	}
	return buf_append(out, text + done, n - done);
}
