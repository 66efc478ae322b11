/* scan — what the supervisor's text scanners share.
 *
 * filter.c (the secret patterns of a tenant's output filter) and policy.c
 * (its validation policy) both build their rules from the tenant's JSON
 * settings and report a bad one as a single line of text in a buffer the
 * caller owns.
 *
 * Header only, on purpose: the unit tests link filter.c and policy.c each
 * without the other (tests/unit/meson.build), so a helper both use can live
 * in neither, and a scan.c would have to join every one of those link lines
 * as well as the supervisor's. */
#ifndef CORRAL_SCAN_H
#define CORRAL_SCAN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Formats a message into err, truncated to errlen bytes and always
 * NUL-terminated. A caller that does not want the message passes err NULL
 * or errlen 0, and then nothing is written. */
static inline void scan_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void scan_errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif
