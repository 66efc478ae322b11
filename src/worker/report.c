/* report — turning an execution's JavaScript values into its result: the
 * completion value as JSON (or {"$inspect": "..."} where JSON would not say
 * it faithfully), errors with Node-style stacks and the user's line and
 * column, and the one outcome an execution ends with (report_finish). */
#include "worker/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "worker/engine_internal.h"

#define RESULT_CAP (1u << 20)
#define ERROR_TEXT_CAP 16384

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
	free(res->err_message_json);
	free(res->err_stack);
	res->err_name = res->err_message = res->err_message_json = res->err_stack = NULL;
}

void report_set_error(struct exec_res *res, const char *name, const char *message)
{
	free(res->err_name);
	free(res->err_message);
	free(res->err_message_json);
	res->err_message_json = NULL;
	res->err_name = strdup(name);
	res->err_message = strdup(message);
}

/* Calls inspect(v) from the bundle; caller frees. */
static char *inspect_value(struct exec *x, JSValueRef v, size_t max)
{
	JSObjectRef ins = exec_inspect(x);
	JSValueRef fn = ins ? jsval_get(x->ctx, ins, "inspect") : NULL;
	if (fn && JSValueIsObject(x->ctx, fn)) {
		JSValueRef exc = NULL;
		JSValueRef s = JSObjectCallAsFunction(x->ctx, (JSObjectRef)fn, NULL, 1, &v, &exc);
		if (!exc && s && JSValueIsString(x->ctx, s))
			return jsval_to_cstr(x->ctx, s, max, NULL);
	}
	return jsval_to_cstr(x->ctx, v, max, NULL);
}

/* Primitives whose inspection is their string form, without loading the
 * inspect bundle (it costs ~12 ms to compile on a cold worker). */
static char *inspect_primitive(JSContextRef ctx, JSValueRef v)
{
	switch (JSValueGetType(ctx, v)) {
	case kJSTypeUndefined:
		return strdup("undefined");
	case kJSTypeNumber:
		return jsval_to_cstr(ctx, v, 64, NULL);
	case kJSTypeBigInt: {
		char *s = jsval_to_cstr(ctx, v, RESULT_CAP - 32, NULL);
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
void report_result(struct exec *x, JSValueRef v)
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
		JSValueRef object_ctor = jsval_get(ctx, JSContextGetGlobalObject(ctx), "Object");
		JSValueRef object_proto = object_ctor && JSValueIsObject(ctx, object_ctor)
			? jsval_get(ctx, (JSObjectRef)object_ctor, "prototype") : NULL;
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
			char *s = jsval_utf8(js, RESULT_CAP, &n, &cut);
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
 * users read them, "    at fn (url:line:col)" (the top level as Node's
 * CommonJS module function, "Object.<anonymous>"), and drops its own
 * frames. Only errors that the engine made have such stacks: those of the
 * error constructors are V8's already (bundles.c), with V8's columns. */
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
			if (locn == 13 && strncmp(loc, "[native code]", 13) == 0) {
				loc = "<anonymous>";
				locn = 11;
			}
			if (!(locn >= 7 && strncmp(loc, "corral:", 7) == 0)) {
				if (fn == 11 && strncmp(p, "global code", 11) == 0)
					buf_printf(&b, "\n    at Object.<anonymous> (%.*s)", (int)locn, loc);
				else if (fn == 0)
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

/* The stack bundle's V8 form of err's JavaScriptCore stack `jsc` (with
 * V8's columns); NULL when it cannot. Caller frees. */
static char *v8_stack(struct exec *x, JSObjectRef err, JSValueRef jsc)
{
	if (!jsc || !JSValueIsString(x->ctx, jsc))
		return NULL;
	JSValueRef exc = NULL;
	JSObjectRef m = host_runtime_stack(x, &exc);
	JSValueRef fn = m ? jsval_get(x->ctx, m, "v8Stack") : NULL;
	if (!fn || !JSValueIsObject(x->ctx, fn))
		return NULL;
	JSValueRef args[2] = { err, jsc };
	JSValueRef s = JSObjectCallAsFunction(x->ctx, (JSObjectRef)fn, m, 2, args, &exc);
	if (exc || !s || !JSValueIsString(x->ctx, s))
		return NULL;
	return jsval_to_cstr(x->ctx, s, ERROR_TEXT_CAP, NULL);
}

/* True when s is a header (of any lines) and then only V8 frames
 * ("    at ..."). */
static bool is_v8_stack(const char *s)
{
	const char *p = strstr(s, "\n    at ");
	if (!p)
		return false;
	while (p) {
		if (strncmp(p + 1, "    at ", 7) != 0)
			return false;
		p = strchr(p + 1, '\n');
	}
	return true;
}

/* line:column of the first frame of a stack not in corral's own code: a
 * JSC stack ("fn@url:line:col"), or V8's ("    at fn (url:line:col)"),
 * which has no frames of corral's. */
static void frame_location(const char *stack, uint64_t *line, uint64_t *col)
{
	bool v8 = stack && is_v8_stack(stack);
	for (const char *p = v8 ? strstr(stack, "\n    at ") + 1 : stack; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (v8 && n && p[n - 1] == ')')
			n--;
		const char *at = v8 ? p + 6 : memchr(p, '@', n);
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

/* The message string s as JSON.stringify writes it (lone surrogates and NUL
 * as escapes), when its UTF-8 text would lose them; else NULL. Caller
 * frees. */
static char *message_json(JSContextRef ctx, JSValueRef s)
{
	JSValueRef exc = NULL;
	JSStringRef str = JSValueToStringCopy(ctx, s, &exc);
	if (!str)
		return NULL;
	size_t n = JSStringGetLength(str);
	const JSChar *u = JSStringGetCharactersPtr(str);
	bool lossy = false;
	for (size_t i = 0; i < n && !lossy; i++) {
		if (u[i] == 0) {
			lossy = true;
		} else if (u[i] >= 0xd800 && u[i] <= 0xdbff && i + 1 < n && u[i + 1] >= 0xdc00 && u[i + 1] <= 0xdfff) {
			i++;
		} else if (u[i] >= 0xd800 && u[i] <= 0xdfff) {
			lossy = true;
		}
	}
	JSStringRelease(str);
	if (!lossy)
		return NULL;
	JSStringRef js = JSValueCreateJSONString(ctx, s, 0, &exc);
	if (!js)
		return NULL;
	bool cut = false;
	char *r = jsval_utf8(js, 2 * ERROR_TEXT_CAP, NULL, &cut);
	JSStringRelease(js);
	if (cut) {
		free(r);
		return NULL;
	}
	return r;
}

void report_error(struct exec *x, JSValueRef err)
{
	JSContextRef ctx = x->ctx;
	struct exec_res *res = x->res;
	if (!err || !JSValueIsObject(ctx, err)) {
		char *s = err ? inspect_value(x, err, ERROR_TEXT_CAP) : NULL;
		report_set_error(res, "Uncaught", s ? s : "undefined");
		free(s);
		return;
	}
	JSObjectRef o = (JSObjectRef)err;
	JSValueRef name = jsval_get(ctx, o, "name");
	JSValueRef msg = jsval_get(ctx, o, "message");
	JSValueRef stack = jsval_get(ctx, o, "stack");
	JSValueRef line = jsval_get(ctx, o, "line");
	JSValueRef col = jsval_get(ctx, o, "column");
	char *n = name && !JSValueIsUndefined(ctx, name) ? jsval_to_cstr(ctx, name, 1024, NULL) : NULL;
	char *m = msg && !JSValueIsUndefined(ctx, msg) ? jsval_to_cstr(ctx, msg, ERROR_TEXT_CAP, NULL) : NULL;
	char *st = stack && JSValueIsString(ctx, stack) ? jsval_to_cstr(ctx, stack, ERROR_TEXT_CAP, NULL) : NULL;
	report_set_error(res, n ? n : "Error", m ? m : "");
	if (msg && JSValueIsString(ctx, msg))
		res->err_message_json = message_json(ctx, msg);
	free(res->err_stack);
	/* An error made by the error constructors has V8's stack already (see
	 * bundles.c, the lazy definer); one the engine made, JavaScriptCore's. */
	if (st && is_v8_stack(st))
		res->err_stack = strdup(st);
	else if (!(res->err_stack = v8_stack(x, o, stack)))
		res->err_stack = format_stack(res->err_name, res->err_message, st);
	JSValueRef url = jsval_get(ctx, o, "sourceURL");
	char *u = url && JSValueIsString(ctx, url) ? jsval_to_cstr(ctx, url, 256, NULL) : NULL;
	uint64_t fl = 0, fc = 0;
	frame_location(res->err_stack, &fl, &fc);
	if (fl) {
		/* The first frame of the stack as reported (V8's line:column). */
		res->err_line = fl;
		res->err_column = fc;
	} else if (u && strncmp(u, "corral:", 7) == 0) {
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

static bool is_process_exit(struct exec *x, JSValueRef v)
{
	if (!JSValueIsObject(x->ctx, v))
		return false;
	JSValueRef name = jsval_get(x->ctx, (JSObjectRef)v, "name");
	if (!name || !JSValueIsString(x->ctx, name))
		return false;
	char *n = jsval_to_cstr(x->ctx, name, 32, NULL);
	bool yes = n && strcmp(n, "ProcessExit") == 0;
	free(n);
	if (yes) {
		JSValueRef code = jsval_get(x->ctx, (JSObjectRef)v, "code");
		double c = code ? JSValueToNumber(x->ctx, code, NULL) : 0;
		x->exit_code = c == c ? (int)c : 1;
		x->exited = true;
	}
	return yes;
}

void report_finish(struct exec *x, JSValueRef completion, bool have_completion)
{
	struct exec_res *res = x->res;
	if (x->term == TERM_TIMEOUT) {
		char msg[96];
		snprintf(msg, sizeof msg, "execution exceeded its %llu ms deadline",
			 (unsigned long long)x->req->timeout_ms);
		res->status = OUTCOME_TIMEOUT;
		report_set_error(res, "TimeoutError", msg);
	} else if (x->term == TERM_MEMORY) {
		char msg[128];
		snprintf(msg, sizeof msg, "execution exceeded its %llu MB memory cap",
			 (unsigned long long)(x->req->memory_bytes >> 20));
		res->status = OUTCOME_MEMORY_LIMIT;
		report_set_error(res, "MemoryLimitError", msg);
	} else if (x->term == TERM_CANCELLED) {
		res->status = OUTCOME_CANCELLED;
		report_set_error(res, "CancelledError", "the execution was cancelled");
	} else if (x->term == TERM_OUTPUT) {
		char msg[96];
		snprintf(msg, sizeof msg, "stdout and stderr passed their %llu-byte cap",
			 (unsigned long long)x->req->output_cap);
		res->status = OUTCOME_OUTPUT_LIMIT;
		report_set_error(res, "OutputLimitError", msg);
		res->truncated = true;
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
			report_set_error(res, "ProcessExit", msg);
		}
	} else if (x->uncaught) {
		res->status = OUTCOME_ERROR;
		report_error(x, x->uncaught);
	} else if (x->pstate == PROMISE_REJECTED) {
		res->status = OUTCOME_ERROR;
		report_error(x, x->pvalue);
	} else if (x->pstate == PROMISE_PENDING && x->tla) {
		res->status = OUTCOME_ERROR;
		report_set_error(res, "Error", "top-level await never settled: nothing was left to run");
	} else if (x->pstate == PROMISE_PENDING && !x->req->function) {
		/* The completion value is a promise that nothing left on the
		 * event loop can settle (no timer, fetch or turn pending): the
		 * result cannot be had, which is the code's failure, not ok. */
		res->status = OUTCOME_ERROR;
		report_set_error(res, "Error", "the result is a promise that never settled: nothing was left to run");
	} else {
		res->status = OUTCOME_OK;
		if (x->pstate == PROMISE_FULFILLED)
			report_result(x, x->pvalue);
		else if (have_completion)
			report_result(x, completion);
	}
	/* A terminated VM is not asked anything more (see worker.c). */
	if (x->term != TERM_NONE)
		host_output_flush(x);
}

void report_syntax_error(struct exec *x, JSStringRef src, JSStringRef url)
{
	JSValueRef exc = NULL;
	JSCheckScriptSyntax(x->ctx, src, url, 1, &exc);
	x->res->status = OUTCOME_REJECTED;
	if (exc) {
		report_error(x, exc);
	} else {
		report_set_error(x->res, "SyntaxError", "the code does not parse");
	}
	if (x->term == TERM_NONE && (!x->res->err_column || !x->res->err_line)) {
		uint64_t line = 0, col = 0;
		if (bundles_locate_syntax_error(&x->eng->bundles, src, &line, &col) && line) {
			x->res->err_line = line;
			x->res->err_column = col;
		}
	}
}

