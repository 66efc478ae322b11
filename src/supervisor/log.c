/* log — see log.h. */
#include "supervisor/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"

static enum log_level min_level = LOG_INFO;
static const char *const names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level lvl)
{
	min_level = lvl;
}

void log_begin(struct buf *b, enum log_level lvl, const char *event)
{
	struct timeval tv;
	struct tm tm;
	char ts[40];
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	buf_reset(b);
	buf_printf(b, "{\"ts\":\"%s.%03dZ\",\"level\":\"%s\",\"event\":", ts, (int)(tv.tv_usec / 1000), names[lvl]);
	json_put_cstr(b, event);
}

void log_kv_str(struct buf *b, const char *key, const char *val)
{
	json_put_key(b, key);
	json_put_cstr(b, val);
}

void log_kv_int(struct buf *b, const char *key, long long val)
{
	json_put_key(b, key);
	buf_printf(b, "%lld", val);
}

void log_kv_num(struct buf *b, const char *key, double val)
{
	json_put_key(b, key);
	buf_printf(b, "%.3f", val);
}

void log_end(struct buf *b, enum log_level lvl)
{
	buf_puts(b, "}\n");
	if (lvl >= min_level && b->data) {
		ssize_t n = write(2, b->data, b->len);
		(void)n;
	}
}

void log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
{
	if (lvl < min_level)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct buf b = BUF_INIT(4096);
	log_begin(&b, lvl, event);
	log_kv_str(&b, "msg", msg);
	log_end(&b, lvl);
	buf_release(&b);
}
