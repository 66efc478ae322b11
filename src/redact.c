/* redact — see redact.h. */
#include "redact.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

struct secret {
	char *needle;
	size_t len;
	char *token;    /* "[REDACTED:NAME]" */
	size_t tlen;
};

struct redactor {
	struct secret *s;
	size_t n;
	size_t maxlen;
};

static int add(struct redactor *r, const char *needle, size_t len, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].len == len && memcmp(r->s[i].needle, needle, len) == 0)
			return 0;
	struct secret *ns = realloc(r->s, (r->n + 1) * sizeof *ns);
	if (!ns)
		return -ENOMEM;
	r->s = ns;
	struct secret *s = &r->s[r->n];
	s->needle = malloc(len);
	struct buf t = BUF_INIT(4096);
	buf_printf(&t, "[REDACTED:%s]", name);
	s->tlen = t.len;
	s->token = buf_steal(&t);
	if (!s->needle || !s->token) {
		free(s->needle);
		free(s->token);
		return -ENOMEM;
	}
	memcpy(s->needle, needle, len);
	s->len = len;
	r->n++;
	if (len > r->maxlen)
		r->maxlen = len;
	return 0;
}

struct redactor *redactor_new(const char *const *env, size_t nenv)
{
	struct redactor *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	for (size_t i = 0; i < nenv; i++) {
		const char *eq = strchr(env[i], '=');
		if (!eq)
			continue;
		const char *val = eq + 1;
		size_t vl = strlen(val);
		if (vl < REDACT_MIN_LEN)
			continue;
		char name[257];
		size_t nl = (size_t)(eq - env[i]) < sizeof name - 1 ? (size_t)(eq - env[i]) : sizeof name - 1;
		memcpy(name, env[i], nl);
		name[nl] = '\0';
		add(r, val, vl, name);
		/* The JSON-escaped form, as it would appear inside a result. */
		struct buf j = BUF_INIT(SIZE_MAX / 2);
		json_put_str(&j, val, vl);
		if (j.len > 2 && (j.len - 2 != vl || memcmp(j.data + 1, val, vl)))
			add(r, j.data + 1, j.len - 2, name);
		buf_release(&j);
	}
	/* Longest first, so a secret containing another is replaced whole. */
	for (size_t i = 1; i < r->n; i++)
		for (size_t k = i; k > 0 && r->s[k].len > r->s[k - 1].len; k--) {
			struct secret t = r->s[k];
			r->s[k] = r->s[k - 1];
			r->s[k - 1] = t;
		}
	if (!r->n) {
		redactor_free(r);
		return NULL;
	}
	return r;
}

void redactor_free(struct redactor *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->s[i].needle);
		free(r->s[i].token);
	}
	free(r->s);
	free(r);
}

int redact_buf(const struct redactor *r, struct buf *b)
{
	if (!r || !b->len)
		return 0;
	int total = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct secret *s = &r->s[i];
		if (!memmem(b->data, b->len, s->needle, s->len))
			continue;
		struct buf out = BUF_INIT(SIZE_MAX / 2);
		const char *p = b->data, *end = b->data + b->len;
		for (;;) {
			const char *hit = memmem(p, (size_t)(end - p), s->needle, s->len);
			if (!hit) {
				buf_append(&out, p, (size_t)(end - p));
				break;
			}
			buf_append(&out, p, (size_t)(hit - p));
			buf_append(&out, s->token, s->tlen);
			total++;
			p = hit + s->len;
		}
		/* Keep b's cap: the redacted text may be longer than the cap;
		 * then it is cut there (it was already at the cap). */
		buf_reset(b);
		size_t keep = out.len < b->cap ? out.len : b->cap;
		buf_append(b, out.data ? out.data : "", keep);
		buf_release(&out);
	}
	return total;
}

int redact_str(const struct redactor *r, char **s)
{
	if (!r || !*s)
		return 0;
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	buf_puts(&b, *s);
	int n = redact_buf(r, &b);
	if (n > 0) {
		free(*s);
		*s = buf_steal(&b);
	}
	buf_release(&b);
	return n;
}

void redact_stream_init(struct redact_stream *st)
{
	buf_init(&st->pending, SIZE_MAX / 2);
}

void redact_stream_release(struct redact_stream *st)
{
	buf_release(&st->pending);
}

int redact_stream_feed(const struct redactor *r, struct redact_stream *st, const char *p, size_t n,
		       struct buf *out)
{
	if (!r)
		return buf_append(out, p, n);
	int rc = buf_append(&st->pending, p, n);
	if (rc)
		return rc;
	redact_buf(r, &st->pending);
	/* Hold back only the longest tail that could begin a secret. */
	size_t len = st->pending.len, hold = 0;
	size_t most = r->maxlen - 1 < len ? r->maxlen - 1 : len;
	for (size_t k = most; k > 0 && !hold; k--)
		for (size_t i = 0; i < r->n; i++)
			if (r->s[i].len > k && memcmp(st->pending.data + len - k, r->s[i].needle, k) == 0) {
				hold = k;
				break;
			}
	if (len <= hold)
		return 0;
	size_t send = len - hold;
	rc = buf_append(out, st->pending.data, send);
	buf_consume(&st->pending, send);
	return rc;
}

int redact_stream_end(const struct redactor *r, struct redact_stream *st, struct buf *out)
{
	redact_buf(r, &st->pending);
	int rc = buf_append(out, st->pending.data ? st->pending.data : "", st->pending.len);
	buf_reset(&st->pending);
	return rc;
}
