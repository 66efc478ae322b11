/* host_crypto_args — argument and result helpers shared by host_crypto.c
 * and host_crypto_sym.c: each host function takes Uint8Arrays, strings and
 * numbers, throws a TypeError for anything else, and answers null when
 * OpenSSL refuses (see host_crypto.c). Header-only (static inline). */
#ifndef CORRAL_HOST_CRYPTO_ARGS_H
#define CORRAL_HOST_CRYPTO_ARGS_H

#include <JavaScriptCore/JavaScript.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "worker/jsval.h"

#define HOST_CRYPTO_NAME_MAX 64

static inline JSValueRef type_error(JSContextRef ctx, JSValueRef *exc, const char *fn)
{
	char msg[128];
	snprintf(msg, sizeof msg, "host.crypto.%s: bad arguments", fn);
	return jsval_throw(ctx, exc, "TypeError", msg);
}

static inline bool u8_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[], size_t i,
		   const unsigned char **p, size_t *n)
{
	if (i >= argc || !JSValueIsObject(ctx, argv[i]) ||
	    JSValueGetTypedArrayType(ctx, argv[i], NULL) != kJSTypedArrayTypeUint8Array)
		return false;
	*p = jsval_u8_bytes(ctx, (JSObjectRef)argv[i], n);
	return *n <= INT_MAX / 2;
}

/* A Uint8Array, or null/undefined for none (p NULL, n 0). */
static inline bool opt_u8_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[], size_t i,
		       const unsigned char **p, size_t *n)
{
	if (i >= argc || JSValueIsNull(ctx, argv[i]) || JSValueIsUndefined(ctx, argv[i])) {
		*p = NULL;
		*n = 0;
		return true;
	}
	return u8_arg(ctx, argc, argv, i, p, n);
}

/* Copies a string argument into buf; "" for null/undefined. */
static inline bool str_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[], size_t i, char *buf, size_t size)
{
	buf[0] = 0;
	if (i >= argc || JSValueIsNull(ctx, argv[i]) || JSValueIsUndefined(ctx, argv[i]))
		return true;
	if (!JSValueIsString(ctx, argv[i]))
		return false;
	size_t len = 0;
	bool cut = false;
	JSStringRef js = JSValueToStringCopy(ctx, argv[i], NULL);
	char *s = js ? jsval_utf8(js, size - 1, &len, &cut) : NULL;
	if (js)
		JSStringRelease(js);
	if (!s || cut || strlen(s) != len) {
		free(s);
		return false;
	}
	memcpy(buf, s, len + 1);
	free(s);
	return true;
}

static inline bool num_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[], size_t i, double *d)
{
	if (i >= argc || !JSValueIsNumber(ctx, argv[i]))
		return false;
	*d = JSValueToNumber(ctx, argv[i], NULL);
	return true;
}

static inline bool bool_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[], size_t i)
{
	return i < argc && JSValueToBoolean(ctx, argv[i]);
}

static inline JSValueRef u8_result(JSContextRef ctx, const unsigned char *p, size_t n, JSValueRef *exc)
{
	JSObjectRef a = JSObjectMakeTypedArray(ctx, kJSTypedArrayTypeUint8Array, n, exc);
	if (!a)
		return JSValueMakeUndefined(ctx);
	if (n) {
		void *dst = JSObjectGetTypedArrayBytesPtr(ctx, a, exc);
		if (dst)
			memcpy(dst, p, n);
	}
	return a;
}

/* The result of a failed OpenSSL operation. */
static inline JSValueRef refused(JSContextRef ctx)
{
	ERR_clear_error();
	return JSValueMakeNull(ctx);
}

#endif
