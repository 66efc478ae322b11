/* engine — see engine.h for the theory of operation.
 *
 * This file is the VM's life (creation, warm-up, the watchdog), the
 * contexts an execution runs in (fresh, a session's, a function's), the
 * turns of the executions in flight and their scheduling, and function mode; it is built on jsval (C and JS values),
 * bundles (the embedded JS), exec (an execution's state), report (its
 * result), session (a session's context) and the host_*.c modules (its
 * globals). */
#include "worker/engine_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <unistd.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/clock.h"
#include "worker/host_crypto.h"
#include "worker/jsscan.h"
#include "worker/host_fs.h"
#include "worker/report.h"
#include "common/dlist.h"
#include "worker/scache.h"
#include "worker/session.h"

/* --- the VM ------------------------------------------------------------- */

/* Resident bytes of this process now, or 0 when they cannot be read. */
static uint64_t rss_now(struct engine *e)
{
	char b[96];
	if (e->statm_fd < 0)
		return 0;
	ssize_t n = pread(e->statm_fd, b, sizeof b - 1, 0);
	if (n <= 0)
		return 0;
	b[n] = '\0';
	unsigned long long size, resident;
	if (sscanf(b, "%llu %llu", &size, &resident) != 2)
		return 0;
	static uint64_t page;
	if (!page)
		page = (uint64_t)sysconf(_SC_PAGESIZE);
	return resident * page;
}

/* Charges x with the growth of resident memory since its turn's last
 * reading (a shrink pays back what it held, never below nothing), and
 * stops it when it holds more than its cap. */
static void charge(struct exec *x, uint64_t rss)
{
	if (!rss || !x->turn_rss)
		return;
	if (rss >= x->turn_rss)
		x->mem_held += rss - x->turn_rss;
	else
		x->mem_held = x->turn_rss - rss > x->mem_held ? 0 : x->mem_held - (x->turn_rss - rss);
	x->turn_rss = rss;
	if (x->mem_held > x->mem_peak)
		x->mem_peak = x->mem_held;
	if (x->req->memory_bytes && x->mem_held > x->req->memory_bytes && x->term == TERM_NONE)
		x->term = TERM_MEMORY;
}

static bool watchdog_cb(JSContextRef ctx, void *data)
{
	struct engine *e = data;
	struct exec *x = e->cur;
	if (x && x->term == TERM_NONE) {
		if (clock_mono_ns() >= x->deadline_ns)
			x->term = TERM_TIMEOUT;
		else if (e->cancel_slot && __atomic_load_n(e->cancel_slot, __ATOMIC_RELAXED) == x->req->slot)
			x->term = TERM_CANCELLED;
		else
			charge(x, rss_now(e));
	}
	if (x && x->term != TERM_NONE) {
		e->terminated = true;
		return true;
	}
	/* JSC does not re-arm a watchdog whose callback declined: setting the
	 * limit again from inside the callback does (it restarts the timer for
	 * the entry in progress). */
	JSContextGroupSetExecutionTimeLimit(e->group, ENGINE_WATCHDOG_SLICE, watchdog_cb, e);
	return false;
}

int engine_new(struct engine **out, const struct engine_opts *opts, const struct engine_io *io)
{
	struct engine *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->jit = opts->jit;
	e->io = *io;
	e->statm_fd = opts->statm_fd;
	e->turn_slot = opts->turn_slot;
	e->cancel_slot = opts->cancel_slot;
	if (!opts->jit) {
		jsc_options_set_boolean("useJIT", 0);
		jsc_options_set_boolean("useDFGJIT", 0);
		jsc_options_set_boolean("useFTLJIT", 0);
		jsc_options_set_boolean("useRegExpJIT", 0);
	}
	/* WebAssembly is off by policy: it widens the JIT surface, and JSC's
	 * watchdog does not stop a running wasm loop. A worker started for
	 * executions that opted in (--wasm=1) has it: it runs one execution at
	 * a time, in a binding of its own, so the supervisor's deadline kill
	 * ends a loop without touching any neighbour. */
	e->wasm = opts->wasm;
	jsc_options_set_boolean("useWebAssembly", opts->wasm ? 1 : 0);
	e->group = JSContextGroupCreate();
	if (!e->group) {
		free(e);
		return -ENOMEM;
	}
	e->bundles.group = e->group;
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

void engine_free(struct engine *e)
{
	if (!e)
		return;
	scache_release(&e->scache);
	bundles_release(&e->bundles);
	if (e->date_script)
		JSScriptRelease(e->date_script);
	if (e->spare)
		JSGlobalContextRelease(e->spare);
	if (e->fn_ctx) {
		if (e->fn_rt)
			JSValueUnprotect(e->fn_ctx, e->fn_rt);
		JSGlobalContextRelease(e->fn_ctx);
	}
	session_drop_all(e);
	vfs_free(e->pkg);
	free(e->pkg_entry);
	idmap_release(&e->live);
	idmap_release(&e->fetches);
	free(e->wheap);
	free(e->touched);
	if (e->on_rejection)
		JSValueUnprotect(e->host_ctx, e->on_rejection);
	JSGlobalContextRelease(e->host_ctx);
	JSContextGroupClearExecutionTimeLimit(e->group);
	JSContextGroupRelease(e->group);
	free(e);
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
	/* Every worker, light or full: without it a program's first key or
	 * cipher would make OpenSSL open files under the sandbox. */
	host_crypto_warm();
	JSGlobalContextRef ctx = JSGlobalContextCreateInGroup(e->group, NULL);
	if (!ctx)
		return -ENOMEM;
	JSValueRef exc = NULL;
	if (full) {
		jsval_eval(ctx, warm, sizeof warm - 1, "corral:warm", &exc);
		bundles_warm(&e->bundles, ctx);
		JSGarbageCollect(ctx);
	} else {
		jsval_eval(ctx, light, sizeof light - 1, "corral:warm", &exc);
	}
	JSGlobalContextRelease(ctx);
	return exc ? -EINVAL : 0;
}

/* --- one execution ------------------------------------------------------ */

static struct exec *exec_of(JSContextRef ctx)
{
	(void)ctx;
	return exec_current;
}

/* The completion value's promise settled: state is what it became. */
static JSValueRef settle(struct exec *x, JSContextRef ctx, int state, size_t argc,
			 const JSValueRef argv[])
{
	if (x->pstate == PROMISE_PENDING) {
		x->pstate = state;
		x->pvalue = argc ? argv[0] : JSValueMakeUndefined(ctx);
		JSValueProtect(ctx, x->pvalue);
	}
	return JSValueMakeUndefined(ctx);
}

static JSValueRef on_fulfilled(struct exec *x, JSContextRef ctx, JSObjectRef self,
			       size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	return settle(x, ctx, PROMISE_FULFILLED, argc, argv);
}

static JSValueRef on_rejected(struct exec *x, JSContextRef ctx, JSObjectRef self,
			      size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	return settle(x, ctx, PROMISE_REJECTED, argc, argv);
}

static JSValueRef on_unhandled_rejection(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
					 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_of(ctx);
	if (x)
		exec_uncaught(x, argc > 1 ? argv[1] : NULL);
	return JSValueMakeUndefined(ctx);
}

/* Attaches our handlers when v is a thenable. Returns whether it was one. */
static bool await_value(struct exec *x, JSValueRef v)
{
	if (!JSValueIsObject(x->ctx, v))
		return false;
	JSValueRef then = jsval_get(x->ctx, (JSObjectRef)v, "then");
	if (!then || !JSValueIsObject(x->ctx, then) || !JSObjectIsFunction(x->ctx, (JSObjectRef)then))
		return false;
	JSValueRef args[2] = {
		exec_bind_fn(x, "onFulfilled", on_fulfilled),
		exec_bind_fn(x, "onRejected", on_rejected),
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

/* Symbol.dispose and Symbol.asyncDispose, which this engine lacks and Node
 * (since 20.4) has: the `using` declarations that TypeScript lowers look
 * them up. Each is a fresh symbol described as in Node 20 ("nodejs.dispose"), read-only. */
static void install_dispose_symbols(JSContextRef ctx, JSObjectRef global)
{
	JSValueRef sym = jsval_get(ctx, global, "Symbol");
	if (!sym || !JSValueIsObject(ctx, sym))
		return;
	static const char *const names[] = { "dispose", "asyncDispose" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		JSValueRef have = jsval_get(ctx, (JSObjectRef)sym, names[i]);
		if (have && !JSValueIsUndefined(ctx, have))
			continue;
		char desc[32];
		snprintf(desc, sizeof desc, "nodejs.%s", names[i]);
		JSStringRef d = JSStringCreateWithUTF8CString(desc);
		JSValueRef v = JSValueMakeSymbol(ctx, d);
		JSStringRelease(d);
		jsval_set(ctx, (JSObjectRef)sym, names[i], v,
			  kJSPropertyAttributeReadOnly | kJSPropertyAttributeDontEnum | kJSPropertyAttributeDontDelete);
	}
}

/* JSC finishes WebAssembly.compile and instantiate on its own run loop,
 * which a worker does not run (their promises would never settle): in a
 * wasm worker they, and the *Streaming forms, compile synchronously with
 * the Module and Instance constructors instead, settling as the standard
 * says (a compile error rejects). */
static void install_wasm_async(JSContextRef ctx)
{
	static const char src[] =
		"(function (W, P, d) {"
		" var M = W.Module, I = W.Instance;"
		" function def(n, f) { d(W, n, { value: f, writable: true, configurable: true, enumerable: false }); }"
		" function inst(s, im) { if (s instanceof M) return new I(s, im);"
		"  var m = new M(s); return { module: m, instance: new I(m, im) }; }"
		" def('compile', { compile(b) { return new P(function (r) { r(new M(b)); }); } }.compile);"
		" def('instantiate', { instantiate(s, im) { return new P(function (r) { r(inst(s, im)); }); } }.instantiate);"
		" def('compileStreaming', { compileStreaming(s) { return P.resolve(s).then(function (r) { return r.arrayBuffer(); })"
		"  .then(function (b) { return new M(b); }); } }.compileStreaming);"
		" def('instantiateStreaming', { instantiateStreaming(s, im) { return P.resolve(s).then(function (r) { return r.arrayBuffer(); })"
		"  .then(function (b) { return inst(b, im); }); } }.instantiateStreaming);"
		"})(WebAssembly, Promise, Object.defineProperty)";
	JSValueRef exc = NULL;
	jsval_eval(ctx, src, sizeof src - 1, "corral:wasm", &exc);
}

/* What every context gets, whatever the request: made ahead of time in
 * engine_prepare when the worker is idle. */
static void install_common(struct exec *x)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef global = JSContextGetGlobalObject(ctx);
	if (!x->eng->wasm) {
		JSStringRef wasm = JSStringCreateWithUTF8CString("WebAssembly");
		JSObjectDeleteProperty(ctx, global, wasm, NULL);
		JSStringRelease(wasm);
	} else {
		install_wasm_async(ctx);
	}
	install_dispose_symbols(ctx, global);
	host_compat_install(x, global);
	/* The handler lives in the engine's host context: JSC holds it strongly
	 * from the user's global, and a function of that same global would keep
	 * the whole context alive forever (measured: +95 MB per 1,000 runs). */
	JSValueRef exc = NULL;
	if (!x->eng->on_rejection) {
		x->eng->on_rejection = jsval_make_fn(x->eng->host_ctx, "onUnhandledRejection", on_unhandled_rejection);
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
	} else if (x->sess || x->ctx == x->eng->fn_ctx) {
		JSGlobalContextSetEvalEnabled(x->ctx, true, NULL);
	}
	/* A wasm worker serves only executions that asked for it; one that did
	 * not (none should come) still gets no WebAssembly. */
	if (x->eng->wasm && !x->req->wasm) {
		JSStringRef wasm = JSStringCreateWithUTF8CString("WebAssembly");
		JSObjectDeleteProperty(x->ctx, global, wasm, NULL);
		JSStringRelease(wasm);
	}
	/* The bundle is fixed at build time: asked once, not per execution. */
	static int runtime_process = -1;
	if (runtime_process < 0)
		runtime_process = bundles_runtime_provides("process");
	if (!runtime_process)
		host_process_install(x, global);
#ifdef CORRAL_TEST_HOOKS
	host_testhooks_install(x, global);
#endif
}

void engine_prepare(struct engine *e)
{
	/* A function's worker runs in its function's context from then on. */
	if (e->spare || e->fn_ctx)
		return;
	struct exec x = { 0 };
	x.eng = e;
	uint64_t before = rss_now(e);
	x.ctx = JSGlobalContextCreateInGroup(e->group, NULL);
	if (!x.ctx)
		return;
	install_common(&x);
	e->spare = x.ctx;
	uint64_t after = rss_now(e);
	if (after > before && after - before > e->ctx_cost)
		e->ctx_cost = after - before;
}

/* WTF's allocator (bmalloc/libpas) keeps freed pages for reuse; this
 * returns them (FastMalloc.h, exported by libjavascriptcoregtk). */
extern void _ZN3WTF27releaseFastMallocFreeMemoryEv(void);

uint64_t engine_rss(struct engine *e)
{
	return rss_now(e);
}

uint64_t engine_collect(struct engine *e)
{
	uint64_t rss = rss_now(e);
	if (!rss || !e->idle_rss || rss < e->idle_rss + ENGINE_COLLECT_SLACK) {
		if (!e->idle_rss)
			e->idle_rss = rss; /* the first reading: the worker as it started */
		return 0;
	}
	JSSynchronousGarbageCollectForDebugging(e->host_ctx);
	_ZN3WTF27releaseFastMallocFreeMemoryEv();
	malloc_trim(0);
	e->idle_rss = rss_now(e);
	return e->idle_rss;
}

/* Puts a fresh context in x: the one made while the worker was idle, or a
 * new one with the request-independent globals. Returns 0, or -1 with res
 * set (internal). */
static int fresh_context(struct exec *x)
{
	struct engine *e = x->eng;
	if (e->spare) {
		x->ctx = e->spare;
		e->spare = NULL;
		return 0;
	}
	x->ctx = JSGlobalContextCreateInGroup(e->group, NULL);
	if (!x->ctx) {
		report_set_error(x->res, "InternalError", "cannot create a JavaScript context");
		return -1;
	}
	install_common(x);
	return 0;
}

/* Puts x in its session's context: the live one when it is this session's
 * and current, else a fresh one with the stored bindings restored into it
 * before any user code runs. Returns 0, or -1 with res set (internal). */
static int enter_session(struct exec *x)
{
	int live = session_enter(x);
	if (live < 0)
		return -1;
	if (live) {
		install_request(x);
		session_resume(x);
		return 0;
	}
	if (fresh_context(x))
		return -1;
	install_request(x);
	return session_begin(x);
}

/* --- turns and their scheduling ---------------------------------------- */

static bool wake_before(const struct exec *a, const struct exec *b)
{
	return a->wake_ns < b->wake_ns || (a->wake_ns == b->wake_ns && a->serial < b->serial);
}

static void wheap_set(struct engine *e, size_t i, struct exec *x)
{
	e->wheap[i] = x;
	x->heap_index = i;
}

static void wheap_up(struct engine *e, size_t i)
{
	struct exec *x = e->wheap[i];
	while (i > 0 && wake_before(x, e->wheap[(i - 1) / 2])) {
		wheap_set(e, i, e->wheap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	wheap_set(e, i, x);
}

static void wheap_down(struct engine *e, size_t i)
{
	struct exec *x = e->wheap[i];
	for (;;) {
		size_t l = 2 * i + 1, m = l;
		if (l >= e->nwheap)
			break;
		if (l + 1 < e->nwheap && wake_before(e->wheap[l + 1], e->wheap[l]))
			m = l + 1;
		if (!wake_before(e->wheap[m], x))
			break;
		wheap_set(e, i, e->wheap[m]);
		i = m;
	}
	wheap_set(e, i, x);
}

static void wheap_remove(struct engine *e, struct exec *x)
{
	size_t i = x->heap_index;
	if (i >= e->nwheap || e->wheap[i] != x)
		return;
	struct exec *last = e->wheap[--e->nwheap];
	x->heap_index = SIZE_MAX;
	if (last == x)
		return;
	wheap_set(e, i, last);
	wheap_down(e, i);
	wheap_up(e, last->heap_index);
}

/* Puts x in the heap at its next wake: its first timer or its deadline. */
static int wheap_schedule(struct engine *e, struct exec *x)
{
	uint64_t wake = x->deadline_ns;
	if (x->ntimers && x->timers[0].when_ns < wake)
		wake = x->timers[0].when_ns;
	x->wake_ns = wake;
	if (x->heap_index < e->nwheap && e->wheap[x->heap_index] == x) {
		wheap_down(e, x->heap_index);
		wheap_up(e, x->heap_index);
		return 0;
	}
	if (e->nwheap == e->wheap_alloc) {
		size_t n = e->wheap_alloc ? e->wheap_alloc * 2 : 64;
		struct exec **h = realloc(e->wheap, n * sizeof *h);
		if (!h)
			return -ENOMEM;
		e->wheap = h;
		e->wheap_alloc = n;
	}
	wheap_set(e, e->nwheap++, x);
	wheap_up(e, x->heap_index);
	return 0;
}

/* A turn: one entry into x's JavaScript and the microtasks it queues. */
static void turn_begin(struct exec *x)
{
	x->eng->cur = x;
	exec_current = x;
	if (x->eng->turn_slot)
		__atomic_store_n(x->eng->turn_slot, x->req->slot, __ATOMIC_RELAXED);
	x->turn_cpu_ns = clock_thread_cpu_ns();
	x->turn_rss = rss_now(x->eng);
}

static void turn_end(struct exec *x)
{
	struct engine *e = x->eng;
	x->cpu_ns += clock_thread_cpu_ns() - x->turn_cpu_ns;
	charge(x, rss_now(e));
	if (e->terminated) {
		/* A termination that came during the microtasks JSC drains as
		 * the entry returns is not reported to it, and stays pending:
		 * the next call into the VM would fail. Spend it here. */
		e->terminated = false;
		JSStringRef z = JSStringCreateWithUTF8CString("0");
		JSEvaluateScript(e->host_ctx, z, NULL, NULL, 1, NULL);
		JSStringRelease(z);
	}
	host_output_flush(x);
	e->cur = NULL;
	exec_current = NULL;
	if (e->turn_slot)
		__atomic_store_n(e->turn_slot, 0, __ATOMIC_RELAXED);
}

/* Whether x has nothing left that could run: it was stopped, it threw,
 * or no timer and no fetch of its own is pending. */
static bool settled(const struct exec *x)
{
	return x->term != TERM_NONE || x->uncaught || (x->ntimers == 0 && host_fetch_waiting(x) == 0);
}

static void finish(struct exec *x);

static void set_parked(struct exec *x, bool on)
{
	if (x->parked == on)
		return;
	x->parked = on;
	if (on)
		x->eng->fn_parked++;
	else
		x->eng->fn_parked--;
}

/* Every function invocation in flight is parked: none can settle another,
 * so each ends (finish_function reports one that never answered). */
static void end_parked(struct engine *e)
{
	if (e->ending_parked)
		return;
	e->ending_parked = true;
	while (e->fn_inflight && e->fn_inflight == e->fn_parked) {
		struct exec *p = e->execs;
		while (p && !p->parked)
			p = p->next;
		if (!p)
			break;
		finish(p);
	}
	e->ending_parked = false;
}

static void after_one(struct exec *x)
{
	struct engine *e = x->eng;
	if (x->term == TERM_NONE && !x->uncaught && clock_mono_ns() >= x->deadline_ns)
		x->term = TERM_TIMEOUT;
	bool idle = x->term == TERM_NONE && !x->uncaught && !x->ntimers && !host_fetch_waiting(x);
	if (x->req->function && idle && x->pstate == PROMISE_PENDING && !x->resp_ended) {
		set_parked(x, true);
		if (e->fn_inflight > e->fn_parked && !wheap_schedule(e, x))
			return; /* another invocation may still settle it */
		end_parked(e);
		return;
	}
	set_parked(x, false);
	if (settled(x) || wheap_schedule(e, x))
		finish(x);
}

/* After a turn of x: ends it, or schedules its next wake; the same for
 * the executions the turn reached through their bound functions. */
static void after_turn(struct exec *x)
{
	struct engine *e = x->eng;
	after_one(x);
	while (e->ntouched) {
		struct exec *t = idmap_get(&e->live, e->touched[--e->ntouched]);
		if (t) {
			t->touched = false;
			after_one(t);
		}
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

/* A deploy's check that the entry parses: transpiled when it needs to be,
 * compiled as the body of a CommonJS module wrapper (whose text sits on the
 * module's first line, so line numbers hold), never evaluated. */
static void exec_check(struct exec *x, JSStringRef src, JSStringRef url)
{
	const char *name = x->req->filename ? x->req->filename : "index.js";
	size_t nl = strlen(name);
	bool ts = (nl > 3 && !strcmp(name + nl - 3, ".ts")) || (nl > 4 && !strcmp(name + nl - 4, ".mts"));
	bool esm = ts || (nl > 4 && !strcmp(name + nl - 4, ".mjs")) || bundles_module_syntax(src, x->req->code, x->req->code_len);
	JSStringRef code = src;
	JSStringRetain(code);
	if (esm) {
		char terr[512];
		JSStringRef js = bundles_transpile(&x->eng->bundles, src, url, ts, terr, sizeof terr);
		if (!js) {
			JSStringRelease(code);
			x->res->status = OUTCOME_REJECTED;
			report_set_error(x->res, "SyntaxError", terr);
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
		report_set_error(x->res, "InternalError", "out of memory");
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
		report_syntax_error(x, wrapped, url);
	}
	JSStringRelease(wrapped);
}

/* One invocation of the package's handler (host_invoke.c), its first turn.
 * The first one makes the function's context and loads the runtime and the
 * module; later ones find them warm. Returns 1 when the invocation goes on
 * (finish_function ends it), 0 when it ended already (res set), -errno. */
static int exec_function(struct exec *x)
{
	struct engine *e = x->eng;
	struct exec_res *res = x->res;
	if (!e->pkg_ready) {
		report_set_error(res, "InternalError", "no package is loaded in this worker");
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
				report_set_error(res, "InternalError", "cannot create a JavaScript context");
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
			exec_uncaught(x, exc);
			report_finish(x, NULL, false);
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
			exec_uncaught(x, exc);
	} else {
		JSValueProtect(x->ctx, p);
		x->value = p;
		if (x->term == TERM_NONE)
			await_value(x, p);
	}
	return 1;
}

/* The end of a function's invocation (x->value is its promise). */
static void finish_function(struct exec *x)
{
	bool stuck = x->pstate == PROMISE_PENDING && x->term == TERM_NONE && !x->uncaught;
	report_finish(x, NULL, false);
	if (stuck && !x->resp_ended) {
		/* Express would hang here until the client gave up: nothing is
		 * left that could end the response, so it is the timeout now. */
		x->res->status = OUTCOME_TIMEOUT;
		report_set_error(x->res, "TimeoutError", "the handler returned without ending the response, and nothing is left to run that could");
	}
}

/* The first turn of a code-mode execution (or a session's, or a deploy's
 * check): compile and evaluate. Returns 1 when it goes on in later turns,
 * 0 when it has ended with its result reported. */
/* The `this` of the main file's top level. Node runs a CommonJS main file
 * as a module, where it is module.exports; code mode runs it as a script
 * (for its completion value), where it would be the global object. So
 * module.exports is passed as the script's this, but only when the code
 * says `this` at all (reading `module` loads the runtime, which costs
 * ~0.4 ms), never for a session (a REPL's this is the global) and never for
 * the top-level await rewrite (whose `this.f = f` makes functions global;
 * Node has no top-level await in CommonJS anyway). NULL: the global. */
static JSValueRef main_this(struct exec *x)
{
	const struct exec_req *req = x->req;
	if (req->session.id || x->tla || !memmem(req->code, req->code_len, "this", 4))
		return NULL;
	JSObjectRef global = JSContextGetGlobalObject(x->ctx);
	JSValueRef module = jsval_get(x->ctx, global, "module");
	JSValueRef exports = module && JSValueIsObject(x->ctx, module)
		? jsval_get(x->ctx, (JSObjectRef)module, "exports") : NULL;
	return exports && JSValueIsObject(x->ctx, exports) ? exports : NULL;
}

/* Code with top-level await, rewritten into an async function (tools.js,
 * rewriteTopLevelAwait). Code that does not compile as a script may have
 * it (`const x = await p;`); code that does may too, where `await (p)` or
 * `await [a]` read as a call of or an index into a variable `await`: the
 * lexer (jsscan.c) tells whether an `await` token stands outside every
 * function body, and only then does acorn decide, on the code's skeleton.
 * Returns the script to run (script itself when there is nothing to
 * rewrite, or NULL), sets x->tla when it is the rewritten code. */
/* Code units of code whose rewrite is followed by a full collection. */
#define ENGINE_REWRITE_COLLECT (256u << 10)

static JSScriptRef top_level_await(struct exec *x, JSScriptRef script, JSStringRef src, JSStringRef url)
{
	struct engine *e = x->eng;
	const JSChar *c = JSStringGetCharactersPtr(src);
	size_t n = JSStringGetLength(src);
	if (script && !memmem(x->req->code, x->req->code_len, "await", 5))
		return script;
	struct jsscan sc;
	if (jsscan(c, n, &sc))
		return script;
	JSStringRef rewritten = NULL;
	if (!script || !sc.ok || sc.top_await) {
		rewritten = bundles_rewrite(&e->bundles, "rewriteTopLevelAwait", src, &sc);
		/* A big script's syntax tree is garbage now: collected before
		 * the code compiles and runs, it is not part of their peak. */
		if (n > ENGINE_REWRITE_COLLECT)
			JSSynchronousGarbageCollectForDebugging(e->host_ctx);
	}
	jsscan_free(&sc);
	if (!rewritten)
		return script;
	JSStringRef err_msg = NULL;
	int err_line = 0;
	JSScriptRef rw = JSScriptCreateFromString(e->group, url, 1, rewritten, &err_msg, &err_line);
	if (err_msg)
		JSStringRelease(err_msg);
	JSStringRelease(rewritten);
	if (!rw)
		return script;
	if (script)
		JSScriptRelease(script);
	x->tla = true;
	return rw;
}

static int first_turn(struct exec *x)
{
	struct engine *e = x->eng;
	const struct exec_req *req = x->req;
	struct exec_res *res = x->res;
	if (req->function) {
		int rc = exec_function(x);
		x->reported = rc <= 0;
		return rc > 0;
	}
	x->reported = true; /* until the code runs */
	if (req->session.id) {
		if (enter_session(x))
			return 0;
	} else {
		if (fresh_context(x))
			return 0;
		install_request(x);
	}

	int go = 0;
	JSStringRef src = jsval_from_utf8(req->code, req->code_len);
	JSStringRef url = JSStringCreateWithUTF8CString(req->filename ? req->filename : "main.js");
	if (req->check) {
		exec_check(x, src, url);
		goto out;
	}
	/* Code mode: the same code compiled before is compiled already. */
	const char *fname = req->filename ? req->filename : "main.js";
	bool cacheable = !req->session.id;
	JSScriptRef script = cacheable ? scache_get(&e->scache, req->code, req->code_len, fname,
						    req->typescript, &x->tla)
				       : NULL;
	if (script)
		goto run;
	/* TypeScript, and code with import/export statements or import()
	 * (an ES module, as Node runs a .mjs file), is compiled to CommonJS
	 * first; the lexer says which, not a pattern over the text. */
	if (req->typescript || bundles_module_syntax(src, req->code, req->code_len)) {
		char terr[512];
		JSStringRef js = bundles_transpile(&e->bundles, src, url, req->typescript, terr, sizeof terr);
		if (!js) {
			res->status = OUTCOME_REJECTED;
			report_set_error(res, "SyntaxError", terr);
			/* The transpiler's message ends in "(LINE:COLUMN)", 0-based column. */
			const char *paren = strrchr(terr, '(');
			unsigned long l, c;
			if (paren && sscanf(paren, "(%lu:%lu)", &l, &c) == 2) {
				res->err_line = l;
				res->err_column = c + 1;
			}
			goto out;
		}
		JSStringRelease(src);
		src = js;
	}
	JSStringRef err_msg = NULL;
	int err_line = 0;
	if (req->session.id) {
		/* Every top-level declaration becomes a binding of the session's
		 * global object (and re-declaring one is allowed, as in a REPL);
		 * code that does not parse runs as it is, to report its error. */
		JSStringRef rw = req->typescript || session_needs_rewrite(req->code, req->code_len)
			? bundles_rewrite(&e->bundles, "rewriteSession", src, NULL) : NULL;
		if (rw) {
			x->tla = session_rewrite_is_async(rw);
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
	if (x->term == TERM_NONE && !req->session.id)
		script = top_level_await(x, script, src, url);
	if (!script) {
		if (x->term != TERM_NONE)
			report_finish(x, NULL, false);
		else
			report_syntax_error(x, src, url);
		goto out;
	}
	if (cacheable)
		scache_put(&e->scache, req->code, req->code_len, fname, req->typescript, script, x->tla);
run:;
	JSValueRef exc = NULL;
	JSValueRef v = JSScriptEvaluate(x->ctx, script, main_this(x), &exc);
	JSScriptRelease(script);
	x->reported = false;
	x->ran = true;
	go = 1;
	if (exc && x->term == TERM_NONE) {
		exec_uncaught(x, exc);
	} else if (!exc && v) {
		JSValueProtect(x->ctx, v);
		x->value = v;
		x->have_value = true;
		if (x->term == TERM_NONE)
			await_value(x, v);
	}
out:
	JSStringRelease(url);
	JSStringRelease(src);
	return go;
}

/* Ends x: its result (unless reported already), a session's snapshot, the
 * release of what it holds, and io->done. */
static void finish(struct exec *x)
{
	struct engine *e = x->eng;
	const struct exec_req *req = x->req;
	struct exec_res *res = x->res;
	wheap_remove(e, x);
	if (!x->reported) {
		turn_begin(x);
		if (req->function)
			finish_function(x);
		else
			report_finish(x, x->value, x->have_value);
		if (req->session.id && x->ran && x->term == TERM_NONE &&
		    (res->status == OUTCOME_OK || res->status == OUTCOME_ERROR))
			session_snapshot(x);
		turn_end(x);
	}
	host_output_flush(x);
	vfs_free(x->vfs);
	host_timers_clear(x);
	host_fetch_clear(x);
	host_zlib_clear(x);
	if (x->ctx) {
		if (x->uncaught)
			JSValueUnprotect(x->ctx, x->uncaught);
		if (x->pvalue)
			JSValueUnprotect(x->ctx, x->pvalue);
		if (x->value)
			JSValueUnprotect(x->ctx, x->value);
		if (x->inspect)
			JSValueUnprotect(x->ctx, x->inspect);
		/* A session's context serves its next execution; one whose
		 * turn was stopped does not. */
		session_leave(x, x->term == TERM_NONE && res->status != OUTCOME_INTERNAL);
		if (x->ctx && x->rt_obj && x->ctx != e->fn_ctx)
			JSValueUnprotect(x->ctx, x->rt_obj);
		/* A function's context serves its next invocation too. */
		if (x->ctx && x->ctx != e->fn_ctx)
			JSGlobalContextRelease(x->ctx);
	}
	buf_release(&x->pending);
	res->wall_ns = clock_mono_ns() - x->start_ns;
	res->cpu_ns = x->cpu_ns;
	res->peak_mem = x->mem_peak > e->ctx_cost ? x->mem_peak : e->ctx_cost;
	DLIST_UNLINK(e->execs, x);
	idmap_del(&e->live, x->serial);
	e->inflight--;
	bool fn = req->function;
	if (fn) {
		set_parked(x, false);
		e->fn_inflight--;
	}
	e->io.done(e->io.ud, (struct exec_req *)req, res);
	exec_res_release(res);
	free(x);
	if (fn && e->fn_inflight && e->fn_inflight == e->fn_parked)
		end_parked(e);
}

void engine_start(struct engine *e, struct exec_req *req)
{
	struct exec *x = calloc(1, sizeof *x);
	if (!x || idmap_put(&e->live, e->serials + 1, x)) {
		struct exec_res res;
		exec_res_init(&res);
		report_set_error(&res, "InternalError", "out of memory for one more execution");
		e->io.done(e->io.ud, req, &res);
		exec_res_release(&res);
		free(x);
		return;
	}
	x->eng = e;
	x->serial = ++e->serials;
	x->req = req;
	x->res = &x->own_res;
	exec_res_init(x->res);
	x->io = &e->io;
	x->heap_index = SIZE_MAX;
	x->start_ns = clock_mono_ns();
	x->deadline_ns = x->start_ns + req->timeout_ms * 1000000ull;
	x->next_timer_id = 1;
	{
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		x->time_origin_ms = (double)rt.tv_sec * 1e3 + (double)rt.tv_nsec / 1e6;
	}
	buf_init(&x->pending, (1u << 20) + 4096);
	DLIST_PUSH(e->execs, x);
	e->inflight++;
	if (req->function)
		e->fn_inflight++;
	/* The context it takes (or makes) is its own memory. */
	turn_begin(x);
	if (e->spare && !req->function && !req->session.id)
		x->mem_held = x->mem_peak = e->ctx_cost;
	int go = first_turn(x);
	turn_end(x);
	if (go)
		after_turn(x);
	else
		finish(x);
}

void engine_frame(struct engine *e, const struct ipc_msg *m)
{
	if (m->type != IPC_MSG_FETCH_RESULT && m->type != IPC_MSG_FETCH_CHUNK)
		return;
	struct exec *x = idmap_get(&e->fetches, ipc_get_u64(m, IPC_T_FETCH_ID, 0));
	if (!x)
		return; /* the answer to a fetch of an execution that is over */
	turn_begin(x);
	host_fetch_result(x, m);
	turn_end(x);
	after_turn(x);
}

void engine_cancel(struct engine *e, uint64_t slot)
{
	/* Between turns (frames are read between them): none is running. */
	for (struct exec *x = e->execs; x; x = x->next) {
		if (x->req->slot != slot)
			continue;
		if (x->term == TERM_NONE)
			x->term = TERM_CANCELLED;
		finish(x);
		return;
	}
}

void engine_drop_session(struct engine *e, const char *id)
{
	session_drop(e, id);
}

/* engine_run returns after this long even when more is due, so that the
 * worker reads its socket (fetch answers, new executions) in between. */
#define ENGINE_RUN_SLICE_NS 10000000ull

uint64_t engine_run(struct engine *e)
{
	uint64_t start = clock_mono_ns(), now = start;
	while (e->nwheap && e->wheap[0]->wake_ns <= now) {
		struct exec *x = e->wheap[0];
		if (now >= x->deadline_ns) {
			x->term = TERM_TIMEOUT;
			finish(x);
		} else {
			turn_begin(x);
			host_timers_run_due(x);
			turn_end(x);
			after_turn(x);
		}
		now = clock_mono_ns();
		if (now - start > ENGINE_RUN_SLICE_NS)
			return now;
	}
	uint64_t wake = e->nwheap ? e->wheap[0]->wake_ns : 0;
	uint64_t expire = e->sessions ? session_expire(e, now) : 0;
	return !wake || (expire && expire < wake) ? expire : wake;
}

unsigned engine_inflight(const struct engine *e)
{
	return e->inflight;
}
