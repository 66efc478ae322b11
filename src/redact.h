/* redact — secrets out of everything an execution gives back.
 *
 * The values of the execution's env vars are replaced, wherever they appear
 * in stdout, stderr, the result, errors, streamed events, logs and stored
 * records, by "[REDACTED:NAME]". Redaction runs in the supervisor on whole
 * texts (so a secret split across two console.log calls is still one
 * secret in the text), and on streams with a hold-back of the longest
 * secret's length minus one (so it cannot be split across two events).
 * Both the raw value and its JSON-escaped form are matched, so a secret
 * inside a result object is caught too. Values shorter than
 * REDACT_MIN_LEN are not treated as secrets (they would blank out ordinary
 * text). */
#ifndef CORRAL_REDACT_H
#define CORRAL_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define REDACT_MIN_LEN 4

struct redactor;

/* From "NAME=value" strings. NULL when there is nothing to redact (the
 * functions below accept NULL and do nothing). Caller frees. */
struct redactor *redactor_new(const char *const *env, size_t nenv);
void redactor_free(struct redactor *r);
/* Replaces every secret in b. Returns the number replaced, or -errno. */
int redact_buf(const struct redactor *r, struct buf *b);
/* Redacts a NUL-terminated heap string in place (may reallocate *s). */
int redact_str(const struct redactor *r, char **s);

/* A stream: feed chunks, get what is safe to send now; end flushes. */
struct redact_stream {
	struct buf pending;
};
void redact_stream_init(struct redact_stream *st);
void redact_stream_release(struct redact_stream *st);
/* Appends what may be sent now to out. */
int redact_stream_feed(const struct redactor *r, struct redact_stream *st, const char *p, size_t n,
		       struct buf *out);
int redact_stream_end(const struct redactor *r, struct redact_stream *st, struct buf *out);

#endif
