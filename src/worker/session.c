/* session — sessions' global contexts inside the worker.
 *
 * The pool binds a worker to one tenant's sessions ("sessions:TENANT"; or
 * to one session, for isolation "process"), and the worker keeps each
 * session's global context between its executions: a list, most recently
 * used first, of at most ENGINE_SESSIONS_MAX, where the least recently used
 * idle one goes first, and one idle for its session's TTL (the session has
 * expired: what it held must not outlive it) or for ENGINE_SESSION_IDLE_MS
 * goes too (its state is in the store: the next execution rebuilds it). A
 * deleted session's goes at once (DROP_SESSION). The
 * supervisor runs one execution of a session at a time (its lane), so a
 * context is never in two executions at once. Each snippet is rewritten (rewriteSession, in the rewriter's own
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
#include "common/dlist.h"
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

/* One session's live context. */
struct sess {
	JSGlobalContextRef ctx;
	JSObjectRef obj;     /* session.js exports there; protected */
	JSObjectRef rt;      /* the runtime's exports once loaded there; protected */
	char id[65];
	uint64_t seq;        /* executions the session had when this context last ran one */
	uint64_t used_ns;    /* when its last execution ended */
	uint64_t idle_ns;    /* it goes when idle this long: the session's TTL, at most the cap */
	bool busy;           /* in an execution now */
	bool gone;           /* dropped while busy: free it when that ends */
	struct sess *prev, *next;
};

static void sess_free(struct engine *e, struct sess *s)
{
	DLIST_UNLINK(e->sessions, s);
	e->nsessions--;
	if (s->obj)
		JSValueUnprotect(s->ctx, s->obj);
	if (s->rt)
		JSValueUnprotect(s->ctx, s->rt);
	JSGlobalContextRelease(s->ctx);
	free(s);
}

static struct sess *sess_find(struct engine *e, const char *id)
{
	for (struct sess *s = e->sessions; s; s = s->next)
		if (!s->gone && strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

int session_enter(struct exec *x)
{
	struct engine *e = x->eng;
	struct sess *s = sess_find(e, x->req->session.id);
	if (s && s->busy) {
		x->res->status = OUTCOME_INTERNAL;
		report_set_error(x->res, "InternalError",
				 "the session is running another execution in this worker");
		return -1;
	}
	if (s && s->seq == x->req->session.seq) {
		s->busy = true;
		x->sess = s;
		x->ctx = s->ctx;
		JSGlobalContextRetain(x->ctx); /* x's own hold, as on a fresh one */
		DLIST_UNLINK(e->sessions, s);
		DLIST_PUSH(e->sessions, s);
		return 1;
	}
	if (s)
		sess_free(e, s); /* another worker (or node) ran the session since */
	return 0;
}

void session_resume(struct exec *x)
{
	JSValueRef exc = NULL;
	if (x->sess->rt) {
		/* The runtime stays loaded; process.env is this request's. */
		x->rt_state = 2;
		x->rt_obj = x->sess->rt;
		JSValueRef env = host_env_object(x);
		call_export(x->ctx, x->sess->rt, "setEnv", 1, &env, &exc);
	}
}

/* Makes room for one more context: the least recently used idle ones go
 * (the list is most recently used first). */
static void sess_make_room(struct engine *e)
{
	struct sess *s = e->sessions;
	while (s && s->next)
		s = s->next;
	while (s && e->nsessions >= ENGINE_SESSIONS_MAX) {
		struct sess *prev = s->prev;
		if (!s->busy)
			sess_free(e, s);
		s = prev;
	}
}

int session_begin(struct exec *x)
{
	struct engine *e = x->eng;
	const struct exec_req *req = x->req;
	JSValueRef exc = NULL;
	sess_make_room(e);
	struct sess *s = calloc(1, sizeof *s);
	if (!s) {
		session_fail(x, "out of memory for the session", NULL);
		return -1;
	}
	/* The context is the session's from here: sess_free releases it. */
	s->ctx = x->ctx;
	JSGlobalContextRetain(s->ctx);
	snprintf(s->id, sizeof s->id, "%s", req->session.id);
	s->seq = req->session.seq;
	s->busy = true;
	DLIST_PUSH(e->sessions, s);
	e->nsessions++;
	x->sess = s;
	JSValueRef v = bundles_eval(&e->bundles, x->ctx, BUNDLE_SESSION, &exc);
	if (exc || !v || !JSValueIsObject(x->ctx, v)) {
		session_fail(x, "the session support did not load", exc);
		return -1;
	}
	s->obj = (JSObjectRef)v;
	JSValueProtect(x->ctx, v);
	/* The baseline: every global so far is the runtime's, not the user's. */
	JSValueRef g = JSContextGetGlobalObject(x->ctx);
	call_export(x->ctx, s->obj, "init", 1, &g, &exc);
	if (exc) {
		session_fail(x, "the session support did not start", exc);
		return -1;
	}
	if (req->session.state && req->session.state_len) {
		JSStringRef str = jsval_from_utf8(req->session.state, req->session.state_len);
		JSValueRef arg = JSValueMakeString(x->ctx, str);
		JSStringRelease(str);
		call_export(x->ctx, s->obj, "restore", 1, &arg, &exc);
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
	x->deadline_ns = clock_mono_ns() + ENGINE_SNAPSHOT_MS * 1000000ull;
	JSValueRef arg = JSValueMakeNumber(x->ctx, (double)x->req->session.state_max), exc = NULL;
	JSValueRef v = call_export(x->ctx, x->sess->obj, "snapshot", 1, &arg, &exc);
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

void session_leave(struct exec *x, bool keep)
{
	struct sess *s = x->sess;
	struct engine *e = x->eng;
	x->sess = NULL;
	if (!s)
		return;
	/* The context serves the session's next execution, with the runtime it
	 * loaded. */
	if (x->rt_obj && !s->rt)
		s->rt = x->rt_obj;
	x->rt_obj = NULL;
	s->busy = false;
	s->used_ns = clock_mono_ns();
	uint64_t ttl = x->req->session.ttl_ms;
	s->idle_ns = (ttl && ttl < ENGINE_SESSION_IDLE_MS ? ttl : ENGINE_SESSION_IDLE_MS) * 1000000ull;
	if (keep && !s->gone)
		s->seq = x->req->session.seq + 1;
	else
		sess_free(e, s);
}

void session_drop(struct engine *e, const char *id)
{
	struct sess *s = sess_find(e, id);
	if (!s)
		return;
	if (s->busy)
		s->gone = true;
	else
		sess_free(e, s);
}

size_t session_ids(const struct engine *e, const char **ids, size_t max)
{
	size_t n = 0;
	for (const struct sess *s = e->sessions; s; s = s->next, n++)
		if (n < max)
			ids[n] = s->id;
	return n;
}

void session_drop_all(struct engine *e)
{
	while (e->sessions)
		sess_free(e, e->sessions);
}

uint64_t session_expire(struct engine *e, uint64_t now)
{
	uint64_t next = 0;
	for (struct sess *s = e->sessions, *n; s; s = n) {
		n = s->next;
		if (s->busy)
			continue;
		if (now - s->used_ns >= s->idle_ns)
			sess_free(e, s);
		else if (!next || s->used_ns + s->idle_ns < next)
			next = s->used_ns + s->idle_ns;
	}
	return next;
}
