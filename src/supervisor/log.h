/* log — one JSON object per line on stderr, one line per event.
 *
 * Every line has ts (RFC 3339, UTC, milliseconds), level and event; the rest
 * are key/value pairs given as a NULL-terminated list of (key, value) string
 * pairs, or built with log_begin, the log_kv_ functions and log_end. Lines are
 * written with one write(2), so concurrent processes do not interleave. */
#ifndef CORRAL_LOG_H
#define CORRAL_LOG_H

#include <stdint.h>

#include "common/buf.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level lvl);
/* Starts a line in b (cap it yourself); then add pairs, then log_end. */
void log_begin(struct buf *b, enum log_level lvl, const char *event);
void log_kv_str(struct buf *b, const char *key, const char *val);
void log_kv_int(struct buf *b, const char *key, long long val);
void log_kv_num(struct buf *b, const char *key, double val);
void log_end(struct buf *b, enum log_level lvl);
/* A line with a message only. */
void log_msg(enum log_level lvl, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
