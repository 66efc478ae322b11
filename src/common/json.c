#include "common/json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
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

/* --- checking JSON text -------------------------------------------------- */

static size_t skip_ws(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static int hexval(unsigned c)
{
	if (c >= '0' && c <= '9') return (int)(c - '0');
	if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
	return -1;
}

/* The string at s[i] == '"'; returns the index after it, or 0. */
static size_t check_string(const unsigned char *s, size_t n, size_t i)
{
	for (i++; i < n;) {
		unsigned c = s[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (i + 1 >= n)
				return 0;
			c = s[i + 1];
			if (c == 'u') {
				if (i + 6 > n)
					return 0;
				for (size_t k = 2; k < 6; k++)
					if (hexval(s[i + k]) < 0)
						return 0;
				i += 6;
			} else if (strchr("\"\\/bfnrt", (int)c) && c) {
				i += 2;
			} else {
				return 0;
			}
			continue;
		}
		size_t seq = c < 0x80 ? 1 : utf8_seq(s + i, n - i);
		if (!seq)
			return 0;
		i += seq;
	}
	return 0;
}

static size_t check_number(const unsigned char *s, size_t n, size_t i)
{
	size_t start;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else {
		start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start || s[start] == '0')
			return 0;
	}
	if (i < n && s[i] == '.') {
		start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return 0;
	}
	return i;
}

int json_check(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	/* One bit per open container: 1 for an object, 0 for an array. */
	unsigned char stack[JSON_CHECK_MAX_DEPTH / 8];
	size_t depth = 0, i = skip_ws(s, n, 0);
	for (;;) {
		/* A value is expected at i. */
		if (i >= n)
			return -EINVAL;
		unsigned c = s[i];
		size_t next = 0;
		if (c == '{' || c == '[') {
			if (depth == JSON_CHECK_MAX_DEPTH)
				return -EINVAL;
			if (c == '{')
				stack[depth / 8] |= (unsigned char)(1u << (depth % 8));
			else
				stack[depth / 8] &= (unsigned char)~(1u << (depth % 8));
			depth++;
			i = skip_ws(s, n, i + 1);
			if (i < n && s[i] == (c == '{' ? '}' : ']')) {
				depth--;
				next = i + 1;
			} else if (c == '{') {
				if (i >= n || s[i] != '"' || !(i = check_string(s, n, i)))
					return -EINVAL;
				i = skip_ws(s, n, i);
				if (i >= n || s[i] != ':')
					return -EINVAL;
				i = skip_ws(s, n, i + 1);
				continue;
			} else {
				continue;
			}
		} else if (c == '"') {
			next = check_string(s, n, i);
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			next = check_number(s, n, i);
		} else if (n - i >= 4 && !memcmp(s + i, "true", 4)) {
			next = i + 4;
		} else if (n - i >= 5 && !memcmp(s + i, "false", 5)) {
			next = i + 5;
		} else if (n - i >= 4 && !memcmp(s + i, "null", 4)) {
			next = i + 4;
		}
		if (!next)
			return -EINVAL;
		/* After a value: close containers, or a comma and the next one. */
		i = skip_ws(s, n, next);
		for (;;) {
			if (!depth)
				return i == n ? 0 : -EINVAL;
			bool obj = stack[(depth - 1) / 8] & (1u << ((depth - 1) % 8));
			if (i < n && s[i] == (obj ? '}' : ']')) {
				depth--;
				i = skip_ws(s, n, i + 1);
				continue;
			}
			if (i >= n || s[i] != ',')
				return -EINVAL;
			i = skip_ws(s, n, i + 1);
			if (obj) {
				if (i >= n || s[i] != '"' || !(i = check_string(s, n, i)))
					return -EINVAL;
				i = skip_ws(s, n, i);
				if (i >= n || s[i] != ':')
					return -EINVAL;
				i = skip_ws(s, n, i + 1);
			}
			break;
		}
	}
}

char *json_tame_escapes(const char *text, size_t n)
{
	char *o = malloc(n + 1);
	if (!o)
		return NULL;
	memcpy(o, text, n);
	o[n] = '\0';
	for (size_t i = 0; i + 1 < n; i++) {
		if (o[i] != '\\')
			continue;
		if (o[i + 1] != 'u' || i + 6 > n) {
			i++;
			continue;
		}
		unsigned v = 0;
		bool hex = true;
		for (size_t k = 2; k < 6; k++) {
			int h = hexval((unsigned char)o[i + k]);
			hex = hex && h >= 0;
			v = v * 16 + (unsigned)(h < 0 ? 0 : h);
		}
		if (!hex) {
			i++;
			continue;
		}
		bool pair = false;
		if (v >= 0xd800 && v <= 0xdbff && i + 12 <= n && o[i + 6] == '\\' && o[i + 7] == 'u') {
			unsigned lo = 0;
			bool hex2 = true;
			for (size_t k = 8; k < 12; k++) {
				int h = hexval((unsigned char)o[i + k]);
				hex2 = hex2 && h >= 0;
				lo = lo * 16 + (unsigned)(h < 0 ? 0 : h);
			}
			pair = hex2 && lo >= 0xdc00 && lo <= 0xdfff;
		}
		if (pair) {
			i += 11;
		} else if (v == 0 || (v >= 0xd800 && v <= 0xdfff)) {
			memcpy(o + i + 2, "fffd", 4);
			i += 5;
		} else {
			i += 5;
		}
	}
	return o;
}
