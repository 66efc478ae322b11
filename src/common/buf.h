/* buf — a growable byte buffer with a hard cap.
 *
 * Untrusted bytes (worker output, request bodies, frames) go into a buf whose
 * cap is set at init: an append that would pass the cap fails with -ENOBUFS
 * instead of growing, and the caller maps that to output_limit, rejected or a
 * worker kill (the idea of curl's dynbuf "toobig").
 *
 * Invariant: data is NUL-terminated whenever data != NULL (len excludes it),
 * so a buf holding text can be passed to C string functions. */
#ifndef CORRAL_BUF_H
#define CORRAL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap; /* the most len may ever be */
};

#define BUF_INIT(c) { NULL, 0, 0, (c) }

void buf_init(struct buf *b, size_t cap);
void buf_release(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the memory */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Removes the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Caller frees the result; the buf is left empty. */
char *buf_steal(struct buf *b);

#endif
