/* session — a session's global context inside the worker.
 *
 * The pool binds a worker to one session, and the worker keeps that
 * session's global context between its executions (struct engine's sess_*
 * fields). Each snippet is rewritten (rewriteSession, in the rewriter's own
 * context) so that its top-level declarations become properties of the
 * global object; after the code, session.js snapshots the storable ones
 * into the result for the store. A context that has not run exactly as many
 * executions as the store says (another worker ran the session since, or
 * this one restarted) is rebuilt: a fresh context, session.js, and the
 * stored bindings restored before any user code runs. */
#include "worker/session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "worker/engine_internal.h"
#include "worker/report.h"

/* Whether a session snippet needs rewriteSession: only let, const, class
 * (and using) declarations and top-level await do; var and function
 * declarations already make globals in a script. A word scan that also sees
 * strings and comments: it may rewrite needlessly, never skip a rewrite
 * that was needed. Saves the acorn parse (~1-4 ms on a young worker) for
 * snippets like `x + 1`. */
bool session_needs_rewrite(const char *p, size_t n)
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
bool session_rewrite_is_async(JSStringRef rw)
{
	const JSChar *c = JSStringGetCharactersPtr(rw);
	size_t n = JSStringGetLength(rw);
	return !(n >= 4 && c[0] == '/' && c[1] == '*' && c[2] == '*' && c[3] == '/');
}

/* Calls obj.name(...args) in ctx. Returns its value, or NULL with *exc set. */
static JSValueRef call_export(JSContextRef ctx, JSObjectRef obj, const char *name, size_t argc,
			      const JSValueRef *argv, JSValueRef *exc)
{
	JSValueRef fn = jsval_get(ctx, obj, name);
	if (!fn || !JSValueIsObject(ctx, fn) || !JSObjectIsFunction(ctx, (JSObjectRef)fn)) {
		*exc = jsval_str(ctx, name);
		return NULL;
	}
	return JSObjectCallAsFunction(ctx, (JSObjectRef)fn, obj, argc, argv, exc);
}

static void session_fail(struct exec *x, const char *what, JSValueRef exc)
{
	char *m = exc ? jsval_to_cstr(x->ctx, exc, 400, NULL) : NULL;
	char msg[512];
	snprintf(msg, sizeof msg, "%s%s%s", what, m ? ": " : "", m ? m : "");
	free(m);
	x->res->status = OUTCOME_INTERNAL;
	report_set_error(x->res, "InternalError", msg);
}

bool session_is_current(const struct engine *e, const struct exec_req *req)
{
	return e->sess_ctx && strcmp(e->sess_id, req->session.id) == 0 && e->sess_seq == req->session.seq;
}

void session_resume(struct exec *x)
{
	struct engine *e = x->eng;
	JSValueRef exc = NULL;
	if (e->sess_rt) {
		/* The runtime stays loaded; process.env is this request's. */
		x->rt_state = 2;
		x->rt_obj = e->sess_rt;
		JSValueRef env = host_env_object(x);
		call_export(x->ctx, e->sess_rt, "setEnv", 1, &env, &exc);
	}
}

int session_begin(struct exec *x)
{
	struct engine *e = x->eng;
	const struct exec_req *req = x->req;
	JSValueRef exc = NULL;
	e->sess_ctx = x->ctx;
	snprintf(e->sess_id, sizeof e->sess_id, "%s", req->session.id);
	e->sess_seq = req->session.seq;
	JSValueRef v = bundles_eval(&e->bundles, x->ctx, BUNDLE_SESSION, &exc);
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
		JSStringRef str = jsval_from_utf8(req->session.state, req->session.state_len);
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
void session_snapshot(struct exec *x)
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
	char *u = str ? jsval_utf8(str, x->req->session.state_max + 65536, &len, &cut) : NULL;
	if (str)
		JSStringRelease(str);
	if (u && !cut)
		buf_append(&x->res->state, u, len);
	free(u);
}

void session_drop(struct engine *e)
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

