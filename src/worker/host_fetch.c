/* host_fetch — host.fetch(url, method, headers, body, cb): one HTTP request
 * through the supervisor (egress.c), which applies the allowlist.
 *
 * The worker holds no socket: the request goes out as a FETCH frame and the
 * answer comes back as a FETCH_RESULT frame while the execution's event loop
 * waits; cb(error, status, statusText, headers, body, more) is called then,
 * with error a string (refusals, network errors) or null and headers a flat
 * [name, value, …] array. When more is true the body is still arriving: cb
 * is called again for each FETCH_CHUNK, as cb(error, -1, "", null, bytes,
 * more), the last time with more false (and error set if the transfer
 * failed). host.fetch returns the request's id; host.fetchAbort(id) gives
 * it up (a reader that cancelled): the supervisor stops the transfer and cb
 * is not called again. Pending requests keep the execution alive like
 * timers do, a streamed body only while a read of it waits (host.fetchWant,
 * from the stream's pull); at the deadline, or when the execution ends,
 * they are dropped and a body still streaming is aborted. */
#include "worker/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

#define FETCH_BODY_MAX (16u << 20)

static uint64_t next_fetch_id = 1;

static bool header_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

/* Appends "Name: value" for one [name, value] pair. */
static int put_header(JSContextRef ctx, struct buf *b, JSValueRef name, JSValueRef value)
{
	if (!JSValueIsString(ctx, name) || !JSValueIsString(ctx, value))
		return -1;
	char *n = jsval_to_cstr(ctx, name, 1024, NULL);
	char *v = jsval_to_cstr(ctx, value, 8192, NULL);
	int rc = -1;
	if (n && v && n[0] && header_ok(n) && header_ok(v) && !strchr(n, ':')) {
		char line[9300];
		int len = snprintf(line, sizeof line, "%s: %s", n, v);
		rc = ipc_enc_bytes(b, IPC_T_HEADER, line, (size_t)len) ? -1 : 0;
	}
	free(n);
	free(v);
	return rc;
}

JSValueRef host_fetch_call(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	if (!x || !x->io || !x->io->send)
		return jsval_throw(ctx, exc, "TypeError", "fetch is not available");
	if (argc < 5 || !JSValueIsString(ctx, argv[0]) || !JSValueIsString(ctx, argv[1]) ||
	    !JSValueIsObject(ctx, argv[4]) || !JSObjectIsFunction(ctx, (JSObjectRef)argv[4]))
		return jsval_throw(ctx, exc, "TypeError", "fetch(url, method, headers, body, callback)");
	if (x->nfetches == ENGINE_MAX_FETCHES)
		return jsval_throw(ctx, exc, "RangeError", "too many fetches in flight (32)");
	char *url = jsval_to_cstr(ctx, argv[0], 8193, NULL);
	char *method = jsval_to_cstr(ctx, argv[1], 17, NULL);
	struct buf b = BUF_INIT(IPC_MAX_FRAME + IPC_HEADER_LEN);
	JSValueRef result = JSValueMakeUndefined(ctx);
	const char *bad = NULL;
	if (!url || strlen(url) > 8192 || !header_ok(url))
		bad = "fetch: the URL is too long or malformed";
	else if (!method || !method[0] || strlen(method) > 16 || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != strlen(method))
		bad = "fetch: the method must be a token like GET or POST";
	uint64_t id = next_fetch_id++;
	ipc_enc_begin(&b, IPC_MSG_FETCH);
	ipc_enc_u64(&b, IPC_T_SLOT, x->req->slot);
	ipc_enc_u64(&b, IPC_T_FETCH_ID, id);
	if (!bad) {
		ipc_enc_str(&b, IPC_T_URL, url);
		ipc_enc_str(&b, IPC_T_METHOD, method);
	}
	/* Headers: a flat array [name, value, name, value, …], or an array
	 * of [name, value] pairs. */
	if (!bad && JSValueIsArray(ctx, argv[2])) {
		JSObjectRef arr = (JSObjectRef)argv[2];
		JSValueRef lenv = jsval_get(ctx, arr, "length");
		unsigned n = lenv ? (unsigned)JSValueToNumber(ctx, lenv, NULL) : 0;
		JSValueRef first = n ? JSObjectGetPropertyAtIndex(ctx, arr, 0, NULL) : NULL;
		bool pairs = first && JSValueIsArray(ctx, first);
		if (n > 512 || (!pairs && n % 2))
			bad = "fetch: headers must be [name, value, …] (at most 256)";
		for (unsigned i = 0; i < n && !bad; i += pairs ? 1 : 2) {
			JSValueRef nm, vl;
			if (pairs) {
				JSValueRef pair = JSObjectGetPropertyAtIndex(ctx, arr, i, NULL);
				if (!pair || !JSValueIsArray(ctx, pair)) {
					bad = "fetch: headers must be [name, value] pairs";
					break;
				}
				nm = JSObjectGetPropertyAtIndex(ctx, (JSObjectRef)pair, 0, NULL);
				vl = JSObjectGetPropertyAtIndex(ctx, (JSObjectRef)pair, 1, NULL);
			} else {
				nm = JSObjectGetPropertyAtIndex(ctx, arr, i, NULL);
				vl = JSObjectGetPropertyAtIndex(ctx, arr, i + 1, NULL);
			}
			if (put_header(ctx, &b, nm, vl))
				bad = "fetch: a header name or value is invalid";
		}
	} else if (!bad && !JSValueIsUndefined(ctx, argv[2]) && !JSValueIsNull(ctx, argv[2])) {
		bad = "fetch: headers must be an array of [name, value] pairs";
	}
	if (!bad && !JSValueIsNull(ctx, argv[3]) && !JSValueIsUndefined(ctx, argv[3])) {
		if (!JSValueIsObject(ctx, argv[3]) ||
		    JSValueGetTypedArrayType(ctx, argv[3], NULL) != kJSTypedArrayTypeUint8Array) {
			bad = "fetch: the body must be a Uint8Array or null";
		} else {
			size_t n;
			const void *p = jsval_u8_bytes(ctx, (JSObjectRef)argv[3], &n);
			if (n > FETCH_BODY_MAX)
				bad = "fetch: the body is over 16 MiB";
			else
				ipc_enc_bytes(&b, IPC_T_BODY, p ? p : "", n);
		}
	}
	if (bad) {
		result = jsval_throw(ctx, exc, "TypeError", bad);
		goto out;
	}
	uint64_t now = clock_mono_ns();
	ipc_enc_u64(&b, IPC_T_TIMEOUT_MS, x->deadline_ns > now ? (x->deadline_ns - now) / 1000000 + 1 : 1);
	if (ipc_enc_end(&b) || x->io->send(x->io->ud, b.data, b.len)) {
		result = jsval_throw(ctx, exc, "TypeError", "fetch: cannot reach the supervisor");
		goto out;
	}
	if (idmap_put(&x->eng->fetches, id, x)) {
		result = jsval_throw(ctx, exc, "RangeError", "out of memory for fetches");
		goto out;
	}
	x->fetches[x->nfetches].id = id;
	x->fetches[x->nfetches].cb = (JSObjectRef)argv[4];
	x->fetches[x->nfetches].streaming = false;
	x->fetches[x->nfetches].wanted = false;
	JSValueProtect(ctx, argv[4]);
	x->nfetches++;
	result = JSValueMakeNumber(ctx, (double)id);
out:
	buf_release(&b);
	free(url);
	free(method);
	return result;
}

/* Tells the supervisor to stop fetch id (best effort: a lost frame only
 * lets the transfer run to its end). */
static void send_abort(struct exec *x, uint64_t id)
{
	struct buf b = BUF_INIT(IPC_HEADER_LEN + 64);
	ipc_enc_begin(&b, IPC_MSG_FETCH_ABORT);
	ipc_enc_u64(&b, IPC_T_SLOT, x->req->slot);
	ipc_enc_u64(&b, IPC_T_FETCH_ID, id);
	if (!ipc_enc_end(&b))
		x->io->send(x->io->ud, b.data, b.len);
	buf_release(&b);
}

static void drop_pending(struct exec *x, unsigned i)
{
	idmap_del(&x->eng->fetches, x->fetches[i].id);
	JSValueUnprotect(x->ctx, x->fetches[i].cb);
	x->fetches[i] = x->fetches[--x->nfetches];
}

JSValueRef host_fetch_abort_call(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	if (!x || argc < 1 || !JSValueIsNumber(ctx, argv[0]))
		return jsval_throw(ctx, exc, "TypeError", "fetchAbort(id)");
	uint64_t id = (uint64_t)JSValueToNumber(ctx, argv[0], NULL);
	for (unsigned i = 0; i < x->nfetches; i++) {
		if (x->fetches[i].id != id)
			continue;
		send_abort(x, id);
		drop_pending(x, i);
		break;
	}
	return JSValueMakeUndefined(ctx);
}

/* host.fetchWant(id): a read of fetch id's streamed body waits (the
 * stream's pull): until its next chunk, the fetch keeps the execution
 * alive. */
JSValueRef host_fetch_want_call(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	if (!x || argc < 1 || !JSValueIsNumber(ctx, argv[0]))
		return jsval_throw(ctx, exc, "TypeError", "fetchWant(id)");
	uint64_t id = (uint64_t)JSValueToNumber(ctx, argv[0], NULL);
	for (unsigned i = 0; i < x->nfetches; i++)
		if (x->fetches[i].id == id)
			x->fetches[i].wanted = true;
	return JSValueMakeUndefined(ctx);
}

unsigned host_fetch_waiting(const struct exec *x)
{
	unsigned n = 0;
	for (unsigned i = 0; i < x->nfetches; i++)
		n += !x->fetches[i].streaming || x->fetches[i].wanted;
	return n;
}

/* A FETCH_CHUNK: more of a streamed body, or its end. */
static void fetch_chunk(struct exec *x, unsigned i, const struct ipc_msg *m)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef cb = x->fetches[i].cb;
	bool more = ipc_get_u64(m, IPC_T_MORE, 0) != 0;
	/* This chunk answers the read that waited; another read says so. */
	x->fetches[i].wanted = false;
	JSValueRef args[6];
	const struct ipc_field *err = ipc_get(m, IPC_T_ERROR);
	if (err) {
		JSStringRef s = jsval_from_utf8(err->data, err->len);
		args[0] = JSValueMakeString(ctx, s);
		JSStringRelease(s);
	} else {
		args[0] = JSValueMakeNull(ctx);
	}
	args[1] = JSValueMakeNumber(ctx, -1);
	args[2] = JSValueMakeString(ctx, NULL);
	args[3] = JSValueMakeNull(ctx);
	const struct ipc_field *body = ipc_get(m, IPC_T_BODY);
	size_t bl = body ? body->len : 0;
	JSObjectRef u8 = JSObjectMakeTypedArray(ctx, kJSTypedArrayTypeUint8Array, bl, NULL);
	if (u8 && bl) {
		void *dst = JSObjectGetTypedArrayBytesPtr(ctx, u8, NULL);
		if (dst)
			memcpy(dst, body->data, bl);
	}
	args[4] = u8 ? (JSValueRef)u8 : JSValueMakeNull(ctx);
	args[5] = JSValueMakeBoolean(ctx, more);
	/* The callback stays protected through the call even when this is
	 * the end: unprotected after it. */
	JSValueProtect(ctx, cb);
	if (!more)
		drop_pending(x, i);
	JSValueRef exc = NULL;
	JSObjectCallAsFunction(ctx, cb, NULL, 6, args, &exc);
	JSValueUnprotect(ctx, cb);
	if (exc && x->term == TERM_NONE)
		exec_uncaught(x, exc);
}

void host_fetch_result(struct exec *x, const struct ipc_msg *m)
{
	uint64_t id = ipc_get_u64(m, IPC_T_FETCH_ID, 0);
	unsigned i;
	for (i = 0; i < x->nfetches && x->fetches[i].id != id; i++)
		;
	if (i == x->nfetches)
		return; /* an answer for an execution that is over, or a fetch given up */
	if (m->type == IPC_MSG_FETCH_CHUNK) {
		if (x->fetches[i].streaming)
			fetch_chunk(x, i, m);
		return;
	}
	if (x->fetches[i].streaming)
		return; /* a second head: not from a supervisor that follows the protocol */
	JSObjectRef cb = x->fetches[i].cb;
	bool more = ipc_get_u64(m, IPC_T_MORE, 0) != 0 && !ipc_get(m, IPC_T_ERROR);
	if (more) {
		/* The body is on its way: the request stays pending (and keeps
		 * the execution alive) until its last chunk. */
		x->fetches[i].streaming = true;
		x->fetches[i].wanted = false;
		JSValueProtect(x->ctx, cb);
	} else {
		idmap_del(&x->eng->fetches, id);
		x->fetches[i] = x->fetches[--x->nfetches];
	}
	JSContextRef ctx = x->ctx;
	JSValueRef args[6];
	const struct ipc_field *err = ipc_get(m, IPC_T_ERROR);
	if (err) {
		JSStringRef s = jsval_from_utf8(err->data, err->len);
		args[0] = JSValueMakeString(ctx, s);
		JSStringRelease(s);
	} else {
		args[0] = JSValueMakeNull(ctx);
	}
	args[1] = JSValueMakeNumber(ctx, (double)ipc_get_u64(m, IPC_T_STATUS_CODE, 0));
	const struct ipc_field *st = ipc_get(m, IPC_T_STATUS_TEXT);
	JSStringRef sts = jsval_from_utf8(st ? st->data : "", st ? st->len : 0);
	args[2] = JSValueMakeString(ctx, sts);
	JSStringRelease(sts);
	/* Values go straight into a JS array: one kept only in malloc'd
	 * memory is invisible to JSC's conservative GC and may be collected
	 * before it is used. */
	JSObjectRef headers = JSObjectMakeArray(ctx, 0, NULL, NULL);
	unsigned np = 0;
	for (unsigned k = 0; headers && k < m->nfields; k++) {
		const struct ipc_field *f = &m->fields[k];
		if (f->tag != IPC_T_HEADER)
			continue;
		const char *colon = memchr(f->data, ':', f->len);
		if (!colon)
			continue;
		size_t nl = (size_t)(colon - f->data);
		const char *v = colon + 1;
		size_t vl = f->len - nl - 1;
		while (vl && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		JSStringRef ns = jsval_from_utf8(f->data, nl);
		JSStringRef vs = jsval_from_utf8(v, vl);
		JSObjectSetPropertyAtIndex(ctx, headers, np++, JSValueMakeString(ctx, ns), NULL);
		JSObjectSetPropertyAtIndex(ctx, headers, np++, JSValueMakeString(ctx, vs), NULL);
		JSStringRelease(ns);
		JSStringRelease(vs);
	}
	/* A flat [name, value, name, value, …] array, as the runtime wants. */
	args[3] = headers ? (JSValueRef)headers : JSValueMakeNull(ctx);
	const struct ipc_field *body = ipc_get(m, IPC_T_BODY);
	size_t bl = body ? body->len : 0;
	JSObjectRef u8 = JSObjectMakeTypedArray(ctx, kJSTypedArrayTypeUint8Array, bl, NULL);
	if (u8 && bl) {
		void *dst = JSObjectGetTypedArrayBytesPtr(ctx, u8, NULL);
		if (dst)
			memcpy(dst, body->data, bl);
	}
	args[4] = u8 ? (JSValueRef)u8 : JSValueMakeNull(ctx);
	args[5] = JSValueMakeBoolean(ctx, more);
	JSValueRef exc = NULL;
	JSObjectCallAsFunction(ctx, cb, NULL, 6, args, &exc);
	JSValueUnprotect(ctx, cb);
	if (exc && x->term == TERM_NONE)
		exec_uncaught(x, exc);
}

void host_fetch_clear(struct exec *x)
{
	for (unsigned i = 0; i < x->nfetches; i++) {
		/* A body still streaming when the execution ends: stop it. */
		if (x->fetches[i].streaming && x->io && x->io->send)
			send_abort(x, x->fetches[i].id);
		idmap_del(&x->eng->fetches, x->fetches[i].id);
		JSValueUnprotect(x->ctx, x->fetches[i].cb);
	}
	x->nfetches = 0;
}
