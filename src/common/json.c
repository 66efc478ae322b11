#include "common/json.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
	else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
	else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
	else return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int json_put_str(struct buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	int rc = buf_putc(b, '"');
	size_t i = 0, run = 0;
	while (!rc && i < n) {
		unsigned c = s[i];
		const char *esc = NULL;
		char tmp[8];
		size_t seq = 1;
		if (c == '"') esc = "\\\"";
		else if (c == '\\') esc = "\\\\";
		else if (c == '\n') esc = "\\n";
		else if (c == '\r') esc = "\\r";
		else if (c == '\t') esc = "\\t";
		else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof tmp, "\\u%04x", c);
			esc = tmp;
		} else if (c >= 0x80) {
			seq = utf8_seq(s + i, n - i);
			if (!seq) {
				esc = "\xef\xbf\xbd";
				seq = 1;
			}
		}
		if (esc) {
			rc = buf_append(b, s + run, i - run);
			if (!rc)
				rc = buf_puts(b, esc);
			i += seq;
			run = i;
		} else {
			i += seq;
		}
	}
	if (!rc)
		rc = buf_append(b, s + run, i - run);
	if (!rc)
		rc = buf_putc(b, '"');
	return rc;
}

int json_put_cstr(struct buf *b, const char *s)
{
	return s ? json_put_str(b, s, strlen(s)) : buf_puts(b, "null");
}

int json_put_key(struct buf *b, const char *key)
{
	int rc = 0;
	if (b->len && b->data[b->len - 1] != '{' && b->data[b->len - 1] != '[')
		rc = buf_putc(b, ',');
	if (!rc)
		rc = json_put_cstr(b, key);
	if (!rc)
		rc = buf_putc(b, ':');
	return rc;
}

int json_put_double(struct buf *b, double v)
{
	if (!isfinite(v))
		return buf_puts(b, "null");
	if (fabs(v) < 9e15 && v == (double)(int64_t)v)
		return buf_printf(b, "%lld", (long long)v);
	/* The shortest form that reads back as the same double. */
	char tmp[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	return buf_puts(b, tmp);
}
