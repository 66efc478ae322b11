/* host_invoke — function mode: one HTTP request into the package's handler.
 *
 * The runtime's invoke(entry, request, sink) does the JavaScript side (the
 * Express-style req/res or the fetch-style Request/Response); this file
 * builds the request object from the EXEC frame and gives it the sink: three
 * native functions that send the response to the supervisor as it is
 * produced (RESPONSE_HEAD once, RESPONSE_BODY chunks, then the RESULT frame
 * ends it). The sink refuses anything after the end and anything before the
 * head, and validates header names and values: the supervisor trusts the
 * frames no more than that (it checks them again). */
#include "worker/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_CHUNK (256u << 10)

static bool token_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", *s))
			return false;
	return true;
}

static int send_frame(struct exec *x, struct buf *b)
{
	if (ipc_enc_end(b))
		return -1;
	host_output_flush(x);
	return x->io && x->io->send ? x->io->send(x->io->ud, b->data, b->len) : -1;
}

static JSValueRef sink_head(struct exec *x, JSContextRef ctx, JSObjectRef self,
			    size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (!x->req->function)
		return JSValueMakeUndefined(ctx);
	if (x->resp_head_sent)
		return jsval_throw(ctx, exc, "Error", "the response head was already sent");
	double status = argc ? JSValueToNumber(ctx, argv[0], NULL) : 200;
	if (!(status >= 100 && status <= 999) || status != (int)status)
		return jsval_throw(ctx, exc, "RangeError", "invalid status code");
	struct buf b = BUF_INIT(IPC_MAX_FRAME);
	ipc_enc_begin(&b, IPC_MSG_RESPONSE_HEAD);
	ipc_enc_u64(&b, IPC_T_SLOT, x->req->slot);
	ipc_enc_u64(&b, IPC_T_STATUS_CODE, (uint64_t)status);
	if (argc > 1 && JSValueIsArray(ctx, argv[1])) {
		JSObjectRef arr = (JSObjectRef)argv[1];
		JSValueRef lv = jsval_get(ctx, arr, "length");
		unsigned n = lv ? (unsigned)JSValueToNumber(ctx, lv, NULL) : 0;
		if (n > 512 || n % 2) {
			buf_release(&b);
			return jsval_throw(ctx, exc, "TypeError", "headers must be [name, value, …], at most 256");
		}
		for (unsigned i = 0; i + 1 < n; i += 2) {
			size_t nlen = 0, vlen = 0;
			char *name = jsval_to_cstr(ctx, JSObjectGetPropertyAtIndex(ctx, arr, i, NULL), 256, &nlen);
			char *val = jsval_to_cstr(ctx, JSObjectGetPropertyAtIndex(ctx, arr, i + 1, NULL), 8192, &vlen);
			/* No control characters (NUL included: a C string would
			 * silently cut there), no CR/LF header splitting. */
			bool ok = name && val && strlen(name) == nlen && strlen(val) == vlen && token_ok(name);
			for (size_t k = 0; ok && k < vlen; k++)
				if (((unsigned char)val[k] < 0x20 && val[k] != '\t') || val[k] == 0x7f)
					ok = false;
			/* Framing is the HTTP server's: these are dropped, not sent. */
			bool framing = ok && (!strcasecmp(name, "content-length") ||
					      !strcasecmp(name, "transfer-encoding") || !strcasecmp(name, "connection"));
			if (ok && !framing) {
				char line[8500];
				int len = snprintf(line, sizeof line, "%s: %s", name, val);
				ipc_enc_bytes(&b, IPC_T_HEADER, line, (size_t)len);
			}
			free(name);
			free(val);
			if (!ok) {
				buf_release(&b);
				return jsval_throw(ctx, exc, "TypeError", "invalid header name or value");
			}
		}
	}
	x->resp_head_sent = true;
	send_frame(x, &b);
	buf_release(&b);
	return JSValueMakeUndefined(ctx);
}

static JSValueRef sink_write(struct exec *x, JSContextRef ctx, JSObjectRef self,
			     size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (!x->req->function)
		return JSValueMakeUndefined(ctx);
	if (!x->resp_head_sent || x->resp_ended)
		return jsval_throw(ctx, exc, "Error", "write before the head or after the end");
	if (argc < 1 || !JSValueIsObject(ctx, argv[0]) ||
	    JSValueGetTypedArrayType(ctx, argv[0], NULL) != kJSTypedArrayTypeUint8Array)
		return jsval_throw(ctx, exc, "TypeError", "write needs a Uint8Array");
	size_t n;
	const char *p = (const char *)jsval_u8_bytes(ctx, (JSObjectRef)argv[0], &n);
	uint64_t room = x->req->output_cap > x->out_total ? x->req->output_cap - x->out_total : 0;
	if (n > room) {
		/* The response body counts against the output cap too. */
		n = (size_t)room;
		x->res->truncated = true;
		x->term = TERM_OUTPUT;
	}
	x->out_total += n;
	while (n) {
		size_t k = n < BODY_CHUNK ? n : BODY_CHUNK;
		struct buf b = BUF_INIT(IPC_MAX_FRAME);
		ipc_enc_begin(&b, IPC_MSG_RESPONSE_BODY);
		ipc_enc_u64(&b, IPC_T_SLOT, x->req->slot);
		ipc_enc_bytes(&b, IPC_T_DATA, p, k);
		send_frame(x, &b);
		buf_release(&b);
		p += k;
		n -= k;
	}
	return JSValueMakeUndefined(ctx);
}

static JSValueRef sink_end(struct exec *x, JSContextRef ctx, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (!x->req->function)
		return JSValueMakeUndefined(ctx);
	if (!x->resp_head_sent)
		return jsval_throw(ctx, exc, "Error", "end before the head");
	x->resp_ended = true;
	return JSValueMakeUndefined(ctx);
}

/* The request as the runtime's invoke() takes it. */
static JSObjectRef make_request(struct exec *x)
{
	JSContextRef ctx = x->ctx;
	const struct exec_req *r = x->req;
	JSObjectRef o = JSObjectMake(ctx, NULL, NULL);
	const char *url = r->http.url ? r->http.url : "/";
	const char *q = strchr(url, '?');
	jsval_set(ctx, o, "method", jsval_str(ctx, r->http.method ? r->http.method : "GET"), 0);
	jsval_set(ctx, o, "url", jsval_str(ctx, url), 0);
	jsval_set(ctx, o, "path", jsval_str(ctx, r->http.path ? r->http.path : "/"), 0);
	jsval_set(ctx, o, "query", jsval_str(ctx, q ? q + 1 : ""), 0);
	jsval_set(ctx, o, "ip", jsval_str(ctx, r->http.client_ip ? r->http.client_ip : ""), 0);
	jsval_set(ctx, o, "protocol", jsval_str(ctx, "http"), 0);
	jsval_set(ctx, o, "executionId", jsval_str(ctx, r->id), 0);
	jsval_set(ctx, o, "params", JSObjectMake(ctx, NULL, NULL), 0);
	/* Straight into a JS array (see host_fetch_result: malloc'd memory is
	 * not scanned by the GC). */
	JSObjectRef hv = JSObjectMakeArray(ctx, 0, NULL, NULL);
	unsigned nh = 0;
	const char *host = "";
	for (size_t i = 0; hv && i < r->http.nheaders; i++) {
		const char *line = r->http.headers[i];
		const char *colon = strchr(line, ':');
		if (!colon)
			continue;
		char *name = strndup(line, (size_t)(colon - line));
		if (!name)
			continue;
		for (char *c = name; *c; c++)
			*c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		if (!strcmp(name, "host"))
			host = v;
		JSObjectSetPropertyAtIndex(ctx, hv, nh++, jsval_str(ctx, name), NULL);
		JSObjectSetPropertyAtIndex(ctx, hv, nh++, jsval_str(ctx, v), NULL);
		free(name);
	}
	jsval_set(ctx, o, "headers", hv ? (JSValueRef)hv : JSValueMakeNull(ctx), 0);
	char hostname[256];
	snprintf(hostname, sizeof hostname, "%s", host);
	if (hostname[0] == '[') /* [v6]:port */
		hostname[strcspn(hostname, "]") + (strchr(hostname, ']') ? 1 : 0)] = '\0';
	else
		hostname[strcspn(hostname, ":")] = '\0';
	jsval_set(ctx, o, "hostname", jsval_str(ctx, hostname), 0);
	if (r->http.has_body) {
		JSObjectRef u8 = JSObjectMakeTypedArray(ctx, kJSTypedArrayTypeUint8Array, r->http.body_len, NULL);
		void *dst = u8 && r->http.body_len ? JSObjectGetTypedArrayBytesPtr(ctx, u8, NULL) : NULL;
		if (dst)
			memcpy(dst, r->http.body, r->http.body_len);
		jsval_set(ctx, o, "body", u8 ? (JSValueRef)u8 : JSValueMakeNull(ctx), 0);
	} else {
		jsval_set(ctx, o, "body", JSValueMakeNull(ctx), 0);
	}
	return o;
}

JSValueRef host_invoke(struct exec *x, JSObjectRef rt, JSValueRef *exc)
{
	JSContextRef ctx = x->ctx;
	JSValueRef invoke = jsval_get(ctx, rt, "invoke");
	if (!invoke || !JSValueIsObject(ctx, invoke) || !JSObjectIsFunction(ctx, (JSObjectRef)invoke)) {
		*exc = jsval_str(ctx, "the runtime has no invoke()");
		return NULL;
	}
	JSObjectRef sink = JSObjectMake(ctx, NULL, NULL);
	/* Bound to x: the invocations share one context, and another
	 * invocation's turn may run this one's continuation. */
	jsval_set(ctx, sink, "head", exec_bind_fn(x, "head", sink_head), 0);
	jsval_set(ctx, sink, "write", exec_bind_fn(x, "write", sink_write), 0);
	jsval_set(ctx, sink, "end", exec_bind_fn(x, "end", sink_end), 0);
	char entry[1100];
	snprintf(entry, sizeof entry, "/%s", x->eng->pkg_entry);
	JSValueRef args[3] = { jsval_str(ctx, entry), make_request(x), sink };
	return JSObjectCallAsFunction(ctx, (JSObjectRef)invoke, rt, 3, args, exc);
}
