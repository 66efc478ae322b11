/* exec — see exec.h. */
#include "worker/engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "worker/host_fs.h"

struct exec *exec_current;

void exec_uncaught(struct exec *x, JSValueRef err)
{
	if (x->uncaught)
		return;
	x->uncaught = err ? err : JSValueMakeUndefined(x->ctx);
	JSValueProtect(x->ctx, x->uncaught);
}

/* Files that the loader transpiles whatever their content (loader.js):
 * their text is not what ran. */
static bool transpiled_name(const char *url)
{
	static const char *const ext[] = { ".ts", ".tsx", ".mts", ".cts", ".mjs", ".jsx" };
	const char *dot = strrchr(url, '.');
	for (size_t i = 0; dot && i < sizeof ext / sizeof *ext; i++)
		if (strcmp(dot, ext[i]) == 0)
			return true;
	return false;
}

/* source(url): the text that a stack frame's URL was evaluated from, for
 * moving its columns to V8's (runtime/stack.js), or null: the main file's
 * code (not when it was transpiled or is a session's cell, whose text is
 * not what ran; without line 1 when rewritten for top-level await), or a
 * file of the package (not a TypeScript, .mjs or .jsx
 * one). */
static JSValueRef h_source(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	char *url = argc && JSValueIsString(ctx, argv[0]) ? jsval_to_cstr(ctx, argv[0], 4097, NULL) : NULL;
	JSValueRef r = JSValueMakeNull(ctx);
	if (!x || !url)
		goto out;
	const struct exec_req *req = x->req;
	const char *main = req->filename ? req->filename : "main.js";
	if (!req->function && strcmp(url, main) == 0) {
		if (!req->typescript && !req->session.id && req->code) {
			/* The top-level await rewrite moves columns on line 1 only
			 * (js.md): that line is left out. */
			const char *p = req->code;
			size_t n = req->code_len;
			const char *nl = x->tla ? memchr(p, '\n', n) : NULL;
			if (x->tla) {
				n = nl ? n - (size_t)(nl - p) : 0;
				p = nl ? nl : p;
			}
			JSStringRef s = jsval_from_utf8(p, n);
			r = JSValueMakeString(ctx, s);
			JSStringRelease(s);
		}
	} else if (url[0] == '/' && !transpiled_name(url)) {
		struct vfs *v = x->vfs; /* none yet: no files */
		size_t n = 0;
		const void *p = v ? vfs_read(v, url, &n) : NULL;
		if (p) {
			JSStringRef s = jsval_from_utf8(p, n);
			r = JSValueMakeString(ctx, s);
			JSStringRelease(s);
		}
	}
out:
	free(url);
	return r;
}

JSObjectRef exec_source_fn(JSContextRef ctx)
{
	return jsval_make_fn(ctx, "source", h_source);
}

JSObjectRef exec_inspect(struct exec *x)
{
	if (x->inspect)
		return x->inspect;
	JSValueRef exc = NULL;
	JSValueRef v = bundles_eval(&x->eng->bundles, x->ctx, BUNDLE_INSPECT, &exc);
	if (exc || !v || !JSValueIsObject(x->ctx, v))
		return NULL;
	x->inspect = (JSObjectRef)v;
	JSValueProtect(x->ctx, v);
	JSValueRef set = jsval_get(x->ctx, x->inspect, "setSource");
	if (set && JSValueIsObject(x->ctx, set)) {
		JSValueRef fn = exec_source_fn(x->ctx);
		JSObjectCallAsFunction(x->ctx, (JSObjectRef)set, x->inspect, 1, &fn, &exc);
	}
	return x->inspect;
}

/* A bound function's private data: which execution, and what to call. */
struct bound {
	struct engine *eng;
	uint64_t serial;
	exec_fn cb;
};

static JSValueRef bound_call(JSContextRef ctx, JSObjectRef fn, JSObjectRef self, size_t argc,
			     const JSValueRef argv[], JSValueRef *exc)
{
	struct bound *b = JSObjectGetPrivate(fn);
	struct exec *x = b ? idmap_get(&b->eng->live, b->serial) : NULL;
	if (!x)
		return JSValueMakeUndefined(ctx); /* its execution is over */
	struct engine *e = b->eng;
	if (e->cur != x && !x->touched) {
		if (e->ntouched == e->touched_alloc) {
			size_t n = e->touched_alloc ? e->touched_alloc * 2 : 16;
			uint64_t *t = realloc(e->touched, n * sizeof *t);
			if (t) {
				e->touched = t;
				e->touched_alloc = n;
			}
		}
		if (e->ntouched < e->touched_alloc) {
			e->touched[e->ntouched++] = x->serial;
			x->touched = true;
		}
	}
	return b->cb(x, ctx, self, argc, argv, exc);
}

static void bound_finalize(JSObjectRef fn)
{
	free(JSObjectGetPrivate(fn));
}

JSObjectRef exec_bind_fn(struct exec *x, const char *name, exec_fn cb)
{
	static JSClassRef cls;
	if (!cls) {
		JSClassDefinition def = kJSClassDefinitionEmpty;
		def.className = "Function";
		def.callAsFunction = bound_call;
		def.finalize = bound_finalize;
		cls = JSClassCreate(&def);
	}
	struct bound *b = malloc(sizeof *b);
	if (!b)
		return JSObjectMake(x->ctx, NULL, NULL); /* not callable: a call throws */
	*b = (struct bound){ x->eng, x->serial, cb };
	return JSObjectMake(x->ctx, cls, b);
}
