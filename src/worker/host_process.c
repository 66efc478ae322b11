/* host_process — the little of Node's `process` a sandbox can honestly give.
 *
 * Only `env` (the execution's own variables, never the worker's), `argv`
 * (empty), `platform` and `version`. There is no pid, no cwd, no exit, no
 * binding: nothing here reaches the host. The runtime issue widens this to
 * nextTick, hrtime and exit, each a validated host call. */
#include "worker/engine_internal.h"

#include <stdlib.h>
#include <string.h>

JSObjectRef host_env_object(struct exec *x)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef env = JSObjectMake(ctx, NULL, NULL);
	for (size_t i = 0; i < x->req->nenv; i++) {
		const char *kv = x->req->env[i];
		const char *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			continue;
		char *name = strndup(kv, (size_t)(eq - kv));
		if (name)
			jsval_set(ctx, env, name, jsval_str(ctx, eq + 1), kJSPropertyAttributeNone);
		free(name);
	}
	return env;
}

void host_process_install(struct exec *x, JSObjectRef global)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef process = JSObjectMake(ctx, NULL, NULL);
	jsval_set(ctx, process, "env", host_env_object(x), kJSPropertyAttributeNone);
	jsval_set(ctx, process, "argv", JSObjectMakeArray(ctx, 0, NULL, NULL), kJSPropertyAttributeNone);
	jsval_set(ctx, process, "platform", jsval_str(ctx, "linux"), kJSPropertyAttributeNone);
	jsval_set(ctx, process, "version", jsval_str(ctx, "v20.0.0-corral"), kJSPropertyAttributeNone);
	jsval_set(ctx, global, "process", process, kJSPropertyAttributeDontEnum);
}
