/* exec — see exec.h. */
#include "worker/engine_internal.h"

struct exec *exec_current;

void exec_uncaught(struct exec *x, JSValueRef err)
{
	if (x->uncaught)
		return;
	x->uncaught = err ? err : JSValueMakeUndefined(x->ctx);
	JSValueProtect(x->ctx, x->uncaught);
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
	return x->inspect;
}
