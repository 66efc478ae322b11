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

#endif
