/* json — writing JSON text into a buf.
 *
 * Parsing is jansson's job; this is the small writer corral uses for its own
 * output, where results arrive from the worker as JSON text already and are
 * spliced in without a parse/print round trip. */
#ifndef CORRAL_JSON_H
#define CORRAL_JSON_H

#include <stddef.h>

#include "common/buf.h"

/* Appends s (n bytes, UTF-8; invalid bytes become U+FFFD) as a JSON string. */
int json_put_str(struct buf *b, const char *s, size_t n);
int json_put_cstr(struct buf *b, const char *s); /* NULL writes null */
int json_put_key(struct buf *b, const char *key); /* "key": (with a comma if needed) */
int json_put_double(struct buf *b, double v);

/* Whether text (n bytes) is exactly one JSON value (RFC 8259, whitespace
 * around it allowed) whose strings are valid UTF-8. Any \uXXXX escape is
 * accepted, lone surrogates and \u0000 included: JSON.stringify writes
 * those for lone surrogates and NUL, and jansson refuses them, so worker
 * output is checked with this rather than parsed. Containers may nest
 * JSON_CHECK_MAX_DEPTH deep. Returns 0 or -EINVAL. Pure and bounded. */
#define JSON_CHECK_MAX_DEPTH 65536
int json_check(const char *text, size_t n);

/* A copy of text (n bytes, NUL-terminated) in which every \u0000 and every
 * lone-surrogate escape is \ufffd, so that jansson can parse it where only
 * its shape matters. Caller frees; NULL when out of memory. */
char *json_tame_escapes(const char *text, size_t n);

#endif
