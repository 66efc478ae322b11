/* jsval — small helpers between C and JavaScriptCore values, used by the
 * engine and every host_*.c module: UTF-8 to and from JS strings (lone
 * surrogates and invalid bytes become U+FFFD), property access by C string,
 * functions made from C callbacks, and throwing a named error.
 *
 * Ownership follows JSC's rule: what these return as JSStringRef the caller
 * releases; char * results are the caller's to free. */
#ifndef CORRAL_JSVAL_H
#define CORRAL_JSVAL_H

#include <JavaScriptCore/JavaScript.h>
#include <stdbool.h>
#include <stddef.h>

/* Caller releases. Decodes as the WHATWG Encoding standard does: an
 * ill-formed sequence becomes one U+FFFD per maximal subpart. */
JSStringRef jsval_from_utf8(const char *p, size_t n);

/* The bytes of the typed array o (borrowed; valid while o is) and their
 * count in *n; "" when there are none. */
const unsigned char *jsval_u8_bytes(JSContextRef ctx, JSObjectRef o, size_t *n);
bool jsval_utf8_valid(const char *p, size_t n);
/* Caller frees. Converts at most max bytes of UTF-8 (lone surrogates become
 * U+FFFD); *cut says whether the string was longer. */
char *jsval_utf8(JSStringRef s, size_t max, size_t *len, bool *cut);
/* Caller frees. ToString of v, or NULL if that threw. */
char *jsval_to_cstr(JSContextRef ctx, JSValueRef v, size_t max, size_t *len);
JSValueRef jsval_str(JSContextRef ctx, const char *s);
JSObjectRef jsval_make_fn(JSContextRef ctx, const char *name, JSObjectCallAsFunctionCallback cb);
void jsval_set(JSContextRef ctx, JSObjectRef obj, const char *name, JSValueRef v, unsigned attrs);
/* obj[name], or NULL when the read threw. */
JSValueRef jsval_get(JSContextRef ctx, JSObjectRef obj, const char *name);
/* Sets *exception to new globalThis[ctor](msg) (or msg itself when that
 * fails) and returns undefined: `return jsval_throw(...)` from a callback. */
JSValueRef jsval_throw(JSContextRef ctx, JSValueRef *exception, const char *ctor, const char *msg);
/* Evaluates UTF-8 source as a script named url. */
JSValueRef jsval_eval(JSContextRef ctx, const char *src, size_t n, const char *url, JSValueRef *exc);

#endif
