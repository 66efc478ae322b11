/* jsc — symbols JavaScriptCore (2.50, libjavascriptcoregtk-4.1) exports but
 * does not declare in its public headers, declared here once for the
 * worker. Each is part of JSC's own C API (JSContextRefPrivate.h,
 * JSScriptRefPrivate.h, JSBasePrivate.h), stable across the releases Debian ships. */
#ifndef CORRAL_JSC_H
#define CORRAL_JSC_H

#include <JavaScriptCore/JavaScript.h>
#include <stdbool.h>

void JSContextGroupSetExecutionTimeLimit(JSContextGroupRef group, double limit,
	bool (*callback)(JSContextRef ctx, void *context), void *context);
void JSContextGroupClearExecutionTimeLimit(JSContextGroupRef group);
void JSGlobalContextSetEvalEnabled(JSGlobalContextRef ctx, bool enabled, JSStringRef message);
void JSGlobalContextSetUnhandledRejectionCallback(JSGlobalContextRef ctx, JSObjectRef function,
	JSValueRef *exception);

typedef struct OpaqueJSScript *JSScriptRef;
JSScriptRef JSScriptCreateFromString(JSContextGroupRef group, JSStringRef url, int starting_line,
	JSStringRef source, JSStringRef *error_message, int *error_line);
JSValueRef JSScriptEvaluate(JSContextRef ctx, JSScriptRef script, JSValueRef this_value,
	JSValueRef *exception);
JSScriptRef JSScriptRetain(JSScriptRef script);
void JSScriptRelease(JSScriptRef script);

/* JSContextRefPrivate.h: a full collection now, on this thread (the public
 * JSGarbageCollect only asks for one). */
void JSSynchronousGarbageCollectForDebugging(JSContextRef ctx);

/* JSBasePrivate.h: tells the collector that objects of ctx hold size
 * bytes of memory it does not see (a zlib handle's library state), so
 * that it collects sooner. */
void JSReportExtraMemoryCost(JSContextRef ctx, size_t size);

/* From JSC's GLib API (jsc/jsc-options.h), declared here to keep GLib's
 * headers out: options must be set before the first VM exists. */
int jsc_options_set_boolean(const char *option, int value);

#endif
