/* host_console — console.* and the execution's output.
 *
 * Output is counted against the execution's cap as it is written: the byte
 * that would pass the cap is not kept, the execution is marked output_limit,
 * and the watchdog ends the running JS within one slice. Primitives are
 * formatted here; anything else goes through the embedded inspect bundle
 * (Node's util.format), loaded into the context on first need. */
#include "worker/engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipc.h"

#define FLUSH_AT (64u << 10)

void host_output_flush(struct exec *x)
{
	if (!x->pending.len)
		return;
	if (x->io && x->io->output)
		x->io->output(x->io->ud, x->req->slot, x->pending_stream, x->pending.data, x->pending.len);
	buf_reset(&x->pending);
}

void host_output(struct exec *x, int stream, const char *p, size_t n)
{
	if (x->term != TERM_NONE)
		return;
	if (x->pending.len && x->pending_stream != stream)
		host_output_flush(x);
	x->pending_stream = stream;
	uint64_t room = x->req->output_cap > x->out_total ? x->req->output_cap - x->out_total : 0;
	bool over = n > room;
	if (over)
		n = (size_t)room;
	while (n) {
		size_t space = FLUSH_AT - x->pending.len;
		size_t k = n < space ? n : space;
		buf_append(&x->pending, p, k);
		x->out_total += k;
		p += k;
		n -= k;
		if (x->pending.len >= FLUSH_AT)
			host_output_flush(x);
	}
	if (over) {
		x->res->truncated = true;
		x->term = TERM_OUTPUT;
	}
}

/* Appends a primitive the way Node's console prints it; false if v is not
 * one we format here. */
static bool put_primitive(JSContextRef ctx, struct buf *b, JSValueRef v, size_t max)
{
	switch (JSValueGetType(ctx, v)) {
	case kJSTypeUndefined:
		return buf_puts(b, "undefined") == 0;
	case kJSTypeNull:
		return buf_puts(b, "null") == 0;
	case kJSTypeBoolean:
		return buf_puts(b, JSValueToBoolean(ctx, v) ? "true" : "false") == 0;
	case kJSTypeNumber: {
		double d = JSValueToNumber(ctx, v, NULL);
		if (d == 0 && signbit(d))
			return buf_puts(b, "-0") == 0;
	}
		/* fall through */
	case kJSTypeString: {
		size_t n = 0;
		char *s = jsval_to_cstr(ctx, v, max, &n);
		if (!s)
			return false;
		buf_append(b, s, n);
		free(s);
		return true;
	}
	default:
		return false;
	}
}

static void console_write(JSContextRef ctx, int stream, const char *prefix,
			  size_t argc, const JSValueRef argv[])
{
	struct exec *x = exec_current;
	if (!x || x->term != TERM_NONE)
		return;
	size_t max = x->req->output_cap + 1;
	struct buf line = BUF_INIT(max + 16);
	bool simple = true;
	for (size_t i = 0; i < argc && simple; i++) {
		JSType t = JSValueGetType(ctx, argv[i]);
		if (t == kJSTypeObject || t == kJSTypeSymbol || t == kJSTypeBigInt)
			simple = false;
	}
	/* A first string with % in it is a format string: util.format's job. */
	if (simple && argc && JSValueIsString(ctx, argv[0])) {
		char *s = jsval_to_cstr(ctx, argv[0], max, NULL);
		if (s && strchr(s, '%') && argc > 1)
			simple = false;
		free(s);
	}
	if (prefix)
		buf_puts(&line, prefix);
	if (simple) {
		for (size_t i = 0; i < argc; i++) {
			if (i)
				buf_putc(&line, ' ');
			put_primitive(ctx, &line, argv[i], max);
		}
	} else {
		JSObjectRef ins = exec_inspect(x);
		JSValueRef fmt = ins ? jsval_get(ctx, ins, "format") : NULL;
		JSValueRef exc = NULL;
		JSValueRef s = NULL;
		if (fmt && JSValueIsObject(ctx, fmt))
			s = JSObjectCallAsFunction(ctx, (JSObjectRef)fmt, NULL, argc, argv, &exc);
		if (s && !exc) {
			size_t n = 0;
			char *str = jsval_to_cstr(ctx, s, max, &n);
			if (str)
				buf_append(&line, str, n);
			free(str);
		} else {
			for (size_t i = 0; i < argc; i++) {
				if (i)
					buf_putc(&line, ' ');
				if (!put_primitive(ctx, &line, argv[i], max)) {
					size_t n = 0;
					char *str = jsval_to_cstr(ctx, argv[i], max, &n);
					buf_append(&line, str ? str : "[object]", str ? n : 8);
					free(str);
				}
			}
		}
	}
	buf_putc(&line, '\n');
	host_output(x, stream, line.data ? line.data : "\n", line.data ? line.len : 1);
	buf_release(&line);
}

#define CONSOLE_FN(fname, stream, prefix)                                                    \
	static JSValueRef fname(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,          \
				size_t argc, const JSValueRef argv[], JSValueRef *exc)       \
	{                                                                                    \
		console_write(ctx, stream, prefix, argc, argv);                              \
		return JSValueMakeUndefined(ctx);                                            \
	}

CONSOLE_FN(console_log, IPC_STREAM_STDOUT, NULL)
CONSOLE_FN(console_error, IPC_STREAM_STDERR, NULL)
CONSOLE_FN(console_trace, IPC_STREAM_STDERR, "Trace: ")

static JSValueRef console_assert(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (argc && JSValueToBoolean(ctx, argv[0]))
		return JSValueMakeUndefined(ctx);
	console_write(ctx, IPC_STREAM_STDERR, argc > 1 ? "Assertion failed: " : "Assertion failed",
		      argc > 1 ? argc - 1 : 0, argv + 1);
	return JSValueMakeUndefined(ctx);
}

void host_console_install(struct exec *x, JSObjectRef global)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef console = JSObjectMake(ctx, NULL, NULL);
	static const struct {
		const char *name;
		JSObjectCallAsFunctionCallback cb;
	} fns[] = {
		{ "log", console_log }, { "info", console_log }, { "debug", console_log },
		{ "dir", console_log }, { "warn", console_error }, { "error", console_error },
		{ "trace", console_trace }, { "assert", console_assert },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		jsval_set(ctx, console, fns[i].name, jsval_make_fn(ctx, fns[i].name, fns[i].cb),
			    kJSPropertyAttributeDontEnum);
	jsval_set(ctx, global, "console", console, kJSPropertyAttributeDontEnum);
}
