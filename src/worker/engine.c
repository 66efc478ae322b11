/* engine — see engine.h for the theory of operation. */
#include "worker/engine_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/clock.h"
#include "common/json.h"
#include "worker/host_fs.h"

#include <openssl/evp.h>

/* From JSC's GLib API (jsc/jsc-options.h), declared here to keep GLib's
 * headers out: options must be set before the first VM exists. */
int jsc_options_set_boolean(const char *option, int value);

#define RESULT_CAP (1u << 20)
#define ERROR_TEXT_CAP 16384

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

JSStringRef engine__jsstr_from_utf8(const char *p, size_t n)
{
	JSChar *u = malloc((n ? n : 1) * sizeof *u);
	if (!u)
		return NULL;
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, o = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_next(s + i, n - i, &cp);
		if (!len) {
			cp = 0xfffd;
			len = 1;
		}
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

bool engine__utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	for (size_t i = 0, len; i < n; i += len)
		if (!(len = utf8_next(s + i, n - i, &cp)))
			return false;
	return true;
}

char *engine__utf8(JSStringRef s, size_t max, size_t *len, bool *cut)
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

char *engine__to_cstr(JSContextRef ctx, JSValueRef v, size_t max, size_t *len)
{
	JSValueRef exc = NULL;
	JSStringRef s = JSValueToStringCopy(ctx, v, &exc);
	if (!s)
		return NULL;
	char *r = engine__utf8(s, max, len, NULL);
	JSStringRelease(s);
	return r;
}

JSValueRef engine__str(JSContextRef ctx, const char *s)
{
	JSStringRef js = JSStringCreateWithUTF8CString(s);
	JSValueRef v = JSValueMakeString(ctx, js);
	JSStringRelease(js);
	return v;
}

JSObjectRef engine__make_fn(JSContextRef ctx, const char *name, JSObjectCallAsFunctionCallback cb)
{
	JSStringRef js = JSStringCreateWithUTF8CString(name);
	JSObjectRef f = JSObjectMakeFunctionWithCallback(ctx, js, cb);
	JSStringRelease(js);
	return f;
}

void engine__set(JSContextRef ctx, JSObjectRef obj, const char *name, JSValueRef v, unsigned attrs)
{
	JSStringRef js = JSStringCreateWithUTF8CString(name);
	JSObjectSetProperty(ctx, obj, js, v, attrs, NULL);
	JSStringRelease(js);
}

JSValueRef engine__get(JSContextRef ctx, JSObjectRef obj, const char *name)
{
	JSStringRef js = JSStringCreateWithUTF8CString(name);
	JSValueRef exc = NULL;
	JSValueRef v = JSObjectGetProperty(ctx, obj, js, &exc);
	JSStringRelease(js);
	return exc ? NULL : v;
}

JSValueRef engine__throw(JSContextRef ctx, JSValueRef *exception, const char *ctor, const char *msg)
{
	JSObjectRef global = JSContextGetGlobalObject(ctx);
	JSValueRef c = engine__get(ctx, global, ctor);
	JSValueRef arg = engine__str(ctx, msg);
	JSValueRef err = NULL;
	if (c && JSValueIsObject(ctx, c))
		err = JSObjectCallAsConstructor(ctx, (JSObjectRef)c, 1, &arg, NULL);
	*exception = err ? err : arg;
	return JSValueMakeUndefined(ctx);
}

void engine__uncaught(struct exec *x, JSValueRef err)
{
	if (x->uncaught)
		return;
	x->uncaught = err ? err : JSValueMakeUndefined(x->ctx);
	JSValueProtect(x->ctx, x->uncaught);
}

/* --- the VM ------------------------------------------------------------- */

static bool watchdog_cb(JSContextRef ctx, void *data)
{
	struct engine *e = data;
	struct exec *x = e->cur;
	if (x && x->term == TERM_NONE && clock_mono_ns() >= x->deadline_ns)
		x->term = TERM_TIMEOUT;
	if (x && x->term != TERM_NONE)
		return true;
	/* JSC does not re-arm a watchdog whose callback declined: setting the
	 * limit again from inside the callback does (it restarts the timer for
	 * the entry in progress). */
	JSContextGroupSetExecutionTimeLimit(e->group, ENGINE_WATCHDOG_SLICE, watchdog_cb, e);
	return false;
}

int engine_new(struct engine **out, const struct engine_opts *opts)
{
	struct engine *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->jit = opts->jit;
	if (!opts->jit) {
		jsc_options_set_boolean("useJIT", 0);
		jsc_options_set_boolean("useDFGJIT", 0);
		jsc_options_set_boolean("useFTLJIT", 0);
		jsc_options_set_boolean("useRegExpJIT", 0);
	}
	/* WebAssembly is off by policy: it widens the JIT surface and no
	 * snippet or function of ours needs it yet. */
	jsc_options_set_boolean("useWebAssembly", 0);
	e->group = JSContextGroupCreate();
	if (!e->group) {
		free(e);
		return -ENOMEM;
	}
	JSContextGroupSetExecutionTimeLimit(e->group, ENGINE_WATCHDOG_SLICE, watchdog_cb, e);
	e->host_ctx = JSGlobalContextCreateInGroup(e->group, NULL);
	if (!e->host_ctx) {
		JSContextGroupRelease(e->group);
		free(e);
		return -ENOMEM;
	}
	*out = e;
	return 0;
}

static void session_drop(struct engine *e)
{
	if (!e->sess_ctx)
		return;
	if (e->sess_obj)
		JSValueUnprotect(e->sess_ctx, e->sess_obj);
	if (e->sess_rt)
		JSValueUnprotect(e->sess_ctx, e->sess_rt);
	JSGlobalContextRelease(e->sess_ctx);
	e->sess_ctx = NULL;
	e->sess_obj = e->sess_rt = NULL;
	e->sess_id[0] = '\0';
	e->sess_seq = 0;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	if (e->tools_ctx) {
		JSValueUnprotect(e->tools_ctx, e->tools);
		JSGlobalContextRelease(e->tools_ctx);
	}
	if (e->rw_ctx) {
		JSValueUnprotect(e->rw_ctx, e->rw);
		JSGlobalContextRelease(e->rw_ctx);
	}
	for (int i = 0; i < ENGINE_SCRIPT__COUNT; i++)
		if (e->scripts[i])
			JSScriptRelease(e->scripts[i]);
	if (e->spare)
		JSGlobalContextRelease(e->spare);
	if (e->fn_ctx) {
		if (e->fn_rt)
			JSValueUnprotect(e->fn_ctx, e->fn_rt);
		JSGlobalContextRelease(e->fn_ctx);
	}
	session_drop(e);
	vfs_free(e->pkg);
	free(e->pkg_entry);
	if (e->on_rejection)
		JSValueUnprotect(e->host_ctx, e->on_rejection);
	JSGlobalContextRelease(e->host_ctx);
	JSContextGroupClearExecutionTimeLimit(e->group);
	JSContextGroupRelease(e->group);
	free(e);
}

static JSValueRef eval_in(JSContextRef ctx, const char *src, size_t n, const char *url, JSValueRef *exc)
{
	JSStringRef s = engine__jsstr_from_utf8(src, n);
	JSStringRef u = JSStringCreateWithUTF8CString(url);
	JSValueRef v = JSEvaluateScript(ctx, s, NULL, u, 1, exc);
	JSStringRelease(u);
	JSStringRelease(s);
	return v;
}

static JSObjectRef engine_rewriter(struct engine *e);
static JSStringRef tools_rewrite(struct engine *e, const char *fname, JSStringRef src);
static JSScriptRef engine_script(struct engine *e, enum engine_script id);

/* A pool worker's first session snippet or top-level await would load the
 * rewriter (~9 ms) and run its parser cold (~5 ms), a session's first
 * context would compile session.js (~4 ms), and a function's first context
 * (or a first runtime global) the runtime bundle (~19 ms): done here
 * instead, in throwaway contexts. Only strings cross into the rewriter. */
static void warm_bundles(struct engine *e, JSGlobalContextRef ctx)
{
	JSStringRef sample = JSStringCreateWithUTF8CString(
		"let a = 1; const {b, c: [d]} = {b: 2, c: [3]}; var e = 4;\n"
		"class C { m() { return a } }\nfunction f() { return `${b}` }\nawait f(); a + b");
	JSStringRef rw = tools_rewrite(e, "rewriteSession", sample);
	if (rw)
		JSStringRelease(rw);
	JSStringRelease(sample);
	/* The runtime bundle's top level, compiled once for the VM (a
	 * function's first context, or a first runtime global, evaluates it). */
	JSScriptRef rt = engine_script(e, ENGINE_SCRIPT_RUNTIME);
	if (rt) {
		JSGlobalContextRef c2 = JSGlobalContextCreateInGroup(e->group, NULL);
		if (c2) {
			JSValueRef exc = NULL;
			JSScriptEvaluate(c2, rt, NULL, &exc);
			JSGlobalContextRelease(c2);
		}
	}
	JSScriptRef ss = engine_script(e, ENGINE_SCRIPT_SESSION);
	if (ss) {
		JSValueRef exc = NULL;
		JSValueRef v = JSScriptEvaluate(ctx, ss, NULL, &exc);
		JSValueRef g = JSContextGetGlobalObject(ctx);
		JSObjectRef obj = v && !exc && JSValueIsObject(ctx, v) ? (JSObjectRef)v : NULL;
		if (!obj)
			return;
		/* The snapshot and restore paths too, over a few values of
		 * each kind (a restore of 100 bindings cold: ~14 ms; warm: ~0.5). */
		static const char vals[] =
			"var w1 = 1, w2 = 'two', w3 = [1, [2]], w4 = {a: {b: null}}, w5 = new Map([[1, 2]]),"
			" w6 = new Set([1]), w7 = new Date(0), w8 = /x/g, w9 = new Uint8Array(4), w10 = 2n,"
			" w11 = -0, w12 = undefined, w13 = function () {}, w14 = new Float64Array(2);";
		JSValueRef args[1] = { g }, r = NULL;
		exc = NULL;
		JSValueRef fn = engine__get(ctx, obj, "init");
		if (fn && JSValueIsObject(ctx, fn))
			JSObjectCallAsFunction(ctx, (JSObjectRef)fn, NULL, 1, args, &exc);
		eval_in(ctx, vals, sizeof vals - 1, "corral:warm", &exc);
		fn = engine__get(ctx, obj, "snapshot");
		args[0] = JSValueMakeNumber(ctx, 1 << 20);
		if (!exc && fn && JSValueIsObject(ctx, fn))
			r = JSObjectCallAsFunction(ctx, (JSObjectRef)fn, NULL, 1, args, &exc);
		fn = engine__get(ctx, obj, "restore");
		if (!exc && r && JSValueIsString(ctx, r) && fn && JSValueIsObject(ctx, fn))
			JSObjectCallAsFunction(ctx, (JSObjectRef)fn, NULL, 1, &r, &exc);
	}
}

int engine_warm(struct engine *e, bool full)
{
	static const char light[] = "new Date(0).toString(); JSON.stringify([1])";
	static const char warm[] =
		"var s = 0; for (let i = 0; i < 300000; i++) s += i % 7;"
		"var a = []; for (let i = 0; i < 20000; i++) a.push({i, s: 'x' + i});"
		"/(a+)+b/.test('aaab'); 'abc'.replace(/b/g, 'c');"
		"new Intl.NumberFormat('en-US').format(1234.5); (1234.5).toLocaleString();"
		"new Date(0).toString(); new Date().toISOString(); JSON.stringify(a.slice(0, 10));"
		"Math.random(); [3, 1, 2].sort(); new Map([[1, 2]]); String(Symbol('x'));"
		"(async () => { await null; })(); s";
	/* OpenSSL picks its digest implementations on first use (and may look
	 * for its configuration file): before the sandbox closes. */
	if (full) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen;
		EVP_Digest("", 0, md, &mdlen, EVP_sha256(), NULL);
		EVP_Digest("", 0, md, &mdlen, EVP_sha1(), NULL);
		EVP_Digest("", 0, md, &mdlen, EVP_sha384(), NULL);
		EVP_Digest("", 0, md, &mdlen, EVP_sha512(), NULL);
	}
	JSGlobalContextRef ctx = JSGlobalContextCreateInGroup(e->group, NULL);
	if (!ctx)
		return -ENOMEM;
	JSValueRef exc = NULL, exc2 = NULL;
	if (full) {
		eval_in(ctx, warm, sizeof warm - 1, "corral:warm", &exc);
		eval_in(ctx, corral_js_inspect, corral_js_inspect_len, "corral:inspect", &exc2);
		warm_bundles(e, ctx);
		JSGarbageCollect(ctx);
	} else {
		eval_in(ctx, light, sizeof light - 1, "corral:warm", &exc);
	}
	JSGlobalContextRelease(ctx);
	return exc || exc2 ? -EINVAL : 0;
}

/* The tools context: a separate global that holds the embedded tools bundle
 * (the top-level-await rewrite). Only strings cross into it, never a user
 * value, so user code cannot reach or alter it. */
/* Evaluates a bundle in a context of its own; *ctx and *obj are set and
 * protected on success. */
static JSObjectRef own_context(struct engine *e, const char *src, size_t n, const char *url,
			       JSGlobalContextRef *ctx, JSObjectRef *obj)
{
	if (*obj)
		return *obj;
	JSGlobalContextRef c = JSGlobalContextCreateInGroup(e->group, NULL);
	if (!c)
		return NULL;
	JSValueRef exc = NULL;
	JSValueRef v = eval_in(c, src, n, url, &exc);
	if (exc || !v || !JSValueIsObject(c, v)) {
		JSGlobalContextRelease(c);
		return NULL;
	}
	*ctx = c;
	*obj = (JSObjectRef)v;
	JSValueProtect(c, v);
	return *obj;
}

static JSObjectRef engine_tools(struct engine *e)
{
	return own_context(e, corral_js_tools, corral_js_tools_len, "corral:tools", &e->tools_ctx, &e->tools);
}

/* The acorn-only half (rewrites, syntax error columns): loads in half the
 * time of the whole tools bundle. */
static JSObjectRef engine_rewriter(struct engine *e)
{
	return own_context(e, corral_js_rewrite, corral_js_rewrite_len, "corral:rewrite", &e->rw_ctx, &e->rw);
}

/* Calls the rewrite bundle's fn(src): the rewritten source, or NULL (the
 * code does not parse, or needs no rewrite). Only strings cross. */
static JSStringRef tools_rewrite(struct engine *e, const char *fname, JSStringRef src)
{
	JSObjectRef rw = engine_rewriter(e);
	if (!rw)
		return NULL;
	JSValueRef fn = engine__get(e->rw_ctx, rw, fname);
	if (!fn || !JSValueIsObject(e->rw_ctx, fn))
		return NULL;
	JSValueRef arg = JSValueMakeString(e->rw_ctx, src);
	JSValueRef exc = NULL;
	JSValueRef r = JSObjectCallAsFunction(e->rw_ctx, (JSObjectRef)fn, NULL, 1, &arg, &exc);
	if (exc || !r || !JSValueIsString(e->rw_ctx, r))
		return NULL;
	return JSValueToStringCopy(e->rw_ctx, r, NULL);
}

/* One of the engine's cached scripts, compiled on first use (JSC keeps its
 * bytecode for every context of the VM). NULL when it is not built in. */
static JSScriptRef engine_script(struct engine *e, enum engine_script id)
{
	if (!e->scripts[id]) {
		static const char *const urls[] = { "corral:inspect", "corral:runtime", "corral:lazy", "corral:session" };
		JSStringRef src = NULL;
		if (id == ENGINE_SCRIPT_INSPECT) {
			src = engine__jsstr_from_utf8(corral_js_inspect, corral_js_inspect_len);
		} else if (id == ENGINE_SCRIPT_RUNTIME && host_runtime_available()) {
			extern const char corral_js_runtime[] __attribute__((weak));
			extern const unsigned long corral_js_runtime_len __attribute__((weak));
			src = engine__jsstr_from_utf8(corral_js_runtime, corral_js_runtime_len);
		} else if (id == ENGINE_SCRIPT_SESSION) {
			extern const char corral_js_session[] __attribute__((weak));
			extern const unsigned long corral_js_session_len __attribute__((weak));
			if (&corral_js_session != NULL)
				src = engine__jsstr_from_utf8(corral_js_session, corral_js_session_len);
		} else if (id == ENGINE_SCRIPT_LAZY) {
			char *lazy = host_runtime_lazy_source();
			if (lazy)
				src = engine__jsstr_from_utf8(lazy, strlen(lazy));
			free(lazy);
		}
		if (!src)
			return NULL;
		JSStringRef url = JSStringCreateWithUTF8CString(urls[id]);
		JSStringRef err = NULL;
		int line = 0;
		e->scripts[id] = JSScriptCreateFromString(e->group, url, 1, src, &err, &line);
		if (err)
			JSStringRelease(err);
		JSStringRelease(url);
		JSStringRelease(src);
	}
	return e->scripts[id];
}

JSValueRef engine__eval_cached(struct exec *x, enum engine_script id, JSValueRef *exc)
{
	JSScriptRef script = engine_script(x->eng, id);
	return script ? JSScriptEvaluate(x->ctx, script, NULL, exc) : NULL;
}

JSStringRef engine__transpile(struct engine *e, JSStringRef src, JSStringRef filename, bool typescript,
			      char *err, size_t errlen)
{
	JSObjectRef tools = engine_tools(e);
	JSValueRef fn = tools ? engine__get(e->tools_ctx, tools, "transpile") : NULL;
	if (!fn || !JSValueIsObject(e->tools_ctx, fn)) {
		snprintf(err, errlen, "the transpiler is not available in this build");
		return NULL;
	}
	JSObjectRef opts = JSObjectMake(e->tools_ctx, NULL, NULL);
	engine__set(e->tools_ctx, opts, "typescript", JSValueMakeBoolean(e->tools_ctx, typescript), 0);
	JSValueRef args[3] = { JSValueMakeString(e->tools_ctx, src), JSValueMakeString(e->tools_ctx, filename), opts };
	JSValueRef exc = NULL;
	JSValueRef r = JSObjectCallAsFunction(e->tools_ctx, (JSObjectRef)fn, NULL, 3, args, &exc);
	if (exc || !r || !JSValueIsString(e->tools_ctx, r)) {
		/* Only the message crosses back: never a tools-context object. */
		char *m = exc ? engine__to_cstr(e->tools_ctx, exc, errlen, NULL) : NULL;
		snprintf(err, errlen, "%s", m ? m : "transpilation failed");
		free(m);
		return NULL;
	}
	return JSValueToStringCopy(e->tools_ctx, r, NULL);
}

JSObjectRef engine__inspect(struct exec *x)
{
	if (x->inspect)
		return x->inspect;
	JSValueRef exc = NULL;
	JSValueRef v = engine__eval_cached(x, ENGINE_SCRIPT_INSPECT, &exc);
	if (exc || !v || !JSValueIsObject(x->ctx, v))
		return NULL;
	x->inspect = (JSObjectRef)v;
	JSValueProtect(x->ctx, v);
	return x->inspect;
}

/* --- results and errors ------------------------------------------------- */

void exec_res_init(struct exec_res *res)
{
	memset(res, 0, sizeof *res);
	buf_init(&res->result, RESULT_CAP + 64);
	buf_init(&res->state, IPC_STATE_MAX);
	res->status = OUTCOME_INTERNAL;
	res->reusable = true;
	res->exit_code = -1;
}

void exec_res_release(struct exec_res *res)
{
	buf_release(&res->result);
	buf_release(&res->state);
	free(res->err_name);
	free(res->err_message);
	free(res->err_stack);
	res->err_name = res->err_message = res->err_stack = NULL;
}

static void set_error(struct exec_res *res, const char *name, const char *message)
{
	free(res->err_name);
	free(res->err_message);
	res->err_name = strdup(name);
	res->err_message = strdup(message);
}

/* Calls inspect(v) from the bundle; caller frees. */
static char *inspect_value(struct exec *x, JSValueRef v, size_t max)
{
	JSObjectRef ins = engine__inspect(x);
	JSValueRef fn = ins ? engine__get(x->ctx, ins, "inspect") : NULL;
	if (fn && JSValueIsObject(x->ctx, fn)) {
		JSValueRef exc = NULL;
		JSValueRef s = JSObjectCallAsFunction(x->ctx, (JSObjectRef)fn, NULL, 1, &v, &exc);
		if (!exc && s && JSValueIsString(x->ctx, s))
			return engine__to_cstr(x->ctx, s, max, NULL);
	}
	return engine__to_cstr(x->ctx, v, max, NULL);
}

/* Primitives whose inspection is their string form, without loading the
 * inspect bundle (it costs ~12 ms to compile on a cold worker). */
static char *inspect_primitive(JSContextRef ctx, JSValueRef v)
{
	switch (JSValueGetType(ctx, v)) {
	case kJSTypeUndefined:
		return strdup("undefined");
	case kJSTypeNumber:
		return engine__to_cstr(ctx, v, 64, NULL);
	case kJSTypeBigInt: {
		char *s = engine__to_cstr(ctx, v, RESULT_CAP - 32, NULL);
		char *r = NULL;
		if (s && asprintf(&r, "%sn", s) < 0)
			r = NULL;
		free(s);
		return r;
	}
	default:
		return NULL;
	}
}

static void put_inspect(struct exec *x, JSValueRef v)
{
	char *s = inspect_primitive(x->ctx, v);
	if (!s)
		s = inspect_value(x, v, RESULT_CAP - 32);
	buf_reset(&x->res->result);
	buf_puts(&x->res->result, "{\"$inspect\":");
	json_put_cstr(&x->res->result, s ? s : "[uninspectable]");
	buf_putc(&x->res->result, '}');
	free(s);
}

/* A result is given as JSON when JSON says it faithfully: primitives other
 * than undefined, symbols, bigints and non-finite numbers, and plain objects
 * and arrays; anything else (Map, Date, class instances, functions, cycles)
 * as {"$inspect": "..."}. */
static void put_result(struct exec *x, JSValueRef v)
{
	JSContextRef ctx = x->ctx;
	JSType t = JSValueGetType(ctx, v);
	bool as_json = false;
	switch (t) {
	case kJSTypeNull:
	case kJSTypeBoolean:
	case kJSTypeString:
		as_json = true;
		break;
	case kJSTypeNumber: {
		double d = JSValueToNumber(ctx, v, NULL);
		as_json = d == d && d - d == 0;
		break;
	}
	case kJSTypeObject: {
		JSObjectRef o = (JSObjectRef)v;
		if (JSObjectIsFunction(ctx, o))
			break;
		if (JSValueIsArray(ctx, v)) {
			as_json = true;
			break;
		}
		JSValueRef proto = JSObjectGetPrototype(ctx, o);
		JSValueRef object_ctor = engine__get(ctx, JSContextGetGlobalObject(ctx), "Object");
		JSValueRef object_proto = object_ctor && JSValueIsObject(ctx, object_ctor)
			? engine__get(ctx, (JSObjectRef)object_ctor, "prototype") : NULL;
		as_json = JSValueIsNull(ctx, proto) || (object_proto && JSValueIsStrictEqual(ctx, proto, object_proto));
		break;
	}
	default:
		break;
	}
	if (as_json) {
		JSValueRef exc = NULL;
		JSStringRef js = JSValueCreateJSONString(ctx, v, 0, &exc);
		if (js && !exc) {
			bool cut = false;
			size_t n = 0;
			char *s = engine__utf8(js, RESULT_CAP, &n, &cut);
			JSStringRelease(js);
			if (s && !cut) {
				buf_reset(&x->res->result);
				buf_append(&x->res->result, s, n);
				free(s);
				return;
			}
			free(s);
			if (cut) {
				buf_reset(&x->res->result);
				buf_printf(&x->res->result, "{\"$inspect\":\"[result over the %u-byte cap]\"}", RESULT_CAP);
				x->res->truncated = true;
				return;
			}
		} else if (js) {
			JSStringRelease(js);
		}
	}
	put_inspect(x, v);
}

/* JSC writes stacks as "fn@url:line:col"; corral reports them the way Node
 * users read them, "    at fn (url:line:col)", and drops its own frames. */
static char *format_stack(const char *name, const char *message, const char *jsc)
{
	struct buf b = BUF_INIT(ERROR_TEXT_CAP);
	buf_printf(&b, "%s: %s", name, message);
	const char *p = jsc;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		const char *at = memchr(p, '@', n);
		if (at) {
			size_t fn = (size_t)(at - p);
			const char *loc = at + 1;
			size_t locn = n - fn - 1;
			if (!(locn >= 7 && strncmp(loc, "corral:", 7) == 0)) {
				if (fn == 0 || (fn == 11 && strncmp(p, "global code", 11) == 0))
					buf_printf(&b, "\n    at %.*s", (int)locn, loc);
				else
					buf_printf(&b, "\n    at %.*s (%.*s)", (int)fn, p, (int)locn, loc);
			}
		} else if (n) {
			buf_printf(&b, "\n    at %.*s (native)", (int)n, p);
		}
		p = eol ? eol + 1 : NULL;
	}
	return buf_steal(&b);
}

/* line:column of the first frame of a JSC stack not in corral's own code. */
static void frame_location(const char *stack, uint64_t *line, uint64_t *col)
{
	for (const char *p = stack; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		const char *at = memchr(p, '@', n);
		if (at && strncmp(at + 1, "corral:", 7) != 0) {
			/* "...:LINE:COL" at the end of the frame. */
			const char *end = p + n;
			const char *c2 = end;
			while (c2 > at && c2[-1] != ':')
				c2--;
			const char *c1 = c2 - 1;
			while (c1 > at && c1[-1] != ':')
				c1--;
			if (c1 > at && c2 > c1) {
				*line = strtoull(c1, NULL, 10);
				*col = strtoull(c2, NULL, 10);
				return;
			}
		}
		p = eol ? eol + 1 : NULL;
	}
}

static void put_error(struct exec *x, JSValueRef err)
{
	JSContextRef ctx = x->ctx;
	struct exec_res *res = x->res;
	if (!err || !JSValueIsObject(ctx, err)) {
		char *s = err ? inspect_value(x, err, ERROR_TEXT_CAP) : NULL;
		set_error(res, "Uncaught", s ? s : "undefined");
		free(s);
		return;
	}
	JSObjectRef o = (JSObjectRef)err;
	JSValueRef name = engine__get(ctx, o, "name");
	JSValueRef msg = engine__get(ctx, o, "message");
	JSValueRef stack = engine__get(ctx, o, "stack");
	JSValueRef line = engine__get(ctx, o, "line");
	JSValueRef col = engine__get(ctx, o, "column");
	char *n = name && !JSValueIsUndefined(ctx, name) ? engine__to_cstr(ctx, name, 1024, NULL) : NULL;
	char *m = msg && !JSValueIsUndefined(ctx, msg) ? engine__to_cstr(ctx, msg, ERROR_TEXT_CAP, NULL) : NULL;
	char *st = stack && JSValueIsString(ctx, stack) ? engine__to_cstr(ctx, stack, ERROR_TEXT_CAP, NULL) : NULL;
	set_error(res, n ? n : "Error", m ? m : "");
	free(res->err_stack);
	res->err_stack = format_stack(res->err_name, res->err_message, st);
	JSValueRef url = engine__get(ctx, o, "sourceURL");
	char *u = url && JSValueIsString(ctx, url) ? engine__to_cstr(ctx, url, 256, NULL) : NULL;
	if (u && strncmp(u, "corral:", 7) == 0) {
		/* Thrown inside the runtime: point at the user's frame instead. */
		frame_location(st, &res->err_line, &res->err_column);
	} else {
		if (line && JSValueIsNumber(ctx, line))
			res->err_line = (uint64_t)JSValueToNumber(ctx, line, NULL);
		if (col && JSValueIsNumber(ctx, col))
			res->err_column = (uint64_t)JSValueToNumber(ctx, col, NULL);
	}
	free(u);
	free(n);
	free(m);
	free(st);
}

/* --- one execution ------------------------------------------------------ */

/* The execution running now; a worker runs one at a time on one thread. */
struct exec *engine__current;

static struct exec *exec_of(JSContextRef ctx)
{
	(void)ctx;
	return engine__current;
}

/* The completion value's promise settled: state is what it became. */
static JSValueRef settle(JSContextRef ctx, int state, size_t argc, const JSValueRef argv[])
{
	struct exec *x = exec_of(ctx);
	if (x && x->pstate == PROMISE_PENDING) {
		x->pstate = state;
		x->pvalue = argc ? argv[0] : JSValueMakeUndefined(ctx);
		JSValueProtect(ctx, x->pvalue);
	}
	return JSValueMakeUndefined(ctx);
}

static JSValueRef on_fulfilled(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			       size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	return settle(ctx, PROMISE_FULFILLED, argc, argv);
}

static JSValueRef on_rejected(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			      size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	return settle(ctx, PROMISE_REJECTED, argc, argv);
}

static JSValueRef on_unhandled_rejection(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
					 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_of(ctx);
	if (x)
		engine__uncaught(x, argc > 1 ? argv[1] : NULL);
	return JSValueMakeUndefined(ctx);
}

/* Attaches our handlers when v is a thenable. Returns whether it was one. */
static bool await_value(struct exec *x, JSValueRef v)
{
	if (!JSValueIsObject(x->ctx, v))
		return false;
	JSValueRef then = engine__get(x->ctx, (JSObjectRef)v, "then");
	if (!then || !JSValueIsObject(x->ctx, then) || !JSObjectIsFunction(x->ctx, (JSObjectRef)then))
		return false;
	JSValueRef args[2] = {
		engine__make_fn(x->ctx, "onFulfilled", on_fulfilled),
		engine__make_fn(x->ctx, "onRejected", on_rejected),
	};
	x->pstate = PROMISE_PENDING;
	JSValueRef exc = NULL;
	JSObjectCallAsFunction(x->ctx, (JSObjectRef)then, (JSObjectRef)v, 2, args, &exc);
	if (exc && x->pstate == PROMISE_PENDING) {
		x->pstate = PROMISE_REJECTED;
		x->pvalue = exc;
		JSValueProtect(x->ctx, exc);
	}
	return true;
}

/* What every context gets, whatever the request: made ahead of time in
 * engine_prepare when the worker is idle. */
static void install_common(struct exec *x)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef global = JSContextGetGlobalObject(ctx);
	JSStringRef wasm = JSStringCreateWithUTF8CString("WebAssembly");
	JSObjectDeleteProperty(ctx, global, wasm, NULL);
	JSStringRelease(wasm);
	/* The handler lives in the engine's host context: JSC holds it strongly
	 * from the user's global, and a function of that same global would keep
	 * the whole context alive forever (measured: +95 MB per 1,000 runs). */
	JSValueRef exc = NULL;
	if (!x->eng->on_rejection) {
		x->eng->on_rejection = engine__make_fn(x->eng->host_ctx, "onUnhandledRejection", on_unhandled_rejection);
		JSValueProtect(x->eng->host_ctx, x->eng->on_rejection);
	}
	JSGlobalContextSetUnhandledRejectionCallback(x->ctx, x->eng->on_rejection, &exc);
	host_console_install(x, global);
	host_timers_install(x, global);
	host_runtime_install(x, global);
}

/* What depends on the request. */
static void install_request(struct exec *x)
{
	JSObjectRef global = JSContextGetGlobalObject(x->ctx);
	/* Set both ways: a session's context serves requests that differ. */
	if (!x->req->allow_eval) {
		JSStringRef msg = JSStringCreateWithUTF8CString(
			"eval and new Function are disabled in corral (allow them with allow_eval)");
		JSGlobalContextSetEvalEnabled(x->ctx, false, msg);
		JSStringRelease(msg);
	} else if (x->ctx == x->eng->sess_ctx || x->ctx == x->eng->fn_ctx) {
		JSGlobalContextSetEvalEnabled(x->ctx, true, NULL);
	}
	/* The bundle is fixed at build time: asked once, not per execution. */
	static int runtime_process = -1;
	if (runtime_process < 0)
		runtime_process = host_runtime_provides("process");
	if (!runtime_process)
		host_process_install(x, global);
#ifdef CORRAL_TEST_HOOKS
	host_testhooks_install(x, global);
#endif
}

void engine_prepare(struct engine *e)
{
	/* A function's worker runs in its function's context from then on,
	 * a session's in its session's. */
	if (e->spare || e->fn_ctx || e->sess_ctx)
		return;
	struct exec x = { 0 };
	x.eng = e;
	x.ctx = JSGlobalContextCreateInGroup(e->group, NULL);
	if (!x.ctx)
		return;
	install_common(&x);
	e->spare = x.ctx;
}

/* --- sessions ----------------------------------------------------------- */

/* Whether a session snippet needs rewriteSession: only let, const, class
 * (and using) declarations and top-level await do; var and function
 * declarations already make globals in a script. A word scan that also sees
 * strings and comments: it may rewrite needlessly, never skip a rewrite
 * that was needed. Saves the acorn parse (~1-4 ms on a young worker) for
 * snippets like `x + 1`. */
static bool session_needs_rewrite(const char *p, size_t n)
{
	static const char *const words[] = { "let", "const", "class", "await", "using" };
	size_t i = 0;
	while (i < n) {
		unsigned char ch = (unsigned char)p[i];
		if (!(isalpha(ch) || ch == '_' || ch == '$' || ch >= 0x80)) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && (isalnum((unsigned char)p[i]) || p[i] == '_' || p[i] == '$' || (unsigned char)p[i] >= 0x80))
			i++;
		for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
			if (i - start == strlen(words[k]) && !memcmp(p + start, words[k], i - start))
				return true;
	}
	return false;
}

/* Whether rewriteSession wrapped the code in an async function (top-level
 * await): its synchronous form always starts with an empty comment. */
static bool session_rewrite_is_async(JSStringRef rw)
{
	const JSChar *c = JSStringGetCharactersPtr(rw);
	size_t n = JSStringGetLength(rw);
	return !(n >= 4 && c[0] == '/' && c[1] == '*' && c[2] == '*' && c[3] == '/');
}

/* Calls obj.name(...args) in ctx. Returns its value, or NULL with *exc set. */
static JSValueRef call_export(JSContextRef ctx, JSObjectRef obj, const char *name, size_t argc,
			      const JSValueRef *argv, JSValueRef *exc)
{
	JSValueRef fn = engine__get(ctx, obj, name);
	if (!fn || !JSValueIsObject(ctx, fn) || !JSObjectIsFunction(ctx, (JSObjectRef)fn)) {
		*exc = engine__str(ctx, name);
		return NULL;
	}
	return JSObjectCallAsFunction(ctx, (JSObjectRef)fn, obj, argc, argv, exc);
}

static void session_fail(struct exec *x, const char *what, JSValueRef exc)
{
	char *m = exc ? engine__to_cstr(x->ctx, exc, 400, NULL) : NULL;
	char msg[512];
	snprintf(msg, sizeof msg, "%s%s%s", what, m ? ": " : "", m ? m : "");
	free(m);
	x->res->status = OUTCOME_INTERNAL;
	set_error(x->res, "InternalError", msg);
}

/* Puts x in its session's context: the live one when it is this session's
 * and current, else a fresh one with the stored bindings restored into it
 * before any user code runs. Returns 0, or -1 with res set (internal). */
static int session_enter(struct exec *x)
{
	struct engine *e = x->eng;
	const struct exec_req *req = x->req;
	JSValueRef exc = NULL;
	if (e->sess_ctx && strcmp(e->sess_id, req->session.id) == 0 && e->sess_seq == req->session.seq) {
		x->ctx = e->sess_ctx;
		install_request(x);
		if (e->sess_rt) {
			/* The runtime stays loaded; process.env is this request's. */
			x->rt_state = 2;
			x->rt_obj = e->sess_rt;
			JSValueRef env = host_env_object(x);
			call_export(x->ctx, e->sess_rt, "setEnv", 1, &env, &exc);
		}
		return 0;
	}
	session_drop(e);
	if (e->spare) {
		x->ctx = e->spare;
		e->spare = NULL;
	} else {
		x->ctx = JSGlobalContextCreateInGroup(e->group, NULL);
		if (!x->ctx) {
			set_error(x->res, "InternalError", "cannot create a JavaScript context");
			return -1;
		}
		install_common(x);
	}
	e->sess_ctx = x->ctx;
	snprintf(e->sess_id, sizeof e->sess_id, "%s", req->session.id);
	e->sess_seq = req->session.seq;
	install_request(x);
	JSValueRef v = engine__eval_cached(x, ENGINE_SCRIPT_SESSION, &exc);
	if (exc || !v || !JSValueIsObject(x->ctx, v)) {
		session_fail(x, "the session support did not load", exc);
		return -1;
	}
	e->sess_obj = (JSObjectRef)v;
	JSValueProtect(x->ctx, v);
	/* The baseline: every global so far is the runtime's, not the user's. */
	JSValueRef g = JSContextGetGlobalObject(x->ctx);
	call_export(x->ctx, e->sess_obj, "init", 1, &g, &exc);
	if (exc) {
		session_fail(x, "the session support did not start", exc);
		return -1;
	}
	if (req->session.state && req->session.state_len) {
		JSStringRef str = engine__jsstr_from_utf8(req->session.state, req->session.state_len);
		JSValueRef arg = JSValueMakeString(x->ctx, str);
		JSStringRelease(str);
		call_export(x->ctx, e->sess_obj, "restore", 1, &arg, &exc);
		if (exc) {
			session_fail(x, "the session's stored bindings could not be restored", exc);
			return -1;
		}
		x->res->restored = true;
	}
	return 0;
}

/* After the code: the session's bindings into res->state, on a budget of
 * its own (reading them can run user getters). A snapshot that does not
 * finish leaves the state out: the store keeps the previous one. */
static void session_snapshot(struct exec *x)
{
	struct engine *e = x->eng;
	x->deadline_ns = clock_mono_ns() + ENGINE_SNAPSHOT_MS * 1000000ull;
	JSValueRef arg = JSValueMakeNumber(x->ctx, (double)x->req->session.state_max), exc = NULL;
	JSValueRef v = call_export(x->ctx, e->sess_obj, "snapshot", 1, &arg, &exc);
	if (x->term != TERM_NONE || exc || !v || !JSValueIsString(x->ctx, v))
		return;
	JSStringRef str = JSValueToStringCopy(x->ctx, v, NULL);
	size_t len = 0;
	bool cut = false;
	char *u = str ? engine__utf8(str, x->req->session.state_max + 65536, &len, &cut) : NULL;
	if (str)
		JSStringRelease(str);
	if (u && !cut)
		buf_append(&x->res->state, u, len);
	free(u);
}

/* The runtime's process.exit throws {name: "ProcessExit", code}. */
static bool is_process_exit(struct exec *x, JSValueRef v)
{
	if (!JSValueIsObject(x->ctx, v))
		return false;
	JSValueRef name = engine__get(x->ctx, (JSObjectRef)v, "name");
	if (!name || !JSValueIsString(x->ctx, name))
		return false;
	char *n = engine__to_cstr(x->ctx, name, 32, NULL);
	bool yes = n && strcmp(n, "ProcessExit") == 0;
	free(n);
	if (yes) {
		JSValueRef code = engine__get(x->ctx, (JSObjectRef)v, "code");
		double c = code ? JSValueToNumber(x->ctx, code, NULL) : 0;
		x->exit_code = c == c ? (int)c : 1;
		x->exited = true;
	}
	return yes;
}

static void finish(struct exec *x, JSValueRef completion, bool have_completion)
{
	struct exec_res *res = x->res;
	if (x->term == TERM_TIMEOUT) {
		char msg[96];
		snprintf(msg, sizeof msg, "execution exceeded its %llu ms deadline",
			 (unsigned long long)x->req->timeout_ms);
		res->status = OUTCOME_TIMEOUT;
		set_error(res, "TimeoutError", msg);
		res->reusable = false;
	} else if (x->term == TERM_OUTPUT) {
		char msg[96];
		snprintf(msg, sizeof msg, "stdout and stderr passed their %llu-byte cap",
			 (unsigned long long)x->req->output_cap);
		res->status = OUTCOME_OUTPUT_LIMIT;
		set_error(res, "OutputLimitError", msg);
		res->truncated = true;
		res->reusable = false;
	} else if (x->uncaught && is_process_exit(x, x->uncaught)) {
		/* process.exit(code): 0 is a normal end, anything else an error
		 * the way a shell sees a non-zero exit. */
		res->exit_code = x->exit_code & 0xff;
		if (x->exit_code == 0) {
			res->status = OUTCOME_OK;
		} else {
			char msg[64];
			snprintf(msg, sizeof msg, "process.exit(%d)", x->exit_code);
			res->status = OUTCOME_ERROR;
			set_error(res, "ProcessExit", msg);
		}
	} else if (x->uncaught) {
		res->status = OUTCOME_ERROR;
		put_error(x, x->uncaught);
	} else if (x->pstate == PROMISE_REJECTED) {
		res->status = OUTCOME_ERROR;
		put_error(x, x->pvalue);
	} else if (x->pstate == PROMISE_PENDING && x->tla) {
		res->status = OUTCOME_ERROR;
		set_error(res, "Error", "top-level await never settled: nothing was left to run");
	} else {
		res->status = OUTCOME_OK;
		if (x->pstate == PROMISE_FULFILLED)
			put_result(x, x->pvalue);
		else if (have_completion)
			put_result(x, completion);
	}
	/* A terminated VM is not asked anything more (see worker.c). */
	if (x->term != TERM_NONE)
		host_output_flush(x);
}

/* JSC gives a syntax error's line but not its column: acorn, in the tools
 * context, finds it (only numbers cross back). */
static void locate_syntax_error(struct engine *e, JSStringRef src, uint64_t *line, uint64_t *col)
{
	JSObjectRef tools = engine_rewriter(e);
	JSValueRef fn = tools ? engine__get(e->rw_ctx, tools, "locateSyntaxError") : NULL;
	if (!fn || !JSValueIsObject(e->rw_ctx, fn))
		return;
	JSValueRef arg = JSValueMakeString(e->rw_ctx, src);
	JSValueRef exc = NULL;
	JSValueRef r = JSObjectCallAsFunction(e->rw_ctx, (JSObjectRef)fn, NULL, 1, &arg, &exc);
	if (exc || !r || !JSValueIsObject(e->rw_ctx, r))
		return;
	JSValueRef l = engine__get(e->rw_ctx, (JSObjectRef)r, "line");
	JSValueRef c = engine__get(e->rw_ctx, (JSObjectRef)r, "column");
	if (l && c && JSValueIsNumber(e->rw_ctx, l) && JSValueIsNumber(e->rw_ctx, c)) {
		*line = (uint64_t)JSValueToNumber(e->rw_ctx, l, NULL);
		*col = (uint64_t)JSValueToNumber(e->rw_ctx, c, NULL);
	}
}

static void reject_syntax(struct exec *x, JSStringRef src, JSStringRef url)
{
	JSValueRef exc = NULL;
	JSCheckScriptSyntax(x->ctx, src, url, 1, &exc);
	x->res->status = OUTCOME_REJECTED;
	if (exc) {
		put_error(x, exc);
	} else {
		set_error(x->res, "SyntaxError", "the code does not parse");
	}
	if (x->term == TERM_NONE && (!x->res->err_column || !x->res->err_line)) {
		uint64_t line = 0, col = 0;
		locate_syntax_error(x->eng, src, &line, &col);
		if (line) {
			x->res->err_line = line;
			x->res->err_column = col;
		}
	}
}

/* Waits until `until` (a monotonic deadline), handling fetch answers from
 * the supervisor as they come. */
static void wait_until(struct exec *x, uint64_t until)
{
	for (;;) {
		uint64_t now = clock_mono_ns();
		if (now >= until || x->term != TERM_NONE || x->uncaught)
			return;
		if (!x->nfetches || !x->io || !x->io->next) {
			struct timespec ts = { (time_t)(until / 1000000000ull), (long)(until % 1000000000ull) };
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
			return;
		}
		struct ipc_msg m;
		int ms = (int)((until - now + 999999) / 1000000);
		int r = x->io->next(x->io->ud, &m, ms > 0 ? ms : 1);
		if (r < 0) {
			/* The supervisor is gone: nothing will answer. */
			host_fetch_clear(x);
			return;
		}
		if (r == 1 && m.type == IPC_MSG_FETCH_RESULT) {
			host_fetch_result(x, &m);
			host_output_flush(x);
			return;
		}
	}
}

static void event_loop(struct exec *x)
{
	while (x->term == TERM_NONE && !x->uncaught) {
		host_output_flush(x);
		uint64_t next = host_timers_run_due(x);
		if (x->term != TERM_NONE || x->uncaught || (next == 0 && x->nfetches == 0))
			break;
		uint64_t now = clock_mono_ns();
		if (now >= x->deadline_ns) {
			x->term = TERM_TIMEOUT;
			break;
		}
		if (next == 0 || next > x->deadline_ns)
			next = x->deadline_ns;
		if (next > now && x->io && x->io->flush)
			x->io->flush(x->io->ud);
		wait_until(x, next);
	}
}

/* --- function mode ------------------------------------------------------ */

int engine_package_begin(struct engine *e)
{
	if (e->fn_ctx) {
		if (e->fn_rt)
			JSValueUnprotect(e->fn_ctx, e->fn_rt);
		JSGlobalContextRelease(e->fn_ctx);
		e->fn_ctx = NULL;
		e->fn_rt = NULL;
	}
	vfs_free(e->pkg);
	free(e->pkg_entry);
	e->pkg_entry = NULL;
	e->pkg_ready = false;
	e->pkg = vfs_new(0);
	return e->pkg ? 0 : -ENOMEM;
}

int engine_package_add(struct engine *e, const char *path, const void *data, size_t n)
{
	char abs[1100];
	if (!e->pkg || e->pkg_ready)
		return -EINVAL;
	snprintf(abs, sizeof abs, "/%s", path);
	return vfs_add_package_file(e->pkg, abs, data, n, 0);
}

int engine_package_end(struct engine *e, const char *hash, const char *entry)
{
	if (!e->pkg || e->pkg_ready)
		return -EINVAL;
	e->pkg_entry = strdup(entry);
	snprintf(e->pkg_hash, sizeof e->pkg_hash, "%s", hash);
	e->pkg_ready = e->pkg_entry != NULL;
	return e->pkg_ready ? 0 : -ENOMEM;
}

bool engine_package_ready(const struct engine *e)
{
	return e->pkg_ready;
}

/* Whether a line starts with an import or export statement (not
 * "module.exports", not a dynamic import(), which scripts accept). */
static bool has_module_syntax(const char *p, size_t n)
{
	const char *end = p + n;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		for (int k = 0; k < 2; k++) {
			const char *kw = k ? "export" : "import";
			if ((size_t)(end - p) > 6 && !memcmp(p, kw, 6) && strchr(" \t{*'\"", p[6]))
				return true;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	return false;
}

/* A deploy's check that the entry parses: transpiled when it needs to be,
 * compiled as the body of a CommonJS module wrapper (whose text sits on the
 * module's first line, so line numbers hold), never evaluated. */
static void exec_check(struct exec *x, JSStringRef src, JSStringRef url)
{
	const char *name = x->req->filename ? x->req->filename : "index.js";
	size_t nl = strlen(name);
	bool ts = (nl > 3 && !strcmp(name + nl - 3, ".ts")) || (nl > 4 && !strcmp(name + nl - 4, ".mts"));
	bool esm = ts || (nl > 4 && !strcmp(name + nl - 4, ".mjs")) || has_module_syntax(x->req->code, x->req->code_len);
	JSStringRef code = src;
	JSStringRetain(code);
	if (esm) {
		char terr[512];
		JSStringRef js = engine__transpile(x->eng, src, url, ts, terr, sizeof terr);
		if (!js) {
			JSStringRelease(code);
			x->res->status = OUTCOME_REJECTED;
			set_error(x->res, "SyntaxError", terr);
			/* The transpiler's message ends in "(LINE:COLUMN)". */
			const char *paren = strrchr(terr, '(');
			unsigned long l, c;
			if (paren && sscanf(paren, "(%lu:%lu)", &l, &c) == 2) {
				x->res->err_line = l;
				x->res->err_column = c + 1;
			}
			return;
		}
		JSStringRelease(code);
		code = js;
	}
	static const char head[] = "(function (exports, require, module, __filename, __dirname) {";
	size_t n = JSStringGetLength(code);
	JSChar *u = malloc((sizeof head + n + 4) * sizeof *u);
	if (!u) {
		JSStringRelease(code);
		set_error(x->res, "InternalError", "out of memory");
		return;
	}
	size_t o = 0;
	for (const char *c = head; *c; c++)
		u[o++] = (JSChar)*c;
	memcpy(u + o, JSStringGetCharactersPtr(code), n * sizeof *u);
	o += n;
	u[o++] = '\n';
	u[o++] = '}';
	u[o++] = ')';
	JSStringRef wrapped = JSStringCreateWithCharacters(u, o);
	free(u);
	JSStringRelease(code);
	JSStringRef err = NULL;
	int line = 0;
	JSScriptRef script = JSScriptCreateFromString(x->eng->group, url, 1, wrapped, &err, &line);
	if (err)
		JSStringRelease(err);
	if (script) {
		JSScriptRelease(script);
		x->res->status = OUTCOME_OK;
	} else {
		reject_syntax(x, wrapped, url);
	}
	JSStringRelease(wrapped);
}

/* One invocation of the package's handler (host_invoke.c). The first one
 * makes the function's context and loads the runtime and the module; later
 * ones find them warm. */
static int exec_function(struct exec *x)
{
	struct engine *e = x->eng;
	struct exec_res *res = x->res;
	if (!e->pkg_ready) {
		set_error(res, "InternalError", "no package is loaded in this worker");
		return -EINVAL;
	}
	x->vfs = vfs_new_over(e->pkg, x->req->tmp_cap ? x->req->tmp_cap : (10u << 20));
	bool warm = e->fn_ctx != NULL;
	if (!warm) {
		if (e->spare) {
			e->fn_ctx = e->spare;
			e->spare = NULL;
		} else {
			e->fn_ctx = JSGlobalContextCreateInGroup(e->group, NULL);
			if (!e->fn_ctx) {
				set_error(res, "InternalError", "cannot create a JavaScript context");
				return -ENOMEM;
			}
			x->ctx = e->fn_ctx;
			install_common(x);
		}
	}
	x->ctx = e->fn_ctx;
	install_request(x);
	JSValueRef exc = NULL;
	if (!e->fn_rt) {
		JSObjectRef rt = host_runtime_exports(x, &exc);
		if (!rt) {
			engine__uncaught(x, exc);
			finish(x, NULL, false);
			return 0;
		}
		/* host_runtime_exports protected it (as x->rt_obj); the engine
		 * keeps that protection for the context's life. */
		e->fn_rt = rt;
		x->rt_obj = NULL;
	}
	x->rt_state = 2;
	e->invocations++;
	res->warm = warm;
	JSValueRef p = host_invoke(x, e->fn_rt, &exc);
	if (exc || !p) {
		if (x->term == TERM_NONE)
			engine__uncaught(x, exc);
	} else {
		JSValueProtect(x->ctx, p);
		if (x->term == TERM_NONE)
			await_value(x, p);
		event_loop(x);
		JSValueUnprotect(x->ctx, p);
	}
	bool stuck = x->pstate == PROMISE_PENDING && x->term == TERM_NONE && !x->uncaught;
	finish(x, NULL, false);
	if (stuck && !x->resp_ended) {
		/* Express would hang here until the client gave up: nothing is
		 * left that could end the response, so it is the timeout now. */
		res->status = OUTCOME_TIMEOUT;
		set_error(res, "TimeoutError", "the handler returned without ending the response, and nothing is left to run that could");
	}
	return 0;
}

int engine_exec(struct engine *e, const struct exec_req *req, struct exec_res *res,
		const struct engine_io *io)
{
	struct exec x = { 0 };
	int rc = 0;
	exec_res_init(res);
	x.eng = e;
	x.req = req;
	x.res = res;
	x.io = io;
	x.start_ns = clock_mono_ns();
	x.cpu_start_ns = clock_process_cpu_ns();
	x.deadline_ns = x.start_ns + req->timeout_ms * 1000000ull;
	x.next_timer_id = 1;
	{
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		x.time_origin_ms = (double)rt.tv_sec * 1e3 + (double)rt.tv_nsec / 1e6;
	}
	buf_init(&x.pending, (1u << 20) + 4096);
	e->cur = &x;
	engine__current = &x;
	if (req->function) {
		rc = exec_function(&x);
		goto cleanup;
	}
	if (req->session.id) {
		if (session_enter(&x))
			goto cleanup;
	} else {
		if (e->spare) {
			x.ctx = e->spare;
			e->spare = NULL;
		} else {
			x.ctx = JSGlobalContextCreateInGroup(e->group, NULL);
			if (!x.ctx) {
				set_error(res, "InternalError", "cannot create a JavaScript context");
				rc = -ENOMEM;
				goto out;
			}
			install_common(&x);
		}
		install_request(&x);
	}

	JSStringRef src = engine__jsstr_from_utf8(req->code, req->code_len);
	JSStringRef url = JSStringCreateWithUTF8CString(req->filename ? req->filename : "main.js");
	if (req->check) {
		exec_check(&x, src, url);
		goto rejected;
	}
	if (req->typescript) {
		char terr[512];
		JSStringRef js = engine__transpile(e, src, url, true, terr, sizeof terr);
		if (!js) {
			res->status = OUTCOME_REJECTED;
			set_error(res, "SyntaxError", terr);
			goto rejected;
		}
		JSStringRelease(src);
		src = js;
	}
	JSStringRef err_msg = NULL;
	int err_line = 0;
	JSScriptRef script = NULL;
	if (req->session.id) {
		/* Every top-level declaration becomes a binding of the session's
		 * global object (and re-declaring one is allowed, as in a REPL);
		 * code that does not parse runs as it is, to report its error. */
		JSStringRef rw = req->typescript || session_needs_rewrite(req->code, req->code_len)
			? tools_rewrite(e, "rewriteSession", src) : NULL;
		if (rw) {
			x.tla = session_rewrite_is_async(rw);
			script = JSScriptCreateFromString(e->group, url, 1, rw, &err_msg, &err_line);
			JSStringRelease(rw);
			if (err_msg)
				JSStringRelease(err_msg);
			err_msg = NULL;
		}
	}
	/* JSScriptCreateFromString leaves *err_msg alone when it succeeds:
	 * clear it after each release, or a later success releases the old
	 * message a second time (a heap corruption that surfaced as random
	 * crashes in later executions of the worker). */
	if (!script)
		script = JSScriptCreateFromString(e->group, url, 1, src, &err_msg, &err_line);
	if (err_msg)
		JSStringRelease(err_msg);
	err_msg = NULL;
	if (!script && x.term == TERM_NONE && !req->session.id) {
		JSStringRef rewritten = tools_rewrite(e, "rewriteTopLevelAwait", src);
		if (rewritten) {
			script = JSScriptCreateFromString(e->group, url, 1, rewritten, &err_msg, &err_line);
			if (err_msg)
				JSStringRelease(err_msg);
			err_msg = NULL;
			JSStringRelease(rewritten);
			x.tla = true;
		}
	}
	if (!script) {
		if (x.term != TERM_NONE)
			finish(&x, NULL, false);
		else
			reject_syntax(&x, src, url);
	} else {
		JSValueRef exc = NULL;
		JSValueRef v = JSScriptEvaluate(x.ctx, script, NULL, &exc);
		JSScriptRelease(script);
		bool have = false;
		if (exc && x.term == TERM_NONE) {
			engine__uncaught(&x, exc);
		} else if (!exc && v) {
			JSValueProtect(x.ctx, v);
			have = true;
			if (x.term == TERM_NONE)
				await_value(&x, v);
			event_loop(&x);
		}
		finish(&x, v, have);
		if (have)
			JSValueUnprotect(x.ctx, v);
	}
	if (req->session.id && x.term == TERM_NONE &&
	    (res->status == OUTCOME_OK || res->status == OUTCOME_ERROR))
		session_snapshot(&x);
rejected:
	JSStringRelease(url);
	JSStringRelease(src);
cleanup:
	host_output_flush(&x);
	vfs_free(x.vfs);
	host_timers_clear(&x);
	host_fetch_clear(&x);
	if (x.ctx) {
		if (x.uncaught)
			JSValueUnprotect(x.ctx, x.uncaught);
		if (x.pvalue)
			JSValueUnprotect(x.ctx, x.pvalue);
		if (x.inspect)
			JSValueUnprotect(x.ctx, x.inspect);
		if (x.ctx == e->sess_ctx) {
			/* The session's context serves its next execution, with the
			 * runtime it loaded; one whose VM was stopped does not. */
			if (x.rt_obj && !e->sess_rt)
				e->sess_rt = x.rt_obj;
			x.rt_obj = NULL;
			if (x.term == TERM_NONE && res->status != OUTCOME_INTERNAL)
				e->sess_seq = req->session.seq + 1;
			else
				session_drop(e);
			if (x.term != TERM_NONE)
				res->reusable = false;
			x.ctx = NULL;
		}
		if (x.ctx && x.rt_obj && x.ctx != e->fn_ctx)
			JSValueUnprotect(x.ctx, x.rt_obj);
		/* A function's context serves its next invocation too. */
		if (x.ctx && x.ctx != e->fn_ctx)
			JSGlobalContextRelease(x.ctx);
	}
out:
	e->cur = NULL;
	engine__current = NULL;
	buf_release(&x.pending);
	{
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		res->peak_rss = (uint64_t)ru.ru_maxrss * 1024;
	}
	res->wall_ns = clock_mono_ns() - x.start_ns;
	res->cpu_ns = clock_process_cpu_ns() - x.cpu_start_ns;
	return rc;
}
