/* host_timers — setTimeout, setInterval, their clears, and queueMicrotask.
 *
 * Timers live in a binary min-heap ordered by (deadline, creation order), so
 * equal deadlines fire in the order they were set, as in Node. A callback
 * that throws ends the execution as `error` (Node's uncaught exception). The
 * heap is capped at ENGINE_MAX_TIMERS: one more is a RangeError, not memory
 * growth outside the cgroup's view. */
#include "worker/engine_internal.h"

#include <math.h>
#include <stdlib.h>

#include "common/clock.h"

static bool timer_before(const struct timer *a, const struct timer *b)
{
	return a->when_ns < b->when_ns || (a->when_ns == b->when_ns && a->seq < b->seq);
}

static void heap_swap(struct exec *x, size_t i, size_t j)
{
	struct timer t = x->timers[i];
	x->timers[i] = x->timers[j];
	x->timers[j] = t;
}

static void heap_up(struct exec *x, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!timer_before(&x->timers[i], &x->timers[p]))
			break;
		heap_swap(x, i, p);
		i = p;
	}
}

static void heap_down(struct exec *x, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < x->ntimers && timer_before(&x->timers[l], &x->timers[m]))
			m = l;
		if (r < x->ntimers && timer_before(&x->timers[r], &x->timers[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(x, i, m);
		i = m;
	}
}

static void timer_release(struct exec *x, struct timer *t)
{
	JSValueUnprotect(x->ctx, t->fn);
	for (size_t i = 0; i < t->nargs; i++)
		JSValueUnprotect(x->ctx, t->args[i]);
	free(t->args);
}

static void heap_remove(struct exec *x, size_t i)
{
	x->ntimers--;
	if (i != x->ntimers) {
		x->timers[i] = x->timers[x->ntimers];
		heap_down(x, i);
		heap_up(x, i);
	}
}

/* Node clamps delays outside 1 .. 2^31-1 ms to 1 ms. */
static uint32_t delay_ms(JSContextRef ctx, size_t argc, const JSValueRef argv[])
{
	if (argc < 2)
		return 1;
	double d = JSValueToNumber(ctx, argv[1], NULL);
	if (!(d >= 1 && d <= 2147483647.0))
		return 1;
	return (uint32_t)d;
}

static JSValueRef add_timer(JSContextRef ctx, size_t argc, const JSValueRef argv[],
			    JSValueRef *exc, bool repeat)
{
	struct exec *x = exec_current;
	if (!x)
		return JSValueMakeUndefined(ctx);
	if (argc < 1 || !JSValueIsObject(ctx, argv[0]) || !JSObjectIsFunction(ctx, (JSObjectRef)argv[0]))
		return jsval_throw(ctx, exc, "TypeError", "The \"callback\" argument must be of type function");
	if (x->ntimers >= ENGINE_MAX_TIMERS)
		return jsval_throw(ctx, exc, "RangeError", "too many pending timers");
	if (x->ntimers == x->timers_alloc) {
		size_t n = x->timers_alloc ? x->timers_alloc * 2 : 16;
		struct timer *t = realloc(x->timers, n * sizeof *t);
		if (!t)
			return jsval_throw(ctx, exc, "RangeError", "out of memory for timers");
		x->timers = t;
		x->timers_alloc = n;
	}
	uint32_t ms = delay_ms(ctx, argc, argv);
	struct timer t = {
		.when_ns = clock_mono_ns() + (uint64_t)ms * 1000000ull,
		.seq = x->next_seq++,
		.id = x->next_timer_id++,
		.interval_ms = repeat ? ms : 0,
		.fn = (JSObjectRef)argv[0],
		.nargs = argc > 2 ? argc - 2 : 0,
	};
	if (t.nargs) {
		t.args = malloc(t.nargs * sizeof *t.args);
		if (!t.args)
			return jsval_throw(ctx, exc, "RangeError", "out of memory for timers");
		for (size_t i = 0; i < t.nargs; i++) {
			t.args[i] = argv[i + 2];
			JSValueProtect(ctx, t.args[i]);
		}
	}
	JSValueProtect(ctx, t.fn);
	x->timers[x->ntimers] = t;
	heap_up(x, x->ntimers++);
	return JSValueMakeNumber(ctx, t.id);
}

static JSValueRef set_timeout(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			      size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	return add_timer(ctx, argc, argv, exc, false);
}

static JSValueRef set_interval(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			       size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	return add_timer(ctx, argc, argv, exc, true);
}

static JSValueRef clear_timer(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			      size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	if (!x || argc < 1 || !JSValueIsNumber(ctx, argv[0]))
		return JSValueMakeUndefined(ctx);
	double id = JSValueToNumber(ctx, argv[0], NULL);
	for (size_t i = 0; i < x->ntimers; i++) {
		if ((double)x->timers[i].id == id) {
			struct timer t = x->timers[i];
			heap_remove(x, i);
			timer_release(x, &t);
			break;
		}
	}
	return JSValueMakeUndefined(ctx);
}

static JSValueRef queue_microtask(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (argc < 1 || !JSValueIsObject(ctx, argv[0]) || !JSObjectIsFunction(ctx, (JSObjectRef)argv[0]))
		return jsval_throw(ctx, exc, "TypeError", "The \"callback\" argument must be of type function");
	/* Promise.resolve().then(fn): the engine's own microtask queue. */
	JSObjectRef global = JSContextGetGlobalObject(ctx);
	JSValueRef promise_ctor = jsval_get(ctx, global, "Promise");
	if (!promise_ctor || !JSValueIsObject(ctx, promise_ctor))
		return jsval_throw(ctx, exc, "TypeError", "Promise is not available");
	JSValueRef resolve = jsval_get(ctx, (JSObjectRef)promise_ctor, "resolve");
	if (!resolve || !JSValueIsObject(ctx, resolve))
		return jsval_throw(ctx, exc, "TypeError", "Promise.resolve is not available");
	JSValueRef p = JSObjectCallAsFunction(ctx, (JSObjectRef)resolve, (JSObjectRef)promise_ctor, 0, NULL, exc);
	if (!p || *exc || !JSValueIsObject(ctx, p))
		return JSValueMakeUndefined(ctx);
	JSValueRef then = jsval_get(ctx, (JSObjectRef)p, "then");
	if (then && JSValueIsObject(ctx, then))
		JSObjectCallAsFunction(ctx, (JSObjectRef)then, (JSObjectRef)p, 1, argv, exc);
	return JSValueMakeUndefined(ctx);
}

void host_timers_install(struct exec *x, JSObjectRef global)
{
	JSContextRef ctx = x->ctx;
	unsigned a = kJSPropertyAttributeDontEnum;
	jsval_set(ctx, global, "setTimeout", jsval_make_fn(ctx, "setTimeout", set_timeout), a);
	jsval_set(ctx, global, "setInterval", jsval_make_fn(ctx, "setInterval", set_interval), a);
	jsval_set(ctx, global, "clearTimeout", jsval_make_fn(ctx, "clearTimeout", clear_timer), a);
	jsval_set(ctx, global, "clearInterval", jsval_make_fn(ctx, "clearInterval", clear_timer), a);
	jsval_set(ctx, global, "queueMicrotask", jsval_make_fn(ctx, "queueMicrotask", queue_microtask), a);
}

uint64_t host_timers_run_due(struct exec *x)
{
	uint64_t now = clock_mono_ns();
	while (x->ntimers && x->term == TERM_NONE && !x->uncaught) {
		struct timer *top = &x->timers[0];
		if (top->when_ns > now)
			return top->when_ns;
		struct timer t = *top;
		if (t.interval_ms) {
			/* Re-arm before the call, so clearInterval inside it works. */
			top->when_ns = now + (uint64_t)t.interval_ms * 1000000ull;
			top->seq = x->next_seq++;
			heap_down(x, 0);
		} else {
			heap_remove(x, 0);
		}
		JSValueRef exc = NULL;
		JSObjectCallAsFunction(x->ctx, t.fn, NULL, t.nargs, t.args, &exc);
		if (!t.interval_ms)
			timer_release(x, &t);
		if (exc && x->term == TERM_NONE)
			exec_uncaught(x, exc);
		host_output_flush(x);
		now = clock_mono_ns();
	}
	return x->ntimers ? x->timers[0].when_ns : 0;
}

void host_timers_clear(struct exec *x)
{
	for (size_t i = 0; i < x->ntimers; i++)
		timer_release(x, &x->timers[i]);
	free(x->timers);
	x->timers = NULL;
	x->ntimers = x->timers_alloc = 0;
}
