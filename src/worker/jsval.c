/* jsval — see jsval.h. */
#include "worker/jsval.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- strings ------------------------------------------------------------ */

/* Decodes the UTF-8 sequence at s (n bytes left) into *cp. Returns its
 * length, or 0 when it is not valid UTF-8 (overlong, surrogate, cut, past
 * U+10FFFF). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t want = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (!want || want > n)
		return 0;
	uint32_t v = c & (0x7f >> want);
	for (size_t k = 1; k < want; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[k] & 0x3f);
	}
	if ((want == 2 && v < 0x80) || (want == 3 && v < 0x800) || (want == 4 && v < 0x10000) ||
	    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return want;
}

/* The WHATWG Encoding standard's UTF-8 decoder, one step: decodes the
 * code point at s (n > 0 bytes left) into *cp and returns the bytes it
 * took. An ill-formed sequence is U+FFFD for its maximal subpart (the
 * longest start of a valid sequence, at least one byte): E2 82 is one
 * U+FFFD, F0 80 80 three (80 cannot follow F0), ED A0 80 three. */
static size_t utf8_whatwg_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	unsigned lower = 0x80, upper = 0xbf;
	size_t need;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0) lower = 0xa0;
		if (c == 0xed) upper = 0x9f;
		need = 2;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0) lower = 0x90;
		if (c == 0xf4) upper = 0x8f;
		need = 3;
		v = c & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	size_t i = 1;
	for (; i <= need; i++) {
		if (i >= n || s[i] < lower || s[i] > upper) {
			*cp = 0xfffd;
			return i;
		}
		lower = 0x80;
		upper = 0xbf;
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return i;
}

JSStringRef jsval_from_utf8(const char *p, size_t n)
{
	JSChar *u = malloc((n ? n : 1) * sizeof *u);
	if (!u)
		return NULL;
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, o = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_whatwg_next(s + i, n - i, &cp);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[o++] = (JSChar)(0xd800 + (cp >> 10));
			u[o++] = (JSChar)(0xdc00 + (cp & 0x3ff));
		} else {
			u[o++] = (JSChar)cp;
		}
		i += len;
	}
	JSStringRef r = JSStringCreateWithCharacters(u, o);
	free(u);
	return r;
}

bool jsval_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	for (size_t i = 0, len; i < n; i += len)
		if (!(len = utf8_next(s + i, n - i, &cp)))
			return false;
	return true;
}

char *jsval_utf8(JSStringRef s, size_t max, size_t *len, bool *cut)
{
	size_t n = JSStringGetLength(s);
	const JSChar *u = JSStringGetCharactersPtr(s);
	size_t want = n * 3 < max ? n * 3 : max;
	char *out = malloc(want + 1);
	size_t o = 0, i = 0;
	if (cut)
		*cut = false;
	if (!out)
		return NULL;
	for (; i < n; i++) {
		uint32_t c = u[i];
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && u[i + 1] >= 0xdc00 && u[i + 1] <= 0xdfff) {
			c = 0x10000 + ((c - 0xd800) << 10) + (u[i + 1] - 0xdc00);
			i++;
		} else if (c >= 0xd800 && c <= 0xdfff) {
			c = 0xfffd;
		}
		char tmp[4];
		size_t k;
		if (c < 0x80) { tmp[0] = (char)c; k = 1; }
		else if (c < 0x800) { tmp[0] = (char)(0xc0 | (c >> 6)); tmp[1] = (char)(0x80 | (c & 0x3f)); k = 2; }
		else if (c < 0x10000) { tmp[0] = (char)(0xe0 | (c >> 12)); tmp[1] = (char)(0x80 | ((c >> 6) & 0x3f)); tmp[2] = (char)(0x80 | (c & 0x3f)); k = 3; }
		else { tmp[0] = (char)(0xf0 | (c >> 18)); tmp[1] = (char)(0x80 | ((c >> 12) & 0x3f)); tmp[2] = (char)(0x80 | ((c >> 6) & 0x3f)); tmp[3] = (char)(0x80 | (c & 0x3f)); k = 4; }
		if (o + k > want) {
			if (cut)
				*cut = true;
			break;
		}
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}

char *jsval_to_cstr(JSContextRef ctx, JSValueRef v, size_t max, size_t *len)
{
	JSValueRef exc = NULL;
	JSStringRef s = JSValueToStringCopy(ctx, v, &exc);
	if (!s)
		return NULL;
	char *r = jsval_utf8(s, max, len, NULL);
	JSStringRelease(s);
	return r;
}

/* --- values and properties ---------------------------------------------- */

const unsigned char *jsval_u8_bytes(JSContextRef ctx, JSObjectRef o, size_t *n)
{
	/* JSObjectGetTypedArrayBytesPtr gives the start of the whole buffer,
	 * not of the view (a subarray's bytes start byteOffset into it). */
	*n = JSObjectGetTypedArrayByteLength(ctx, o, NULL);
	size_t off = JSObjectGetTypedArrayByteOffset(ctx, o, NULL);
	JSObjectRef ab = JSObjectGetTypedArrayBuffer(ctx, o, NULL);
	const unsigned char *base = ab ? JSObjectGetArrayBufferBytesPtr(ctx, ab, NULL) : NULL;
	return base && *n ? base + off : (const unsigned char *)"";
}

JSValueRef jsval_str(JSContextRef ctx, const char *s)
{
	JSStringRef js = JSStringCreateWithUTF8CString(s);
	JSValueRef v = JSValueMakeString(ctx, js);
	JSStringRelease(js);
	return v;
}

JSObjectRef jsval_make_fn(JSContextRef ctx, const char *name, JSObjectCallAsFunctionCallback cb)
{
	JSStringRef js = JSStringCreateWithUTF8CString(name);
	JSObjectRef f = JSObjectMakeFunctionWithCallback(ctx, js, cb);
	JSStringRelease(js);
	return f;
}

void jsval_set(JSContextRef ctx, JSObjectRef obj, const char *name, JSValueRef v, unsigned attrs)
{
	JSStringRef js = JSStringCreateWithUTF8CString(name);
	JSObjectSetProperty(ctx, obj, js, v, attrs, NULL);
	JSStringRelease(js);
}

JSValueRef jsval_get(JSContextRef ctx, JSObjectRef obj, const char *name)
{
	JSStringRef js = JSStringCreateWithUTF8CString(name);
	JSValueRef exc = NULL;
	JSValueRef v = JSObjectGetProperty(ctx, obj, js, &exc);
	JSStringRelease(js);
	return exc ? NULL : v;
}

JSValueRef jsval_throw(JSContextRef ctx, JSValueRef *exception, const char *ctor, const char *msg)
{
	JSObjectRef global = JSContextGetGlobalObject(ctx);
	JSValueRef c = jsval_get(ctx, global, ctor);
	JSValueRef arg = jsval_str(ctx, msg);
	JSValueRef err = NULL;
	if (c && JSValueIsObject(ctx, c))
		err = JSObjectCallAsConstructor(ctx, (JSObjectRef)c, 1, &arg, NULL);
	*exception = err ? err : arg;
	return JSValueMakeUndefined(ctx);
}

JSValueRef jsval_eval(JSContextRef ctx, const char *src, size_t n, const char *url, JSValueRef *exc)
{
	JSStringRef s = jsval_from_utf8(src, n);
	JSStringRef u = JSStringCreateWithUTF8CString(url);
	JSValueRef v = JSEvaluateScript(ctx, s, NULL, u, 1, exc);
	JSStringRelease(u);
	JSStringRelease(s);
	return v;
}
